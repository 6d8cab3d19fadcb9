//! The tensor handle: shared storage, a layout (view) over it, and its place in the autograd graph.

use std::sync::{Arc, Mutex, OnceLock};

use crate::autograd::{self, Edge, EdgeTarget, GradMeta, GradOptions, GradSlot};
use crate::backend::{Backend, Storage};
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::Layout;
use crate::sync::lock;

/// An n-dimensional array on a device, optionally tracked by autograd.
///
/// Cloning is cheap and shares everything, including the gradient slot of a leaf (like binding a
/// second name to the same PyTorch tensor). Views (transpose, permute, broadcast, narrow, reshape
/// of contiguous data) share storage; data is never mutated in place, so sharing is always safe.
#[derive(Clone)]
pub struct Tensor {
    data: Arc<Data>,
    grad_meta: GradMeta,
}

/// A tensor's elements: where they are stored and the layout (view) over that storage. Its place
/// in the graph is the tensor's own, so that `detach` or a re-attached output shares this
/// allocation, and a fresh tensor costs one allocation besides its elements.
struct Data {
    backing: Backing,
    layout: Layout,
    /// Bounds on the elements of an integer tensor, once known: the smallest and largest element
    /// when read, or those of the tensor this one is a view of. Data never changes, so a check
    /// that needs them (cross_entropy's labels, a gather's indices) reads a GPU tensor back at
    /// most once, and not at all for indices made on the host or views of checked ones.
    integer_range: OnceLock<Option<(i64, i64)>>,
}

/// Where a tensor's storage is.
enum Backing {
    /// Here: a kernel's output, or data from the host.
    Own(Storage),
    /// In the data of which this is a view, which owns it (views of views point at the owner).
    /// Only the storage is kept alive this way, never a place in the graph.
    View(Arc<Data>),
}

impl Data {
    fn storage(&self) -> &Storage {
        match &self.backing {
            Backing::Own(storage) => storage,
            Backing::View(owner) => owner.storage(),
        }
    }

    /// The data that owns this data's storage: itself, or the one it is a view of.
    fn owner(self: &Arc<Data>) -> &Arc<Data> {
        match &self.backing {
            Backing::Own(_) => self,
            Backing::View(owner) => owner,
        }
    }
}

impl Tensor {
    /// A fresh, untracked tensor over `storage`.
    pub(crate) fn from_storage(storage: Storage, layout: Layout) -> Tensor {
        Tensor::over(Backing::Own(storage), layout, OnceLock::new())
    }

    fn over(
        backing: Backing,
        layout: Layout,
        integer_range: OnceLock<Option<(i64, i64)>>,
    ) -> Tensor {
        Tensor {
            data: Arc::new(Data {
                backing,
                layout,
                integer_range,
            }),
            grad_meta: GradMeta::None,
        }
    }

    /// An untracked view of this tensor's storage with another layout, within its bounds.
    pub(crate) fn with_layout(&self, layout: Layout) -> Tensor {
        Tensor::over(
            Backing::View(Arc::clone(self.data.owner())),
            layout,
            self.data.integer_range.clone(),
        )
    }

    /// The same data with a new place in the graph.
    pub(crate) fn with_grad_meta(&self, grad_meta: GradMeta) -> Tensor {
        Tensor {
            data: Arc::clone(&self.data),
            grad_meta,
        }
    }

    /// This tensor, whose elements the caller knows to lie in `lo..=hi` (indices made on the
    /// host): checks against them need no read from the device.
    pub(crate) fn with_integer_range(self, lo: i64, hi: i64) -> Tensor {
        let _ = self.data.integer_range.set(Some((lo, hi)));
        self
    }

    /// `out`, whose elements are some of this tensor's (moved, gathered), with this tensor's
    /// bounds when they are already known: nothing is read to know them.
    pub(crate) fn bounds_onto(&self, out: Tensor) -> Tensor {
        match self.known_integer_range() {
            Some((lo, hi)) => out.with_integer_range(lo, hi),
            None => out,
        }
    }

    /// The bounds of [`Tensor::integer_range`] if already known, without reading anything.
    pub(crate) fn known_integer_range(&self) -> Option<(i64, i64)> {
        self.data.integer_range.get().copied().flatten()
    }

    pub(crate) fn storage(&self) -> &Storage {
        self.data.storage()
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.data.layout
    }

    pub(crate) fn grad_meta(&self) -> &GradMeta {
        &self.grad_meta
    }

    /// Where this tensor's gradient goes when it is an input of a recorded op.
    pub(crate) fn edge(&self) -> Option<Edge> {
        let target = match &self.grad_meta {
            GradMeta::None => return None,
            GradMeta::Leaf(slot) => EdgeTarget::Leaf(Arc::downgrade(slot)),
            GradMeta::SavedLeaf(slot) => EdgeTarget::Leaf(slot.clone()),
            GradMeta::Op(node) => EdgeTarget::Op(Arc::clone(node)),
        };
        Some(Edge {
            target,
            shape: self.shape().to_vec(),
            dtype: self.dtype(),
        })
    }

    /// This tensor as a gradient rule keeps it: with its place in the graph, so that a
    /// `create_graph` backward can differentiate the rule, but without keeping a leaf's gradient
    /// slot alive (that slot may come to hold a gradient whose graph saved this tensor).
    pub(crate) fn saved(&self) -> Tensor {
        match &self.grad_meta {
            GradMeta::Leaf(slot) => self.with_grad_meta(GradMeta::SavedLeaf(Arc::downgrade(slot))),
            GradMeta::None | GradMeta::SavedLeaf(_) | GradMeta::Op(_) => self.clone(),
        }
    }

    /// A leaf's gradient slot, if this is a leaf that requires grad and is still alive.
    fn grad_slot(&self) -> Option<GradSlot> {
        match &self.grad_meta {
            GradMeta::Leaf(slot) => Some(Arc::clone(slot)),
            GradMeta::SavedLeaf(slot) => slot.upgrade(),
            GradMeta::None | GradMeta::Op(_) => None,
        }
    }

    /// Bounds on the elements of an integer tensor (`None` when it is empty): its smallest and
    /// largest element, read from the device the first time only, unless already known.
    pub(crate) fn integer_range(&self) -> Result<Option<(i64, i64)>> {
        if let Some(range) = self.data.integer_range.get() {
            return Ok(*range);
        }
        let values = self.to_dtype(DType::I64)?.detach().to_ndarray::<i64>()?;
        let range = values.iter().fold(None, |range: Option<(i64, i64)>, &v| {
            Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        });
        Ok(*self.data.integer_range.get_or_init(|| range))
    }

    /// The number of tensors (clones, views, detached copies, saved states) sharing this
    /// tensor's storage.
    #[cfg(test)]
    pub(crate) fn storage_owners(&self) -> usize {
        Arc::strong_count(self.data.owner())
    }

    /// The size of each dimension; empty for a scalar.
    pub fn shape(&self) -> &[usize] {
        &self.data.layout.shape
    }

    /// The number of dimensions.
    pub fn ndim(&self) -> usize {
        self.data.layout.ndim()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.data.layout.numel()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.storage().dtype()
    }

    /// The device holding the data.
    pub fn device(&self) -> Device {
        self.storage().device()
    }

    /// True when the elements are laid out in C order without gaps (views may not be).
    pub fn is_contiguous(&self) -> bool {
        self.data.layout.is_contiguous()
    }

    /// True when backward will compute a gradient through this tensor (PyTorch's `requires_grad`
    /// attribute): a leaf marked with [`Tensor::requires_grad`], or a result of recorded ops on one.
    pub fn needs_grad(&self) -> bool {
        !matches!(self.grad_meta, GradMeta::None)
    }

    /// True unless the tensor is the result of a recorded op.
    pub fn is_leaf(&self) -> bool {
        !matches!(self.grad_meta, GradMeta::Op(_))
    }

    /// Marks this tensor as a leaf whose gradient backward computes into [`Tensor::grad`].
    /// Only floating-point tensors can require gradients. A recorded result already does.
    pub fn requires_grad(self) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return Err(Error::Backward {
                message: format!(
                    "only floating-point tensors can require gradients, this one is {}; \
                     convert it first with .to_dtype(DType::F32)",
                    self.dtype()
                ),
            });
        }
        Ok(match self.grad_meta {
            GradMeta::None => self.with_grad_meta(GradMeta::Leaf(Arc::new(Mutex::new(None)))),
            GradMeta::Leaf(_) | GradMeta::SavedLeaf(_) | GradMeta::Op(_) => self,
        })
    }

    /// The same data, cut from the graph: no history, no gradient. Shares storage (no copy).
    pub fn detach(&self) -> Tensor {
        self.with_grad_meta(GradMeta::None)
    }

    /// The gradient accumulated into this leaf by backward, if any: a detached tensor, or after
    /// a `create_graph` backward one attached to the gradient's own graph (as in PyTorch).
    pub fn grad(&self) -> Option<Tensor> {
        self.grad_slot().and_then(|slot| lock(&slot).clone())
    }

    /// Clears this leaf's accumulated gradient (PyTorch's `zero_grad(set_to_none=True)`).
    pub fn zero_grad(&self) {
        self.replace_grad(None);
    }

    /// Replaces this leaf's accumulated gradient (gradient clipping does); nothing for a tensor
    /// that is not a leaf requiring grad.
    pub(crate) fn replace_grad(&self, grad: Option<Tensor>) {
        if let Some(slot) = self.grad_slot() {
            *lock(&slot) = grad;
        }
    }

    /// Backpropagates from this scalar, seeding its gradient with 1, and frees the graph's saved
    /// tensors. Gradients accumulate into the leaves' [`Tensor::grad`].
    pub fn backward(&self) -> Result<()> {
        self.backward_with_options(None, &GradOptions::new())
    }

    /// Backpropagates `gradient` (required unless this tensor has one element) from this tensor.
    /// With `retain_graph`, the saved tensors are kept for another backward through this graph.
    pub fn backward_with(&self, gradient: Option<&Tensor>, retain_graph: bool) -> Result<()> {
        self.backward_with_options(gradient, &GradOptions::new().retain_graph(retain_graph))
    }

    /// Backpropagates `gradient` (required unless this tensor has one element) from this tensor
    /// as `options` say. With `create_graph` the backward pass is itself recorded: the leaves'
    /// gradients are attached to a graph (they require grad) and can be differentiated again.
    ///
    /// Such a gradient's graph reads the leaf, but only weakly: it holds no reference cycle, and
    /// dropping the leaf releases it all. [`grad`](crate::grad) returns gradients without
    /// storing them in any leaf, which is usually what higher-order code wants.
    pub fn backward_with_options(
        &self,
        gradient: Option<&Tensor>,
        options: &GradOptions,
    ) -> Result<()> {
        autograd::backward(self, gradient, options)
    }

    /// `Err(DeviceMismatch)` unless `other` lives on this tensor's device.
    pub(crate) fn same_device(&self, op: &'static str, other: &Tensor) -> Result<()> {
        if self.storage().same_device(other.storage()) {
            Ok(())
        } else {
            Err(Error::DeviceMismatch {
                op,
                lhs: self.device().kind(),
                rhs: other.device().kind(),
            })
        }
    }

    /// `Err(DTypeMismatch)` unless `other` has this tensor's dtype.
    pub(crate) fn same_dtype(&self, op: &'static str, other: &Tensor) -> Result<()> {
        if self.dtype() == other.dtype() {
            Ok(())
        } else {
            Err(Error::DTypeMismatch {
                op,
                lhs: self.dtype(),
                rhs: other.dtype(),
            })
        }
    }

    /// `Err(UnsupportedDType)` unless this tensor is floating point.
    pub(crate) fn require_float(&self, op: &'static str) -> Result<()> {
        if self.dtype().is_float() {
            Ok(())
        } else {
            Err(Error::UnsupportedDType {
                op,
                dtype: self.dtype(),
                hint: "it needs a floating-point tensor; convert with .to_dtype(DType::F32)",
            })
        }
    }

    /// The elements in C order as fresh contiguous storage (shared, not copied, when they already are).
    pub(crate) fn contiguous_storage(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.detach());
        }
        let storage = self.storage().copy_strided(self.layout())?;
        Ok(Tensor::from_storage(
            storage,
            Layout::contiguous(self.shape()),
        ))
    }
}
