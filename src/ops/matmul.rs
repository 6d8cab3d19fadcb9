//! Matrix products, plain and batched.

use crate::autograd::{grad_if, record};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::shape::checked_numel;
use crate::tensor::Tensor;

impl Tensor {
    /// Matrix product of 2-D or 3-D (batched) tensors: `[m, k] @ [k, n]`, `[b, m, k] @ [b, k, n]`,
    /// with a 2-D operand or a batch of 1 broadcast across the other's batch.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.same_device("matmul", rhs)?;
        self.same_dtype("matmul", rhs)?;
        let mismatch = |hint| Error::ShapeMismatch {
            op: "matmul",
            lhs: self.shape().to_vec(),
            rhs: rhs.shape().to_vec(),
            hint,
        };
        if !(2..=3).contains(&self.ndim()) || !(2..=3).contains(&rhs.ndim()) {
            return Err(mismatch(
                "matmul takes 2-D or 3-D tensors; reshape a vector to [1, n] or [n, 1]",
            ));
        }
        let (&[m, k], &[k2, n]) = (
            &self.shape()[self.ndim() - 2..],
            &rhs.shape()[rhs.ndim() - 2..],
        ) else {
            return Err(Error::Internal("matmul: matrix dims".into()));
        };
        if k != k2 {
            return Err(mismatch(
                "the inner dimensions must agree: [.., m, k] @ [.., k, n]",
            ));
        }
        let batch_of = |t: &Tensor| if t.ndim() == 3 { t.shape()[0] } else { 1 };
        let batch = match (batch_of(self), batch_of(rhs)) {
            (a, b) if a == b || b == 1 => a,
            (1, b) => b,
            _ => return Err(mismatch("the batch dimensions must be equal or 1")),
        };
        let lhs3 = self.layout().broadcast_to(&[batch, m, k]);
        let rhs3 = rhs.layout().broadcast_to(&[batch, k, n]);
        let out_shape = if self.ndim() == 2 && rhs.ndim() == 2 {
            vec![m, n]
        } else {
            vec![batch, m, n]
        };
        // [m, 0] @ [0, n] holds no elements but makes m * n of them.
        checked_numel("matmul", &out_shape)?;
        let out = Tensor::from_kernel(
            self.storage().matmul(&lhs3, rhs.storage(), &rhs3),
            &out_shape,
        )?;
        let (a, b) = (self.saved(), rhs.saved());
        Ok(record(out, "matmul", &[self, rhs], move |g, needs| {
            Ok(vec![
                grad_if(needs[0], || {
                    g.matmul(&b.transpose(-1, -2)?)?.sum_to(a.shape())
                })?,
                grad_if(needs[1], || {
                    a.transpose(-1, -2)?.matmul(g)?.sum_to(b.shape())
                })?,
            ])
        }))
    }
}
