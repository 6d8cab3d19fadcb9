//! Allocating host buffers: fallibly (a size no allocator can serve is an error, never an
//! abort), and large ones the way numpy does.
//!
//! A fresh 64 MiB buffer costs more to touch the first time (16,384 page faults of 4 KiB) than to
//! fill. On Linux with transparent huge pages in `madvise` mode, numpy marks large allocations
//! with `MADV_HUGEPAGE`, and so do we: the kernel then backs them with 2 MiB pages.

use crate::device_kind::DeviceKind;
use crate::error::{Error, Result};

/// Buffers from this size on are worth huge pages (numpy's threshold too).
const HUGE_PAGE_THRESHOLD: usize = 4 << 20;

/// The error for `n` elements of `T` that could not be allocated.
fn out_of_memory<T>(n: usize) -> Error {
    Error::OutOfMemory {
        bytes: n.checked_mul(std::mem::size_of::<T>()),
        device: DeviceKind::Cpu,
    }
}

/// An empty `Vec` with room for `n` elements: a buffer given back to the pool when one fits,
/// else fresh memory, marked for huge pages when large.
pub(crate) fn with_capacity<T: 'static>(n: usize) -> Result<Vec<T>> {
    if let Some(v) = super::pool::take(n) {
        return Ok(v);
    }
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| out_of_memory::<T>(n))?;
    advise_huge_pages(&v);
    Ok(v)
}

/// `n` copies of `value`.
pub(crate) fn filled<T: Clone + 'static>(n: usize, value: T) -> Result<Vec<T>> {
    let mut v = with_capacity(n)?;
    v.resize(n, value);
    Ok(v)
}

/// `n` zeroed elements: a buffer given back to the pool, cleared, when one fits (on a virtual
/// machine, faulting in fresh pages can cost ten times a memset); else fresh memory, which the
/// kernel provides already zeroed, marked for huge pages.
pub(crate) fn zeroed<T: bytemuck::Zeroable + Copy + 'static>(n: usize) -> Result<Vec<T>> {
    if let Some(mut v) = super::pool::take(n) {
        v.resize(n, T::zeroed());
        return Ok(v);
    }
    let v = bytemuck::allocation::try_zeroed_vec(n).map_err(|()| out_of_memory::<T>(n))?;
    advise_huge_pages(&v);
    Ok(v)
}

#[cfg(target_os = "linux")]
fn advise_huge_pages<T>(v: &Vec<T>) {
    const PAGE: usize = 4096;
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes < HUGE_PAGE_THRESHOLD {
        return;
    }
    let start = (v.as_ptr() as usize).next_multiple_of(PAGE);
    let end = (v.as_ptr() as usize + bytes) / PAGE * PAGE;
    // SAFETY: the range lies inside this Vec's own allocation, and MADV_HUGEPAGE is only a hint:
    // it never changes the contents or the validity of the memory. A failure is harmless.
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages<T>(_: &Vec<T>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zeroed_buffer_taken_from_the_pool_is_cleared() {
        let mut used: Vec<f32> = with_capacity(100_000).unwrap();
        used.resize(100_000, 2.5);
        let address = used.as_ptr();
        super::super::pool::give(used);
        let again: Vec<f32> = zeroed(100_000).unwrap();
        assert_eq!(again.as_ptr(), address, "the pooled buffer is reused");
        assert_eq!(again.len(), 100_000);
        assert!(again.iter().all(|&x| x == 0.0));
    }
}
