//! Convolutions: `Conv1d/2d/3d` and `ConvTranspose1d/2d/3d` (channels-last like MLX: inputs
//! `(N, *spatial, C_in)`, weights `(C_out, *kernel, C_in / groups)`; for the transposed ones
//! `(C_out, *kernel, C_in)`), weights `U(-s, s)` with MLX's `s`, biases zero.
//! Gradients flow to the input, weight and bias through `ConvGeneral`'s rules
//! (`mlx-autograd/src/rules/conv.rs`); golden parameter gradients in `tests/golden_pool.rs`.

use mlx_core::{self as mx, ConvGeneralOptions, ConvTransposeOptions, Dtype, Error, Result, Spatial, Tensor};

use crate::init;
use crate::module::{ModuleState, UnaryModule};

/// `nn.Conv{N}d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
/// groups=1, bias=True)`.
#[derive(Debug, Clone)]
pub struct Conv<const N: usize> {
    pub state: ModuleState,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    pub stride: [i32; N],
    pub padding: [i32; N],
    pub dilation: [i32; N],
    pub groups: i32,
}
pub type Conv1d = Conv<1>;
pub type Conv2d = Conv<2>;
pub type Conv3d = Conv<3>;

impl<const N: usize> crate::Module for Conv<N> {
    fn visit(&self, f: &mut dyn FnMut(&str, crate::Child<'_>)) {
        f("weight", crate::Child::Param(&self.weight));
        if let Some(b) = &self.bias {
            f("bias", crate::Child::Param(b));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, crate::ChildMut<'_>)) {
        f("weight", crate::ChildMut::Param(&mut self.weight));
        if let Some(b) = &mut self.bias {
            f("bias", crate::ChildMut::Param(b));
        }
    }
    fn state(&self) -> &ModuleState {
        &self.state
    }
    fn state_mut(&mut self) -> &mut ModuleState {
        &mut self.state
    }
}

impl<const N: usize> Conv<N> {
    /// # Errors
    /// `[Conv]` when `groups` does not divide `in_channels`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: [usize; N],
        stride: [i32; N],
        padding: [i32; N],
        dilation: [i32; N],
        groups: usize,
        bias: bool,
    ) -> Result<Self> {
        if groups == 0 || in_channels % groups != 0 {
            return Err(Error::invalid("Conv", format!("The number of input channels ({in_channels}) must be divisible by the number of groups ({groups}).")));
        }
        let k: usize = kernel_size.iter().product();
        let scale = (1.0 / (in_channels / groups * k) as f64).sqrt();
        let mut shape = vec![out_channels];
        shape.extend(kernel_size);
        shape.push(in_channels / groups);
        let weight = init::uniform(&shape, -scale, scale, Dtype::Float32)?;
        let bias = if bias { Some(mx::zeros(&[out_channels], Dtype::Float32)?) } else { None };
        Ok(Conv { state: ModuleState::default(), weight, bias, stride, padding, dilation, groups: groups as i32 })
    }
    /// Stride 1, no padding, dilation 1, one group, with bias.
    pub fn simple(in_channels: usize, out_channels: usize, kernel_size: [usize; N]) -> Result<Self> {
        Conv::new(in_channels, out_channels, kernel_size, [1; N], [0; N], [1; N], 1, true)
    }
}

impl<const N: usize> UnaryModule for Conv<N> {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let opts = ConvGeneralOptions {
            stride: self.stride.to_vec(),
            padding_lo: self.padding.to_vec(),
            padding_hi: self.padding.to_vec(),
            kernel_dilation: self.dilation.to_vec(),
            input_dilation: vec![1; N],
            groups: self.groups,
            flip: false,
        };
        let y = mx::conv_general(x, &self.weight, &opts)?;
        match &self.bias {
            Some(b) => mx::add(&y, b),
            None => Ok(y),
        }
    }
}

/// `nn.ConvTranspose{N}d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, output_padding=0, bias=True)`.
#[derive(Debug, Clone)]
pub struct ConvTranspose<const N: usize> {
    pub state: ModuleState,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    pub stride: [i32; N],
    pub padding: [i32; N],
    pub dilation: [i32; N],
    pub output_padding: [i32; N],
}
pub type ConvTranspose1d = ConvTranspose<1>;
pub type ConvTranspose2d = ConvTranspose<2>;
pub type ConvTranspose3d = ConvTranspose<3>;

impl<const N: usize> crate::Module for ConvTranspose<N> {
    fn visit(&self, f: &mut dyn FnMut(&str, crate::Child<'_>)) {
        f("weight", crate::Child::Param(&self.weight));
        if let Some(b) = &self.bias {
            f("bias", crate::Child::Param(b));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, crate::ChildMut<'_>)) {
        f("weight", crate::ChildMut::Param(&mut self.weight));
        if let Some(b) = &mut self.bias {
            f("bias", crate::ChildMut::Param(b));
        }
    }
    fn state(&self) -> &ModuleState {
        &self.state
    }
    fn state_mut(&mut self) -> &mut ModuleState {
        &mut self.state
    }
}

impl<const N: usize> ConvTranspose<N> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: [usize; N],
        stride: [i32; N],
        padding: [i32; N],
        dilation: [i32; N],
        output_padding: [i32; N],
        bias: bool,
    ) -> Result<Self> {
        let k: usize = kernel_size.iter().product();
        let scale = (1.0 / (in_channels * k).max(1) as f64).sqrt();
        let mut shape = vec![out_channels];
        shape.extend(kernel_size);
        shape.push(in_channels);
        let weight = init::uniform(&shape, -scale, scale, Dtype::Float32)?;
        let bias = if bias { Some(mx::zeros(&[out_channels], Dtype::Float32)?) } else { None };
        Ok(ConvTranspose { state: ModuleState::default(), weight, bias, stride, padding, dilation, output_padding })
    }
}

fn sp<const M: usize, const N: usize>(v: &[i32; N]) -> Spatial<M> {
    let mut a = [0i32; M];
    a.copy_from_slice(&v[..M]);
    Spatial(a)
}

impl<const N: usize> UnaryModule for ConvTranspose<N> {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = match N {
            1 => mx::conv_transpose1d(x, &self.weight, &ConvTransposeOptions::<1> {
                stride: sp(&self.stride),
                padding: sp(&self.padding),
                dilation: sp(&self.dilation),
                output_padding: sp(&self.output_padding),
                groups: 1,
            })?,
            2 => mx::conv_transpose2d(x, &self.weight, &ConvTransposeOptions::<2> {
                stride: sp(&self.stride),
                padding: sp(&self.padding),
                dilation: sp(&self.dilation),
                output_padding: sp(&self.output_padding),
                groups: 1,
            })?,
            3 => mx::conv_transpose3d(x, &self.weight, &ConvTransposeOptions::<3> {
                stride: sp(&self.stride),
                padding: sp(&self.padding),
                dilation: sp(&self.dilation),
                output_padding: sp(&self.output_padding),
                groups: 1,
            })?,
            _ => return Err(Error::invalid("ConvTranspose", format!("{N}-D transposed convolution is not supported."))),
        };
        match &self.bias {
            Some(b) => mx::add(&y, b),
            None => Ok(y),
        }
    }
}
