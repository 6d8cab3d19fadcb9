//! Moving tensors out to `ndarray` (and in from it).
//!
//! Export refuses a tensor that is attached to the autograd graph until it is detached, the way
//! PyTorch's `.numpy()` does. It always copies: the array owns its memory and never aliases the
//! tensor. Views export in logical (C) order.

mod atomic;
pub mod npy;
pub mod npz;
pub mod safetensors;

use ndarray::{ArrayBase, ArrayD, ArrayViewMut, Data, Dimension};

use crate::backend::Backend;
use crate::backend::cpu::alloc;
use crate::device::Device;
use crate::dtype::{DType, DynArray, Element};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// `Err` unless every name of `tensors` is non-empty and unique, as a file of named tensors
/// needs.
pub(crate) fn require_unique_names(op: &'static str, tensors: &[(&str, &Tensor)]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    match tensors
        .iter()
        .find(|&&(name, _)| name.is_empty() || !seen.insert(name))
    {
        Some((name, _)) => Err(Error::InvalidArgument {
            op,
            message: format!("names must be unique and non-empty, got {name:?} twice or empty"),
        }),
        None => Ok(()),
    }
}

impl Tensor {
    /// Refuses a tensor that is attached to the graph, naming the fix.
    pub(crate) fn require_detached(&self) -> Result<()> {
        if self.needs_grad() {
            return Err(Error::RequiresGrad {
                shape: self.shape().to_vec(),
                dtype: self.dtype(),
                device: self.device().kind(),
            });
        }
        Ok(())
    }

    /// Copies the elements, in logical (C) order, into `dst`, a caller's buffer of exactly
    /// [`Tensor::numel`] elements of the tensor's type: an export that allocates nothing, for
    /// code that exports every epoch. A GPU tensor is read back straight into `dst`; a contiguous
    /// CPU tensor is one `memcpy`. The same refusals as [`Tensor::to_ndarray`].
    pub fn copy_to_slice<T: Element>(&self, dst: &mut [T]) -> Result<()> {
        self.require_exportable::<T>()?;
        if dst.len() != self.numel() {
            return Err(Error::ShapeMismatch {
                op: "copy_to_slice",
                lhs: self.shape().to_vec(),
                rhs: vec![dst.len()],
                hint: "the buffer must hold exactly as many elements as the tensor",
            });
        }
        match T::bytes_mut(dst) {
            Some(bytes) => self.storage().read_into(self.layout(), bytes),
            // bool: through a temporary array, so that no byte but 0 or 1 lands in a bool.
            None => self.assign_to(dst.iter_mut()),
        }
    }

    /// Writes the elements in C order through `dst`, from one temporary array.
    fn assign_to<'a, T: Element>(&self, dst: impl Iterator<Item = &'a mut T>) -> Result<()> {
        let values = self.to_ndarray::<T>()?;
        dst.zip(values).for_each(|(d, v)| *d = v);
        Ok(())
    }

    /// Copies the elements into `out`, an existing array view of the tensor's shape and element
    /// type (`ArrayViewMut`, or `array.view_mut()`): [`Tensor::copy_to_slice`] when `out` is in
    /// C order, else one temporary array.
    pub fn to_ndarray_into<T: Element, D: Dimension>(
        &self,
        mut out: ArrayViewMut<'_, T, D>,
    ) -> Result<()> {
        self.require_exportable::<T>()?;
        if out.shape() != self.shape() {
            return Err(Error::ShapeMismatch {
                op: "to_ndarray_into",
                lhs: self.shape().to_vec(),
                rhs: out.shape().to_vec(),
                hint: "the array must have the tensor's shape",
            });
        }
        match out.as_slice_mut() {
            Some(dst) => self.copy_to_slice(dst),
            None => self.assign_to(out.iter_mut()),
        }
    }

    /// Refuses an attached tensor, or an element type that is not the tensor's.
    fn require_exportable<T: Element>(&self) -> Result<()> {
        self.require_detached()?;
        if T::DTYPE != self.dtype() {
            return Err(Error::ExportDType {
                requested: T::DTYPE,
                actual: self.dtype(),
            });
        }
        Ok(())
    }

    /// Copies the elements into an owned `ArrayD<T>` of the same shape, in logical (C) order.
    ///
    /// `T` must be the tensor's element type (else an error that suggests `to_dtype`), and the
    /// tensor must not require grad: call [`Tensor::detach`] first, as PyTorch's `.numpy()` asks.
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>> {
        self.require_exportable::<T>()?;
        T::from_dyn_array(self.storage().to_dyn_array(self.layout())?).map_err(|other| {
            Error::Internal(format!(
                "a {} tensor exported a {} array",
                T::DTYPE,
                other.dtype()
            ))
        })
    }

    /// The value of a one-element tensor (of any shape), as PyTorch's `item()`: a plain number
    /// that aliases nothing, so unlike an export it is allowed on a tensor that requires grad
    /// (`loss.item()`). `T` is the tensor's element type, or `f64` for any floating-point tensor
    /// (widening is exact).
    pub fn item<T: Element>(&self) -> Result<T> {
        if self.numel() != 1 {
            return Err(Error::InvalidArgument {
                op: "item",
                message: format!(
                    "a tensor of shape {:?} has {} elements, not one; index or reduce it first",
                    self.shape(),
                    self.numel()
                ),
            });
        }
        let value = self.detach();
        let value = if T::DTYPE == DType::F64 && self.dtype().is_float() {
            value.to(&Device::cpu())?.to_dtype(DType::F64)?
        } else {
            value
        };
        value
            .to_ndarray::<T>()?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Internal("item: empty export".into()))
    }

    /// Copies the elements into an owned array of whatever dtype the tensor has.
    pub fn to_ndarray_dyn(&self) -> Result<DynArray> {
        self.require_detached()?;
        self.storage().to_dyn_array(self.layout())
    }

    /// A tensor holding a copy of the array's elements in logical order, whatever its layout
    /// (transposed, sliced, negative strides).
    pub fn from_ndarray<T, S, D>(array: &ArrayBase<S, D>, device: &Device) -> Result<Tensor>
    where
        T: Element,
        S: Data<Elem = T>,
        D: Dimension,
    {
        // A broadcast view can be far larger than the memory behind it.
        let mut values = alloc::with_capacity(array.len())?;
        values.extend(array.iter().copied());
        Tensor::from_vec(values, array.shape(), device)
    }
}
