//! Containers: modules applied in order, and the multi-layer perceptron.

use super::{Activation, Linear, Module, Visitor};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Modules applied in order (`torch.nn.Sequential`); parameters are named `{index}.{name}`.
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

    fn visit(&self, v: &mut Visitor<'_>) {
        for (i, module) in self.modules.iter().enumerate() {
            v.module(&i.to_string(), module.as_ref());
        }
    }
}

/// A multi-layer perceptron: Linear layers with an activation between each pair. Parameters are
/// named `layers.{i}.weight` and `layers.{i}.bias` for the i-th Linear.
pub struct Mlp {
    layers: Vec<Linear>,
    activation: Activation,
}

impl Mlp {
    /// Layers of the given widths (`[2, 64, 64, 3]` is two hidden layers of 64), initialised
    /// from the default generator.
    pub fn new(widths: &[usize], activation: Activation, device: &Device) -> Result<Mlp> {
        if widths.len() < 2 {
            return Err(Error::InvalidArgument {
                op: "Mlp::new",
                message: format!("widths {widths:?} need an input and an output size"),
            });
        }
        let layers = widths
            .windows(2)
            .map(|w| Linear::new(w[0], w[1], device))
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

    fn visit(&self, v: &mut Visitor<'_>) {
        v.modules("layers", &self.layers);
    }

    fn extra_repr(&self) -> String {
        format!("activation={}", self.activation.type_name())
    }
}
