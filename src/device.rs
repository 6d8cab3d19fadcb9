//! Where a tensor's data lives and its kernels run.

use std::fmt;
use std::sync::Arc;

use crate::backend::gpu::context::GpuContext;
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

    /// The optional features wgrad enabled (SHADER_F16 where the adapter has it).
    pub fn features(&self) -> wgpu::Features {
        self.0.features
    }

    /// The limits the device was created with: the adapter's own, not wgpu's defaults.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.0.limits
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

    /// The GPU: the first Vulkan, Metal or DX12 adapter, shared by every caller. Without one, an
    /// error that says how to get one.
    pub fn gpu() -> Result<Device> {
        GpuContext::shared().map(|ctx| Device::Gpu(GpuDevice(ctx)))
    }

    /// The GPU when one exists, else the CPU with a one-line notice on stderr.
    /// `WGRAD_DEVICE=cpu` or `WGRAD_DEVICE=gpu` overrides the choice.
    pub fn best() -> Device {
        match std::env::var("WGRAD_DEVICE").as_deref() {
            Ok("cpu") => return Device::Cpu,
            Ok("gpu") | Err(_) => {}
            Ok(other) => eprintln!(
                "wgrad: WGRAD_DEVICE={other:?} is neither cpu nor gpu; choosing the device myself"
            ),
        }
        match Device::gpu() {
            Ok(Device::Gpu(gpu)) if gpu.adapter_info().device_type == wgpu::DeviceType::Cpu => {
                eprintln!(
                    "wgrad: using {}, a GPU emulated in software; for small models the CPU backend is \
                     much faster (WGRAD_DEVICE=cpu)",
                    gpu.adapter_info().name
                );
                Device::Gpu(gpu)
            }
            Ok(device) => device,
            Err(e) => {
                eprintln!("wgrad: running on the CPU ({e})");
                Device::Cpu
            }
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Gpu(_) => f.write_str("gpu"),
        }
    }
}
