// Helpers shared by every kernel. `F` is the kernel's floating-point type (f32, f16 or f64); the
// transcendental functions they call (exp_, log_, tanh_, ...) come from shaders/math_native.wgsl or
// shaders/math_f64.wgsl.

fn sigmoid_(x: {{F}}) -> {{F}} {
    let e = exp_(-abs(x));
    return select(e / ({{F}}(1.0) + e), {{F}}(1.0) / ({{F}}(1.0) + e), x >= {{F}}(0.0));
}

fn gelu_(x: {{F}}) -> {{F}} {
    return {{F}}(0.5) * x * ({{F}}(1.0) + tanh_({{F}}(0.7978845608028654) * (x + {{F}}(0.044715) * x * x * x)));
}

fn gelu_grad_(x: {{F}}) -> {{F}} {
    let c = {{F}}(0.7978845608028654);
    let t = tanh_(c * (x + {{F}}(0.044715) * x * x * x));
    return {{F}}(0.5) * ({{F}}(1.0) + t)
        + {{F}}(0.5) * x * ({{F}}(1.0) - t * t) * c * ({{F}}(1.0) + {{F}}(0.134145) * x * x);
}

// max(x, 0) + ln(1 + e^-|x|): no overflow for large x.
fn softplus_(x: {{F}}) -> {{F}} {
    return max(x, {{F}}(0.0)) + log1p_(exp_(-abs(x)));
}

fn clamp_(x: {{F}}, low: {{F}}, high: {{F}}) -> {{F}} {
    let raised = select(x, low, x < low);
    return select(raised, high, raised > high);
}

fn sign_(x: {{F}}) -> {{F}} {
    return select(select(x, {{F}}(-1.0), x < {{F}}(0.0)), {{F}}(1.0), x > {{F}}(0.0));
}

// x^p for a uniform p. WGSL's pow is NaN for negative x; an integer p has a real answer there.
fn pow_(x: {{F}}, p: {{F}}) -> {{F}} {
    if (p == {{F}}(0.0)) {
        return {{F}}(1.0);
    }
    let integer = p == trunc(p);
    let odd = integer && p - {{F}}(2.0) * floor(p / {{F}}(2.0)) == {{F}}(1.0);
    if (x < {{F}}(0.0) && integer) {
        let magnitude = powr_(-x, p);
        return select(magnitude, -magnitude, odd);
    }
    if (x == {{F}}(0.0)) {
        return select({{F}}(0.0), {{F}}(1.0) / x, p < {{F}}(0.0));
    }
    return powr_(x, p);
}

// NaN tests are written !(v == v): naga compiles != to an ordered comparison, false for NaN.
fn max_nan_(a: f32, b: f32) -> f32 {
    return select(select(a, b, b > a || !(b == b)), a, !(a == a));
}

fn neg_infinity() -> f32 {
    return bitcast<f32>(0xff800000u);
}

// Complex numbers as vec2<f32>(re, im).
fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn cdiv(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    let d = b.x * b.x + b.y * b.y;
    return vec2<f32>(a.x * b.x + a.y * b.y, a.y * b.x - a.x * b.y) / d;
}

// 64-bit integers as vec2<i32>(low word, high word), two's complement.
fn i64_from_i32(v: i32) -> vec2<i32> {
    return vec2<i32>(v, select(0, -1, v < 0));
}

fn i64_to_f32(v: vec2<i32>) -> f32 {
    // Within i32's range, convert the low word alone: the sum below would round it away.
    if (v.y == select(0, -1, v.x < 0)) {
        return f32(v.x);
    }
    return f32(v.y) * 4294967296.0 + f32(bitcast<u32>(v.x));
}

fn i64_from_f32(v: f32) -> vec2<i32> {
    let t = trunc(v);
    // Within i32's range the conversion is exact; outside it f32 keeps no bits below 2^8, so the
    // low word t - high * 2^32 is exact too (it would not be for small negative t).
    if (abs(t) < 2147483648.0) {
        return i64_from_i32(i32(t));
    }
    let high = floor(t / 4294967296.0);
    return vec2<i32>(bitcast<i32>(u32(t - high * 4294967296.0)), i32(high));
}

fn i64_lt(a: vec2<i32>, b: vec2<i32>) -> bool {
    return a.y < b.y || (a.y == b.y && bitcast<u32>(a.x) < bitcast<u32>(b.x));
}

fn u64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let low = a.x + b.x;
    return vec2<u32>(low, a.y + b.y + select(0u, 1u, low < a.x));
}

// Folds for reductions, as functions so a template can name them.
fn add_f32(a: f32, b: f32) -> f32 {
    return a + b;
}

fn mul_f32(a: f32, b: f32) -> f32 {
    return a * b;
}

fn add_c64(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return a + b;
}

fn max_i32(a: i32, b: i32) -> i32 {
    return max(a, b);
}

fn max_u32(a: u32, b: u32) -> u32 {
    return max(a, b);
}

fn widen_i32(v: i32) -> vec2<u32> {
    return bitcast<vec2<u32>>(i64_from_i32(v));
}

fn widen_u32(v: u32) -> vec2<u32> {
    return vec2<u32>(v, 0u);
}
