//! Random sampling from tensors: permutations, Bernoulli draws, categorical draws and dropout.
//! Each takes a seed (from a [`crate::Generator`] or [`crate::next_seed`]) and gives the same
//! numbers on both devices, as [`Tensor::rand`] does.

use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::random;
use crate::shape::checked_numel;
use crate::tensor::Tensor;

impl Tensor {
    /// The integers `0..n` in a random order, as i64 (`torch.randperm`).
    pub fn randperm(n: usize, seed: u64, device: &Device) -> Result<Tensor> {
        checked_numel("randperm", &[n])?;
        let order = random::permutation(n, seed).map_err(|e| e.for_tensor_on(device))?;
        Ok(Tensor::from_vec(order, &[n], device)?.with_integer_range(0, n as i64 - 1))
    }

    /// 1 with probability `p` and 0 otherwise, for each element `p` of this float tensor
    /// (`torch.bernoulli`), in its dtype. Probabilities below 0 never fire, above 1 always do.
    /// Not differentiable.
    pub fn bernoulli(&self, seed: u64) -> Result<Tensor> {
        self.require_float("bernoulli")?;
        let p = self.detach();
        Tensor::rand(p.shape(), p.dtype(), seed, &p.device())?
            .lt(&p)?
            .to_dtype(p.dtype())
    }

    /// `samples` category indices (i64) per row of this tensor of weights (`[K]` or `[rows, K]`,
    /// not negative, not all zero in a row), each drawn with probability proportional to its
    /// weight (`torch.multinomial`). With `replacement` a category can come back; without it
    /// each row gives `samples <= K` distinct categories (the Gumbel top-k draw, equal in law to
    /// drawing one at a time and removing it). Not differentiable.
    pub fn multinomial(&self, samples: usize, replacement: bool, seed: u64) -> Result<Tensor> {
        self.require_float("multinomial")?;
        let weights = match self.ndim() {
            1 => self.detach().unsqueeze(0)?,
            2 => self.detach(),
            _ => {
                return Err(Error::InvalidShape {
                    op: "multinomial",
                    message: format!(
                        "weights must be [K] or [rows, K], not of shape {:?}",
                        self.shape()
                    ),
                });
            }
        };
        let (rows, categories) = (weights.shape()[0], weights.shape()[1]);
        if categories == 0 || (!replacement && samples > categories) {
            return Err(Error::InvalidArgument {
                op: "multinomial",
                message: format!(
                    "cannot draw {samples} samples from {categories} categories {}",
                    if replacement {
                        "with replacement"
                    } else {
                        "without replacement; pass replacement = true or draw fewer"
                    }
                ),
            });
        }
        let dtype = weights.dtype();
        let device = weights.device();
        let drawn = if replacement {
            // The category of u * total is the number of running sums at or below it.
            let running = weights.cumsum(1)?;
            let total = running.narrow(1, categories - 1, 1)?;
            let u = Tensor::rand(&[rows, samples], dtype, seed, &device)?.mul(&total)?;
            running
                .unsqueeze(1)?
                .le(&u.unsqueeze(2)?)?
                .to_dtype(DType::I32)?
                .sum_axis(2, false)?
                .to_dtype(DType::I64)?
                .minimum(&Tensor::full(
                    &[],
                    (categories - 1) as f64,
                    DType::I64,
                    &device,
                )?)?
        } else {
            // log w - log(-log u): the k largest keys are a draw of k without replacement. A
            // u of exactly 0 (one draw in 2^24 in f32) gives a key of -inf: that category last.
            let u = Tensor::rand(&[rows, categories], dtype, seed, &device)?;
            let gumbel = u.log()?.neg()?.log()?.neg()?;
            weights.log()?.add(&gumbel)?.topk(samples, 1, true)?.1
        };
        if self.ndim() == 1 {
            drawn.squeeze(0)
        } else {
            Ok(drawn)
        }
    }

    /// Zeroes each element with probability `p` and scales the others by `1 / (1 - p)`
    /// (`torch.nn.functional.dropout` in training mode), so that the expectation is unchanged.
    /// Differentiable: the gradient goes through the same mask.
    pub fn dropout(&self, p: f64, seed: u64) -> Result<Tensor> {
        self.require_float("dropout")?;
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::InvalidArgument {
                op: "dropout",
                message: format!("the drop probability must be in [0, 1], not {p}"),
            });
        }
        if p == 0.0 {
            return Ok(self.clone());
        }
        if p == 1.0 {
            return self.mul_scalar(0.0);
        }
        let keep = Tensor::rand(self.shape(), self.dtype(), seed, &self.device())?
            .ge_scalar(p)?
            .to_dtype(self.dtype())?;
        self.mul(&keep.mul_scalar(1.0 / (1.0 - p))?)
    }
}
