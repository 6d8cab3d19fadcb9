//! Normalisation layers: layer norm over the features of each sample, batch norm over the batch.

use super::{Buffer, Mode, Module, Parameter, Visitor};
use crate::autograd::no_grad;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

const EPS: f64 = 1e-5;

/// `(x - mean) / sqrt(var + eps)` over `axes` (kept), with the biased variance: the
/// normalisation both layers share, and the variance for batch norm's running statistics.
fn standardize(x: &Tensor, axes: &[usize], eps: f64) -> Result<(Tensor, Tensor, Tensor)> {
    let mean = x.mean_axes(axes, true)?;
    let centered = x.sub(&mean)?;
    let var = centered.square()?.mean_axes(axes, true)?;
    let normalized = centered.mul(&var.add_scalar(eps)?.rsqrt()?)?;
    Ok((normalized, mean, var))
}

/// A weight of ones and a bias of zeros of length `features`, the affine part both layers share.
fn affine(features: usize, device: &Device) -> Result<(Parameter, Parameter)> {
    Ok((
        Parameter::new(Tensor::ones(&[features], DType::F32, device)?)?,
        Parameter::new(Tensor::zeros(&[features], DType::F32, device)?)?,
    ))
}

/// Normalises the last axis of each sample to mean 0 and variance 1, then scales and shifts it
/// by the learned `weight` and `bias` (`torch.nn.LayerNorm(features)`, eps 1e-5).
pub struct LayerNorm {
    pub weight: Parameter,
    pub bias: Parameter,
}

impl LayerNorm {
    /// Layer norm over a last axis of length `features`.
    pub fn new(features: usize, device: &Device) -> Result<LayerNorm> {
        let (weight, bias) = affine(features, device)?;
        Ok(LayerNorm { weight, bias })
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let weight = self.weight.get();
        if x.shape().last() != weight.shape().last() {
            return Err(Error::ShapeMismatch {
                op: "LayerNorm",
                lhs: x.shape().to_vec(),
                rhs: weight.shape().to_vec(),
                hint: "the input's last axis must have the layer's feature count",
            });
        }
        let (normalized, _, _) = standardize(x, &[x.ndim() - 1], EPS)?;
        normalized.mul(&weight)?.add(&self.bias.get())
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.parameter("weight", &self.weight);
        v.parameter("bias", &self.bias);
    }

    fn extra_repr(&self) -> String {
        format!(
            "({},), eps={EPS:e}, elementwise_affine=True",
            self.weight.get().numel()
        )
    }
}

/// Batch normalisation over the channel axis (axis 1) of inputs with `D` spatial-like axes
/// after it at most: `BatchNorm1d` takes `[n, c]` or `[n, c, l]`, `BatchNorm2d` `[n, c, h, w]`.
/// In training mode it normalises with the batch's statistics and updates the running ones
/// (momentum 0.1, unbiased variance, as PyTorch); in evaluation mode it uses the running ones.
/// State dicts hold `weight`, `bias`, `running_mean`, `running_var` and `num_batches_tracked`.
pub struct BatchNorm<const D: usize> {
    pub weight: Parameter,
    pub bias: Parameter,
    pub running_mean: Buffer,
    pub running_var: Buffer,
    pub num_batches_tracked: Buffer,
    mode: Mode,
}

/// Batch norm over `[n, c]` or `[n, c, l]` (`torch.nn.BatchNorm1d`).
pub type BatchNorm1d = BatchNorm<1>;
/// Batch norm over `[n, c, h, w]` (`torch.nn.BatchNorm2d`).
pub type BatchNorm2d = BatchNorm<2>;

const MOMENTUM: f64 = 0.1;

impl<const D: usize> BatchNorm<D> {
    /// Batch norm over `channels` channels, in training mode.
    pub fn new(channels: usize, device: &Device) -> Result<BatchNorm<D>> {
        let (weight, bias) = affine(channels, device)?;
        Ok(BatchNorm {
            weight,
            bias,
            running_mean: Buffer::new(Tensor::zeros(&[channels], DType::F32, device)?),
            running_var: Buffer::new(Tensor::ones(&[channels], DType::F32, device)?),
            // A host-side count: i64 arithmetic is not a GPU kernel, and nothing reads it there.
            num_batches_tracked: Buffer::new(Tensor::zeros(&[], DType::I64, &Device::Cpu)?),
            mode: Mode::default(),
        })
    }

    /// Folds a batch's statistics into the running ones.
    fn track(&self, mean: &Tensor, var: &Tensor, count: usize) -> Result<()> {
        no_grad(|| {
            let unbiased = var.mul_scalar(count as f64 / (count - 1) as f64)?;
            for (buffer, batch) in [(&self.running_mean, mean), (&self.running_var, &unbiased)] {
                let channels = batch.detach().reshape(&[batch.numel()])?;
                let blended = buffer
                    .get()
                    .mul_scalar(1.0 - MOMENTUM)?
                    .add(&channels.mul_scalar(MOMENTUM)?)?;
                buffer.set(&blended)?;
            }
            let tracked = &self.num_batches_tracked;
            tracked.set(&tracked.get().add_scalar(1.0)?)
        })
    }
}

impl<const D: usize> Module for BatchNorm<D> {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let channels = self.weight.get().numel();
        let ranks = if D == 1 { 2..=3 } else { D + 2..=D + 2 };
        if !ranks.contains(&x.ndim()) || x.shape()[1] != channels {
            return Err(Error::InvalidShape {
                op: "BatchNorm",
                message: format!(
                    "BatchNorm{D}d over {channels} channels takes [n, {channels}{}], not {:?}",
                    if D == 1 { "] or [n, c, l" } else { ", h, w" },
                    x.shape()
                ),
            });
        }
        let mut broadcast = vec![1; x.ndim()];
        broadcast[1] = channels;
        let axes: Vec<usize> = (0..x.ndim()).filter(|&a| a != 1).collect();
        let normalized = if self.mode.is_training() {
            let count = x.numel() / channels.max(1);
            if count < 2 {
                return Err(Error::InvalidArgument {
                    op: "BatchNorm",
                    message: format!(
                        "training needs more than one value per channel, got input {:?}; use \
                         a larger batch or .eval()",
                        x.shape()
                    ),
                });
            }
            let (normalized, mean, var) = standardize(x, &axes, EPS)?;
            self.track(&mean, &var, count)?;
            normalized
        } else {
            let mean = self.running_mean.get().reshape(&broadcast)?;
            let var = self.running_var.get().reshape(&broadcast)?;
            x.sub(&mean)?.mul(&var.add_scalar(EPS)?.rsqrt()?)?
        };
        normalized
            .mul(&self.weight.get().reshape(&broadcast)?)?
            .add(&self.bias.get().reshape(&broadcast)?)
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.parameter("weight", &self.weight);
        v.parameter("bias", &self.bias);
        v.buffer("running_mean", &self.running_mean);
        v.buffer("running_var", &self.running_var);
        v.buffer("num_batches_tracked", &self.num_batches_tracked);
        v.mode(&self.mode);
    }

    fn type_name(&self) -> String {
        format!("BatchNorm{D}d")
    }

    fn extra_repr(&self) -> String {
        format!(
            "{}, eps={EPS:e}, momentum={MOMENTUM}, affine=True, track_running_stats=True",
            self.weight.get().numel()
        )
    }
}
