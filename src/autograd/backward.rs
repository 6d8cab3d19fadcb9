//! The reverse pass: a loop over the tape, newest op first. No recursion, so graph depth is
//! limited by memory, not by the stack. One pass serves [`Tensor::backward`] (gradients
//! accumulate into every leaf reached) and [`grad`] (the gradients of chosen tensors are
//! returned, and only the part of the graph that leads to them runs).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::{Edge, EdgeTarget, GradFn, GradMeta, GradModeGuard, Rule, WeakSlot};
use crate::error::{Error, Result};
use crate::sync::lock;
use crate::tensor::Tensor;

/// How a backward pass runs ([`Tensor::backward_with_options`], [`grad`]); the defaults are
/// PyTorch's. A builder: `GradOptions::new().create_graph(true)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GradOptions {
    retain_graph: Option<bool>,
    create_graph: bool,
    allow_unused: bool,
}

impl GradOptions {
    /// The defaults: free the graph, record nothing, every input must be used.
    pub fn new() -> GradOptions {
        GradOptions::default()
    }

    /// Keep the graph's saved tensors for another backward through it. Unless set, the graph is
    /// kept exactly when `create_graph` is on, as in PyTorch: a recorded gradient is usually
    /// differentiated again, through the same graph.
    pub fn retain_graph(mut self, retain: bool) -> GradOptions {
        self.retain_graph = Some(retain);
        self
    }

    /// Record the backward pass, so that the gradients it computes are attached to a graph and
    /// can be differentiated again (higher-order gradients).
    pub fn create_graph(mut self, create: bool) -> GradOptions {
        self.create_graph = create;
        self
    }

    /// For [`grad`]: an input the outputs do not depend on gets `None` instead of an error.
    /// (Backward accumulates into whichever leaves it reaches and ignores this.)
    pub fn allow_unused(mut self, allow: bool) -> GradOptions {
        self.allow_unused = allow;
        self
    }

    fn retains(&self) -> bool {
        self.retain_graph.unwrap_or(self.create_graph)
    }
}

/// The gradients of `outputs` with respect to `inputs`, as `torch.autograd.grad`.
///
/// `inputs` may be any tensors of the graph, leaves or intermediate results; no `.grad()` is
/// read or written. `grad_outputs` holds one gradient per output (the vector of a
/// vector-Jacobian product); `None` seeds 1 and needs one-element outputs. With `create_graph`
/// the returned gradients are attached to a graph and can be differentiated again; a gradient
/// that does not depend on any input (that of a linear function) is then still attached, with
/// derivative zero, so differentiating it again gives zeros rather than an error.
///
/// An input that no output depends on is an error naming it, unless `allow_unused`: then its
/// gradient is `None`. `None`, not zeros, keeps "not connected" apart from "zero gradient" (as in
/// PyTorch); write `.unwrap_or(zeros)` where a zero is what is meant.
///
/// ```
/// use wgrad::{DType, Device, GradOptions, Tensor, grad};
///
/// let x = Tensor::randn(&[3], DType::F64, 0, &Device::cpu())?.requires_grad()?;
/// let y = x.pow(3.0)?.sum()?;
/// let dy = grad(&[&y], &[&x], None, &GradOptions::new().create_graph(true))?;
/// let dy = dy[0].as_ref().expect("x is used"); // 3 x^2, itself differentiable
/// let d2y = grad(&[&dy.sum()?], &[&x], None, &GradOptions::new())?;
/// let expected = x.mul_scalar(6.0)?.detach().to_ndarray::<f64>()?;
/// assert_eq!(d2y[0].as_ref().unwrap().to_ndarray::<f64>()?, expected);
/// # Ok::<(), wgrad::Error>(())
/// ```
pub fn grad(
    outputs: &[&Tensor],
    inputs: &[&Tensor],
    grad_outputs: Option<&[&Tensor]>,
    options: &GradOptions,
) -> Result<Vec<Option<Tensor>>> {
    if let Some(seeds) = grad_outputs.filter(|seeds| seeds.len() != outputs.len()) {
        return Err(Error::Backward {
            message: format!(
                "{} grad_outputs for {} outputs; pass one gradient per output, or None for \
                 one-element outputs",
                seeds.len(),
                outputs.len()
            ),
        });
    }
    let roots = outputs
        .iter()
        .enumerate()
        .map(|(i, &output)| {
            let seed = grad_outputs.map(|seeds| seeds[i]);
            Ok((output, seed_gradient(output, seed, options.create_graph)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let keys = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| match input.grad_meta() {
            GradMeta::None => Err(Error::Backward {
                message: format!(
                    "input {i} (shape {:?}) does not require grad, so it cannot be \
                     differentiated against; call .requires_grad() on it before computing the \
                     outputs from it",
                    input.shape()
                ),
            }),
            GradMeta::Leaf(slot) => Ok(Key::Leaf(Arc::as_ptr(slot))),
            GradMeta::SavedLeaf(slot) => Ok(Key::Leaf(slot.as_ptr())),
            GradMeta::Op(node) => Ok(Key::Op(node.seq)),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut pass = Pass::new(Targets::Inputs(keys), options);
    pass.run(&roots)?;
    pass.found
        .into_iter()
        .zip(inputs)
        .enumerate()
        .map(|(i, (found, input))| match found {
            Some(g) if options.create_graph && !g.needs_grad() => {
                let edge = input.edge().ok_or_else(|| {
                    Error::Internal("grad: an input lost its place in the graph".into())
                })?;
                Ok(Some(attach_constant(g, edge)))
            }
            Some(g) => Ok(Some(g)),
            None if options.allow_unused => Ok(None),
            None => Err(Error::Backward {
                message: format!(
                    "input {i} (shape {:?}) was not used to compute the outputs; pass \
                     GradOptions::new().allow_unused(true) to get None for it",
                    input.shape()
                ),
            }),
        })
        .collect()
}

/// Backpropagates from `root`, seeded with `gradient` (or 1 for a one-element root), into every
/// leaf's gradient slot.
pub(crate) fn backward(
    root: &Tensor,
    gradient: Option<&Tensor>,
    options: &GradOptions,
) -> Result<()> {
    let seed = seed_gradient(root, gradient, options.create_graph)?;
    Pass::new(Targets::Leaves, options).run(&[(root, seed)])
}

/// The gradient a pass starts from at `output`: `gradient`, checked against it, or 1 for a
/// one-element output. A given gradient keeps its own graph when the pass records, since the
/// result is then differentiable in it too (gradgradcheck differentiates in it).
fn seed_gradient(output: &Tensor, gradient: Option<&Tensor>, create_graph: bool) -> Result<Tensor> {
    match gradient {
        Some(g) if g.shape() != output.shape() || g.dtype() != output.dtype() => {
            Err(Error::Backward {
                message: format!(
                    "the gradient has shape {:?} ({}) but the tensor has shape {:?} ({}); \
                     pass a gradient of the tensor's shape and dtype",
                    g.shape(),
                    g.dtype(),
                    output.shape(),
                    output.dtype()
                ),
            })
        }
        Some(g) => {
            output.same_device("backward", g)?;
            Ok(if create_graph { g.clone() } else { g.detach() })
        }
        None if output.numel() == 1 => {
            Tensor::full(output.shape(), 1.0, output.dtype(), &output.device())
        }
        None => Err(Error::Backward {
            message: format!(
                "grad can be implicitly created only for a one-element output, this one has \
                 shape {:?}; pass a gradient with backward_with(Some(&grad), false) (or grad's \
                 grad_outputs), or reduce first (.sum() or .mean())",
                output.shape()
            ),
        }),
    }
}

/// An input of [`grad`], as the graph's edges name it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Op(u64),
    Leaf(*const Mutex<Option<Tensor>>),
}

/// Where a pass delivers the gradients it computes.
enum Targets {
    /// Into every leaf's slot (backward).
    Leaves,
    /// Into [`Pass::found`], one per input (grad).
    Inputs(Vec<Key>),
}

struct Pass {
    targets: Targets,
    retain_graph: bool,
    create_graph: bool,
    /// For [`Targets::Inputs`]: the gradient of each input, once reached.
    found: Vec<Option<Tensor>>,
    /// The summed gradient of each op's output that its consumers have sent so far.
    pending: HashMap<u64, Tensor>,
}

impl Pass {
    fn new(targets: Targets, options: &GradOptions) -> Pass {
        let found = match &targets {
            Targets::Leaves => Vec::new(),
            Targets::Inputs(keys) => vec![None; keys.len()],
        };
        Pass {
            targets,
            retain_graph: options.retains(),
            create_graph: options.create_graph,
            found,
            pending: HashMap::new(),
        }
    }

    fn run(&mut self, roots: &[(&Tensor, Tensor)]) -> Result<()> {
        // Gradient rules run on tensors: recorded exactly when the gradient's graph is wanted.
        let _mode = GradModeGuard::new(self.create_graph);
        let mut heads = Vec::new();
        for (root, grad) in roots {
            let edge = root.edge().ok_or_else(|| Error::Backward {
                message: format!(
                    "the tensor (shape {:?}) does not require grad and has no grad_fn; call \
                     .requires_grad() on the leaves you want gradients for before computing \
                     with them",
                    root.shape()
                ),
            })?;
            if let EdgeTarget::Op(node) = &edge.target {
                heads.push(Arc::clone(node));
            }
            self.deliver(&edge, grad.clone())?;
        }
        let tape = tape_from(heads);
        let leads_to_input = self.leads_to_input(&tape);
        for node in tape {
            let Some(grad) = self.pending.remove(&node.seq) else {
                continue;
            };
            self.capture(Key::Op(node.seq), &grad)?;
            let needs: Vec<bool> = node
                .edges
                .iter()
                .map(|edge| {
                    edge.as_ref()
                        .is_some_and(|e| self.needs(e, &leads_to_input))
                })
                .collect();
            if !needs.contains(&true) {
                continue;
            }
            let input_grads = node.apply(&grad, &needs, self.retain_graph)?;
            for ((edge, input_grad), needed) in node.edges.iter().zip(input_grads).zip(needs) {
                let (Some(edge), Some(input_grad), true) = (edge, input_grad, needed) else {
                    continue;
                };
                check_grad(node.name, edge, &input_grad)?;
                self.deliver(edge, input_grad)?;
            }
        }
        Ok(())
    }

    /// Whether the gradient along `edge` is wanted.
    fn needs(&self, edge: &Edge, leads_to_input: &HashSet<u64>) -> bool {
        match (&self.targets, &edge.target) {
            (Targets::Leaves, EdgeTarget::Op(_)) => true,
            (Targets::Leaves, EdgeTarget::Leaf(slot)) => slot.strong_count() > 0,
            (Targets::Inputs(_), EdgeTarget::Op(node)) => leads_to_input.contains(&node.seq),
            (Targets::Inputs(keys), EdgeTarget::Leaf(slot)) => {
                keys.contains(&Key::Leaf(slot.as_ptr()))
            }
        }
    }

    /// For [`Targets::Inputs`]: the ops of the tape that are inputs or lead to one. Inputs come
    /// before the ops that read them, so one sweep from the oldest op settles each.
    fn leads_to_input(&self, tape: &[Arc<GradFn>]) -> HashSet<u64> {
        let mut leads = HashSet::new();
        let Targets::Inputs(keys) = &self.targets else {
            return leads;
        };
        for node in tape.iter().rev() {
            let reaches = keys.contains(&Key::Op(node.seq))
                || node.edges.iter().flatten().any(|edge| match &edge.target {
                    EdgeTarget::Op(input) => leads.contains(&input.seq),
                    EdgeTarget::Leaf(slot) => keys.contains(&Key::Leaf(slot.as_ptr())),
                });
            if reaches {
                leads.insert(node.seq);
            }
        }
        leads
    }

    /// Sends `grad` along `edge`: into the pending sum of an op, or to a leaf.
    fn deliver(&mut self, edge: &Edge, grad: Tensor) -> Result<()> {
        match &edge.target {
            EdgeTarget::Op(node) => {
                let sum = match self.pending.remove(&node.seq) {
                    Some(sum) => sum.add(&grad)?,
                    None => grad,
                };
                self.pending.insert(node.seq, sum);
                Ok(())
            }
            EdgeTarget::Leaf(slot) => match self.targets {
                Targets::Leaves => self.accumulate_leaf(slot, edge, grad),
                Targets::Inputs(_) => self.capture(Key::Leaf(slot.as_ptr()), &grad),
            },
        }
    }

    /// For [`Targets::Inputs`]: adds `grad` to the gradient of every input that `key` names.
    fn capture(&mut self, key: Key, grad: &Tensor) -> Result<()> {
        let Targets::Inputs(keys) = &self.targets else {
            return Ok(());
        };
        for (found, _) in self.found.iter_mut().zip(keys).filter(|(_, k)| **k == key) {
            *found = Some(match found.take() {
                Some(sum) => sum.add(grad)?,
                None => grad.clone(),
            });
        }
        Ok(())
    }

    /// Adds `grad` into a leaf's slot: gradients accumulate across backward calls until
    /// zero_grad. A leaf that nobody holds any more has no gradient to keep.
    fn accumulate_leaf(&self, slot: &WeakSlot, edge: &Edge, grad: Tensor) -> Result<()> {
        let Some(slot) = slot.upgrade() else {
            return Ok(());
        };
        let mut current = lock(&slot);
        let sum = match current.take() {
            Some(existing) => existing.add(&grad)?,
            None => grad,
        };
        *current = Some(if self.create_graph && !sum.needs_grad() {
            attach_constant(sum, edge.clone())
        } else {
            sum
        });
        Ok(())
    }
}

/// Every op reachable from `heads`, newest first: the tape, in the order backward reads it.
fn tape_from(heads: Vec<Arc<GradFn>>) -> Vec<Arc<GradFn>> {
    let mut seen = HashSet::new();
    let mut stack = heads;
    let mut tape = Vec::new();
    while let Some(node) = stack.pop() {
        if !seen.insert(node.seq) {
            continue;
        }
        for edge in node.edges.iter().flatten() {
            if let EdgeTarget::Op(input) = &edge.target {
                if !seen.contains(&input.seq) {
                    stack.push(Arc::clone(input));
                }
            }
        }
        tape.push(node);
    }
    tape.sort_unstable_by_key(|node| std::cmp::Reverse(node.seq));
    tape
}

/// A recorded gradient that depends on no input (that of a linear function, or of relu whose
/// own derivative is zero) attached to `edge`'s tensor with derivative zero: differentiating it
/// again gives zeros, not the "does not require grad" error PyTorch gives (pytorch#73137).
fn attach_constant(grad: Tensor, edge: Edge) -> Tensor {
    let (shape, dtype) = (edge.shape.clone(), edge.dtype);
    let rule = Rule::Plain(Box::new(move |g: &Tensor, _: &[bool]| {
        Ok(vec![Some(Tensor::zeros(&shape, dtype, &g.device())?)])
    }));
    GradFn::attach(grad, "constant gradient", vec![Some(edge)], rule)
}

/// A gradient rule that returns the wrong shape or dtype is a bug in that rule: say which.
fn check_grad(op: &str, edge: &Edge, grad: &Tensor) -> Result<()> {
    if grad.shape() != edge.shape.as_slice() || grad.dtype() != edge.dtype {
        return Err(Error::Internal(format!(
            "the gradient rule of {op} returned shape {:?} ({}) for an input of shape {:?} ({})",
            grad.shape(),
            grad.dtype(),
            edge.shape,
            edge.dtype
        )));
    }
    Ok(())
}
