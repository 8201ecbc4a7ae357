"""Golden family "api": array-API aliases and small helpers of mlx.core (issue #3, fft branch),
and the implemented-but-untested creation helpers.

Imported by generate.py (`bind(globals())` shares its helpers).  Params per op:
concat {"axis"}; permute_dims {"axes" | null}; matrix_transpose {}; cumulative_sum /
cumulative_prod {"axis" | null, "reverse", "inclusive", "dtype" | null}; minmax {"axes" | null,
"keepdims"} (two outputs); broadcast_shapes {"shapes"} (output: the shape as int32, no inputs);
empty_like {"dtype" | null}; zeros_like / ones_like / contiguous {}; full_like {"value"};
identity {"n", "dtype" | null}.
"""

import mlx.core as mx


def bind(ns):
    globals().update({k: v for k, v in ns.items() if not k.startswith("__") and k not in ("FAMILIES", "compute")})


OPS = ["concat", "permute_dims", "matrix_transpose", "cumulative_sum", "cumulative_prod", "minmax",
       "broadcast_shapes", "empty_like", "zeros_like", "ones_like", "full_like", "identity", "contiguous"]


def compute(op, p, xs):
    if op not in OPS:
        return None
    d = None if p.get("dtype") is None else MX[p["dtype"]]
    if op == "concat":
        return mx.concat(list(xs), axis=p["axis"])
    if op == "permute_dims":
        return mx.permute_dims(xs[0], p["axes"])
    if op == "matrix_transpose":
        return mx.matrix_transpose(xs[0])
    if op in ("cumulative_sum", "cumulative_prod"):
        return getattr(mx, op)(xs[0], axis=p["axis"], reverse=p["reverse"], inclusive=p["inclusive"], dtype=d)
    if op == "minmax":
        return list(mx.minmax(xs[0], axis=p["axes"], keepdims=p["keepdims"]))
    if op == "broadcast_shapes":
        return mx.array(list(mx.broadcast_shapes(*[tuple(s) for s in p["shapes"]])), dtype=mx.int32)
    if op == "empty_like":
        return mx.empty_like(xs[0], dtype=d)
    if op in ("zeros_like", "ones_like", "contiguous"):
        return getattr(mx, op)(xs[0])
    if op == "full_like":
        return mx.full_like(xs[0], p["value"])
    if op == "identity":
        return mx.identity(p["n"], dtype=d)


def fam_api():
    f = Family("api")
    with own_stream(SEED + 403):
        r = lambda dt, s: rand(dt, s, "small")
        f.add("concat", {"axis": 0}, [r("float32", (2, 3)), r("float32", (1, 3))])
        f.add("concat", {"axis": -1}, [r("int32", (2, 3)), r("float16", (2, 2))])
        f.add("concat", {"axis": 0}, [r("float32", (2, 3)), r("float32", (2, 2))], expect_error=True)
        f.add("permute_dims", {"axes": None}, [r("float32", (2, 3, 4))])
        f.add("permute_dims", {"axes": [1, 2, 0]}, [r("int16", (2, 3, 4))])
        f.add("permute_dims", {"axes": [0, 0, 1]}, [r("float32", (2, 3, 4))], expect_error=True)
        f.add("matrix_transpose", {}, [r("float32", (2, 3, 4))])
        f.add("matrix_transpose", {}, [T(r("float32", (3, 2)), v_transpose([1, 0]))])
        f.add("matrix_transpose", {}, [r("float32", (3,))], expect_error=True)
        for op in ("cumulative_sum", "cumulative_prod"):
            for axis, rev, inc, dt in [(None, False, True, None), (1, False, True, "float32"), (0, True, False, None),
                                       (-1, False, True, "int8"), (1, True, True, "int64")]:
                f.add(op, {"axis": axis, "reverse": rev, "inclusive": inc, "dtype": dt}, [r("int8", (3, 4))])
            f.add(op, {"axis": 0, "reverse": False, "inclusive": True, "dtype": None}, [arr([100, 100, 3], "int8")])
            f.add(op, {"axis": 2, "reverse": False, "inclusive": True, "dtype": None}, [r("float32", (2, 3))],
                  expect_error=True)
        for axes, kd in [(None, False), ([0], True), ([1], False), ([0, 1], True)]:
            f.add("minmax", {"axes": axes, "keepdims": kd}, [r("float32", (3, 4))])
        f.add("minmax", {"axes": None, "keepdims": False}, [arr([1.0, float("nan"), -2.0], "float32")])
        f.add("minmax", {"axes": [0], "keepdims": False}, [r("float32", (0, 3))], expect_error=True)
        f.add("broadcast_shapes", {"shapes": [[2, 1], [3]]}, [])
        f.add("broadcast_shapes", {"shapes": [[1, 4, 1], [3, 1, 5], [5]]}, [])
        f.add("broadcast_shapes", {"shapes": [[2], [3]]}, [], expect_error=True)
        for dt in (None, "float16", "int32"):
            f.add("empty_like", {"dtype": dt}, [r("int8", (2, 3))])
        for d in ("bool", "int8", "uint32", "float16", "bfloat16", "float32", "float64", "complex64"):
            f.add("zeros_like", {}, [r(d, (2, 3))])
            f.add("ones_like", {}, [r(d, (2, 3))])
        f.add("zeros_like", {}, [r("float32", ())])
        f.add("ones_like", {}, [T(r("float32", (3, 2)), v_transpose([1, 0]))])
        for d, v in [("int8", 2), ("int8", -3), ("float32", 2.5), ("float16", 1.5), ("uint8", 7), ("bool", True),
                     ("complex64", 1.0)]:
            f.add("full_like", {"value": v}, [r(d, (2, 2))])
        for n, dt in [(0, None), (1, None), (3, None), (3, "int32"), (4, "bool"), (2, "float16")]:
            f.add("identity", {"n": n, "dtype": dt}, [])
        f.add("contiguous", {}, [T(r("float32", (3, 4)), v_transpose([1, 0]))])
        f.add("contiguous", {}, [T(r("int32", (4, 6)), v_slice([3, 0], [-5, 6], [-1, 2]))])
        f.add("contiguous", {}, [T(r("float32", (3,)), v_bcast([2, 3]))])
        f.add("contiguous", {}, [r("complex64", (2, 2))])
    return f


FAMILIES = [fam_api]
