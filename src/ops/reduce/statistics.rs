//! Reductions built from the primitive ones: `min`/`argmin`, `var`/`std` with PyTorch's
//! `correction`, a stable `logsumexp`, and p-norms. Written with ops, they run on both devices
//! and are differentiable to any order.

use crate::autograd::{no_grad, record_with_output};
use crate::error::{Error, Result};
use crate::shape::normalize_axis;
use crate::tensor::Tensor;

impl Tensor {
    /// Smallest element, as a 0-d tensor. NaN wins, as in PyTorch.
    pub fn min(&self) -> Result<Tensor> {
        self.neg()?.max()?.neg()
    }

    /// Smallest element along `axis`, keeping it as length 1 if `keepdim`. The gradient flows to
    /// the minimal elements, split evenly among ties.
    pub fn min_axis(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        self.neg()?.max_axis(axis, keepdim)?.neg()
    }

    /// Index of the first smallest element along `axis`, as i64; not differentiable.
    pub fn argmin(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        self.detach().neg()?.argmax(axis, keepdim)
    }

    /// `sum((x - mean)^2) / (n - correction)` over `axes`: `correction` 1 is the unbiased
    /// sample variance (PyTorch's default), 0 the population variance.
    fn var_axes(&self, axes: &[usize], correction: f64, keepdim: bool) -> Result<Tensor> {
        self.require_float("var")?;
        let count: usize = axes.iter().map(|&a| self.shape()[a]).product();
        let centered = self.sub(&self.mean_axes(axes, true)?)?;
        centered
            .square()?
            .sum_axes(axes, keepdim)?
            .div_scalar(count as f64 - correction)
    }

    /// Variance of all elements (`correction` 1: unbiased, as `torch.var`'s default).
    pub fn var(&self, correction: f64) -> Result<Tensor> {
        self.var_axes(&self.all_axes(), correction, false)
    }

    /// Variance along `axis`, keeping it as length 1 if `keepdim`.
    pub fn var_axis(&self, axis: isize, correction: f64, keepdim: bool) -> Result<Tensor> {
        let axis = normalize_axis("var", axis, self.ndim())?;
        self.var_axes(&[axis], correction, keepdim)
    }

    /// Standard deviation of all elements, the square root of [`Tensor::var`].
    pub fn std(&self, correction: f64) -> Result<Tensor> {
        self.var(correction)?.sqrt()
    }

    /// Standard deviation along `axis`, keeping it as length 1 if `keepdim`.
    pub fn std_axis(&self, axis: isize, correction: f64, keepdim: bool) -> Result<Tensor> {
        self.var_axis(axis, correction, keepdim)?.sqrt()
    }

    /// `log(sum(exp(x)))` along `axis`, computed stably: the maximum is taken out first, so large
    /// inputs do not overflow (`torch.logsumexp`).
    pub fn logsumexp(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        self.require_float("logsumexp")?;
        let axis = normalize_axis("logsumexp", axis, self.ndim())?;
        // The shift is a constant: the result does not depend on it, and neither does the gradient.
        let peak = self.max_axes(&[axis], true)?.detach();
        let peak = peak.finite_or_zero()?;
        let total = self
            .sub(&peak)?
            .exp()?
            .sum_axes(&[axis], true)?
            .log()?
            .add(&peak)?;
        if keepdim {
            Ok(total)
        } else {
            total.squeeze(axis as isize)
        }
    }

    /// The shift for logsumexp: infinite maxima (a row of -inf, or +inf) are replaced by 0, so
    /// that `x - shift` stays meaningful and the infinities come through the sum instead.
    fn finite_or_zero(&self) -> Result<Tensor> {
        self.isfinite()?.where_cond(self, &self.scalar_like(0.0)?)
    }

    /// The `p`-norm of all elements, `(sum |x|^p)^(1/p)`, for a positive `p` (infinity gives the
    /// largest magnitude). At the zero vector the 2-norm's gradient is 0, as in PyTorch, not the
    /// NaN of `x / |x|`.
    pub fn norm(&self, p: f64) -> Result<Tensor> {
        self.norm_axes(p, &self.all_axes(), false)
    }

    /// The `p`-norm along `axis`, keeping it as length 1 if `keepdim`.
    pub fn norm_axis(&self, p: f64, axis: isize, keepdim: bool) -> Result<Tensor> {
        let axis = normalize_axis("norm", axis, self.ndim())?;
        self.norm_axes(p, &[axis], keepdim)
    }

    fn norm_axes(&self, p: f64, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        self.require_float("norm")?;
        let magnitude = self.abs()?;
        if p == f64::INFINITY {
            return magnitude.max_axes(axes, keepdim);
        }
        if !(p > 0.0 && p.is_finite()) {
            return Err(Error::InvalidArgument {
                op: "norm",
                message: format!("p = {p}; a norm needs p > 0 (or infinity)"),
            });
        }
        if p == 1.0 {
            return magnitude.sum_axes(axes, keepdim);
        }
        if p == 2.0 {
            return self.euclidean_norm(axes, keepdim);
        }
        magnitude.pow(p)?.sum_axes(axes, keepdim)?.pow(1.0 / p)
    }

    /// The 2-norm, with the gradient `x / |x|`, and 0 where the norm is 0.
    fn euclidean_norm(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        let out = no_grad(|| self.square()?.sum_axes(axes, keepdim)?.sqrt())?;
        let (x, kept_shape) = (self.saved(), self.reduced_shape(axes, true));
        Ok(record_with_output(
            out,
            "norm",
            &[self],
            move |g, norm, _| {
                let norm = norm.reshape(&kept_shape)?;
                let safe = norm
                    .eq_scalar(0.0)?
                    .where_cond(&norm.scalar_like(1.0)?, &norm)?;
                Ok(vec![Some(g.reshape(&kept_shape)?.mul(&x.div(&safe)?)?)])
            },
        ))
    }
}
