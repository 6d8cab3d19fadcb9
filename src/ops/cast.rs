//! Dtype conversion.

use crate::autograd::record;
use crate::backend::Backend;
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

impl Tensor {
    /// The elements converted to `dtype` like a C cast (floats round, integers wrap, a float to
    /// an integer truncates toward zero). Differentiable between floating-point dtypes; the same
    /// tensor when the dtype already matches.
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
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
