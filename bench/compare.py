#!/usr/bin/env python3
"""Runs the issue #5 workloads in our build (crates/mlx/examples/bench_ops.rs), NumPy and MLX in
one run and prints a table of median times and ratios (ours / theirs; < 1 means we are faster).

    python3 bench/compare.py [--threads 1 2] [--only NAME ...] [--no-build]

Threads: ours via MLX_RS_NUM_THREADS, NumPy via OPENBLAS_NUM_THREADS/OMP_NUM_THREADS (set before
numpy is imported, so each thread count runs NumPy and MLX in a fresh subprocess). MLX's CPU
build has no thread knob; its numbers are the same in both tables. OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are removed from the environment (they slow OpenBLAS down on some machines).
"""
import argparse, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "examples", "bench_ops")

PY_WORKER = r'''
import json, sys, time
import numpy as np
lib = sys.argv[1]
only = sys.argv[2:]
want = lambda n: not only or any(o in n for o in only)
if lib == "mlx":
    import mlx.core as mx
rng = np.random.default_rng(0)
def data(shape, dtype="float32"):
    return (rng.random(shape, dtype=np.float32) * 2 - 1)
def median_time(f, reps):
    f()
    ts = []
    start = time.perf_counter()
    while len(ts) < reps and (len(ts) < 3 or time.perf_counter() - start < 20):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2], len(ts)
def emit(name, f, reps, per=1):
    if not want(name):
        return
    t, n = median_time(f, reps)
    print(json.dumps({"name": name, "median_s": t / per, "reps": n}), flush=True)

def np_softmax(x):
    m = x.max(axis=-1, keepdims=True); e = np.exp(x - m); return e / e.sum(axis=-1, keepdims=True)

mm = [("matmul_f32_256", 256, 256, 256, "float32"), ("matmul_f32_512", 512, 512, 512, "float32"),
      ("matmul_f32_1024", 1024, 1024, 1024, "float32"), ("matmul_f32_2048", 2048, 2048, 2048, "float32"),
      ("matmul_f32_128x4096x4096", 128, 4096, 4096, "float32"), ("gemv_f32_1x4096x4096", 1, 4096, 4096, "float32"),
      ("matmul_f64_1024", 1024, 1024, 1024, "float64"), ("matmul_bf16_1024", 1024, 1024, 1024, "bfloat16"),
      ("matmul_f16_1024", 1024, 1024, 1024, "float16")]
N = 1 << 24
if lib == "numpy":
    for name, m, k, n, dt in mm:
        if dt == "bfloat16" or not want(name):
            continue  # NumPy has no bfloat16
        a, b = data((m, k)).astype(dt), data((k, n)).astype(dt)
        emit(name, lambda: a @ b, 9)
    a, b = data(N), data(N)
    emit("add_16M", lambda: np.add(a, b), 15)
    emit("exp_16M", lambda: np.exp(a), 15)
    emit("sum_16M", lambda: a.sum(), 15)
    x = data((4096, 4096))
    emit("sum_axis0_4096x4096", lambda: x.sum(axis=0), 15)
    emit("softmax_4096x4096", lambda: np_softmax(x), 15)
    emit("transpose_copy_4096x4096", lambda: np.ascontiguousarray(x.T), 15)
else:
    dts = {"float32": mx.float32, "float64": mx.float64, "bfloat16": mx.bfloat16, "float16": mx.float16}
    for name, m, k, n, dt in mm:
        if not want(name):
            continue
        a, b = mx.array(data((m, k))).astype(dts[dt]), mx.array(data((k, n))).astype(dts[dt])
        mx.eval(a, b)
        try:
            emit(name, lambda: mx.eval(a @ b), 9)
        except Exception as e:  # e.g. float64 matmul unsupported
            print(json.dumps({"name": name, "error": str(e)[:80]}), flush=True)
    a, b = mx.array(data(N)), mx.array(data(N)); mx.eval(a, b)
    emit("add_16M", lambda: mx.eval(a + b), 15)
    emit("exp_16M", lambda: mx.eval(mx.exp(a)), 15)
    emit("sum_16M", lambda: mx.eval(a.sum()), 15)
    x = mx.array(data((4096, 4096))); mx.eval(x)
    emit("sum_axis0_4096x4096", lambda: mx.eval(x.sum(axis=0)), 15)
    emit("softmax_4096x4096", lambda: mx.eval(mx.softmax(x, axis=-1)), 15)
    emit("transpose_copy_4096x4096", lambda: mx.eval(mx.contiguous(x.T)), 15)
    def chain():
        y = mx.array(0.0)
        for _ in range(1000):
            y = y + 1.0
        mx.eval(y)
    emit("graph_1000_adds", chain, 30, per=1000)
'''


def run_jsonl(cmd, env):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    rows = {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            rows[r["name"]] = r
    if out.returncode != 0:
        sys.stderr.write(f"{cmd[0]} failed: {out.stderr[-2000:]}\n")
    return rows


def fmt(t):
    if t is None:
        return "-"
    return f"{t * 1e3:.3f} ms" if t >= 1e-4 else f"{t * 1e6:.2f} us"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--json", help="also write all results to this file")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "mlx", "--example", "bench_ops"], cwd=ROOT, check=True)
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    results = {}
    for th in args.threads:
        env = dict(base, MLX_RS_NUM_THREADS=str(th), OPENBLAS_NUM_THREADS=str(th), OMP_NUM_THREADS=str(th))
        ours = run_jsonl([BIN] + args.only, env)
        npy = run_jsonl([sys.executable, "-c", PY_WORKER, "numpy"] + args.only, env)
        mlx = run_jsonl([sys.executable, "-c", PY_WORKER, "mlx"] + args.only, env)
        results[th] = {"ours": ours, "numpy": npy, "mlx": mlx}
        print(f"\n### {th} thread{'s' if th > 1 else ''}\n")
        print("| workload | mlx-rs | NumPy | MLX 0.32.4 | ours/NumPy | ours/MLX |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name in ours:
            o = ours[name].get("median_s")
            n = npy.get(name, {}).get("median_s")
            m = mlx.get(name, {}).get("median_s")
            rn = f"{o / n:.2f}" if o and n else "-"
            rm = f"{o / m:.2f}" if o and m else "-"
            unit = " (per op)" if name.startswith("graph") else ""
            print(f"| {name}{unit} | {fmt(o)} | {fmt(n)} | {fmt(m)} | {rn} | {rm} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
