//! Comparisons (bool results, not differentiable), logic on bool tensors, NaN tests, `where`,
//! and the elementwise `maximum` and `minimum`.

use crate::autograd::{grad_if, record};
use crate::backend::{Backend, BinaryOp, CmpOp};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;

impl Tensor {
    fn compare(&self, op: CmpOp, rhs: &Tensor) -> Result<Tensor> {
        self.broadcast_kernel(op.name(), rhs, |l, r| {
            self.storage().compare(op, l, rhs.storage(), r)
        })
    }

    /// A comparison with a scalar. For an integer tensor the scalar must be a whole number:
    /// comparing integers with 0.5 after a cast would silently compare with 0.
    fn compare_scalar(&self, op: CmpOp, value: f64) -> Result<Tensor> {
        if !self.dtype().is_float() && value.fract() != 0.0 {
            return Err(Error::InvalidArgument {
                op: op.name(),
                message: format!(
                    "{value} is not a whole number, so it cannot be compared with a {} tensor \
                     exactly; convert the tensor with .to_dtype(DType::F32) first",
                    self.dtype()
                ),
            });
        }
        self.compare(op, &self.scalar_like(value)?)
    }

    /// `self == rhs` elementwise, broadcasting; a bool tensor, not differentiable.
    pub fn eq(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(CmpOp::Eq, rhs)
    }

    /// `self != rhs` elementwise, broadcasting (NaN differs from everything).
    pub fn ne(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(CmpOp::Ne, rhs)
    }

    /// `self < rhs` elementwise, broadcasting; a bool tensor, not differentiable.
    pub fn lt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(CmpOp::Lt, rhs)
    }

    /// `self <= rhs` elementwise, broadcasting.
    pub fn le(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(CmpOp::Le, rhs)
    }

    /// `self > rhs` elementwise, broadcasting; a bool tensor, not differentiable.
    pub fn gt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(CmpOp::Gt, rhs)
    }

    /// `self >= rhs` elementwise, broadcasting.
    pub fn ge(&self, rhs: &Tensor) -> Result<Tensor> {
        self.compare(CmpOp::Ge, rhs)
    }

    /// `self == value` elementwise.
    pub fn eq_scalar(&self, value: f64) -> Result<Tensor> {
        self.compare_scalar(CmpOp::Eq, value)
    }

    /// `self != value` elementwise.
    pub fn ne_scalar(&self, value: f64) -> Result<Tensor> {
        self.compare_scalar(CmpOp::Ne, value)
    }

    /// `self < value` elementwise.
    pub fn lt_scalar(&self, value: f64) -> Result<Tensor> {
        self.compare_scalar(CmpOp::Lt, value)
    }

    /// `self <= value` elementwise.
    pub fn le_scalar(&self, value: f64) -> Result<Tensor> {
        self.compare_scalar(CmpOp::Le, value)
    }

    /// `self > value` elementwise.
    pub fn gt_scalar(&self, value: f64) -> Result<Tensor> {
        self.compare_scalar(CmpOp::Gt, value)
    }

    /// `self >= value` elementwise.
    pub fn ge_scalar(&self, value: f64) -> Result<Tensor> {
        self.compare_scalar(CmpOp::Ge, value)
    }

    /// `Err` unless this is a bool tensor.
    pub(crate) fn require_bool(&self, op: &'static str) -> Result<()> {
        if self.dtype() == DType::Bool {
            Ok(())
        } else {
            Err(Error::UnsupportedDType {
                op,
                dtype: self.dtype(),
                hint: "it takes bool tensors; make one with a comparison such as .gt_scalar(0.0)",
            })
        }
    }

    /// Elementwise AND of two bool tensors, broadcasting.
    pub fn logical_and(&self, rhs: &Tensor) -> Result<Tensor> {
        self.require_bool("logical_and")?;
        rhs.require_bool("logical_and")?;
        self.where_cond(rhs, &self.scalar_like(0.0)?)
    }

    /// Elementwise OR of two bool tensors, broadcasting.
    pub fn logical_or(&self, rhs: &Tensor) -> Result<Tensor> {
        self.require_bool("logical_or")?;
        rhs.require_bool("logical_or")?;
        self.where_cond(&self.scalar_like(1.0)?, rhs)
    }

    /// Elementwise NOT of a bool tensor.
    pub fn logical_not(&self) -> Result<Tensor> {
        self.require_bool("logical_not")?;
        self.eq(&self.scalar_like(0.0)?)
    }

    /// `Err` for complex tensors, which the NaN tests do not cover.
    fn require_real(&self, op: &'static str) -> Result<()> {
        if self.dtype().is_complex() {
            Err(Error::UnsupportedDType {
                op,
                dtype: self.dtype(),
                hint: "it takes real tensors",
            })
        } else {
            Ok(())
        }
    }

    /// True where an element is NaN (never, for integers and bools).
    pub fn isnan(&self) -> Result<Tensor> {
        self.require_real("isnan")?;
        if self.dtype().is_float() {
            self.ne(self)
        } else {
            Tensor::full(self.shape(), 0.0, DType::Bool, &self.device())
        }
    }

    /// True where an element is neither infinite nor NaN (always, for integers and bools).
    pub fn isfinite(&self) -> Result<Tensor> {
        self.require_real("isfinite")?;
        if self.dtype().is_float() {
            // Ordered comparisons are false for NaN. (Not x - x == 0: a GPU compiler may fold
            // x - x to 0.)
            self.detach().abs()?.lt_scalar(f64::INFINITY)
        } else {
            Tensor::full(self.shape(), 1.0, DType::Bool, &self.device())
        }
    }

    /// Picks `on_true` where this bool tensor is true and `on_false` elsewhere, broadcasting all
    /// three (`torch.where(self, on_true, on_false)`). Differentiable in both branches.
    pub fn where_cond(&self, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        self.same_device("where", on_true)?;
        on_true.same_device("where", on_false)?;
        on_true.same_dtype("where", on_false)?;
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
                let zeros = g.scalar_like(0.0)?;
                Ok(vec![
                    None,
                    grad_if(needs[1], || cond.where_cond(g, &zeros)?.sum_to(&ts))?,
                    grad_if(needs[2], || cond.where_cond(&zeros, g)?.sum_to(&fs))?,
                ])
            },
        ))
    }

    /// The elementwise larger of the two, broadcasting; NaN wins (PyTorch's `maximum`). The
    /// gradient goes to the larger operand, split evenly on ties, as in PyTorch.
    pub fn maximum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.extremum(BinaryOp::Maximum, rhs)
    }

    /// The elementwise smaller of the two, broadcasting; NaN wins. The gradient goes to the
    /// smaller operand, split evenly on ties.
    pub fn minimum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.extremum(BinaryOp::Minimum, rhs)
    }

    fn extremum(&self, op: BinaryOp, rhs: &Tensor) -> Result<Tensor> {
        let out = self.binary_forward(op, rhs)?;
        let (a, b) = (self.detach(), rhs.detach());
        let wins = if op == BinaryOp::Maximum {
            CmpOp::Gt
        } else {
            CmpOp::Lt
        };
        Ok(record(out, op.name(), &[self, rhs], move |g, needs| {
            // Each operand's share: 1 where it wins, 1/2 on a tie, 0 where it loses.
            let tie = a.eq(&b)?.to_dtype(g.dtype())?.mul_scalar(0.5)?;
            let share = |winner: &Tensor, loser: &Tensor| -> Result<Tensor> {
                let won = winner.compare(wins, loser)?.to_dtype(g.dtype())?;
                g.mul(&won.add(&tie)?)?.sum_to(winner.shape())
            };
            Ok(vec![
                grad_if(needs[0], || share(&a, &b))?,
                grad_if(needs[1], || share(&b, &a))?,
            ])
        }))
    }
}
