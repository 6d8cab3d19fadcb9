//! Building blocks for models: parameters, the [`Module`] trait, [`Linear`], activations,
//! [`Sequential`] and [`Mlp`], and state dicts saved as `.npz`.

mod state_dict;

use std::sync::{Arc, Mutex};

pub use state_dict::{load_state_dict, save_state_dict};

use crate::autograd::lock;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A trainable tensor that a module reads and an optimizer replaces. Clones share the cell, so
/// an update through one is seen by all (tensors themselves are never mutated in place).
#[derive(Clone, Debug)]
pub struct Parameter(Arc<Mutex<Tensor>>);

impl Parameter {
    /// A parameter holding `value` as a leaf that requires grad.
    pub fn new(value: Tensor) -> Result<Parameter> {
        Ok(Parameter(Arc::new(Mutex::new(
            value.detach().requires_grad()?,
        ))))
    }

    /// The current value: a leaf that requires grad, whose `grad()` backward fills.
    pub fn get(&self) -> Tensor {
        lock(&self.0).clone()
    }

    /// Replaces the value (detached, made a fresh leaf) after checking that its shape and dtype
    /// stay the same.
    pub fn set(&self, value: &Tensor) -> Result<()> {
        let mut current = lock(&self.0);
        if value.shape() != current.shape() || value.dtype() != current.dtype() {
            return Err(Error::ShapeMismatch {
                op: "Parameter::set",
                lhs: current.shape().to_vec(),
                rhs: value.shape().to_vec(),
                hint: "a parameter keeps its shape and dtype",
            });
        }
        *current = value.detach().to(&current.device())?.requires_grad()?;
        Ok(())
    }
}

/// A layer or a model: a function of a tensor with named parameters.
pub trait Module {
    /// The output for input `x`.
    fn forward(&self, x: &Tensor) -> Result<Tensor>;

    /// The parameters with their names (`weight`, `layers.0.bias`, ...), in a stable order.
    fn named_parameters(&self) -> Vec<(String, Parameter)>;

    /// The parameters, in the order of [`Module::named_parameters`].
    fn parameters(&self) -> Vec<Parameter> {
        self.named_parameters()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }
}

/// `y = x W^T + b` with `W` of shape `[out, in]` and `b` of shape `[out]`, as PyTorch lays them.
pub struct Linear {
    pub weight: Parameter,
    pub bias: Parameter,
}

impl Linear {
    /// A layer initialised like PyTorch's (Kaiming-uniform: both `W` and `b` uniform in
    /// `±1/sqrt(in)`), from `seed`, in f32 on `device`.
    pub fn new(inputs: usize, outputs: usize, seed: u64, device: &Device) -> Result<Linear> {
        let bound = 1.0 / (inputs.max(1) as f64).sqrt();
        let uniform = |shape: &[usize], seed: u64| -> Result<Parameter> {
            let u = Tensor::rand(shape, DType::F32, seed, &Device::cpu())?;
            Parameter::new(u.mul_scalar(2.0 * bound)?.add_scalar(-bound)?.to(device)?)
        };
        Ok(Linear {
            weight: uniform(&[outputs, inputs], seed)?,
            bias: uniform(&[outputs], seed ^ 0x9E37_79B9)?,
        })
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.matmul(&self.weight.get().transpose(0, 1)?)?
            .add(&self.bias.get())
    }

    fn named_parameters(&self) -> Vec<(String, Parameter)> {
        vec![
            ("weight".into(), self.weight.clone()),
            ("bias".into(), self.bias.clone()),
        ]
    }
}

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

    fn named_parameters(&self) -> Vec<(String, Parameter)> {
        Vec::new()
    }
}

/// Modules applied in order; parameters are named `{index}.{name}`.
#[derive(Default)]
pub struct Sequential {
    modules: Vec<Box<dyn Module + Send + Sync>>,
}

impl Sequential {
    /// An empty sequence.
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// This sequence with `module` appended.
    pub fn push(mut self, module: impl Module + Send + Sync + 'static) -> Sequential {
        self.modules.push(Box::new(module));
        self
    }
}

impl Module for Sequential {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.modules
            .iter()
            .try_fold(x.clone(), |h, m| m.forward(&h))
    }

    fn named_parameters(&self) -> Vec<(String, Parameter)> {
        let mut named = Vec::new();
        for (i, module) in self.modules.iter().enumerate() {
            named.extend(
                module
                    .named_parameters()
                    .into_iter()
                    .map(|(n, p)| (format!("{i}.{n}"), p)),
            );
        }
        named
    }
}

/// A multi-layer perceptron: Linear layers with an activation between each pair. Parameters are
/// named `layers.{i}.weight` and `layers.{i}.bias` for the i-th Linear.
pub struct Mlp {
    layers: Vec<Linear>,
    activation: Activation,
}

impl Mlp {
    /// Layers of the given widths (`[2, 64, 64, 3]` is two hidden layers of 64), each Linear
    /// seeded from `seed`.
    pub fn new(
        widths: &[usize],
        activation: Activation,
        seed: u64,
        device: &Device,
    ) -> Result<Mlp> {
        if widths.len() < 2 {
            return Err(Error::InvalidArgument {
                op: "Mlp::new",
                message: format!("widths {widths:?} need an input and an output size"),
            });
        }
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(i, w)| Linear::new(w[0], w[1], seed.wrapping_add(i as u64 * 1000), device))
            .collect::<Result<_>>()?;
        Ok(Mlp { layers, activation })
    }
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let last = self.layers.len() - 1;
        self.layers
            .iter()
            .enumerate()
            .try_fold(x.clone(), |h, (i, layer)| {
                let out = layer.forward(&h)?;
                if i < last {
                    self.activation.forward(&out)
                } else {
                    Ok(out)
                }
            })
    }

    fn named_parameters(&self) -> Vec<(String, Parameter)> {
        let mut named = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            named.extend(
                layer
                    .named_parameters()
                    .into_iter()
                    .map(|(n, p)| (format!("layers.{i}.{n}"), p)),
            );
        }
        named
    }
}
