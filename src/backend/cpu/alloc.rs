//! Allocating large host buffers the way numpy does.
//!
//! A fresh 64 MiB buffer costs more to touch the first time (16,384 page faults of 4 KiB) than to
//! fill. On Linux with transparent huge pages in `madvise` mode, numpy marks large allocations
//! with `MADV_HUGEPAGE`, and so do we: the kernel then backs them with 2 MiB pages.

/// Buffers from this size on are worth huge pages (numpy's threshold too).
const HUGE_PAGE_THRESHOLD: usize = 4 << 20;

/// An empty `Vec` with room for `n` elements, its untouched memory marked for huge pages.
pub(crate) fn with_capacity<T>(n: usize) -> Vec<T> {
    let v = Vec::with_capacity(n);
    advise_huge_pages(&v);
    v
}

/// `n` zeroed elements in fresh memory (not yet touched: the kernel provides zero pages),
/// marked for huge pages.
pub(crate) fn zeroed<T: bytemuck::Zeroable>(n: usize) -> Vec<T> {
    let v = bytemuck::zeroed_vec(n);
    advise_huge_pages(&v);
    v
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
