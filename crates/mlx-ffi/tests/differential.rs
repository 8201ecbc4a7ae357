//! Differential testing: random well-typed graphs from the op registry, evaluated on mlx-cpu
//! and on the real MLX (mlx-ffi), must agree within the per-dtype tolerance table (ints and
//! bools exact).
//!
//! A graph is a [`GraphDesc`]: a base shape, leaves (data, `full`, `arange`) whose shapes
//! broadcast against it, and steps, each an op of earlier values seen through a view
//! (transpose, slice with any step, broadcast, reshape, expand_dims). Steps the API rejects
//! (incompatible shapes, bool negation, ...) are skipped, so every graph is well typed.
//!
//! Each graph runs twice:
//! - lockstep: every step is evaluated on both backends from the same inputs (the CPU values of
//!   the values it reads, placed on the FFI device, then viewed), so float rounding can not
//!   compound across steps and each mismatch names its op;
//! - end to end: the whole graph is built and evaluated on the FFI device, and compared with
//!   the CPU graph exactly when every value in it is an integer or bool.
//!
//! Failures shrink (proptest) to a minimal graph description. `MLX_DIFF_CASES` sets the number
//! of graphs (default 2000), `MLX_DIFF_SEED` the seed they are drawn from (default 0, so that
//! CI runs the same graphs every time; `random` draws a fresh seed, printed with the results).

#![cfg(feature = "ffi")]

mod common;

use mlx_core::{self as mx, Device, Dtype, Scalar, Tensor};
use mlx_ops::{ArgReduceOp, BinaryOp, ReduceOp, UnaryOp};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// How many comparisons each op got (printed at the end, to show the run did real work).
static STATS: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

fn count(key: &str) {
    *STATS.lock().unwrap_or_else(|e| e.into_inner()).entry(key.to_string()).or_default() += 1;
}

fn op_key(op: &OpDesc) -> String {
    match op {
        OpDesc::Unary(u) => u.name().to_string(),
        OpDesc::Binary(b) => b.name().to_string(),
        OpDesc::Reduce(r, ..) => r.name().to_string(),
        OpDesc::Arg(a, ..) => a.name().to_string(),
        other => format!("{other:?}").split('(').next().unwrap_or("?").to_lowercase(),
    }
}

#[derive(Debug, Clone)]
enum LeafKind {
    Data(u64),
    Full(Scalar),
    Arange { start: i8, step: i8 },
}

#[derive(Debug, Clone)]
struct LeafDesc {
    kind: LeafKind,
    dtype: Dtype,
    /// Bit i set: base axis i has size 1 in this leaf.
    ones: u8,
    /// Leading base axes left out.
    drop: usize,
}

#[derive(Debug, Clone)]
enum ViewDesc {
    Id,
    Transpose(u64),
    Slice(u64),
    Broadcast(u64),
    Reshape(u64),
    ExpandDims(u64),
}

#[derive(Debug, Clone)]
enum OpDesc {
    Unary(UnaryOp),
    Binary(BinaryOp),
    Where,
    AsType(Dtype),
    Reduce(ReduceOp, u8, bool),
    Mean(u8, bool),
    Arg(ArgReduceOp, u8, bool),
    Matmul,
    ConcatSelf(u8),
    Contiguous,
    Softmax(u8),
    Logsumexp(u8, bool),
}

#[derive(Debug, Clone)]
struct StepDesc {
    op: OpDesc,
    args: Vec<(usize, ViewDesc)>,
}

#[derive(Debug, Clone)]
struct GraphDesc {
    base: Vec<usize>,
    leaves: Vec<LeafDesc>,
    steps: Vec<StepDesc>,
}

fn dtype() -> impl Strategy<Value = Dtype> {
    prop_oneof![
        4 => Just(Dtype::Float32),
        1 => proptest::sample::select(Dtype::ALL.to_vec()),
    ]
}

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        any::<bool>().prop_map(Scalar::Bool),
        (-9i64..10).prop_map(Scalar::Int),
        (-40i32..40).prop_map(|v| Scalar::Float(v as f64 / 8.0)),
        ((-8i32..8), (-8i32..8)).prop_map(|(a, b)| Scalar::Complex(a as f32 / 4.0, b as f32 / 4.0)),
    ]
}

fn leaf() -> impl Strategy<Value = LeafDesc> {
    let kind = prop_oneof![
        6 => any::<u64>().prop_map(LeafKind::Data),
        1 => scalar().prop_map(LeafKind::Full),
        1 => (-5i8..6, prop::sample::select(vec![-2i8, -1, 1, 2, 3])).prop_map(|(start, step)| LeafKind::Arange { start, step }),
    ];
    (kind, dtype(), any::<u8>(), prop_oneof![3 => Just(0usize), 1 => 1usize..3])
        .prop_map(|(kind, dtype, ones, drop)| LeafDesc { kind, dtype, ones, drop })
}

fn view() -> impl Strategy<Value = ViewDesc> {
    prop_oneof![
        6 => Just(ViewDesc::Id),
        2 => any::<u64>().prop_map(ViewDesc::Transpose),
        2 => any::<u64>().prop_map(ViewDesc::Slice),
        1 => any::<u64>().prop_map(ViewDesc::Broadcast),
        1 => any::<u64>().prop_map(ViewDesc::Reshape),
        1 => any::<u64>().prop_map(ViewDesc::ExpandDims),
    ]
}

/// The unary ops random graphs use: the rest (erfinv, round, sign, ...) are covered by
/// `tests/backend.rs` on chosen inputs; here every dtype and inf/NaN/-0 reach them.
const UNARY_OPS: [UnaryOp; 30] = [
    UnaryOp::Tan,
    UnaryOp::ArcCosh,
    UnaryOp::ArcTanh,
    UnaryOp::Erf,
    UnaryOp::ErfInv,
    UnaryOp::BitwiseInvert,
    UnaryOp::Sinh,
    UnaryOp::Cosh,
    UnaryOp::ArcTan,
    UnaryOp::ArcSin,
    UnaryOp::ArcCos,
    UnaryOp::ArcSinh,
    UnaryOp::Sigmoid,
    UnaryOp::Expm1,
    UnaryOp::Log1p,
    UnaryOp::Log2,
    UnaryOp::Log10,
    UnaryOp::Round,
    UnaryOp::Sign,
    UnaryOp::Abs,
    UnaryOp::Negative,
    UnaryOp::Exp,
    UnaryOp::Log,
    UnaryOp::Sqrt,
    UnaryOp::Sin,
    UnaryOp::Cos,
    UnaryOp::Tanh,
    UnaryOp::Floor,
    UnaryOp::Ceil,
    UnaryOp::LogicalNot,
];

/// The binary ops random graphs use. Integer floor_divide/remainder by zero and out-of-range
/// shifts are C++ UB in MLX (DIFFERENCES.md), so those stay out; power runs on real floats only
/// (see `apply_step`).
const BINARY_OPS: [BinaryOp; 20] = [
    BinaryOp::FloorDivide,
    BinaryOp::Remainder,
    BinaryOp::LogAddExp,
    BinaryOp::ArcTan2,
    BinaryOp::BitwiseAnd,
    BinaryOp::BitwiseOr,
    BinaryOp::BitwiseXor,
    BinaryOp::Add,
    BinaryOp::Subtract,
    BinaryOp::Multiply,
    BinaryOp::Divide,
    BinaryOp::Maximum,
    BinaryOp::Minimum,
    BinaryOp::Equal,
    BinaryOp::NotEqual,
    BinaryOp::Less,
    BinaryOp::LessEqual,
    BinaryOp::Greater,
    BinaryOp::GreaterEqual,
    BinaryOp::Power,
];

fn op() -> impl Strategy<Value = OpDesc> {
    prop_oneof![
        4 => proptest::sample::select(UNARY_OPS.to_vec()).prop_map(OpDesc::Unary),
        6 => proptest::sample::select(BINARY_OPS.to_vec()).prop_map(OpDesc::Binary),
        1 => Just(OpDesc::Where),
        2 => dtype().prop_map(OpDesc::AsType),
        3 => (proptest::sample::select(ReduceOp::ALL.to_vec()), any::<u8>(), any::<bool>())
            .prop_map(|(o, m, k)| OpDesc::Reduce(o, m, k)),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(m, k)| OpDesc::Mean(m, k)),
        2 => (prop_oneof![Just(ArgReduceOp::ArgMax), Just(ArgReduceOp::ArgMin)], any::<u8>(), any::<bool>())
            .prop_map(|(o, a, k)| OpDesc::Arg(o, a, k)),
        2 => Just(OpDesc::Matmul),
        1 => any::<u8>().prop_map(OpDesc::ConcatSelf),
        1 => Just(OpDesc::Contiguous),
        1 => any::<u8>().prop_map(OpDesc::Softmax),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(a, k)| OpDesc::Logsumexp(a, k)),
    ]
}

fn step() -> impl Strategy<Value = StepDesc> {
    (op(), prop::collection::vec((0usize..16, view()), 3)).prop_map(|(op, args)| StepDesc { op, args })
}

fn graph() -> impl Strategy<Value = GraphDesc> {
    let base = prop::collection::vec(prop_oneof![12 => 1usize..5, 1 => Just(0usize)], 0..4);
    (base, prop::collection::vec(leaf(), 1..4), prop::collection::vec(step(), 1..7))
        .prop_map(|(base, leaves, steps)| GraphDesc { base, leaves, steps })
}

/// splitmix64: the data of a leaf from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn float(&mut self) -> f64 {
        let r = self.next();
        if r % 100 < 8 {
            [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e-3, 100.0, -0.5][(r / 100 % 8) as usize]
        } else {
            ((r >> 8) % 65) as f64 / 8.0 - 4.0
        }
    }
}

fn leaf_bytes(seed: u64, n: usize, dtype: Dtype) -> Vec<u8> {
    let mut r = Rng(seed);
    let mut out = Vec::with_capacity(n * dtype.size());
    for _ in 0..n {
        let u = r.next();
        match dtype {
            Dtype::Bool => out.push((u & 1) as u8),
            Dtype::Uint8 => out.push((u % 10) as u8),
            Dtype::Uint16 => out.extend(((u % 10) as u16).to_le_bytes()),
            Dtype::Uint32 => out.extend(((u % 10) as u32).to_le_bytes()),
            Dtype::Uint64 => out.extend((u % 10).to_le_bytes()),
            Dtype::Int8 => out.extend(((u % 17) as i8 - 8).to_le_bytes()),
            Dtype::Int16 => out.extend(((u % 17) as i16 - 8).to_le_bytes()),
            Dtype::Int32 => out.extend(((u % 17) as i32 - 8).to_le_bytes()),
            Dtype::Int64 => out.extend(((u % 17) as i64 - 8).to_le_bytes()),
            Dtype::Float16 => out.extend(half::f16::from_f64(r.float()).to_le_bytes()),
            Dtype::Bfloat16 => out.extend(half::bf16::from_f64(r.float()).to_le_bytes()),
            Dtype::Float32 => out.extend((r.float() as f32).to_le_bytes()),
            Dtype::Float64 => out.extend(r.float().to_le_bytes()),
            Dtype::Complex64 => {
                out.extend((r.float() as f32).to_le_bytes());
                out.extend((r.float() as f32).to_le_bytes());
            }
        }
    }
    out
}

fn leaf_shape(base: &[usize], l: &LeafDesc) -> Vec<usize> {
    let drop = l.drop.min(base.len());
    base[drop..].iter().enumerate().map(|(i, &d)| if l.ones >> (i + drop) & 1 == 1 { 1 } else { d }).collect()
}

fn build_leaf(base: &[usize], l: &LeafDesc) -> mx::Result<Tensor> {
    let shape = leaf_shape(base, l);
    match &l.kind {
        LeafKind::Data(seed) => Tensor::from_bytes(&leaf_bytes(*seed, shape.iter().product(), l.dtype), &shape, l.dtype),
        LeafKind::Full(v) => {
            // A negative float into an unsigned dtype is C++ undefined behaviour in MLX
            // (DIFFERENCES.md: float -> integer casts), so the generator keeps clear of it.
            let v = match *v {
                Scalar::Float(f) if l.dtype.is_unsigned() => Scalar::Float(f.abs()),
                Scalar::Complex(re, im) if l.dtype.is_unsigned() => Scalar::Complex(re.abs(), im),
                v => v,
            };
            mx::full(&shape, v, l.dtype)
        }
        LeafKind::Arange { start, step } => {
            let n = shape.last().copied().unwrap_or(3) as i64;
            let (start, step) = (*start as i64, *step as i64);
            mx::arange(start, start + n * step, step, l.dtype)
        }
    }
}

fn permutation(n: usize, mut seed: u64) -> Vec<i32> {
    let mut p: Vec<i32> = (0..n as i32).collect();
    for i in (1..n).rev() {
        let j = (seed % (i as u64 + 1)) as usize;
        seed /= i as u64 + 1;
        p.swap(i, j);
    }
    p
}

fn apply_view(x: &Tensor, v: &ViewDesc) -> mx::Result<Tensor> {
    let n = x.ndim();
    match *v {
        ViewDesc::Id => Ok(x.clone()),
        ViewDesc::Transpose(s) => mx::transpose(x, permutation(n, s)),
        ViewDesc::Slice(mut s) => {
            let (mut start, mut stop, mut step) = (vec![], vec![], vec![]);
            for &d in x.shape() {
                let d = d as i64;
                let k = [1i64, 2, -1, -2, 3][(s % 5) as usize];
                s /= 5;
                let a = (s % (2 * d as u64 + 3)) as i64 - d - 1;
                s /= 2 * d as u64 + 3;
                let b = (s % (2 * d as u64 + 3)) as i64 - d - 1;
                s /= 2 * d as u64 + 3;
                // Mostly the natural full range in the step's direction.
                let full = s % 3 == 0;
                s /= 3;
                let (a, b) = if full { if k > 0 { (0, d) } else { (-1, -d - 1) } } else { (a, b) };
                start.push(a);
                stop.push(b);
                step.push(k);
            }
            mx::slice(x, &start, &stop, &step)
        }
        ViewDesc::Broadcast(s) => {
            let mut shape: Vec<usize> = if s % 2 == 0 { vec![] } else { vec![(s / 2 % 3) as usize + 1] };
            shape.extend(x.shape().iter().enumerate().map(|(i, &d)| if d == 1 && (s >> (i + 3)) & 1 == 1 { 3 } else { d }));
            mx::broadcast_to(x, &shape)
        }
        ViewDesc::Reshape(s) => {
            let size = x.size() as i32;
            let shape: Vec<i32> = match s % 4 {
                0 => vec![size],
                1 => vec![1, -1],
                2 if n >= 2 => {
                    let mut sh: Vec<i32> = x.shape().iter().map(|&d| d as i32).collect();
                    let last = sh.pop().unwrap_or(1);
                    let l = sh.len() - 1;
                    sh[l] *= last;
                    sh
                }
                _ => {
                    let mut sh: Vec<i32> = x.shape().iter().map(|&d| d as i32).collect();
                    match sh.last().copied() {
                        Some(l) if l % 2 == 0 => {
                            let k = sh.len() - 1;
                            sh[k] = 2;
                            sh.push(l / 2);
                        }
                        _ => sh.insert(0, 1),
                    }
                    sh
                }
            };
            mx::reshape(x, &shape)
        }
        ViewDesc::ExpandDims(s) => mx::expand_dims(x, (s % (n as u64 + 1)) as i32),
    }
}

fn axes(mask: u8, n: usize) -> Option<Vec<i32>> {
    if mask & 1 == 1 || n == 0 {
        return None;
    }
    let v: Vec<i32> = (0..n as i32).filter(|&i| mask >> (i + 1) & 1 == 1).collect();
    if v.is_empty() {
        None
    } else {
        Some(v)
    }
}

fn axis(a: u8, n: usize) -> i32 {
    if n == 0 {
        0
    } else {
        (a as usize % n) as i32 - if a & 0x80 != 0 { n as i32 } else { 0 }
    }
}

fn unary(op: UnaryOp, x: &Tensor) -> mx::Result<Tensor> {
    match op {
        UnaryOp::Abs => mx::abs(x),
        UnaryOp::Negative => mx::negative(x),
        UnaryOp::Exp => mx::exp(x),
        UnaryOp::Log => mx::log(x),
        UnaryOp::Sqrt => mx::sqrt(x),
        UnaryOp::Sin => mx::sin(x),
        UnaryOp::Cos => mx::cos(x),
        UnaryOp::Tan => mx::tan(x),
        UnaryOp::ArcSin => mx::arcsin(x),
        UnaryOp::ArcCos => mx::arccos(x),
        UnaryOp::ArcTan => mx::arctan(x),
        UnaryOp::Sinh => mx::sinh(x),
        UnaryOp::Cosh => mx::cosh(x),
        UnaryOp::Tanh => mx::tanh(x),
        UnaryOp::ArcSinh => mx::arcsinh(x),
        UnaryOp::ArcCosh => mx::arccosh(x),
        UnaryOp::ArcTanh => mx::arctanh(x),
        UnaryOp::Sigmoid => mx::sigmoid(x),
        UnaryOp::Erf => mx::erf(x),
        UnaryOp::ErfInv => mx::erfinv(x),
        UnaryOp::Expm1 => mx::expm1(x),
        UnaryOp::Log1p => mx::log1p(x),
        UnaryOp::Log2 => mx::log2(x),
        UnaryOp::Log10 => mx::log10(x),
        UnaryOp::Floor => mx::floor(x),
        UnaryOp::Ceil => mx::ceil(x),
        UnaryOp::Round => mx::round(x, 0),
        UnaryOp::Sign => mx::sign(x),
        UnaryOp::Real => mx::real(x),
        UnaryOp::Imag => mx::imag(x),
        UnaryOp::Conjugate => mx::conjugate(x),
        UnaryOp::LogicalNot => mx::logical_not(x),
        UnaryOp::BitwiseInvert => mx::bitwise_invert(x),
    }
}

fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> mx::Result<Tensor> {
    match op {
        BinaryOp::Add => mx::add(a, b),
        BinaryOp::Subtract => mx::subtract(a, b),
        BinaryOp::Multiply => mx::multiply(a, b),
        BinaryOp::Divide => mx::divide(a, b),
        BinaryOp::Maximum => mx::maximum(a, b),
        BinaryOp::Minimum => mx::minimum(a, b),
        BinaryOp::Equal => mx::equal(a, b),
        BinaryOp::NotEqual => mx::not_equal(a, b),
        BinaryOp::Less => mx::less(a, b),
        BinaryOp::LessEqual => mx::less_equal(a, b),
        BinaryOp::Greater => mx::greater(a, b),
        BinaryOp::GreaterEqual => mx::greater_equal(a, b),
        BinaryOp::Power => mx::power(a, b),
        BinaryOp::FloorDivide => mx::floor_divide(a, b),
        BinaryOp::Remainder => mx::remainder(a, b),
        BinaryOp::LogAddExp => mx::logaddexp(a, b),
        BinaryOp::ArcTan2 => mx::arctan2(a, b),
        BinaryOp::BitwiseAnd => mx::bitwise_and(a, b),
        BinaryOp::BitwiseOr => mx::bitwise_or(a, b),
        BinaryOp::BitwiseXor => mx::bitwise_xor(a, b),
        BinaryOp::LeftShift => mx::left_shift(a, b),
        BinaryOp::RightShift => mx::right_shift(a, b),
    }
}

/// The step's inputs (after views) and its result, or `None` when the API rejects it.
fn apply_step(s: &StepDesc, vals: &[Tensor]) -> Option<(Vec<Tensor>, Tensor)> {
    let arg = |k: usize| -> Option<Tensor> {
        let (i, v) = &s.args[k];
        apply_view(&vals[i % vals.len()], v).ok()
    };
    let x = arg(0)?;
    let n = x.ndim();
    let (inputs, out) = match &s.op {
        OpDesc::Unary(u) => (vec![x.clone()], unary(*u, &x)),
        OpDesc::Binary(b) => {
            let y = arg(1)?;
            // power: real floats only (integer powers with negative exponents and complex
            // powers are left to the golden tests).
            let float_only = matches!(b, BinaryOp::Power | BinaryOp::FloorDivide | BinaryOp::Remainder);
            if float_only && !(x.dtype().is_floating() && y.dtype() == x.dtype()) {
                return None;
            }
            let r = binary(*b, &x, &y);
            (vec![x, y], r)
        }
        OpDesc::Where => {
            let (y, z) = (arg(1)?, arg(2)?);
            let r = mx::r#where(&x, &y, &z);
            (vec![x, y, z], r)
        }
        OpDesc::AsType(d) => (vec![x.clone()], mx::astype(&x, *d)),
        OpDesc::Reduce(op, m, k) => {
            let a = axes(*m, n);
            let r = match op {
                ReduceOp::Sum => mx::sum(&x, a, *k),
                ReduceOp::Prod => mx::prod(&x, a, *k),
                ReduceOp::Max => mx::max(&x, a, *k),
                ReduceOp::Min => mx::min(&x, a, *k),
            };
            (vec![x], r)
        }
        OpDesc::Mean(m, k) => (vec![x.clone()], mx::mean(&x, axes(*m, n), *k)),
        OpDesc::Arg(op, a, k) => {
            let ax = if *a & 0x40 != 0 { None } else { Some(axis(*a, n)) };
            let r = match op {
                ArgReduceOp::ArgMax => mx::argmax(&x, ax, *k),
                ArgReduceOp::ArgMin => mx::argmin(&x, ax, *k),
            };
            (vec![x], r)
        }
        OpDesc::Matmul => {
            let x = if x.dtype().is_inexact() { x } else { mx::astype(&x, Dtype::Float32).ok()? };
            let y = if n >= 2 { mx::swapaxes(&x, -1, -2).ok()? } else { x.clone() };
            let r = mx::matmul(&x, &y);
            (vec![x, y], r)
        }
        OpDesc::ConcatSelf(a) => {
            if n == 0 {
                return None;
            }
            let ax = axis(*a, n);
            let u = ax.rem_euclid(n as i32) as usize;
            let mut stop = vec![i64::MAX; n];
            stop[u] = (x.shape()[u] / 2) as i64;
            let y = mx::slice(&x, &vec![0; n], &stop, &vec![1; n]).ok()?;
            let r = mx::concatenate(&[x.clone(), y.clone()], ax);
            (vec![x, y], r)
        }
        OpDesc::Contiguous => (vec![x.clone()], mx::contiguous(&x)),
        OpDesc::Softmax(a) => (vec![x.clone()], mx::softmax(&x, axis(*a, n))),
        OpDesc::Logsumexp(a, k) => (vec![x.clone()], mx::logsumexp(&x, axis(*a, n), *k)),
    };
    Some((inputs, out.ok()?))
}

fn values(t: &Tensor) -> Result<Vec<common::Val>, mx::Error> {
    Ok(common::decode(&t.to_bytes()?, t.dtype()))
}

/// Elements the comparison skips (all of them for the whole-result cases below).
/// Elements a float -> integer cast may differ on: MLX's cast of NaN, infinities and
/// out-of-range values is C++ undefined behaviour (DIFFERENCES.md); we saturate.
fn cast_skips(op: &OpDesc, inputs: &[Tensor]) -> Option<Vec<bool>> {
    let complex_order = matches!(op, OpDesc::Arg(..) | OpDesc::Reduce(ReduceOp::Max | ReduceOp::Min, ..));
    if let (true, Some(x)) = (complex_order, inputs.first()) {
        // argmax/argmin (and max/min) of complex64 with a NaN part: MLX's answer depends on
        // which part is NaN and where it stands (DIFFERENCES.md); such results are not compared.
        if x.dtype().is_complex() && values(x).ok()?.iter().any(|v| matches!(v, common::Val::F(a, b) if a.is_nan() || b.is_nan())) {
            return Some(vec![true; 1 << 20]);
        }
        return None;
    }
    let complex_composite = matches!(op, OpDesc::Matmul | OpDesc::Softmax(..) | OpDesc::Logsumexp(..));
    if complex_composite && inputs.iter().any(|t| t.dtype().is_complex()) {
        // complex matmul / softmax / logsumexp over non-finite parts: which output parts become
        // inf or NaN depends on the order of operations (MLX's BLAS and its max-shifted
        // composite vs ours; DIFFERENCES.md); not compared.
        let non_finite = |t: &Tensor| {
            values(t).map(|v| v.iter().any(|v| matches!(v, common::Val::F(a, b) if !a.is_finite() || !b.is_finite())))
        };
        if inputs.iter().any(|t| non_finite(t).unwrap_or(true)) {
            return Some(vec![true; 1 << 20]);
        }
        return None;
    }
    let OpDesc::AsType(d) = op else { return None };
    let x = inputs.first()?;
    if !(x.dtype().is_inexact() && d.is_integer()) {
        return None;
    }
    let vals = values(x).ok()?;
    Some(
        vals.iter()
            .map(|v| match v {
                common::Val::F(re, _) => !re.is_finite() || re.abs() >= 127.0 || (d.is_unsigned() && *re <= -1.0),
                common::Val::I(_) => false,
            })
            .collect(),
    )
}

fn same(what: &str, want: &Tensor, got: &Tensor, skip: Option<&[bool]>) -> Result<(), TestCaseError> {
    prop_assert_eq!(want.shape(), got.shape(), "{}: shape", what);
    prop_assert_eq!(want.dtype(), got.dtype(), "{}: dtype", what);
    let w = values(want);
    let g = values(got);
    match (w, g) {
        (Ok(w), Ok(g)) => common::compare(&w, &g, want.dtype(), skip).map_err(|e| TestCaseError::fail(format!("{what}: {e}"))),
        (Err(a), Err(_)) => {
            let _ = a;
            Ok(())
        }
        (w, g) => Err(TestCaseError::fail(format!("{what}: cpu {:?} vs mlx {:?}", w.err(), g.err()))),
    }
}

fn on_ffi(t: &Tensor) -> Tensor {
    mx::set_default_device(Device::Ffi);
    match t.to_bytes().and_then(|b| Tensor::from_bytes(&b, t.shape(), t.dtype())) {
        Ok(x) => x,
        Err(_) => t.clone(),
    }
}

fn check_graph(g: &GraphDesc) -> Result<(), TestCaseError> {
    // CPU pass.
    mx::set_default_device(Device::Cpu);
    let mut cpu: Vec<Tensor> = Vec::new();
    for l in &g.leaves {
        if let Ok(t) = build_leaf(&g.base, l) {
            cpu.push(t);
        }
    }
    prop_assume!(!cpu.is_empty());
    let n_leaves = cpu.len();
    let mut steps = Vec::new();
    for s in &g.steps {
        if let Some((_, out)) = apply_step(s, &cpu) {
            steps.push(s.clone());
            cpu.push(out);
        }
    }
    let _ = mx::eval(&cpu);

    // Lockstep on MLX: leaves built there, then each step from the CPU values of its inputs.
    mx::set_default_device(Device::Ffi);
    let mut k = 0;
    for l in &g.leaves {
        if let Ok(t) = build_leaf(&g.base, l) {
            same(&format!("leaf {k} {l:?}"), &cpu[k], &t, None)?;
            count(match l.kind {
                LeafKind::Data(_) => "(data leaf)",
                LeafKind::Full(_) => "full",
                LeafKind::Arange { .. } => "arange",
            });
            k += 1;
        }
    }
    for (j, s) in steps.iter().enumerate() {
        let vals: Vec<Tensor> = cpu[..n_leaves + j].iter().map(on_ffi).collect();
        mx::set_default_device(Device::Ffi);
        let Some((inputs, got)) = apply_step(s, &vals) else {
            return Err(TestCaseError::fail(format!("step {j} built on cpu but not on ffi")));
        };
        prop_assert_eq!(got.device(), Device::Ffi);
        let skip = cast_skips(&s.op, &inputs);
        count(&op_key(&s.op));
        if inputs.iter().any(|t| t.size() == 0) {
            count("(empty input)");
        }
        let what = format!("step {j} {s:?}");
        let checked = same(&what, &cpu[n_leaves + j], &got, skip.as_deref());
        let checked = match (&s.op, checked) {
            (OpDesc::Unary(u), Err(_)) if inputs[0].dtype() == Dtype::Float64 => {
                // MLX evaluates float64 unary math in float32, operand included (DIFFERENCES.md):
                // sin(2269.0708961486816) is sin(2269.071f32) there, 6e-5 away. Accept its answer
                // when it is our float32 op of the float32-rounded operand.
                count("(float64 op evaluated in float32 by MLX)");
                let got32 = mx::astype(&got, Dtype::Float32);
                mx::set_default_device(Device::Cpu);
                let x = apply_step(s, &cpu[..n_leaves + j]).map(|(inputs, _)| inputs[0].clone());
                match (x.map(|x| mx::astype(&x, Dtype::Float32).and_then(|x| unary(*u, &x))), got32) {
                    (Some(Ok(want)), Ok(got32)) => same(&what, &want, &got32, skip.as_deref()),
                    _ => Err(TestCaseError::fail(format!("{what}: float32 re-evaluation failed"))),
                }
            }
            (_, checked) => checked,
        };
        checked.map_err(|e| {
            // The operands' first values, so that a failure can be reproduced without the graph.
            let shown: Vec<String> = inputs.iter().map(|t| format!("{:?} {:?} {:?}", t.dtype(), t.shape(), values(t).map(|v| v.into_iter().take(4).collect::<Vec<_>>()))).collect();
            TestCaseError::fail(format!("{e}; inputs: {}", shown.join(", ")))
        })?;
    }

    // End to end on MLX: exact comparison when the whole graph is integers and bools.
    if cpu.iter().all(|t| !t.dtype().is_inexact()) {
        let mut vals: Vec<Tensor> = g.leaves.iter().filter_map(|l| build_leaf(&g.base, l).ok()).collect();
        for s in &steps {
            let Some((_, out)) = apply_step(s, &vals) else {
                return Err(TestCaseError::fail("graph built on cpu but not on ffi"));
            };
            vals.push(out);
        }
        count("(end-to-end graph)");
        for (i, (w, got)) in cpu.iter().zip(&vals).enumerate() {
            same(&format!("end-to-end value {i}"), w, got, None)?;
        }
    }
    mx::set_default_device(Device::Cpu);
    Ok(())
}

#[test]
fn cpu_and_mlx_agree_on_random_graphs() {
    mlx_ffi::register();
    let cases = std::env::var("MLX_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let seed = match std::env::var("MLX_DIFF_SEED").ok().as_deref() {
        Some("random") => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64),
        Some(s) => s.parse().expect("MLX_DIFF_SEED: a u64 or \"random\""),
        None => 0,
    };
    let rng_seed = proptest::test_runner::RngSeed::Fixed(seed);
    let config = ProptestConfig { cases, max_shrink_iters: 4096, failure_persistence: None, rng_seed, ..ProptestConfig::default() };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let start = std::time::Instant::now();
    let result = runner.run(&graph(), |g| check_graph(&g));
    mx::set_default_device(Device::Cpu);
    eprintln!("differential: {cases} graphs (MLX_DIFF_SEED={seed}) in {:.1?}", start.elapsed());
    eprintln!("comparisons: {:?}", STATS.lock().unwrap_or_else(|e| e.into_inner()));
    if let Err(e) = result {
        panic!("{e}");
    }
}
