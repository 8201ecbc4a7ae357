#!/usr/bin/env python3
"""Write COVERAGE.md: every public MLX function and how far the Rust port covers it.

    python3 tools/coverage.py            # runs the golden replays (mlx-core, mlx-autograd) first
    python3 tools/coverage.py --no-run   # only reads an existing target/golden-report.json

The function list comes from the installed MLX (`pip install 'mlx[cpu]==0.32.4'`):
every public callable (name not starting with "_", classes / dtypes / constants /
submodules excluded) of mlx.core, mlx.core.random, mlx.core.linalg, mlx.core.fft and
mlx.core.fast.  Each is marked

  conformance-tested  the golden report has the op with passed > 0 and failed == 0
                      (report keys of submodule ops are prefixed: "random.uniform")
  implemented         `pub fn <name>(` or `pub fn <name><` exists in crates/mlx-core/src
                      or crates/mlx-autograd/src (the transforms) or crates/mlx-io/src (load/save)
                      (see `is_implemented`; submodule functions are looked up in files
                      under a directory named like the submodule or in `<submodule>.rs`)
  missing             otherwise

The golden report (written by the Rust golden test) looks like
    {"ops": {"add": {"passed": 12, "failed": 0}, "random.uniform": {...}, ...}}
Reports `target/golden-report-*.json` (mlx-autograd's gradient/vmap replay: grad, vjp, ...)
are merged into it.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "crates", "mlx-core", "src")
# Further crates whose public functions count for mlx.core (the transforms).
EXTRA_SRC = [os.path.join(ROOT, "crates", "mlx-autograd", "src"), os.path.join(ROOT, "crates", "mlx-io", "src")]
DEFAULT_REPORT = os.path.join(ROOT, "target", "golden-report.json")
OUT = os.path.join(ROOT, "COVERAGE.md")
SUBMODULES = ["random", "linalg", "fft", "fast"]

# MLX names that are Rust keywords: the Rust function may be `r#name` or `name_`.
RUST_KEYWORDS = {"as", "async", "await", "box", "break", "const", "continue", "crate", "dyn",
                 "else", "enum", "extern", "false", "final", "fn", "for", "if", "impl", "in",
                 "let", "loop", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
                 "return", "self", "static", "struct", "super", "trait", "true", "try", "type",
                 "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield"}


# ---------------------------------------------------------------------------------------------
# Issue #3's scope: only the functions the issue names (its list, expanded: "abs ... arctanh" is
# MLX's unary math, "atleast_1d/2d/3d" three names, "random.x" the random submodule).  Names
# that do not exist in the installed MLX are dropped and listed (the issue says to).
# ---------------------------------------------------------------------------------------------
ISSUE3_SCOPE = """
arange linspace zeros ones full zeros_like ones_like full_like empty eye identity tri tril triu
meshgrid diag diagonal hamming hanning bartlett blackman
abs negative exp log log2 log10 sqrt sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh
arccosh arctanh
sigmoid erf erfinv expm1 log1p floor ceil round trunc degrees radians real imag conj nan_to_num
clip isnan isinf isfinite isposinf isneginf sign square rsqrt reciprocal logical_not
bitwise_invert
add subtract multiply divide power floor_divide remainder divmod logaddexp arctan2 maximum
minimum outer inner kron equal not_equal less less_equal greater greater_equal isclose allclose
array_equal logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor left_shift
right_shift where
sum prod mean var std max min all any argmax argmin logsumexp softmax count_nonzero median
cumsum cumprod cummax cummin logcumsumexp sort argsort partition argpartition topk searchsorted
trace
reshape flatten unflatten squeeze expand_dims transpose swapaxes moveaxis broadcast_to
broadcast_arrays concatenate stack unstack split tile repeat pad roll flip take take_along_axis
put_along_axis slice slice_update as_strided atleast_1d atleast_2d atleast_3d diff contiguous
view
matmul addmm tensordot einsum einsum_path vecdot block_masked_mm gather_mm segmented_mm conv1d
conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d conv_general convolve
hadamard_transform
random.key random.split random.seed random.uniform random.normal random.truncated_normal
random.randint random.bernoulli random.categorical random.gumbel random.laplace
random.permutation
result_type can_cast issubdtype finfo iinfo astype set_printoptions get_printoptions
printoptions
""".split()

# Why an in-scope function is not conformance-tested (shown next to it in the report).
ISSUE3_REASONS = {
    "astype": "an array method in MLX (`x.astype`); the golden family replays it as the op "
              "`astype`, but `mx.astype` the free function is listed separately",
    "set_printoptions": "printing state, no array output to compare (unit-tested in display.rs)",
    "get_printoptions": "printing state, no array output to compare (unit-tested in display.rs)",
    "printoptions": "a context manager over printing state (unit-tested in display.rs)",
    "random.seed": "global state; replayed through the draws it determines",
}
DEFAULT_REASON = {"implemented": "implemented; no golden case passes yet",
                  "missing": "not implemented"}


def issue3_reason(key, status):
    return ISSUE3_REASONS.get(key, DEFAULT_REASON.get(status, ""))


def issue3_section(report, funcs, sources):
    """(lines, covered, total) of the issue #3 scope table."""
    rows, dropped = [], []
    for key in ISSUE3_SCOPE:
        sub, _, name = key.rpartition(".")
        if name not in funcs.get(sub, []):
            dropped.append(key)
            continue
        if tested(report.get(key)):
            status = "conformance-tested"
        elif is_implemented(name, sources[sub]):
            status = "implemented"
        else:
            status = "missing"
        rows.append((key, status))
    covered = sum(1 for _, s in rows if s == "conformance-tested")
    lines = ["## Issue #3 scope", "",
             f"issue #3 scope covered: {covered}/{len(rows)}", "",
             "Only the functions named in issue #3's scope list count here (the full surface "
             "follows).", ""]
    missing = [(k, s) for k, s in rows if s != "conformance-tested"]
    if missing:
        lines += ["| function | status | reason |", "| --- | --- | --- |"]
        lines += [f"| {k} | {s} | {issue3_reason(k, s)} |" for k, s in missing]
        lines.append("")
    if dropped:
        lines += ["Names in the issue's list that are not MLX 0.32.4 functions (missing, or classes such as finfo) and are not counted: "
                  + ", ".join(dropped) + ".", ""]
    return lines, covered, len(rows), missing


def mlx_functions():
    """{module key ("" for core, "random", ...): sorted list of public function names}."""
    import mlx.core as mx

    out = {}
    for sub in [""] + SUBMODULES:
        mod = getattr(mx, sub) if sub else mx
        names = []
        for name in dir(mod):
            if name.startswith("_"):
                continue
            obj = getattr(mod, name)
            if not callable(obj) or isinstance(obj, (type, types.ModuleType)):
                continue
            names.append(name)
        out[sub] = sorted(names)
    return mx.__version__, out


def rust_sources():
    """{module key: concatenated text of the .rs files that may define its functions}."""
    files = []
    for root in [SRC] + [d for d in EXTRA_SRC if os.path.isdir(d)]:
        for dirpath, _, filenames in os.walk(root):
            for fn in filenames:
                if fn.endswith(".rs"):
                    files.append((root, os.path.join(dirpath, fn)))
    texts = {key: [] for key in [""] + SUBMODULES}
    for root, path in sorted(files):
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        parts = rel[: -len(".rs")].split("/")
        owner = next((s for s in SUBMODULES if s in parts), "")
        with open(path, encoding="utf-8", errors="replace") as f:
            texts[owner].append(f.read())
    return {key: "\n".join(v) for key, v in texts.items()}


def is_implemented(name, source_text):
    """True when `source_text` has `pub fn <name>(` or `pub fn <name><` (also `r#name` or
    `name_` when `name` is a Rust keyword).  The one place to change the matching rule."""
    alts = [re.escape(name)]
    if name in RUST_KEYWORDS:
        alts += ["r#" + re.escape(name), re.escape(name) + "_"]
    pattern = r"\bpub\s+(?:const\s+|async\s+|unsafe\s+)*fn\s+(?:%s)\s*[(<]" % "|".join(alts)
    return re.search(pattern, source_text) is not None


def run_golden_tests():
    for cmd in (["cargo", "test", "-p", "mlx-core", "--test", "golden"],
                ["cargo", "test", "-p", "mlx-autograd", "--test", "golden_grad"]):
        print("running:", " ".join(cmd), file=sys.stderr)
        try:
            rc = subprocess.call(cmd, cwd=ROOT)
        except FileNotFoundError:
            print("warning: cargo not found; using any existing report", file=sys.stderr)
            return
        if rc != 0:
            print(f"warning: golden tests exited with status {rc}; using the report as written",
                  file=sys.stderr)


def load_report(path):
    if not os.path.exists(path):
        print(f"note: {os.path.relpath(path, ROOT)} not found; nothing counts as "
              "conformance-tested", file=sys.stderr)
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f).get("ops", {})
    except (OSError, ValueError) as e:
        print(f"warning: cannot read {path}: {e}", file=sys.stderr)
        return {}


def tested(entry):
    return isinstance(entry, dict) and entry.get("passed", 0) > 0 and entry.get("failed", 0) == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-run", action="store_true",
                    help="do not run the Rust golden tests; just read the existing report")
    ap.add_argument("--report", default=DEFAULT_REPORT, help="golden report path")
    ap.add_argument("--out", default=OUT, help="output markdown path")
    args = ap.parse_args()

    if not args.no_run:
        run_golden_tests()
    report = load_report(args.report)
    target = os.path.dirname(args.report)
    if os.path.isdir(target):
        for fn in sorted(os.listdir(target)):
            if fn.startswith("golden-report-") and fn.endswith(".json"):
                for k, v in load_report(os.path.join(target, fn)).items():
                    e = report.setdefault(k, {"passed": 0, "failed": 0})
                    e["passed"] = e.get("passed", 0) + v.get("passed", 0)
                    e["failed"] = e.get("failed", 0) + v.get("failed", 0)
    version, funcs = mlx_functions()
    sources = rust_sources() if os.path.isdir(SRC) else {k: "" for k in [""] + SUBMODULES}

    rows = {}
    counts = {"conformance-tested": 0, "implemented": 0, "missing": 0}
    known_keys = set()
    for sub, names in funcs.items():
        rows[sub] = []
        for name in names:
            key = f"{sub}.{name}" if sub else name
            known_keys.add(key)
            if tested(report.get(key)):
                status = "conformance-tested"
            elif is_implemented(name, sources[sub]):
                status = "implemented"
            else:
                status = "missing"
            counts[status] += 1
            rows[sub].append((name, status))
    total = sum(counts.values())
    scope_lines, scope_cov, scope_total, scope_missing = issue3_section(report, funcs, sources)

    lines = [
        "# MLX API coverage",
        "",
    ] + scope_lines + [
        f"Generated by `python3 tools/coverage.py` against MLX {version} (installed Python package).",
        "Status: `conformance-tested` = passes the golden conformance cases "
        "(`target/golden-report.json`, passed > 0 and failed == 0); `implemented` = a "
        "`pub fn` of that name exists in `crates/mlx-core/src` (or `crates/mlx-autograd/src`) but is "
        "not conformance-tested; "
        "`missing` = neither.",
        "",
        f"covered: {counts['conformance-tested']}/{total}",
        "",
        f"- conformance-tested: {counts['conformance-tested']}",
        f"- implemented (not conformance-tested): {counts['implemented']}",
        f"- missing: {counts['missing']}",
        "",
    ]
    for sub, entries in rows.items():
        modname = f"mlx.core.{sub}" if sub else "mlx.core"
        n_ok = sum(1 for _, s in entries if s == "conformance-tested")
        n_impl = sum(1 for _, s in entries if s == "implemented")
        lines += [f"## {modname}", "",
                  f"{len(entries)} functions: {n_ok} conformance-tested, {n_impl} implemented, "
                  f"{len(entries) - n_ok - n_impl} missing.", "",
                  "| function | status |", "| --- | --- |"]
        lines += [f"| {name} | {status} |" for name, status in entries]
        lines.append("")
    extra = sorted(k for k in report if k not in known_keys)
    if extra:
        lines += ["## Golden report ops that are not MLX function names", "",
                  "| op | passed | failed |", "| --- | --- | --- |"]
        lines += [f"| {k} | {report[k].get('passed', 0)} | {report[k].get('failed', 0)} |"
                  for k in extra]
        lines.append("")

    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(f"issue #3 scope covered: {scope_cov}/{scope_total}")
    for key, status in scope_missing:
        print(f"  {key}: {status} ({issue3_reason(key, status)})")
    print(f"wrote {os.path.relpath(args.out, ROOT)}: covered: "
          f"{counts['conformance-tested']}/{total}, implemented {counts['implemented']}, "
          f"missing {counts['missing']}")


if __name__ == "__main__":
    main()
