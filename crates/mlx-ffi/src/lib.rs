//! mlx-ffi: an [`mlx_ops::Backend`] that evaluates every primitive with the real MLX, through
//! the C ABI shim of `mlx-sys`. It serves as `Device::Ffi` and is the other side of the
//! differential tests against `mlx-cpu` (`tests/differential.rs`).
//!
//! Everything is behind the `ffi` feature (off by default, so the default workspace build needs
//! no C++ compiler and no Python): `cargo test -p mlx-ffi --features ffi`. MLX is found as the
//! `mlx-sys` build script says (`MLX_DIR`, or `python3 -c "import mlx"`).
//!
//! ```ignore
//! mlx_ffi::register();                                   // Device::Ffi is now the real MLX
//! mlx_core::set_default_device(mlx_core::Device::Ffi);   // new arrays are evaluated by MLX
//! ```
//!
//! Invariants: data crosses by copy (strided inputs are made row-contiguous on our side first,
//! results are copied into fresh host buffers with a row-major layout); one MLX call at a time
//! (`mlx_sys::lock`); every error MLX raises comes back as `Error::Runtime` with MLX's message
//! (`[matmul] Last dimension ...`), never as a crash.

#[cfg(feature = "ffi")]
mod backend;
#[cfg(feature = "ffi")]
pub use backend::{register, FfiBackend};

/// Whether this build can call MLX (the `ffi` feature).
pub const ENABLED: bool = cfg!(feature = "ffi");
