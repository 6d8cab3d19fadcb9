//! Elementwise ops: arithmetic with numpy broadcasting, scalar arithmetic, activations,
//! comparisons and `where`.

use crate::autograd::{grad_if, record, record_with_output};
use crate::backend::{Backend, BinaryOp, CmpOp, UnaryOp};
use crate::error::Result;
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;

impl Tensor {
    fn binary_forward(&self, op: BinaryOp, rhs: &Tensor) -> Result<Tensor> {
        let (shape, l, r) = self.broadcast_with(op.name(), rhs)?;
        Tensor::from_kernel(self.storage().binary(op, &l, rhs.storage(), &r), &shape)
    }

    fn unary_forward(&self, op: UnaryOp) -> Result<Tensor> {
        Tensor::from_kernel(self.storage().unary(op, self.layout()), self.shape())
    }

    /// `self + rhs`, broadcasting.
    pub fn add(&self, rhs: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(BinaryOp::Add, rhs)?;
        let (ls, rs) = (self.shape().to_vec(), rhs.shape().to_vec());
        Ok(record(out, "add", &[self, rhs], move |g, needs| {
            Ok(vec![
                grad_if(needs[0], || g.sum_to(&ls))?,
                grad_if(needs[1], || g.sum_to(&rs))?,
            ])
        }))
    }

    /// `self - rhs`, broadcasting.
    pub fn sub(&self, rhs: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(BinaryOp::Sub, rhs)?;
        let (ls, rs) = (self.shape().to_vec(), rhs.shape().to_vec());
        Ok(record(out, "sub", &[self, rhs], move |g, needs| {
            Ok(vec![
                grad_if(needs[0], || g.sum_to(&ls))?,
                grad_if(needs[1], || g.neg()?.sum_to(&rs))?,
            ])
        }))
    }

    /// `self * rhs` elementwise, broadcasting.
    pub fn mul(&self, rhs: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(BinaryOp::Mul, rhs)?;
        let (a, b) = (self.saved(), rhs.saved());
        Ok(record(out, "mul", &[self, rhs], move |g, needs| {
            Ok(vec![
                grad_if(needs[0], || g.mul(&b)?.sum_to(a.shape()))?,
                grad_if(needs[1], || g.mul(&a)?.sum_to(b.shape()))?,
            ])
        }))
    }

    /// `self / rhs` elementwise, broadcasting. Integer division by zero is an error.
    pub fn div(&self, rhs: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(BinaryOp::Div, rhs)?;
        let (ls, b) = (self.shape().to_vec(), rhs.saved());
        Ok(record_with_output(
            out,
            "div",
            &[self, rhs],
            move |g, quotient, needs| {
                let g_over_b = g.div(&b)?;
                Ok(vec![
                    grad_if(needs[0], || g_over_b.sum_to(&ls))?,
                    grad_if(needs[1], || {
                        g_over_b.mul(quotient)?.neg()?.sum_to(b.shape())
                    })?,
                ])
            },
        ))
    }

    /// `self * scale + shift`. Floating-point tensors run one kernel with the constants in it;
    /// integer and complex ones keep exact arithmetic through a broadcast 0-d operand.
    fn affine(&self, scale: f64, shift: f64) -> Result<Tensor> {
        if !self.dtype().is_float() {
            let constant = |v| Tensor::full(&[], v, self.dtype(), &self.device());
            let scaled = if scale == 1.0 {
                self.clone()
            } else {
                self.mul(&constant(scale)?)?
            };
            return if shift == 0.0 {
                Ok(scaled)
            } else {
                scaled.add(&constant(shift)?)
            };
        }
        let out = self.unary_forward(UnaryOp::Affine { scale, shift })?;
        Ok(record(out, "scalar arithmetic", &[self], move |g, _| {
            Ok(vec![Some(g.mul_scalar(scale)?)])
        }))
    }

    /// `self + value`.
    pub fn add_scalar(&self, value: f64) -> Result<Tensor> {
        self.affine(1.0, value)
    }

    /// `self * value`.
    pub fn mul_scalar(&self, value: f64) -> Result<Tensor> {
        self.affine(value, 0.0)
    }

    /// A unary op whose gradient is `g * derivative(input, output)`. The derivative is written
    /// with ops, so it is differentiable in turn.
    fn unary_with(
        &self,
        op: UnaryOp,
        derivative: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
    ) -> Result<Tensor> {
        let out = self.unary_forward(op)?;
        let x = self.saved();
        Ok(record_with_output(
            out,
            op.name(),
            &[self],
            move |g, y, _| Ok(vec![Some(g.mul(&derivative(&x, y)?)?)]),
        ))
    }

    /// `-self`.
    pub fn neg(&self) -> Result<Tensor> {
        let out = self.unary_forward(UnaryOp::Neg)?;
        Ok(record(out, "neg", &[self], |g, _| Ok(vec![Some(g.neg()?)])))
    }

    /// `self ^ exponent` elementwise.
    pub fn pow(&self, exponent: f64) -> Result<Tensor> {
        self.unary_with(UnaryOp::Powf(exponent), move |x, _| {
            x.pow(exponent - 1.0)?.mul_scalar(exponent)
        })
    }

    /// `e ^ self`.
    pub fn exp(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Exp, |_, y| Ok(y.clone()))
    }

    /// Natural logarithm.
    pub fn log(&self) -> Result<Tensor> {
        let out = self.unary_forward(UnaryOp::Log)?;
        let x = self.saved();
        Ok(record(out, "log", &[self], move |g, _| {
            Ok(vec![Some(g.div(&x)?)])
        }))
    }

    /// Square root.
    pub fn sqrt(&self) -> Result<Tensor> {
        let out = self.unary_forward(UnaryOp::Sqrt)?;
        Ok(record_with_output(out, "sqrt", &[self], |g, y, _| {
            Ok(vec![Some(g.div(y)?.mul_scalar(0.5)?)])
        }))
    }

    /// Absolute value (its gradient at 0 is 0, as in PyTorch; its second derivative is 0).
    pub fn abs(&self) -> Result<Tensor> {
        self.unary_with(UnaryOp::Abs, |x, _| x.unary_forward(UnaryOp::Sign))
    }

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
        self.unary_with(UnaryOp::Relu, |x, _| x.unary_forward(UnaryOp::Step))
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

    fn compare(&self, op: CmpOp, rhs: &Tensor) -> Result<Tensor> {
        let (shape, l, r) = self.broadcast_with(op.name(), rhs)?;
        Tensor::from_kernel(self.storage().compare(op, &l, rhs.storage(), &r), &shape)
    }

    /// `self == rhs` elementwise, broadcasting; a bool tensor, not differentiable.
    pub fn eq(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(CmpOp::Eq, rhs)
    }

    /// `self < rhs` elementwise, broadcasting; a bool tensor, not differentiable.
    pub fn lt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(CmpOp::Lt, rhs)
    }

    /// `self > rhs` elementwise, broadcasting; a bool tensor, not differentiable.
    pub fn gt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(CmpOp::Gt, rhs)
    }

    /// Picks `on_true` where this bool tensor is true and `on_false` elsewhere, broadcasting all
    /// three (`torch.where(self, on_true, on_false)`). Differentiable in both branches.
    pub fn where_cond(&self, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        self.same_device("where", on_true)?;
        on_true.broadcast_with("where", on_false)?;
        let shape = broadcast_shapes(
            "where",
            self.shape(),
            &broadcast_shapes("where", on_true.shape(), on_false.shape())?,
        )?;
        let layouts = [self, on_true, on_false].map(|t| t.layout().broadcast_to(&shape));
        let storage = self.storage().where_cond(
            &layouts[0],
            (on_true.storage(), &layouts[1]),
            (on_false.storage(), &layouts[2]),
        );
        let out = Tensor::from_kernel(storage, &shape)?;
        let (cond, ts, fs) = (
            self.detach(),
            on_true.shape().to_vec(),
            on_false.shape().to_vec(),
        );
        Ok(record(
            out,
            "where",
            &[self, on_true, on_false],
            move |g, needs| {
                let zeros = Tensor::zeros(&[], g.dtype(), &g.device())?;
                Ok(vec![
                    None,
                    grad_if(needs[1], || cond.where_cond(g, &zeros)?.sum_to(&ts))?,
                    grad_if(needs[2], || cond.where_cond(&zeros, g)?.sum_to(&fs))?,
                ])
            },
        ))
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
