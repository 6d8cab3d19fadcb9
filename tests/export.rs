//! Export to ndarray: refusal of attached tensors, dtype identity, copy semantics, logical order.

mod common;

use common::{cpu, randn};
use half::{bf16, f16};
use ndarray::{Array, ArrayD, IxDyn, s};
use num_complex::{Complex32, Complex64};
use wgrad::{DType, DynArray, Error, Tensor};

#[test]
fn attached_tensors_are_refused_until_detached() {
    let leaf = Tensor::randn(&[2, 64], DType::F32, 42, &cpu())
        .unwrap()
        .requires_grad()
        .unwrap();
    let err = leaf.to_ndarray::<f32>().unwrap_err();
    assert!(matches!(err, Error::RequiresGrad { .. }));
    assert_eq!(
        err.to_string(),
        "cannot export a tensor that requires grad (shape [2, 64], f32, cpu); call .detach() first: t.detach().to_ndarray()"
    );
    let result = leaf.exp().unwrap();
    assert!(matches!(
        result.to_ndarray::<f32>(),
        Err(Error::RequiresGrad { .. })
    ));
    assert!(matches!(
        result.to_ndarray_dyn(),
        Err(Error::RequiresGrad { .. })
    ));
    let exported = result.detach().to_ndarray::<f32>().unwrap();
    let expected = leaf.detach().to_ndarray::<f32>().unwrap().mapv(f32::exp);
    assert_eq!(exported.shape(), expected.shape());
    // wgrad's vectorised f32 exp is within 2 ulp of the correctly rounded one.
    for (got, want) in exported.iter().zip(&expected) {
        assert!(
            (got - want).abs() <= 2.0 * f32::EPSILON * want.abs(),
            "{got} vs {want}"
        );
    }
}

#[test]
fn the_element_type_must_match_and_the_error_says_how() {
    let t = randn(&[3], 1);
    let err = t.to_ndarray::<f32>().unwrap_err();
    assert!(matches!(
        err,
        Error::ExportDType {
            requested: DType::F32,
            actual: DType::F64
        }
    ));
    assert!(
        err.to_string()
            .contains("t.to_dtype(DType::F32)?.to_ndarray::<f32>()"),
        "{err}"
    );
    let converted = t.to_dtype(DType::F32).unwrap().to_ndarray::<f32>().unwrap();
    assert_eq!(converted, t.to_ndarray::<f64>().unwrap().mapv(|v| v as f32));
}

#[test]
fn exports_copy_and_never_alias() {
    let t = randn(&[2, 3], 2);
    let mut first = t.to_ndarray::<f64>().unwrap();
    let original = first.clone();
    first.fill(-1.0);
    assert_eq!(
        t.to_ndarray::<f64>().unwrap(),
        original,
        "writing the array leaves the tensor alone"
    );
    let mut source = original.clone();
    let back = Tensor::from_ndarray(&source, &cpu()).unwrap();
    source.fill(7.0);
    assert_eq!(
        back.to_ndarray::<f64>().unwrap(),
        original,
        "from_ndarray copies too"
    );
}

#[test]
fn views_export_in_logical_order() {
    let t = randn(&[3, 4], 3);
    let a = t.to_ndarray::<f64>().unwrap();
    assert_eq!(
        t.transpose(0, 1).unwrap().to_ndarray::<f64>().unwrap(),
        a.t().to_owned()
    );
    assert_eq!(
        t.narrow(1, 1, 2).unwrap().to_ndarray::<f64>().unwrap(),
        a.slice(s![.., 1..3]).to_owned().into_dyn()
    );
    let row = t.narrow(0, 2, 1).unwrap().broadcast_to(&[2, 3, 4]).unwrap();
    let exported = row.to_ndarray::<f64>().unwrap();
    assert!(exported.is_standard_layout());
    assert_eq!(
        exported,
        a.slice(s![2..3, ..])
            .broadcast(vec![2, 3, 4])
            .unwrap()
            .to_owned()
    );
}

#[test]
fn from_ndarray_reads_any_layout() {
    let base: ArrayD<f32> = Array::from_iter((0..24).map(|i| (i as f32 * 0.37).sin()))
        .into_shape_with_order(IxDyn(&[4, 6]))
        .unwrap();
    let transposed = base.t();
    let reversed = base.slice(s![..;-1, 1..;2]);
    for view in [transposed.view(), reversed.into_dyn()] {
        let t = Tensor::from_ndarray(&view, &cpu()).unwrap();
        assert_eq!(t.shape(), view.shape());
        assert_eq!(t.to_ndarray::<f32>().unwrap(), view.to_owned());
    }
}

#[test]
fn every_dtype_round_trips_with_its_identity() {
    let n = 7;
    let f = |i: usize| (i as f64 * 1.7 - 5.0).sin() * 3.0;
    let arrays = [
        DynArray::F32(Array::from_iter((0..n).map(|i| f(i) as f32)).into_dyn()),
        DynArray::F64(Array::from_iter((0..n).map(f)).into_dyn()),
        DynArray::F16(Array::from_iter((0..n).map(|i| f16::from_f64(f(i)))).into_dyn()),
        DynArray::BF16(Array::from_iter((0..n).map(|i| bf16::from_f64(f(i)))).into_dyn()),
        DynArray::I32(Array::from_iter((0..n).map(|i| (f(i) * 1e6) as i32)).into_dyn()),
        DynArray::I64(Array::from_iter((0..n).map(|i| (f(i) * 1e15) as i64)).into_dyn()),
        DynArray::U8(Array::from_iter((0..n).map(|i| (i * 37 % 256) as u8)).into_dyn()),
        DynArray::I8(Array::from_iter((0..n).map(|i| (f(i) * 20.0) as i8)).into_dyn()),
        DynArray::I16(Array::from_iter((0..n).map(|i| (f(i) * 3e3) as i16)).into_dyn()),
        DynArray::U16(Array::from_iter((0..n).map(|i| (i * 7919 % 65536) as u16)).into_dyn()),
        DynArray::U32(
            Array::from_iter((0..n).map(|i| (i as u32).wrapping_mul(2_654_435_761))).into_dyn(),
        ),
        DynArray::U64(
            Array::from_iter((0..n).map(|i| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
                .into_dyn(),
        ),
        DynArray::Bool(Array::from_iter((0..n).map(|i| f(i) > 0.0)).into_dyn()),
        DynArray::C64(
            Array::from_iter((0..n).map(|i| Complex32::new(f(i) as f32, -(i as f32)))).into_dyn(),
        ),
        DynArray::C128(
            Array::from_iter((0..n).map(|i| Complex64::new(f(i), -(i as f64) / 3.0))).into_dyn(),
        ),
    ];
    for (array, dtype) in arrays.into_iter().zip(DType::ALL) {
        assert_eq!(array.dtype(), dtype);
        let t = Tensor::from_dyn_array(array.clone(), &cpu()).unwrap();
        assert_eq!(t.dtype(), dtype);
        assert_eq!(t.to_ndarray_dyn().unwrap(), array);
        // The typed path too: the right type succeeds, any other refuses.
        let typed_ok = match dtype {
            DType::F32 => t.to_ndarray::<f32>().is_ok(),
            DType::F64 => t.to_ndarray::<f64>().is_ok(),
            DType::F16 => t.to_ndarray::<f16>().is_ok(),
            DType::BF16 => t.to_ndarray::<bf16>().is_ok(),
            DType::I32 => t.to_ndarray::<i32>().is_ok(),
            DType::I64 => t.to_ndarray::<i64>().is_ok(),
            DType::U8 => t.to_ndarray::<u8>().is_ok(),
            DType::I8 => t.to_ndarray::<i8>().is_ok(),
            DType::I16 => t.to_ndarray::<i16>().is_ok(),
            DType::U16 => t.to_ndarray::<u16>().is_ok(),
            DType::U32 => t.to_ndarray::<u32>().is_ok(),
            DType::U64 => t.to_ndarray::<u64>().is_ok(),
            DType::Bool => t.to_ndarray::<bool>().is_ok(),
            DType::C64 => t.to_ndarray::<Complex32>().is_ok(),
            DType::C128 => t.to_ndarray::<Complex64>().is_ok(),
        };
        assert!(typed_ok, "{dtype}");
        assert_eq!(t.to_ndarray::<u8>().is_ok(), dtype == DType::U8);
    }
}

/// `t` exported into a caller's buffer and array, which must equal `to_ndarray`.
fn check_into<T: wgrad::Element + Default>(t: &Tensor) {
    let expected = t.to_ndarray::<T>().unwrap();
    let mut buffer = vec![T::default(); t.numel()];
    t.copy_to_slice(&mut buffer).unwrap();
    assert_eq!(buffer, expected.iter().copied().collect::<Vec<_>>(), "{t}");
    let mut array = ArrayD::from_elem(IxDyn(t.shape()), T::default());
    t.to_ndarray_into(array.view_mut()).unwrap();
    assert_eq!(array, expected);
    // Into a view that is not in C order: the same values land in the same places.
    let mut transposed = ArrayD::from_elem(
        IxDyn(&t.shape().iter().rev().copied().collect::<Vec<_>>()),
        T::default(),
    );
    t.to_ndarray_into(transposed.view_mut().reversed_axes())
        .unwrap();
    assert_eq!(transposed.reversed_axes(), expected);
}

#[test]
fn exports_into_existing_buffers_equal_to_ndarray_on_every_device() {
    let mut devices = vec![cpu()];
    devices.extend(common::gpu_or_skip());
    for device in devices {
        let x32 = randn(&[5, 7], 31)
            .to_dtype(DType::F32)
            .unwrap()
            .to(&device)
            .unwrap();
        check_into::<f32>(&x32);
        check_into::<f32>(&x32.transpose(0, 1).unwrap());
        check_into::<f32>(&x32.narrow(1, 2, 3).unwrap());
        check_into::<f16>(&x32.to_dtype(DType::F16).unwrap());
        check_into::<i32>(&x32.mul_scalar(9.0).unwrap().to_dtype(DType::I32).unwrap());
        check_into::<i64>(&x32.argmax(1, false).unwrap());
        check_into::<bool>(&x32.gt_scalar(0.0).unwrap());
        check_into::<f64>(&randn(&[3, 4], 32));
        check_into::<u8>(
            &randn(&[3, 4], 33)
                .abs()
                .unwrap()
                .mul_scalar(50.0)
                .unwrap()
                .to_dtype(DType::U8)
                .unwrap(),
        );
        check_into::<Complex32>(&x32.to_dtype(DType::C64).unwrap());

        let mut buffer = vec![0f32; 34];
        let err = x32.copy_to_slice(&mut buffer).unwrap_err().to_string();
        assert!(err.contains("exactly as many elements"), "{err}");
        let mut wrong = vec![0f64; 35];
        assert!(matches!(
            x32.copy_to_slice(&mut wrong),
            Err(Error::ExportDType { .. })
        ));
        let attached = x32.clone().requires_grad().unwrap();
        let mut buffer = vec![0f32; 35];
        assert!(matches!(
            attached.copy_to_slice(&mut buffer),
            Err(Error::RequiresGrad { .. })
        ));
        let mut misshaped = ArrayD::<f32>::zeros(IxDyn(&[7, 5]));
        let err = x32
            .to_ndarray_into(misshaped.view_mut())
            .unwrap_err()
            .to_string();
        assert!(err.contains("the tensor's shape"), "{err}");
        assert!(
            misshaped.iter().all(|&v| v == 0.0),
            "nothing written on an error"
        );
    }
}
