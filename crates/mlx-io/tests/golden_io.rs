//! Round trips with real MLX: golden/io/ holds files written by MLX 0.32.4 (and NumPy / the
//! `gguf` package), expected.json their exact contents (see golden/generate_io.py).
//!
//! - Read: every file loads with our reader, bit-exact against expected.json.
//! - Write: the expected arrays written by our writers are byte-identical to MLX's file where
//!   MLX is deterministic (npy, uncompressed npz, safetensors), and parse back to the expected
//!   contents otherwise (compressed npz, gguf). Every file we write is also left in
//!   `target/tmp/io-ours/` so `python3 golden/generate_io.py --verify target/tmp/io-ours`
//!   checks that MLX loads it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mlx_core::{Dtype, Tensor};
use mlx_io::{GgmlType, GgufFile, Loaded, MetaType, MetaValue, Metadata};
use serde_json::Value;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden/io")
}

fn expected() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(golden_dir().join("expected.json")).expect("golden/io/expected.json");
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    v["files"].as_object().expect("files").iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn spec(a: &Value) -> (Dtype, Vec<usize>, Vec<u8>) {
    let dtype = Dtype::from_name(a["dtype"].as_str().unwrap()).expect("known dtype");
    let shape = a["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    (dtype, shape, unhex(a["hex"].as_str().unwrap()))
}

fn tensor(a: &Value) -> Tensor {
    let (d, s, b) = spec(a);
    Tensor::from_bytes(&b, &s, d).unwrap()
}

fn check_array(file: &str, name: &str, got: &Tensor, want: &Value) {
    let (dtype, shape, bytes) = spec(want);
    assert_eq!(got.dtype(), dtype, "{file}:{name} dtype");
    assert_eq!(got.shape(), &shape[..], "{file}:{name} shape");
    assert_eq!(got.to_bytes().unwrap(), bytes, "{file}:{name} bytes");
}

fn meta_value(v: &Value) -> MetaValue {
    let t = v["type"].as_str().unwrap();
    let x = &v["value"];
    let scalar = |t: &str, x: &Value| match t {
        "U8" => MetaValue::U8(x.as_u64().unwrap() as u8),
        "I8" => MetaValue::I8(x.as_i64().unwrap() as i8),
        "U16" => MetaValue::U16(x.as_u64().unwrap() as u16),
        "I16" => MetaValue::I16(x.as_i64().unwrap() as i16),
        "U32" => MetaValue::U32(x.as_u64().unwrap() as u32),
        "I32" => MetaValue::I32(x.as_i64().unwrap() as i32),
        "F32" => MetaValue::F32(x.as_f64().unwrap() as f32),
        "Bool" => MetaValue::Bool(x.as_bool().unwrap()),
        "String" => MetaValue::String(x.as_str().unwrap().to_string()),
        "U64" => MetaValue::U64(x.as_u64().unwrap()),
        "I64" => MetaValue::I64(x.as_i64().unwrap()),
        "F64" => MetaValue::F64(x.as_f64().unwrap()),
        other => panic!("type {other}"),
    };
    match t.strip_prefix("Array:") {
        Some(et) => {
            let elem = match et {
                "String" => MetaType::String,
                "I32" => MetaType::I32,
                "F32" => MetaType::F32,
                other => panic!("array of {other}"),
            };
            MetaValue::Array { elem, values: x.as_array().unwrap().iter().map(|e| scalar(et, e)).collect() }
        }
        None => scalar(t, x),
    }
}

fn expected_meta(e: &Value) -> Metadata {
    e["metadata"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), meta_value(v))).collect()
}

#[test]
fn mlx_written_files_load_bit_exact() {
    let files = expected();
    assert!(files.len() >= 29);
    for (rel, e) in &files {
        let path = golden_dir().join(rel);
        let loaded = mlx_io::load(&path).unwrap_or_else(|err| panic!("{rel}: {err}"));
        let want = e["arrays"].as_object().unwrap();
        match &loaded {
            Loaded::Array(a) => check_array(rel, "arr_0", a, &want["arr_0"]),
            Loaded::Arrays { arrays, metadata } => {
                assert_eq!(arrays.len(), want.len(), "{rel}: array count");
                for (name, w) in want {
                    check_array(rel, name, &arrays[name], w);
                }
                assert_eq!(metadata, &expected_meta(e), "{rel}: metadata");
            }
        }
    }
}

#[test]
fn quantized_gguf_raw_blocks_and_types() {
    let files = expected();
    let e = &files["gguf/quantized.gguf"];
    let f = GgufFile::open(golden_dir().join("gguf/quantized.gguf")).unwrap();
    assert_eq!(f.version, 3);
    let mut kinds = vec![];
    for t in &f.tensors {
        let w = &e["arrays"][&t.name];
        if let Some(raw) = w.get("raw_hex") {
            assert_eq!(f.raw_data(t).unwrap(), &unhex(raw.as_str().unwrap())[..], "{}", t.name);
            kinds.push(t.ggml_type);
        }
    }
    for k in [GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0] {
        assert!(kinds.contains(&k), "{k:?} covered");
    }
}

fn ours_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("io-ours");
    for sub in ["npy", "npz", "safetensors", "gguf"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    d
}

#[test]
fn our_files_match_mlx_bytes_or_contents() {
    let files = expected();
    let out = ours_dir();
    let mut byte_identical = 0;
    for (rel, e) in &files {
        let mlx_bytes = std::fs::read(golden_dir().join(rel)).unwrap();
        let must_match_bytes = e.get("write").and_then(Value::as_bool).unwrap_or(true);
        let arrays = e["arrays"].as_object().unwrap();
        let order: Vec<String> = match e["order"].as_array() {
            Some(o) if !o.is_empty() => o.iter().map(|s| s.as_str().unwrap().to_string()).collect(),
            _ => arrays.keys().cloned().collect(),
        };
        let named: Vec<(String, Tensor)> = order.iter().map(|n| (n.clone(), tensor(&arrays[n]))).collect();
        let ours = match e["format"].as_str().unwrap() {
            "npy" => mlx_io::npy::to_bytes(&named[0].1).unwrap(),
            "npz" => mlx_io::npz::to_bytes(named.iter().map(|(k, t)| (k, t)), rel.contains("compressed")).unwrap(),
            "safetensors" => {
                let meta: BTreeMap<String, String> =
                    expected_meta(e).into_iter().map(|(k, v)| (k, v.as_str().unwrap().to_string())).collect();
                mlx_io::safetensors::to_bytes(named.iter().map(|(k, t)| (k, t)), &meta).unwrap()
            }
            "gguf" => {
                if rel.contains("quantized") {
                    continue; // we do not write quantized blocks
                }
                mlx_io::gguf::to_bytes(named.iter().map(|(k, t)| (k, t)), &expected_meta(e)).unwrap()
            }
            other => panic!("{other}"),
        };
        std::fs::write(out.join(rel), &ours).unwrap();
        if must_match_bytes && e["format"] != "gguf" {
            if ours != mlx_bytes {
                let i = ours.iter().zip(&mlx_bytes).position(|(a, b)| a != b).unwrap_or(ours.len().min(mlx_bytes.len()));
                let show = |b: &[u8]| String::from_utf8_lossy(&b[i.saturating_sub(40)..(i + 60).min(b.len())]).into_owned();
                panic!("{rel}: our bytes differ from MLX's at {i} (lengths {} vs {})\nours {}\nmlx  {}", ours.len(), mlx_bytes.len(), show(&ours), show(&mlx_bytes));
            }
            byte_identical += 1;
        }
        // Whatever the bytes, ours parse back to the expected contents.
        let back = mlx_io::load(out.join(rel)).unwrap();
        for (name, w) in arrays {
            let arrays_back = back.clone().into_arrays();
            check_array(rel, name, &arrays_back[name], w);
        }
        if e["format"] == "gguf" || e["format"] == "safetensors" {
            assert_eq!(back.metadata(), expected_meta(e), "{rel}: metadata");
        }
    }
    assert!(byte_identical >= 21, "{byte_identical} byte-identical files");
}

#[test]
fn load_and_save_entry_points() {
    let dir = ours_dir().join("entry");
    std::fs::create_dir_all(&dir).unwrap();
    let a = Tensor::from_slice(&[1.0f32, 2.0, 3.0], &[3]).unwrap();
    mlx_io::save(dir.join("x"), &a).unwrap(); // mx.save appends .npy
    assert_eq!(mlx_io::load(dir.join("x.npy")).unwrap().into_array().unwrap().to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0]);
    let mut meta = Metadata::new();
    meta.insert("k".into(), MetaValue::String("v".into()));
    for ext in ["safetensors", "gguf"] {
        let p = dir.join(format!("m.{ext}"));
        mlx_io::save_arrays(&p, [("a", &a)], &meta).unwrap();
        let l = mlx_io::load(&p).unwrap();
        assert_eq!(l.metadata(), meta);
        assert_eq!(l.into_arrays()["a"].to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0]);
    }
    mlx_io::save_arrays(dir.join("m.npz"), [("a", &a)], &Metadata::new()).unwrap();
    assert!(mlx_io::save_arrays(dir.join("m.npz"), [("a", &a)], &meta).is_err());
    assert!(mlx_io::save_arrays(dir.join("m.txt"), [("a", &a)], &meta).unwrap_err().to_string().starts_with("[save]"));
    let e = mlx_io::load(dir.join("nothing.safetensors")).unwrap_err().to_string();
    assert!(e.starts_with("[load_safetensors] Failed to open"), "{e}");
    assert!(mlx_io::load(dir.join("m.bin")).unwrap_err().to_string().starts_with("[load] Unknown file extension"));
    // Transposed (non-contiguous) input is written in C order.
    let t = mlx_core::transpose(&Tensor::from_slice(&[1i32, 2, 3, 4, 5, 6], &[2, 3]).unwrap(), mlx_core::Axes::All).unwrap();
    let back = mlx_io::npy::from_bytes(&mlx_io::npy::to_bytes(&t).unwrap()).unwrap();
    assert_eq!(back.to_vec::<i32>().unwrap(), vec![1, 4, 2, 5, 3, 6]);
}

#[test]
fn safetensors_loads_zero_copy_from_the_mapping() {
    // 8-byte header length + a header padded so the data starts 8-aligned: the arrays must view
    // the mapped file (no new host memory for their data).
    let a = Tensor::from_slice(&vec![1.5f32; 1 << 16], &[1 << 16]).unwrap();
    let bytes = ["a", "ab", "abc", "abcd"]
        .iter()
        .map(|name| mlx_io::safetensors::to_bytes([(*name, &a)], &BTreeMap::new()).unwrap())
        .find(|b| (8 + u64::from_le_bytes(b[..8].try_into().unwrap())) % 4 == 0)
        .unwrap();
    let p = ours_dir().join("zero_copy.safetensors");
    std::fs::write(&p, bytes).unwrap();
    let before = mlx_core::active_memory();
    let (arrays, _) = mlx_io::safetensors::load_safetensors(&p).unwrap();
    let grew = mlx_core::active_memory().saturating_sub(before);
    let v = arrays.values().next().unwrap().to_vec::<f32>().unwrap();
    assert!(v.iter().all(|&x| x == 1.5));
    // Other tests run in parallel and allocate; a copy would be 256 KiB at once.
    assert!(grew < (1 << 18), "load allocated {grew} bytes");
}
