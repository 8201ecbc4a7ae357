#!/usr/bin/env python3
"""Golden gradients of convolutions from real MLX (issue #6).

Requirements (pinned, as golden/generate.py): mlx[cpu]==0.32.4 and numpy.

    python3 golden/generate_grad_conv.py    # writes golden/cases/grad/conv_grad.safetensors

Replayed by crates/mlx-autograd/tests/golden_conv.rs. Same file format as generate_grad.py
(metadata key "cases", tensors "<id>/in<i>", "<id>/out<j>"). A case names the convolution in
"fn" and its parameters in "params":

    conv            mx.conv1d/2d/3d by rank: stride, padding, dilation, groups
    conv_general    mx.conv_general: stride, padding_lo, padding_hi, kernel_dilation,
                    input_dilation, groups, flip
    conv_transpose  mx.conv_transpose1d/2d/3d by rank: stride, padding, dilation,
                    output_padding, groups

kinds (inputs x, w, then what the kind adds):
  vjp        + cotangent;         outputs = [y, dx, dw]        (mx.vjp)
  grad2      outputs = [d/dx sum(d/dw sum(y^2))]                (grad of grad)
  vmap       params also in_axes; outputs = [mx.vmap(conv)(x, w)]
"""

import os
import sys

import numpy as np
import mlx.core as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate as G  # noqa: E402
from generate_grad import Fam  # noqa: E402

SEED = 20261125
rng = np.random.default_rng(SEED)


def rand(dtype, shape):
    return G.arr(np.round(rng.standard_normal(shape), 4).reshape(shape), dtype)


def conv(fn, p, x, w):
    nd = x.ndim - 2
    if fn == "conv":
        f = {1: mx.conv1d, 2: mx.conv2d, 3: mx.conv3d}[nd]
        return f(x, w, stride=p["stride"], padding=p["padding"], dilation=p["dilation"], groups=p["groups"])
    if fn == "conv_general":
        return mx.conv_general(x, w, stride=p["stride"], padding=(p["padding_lo"], p["padding_hi"]),
                               kernel_dilation=p["kernel_dilation"], input_dilation=p["input_dilation"],
                               groups=p["groups"], flip=p["flip"])
    f = {1: mx.conv_transpose1d, 2: mx.conv_transpose2d, 3: mx.conv_transpose3d}[nd]
    return f(x, w, stride=p["stride"], padding=p["padding"], dilation=p["dilation"],
             output_padding=p["output_padding"], groups=p["groups"])


def one(v, nd):
    """A scalar parameter as MLX takes it for rank nd (int for 1-D, tuple otherwise)."""
    if isinstance(v, (list, tuple)):
        return list(v)
    return v if nd == 1 else [v] * nd


def vjp(f, fn, p, x, w):
    y = conv(fn, p, x, w)
    ct = rand(G.NAME[y.dtype], y.shape)
    outs, (dx, dw) = mx.vjp(lambda a, b: [conv(fn, p, a, b)], [x, w], [ct])
    f.case(fn, "vjp", [x, w, ct], [outs[0], dx, dw], params=p)


def grad2(f, fn, p, x, w):
    inner = mx.grad(lambda a, b: mx.sum(mx.square(conv(fn, p, a, b))), argnums=1)
    g2 = mx.grad(lambda a, b: mx.sum(inner(a, b) * mx.arange(b.size).reshape(b.shape).astype(b.dtype)))(x, w)
    f.case(fn, "grad2", [x, w], [g2], params=p)


def vmap(f, fn, p, x, w, in_axes):
    y = mx.vmap(lambda a, b: conv(fn, p, a, b), in_axes=tuple(in_axes))(x, w)
    f.case(fn, "vmap", [x, w], [y], params=p, in_axes=list(in_axes))


def fam_conv_grad():
    f = Fam("conv_grad")
    # float32 only: MLX 0.32.4 cannot evaluate a float64 convolution on the CPU
    # ("[Convolution::eval] got unsupported data type"); float64 gradients are checked against
    # finite differences in crates/mlx-autograd/tests/props.rs.
    for d in ("float32",):
        # conv1d: plain, strided + padded, dilated, grouped, everything at once
        for st, pad, dil, g in [(1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 2, 1), (1, 1, 1, 2), (3, 2, 2, 2), (2, 0, 1, 1)]:
            p = {"stride": st, "padding": pad, "dilation": dil, "groups": g}
            vjp(f, "conv", p, rand(d, (2, 9, 4)), rand(d, (6, 3, 4 // g)))
        # conv2d
        for st, pad, dil, g in [(1, 0, 1, 1), ((2, 1), (1, 2), 1, 1), (1, 1, (2, 1), 1), (2, 1, 1, 2), (1, (0, 1), 2, 4)]:
            p = {"stride": one(st, 2), "padding": one(pad, 2), "dilation": one(dil, 2), "groups": g}
            vjp(f, "conv", p, rand(d, (2, 7, 6, 4)), rand(d, (4, 3, 2, 4 // g)))
        # conv3d (MLX: groups 1 only)
        for st, pad, dil in [(1, 0, 1), (2, 1, 1), ((1, 2, 1), (1, 0, 1), (1, 1, 2))]:
            p = {"stride": one(st, 3), "padding": one(pad, 3), "dilation": one(dil, 3), "groups": 1}
            vjp(f, "conv", p, rand(d, (1, 5, 5, 4, 2)), rand(d, (3, 2, 2, 2, 2)))
        # conv_general: input dilation, asymmetric and wide padding, flip
        for st, lo, hi, kd, idl, g, flip in [
            ([1], [0], [0], [1], [2], 1, False),
            ([2], [1], [3], [1], [2], 2, True),
            ([1], [4], [0], [1], [1], 1, False),
            ([1, 2], [1, 0], [0, 2], [2, 1], [1, 2], 1, True),
            ([2, 1], [3, 1], [1, 4], [1, 1], [2, 1], 2, False),
        ]:
            p = {"stride": st, "padding_lo": lo, "padding_hi": hi, "kernel_dilation": kd,
                 "input_dilation": idl, "groups": g, "flip": flip}
            nd = len(st)
            x = rand(d, (2,) + (5,) * nd + (4,))
            w = rand(d, (4,) + (2,) * nd + (4 // g,))
            vjp(f, "conv_general", p, x, w)
        # conv_transpose1d/2d/3d
        for nd, st, pad, dil, op, g in [(1, 1, 0, 1, 0, 1), (1, 2, 1, 1, 1, 1), (1, 3, 2, 2, 0, 2),
                                        (2, 2, 1, 1, 1, 1), (2, (1, 2), (1, 0), (2, 1), (0, 1), 2),
                                        (3, 2, 1, 1, 0, 1)]:
            p = {"stride": one(st, nd), "padding": one(pad, nd), "dilation": one(dil, nd),
                 "output_padding": one(op, nd), "groups": g}
            x = rand(d, (2,) + (4,) * nd + (4,))
            w = rand(d, (2 * g,) + (3,) * nd + (4 // g,))
            vjp(f, "conv_transpose", p, x, w)
        # grad of grad (MLX has no JVP rule for convolutions: ours is checked against our VJP
        # in tests/props.rs)
        grad2(f, "conv", {"stride": 2, "padding": 1, "dilation": 2, "groups": 1},
              rand(d, (2, 7, 3)), rand(d, (2, 2, 3)))
    # vmap over the input, the weight, both (float32)
    d = "float32"
    p = {"stride": 1, "padding": 1, "dilation": 1, "groups": 1}
    vmap(f, "conv", p, rand(d, (3, 2, 6, 2)), rand(d, (4, 3, 2)), [0, None])
    vmap(f, "conv", p, rand(d, (2, 6, 2)), rand(d, (4, 3, 2, 3)), [None, 3])
    p = {"stride": 2, "padding": 0, "dilation": 1, "groups": 2}
    vmap(f, "conv", p, rand(d, (2, 7, 4, 4)), rand(d, (4, 4, 2, 2)), [2, 0])
    return f


def main():
    if mx.__version__ != G.EXPECTED_MLX:
        sys.exit(f"golden/generate_grad_conv.py needs mlx=={G.EXPECTED_MLX}, found {mx.__version__}")
    mx.set_default_device(mx.cpu)
    G.OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases", "grad")
    fam = fam_conv_grad()
    path = fam.write()
    print(f"{fam.name:10s} {len(fam.cases):4d} cases  {os.path.getsize(path) / 1024:7.1f} KiB")


if __name__ == "__main__":
    main()
