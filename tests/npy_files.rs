//! .npy and .npz files: round trips of every dtype, strict reading of bad input, atomic writes.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use common::{cpu, randn, scratch};
use half::f16;
use num_complex::Complex32;
use wgrad::{DType, DynArray, Error, Tensor, npy, npz};

/// One tensor of each dtype numpy has, with values from a formula.
fn every_numpy_dtype() -> Vec<Tensor> {
    let base = randn(&[3, 5], 1).mul_scalar(40.0).unwrap();
    let mut tensors: Vec<Tensor> = DType::ALL
        .into_iter()
        .filter(|&d| d != DType::BF16 && d != DType::Bool)
        .map(|d| base.to_dtype(d).unwrap())
        .collect();
    tensors.push(
        base.gt(&Tensor::zeros(&[], DType::F64, &cpu()).unwrap())
            .unwrap(),
    );
    tensors
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    names.sort();
    names
}

fn invalid_message(result: wgrad::Result<Tensor>) -> String {
    match result {
        Err(e @ Error::InvalidFile { .. }) => e.to_string(),
        other => panic!("expected InvalidFile, got {other:?}"),
    }
}

#[test]
fn every_dtype_round_trips_through_npy_files_and_bytes() {
    let dir = scratch("roundtrip");
    let tensors = every_numpy_dtype();
    assert_eq!(tensors.len(), DType::ALL.len() - 1, "all but bf16");
    let count = tensors.len();
    for (i, t) in tensors.into_iter().enumerate() {
        let path = dir.join(format!("{i}.npy"));
        npy::save(&path, &t).unwrap();
        let back = npy::load(&path, &cpu()).unwrap();
        assert_eq!(back.dtype(), t.dtype());
        assert_eq!(back.to_ndarray_dyn().unwrap(), t.to_ndarray_dyn().unwrap());
        let bytes = npy::to_bytes(&t).unwrap();
        assert_eq!(bytes, fs::read(&path).unwrap(), "file and bytes agree");
        assert_eq!(
            bytes.len() % 64,
            (t.numel() * t.dtype().size_in_bytes()) % 64,
            "data starts on a 64-byte boundary"
        );
        assert_eq!(
            npy::from_bytes(&bytes, &cpu())
                .unwrap()
                .to_ndarray_dyn()
                .unwrap(),
            t.to_ndarray_dyn().unwrap()
        );
    }
    assert_eq!(
        files_in(&dir).len(),
        count,
        "no temporary files are left behind"
    );
}

#[test]
fn views_scalars_and_empty_tensors_save_in_logical_order() {
    let t = randn(&[4, 6], 2);
    for view in [
        t.transpose(0, 1).unwrap(),
        t.narrow(1, 2, 3).unwrap(),
        t.narrow(0, 1, 1).unwrap().broadcast_to(&[3, 6]).unwrap(),
    ] {
        let back = npy::from_bytes(&npy::to_bytes(&view).unwrap(), &cpu()).unwrap();
        assert_eq!(
            back.to_ndarray::<f64>().unwrap(),
            view.to_ndarray::<f64>().unwrap()
        );
    }
    for shape in [&[][..], &[0], &[2, 0, 3]] {
        let t = Tensor::full(shape, 2.5, DType::F32, &cpu()).unwrap();
        let back = npy::from_bytes(&npy::to_bytes(&t).unwrap(), &cpu()).unwrap();
        assert_eq!(back.shape(), shape);
        assert_eq!(
            back.to_ndarray::<f32>().unwrap(),
            t.to_ndarray::<f32>().unwrap()
        );
    }
}

#[test]
fn saving_refuses_attached_tensors_and_bf16_without_touching_the_file() {
    let dir = scratch("refuse");
    let path = dir.join("kept.npy");
    let original = randn(&[3], 3);
    npy::save(&path, &original).unwrap();
    let before = fs::read(&path).unwrap();

    let attached = randn(&[3], 4).requires_grad().unwrap();
    let err = npy::save(&path, &attached).unwrap_err();
    assert!(err.to_string().contains(".detach()"), "{err}");
    let err = npy::save(&path, &original.to_dtype(DType::BF16).unwrap()).unwrap_err();
    assert!(
        err.to_string().contains("bfloat16") && err.to_string().contains("to_dtype(DType::F32)"),
        "{err}"
    );
    let err = npz::save(dir.join("m.npz"), &[("w", &attached)]).unwrap_err();
    assert!(matches!(err, Error::RequiresGrad { .. }));
    // A rename onto a directory fails after the data was written: the temporary file goes away.
    fs::create_dir(dir.join("a_directory.npy")).unwrap();
    assert!(matches!(
        npy::save(dir.join("a_directory.npy"), &original),
        Err(Error::Io { .. })
    ));

    assert_eq!(fs::read(&path).unwrap(), before);
    assert_eq!(
        files_in(&dir),
        vec!["a_directory.npy".to_string(), "kept.npy".to_string()]
    );
}

#[test]
fn npz_round_trips_named_tensors_in_order() {
    let dir = scratch("npz");
    let path = dir.join("model.npz");
    let tensors = every_numpy_dtype();
    let names: Vec<String> = (0..tensors.len())
        .map(|i| format!("layers.{i}.weight"))
        .collect();
    let pairs: Vec<(&str, &Tensor)> = names
        .iter()
        .map(String::as_str)
        .zip(tensors.iter())
        .collect();
    npz::save(&path, &pairs).unwrap();
    let loaded = npz::load(&path, &cpu()).unwrap();
    assert_eq!(loaded.len(), tensors.len());
    for ((name, t), (loaded_name, back)) in pairs.iter().zip(&loaded) {
        assert_eq!(name, loaded_name);
        assert_eq!(back.to_ndarray_dyn().unwrap(), t.to_ndarray_dyn().unwrap());
    }
    let x = randn(&[2], 5);
    let err = npz::save(&path, &[("a", &x), ("a", &x)]).unwrap_err();
    assert!(err.to_string().contains("unique"), "{err}");
    assert_eq!(
        npz::load(&path, &cpu()).unwrap().len(),
        tensors.len(),
        "the refused save left the file alone"
    );
}

/// A valid file's bytes with its header text replaced (length fields kept consistent).
fn with_header(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn malformed_files_are_errors_that_say_what_is_wrong() {
    let good = npy::to_bytes(&randn(&[2, 3], 6)).unwrap();
    let data = &good[128..];
    assert_eq!(data.len(), 48);
    let dict = |d: &str, shape: &str| {
        format!("{{'descr': '{d}', 'fortran_order': False, 'shape': {shape}, }}\n")
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"GIF89a".to_vec(), "truncated"),
        (
            [b"PK\x03\x04".as_slice(), &good[4..]].concat(),
            "does not start with",
        ),
        (
            [&good[..6], b"\x04\x00".as_slice(), &good[8..]].concat(),
            "version 4.0",
        ),
        (good[..100].to_vec(), "truncated"),
        (
            good[..good.len() - 1].to_vec(),
            "needs 48 bytes of data but only 47",
        ),
        ([good.as_slice(), &[0]].concat(), "more data follows"),
        (
            with_header(&dict("<f16", "(2, 3)"), data),
            "unsupported dtype <f16 (a float)",
        ),
        (
            with_header(&dict("<f8", "(2, -3)"), data),
            "malformed header",
        ),
        (
            with_header(&dict("<f8", "(4294967296, 4294967296, 16)"), data),
            "more elements than fit",
        ),
        (
            with_header(&dict("<f8", "(1000000000000,)"), data),
            "only 48 follow the header",
        ),
        (with_header(&dict("|b1", "(48,)"), data), "bools are 0 or 1"),
        (
            with_header("{'descr': '<f8', 'shape': (6,)}\n", data),
            "no 'fortran_order'",
        ),
        (
            with_header(
                &format!("{}{}", " ".repeat(10_001), dict("<f8", "(6,)")),
                data,
            ),
            "at most 10000",
        ),
    ];
    for (bytes, expected) in cases {
        let msg = invalid_message(npy::from_bytes(&bytes, &cpu()));
        assert!(msg.contains(expected), "expected {expected:?} in {msg:?}");
    }
}

#[test]
fn readers_accept_fortran_order_big_endian_and_every_header_version() {
    // [[1, 2, 3], [4, 5, 6]] as big-endian f32 in Fortran order: 1 4 2 5 3 6.
    let values = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0];
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let dict = "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }\n";
    let t = npy::from_bytes(&with_header(dict, &data), &cpu()).unwrap();
    let expected: Vec<f32> = (1..=6).map(|v| v as f32).collect();
    assert_eq!(
        t.to_ndarray::<f32>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        expected
    );
    // Big-endian complex: each f32 half swapped on its own.
    let z: Vec<u8> = [1.5f32, -2.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let c = npy::from_bytes(
        &with_header(
            "{'descr': '>c8', 'fortran_order': False, 'shape': (1,)}\n",
            &z,
        ),
        &cpu(),
    )
    .unwrap();
    assert_eq!(
        c.to_ndarray::<Complex32>().unwrap()[[0]],
        Complex32::new(1.5, -2.0)
    );
    // Versions 2.0 and 3.0 carry a four-byte header length; 3.0 allows UTF-8.
    for version in [2u8, 3] {
        let dict = "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }\n";
        let mut bytes = vec![0x93, b'N', b'U', b'M', b'P', b'Y', version, 0];
        bytes.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        bytes.extend_from_slice(dict.as_bytes());
        bytes.extend_from_slice(
            &[
                f16::from_f32(0.5).to_le_bytes(),
                f16::from_f32(-3.0).to_le_bytes(),
            ]
            .concat(),
        );
        let t = npy::from_bytes(&bytes, &cpu()).unwrap();
        assert_eq!(
            t.to_ndarray::<f16>()
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            vec![f16::from_f32(0.5), f16::from_f32(-3.0)]
        );
    }
}

#[test]
fn npz_refuses_bombs_and_non_zip_files() {
    let dir = scratch("bomb");
    // A deflated entry whose header promises 8 TB from a few bytes of compressed data.
    let path = dir.join("bomb.npz");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("huge.npy", options).unwrap();
    zip.write_all(&with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }\n",
        &[0; 4096],
    ))
    .unwrap();
    zip.finish().unwrap();
    let err = npz::load(&path, &cpu()).unwrap_err();
    assert!(
        err.to_string().contains("huge.npy")
            && err.to_string().contains("needs 8000000000000 bytes"),
        "{err}"
    );
    // The same bomb with its declared uncompressed size forged to 4 GB: only deflate's maximum
    // ratio bounds what the entry can hold, and that bound refuses it before any allocation.
    let mut bytes = fs::read(&path).unwrap();
    let forged = 0xFFFF_FFF0u32.to_le_bytes();
    for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let at = bytes.windows(4).position(|w| w == signature).unwrap() + offset;
        bytes[at..at + 4].copy_from_slice(&forged);
    }
    fs::write(&path, &bytes).unwrap();
    let msg = npz::load(&path, &cpu()).unwrap_err().to_string();
    let compressed = msg
        .split("only ")
        .nth(1)
        .and_then(|m| m.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok());
    assert!(
        compressed.is_some_and(|n| n < 200 * 1032),
        "bounded by the deflate ratio: {msg}"
    );

    let not_zip = dir.join("plain.npz");
    fs::write(&not_zip, npy::to_bytes(&randn(&[3], 7)).unwrap()).unwrap();
    assert!(
        npz::load(&not_zip, &cpu())
            .unwrap_err()
            .to_string()
            .contains("not a valid .npz")
    );
    assert!(matches!(
        npz::load(dir.join("missing.npz"), &cpu()),
        Err(Error::Io { .. })
    ));
    assert!(matches!(
        npy::load(dir.join("missing.npy"), &cpu()),
        Err(Error::Io { .. })
    ));
}

#[test]
fn item_reads_one_element() {
    let t = Tensor::from_vec(vec![4.25f32], &[1, 1], &cpu()).unwrap();
    assert_eq!(t.item::<f32>().unwrap(), 4.25);
    assert_eq!(t.item::<f64>().unwrap(), 4.25, "f32 widens to f64 exactly");
    let third = Tensor::from_vec(vec![1.0f32 / 3.0], &[], &cpu()).unwrap();
    assert_eq!(third.item::<f64>().unwrap(), f64::from(1.0f32 / 3.0));
    assert!(
        t.item::<i32>()
            .unwrap_err()
            .to_string()
            .contains("to_dtype")
    );
    assert!(
        randn(&[2], 1)
            .item::<f64>()
            .unwrap_err()
            .to_string()
            .contains("2 elements")
    );
    // item() returns a plain number, so it is allowed on a tensor in the graph (loss.item()).
    let loss = t.clone().requires_grad().unwrap().mul_scalar(2.0).unwrap();
    assert_eq!(loss.item::<f32>().unwrap(), 8.5);
    assert_eq!(loss.item::<f64>().unwrap(), 8.5);
    assert!(loss.needs_grad(), "and leaves the tensor attached");
    assert!(matches!(
        loss.to_ndarray::<f32>(),
        Err(Error::RequiresGrad { .. })
    ));
    let arr = DynArray::I64(ndarray::arr0(7i64).into_dyn());
    assert_eq!(
        Tensor::from_dyn_array(arr, &cpu())
            .unwrap()
            .item::<i64>()
            .unwrap(),
        7
    );
}

#[test]
fn npz_names_that_would_escape_the_archive_are_refused_both_ways() {
    let dir = scratch("npz-names");
    let x = randn(&[2], 8);
    let path = dir.join("model.npz");
    for (name, why) in [
        ("../outside", "climbs out through '..'"),
        ("layers/../../outside", "climbs out through '..'"),
        ("/etc/weights", "is absolute"),
        ("\\share\\weights", "is absolute"),
        ("C:weights", "starts with a drive"),
    ] {
        let err = npz::save(&path, &[("ok", &x), (name, &x)]).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }) && err.to_string().contains(why),
            "{name}: {err}"
        );
        assert!(!path.exists(), "nothing was written for {name}");
    }
    // Nested relative names are fine, as np.savez allows them.
    npz::save(&path, &[("layers/0/weight", &x), ("a..b", &x)]).unwrap();
    assert_eq!(npz::load(&path, &cpu()).unwrap()[0].0, "layers/0/weight");

    // An archive made elsewhere with such an entry is refused when read.
    let hostile = dir.join("hostile.npz");
    let mut zip = zip::ZipWriter::new(fs::File::create(&hostile).unwrap());
    zip.start_file("../../evil.npy", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&npy::to_bytes(&x).unwrap()).unwrap();
    zip.finish().unwrap();
    let err = npz::load(&hostile, &cpu()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidFile { .. }) && err.to_string().contains("../../evil.npy"),
        "{err}"
    );
}
