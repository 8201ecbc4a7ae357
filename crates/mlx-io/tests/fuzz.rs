//! Property tests standing in for fuzzing (`fuzz/` has cargo-fuzz targets for longer runs):
//! every parser is fed random bytes and mutated valid files (bit flips, truncations, spliced
//! random integers at random offsets) and must return `Ok` or an `[op]` error, never panic,
//! hang or read out of bounds. Arrays that do load are read back, so their data is touched.

use std::path::Path;

use proptest::prelude::*;

fn golden(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../golden/io").join(rel)).unwrap()
}

fn touch(arrays: impl IntoIterator<Item = mlx_core::Tensor>) {
    for a in arrays {
        let _ = a.to_bytes();
    }
}

fn check_err(e: mlx_core::Error) {
    let s = e.to_string();
    assert!(s.starts_with('[') && s.contains("] "), "error without [op]: {s}");
}

/// Runs every parser on `bytes`.
fn all_parsers(bytes: &[u8]) {
    match mlx_io::safetensors::load_safetensors_bytes(bytes) {
        Ok((a, _)) => touch(a.into_values()),
        Err(e) => check_err(e),
    }
    match mlx_io::npy::from_bytes(bytes) {
        Ok(a) => touch([a]),
        Err(e) => check_err(e),
    }
    match mlx_io::npz::from_bytes(bytes) {
        Ok(a) => touch(a.into_values()),
        Err(e) => check_err(e),
    }
    match mlx_io::GgufFile::from_bytes(bytes) {
        Ok(f) => {
            for t in &f.tensors {
                let _ = f.raw_data(t);
                match f.tensor(t) {
                    Ok(a) => touch([a]),
                    Err(e) => check_err(e),
                }
            }
        }
        Err(e) => check_err(e),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Splice(usize, u64),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop_oneof![Just(0u64), Just(u64::MAX), Just(1 << 31), Just(1 << 63), any::<u64>(), 0u64..256])
            .prop_map(|(i, v)| Mutation::Splice(i, v)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, v)| Mutation::Insert(i, v)),
    ]
}

fn apply(mut b: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if b.is_empty() {
            break;
        }
        let n = b.len();
        match m {
            Mutation::Flip(i, bit) => b[i % n] ^= 1 << bit,
            Mutation::Truncate(i) => b.truncate(i % n),
            Mutation::Splice(i, v) => {
                let i = i % n;
                let k = (n - i).min(8);
                b[i..i + k].copy_from_slice(&v.to_le_bytes()[..k]);
            }
            Mutation::Insert(i, v) => {
                let i = i % n;
                b.splice(i..i, v.iter().copied());
            }
        }
    }
    b
}

const SEEDS: &[&str] = &[
    "safetensors/all_dtypes.safetensors",
    "safetensors/no_metadata.safetensors",
    "npy/float32.npy",
    "npy/np_bigendian_fortran_i8.npy",
    "npy/np_v2.npy",
    "npz/savez.npz",
    "npz/savez_compressed.npz",
    "gguf/mlx.gguf",
    "gguf/quantized.gguf",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(&bytes);
    }

    #[test]
    fn random_bytes_after_valid_magic_never_panic(kind in 0usize..4, tail in proptest::collection::vec(any::<u8>(), 0..256)) {
        let head: &[u8] = [&b"\x93NUMPY\x01\x00"[..], b"GGUF\x03\x00\x00\x00", b"PK\x03\x04", b"\x40\x00\x00\x00\x00\x00\x00\x00{"][kind];
        let mut b = head.to_vec();
        b.extend(tail);
        all_parsers(&b);
    }

    #[test]
    fn mutated_golden_files_never_panic(seed in 0..SEEDS.len(), muts in proptest::collection::vec(mutation(), 1..4)) {
        all_parsers(&apply(golden(SEEDS[seed]), &muts));
    }
}

#[test]
fn every_truncation_of_every_seed_is_handled() {
    for s in SEEDS {
        let b = golden(s);
        for n in 0..b.len() {
            all_parsers(&b[..n]);
        }
    }
}

#[test]
fn every_single_bit_flip_of_every_seed_is_handled() {
    for s in SEEDS {
        let b = golden(s);
        for i in 0..b.len() {
            for bit in 0..8 {
                let mut m = b.clone();
                m[i] ^= 1 << bit;
                all_parsers(&m);
            }
        }
    }
}
