//! Recurrent layers: `RNN`, `GRU`, `LSTM` (MLX's parameter names, shapes, initialization
//! `U(-1/sqrt(hidden), 1/sqrt(hidden))` and equations). Inputs are `(..., L, input_size)`;
//! outputs stack the hidden state of every step on axis -2.

// MLX's parameter names (Wxh, Whh, Wx, Wh) are kept so weight files load unchanged.
#![allow(non_snake_case)]

use mlx_core::{self as mx, Dtype, Result, Tensor};

use crate::init;
use crate::layers::slice_axis;
use crate::module::{ModuleState, UnaryModule};

/// Inputs must be `(..., L, input_size)`.
fn check_input(op: &str, x: &Tensor, input_size: usize) -> Result<()> {
    if x.ndim() < 2 || x.shape()[x.ndim() - 1] != input_size {
        return Err(mx::Error::invalid(op, format!("Expected input of shape (..., L, {input_size}), got {:?}.", x.shape())));
    }
    Ok(())
}

fn step_of(x: &Tensor, idx: usize) -> Result<Tensor> {
    let nd = x.ndim();
    mx::squeeze(&slice_axis(x, nd - 2, idx as i64, idx as i64 + 1)?, -2)
}

fn stack(xs: &[Tensor]) -> Result<Tensor> {
    let e: Vec<Tensor> = xs.iter().map(|t| mx::expand_dims(t, -2)).collect::<Result<_>>()?;
    mx::concatenate(&e, -2)
}

fn t(w: &Tensor) -> Result<Tensor> {
    mx::transpose(w, [1, 0])
}

fn u(shape: &[usize], scale: f64) -> Result<Tensor> {
    init::uniform(shape, -scale, scale, Dtype::Float32)
}

fn last_split(x: &Tensor, parts: usize) -> Result<Vec<Tensor>> {
    let nd = x.ndim();
    let n = (x.shape()[nd - 1] / parts) as i64;
    (0..parts as i64).map(|i| slice_axis(x, nd - 1, i * n, (i + 1) * n)).collect()
}

/// `nn.RNN(input_size, hidden_size, bias=True)` with tanh: `h_t = tanh(x_t Wxh^T + b + h_{t-1} Whh^T)`.
#[derive(Debug, Clone)]
pub struct Rnn {
    pub state: ModuleState,
    pub Wxh: Tensor,
    pub Whh: Tensor,
    pub bias: Option<Tensor>,
}
crate::module_fields!(Rnn { param Wxh, param Whh, opt_param bias });
impl Rnn {
    pub fn new(input_size: usize, hidden_size: usize, bias: bool) -> Result<Self> {
        let s = 1.0 / (hidden_size as f64).sqrt();
        let wxh = u(&[hidden_size, input_size], s)?;
        let whh = u(&[hidden_size, hidden_size], s)?;
        let bias = if bias { Some(u(&[hidden_size], s)?) } else { None };
        Ok(Rnn { state: ModuleState::default(), Wxh: wxh, Whh: whh, bias })
    }
    /// All hidden states, starting from `hidden` (zeros when `None`).
    pub fn forward_hidden(&self, x: &Tensor, hidden: Option<&Tensor>) -> Result<Tensor> {
        check_input("RNN", x, self.Wxh.shape().get(1).copied().unwrap_or(0))?;
        let mut xp = mx::matmul(x, &t(&self.Wxh)?)?;
        if let Some(b) = &self.bias {
            xp = mx::add(&xp, b)?;
        }
        let whh_t = t(&self.Whh)?;
        let mut h = hidden.cloned();
        let mut all = vec![];
        for i in 0..x.shape()[x.ndim() - 2] {
            let xi = step_of(&xp, i)?;
            let pre = match &h {
                Some(h) => mx::add(&xi, &mx::matmul(h, &whh_t)?)?,
                None => xi,
            };
            let nh = mx::tanh(&pre)?;
            all.push(nh.clone());
            h = Some(nh);
        }
        stack(&all)
    }
}
impl UnaryModule for Rnn {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_hidden(x, None)
    }
}

/// `nn.GRU(input_size, hidden_size, bias=True)`: parameters `Wx` `(3H, in)`, `Wh` `(3H, H)`,
/// `b` `(3H)`, `bhn` `(H)`; gates ordered r, z, n.
#[derive(Debug, Clone)]
pub struct Gru {
    pub state: ModuleState,
    pub Wx: Tensor,
    pub Wh: Tensor,
    pub b: Option<Tensor>,
    pub bhn: Option<Tensor>,
    pub hidden_size: usize,
}
crate::module_fields!(Gru { param Wx, param Wh, opt_param b, opt_param bhn });
impl Gru {
    pub fn new(input_size: usize, hidden_size: usize, bias: bool) -> Result<Self> {
        let s = 1.0 / (hidden_size as f64).sqrt();
        let wx = u(&[3 * hidden_size, input_size], s)?;
        let wh = u(&[3 * hidden_size, hidden_size], s)?;
        let (b, bhn) = if bias { (Some(u(&[3 * hidden_size], s)?), Some(u(&[hidden_size], s)?)) } else { (None, None) };
        Ok(Gru { state: ModuleState::default(), Wx: wx, Wh: wh, b, bhn, hidden_size })
    }
    pub fn forward_hidden(&self, x: &Tensor, hidden: Option<&Tensor>) -> Result<Tensor> {
        check_input("GRU", x, self.Wx.shape().get(1).copied().unwrap_or(0))?;
        let hs = self.hidden_size as i64;
        let mut xp = mx::matmul(x, &t(&self.Wx)?)?;
        if let Some(b) = &self.b {
            xp = mx::add(&xp, b)?;
        }
        let nd = xp.ndim();
        let total = xp.shape()[nd - 1] as i64;
        let x_rz = slice_axis(&xp, nd - 1, 0, total - hs)?;
        let x_n = slice_axis(&xp, nd - 1, total - hs, total)?;
        let wh_t = t(&self.Wh)?;
        let mut h = hidden.cloned();
        let mut all = vec![];
        for i in 0..x.shape()[x.ndim() - 2] {
            let mut rz = step_of(&x_rz, i)?;
            let mut h_proj_n = None;
            if let Some(hp) = &h {
                let proj = mx::matmul(hp, &wh_t)?;
                let pd = proj.ndim();
                let mut pn = slice_axis(&proj, pd - 1, total - hs, total)?;
                if let Some(bhn) = &self.bhn {
                    pn = mx::add(&pn, bhn)?;
                }
                rz = mx::add(&rz, &slice_axis(&proj, pd - 1, 0, total - hs)?)?;
                h_proj_n = Some(pn);
            }
            let rz = mx::sigmoid(&rz)?;
            let parts = last_split(&rz, 2)?;
            let (r, z) = (&parts[0], &parts[1]);
            let mut n = step_of(&x_n, i)?;
            if let Some(pn) = &h_proj_n {
                n = mx::add(&n, &mx::multiply(r, pn)?)?;
            } else if let Some(bhn) = &self.bhn {
                n = mx::add(&n, &mx::multiply(r, bhn)?)?;
            }
            let n = mx::tanh(&n)?;
            let one_minus_z = mx::subtract(1.0, z)?;
            let nh = match &h {
                Some(hp) => mx::add(&mx::multiply(&one_minus_z, &n)?, &mx::multiply(z, hp)?)?,
                None => mx::multiply(&one_minus_z, &n)?,
            };
            all.push(nh.clone());
            h = Some(nh);
        }
        stack(&all)
    }
}
impl UnaryModule for Gru {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_hidden(x, None)
    }
}

/// `nn.LSTM(input_size, hidden_size, bias=True)`: `Wx` `(4H, in)`, `Wh` `(4H, H)`, `bias`
/// `(4H)`; gates ordered i, f, g, o. Returns (hidden states, cell states).
#[derive(Debug, Clone)]
pub struct Lstm {
    pub state: ModuleState,
    pub Wx: Tensor,
    pub Wh: Tensor,
    pub bias: Option<Tensor>,
}
crate::module_fields!(Lstm { param Wx, param Wh, opt_param bias });
impl Lstm {
    pub fn new(input_size: usize, hidden_size: usize, bias: bool) -> Result<Self> {
        let s = 1.0 / (hidden_size as f64).sqrt();
        let wx = u(&[4 * hidden_size, input_size], s)?;
        let wh = u(&[4 * hidden_size, hidden_size], s)?;
        let bias = if bias { Some(u(&[4 * hidden_size], s)?) } else { None };
        Ok(Lstm { state: ModuleState::default(), Wx: wx, Wh: wh, bias })
    }
    pub fn forward_state(&self, x: &Tensor, hidden: Option<&Tensor>, cell: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        check_input("LSTM", x, self.Wx.shape().get(1).copied().unwrap_or(0))?;
        let mut xp = mx::matmul(x, &t(&self.Wx)?)?;
        if let Some(b) = &self.bias {
            xp = mx::add(&xp, b)?;
        }
        let wh_t = t(&self.Wh)?;
        let (mut h, mut c) = (hidden.cloned(), cell.cloned());
        let (mut hs, mut cs) = (vec![], vec![]);
        for i in 0..x.shape()[x.ndim() - 2] {
            let mut ifgo = step_of(&xp, i)?;
            if let Some(hp) = &h {
                ifgo = mx::add(&ifgo, &mx::matmul(hp, &wh_t)?)?;
            }
            let p = last_split(&ifgo, 4)?;
            let (ig, fg, gg, og) = (mx::sigmoid(&p[0])?, mx::sigmoid(&p[1])?, mx::tanh(&p[2])?, mx::sigmoid(&p[3])?);
            let nc = match &c {
                Some(cp) => mx::add(&mx::multiply(&fg, cp)?, &mx::multiply(&ig, &gg)?)?,
                None => mx::multiply(&ig, &gg)?,
            };
            let nh = mx::multiply(&og, &mx::tanh(&nc)?)?;
            hs.push(nh.clone());
            cs.push(nc.clone());
            h = Some(nh);
            c = Some(nc);
        }
        Ok((stack(&hs)?, stack(&cs)?))
    }
}
