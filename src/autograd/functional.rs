//! Derivatives as functions, in the spirit of `torch.autograd.functional`: Jacobians, Hessians
//! and Hessian-vector products, all by reverse mode (Hessians reverse-over-reverse). Each works
//! inside [`no_grad`](crate::no_grad) too, and returns detached tensors.

use super::{GradModeGuard, GradOptions, grad};
use crate::error::Result;
use crate::tensor::Tensor;

/// The Jacobian of `f` at `x`: a tensor of shape `f(x).shape ++ x.shape` whose entry
/// `[i.., j..]` is `d f(x)[i..] / d x[j..]`. One vector-Jacobian product per element of `f(x)`.
///
/// ```
/// use wgrad::{DType, Device, Tensor, jacobian};
///
/// // The Jacobian of an elementwise function is diagonal.
/// let x = Tensor::randn(&[3], DType::F64, 0, &Device::cpu())?;
/// let j = jacobian(|x| x.tanh(), &x)?.to_ndarray::<f64>()?;
/// assert_eq!(j.shape(), &[3, 3]);
/// assert!(j[[0, 1]] == 0.0 && j[[0, 0]] > 0.0);
/// # Ok::<(), wgrad::Error>(())
/// ```
pub fn jacobian(f: impl Fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> Result<Tensor> {
    let _mode = GradModeGuard::new(true);
    let x = x.detach().requires_grad()?;
    let y = f(&x)?;
    let mut shape = y.shape().to_vec();
    shape.extend_from_slice(x.shape());
    if !y.needs_grad() || y.numel() == 0 {
        return Tensor::zeros(&shape, x.dtype(), &x.device());
    }
    // Row i of the identity, shaped as y, seeds row i of the Jacobian.
    let n = y.numel();
    let index = Tensor::arange(0.0, n as f64, 1.0, y.dtype(), &y.device())?;
    let identity = index.reshape(&[n, 1])?.eq(&index)?.to_dtype(y.dtype())?;
    let options = GradOptions::new().retain_graph(true).allow_unused(true);
    let rows = (0..n)
        .map(|i| {
            let seed = identity.narrow(0, i, 1)?.reshape(y.shape())?;
            let row = grad(&[&y], &[&x], Some(&[&seed]), &options)?.remove(0);
            match row {
                Some(row) => row.detach().reshape(&[1, x.numel()]),
                None => Tensor::zeros(&[1, x.numel()], x.dtype(), &x.device()),
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Tensor::cat(&rows.iter().collect::<Vec<_>>(), 0)?.reshape(&shape)
}

/// The Hessian of the one-element function `f` at `x`: shape `x.shape ++ x.shape`, the Jacobian
/// of `f`'s gradient.
///
/// ```
/// use wgrad::{DType, Device, Tensor, hessian};
///
/// // A quadratic form x^T A x has the Hessian A + A^T.
/// let dev = Device::cpu();
/// let a = Tensor::randn(&[3, 3], DType::F64, 1, &dev)?;
/// let x = Tensor::randn(&[3], DType::F64, 2, &dev)?;
/// let quadratic = |x: &Tensor| x.reshape(&[1, 3])?.matmul(&a)?.matmul(&x.reshape(&[3, 1])?)?.sum();
/// let h = hessian(quadratic, &x)?.to_ndarray::<f64>()?;
/// let a = a.to_ndarray::<f64>()?;
/// assert!((h[[0, 1]] - (a[[0, 1]] + a[[1, 0]])).abs() < 1e-12);
/// # Ok::<(), wgrad::Error>(())
/// ```
pub fn hessian(f: impl Fn(&Tensor) -> Result<Tensor>, x: &Tensor) -> Result<Tensor> {
    jacobian(|x| recorded_gradient(&f(x)?, x), x)
}

/// `f(x)` and the product of `f`'s Hessian at `x` with `v` (a tensor of `x`'s shape), for a
/// one-element `f`, without forming the Hessian: the gradient of `<grad f(x), v>`, two reverse
/// passes whatever the size of `x`.
pub fn hvp(
    f: impl Fn(&Tensor) -> Result<Tensor>,
    x: &Tensor,
    v: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let _mode = GradModeGuard::new(true);
    let x = x.detach().requires_grad()?;
    let value = f(&x)?;
    let gradient = recorded_gradient(&value, &x)?;
    let product = if gradient.needs_grad() {
        grad(
            &[&gradient],
            &[&x],
            Some(&[v]),
            &GradOptions::new().allow_unused(true),
        )?
        .remove(0)
    } else {
        None
    };
    let product = match product {
        Some(p) => p.detach(),
        None => Tensor::zeros(x.shape(), x.dtype(), &x.device())?,
    };
    Ok((value.detach(), product))
}

/// The gradient of the one-element `y` with respect to `x` (a tensor that requires grad),
/// recorded so that it can be differentiated again; zeros where `y` does not depend on `x`.
fn recorded_gradient(y: &Tensor, x: &Tensor) -> Result<Tensor> {
    if !y.needs_grad() {
        return Tensor::zeros(x.shape(), x.dtype(), &x.device());
    }
    let options = GradOptions::new().create_graph(true).allow_unused(true);
    match grad(&[y], &[x], None, &options)?.remove(0) {
        Some(g) => Ok(g),
        None => Tensor::zeros(x.shape(), x.dtype(), &x.device()),
    }
}
