//! Element types: the [`DType`] tag, the [`Element`] trait that ties a Rust type to it, and
//! [`DynArray`], a host array of any of them.

use std::fmt;

use half::{bf16, f16};
use ndarray::ArrayD;
use num_complex::{Complex32, Complex64};

/// The element type of a tensor. Each keeps its identity through every conversion and export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit float (`f32`, numpy `<f4`).
    F32,
    /// 64-bit float (`f64`, numpy `<f8`).
    F64,
    /// IEEE half precision (`half::f16`, numpy `<f2`).
    F16,
    /// bfloat16 (`half::bf16`); numpy has no such dtype.
    BF16,
    /// 32-bit signed integer (`i32`, numpy `<i4`).
    I32,
    /// 64-bit signed integer (`i64`, numpy `<i8`).
    I64,
    /// 8-bit unsigned integer (`u8`, numpy `|u1`).
    U8,
    /// 8-bit signed integer (`i8`, numpy `|i1`).
    I8,
    /// 16-bit signed integer (`i16`, numpy `<i2`).
    I16,
    /// 16-bit unsigned integer (`u16`, numpy `<u2`).
    U16,
    /// 32-bit unsigned integer (`u32`, numpy `<u4`).
    U32,
    /// 64-bit unsigned integer (`u64`, numpy `<u8`).
    U64,
    /// Boolean (`bool`, numpy `|b1`).
    Bool,
    /// Complex number of two `f32` (`num_complex::Complex32`, numpy `<c8`).
    C64,
    /// Complex number of two `f64` (`num_complex::Complex64`, numpy `<c16`).
    C128,
}

impl DType {
    /// Every dtype, in declaration order.
    pub const ALL: [DType; 15] = [
        DType::F32,
        DType::F64,
        DType::F16,
        DType::BF16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::I8,
        DType::I16,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::Bool,
        DType::C64,
        DType::C128,
    ];

    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::U8 | DType::I8 | DType::Bool => 1,
            DType::F16 | DType::BF16 | DType::I16 | DType::U16 => 2,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F64 | DType::I64 | DType::U64 | DType::C64 => 8,
            DType::C128 => 16,
        }
    }

    /// Real floating-point dtypes: the ones that can carry gradients.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
    }

    /// Complex dtypes.
    pub fn is_complex(self) -> bool {
        matches!(self, DType::C64 | DType::C128)
    }

    /// Integer and boolean dtypes.
    pub fn is_integral(self) -> bool {
        matches!(
            self,
            DType::I32
                | DType::I64
                | DType::U8
                | DType::I8
                | DType::I16
                | DType::U16
                | DType::U32
                | DType::U64
                | DType::Bool
        )
    }

    /// The Rust type that holds one element, as a user would write it.
    pub fn rust_type(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::F16 => "half::f16",
            DType::BF16 => "half::bf16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U8 => "u8",
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::Bool => "bool",
            DType::C64 => "num_complex::Complex32",
            DType::C128 => "num_complex::Complex64",
        }
    }

    /// The variant's name, for messages that show the code to write (`DType::F32`).
    pub(crate) fn variant_name(self) -> &'static str {
        match self {
            DType::F32 => "F32",
            DType::F64 => "F64",
            DType::F16 => "F16",
            DType::BF16 => "BF16",
            DType::I32 => "I32",
            DType::I64 => "I64",
            DType::U8 => "U8",
            DType::I8 => "I8",
            DType::I16 => "I16",
            DType::U16 => "U16",
            DType::U32 => "U32",
            DType::U64 => "U64",
            DType::Bool => "Bool",
            DType::C64 => "C64",
            DType::C128 => "C128",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U8 => "u8",
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::Bool => "bool",
            DType::C64 => "complex64",
            DType::C128 => "complex128",
        };
        f.write_str(name)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that is the element of one [`DType`]. Implemented for exactly the fifteen dtypes' types.
pub trait Element: sealed::Sealed + Copy + Send + Sync + fmt::Debug + PartialEq + 'static {
    /// The dtype whose elements are `Self`.
    const DTYPE: DType;
    /// Wraps an array of this type into the dtype-erased [`DynArray`].
    fn into_dyn_array(array: ArrayD<Self>) -> DynArray;
    /// Unwraps a [`DynArray`] of this type; hands the array back when its dtype is another.
    fn from_dyn_array(array: DynArray) -> std::result::Result<ArrayD<Self>, DynArray>;
    /// The elements' memory as bytes to write, for every type any byte pattern is valid for
    /// (`None` for `bool`, whose bytes must stay 0 or 1).
    fn bytes_mut(values: &mut [Self]) -> Option<&mut [u8]>;
}

macro_rules! impl_element {
    ($($ty:ty => $variant:ident, $bytes:expr);* $(;)?) => {$(
        impl sealed::Sealed for $ty {}
        impl Element for $ty {
            const DTYPE: DType = DType::$variant;
            fn bytes_mut(values: &mut [Self]) -> Option<&mut [u8]> {
                $bytes(values)
            }
            fn into_dyn_array(array: ArrayD<Self>) -> DynArray {
                DynArray::$variant(array)
            }
            fn from_dyn_array(array: DynArray) -> std::result::Result<ArrayD<Self>, DynArray> {
                match array {
                    DynArray::$variant(a) => Ok(a),
                    other => Err(other),
                }
            }
        }
    )*};
}

fn pod_bytes<T: bytemuck::Pod>(values: &mut [T]) -> Option<&mut [u8]> {
    Some(bytemuck::cast_slice_mut(values))
}

impl_element!(
    f32 => F32, pod_bytes;
    f64 => F64, pod_bytes;
    f16 => F16, pod_bytes;
    bf16 => BF16, pod_bytes;
    i32 => I32, pod_bytes;
    i64 => I64, pod_bytes;
    u8 => U8, pod_bytes;
    i8 => I8, pod_bytes;
    i16 => I16, pod_bytes;
    u16 => U16, pod_bytes;
    u32 => U32, pod_bytes;
    u64 => U64, pod_bytes;
    bool => Bool, |_| None;
    Complex32 => C64, pod_bytes;
    Complex64 => C128, pod_bytes;
);

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
    I8(ArrayD<i8>),
    I16(ArrayD<i16>),
    U16(ArrayD<u16>),
    U32(ArrayD<u32>),
    U64(ArrayD<u64>),
    Bool(ArrayD<bool>),
    C64(ArrayD<Complex32>),
    C128(ArrayD<Complex64>),
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
            DynArray::I8($a) => $body,
            DynArray::I16($a) => $body,
            DynArray::U16($a) => $body,
            DynArray::U32($a) => $body,
            DynArray::U64($a) => $body,
            DynArray::Bool($a) => $body,
            DynArray::C64($a) => $body,
            DynArray::C128($a) => $body,
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
