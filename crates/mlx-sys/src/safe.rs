//! Safe wrappers over [`crate::raw`]: an owning [`Array`] handle and [`op`].

use std::ffi::{c_char, c_int, CString};
use std::sync::{Mutex, MutexGuard};

use crate::raw;

const ERR_LEN: usize = 2048;
static MLX: Mutex<()> = Mutex::new(());

/// Serializes MLX calls. Hold the guard across a whole graph (build and copy out).
pub fn lock() -> MutexGuard<'static, ()> {
    MLX.lock().unwrap_or_else(|e| e.into_inner())
}

/// Calls `f` with an error buffer and turns a nonzero return into the copied message.
fn check(f: impl FnOnce(*mut c_char, usize) -> c_int) -> Result<(), String> {
    let mut err = vec![0u8; ERR_LEN];
    let code = f(err.as_mut_ptr().cast(), ERR_LEN);
    if code == 0 {
        return Ok(());
    }
    let end = err.iter().position(|&b| b == 0).unwrap_or(err.len());
    let msg = String::from_utf8_lossy(&err[..end]).into_owned();
    Err(if msg.is_empty() { format!("[mlx-sys] error code {code}") } else { msg })
}

/// An MLX array (lazy until [`Array::copy_out`]).
pub struct Array {
    ptr: *mut raw::mlxs_array,
}

// SAFETY: the handle is a heap `mlx::core::array`, not tied to the creating thread; MLX calls on
// it are serialized by `lock()` in every user of this crate (mlx-ffi), and `Drop` frees it once.
unsafe impl Send for Array {}

impl Drop for Array {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from the shim (non-null, checked at creation) and is freed only here.
        unsafe { raw::mlxs_array_free(self.ptr) }
    }
}

impl Array {
    fn from_raw(ptr: *mut raw::mlxs_array) -> Result<Array, String> {
        if ptr.is_null() {
            return Err("[mlx-sys] the shim returned a null array".to_string());
        }
        Ok(Array { ptr })
    }

    /// A new MLX array holding a copy of `bytes` (row-major elements of `dtype`, a mlx-rs
    /// `Dtype` code) with `shape`.
    pub fn from_host(bytes: &[u8], shape: &[usize], dtype: i32) -> Result<Array, String> {
        let dims: Vec<i64> = shape.iter().map(|&d| i64::try_from(d).unwrap_or(i64::MAX)).collect();
        let mut out: *mut raw::mlxs_array = std::ptr::null_mut();
        check(|err, len| {
            // SAFETY: `bytes` and `dims` are valid for the lengths passed; the shim copies the
            // bytes before returning and writes one handle to `out`.
            unsafe {
                raw::mlxs_array_from_host(
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    dims.as_ptr(),
                    dims.len(),
                    dtype,
                    &mut out,
                    err,
                    len,
                )
            }
        })?;
        Array::from_raw(out)
    }

    /// Shape and dtype code.
    pub fn info(&self) -> Result<(Vec<usize>, i32), String> {
        // SAFETY: `ptr` is a live handle.
        let ndim = unsafe { raw::mlxs_array_ndim(self.ptr) };
        let mut dims = vec![0i64; usize::try_from(ndim).unwrap_or(0)];
        let mut dtype: c_int = -1;
        check(|err, len| {
            // SAFETY: `dims` has exactly `ndim` entries, as the shim checks.
            unsafe { raw::mlxs_array_info(self.ptr, dims.as_mut_ptr(), dims.len(), &mut dtype, err, len) }
        })?;
        Ok((dims.into_iter().map(|d| usize::try_from(d).unwrap_or(0)).collect(), dtype))
    }

    /// Evaluates the array and copies its row-major elements into `dst`, which must have exactly
    /// the array's byte size.
    pub fn copy_out(&mut self, dst: &mut [u8]) -> Result<(), String> {
        check(|err, len| {
            // SAFETY: `dst` is valid for `dst.len()` writable bytes; the shim checks the size.
            unsafe { raw::mlxs_array_copy_out(self.ptr, dst.as_mut_ptr().cast(), dst.len(), err, len) }
        })
    }
}

/// Builds MLX op `name` of `inputs` with integer and float parameters (their meaning per op is
/// documented in the shim's op table).
pub fn op(name: &str, inputs: &[&Array], ints: &[i64], floats: &[f64]) -> Result<Array, String> {
    let cname = CString::new(name).map_err(|_| format!("[mlx-sys] bad op name {name:?}"))?;
    let ptrs: Vec<*const raw::mlxs_array> = inputs.iter().map(|a| a.ptr.cast_const()).collect();
    let mut out: *mut raw::mlxs_array = std::ptr::null_mut();
    check(|err, len| {
        // SAFETY: every pointer is valid for the length passed alongside it; input handles are
        // live for the call (borrowed); the shim writes one handle to `out` on success.
        unsafe {
            raw::mlxs_op(
                cname.as_ptr(),
                ptrs.as_ptr(),
                ptrs.len(),
                ints.as_ptr(),
                ints.len(),
                floats.as_ptr(),
                floats.len(),
                &mut out,
                err,
                len,
            )
        }
    })?;
    Array::from_raw(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const F32: i32 = 11;

    fn f32s(v: &[f32], shape: &[usize]) -> Array {
        Array::from_host(bytemuck_f32(v), shape, F32).unwrap()
    }
    fn bytemuck_f32(v: &[f32]) -> &[u8] {
        // SAFETY: f32 has no padding and any byte is a valid u8; the slice covers exactly v.
        unsafe { std::slice::from_raw_parts(v.as_ptr().cast(), std::mem::size_of_val(v)) }
    }

    #[test]
    fn add_round_trip() {
        let _g = lock();
        let a = f32s(&[1.0, 2.0, 3.0], &[3]);
        let b = f32s(&[10.0, 20.0, 30.0], &[3]);
        let mut c = op("add", &[&a, &b], &[], &[]).unwrap();
        assert_eq!(c.info().unwrap(), (vec![3], F32));
        let mut out = [0u8; 12];
        c.copy_out(&mut out).unwrap();
        let vals: Vec<f32> = out.chunks(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        assert_eq!(vals, vec![11.0, 22.0, 33.0]);
    }

    #[test]
    fn cpp_exceptions_become_errors() {
        let _g = lock();
        let a = f32s(&[0.0; 6], &[2, 3]);
        let b = f32s(&[0.0; 20], &[4, 5]);
        let e = op("matmul", &[&a, &b], &[], &[]).err().unwrap();
        assert!(e.starts_with("[matmul]"), "{e}");
        // Wrong sizes, unknown ops and dtypes are errors too, and the process goes on.
        assert!(Array::from_host(&[0u8; 3], &[2], F32).is_err());
        assert!(Array::from_host(&[0u8; 4], &[1], 99).is_err());
        assert!(op("no_such_op", &[&a], &[], &[]).is_err());
        assert!(op("add", &[&a], &[], &[]).is_err());
        let mut c = op("add", &[&a, &a], &[], &[]).unwrap();
        assert!(c.copy_out(&mut [0u8; 5]).is_err());
        assert!(c.copy_out(&mut [0u8; 24]).is_ok());
    }

    #[test]
    fn broadcast_results_come_out_row_major() {
        let _g = lock();
        let a = f32s(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        // broadcast + transpose-free check: a sum keeps dims, then broadcasting add.
        let s = op("sum", &[&a], &[0], &[]).unwrap();
        let mut r = op("add", &[&a, &s], &[], &[]).unwrap();
        let mut out = [0u8; 24];
        r.copy_out(&mut out).unwrap();
        let vals: Vec<f32> = out.chunks(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        assert_eq!(vals, vec![6.0, 9.0, 12.0, 9.0, 12.0, 15.0]);
    }
}
