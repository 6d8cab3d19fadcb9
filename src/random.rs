//! Seeded random numbers that are the same on every machine and every run.
//!
//! SplitMix64 gives the bits; uniform floats keep exactly as many bits as the target dtype's
//! mantissa holds, so they stay below 1 after rounding; normals come from Box-Muller through
//! `libm`, whose results do not depend on the platform's math library.

use crate::backend::cpu::alloc;
use crate::dtype::DType;
use crate::error::Result;

/// Steele, Lea and Flood's SplitMix64: tiny, fast, and good enough for initialisation and tests.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with `bits` random mantissa bits.
    fn next_unit(&mut self, bits: u32) -> f64 {
        (self.next_u64() >> (64 - bits)) as f64 / (1u64 << bits) as f64
    }
}

/// Mantissa bits (with the implicit one) of a float dtype: the precision of its uniform samples.
fn mantissa_bits(dtype: DType) -> u32 {
    match dtype {
        DType::F16 => 11,
        DType::BF16 => 8,
        DType::F32 => 24,
        _ => 53,
    }
}

/// `n` samples uniform in [0, 1), exactly representable in `dtype`.
pub(crate) fn uniform(n: usize, seed: u64, dtype: DType) -> Result<Vec<f64>> {
    let mut rng = SplitMix64(seed);
    let bits = mantissa_bits(dtype);
    let mut out = alloc::with_capacity(n)?;
    out.extend((0..n).map(|_| rng.next_unit(bits)));
    Ok(out)
}

/// `n` samples of the standard normal distribution.
pub(crate) fn normal(n: usize, seed: u64) -> Result<Vec<f64>> {
    let mut rng = SplitMix64(seed);
    let mut out = alloc::with_capacity(n.saturating_add(1))?;
    while out.len() < n {
        let u1 = 1.0 - rng.next_unit(53); // in (0, 1]: the logarithm stays finite
        let u2 = rng.next_unit(53);
        let radius = libm::sqrt(-2.0 * libm::log(u1));
        let angle = 2.0 * std::f64::consts::PI * u2;
        out.push(radius * libm::cos(angle));
        out.push(radius * libm::sin(angle));
    }
    out.truncate(n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_have_the_right_moments_and_range() {
        let u = uniform(100_000, 7, DType::F16).unwrap();
        assert!(
            u.iter()
                .all(|&x| (0.0..1.0).contains(&x) && (x * 2048.0).fract() == 0.0)
        );
        let n = normal(100_000, 7).unwrap();
        let mean = n.iter().sum::<f64>() / n.len() as f64;
        let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n.len() as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.02,
            "mean {mean}, var {var}"
        );
        assert_eq!(normal(5, 1).unwrap(), normal(5, 1).unwrap());
        assert_ne!(normal(5, 1).unwrap(), normal(5, 2).unwrap());
    }
}
