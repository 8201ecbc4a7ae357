#!/usr/bin/env python3
"""Runs the issue #5 workloads in our build (crates/mlx/examples/bench_ops.rs), NumPy and MLX in
one run and prints a table of median times, ratios (theirs / ours; > 1 means we are faster) and the issue #5
target of each row.

    python3 bench/compare.py [--threads 1 2] [--only NAME ...] [--rounds 2] [--no-build] [--md FILE] [--json FILE]

Each workload runs in its own processes: ours, then NumPy, `--rounds` times, keeping the smaller
median of each, so both see about the same host speed; MLX runs once (its matmuls take minutes).
1-thread runs are pinned to one CPU (`--pin`, default 0): this VM's two vCPUs differ in speed.

`--md FILE` also writes the tables (with the issue #5 target of each row and whether it is met)
as markdown, ready to paste into BENCHMARKS.md.

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
def busy(seconds):
    t = time.perf_counter()
    while time.perf_counter() - t < seconds:
        pass
def median_time(f, reps, gap=0.0):
    # Warm-up as in bench_ops: at least one call and 50 ms.
    warm = time.perf_counter()
    for _ in range(1000):
        f()
        if time.perf_counter() - warm >= 0.05:
            break
    ts = []
    start = time.perf_counter()
    while len(ts) < reps and (len(ts) < 3 or time.perf_counter() - start < 20):
        busy(gap)
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2], len(ts)
def emit(name, f, reps, per=1, gap=0.0):
    if not want(name):
        return
    t, n = median_time(f, reps, gap)
    print(json.dumps({"name": name, "median_s": t / per, "reps": n}), flush=True)

def np_softmax(x):
    m = x.max(axis=-1, keepdims=True); e = np.exp(x - m); return e / e.sum(axis=-1, keepdims=True)
def np_logsumexp(x):
    m = x.max(axis=-1, keepdims=True); return np.log(np.exp(x - m).sum(axis=-1)) + m[..., 0]
def np_layer_norm(x, w, b):
    mu = x.mean(axis=-1, keepdims=True); v = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(v + 1e-5) * w + b
def np_conv2d_same(x, w):
    # im2col (sliding windows of the zero-padded input, copied to (N*H*W, 9*C)) + one BLAS GEMM.
    n, h, wd, c = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(1, 2))  # n, h, w, c, 3, 3
    cols = np.ascontiguousarray(win.transpose(0, 1, 2, 4, 5, 3)).reshape(n * h * wd, 9 * c)
    return (cols @ w.reshape(w.shape[0], -1).T).reshape(n, h, wd, w.shape[0])

mm = [("matmul_f32_256", 256, 256, 256, "float32"), ("matmul_f32_512", 512, 512, 512, "float32"),
      ("matmul_f32_1024", 1024, 1024, 1024, "float32"), ("matmul_f32_2048", 2048, 2048, 2048, "float32"),
      ("matmul_f32_128x4096x4096", 128, 4096, 4096, "float32"), ("gemv_f32_1x4096x4096", 1, 4096, 4096, "float32"),
      ("matmul_f64_1024", 1024, 1024, 1024, "float64"), ("matmul_bf16_1024", 1024, 1024, 1024, "bfloat16"),
      ("matmul_f16_1024", 1024, 1024, 1024, "float16"),
      ("matmul_bf16_2048", 2048, 2048, 2048, "bfloat16"), ("matmul_f16_2048", 2048, 2048, 2048, "float16")]
N = 1 << 24
# A training loop's pattern: 1 ms of serial work (untimed) before each timed 256^3 product, so
# idle pool threads have time to fall asleep between ops.
SERIAL_GAP = "matmul_f32_256_after_1ms_serial"
if lib == "numpy":
    for name, m, k, n, dt in mm:
        if dt == "bfloat16" or name == "matmul_f16_2048" or not want(name):
            continue  # NumPy has no bfloat16; its float16 matmul (no BLAS) takes minutes at 2048
        a, b = data((m, k)).astype(dt), data((k, n)).astype(dt)
        emit(name, lambda: a @ b, 9)
    a, b = data((256, 256)), data((256, 256))
    emit(SERIAL_GAP, lambda: a @ b, 30, gap=1e-3)
    a, b = data(N), data(N)
    emit("add_16M", lambda: np.add(a, b), 15)
    emit("exp_16M", lambda: np.exp(a), 15)
    emit("sum_16M", lambda: a.sum(), 15)
    c = a < b
    emit("where_16M", lambda: np.where(c, a, b), 15)
    x = data((4096, 4096))
    emit("sum_axis0_4096x4096", lambda: x.sum(axis=0), 15)
    emit("softmax_4096x4096", lambda: np_softmax(x), 15)
    emit("logsumexp_4096x4096", lambda: np_logsumexp(x), 15)
    w, bias = data(4096), data(4096)
    emit("rms_norm_4096x4096", lambda: x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-5) * w, 15)
    emit("layer_norm_4096x4096", lambda: np_layer_norm(x, w, bias), 15)
    emit("transpose_copy_4096x4096", lambda: np.ascontiguousarray(x.T), 15)
    if want("conv2d_nhwc_8x32x32x64_64_3x3"):
        xc, wc = data((8, 32, 32, 64)), data((64, 3, 3, 64))
        emit("conv2d_nhwc_8x32x32x64_64_3x3", lambda: np_conv2d_same(xc, wc), 15)
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
    a, b = mx.array(data((256, 256))), mx.array(data((256, 256))); mx.eval(a, b)
    emit(SERIAL_GAP, lambda: mx.eval(a @ b), 30, gap=1e-3)
    a, b = mx.array(data(N)), mx.array(data(N)); mx.eval(a, b)
    emit("add_16M", lambda: mx.eval(a + b), 15)
    emit("exp_16M", lambda: mx.eval(mx.exp(a)), 15)
    emit("sum_16M", lambda: mx.eval(a.sum()), 15)
    c = a < b; mx.eval(c)
    emit("where_16M", lambda: mx.eval(mx.where(c, a, b)), 15)
    x = mx.array(data((4096, 4096))); mx.eval(x)
    emit("sum_axis0_4096x4096", lambda: mx.eval(x.sum(axis=0)), 15)
    emit("softmax_4096x4096", lambda: mx.eval(mx.softmax(x, axis=-1)), 15)
    emit("logsumexp_4096x4096", lambda: mx.eval(mx.logsumexp(x, axis=-1)), 15)
    w, bias = mx.array(data(4096)), mx.array(data(4096)); mx.eval(w, bias)
    emit("rms_norm_4096x4096", lambda: mx.eval(mx.fast.rms_norm(x, w, 1e-5)), 15)
    emit("layer_norm_4096x4096", lambda: mx.eval(mx.fast.layer_norm(x, w, bias, 1e-5)), 15)
    emit("transpose_copy_4096x4096", lambda: mx.eval(mx.contiguous(x.T)), 15)
    xc, wc = mx.array(data((8, 32, 32, 64))), mx.array(data((64, 3, 3, 64))); mx.eval(xc, wc)
    emit("conv2d_nhwc_8x32x32x64_64_3x3", lambda: mx.eval(mx.conv2d(xc, wc, padding=1)), 15)
    def chain():
        y = mx.array(0.0)
        for _ in range(1000):
            y = y + 1.0
        mx.eval(y)
    emit("graph_1000_adds", chain, 30, per=1000)
'''


def run_jsonl(cmd, env, cpu=None):
    """Runs `cmd` (pinned to CPU `cpu` when given) and returns its JSON rows by name."""
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, preexec_fn=pin)
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


MATMUL = {"matmul_f32_256": (256, 256, 256), "matmul_f32_512": (512, 512, 512),
          "matmul_f32_1024": (1024, 1024, 1024), "matmul_f32_2048": (2048, 2048, 2048),
          "matmul_f32_128x4096x4096": (128, 4096, 4096), "gemv_f32_1x4096x4096": (1, 4096, 4096),
          "matmul_f64_1024": (1024, 1024, 1024), "matmul_bf16_1024": (1024, 1024, 1024),
          "matmul_f16_1024": (1024, 1024, 1024), "matmul_bf16_2048": (2048, 2048, 2048),
          "matmul_f16_2048": (2048, 2048, 2048), "matmul_f32_256_after_1ms_serial": (256, 256, 256)}

# Issue #5 targets: ("numpy", x): NumPy time / ours >= x; ("mlx", x): MLX time / ours >= x;
# ("gflops", x): ours >= x GFLOP/s; ("us_per_op", x): ours <= x microseconds per op.
TARGETS = {
    "matmul_f32_256": [("numpy", 1.0), ("mlx", 30.0)], "matmul_f32_512": [("numpy", 1.0), ("mlx", 30.0)],
    "matmul_f32_1024": [("numpy", 1.0), ("mlx", 30.0)], "matmul_f32_2048": [("numpy", 1.0), ("mlx", 30.0)],
    "matmul_f32_128x4096x4096": [("numpy", 1.0), ("mlx", 30.0)], "gemv_f32_1x4096x4096": [("numpy", 1.0)],
    "matmul_bf16_2048": [("gflops", 120.0)], "matmul_f16_2048": [("gflops", 120.0)],
    "add_16M": [("numpy", 1.5)], "exp_16M": [("numpy", 2.0)], "sum_16M": [("numpy", 1.0)],
    "softmax_4096x4096": [("numpy", 2.0)], "transpose_copy_4096x4096": [("numpy", 5.0)],
    "conv2d_nhwc_8x32x32x64_64_3x3": [("numpy", 1.0)], "graph_1000_adds": [("us_per_op", 1.0)],
}


def target_cell(name, o, n, m, threads):
    cells = []
    for kind, x in TARGETS.get(name, []):
        if kind == "mlx" and threads > 1:
            continue  # the MLX ratio target is stated for 1 thread
        if kind == "numpy":
            have = n / o if o and n else None
            txt = f">= {x:g}x NumPy"
        elif kind == "mlx":
            have = m / o if o and m else None
            txt = f">= {x:g}x MLX"
        elif kind == "gflops":
            mkn = MATMUL[name]
            have = 2 * mkn[0] * mkn[1] * mkn[2] / o / 1e9 if o else None
            txt = f">= {x:g} GFLOP/s"
        else:
            have = o * 1e6 if o else None
            txt = f"<= {x:g} us/op"
        if have is None:
            cells.append(f"{txt}: -")
        else:
            ok = have <= x if kind == "us_per_op" else have >= x
            cells.append(f"{txt}: {'met' if ok else 'NOT met'}")
    return "; ".join(cells) or "-"


def table(th, ours, npy, mlx):
    lines = [f"### {th} thread{'s' if th > 1 else ''}", "",
             "| workload | mlx-rs | NumPy | MLX 0.32.4 | NumPy/ours | MLX/ours | ours GFLOP/s | target |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in ours:
        o = ours[name].get("median_s")
        n = npy.get(name, {}).get("median_s")
        m = mlx.get(name, {}).get("median_s")
        rn = f"{n / o:.2f}x" if o and n else "-"
        rm = f"{m / o:.2f}x" if o and m else "-"
        gf = "-"
        if name in MATMUL and o:
            mkn = MATMUL[name]
            gf = f"{2 * mkn[0] * mkn[1] * mkn[2] / o / 1e9:.1f}"
        unit = " (per op)" if name.startswith("graph") else ""
        lines.append(f"| {name}{unit} | {fmt(o)} | {fmt(n)} | {fmt(m)} | {rn} | {rm} | {gf} | {target_cell(name, o, n, m, th)} |")
    return "\n".join(lines)


# Workloads in `bench_ops` order; each is measured on its own, ours and NumPy back to back.
NAMES = list(MATMUL) + ["add_16M", "exp_16M", "sum_16M", "where_16M", "sum_axis0_4096x4096", "softmax_4096x4096",
                        "logsumexp_4096x4096", "rms_norm_4096x4096", "layer_norm_4096x4096",
                        "conv2d_nhwc_8x32x32x64_64_3x3", "transpose_copy_4096x4096", "graph_1000_adds"]


def clean_env():
    """This process's environment without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE: some machines
    set them globally (a Zen 5 VM here had OPENBLAS_CORETYPE=Haswell, which halves OpenBLAS's
    GEMM speed there: 133 ms for 2048^3 f32 instead of 71 ms with its own SkylakeX choice)."""
    return {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}


def pinned_cpu(threads, pin):
    """The CPU a run is pinned to: `pin` for 1-thread runs (unless negative), else none."""
    return pin if threads == 1 and pin >= 0 else None


def keep_fastest(store, rows):
    for n, r in rows.items():
        if "median_s" in r and r["median_s"] < store.get(n, {}).get("median_s", float("inf")):
            store[n] = r
        store.setdefault(n, r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--rounds", type=int, default=2, help="runs of ours and NumPy per workload (smallest median kept)")
    ap.add_argument("--pin", type=int, default=0, help="CPU that every 1-thread run is pinned to (-1: none)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--json", help="also write all results to this file")
    ap.add_argument("--md", help="also write the markdown tables to this file")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "mlx", "--example", "bench_ops"], cwd=ROOT, check=True)
    base = clean_env()
    names = [n for n in NAMES if not args.only or any(o in n for o in args.only)]
    results, tables, mlx = {}, [], None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    for th in args.threads:
        env = dict(base, MLX_RS_NUM_THREADS=str(th), OPENBLAS_NUM_THREADS=str(th), OMP_NUM_THREADS=str(th))
        # Ours and NumPy alternate on each workload, so that the host's speed (which drifts by
        # 10-30% within minutes on this shared VM) is about the same for both.
        # The two vCPUs of this VM do not run at the same speed (the second one was 10-50% slower
        # in the same minute), so 1-thread runs all go to one CPU.
        cpu = pinned_cpu(th, args.pin)
        ours, npy = {}, {}
        for name in names:
            for _ in range(args.rounds):
                keep_fastest(ours, run_jsonl([BIN, name], env, cpu))
                keep_fastest(npy, run_jsonl([sys.executable, "-c", PY_WORKER, "numpy", name], env, cpu))
        if mlx is None:
            # MLX's CPU build has no thread knob: measured once, shown in every table.
            mlx = run_jsonl([sys.executable, "-c", PY_WORKER, "mlx"] + args.only, env, cpu)
        results[th] = {"ours": ours, "numpy": npy, "mlx": mlx}
        t = table(th, ours, npy, mlx)
        tables.append(t)
        print("\n" + t, flush=True)
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    pinned = f"1-thread runs pinned to CPU {args.pin}; " if args.pin >= 0 else ""
    note = (f"Medians (the smaller of {args.rounds} runs of ours and of NumPy, run back to back per workload; {pinned}"
            f"ratios > 1 mean mlx-rs is faster. 1-minute load average {load:.1f} at the start, "
            f"{load_end:.1f} at the end (above ~1.5 on this 2-core machine: measured under load).")
    print("\n" + note)
    if args.md:
        with open(args.md, "w") as f:
            f.write("\n\n".join(tables) + "\n\n" + note + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
