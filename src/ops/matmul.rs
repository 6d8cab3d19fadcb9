//! Matrix products of every rank, as `torch.matmul` defines them.

use crate::autograd::{grad_if, record};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::shape::{broadcast_shapes, checked_numel};
use crate::tensor::Tensor;

impl Tensor {
    /// Matrix product with `torch.matmul`'s rules for every rank: 1-D @ 1-D is a dot product
    /// (0-d), a 1-D operand on the left is a row and on the right a column (the added axis is
    /// removed again), and from 2-D on, the leading axes are batch axes that broadcast:
    /// `[.., m, k] @ [.., k, n] -> [.., m, n]`.
    ///
    /// A 2-D operand, or one whose batch axes are all 1, is read in place for every batch; a
    /// batch axis that must be broadcast across more than one axis is materialised first.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.same_device("matmul", rhs)?;
        self.same_dtype("matmul", rhs)?;
        let mismatch = |hint| Error::ShapeMismatch {
            op: "matmul",
            lhs: self.shape().to_vec(),
            rhs: rhs.shape().to_vec(),
            hint,
        };
        let (ls, rs) = (self.shape(), rhs.shape());
        if let (Some(k), Some(k2)) = (ls.last(), rs.len().checked_sub(2).map(|i| rs[i])) {
            if ls.len() >= 2 && *k != k2 {
                return Err(mismatch(
                    "the inner dimensions must agree: [.., m, k] @ [.., k, n]",
                ));
            }
        }
        match (self.ndim(), rhs.ndim()) {
            (0, _) | (_, 0) => Err(mismatch(
                "matmul needs at least 1-D operands; use mul for scalars",
            )),
            (1, 1) => self.unsqueeze(0)?.matmul(&rhs.unsqueeze(1)?)?.reshape(&[]),
            (1, _) => self.unsqueeze(0)?.matmul(rhs)?.squeeze(-2),
            (_, 1) => self.matmul(&rhs.unsqueeze(1)?)?.squeeze(-1),
            (2 | 3, 2 | 3) if self.ndim() == 2 || rhs.ndim() == 2 || self.batch_fits(rhs) => {
                self.matmul_3d(rhs)
            }
            _ => self.matmul_batched(rhs),
        }
    }

    /// Whether two 3-D operands' batches are equal or one of them is 1.
    fn batch_fits(&self, rhs: &Tensor) -> bool {
        let (a, b) = (self.shape()[0], rhs.shape()[0]);
        a == b || a == 1 || b == 1
    }

    /// N-D operands: the batch axes broadcast, and each operand becomes 2-D (batch axes all 1)
    /// or 3-D (its batch flattened) for [`Tensor::matmul_3d`].
    fn matmul_batched(&self, rhs: &Tensor) -> Result<Tensor> {
        let (ls, rs) = (self.shape(), rhs.shape());
        let (l_batch, r_batch) = (&ls[..ls.len() - 2], &rs[..rs.len() - 2]);
        let batch =
            broadcast_shapes("matmul", l_batch, r_batch).map_err(|_| Error::ShapeMismatch {
                op: "matmul",
                lhs: ls.to_vec(),
                rhs: rs.to_vec(),
                hint: "the batch dimensions must broadcast: each pair equal or 1",
            })?;
        let count = checked_numel("matmul", &batch)?;
        let as_3d = |t: &Tensor, own_batch: &[usize]| -> Result<Tensor> {
            let matrix = &t.shape()[t.ndim() - 2..];
            if own_batch.iter().all(|&d| d == 1) {
                return t.reshape(matrix);
            }
            let mut full = batch.clone();
            full.extend_from_slice(matrix);
            t.broadcast_to(&full)?
                .reshape(&[count, matrix[0], matrix[1]])
        };
        let product = as_3d(self, l_batch)?.matmul_3d(&as_3d(rhs, r_batch)?)?;
        let mut shape = batch;
        shape.extend_from_slice(&product.shape()[product.ndim() - 2..]);
        product.reshape(&shape)
    }

    /// Matrix product of 2-D or 3-D (batched) tensors: `[m, k] @ [k, n]`, `[b, m, k] @ [b, k, n]`,
    /// with a 2-D operand or a batch of 1 broadcast across the other's batch.
    /// Shapes, devices and dtypes checked by [`Tensor::matmul`].
    fn matmul_3d(&self, rhs: &Tensor) -> Result<Tensor> {
        let (&[m, k], &[_, n]) = (
            &self.shape()[self.ndim() - 2..],
            &rhs.shape()[rhs.ndim() - 2..],
        ) else {
            return Err(Error::Internal("matmul: matrix dims".into()));
        };
        let batch_of = |t: &Tensor| if t.ndim() == 3 { t.shape()[0] } else { 1 };
        // Equal, or one of them 1 (a 2-D operand counts as a batch of 1), as matmul checked.
        let batch = match (batch_of(self), batch_of(rhs)) {
            (a, 1) => a,
            (_, b) => b,
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
