//! Convolutions, channels last like MLX: input `(N, *spatial, C_in)`, weight
//! `(C_out, *kernel, C_in / groups)`, output `(N, *out_spatial, C_out)`.
//!
//! One primitive, `ConvGeneral` (stride, padding lo/hi, kernel dilation, input dilation, groups,
//! flip); everything else is a composition: conv1d/2d/3d fix the spatial rank, the transposed
//! convolutions are input-dilated flipped convolutions (MLX's construction), `convolve` is a
//! flipped 1-D convolution. Negative padding crops the input first (as MLX does).

use mlx_ops::{promote, ConvParams, Error, Primitive, Result};

use crate::{astype, reshape_usize, slice, Tensor};

/// Per-spatial-axis parameters: one value for every axis (`2.into()`) or one per axis
/// (`[1, 2].into()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spatial<const N: usize>(pub [i32; N]);

impl<const N: usize> From<i32> for Spatial<N> {
    fn from(v: i32) -> Self {
        Spatial([v; N])
    }
}
impl<const N: usize> From<[i32; N]> for Spatial<N> {
    fn from(v: [i32; N]) -> Self {
        Spatial(v)
    }
}

/// Options of [`conv_general`]. A list of length 0 or 1 applies to every spatial axis (MLX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvGeneralOptions {
    /// Kernel strides (default 1).
    pub stride: Vec<i32>,
    /// Padding before each spatial axis (default 0; negative crops).
    pub padding_lo: Vec<i32>,
    /// Padding after each spatial axis (default 0; negative crops).
    pub padding_hi: Vec<i32>,
    /// Kernel dilation (default 1).
    pub kernel_dilation: Vec<i32>,
    /// Input dilation (default 1).
    pub input_dilation: Vec<i32>,
    /// Channel groups (default 1).
    pub groups: i32,
    /// Convolution (true) or cross-correlation (false, the default).
    pub flip: bool,
}

impl Default for ConvGeneralOptions {
    fn default() -> Self {
        ConvGeneralOptions {
            stride: vec![1],
            padding_lo: vec![0],
            padding_hi: vec![0],
            kernel_dilation: vec![1],
            input_dilation: vec![1],
            groups: 1,
            flip: false,
        }
    }
}

fn fmt_list(v: &[i32]) -> String {
    let s: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("({})", s.join(","))
}

/// Expands a 0/1-length list to `n` entries; checks the length otherwise.
fn per_axis(v: &[i32], n: usize, default: i32, what: &str) -> Result<Vec<i32>> {
    match v.len() {
        0 => Ok(vec![default; n]),
        1 => Ok(vec![v[0]; n]),
        l if l == n => Ok(v.to_vec()),
        _ => Err(Error::invalid("conv", format!("Invalid {what} {} for {n}D convolution.", fmt_list(v)))),
    }
}

/// General N-d convolution (`mx.conv_general`), the primitive every other convolution uses.
///
/// `out[n, o.., co] = sum_{k.., ci} x_pad[n, o*stride + k*kernel_dilation, g*C_in_g + ci] *
/// w[co, k'.., ci]` with `g = co / C_out_g`, `k' = k` (or `K-1-k` when `flip`), where `x_pad` is
/// the input with `input_dilation - 1` zeros between elements and `padding_lo/hi` zeros around.
/// Spatial output size: `((in-1)*input_dilation + 1 + lo + hi - ((K-1)*kernel_dilation + 1)) /
/// stride + 1`. The dtype is the promotion of both (the input must be a real float).
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// // A length-4 signal, one channel, against the kernel [1, 10] with one zero of padding.
/// let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[1, 4, 1]).unwrap();
/// let w = Tensor::from_slice(&[1.0f32, 10.0], &[1, 2, 1]).unwrap();
/// let opts = mx::ConvGeneralOptions { padding_lo: vec![1], ..Default::default() };
/// let y = mx::conv_general(&x, &w, &opts).unwrap();
/// assert_eq!(y.to_vec::<f32>().unwrap(), vec![10.0, 21.0, 32.0, 43.0]);
/// ```
///
/// # Errors
/// `[conv]` for an input that is not a real float, a rank other than 3-5, a weight rank unlike
/// the input's, channels that do not match or divide by `groups`, `groups != 1` with 3
/// spatial axes, non-positive strides or dilations, wrong list lengths, and inputs smaller
/// than the kernel after padding.
pub fn conv_general(input: &Tensor, weight: &Tensor, opts: &ConvGeneralOptions) -> Result<Tensor> {
    let op = "conv";
    let groups = opts.groups;
    if groups != 1 && input.ndim() != 3 && input.ndim() != 4 {
        return Err(Error::invalid(op, "Can only handle groups != 1 in 1D or 2D convolutions."));
    }
    if input.ndim() < 3 || input.ndim() > 5 {
        return Err(Error::invalid(
            op,
            "Only works for inputs with 1-3 spatial dimensions. The inputs must be in the format [N, ..., C_in]",
        ));
    }
    let sd = input.ndim() - 2;
    if !input.dtype().is_floating() {
        return Err(Error::invalid(
            op,
            format!(
                "Invalid input array with type {}. Convolution currently only supports floating point types",
                input.dtype()
            ),
        ));
    }
    if weight.ndim() != input.ndim() {
        return Err(Error::invalid(
            op,
            format!(
                "Invalid weight array with {} dimensions for {sd}D convolution. Expected an array with {} dimensions following the format [C_out, ..., C_in].",
                weight.ndim(),
                sd + 2
            ),
        ));
    }
    if groups < 1 {
        return Err(Error::invalid(op, format!("Groups must be positive. Got {groups} groups.")));
    }
    let stride = per_axis(&opts.stride, sd, 1, "strides")?;
    let lo = per_axis(&opts.padding_lo, sd, 0, "padding")?;
    let hi = per_axis(&opts.padding_hi, sd, 0, "padding")?;
    let kd = per_axis(&opts.kernel_dilation, sd, 1, "kernel dilation")?;
    let id = per_axis(&opts.input_dilation, sd, 1, "input dilation")?;
    if stride.iter().any(|&s| s <= 0) {
        return Err(Error::invalid(op, format!("Stride sizes must be positive. Got strides {}.", fmt_list(&stride))));
    }
    if kd.iter().any(|&s| s <= 0) {
        return Err(Error::invalid(
            op,
            format!("Kernel dilation sizes must be positive. Got kernel dilation {}.", fmt_list(&kd)),
        ));
    }
    if id.iter().any(|&s| s <= 0) {
        return Err(Error::invalid(
            op,
            format!("Input dilation sizes must be positive. Got input dilation {}.", fmt_list(&id)),
        ));
    }
    let dtype = promote(input.dtype(), weight.dtype());
    let mut x = astype(input, dtype)?;
    let w = astype(weight, dtype)?;
    // Negative padding crops the input (MLX slices before convolving).
    if lo.iter().chain(&hi).any(|&p| p < 0) {
        let n = x.ndim();
        let mut start = vec![0i64; n];
        let mut stop: Vec<i64> = x.shape().iter().map(|&d| d as i64).collect();
        for i in 0..sd {
            if lo[i] < 0 {
                start[i + 1] = -lo[i] as i64;
            }
            if hi[i] < 0 {
                stop[i + 1] += hi[i] as i64;
            }
        }
        x = slice(&x, &start, &stop, &vec![1; n])?;
    }
    let u = |v: &[i32]| v.iter().map(|&p| p.max(0) as usize).collect::<Vec<usize>>();
    let params = ConvParams {
        stride: u(&stride),
        padding_lo: u(&lo),
        padding_hi: u(&hi),
        kernel_dilation: u(&kd),
        input_dilation: u(&id),
        groups: groups as usize,
        flip: opts.flip,
    };
    Tensor::from_primitive(Primitive::ConvGeneral(params), vec![x, w])
}

fn conv_nd<const N: usize>(
    input: &Tensor,
    weight: &Tensor,
    stride: Spatial<N>,
    padding: Spatial<N>,
    dilation: Spatial<N>,
    groups: i32,
) -> Result<Tensor> {
    check_rank::<N>(input, weight)?;
    let opts = ConvGeneralOptions {
        stride: stride.0.to_vec(),
        padding_lo: padding.0.to_vec(),
        padding_hi: padding.0.to_vec(),
        kernel_dilation: dilation.0.to_vec(),
        input_dilation: vec![1; N],
        groups,
        flip: false,
    };
    conv_general(input, weight, &opts)
}

/// MLX checks the rank against the named convolution before anything else.
fn check_rank<const N: usize>(input: &Tensor, weight: &Tensor) -> Result<()> {
    if !input.dtype().is_floating() {
        return Err(Error::invalid(
            "conv",
            format!(
                "Invalid input array with type {}. Convolution currently only supports floating point types",
                input.dtype()
            ),
        ));
    }
    if input.ndim() != N + 2 {
        return Err(Error::invalid(
            "conv",
            format!(
                "Invalid input array with {} dimensions for {N}D convolution. Expected an array with {} dimensions following the format [N, ..., C_in].",
                input.ndim(),
                N + 2
            ),
        ));
    }
    if weight.ndim() != N + 2 {
        return Err(Error::invalid(
            "conv",
            format!(
                "Invalid weight array with {} dimensions for {N}D convolution. Expected an array with {} dimensions following the format [C_out, ..., C_in].",
                weight.ndim(),
                N + 2
            ),
        ));
    }
    Ok(())
}

/// 1-D convolution (`mx.conv1d`): input `(N, L, C_in)`, weight `(C_out, K, C_in / groups)`,
/// symmetric `padding`. See [`conv_general`] for the math.
///
/// # Errors
/// As [`conv_general`]; also `[conv]` when the input or weight is not 3-D.
pub fn conv1d(input: &Tensor, weight: &Tensor, stride: i32, padding: i32, dilation: i32, groups: i32) -> Result<Tensor> {
    conv_nd::<1>(input, weight, stride.into(), padding.into(), dilation.into(), groups)
}

/// 2-D convolution (`mx.conv2d`): input `(N, H, W, C_in)`, weight `(C_out, KH, KW, C_in /
/// groups)`; each of stride, padding, dilation is one value or a pair.
///
/// # Errors
/// As [`conv_general`]; also `[conv]` when the input or weight is not 4-D.
pub fn conv2d(
    input: &Tensor,
    weight: &Tensor,
    stride: impl Into<Spatial<2>>,
    padding: impl Into<Spatial<2>>,
    dilation: impl Into<Spatial<2>>,
    groups: i32,
) -> Result<Tensor> {
    conv_nd::<2>(input, weight, stride.into(), padding.into(), dilation.into(), groups)
}

/// 3-D convolution (`mx.conv3d`): input `(N, D, H, W, C_in)`, weight `(C_out, KD, KH, KW,
/// C_in)`. MLX supports only `groups == 1` here.
///
/// # Errors
/// As [`conv_general`]; also `[conv]` when the input or weight is not 5-D.
pub fn conv3d(
    input: &Tensor,
    weight: &Tensor,
    stride: impl Into<Spatial<3>>,
    padding: impl Into<Spatial<3>>,
    dilation: impl Into<Spatial<3>>,
    groups: i32,
) -> Result<Tensor> {
    conv_nd::<3>(input, weight, stride.into(), padding.into(), dilation.into(), groups)
}

/// Options of the transposed convolutions (all per spatial axis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvTransposeOptions<const N: usize> {
    pub stride: Spatial<N>,
    pub padding: Spatial<N>,
    pub dilation: Spatial<N>,
    pub output_padding: Spatial<N>,
    pub groups: i32,
}

impl<const N: usize> Default for ConvTransposeOptions<N> {
    fn default() -> Self {
        ConvTransposeOptions {
            stride: 1.into(),
            padding: 0.into(),
            dilation: 1.into(),
            output_padding: 0.into(),
            groups: 1,
        }
    }
}

/// MLX's construction: a flipped, input-dilated (by `stride`) convolution with padding
/// `lo = (K-1)*dilation - padding`, `hi = lo + output_padding`.
fn conv_transpose_nd<const N: usize>(input: &Tensor, weight: &Tensor, o: &ConvTransposeOptions<N>) -> Result<Tensor> {
    check_rank::<N>(input, weight)?;
    let mut lo = vec![0; N];
    let mut hi = vec![0; N];
    for i in 0..N {
        let wt_size = 1 + o.dilation.0[i] * (weight.shape()[i + 1] as i32 - 1);
        lo[i] = wt_size - o.padding.0[i] - 1;
        hi[i] = lo[i] + o.output_padding.0[i];
    }
    let opts = ConvGeneralOptions {
        stride: vec![1; N],
        padding_lo: lo,
        padding_hi: hi,
        kernel_dilation: o.dilation.0.to_vec(),
        input_dilation: o.stride.0.to_vec(),
        groups: o.groups,
        flip: true,
    };
    conv_general(input, weight, &opts)
}

/// 1-D transposed convolution (`mx.conv_transpose1d`); weight `(C_out, K, C_in)`.
/// Output length `(L-1)*stride - 2*padding + dilation*(K-1) + 1 + output_padding`.
///
/// # Errors
/// As [`conv_general`].
pub fn conv_transpose1d(input: &Tensor, weight: &Tensor, opts: &ConvTransposeOptions<1>) -> Result<Tensor> {
    conv_transpose_nd(input, weight, opts)
}

/// 2-D transposed convolution (`mx.conv_transpose2d`).
///
/// # Errors
/// As [`conv_general`].
pub fn conv_transpose2d(input: &Tensor, weight: &Tensor, opts: &ConvTransposeOptions<2>) -> Result<Tensor> {
    conv_transpose_nd(input, weight, opts)
}

/// 3-D transposed convolution (`mx.conv_transpose3d`; `groups == 1` only, like MLX).
///
/// # Errors
/// As [`conv_general`].
pub fn conv_transpose3d(input: &Tensor, weight: &Tensor, opts: &ConvTransposeOptions<3>) -> Result<Tensor> {
    conv_transpose_nd(input, weight, opts)
}

/// Discrete 1-D convolution with NumPy's modes (`mx.convolve`): `"full"` (length `n + m - 1`),
/// `"same"` (length `max(n, m)`), `"valid"` (length `max(n, m) - min(n, m) + 1`). The shorter
/// array is the (flipped) filter.
///
/// # Errors
/// `[convolve]` for inputs that are not 1-D or are empty, or an unknown mode; `[conv]` when
/// the longer input is not a real float.
pub fn convolve(a: &Tensor, v: &Tensor, mode: &str) -> Result<Tensor> {
    if a.ndim() != 1 || v.ndim() != 1 {
        return Err(Error::invalid("convolve", "Inputs must be 1D."));
    }
    if a.size() == 0 || v.size() == 0 {
        return Err(Error::invalid("convolve", "Inputs cannot be empty."));
    }
    let (x, w) = if a.size() < v.size() { (v, a) } else { (a, v) };
    let m = w.size() as i32;
    let (lo, hi) = match mode {
        "full" => (m - 1, m - 1),
        "valid" => (0, 0),
        "same" if m % 2 == 1 => (m / 2, m / 2),
        "same" => (m / 2, (m / 2 - 1).max(0)),
        _ => return Err(Error::invalid("convolve", "Invalid mode.")),
    };
    let w = slice(w, &[i64::MAX], &[i64::MIN], &[-1])?;
    let x3 = reshape_usize(x, &[1, x.size(), 1])?;
    let w3 = reshape_usize(&w, &[1, w.size(), 1])?;
    let opts = ConvGeneralOptions { padding_lo: vec![lo], padding_hi: vec![hi], ..Default::default() };
    let out = conv_general(&x3, &w3, &opts)?;
    let n = out.size();
    reshape_usize(&out, &[n])
}

