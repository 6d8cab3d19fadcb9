//! What the training examples share: their command line, the device choice, the progress line.
#![allow(dead_code)] // each example uses its own subset

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use wgrad::{Device, Tensor};

/// `--device cpu|gpu`, `--out DIR`, `--steps N`, `--seed S`.
pub struct Args {
    pub device: Device,
    pub out: PathBuf,
    pub steps: usize,
    pub seed: u64,
}

impl Args {
    /// Parses the command line, exiting with a usage message on a bad flag.
    pub fn parse(example: &str, default_steps: usize) -> Args {
        let usage = |problem: &str| -> ! {
            eprintln!("{example}: {problem}");
            eprintln!("usage: {example} [--device cpu|gpu] [--out DIR] [--steps N] [--seed S]");
            std::process::exit(2)
        };
        let mut args = Args {
            device: Device::best(),
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
                "--device" => {
                    args.device = match value.as_str() {
                        "cpu" => Device::cpu(),
                        "gpu" => Device::gpu().unwrap_or_else(|e| usage(&e.to_string())),
                        other => usage(&format!("unknown device {other:?}")),
                    }
                }
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
        args
    }
}

/// The fraction of rows whose largest logit is the label's.
pub fn accuracy(logits: &Tensor, labels: &Tensor) -> wgrad::Result<f64> {
    let correct = logits.argmax(1, false)?.eq(labels)?.sum()?.item::<i64>()?;
    Ok(correct as f64 / labels.numel() as f64)
}

/// A progress line rewritten in place: step, loss, accuracy, steps per second.
pub struct Progress {
    start: Instant,
    steps: usize,
}

impl Progress {
    pub fn new(steps: usize) -> Progress {
        Progress {
            start: Instant::now(),
            steps,
        }
    }

    pub fn show(&self, step: usize, loss: f64, accuracy: Option<f64>) {
        let rate = step as f64 / self.start.elapsed().as_secs_f64();
        let accuracy = accuracy.map_or(String::new(), |a| format!("  accuracy {:5.1}%", 100.0 * a));
        print!(
            "\rstep {step:>5}/{}  loss {loss:.4}{accuracy}  {rate:>7.0} steps/s",
            self.steps
        );
        let _ = std::io::stdout().flush();
    }

    pub fn done(&self) -> f64 {
        println!();
        self.steps as f64 / self.start.elapsed().as_secs_f64()
    }
}
