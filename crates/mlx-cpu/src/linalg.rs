//! `Linalg` primitives on the CPU: every trailing matrix of the input is factored on its own
//! (batches run in parallel over the leading axes).
//!
//! Invariant: all arithmetic is done in f64, whatever the dtype; float32 inputs are widened
//! and the results rounded once at the end (so float32 results are at least as accurate as
//! LAPACK's single-precision ones, which MLX uses). Own implementations, no LAPACK:
//! LU with partial pivoting (getrf's pivot choice: the first entry of largest magnitude),
//! Householder QR with LAPACK's reflector convention (so Q and R match LAPACK's signs),
//! Cholesky, triangular / general inverse; the eigen/singular solvers are in
//! [`crate::linalg_eig`]. Data-dependent failures (inverting a singular matrix) are errors.

use mlx_ops::{ArrayData, Dtype, Error, LinalgOp, Result, Spec, C64};

use crate::linalg_eig::{eig, eigh, svd};
use crate::strided::{alloc, contiguous_elems, elems_mut, finish};

/// A row-major `rows x cols` matrix of f64.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mat {
    pub rows: usize,
    pub cols: usize,
    pub a: Vec<f64>,
}

impl Mat {
    pub fn zeros(rows: usize, cols: usize) -> Mat {
        Mat { rows, cols, a: vec![0.0; rows * cols] }
    }
    pub fn eye(n: usize) -> Mat {
        let mut m = Mat::zeros(n, n);
        for i in 0..n {
            m.a[i * n + i] = 1.0;
        }
        m
    }
    #[inline]
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.a[i * self.cols + j]
    }
    #[inline]
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        self.a[i * self.cols + j] = v;
    }
    pub fn transpose(&self) -> Mat {
        let mut t = Mat::zeros(self.cols, self.rows);
        for i in 0..self.rows {
            for j in 0..self.cols {
                t.set(j, i, self.at(i, j));
            }
        }
        t
    }
}

/// One matrix's outputs, before conversion to the output dtypes.
pub(crate) enum Out {
    Real(Vec<f64>),
    Index(Vec<u32>),
    Complex(Vec<(f64, f64)>),
}

/// Runs `op` on every trailing matrix of `x`; `outs` are the inferred specs.
pub fn linalg(op: LinalgOp, x: &ArrayData, outs: &[Spec]) -> Result<Vec<ArrayData>> {
    let vals: Vec<f64> = match x.dtype {
        Dtype::Float32 => contiguous_elems::<f32>(x).iter().map(|&v| v as f64).collect(),
        Dtype::Float64 => contiguous_elems::<f64>(x).into_owned(),
        d => {
            return Err(Error::invalid(
                op.name(),
                format!("Arrays must have type float32 or float64. Received array with type {d}."),
            ))
        }
    };
    let shape = x.shape();
    let nd = shape.len();
    let (m, n) = (shape[nd - 2], shape[nd - 1]);
    let batch: usize = shape[..nd - 2].iter().product();
    let per = m * n;
    let results: Vec<Vec<Out>> = crate::par::map_collect(batch, true, |b| {
        let mat = Mat { rows: m, cols: n, a: vals[b * per..(b + 1) * per].to_vec() };
        one(op, mat)
    })
    .into_iter()
    .collect::<Result<_>>()?;
    outs.iter()
        .enumerate()
        .map(|(j, spec)| {
            let parts = results.iter().map(|r| &r[j]);
            assemble(parts, spec)
        })
        .collect()
}

/// Concatenates one output of every batch entry into an array of `spec`.
fn assemble<'a>(parts: impl Iterator<Item = &'a Out>, spec: &Spec) -> Result<ArrayData> {
    let total: usize = spec.shape.iter().product();
    macro_rules! fill {
        ($t:ty, $conv:expr, $variant:ident) => {{
            let mut buf = alloc::<$t>(total);
            let dst = elems_mut::<$t>(&mut buf);
            let mut k = 0;
            for p in parts {
                match p {
                    Out::$variant(v) => {
                        for &e in v {
                            dst[k] = $conv(e);
                            k += 1;
                        }
                    }
                    _ => return Err(Error::runtime("linalg", "kernel output kind differs from inference")),
                }
            }
            if k != total {
                return Err(Error::runtime("linalg", "kernel output size differs from inference"));
            }
            finish::<$t>(buf, &spec.shape)
        }};
    }
    Ok(match spec.dtype {
        Dtype::Float32 => fill!(f32, |v: f64| v as f32, Real),
        Dtype::Float64 => fill!(f64, |v: f64| v, Real),
        Dtype::Uint32 => fill!(u32, |v: u32| v, Index),
        Dtype::Complex64 => fill!(C64, |(re, im): (f64, f64)| C64::new(re as f32, im as f32), Complex),
        d => return Err(Error::runtime("linalg", format!("no output of dtype {d}"))),
    })
}

/// The outputs of `op` for one matrix.
fn one(op: LinalgOp, a: Mat) -> Result<Vec<Out>> {
    Ok(match op {
        LinalgOp::Qr => {
            let (q, r) = qr(a);
            vec![Out::Real(q.a), Out::Real(r.a)]
        }
        LinalgOp::Svd { compute_uv } => {
            let (u, s, vt) = svd(&a);
            if compute_uv {
                vec![Out::Real(u.a), Out::Real(s), Out::Real(vt.a)]
            } else {
                vec![Out::Real(s)]
            }
        }
        LinalgOp::Inverse { tri: false, .. } => vec![Out::Real(inverse(a)?.a)],
        LinalgOp::Inverse { tri: true, upper } => vec![Out::Real(tri_inverse(a, upper)?.a)],
        LinalgOp::Cholesky { upper } => vec![Out::Real(cholesky(&a, upper).a)],
        LinalgOp::Eigh { upper, vectors } => {
            let (w, v) = eigh(&a, upper);
            let mut o = vec![Out::Real(w)];
            if vectors {
                o.push(Out::Real(v.a));
            }
            o
        }
        LinalgOp::Eig { vectors } => {
            let (w, v) = eig(&a, vectors);
            let mut o = vec![Out::Complex(w)];
            if vectors {
                o.push(Out::Complex(v));
            }
            o
        }
        LinalgOp::Lu => {
            let (lu, piv, perm) = lu(a);
            vec![Out::Real(lu.a), Out::Index(piv), Out::Index(perm)]
        }
    })
}

/// LU with partial pivoting, in place (LAPACK getrf): returns `(LU, pivots, perm)`.
/// A zero pivot column is skipped (the factorization completes, U is singular).
pub(crate) fn lu(mut a: Mat) -> (Mat, Vec<u32>, Vec<u32>) {
    let (m, n) = (a.rows, a.cols);
    let k = m.min(n);
    let mut piv = vec![0u32; k];
    let mut perm: Vec<u32> = (0..m as u32).collect();
    for j in 0..k {
        let mut p = j;
        for i in j + 1..m {
            if a.at(i, j).abs() > a.at(p, j).abs() {
                p = i;
            }
        }
        piv[j] = p as u32;
        let d = a.at(p, j);
        if d != 0.0 {
            if p != j {
                for c in 0..n {
                    a.a.swap(p * n + c, j * n + c);
                }
                perm.swap(p, j);
            }
            for i in j + 1..m {
                let l = a.at(i, j) / d;
                a.set(i, j, l);
            }
        }
        for i in j + 1..m {
            let l = a.at(i, j);
            if l != 0.0 {
                for c in j + 1..n {
                    let v = a.at(i, c) - l * a.at(j, c);
                    a.set(i, c, v);
                }
            }
        }
    }
    (a, piv, perm)
}

/// The inverse of a square matrix through its LU factors.
fn inverse(a: Mat) -> Result<Mat> {
    let n = a.rows;
    let (lu, _, perm) = lu(a);
    if (0..n).any(|i| lu.at(i, i) == 0.0) {
        return Err(Error::runtime("linalg::inv", "The matrix is singular (LU factorization has a zero pivot)."));
    }
    let mut inv = Mat::zeros(n, n);
    let mut col = vec![0.0; n];
    for c in 0..n {
        // P A = L U, so A^-1 e_c solves L U x = P e_c.
        for i in 0..n {
            col[i] = if perm[i] as usize == c { 1.0 } else { 0.0 };
        }
        for i in 0..n {
            let mut s = col[i];
            for k in 0..i {
                s -= lu.at(i, k) * col[k];
            }
            col[i] = s;
        }
        for i in (0..n).rev() {
            let mut s = col[i];
            for k in i + 1..n {
                s -= lu.at(i, k) * col[k];
            }
            col[i] = s / lu.at(i, i);
        }
        for i in 0..n {
            inv.set(i, c, col[i]);
        }
    }
    Ok(inv)
}

/// The inverse of the upper (or lower) triangle of `a` (LAPACK trtri; the other triangle of
/// the input is not read and is zero in the output).
fn tri_inverse(a: Mat, upper: bool) -> Result<Mat> {
    // Work on a lower triangle: the inverse of U is the transpose of the inverse of U^T.
    let l = if upper { a.transpose() } else { a };
    let n = l.rows;
    if (0..n).any(|i| l.at(i, i) == 0.0) {
        return Err(Error::runtime("linalg::tri_inv", "The matrix is singular (a zero on the diagonal)."));
    }
    let mut inv = Mat::zeros(n, n);
    for c in 0..n {
        // Forward substitution for column c: rows above c are zero.
        for i in c..n {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for k in c..i {
                s -= l.at(i, k) * inv.at(k, c);
            }
            inv.set(i, c, s / l.at(i, i));
        }
    }
    Ok(if upper { inv.transpose() } else { inv })
}

/// Cholesky factor from the lower (or upper) triangle. A matrix that is not positive
/// definite gives NaN from the first failing pivot on (MLX returns LAPACK's partial factor).
fn cholesky(a: &Mat, upper: bool) -> Mat {
    let n = a.rows;
    // The symmetric matrix's entry (i, j), i >= j, from the triangle that is read.
    let s = |i: usize, j: usize| if upper { a.at(j, i) } else { a.at(i, j) };
    let mut l = Mat::zeros(n, n);
    for j in 0..n {
        let mut d = s(j, j);
        for k in 0..j {
            d -= l.at(j, k) * l.at(j, k);
        }
        let d = if d > 0.0 { d.sqrt() } else { f64::NAN };
        l.set(j, j, d);
        for i in j + 1..n {
            let mut v = s(i, j);
            for k in 0..j {
                v -= l.at(i, k) * l.at(j, k);
            }
            l.set(i, j, v / d);
        }
    }
    if upper {
        l.transpose()
    } else {
        l
    }
}

/// Householder QR (LAPACK geqrf + orgqr): `Q (m x k)` with orthonormal columns, `R (k x n)`
/// upper triangular, `A = Q R`. Reflector `H = I - tau v v^T` maps the column `[alpha; x]`
/// to `[beta; 0]` with `beta = -sign(alpha) ||[alpha; x]||` (tau = 0 when x is already zero).
fn qr(mut a: Mat) -> (Mat, Mat) {
    let (m, n) = (a.rows, a.cols);
    let k = m.min(n);
    let mut taus = vec![0.0; k];
    for j in 0..k {
        let alpha = a.at(j, j);
        let xnorm = (j + 1..m).map(|i| a.at(i, j) * a.at(i, j)).sum::<f64>().sqrt();
        if xnorm == 0.0 {
            continue;
        }
        let beta = -alpha.hypot(xnorm).copysign(alpha);
        taus[j] = (beta - alpha) / beta;
        let scale = 1.0 / (alpha - beta);
        for i in j + 1..m {
            let v = a.at(i, j) * scale;
            a.set(i, j, v);
        }
        a.set(j, j, beta);
        apply_reflector(&mut a, j, taus[j], j + 1..n);
    }
    // R: the upper triangle of the first k rows.
    let mut r = Mat::zeros(k, n);
    for i in 0..k {
        for c in i..n {
            r.set(i, c, a.at(i, c));
        }
    }
    // Q = H_1 ... H_k applied to the first k columns of the identity, innermost first.
    let mut q = Mat::zeros(m, k);
    for i in 0..k {
        q.set(i, i, 1.0);
    }
    for j in (0..k).rev() {
        let (tau, v) = (taus[j], reflector(&a, j));
        for c in j..k {
            let w: f64 = (j..m).map(|i| v[i - j] * q.at(i, c)).sum();
            for i in j..m {
                let x = q.at(i, c) - tau * v[i - j] * w;
                q.set(i, c, x);
            }
        }
    }
    (q, r)
}

/// The reflector vector of step `j` (`v[0] = 1`, the rest stored below the diagonal).
fn reflector(a: &Mat, j: usize) -> Vec<f64> {
    let mut v = vec![1.0];
    v.extend((j + 1..a.rows).map(|i| a.at(i, j)));
    v
}

/// Applies `I - tau v v^T` (step `j`'s reflector) to rows `j..` of the columns `cols`.
fn apply_reflector(a: &mut Mat, j: usize, tau: f64, cols: std::ops::Range<usize>) {
    let v = reflector(a, j);
    let m = a.rows;
    for c in cols {
        let w: f64 = (j..m).map(|i| v[i - j] * a.at(i, c)).sum();
        for i in j..m {
            let x = a.at(i, c) - tau * v[i - j] * w;
            a.set(i, c, x);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn matmul(a: &Mat, b: &Mat) -> Mat {
        let mut c = Mat::zeros(a.rows, b.cols);
        for i in 0..a.rows {
            for j in 0..b.cols {
                c.set(i, j, (0..a.cols).map(|k| a.at(i, k) * b.at(k, j)).sum());
            }
        }
        c
    }

    pub fn max_diff(a: &Mat, b: &Mat) -> f64 {
        a.a.iter().zip(&b.a).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
    }

    pub fn sample(rows: usize, cols: usize, seed: u64) -> Mat {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let a = (0..rows * cols)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            })
            .collect();
        Mat { rows, cols, a }
    }

    #[test]
    fn qr_reconstructs_with_lapack_signs() {
        for (m, n) in [(4, 3), (3, 5), (4, 4), (1, 1)] {
            let a = sample(m, n, (m * 10 + n) as u64);
            let (q, r) = qr(a.clone());
            assert!(max_diff(&matmul(&q, &r), &a) < 1e-13);
            assert!(max_diff(&matmul(&q.transpose(), &q), &Mat::eye(m.min(n))) < 1e-13);
            // beta = -sign(alpha) ||x||: the first diagonal entry has the opposite sign of
            // a[0][0] (a 1 x 1 matrix has nothing to reflect: tau = 0 keeps the sign).
            assert!(m == 1 || r.at(0, 0) * a.at(0, 0) < 0.0);
        }
    }

    #[test]
    fn lu_and_inverse() {
        let a = sample(5, 5, 7);
        let (lu_, piv, perm) = lu(a.clone());
        assert_eq!(piv.len(), 5);
        let mut l = Mat::eye(5);
        let mut u = Mat::zeros(5, 5);
        for i in 0..5 {
            for j in 0..5 {
                if j < i {
                    l.set(i, j, lu_.at(i, j));
                } else {
                    u.set(i, j, lu_.at(i, j));
                }
            }
        }
        let lu_prod = matmul(&l, &u);
        for i in 0..5 {
            for j in 0..5 {
                assert!((lu_prod.at(i, j) - a.at(perm[i] as usize, j)).abs() < 1e-13);
            }
        }
        let inv = inverse(a.clone()).unwrap();
        assert!(max_diff(&matmul(&a, &inv), &Mat::eye(5)) < 1e-12);
        assert!(inverse(Mat::zeros(2, 2)).is_err());
        let t = tri_inverse(a.clone(), true).unwrap();
        assert_eq!(t.at(3, 1), 0.0);
        assert!(tri_inverse(Mat::zeros(2, 2), false).is_err());
    }

    #[test]
    fn cholesky_factors_and_flags_non_pd() {
        let b = sample(4, 4, 3);
        let mut a = matmul(&b, &b.transpose());
        for i in 0..4 {
            a.set(i, i, a.at(i, i) + 1.0);
        }
        let l = cholesky(&a, false);
        assert!(max_diff(&matmul(&l, &l.transpose()), &a) < 1e-13);
        let u = cholesky(&a, true);
        assert!(max_diff(&u, &l.transpose()) < 1e-13);
        let bad = Mat { rows: 2, cols: 2, a: vec![1.0, 2.0, 2.0, 1.0] };
        assert!(cholesky(&bad, false).at(1, 1).is_nan());
    }
}
