//! Adam and AdamW.

use super::{Optim, UpdateRule};
use crate::error::Result;
use crate::nn::Parameter;
use crate::tensor::Tensor;

/// Adam's update with bias-corrected moments; `DECOUPLED` chooses how weight decay applies:
/// added to the gradient ([`Adam`], `torch.optim.Adam`) or applied to the parameter apart from
/// the moments ([`AdamW`], `torch.optim.AdamW`).
#[derive(Clone, Copy, Debug)]
pub struct AdamRule<const DECOUPLED: bool> {
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
}

/// Adam (`torch.optim.Adam`): weight decay is L2, added to the gradient.
pub type Adam = Optim<AdamRule<false>>;

/// AdamW (`torch.optim.AdamW`): weight decay shrinks the parameters directly,
/// `p -= lr * weight_decay * p`, apart from the adaptive step.
pub type AdamW = Optim<AdamRule<true>>;

impl<const DECOUPLED: bool> Optim<AdamRule<DECOUPLED>> {
    /// The optimizer with learning rate `lr` and PyTorch's defaults: betas (0.9, 0.999), eps
    /// 1e-8, weight decay 0 for Adam and 0.01 for AdamW.
    pub fn new(parameters: Vec<Parameter>, lr: f64) -> Self {
        let rule = AdamRule {
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: if DECOUPLED { 0.01 } else { 0.0 },
        };
        Optim::with_rule(parameters, lr, rule)
    }

    /// With the moments' decay rates `(beta1, beta2)`.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.rule.betas = (beta1, beta2);
        self
    }

    /// With `eps` added to the denominator.
    pub fn eps(mut self, eps: f64) -> Self {
        self.rule.eps = eps;
        self
    }

    /// With weight decay `weight_decay`.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.rule.weight_decay = weight_decay;
        self
    }
}

impl<const DECOUPLED: bool> UpdateRule for AdamRule<DECOUPLED> {
    const STATE: &'static [&'static str] = &["exp_avg", "exp_avg_sq"];

    fn update(
        &self,
        p: &Tensor,
        mut g: Tensor,
        state: &mut Option<Vec<Tensor>>,
        step: u64,
        lr: f64,
    ) -> Result<Tensor> {
        let (b1, b2) = self.betas;
        let t = i32::try_from(step).unwrap_or(i32::MAX);
        let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
        let mut p = p.clone();
        if self.weight_decay != 0.0 {
            if DECOUPLED {
                p = p.mul_scalar(1.0 - lr * self.weight_decay)?;
            } else {
                g = g.add_scaled(&p, self.weight_decay)?;
            }
        }
        let square = g.square()?;
        let moments = match state {
            Some(moments) => {
                moments[0] = moments[0].mul_scalar(b1)?.add_scaled(&g, 1.0 - b1)?;
                moments[1] = moments[1].mul_scalar(b2)?.add_scaled(&square, 1.0 - b2)?;
                moments
            }
            None => state.insert(vec![g.mul_scalar(1.0 - b1)?, square.mul_scalar(1.0 - b2)?]),
        };
        let denominator = moments[1]
            .mul_scalar(1.0 / c2)?
            .sqrt()?
            .add_scalar(self.eps)?;
        p.add_scaled(&moments[0].div(&denominator)?, -lr / c1)
    }
}
