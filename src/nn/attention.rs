//! Multi-head self-attention, with PyTorch's parameter layout.

use super::linear::{fan_in_bound, uniform};
use super::{Linear, Module, Parameter, Visitor};
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Multi-head scaled dot-product self-attention over `[batch, time, dim]` inputs
/// (`torch.nn.MultiheadAttention(dim, heads, batch_first=True)` with query = key = value).
/// Parameters as PyTorch names them: `in_proj_weight` `[3 dim, dim]` and `in_proj_bias` (the
/// query, key and value projections stacked), and `out_proj.weight`, `out_proj.bias`.
pub struct MultiheadAttention {
    pub in_proj_weight: Parameter,
    pub in_proj_bias: Parameter,
    pub out_proj: Linear,
    heads: usize,
    causal: bool,
}

impl MultiheadAttention {
    /// Attention over `dim` features split into `heads` heads (which must divide `dim`),
    /// initialised as PyTorch does (Xavier-uniform projections, zero biases), not causal.
    pub fn new(dim: usize, heads: usize, device: &Device) -> Result<MultiheadAttention> {
        if heads == 0 || dim % heads != 0 {
            return Err(Error::InvalidArgument {
                op: "MultiheadAttention::new",
                message: format!("{heads} heads do not divide the dimension {dim}"),
            });
        }
        let zeros = |n| Parameter::new(Tensor::zeros(&[n], DType::F32, device)?);
        let out_proj = Linear::new(dim, dim, device)?;
        out_proj
            .bias
            .set(&Tensor::zeros(&[dim], DType::F32, device)?)?;
        Ok(MultiheadAttention {
            in_proj_weight: uniform(&[3 * dim, dim], fan_in_bound(4 * dim) * 6f64.sqrt(), device)?,
            in_proj_bias: zeros(3 * dim)?,
            out_proj,
            heads,
            causal: false,
        })
    }

    /// This layer with a causal mask: position `t` attends to positions `0..=t` only, as a
    /// decoder needs.
    pub fn causal(mut self, causal: bool) -> MultiheadAttention {
        self.causal = causal;
        self
    }

    /// The output (`[batch, time, dim]`) and the attention weights of every head (`[batch,
    /// heads, time, time]`, each row a distribution over the attended positions).
    pub fn attend(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let dim = self.in_proj_weight.get().shape()[1];
        let &[batch, time, features] = x.shape() else {
            return Err(Error::InvalidShape {
                op: "MultiheadAttention",
                message: format!(
                    "the input must be [batch, time, {dim}], not {:?}",
                    x.shape()
                ),
            });
        };
        if features != dim {
            return Err(Error::ShapeMismatch {
                op: "MultiheadAttention",
                lhs: x.shape().to_vec(),
                rhs: vec![dim],
                hint: "the input's last axis must be the layer's dimension",
            });
        }
        let head_dim = dim / self.heads;
        let projected = x
            .matmul(&self.in_proj_weight.get().transpose(0, 1)?)?
            .add(&self.in_proj_bias.get())?;
        // [batch, time, dim] per projection -> [batch, heads, time, head_dim].
        let split = |t: &Tensor| -> Result<Tensor> {
            t.reshape(&[batch, time, self.heads, head_dim])?
                .permute(&[0, 2, 1, 3])
        };
        let qkv = projected.chunk(3, 2)?;
        let (q, k, v) = (split(&qkv[0])?, split(&qkv[1])?, split(&qkv[2])?);
        let mut scores = q
            .matmul(&k.transpose(2, 3)?)?
            .mul_scalar(1.0 / (head_dim as f64).sqrt())?;
        if self.causal {
            let positions = Tensor::arange(0.0, time as f64, 1.0, DType::I64, &x.device())?;
            let future = positions.unsqueeze(0)?.gt(&positions.unsqueeze(1)?)?;
            scores = scores.masked_fill(&future, f64::NEG_INFINITY)?;
        }
        let weights = scores.softmax(-1)?;
        let mixed = weights
            .matmul(&v)?
            .permute(&[0, 2, 1, 3])?
            .reshape(&[batch, time, dim])?;
        Ok((self.out_proj.forward(&mixed)?, weights))
    }
}

impl Module for MultiheadAttention {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.attend(x)?.0)
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.parameter("in_proj_weight", &self.in_proj_weight);
        v.parameter("in_proj_bias", &self.in_proj_bias);
        v.module("out_proj", &self.out_proj);
    }

    fn extra_repr(&self) -> String {
        format!(
            "embed_dim={}, num_heads={}, causal={}",
            self.in_proj_weight.get().shape()[1],
            self.heads,
            self.causal
        )
    }
}
