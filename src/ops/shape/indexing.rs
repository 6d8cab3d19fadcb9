//! Indexing by integer tensors: `gather`, `scatter_add`, `index_select`, `masked_fill`,
//! `one_hot` and class labels. Indices are checked against their bound before any kernel runs
//! (read back once per index tensor on the GPU, and remembered), so an index out of range is an
//! error that names it and the bound, never a silent read out of bounds.

use crate::autograd::{grad_if, record};
use crate::backend::Backend;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::{broadcast_shapes, normalize_axis};
use crate::tensor::Tensor;

/// What an integer tensor holds, for the error that names a value out of range.
#[derive(Clone, Copy)]
pub(crate) enum Indices {
    /// Class labels of a loss or of `one_hot`.
    Labels,
    /// Positions along an axis.
    Positions,
}

impl Tensor {
    /// `Err` unless this is an integer tensor whose elements all lie in `0..bound`, except
    /// those equal to `except` (an ignored label).
    pub(crate) fn require_indices(
        &self,
        op: &'static str,
        kind: Indices,
        bound: usize,
        except: Option<i64>,
    ) -> Result<()> {
        if !matches!(self.dtype(), DType::I32 | DType::I64 | DType::U8) {
            return Err(Error::UnsupportedDType {
                op,
                dtype: self.dtype(),
                hint: "indices are integers: convert them with .to_dtype(DType::I64)",
            });
        }
        let out_of_range = |lo: i64, hi: i64| lo < 0 || hi >= bound as i64;
        let Some((lo, hi)) = self
            .integer_range()?
            .filter(|&(lo, hi)| out_of_range(lo, hi))
        else {
            return Ok(());
        };
        // Only an ignored value may lie outside; find out without it (a rare, uncached path).
        let offender = match except {
            Some(ignored) => {
                let kept = self.ne_scalar(ignored as f64)?;
                let replaced = kept.where_cond(self, &self.scalar_like(0.0)?)?;
                replaced
                    .integer_range()?
                    .filter(|&(lo, hi)| out_of_range(lo, hi))
            }
            None => Some((lo, hi)),
        };
        match offender {
            Some((lo, hi)) => {
                let value = if lo < 0 { lo } else { hi };
                let message = match kind {
                    Indices::Labels => format!("label {value} is not a class index in 0..{bound}"),
                    Indices::Positions => {
                        format!("index {value} is out of range for an axis of length {bound}")
                    }
                };
                Err(Error::InvalidArgument { op, message })
            }
            None => Ok(()),
        }
    }

    /// Each integer of this tensor as a row of `classes` zeros with a one at its position,
    /// shape `[.., classes]`, i64 (`torch.nn.functional.one_hot`). Not differentiable.
    pub fn one_hot(&self, classes: usize) -> Result<Tensor> {
        self.require_indices("one_hot", Indices::Labels, classes, None)?;
        let positions = Tensor::arange(0.0, classes as f64, 1.0, self.dtype(), &self.device())?;
        self.unsqueeze(-1)?.eq(&positions)?.to_dtype(DType::I64)
    }

    /// `Err` unless `index` can index this tensor along `axis`: an integer tensor of this
    /// tensor's rank on its device, no longer than it on the other axes, whose values lie in the
    /// axis' range.
    fn check_index(&self, op: &'static str, axis: usize, index: &Tensor) -> Result<()> {
        self.same_device(op, index)?;
        let fits = index.ndim() == self.ndim()
            && (0..self.ndim()).all(|d| d == axis || index.shape()[d] <= self.shape()[d]);
        if !fits {
            return Err(Error::ShapeMismatch {
                op,
                lhs: self.shape().to_vec(),
                rhs: index.shape().to_vec(),
                hint: "the index needs the tensor's rank, and no more than its length on every \
                       other axis",
            });
        }
        index.require_indices(op, Indices::Positions, self.shape()[axis], None)
    }

    /// `torch.gather`: the result has `index`'s shape, and element `c` is this tensor's at `c`
    /// with its `axis` coordinate replaced by `index[c]`. Differentiable in this tensor (the
    /// gradient is a `scatter_add`, which sums repeated indices), not in the index.
    pub fn gather(&self, axis: isize, index: &Tensor) -> Result<Tensor> {
        let axis = normalize_axis("gather", axis, self.ndim())?;
        self.check_index("gather", axis, index)?;
        self.gather_checked(axis, index)
    }

    /// [`Tensor::gather`] with an index already checked.
    pub(crate) fn gather_checked(&self, axis: usize, index: &Tensor) -> Result<Tensor> {
        let storage = self
            .storage()
            .gather(self.layout(), axis, (index.storage(), index.layout()));
        let out = self.bounds_onto(Tensor::from_kernel(storage, index.shape())?);
        let (shape, positions) = (self.shape().to_vec(), index.detach());
        Ok(record(out, "gather", &[self], move |g, _| {
            let zeros = Tensor::zeros(&shape, g.dtype(), &g.device())?;
            Ok(vec![Some(zeros.scatter_add(
                axis as isize,
                &positions,
                g,
            )?)])
        }))
    }

    /// `torch.scatter_add`: this tensor with each `src[c]` added at `c` with its `axis`
    /// coordinate replaced by `index[c]`; repeated indices accumulate. `src` has `index`'s
    /// shape (PyTorch also takes a larger `src` and ignores the rest: narrow it first).
    /// Differentiable in this tensor and in `src`. On the GPU each output element sums its
    /// contributions itself, in a fixed order, so results are deterministic, at a cost of
    /// (elements x index length along `axis`).
    pub fn scatter_add(&self, axis: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let axis = normalize_axis("scatter_add", axis, self.ndim())?;
        self.check_index("scatter_add", axis, index)?;
        self.same_device("scatter_add", src)?;
        self.same_dtype("scatter_add", src)?;
        if src.shape() != index.shape() {
            return Err(Error::ShapeMismatch {
                op: "scatter_add",
                lhs: src.shape().to_vec(),
                rhs: index.shape().to_vec(),
                hint: "src must have the index's shape; narrow a larger src first",
            });
        }
        let storage = self.storage().scatter_add(
            self.layout(),
            axis,
            (index.storage(), index.layout()),
            (src.storage(), src.layout()),
        );
        let out = Tensor::from_kernel(storage, self.shape())?;
        let positions = index.detach();
        Ok(record(out, "scatter_add", &[self, src], move |g, needs| {
            Ok(vec![
                grad_if(needs[0], || Ok(g.clone()))?,
                grad_if(needs[1], || g.gather(axis as isize, &positions))?,
            ])
        }))
    }

    /// The slices of this tensor at `index` (a 1-D integer tensor) along `axis`, in its order,
    /// repeats allowed (`torch.index_select`; an embedding lookup is `weight.index_select(0,
    /// &ids)`). Differentiable in this tensor; repeated indices accumulate their gradients.
    pub fn index_select(&self, axis: isize, index: &Tensor) -> Result<Tensor> {
        let axis = normalize_axis("index_select", axis, self.ndim())?;
        let &[count] = index.shape() else {
            return Err(Error::InvalidShape {
                op: "index_select",
                message: format!("the index must be 1-D, not of shape {:?}", index.shape()),
            });
        };
        self.same_device("index_select", index)?;
        // Checked here, on the caller's tensor, whose range is remembered across calls.
        index.require_indices("index_select", Indices::Positions, self.shape()[axis], None)?;
        let mut along = vec![1; self.ndim()];
        along[axis] = count;
        let mut shape = self.shape().to_vec();
        shape[axis] = count;
        // The index, seen as a broadcast view of the result's shape: no copy.
        let spread = index.reshape(&along)?.broadcast_to(&shape)?;
        self.gather_checked(axis, &spread)
    }

    /// This tensor with `value` where `mask` (a bool tensor that broadcasts to this shape) is
    /// true (`torch.Tensor.masked_fill`). Differentiable in this tensor (zero where filled).
    pub fn masked_fill(&self, mask: &Tensor, value: f64) -> Result<Tensor> {
        mask.require_bool("masked_fill")?;
        if broadcast_shapes("masked_fill", mask.shape(), self.shape())?[..] != *self.shape() {
            return Err(Error::ShapeMismatch {
                op: "masked_fill",
                lhs: self.shape().to_vec(),
                rhs: mask.shape().to_vec(),
                hint: "the mask must broadcast to the tensor's shape",
            });
        }
        mask.where_cond(&self.scalar_like(value)?, self)
    }
}
