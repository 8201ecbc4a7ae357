//! Replay arms for `mx.fft` (family of golden/generate_fft.py; ops are named "fft.<name>").

use mlx_core::fft::{self, FftNorm, IstftOptions, StftOptions};
use mlx_core::{self as mx, Tensor};
use serde_json::Value;

use super::{harness, i32_list, int_param, shape_of, size_of, tensor, Input, Step};

fn opt_usize(p: &Value, key: &str) -> Step<Option<usize>> {
    if p[key].is_null() {
        Ok(None)
    } else {
        size_of(int_param(p, key)?, key).map(Some)
    }
}

fn opt_bool(p: &Value, key: &str) -> Option<bool> {
    p[key].as_bool()
}

fn opt_list(p: &Value, key: &str) -> Step<Option<Vec<i32>>> {
    if p[key].is_null() {
        Ok(None)
    } else {
        i32_list(&p[key]).map(Some)
    }
}

pub fn dispatch(op: &str, p: &Value, xs: &[Input]) -> Step<mx::Result<Vec<Tensor>>> {
    let Some(name) = op.strip_prefix("fft.") else { return harness(format!("not an fft op: {op}")) };
    let x = || tensor(xs, 0);
    // An invalid norm name is MLX's error: ours comes from `from_name`.
    let norm = || -> Step<mx::Result<FftNorm>> {
        Ok(FftNorm::from_name(name, p["norm"].as_str().unwrap_or("?")))
    };
    let one = |r: mx::Result<Tensor>| Ok(r.map(|t| vec![t]));
    macro_rules! norm_or_err {
        () => {
            match norm()? {
                Ok(n) => n,
                Err(e) => return Ok(Err(e)),
            }
        };
    }
    match name {
        "fft" | "ifft" | "rfft" | "irfft" => {
            let nrm = norm_or_err!();
            let n = opt_usize(p, "n")?;
            let axis = int_param(p, "axis")? as i32;
            let f = match name {
                "fft" => fft::fft,
                "ifft" => fft::ifft,
                "rfft" => fft::rfft,
                _ => fft::irfft,
            };
            one(f(x()?, n, axis, nrm))
        }
        "fft2" | "ifft2" | "rfft2" | "irfft2" | "fftn" | "ifftn" | "rfftn" | "irfftn" => {
            let nrm = norm_or_err!();
            let s = if p["s"].is_null() { None } else { Some(shape_of(&p["s"])?) };
            let axes = opt_list(p, "axes")?;
            if name.ends_with('2') {
                // fft2's axes are required in our API (MLX's default [-2, -1] is spelled out).
                let Some(axes) = axes else { return harness("fft2 case without axes") };
                let f = match name {
                    "fft2" => fft::fft2,
                    "ifft2" => fft::ifft2,
                    "rfft2" => fft::rfft2,
                    _ => fft::irfft2,
                };
                one(f(x()?, s.as_deref(), &axes, nrm))
            } else {
                let f = match name {
                    "fftn" => fft::fftn,
                    "ifftn" => fft::ifftn,
                    "rfftn" => fft::rfftn,
                    _ => fft::irfftn,
                };
                one(f(x()?, s.as_deref(), axes.as_deref(), nrm))
            }
        }
        "fftshift" | "ifftshift" => {
            let axes = match p["axes"].as_i64() {
                Some(a) => Some(vec![a as i32]),
                None => opt_list(p, "axes")?,
            };
            let f = if name == "fftshift" { fft::fftshift } else { fft::ifftshift };
            one(f(x()?, axes.as_deref()))
        }
        "fftfreq" | "rfftfreq" => {
            let n = size_of(int_param(p, "n")?, "n")?;
            let d = p["d"].as_f64().map_or_else(|| harness("d is not a number"), Ok)?;
            one(if name == "fftfreq" { fft::fftfreq(n, d) } else { fft::rfftfreq(n, d) })
        }
        "stft" => {
            let nrm = norm_or_err!();
            let window = if opt_bool(p, "window") == Some(true) { Some(tensor(xs, 1)?.clone()) } else { None };
            let opts = StftOptions {
                n_fft: size_of(int_param(p, "n_fft")?, "n_fft")?,
                hop_length: opt_usize(p, "hop_length")?,
                win_length: opt_usize(p, "win_length")?,
                window,
                center: opt_bool(p, "center").unwrap_or(true),
                pad_mode: p["pad_mode"].as_str().unwrap_or("reflect").to_string(),
                norm: nrm,
                onesided: opt_bool(p, "onesided"),
            };
            one(fft::stft(x()?, &opts))
        }
        "istft" => {
            let nrm = norm_or_err!();
            let window = if opt_bool(p, "window") == Some(true) { Some(tensor(xs, 1)?.clone()) } else { None };
            let opts = IstftOptions {
                n_fft: opt_usize(p, "n_fft")?,
                hop_length: opt_usize(p, "hop_length")?,
                win_length: opt_usize(p, "win_length")?,
                window,
                center: opt_bool(p, "center").unwrap_or(true),
                norm: nrm,
                onesided: opt_bool(p, "onesided"),
                length: opt_usize(p, "length")?,
            };
            one(fft::istft(x()?, &opts))
        }
        _ => harness(format!("op `{op}` is not replayed by this harness")),
    }
}

/// `random.permutation` (family "permutation" of golden/generate_fft.py): input 0 the key,
/// input 1 the array when `n` is null.
pub fn permutation(p: &Value, xs: &[Input]) -> Step<mx::Result<Vec<Tensor>>> {
    let key = tensor(xs, 0)?;
    let axis = int_param(p, "axis")? as i32;
    let r = if p["n"].is_null() {
        mx::random::permutation(tensor(xs, 1)?, axis, Some(key))
    } else {
        mx::random::permutation(size_of(int_param(p, "n")?, "n")?, axis, Some(key))
    };
    Ok(r.map(|t| vec![t]))
}
