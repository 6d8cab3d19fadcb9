//! Checking analytic gradients against central finite differences, as `torch.autograd.gradcheck`.

use super::{GradModeGuard, GradOptions, grad, no_grad};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Tolerances of [`gradcheck`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckOptions {
    /// Step of the central difference `(f(x + eps) - f(x - eps)) / (2 eps)`.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance, scaled by the finite-difference value.
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// What a passing [`gradcheck`] compared.
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckReport {
    /// Jacobian entries compared (inputs' elements times outputs' elements).
    pub entries: usize,
    /// The largest `|analytic - numerical|` among them.
    pub max_abs_error: f64,
}

/// Checks the gradients of `f` at `inputs` against finite differences in f64.
///
/// Every floating-point input must be f64 and is differentiated; integer and bool inputs (class
/// labels, masks) are passed through as constants. The whole Jacobian is compared: one backward
/// per output element, two evaluations of `f` per input element. Each entry must satisfy
/// `|analytic - numerical| <= atol + rtol * |numerical|`; the worst offender is reported.
pub fn gradcheck(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    options: &GradcheckOptions,
) -> Result<GradcheckReport> {
    for input in inputs.iter().filter(|t| t.dtype().is_float()) {
        require_f64(input)?;
    }
    let differentiable: Vec<bool> = inputs.iter().map(|t| t.dtype().is_float()).collect();
    let leaves = inputs
        .iter()
        .zip(&differentiable)
        .map(|(t, &d)| {
            if d {
                t.detach().requires_grad()
            } else {
                Ok(t.detach())
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let output = f(&leaves)?;
    require_f64(&output)?;
    let analytic = analytic_jacobian(&output, &leaves, &differentiable)?;
    let base: Vec<Vec<f64>> = leaves.iter().map(values).collect::<Result<_>>()?;

    let mut report = GradcheckReport {
        entries: 0,
        max_abs_error: 0.0,
    };
    let mut worst: Option<(f64, Error)> = None;
    for (i, leaf) in leaves
        .iter()
        .enumerate()
        .filter(|&(i, _)| differentiable[i])
    {
        for element in 0..leaf.numel() {
            let numerical = numerical_column(&f, &leaves, &base, i, element, options.eps)?;
            for (j, &n) in numerical.iter().enumerate() {
                let a = analytic[i][element * numerical.len() + j];
                let error = (a - n).abs();
                let tolerance = options.atol + options.rtol * n.abs();
                report.entries += 1;
                report.max_abs_error = report.max_abs_error.max(error);
                // NaN (an undefined gradient on either side) is the worst disagreement of all.
                let ratio = if error.is_nan() {
                    f64::INFINITY
                } else {
                    error / tolerance
                };
                if ratio > 1.0 && worst.as_ref().is_none_or(|(r, _)| ratio > *r) {
                    let failure = Error::GradcheckFailed {
                        input: i,
                        index: unravel(element, leaf.shape()),
                        output: j,
                        analytic: a,
                        numerical: n,
                        tolerance,
                    };
                    worst = Some((ratio, failure));
                }
            }
        }
    }
    match worst {
        Some((_, failure)) => Err(failure),
        None => Ok(report),
    }
}

fn require_f64(t: &Tensor) -> Result<()> {
    if t.dtype() == DType::F64 {
        Ok(())
    } else {
        Err(Error::UnsupportedDType {
            op: "gradcheck",
            dtype: t.dtype(),
            hint: "finite differences need f64 inputs and outputs; convert with .to_dtype(DType::F64)",
        })
    }
}

fn values(t: &Tensor) -> Result<Vec<f64>> {
    if !t.dtype().is_float() {
        return Ok(Vec::new());
    }
    Ok(t.detach().to_ndarray::<f64>()?.into_iter().collect())
}

/// `jacobian[i][element * n_out + j]` = d output[j] / d input i [element], by one backward per output.
fn analytic_jacobian(
    output: &Tensor,
    leaves: &[Tensor],
    differentiable: &[bool],
) -> Result<Vec<Vec<f64>>> {
    let n_out = output.numel();
    let mut jacobian: Vec<Vec<f64>> = leaves
        .iter()
        .zip(differentiable)
        .map(|(t, &d)| vec![0.0; if d { t.numel() * n_out } else { 0 }])
        .collect();
    for j in 0..n_out {
        let mut seed = vec![0.0; n_out];
        seed[j] = 1.0;
        let seed = Tensor::from_vec(seed, output.shape(), &output.device())?;
        leaves.iter().for_each(Tensor::zero_grad);
        if output.needs_grad() {
            output.backward_with(Some(&seed), true)?;
        }
        for (leaf, column) in leaves.iter().zip(jacobian.iter_mut()) {
            if let Some(grad) = leaf.grad() {
                for (element, g) in values(&grad)?.into_iter().enumerate() {
                    column[element * n_out + j] = g;
                }
            }
        }
    }
    leaves.iter().for_each(Tensor::zero_grad);
    Ok(jacobian)
}

/// d output / d input i [element], by central differences.
fn numerical_column(
    f: &impl Fn(&[Tensor]) -> Result<Tensor>,
    leaves: &[Tensor],
    base: &[Vec<f64>],
    i: usize,
    element: usize,
    eps: f64,
) -> Result<Vec<f64>> {
    let evaluate = |delta: f64| -> Result<Vec<f64>> {
        let mut shifted = base[i].clone();
        shifted[element] += delta;
        let moved = Tensor::from_vec(shifted, leaves[i].shape(), &leaves[i].device())?;
        let args: Vec<Tensor> = leaves
            .iter()
            .enumerate()
            .map(|(k, t)| if k == i { moved.clone() } else { t.detach() })
            .collect();
        values(&no_grad(|| f(&args))?)
    };
    let (plus, minus) = (evaluate(eps)?, evaluate(-eps)?);
    Ok(plus
        .iter()
        .zip(&minus)
        .map(|(p, m)| (p - m) / (2.0 * eps))
        .collect())
}

/// The C-order multi-index of a flat position.
fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (slot, &dim) in index.iter_mut().zip(shape).rev() {
        *slot = flat % dim;
        flat /= dim;
    }
    index
}

/// The seed of the random output gradient `v` that [`gradgradcheck`] differentiates along.
const GRAD_OUTPUTS_SEED: u64 = 0x5eed;

/// Checks second derivatives against finite differences, as `torch.autograd.gradgradcheck`:
/// runs [`gradcheck`] on the function `(inputs, v) -> vector-Jacobian product of f at inputs
/// with v`, computed with `create_graph`. So every gradient rule that `f` uses is itself
/// differentiated, in the inputs and in `v`, and compared with finite differences of the rule.
///
/// `v` has `f`'s output shape, standard-normal values from a fixed seed. Inputs and output
/// must be f64, as for [`gradcheck`]; integer and bool inputs are passed through as constants.
pub fn gradgradcheck(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    options: &GradcheckOptions,
) -> Result<GradcheckReport> {
    let detached: Vec<Tensor> = inputs.iter().map(Tensor::detach).collect();
    let output = no_grad(|| f(&detached))?;
    require_f64(&output)?;
    let v = Tensor::randn(
        output.shape(),
        DType::F64,
        GRAD_OUTPUTS_SEED,
        &output.device(),
    )?;
    let n = inputs.len();
    let vector_jacobian_product = |args: &[Tensor]| -> Result<Tensor> {
        // gradcheck evaluates this under no_grad for its finite differences; the gradient
        // inside must be recorded all the same.
        let _mode = GradModeGuard::new(true);
        let (xs, v) = args.split_at(n);
        let xs = xs
            .iter()
            .map(|t| {
                if t.dtype().is_float() && !t.needs_grad() {
                    t.clone().requires_grad()
                } else {
                    Ok(t.clone())
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let output = f(&xs)?;
        let float: Vec<&Tensor> = xs.iter().filter(|t| t.dtype().is_float()).collect();
        let options = GradOptions::new().create_graph(true).allow_unused(true);
        let grads = grad(&[&output], &float, Some(&[&v[0]]), &options)?;
        let flat = float
            .iter()
            .zip(grads)
            .map(|(x, g)| match g {
                Some(g) => g.reshape(&[x.numel()]),
                None => Tensor::zeros(&[x.numel()], x.dtype(), &x.device()),
            })
            .collect::<Result<Vec<_>>>()?;
        Tensor::cat(&flat.iter().collect::<Vec<_>>(), 0)
    };
    let mut extended = inputs.to_vec();
    extended.push(v);
    gradcheck(vector_jacobian_product, &extended, options)
}
