//! The CPU's fast kernels: the same results on every thread count, and against f64 references.

mod common;

use common::{assert_close, values};
use wgrad::{DType, Device, Tensor};

/// `f` run on a rayon pool of `threads` threads (the pool the CPU kernels split work across).
fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

fn f32_randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, DType::F32, seed, &Device::cpu()).unwrap()
}

#[test]
fn a_large_matmul_is_bit_identical_on_one_two_and_three_threads_and_matches_f64() {
    // Large enough (m n k = 36M, above the 16M from which wgrad threads a product) for the GEMM
    // to split it across threads; the right operand is a transposed view, read in place.
    let a = f32_randn(&[400, 300], 1);
    let b = f32_randn(&[300, 300], 2).transpose(0, 1).unwrap();
    let product = |threads| values(&on_threads(threads, || a.matmul(&b).unwrap()));
    let one = product(1);
    assert_eq!(one, product(2), "two threads differ from one");
    assert_eq!(one, product(3), "three threads differ from one");
    let wide = |t: &Tensor| t.to_dtype(DType::F64).unwrap();
    let reference = values(&wide(&a).matmul(&wide(&b)).unwrap());
    assert_close(&one, &reference, 1e-4);
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

#[test]
fn large_elementwise_ops_are_bit_identical_on_one_two_and_three_threads() {
    let x = f32_randn(&[1 << 19], 3);
    let y = f32_randn(&[1 << 19], 4);
    let run = |threads| {
        values(&on_threads(threads, || {
            x.exp().unwrap().mul(&y).unwrap().tanh().unwrap()
        }))
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

#[test]
fn fused_softmaxes_match_the_composed_path_and_every_thread_count() {
    // [rows, 27] along the last axis takes the fused kernel (split across threads: 270,000
    // elements); the same values as a transposed view along axis 0 take the composed one.
    let x = f32_randn(&[10_000, 27], 5).mul_scalar(4.0).unwrap();
    let xt = x.transpose(0, 1).unwrap();
    for log in [false, true] {
        let fused = |threads| {
            on_threads(threads, || {
                if log {
                    x.log_softmax(-1)
                } else {
                    x.softmax(-1)
                }
                .unwrap()
            })
        };
        let composed = if log {
            xt.log_softmax(0)
        } else {
            xt.softmax(0)
        }
        .unwrap();
        let one = values(&fused(1));
        assert_eq!(one, values(&fused(2)));
        assert_close(&one, &values(&composed.transpose(0, 1).unwrap()), 1e-5);
    }
}
