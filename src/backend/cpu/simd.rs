//! Elementwise maps over contiguous slices with the CPU's widest SIMD instructions, chosen at run
//! time (`pulp` compiles the loop once per instruction set: AVX-512, AVX2+FMA, NEON, baseline),
//! and on every core once a slice is large enough to pay for the split. Each output element
//! depends on its inputs alone, so results are the same on every thread count.

use std::mem::MaybeUninit;

use super::alloc;
use super::threads::for_each_chunk;
use crate::error::Result;

/// Below this many elements a map stays on the calling thread: handing work to the pool costs
/// microseconds, about what the map itself costs at this size.
const PARALLEL_FROM: usize = 1 << 17;
/// Elements per task when a map is split.
const CHUNK: usize = 1 << 15;

#[inline(always)]
fn fill<A: Copy, B: Copy, U>(out: &mut [MaybeUninit<U>], a: &[A], b: &[B], f: impl Fn(A, B) -> U) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        o.write(f(x, y));
    }
}

/// `f(a[i], b[i])` into `out[i]` for every `i` (the three have one length), with the widest
/// SIMD instructions `arch` has: one run of a strided walk.
pub(super) fn fill_run<A: Copy, B: Copy, U>(
    arch: pulp::Arch,
    out: &mut [MaybeUninit<U>],
    a: &[A],
    b: &[B],
    f: impl Fn(A, B) -> U,
) {
    arch.dispatch(
        #[inline(always)]
        || fill(out, a, b, f),
    );
}

/// `f(a[i], b[i])` for every `i`, into a new buffer; `a` and `b` have one length.
pub(super) fn map2<A, B, U>(a: &[A], b: &[B], f: impl Fn(A, B) -> U + Copy + Sync) -> Result<Vec<U>>
where
    A: Copy + Sync,
    B: Copy + Sync,
    U: Send + 'static,
{
    let len = a.len().min(b.len());
    let mut out = alloc::with_capacity(len)?;
    let arch = pulp::Arch::new();
    let slots = &mut out.spare_capacity_mut()[..len];
    if len < PARALLEL_FROM {
        arch.dispatch(
            #[inline(always)]
            || fill(slots, a, b, f),
        );
    } else {
        for_each_chunk(slots, CHUNK, |i, o| {
            let start = i * CHUNK;
            let (a, b) = (&a[start..start + o.len()], &b[start..start + o.len()]);
            arch.dispatch(
                #[inline(always)]
                || fill(o, a, b, f),
            )
        });
    }
    // SAFETY: `fill` wrote each of the first `len` slots (the chunks cover them all).
    unsafe { out.set_len(len) };
    Ok(out)
}

/// `f(x)` for every element of `src`, into a new buffer.
pub(super) fn map<T, U>(src: &[T], f: impl Fn(T) -> U + Copy + Sync) -> Result<Vec<U>>
where
    T: Copy + Sync,
    U: Send + 'static,
{
    map2(src, src, move |x, _| f(x))
}

/// `f(row, out)` for each run of `len` elements of `src` (C-order rows, `len` > 0) and the same
/// run of a new buffer (initially `zero`): whole rows per task, so each row's result is the same
/// on every thread count.
pub(super) fn rows<T, U>(
    src: &[T],
    len: usize,
    zero: U,
    f: impl Fn(&[T], &mut [U]) + Copy + Sync,
) -> Result<Vec<U>>
where
    T: Copy + Sync,
    U: Copy + Send + Sync + 'static,
{
    let mut out = alloc::filled(src.len(), zero)?;
    let arch = pulp::Arch::new();
    let run = |src: &[T], out: &mut [U]| {
        arch.dispatch(
            #[inline(always)]
            || {
                for (row, out) in src.chunks_exact(len).zip(out.chunks_exact_mut(len)) {
                    f(row, out);
                }
            },
        )
    };
    if src.len() < PARALLEL_FROM {
        run(src, &mut out);
    } else {
        let task = CHUNK.div_ceil(len) * len;
        for_each_chunk(&mut out, task, |i, out| {
            let start = i * task;
            run(&src[start..start + out.len()], out)
        });
    }
    Ok(out)
}
