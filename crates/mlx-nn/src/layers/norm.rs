//! Normalization layers: `LayerNorm`, `RMSNorm`, `GroupNorm`, `BatchNorm`, `InstanceNorm`.
//! Features are on the last axis (MLX's channels-last convention).
//!
//! Invariant: `BatchNorm`'s running statistics are parameters that are always frozen (as in
//! MLX: `parameters()` lists them, `trainable_parameters()` does not, `unfreeze` keeps them
//! frozen); they are updated in training mode by the forward pass, so they live behind a mutex.

use std::sync::Mutex;

use mlx_core::{self as mx, Dtype, Error, Result, Tensor};

use crate::fast;
use crate::module::{Child, ChildMut, Module, ModuleState, UnaryModule};

/// `nn.LayerNorm(dims, eps=1e-5, affine=True, bias=True)`.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    pub state: ModuleState,
    pub weight: Option<Tensor>,
    pub bias: Option<Tensor>,
    pub eps: f64,
}
crate::module_fields!(LayerNorm { opt_param weight, opt_param bias });
impl LayerNorm {
    pub fn new(dims: usize, eps: f64, affine: bool, bias: bool) -> Result<Self> {
        let weight = if affine { Some(mx::ones(&[dims], Dtype::Float32)?) } else { None };
        let bias = if affine && bias { Some(mx::zeros(&[dims], Dtype::Float32)?) } else { None };
        Ok(LayerNorm { state: ModuleState::default(), weight, bias, eps })
    }
}
impl UnaryModule for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        fast::layer_norm(x, self.weight.as_ref(), self.bias.as_ref(), self.eps)
    }
}

/// `nn.RMSNorm(dims, eps=1e-5)`.
#[derive(Debug, Clone)]
pub struct RMSNorm {
    pub state: ModuleState,
    pub weight: Tensor,
    pub eps: f64,
}
crate::module_fields!(RMSNorm { param weight });
impl RMSNorm {
    pub fn new(dims: usize, eps: f64) -> Result<Self> {
        Ok(RMSNorm { state: ModuleState::default(), weight: mx::ones(&[dims], Dtype::Float32)?, eps })
    }
}
impl UnaryModule for RMSNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        fast::rms_norm(x, Some(&self.weight), self.eps)
    }
}

/// `nn.GroupNorm(num_groups, dims, eps=1e-5, affine=True, pytorch_compatible=False)`.
#[derive(Debug, Clone)]
pub struct GroupNorm {
    pub state: ModuleState,
    pub weight: Option<Tensor>,
    pub bias: Option<Tensor>,
    pub num_groups: usize,
    pub dims: usize,
    pub eps: f64,
    pub pytorch_compatible: bool,
}
crate::module_fields!(GroupNorm { opt_param weight, opt_param bias });
impl GroupNorm {
    pub fn new(num_groups: usize, dims: usize, eps: f64, affine: bool, pytorch_compatible: bool) -> Result<Self> {
        if num_groups == 0 || dims % num_groups != 0 {
            return Err(Error::invalid("GroupNorm", format!("The number of groups ({num_groups}) must divide dims ({dims}).")));
        }
        let (weight, bias) =
            if affine { (Some(mx::ones(&[dims], Dtype::Float32)?), Some(mx::zeros(&[dims], Dtype::Float32)?)) } else { (None, None) };
        Ok(GroupNorm { state: ModuleState::default(), weight, bias, num_groups, dims, eps, pytorch_compatible })
    }
}
impl UnaryModule for GroupNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let shape: Vec<i32> = x.shape().iter().map(|&d| d as i32).collect();
        if x.ndim() < 2 || x.shape()[x.ndim() - 1] != self.dims {
            return Err(Error::invalid("GroupNorm", format!("Expected input with last axis {}, got shape {:?}.", self.dims, x.shape())));
        }
        let (b, g) = (shape[0], self.num_groups as i32);
        let y = if self.pytorch_compatible {
            let gs = self.dims as i32 / g;
            let y = mx::reshape(x, &[b, -1, g, gs])?;
            let y = mx::reshape(&mx::transpose(&y, [0, 2, 1, 3])?, &[b, g, -1])?;
            let y = fast::layer_norm(&y, None, None, self.eps)?;
            let y = mx::transpose(&mx::reshape(&y, &[b, g, -1, gs])?, [0, 2, 1, 3])?;
            mx::reshape(&y, &shape)?
        } else {
            let y = mx::reshape(x, &[b, -1, g])?;
            let mean = mx::mean(&y, 1, true)?;
            let var = mx::var(&y, 1, true, 0)?;
            let y = mx::divide(&mx::subtract(&y, &mean)?, &mx::sqrt(&mx::add(&var, self.eps)?)?)?;
            mx::reshape(&y, &shape)?
        };
        match (&self.weight, &self.bias) {
            (Some(w), Some(bi)) => mx::add(&mx::multiply(w, &y)?, bi),
            _ => Ok(y),
        }
    }
}

/// `nn.InstanceNorm(dims, eps=1e-5, affine=False)`: normalizes each example and channel over
/// the spatial axes (all but the first and last).
#[derive(Debug, Clone)]
pub struct InstanceNorm {
    pub state: ModuleState,
    pub weight: Option<Tensor>,
    pub bias: Option<Tensor>,
    pub eps: f64,
}
crate::module_fields!(InstanceNorm { opt_param weight, opt_param bias });
impl InstanceNorm {
    pub fn new(dims: usize, eps: f64, affine: bool) -> Result<Self> {
        let (weight, bias) =
            if affine { (Some(mx::ones(&[dims], Dtype::Float32)?), Some(mx::zeros(&[dims], Dtype::Float32)?)) } else { (None, None) };
        Ok(InstanceNorm { state: ModuleState::default(), weight, bias, eps })
    }
}
impl UnaryModule for InstanceNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.ndim() < 3 {
            return Err(Error::invalid("InstanceNorm", format!("Expected at least 3 dimensions (N, ..., C), got shape {:?}.", x.shape())));
        }
        let axes: Vec<i32> = (1..x.ndim() as i32 - 1).collect();
        let mean = mx::mean(x, axes.clone(), true)?;
        let var = mx::var(x, axes, true, 0)?;
        let y = mx::divide(&mx::subtract(x, &mean)?, &mx::sqrt(&mx::add(&var, self.eps)?)?)?;
        match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => mx::add(&mx::multiply(w, &y)?, b),
            _ => Ok(y),
        }
    }
}

/// `nn.BatchNorm(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)`.
/// In training mode it normalizes with the batch statistics (over every axis but the last) and
/// updates `running_mean`/`running_var` (unbiased variance); in eval mode it uses them.
pub struct BatchNorm {
    pub state: ModuleState,
    pub weight: Option<Tensor>,
    pub bias: Option<Tensor>,
    running: Option<Mutex<(Tensor, Tensor)>>,
    pub eps: f64,
    pub momentum: f64,
}

impl BatchNorm {
    pub fn new(num_features: usize, eps: f64, momentum: f64, affine: bool, track_running_stats: bool) -> Result<Self> {
        let (weight, bias) = if affine {
            (Some(mx::ones(&[num_features], Dtype::Float32)?), Some(mx::zeros(&[num_features], Dtype::Float32)?))
        } else {
            (None, None)
        };
        let running = if track_running_stats {
            Some(Mutex::new((mx::zeros(&[num_features], Dtype::Float32)?, mx::ones(&[num_features], Dtype::Float32)?)))
        } else {
            None
        };
        let mut state = ModuleState::default();
        if running.is_some() {
            state.frozen.insert("running_mean".into());
            state.frozen.insert("running_var".into());
        }
        Ok(BatchNorm { state, weight, bias, running, eps, momentum })
    }
    /// `(running_mean, running_var)` when tracked.
    pub fn running_stats(&self) -> Option<(Tensor, Tensor)> {
        self.running.as_ref().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

impl Module for BatchNorm {
    fn visit(&self, f: &mut dyn FnMut(&str, Child<'_>)) {
        if let Some(w) = &self.weight {
            f("weight", Child::Param(w));
        }
        if let Some(b) = &self.bias {
            f("bias", Child::Param(b));
        }
        if let Some(m) = &self.running {
            let g = m.lock().unwrap_or_else(|e| e.into_inner());
            f("running_mean", Child::Param(&g.0));
            f("running_var", Child::Param(&g.1));
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, ChildMut<'_>)) {
        if let Some(w) = &mut self.weight {
            f("weight", ChildMut::Param(w));
        }
        if let Some(b) = &mut self.bias {
            f("bias", ChildMut::Param(b));
        }
        if let Some(m) = &mut self.running {
            let g = m.get_mut().unwrap_or_else(|e| e.into_inner());
            f("running_mean", ChildMut::Param(&mut g.0));
            f("running_var", ChildMut::Param(&mut g.1));
        }
    }
    fn state(&self) -> &ModuleState {
        &self.state
    }
    fn state_mut(&mut self) -> &mut ModuleState {
        &mut self.state
    }
    fn unfreeze(&mut self) {
        self.state.frozen.retain(|n| n == "running_mean" || n == "running_var");
    }
}

impl UnaryModule for BatchNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if !(2..=4).contains(&x.ndim()) {
            return Err(Error::invalid("BatchNorm", format!("Expected input with 2 to 4 dimensions, got shape {:?}.", x.shape())));
        }
        let axes: Vec<i32> = (0..x.ndim() as i32 - 1).collect();
        let mut mean = mx::mean(x, axes.clone(), false)?;
        let mut var = mx::var(x, axes.clone(), false, 0)?;
        if let Some(m) = &self.running {
            let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
            if self.state.training {
                let mu = self.momentum;
                let unbiased = mx::var(x, axes, false, 1)?;
                g.0 = mx::add(&mx::multiply(&g.0, 1.0 - mu)?, &mx::multiply(&mean, mu)?)?;
                g.1 = mx::add(&mx::multiply(&g.1, 1.0 - mu)?, &mx::multiply(&unbiased, mu)?)?;
            } else {
                mean = g.0.clone();
                var = g.1.clone();
            }
        }
        let y = mx::divide(&mx::subtract(x, &mean)?, &mx::sqrt(&mx::add(&var, self.eps)?)?)?;
        match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => mx::add(&mx::multiply(w, &y)?, b),
            _ => Ok(y),
        }
    }
}
