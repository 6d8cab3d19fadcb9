//! Higher-order gradients: create_graph, the functional grad, jacobian/hessian/hvp against closed
//! forms and finite differences, and custom functions.

mod common;

use common::{assert_close, cpu, gpu_or_skip, randn, values};
use wgrad::{
    DType, Device, Error, Function, FunctionContext, GradOptions, GradcheckOptions, Result, Tensor,
    grad, gradcheck, gradgradcheck, hessian, hvp, jacobian, no_grad,
};

fn recorded() -> GradOptions {
    GradOptions::new().create_graph(true)
}

#[test]
fn create_graph_backward_gives_gradients_that_differentiate_again() {
    // d/dx sum(x^3) = 3x^2, and d/dx sum(3x^2) = 6x.
    let x = randn(&[5], 1).requires_grad().unwrap();
    let loss = x.pow(3.0).unwrap().sum().unwrap();
    loss.backward_with_options(None, &recorded()).unwrap();
    let first = x.grad().unwrap();
    assert!(first.needs_grad(), "a recorded gradient requires grad");
    let xs = values(&x);
    let cube: Vec<f64> = xs.iter().map(|v| 3.0 * v * v).collect();
    assert_close(&values(&first), &cube, 1e-12);
    x.zero_grad();
    first.sum().unwrap().backward().unwrap();
    let six_x: Vec<f64> = xs.iter().map(|v| 6.0 * v).collect();
    assert_close(&values(&x.grad().unwrap()), &six_x, 1e-12);
    assert!(
        !x.grad().unwrap().needs_grad(),
        "a plain backward records nothing"
    );
    // create_graph retains the graph by default (as in PyTorch), so a second pass works.
    loss.backward_with_options(None, &recorded().retain_graph(false))
        .unwrap();
    assert!(matches!(loss.backward(), Err(Error::GraphFreed { .. })));
}

#[test]
fn grad_returns_gradients_of_any_tensor_and_leaves_grad_alone() {
    let x = randn(&[2, 3], 2).requires_grad().unwrap();
    let h = x.mul_scalar(2.0).unwrap();
    let loss = h.exp().unwrap().sum().unwrap();
    let grads = grad(
        &[&loss],
        &[&h, &x],
        None,
        &GradOptions::new().retain_graph(true),
    )
    .unwrap();
    let exp_h: Vec<f64> = values(&h).iter().map(|v| v.exp()).collect();
    assert_close(&values(grads[0].as_ref().unwrap()), &exp_h, 1e-12);
    let twice: Vec<f64> = exp_h.iter().map(|v| 2.0 * v).collect();
    assert_close(&values(grads[1].as_ref().unwrap()), &twice, 1e-12);
    assert!(x.grad().is_none(), "grad does not touch .grad()");
    assert!(!grads[1].as_ref().unwrap().needs_grad());
    // The same input twice gets the same gradient twice; several outputs add up.
    let both = grad(&[&loss, &loss], &[&x, &x], None, &GradOptions::new()).unwrap();
    let four: Vec<f64> = exp_h.iter().map(|v| 4.0 * v).collect();
    assert_close(&values(both[0].as_ref().unwrap()), &four, 1e-12);
    assert_close(&values(both[1].as_ref().unwrap()), &four, 1e-12);
    let err = grad(&[&loss], &[&x], None, &GradOptions::new()).unwrap_err();
    assert!(matches!(err, Error::GraphFreed { .. }), "{err}");
}

#[test]
fn grad_outputs_weight_a_vector_jacobian_product() {
    let x = randn(&[4], 3).requires_grad().unwrap();
    let y = x.tanh().unwrap();
    let v = randn(&[4], 4);
    let g = grad(&[&y], &[&x], Some(&[&v]), &GradOptions::new()).unwrap();
    let expected: Vec<f64> = values(&x)
        .iter()
        .zip(values(&v))
        .map(|(x, v)| v * (1.0 - x.tanh().powi(2)))
        .collect();
    assert_close(&values(g[0].as_ref().unwrap()), &expected, 1e-12);

    let err = grad(&[&y], &[&x], None, &GradOptions::new()).unwrap_err();
    assert!(err.to_string().contains("one-element"), "{err}");
    let err = grad(&[&y], &[&x], Some(&[&v, &v]), &GradOptions::new()).unwrap_err();
    assert!(
        err.to_string().contains("2 grad_outputs for 1 outputs"),
        "{err}"
    );
    let err = grad(&[&y], &[&x], Some(&[&randn(&[3], 5)]), &GradOptions::new()).unwrap_err();
    assert!(
        err.to_string().contains("[3]") && err.to_string().contains("[4]"),
        "{err}"
    );
}

#[test]
fn unused_and_untracked_inputs_are_named() {
    let x = randn(&[3], 6).requires_grad().unwrap();
    let unused = randn(&[2], 7).requires_grad().unwrap();
    let loss = x.tanh().unwrap().sum().unwrap();
    let err = grad(&[&loss], &[&x, &unused], None, &recorded()).unwrap_err();
    assert!(
        err.to_string().contains("input 1 (shape [2])")
            && err.to_string().contains("allow_unused(true)"),
        "{err}"
    );
    let grads = grad(
        &[&loss],
        &[&x, &unused],
        None,
        &GradOptions::new().allow_unused(true),
    )
    .unwrap();
    assert!(grads[0].is_some() && grads[1].is_none());

    let constant = randn(&[3], 8);
    let err = grad(&[&loss], &[&constant], None, &GradOptions::new()).unwrap_err();
    assert!(
        err.to_string().contains("input 0") && err.to_string().contains(".requires_grad()"),
        "{err}"
    );
    let err = grad(
        &[&constant.sum().unwrap()],
        &[&x],
        None,
        &GradOptions::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("does not require grad"), "{err}");
}

#[test]
fn gradients_with_zero_derivative_can_still_be_differentiated() {
    // pytorch#73137: the gradient of a linear function is a constant, and asking for its
    // gradient is an error there. Here it is attached with derivative zero.
    let x = randn(&[4], 9).requires_grad().unwrap();
    let linear = x.mul_scalar(3.0).unwrap().sum().unwrap();
    let g = grad(&[&linear], &[&x], None, &recorded()).unwrap()[0]
        .clone()
        .unwrap();
    assert!(g.needs_grad());
    assert_eq!(values(&g), vec![3.0; 4]);
    let gg = grad(&[&g.sum().unwrap()], &[&x], None, &GradOptions::new()).unwrap();
    assert_eq!(values(gg[0].as_ref().unwrap()), vec![0.0; 4]);

    // relu, abs and max have gradients that are piecewise constant: zero second derivative, as
    // in PyTorch, and still a tensor to differentiate.
    for f in [Tensor::relu, Tensor::abs, |t: &Tensor| t.max_axis(0, false)] {
        let y = f(&x).unwrap().sum().unwrap();
        let g = grad(&[&y], &[&x], None, &recorded()).unwrap()[0]
            .clone()
            .unwrap();
        assert!(g.needs_grad());
        let gg = grad(&[&g.sum().unwrap()], &[&x], None, &GradOptions::new()).unwrap();
        assert_eq!(values(gg[0].as_ref().unwrap()), vec![0.0; 4]);
    }
    // A leaf's own gradient after a create_graph backward requires grad too.
    let x2 = randn(&[2], 10).requires_grad().unwrap();
    x2.mul_scalar(2.0)
        .unwrap()
        .sum()
        .unwrap()
        .backward_with_options(None, &recorded())
        .unwrap();
    assert!(x2.grad().unwrap().needs_grad());
}

#[test]
fn create_graph_records_even_inside_no_grad() {
    let x = randn(&[3], 11);
    let h = no_grad(|| hessian(|x| x.pow(3.0)?.sum(), &x)).unwrap();
    let expected: Vec<f64> = (0..9)
        .map(|k| {
            if k % 4 == 0 {
                6.0 * values(&x)[k / 4]
            } else {
                0.0
            }
        })
        .collect();
    assert_eq!(h.shape(), &[3, 3]);
    assert_close(&values(&h), &expected, 1e-12);
}

#[test]
fn jacobian_and_hessian_match_closed_forms() {
    let dev = cpu();
    // A sum of tanh has a diagonal Jacobian, 1 - tanh^2.
    let x = randn(&[2, 3], 12);
    let j = jacobian(|x| x.tanh(), &x).unwrap();
    assert_eq!(j.shape(), &[2, 3, 2, 3]);
    let xs = values(&x);
    let expected: Vec<f64> = (0..36)
        .map(|k| {
            let (row, col) = (k / 6, k % 6);
            if row == col {
                1.0 - xs[row].tanh().powi(2)
            } else {
                0.0
            }
        })
        .collect();
    assert_close(&values(&j), &expected, 1e-12);

    // A linear map's Jacobian is its matrix: d (A x)_i / d x_j = A[i, j].
    let a = randn(&[4, 3], 13);
    let x = randn(&[3], 14);
    let j = jacobian(|x| a.matmul(&x.reshape(&[3, 1])?)?.reshape(&[4]), &x).unwrap();
    assert_eq!(j.shape(), &[4, 3]);
    assert_close(&values(&j), &values(&a), 1e-12);

    // A quadratic form x^T A x has the Hessian A + A^T.
    let a = randn(&[4, 4], 15);
    let x = randn(&[4], 16);
    let quadratic = |x: &Tensor| {
        x.reshape(&[1, 4])?
            .matmul(&a)?
            .matmul(&x.reshape(&[4, 1])?)?
            .sum()
    };
    let h = hessian(quadratic, &x).unwrap();
    let symmetric = a.add(&a.transpose(0, 1).unwrap()).unwrap();
    assert_close(&values(&h), &values(&symmetric), 1e-12);

    // A function that does not depend on x has zero derivatives, not an error.
    let constant = Tensor::full(&[2], 1.5, DType::F64, &dev).unwrap();
    let j = jacobian(|_| Ok(constant.clone()), &x).unwrap();
    assert_eq!((j.shape(), values(&j)), (&[2, 4][..], vec![0.0; 8]));
    let h = hessian(|x| x.sum(), &x).unwrap();
    assert_eq!(values(&h), vec![0.0; 16]);
}

/// A 3-5-1 tanh MLP's scalar output, with its 26 parameters packed in one vector.
fn mlp(params: &Tensor, x: &Tensor) -> Result<Tensor> {
    let take = |start, len, shape: &[usize]| params.narrow(0, start, len)?.reshape(shape);
    let (w1, b1) = (take(0, 15, &[3, 5])?, take(15, 5, &[5])?);
    let (w2, b2) = (take(20, 5, &[5, 1])?, take(25, 1, &[1])?);
    let hidden = x.matmul(&w1)?.add(&b1)?.tanh()?;
    hidden.matmul(&w2)?.add(&b2)?.sigmoid()?.mean()
}

#[test]
fn mlp_hessian_vector_product_matches_finite_differences_of_its_gradient() {
    let x = randn(&[6, 3], 17);
    let params = randn(&[26], 18).mul_scalar(0.7).unwrap();
    let v = randn(&[26], 19);
    let loss = |p: &Tensor| mlp(p, &x);
    let (value, product) = hvp(loss, &params, &v).unwrap();
    assert_close(&values(&value), &values(&mlp(&params, &x).unwrap()), 1e-15);

    let gradient_at = |p: Tensor| -> Vec<f64> {
        let p = p.requires_grad().unwrap();
        values(
            grad(&[&mlp(&p, &x).unwrap()], &[&p], None, &GradOptions::new()).unwrap()[0]
                .as_ref()
                .unwrap(),
        )
    };
    let eps = 1e-5;
    let step = v.mul_scalar(eps).unwrap();
    let (plus, minus) = (
        gradient_at(params.add(&step).unwrap()),
        gradient_at(params.sub(&step).unwrap()),
    );
    let numerical: Vec<f64> = plus
        .iter()
        .zip(&minus)
        .map(|(p, m)| (p - m) / (2.0 * eps))
        .collect();
    assert_close(&values(&product), &numerical, 1e-6);
    // And against the full Hessian times v.
    let h = hessian(loss, &params).unwrap();
    let hv = h.matmul(&v.reshape(&[26, 1]).unwrap()).unwrap();
    assert_close(&values(&product), &values(&hv), 1e-10);
    // The whole second-order machinery of the MLP against finite differences.
    gradgradcheck(
        |p| mlp(&p[0], &p[1]),
        &[params.clone(), x.clone()],
        &GradcheckOptions::default(),
    )
    .unwrap();
}

#[test]
fn gpu_hessian_vector_product_matches_the_cpu() {
    let Some(gpu) = gpu_or_skip() else { return };
    let to = |t: &Tensor, dev: &Device| t.to_dtype(DType::F32).unwrap().to(dev).unwrap();
    let (x, params, v) = (randn(&[6, 3], 20), randn(&[26], 21), randn(&[26], 22));
    let on = |dev: &Device| {
        let x = to(&x, dev);
        let (value, product) = hvp(|p| mlp(p, &x), &to(&params, dev), &to(&v, dev)).unwrap();
        assert_eq!(product.device(), *dev);
        (values(&value), values(&product))
    };
    let (cpu_value, cpu_product) = on(&cpu());
    let (gpu_value, gpu_product) = on(&gpu);
    assert_close(&gpu_value, &cpu_value, 1e-5);
    assert_close(&gpu_product, &cpu_product, 1e-4);
}

/// `x^3` with its derivative `3 x^2` written with ops: differentiable twice.
struct Cube;

impl Function for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }

    fn forward(&self, inputs: &[Tensor]) -> Result<Tensor> {
        assert!(!inputs[0].needs_grad(), "forward sees detached inputs");
        inputs[0].pow(3.0)
    }

    fn backward(&self, ctx: &FunctionContext, grad: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let x = &ctx.inputs()[0];
        Ok(vec![Some(grad.mul(&x.mul(x)?.mul_scalar(3.0)?)?)])
    }
}

/// The same with a derivative that is right in value but built from a detached input, so its
/// own derivative is wrong: gradcheck passes and gradgradcheck must not.
struct DetachedCube;

impl Function for DetachedCube {
    fn name(&self) -> &'static str {
        "detached cube"
    }

    fn forward(&self, inputs: &[Tensor]) -> Result<Tensor> {
        inputs[0].pow(3.0)
    }

    fn backward(&self, ctx: &FunctionContext, grad: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let x = ctx.inputs()[0].detach();
        Ok(vec![Some(grad.mul(&x.mul(&x)?.mul_scalar(3.0)?)?)])
    }
}

/// `a * b` through its output: d/da = out / b, d/db = out / a. Reads the output, as a
/// function of the inputs, and returns a gradient only where one is needed.
struct Product;

impl Function for Product {
    fn name(&self) -> &'static str {
        "product"
    }

    fn forward(&self, inputs: &[Tensor]) -> Result<Tensor> {
        inputs[0].mul(&inputs[1])
    }

    fn backward(&self, ctx: &FunctionContext, grad: &Tensor) -> Result<Vec<Option<Tensor>>> {
        let (a, b, out) = (&ctx.inputs()[0], &ctx.inputs()[1], ctx.output());
        Ok(vec![
            ctx.needs_input_grad(0)
                .then(|| grad.mul(&out.div(a)?))
                .transpose()?,
            ctx.needs_input_grad(1)
                .then(|| grad.mul(&out.div(b)?))
                .transpose()?,
        ])
    }
}

#[test]
fn custom_functions_take_part_in_the_tape_to_any_order() {
    let options = GradcheckOptions::default();
    let cube = |t: &[Tensor]| Cube.apply(&[&t[0]]);
    for shape in [&[4][..], &[2, 3]] {
        gradcheck(cube, &[randn(shape, 23)], &options).unwrap();
        gradgradcheck(cube, &[randn(shape, 24)], &options).unwrap();
    }
    let product = |t: &[Tensor]| Product.apply(&[&t[0], &t[1]]);
    let inputs = [common::positive(&[3, 2], 25), common::positive(&[3, 2], 26)];
    gradcheck(product, &inputs, &options).unwrap();
    gradgradcheck(product, &inputs, &options).unwrap();

    let wrong = |t: &[Tensor]| DetachedCube.apply(&[&t[0]]);
    gradcheck(wrong, &[randn(&[3], 27)], &options).unwrap();
    let err = gradgradcheck(wrong, &[randn(&[3], 27)], &options).unwrap_err();
    assert!(matches!(err, Error::GradcheckFailed { .. }), "{err}");

    let x = randn(&[3], 28).requires_grad().unwrap();
    let y = Cube.apply(&[&x]).unwrap();
    assert!(y.to_string().contains("grad_fn=cube"), "{y}");
}

/// A backward with the wrong number of gradients, or of the wrong shape.
struct Broken(usize);

impl Function for Broken {
    fn name(&self) -> &'static str {
        "broken"
    }

    fn forward(&self, inputs: &[Tensor]) -> Result<Tensor> {
        inputs[0].mul_scalar(2.0)
    }

    fn backward(&self, _: &FunctionContext, grad: &Tensor) -> Result<Vec<Option<Tensor>>> {
        match self.0 {
            0 => Ok(vec![]),
            1 => Ok(vec![Some(grad.sum()?)]),
            _ => Ok(vec![None]),
        }
    }
}

#[test]
fn a_broken_custom_backward_is_a_clear_error() {
    let x = randn(&[3], 29).requires_grad().unwrap();
    let messages = [
        "backward returned 0 gradients for 1 inputs",
        "backward returned shape [] (f64) for input 0 of shape [3] (f64)",
        "backward returned None for input 0, which needs a gradient",
    ];
    for (kind, expected) in messages.into_iter().enumerate() {
        let err = Broken(kind)
            .apply(&[&x])
            .unwrap()
            .sum()
            .unwrap()
            .backward()
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("custom function broken") && message.contains(expected),
            "{message}"
        );
    }
}
