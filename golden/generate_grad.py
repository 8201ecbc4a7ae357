#!/usr/bin/env python3
"""Golden gradient and vmap cases: computes transforms of named composite functions with real MLX.

Requirements (pinned, as golden/generate.py): mlx[cpu]==0.32.4 and numpy.

    python3 golden/generate_grad.py       # writes golden/cases/grad/{grad,grad_vmap,grad_compile}.safetensors

(A subdirectory: mlx-core's op replay reads every file directly in golden/cases.)

Deterministic (fixed seed). Reuses generate.py's safetensors writer, storage conversion and
read-back check; the file format is the same (metadata key "cases", tensors "<id>/in<i>",
"<id>/out<j>").  A case:

    {"id": "grad_0007", "fn": "layer_norm", "kind": "grad", "argnums": [0, 1, 2],
     "inputs": [{"dtype": "float32", "shape": [3, 4]}, ...],
     "outputs": [{"dtype": "float32", "shape": []}, ...]}

kinds (F is the named function, defined below and, identically, in
crates/mlx-autograd/tests/golden_grad.rs):
  grad        outputs = [F(*xs)] + mx.grad(F, argnums)(*xs)             (F returns a scalar)
  jvp         inputs = primals + tangents (half each); outputs = mx.jvp(F, primals, tangents)
              -> outputs of F then their tangents
  vjp         inputs = primals + cotangents ("n_primals" says where they split);
              outputs = mx.vjp(F, primals, cts) -> outputs of F then one cotangent per primal
  grad2       outputs = mx.grad(lambda *xs: mx.sum(mx.grad(F)(*xs)))(*xs)  (grad of grad, arg 0)
  vmap        params in_axes (list, null = unmapped) and out_axes (list); outputs = vmap(F)(*xs)
  vmap_grad   outputs = vmap(grad(F), in_axes, out_axes)(*xs)          (F scalar, argnum 0)
  grad_vmap   outputs = grad(lambda *xs: sum(vmap(F, in_axes, out_axes)(*xs)[0]))(*xs)
  compile     outputs = mx.compile(F)(*xs) (second call: the replayed graph)
  compile_grad outputs = [mx.compile(mx.grad(F))(*xs), mx.grad(mx.compile(F))(*xs)] (argnum 0)

Functions return a list of arrays.
"""

import os
import sys

import numpy as np
import mlx.core as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate as G  # noqa: E402

SEED = 20240607
rng = np.random.default_rng(SEED)


def rand(dtype, shape, kind="any"):
    v = rng.standard_normal(shape)
    if kind == "pos":
        v = np.abs(v) + 0.5
    return G.arr(np.round(v, 4).reshape(shape), dtype)


class own_rng:
    """Draws from a generator of its own inside the block (new cases leave old draws alone)."""

    def __init__(self, k):
        self.k = k

    def __enter__(self):
        global rng
        self.saved, rng = rng, np.random.default_rng(SEED + self.k)

    def __exit__(self, *exc):
        global rng
        rng = self.saved


def onehot(dtype, n, k):
    v = np.zeros((n, k))
    v[np.arange(n), rng.integers(0, k, n)] = 1.0
    return G.arr(v, dtype)


# ----------------------------------------------------------------------------------------
# Named functions (each mirrored in Rust)
# ----------------------------------------------------------------------------------------

def log_softmax(x):
    return x - mx.logsumexp(x, axis=-1, keepdims=True)


F = {
    # losses and layers
    "softmax_xent": lambda logits, y: [-mx.sum(y * log_softmax(logits)) / logits.shape[0]],
    "layer_norm": lambda x, w, b: [mx.sum(mx.square(
        (x - mx.mean(x, axis=-1, keepdims=True))
        / mx.sqrt(mx.var(x, axis=-1, keepdims=True) + 1e-5) * w + b))],
    "attention": lambda q, k, v: [mx.sum(mx.square(
        mx.softmax(q @ mx.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), axis=-1) @ v))],
    "logsumexp_sum": lambda x: [mx.sum(mx.logsumexp(x, axis=-1))],
    "slice_index": lambda x: [mx.sum(mx.square(x[1:, ::2])) + mx.sum(x[::-1, 1] * 3.0)
                              + mx.sum(x[-1:-4:-2, 3:0:-2])],
    "matmul_bcast": lambda a, b: [mx.sum(mx.square(a @ b))],
    "matvec": lambda a, b: [mx.sum(mx.exp((a @ b) * 0.1))],
    "max_min_ties": lambda a, b: [mx.sum(mx.maximum(a, b) * 2.0 + mx.minimum(a, b))],
    "clip": lambda x: [mx.sum(mx.minimum(mx.maximum(x, -1.0), 1.0) * x)],
    "reduce_max_ties": lambda x: [mx.sum(mx.max(x, axis=1)) + mx.sum(mx.min(x, axis=0) * 2.0)],
    "prod_zeros": lambda x: [mx.sum(mx.prod(x, axis=1))],
    "mse_linear": lambda w, b, x, y: [mx.mean(mx.square(x @ w + b - y))],
    "var_std": lambda x: [mx.sum(mx.var(x, axis=0)) + mx.sum(mx.std(x, axis=1, ddof=1))],
    "abs_sqrt_log": lambda x: [mx.sum(mx.sqrt(mx.abs(x) + 0.1) + mx.log(mx.abs(x) + 1.0))],
    "concat_slices": lambda a, b: [mx.sum(mx.square(mx.concatenate([a, b * 2.0], axis=1)[:, 1:4]))],
    "transpose_reshape": lambda x: [mx.sum(mx.reshape(mx.transpose(x, (1, 0, 2)), (-1,))
                                           * mx.arange(24).astype(x.dtype))],
    "where_select": lambda x: [mx.sum(mx.where(x > 0, x * x, -x))],
    "divide_fn": lambda a, b: [mx.sum(a / b)],
    "mean_axes": lambda x: [mx.sum(mx.square(mx.mean(x, axis=(0, 2))))],
    "broadcast_add": lambda a, b: [mx.sum(mx.square(a + b))],
    "mlp": lambda w1, b1, w2, b2, x: [mx.sum(mx.square(
        mx.maximum(x @ w1 + b1, 0.0) @ w2 + b2))],
    "softmax_weighted": lambda x: [mx.sum(mx.softmax(x, axis=-1) * mx.arange(4).astype(x.dtype))],
    "cube": lambda x: [mx.sum(x * x * x)],
    "exp_mul": lambda x: [mx.sum(mx.exp(x) * x)],
    "stop_grad": lambda x, w: [mx.sum(x * mx.stop_gradient(x * w) + w * w)],
    "checkpointed": lambda x, w: [mx.sum(mx.checkpoint(
        lambda a, b: [mx.exp(mx.maximum(a @ b, 0.0) * 0.5)])(x, w)[0])],
    # non-scalar (jvp/vjp/vmap)
    "tanh_like": lambda x: [(mx.exp(x) - mx.exp(-x)) / (mx.exp(x) + mx.exp(-x))],
    "two_out": lambda a, b: [a * b, mx.sum(a, axis=0) + mx.max(b, axis=0)],
    "row_softmax_dot": lambda x, w: [mx.softmax(x, axis=-1) @ w],
    "sum_sq": lambda x: [mx.sum(x * x)],
    "outer": lambda a, b: [mx.expand_dims(a, 1) * mx.expand_dims(b, 0)],
    "lse": lambda x: [mx.logsumexp(x, axis=-1)],
    "normalize": lambda x: [(x - mx.mean(x)) / mx.sqrt(mx.var(x) + 1e-5)],
    "slice_cat": lambda x: [mx.concatenate([x[1:], x[:1] * 2.0], axis=0)],
    "transpose2": lambda x: [mx.transpose(x) * 2.0],
    "where_max": lambda x, y: [mx.where(x > y, x, mx.maximum(y, 0.0))],
    "reduce_max0": lambda x: [mx.max(x, axis=0)],
    "argmax_f": lambda x: [mx.argmax(x, axis=-1)],
    "bcast": lambda x: [mx.broadcast_to(mx.expand_dims(x, 0), (2,) + tuple(x.shape)) * 1.5],
    "prod_last": lambda x: [mx.prod(x, axis=-1)],
    "matvec_v": lambda m, v: [m @ v],
    # indexing: take_along_axis cross-entropy, put_along_axis, cumsum, sort
    "xent_take": lambda logits: [-mx.mean(mx.take_along_axis(
        log_softmax(logits), mx.array([[1], [0], [3], [2]]), axis=-1))],
    "put_along": lambda x, u: [mx.sum(mx.square(mx.put_along_axis(
        x, mx.array([[0, 2], [3, 1], [1, 0]]), u, axis=1)))],
    "cumsum_fn": lambda x: [mx.sum(mx.cumsum(x, axis=1) * mx.arange(4).astype(x.dtype))
                            + mx.sum(mx.square(mx.cumsum(x, axis=0, reverse=True, inclusive=False)))],
    "sort_fn": lambda x: [mx.sum(mx.sort(x, axis=-1) * mx.arange(4).astype(x.dtype))
                          + mx.sum(mx.square(mx.sort(x, axis=0)))],
    "take_v": lambda x: [mx.take_along_axis(x, mx.array([2, 0, 0]), axis=0) * 2.0],
    "cumsum_v": lambda x: [mx.cumsum(x, axis=-1)],
    # issue #4: the remaining rules (scans, reducing scatters, gather_mm, as_strided)
    "cumprod_zeros": lambda x: [mx.sum(mx.cumprod(x, axis=1) * mx.arange(1, 5).astype(x.dtype))
                                + mx.sum(mx.square(mx.cumprod(x, axis=0, reverse=True, inclusive=False)))],
    "cummax_ties": lambda x: [mx.sum(mx.cummax(x, axis=1) * mx.arange(1, 5).astype(x.dtype))
                              + mx.sum(mx.cummin(x, axis=0, reverse=True) * 2.0)
                              + mx.sum(mx.cummax(x, axis=1, reverse=True, inclusive=False)[:, :-1] * 3.0)],
    "logcumsumexp_fn": lambda x: [mx.sum(mx.logcumsumexp(x, axis=1) * mx.arange(1, 5).astype(x.dtype))
                                  + mx.sum(mx.logcumsumexp(x, axis=0, reverse=True, inclusive=False)[:-1])],
    "scatter_max_ties": lambda x, u: [mx.sum(x.at[mx.array([0, 2, 0])].maximum(u) * mx.arange(1, 4).astype(x.dtype))
                                      + mx.sum(x.at[mx.array([1, 1, 3])].minimum(u) * 2.0)],
    "gather_mm_fn": lambda a, b: [mx.sum(mx.square(mx.gather_mm(a, b, mx.array([2, 0, 2]), mx.array([1, 1, 3]))))],
    "as_strided_fn": lambda x: [mx.sum(mx.as_strided(x, (3, 3), (2, 1), 1)
                                       * mx.reshape(mx.arange(9), (3, 3)).astype(x.dtype))],
    "cumprod_v": lambda x: [mx.cumprod(x, axis=-1)],
    "cummax_v": lambda x: [mx.cummax(x, axis=0)],
    "lcse_v": lambda x: [mx.logcumsumexp(x, axis=-1, reverse=True)],
    "lcse_sq": lambda x: [mx.sum(mx.square(mx.logcumsumexp(x, axis=1)))],
    # compile: gelu (erf form), a softplus-like chain with repeated subexpressions
    "gelu": lambda x: [x * 0.5 * (1.0 + mx.erf(x / np.sqrt(2.0)))],
    "cse_chain": lambda x, y: [mx.exp(x * 2.0) + mx.exp(x * 2.0) * y - mx.log(1.0 + mx.exp(x * 2.0))],
    # fft (fft branch): real losses of transforms (MLX's conjugate-transpose VJPs)
    "rfft_sq": lambda x: [mx.sum(mx.square(mx.real(mx.fft.rfft(x))) * mx.arange(4).astype(mx.float32))],
    "irfft_odd": lambda x: [mx.sum(mx.square(mx.fft.irfft(x.astype(mx.complex64), n=5))
                                   * mx.arange(5).astype(mx.float32))],
    "fft2_mix": lambda x: [mx.sum(mx.real(mx.fft.fft2(x)) * mx.imag(mx.fft.ifft2(x * 2.0, norm="ortho")))],
    "stft_energy": lambda x: [mx.sum(mx.square(mx.real(mx.fft.stft(x, n_fft=4, hop_length=2))))],
}


def call(name, xs):
    out = F[name](*xs)
    return list(out)


class Fam(G.Family):
    def case(self, fn, kind, inputs, outputs, **extra):
        cid = f"{self.name}_{len(self.cases):04d}"
        ins = []
        for i, a in enumerate(inputs):
            data, st, shape = G.to_storage(a)
            self.tensors[f"{cid}/in{i}"] = (data, st, shape)
            ins.append({"dtype": G.NAME[a.dtype], "shape": [int(s) for s in a.shape]})
        outs = []
        for j, a in enumerate(outputs):
            mx.eval(a)
            data, st, shape = G.to_storage(a)
            self.tensors[f"{cid}/out{j}"] = (data, st, shape)
            outs.append({"dtype": G.NAME[a.dtype], "shape": [int(s) for s in a.shape]})
        c = {"id": cid, "fn": fn, "kind": kind, "inputs": ins, "outputs": outs, "error": None}
        c.update(extra)
        self.cases.append(c)


def grad_case(f, fn, xs, argnums):
    value = call(fn, xs)[0]
    gs = mx.grad(lambda *a: call(fn, a)[0], argnums=argnums)(*xs)
    if not isinstance(gs, (list, tuple)):
        gs = [gs]
    f.case(fn, "grad", xs, [value] + list(gs), argnums=list(argnums))


def jvp_case(f, fn, xs):
    ts = [rand(G.NAME[x.dtype], x.shape) for x in xs]
    outs, tans = mx.jvp(lambda *a: call(fn, a), xs, ts)
    f.case(fn, "jvp", xs + ts, list(outs) + list(tans))


def vjp_case(f, fn, xs):
    outs = call(fn, xs)
    cts = [rand(G.NAME[o.dtype], o.shape) for o in outs]
    outs, grads = mx.vjp(lambda *a: call(fn, a), xs, cts)
    f.case(fn, "vjp", xs + cts, list(outs) + list(grads), n_primals=len(xs))


def grad2_case(f, fn, xs):
    inner = mx.grad(lambda *a: call(fn, a)[0])
    g2 = mx.grad(lambda *a: mx.sum(inner(*a)))(*xs)
    f.case(fn, "grad2", xs, [g2])


def fam_grad():
    f = Fam("grad")
    for d in ("float32", "float64"):
        grad_case(f, "softmax_xent", [rand(d, (4, 5)), onehot(d, 4, 5)], (0,))
        grad_case(f, "layer_norm", [rand(d, (3, 6)), rand(d, (6,)), rand(d, (6,))], (0, 1, 2))
        grad_case(f, "attention", [rand(d, (2, 3, 4)), rand(d, (2, 5, 4)), rand(d, (2, 5, 3))], (0, 1, 2))
        grad_case(f, "logsumexp_sum", [rand(d, (3, 4)) * 3.0], (0,))
        grad_case(f, "slice_index", [rand(d, (5, 6))], (0,))
        grad_case(f, "matmul_bcast", [rand(d, (2, 1, 3, 4)), rand(d, (5, 4, 2))], (0, 1))
        grad_case(f, "matvec", [rand(d, (3, 4)), rand(d, (4,))], (0, 1))
        grad_case(f, "matvec", [rand(d, (4,)), rand(d, (2, 4, 3))], (0, 1))
        ties_a = G.arr([[1.0, 2.0, 2.0, -1.0], [0.5, 0.5, 3.0, -2.0]], d)
        ties_b = G.arr([[1.0, 1.0, 3.0, -1.0], [0.5, 1.0, 3.0, -3.0]], d)
        grad_case(f, "max_min_ties", [ties_a, ties_b], (0, 1))
        grad_case(f, "max_min_ties", [ties_a, G.arr([2.0, 0.5, 3.0, -1.0], d)], (0, 1))
        grad_case(f, "clip", [G.arr([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5], d)], (0,))
        grad_case(f, "reduce_max_ties", [G.arr([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 3.0, -1.0]], d)], (0,))
        grad_case(f, "prod_zeros", [G.arr([[1.5, 2.0, 3.0], [0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [-1.0, 0.5, 2.0]], d)], (0,))
        grad_case(f, "mse_linear", [rand(d, (3, 2)), rand(d, (2,)), rand(d, (8, 3)), rand(d, (8, 2))], (0, 1))
        grad_case(f, "var_std", [rand(d, (4, 3))], (0,))
        grad_case(f, "abs_sqrt_log", [G.arr([-2.0, -0.5, 0.0, 0.25, 3.0], d)], (0,))
        grad_case(f, "concat_slices", [rand(d, (2, 2)), rand(d, (2, 3))], (0, 1))
        grad_case(f, "transpose_reshape", [rand(d, (2, 3, 4))], (0,))
        grad_case(f, "where_select", [G.arr([-1.5, -0.0, 0.0, 0.5, 2.0], d)], (0,))
        grad_case(f, "divide_fn", [rand(d, (3,)), rand(d, (3,), "pos")], (0, 1))
        grad_case(f, "mean_axes", [rand(d, (2, 3, 4))], (0,))
        grad_case(f, "broadcast_add", [rand(d, (3, 1)), rand(d, (4,))], (0, 1))
        grad_case(f, "mlp", [rand(d, (3, 5)), rand(d, (5,)), rand(d, (5, 2)), rand(d, (2,)), rand(d, (4, 3))],
                  (0, 1, 2, 3))
        grad_case(f, "softmax_weighted", [rand(d, (3, 4))], (0,))
        grad_case(f, "exp_mul", [rand(d, (2, 3))], (0,))
        grad_case(f, "cube", [rand(d, (4,))], (0,))
        grad_case(f, "stop_grad", [rand(d, (2, 3)), rand(d, (2, 3))], (0, 1))
        grad_case(f, "checkpointed", [rand(d, (2, 3)), rand(d, (3, 4))], (0, 1))
        # argnums order
        grad_case(f, "mlp", [rand(d, (3, 5)), rand(d, (5,)), rand(d, (5, 2)), rand(d, (2,)), rand(d, (4, 3))],
                  (4, 0))
        # jvp / vjp / grad of grad
        jvp_case(f, "tanh_like", [rand(d, (2, 3))])
        jvp_case(f, "layer_norm", [rand(d, (2, 4)), rand(d, (4,)), rand(d, (4,))])
        jvp_case(f, "two_out", [rand(d, (3, 2)), rand(d, (3, 2))])
        jvp_case(f, "attention", [rand(d, (1, 2, 3)), rand(d, (1, 4, 3)), rand(d, (1, 4, 2))])
        jvp_case(f, "prod_zeros", [G.arr([[1.5, 2.0, 3.0], [0.0, 2.0, 3.0], [0.0, 0.0, 3.0]], d)])
        vjp_case(f, "tanh_like", [rand(d, (2, 3))])
        vjp_case(f, "two_out", [rand(d, (3, 2)), rand(d, (3, 2))])
        vjp_case(f, "row_softmax_dot", [rand(d, (3, 4)), rand(d, (4, 2))])
        vjp_case(f, "slice_cat", [rand(d, (4, 2))])
        grad2_case(f, "cube", [rand(d, (4,))])
        grad2_case(f, "exp_mul", [rand(d, (2, 3))])
        grad2_case(f, "logsumexp_sum", [rand(d, (2, 3))])
        grad2_case(f, "softmax_xent", [rand(d, (2, 3)), onehot(d, 2, 3)])
        grad_case(f, "xent_take", [rand(d, (4, 5))], (0,))
        grad_case(f, "put_along", [rand(d, (3, 4)), rand(d, (3, 2))], (0, 1))
        grad_case(f, "cumsum_fn", [rand(d, (3, 4))], (0,))
        grad_case(f, "sort_fn", [rand(d, (3, 4))], (0,))
    # issue #4 (own generator, so the draws of the cases above stay as they were)
    with own_rng(1):
        for d in ("float32", "float64"):
            # issue #4: cumprod with zeros, cummax/cummin ties, scatter max/min ties, gather_mm, ...
            zs = G.arr([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 0.5], [2.0, -0.5, 1.2, 0.0]], d)
            grad_case(f, "cumprod_zeros", [zs], (0,))
            grad_case(f, "cumprod_zeros", [rand(d, (3, 4))], (0,))
            ties = G.arr([[1.0, 3.0, 3.0, 2.0], [2.0, 2.0, 1.0, 2.0], [3.0, 1.0, 1.0, 3.0]], d)
            grad_case(f, "cummax_ties", [ties], (0,))
            grad_case(f, "cummax_ties", [rand(d, (3, 4))], (0,))
            grad_case(f, "logcumsumexp_fn", [rand(d, (3, 4)) * 3.0], (0,))
            sx = G.arr([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5], [2.0, -2.0, 0.0], [0.0, 1.0, 1.0]], d)
            su = G.arr([[1.0, -1.0, 0.5], [0.5, 0.5, 3.0], [1.0, 2.0, -1.0]], d)
            grad_case(f, "scatter_max_ties", [sx, su], (0, 1))
            grad_case(f, "scatter_max_ties", [rand(d, (4, 3)), rand(d, (3, 3))], (0, 1))
            if d == "float32":  # MLX's gather_mm runs in float32 only
                grad_case(f, "gather_mm_fn", [rand(d, (3, 2, 4)), rand(d, (4, 4, 3))], (0, 1))
            grad_case(f, "as_strided_fn", [rand(d, (12,))], (0,))
            jvp_case(f, "logcumsumexp_fn", [rand(d, (3, 4))])
            jvp_case(f, "as_strided_fn", [rand(d, (12,))])
            vjp_case(f, "cumprod_v", [G.arr([[1.5, 0.0, 2.0, -1.0], [0.5, 2.0, 0.0, 0.0]], d)])
            vjp_case(f, "cummax_v", [ties])
            vjp_case(f, "lcse_v", [rand(d, (2, 5))])
            grad2_case(f, "lcse_sq", [rand(d, (3, 4))])
    # fft (float32 only: MLX transforms in float32/complex64). Own generator, so the shared
    # stream (and every later case) is unchanged.
    own = np.random.default_rng(SEED + 1)
    r32 = lambda shape: G.arr(np.round(own.standard_normal(shape), 4), "float32")
    grad_case(f, "rfft_sq", [r32((3, 6))], (0,))
    grad_case(f, "irfft_odd", [r32((2, 3))], (0,))
    grad_case(f, "fft2_mix", [r32((3, 4))], (0,))
    grad_case(f, "stft_energy", [r32((10,))], (0,))
    return f


def vmap_case(f, fn, xs, in_axes, out_axes, kind="vmap"):
    if kind == "vmap":
        g = mx.vmap(lambda *a: call(fn, a), in_axes=tuple(in_axes), out_axes=list(out_axes))
        outs = g(*xs)
    elif kind == "vmap_grad":
        g = mx.vmap(mx.grad(lambda *a: call(fn, a)[0]), in_axes=tuple(in_axes), out_axes=out_axes[0])
        outs = [g(*xs)]
    else:  # grad_vmap
        v = mx.vmap(lambda *a: call(fn, a), in_axes=tuple(in_axes), out_axes=list(out_axes))
        outs = [mx.grad(lambda *a: mx.sum(v(*a)[0]))(*xs)]
    f.case(fn, kind, xs, list(outs), in_axes=list(in_axes), out_axes=list(out_axes))


def fam_vmap():
    f = Fam("grad_vmap")
    d = "float32"
    vmap_case(f, "row_softmax_dot", [rand(d, (5, 4)), rand(d, (4, 2))], [0, None], [0])
    vmap_case(f, "row_softmax_dot", [rand(d, (4, 5)), rand(d, (4, 2))], [1, None], [1])
    vmap_case(f, "row_softmax_dot", [rand(d, (5, 4)), rand(d, (4, 2, 5))], [0, 2], [-1])
    vmap_case(f, "matvec_v", [rand(d, (3, 2, 4)), rand(d, (4, 3))], [0, 1], [0])
    vmap_case(f, "sum_sq", [rand(d, (3, 4))], [1], [0])
    vmap_case(f, "outer", [rand(d, (3, 2)), rand(d, (4, 3))], [0, 1], [2])
    vmap_case(f, "lse", [rand(d, (2, 3, 4))], [1], [0])
    vmap_case(f, "normalize", [rand(d, (3, 5))], [0], [1])
    vmap_case(f, "slice_cat", [rand(d, (4, 3))], [1], [0])
    vmap_case(f, "transpose2", [rand(d, (2, 3, 4))], [2], [0])
    vmap_case(f, "where_max", [rand(d, (3, 4)), rand(d, (4,))], [0, None], [0])
    vmap_case(f, "reduce_max0", [G.arr([[1.0, 3.0], [3.0, 3.0], [2.0, -1.0]], d)], [1], [0])
    vmap_case(f, "argmax_f", [rand(d, (3, 4))], [0], [0])
    vmap_case(f, "bcast", [rand(d, (3, 2))], [0], [1])
    vmap_case(f, "prod_last", [rand(d, (2, 3, 4))], [1], [0])
    vmap_case(f, "two_out", [rand(d, (2, 3, 2)), rand(d, (3, 2))], [0, None], [0, 1])
    vmap_case(f, "tanh_like", [rand(d, (3, 2))], [-1], [-1])
    vmap_case(f, "attention", [rand(d, (2, 1, 3, 4)), rand(d, (2, 1, 5, 4)), rand(d, (1, 5, 3))],
              [0, 0, None], [0])
    # vmap of grad (per-example gradients), grad of vmap
    vmap_case(f, "take_v", [rand(d, (3, 5))], [1], [0])
    vmap_case(f, "cumsum_v", [rand(d, (3, 4))], [0], [1])
    vmap_case(f, "sort_fn", [rand(d, (2, 3, 4))], [0], [0], kind="vmap_grad")
    vmap_case(f, "xent_take", [rand(d, (3, 4, 5))], [0], [0], kind="vmap_grad")
    vmap_case(f, "sum_sq", [rand(d, (3, 4))], [0], [0], kind="vmap_grad")
    vmap_case(f, "logsumexp_sum", [rand(d, (4, 2, 3))], [1], [0], kind="vmap_grad")
    vmap_case(f, "softmax_xent", [rand(d, (3, 2, 4)), onehot(d, 2, 4)], [0, None], [0], kind="vmap_grad")
    vmap_case(f, "mse_linear", [rand(d, (4, 3, 2)), rand(d, (2,)), rand(d, (5, 3)), rand(d, (5, 2))],
              [0, None, None, None], [0], kind="vmap_grad")
    vmap_case(f, "cube", [rand(d, (3, 2))], [1], [1], kind="vmap_grad")
    vmap_case(f, "lse", [rand(d, (3, 4))], [0], [0], kind="grad_vmap")
    vmap_case(f, "normalize", [rand(d, (3, 4))], [1], [0], kind="grad_vmap")
    vmap_case(f, "row_softmax_dot", [rand(d, (5, 4)), rand(d, (4, 2))], [0, None], [0], kind="grad_vmap")
    with own_rng(2):
        # issue #4: vmap of the scans and reducing scatters, and of their gradients
        vmap_case(f, "cumprod_v", [rand(d, (3, 4))], [1], [0])
        vmap_case(f, "cummax_v", [G.arr([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0], [3.0, 1.0, 1.0]], d)], [1], [1])
        vmap_case(f, "lcse_v", [rand(d, (2, 3, 4))], [1], [0])
        vmap_case(f, "scatter_max_ties", [rand(d, (2, 4, 3)), rand(d, (3, 3))], [0, None], [0])
        vmap_case(f, "cummax_ties", [rand(d, (2, 3, 4))], [0], [0], kind="vmap_grad")
        vmap_case(f, "cumprod_zeros", [rand(d, (3, 4, 2))], [2], [0], kind="vmap_grad")
        vmap_case(f, "scatter_max_ties", [rand(d, (2, 4, 3)), rand(d, (3, 3))], [0, None], [0], kind="vmap_grad")
        vmap_case(f, "lcse_v", [rand(d, (3, 4))], [0], [0], kind="grad_vmap")
    return f


def compile_case(f, fn, xs, kind="compile"):
    if kind == "compile":
        c = mx.compile(lambda *a: call(fn, a))
        outs = list(c(*xs))
        outs = list(c(*xs))  # the second call replays the cached graph
    else:  # compile_grad: compile(grad(F)) and grad(compile(F))
        g = mx.compile(mx.grad(lambda *a: call(fn, a)[0]))
        outs = [g(*xs), mx.grad(mx.compile(lambda *a: call(fn, a)[0]))(*xs)]
    f.case(fn, kind, xs, outs)


def fam_compile():
    f = Fam("grad_compile")
    rng_saved = own_rng(3)
    rng_saved.__enter__()
    for d in ("float32", "float64"):
        compile_case(f, "gelu", [rand(d, (4, 5)) * 2.0])
        compile_case(f, "cse_chain", [rand(d, (3, 4)), rand(d, (4,))])
        compile_case(f, "tanh_like", [rand(d, (2, 3))])
        compile_case(f, "normalize", [rand(d, (3, 5))])
        compile_case(f, "two_out", [rand(d, (3, 2)), rand(d, (3, 2))])
        compile_case(f, "row_softmax_dot", [rand(d, (3, 4)), rand(d, (4, 2))])
        compile_case(f, "cumsum_fn", [rand(d, (3, 4))])
        compile_case(f, "layer_norm", [rand(d, (3, 6)), rand(d, (6,)), rand(d, (6,))])
        compile_case(f, "logsumexp_sum", [rand(d, (3, 4))], kind="compile_grad")
        compile_case(f, "mlp", [rand(d, (3, 5)), rand(d, (5,)), rand(d, (5, 2)), rand(d, (2,)), rand(d, (4, 3))],
                     kind="compile_grad")
    rng_saved.__exit__()
    return f


def main():
    if mx.__version__ != G.EXPECTED_MLX:
        sys.exit(f"golden/generate_grad.py needs mlx=={G.EXPECTED_MLX}, found {mx.__version__}")
    mx.set_default_device(mx.cpu)
    G.OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases", "grad")
    for make in (fam_grad, fam_vmap, fam_compile):
        fam = make()
        path = fam.write()
        print(f"{fam.name:10s} {len(fam.cases):4d} cases  {os.path.getsize(path) / 1024:7.1f} KiB")


if __name__ == "__main__":
    main()
