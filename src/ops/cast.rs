//! Conversions: to another dtype, to another device.

use crate::autograd::record;
use crate::backend::Backend;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::Layout;
use crate::tensor::Tensor;

impl Tensor {
    /// The elements converted to `dtype` like a C cast (floats round, integers wrap, a float to
    /// an integer truncates toward zero). The same tensor when the dtype already matches.
    ///
    /// Differentiable between floating-point dtypes. An integer or bool result has no gradient
    /// by definition, so it is detached (as in PyTorch). Converting a tensor that requires grad
    /// to complex is an error until complex autograd exists, rather than a silent detach.
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        if dtype.is_complex() && self.needs_grad() {
            return Err(Error::UnsupportedDType {
                op: "to_dtype",
                dtype,
                hint: "gradients do not flow through complex numbers yet; convert a detached \
                       tensor: .detach().to_dtype(dtype)",
            });
        }
        let out = Tensor::from_kernel(self.storage().to_dtype(self.layout(), dtype), self.shape())?;
        if !dtype.is_float() {
            return Ok(out);
        }
        let source = self.dtype();
        Ok(record(out, "to_dtype", &[self], move |g, _| {
            Ok(vec![Some(g.to_dtype(source)?)])
        }))
    }
}

impl Tensor {
    /// This tensor's elements on `device` (this tensor itself if it is already there).
    /// Differentiable: the gradient flows back to the source device.
    pub fn to(&self, device: &Device) -> Result<Tensor> {
        let source = self.device();
        if source == *device {
            return Ok(self.clone());
        }
        let storage = self.storage().copy_to(self.layout(), device)?;
        let out = self.bounds_onto(Tensor::from_storage(
            storage,
            Layout::contiguous(self.shape()),
        ));
        Ok(record(out, "to", &[self], move |g, _| {
            Ok(vec![Some(g.to(&source)?)])
        }))
    }
}
