//! A module's parameters and buffers to and from `.npz` files that numpy reads as they are,
//! under PyTorch's names, so that a state dict maps one-to-one.

use std::path::Path;

use super::{Buffer, Item, Module, Parameter, Visitor};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::export::{npz, safetensors};
use crate::tensor::Tensor;

/// What a non-strict load left alone: the module's entries the file lacked, and the file's
/// entries the module has no place for (`missing_keys` and `unexpected_keys` in PyTorch).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
}

/// Whether `path` names a `.safetensors` file rather than an `.npz` one.
fn is_safetensors(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "safetensors")
}

/// Saves every parameter and buffer of `module` under its name, atomically: as `.safetensors`
/// when `path` ends so (bf16 included), else as `.npz` (`np.load(path)["layers.0.weight"]`).
pub fn save_state_dict(path: impl AsRef<Path>, module: &(impl Module + ?Sized)) -> Result<()> {
    let path = path.as_ref();
    let entries = module.state_dict();
    let pairs: Vec<(&str, &Tensor)> = entries.iter().map(|(n, t)| (n.as_str(), t)).collect();
    if is_safetensors(path) {
        safetensors::save(path, &pairs)
    } else {
        npz::save(path, &pairs)
    }
}

/// Loads every parameter and buffer of `module` from `path` (`.safetensors` or `.npz`, by its
/// extension; values move to each one's device).
/// Strict, as PyTorch's default: a missing, unexpected, misshaped or mistyped entry is one
/// error that lists them all, and then nothing changes.
pub fn load_state_dict(path: impl AsRef<Path>, module: &(impl Module + ?Sized)) -> Result<()> {
    load(path.as_ref(), module, true).map(drop)
}

/// Loads the entries of `path` that `module` has and reports the rest (`strict=False`). An
/// entry whose shape or dtype differs is still an error, and then nothing changes.
pub fn load_state_dict_partial(
    path: impl AsRef<Path>,
    module: &(impl Module + ?Sized),
) -> Result<LoadReport> {
    load(path.as_ref(), module, false)
}

fn load(path: &Path, module: &(impl Module + ?Sized), strict: bool) -> Result<LoadReport> {
    let entries = if is_safetensors(path) {
        safetensors::load(path, &Device::Cpu)?
    } else {
        npz::load(path, &Device::Cpu)?
    };
    apply(module, entries, strict).map_err(|problems| Error::InvalidFile {
        path: path.to_path_buf(),
        message: format!(
            "does not fit the module, nothing was loaded: {}",
            problems.join("; ")
        ),
    })
}

/// Sets `module`'s parameters and buffers from `entries` by name once every check has passed;
/// otherwise the list of problems.
fn apply(
    module: &(impl Module + ?Sized),
    mut entries: Vec<(String, Tensor)>,
    strict: bool,
) -> std::result::Result<LoadReport, Vec<String>> {
    let mut report = LoadReport::default();
    let mut problems = Vec::new();
    let mut updates = Vec::new();
    module.visit(&mut Visitor::new(&mut |name, item| {
        let target = match item {
            Item::Parameter(p) => Target::Parameter(p.clone()),
            Item::Buffer(b) => Target::Buffer(b.clone()),
            Item::Module(_) | Item::Mode(_) => return true,
        };
        let current = target.get();
        let Some(position) = entries.iter().position(|(n, _)| n == name) else {
            report.missing.push(name.to_string());
            return true;
        };
        let (_, value) = entries.swap_remove(position);
        if value.shape() != current.shape() || value.dtype() != current.dtype() {
            problems.push(format!(
                "{name} is {:?} {} in the file but {:?} {} in the module",
                value.shape(),
                value.dtype(),
                current.shape(),
                current.dtype()
            ));
        } else {
            updates.push((target, value));
        }
        true
    }));
    report.unexpected = entries.into_iter().map(|(n, _)| n).collect();
    if strict {
        problems.extend(report.missing.iter().map(|n| format!("missing {n}")));
        problems.extend(report.unexpected.iter().map(|n| format!("unexpected {n}")));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for (target, value) in updates {
        target.set(&value).map_err(|e| vec![e.to_string()])?;
    }
    Ok(report)
}

/// A module's tensor that a state dict sets.
enum Target {
    Parameter(Parameter),
    Buffer(Buffer),
}

impl Target {
    fn get(&self) -> Tensor {
        match self {
            Target::Parameter(p) => p.get(),
            Target::Buffer(b) => b.get(),
        }
    }

    fn set(&self, value: &Tensor) -> Result<()> {
        match self {
            Target::Parameter(p) => p.set(value),
            Target::Buffer(b) => b.set(value),
        }
    }
}
