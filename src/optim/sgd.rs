//! Stochastic gradient descent.

use super::{Optim, UpdateRule};
use crate::error::Result;
use crate::nn::Parameter;
use crate::tensor::Tensor;

/// SGD's update: optional momentum (plain or Nesterov) and L2 weight decay, as
/// `torch.optim.SGD`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SgdRule {
    momentum: f64,
    nesterov: bool,
    weight_decay: f64,
}

/// Stochastic gradient descent (`torch.optim.SGD`).
pub type Sgd = Optim<SgdRule>;

impl Sgd {
    /// Plain SGD with learning rate `lr`.
    pub fn new(parameters: Vec<Parameter>, lr: f64) -> Sgd {
        Optim::with_rule(parameters, lr, SgdRule::default())
    }

    /// With momentum (`v = momentum * v + g`, and the step follows `v`).
    pub fn momentum(mut self, momentum: f64) -> Sgd {
        self.rule.momentum = momentum;
        self
    }

    /// With Nesterov momentum (the step follows `g + momentum * v`); needs a momentum.
    pub fn nesterov(mut self, nesterov: bool) -> Sgd {
        self.rule.nesterov = nesterov;
        self
    }

    /// With L2 weight decay (`g += weight_decay * p`).
    pub fn weight_decay(mut self, weight_decay: f64) -> Sgd {
        self.rule.weight_decay = weight_decay;
        self
    }
}

impl UpdateRule for SgdRule {
    const STATE: &'static [&'static str] = &["momentum_buffer"];

    fn update(
        &self,
        p: &Tensor,
        mut g: Tensor,
        state: &mut Option<Vec<Tensor>>,
        _step: u64,
        lr: f64,
    ) -> Result<Tensor> {
        if self.weight_decay != 0.0 {
            g = g.add_scaled(p, self.weight_decay)?;
        }
        if self.momentum != 0.0 {
            let v = match state.take() {
                Some(mut v) => g.add_scaled(&v.remove(0), self.momentum)?,
                None => g.clone(),
            };
            g = if self.nesterov {
                g.add_scaled(&v, self.momentum)?
            } else {
                v.clone()
            };
            *state = Some(vec![v]);
        }
        p.add_scaled(&g, -lr)
    }
}
