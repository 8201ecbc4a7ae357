//! Devices and the backend registry. CPU (the native `mlx-cpu` backend) is registered from the
//! start and is the default; other backends register themselves per device.
//!
//! `Device::Ffi` is the real MLX, evaluated through the `mlx-ffi` crate (feature `ffi`):
//! `mlx_ffi::register()` installs it, then `set_default_device(Device::Ffi)` (or building from
//! inputs on it) sends work there. It is a device of its own, not `Gpu`, so that `Gpu` stays free
//! for GPU backends and CPU and MLX can be compared side by side in one process.

use std::sync::{Arc, RwLock};

use mlx_ops::{Backend, Error, Result};

/// Where arrays are evaluated (`mx.cpu`, `mx.gpu`, and the real MLX through FFI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
    Gpu,
    /// MLX's own C++ implementation, through `mlx-ffi` (no backend until it registers one).
    Ffi,
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Device::Cpu => "cpu",
            Device::Gpu => "gpu",
            Device::Ffi => "ffi",
        })
    }
}

struct Registry {
    default: Device,
    backends: Vec<(Device, Arc<dyn Backend>)>,
}

static REGISTRY: RwLock<Option<Registry>> = RwLock::new(None);

fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut guard = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let reg = guard.get_or_insert_with(|| Registry {
        default: Device::Cpu,
        backends: vec![(Device::Cpu, Arc::new(mlx_cpu::CpuBackend) as Arc<dyn Backend>)],
    });
    f(reg)
}

/// The device new arrays are placed on (`mx.default_device()`).
pub fn default_device() -> Device {
    with_registry(|r| r.default)
}

/// Sets the device new arrays are placed on (`mx.set_default_device`).
pub fn set_default_device(device: Device) {
    with_registry(|r| r.default = device)
}

/// Makes `backend` evaluate the arrays of `device`, replacing any earlier one.
pub fn register_backend(device: Device, backend: Arc<dyn Backend>) {
    with_registry(|r| {
        r.backends.retain(|(d, _)| *d != device);
        r.backends.push((device, backend));
    })
}

/// The backend of `device`.
pub fn backend_for(device: Device) -> Result<Arc<dyn Backend>> {
    with_registry(|r| r.backends.iter().find(|(d, _)| *d == device).map(|(_, b)| b.clone()))
        .ok_or_else(|| Error::invalid("eval", format!("No backend is registered for device {device}.")))
}
