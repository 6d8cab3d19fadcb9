//! Whether ops are being recorded: a per-thread switch, turned off by [`no_grad`] and set by the
//! reverse pass (on while it records a `create_graph` backward, off otherwise).

use std::cell::Cell;
use std::marker::PhantomData;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops on this thread are being recorded (false inside [`no_grad`]).
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Sets recording on this thread while alive, and restores the previous state when dropped, so
/// guards nest (PyTorch's `torch.set_grad_enabled`).
pub(crate) struct GradModeGuard {
    previous: bool,
    // The setting is per thread: the guard must be dropped on the thread that made it.
    _not_send: PhantomData<*const ()>,
}

impl GradModeGuard {
    pub(crate) fn new(enabled: bool) -> GradModeGuard {
        GradModeGuard {
            previous: GRAD_ENABLED.with(|current| current.replace(enabled)),
            _not_send: PhantomData,
        }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|current| current.set(self.previous));
    }
}

/// While alive, ops on this thread record nothing, like PyTorch's `torch.no_grad()`. Restores the
/// previous state when dropped, so guards nest.
#[must_use = "gradients are disabled only while the guard is alive"]
pub struct NoGradGuard {
    /// Held for its `Drop`, which restores the previous state.
    _restore: GradModeGuard,
}

impl NoGradGuard {
    /// Disables gradient recording on this thread until the guard is dropped.
    pub fn new() -> NoGradGuard {
        NoGradGuard {
            _restore: GradModeGuard::new(false),
        }
    }
}

impl Default for NoGradGuard {
    fn default() -> Self {
        NoGradGuard::new()
    }
}

/// Runs `f` without recording gradients (for evaluation and parameter updates).
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}
