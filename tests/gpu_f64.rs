//! f64 and u32 on the GPU against the CPU: the f64 transcendental functions (polynomials in
//! shaders/math_f64.wgsl, as Vulkan's built-ins take 16- and 32-bit floats only) within a few
//! ulp of Rust's, over random inputs and the edges (zeros, subnormals, infinities, NaN, the ends
//! of exp's range); scalars passed to kernels at full f64 precision; reductions, matmul, casts
//! and the indexing kernels in f64; u32's arithmetic, comparisons, sums and casts exactly.
//!
//! Every differentiable op's gradients on the GPU in f64 against finite differences are in
//! tests/gradcheck_ops.rs. Without a GPU, or without SHADER_F64, these tests print why and pass,
//! unless WGRAD_REQUIRE_GPU=1 (CI sets it) finds no adapter at all.

mod common;

use common::{Rng, cpu, gpu_f64_or_skip as gpu_f64, gpu_or_skip, values};
use wgrad::{DType, Device, Result, Tensor};

/// Distance in units in the last place, with NaN equal to NaN and infinities exact.
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() || a == b {
        return 0;
    }
    if a.is_nan() || b.is_nan() || a.is_infinite() || b.is_infinite() || a.signum() != b.signum() {
        return u64::MAX;
    }
    a.to_bits().abs_diff(b.to_bits())
}

/// Random values of every magnitude from 1e-6 to 1e6, either sign, then the edges of `extra`.
fn inputs(seed: u64, n: usize, extra: &[f64]) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut values: Vec<f64> = (0..n)
        .map(|_| {
            let magnitude = 10f64.powf(rng.below(12_000) as f64 / 1000.0 - 6.0);
            let fraction = 1.0 + rng.below(1 << 20) as f64 / (1 << 20) as f64;
            if rng.chance(50) {
                -magnitude * fraction
            } else {
                magnitude * fraction
            }
        })
        .collect();
    values.extend_from_slice(extra);
    values
}

/// `op` on the GPU within `max_ulps` of `reference` wherever the reference is a normal number
/// (a GPU may flush subnormal results to zero), and NaN or infinite exactly where it is.
fn check_unary(
    gpu: &Device,
    name: &str,
    op: fn(&Tensor) -> Result<Tensor>,
    reference: fn(f64) -> f64,
    xs: &[f64],
    max_ulps: u64,
) {
    let x = Tensor::from_vec(xs.to_vec(), &[xs.len()], gpu).unwrap();
    let got = values(&op(&x).unwrap());
    for (&x, &g) in xs.iter().zip(&got) {
        let want = reference(x);
        if want != 0.0 && want.abs() < f64::MIN_POSITIVE {
            assert!(g.abs() < 1e-300, "{name}({x:e}) = {g:e}, want {want:e}");
            continue;
        }
        let distance = ulps(g, want);
        assert!(
            distance <= max_ulps || (want == 0.0 && g.abs() < 1e-300),
            "{name}({x:e}) = {g:e} on the GPU, {want:e} in Rust: {distance} ulp apart (at most {max_ulps})"
        );
    }
}

#[test]
fn f64_transcendentals_are_within_a_few_ulp() {
    let Some(gpu) = gpu_f64() else { return };
    let edges = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        5e-324,
        1e-310,
        1e-300,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        709.78,
        -709.78,
        -745.0,
        710.0,
        -746.0,
        0.5f64.ln(),
        std::f64::consts::PI,
        -std::f64::consts::FRAC_PI_2,
        0.28,
        0.4,
        -0.28,
    ];
    let xs = inputs(1, 3000, &edges);
    // exp's argument error grows with |x| (the ulp of x), as for any implementation.
    let small: Vec<f64> = xs.iter().copied().filter(|x| x.abs() < 700.0).collect();
    check_unary(&gpu, "exp", Tensor::exp, f64::exp, &small, 4);
    check_unary(&gpu, "expm1", Tensor::expm1, f64::exp_m1, &small, 4);
    check_unary(&gpu, "log", Tensor::log, f64::ln, &xs, 4);
    check_unary(&gpu, "log1p", Tensor::log1p, f64::ln_1p, &xs, 4);
    // Cody-Waite reduction keeps full accuracy while k pi/2 is exact: |x| below about 1.6e6;
    // beyond, the results stay within [-1, 1].
    let reducible: Vec<f64> = xs
        .iter()
        .copied()
        .filter(|x| x.is_nan() || x.abs() < 1.6e6)
        .collect();
    check_unary(&gpu, "sin", Tensor::sin, f64::sin, &reducible, 4);
    check_unary(&gpu, "cos", Tensor::cos, f64::cos, &reducible, 4);
    let huge = Tensor::from_vec(vec![1.7e6, -3e9, 1e17, -1e300, f64::MAX], &[5], &gpu).unwrap();
    for op in [Tensor::sin, Tensor::cos] {
        let got = values(&op(&huge).unwrap());
        assert!(got.iter().all(|v| v.abs() <= 1.0), "{got:?}");
    }
    check_unary(&gpu, "tanh", Tensor::tanh, f64::tanh, &xs, 6);
    check_unary(
        &gpu,
        "sigmoid",
        Tensor::sigmoid,
        |x| 1.0 / (1.0 + (-x).exp()),
        &small,
        6,
    );
    check_unary(&gpu, "sqrt", Tensor::sqrt, f64::sqrt, &xs, 1);
    check_unary(&gpu, "x^2.5", |t| t.pow(2.5), |x| x.powf(2.5), &small, 2048);
    check_unary(&gpu, "x^-3", |t| t.pow(-3.0), |x| x.powi(-3), &small, 2048);
}

#[test]
fn f64_scalars_reach_kernels_at_full_precision() {
    let Some(gpu) = gpu_f64() else { return };
    let xs = inputs(2, 500, &[0.0, 1.0]);
    let x_cpu = Tensor::from_vec(xs.clone(), &[xs.len()], &cpu()).unwrap();
    let x_gpu = x_cpu.to(&gpu).unwrap();
    // Scales and shifts that f32 would round, overflow or flush: each product must be the CPU's
    // to the ulp (a GPU may fuse x * a + b into one rounding: 1 ulp).
    for (scale, shift) in [
        (0.1, 1.0 / 3.0),
        (1e300, 0.0),
        (1e-310, -5e-324),
        (-std::f64::consts::E, 1e-20),
    ] {
        let on = |x: &Tensor| values(&x.mul_scalar(scale).unwrap().add_scalar(shift).unwrap());
        for (i, (g, c)) in on(&x_gpu).iter().zip(on(&x_cpu)).enumerate() {
            assert!(
                ulps(*g, c) <= 1 || (c.abs() < f64::MIN_POSITIVE && g.abs() < 1e-300),
                "x * {scale:e} + {shift:e} at {i}: {g:e} on the GPU, {c:e} on the CPU"
            );
        }
    }
    let clamped = values(&x_gpu.clamp(Some(-1e-7 / 3.0), Some(1e200)).unwrap());
    let expected = values(&x_cpu.clamp(Some(-1e-7 / 3.0), Some(1e200)).unwrap());
    assert_eq!(clamped, expected, "clamp's bounds are exact");
}

#[test]
fn f64_reductions_matmul_casts_and_indexing_match_the_cpu() {
    let Some(gpu) = gpu_f64() else { return };
    let x_cpu = Tensor::randn(&[37, 300], DType::F64, 3, &cpu()).unwrap();
    let x_gpu = x_cpu.to(&gpu).unwrap();
    let w_cpu = Tensor::randn(&[300, 21], DType::F64, 4, &cpu()).unwrap();
    let w_gpu = w_cpu.to(&gpu).unwrap();
    let close = |name: &str, g: Tensor, c: Tensor, tol: f64| {
        assert_eq!(g.dtype(), c.dtype(), "{name}: dtype");
        assert_eq!(g.shape(), c.shape(), "{name}: shape");
        let (g, c) = (values(&g), values(&c));
        for (i, (g, c)) in g.iter().zip(&c).enumerate() {
            assert!(
                (g - c).abs() <= tol * (1.0 + c.abs()),
                "{name}: element {i} is {g} on the GPU and {c} on the CPU"
            );
        }
    };
    type Op = fn(&Tensor, &Tensor) -> Result<Tensor>;
    let ops: [(&str, Op, f64); 12] = [
        ("sum", |x, _| x.sum(), 1e-12),
        ("sum over rows", |x, _| x.sum_axis(1, false), 1e-13),
        ("sum over columns", |x, _| x.sum_axis(0, true), 1e-13),
        // Over 32K elements a reduction takes two passes.
        (
            "sum of 33K",
            |x, _| Tensor::cat(&[x, x, x], 0)?.sum(),
            1e-12,
        ),
        ("max", |x, _| x.max_axis(1, false), 0.0),
        (
            "prod",
            |x, _| x.narrow(1, 0, 30)?.prod_axis(1, false),
            1e-14,
        ),
        ("matmul", |x, w| x.matmul(w), 1e-13),
        (
            "matmul of a transposed view",
            |x, w| w.transpose(0, 1)?.matmul(&x.transpose(0, 1)?),
            1e-13,
        ),
        ("argmax", |x, _| x.argmax(1, false), 0.0),
        ("sort", |x, _| Ok(x.narrow(0, 0, 5)?.sort(1, true)?.0), 0.0),
        ("cumsum", |x, _| x.cumsum(1), 1e-13),
        (
            "gather",
            |x, _| {
                let index = x
                    .narrow(1, 0, 4)?
                    .abs()?
                    .mul_scalar(50.0)?
                    .to_dtype(DType::I64)?;
                x.gather(1, &index)
            },
            0.0,
        ),
    ];
    for (name, op, tol) in ops {
        close(
            name,
            op(&x_gpu, &w_gpu).unwrap(),
            op(&x_cpu, &w_cpu).unwrap(),
            tol,
        );
    }
    let scale = Tensor::from_vec(vec![1e12f64], &[], &cpu()).unwrap();
    let big_cpu = x_cpu.mul(&scale).unwrap();
    let big_gpu = big_cpu.to(&gpu).unwrap();
    for dtype in [
        DType::F32,
        DType::F16,
        DType::I32,
        DType::I64,
        DType::Bool,
        DType::U32,
    ] {
        let source = if matches!(dtype, DType::I64) {
            &big_gpu
        } else {
            &x_gpu
        };
        let reference = if matches!(dtype, DType::I64) {
            &big_cpu
        } else {
            &x_cpu
        };
        let there = source.to_dtype(dtype).unwrap();
        close(
            &format!("to {dtype}"),
            there.clone(),
            reference.to_dtype(dtype).unwrap(),
            0.0,
        );
        close(
            &format!("{dtype} to f64"),
            there.to_dtype(DType::F64).unwrap(),
            reference
                .to_dtype(dtype)
                .unwrap()
                .to_dtype(DType::F64)
                .unwrap(),
            0.0,
        );
    }
}

#[test]
fn u32_computes_natively_on_the_gpu() {
    let Some(gpu) = gpu_or_skip() else { return };
    let mut rng = Rng::new(5);
    let values: Vec<u32> = (0..1000).map(|_| rng.next() as u32).collect();
    let other: Vec<u32> = (0..1000)
        .map(|_| rng.next() as u32 >> rng.below(32))
        .collect();
    let a_cpu = Tensor::from_vec(values, &[40, 25], &cpu()).unwrap();
    let b_cpu = Tensor::from_vec(other, &[40, 25], &cpu()).unwrap();
    let (a_gpu, b_gpu) = (a_cpu.to(&gpu).unwrap(), b_cpu.to(&gpu).unwrap());
    type Op = fn(&Tensor, &Tensor) -> Result<Tensor>;
    let ops: [(&str, Op); 14] = [
        ("add (wrapping)", Tensor::add),
        ("sub (wrapping)", Tensor::sub),
        ("mul (wrapping)", Tensor::mul),
        ("maximum", Tensor::maximum),
        ("minimum", Tensor::minimum),
        ("lt", Tensor::lt),
        ("eq", |a, b| a.eq(&b.maximum(a)?)),
        ("sum in i64", |a, _| a.sum()),
        ("sum over an axis", |a, _| a.sum_axis(0, false)),
        ("max", |a, _| a.max_axis(1, true)),
        ("argmax", |a, _| a.argmax(1, false)),
        ("to f32", |a, _| a.to_dtype(DType::F32)),
        ("to i64 and back", |a, _| {
            a.to_dtype(DType::I64)?.to_dtype(DType::U32)
        }),
        ("a broadcast row", |a, b| a.add(&b.narrow(0, 3, 1)?)),
    ];
    for (name, op) in ops {
        let (g, c) = (op(&a_gpu, &b_gpu).unwrap(), op(&a_cpu, &b_cpu).unwrap());
        assert_eq!(g.device(), gpu, "{name}: stays on the GPU");
        assert_eq!(g.dtype(), c.dtype(), "{name}: dtype");
        let host = g.to(&cpu()).unwrap();
        assert_eq!(
            host.to_ndarray_dyn().unwrap(),
            c.to_ndarray_dyn().unwrap(),
            "{name}"
        );
    }
}
