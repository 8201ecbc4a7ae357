//! mlx.core.linalg beyond the golden replay: views equal contiguous inputs, batches equal
//! their matrices one by one, the documented differences (empty inputs MLX crashes on), and
//! the data-dependent errors at eval.

use mlx_core::{self as mx, linalg as la, Tensor};

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape).unwrap()
}

fn vals(x: &Tensor) -> Vec<f64> {
    x.to_vec::<f64>().unwrap()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
}

const A: [f64; 9] = [4.0, 1.0, -0.5, 2.0, 3.0, 0.25, -1.0, 0.5, 2.0];

#[test]
fn linalg_views_match_contiguous() {
    let base = t(&A, &[3, 3]);
    let view = mx::transpose(&base, [1, 0]).unwrap();
    let copy = t(&vals(&view), &[3, 3]);
    type F = fn(&Tensor) -> Tensor;
    let fs: [F; 5] = [
        |x| la::inv(x).unwrap(),
        |x| la::qr(x).unwrap().1,
        |x| la::lu_factor(x).unwrap().0,
        |x| la::svd(x, false).unwrap().remove(0),
        |x| la::det(x).unwrap(),
    ];
    for f in fs {
        assert!(close(&vals(&f(&view)), &vals(&f(&copy)), 0.0));
    }
}

#[test]
fn batches_equal_single_matrices() {
    let b: Vec<f64> = A.iter().chain(A.iter().map(|v| v * 2.0 + 1.0).collect::<Vec<_>>().iter()).copied().collect();
    let batch = t(&b, &[2, 3, 3]);
    let inv = vals(&la::inv(&batch).unwrap());
    let first = vals(&la::inv(&t(&b[..9], &[3, 3])).unwrap());
    let second = vals(&la::inv(&t(&b[9..], &[3, 3])).unwrap());
    assert!(close(&inv[..9], &first, 0.0) && close(&inv[9..], &second, 0.0));
    // A x = b for the solution.
    let rhs = t(&[1.0, -2.0, 0.5, 3.0, 0.0, 1.0], &[2, 3, 1]);
    let x = la::solve(&batch, &rhs).unwrap();
    let back = mx::matmul(&batch, &x).unwrap();
    assert!(close(&vals(&back), &vals(&rhs), 1e-12));
}

#[test]
fn empty_matrices_give_empty_results() {
    // MLX 0.32.4 dies of SIGFPE here (DIFFERENCES.md); ours are empty.
    let e = t(&[], &[2, 0, 0]);
    assert_eq!(la::inv(&e).unwrap().shape(), &[2, 0, 0]);
    assert_eq!(la::tri_inv(&e, true).unwrap().shape(), &[2, 0, 0]);
    let (lu, piv) = la::lu_factor(&e).unwrap();
    mx::eval(&[&lu, &piv]).unwrap();
    assert_eq!((lu.shape(), piv.shape()), (&[2usize, 0, 0][..], &[2usize, 0][..]));
    assert_eq!(vals(&la::det(&e).unwrap()), vec![1.0, 1.0]);
}

#[test]
fn singular_inverse_fails_at_eval() {
    let s = t(&[1.0, 2.0, 2.0, 4.0], &[2, 2]);
    let e = la::inv(&s).unwrap().eval().unwrap_err();
    assert!(e.to_string().starts_with("[linalg::inv]"), "{e}");
    assert!(la::solve(&s, &t(&[1.0, 1.0], &[2])).unwrap().eval().is_err());
    assert_eq!(vals(&la::det(&s).unwrap()), vec![0.0]);
}

#[test]
fn decompositions_reconstruct() {
    let a = t(&A, &[3, 3]);
    let (q, r) = la::qr(&a).unwrap();
    assert!(close(&vals(&mx::matmul(&q, &r).unwrap()), &A, 1e-13));
    let (p, l, u) = la::lu(&a).unwrap();
    let lu = vals(&mx::matmul(&l, &u).unwrap());
    let perm = p.to_vec::<u32>().unwrap();
    // A == (L U)[P]: row i of A is row P[i] of L U.
    let rows: Vec<f64> = perm.iter().flat_map(|&i| lu[3 * i as usize..3 * i as usize + 3].to_vec()).collect();
    assert!(close(&rows, &A, 1e-13));
    let (w, v) = la::eig(&a).unwrap();
    assert_eq!((w.dtype(), v.shape()), (mx::Dtype::Complex64, &[3usize, 3][..]));
    // norm of a matrix: 2-norm is the largest singular value.
    let s = vals(&la::svd(&a, false).unwrap().remove(0));
    assert!(close(&vals(&la::norm(&a, 2.0, mx::Axes::All, false).unwrap()), &s[..1], 1e-13));
    assert!(close(&vals(&la::norm(&a, la::NormOrd::Nuc, mx::Axes::All, false).unwrap()), &[s.iter().sum()], 1e-13));
}
