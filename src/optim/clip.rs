//! Gradient clipping over a module's parameters, on their device: no value is read back.

use crate::autograd::no_grad;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::nn::Parameter;
use crate::tensor::Tensor;

/// Scales every gradient by `min(1, max_norm / (norm + 1e-6))`, where `norm` is the 2-norm of
/// all the gradients together (`torch.nn.utils.clip_grad_norm_`). Returns that norm, before
/// clipping, as an f32 scalar on the parameters' device (`None` when no parameter has a
/// gradient).
pub fn clip_grad_norm(parameters: &[Parameter], max_norm: f64) -> Result<Option<Tensor>> {
    if max_norm.is_nan() || max_norm <= 0.0 {
        return Err(Error::InvalidArgument {
            op: "clip_grad_norm",
            message: format!("the largest norm must be positive, not {max_norm}"),
        });
    }
    no_grad(|| {
        let leaves: Vec<(Tensor, Tensor)> = parameters
            .iter()
            .filter_map(|p| {
                let leaf = p.get();
                leaf.grad().map(|g| (leaf, g))
            })
            .collect();
        let mut total: Option<Tensor> = None;
        for (_, g) in &leaves {
            let squares = g.to_dtype(DType::F32)?.square()?.sum()?;
            total = Some(match total {
                Some(t) => t.add(&squares)?,
                None => squares,
            });
        }
        let Some(total) = total else { return Ok(None) };
        let norm = total.sqrt()?;
        let scale = norm
            .add_scalar(1e-6)?
            .reciprocal()?
            .mul_scalar(max_norm)?
            .clamp(None, Some(1.0))?;
        for (leaf, g) in &leaves {
            leaf.replace_grad(Some(g.mul(&scale.to_dtype(g.dtype())?)?));
        }
        Ok(Some(norm))
    })
}

/// Clamps every gradient element to `[-clip, clip]` (`torch.nn.utils.clip_grad_value_`).
pub fn clip_grad_value(parameters: &[Parameter], clip: f64) -> Result<()> {
    if clip.is_nan() || clip < 0.0 {
        return Err(Error::InvalidArgument {
            op: "clip_grad_value",
            message: format!("the clip value must be at least 0, not {clip}"),
        });
    }
    no_grad(|| {
        for p in parameters {
            let leaf = p.get();
            if let Some(g) = leaf.grad() {
                leaf.replace_grad(Some(g.clamp(Some(-clip), Some(clip))?));
            }
        }
        Ok(())
    })
}
