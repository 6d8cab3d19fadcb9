//! Optimizers. Each step computes new parameter values with tensor ops under `no_grad`, on the
//! device where the parameters live: no host round-trip per step.

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
}

fn zero_grads(parameters: &[Parameter]) {
    parameters.iter().for_each(|p| p.get().zero_grad());
}

/// Stochastic gradient descent with optional momentum and weight decay, as `torch.optim.SGD`.
pub struct Sgd {
    parameters: Vec<Parameter>,
    lr: f64,
    momentum: f64,
    weight_decay: f64,
    velocity: Vec<Option<Tensor>>,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`.
    pub fn new(parameters: Vec<Parameter>, lr: f64) -> Sgd {
        let velocity = vec![None; parameters.len()];
        Sgd {
            parameters,
            lr,
            momentum: 0.0,
            weight_decay: 0.0,
            velocity,
        }
    }

    /// With momentum (`v = momentum * v + g`, and the step follows `v`).
    pub fn momentum(mut self, momentum: f64) -> Sgd {
        self.momentum = momentum;
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
        no_grad(|| {
            for (parameter, velocity) in self.parameters.iter().zip(&mut self.velocity) {
                let p = parameter.get();
                let Some(mut g) = p.grad() else { continue };
                if self.weight_decay != 0.0 {
                    g = g.add(&p.mul_scalar(self.weight_decay)?)?;
                }
                if self.momentum != 0.0 {
                    g = match velocity.take() {
                        Some(v) => v.mul_scalar(self.momentum)?.add(&g)?,
                        None => g,
                    };
                    *velocity = Some(g.clone());
                }
                parameter.set(&p.sub(&g.mul_scalar(self.lr)?)?)?;
            }
            Ok(())
        })
    }

    fn zero_grad(&self) {
        zero_grads(&self.parameters);
    }
}

/// Adam, as `torch.optim.Adam` (bias-corrected moments).
pub struct Adam {
    parameters: Vec<Parameter>,
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    steps: i32,
    moments: Vec<Option<(Tensor, Tensor)>>,
}

impl Adam {
    /// Adam with learning rate `lr` and PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.
    pub fn new(parameters: Vec<Parameter>, lr: f64) -> Adam {
        let moments = vec![None; parameters.len()];
        Adam {
            parameters,
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            steps: 0,
            moments,
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self) -> Result<()> {
        self.steps += 1;
        let (b1, b2) = self.betas;
        let (c1, c2) = (1.0 - b1.powi(self.steps), 1.0 - b2.powi(self.steps));
        no_grad(|| {
            for (parameter, moments) in self.parameters.iter().zip(&mut self.moments) {
                let p = parameter.get();
                let Some(g) = p.grad() else { continue };
                let (m, v) = match moments.take() {
                    Some((m, v)) => (
                        m.mul_scalar(b1)?.add(&g.mul_scalar(1.0 - b1)?)?,
                        v.mul_scalar(b2)?.add(&g.mul(&g)?.mul_scalar(1.0 - b2)?)?,
                    ),
                    None => (g.mul_scalar(1.0 - b1)?, g.mul(&g)?.mul_scalar(1.0 - b2)?),
                };
                let denominator = v.mul_scalar(1.0 / c2)?.sqrt()?.add_scalar(self.eps)?;
                parameter.set(&p.sub(&m.mul_scalar(self.lr / c1)?.div(&denominator)?)?)?;
                *moments = Some((m, v));
            }
            Ok(())
        })
    }

    fn zero_grad(&self) {
        zero_grads(&self.parameters);
    }
}
