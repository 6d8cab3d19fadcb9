//! The one error type of wgrad.
//!
//! Every message says what happened, with the values involved, and what to do about it.

use std::fmt;
use std::path::PathBuf;

use crate::device_kind::DeviceKind;
use crate::dtype::DType;

/// Everything that can go wrong in wgrad. A panic is a bug; bad input is one of these.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Two shapes that an operation needs to agree (or broadcast) do not.
    ShapeMismatch {
        op: &'static str,
        lhs: Vec<usize>,
        rhs: Vec<usize>,
        hint: &'static str,
    },
    /// A shape argument is impossible for this tensor (reshape to another size, narrow past the end, ...).
    InvalidShape { op: &'static str, message: String },
    /// An axis argument is outside `-ndim..ndim`.
    AxisOutOfRange {
        op: &'static str,
        axis: isize,
        ndim: usize,
    },
    /// Two tensors of different dtypes met in an operation that needs one dtype.
    DTypeMismatch {
        op: &'static str,
        lhs: DType,
        rhs: DType,
    },
    /// The operation is not defined for this dtype.
    UnsupportedDType {
        op: &'static str,
        dtype: DType,
        hint: &'static str,
    },
    /// Two tensors on different devices met in one operation.
    DeviceMismatch {
        op: &'static str,
        lhs: DeviceKind,
        rhs: DeviceKind,
    },
    /// An argument's value is out of its domain (an index, a label, a count).
    InvalidArgument { op: &'static str, message: String },
    /// Export of a tensor that is still attached to the autograd graph.
    RequiresGrad {
        shape: Vec<usize>,
        dtype: DType,
        device: DeviceKind,
    },
    /// `to_ndarray::<T>()` with a `T` that is not the tensor's dtype.
    ExportDType { requested: DType, actual: DType },
    /// Misuse of `backward` or `requires_grad` (non-scalar without a gradient, no graph, ...).
    Backward { message: String },
    /// A second backward through a graph whose saved tensors were freed by the first.
    GraphFreed { op: &'static str },
    /// `gradcheck` found an analytic gradient that disagrees with the finite-difference one.
    GradcheckFailed {
        input: usize,
        index: Vec<usize>,
        output: usize,
        analytic: f64,
        numerical: f64,
        tolerance: f64,
    },
    /// A file could not be read or written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file (or byte buffer) is not a valid .npy or .npz, or holds what wgrad cannot load.
    InvalidFile { path: PathBuf, message: String },
    /// The GPU is missing, refused an operation, ran out of memory or was lost.
    Gpu { message: String },
    /// A host buffer could not be allocated: the allocator refused `bytes` (`None` when the
    /// size itself overflows), staging data for or computing on `device`.
    OutOfMemory {
        bytes: Option<usize>,
        device: DeviceKind,
    },
    /// An invariant inside wgrad broke: a bug, to be reported.
    Internal(String),
}

/// `Result` with wgrad's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ShapeMismatch { op, lhs, rhs, hint } => {
                write!(f, "{op}: shapes {lhs:?} and {rhs:?} do not match; {hint}")
            }
            Error::InvalidShape { op, message } => write!(f, "{op}: {message}"),
            Error::AxisOutOfRange { op, axis, ndim } => write!(
                f,
                "{op}: axis {axis} is out of range for a tensor with {ndim} dimensions; \
                 use an axis in {}..{ndim}",
                -(*ndim as isize)
            ),
            Error::DTypeMismatch { op, lhs, rhs } => write!(
                f,
                "{op}: dtypes {lhs} and {rhs} differ; convert one with .to_dtype(DType::{})",
                lhs.variant_name()
            ),
            Error::UnsupportedDType { op, dtype, hint } => {
                write!(f, "{op} is not supported for dtype {dtype}; {hint}")
            }
            Error::DeviceMismatch { op, lhs, rhs } => write!(
                f,
                "{op}: tensors are on different devices ({lhs} and {rhs}); move one with .to(&device)"
            ),
            Error::InvalidArgument { op, message } => write!(f, "{op}: {message}"),
            Error::RequiresGrad {
                shape,
                dtype,
                device,
            } => write!(
                f,
                "cannot export a tensor that requires grad (shape {shape:?}, {dtype}, {device}); \
                 call .detach() first: t.detach().to_ndarray()"
            ),
            Error::ExportDType { requested, actual } => write!(
                f,
                "cannot export a {actual} tensor as {requested}; convert it first: \
                 t.to_dtype(DType::{})?.to_ndarray::<{}>()",
                requested.variant_name(),
                requested.rust_type()
            ),
            Error::Backward { message } => write!(f, "backward: {message}"),
            Error::GraphFreed { op } => write!(
                f,
                "backward: trying to backward through the graph a second time (at {op}), but its \
                 saved tensors were freed by the first backward; pass retain_graph = true to the \
                 first backward_with call"
            ),
            Error::GradcheckFailed {
                input,
                index,
                output,
                analytic,
                numerical,
                tolerance,
            } => write!(
                f,
                "gradcheck: d(output[{output}])/d(input {input}{index:?}) is {analytic:e} \
                 analytically but {numerical:e} by finite differences (difference {:e} exceeds \
                 tolerance {tolerance:e})",
                (analytic - numerical).abs()
            ),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::InvalidFile { path, message } => write!(f, "{}: {message}", path.display()),
            Error::Gpu { message } => write!(f, "GPU: {message}"),
            Error::OutOfMemory {
                bytes: Some(bytes),
                device,
            } => write!(
                f,
                "out of memory: cannot allocate {bytes} bytes ({}) of host memory for a tensor on \
                 {device}; use smaller tensors",
                human_bytes(*bytes)
            ),
            Error::OutOfMemory {
                bytes: None,
                device,
            } => write!(
                f,
                "out of memory: a tensor on {device} would need more bytes than an address \
                 holds; use smaller tensors"
            ),
            Error::Internal(message) => {
                write!(
                    f,
                    "internal error (a bug in wgrad, please report it): {message}"
                )
            }
        }
    }
}

impl Error {
    /// This error, with an out-of-memory one naming `device` as the device of the tensor the
    /// host memory was for (staging a GPU tensor's data on the host, say).
    pub(crate) fn for_tensor_on(self, device: impl Into<DeviceKind>) -> Error {
        match self {
            Error::OutOfMemory { bytes, .. } => Error::OutOfMemory {
                bytes,
                device: device.into(),
            },
            other => other,
        }
    }
}

/// A byte count in the largest binary unit that keeps it at least 1 (`4.0 TiB`).
fn human_bytes(bytes: usize) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
