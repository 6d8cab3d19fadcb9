//! The same ops on the CPU and on the GPU (when an adapter exists), beside a plain copy kernel on
//! the same adapter as its bandwidth roof. Every GPU iteration ends in `synchronize()`, so the
//! time is the work's, not its recording's. Run with `cargo bench --bench gpu_ops`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wgrad::{DType, Device, Tensor, no_grad};

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

fn finish(device: &Device) {
    if let Device::Gpu(gpu) = device {
        gpu.synchronize().unwrap();
    }
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
            bench.iter(|| {
                black_box(a.copy().unwrap());
                finish(&device)
            })
        });
        group.throughput(Throughput::Bytes((3 * N * 4) as u64));
        group.bench_function("add", |bench| {
            bench.iter(|| {
                black_box(a.add(&b).unwrap());
                finish(&device)
            })
        });
        group.throughput(Throughput::Bytes((N * 4) as u64));
        group.bench_function("sum", |bench| {
            bench.iter(|| {
                black_box(a.sum().unwrap());
                finish(&device)
            })
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
                bench.iter(|| {
                    black_box(a.matmul(&b).unwrap());
                    finish(&device)
                })
            });
        }
        group.finish();
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
                black_box(no_grad(|| {
                    (0..1000).fold(x.clone(), |acc, _| acc.add(&x).unwrap())
                }));
                finish(&device)
            })
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = bandwidth, matmul, per_op_overhead }
criterion_main!(benches);
