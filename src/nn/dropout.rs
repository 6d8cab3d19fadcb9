//! Dropout, active in training mode only.

use super::{Mode, Module, Visitor};
use crate::error::{Error, Result};
use crate::random::next_seed;
use crate::tensor::Tensor;

/// Zeroes each element with probability `p` in training mode and scales the rest by
/// `1 / (1 - p)` (`torch.nn.Dropout`); the identity in evaluation mode. Masks come from the
/// default generator, so [`crate::manual_seed`] fixes them.
pub struct Dropout {
    p: f64,
    mode: Mode,
}

impl Dropout {
    /// Dropout with probability `p` in [0, 1].
    pub fn new(p: f64) -> Result<Dropout> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::InvalidArgument {
                op: "Dropout::new",
                message: format!("the drop probability must be in [0, 1], not {p}"),
            });
        }
        Ok(Dropout {
            p,
            mode: Mode::default(),
        })
    }
}

impl Module for Dropout {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if self.mode.is_training() && self.p > 0.0 {
            x.dropout(self.p, next_seed())
        } else {
            Ok(x.clone())
        }
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.mode(&self.mode);
    }

    fn extra_repr(&self) -> String {
        format!("p={}, inplace=False", self.p)
    }
}
