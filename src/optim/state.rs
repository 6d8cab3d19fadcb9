//! The running state optimizers keep per parameter, by name, and its `.npz` form.

use std::path::Path;

use super::Optimizer;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::export::npz;
use crate::nn::Parameter;
use crate::tensor::Tensor;

/// Per parameter, the running tensors named `names` (none before the first step that reached
/// it), and the number of steps taken.
pub(crate) struct Slots {
    names: &'static [&'static str],
    pub(crate) running: Vec<Option<Vec<Tensor>>>,
    pub(crate) steps: u64,
}

impl Slots {
    pub(crate) fn new(names: &'static [&'static str], parameters: usize) -> Slots {
        Slots {
            names,
            running: vec![None; parameters],
            steps: 0,
        }
    }

    /// `step`, `lr` and `{i}.{name}` for every running tensor.
    pub(crate) fn entries(&self, lr: f64) -> Result<Vec<(String, Tensor)>> {
        let steps = i64::try_from(self.steps).unwrap_or(i64::MAX);
        let mut entries = vec![
            (
                "step".to_string(),
                Tensor::from_vec(vec![steps], &[], &Device::Cpu)?,
            ),
            (
                "lr".to_string(),
                Tensor::from_vec(vec![lr], &[], &Device::Cpu)?,
            ),
        ];
        for (i, running) in self.running.iter().enumerate() {
            for (name, value) in self.names.iter().zip(running.iter().flatten()) {
                entries.push((format!("{i}.{name}"), value.detach()));
            }
        }
        Ok(entries)
    }

    /// Replaces the state with `entries` (as [`Slots::entries`] gave them, for `parameters`)
    /// and returns the learning rate they hold, after checking everything.
    pub(crate) fn load(
        &mut self,
        parameters: &[Parameter],
        mut entries: Vec<(String, Tensor)>,
    ) -> Result<f64> {
        let invalid = |message: String| Error::InvalidArgument {
            op: "Optimizer::load_state",
            message,
        };
        let mut take = |name: &str| {
            let at = entries.iter().position(|(n, _)| n == name)?;
            Some(entries.swap_remove(at).1)
        };
        // Each a one-element tensor, read in its own kind: the step count exactly as an integer.
        let scalar = |value: Option<Tensor>, name: &str, dtype: DType| -> Result<Tensor> {
            match value {
                Some(t) if t.numel() == 1 => t.to_dtype(dtype),
                _ => Err(invalid(format!("the state has no scalar {name:?}"))),
            }
        };
        let steps = scalar(take("step"), "step", DType::I64)?.item::<i64>()?;
        let lr = scalar(take("lr"), "lr", DType::F64)?.item::<f64>()?;
        let mut running = Vec::with_capacity(parameters.len());
        for (i, parameter) in parameters.iter().enumerate() {
            let p = parameter.get();
            let found: Vec<Option<Tensor>> = self
                .names
                .iter()
                .map(|name| take(&format!("{i}.{name}")))
                .collect();
            if found.iter().all(Option::is_none) {
                running.push(None);
                continue;
            }
            let mut values = Vec::with_capacity(found.len());
            for (name, value) in self.names.iter().zip(found) {
                match value {
                    Some(v) if v.shape() == p.shape() && v.dtype() == p.dtype() => {
                        values.push(v.to(&p.device())?)
                    }
                    Some(v) => {
                        return Err(invalid(format!(
                            "{i}.{name} is {:?} {} but parameter {i} is {:?} {}",
                            v.shape(),
                            v.dtype(),
                            p.shape(),
                            p.dtype()
                        )));
                    }
                    None => return Err(invalid(format!("the state lacks {i}.{name}"))),
                }
            }
            running.push(Some(values));
        }
        if let Some((name, _)) = entries.first() {
            return Err(invalid(format!(
                "the state has {name:?}, which this optimizer over {} parameters does not know",
                parameters.len()
            )));
        }
        let steps = u64::try_from(steps)
            .map_err(|_| invalid(format!("the step count {steps} is negative")))?;
        self.running = running;
        self.steps = steps;
        Ok(lr)
    }
}

/// Saves `optimizer`'s state to `path` (`.npz`, atomically).
pub fn save_state(path: impl AsRef<Path>, optimizer: &(impl Optimizer + ?Sized)) -> Result<()> {
    let entries = optimizer.state()?;
    let pairs: Vec<(&str, &Tensor)> = entries.iter().map(|(n, t)| (n.as_str(), t)).collect();
    npz::save(path, &pairs)
}

/// Restores `optimizer`'s state from `path`, all or nothing.
pub fn load_state(path: impl AsRef<Path>, optimizer: &mut (impl Optimizer + ?Sized)) -> Result<()> {
    let path = path.as_ref();
    let entries = npz::load(path, &Device::Cpu)?;
    optimizer
        .load_state(entries)
        .map_err(|e| Error::InvalidFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}
