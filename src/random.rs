//! Seeded random numbers that are the same on every machine, every run and both devices.
//!
//! Every random function takes a seed. Seeds come from a [`Generator`]: each thread has a
//! default one, reset by [`manual_seed`], from which layers draw their initial weights and dropout
//! its masks, so one seed at the top of a program fixes a whole run and two layers created one
//! after the other still differ. Samples are drawn on the host and moved to the tensor's device,
//! which is what makes both devices see the same numbers.
//!
//! SplitMix64 gives the bits; uniform floats keep exactly as many bits as the target dtype's
//! mantissa holds, so they stay below 1 after rounding; normals come from Box-Muller through
//! `libm`, whose results do not depend on the platform's math library.

use std::cell::RefCell;

use crate::backend::cpu::alloc;
use crate::dtype::DType;
use crate::error::Result;

/// Steele, Lea and Flood's SplitMix64: tiny, fast, and good enough for initialisation and tests.
#[derive(Debug)]
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

/// A stream of seeds (`torch.Generator`): each call to [`Generator::next_seed`] gives a new one,
/// and the same starting seed gives the same stream everywhere.
///
/// ```
/// use wgrad::{DType, Device, Generator, Tensor};
///
/// let mut g = Generator::new(7);
/// let a = Tensor::rand(&[3], DType::F32, g.next_seed(), &Device::cpu())?;
/// let b = Tensor::rand(&[3], DType::F32, g.next_seed(), &Device::cpu())?;
/// assert_ne!(a.to_ndarray::<f32>()?, b.to_ndarray::<f32>()?);
/// # Ok::<(), wgrad::Error>(())
/// ```
#[derive(Debug)]
pub struct Generator(SplitMix64);

impl Generator {
    /// A generator whose stream is fixed by `seed`.
    pub fn new(seed: u64) -> Generator {
        Generator(SplitMix64(seed))
    }

    /// The next seed of the stream.
    pub fn next_seed(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// The seed a thread's default generator starts from when [`manual_seed`] was never called.
const DEFAULT_SEED: u64 = 0x5EED;

thread_local! {
    static DEFAULT: RefCell<Generator> = RefCell::new(Generator::new(DEFAULT_SEED));
}

/// Restarts this thread's default generator from `seed` (`torch.manual_seed`): everything drawn
/// from it afterwards (layers' initial weights, dropout masks, shuffles) is fixed by `seed`.
///
/// The default generator belongs to the thread, so tests running side by side do not disturb
/// each other's streams; a new thread starts from the same fixed seed.
pub fn manual_seed(seed: u64) {
    DEFAULT.with(|g| *g.borrow_mut() = Generator::new(seed));
}

/// Where this thread's default generator stands: `manual_seed(rng_state())` later continues the
/// stream from here, so a checkpoint that keeps it resumes dropout masks and shuffles exactly
/// (`torch.get_rng_state`).
pub fn rng_state() -> u64 {
    DEFAULT.with(|g| g.borrow().0.0)
}

/// The next seed of this thread's default generator.
pub fn next_seed() -> u64 {
    DEFAULT.with(|g| g.borrow_mut().next_seed())
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

/// The numbers `0..n` in a random order (Fisher-Yates), the same for a given seed everywhere.
pub(crate) fn permutation(n: usize, seed: u64) -> Result<Vec<i64>> {
    let mut rng = SplitMix64(seed);
    let mut out = alloc::with_capacity(n)?;
    out.extend((0..n).map(|i| i as i64));
    for i in (1..n).rev() {
        // A draw in 0..=i by multiply-shift: the bias is below (i + 1) / 2^64.
        let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
        out.swap(i, j);
    }
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

    #[test]
    fn the_default_generator_restarts_from_manual_seed() {
        manual_seed(3);
        let first = [next_seed(), next_seed()];
        assert_ne!(first[0], first[1]);
        manual_seed(3);
        assert_eq!([next_seed(), next_seed()], first);
        manual_seed(4);
        assert_ne!(next_seed(), first[0]);
        let state = rng_state();
        let ahead = [next_seed(), next_seed()];
        manual_seed(state);
        assert_eq!([next_seed(), next_seed()], ahead);
    }

    #[test]
    fn permutations_hold_every_number_once_and_depend_on_the_seed() {
        let mut p = permutation(1000, 9).unwrap();
        assert_eq!(p, permutation(1000, 9).unwrap());
        assert_ne!(p, permutation(1000, 10).unwrap());
        assert_ne!(p[..10], (0..10).collect::<Vec<i64>>()[..]);
        p.sort_unstable();
        assert_eq!(p, (0..1000).collect::<Vec<i64>>());
        assert!(permutation(0, 1).unwrap().is_empty());
    }
}
