//! The main example: an MLP 2-64-64-3 with ReLU learns the 3-class spiral (300 points a class)
//! with Adam, then exports what it learned and draws it.
//!
//! `cargo run --release --example spiral -- [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]`
//!
//! Writes to --out (default out/spiral): model.npz (the state dict), loss.npy (f32, one value per
//! step), data_x.npy (f32, N x 2), data_y.npy (i64 labels), pred.npy (i64 predicted classes) and
//! spiral.png (the decision regions with the points, and the loss curve).

mod common;

use common::plot::{self, Area};
use plotters::prelude::*;
use wgrad::nn::{Activation, Mlp, Module, save_state_dict};
use wgrad::optim::Adam;
use wgrad::{DType, Device, Tensor, no_grad, npy};

const CLASSES: usize = 3;
const PER_CLASS: usize = 300;

/// CS231n's spiral: class k's points sweep the angle 4k..4(k+1) as the radius grows to 1.
fn spiral(seed: u64) -> wgrad::Result<(Tensor, Tensor)> {
    let n = CLASSES * PER_CLASS;
    let noise = Tensor::randn(&[n], DType::F64, seed, &Device::cpu())?.to_ndarray::<f64>()?;
    let mut points = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for class in 0..CLASSES {
        for i in 0..PER_CLASS {
            let r = i as f64 / (PER_CLASS - 1) as f64;
            let t = 4.0 * class as f64 + 4.0 * r + 0.2 * noise[class * PER_CLASS + i];
            points.extend([(r * t.sin()) as f32, (r * t.cos()) as f32]);
            labels.push(class as i64);
        }
    }
    Ok((
        Tensor::from_vec(points, &[n, 2], &Device::cpu())?,
        Tensor::from_vec(labels, &[n], &Device::cpu())?,
    ))
}

fn main() -> wgrad::Result<()> {
    let args = common::Args::parse("spiral", 1000);
    let dev = &args.device;
    println!(
        "spiral: MLP 2-64-64-3 (ReLU), Adam, {} steps on {dev}",
        args.steps
    );
    let (x_host, y_host) = spiral(args.seed)?;
    let (x, y) = (x_host.to(dev)?, y_host.to(dev)?);
    let model = Mlp::new(&[2, 64, 64, CLASSES], Activation::Relu, dev)?;
    let mut optimizer = Adam::new(model.parameters(), 0.01);
    let accuracy = || common::accuracy(&model.forward(&x)?, &y);
    let (loss_curve, rate) = common::train(
        args.steps,
        &mut optimizer,
        common::Extras::default(),
        |_| model.forward(&x)?.cross_entropy(&y),
        Some(&accuracy),
    )?;

    let logits = no_grad(|| model.forward(&x))?;
    let accuracy = common::accuracy(&logits, &y)?;
    save_state_dict(args.out.join("model.npz"), &model)?;
    npy::save(args.out.join("loss.npy"), &loss_curve)?;
    npy::save(args.out.join("data_x.npy"), &x_host)?;
    npy::save(args.out.join("data_y.npy"), &y_host)?;
    npy::save(args.out.join("pred.npy"), &logits.argmax(1, false)?)?;
    let drawn = plot::picture(&args.out.join("spiral.png"), (1120, 560), |root| {
        draw(root, &model, &x_host, &y_host, &loss_curve, dev)
    })?;
    println!(
        "final: loss {:.4}, training accuracy {:.1}%, {rate:.0} steps/s on {dev}; wrote model.npz, \
         loss.npy, data_x.npy, data_y.npy, pred.npy{} to {}",
        loss_curve.narrow(0, args.steps - 1, 1)?.item::<f32>()?,
        100.0 * accuracy,
        if drawn { ", spiral.png" } else { "" },
        args.out.display()
    );
    Ok(())
}

const PALE: [RGBColor; CLASSES] = [
    RGBColor(255, 214, 204),
    RGBColor(204, 230, 255),
    RGBColor(214, 245, 214),
];
const STRONG: [RGBColor; CLASSES] = [
    RGBColor(214, 60, 40),
    RGBColor(30, 110, 200),
    RGBColor(40, 150, 60),
];

/// Left: the class the model predicts over [-1.1, 1.1]^2, with the data on top. Right: the loss
/// per step (log scale).
fn draw(
    root: &Area,
    model: &Mlp,
    x: &Tensor,
    y: &Tensor,
    losses: &Tensor,
    dev: &Device,
) -> Result<(), String> {
    const GRID: usize = 200;
    let fail = |e: wgrad::Error| e.to_string();
    let span = |i: usize| -1.1 + 2.2 * (i as f32 + 0.5) / GRID as f32;
    let grid: Vec<f32> = (0..GRID * GRID)
        .flat_map(|k| [span(k % GRID), span(k / GRID)])
        .collect();
    let regions = Tensor::from_vec(grid, &[GRID * GRID, 2], &Device::cpu())
        .and_then(|grid| grid.to(dev))
        .and_then(|grid| no_grad(|| model.forward(&grid)))
        .and_then(|logits| logits.argmax(1, false)?.to_ndarray::<i64>())
        .map_err(fail)?;
    let (left, right) = root.split_horizontally(560);
    let mut chart = ChartBuilder::on(&left)
        .caption(
            "predicted class (background) and training points",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(-1.1f32..1.1f32, -1.1f32..1.1f32)
        .map_err(|e| e.to_string())?;
    let cell = 2.2 / GRID as f32;
    chart
        .draw_series(regions.iter().enumerate().map(|(k, &class)| {
            let (x0, y0) = (span(k % GRID) - cell / 2.0, span(k / GRID) - cell / 2.0);
            Rectangle::new(
                [(x0, y0), (x0 + cell, y0 + cell)],
                PALE[class as usize].filled(),
            )
        }))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("x1")
        .y_desc("x2")
        .draw()
        .map_err(|e| e.to_string())?;
    let (points, labels) = (
        x.to_ndarray::<f32>().map_err(fail)?,
        y.to_ndarray::<i64>().map_err(fail)?,
    );
    chart
        .draw_series(labels.iter().enumerate().map(|(i, &label)| {
            Circle::new(
                (points[[i, 0]], points[[i, 1]]),
                3,
                STRONG[label as usize].filled(),
            )
        }))
        .map_err(|e| e.to_string())?;
    let losses = losses.to_ndarray::<f32>().map_err(fail)?;
    plot::loss_curve(
        &right,
        losses.as_slice().unwrap_or_default(),
        "training loss",
    )
}
