//! Helpers shared by the integration tests: seeded random inputs, never all zeros or ones.
#![allow(dead_code)] // each test binary uses its own subset

use wgrad::{DType, Device, Tensor};

pub fn cpu() -> Device {
    Device::cpu()
}

/// Standard-normal f64 samples.
pub fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, DType::F64, seed, &cpu()).unwrap()
}

/// f64 samples in [0.5, 1.5): inputs for functions defined only for positive numbers.
pub fn positive(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand(shape, DType::F64, seed, &cpu())
        .unwrap()
        .add_scalar(0.5)
        .unwrap()
}

/// The tensor's elements (on any device, of any real dtype) as f64, in C order.
pub fn values(t: &Tensor) -> Vec<f64> {
    let host = t.detach().to(&cpu()).unwrap();
    host.to_dtype(DType::F64)
        .unwrap()
        .to_ndarray::<f64>()
        .unwrap()
        .into_iter()
        .collect()
}

/// Asserts elementwise closeness with a stated tolerance.
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len(), "lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tol * (1.0 + e.abs()),
            "element {i}: {a} vs {e} (tolerance {tol})"
        );
    }
}

/// A fresh, empty scratch directory for one test, removed with what it holds when dropped.
pub struct Scratch(std::path::PathBuf);

impl std::ops::Deref for Scratch {
    type Target = std::path::Path;

    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for Scratch {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("wgrad-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// The GPU, or `None` with the reason printed. With WGRAD_REQUIRE_GPU=1 (as in CI) a missing
/// adapter fails the test instead.
pub fn gpu_or_skip() -> Option<Device> {
    match Device::gpu() {
        Ok(device) => Some(device),
        Err(e) => {
            assert!(
                std::env::var("WGRAD_REQUIRE_GPU").as_deref() != Ok("1"),
                "WGRAD_REQUIRE_GPU=1 but: {e}"
            );
            println!("skipped: {e}");
            None
        }
    }
}

/// The GPU when it holds f64 (SHADER_F64), else `None` with the reason printed; as
/// [`gpu_or_skip`] when there is no adapter at all.
pub fn gpu_f64_or_skip() -> Option<Device> {
    let gpu = gpu_or_skip()?;
    if gpu.supports(DType::F64) {
        Some(gpu)
    } else {
        println!("skipped: the GPU adapter lacks SHADER_F64");
        None
    }
}

/// xorshift64*: the fuzzers' own seeded randomness, a few lines and reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // xorshift never leaves 0; any other state will do.
        Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}
