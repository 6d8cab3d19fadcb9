// f64's transcendental functions, under the names shaders/math_native.wgsl gives the hardware's
// f32 and f16 ones. Vulkan's built-in exp, log, sin, cos and pow take 16- and 32-bit floats only,
// so these are polynomials on +, *, /, floor, round and ldexp, which take any width: each
// within a few ulp of the correctly rounded result (tests/gpu_f64.rs compares them with Rust's).
// Also f64's folds for reductions, its bits from metadata words, and its i64 conversions.

fn f64_infinity() -> f64 {
    return f64(bitcast<f32>(0x7f800000u));
}

fn f64_nan() -> f64 {
    return f64(bitcast<f32>(0x7fc00000u));
}

// x * 2^e in two steps, so that neither the scale nor a partial result leaves f64's range
// before the whole does (e^709.7 is 2^1024 times a number below 1).
fn scale2_(x: f64, e: i32) -> f64 {
    let half = e / 2;
    return ldexp(ldexp(x, half), e - half);
}

// e^x: x = n ln2 + r with |r| <= ln2 / 2 (ln2 in two parts, so that n ln2 loses nothing), then
// e^r by its Taylor series to r^13 (the rest is below 5e-18 relative).
fn exp_(x: f64) -> f64 {
    if (!(x == x)) {
        return x;
    }
    if (x > 709.782712893384) {
        return f64_infinity();
    }
    if (x < -745.1332191019412) {
        return f64(0.0);
    }
    let n = round(x * 1.4426950408889634);
    let r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
    var sum = f64(1.0 / 6227020800.0);
    sum = f64(1.0 / 479001600.0) + r * sum;
    sum = f64(1.0 / 39916800.0) + r * sum;
    sum = f64(1.0 / 3628800.0) + r * sum;
    sum = f64(1.0 / 362880.0) + r * sum;
    sum = f64(1.0 / 40320.0) + r * sum;
    sum = f64(1.0 / 5040.0) + r * sum;
    sum = f64(1.0 / 720.0) + r * sum;
    sum = f64(1.0 / 120.0) + r * sum;
    sum = f64(1.0 / 24.0) + r * sum;
    sum = f64(1.0 / 6.0) + r * sum;
    sum = f64(0.5) + r * sum;
    sum = f64(1.0) + r * sum;
    return scale2_(f64(1.0) + r * sum, i32(n));
}

// ln((1 + s) / (1 - s)) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), for |s| <= 0.172 (where
// the series to s^23 leaves less than 1e-18 relative).
fn log_ratio_(s: f64) -> f64 {
    let z = s * s;
    var sum = f64(1.0 / 23.0);
    sum = f64(1.0 / 21.0) + z * sum;
    sum = f64(1.0 / 19.0) + z * sum;
    sum = f64(1.0 / 17.0) + z * sum;
    sum = f64(1.0 / 15.0) + z * sum;
    sum = f64(1.0 / 13.0) + z * sum;
    sum = f64(1.0 / 11.0) + z * sum;
    sum = f64(1.0 / 9.0) + z * sum;
    sum = f64(1.0 / 7.0) + z * sum;
    sum = f64(1.0 / 5.0) + z * sum;
    sum = f64(1.0 / 3.0) + z * sum;
    return f64(2.0) * s + f64(2.0) * s * z * sum;
}

// x = m 2^e with m in [1, 2), for a positive finite x: a binary search of the exponent by
// exact scalings (frexp would do, but naga gives an f64's a 64-bit exponent, which would need
// SHADER_INT64 too). Subnormals reach 2^-1074, one step of 512 more than the search covers.
fn split_exponent_(x: f64) -> vec2<f64> {
    var m = x;
    var e = 0;
    for (var k = 512; k > 0; k /= 2) {
        if (m >= ldexp(f64(1.0), k)) {
            m = ldexp(m, -k);
            e += k;
        }
    }
    if (m < ldexp(f64(1.0), -511)) {
        m = ldexp(m, 512);
        e -= 512;
    }
    for (var k = 512; k > 0; k /= 2) {
        if (m < ldexp(f64(1.0), 1 - k)) {
            m = ldexp(m, k);
            e -= k;
        }
    }
    return vec2<f64>(m, f64(e));
}

// ln x: x = m 2^e with m in (sqrt(1/2), sqrt(2)], ln m = 2 atanh((m - 1) / (m + 1)).
fn log_(x: f64) -> f64 {
    if (!(x == x) || x == f64_infinity()) {
        return x;
    }
    if (x < f64(0.0)) {
        return f64_nan();
    }
    if (x == f64(0.0)) {
        return -f64_infinity();
    }
    let parts = split_exponent_(x);
    var m = parts.x;
    var e = parts.y;
    if (m > 1.4142135623730951) {
        m = m * f64(0.5);
        e = e + f64(1.0);
    }
    let f = m - f64(1.0);
    return e * 6.93147180369123816490e-01
        + (log_ratio_(f / (f64(2.0) + f)) + e * 1.90821492927058770002e-10);
}

// ln(1 + x) = 2 atanh(x / (2 + x)), exact in form for small x; ln of 1 + x away from 0.
fn log1p_(x: f64) -> f64 {
    if (x > -0.29 && x < 0.41) {
        return log_ratio_(x / (f64(2.0) + x));
    }
    return log_(f64(1.0) + x);
}

// e^x - 1: its Taylor series to x^14 for |x| < ln2 / 2 (the rest below 2e-17 relative),
// e^x - 1 beyond, where the subtraction cancels less than 3 bits.
fn expm1_(x: f64) -> f64 {
    if (abs(x) >= 0.34657359027997264) {
        return exp_(x) - f64(1.0);
    }
    var sum = f64(1.0 / 87178291200.0);
    sum = f64(1.0 / 6227020800.0) + x * sum;
    sum = f64(1.0 / 479001600.0) + x * sum;
    sum = f64(1.0 / 39916800.0) + x * sum;
    sum = f64(1.0 / 3628800.0) + x * sum;
    sum = f64(1.0 / 362880.0) + x * sum;
    sum = f64(1.0 / 40320.0) + x * sum;
    sum = f64(1.0 / 5040.0) + x * sum;
    sum = f64(1.0 / 720.0) + x * sum;
    sum = f64(1.0 / 120.0) + x * sum;
    sum = f64(1.0 / 24.0) + x * sum;
    sum = f64(1.0 / 6.0) + x * sum;
    sum = f64(0.5) + x * sum;
    return x + x * x * sum;
}

// tanh|x| = -(e^-2|x| - 1) / (e^-2|x| + 1): large |x| gives +-1, never inf / inf, and small |x|
// keeps its digits (1 - e^-2|x| would cancel them).
fn tanh_(x: f64) -> f64 {
    let e = expm1_(f64(-2.0) * abs(x));
    return sign(x) * -e / (f64(2.0) + e);
}

// x^p for x > 0.
fn powr_(x: f64, p: f64) -> f64 {
    return exp_(p * log_(x));
}

// sin and cos of r for |r| <= pi/4, by their Taylor series to r^17 and r^18.
fn sin_series_(r: f64) -> f64 {
    let z = r * r;
    var sum = f64(1.0 / 355687428096000.0);
    sum = f64(-1.0 / 1307674368000.0) + z * sum;
    sum = f64(1.0 / 6227020800.0) + z * sum;
    sum = f64(-1.0 / 39916800.0) + z * sum;
    sum = f64(1.0 / 362880.0) + z * sum;
    sum = f64(-1.0 / 5040.0) + z * sum;
    sum = f64(1.0 / 120.0) + z * sum;
    sum = f64(-1.0 / 6.0) + z * sum;
    return r + r * z * sum;
}

fn cos_series_(r: f64) -> f64 {
    let z = r * r;
    var sum = f64(1.0 / 6402373705728000.0);
    sum = f64(-1.0 / 20922789888000.0) + z * sum;
    sum = f64(1.0 / 87178291200.0) + z * sum;
    sum = f64(-1.0 / 479001600.0) + z * sum;
    sum = f64(1.0 / 3628800.0) + z * sum;
    sum = f64(-1.0 / 40320.0) + z * sum;
    sum = f64(1.0 / 720.0) + z * sum;
    sum = f64(-1.0 / 24.0) + z * sum;
    sum = f64(0.5) + z * sum;
    return f64(1.0) - z * sum;
}

// sin x (`phase` 0) or cos x (`phase` 1, as sin(x + pi/2)): x = k pi/2 + r with pi/2 in three
// parts (exact products for |k| < 2^20: full accuracy for |x| up to about 1.6e6), then the
// series of r picked and signed by the quadrant k + phase mod 4. Past that the products round,
// and each pass leaves a remainder some 2^-50 of the last: a few more passes bring any finite x
// within pi/4, its digits lost (as the f32 built-in's are there) but the result within [-1, 1].
fn sin_quadrant_(x: f64, phase: f64) -> f64 {
    var r = x;
    var q = phase;
    for (var step = 0; step < 40 && !(abs(r) <= 0.78539816339744831); step++) {
        let k = round(r * 0.63661977236758134);
        r = ((r - k * 1.57079632673412561417e+00) - k * 6.07710050630396597660e-11)
            - k * 2.02226624879595063154e-21;
        q = q + k - f64(4.0) * floor((q + k) / f64(4.0));
    }
    let value = select(sin_series_(r), cos_series_(r), q == f64(1.0) || q == f64(3.0));
    return select(value, -value, q >= f64(2.0));
}

fn sin_(x: f64) -> f64 {
    return sin_quadrant_(x, f64(0.0));
}

fn cos_(x: f64) -> f64 {
    return sin_quadrant_(x, f64(1.0));
}

// The f64 whose bits are `high` and `low` (two metadata words): 2^52 + mantissa scaled by its
// exponent (exact: every f64 mantissa is an integer below 2^53).
fn f64_from_words(low: u32, high: u32) -> f64 {
    let exponent = i32((high >> 20u) & 0x7ffu);
    let mantissa = f64(high & 0xfffffu) * 4294967296.0 + f64(low);
    var magnitude = scale2_(mantissa + 4503599627370496.0, exponent - 1075);
    if (exponent == 0) {
        magnitude = scale2_(mantissa, -1074);
    } else if (exponent == 2047) {
        magnitude = select(f64_nan(), f64_infinity(), mantissa == f64(0.0));
    }
    return select(magnitude, -magnitude, (high >> 31u) == 1u);
}

fn i64_to_f64(v: vec2<i32>) -> f64 {
    return f64(v.y) * 4294967296.0 + f64(bitcast<u32>(v.x));
}

// Truncated toward zero; the two words of an integer below 2^63 in magnitude are exact in f64.
fn i64_from_f64(v: f64) -> vec2<i32> {
    let t = trunc(v);
    let high = floor(t / 4294967296.0);
    return vec2<i32>(bitcast<i32>(u32(t - high * 4294967296.0)), i32(high));
}

fn add_f64(a: f64, b: f64) -> f64 {
    return a + b;
}

fn mul_f64(a: f64, b: f64) -> f64 {
    return a * b;
}

fn max_nan_f64(a: f64, b: f64) -> f64 {
    return select(select(a, b, b > a || !(b == b)), a, !(a == a));
}

fn neg_infinity_f64() -> f64 {
    return -f64_infinity();
}
