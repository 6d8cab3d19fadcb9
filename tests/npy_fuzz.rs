//! Random and mutated bytes against the .npy and .npz readers: every input must give a tensor or
//! an error, never a panic or an allocation beyond the input. Deterministic (seeded) mutations of
//! valid files of every dtype and shape kind, plus raw random bytes.

mod common;

use std::fs;

use common::{Rng, cpu, randn};
use wgrad::{DType, Tensor, npy, npz};

fn seeds() -> Vec<Vec<u8>> {
    let base = randn(&[2, 3, 4], 1);
    let mut files: Vec<Vec<u8>> = DType::ALL
        .into_iter()
        .filter(|&d| d != DType::BF16) // numpy has no bfloat16
        .map(|d| npy::to_bytes(&base.to_dtype(d).unwrap()).unwrap())
        .collect();
    for shape in [&[][..], &[0][..], &[5][..]] {
        files.push(npy::to_bytes(&Tensor::full(shape, 1.5, DType::F32, &cpu()).unwrap()).unwrap());
    }
    let fortran =
        b"\x93NUMPY\x01\x00\x3c\x00{'descr': '>i8', 'fortran_order': True, 'shape': (2, 2), }\n"
            .to_vec();
    files.push([fortran, (1..=4i64).flat_map(|v| v.to_be_bytes()).collect()].concat());
    files
}

/// One to four random edits: bit flips, byte writes (biased to header characters), truncation,
/// insertion, duplication of a slice.
fn mutate(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    const HEADER_CHARS: &[u8] = b"0123456789(),: '\"{}<>|=fiucbTrueFalse\n";
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len());
        match rng.below(6) {
            0 if !bytes.is_empty() => bytes[at] ^= 1 << rng.below(8),
            1 if !bytes.is_empty() => bytes[at] = HEADER_CHARS[rng.below(HEADER_CHARS.len())],
            2 if !bytes.is_empty() => bytes[at] = rng.next() as u8,
            3 => bytes.truncate(at),
            4 => {
                let insert: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, insert);
            }
            _ => {
                let end = (at + rng.below(64)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    bytes
}

/// A successful parse must be self-consistent: re-encoding and re-reading gives the same bits
/// (compared as bytes, since mutated floats may be NaN).
fn check(bytes: &[u8]) -> bool {
    match npy::from_bytes(bytes, &cpu()) {
        Ok(t) => {
            let encoded = npy::to_bytes(&t).unwrap();
            let again = npy::from_bytes(&encoded, &cpu()).unwrap();
            assert_eq!((again.dtype(), again.shape()), (t.dtype(), t.shape()));
            assert_eq!(npy::to_bytes(&again).unwrap(), encoded);
            true
        }
        Err(_) => false,
    }
}

#[test]
fn npy_reader_survives_mutated_and_random_input() {
    let seeds = seeds();
    let mut rng = Rng::new(0x5EED_CAFE);
    let (mut inputs, mut accepted) = (0usize, 0usize);
    for _ in 0..1_000_000 {
        let seed = seeds[rng.below(seeds.len())].clone();
        accepted += check(&mutate(&mut rng, seed)) as usize;
        inputs += 1;
    }
    for _ in 0..200_000 {
        let len = rng.below(300);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if rng.below(2) == 0 && bytes.len() >= 8 {
            bytes[..8].copy_from_slice(b"\x93NUMPY\x01\x00");
        }
        accepted += check(&bytes) as usize;
        inputs += 1;
    }
    println!(
        "npy fuzz: {inputs} inputs, {accepted} parsed, {} refused, no panic",
        inputs - accepted
    );
    assert!(
        accepted > 1000 && inputs - accepted > 500_000,
        "the mutations exercise both outcomes"
    );
}

#[test]
fn npz_reader_survives_mutated_archives() {
    let dir = std::env::temp_dir().join(format!("wgrad-npz-fuzz-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let valid = dir.join("valid.npz");
    let (a, b) = (
        randn(&[3, 4], 2),
        randn(&[5], 3).to_dtype(DType::I64).unwrap(),
    );
    npz::save(&valid, &[("a", &a), ("b", &b)]).unwrap();
    let original = fs::read(&valid).unwrap();
    let mut rng = Rng::new(0xA11CE);
    let (mut inputs, mut accepted) = (0usize, 0usize);
    let path = dir.join("mutated.npz");
    for _ in 0..3_000 {
        fs::write(&path, mutate(&mut rng, original.clone())).unwrap();
        accepted += npz::load(&path, &cpu()).is_ok() as usize;
        inputs += 1;
    }
    println!(
        "npz fuzz: {inputs} inputs, {accepted} loaded, {} refused, no panic",
        inputs - accepted
    );
    fs::remove_dir_all(&dir).unwrap();
    assert!(inputs - accepted > 1000);
}
