//! Where a tensor's data lives and its kernels run.

use std::fmt;

/// A compute device. The CPU path runs ndarray-backed kernels and is the numerical reference.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Device {
    /// The host CPU.
    Cpu,
}

impl Device {
    /// The host CPU.
    pub fn cpu() -> Device {
        Device::Cpu
    }

    /// The fastest device available. Until the GPU backend lands this is always the CPU.
    pub fn best() -> Device {
        Device::Cpu
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
        }
    }
}
