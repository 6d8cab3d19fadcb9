//! Every error path: bad input gets an `Error` whose message carries the values and the fix,
//! never a panic.

mod common;

use common::{cpu, randn};
use wgrad::{DType, Error, Tensor};

fn message(result: wgrad::Result<Tensor>) -> (Error, String) {
    let err = result.unwrap_err();
    let text = err.to_string();
    (err, text)
}

#[test]
fn shapes_that_do_not_broadcast() {
    let (err, msg) = message(randn(&[3, 2], 1).add(&randn(&[3], 2)));
    assert!(matches!(err, Error::ShapeMismatch { op: "add", .. }));
    assert!(
        msg.contains("[3, 2]") && msg.contains("[3]") && msg.contains("broadcast"),
        "{msg}"
    );
    let (_, msg) = message(randn(&[3, 4], 3).matmul(&randn(&[5, 2], 4)));
    assert!(
        msg.contains("[3, 4]") && msg.contains("[5, 2]") && msg.contains("inner dimensions"),
        "{msg}"
    );
    let (_, msg) = message(randn(&[], 3).matmul(&randn(&[4, 2], 4)));
    assert!(msg.contains("at least 1-D"), "{msg}");
    let (_, msg) = message(randn(&[5], 3).matmul(&randn(&[4, 2], 4)));
    assert!(msg.contains("inner dimensions"), "{msg}");
    let (_, msg) = message(randn(&[2, 1, 3, 4], 3).matmul(&randn(&[3, 3, 4, 2], 4)));
    assert!(
        msg.contains("[2, 1, 3, 4]") && msg.contains("batch dimensions must broadcast"),
        "{msg}"
    );
    let (_, msg) = message(randn(&[2, 3, 4], 3).matmul(&randn(&[3, 4, 2], 4)));
    assert!(msg.contains("batch"), "{msg}");
    let (_, msg) = message(randn(&[2, 3], 5).broadcast_to(&[3, 3]));
    assert!(msg.contains("[2, 3]") && msg.contains("[3, 3]"), "{msg}");
    let (_, msg) = message(Tensor::cat(&[&randn(&[2, 3], 6), &randn(&[2, 4], 7)], 0));
    assert!(msg.contains("concatenation axis"), "{msg}");
    let (_, msg) = message(randn(&[4, 3], 8).mse_loss(&randn(&[4], 9)));
    assert!(msg.contains("mse_loss") && msg.contains("[4, 3]"), "{msg}");
}

#[test]
fn impossible_shapes_and_axes() {
    let (err, msg) = message(randn(&[2, 3], 1).reshape(&[4, 2]));
    assert!(matches!(err, Error::InvalidShape { op: "reshape", .. }));
    assert!(
        msg.contains("6 elements") && msg.contains("8 elements"),
        "{msg}"
    );
    let (_, msg) = message(Tensor::from_vec(vec![1.5f32, 2.5, 3.5], &[2, 2], &cpu()));
    assert!(msg.contains("3 values") && msg.contains("[2, 2]"), "{msg}");
    let (_, msg) = message(randn(&[2, 3], 2).narrow(1, 2, 2));
    assert!(msg.contains("2..4") && msg.contains("length 3"), "{msg}");
    let (_, msg) = message(randn(&[2, 3], 2).narrow(1, usize::MAX, 2));
    assert!(msg.contains("length 3"), "{msg}");
    let (_, msg) = message(randn(&[2, 3], 3).permute(&[0, 0]));
    assert!(msg.contains("not a permutation"), "{msg}");
    let (err, msg) = message(randn(&[2, 3], 4).sum_axis(2, false));
    assert!(matches!(
        err,
        Error::AxisOutOfRange {
            axis: 2,
            ndim: 2,
            ..
        }
    ));
    assert!(msg.contains("-2..2"), "{msg}");
    let (_, msg) = message(randn(&[2, 3], 5).softmax(-3));
    assert!(msg.contains("axis -3"), "{msg}");
    let (_, msg) = message(Tensor::zeros(&[usize::MAX, 4], DType::F32, &cpu()));
    assert!(msg.contains("more elements than fit"), "{msg}");
}

#[test]
fn dtype_mismatches_and_unsupported_dtypes() {
    let f32s = Tensor::rand(&[3], DType::F32, 1, &cpu()).unwrap();
    let (err, msg) = message(f32s.add(&randn(&[3], 2)));
    assert!(matches!(
        err,
        Error::DTypeMismatch {
            lhs: DType::F32,
            rhs: DType::F64,
            ..
        }
    ));
    assert!(msg.contains("to_dtype(DType::F32)"), "{msg}");
    let ints = Tensor::arange(0.0, 3.0, 1.0, DType::I32, &cpu()).unwrap();
    let (err, msg) = message(ints.exp());
    assert!(matches!(
        err,
        Error::UnsupportedDType {
            op: "exp",
            dtype: DType::I32,
            ..
        }
    ));
    assert!(msg.contains("to_dtype(DType::F32)"), "{msg}");
    let (_, msg) = message(ints.mean());
    assert!(msg.contains("mean"), "{msg}");
    let bools = ints.gt(&ints).unwrap();
    let (_, msg) = message(
        bools
            .reshape(&[1, 3])
            .unwrap()
            .matmul(&bools.reshape(&[3, 1]).unwrap()),
    );
    assert!(
        msg.starts_with("matmul is not supported for dtype bool"),
        "{msg}"
    );
    let (_, msg) = message(Tensor::randn(&[2], DType::I64, 0, &cpu()));
    assert!(msg.contains("randn") && msg.contains("i64"), "{msg}");
    let (_, msg) = message(ints.where_cond(&f32s, &f32s));
    assert!(msg.contains("bool"), "{msg}");
    let c = Tensor::zeros(&[2], DType::C64, &cpu()).unwrap();
    let (_, msg) = message(c.lt(&c));
    assert!(msg.contains("complex64") && msg.contains("order"), "{msg}");
}

#[test]
fn invalid_arguments() {
    let a = Tensor::from_vec(vec![7i64, 8, 9], &[3], &cpu()).unwrap();
    let b = Tensor::from_vec(vec![1i64, 0, 3], &[3], &cpu()).unwrap();
    let (err, msg) = message(a.div(&b));
    assert!(matches!(err, Error::InvalidArgument { op: "div", .. }));
    assert!(msg.contains("division by zero"), "{msg}");
    let (_, msg) = message(Tensor::arange(0.0, 1.0, 0.0, DType::F32, &cpu()));
    assert!(msg.contains("step 0"), "{msg}");
    let labels = Tensor::from_vec(vec![0i64, 3], &[2], &cpu()).unwrap();
    let (_, msg) = message(randn(&[2, 3], 1).cross_entropy(&labels));
    assert!(
        msg.contains("label 3 is not a class index in 0..3"),
        "{msg}"
    );
    let negative = Tensor::from_vec(vec![-1i32, 2], &[2], &cpu()).unwrap();
    let (_, msg) = message(randn(&[2, 3], 1).cross_entropy(&negative));
    assert!(msg.contains("label -1 is not a class index"), "{msg}");
    let (_, msg) = message(randn(&[2, 3], 1).cross_entropy(&randn(&[2], 2)));
    assert!(msg.contains("to_dtype(DType::I64)"), "{msg}");
    let (_, msg) = message(randn(&[2, 3], 1).cross_entropy(&labels.reshape(&[2, 1]).unwrap()));
    assert!(msg.contains("[n, classes]"), "{msg}");
    let (_, msg) = message(randn(&[0, 3], 1).max_axis(0, false));
    assert!(msg.contains("empty axis"), "{msg}");
    let (_, msg) = message(randn(&[2, 0], 1).argmax(1, false));
    assert!(msg.contains("empty axis"), "{msg}");
    let (_, msg) = message(Tensor::cat(&[], 0));
    assert!(msg.contains("at least one"), "{msg}");
}

#[test]
fn errors_are_std_errors_with_sources_where_they_have_one() {
    let err: Box<dyn std::error::Error> = Box::new(randn(&[2], 1).reshape(&[3]).unwrap_err());
    assert!(err.source().is_none());
    assert!(err.to_string().starts_with("reshape:"));
}
