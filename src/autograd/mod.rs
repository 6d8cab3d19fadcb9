//! Tape-based reverse-mode autodiff.
//!
//! Every recorded op gets a [`GradFn`] with a sequence number from one global counter, so inputs
//! always have smaller numbers than the ops that read them: sorting the reachable ops by number,
//! newest first, replays the tape backwards. Edges point at the inputs' own `GradFn`s (or at a
//! leaf's gradient slot), never at their data, and each op's saved tensors live in its backward
//! closure, which the first backward frees unless asked to retain the graph.

mod backward;
mod gradcheck;

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

pub(crate) use backward::run_backward;
pub use gradcheck::{GradcheckOptions, GradcheckReport, gradcheck};

/// An op's gradient rule: given the gradient of its output and which inputs need one, the
/// gradients of its inputs (`None` where not needed), each of its input's shape and dtype.
pub(crate) type BackwardFn =
    Box<dyn Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + Send + Sync>;

/// A leaf's gradient slot, shared by every clone of the leaf and by the edges that feed it.
pub(crate) type GradSlot = Arc<Mutex<Option<Tensor>>>;

/// How a tensor takes part in autograd.
#[derive(Clone)]
pub(crate) enum GradMeta {
    /// Not tracked: a constant, a detached tensor, or a result computed without gradients.
    None,
    /// A leaf with `requires_grad`: gradients accumulate into its slot.
    Leaf(GradSlot),
    /// The result of a recorded op.
    Op(Arc<GradFn>),
}

/// Where an input's gradient goes.
pub(crate) enum EdgeTarget {
    Op(Arc<GradFn>),
    Leaf(GradSlot),
}

/// An input of a recorded op that needs a gradient, with the shape and dtype that gradient must have.
pub(crate) struct Edge {
    pub target: EdgeTarget,
    pub shape: Vec<usize>,
    pub dtype: DType,
}

/// One entry of the tape.
pub(crate) struct GradFn {
    pub seq: u64,
    pub name: &'static str,
    /// One per input of the op; `None` for inputs that need no gradient.
    pub edges: Vec<Option<Edge>>,
    /// The gradient rule and the tensors it saved; `None` once freed by a backward.
    pub backward: Mutex<Option<BackwardFn>>,
}

static NEXT_SEQ: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Locks a mutex, recovering the data if another thread panicked while holding it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether ops on this thread are being recorded (false inside [`no_grad`]).
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// While alive, ops on this thread record nothing, like PyTorch's `torch.no_grad()`. Restores the
/// previous state when dropped, so guards nest.
#[must_use = "gradients are disabled only while the guard is alive"]
pub struct NoGradGuard {
    previous: bool,
    // The setting is per thread: the guard must be dropped on the thread that made it.
    _not_send: PhantomData<*const ()>,
}

impl NoGradGuard {
    /// Disables gradient recording on this thread until the guard is dropped.
    pub fn new() -> NoGradGuard {
        NoGradGuard {
            previous: GRAD_ENABLED.with(|enabled| enabled.replace(false)),
            _not_send: PhantomData,
        }
    }
}

impl Default for NoGradGuard {
    fn default() -> Self {
        NoGradGuard::new()
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|enabled| enabled.set(self.previous));
    }
}

/// Runs `f` without recording gradients (for evaluation and parameter updates).
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}

/// Attaches `out` to the graph as the result of op `name` on `inputs`, if recording is on and any
/// input needs a gradient; otherwise returns it untouched. `backward` is the op's gradient rule.
/// It must capture only detached tensors, so that saved state never holds the graph alive.
pub(crate) fn record(
    out: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + Send + Sync + 'static,
) -> Tensor {
    if !is_grad_enabled() || !inputs.iter().any(|t| t.needs_grad()) {
        return out;
    }
    let edges = inputs.iter().map(|t| t.edge()).collect();
    let node = GradFn {
        seq: NEXT_SEQ.fetch_add(1, Ordering::Relaxed),
        name,
        edges,
        backward: Mutex::new(Some(Box::new(backward))),
    };
    #[expect(
        clippy::arc_with_non_send_sync,
        reason = "clippy misreads the recursive GradFn -> Tensor -> GradFn cycle; GradFn is Send + Sync, as asserted below"
    )]
    let node = Arc::new(node);
    out.with_grad_meta(GradMeta::Op(node))
}

// Tensors and their graphs cross threads (data loading, parallel tests): keep them Send + Sync.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GradFn>();
    assert_send_sync::<Tensor>();
};

/// The gradient of one input, computed only when that input needs it.
pub(crate) fn grad_if(needed: bool, f: impl FnOnce() -> Result<Tensor>) -> Result<Option<Tensor>> {
    needed.then(f).transpose()
}

impl Drop for GradFn {
    /// Releases the chain of ops behind this one iteratively: dropping the head of a long chain
    /// must not recurse once per op and overflow the stack.
    fn drop(&mut self) {
        fn take_inputs(edges: &mut Vec<Option<Edge>>, pending: &mut Vec<Arc<GradFn>>) {
            pending.extend(
                edges
                    .drain(..)
                    .flatten()
                    .filter_map(|edge| match edge.target {
                        EdgeTarget::Op(node) => Some(node),
                        EdgeTarget::Leaf(_) => None,
                    }),
            );
        }
        let mut pending = Vec::new();
        take_inputs(&mut self.edges, &mut pending);
        while let Some(node) = pending.pop() {
            // Only the last owner unlinks; a node shared with a live graph stays as it is.
            if let Ok(mut last) = Arc::try_unwrap(node) {
                take_inputs(&mut last.edges, &mut pending);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{DType, Device, Tensor};

    #[test]
    fn backward_frees_saved_tensors_unless_retained() {
        let dev = Device::cpu();
        let x = Tensor::randn(&[3, 4], DType::F64, 5, &dev)
            .unwrap()
            .requires_grad()
            .unwrap();
        // exp saves its output; mul saves both operands.
        let y = x.exp().unwrap();
        let loss = y.mul(&x).unwrap().sum().unwrap();
        assert_eq!(
            y.storage_owners(),
            3,
            "y, exp's saved output and mul's saved operand"
        );
        loss.backward_with(None, true).unwrap();
        assert_eq!(
            y.storage_owners(),
            3,
            "retain_graph keeps the saved tensors"
        );
        loss.backward().unwrap();
        assert_eq!(y.storage_owners(), 1, "only y itself is left");
        assert!(matches!(
            loss.backward(),
            Err(crate::Error::GraphFreed { .. })
        ));
    }
}
