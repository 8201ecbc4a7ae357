#!/usr/bin/env python3
"""Golden cases for mlx.core.linalg (written to golden/cases/linalg.safetensors).

    python3 golden/generate_linalg.py

Uses generate.py's case format, helpers and writer (Family, rand, arr, T, views) with its own
seeded random stream; replayed by crates/mlx-core/tests/golden/replay_linalg.rs.  Ops are
named "linalg.<function>".

Where MLX's result is not unique (signs of singular vectors and eigenvectors, the order of
a general matrix's eigenvalues), a case records order- and sign-independent quantities
computed from MLX's outputs by `derived` below, and the replay computes the same quantities
from ours:
  linalg.svd (compute_uv)  S, U[:, :K] diag(S) Vt[:K] (= A), U^T U, Vt Vt^T
  linalg.eigh              w, V diag(w) V^T (= A's symmetric part read), V^T V
  linalg.eig / eigvals     w sorted by (round(re, 3), im); eig adds max |A V - V diag(w)|
                           and the column 2-norms of V
Everything else (qr, whose Householder signs we reproduce, lu, lu_factor, inv, tri_inv,
cholesky, cholesky_inv, solve, solve_triangular, det, slogdet, pinv, norm, cross,
eigvalsh, svd without vectors) records MLX's outputs as they are.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate as g  # noqa: E402
import mlx.core as mx  # noqa: E402

L = mx.linalg
INF = float("inf")


def eig_sorted(w):
    w = np.array(w)
    order = sorted(range(len(w)), key=lambda i: (round(float(w[i].real), 3), float(w[i].imag)))
    return w[order]


def sort_last(w):
    """Eigenvalues of every batch entry sorted (complex64 mx array)."""
    a = np.array(w)
    flat = a.reshape(-1, a.shape[-1]) if a.size else a.reshape(0, a.shape[-1])
    out = np.stack([eig_sorted(r) for r in flat]) if len(flat) else flat
    return mx.array(out.reshape(a.shape).astype(np.complex64))


def derived(op, p, xs, outs):
    if op == "linalg.svd" and p["compute_uv"]:
        u, s, vt = outs
        m, n = xs[0].shape[-2], xs[0].shape[-1]
        k = min(m, n)
        recon = (u[..., :, :k] * s[..., None, :]) @ vt[..., :k, :]
        return [s, recon, mx.swapaxes(u, -1, -2) @ u, vt @ mx.swapaxes(vt, -1, -2)]
    if op == "linalg.eigh":
        w, v = outs
        return [w, (v * w[..., None, :]) @ mx.swapaxes(v, -1, -2), mx.swapaxes(v, -1, -2) @ v]
    if op == "linalg.eigvals":
        return [sort_last(outs[0])]
    if op == "linalg.eig":
        w, v = outs
        a = xs[0].astype(mx.complex64)
        res = mx.abs(a @ v - v * w[..., None, :])
        res = mx.max(res) if res.size else mx.array(0.0)
        cn = mx.sqrt(mx.sum(mx.abs(v) ** 2, axis=-2))
        return [sort_last(w), res, cn]
    return outs


def compute(op, p, xs):
    name = op[len("linalg."):]
    a = xs[0] if xs else None
    if name == "norm":
        ordv = p["ord"]
        if isinstance(ordv, str) and ordv in ("inf", "-inf"):
            ordv = float(ordv)
        axis = p["axis"]
        return L.norm(a, ordv, axis=tuple(axis) if axis is not None else None, keepdims=p["keepdims"])
    if name == "cross":
        return L.cross(xs[0], xs[1], axis=p["axis"])
    if name == "svd":
        r = L.svd(a, compute_uv=p["compute_uv"])
    elif name in ("tri_inv", "cholesky", "cholesky_inv"):
        r = getattr(L, name)(a, upper=p["upper"])
    elif name == "solve_triangular":
        r = L.solve_triangular(xs[0], xs[1], upper=p["upper"])
    elif name == "solve":
        r = L.solve(xs[0], xs[1])
    elif name in ("eigh", "eigvalsh"):
        r = getattr(L, name)(a, UPLO=p["uplo"])
    else:
        r = getattr(L, name)(a)
    outs = list(r) if isinstance(r, (list, tuple)) else [r]
    mx.eval(outs)
    return derived(op, p, xs, outs)


def spd(n, batch=(), dtype="float32"):
    b = np.round(g.rng.standard_normal(tuple(batch) + (n, n)), 3)
    a = b @ np.swapaxes(b, -1, -2) + n * np.eye(n)
    return g.arr(a, dtype)


def well(shape, dtype="float32"):
    """A random matrix with a boosted diagonal (well conditioned)."""
    a = np.round(g.rng.standard_normal(shape), 3)
    n = min(shape[-2], shape[-1])
    idx = np.arange(n)
    a[..., idx, idx] += 3.0 * np.sign(a[..., idx, idx] + 0.1)
    return g.arr(a, dtype)


def errors(f, op, params, extra=()):
    """The errors MLX raises for every matrix op: an int dtype, float16, a 1-D input."""
    f.add(op, params, [g.arr([[1, 2], [3, 4]], "int32"), *extra], expect_error=True)
    f.add(op, params, [g.arr([[1, 2], [3, 4]], "float16"), *extra], expect_error=True)
    f.add(op, params, [g.arr([1.0, 2.0], "float32"), *extra], expect_error=True)


def fam_linalg():
    f = g.Family("linalg")
    r = g.rand
    tr = g.v_transpose
    for d in ("float32", "float64"):
        # --- qr, svd: any shape ---
        for shape in [(4, 3), (3, 5), (4, 4), (2, 3, 3), (1, 1)]:
            f.add("linalg.qr", {}, [well(shape, d)])
            for uv in (True, False):
                f.add("linalg.svd", {"compute_uv": uv}, [well(shape, d)])
            f.add("linalg.lu_factor", {}, [well(shape, d)])
            f.add("linalg.lu", {}, [well(shape, d)])
            f.add("linalg.pinv", {}, [well(shape, d)])
        f.add("linalg.qr", {}, [g.T(well((3, 4), d), tr([1, 0]))])
        f.add("linalg.svd", {"compute_uv": True}, [g.T(well((2, 4, 3), d), tr([0, 2, 1]))])
        f.add("linalg.svd", {"compute_uv": False}, [g.arr([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]], d)])
        f.add("linalg.pinv", {}, [g.arr([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], d)])
        f.add("linalg.lu_factor", {}, [g.arr([[0.0, 0.0], [0.0, 0.0]], d)])
        f.add("linalg.lu", {}, [g.T(well((4, 4), d), tr([1, 0]))])
        # --- square ops ---
        for shape in [(3, 3), (2, 4, 4), (1, 1)]:
            n, batch = shape[-1], shape[:-2]
            f.add("linalg.inv", {}, [well(shape, d)])
            for up in (False, True):
                f.add("linalg.tri_inv", {"upper": up}, [well(shape, d)])
                f.add("linalg.cholesky", {"upper": up}, [spd(n, batch, d)])
                ch = L.cholesky(spd(n, batch, d), upper=up)
                f.add("linalg.cholesky_inv", {"upper": up}, [ch])
                f.add("linalg.solve_triangular", {"upper": up}, [well(shape, d), r(d, shape[:-1] + (2,))])
            for uplo in ("L", "U"):
                f.add("linalg.eigvalsh", {"uplo": uplo}, [well(shape, d)])
                f.add("linalg.eigh", {"uplo": uplo}, [spd(n, batch, d)])
            f.add("linalg.eigvals", {}, [well(shape, d)])
            f.add("linalg.eig", {}, [well(shape, d)])
            if d == "float32":
                # MLX 0.32.4's float64 det is float32-accurate (DIFFERENCES.md): float32 only.
                f.add("linalg.det", {}, [well(shape, d)])
            f.add("linalg.slogdet", {}, [well(shape, d)])
            f.add("linalg.solve", {}, [well(shape, d), r(d, shape[:-1] + (2,))])
        f.add("linalg.solve", {}, [well((3, 3), d), r(d, (3,))])
        f.add("linalg.solve_triangular", {"upper": True}, [well((3, 3), d), r(d, (3,))])
        f.add("linalg.inv", {}, [g.T(well((3, 3), d), tr([1, 0]))])
        if d == "float32":
            f.add("linalg.det", {}, [g.T(well((2, 3, 3), d), tr([0, 2, 1]))])
        f.add("linalg.eigvalsh", {"uplo": "L"}, [g.arr([[4.0, 100.0], [2.0, 5.0]], d)])
        f.add("linalg.eigvalsh", {"uplo": "U"}, [g.arr([[4.0, 100.0], [2.0, 5.0]], d)])
        f.add("linalg.eigvals", {}, [g.arr([[0.0, -1.0], [1.0, 0.0]], d)])
        f.add("linalg.eig", {}, [g.arr([[0.0, -1.0, 0.5], [1.0, 0.0, 0.2], [0.0, 0.3, 2.0]], d)])
        f.add("linalg.cholesky", {"upper": False}, [g.arr([[4.0, 100.0], [2.0, 5.0]], d)])
        f.add("linalg.eigh", {"uplo": "L"}, [g.T(spd(3, (), d), tr([1, 0]))])
    # determinants of singular / integer / half inputs
    f.add("linalg.det", {}, [g.arr([[1.0, 2.0], [2.0, 4.0]], "float32")])
    f.add("linalg.det", {}, [g.arr([[1, 2], [3, 4]], "int32")])
    f.add("linalg.det", {}, [g.arr([[1, 2], [3, 4]], "float16")])
    f.add("linalg.slogdet", {}, [g.arr([[0.0, 0.0], [0.0, 0.0]], "float32")])
    f.add("linalg.slogdet", {}, [g.arr([[1, 2], [3, 4]], "int32")])
    f.add("linalg.slogdet", {}, [g.arr([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], "float64")])
    # empty matrices where MLX allows them (its inv, tri_inv and lu_factor of an empty matrix
    # die of SIGFPE: DIFFERENCES.md; ours return empty results, pinned by unit tests)
    for op, params in [("linalg.qr", {}), ("linalg.cholesky", {"upper": False}),
                       ("linalg.eigvalsh", {"uplo": "L"}), ("linalg.svd", {"compute_uv": False}),
                       ("linalg.det", {}), ("linalg.pinv", {})]:
        f.add(op, params, [r("float32", (0, 0))])
        f.add(op, params, [r("float32", (2, 0, 0))])
    # errors
    for op, params in [("linalg.inv", {}), ("linalg.qr", {}), ("linalg.svd", {"compute_uv": True}),
                       ("linalg.cholesky", {"upper": False}), ("linalg.eigh", {"uplo": "L"}),
                       ("linalg.eigvalsh", {"uplo": "L"}), ("linalg.eig", {}), ("linalg.eigvals", {}),
                       ("linalg.lu", {}), ("linalg.lu_factor", {}), ("linalg.tri_inv", {"upper": False}),
                       ("linalg.pinv", {}), ("linalg.cholesky_inv", {"upper": False})]:
        errors(f, op, params)
    for op, params in [("linalg.inv", {}), ("linalg.cholesky", {"upper": False}), ("linalg.eigh", {"uplo": "L"}),
                       ("linalg.eig", {}), ("linalg.tri_inv", {"upper": True}), ("linalg.det", {}),
                       ("linalg.slogdet", {}), ("linalg.eigvals", {}), ("linalg.eigvalsh", {"uplo": "U"})]:
        f.add(op, params, [r("float32", (2, 3))], expect_error=True)
    f.add("linalg.det", {}, [r("float32", (3,))], expect_error=True)
    f.add("linalg.slogdet", {}, [r("float32", (3,))], expect_error=True)
    f.add("linalg.inv", {}, [g.arr([[1.0, 2.0], [2.0, 4.0]], "float32")], expect_error=True)
    f.add("linalg.solve", {}, [g.arr([[1, 2], [3, 4]], "int32"), g.arr([1, 2], "int32")], expect_error=True)
    f.add("linalg.solve", {}, [r("float32", (3,)), r("float32", (3,))], expect_error=True)
    f.add("linalg.solve", {}, [r("float32", (2, 3)), r("float32", (2,))], expect_error=True)
    f.add("linalg.solve", {}, [well((3, 3)), r("float32", (4,))], expect_error=True)
    f.add("linalg.solve", {}, [well((2, 3, 3)), r("float32", (3,))], expect_error=True)
    f.add("linalg.solve", {}, [g.arr([[0.0, 0.0], [0.0, 0.0]], "float32"), r("float32", (2,))], expect_error=True)
    f.add("linalg.solve_triangular", {"upper": True}, [r("float32", (2, 3)), r("float32", (2,))], expect_error=True)
    f.add("linalg.solve_triangular", {"upper": True}, [well((3, 3)), r("float32", (4,))], expect_error=True)
    # --- norm ---
    m = r("float32", (4, 3))
    v = r("float32", (5,))
    for o in (None, 0.0, 1.0, 2.0, 3.0, 0.5, -1.0, "inf", "-inf"):
        f.add("linalg.norm", {"ord": o, "axis": None, "keepdims": False}, [v])
    for o in (None, "fro", "nuc", 1.0, -1.0, 2.0, -2.0, "inf", "-inf"):
        f.add("linalg.norm", {"ord": o, "axis": None, "keepdims": False}, [m])
        f.add("linalg.norm", {"ord": o, "axis": [2, 0], "keepdims": True}, [r("float32", (3, 2, 4))])
        f.add("linalg.norm", {"ord": o, "axis": [-1, -2], "keepdims": False}, [r("float64", (2, 3, 4))])
    for o, ax, kd in [(None, [1], False), (None, [0, 1], True), (1.0, [0], True), (2.0, [-1], False),
                      ("inf", [1], False), (None, None, True)]:
        f.add("linalg.norm", {"ord": o, "axis": ax, "keepdims": kd}, [r("float32", (3, 4, 2))])
    f.add("linalg.norm", {"ord": None, "axis": None, "keepdims": False}, [r("float32", (2, 3, 4))])
    f.add("linalg.norm", {"ord": None, "axis": None, "keepdims": False}, [g.arr(3.0, "float32")])
    f.add("linalg.norm", {"ord": None, "axis": None, "keepdims": False}, [g.arr([3, 4], "int32")])
    f.add("linalg.norm", {"ord": 1.0, "axis": None, "keepdims": False}, [g.arr([3, -4], "int32")])
    f.add("linalg.norm", {"ord": None, "axis": None, "keepdims": False}, [g.arr([3, 4], "float16")])
    f.add("linalg.norm", {"ord": None, "axis": None, "keepdims": False}, [r("float32", (0,))])
    f.add("linalg.norm", {"ord": 2.0, "axis": None, "keepdims": False}, [g.T(r("float32", (3, 4)), tr([1, 0]))])
    f.add("linalg.norm", {"ord": "fro", "axis": None, "keepdims": False}, [g.T(r("float32", (3, 4)), tr([1, 0]))])
    f.add("linalg.norm", {"ord": 3.0, "axis": None, "keepdims": False}, [m], expect_error=True)
    f.add("linalg.norm", {"ord": 0.0, "axis": None, "keepdims": False}, [m], expect_error=True)
    f.add("linalg.norm", {"ord": "fro", "axis": None, "keepdims": False}, [v], expect_error=True)
    f.add("linalg.norm", {"ord": "nuc", "axis": [0], "keepdims": False}, [m], expect_error=True)
    f.add("linalg.norm", {"ord": 2.0, "axis": None, "keepdims": False}, [r("float32", (2, 3, 4))], expect_error=True)
    f.add("linalg.norm", {"ord": None, "axis": [0, 1, 2], "keepdims": False}, [r("float32", (2, 3, 4))], expect_error=True)
    f.add("linalg.norm", {"ord": 2.0, "axis": None, "keepdims": False}, [g.arr(3.0, "float32")], expect_error=True)
    f.add("linalg.norm", {"ord": None, "axis": [3], "keepdims": False}, [m], expect_error=True)
    # --- cross ---
    for d in ("float32", "float64", "int32"):
        f.add("linalg.cross", {"axis": -1}, [r(d, (4, 3)), r(d, (4, 3))])
    f.add("linalg.cross", {"axis": -1}, [r("float32", (2,)), r("float32", (2,))])
    f.add("linalg.cross", {"axis": -1}, [r("float32", (2,)), r("float32", (3,))])
    f.add("linalg.cross", {"axis": 0}, [r("float32", (3, 2)), r("float32", (3, 2))])
    f.add("linalg.cross", {"axis": -1}, [r("float32", (2, 3)), r("float32", (3,))])
    f.add("linalg.cross", {"axis": -1}, [g.T(r("float32", (3, 4)), tr([1, 0])), r("float32", (4, 3))])
    f.add("linalg.cross", {"axis": -1}, [r("float32", (4,)), r("float32", (4,))], expect_error=True)
    f.add("linalg.cross", {"axis": 2}, [r("float32", (2, 3)), r("float32", (2, 3))], expect_error=True)
    return f


def main():
    if mx.__version__ != g.EXPECTED_MLX:
        sys.exit(f"golden/generate_linalg.py needs mlx=={g.EXPECTED_MLX}, found {mx.__version__}")
    mx.set_default_device(mx.cpu)
    base = g.compute
    g.compute = lambda op, p, xs: compute(op, p, xs) if op.startswith("linalg.") else base(op, p, xs)
    g.rng = np.random.default_rng([g.SEED, 7])
    fam = fam_linalg()
    path = fam.write()
    errs = sum(1 for c in fam.cases if c["error"] is not None)
    print(f"{fam.name}: {len(fam.cases)} cases ({errs} error cases), {os.path.getsize(path) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
