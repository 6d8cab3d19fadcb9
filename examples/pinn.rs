//! A physics-informed network: an MLP u(x) learns the solution of the boundary-value problem
//! u''(x) = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0, from the equation alone. It never sees
//! the solution, sin(pi x): its loss is the equation's residual, with u'' computed by wgrad's
//! second derivatives, plus the boundary conditions.
//!
//! `cargo run --release --example pinn -- [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]`
//!
//! Writes to --out (default out/pinn): x.npy (f32, the 101-point grid on [0, 1]), u.npy (the
//! network's u on it), exact.npy (sin(pi x)), residual.npy (u'' + pi^2 sin(pi x) on the grid),
//! loss.npy (one value per step), model.npz (the state dict) and pinn.png: u (blue) over the
//! exact solution (thick grey), the residual on the grid (red), and the loss curve.

mod common;

use std::f64::consts::PI;

use common::plot::{self, Area};
use plotters::prelude::*;
use wgrad::nn::{Activation, Mlp, Module, save_state_dict};
use wgrad::optim::{Adam, CosineLr};
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
        "pinn: u'' = -pi^2 sin(pi x), u(0) = u(1) = 0; MLP 1-32-32-1 (tanh), Adam + cosine schedule, {} steps on {dev}",
        args.steps
    );
    let (x, forcing) = points(POINTS, dev)?;
    let ends = Tensor::from_vec(vec![0.0f32, 1.0], &[2, 1], dev)?;
    let model = Mlp::new(&[1, 32, 32, 1], Activation::Tanh, dev)?;
    let mut optimizer = Adam::new(model.parameters(), 0.005);
    // Decayed to a hundredth by the end: at a constant rate Adam's steps keep kicking the
    // solution out of its minimum (the loss spikes now and then), so where training stops
    // would decide the error.
    let schedule = CosineLr {
        base: 0.005,
        min: 5e-5,
        warmup: 0,
        total: args.steps,
    };
    let loss = |_| {
        let equation = residual(&model, &x, &forcing)?.pow(2.0)?.mean()?;
        let boundary = model.forward(&ends)?.pow(2.0)?.mean()?;
        equation.add(&boundary.mul_scalar(100.0)?)
    };
    let (loss_curve, rate) = common::train(
        args.steps,
        &mut optimizer,
        common::Extras {
            schedule: Some(&schedule),
            clip: None,
        },
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
    let wide = |a: &ndarray::ArrayD<f32>| a.iter().map(|&v| f64::from(v)).collect::<Vec<_>>();
    let losses = loss_curve.to_ndarray::<f32>()?;
    let drawn = plot::picture(&out("pinn.png"), (1500, 500), |root| {
        let losses = losses.as_slice().unwrap_or_default();
        draw(
            root,
            &wide(&x_host),
            &wide(&u_host),
            &wide(&exact),
            &wide(&residual_host),
            losses,
        )
    })?;
    println!(
        "final: loss {:.3e}, max error {max_error:.2e} against sin(pi x), max residual \
         {max_residual:.2e}, {rate:.0} steps/s on {dev}; wrote x.npy, u.npy, exact.npy, \
         residual.npy, loss.npy, model.npz{} to {}",
        loss_curve.narrow(0, args.steps - 1, 1)?.item::<f32>()?,
        if drawn { ", pinn.png" } else { "" },
        args.out.display()
    );
    Ok(())
}

/// Left: u and the exact solution. Middle: the residual on the grid. Right: the loss curve.
fn draw(
    root: &Area,
    x: &[f64],
    u: &[f64],
    exact: &[f64],
    residual: &[f64],
    losses: &[f32],
) -> Result<(), String> {
    let panels = root.split_evenly((1, 3));
    let grey = RGBColor(170, 170, 170);
    let mut solution = ChartBuilder::on(&panels[0])
        .caption(
            "u(x): network (blue) and sin(pi x) (grey)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..1f64, -0.1f64..1.1f64)
        .map_err(|e| e.to_string())?;
    solution
        .configure_mesh()
        .x_desc("x")
        .y_desc("u")
        .draw()
        .map_err(|e| e.to_string())?;
    let along = |ys: &[f64]| {
        x.iter()
            .copied()
            .zip(ys.iter().copied())
            .collect::<Vec<_>>()
    };
    solution
        .draw_series(LineSeries::new(along(exact), grey.stroke_width(6)))
        .map_err(|e| e.to_string())?;
    solution
        .draw_series(LineSeries::new(along(u), BLUE.stroke_width(2)))
        .map_err(|e| e.to_string())?;
    let largest = residual.iter().fold(1e-12f64, |m, r| m.max(r.abs())) * 1.1;
    let mut errors = ChartBuilder::on(&panels[1])
        .caption("residual u'' + pi^2 sin(pi x)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..1f64, -largest..largest)
        .map_err(|e| e.to_string())?;
    errors
        .configure_mesh()
        .x_desc("x")
        .y_desc("residual")
        .y_label_formatter(&|v| format!("{v:.1e}"))
        .draw()
        .map_err(|e| e.to_string())?;
    errors
        .draw_series(LineSeries::new(along(residual), RED.stroke_width(2)))
        .map_err(|e| e.to_string())?;
    plot::loss_curve(&panels[2], losses, "training loss")
}
