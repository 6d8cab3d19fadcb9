//! Named tensors to and from `.safetensors` files (Hugging Face's format: a JSON header of
//! names, dtypes, shapes and offsets, then the raw little-endian data), through the
//! `safetensors` crate. Every dtype wgrad holds but complex128 has a safetensors dtype, bf16
//! included, which `.npy` cannot carry. As with `.npz`: attached tensors are refused, files are
//! written atomically, and reading is strict.
//!
//! ```
//! use wgrad::{DType, Device, Tensor, safetensors};
//!
//! let path = std::env::temp_dir().join("wgrad-doc-model.safetensors");
//! let w = Tensor::randn(&[2, 3], DType::BF16, 0, &Device::cpu())?;
//! safetensors::save(&path, &[("w", &w)])?; // safetensors.numpy.load_file(path)["w"] in Python
//! let loaded = safetensors::load(&path, &Device::cpu())?;
//! assert_eq!(loaded[0].0, "w");
//! assert_eq!(loaded[0].1.to_ndarray::<half::bf16>()?, w.to_ndarray::<half::bf16>()?);
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), wgrad::Error>(())
//! ```

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use bytemuck::Pod;
use safetensors::tensor::{Dtype, SafeTensors, TensorView, View};

use super::atomic::{io_error, write_atomically};
use super::require_unique_names;
use crate::backend::Backend;
use crate::backend::cpu::alloc;
use crate::device::Device;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The safetensors dtype of each wgrad dtype.
fn safetensors_dtype(dtype: DType) -> Result<Dtype> {
    Ok(match dtype {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
        DType::I32 => Dtype::I32,
        DType::I64 => Dtype::I64,
        DType::U8 => Dtype::U8,
        DType::Bool => Dtype::BOOL,
        DType::C64 => Dtype::C64,
        DType::I8 => Dtype::I8,
        DType::I16 => Dtype::I16,
        DType::U16 => Dtype::U16,
        DType::U32 => Dtype::U32,
        DType::U64 => Dtype::U64,
        DType::C128 => {
            return Err(Error::UnsupportedDType {
                op: "safetensors::save",
                dtype,
                hint: "safetensors has no complex128; save its real and imaginary parts as \
                       f64 tensors, or use npy::save",
            });
        }
    })
}

/// One tensor's header entry and its bytes, as the format lays them.
struct Entry {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Entry {
    fn dtype(&self) -> Dtype {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }

    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Writes `tensors` to `path` under their names, atomically. Names must be unique and
/// non-empty; every tensor must be detached. Tensors on the GPU are read back.
pub fn save(path: impl AsRef<Path>, tensors: &[(&str, &Tensor)]) -> Result<()> {
    let path = path.as_ref();
    let bytes = to_bytes(tensors)?;
    write_atomically(path, |w| w.write_all(&bytes).map_err(io_error(path)))
}

/// The `.safetensors` file for `tensors`, in memory.
pub fn to_bytes(tensors: &[(&str, &Tensor)]) -> Result<Vec<u8>> {
    require_unique_names("safetensors::save", tensors)?;
    let mut entries = Vec::with_capacity(tensors.len());
    for &(name, tensor) in tensors {
        tensor.require_detached()?;
        let copy = |b: &[u8]| {
            alloc::with_capacity(b.len()).map(|mut v: Vec<u8>| {
                v.extend_from_slice(b);
                v
            })
        };
        let mut bytes = tensor
            .storage()
            .with_c_order_bytes(tensor.layout(), copy)??;
        swap_on_big_endian(&mut bytes, tensor.dtype());
        let entry = Entry {
            dtype: safetensors_dtype(tensor.dtype())?,
            shape: tensor.shape().to_vec(),
            bytes,
        };
        entries.push((name, entry));
    }
    let views = entries.iter().map(|(name, entry)| (*name, entry));
    safetensors::tensor::serialize(views, None).map_err(|e| Error::InvalidArgument {
        op: "safetensors::save",
        message: e.to_string(),
    })
}

/// Turns native-endian elements of `dtype` into the format's little-endian order, or back:
/// nothing to do on a little-endian machine (complex numbers swap each part on its own).
fn swap_on_big_endian(bytes: &mut [u8], dtype: DType) {
    if cfg!(target_endian = "big") {
        let unit = match dtype {
            DType::C64 => 4,
            other => other.size_in_bytes(),
        };
        bytes.chunks_exact_mut(unit).for_each(<[u8]>::reverse);
    }
}

/// Reads every tensor of a `.safetensors` file onto `device`, in the order of their data in the
/// file. A malformed header, data that does not match it, or a dtype wgrad does not hold is an
/// error that names the file and the tensor.
pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<Vec<(String, Tensor)>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    from_bytes(&bytes, device).map_err(|message| Error::InvalidFile {
        path: path.to_path_buf(),
        message,
    })
}

/// The tensors of a `.safetensors` file held in memory; the error's message otherwise.
fn from_bytes(bytes: &[u8], device: &Device) -> std::result::Result<Vec<(String, Tensor)>, String> {
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| format!("not a valid .safetensors file: {e}"))?;
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| e.to_string())?;
    let mut tensors = Vec::with_capacity(file.len());
    for name in metadata.offset_keys() {
        let view = file.tensor(&name).map_err(|e| format!("{name}: {e}"))?;
        let tensor = tensor_of(&view, device).map_err(|e| format!("{name}: {e}"))?;
        tensors.push((name, tensor));
    }
    Ok(tensors)
}

/// The tensor a view holds, on `device`.
fn tensor_of(view: &TensorView<'_>, device: &Device) -> Result<Tensor> {
    let (shape, data) = (view.shape(), view.data());
    match view.dtype() {
        Dtype::F32 => typed::<f32>(data, shape, device),
        Dtype::F64 => typed::<f64>(data, shape, device),
        Dtype::F16 => typed::<half::f16>(data, shape, device),
        Dtype::BF16 => typed::<half::bf16>(data, shape, device),
        Dtype::I32 => typed::<i32>(data, shape, device),
        Dtype::I64 => typed::<i64>(data, shape, device),
        Dtype::U8 => typed::<u8>(data, shape, device),
        Dtype::C64 => typed::<num_complex::Complex32>(data, shape, device),
        Dtype::I8 => typed::<i8>(data, shape, device),
        Dtype::I16 => typed::<i16>(data, shape, device),
        Dtype::U16 => typed::<u16>(data, shape, device),
        Dtype::U32 => typed::<u32>(data, shape, device),
        Dtype::U64 => typed::<u64>(data, shape, device),
        Dtype::BOOL => {
            if let Some((i, &b)) = data.iter().enumerate().find(|&(_, &b)| b > 1) {
                return Err(Error::InvalidArgument {
                    op: "safetensors::load",
                    message: format!(
                        "element {i} of a bool tensor is the byte {b}; bools are 0 or 1"
                    ),
                });
            }
            let mut values =
                alloc::with_capacity(data.len()).map_err(|e| e.for_tensor_on(device))?;
            values.extend(data.iter().map(|&b| b == 1));
            Tensor::from_vec(values, shape, device)
        }
        other => Err(Error::InvalidArgument {
            op: "safetensors::load",
            message: format!(
                "dtype {other:?} has no wgrad dtype; wgrad loads F16, BF16, F32, F64, I8, I16, \
                 I32, I64, U8, U16, U32, U64, BOOL and C64"
            ),
        }),
    }
}

/// `data` (little-endian elements of `T`, checked against `shape` by the format) as a tensor.
fn typed<T: Pod + Element>(data: &[u8], shape: &[usize], device: &Device) -> Result<Tensor> {
    let n = data.len() / std::mem::size_of::<T>();
    let mut values: Vec<T> = alloc::zeroed(n).map_err(|e| e.for_tensor_on(device))?;
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut values);
    bytes.copy_from_slice(data);
    swap_on_big_endian(bytes, T::DTYPE);
    Tensor::from_vec(values, shape, device)
}
