//! Running sums along an axis.

use crate::autograd::record;
use crate::backend::Backend;
use crate::error::Result;
use crate::shape::normalize_axis;
use crate::tensor::Tensor;

impl Tensor {
    /// Running sums along `axis` (`torch.cumsum`): element `i` is the sum of elements `0..=i`.
    /// Integers keep their dtype. Differentiable: the gradient is the running sum of the
    /// output's gradient taken from the end, itself differentiable.
    pub fn cumsum(&self, axis: isize) -> Result<Tensor> {
        self.running_sum(axis, false)
    }

    /// Running sums from the start (`reverse` false) or from the end along `axis`.
    fn running_sum(&self, axis: isize, reverse: bool) -> Result<Tensor> {
        if self.ndim() == 0 {
            return self.reshape(&[1])?.running_sum(0, reverse)?.reshape(&[]);
        }
        let axis = normalize_axis("cumsum", axis, self.ndim())? as isize;
        let last = self.ndim() as isize - 1;
        // The kernel runs along the last axis: a view with `axis` moved there, and back.
        let moved = self.detach().transpose(axis, last)?;
        let out = Tensor::from_kernel(
            moved.storage().cumsum(moved.layout(), reverse),
            moved.shape(),
        )?
        .transpose(axis, last)?;
        Ok(record(out, "cumsum", &[self], move |g, _| {
            Ok(vec![Some(g.running_sum(axis, !reverse)?)])
        }))
    }
}
