//! Optimizers, learning-rate schedules and gradient clipping. Each step computes new parameter
//! values with tensor ops under `no_grad`, on the device where the parameters live: no host
//! round-trip per step. An optimizer's state (step count, learning rate, moments) saves to and
//! loads from `.npz`, so a run resumes exactly.

mod adam;
mod clip;
mod schedule;
mod sgd;
mod state;

pub use adam::{Adam, AdamOptimizer, AdamW};
pub use clip::{clip_grad_norm, clip_grad_value};
pub use schedule::{CosineLr, LinearLr, LrSchedule, StepLr};
pub use sgd::Sgd;
pub use state::{load_state, save_state};

use crate::error::Result;
use crate::nn::Parameter;
use crate::tensor::Tensor;

/// Something that updates parameters from their gradients.
pub trait Optimizer {
    /// Applies one update to every parameter that has a gradient.
    fn step(&mut self) -> Result<()>;

    /// Clears every parameter's gradient.
    fn zero_grad(&self);

    /// The learning rate of the next step.
    fn lr(&self) -> f64;

    /// Sets the learning rate of the next steps (what a schedule does every step).
    fn set_lr(&mut self, lr: f64);

    /// Everything a resumed run needs, by name: `step`, `lr`, and per parameter `{i}.{name}`
    /// for each running tensor (`0.exp_avg`), detached. [`save_state`] writes it to `.npz`.
    fn state(&self) -> Vec<(String, Tensor)>;

    /// Restores what [`Optimizer::state`] gave, all or nothing: a missing, unexpected or
    /// misshaped entry is an error and the optimizer is left as it was.
    fn load_state(&mut self, entries: Vec<(String, Tensor)>) -> Result<()>;
}

fn zero_grads(parameters: &[Parameter]) {
    parameters.iter().for_each(|p| p.get().zero_grad());
}
