//! Training steps per second for the spiral MLP 2-64-64-3 with ReLU, softmax cross-entropy,
//! batch 256 and plain SGD: forward, backward and update, on the CPU and on the GPU (when an
//! adapter exists; each GPU step ends in `synchronize()`). Beside it, forward and backward alone,
//! plain and with `create_graph` (the price of recording the backward pass for higher-order
//! gradients). Run with `cargo bench --bench train`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wgrad::nn::{Activation, Mlp, Module};
use wgrad::optim::{Optimizer, Sgd};
use wgrad::{DType, Device, GradOptions, Tensor};

/// The devices to measure: the CPU, and the GPU when there is one.
fn devices() -> Vec<Device> {
    let mut devices = vec![Device::cpu()];
    match Device::gpu() {
        Ok(gpu) => devices.push(gpu),
        Err(e) => eprintln!("benchmarking the CPU only: {e}"),
    }
    devices
}

/// The spiral MLP and a batch of 256 points with labels on `device`.
fn spiral_mlp(device: &Device) -> (Mlp, Tensor, Tensor) {
    let x = Tensor::randn(&[256, 2], DType::F32, 1, &Device::cpu())
        .unwrap()
        .to(device)
        .unwrap();
    let labels: Vec<i64> = (0..256).map(|i| i % 3).collect();
    let y = Tensor::from_vec(labels, &[256], &Device::cpu())
        .unwrap()
        .to(device)
        .unwrap();
    let model = Mlp::new(&[2, 64, 64, 3], Activation::Relu, device).unwrap();
    (model, x, y)
}

/// Waits for the GPU's queued work, so that a timed iteration includes it.
fn finish(device: &Device) {
    if let Device::Gpu(gpu) = device {
        gpu.synchronize().unwrap();
    }
}

fn training_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("spiral_mlp_step_batch_256_sgd");
    group.throughput(Throughput::Elements(1)); // elements per second = steps per second
    for device in devices() {
        let (model, x, y) = spiral_mlp(&device);
        let mut sgd = Sgd::new(model.parameters(), 0.05);
        group.bench_function(device.to_string(), |bench| {
            bench.iter(|| {
                let loss = model.forward(&x).unwrap().cross_entropy(&y).unwrap();
                sgd.zero_grad();
                loss.backward().unwrap();
                sgd.step().unwrap();
                finish(&device);
                black_box(loss)
            })
        });
    }
    group.finish();
}

fn backward_plain_and_recorded(c: &mut Criterion) {
    let mut group = c.benchmark_group("spiral_mlp_forward_backward_batch_256");
    group.throughput(Throughput::Elements(1));
    for device in devices() {
        let (model, x, y) = spiral_mlp(&device);
        let parameters = model.parameters();
        for (name, options) in [
            ("plain", GradOptions::new()),
            ("create_graph", GradOptions::new().create_graph(true)),
        ] {
            group.bench_function(format!("{device}/{name}"), |bench| {
                bench.iter(|| {
                    let loss = model.forward(&x).unwrap().cross_entropy(&y).unwrap();
                    parameters.iter().for_each(|p| p.get().zero_grad());
                    loss.backward_with_options(None, &options).unwrap();
                    finish(&device);
                    black_box(loss)
                })
            });
        }
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! { name = benches; config = config(); targets = training_step, backward_plain_and_recorded }
criterion_main!(benches);
