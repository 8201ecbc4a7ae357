#!/usr/bin/env python3
"""Writes the io golden files: arrays saved by real MLX 0.32.4 (and NumPy / the `gguf` package
for what MLX cannot write), plus golden/io/expected.json with the exact expected contents.

    pip install "mlx[cpu]==0.32.4" numpy gguf
    python3 golden/generate_io.py                 # rewrites golden/io/*

crates/mlx-io/tests/golden_io.rs reads every file with our reader and compares with
expected.json (bit-exact), and writes the same arrays with our writers and compares bytes with
the MLX-written file where MLX's output is deterministic (npy, uncompressed npz, safetensors).

The other direction, once by hand (MLX loads what we write):

    cargo test -p mlx-io --test golden_io          # also writes target/tmp/io-ours/*
    python3 golden/generate_io.py --verify target/tmp/io-ours

expected.json: {"files": {relpath: {"format", "arrays": {name: {"dtype", "shape", "hex",
"data_order"?}}, "metadata": {key: {"type", "value"}}, "order": [names in data order]}}}.
"hex" is the little-endian row-major storage bytes (bool 0/1, complex64 as two f32); for
quantized gguf tensors it is the float32 dequantization computed by the `gguf` package (numpy),
and "raw_hex" holds the raw blocks.
"""

import json
import os
import struct
import sys

import mlx.core as mx
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "io")

DTYPES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
          "float16", "bfloat16", "float32", "float64", "complex64"]


def values(dtype, shape=(2, 3)):
    """A small array of `dtype` with interesting values (exact in every dtype)."""
    n = int(np.prod(shape))
    if dtype == "bool":
        return mx.array((np.arange(n) % 3 == 0).reshape(shape))
    if dtype.startswith("uint"):
        hi = {"uint8": 255, "uint16": 65535, "uint32": 2**32 - 1, "uint64": 2**64 - 1}[dtype]
        v = np.array([0, 1, 7, hi, hi - 1, 42] * n, dtype=np.uint64)[:n]
        return mx.array(v.astype(dtype).reshape(shape))
    if dtype.startswith("int"):
        info = np.iinfo(dtype)
        v = np.array([0, -1, 5, info.min, info.max, -42] * n)[:n]
        return mx.array(v.astype(dtype).reshape(shape))
    if dtype == "complex64":
        v = np.array([1 + 2j, -0.5j, 3, np.inf - 1j, 0.25 + 0.125j, -7] * n, dtype=np.complex64)[:n]
        return mx.array(v.reshape(shape))
    v = np.array([0.5, -1.25, np.inf, -0.0, 1e-3, np.nan] * n, dtype=np.float64)[:n].reshape(shape)
    if dtype == "bfloat16":
        return mx.array(v.astype(np.float32)).astype(mx.bfloat16)
    return mx.array(v.astype(dtype), dtype=getattr(mx, dtype))


def storage_hex(a):
    """Row-major little-endian storage bytes of an mx array."""
    if a.dtype == mx.bfloat16:
        b = np.array(a.view(mx.uint16)).astype("<u2").tobytes()
    else:
        n = np.array(a)
        b = np.ascontiguousarray(n.astype(n.dtype.newbyteorder("<"))).tobytes()
    return b.hex()


def entry(a):
    name = str(a.dtype).split(".")[-1]
    return {"dtype": "bool" if name == "bool" else name, "shape": [int(s) for s in a.shape], "hex": storage_hex(a)}


FILES = {}


def record(rel, fmt, arrays, metadata=None, order=None, **extra):
    FILES[rel] = {"format": fmt, "arrays": arrays, "metadata": metadata or {}, "order": order or [], **extra}


def gen_npy():
    os.makedirs(os.path.join(OUT, "npy"), exist_ok=True)
    for d in DTYPES:
        a = values(d)
        rel = f"npy/{d}.npy"
        mx.save(os.path.join(OUT, rel), a)
        record(rel, "npy", {"arr_0": entry(a)})
    cases = {"scalar": mx.array(3.5), "empty": mx.zeros((0, 3)), "row": mx.arange(5, dtype=mx.int32).reshape(1, 5),
             "3d": mx.arange(24, dtype=mx.int16).reshape(2, 3, 4)}
    for k, a in cases.items():
        rel = f"npy/{k}.npy"
        mx.save(os.path.join(OUT, rel), a)
        record(rel, "npy", {"arr_0": entry(a)})
    # Read-only cases written by NumPy: Fortran order, big-endian, format version 2.
    base = np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5
    np.save(os.path.join(OUT, "npy/np_fortran.npy"), np.asfortranarray(base))
    record("npy/np_fortran.npy", "npy", {"arr_0": entry(mx.array(base))}, write=False)
    np.save(os.path.join(OUT, "npy/np_bigendian.npy"), base.astype(">f4"))
    record("npy/np_bigendian.npy", "npy", {"arr_0": entry(mx.array(base))}, write=False)
    be = np.arange(6, dtype=">i8").reshape(2, 3)
    np.save(os.path.join(OUT, "npy/np_bigendian_fortran_i8.npy"), np.asfortranarray(be))
    record("npy/np_bigendian_fortran_i8.npy", "npy", {"arr_0": entry(mx.array(be.astype("<i8")))}, write=False)
    with open(os.path.join(OUT, "npy/np_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, base, version=(2, 0))
    record("npy/np_v2.npy", "npy", {"arr_0": entry(mx.array(base))}, write=False)
    c = (np.arange(6) + 1j * np.arange(6)).astype(np.complex64).reshape(2, 3)
    np.save(os.path.join(OUT, "npy/np_complex_fortran.npy"), np.asfortranarray(c))
    record("npy/np_complex_fortran.npy", "npy", {"arr_0": entry(mx.array(c))}, write=False)


def gen_npz():
    os.makedirs(os.path.join(OUT, "npz"), exist_ok=True)
    arrs = {"w": values("float32"), "idx": values("int64", (4,)), "mask": values("bool", (2, 2)), "h": values("bfloat16", (3,))}
    import zipfile
    for rel, save in [("npz/savez.npz", mx.savez), ("npz/savez_compressed.npz", mx.savez_compressed)]:
        save(os.path.join(OUT, rel), **arrs)
        # MLX writes the members in reverse keyword order; record the order it used.
        order = [n[:-4] for n in zipfile.ZipFile(os.path.join(OUT, rel)).namelist()]
        record(rel, "npz", {k: entry(v) for k, v in arrs.items()}, order=order, write=rel == "npz/savez.npz")


def st_order(path):
    """Names in the order of their data in a safetensors file."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    h = json.loads(raw[8:8 + n])
    h.pop("__metadata__", None)
    return sorted(h, key=lambda k: tuple(h[k]["data_offsets"]))


def gen_safetensors():
    os.makedirs(os.path.join(OUT, "safetensors"), exist_ok=True)
    arrs = {d: values(d) for d in DTYPES if d != "float64"}  # MLX 0.32.4 refuses float64 here
    arrs["Scalar"] = mx.array(2.0)
    arrs["empty"] = mx.zeros((2, 0), dtype=mx.float16)
    path = os.path.join(OUT, "safetensors/all_dtypes.safetensors")
    meta = {"format": "mlx", "note": "quote \" newline \n ünï"}
    mx.save_safetensors(path, arrs, metadata=meta)
    record("safetensors/all_dtypes.safetensors", "safetensors", {k: entry(v) for k, v in arrs.items()},
           metadata={k: {"type": "String", "value": v} for k, v in meta.items()}, order=st_order(path))
    path = os.path.join(OUT, "safetensors/no_metadata.safetensors")
    small = {"b": mx.array([1.0, 2.0]), "a": mx.array([3], dtype=mx.int8)}
    mx.save_safetensors(path, small)
    record("safetensors/no_metadata.safetensors", "safetensors", {k: entry(v) for k, v in small.items()},
           order=st_order(path))


def meta_json(v, t):
    return {"type": t, "value": v}


def gen_gguf():
    os.makedirs(os.path.join(OUT, "gguf"), exist_ok=True)
    # Written by MLX: the types mx.save_gguf accepts, and its metadata kinds.
    arrs = {"f32": values("float32", (2, 3)), "f16": values("float16", (4,)), "i8": values("int8", (3,)),
            "i16": values("int16", (2, 2)), "i32": values("int32", (2, 1, 3))}
    meta = {"general.name": "tiny", "tokens": ["a", "bc", ""], "n": mx.array(7), "v": mx.array([1.5, -2.0])}
    path = os.path.join(OUT, "gguf/mlx.gguf")
    mx.save_gguf(path, arrs, meta)
    record("gguf/mlx.gguf", "gguf", {k: entry(v) for k, v in arrs.items()},
           metadata={"general.name": meta_json("tiny", "String"),
                     "tokens": meta_json(["a", "bc", ""], "Array:String"),
                     "n": meta_json(7, "I32"), "v": meta_json([1.5, -2.0], "Array:F32")})
    # Written with the gguf package: quantized blocks and every metadata value type.
    import gguf
    from gguf import GGMLQuantizationType as Q
    path = os.path.join(OUT, "gguf/quantized.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_uint8("m.u8", 200)
    w.add_int8("m.i8", -100)
    w.add_uint16("m.u16", 60000)
    w.add_int16("m.i16", -30000)
    w.add_uint32("m.u32", 4000000000)
    w.add_int32("m.i32", -2000000000)
    w.add_float32("m.f32", 0.25)
    w.add_bool("m.bool", True)
    w.add_string("m.str", "héllo")
    w.add_uint64("m.u64", 2**64 - 1)
    w.add_int64("m.i64", -2**63)
    w.add_float64("m.f64", -1.5e300)
    w.add_array("m.strs", ["x", "yz", "ünï"])
    w.add_array("m.ints", [1, -2, 3])
    expected, rmeta = {}, {}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 64)).astype(np.float32)
    for t in [Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q8_0]:
        q = gguf.quants.quantize(x, t)
        w.add_tensor(t.name, q, raw_dtype=t)
        deq = gguf.quants.dequantize(q, t).astype(np.float32).reshape(x.shape)
        expected[t.name] = {"dtype": "float32", "shape": list(x.shape), "hex": deq.astype("<f4").tobytes().hex(),
                            "raw_hex": q.tobytes().hex(), "ggml_type": t.name}
    f16 = x[:, :8].astype(np.float16)
    w.add_tensor("F16", f16)
    expected["F16"] = {"dtype": "float16", "shape": list(f16.shape), "hex": f16.astype("<f2").tobytes().hex()}
    bf = mx.array(x[:1, :4]).astype(mx.bfloat16)
    bfraw = np.array(bf.view(mx.uint16))
    w.add_tensor("BF16", bfraw, raw_shape=list(bfraw.shape), raw_dtype=Q.BF16)
    expected["BF16"] = entry(bf)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    rmeta = {"general.architecture": meta_json("llama", "String"), "m.u8": meta_json(200, "U8"),
             "m.i8": meta_json(-100, "I8"), "m.u16": meta_json(60000, "U16"), "m.i16": meta_json(-30000, "I16"),
             "m.u32": meta_json(4000000000, "U32"), "m.i32": meta_json(-2000000000, "I32"),
             "m.f32": meta_json(0.25, "F32"), "m.bool": meta_json(True, "Bool"), "m.str": meta_json("héllo", "String"),
             "m.u64": meta_json(2**64 - 1, "U64"), "m.i64": meta_json(-2**63, "I64"),
             "m.f64": meta_json(-1.5e300, "F64"), "m.strs": meta_json(["x", "yz", "ünï"], "Array:String"),
             "m.ints": meta_json([1, -2, 3], "Array:I32")}
    record("gguf/quantized.gguf", "gguf", expected, metadata=rmeta, write=False)
    # MLX 0.32.4 itself cannot load this file: it segfaults on the float64 metadata value, and
    # without it fails on Q5_0/Q5_1 ("[load_gguf] gguf_tensor_to_f16 failed"); it repacks
    # Q4_0/Q4_1/Q8_0 into its affine quantization and loads BF16 as float16 (DIFFERENCES.md).


def verify(d):
    """Loads with MLX every file our Rust writers put in `d` and compares with expected.json."""
    exp = json.load(open(os.path.join(OUT, "expected.json")))["files"]
    n = 0
    for rel, e in sorted(exp.items()):
        p = os.path.join(d, rel)
        if not os.path.exists(p):
            continue
        got = mx.load(p, return_metadata=True) if e["format"] in ("safetensors", "gguf") else (mx.load(p), {})
        arrays, meta = got
        if e["format"] == "npy":
            arrays = {"arr_0": arrays}
        for name, a in e["arrays"].items():
            b = arrays[name]
            assert str(b.dtype).split(".")[-1] == a["dtype"] and list(b.shape) == a["shape"], (rel, name, b.dtype, b.shape)
            assert storage_hex(b) == a["hex"], (rel, name)
        if e["format"] == "safetensors":
            assert meta == {k: v["value"] for k, v in e["metadata"].items()}, (rel, meta)
        n += 1
    print(f"MLX loaded {n} files written by mlx-io; all arrays and metadata match.")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        verify(sys.argv[2])
        return
    os.makedirs(OUT, exist_ok=True)
    gen_npy()
    gen_npz()
    gen_safetensors()
    gen_gguf()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"mlx": mx.__version__, "numpy": np.__version__, "files": FILES}, f, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(r, x)) for r, _, fs in os.walk(OUT) for x in fs)
    print(f"wrote {len(FILES)} files + expected.json, {total} bytes")


if __name__ == "__main__":
    main()
