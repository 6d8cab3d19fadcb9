//! The CPU's fast kernels: the same results on every thread count, and against f64 references.

mod common;

use std::path::Path;
use std::process::Command;

use common::{assert_close, scratch, values};
use wgrad::{DType, Device, Tensor, npz};

fn f32_randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, DType::F32, seed, &Device::cpu()).unwrap()
}

/// A matmul large enough to be split across threads (m n k = 36M; its right operand a
/// transposed view, read in place), another split along its rows rather than its columns, a
/// chain of elementwise ops on 512K elements, and softmax and log_softmax along the last axis
/// of [10000, 27] (the fused kernel, split by rows): the kernels that divide work among threads.
fn split_kernels() -> Vec<(&'static str, Tensor)> {
    let a = f32_randn(&[400, 300], 1);
    let b = f32_randn(&[300, 300], 2).transpose(0, 1).unwrap();
    let tall = f32_randn(&[900, 300], 6);
    let x = f32_randn(&[1 << 19], 3);
    let y = f32_randn(&[1 << 19], 4);
    let rows = f32_randn(&[10_000, 27], 5).mul_scalar(4.0).unwrap();
    vec![
        ("matmul", a.matmul(&b).unwrap()),
        (
            "matmul_by_rows",
            tall.matmul(&b.narrow(1, 0, 100).unwrap().contiguous().unwrap())
                .unwrap(),
        ),
        (
            "elementwise",
            x.exp().unwrap().mul(&y).unwrap().tanh().unwrap(),
        ),
        ("softmax", rows.softmax(-1).unwrap()),
        ("log_softmax", rows.log_softmax(-1).unwrap()),
    ]
}

/// Run as a child by the test below, with `WGRAD_NUM_THREADS` set: saves `split_kernels()`.
#[test]
fn child_saves_the_split_kernels() {
    if let Some(path) = std::env::var_os("WGRAD_SPLIT_CHILD") {
        let results = split_kernels();
        let named: Vec<(&str, &Tensor)> = results.iter().map(|(n, t)| (*n, t)).collect();
        npz::save(Path::new(&path), &named).unwrap();
    }
}

/// `split_kernels()` computed in a child process on `threads` threads.
fn on_threads(threads: usize, dir: &Path) -> Vec<(String, Vec<f64>)> {
    let path = dir.join(format!("threads-{threads}.npz"));
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_saves_the_split_kernels", "--quiet"])
        .env("WGRAD_SPLIT_CHILD", &path)
        .env("WGRAD_NUM_THREADS", threads.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "the child on {threads} threads failed");
    npz::load(&path, &Device::cpu())
        .unwrap()
        .into_iter()
        .map(|(name, t)| (name, values(&t)))
        .collect()
}

#[test]
fn split_kernels_are_bit_identical_on_one_two_and_three_threads() {
    let dir = scratch("cpu-threads");
    let one = on_threads(1, &dir);
    assert_eq!(one.len(), 5);
    for threads in [2, 3] {
        for ((name, a), (_, b)) in one.iter().zip(on_threads(threads, &dir)) {
            assert!(*a == b, "{name}: {threads} threads differ from one");
        }
    }
    // And right: against f64 and against the composed (unfused) path.
    let here = split_kernels();
    for ((name, expected), (_, got)) in here.iter().zip(&one) {
        assert_eq!(
            &values(expected),
            got,
            "{name}: this process differs from the child"
        );
    }
    let a = f32_randn(&[400, 300], 1);
    let b = f32_randn(&[300, 300], 2).transpose(0, 1).unwrap();
    let wide = |t: &Tensor| t.to_dtype(DType::F64).unwrap();
    let reference = values(&wide(&a).matmul(&wide(&b)).unwrap());
    assert_close(&one[0].1, &reference, 1e-4);
    let rows = f32_randn(&[10_000, 27], 5).mul_scalar(4.0).unwrap();
    let columns = rows.transpose(0, 1).unwrap();
    let composed = |t: Tensor| values(&t.transpose(0, 1).unwrap());
    assert_close(&one[3].1, &composed(columns.softmax(0).unwrap()), 1e-5);
    assert_close(&one[4].1, &composed(columns.log_softmax(0).unwrap()), 1e-5);
}

/// An f32's position on the number line in ulps (-0 and +0 both at 0).
fn ulp_position(x: f32) -> i64 {
    let bits = i64::from(x.to_bits() & 0x7fff_ffff);
    if x.is_sign_negative() { -bits } else { bits }
}

/// Every 251st f32 bit pattern (both signs, subnormals, infinities and NaNs among them), and
/// the edges where the functions change regime or leave the f32 range.
fn f32_sweep() -> Vec<f32> {
    let mut xs: Vec<f32> = (0..=u32::MAX).step_by(251).map(f32::from_bits).collect();
    xs.extend([
        0.0,
        -0.0,
        f32::MIN_POSITIVE,
        1e-45,
        f32::MAX,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        88.72283,
        88.72284,
        -87.33654,
        -103.97208,
        -104.0,
        0.625,
        -0.625,
        std::f32::consts::FRAC_1_SQRT_2,
        1.0,
    ]);
    xs
}

/// Asserts that wgrad's f32 `op` is within `max_ulp` of `reference` (computed in f64, then
/// rounded) at every point of the sweep, and NaN exactly where the reference is.
fn assert_within_ulp(
    name: &str,
    op: impl Fn(&Tensor) -> wgrad::Result<Tensor>,
    reference: impl Fn(f64) -> f64,
    max_ulp: i64,
) {
    let xs = f32_sweep();
    let n = xs.len();
    let input = Tensor::from_vec(xs.clone(), &[n], &Device::cpu()).unwrap();
    let got = op(&input).unwrap().to_ndarray::<f32>().unwrap();
    let mut worst = (0, 0.0f32);
    for (&x, &y) in xs.iter().zip(got.iter()) {
        let want = reference(f64::from(x)) as f32;
        if want.is_nan() || y.is_nan() {
            assert!(
                want.is_nan() && y.is_nan(),
                "{name}({x:e}) = {y:e}, not {want:e}"
            );
            continue;
        }
        let ulps = (ulp_position(y) - ulp_position(want)).abs();
        if ulps > worst.0 {
            worst = (ulps, x);
        }
    }
    assert!(
        worst.0 <= max_ulp,
        "{name}: {} ulp at x = {:e} (allowed {max_ulp})",
        worst.0,
        worst.1
    );
}

#[test]
fn f32_transcendentals_are_within_two_ulp_of_f64_over_the_whole_range() {
    assert_within_ulp("exp", Tensor::exp, f64::exp, 2);
    assert_within_ulp("log", Tensor::log, f64::ln, 2);
    assert_within_ulp("tanh", Tensor::tanh, f64::tanh, 2);
    let sigmoid = |x: f64| {
        if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            x.exp() / (1.0 + x.exp())
        }
    };
    assert_within_ulp("sigmoid", Tensor::sigmoid, sigmoid, 2);
}
