//! One wgpu context per process: adapter, device and queue with the adapter's real limits; the
//! pipeline cache; the shared command encoder that batches dispatches; the buffer pool.
//!
//! The host waits on the GPU only to read (export, printing, `item`): dispatches, uploads and
//! copies are recorded into one encoder and submitted every [`BATCH`] dispatches or at a read.
//! Elementwise ops wait in a fusion queue until anything else is recorded (see `fusion`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::fusion::{FusionQueue, Operand};
use super::kernels::Expr;
use crate::error::{Error, Result};
use crate::sync::lock;

/// Dispatches recorded before a submit (also the number of metadata slots in the arena).
const BATCH: usize = 256;
/// Bytes of metadata each dispatch may use (a multiple of every adapter's offset alignment).
pub(crate) const META_BYTES: usize = 256;
/// Bytes of freed buffers the pool keeps for reuse; beyond this they are released.
const POOL_CAPACITY: u64 = 1 << 30;

/// Usage of every tensor buffer: kernels read and write it, copies move data in and out.
const TENSOR_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

pub(crate) struct GpuContext {
    pub device: wgpu::Device,
    queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub features: wgpu::Features,
    pipelines: Mutex<HashMap<String, Arc<Kernel>>>,
    pending: Mutex<Pending>,
    pool: Mutex<Pool>,
    /// The first error wgpu reported outside an error scope, surfaced at the next read.
    error: Arc<Mutex<Option<String>>>,
    meta_arena: wgpu::Buffer,
}

/// A compiled kernel and the layout of its arguments.
pub(crate) struct Kernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// Work recorded but not yet submitted.
#[derive(Default)]
struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    /// The compute pass consecutive dispatches share; ended before any copy and at submit.
    pass: Option<wgpu::ComputePass<'static>>,
    /// Each dispatch's metadata, `META_BYTES` apart, written to the arena just before submit.
    meta: Vec<u32>,
    dispatches: usize,
    /// Elementwise ops not yet recorded; recorded before anything else is.
    fusion: FusionQueue,
}

#[derive(Default)]
struct Pool {
    free: HashMap<u64, Vec<wgpu::Buffer>>,
    bytes: u64,
}

/// A window of a buffer bound to one kernel argument.
pub(crate) struct Binding<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub offset: u64,
    pub size: u64,
}

impl<'a> Binding<'a> {
    pub fn whole(buffer: &'a wgpu::Buffer) -> Binding<'a> {
        Binding {
            buffer,
            offset: 0,
            size: buffer.size(),
        }
    }
}

fn gpu_error(message: impl Into<String>) -> Error {
    Error::Gpu {
        message: message.into(),
    }
}

impl GpuContext {
    /// The process-wide context, created on first use; the failure is remembered too.
    pub fn shared() -> Result<Arc<GpuContext>> {
        static CONTEXT: OnceLock<std::result::Result<Arc<GpuContext>, String>> = OnceLock::new();
        CONTEXT
            .get_or_init(|| pollster::block_on(GpuContext::create()).map(Arc::new))
            .clone()
            .map_err(gpu_error)
    }

    async fn create() -> std::result::Result<GpuContext, String> {
        // Real backends only: wgpu's GL fallback lacks f16 and would make a different device than
        // the one tested. WGPU_BACKEND narrows the choice further; debug-build validation layers
        // (which halve lavapipe's speed) stay off unless asked for with WGPU_DEBUG.
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        descriptor.backends &=
            wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12;
        descriptor.flags = wgpu::InstanceFlags::empty().with_env();
        let instance = wgpu::Instance::new(descriptor);
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| {
                format!(
                    "no GPU adapter found ({e}); install a Vulkan driver (on Debian or Ubuntu: \
                     apt-get install mesa-vulkan-drivers libvulkan1, which includes the software \
                     driver lavapipe), or use Device::cpu()"
                )
            })?;
        let features =
            adapter.features() & (wgpu::Features::SHADER_F16 | wgpu::Features::SHADER_F64);
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("wgrad"),
                required_features: features,
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("the GPU adapter refused a device: {e}"))?;
        let error = Arc::new(Mutex::new(None));
        let sink = Arc::clone(&error);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            lock(&sink).get_or_insert_with(|| e.to_string());
        }));
        let meta_arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("wgrad kernel metadata"),
            size: (BATCH * META_BYTES) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(GpuContext {
            device,
            queue,
            info: adapter.get_info(),
            limits,
            features,
            pipelines: Mutex::default(),
            pending: Mutex::default(),
            pool: Mutex::default(),
            error,
            meta_arena,
        })
    }

    /// The largest window of a buffer one kernel argument may bind.
    pub fn max_binding(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size
    }

    /// The compiled pipeline for `key`, compiling `source()` the first time.
    pub fn pipeline(
        &self,
        key: &str,
        source: impl FnOnce() -> Result<String>,
    ) -> Result<Arc<Kernel>> {
        if let Some(p) = lock(&self.pipelines).get(key) {
            return Ok(Arc::clone(p));
        }
        let source = source()?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(key),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(key),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Internal(format!(
                "kernel {key} does not compile: {e}"
            )));
        }
        let kernel = Arc::new(Kernel {
            layout: pipeline.get_bind_group_layout(0),
            pipeline,
        });
        lock(&self.pipelines).insert(key.to_string(), Arc::clone(&kernel));
        Ok(kernel)
    }

    /// A buffer of at least `bytes` bytes (from the pool when one is free); its contents are
    /// whatever it last held.
    pub fn acquire(&self, bytes: u64) -> Result<wgpu::Buffer> {
        let size = bytes.max(256).next_power_of_two();
        if size > self.limits.max_buffer_size {
            return Err(gpu_error(format!(
                "a buffer of {bytes} bytes exceeds this adapter's largest buffer ({} bytes)",
                self.limits.max_buffer_size
            )));
        }
        {
            let mut pool = lock(&self.pool);
            if let Some(buffer) = pool.free.get_mut(&size).and_then(Vec::pop) {
                pool.bytes -= size;
                return Ok(buffer);
            }
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: TENSOR_USAGE,
            mapped_at_creation: false,
        });
        match pollster::block_on(scope.pop()) {
            Some(e) => Err(gpu_error(format!(
                "out of GPU memory allocating {size} bytes: {e}"
            ))),
            None => Ok(buffer),
        }
    }

    /// Returns a dropped tensor's buffer to the pool. Work already recorded that reads it stays
    /// ordered before any later use, since everything goes through one queue in recording order.
    pub fn release(&self, buffer: wgpu::Buffer) {
        let mut pool = lock(&self.pool);
        if pool.bytes + buffer.size() <= POOL_CAPACITY {
            pool.bytes += buffer.size();
            pool.free.entry(buffer.size()).or_default().push(buffer);
        }
    }

    /// The shared encoder, begun if nothing is pending, with no compute pass open on it.
    fn encoder<'p>(&self, pending: &'p mut Pending) -> &'p mut wgpu::CommandEncoder {
        pending.pass = None;
        pending.encoder.get_or_insert_with(|| {
            self.device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor::default())
        })
    }

    /// Records `record` into the shared encoder, after the queued elementwise ops.
    fn with_encoder(&self, record: impl FnOnce(&mut wgpu::CommandEncoder)) -> Result<()> {
        let mut pending = lock(&self.pending);
        self.flush_fused(&mut pending)?;
        record(self.encoder(&mut pending));
        Ok(())
    }

    /// Queues the elementwise op `out = expr(inputs)` over `quads` vec4s of every operand (all
    /// whole buffers in C order), recording the queue first if the op does not fit in it.
    pub fn enqueue_fused(
        &self,
        quads: usize,
        out: Operand,
        inputs: Vec<Operand>,
        expr: &Expr,
    ) -> Result<()> {
        let mut pending = lock(&self.pending);
        let max_bindings = self.limits.max_storage_buffers_per_shader_stage as usize;
        if !pending
            .fusion
            .accepts(quads, &out, &inputs, expr, max_bindings)
        {
            self.flush_fused(&mut pending)?;
        }
        pending.fusion.push(quads, out, inputs, expr);
        Ok(())
    }

    /// Records the queued elementwise ops as one dispatch.
    fn flush_fused(&self, pending: &mut Pending) -> Result<()> {
        let Some(fused) = pending.fusion.take()? else {
            return Ok(());
        };
        let kernel = self.pipeline(&fused.key, || Ok(fused.source.clone()))?;
        let bindings: Vec<Binding<'_>> = fused
            .buffers
            .iter()
            .map(|b| Binding::whole(&b.buffer))
            .collect();
        let groups = self.grid(fused.quads.div_ceil(256) as u64)?;
        self.record(pending, &kernel, &fused.meta, &bindings, groups)
    }

    /// Records one dispatch of `pipeline` over `workgroups`, with `meta` bound first and then
    /// `bindings` in order.
    pub fn dispatch(
        &self,
        kernel: &Kernel,
        meta: &[u32],
        bindings: &[Binding<'_>],
        workgroups: [u32; 3],
    ) -> Result<()> {
        if meta.len() * 4 > META_BYTES {
            return Err(gpu_error(format!(
                "a kernel needs {} bytes of metadata; views of over 8 dimensions run on the CPU",
                meta.len() * 4
            )));
        }
        let mut pending = lock(&self.pending);
        self.flush_fused(&mut pending)?;
        self.record(&mut pending, kernel, meta, bindings, workgroups)
    }

    /// Records one dispatch into `pending`, submitting first if the batch is full.
    fn record(
        &self,
        pending: &mut Pending,
        kernel: &Kernel,
        meta: &[u32],
        bindings: &[Binding<'_>],
        workgroups: [u32; 3],
    ) -> Result<()> {
        if pending.dispatches == BATCH {
            self.submit(pending);
        }
        let slot = pending.dispatches;
        pending.dispatches += 1;
        pending.meta.resize(slot * META_BYTES / 4, 0);
        pending.meta.extend_from_slice(meta);
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.meta_arena,
                offset: (slot * META_BYTES) as u64,
                size: wgpu::BufferSize::new(META_BYTES as u64),
            }),
        }];
        entries.extend(
            bindings
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupEntry {
                    binding: i as u32 + 1,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: b.buffer,
                        offset: b.offset,
                        size: wgpu::BufferSize::new(b.size),
                    }),
                }),
        );
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &kernel.layout,
            entries: &entries,
        });
        if pending.pass.is_none() {
            let pass = self
                .encoder(pending)
                .begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pending.pass = Some(pass.forget_lifetime());
        }
        let Some(pass) = pending.pass.as_mut() else {
            return Err(Error::Internal("no compute pass to record into".into()));
        };
        pass.set_pipeline(&kernel.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
        Ok(())
    }

    /// Workgroup counts for `groups` workgroups of a 1-D kernel, folded into a second dimension
    /// past the 65535 a dimension allows.
    pub fn grid(&self, groups: u64) -> Result<[u32; 3]> {
        let max = self.limits.max_compute_workgroups_per_dimension as u64;
        let x = groups.clamp(1, max);
        let y = groups.div_ceil(x);
        if y > max {
            return Err(gpu_error(format!(
                "{groups} workgroups exceed the adapter's {max} x {max} grid"
            )));
        }
        Ok([x as u32, y as u32, 1])
    }

    /// Submits what is pending: the metadata first, then the recorded commands.
    fn submit(&self, pending: &mut Pending) {
        pending.pass = None;
        if !pending.meta.is_empty() {
            self.queue
                .write_buffer(&self.meta_arena, 0, bytemuck::cast_slice(&pending.meta));
        }
        if let Some(encoder) = pending.encoder.take() {
            self.queue.submit([encoder.finish()]);
        }
        pending.meta.clear();
        pending.dispatches = 0;
    }

    /// A new buffer holding `bytes` (padded to whole words), copied in through the encoder so
    /// that it is ordered with the work already recorded.
    pub fn upload(&self, bytes: &[u8]) -> Result<wgpu::Buffer> {
        let buffer = self.acquire(bytes.len() as u64)?;
        let padded = (bytes.len() as u64).next_multiple_of(4).max(4);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("wgrad upload"),
            size: padded,
            usage: wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: true,
        });
        {
            let mut view = staging
                .get_mapped_range_mut(..)
                .map_err(|e| gpu_error(format!("mapping an upload buffer: {e}")))?;
            view.slice(..bytes.len()).copy_from_slice(bytes);
        }
        staging.unmap();
        self.with_encoder(|encoder| {
            encoder.copy_buffer_to_buffer(&staging, 0, &buffer, 0, padded)
        })?;
        Ok(buffer)
    }

    /// A new buffer of `bytes` zero bytes.
    pub fn zeros(&self, bytes: u64) -> Result<wgpu::Buffer> {
        let buffer = self.acquire(bytes)?;
        self.with_encoder(|encoder| encoder.clear_buffer(&buffer, 0, None))?;
        Ok(buffer)
    }

    /// Copies `dst.len()` bytes from the start of `buffer` into `dst`: submits everything pending,
    /// waits, and copies the mapped bytes straight into `dst` (one host copy).
    pub fn read(&self, buffer: &wgpu::Buffer, dst: &mut [u8]) -> Result<()> {
        let padded = (dst.len() as u64).next_multiple_of(4).max(4);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("wgrad readback"),
            size: padded,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        {
            let mut pending = lock(&self.pending);
            self.flush_fused(&mut pending)?;
            self.encoder(&mut pending)
                .copy_buffer_to_buffer(buffer, 0, &staging, 0, padded);
            self.submit(&mut pending);
        }
        let mapped = Arc::new(Mutex::new(None));
        let done = Arc::clone(&mapped);
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            *lock(&done) = Some(result)
        });
        // Another thread's poll may be the one that runs the callback, after ours returned: wait
        // until it has run, not just for one poll.
        let result = loop {
            self.device
                .poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| gpu_error(format!("waiting for the GPU: {e}")))?;
            if let Some(result) = lock(&mapped).take() {
                break result;
            }
            std::thread::yield_now();
        };
        self.take_error()?;
        result.map_err(|e| gpu_error(format!("reading back from the GPU: {e}")))?;
        {
            let view = staging
                .get_mapped_range(..)
                .map_err(|e| gpu_error(format!("reading back: {e}")))?;
            dst.copy_from_slice(&view[..dst.len()]);
        }
        staging.unmap();
        Ok(())
    }

    /// Submits everything pending and waits until the GPU has finished it.
    pub fn synchronize(&self) -> Result<()> {
        {
            let mut pending = lock(&self.pending);
            self.flush_fused(&mut pending)?;
            self.submit(&mut pending);
        }
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| gpu_error(format!("waiting for the GPU: {e}")))?;
        self.take_error()
    }

    /// The first uncaptured wgpu error since the last check, as an `Error`.
    fn take_error(&self) -> Result<()> {
        match lock(&self.error).take() {
            Some(message) => Err(gpu_error(message)),
            None => Ok(()),
        }
    }
}
