//! A tour in one screen: build a graph, backpropagate, meet the export refusal, export for real
//! to ndarray and to a .npy file that numpy loads as it is.
//!
//! Run with `cargo run --release --example quickstart`; it writes out/quickstart/w.npy.

use wgrad::{DType, Device, Tensor, npy};

fn main() -> wgrad::Result<()> {
    let dev = Device::best();
    println!("device: {dev}");

    // A tiny linear model y = x @ w + b on seeded random data.
    let x = Tensor::randn(&[4, 3], DType::F32, 0, &dev)?;
    let target = Tensor::randn(&[4, 2], DType::F32, 1, &dev)?;
    let w = Tensor::randn(&[3, 2], DType::F32, 2, &dev)?.requires_grad()?;
    let b = Tensor::zeros(&[2], DType::F32, &dev)?.requires_grad()?;

    let prediction = x.matmul(&w)?.add(&b)?.tanh()?;
    let loss = prediction.mse_loss(&target)?;
    println!("loss = {loss}");

    loss.backward()?;
    let grad_w = w
        .grad()
        .expect("w requires grad, so backward filled its gradient");
    println!("dloss/dw = {grad_w}");

    // The export layer will not silently hand out a tensor that is part of the graph...
    match w.to_ndarray::<f32>() {
        Err(refusal) => println!("w.to_ndarray() refused: {refusal}"),
        Ok(_) => unreachable!("an attached tensor is never exported"),
    }
    // ...but a detached one is read back and copied into an ndarray of the same dtype and shape.
    let weights = w.detach().to_ndarray::<f32>()?;
    let gradient = grad_w.to_ndarray::<f32>()?;
    println!("exported w {:?}: {weights}", weights.shape());
    println!("exported dloss/dw {:?}: {gradient}", gradient.shape());

    let out = std::path::Path::new("out/quickstart");
    std::fs::create_dir_all(out).map_err(|source| wgrad::Error::Io {
        path: out.into(),
        source,
    })?;
    npy::save(out.join("w.npy"), &w.detach())?;
    println!("saved out/quickstart/w.npy: numpy reads it with np.load(\"out/quickstart/w.npy\")");
    Ok(())
}
