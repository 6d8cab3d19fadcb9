//! A lookup table of learned vectors.

use super::{Module, Parameter, Visitor};
use crate::device::Device;
use crate::dtype::DType;
use crate::error::Result;
use crate::random::next_seed;
use crate::tensor::Tensor;

/// Row `i` of `weight` (`[num_embeddings, dim]`) for each integer `i` of the input
/// (`torch.nn.Embedding`): ids of shape `[..]` give vectors of shape `[.., dim]`. The lookup is
/// a gather on the device; rows looked up twice accumulate their gradients.
pub struct Embedding {
    pub weight: Parameter,
}

impl Embedding {
    /// A table of `count` vectors of length `dim`, standard normal as PyTorch initialises it,
    /// from the default generator, in f32 on `device`.
    pub fn new(count: usize, dim: usize, device: &Device) -> Result<Embedding> {
        let weight = Tensor::randn(&[count, dim], DType::F32, next_seed(), device)?;
        Ok(Embedding {
            weight: Parameter::new(weight)?,
        })
    }
}

impl Module for Embedding {
    fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let weight = self.weight.get();
        let mut shape = ids.shape().to_vec();
        shape.push(weight.shape()[1]);
        weight
            .index_select(0, &ids.reshape(&[ids.numel()])?)?
            .reshape(&shape)
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.parameter("weight", &self.weight);
    }

    fn extra_repr(&self) -> String {
        let shape = self.weight.get().shape().to_vec();
        format!("{}, {}", shape[0], shape[1])
    }
}
