//! Sizes at the edges: zero-size tensors through every op on both devices, and sizes no memory
//! can hold, which are errors that say how many bytes were asked for, never an abort.

mod common;

use common::{cpu, gpu_or_skip, values};
use wgrad::{DType, Device, DeviceKind, Error, Tensor};

/// The CPU, and the GPU when there is one.
fn devices() -> Vec<Device> {
    let mut devices = vec![cpu()];
    devices.extend(gpu_or_skip());
    devices
}

fn randn(shape: &[usize], seed: u64, device: &Device) -> Tensor {
    Tensor::randn(shape, DType::F32, seed, device).unwrap()
}

#[test]
fn matmul_with_an_empty_dimension_gives_empty_or_zero_results_and_gradients() {
    for dev in devices() {
        // m = n = 0: an empty result.
        let (a, b) = (randn(&[0, 3], 1, &dev), randn(&[3, 0], 2, &dev));
        assert_eq!(a.matmul(&b).unwrap().shape(), &[0, 0], "on {dev}");
        // k = 0: a sum over nothing, so zeros, and empty gradients.
        let a = randn(&[2, 0], 3, &dev).requires_grad().unwrap();
        let b = randn(&[0, 3], 4, &dev).requires_grad().unwrap();
        let c = a.matmul(&b).unwrap();
        assert_eq!(
            (c.shape(), values(&c)),
            (&[2, 3][..], vec![0.0; 6]),
            "on {dev}"
        );
        let weights = randn(&[2, 3], 5, &dev);
        c.mul(&weights).unwrap().sum().unwrap().backward().unwrap();
        assert_eq!(a.grad().unwrap().shape(), &[2, 0]);
        assert_eq!(b.grad().unwrap().shape(), &[0, 3]);
        // Batched, with an empty batch.
        let batched = randn(&[0, 2, 3], 6, &dev).matmul(&randn(&[3, 4], 7, &dev));
        assert_eq!(batched.unwrap().shape(), &[0, 2, 4], "on {dev}");
    }
}

#[test]
fn zero_size_tensors_flow_through_every_op() {
    for dev in devices() {
        let x = randn(&[0, 3], 8, &dev).requires_grad().unwrap();
        let y = randn(&[3], 9, &dev);
        let results = [
            x.add(&y),
            x.mul(&y),
            x.div(&y),
            x.exp(),
            x.tanh(),
            x.gelu(),
            x.pow(2.0),
            x.softmax(-1),
            x.log_softmax(1),
            x.sum_axis(1, true),
            x.transpose(0, 1),
            x.reshape(&[3, 0]),
            x.narrow(1, 1, 2),
            Tensor::cat(&[&x, &x], 0),
            x.to_dtype(DType::F16),
            x.copy(),
        ];
        for (i, result) in results.into_iter().enumerate() {
            let t = result.unwrap_or_else(|e| panic!("op {i} on {dev}: {e}"));
            assert_eq!(t.numel(), 0, "op {i} on {dev}");
        }
        // Empty whatever the other dimensions, as in PyTorch, and through every view.
        let wide = Tensor::zeros(&[1 << 40, 1 << 40, 0], DType::F32, &dev).unwrap();
        let turned = wide.permute(&[2, 0, 1]).unwrap().narrow(1, 3, 2).unwrap();
        assert_eq!((turned.shape(), turned.numel()), (&[0, 2, 1 << 40][..], 0));
        assert_eq!(values(&turned.sum().unwrap()), vec![0.0]);
        // Reducing the empty axis away would make 20 * 2^62 identities: refused, not wrapped.
        let hollow = Tensor::zeros(&[4, 5, 0, 1 << 62], DType::F32, &dev).unwrap();
        let err = hollow.sum_axis(2, true).unwrap_err();
        assert!(
            err.to_string().contains("more elements than fit"),
            "{dev}: {err}"
        );
        // Splitting an empty tensor's axis of 2^62 into parts of 1 would list 2^62 views.
        let tall = Tensor::zeros(&[1 << 62, 0], DType::F32, &dev).unwrap();
        let err = tall.split(1, 0).unwrap_err();
        assert!(matches!(err, Error::OutOfMemory { .. }), "{dev}: {err}");
        // Reductions with an identity return it; the mean of nothing is NaN, as in PyTorch.
        assert_eq!(values(&x.sum().unwrap()), vec![0.0]);
        assert_eq!(values(&x.sum_axis(0, false).unwrap()), vec![0.0; 3]);
        assert!(values(&x.mean().unwrap())[0].is_nan());
        // Those without one stay errors.
        let err = x.max().unwrap_err();
        assert!(err.to_string().contains("no identity"), "{err}");
        // And backward through empty tensors gives empty gradients.
        x.exp().unwrap().sum().unwrap().backward().unwrap();
        assert_eq!(x.grad().unwrap().shape(), &[0, 3]);
        let exported = x.detach().to_ndarray::<f32>().unwrap();
        assert_eq!(exported.shape(), &[0, 3]);
    }
}

#[test]
fn sizes_no_memory_holds_are_errors_that_name_the_bytes() {
    // The host refuses 4 TiB at once, on any machine this runs on.
    let err = Tensor::zeros(&[1 << 40], DType::F32, &cpu()).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(
            err,
            Error::OutOfMemory {
                bytes: Some(4_398_046_511_104),
                device: DeviceKind::Cpu
            }
        ),
        "{message}"
    );
    assert!(
        message.contains("4398046511104 bytes (4.0 TiB)") && message.contains("on cpu"),
        "{message}"
    );
    for dev in devices() {
        // Random samples are generated on the host first, for either device.
        let err = Tensor::randn(&[1 << 36], DType::F32, 0, &dev).unwrap_err();
        assert!(
            matches!(&err, Error::OutOfMemory { bytes: Some(_), device } if *device == dev.kind())
                && err.to_string().contains(&format!("for a tensor on {dev}")),
            "randn on {dev}: {err}"
        );
        // A size whose bytes overflow is refused before any arithmetic wraps.
        let err = Tensor::zeros(&[usize::MAX / 2], DType::F32, &dev).unwrap_err();
        assert!(
            err.to_string().contains("more bytes than an address holds"),
            "{dev}: {err}"
        );
        // A view may be huge; copying it out may not (the GPU refuses the buffer first).
        let huge = randn(&[1], 10, &dev).broadcast_to(&[1 << 45]).unwrap();
        for err in [
            huge.to_ndarray::<f32>().unwrap_err(),
            wgrad::npy::to_bytes(&huge).unwrap_err(),
        ] {
            assert!(
                matches!(err, Error::OutOfMemory { .. } | Error::Gpu { .. })
                    && err.to_string().contains("bytes"),
                "{dev}: {err}"
            );
        }
        // Shapes that fit one by one but not together: [n, 1] + [1, n], [m, 0] @ [0, n].
        let column = randn(&[1], 11, &dev).broadcast_to(&[1 << 40, 1]).unwrap();
        let row = column.transpose(0, 1).unwrap();
        let err = column.add(&row).unwrap_err();
        assert!(
            err.to_string().contains("more elements than fit in memory"),
            "{dev}: {err}"
        );
        assert!(column.broadcast_to(&[1 << 40, 1 << 40]).is_err());
        let tall = randn(&[1, 0], 12, &dev)
            .broadcast_to(&[1 << 40, 0])
            .unwrap();
        let wide = randn(&[0, 1], 13, &dev)
            .broadcast_to(&[0, 1 << 40])
            .unwrap();
        let err = tall.matmul(&wide).unwrap_err();
        assert!(err.to_string().contains("matmul"), "{dev}: {err}");
        // A range of 1e30 elements is refused up front.
        let err = Tensor::arange(0.0, 1e30, 1.0, DType::F32, &dev).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { op: "arange", .. })
                && err.to_string().contains("1e30 elements"),
            "{err}"
        );
    }
}
