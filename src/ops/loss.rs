//! Softmax, log-softmax and the losses built on them.
//!
//! The softmaxes compute their forward from primitive kernels without recording, then record one
//! node with the closed-form gradient: shorter graphs and fewer saved tensors than the composite.

use crate::autograd::{no_grad, record_with_output};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::normalize_axis;
use crate::tensor::Tensor;

impl Tensor {
    /// `x - max(x)` along `axis`: the same softmax, without overflow in `exp`.
    fn shifted(&self, axis: usize) -> Result<Tensor> {
        self.sub(&self.max_axes(&[axis], true)?)
    }

    /// `exp(x) / sum(exp(x))` along `axis`.
    pub fn softmax(&self, axis: isize) -> Result<Tensor> {
        self.require_float("softmax")?;
        let axis = normalize_axis("softmax", axis, self.ndim())?;
        let out = no_grad(|| {
            let e = self.shifted(axis)?.exp()?;
            e.div(&e.sum_axes(&[axis], true)?)
        })?;
        Ok(record_with_output(
            out,
            "softmax",
            &[self],
            move |g, y, _| {
                let gy = g.mul(y)?;
                Ok(vec![Some(gy.sub(&y.mul(&gy.sum_axes(&[axis], true)?)?)?)])
            },
        ))
    }

    /// `log(softmax(x))` along `axis`, computed stably.
    pub fn log_softmax(&self, axis: isize) -> Result<Tensor> {
        self.require_float("log_softmax")?;
        let axis = normalize_axis("log_softmax", axis, self.ndim())?;
        let out = no_grad(|| {
            let s = self.shifted(axis)?;
            s.sub(&s.exp()?.sum_axes(&[axis], true)?.log()?)
        })?;
        Ok(record_with_output(
            out,
            "log_softmax",
            &[self],
            move |g, y, _| {
                Ok(vec![Some(
                    g.sub(&y.exp()?.mul(&g.sum_axes(&[axis], true)?)?)?,
                )])
            },
        ))
    }

    /// Mean cross-entropy of `[n, classes]` logits (this tensor) against `[n]` integer class
    /// labels, as `torch.nn.functional.cross_entropy`.
    pub fn cross_entropy(&self, labels: &Tensor) -> Result<Tensor> {
        self.require_float("cross_entropy")?;
        self.same_device("cross_entropy", labels)?;
        let (&[n, classes], &[n_labels]) = (self.shape(), labels.shape()) else {
            return Err(Error::ShapeMismatch {
                op: "cross_entropy",
                lhs: self.shape().to_vec(),
                rhs: labels.shape().to_vec(),
                hint: "it takes logits of shape [n, classes] and labels of shape [n]",
            });
        };
        if n != n_labels {
            return Err(Error::ShapeMismatch {
                op: "cross_entropy",
                lhs: self.shape().to_vec(),
                rhs: labels.shape().to_vec(),
                hint: "there must be one label per row of logits",
            });
        }
        if !matches!(labels.dtype(), DType::I32 | DType::I64 | DType::U8) {
            return Err(Error::UnsupportedDType {
                op: "cross_entropy",
                dtype: labels.dtype(),
                hint: "labels are class indices: convert them with .to_dtype(DType::I64)",
            });
        }
        if let Some((low, high)) = labels
            .integer_range()?
            .filter(|&(lo, hi)| lo < 0 || hi >= classes as i64)
        {
            let label = if low < 0 { low } else { high };
            return Err(Error::InvalidArgument {
                op: "cross_entropy",
                message: format!("label {label} is not a class index in 0..{classes}"),
            });
        }
        let classes_row = Tensor::arange(0.0, classes as f64, 1.0, labels.dtype(), &self.device())?;
        let one_hot = labels
            .reshape(&[n, 1])?
            .eq(&classes_row)?
            .to_dtype(self.dtype())?;
        self.log_softmax(1)?
            .mul(&one_hot)?
            .sum()?
            .mul_scalar(-1.0 / n as f64)
    }

    /// Mean squared error between this tensor (predictions) and `target` of the same shape.
    pub fn mse_loss(&self, target: &Tensor) -> Result<Tensor> {
        if self.shape() != target.shape() {
            return Err(Error::ShapeMismatch {
                op: "mse_loss",
                lhs: self.shape().to_vec(),
                rhs: target.shape().to_vec(),
                hint: "predictions and targets must have one shape; reshape one of them",
            });
        }
        self.sub(target)?.pow(2.0)?.mean()
    }
}
