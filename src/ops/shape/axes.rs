//! Ops that add, remove, merge or split axes: `unsqueeze`, `squeeze`, `flatten`, `reshape_infer`,
//! `expand`, `stack`, `chunk` and `split`. All are views except `stack` (and a `flatten` or
//! `reshape_infer` of a view that is not contiguous, which copies, as `reshape` does).

use crate::autograd::record;
use crate::backend::cpu::alloc;
use crate::error::{Error, Result};
use crate::shape::{Layout, normalize_axis};
use crate::tensor::Tensor;

impl Tensor {
    /// A view of this tensor's elements with `layout`, whose gradient is reshaped back.
    fn regrouped(&self, name: &'static str, layout: Layout) -> Tensor {
        let out = self.with_layout(layout);
        let input_shape = self.shape().to_vec();
        record(out, name, &[self], move |g, _| {
            Ok(vec![Some(g.reshape(&input_shape)?)])
        })
    }

    /// A view with a new axis of length 1 at `axis` (`-1` appends one).
    pub fn unsqueeze(&self, axis: isize) -> Result<Tensor> {
        let axis = normalize_axis("unsqueeze", axis, self.ndim() + 1)?;
        Ok(self.regrouped("unsqueeze", self.layout().unsqueeze(axis)))
    }

    /// A view without `axis` if it has length 1; as in PyTorch, a longer axis stays (the tensor
    /// is returned as it is).
    pub fn squeeze(&self, axis: isize) -> Result<Tensor> {
        let axis = normalize_axis("squeeze", axis, self.ndim())?;
        if self.shape()[axis] != 1 {
            return Ok(self.clone());
        }
        Ok(self.regrouped("squeeze", self.layout().squeeze(&[axis])))
    }

    /// A view without every axis of length 1.
    pub fn squeeze_all(&self) -> Tensor {
        let ones: Vec<usize> = (0..self.ndim()).filter(|&d| self.shape()[d] == 1).collect();
        self.regrouped("squeeze", self.layout().squeeze(&ones))
    }

    /// Axes `start..=end` merged into one (PyTorch's `flatten(start_dim, end_dim)`); negative
    /// axes count from the end. A view when the tensor is contiguous, else a copy.
    pub fn flatten(&self, start: isize, end: isize) -> Result<Tensor> {
        if self.ndim() == 0 {
            return self.reshape(&[1]);
        }
        let start = normalize_axis("flatten", start, self.ndim())?;
        let end = normalize_axis("flatten", end, self.ndim())?;
        if start > end {
            return Err(Error::InvalidArgument {
                op: "flatten",
                message: format!("start axis {start} comes after end axis {end}"),
            });
        }
        let shape = self.shape();
        let mut merged = shape[..start].to_vec();
        merged.push(shape[start..=end].iter().product());
        merged.extend_from_slice(&shape[end + 1..]);
        self.reshape(&merged)
    }

    /// `reshape` with at most one dimension given as `-1`, inferred from the others
    /// (PyTorch's `reshape(-1, 4)`).
    pub fn reshape_infer(&self, shape: &[isize]) -> Result<Tensor> {
        let invalid = |message: String| Error::InvalidShape {
            op: "reshape",
            message,
        };
        if shape.iter().filter(|&&d| d == -1).count() > 1 || shape.iter().any(|&d| d < -1) {
            return Err(invalid(format!(
                "{shape:?} may hold one -1 and otherwise sizes of at least 0"
            )));
        }
        let known = shape
            .iter()
            .filter(|&&d| d != -1)
            .try_fold(1usize, |n, &d| n.checked_mul(d as usize))
            .ok_or_else(|| invalid(format!("{shape:?} has more elements than fit in memory")))?;
        let inferred = self.numel().checked_div(known).unwrap_or(0);
        let resolved: Vec<usize> = shape
            .iter()
            .map(|&d| if d == -1 { inferred } else { d as usize })
            .collect();
        if shape.contains(&-1) && (known == 0 || inferred * known != self.numel()) {
            return Err(invalid(format!(
                "cannot infer the -1 in {shape:?} for a tensor of shape {:?} ({} elements)",
                self.shape(),
                self.numel()
            )));
        }
        self.reshape(&resolved)
    }

    /// A broadcast view to `shape`, where `-1` keeps this tensor's own size of that axis
    /// (PyTorch's `expand`); new leading axes need a size.
    pub fn expand(&self, shape: &[isize]) -> Result<Tensor> {
        let lead = shape
            .len()
            .checked_sub(self.ndim())
            .ok_or_else(|| Error::ShapeMismatch {
                op: "expand",
                lhs: self.shape().to_vec(),
                rhs: shape.iter().map(|&d| d.max(0) as usize).collect(),
                hint: "the target needs at least as many axes as the tensor",
            })?;
        let target = shape
            .iter()
            .enumerate()
            .map(|(i, &d)| match (d, i.checked_sub(lead)) {
                (-1, Some(j)) => Ok(self.shape()[j]),
                (d, _) if d >= 0 => Ok(d as usize),
                _ => Err(Error::InvalidShape {
                    op: "expand",
                    message: format!(
                        "size {d} at axis {i} of {shape:?}: sizes are at least 0, or -1 to keep \
                         an existing axis"
                    ),
                }),
            })
            .collect::<Result<Vec<_>>>()?;
        self.broadcast_to(&target)
    }

    /// Tensors of one shape joined along a new axis (`torch.stack`).
    pub fn stack(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        let Some(first) = tensors.first() else {
            return Err(Error::InvalidArgument {
                op: "stack",
                message: "needs at least one tensor".into(),
            });
        };
        if let Some(other) = tensors.iter().find(|t| t.shape() != first.shape()) {
            return Err(Error::ShapeMismatch {
                op: "stack",
                lhs: first.shape().to_vec(),
                rhs: other.shape().to_vec(),
                hint: "stacked tensors must all have one shape",
            });
        }
        let axis = normalize_axis("stack", axis, first.ndim() + 1)?;
        let parts = tensors
            .iter()
            .map(|t| t.unsqueeze(axis as isize))
            .collect::<Result<Vec<_>>>()?;
        Tensor::cat(&parts.iter().collect::<Vec<_>>(), axis as isize)
    }

    /// Views of `size` elements along `axis` each, the last one shorter if the axis does not
    /// divide evenly (`torch.split` with an int).
    pub fn split(&self, size: usize, axis: isize) -> Result<Vec<Tensor>> {
        let axis_index = normalize_axis("split", axis, self.ndim())?;
        if size == 0 {
            return Err(Error::InvalidArgument {
                op: "split",
                message: "the size of each part must be at least 1".into(),
            });
        }
        let len = self.shape()[axis_index];
        // An empty tensor may have an axis of any length: the list of parts is reserved
        // fallibly, like any buffer whose size comes from the caller.
        let mut parts = alloc::with_capacity(len.div_ceil(size))?;
        for start in (0..len).step_by(size) {
            parts.push(self.narrow(axis, start, size.min(len - start))?);
        }
        Ok(parts)
    }

    /// At most `chunks` views along `axis`, each of `ceil(len / chunks)` elements but the last
    /// (`torch.chunk`).
    pub fn chunk(&self, chunks: usize, axis: isize) -> Result<Vec<Tensor>> {
        let axis_index = normalize_axis("chunk", axis, self.ndim())?;
        if chunks == 0 {
            return Err(Error::InvalidArgument {
                op: "chunk",
                message: "the number of chunks must be at least 1".into(),
            });
        }
        self.split(self.shape()[axis_index].div_ceil(chunks).max(1), axis)
    }
}
