//! Adam and AdamW.

use super::state::Slots;
use super::{Optimizer, zero_grads};
use crate::autograd::no_grad;
use crate::error::Result;
use crate::nn::Parameter;
use crate::tensor::Tensor;

/// Adam with bias-corrected moments; `DECOUPLED` chooses how weight decay applies: added to the
/// gradient ([`Adam`], `torch.optim.Adam`) or applied to the parameter apart from the moments
/// ([`AdamW`], `torch.optim.AdamW`).
pub struct AdamOptimizer<const DECOUPLED: bool> {
    parameters: Vec<Parameter>,
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    slots: Slots,
}

/// Adam (`torch.optim.Adam`): weight decay is L2, added to the gradient.
pub type Adam = AdamOptimizer<false>;

/// AdamW (`torch.optim.AdamW`): weight decay shrinks the parameters directly,
/// `p -= lr * weight_decay * p`, apart from the adaptive step.
pub type AdamW = AdamOptimizer<true>;

impl<const DECOUPLED: bool> AdamOptimizer<DECOUPLED> {
    /// The optimizer with learning rate `lr` and PyTorch's defaults: betas (0.9, 0.999), eps
    /// 1e-8, weight decay 0 for Adam and 0.01 for AdamW.
    pub fn new(parameters: Vec<Parameter>, lr: f64) -> AdamOptimizer<DECOUPLED> {
        let slots = Slots::new(&["exp_avg", "exp_avg_sq"], parameters.len());
        AdamOptimizer {
            parameters,
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: if DECOUPLED { 0.01 } else { 0.0 },
            slots,
        }
    }

    /// With the moments' decay rates `(beta1, beta2)`.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> AdamOptimizer<DECOUPLED> {
        self.betas = (beta1, beta2);
        self
    }

    /// With `eps` added to the denominator.
    pub fn eps(mut self, eps: f64) -> AdamOptimizer<DECOUPLED> {
        self.eps = eps;
        self
    }

    /// With weight decay `weight_decay`.
    pub fn weight_decay(mut self, weight_decay: f64) -> AdamOptimizer<DECOUPLED> {
        self.weight_decay = weight_decay;
        self
    }
}

impl<const DECOUPLED: bool> Optimizer for AdamOptimizer<DECOUPLED> {
    fn step(&mut self) -> Result<()> {
        self.slots.steps += 1;
        let (b1, b2) = self.betas;
        let t = i32::try_from(self.slots.steps).unwrap_or(i32::MAX);
        let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
        no_grad(|| {
            for (parameter, running) in self.parameters.iter().zip(&mut self.slots.running) {
                let mut p = parameter.get();
                let Some(mut g) = p.grad() else { continue };
                if self.weight_decay != 0.0 {
                    if DECOUPLED {
                        p = p.mul_scalar(1.0 - self.lr * self.weight_decay)?;
                    } else {
                        g = g.add(&p.mul_scalar(self.weight_decay)?)?;
                    }
                }
                let square = g.square()?;
                let moments = match running {
                    Some(moments) => {
                        moments[0] = moments[0].mul_scalar(b1)?.add(&g.mul_scalar(1.0 - b1)?)?;
                        moments[1] = moments[1]
                            .mul_scalar(b2)?
                            .add(&square.mul_scalar(1.0 - b2)?)?;
                        moments
                    }
                    None => {
                        running.insert(vec![g.mul_scalar(1.0 - b1)?, square.mul_scalar(1.0 - b2)?])
                    }
                };
                let denominator = moments[1]
                    .mul_scalar(1.0 / c2)?
                    .sqrt()?
                    .add_scalar(self.eps)?;
                let step = moments[0].mul_scalar(self.lr / c1)?.div(&denominator)?;
                parameter.set(&p.sub(&step)?)?;
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
