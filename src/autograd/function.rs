//! Custom differentiable functions: an op defined by its forward and its gradient rule, as
//! PyTorch's `torch.autograd.Function` or candle's `CustomOp`.

use super::{no_grad, record_with_output};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// An op of your own: its forward on tensors and its gradient rule. [`Function::apply`] runs it
/// and records it on the tape as one node, like any built-in op. When `backward` is written
/// with wgrad's ops it is recorded in turn by a `create_graph` backward, so the function is
/// differentiable twice (and more) with no extra work.
///
/// ```
/// use wgrad::{DType, Device, Function, FunctionContext, GradcheckOptions, Result, Tensor};
///
/// /// SiLU, `x * sigmoid(x)`, with its derivative `s + x s (1 - s)` written by hand.
/// struct Silu;
///
/// impl Function for Silu {
///     fn name(&self) -> &'static str {
///         "silu"
///     }
///
///     fn forward(&self, inputs: &[Tensor]) -> Result<Tensor> {
///         inputs[0].mul(&inputs[0].sigmoid()?)
///     }
///
///     fn backward(&self, ctx: &FunctionContext, grad: &Tensor) -> Result<Vec<Option<Tensor>>> {
///         let x = &ctx.inputs()[0];
///         let s = x.sigmoid()?;
///         let slope = s.add(&x.mul(&s)?.mul(&s.neg()?.add_scalar(1.0)?)?)?;
///         Ok(vec![Some(grad.mul(&slope)?)])
///     }
/// }
///
/// let x = Tensor::randn(&[2, 3], DType::F64, 0, &Device::cpu())?;
/// let silu = |t: &[Tensor]| Silu.apply(&[&t[0]]);
/// wgrad::gradcheck(silu, &[x.clone()], &GradcheckOptions::default())?;
/// wgrad::gradgradcheck(silu, &[x], &GradcheckOptions::default())?;
/// # Ok::<(), wgrad::Error>(())
/// ```
pub trait Function: Send + Sync + 'static {
    /// The op's name, as errors and a result's `grad_fn=` show it.
    fn name(&self) -> &'static str;

    /// The output. It receives the inputs detached and runs with recording off: the ops it
    /// uses are not recorded, the function is.
    fn forward(&self, inputs: &[Tensor]) -> Result<Tensor>;

    /// The gradients of the inputs, given `grad`, the gradient of the output: one entry per
    /// input, each of its input's shape and dtype, or `None` where
    /// [`FunctionContext::needs_input_grad`] is false (an entry returned there is ignored).
    fn backward(&self, ctx: &FunctionContext, grad: &Tensor) -> Result<Vec<Option<Tensor>>>;

    /// Runs the function on `inputs` and records it, keeping the inputs and the output for
    /// `backward` until the graph is freed.
    fn apply(self, inputs: &[&Tensor]) -> Result<Tensor>
    where
        Self: Sized,
    {
        let detached: Vec<Tensor> = inputs.iter().map(|t| t.detach()).collect();
        let out = no_grad(|| self.forward(&detached))?;
        let saved: Vec<Tensor> = inputs.iter().map(|t| t.saved()).collect();
        let name = self.name();
        Ok(record_with_output(
            out,
            name,
            inputs,
            move |grad, output, needs| {
                let ctx = FunctionContext {
                    inputs: &saved,
                    output,
                    needs,
                };
                let grads = self.backward(&ctx, grad)?;
                check_grads(name, &saved, needs, grads)
            },
        ))
    }
}

/// What [`Function::backward`] may read: the inputs and output as they are in the graph.
pub struct FunctionContext<'a> {
    inputs: &'a [Tensor],
    output: &'a Tensor,
    needs: &'a [bool],
}

impl FunctionContext<'_> {
    /// The inputs `apply` was given.
    pub fn inputs(&self) -> &[Tensor] {
        self.inputs
    }

    /// The output `forward` returned.
    pub fn output(&self) -> &Tensor {
        self.output
    }

    /// Whether input `i` needs a gradient (false for constants, integer tensors, and inputs
    /// the gradient being computed does not lead to).
    pub fn needs_input_grad(&self, i: usize) -> bool {
        self.needs.get(i).copied().unwrap_or(false)
    }
}

/// The gradients a custom `backward` returned, checked against its inputs: one per input, each
/// of its input's shape and dtype wherever one is needed.
fn check_grads(
    name: &str,
    inputs: &[Tensor],
    needs: &[bool],
    grads: Vec<Option<Tensor>>,
) -> Result<Vec<Option<Tensor>>> {
    if grads.len() != inputs.len() {
        return Err(Error::Backward {
            message: format!(
                "custom function {name}: backward returned {} gradients for {} inputs; return \
                 one Option per input",
                grads.len(),
                inputs.len()
            ),
        });
    }
    let checked = grads.into_iter().zip(inputs).zip(needs).enumerate();
    checked
        .map(|(i, ((grad, input), &needed))| match grad {
            Some(_) if !needed => Ok(None),
            Some(g) if g.shape() != input.shape() || g.dtype() != input.dtype() => {
                Err(Error::Backward {
                    message: format!(
                        "custom function {name}: backward returned shape {:?} ({}) for input \
                         {i} of shape {:?} ({}); a gradient has its input's shape and dtype",
                        g.shape(),
                        g.dtype(),
                        input.shape(),
                        input.dtype()
                    ),
                })
            }
            Some(g) => Ok(Some(g)),
            None if needed => Err(Error::Backward {
                message: format!(
                    "custom function {name}: backward returned None for input {i}, which needs \
                     a gradient; return Some(zeros) if it is zero"
                ),
            }),
            None => Ok(None),
        })
        .collect()
}
