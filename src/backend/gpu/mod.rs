//! The GPU backend: tensors in wgpu buffers, every op a WGSL compute kernel.
//!
//! Kernels read strided views directly (transposes, broadcasts and narrows cost no copy), and the
//! context batches their dispatches; the host waits only to read.

pub(crate) mod context;
mod fusion;
mod kernels;

use std::sync::Arc;

use bytemuck::Pod;
use ndarray::{ArrayD, IxDyn};

use self::context::{Binding, GpuContext};
use self::fusion::Operand;
use self::kernels::{
    Elementwise, Expr, Reduction, SCALARS_AT, byte_size, gpu_size, has_vec4, scalar_words,
    wgsl_type,
};
use super::cpu::alloc;
use super::{Backend, BinaryOp, CmpOp, CpuStorage, ReduceOp, UnaryOp};
use crate::device::{Device, GpuDevice};
use crate::dtype::DType;
use crate::dtype::DynArray;
use crate::error::{Error, Result};
use crate::shape::{Layout, numel};

/// Reduced elements one workgroup folds before a second pass combines the partials.
const REDUCE_CHUNK: usize = 256 * 128;
/// The longest reduction one invocation folds alone (reduce_short.wgsl, argmax_short.wgsl);
/// longer ones get a tree.
const SHORT_REDUCTION: usize = 256;

/// A buffer that goes back to its context's pool when the last tensor or queued op holding it
/// is dropped.
pub(crate) struct PooledBuffer {
    pub(crate) buffer: wgpu::Buffer,
    ctx: Arc<GpuContext>,
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        self.ctx.release(self.buffer.clone());
    }
}

/// A tensor's elements in a GPU buffer, `len` elements of `dtype` from its start.
pub(crate) struct GpuStorage {
    pooled: Arc<PooledBuffer>,
    len: usize,
    dtype: DType,
}

impl std::fmt::Debug for GpuStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GpuStorage({} x {} on {})",
            self.len, self.dtype, self.pooled.ctx.info.name
        )
    }
}

fn gpu_error(message: String) -> Error {
    Error::Gpu { message }
}

/// An error unless the context's device can hold `dtype`: a type the kernels know, and for f16
/// and f64 an adapter with the shader feature they need.
pub(crate) fn require(ctx: &GpuContext, dtype: DType) -> Result<()> {
    wgsl_type(dtype)?;
    let (feature, hint) = match dtype {
        DType::F16 => (
            wgpu::Features::SHADER_F16,
            "this adapter lacks SHADER_F16; convert with .to_dtype(DType::F32) first",
        ),
        DType::F64 => (
            wgpu::Features::SHADER_F64,
            "this adapter lacks SHADER_F64; convert with .to_dtype(DType::F32) before moving \
             to the GPU, or keep the computation on the CPU",
        ),
        _ => return Ok(()),
    };
    if ctx.features.contains(feature) {
        Ok(())
    } else {
        Err(Error::UnsupportedDType {
            op: "the GPU",
            dtype,
            hint,
        })
    }
}

/// The device a context drives, as users name it.
fn gpu_device(ctx: &Arc<GpuContext>) -> Device {
    Device::Gpu(GpuDevice(Arc::clone(ctx)))
}

impl GpuStorage {
    fn new(ctx: &Arc<GpuContext>, buffer: wgpu::Buffer, len: usize, dtype: DType) -> GpuStorage {
        GpuStorage {
            pooled: Arc::new(PooledBuffer {
                buffer,
                ctx: Arc::clone(ctx),
            }),
            len,
            dtype,
        }
    }

    pub fn context(&self) -> &Arc<GpuContext> {
        &self.pooled.ctx
    }

    fn buffer(&self) -> &wgpu::Buffer {
        &self.pooled.buffer
    }

    /// Fresh storage for `len` elements of `dtype` (contents undefined until a kernel writes).
    fn alloc(ctx: &Arc<GpuContext>, len: usize, dtype: DType) -> Result<GpuStorage> {
        require(ctx, dtype)?;
        let buffer = ctx.acquire(byte_size(len, dtype)?)?;
        Ok(GpuStorage::new(ctx, buffer, len, dtype))
    }

    /// The view's elements copied from host storage to the GPU.
    pub fn upload(ctx: &Arc<GpuContext>, cpu: &CpuStorage, layout: &Layout) -> Result<GpuStorage> {
        let dtype = cpu.dtype();
        require(ctx, dtype)?;
        let buffer = cpu
            .with_c_order_bytes(layout, |bytes| match dtype {
                // bool is one byte on the host and a u32 on the GPU.
                DType::Bool => {
                    let mut words: Vec<u32> = alloc::with_capacity(bytes.len())?;
                    words.extend(bytes.iter().map(|&b| u32::from(b)));
                    ctx.upload(bytemuck::cast_slice(&words))
                }
                _ => ctx.upload(bytes),
            })
            .and_then(|uploaded| uploaded)
            .map_err(|e| e.for_tensor_on(&gpu_device(ctx)))?;
        Ok(GpuStorage::new(ctx, buffer, layout.numel(), dtype))
    }

    /// `n` elements of `dtype`, all `value`.
    pub fn full(ctx: &Arc<GpuContext>, n: usize, value: f64, dtype: DType) -> Result<GpuStorage> {
        if value == 0.0 {
            require(ctx, dtype)?;
            let buffer = ctx.zeros(byte_size(n, dtype)?)?;
            return Ok(GpuStorage::new(ctx, buffer, n, dtype));
        }
        GpuStorage::upload(
            ctx,
            &CpuStorage::full(n, value, dtype)?,
            &Layout::contiguous(&[n]),
        )
    }

    /// The first `n` elements read back into a host vector.
    fn read<T: Pod>(&self, n: usize) -> Result<Vec<T>> {
        let mut values: Vec<T> =
            alloc::zeroed(n).map_err(|e| e.for_tensor_on(&gpu_device(self.context())))?;
        self.context()
            .read(self.buffer(), bytemuck::cast_slice_mut(&mut values))?;
        Ok(values)
    }

    /// This storage if the view is its whole buffer in order, else a contiguous copy.
    fn contiguous(&self, layout: &Layout) -> Result<Option<GpuStorage>> {
        if layout.is_contiguous() && layout.offset == 0 {
            Ok(None)
        } else {
            self.copy_strided(layout).map(Some)
        }
    }

    /// Runs an elementwise kernel writing `out`'s view from the views of `inputs`.
    fn elementwise(
        &self,
        out: (&GpuStorage, &Layout),
        inputs: &[(&GpuStorage, &Layout)],
        expr: &Expr,
    ) -> Result<()> {
        let ctx = self.context();
        let (out_storage, out_layout) = out;
        let n = out_layout.numel();
        if n == 0 {
            return Ok(());
        }
        let views: Vec<(&GpuStorage, &Layout)> =
            std::iter::once(out).chain(inputs.iter().copied()).collect();
        let contiguous = views.iter().all(|(_, l)| l.is_contiguous());
        let dtypes: Vec<DType> = inputs.iter().map(|(s, _)| s.dtype).collect();
        let max = ctx.max_binding();
        let fits = views.iter().all(|(s, _)| s.buffer().size() <= max);
        let direct = contiguous && fits && views.iter().all(|(_, l)| l.offset == 0);
        // Whole buffers in C order of 4- or 2-byte elements, the output owning its buffer (the
        // last vec4 may write into its padding): the op joins the fusion queue.
        let quads = n.div_ceil(4);
        if direct
            && out_storage.len == n
            && views.iter().all(|(s, _)| {
                has_vec4(s.dtype) && s.buffer().size() >= (quads * 4 * gpu_size(s.dtype)) as u64
            })
        {
            let operand = |s: &GpuStorage| Operand {
                buffer: Arc::clone(&s.pooled),
                dtype: s.dtype,
            };
            let inputs = inputs.iter().map(|(s, _)| operand(s)).collect();
            return ctx.enqueue_fused(quads, operand(out_storage), inputs, expr);
        }
        let kernel = Elementwise {
            out: out_storage.dtype,
            inputs: &dtypes,
            expr,
            contiguous,
            direct,
        };
        let pipeline = ctx.pipeline(&kernel.key(), || kernel.source())?;
        if !fits && !contiguous {
            return Err(gpu_error(format!(
                "a strided or broadcast view of a GPU tensor over {} MiB cannot be bound in one piece; \
                 make both operands contiguous tensors of one shape, or run this op on the CPU",
                max >> 20
            )));
        }
        // Contiguous views are split into windows that each fit one binding; strided ones run whole.
        let widest = views
            .iter()
            .map(|(s, _)| gpu_size(s.dtype))
            .max()
            .unwrap_or(4) as u64;
        let chunk = if fits {
            n
        } else {
            ((max - 256) / widest / 256 * 256) as usize
        };
        for start in (0..n).step_by(chunk) {
            let len = chunk.min(n - start);
            let mut meta = vec![len as u32];
            let mut bindings = Vec::with_capacity(views.len());
            if fits {
                meta.push(out_layout.ndim() as u32);
                meta.extend(out_layout.shape.iter().map(|&d| d as u32));
                for (storage, layout) in &views {
                    meta.push(layout.offset as u32);
                    meta.extend(layout.strides.iter().map(|&s| s as u32));
                    bindings.push(Binding::whole(storage.buffer()));
                }
            } else {
                meta.extend([1, len as u32]);
                for (storage, layout) in &views {
                    let size = gpu_size(storage.dtype) as u64;
                    let first = (layout.offset + start) as u64 * size;
                    let aligned = first / 256 * 256;
                    meta.extend([((first - aligned) / size) as u32, 1]);
                    let window = (storage.buffer().size() - aligned).min(max) / 4 * 4;
                    bindings.push(Binding {
                        buffer: storage.buffer(),
                        offset: aligned,
                        size: window,
                    });
                }
            }
            if !expr.scalars.is_empty() {
                if meta.len() > SCALARS_AT {
                    return Err(gpu_error(format!(
                        "an op with scalar parameters on a view of {} dimensions is past the \
                         GPU kernel's metadata; reshape to fewer dimensions first",
                        out_layout.ndim()
                    )));
                }
                meta.resize(SCALARS_AT, 0);
                meta.extend(scalar_words(&expr.scalars, out_storage.dtype));
            }
            ctx.dispatch(
                &pipeline,
                &meta,
                &bindings,
                ctx.grid(len.div_ceil(256) as u64)?,
            )?;
        }
        Ok(())
    }

    /// A new contiguous tensor of `shape` and `dtype` computed elementwise from `inputs`.
    fn map(
        &self,
        dtype: DType,
        shape: &[usize],
        inputs: &[(&GpuStorage, &Layout)],
        expr: &Expr,
    ) -> Result<GpuStorage> {
        let out = GpuStorage::alloc(self.context(), numel(shape), dtype)?;
        self.elementwise((&out, &Layout::contiguous(shape)), inputs, expr)?;
        Ok(out)
    }

    /// Refuses kernels whose operands cannot be bound whole.
    fn require_bindable(&self, op: &str, others: &[&GpuStorage]) -> Result<()> {
        let max = self.context().max_binding();
        if std::iter::once(self)
            .chain(others.iter().copied())
            .any(|s| s.buffer().size() > max)
        {
            return Err(gpu_error(format!(
                "{op} of a GPU tensor over {} MiB is not supported; split it with narrow(), or move it to the CPU",
                max >> 20
            )));
        }
        Ok(())
    }
}

impl GpuStorage {
    /// Runs a kernel that gives one invocation to each row along the view's last axis and
    /// writes a C-order result of the view's shape in `out_dtype` (argsort, cumsum).
    fn by_rows(
        &self,
        op: &str,
        layout: &Layout,
        kernel: (String, String),
        out_dtype: DType,
    ) -> Result<GpuStorage> {
        let axis = layout.ndim().saturating_sub(1);
        let length = layout.shape.get(axis).copied().unwrap_or(1);
        let (kept_shape, kept_strides, _, _) = split_axes(layout, &[axis]);
        let rows = numel(&kept_shape);
        let stride = layout.strides.get(axis).copied().unwrap_or(0);
        let mut meta = vec![rows as u32, length as u32, stride as u32];
        meta.extend([kept_shape.len() as u32, layout.offset as u32]);
        meta.extend(to_u32(&kept_shape).chain(to_u32(&kept_strides)));
        let out = (layout.numel(), out_dtype);
        self.launch(op, &[], kernel, &meta, out, rows.div_ceil(64))
    }

    /// Runs `kernel` over `workgroups` workgroups, writing a fresh buffer of `out` (length,
    /// dtype), bound first, from this storage and then `inputs`, with `meta`. Nothing runs for
    /// an empty output.
    fn launch(
        &self,
        op: &str,
        inputs: &[&GpuStorage],
        (key, source): (String, String),
        meta: &[u32],
        (len, dtype): (usize, DType),
        workgroups: usize,
    ) -> Result<GpuStorage> {
        self.require_bindable(op, inputs)?;
        let ctx = self.context();
        let pipeline = ctx.pipeline(&key, || Ok(source))?;
        let out = GpuStorage::alloc(ctx, len, dtype)?;
        if len == 0 {
            return Ok(out);
        }
        let bindings: Vec<Binding<'_>> = [&out, self]
            .into_iter()
            .chain(inputs.iter().copied())
            .map(|s| Binding::whole(s.buffer()))
            .collect();
        ctx.dispatch(&pipeline, meta, &bindings, ctx.grid(workgroups as u64)?)?;
        Ok(out)
    }
}

/// The view's shape and strides split into the kept axes and the `axes` being reduced.
fn split_axes(layout: &Layout, axes: &[usize]) -> (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>) {
    let (mut kept_shape, mut kept_strides, mut reduced_shape, mut reduced_strides) =
        (vec![], vec![], vec![], vec![]);
    for (d, (&size, &stride)) in layout.shape.iter().zip(&layout.strides).enumerate() {
        if axes.contains(&d) {
            reduced_shape.push(size);
            reduced_strides.push(stride);
        } else {
            kept_shape.push(size);
            kept_strides.push(stride);
        }
    }
    (kept_shape, kept_strides, reduced_shape, reduced_strides)
}

fn to_u32(values: &[usize]) -> impl Iterator<Item = u32> + '_ {
    values.iter().map(|&v| v as u32)
}

impl Backend for GpuStorage {
    fn dtype(&self) -> DType {
        self.dtype
    }

    fn unary(&self, op: UnaryOp, layout: &Layout) -> Result<Self> {
        self.map(
            self.dtype,
            &layout.shape,
            &[(self, layout)],
            &kernels::unary_expr(op, self.dtype)?,
        )
    }

    fn binary(
        &self,
        op: BinaryOp,
        layout: &Layout,
        rhs: &Self,
        rhs_layout: &Layout,
    ) -> Result<Self> {
        let expr = kernels::binary_expr(op, self.dtype)?;
        self.map(
            self.dtype,
            &layout.shape,
            &[(self, layout), (rhs, rhs_layout)],
            &expr,
        )
    }

    fn compare(&self, op: CmpOp, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self> {
        let expr = Expr::plain(kernels::compare_expr(op, self.dtype)?);
        self.map(
            DType::Bool,
            &layout.shape,
            &[(self, layout), (rhs, rhs_layout)],
            &expr,
        )
    }

    fn where_cond(
        &self,
        layout: &Layout,
        on_true: (&Self, &Layout),
        on_false: (&Self, &Layout),
    ) -> Result<Self> {
        if self.dtype != DType::Bool {
            return Err(Error::UnsupportedDType {
                op: "where",
                dtype: self.dtype,
                hint: "the condition must be a bool tensor",
            });
        }
        let inputs = [(self, layout), on_true, on_false];
        self.map(
            on_true.0.dtype,
            &layout.shape,
            &inputs,
            &Expr::plain("select(z, y, x != 0u)"),
        )
    }

    fn reduce(&self, op: ReduceOp, layout: &Layout, axes: &[usize]) -> Result<Self> {
        self.require_bindable("a reduction", &[])?;
        let ctx = self.context();
        let (fold, out_dtype) = kernels::fold(op, self.dtype)?;
        let (kept_shape, kept_strides, reduced_shape, reduced_strides) = split_axes(layout, axes);
        let (outputs, reduced) = (numel(&kept_shape), numel(&reduced_shape));
        let input = wgsl_type(self.dtype)?;
        // The header: chunk and chunks per output are set below for the tree.
        let mut meta: Vec<u32> = vec![outputs as u32, reduced as u32, 0, 1];
        meta.extend([
            kept_shape.len() as u32,
            reduced_shape.len() as u32,
            layout.offset as u32,
        ]);
        meta.extend(to_u32(&kept_shape).chain(to_u32(&kept_strides)));
        meta.extend(to_u32(&reduced_shape).chain(to_u32(&reduced_strides)));
        if reduced <= SHORT_REDUCTION {
            let (key, source) = fold.source(
                input,
                wgsl_type(out_dtype)?,
                true,
                self.dtype,
                Reduction::Short,
            );
            let pipeline = ctx.pipeline(&key, || Ok(source))?;
            let out = GpuStorage::alloc(ctx, outputs, out_dtype)?;
            let bindings = [Binding::whole(out.buffer()), Binding::whole(self.buffer())];
            let groups = ctx.grid(outputs.div_ceil(64) as u64)?;
            ctx.dispatch(&pipeline, &meta, &bindings, groups)?;
            return Ok(out);
        }
        let order: Vec<usize> = (0..layout.ndim())
            .filter(|d| !axes.contains(d))
            .chain(axes.iter().copied())
            .collect();
        let contiguous = layout.permute(&order).is_contiguous();
        let chunks = reduced.div_ceil(REDUCE_CHUNK);
        let last = chunks == 1;
        let out_type = if last {
            wgsl_type(out_dtype)?
        } else {
            fold.acc
        };
        let tree = Reduction::Tree { contiguous };
        let (key, source) = fold.source(input, out_type, last, self.dtype, tree);
        let pipeline = ctx.pipeline(&key, || Ok(source))?;
        let partial_bytes = if last {
            gpu_size(out_dtype)
        } else {
            fold.acc_dtype_bytes
        };
        let partials = ctx.acquire((outputs * chunks * partial_bytes) as u64)?;
        meta[2..4].copy_from_slice(&[reduced.min(REDUCE_CHUNK) as u32, chunks as u32]);
        let bindings = [Binding::whole(&partials), Binding::whole(self.buffer())];
        ctx.dispatch(
            &pipeline,
            &meta,
            &bindings,
            ctx.grid((outputs * chunks) as u64)?,
        )?;
        if last {
            return Ok(GpuStorage::new(ctx, partials, outputs, out_dtype));
        }
        // Second pass: each output's partials, one contiguous run, folded by one workgroup.
        let partials = GpuStorage::new(ctx, partials, outputs * chunks, self.dtype);
        let tree = Reduction::Tree { contiguous: true };
        let (key, source) = fold.source(fold.acc, wgsl_type(out_dtype)?, true, self.dtype, tree);
        let pipeline = ctx.pipeline(&key, || Ok(source))?;
        let out = GpuStorage::alloc(ctx, outputs, out_dtype)?;
        let meta = [
            outputs, chunks, chunks, 1, 1, 1, 0, outputs, chunks, chunks, 1,
        ]
        .map(|v| v as u32);
        let bindings = [
            Binding::whole(out.buffer()),
            Binding::whole(partials.buffer()),
        ];
        ctx.dispatch(&pipeline, &meta, &bindings, ctx.grid(outputs as u64)?)?;
        Ok(out)
    }

    fn argmax(&self, layout: &Layout, axis: usize) -> Result<Self> {
        self.require_bindable("argmax", &[])?;
        let ctx = self.context();
        let short = layout.shape[axis] <= SHORT_REDUCTION;
        let (key, source) = kernels::argmax_source(self.dtype, short)?;
        let pipeline = ctx.pipeline(&key, || Ok(source))?;
        let (kept_shape, kept_strides, _, _) = split_axes(layout, &[axis]);
        let outputs = numel(&kept_shape);
        let out = GpuStorage::alloc(ctx, outputs, DType::I64)?;
        let mut meta = vec![
            outputs as u32,
            layout.shape[axis] as u32,
            layout.strides[axis] as u32,
        ];
        meta.extend([kept_shape.len() as u32, layout.offset as u32]);
        meta.extend(to_u32(&kept_shape).chain(to_u32(&kept_strides)));
        let bindings = [Binding::whole(out.buffer()), Binding::whole(self.buffer())];
        let workgroups = if short { outputs.div_ceil(64) } else { outputs };
        ctx.dispatch(&pipeline, &meta, &bindings, ctx.grid(workgroups as u64)?)?;
        Ok(out)
    }

    fn cumsum(&self, layout: &Layout, reverse: bool) -> Result<Self> {
        let kernel = kernels::cumsum_source(self.dtype, reverse)?;
        self.by_rows("cumsum", layout, kernel, self.dtype)
    }

    fn argsort(&self, layout: &Layout, descending: bool) -> Result<Self> {
        let kernel = kernels::argsort_source(self.dtype, descending)?;
        self.by_rows("argsort", layout, kernel, DType::I64)
    }

    fn matmul(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout) -> Result<Self> {
        self.require_bindable("matmul", &[rhs])?;
        let ctx = self.context();
        let (batch, m, k, n) = (
            layout.shape[0],
            layout.shape[1],
            layout.shape[2],
            rhs_layout.shape[2],
        );
        // Row-major operands whose rows are whole vec4s take matmul_vec4.wgsl.
        let quads = |l: &Layout| {
            l.strides[2] == 1
                && [l.offset, l.strides[0], l.strides[1]]
                    .iter()
                    .all(|v| v % 4 == 0)
        };
        let vec4 = self.dtype != DType::F64
            && k % 4 == 0
            && n % 4 == 0
            && quads(layout)
            && quads(rhs_layout);
        let (key, source) = kernels::matmul_source(self.dtype, vec4)?;
        let pipeline = ctx.pipeline(&key, || Ok(source))?;
        let out = GpuStorage::alloc(ctx, batch * m * n, self.dtype)?;
        if batch * m * n == 0 {
            return Ok(out);
        }
        let mut meta = vec![m as u32, n as u32, k as u32, layout.offset as u32];
        meta.extend(to_u32(&layout.strides));
        meta.push(rhs_layout.offset as u32);
        meta.extend(to_u32(&rhs_layout.strides));
        let bindings = [
            Binding::whole(out.buffer()),
            Binding::whole(self.buffer()),
            Binding::whole(rhs.buffer()),
        ];
        let max = ctx.limits.max_compute_workgroups_per_dimension as usize;
        if batch > max {
            return Err(gpu_error(format!(
                "a batch of {batch} matrices exceeds the adapter's {max} workgroups per dimension"
            )));
        }
        // Each workgroup covers 64 rows and 64 columns (vec4) or 32 columns (matmul.wgsl).
        let columns = if vec4 { 64 } else { 32 };
        let groups = [
            n.div_ceil(columns) as u32,
            m.div_ceil(64) as u32,
            batch as u32,
        ];
        ctx.dispatch(&pipeline, &meta, &bindings, groups)?;
        Ok(out)
    }

    fn gather(&self, layout: &Layout, axis: usize, (index, il): (&Self, &Layout)) -> Result<Self> {
        let kernel = kernels::indexing_source(false, self.dtype, index.dtype)?;
        let outputs = il.numel();
        let mut meta = vec![outputs as u32, il.ndim() as u32, axis as u32];
        meta.extend([layout.offset as u32, il.offset as u32]);
        meta.extend(
            to_u32(&il.shape)
                .chain(to_u32(&layout.strides))
                .chain(to_u32(&il.strides)),
        );
        let out = (outputs, self.dtype);
        self.launch(
            "gather",
            &[index],
            kernel,
            &meta,
            out,
            outputs.div_ceil(256),
        )
    }

    fn scatter_add(
        &self,
        layout: &Layout,
        axis: usize,
        (index, il): (&Self, &Layout),
        (src, sl): (&Self, &Layout),
    ) -> Result<Self> {
        let kernel = kernels::indexing_source(true, self.dtype, index.dtype)?;
        let outputs = layout.numel();
        let mut meta = vec![outputs as u32, layout.ndim() as u32, axis as u32];
        meta.extend([layout.offset as u32, sl.offset as u32, il.offset as u32]);
        meta.extend(
            to_u32(&layout.shape)
                .chain(to_u32(&il.shape))
                .chain(to_u32(&layout.strides))
                .chain(to_u32(&sl.strides))
                .chain(to_u32(&il.strides)),
        );
        let out = (outputs, self.dtype);
        let inputs = [src, index];
        self.launch(
            "scatter_add",
            &inputs,
            kernel,
            &meta,
            out,
            outputs.div_ceil(256),
        )
    }

    fn to_dtype(&self, layout: &Layout, dtype: DType) -> Result<Self> {
        self.map(
            dtype,
            &layout.shape,
            &[(self, layout)],
            &Expr::plain(kernels::cast_expr(self.dtype, dtype)?),
        )
    }

    fn copy_strided(&self, layout: &Layout) -> Result<Self> {
        self.map(
            self.dtype,
            &layout.shape,
            &[(self, layout)],
            &Expr::plain("x"),
        )
    }

    fn cat(parts: &[(&Self, &Layout)], axis: usize, out_shape: &[usize]) -> Result<Self> {
        let Some(&(first, _)) = parts.first() else {
            return Err(Error::Internal("cat of no parts".into()));
        };
        let out = GpuStorage::alloc(first.context(), numel(out_shape), first.dtype)?;
        let whole = Layout::contiguous(out_shape);
        let mut start = 0;
        let copy = Expr::plain("x");
        for &(part, layout) in parts {
            let len = layout.shape[axis];
            first.elementwise(
                (&out, &whole.narrow(axis, start, len)),
                &[(part, layout)],
                &copy,
            )?;
            start += len;
        }
        Ok(out)
    }

    fn to_dyn_array(&self, layout: &Layout) -> Result<DynArray> {
        let copy = self.contiguous(layout)?;
        let source = copy.as_ref().unwrap_or(self);
        let n = layout.numel();
        let shape = IxDyn(&layout.shape);
        let array = |e: ndarray::ShapeError| Error::Internal(e.to_string());
        Ok(match self.dtype {
            DType::F32 => {
                DynArray::F32(ArrayD::from_shape_vec(shape, source.read(n)?).map_err(array)?)
            }
            DType::F16 => {
                DynArray::F16(ArrayD::from_shape_vec(shape, source.read(n)?).map_err(array)?)
            }
            DType::F64 => {
                DynArray::F64(ArrayD::from_shape_vec(shape, source.read(n)?).map_err(array)?)
            }
            DType::U32 => {
                DynArray::U32(ArrayD::from_shape_vec(shape, source.read(n)?).map_err(array)?)
            }
            DType::I32 => {
                DynArray::I32(ArrayD::from_shape_vec(shape, source.read(n)?).map_err(array)?)
            }
            DType::I64 => {
                DynArray::I64(ArrayD::from_shape_vec(shape, source.read(n)?).map_err(array)?)
            }
            DType::C64 => {
                DynArray::C64(ArrayD::from_shape_vec(shape, source.read(n)?).map_err(array)?)
            }
            DType::Bool => {
                let words: Vec<u32> = source.read(n)?;
                DynArray::Bool(
                    ArrayD::from_shape_vec(shape, words.into_iter().map(|w| w != 0).collect())
                        .map_err(array)?,
                )
            }
            other => return Err(Error::Internal(format!("a {other} tensor on the GPU"))),
        })
    }

    fn read_into(&self, layout: &Layout, dst: &mut [u8]) -> Result<()> {
        let copy = self.contiguous(layout)?;
        let source = copy.as_ref().unwrap_or(self);
        if self.dtype == DType::Bool || dst.len() as u64 != byte_size(layout.numel(), self.dtype)? {
            return Err(Error::Internal(format!(
                "{} bytes for {} {} elements",
                dst.len(),
                layout.numel(),
                self.dtype
            )));
        }
        self.context().read(source.buffer(), dst)
    }

    fn with_c_order_bytes<R>(&self, layout: &Layout, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        let host = CpuStorage::from_dyn_array(self.to_dyn_array(layout)?)?;
        host.with_c_order_bytes(&Layout::contiguous(&layout.shape), f)
    }
}
