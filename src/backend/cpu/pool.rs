//! Freed tensor buffers kept for reuse, as the GPU's buffer pool does for its buffers.
//!
//! A training loop allocates buffers of the same few sizes every step. Handed back to the
//! system allocator, mid-sized ones are returned to the kernel and faulted in again page by page
//! the next step (glibc trims and unmaps what it frees above its thresholds): the spiral
//! example spent 9% of its time in page faults. Kept here, a buffer of the same element type and
//! capacity is reused as it is. The pool belongs to the thread (no lock), holds buffers from
//! 64 KiB to 64 MiB, and at most 512 MiB in all; anything else goes back to the allocator.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;

const SMALLEST: usize = 64 << 10;
const LARGEST: usize = 64 << 20;
const BUDGET: usize = 512 << 20;

#[derive(Default)]
struct Pool {
    /// Empty `Vec<T>`s by element type and capacity.
    free: HashMap<(TypeId, usize), Vec<Box<dyn Any>>>,
    bytes: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::default();
}

fn pooled<T>(capacity: usize) -> Option<usize> {
    let bytes = capacity.checked_mul(std::mem::size_of::<T>())?;
    (SMALLEST..=LARGEST).contains(&bytes).then_some(bytes)
}

/// An empty buffer with room for exactly `n` elements, if one was given back.
pub(crate) fn take<T: 'static>(n: usize) -> Option<Vec<T>> {
    let bytes = pooled::<T>(n)?;
    POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        let buffer = pool.free.get_mut(&(TypeId::of::<T>(), n))?.pop()?;
        pool.bytes -= bytes;
        buffer.downcast::<Vec<T>>().ok().map(|b| *b)
    })
    .ok()
    .flatten()
}

/// Keeps `buffer`'s memory for a later [`take`] of its capacity, or frees it.
pub(crate) fn give<T: 'static>(mut buffer: Vec<T>) {
    let Some(bytes) = pooled::<T>(buffer.capacity()) else {
        return;
    };
    buffer.clear();
    // After the thread's pool is gone (at thread exit), the buffer is simply freed.
    let _ = POOL.try_with(move |pool| {
        let mut pool = pool.borrow_mut();
        if pool.bytes + bytes <= BUDGET {
            pool.bytes += bytes;
            let key = (TypeId::of::<T>(), buffer.capacity());
            pool.free.entry(key).or_default().push(Box::new(buffer));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_by_type_and_capacity_within_the_limits() {
        let buffer: Vec<f32> = Vec::with_capacity(100_000);
        let address = buffer.as_ptr();
        give(buffer);
        assert!(take::<f32>(99_999).is_none() && take::<i32>(100_000).is_none());
        let again = take::<f32>(100_000).expect("the buffer given back");
        assert_eq!((again.as_ptr(), again.len()), (address, 0));
        assert!(take::<f32>(100_000).is_none(), "taken once");
        give(Vec::<f32>::with_capacity(10));
        assert!(
            take::<f32>(10).is_none(),
            "small buffers are the allocator's"
        );
    }
}
