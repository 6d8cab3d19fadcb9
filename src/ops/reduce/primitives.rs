//! Reductions: sum, mean and max over all elements or one axis, argmax, and the sum that undoes
//! broadcasting in gradients.

use crate::autograd::record;
use crate::backend::{Backend, ReduceOp};
use crate::error::{Error, Result};
use crate::shape::{Layout, checked_numel, normalize_axis};
use crate::tensor::Tensor;

impl Tensor {
    /// The shape after reducing `axes`, with them kept as length 1 or dropped.
    pub(crate) fn reduced_shape(&self, axes: &[usize], keepdim: bool) -> Vec<usize> {
        let dims = self.shape().iter().enumerate();
        if keepdim {
            dims.map(|(d, &n)| if axes.contains(&d) { 1 } else { n })
                .collect()
        } else {
            dims.filter(|(d, _)| !axes.contains(d))
                .map(|(_, &n)| n)
                .collect()
        }
    }

    /// Runs a reduction kernel; the result keeps the reduced axes as length 1.
    fn reduce_keepdim(&self, op: ReduceOp, axes: &[usize]) -> Result<Tensor> {
        let shape = self.reduced_shape(axes, true);
        // Reducing the only empty axis of [0, n, m] leaves n * m identities: more elements
        // than the input had, and possibly more than fit.
        checked_numel(op.name(), &shape)?;
        Tensor::from_kernel(self.storage().reduce(op, self.layout(), axes), &shape)
    }

    /// A keepdim result seen with the reduced axes dropped (a view, no copy).
    fn drop_reduced(&self, kept: Tensor, axes: &[usize], keepdim: bool) -> Tensor {
        if keepdim {
            kept
        } else {
            kept.with_layout(Layout::contiguous(&self.reduced_shape(axes, false)))
        }
    }

    pub(crate) fn all_axes(&self) -> Vec<usize> {
        (0..self.ndim()).collect()
    }

    /// Sum of all elements, as a 0-d tensor. Integer and bool sums are i64, as in PyTorch.
    pub fn sum(&self) -> Result<Tensor> {
        self.sum_axes(&self.all_axes(), false)
    }

    /// Sum along `axis` (negative counts from the end), keeping it as length 1 if `keepdim`.
    pub fn sum_axis(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        let axis = normalize_axis("sum", axis, self.ndim())?;
        self.sum_axes(&[axis], keepdim)
    }

    pub(crate) fn sum_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        let kept = self.reduce_keepdim(ReduceOp::Sum, axes)?;
        let out = self.drop_reduced(kept, axes, keepdim);
        let (shape, kept_shape) = (self.shape().to_vec(), self.reduced_shape(axes, true));
        Ok(record(out, "sum", &[self], move |g, _| {
            Ok(vec![Some(g.reshape(&kept_shape)?.broadcast_to(&shape)?)])
        }))
    }

    /// Mean of all elements, as a 0-d tensor (floating point only).
    pub fn mean(&self) -> Result<Tensor> {
        self.mean_axes(&self.all_axes(), false)
    }

    /// Mean along `axis`, keeping it as length 1 if `keepdim` (floating point only).
    pub fn mean_axis(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        let axis = normalize_axis("mean", axis, self.ndim())?;
        self.mean_axes(&[axis], keepdim)
    }

    pub(crate) fn mean_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        self.require_float("mean")?;
        let count: usize = axes.iter().map(|&a| self.shape()[a]).product();
        self.sum_axes(axes, keepdim)?.mul_scalar(1.0 / count as f64)
    }

    /// Product of all elements, as a 0-d tensor. Integer and bool products are i64, as in
    /// PyTorch. The gradient is exact with zeros among the elements (the product of the others),
    /// as in PyTorch; its own derivative is exact only where none of the elements reduced
    /// together is zero (at a zero it is taken as constant, where PyTorch's is exact).
    pub fn prod(&self) -> Result<Tensor> {
        self.prod_axes(&self.all_axes(), false)
    }

    /// Product along `axis`, keeping it as length 1 if `keepdim`.
    pub fn prod_axis(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        let axis = normalize_axis("prod", axis, self.ndim())?;
        self.prod_axes(&[axis], keepdim)
    }

    fn prod_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        let kept = self.reduce_keepdim(ReduceOp::Prod, axes)?;
        let out = self.drop_reduced(kept, axes, keepdim);
        let (x, axes, kept_shape) = (self.saved(), axes.to_vec(), self.reduced_shape(axes, true));
        Ok(record(out, "prod", &[self], move |g, _| {
            // d/dx_i is the product of the others: with no zero among them, prod / x_i; with
            // one zero, that product at the zero and 0 elsewhere; with more, 0. Zeros are
            // replaced by 1 before dividing, so no inf ever meets a masked-out gradient.
            let zero = x.eq_scalar(0.0)?;
            let safe = zero.where_cond(&x.scalar_like(1.0)?, &x)?;
            let others = safe.prod_axes(&axes, true)?;
            let zeros = zero.to_dtype(x.dtype())?.sum_axes(&axes, true)?;
            let lone_zero = zeros.eq_scalar(1.0)?.logical_and(&zero)?;
            let with_zero = lone_zero.where_cond(&others, &x.scalar_like(0.0)?)?;
            let slope = zeros
                .eq_scalar(0.0)?
                .where_cond(&others.div(&safe)?, &with_zero)?;
            Ok(vec![Some(g.reshape(&kept_shape)?.mul(&slope)?)])
        }))
    }

    /// Largest element, as a 0-d tensor. NaN wins, as in PyTorch.
    pub fn max(&self) -> Result<Tensor> {
        self.max_axes(&self.all_axes(), false)
    }

    /// Largest element along `axis`, keeping it as length 1 if `keepdim`.
    pub fn max_axis(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        let axis = normalize_axis("max", axis, self.ndim())?;
        self.max_axes(&[axis], keepdim)
    }

    /// The gradient flows to the maximal elements, split evenly among ties (as `torch.amax`).
    pub(crate) fn max_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        self.require_nonempty("max", axes)?;
        let kept = self.reduce_keepdim(ReduceOp::Max, axes)?;
        let (x, peak, axes_owned) = (self.detach(), kept.detach(), axes.to_vec());
        let out = self.drop_reduced(kept, axes, keepdim);
        Ok(record(out, "max", &[self], move |g, _| {
            let mask = x.eq(&peak)?.to_dtype(x.dtype())?;
            let share = g
                .reshape(peak.shape())?
                .div(&mask.sum_axes(&axes_owned, true)?)?;
            Ok(vec![Some(mask.mul(&share)?)])
        }))
    }

    /// Index of the first largest element along `axis`, as i64; not differentiable.
    pub fn argmax(&self, axis: isize, keepdim: bool) -> Result<Tensor> {
        let axis = normalize_axis("argmax", axis, self.ndim())?;
        self.require_nonempty("argmax", &[axis])?;
        let kept = Tensor::from_kernel(
            self.storage().argmax(self.layout(), axis),
            &self.reduced_shape(&[axis], true),
        )?;
        Ok(self.drop_reduced(kept, &[axis], keepdim))
    }

    fn require_nonempty(&self, op: &'static str, axes: &[usize]) -> Result<()> {
        if axes.iter().any(|&a| self.shape()[a] == 0) {
            return Err(Error::InvalidArgument {
                op,
                message: format!(
                    "cannot reduce an empty axis of a tensor of shape {:?}: the reduction has no identity",
                    self.shape()
                ),
            });
        }
        Ok(())
    }

    /// Sums a broadcast gradient back to `shape`: over the leading axes `shape` lacks and the
    /// axes where `shape` has length 1.
    pub(crate) fn sum_to(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let lead = self.ndim().checked_sub(shape.len()).ok_or_else(|| {
            Error::Internal(format!(
                "sum_to: {:?} cannot be summed to {shape:?}",
                self.shape()
            ))
        })?;
        let axes: Vec<usize> = (0..self.ndim())
            .filter(|&d| d < lead || (shape[d - lead] == 1 && self.shape()[d] != 1))
            .collect();
        self.sum_axes(&axes, true)?.reshape(shape)
    }
}
