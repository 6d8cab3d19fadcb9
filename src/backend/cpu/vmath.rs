//! f32 exp, ln, tanh and the logistic function written to vectorise: no branches (both sides
//! computed, one selected), no library calls, only arithmetic, comparisons and bit casts, so a
//! loop over a slice becomes SIMD code of whatever width the CPU has. Within 2 ulp of the
//! correctly rounded result over the whole f32 range, subnormals, infinities and NaN included
//! (tested in `tests/cpu_kernels.rs` against f64). The polynomials are Cephes' (S. Moshier).
//!
//! Every function is `#[inline(always)]`: inlined into a loop that `simd::map` compiles with the
//! CPU's SIMD features, it is compiled with them too.

const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two: `LN2_HI` has few enough bits that `n * LN2_HI` is exact for |n| < 512.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Adding 1.5 * 2^23 to an f32 below 2^22 in magnitude rounds it to an integer (ties to even),
/// which then sits in the low bits of the sum: plain arithmetic that every SIMD instruction set
/// has (Rust's saturating `as i32` is not, and would keep the loop scalar).
const ROUNDER: f32 = 12_582_912.0;
const ROUNDER_BITS: i32 = 0x4b40_0000;

/// 2^n for an integer `n` in [-126, 127], built from its bits.
#[inline(always)]
fn pow2(n: i32) -> f32 {
    f32::from_bits(((n + 127) as u32) << 23)
}

/// e^x.
#[inline(always)]
pub(super) fn exp(x: f32) -> f32 {
    // Below -104 the result rounds to 0, above 89 to infinity; NaN passes through `clamp`.
    let x = x.clamp(-104.0, 89.0);
    let shifted = x * LOG2_E + ROUNDER;
    let n = shifted - ROUNDER;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let e_r = p * (r * r) + r + 1.0;
    // n lies in [-150, 129]: scaled in two halves, so that neither factor leaves the normal range
    // and a subnormal result is rounded once, by the last product.
    let n = shifted.to_bits() as i32 - ROUNDER_BITS;
    let half = n >> 1;
    e_r * pow2(half) * pow2(n - half)
}

/// The natural logarithm (NaN below 0, -inf at 0).
#[inline(always)]
pub(super) fn ln(x: f32) -> f32 {
    // A subnormal is scaled into the normal range first.
    let subnormal = x < f32::MIN_POSITIVE;
    let scaled = if subnormal { x * 8_388_608.0 } else { x };
    let bits = scaled.to_bits();
    // scaled = m * 2^e with m in [0.5, 1).
    let e = ((bits >> 23) & 0xff) as i32 - 126 - if subnormal { 23 } else { 0 };
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    // Centre m on 1: m in [sqrt(1/2), sqrt(2)).
    let low = m < std::f32::consts::FRAC_1_SQRT_2;
    let e = (e - i32::from(low)) as f32;
    let f = if low { m + m - 1.0 } else { m - 1.0 };
    let z = f * f;
    let p = (((((((7.037_683_6e-2 * f - 1.151_461e-1) * f + 1.167_699_9e-1) * f
        - 1.242_014_1e-1)
        * f
        + 1.424_932_3e-1)
        * f
        - 1.666_805_8e-1)
        * f
        + 2.000_071_4e-1)
        * f
        - 2.499_999_4e-1)
        * f
        + 3.333_333e-1;
    let y = f * z * p + e * LN2_LO - 0.5 * z;
    let result = f + y + e * LN2_HI;
    if x > 0.0 && x < f32::INFINITY {
        result
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x == f32::INFINITY {
        x
    } else {
        f32::NAN
    }
}

/// The hyperbolic tangent.
#[inline(always)]
pub(super) fn tanh(x: f32) -> f32 {
    let a = x.abs();
    // Near 0 an odd polynomial; elsewhere 1 - 2 / (e^2|x| + 1), which is 1 once e^2|x| is
    // infinite, and NaN for NaN.
    let z = x * x;
    let small =
        ((((-5.704_988_7e-3 * z + 2.063_909e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
            - 3.333_328e-1)
            * z
            * x
            + x;
    let large = (1.0 - 2.0 / (exp(a + a) + 1.0)).copysign(x);
    if a < 0.625 { small } else { large }
}

/// The logistic function 1 / (1 + e^-x), through e^-|x| so that nothing overflows and the
/// result keeps its relative accuracy far into the negative tail.
#[inline(always)]
pub(super) fn sigmoid(x: f32) -> f32 {
    let e = exp(-x.abs());
    let numerator = if x >= 0.0 { 1.0 } else { e };
    numerator / (1.0 + e)
}

/// The transcendental functions of the float kernels: the vectorising ones above for f32, the
/// standard library's for f64 (the reference precision, where exactness beats speed).
pub(super) trait Transcendental: num_traits::Float {
    fn exp_(self) -> Self;
    fn ln_(self) -> Self;
    fn tanh_(self) -> Self;
    fn sigmoid_(self) -> Self;
}

impl Transcendental for f32 {
    #[inline(always)]
    fn exp_(self) -> f32 {
        exp(self)
    }
    #[inline(always)]
    fn ln_(self) -> f32 {
        ln(self)
    }
    #[inline(always)]
    fn tanh_(self) -> f32 {
        tanh(self)
    }
    #[inline(always)]
    fn sigmoid_(self) -> f32 {
        sigmoid(self)
    }
}

impl Transcendental for f64 {
    fn exp_(self) -> f64 {
        self.exp()
    }
    fn ln_(self) -> f64 {
        self.ln()
    }
    fn tanh_(self) -> f64 {
        self.tanh()
    }
    /// Per sign, so that exp never overflows.
    fn sigmoid_(self) -> f64 {
        if self >= 0.0 {
            1.0 / (1.0 + (-self).exp())
        } else {
            let e = self.exp();
            e / (1.0 + e)
        }
    }
}
