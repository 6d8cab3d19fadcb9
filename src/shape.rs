//! Shapes, strides and broadcasting: how a tensor's elements sit in its storage.
//!
//! A [`Layout`] maps a logical index to a position in storage as
//! `offset + sum(index[d] * strides[d])`. Transpose, permute, broadcast and narrow only make new
//! layouts over the same storage; nothing is copied until a kernel reads the view.

use smallvec::SmallVec;

use crate::error::{Error, Result};

/// A shape or its strides: inline up to rank 6, so that making the layout of an op's result
/// allocates nothing for the ranks models use.
pub(crate) type Dims = SmallVec<[usize; 6]>;

/// Where a tensor's elements are in its storage. Strides are in elements, never negative;
/// a stride of 0 repeats an element (a broadcast view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub shape: Dims,
    pub strides: Dims,
    pub offset: usize,
}

/// Strides of a C-order (row-major) array of this shape. Saturating: a shape's partial products
/// overflow only when another of its dimensions is 0, and an empty tensor's strides are never
/// used to reach an element.
pub(crate) fn contiguous_strides(shape: &[usize]) -> Dims {
    let mut strides = Dims::from_elem(0, shape.len());
    let mut step = 1usize;
    for (stride, &dim) in strides.iter_mut().zip(shape).rev() {
        *stride = step;
        step = step.saturating_mul(dim);
    }
    strides
}

/// Number of elements of a shape (1 for a scalar's empty shape).
pub(crate) fn numel(shape: &[usize]) -> usize {
    // Checked when the shape was made (checked_numel), unless a zero makes the other
    // dimensions' product meaningless: a permuted empty shape may not multiply out.
    if shape.contains(&0) {
        0
    } else {
        shape.iter().product()
    }
}

/// Number of elements of a shape given by a user, with overflow reported rather than wrapped.
pub(crate) fn checked_numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    if shape.contains(&0) {
        return Ok(0);
    }
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| Error::InvalidShape {
            op,
            message: format!("shape {shape:?} has more elements than fit in memory"),
        })
}

/// The shape both operands broadcast to, by numpy's rules: align trailing dimensions; each pair
/// must be equal or contain a 1.
pub(crate) fn broadcast_shapes(op: &'static str, lhs: &[usize], rhs: &[usize]) -> Result<Dims> {
    let ndim = lhs.len().max(rhs.len());
    let dim =
        |shape: &[usize], i: usize| (i + shape.len()).checked_sub(ndim).map_or(1, |j| shape[j]);
    let shape = (0..ndim)
        .map(|i| match (dim(lhs, i), dim(rhs, i)) {
            (a, b) if a == b => Ok(a),
            (1, b) => Ok(b),
            (a, 1) => Ok(a),
            _ => Err(Error::ShapeMismatch {
                op,
                lhs: lhs.to_vec(),
                rhs: rhs.to_vec(),
                hint: "they cannot be broadcast together (trailing dimensions must be equal or 1)",
            }),
        })
        .collect::<Result<Dims>>()?;
    // Each operand's size fits, but [n, 1] and [1, n] broadcast to n^2 elements.
    checked_numel(op, &shape)?;
    Ok(shape)
}

/// Turns a possibly negative axis (`-1` is the last) into an index below `ndim`.
pub(crate) fn normalize_axis(op: &'static str, axis: isize, ndim: usize) -> Result<usize> {
    let resolved = if axis < 0 { axis + ndim as isize } else { axis };
    if (0..ndim as isize).contains(&resolved) {
        Ok(resolved as usize)
    } else {
        Err(Error::AxisOutOfRange { op, axis, ndim })
    }
}

impl Layout {
    /// A C-order layout starting at the beginning of its storage.
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout {
            shape: Dims::from_slice(shape),
            strides: contiguous_strides(shape),
            offset: 0,
        }
    }

    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// True when the elements are stored in C order without gaps, from `offset` on.
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&dim, &stride) in self.shape.iter().zip(&self.strides).rev() {
            if dim != 1 && stride != expected {
                return false;
            }
            expected = expected.saturating_mul(dim);
        }
        true
    }

    /// The layout of this view with its axes reordered: axis `i` of the result is `axes[i]` here.
    pub fn permute(&self, axes: &[usize]) -> Layout {
        Layout {
            shape: axes.iter().map(|&a| self.shape[a]).collect(),
            strides: axes.iter().map(|&a| self.strides[a]).collect(),
            offset: self.offset,
        }
    }

    /// This view repeated (stride 0) to `shape`, which must be a valid broadcast target.
    pub fn broadcast_to(&self, shape: &[usize]) -> Layout {
        let lead = shape.len() - self.ndim();
        let strides = shape
            .iter()
            .enumerate()
            .map(|(i, &dim)| match i.checked_sub(lead) {
                Some(j) if self.shape[j] == dim => self.strides[j],
                _ => 0,
            })
            .collect();
        Layout {
            shape: Dims::from_slice(shape),
            strides,
            offset: self.offset,
        }
    }

    /// The view of `len` elements along `axis`, starting at `start`.
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Layout {
        let mut shape = self.shape.clone();
        shape[axis] = len;
        Layout {
            shape,
            strides: self.strides.clone(),
            // Saturating for the strides of empty tensors (see contiguous_strides).
            offset: self
                .offset
                .saturating_add(start.saturating_mul(self.strides[axis])),
        }
    }

    /// This view with a length-1 axis inserted before `axis` (which may be `ndim`).
    pub fn unsqueeze(&self, axis: usize) -> Layout {
        let (mut shape, mut strides) = (self.shape.clone(), self.strides.clone());
        shape.insert(axis, 1);
        strides.insert(axis, 0);
        Layout {
            shape,
            strides,
            offset: self.offset,
        }
    }

    /// This view without the listed axes, each of length 1.
    pub fn squeeze(&self, axes: &[usize]) -> Layout {
        let kept = |(d, _): &(usize, &usize)| !axes.contains(d);
        Layout {
            shape: self
                .shape
                .iter()
                .enumerate()
                .filter(kept)
                .map(|(_, &n)| n)
                .collect(),
            strides: self
                .strides
                .iter()
                .enumerate()
                .filter(kept)
                .map(|(_, &s)| s)
                .collect(),
            offset: self.offset,
        }
    }

    /// The same elements under a new shape of equal size; only for contiguous layouts.
    pub fn reshape_contiguous(&self, shape: &[usize]) -> Layout {
        Layout {
            shape: Dims::from_slice(shape),
            strides: contiguous_strides(shape),
            offset: self.offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(
            broadcast_shapes("t", &[3, 1, 5], &[4, 1]).unwrap()[..],
            [3, 4, 5]
        );
        assert_eq!(broadcast_shapes("t", &[], &[2, 3]).unwrap()[..], [2, 3]);
        assert!(broadcast_shapes("t", &[3, 2], &[3]).is_err());
    }

    #[test]
    fn views_keep_strides() {
        let l = Layout::contiguous(&[2, 3, 4]);
        assert_eq!(l.strides[..], [12, 4, 1]);
        let p = l.permute(&[2, 0, 1]);
        assert_eq!(
            (&p.shape[..], &p.strides[..]),
            (&[4, 2, 3][..], &[1, 12, 4][..])
        );
        assert!(!p.is_contiguous());
        let b = Layout::contiguous(&[3, 1]).broadcast_to(&[2, 3, 5]);
        assert_eq!(b.strides[..], [0, 1, 0]);
        let n = l.narrow(1, 1, 2);
        assert_eq!((n.offset, &n.shape[..]), (4, &[2, 2, 4][..]));
        assert_eq!(normalize_axis("t", -1, 3).unwrap(), 2);
        assert!(normalize_axis("t", 3, 3).is_err());
    }
}
