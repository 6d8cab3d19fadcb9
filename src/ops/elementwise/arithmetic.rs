//! Arithmetic: the four operations with numpy broadcasting, and their scalar forms.

use crate::autograd::{grad_if, record, record_lazily, record_with_output_lazily};
use crate::backend::{Backend, BinaryOp, UnaryOp};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::Dims;
use crate::tensor::Tensor;

impl Tensor {
    pub(crate) fn binary_forward(&self, op: BinaryOp, rhs: &Tensor) -> Result<Tensor> {
        self.broadcast_kernel(op.name(), rhs, |l, r| {
            self.storage().binary(op, l, rhs.storage(), r)
        })
    }

    /// Records `out`, the result of op `name` linear in each operand (add, sub, add_scaled):
    /// `self`'s gradient is `g` and `rhs`'s is `rhs_grad(g)`, each summed back to its operand's
    /// shape.
    fn record_linear(
        &self,
        out: Tensor,
        name: &'static str,
        rhs: &Tensor,
        rhs_grad: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
    ) -> Tensor {
        record_lazily(out, name, &[self, rhs], || {
            let (ls, rs) = (
                Dims::from_slice(self.shape()),
                Dims::from_slice(rhs.shape()),
            );
            move |g, needs| {
                Ok(vec![
                    grad_if(needs[0], || g.sum_to(&ls))?,
                    grad_if(needs[1], || rhs_grad(g)?.sum_to(&rs))?,
                ])
            }
        })
    }

    /// `self + rhs`, broadcasting.
    pub fn add(&self, rhs: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(BinaryOp::Add, rhs)?;
        Ok(self.record_linear(out, "add", rhs, |g| Ok(g.clone())))
    }

    /// `self + alpha * rhs`, broadcasting, in one pass (PyTorch's `torch.add(x, y, alpha=a)`):
    /// what an optimizer's step computes, `p.add_scaled(&g, -lr)`. For floating-point tensors;
    /// complex ones scale by a real `alpha`.
    pub fn add_scaled(&self, rhs: &Tensor, alpha: f64) -> Result<Tensor> {
        if self.dtype().is_integral() || self.dtype() == DType::Bool {
            return Err(Error::UnsupportedDType {
                op: "add_scaled",
                dtype: self.dtype(),
                hint: "alpha scales floating-point tensors; use mul_scalar and add for integers",
            });
        }
        let out = self.binary_forward(BinaryOp::AddScaled(alpha), rhs)?;
        Ok(self.record_linear(out, "add_scaled", rhs, move |g| g.mul_scalar(alpha)))
    }

    /// `self - rhs`, broadcasting.
    pub fn sub(&self, rhs: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(BinaryOp::Sub, rhs)?;
        Ok(self.record_linear(out, "sub", rhs, Tensor::neg))
    }

    /// `self * rhs` elementwise, broadcasting.
    pub fn mul(&self, rhs: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(BinaryOp::Mul, rhs)?;
        Ok(record_lazily(out, "mul", &[self, rhs], || {
            let (a, b) = (self.saved(), rhs.saved());
            move |g, needs| {
                Ok(vec![
                    grad_if(needs[0], || g.mul(&b)?.sum_to(a.shape()))?,
                    grad_if(needs[1], || g.mul(&a)?.sum_to(b.shape()))?,
                ])
            }
        }))
    }

    /// `self / rhs` elementwise, broadcasting. Integer division by zero is an error.
    pub fn div(&self, rhs: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(BinaryOp::Div, rhs)?;
        Ok(record_with_output_lazily(out, "div", &[self, rhs], || {
            let (ls, b) = (Dims::from_slice(self.shape()), rhs.saved());
            move |g, quotient, needs| {
                let g_over_b = g.div(&b)?;
                Ok(vec![
                    grad_if(needs[0], || g_over_b.sum_to(&ls))?,
                    grad_if(needs[1], || {
                        g_over_b.mul(quotient)?.neg()?.sum_to(b.shape())
                    })?,
                ])
            }
        }))
    }

    /// `-self`.
    pub fn neg(&self) -> Result<Tensor> {
        let out = self.unary_forward(UnaryOp::Neg)?;
        Ok(record(out, "neg", &[self], |g, _| Ok(vec![Some(g.neg()?)])))
    }

    /// A 0-d tensor of `value` in this tensor's dtype and device: the other operand of a scalar
    /// op that broadcasts it.
    pub(crate) fn scalar_like(&self, value: f64) -> Result<Tensor> {
        Tensor::full(&[], value, self.dtype(), &self.device())
    }

    /// `self * scale + shift`. Floating-point tensors run one kernel with the constants in it;
    /// integer and complex ones keep exact arithmetic through a broadcast 0-d operand.
    fn affine(&self, scale: f64, shift: f64) -> Result<Tensor> {
        if !self.dtype().is_float() {
            let scaled = if scale == 1.0 {
                self.clone()
            } else {
                self.mul(&self.scalar_like(scale)?)?
            };
            return if shift == 0.0 {
                Ok(scaled)
            } else {
                scaled.add(&self.scalar_like(shift)?)
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

    /// `self - value`.
    pub fn sub_scalar(&self, value: f64) -> Result<Tensor> {
        self.affine(1.0, -value)
    }

    /// `self * value`.
    pub fn mul_scalar(&self, value: f64) -> Result<Tensor> {
        self.affine(value, 0.0)
    }

    /// `self / value` (for integers, integer division, and dividing by 0 is an error).
    pub fn div_scalar(&self, value: f64) -> Result<Tensor> {
        if self.dtype().is_float() {
            self.affine(1.0 / value, 0.0)
        } else {
            self.div(&self.scalar_like(value)?)
        }
    }

    /// `value - self` (PyTorch's `rsub`).
    pub fn rsub(&self, value: f64) -> Result<Tensor> {
        self.affine(-1.0, value)
    }

    /// `value / self` (PyTorch's `value / tensor`).
    pub fn rdiv(&self, value: f64) -> Result<Tensor> {
        if self.dtype().is_float() {
            self.reciprocal()?.mul_scalar(value)
        } else {
            self.scalar_like(value)?.div(self)
        }
    }
}
