//! The differentiable operations, one file per family, grouped in folders (elementwise,
//! reduce, shape) where a family has several. Each op checks its arguments, runs the
//! backend kernel, and records its gradient rule right beside the forward; the rules are written
//! with other ops, so they run on whatever device the tensors live on.

mod cast;
mod conv;
mod elementwise;
mod loss;
mod matmul;
mod reduce;
mod sampling;
mod shape;
mod softmax;

pub use conv::Conv2dOptions;
pub use loss::{CrossEntropyOptions, Reduction};

use crate::backend::Storage;
use crate::error::Result;
use crate::shape::{Layout, broadcast_shapes};
use crate::tensor::Tensor;

impl Tensor {
    /// An untracked tensor over the output of a kernel, laid out in C order as `shape`.
    pub(crate) fn from_kernel(storage: Result<Storage>, shape: &[usize]) -> Result<Tensor> {
        Ok(Tensor::from_storage(storage?, Layout::contiguous(shape)))
    }

    /// Runs `kernel` on the layouts of both operands broadcast to their common shape, after
    /// checking that they share a device and a dtype; its output is laid out in C order in that
    /// shape. Operands of one shape (the common case) pass their own layouts.
    pub(crate) fn broadcast_kernel(
        &self,
        op: &'static str,
        rhs: &Tensor,
        kernel: impl FnOnce(&Layout, &Layout) -> Result<Storage>,
    ) -> Result<Tensor> {
        self.same_device(op, rhs)?;
        self.same_dtype(op, rhs)?;
        if self.shape() == rhs.shape() {
            return Tensor::from_kernel(kernel(self.layout(), rhs.layout()), self.shape());
        }
        let shape = broadcast_shapes(op, self.shape(), rhs.shape())?;
        let (lhs_layout, rhs_layout) = (
            self.layout().broadcast_to(&shape),
            rhs.layout().broadcast_to(&shape),
        );
        Tensor::from_kernel(kernel(&lhs_layout, &rhs_layout), &shape)
    }
}
