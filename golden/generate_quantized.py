"""Golden family "quantized": mx.quantize / mx.dequantize / mx.quantized_matmul, mode "affine".

Imported by generate.py (`bind(globals())` shares its helpers).  Params per op:
quantize {"group_size", "bits", "mode"} (inputs: w; outputs: w_q, scales, biases);
dequantize {"group_size", "bits", "mode", "biases" (bool: is input 2 the biases), "dtype" | null}
(inputs: w, scales[, biases]); quantized_matmul {"transpose", "group_size", "bits", "mode",
"biases" (bool)} (inputs: x, w, scales[, biases]).  `group_size` / `bits` may be null (MLX's
defaults 64 / 4).

quantize and dequantize are compared bit-exactly by the replay (packed words, scales, biases,
values); quantized_matmul with a tolerance (MLX's fused kernel sums in its own order, in the
input dtype for 3/5/6 bits).  Cases MLX 0.32.4 itself mishandles are not emitted: group_size or
bits 0 in quantize / quantized_matmul (SIGFPE), an empty x in quantized_matmul (SIGFPE),
dequantize of an empty w ("[reshape] Cannot infer the shape of an empty array"), a 2-D x against
a batched w (MLX returns one batch) and scales whose leading dims differ from w's (accepted).
The modes mxfp4 / mxfp8 / nvfp4 succeed in MLX but are not implemented here (they error), so
only an invalid mode name appears as an error case.
"""

import mlx.core as mx
import numpy as np


def bind(ns):
    globals().update({k: v for k, v in ns.items() if not k.startswith("__") and k not in ("FAMILIES", "compute")})
    globals()["_NS"] = ns


def gen():
    """generate.py's current random stream (own_stream swaps it, so never a bound copy)."""
    return _NS["rng"]


OPS = ["quantize", "dequantize", "quantized_matmul"]
BITS = [1, 2, 3, 4, 5, 6, 8]
GROUPS = [32, 64, 128]


def compute(op, p, xs):
    if op not in OPS:
        return None
    if op == "quantize":
        return list(mx.quantize(xs[0], group_size=p["group_size"], bits=p["bits"], mode=p["mode"]))
    if op == "dequantize":
        b = xs[2] if p["biases"] else None
        d = None if p["dtype"] is None else MX[p["dtype"]]
        return mx.dequantize(xs[0], xs[1], b, group_size=p["group_size"], bits=p["bits"], mode=p["mode"], dtype=d)
    b = xs[3] if p["biases"] else None
    return mx.quantized_matmul(xs[0], xs[1], xs[2], b, transpose=p["transpose"], group_size=p["group_size"],
                               bits=p["bits"], mode=p["mode"])


def qp(gs, bits, mode="affine"):
    return {"group_size": gs, "bits": bits, "mode": mode}


def quant(w, gs, bits):
    q, s, b = mx.quantize(w, group_size=gs, bits=bits)
    mx.eval(q, s, b)
    return q, s, b


def fam_quantized():
    f = Family("quantized")
    with own_stream(SEED + 611):
        _quantize(f)
        _dequantize(f)
        _qmm(f)
    return f


def _quantize(f):
    r = lambda d, s: rand(d, s)
    # Every dtype x bits x group_size on a 2-D input with several rows.
    for d in ("float32", "float16", "bfloat16"):
        for bits in BITS:
            for gs in GROUPS:
                f.add("quantize", qp(gs, bits), [r(d, (2, 256))])
    # 3-D / 4-D inputs, the defaults, a transposed (non-contiguous) input.
    for bits in (3, 4, 5, 6):
        f.add("quantize", qp(64, bits), [r("float32", (2, 3, 128))])
    f.add("quantize", qp(32, 2), [r("bfloat16", (2, 1, 2, 64))])
    f.add("quantize", qp(None, None), [r("float32", (4, 128))])
    f.add("quantize", qp(None, 8), [r("float16", (2, 2, 64))])
    f.add("quantize", qp(32, 5), [T(r("float32", (64, 3)), v_transpose([1, 0]))])
    # Groups that take every branch: all positive (edge = max), all negative (edge = min),
    # constant (scale eps), zeros, a large range, small magnitudes, exact halves.
    rows = [np.abs(gen().standard_normal(64)) + 0.5, -np.abs(gen().standard_normal(64)) - 0.5,
            np.full(64, 3.25), np.zeros(64), gen().standard_normal(64) * 1000.0,
            gen().standard_normal(64) * 1e-3, np.arange(64) / 2.0 - 10.0, np.linspace(-1.0, 7.0, 64)]
    special = np.stack(rows).astype(np.float32)
    for d in ("float32", "float16", "bfloat16"):
        for bits in BITS:
            f.add("quantize", qp(32, bits), [arr(special, d)])
    # Empty inputs.
    f.add("quantize", qp(64, 4), [r("float32", (0, 128))])
    f.add("quantize", qp(32, 3), [r("float32", (2, 0))])
    f.add("quantize", qp(32, 6), [r("float32", (2, 0, 96))])
    # Errors (in MLX's order: mode, dtype, ndim, divisibility, group size, bits).
    f.add("quantize", qp(64, 4), [r("float32", (128,))], expect_error=True)
    f.add("quantize", qp(64, 4), [r("float32", (4, 96))], expect_error=True)
    f.add("quantize", qp(33, 7), [r("float32", (2, 96))], expect_error=True)
    f.add("quantize", qp(16, 4), [r("float32", (2, 64))], expect_error=True)
    f.add("quantize", qp(256, 4), [r("float32", (2, 256))], expect_error=True)
    f.add("quantize", qp(-32, 4), [r("float32", (2, 64))], expect_error=True)
    for bits in (0, 7, 16):
        f.add("quantize", qp(32, bits), [r("float32", (2, 64))], expect_error=True)
    f.add("quantize", qp(64, 4), [r("int32", (2, 128))], expect_error=True)
    f.add("quantize", qp(64, 4), [r("complex64", (2, 128))], expect_error=True)
    f.add("quantize", qp(64, 4), [r("float64", (2, 128))], expect_error=True)
    f.add("quantize", qp(64, 4, "foo"), [r("float32", (2, 128))], expect_error=True)


def deq(gs, bits, biases=True, dtype=None, mode="affine"):
    return {"group_size": gs, "bits": bits, "mode": mode, "biases": biases, "dtype": dtype}


def _dequantize(f):
    r = lambda d, s: rand(d, s)
    # Dequantize MLX's own quantize output: every bits x group size (float32), every bits
    # (float16 / bfloat16), 3-D.
    for d, groups in (("float32", GROUPS), ("float16", [64]), ("bfloat16", [32])):
        for bits in BITS:
            for gs in groups:
                q, s, b = quant(r(d, (2, 256)), gs, bits)
                f.add("dequantize", deq(gs, bits), [q, s, b])
    for bits in (3, 4, 6):
        q, s, b = quant(r("float32", (2, 3, 128)), 32, bits)
        f.add("dequantize", deq(32, bits), [q, s, b])
    q, s, b = quant(r("float32", (4, 128)), 64, 4)
    f.add("dequantize", deq(None, None), [q, s, b])
    # Arbitrary words (every code pattern) with random scales and biases.
    for bits in BITS:
        words = arr(gen().integers(0, 2**32, (4, 4 * bits), dtype=np.uint64).astype(np.uint32), "uint32")
        f.add("dequantize", deq(32, bits), [words, r("float32", (4, 4)), r("float32", (4, 4))])
        f.add("dequantize", deq(64, bits), [words, r("float16", (4, 2)), r("float16", (4, 2))])
    # Output dtype: given (cast after computing), mixed scale / bias dtypes (promoted).
    q, s, b = quant(r("float32", (3, 128)), 32, 4)
    f.add("dequantize", deq(32, 4, dtype="float16"), [q, s, b])
    f.add("dequantize", deq(32, 4, dtype="bfloat16"), [q, s, b])
    q16, s16, b16 = quant(r("float16", (3, 128)), 32, 5)
    f.add("dequantize", deq(32, 5, dtype="float32"), [q16, s16, b16])
    f.add("dequantize", deq(32, 4), [q, s, b.astype(mx.float16)])
    f.add("dequantize", deq(32, 4), [q, s.astype(mx.float64), b.astype(mx.float64)])
    # A group size quantize does not produce but dequantize accepts.
    f.add("dequantize", deq(16, 4), [q, r("float32", (3, 8)), r("float32", (3, 8))])
    # Non-contiguous packed words.
    qt = arr(gen().integers(0, 2**32, (6, 3), dtype=np.uint64).astype(np.uint32), "uint32")
    f.add("dequantize", deq(32, 3), [T(qt, v_transpose([1, 0])), r("float32", (3, 2)), r("float32", (3, 2))],
          expect_error=False)
    # Errors.
    f.add("dequantize", deq(32, 4, biases=False), [q, s], expect_error=True)
    f.add("dequantize", deq(32, 4), [q.astype(mx.int32), s, b], expect_error=True)
    f.add("dequantize", deq(32, 4), [q[0], s[0], b[0]], expect_error=True)
    f.add("dequantize", deq(32, 4), [q, s, b[:2]], expect_error=True)
    f.add("dequantize", deq(32, 4), [q, s[:2], b], expect_error=True)
    f.add("dequantize", deq(32, 4), [q.reshape(1, 3, 16), s, b], expect_error=True)
    f.add("dequantize", deq(64, 4), [q, s, b], expect_error=True)
    f.add("dequantize", deq(32, 8), [q, s, b], expect_error=True)
    f.add("dequantize", deq(32, 3), [q, s, b], expect_error=True)
    f.add("dequantize", deq(32, 4), [q[:, :15], s, b], expect_error=True)
    f.add("dequantize", deq(32, 4), [q, s.astype(mx.int32), b.astype(mx.int32)], expect_error=True)
    f.add("dequantize", deq(32, 4, dtype="int32"), [q, s, b], expect_error=True)
    f.add("dequantize", deq(32, 0), [q, s, b], expect_error=True)
    f.add("dequantize", deq(0, 4), [q, s, b], expect_error=True)
    f.add("dequantize", deq(32, 4, mode="foo"), [q, s, b], expect_error=True)


def qmp(transpose, gs, bits, biases=True, mode="affine"):
    return {"transpose": transpose, "group_size": gs, "bits": bits, "mode": mode, "biases": biases}


def _qmm(f):
    r = lambda d, s: rand(d, s, "small")
    # x @ w.T for every bits x group size (float32), K = 256, N = 4.
    for bits in BITS:
        for gs in GROUPS:
            q, s, b = quant(r("float32", (4, 256)), gs, bits)
            f.add("quantized_matmul", qmp(True, gs, bits), [r("float32", (2, 256)), q, s, b])
    # x @ w (transpose=False): w is (K, N) quantized along N.
    for bits in BITS:
        q, s, b = quant(r("float32", (16, 128)), 64, bits)
        f.add("quantized_matmul", qmp(False, 64, bits), [r("float32", (3, 16)), q, s, b])
    # float16 / bfloat16 (inputs and scales of that dtype), K = 128.
    for d in ("float16", "bfloat16"):
        for bits in (2, 3, 4, 6, 8):
            q, s, b = quant(r(d, (8, 128)), 64, bits)
            f.add("quantized_matmul", qmp(True, 64, bits), [r(d, (2, 128)), q, s, b])
        q, s, b = quant(r(d, (8, 64)), 32, 4)
        f.add("quantized_matmul", qmp(False, 32, 4), [r(d, (2, 8)), q, s, b])
    # Batched x, 1-D x, batched w (with broadcasting of x's batch), mixed dtypes, defaults.
    q, s, b = quant(r("float32", (8, 128)), 64, 4)
    f.add("quantized_matmul", qmp(True, 64, 4), [r("float32", (2, 3, 128)), q, s, b])
    f.add("quantized_matmul", qmp(True, None, None), [r("float32", (2, 2, 3, 128)), q, s, b])
    f.add("quantized_matmul", qmp(True, 64, 4), [r("float32", (128,)), q, s, b])
    f.add("quantized_matmul", qmp(True, 64, 4), [r("float16", (3, 128)), q, s, b])
    f.add("quantized_matmul", qmp(True, 64, 4), [rand("int32", (3, 128), "small"), q, s, b])
    f.add("quantized_matmul", qmp(True, 64, 4), [T(r("float32", (128, 3)), v_transpose([1, 0])), q, s, b])
    qt, st, bt = quant(r("float32", (8, 128)), 32, 5)
    f.add("quantized_matmul", qmp(False, 32, 5), [r("float32", (2, 3, 8)), qt, st, bt])
    f.add("quantized_matmul", qmp(False, 32, 5), [r("float32", (8,)), qt, st, bt])
    qb, sb, bb = quant(r("float32", (2, 8, 128)), 64, 3)
    f.add("quantized_matmul", qmp(True, 64, 3), [r("float32", (2, 3, 128)), qb, sb, bb])
    f.add("quantized_matmul", qmp(True, 64, 3), [r("float32", (4, 1, 3, 128)), qb, sb, bb])
    q16, s16, b16 = quant(r("float16", (8, 128)), 64, 4)
    f.add("quantized_matmul", qmp(True, 64, 4), [rand("int32", (3, 128), "small"), q16, s16, b16])
    # Errors (MLX's order: mode, biases, w dtype, scale dtypes, shapes, x).
    x = r("float32", (3, 128))
    f.add("quantized_matmul", qmp(True, 64, 4, biases=False), [x, q, s], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 4), [x, q.astype(mx.int32), s, b], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 4), [x, q, s.astype(mx.int32), b.astype(mx.int32)], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 4), [x, q, s, b[:4]], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 4), [x, q[0], s[0], b[0]], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 4), [x, q[None], s, b], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 4), [x, q, s[:, :1], b[:, :1]], expect_error=True)
    f.add("quantized_matmul", qmp(True, 32, 4), [x, q, s, b], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 8), [x, q, s, b], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 7), [x, q, s, b], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 4), [r("float32", (3, 64)), q, s, b], expect_error=True)
    f.add("quantized_matmul", qmp(False, 64, 4), [x, q, s, b], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 4), [x.astype(mx.float64), q, s, b], expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 4, mode="foo"), [x, q, s, b], expect_error=True)
    f.add("quantized_matmul", qmp(True, 16, 4), [x, q, r("float32", (8, 8)), r("float32", (8, 8))],
          expect_error=True)
    f.add("quantized_matmul", qmp(True, 64, 3), [r("float32", (3, 3, 128)), qb, sb, bb], expect_error=True)


FAMILIES = [fam_quantized]
