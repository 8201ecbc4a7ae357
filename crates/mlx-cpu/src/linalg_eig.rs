//! Eigenvalue and singular value solvers for the `Linalg` kernels (f64 throughout):
//!
//! - `eigh`: cyclic Jacobi rotations on the symmetric matrix read from one triangle;
//!   eigenvalues ascending, eigenvectors orthonormal columns.
//! - `svd`: one-sided Jacobi (Hestenes) on the columns of `A` (or `A^T` when wider than tall);
//!   singular values descending; `U` and `V` completed to full orthonormal bases.
//! - `eig`: Householder reduction to Hessenberg form, then complex single-shift QR (Wilkinson
//!   shifts, deflation) for the eigenvalues; eigenvectors by inverse iteration on `A - w I`,
//!   normalized like LAPACK geev (unit 2-norm, largest component real).
//!
//! Invariant: Jacobi methods converge to full f64 accuracy for the small matrices these ops
//! see; a sweep limit bounds the work on NaN input (the result is then NaN, never a hang).

use num_complex::Complex;

use crate::linalg::Mat;

type C = Complex<f64>;

const MAX_SWEEPS: usize = 100;

/// Eigen-decomposition of the symmetric matrix whose `upper` (or lower) triangle is `a`'s.
pub(crate) fn eigh(a: &Mat, upper: bool) -> (Vec<f64>, Mat) {
    let n = a.rows;
    let mut s = Mat::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            let (r, c) = if (i <= j) == upper { (i, j) } else { (j, i) };
            s.set(i, j, a.at(r, c));
        }
    }
    let mut v = Mat::eye(n);
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n).flat_map(|p| (p + 1..n).map(move |q| (p, q))).map(|(p, q)| s.at(p, q).powi(2)).sum();
        let diag: f64 = (0..n).map(|i| s.at(i, i).powi(2)).sum();
        if !(off > f64::EPSILON * f64::EPSILON * 1e-4 * diag) || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = s.at(p, q);
                if apq == 0.0 {
                    continue;
                }
                let theta = (s.at(q, q) - s.at(p, p)) / (2.0 * apq);
                let t = if theta.abs() > 1e150 {
                    0.5 / theta
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let sn = t * c;
                rotate_cols(&mut s, p, q, c, sn);
                rotate_rows(&mut s, p, q, c, sn);
                rotate_cols(&mut v, p, q, c, sn);
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| s.at(i, i).total_cmp(&s.at(j, j)));
    let w = order.iter().map(|&i| s.at(i, i)).collect();
    let mut vs = Mat::zeros(n, n);
    for (k, &i) in order.iter().enumerate() {
        for r in 0..n {
            vs.set(r, k, v.at(r, i));
        }
    }
    (w, vs)
}

/// Columns p, q of `m` <- (c x_p - s x_q, s x_p + c x_q).
fn rotate_cols(m: &mut Mat, p: usize, q: usize, c: f64, s: f64) {
    for k in 0..m.rows {
        let (xp, xq) = (m.at(k, p), m.at(k, q));
        m.set(k, p, c * xp - s * xq);
        m.set(k, q, s * xp + c * xq);
    }
}

fn rotate_rows(m: &mut Mat, p: usize, q: usize, c: f64, s: f64) {
    for k in 0..m.cols {
        let (xp, xq) = (m.at(p, k), m.at(q, k));
        m.set(p, k, c * xp - s * xq);
        m.set(q, k, s * xp + c * xq);
    }
}

/// `A = U diag(S) Vt` with `U (m x m)`, `S` descending (`min(m, n)`), `Vt (n x n)`.
pub(crate) fn svd(a: &Mat) -> (Mat, Vec<f64>, Mat) {
    if a.rows < a.cols {
        // A^T = U' S V'^T, so A = V' S U'^T.
        let (u, s, vt) = svd(&a.transpose());
        return (vt.transpose(), s, u.transpose());
    }
    let (m, n) = (a.rows, a.cols);
    // Work on columns: w[j] is column j of A V.
    let mut w: Vec<Vec<f64>> = (0..n).map(|j| (0..m).map(|i| a.at(i, j)).collect()).collect();
    let mut v = Mat::eye(n);
    for _ in 0..MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let alpha: f64 = w[p].iter().map(|x| x * x).sum();
                let beta: f64 = w[q].iter().map(|x| x * x).sum();
                let gamma: f64 = w[p].iter().zip(&w[q]).map(|(x, y)| x * y).sum();
                if gamma == 0.0 || !(gamma.abs() > 1e-15 * (alpha * beta).sqrt()) {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = if zeta.abs() > 1e150 {
                    0.5 / zeta
                } else {
                    zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt())
                };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for k in 0..m {
                    let (xp, xq) = (w[p][k], w[q][k]);
                    w[p][k] = c * xp - s * xq;
                    w[q][k] = s * xp + c * xq;
                }
                rotate_cols(&mut v, p, q, c, s);
            }
        }
        if !rotated {
            break;
        }
    }
    let norms: Vec<f64> = w.iter().map(|c| c.iter().map(|x| x * x).sum::<f64>().sqrt()).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| norms[j].total_cmp(&norms[i]));
    let s: Vec<f64> = order.iter().map(|&i| norms[i]).collect();
    let smax = s.first().copied().unwrap_or(0.0);
    // U's columns: the normalized columns of A V with a nonzero norm, completed to a basis.
    let mut ucols: Vec<Vec<f64>> = vec![];
    for (k, &i) in order.iter().enumerate() {
        if s[k] > smax * 1e-300 && s[k] > 0.0 {
            ucols.push(w[i].iter().map(|x| x / s[k]).collect());
        } else {
            break;
        }
    }
    complete_basis(&mut ucols, m);
    let mut u = Mat::zeros(m, m);
    for (j, col) in ucols.iter().enumerate() {
        for i in 0..m {
            u.set(i, j, col[i]);
        }
    }
    let mut vt = Mat::zeros(n, n);
    for (k, &i) in order.iter().enumerate() {
        for r in 0..n {
            vt.set(k, r, v.at(r, i));
        }
    }
    (u, s, vt)
}

/// Extends orthonormal `cols` (vectors of length `m`) to `m` of them with unit vectors,
/// orthogonalized twice (modified Gram-Schmidt).
fn complete_basis(cols: &mut Vec<Vec<f64>>, m: usize) {
    let mut e = 0;
    while cols.len() < m && e < m {
        let mut x = vec![0.0; m];
        x[e] = 1.0;
        e += 1;
        for _ in 0..2 {
            for c in cols.iter() {
                let d: f64 = c.iter().zip(&x).map(|(a, b)| a * b).sum();
                for (xi, ci) in x.iter_mut().zip(c) {
                    *xi -= d * ci;
                }
            }
        }
        let nrm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        if nrm > 1e-8 {
            cols.push(x.iter().map(|v| v / nrm).collect());
        }
    }
}

/// Eigenvalues of a general real matrix and (when `vectors`) its right eigenvectors, both as
/// (re, im) pairs; the vectors row-major `n x n`, one per column.
pub(crate) fn eig(a: &Mat, vectors: bool) -> (Vec<(f64, f64)>, Vec<(f64, f64)>) {
    let n = a.rows;
    let h = hessenberg(a);
    let w = hessenberg_eigenvalues(h);
    let pairs = |v: &[C]| v.iter().map(|z| (z.re, z.im)).collect::<Vec<_>>();
    if !vectors {
        return (pairs(&w), vec![]);
    }
    let mut vmat = vec![C::new(0.0, 0.0); n * n];
    for (k, &lambda) in w.iter().enumerate() {
        let x = eigenvector(a, lambda);
        for i in 0..n {
            vmat[i * n + k] = x[i];
        }
    }
    (pairs(&w), pairs(&vmat))
}

/// Householder reduction to upper Hessenberg form (same eigenvalues).
fn hessenberg(a: &Mat) -> Mat {
    let n = a.rows;
    let mut h = a.clone();
    for k in 0..n.saturating_sub(2) {
        let alpha = h.at(k + 1, k);
        let xnorm: f64 = (k + 2..n).map(|i| h.at(i, k).powi(2)).sum::<f64>().sqrt();
        if xnorm == 0.0 {
            continue;
        }
        let beta = -alpha.hypot(xnorm).copysign(alpha);
        let tau = (beta - alpha) / beta;
        let mut v = vec![1.0];
        v.extend((k + 2..n).map(|i| h.at(i, k) / (alpha - beta)));
        // H <- P H P with P = I - tau v v^T acting on indices k+1..n.
        for c in 0..n {
            let d: f64 = (0..v.len()).map(|i| v[i] * h.at(k + 1 + i, c)).sum();
            for i in 0..v.len() {
                let x = h.at(k + 1 + i, c) - tau * v[i] * d;
                h.set(k + 1 + i, c, x);
            }
        }
        for r in 0..n {
            let d: f64 = (0..v.len()).map(|i| h.at(r, k + 1 + i) * v[i]).sum();
            for i in 0..v.len() {
                let x = h.at(r, k + 1 + i) - tau * d * v[i];
                h.set(r, k + 1 + i, x);
            }
        }
    }
    h
}

/// Eigenvalues of an upper Hessenberg matrix by shifted complex QR with deflation.
fn hessenberg_eigenvalues(h: Mat) -> Vec<C> {
    let n = h.rows;
    let mut t: Vec<C> = h.a.iter().map(|&x| C::new(x, 0.0)).collect();
    let at = |t: &Vec<C>, i: usize, j: usize| t[i * n + j];
    if n == 0 {
        return vec![];
    }
    let mut hi = n - 1;
    let mut iter = 0usize;
    let mut total = 0usize;
    while hi > 0 && total < 100 * n.max(10) {
        // The largest l with a negligible subdiagonal entry above row l starts the block.
        let mut l = hi;
        while l > 0 {
            let sub = at(&t, l, l - 1).norm();
            let scale = at(&t, l - 1, l - 1).norm() + at(&t, l, l).norm();
            if sub <= f64::EPSILON * scale || sub < f64::MIN_POSITIVE {
                t[l * n + l - 1] = C::new(0.0, 0.0);
                break;
            }
            l -= 1;
        }
        if l == hi {
            hi -= 1;
            iter = 0;
            continue;
        }
        iter += 1;
        total += 1;
        // Wilkinson shift: the eigenvalue of the trailing 2x2 closer to its last entry.
        let (a, b, c, d) = (at(&t, hi - 1, hi - 1), at(&t, hi - 1, hi), at(&t, hi, hi - 1), at(&t, hi, hi));
        let half = (a - d) * 0.5;
        let disc = (half * half + b * c).sqrt();
        let (m1, m2) = ((a + d) * 0.5 + disc, (a + d) * 0.5 - disc);
        let mut mu = if (m1 - d).norm() < (m2 - d).norm() { m1 } else { m2 };
        if iter % 11 == 10 {
            // Exceptional shift to break cycles.
            mu = d + C::new(at(&t, hi, hi - 1).norm() * 0.75, at(&t, hi, hi - 1).norm() * 0.5);
        }
        for i in l..=hi {
            t[i * n + i] -= mu;
        }
        // QR of the block by Givens rotations, then R Q.
        let mut rots = Vec::with_capacity(hi - l);
        for k in l..hi {
            let (x, y) = (at(&t, k, k), at(&t, k + 1, k));
            let r = (x.norm_sqr() + y.norm_sqr()).sqrt();
            let (cs, sn) = if r == 0.0 { (C::new(1.0, 0.0), C::new(0.0, 0.0)) } else { (x / r, y / r) };
            // [cs* sn*; -sn cs] applied to rows k, k+1.
            for j in k..=hi {
                let (p, q) = (at(&t, k, j), at(&t, k + 1, j));
                t[k * n + j] = cs.conj() * p + sn.conj() * q;
                t[(k + 1) * n + j] = -sn * p + cs * q;
            }
            rots.push((cs, sn));
        }
        for (idx, k) in (l..hi).enumerate() {
            let (cs, sn) = rots[idx];
            // Columns k, k+1 times the rotation's conjugate transpose.
            for i in l..=(k + 1).min(hi) {
                let (p, q) = (at(&t, i, k), at(&t, i, k + 1));
                t[i * n + k] = p * cs + q * sn;
                t[i * n + k + 1] = -p * sn.conj() + q * cs.conj();
            }
        }
        for i in l..=hi {
            t[i * n + i] += mu;
        }
    }
    (0..n).map(|i| at(&t, i, i)).collect()
}

/// A unit eigenvector of `a` for eigenvalue `lambda` by inverse iteration, with its largest
/// component made real and positive.
fn eigenvector(a: &Mat, lambda: C) -> Vec<C> {
    let n = a.rows;
    let norm_a = a.a.iter().map(|x| x.abs()).fold(0.0, f64::max).max(1e-300);
    // A tiny shift keeps A - lambda I invertible; one solve is enough at this distance.
    let shifted = lambda + C::new(norm_a * 1e-10, 0.0);
    let mut m: Vec<C> = a.a.iter().map(|&x| C::new(x, 0.0)).collect();
    for i in 0..n {
        m[i * n + i] -= shifted;
    }
    let lu = complex_lu(&mut m, n);
    let mut x = vec![C::new(1.0, 0.0); n];
    for _ in 0..3 {
        x = complex_solve(&m, &lu, n, &x);
        let nrm = x.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
        if !(nrm > 0.0) || !nrm.is_finite() {
            break;
        }
        for z in x.iter_mut() {
            *z /= nrm;
        }
    }
    // Largest component real positive (LAPACK makes it real).
    if let Some(big) = x.iter().copied().max_by(|p, q| p.norm().total_cmp(&q.norm())) {
        if big.norm() > 0.0 {
            let phase = big.conj() / big.norm();
            for z in x.iter_mut() {
                *z *= phase;
            }
        }
    }
    x
}

/// LU with partial pivoting of a complex `n x n` matrix in place; a zero pivot is replaced by
/// a tiny one (inverse iteration wants a solve even for an exact eigenvalue). Returns `perm`.
fn complex_lu(m: &mut [C], n: usize) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    for j in 0..n {
        let p = (j..n).max_by(|&x, &y| m[x * n + j].norm().total_cmp(&m[y * n + j].norm())).unwrap_or(j);
        if p != j {
            for c in 0..n {
                m.swap(p * n + c, j * n + c);
            }
            perm.swap(p, j);
        }
        if m[j * n + j].norm() == 0.0 {
            m[j * n + j] = C::new(1e-300, 0.0);
        }
        let d = m[j * n + j];
        for i in j + 1..n {
            let l = m[i * n + j] / d;
            m[i * n + j] = l;
            for c in j + 1..n {
                let v = m[j * n + c];
                m[i * n + c] -= l * v;
            }
        }
    }
    perm
}

fn complex_solve(m: &[C], perm: &[usize], n: usize, b: &[C]) -> Vec<C> {
    let mut x: Vec<C> = perm.iter().map(|&p| b[p]).collect();
    for i in 0..n {
        for k in 0..i {
            let v = x[k];
            x[i] -= m[i * n + k] * v;
        }
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            let v = x[k];
            x[i] -= m[i * n + k] * v;
        }
        x[i] /= m[i * n + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::tests::{matmul, max_diff, sample};

    #[test]
    fn eigh_diagonalizes() {
        let b = sample(5, 5, 11);
        let a = matmul(&b, &b.transpose());
        let (w, v) = eigh(&a, false);
        assert!(w.windows(2).all(|p| p[0] <= p[1]));
        assert!(max_diff(&matmul(&v.transpose(), &v), &Mat::eye(5)) < 1e-12);
        let mut d = Mat::zeros(5, 5);
        for i in 0..5 {
            d.set(i, i, w[i]);
        }
        assert!(max_diff(&matmul(&matmul(&v, &d), &v.transpose()), &a) < 1e-12);
    }

    #[test]
    fn svd_reconstructs() {
        for (m, n) in [(5, 3), (3, 5), (4, 4)] {
            let a = sample(m, n, (m + 7 * n) as u64);
            let (u, s, vt) = svd(&a);
            assert!(s.windows(2).all(|p| p[0] >= p[1]));
            assert!(max_diff(&matmul(&u.transpose(), &u), &Mat::eye(m)) < 1e-12);
            assert!(max_diff(&matmul(&vt, &vt.transpose()), &Mat::eye(n)) < 1e-12);
            let mut sm = Mat::zeros(m, n);
            for i in 0..s.len() {
                sm.set(i, i, s[i]);
            }
            assert!(max_diff(&matmul(&matmul(&u, &sm), &vt), &a) < 1e-12);
        }
        // Rank-deficient: U is still a full orthonormal basis.
        let (u, s, _) = svd(&Mat { rows: 3, cols: 2, a: vec![1.0, 1.0, 1.0, 1.0, 0.0, 0.0] });
        assert!(s[1].abs() < 1e-14);
        assert!(max_diff(&matmul(&u.transpose(), &u), &Mat::eye(3)) < 1e-12);
    }

    #[test]
    fn eig_of_rotation_and_random() {
        let rot = Mat { rows: 2, cols: 2, a: vec![0.0, -1.0, 1.0, 0.0] };
        let (w, _) = eig(&rot, false);
        let mut im: Vec<f64> = w.iter().map(|z| z.1).collect();
        im.sort_by(f64::total_cmp);
        assert!((im[0] + 1.0).abs() < 1e-12 && (im[1] - 1.0).abs() < 1e-12);
        let a = sample(6, 6, 5);
        let (w, v) = eig(&a, true);
        for k in 0..6 {
            let lambda = C::new(w[k].0, w[k].1);
            for i in 0..6 {
                let av: C = (0..6).map(|j| C::new(v[j * 6 + k].0, v[j * 6 + k].1) * a.at(i, j)).sum();
                let lv = lambda * C::new(v[i * 6 + k].0, v[i * 6 + k].1);
                assert!((av - lv).norm() < 1e-9, "residual {}", (av - lv).norm());
            }
        }
    }
}
