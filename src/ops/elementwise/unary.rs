//! Elementwise math of one tensor: powers, exponentials and logarithms, trigonometry, sign and
//! clamp. Every gradient rule is written with ops, so each is differentiable again.

use crate::autograd::{record, record_with_output, record_with_output_lazily};
use crate::backend::{Backend, UnaryOp};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

impl Tensor {
    pub(crate) fn unary_forward(&self, op: UnaryOp) -> Result<Tensor> {
        Tensor::from_kernel(self.storage().unary(op, self.layout()), self.shape())
    }

    /// A unary op whose gradient is `g * derivative(input, output)`. The derivative is written
    /// with ops, so it is differentiable in turn.
    pub(crate) fn unary_with(
        &self,
        op: UnaryOp,
        derivative: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
    ) -> Result<Tensor> {
        let out = self.unary_forward(op)?;
        Ok(record_with_output_lazily(out, op.name(), &[self], || {
            let x = self.saved();
            move |g, y, _| Ok(vec![Some(g.mul(&derivative(&x, y)?)?)])
        }))
    }

    /// `self ^ exponent` elementwise.
    pub fn pow(&self, exponent: f64) -> Result<Tensor> {
        self.unary_with(UnaryOp::Powf(exponent), move |x, _| {
            x.pow(exponent - 1.0)?.mul_scalar(exponent)
        })
    }

    /// `self * self`.
    pub fn square(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Square, |x, _| x.mul_scalar(2.0))
    }

    /// Square root.
    pub fn sqrt(&self) -> Result<Tensor> {
        let out = self.unary_forward(UnaryOp::Sqrt)?;
        Ok(record_with_output(out, "sqrt", &[self], |g, y, _| {
            Ok(vec![Some(g.div(y)?.mul_scalar(0.5)?)])
        }))
    }

    /// `1 / sqrt(self)`.
    pub fn rsqrt(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Rsqrt, |_, y| y.pow(3.0)?.mul_scalar(-0.5))
    }

    /// `1 / self`.
    pub fn reciprocal(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Reciprocal, |_, y| y.square()?.neg())
    }

    /// `e ^ self`.
    pub fn exp(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Exp, |_, y| Ok(y.clone()))
    }

    /// `e ^ self - 1`, accurate for small values.
    pub fn expm1(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Expm1, |_, y| y.add_scalar(1.0))
    }

    /// Natural logarithm.
    pub fn log(&self) -> Result<Tensor> {
        let out = self.unary_forward(UnaryOp::Log)?;
        let x = self.saved();
        Ok(record(out, "log", &[self], move |g, _| {
            Ok(vec![Some(g.div(&x)?)])
        }))
    }

    /// `ln(1 + self)`, accurate for small values.
    pub fn log1p(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Log1p, |x, _| x.add_scalar(1.0)?.reciprocal())
    }

    /// Sine (radians).
    pub fn sin(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Sin, |x, _| x.cos())
    }

    /// Cosine (radians).
    pub fn cos(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Cos, |x, _| x.sin()?.neg())
    }

    /// Absolute value (its gradient at 0 is 0, as in PyTorch; its second derivative is 0).
    pub fn abs(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Abs, |x, _| x.unary_forward(UnaryOp::Sign))
    }

    /// -1, 0 or 1 by the sign of each element (NaN stays NaN). Its gradient is 0, as in PyTorch.
    pub fn sign(&self) -> Result<Tensor> {
        let out = self.unary_forward(UnaryOp::Sign)?;
        Ok(record(out, "sign", &[self], |g, _| {
            Ok(vec![Some(Tensor::zeros(
                g.shape(),
                g.dtype(),
                &g.device(),
            )?)])
        }))
    }

    /// Each element limited to `[min, max]`; either bound may be `None` (PyTorch's `clamp`).
    /// NaN stays NaN, and where `min > max` every element becomes `max`. The gradient flows
    /// where `min <= x <= max`.
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Result<Tensor> {
        if min.is_none() && max.is_none() {
            return Err(Error::InvalidArgument {
                op: "clamp",
                message: "at least one of min and max must be given".into(),
            });
        }
        let (low, high) = (
            min.unwrap_or(f64::NEG_INFINITY),
            max.unwrap_or(f64::INFINITY),
        );
        let out = self.unary_forward(UnaryOp::Clamp {
            min: low,
            max: high,
        })?;
        let x = self.detach();
        Ok(record(out, "clamp", &[self], move |g, _| {
            let inside = x.ge_scalar(low)?.logical_and(&x.le_scalar(high)?)?;
            Ok(vec![Some(inside.where_cond(g, &g.scalar_like(0.0)?)?)])
        }))
    }
}
