//! Making tensors: from host data, filled with a value, ranges, and seeded random samples.

use crate::backend::Storage;
use crate::backend::cpu::alloc;
use crate::device::Device;
use crate::dtype::DynArray;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::random;
use crate::shape::{Layout, checked_numel};
use crate::tensor::Tensor;

/// The most elements an arange makes: 2^53, beyond which f64 steps stop being distinct.
const MAX_ARANGE: f64 = 9_007_199_254_740_992.0;

impl Tensor {
    /// A tensor owning `data`, read in C order as `shape`.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize], device: &Device) -> Result<Tensor> {
        let expected = checked_numel("from_vec", shape)?;
        if data.len() != expected {
            return Err(Error::InvalidShape {
                op: "from_vec",
                message: format!(
                    "{} values cannot fill shape {shape:?} ({expected} elements); pass exactly {expected} values",
                    data.len()
                ),
            });
        }
        let array = ndarray::ArrayD::from_shape_vec(shape, data)
            .map_err(|e| Error::Internal(e.to_string()))?;
        Tensor::from_dyn_array(T::into_dyn_array(array), device)
    }

    /// A tensor holding a copy of `data`, read in C order as `shape`.
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize], device: &Device) -> Result<Tensor> {
        Tensor::from_vec(data.to_vec(), shape, device)
    }

    /// A tensor of `shape` with every element `value` (converted to `dtype` like a C cast).
    pub fn full(shape: &[usize], value: f64, dtype: DType, device: &Device) -> Result<Tensor> {
        let n = checked_numel("full", shape)?;
        Ok(Tensor::from_storage(
            Storage::full(n, value, dtype, device)?,
            Layout::contiguous(shape),
        ))
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        Tensor::full(shape, 0.0, dtype, device)
    }

    /// A tensor of ones.
    pub fn ones(shape: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        Tensor::full(shape, 1.0, dtype, device)
    }

    /// The 1-D tensor `start, start + step, ...` up to but excluding `end`, like `torch.arange`.
    pub fn arange(
        start: f64,
        end: f64,
        step: f64,
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        if step == 0.0 || !(start.is_finite() && end.is_finite() && step.is_finite()) {
            return Err(Error::InvalidArgument {
                op: "arange",
                message: format!(
                    "start {start}, end {end} and step {step} must be finite and step non-zero"
                ),
            });
        }
        let count = ((end - start) / step).ceil().max(0.0);
        // Past 2^53 consecutive values are no longer distinct in f64, let alone storable.
        if count > MAX_ARANGE {
            return Err(Error::InvalidArgument {
                op: "arange",
                message: format!(
                    "start {start}, end {end} and step {step} make {count:e} elements, more than \
                     the {MAX_ARANGE:e} an arange can hold; use a larger step or a shorter range"
                ),
            });
        }
        let count = count as usize;
        let mut values = alloc::with_capacity(count).map_err(|e| e.for_tensor_on(device))?;
        values.extend((0..count).map(|i| start + i as f64 * step));
        Tensor::from_samples(&values, &[count], dtype, device)
    }

    /// Samples uniform in [0, 1), the same for a given seed on every machine.
    pub fn rand(shape: &[usize], dtype: DType, seed: u64, device: &Device) -> Result<Tensor> {
        let n = random_count("rand", shape, dtype)?;
        let samples = random::uniform(n, seed, dtype).map_err(|e| e.for_tensor_on(device))?;
        Tensor::from_samples(&samples, shape, dtype, device)
    }

    /// Samples of the standard normal distribution, the same for a given seed on every machine.
    pub fn randn(shape: &[usize], dtype: DType, seed: u64, device: &Device) -> Result<Tensor> {
        let n = random_count("randn", shape, dtype)?;
        let samples = random::normal(n, seed).map_err(|e| e.for_tensor_on(device))?;
        Tensor::from_samples(&samples, shape, dtype, device)
    }

    /// A tensor of `values` converted to `dtype`.
    fn from_samples(
        values: &[f64],
        shape: &[usize],
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        let storage = Storage::from_f64s(values, dtype, device);
        Ok(Tensor::from_storage(
            storage.map_err(|e| e.for_tensor_on(device))?,
            Layout::contiguous(shape),
        ))
    }

    /// A tensor owning the elements of a dtype-erased array, moved to `device`.
    pub fn from_dyn_array(array: DynArray, device: &Device) -> Result<Tensor> {
        let layout = Layout::contiguous(array.shape());
        Ok(Tensor::from_storage(
            Storage::from_dyn_array(array, device)?,
            layout,
        ))
    }
}

fn random_count(op: &'static str, shape: &[usize], dtype: DType) -> Result<usize> {
    if !dtype.is_float() {
        return Err(Error::UnsupportedDType {
            op,
            dtype,
            hint: "random samples are floating point; sample in F32 and convert with .to_dtype()",
        });
    }
    checked_numel(op, shape)
}
