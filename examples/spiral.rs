//! The main example: an MLP 2-64-64-3 with ReLU learns the 3-class spiral (300 points a class)
//! with Adam, then exports what it learned and draws it.
//!
//! `cargo run --release --example spiral -- [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]`
//!
//! Writes to --out (default out/spiral): model.npz (the state dict), loss.npy (f32, one value per
//! step), data_x.npy (f32, N x 2), data_y.npy (i64 labels), pred.npy (i64 predicted classes) and
//! spiral.png (the decision regions with the points, and the loss curve).

mod common;

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
    draw(
        &args.out.join("spiral.png"),
        &model,
        &x_host,
        &y_host,
        &loss_curve,
        dev,
    )?;
    println!(
        "final: loss {:.4}, training accuracy {:.1}%, {rate:.0} steps/s on {dev}; wrote model.npz, \
         loss.npy, data_x.npy, data_y.npy, pred.npy and spiral.png to {}",
        loss_curve.narrow(0, args.steps - 1, 1)?.item::<f32>()?,
        100.0 * accuracy,
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
    path: &std::path::Path,
    model: &Mlp,
    x: &Tensor,
    y: &Tensor,
    losses: &Tensor,
    dev: &Device,
) -> wgrad::Result<()> {
    const SIZE: u32 = 500;
    const GRID: usize = 200;
    let plot_error = |e: String| wgrad::Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    let span = |i: usize| -1.1 + 2.2 * (i as f32 + 0.5) / GRID as f32;
    let grid: Vec<f32> = (0..GRID * GRID)
        .flat_map(|k| [span(k % GRID), -span(k / GRID)])
        .collect();
    let grid = Tensor::from_vec(grid, &[GRID * GRID, 2], &Device::cpu())?.to(dev)?;
    let regions = no_grad(|| model.forward(&grid))?
        .argmax(1, false)?
        .to_ndarray::<i64>()?;

    let root = BitMapBackend::new(path, (2 * SIZE, SIZE)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(e.to_string()))?;
    let (left, right) = root.split_horizontally(SIZE);
    let cell = SIZE as f32 / GRID as f32;
    for (k, &class) in regions.iter().enumerate() {
        let (col, row) = ((k % GRID) as f32 * cell, (k / GRID) as f32 * cell);
        let corners = [
            (col as i32, row as i32),
            ((col + cell).ceil() as i32, (row + cell).ceil() as i32),
        ];
        left.draw(&Rectangle::new(corners, PALE[class as usize].filled()))
            .map_err(|e| plot_error(e.to_string()))?;
    }
    let to_pixel = |v: f32| ((v + 1.1) / 2.2 * SIZE as f32) as i32;
    let (points, labels) = (x.to_ndarray::<f32>()?, y.to_ndarray::<i64>()?);
    for (i, &label) in labels.iter().enumerate() {
        let centre = (to_pixel(points[[i, 0]]), to_pixel(-points[[i, 1]]));
        left.draw(&Circle::new(centre, 3, STRONG[label as usize].filled()))
            .map_err(|e| plot_error(e.to_string()))?;
    }
    let losses = losses.to_ndarray::<f32>()?;
    let logs: Vec<f32> = losses.iter().map(|l| l.max(1e-6).ln()).collect();
    let (low, high) = logs
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &l| (lo.min(l), hi.max(l)));
    let margin = 20.0;
    let curve: Vec<(i32, i32)> = logs
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            let px =
                margin + (SIZE as f32 - 2.0 * margin) * i as f32 / (logs.len().max(2) - 1) as f32;
            let py = margin + (SIZE as f32 - 2.0 * margin) * (high - l) / (high - low).max(1e-6);
            (px as i32, py as i32)
        })
        .collect();
    let frame = [
        (margin as i32, margin as i32),
        ((SIZE as f32 - margin) as i32, (SIZE as f32 - margin) as i32),
    ];
    right
        .draw(&Rectangle::new(frame, BLACK.stroke_width(1)))
        .map_err(|e| plot_error(e.to_string()))?;
    right
        .draw(&PathElement::new(curve, BLUE.stroke_width(2)))
        .map_err(|e| plot_error(e.to_string()))?;
    root.present().map_err(|e| plot_error(e.to_string()))
}
