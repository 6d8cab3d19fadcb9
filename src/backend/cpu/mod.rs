//! The CPU backend: one `Vec` per dtype, kernels over strided views. It is both the fallback
//! device and the numerical reference the GPU is tested against.

pub(crate) mod alloc;
mod kernels;
mod pool;
mod scalar;
mod simd;
mod strided;
mod threads;
mod vmath;

use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn};
use num_complex::{Complex32, Complex64};

use self::scalar::{Arith, Ordered, Scalar, Signed};
use super::{Backend, BinaryOp, CmpOp, ReduceOp, UnaryOp};
use crate::dtype::DynArray;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::shape::Layout;

/// A tensor's elements in host memory.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CpuStorage {
    F32(Vec<f32>),
    F64(Vec<f64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    Bool(Vec<bool>),
    C64(Vec<Complex32>),
    C128(Vec<Complex64>),
}

/// `match` over the storage's variants (`all`, or the listed ones with a fallback arm), binding
/// each one's `Vec` to `$v`. The body is compiled once per variant, with its element type.
macro_rules! match_storage {
    ($s:expr, all, $v:ident => $body:expr) => {
        match $s {
            CpuStorage::F32($v) => $body,
            CpuStorage::F64($v) => $body,
            CpuStorage::F16($v) => $body,
            CpuStorage::BF16($v) => $body,
            CpuStorage::I32($v) => $body,
            CpuStorage::I64($v) => $body,
            CpuStorage::U8($v) => $body,
            CpuStorage::I8($v) => $body,
            CpuStorage::I16($v) => $body,
            CpuStorage::U16($v) => $body,
            CpuStorage::U32($v) => $body,
            CpuStorage::U64($v) => $body,
            CpuStorage::Bool($v) => $body,
            CpuStorage::C64($v) => $body,
            CpuStorage::C128($v) => $body,
        }
    };
    ($s:expr, [$($V:ident),*], $v:ident => $body:expr, _ => $other:expr) => {
        match $s {
            $(CpuStorage::$V($v) => $body,)*
            _ => $other,
        }
    };
}

/// `match` over pairs of storages of the same listed variant, binding their `Vec`s.
macro_rules! match_pair {
    (($a:expr, $b:expr), [$($V:ident),*], ($x:ident, $y:ident) => $body:expr, _ => $other:expr) => {
        match ($a, $b) {
            $((CpuStorage::$V($x), CpuStorage::$V($y)) => $body,)*
            _ => $other,
        }
    };
}

/// Runs `$body` with `$T` naming the element type of `$dtype`.
macro_rules! with_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            DType::F32 => {
                type $T = f32;
                $body
            }
            DType::F64 => {
                type $T = f64;
                $body
            }
            DType::F16 => {
                type $T = f16;
                $body
            }
            DType::BF16 => {
                type $T = bf16;
                $body
            }
            DType::I32 => {
                type $T = i32;
                $body
            }
            DType::I64 => {
                type $T = i64;
                $body
            }
            DType::U8 => {
                type $T = u8;
                $body
            }
            DType::I8 => {
                type $T = i8;
                $body
            }
            DType::I16 => {
                type $T = i16;
                $body
            }
            DType::U16 => {
                type $T = u16;
                $body
            }
            DType::U32 => {
                type $T = u32;
                $body
            }
            DType::U64 => {
                type $T = u64;
                $body
            }
            DType::Bool => {
                type $T = bool;
                $body
            }
            DType::C64 => {
                type $T = Complex32;
                $body
            }
            DType::C128 => {
                type $T = Complex64;
                $body
            }
        }
    };
}

fn unsupported(op: &'static str, dtype: DType, hint: &'static str) -> Error {
    Error::UnsupportedDType { op, dtype, hint }
}

const TO_FLOAT: &str = "convert it first with .to_dtype(DType::F32)";

/// The elements of an owned array in C order, without a copy when they already are.
fn into_c_order_vec<T: Clone + 'static>(array: ArrayD<T>) -> Result<Vec<T>> {
    if !array.is_standard_layout() {
        let mut values = alloc::with_capacity(array.len())?;
        values.extend(array.iter().cloned());
        return Ok(values);
    }
    let len = array.len();
    let (mut values, offset) = array.into_raw_vec_and_offset();
    values.drain(..offset.unwrap_or(0));
    values.truncate(len);
    Ok(values)
}

impl Drop for CpuStorage {
    /// Gives the buffer to the pool, for the next tensor of its size.
    fn drop(&mut self) {
        match_storage!(self, all, v => pool::give(std::mem::take(v)))
    }
}

impl CpuStorage {
    pub fn from_f64s(values: &[f64], dtype: DType) -> Result<CpuStorage> {
        let all = Layout::contiguous(&[values.len()]);
        with_dtype!(dtype, T => Ok(T::wrap(strided::map1(values, &all, T::from_f64)?)))
    }

    pub fn full(n: usize, value: f64, dtype: DType) -> Result<CpuStorage> {
        with_dtype!(dtype, T => Ok(T::wrap(alloc::filled(n, T::from_f64(value))?)))
    }

    pub fn from_dyn_array(array: DynArray) -> Result<CpuStorage> {
        Ok(match array {
            DynArray::F32(a) => CpuStorage::F32(into_c_order_vec(a)?),
            DynArray::F64(a) => CpuStorage::F64(into_c_order_vec(a)?),
            DynArray::F16(a) => CpuStorage::F16(into_c_order_vec(a)?),
            DynArray::BF16(a) => CpuStorage::BF16(into_c_order_vec(a)?),
            DynArray::I32(a) => CpuStorage::I32(into_c_order_vec(a)?),
            DynArray::I64(a) => CpuStorage::I64(into_c_order_vec(a)?),
            DynArray::U8(a) => CpuStorage::U8(into_c_order_vec(a)?),
            DynArray::Bool(a) => CpuStorage::Bool(into_c_order_vec(a)?),
            DynArray::I8(a) => CpuStorage::I8(into_c_order_vec(a)?),
            DynArray::I16(a) => CpuStorage::I16(into_c_order_vec(a)?),
            DynArray::U16(a) => CpuStorage::U16(into_c_order_vec(a)?),
            DynArray::U32(a) => CpuStorage::U32(into_c_order_vec(a)?),
            DynArray::U64(a) => CpuStorage::U64(into_c_order_vec(a)?),
            DynArray::C64(a) => CpuStorage::C64(into_c_order_vec(a)?),
            DynArray::C128(a) => CpuStorage::C128(into_c_order_vec(a)?),
        })
    }

    /// The whole (contiguous) buffer converted to `dtype`.
    fn cast_all(&self, dtype: DType) -> Result<CpuStorage> {
        let len = match_storage!(self, all, v => v.len());
        self.to_dtype(&Layout::contiguous(&[len]), dtype)
    }

    /// A half-precision view computed in f32: upcast, run `f` on the C-order copy, cast back.
    fn via_f32(
        &self,
        layout: &Layout,
        f: impl FnOnce(&CpuStorage, &Layout) -> Result<CpuStorage>,
    ) -> Result<CpuStorage> {
        let wide = self.to_dtype(layout, DType::F32)?;
        f(&wide, &Layout::contiguous(&layout.shape))?.cast_all(self.dtype())
    }
}

impl Backend for CpuStorage {
    fn dtype(&self) -> DType {
        match_storage!(self, all, v => element_dtype(v))
    }

    fn unary(&self, op: UnaryOp, layout: &Layout) -> Result<Self> {
        use UnaryOp::{Abs, Neg};
        match self {
            CpuStorage::F32(v) => Ok(CpuStorage::F32(kernels::float_unary(v, layout, op)?)),
            CpuStorage::F64(v) => Ok(CpuStorage::F64(kernels::float_unary(v, layout, op)?)),
            CpuStorage::F16(_) | CpuStorage::BF16(_) => self.via_f32(layout, |s, l| s.unary(op, l)),
            CpuStorage::I8(_) | CpuStorage::I16(_) | CpuStorage::I32(_) | CpuStorage::I64(_)
                if matches!(op, Neg | Abs) =>
            {
                match_storage!(self, [I8, I16, I32, I64], v =>
                    Ok(Scalar::wrap(strided::map1(v, layout, |x| {
                        if op == Neg { x.wrapping_negate() } else { x.wrapping_magnitude() }
                    })?)),
                    _ => Err(Error::Internal("unary: a signed integer of no signed type".into())))
            }
            CpuStorage::C64(_) | CpuStorage::C128(_) if op == Neg => {
                match_storage!(self, [C64, C128], v =>
                    Ok(Scalar::wrap(strided::map1(v, layout, |x| -x)?)),
                    _ => Err(Error::Internal("unary: a complex number of no complex type".into())))
            }
            _ => Err(unsupported(op.name(), self.dtype(), TO_FLOAT)),
        }
    }

    fn binary(
        &self,
        op: BinaryOp,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
    ) -> Result<Self> {
        match (self, rhs) {
            (CpuStorage::F16(_), CpuStorage::F16(_))
            | (CpuStorage::BF16(_), CpuStorage::BF16(_)) => {
                let wide_rhs = rhs.to_dtype(rhs_layout, DType::F32)?;
                self.via_f32(layout, |s, l| s.binary(op, l, &wide_rhs, l))
            }
            _ if op.needs_order() => {
                match_pair!((self, rhs), [F32, F64, I32, I64, U8, I8, I16, U16, U32, U64, Bool], (a, b) =>
                    Ok(Scalar::wrap(kernels::ordered_binary(op, a, layout, b, rhs_layout)?)),
                    _ => Err(unsupported(op.name(), self.dtype(), "complex numbers have no order")))
            }
            _ => {
                match_pair!((self, rhs), [F32, F64, I32, I64, U8, I8, I16, U16, U32, U64, C64, C128], (a, b) =>
                Ok(Scalar::wrap(kernels::arith(op, a, layout, b, rhs_layout)?)),
                _ => Err(unsupported(op.name(), self.dtype(), TO_FLOAT)))
            }
        }
    }

    fn compare(&self, op: CmpOp, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self> {
        match (self, rhs) {
            (CpuStorage::C64(_), CpuStorage::C64(_))
            | (CpuStorage::C128(_), CpuStorage::C128(_))
                if matches!(op, CmpOp::Eq | CmpOp::Ne) =>
            {
                let equal = op == CmpOp::Eq;
                match_pair!((self, rhs), [C64, C128], (a, b) =>
                    Ok(CpuStorage::Bool(strided::map2(a, layout, b, rhs_layout, |x, y| (x == y) == equal)?)),
                    _ => Err(Error::Internal("compare: complex operands of two dtypes".into())))
            }
            _ => {
                match_pair!((self, rhs), [F32, F64, F16, BF16, I32, I64, U8, I8, I16, U16, U32, U64, Bool], (a, b) =>
                Ok(CpuStorage::Bool(kernels::compare(op, a, layout, b, rhs_layout)?)),
                _ => Err(unsupported(op.name(), self.dtype(), "complex numbers have no order")))
            }
        }
    }

    fn where_cond(
        &self,
        layout: &Layout,
        (on_true, true_layout): (&Self, &Layout),
        (on_false, false_layout): (&Self, &Layout),
    ) -> Result<Self> {
        let CpuStorage::Bool(cond) = self else {
            return Err(unsupported(
                "where",
                self.dtype(),
                "the condition must be a bool tensor",
            ));
        };
        match_pair!((on_true, on_false), [F32, F64, F16, BF16, I32, I64, U8, I8, I16, U16, U32, U64, Bool, C64, C128], (t, f) =>
            Ok(Scalar::wrap(strided::map3((cond, layout), (t, true_layout), (f, false_layout),
                |c, x, y| if c { x } else { y })?)),
            _ => Err(Error::Internal("where: branches of different dtypes".into())))
    }

    fn reduce(&self, op: ReduceOp, layout: &Layout, axes: &[usize]) -> Result<Self> {
        match op {
            ReduceOp::Sum => match self {
                CpuStorage::F16(_) | CpuStorage::BF16(_) => {
                    self.via_f32(layout, |s, l| s.reduce(op, l, axes))
                }
                CpuStorage::F32(v) => Ok(CpuStorage::F32(arith_sum(v, layout, axes)?)),
                CpuStorage::F64(v) => Ok(CpuStorage::F64(arith_sum(v, layout, axes)?)),
                CpuStorage::C64(v) => Ok(CpuStorage::C64(arith_sum(v, layout, axes)?)),
                CpuStorage::C128(v) => Ok(CpuStorage::C128(arith_sum(v, layout, axes)?)),
                CpuStorage::I32(v) => Ok(CpuStorage::I64(integer_sum(v, layout, axes)?)),
                CpuStorage::I64(v) => Ok(CpuStorage::I64(integer_sum(v, layout, axes)?)),
                CpuStorage::U8(v) => Ok(CpuStorage::I64(integer_sum(v, layout, axes)?)),
                CpuStorage::I8(v) => Ok(CpuStorage::I64(integer_sum(v, layout, axes)?)),
                CpuStorage::I16(v) => Ok(CpuStorage::I64(integer_sum(v, layout, axes)?)),
                CpuStorage::U16(v) => Ok(CpuStorage::I64(integer_sum(v, layout, axes)?)),
                CpuStorage::U32(v) => Ok(CpuStorage::I64(integer_sum(v, layout, axes)?)),
                CpuStorage::U64(v) => Ok(CpuStorage::I64(integer_sum(v, layout, axes)?)),
                CpuStorage::Bool(v) => Ok(CpuStorage::I64(integer_sum(v, layout, axes)?)),
            },
            ReduceOp::Prod => match self {
                CpuStorage::F16(_) | CpuStorage::BF16(_) => {
                    self.via_f32(layout, |s, l| s.reduce(op, l, axes))
                }
                CpuStorage::F32(v) => Ok(CpuStorage::F32(arith_product(v, layout, axes)?)),
                CpuStorage::F64(v) => Ok(CpuStorage::F64(arith_product(v, layout, axes)?)),
                CpuStorage::C64(v) => Ok(CpuStorage::C64(arith_product(v, layout, axes)?)),
                CpuStorage::C128(v) => Ok(CpuStorage::C128(arith_product(v, layout, axes)?)),
                CpuStorage::I32(v) => Ok(CpuStorage::I64(integer_product(v, layout, axes)?)),
                CpuStorage::I64(v) => Ok(CpuStorage::I64(integer_product(v, layout, axes)?)),
                CpuStorage::U8(v) => Ok(CpuStorage::I64(integer_product(v, layout, axes)?)),
                CpuStorage::I8(v) => Ok(CpuStorage::I64(integer_product(v, layout, axes)?)),
                CpuStorage::I16(v) => Ok(CpuStorage::I64(integer_product(v, layout, axes)?)),
                CpuStorage::U16(v) => Ok(CpuStorage::I64(integer_product(v, layout, axes)?)),
                CpuStorage::U32(v) => Ok(CpuStorage::I64(integer_product(v, layout, axes)?)),
                CpuStorage::U64(v) => Ok(CpuStorage::I64(integer_product(v, layout, axes)?)),
                CpuStorage::Bool(v) => Ok(CpuStorage::I64(integer_product(v, layout, axes)?)),
            },
            ReduceOp::Max => {
                match_storage!(self, [F32, F64, F16, BF16, I32, I64, U8, I8, I16, U16, U32, U64, Bool], v =>
                Ok(Scalar::wrap(max_reduce(v, layout, axes)?)),
                _ => Err(unsupported("max", self.dtype(), "complex numbers have no order")))
            }
        }
    }

    /// Fused for real floats along a contiguous last axis: one walk over each row for its
    /// maximum, one for the exponentials and their sum, one to write.
    fn softmax(&self, layout: &Layout, axis: usize, log: bool) -> Result<Self> {
        let rows_in_place =
            axis + 1 == layout.ndim() && layout.is_contiguous() && layout.numel() > 0;
        let (start, len) = (layout.offset, layout.shape[axis]);
        let end = start + layout.numel();
        match self {
            CpuStorage::F32(v) if rows_in_place => Ok(CpuStorage::F32(kernels::softmax_rows(
                &v[start..end],
                len,
                log,
            )?)),
            CpuStorage::F64(v) if rows_in_place => Ok(CpuStorage::F64(kernels::softmax_rows(
                &v[start..end],
                len,
                log,
            )?)),
            _ => super::softmax_composed(self, layout, axis, log),
        }
    }

    fn argmax(&self, layout: &Layout, axis: usize) -> Result<Self> {
        match_storage!(self, [F32, F64, F16, BF16, I32, I64, U8, I8, I16, U16, U32, U64, Bool], v =>
            Ok(CpuStorage::I64(kernels::argmax(v, layout, axis)?)),
            _ => Err(unsupported("argmax", self.dtype(), "complex numbers have no order")))
    }

    fn cumsum(&self, layout: &Layout, reverse: bool) -> Result<Self> {
        match self {
            CpuStorage::F16(_) | CpuStorage::BF16(_) => {
                self.via_f32(layout, |s, l| s.cumsum(l, reverse))
            }
            _ => match_storage!(self, [F32, F64, I32, I64, C64, C128], v =>
                Ok(Scalar::wrap(kernels::cumsum(v, layout, reverse)?)),
                _ => Err(unsupported("cumsum", self.dtype(), TO_FLOAT))),
        }
    }

    fn argsort(&self, layout: &Layout, descending: bool) -> Result<Self> {
        match_storage!(self, [F32, F64, F16, BF16, I32, I64, U8, I8, I16, U16, U32, U64, Bool], v =>
            Ok(CpuStorage::I64(kernels::argsort(v, layout, descending)?)),
            _ => Err(unsupported("argsort", self.dtype(), "complex numbers have no order")))
    }

    fn matmul(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self> {
        // GEMM reads transposed views in place but not broadcast (stride-0) matrices: copy those.
        // An empty matrix has stride-0 axes of its own and nothing to copy.
        let aliased =
            |l: &Layout| l.numel() > 0 && (1..3).any(|d| l.shape[d] > 1 && l.strides[d] == 0);
        if aliased(layout) || aliased(rhs_layout) {
            let (lc, rc) = (
                Layout::contiguous(&layout.shape),
                Layout::contiguous(&rhs_layout.shape),
            );
            return self
                .copy_strided(layout)?
                .matmul(&lc, &rhs.copy_strided(rhs_layout)?, &rc);
        }
        match (self, rhs) {
            (CpuStorage::F16(_), CpuStorage::F16(_))
            | (CpuStorage::BF16(_), CpuStorage::BF16(_)) => {
                let wide_rhs = rhs.to_dtype(rhs_layout, DType::F32)?;
                let rc = Layout::contiguous(&rhs_layout.shape);
                self.via_f32(layout, |s, l| s.matmul(l, &wide_rhs, &rc))
            }
            _ => match_pair!((self, rhs), [F32, F64, C64, C128], (a, b) =>
                Ok(Scalar::wrap(kernels::matmul(a, layout, b, rhs_layout)?)),
                _ => Err(unsupported("matmul", self.dtype(), TO_FLOAT))),
        }
    }

    fn gather(&self, layout: &Layout, axis: usize, (index, il): (&Self, &Layout)) -> Result<Self> {
        match_storage!(index, [I32, I64, U8], i => match_storage!(self, all, v =>
            Ok(Scalar::wrap(kernels::gather(v, layout, axis, (i, il))?))),
            _ => Err(not_indices(index)))
    }

    fn scatter_add(
        &self,
        layout: &Layout,
        axis: usize,
        (index, il): (&Self, &Layout),
        (src, sl): (&Self, &Layout),
    ) -> Result<Self> {
        match_storage!(index, [I32, I64, U8], i =>
            match_pair!((self, src), [F32, F64, I32, I64, C64, C128], (v, s) =>
                Ok(Scalar::wrap(kernels::scatter_add((v, layout), axis, (i, il), (s, sl))?)),
                _ => Err(unsupported("scatter_add", self.dtype(), TO_FLOAT))),
            _ => Err(not_indices(index)))
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        if dtype == self.dtype() {
            return self.copy_strided(layout);
        }
        Ok(
            match_storage!(self, all, v => with_dtype!(dtype, D => D::wrap(kernels::cast::<_, D>(v, layout)?))),
        )
    }

    fn copy_strided(&self, layout: &Layout) -> Result<Self> {
        Ok(match_storage!(self, all, v => Scalar::wrap(strided::copy(v, layout)?)))
    }

    fn cat(parts: &[(&Self, &Layout)], axis: usize, out_shape: &[usize]) -> Result<Self> {
        let Some(&(first, _)) = parts.first() else {
            return Err(Error::Internal("cat of no parts".into()));
        };
        match_storage!(first, all, v => {
            let typed = typed_parts(v, parts)?;
            Ok(Scalar::wrap(kernels::cat(&typed, axis, out_shape)?))
        })
    }

    fn to_dyn_array(&self, layout: &Layout) -> Result<DynArray> {
        match_storage!(self, all, v => {
            let values = strided::copy(v, layout)?;
            ArrayD::from_shape_vec(IxDyn(&layout.shape), values)
                .map(Element::into_dyn_array)
                .map_err(|e| Error::Internal(e.to_string()))
        })
    }

    fn with_c_order_bytes<R>(&self, layout: &Layout, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        match_storage!(self, all, v => view_bytes(v, layout, f))
    }

    fn read_into(&self, layout: &Layout, dst: &mut [u8]) -> Result<()> {
        self.with_c_order_bytes(layout, |bytes| dst.copy_from_slice(bytes))
    }
}

/// Calls `f` with the view's bytes, borrowed when the view is one contiguous run.
fn view_bytes<T: bytemuck::NoUninit + Sync + Send, R>(
    v: &[T],
    layout: &Layout,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R> {
    if layout.is_contiguous() {
        Ok(f(bytemuck::cast_slice(
            &v[layout.offset..layout.offset + layout.numel()],
        )))
    } else {
        Ok(f(bytemuck::cast_slice(&strided::copy(v, layout)?)))
    }
}

/// The error for an index tensor that does not hold integers.
fn not_indices(index: &CpuStorage) -> Error {
    unsupported(
        "indexing",
        index.dtype(),
        "indices are integers: convert them with .to_dtype(DType::I64)",
    )
}

/// The dtype of a typed slice, read off its element type.
fn element_dtype<T: Element>(_: &[T]) -> DType {
    T::DTYPE
}

fn arith_sum<T: Arith>(v: &[T], layout: &Layout, axes: &[usize]) -> Result<Vec<T>> {
    kernels::reduce(v, layout, axes, T::ZERO, T::add, kernels::sum_run)
}

/// Sums of integers and bools, in i64 as PyTorch does.
fn integer_sum<T: Scalar>(v: &[T], layout: &Layout, axes: &[usize]) -> Result<Vec<i64>> {
    let step = |acc: i64, x: T| acc.wrapping_add(x.to_i64());
    kernels::reduce(v, layout, axes, 0, step, |acc, run| {
        run.iter().fold(acc, |a, &x| step(a, x))
    })
}

fn arith_product<T: Arith>(v: &[T], layout: &Layout, axes: &[usize]) -> Result<Vec<T>> {
    let one = T::from_f64(1.0);
    kernels::reduce(v, layout, axes, one, T::mul, |acc, run| {
        run.iter().fold(acc, |a, &x| a.mul(x))
    })
}

/// Products of integers and bools, in i64 (wrapping) as PyTorch does.
fn integer_product<T: Scalar>(v: &[T], layout: &Layout, axes: &[usize]) -> Result<Vec<i64>> {
    let step = |acc: i64, x: T| acc.wrapping_mul(x.to_i64());
    kernels::reduce(v, layout, axes, 1, step, |acc, run| {
        run.iter().fold(acc, |a, &x| step(a, x))
    })
}

fn max_reduce<T: Ordered>(v: &[T], layout: &Layout, axes: &[usize]) -> Result<Vec<T>> {
    kernels::reduce(v, layout, axes, T::LOWEST, T::max_nan, |acc, run| {
        run.iter().fold(acc, |a, &x| a.max_nan(x))
    })
}

/// Every part's slice with the element type of `_witness` (the first part's), or an internal error.
fn typed_parts<'a, T: Scalar>(
    _witness: &[T],
    parts: &[(&'a CpuStorage, &'a Layout)],
) -> Result<Vec<(&'a [T], &'a Layout)>> {
    parts
        .iter()
        .map(|&(s, l)| {
            T::slice(s)
                .map(|v| (v, l))
                .ok_or_else(|| Error::Internal("cat of mixed dtypes".into()))
        })
        .collect()
}
