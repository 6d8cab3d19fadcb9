//! Every differentiable op against central finite differences in f64, with PyTorch's gradcheck
//! tolerances, on random inputs of at least two shapes (and broadcasting wherever the op does):
//! its first derivatives (gradcheck) and its second (gradgradcheck), on the CPU and on the GPU's
//! own f64 kernels (`cpu::` and `gpu::` tests of the same name).

mod common;

use std::cell::RefCell;

use common::values;
use wgrad::{
    Conv2dOptions, CrossEntropyOptions, DType, Device, Error, GradcheckOptions, Reduction, Result,
    Tensor, gradcheck, gradgradcheck,
};

thread_local! {
    /// The device the running check builds its inputs on.
    static DEVICE: RefCell<Device> = const { RefCell::new(Device::Cpu) };
}

fn device() -> Device {
    DEVICE.with(|d| d.borrow().clone())
}

/// Runs `checks` with inputs on `device`.
fn on(device: Device, checks: fn()) {
    DEVICE.with(|d| *d.borrow_mut() = device);
    checks();
}

/// Standard-normal f64 samples on the check's device.
fn randn(shape: &[usize], seed: u64) -> Tensor {
    common::randn(shape, seed).to(&device()).unwrap()
}

/// f64 samples in [0.5, 1.5) on the check's device.
fn positive(shape: &[usize], seed: u64) -> Tensor {
    common::positive(shape, seed).to(&device()).unwrap()
}

/// Every check below on the CPU, and on the GPU's own kernels in f64 where the adapter has
/// SHADER_F64 (printing why not where it has not).
macro_rules! on_each_device {
    ($($name:ident),* $(,)?) => {
        mod cpu {
            $(#[test]
            fn $name() {
                super::on(wgrad::Device::Cpu, super::$name);
            })*
        }
        mod gpu {
            $(#[test]
            fn $name() {
                if let Some(gpu) = super::common::gpu_f64_or_skip() {
                    super::on(gpu, super::$name);
                }
            })*
        }
    };
}

on_each_device!(
    add_sub_mul_div_with_broadcasting,
    scalar_arithmetic_neg_and_pow,
    exp_log_sqrt_abs,
    activations,
    matmul_plain_batched_and_broadcast,
    sum_and_mean_over_all_or_one_axis,
    max_over_all_or_one_axis,
    reshape_transpose_permute,
    broadcast_to_and_narrow,
    cat_along_each_axis,
    softmax_and_log_softmax,
    cross_entropy_and_mse,
    where_and_to_dtype,
    mlp_loss_with_respect_to_every_parameter,
    trigonometry_logarithms_and_powers,
    more_activations_and_clamp,
    maximum_and_minimum_with_broadcasting_and_ties,
    axes_added_removed_merged_and_split,
    min_var_std_logsumexp_and_norms,
    losses_with_every_reduction,
    matmul_of_every_rank,
    gather_scatter_add_index_select_and_masked_fill,
    sort_and_topk_values,
    cumsum_along_each_axis,
    prod_with_and_without_zeros,
    convolution_and_pooling,
);

/// gradcheck and gradgradcheck of `f` at `inputs`, with PyTorch's tolerances.
fn check(f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: &[Tensor]) {
    check_with(f, inputs, &GradcheckOptions::default());
}

fn check_with(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    options: &GradcheckOptions,
) {
    let output = f(inputs).unwrap_or_else(|e| panic!("the function: {e}"));
    assert_eq!(
        output.device(),
        device(),
        "the op runs on the check's device"
    );
    let first = gradcheck(&f, inputs, options).unwrap_or_else(|e| panic!("gradcheck: {e}"));
    assert!(first.entries > 0, "nothing was compared");
    let second =
        gradgradcheck(&f, inputs, options).unwrap_or_else(|e| panic!("gradgradcheck: {e}"));
    assert!(
        second.entries > first.entries,
        "gradgradcheck compared too little"
    );
}

#[test]
fn gradcheck_catches_a_wrong_gradient() {
    // d(x * x)/dx is 2x, but detaching one factor makes the analytic gradient x.
    let wrong = |x: &[Tensor]| x[0].detach().mul(&x[0])?.sum();
    let err = gradcheck(wrong, &[randn(&[3], 1)], &GradcheckOptions::default()).unwrap_err();
    let Error::GradcheckFailed {
        analytic,
        numerical,
        ..
    } = err
    else {
        panic!("{err}")
    };
    assert!(
        (numerical - 2.0 * analytic).abs() < 1e-6,
        "{analytic} vs {numerical}"
    );
    let msg = gradcheck(wrong, &[randn(&[3], 1)], &GradcheckOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("analytically") && msg.contains("finite differences"),
        "{msg}"
    );
}

#[test]
fn gradcheck_refuses_f32() {
    let x = Tensor::randn(&[3], DType::F32, 0, &device()).unwrap();
    let err = gradcheck(|x| x[0].sum(), &[x], &GradcheckOptions::default()).unwrap_err();
    assert!(err.to_string().contains("to_dtype(DType::F64)"), "{err}");
}

fn add_sub_mul_div_with_broadcasting() {
    let shapes: [(&[usize], &[usize]); 4] = [
        (&[3, 4], &[3, 4]),
        (&[3, 4], &[4]),
        (&[2, 1, 3], &[4, 1]),
        (&[5], &[]),
    ];
    for (i, (a, b)) in shapes.into_iter().enumerate() {
        let seed = 10 * i as u64;
        let (x, y) = (randn(a, seed), randn(b, seed + 1));
        check(|t| t[0].add(&t[1]), &[x.clone(), y.clone()]);
        check(|t| t[0].sub(&t[1]), &[x.clone(), y.clone()]);
        check(|t| t[0].add_scaled(&t[1], -0.7), &[x.clone(), y.clone()]);
        check(|t| t[0].mul(&t[1]), &[x.clone(), y.clone()]);
        check(|t| t[0].div(&t[1]), &[x, positive(b, seed + 2)]);
    }
}

fn scalar_arithmetic_neg_and_pow() {
    for shape in [&[4][..], &[2, 3, 2]] {
        check(
            |t| t[0].add_scalar(1.5)?.mul_scalar(-2.5),
            &[randn(shape, 1)],
        );
        check(|t| t[0].neg(), &[randn(shape, 2)]);
        check(|t| t[0].pow(3.0), &[randn(shape, 3)]);
        check(|t| t[0].pow(-1.5), &[positive(shape, 4)]);
    }
}

fn exp_log_sqrt_abs() {
    for shape in [&[5][..], &[3, 4]] {
        check(|t| t[0].exp(), &[randn(shape, 5)]);
        check(|t| t[0].log(), &[positive(shape, 6)]);
        check(|t| t[0].sqrt(), &[positive(shape, 7)]);
        check(|t| t[0].abs(), &[randn(shape, 8)]);
    }
}

fn activations() {
    for shape in [&[6][..], &[2, 3, 4]] {
        check(|t| t[0].tanh(), &[randn(shape, 9)]);
        check(
            |t| t[0].sigmoid(),
            &[randn(shape, 10).mul_scalar(4.0).unwrap()],
        );
        check(|t| t[0].relu(), &[randn(shape, 11)]);
        check(
            |t| t[0].gelu(),
            &[randn(shape, 12).mul_scalar(2.0).unwrap()],
        );
    }
}

fn matmul_plain_batched_and_broadcast() {
    let cases: [(&[usize], &[usize]); 5] = [
        (&[3, 4], &[4, 2]),
        (&[1, 5], &[5, 3]),
        (&[2, 3, 4], &[2, 4, 5]),
        (&[2, 3, 4], &[4, 2]),
        (&[3, 4], &[2, 4, 2]),
    ];
    for (i, (a, b)) in cases.into_iter().enumerate() {
        check(
            |t| t[0].matmul(&t[1]),
            &[randn(a, 20 + i as u64), randn(b, 30 + i as u64)],
        );
    }
    // Transposed views as operands.
    check(
        |t| t[0].transpose(0, 1)?.matmul(&t[1].transpose(0, 1)?),
        &[randn(&[4, 3], 40), randn(&[2, 4], 41)],
    );
}

fn sum_and_mean_over_all_or_one_axis() {
    for (shape, axis) in [(&[5][..], 0), (&[3, 4][..], 1), (&[2, 3, 4][..], -3)] {
        check(|t| t[0].sum(), &[randn(shape, 50)]);
        check(|t| t[0].mean(), &[randn(shape, 51)]);
        for keepdim in [false, true] {
            check(|t| t[0].sum_axis(axis, keepdim), &[randn(shape, 52)]);
            check(|t| t[0].mean_axis(axis, keepdim), &[randn(shape, 53)]);
        }
    }
}

fn max_over_all_or_one_axis() {
    for (shape, axis) in [(&[7][..], 0), (&[3, 4][..], 0), (&[2, 3, 4][..], -1)] {
        check(|t| t[0].max(), &[randn(shape, 60)]);
        for keepdim in [false, true] {
            check(|t| t[0].max_axis(axis, keepdim), &[randn(shape, 61)]);
        }
    }
}

fn reshape_transpose_permute() {
    check(|t| t[0].reshape(&[6, 2]), &[randn(&[3, 4], 70)]);
    // Reshape of a non-contiguous view copies, and still routes the gradient.
    check(
        |t| t[0].transpose(0, 1)?.reshape(&[12]),
        &[randn(&[3, 4], 71)],
    );
    check(|t| t[0].transpose(-1, 0), &[randn(&[2, 3, 4], 72)]);
    check(
        |t| t[0].permute(&[2, 0, 1])?.contiguous(),
        &[randn(&[2, 3, 4], 73)],
    );
}

fn broadcast_to_and_narrow() {
    check(|t| t[0].broadcast_to(&[3, 4]), &[randn(&[4], 80)]);
    check(|t| t[0].broadcast_to(&[2, 3, 4]), &[randn(&[3, 1], 81)]);
    check(|t| t[0].narrow(1, 1, 2), &[randn(&[3, 4], 82)]);
    check(
        |t| t[0].narrow(-1, 0, 3)?.narrow(0, 1, 1),
        &[randn(&[2, 3, 5], 83)],
    );
}

fn cat_along_each_axis() {
    check(
        |t| Tensor::cat(&[&t[0], &t[1]], 0),
        &[randn(&[2, 3], 90), randn(&[4, 3], 91)],
    );
    check(
        |t| Tensor::cat(&[&t[0], &t[1], &t[2]], -1),
        &[randn(&[2, 1], 92), randn(&[2, 3], 93), randn(&[2, 2], 94)],
    );
}

fn softmax_and_log_softmax() {
    for (shape, axis) in [(&[5][..], 0), (&[3, 4][..], -1), (&[2, 3, 4][..], 1)] {
        check(|t| t[0].softmax(axis), &[randn(shape, 100)]);
        check(|t| t[0].log_softmax(axis), &[randn(shape, 101)]);
    }
}

fn cross_entropy_and_mse() {
    let dev = device();
    for (n, classes, seed) in [(4, 3, 110), (7, 5, 111)] {
        let labels: Vec<i64> = (0..n as i64)
            .map(|i| (i * 7 + seed as i64) % classes as i64)
            .collect();
        let labels = Tensor::from_vec(labels, &[n], &dev).unwrap();
        check(
            |t| t[0].cross_entropy(&t[1]),
            &[randn(&[n, classes], seed), labels],
        );
        check(
            |t| t[0].mse_loss(&t[1]),
            &[
                randn(&[n, classes], seed + 1),
                randn(&[n, classes], seed + 2),
            ],
        );
    }
}

fn where_and_to_dtype() {
    for shape in [&[6][..], &[3, 4]] {
        let cond = randn(shape, 120)
            .gt(&Tensor::zeros(&[], DType::F64, &device()).unwrap())
            .unwrap();
        check(
            |t| cond.where_cond(&t[0], &t[1]),
            &[randn(shape, 121), randn(&[1], 122)],
        );
        // Through f32 and back. A 1e-6 step is below f32's resolution, but the function is
        // linear, so a 1e-2 step is exact up to f32 rounding (about 1e-7 / 1e-2 = 1e-5).
        let loose = GradcheckOptions {
            eps: 1e-2,
            atol: 1e-4,
            rtol: 1e-3,
        };
        let f = |t: &[Tensor]| {
            t[0].to_dtype(DType::F32)?
                .mul_scalar(3.0)?
                .to_dtype(DType::F64)
        };
        check_with(f, &[randn(shape, 123)], &loose);
    }
}

fn mlp_loss_with_respect_to_every_parameter() {
    let dev = device();
    let x = randn(&[6, 3], 130);
    let labels = Tensor::from_vec(vec![0i64, 2, 1, 1, 0, 2], &[6], &dev).unwrap();
    let params = [
        randn(&[3, 5], 131),
        randn(&[5], 132),
        randn(&[5, 3], 133),
        randn(&[3], 134),
    ];
    let mlp = |p: &[Tensor]| -> Result<Tensor> {
        let hidden = x.matmul(&p[0])?.add(&p[1])?.tanh()?;
        hidden.matmul(&p[2])?.add(&p[3])?.cross_entropy(&labels)
    };
    check(mlp, &params);
    // And a regression head through gelu and mse, differentiating the input too.
    let target = randn(&[6, 3], 135);
    let mut inputs = params.to_vec();
    inputs.push(x.clone());
    check(
        |p| {
            p[4].matmul(&p[0])?
                .add(&p[1])?
                .gelu()?
                .matmul(&p[2])?
                .add(&p[3])?
                .mse_loss(&target)
        },
        &inputs,
    );
}

fn trigonometry_logarithms_and_powers() {
    for shape in [&[5][..], &[2, 3]] {
        check(|t| t[0].sin(), &[randn(shape, 140)]);
        check(|t| t[0].cos(), &[randn(shape, 141)]);
        check(|t| t[0].log1p(), &[positive(shape, 142)]);
        check(|t| t[0].expm1(), &[randn(shape, 143)]);
        check(|t| t[0].reciprocal(), &[positive(shape, 144)]);
        check(|t| t[0].rsqrt(), &[positive(shape, 145)]);
        check(|t| t[0].square(), &[randn(shape, 146)]);
        check(|t| t[0].sign(), &[randn(shape, 147)]);
        check(|t| t[0].rdiv(2.5), &[positive(shape, 148)]);
        check(
            |t| t[0].sub_scalar(1.5)?.div_scalar(-2.0)?.rsub(0.5),
            &[randn(shape, 149)],
        );
    }
}

fn more_activations_and_clamp() {
    for shape in [&[6][..], &[2, 3, 2]] {
        let x = randn(shape, 150).mul_scalar(2.0).unwrap();
        check(|t| t[0].silu(), std::slice::from_ref(&x));
        check(|t| t[0].softplus(), std::slice::from_ref(&x));
        check(|t| t[0].leaky_relu(0.1), std::slice::from_ref(&x));
        check(|t| t[0].elu(0.7), std::slice::from_ref(&x));
        check(
            |t| t[0].clamp(Some(-0.5), Some(0.8)),
            std::slice::from_ref(&x),
        );
        check(|t| t[0].clamp(None, Some(0.3)), std::slice::from_ref(&x));
        check(|t| t[0].clamp(Some(-0.2), None), std::slice::from_ref(&x));
    }
}

fn maximum_and_minimum_with_broadcasting_and_ties() {
    let shapes: [(&[usize], &[usize]); 3] =
        [(&[3, 4], &[3, 4]), (&[3, 4], &[4]), (&[2, 1, 3], &[4, 1])];
    for (i, (a, b)) in shapes.into_iter().enumerate() {
        let (x, y) = (randn(a, 160 + i as u64), randn(b, 170 + i as u64));
        check(|t| t[0].maximum(&t[1]), &[x.clone(), y.clone()]);
        check(|t| t[0].minimum(&t[1]), &[x, y]);
    }
    // On ties the gradient is split evenly, which is what central differences give there too
    // (the second derivative is not defined at a tie, so only the first is checked).
    let x = randn(&[4], 180);
    let mut y = values(&x);
    y[1] += 1.0;
    let y = Tensor::from_vec(y, &[4], &device()).unwrap();
    for f in [Tensor::maximum, Tensor::minimum] {
        gradcheck(
            |t| f(&t[0], &t[1]),
            &[x.clone(), y.clone()],
            &GradcheckOptions::default(),
        )
        .unwrap();
    }
}

fn axes_added_removed_merged_and_split() {
    let x = randn(&[2, 1, 3], 190);
    check(
        |t| t[0].unsqueeze(0)?.unsqueeze(-1),
        std::slice::from_ref(&x),
    );
    check(|t| t[0].squeeze(1), std::slice::from_ref(&x));
    check(
        |t| Ok(t[0].transpose(0, 2)?.squeeze_all()),
        std::slice::from_ref(&x),
    );
    check(|t| t[0].flatten(0, -1), std::slice::from_ref(&x));
    check(
        |t| t[0].transpose(0, 2)?.flatten(1, 2),
        std::slice::from_ref(&x),
    );
    check(|t| t[0].reshape_infer(&[-1, 2]), std::slice::from_ref(&x));
    check(|t| t[0].expand(&[4, -1, 5, -1]), &[randn(&[2, 1, 3], 191)]);
    check(
        |t| Tensor::stack(&[&t[0], &t[1], &t[0]], 1),
        &[randn(&[2, 3], 192), randn(&[2, 3], 193)],
    );
    // Parts of a split, weighted differently so that each routes its own gradient.
    let weighted = |parts: Vec<Tensor>| -> Result<Tensor> {
        let mut total = parts[0].sum()?;
        for (i, part) in parts.iter().enumerate().skip(1) {
            total = total.add(&part.square()?.sum()?.mul_scalar(i as f64 + 1.0)?)?;
        }
        Ok(total)
    };
    check(|t| weighted(t[0].split(2, 1)?), &[randn(&[3, 5], 194)]);
    check(|t| weighted(t[0].chunk(3, 0)?), &[randn(&[7, 2], 195)]);
}

fn min_var_std_logsumexp_and_norms() {
    for (shape, axis) in [(&[6][..], 0), (&[3, 4][..], 1), (&[2, 3, 2][..], -2)] {
        let x = randn(shape, 200);
        check(|t| t[0].min(), std::slice::from_ref(&x));
        check(|t| t[0].min_axis(axis, true), std::slice::from_ref(&x));
        check(|t| t[0].var(1.0), std::slice::from_ref(&x));
        check(
            |t| t[0].var_axis(axis, 0.0, false),
            std::slice::from_ref(&x),
        );
        check(|t| t[0].std(1.0), std::slice::from_ref(&x));
        check(|t| t[0].std_axis(axis, 1.0, true), std::slice::from_ref(&x));
        check(|t| t[0].logsumexp(axis, false), std::slice::from_ref(&x));
        for p in [1.0, 2.0, 3.0, f64::INFINITY] {
            check(|t| t[0].norm(p), std::slice::from_ref(&x));
            check(|t| t[0].norm_axis(p, axis, false), std::slice::from_ref(&x));
        }
    }
}

fn losses_with_every_reduction() {
    let dev = device();
    for (n, classes, seed) in [(5, 3, 210), (8, 4, 211)] {
        let labels: Vec<i64> = (0..n as i64)
            .map(|i| (i * 5 + 1) % classes as i64)
            .collect();
        let labels = Tensor::from_vec(labels, &[n], &dev).unwrap();
        let logits = randn(&[n, classes], seed);
        let (pred, target) = (
            randn(&[n, classes], seed + 1),
            randn(&[n, classes], seed + 2),
        );
        let probabilities = Tensor::rand(&[n, classes], DType::F64, seed + 3, &dev).unwrap();
        for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
            let options = CrossEntropyOptions {
                ignore_index: Some(2),
                label_smoothing: 0.1,
                reduction,
            };
            check(
                |t| t[0].cross_entropy_with(&t[1], &options),
                &[logits.clone(), labels.clone()],
            );
            check(
                |t| t[0].log_softmax(1)?.nll_loss(&t[1], reduction),
                &[logits.clone(), labels.clone()],
            );
            check(
                |t| t[0].l1_loss(&t[1], reduction),
                &[pred.clone(), target.clone()],
            );
            check(
                |t| t[0].smooth_l1_loss(&t[1], 0.8, reduction),
                &[pred.clone(), target.clone()],
            );
            check(
                |t| t[0].huber_loss(&t[1], 0.5, reduction),
                &[pred.clone(), target.clone()],
            );
            check(
                |t| t[0].binary_cross_entropy_with_logits(&t[1], reduction),
                &[pred.clone(), probabilities.clone()],
            );
        }
    }
}

fn matmul_of_every_rank() {
    let cases: [(&[usize], &[usize]); 7] = [
        (&[4], &[4]),
        (&[3], &[3, 2]),
        (&[2, 3], &[3]),
        (&[2, 2, 3], &[3]),
        (&[3], &[2, 3, 2]),
        (&[2, 1, 2, 3], &[3, 3, 2]),
        (&[2, 3, 2, 3], &[1, 3, 3, 2]),
    ];
    for (i, (a, b)) in cases.into_iter().enumerate() {
        check(
            |t| t[0].matmul(&t[1]),
            &[randn(a, 220 + i as u64), randn(b, 230 + i as u64)],
        );
    }
}

fn gather_scatter_add_index_select_and_masked_fill() {
    let dev = device();
    let ints = |v: Vec<i64>, shape: &[usize]| Tensor::from_vec(v, shape, &dev).unwrap();
    // Repeated indices accumulate their gradients; an index narrower than the source is fine.
    let index = ints(vec![2, 0, 2, 1, 1, 1], &[2, 3]);
    check(
        |t| t[0].gather(1, &t[1]),
        &[randn(&[2, 4], 240), index.clone()],
    );
    check(
        |t| t[0].gather(0, &t[1]),
        &[randn(&[3, 5], 241), index.clone()],
    );
    check(
        |t| t[0].scatter_add(1, &t[2], &t[1]),
        &[randn(&[2, 4], 242), randn(&[2, 3], 243), index.clone()],
    );
    let ids = ints(vec![3, 0, 3, 1], &[4]);
    check(
        |t| t[0].index_select(0, &t[1]),
        &[randn(&[5, 3], 244), ids.clone()],
    );
    check(
        |t| t[0].index_select(-1, &t[1]),
        &[randn(&[2, 4], 245), ids],
    );
    let mask = randn(&[3], 246).gt_scalar(0.0).unwrap();
    check(|t| t[0].masked_fill(&mask, -1.5), &[randn(&[2, 3], 247)]);
}

fn sort_and_topk_values() {
    for (shape, axis) in [(&[6][..], 0), (&[3, 4][..], 1), (&[3, 4][..], 0)] {
        check(|t| Ok(t[0].sort(axis, false)?.0), &[randn(shape, 250)]);
        check(|t| Ok(t[0].sort(axis, true)?.0), &[randn(shape, 251)]);
        check(|t| Ok(t[0].topk(2, axis, true)?.0), &[randn(shape, 252)]);
        check(|t| Ok(t[0].topk(2, axis, false)?.0), &[randn(shape, 253)]);
    }
}

fn cumsum_along_each_axis() {
    for (shape, axis) in [
        (&[6][..], 0),
        (&[3, 4][..], 1),
        (&[3, 4][..], 0),
        (&[2, 3, 2][..], -2),
    ] {
        check(|t| t[0].cumsum(axis), &[randn(shape, 260)]);
        check(|t| t[0].cumsum(axis)?.square(), &[randn(shape, 261)]);
    }
}

fn prod_with_and_without_zeros() {
    for (shape, axis) in [(&[5][..], 0), (&[3, 4][..], 1), (&[2, 3, 2][..], 0)] {
        let x = randn(shape, 270);
        check(|t| t[0].prod(), std::slice::from_ref(&x));
        check(|t| t[0].prod_axis(axis, false), std::slice::from_ref(&x));
    }
    // One zero in a row and two in another: the gradient is the product of the others. (Its
    // own derivative is not exact there, see Tensor::prod: first order only.)
    let x = Tensor::from_vec(
        vec![
            0.5, 0.0, -1.5, 2.0, 0.0, 0.0, 1.25, -0.75, 0.8, 1.1, -0.6, 0.9,
        ],
        &[3, 4],
        &device(),
    )
    .unwrap();
    let options = GradcheckOptions::default();
    gradcheck(
        |t| t[0].prod_axis(1, true),
        std::slice::from_ref(&x),
        &options,
    )
    .unwrap();
    gradcheck(|t| t[0].prod(), &[x], &options).unwrap();
}

fn convolution_and_pooling() {
    for (stride, padding, dilation) in [(1, 0, 1), (2, 1, 1), (1, 1, 2)] {
        let o = Conv2dOptions {
            stride,
            padding,
            dilation,
        };
        let inputs = [
            randn(&[2, 2, 5, 4], 280),
            randn(&[3, 2, 2, 2], 281),
            randn(&[3], 282),
        ];
        check(|t| t[0].conv2d(&t[1], Some(&t[2]), o), &inputs);
        // Squared, so that the second derivative in the input is not zero.
        check(|t| t[0].conv2d(&t[1], None, o)?.square(), &inputs[..2]);
        let x = [randn(&[1, 2, 5, 5], 283)];
        check(|t| t[0].max_pool2d(2, o)?.square(), &x);
        check(|t| t[0].avg_pool2d(3, o)?.square(), &x);
    }
}
