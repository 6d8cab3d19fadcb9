//! A module's parameters to and from `.npz` files that numpy reads as they are.

use std::path::Path;

use super::Module;
use crate::error::{Error, Result};
use crate::export::npz;

/// Saves every parameter of `module` under its name (`np.load(path)["layers.0.weight"]`).
pub fn save_state_dict(path: impl AsRef<Path>, module: &impl Module) -> Result<()> {
    let named: Vec<(String, crate::Tensor)> = module
        .named_parameters()
        .into_iter()
        .map(|(n, p)| (n, p.get().detach()))
        .collect();
    let pairs: Vec<(&str, &crate::Tensor)> = named.iter().map(|(n, t)| (n.as_str(), t)).collect();
    npz::save(path, &pairs)
}

/// Loads every parameter of `module` from `path`, which must hold each of them by name with the
/// same shape and dtype; values move to each parameter's device. Everything is checked before
/// anything changes: on an error the module is as it was.
pub fn load_state_dict(path: impl AsRef<Path>, module: &impl Module) -> Result<()> {
    let path = path.as_ref();
    let invalid = |message: String| Error::InvalidFile {
        path: path.to_path_buf(),
        message,
    };
    let mut arrays = npz::load(path, &crate::Device::Cpu)?;
    let mut updates = Vec::new();
    for (name, parameter) in module.named_parameters() {
        let position = arrays.iter().position(|(n, _)| *n == name).ok_or_else(|| {
            invalid(format!(
                "no array named {name:?} for the module's parameter"
            ))
        })?;
        let (_, value) = arrays.swap_remove(position);
        let current = parameter.get();
        if value.shape() != current.shape() || value.dtype() != current.dtype() {
            return Err(invalid(format!(
                "{name} is {:?} ({}) in the file but {:?} ({}) in the module",
                value.shape(),
                value.dtype(),
                current.shape(),
                current.dtype()
            )));
        }
        updates.push((parameter, value));
    }
    updates
        .into_iter()
        .try_for_each(|(parameter, value)| parameter.set(&value))
}
