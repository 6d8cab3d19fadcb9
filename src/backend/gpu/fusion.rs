//! Elementwise fusion. Ops over tensors that are whole buffers in C order of one length, with
//! elements of 4 or 2 bytes, are queued instead of dispatched; the queue runs as one kernel
//! (shaders/fused.wgsl) when anything else is recorded or read, or when it is full. Each op's
//! output buffer is allocated when the op is queued, so tensors behave exactly as if computed at
//! once, but the kernel stores only the outputs that a tensor still holds: a chain of ops reads
//! its inputs once and writes its last result once, and costs one dispatch.

use std::fmt::Write;
use std::sync::Arc;

use super::PooledBuffer;
use super::context::META_BYTES;
use super::kernels::{Expr, program, scalar_params, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;

const FUSED: &str = include_str!("../../../shaders/fused.wgsl");

/// The most ops one fused kernel computes.
const MAX_OPS: usize = 32;

/// A buffer an op reads or writes, with the dtype of its elements.
pub(crate) struct Operand {
    pub buffer: Arc<PooledBuffer>,
    pub dtype: DType,
}

enum Source {
    /// Read from the buffer.
    Input,
    /// Computed as `expr` of the values numbered `args` (bound to x, y, z in order) and of
    /// `scalars` (p0, p1), which the kernel reads from its metadata.
    Op {
        expr: String,
        scalars: Vec<f64>,
        args: Vec<usize>,
    },
}

struct Value {
    operand: Operand,
    source: Source,
}

impl Value {
    /// An op's output that some tensor still holds (the queue's own reference aside).
    fn live_output(&self) -> bool {
        matches!(self.source, Source::Op { .. }) && Arc::strong_count(&self.operand.buffer) > 1
    }
}

/// Ops queued and not yet recorded, all over `quads` vec4s, and all involving f16 or none: the
/// helpers in shaders/prelude.wgsl that float ops call are written in one float type per kernel.
#[derive(Default)]
pub(crate) struct FusionQueue {
    quads: usize,
    f16: bool,
    values: Vec<Value>,
}

fn involves_f16(out: &Operand, inputs: &[Operand]) -> bool {
    std::iter::once(out)
        .chain(inputs)
        .any(|o| o.dtype == DType::F16)
}

/// A queue rendered into one kernel: its pipeline key (the queue's structure), its source, its
/// buffers in binding order, its size and its metadata (the size, then every op's scalars).
pub(crate) struct FusedKernel {
    pub key: String,
    pub source: String,
    pub buffers: Vec<Arc<PooledBuffer>>,
    pub quads: usize,
    pub meta: Vec<u32>,
}

impl FusionQueue {
    fn find(&self, buffer: &Arc<PooledBuffer>) -> Option<usize> {
        self.values
            .iter()
            .position(|v| Arc::ptr_eq(&v.operand.buffer, buffer))
    }

    /// Whether an op over `quads` vec4s writing `out` from `inputs` fits in the queue with the
    /// storage buffers one kernel may bind.
    pub fn accepts(
        &self,
        quads: usize,
        out: &Operand,
        inputs: &[Operand],
        expr: &Expr,
        max_bindings: usize,
    ) -> bool {
        if self.values.is_empty() {
            return true;
        }
        let (mut ops, mut scalars) = (0, 0);
        for value in &self.values {
            if let Source::Op { scalars: s, .. } = &value.source {
                ops += 1;
                scalars += s.len();
            }
        }
        let new_inputs = inputs
            .iter()
            .filter(|i| self.find(&i.buffer).is_none())
            .count();
        let bound = self
            .values
            .iter()
            .filter(|v| matches!(v.source, Source::Input) || v.live_output())
            .count();
        quads == self.quads
            && self.f16 == involves_f16(out, inputs)
            && ops < MAX_OPS
            && 1 + scalars + expr.scalars.len() <= META_BYTES / 4
            && bound + new_inputs < max_bindings
    }

    /// Queues `out = expr(inputs)`; the caller has checked `accepts`.
    pub fn push(&mut self, quads: usize, out: Operand, inputs: Vec<Operand>, expr: &Expr) {
        self.quads = quads;
        self.f16 = involves_f16(&out, &inputs);
        let args = inputs
            .into_iter()
            .map(|operand| {
                self.find(&operand.buffer).unwrap_or_else(|| {
                    self.values.push(Value {
                        operand,
                        source: Source::Input,
                    });
                    self.values.len() - 1
                })
            })
            .collect();
        self.values.push(Value {
            operand: out,
            source: Source::Op {
                expr: expr.text.clone(),
                scalars: expr.scalars.clone(),
                args,
            },
        });
    }

    /// Empties the queue into one kernel, if anything is queued.
    pub fn take(&mut self) -> Result<Option<FusedKernel>> {
        if self.values.is_empty() {
            return Ok(None);
        }
        let values = std::mem::take(&mut self.values);
        // Read once: a tensor dropped meanwhile on another thread must not make the key and the
        // source disagree.
        let live: Vec<bool> = values.iter().map(Value::live_output).collect();
        // Results no tensor holds any more need not be computed at all.
        if !live.contains(&true) {
            return Ok(None);
        }
        let (mut bindings, mut functions, mut loads, mut results, mut lane, mut stores) = (
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        );
        let mut buffers = Vec::new();
        let mut key = String::from("fused");
        let mut meta = vec![self.quads as u32];
        // Writing to a String cannot fail.
        for (id, value) in values.iter().enumerate() {
            let ty = wgsl_type(value.operand.dtype)?;
            let binding = buffers.len() + 1;
            let _ = write!(key, "; {ty}");
            match &value.source {
                Source::Input => {
                    let _ = writeln!(
                        bindings,
                        "@group(0) @binding({binding}) var<storage, read> v{id}: array<vec4<{ty}>>;"
                    );
                    let _ = write!(loads, "let q{id} = v{id}[i];\n    ");
                    let _ = write!(lane, "let t{id} = q{id}[lane];\n        ");
                    buffers.push(Arc::clone(&value.operand.buffer));
                }
                Source::Op {
                    expr,
                    scalars,
                    args,
                } => {
                    let mut params = Vec::new();
                    for (&arg, name) in args.iter().zip(["x", "y", "z"]) {
                        params.push(format!("{name}: {}", wgsl_type(values[arg].operand.dtype)?));
                    }
                    let _ = writeln!(
                        functions,
                        "fn op{id}({}{}) -> {ty} {{\n    return {expr};\n}}",
                        params.join(", "),
                        scalar_params(scalars, ty)
                    );
                    let _ = write!(key, " = {expr} {args:?} {}", live[id]);
                    let mut call: Vec<String> = args.iter().map(|a| format!("t{a}")).collect();
                    for &scalar in scalars {
                        call.push(format!("{ty}(bitcast<f32>(info({}u)))", meta.len()));
                        meta.push((scalar as f32).to_bits());
                    }
                    let _ = write!(lane, "let t{id} = op{id}({});\n        ", call.join(", "));
                    if live[id] {
                        let _ = writeln!(
                            bindings,
                            "@group(0) @binding({binding}) var<storage, read_write> o{id}: array<vec4<{ty}>>;"
                        );
                        let _ = write!(results, "var r{id}: vec4<{ty}>;\n    ");
                        let _ = write!(lane, "r{id}[lane] = t{id};\n        ");
                        let _ = write!(stores, "o{id}[i] = r{id};\n    ");
                        buffers.push(Arc::clone(&value.operand.buffer));
                    }
                }
            }
        }
        let floats: &[DType] = if self.f16 { &[DType::F16] } else { &[] };
        let source = program(floats, FUSED)
            .replace("{{BINDINGS}}", &bindings)
            .replace("{{FUNCTIONS}}", &functions)
            .replace("{{LOADS}}", loads.trim_end())
            .replace("{{RESULTS}}", results.trim_end())
            .replace("{{LANE}}", lane.trim_end())
            .replace("{{STORES}}", stores.trim_end());
        Ok(Some(FusedKernel {
            key,
            source,
            buffers,
            quads: self.quads,
            meta,
        }))
    }
}
