//! Fits y = 3x - 2 + noise with one Linear layer and plain SGD, and recovers both parameters.
//!
//! `cargo run --release --example linear_regression -- [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]`
//! Writes model.npz (weight and bias) and loss.npy to --out (default out/linear_regression).

mod common;

use wgrad::nn::{Linear, Module, save_state_dict};
use wgrad::optim::Sgd;
use wgrad::{DType, Device, Tensor, npy};

fn main() -> wgrad::Result<()> {
    let args = common::Args::parse("linear_regression", 500);
    let dev = &args.device;
    let n = 256;
    let cpu = Device::cpu();
    let x = Tensor::rand(&[n, 1], DType::F32, args.seed, &cpu)?
        .mul_scalar(4.0)?
        .add_scalar(-2.0)?;
    let noise = Tensor::randn(&[n, 1], DType::F32, args.seed + 1, &cpu)?.mul_scalar(0.1)?;
    let y = x.mul_scalar(3.0)?.add_scalar(-2.0)?.add(&noise)?;
    let (x, y) = (x.to(dev)?, y.to(dev)?);
    let model = Linear::new(1, 1, dev)?;
    let mut optimizer = Sgd::new(model.parameters(), 0.1);
    let (losses, rate) = common::train(
        args.steps,
        &mut optimizer,
        common::Extras::default(),
        |_| model.forward(&x)?.mse_loss(&y),
        None,
    )?;
    save_state_dict(args.out.join("model.npz"), &model)?;
    npy::save(args.out.join("loss.npy"), &losses)?;
    let (w, b) = (
        model.weight.get().detach().item::<f32>()?,
        model.bias.get().detach().item::<f32>()?,
    );
    println!("final: weight {w:.4} (true 3), bias {b:.4} (true -2), {rate:.0} steps/s on {dev}");
    Ok(())
}
