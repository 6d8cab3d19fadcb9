// The transcendental functions the prelude and the elementwise expressions call, in `F` (f32 or
// f16): the hardware's own, and tanh, ln(1 + x) and e^x - 1 on them. shaders/math_f64.wgsl
// defines the same names for f64, which Vulkan's built-in exp, log, sin, cos and pow do not accept.

fn exp_(x: {{F}}) -> {{F}} {
    return exp(x);
}

fn log_(x: {{F}}) -> {{F}} {
    return log(x);
}

fn sin_(x: {{F}}) -> {{F}} {
    return sin(x);
}

fn cos_(x: {{F}}) -> {{F}} {
    return cos(x);
}

fn tanh_(x: {{F}}) -> {{F}} {
    // Written with exp of a non-positive number so that large |x| gives +-1, never inf / inf.
    let e = exp({{F}}(-2.0) * abs(x));
    return sign(x) * ({{F}}(1.0) - e) / ({{F}}(1.0) + e);
}

// x^p for x > 0.
fn powr_(x: {{F}}, p: {{F}}) -> {{F}} {
    return pow(x, p);
}

// ln(1 + x) and e^x - 1 without the cancellation of the naive forms for small x: their Taylor
// series below |x| = 0.1 (truncated below 1e-9 relative). Not Kahan's corrections, such as
// log(u) * x / (u - 1) with u = 1 + x: GPU compilers are free to simplify (1 + x) - 1 to x.
fn log1p_(x: {{F}}) -> {{F}} {
    if (abs(x) >= {{F}}(0.1)) {
        return log({{F}}(1.0) + x);
    }
    var sum = {{F}}(-0.125);
    sum = {{F}}(1.0 / 7.0) + x * sum;
    sum = {{F}}(-1.0 / 6.0) + x * sum;
    sum = {{F}}(0.2) + x * sum;
    sum = {{F}}(-0.25) + x * sum;
    sum = {{F}}(1.0 / 3.0) + x * sum;
    sum = {{F}}(-0.5) + x * sum;
    return x * ({{F}}(1.0) + x * sum);
}

fn expm1_(x: {{F}}) -> {{F}} {
    if (abs(x) >= {{F}}(0.1)) {
        return exp(x) - {{F}}(1.0);
    }
    var sum = {{F}}(1.0 / 5040.0);
    sum = {{F}}(1.0 / 720.0) + x * sum;
    sum = {{F}}(1.0 / 120.0) + x * sum;
    sum = {{F}}(1.0 / 24.0) + x * sum;
    sum = {{F}}(1.0 / 6.0) + x * sum;
    sum = {{F}}(0.5) + x * sum;
    return x * ({{F}}(1.0) + x * sum);
}
