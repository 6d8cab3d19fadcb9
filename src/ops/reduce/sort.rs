//! Sorting along an axis: `argsort`, `sort` and `topk`. The permutation is computed by a kernel;
//! the values are a `gather` through it, so they are differentiable (the gradient goes back to
//! where each value came from) while the indices are not.

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::shape::normalize_axis;
use crate::tensor::Tensor;

impl Tensor {
    /// The indices (i64) that sort this tensor along `axis`, ascending or `descending`. NaN
    /// counts as the largest value, and equal values keep their order (a stable sort, as
    /// PyTorch's `stable=True`).
    pub fn argsort(&self, axis: isize, descending: bool) -> Result<Tensor> {
        if self.ndim() == 0 {
            return self.reshape(&[1])?.argsort(0, descending)?.reshape(&[]);
        }
        let axis = normalize_axis("argsort", axis, self.ndim())?;
        let last = self.ndim() - 1;
        let moved = self.transpose(axis as isize, last as isize)?;
        let sorted = Tensor::from_kernel(
            moved.storage().argsort(moved.layout(), descending),
            moved.shape(),
        )?;
        sorted.transpose(axis as isize, last as isize)
    }

    /// This tensor sorted along `axis`, and the indices each value came from (`torch.sort`).
    pub fn sort(&self, axis: isize, descending: bool) -> Result<(Tensor, Tensor)> {
        let indices = self.argsort(axis, descending)?;
        if self.ndim() == 0 {
            return Ok((self.clone(), indices));
        }
        let axis = normalize_axis("sort", axis, self.ndim())?;
        Ok((self.gather_checked(axis, &indices)?, indices))
    }

    /// The `k` largest (or, unless `largest`, smallest) values along `axis` in order, and their
    /// indices (`torch.topk`).
    pub fn topk(&self, k: usize, axis: isize, largest: bool) -> Result<(Tensor, Tensor)> {
        let axis_index = normalize_axis("topk", axis, self.ndim())?;
        let length = self.shape()[axis_index];
        if k > length {
            return Err(Error::InvalidArgument {
                op: "topk",
                message: format!("k = {k} exceeds the {length} elements along axis {axis_index}"),
            });
        }
        let indices = self.argsort(axis, largest)?.narrow(axis, 0, k)?;
        Ok((self.gather_checked(axis_index, &indices)?, indices))
    }
}
