//! A physics-informed network: an MLP u(x) learns the solution of the boundary-value problem
//! u''(x) = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0, from the equation alone. It never sees
//! the solution, sin(pi x): its loss is the equation's residual, with u'' computed by wgrad's
//! second derivatives, plus the boundary conditions.
//!
//! `cargo run --release --example pinn -- [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]`
//!
//! Writes to --out (default out/pinn): x.npy (f32, the 101-point grid on [0, 1]), u.npy (the
//! network's u on it), exact.npy (sin(pi x)), residual.npy (u'' + pi^2 sin(pi x) on the grid),
//! loss.npy (one value per step), model.npz (the state dict) and pinn.png: on the left u (blue) over the exact solution
//! (thick grey) on [0, 1] x [-0.1, 1.1]; on the right the residual on the grid (red) around the
//! zero line, scaled to its largest magnitude.

mod common;

use std::f64::consts::PI;

use plotters::prelude::*;
use wgrad::nn::{Activation, Mlp, Module, save_state_dict};
use wgrad::optim::Adam;
use wgrad::{Device, GradOptions, Tensor, grad, npy};

/// Collocation points where the equation is enforced, and the grid u is evaluated on.
const POINTS: usize = 64;
const GRID: usize = 101;

/// du/dx at every point, recorded so that it can be differentiated again. Each u[i] depends on
/// x[i] alone, so the vector-Jacobian product with ones is the pointwise derivative.
fn derivative(u: &Tensor, x: &Tensor) -> wgrad::Result<Tensor> {
    let ones = Tensor::full(u.shape(), 1.0, u.dtype(), &u.device())?;
    let options = GradOptions::new().create_graph(true);
    let du = grad(&[u], &[x], Some(&[&ones]), &options)?.remove(0);
    du.ok_or_else(|| wgrad::Error::Internal("u does not depend on x".into()))
}

/// u'' - f at the points `x` (a [n, 1] tensor), where f(x) = -pi^2 sin(pi x) is `forcing`.
fn residual(model: &Mlp, x: &Tensor, forcing: &Tensor) -> wgrad::Result<Tensor> {
    let x = x.detach().requires_grad()?;
    let u = model.forward(&x)?;
    derivative(&derivative(&u, &x)?, &x)?.sub(forcing)
}

/// `n` points evenly spaced on [0, 1] as a [n, 1] f32 tensor, and -pi^2 sin(pi x) at them.
fn points(n: usize, device: &Device) -> wgrad::Result<(Tensor, Tensor)> {
    let x: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
    let f: Vec<f32> = x
        .iter()
        .map(|x| (-PI * PI * (PI * x).sin()) as f32)
        .collect();
    let x: Vec<f32> = x.iter().map(|&x| x as f32).collect();
    Ok((
        Tensor::from_vec(x, &[n, 1], device)?,
        Tensor::from_vec(f, &[n, 1], device)?,
    ))
}

fn main() -> wgrad::Result<()> {
    let args = common::Args::parse("pinn", 3000);
    let dev = &args.device;
    println!(
        "pinn: u'' = -pi^2 sin(pi x), u(0) = u(1) = 0; MLP 1-32-32-1 (tanh), Adam, {} steps on {dev}",
        args.steps
    );
    let (x, forcing) = points(POINTS, dev)?;
    let ends = Tensor::from_vec(vec![0.0f32, 1.0], &[2, 1], dev)?;
    let model = Mlp::new(&[1, 32, 32, 1], Activation::Tanh, dev)?;
    let mut optimizer = Adam::new(model.parameters(), 0.005);
    let loss = |_| {
        let equation = residual(&model, &x, &forcing)?.pow(2.0)?.mean()?;
        let boundary = model.forward(&ends)?.pow(2.0)?.mean()?;
        equation.add(&boundary.mul_scalar(100.0)?)
    };
    let (loss_curve, rate) = common::train(
        args.steps,
        &mut optimizer,
        common::Extras::default(),
        loss,
        None,
    )?;

    let (grid, grid_forcing) = points(GRID, dev)?;
    let u = model.forward(&grid)?.detach();
    let grid_residual = residual(&model, &grid, &grid_forcing)?.detach();
    let (x_host, u_host) = (grid.to_ndarray::<f32>()?, u.to_ndarray::<f32>()?);
    let exact = x_host.mapv(|x| (PI * f64::from(x)).sin() as f32);
    let max_error = u_host
        .iter()
        .zip(&exact)
        .map(|(u, e)| (u - e).abs())
        .fold(0.0f32, f32::max);
    let residual_host = grid_residual.to_ndarray::<f32>()?;
    let max_residual = residual_host.iter().fold(0.0f32, |m, r| m.max(r.abs()));
    let out = |name: &str| args.out.join(name);
    npy::save(out("x.npy"), &grid)?;
    npy::save(out("u.npy"), &u)?;
    npy::save(
        out("exact.npy"),
        &Tensor::from_ndarray(&exact, &Device::cpu())?,
    )?;
    npy::save(out("residual.npy"), &grid_residual)?;
    npy::save(out("loss.npy"), &loss_curve)?;
    save_state_dict(out("model.npz"), &model)?;
    draw(
        &out("pinn.png"),
        &x_host.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(),
        &u_host.iter().map(|&u| f64::from(u)).collect::<Vec<_>>(),
        &exact.iter().map(|&e| f64::from(e)).collect::<Vec<_>>(),
        &residual_host
            .iter()
            .map(|&r| f64::from(r))
            .collect::<Vec<_>>(),
    )?;
    println!(
        "final: loss {:.3e}, max error {max_error:.2e} against sin(pi x), max residual \
         {max_residual:.2e}, {rate:.0} steps/s on {dev}; wrote x.npy, u.npy, exact.npy, \
         residual.npy, loss.npy, model.npz and pinn.png to {}",
        loss_curve.narrow(0, args.steps - 1, 1)?.item::<f32>()?,
        args.out.display()
    );
    Ok(())
}

/// Left: u and the exact solution on [0, 1] x [-0.1, 1.1]. Right: the residual on the grid,
/// around its zero line.
fn draw(
    path: &std::path::Path,
    x: &[f64],
    u: &[f64],
    exact: &[f64],
    residual: &[f64],
) -> wgrad::Result<()> {
    const SIZE: u32 = 500;
    const MARGIN: f64 = 20.0;
    let plot_error = |e: String| wgrad::Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    // Pixel coordinates of (x, y) in a panel whose y axis spans low..high.
    let pixel = |x: f64, y: f64, (low, high): (f64, f64)| {
        let span = f64::from(SIZE) - 2.0 * MARGIN;
        let py = MARGIN + span * (high - y) / (high - low);
        ((MARGIN + span * x) as i32, py as i32)
    };
    let line = |ys: &[f64], range| -> Vec<(i32, i32)> {
        x.iter()
            .zip(ys)
            .map(|(&x, &y)| pixel(x, y, range))
            .collect()
    };
    let root = BitMapBackend::new(path, (2 * SIZE, SIZE)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(e.to_string()))?;
    let (left, right) = root.split_horizontally(SIZE);
    let frame = [
        (MARGIN as i32, MARGIN as i32),
        (
            (f64::from(SIZE) - MARGIN) as i32,
            (f64::from(SIZE) - MARGIN) as i32,
        ),
    ];
    let solution_range = (-0.1, 1.1);
    let largest = residual.iter().fold(1e-12f64, |m, r| m.max(r.abs()));
    let residual_range = (-1.1 * largest, 1.1 * largest);
    let grey = RGBColor(170, 170, 170);
    for (panel, range) in [(&left, solution_range), (&right, residual_range)] {
        panel
            .draw(&Rectangle::new(frame, BLACK.stroke_width(1)))
            .map_err(|e| plot_error(e.to_string()))?;
        let zero = vec![pixel(0.0, 0.0, range), pixel(1.0, 0.0, range)];
        panel
            .draw(&PathElement::new(zero, grey.stroke_width(1)))
            .map_err(|e| plot_error(e.to_string()))?;
    }
    let curves = [
        (&left, line(exact, solution_range), grey.stroke_width(6)),
        (&left, line(u, solution_range), BLUE.stroke_width(2)),
        (&right, line(residual, residual_range), RED.stroke_width(2)),
    ];
    for (panel, points, style) in curves {
        panel
            .draw(&PathElement::new(points, style))
            .map_err(|e| plot_error(e.to_string()))?;
    }
    root.present().map_err(|e| plot_error(e.to_string()))
}
