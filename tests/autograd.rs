//! Autograd semantics, as PyTorch defines them.

mod common;

use std::time::Instant;

use common::{assert_close, cpu, randn, values};
use wgrad::{DType, Error, NoGradGuard, Tensor, is_grad_enabled, no_grad};

#[test]
fn results_require_grad_when_any_input_does() {
    let a = randn(&[3], 1).requires_grad().unwrap();
    let b = randn(&[3], 2);
    assert!(a.needs_grad() && a.is_leaf());
    let c = a.add(&b).unwrap();
    assert!(c.needs_grad() && !c.is_leaf());
    let d = b.mul(&b).unwrap();
    assert!(!d.needs_grad() && d.is_leaf());
    assert!(c.grad().is_none(), "non-leaves keep no gradient");
}

#[test]
fn gradients_accumulate_across_backward_calls_until_zero_grad() {
    let x = randn(&[4], 3).requires_grad().unwrap();
    let loss = || x.mul(&x).unwrap().sum().unwrap();
    loss().backward().unwrap();
    let once = values(&x.grad().unwrap());
    assert_close(
        &once,
        &values(&x).iter().map(|v| 2.0 * v).collect::<Vec<_>>(),
        1e-12,
    );
    loss().backward().unwrap();
    assert_close(
        &values(&x.grad().unwrap()),
        &once.iter().map(|g| 2.0 * g).collect::<Vec<_>>(),
        1e-12,
    );
    assert!(!x.grad().unwrap().needs_grad(), "gradients are detached");
    x.zero_grad();
    assert!(x.grad().is_none());
}

#[test]
fn shared_subexpressions_sum_their_gradients() {
    // f = sum(y + y * x) with y = x^2, so df/dx = 2x + 3x^2.
    let x = randn(&[5], 4).requires_grad().unwrap();
    let y = x.mul(&x).unwrap();
    y.add(&y.mul(&x).unwrap())
        .unwrap()
        .sum()
        .unwrap()
        .backward()
        .unwrap();
    let expected: Vec<f64> = values(&x).iter().map(|v| 2.0 * v + 3.0 * v * v).collect();
    assert_close(&values(&x.grad().unwrap()), &expected, 1e-12);
}

#[test]
fn non_scalar_backward_needs_an_explicit_gradient() {
    let x = randn(&[2, 3], 5).requires_grad().unwrap();
    let y = x.mul_scalar(3.0).unwrap();
    let err = y.backward().unwrap_err();
    assert!(matches!(err, Error::Backward { .. }), "{err}");
    assert!(
        err.to_string().contains("[2, 3]") && err.to_string().contains("backward_with"),
        "{err}"
    );

    let g = randn(&[2, 3], 6);
    y.backward_with(Some(&g), false).unwrap();
    assert_close(
        &values(&x.grad().unwrap()),
        &values(&g).iter().map(|v| 3.0 * v).collect::<Vec<_>>(),
        1e-12,
    );

    let wrong = randn(&[3, 2], 7);
    let err = x
        .mul_scalar(2.0)
        .unwrap()
        .backward_with(Some(&wrong), false)
        .unwrap_err();
    assert!(
        err.to_string().contains("[3, 2]") && err.to_string().contains("[2, 3]"),
        "{err}"
    );
}

#[test]
fn retain_graph_allows_a_second_backward_and_freed_graphs_refuse() {
    let x = randn(&[3], 8).requires_grad().unwrap();
    let loss = x.exp().unwrap().sum().unwrap();
    loss.backward_with(None, true).unwrap();
    loss.backward().unwrap();
    let expected: Vec<f64> = values(&x).iter().map(|v| 2.0 * v.exp()).collect();
    assert_close(&values(&x.grad().unwrap()), &expected, 1e-12);
    let err = loss.backward().unwrap_err();
    assert!(matches!(err, Error::GraphFreed { op: "sum" }), "{err}");
    assert!(err.to_string().contains("retain_graph"), "{err}");
    assert_close(&values(&x.grad().unwrap()), &expected, 1e-12);
}

#[test]
fn no_grad_records_nothing_as_guard_and_as_closure() {
    let x = randn(&[3], 9).requires_grad().unwrap();
    let y = no_grad(|| x.mul(&x).unwrap());
    assert!(!y.needs_grad());
    {
        let _outer = NoGradGuard::new();
        {
            let _inner = NoGradGuard::new();
            assert!(!is_grad_enabled());
        }
        assert!(
            !is_grad_enabled(),
            "dropping the inner guard keeps the outer one in force"
        );
        assert!(!x.exp().unwrap().needs_grad());
    }
    assert!(is_grad_enabled());
    assert!(x.exp().unwrap().needs_grad());
    // Threads start with recording on, whatever this one does.
    let _guard = NoGradGuard::new();
    assert!(std::thread::spawn(is_grad_enabled).join().unwrap());
}

#[test]
fn detach_shares_data_without_history() {
    let x = randn(&[2, 2], 10).requires_grad().unwrap();
    let y = x.mul_scalar(2.0).unwrap();
    let d = y.detach();
    assert!(!d.needs_grad() && d.is_leaf());
    assert_eq!(values(&d), values(&y));
    // The detached branch contributes nothing: only y's direct use reaches x.
    y.add(&d.mul(&d).unwrap())
        .unwrap()
        .sum()
        .unwrap()
        .backward()
        .unwrap();
    assert_eq!(values(&x.grad().unwrap()), vec![2.0; 4]);
}

#[test]
fn backward_without_a_graph_says_what_to_do() {
    let err = randn(&[1], 11).sum().unwrap().backward().unwrap_err();
    assert!(err.to_string().contains(".requires_grad()"), "{err}");
    let err = Tensor::arange(0.0, 4.0, 1.0, DType::I64, &cpu())
        .unwrap()
        .requires_grad()
        .unwrap_err();
    assert!(
        err.to_string().contains("floating-point") && err.to_string().contains("i64"),
        "{err}"
    );
}

#[test]
fn leaf_backward_seeds_its_own_gradient() {
    let x = randn(&[], 12).requires_grad().unwrap();
    x.backward().unwrap();
    assert_eq!(values(&x.grad().unwrap()), vec![1.0]);
}

#[test]
fn a_chain_of_a_million_ops_backpropagates_and_drops_without_recursion() {
    let x = randn(&[], 13).requires_grad().unwrap();
    let step = Tensor::full(&[], 0.5, DType::F64, &cpu()).unwrap();
    let build = Instant::now();
    let mut y = x.clone();
    for _ in 0..1_000_000 {
        y = y.add(&step).unwrap();
    }
    let built = build.elapsed();
    let start = Instant::now();
    y.backward().unwrap();
    println!(
        "1,000,000-op chain: built in {built:?}, backward in {:?}",
        start.elapsed()
    );
    assert_eq!(values(&x.grad().unwrap()), vec![1.0]);
    assert_close(&values(&y), &[values(&x)[0] + 500_000.0], 1e-12);
    drop(y); // a million nested ops, unlinked iteratively
}

#[test]
fn to_dtype_keeps_the_graph_between_floats_detaches_integers_and_refuses_complex() {
    let x = randn(&[3], 14).requires_grad().unwrap();
    assert!(x.to_dtype(DType::F32).unwrap().needs_grad());
    let ints = x.mul_scalar(10.0).unwrap().to_dtype(DType::I64).unwrap();
    assert!(!ints.needs_grad(), "an integer result has no gradient");
    let err = x.to_dtype(DType::C64).unwrap_err();
    assert!(
        err.to_string().contains("complex") && err.to_string().contains(".detach()"),
        "{err}"
    );
    assert!(x.detach().to_dtype(DType::C64).is_ok());
}

#[test]
fn relu_passes_the_gradient_where_the_input_is_positive_or_nan_as_pytorch_does() {
    // PyTorch's threshold_backward: 0 where x <= 0, even for an infinite or NaN gradient there;
    // the gradient itself elsewhere, NaN inputs included.
    let mut x = vec![-2.0, -0.0, 0.0, 1.5, f32::NAN, 3.0, -1e-30, f32::INFINITY];
    let mut g = vec![f32::INFINITY, 1.0, f32::NAN, 3.0, 4.0, f32::NAN, -5.0, 0.5];
    x.extend(values(&randn(&[24], 41)).iter().map(|&v| v as f32));
    g.extend(values(&randn(&[24], 42)).iter().map(|&v| v as f32));
    let expected: Vec<f64> = (x.iter().zip(&g))
        .map(|(&x, &g)| if x <= 0.0 { 0.0 } else { f64::from(g) })
        .collect();
    for device in [Some(cpu()), common::gpu_or_skip()].into_iter().flatten() {
        let xt = Tensor::from_slice(&x, &[x.len()], &device)
            .unwrap()
            .requires_grad()
            .unwrap();
        let gt = Tensor::from_slice(&g, &[g.len()], &device).unwrap();
        xt.relu().unwrap().backward_with(Some(&gt), false).unwrap();
        let got = values(&xt.grad().unwrap());
        for (i, (&got, &want)) in got.iter().zip(&expected).enumerate() {
            assert!(
                got == want || (got.is_nan() && want.is_nan()),
                "{:?}: element {i} (x {}, g {}): {got}, expected {want}",
                device.kind(),
                x[i],
                g[i]
            );
        }
    }
}
