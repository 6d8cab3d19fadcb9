//! A 2-layer MLP (2-8-2, tanh) learns XOR, the classic function no single linear layer can.
//!
//! `cargo run --release --example xor -- [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]`
//! Writes model.npz and loss.npy to --out (default out/xor).

mod common;

use wgrad::nn::{Activation, Mlp, Module, save_state_dict};
use wgrad::optim::Adam;
use wgrad::{Device, Tensor, no_grad, npy};

fn main() -> wgrad::Result<()> {
    let args = common::Args::parse("xor", 300);
    let dev = &args.device;
    let x = Tensor::from_vec(
        vec![0.0f32, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0],
        &[4, 2],
        &Device::cpu(),
    )?
    .to(dev)?;
    let y = Tensor::from_vec(vec![0i64, 1, 1, 0], &[4], &Device::cpu())?.to(dev)?;
    let model = Mlp::new(&[2, 8, 2], Activation::Tanh, dev)?;
    let mut optimizer = Adam::new(model.parameters(), 0.05);
    let accuracy = || common::accuracy(&model.forward(&x)?, &y);
    let (losses, rate) = common::train(
        args.steps,
        &mut optimizer,
        common::Extras::default(),
        |_| model.forward(&x)?.cross_entropy(&y),
        Some(&accuracy),
    )?;
    let logits = no_grad(|| model.forward(&x))?;
    let predictions = logits.argmax(1, false)?.to_ndarray::<i64>()?;
    save_state_dict(args.out.join("model.npz"), &model)?;
    npy::save(args.out.join("loss.npy"), &losses)?;
    println!(
        "final: predictions {:?} for inputs (0,0) (0,1) (1,0) (1,1), training accuracy {:.1}%, {rate:.0} steps/s on {dev}",
        predictions.as_slice().unwrap_or_default(),
        100.0 * common::accuracy(&logits, &y)?
    );
    Ok(())
}
