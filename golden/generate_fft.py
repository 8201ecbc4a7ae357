"""Golden family for mx.fft (issue #3): report keys "fft.<name>".

Imported by generate.py, which calls `bind(globals())` so this family shares its helpers
(Family, rand, arr, T, v_transpose, ...).  Case format: see generate.py's docstring.  Params:

* fft / ifft / rfft / irfft: {"n": int | null, "axis": int, "norm": str}
* fft2 / ifft2 / rfft2 / irfft2 / fftn / ... : {"s": [int] | null, "axes": [int] | null, "norm"}
* fftshift / ifftshift: {"axes": null | int | [int]}
* fftfreq / rfftfreq: {"n": int, "d": float} (no inputs)
* stft: {"n_fft", "hop_length", "win_length", "window": bool (input 1 is the window),
  "center", "pad_mode", "norm", "onesided"}; istft the same without pad_mode, plus "length".

Also the family "permutation" (random.permutation: {"n": int | null, "axis"}; input 0 is the
key, input 1 the array when "n" is null).
"""

import numpy as np
import mlx.core as mx


def bind(ns):
    """Share generate.py's helpers and random stream."""
    globals().update({k: v for k, v in ns.items() if not k.startswith("__") and k not in ("FAMILIES", "compute")})


ONE_D = ["fft", "ifft", "rfft", "irfft"]
N_D = ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"]


def compute(op, p, xs):
    if not op.startswith("fft."):
        return None
    name = op[len("fft."):]
    f = getattr(mx.fft, name)
    if name in ONE_D:
        return f(xs[0], n=p["n"], axis=p["axis"], norm=p["norm"])
    if name in N_D:
        axes = p["axes"]
        return f(xs[0], s=p["s"], axes=axes, norm=p["norm"])
    if name in ("fftshift", "ifftshift"):
        return f(xs[0], axes=p["axes"])
    if name in ("fftfreq", "rfftfreq"):
        return f(p["n"], d=p["d"])
    if name == "stft":
        w = xs[1] if p["window"] else None
        return mx.fft.stft(xs[0], n_fft=p["n_fft"], hop_length=p["hop_length"], win_length=p["win_length"],
                           window=w, center=p["center"], pad_mode=p["pad_mode"], norm=p["norm"],
                           onesided=p["onesided"])
    if name == "istft":
        w = xs[1] if p["window"] else None
        return mx.fft.istft(xs[0], n_fft=p["n_fft"], hop_length=p["hop_length"], win_length=p["win_length"],
                            window=w, center=p["center"], norm=p["norm"], onesided=p["onesided"],
                            length=p["length"])
    raise ValueError(op)


def fam_fft():
    f = Family("fft")
    with own_stream(SEED + 401):
        _fft(f)
    return f


def _fft(f):
    r = lambda d, s: rand(d, s, "small")
    one = lambda name, x, n=None, axis=-1, norm="backward", **kw: f.add(
        "fft." + name, {"n": n, "axis": axis, "norm": norm}, [x], **kw)
    nd = lambda name, x, s=None, axes=None, norm="backward", **kw: f.add(
        "fft." + name, {"s": s, "axes": axes, "norm": norm}, [x], **kw)
    # 1-D: every length kind (powers of two, small composites, primes, Bluestein sizes > 32)
    for n in (1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 16, 31, 33, 48, 97, 128):
        one("fft", r("complex64", (2, n)))
        one("ifft", r("complex64", (2, n)))
        one("rfft", r("float32", (2, n)))
    for m in (2, 3, 4, 5, 9, 17, 50):
        one("irfft", r("complex64", (2, m)))
        one("irfft", r("complex64", (2, m)), n=2 * m - 1)
    # n pads / truncates; axis; norm
    for name in ONE_D:
        x = r("complex64" if name != "rfft" else "float32", (3, 6))
        for n in (4, 6, 9):
            one(name, x, n=n)
        one(name, x, axis=0)
        one(name, x, n=5, axis=-2)
        for norm in ("ortho", "forward"):
            one(name, x, norm=norm)
            one(name, x, n=7, norm=norm)
        # dtypes: every input dtype goes to complex64 (float32 for irfft)
        for d in ("float32", "float64", "float16", "bfloat16", "int32", "uint8", "bool", "complex64"):
            one(name, rand(d, (2, 4), "small"))
        # views, 3-d, inf/nan, empty non-transformed axis
        one(name, T(r(x.dtype == mx.complex64 and "complex64" or "float32", (6, 3)), v_transpose([1, 0])))
        one(name, T(r("complex64" if name != "rfft" else "float32", (4, 10)), v_slice([0, 9], [4, -11], [2, -2])))
        one(name, r("complex64" if name != "rfft" else "float32", (2, 3, 4)), axis=1)
        # (No inf/NaN inputs: MLX's butterflies skip trivial twiddles, ours multiply by them, so
        # inf * 0 makes NaN imaginary parts where MLX keeps 0; DIFFERENCES.md.)
        one(name, r("float32", (0, 4)))
        # errors
        one(name, r("float32", (4,)), n=0, expect_error=True)
        one(name, r("float32", ()), expect_error=True)
        one(name, r("float32", (2, 4)), axis=2, expect_error=True)
        one(name, r("float32", (2, 4)), norm="none", expect_error=True)
        one(name, r("float32", (0,)), expect_error=True)
    one("irfft", r("complex64", (1,)), expect_error=True)
    one("irfft", r("complex64", (1,)), n=1)
    one("irfft", arr([1 + 1j, 2 - 1j, 3 + 5j], "complex64"))  # DC / Nyquist imaginary parts ignored
    # n-d
    x3 = r("float32", (3, 4, 5))
    c3 = r("complex64", (3, 4, 5))
    for name in N_D:
        inp = x3 if name.startswith("rfft") else c3
        two = name.endswith("2")
        if two:
            nd(name, inp, axes=[-2, -1])
            nd(name, inp, axes=[0, 2])
            nd(name, inp, s=[3, 6], axes=[-2, -1])
            nd(name, inp, axes=[-1, -2], norm="ortho")
            nd(name, r("float32", (4,)), axes=[-2, -1], expect_error=True)
        else:
            nd(name, inp)
            nd(name, inp, axes=[1])
            nd(name, inp, axes=[2, 0])
            nd(name, inp, s=[2, 7], axes=[0, 2])
            nd(name, inp, s=[5], axes=[1], norm="forward")
            nd(name, inp, axes=[0, 1, 2], norm="ortho")
            nd(name, inp, axes=[])
            nd(name, T(r("complex64", (5, 4, 3)), v_transpose([2, 1, 0])), axes=[0, 1])
            nd(name, inp, axes=[0, 0], expect_error=True)
            nd(name, inp, axes=[3], expect_error=True)
            nd(name, inp, s=[2, 3], axes=[0], expect_error=True)
            nd(name, inp, s=[0], axes=[0], expect_error=True)
            nd(name, inp, s=[4], expect_error=True)
        nd(name, rand("float64", (2, 3), "small"), axes=[0, 1])
        nd(name, rand("int32", (2, 4), "small"), axes=[0, 1])
    # shifts
    sh = lambda name, x, axes, **kw: f.add("fft." + name, {"axes": axes}, [x], **kw)
    for name in ("fftshift", "ifftshift"):
        sh(name, r("float32", (5,)), None)
        sh(name, r("float32", (4, 5)), None)
        sh(name, r("int32", (4, 5)), 0)
        sh(name, r("complex64", (3, 4, 5)), [0, 2])
        sh(name, r("float32", (3, 4)), [-1])
        sh(name, r("float32", (3, 4)), [])
        sh(name, r("float32", ()), None)
        sh(name, T(r("float32", (5, 3)), v_transpose([1, 0])), None)
        sh(name, r("float32", (3, 4)), [2], expect_error=True)
        sh(name, r("float32", (3, 4)), [-3], expect_error=True)
    # frequencies
    fq = lambda name, n, d=1.0, **kw: f.add("fft." + name, {"n": n, "d": d}, [], **kw)
    for name in ("fftfreq", "rfftfreq"):
        for n, d in [(1, 1.0), (2, 1.0), (5, 1.0), (6, 0.1), (7, 2.5), (8, -0.5)]:
            fq(name, n, d)
        fq(name, 0, expect_error=True)
        fq(name, 4, 0.0, expect_error=True)
    # stft / istft
    def st(x, n_fft, hop=None, win=None, window=None, center=True, pad_mode="reflect", norm="backward",
           onesided=None, **kw):
        p = {"n_fft": n_fft, "hop_length": hop, "win_length": win, "window": window is not None,
             "center": center, "pad_mode": pad_mode, "norm": norm, "onesided": onesided}
        f.add("fft.stft", p, [x] + ([window] if window is not None else []), **kw)

    def ist(x, n_fft=None, hop=None, win=None, window=None, center=True, norm="backward", onesided=None,
            length=None, **kw):
        p = {"n_fft": n_fft, "hop_length": hop, "win_length": win, "window": window is not None,
             "center": center, "norm": norm, "onesided": onesided, "length": length}
        f.add("fft.istft", p, [x] + ([window] if window is not None else []), **kw)

    sig = r("float32", (20,))
    hann8 = arr(np.hanning(8), "float32")
    st(sig, 8)
    st(sig, 8, hop=3)
    st(sig, 8, win=6)
    st(sig, 8, window=arr(np.hanning(6), "float32"))
    st(sig, 8, window=hann8, hop=2)
    st(sig, 8, center=False)
    st(sig, 8, pad_mode="constant")
    st(sig, 8, pad_mode="edge", norm="ortho")
    st(sig, 8, onesided=False)
    st(sig, 7, hop=2, norm="forward")
    st(sig, 5, hop=1)
    st(r("float32", (2, 3, 16)), 8)
    st(r("complex64", (20,)), 8)
    st(r("complex64", (20,)), 8, onesided=True)
    st(rand("float64", (20,), "small"), 8)
    st(rand("int32", (20,), "small"), 8)
    st(r("float32", (5,)), 8)
    st(T(r("float32", (20, 2)), v_transpose([1, 0])), 6, hop=2)
    st(sig, 0, expect_error=True)
    st(sig, 8, hop=0, expect_error=True)
    st(sig, 8, win=9, expect_error=True)
    st(sig, 8, window=arr(np.ones(9), "float32"), expect_error=True)
    st(sig, 8, window=arr(np.ones((2, 4)), "float32"), expect_error=True)
    st(sig, 8, pad_mode="wrap", expect_error=True)
    st(r("float32", ()), 8, expect_error=True)
    st(r("float32", (6,)), 8, center=False, expect_error=True)
    spec = mx.fft.stft(sig, n_fft=8)
    spec_h = mx.fft.stft(sig, n_fft=8, window=hann8, hop_length=2)
    ist(spec)
    ist(spec, n_fft=8)
    ist(spec, length=20)
    ist(spec, length=25)
    ist(spec, length=7)
    ist(spec, center=False)
    ist(spec, norm="ortho")
    ist(spec_h, window=hann8, hop=2)
    ist(spec_h, window=hann8, hop=2, center=False)
    ist(spec, n_fft=7)
    ist(spec, onesided=False)
    ist(mx.fft.stft(r("float32", (2, 16)), n_fft=6, hop_length=2), hop=2)
    ist(mx.fft.stft(sig, n_fft=8, window=arr(np.hanning(6), "float32")), window=arr(np.hanning(6), "float32"))
    ist(mx.fft.stft(sig, n_fft=8, onesided=False), onesided=False)
    ist(r("complex64", (5,)), expect_error=True)
    ist(spec, n_fft=0, expect_error=True)
    ist(spec, hop=0, expect_error=True)
    ist(spec, n_fft=8, win=9, expect_error=True)
    ist(r("complex64", (5, 0)), expect_error=True)


def fam_permutation():
    """random.permutation: MLX's argsort of uint32 key bits, compared exactly."""
    f = Family("permutation")
    with own_stream(SEED + 402):
        keys = [mx.random.key(s) for s in (0, 1, 42, 2**40 + 7)]
        pm = lambda p, xs, **kw: f.add("random.permutation", p, xs, **kw)
        for k in keys:
            pm({"n": 10, "axis": 0}, [k])
        for n in (0, 1, 2, 100, 1000):
            pm({"n": n, "axis": 0}, [keys[1]])
        pm({"n": 5, "axis": 3}, [keys[2]])  # axis ignored for an int
        x = rand("float32", (4, 5), "small")
        pm({"n": None, "axis": 0}, [keys[0], x])
        pm({"n": None, "axis": 1}, [keys[0], x])
        pm({"n": None, "axis": -1}, [keys[3], rand("int32", (2, 3, 6), "small")])
        pm({"n": None, "axis": 0}, [keys[2], T(rand("float32", (5, 3)), v_transpose([1, 0]))])
        pm({"n": None, "axis": 0}, [keys[1], rand("complex64", (6,), "small")])
        pm({"n": None, "axis": 2}, [keys[0], x], expect_error=True)
        pm({"n": None, "axis": 0}, [keys[0], rand("float32", (), "small")], expect_error=True)
        pm({"n": 4, "axis": 0}, [arr([1, 2, 3], "uint32")], expect_error=True)
    return f


FAMILIES = [fam_fft, fam_permutation]
