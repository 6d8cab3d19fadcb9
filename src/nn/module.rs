//! The [`Module`] trait, the tensors a module holds ([`Parameter`], [`Buffer`]), and the
//! [`Visitor`] through which a module shows them, so that names, train/eval mode, state dicts and
//! the printed structure all come from one method a module writes.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::sync::lock;
use crate::tensor::Tensor;

/// A shared cell holding a tensor that keeps its shape and dtype.
#[derive(Clone, Debug)]
struct Slot(Arc<Mutex<Tensor>>);

impl Slot {
    fn get(&self) -> Tensor {
        lock(&self.0).clone()
    }

    /// Replaces the value (detached, on the current value's device), which must keep its shape
    /// and dtype; `trainable` makes it a fresh leaf that requires grad.
    fn set(&self, op: &'static str, value: &Tensor, trainable: bool) -> Result<()> {
        let mut current = lock(&self.0);
        if value.shape() != current.shape() || value.dtype() != current.dtype() {
            return Err(Error::ShapeMismatch {
                op,
                lhs: current.shape().to_vec(),
                rhs: value.shape().to_vec(),
                hint: "a module's tensor keeps its shape and dtype",
            });
        }
        let value = value.detach().to(&current.device())?;
        *current = if trainable {
            value.requires_grad()?
        } else {
            value
        };
        Ok(())
    }

    /// Converts the value to `dtype` in place (shape and device kept).
    fn convert(&self, dtype: DType, trainable: bool) -> Result<()> {
        let mut current = lock(&self.0);
        let value = current.detach().to_dtype(dtype)?;
        *current = if trainable {
            value.requires_grad()?
        } else {
            value
        };
        Ok(())
    }
}

/// A trainable tensor that a module reads and an optimizer replaces. Clones share the cell, so
/// an update through one is seen by all (tensors themselves are never mutated in place).
#[derive(Clone, Debug)]
pub struct Parameter(Slot);

impl Parameter {
    /// A parameter holding `value` as a leaf that requires grad.
    pub fn new(value: Tensor) -> Result<Parameter> {
        Ok(Parameter(Slot(Arc::new(Mutex::new(
            value.detach().requires_grad()?,
        )))))
    }

    /// The current value: a leaf that requires grad, whose `grad()` backward fills.
    pub fn get(&self) -> Tensor {
        self.0.get()
    }

    /// Replaces the value (detached, made a fresh leaf) after checking that its shape and dtype
    /// stay the same.
    pub fn set(&self, value: &Tensor) -> Result<()> {
        self.0.set("Parameter::set", value, true)
    }
}

/// A tensor a module keeps but does not train, such as batch norm's running statistics
/// (`register_buffer` in PyTorch). It is saved in state dicts beside the parameters.
#[derive(Clone, Debug)]
pub struct Buffer(Slot);

impl Buffer {
    /// A buffer holding `value`, detached.
    pub fn new(value: Tensor) -> Buffer {
        Buffer(Slot(Arc::new(Mutex::new(value.detach()))))
    }

    /// The current value.
    pub fn get(&self) -> Tensor {
        self.0.get()
    }

    /// Replaces the value after checking that its shape and dtype stay the same.
    pub fn set(&self, value: &Tensor) -> Result<()> {
        self.0.set("Buffer::set", value, false)
    }
}

/// Whether a module behaves as in training (dropout active, batch statistics) or in evaluation.
/// Modules start in training mode, as in PyTorch.
#[derive(Debug)]
pub struct Mode(AtomicBool);

impl Default for Mode {
    fn default() -> Mode {
        Mode(AtomicBool::new(true))
    }
}

impl Mode {
    /// True in training mode.
    pub fn is_training(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, training: bool) {
        self.0.store(training, Ordering::Relaxed);
    }
}

/// What a module shows a [`Visitor`].
pub enum Item<'a> {
    /// A sub-module.
    Module(&'a dyn Module),
    /// A trainable tensor.
    Parameter(&'a Parameter),
    /// A tensor kept but not trained.
    Buffer(&'a Buffer),
    /// The module's train/eval switch.
    Mode(&'a Mode),
}

/// Walks a module's tree. A module's [`Module::visit`] calls [`Visitor::parameter`],
/// [`Visitor::buffer`], [`Visitor::mode`] and [`Visitor::module`] for what it holds; the visitor
/// builds the dotted names (`blocks.0.attn.in_proj_weight`) so no module writes a prefix.
pub struct Visitor<'a> {
    prefix: String,
    action: &'a mut dyn FnMut(&str, Item<'_>) -> bool,
}

impl<'a> Visitor<'a> {
    /// A visitor calling `action` with each item's full name; for a sub-module, `action`
    /// returns whether to go inside it.
    pub fn new(action: &'a mut dyn FnMut(&str, Item<'_>) -> bool) -> Visitor<'a> {
        Visitor {
            prefix: String::new(),
            action,
        }
    }

    fn name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Shows a parameter named `name`.
    pub fn parameter(&mut self, name: &str, parameter: &Parameter) {
        let name = self.name(name);
        (self.action)(&name, Item::Parameter(parameter));
    }

    /// Shows a buffer named `name`.
    pub fn buffer(&mut self, name: &str, buffer: &Buffer) {
        let name = self.name(name);
        (self.action)(&name, Item::Buffer(buffer));
    }

    /// Shows the module's train/eval switch.
    pub fn mode(&mut self, mode: &Mode) {
        let name = self.prefix.trim_end_matches('.').to_string();
        (self.action)(&name, Item::Mode(mode));
    }

    /// Shows a sub-module named `name`; its own items get the prefix `name.`.
    pub fn module(&mut self, name: &str, module: &dyn Module) {
        let full = self.name(name);
        if (self.action)(&full, Item::Module(module)) {
            let outer = std::mem::replace(&mut self.prefix, format!("{full}."));
            module.visit(self);
            self.prefix = outer;
        }
    }

    /// Shows a list of sub-modules, named `name.0`, `name.1`, ... (PyTorch's `ModuleList`).
    pub fn modules<M: Module>(&mut self, name: &str, modules: &[M]) {
        for (i, module) in modules.iter().enumerate() {
            self.module(&format!("{name}.{i}"), module);
        }
    }
}

/// A layer or a model: a function of a tensor that holds parameters, buffers and sub-modules.
///
/// A module writes [`Module::forward`] and [`Module::visit`]; names, modes and state dicts
/// follow from them:
///
/// ```
/// use wgrad::nn::{Linear, Module, Visitor};
/// use wgrad::{Device, Result, Tensor};
///
/// struct TwoLayer {
///     hidden: Linear,
///     out: Linear,
/// }
///
/// impl Module for TwoLayer {
///     fn forward(&self, x: &Tensor) -> Result<Tensor> {
///         self.out.forward(&self.hidden.forward(x)?.relu()?)
///     }
///
///     fn visit(&self, v: &mut Visitor<'_>) {
///         v.module("hidden", &self.hidden);
///         v.module("out", &self.out);
///     }
/// }
///
/// let dev = Device::cpu();
/// let model = TwoLayer { hidden: Linear::new(2, 8, &dev)?, out: Linear::new(8, 1, &dev)? };
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]);
/// assert!(model.repr().starts_with("TwoLayer(\n  (hidden): Linear(in_features=2, out_features=8"));
/// # Ok::<(), wgrad::Error>(())
/// ```
pub trait Module {
    /// The output for input `x`.
    fn forward(&self, x: &Tensor) -> Result<Tensor>;

    /// Shows the visitor this module's parameters, buffers, mode and sub-modules, in a stable
    /// order. A module without any keeps the default, which shows nothing.
    fn visit(&self, visitor: &mut Visitor<'_>) {
        let _ = visitor;
    }

    /// The name [`Module::repr`] prints: the type's name unless the module says otherwise.
    fn type_name(&self) -> String {
        let full = std::any::type_name::<Self>();
        let path = full.split('<').next().unwrap_or(full);
        path.rsplit("::").next().unwrap_or(path).to_string()
    }

    /// The arguments [`Module::repr`] prints in parentheses (`in_features=2, out_features=8,
    /// bias=True`), as PyTorch's `extra_repr`.
    fn extra_repr(&self) -> String {
        String::new()
    }

    /// The structure, printed as PyTorch prints a module: one line per layer, children
    /// indented under their names. Built-in layers' `Debug` prints this.
    fn repr(&self) -> String {
        let mut children = Vec::new();
        self.visit(&mut Visitor::new(&mut |name, item| {
            if let Item::Module(module) = item {
                children.push(format!("({name}): {}", module.repr()));
            }
            false
        }));
        let mut out = format!("{}({}", self.type_name(), self.extra_repr());
        if !children.is_empty() {
            out.push('\n');
            for child in children {
                for line in child.lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        out.push(')');
        out
    }

    /// The parameters with their dotted names (`weight`, `layers.0.bias`), in visiting order.
    fn named_parameters(&self) -> Vec<(String, Parameter)> {
        let mut named = Vec::new();
        self.visit(&mut Visitor::new(&mut |name, item| {
            if let Item::Parameter(p) = item {
                named.push((name.to_string(), p.clone()));
            }
            true
        }));
        named
    }

    /// The parameters, in the order of [`Module::named_parameters`].
    fn parameters(&self) -> Vec<Parameter> {
        self.named_parameters()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// The buffers with their dotted names, in visiting order.
    fn named_buffers(&self) -> Vec<(String, Buffer)> {
        let mut named = Vec::new();
        self.visit(&mut Visitor::new(&mut |name, item| {
            if let Item::Buffer(b) = item {
                named.push((name.to_string(), b.clone()));
            }
            true
        }));
        named
    }

    /// Every parameter and buffer by name, detached: what a state dict file holds.
    fn state_dict(&self) -> Vec<(String, Tensor)> {
        let mut entries = Vec::new();
        self.visit(&mut Visitor::new(&mut |name, item| {
            match item {
                Item::Parameter(p) => entries.push((name.to_string(), p.get().detach())),
                Item::Buffer(b) => entries.push((name.to_string(), b.get())),
                Item::Module(_) | Item::Mode(_) => {}
            }
            true
        }));
        entries
    }

    /// Puts this module and every sub-module in training (`true`) or evaluation mode
    /// (`module.train(mode)` in PyTorch).
    fn set_training(&self, training: bool) {
        self.visit(&mut Visitor::new(&mut |_, item| {
            if let Item::Mode(mode) = item {
                mode.set(training);
            }
            true
        }));
    }

    /// Converts every floating-point parameter and buffer to `dtype` (`module.double()` or
    /// `module.half()` in PyTorch); integer buffers keep theirs. Stops at the first error.
    fn to_dtype(&self, dtype: DType) -> Result<()> {
        let mut outcome = Ok(());
        self.visit(&mut Visitor::new(&mut |_, item| {
            if outcome.is_ok() {
                outcome = match item {
                    Item::Parameter(p) => p.0.convert(dtype, true),
                    Item::Buffer(b) if b.get().dtype().is_float() => b.0.convert(dtype, false),
                    Item::Buffer(_) | Item::Module(_) | Item::Mode(_) => Ok(()),
                };
            }
            outcome.is_ok()
        }));
        outcome
    }

    /// Training mode everywhere (`module.train()`).
    fn train(&self) {
        self.set_training(true);
    }

    /// Evaluation mode everywhere (`module.eval()`): dropout off, batch norm on its running
    /// statistics.
    fn eval(&self) {
        self.set_training(false);
    }
}
