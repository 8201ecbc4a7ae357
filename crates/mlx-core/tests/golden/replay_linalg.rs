//! Replay arms for `mlx.core.linalg` (golden/generate_linalg.py, ops "linalg.<name>").
//! Non-unique results (singular vectors, eigenvectors, the order of general eigenvalues) are
//! compared through the same derived quantities the generator records (see its docstring).

use mlx_core::{self as mx, linalg as la, Tensor, C64};
use serde_json::Value;

use super::{harness, i32_list, int_param, tensor, Input, Step};

pub fn is_linalg(op: &str) -> bool {
    op.starts_with("linalg.")
}

fn flag(p: &Value, key: &str) -> Step<bool> {
    p[key].as_bool().map_or_else(|| harness(format!("{key} is not a bool")), Ok)
}

fn uplo(p: &Value) -> Step<String> {
    p["uplo"].as_str().map(str::to_string).map_or_else(|| harness("uplo is not a string"), Ok)
}

fn ord(p: &Value) -> Step<la::NormOrd> {
    let o = &p["ord"];
    Ok(match o.as_str() {
        Some("fro") => la::NormOrd::Fro,
        Some("nuc") => la::NormOrd::Nuc,
        Some("inf") => la::NormOrd::P(f64::INFINITY),
        Some("-inf") => la::NormOrd::P(f64::NEG_INFINITY),
        Some(s) => return harness(format!("unknown ord {s}")),
        None if o.is_null() => la::NormOrd::Default,
        None => la::NormOrd::P(o.as_f64().map_or_else(|| harness(format!("bad ord {o}")), Ok)?),
    })
}

fn mt(x: &Tensor) -> mx::Result<Tensor> {
    mx::swapaxes(x, -1, -2)
}

/// The leading `r x c` block of the last two axes.
fn block(x: &Tensor, r: usize, c: usize) -> mx::Result<Tensor> {
    let nd = x.ndim();
    let mut stop: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
    stop[nd - 2] = r as i64;
    stop[nd - 1] = c as i64;
    mx::slice(x, &vec![0; nd], &stop, &vec![1; nd])
}

/// Eigenvalues of every batch entry sorted by (re rounded to 3 decimals, im), as the generator.
fn sort_eigs(w: &Tensor) -> mx::Result<Tensor> {
    let v = w.to_vec::<C64>()?;
    let n = *w.shape().last().unwrap_or(&1);
    let mut out = Vec::with_capacity(v.len());
    for row in v.chunks(n.max(1)) {
        let mut r = row.to_vec();
        let key = |z: &C64| (((z.re as f64) * 1000.0).round(), z.im as f64);
        r.sort_by(|a, b| key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal));
        out.extend(r);
    }
    Tensor::from_slice(&out, w.shape())
}

fn derived_eig(a: &Tensor, w: &Tensor, v: &Tensor) -> mx::Result<Vec<Tensor>> {
    let ac = mx::astype(a, mx::Dtype::Complex64)?;
    let res = mx::abs(&mx::subtract(&mx::matmul(&ac, v)?, &mx::multiply(v, &mx::expand_dims(w, -2)?)?)?)?;
    let res = if res.size() > 0 { mx::max(&res, mx::Axes::All, false)? } else { Tensor::scalar(0.0f32) };
    let cn = mx::sqrt(&mx::sum(&mx::square(&mx::abs(v)?)?, -2, false)?)?;
    Ok(vec![sort_eigs(w)?, res, cn])
}

pub fn dispatch(op: &str, p: &Value, xs: &[Input]) -> Step<mx::Result<Vec<Tensor>>> {
    let a = tensor(xs, 0)?;
    let b = || tensor(xs, 1);
    let one = |r: mx::Result<Tensor>| r.map(|t| vec![t]);
    Ok(match &op["linalg.".len()..] {
        "norm" => {
            let axis = if p["axis"].is_null() { mx::Axes::All } else { mx::Axes::These(i32_list(&p["axis"])?) };
            one(la::norm(a, ord(p)?, axis, flag(p, "keepdims")?))
        }
        "cross" => one(la::cross(a, b()?, int_param(p, "axis")? as i32)),
        "qr" => la::qr(a).map(|(q, r)| vec![q, r]),
        "svd" => {
            let uv = flag(p, "compute_uv")?;
            (|| {
                let outs = la::svd(a, uv)?;
                if !uv {
                    return Ok(outs);
                }
                let (u, s, vt) = (&outs[0], &outs[1], &outs[2]);
                let nd = a.ndim();
                let (m, n) = (a.shape()[nd - 2], a.shape()[nd - 1]);
                let k = m.min(n);
                let us = mx::multiply(&block(u, m, k)?, &mx::expand_dims(s, -2)?)?;
                let recon = mx::matmul(&us, &block(vt, k, n)?)?;
                Ok(vec![s.clone(), recon, mx::matmul(&mt(u)?, u)?, mx::matmul(vt, &mt(vt)?)?])
            })()
        }
        "inv" => one(la::inv(a)),
        "tri_inv" => one(la::tri_inv(a, flag(p, "upper")?)),
        "cholesky" => one(la::cholesky(a, flag(p, "upper")?)),
        "cholesky_inv" => one(la::cholesky_inv(a, flag(p, "upper")?)),
        "solve" => one(la::solve(a, b()?)),
        "solve_triangular" => one(la::solve_triangular(a, b()?, flag(p, "upper")?)),
        "lu" => la::lu(a).map(|(p, l, u)| vec![p, l, u]),
        "lu_factor" => la::lu_factor(a).map(|(lu, piv)| vec![lu, piv]),
        "det" => one(la::det(a)),
        "slogdet" => la::slogdet(a).map(|(s, l)| vec![s, l]),
        "pinv" => one(la::pinv(a)),
        "eigvalsh" => one(la::eigvalsh(a, &uplo(p)?)),
        "eigh" => {
            let up = uplo(p)?;
            (|| {
                let (w, v) = la::eigh(a, &up)?;
                let recon = mx::matmul(&mx::multiply(&v, &mx::expand_dims(&w, -2)?)?, &mt(&v)?)?;
                Ok(vec![w, recon, mx::matmul(&mt(&v)?, &v)?])
            })()
        }
        "eigvals" => la::eigvals(a).and_then(|w| {
            mx::eval(&[&w])?;
            Ok(vec![sort_eigs(&w)?])
        }),
        "eig" => la::eig(a).and_then(|(w, v)| {
            mx::eval(&[&w, &v])?;
            derived_eig(a, &w, &v)
        }),
        other => return harness(format!("unknown linalg op {other}")),
    })
}
