//! Golden conformance replay: every case that `golden/generate.py` computed with real MLX
//! (`golden/cases/*.safetensors`) is rebuilt through mlx-core's public API and compared.
//!
//! Case format (see the generator's docstring): tensors `<id>/in<i>` and `<id>/out<j>`; the
//! metadata key "cases" holds a JSON list of `{id, op, params, inputs, outputs, error}`. An
//! input is a stored tensor (with an optional `view`: transpose / slice / broadcast_to) or a
//! weak scalar `{"scalar", "kind"}`. complex64 is stored as float32 with a trailing dim of 2.
//!
//! Rules: shapes and dtypes compare exactly; values compare with the one tolerance table
//! [`tolerance`] (NaN matches NaN, inf matches same-sign inf). An error case passes when our op
//! returns `Err` at build or eval time. Every case runs under `catch_unwind`, so a panic is a
//! failure of that case, not of the suite. Per-op counts go to `target/golden-report.json`.
//!
//! `GOLDEN_SHOW_ERRORS=1 cargo test -p mlx-core --test golden -- --nocapture` prints MLX's and
//! our message for every error case, to review that errors fail for the right reason.

#[path = "golden/data.rs"]
mod data;
#[path = "golden/replay.rs"]
mod replay;
#[path = "golden/elemops.rs"]
mod elemops;

use std::collections::{BTreeMap, HashMap};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use mlx_core::Dtype;
use serde_json::Value;

use data::{decode, read_case_file, Stored, Vals};
use replay::{dtype_of, execute, shape_of, Outcome};

/// Shown in detail in the test output; all failing ids are listed after these.
const MAX_DETAILED_FAILURES: usize = 40;
/// The replay must cover at least this many cases.
const MIN_CASES: usize = 300;

/// The one tolerance table: `(rtol, atol)` for an output of `dtype` from `op`; `None` means
/// exact (integers, bool). complex64 compares each component like float32.
///
/// One exception, where MLX trades accuracy for speed: MLX 0.32.4's CPU backend
/// evaluates `exp` for every dtype, float64 included, with its float32 Cephes polynomial
/// (`mlx/backend/cpu/simd/math.h`, `simd::exp`), so its float64 `exp` (and the ops built on it,
/// softmax, logsumexp and logcumsumexp) is only float32-accurate (relative error ~1e-7), while ours is the
/// correctly rounded f64 `exp`. Those outputs compare like float32.
fn tolerance(op: &str, dtype: Dtype) -> Option<(f64, f64)> {
    const F32: (f64, f64) = (1e-5, 1e-6);
    // quantize / dequantize replay MLX's CPU kernel op by op: packed words, scales, biases and
    // dequantized values are compared bit for bit.
    if matches!(op, "quantize" | "dequantize") {
        return None;
    }
    match dtype {
        // MLX's fused kernel dequantizes and sums in its own order (in the input dtype for 3/5/6
        // bits), we dequantize then `matmul`: the results differ by a few ulps of the dot
        // product's magnitude (sums of 128-256 terms reaching ~50 in the cases; float16 and
        // bfloat16 round each dequantized weight, and MLX's 3/5/6-bit kernel each partial sum).
        Dtype::Float32 if op == "quantized_matmul" => Some((2e-5, 1e-5)),
        Dtype::Float16 if op == "quantized_matmul" => Some((1e-2, 5e-2)),
        Dtype::Bfloat16 if op == "quantized_matmul" => Some((5e-2, 2e-1)),
        Dtype::Float64 if matches!(op, "exp" | "softmax" | "logsumexp" | "logcumsumexp") => Some(F32),
        // Same for MLX's float64 sin, cos, sigmoid (exp), erf and logaddexp (exp, log1p).
        Dtype::Float64 if matches!(op, "sin" | "cos" | "sigmoid" | "erf" | "logaddexp") => Some(F32),
        // MLX 0.32.4 convolves float64 at float32 accuracy (its f64 results are f32-rounded).
        Dtype::Float64 if op.starts_with("conv") => Some(F32),
        // linalg: MLX factors float32 in LAPACK's single precision (we in f64, rounded once) and
        // float64 with other rounding orders; results carry the matrix's condition number
        // (below 100 in the cases) times each side's epsilon.
        Dtype::Float32 | Dtype::Complex64 if op.starts_with("linalg.") => Some((2e-4, 2e-5)),
        Dtype::Float64 if op.starts_with("linalg.") => Some((1e-9, 1e-10)),
        Dtype::Float16 => Some((1e-3, 1e-3)),
        Dtype::Bfloat16 => Some((1e-2, 1e-2)),
        Dtype::Float32 | Dtype::Complex64 => Some(F32),
        Dtype::Float64 => Some((1e-12, 1e-12)),
        _ => None,
    }
}

// ----------------------------------------------------------------------------------------
// Checking
// ----------------------------------------------------------------------------------------

fn close(got: f64, want: f64, rtol: f64, atol: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= atol + rtol * want.abs()
}

/// The index of the first mismatching element, if any.
fn first_mismatch(got: &Vals, want: &Vals, op: &str, dtype: Dtype) -> Option<usize> {
    let (rtol, atol) = tolerance(op, dtype).unwrap_or((0.0, 0.0));
    match (got, want) {
        (Vals::Int(g), Vals::Int(w)) => g.iter().zip(w).position(|(g, w)| g != w),
        (Vals::Float(g), Vals::Float(w)) => g.iter().zip(w).position(|(&g, &w)| !close(g, w, rtol, atol)),
        (Vals::Cplx(g), Vals::Cplx(w)) => {
            g.iter().zip(w).position(|(g, w)| !(close(g.0, w.0, rtol, atol) && close(g.1, w.1, rtol, atol)))
        }
        _ => Some(0),
    }
}

/// `Ok(())` when the case passes, else what went wrong.
fn check(case: &Value, tensors: &HashMap<String, Stored>, outcome: Outcome) -> Result<(), String> {
    let id = case["id"].as_str().unwrap_or("?");
    let expected_error = case["error"].as_str();
    match (outcome, expected_error) {
        (Outcome::Harness(m), _) => Err(format!("harness: {m}")),
        (Outcome::OpErr(_) | Outcome::TypeRejected(_), Some(_)) => Ok(()),
        (Outcome::OpErr(e), None) => Err(format!("unexpected error: {e}")),
        (Outcome::TypeRejected(e), None) => Err(format!("case expects success but {e}")),
        (Outcome::Ok(got), Some(want)) => {
            let got: Vec<String> = got.iter().map(|(d, s, _)| format!("{d}{s:?}")).collect();
            Err(format!("expected error {want:?}, got Ok({})", got.join(", ")))
        }
        (Outcome::Ok(got), None) => {
            let outs = case["outputs"].as_array().map_or(&[][..], |v| &v[..]);
            if got.len() != outs.len() {
                return Err(format!("expected {} outputs, got {}", outs.len(), got.len()));
            }
            for (j, (spec, (gd, gs, gv))) in outs.iter().zip(&got).enumerate() {
                let wd = dtype_of(&spec["dtype"]).map_err(|_| format!("harness: bad output dtype {spec}"))?;
                let ws = shape_of(&spec["shape"]).map_err(|_| format!("harness: bad output shape {spec}"))?;
                if *gd != wd || *gs != ws {
                    return Err(format!("out{j}: expected {wd}{ws:?}, got {gd}{gs:?}"));
                }
                let name = format!("{id}/out{j}");
                let stored = tensors.get(&name).ok_or_else(|| format!("harness: missing tensor {name}"))?;
                let wv = decode(stored, wd, &ws).map_err(|e| format!("harness: {name}: {e}"))?;
                if let Some(k) = first_mismatch(gv, &wv, case["op"].as_str().unwrap_or("?"), wd) {
                    let at = |v: &Vals| match v {
                        Vals::Int(x) => x[k].to_string(),
                        Vals::Float(x) => format!("{:?}", x[k]),
                        Vals::Cplx(x) => format!("{:?}{:+?}j", x[k].0, x[k].1),
                    };
                    return Err(format!(
                        "out{j} {wd}{ws:?}: first mismatch at flat index {k}: expected {}, got {}\n      expected {}\n      got      {}",
                        at(&wv),
                        at(gv),
                        wv.preview(),
                        gv.preview()
                    ));
                }
            }
            Ok(())
        }
    }
}

// ----------------------------------------------------------------------------------------
// The replay
// ----------------------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct Count {
    passed: usize,
    failed: usize,
}

struct Failure {
    id: String,
    op: String,
    params: String,
    detail: String,
}

fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    root.canonicalize().unwrap_or(root)
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => workspace_root().join(d),
        None => workspace_root().join("target"),
    }
}

thread_local! {
    /// The location of the last panic on this thread (the quiet hook records it).
    static PANIC_AT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic payload>".into());
    format!("PANIC at {}: {msg}", PANIC_AT.with(|p| p.borrow().clone()))
}

fn write_report(ops: &BTreeMap<String, Count>) {
    let ops: serde_json::Map<String, Value> =
        ops.iter().map(|(op, c)| (op.clone(), serde_json::json!({"passed": c.passed, "failed": c.failed}))).collect();
    let dir = target_dir();
    std::fs::create_dir_all(&dir).expect("create target dir");
    let path = dir.join("golden-report.json");
    let text = serde_json::to_string_pretty(&serde_json::json!({ "ops": ops })).unwrap();
    std::fs::write(&path, text + "\n").unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("report: {}", path.display());
}

#[test]
fn golden_cases() {
    let dir = workspace_root().join("golden").join("cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden case files in {}", dir.display());

    // Panics are caught per case; keep the default hook from printing each one.
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let at = info.location().map_or_else(|| "?".to_string(), |l| l.to_string());
        PANIC_AT.with(|p| *p.borrow_mut() = at);
    }));

    // GOLDEN_SHOW_ERRORS=1: print MLX's and our message for every error case (for review).
    let show_errors = std::env::var_os("GOLDEN_SHOW_ERRORS").is_some();
    let mut ops: BTreeMap<String, Count> = BTreeMap::new();
    let mut families: Vec<(String, Count)> = vec![];
    let mut failures: Vec<Failure> = vec![];
    for path in &files {
        let family = path.file_stem().unwrap().to_string_lossy().to_string();
        let (cases, tensors) = read_case_file(path);
        let mut fam = Count::default();
        for case in &cases {
            let op = case["op"].as_str().unwrap_or("?").to_string();
            let result = match panic::catch_unwind(AssertUnwindSafe(|| execute(case, &tensors))) {
                Ok(outcome) => {
                    if let (true, Some(want)) = (show_errors, case["error"].as_str()) {
                        let ours = match &outcome {
                            Outcome::OpErr(e) | Outcome::TypeRejected(e) | Outcome::Harness(e) => e.clone(),
                            Outcome::Ok(_) => "<no error>".to_string(),
                        };
                        println!("{} {op}\n    mlx:  {want}\n    ours: {ours}", case["id"].as_str().unwrap_or("?"));
                    }
                    check(case, &tensors, outcome)
                }
                Err(payload) => Err(panic_text(&*payload)),
            };
            let c = ops.entry(op.clone()).or_default();
            match result {
                Ok(()) => {
                    c.passed += 1;
                    fam.passed += 1;
                }
                Err(detail) => {
                    c.failed += 1;
                    fam.failed += 1;
                    failures.push(Failure {
                        id: case["id"].as_str().unwrap_or("?").to_string(),
                        op,
                        params: case["params"].to_string(),
                        detail,
                    });
                }
            }
        }
        families.push((family, fam));
    }
    panic::set_hook(default_hook);

    write_report(&ops);
    let total: usize = families.iter().map(|(_, c)| c.passed + c.failed).sum();
    println!("\ngolden replay: {total} cases, {} failed", failures.len());
    println!("{:<14} {:>7} {:>7}", "family", "passed", "failed");
    for (name, c) in &families {
        println!("{name:<14} {:>7} {:>7}", c.passed, c.failed);
    }
    println!("\n{:<14} {:>7} {:>7}", "op", "passed", "failed");
    for (op, c) in &ops {
        println!("{op:<14} {:>7} {:>7}", c.passed, c.failed);
    }
    if !failures.is_empty() {
        println!("\nfirst {} failures:", failures.len().min(MAX_DETAILED_FAILURES));
        for f in failures.iter().take(MAX_DETAILED_FAILURES) {
            println!("- {} {} {}\n    {}", f.id, f.op, f.params, f.detail);
        }
        let ids: Vec<&str> = failures.iter().map(|f| f.id.as_str()).collect();
        println!("\nall failing ids ({}): {}", ids.len(), ids.join(" "));
    }
    assert!(total >= MIN_CASES, "only {total} golden cases ran (expected at least {MIN_CASES})");
    assert!(failures.is_empty(), "{} of {total} golden cases failed (see the list above)", failures.len());
}
