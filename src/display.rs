//! `Display` for tensors, in the manner of PyTorch's repr: nested brackets, aligned columns,
//! long axes summarised with `...`, then the dtype and the tensor's place in the graph.

use std::fmt;

use crate::autograd::GradMeta;
use crate::backend::Backend;
use crate::dtype::DynArray;
use crate::shape::contiguous_strides;
use crate::tensor::Tensor;

/// Tensors with more elements than this show only the edges of each long axis.
const SUMMARY_THRESHOLD: usize = 1000;
/// Elements shown at each end of a summarised axis.
const EDGE_ITEMS: usize = 3;

fn element_strings(array: &DynArray) -> Vec<String> {
    fn all<T>(a: &ndarray::ArrayD<T>, f: impl Fn(&T) -> String) -> Vec<String> {
        a.iter().map(f).collect()
    }
    match array {
        DynArray::F32(a) => all(a, |x| format!("{x:.4}")),
        DynArray::F64(a) => all(a, |x| format!("{x:.4}")),
        DynArray::F16(a) => all(a, |x| format!("{:.4}", x.to_f32())),
        DynArray::BF16(a) => all(a, |x| format!("{:.4}", x.to_f32())),
        DynArray::I32(a) => all(a, i32::to_string),
        DynArray::I64(a) => all(a, i64::to_string),
        DynArray::U8(a) => all(a, u8::to_string),
        DynArray::I8(a) => all(a, i8::to_string),
        DynArray::I16(a) => all(a, i16::to_string),
        DynArray::U16(a) => all(a, u16::to_string),
        DynArray::U32(a) => all(a, u32::to_string),
        DynArray::U64(a) => all(a, u64::to_string),
        DynArray::Bool(a) => all(a, bool::to_string),
        DynArray::C64(a) => all(a, |x| format!("{:.4}{:+.4}i", x.re, x.im)),
        DynArray::C128(a) => all(a, |x| format!("{:.4}{:+.4}i", x.re, x.im)),
    }
}

/// Writes axis `depth` of the element strings starting at flat position `at`.
struct Printer<'a> {
    cells: &'a [String],
    shape: &'a [usize],
    strides: Vec<usize>,
    width: usize,
    summarise: bool,
    indent: usize,
}

impl Printer<'_> {
    fn shown(&self, depth: usize) -> Vec<Option<usize>> {
        let n = self.shape[depth];
        if self.summarise && n > 2 * EDGE_ITEMS {
            (0..EDGE_ITEMS)
                .map(Some)
                .chain([None])
                .chain((n - EDGE_ITEMS..n).map(Some))
                .collect()
        } else {
            (0..n).map(Some).collect()
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, depth: usize, at: usize) -> fmt::Result {
        if depth == self.shape.len() {
            return write!(f, "{:>width$}", self.cells[at], width = self.width);
        }
        f.write_str("[")?;
        let last_axis = depth + 1 == self.shape.len();
        for (i, item) in self.shown(depth).into_iter().enumerate() {
            if i > 0 {
                if last_axis {
                    f.write_str(", ")?;
                } else {
                    let blank_lines = self.shape.len() - depth - 1;
                    write!(
                        f,
                        ",{}{:indent$}",
                        "\n".repeat(blank_lines),
                        "",
                        indent = self.indent + depth + 1
                    )?;
                }
            }
            match item {
                Some(index) => self.write(f, depth + 1, at + index * self.strides[depth])?,
                None => f.write_str("...")?,
            }
        }
        f.write_str("]")
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let array = self
            .storage()
            .to_dyn_array(self.layout())
            .map_err(|_| fmt::Error)?;
        let cells = element_strings(&array);
        let printer = Printer {
            width: cells.iter().map(String::len).max().unwrap_or(0),
            cells: &cells,
            shape: self.shape(),
            strides: contiguous_strides(self.shape()).to_vec(),
            summarise: self.numel() > SUMMARY_THRESHOLD,
            indent: "tensor(".len(),
        };
        f.write_str("tensor(")?;
        printer.write(f, 0, 0)?;
        write!(f, ", dtype={}", self.dtype())?;
        if self.device() != crate::Device::Cpu {
            write!(f, ", device={}", self.device())?;
        }
        match self.grad_meta() {
            GradMeta::None => {}
            GradMeta::Leaf(_) | GradMeta::SavedLeaf(_) => f.write_str(", requires_grad=true")?,
            GradMeta::Op(node) => write!(f, ", grad_fn={}", node.name)?,
        }
        f.write_str(")")
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor")
            .field("shape", &self.shape())
            .field("dtype", &self.dtype())
            .field("device", &self.device())
            .field("needs_grad", &self.needs_grad())
            .finish()
    }
}
