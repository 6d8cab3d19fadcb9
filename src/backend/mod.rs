//! The backend interface: the checklist of kernels a device must provide.
//!
//! Kernels know nothing of autograd. They read strided views ([`Layout`]s) of their inputs, whose
//! shapes the caller has already checked and broadcast, and return fresh C-order storage.

pub(crate) mod cpu;

use crate::device::Device;
use crate::dtype::DType;
use crate::error::Result;
use crate::export::DynArray;
use crate::shape::Layout;

pub(crate) use cpu::CpuStorage;

/// Elementwise functions of one tensor. Some exist only to express gradients (`Sign`, `Step`,
/// `GeluGrad`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum UnaryOp {
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Tanh,
    Sigmoid,
    Relu,
    /// GELU, tanh approximation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
    Gelu,
    /// The derivative of `Gelu`.
    GeluGrad,
    /// -1, 0 or 1 (NaN stays NaN).
    Sign,
    /// 1 where x > 0, else 0: the derivative of `Relu`.
    Step,
    /// `x^p` for a scalar exponent.
    Powf(f64),
}

/// Elementwise arithmetic of two tensors of one dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// Elementwise comparisons; the result is a bool tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Lt,
    Gt,
}

/// Reductions over a set of axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReduceOp {
    Sum,
    Max,
}

/// What a device must do. Every method returns contiguous storage for the shape the caller
/// computed; binary operands arrive with layouts already broadcast to the output shape.
pub(crate) trait Backend: Sized {
    fn dtype(&self) -> DType;
    fn unary(&self, op: UnaryOp, layout: &Layout) -> Result<Self>;
    fn binary(
        &self,
        op: BinaryOp,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
    ) -> Result<Self>;
    fn compare(&self, op: CmpOp, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self>;
    /// `self` is the bool condition; the three layouts share one shape.
    fn where_cond(
        &self,
        layout: &Layout,
        on_true: (&Self, &Layout),
        on_false: (&Self, &Layout),
    ) -> Result<Self>;
    /// The result keeps the reduced axes with length 1. Integer and bool sums give i64.
    fn reduce(&self, op: ReduceOp, layout: &Layout, axes: &[usize]) -> Result<Self>;
    /// Index (i64) of the first maximum along `axis`, which is kept with length 1.
    fn argmax(&self, layout: &Layout, axis: usize) -> Result<Self>;
    /// Batched matrix product of `[b, m, k]` and `[b, k, n]` views into `[b, m, n]`.
    fn matmul(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self>;
    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self>;
    /// The view's elements in C order.
    fn copy_strided(&self, layout: &Layout) -> Result<Self>;
    /// Concatenation along `axis` of views that agree on every other axis.
    fn cat(parts: &[(&Self, &Layout)], axis: usize, out_shape: &[usize]) -> Result<Self>;
    /// The view's elements, copied into an owned array.
    fn to_dyn_array(&self, layout: &Layout) -> Result<DynArray>;
    /// Calls `f` with the view's elements in C order as native-endian bytes: borrowed from the
    /// storage when the view is contiguous, else from one temporary copy.
    fn with_c_order_bytes<R>(&self, layout: &Layout, f: impl FnOnce(&[u8]) -> R) -> Result<R>;
}

impl UnaryOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Abs => "abs",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Relu => "relu",
            UnaryOp::Gelu => "gelu",
            UnaryOp::GeluGrad => "gelu backward",
            UnaryOp::Sign => "sign",
            UnaryOp::Step => "relu backward",
            UnaryOp::Powf(_) => "pow",
        }
    }
}

impl BinaryOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
        }
    }
}

impl CmpOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Lt => "lt",
            CmpOp::Gt => "gt",
        }
    }
}

/// A tensor's data on one device.
#[derive(Debug)]
pub(crate) enum Storage {
    Cpu(CpuStorage),
}

impl Storage {
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
        }
    }

    /// Storage holding `values` converted to `dtype`, on `device`.
    pub fn from_f64s(values: &[f64], dtype: DType, device: &Device) -> Storage {
        match device {
            Device::Cpu => Storage::Cpu(CpuStorage::from_f64s(values, dtype)),
        }
    }

    /// `n` copies of `value` converted to `dtype`, on `device`.
    pub fn full(n: usize, value: f64, dtype: DType, device: &Device) -> Storage {
        match device {
            Device::Cpu => Storage::Cpu(CpuStorage::full(n, value, dtype)),
        }
    }

    /// Storage owning the array's elements in C order, on `device`.
    pub fn from_dyn_array(array: DynArray, device: &Device) -> Storage {
        match device {
            Device::Cpu => Storage::Cpu(CpuStorage::from_dyn_array(array)),
        }
    }
}

impl Backend for Storage {
    fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
        }
    }

    fn unary(&self, op: UnaryOp, layout: &Layout) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.unary(op, layout).map(Storage::Cpu),
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
            (Storage::Cpu(a), Storage::Cpu(b)) => {
                a.binary(op, layout, b, rhs_layout).map(Storage::Cpu)
            }
        }
    }

    fn compare(&self, op: CmpOp, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => {
                a.compare(op, layout, b, rhs_layout).map(Storage::Cpu)
            }
        }
    }

    fn where_cond(
        &self,
        layout: &Layout,
        on_true: (&Self, &Layout),
        on_false: (&Self, &Layout),
    ) -> Result<Self> {
        match (self, on_true.0, on_false.0) {
            (Storage::Cpu(c), Storage::Cpu(t), Storage::Cpu(f)) => c
                .where_cond(layout, (t, on_true.1), (f, on_false.1))
                .map(Storage::Cpu),
        }
    }

    fn reduce(&self, op: ReduceOp, layout: &Layout, axes: &[usize]) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.reduce(op, layout, axes).map(Storage::Cpu),
        }
    }

    fn argmax(&self, layout: &Layout, axis: usize) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.argmax(layout, axis).map(Storage::Cpu),
        }
    }

    fn matmul(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => a.matmul(layout, b, rhs_layout).map(Storage::Cpu),
        }
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.to_dtype(layout, dtype).map(Storage::Cpu),
        }
    }

    fn copy_strided(&self, layout: &Layout) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.copy_strided(layout).map(Storage::Cpu),
        }
    }

    fn cat(parts: &[(&Self, &Layout)], axis: usize, out_shape: &[usize]) -> Result<Self> {
        let cpu_parts: Vec<(&CpuStorage, &Layout)> = parts
            .iter()
            .map(|&(storage, layout)| match storage {
                Storage::Cpu(s) => (s, layout),
            })
            .collect();
        CpuStorage::cat(&cpu_parts, axis, out_shape).map(Storage::Cpu)
    }

    fn to_dyn_array(&self, layout: &Layout) -> Result<DynArray> {
        match self {
            Storage::Cpu(s) => s.to_dyn_array(layout),
        }
    }

    fn with_c_order_bytes<R>(&self, layout: &Layout, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        match self {
            Storage::Cpu(s) => s.with_c_order_bytes(layout, f),
        }
    }
}
