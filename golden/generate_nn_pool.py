#!/usr/bin/env python3
"""Golden cases for pooling, Upsample and conv-layer gradients (issue #6), from real MLX.

    python3 golden/generate_nn_pool.py    # writes golden/cases/nn/pool.safetensors

Same file format and writer as golden/generate_nn.py (replayed by
crates/mlx-nn/tests/golden_pool.rs). Every case has "<id>/in0" (the input), "<id>/in1" (a
cotangent the shape of the output), "<id>/out" (the forward output) and "<id>/grad" (the
gradient of sum(out * cotangent) with respect to the input):

  Pool       params kind (max/avg), k, stride, padding (one entry per spatial axis)
  Upsample   params scale (list), mode, align_corners
  Conv2d     (layer weights "<id>/w/weight", "<id>/w/bias"; params as generate_nn's Conv2d)
             also "<id>/g/weight", "<id>/g/bias": gradients of the parameters
Inputs of the max pools are multiples of 0.5, so windows have tied maxima (MLX splits the
cotangent evenly between them).
"""
import os
import sys

import numpy as np
import mlx.core as mx
import mlx.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_nn as GN  # noqa: E402

RNG = np.random.default_rng(20261125)


def f32(*shape):
    return mx.array(RNG.uniform(-2.0, 2.0, size=shape).astype(np.float32))


def ties(*shape):
    return mx.array((np.round(RNG.uniform(-2.0, 2.0, size=shape) * 2) / 2).astype(np.float32))


def with_grad(fam, op, params, layer, x, weights=None):
    y = layer(x)
    ct = f32(*y.shape)
    g = mx.grad(lambda a: mx.sum(layer(a) * ct))(x)
    fam.add(op, params, [x, ct], {"out": y, "grad": g}, weights)


def pools(fam):
    cls = {("max", 1): nn.MaxPool1d, ("max", 2): nn.MaxPool2d, ("max", 3): nn.MaxPool3d,
           ("avg", 1): nn.AvgPool1d, ("avg", 2): nn.AvgPool2d, ("avg", 3): nn.AvgPool3d}
    cases = [
        (1, [2], None, [0], (2, 8, 3)),
        (1, [3], [2], [1], (2, 9, 2)),
        (1, [3], [1], [0], (1, 7, 2)),
        (2, [2, 2], None, [0, 0], (2, 6, 6, 3)),
        (2, [3, 3], [2, 2], [1, 1], (1, 7, 8, 2)),
        (2, [2, 3], [1, 2], [0, 1], (2, 5, 7, 2)),
        (2, [2, 2], None, [0, 0], (1, 5, 7, 1)),   # odd sizes: the last row/column is dropped
        (3, [2, 2, 2], None, [0, 0, 0], (1, 4, 4, 4, 2)),
        (3, [2, 3, 2], [1, 2, 2], [1, 1, 0], (1, 4, 5, 4, 2)),
    ]
    for kind in ("max", "avg"):
        for nd, k, st, pad, shape in cases:
            layer = cls[(kind, nd)](kernel_size=k, stride=st, padding=pad)
            x = ties(*shape) if kind == "max" else f32(*shape)
            params = {"kind": kind, "k": k, "stride": st if st is not None else k, "padding": pad}
            with_grad(fam, "Pool", params, layer, x)


def upsamples(fam):
    cases = [
        ([2.0], "nearest", False, (2, 4, 3)),
        ([1.5, 2.5], "nearest", False, (1, 3, 4, 2)),
        ([0.5], "nearest", False, (1, 6, 2)),
        ([3.0, 2.0], "nearest", False, (1, 2, 3, 2)),
        ([2.0], "linear", False, (2, 5, 2)),
        ([2.0], "linear", True, (2, 5, 2)),
        ([2.0, 3.0], "linear", False, (1, 3, 4, 2)),
        ([2.0, 1.5], "linear", True, (1, 3, 4, 2)),
        ([0.5, 0.75], "linear", False, (1, 6, 4, 1)),
        ([2.0, 2.0, 2.0], "linear", False, (1, 2, 3, 2, 1)),
        ([2.0, 2.0, 2.0], "linear", True, (1, 2, 2, 3, 1)),
        ([2.0], "cubic", False, (1, 5, 2)),
        ([3.0], "cubic", True, (1, 4, 2)),
        ([2.0, 2.0], "cubic", False, (1, 4, 3, 2)),
        ([1.5, 2.0], "cubic", True, (1, 3, 4, 1)),
        ([0.5, 0.5], "cubic", False, (1, 6, 6, 1)),
    ]
    for scale, mode, ac, shape in cases:
        layer = nn.Upsample(scale_factor=tuple(scale), mode=mode, align_corners=ac)
        with_grad(fam, "Upsample", {"scale": scale, "mode": mode, "align_corners": ac}, layer, f32(*shape))


def conv_layers(fam):
    """Parameter gradients of nn.Conv2d (and Conv1d) through nn.value_and_grad."""
    specs = [
        ("Conv2d", {"in": 3, "out": 4, "k": [3, 3], "stride": [1, 1], "padding": [1, 1], "dilation": [1, 1], "groups": 1},
         lambda: nn.Conv2d(3, 4, 3, padding=1), (2, 6, 5, 3)),
        ("Conv2d", {"in": 4, "out": 6, "k": [3, 2], "stride": [2, 1], "padding": [1, 0], "dilation": [1, 2], "groups": 2},
         lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), (2, 7, 6, 4)),
        ("Conv1d", {"in": 2, "out": 3, "k": [3], "stride": [2], "padding": [1], "dilation": [1], "groups": 1},
         lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 9, 2)),
    ]
    for op, params, make, shape in specs:
        m = make()
        GN.randomize(m)
        x = f32(*shape)
        y = m(x)
        ct = f32(*y.shape)

        def loss(model, a):
            return mx.sum(model(a) * ct)

        _, grads = nn.value_and_grad(m, loss)(m, x)
        gx = mx.grad(lambda a: loss(m, a))(x)
        weights = dict(GN.tree_flatten(m.parameters()))
        out = {"out": y, "grad": gx, "g/weight": grads["weight"], "g/bias": grads["bias"]}
        fam.add(op, params, [x, ct], out, weights)


def main():
    if mx.__version__ != "0.32.4":
        sys.exit(f"golden/generate_nn_pool.py needs mlx==0.32.4, found {mx.__version__}")
    mx.set_default_device(mx.cpu)
    mx.random.seed(7)
    fam = GN.Family("pool")
    pools(fam)
    upsamples(fam)
    conv_layers(fam)
    fam.write()
    print(f"pool: {len(fam.cases)} cases")


if __name__ == "__main__":
    main()
