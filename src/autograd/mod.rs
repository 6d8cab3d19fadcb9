//! Tape-based reverse-mode autodiff, differentiable as many times as asked.
//!
//! Every recorded op gets a [`GradFn`] with a sequence number from one global counter, so inputs
//! always have smaller numbers than the ops that read them: sorting the reachable ops by number,
//! newest first, replays the tape backwards. Edges point at the inputs' own `GradFn`s (or at a
//! leaf's gradient slot), never at their data, and each op's saved tensors live in its rule,
//! which the first backward frees unless asked to retain the graph.
//!
//! Gradient rules are written with ops, so a backward run with recording on (`create_graph`)
//! builds the gradient's own graph. For that, rules save their inputs as they are in the graph
//! ([`Tensor::saved`]), and a rule that reads its op's output gets it re-attached to the op when
//! the backward runs, instead of holding it from the start: an output saved with its history
//! would hold its own `GradFn`, a reference cycle. Nothing in the graph holds a leaf's gradient
//! slot strongly either, since that slot may hold a gradient whose graph leads back to it.

mod backward;
mod function;
mod functional;
mod gradcheck;
mod mode;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::sync::lock;
use crate::tensor::Tensor;

pub(crate) use backward::backward;
pub use backward::{GradOptions, grad};
pub use function::{Function, FunctionContext};
pub use functional::{hessian, hvp, jacobian};
pub use gradcheck::{GradcheckOptions, GradcheckReport, gradcheck, gradgradcheck};
pub(crate) use mode::GradModeGuard;
pub use mode::{NoGradGuard, is_grad_enabled, no_grad};

/// The gradients of an op's inputs (`None` where not needed), each of its input's shape and dtype.
type Grads = Result<Vec<Option<Tensor>>>;

/// A gradient rule: given the gradient of the op's output and which inputs need one.
type PlainRule = Box<dyn Fn(&Tensor, &[bool]) -> Grads + Send + Sync>;

/// A gradient rule that also reads the op's output.
type OutputRule = Box<dyn Fn(&Tensor, &Tensor, &[bool]) -> Grads + Send + Sync>;

/// An op's gradient rule with the state it saved.
enum Rule {
    Plain(PlainRule),
    /// The output is kept detached and re-attached to its op when the rule runs.
    WithOutput(Tensor, OutputRule),
}

/// A leaf's gradient slot, shared by every clone of the leaf.
pub(crate) type GradSlot = Arc<Mutex<Option<Tensor>>>;

/// How the graph refers to a leaf's slot: without keeping it alive. A gradient for a leaf that
/// nobody holds any more could never be read, so it is dropped.
pub(crate) type WeakSlot = Weak<Mutex<Option<Tensor>>>;

/// How a tensor takes part in autograd.
#[derive(Clone)]
pub(crate) enum GradMeta {
    /// Not tracked: a constant, a detached tensor, or a result computed without gradients.
    None,
    /// A leaf with `requires_grad`: gradients accumulate into its slot.
    Leaf(GradSlot),
    /// A leaf as a gradient rule saved it ([`Tensor::saved`]): still a leaf that requires grad,
    /// whose slot it does not keep alive.
    SavedLeaf(WeakSlot),
    /// The result of a recorded op.
    Op(Arc<GradFn>),
}

/// Where an input's gradient goes.
#[derive(Clone)]
pub(crate) enum EdgeTarget {
    Op(Arc<GradFn>),
    Leaf(WeakSlot),
}

/// An input of a recorded op that needs a gradient, with the shape and dtype that gradient must have.
#[derive(Clone)]
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
    rule: Mutex<Option<Rule>>,
}

static NEXT_SEQ: AtomicU64 = AtomicU64::new(0);

impl GradFn {
    /// The output of op `name` attached to a new entry of the tape with these input edges.
    fn attach(out: Tensor, name: &'static str, edges: Vec<Option<Edge>>, rule: Rule) -> Tensor {
        let node = GradFn {
            seq: NEXT_SEQ.fetch_add(1, Ordering::Relaxed),
            name,
            edges,
            rule: Mutex::new(Some(rule)),
        };
        out.with_grad_meta(GradMeta::Op(Arc::new(node)))
    }

    /// Runs this op's gradient rule on `grad`, the gradient of its output, and frees the rule's
    /// saved tensors unless `retain_graph`.
    fn apply(self: &Arc<Self>, grad: &Tensor, needs: &[bool], retain_graph: bool) -> Grads {
        let mut slot = lock(&self.rule);
        let rule = slot.as_ref().ok_or(Error::GraphFreed { op: self.name })?;
        let grads = match rule {
            Rule::Plain(rule) => rule(grad, needs)?,
            Rule::WithOutput(output, rule) => {
                // Re-attached only while recording, so that a create_graph backward can
                // differentiate through the output; otherwise it is just data.
                let output = if is_grad_enabled() {
                    output.with_grad_meta(GradMeta::Op(Arc::clone(self)))
                } else {
                    output.clone()
                };
                rule(grad, &output, needs)?
            }
        };
        if !retain_graph {
            *slot = None;
        }
        if grads.len() != self.edges.len() {
            return Err(Error::Internal(format!(
                "{} returned {} gradients for {} inputs",
                self.name,
                grads.len(),
                self.edges.len()
            )));
        }
        Ok(grads)
    }
}

/// Attaches `out` to the graph as the result of op `name` on `inputs`, if recording is on and any
/// input needs a gradient; otherwise returns it untouched. `make_rule` is called only then.
fn record_rule(
    out: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    make_rule: impl FnOnce(&Tensor) -> Rule,
) -> Tensor {
    if !is_grad_enabled() || !inputs.iter().any(|t| t.needs_grad()) {
        return out;
    }
    let rule = make_rule(&out);
    GradFn::attach(out, name, inputs.iter().map(|t| t.edge()).collect(), rule)
}

/// Records op `name` with gradient rule `backward(grad_of_output, needs)`. The rule may capture
/// the inputs it needs, as [`Tensor::saved`] gives them, but never the output (see
/// [`record_with_output`]).
pub(crate) fn record(
    out: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    backward: impl Fn(&Tensor, &[bool]) -> Grads + Send + Sync + 'static,
) -> Tensor {
    record_lazily(out, name, inputs, || backward)
}

/// [`record`] with a rule made by `make_backward` only when the op is recorded: for the ops that
/// run most often, whose rules capture something (a shape, a saved input) that costs more to make
/// than an untracked op's whole bookkeeping.
pub(crate) fn record_lazily<B>(
    out: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    make_backward: impl FnOnce() -> B,
) -> Tensor
where
    B: Fn(&Tensor, &[bool]) -> Grads + Send + Sync + 'static,
{
    record_rule(out, name, inputs, |_| {
        Rule::Plain(Box::new(make_backward()))
    })
}

/// Records op `name` with a gradient rule `backward(grad_of_output, output, needs)` that reads
/// the op's own output.
pub(crate) fn record_with_output(
    out: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    backward: impl Fn(&Tensor, &Tensor, &[bool]) -> Grads + Send + Sync + 'static,
) -> Tensor {
    record_with_output_lazily(out, name, inputs, || backward)
}

/// [`record_with_output`] with a rule made only when the op is recorded (see [`record_lazily`]).
pub(crate) fn record_with_output_lazily<B>(
    out: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    make_backward: impl FnOnce() -> B,
) -> Tensor
where
    B: Fn(&Tensor, &Tensor, &[bool]) -> Grads + Send + Sync + 'static,
{
    record_rule(out, name, inputs, |out| {
        Rule::WithOutput(out.detach(), Box::new(make_backward()))
    })
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
        fn unlink(node: &mut GradFn, pending: &mut Vec<Arc<GradFn>>) {
            // The rule's saved tensors hold inputs that the edges hold too: free them first, so
            // that the edges are the last owners and the loop below, not recursion, drops them.
            drop(
                node.rule
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take(),
            );
            pending.extend(
                node.edges
                    .drain(..)
                    .flatten()
                    .filter_map(|edge| match edge.target {
                        EdgeTarget::Op(node) => Some(node),
                        EdgeTarget::Leaf(_) => None,
                    }),
            );
        }
        let mut pending = Vec::new();
        unlink(self, &mut pending);
        while let Some(node) = pending.pop() {
            // Only the last owner unlinks; a node shared with a live graph stays as it is.
            if let Ok(mut last) = Arc::try_unwrap(node) {
                unlink(&mut last, &mut pending);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{DType, Device, GradOptions, Tensor};

    #[test]
    fn backward_frees_saved_tensors_unless_retained() {
        let dev = Device::cpu();
        let x = Tensor::randn(&[3, 4], DType::F64, 5, &dev)
            .unwrap()
            .requires_grad()
            .unwrap();
        // exp saves its output (detached), mul its operands as they are in the graph: y's data
        // has three owners.
        let y = x.exp().unwrap();
        let loss = y.mul(&x).unwrap().sum().unwrap();
        assert_eq!(
            y.storage_owners(),
            3,
            "y, exp's saved output, mul's saved operand"
        );
        loss.backward_with(None, true).unwrap();
        assert_eq!(y.storage_owners(), 3, "retain_graph keeps saved tensors");
        loss.backward().unwrap();
        assert_eq!(y.storage_owners(), 1, "only y is left");
        assert!(matches!(
            loss.backward(),
            Err(crate::Error::GraphFreed { .. })
        ));
    }

    #[test]
    fn a_create_graph_backward_leaves_no_cycle_behind() {
        let dev = Device::cpu();
        let x = Tensor::randn(&[5], DType::F64, 6, &dev)
            .unwrap()
            .requires_grad()
            .unwrap();
        // exp and tanh save their outputs, mul its operands, and x.grad() holds the gradient's
        // graph, which reads x, y and z.
        let y = x.exp().unwrap();
        let z = y.tanh().unwrap();
        let loss = z.mul(&x).unwrap().sum().unwrap();
        loss.backward_with_options(None, &GradOptions::new().create_graph(true))
            .unwrap();
        let gx = x.grad().unwrap();
        assert!(gx.needs_grad() && !gx.is_leaf());
        let (y_probe, z_probe) = (y.detach(), z.detach());
        assert!(y_probe.storage_owners() > 2 && z_probe.storage_owners() > 2);
        drop((x, y, z, loss, gx));
        assert_eq!(y_probe.storage_owners(), 1, "y's data was released");
        assert_eq!(z_probe.storage_owners(), 1, "z's data was released");
    }
}
