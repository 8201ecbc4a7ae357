//! `Display` in the style of MLX's repr: `array([[1, 2],\n       [3, 4]], dtype=int32)`.
//! Floats print with 6 significant digits like C++ streams (`1`, `0.5`, `-2.47227`, `1e+10`);
//! arrays over 1,000 elements are summarized with `...` (3 items at each edge).

use std::fmt;
use std::sync::atomic::{AtomicI32, Ordering};

use mlx_ops::{Dtype, C64};

use crate::{astype, Tensor};

// ---- elemops: print options (issue #3) ----------------------------------------------------

/// Decimal places of printed floats; negative: the default 6 significant digits.
static PRECISION: AtomicI32 = AtomicI32::new(-1);

/// The global print options (`mx.get_printoptions()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintOptions {
    /// Decimal places of floats (fixed notation); `-1` for the default general format.
    pub precision: i32,
}

/// Sets the global print precision (`mx.set_printoptions`): `precision >= 0` prints floats in
/// fixed notation with that many decimals (`1.000`, `12345679.000`); negative restores the
/// default (6 significant digits).
pub fn set_printoptions(precision: i32) {
    PRECISION.store(precision, Ordering::Relaxed);
}

/// The global print options (`mx.get_printoptions`).
pub fn get_printoptions() -> PrintOptions {
    PrintOptions { precision: PRECISION.load(Ordering::Relaxed) }
}

/// Restores the previous print options when dropped (returned by [`printoptions`]).
#[must_use = "the options are restored when this guard is dropped"]
pub struct PrintOptionsGuard {
    previous: i32,
}

impl Drop for PrintOptionsGuard {
    fn drop(&mut self) {
        set_printoptions(self.previous);
    }
}

/// Sets the print precision until the returned guard is dropped (`with mx.printoptions(...)`).
pub fn printoptions(precision: i32) -> PrintOptionsGuard {
    let previous = get_printoptions().precision;
    set_printoptions(precision);
    PrintOptionsGuard { previous }
}

/// A float as MLX prints it under `precision` (see [`set_printoptions`]).
fn fmt_float(v: f64, precision: i32) -> String {
    if precision < 0 || !v.is_finite() {
        return fmt_g(v);
    }
    format!("{:.*}", precision as usize, v)
}

/// C++ `%g`-style formatting with 6 significant digits.
fn fmt_g(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let exp = v.abs().log10().floor() as i32;
    let sci = format!("{:.5e}", v);
    let (mant, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let e: i32 = e.parse().unwrap_or(exp);
    if !(-5..6).contains(&e) {
        let mant = trim_zeros(mant);
        return format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = (5 - e).max(0) as usize;
    trim_zeros(&format!("{:.*}", decimals, v)).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Every element as text, row-major.
fn element_strings(t: &Tensor) -> Result<Vec<String>, mlx_ops::Error> {
    let p = get_printoptions().precision;
    let fmt_g = |v: f64| fmt_float(v, p);
    Ok(match t.dtype() {
        Dtype::Bool => t.to_vec::<bool>()?.iter().map(|&b| if b { "True" } else { "False" }.to_string()).collect(),
        Dtype::Complex64 => t
            .to_vec::<C64>()?
            .iter()
            .map(|z| format!("{}{}{}j", fmt_g(z.re as f64), if z.im < 0.0 { "-" } else { "+" }, fmt_g(z.im.abs() as f64)))
            .collect(),
        d if d.is_floating() => astype(t, Dtype::Float64)?.to_vec::<f64>()?.iter().map(|&v| fmt_g(v)).collect(),
        Dtype::Uint64 => t.to_vec::<u64>()?.iter().map(|v| v.to_string()).collect(),
        _ => astype(t, Dtype::Int64)?.to_vec::<i64>()?.iter().map(|v| v.to_string()).collect(),
    })
}

fn write_nested(out: &mut String, items: &[String], shape: &[usize], indent: usize, summarize: bool) {
    if shape.is_empty() {
        out.push_str(&items[0]);
        return;
    }
    out.push('[');
    let n = shape[0];
    let inner: usize = shape[1..].iter().product();
    let sep = if shape.len() == 1 { ", ".to_string() } else { format!(",{}{}", "\n".repeat(shape.len() - 1), " ".repeat(indent + 1)) };
    let show: Vec<Option<usize>> = if summarize && n > 6 {
        (0..3).map(Some).chain([None]).chain((n - 3..n).map(Some)).collect()
    } else {
        (0..n).map(Some).collect()
    };
    for (k, i) in show.iter().enumerate() {
        if k > 0 {
            out.push_str(&sep);
        }
        match i {
            Some(i) => write_nested(out, &items[i * inner..(i + 1) * inner], &shape[1..], indent + 1, summarize),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = match element_strings(self) {
            Ok(items) => items,
            Err(e) => return write!(f, "array(<error: {e}>, dtype={})", self.dtype()),
        };
        let mut body = String::new();
        if self.size() == 0 {
            body.push_str("[]");
        } else {
            write_nested(&mut body, &items, self.shape(), "array(".len(), self.size() > 1000);
        }
        write!(f, "array({body}, dtype={})", self.dtype())
    }
}

#[cfg(test)]
mod tests {
    use super::{fmt_float, fmt_g};

    #[test]
    fn fixed_precision() {
        // mx.set_printoptions(precision=3): [1.000, 2.123, 0.000, 12345679.000, nan, -0.500]
        let got: Vec<String> =
            [1.0, 2.123_456_7_f32 as f64, 1e-8, 12345678.9f32 as f64, f64::NAN, -0.5].iter().map(|&v| fmt_float(v, 3)).collect();
        assert_eq!(got, ["1.000", "2.123", "0.000", "12345679.000", "nan", "-0.500"]);
        // precision=0: [1, 2, 0, 12345679, nan, -0]
        assert_eq!(fmt_float(-0.5, 0), "-0");
        assert_eq!(fmt_float(2.123, 0), "2");
        assert_eq!(fmt_float(2.123, -1), "2.123");
    }

    #[test]
    fn general_format() {
        assert_eq!(fmt_g(1.0), "1");
        assert_eq!(fmt_g(-0.289754), "-0.289754");
        assert_eq!(fmt_g(2.472271), "2.47227");
        assert_eq!(fmt_g(1e10), "1e+10");
        assert_eq!(fmt_g(1.5e-7), "1.5e-07");
        assert_eq!(fmt_g(123456.7), "123457");
        assert_eq!(fmt_g(0.0001), "0.0001");
    }
}
