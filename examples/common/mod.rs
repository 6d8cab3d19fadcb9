//! What the training examples share: their command line, the device choice, the progress line.
#![allow(dead_code)] // each example uses its own subset

pub mod plot;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use wgrad::data::DataLoader;
use wgrad::nn::Parameter;
use wgrad::optim::{LrSchedule, Optimizer, clip_grad_norm};
use wgrad::{Device, Tensor, no_grad};

/// `--device cpu|gpu`, `--out DIR`, `--steps N`, `--seed S`. The seed restarts the default
/// generator, so it fixes the whole run: data, initial weights, dropout, shuffles.
pub struct Args {
    pub device: Device,
    pub out: PathBuf,
    pub steps: usize,
    pub seed: u64,
}

impl Args {
    /// Parses the command line, exiting with a usage message on a bad flag. The device is
    /// chosen after every flag is read, so `--device cpu` never starts a GPU driver.
    pub fn parse(example: &str, default_steps: usize) -> Args {
        let usage = |problem: &str| -> ! {
            eprintln!("{example}: {problem}");
            eprintln!("usage: {example} [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]");
            std::process::exit(2)
        };
        let mut device = None;
        let mut args = Args {
            device: Device::cpu(),
            out: PathBuf::from("out").join(example),
            steps: default_steps,
            seed: 0,
        };
        let mut words = std::env::args().skip(1);
        while let Some(flag) = words.next() {
            let value = words
                .next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
            match flag.as_str() {
                "--device" if ["cpu", "gpu"].contains(&value.as_str()) => device = Some(value),
                "--device" => usage(&format!("unknown device {value:?}")),
                "--out" => args.out = PathBuf::from(value),
                "--steps" => {
                    args.steps = value
                        .parse()
                        .unwrap_or_else(|_| usage("--steps takes a number"))
                }
                "--seed" => {
                    args.seed = value
                        .parse()
                        .unwrap_or_else(|_| usage("--seed takes a number"))
                }
                other => usage(&format!("unknown flag {other}")),
            }
        }
        if let Err(e) = std::fs::create_dir_all(&args.out) {
            usage(&format!("cannot create {}: {e}", args.out.display()));
        }
        args.device = match device.as_deref() {
            Some("cpu") => Device::cpu(),
            Some(_) => Device::gpu().unwrap_or_else(|e| usage(&e.to_string())),
            None => Device::best(),
        };
        wgrad::manual_seed(args.seed);
        args
    }
}

/// The fraction of rows whose largest logit is the label's.
pub fn accuracy(logits: &Tensor, labels: &Tensor) -> wgrad::Result<f64> {
    let correct = logits.argmax(1, false)?.eq(labels)?.sum()?.item::<i64>()?;
    Ok(correct as f64 / labels.numel() as f64)
}

/// How the optimiser steps besides its own rule: a learning-rate schedule, and a largest
/// gradient norm for the given parameters.
#[derive(Default)]
pub struct Extras<'a> {
    pub schedule: Option<&'a dyn LrSchedule>,
    pub clip: Option<(&'a [Parameter], f64)>,
}

/// Runs `steps` optimisation steps of the loss `loss(step)` computes, with a progress line
/// rewritten in place every 50 steps (step, loss, `accuracy()` if given, steps per second).
/// Returns the loss of every step as an f32 vector on the CPU, and the steps per second.
pub fn train(
    steps: usize,
    optimizer: &mut impl Optimizer,
    extras: Extras<'_>,
    mut loss: impl FnMut(usize) -> wgrad::Result<Tensor>,
    accuracy: Option<&dyn Fn() -> wgrad::Result<f64>>,
) -> wgrad::Result<(Tensor, f64)> {
    let start = Instant::now();
    let mut losses = Vec::with_capacity(steps);
    for step in 1..=steps {
        if let Some(schedule) = extras.schedule {
            optimizer.set_lr(schedule.lr(step - 1));
        }
        let value = loss(step - 1)?;
        optimizer.zero_grad();
        value.backward()?;
        if let Some((parameters, max_norm)) = extras.clip {
            clip_grad_norm(parameters, max_norm)?;
        }
        optimizer.step()?;
        losses.push(value.detach().reshape(&[1])?);
        // Reading the loss makes the host wait for the GPU: only now and then.
        if step % 50 == 0 || step == steps {
            let rate = step as f64 / start.elapsed().as_secs_f64();
            let shown = match accuracy {
                Some(accuracy) => format!("  accuracy {:5.1}%", 100.0 * no_grad(accuracy)?),
                None => String::new(),
            };
            let current = value.detach().item::<f32>()?;
            // Small losses (a PINN's) in scientific notation, so that they do not read as 0.
            let current = if current.abs() >= 1e-3 {
                format!("{current:.4}")
            } else {
                format!("{current:.3e}")
            };
            print!("\rstep {step:>5}/{steps}  loss {current}{shown}  {rate:>7.0} steps/s");
            let _ = std::io::stdout().flush();
        }
    }
    println!();
    let rate = steps as f64 / start.elapsed().as_secs_f64();
    Ok((
        Tensor::cat(&losses.iter().collect::<Vec<_>>(), 0)?.to(&Device::cpu())?,
        rate,
    ))
}

/// The loader's batches epoch after epoch, for training by steps rather than epochs.
pub fn endless(loader: &DataLoader) -> impl Iterator<Item = wgrad::Result<Vec<Tensor>>> + '_ {
    (0..).flat_map(|epoch| -> Box<dyn Iterator<Item = _>> {
        match loader.batches(epoch) {
            Ok(batches) => Box::new(batches),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    })
}
