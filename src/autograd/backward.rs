//! The reverse pass: a loop over the tape, newest op first. No recursion, so graph depth is
//! limited by memory, not by the stack.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{Edge, EdgeTarget, GradFn, GradMeta, GradSlot, NoGradGuard, lock};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Propagates `grad` (the gradient of `root`, already checked to match it) back through the
/// graph, accumulating into the leaves' gradient slots.
pub(crate) fn run_backward(root: &Tensor, grad: Tensor, retain_graph: bool) -> Result<()> {
    // Gradient rules run on tensors; recording them would build a graph of the backward pass.
    let _no_grad = NoGradGuard::new();
    match root.grad_meta() {
        GradMeta::None => Err(Error::Backward {
            message: format!(
                "the tensor (shape {:?}) does not require grad and has no grad_fn; call \
                 .requires_grad() on the leaves you want gradients for before computing with them",
                root.shape()
            ),
        }),
        GradMeta::Leaf(slot) => accumulate_leaf(slot, grad),
        GradMeta::Op(node) => replay(node, grad, retain_graph),
    }
}

/// Every op reachable from `root`, newest first: the tape, in the order backward reads it.
fn tape_from(root: &Arc<GradFn>) -> Vec<Arc<GradFn>> {
    let mut seen = HashSet::new();
    let mut stack = vec![Arc::clone(root)];
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

fn replay(root: &Arc<GradFn>, grad: Tensor, retain_graph: bool) -> Result<()> {
    let mut pending: HashMap<u64, Tensor> = HashMap::from([(root.seq, grad)]);
    for node in tape_from(root) {
        let Some(grad) = pending.remove(&node.seq) else {
            continue;
        };
        let needed: Vec<bool> = node.edges.iter().map(Option::is_some).collect();
        let input_grads = {
            let mut slot = lock(&node.backward);
            let rule = slot.as_ref().ok_or(Error::GraphFreed { op: node.name })?;
            let input_grads = rule(&grad, &needed)?;
            if !retain_graph {
                *slot = None;
            }
            input_grads
        };
        if input_grads.len() != node.edges.len() {
            return Err(Error::Internal(format!(
                "{} returned {} gradients for {} inputs",
                node.name,
                input_grads.len(),
                node.edges.len()
            )));
        }
        for (edge, input_grad) in node.edges.iter().zip(input_grads) {
            let (Some(edge), Some(input_grad)) = (edge, input_grad) else {
                continue;
            };
            check_grad(node.name, edge, &input_grad)?;
            match &edge.target {
                EdgeTarget::Op(input) => match pending.remove(&input.seq) {
                    Some(sum) => pending.insert(input.seq, sum.add(&input_grad)?),
                    None => pending.insert(input.seq, input_grad),
                },
                EdgeTarget::Leaf(slot) => {
                    accumulate_leaf(slot, input_grad)?;
                    None
                }
            };
        }
    }
    Ok(())
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

/// Adds `grad` into a leaf's slot: gradients accumulate across backward calls until zero_grad.
fn accumulate_leaf(slot: &GradSlot, grad: Tensor) -> Result<()> {
    let mut current = lock(slot);
    let sum = match current.as_ref() {
        Some(existing) => existing.add(&grad)?,
        None => grad,
    };
    *current = Some(sum);
    Ok(())
}
