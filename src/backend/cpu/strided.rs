//! Walking strided views in C order, one innermost run at a time.
//!
//! Every CPU kernel is a loop over runs: the walker merges dimensions that are contiguous for all
//! operands, so a C-order tensor is one long run and a broadcast row is a run with stride 0. The
//! kernels then specialise the inner loop on the run's strides, which lets the compiler vectorise
//! the common cases.

use smallvec::SmallVec;

use super::{alloc, simd};
use crate::error::Result;
use crate::shape::{Dims, Layout};

/// Calls `f(starts, len, strides)` for each innermost run of `shape`, in C order. `starts[k]` is
/// operand `k`'s storage position of the run's first element, `strides[k]` its step within the run.
pub(crate) fn for_each_run<const N: usize>(
    shape: &[usize],
    strides: [&[usize]; N],
    offsets: [usize; N],
    mut f: impl FnMut([usize; N], usize, [usize; N]),
) {
    if shape.contains(&0) {
        return;
    }
    // (size, per-operand stride), outermost first, with size-1 axes dropped and mergeable ones merged.
    let mut dims: SmallVec<[(usize, [usize; N]); 6]> = SmallVec::new();
    for (axis, &size) in shape.iter().enumerate() {
        if size == 1 {
            continue;
        }
        let step: [usize; N] = std::array::from_fn(|k| strides[k][axis]);
        match dims.last_mut() {
            Some((outer_size, outer_step)) if (0..N).all(|k| outer_step[k] == step[k] * size) => {
                *outer_size *= size;
                *outer_step = step;
            }
            _ => dims.push((size, step)),
        }
    }
    let Some((&(len, inner), outer)) = dims.split_last() else {
        f(offsets, 1, [0; N]);
        return;
    };
    let mut index: Dims = SmallVec::from_elem(0, outer.len());
    let mut pos = offsets;
    loop {
        f(pos, len, inner);
        let mut axis = outer.len();
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            let (size, step) = outer[axis];
            index[axis] += 1;
            if index[axis] < size {
                (0..N).for_each(|k| pos[k] += step[k]);
                break;
            }
            index[axis] = 0;
            (0..N).for_each(|k| pos[k] -= step[k] * (size - 1));
        }
    }
}

/// The elements of a C-order view, as one slice.
fn contiguous<'a, T>(src: &'a [T], layout: &Layout) -> Option<&'a [T]> {
    let numel = layout.numel();
    layout
        .is_contiguous()
        .then(|| src.get(layout.offset..layout.offset + numel))
        .flatten()
}

/// The view's elements mapped through `f`, in C order.
pub(crate) fn map1<T: Copy + Sync, U: Send + 'static>(
    src: &[T],
    layout: &Layout,
    f: impl Fn(T) -> U + Copy + Sync,
) -> Result<Vec<U>> {
    if let Some(src) = contiguous(src, layout) {
        return simd::map(src, f);
    }
    let mut out = alloc::with_capacity(layout.numel())?;
    for_each_run(
        &layout.shape,
        [&layout.strides],
        [layout.offset],
        |[s], len, [step]| {
            if step == 1 {
                out.extend(src[s..s + len].iter().map(|&x| f(x)));
            } else {
                out.extend((0..len).map(|i| f(src[s + i * step])));
            }
        },
    );
    Ok(out)
}

/// The view's elements in C order: one memcpy when the view is contiguous (faster than a map
/// split across threads, which would fault in fresh pages from two cores at once).
pub(crate) fn copy<T: Copy + Sync + Send + 'static>(src: &[T], layout: &Layout) -> Result<Vec<T>> {
    match contiguous(src, layout) {
        Some(values) => {
            let mut out = alloc::with_capacity(values.len())?;
            out.extend_from_slice(values);
            Ok(out)
        }
        None => map1(src, layout, |x| x),
    }
}

/// Two views of one shape combined elementwise through `f`, in C order.
pub(crate) fn map2<A: Copy + Sync, B: Copy + Sync, U: Send + 'static>(
    a: &[A],
    la: &Layout,
    b: &[B],
    lb: &Layout,
    f: impl Fn(A, B) -> U + Copy + Sync,
) -> Result<Vec<U>> {
    if let (Some(a), Some(b)) = (contiguous(a, la), contiguous(b, lb)) {
        return simd::map2(a, b, f);
    }
    let numel = la.numel();
    let mut out = alloc::with_capacity(numel)?;
    let slots = &mut out.spare_capacity_mut()[..numel];
    let arch = pulp::Arch::new();
    let mut written = 0;
    let strides = [la.strides.as_slice(), lb.strides.as_slice()];
    for_each_run(
        &la.shape,
        strides,
        [la.offset, lb.offset],
        |[i, j], len, steps| {
            let out = &mut slots[written..written + len];
            match steps {
                [1, 1] => simd::fill_run(arch, out, &a[i..i + len], &b[j..j + len], f),
                [1, 0] => {
                    let y = b[j];
                    let a = &a[i..i + len];
                    simd::fill_run(arch, out, a, a, move |x, _| f(x, y));
                }
                [0, 1] => {
                    let x = a[i];
                    let b = &b[j..j + len];
                    simd::fill_run(arch, out, b, b, move |y, _| f(x, y));
                }
                [sa, sb] => {
                    for (k, o) in out.iter_mut().enumerate() {
                        o.write(f(a[i + k * sa], b[j + k * sb]));
                    }
                }
            }
            written += len;
        },
    );
    // SAFETY: the runs wrote the first `written` slots, one after another.
    unsafe { out.set_len(written) };
    Ok(out)
}

/// Three views of one shape combined elementwise through `f`, in C order.
pub(crate) fn map3<A: Copy, B: Copy, C: Copy, U: 'static>(
    (a, la): (&[A], &Layout),
    (b, lb): (&[B], &Layout),
    (c, lc): (&[C], &Layout),
    f: impl Fn(A, B, C) -> U,
) -> Result<Vec<U>> {
    let mut out = alloc::with_capacity(la.numel())?;
    let strides = [
        la.strides.as_slice(),
        lb.strides.as_slice(),
        lc.strides.as_slice(),
    ];
    let offsets = [la.offset, lb.offset, lc.offset];
    for_each_run(
        &la.shape,
        strides,
        offsets,
        |[i, j, k], len, [sa, sb, sc]| {
            out.extend((0..len).map(|n| f(a[i + n * sa], b[j + n * sb], c[k + n * sc])));
        },
    );
    Ok(out)
}

/// Copies the view `src` into the view `dst` of a mutable buffer; both have one shape.
pub(crate) fn copy_into<T: Copy>(dst: &mut [T], ld: &Layout, src: &[T], ls: &Layout) {
    let strides = [ld.strides.as_slice(), ls.strides.as_slice()];
    for_each_run(
        &ld.shape,
        strides,
        [ld.offset, ls.offset],
        |[d, s], len, steps| match steps {
            [1, 1] => dst[d..d + len].copy_from_slice(&src[s..s + len]),
            [sd, ss] => (0..len).for_each(|k| dst[d + k * sd] = src[s + k * ss]),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_views_in_logical_order() {
        // A [2, 3] C-order matrix viewed transposed as [3, 2].
        let data: Vec<i32> = (0..6).collect();
        let t = Layout::contiguous(&[2, 3]).permute(&[1, 0]);
        assert_eq!(map1(&data, &t, |x| x).unwrap(), vec![0, 3, 1, 4, 2, 5]);
        // Contiguous dims merge into one run.
        let mut runs = 0;
        for_each_run(&[4, 5, 6], [&[30, 6, 1]], [0], |_, len, _| {
            runs += 1;
            assert_eq!(len, 120);
        });
        assert_eq!(runs, 1);
        // A broadcast row added to a matrix.
        let row = Layout::contiguous(&[3]).broadcast_to(&[2, 3]);
        let sum = map2(
            &data,
            &Layout::contiguous(&[2, 3]),
            &[10, 20, 30],
            &row,
            |a, b| a + b,
        );
        assert_eq!(sum.unwrap(), vec![10, 21, 32, 13, 24, 35]);
    }
}
