//! The fully connected layer, and the initialisation the layers share.

use super::{Module, Parameter, Visitor};
use crate::device::Device;
use crate::dtype::DType;
use crate::error::Result;
use crate::random::next_seed;
use crate::tensor::Tensor;

/// A parameter of `shape` uniform in `±bound`, drawn from the default generator, in f32 on
/// `device`: PyTorch's Kaiming-uniform initialisation when `bound` is `1/sqrt(fan_in)`.
pub(crate) fn uniform(shape: &[usize], bound: f64, device: &Device) -> Result<Parameter> {
    let u = Tensor::rand(shape, DType::F32, next_seed(), device)?;
    Parameter::new(u.mul_scalar(2.0 * bound)?.add_scalar(-bound)?)
}

/// `1/sqrt(fan_in)`, the bound of PyTorch's default initialisation.
pub(crate) fn fan_in_bound(fan_in: usize) -> f64 {
    1.0 / (fan_in.max(1) as f64).sqrt()
}

/// `y = x W^T + b` with `W` of shape `[out, in]` and `b` of shape `[out]`, as PyTorch lays them.
pub struct Linear {
    pub weight: Parameter,
    pub bias: Parameter,
}

impl Linear {
    /// A layer initialised like PyTorch's (both `W` and `b` uniform in `±1/sqrt(in)`), from
    /// the default generator ([`crate::manual_seed`]), in f32 on `device`.
    pub fn new(inputs: usize, outputs: usize, device: &Device) -> Result<Linear> {
        let bound = fan_in_bound(inputs);
        Ok(Linear {
            weight: uniform(&[outputs, inputs], bound, device)?,
            bias: uniform(&[outputs], bound, device)?,
        })
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.matmul(&self.weight.get().transpose(0, 1)?)?
            .add(&self.bias.get())
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.parameter("weight", &self.weight);
        v.parameter("bias", &self.bias);
    }

    fn extra_repr(&self) -> String {
        let shape = self.weight.get().shape().to_vec();
        format!(
            "in_features={}, out_features={}, bias=True",
            shape[1], shape[0]
        )
    }
}
