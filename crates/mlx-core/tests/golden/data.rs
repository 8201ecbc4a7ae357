//! Reading the case files, and values widened losslessly so every dtype compares in one form.

use std::collections::HashMap;
use std::path::Path;

use half::{bf16, f16};
use mlx_core::{self as mx, Dtype, Tensor, C64};
use serde_json::Value;

// ----------------------------------------------------------------------------------------
// Case files
// ----------------------------------------------------------------------------------------

/// One tensor as stored in a file (little-endian bytes).
pub struct Stored {
    st_dtype: String,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// A minimal safetensors reader: 8-byte little-endian header length, JSON header, data.
pub fn read_case_file(path: &Path) -> (Vec<Value>, HashMap<String, Stored>) {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let n = u64::from_le_bytes(raw[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&raw[8..8 + n]).expect("safetensors header is JSON");
    let data = &raw[8 + n..];
    let mut tensors = HashMap::new();
    let mut cases = vec![];
    for (name, h) in header.as_object().expect("header is an object") {
        if name == "__metadata__" {
            let s = h["cases"].as_str().expect("metadata key `cases` is a string");
            cases = serde_json::from_str::<Vec<Value>>(s).expect("`cases` is a JSON list");
            continue;
        }
        let off: Vec<usize> =
            h["data_offsets"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let shape = h["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let st_dtype = h["dtype"].as_str().unwrap().to_string();
        tensors.insert(name.clone(), Stored { st_dtype, shape, bytes: data[off[0]..off[1]].to_vec() });
    }
    (cases, tensors)
}

// ----------------------------------------------------------------------------------------
// Values: every dtype widened losslessly to one of three forms
// ----------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub enum Vals {
    Int(Vec<i128>),
    Float(Vec<f64>),
    Cplx(Vec<(f64, f64)>),
}

impl Vals {
    pub fn len(&self) -> usize {
        match self {
            Vals::Int(v) => v.len(),
            Vals::Float(v) => v.len(),
            Vals::Cplx(v) => v.len(),
        }
    }
    /// The first few values, for messages.
    pub fn preview(&self) -> String {
        const N: usize = 8;
        let more = if self.len() > N { ", ..." } else { "" };
        let body: Vec<String> = match self {
            Vals::Int(v) => v.iter().take(N).map(|x| x.to_string()).collect(),
            Vals::Float(v) => v.iter().take(N).map(|x| format!("{x:?}")).collect(),
            Vals::Cplx(v) => v.iter().take(N).map(|(r, i)| format!("{r:?}{i:+?}j")).collect(),
        };
        format!("[{}{more}]", body.join(", "))
    }
}

fn chunks<const N: usize>(b: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    b.chunks_exact(N).map(|c| c.try_into().unwrap())
}

/// Decodes stored bytes as `dtype` and logical `shape` (the case's; complex64 is stored as F32
/// with a trailing dimension of 2).
pub fn decode(s: &Stored, dtype: Dtype, shape: &[usize]) -> Result<Vals, String> {
    let mut stored_shape = shape.to_vec();
    if dtype == Dtype::Complex64 {
        stored_shape.push(2);
    }
    if s.shape != stored_shape {
        return Err(format!("stored shape {:?} does not hold {dtype}{shape:?}", s.shape));
    }
    if s.bytes.len() != shape.iter().product::<usize>() * dtype.size() {
        return Err(format!("{} bytes do not hold {dtype}{shape:?}", s.bytes.len()));
    }
    let want = match dtype {
        Dtype::Bool => "BOOL",
        Dtype::Uint8 => "U8",
        Dtype::Uint16 => "U16",
        Dtype::Uint32 => "U32",
        Dtype::Uint64 => "U64",
        Dtype::Int8 => "I8",
        Dtype::Int16 => "I16",
        Dtype::Int32 => "I32",
        Dtype::Int64 => "I64",
        Dtype::Float16 => "F16",
        Dtype::Bfloat16 => "BF16",
        Dtype::Float32 | Dtype::Complex64 => "F32",
        Dtype::Float64 => "F64",
    };
    if s.st_dtype != want {
        return Err(format!("stored dtype {} does not hold {dtype}", s.st_dtype));
    }
    let b = &s.bytes;
    Ok(match dtype {
        Dtype::Bool => Vals::Int(b.iter().map(|&x| (x != 0) as i128).collect()),
        Dtype::Uint8 => Vals::Int(b.iter().map(|&x| x as i128).collect()),
        Dtype::Int8 => Vals::Int(b.iter().map(|&x| x as i8 as i128).collect()),
        Dtype::Uint16 => Vals::Int(chunks::<2>(b).map(|c| u16::from_le_bytes(c) as i128).collect()),
        Dtype::Int16 => Vals::Int(chunks::<2>(b).map(|c| i16::from_le_bytes(c) as i128).collect()),
        Dtype::Uint32 => Vals::Int(chunks::<4>(b).map(|c| u32::from_le_bytes(c) as i128).collect()),
        Dtype::Int32 => Vals::Int(chunks::<4>(b).map(|c| i32::from_le_bytes(c) as i128).collect()),
        Dtype::Uint64 => Vals::Int(chunks::<8>(b).map(|c| u64::from_le_bytes(c) as i128).collect()),
        Dtype::Int64 => Vals::Int(chunks::<8>(b).map(|c| i64::from_le_bytes(c) as i128).collect()),
        Dtype::Float16 => Vals::Float(chunks::<2>(b).map(|c| f16::from_bits(u16::from_le_bytes(c)).to_f64()).collect()),
        Dtype::Bfloat16 => {
            Vals::Float(chunks::<2>(b).map(|c| bf16::from_bits(u16::from_le_bytes(c)).to_f64()).collect())
        }
        Dtype::Float32 => Vals::Float(chunks::<4>(b).map(|c| f32::from_le_bytes(c) as f64).collect()),
        Dtype::Float64 => Vals::Float(chunks::<8>(b).map(f64::from_le_bytes).collect()),
        Dtype::Complex64 => Vals::Cplx(
            chunks::<8>(b)
                .map(|c| {
                    (
                        f32::from_le_bytes(c[..4].try_into().unwrap()) as f64,
                        f32::from_le_bytes(c[4..].try_into().unwrap()) as f64,
                    )
                })
                .collect(),
        ),
    })
}

/// An array of `dtype` holding `v` (every conversion here is exact for decoded values).
pub fn make_tensor(v: &Vals, dtype: Dtype, shape: &[usize]) -> mx::Result<Tensor> {
    fn ints<T>(v: &Vals, f: impl Fn(i128) -> T) -> Vec<T> {
        match v {
            Vals::Int(x) => x.iter().map(|&i| f(i)).collect(),
            _ => unreachable!("integer dtype decodes to Vals::Int"),
        }
    }
    fn floats<T>(v: &Vals, f: impl Fn(f64) -> T) -> Vec<T> {
        match v {
            Vals::Float(x) => x.iter().map(|&i| f(i)).collect(),
            _ => unreachable!("float dtype decodes to Vals::Float"),
        }
    }
    match dtype {
        Dtype::Bool => Tensor::from_slice(&ints(v, |i| i != 0), shape),
        Dtype::Uint8 => Tensor::from_slice(&ints(v, |i| i as u8), shape),
        Dtype::Uint16 => Tensor::from_slice(&ints(v, |i| i as u16), shape),
        Dtype::Uint32 => Tensor::from_slice(&ints(v, |i| i as u32), shape),
        Dtype::Uint64 => Tensor::from_slice(&ints(v, |i| i as u64), shape),
        Dtype::Int8 => Tensor::from_slice(&ints(v, |i| i as i8), shape),
        Dtype::Int16 => Tensor::from_slice(&ints(v, |i| i as i16), shape),
        Dtype::Int32 => Tensor::from_slice(&ints(v, |i| i as i32), shape),
        Dtype::Int64 => Tensor::from_slice(&ints(v, |i| i as i64), shape),
        Dtype::Float16 => Tensor::from_slice(&floats(v, f16::from_f64), shape),
        Dtype::Bfloat16 => Tensor::from_slice(&floats(v, bf16::from_f64), shape),
        Dtype::Float32 => Tensor::from_slice(&floats(v, |x| x as f32), shape),
        Dtype::Float64 => Tensor::from_slice(&floats(v, |x| x), shape),
        Dtype::Complex64 => match v {
            Vals::Cplx(x) => {
                Tensor::from_slice(&x.iter().map(|&(r, i)| C64::new(r as f32, i as f32)).collect::<Vec<_>>(), shape)
            }
            _ => unreachable!("complex64 decodes to Vals::Cplx"),
        },
    }
}

/// Reads an evaluated output in its own dtype.
pub fn read_tensor(t: &Tensor) -> mx::Result<Vals> {
    macro_rules! int {
        ($t:ty) => {
            Vals::Int(t.to_vec::<$t>()?.into_iter().map(|x| x as i128).collect())
        };
    }
    Ok(match t.dtype() {
        Dtype::Bool => int!(bool),
        Dtype::Uint8 => int!(u8),
        Dtype::Uint16 => int!(u16),
        Dtype::Uint32 => int!(u32),
        Dtype::Uint64 => int!(u64),
        Dtype::Int8 => int!(i8),
        Dtype::Int16 => int!(i16),
        Dtype::Int32 => int!(i32),
        Dtype::Int64 => int!(i64),
        Dtype::Float16 => Vals::Float(t.to_vec::<f16>()?.into_iter().map(f16::to_f64).collect()),
        Dtype::Bfloat16 => Vals::Float(t.to_vec::<bf16>()?.into_iter().map(bf16::to_f64).collect()),
        Dtype::Float32 => Vals::Float(t.to_vec::<f32>()?.into_iter().map(|x| x as f64).collect()),
        Dtype::Float64 => Vals::Float(t.to_vec::<f64>()?),
        Dtype::Complex64 => Vals::Cplx(t.to_vec::<C64>()?.into_iter().map(|c| (c.re as f64, c.im as f64)).collect()),
    })
}
