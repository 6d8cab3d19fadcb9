//! Where a tensor's data lives and its kernels run.

use std::fmt;
use std::sync::Arc;

use crate::backend::gpu::context::GpuContext;
use crate::backend::gpu::require;
use crate::device_kind::DeviceKind;
use crate::dtype::DType;
use crate::error::Result;

/// A compute device: the host CPU (the numerical reference) or a GPU through wgpu.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Device {
    /// The host CPU.
    Cpu,
    /// A GPU adapter (Vulkan, Metal or DX12; lavapipe counts, as a software GPU).
    Gpu(GpuDevice),
}

/// A handle to the process's GPU context. Clones share it.
#[derive(Clone)]
pub struct GpuDevice(pub(crate) Arc<GpuContext>);

impl PartialEq for GpuDevice {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for GpuDevice {}

impl fmt::Debug for GpuDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GpuDevice({:?})", self.0.info.name)
    }
}

impl GpuDevice {
    /// The adapter's name, backend, device type and driver.
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.0.info
    }

    /// The optional features wgrad enabled: SHADER_F16 and SHADER_F64 where the adapter has them.
    pub fn features(&self) -> wgpu::Features {
        self.0.features
    }

    /// The limits the device was created with: the adapter's own, not wgpu's defaults.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.0.limits
    }

    /// True for an adapter that emulates a GPU on the CPU (device type `Cpu`, such as lavapipe).
    pub fn is_emulated(&self) -> bool {
        self.adapter_info().device_type == wgpu::DeviceType::Cpu
    }

    /// Submits all recorded work and waits for the GPU to finish it (`torch.cuda.synchronize()`):
    /// for timing. Reads synchronize by themselves.
    pub fn synchronize(&self) -> Result<()> {
        self.0.synchronize()
    }
}

impl Device {
    /// The host CPU.
    pub fn cpu() -> Device {
        Device::Cpu
    }

    /// Waits until everything recorded for this device has run (`torch.cuda.synchronize()`):
    /// for timing, without matching on the device. Nothing to wait for on the CPU.
    pub fn synchronize(&self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            Device::Gpu(gpu) => gpu.synchronize(),
        }
    }

    /// The GPU: the first Vulkan, Metal or DX12 adapter, shared by every caller. Without one, an
    /// error that says how to get one.
    pub fn gpu() -> Result<Device> {
        GpuContext::shared().map(|ctx| Device::Gpu(GpuDevice(ctx)))
    }

    /// A hardware GPU (discrete, integrated or virtual) when one exists, else the CPU, saying
    /// why on stderr. An adapter emulated in software (device type `Cpu`, such as Mesa's
    /// lavapipe) runs small models many times slower than the CPU backend, so it is used only
    /// when asked for: [`Device::gpu`], or `WGRAD_DEVICE=gpu` here. `WGRAD_DEVICE=cpu` never
    /// starts a GPU driver.
    pub fn best() -> Device {
        match std::env::var("WGRAD_DEVICE").as_deref() {
            Ok("cpu") => return Device::Cpu,
            Ok("gpu") => {
                return match Device::gpu() {
                    Ok(Device::Gpu(gpu)) if gpu.is_emulated() => {
                        eprintln!(
                            "wgrad: using {}, a GPU emulated in software; for small models the \
                             CPU backend is much faster (WGRAD_DEVICE=cpu)",
                            gpu.adapter_info().name
                        );
                        Device::Gpu(gpu)
                    }
                    Ok(device) => device,
                    Err(e) => {
                        eprintln!("wgrad: WGRAD_DEVICE=gpu, but {e}; running on the CPU");
                        Device::Cpu
                    }
                };
            }
            Err(_) => {}
            Ok(other) => eprintln!(
                "wgrad: WGRAD_DEVICE={other:?} is neither cpu nor gpu; choosing the device myself"
            ),
        }
        match Device::gpu() {
            Ok(Device::Gpu(gpu)) if gpu.is_emulated() => {
                eprintln!(
                    "wgrad: running on the CPU: the only GPU, {}, is emulated in software and \
                     slower than the CPU backend (use it with WGRAD_DEVICE=gpu or Device::gpu())",
                    gpu.adapter_info().name
                );
                Device::Cpu
            }
            Ok(device) => device,
            Err(e) => {
                eprintln!("wgrad: running on the CPU ({e})");
                Device::Cpu
            }
        }
    }
}

impl Device {
    /// Whether tensors of `dtype` can live and compute here: every dtype on the CPU; on the GPU
    /// those of the README's dtype table, f16 and f64 where the adapter offers them.
    pub fn supports(&self, dtype: DType) -> bool {
        match self {
            Device::Cpu => true,
            Device::Gpu(gpu) => require(&gpu.0, dtype).is_ok(),
        }
    }

    /// Whether this is the CPU or a GPU.
    pub fn kind(&self) -> DeviceKind {
        match self {
            Device::Cpu => DeviceKind::Cpu,
            Device::Gpu(_) => DeviceKind::Gpu,
        }
    }
}

impl From<&Device> for DeviceKind {
    fn from(device: &Device) -> DeviceKind {
        device.kind()
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind().fmt(f)
    }
}
