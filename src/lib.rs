//! # wgrad
//!
//! A minimal, tape-based autograd engine. Tensors marked with [`Tensor::requires_grad`] record
//! the operations applied to them; [`Tensor::backward`] replays that tape in reverse and fills the
//! leaves' [`Tensor::grad`]. The CPU backend runs every op over `ndarray`-style strided views and
//! is the numerical reference; [`gradcheck`] compares any function's gradients with finite
//! differences.
//!
//! Gradients are differentiable in turn: with [`GradOptions::create_graph`] a backward pass is
//! recorded, [`grad`] returns the gradients of any tensors of the graph, [`jacobian`],
//! [`hessian`] and [`hvp`] build on it, [`gradgradcheck`] checks second derivatives, and a
//! [`Function`] of your own joins the tape like a built-in op.
//!
//! Export is strict: [`Tensor::to_ndarray`] refuses a tensor that is still attached to the graph
//! (call [`Tensor::detach`] first), checks the element type, and always copies.
//!
//! ```
//! use wgrad::{DType, Device, Tensor};
//!
//! let dev = Device::best();
//! let x = Tensor::randn(&[4, 3], DType::F32, 0, &dev)?;
//! let w = Tensor::randn(&[3, 2], DType::F32, 1, &dev)?.requires_grad()?;
//! let loss = x.matmul(&w)?.relu()?.sum()?;
//! loss.backward()?;
//! let grad = w.grad().expect("w is a leaf that requires grad");
//! assert_eq!(grad.shape(), &[3, 2]);
//! assert!(w.to_ndarray::<f32>().is_err()); // attached to the graph
//! let weights = w.detach().to_ndarray::<f32>()?;
//! assert_eq!(weights.shape(), &[3, 2]);
//! # Ok::<(), wgrad::Error>(())
//! ```

mod autograd;
mod backend;
mod creation;
pub mod data;
mod device;
mod device_kind;
mod display;
mod dtype;
mod error;
mod export;
pub mod nn;
mod ops;
pub mod optim;
mod random;
mod shape;
mod sync;
mod tensor;

pub use autograd::{
    Function, FunctionContext, GradOptions, GradcheckOptions, GradcheckReport, NoGradGuard, grad,
    gradcheck, gradgradcheck, hessian, hvp, is_grad_enabled, jacobian, no_grad,
};
pub use device::{Device, GpuDevice};
pub use device_kind::DeviceKind;
pub use dtype::{DType, DynArray, Element};
pub use error::{Error, Result};
pub use export::{npy, npz, safetensors};
pub use ops::{Conv2dOptions, CrossEntropyOptions, Reduction};
pub use random::{Generator, manual_seed, next_seed, rng_state};
pub use tensor::Tensor;

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
