//! Parameters and inference rules of the convolution and gathered-matmul primitives.
//!
//! Invariants (the API normalizes before building a node): every per-axis list of
//! [`ConvParams`] has one entry per spatial axis; strides and dilations are >= 1; paddings are
//! non-negative (MLX turns negative padding into a slice of the input first); `groups >= 1`.
//! Layout is MLX's "channels last": input `(N, *spatial, C_in)`, weight
//! `(C_out, *kernel, C_in / groups)`, output `(N, *out_spatial, C_out)`.

use crate::shape::fmt_shape;
use crate::{Dtype, Error, Result, Spec};

/// The parameters of `ConvGeneral` (one entry per spatial axis in every list).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConvParams {
    /// Step of the kernel window over the (dilated, padded) input.
    pub stride: Vec<usize>,
    /// Zeros added before each spatial axis (after input dilation).
    pub padding_lo: Vec<usize>,
    /// Zeros added after each spatial axis (after input dilation).
    pub padding_hi: Vec<usize>,
    /// Spacing between kernel taps.
    pub kernel_dilation: Vec<usize>,
    /// Spacing inserted between input elements (`s - 1` zeros): transposed convolution.
    pub input_dilation: Vec<usize>,
    /// Channel groups: output channel block g sees input channel block g only.
    pub groups: usize,
    /// Convolution (kernel reversed) instead of cross-correlation.
    pub flip: bool,
}

impl ConvParams {
    /// Plain cross-correlation over `n` spatial axes: stride 1, no padding, no dilation.
    pub fn simple(n: usize) -> Self {
        ConvParams {
            stride: vec![1; n],
            padding_lo: vec![0; n],
            padding_hi: vec![0; n],
            kernel_dilation: vec![1; n],
            input_dilation: vec![1; n],
            groups: 1,
            flip: false,
        }
    }
}

/// The output length of one spatial axis, or `None` when the padded input is shorter than the
/// dilated kernel.
///
/// `in_d = (in - 1) * input_dilation + 1 + lo + hi`, `k_d = (k - 1) * kernel_dilation + 1`,
/// `out = (in_d - k_d) / stride + 1`.
pub fn conv_out_len(input: usize, kernel: usize, p: &ConvParams, i: usize) -> Option<usize> {
    let in_d = (input as i64 - 1) * p.input_dilation[i] as i64 + 1 + p.padding_lo[i] as i64 + p.padding_hi[i] as i64;
    let k_d = (kernel as i64 - 1) * p.kernel_dilation[i] as i64 + 1;
    if input == 0 || in_d < k_d {
        return None;
    }
    Some(((in_d - k_d) / p.stride[i] as i64 + 1) as usize)
}

pub(crate) fn infer_conv(p: &ConvParams, x: &Spec, w: &Spec) -> Result<Spec> {
    let op = "conv";
    let nd = x.shape.len();
    if !(3..=5).contains(&nd) {
        return Err(Error::invalid(
            op,
            "Only works for inputs with 1-3 spatial dimensions. The inputs must be in the format [N, ..., C_in]",
        ));
    }
    let sd = nd - 2;
    if w.shape.len() != nd {
        return Err(Error::invalid(
            op,
            format!(
                "Invalid weight array with {} dimensions for {sd}D convolution. Expected an array with {nd} dimensions following the format [C_out, ..., C_in].",
                w.shape.len()
            ),
        ));
    }
    let lists = [&p.stride, &p.padding_lo, &p.padding_hi, &p.kernel_dilation, &p.input_dilation];
    if lists.iter().any(|l| l.len() != sd) {
        return Err(Error::invalid(op, format!("Expected one parameter per spatial axis ({sd}).")));
    }
    if p.stride.contains(&0) || p.kernel_dilation.contains(&0) || p.input_dilation.contains(&0) {
        return Err(Error::invalid(op, "Strides and dilations must be positive."));
    }
    if x.dtype != w.dtype || !x.dtype.is_inexact() {
        return Err(Error::invalid(
            op,
            format!("Invalid input array with type {}. Convolution currently only supports floating point types", x.dtype),
        ));
    }
    let g = p.groups;
    let cin = x.shape[nd - 1];
    if g == 0 || !cin.is_multiple_of(g) {
        return Err(Error::invalid(
            op,
            format!(
                "The input channels must be divisible by the number of groups. Got input with shape {} and {g} groups.",
                fmt_shape(&x.shape)
            ),
        ));
    }
    if g > 1 && !w.shape[0].is_multiple_of(g) {
        return Err(Error::invalid(
            op,
            format!(
                "If groups > 1, the output channels must be divisible by the number of groups. Got {} output channels and {g} groups.",
                w.shape[0]
            ),
        ));
    }
    if cin != g * w.shape[nd - 1] {
        let msg = if g == 1 {
            format!(
                "Expect the input channels in the input and weight array to match but got shapes - input: {} and weight: {}",
                fmt_shape(&x.shape),
                fmt_shape(&w.shape)
            )
        } else {
            format!(
                "Given groups={g} and weights of shape {}, expected to have {} input channels but got {cin} input channels instead.",
                fmt_shape(&w.shape),
                g * w.shape[nd - 1]
            )
        };
        return Err(Error::invalid(op, msg));
    }
    let mut shape = vec![x.shape[0]];
    for i in 0..sd {
        match conv_out_len(x.shape[i + 1], w.shape[i + 1], p, i) {
            Some(n) => shape.push(n),
            None => {
                return Err(Error::invalid(
                    op,
                    format!(
                        "Spatial dimensions of input after padding cannot be smaller than weight spatial dimensions. Got error at axis {} for input with shape {}, padding low {}, padding high {}, and weight of shape {}.",
                        i + 1,
                        fmt_shape(&x.shape),
                        fmt_shape(&p.padding_lo),
                        fmt_shape(&p.padding_hi),
                        fmt_shape(&w.shape)
                    ),
                ))
            }
        }
    }
    shape.push(w.shape[0]);
    Ok(Spec::new(shape, x.dtype))
}

/// `GatherMm`: `a (A.., M, K)`, `b (B.., K, N)`, `lhs` and `rhs` uint32 indices of one shape
/// `I` (flat indices into the batch axes of a and b) give `(I.., M, N)`.
pub(crate) fn infer_gather_mm(inputs: &[&Spec]) -> Result<Spec> {
    let op = "gather_mm";
    let (a, b, li, ri) = (&inputs[0], &inputs[1], &inputs[2], &inputs[3]);
    if a.shape.len() < 2 || b.shape.len() < 2 {
        return Err(Error::invalid(op, "Expected operands with at least 2 dimensions."));
    }
    let (na, nb) = (a.shape.len(), b.shape.len());
    if a.shape[na - 1] != b.shape[nb - 2] {
        return Err(Error::invalid(
            op,
            format!(
                "Last dimension of first input with shape {} must match second to last dimension of second input with shape {}.",
                fmt_shape(&a.shape),
                fmt_shape(&b.shape)
            ),
        ));
    }
    if a.dtype != b.dtype || !a.dtype.is_inexact() {
        return Err(Error::invalid(op, "Operands must share one inexact dtype (promote them first)."));
    }
    if li.dtype != Dtype::Uint32 || ri.dtype != Dtype::Uint32 || li.shape != ri.shape {
        return Err(Error::invalid(op, "Indices must be uint32 arrays of one shape (broadcast them first)."));
    }
    let mut shape = li.shape.clone();
    shape.push(a.shape[na - 2]);
    shape.push(b.shape[nb - 1]);
    Ok(Spec::new(shape, a.dtype))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_shapes() {
        let f = Dtype::Float32;
        let x = Spec::new(vec![1, 5, 4], f);
        let w = Spec::new(vec![2, 3, 4], f);
        assert_eq!(infer_conv(&ConvParams::simple(1), &x, &w).unwrap().shape, vec![1, 3, 2]);
        let mut p = ConvParams::simple(1);
        p.input_dilation = vec![2];
        p.padding_lo = vec![2];
        p.padding_hi = vec![2];
        p.flip = true;
        assert_eq!(infer_conv(&p, &x, &w).unwrap().shape, vec![1, 11, 2]);
        assert!(infer_conv(&ConvParams::simple(1), &x, &Spec::new(vec![2, 6, 4], f)).is_err());
        assert!(infer_conv(&ConvParams::simple(1), &Spec::new(vec![1, 5, 4], Dtype::Int32), &Spec::new(vec![2, 3, 4], Dtype::Int32)).is_err());
        let mut g = ConvParams::simple(1);
        g.groups = 3;
        assert!(infer_conv(&g, &x, &w).is_err());
    }
}
