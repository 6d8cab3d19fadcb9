//! Indexing by integer tensors: class labels and `one_hot`. Labels are checked against their
//! bound before any kernel runs (read back once per label tensor on the GPU and remembered), so
//! an out-of-range label is an error that names it, never a silent read out of bounds.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

impl Tensor {
    /// `Err` unless this is an integer tensor of class labels that all lie in `0..classes`,
    /// except those equal to `except` (an ignored label).
    pub(super) fn require_labels(
        &self,
        op: &'static str,
        classes: usize,
        except: Option<i64>,
    ) -> Result<()> {
        if !matches!(self.dtype(), DType::I32 | DType::I64 | DType::U8) {
            return Err(Error::UnsupportedDType {
                op,
                dtype: self.dtype(),
                hint: "indices are integers: convert them with .to_dtype(DType::I64)",
            });
        }
        let out_of_range = |lo: i64, hi: i64| lo < 0 || hi >= classes as i64;
        let Some((lo, hi)) = self
            .integer_range()?
            .filter(|&(lo, hi)| out_of_range(lo, hi))
        else {
            return Ok(());
        };
        // Only an ignored value may lie outside; find out without it (a rare, uncached path).
        let offender = match except {
            Some(ignored) => {
                let kept = self.ne_scalar(ignored as f64)?;
                let replaced = kept.where_cond(self, &self.scalar_like(0.0)?)?;
                replaced
                    .integer_range()?
                    .filter(|&(lo, hi)| out_of_range(lo, hi))
            }
            None => Some((lo, hi)),
        };
        match offender {
            Some((lo, hi)) => Err(Error::InvalidArgument {
                op,
                message: format!(
                    "label {} is not a class index in 0..{classes}",
                    if lo < 0 { lo } else { hi }
                ),
            }),
            None => Ok(()),
        }
    }

    /// Each integer of this tensor as a row of `classes` zeros with a one at its position,
    /// shape `[.., classes]`, i64 (`torch.nn.functional.one_hot`). Not differentiable.
    pub fn one_hot(&self, classes: usize) -> Result<Tensor> {
        self.require_labels("one_hot", classes, None)?;
        let positions = Tensor::arange(0.0, classes as f64, 1.0, self.dtype(), &self.device())?;
        self.unsqueeze(-1)?.eq(&positions)?.to_dtype(DType::I64)
    }
}
