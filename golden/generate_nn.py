#!/usr/bin/env python3
"""Golden cases for mlx-nn and mlx-optim, computed with real MLX (pip install 'mlx[cpu]==0.32.4').

    python3 golden/generate_nn.py      # writes golden/cases/nn/<family>.safetensors
    python3 golden/generate_nn.py transformer optimizers_extra   # just these (own RNG)

Same file format and writer as golden/generate.py: metadata "cases" is a JSON list of
{"id", "op", "params"}; tensors are float32 (labels int32):
  activations, losses:  "<id>/in<i>" inputs, "<id>/out" the result.
  layers, transformer:  "<id>/in<i>" inputs, "<id>/w/<param>" the layer's parameters (loaded on
                        both sides: model.update in MLX, load_tree in Rust), "<id>/out" output.
  optimizers(_extra):   "<id>/p/<name>" initial parameters, "<id>/g<k>/<name>" the gradient of
                        step k (k = 0..4), "<id>/out/<name>" parameters after the 5 updates,
                        "<id>/state/<key>" the optimizer's flattened state afterwards.
Deterministic: fixed seeds.
"""
import json
import os
import sys

import numpy as np
import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
from mlx.utils import tree_flatten, tree_unflatten

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import to_storage, write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases", "nn")
RNG = np.random.default_rng(20240607)


def f32(*shape, lo=-2.0, hi=2.0):
    return mx.array(RNG.uniform(lo, hi, size=shape).astype(np.float32))


class Family:
    def __init__(self, name):
        self.name, self.cases, self.tensors = name, [], {}

    def put(self, key, a):
        self.tensors[key] = to_storage(a)

    def add(self, op, params, inputs, out, weights=None):
        cid = f"{self.name}_{len(self.cases):04d}"
        for i, x in enumerate(inputs):
            self.put(f"{cid}/in{i}", x)
        for k, v in (weights or {}).items():
            self.put(f"{cid}/w/{k}", v)
        if isinstance(out, dict):
            for k, v in out.items():
                self.put(f"{cid}/{k}", v)
        else:
            self.put(f"{cid}/out", out)
        self.cases.append({"id": cid, "op": op, "params": params})
        return cid

    def write(self):
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, f"{self.name}.safetensors")
        write_safetensors(path, self.tensors, {"cases": json.dumps(self.cases)})
        print(f"{path}: {len(self.cases)} cases")


def activations():
    fam = Family("activations")
    x = mx.concatenate([f32(3, 7, lo=-5, hi=5), mx.array([[0.0, -0.5, 0.5, 1e-3, -30.0, 30.0, 3.0]])])
    unary = {
        "relu": nn.relu, "relu6": nn.relu6, "relu2": nn.relu2, "selu": nn.selu, "sigmoid": nn.sigmoid,
        "tanh": nn.tanh, "silu": nn.silu, "softplus": nn.softplus, "log_sigmoid": nn.log_sigmoid,
        "softsign": nn.softsign, "mish": nn.mish, "hardswish": nn.hardswish, "gelu": nn.gelu,
        "gelu_approx": nn.gelu_approx, "gelu_fast_approx": nn.gelu_fast_approx,
    }
    for name, fn in unary.items():
        fam.add(name, {}, [x], fn(x))
    for a in [0.01, 0.2]:
        fam.add("leaky_relu", {"negative_slope": a}, [x], nn.leaky_relu(x, a))
    for a in [1.0, 0.5]:
        fam.add("elu", {"alpha": a}, [x], nn.elu(x, a))
        fam.add("celu", {"alpha": a}, [x], nn.celu(x, a))
    fam.add("hard_tanh", {"min_val": -1.0, "max_val": 1.0}, [x], nn.hard_tanh(x))
    fam.add("hard_shrink", {"lambd": 0.5}, [x], nn.hard_shrink(x, 0.5))
    fam.add("softshrink", {"lambd": 0.5}, [x], nn.softshrink(x, 0.5))
    fam.add("step", {"threshold": 0.5}, [x], nn.step(x, 0.5))
    for ax in [-1, 0]:
        fam.add("softmax", {"axis": ax}, [x], nn.softmax(x, ax))
        fam.add("log_softmax", {"axis": ax}, [x], nn.log_softmax(x, ax))
        fam.add("softmin", {"axis": ax}, [x], nn.softmin(x, ax))
    x8 = f32(3, 8)
    fam.add("glu", {"axis": -1}, [x8], nn.glu(x8, -1))
    alpha = mx.array([0.25, 0.1, -0.2, 0.3, 0.5, 0.05, 1.0], dtype=mx.float32)
    fam.add("prelu", {}, [x, alpha], nn.prelu(x, alpha))
    fam.write()


def losses():
    fam = Family("losses")
    logits = f32(6, 5, lo=-3, hi=3)
    labels = mx.array(RNG.integers(0, 5, size=6).astype(np.int32))
    probs = mx.softmax(f32(6, 5), axis=-1)
    w = f32(6, lo=0.1, hi=2)
    for red in ["none", "mean", "sum"]:
        for ls in [0.0, 0.1]:
            fam.add("cross_entropy", {"reduction": red, "label_smoothing": ls, "axis": -1}, [logits, labels],
                    nn.losses.cross_entropy(logits, labels, label_smoothing=ls, reduction=red))
        fam.add("cross_entropy_probs", {"reduction": red}, [logits, probs], nn.losses.cross_entropy(logits, probs, reduction=red))
        fam.add("cross_entropy_weights", {"reduction": red}, [logits, labels, w],
                nn.losses.cross_entropy(logits, labels, weights=w, reduction=red))
    lt = logits.T
    fam.add("cross_entropy", {"reduction": "none", "label_smoothing": 0.0, "axis": 0}, [lt, labels],
            nn.losses.cross_entropy(lt, labels, axis=0))
    p, t = f32(4, 3), f32(4, 3)
    pr = mx.sigmoid(f32(4, 3))
    bt = mx.array(RNG.integers(0, 2, size=(4, 3)).astype(np.float32))
    for red in ["none", "mean", "sum"]:
        fam.add("mse_loss", {"reduction": red}, [p, t], nn.losses.mse_loss(p, t, reduction=red))
        fam.add("l1_loss", {"reduction": red}, [p, t], nn.losses.l1_loss(p, t, reduction=red))
        fam.add("binary_cross_entropy", {"reduction": red, "with_logits": True}, [p, bt],
                nn.losses.binary_cross_entropy(p, bt, reduction=red))
        fam.add("binary_cross_entropy", {"reduction": red, "with_logits": False}, [pr, bt],
                nn.losses.binary_cross_entropy(pr, bt, with_logits=False, reduction=red))
        fam.add("smooth_l1_loss", {"reduction": red, "beta": 0.5}, [p, t], nn.losses.smooth_l1_loss(p, t, beta=0.5, reduction=red))
        fam.add("huber_loss", {"reduction": red, "delta": 0.7}, [p, t], nn.losses.huber_loss(p, t, delta=0.7, reduction=red))
        fam.add("log_cosh_loss", {"reduction": red}, [p, t], nn.losses.log_cosh_loss(p, t, reduction=red))
        fam.add("hinge_loss", {"reduction": red}, [p, mx.sign(t)], nn.losses.hinge_loss(p, mx.sign(t), reduction=red))
    logp = nn.log_softmax(logits)
    fam.add("nll_loss", {"reduction": "mean"}, [logp, labels], nn.losses.nll_loss(logp, labels, reduction="mean"))
    fam.add("nll_loss", {"reduction": "none"}, [logp, labels], nn.losses.nll_loss(logp, labels))
    logq = nn.log_softmax(f32(6, 5))
    fam.add("kl_div_loss", {"reduction": "none"}, [logp, logq], nn.losses.kl_div_loss(logp, logq))
    fam.add("kl_div_loss", {"reduction": "sum"}, [logp, logq], nn.losses.kl_div_loss(logp, logq, reduction="sum"))
    var = f32(4, 3, lo=0.1, hi=2)
    for full in [False, True]:
        fam.add("gaussian_nll_loss", {"reduction": "mean", "full": full}, [p, t, var],
                nn.losses.gaussian_nll_loss(p, t, var, full=full))
    a, po, ne = f32(5, 4), f32(5, 4), f32(5, 4)
    fam.add("triplet_loss", {"reduction": "none", "margin": 1.0}, [a, po, ne], nn.losses.triplet_loss(a, po, ne))
    fam.add("triplet_loss", {"reduction": "mean", "margin": 0.3}, [a, po, ne], nn.losses.triplet_loss(a, po, ne, margin=0.3, reduction="mean"))
    fam.add("cosine_similarity_loss", {"reduction": "none", "axis": 1}, [a, po], nn.losses.cosine_similarity_loss(a, po))
    fam.add("cosine_similarity_loss", {"reduction": "mean", "axis": 0}, [a, po], nn.losses.cosine_similarity_loss(a, po, axis=0, reduction="mean"))
    i1, i2 = f32(6), f32(6)
    tg = mx.sign(f32(6))
    fam.add("margin_ranking_loss", {"reduction": "none", "margin": 0.0}, [i1, i2, tg], nn.losses.margin_ranking_loss(i1, i2, tg))
    fam.add("margin_ranking_loss", {"reduction": "mean", "margin": 0.5}, [i1, i2, tg],
            nn.losses.margin_ranking_loss(i1, i2, tg, margin=0.5, reduction="mean"))
    fam.write()


def randomize(m):
    """Fixed random values for every parameter (running stats included)."""
    flat = [(k, f32(*v.shape, lo=0.2, hi=1.5) if "running_var" in k else f32(*v.shape)) for k, v in tree_flatten(m.parameters())]
    m.update(tree_unflatten(flat))
    return dict(flat)


def layers():
    fam = Family("layers")

    def case(op, params, m, inputs, call=None):
        w = randomize(m)
        out = call(m, *inputs) if call else m(*inputs)
        fam.add(op, params, inputs, out, w)

    x = f32(2, 3, 8)
    case("Linear", {"in": 8, "out": 5, "bias": True}, nn.Linear(8, 5), [x])
    case("Linear", {"in": 8, "out": 5, "bias": False}, nn.Linear(8, 5, bias=False), [x])
    case("Bilinear", {"in1": 8, "in2": 4, "out": 3, "bias": True}, nn.Bilinear(8, 4, 3), [x, f32(2, 3, 4)])
    idx = mx.array(RNG.integers(0, 10, size=(2, 5)).astype(np.int32))
    case("Embedding", {"num": 10, "dims": 6}, nn.Embedding(10, 6), [idx])
    case("Embedding.as_linear", {"num": 10, "dims": 8}, nn.Embedding(10, 8), [x], lambda m, a: m.as_linear(a))
    seq = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4), nn.GELU(), nn.Linear(4, 2))
    case("MLP", {}, seq, [x])
    case("LayerNorm", {"dims": 8, "affine": True, "bias": True, "eps": 1e-5}, nn.LayerNorm(8), [x])
    case("LayerNorm", {"dims": 8, "affine": False, "bias": True, "eps": 1e-3}, nn.LayerNorm(8, eps=1e-3, affine=False), [x])
    case("RMSNorm", {"dims": 8, "eps": 1e-5}, nn.RMSNorm(8), [x])
    xg = f32(2, 5, 8)
    for pc in [False, True]:
        case("GroupNorm", {"groups": 4, "dims": 8, "pytorch_compatible": pc}, nn.GroupNorm(4, 8, pytorch_compatible=pc), [xg])
    xi = f32(2, 4, 3, 6)
    case("InstanceNorm", {"dims": 6, "affine": True}, nn.InstanceNorm(6, affine=True), [xi])
    bn = nn.BatchNorm(8)
    w = randomize(bn)
    y = bn(xg)
    out = {"out": y, "out_running_mean": bn.running_mean, "out_running_var": bn.running_var}
    fam.add("BatchNorm.train", {"dims": 8}, [xg], out, w)
    bn = nn.BatchNorm(6)
    w = randomize(bn)
    bn.eval()
    fam.add("BatchNorm.eval", {"dims": 6}, [xi], bn(xi), w)
    q = f32(1, 2, 5, 8)
    for trad in [False, True]:
        for off in [0, 3]:
            fam.add("rope", {"dims": 8, "traditional": trad, "base": 10000.0, "scale": 1.0, "offset": off}, [q],
                    mx.fast.rope(q, 8, traditional=trad, base=10000.0, scale=1.0, offset=off))
    fam.add("rope", {"dims": 4, "traditional": False, "base": 500.0, "scale": 0.5, "offset": 1}, [q],
            mx.fast.rope(q, 4, traditional=False, base=500.0, scale=0.5, offset=1))
    wv = f32(8)
    fam.add("fast.rms_norm", {"eps": 1e-5}, [x, wv], mx.fast.rms_norm(x, wv, 1e-5))
    bv = f32(8)
    fam.add("fast.layer_norm", {"eps": 1e-5}, [x, wv, bv], mx.fast.layer_norm(x, wv, bv, 1e-5))
    qh, kh, vh = f32(2, 4, 5, 8), f32(2, 2, 7, 8), f32(2, 2, 7, 8)
    sc = 8 ** -0.5
    fam.add("sdpa", {"scale": sc, "mask": "none"}, [qh, kh, vh], mx.fast.scaled_dot_product_attention(qh, kh, vh, scale=sc))
    fam.add("sdpa", {"scale": sc, "mask": "causal"}, [qh, kh, vh],
            mx.fast.scaled_dot_product_attention(qh, kh, vh, scale=sc, mask="causal"))
    bmask = mx.array(RNG.integers(0, 2, size=(5, 7)).astype(np.bool_)) | (mx.arange(7)[None, :] == 0)
    fam.add("sdpa", {"scale": sc, "mask": "bool"}, [qh, kh, vh, bmask],
            mx.fast.scaled_dot_product_attention(qh, kh, vh, scale=sc, mask=bmask))
    amask = f32(1, 4, 5, 7)
    fam.add("sdpa", {"scale": sc, "mask": "additive"}, [qh, kh, vh, amask],
            mx.fast.scaled_dot_product_attention(qh, kh, vh, scale=sc, mask=amask))
    scores = f32(2, 4, 5, 7)
    fam.add("ALiBi", {"offset": 2}, [scores], nn.ALiBi()(scores, offset=2))
    xs = f32(2, 4, 3)
    case("RNN", {"in": 3, "hidden": 5}, nn.RNN(3, 5), [xs])
    case("GRU", {"in": 3, "hidden": 5}, nn.GRU(3, 5), [xs])
    lstm = nn.LSTM(3, 5)
    w = randomize(lstm)
    h, c = lstm(xs)
    fam.add("LSTM", {"in": 3, "hidden": 5}, [xs], {"out": h, "out_cell": c}, w)
    xq, xk = f32(2, 5, 8), f32(2, 6, 8)
    case("MultiHeadAttention", {"dims": 8, "heads": 2, "bias": False, "mask": "none"}, nn.MultiHeadAttention(8, 2), [xq, xk, xk])
    mha = nn.MultiHeadAttention(8, 4, bias=True)
    w = randomize(mha)
    cm = nn.MultiHeadAttention.create_additive_causal_mask(5)
    fam.add("MultiHeadAttention", {"dims": 8, "heads": 4, "bias": True, "mask": "causal_additive"}, [xq, xq, xq],
            mha(xq, xq, xq, mask=cm), w)
    pos = mx.arange(6).astype(mx.float32)
    fam.add("SinusoidalPositionalEncoding", {"dims": 8}, [pos], nn.SinusoidalPositionalEncoding(8)(pos))
    fam.add("SinusoidalPositionalEncoding", {"dims": 6, "cos_first": True, "full_turns": True}, [pos],
            nn.SinusoidalPositionalEncoding(6, cos_first=True, full_turns=True)(pos))
    for nf in [True, False]:
        enc = nn.TransformerEncoder(2, 8, 2, mlp_dims=16, norm_first=nf)
        w = randomize(enc)
        enc.eval()
        cm = nn.MultiHeadAttention.create_additive_causal_mask(5)
        fam.add("TransformerEncoder", {"layers": 2, "dims": 8, "heads": 2, "mlp": 16, "norm_first": nf}, [xq], enc(xq, cm), w)
    case("Conv1d", {"in": 4, "out": 6, "k": [3], "stride": [1], "padding": [1], "dilation": [1], "groups": 1},
         nn.Conv1d(4, 6, 3, padding=1), [f32(2, 7, 4)])
    case("Conv2d", {"in": 4, "out": 6, "k": [3, 2], "stride": [2, 1], "padding": [1, 0], "dilation": [1, 2], "groups": 2},
         nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2), [f32(2, 7, 6, 4)])
    case("Conv3d", {"in": 2, "out": 3, "k": [2, 2, 2], "stride": [1, 1, 1], "padding": [0, 0, 0], "dilation": [1, 1, 1], "groups": 1},
         nn.Conv3d(2, 3, 2), [f32(1, 3, 4, 3, 2)])
    case("ConvTranspose1d", {"in": 4, "out": 3, "k": [3], "stride": [2], "padding": [1], "dilation": [1], "output_padding": [1]},
         nn.ConvTranspose1d(4, 3, 3, stride=2, padding=1, output_padding=1), [f32(2, 5, 4)])
    case("ConvTranspose2d", {"in": 3, "out": 2, "k": [2, 3], "stride": [2, 1], "padding": [0, 1], "dilation": [1, 1], "output_padding": [0, 0]},
         nn.ConvTranspose2d(3, 2, (2, 3), stride=(2, 1), padding=(0, 1)), [f32(1, 4, 5, 3)])
    xu = f32(2, 3, 2, 4)
    fam.add("Upsample", {"scale": [2, 3]}, [xu], nn.Upsample(scale_factor=(2, 3), mode="nearest")(xu))
    xu1 = f32(2, 5, 3)
    fam.add("Upsample", {"scale": [2]}, [xu1], nn.Upsample(scale_factor=2, mode="nearest")(xu1))
    fam.write()


def optimizers():
    fam = Family("optimizers")
    shapes = {"layers.0.weight": (4, 3), "layers.0.bias": (4,), "scale": (3, 2, 2)}
    specs = [
        ("SGD", {"lr": 0.1}, lambda: optim.SGD(0.1)),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "dampening": 0.1}, lambda: optim.SGD(0.1, 0.9, 0.01, 0.1)),
        ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}, lambda: optim.SGD(0.05, momentum=0.8, nesterov=True)),
        ("RMSprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-8}, lambda: optim.RMSprop(0.01)),
        ("Adagrad", {"lr": 0.1, "eps": 1e-8}, lambda: optim.Adagrad(0.1)),
        ("AdaDelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6}, lambda: optim.AdaDelta(1.0)),
        ("Adam", {"lr": 0.01}, lambda: optim.Adam(0.01)),
        ("Adam", {"lr": 0.01, "bias_correction": True}, lambda: optim.Adam(0.01, bias_correction=True)),
        ("AdamW", {"lr": 0.01, "weight_decay": 0.1}, lambda: optim.AdamW(0.01, weight_decay=0.1)),
        ("Adamax", {"lr": 0.02}, lambda: optim.Adamax(0.02)),
        ("Lion", {"lr": 0.01, "weight_decay": 0.1}, lambda: optim.Lion(0.01, weight_decay=0.1)),
        ("Adafactor", {}, lambda: optim.Adafactor()),
        ("Adafactor", {"lr": 0.01, "relative_step": False, "beta_1": 0.9, "weight_decay": 0.01},
         lambda: optim.Adafactor(0.01, relative_step=False, beta_1=0.9, weight_decay=0.01)),
        ("Adam.cosine", {"lr": 0.1, "decay_steps": 4}, lambda: optim.Adam(optim.cosine_decay(0.1, 4))),
        ("SGD.join", {}, lambda: optim.SGD(optim.join_schedules([optim.linear_schedule(0.0, 0.1, 2), optim.exponential_decay(0.1, 0.5)], [2]))),
        ("SGD.step_decay", {}, lambda: optim.SGD(optim.step_decay(0.1, 0.5, 2))),
    ]
    for op, params, make in specs:
        p = {k: f32(*s) for k, s in shapes.items()}
        grads = [{k: f32(*s) for k, s in shapes.items()} for _ in range(5)]
        out = {f"p/{k}": v for k, v in p.items()}
        opt = make()
        cur = tree_unflatten(list(p.items()))
        for i, g in enumerate(grads):
            out.update({f"g{i}/{k}": v for k, v in g.items()})
            cur = opt.apply_gradients(tree_unflatten(list(g.items())), cur)
            mx.eval(cur, opt.state)
        out.update({f"out/{k}": v for k, v in tree_flatten(cur)})
        out.update({f"state/{k}": (v.astype(mx.float32) if k != "step" else v.astype(mx.uint64)) for k, v in tree_flatten(opt.state)})
        fam.add(op, params, [], out)
    # clip_grad_norm
    for mn in [0.5, 100.0]:
        g = {k: f32(*s) for k, s in shapes.items()}
        clipped, norm = optim.clip_grad_norm(tree_unflatten(list(g.items())), mn)
        out = {f"g0/{k}": v for k, v in g.items()}
        out.update({f"out/{k}": v for k, v in tree_flatten(clipped)})
        out["norm"] = norm
        fam.add("clip_grad_norm", {"max_norm": mn}, [], out)
    fam.write()


def transformer():
    """nn.Transformer and its parts (issue #6); its own RNG so other families keep their values.
    Weights are loaded strictly on the Rust side, which also checks MLX's parameter names."""
    global RNG
    RNG = np.random.default_rng(20261125)
    fam = Family("transformer")
    x, mem, src = f32(2, 5, 8), f32(2, 6, 8), f32(2, 6, 8)
    fam.add("causal_mask", {"n": 5, "dtype": "float32"}, [], nn.MultiHeadAttention.create_additive_causal_mask(5))
    fam.add("causal_mask", {"n": 4, "dtype": "float16"}, [], nn.MultiHeadAttention.create_additive_causal_mask(4, mx.float16))
    cm = nn.MultiHeadAttention.create_additive_causal_mask(5)
    mem_mask = f32(1, 1, 5, 6)

    def case(op, params, m, inputs, call):
        w = randomize(m)
        m.eval()
        fam.add(op, params, inputs, call(m), w)

    for nf in [True, False]:
        p = {"dims": 8, "heads": 2, "mlp": 16, "norm_first": nf, "activation": "relu"}
        case("TransformerDecoderLayer", p, nn.TransformerDecoderLayer(8, 2, 16, norm_first=nf), [x, mem, mem_mask],
             lambda m: m(x, mem, cm, mem_mask))
        case("TransformerDecoder", dict(p, layers=2), nn.TransformerDecoder(2, 8, 2, 16, norm_first=nf), [x, mem, mem_mask],
             lambda m: m(x, mem, cm, mem_mask))
        case("TransformerEncoder", dict(p, layers=2, activation="gelu"),
             nn.TransformerEncoder(2, 8, 2, 16, activation=nn.gelu, norm_first=nf), [x], lambda m: m(x, cm))
    for nf, act, (ne, nd) in [(True, "relu", (1, 2)), (False, "gelu", (2, 1))]:
        p = {"dims": 8, "heads": 4, "mlp": 12, "norm_first": nf, "activation": act, "enc": ne, "dec": nd}
        t = nn.Transformer(8, 4, ne, nd, 12, activation=nn.gelu if act == "gelu" else nn.relu, norm_first=nf)
        case("Transformer", p, t, [src, x], lambda m: m(src, x, None, cm, None))
    # Default mlp_dims (4 * dims) and Embedding on int64 indices through a gather.
    case("TransformerDecoderLayer", {"dims": 8, "heads": 1, "norm_first": True, "activation": "relu", "memory_mask": False},
         nn.TransformerDecoderLayer(8, 1), [x, mem, mem_mask], lambda m: m(x, mem, cm, None))
    idx = mx.array(RNG.integers(-7, 7, size=(3, 4)).astype(np.int64))
    emb = nn.Embedding(7, 5)
    w = randomize(emb)
    fam.add("Embedding", {"num": 7, "dims": 5}, [idx], emb(idx), w)
    fam.write()


def optimizers_extra():
    """Muon (MLX 0.32) and MultiOptimizer, in the format of optimizers(); own RNG."""
    global RNG
    RNG = np.random.default_rng(20261126)
    fam = Family("optimizers_extra")
    shapes = {"layers.0.weight": (4, 3), "layers.0.bias": (4,), "scale": (3, 2, 2), "wide": (2, 5)}
    specs = [
        ("Muon", {"lr": 0.02}, lambda: optim.Muon(0.02)),
        ("Muon", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.0, "nesterov": False, "ns_steps": 3},
         lambda: optim.Muon(0.05, momentum=0.9, weight_decay=0.0, nesterov=False, ns_steps=3)),
        ("Muon.cosine", {"lr": 0.1, "decay_steps": 4}, lambda: optim.Muon(optim.cosine_decay(0.1, 4))),
        ("Multi", {}, lambda: optim.MultiOptimizer([optim.Muon(0.02), optim.AdamW(0.01)], [lambda k, g: g.ndim >= 2])),
        ("Adam.exponential", {}, lambda: optim.Adam(optim.exponential_decay(0.05, 0.8))),
    ]
    for op, params, make in specs:
        p = {k: f32(*s) for k, s in shapes.items()}
        grads = [{k: f32(*s) for k, s in shapes.items()} for _ in range(5)]
        out = {f"p/{k}": v for k, v in p.items()}
        opt = make()
        cur = tree_unflatten(list(p.items()))
        for i, g in enumerate(grads):
            out.update({f"g{i}/{k}": v for k, v in g.items()})
            cur = opt.apply_gradients(tree_unflatten(list(g.items())), cur)
            mx.eval(cur, opt.state)
        out.update({f"out/{k}": v for k, v in tree_flatten(cur)})
        out.update({f"state/{k}": (v.astype(mx.uint64) if k.endswith("step") else v.astype(mx.float32)) for k, v in tree_flatten(opt.state)})
        fam.add(op, params, [], out)
    fam.write()


if __name__ == "__main__":
    assert mx.__version__ == "0.32.4", mx.__version__
    mx.set_default_device(mx.cpu)
    # A subset may name only the families with their own RNG: the others draw from one shared
    # sequence, so they are regenerated together.
    only = sys.argv[1:]
    assert set(only) <= {"transformer", "optimizers_extra"}, "only transformer / optimizers_extra run alone"
    for fn in [activations, losses, layers, optimizers, transformer, optimizers_extra]:
        if not only or fn.__name__ in only:
            fn()
