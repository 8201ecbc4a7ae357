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

    lines = [
        "# MLX API coverage",
        "",
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
    print(f"wrote {os.path.relpath(args.out, ROOT)}: covered: "
          f"{counts['conformance-tested']}/{total}, implemented {counts['implemented']}, "
          f"missing {counts['missing']}")


if __name__ == "__main__":
    main()
