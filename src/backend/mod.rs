//! The backend interface: the checklist of kernels a device must provide.
//!
//! Kernels know nothing of autograd. They read strided views ([`Layout`]s) of their inputs, whose
//! shapes the caller has already checked and broadcast, and return fresh C-order storage.

pub(crate) mod cpu;
pub(crate) mod gpu;

use crate::device::{Device, GpuDevice};
use crate::dtype::DType;
use crate::dtype::DynArray;
use crate::error::{Error, Result};
use std::sync::Arc;

use crate::shape::Layout;

pub(crate) use cpu::CpuStorage;
pub(crate) use gpu::GpuStorage;

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
    /// `x * scale + shift`: scalar arithmetic in one kernel, with no scalar tensor to upload.
    Affine {
        scale: f64,
        shift: f64,
    },
    Sin,
    Cos,
    /// `ln(1 + x)`, accurate for small x.
    Log1p,
    /// `e^x - 1`, accurate for small x.
    Expm1,
    Reciprocal,
    /// `1 / sqrt(x)`.
    Rsqrt,
    Square,
    /// `x * sigmoid(x)`.
    Silu,
    /// `ln(1 + e^x)`, computed without overflow.
    Softplus,
    /// `x` where positive, else `slope * x`.
    LeakyRelu(f64),
    /// `x` where positive, else `alpha * (e^x - 1)`.
    Elu(f64),
    /// `x` limited to `[min, max]` (either may be infinite); NaN stays NaN, and where `min > max`
    /// every element becomes `max`, as in PyTorch.
    Clamp {
        min: f64,
        max: f64,
    },
}

/// Elementwise arithmetic of two tensors of one dtype.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum BinaryOp {
    Add,
    /// `x + alpha * y` in one pass (PyTorch's `add` with `alpha`): an optimizer's step.
    AddScaled(f64),
    Sub,
    Mul,
    Div,
    /// The larger of the two, NaN winning (PyTorch's `maximum`).
    Maximum,
    /// The smaller of the two, NaN winning.
    Minimum,
    /// `x`, or 0 where `y <= 0` (PyTorch's `threshold_backward` at 0: a NaN `y` keeps `x`).
    MaskNonPositive,
}

/// Elementwise comparisons; the result is a bool tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Reductions over a set of axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReduceOp {
    Sum,
    Max,
    Prod,
}

impl ReduceOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Max => "max",
            ReduceOp::Prod => "prod",
        }
    }
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
    /// The permutation (i64, C order, the view's shape) that sorts each row along the view's
    /// last axis, ascending or `descending`; NaN counts as the largest, and ties keep their order.
    fn argsort(&self, layout: &Layout, descending: bool) -> Result<Self>;
    /// Running sums (C order, the view's shape) along the view's last axis, from its start or
    /// in `reverse` from its end.
    fn cumsum(&self, layout: &Layout, reverse: bool) -> Result<Self>;
    /// Softmax, or with `log` log-softmax, along `axis` (C order, the view's shape). This
    /// default composes the primitives; a backend with a fused kernel overrides it.
    fn softmax(&self, layout: &Layout, axis: usize, log: bool) -> Result<Self> {
        softmax_composed(self, layout, axis, log)
    }
    /// Batched matrix product of `[b, m, k]` and `[b, k, n]` views into `[b, m, n]`.
    fn matmul(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self>;
    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self>;
    /// `torch.gather` along `axis`: the result has the index view's shape, and each element is
    /// this view's at the index's value along `axis` (indices already checked in range).
    fn gather(&self, layout: &Layout, axis: usize, index: (&Self, &Layout)) -> Result<Self>;
    /// `torch.scatter_add` along `axis`: this view, with each element of `src` (read over the
    /// index's shape) added at the index's value along `axis` (indices already checked).
    fn scatter_add(
        &self,
        layout: &Layout,
        axis: usize,
        index: (&Self, &Layout),
        src: (&Self, &Layout),
    ) -> Result<Self>;
    /// The view's elements in C order.
    fn copy_strided(&self, layout: &Layout) -> Result<Self>;
    /// Concatenation along `axis` of views that agree on every other axis.
    fn cat(parts: &[(&Self, &Layout)], axis: usize, out_shape: &[usize]) -> Result<Self>;
    /// The view's elements, copied into an owned array.
    fn to_dyn_array(&self, layout: &Layout) -> Result<DynArray>;
    /// Calls `f` with the view's elements in C order as native-endian bytes: borrowed from the
    /// storage when the view is contiguous, else from one temporary copy.
    fn with_c_order_bytes<R>(&self, layout: &Layout, f: impl FnOnce(&[u8]) -> R) -> Result<R>;
    /// Writes the view's elements in C order into `dst`, native-endian, which has exactly their
    /// size. Not for bool, whose bytes the caller could not check.
    fn read_into(&self, layout: &Layout, dst: &mut [u8]) -> Result<()>;
}

/// Softmax from primitives, stable for any input: `x - max` along `axis`, its exponentials and
/// their sum, then `e / sum` or `(x - max) - log(sum)`.
pub(crate) fn softmax_composed<B: Backend>(
    x: &B,
    layout: &Layout,
    axis: usize,
    log: bool,
) -> Result<B> {
    let whole = Layout::contiguous(&layout.shape);
    let mut row_shape = layout.shape.clone();
    row_shape[axis] = 1;
    let per_row = Layout::contiguous(&row_shape);
    let broadcast = per_row.broadcast_to(&layout.shape);
    let shifted = x.binary(
        BinaryOp::Sub,
        layout,
        &x.reduce(ReduceOp::Max, layout, &[axis])?,
        &broadcast,
    )?;
    let e = shifted.unary(UnaryOp::Exp, &whole)?;
    let sum = e.reduce(ReduceOp::Sum, &whole, &[axis])?;
    if log {
        let log_sum = sum.unary(UnaryOp::Log, &per_row)?;
        shifted.binary(BinaryOp::Sub, &whole, &log_sum, &broadcast)
    } else {
        e.binary(BinaryOp::Div, &whole, &sum, &broadcast)
    }
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
            UnaryOp::Affine { .. } => "scalar arithmetic",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Expm1 => "expm1",
            UnaryOp::Reciprocal => "reciprocal",
            UnaryOp::Rsqrt => "rsqrt",
            UnaryOp::Square => "square",
            UnaryOp::Silu => "silu",
            UnaryOp::Softplus => "softplus",
            UnaryOp::LeakyRelu(_) => "leaky_relu",
            UnaryOp::Elu(_) => "elu",
            UnaryOp::Clamp { .. } => "clamp",
        }
    }
}

impl BinaryOp {
    /// True for the ops that compare their operands, which complex numbers cannot.
    pub(crate) fn needs_order(self) -> bool {
        matches!(
            self,
            BinaryOp::Maximum | BinaryOp::Minimum | BinaryOp::MaskNonPositive
        )
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::AddScaled(_) => "add_scaled",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::MaskNonPositive => "mask_non_positive",
        }
    }
}

impl CmpOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
        }
    }
}

/// A tensor's data on one device.
#[derive(Debug)]
pub(crate) enum Storage {
    Cpu(CpuStorage),
    Gpu(GpuStorage),
}

/// Two operands on different devices: the tensor layer checks devices first, so this is a bug.
fn mixed() -> Error {
    Error::Internal("a kernel was given operands on different devices".into())
}

impl Storage {
    /// True when `other` lives on this storage's device (without making a `Device` handle).
    pub fn same_device(&self, other: &Storage) -> bool {
        match (self, other) {
            (Storage::Cpu(_), Storage::Cpu(_)) => true,
            (Storage::Gpu(a), Storage::Gpu(b)) => Arc::ptr_eq(a.context(), b.context()),
            _ => false,
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            Storage::Gpu(s) => Device::Gpu(GpuDevice(Arc::clone(s.context()))),
        }
    }

    /// Storage holding `values` converted to `dtype`, on `device`.
    pub fn from_f64s(values: &[f64], dtype: DType, device: &Device) -> Result<Storage> {
        Storage::Cpu(CpuStorage::from_f64s(values, dtype)?)
            .moved_to(&Layout::contiguous(&[values.len()]), device)
    }

    /// `n` copies of `value` converted to `dtype`, on `device`.
    pub fn full(n: usize, value: f64, dtype: DType, device: &Device) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuStorage::full(n, value, dtype)?)),
            Device::Gpu(gpu) => GpuStorage::full(&gpu.0, n, value, dtype).map(Storage::Gpu),
        }
    }

    /// Storage owning the array's elements in C order, on `device`.
    pub fn from_dyn_array(array: DynArray, device: &Device) -> Result<Storage> {
        let layout = Layout::contiguous(array.shape());
        Storage::Cpu(CpuStorage::from_dyn_array(array)?).moved_to(&layout, device)
    }

    /// The view's elements, in C order, in new storage on `device` (this storage if already there
    /// and the view is the whole of it).
    pub fn moved_to(self, layout: &Layout, device: &Device) -> Result<Storage> {
        match (self, device) {
            (Storage::Cpu(s), Device::Cpu) => Ok(Storage::Cpu(s)),
            (Storage::Gpu(s), Device::Gpu(_)) => Ok(Storage::Gpu(s)),
            (storage, device) => storage.copy_to(layout, device),
        }
    }

    /// A copy of the view's elements on `device`, in C order.
    pub fn copy_to(&self, layout: &Layout, device: &Device) -> Result<Storage> {
        match (self, device) {
            (Storage::Cpu(s), Device::Cpu) => s.copy_strided(layout).map(Storage::Cpu),
            (Storage::Cpu(s), Device::Gpu(gpu)) => {
                GpuStorage::upload(&gpu.0, s, layout).map(Storage::Gpu)
            }
            (Storage::Gpu(s), Device::Cpu) => Ok(Storage::Cpu(CpuStorage::from_dyn_array(
                s.to_dyn_array(layout)?,
            )?)),
            (Storage::Gpu(s), Device::Gpu(_)) => s.copy_strided(layout).map(Storage::Gpu),
        }
    }
}

/// Every part's backend storage, picked by `pick`, or the error for parts on mixed devices.
fn same_backend<'a, T>(
    parts: &[(&'a Storage, &'a Layout)],
    pick: impl Fn(&'a Storage) -> Option<&'a T>,
) -> Result<Vec<(&'a T, &'a Layout)>> {
    parts
        .iter()
        .map(|&(storage, layout)| pick(storage).map(|s| (s, layout)).ok_or_else(mixed))
        .collect()
}

impl Backend for Storage {
    fn dtype(&self) -> DType {
        match self {
            Storage::Cpu(s) => s.dtype(),
            Storage::Gpu(s) => s.dtype(),
        }
    }

    fn unary(&self, op: UnaryOp, layout: &Layout) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.unary(op, layout).map(Storage::Cpu),
            Storage::Gpu(s) => s.unary(op, layout).map(Storage::Gpu),
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
            (Storage::Gpu(a), Storage::Gpu(b)) => {
                a.binary(op, layout, b, rhs_layout).map(Storage::Gpu)
            }
            _ => Err(mixed()),
        }
    }

    fn compare(&self, op: CmpOp, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => {
                a.compare(op, layout, b, rhs_layout).map(Storage::Cpu)
            }
            (Storage::Gpu(a), Storage::Gpu(b)) => {
                a.compare(op, layout, b, rhs_layout).map(Storage::Gpu)
            }
            _ => Err(mixed()),
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
            (Storage::Gpu(c), Storage::Gpu(t), Storage::Gpu(f)) => c
                .where_cond(layout, (t, on_true.1), (f, on_false.1))
                .map(Storage::Gpu),
            _ => Err(mixed()),
        }
    }

    fn reduce(&self, op: ReduceOp, layout: &Layout, axes: &[usize]) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.reduce(op, layout, axes).map(Storage::Cpu),
            Storage::Gpu(s) => s.reduce(op, layout, axes).map(Storage::Gpu),
        }
    }

    fn softmax(&self, layout: &Layout, axis: usize, log: bool) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.softmax(layout, axis, log).map(Storage::Cpu),
            Storage::Gpu(s) => s.softmax(layout, axis, log).map(Storage::Gpu),
        }
    }

    fn argmax(&self, layout: &Layout, axis: usize) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.argmax(layout, axis).map(Storage::Cpu),
            Storage::Gpu(s) => s.argmax(layout, axis).map(Storage::Gpu),
        }
    }

    fn cumsum(&self, layout: &Layout, reverse: bool) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.cumsum(layout, reverse).map(Storage::Cpu),
            Storage::Gpu(s) => s.cumsum(layout, reverse).map(Storage::Gpu),
        }
    }

    fn argsort(&self, layout: &Layout, descending: bool) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.argsort(layout, descending).map(Storage::Cpu),
            Storage::Gpu(s) => s.argsort(layout, descending).map(Storage::Gpu),
        }
    }

    fn matmul(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self> {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => a.matmul(layout, b, rhs_layout).map(Storage::Cpu),
            (Storage::Gpu(a), Storage::Gpu(b)) => a.matmul(layout, b, rhs_layout).map(Storage::Gpu),
            _ => Err(mixed()),
        }
    }

    fn gather(&self, layout: &Layout, axis: usize, (index, il): (&Self, &Layout)) -> Result<Self> {
        match (self, index) {
            (Storage::Cpu(s), Storage::Cpu(i)) => s.gather(layout, axis, (i, il)).map(Storage::Cpu),
            (Storage::Gpu(s), Storage::Gpu(i)) => s.gather(layout, axis, (i, il)).map(Storage::Gpu),
            _ => Err(mixed()),
        }
    }

    fn scatter_add(
        &self,
        layout: &Layout,
        axis: usize,
        (index, il): (&Self, &Layout),
        (src, sl): (&Self, &Layout),
    ) -> Result<Self> {
        match (self, index, src) {
            (Storage::Cpu(s), Storage::Cpu(i), Storage::Cpu(v)) => s
                .scatter_add(layout, axis, (i, il), (v, sl))
                .map(Storage::Cpu),
            (Storage::Gpu(s), Storage::Gpu(i), Storage::Gpu(v)) => s
                .scatter_add(layout, axis, (i, il), (v, sl))
                .map(Storage::Gpu),
            _ => Err(mixed()),
        }
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.to_dtype(layout, dtype).map(Storage::Cpu),
            Storage::Gpu(s) => s.to_dtype(layout, dtype).map(Storage::Gpu),
        }
    }

    fn copy_strided(&self, layout: &Layout) -> Result<Self> {
        match self {
            Storage::Cpu(s) => s.copy_strided(layout).map(Storage::Cpu),
            Storage::Gpu(s) => s.copy_strided(layout).map(Storage::Gpu),
        }
    }

    fn cat(parts: &[(&Self, &Layout)], axis: usize, out_shape: &[usize]) -> Result<Self> {
        match parts.first() {
            Some((Storage::Gpu(_), _)) => {
                let gpu = same_backend(parts, |s| match s {
                    Storage::Gpu(g) => Some(g),
                    Storage::Cpu(_) => None,
                })?;
                GpuStorage::cat(&gpu, axis, out_shape).map(Storage::Gpu)
            }
            _ => {
                let cpu = same_backend(parts, |s| match s {
                    Storage::Cpu(c) => Some(c),
                    Storage::Gpu(_) => None,
                })?;
                CpuStorage::cat(&cpu, axis, out_shape).map(Storage::Cpu)
            }
        }
    }

    fn to_dyn_array(&self, layout: &Layout) -> Result<DynArray> {
        match self {
            Storage::Cpu(s) => s.to_dyn_array(layout),
            Storage::Gpu(s) => s.to_dyn_array(layout),
        }
    }

    fn with_c_order_bytes<R>(&self, layout: &Layout, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        match self {
            Storage::Cpu(s) => s.with_c_order_bytes(layout, f),
            Storage::Gpu(s) => s.with_c_order_bytes(layout, f),
        }
    }

    fn read_into(&self, layout: &Layout, dst: &mut [u8]) -> Result<()> {
        match self {
            Storage::Cpu(s) => s.read_into(layout, dst),
            Storage::Gpu(s) => s.read_into(layout, dst),
        }
    }
}
