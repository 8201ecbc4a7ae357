"""Interleaved A/B: one or more `bench_ops` binaries against NumPy, round after round.

    python3 bench/ab.py NAMES BINARIES [--threads 1 2] [--rounds 2]

NAMES and BINARIES are comma-separated (workload names as in `bench_ops`; paths of built
`bench_ops` binaries, e.g. copies kept from before a change). Each round runs every binary and
then NumPy on the same workloads, one after the other, so that a change in the host's speed
hits all of them alike; each cell is the smallest of the per-round medians. This is how the
"A/B same run" figures in BENCHMARKS.md and commit messages were measured: on this shared VM,
separate runs minutes apart differ by more than the changes being measured.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names")
    ap.add_argument("binaries")
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pin", type=int, default=0, help="CPU for 1-thread runs (-1: none), as in compare.py")
    args = ap.parse_args()
    names, bins = args.names.split(","), args.binaries.split(",")
    for th in args.threads:
        env = dict(compare.clean_env(), MLX_RS_NUM_THREADS=str(th), OPENBLAS_NUM_THREADS=str(th), OMP_NUM_THREADS=str(th))
        best = {b: {} for b in bins + ["numpy"]}
        for _ in range(args.rounds):
            for b in best:
                cmd = [sys.executable, "-c", compare.PY_WORKER, "numpy"] + names if b == "numpy" else [b] + names
                compare.keep_fastest(best[b], compare.run_jsonl(cmd, env, compare.pinned_cpu(th, args.pin)))
        print(f"threads={th} load={os.getloadavg()[0]:.1f}")
        for n in names:
            npy = best["numpy"].get(n, {}).get("median_s")
            cells = [f"{n:28s}"]
            for b in bins:
                t = best[b].get(n, {}).get("median_s")
                if t is not None:
                    ratio = f" ({npy / t:.2f}x NumPy)" if npy else ""
                    cells.append(f"{os.path.basename(b)} {compare.fmt(t):>12s}{ratio}")
            if npy:
                cells.append(f"numpy {compare.fmt(npy):>12s}")
            print("  ".join(cells))


if __name__ == "__main__":
    main()
