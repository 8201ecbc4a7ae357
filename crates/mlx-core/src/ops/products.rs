//! The matmul family beyond `matmul`: addmm, tensordot, vecdot, einsum (+ einsum_path), block_masked_mm,
//! gather_mm, segmented_mm, and the Hadamard transform.
//!
//! Only `gather_mm` needs a primitive (`GatherMm`, which gathers batch matrices by index);
//! everything else is a composition of matmul, broadcasting views, reshapes, `where` and sums,
//! so autograd and every backend come for free. Invariant: every function validates its
//! arguments with MLX's `[op]` messages before building any node.

use std::collections::BTreeMap;

use mlx_ops::shape::{broadcast_shapes, fmt_shape, normalize_axis, size_of};
use mlx_ops::{promote, Dtype, Error, Primitive, Result};

use crate::{
    add, arange, astype, broadcast_to, concatenate, expand_dims, greater_equal, less, matmul, multiply, r#where,
    reshape_usize, slice, squeeze, subtract, sum, transpose, Tensor,
};

fn result_type(ts: &[&Tensor]) -> Dtype {
    ts.iter().map(|t| t.dtype()).reduce(promote).unwrap_or(Dtype::Float32)
}

fn not_real_float(op: &str, dtypes: &[Dtype], out: Dtype) -> Error {
    let names: Vec<String> = dtypes.iter().map(|d| d.to_string()).collect();
    let shown = match names.len() {
        3 => format!("{}, {} and {}", names[0], names[1], names[2]),
        _ => names.join(" and "),
    };
    Error::invalid(
        op,
        format!(
            "Only real floating point types are supported but {shown} were provided which results in {out}, which is not a real floating point type."
        ),
    )
}

/// `(..., M, K)` and `(..., K, N)` after MLX's 1-D promotion; checks the inner dimensions.
fn matrix_operands(op: &str, a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(Error::invalid(op, "Got 0 dimension input. Inputs must have at least one dimension."));
    }
    let a2 = if a.ndim() == 1 { expand_dims(a, 0)? } else { a.clone() };
    let b2 = if b.ndim() == 1 { expand_dims(b, 1)? } else { b.clone() };
    if a2.shape()[a2.ndim() - 1] != b2.shape()[b2.ndim() - 2] {
        return Err(super::linalg::inner_dim_mismatch(op, a2.shape(), b2.shape()));
    }
    Ok((a2, b2))
}

/// `alpha * (a @ b) + beta * c` (`mx.addmm`), with matmul's 1-D and batch broadcasting rules;
/// `c` must broadcast to the product's shape. dtype: the promotion of all three, which must be
/// a real float or complex64.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// let c = Tensor::from_slice(&[1.0f32, 1.0], &[2]).unwrap();
/// let a = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
/// let b = Tensor::from_slice(&[1.0f32, 0.0], &[2]).unwrap();
/// let y = mx::addmm(&c, &a, &b, 2.0, 0.5).unwrap(); // 2 * [1, 3] + 0.5
/// assert_eq!(y.to_vec::<f32>().unwrap(), vec![2.5, 6.5]);
/// ```
///
/// # Errors
/// `[addmm]` for 0-d `a`/`b`, mismatched inner dimensions, a non-float result type, or a `c`
/// that does not broadcast to the output.
pub fn addmm(c: &Tensor, a: &Tensor, b: &Tensor, alpha: f32, beta: f32) -> Result<Tensor> {
    let op = "addmm";
    matrix_operands(op, a, b)?;
    let dtype = result_type(&[a, b, c]);
    if !dtype.is_inexact() {
        return Err(not_real_float(op, &[c.dtype(), a.dtype(), b.dtype()], dtype));
    }
    let ab = matmul(&astype(a, dtype)?, &astype(b, dtype)?)?;
    let out_shape = ab.shape().to_vec();
    let cb = broadcast_shapes(c.shape(), &out_shape)?;
    if cb != out_shape {
        return Err(Error::invalid(op, "input c must broadcast to the output shape"));
    }
    let c = broadcast_to(&astype(c, dtype)?, &out_shape)?;
    let scaled = if alpha == 1.0 { ab } else { multiply(&ab, alpha as f64)? };
    let cs = if beta == 1.0 { c } else { multiply(&c, beta as f64)? };
    add(&scaled, &cs)
}

/// Which axes [`tensordot`] contracts: the last `n` of `a` with the first `n` of `b`, or explicit
/// pairs of axis lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TensordotAxes {
    Count(i32),
    Pairs(Vec<i32>, Vec<i32>),
}

impl From<i32> for TensordotAxes {
    fn from(n: i32) -> Self {
        TensordotAxes::Count(n)
    }
}
impl From<(Vec<i32>, Vec<i32>)> for TensordotAxes {
    fn from(p: (Vec<i32>, Vec<i32>)) -> Self {
        TensordotAxes::Pairs(p.0, p.1)
    }
}
impl<const N: usize> From<([i32; N], [i32; N])> for TensordotAxes {
    fn from(p: ([i32; N], [i32; N])) -> Self {
        TensordotAxes::Pairs(p.0.to_vec(), p.1.to_vec())
    }
}

/// Tensor dot product (`mx.tensordot`): sums `a * b` over the paired axes; the result has the
/// remaining axes of `a` then those of `b`. Computed as one matmul of two transposed reshapes.
///
/// # Errors
/// `[tensordot]` for a negative count, a count above either rank, lists of different length,
/// out-of-range axes or mismatched contracted sizes; `[transpose]` for repeated axes;
/// `[matmul]` for non-inexact dtypes.
pub fn tensordot(a: &Tensor, b: &Tensor, axes: impl Into<TensordotAxes>) -> Result<Tensor> {
    let op = "tensordot";
    let (axes_a, axes_b) = match axes.into() {
        TensordotAxes::Count(n) => {
            if n < 0 {
                return Err(Error::invalid(op, "axis must be greater or equal to 0."));
            }
            if n as usize > a.ndim().min(b.ndim()) {
                return Err(Error::invalid(op, "axis must be less than the number of dimensions of a and b."));
            }
            ((0..n).map(|i| i - n).collect::<Vec<i32>>(), (0..n).collect::<Vec<i32>>())
        }
        TensordotAxes::Pairs(x, y) => (x, y),
    };
    if axes_a.len() != axes_b.len() {
        return Err(Error::invalid(op, "axes must have the same size."));
    }
    let na: Vec<usize> = axes_a.iter().map(|&x| normalize_axis(op, x, a.ndim())).collect::<Result<_>>()?;
    let nb: Vec<usize> = axes_b.iter().map(|&x| normalize_axis(op, x, b.ndim())).collect::<Result<_>>()?;
    let mut csize = 1;
    for (&i, &j) in na.iter().zip(&nb) {
        if a.shape()[i] != b.shape()[j] {
            return Err(Error::invalid(op, "a and b must have the same shape on the contracted axes."));
        }
        csize *= a.shape()[i];
    }
    let free_a: Vec<usize> = (0..a.ndim()).filter(|i| !na.contains(i)).collect();
    let free_b: Vec<usize> = (0..b.ndim()).filter(|i| !nb.contains(i)).collect();
    let size1: usize = free_a.iter().map(|&i| a.shape()[i]).product();
    let size2: usize = free_b.iter().map(|&i| b.shape()[i]).product();
    let mut rshape: Vec<usize> = free_a.iter().map(|&i| a.shape()[i]).collect();
    rshape.extend(free_b.iter().map(|&i| b.shape()[i]));
    let t1: Vec<i32> = free_a.iter().chain(&na).map(|&i| i as i32).collect();
    let t2: Vec<i32> = nb.iter().chain(&free_b).map(|&i| i as i32).collect();
    let x = reshape_usize(&transpose(a, t1)?, &[size1, csize])?;
    let y = reshape_usize(&transpose(b, t2)?, &[csize, size2])?;
    reshape_usize(&matmul(&x, &y)?, &rshape)
}

/// Vector dot product along `axis` (`mx.vecdot`): `sum(a * b, axis)` with the other axes
/// broadcast. dtype: the promotion, then `sum`'s accumulator rule (integers and bools give
/// int32/uint32 ...).
///
/// # Errors
/// `[vecdot]` for 0-d inputs, inputs of different rank, an out-of-range axis, or different
/// sizes along `axis`; `[vecdot]` for complex inputs (conjugation is not available yet, #3).
pub fn vecdot(a: &Tensor, b: &Tensor, axis: i32) -> Result<Tensor> {
    let op = "vecdot";
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(Error::invalid(op, "inputs must be at least 1D."));
    }
    let n = a.ndim() as i32;
    if a.ndim() != b.ndim() || axis < -n || axis >= n {
        return Err(Error::invalid(op, "axis is out of bounds."));
    }
    let ax = if axis < 0 { axis + n } else { axis } as usize;
    if a.shape()[ax] != b.shape()[ax] {
        return Err(Error::invalid(op, "a and b must have the same size along axis."));
    }
    if promote(a.dtype(), b.dtype()).is_complex() {
        // TODO(#3): conj(a) * b once `conjugate` exists.
        return Err(Error::invalid(op, "complex inputs need conjugate, which is not implemented yet."));
    }
    sum(&multiply(a, b)?, axis, false)
}

/// Matmul with matrix-level gather (`mx.gather_mm`): `out[i] = a[lhs[i]] @ b[rhs[i]]`, where
/// the indices are flat indices into the batch axes of `a` and `b` (a missing index array is
/// `arange(batch size)` in the batch shape) broadcast together. Output: `(*idx, M, N)`, with
/// matmul's 1-D rules. No indices: plain `matmul`. `sorted_indices` is a hint only.
///
/// # Errors
/// `[gather_mm]` for 0-d operands, mismatched inner dimensions, a non-float result, or
/// non-integer indices; `[broadcast_shapes]` when the indices do not broadcast; an index out of
/// range fails at eval (MLX reads out of bounds).
pub fn gather_mm(
    a: &Tensor,
    b: &Tensor,
    lhs_indices: Option<&Tensor>,
    rhs_indices: Option<&Tensor>,
    sorted_indices: bool,
) -> Result<Tensor> {
    let op = "gather_mm";
    let _ = sorted_indices;
    if lhs_indices.is_none() && rhs_indices.is_none() {
        return matmul(a, b);
    }
    let (a2, b2) = matrix_operands(op, a, b)?;
    let dtype = result_type(&[a, b]);
    if !dtype.is_floating() {
        return Err(not_real_float(op, &[a.dtype(), b.dtype()], dtype));
    }
    let default = |x: &Tensor| -> Result<Tensor> {
        let batch = &x.shape()[..x.ndim() - 2];
        reshape_usize(&arange(0, size_of(batch) as i64, 1, Dtype::Uint32)?, batch)
    };
    let li = match lhs_indices {
        Some(t) => t.clone(),
        None => default(&a2)?,
    };
    let ri = match rhs_indices {
        Some(t) => t.clone(),
        None => default(&b2)?,
    };
    for (name, t) in [("lhs_indices", &li), ("rhs_indices", &ri)] {
        if !t.dtype().is_integer() {
            return Err(Error::invalid(op, format!("Got {name} with invalid dtype. Indices must be integral.")));
        }
    }
    let shape = broadcast_shapes(li.shape(), ri.shape())?;
    let li = broadcast_to(&astype(&li, Dtype::Uint32)?, &shape)?;
    let ri = broadcast_to(&astype(&ri, Dtype::Uint32)?, &shape)?;
    let out =
        Tensor::from_primitive(Primitive::GatherMm, vec![astype(&a2, dtype)?, astype(&b2, dtype)?, li, ri])?;
    let nd = out.ndim() as i32;
    match (a.ndim() == 1, b.ndim() == 1) {
        (true, true) => squeeze(&out, [nd - 2, nd - 1]),
        (true, false) => squeeze(&out, nd - 2),
        (false, true) => squeeze(&out, nd - 1),
        (false, false) => Ok(out),
    }
}

/// Matmul with the inner dimension split into segments (`mx.segmented_mm`): for `a (M, K)`,
/// `b (K, N)` and integer `segments (..., 2)` of `[start, end)` pairs,
/// `out[s] = a[:, start:end] @ b[start:end, :]`, shape `(..., M, N)`. An empty or reversed
/// segment gives zeros. Composed as a masked matmul (`where`, so values outside the segment
/// never reach the product, inf and nan included).
///
/// # Errors
/// `[segmented_mm]` for operands that are not 2-D, segments not shaped `(..., 2)`, a non-float
/// result type, or non-integer segments.
pub fn segmented_mm(a: &Tensor, b: &Tensor, segments: &Tensor) -> Result<Tensor> {
    let op = "segmented_mm";
    if a.ndim() != 2 || b.ndim() != 2 {
        return Err(Error::invalid(op, "Batched matmul not supported"));
    }
    if segments.ndim() < 1 || segments.shape()[segments.ndim() - 1] != 2 {
        return Err(Error::invalid(
            op,
            format!("The segments should have shape (..., 2) but {} was provided.", fmt_shape(segments.shape())),
        ));
    }
    let dtype = result_type(&[a, b]);
    if !dtype.is_floating() {
        return Err(not_real_float(op, &[a.dtype(), b.dtype()], dtype));
    }
    if !segments.dtype().is_integer() {
        return Err(Error::invalid(op, "Got segments with invalid dtype. Segments must be integral."));
    }
    if a.shape()[1] != b.shape()[0] {
        return Err(super::linalg::inner_dim_mismatch(op, a.shape(), b.shape()));
    }
    let k = a.shape()[1];
    let seg = astype(segments, Dtype::Uint32)?;
    let nd = seg.ndim();
    let mut start = vec![0i64; nd];
    let mut stop: Vec<i64> = seg.shape().iter().map(|&d| d as i64).collect();
    let step = vec![1i64; nd];
    stop[nd - 1] = 1;
    let lo = slice(&seg, &start, &stop, &step)?; // (..., 1)
    start[nd - 1] = 1;
    stop[nd - 1] = 2;
    let hi = slice(&seg, &start, &stop, &step)?;
    let ks = arange(0, k as i64, 1, Dtype::Uint32)?;
    let mask = multiply(&greater_equal(&ks, &lo)?, &less(&ks, &hi)?)?; // (..., K) bool
    let mask = expand_dims(&mask, -2)?; // (..., 1, K)
    let am = r#where(&mask, &astype(a, dtype)?, 0.0)?; // (..., M, K)
    matmul(&am, &astype(b, dtype)?)
}

/// Expands a block mask `(..., r, c)` to elements `(..., rows, cols)` (blocks of `bs`).
fn expand_blocks(mask: &Tensor, bs: usize, rows: usize, cols: usize) -> Result<Tensor> {
    let nd = mask.ndim();
    let (r, c) = (mask.shape()[nd - 2], mask.shape()[nd - 1]);
    let lead = &mask.shape()[..nd - 2];
    let m = expand_dims(&expand_dims(mask, -1)?, -3)?; // (..., r, 1, c, 1)
    let mut big: Vec<usize> = lead.to_vec();
    big.extend([r, bs, c, bs]);
    let m = broadcast_to(&m, &big)?;
    let mut flat: Vec<usize> = lead.to_vec();
    flat.extend([r * bs, c * bs]);
    let m = reshape_usize(&m, &flat)?;
    let n = m.ndim();
    let mut stop: Vec<i64> = m.shape().iter().map(|&d| d as i64).collect();
    stop[n - 2] = rows as i64;
    stop[n - 1] = cols as i64;
    slice(&m, &vec![0; n], &stop, &vec![1; n])
}

/// Applies an element mask: bool masks select (masked values become 0, never nan), other masks
/// scale.
fn apply_mask(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    if mask.dtype().is_bool() {
        r#where(mask, x, 0.0)
    } else {
        multiply(x, mask)
    }
}

/// Matmul with `block_size x block_size` blocks masked (`mx.block_masked_mm`). `mask_lhs`
/// `(..., ceil(M/bs), ceil(K/bs))` and `mask_rhs` `(..., ceil(K/bs), ceil(N/bs))` mask the
/// operands' blocks, `mask_out` `(..., ceil(M/bs), ceil(N/bs))` the result's: a false bool
/// block is zero (even where the data is inf or nan); a float mask scales its block. No mask:
/// plain `matmul`. Masks broadcast like the batch axes.
///
/// # Errors
/// `[block_masked_mm]` for a block size other than 32 or 64, 0-d operands, mismatched inner
/// dimensions, or a non-real-float result; `[broadcast_shapes]` for masks of the wrong shape.
pub fn block_masked_mm(
    a: &Tensor,
    b: &Tensor,
    block_size: i32,
    mask_out: Option<&Tensor>,
    mask_lhs: Option<&Tensor>,
    mask_rhs: Option<&Tensor>,
) -> Result<Tensor> {
    let op = "block_masked_mm";
    if mask_out.is_none() && mask_lhs.is_none() && mask_rhs.is_none() {
        return matmul(a, b);
    }
    if block_size != 32 && block_size != 64 {
        return Err(Error::invalid(op, format!("Only block_sizes 32, 64 are supported.Got block size {block_size}.")));
    }
    let bs = block_size as usize;
    let (a2, b2) = matrix_operands(op, a, b)?;
    let dtype = result_type(&[a, b]);
    if !dtype.is_floating() {
        return Err(not_real_float(op, &[a.dtype(), b.dtype()], dtype));
    }
    let (na, nb) = (a2.ndim(), b2.ndim());
    let batch = broadcast_shapes(&a2.shape()[..na - 2], &b2.shape()[..nb - 2])?;
    let (m, k, n) = (a2.shape()[na - 2], a2.shape()[na - 1], b2.shape()[nb - 1]);
    let (tm, tn, tk) = (m.div_ceil(bs), n.div_ceil(bs), k.div_ceil(bs));
    let with = |batch: &[usize], y: usize, x: usize| -> Vec<usize> { [batch, &[y, x][..]].concat() };
    let mut a2 = broadcast_to(&astype(&a2, dtype)?, &with(&batch, m, k))?;
    let mut b2 = broadcast_to(&astype(&b2, dtype)?, &with(&batch, k, n))?;
    let prep = |mask: &Tensor, expand: Option<i32>, mdt: Dtype, y: usize, x: usize| -> Result<Tensor> {
        let m = match expand {
            Some(ax) => expand_dims(mask, ax)?,
            None => mask.clone(),
        };
        let target = with(&batch, y, x);
        let full = broadcast_shapes(m.shape(), &target)?;
        if full != target {
            return Err(Error::invalid(
                "broadcast_shapes",
                format!("Shapes {} and {} cannot be broadcast.", fmt_shape(m.shape()), fmt_shape(&target)),
            ));
        }
        broadcast_to(&astype(&m, mdt)?, &target)
    };
    if mask_lhs.is_some() || mask_rhs.is_some() {
        let t = crate::full(&[1], true, Dtype::Bool)?;
        let ml = mask_lhs.cloned().unwrap_or_else(|| t.clone());
        let mr = mask_rhs.cloned().unwrap_or(t);
        let mdt = if ml.dtype().is_bool() && mr.dtype().is_bool() { Dtype::Bool } else { dtype };
        let ml = prep(&ml, (a.ndim() == 1).then_some(-2), mdt, tm, tk)?;
        let mr = prep(&mr, (b.ndim() == 1).then_some(-1), mdt, tk, tn)?;
        a2 = apply_mask(&a2, &expand_blocks(&ml, bs, m, k)?)?;
        b2 = apply_mask(&b2, &expand_blocks(&mr, bs, k, n)?)?;
    }
    let mut out = matmul(&a2, &b2)?;
    if let Some(mo) = mask_out {
        let mut mo = mo.clone();
        if a.ndim() == 1 {
            mo = expand_dims(&mo, -2)?;
        }
        if b.ndim() == 1 {
            mo = expand_dims(&mo, -1)?;
        }
        let mdt = if mo.dtype().is_bool() { Dtype::Bool } else { dtype };
        let mo = prep(&mo, None, mdt, tm, tn)?;
        out = apply_mask(&out, &expand_blocks(&mo, bs, m, n)?)?;
    }
    let nd = out.ndim() as i32;
    match (a.ndim() == 1, b.ndim() == 1) {
        (true, true) => squeeze(&out, [nd - 2, nd - 1]),
        (true, false) => squeeze(&out, nd - 2),
        (false, true) => squeeze(&out, nd - 1),
        (false, false) => Ok(out),
    }
}

/// The Hadamard matrices MLX uses for the non-power-of-two factor m of n = m * 2^k
/// (row-major, '+' is 1, '-' is -1), taken from MLX 0.32.4 itself.
const HADAMARD_12: &str = "+-++++++++++--+-+-+-+-+-+++-++----+++---+--+-++-+++++-++----+-+---+--+-+++--+++-++--+--++---+--+++----+++-+++--+-++---+-++++----+++-+-+--+-++---";
const HADAMARD_20: &str = "+----+----++--++-++--+----+---+++---+-++--+----+---+++-+-+-+---+----+---+++++-+-----+----++--++-++-+-+++++-----+--+++--++-+++-+---+-+--+++--++-++--+---+-+--+++-+++-+---+---+-+--+++++++-----++--+-+--++--++-+-++-+-----++++---++-+-++-+---+-++++---++-+-+--+--++-++++---++-+----+-+++-+-++---++-+----+++++--+--+--++-+----+----+-+-----++-+----+----+-+-+---+--+----+----+-+++------+----+-+--+--++------+----+";
const HADAMARD_28: &str = "+------++----++-+--+-+--++---+-----+++-----+-+--+-+--++---+-----+++---+-+-+----+--++---+-----+++---+-+-+-+--+--+----+-----+++---+-+-+++--+-------+-----++++--+-+--++--+-------++----++-+--+-+--++--+--++++-+-------++--+++-+--+----++++-+-----+-++--+-+-+--++---+++--+----++-++--+-+-+--++---++---+----++-++--+-+-+-+++---+----+----++-++--+-+-+++++--------+-+--++-++--+-+--++++--------+++--++--+--+-+-+-++-++--++--+--------++++-+-+-++--+--++--+--------++++-+-+-++--+--++--+----+---++++-+-+-++--+--+---+---++---++++-+-+-++--+------+--+++---+-++-+-+-++--+------+-++++---+-++-+---++--+------+-++++---++--++-+-++-+++----++------+-++--++-+-++-+++-----+-----++-++---+-+-++-+++-----+-----++-++-+-+-+-+--+++-----+-----++-++++-+-+----+++-----+--+--++-+-++-+-+----+++-----+-++--++-+-++-+-+----++------+";

/// Walsh-Hadamard transform along the last axis (`mx.hadamard_transform`):
/// `y = (H_n @ x) * scale` with `H_n = H_m ⊗ H_{2^k}` for `n = m * 2^k`, `m` in (1, 12, 20,
/// 28), `H_{2^k}` Sylvester's. `scale` defaults to `1/sqrt(n)` (orthonormal). dtype: real
/// floats keep theirs (and compute in it, as MLX does), others become float32.
///
/// # Errors
/// `[hadamard_transform]` for an empty input; `[hadamard]` when n is not m * 2^k.
pub fn hadamard_transform(a: &Tensor, scale: Option<f32>) -> Result<Tensor> {
    if a.size() == 0 {
        return Err(Error::invalid("hadamard_transform", "Does not support empty arrays."));
    }
    let n = if a.ndim() > 0 { a.shape()[a.ndim() - 1] } else { 1 };
    let scale = scale.unwrap_or(1.0 / (n as f32).sqrt());
    let dtype = if a.dtype().is_floating() { a.dtype() } else { Dtype::Float32 };
    if n == 1 {
        if scale == 1.0 {
            return Ok(a.clone());
        }
        return multiply(a, &crate::full(&[], scale as f64, dtype)?);
    }
    let (m, table) = if n.is_power_of_two() {
        (1, "")
    } else {
        match [(12, HADAMARD_12), (20, HADAMARD_20), (28, HADAMARD_28)].into_iter().find(|(f, _)| n % f == 0) {
            Some((f, t)) if (n / f).is_power_of_two() => (f, t),
            _ => return Err(Error::invalid("hadamard", "Only supports n = m*2^k where m in (1, 12, 20, 28).")),
        }
    };
    let p2 = n / m;
    let k = p2.trailing_zeros() as usize;
    // Like MLX, butterflies run in the array's own dtype (half floats round at every stage),
    // pairing neighbours first (stride 1, 2, 4, ...), so half-float results agree bit for bit.
    let work = dtype;
    let out_shape = a.shape().to_vec();
    let pre = a.size() / n;
    let mut x = astype(&astype(a, dtype)?, work)?;
    // Sylvester butterflies: step j pairs elements 2^(k-1-j) apart.
    for j in (0..k).rev() {
        let (outer, inner) = (1usize << j, 1usize << (k - 1 - j));
        let y = reshape_usize(&x, &[pre * m * outer, 2, inner])?;
        let lo = slice(&y, &[0, 0, 0], &[i64::MAX, 1, i64::MAX], &[1, 1, 1])?;
        let hi = slice(&y, &[0, 1, 0], &[i64::MAX, 2, i64::MAX], &[1, 1, 1])?;
        x = concatenate(&[add(&lo, &hi)?, subtract(&lo, &hi)?], 1)?;
    }
    if m > 1 {
        let vals: Vec<f32> = table.chars().map(|c| if c == '+' { 1.0 } else { -1.0 }).collect();
        let h = astype(&Tensor::from_slice(&vals, &[m, m])?, work)?;
        let y = reshape_usize(&x, &[pre, m, p2])?;
        x = matmul(&h, &y)?;
    }
    let x = multiply(&reshape_usize(&x, &out_shape)?, &crate::full(&[], scale as f64, work)?)?;
    astype(&x, dtype)
}

// ----------------------------------------------------------------------------------------
// einsum
// ----------------------------------------------------------------------------------------

/// One operand during contraction: its array and the label of each axis.
struct Term {
    t: Tensor,
    labels: Vec<char>,
}

/// Parses `"ij,jk->ik"` (with optional `...`) into per-operand labels and output labels.
/// Ellipsis axes get private labels, right-aligned across operands.
fn parse_einsum(subscripts: &str, operands: &[Tensor]) -> Result<(Vec<Vec<char>>, Vec<char>)> {
    let op = "einsum";
    let s: String = subscripts.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match s.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (s.clone(), None),
    };
    let inputs: Vec<&str> = lhs.split(',').collect();
    if inputs.len() != operands.len() {
        return Err(Error::invalid(
            op,
            format!(
                "Number of operands, {}, does not match number of input subscripts, {}",
                operands.len(),
                inputs.len()
            ),
        ));
    }
    let ell = |i: usize| char::from_u32(0x1000 + i as u32).unwrap_or('\u{1000}');
    let mut max_ell = 0;
    let mut labels = vec![];
    for (idx, (sub, t)) in inputs.iter().zip(operands).enumerate() {
        let parts: Vec<&str> = sub.split("...").collect();
        if parts.len() > 2 || sub.chars().any(|c| !(c.is_ascii_alphabetic() || c == '.')) {
            return Err(Error::invalid(op, format!("Invalid subscript string {sub}.")));
        }
        let named = parts.iter().map(|p| p.len()).sum::<usize>();
        let v: Vec<char> = if parts.len() == 2 {
            if named > t.ndim() {
                return Err(Error::invalid(
                    op,
                    format!("Invalid number of subscripts {named} for input {idx} with {} dimensions.", t.ndim()),
                ));
            }
            let ne = t.ndim() - named;
            max_ell = max_ell.max(ne);
            let mut v: Vec<char> = parts[0].chars().collect();
            v.extend((0..ne).map(|i| ell(ne - 1 - i)));
            v.extend(parts[1].chars());
            v
        } else {
            if named != t.ndim() {
                return Err(Error::invalid(
                    op,
                    format!("Invalid number of subscripts {named} for input {idx} with {} dimensions.", t.ndim()),
                ));
            }
            sub.chars().collect()
        };
        labels.push(v);
    }
    let ell_out: Vec<char> = (0..max_ell).rev().map(ell).collect();
    let out = match rhs {
        Some(r) => {
            let parts: Vec<&str> = r.split("...").collect();
            if parts.len() > 2 || r.chars().any(|c| !(c.is_ascii_alphabetic() || c == '.')) {
                return Err(Error::invalid(op, format!("Invalid subscript string {r}.")));
            }
            let mut v: Vec<char> = parts[0].chars().collect();
            if parts.len() == 2 {
                v.extend(&ell_out);
                v.extend(parts[1].chars());
            }
            v
        }
        None => {
            let mut counts: BTreeMap<char, usize> = BTreeMap::new();
            for l in labels.iter().flatten().filter(|c| c.is_ascii_alphabetic()) {
                *counts.entry(*l).or_default() += 1;
            }
            let mut v = ell_out.clone();
            v.extend(counts.into_iter().filter(|&(_, n)| n == 1).map(|(c, _)| c));
            v
        }
    };
    for (i, c) in out.iter().enumerate() {
        if out[..i].contains(c) {
            return Err(Error::invalid(op, "Repeat indices not allowed in output."));
        }
        if !labels.iter().any(|l| l.contains(c)) {
            return Err(Error::invalid(op, format!("Output subscript {c} does not appear in the input.")));
        }
    }
    Ok((labels, out))
}

/// Label sets and costs of MLX's einsum path search (opt_einsum's greedy strategy).
type Set = std::collections::BTreeSet<char>;

fn term_size<'a>(labels: impl IntoIterator<Item = &'a char>, size: &BTreeMap<char, usize>) -> usize {
    labels.into_iter().map(|c| size.get(c).copied().unwrap_or(1)).product()
}

/// `size * max(1, terms - 1) (+ size when something is summed)`: MLX's FLOP estimate.
fn flop_count(term: &Set, inner: bool, num_terms: usize, size: &BTreeMap<char, usize>) -> usize {
    let op_factor = (num_terms.saturating_sub(1)).max(1) + usize::from(inner);
    term_size(term, size) * op_factor
}

/// One step of the path: the positions (in the current operand list) contracted together.
struct PathPlan {
    steps: Vec<Vec<usize>>,
    naive_cost: usize,
    naive_scaling: usize,
    cost: usize,
    scaling: usize,
}

/// MLX's path: two operands or fewer in one step; otherwise greedy pairwise contractions
/// (largest size reduction first, then cheapest), outer products only when nothing else is
/// left, and one naive step for whatever remains when no pair fits the limits.
fn plan_path(labels: &[Vec<char>], out: &[char], size: &BTreeMap<char, usize>) -> PathPlan {
    let mut inputs: Vec<Set> = labels.iter().map(|l| l.iter().copied().collect()).collect();
    let output: Set = out.iter().copied().collect();
    let all: Set = inputs.iter().flatten().copied().collect();
    let naive_inner = all.iter().any(|c| !output.contains(c));
    let naive_cost = flop_count(&all, naive_inner, inputs.len(), size);
    let naive_scaling = all.len();
    let n = inputs.len();
    if n <= 2 {
        return PathPlan { steps: vec![(0..n).collect()], naive_cost, naive_scaling, cost: naive_cost, scaling: naive_scaling };
    }
    let memory_limit =
        labels.iter().map(|l| term_size(l, size)).chain(std::iter::once(term_size(out, size))).max().unwrap_or(1);
    struct Contraction {
        removed: i64,
        cost: usize,
        output: Set,
        dims: usize,
        x: usize,
        y: usize,
    }
    let mut pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect();
    let mut possible: Vec<Contraction> = vec![];
    let (mut steps, mut path_cost, mut path_scaling) = (vec![], 0usize, 0usize);
    for _ in 0..n - 1 {
        let candidate = |inputs: &[Set], p1: usize, p2: usize, path_cost: usize| -> Option<Contraction> {
            let union: Set = inputs[p1].union(&inputs[p2]).copied().collect();
            let mut new_term: Set = Set::new();
            for (i, inp) in inputs.iter().enumerate() {
                if i != p1 && i != p2 {
                    new_term.extend(inp.iter().filter(|c| union.contains(c)));
                }
            }
            new_term.extend(output.iter().filter(|c| union.contains(c)));
            let new_size = term_size(&new_term, size);
            if new_size > memory_limit {
                return None;
            }
            let removed = (term_size(&inputs[p1], size) + term_size(&inputs[p2], size)) as i64 - new_size as i64;
            let inner = union.len() > new_term.len();
            let cost = flop_count(&union, inner, 2, size);
            if path_cost + cost > naive_cost {
                return None;
            }
            Some(Contraction { removed, cost, output: new_term, dims: union.len(), x: p1, y: p2 })
        };
        for &(p1, p2) in &pairs {
            if !inputs[p1].is_disjoint(&inputs[p2]) {
                possible.extend(candidate(&inputs, p1, p2, path_cost));
            }
        }
        if possible.is_empty() {
            for &(p1, p2) in &pairs {
                possible.extend(candidate(&inputs, p1, p2, path_cost));
            }
        }
        if possible.is_empty() {
            let rest: Set = inputs.iter().flatten().copied().collect();
            let inner = rest.iter().any(|c| !output.contains(c));
            path_cost += flop_count(&rest, inner, inputs.len(), size);
            path_scaling = path_scaling.max(rest.len());
            steps.push((0..inputs.len()).collect());
            break;
        }
        let mut best = 0;
        for (i, c) in possible.iter().enumerate() {
            let b = &possible[best];
            if c.removed > b.removed || (c.removed == b.removed && c.cost < b.cost) {
                best = i;
            }
        }
        let best = possible.remove(best);
        path_scaling = path_scaling.max(best.dims);
        steps.push(vec![best.x, best.y]);
        inputs.remove(best.y);
        inputs.remove(best.x);
        inputs.push(best.output.clone());
        possible.retain(|c| c.x != best.x && c.x != best.y && c.y != best.x && c.y != best.y);
        for c in &mut possible {
            c.x -= usize::from(c.x > best.x) + usize::from(c.x > best.y);
            c.y -= usize::from(c.y > best.x) + usize::from(c.y > best.y);
        }
        pairs = (0..inputs.len() - 1).map(|i| (i, inputs.len() - 1)).collect();
        path_cost += best.cost;
    }
    PathPlan { steps, naive_cost, naive_scaling, cost: path_cost, scaling: path_scaling }
}

/// The contraction order [`einsum`] uses and a summary (`mx.einsum_path`): a list of steps,
/// each the positions of the operands contracted together (the result is appended to the
/// operand list), and MLX's report of naive and optimized scaling and FLOP counts.
///
/// # Errors
/// As [`einsum`]'s subscript and shape checks.
pub fn einsum_path(subscripts: &str, operands: &[Tensor]) -> Result<(Vec<Vec<usize>>, String)> {
    let (labels, out) = parse_einsum(subscripts, operands)?;
    let size = label_sizes(&labels, operands)?;
    let plan = plan_path(&labels, &out, &size);
    let info = format!(
        "  Complete contraction:  {subscripts}\n         Naive scaling:  {}\n     Optimized scaling:  {}\n      Naive FLOP count:  {}\n  Optimized FLOP count:  {}\n",
        plan.naive_scaling, plan.scaling, plan.naive_cost, plan.cost
    );
    Ok((plan.steps, info))
}

/// The size of every label (size-1 axes broadcast).
fn label_sizes(labels: &[Vec<char>], operands: &[Tensor]) -> Result<BTreeMap<char, usize>> {
    let mut size: BTreeMap<char, usize> = BTreeMap::new();
    for (idx, (ls, t)) in labels.iter().zip(operands).enumerate() {
        for (ax, (&c, &d)) in ls.iter().zip(t.shape()).enumerate() {
            let e = size.entry(c).or_insert(d);
            if *e == 1 {
                *e = d;
            } else if d != 1 && d != *e {
                return Err(Error::invalid(
                    "einsum",
                    format!(
                        "Cannot broadcast dimension {ax} of input {idx} with shape {} to size {}.",
                        fmt_shape(t.shape()),
                        e
                    ),
                ));
            }
        }
    }
    Ok(size)
}

/// Sums over `axes` of a term and drops their labels.
fn sum_axes(term: Term, axes: &[usize]) -> Result<Term> {
    if axes.is_empty() {
        return Ok(term);
    }
    let t = sum(&term.t, axes.iter().map(|&a| a as i32).collect::<Vec<_>>(), false)?;
    let labels = term.labels.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &c)| c).collect();
    Ok(Term { t, labels })
}

/// Takes the diagonal over repeated labels of one operand (`ii -> i`) with an identity mask.
fn take_diagonals(mut term: Term) -> Result<Term> {
    loop {
        let Some((i, j)) = (0..term.labels.len())
            .flat_map(|i| (i + 1..term.labels.len()).map(move |j| (i, j)))
            .find(|&(i, j)| term.labels[i] == term.labels[j])
        else {
            return Ok(term);
        };
        let n = term.t.shape()[i];
        let r = arange(0, n as i64, 1, Dtype::Int32)?;
        let nd = term.t.ndim();
        let mut si = vec![1usize; nd];
        si[i] = n;
        let mut sj = vec![1usize; nd];
        sj[j] = n;
        let eye = crate::equal(&reshape_usize(&r, &si)?, &reshape_usize(&r, &sj)?)?;
        let masked = r#where(&eye, &term.t, 0)?;
        term = sum_axes(Term { t: masked, labels: term.labels.clone() }, &[j])?;
    }
}

/// Einstein summation (`mx.einsum`): `"ij,jk->ik"`, implicit output (labels used once, in
/// alphabetical order), `...` broadcasting, repeated labels within an operand (diagonals).
/// Contracted pairs are reduced left to right, each with transposes/reshapes and one matmul;
/// pairs with nothing to contract multiply elementwise; labels no later term needs are
/// summed first. Size-1 axes broadcast against the label's size.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// let a = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
/// let tr = mx::einsum("ii", &[a.clone()]).unwrap();
/// assert_eq!(tr.item::<f32>().unwrap(), 5.0);
/// let ab = mx::einsum("ij,jk->ik", &[a.clone(), a]).unwrap();
/// assert_eq!(ab.to_vec::<f32>().unwrap(), vec![7.0, 10.0, 15.0, 22.0]);
/// ```
///
/// # Errors
/// `[einsum]` for a wrong number of operands or subscripts, repeated or unknown output labels,
/// and sizes that do not broadcast; `[matmul]` for integer contractions (as MLX).
pub fn einsum(subscripts: &str, operands: &[Tensor]) -> Result<Tensor> {
    let (labels, out) = parse_einsum(subscripts, operands)?;
    let size = label_sizes(&labels, operands)?;
    let plan = plan_path(&labels, &out, &size);
    // Every label of every term comes from an operand, so it has a size.
    let dim = |c: &char| size.get(c).copied().unwrap_or(1);
    let mut terms: Vec<Term> = vec![];
    for (ls, t) in labels.iter().zip(operands) {
        let full: Vec<usize> = ls.iter().map(|c| dim(c)).collect();
        let t = broadcast_to(t, &full)?;
        terms.push(take_diagonals(Term { t, labels: ls.clone() })?);
    }
    let needed_later = |terms: &[Term], skip: usize, c: char| -> bool {
        out.contains(&c) || terms.iter().enumerate().any(|(i, t)| i != skip && t.labels.contains(&c))
    };
    // Sum labels private to one term.
    for i in 0..terms.len() {
        let term = std::mem::replace(&mut terms[i], Term { t: operands[0].clone(), labels: vec![] });
        let axes: Vec<usize> =
            (0..term.labels.len()).filter(|&a| !needed_later(&terms, i, term.labels[a])).collect();
        terms[i] = sum_axes(term, &axes)?;
    }
    // Follow MLX's path: each step contracts the listed operands and appends the result; a
    // step of more than two operands (the naive remainder) contracts them left to right.
    let mut queue: Vec<(usize, usize)> = vec![];
    for step in &plan.steps {
        match step[..] {
            [x, y] => queue.push((x, y)),
            _ => queue.extend(std::iter::repeat_n((0, 1), step.len().saturating_sub(1))),
        }
    }
    for (x, y) in queue {
        if terms.len() < 2 || y >= terms.len() || x >= y {
            break;
        }
        let b = terms.remove(y);
        let a = terms.remove(x);
        let rest = &terms;
        let keep = |c: &char| out.contains(c) || rest.iter().any(|t| t.labels.contains(c));
        let batch: Vec<char> = a.labels.iter().filter(|c| b.labels.contains(c) && keep(c)).copied().collect();
        let contract: Vec<char> = a.labels.iter().filter(|c| b.labels.contains(c) && !keep(c)).copied().collect();
        let a_only: Vec<char> = a.labels.iter().filter(|c| !b.labels.contains(c)).copied().collect();
        let b_only: Vec<char> = b.labels.iter().filter(|c| !a.labels.contains(c)).copied().collect();
        let pos = |t: &Term, cs: &[char]| -> Vec<i32> {
            cs.iter().map(|c| t.labels.iter().position(|l| l == c).unwrap_or(0) as i32).collect()
        };
        let sz = |cs: &[char]| -> usize { cs.iter().map(|c| dim(c)).product() };
        let dims = |cs: &[char]| -> Vec<usize> { cs.iter().map(|c| dim(c)).collect() };
        let result = if contract.is_empty() {
            // Elementwise: align both as (batch, a_only, b_only).
            let at = transpose(&a.t, [pos(&a, &batch), pos(&a, &a_only)].concat())?;
            let bt = transpose(&b.t, [pos(&b, &batch), pos(&b, &b_only)].concat())?;
            let mut sa = dims(&batch);
            sa.extend(dims(&a_only));
            sa.extend(vec![1; b_only.len()]);
            let mut sb = dims(&batch);
            sb.extend(vec![1; a_only.len()]);
            sb.extend(dims(&b_only));
            multiply(&reshape_usize(&at, &sa)?, &reshape_usize(&bt, &sb)?)?
        } else {
            let at = transpose(&a.t, [pos(&a, &batch), pos(&a, &a_only), pos(&a, &contract)].concat())?;
            let bt = transpose(&b.t, [pos(&b, &batch), pos(&b, &contract), pos(&b, &b_only)].concat())?;
            let at = reshape_usize(&at, &[sz(&batch), sz(&a_only), sz(&contract)])?;
            let bt = reshape_usize(&bt, &[sz(&batch), sz(&contract), sz(&b_only)])?;
            let p = matmul(&at, &bt)?;
            reshape_usize(&p, &[dims(&batch), dims(&a_only), dims(&b_only)].concat())?
        };
        let labels = [batch, a_only, b_only].concat();
        terms.push(Term { t: result, labels });
    }
    // Anything the path left (never for a valid plan) is contracted by elementwise products.
    while terms.len() > 1 {
        let b = terms.remove(1);
        let a = terms.remove(0);
        let all: Vec<char> = a.labels.iter().chain(b.labels.iter().filter(|c| !a.labels.contains(c))).copied().collect();
        let shape_of = |t: &Term| -> Result<Tensor> {
            let perm: Vec<i32> = all
                .iter()
                .filter_map(|c| t.labels.iter().position(|l| l == c))
                .map(|p| p as i32)
                .collect();
            let tt = transpose(&t.t, perm)?;
            let shape: Vec<usize> = all.iter().map(|c| if t.labels.contains(c) { dim(c) } else { 1 }).collect();
            reshape_usize(&tt, &shape)
        };
        let t = multiply(&shape_of(&a)?, &shape_of(&b)?)?;
        terms.insert(0, Term { t, labels: all });
    }
    let last = terms.remove(0);
    let axes: Vec<usize> = (0..last.labels.len()).filter(|&i| !out.contains(&last.labels[i])).collect();
    let last = sum_axes(last, &axes)?;
    let perm: Vec<i32> =
        out.iter().map(|c| last.labels.iter().position(|l| l == c).unwrap_or(0) as i32).collect();
    if perm.iter().enumerate().all(|(i, &p)| i as i32 == p) {
        return Ok(last.t);
    }
    transpose(&last.t, perm)
}
