//! mlx-sys: the C ABI of our shim over MLX's C++ API (`src/shim.cpp`), and a thin safe layer.
//!
//! Everything is behind the `ffi` feature; without it this crate is empty and builds nothing.
//!
//! Invariants of the boundary:
//! - Every shim function catches all C++ exceptions; errors come back as a nonzero code with the
//!   message (MLX's own, like `[matmul] Last dimension ...`) copied into our buffer. Nothing
//!   the shim is given can abort the process through an exception.
//! - An [`Array`] owns exactly one shim handle and frees it once on drop. Handles are only ever
//!   used by one MLX call at a time: every call goes through [`lock`] (MLX's graph and
//!   scheduler state is not meant to be driven from several threads at once).
//! - Bytes cross by copy: [`Array::from_host`] copies in, [`Array::copy_out`] evaluates and
//!   copies the row-major elements out. Dtype codes are mlx-rs's `Dtype` order.

#![cfg_attr(not(feature = "ffi"), allow(unused))]

#[cfg(feature = "ffi")]
mod safe;
#[cfg(feature = "ffi")]
pub use safe::*;

/// The raw declarations of `src/shim.cpp`.
#[cfg(feature = "ffi")]
pub mod raw {
    use std::ffi::{c_char, c_int, c_void};

    /// An MLX array owned by the shim (`new mlx::core::array`).
    #[repr(C)]
    pub struct mlxs_array {
        _private: [u8; 0],
    }

    extern "C" {
        pub fn mlxs_array_from_host(
            data: *const c_void,
            nbytes: usize,
            shape: *const i64,
            ndim: usize,
            dtype: c_int,
            out: *mut *mut mlxs_array,
            err: *mut c_char,
            err_len: usize,
        ) -> c_int;
        pub fn mlxs_array_free(a: *mut mlxs_array);
        pub fn mlxs_array_ndim(a: *const mlxs_array) -> c_int;
        pub fn mlxs_array_info(
            a: *const mlxs_array,
            shape: *mut i64,
            ndim: usize,
            dtype: *mut c_int,
            err: *mut c_char,
            err_len: usize,
        ) -> c_int;
        pub fn mlxs_array_copy_out(
            a: *mut mlxs_array,
            dst: *mut c_void,
            nbytes: usize,
            err: *mut c_char,
            err_len: usize,
        ) -> c_int;
        pub fn mlxs_op(
            op: *const c_char,
            inputs: *const *const mlxs_array,
            n_inputs: usize,
            ints: *const i64,
            n_ints: usize,
            floats: *const f64,
            n_floats: usize,
            out: *mut *mut mlxs_array,
            err: *mut c_char,
            err_len: usize,
        ) -> c_int;
    }
}
