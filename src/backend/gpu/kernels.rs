//! WGSL kernels specialised per dtype and operation: the element types, the expression each op
//! computes, and the rendering of the templates in `shaders/`. Each rendering has a key naming
//! its specialisation, under which the context caches the compiled pipeline.

use crate::backend::{BinaryOp, CmpOp, ReduceOp, UnaryOp};
use crate::dtype::DType;
use crate::error::{Error, Result};

const INFO: &str = include_str!("../../../shaders/info.wgsl");
const PRELUDE: &str = include_str!("../../../shaders/prelude.wgsl");
const MATH_NATIVE: &str = include_str!("../../../shaders/math_native.wgsl");
const MATH_F64: &str = include_str!("../../../shaders/math_f64.wgsl");
const ELEMENTWISE: &str = include_str!("../../../shaders/elementwise.wgsl");
const REDUCE: &str = include_str!("../../../shaders/reduce.wgsl");
const REDUCE_SHORT: &str = include_str!("../../../shaders/reduce_short.wgsl");
const ARGMAX: &str = include_str!("../../../shaders/argmax.wgsl");
const ARGMAX_SHORT: &str = include_str!("../../../shaders/argmax_short.wgsl");
const ARGSORT: &str = include_str!("../../../shaders/argsort.wgsl");
const CUMSUM: &str = include_str!("../../../shaders/cumsum.wgsl");
const MATMUL: &str = include_str!("../../../shaders/matmul.wgsl");
const GATHER: &str = include_str!("../../../shaders/gather.wgsl");
const SCATTER_ADD: &str = include_str!("../../../shaders/scatter_add.wgsl");
const MATMUL_VEC4: &str = include_str!("../../../shaders/matmul_vec4.wgsl");

/// What an unsupported dtype on the GPU should do instead.
const STAYS_ON_CPU: &str = "bf16, 8- and 16-bit integers, u64 and complex128 live on the CPU; \
                            convert with .to_dtype(DType::F32) before moving to the GPU, or keep \
                            the computation on the CPU";

/// The WGSL type holding one element of `dtype` on the GPU.
pub(crate) fn wgsl_type(dtype: DType) -> Result<&'static str> {
    match dtype {
        DType::F32 => Ok("f32"),
        DType::F16 => Ok("f16"),
        DType::F64 => Ok("f64"),
        DType::I32 => Ok("i32"),
        DType::U32 | DType::Bool => Ok("u32"),
        DType::I64 => Ok("vec2<i32>"),
        DType::C64 => Ok("vec2<f32>"),
        DType::BF16
        | DType::U8
        | DType::I8
        | DType::I16
        | DType::U16
        | DType::U64
        | DType::C128 => Err(Error::UnsupportedDType {
            op: "the GPU",
            dtype,
            hint: STAYS_ON_CPU,
        }),
    }
}

/// Bytes of one element of `dtype` in a GPU buffer (bool takes a whole u32).
pub(crate) fn gpu_size(dtype: DType) -> usize {
    match dtype {
        DType::Bool => 4,
        other => other.size_in_bytes(),
    }
}

/// Bytes of a GPU buffer of `len` elements of `dtype`; an error when they overflow.
pub(crate) fn byte_size(len: usize, dtype: DType) -> Result<u64> {
    len.checked_mul(gpu_size(dtype))
        .map(|bytes| bytes as u64)
        .ok_or_else(|| Error::Gpu {
            message: format!(
                "{len} elements of {dtype} need more bytes than an address holds; use smaller \
                 tensors"
            ),
        })
}

fn unsupported(op: &'static str, dtype: DType) -> Error {
    Error::UnsupportedDType {
        op,
        dtype,
        hint: "the GPU kernels do not cover it; move the tensor to the CPU with .to(&Device::cpu())",
    }
}

/// An elementwise expression of x, y and z, and the values of its scalar parameters p0 and p1,
/// which kernels read from their metadata: a new value (Adam's bias correction changes every
/// step) needs no new pipeline.
pub(crate) struct Expr {
    pub text: String,
    pub scalars: Vec<f64>,
}

impl Expr {
    /// An expression without parameters.
    pub fn plain(text: impl Into<String>) -> Expr {
        Expr {
            text: text.into(),
            scalars: Vec::new(),
        }
    }
}

/// The metadata word where the elementwise kernel finds p0, past every view's: two words per
/// scalar (an f64's low and high halves, or an f32's bits and 0), p1 after p0.
pub(crate) const SCALARS_AT: usize = 60;

/// The metadata words of `scalars` for a kernel computing in `dtype` (see [`SCALARS_AT`]).
pub(crate) fn scalar_words(scalars: &[f64], dtype: DType) -> impl Iterator<Item = u32> + '_ {
    scalars.iter().flat_map(move |&v| {
        if dtype == DType::F64 {
            let bits = v.to_bits();
            [bits as u32, (bits >> 32) as u32]
        } else {
            [(v as f32).to_bits(), 0]
        }
    })
}

/// `p{k}` for each of `scalars`, as WGSL parameters of type `ty`.
pub(crate) fn scalar_params(scalars: &[f64], ty: &str) -> String {
    (0..scalars.len())
        .map(|k| format!(", p{k}: {ty}"))
        .collect()
}

/// The expression of a unary op on `x`.
pub(crate) fn unary_expr(op: UnaryOp, dtype: DType) -> Result<Expr> {
    let float = match dtype {
        DType::F32 => "f32",
        DType::F16 => "f16",
        DType::F64 => "f64",
        DType::I32 if matches!(op, UnaryOp::Neg | UnaryOp::Abs) => {
            return Ok(Expr::plain(format!(
                "{}(x)",
                if op == UnaryOp::Neg { "-" } else { "abs" }
            )));
        }
        DType::C64 if op == UnaryOp::Neg => return Ok(Expr::plain("-x")),
        other => return Err(unsupported(op.name(), other)),
    };
    let zero = format!("{float}(0.0)");
    let one = format!("{float}(1.0)");
    let plain = |text: String| (text, Vec::new());
    let (text, scalars) = match op {
        UnaryOp::Neg => plain("-x".into()),
        UnaryOp::Exp => plain("exp_(x)".into()),
        UnaryOp::Log => plain("log_(x)".into()),
        UnaryOp::Sqrt => plain("sqrt(x)".into()),
        UnaryOp::Abs => plain("abs(x)".into()),
        UnaryOp::Tanh => plain("tanh_(x)".into()),
        UnaryOp::Sigmoid => plain("sigmoid_(x)".into()),
        UnaryOp::Relu => plain(format!("select(x, {zero}, x < {zero})")),
        UnaryOp::Gelu => plain("gelu_(x)".into()),
        UnaryOp::GeluGrad => plain("gelu_grad_(x)".into()),
        UnaryOp::Sign => plain("sign_(x)".into()),
        UnaryOp::Step => plain(format!("select({zero}, {one}, x > {zero})")),
        UnaryOp::Powf(p) => ("pow_(x, p0)".into(), vec![p]),
        UnaryOp::Affine { scale, shift } => ("x * p0 + p1".into(), vec![scale, shift]),
        UnaryOp::Sin => plain("sin_(x)".into()),
        UnaryOp::Cos => plain("cos_(x)".into()),
        UnaryOp::Log1p => plain("log1p_(x)".into()),
        UnaryOp::Expm1 => plain("expm1_(x)".into()),
        UnaryOp::Reciprocal => plain(format!("{one} / x")),
        UnaryOp::Rsqrt => plain("inverseSqrt(x)".into()),
        UnaryOp::Square => plain("x * x".into()),
        UnaryOp::Silu => plain("x * sigmoid_(x)".into()),
        UnaryOp::Softplus => plain("softplus_(x)".into()),
        UnaryOp::LeakyRelu(slope) => (format!("select(p0 * x, x, x > {zero})"), vec![slope]),
        UnaryOp::Elu(alpha) => (
            format!("select(p0 * expm1_(x), x, x > {zero})"),
            vec![alpha],
        ),
        // Selects rather than min/max, whose NaN behaviour WGSL leaves open.
        UnaryOp::Clamp { min, max } => ("clamp_(x, p0, p1)".into(), vec![min, max]),
    };
    Ok(Expr { text, scalars })
}

/// The expression of a binary op on `x` and `y`.
pub(crate) fn binary_expr(op: BinaryOp, dtype: DType) -> Result<Expr> {
    let symbol = match op {
        // A complex tensor's p0 is the vec2 (alpha, alpha): a real scale of both parts.
        BinaryOp::AddScaled(alpha) => {
            return match dtype {
                DType::F32 | DType::F16 | DType::F64 | DType::C64 => Ok(Expr {
                    text: "x + p0 * y".into(),
                    scalars: vec![alpha],
                }),
                other => Err(unsupported(op.name(), other)),
            };
        }
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        // NaN wins (!(v == v) is NaN's test: naga compiles != to an ordered comparison, false
        // for NaN); WGSL's max and min leave NaN open.
        BinaryOp::MaskNonPositive => {
            return match dtype {
                DType::F32 | DType::F16 | DType::F64 => {
                    let zero = format!("{}(0.0)", wgsl_type(dtype)?);
                    Ok(Expr::plain(format!("select(x, {zero}, y <= {zero})")))
                }
                other => Err(unsupported(op.name(), other)),
            };
        }
        BinaryOp::Maximum | BinaryOp::Minimum => {
            let beats = if op == BinaryOp::Maximum { ">" } else { "<" };
            let text = match dtype {
                DType::F32 | DType::F16 | DType::F64 | DType::I32 | DType::U32 | DType::Bool => {
                    format!("select(select(x, y, y {beats} x || !(y == y)), x, !(x == x))")
                }
                DType::I64 if op == BinaryOp::Maximum => "select(x, y, i64_lt(x, y))".into(),
                DType::I64 => "select(x, y, i64_lt(y, x))".into(),
                other => return Err(unsupported(op.name(), other)),
            };
            return Ok(Expr::plain(text));
        }
    };
    let text = match (dtype, op) {
        (DType::F32 | DType::F16 | DType::F64, _)
        | (DType::I32 | DType::U32, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul) => {
            format!("x {symbol} y")
        }
        (DType::C64, BinaryOp::Add | BinaryOp::Sub) => format!("x {symbol} y"),
        (DType::C64, BinaryOp::Mul) => "cmul(x, y)".into(),
        (DType::C64, BinaryOp::Div) => "cdiv(x, y)".into(),
        (other, _) => return Err(unsupported(op.name(), other)),
    };
    Ok(Expr::plain(text))
}

/// The expression of a comparison of `x` and `y`, as a u32 bool.
pub(crate) fn compare_expr(op: CmpOp, dtype: DType) -> Result<String> {
    let native = matches!(
        dtype,
        DType::F32 | DType::F16 | DType::F64 | DType::I32 | DType::U32 | DType::Bool
    );
    let test = match (dtype, op) {
        (_, CmpOp::Eq) if native => "x == y",
        // Not x != y, which naga compiles to an ordered comparison: false when either is NaN.
        (_, CmpOp::Ne) if native => "!(x == y)",
        (_, CmpOp::Lt) if native => "x < y",
        (_, CmpOp::Le) if native => "x <= y",
        (_, CmpOp::Gt) if native => "x > y",
        (_, CmpOp::Ge) if native => "x >= y",
        (DType::I64 | DType::C64, CmpOp::Eq) => "all(x == y)",
        (DType::I64 | DType::C64, CmpOp::Ne) => "!all(x == y)",
        (DType::I64, CmpOp::Lt) => "i64_lt(x, y)",
        (DType::I64, CmpOp::Le) => "!i64_lt(y, x)",
        (DType::I64, CmpOp::Gt) => "i64_lt(y, x)",
        (DType::I64, CmpOp::Ge) => "!i64_lt(x, y)",
        (other, _) => return Err(unsupported(op.name(), other)),
    };
    Ok(format!("select(0u, 1u, {test})"))
}

/// The expression converting `x` from `from` to `to` like a C cast.
pub(crate) fn cast_expr(from: DType, to: DType) -> Result<String> {
    use DType::{Bool, C64, F16, F32, F64, I32, I64, U32};
    let real = |t: DType| matches!(t, F32 | F16 | F64 | I32 | U32 | Bool);
    let ty = wgsl_type(to)?;
    wgsl_type(from)?;
    Ok(match (from, to) {
        _ if from == to => "x".into(),
        (f, Bool) if real(f) => format!("select(0u, 1u, x != {}(0))", wgsl_type(f)?),
        (f, t) if real(f) && real(t) => format!("{ty}(x)"),
        (I64, Bool) => "select(0u, 1u, any(x != vec2<i32>(0)))".into(),
        (C64, Bool) => "select(0u, 1u, any(x != vec2<f32>(0.0)))".into(),
        (I32, I64) => "i64_from_i32(x)".into(),
        (U32 | Bool, I64) => "vec2<i32>(bitcast<i32>(x), 0)".into(),
        (F32 | F16, I64) => "i64_from_f32(f32(x))".into(),
        (F64, I64) => "i64_from_f64(x)".into(),
        (I64, I32) => "x.x".into(),
        (I64, U32) => "bitcast<u32>(x.x)".into(),
        (I64, F64) => "i64_to_f64(x)".into(),
        (I64, F32 | F16) => format!("{ty}(i64_to_f32(x))"),
        (I64, C64) => "vec2<f32>(i64_to_f32(x), 0.0)".into(),
        (f, C64) if real(f) => "vec2<f32>(f32(x), 0.0)".into(),
        (C64, I64) => "i64_from_f32(x.x)".into(),
        (C64, _) => format!("{ty}(x.x)"),
        _ => return Err(unsupported("to_dtype", from)),
    })
}

/// An elementwise kernel: `out = expr(x, y, z)` over up to three inputs.
pub(crate) struct Elementwise<'a> {
    pub out: DType,
    pub inputs: &'a [DType],
    pub expr: &'a Expr,
    pub contiguous: bool,
    /// Contiguous, and every view starts at position 0 of its buffer.
    pub direct: bool,
}

/// Whether kernels can load `dtype` four elements at a time as a `vec4` (the fused kernels).
pub(crate) fn has_vec4(dtype: DType) -> bool {
    matches!(
        dtype,
        DType::F32 | DType::F16 | DType::I32 | DType::U32 | DType::Bool
    )
}

/// A kernel's whole source for operands of `dtypes`: `enable f16;` when one is f16, the metadata
/// accessors, the helpers (written in f64 when an operand is f64, else in f16 when one is, else
/// in f32, with the transcendental functions of that type), then `body`.
pub(crate) fn program(dtypes: &[DType], body: &str) -> String {
    let f16 = dtypes.contains(&DType::F16);
    let enable = if f16 { "enable f16;\n" } else { "" };
    let (float, math) = if dtypes.contains(&DType::F64) {
        ("f64", MATH_F64.to_string())
    } else {
        let float = if f16 { "f16" } else { "f32" };
        (float, MATH_NATIVE.replace("{{F}}", float))
    };
    format!(
        "{enable}{INFO}\n{math}\n{}\n{body}",
        PRELUDE.replace("{{F}}", float)
    )
}

impl Elementwise<'_> {
    pub fn key(&self) -> String {
        format!(
            "elementwise {} {:?} {} {} {}",
            self.out, self.inputs, self.expr.text, self.contiguous, self.direct
        )
    }

    pub fn source(&self) -> Result<String> {
        let mut inputs = String::new();
        let mut loads = String::new();
        for (i, (&dtype, (name, var))) in self
            .inputs
            .iter()
            .zip([("a", "x"), ("b", "y"), ("c", "z")])
            .enumerate()
        {
            inputs += &format!(
                "@group(0) @binding({}) var<storage, read> {name}: array<{}>;\n",
                i + 2,
                wgsl_type(dtype)?
            );
            loads += &format!("let {var} = {name}[position(i, {}u)];\n    ", i + 1);
        }
        let out = wgsl_type(self.out)?;
        for k in 0..self.expr.scalars.len() {
            let at = SCALARS_AT + 2 * k;
            let value = if self.out == DType::F64 {
                format!("f64_from_words(info({at}u), info({}u))", at + 1)
            } else {
                format!("{out}(bitcast<f32>(info({at}u)))")
            };
            loads += &format!("let p{k} = {value};\n    ");
        }
        let dtypes: Vec<DType> = self.inputs.iter().copied().chain([self.out]).collect();
        Ok(program(&dtypes, ELEMENTWISE)
            .replace("{{OUT}}", out)
            .replace("{{INPUTS}}", &inputs)
            .replace("{{LOADS}}", loads.trim_end())
            .replace("{{EXPR}}", &self.expr.text)
            .replace("{{CONTIGUOUS}}", &self.contiguous.to_string())
            .replace("{{DIRECT}}", &self.direct.to_string()))
    }
}

/// How one reduction folds one dtype: accumulator type, identity, fold, and conversions.
pub(crate) struct Fold {
    pub acc: &'static str,
    pub acc_dtype_bytes: usize,
    init: &'static str,
    combine: &'static str,
    load: &'static str,
    store: &'static str,
}

/// The fold of `op` over `dtype`, and the dtype of its result.
pub(crate) fn fold(op: ReduceOp, dtype: DType) -> Result<(Fold, DType)> {
    let fold = |acc, acc_dtype_bytes, init, combine, load, store| Fold {
        acc,
        acc_dtype_bytes,
        init,
        combine,
        load,
        store,
    };
    Ok(match (op, dtype) {
        (ReduceOp::Sum, DType::F32) => (fold("f32", 4, "0.0", "add_f32", "f32", "f32"), DType::F32),
        (ReduceOp::Sum, DType::F16) => (fold("f32", 4, "0.0", "add_f32", "f32", "f16"), DType::F16),
        (ReduceOp::Sum, DType::F64) => (fold("f64", 8, "0.0", "add_f64", "f64", "f64"), DType::F64),
        (ReduceOp::Sum, DType::C64) => (
            fold(
                "vec2<f32>",
                8,
                "vec2<f32>(0.0)",
                "add_c64",
                "vec2<f32>",
                "vec2<f32>",
            ),
            DType::C64,
        ),
        (ReduceOp::Sum, DType::I32) => (
            fold(
                "vec2<u32>",
                8,
                "vec2<u32>(0u)",
                "u64_add",
                "widen_i32",
                "bitcast<vec2<i32>>",
            ),
            DType::I64,
        ),
        (ReduceOp::Sum, DType::U32 | DType::Bool) => (
            fold(
                "vec2<u32>",
                8,
                "vec2<u32>(0u)",
                "u64_add",
                "widen_u32",
                "bitcast<vec2<i32>>",
            ),
            DType::I64,
        ),
        (ReduceOp::Sum, DType::I64) => (
            fold(
                "vec2<u32>",
                8,
                "vec2<u32>(0u)",
                "u64_add",
                "bitcast<vec2<u32>>",
                "bitcast<vec2<i32>>",
            ),
            DType::I64,
        ),
        (ReduceOp::Max, DType::F32) => (
            fold("f32", 4, "neg_infinity()", "max_nan_", "f32", "f32"),
            DType::F32,
        ),
        (ReduceOp::Max, DType::F16) => (
            fold("f32", 4, "neg_infinity()", "max_nan_", "f32", "f16"),
            DType::F16,
        ),
        (ReduceOp::Max, DType::F64) => (
            fold("f64", 8, "neg_infinity_f64()", "max_nan_f64", "f64", "f64"),
            DType::F64,
        ),
        (ReduceOp::Max, DType::I32) => (
            fold("i32", 4, "i32(-2147483647) - 1", "max_i32", "i32", "i32"),
            DType::I32,
        ),
        (ReduceOp::Max, DType::U32 | DType::Bool) => {
            (fold("u32", 4, "0u", "max_u32", "u32", "u32"), dtype)
        }
        (ReduceOp::Prod, DType::F32) => {
            (fold("f32", 4, "1.0", "mul_f32", "f32", "f32"), DType::F32)
        }
        (ReduceOp::Prod, DType::F16) => {
            (fold("f32", 4, "1.0", "mul_f32", "f32", "f16"), DType::F16)
        }
        (ReduceOp::Prod, DType::F64) => {
            (fold("f64", 8, "1.0", "mul_f64", "f64", "f64"), DType::F64)
        }
        (_, other) => return Err(unsupported(op.name(), other)),
    })
}

/// Which reduction kernel folds a pass: one invocation per output (reduce_short.wgsl), or a
/// workgroup tree per chunk (reduce.wgsl), whose outputs may each read one contiguous run.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reduction {
    Short,
    Tree { contiguous: bool },
}

impl Fold {
    /// The reduction kernel reading `input` (the tensor's type, or the accumulator's for a second
    /// pass) and writing the accumulator (`last` false) or the result type (`last` true), for a
    /// tensor of `dtype`.
    pub fn source(
        &self,
        input: &str,
        out: &str,
        last: bool,
        dtype: DType,
        kind: Reduction,
    ) -> (String, String) {
        let load = if input == self.acc {
            self.acc
        } else {
            self.load
        };
        let store = if last { self.store } else { self.acc };
        let key = format!(
            "reduce {kind:?} {input} {out} {} {load} {store}",
            self.combine
        );
        let (template, contiguous) = match kind {
            Reduction::Short => (REDUCE_SHORT, false),
            Reduction::Tree { contiguous } => (REDUCE, contiguous),
        };
        let source = program(&[dtype], template)
            .replace("{{A}}", input)
            .replace("{{ACC}}", self.acc)
            .replace("{{OUT}}", out)
            .replace("{{INIT}}", self.init)
            .replace("{{COMBINE}}", self.combine)
            .replace("{{LOAD}}", load)
            .replace("{{STORE}}", store)
            .replace("{{CONTIGUOUS}}", &contiguous.to_string());
        (key, source)
    }
}

/// The argmax kernel for `dtype`: argmax_short.wgsl when `short` (one invocation per output),
/// else argmax.wgsl (one workgroup per output).
pub(crate) fn argmax_source(dtype: DType, short: bool) -> Result<(String, String)> {
    let value = comparable(dtype).ok_or_else(|| unsupported("argmax", dtype))?;
    let template = if short { ARGMAX_SHORT } else { ARGMAX };
    let source = program(&[dtype], template)
        .replace("{{A}}", wgsl_type(dtype)?)
        .replace("{{V}}", value);
    Ok((format!("argmax {dtype} short {short}"), source))
}

/// The gather (`scatter` false) or scatter_add kernel for elements of `dtype` and indices of
/// `index` (i32 or i64).
pub(crate) fn indexing_source(
    scatter: bool,
    dtype: DType,
    index: DType,
) -> Result<(String, String)> {
    let op = if scatter { "scatter_add" } else { "gather" };
    let read = match index {
        DType::I32 => "u32(index[p])",
        DType::I64 => "u32(index[p].x)",
        other => return Err(unsupported(op, other)),
    };
    if scatter
        && !matches!(
            dtype,
            DType::F32 | DType::F16 | DType::F64 | DType::I32 | DType::U32
        )
    {
        return Err(unsupported(op, dtype));
    }
    let template = if scatter { SCATTER_ADD } else { GATHER };
    let source = program(&[dtype], template)
        .replace("{{A}}", wgsl_type(dtype)?)
        .replace("{{I}}", wgsl_type(index)?)
        .replace("{{INDEX}}", read);
    Ok((format!("{op} {dtype} {index}"), source))
}

/// The argsort kernel for `dtype`, ascending or `descending` (ties keep their order either way).
pub(crate) fn argsort_source(dtype: DType, descending: bool) -> Result<(String, String)> {
    let value = comparable(dtype).ok_or_else(|| unsupported("argsort", dtype))?;
    // Insertion moves a key past an earlier one only when it must come strictly before it.
    let test = if descending { "after" } else { "before" };
    let source = program(&[dtype], ARGSORT)
        .replace("{{A}}", wgsl_type(dtype)?)
        .replace("{{V}}", value)
        .replace("{{BEFORE}}", test);
    Ok((format!("argsort {dtype} descending {descending}"), source))
}

/// The running-sum kernel for `dtype`, from the start or in `reverse`.
pub(crate) fn cumsum_source(dtype: DType, reverse: bool) -> Result<(String, String)> {
    if !matches!(
        dtype,
        DType::F32 | DType::F16 | DType::F64 | DType::I32 | DType::U32
    ) {
        return Err(unsupported("cumsum", dtype));
    }
    let source = program(&[dtype], CUMSUM)
        .replace("{{A}}", wgsl_type(dtype)?)
        .replace("{{REVERSE}}", if reverse { "true" } else { "false" });
    Ok((format!("cumsum {dtype} reverse {reverse}"), source))
}

/// The matmul kernel for `dtype`: matmul_vec4.wgsl when `vec4` (both operands row-major with
/// rows of whole vec4s; f32 and f16), else matmul.wgsl. Products accumulate in f32, f64's in f64.
pub(crate) fn matmul_source(dtype: DType, vec4: bool) -> Result<(String, String)> {
    let acc = match dtype {
        DType::F32 | DType::F16 => "f32",
        DType::F64 if !vec4 => "f64",
        other => return Err(unsupported("matmul", other)),
    };
    let template = if vec4 { MATMUL_VEC4 } else { MATMUL };
    let source = program(&[dtype], template)
        .replace("{{T}}", wgsl_type(dtype)?)
        .replace("{{ACC}}", acc);
    Ok((format!("matmul {dtype} vec4 {vec4}"), source))
}

/// The type argmax and argsort compare `dtype`'s elements in, if they can.
fn comparable(dtype: DType) -> Option<&'static str> {
    match dtype {
        DType::F32 | DType::F16 => Some("f32"),
        DType::F64 => Some("f64"),
        DType::I32 => Some("i32"),
        DType::U32 | DType::Bool => Some("u32"),
        _ => None,
    }
}
