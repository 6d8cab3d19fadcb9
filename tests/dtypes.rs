//! The integer dtypes beyond i32, i64 and u8 (i8, i16, u16, u32, u64) and complex128 on the
//! CPU: arithmetic, comparisons, sums and casts against Rust's own arithmetic on random
//! values, and a clear refusal on the GPU.

mod common;

use std::fmt::Debug;

use common::{Rng, cpu, gpu_or_skip};
use num_complex::Complex64;
use wgrad::{DType, Element, Error, Tensor};

/// Random integers of `T` (the bits of the generator, wrapped into the type).
fn random<T: Element>(n: usize, seed: u64, wrap: impl Fn(u64) -> T) -> Vec<T> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| wrap(rng.next())).collect()
}

/// Checks `a op b` elementwise for the four operations, the comparisons, the sum and the casts
/// of one integer type against Rust's wrapping arithmetic.
fn check_integers<T>(wrap: impl Fn(u64) -> T, to_i64: impl Fn(T) -> i64)
where
    T: Element
        + Debug
        + PartialOrd
        + Copy
        + num_traits::WrappingAdd
        + num_traits::WrappingSub
        + num_traits::WrappingMul
        + num_traits::Zero,
{
    let n = 97;
    let (a, mut b) = (random(n, 1, &wrap), random(n, 2, &wrap));
    b.iter_mut()
        .filter(|x| x.is_zero())
        .for_each(|x| *x = wrap(3)); // no division by zero
    let (ta, tb) = (
        Tensor::from_vec(a.clone(), &[n], &cpu()).unwrap(),
        Tensor::from_vec(b.clone(), &[n], &cpu()).unwrap(),
    );
    let dtype = T::DTYPE;
    let out = |t: Tensor| t.to_ndarray::<T>().unwrap().into_iter().collect::<Vec<T>>();
    let zip = |f: &dyn Fn(T, T) -> T| a.iter().zip(&b).map(|(&x, &y)| f(x, y)).collect::<Vec<T>>();
    assert_eq!(
        out(ta.add(&tb).unwrap()),
        zip(&|x, y| x.wrapping_add(&y)),
        "{dtype} add"
    );
    assert_eq!(
        out(ta.sub(&tb).unwrap()),
        zip(&|x, y| x.wrapping_sub(&y)),
        "{dtype} sub"
    );
    assert_eq!(
        out(ta.mul(&tb).unwrap()),
        zip(&|x, y| x.wrapping_mul(&y)),
        "{dtype} mul"
    );
    let lt: Vec<bool> = a.iter().zip(&b).map(|(x, y)| x < y).collect();
    let got: Vec<bool> = ta
        .lt(&tb)
        .unwrap()
        .to_ndarray::<bool>()
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(got, lt, "{dtype} lt");
    let sum: i64 = a.iter().map(|&x| to_i64(x)).fold(0i64, i64::wrapping_add);
    let total = ta.sum().unwrap();
    assert_eq!(total.dtype(), DType::I64, "{dtype} sums in i64");
    assert_eq!(total.item::<i64>().unwrap(), sum, "{dtype} sum");
    let max = a
        .iter()
        .copied()
        .fold(a[0], |m, x| if x > m { x } else { m });
    assert_eq!(ta.max().unwrap().item::<T>().unwrap(), max, "{dtype} max");
    let wide = ta
        .to_dtype(DType::I64)
        .unwrap()
        .to_ndarray::<i64>()
        .unwrap();
    assert_eq!(
        wide.into_iter().collect::<Vec<_>>(),
        a.iter().map(|&x| to_i64(x)).collect::<Vec<_>>()
    );
    if dtype.size_in_bytes() <= 4 {
        // Exact in f64's 53 bits.
        let back = ta.to_dtype(DType::F64).unwrap().to_dtype(dtype).unwrap();
        assert_eq!(out(back), a, "{dtype} through f64");
    }
    assert_eq!(
        format!("{dtype}"),
        dtype.rust_type(),
        "{dtype} names its Rust type"
    );
}

#[test]
fn new_integer_dtypes_compute_like_rust() {
    check_integers(|r| r as i8, i64::from);
    check_integers(|r| r as i16, i64::from);
    check_integers(|r| r as u16, i64::from);
    check_integers(|r| r as u32, i64::from);
    check_integers(|r| r >> 1, |x: u64| x as i64); // below 2^63: exact in i64
    let signed = Tensor::from_vec(vec![-128i8, -3, 0, 7, 127], &[5], &cpu()).unwrap();
    let abs: Vec<i8> = signed
        .abs()
        .unwrap()
        .to_ndarray::<i8>()
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        abs,
        [-128, 3, 0, 7, 127],
        "abs wraps at the minimum, as in Rust and PyTorch"
    );
    let neg: Vec<i8> = signed
        .neg()
        .unwrap()
        .to_ndarray::<i8>()
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(neg, [-128, 3, 0, -7, -127]);
    let big = Tensor::from_vec(vec![u64::MAX, 1 << 63], &[2], &cpu()).unwrap();
    let as_f64: Vec<f64> = big
        .to_dtype(DType::F64)
        .unwrap()
        .to_ndarray::<f64>()
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        as_f64,
        [u64::MAX as f64, (1u64 << 63) as f64],
        "u64 converts directly, not via i64"
    );
}

#[test]
fn complex128_computes_like_num_complex() {
    let mut rng = Rng::new(5);
    let mut draw = |n: usize| -> Vec<Complex64> {
        (0..n)
            .map(|_| {
                let unit = |r: u64| (r >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                Complex64::new(unit(rng.next()), unit(rng.next()))
            })
            .collect()
    };
    let (a, b) = (draw(12), draw(12));
    let (ta, tb) = (
        Tensor::from_vec(a.clone(), &[3, 4], &cpu()).unwrap(),
        Tensor::from_vec(b.clone(), &[4, 3], &cpu()).unwrap(),
    );
    let out = |t: Tensor| {
        t.to_ndarray::<Complex64>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>()
    };
    let tb_flat = tb.reshape(&[3, 4]).unwrap();
    let zip = |f: &dyn Fn(Complex64, Complex64) -> Complex64| {
        a.iter().zip(&b).map(|(&x, &y)| f(x, y)).collect::<Vec<_>>()
    };
    assert_eq!(out(ta.add(&tb_flat).unwrap()), zip(&|x, y| x + y));
    assert_eq!(out(ta.mul(&tb_flat).unwrap()), zip(&|x, y| x * y));
    assert_eq!(out(ta.div(&tb_flat).unwrap()), zip(&|x, y| x / y));
    assert_eq!(
        out(ta.neg().unwrap()),
        a.iter().map(|&x| -x).collect::<Vec<_>>()
    );
    let product = out(ta.matmul(&tb).unwrap());
    for i in 0..3 {
        for j in 0..3 {
            let want: Complex64 = (0..4).map(|k| a[i * 4 + k] * b[k * 3 + j]).sum();
            assert!(
                (product[i * 3 + j] - want).norm() < 1e-12,
                "matmul [{i}, {j}]"
            );
        }
    }
    let total = ta.sum().unwrap().item::<Complex64>().unwrap();
    assert!((total - a.iter().sum::<Complex64>()).norm() < 1e-12);
    let same: Vec<bool> = ta
        .eq(&ta)
        .unwrap()
        .to_ndarray::<bool>()
        .unwrap()
        .into_iter()
        .collect();
    assert!(same.iter().all(|&s| s));
    assert!(
        matches!(ta.lt(&ta), Err(Error::UnsupportedDType { .. })),
        "complex numbers have no order"
    );
    assert!(ta.isnan().is_err());
    let real = Tensor::from_vec(vec![1.5f64, -2.0], &[2], &cpu())
        .unwrap()
        .requires_grad()
        .unwrap();
    assert!(
        real.to_dtype(DType::C128).is_err(),
        "no gradients through complex numbers yet"
    );
    let as_c64 = ta.to_dtype(DType::C64).unwrap();
    assert_eq!(as_c64.dtype(), DType::C64);
}

#[test]
fn the_gpu_refuses_the_dtypes_it_does_not_hold_with_the_fix() {
    let Some(gpu) = gpu_or_skip() else { return };
    for dtype in [
        DType::BF16,
        DType::U8,
        DType::I8,
        DType::I16,
        DType::U16,
        DType::U64,
        DType::C128,
    ] {
        assert!(!gpu.supports(dtype), "{dtype}");
        let t = Tensor::zeros(&[3], DType::F64, &cpu())
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let err = t.to(&gpu).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedDType { .. }),
            "{dtype}: {err}"
        );
        assert!(err.to_string().contains("CPU"), "{dtype}: {err}");
    }
}
