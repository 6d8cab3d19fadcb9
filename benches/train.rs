//! Training steps per second, forward, backward and update, on the CPU and on the GPU (when an
//! adapter exists; each GPU step ends in `synchronize()`):
//! - the spiral MLP 2-64-64-3 with ReLU, softmax cross-entropy, batch 256 and plain SGD; beside
//!   it, forward and backward alone, plain and with `create_graph` (the price of recording the
//!   backward pass for higher-order gradients);
//! - the digits CNN (batch 64 of 28x28 images) and the tiny_gpt transformer (batch 64 of 8
//!   tokens), the examples' own models, with AdamW.
//!
//! Run with `cargo bench --bench train`.

#[allow(dead_code)] // the bench builds the model only
#[path = "../examples/digits/model.rs"]
mod digits;
#[allow(dead_code)] // the bench runs training steps only
#[path = "../examples/tiny_gpt/model.rs"]
mod tiny_gpt;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wgrad::nn::{Activation, Mlp, Module};
use wgrad::optim::{AdamW, Optimizer, Sgd};
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
                device.synchronize().unwrap();
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
                    device.synchronize().unwrap();
                    black_box(loss)
                })
            });
        }
    }
    group.finish();
}

/// A batch of 64 random inputs made on the CPU (by `make`) and moved to `device`, with labels
/// below `classes`.
fn batch(
    device: &Device,
    make: impl Fn(&Device) -> Tensor,
    shape: &[usize],
    classes: i64,
) -> (Tensor, Tensor) {
    let labels: Vec<i64> = (0..shape.iter().product::<usize>() as i64)
        .map(|i| i * 7 % classes)
        .collect();
    let y = Tensor::from_vec(labels, shape, &Device::cpu()).unwrap();
    (
        make(&Device::cpu()).to(device).unwrap(),
        y.to(device).unwrap(),
    )
}

/// One AdamW step of `loss` over `model`'s parameters, timed on each device.
fn adamw_steps<M: Module>(
    c: &mut Criterion,
    group: &str,
    build: impl Fn(&Device) -> (M, Tensor, Tensor),
    loss: impl Fn(&M, &Tensor, &Tensor) -> wgrad::Result<Tensor>,
) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(1));
    for device in devices() {
        let (model, x, y) = build(&device);
        let mut adamw = AdamW::new(model.parameters(), 1e-3);
        group.bench_function(device.to_string(), |bench| {
            bench.iter(|| {
                let value = loss(&model, &x, &y).unwrap();
                adamw.zero_grad();
                value.backward().unwrap();
                adamw.step().unwrap();
                device.synchronize().unwrap();
                black_box(value)
            })
        });
    }
    group.finish();
}

fn digits_cnn_step(c: &mut Criterion) {
    adamw_steps(
        c,
        "digits_cnn_step_batch_64_adamw",
        |device| {
            let images = |d: &Device| Tensor::rand(&[64, 1, 28, 28], DType::F32, 2, d).unwrap();
            let (x, y) = batch(device, images, &[64], 10);
            (digits::cnn(device).unwrap(), x, y)
        },
        |model, x, y| model.forward(x)?.cross_entropy(y),
    );
}

fn tiny_gpt_step(c: &mut Criterion) {
    use tiny_gpt::{CONTEXT, VOCAB};
    adamw_steps(
        c,
        "tiny_gpt_step_batch_64_adamw",
        |device| {
            let vocab = VOCAB.len() as i64;
            let ids = |d: &Device| {
                let ids: Vec<i64> = (0..64 * CONTEXT as i64).map(|i| i * 5 % vocab).collect();
                Tensor::from_vec(ids, &[64, CONTEXT], d).unwrap()
            };
            let (x, y) = batch(device, ids, &[64 * CONTEXT], vocab);
            (tiny_gpt::Gpt::new(device).unwrap(), x, y)
        },
        |model, x, y| {
            let logits = model.forward(x)?;
            logits
                .reshape(&[64 * CONTEXT, VOCAB.len()])?
                .cross_entropy(y)
        },
    );
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! { name = benches; config = config(); targets = training_step, backward_plain_and_recorded, digits_cnn_step, tiny_gpt_step }
criterion_main!(benches);
