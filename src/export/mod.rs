//! Moving tensors out to `ndarray` (and in from it).
//!
//! Export refuses a tensor that is attached to the autograd graph until it is detached, the way
//! PyTorch's `.numpy()` does. It always copies: the array owns its memory and never aliases the
//! tensor. Views export in logical (C) order.

mod atomic;
pub mod npy;
pub mod npz;

use ndarray::{ArrayBase, ArrayD, Data, Dimension};
use num_complex::Complex32;

use crate::backend::Backend;
use crate::backend::cpu::alloc;
use crate::device::Device;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// An owned array of any wgrad dtype: what code that does not know the dtype statically exports.
#[derive(Clone, Debug, PartialEq)]
pub enum DynArray {
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
    F16(ArrayD<half::f16>),
    BF16(ArrayD<half::bf16>),
    I32(ArrayD<i32>),
    I64(ArrayD<i64>),
    U8(ArrayD<u8>),
    Bool(ArrayD<bool>),
    C64(ArrayD<Complex32>),
}

/// Runs `$body` on the array inside any variant, bound to `$a`.
macro_rules! on_array {
    ($array:expr, $a:ident => $body:expr) => {
        match $array {
            DynArray::F32($a) => $body,
            DynArray::F64($a) => $body,
            DynArray::F16($a) => $body,
            DynArray::BF16($a) => $body,
            DynArray::I32($a) => $body,
            DynArray::I64($a) => $body,
            DynArray::U8($a) => $body,
            DynArray::Bool($a) => $body,
            DynArray::C64($a) => $body,
        }
    };
}

impl DynArray {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        fn dtype_of<T: Element>(_: &ArrayD<T>) -> DType {
            T::DTYPE
        }
        on_array!(self, a => dtype_of(a))
    }

    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        on_array!(self, a => a.shape())
    }
}

impl Tensor {
    /// Refuses a tensor that is attached to the graph, naming the fix.
    pub(crate) fn require_detached(&self) -> Result<()> {
        if self.needs_grad() {
            return Err(Error::RequiresGrad {
                shape: self.shape().to_vec(),
                dtype: self.dtype(),
                device: self.device(),
            });
        }
        Ok(())
    }

    /// Copies the elements into an owned `ArrayD<T>` of the same shape, in logical (C) order.
    ///
    /// `T` must be the tensor's element type (else an error that suggests `to_dtype`), and the
    /// tensor must not require grad: call [`Tensor::detach`] first, as PyTorch's `.numpy()` asks.
    pub fn to_ndarray<T: Element>(&self) -> Result<ArrayD<T>> {
        self.require_detached()?;
        if T::DTYPE != self.dtype() {
            return Err(Error::ExportDType {
                requested: T::DTYPE,
                actual: self.dtype(),
            });
        }
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
