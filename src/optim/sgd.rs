//! Stochastic gradient descent.

use super::state::Slots;
use super::{Optimizer, zero_grads};
use crate::autograd::no_grad;
use crate::error::Result;
use crate::nn::Parameter;
use crate::tensor::Tensor;

/// Stochastic gradient descent with optional momentum (plain or Nesterov) and weight decay, as
/// `torch.optim.SGD`.
pub struct Sgd {
    parameters: Vec<Parameter>,
    lr: f64,
    momentum: f64,
    nesterov: bool,
    weight_decay: f64,
    slots: Slots,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`.
    pub fn new(parameters: Vec<Parameter>, lr: f64) -> Sgd {
        let slots = Slots::new(&["momentum_buffer"], parameters.len());
        Sgd {
            parameters,
            lr,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            slots,
        }
    }

    /// With momentum (`v = momentum * v + g`, and the step follows `v`).
    pub fn momentum(mut self, momentum: f64) -> Sgd {
        self.momentum = momentum;
        self
    }

    /// With Nesterov momentum (the step follows `g + momentum * v`); needs a momentum.
    pub fn nesterov(mut self, nesterov: bool) -> Sgd {
        self.nesterov = nesterov;
        self
    }

    /// With L2 weight decay (`g += weight_decay * p`).
    pub fn weight_decay(mut self, weight_decay: f64) -> Sgd {
        self.weight_decay = weight_decay;
        self
    }
}

impl Optimizer for Sgd {
    fn step(&mut self) -> Result<()> {
        self.slots.steps += 1;
        no_grad(|| {
            for (parameter, running) in self.parameters.iter().zip(&mut self.slots.running) {
                let p = parameter.get();
                let Some(mut g) = p.grad() else { continue };
                if self.weight_decay != 0.0 {
                    g = g.add(&p.mul_scalar(self.weight_decay)?)?;
                }
                if self.momentum != 0.0 {
                    let v = match running.take() {
                        Some(mut v) => v.remove(0).mul_scalar(self.momentum)?.add(&g)?,
                        None => g.clone(),
                    };
                    g = if self.nesterov {
                        g.add(&v.mul_scalar(self.momentum)?)?
                    } else {
                        v.clone()
                    };
                    *running = Some(vec![v]);
                }
                parameter.set(&p.sub(&g.mul_scalar(self.lr)?)?)?;
            }
            Ok(())
        })
    }

    fn zero_grad(&self) {
        zero_grads(&self.parameters);
    }

    fn lr(&self) -> f64 {
        self.lr
    }

    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        self.slots.entries(self.lr)
    }

    fn load_state(&mut self, entries: Vec<(String, Tensor)>) -> Result<()> {
        self.lr = self.slots.load(&self.parameters, entries)?;
        Ok(())
    }
}
