//! Softmax and log-softmax.
//!
//! The softmaxes compute their forward as one backend op (fused on the CPU, composed from
//! primitive kernels on the GPU), then record one node with the closed-form gradient: shorter
//! graphs and fewer saved tensors than the composite.

use crate::autograd::record_with_output;
use crate::backend::Backend;
use crate::error::Result;
use crate::shape::normalize_axis;
use crate::tensor::Tensor;

impl Tensor {
    /// The forward of [`Tensor::softmax`] (or, with `log`, [`Tensor::log_softmax`]), unrecorded.
    fn softmax_forward(&self, axis: usize, log: bool) -> Result<Tensor> {
        Tensor::from_kernel(
            self.storage().softmax(self.layout(), axis, log),
            self.shape(),
        )
    }

    /// `exp(x) / sum(exp(x))` along `axis`.
    pub fn softmax(&self, axis: isize) -> Result<Tensor> {
        self.require_float("softmax")?;
        let axis = normalize_axis("softmax", axis, self.ndim())?;
        let out = self.softmax_forward(axis, false)?;
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
        let out = self.softmax_forward(axis, true)?;
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
