//! Softmax and log-softmax.
//!
//! The softmaxes compute their forward from primitive kernels without recording, then record one
//! node with the closed-form gradient: shorter graphs and fewer saved tensors than the composite.

use crate::autograd::{no_grad, record_with_output};
use crate::error::Result;
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
}
