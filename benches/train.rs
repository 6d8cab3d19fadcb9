//! Training steps per second for the spiral MLP 2-64-64-3 with ReLU, softmax cross-entropy,
//! batch 256 and plain SGD: forward, backward and update, on the CPU and on the GPU (when an
//! adapter exists; each GPU step ends in `synchronize()`). Run with `cargo bench --bench train`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wgrad::nn::{Activation, Mlp, Module};
use wgrad::optim::{Optimizer, Sgd};
use wgrad::{DType, Device, Tensor};

fn training_step(c: &mut Criterion) {
    let mut devices = vec![Device::cpu()];
    match Device::gpu() {
        Ok(gpu) => devices.push(gpu),
        Err(e) => eprintln!("benchmarking the CPU only: {e}"),
    }
    let mut group = c.benchmark_group("spiral_mlp_step_batch_256_sgd");
    group.throughput(Throughput::Elements(1)); // elements per second = steps per second
    for device in devices {
        let x = Tensor::randn(&[256, 2], DType::F32, 1, &Device::cpu())
            .unwrap()
            .to(&device)
            .unwrap();
        let labels: Vec<i64> = (0..256).map(|i| i % 3).collect();
        let y = Tensor::from_vec(labels, &[256], &Device::cpu())
            .unwrap()
            .to(&device)
            .unwrap();
        let model = Mlp::new(&[2, 64, 64, 3], Activation::Relu, 0, &device).unwrap();
        let mut sgd = Sgd::new(model.parameters(), 0.05);
        group.bench_function(device.to_string(), |bench| {
            bench.iter(|| {
                let loss = model.forward(&x).unwrap().cross_entropy(&y).unwrap();
                sgd.zero_grad();
                loss.backward().unwrap();
                sgd.step().unwrap();
                if let Device::Gpu(gpu) = &device {
                    gpu.synchronize().unwrap();
                }
                black_box(loss)
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! { name = benches; config = config(); targets = training_step }
criterion_main!(benches);
