//! `std::ops` operators, as candle has them: `&a + &b`, `&a * 2.0`, `1.0 - &a`, `-&a`. An
//! operator cannot panic on a shape or device mismatch, so each returns `Result<Tensor>`, and a
//! `Result<Tensor>` on the left takes another operand, so chains read
//! `((&x.matmul(&w)? + &b)? * 2.0)?`. The named methods stay.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::error::Result;
use crate::tensor::Tensor;

/// `Op` between tensors (owned or borrowed, either side) and between a `Result<Tensor>` and a
/// tensor, through the method `$tensor_op`; with an `f64` on the right through `$scalar_op`,
/// and on the left through `$reversed_op`.
macro_rules! operator {
    ($Op:ident, $op:ident, $tensor_op:ident, $scalar_op:ident, $reversed_op:ident) => {
        impl $Op<&Tensor> for &Tensor {
            type Output = Result<Tensor>;
            fn $op(self, rhs: &Tensor) -> Result<Tensor> {
                Tensor::$tensor_op(self, rhs)
            }
        }

        impl $Op<Tensor> for &Tensor {
            type Output = Result<Tensor>;
            fn $op(self, rhs: Tensor) -> Result<Tensor> {
                Tensor::$tensor_op(self, &rhs)
            }
        }

        impl $Op<&Tensor> for Tensor {
            type Output = Result<Tensor>;
            fn $op(self, rhs: &Tensor) -> Result<Tensor> {
                Tensor::$tensor_op(&self, rhs)
            }
        }

        impl $Op<Tensor> for Tensor {
            type Output = Result<Tensor>;
            fn $op(self, rhs: Tensor) -> Result<Tensor> {
                Tensor::$tensor_op(&self, &rhs)
            }
        }

        impl $Op<&Tensor> for Result<Tensor> {
            type Output = Result<Tensor>;
            fn $op(self, rhs: &Tensor) -> Result<Tensor> {
                Tensor::$tensor_op(&self?, rhs)
            }
        }

        impl $Op<Tensor> for Result<Tensor> {
            type Output = Result<Tensor>;
            fn $op(self, rhs: Tensor) -> Result<Tensor> {
                Tensor::$tensor_op(&self?, &rhs)
            }
        }

        impl $Op<Result<Tensor>> for &Tensor {
            type Output = Result<Tensor>;
            fn $op(self, rhs: Result<Tensor>) -> Result<Tensor> {
                Tensor::$tensor_op(self, &rhs?)
            }
        }

        impl $Op<f64> for &Tensor {
            type Output = Result<Tensor>;
            fn $op(self, rhs: f64) -> Result<Tensor> {
                Tensor::$scalar_op(self, rhs)
            }
        }

        impl $Op<f64> for Tensor {
            type Output = Result<Tensor>;
            fn $op(self, rhs: f64) -> Result<Tensor> {
                Tensor::$scalar_op(&self, rhs)
            }
        }

        impl $Op<&Tensor> for f64 {
            type Output = Result<Tensor>;
            fn $op(self, rhs: &Tensor) -> Result<Tensor> {
                Tensor::$reversed_op(rhs, self)
            }
        }

        impl $Op<Tensor> for f64 {
            type Output = Result<Tensor>;
            fn $op(self, rhs: Tensor) -> Result<Tensor> {
                Tensor::$reversed_op(&rhs, self)
            }
        }
    };
}

operator!(Add, add, add, add_scalar, add_scalar);
operator!(Sub, sub, sub, sub_scalar, rsub);
operator!(Mul, mul, mul, mul_scalar, mul_scalar);
operator!(Div, div, div, div_scalar, rdiv);

impl Neg for &Tensor {
    type Output = Result<Tensor>;
    fn neg(self) -> Result<Tensor> {
        Tensor::neg(self)
    }
}

impl Neg for Tensor {
    type Output = Result<Tensor>;
    fn neg(self) -> Result<Tensor> {
        Tensor::neg(&self)
    }
}
