//! Interop with real numpy, both ways. Values come from one formula that each side computes on
//! its own; nothing is copied between them as literals.
//!
//! Needs python3 with numpy. Without it these tests print why and pass, unless
//! WGRAD_REQUIRE_NUMPY=1 (CI sets it), which makes a missing numpy a failure.

mod common;

use std::path::Path;
use std::process::Command;

use common::{cpu, scratch};
use half::f16;
use num_complex::{Complex32, Complex64};
use wgrad::{DType, Tensor, npy, npz, safetensors};

/// v(i) = ((i * 7919) % 1000 - 500) / 37: exact integer steps and one correctly rounded division,
/// so both sides get the same bits.
fn v(i: usize) -> f64 {
    ((i * 7919) % 1000) as f64 - 500.0
}

fn base(n: usize) -> Vec<f64> {
    (0..n).map(|i| v(i) / 37.0).collect()
}

const PY_FORMULA: &str = "
import sys, io, zipfile, numpy as np
def base(n): return ((np.arange(n) * 7919) % 1000 - 500).astype(np.float64) / 37.0
def expected(kind, n):
    b = base(n)
    return {
        'f4': b.astype(np.float32), 'f8': b, 'f2': b.astype(np.float16),
        'i4': (b * 1000).astype(np.int32), 'i8': (b * 1e12).astype(np.int64),
        'u1': ((np.arange(n) * 37) % 256).astype(np.uint8), 'b1': b > 0,
        'c8': (b.astype(np.float32) - 1j * np.arange(n)).astype(np.complex64),
        'i1': (b * 3).astype(np.int8), 'i2': (b * 1000).astype(np.int16),
        'u2': ((np.arange(n) * 7919) % 65536).astype(np.uint16),
        'u4': (np.arange(n, dtype=np.uint64) * 2654435761 % 2**32).astype(np.uint32),
        'u8': np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15),
        'c16': b - 0.25j * np.arange(n),
    }[kind]
KINDS = ['f4', 'f8', 'f2', 'i4', 'i8', 'u1', 'b1', 'c8', 'i1', 'i2', 'u2', 'u4', 'u8', 'c16']
";

fn numpy_available() -> bool {
    python_has("numpy")
}

/// Whether python3 can import `modules` (a comma-separated list); without them a test skips,
/// saying so, unless WGRAD_REQUIRE_NUMPY=1.
fn python_has(modules: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("WGRAD_REQUIRE_NUMPY").as_deref() != Ok("1"),
            "WGRAD_REQUIRE_NUMPY=1 but python3 cannot import {modules}"
        );
        println!("skipped: python3 cannot import {modules} (pip install {modules})");
    }
    ok
}

fn run_python(script: &str, dir: &Path) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!("{PY_FORMULA}{script}"))
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
}

/// The formula's tensors in every numpy dtype, made with wgrad's own ops and casts.
fn wgrad_tensors(n: usize, shape: &[usize]) -> Vec<(&'static str, Tensor)> {
    let dev = cpu();
    let b = Tensor::from_vec(base(n), shape, &dev).unwrap();
    let index = Tensor::arange(0.0, n as f64, 1.0, DType::F64, &dev)
        .unwrap()
        .reshape(shape)
        .unwrap();
    let zero = Tensor::zeros(&[], DType::F64, &dev).unwrap();
    let complex: Vec<Complex32> = base(n)
        .iter()
        .enumerate()
        .map(|(i, &x)| Complex32::new(x as f32, 0.0 - i as f32))
        .collect();
    let bytes: Vec<u8> = (0..n).map(|i| ((i * 37) % 256) as u8).collect();
    let shorts: Vec<u16> = (0..n).map(|i| ((i * 7919) % 65536) as u16).collect();
    let words: Vec<u32> = (0..n as u64)
        .map(|i| (i * 2_654_435_761 % (1 << 32)) as u32)
        .collect();
    let longs: Vec<u64> = (0..n as u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let wide: Vec<Complex64> = base(n)
        .iter()
        .enumerate()
        .map(|(i, &x)| Complex64::new(x, 0.0 - i as f64 * 0.25))
        .collect();
    vec![
        ("f4", b.to_dtype(DType::F32).unwrap()),
        ("f8", b.clone()),
        ("f2", b.to_dtype(DType::F16).unwrap()),
        (
            "i4",
            b.mul_scalar(1000.0).unwrap().to_dtype(DType::I32).unwrap(),
        ),
        (
            "i8",
            b.mul_scalar(1e12).unwrap().to_dtype(DType::I64).unwrap(),
        ),
        ("u1", Tensor::from_vec(bytes, shape, &dev).unwrap()),
        ("b1", b.gt(&zero).unwrap()),
        ("c8", Tensor::from_vec(complex, shape, &dev).unwrap()),
        (
            "i1",
            b.mul_scalar(3.0).unwrap().to_dtype(DType::I8).unwrap(),
        ),
        (
            "i2",
            b.mul_scalar(1000.0).unwrap().to_dtype(DType::I16).unwrap(),
        ),
        ("u2", Tensor::from_vec(shorts, shape, &dev).unwrap()),
        ("u4", Tensor::from_vec(words, shape, &dev).unwrap()),
        ("u8", Tensor::from_vec(longs, shape, &dev).unwrap()),
        ("c16", Tensor::from_vec(wide, shape, &dev).unwrap()),
        ("index", index),
    ]
}

#[test]
fn numpy_loads_what_wgrad_writes_byte_for_byte() {
    if !numpy_available() {
        return;
    }
    let dir = scratch("numpy-load");
    let tensors = wgrad_tensors(15, &[3, 5]);
    let kinds = &tensors[..tensors.len() - 1];
    for (kind, t) in kinds {
        npy::save(dir.join(format!("{kind}.npy")), t).unwrap();
    }
    let transposed = tensors[1].1.transpose(0, 1).unwrap();
    npy::save(dir.join("transposed.npy"), &transposed).unwrap();
    let pairs: Vec<(&str, &Tensor)> = tensors.iter().map(|(k, t)| (*k, t)).collect();
    npz::save(dir.join("all.npz"), &pairs).unwrap();
    run_python(
        "
d = sys.argv[1]
kinds = KINDS
for kind in kinds:
    want = expected(kind, 15).reshape(3, 5)
    got = np.load(f'{d}/{kind}.npy')
    assert got.dtype == want.dtype and got.shape == (3, 5), (kind, got.dtype, got.shape)
    assert np.array_equal(got, want), (kind, got, want)
    buf = io.BytesIO(); np.save(buf, want)
    assert open(f'{d}/{kind}.npy', 'rb').read() == buf.getvalue(), f'{kind}: bytes differ from np.save'
t = np.load(f'{d}/transposed.npy')
assert t.flags.c_contiguous and np.array_equal(t, base(15).reshape(3, 5).T)
with np.load(f'{d}/all.npz') as z:
    assert list(z.keys()) == kinds + ['index'], list(z.keys())
    for kind in kinds:
        assert np.array_equal(z[kind], expected(kind, 15).reshape(3, 5)), kind
    assert np.array_equal(z['index'], np.arange(15.0).reshape(3, 5))
print('numpy checked', len(kinds) + 2, 'files written by wgrad')
",
        &dir,
    );
}

#[test]
fn wgrad_loads_what_numpy_writes() {
    if !numpy_available() {
        return;
    }
    let dir = scratch("numpy-save");
    run_python(
        "
d = sys.argv[1]
for kind in KINDS:
    np.save(f'{d}/{kind}.npy', expected(kind, 15).reshape(3, 5))
np.save(f'{d}/fortran.npy', np.asfortranarray(base(15).reshape(3, 5)))
for kind in ['f4', 'i8', 'c8']:
    np.save(f'{d}/big_{kind}.npy', expected(kind, 15).reshape(3, 5).astype('>' + kind))
np.save(f'{d}/scalar.npy', np.array(base(1)[0]))
np.save(f'{d}/empty.npy', np.zeros((0, 3), np.float32))
np.savez(f'{d}/plain.npz', w=expected('f4', 6).reshape(2, 3), b=expected('i8', 3))
np.savez_compressed(f'{d}/compressed.npz', w=expected('f4', 6).reshape(2, 3), b=expected('i8', 3))
",
        &dir,
    );
    let dev = cpu();
    let ours = wgrad_tensors(15, &[3, 5]);
    for (kind, t) in &ours[..ours.len() - 1] {
        let loaded = npy::load(dir.join(format!("{kind}.npy")), &dev).unwrap();
        assert_eq!(
            loaded.to_ndarray_dyn().unwrap(),
            t.to_ndarray_dyn().unwrap(),
            "{kind}"
        );
    }
    let f64s = &ours[1].1;
    assert_eq!(
        npy::load(dir.join("fortran.npy"), &dev)
            .unwrap()
            .to_ndarray::<f64>()
            .unwrap(),
        f64s.to_ndarray::<f64>().unwrap()
    );
    for (kind, index) in [("f4", 0), ("i8", 4), ("c8", 7)] {
        let loaded = npy::load(dir.join(format!("big_{kind}.npy")), &dev).unwrap();
        assert_eq!(
            loaded.to_ndarray_dyn().unwrap(),
            ours[index].1.to_ndarray_dyn().unwrap(),
            "big-endian {kind}"
        );
    }
    let scalar = npy::load(dir.join("scalar.npy"), &dev).unwrap();
    assert_eq!(
        (scalar.shape(), scalar.item::<f64>().unwrap()),
        (&[][..], base(1)[0])
    );
    let empty = npy::load(dir.join("empty.npy"), &dev).unwrap();
    assert_eq!((empty.shape(), empty.dtype()), (&[0, 3][..], DType::F32));
    for archive in ["plain.npz", "compressed.npz"] {
        let arrays = npz::load(dir.join(archive), &dev).unwrap();
        let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["w", "b"], "{archive}");
        let w: Vec<f32> = base(6).iter().map(|&x| x as f32).collect();
        assert_eq!(
            arrays[0]
                .1
                .to_ndarray::<f32>()
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            w,
            "{archive}"
        );
        let b: Vec<i64> = base(3).iter().map(|&x| (x * 1e12) as i64).collect();
        assert_eq!(
            arrays[1]
                .1
                .to_ndarray::<i64>()
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            b,
            "{archive}"
        );
    }
    let halves = npy::load(dir.join("f2.npy"), &dev)
        .unwrap()
        .to_ndarray::<f16>()
        .unwrap();
    assert_eq!(halves[[2, 4]], f16::from_f64(base(15)[14]));
}

#[test]
fn safetensors_files_go_both_ways_with_the_python_package() {
    if !python_has("numpy, safetensors") {
        return;
    }
    let dir = scratch("safetensors-interop");
    // Every kind but complex128, which safetensors lacks.
    let tensors: Vec<(&str, Tensor)> = wgrad_tensors(15, &[3, 5])
        .into_iter()
        .filter(|(kind, _)| *kind != "c16")
        .collect();
    let pairs: Vec<(&str, &Tensor)> = tensors.iter().map(|(k, t)| (*k, t)).collect();
    safetensors::save(dir.join("wgrad.safetensors"), &pairs).unwrap();
    run_python(
        "
from safetensors.numpy import load_file, save_file
d = sys.argv[1]
kinds = [k for k in KINDS if k != 'c16']
got = load_file(f'{d}/wgrad.safetensors')
assert sorted(got) == sorted(kinds + ['index']), sorted(got)
for kind in kinds:
    want = expected(kind, 15).reshape(3, 5)
    assert got[kind].dtype == want.dtype and np.array_equal(got[kind], want), kind
assert np.array_equal(got['index'], np.arange(15.0).reshape(3, 5))
save_file({kind: expected(kind, 15).reshape(3, 5) for kind in kinds}, f'{d}/python.safetensors')
print('the safetensors package read', len(got), 'tensors written by wgrad')
",
        &dir,
    );
    let loaded = safetensors::load(dir.join("python.safetensors"), &cpu()).unwrap();
    assert_eq!(loaded.len(), tensors.len() - 1);
    for (kind, t) in &tensors[..tensors.len() - 1] {
        let (_, back) = loaded
            .iter()
            .find(|(name, _)| name == kind)
            .unwrap_or_else(|| panic!("{kind} missing"));
        assert_eq!(
            back.to_ndarray_dyn().unwrap(),
            t.to_ndarray_dyn().unwrap(),
            "{kind}"
        );
    }
}
