//! Losses, as `torch.nn.functional` defines them, each built from ops (so differentiable to any
//! order, on both devices) and reduced as the caller asks.

use super::shape::indexing::Indices;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// How a loss reduces its per-element values (PyTorch's `reduction=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// Every value, in the input's shape.
    None,
    /// Their mean.
    #[default]
    Mean,
    /// Their sum.
    Sum,
}

impl Reduction {
    fn apply(self, values: Tensor) -> Result<Tensor> {
        match self {
            Reduction::None => Ok(values),
            Reduction::Mean => values.mean(),
            Reduction::Sum => values.sum(),
        }
    }
}

/// Options of [`Tensor::cross_entropy_with`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CrossEntropyOptions {
    /// Rows whose label is this contribute nothing, and the mean is over the other rows.
    pub ignore_index: Option<i64>,
    /// Mixes the target with the uniform distribution: `(1 - s) * one_hot + s / classes`.
    pub label_smoothing: f64,
    pub reduction: Reduction,
}

impl Tensor {
    /// `Err` unless `target` has this tensor's shape.
    fn same_shape(&self, op: &'static str, target: &Tensor) -> Result<()> {
        if self.shape() == target.shape() {
            Ok(())
        } else {
            Err(Error::ShapeMismatch {
                op,
                lhs: self.shape().to_vec(),
                rhs: target.shape().to_vec(),
                hint: "predictions and targets must have one shape; reshape one of them",
            })
        }
    }

    /// Mean cross-entropy of `[n, classes]` logits (this tensor) against `[n]` integer class
    /// labels, as `torch.nn.functional.cross_entropy`.
    pub fn cross_entropy(&self, labels: &Tensor) -> Result<Tensor> {
        self.cross_entropy_with(labels, &CrossEntropyOptions::default())
    }

    /// Cross-entropy with PyTorch's `ignore_index`, `label_smoothing` and `reduction`.
    pub fn cross_entropy_with(
        &self,
        labels: &Tensor,
        options: &CrossEntropyOptions,
    ) -> Result<Tensor> {
        self.require_float("cross_entropy")?;
        self.labelled_loss("cross_entropy", &self.log_softmax(-1)?, labels, options)
    }

    /// Negative log-likelihood of `[n, classes]` log-probabilities (this tensor) at `[n]` integer
    /// labels (`torch.nn.functional.nll_loss`); `cross_entropy` is this after `log_softmax`.
    pub fn nll_loss(&self, labels: &Tensor, reduction: Reduction) -> Result<Tensor> {
        self.require_float("nll_loss")?;
        let options = CrossEntropyOptions {
            reduction,
            ..CrossEntropyOptions::default()
        };
        self.labelled_loss("nll_loss", self, labels, &options)
    }

    /// The per-row `-(1 - s) log p[label] - s mean(log p)` of log-probabilities `log_p`, with
    /// ignored rows removed, reduced as `options` say.
    fn labelled_loss(
        &self,
        op: &'static str,
        log_p: &Tensor,
        labels: &Tensor,
        options: &CrossEntropyOptions,
    ) -> Result<Tensor> {
        self.same_device(op, labels)?;
        let (&[n, classes], &[n_labels]) = (self.shape(), labels.shape()) else {
            return Err(Error::ShapeMismatch {
                op,
                lhs: self.shape().to_vec(),
                rhs: labels.shape().to_vec(),
                hint: "it takes scores of shape [n, classes] and labels of shape [n]",
            });
        };
        if n != n_labels {
            return Err(Error::ShapeMismatch {
                op,
                lhs: self.shape().to_vec(),
                rhs: labels.shape().to_vec(),
                hint: "there must be one label per row",
            });
        }
        let smoothing = options.label_smoothing;
        if !(0.0..=1.0).contains(&smoothing) {
            return Err(Error::InvalidArgument {
                op,
                message: format!("label_smoothing {smoothing} is not in [0, 1]"),
            });
        }
        labels.require_indices(op, Indices::Labels, classes, options.ignore_index)?;
        let positions = Tensor::arange(0.0, classes as f64, 1.0, labels.dtype(), &self.device())?;
        let target = labels
            .unsqueeze(1)?
            .eq(&positions)?
            .to_dtype(self.dtype())?;
        let picked = log_p.mul(&target)?.sum_axis(1, false)?;
        let mut per_row = picked.mul_scalar(-(1.0 - smoothing))?;
        if smoothing > 0.0 {
            per_row = per_row.sub(&log_p.mean_axis(1, false)?.mul_scalar(smoothing)?)?;
        }
        let Some(ignored) = options.ignore_index else {
            return options.reduction.apply(per_row);
        };
        let kept = labels.ne_scalar(ignored as f64)?.to_dtype(self.dtype())?;
        let per_row = per_row.mul(&kept)?;
        match options.reduction {
            Reduction::Mean => per_row.sum()?.div(&kept.sum()?),
            other => other.apply(per_row),
        }
    }

    /// Mean squared error between this tensor (predictions) and `target` of the same shape.
    pub fn mse_loss(&self, target: &Tensor) -> Result<Tensor> {
        self.same_shape("mse_loss", target)?;
        self.sub(target)?.pow(2.0)?.mean()
    }

    /// Absolute error, `|x - target|`, reduced (`torch.nn.functional.l1_loss`).
    pub fn l1_loss(&self, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
        self.same_shape("l1_loss", target)?;
        reduction.apply(self.sub(target)?.abs()?)
    }

    /// Squared error below `beta` (scaled by `1 / beta`), absolute error above it, joined
    /// smoothly (`torch.nn.functional.smooth_l1_loss`).
    pub fn smooth_l1_loss(
        &self,
        target: &Tensor,
        beta: f64,
        reduction: Reduction,
    ) -> Result<Tensor> {
        self.same_shape("smooth_l1_loss", target)?;
        if beta.is_nan() || beta <= 0.0 {
            return Err(Error::InvalidArgument {
                op: "smooth_l1_loss",
                message: format!("beta {beta} must be positive"),
            });
        }
        let error = self.sub(target)?.abs()?;
        let quadratic = error.square()?.mul_scalar(0.5 / beta)?;
        let linear = error.sub_scalar(0.5 * beta)?;
        reduction.apply(error.lt_scalar(beta)?.where_cond(&quadratic, &linear)?)
    }

    /// Huber loss: `delta` times the smooth L1 loss with `beta = delta`
    /// (`torch.nn.functional.huber_loss`).
    pub fn huber_loss(&self, target: &Tensor, delta: f64, reduction: Reduction) -> Result<Tensor> {
        self.smooth_l1_loss(target, delta, Reduction::None)?
            .mul_scalar(delta)
            .and_then(|values| reduction.apply(values))
    }

    /// Binary cross-entropy of logits (this tensor) against targets in [0, 1] of the same shape,
    /// in the stable form `softplus(x) - x * target`
    /// (`torch.nn.functional.binary_cross_entropy_with_logits`).
    pub fn binary_cross_entropy_with_logits(
        &self,
        target: &Tensor,
        reduction: Reduction,
    ) -> Result<Tensor> {
        self.same_shape("binary_cross_entropy_with_logits", target)?;
        reduction.apply(self.softplus()?.sub(&self.mul(target)?)?)
    }
}
