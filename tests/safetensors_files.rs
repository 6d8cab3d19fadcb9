//! `.safetensors` files: every dtype round-trips (bf16 too), the same refusals and atomic
//! writes as `.npy`, strict reading of malformed files, and state dicts by file extension.

mod common;

use common::{cpu, gpu_or_skip, randn, scratch, values};
use wgrad::nn::{Linear, Module, load_state_dict, save_state_dict};
use wgrad::{DType, Error, Tensor, safetensors};

/// A random tensor of `shape` in each dtype safetensors has (all but complex128).
fn every_dtype(shape: &[usize]) -> Vec<(String, Tensor)> {
    let x = randn(shape, 40).mul_scalar(20.0).unwrap();
    DType::ALL
        .iter()
        .filter(|&&dtype| dtype != DType::C128)
        .map(|&dtype| {
            let t = match dtype {
                DType::Bool => x.gt_scalar(0.0).unwrap(),
                DType::U8 => x.abs().unwrap().to_dtype(dtype).unwrap(),
                _ => x.to_dtype(dtype).unwrap(),
            };
            (format!("{dtype}"), t)
        })
        .collect()
}

#[test]
fn every_dtype_round_trips_exactly_in_file_order() {
    let dir = scratch("safetensors");
    let tensors = every_dtype(&[3, 4]);
    let mut pairs: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let transposed = tensors[0].1.transpose(0, 1).unwrap();
    pairs.push(("transposed", &transposed));
    let path = dir.join("all.safetensors");
    safetensors::save(&path, &pairs).unwrap();
    let loaded = safetensors::load(&path, &cpu()).unwrap();
    assert_eq!(loaded.len(), pairs.len());
    for (name, t) in &pairs {
        let (_, back) = loaded.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(
            (back.dtype(), back.shape()),
            (t.dtype(), t.shape()),
            "{name}"
        );
        assert_eq!(
            back.to_ndarray_dyn().unwrap(),
            t.to_ndarray_dyn().unwrap(),
            "{name}"
        );
    }
    assert_eq!(
        safetensors::to_bytes(&pairs).unwrap(),
        std::fs::read(&path).unwrap()
    );
    if let Some(gpu) = gpu_or_skip() {
        let on_gpu = tensors[0].1.to(&gpu).unwrap();
        safetensors::save(dir.join("gpu.safetensors"), &[("w", &on_gpu)]).unwrap();
        let back = safetensors::load(dir.join("gpu.safetensors"), &gpu).unwrap();
        assert!(back[0].1.device() == gpu);
        assert_eq!(values(&back[0].1), values(&tensors[0].1));
    }
}

#[test]
fn saving_refuses_what_it_cannot_write_and_leaves_the_old_file() {
    let dir = scratch("safetensors-refuse");
    let path = dir.join("w.safetensors");
    let w = randn(&[2, 2], 41);
    safetensors::save(&path, &[("w", &w)]).unwrap();
    let before = std::fs::read(&path).unwrap();
    let attached = w.clone().requires_grad().unwrap();
    let err = safetensors::save(&path, &[("w", &attached)]).unwrap_err();
    assert!(matches!(err, Error::RequiresGrad { .. }), "{err}");
    let complex = w.to_dtype(DType::C128).unwrap();
    let err = safetensors::save(&path, &[("w", &complex)]).unwrap_err();
    assert!(
        err.to_string().contains("safetensors has no complex128"),
        "{err}"
    );
    let err = safetensors::save(&path, &[("w", &w), ("w", &w)]).unwrap_err();
    assert!(err.to_string().contains("unique"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is untouched"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file is left"
    );
}

/// A file with `header` (JSON) and `data`, as the format lays them out.
fn raw(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    bytes
}

#[test]
fn malformed_or_unsupported_files_are_errors_that_name_the_problem() {
    let dir = scratch("safetensors-bad");
    let good = safetensors::to_bytes(&[("w", &randn(&[4], 42))]).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "not a valid .safetensors"),
        (
            "truncated",
            good[..good.len() - 3].to_vec(),
            "not a valid .safetensors",
        ),
        (
            "huge header",
            raw("{", &[])
                .iter()
                .map(|&b| if b == 1 { 0xff } else { b })
                .collect(),
            "not a valid",
        ),
        ("not json", raw("{nope}   ", &[]), "not a valid"),
        (
            "float8",
            raw(
                r#"{"x":{"dtype":"F8_E5M2","shape":[2],"data_offsets":[0,2]}}"#,
                &[1, 2],
            ),
            "F8_E5M2 has no wgrad dtype",
        ),
        (
            "bad bool",
            raw(
                r#"{"x":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}"#,
                &[1, 7],
            ),
            "the byte 7",
        ),
        (
            "shape and data disagree",
            raw(
                r#"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
                &[0; 8],
            ),
            "not a valid",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.join(format!("{name}.safetensors"));
        std::fs::write(&path, &bytes).unwrap();
        let err = safetensors::load(&path, &cpu()).unwrap_err();
        assert!(matches!(err, Error::InvalidFile { .. }), "{name}: {err}");
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
}

#[test]
fn state_dicts_choose_safetensors_by_extension() {
    let dir = scratch("safetensors-state");
    let (a, b) = (
        Linear::new(3, 2, &cpu()).unwrap(),
        Linear::new(3, 2, &cpu()).unwrap(),
    );
    let path = dir.join("model.safetensors");
    save_state_dict(&path, &a).unwrap();
    let names: Vec<String> = safetensors::load(&path, &cpu())
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"weight".to_string()) && names.contains(&"bias".to_string()));
    assert_ne!(values(&a.weight.get()), values(&b.weight.get()));
    load_state_dict(&path, &b).unwrap();
    assert_eq!(values(&a.weight.get()), values(&b.weight.get()));
    assert_eq!(a.state_dict().len(), b.state_dict().len());
}
