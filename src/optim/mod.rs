//! Optimizers, learning-rate schedules and gradient clipping. Each step computes new parameter
//! values with tensor ops under `no_grad`, on the device where the parameters live: no host
//! round-trip per step. An optimizer's state (step count, learning rate, moments) saves to and
//! loads from `.npz`, so a run resumes exactly.

mod adam;
mod clip;
mod schedule;
mod sgd;
mod state;

pub use adam::{Adam, AdamRule, AdamW};
pub use clip::{clip_grad_norm, clip_grad_value};
pub use schedule::{CosineLr, LinearLr, LrSchedule, StepLr};
pub use sgd::{Sgd, SgdRule};
pub use state::{load_state, save_state};

use state::Slots;

use crate::autograd::no_grad;
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
    fn state(&self) -> Result<Vec<(String, Tensor)>>;

    /// Restores what [`Optimizer::state`] gave, all or nothing: a missing, unexpected or
    /// misshaped entry is an error and the optimizer is left as it was.
    fn load_state(&mut self, entries: Vec<(String, Tensor)>) -> Result<()>;
}

/// How an optimizer moves one parameter: the new value from the old one, its gradient and the
/// running tensors it keeps for that parameter (named [`UpdateRule::STATE`] in saved state). A
/// rule of your own, in an [`Optim`], is an optimizer with state saving and schedules included.
pub trait UpdateRule {
    /// The names of the running tensors kept per parameter (`["exp_avg", "exp_avg_sq"]`).
    const STATE: &'static [&'static str];

    /// The new value of `p` given its gradient `g`, at step `step` (counted from 1) with
    /// learning rate `lr`. `state` holds the running tensors, `None` before the first update.
    fn update(
        &self,
        p: &Tensor,
        g: Tensor,
        state: &mut Option<Vec<Tensor>>,
        step: u64,
        lr: f64,
    ) -> Result<Tensor>;
}

/// An optimizer: parameters, a learning rate, an [`UpdateRule`] and the rule's running state.
/// [`Sgd`], [`Adam`] and [`AdamW`] are `Optim`s of their rules.
pub struct Optim<R> {
    parameters: Vec<Parameter>,
    lr: f64,
    rule: R,
    slots: Slots,
}

impl<R: UpdateRule> Optim<R> {
    /// An optimizer over `parameters` with learning rate `lr`, moving them by `rule`.
    pub fn with_rule(parameters: Vec<Parameter>, lr: f64, rule: R) -> Optim<R> {
        let slots = Slots::new(R::STATE, parameters.len());
        Optim {
            parameters,
            lr,
            rule,
            slots,
        }
    }
}

impl<R: UpdateRule> Optimizer for Optim<R> {
    fn step(&mut self) -> Result<()> {
        self.slots.steps += 1;
        no_grad(|| {
            for (parameter, running) in self.parameters.iter().zip(&mut self.slots.running) {
                let p = parameter.get();
                let Some(g) = p.grad() else { continue };
                let updated = self
                    .rule
                    .update(&p, g, running, self.slots.steps, self.lr)?;
                parameter.set(&updated)?;
            }
            Ok(())
        })
    }

    fn zero_grad(&self) {
        self.parameters.iter().for_each(|p| p.get().zero_grad());
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn state(&self) -> Result<Vec<(String, Tensor)>> {
        self.slots.entries(self.lr)
    }

    fn load_state(&mut self, entries: Vec<(String, Tensor)>) -> Result<()> {
        self.lr = self.slots.load(&self.parameters, entries)?;
        Ok(())
    }
}
