//! What the CPU kernels need to know about each element type.

use half::{bf16, f16};
use num_complex::{Complex32, Complex64};

use super::CpuStorage;
use crate::dtype::Element;

/// An element the CPU stores: how it sits in [`CpuStorage`] and how it converts.
pub(crate) trait Scalar: Element {
    fn slice(storage: &CpuStorage) -> Option<&[Self]>;
    fn wrap(values: Vec<Self>) -> CpuStorage;
    /// The value as f64 (a complex number's real part, a bool's 0 or 1).
    fn to_f64(self) -> f64;
    /// `v` converted like a C cast: floats round, integers truncate and saturate, bools test != 0.
    fn from_f64(v: f64) -> Self;
    /// The value as i64, exact for integers and bools.
    fn to_i64(self) -> i64;
    /// `v` converted like a C cast between integers (wrapping).
    fn from_i64(v: i64) -> Self;
}

macro_rules! impl_scalar {
    ($variant:ident, $ty:ty, to_f64: $to_f64:expr, from_f64: $from_f64:expr,
     to_i64: $to_i64:expr, from_i64: $from_i64:expr) => {
        impl Scalar for $ty {
            fn slice(storage: &CpuStorage) -> Option<&[Self]> {
                match storage {
                    CpuStorage::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn wrap(values: Vec<Self>) -> CpuStorage {
                CpuStorage::$variant(values)
            }
            fn to_f64(self) -> f64 {
                ($to_f64)(self)
            }
            fn from_f64(v: f64) -> Self {
                ($from_f64)(v)
            }
            fn to_i64(self) -> i64 {
                ($to_i64)(self)
            }
            fn from_i64(v: i64) -> Self {
                ($from_i64)(v)
            }
        }
    };
}

impl_scalar!(F32, f32, to_f64: |x: f32| x as f64, from_f64: |v: f64| v as f32,
             to_i64: |x: f32| x as i64, from_i64: |v: i64| v as f32);
impl_scalar!(F64, f64, to_f64: |x: f64| x, from_f64: |v: f64| v,
             to_i64: |x: f64| x as i64, from_i64: |v: i64| v as f64);
impl_scalar!(F16, f16, to_f64: f16::to_f64, from_f64: f16::from_f64,
             to_i64: |x: f16| x.to_f64() as i64, from_i64: |v: i64| f16::from_f64(v as f64));
impl_scalar!(BF16, bf16, to_f64: bf16::to_f64, from_f64: bf16::from_f64,
             to_i64: |x: bf16| x.to_f64() as i64, from_i64: |v: i64| bf16::from_f64(v as f64));
impl_scalar!(I32, i32, to_f64: |x: i32| x as f64, from_f64: |v: f64| v as i32,
             to_i64: |x: i32| x as i64, from_i64: |v: i64| v as i32);
impl_scalar!(I64, i64, to_f64: |x: i64| x as f64, from_f64: |v: f64| v as i64,
             to_i64: |x: i64| x, from_i64: |v: i64| v);
impl_scalar!(U8, u8, to_f64: |x: u8| x as f64, from_f64: |v: f64| v as u8,
             to_i64: |x: u8| x as i64, from_i64: |v: i64| v as u8);
impl_scalar!(I8, i8, to_f64: |x: i8| x as f64, from_f64: |v: f64| v as i8,
             to_i64: |x: i8| x as i64, from_i64: |v: i64| v as i8);
impl_scalar!(I16, i16, to_f64: |x: i16| x as f64, from_f64: |v: f64| v as i16,
             to_i64: |x: i16| x as i64, from_i64: |v: i64| v as i16);
impl_scalar!(U16, u16, to_f64: |x: u16| x as f64, from_f64: |v: f64| v as u16,
             to_i64: |x: u16| x as i64, from_i64: |v: i64| v as u16);
impl_scalar!(U32, u32, to_f64: |x: u32| x as f64, from_f64: |v: f64| v as u32,
             to_i64: |x: u32| x as i64, from_i64: |v: i64| v as u32);
impl_scalar!(U64, u64, to_f64: |x: u64| x as f64, from_f64: |v: f64| v as u64,
             to_i64: |x: u64| x as i64, from_i64: |v: i64| v as u64);
impl_scalar!(Bool, bool, to_f64: |x: bool| x as u8 as f64, from_f64: |v: f64| v != 0.0,
             to_i64: |x: bool| x as i64, from_i64: |v: i64| v != 0);
impl_scalar!(C64, Complex32, to_f64: |x: Complex32| x.re as f64,
             from_f64: |v: f64| Complex32::new(v as f32, 0.0),
             to_i64: |x: Complex32| x.re as i64, from_i64: |v: i64| Complex32::new(v as f32, 0.0));
impl_scalar!(C128, Complex64, to_f64: |x: Complex64| x.re,
             from_f64: |v: f64| Complex64::new(v, 0.0),
             to_i64: |x: Complex64| x.re as i64, from_i64: |v: i64| Complex64::new(v as f64, 0.0));

/// Elements with the four arithmetic operations. Integers wrap on overflow, as in C and PyTorch;
/// integer division by zero is refused before a kernel runs.
pub(crate) trait Arith: Scalar {
    const ZERO: Self;
    fn add(self, rhs: Self) -> Self;
    fn sub(self, rhs: Self) -> Self;
    fn mul(self, rhs: Self) -> Self;
    fn div(self, rhs: Self) -> Self;
}

macro_rules! impl_arith_ops {
    ($zero:expr; $($ty:ty),*) => {$(
        impl Arith for $ty {
            const ZERO: Self = $zero;
            fn add(self, rhs: Self) -> Self { self + rhs }
            fn sub(self, rhs: Self) -> Self { self - rhs }
            fn mul(self, rhs: Self) -> Self { self * rhs }
            fn div(self, rhs: Self) -> Self { self / rhs }
        }
    )*};
}

macro_rules! impl_arith_wrapping {
    ($($ty:ty),*) => {$(
        impl Arith for $ty {
            const ZERO: Self = 0;
            fn add(self, rhs: Self) -> Self { self.wrapping_add(rhs) }
            fn sub(self, rhs: Self) -> Self { self.wrapping_sub(rhs) }
            fn mul(self, rhs: Self) -> Self { self.wrapping_mul(rhs) }
            fn div(self, rhs: Self) -> Self { self.wrapping_div(rhs) }
        }
    )*};
}

impl_arith_ops!(0.0; f32, f64);
impl_arith_ops!(Complex32::new(0.0, 0.0); Complex32);
impl_arith_ops!(Complex64::new(0.0, 0.0); Complex64);
impl_arith_wrapping!(i32, i64, u8, i8, i16, u16, u32, u64);

/// Signed integers: negation and absolute value wrap at the type's minimum, as in C and
/// PyTorch.
pub(crate) trait Signed: Scalar {
    fn wrapping_negate(self) -> Self;
    fn wrapping_magnitude(self) -> Self;
}

macro_rules! impl_signed {
    ($($ty:ty),*) => {$(
        impl Signed for $ty {
            fn wrapping_negate(self) -> Self { self.wrapping_neg() }
            fn wrapping_magnitude(self) -> Self { self.wrapping_abs() }
        }
    )*};
}

impl_signed!(i8, i16, i32, i64);

/// Elements with a total-enough order for max and argmax. NaN compares greatest, as in PyTorch.
pub(crate) trait Ordered: Scalar + PartialOrd {
    const LOWEST: Self;
    fn is_nan(self) -> bool;

    /// The larger of two values, NaN winning.
    fn max_nan(self, other: Self) -> Self {
        if self.is_nan() || !(other > self || other.is_nan()) {
            self
        } else {
            other
        }
    }

    /// The smaller of two values, NaN winning.
    fn min_nan(self, other: Self) -> Self {
        if self.is_nan() || !(other < self || other.is_nan()) {
            self
        } else {
            other
        }
    }
}

macro_rules! impl_ordered {
    ($($ty:ty => $lowest:expr, $is_nan:expr);* $(;)?) => {$(
        impl Ordered for $ty {
            const LOWEST: Self = $lowest;
            fn is_nan(self) -> bool {
                ($is_nan)(self)
            }
        }
    )*};
}

impl_ordered!(
    f32 => f32::NEG_INFINITY, f32::is_nan;
    f64 => f64::NEG_INFINITY, f64::is_nan;
    f16 => f16::NEG_INFINITY, f16::is_nan;
    bf16 => bf16::NEG_INFINITY, bf16::is_nan;
    i32 => i32::MIN, |_| false;
    i64 => i64::MIN, |_| false;
    u8 => u8::MIN, |_| false;
    i8 => i8::MIN, |_| false;
    i16 => i16::MIN, |_| false;
    u16 => u16::MIN, |_| false;
    u32 => u32::MIN, |_| false;
    u64 => u64::MIN, |_| false;
    bool => false, |_| false;
);
