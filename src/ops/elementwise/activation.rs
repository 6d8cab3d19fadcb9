//! Activation functions. Each gradient rule is written with ops (GELU's derivative is one kernel
//! forward, with its own derivative written with ops), so every activation is differentiable
//! twice and more; the piecewise-linear ones have PyTorch's zero second derivative.

use crate::autograd::{grad_if, record, record_lazily};
use crate::backend::{BinaryOp, UnaryOp};
use crate::error::Result;
use crate::tensor::Tensor;

impl Tensor {
    /// Hyperbolic tangent.
    pub fn tanh(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Tanh, |_, y| y.mul(y)?.neg()?.add_scalar(1.0))
    }

    /// Logistic sigmoid `1 / (1 + e^-x)`.
    pub fn sigmoid(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Sigmoid, |_, y| y.mul(&y.neg()?.add_scalar(1.0)?))
    }

    /// `max(x, 0)` (its gradient at 0 is 0, as in PyTorch; its second derivative is 0).
    pub fn relu(&self) -> Result<Tensor> {
        let out = self.unary_forward(UnaryOp::Relu)?;
        Ok(record_lazily(out, "relu", &[self], || {
            let x = self.saved();
            move |g, _| Ok(vec![Some(g.mask_non_positive(&x)?)])
        }))
    }

    /// This tensor, with 0 where `mask <= 0`: relu's gradient in one pass, `g` kept where the
    /// input was positive (or NaN, as PyTorch's `threshold_backward` keeps it). `mask` only
    /// selects: its gradient is zero, as in PyTorch.
    fn mask_non_positive(&self, mask: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(BinaryOp::MaskNonPositive, mask)?;
        Ok(record_lazily(out, "relu backward", &[self, mask], || {
            let mask = mask.detach();
            move |g, needs| {
                Ok(vec![
                    grad_if(needs[0], || g.mask_non_positive(&mask))?,
                    grad_if(needs[1], || {
                        Tensor::zeros(mask.shape(), g.dtype(), &g.device())
                    })?,
                ])
            }
        }))
    }

    /// `x` where positive, else `slope * x` (PyTorch's `leaky_relu` with `negative_slope`).
    pub fn leaky_relu(&self, slope: f64) -> Result<Tensor> {
        self.unary_with(UnaryOp::LeakyRelu(slope), move |x, _| {
            x.unary_forward(UnaryOp::Step)?
                .mul_scalar(1.0 - slope)?
                .add_scalar(slope)
        })
    }

    /// `x` where positive, else `alpha * (e^x - 1)` (PyTorch's `elu`).
    pub fn elu(&self, alpha: f64) -> Result<Tensor> {
        self.unary_with(UnaryOp::Elu(alpha), move |x, y| {
            // 1 where x > 0, else alpha e^x = y + alpha.
            let step = x.unary_forward(UnaryOp::Step)?;
            step.add(&step.rsub(1.0)?.mul(&y.add_scalar(alpha)?)?)
        })
    }

    /// SiLU (swish), `x * sigmoid(x)`.
    pub fn silu(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Silu, |x, _| {
            let s = x.sigmoid()?;
            s.mul(&x.mul(&s.rsub(1.0)?)?.add_scalar(1.0)?)
        })
    }

    /// `ln(1 + e^x)`, computed without overflow (PyTorch's `softplus` with beta 1; its
    /// threshold is not needed, the stable form is exact for large x).
    pub fn softplus(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Softplus, |x, _| x.sigmoid())
    }

    /// GELU in its tanh form, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`
    /// (PyTorch's `gelu(approximate='tanh')`).
    pub fn gelu(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Gelu, |x, _| x.gelu_derivative())
    }

    /// GELU's derivative, one kernel forward; recorded so that GELU is differentiable twice (and
    /// more: its own derivative is written with ops).
    fn gelu_derivative(&self) -> Result<Tensor> {
        let out = self.unary_forward(UnaryOp::GeluGrad)?;
        let x = self.saved();
        Ok(record(out, "gelu backward", &[self], move |g, _| {
            Ok(vec![Some(g.mul(&gelu_second_derivative(&x)?)?)])
        }))
    }
}

/// GELU's second derivative. With `u = c (x + a x^3)` and `t = tanh(u)`, GELU is
/// `x (1 + t) / 2`, and its second derivative is `(1 - t^2) (u' + x (u'' - 2 t u'^2) / 2)`,
/// where `u' = c (1 + 3 a x^2)` and `u'' = 6 a c x`.
fn gelu_second_derivative(x: &Tensor) -> Result<Tensor> {
    const A: f64 = 0.044715;
    let c = (2.0 / std::f64::consts::PI).sqrt();
    let x2 = x.mul(x)?;
    let t = x2
        .mul_scalar(A)?
        .add_scalar(1.0)?
        .mul(x)?
        .mul_scalar(c)?
        .tanh()?;
    let du = x2.mul_scalar(3.0 * A * c)?.add_scalar(c)?;
    let d2u = x.mul_scalar(6.0 * A * c)?;
    let sech2 = t.mul(&t)?.neg()?.add_scalar(1.0)?;
    let curvature = d2u.sub(&t.mul(&du.mul(&du)?)?.mul_scalar(2.0)?)?;
    sech2.mul(&du.add(&x.mul(&curvature)?.mul_scalar(0.5)?)?)
}
