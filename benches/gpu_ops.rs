//! The same ops on the CPU and on the GPU (when an adapter exists), beside a plain copy kernel on
//! the same adapter as its bandwidth roof (for gathered rows, a copy of as many contiguous ones), and beside the driver's own cost of 1000 dispatches
//! made straight through wgpu as the floor of the per-op overhead. Every GPU iteration ends in
//! `synchronize()`, so the time is the work's, not its recording's. Run with
//! `cargo bench --bench gpu_ops`.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wgrad::{Conv2dOptions, DType, Device, Tensor, no_grad};

const N: usize = 1 << 24; // 16M f32

fn devices() -> Vec<Device> {
    let mut devices = vec![Device::cpu()];
    match Device::gpu() {
        Ok(gpu) => {
            if let Device::Gpu(g) = &gpu {
                eprintln!("gpu: {}", g.adapter_info().name);
            }
            devices.push(gpu);
        }
        Err(e) => eprintln!("benchmarking the CPU only: {e}"),
    }
    devices
}

/// Waits until the GPU has computed `out`, which is held until then: an elementwise result
/// dropped before the wait would never be computed (see the fusion queue).
fn finish<T>(device: &Device, out: T) -> T {
    device.synchronize().unwrap();
    out
}

fn bandwidth(c: &mut Criterion) {
    for device in devices() {
        let a = Tensor::rand(&[N], DType::F32, 1, &Device::cpu())
            .unwrap()
            .to(&device)
            .unwrap();
        let b = Tensor::rand(&[N], DType::F32, 2, &Device::cpu())
            .unwrap()
            .to(&device)
            .unwrap();
        let mut group = c.benchmark_group(format!("{device}_16M_f32"));
        group.throughput(Throughput::Bytes((2 * N * 4) as u64));
        group.bench_function("copy_roof", |bench| {
            bench.iter(|| finish(&device, a.copy().unwrap()))
        });
        group.throughput(Throughput::Bytes((3 * N * 4) as u64));
        group.bench_function("add", |bench| {
            bench.iter(|| finish(&device, a.add(&b).unwrap()))
        });
        group.throughput(Throughput::Bytes((N * 4) as u64));
        group.bench_function("sum", |bench| {
            bench.iter(|| finish(&device, a.sum().unwrap()))
        });
        group.finish();
    }
}

/// A mini-batch of 64 rows gathered from a 10,000-row table (an embedding lookup), beside a
/// copy of 64 contiguous rows: the same bytes moved without indexing.
fn gather_rows(c: &mut Criterion) {
    const ROWS: usize = 10_000;
    const WIDTH: usize = 128;
    let ids: Vec<i64> = (0..64).map(|i| (i * 7919 + 13) % ROWS as i64).collect();
    for device in devices() {
        let table = Tensor::rand(&[ROWS, WIDTH], DType::F32, 6, &Device::cpu())
            .unwrap()
            .to(&device)
            .unwrap();
        let index = Tensor::from_vec(ids.clone(), &[64], &device).unwrap();
        let mut group = c.benchmark_group(format!("{device}_64_rows_of_10000x128_f32"));
        group.throughput(Throughput::Bytes((2 * 64 * WIDTH * 4) as u64));
        group.bench_function("copy_of_64_rows", |bench| {
            bench.iter(|| finish(&device, table.narrow(0, 100, 64).unwrap().copy().unwrap()))
        });
        group.bench_function("index_select", |bench| {
            bench.iter(|| finish(&device, table.index_select(0, &index).unwrap()))
        });
        // A fresh index tensor every step, as a data loader makes: its range check reads it
        // back once (on the GPU, a wait).
        group.bench_function("index_select_new_index", |bench| {
            bench.iter(|| {
                let index = Tensor::from_vec(ids.clone(), &[64], &device).unwrap();
                finish(&device, table.index_select(0, &index).unwrap())
            })
        });
        group.finish();
    }
}

/// Arg-reductions over short rows beside the value reduction of the same tensor.
fn short_rows(c: &mut Criterion) {
    for device in devices() {
        let x = Tensor::randn(&[100_000, 2], DType::F32, 7, &Device::cpu())
            .unwrap()
            .to(&device)
            .unwrap();
        let mut group = c.benchmark_group(format!("{device}_100000x2_f32_along_1"));
        group.bench_function("max_axis", |bench| {
            bench.iter(|| finish(&device, x.max_axis(1, false).unwrap()))
        });
        group.bench_function("argmax", |bench| {
            bench.iter(|| finish(&device, x.argmax(1, false).unwrap()))
        });
        group.finish();
    }
}

fn matmul(c: &mut Criterion) {
    for device in devices() {
        let mut group = c.benchmark_group(format!("{device}_matmul_f32"));
        for n in [256, 512, 1024] {
            let a = Tensor::randn(&[n, n], DType::F32, 3, &Device::cpu())
                .unwrap()
                .to(&device)
                .unwrap();
            let b = Tensor::randn(&[n, n], DType::F32, 4, &Device::cpu())
                .unwrap()
                .to(&device)
                .unwrap();
            group.throughput(Throughput::Elements((2 * n * n * n) as u64));
            group.bench_function(format!("{n}"), |bench| {
                bench.iter(|| finish(&device, a.matmul(&b).unwrap()))
            });
        }
        group.finish();
    }
}

/// The same chain of 1000 adds on 64 f32 straight through wgpu, with nothing of wgrad: one
/// pipeline, two bind groups made beforehand (ping-pong between two outputs), one compute pass,
/// one submit, one wait. What this costs is the driver's, per dispatch.
struct RawChain {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    bind_groups: [wgpu::BindGroup; 2],
}

const RAW_ADD: &str = "
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    out[gid.x] = a[gid.x] + b[gid.x];
}";

impl RawChain {
    fn new() -> Option<RawChain> {
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        descriptor.backends &=
            wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12;
        descriptor.flags = wgpu::InstanceFlags::empty();
        let instance = wgpu::Instance::new(descriptor);
        let adapter = pollster::block_on(instance.request_adapter(&Default::default())).ok()?;
        let (device, queue) =
            pollster::block_on(adapter.request_device(&Default::default())).ok()?;
        let buffers: Vec<wgpu::Buffer> = (0..3)
            .map(|_| {
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: None,
                    size: 256,
                    usage: wgpu::BufferUsages::STORAGE,
                    mapped_at_creation: false,
                })
            })
            .collect();
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: None,
            source: wgpu::ShaderSource::Wgsl(RAW_ADD.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: None,
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let layout = pipeline.get_bind_group_layout(0);
        let bind_group = |out: usize, a: usize| {
            let entries: Vec<wgpu::BindGroupEntry<'_>> = [out, a, 0]
                .iter()
                .enumerate()
                .map(|(binding, &i)| wgpu::BindGroupEntry {
                    binding: binding as u32,
                    resource: buffers[i].as_entire_binding(),
                })
                .collect();
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &layout,
                entries: &entries,
            })
        };
        let bind_groups = [bind_group(1, 2), bind_group(2, 1)];
        Some(RawChain {
            device,
            queue,
            pipeline,
            bind_groups,
        })
    }

    fn run(&self) {
        let mut encoder = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            for i in 0..1000 {
                pass.set_bind_group(0, &self.bind_groups[i % 2], &[]);
                pass.dispatch_workgroups(1, 1, 1);
            }
        }
        self.queue.submit([encoder.finish()]);
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .unwrap();
    }
}

fn per_op_overhead(c: &mut Criterion) {
    for device in devices() {
        let x = Tensor::rand(&[64], DType::F32, 5, &Device::cpu())
            .unwrap()
            .to(&device)
            .unwrap();
        let mut group = c.benchmark_group(format!("{device}_chain_1000_adds_64_f32"));
        group.bench_function("no_grad", |bench| {
            bench.iter(|| {
                let out = no_grad(|| (0..1000).fold(x.clone(), |acc, _| acc.add(&x).unwrap()));
                finish(&device, out)
            })
        });
        if let (Device::Gpu(_), Some(raw)) = (&device, RawChain::new()) {
            group.bench_function("driver_floor_raw_wgpu", |bench| bench.iter(|| raw.run()));
        }
        group.finish();
    }
}

/// The digits CNN's second convolution (batch 64, 8 -> 16 channels, 3x3, padding 1, 14x14)
/// and 2x2 max pooling, forward and backward, beside the matmul inside the convolution alone:
/// the difference is the price of im2col and col2im.
fn convolution(c: &mut Criterion) {
    let same = Conv2dOptions {
        padding: 1,
        ..Conv2dOptions::default()
    };
    for device in devices() {
        let leaf = |shape: &[usize], seed| {
            let t = Tensor::randn(shape, DType::F32, seed, &Device::cpu()).unwrap();
            t.to(&device).unwrap().requires_grad().unwrap()
        };
        let (x, w) = (leaf(&[64, 8, 14, 14], 6), leaf(&[16, 8, 3, 3], 7));
        let columns = leaf(&[64, 72, 196], 8).detach();
        let kernel = w.detach().reshape(&[16, 72]).unwrap();
        let mut group = c.benchmark_group(format!("{device}_conv2d_64x8x14x14_to_16_3x3"));
        group.throughput(Throughput::Elements(2 * 64 * 16 * 72 * 196)); // the forward's flops
        group.bench_function("matmul_alone_baseline", |bench| {
            bench.iter(|| finish(&device, kernel.matmul(&columns).unwrap()))
        });
        group.bench_function("forward", |bench| {
            bench.iter(|| finish(&device, x.detach().conv2d(&w.detach(), None, same).unwrap()))
        });
        group.bench_function("forward_backward", |bench| {
            bench.iter(|| {
                let y = x.conv2d(&w, None, same).unwrap().sum().unwrap();
                y.backward().unwrap();
                finish(&device, y)
            })
        });
        group.bench_function("max_pool2d_forward_backward", |bench| {
            bench.iter(|| {
                let y = x
                    .max_pool2d(2, Conv2dOptions::default())
                    .unwrap()
                    .sum()
                    .unwrap();
                y.backward().unwrap();
                finish(&device, y)
            })
        });
        group.finish();
    }
}

/// f64 beside f32 on each device that holds it: exp of 1M elements (on the GPU the f32 built-in
/// against shaders/math_f64.wgsl's polynomial) and a 256 x 256 matmul.
fn f64_beside_f32(c: &mut Criterion) {
    for device in devices() {
        if !device.supports(DType::F64) {
            eprintln!("{device} lacks f64: no f64 rows");
            continue;
        }
        let mut group = c.benchmark_group(format!("{device}_f64_beside_f32"));
        for dtype in [DType::F32, DType::F64] {
            let host = Tensor::randn(&[1 << 20], dtype, 7, &Device::cpu()).unwrap();
            let x = host.to(&device).unwrap();
            group.bench_function(format!("exp_1M_{dtype}"), |bench| {
                bench.iter(|| finish(&device, x.exp().unwrap()))
            });
            let m = x
                .narrow(0, 0, 256 * 256)
                .unwrap()
                .reshape(&[256, 256])
                .unwrap();
            group.bench_function(format!("matmul_256_{dtype}"), |bench| {
                bench.iter(|| finish(&device, m.matmul(&m).unwrap()))
            });
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = bandwidth, gather_rows, short_rows, matmul, per_op_overhead, convolution, f64_beside_f32 }
criterion_main!(benches);
