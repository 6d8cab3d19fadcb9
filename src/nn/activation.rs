//! Elementwise activations and reshaping, as modules without parameters.

use super::Module;
use crate::error::Result;
use crate::tensor::Tensor;

/// Elementwise activations, as modules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Gelu,
}

impl Module for Activation {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Gelu => x.gelu(),
        }
    }

    fn type_name(&self) -> String {
        match self {
            Activation::Relu => "ReLU",
            Activation::Tanh => "Tanh",
            Activation::Sigmoid => "Sigmoid",
            Activation::Gelu => "GELU",
        }
        .into()
    }
}

/// Flattens every axis after the first (`torch.nn.Flatten()`): `[n, c, h, w]` to
/// `[n, c * h * w]`.
#[derive(Clone, Copy, Default)]
pub struct Flatten;

impl Module for Flatten {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.flatten(1, -1)
    }

    fn extra_repr(&self) -> String {
        "start_dim=1, end_dim=-1".into()
    }
}
