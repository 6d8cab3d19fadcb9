//! Typed CPU kernels, generic over the element type; `mod.rs` picks the type from the storage.

use smallvec::SmallVec;

use super::scalar::{Arith, Ordered, Scalar};
use super::strided::{copy, copy_into, for_each_run, map1, map2};
use super::threads::{Disjoint, Team};
use super::vmath::Transcendental;
use super::{alloc, simd};
use crate::backend::{BinaryOp, CmpOp, UnaryOp};
use crate::error::{Error, Result};
use crate::shape::{Layout, checked_numel, contiguous_strides, numel};

/// sqrt(2 / pi), the constant of GELU's tanh approximation.
const GELU_C: f64 = 0.797_884_560_802_865_4;
const GELU_A: f64 = 0.044_715;

/// A real floating-point unary op over a view.
pub(super) fn float_unary<T: Transcendental + Scalar>(
    v: &[T],
    layout: &Layout,
    op: UnaryOp,
) -> Result<Vec<T>> {
    let (zero, one, half) = (T::zero(), T::one(), T::from_f64(0.5));
    let (c, a) = (T::from_f64(GELU_C), T::from_f64(GELU_A));
    match op {
        UnaryOp::Neg => map1(v, layout, |x| -x),
        UnaryOp::Exp => map1(v, layout, T::exp_),
        UnaryOp::Log => map1(v, layout, T::ln_),
        UnaryOp::Sqrt => map1(v, layout, T::sqrt),
        UnaryOp::Abs => map1(v, layout, T::abs),
        UnaryOp::Tanh => map1(v, layout, T::tanh_),
        UnaryOp::Sigmoid => map1(v, layout, T::sigmoid_),
        // `x < 0` rather than `max` so that NaN stays NaN.
        UnaryOp::Relu => map1(v, layout, |x| if x < zero { zero } else { x }),
        UnaryOp::Gelu => map1(v, layout, |x| {
            half * x * (one + (c * (x + a * x * x * x)).tanh_())
        }),
        UnaryOp::GeluGrad => map1(v, layout, |x| {
            let t = (c * (x + a * x * x * x)).tanh_();
            let three = T::from_f64(3.0);
            half * (one + t) + half * x * (one - t * t) * c * (one + three * a * x * x)
        }),
        UnaryOp::Sign => map1(v, layout, |x| {
            if x > zero {
                one
            } else if x < zero {
                -one
            } else {
                x
            }
        }),
        UnaryOp::Step => map1(v, layout, |x| if x > zero { one } else { zero }),
        UnaryOp::Powf(p) => {
            let p = T::from_f64(p);
            map1(v, layout, |x| x.powf(p))
        }
        UnaryOp::Affine { scale, shift } => {
            let (scale, shift) = (T::from_f64(scale), T::from_f64(shift));
            map1(v, layout, |x| x * scale + shift)
        }
        UnaryOp::Sin => map1(v, layout, T::sin),
        UnaryOp::Cos => map1(v, layout, T::cos),
        UnaryOp::Log1p => map1(v, layout, T::ln_1p),
        UnaryOp::Expm1 => map1(v, layout, T::exp_m1),
        UnaryOp::Reciprocal => map1(v, layout, T::recip),
        UnaryOp::Rsqrt => map1(v, layout, |x| x.sqrt().recip()),
        UnaryOp::Square => map1(v, layout, |x| x * x),
        UnaryOp::Silu => map1(v, layout, |x| x * x.sigmoid_()),
        // max(x, 0) + ln(1 + e^-|x|): no overflow, and exact for large |x|.
        UnaryOp::Softplus => map1(v, layout, |x| x.max(zero) + (-x.abs()).exp().ln_1p()),
        UnaryOp::LeakyRelu(slope) => {
            let slope = T::from_f64(slope);
            map1(v, layout, |x| if x > zero { x } else { slope * x })
        }
        UnaryOp::Elu(alpha) => {
            let alpha = T::from_f64(alpha);
            map1(v, layout, |x| if x > zero { x } else { alpha * x.exp_m1() })
        }
        UnaryOp::Clamp { min, max } => {
            let (min, max) = (T::from_f64(min), T::from_f64(max));
            map1(v, layout, |x| {
                let low = if x < min { min } else { x };
                if low > max { max } else { low }
            })
        }
    }
}

/// Elementwise arithmetic of two views of one shape.
pub(super) fn arith<T: Arith>(
    op: BinaryOp,
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
) -> Result<Vec<T>> {
    if op == BinaryOp::Div
        && T::DTYPE.is_integral()
        && map1(b, lb, |x| x == T::ZERO)?.contains(&true)
    {
        return Err(Error::InvalidArgument {
            op: "div",
            message: format!("integer division by zero in a {} tensor", T::DTYPE),
        });
    }
    match op {
        BinaryOp::Add => map2(a, la, b, lb, T::add),
        BinaryOp::AddScaled(alpha) => {
            let alpha = T::from_f64(alpha);
            map2(a, la, b, lb, move |x, y| x.add(alpha.mul(y)))
        }
        BinaryOp::Sub => map2(a, la, b, lb, T::sub),
        BinaryOp::Mul => map2(a, la, b, lb, T::mul),
        BinaryOp::Div => map2(a, la, b, lb, T::div),
        BinaryOp::Maximum | BinaryOp::Minimum | BinaryOp::MaskNonPositive => Err(Error::Internal(
            format!("{} reached the arithmetic kernel", op.name()),
        )),
    }
}

/// The binary ops that compare (see [`BinaryOp::needs_order`]) on two views of one shape: the
/// elementwise larger (`Maximum`) or smaller (`Minimum`), NaN winning as in PyTorch, and
/// `MaskNonPositive`.
pub(super) fn ordered_binary<T: Ordered>(
    op: BinaryOp,
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
) -> Result<Vec<T>> {
    let zero = T::from_f64(0.0);
    match op {
        BinaryOp::Maximum => map2(a, la, b, lb, T::max_nan),
        BinaryOp::Minimum => map2(a, la, b, lb, T::min_nan),
        BinaryOp::MaskNonPositive => {
            map2(a, la, b, lb, move |x, y| if y <= zero { zero } else { x })
        }
        _ => Err(Error::Internal(format!(
            "{} reached the ordered kernel",
            op.name()
        ))),
    }
}

/// Elementwise comparison of two views of one shape.
pub(super) fn compare<T: Scalar + PartialOrd>(
    op: CmpOp,
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
) -> Result<Vec<bool>> {
    match op {
        CmpOp::Eq => map2(a, la, b, lb, |x, y| x == y),
        CmpOp::Ne => map2(a, la, b, lb, |x, y| x != y),
        CmpOp::Lt => map2(a, la, b, lb, |x, y| x < y),
        CmpOp::Le => map2(a, la, b, lb, |x, y| x <= y),
        CmpOp::Gt => map2(a, la, b, lb, |x, y| x > y),
        CmpOp::Ge => map2(a, la, b, lb, |x, y| x >= y),
    }
}

/// Folds a view over `axes` into a C-order buffer of the kept shape (reduced axes of length 1).
/// `fold_run` folds one contiguous run into an accumulator; `step` folds one element.
pub(super) fn reduce<T: Copy, A: Copy + 'static>(
    src: &[T],
    layout: &Layout,
    axes: &[usize],
    init: A,
    step: impl Fn(A, T) -> A,
    fold_run: impl Fn(A, &[T]) -> A,
) -> Result<Vec<A>> {
    match Matrix::of(layout, axes) {
        Some(matrix) => reduce_matrix(&src[layout.offset..], matrix, init, step, fold_run),
        None => reduce_runs(src, layout, axes, init, step, fold_run),
    }
}

/// [`reduce`] by a walk over the runs of the view.
fn reduce_runs<T: Copy, A: Copy + 'static>(
    src: &[T],
    layout: &Layout,
    axes: &[usize],
    init: A,
    step: impl Fn(A, T) -> A,
    fold_run: impl Fn(A, &[T]) -> A,
) -> Result<Vec<A>> {
    let mut out_shape = layout.shape.clone();
    axes.iter().for_each(|&a| out_shape[a] = 1);
    let mut out_strides = contiguous_strides(&out_shape);
    axes.iter().for_each(|&a| out_strides[a] = 0);
    let mut out = alloc::filled(numel(&out_shape), init)?;
    let strides = [layout.strides.as_slice(), out_strides.as_slice()];
    for_each_run(
        &layout.shape,
        strides,
        [layout.offset, 0],
        |[s, o], len, steps| match steps {
            [1, 0] => out[o] = fold_run(out[o], &src[s..s + len]),
            [ss, 0] => out[o] = (0..len).fold(out[o], |acc, k| step(acc, src[s + k * ss])),
            [1, 1] => out[o..o + len]
                .iter_mut()
                .zip(&src[s..s + len])
                .for_each(|(acc, &x)| *acc = step(*acc, x)),
            [ss, os] => {
                (0..len).for_each(|k| out[o + k * os] = step(out[o + k * os], src[s + k * ss]))
            }
        },
    );
    Ok(out)
}

/// A C-order view reduced over its leading or its trailing axes (a bias gradient, a sum over
/// each row), seen as a `rows` x `cols` matrix. Axes of length 1 are neither.
#[derive(Clone, Copy)]
struct Matrix {
    rows: usize,
    cols: usize,
    /// Reducing the rows into one row (leading axes), or each row into one element.
    down: bool,
}

impl Matrix {
    fn of(layout: &Layout, axes: &[usize]) -> Option<Matrix> {
        if !layout.is_contiguous() || layout.numel() == 0 {
            return None;
        }
        let long: SmallVec<[(usize, bool); 6]> = (layout.shape.iter().enumerate())
            .filter(|&(_, &len)| len != 1)
            .map(|(axis, &len)| (len, axes.contains(&axis)))
            .collect();
        let split = long.iter().position(|&(_, reduced)| !reduced);
        let trailing = long.iter().position(|&(_, reduced)| reduced);
        let product = |part: &[(usize, bool)]| part.iter().map(|&(len, _)| len).product();
        // Trailing first: all axes reduced is one row folded whole, as a run would be.
        match trailing {
            None => None,
            Some(k) if long[k..].iter().all(|&(_, reduced)| reduced) => Some(Matrix {
                rows: product(&long[..k]),
                cols: product(&long[k..]),
                down: false,
            }),
            _ => {
                let k = split?;
                long[k..]
                    .iter()
                    .all(|&(_, reduced)| !reduced)
                    .then(|| Matrix {
                        rows: product(&long[..k]),
                        cols: product(&long[k..]),
                        down: true,
                    })
            }
        }
    }
}

/// [`reduce`] of a [`Matrix`]: the same folds in the same order as the walk over runs, without
/// the walk, which costs more than the fold for short rows.
fn reduce_matrix<T: Copy, A: Copy + 'static>(
    src: &[T],
    Matrix { rows, cols, down }: Matrix,
    init: A,
    step: impl Fn(A, T) -> A,
    fold_run: impl Fn(A, &[T]) -> A,
) -> Result<Vec<A>> {
    let src = &src[..rows * cols];
    if !down {
        let mut out = alloc::with_capacity(rows)?;
        out.extend(src.chunks_exact(cols).map(|row| fold_run(init, row)));
        return Ok(out);
    }
    let mut out = alloc::filled(cols, init)?;
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || {
            for row in src.chunks_exact(cols) {
                for (acc, &x) in out.iter_mut().zip(row) {
                    *acc = step(*acc, x);
                }
            }
        },
    );
    Ok(out)
}

/// Sum of a contiguous run, added to `acc`. Pairwise, like numpy: halves are summed separately
/// down to blocks of 128, which are summed in eight interleaved lanes (which vectorise). The
/// rounding error grows with log(n) rather than n, and the recursion is at most ~log2(n) deep.
pub(super) fn sum_run<T: Arith>(acc: T, xs: &[T]) -> T {
    fn pairwise<T: Arith>(xs: &[T]) -> T {
        if xs.len() < 8 {
            // What the lanes below give for fewer than eight: their zero sum, then each element.
            return xs.iter().fold(T::ZERO, |a, &x| a.add(x));
        }
        if xs.len() > 128 {
            let mid = xs.len() / 2 / 8 * 8;
            return pairwise(&xs[..mid]).add(pairwise(&xs[mid..]));
        }
        let mut lanes = [T::ZERO; 8];
        let chunks = xs.chunks_exact(8);
        let rest = chunks.remainder();
        for chunk in chunks {
            for (lane, &x) in lanes.iter_mut().zip(chunk) {
                *lane = lane.add(x);
            }
        }
        let paired = [0, 2, 4, 6].map(|i| lanes[i].add(lanes[i + 1]));
        let total = paired[0].add(paired[1]).add(paired[2].add(paired[3]));
        rest.iter().fold(total, |a, &x| a.add(x))
    }
    acc.add(pairwise(xs))
}

/// Rows shorter than this (a few classes) are too short to fill a vector one at a time: softmax
/// takes them in passes over the whole block instead, each vectorised across rows.
const SHORT_ROW: usize = 16;

/// Softmax, or with `log` log-softmax, of each run of `len` elements of `x` (C-order rows).
/// Short rows give the same results as long ones: the same operations in the same order.
pub(super) fn softmax_rows<T>(x: &[T], len: usize, log: bool) -> Result<Vec<T>>
where
    T: Transcendental + Ordered + Arith,
{
    if len < SHORT_ROW {
        return softmax_short_rows(x, len, log);
    }
    simd::rows(x, len, T::ZERO, move |row, out| softmax_row(row, out, log))
}

/// Softmax, or with `log` log-softmax, of one row into `out`.
#[inline(always)]
fn softmax_row<T>(row: &[T], out: &mut [T], log: bool)
where
    T: Transcendental + Ordered + Arith,
{
    let max = row.iter().fold(T::LOWEST, |m, &v| m.max_nan(v));
    for (o, &v) in out.iter_mut().zip(row) {
        *o = (v - max).exp_();
    }
    let sum = sum_run(T::ZERO, out);
    if log {
        let log_sum = sum.ln_();
        for (o, &v) in out.iter_mut().zip(row) {
            *o = (v - max) - log_sum;
        }
    } else {
        out.iter_mut().for_each(|o| *o = *o / sum);
    }
}

/// [`softmax_rows`] for rows shorter than [`SHORT_ROW`]: the shift by each row's maximum, the
/// exponentials, the logarithms of the sums each in one pass over the block.
fn softmax_short_rows<T>(x: &[T], len: usize, log: bool) -> Result<Vec<T>>
where
    T: Transcendental + Ordered + Arith,
{
    let mut shifted = simd::rows(x, len, T::ZERO, |row, out| {
        let max = row.iter().fold(T::LOWEST, |m, &v| m.max_nan(v));
        for (o, &v) in out.iter_mut().zip(row) {
            *o = v - max;
        }
    })?;
    let mut exps = simd::map(&shifted, T::exp_)?;
    if !log {
        for row in exps.chunks_exact_mut(len) {
            let sum = sum_run(T::ZERO, row);
            row.iter_mut().for_each(|o| *o = *o / sum);
        }
        return Ok(exps);
    }
    let mut sums = alloc::with_capacity(x.len() / len)?;
    sums.extend(exps.chunks_exact(len).map(|row| sum_run(T::ZERO, row)));
    let log_sums = simd::map(&sums, T::ln_)?;
    for (row, &log_sum) in shifted.chunks_exact_mut(len).zip(&log_sums) {
        row.iter_mut().for_each(|o| *o = *o - log_sum);
    }
    Ok(shifted)
}

/// Index of the first maximum along `axis` (NaN counts as the maximum), for each kept position.
pub(super) fn argmax<T: Ordered>(src: &[T], layout: &Layout, axis: usize) -> Result<Vec<i64>> {
    let (len, step) = (layout.shape[axis], layout.strides[axis]);
    let mut kept = layout.clone();
    kept.shape[axis] = 1;
    let mut out = alloc::with_capacity(kept.numel())?;
    for_each_run(
        &kept.shape,
        [&kept.strides],
        [kept.offset],
        |[s], n, [st]| {
            out.extend((0..n).map(|r| {
                let base = s + r * st;
                let (mut best, mut best_index) = (src[base], 0);
                for i in 1..len {
                    let x = src[base + i * step];
                    if !best.is_nan() && (x > best || x.is_nan()) {
                        (best, best_index) = (x, i);
                    }
                }
                best_index as i64
            }));
        },
    );
    Ok(out)
}

/// The largest position a view reads, or `None` for an empty view.
fn last_position(layout: &Layout) -> Option<usize> {
    layout
        .shape
        .iter()
        .zip(&layout.strides)
        .try_fold(layout.offset, |last, (&len, &stride)| {
            Some(last + len.checked_sub(1)? * stride)
        })
}

/// Products with fewer multiply-adds than this are not split: a split costs a packing of the
/// shared operand per part. (A batch of them is still shared out whole products at a time: with
/// the helpers watching, posting costs less than one small product, and tiny_gpt's attention ran
/// 2% faster so than with its batches kept on the calling thread, same sitting.)
const GEMM_THREADED_FROM: usize = 1 << 22;

/// Batched matrix product of `[b, m, k]` and `[b, k, n]` views through the `gemm` crate: its
/// kernels are chosen at run time for the CPU's widest SIMD (AVX-512, AVX2+FMA, NEON, or
/// scalar), and it reads transposed and strided operands in place. A large product is split
/// across the threads into blocks of rows or of columns (whichever repeats the smaller operand's
/// packing), never along `k`: gemm's blocking of `k` depends on `k` alone, so every output is
/// the same sum in the same order on every thread count.
pub(super) fn matmul<T: Scalar>(a: &[T], la: &Layout, b: &[T], lb: &Layout) -> Result<Vec<T>> {
    let (batch, m, k, n) = (la.shape[0], la.shape[1], la.shape[2], lb.shape[2]);
    let len = checked_numel("matmul", &[batch, m, n])?;
    if len == 0 || k == 0 {
        return alloc::filled(len, T::from_f64(0.0));
    }
    let mut out = alloc::with_capacity(len)?;
    let inside = |v: &[T], l: &Layout| last_position(l).is_some_and(|last| last < v.len());
    if !inside(a, la) || !inside(b, lb) {
        return Err(Error::Internal("matmul operand outside its buffer".into()));
    }
    let signed = |s: usize| isize::try_from(s).map_err(|e| Error::Internal(e.to_string()));
    let (a_rows, a_cols, b_rows, b_cols) = (
        signed(la.strides[1])?,
        signed(la.strides[2])?,
        signed(lb.strides[1])?,
        signed(lb.strides[2])?,
    );
    let team = Team::shared();
    let parts = if m.saturating_mul(n).saturating_mul(k) >= GEMM_THREADED_FROM {
        team.threads()
    } else {
        1
    };
    // Blocks of columns when A (m x k) is the smaller operand to pack in every part, of rows
    // otherwise; whole multiples of 16 (the kernels' register blocks) but for the last.
    let by_columns = m <= n;
    let split = if by_columns { n } else { m };
    let block = split.div_ceil(parts).next_multiple_of(16);
    let blocks = split.div_ceil(block);
    // SAFETY: part (i, j) writes the outputs of batch i in block j's rows or columns alone,
    // inside `out`'s `len` slots, which outlive the run.
    let c = unsafe { Disjoint::new(out.spare_capacity_mut().as_mut_ptr().cast::<T>()) };
    let (one, zero) = (T::from_f64(1.0), T::from_f64(0.0));
    team.run(batch * blocks, &|part| {
        let (i, j) = (part / blocks, part % blocks);
        let start = j * block;
        let size = block.min(split - start);
        let (rows, columns) = if by_columns { (m, size) } else { (size, n) };
        let (a_at, b_at, c_at) = if by_columns {
            (0, start * lb.strides[2], start)
        } else {
            (start * la.strides[1], 0, start * n)
        };
        let a_start = la.offset + i * la.strides[0] + a_at;
        let b_start = lb.offset + i * lb.strides[0] + b_at;
        // SAFETY: every position the two views read, up to `last_position`, lies inside `a`
        // and `b` (checked above), and this block's rows or columns are among them; the block
        // of C starts at `c_at` of batch i's `m * n` outputs and has row stride `n`: each of
        // its outputs is written (k > 0), never read (`read_dst` false), by this part alone.
        unsafe {
            gemm::gemm(
                rows,
                columns,
                k,
                c.ptr().add(i * m * n + c_at),
                1,
                n as isize,
                false,
                a.as_ptr().add(a_start),
                a_cols,
                a_rows,
                b.as_ptr().add(b_start),
                b_cols,
                b_rows,
                zero,
                one,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    });
    // SAFETY: the parts above wrote all `len` elements.
    unsafe { out.set_len(len) };
    Ok(out)
}

/// Converts a view elementwise from `S` to `D`, like a C cast (integers never pass through f64).
pub(super) fn cast<S: Scalar, D: Scalar>(v: &[S], layout: &Layout) -> Result<Vec<D>> {
    if S::DTYPE.is_integral() && D::DTYPE.is_integral() {
        map1(v, layout, |x| D::from_i64(x.to_i64()))
    } else {
        map1(v, layout, |x| D::from_f64(x.to_f64()))
    }
}

/// Concatenates views along `axis` into a C-order buffer of `out_shape`.
pub(super) fn cat<T: Scalar>(
    parts: &[(&[T], &Layout)],
    axis: usize,
    out_shape: &[usize],
) -> Result<Vec<T>> {
    let whole = Layout::contiguous(out_shape);
    let mut out = alloc::filled(whole.numel(), T::from_f64(0.0))?;
    let mut start = 0;
    for &(src, layout) in parts {
        let len = layout.shape[axis];
        copy_into(&mut out, &whole.narrow(axis, start, len), src, layout);
        start += len;
    }
    Ok(out)
}

/// `torch.gather` along `axis`: the result has the index view's shape, and position `c` reads
/// the view at `c` with its `axis` coordinate replaced by `index[c]` (in range, checked by the
/// caller). A walk over runs, as every kernel's: a run whose index is one value (index_select's
/// broadcast index) is a row, copied as one slice.
pub(super) fn gather<T: Copy + 'static, I: Scalar>(
    src: &[T],
    layout: &Layout,
    axis: usize,
    (index, il): (&[I], &Layout),
) -> Result<Vec<T>> {
    let mut out = alloc::with_capacity(il.numel())?;
    // The source position of each element but for its `axis` coordinate, added per element.
    let mut strides = layout.strides.clone();
    let along = std::mem::replace(&mut strides[axis], 0);
    let position = |i: usize| index[i].to_i64() as usize * along;
    let walk = [strides.as_slice(), il.strides.as_slice()];
    for_each_run(
        &il.shape,
        walk,
        [layout.offset, il.offset],
        |[s, i], len, steps| match steps {
            [1, 0] => {
                let start = s + position(i);
                out.extend_from_slice(&src[start..start + len]);
            }
            [step, index_step] => {
                out.extend((0..len).map(|k| src[s + k * step + position(i + k * index_step)]))
            }
        },
    );
    Ok(out)
}

/// `torch.scatter_add` along `axis`: a C-order copy of the view `base`, with `src[c]` added at
/// `c` with its `axis` coordinate replaced by `index[c]`, for `c` over the index view's shape,
/// in C order (deterministic).
pub(super) fn scatter_add<T: Arith, I: Scalar>(
    (values, layout): (&[T], &Layout),
    axis: usize,
    (index, il): (&[I], &Layout),
    (src, sl): (&[T], &Layout),
) -> Result<Vec<T>> {
    let mut out = copy(values, layout)?;
    let mut out_strides = contiguous_strides(&layout.shape);
    let along = std::mem::replace(&mut out_strides[axis], 0);
    let walk = [
        out_strides.as_slice(),
        il.strides.as_slice(),
        sl.strides.as_slice(),
    ];
    for_each_run(
        &il.shape,
        walk,
        [0, il.offset, sl.offset],
        |[o, i, s], len, [os, is, ss]| {
            for k in 0..len {
                let to = o + k * os + index[i + k * is].to_i64() as usize * along;
                out[to] = out[to].add(src[s + k * ss]);
            }
        },
    );
    Ok(out)
}

/// The permutation that sorts each row along the view's last axis (NaN largest, ties in
/// order: a stable sort), as i64 in C order.
pub(super) fn argsort<T: Ordered>(
    src: &[T],
    layout: &Layout,
    descending: bool,
) -> Result<Vec<i64>> {
    let values = copy(src, layout)?;
    let length = layout.shape.last().copied().unwrap_or(1);
    let mut out: Vec<i64> = alloc::with_capacity(values.len())?;
    let order = |a: &T, b: &T| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        (false, false) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    };
    for row in values.chunks(length.max(1)) {
        let mut indices: Vec<usize> = (0..row.len()).collect();
        if descending {
            indices.sort_by(|&i, &j| order(&row[j], &row[i]));
        } else {
            indices.sort_by(|&i, &j| order(&row[i], &row[j]));
        }
        out.extend(indices.into_iter().map(|i| i as i64));
    }
    Ok(out)
}

/// Running sums along the view's last axis, from the start or in `reverse`, in C order.
pub(super) fn cumsum<T: Arith>(src: &[T], layout: &Layout, reverse: bool) -> Result<Vec<T>> {
    let mut out = copy(src, layout)?;
    let length = layout.shape.last().copied().unwrap_or(1).max(1);
    for row in out.chunks_mut(length) {
        let mut sum = T::ZERO;
        let mut add = |x: &mut T| {
            sum = sum.add(*x);
            *x = sum;
        };
        if reverse {
            row.iter_mut().rev().for_each(&mut add);
        } else {
            row.iter_mut().for_each(&mut add);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_rows_give_what_one_row_at_a_time_gives() {
        for (len, seed) in [(1, 11), (3, 12), (7, 13), (15, 14)] {
            let rows = 37;
            let x: Vec<f32> = crate::random::normal(rows * len, seed)
                .unwrap()
                .iter()
                .map(|&v| (v * 8.0) as f32)
                .collect();
            for log in [false, true] {
                let block = softmax_rows(&x, len, log).unwrap();
                let mut one_by_one = vec![0.0; x.len()];
                for (row, out) in x.chunks_exact(len).zip(one_by_one.chunks_exact_mut(len)) {
                    softmax_row(row, out, log);
                }
                assert_eq!(bits(&block), bits(&one_by_one), "len {len}, log {log}");
            }
        }
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// [`reduce`] as it goes, and by the walk over runs.
    fn both_ways(
        x: &[f32],
        layout: &Layout,
        axes: &[usize],
        init: f32,
        step: impl Fn(f32, f32) -> f32 + Copy,
        fold_run: impl Fn(f32, &[f32]) -> f32 + Copy,
    ) -> (Vec<f32>, Vec<f32>) {
        (
            reduce(x, layout, axes, init, step, fold_run).unwrap(),
            reduce_runs(x, layout, axes, init, step, fold_run).unwrap(),
        )
    }

    #[test]
    fn reductions_over_leading_or_trailing_axes_match_the_walk_over_runs() {
        // (shape, axes, seen as a matrix)
        let cases: [(&[usize], &[usize], bool); 9] = [
            (&[256, 64], &[0], true),
            (&[256, 3], &[1], true),
            (&[256, 3], &[0, 1], true),
            (&[4, 1, 33, 5], &[0, 2], true),
            (&[4, 33, 1, 5], &[1, 3], true),
            (&[7, 1, 9], &[1, 2], true),
            (&[2, 3, 4], &[1], false),
            (&[0, 5], &[0], false),
            (&[5, 0], &[1], false),
        ];
        for (seed, (shape, axes, matrix)) in cases.into_iter().enumerate() {
            let layout = Layout::contiguous(shape);
            assert_eq!(
                Matrix::of(&layout, axes).is_some(),
                matrix,
                "{shape:?} over {axes:?}"
            );
            let x: Vec<f32> = crate::random::normal(layout.numel(), seed as u64)
                .unwrap()
                .iter()
                .map(|&v| v as f32)
                .collect();
            let (fast, walk) = both_ways(&x, &layout, axes, 0.0, |p, q| p + q, sum_run);
            assert_eq!(bits(&fast), bits(&walk), "sum of {shape:?} over {axes:?}");
            let fold_max = |acc: f32, run: &[f32]| run.iter().fold(acc, |m, &v| m.max_nan(v));
            let (fast, walk) = both_ways(&x, &layout, axes, f32::LOWEST, f32::max_nan, fold_max);
            assert_eq!(bits(&fast), bits(&walk), "max of {shape:?} over {axes:?}");
        }
    }
}
