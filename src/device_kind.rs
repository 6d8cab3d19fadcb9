//! Which kind of device something is about, for the layers below the device itself (errors,
//! allocation) to name it without holding a GPU context.

use std::fmt;

/// The kind of a [`crate::Device`]: what errors name (`cpu` or `gpu`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    /// The host CPU.
    Cpu,
    /// A GPU adapter.
    Gpu,
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Gpu => "gpu",
        })
    }
}
