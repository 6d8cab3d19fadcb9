//! Forward results of every op against ndarray (or plain formulas) on random inputs: values,
//! views, broadcasting, dtypes.

mod common;

use common::{assert_close, cpu, positive, randn, values};
use half::{bf16, f16};
use ndarray::{Array, ArrayD, Axis, Dimension, Ix2, IxDyn, s};
use num_complex::Complex32;
use wgrad::{CrossEntropyOptions, DType, Reduction, Tensor};

fn nd(t: &Tensor) -> ArrayD<f64> {
    t.detach().to_ndarray::<f64>().unwrap()
}

fn assert_nd_close(actual: &ArrayD<f64>, expected: &ArrayD<f64>, tol: f64) {
    assert_eq!(actual.shape(), expected.shape());
    assert_close(
        &actual.iter().copied().collect::<Vec<_>>(),
        &expected.iter().copied().collect::<Vec<_>>(),
        tol,
    );
}

#[test]
fn binary_ops_broadcast_like_numpy() {
    let (a, b) = (randn(&[3, 1, 4], 1), positive(&[2, 1], 2));
    let (x, y) = (nd(&a), nd(&b));
    assert_nd_close(&nd(&a.add(&b).unwrap()), &(&x + &y), 1e-15);
    assert_nd_close(&nd(&a.sub(&b).unwrap()), &(&x - &y), 1e-15);
    assert_nd_close(&nd(&a.mul(&b).unwrap()), &(&x * &y), 1e-15);
    assert_nd_close(&nd(&a.div(&b).unwrap()), &(&x / &y), 1e-15);
    assert_eq!(a.add(&b).unwrap().shape(), &[3, 2, 4]);
    assert_nd_close(
        &nd(&a.add_scaled(&b, -0.37).unwrap()),
        &(&x + &(&y * -0.37)),
        1e-15,
    );
    let ints = Tensor::from_vec(vec![1i32, 2], &[2], &cpu()).unwrap();
    let err = ints.add_scaled(&ints, 2.0).unwrap_err();
    assert!(err.to_string().contains("add_scaled"), "{err}");
    assert_nd_close(
        &nd(&a.add_scalar(2.5).unwrap().mul_scalar(-3.0).unwrap()),
        &x.mapv(|v| (v + 2.5) * -3.0),
        1e-15,
    );
}

#[test]
fn unary_ops_match_their_formulas() {
    let t = randn(&[4, 5], 3).mul_scalar(2.0).unwrap();
    let x = nd(&t);
    let p = positive(&[4, 5], 4);
    let px = nd(&p);
    let gelu = |v: f64| {
        0.5 * v * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v.powi(3))).tanh())
    };
    let cases: Vec<(Tensor, ArrayD<f64>)> = vec![
        (t.neg().unwrap(), x.mapv(|v| -v)),
        (t.exp().unwrap(), x.mapv(f64::exp)),
        (p.log().unwrap(), px.mapv(f64::ln)),
        (p.sqrt().unwrap(), px.mapv(f64::sqrt)),
        (t.abs().unwrap(), x.mapv(f64::abs)),
        (t.tanh().unwrap(), x.mapv(f64::tanh)),
        (t.sigmoid().unwrap(), x.mapv(|v| 1.0 / (1.0 + (-v).exp()))),
        (t.relu().unwrap(), x.mapv(|v| v.max(0.0))),
        (t.gelu().unwrap(), x.mapv(gelu)),
        (p.pow(-1.5).unwrap(), px.mapv(|v| v.powf(-1.5))),
        (t.sin().unwrap(), x.mapv(f64::sin)),
        (t.cos().unwrap(), x.mapv(f64::cos)),
        (p.log1p().unwrap(), px.mapv(f64::ln_1p)),
        (t.expm1().unwrap(), x.mapv(f64::exp_m1)),
        (p.reciprocal().unwrap(), px.mapv(f64::recip)),
        (p.rsqrt().unwrap(), px.mapv(|v| 1.0 / v.sqrt())),
        (t.square().unwrap(), x.mapv(|v| v * v)),
        (t.sign().unwrap(), x.mapv(f64::signum)),
        (t.silu().unwrap(), x.mapv(|v| v / (1.0 + (-v).exp()))),
        (t.softplus().unwrap(), x.mapv(|v| v.exp().ln_1p())),
        (
            t.leaky_relu(0.1).unwrap(),
            x.mapv(|v| if v > 0.0 { v } else { 0.1 * v }),
        ),
        (
            t.elu(0.7).unwrap(),
            x.mapv(|v| if v > 0.0 { v } else { 0.7 * v.exp_m1() }),
        ),
        (
            t.clamp(Some(-0.5), Some(0.8)).unwrap(),
            x.mapv(|v| v.clamp(-0.5, 0.8)),
        ),
        (t.clamp(None, Some(0.3)).unwrap(), x.mapv(|v| v.min(0.3))),
        (t.sub_scalar(1.5).unwrap(), x.mapv(|v| v - 1.5)),
        (t.div_scalar(4.0).unwrap(), x.mapv(|v| v / 4.0)),
        (t.rsub(2.0).unwrap(), x.mapv(|v| 2.0 - v)),
        (p.rdiv(3.0).unwrap(), px.mapv(|v| 3.0 / v)),
    ];
    for (i, (actual, expected)) in cases.iter().enumerate() {
        assert_nd_close(&nd(actual), expected, 1e-14 * (i + 1) as f64);
    }
    // Extreme inputs stay finite where the math is.
    let wide = Tensor::from_vec(vec![-800.0f64, 800.0], &[2], &cpu()).unwrap();
    assert_eq!(values(&wide.sigmoid().unwrap()), vec![0.0, 1.0]);
}

#[test]
fn matmul_matches_ndarray_dot_for_plain_transposed_and_batched_operands() {
    let (a, b) = (randn(&[5, 7], 5), randn(&[7, 3], 6));
    let dot = |x: &ArrayD<f64>, y: &ArrayD<f64>| {
        x.view()
            .into_dimensionality::<Ix2>()
            .unwrap()
            .dot(&y.view().into_dimensionality::<Ix2>().unwrap())
            .into_dyn()
    };
    assert_nd_close(&nd(&a.matmul(&b).unwrap()), &dot(&nd(&a), &nd(&b)), 1e-13);
    let (at, bt) = (
        randn(&[7, 5], 7).transpose(0, 1).unwrap(),
        randn(&[3, 7], 8).transpose(0, 1).unwrap(),
    );
    assert_nd_close(
        &nd(&at.matmul(&bt).unwrap()),
        &dot(&nd(&at), &nd(&bt)),
        1e-13,
    );
    // A broadcast (stride 0) operand is copied before GEMM and still right.
    let row = randn(&[1, 7], 9).broadcast_to(&[5, 7]).unwrap();
    assert_nd_close(
        &nd(&row.matmul(&b).unwrap()),
        &dot(&nd(&row), &nd(&b)),
        1e-13,
    );
    let (ba, bb) = (randn(&[4, 5, 7], 10), randn(&[7, 3], 11));
    let batched = nd(&ba.matmul(&bb).unwrap());
    for i in 0..4 {
        let slice = nd(&ba).index_axis(Axis(0), i).to_owned();
        assert_nd_close(
            &batched.index_axis(Axis(0), i).to_owned(),
            &dot(&slice, &nd(&bb)),
            1e-13,
        );
    }
    // f32, f16 and bf16 products against the f64 product, with their precision's tolerance.
    let exact = dot(&nd(&a), &nd(&b));
    for (dtype, tol) in [(DType::F32, 1e-5), (DType::F16, 2e-2), (DType::BF16, 1e-1)] {
        let (la, lb) = (a.to_dtype(dtype).unwrap(), b.to_dtype(dtype).unwrap());
        let product = la.matmul(&lb).unwrap();
        assert_eq!(product.dtype(), dtype);
        assert_nd_close(&nd(&product.to_dtype(DType::F64).unwrap()), &exact, tol);
    }
}

#[test]
fn reductions_match_ndarray() {
    let t = randn(&[3, 4, 5], 12);
    let x = nd(&t);
    assert_close(&values(&t.sum().unwrap()), &[x.sum()], 1e-13);
    assert_close(&values(&t.mean().unwrap()), &[x.mean().unwrap()], 1e-13);
    assert_close(
        &values(&t.max().unwrap()),
        &[x.fold(f64::MIN, |m, &v| m.max(v))],
        0.0,
    );
    for axis in 0..3 {
        assert_nd_close(
            &nd(&t.sum_axis(axis as isize, false).unwrap()),
            &x.sum_axis(Axis(axis)),
            1e-13,
        );
        assert_nd_close(
            &nd(&t.mean_axis(axis as isize, true).unwrap()),
            &x.mean_axis(Axis(axis)).unwrap().insert_axis(Axis(axis)),
            1e-13,
        );
        let max = x.fold_axis(Axis(axis), f64::MIN, |m, &v| m.max(v));
        assert_nd_close(&nd(&t.max_axis(axis as isize, false).unwrap()), &max, 0.0);
        let argmax = t.argmax(axis as isize, false).unwrap();
        assert_eq!(argmax.dtype(), DType::I64);
        let idx = argmax.to_ndarray::<i64>().unwrap();
        for (pos, &i) in idx.indexed_iter() {
            let mut full: Vec<usize> = pos.slice().to_vec();
            full.insert(axis, i as usize);
            assert_eq!(x[IxDyn(&full)], max[&pos], "argmax points at the maximum");
        }
    }
    // Sums over a transposed view, and of integers (as i64) and bools (a count).
    let tt = t.transpose(0, 2).unwrap();
    assert_nd_close(
        &nd(&tt.sum_axis(0, false).unwrap()),
        &x.sum_axis(Axis(2)).reversed_axes(),
        1e-13,
    );
    let ints = Tensor::from_vec(vec![i32::MAX, 1, -7, 12], &[2, 2], &cpu()).unwrap();
    assert_eq!(
        ints.sum()
            .unwrap()
            .to_ndarray::<i64>()
            .unwrap()
            .into_iter()
            .next(),
        Some(i32::MAX as i64 + 6)
    );
    let positives = t
        .gt(&Tensor::zeros(&[], DType::F64, &cpu()).unwrap())
        .unwrap();
    let count = x.iter().filter(|&&v| v > 0.0).count() as i64;
    assert_eq!(
        positives
            .sum()
            .unwrap()
            .to_ndarray::<i64>()
            .unwrap()
            .into_iter()
            .next(),
        Some(count)
    );
}

#[test]
fn sums_of_many_f32_stay_accurate() {
    let t = Tensor::rand(&[1_000_000], DType::F32, 13, &cpu()).unwrap();
    let exact: f64 = t
        .to_ndarray::<f32>()
        .unwrap()
        .iter()
        .map(|&v| v as f64)
        .sum();
    let sum = t
        .sum()
        .unwrap()
        .to_ndarray::<f32>()
        .unwrap()
        .into_iter()
        .next()
        .unwrap() as f64;
    assert!((sum - exact).abs() / exact < 1e-6, "{sum} vs {exact}");
}

#[test]
fn views_read_their_elements_in_logical_order() {
    let t = randn(&[2, 3, 4], 14);
    let x = nd(&t);
    assert_nd_close(
        &nd(&t.permute(&[2, 0, 1]).unwrap()),
        &x.clone().permuted_axes(vec![2, 0, 1]),
        0.0,
    );
    assert_nd_close(
        &nd(&t.narrow(2, 1, 2).unwrap()),
        &x.slice(s![.., .., 1..3]).to_owned().into_dyn(),
        0.0,
    );
    let b = randn(&[3, 1], 15);
    assert_nd_close(
        &nd(&b.broadcast_to(&[2, 3, 4]).unwrap()),
        &nd(&b).broadcast(vec![2, 3, 4]).unwrap().to_owned(),
        0.0,
    );
    let r = t.transpose(0, 2).unwrap().reshape(&[4, 6]).unwrap();
    let expected = Array::from_iter(x.clone().permuted_axes(vec![2, 1, 0]).iter().copied())
        .into_shape_with_order(IxDyn(&[4, 6]))
        .unwrap();
    assert_nd_close(&nd(&r), &expected, 0.0);
    assert!(
        t.transpose(0, 1)
            .unwrap()
            .reshape(&[6, 4])
            .unwrap()
            .is_contiguous()
    );
    let joined = Tensor::cat(
        &[&t, &randn(&[2, 1, 4], 16), &t.narrow(1, 0, 2).unwrap()],
        1,
    )
    .unwrap();
    assert_eq!(joined.shape(), &[2, 6, 4]);
    assert_nd_close(&nd(&joined.narrow(1, 0, 3).unwrap()), &x, 0.0);
    assert_nd_close(
        &nd(&joined.narrow(1, 4, 2).unwrap()),
        &x.slice(s![.., 0..2, ..]).to_owned().into_dyn(),
        0.0,
    );
}

#[test]
fn comparisons_argmax_and_where() {
    let (a, b) = (randn(&[4, 3], 17), randn(&[3], 18));
    let (x, y) = (nd(&a), nd(&b));
    let check = |t: Tensor, f: fn(f64, f64) -> bool| {
        assert_eq!(t.dtype(), DType::Bool);
        let got = t.to_ndarray::<bool>().unwrap();
        for ((i, j), _) in x
            .view()
            .into_dimensionality::<Ix2>()
            .unwrap()
            .indexed_iter()
        {
            assert_eq!(got[[i, j]], f(x[[i, j]], y[[j]]));
        }
    };
    check(a.lt(&b).unwrap(), |p, q| p < q);
    check(a.gt(&b).unwrap(), |p, q| p > q);
    check(
        a.eq(&a.narrow(0, 1, 1).unwrap())
            .unwrap()
            .narrow(0, 1, 1)
            .unwrap()
            .broadcast_to(&[4, 3])
            .unwrap(),
        |_, _| true,
    );
    let picked = a
        .gt(&b)
        .unwrap()
        .where_cond(&a, &b)
        .unwrap()
        .to_ndarray::<f64>()
        .unwrap();
    for (pos, &v) in picked.indexed_iter() {
        assert_eq!(
            v,
            x[&pos].max(y[[pos[1]]]),
            "where picks the larger operand at {pos:?}"
        );
    }
}

#[test]
fn softmax_and_cross_entropy_match_the_definitions() {
    let logits = randn(&[5, 4], 19).mul_scalar(3.0).unwrap();
    let x = nd(&logits).into_dimensionality::<Ix2>().unwrap();
    let softmax = nd(&logits.softmax(-1).unwrap());
    let log_softmax = nd(&logits.log_softmax(1).unwrap());
    let labels = [3i64, 0, 2, 2, 1];
    let mut loss = 0.0;
    for (i, row) in x.outer_iter().enumerate() {
        let norm: f64 = row.iter().map(|v| v.exp()).sum();
        for (j, v) in row.iter().enumerate() {
            assert!((softmax[[i, j]] - v.exp() / norm).abs() < 1e-14);
            assert!((log_softmax[[i, j]] - (v - norm.ln())).abs() < 1e-13);
        }
        loss -= row[labels[i] as usize] - norm.ln();
    }
    let labels = Tensor::from_vec(labels.to_vec(), &[5], &cpu()).unwrap();
    assert_close(
        &values(&logits.cross_entropy(&labels).unwrap()),
        &[loss / 5.0],
        1e-13,
    );
    // Large logits do not overflow.
    let huge = Tensor::from_vec(vec![1000.0f64, 0.0, -1000.0], &[1, 3], &cpu()).unwrap();
    assert_close(&values(&huge.softmax(1).unwrap()), &[1.0, 0.0, 0.0], 0.0);
    let target = randn(&[5, 4], 20);
    let mse = (&x - &nd(&target).into_dimensionality::<Ix2>().unwrap())
        .mapv(|d| d * d)
        .mean()
        .unwrap();
    assert_close(&values(&logits.mse_loss(&target).unwrap()), &[mse], 1e-13);
}

#[test]
fn dtype_conversions_behave_like_c_casts() {
    let dev = cpu();
    let f = Tensor::from_vec(vec![-2.75f64, -0.5, 0.0, 1.5, 300.25], &[5], &dev).unwrap();
    assert_eq!(
        f.to_dtype(DType::I32)
            .unwrap()
            .to_ndarray::<i32>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![-2, 0, 0, 1, 300]
    );
    assert_eq!(
        f.to_dtype(DType::U8)
            .unwrap()
            .to_ndarray::<u8>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![0, 0, 0, 1, 255]
    );
    assert_eq!(
        f.to_dtype(DType::Bool)
            .unwrap()
            .to_ndarray::<bool>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![true, true, false, true, true]
    );
    let halves = f.to_dtype(DType::F16).unwrap().to_ndarray::<f16>().unwrap();
    assert_eq!(
        halves.into_iter().collect::<Vec<_>>(),
        [-2.75, -0.5, 0.0, 1.5, 300.25].map(f16::from_f64).to_vec()
    );
    let brains = f
        .to_dtype(DType::BF16)
        .unwrap()
        .to_ndarray::<bf16>()
        .unwrap();
    assert_eq!(
        brains.into_iter().collect::<Vec<_>>(),
        [-2.75, -0.5, 0.0, 1.5, 300.25].map(bf16::from_f64).to_vec()
    );
    let complex = f
        .to_dtype(DType::C64)
        .unwrap()
        .to_ndarray::<Complex32>()
        .unwrap();
    assert_eq!(complex[4], Complex32::new(300.25, 0.0));
    // Integers convert exactly (no detour through f64) and wrap like C.
    let big = Tensor::from_vec(vec![i64::MAX - 1, 257, -1], &[3], &dev).unwrap();
    assert_eq!(
        big.to_dtype(DType::U8)
            .unwrap()
            .to_ndarray::<u8>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![254, 1, 255]
    );
    assert_eq!(
        big.to_dtype(DType::I64)
            .unwrap()
            .to_ndarray::<i64>()
            .unwrap()[0],
        i64::MAX - 1
    );
    // Every dtype goes to every other and back where the values allow it.
    let small = Tensor::from_vec(vec![0u8, 1, 1, 0, 1], &[5], &dev).unwrap();
    for from in DType::ALL {
        for to in DType::ALL {
            let there = small.to_dtype(from).unwrap().to_dtype(to).unwrap();
            assert_eq!(there.dtype(), to);
            assert_eq!(
                there
                    .to_dtype(DType::U8)
                    .unwrap()
                    .to_ndarray::<u8>()
                    .unwrap(),
                small.to_ndarray::<u8>().unwrap(),
                "{from} -> {to}"
            );
        }
    }
}

#[test]
fn integer_and_complex_arithmetic() {
    let dev = cpu();
    let a = Tensor::from_vec(vec![i32::MAX, -9, 7], &[3], &dev).unwrap();
    let b = Tensor::from_vec(vec![1i32, 2, -3], &[3], &dev).unwrap();
    assert_eq!(
        a.add(&b)
            .unwrap()
            .to_ndarray::<i32>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![i32::MIN, -7, 4]
    );
    assert_eq!(
        a.div(&b)
            .unwrap()
            .to_ndarray::<i32>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![i32::MAX, -4, -2]
    );
    assert_eq!(
        a.neg()
            .unwrap()
            .abs()
            .unwrap()
            .to_ndarray::<i32>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![i32::MAX, 9, 7]
    );
    let z = Tensor::from_vec(
        vec![Complex32::new(1.0, 2.0), Complex32::new(-0.5, 3.0)],
        &[2],
        &dev,
    )
    .unwrap();
    let w = Tensor::from_vec(
        vec![Complex32::new(3.0, -1.0), Complex32::new(2.0, 0.25)],
        &[2],
        &dev,
    )
    .unwrap();
    let product = z.mul(&w).unwrap().to_ndarray::<Complex32>().unwrap();
    assert_eq!(
        product[0],
        Complex32::new(1.0, 2.0) * Complex32::new(3.0, -1.0)
    );
    assert_eq!(
        z.sum().unwrap().to_ndarray::<Complex32>().unwrap()[[]],
        Complex32::new(0.5, 5.0)
    );
    assert_eq!(
        z.eq(&w)
            .unwrap()
            .to_ndarray::<bool>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![false, false]
    );
}

#[test]
fn half_precision_ops_compute_in_f32() {
    let x = randn(&[3, 4], 21);
    for (dtype, tol) in [(DType::F16, 2e-3), (DType::BF16, 2e-2)] {
        let h = x.to_dtype(dtype).unwrap();
        let y = h
            .exp()
            .unwrap()
            .add(&h)
            .unwrap()
            .sum_axis(1, false)
            .unwrap();
        assert_eq!(y.dtype(), dtype);
        let xr = nd(&h.to_dtype(DType::F64).unwrap());
        let expected = xr.mapv(|v| v.exp() + v).sum_axis(Axis(1));
        assert_nd_close(&nd(&y.to_dtype(DType::F64).unwrap()), &expected, tol);
    }
}

#[test]
fn constructors_are_seeded_and_deterministic() {
    let dev = cpu();
    // Reference values from an independent Python implementation of SplitMix64 + Box-Muller.
    let n = Tensor::randn(&[4], DType::F64, 42, &dev).unwrap();
    assert_close(
        &values(&n),
        &[
            0.8822489062222688,
            1.388473285287707,
            -0.4508498757188601,
            0.6707164409024291,
        ],
        1e-15,
    );
    let u = Tensor::rand(&[3], DType::F32, 7, &dev).unwrap();
    assert_eq!(u.dtype(), DType::F32);
    assert_close(
        &values(&u),
        &[
            0.38982969522476196,
            0.016788244247436523,
            0.9007606506347656,
        ],
        0.0,
    );
    assert_eq!(
        values(&Tensor::randn(&[5], DType::F64, 3, &dev).unwrap()),
        values(&Tensor::randn(&[5], DType::F64, 3, &dev).unwrap())
    );
    assert_eq!(
        values(&Tensor::arange(2.0, -1.0, -0.75, DType::F64, &dev).unwrap()),
        vec![2.0, 1.25, 0.5, -0.25]
    );
    assert_eq!(
        Tensor::arange(0.0, 5.0, 1.0, DType::I32, &dev)
            .unwrap()
            .to_ndarray::<i32>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(
        values(&Tensor::full(&[2, 2], -3.5, DType::F32, &dev).unwrap()),
        vec![-3.5; 4]
    );
    assert_eq!(Tensor::zeros(&[0, 3], DType::F32, &dev).unwrap().numel(), 0);
}

#[test]
fn display_reads_like_pytorch() {
    let dev = cpu();
    let t = Tensor::arange(-2.0, 4.0, 1.0, DType::F32, &dev)
        .unwrap()
        .reshape(&[2, 3])
        .unwrap();
    assert_eq!(
        t.to_string(),
        "tensor([[-2.0000, -1.0000,  0.0000],\n        [ 1.0000,  2.0000,  3.0000]], dtype=f32)"
    );
    let leaf = t.requires_grad().unwrap();
    assert!(leaf.to_string().ends_with("requires_grad=true)"));
    assert!(leaf.relu().unwrap().to_string().ends_with("grad_fn=relu)"));
    let long = Tensor::arange(0.0, 2000.0, 1.0, DType::I64, &dev).unwrap();
    assert_eq!(
        long.to_string(),
        "tensor([   0,    1,    2, ..., 1997, 1998, 1999], dtype=i64)"
    );
}

#[test]
fn small_arguments_keep_their_precision_and_edges_follow_pytorch() {
    // Against two terms of their Taylor series; ln(1 + x) itself keeps about 6 digits here.
    let xs = [1e-10, -3e-12, 1e-300];
    let tiny = Tensor::from_vec(xs.to_vec(), &[3], &cpu()).unwrap();
    let log1p: Vec<f64> = xs.iter().map(|x| x - x * x / 2.0).collect();
    let expm1: Vec<f64> = xs.iter().map(|x| x + x * x / 2.0).collect();
    let relative = |actual: Vec<f64>, expected: &[f64]| -> f64 {
        actual
            .iter()
            .zip(expected)
            .map(|(a, e)| ((a - e) / e).abs())
            .fold(0.0, f64::max)
    };
    assert!(relative(values(&tiny.log1p().unwrap()), &log1p) < 1e-15);
    assert!(relative(values(&tiny.expm1().unwrap()), &expm1) < 1e-15);
    // The naive form would fail that by far.
    assert!(
        relative(
            values(&tiny.add_scalar(1.0).unwrap().log().unwrap()),
            &log1p
        ) > 1e-9
    );
    let wide = Tensor::from_vec(vec![800.0, -800.0, f64::NAN], &[3], &cpu()).unwrap();
    let soft = values(&wide.softplus().unwrap());
    assert!(
        soft[0] == 800.0 && soft[1] == 0.0 && soft[2].is_nan(),
        "{soft:?}"
    );
    let clamped = values(&wide.clamp(Some(-1.0), Some(1.0)).unwrap());
    assert!(clamped[0] == 1.0 && clamped[1] == -1.0 && clamped[2].is_nan());
    // min > max: everything becomes max, as in PyTorch; no bound at all is an error.
    assert_eq!(
        values(&wide.clamp(Some(2.0), Some(1.0)).unwrap())[..2],
        [1.0, 1.0]
    );
    assert!(wide.clamp(None, None).is_err());
}

#[test]
fn comparisons_logic_extremes_and_nan_tests() {
    let a = Tensor::from_vec(vec![1.0, f64::NAN, 3.0, f64::INFINITY, -2.0], &[5], &cpu()).unwrap();
    let b = Tensor::from_vec(vec![1.0, 2.0, 4.0, 0.0, -3.0], &[5], &cpu()).unwrap();
    let bools = |t: wgrad::Result<Tensor>| -> Vec<bool> {
        t.unwrap()
            .to_ndarray::<bool>()
            .unwrap()
            .into_iter()
            .collect()
    };
    assert_eq!(bools(a.ne(&b)), [false, true, true, true, true]);
    assert_eq!(bools(a.le(&b)), [true, false, true, false, false]);
    assert_eq!(bools(a.ge(&b)), [true, false, false, true, true]);
    assert_eq!(bools(a.ge_scalar(1.0)), [true, false, true, true, false]);
    assert_eq!(bools(a.eq_scalar(3.0)), [false, false, true, false, false]);
    assert_eq!(bools(a.ne_scalar(3.0)), [true, true, false, true, true]);
    assert_eq!(bools(a.lt_scalar(0.0)), [false, false, false, false, true]);
    assert_eq!(bools(a.le_scalar(-2.0)), [false, false, false, false, true]);
    assert_eq!(bools(a.gt_scalar(2.5)), [false, false, true, true, false]);
    assert_eq!(bools(a.isnan()), [false, true, false, false, false]);
    assert_eq!(bools(a.isfinite()), [true, false, true, false, true]);
    let (p, q) = (a.gt_scalar(0.0).unwrap(), b.gt_scalar(0.0).unwrap());
    assert_eq!(bools(p.logical_and(&q)), [true, false, true, false, false]);
    assert_eq!(bools(p.logical_or(&q)), [true, true, true, true, false]);
    assert_eq!(bools(p.logical_not()), [false, true, false, false, true]);
    assert!(a.logical_and(&q).is_err(), "logic takes bools");
    let ints = Tensor::from_vec(vec![1i64, 2, 3], &[3], &cpu()).unwrap();
    assert_eq!(bools(ints.gt_scalar(2.0)), [false, false, true]);
    assert!(
        ints.gt_scalar(1.5)
            .unwrap_err()
            .to_string()
            .contains("whole number")
    );
    assert_eq!(bools(ints.isfinite()), [true, true, true]);
    let max = values(&a.maximum(&b).unwrap());
    assert!(max[1].is_nan() && [max[0], max[2], max[3], max[4]] == [1.0, 4.0, f64::INFINITY, -2.0]);
    let min = values(&a.minimum(&b).unwrap());
    assert!(min[1].is_nan() && [min[0], min[2], min[3], min[4]] == [1.0, 3.0, 0.0, -3.0]);
    assert_eq!(
        values(&ints.maximum(&ints.rsub(4.0).unwrap()).unwrap()),
        [3.0, 2.0, 3.0]
    );
}

#[test]
fn axes_ops_match_pytorch_shapes_and_values() {
    let x = randn(&[2, 1, 3], 300);
    let shapes = |ts: &[Tensor]| ts.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>();
    assert_eq!(x.unsqueeze(0).unwrap().shape(), &[1, 2, 1, 3]);
    assert_eq!(x.unsqueeze(-1).unwrap().shape(), &[2, 1, 3, 1]);
    assert_eq!(x.squeeze(1).unwrap().shape(), &[2, 3]);
    assert_eq!(
        x.squeeze(0).unwrap().shape(),
        &[2, 1, 3],
        "a longer axis stays"
    );
    assert_eq!(x.squeeze_all().shape(), &[2, 3]);
    assert_eq!(x.flatten(0, -1).unwrap().shape(), &[6]);
    assert_eq!(x.flatten(1, 2).unwrap().shape(), &[2, 3]);
    assert_eq!(x.reshape_infer(&[3, -1]).unwrap().shape(), &[3, 2]);
    assert_eq!(x.expand(&[4, -1, 5, -1]).unwrap().shape(), &[4, 2, 5, 3]);
    assert_eq!(values(&x.unsqueeze(2).unwrap()), values(&x));
    assert_eq!(
        values(&x.transpose(0, 2).unwrap().squeeze_all()),
        values(&x.transpose(0, 2).unwrap())
    );
    let parts = randn(&[7, 2], 301).chunk(3, 0).unwrap();
    assert_eq!(shapes(&parts), [vec![3, 2], vec![3, 2], vec![1, 2]]);
    let parts = randn(&[3, 5], 302).split(2, -1).unwrap();
    assert_eq!(shapes(&parts), [vec![3, 2], vec![3, 2], vec![3, 1]]);
    let (a, b) = (randn(&[2, 3], 303), randn(&[2, 3], 304));
    let stacked = Tensor::stack(&[&a, &b], 1).unwrap();
    assert_eq!(stacked.shape(), &[2, 2, 3]);
    assert_eq!(values(&stacked.narrow(1, 1, 1).unwrap()), values(&b));
    for err in [
        x.reshape_infer(&[-1, -1]).unwrap_err(),
        x.reshape_infer(&[4, -1]).unwrap_err(),
        x.reshape_infer(&[0, -1]).unwrap_err(),
        x.expand(&[-1, 2, 1, 3]).unwrap_err(),
        x.expand(&[3, 2, 3]).unwrap_err(),
        x.flatten(2, 0).unwrap_err(),
        x.split(0, 0).unwrap_err(),
        Tensor::stack(&[&a, &x], 0).unwrap_err(),
        Tensor::stack(&[], 0).unwrap_err(),
    ] {
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn operators_chain_like_the_named_methods_and_return_errors() -> wgrad::Result<()> {
    let (x, w, b) = (randn(&[4, 3], 310), randn(&[3, 2], 311), randn(&[2], 312));
    let p = positive(&[4, 3], 313);
    let chained = (((&x.matmul(&w)? + &b)? * 2.0)? - 1.0)?;
    let named = x.matmul(&w)?.add(&b)?.mul_scalar(2.0)?.sub_scalar(1.0)?;
    assert_eq!(values(&chained), values(&named));
    let cases: Vec<(Tensor, Tensor)> = vec![
        ((&x - &p)?, x.sub(&p)?),
        ((&x * &p)?, x.mul(&p)?),
        ((&x / &p)?, x.div(&p)?),
        ((x.clone() + p.clone())?, x.add(&p)?),
        ((x.clone() * &p)?, x.mul(&p)?),
        ((&x + p.clone())?, x.add(&p)?),
        ((1.5 - &x)?, x.rsub(1.5)?),
        ((2.0 / &p)?, p.rdiv(2.0)?),
        ((3.0 * x.clone())?, x.mul_scalar(3.0)?),
        ((0.5 + &x)?, x.add_scalar(0.5)?),
        ((&x / 4.0)?, x.div_scalar(4.0)?),
        ((-&x)?, x.neg()?),
        ((-x.clone())?, x.neg()?),
        (((&x + &x) + &p)?, x.add(&x)?.add(&p)?),
        (((&x * &x) - p.clone())?, x.mul(&x)?.sub(&p)?),
        ((&p / (&x + 1.0))?, p.div(&x.add_scalar(1.0)?)?),
    ];
    for (i, (operator, method)) in cases.iter().enumerate() {
        assert_eq!(values(operator), values(method), "case {i}");
    }
    // A mismatch is an Err, carried through the rest of the chain.
    let wrong = randn(&[5], 314);
    assert!((&x + &wrong).is_err());
    assert!(((&x + &wrong) * &x).is_err());
    // Gradients flow through operators as through the methods.
    let leaf = x.detach().requires_grad()?;
    ((&leaf * &leaf)? * 3.0)?.sum()?.backward()?;
    let expected: Vec<f64> = values(&x).iter().map(|v| 6.0 * v).collect();
    assert_close(&values(&leaf.grad().unwrap()), &expected, 1e-12);
    Ok(())
}

#[test]
fn statistics_match_their_definitions() {
    let t = randn(&[3, 5], 320);
    let x = nd(&t);
    let min = x.fold(f64::INFINITY, |m, &v| m.min(v));
    assert_eq!(values(&t.min().unwrap()), vec![min]);
    let row_min: Vec<f64> = x
        .rows()
        .into_iter()
        .map(|r| r.fold(f64::INFINITY, |m, &v| m.min(v)))
        .collect();
    assert_eq!(values(&t.min_axis(1, false).unwrap()), row_min);
    let argmin: Vec<f64> = x
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |b, (i, &v)| if v < b.1 { (i, v) } else { b },
                )
                .0 as f64
        })
        .collect();
    assert_eq!(values(&t.argmin(1, false).unwrap()), argmin);
    assert_close(&values(&t.var(1.0).unwrap()), &[x.var(1.0)], 1e-12);
    assert_close(&values(&t.std(0.0).unwrap()), &[x.std(0.0)], 1e-12);
    let col_var: Vec<f64> = x.var_axis(Axis(0), 1.0).into_iter().collect();
    assert_close(
        &values(&t.var_axis(0, 1.0, false).unwrap()),
        &col_var,
        1e-12,
    );
    let lse: Vec<f64> = x
        .rows()
        .into_iter()
        .map(|r| r.mapv(f64::exp).sum().ln())
        .collect();
    assert_close(&values(&t.logsumexp(1, false).unwrap()), &lse, 1e-12);
    assert_eq!(t.logsumexp(1, true).unwrap().shape(), &[3, 1]);
    // Stable where the naive form overflows, and exact for rows of -inf.
    let big = Tensor::from_vec(
        vec![1000.0, 1000.0, f64::NEG_INFINITY, f64::NEG_INFINITY],
        &[2, 2],
        &cpu(),
    )
    .unwrap();
    let stable = values(&big.logsumexp(1, false).unwrap());
    assert_close(&stable[..1], &[1000.0 + 2f64.ln()], 1e-12);
    assert_eq!(stable[1], f64::NEG_INFINITY);
    let l1 = x.mapv(f64::abs).sum();
    let l2 = x.mapv(|v| v * v).sum().sqrt();
    let l3 = x.mapv(|v| v.abs().powi(3)).sum().cbrt();
    let linf = x.fold(0.0f64, |m, &v| m.max(v.abs()));
    for (p, expected) in [(1.0, l1), (2.0, l2), (3.0, l3), (f64::INFINITY, linf)] {
        assert_close(&values(&t.norm(p).unwrap()), &[expected], 1e-12);
    }
    assert!(t.norm(0.0).is_err() && t.norm(-1.0).is_err());
    // At the zero vector the 2-norm's gradient is 0, as PyTorch defines it, not NaN.
    let zero = Tensor::zeros(&[3], DType::F64, &cpu())
        .unwrap()
        .requires_grad()
        .unwrap();
    zero.norm(2.0).unwrap().backward().unwrap();
    assert_eq!(values(&zero.grad().unwrap()), vec![0.0; 3]);
}

#[test]
fn losses_match_pytorchs_definitions() {
    let logits = Tensor::from_vec(
        vec![2.0, -1.0, 0.5, 0.0, 1.0, -2.0, 3.0, 0.5, 1.5],
        &[3, 3],
        &cpu(),
    )
    .unwrap();
    let labels = Tensor::from_vec(vec![0i64, -100, 2], &[3], &cpu()).unwrap();
    let log_p = nd(&logits.log_softmax(1).unwrap());
    let options = CrossEntropyOptions {
        ignore_index: Some(-100),
        label_smoothing: 0.2,
        reduction: Reduction::None,
    };
    let row = |i: usize, label: usize| {
        -0.8 * log_p[[i, label]] - 0.2 * log_p.index_axis(Axis(0), i).mean().unwrap()
    };
    let per_row = values(&logits.cross_entropy_with(&labels, &options).unwrap());
    assert_close(&per_row, &[row(0, 0), 0.0, row(2, 2)], 1e-12);
    let mean = CrossEntropyOptions {
        reduction: Reduction::Mean,
        ..options
    };
    assert_close(
        &values(&logits.cross_entropy_with(&labels, &mean).unwrap()),
        &[(row(0, 0) + row(2, 2)) / 2.0],
        1e-12,
    );
    // Without options, the plain mean over all rows of -log p[label].
    let all = Tensor::from_vec(vec![0i64, 1, 2], &[3], &cpu()).unwrap();
    let plain = -(log_p[[0, 0]] + log_p[[1, 1]] + log_p[[2, 2]]) / 3.0;
    assert_close(
        &values(&logits.cross_entropy(&all).unwrap()),
        &[plain],
        1e-12,
    );
    assert_close(
        &values(
            &logits
                .log_softmax(1)
                .unwrap()
                .nll_loss(&all, Reduction::Sum)
                .unwrap(),
        ),
        &[3.0 * plain],
        1e-12,
    );
    // Labels out of range are named, unless they are the ignored value.
    let bad = Tensor::from_vec(vec![0i64, 3, 1], &[3], &cpu()).unwrap();
    assert!(
        logits
            .cross_entropy(&bad)
            .unwrap_err()
            .to_string()
            .contains("label 3")
    );
    let unignored = Tensor::from_vec(vec![0i64, -100, -5], &[3], &cpu()).unwrap();
    assert!(
        logits
            .cross_entropy_with(&unignored, &options)
            .unwrap_err()
            .to_string()
            .contains("label -5")
    );
    assert!(
        logits
            .cross_entropy_with(
                &all,
                &CrossEntropyOptions {
                    label_smoothing: 1.5,
                    ..options
                }
            )
            .is_err()
    );

    let (pred, target) = (randn(&[2, 3], 330), randn(&[2, 3], 331));
    let d = nd(&pred) - nd(&target);
    let mean = |a: ArrayD<f64>| a.mean().unwrap();
    assert_close(
        &values(&pred.l1_loss(&target, Reduction::Mean).unwrap()),
        &[mean(d.mapv(f64::abs))],
        1e-12,
    );
    let smooth = |v: f64, beta: f64| {
        if v.abs() < beta {
            0.5 * v * v / beta
        } else {
            v.abs() - 0.5 * beta
        }
    };
    assert_close(
        &values(&pred.smooth_l1_loss(&target, 0.8, Reduction::Sum).unwrap()),
        &[d.mapv(|v| smooth(v, 0.8)).sum()],
        1e-12,
    );
    assert_close(
        &values(&pred.huber_loss(&target, 0.5, Reduction::Mean).unwrap()),
        &[mean(d.mapv(|v| 0.5 * smooth(v, 0.5)))],
        1e-12,
    );
    let probabilities = Tensor::rand(&[2, 3], DType::F64, 332, &cpu()).unwrap();
    let bce = nd(&pred).mapv(|x| 1.0 / (1.0 + (-x).exp()));
    let y = nd(&probabilities);
    let expected = -(&y * &bce.mapv(f64::ln) + (1.0 - &y) * (1.0 - &bce).mapv(f64::ln));
    assert_close(
        &values(
            &pred
                .binary_cross_entropy_with_logits(&probabilities, Reduction::None)
                .unwrap(),
        ),
        &expected.iter().copied().collect::<Vec<_>>(),
        1e-12,
    );
    // Huge logits stay finite.
    let huge = Tensor::from_vec(vec![800.0, -800.0], &[2], &cpu()).unwrap();
    let zero_one = Tensor::from_vec(vec![1.0, 0.0], &[2], &cpu()).unwrap();
    assert_eq!(
        values(
            &huge
                .binary_cross_entropy_with_logits(&zero_one, Reduction::Sum)
                .unwrap()
        ),
        vec![0.0]
    );
    assert!(pred.l1_loss(&randn(&[3], 333), Reduction::Mean).is_err());

    let one_hot = Tensor::from_vec(vec![2i64, 0], &[2], &cpu())
        .unwrap()
        .one_hot(3)
        .unwrap();
    assert_eq!(
        (one_hot.dtype(), values(&one_hot)),
        (DType::I64, vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    );
    assert!(all.one_hot(2).unwrap_err().to_string().contains("label 2"));
}

#[test]
fn matmul_follows_torch_for_every_rank() {
    let (v, w) = (randn(&[3], 340), randn(&[3], 341));
    let dot = v.matmul(&w).unwrap();
    assert_eq!(dot.shape(), &[] as &[usize]);
    assert_close(
        &values(&dot),
        &[nd(&v).iter().zip(nd(&w).iter()).map(|(a, b)| a * b).sum()],
        1e-12,
    );
    let m = randn(&[3, 4], 342);
    assert_eq!(v.matmul(&m).unwrap().shape(), &[4]);
    assert_eq!(
        values(&v.matmul(&m).unwrap()),
        values(&v.reshape(&[1, 3]).unwrap().matmul(&m).unwrap())
    );
    assert_eq!(m.transpose(0, 1).unwrap().matmul(&v).unwrap().shape(), &[4]);
    // N-D with broadcast batch axes, against a loop over the batch.
    let (a, b) = (randn(&[2, 1, 3, 4], 343), randn(&[5, 4, 2], 344));
    let c = a.matmul(&b).unwrap();
    assert_eq!(c.shape(), &[2, 5, 3, 2]);
    for i in 0..2 {
        for j in 0..5 {
            let expected = a
                .narrow(0, i, 1)
                .unwrap()
                .reshape(&[3, 4])
                .unwrap()
                .matmul(&b.narrow(0, j, 1).unwrap().reshape(&[4, 2]).unwrap())
                .unwrap();
            let got = c.narrow(0, i, 1).unwrap().narrow(1, j, 1).unwrap();
            assert_close(&values(&got), &values(&expected), 1e-12);
        }
    }
}

#[test]
fn gather_scatter_add_index_select_and_masked_fill_match_loops() {
    let x = randn(&[3, 4], 350);
    let xs = nd(&x);
    let index = Tensor::from_vec(vec![3i64, 0, 3, 1, 2, 2], &[3, 2], &cpu()).unwrap();
    let gathered = nd(&x.gather(1, &index).unwrap());
    let ix = index.to_ndarray::<i64>().unwrap();
    for i in 0..3 {
        for j in 0..2 {
            assert_eq!(gathered[[i, j]], xs[[i, ix[[i, j]] as usize]]);
        }
    }
    let src = randn(&[3, 2], 351);
    let scattered = nd(&x.scatter_add(1, &index, &src).unwrap());
    let mut expected = xs.clone();
    for i in 0..3 {
        for j in 0..2 {
            expected[[i, ix[[i, j]] as usize]] += nd(&src)[[i, j]];
        }
    }
    assert_nd_close(&scattered, &expected, 1e-15);
    let ids = Tensor::from_vec(vec![2i32, 0, 2], &[3], &cpu()).unwrap();
    let rows = nd(&x.index_select(0, &ids).unwrap());
    assert_eq!(rows.shape(), &[3, 4]);
    assert_eq!(rows.index_axis(Axis(0), 0), xs.index_axis(Axis(0), 2));
    assert_eq!(rows.index_axis(Axis(0), 1), xs.index_axis(Axis(0), 0));
    let mask = Tensor::from_vec(vec![true, false, false, true], &[4], &cpu()).unwrap();
    let filled = nd(&x.masked_fill(&mask, 9.0).unwrap());
    let column =
        |a: &ArrayD<f64>, c: usize| a.index_axis(Axis(1), c).iter().copied().collect::<Vec<_>>();
    assert_eq!(column(&filled, 0), vec![9.0; 3]);
    assert_eq!(column(&filled, 1), column(&xs, 1));
    // Out of range, negative, mis-shaped or non-integer indices are errors that say so.
    let bad = Tensor::from_vec(vec![4i64, 0], &[2], &cpu()).unwrap();
    let err = x.index_select(1, &bad).unwrap_err().to_string();
    assert!(err.contains("index 4") && err.contains("length 4"), "{err}");
    let negative = Tensor::from_vec(vec![-1i64, 0, 0, 0, 0, 0], &[3, 2], &cpu()).unwrap();
    assert!(
        x.gather(1, &negative)
            .unwrap_err()
            .to_string()
            .contains("index -1")
    );
    assert!(
        x.gather(1, &ids).is_err(),
        "the index needs the tensor's rank"
    );
    assert!(
        x.index_select(0, &index).is_err(),
        "index_select takes a 1-D index"
    );
    assert!(
        x.index_select(0, &x.narrow(0, 0, 1).unwrap().reshape(&[4]).unwrap())
            .is_err()
    );
    assert!(x.masked_fill(&ids, 1.0).is_err(), "the mask is bool");
    assert!(x.scatter_add(1, &index, &randn(&[3, 3], 352)).is_err());
}

#[test]
fn sorting_is_stable_puts_nan_last_and_matches_std() {
    let x = randn(&[4, 7], 360);
    for descending in [false, true] {
        let (values, indices) = x.sort(1, descending).unwrap();
        let (xs, vs) = (nd(&x), nd(&values));
        let is = indices.to_ndarray::<i64>().unwrap();
        for r in 0..4 {
            let mut row: Vec<f64> = xs.index_axis(Axis(0), r).iter().copied().collect();
            row.sort_by(|a, b| {
                if descending {
                    b.total_cmp(a)
                } else {
                    a.total_cmp(b)
                }
            });
            let got: Vec<f64> = vs.index_axis(Axis(0), r).iter().copied().collect();
            assert_eq!(got, row);
            for c in 0..7 {
                assert_eq!(vs[[r, c]], xs[[r, is[[r, c]] as usize]]);
            }
        }
    }
    let ties = Tensor::from_vec(vec![2.0, f64::NAN, 1.0, 2.0, 1.0], &[5], &cpu()).unwrap();
    assert_eq!(
        values(&ties.argsort(0, false).unwrap()),
        vec![2.0, 4.0, 0.0, 3.0, 1.0]
    );
    assert_eq!(
        values(&ties.argsort(0, true).unwrap()),
        vec![1.0, 0.0, 3.0, 2.0, 4.0]
    );
    let (top, at) = x.topk(3, 0, true).unwrap();
    assert_eq!((top.shape(), at.shape()), (&[3, 7][..], &[3, 7][..]));
    assert_eq!(
        values(&top.narrow(0, 0, 1).unwrap()),
        values(&x.max_axis(0, true).unwrap())
    );
    assert!(x.topk(5, 0, true).is_err());
    assert_eq!(x.argsort(0, false).unwrap().dtype(), DType::I64);
}

#[test]
fn cumsum_matches_a_running_sum() {
    let x = randn(&[3, 5], 370);
    let xs = nd(&x);
    let along_rows = nd(&x.cumsum(1).unwrap());
    let along_columns = nd(&x.cumsum(-2).unwrap());
    for r in 0..3 {
        for c in 0..5 {
            let row: f64 = (0..=c).map(|k| xs[[r, k]]).sum();
            let column: f64 = (0..=r).map(|k| xs[[k, c]]).sum();
            assert!((along_rows[[r, c]] - row).abs() < 1e-12);
            assert!((along_columns[[r, c]] - column).abs() < 1e-12);
        }
    }
    let ints = Tensor::from_vec(vec![1i64, 2, 3, 4], &[4], &cpu()).unwrap();
    let sums = ints.cumsum(0).unwrap();
    assert_eq!(
        (sums.dtype(), values(&sums)),
        (DType::I64, vec![1.0, 3.0, 6.0, 10.0])
    );
    assert!(x.cumsum(2).is_err());
}

#[test]
fn prod_matches_ndarray() {
    let x = randn(&[3, 4], 380);
    let xs = nd(&x);
    assert_close(&values(&x.prod().unwrap()), &[xs.product()], 1e-12);
    let rows: Vec<f64> = xs.map_axis(Axis(1), |r| r.product()).into_iter().collect();
    assert_close(&values(&x.prod_axis(1, false).unwrap()), &rows, 1e-12);
    let ints = Tensor::from_vec(vec![2i32, -3, 4], &[3], &cpu()).unwrap();
    let product = ints.prod().unwrap();
    assert_eq!(
        (product.dtype(), values(&product)),
        (DType::I64, vec![-24.0])
    );
    let empty = Tensor::zeros(&[0, 2], DType::F32, &cpu()).unwrap();
    assert_eq!(values(&empty.prod_axis(0, false).unwrap()), vec![1.0, 1.0]);
}
