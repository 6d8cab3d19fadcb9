//! Ops that rearrange elements: reshape, transpose, permute, broadcast_to, narrow, cat.
//! All but cat (and reshape of a non-contiguous view) are views: they share storage.

use crate::autograd::{grad_if, record};
use crate::backend::{Backend, Storage};
use crate::error::{Error, Result};
use crate::shape::{Layout, broadcast_shapes, checked_numel, normalize_axis};
use crate::tensor::Tensor;

impl Tensor {
    /// The same elements in C order under a new shape of equal size. A view when the tensor is
    /// contiguous, else a copy.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        if checked_numel("reshape", shape)? != self.numel() {
            return Err(Error::InvalidShape {
                op: "reshape",
                message: format!(
                    "cannot reshape shape {:?} ({} elements) into {shape:?} ({} elements)",
                    self.shape(),
                    self.numel(),
                    checked_numel("reshape", shape)?
                ),
            });
        }
        let base = self.contiguous_storage()?;
        let out = base.with_layout(base.layout().reshape_contiguous(shape));
        let input_shape = self.shape().to_vec();
        Ok(record(out, "reshape", &[self], move |g, _| {
            Ok(vec![Some(g.reshape(&input_shape)?)])
        }))
    }

    /// The elements in C order: this tensor if already contiguous, else a copy.
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            Ok(self.clone())
        } else {
            self.copy()
        }
    }

    /// A new tensor with its own C-order copy of the elements (PyTorch's `clone()`; Rust's
    /// `clone` only adds a handle). Differentiable.
    pub fn copy(&self) -> Result<Tensor> {
        let out = Tensor::from_kernel(self.storage().copy_strided(self.layout()), self.shape())?;
        Ok(record(out, "copy", &[self], |g, _| {
            Ok(vec![Some(g.clone())])
        }))
    }

    /// A view with axes `a` and `b` swapped (negative axes count from the end).
    pub fn transpose(&self, a: isize, b: isize) -> Result<Tensor> {
        let (a, b) = (
            normalize_axis("transpose", a, self.ndim())?,
            normalize_axis("transpose", b, self.ndim())?,
        );
        let mut axes: Vec<usize> = (0..self.ndim()).collect();
        axes.swap(a, b);
        self.permute(&axes)
    }

    /// A view with axes reordered: axis `i` of the result is axis `axes[i]` of this tensor.
    pub fn permute(&self, axes: &[usize]) -> Result<Tensor> {
        let mut seen = vec![false; self.ndim()];
        let valid = axes.len() == self.ndim()
            && axes
                .iter()
                .all(|&a| a < self.ndim() && !std::mem::replace(&mut seen[a], true));
        if !valid {
            return Err(Error::InvalidShape {
                op: "permute",
                message: format!(
                    "{axes:?} is not a permutation of the {} axes of a tensor of shape {:?}",
                    self.ndim(),
                    self.shape()
                ),
            });
        }
        let out = self.with_layout(self.layout().permute(axes));
        let mut inverse = vec![0; axes.len()];
        axes.iter().enumerate().for_each(|(i, &a)| inverse[a] = i);
        Ok(record(out, "permute", &[self], move |g, _| {
            Ok(vec![Some(g.permute(&inverse)?)])
        }))
    }

    /// A view repeated to `shape` by numpy's broadcasting rules (no copy).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        if broadcast_shapes("broadcast_to", self.shape(), shape)?[..] != *shape {
            return Err(Error::ShapeMismatch {
                op: "broadcast_to",
                lhs: self.shape().to_vec(),
                rhs: shape.to_vec(),
                hint: "the target must have every dimension of the tensor, or 1 where the tensor has 1",
            });
        }
        let out = self.with_layout(self.layout().broadcast_to(shape));
        let input_shape = self.shape().to_vec();
        Ok(record(out, "broadcast_to", &[self], move |g, _| {
            Ok(vec![Some(g.sum_to(&input_shape)?)])
        }))
    }

    /// A view of `len` elements along `axis`, from `start` on (PyTorch's `narrow`).
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Result<Tensor> {
        let axis = normalize_axis("narrow", axis, self.ndim())?;
        let dim = self.shape()[axis];
        if start.checked_add(len).is_none_or(|end| end > dim) {
            return Err(Error::InvalidShape {
                op: "narrow",
                message: format!(
                    "elements {start}..{} do not fit in axis {axis} of length {dim} (shape {:?})",
                    start.saturating_add(len),
                    self.shape()
                ),
            });
        }
        let out = self.with_layout(self.layout().narrow(axis, start, len));
        let input_shape = self.shape().to_vec();
        Ok(record(out, "narrow", &[self], move |g, _| {
            // Zeros around the gradient, back to the input's extent along `axis`.
            let zeros = |extent| {
                let mut shape = input_shape.clone();
                shape[axis] = extent;
                Tensor::zeros(&shape, g.dtype(), &g.device())
            };
            let (before, after) = (zeros(start)?, zeros(dim - start - len)?);
            Ok(vec![Some(Tensor::cat(
                &[&before, g, &after],
                axis as isize,
            )?)])
        }))
    }

    /// Tensors joined along `axis`; they must agree on dtype, device and every other axis.
    pub fn cat(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let Some(first) = tensors.first() else {
            return Err(Error::InvalidArgument {
                op: "cat",
                message: "needs at least one tensor".into(),
            });
        };
        let axis = normalize_axis("cat", axis, first.ndim())?;
        for t in &tensors[1..] {
            first.same_device("cat", t)?;
            first.same_dtype("cat", t)?;
            let agrees = t.ndim() == first.ndim()
                && (0..t.ndim()).all(|d| d == axis || t.shape()[d] == first.shape()[d]);
            if !agrees {
                return Err(Error::ShapeMismatch {
                    op: "cat",
                    lhs: first.shape().to_vec(),
                    rhs: t.shape().to_vec(),
                    hint: "every dimension but the concatenation axis must be equal",
                });
            }
        }
        let lengths: Vec<usize> = tensors.iter().map(|t| t.shape()[axis]).collect();
        let mut shape = first.shape().to_vec();
        shape[axis] = lengths
            .iter()
            .try_fold(0usize, |sum, &len| sum.checked_add(len))
            .ok_or_else(|| Error::InvalidShape {
                op: "cat",
                message: format!("the lengths {lengths:?} along axis {axis} overflow"),
            })?;
        checked_numel("cat", &shape)?;
        let parts: Vec<(&Storage, &Layout)> =
            tensors.iter().map(|t| (t.storage(), t.layout())).collect();
        let out = Tensor::from_kernel(Storage::cat(&parts, axis, &shape), &shape)?;
        Ok(record(out, "cat", tensors, move |g, needs| {
            let mut start = 0;
            let mut grads = Vec::with_capacity(lengths.len());
            for (&len, &need) in lengths.iter().zip(needs) {
                grads.push(grad_if(need, || g.narrow(axis as isize, start, len))?);
                start += len;
            }
            Ok(grads)
        }))
    }
}
