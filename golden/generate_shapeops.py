"""Golden families for shape/indexing ops, scans, sort and the extra reductions (issue #3).

Imported by generate.py, which calls `bind(globals())` so these families share its helpers
(Family, rand, arr, T, v_transpose, ...) and its random stream.  Case format: see
generate.py's docstring.  Conventions specific to these ops:

* Ops with an unspecified element order in MLX (partition, argpartition, topk) are recorded
  through order-independent outputs: the sorted result (a multiset check) and, for
  (arg)partition, the value at `kth` (which MLX does define).
* "index" / "index_put" / "at" cases encode the Python index as a list of items:
  {"int": i}, {"slice": [start, stop, step]} (null = omitted), "newaxis", "ellipsis",
  {"array": k} (operand k, a stored tensor input).  For index_put / at the last operand is
  the values array; "at" has "mode" in add | subtract | multiply | divide | maximum | minimum.
* Multi-output ops (split, unstack, meshgrid, broadcast_arrays) record every output.
"""

import mlx.core as mx

INF = float("inf")
NAN = float("nan")


def bind(ns):
    """Share generate.py's helpers and random stream."""
    globals().update({k: v for k, v in ns.items() if not k.startswith("__") and k not in ("FAMILIES", "compute")})


SCANS = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]


def py_index(items, xs):
    out = []
    for it in items:
        if it == "newaxis":
            out.append(None)
        elif it == "ellipsis":
            out.append(Ellipsis)
        elif "int" in it:
            out.append(it["int"])
        elif "slice" in it:
            out.append(slice(*it["slice"]))
        else:
            out.append(xs[it["array"]])
    return tuple(out)


def sorted_ax(a, axis):
    return mx.sort(a, axis=axis)


def kth_value(a, kth, axis):
    if axis is None:
        a, axis = a.flatten(), 0
    return mx.take(a, mx.array(kth), axis=axis)


def compute(op, p, xs):
    if op in SCANS:
        return getattr(mx, op)(xs[0], axis=p["axis"], reverse=p["reverse"], inclusive=p["inclusive"])
    if op in ("sort", "argsort"):
        return getattr(mx, op)(xs[0], axis=p["axis"])
    if op == "partition":
        r = mx.partition(xs[0], p["kth"], axis=p["axis"])
        ax = -1 if p["axis"] is None else p["axis"]
        return [sorted_ax(r, ax), kth_value(r, p["kth"], ax)]
    if op == "argpartition":
        i = mx.argpartition(xs[0], p["kth"], axis=p["axis"])
        x = xs[0].flatten() if p["axis"] is None else xs[0]
        ax = 0 if p["axis"] is None else p["axis"]
        v = mx.take_along_axis(x, i, axis=ax)
        return [sorted_ax(v, ax), kth_value(v, p["kth"], ax)]
    if op == "topk":
        r = mx.topk(xs[0], p["k"], axis=p["axis"])
        return sorted_ax(r, -1 if p["axis"] is None else p["axis"])
    if op == "median":
        return mx.median(xs[0], axis=p["axes"], keepdims=p["keepdims"])
    if op in ("all", "any", "count_nonzero"):
        return getattr(mx, op)(xs[0], axis=p["axes"], keepdims=p["keepdims"])
    if op == "trace":
        d = None if p["dtype"] is None else MX[p["dtype"]]
        return mx.trace(xs[0], p["offset"], p["axis1"], p["axis2"], dtype=d)
    if op == "tri":
        return mx.tri(p["n"], p["m"], p["k"], dtype=None if p["dtype"] is None else MX[p["dtype"]])
    if op in ("tril", "triu"):
        return getattr(mx, op)(xs[0], p["k"])
    if op == "diag":
        return mx.diag(xs[0], k=p["k"])
    if op == "diagonal":
        return mx.diagonal(xs[0], p["offset"], p["axis1"], p["axis2"])
    if op == "meshgrid":
        return list(mx.meshgrid(*xs, sparse=p["sparse"], indexing=p["indexing"]))
    if op == "broadcast_arrays":
        return list(mx.broadcast_arrays(*xs))
    if op == "stack":
        return mx.stack(list(xs), axis=p["axis"])
    if op == "unstack":
        return list(mx.unstack(xs[0], axis=p["axis"]))
    if op == "split":
        return list(mx.split(xs[0], p["arg"], axis=p["axis"]))
    if op == "tile":
        return mx.tile(xs[0], p["reps"])
    if op == "repeat":
        return mx.repeat(xs[0], p["repeats"], axis=p["axis"])
    if op == "pad":
        return mx.pad(xs[0], [tuple(w) for w in p["width"]], mode=p["mode"], constant_values=p["value"])
    if op == "roll":
        return mx.roll(xs[0], tuple(p["shift"]) if len(p["shift"]) > 1 else p["shift"][0],
                       axis=None if p["axes"] is None else tuple(p["axes"]))
    if op == "flip":
        return mx.flip(xs[0], axis=None if p["axes"] is None else p["axes"])
    if op == "moveaxis":
        return mx.moveaxis(xs[0], p["source"], p["destination"])
    if op == "unflatten":
        return mx.unflatten(xs[0], p["axis"], p["shape"])
    if op in ("atleast_1d", "atleast_2d", "atleast_3d"):
        return getattr(mx, op)(xs[0])
    if op == "diff":
        return mx.diff(xs[0], p["n"], p["axis"])
    if op == "take":
        return mx.take(xs[0], xs[1], axis=p["axis"])
    if op == "take_along_axis":
        return mx.take_along_axis(xs[0], xs[1], axis=p["axis"])
    if op == "put_along_axis":
        return mx.put_along_axis(xs[0], xs[1], xs[2], axis=p["axis"])
    if op == "slice_update":
        return mx.slice_update(xs[0], xs[1], mx.array(p["start"]), p["axes"])
    if op == "as_strided":
        return mx.as_strided(xs[0], p["shape"], p["strides"], p["offset"])
    if op == "std":
        return mx.std(xs[0], axis=p["axes"], keepdims=p["keepdims"], ddof=p["ddof"])
    if op == "flatten":
        return mx.flatten(xs[0], p["start"], p["end"])
    if op == "swapaxes":
        return mx.swapaxes(xs[0], p["axis1"], p["axis2"])
    if op == "view":
        return mx.view(xs[0], MX[p["dtype"]])
    if op == "searchsorted":
        return mx.searchsorted(xs[0], xs[1], side=p["side"])
    if op == "empty":
        return mx.empty(p["shape"], dtype=MX[p["dtype"]])
    if op == "index":
        return xs[0][py_index(p["index"], xs)]
    if op == "index_put":
        y = mx.array(xs[0])
        y[py_index(p["index"], xs)] = xs[-1]
        return y
    if op == "at":
        return getattr(xs[0].at[py_index(p["index"], xs)], p["mode"])(xs[-1])
    return None


def fam_scan():
    f = Family("scan")
    for op in SCANS:
        for d in DTYPES:
            if op == "logcumsumexp" and d == "complex64":
                continue  # ours rejects complex (DIFFERENCES.md)
            kind = "small" if op in ("cumprod", "logcumsumexp") else "any"
            f.add(op, {"axis": 1, "reverse": False, "inclusive": True}, [rand(d, (2, 4), kind)])
        x = rand("float32", (3, 4), "small")
        for axis, rev, inc in [(0, False, True), (1, True, True), (1, False, False), (0, True, False),
                               (-1, False, True), (None, False, True), (None, True, False)]:
            f.add(op, {"axis": axis, "reverse": rev, "inclusive": inc}, [x])
        f.add(op, {"axis": 0, "reverse": False, "inclusive": True},
              [arr([1.0, NAN, 2.0, INF, -INF, 0.5], "float32")])
        f.add(op, {"axis": 1, "reverse": True, "inclusive": True}, [rand("int32", (2, 3), "small")])
        f.add(op, {"axis": 0, "reverse": False, "inclusive": False}, [rand("bool", (5,))])
        f.add(op, {"axis": 0, "reverse": False, "inclusive": True},
              [T(rand("float32", (3, 4), "small"), v_transpose([1, 0]))])
        f.add(op, {"axis": 1, "reverse": True, "inclusive": False},
              [T(rand("float32", (4, 6), "small"), v_slice([3, 5], [-5, 0], [-1, -2]))])
        f.add(op, {"axis": 0, "reverse": False, "inclusive": True},
              [T(rand("float32", (3,), "small"), v_bcast([4, 3]))])
        f.add(op, {"axis": None, "reverse": False, "inclusive": True}, [rand("float32", ())])
        f.add(op, {"axis": 1, "reverse": False, "inclusive": True}, [rand("float32", (2, 0))])
        f.add(op, {"axis": 0, "reverse": False, "inclusive": True}, [rand("float32", (0, 3))])
        f.add(op, {"axis": 2, "reverse": False, "inclusive": True}, [rand("float32", (2, 3))],
              expect_error=True)
        f.add(op, {"axis": 0, "reverse": False, "inclusive": True}, [rand("float32", ())],
              expect_error=True)
    return f


def fam_sort():
    f = Family("sort")
    for op in ("sort", "argsort"):
        for d in DTYPES:
            f.add(op, {"axis": -1}, [rand(d, (3, 5))])
        f.add(op, {"axis": -1}, [arr([1 + 2j, 1 - 1j, -3 + 0j, 1 + 2j, 0.5j], "complex64")])
        f.add(op, {"axis": -1}, [arr([3.0, NAN, 1.0, -INF, 2.0, INF, -0.0, 0.0, NAN], "float32")])
        f.add(op, {"axis": 0}, [arr([1, 3, 1, 2, 3, 1], "int32").reshape(6, 1)])
        f.add(op, {"axis": 0}, [rand("float32", (4, 3))])
        f.add(op, {"axis": None}, [rand("int16", (3, 4))])
        f.add(op, {"axis": 1}, [T(rand("float32", (4, 3)), v_transpose([1, 0]))])
        f.add(op, {"axis": 0}, [T(rand("int32", (6, 2)), v_slice([5, 1], [-7, 2], [-2, 1]))])
        f.add(op, {"axis": -1}, [arr([True, False, True, False], "bool")])
        f.add(op, {"axis": None}, [rand("float32", ())])
        f.add(op, {"axis": -1}, [rand("float32", (2, 0))])
        f.add(op, {"axis": 2}, [rand("float32", (2, 3))], expect_error=True)
        f.add(op, {"axis": 0}, [rand("float32", ())], expect_error=True)
    for op in ("partition", "argpartition"):
        x = rand("float32", (3, 6))
        for kth, axis in [(0, -1), (2, -1), (5, 1), (-1, -1), (1, 0), (7, None)]:
            f.add(op, {"kth": kth, "axis": axis}, [x])
        f.add(op, {"kth": 2, "axis": -1}, [rand("int32", (2, 5))])
        f.add(op, {"kth": 1, "axis": 0}, [T(rand("float32", (4, 3)), v_transpose([1, 0]))])
        f.add(op, {"kth": 6, "axis": -1}, [x], expect_error=True)
        f.add(op, {"kth": -7, "axis": -1}, [x], expect_error=True)
    for k, axis in [(1, -1), (3, -1), (6, 1), (2, 0), (4, None), (0, -1)]:
        f.add("topk", {"k": k, "axis": axis}, [rand("float32", (3, 6))])
    f.add("topk", {"k": 2, "axis": -1}, [rand("int8", (2, 5))])
    f.add("topk", {"k": 2, "axis": -1}, [T(rand("float32", (5, 2)), v_transpose([1, 0]))])
    f.add("topk", {"k": 7, "axis": -1}, [rand("float32", (3, 6))], expect_error=True)
    f.add("topk", {"k": -1, "axis": -1}, [rand("float32", (3, 6))], expect_error=True)
    for axes, kd in [(None, False), ([0], False), ([1], True), ([-1], False), ([0, 1], True)]:
        f.add("median", {"axes": axes, "keepdims": kd}, [rand("float32", (4, 5))])
    f.add("median", {"axes": [1], "keepdims": False}, [rand("float32", (3, 4, 2))])
    f.add("median", {"axes": None, "keepdims": False}, [rand("int32", (2, 3))])
    f.add("median", {"axes": [0], "keepdims": False}, [rand("float16", (3, 2))])
    f.add("median", {"axes": [0], "keepdims": False}, [T(rand("float32", (3, 4)), v_transpose([1, 0]))])
    f.add("median", {"axes": None, "keepdims": False}, [rand("float32", ())])
    f.add("median", {"axes": [1], "keepdims": False}, [rand("float32", (2, 0))])
    f.add("median", {"axes": [2], "keepdims": False}, [rand("float32", (2, 3))], expect_error=True)
    return f


def fam_logic_reduce():
    f = Family("logicreduce")
    for op in ("all", "any", "count_nonzero"):
        for d in ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64", "complex64"]:
            f.add(op, {"axes": None, "keepdims": False}, [rand(d, (3, 4), "small")])
        x = arr([[0.0, 1.0, NAN], [0.0, 0.0, 0.0], [2.0, -0.0, 3.0]], "float32")
        for axes, kd in [([0], False), ([1], True), ([-1], False), ([0, 1], False), (None, True)]:
            f.add(op, {"axes": axes, "keepdims": kd}, [x])
        f.add(op, {"axes": [0], "keepdims": False}, [T(rand("int32", (3, 4), "small"), v_transpose([1, 0]))])
        f.add(op, {"axes": None, "keepdims": False}, [rand("float32", ())])
        f.add(op, {"axes": None, "keepdims": False}, [rand("float32", (0,))])
        f.add(op, {"axes": [1], "keepdims": False}, [rand("bool", (2, 0))])
        f.add(op, {"axes": [2], "keepdims": False}, [rand("float32", (2, 3))], expect_error=True)
    for offset, a1, a2, d in [(0, 0, 1, None), (1, 0, 1, None), (-1, 0, 1, None), (0, 1, 0, None),
                              (0, 0, 1, "float32"), (5, 0, 1, None)]:
        f.add("trace", {"offset": offset, "axis1": a1, "axis2": a2, "dtype": d}, [rand("int32", (3, 4))])
    f.add("trace", {"offset": 0, "axis1": 0, "axis2": 2, "dtype": None}, [rand("float32", (2, 3, 2))])
    f.add("trace", {"offset": 0, "axis1": 0, "axis2": 1, "dtype": None}, [rand("int8", (3, 3))])
    f.add("trace", {"offset": 0, "axis1": 0, "axis2": 1, "dtype": None},
          [T(rand("float32", (3, 4)), v_transpose([1, 0]))])
    f.add("trace", {"offset": 0, "axis1": 0, "axis2": 0, "dtype": None}, [rand("float32", (3, 3))],
          expect_error=True)
    f.add("trace", {"offset": 0, "axis1": 0, "axis2": 1, "dtype": None}, [rand("float32", (3,))],
          expect_error=True)
    return f


def fam_diag():
    f = Family("diag")
    for n, m, k, d in [(3, None, 0, None), (3, 4, 1, None), (4, 2, -1, "int32"), (2, 2, 5, "bool"),
                       (0, None, 0, None), (3, 3, -3, "float16")]:
        f.add("tri", {"n": n, "m": m, "k": k, "dtype": d})
    for op in ("tril", "triu"):
        for k in (0, 1, -1, 4):
            f.add(op, {"k": k}, [rand("float32", (3, 4))])
        f.add(op, {"k": 0}, [rand("int32", (2, 3, 3))])
        f.add(op, {"k": 0}, [rand("bool", (3, 3))])
        f.add(op, {"k": 1}, [T(rand("float32", (4, 3)), v_transpose([1, 0]))])
        f.add(op, {"k": 0}, [arr([[NAN, INF], [-INF, 1.0]], "float32")])
        f.add(op, {"k": 0}, [rand("float32", (0, 3))])
        f.add(op, {"k": 0}, [rand("float32", (3,))], expect_error=True)
    for k in (0, 1, -2):
        f.add("diag", {"k": k}, [rand("float32", (3,))])
        f.add("diag", {"k": k}, [rand("int32", (3, 4))])
    f.add("diag", {"k": 0}, [rand("float32", (0,))])
    f.add("diag", {"k": 0}, [T(rand("float32", (3, 4)), v_transpose([1, 0]))])
    f.add("diag", {"k": 0}, [rand("float32", ())], expect_error=True)
    f.add("diag", {"k": 0}, [rand("float32", (2, 2, 2))], expect_error=True)
    for off, a1, a2 in [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (0, 1, 0), (0, 0, 2), (1, -1, -3), (9, 0, 1)]:
        f.add("diagonal", {"offset": off, "axis1": a1, "axis2": a2}, [rand("float32", (3, 2, 4))])
    f.add("diagonal", {"offset": 0, "axis1": 0, "axis2": 1}, [T(rand("int16", (4, 3)), v_slice([3, 0], [-5, 3], [-1, 1]))])
    f.add("diagonal", {"offset": 0, "axis1": 0, "axis2": 0}, [rand("float32", (3, 3))], expect_error=True)
    f.add("diagonal", {"offset": 0, "axis1": 0, "axis2": 1}, [rand("float32", (3,))], expect_error=True)
    f.add("diagonal", {"offset": 0, "axis1": 0, "axis2": 3}, [rand("float32", (3, 3))], expect_error=True)
    return f


def fam_manip():
    f = Family("manip")
    a, b, c = rand("float32", (3,)), rand("float32", (2,)), rand("int32", (4,))
    for sparse in (False, True):
        for idx in ("xy", "ij"):
            f.add("meshgrid", {"sparse": sparse, "indexing": idx}, [a, b])
            f.add("meshgrid", {"sparse": sparse, "indexing": idx}, [a, b, c])
    f.add("meshgrid", {"sparse": False, "indexing": "xy"}, [a])
    f.add("meshgrid", {"sparse": False, "indexing": "xy"}, [a, b, rand("float32", (0,))])
    f.add("meshgrid", {"sparse": False, "indexing": "ab"}, [a, b], expect_error=True)
    f.add("broadcast_arrays", {}, [rand("float32", (2, 1)), rand("int32", (3,)), rand("float32", ())])
    f.add("broadcast_arrays", {}, [T(rand("float32", (3, 2)), v_transpose([1, 0])), rand("float32", (1, 3))])
    f.add("broadcast_arrays", {}, [rand("float32", (2,)), rand("float32", (3,))], expect_error=True)
    for axis in (0, 1, 2, -1, -3):
        f.add("stack", {"axis": axis}, [rand("float32", (2, 3)), rand("float32", (2, 3))])
    f.add("stack", {"axis": 0}, [rand("int32", (2,)), rand("float16", (2,)), rand("bool", (2,))])
    f.add("stack", {"axis": 0}, [rand("float32", ()), rand("float32", ())])
    f.add("stack", {"axis": 1}, [T(rand("float32", (3, 2)), v_transpose([1, 0])), rand("float32", (2, 3))])
    f.add("stack", {"axis": 0}, [rand("float32", (2, 3)), rand("float32", (3, 2))], expect_error=True)
    f.add("stack", {"axis": 3}, [rand("float32", (2, 3)), rand("float32", (2, 3))], expect_error=True)
    for axis in (0, 1, -1):
        f.add("unstack", {"axis": axis}, [rand("float32", (2, 3))])
    f.add("unstack", {"axis": 0}, [T(rand("int32", (3, 2)), v_transpose([1, 0]))])
    f.add("unstack", {"axis": 2}, [rand("float32", (2, 3))], expect_error=True)
    x = rand("float32", (6, 4))
    for arg, axis in [(2, 0), (3, 0), (4, 1), (1, 0), ([1, 3], 0), ([2], 1), ([-2], 0), ([0, 10], 0),
                      ([4, 2], 0), ([], 0), (6, -2)]:
        f.add("split", {"arg": arg, "axis": axis}, [x])
    f.add("split", {"arg": 2, "axis": 0}, [T(rand("int32", (4, 6)), v_transpose([1, 0]))])
    f.add("split", {"arg": 4, "axis": 0}, [x], expect_error=True)
    f.add("split", {"arg": 2, "axis": 2}, [x], expect_error=True)
    for reps in ([2], [2, 1], [1, 3], [2, 2, 2], [0, 1], [3]):
        f.add("tile", {"reps": reps}, [rand("int32", (2, 3))])
    f.add("tile", {"reps": [2, 2]}, [rand("float32", ())])
    f.add("tile", {"reps": [2, 1]}, [T(rand("float32", (3, 2)), v_transpose([1, 0]))])
    for repeats, axis in [(2, 0), (3, 1), (2, None), (0, 0), (1, -1)]:
        f.add("repeat", {"repeats": repeats, "axis": axis}, [rand("float32", (2, 3))])
    f.add("repeat", {"repeats": 2, "axis": 0}, [T(rand("int8", (3, 2)), v_transpose([1, 0]))])
    f.add("repeat", {"repeats": 2, "axis": None}, [rand("float32", ())])
    f.add("repeat", {"repeats": -1, "axis": 0}, [rand("float32", (2,))], expect_error=True)
    f.add("repeat", {"repeats": 2, "axis": 2}, [rand("float32", (2, 3))], expect_error=True)
    y = rand("int32", (3, 4))
    for width, mode, value in [([[1, 1]], "constant", 0), ([[1, 2], [0, 3]], "constant", 7),
                               ([[2, 1]], "edge", 0), ([[0, 2], [3, 1]], "edge", 0),
                               ([[2, 2]], "reflect", 0), ([[1, 3], [2, 0]], "reflect", 0),
                               ([[2, 2]], "symmetric", 0), ([[3, 1], [4, 4]], "symmetric", 0),
                               ([[5, 5]], "reflect", 0), ([[7, 1]], "symmetric", 0)]:
        f.add("pad", {"width": width, "mode": mode, "value": value}, [y])
    f.add("pad", {"width": [[1, 1]], "mode": "constant", "value": 2.5}, [rand("float32", (2,))])
    f.add("pad", {"width": [[1, 0]], "mode": "constant", "value": 0}, [rand("float32", ())])
    f.add("pad", {"width": [[1, 1]], "mode": "edge", "value": 0}, [T(rand("float32", (3, 2)), v_transpose([1, 0]))])
    f.add("pad", {"width": [[1, 1], [1, 1], [1, 1]], "mode": "constant", "value": 0}, [y], expect_error=True)
    for shift, axes in [([1], None), ([-2], None), ([1], [0]), ([2], [1]), ([1, -1], [0, 1]), ([7], [1]),
                        ([0], [0]), ([1], [0, 1])]:
        f.add("roll", {"shift": shift, "axes": axes}, [rand("float32", (3, 4))])
    f.add("roll", {"shift": [1], "axes": [0]}, [T(rand("int32", (4, 3)), v_transpose([1, 0]))])
    f.add("roll", {"shift": [1], "axes": None}, [rand("float32", ())])
    f.add("roll", {"shift": [1], "axes": [2]}, [rand("float32", (3, 4))], expect_error=True)
    for axes in (None, [0], [1], [-1], [0, 1]):
        f.add("flip", {"axes": axes}, [rand("float32", (3, 4))])
    f.add("flip", {"axes": [0]}, [T(rand("int32", (4, 3)), v_transpose([1, 0]))])
    f.add("flip", {"axes": None}, [rand("float32", ())])
    f.add("flip", {"axes": [2]}, [rand("float32", (3, 4))], expect_error=True)
    for s_, d_ in [(0, 2), (2, 0), (-1, 1), (1, 1)]:
        f.add("moveaxis", {"source": s_, "destination": d_}, [rand("float32", (2, 3, 4))])
    f.add("moveaxis", {"source": 3, "destination": 0}, [rand("float32", (2, 3, 4))], expect_error=True)
    for axis, shape in [(0, [2, 3]), (1, [2, -1]), (-1, [1, 4]), (0, [6])]:
        f.add("unflatten", {"axis": axis, "shape": shape}, [rand("float32", (6, 4)) if axis == 0 else rand("float32", (3, 4))])
    f.add("unflatten", {"axis": 0, "shape": [4, 2]}, [rand("float32", (6, 4))], expect_error=True)
    f.add("unflatten", {"axis": 0, "shape": [-1, -1]}, [rand("float32", (6, 4))], expect_error=True)
    f.add("unflatten", {"axis": 0, "shape": []}, [rand("float32", (6, 4))], expect_error=True)
    for op in ("atleast_1d", "atleast_2d", "atleast_3d"):
        for shape in ((), (3,), (2, 3), (2, 3, 4), (1, 2, 1, 2)):
            f.add(op, {}, [rand("float32", shape)])
    for n, axis in [(1, -1), (2, -1), (1, 0), (0, 0), (5, -1)]:
        f.add("diff", {"n": n, "axis": axis}, [rand("int32", (3, 4))])
    f.add("diff", {"n": 1, "axis": -1}, [arr([True, False, False, True], "bool")])
    f.add("diff", {"n": 1, "axis": -1}, [arr([1.0, INF, NAN, 2.0], "float32")])
    f.add("diff", {"n": 1, "axis": 0}, [T(rand("float32", (4, 3)), v_transpose([1, 0]))])
    f.add("diff", {"n": 1, "axis": 0}, [rand("float32", ())], expect_error=True)
    f.add("diff", {"n": -1, "axis": 0}, [rand("float32", (3,))], expect_error=True)
    return f


def I(*vals, dtype="int32"):
    return arr(list(vals), dtype)


def fam_indexing():
    f = Family("indexing")
    x = rand("float32", (3, 4))
    # take
    for idx, axis in [(I(0, 2, -1), 0), (I(3, 0, 0, 1), 1), (I(5, 11), None), (arr([[0, 1], [2, 0]], "int32"), 0),
                      (arr(1, "int32"), 1), (arr([], "int32"), 0), (I(1, 2, dtype="uint8"), 1),
                      (I(1, -4, dtype="int64"), 1)]:
        f.add("take", {"axis": axis}, [x, idx])
    for d in DTYPES:
        f.add("take", {"axis": 0}, [rand(d, (4,)), I(3, 0, 3)])
    f.add("take", {"axis": 1}, [T(rand("float32", (4, 3)), v_transpose([1, 0])), I(2, 0)])
    f.add("take", {"axis": 0}, [x, T(I(0, 2), v_bcast([2, 2]))])
    f.add("take", {"axis": 0}, [x, arr([0.0], "float32")], expect_error=True)
    f.add("take", {"axis": 2}, [x, I(0)], expect_error=True)
    # take_along_axis
    for idx, axis in [(arr([[0], [2], [1]], "int32"), 1), (arr([[0, 1, 2, 0]], "int32"), 1),
                      (arr([[2, 1, 0, 0]], "int32"), 0), (arr([[-1, 0]], "int32"), 1), (I(0, 11, 5), None)]:
        f.add("take_along_axis", {"axis": axis}, [x, idx])
    f.add("take_along_axis", {"axis": 1}, [x, rand("uint32", (3, 4), "small")])
    f.add("take_along_axis", {"axis": 0}, [T(rand("int16", (4, 3)), v_transpose([1, 0])), arr([[1, 0, 2, 1]], "int32")])
    f.add("take_along_axis", {"axis": 1}, [x, I(0, 1)], expect_error=True)
    f.add("take_along_axis", {"axis": 1}, [x, arr([[0.0]], "float32")], expect_error=True)
    # put_along_axis
    for idx, vals, axis in [(arr([[0], [2], [1]], "int32"), rand("float32", (3, 1)), 1),
                            (arr([[0, 3]], "int32"), rand("float32", (3, 2)), 1),
                            (arr([[1], [0]], "int32"), arr(9.0, "float32"), 0),
                            (I(0, 5, 11), I(-1, -2, -3), None),
                            (arr([[-1]], "int32"), arr([[7]], "int32"), 1)]:
        f.add("put_along_axis", {"axis": axis}, [x, idx, vals])
    f.add("put_along_axis", {"axis": 0}, [rand("int32", (3,)), I(2, 0), I(5, 6)])
    f.add("put_along_axis", {"axis": 1}, [x, I(0), arr(1.0, "float32")], expect_error=True)
    # slice_update
    for upd, start, axes in [(rand("float32", (2, 2)), [1, 1], [0, 1]), (rand("float32", (1, 4)), [2], [0]),
                             (rand("float32", (3, 1)), [3], [1]), (rand("float32", (4,)), [0], [0]),
                             (rand("float32", (2, 2)), [1, 0], [0, 1])]:
        # (a negative start makes MLX 0.32.4 write out of bounds and crash: DIFFERENCES.md)
        f.add("slice_update", {"start": start, "axes": axes}, [x, upd])
    f.add("slice_update", {"start": [0], "axes": [1]}, [T(rand("int32", (4, 3)), v_transpose([1, 0])), rand("int32", (3, 2))])
    # as_strided
    base = rand("float32", (12,))
    for shape, strides, off in [([3, 4], [4, 1], 0), ([4, 3], [1, 4], 0), ([3, 3], [1, 1], 2), ([2, 2], [0, 3], 1),
                                ([5], [2], 1), ([0, 3], [1, 1], 0)]:
        f.add("as_strided", {"shape": shape, "strides": strides, "offset": off}, [base])
    f.add("as_strided", {"shape": [2, 3], "strides": [1, 2], "offset": 0}, [T(rand("int32", (3, 4)), v_transpose([1, 0]))])
    # index: basic
    y = rand("int32", (3, 4, 5))
    S_ = lambda a=None, b=None, c=None: {"slice": [a, b, c]}
    for items in ([{"int": 1}], [{"int": -1}, {"int": 2}], [S_(1, None)], [S_(None, None, -1)],
                  [S_(None, None, 2), S_(3, 0, -2)], ["newaxis"], ["ellipsis", {"int": 0}],
                  [{"int": 0}, "ellipsis", "newaxis"], [S_(), "newaxis", S_(1, 3), {"int": -2}],
                  [S_(10, 20)], ["ellipsis"], [S_(-2, None), "newaxis", "ellipsis", S_(None, None, 3)]):
        f.add("index", {"index": items}, [y])
    # index: advanced
    for items, extra in [([{"array": 1}], [I(2, 0, 2)]),
                         ([S_(), {"array": 1}], [arr([[0, 3], [1, 1]], "int32")]),
                         ([{"array": 1}, {"array": 2}], [I(0, 2), I(3, 1)]),
                         ([{"array": 1}, S_(), {"array": 2}], [I(0, 2), I(4, 1)]),
                         ([S_(), {"array": 1}, {"array": 2}], [arr([[0], [3]], "int32"), I(4, 1, 0)]),
                         ([{"int": 1}, S_(), {"array": 1}], [I(4, 0)]),
                         ([S_(), {"int": 1}, {"array": 1}], [I(4, 0)]),
                         (["newaxis", {"array": 1}], [I(2, 1)]),
                         (["ellipsis", {"array": 1}], [I(-1, 0)]),
                         ([{"array": 1}, "newaxis", {"array": 2}], [I(0, 1), I(0, 3)]),
                         ([S_(None, None, -1), {"array": 1}], [I(1, 2, 3)])]:
        f.add("index", {"index": items}, [y] + extra)
    f.add("index", {"index": [{"array": 1}]}, [T(rand("float32", (4, 3)), v_transpose([1, 0])), I(2, 0)])
    f.add("index", {"index": [{"int": 0}]}, [rand("float32", (0, 3))], expect_error=True)
    f.add("index", {"index": [{"int": 3}]}, [y], expect_error=True)
    f.add("index", {"index": [{"int": 0}, {"int": 0}, {"int": 0}, {"int": 0}]}, [y], expect_error=True)
    f.add("index", {"index": ["ellipsis", "ellipsis"]}, [y], expect_error=True)
    f.add("index", {"index": [{"array": 1}]}, [y, arr([0.5], "float32")], expect_error=True)
    # index_put (x[idx] = v) and x.at[idx].op(v)
    z = rand("float32", (3, 4))
    for items, extra, vals in [([{"int": 1}], [], arr(5.0, "float32")),
                               ([S_(None, None, 2), S_(1, 3)], [], rand("float32", (2, 2))),
                               ([{"array": 1}], [I(0, 2)], rand("float32", (4,))),
                               ([S_(), {"array": 1}], [I(3, 0)], rand("float32", (3, 1))),
                               ([{"array": 1}, {"array": 2}], [I(0, 2, 1), I(1, 1, 3)], arr([1.0, 2.0, 3.0], "float32")),
                               (["ellipsis", {"int": -1}], [], arr([7.0, 8.0, 9.0], "float32"))]:
        f.add("index_put", {"index": items}, [z] + extra + [vals])
    f.add("index_put", {"index": [{"int": 0}]}, [rand("int32", (3,)), arr(2.7, "float32")])
    f.add("index_put", {"index": [{"int": 0}]}, [z, rand("float32", (5,))], expect_error=True)
    for mode in ("add", "subtract", "multiply", "divide", "maximum", "minimum"):
        f.add("at", {"index": [{"array": 1}], "mode": mode}, [z, I(0, 2, 0), rand("float32", (3, 4), "nonzero")])
        f.add("at", {"index": [S_(), {"array": 1}], "mode": mode}, [rand("int32", (2, 4)), I(1, 1, 3), arr(2, "int32")])
        f.add("at", {"index": [{"array": 1}, {"array": 2}], "mode": mode},
              [z, I(1, 1, 2), I(0, 0, 3), arr([1.5, 2.0, -1.0], "float32")])
    f.add("at", {"index": [{"array": 1}], "mode": "add"}, [rand("int32", (4,)), I(1, 1), arr(1.5, "float32")])
    # every dtype through scatter (set / add / max) and index arrays of several integer dtypes
    for d in DTYPES:
        f.add("index_put", {"index": [{"array": 1}]}, [rand(d, (4,)), I(3, 1), rand(d, (2,))])
        f.add("at", {"index": [{"array": 1}], "mode": "add"}, [rand(d, (4,)), I(0, 0, 2), rand(d, (3,))])
        if d != "complex64":
            f.add("at", {"index": [{"array": 1}], "mode": "maximum"}, [rand(d, (4,)), I(0, 0, 2), rand(d, (3,))])
    for idt in ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int64"):
        f.add("index", {"index": [S_(), {"array": 1}]}, [y, I(3, 0, 2, dtype=idt)])
    f.add("index", {"index": [{"array": 1}]}, [y, arr(-1, "int32")])
    f.add("index", {"index": [{"array": 1}]}, [y, arr([], "int32")])
    # (a NaN already at a scatter_add target makes MLX 0.32.4 spin forever: DIFFERENCES.md)
    f.add("at", {"index": [{"array": 1}], "mode": "add"}, [arr([1.0, -INF, INF], "float32"), I(1, 2, 2), arr([INF, 2.0, 3.0], "float32")])
    return f


FAMILIES = [fam_scan, fam_sort, fam_logic_reduce, fam_diag, fam_manip, fam_indexing]


def fam_misc():
    f = Family("shapemisc")
    x = arr([1.0, 2.0, -0.5, INF], "float32")
    for d in ["int32", "uint32", "uint8", "int8", "float16", "bfloat16", "int16", "bool"]:
        f.add("view", {"dtype": d}, [x])
    f.add("view", {"dtype": "float32"}, [rand("int32", (2, 3))])
    f.add("view", {"dtype": "int64"}, [rand("float32", (3, 2))])
    f.add("view", {"dtype": "float16"}, [rand("int32", ())])  # error: 0-d, size changes
    f.add("view", {"dtype": "int32"}, [arr(1.5, "float32")])
    f.add("view", {"dtype": "int32"}, [T(rand("float32", (3, 2)), v_transpose([1, 0]))])
    f.add("view", {"dtype": "int16"}, [T(rand("float32", (4, 3)), v_slice([3, 0], [-5, 3], [-1, 2]))])
    f.add("view", {"dtype": "int32"}, [rand("uint8", (3,))], expect_error=True)
    f.add("view", {"dtype": "float32"}, [rand("float32", (0, 2))])
    seq = arr([1.0, 2.0, 2.0, 3.0, 5.0], "float32")
    for side in ("left", "right"):
        f.add("searchsorted", {"side": side}, [seq, arr([[2.0, 0.0], [5.0, 2.5]], "float32")])
        f.add("searchsorted", {"side": side}, [seq, arr(2.0, "float32")])
        f.add("searchsorted", {"side": side}, [arr([1, 3, 3, 7], "int32"), arr([0, 3, 4, 8], "int32")])
        f.add("searchsorted", {"side": side}, [seq, rand("float32", (0,))])
        f.add("searchsorted", {"side": side}, [T(rand("float32", (3,)), v_bcast([2, 3])), seq], expect_error=True)
    for shape, d in [([2, 3], "float32"), ([0], "int32"), ([], "bool")]:
        f.add("empty", {"shape": shape, "dtype": d})
    # std (a composition over var), flatten, swapaxes
    for axes, kd, ddof in [(None, False, 0), ([0], True, 1), ([1], False, 0), ([-1], False, 2)]:
        f.add("std", {"axes": axes, "keepdims": kd, "ddof": ddof}, [rand("float32", (3, 4))])
    f.add("std", {"axes": None, "keepdims": False, "ddof": 0}, [rand("int32", (2, 3))])
    f.add("std", {"axes": [0], "keepdims": False, "ddof": 0}, [T(rand("float32", (3, 4)), v_transpose([1, 0]))])
    f.add("std", {"axes": [0], "keepdims": False, "ddof": 0}, [rand("float16", (4, 2), "small")])
    f.add("std", {"axes": [2], "keepdims": False, "ddof": 0}, [rand("float32", (3, 4))], expect_error=True)
    for s_, e_ in [(0, -1), (1, 2), (0, 1), (-2, -1), (2, 2)]:
        f.add("flatten", {"start": s_, "end": e_}, [rand("float32", (2, 3, 4))])
    f.add("flatten", {"start": 0, "end": -1}, [rand("float32", ())])
    f.add("flatten", {"start": 0, "end": -1}, [T(rand("int32", (3, 2)), v_transpose([1, 0]))])
    f.add("flatten", {"start": 2, "end": 1}, [rand("float32", (2, 3, 4))], expect_error=True)
    f.add("flatten", {"start": 0, "end": 3}, [rand("float32", (2, 3, 4))])
    f.add("flatten", {"start": -5, "end": 1}, [rand("float32", (2, 3, 4))])
    f.add("flatten", {"start": 3, "end": 3}, [rand("float32", (2, 3, 4))], expect_error=True)
    for a1, a2 in [(0, 1), (0, 2), (-1, 0), (1, 1)]:
        f.add("swapaxes", {"axis1": a1, "axis2": a2}, [rand("float32", (2, 3, 4))])
    f.add("swapaxes", {"axis1": 0, "axis2": 3}, [rand("float32", (2, 3, 4))], expect_error=True)
    return f


FAMILIES.append(fam_misc)
