//! Building blocks for models: the [`Module`] trait and the tensors modules hold, layers with
//! PyTorch's names and parameter layouts, containers, and state dicts saved as `.npz`.
//!
//! A module shows what it holds through [`Module::visit`]; from that alone come dotted
//! parameter names, train/eval mode for every sub-layer, state dicts and a printed structure.
//! Layers draw their initial weights from the default generator, so [`crate::manual_seed`]
//! fixes a whole model and two layers created one after the other differ.

mod activation;
mod attention;
mod conv;
mod dropout;
mod embedding;
mod linear;
mod module;
mod norm;
mod sequential;
mod state_dict;

use std::fmt;

pub use activation::{Activation, Flatten};
pub use attention::MultiheadAttention;
pub use conv::{AvgPool2d, Conv2d, MaxPool2d};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use linear::Linear;
pub use module::{Buffer, Item, Mode, Module, Parameter, Visitor};
pub use norm::{BatchNorm, BatchNorm1d, BatchNorm2d, LayerNorm};
pub use sequential::{Mlp, Sequential};
pub use state_dict::{LoadReport, load_state_dict, load_state_dict_partial, save_state_dict};

/// `Debug` for the built-in layers prints their structure as PyTorch prints a module.
macro_rules! debug_as_repr {
    ($([$($generic:tt)*] $layer:ty),* $(,)?) => {$(
        impl<$($generic)*> fmt::Debug for $layer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.repr())
            }
        }
    )*};
}

debug_as_repr!(
    [] Linear,
    [] Flatten,
    [] MultiheadAttention,
    [] Conv2d,
    [] MaxPool2d,
    [] AvgPool2d,
    [] Dropout,
    [] Embedding,
    [] LayerNorm,
    [] Sequential,
    [] Mlp,
    [const D: usize] BatchNorm<D>,
);
