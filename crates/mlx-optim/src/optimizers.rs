//! The optimizers. Each is a struct of MLX's hyperparameters (same names and defaults) plus a
//! [`Base`] holding the step count, the learning rate (a constant or a [`Schedule`]) and the
//! per-parameter slots. An optimizer implements [`Rule`] (its `init_single`/`apply_single`,
//! MLX's formulas in MLX's order of operations); [`Optimizer`] is provided for every `Rule`.

use std::collections::BTreeMap;

use mlx_autograd::Tree;
use mlx_core::{self as mx, Axes, Dtype, Error, Result, Tensor};
use mlx_nn::Module;

use crate::schedulers::Schedule;

/// A learning rate: a constant or a schedule of the step.
#[derive(Clone)]
pub enum LearningRate {
    Constant(f64),
    Schedule(Schedule),
}
impl From<f64> for LearningRate {
    fn from(v: f64) -> Self {
        LearningRate::Constant(v)
    }
}
impl From<Schedule> for LearningRate {
    fn from(s: Schedule) -> Self {
        LearningRate::Schedule(s)
    }
}

/// The state every optimizer shares.
#[derive(Clone)]
pub struct Base {
    pub learning_rate: LearningRate,
    /// Updates done so far (MLX's `state["step"]`).
    pub step: u64,
    /// The learning rate of the last update (float32, as MLX stores it).
    pub current_lr: f64,
    /// Per parameter: slot name -> tensor.
    pub slots: BTreeMap<String, BTreeMap<String, Tensor>>,
    /// Whether `"learning_rate"` is part of the state (not for Adafactor without one, as MLX).
    pub lr_in_state: bool,
}

impl Base {
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        let learning_rate = learning_rate.into();
        let current_lr = match &learning_rate {
            LearningRate::Constant(v) => *v,
            LearningRate::Schedule(s) => s(0),
        };
        Base { learning_rate, step: 0, current_lr, slots: BTreeMap::new(), lr_in_state: true }
    }
}

/// What `apply_single` sees besides the parameter: the learning rate (a float32 0-d array, like
/// MLX's `self.learning_rate`) and the step count after this update's increment.
pub struct Ctx {
    pub lr: Tensor,
    pub step: u64,
}

/// One optimizer's update rule (MLX's `init_single` / `apply_single`).
pub trait Rule {
    fn base(&self) -> &Base;
    fn base_mut(&mut self) -> &mut Base;
    /// The slots a parameter starts with.
    fn init_single(&self, param: &Tensor) -> Result<BTreeMap<String, Tensor>>;
    /// The new parameter; updates `slots` in place.
    fn apply_single(&self, grad: &Tensor, param: &Tensor, slots: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor>;
}

/// An optimizer (MLX's `optim.Optimizer`).
pub trait Optimizer {
    /// Updated parameters for every gradient (`apply_gradients`); `params` must hold each name
    /// of `grads`.
    ///
    /// # Errors
    /// `[Optimizer.apply_gradients]` naming a gradient with no parameter or of another shape.
    fn apply_gradients(&mut self, grads: &Tree, params: &Tree) -> Result<Tree>;
    /// The state as a flat tree (see the crate docs for the names).
    fn state(&self) -> Tree;
    /// Restores a state from [`Optimizer::state`].
    ///
    /// # Errors
    /// `[Optimizer.set_state]` for an entry that is not `step`, `learning_rate` or `<param>.<slot>`.
    fn set_state(&mut self, state: &Tree) -> Result<()>;

    /// `optimizer.update(model, grads)`: applies the gradients to the model's parameters.
    fn update<M: Module + ?Sized>(&mut self, model: &mut M, grads: &Tree) -> Result<()>
    where
        Self: Sized,
    {
        let params = model.parameters();
        let new = self.apply_gradients(grads, &params)?;
        model.update(&new)
    }

    /// Saves the state to a safetensors file.
    fn save_state(&self, path: impl AsRef<std::path::Path>) -> Result<()>
    where
        Self: Sized,
    {
        let st = self.state();
        mlx_io::save_safetensors(path, st.iter().map(|(k, v)| (k.as_str(), v)), &BTreeMap::new())
    }
    /// Restores the state from a file written by [`Optimizer::save_state`].
    fn load_state(&mut self, path: impl AsRef<std::path::Path>) -> Result<()>
    where
        Self: Sized,
    {
        let (arrays, _) = mlx_io::load_safetensors(path)?;
        self.set_state(&arrays.into_iter().collect())
    }
}

impl<R: Rule> Optimizer for R {
    fn apply_gradients(&mut self, grads: &Tree, params: &Tree) -> Result<Tree> {
        let op = "Optimizer.apply_gradients";
        for (name, g) in grads {
            match params.get(name) {
                None => return Err(Error::invalid(op, format!("No parameter named \"{name}\" for its gradient."))),
                Some(p) if p.shape() != g.shape() => {
                    return Err(Error::invalid(
                        op,
                        format!("Gradient of \"{name}\" has shape {:?} but the parameter has shape {:?}.", g.shape(), p.shape()),
                    ))
                }
                _ => {}
            }
        }
        // MLX: schedules see the step before the increment; the update sees step + 1.
        let lr = match &self.base().learning_rate {
            LearningRate::Constant(v) => *v,
            LearningRate::Schedule(s) => s(self.base().step),
        };
        let lr32 = lr as f32;
        let step = self.base().step + 1;
        let ctx = Ctx { lr: Tensor::scalar(lr32), step };
        let mut slots = std::mem::take(&mut self.base_mut().slots);
        let mut out = Tree::new();
        let mut result = Ok(());
        for (name, g) in grads {
            let p = &params[name];
            let entry = match slots.get_mut(name) {
                Some(e) => e,
                None => match self.init_single(p) {
                    Ok(init) => slots.entry(name.clone()).or_insert(init),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                },
            };
            match self.apply_single(g, p, entry, &ctx) {
                Ok(np) => {
                    out.insert(name.clone(), np);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let base = self.base_mut();
        base.slots = slots;
        result?;
        base.step = step;
        base.current_lr = lr32 as f64;
        Ok(out)
    }

    fn state(&self) -> Tree {
        let b = self.base();
        let mut t = Tree::new();
        t.insert("step".into(), Tensor::scalar(b.step));
        if b.lr_in_state {
            t.insert("learning_rate".into(), Tensor::scalar(b.current_lr as f32));
        }
        for (p, slots) in &b.slots {
            for (s, v) in slots {
                t.insert(format!("{p}.{s}"), v.clone());
            }
        }
        t
    }

    fn set_state(&mut self, state: &Tree) -> Result<()> {
        let op = "Optimizer.set_state";
        let mut slots: BTreeMap<String, BTreeMap<String, Tensor>> = BTreeMap::new();
        let (mut step, mut lr) = (self.base().step, self.base().current_lr);
        for (k, v) in state {
            match k.as_str() {
                "step" => step = mx::astype(v, Dtype::Uint64)?.item::<u64>()?,
                "learning_rate" => lr = mx::astype(v, Dtype::Float64)?.item::<f64>()?,
                _ => {
                    let (p, s) = k.rsplit_once('.').ok_or_else(|| Error::invalid(op, format!("Unexpected state entry \"{k}\".")))?;
                    slots.entry(p.to_string()).or_default().insert(s.to_string(), v.clone());
                }
            }
        }
        let b = self.base_mut();
        b.step = step;
        b.current_lr = lr;
        b.slots = slots;
        Ok(())
    }
}

pub(crate) fn zeros_slots(param: &Tensor, names: &[&str]) -> Result<BTreeMap<String, Tensor>> {
    names.iter().map(|n| Ok((n.to_string(), mx::zeros_like(param)?))).collect()
}

pub(crate) fn lr_of(ctx: &Ctx, g: &Tensor) -> Result<Tensor> {
    mx::astype(&ctx.lr, g.dtype())
}

pub(crate) fn slot(slots: &BTreeMap<String, Tensor>, name: &str) -> Result<Tensor> {
    slots.get(name).cloned().ok_or_else(|| Error::invalid("Optimizer", format!("Missing optimizer state \"{name}\".")))
}

macro_rules! rule_base {
    () => {
        fn base(&self) -> &Base {
            &self.base
        }
        fn base_mut(&mut self) -> &mut Base {
            &mut self.base
        }
    };
}

/// `optim.SGD(learning_rate, momentum=0, weight_decay=0, dampening=0, nesterov=False)`.
#[derive(Clone)]
pub struct Sgd {
    pub base: Base,
    pub momentum: f64,
    pub weight_decay: f64,
    pub dampening: f64,
    pub nesterov: bool,
}
impl Sgd {
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Sgd { base: Base::new(learning_rate), momentum: 0.0, weight_decay: 0.0, dampening: 0.0, nesterov: false }
    }
    /// All hyperparameters.
    ///
    /// # Errors
    /// `[SGD]` for nesterov without momentum or with dampening, as MLX.
    pub fn with(learning_rate: impl Into<LearningRate>, momentum: f64, weight_decay: f64, dampening: f64, nesterov: bool) -> Result<Self> {
        if nesterov && (momentum <= 0.0 || dampening != 0.0) {
            return Err(Error::invalid("SGD", "Nesterov momentum requires a momentum and zero dampening."));
        }
        Ok(Sgd { base: Base::new(learning_rate), momentum, weight_decay, dampening, nesterov })
    }
}
impl Rule for Sgd {
    rule_base!();
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        zeros_slots(p, &["v"])
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        let mut g = g.clone();
        if self.weight_decay != 0.0 {
            g = mx::add(&g, &mx::multiply(p, self.weight_decay)?)?;
        }
        let lr = lr_of(ctx, &g)?;
        if self.momentum <= 0.0 {
            return mx::subtract(p, &mx::multiply(&lr, &g)?);
        }
        let mut v = mx::multiply(&slot(s, "v")?, self.momentum)?;
        v = if self.dampening > 0.0 { mx::add(&v, &mx::multiply(&g, 1.0 - self.dampening)?)? } else { mx::add(&v, &g)? };
        let update = if self.nesterov { mx::add(&g, &mx::multiply(&v, self.momentum)?)? } else { v.clone() };
        s.insert("v".into(), v);
        mx::subtract(p, &mx::multiply(&lr, &update)?)
    }
}

/// `optim.RMSprop(learning_rate, alpha=0.99, eps=1e-8)`.
#[derive(Clone)]
pub struct RmsProp {
    pub base: Base,
    pub alpha: f64,
    pub eps: f64,
}
impl RmsProp {
    pub fn new(learning_rate: impl Into<LearningRate>, alpha: f64, eps: f64) -> Self {
        RmsProp { base: Base::new(learning_rate), alpha, eps }
    }
}
impl Rule for RmsProp {
    rule_base!();
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        zeros_slots(p, &["v"])
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        let lr = lr_of(ctx, g)?;
        let v = mx::add(&mx::multiply(&slot(s, "v")?, self.alpha)?, &mx::multiply(&mx::square(g)?, 1.0 - self.alpha)?)?;
        s.insert("v".into(), v.clone());
        mx::subtract(p, &mx::divide(&mx::multiply(&lr, g)?, &mx::add(&mx::sqrt(&v)?, self.eps)?)?)
    }
}

/// `optim.Adagrad(learning_rate, eps=1e-8)`.
#[derive(Clone)]
pub struct Adagrad {
    pub base: Base,
    pub eps: f64,
}
impl Adagrad {
    pub fn new(learning_rate: impl Into<LearningRate>, eps: f64) -> Self {
        Adagrad { base: Base::new(learning_rate), eps }
    }
}
impl Rule for Adagrad {
    rule_base!();
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        zeros_slots(p, &["v"])
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        let lr = lr_of(ctx, g)?;
        let v = mx::add(&slot(s, "v")?, &mx::square(g)?)?;
        s.insert("v".into(), v.clone());
        mx::subtract(p, &mx::divide(&mx::multiply(&lr, g)?, &mx::add(&mx::sqrt(&v)?, self.eps)?)?)
    }
}

/// `optim.AdaDelta(learning_rate, rho=0.9, eps=1e-6)`.
#[derive(Clone)]
pub struct AdaDelta {
    pub base: Base,
    pub rho: f64,
    pub eps: f64,
}
impl AdaDelta {
    pub fn new(learning_rate: impl Into<LearningRate>, rho: f64, eps: f64) -> Self {
        AdaDelta { base: Base::new(learning_rate), rho, eps }
    }
}
impl Rule for AdaDelta {
    rule_base!();
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        zeros_slots(p, &["u", "v"])
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        let lr = lr_of(ctx, g)?;
        let (rho, eps) = (self.rho, self.eps);
        let v = mx::add(&mx::multiply(&slot(s, "v")?, rho)?, &mx::multiply(&mx::square(g)?, 1.0 - rho)?)?;
        let u = slot(s, "u")?;
        let d = mx::multiply(&mx::divide(&mx::sqrt(&mx::add(&u, eps)?)?, &mx::sqrt(&mx::add(&v, eps)?)?)?, g)?;
        let u = mx::add(&mx::multiply(&u, rho)?, &mx::multiply(&mx::square(&d)?, 1.0 - rho)?)?;
        s.insert("v".into(), v);
        s.insert("u".into(), u);
        mx::subtract(p, &mx::multiply(&lr, &d)?)
    }
}

/// `optim.Adam(learning_rate, betas=[0.9, 0.999], eps=1e-8, bias_correction=False)`.
#[derive(Clone)]
pub struct Adam {
    pub base: Base,
    pub betas: (f64, f64),
    pub eps: f64,
    pub bias_correction: bool,
}
impl Adam {
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Adam { base: Base::new(learning_rate), betas: (0.9, 0.999), eps: 1e-8, bias_correction: false }
    }
}

fn adam_step(betas: (f64, f64), eps: f64, bias_correction: bool, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
    let lr = lr_of(ctx, g)?;
    let (b1, b2) = betas;
    let m = mx::add(&mx::multiply(&slot(s, "m")?, b1)?, &mx::multiply(g, 1.0 - b1)?)?;
    let v = mx::add(&mx::multiply(&slot(s, "v")?, b2)?, &mx::multiply(&mx::square(g)?, 1.0 - b2)?)?;
    s.insert("m".into(), m.clone());
    s.insert("v".into(), v.clone());
    if bias_correction {
        let step = ctx.step as i32;
        let c1 = mx::astype(&mx::divide(&lr, 1.0 - (b1 as f32).powi(step) as f64)?, g.dtype())?;
        let c2 = (1.0 / (1.0 - (b2 as f32).powi(step)).sqrt()) as f64;
        let num = mx::multiply(&c1, &m)?;
        let den = mx::add(&mx::multiply(&mx::sqrt(&v)?, c2)?, eps)?;
        mx::subtract(p, &mx::divide(&num, &den)?)
    } else {
        mx::subtract(p, &mx::divide(&mx::multiply(&lr, &m)?, &mx::add(&mx::sqrt(&v)?, eps)?)?)
    }
}

impl Rule for Adam {
    rule_base!();
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        zeros_slots(p, &["m", "v"])
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        adam_step(self.betas, self.eps, self.bias_correction, g, p, s, ctx)
    }
}

/// `optim.AdamW(learning_rate, betas=[0.9, 0.999], eps=1e-8, weight_decay=0.01)`: Adam on
/// `param * (1 - lr * weight_decay)`.
#[derive(Clone)]
pub struct AdamW {
    pub base: Base,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    pub bias_correction: bool,
}
impl AdamW {
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        AdamW { base: Base::new(learning_rate), betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.01, bias_correction: false }
    }
}
impl Rule for AdamW {
    rule_base!();
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        zeros_slots(p, &["m", "v"])
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        let lr = lr_of(ctx, g)?;
        let decayed = mx::multiply(p, &mx::subtract(1.0, &mx::multiply(&lr, self.weight_decay)?)?)?;
        adam_step(self.betas, self.eps, self.bias_correction, g, &decayed, s, ctx)
    }
}

/// `optim.Adamax(learning_rate, betas=[0.9, 0.999], eps=1e-8)`.
#[derive(Clone)]
pub struct Adamax {
    pub base: Base,
    pub betas: (f64, f64),
    pub eps: f64,
}
impl Adamax {
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Adamax { base: Base::new(learning_rate), betas: (0.9, 0.999), eps: 1e-8 }
    }
}
impl Rule for Adamax {
    rule_base!();
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        zeros_slots(p, &["m", "v"])
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        let lr = lr_of(ctx, g)?;
        let (b1, b2) = self.betas;
        let m = mx::add(&mx::multiply(&slot(s, "m")?, b1)?, &mx::multiply(g, 1.0 - b1)?)?;
        let v = mx::maximum(&mx::multiply(&slot(s, "v")?, b2)?, &mx::abs(g)?)?;
        s.insert("m".into(), m.clone());
        s.insert("v".into(), v.clone());
        mx::subtract(p, &mx::divide(&mx::multiply(&lr, &m)?, &mx::add(&v, self.eps)?)?)
    }
}

/// `optim.Lion(learning_rate, betas=[0.9, 0.99], weight_decay=0.0)`.
#[derive(Clone)]
pub struct Lion {
    pub base: Base,
    pub betas: (f64, f64),
    pub weight_decay: f64,
}
impl Lion {
    pub fn new(learning_rate: impl Into<LearningRate>) -> Self {
        Lion { base: Base::new(learning_rate), betas: (0.9, 0.99), weight_decay: 0.0 }
    }
}
impl Rule for Lion {
    rule_base!();
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        zeros_slots(p, &["m"])
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        let lr = lr_of(ctx, g)?;
        let (b1, b2) = self.betas;
        let m = slot(s, "m")?;
        let c = mx::add(&mx::multiply(&m, b1)?, &mx::multiply(g, 1.0 - b1)?)?;
        s.insert("m".into(), mx::add(&mx::multiply(&m, b2)?, &mx::multiply(g, 1.0 - b2)?)?);
        let mut p = p.clone();
        if self.weight_decay > 0.0 {
            p = mx::multiply(&mx::subtract(1.0, &mx::multiply(&lr, self.weight_decay)?)?, &p)?;
        }
        let sign = mx::subtract(&mx::astype(&mx::greater(&c, 0.0)?, c.dtype())?, &mx::astype(&mx::less(&c, 0.0)?, c.dtype())?)?;
        mx::subtract(&p, &mx::multiply(&lr, &sign)?)
    }
}

/// `optim.Adafactor(learning_rate=None, eps=(1e-30, 1e-3), clip_threshold=1.0,
/// decay_rate=-0.8, beta_1=None, weight_decay=0.0, scale_parameter=True, relative_step=True,
/// warmup_init=False)`. With `relative_step` the learning rate is not used.
#[derive(Clone)]
pub struct Adafactor {
    pub base: Base,
    pub eps: (f64, f64),
    pub clip_threshold: f64,
    pub decay_rate: f64,
    pub beta_1: Option<f64>,
    pub weight_decay: f64,
    pub scale_parameter: bool,
    pub relative_step: bool,
    pub warmup_init: bool,
}
impl Adafactor {
    /// With MLX's defaults (no learning rate: relative steps). Set `base = Base::new(lr)` and
    /// `relative_step = false` for a fixed learning rate.
    pub fn new() -> Self {
        let mut base = Base::new(0.0);
        base.lr_in_state = false;
        Adafactor {
            base,
            eps: (1e-30, 1e-3),
            clip_threshold: 1.0,
            decay_rate: -0.8,
            beta_1: None,
            weight_decay: 0.0,
            scale_parameter: true,
            relative_step: true,
            warmup_init: false,
        }
    }
}
impl Default for Adafactor {
    fn default() -> Self {
        Adafactor::new()
    }
}

fn rms(x: &Tensor) -> Result<Tensor> {
    mx::sqrt(&mx::mean(&mx::square(x)?, Axes::All, false)?)
}

impl Rule for Adafactor {
    rule_base!();
    fn init_single(&self, p: &Tensor) -> Result<BTreeMap<String, Tensor>> {
        let mut s = BTreeMap::new();
        let sh = p.shape();
        if p.ndim() >= 2 {
            s.insert("exp_avg_sq_row".into(), mx::zeros(&sh[..sh.len() - 1], p.dtype())?);
            let mut col = sh[..sh.len() - 2].to_vec();
            col.push(sh[sh.len() - 1]);
            s.insert("exp_avg_sq_col".into(), mx::zeros(&col, p.dtype())?);
        } else {
            s.insert("exp_avg_sq".into(), mx::zeros_like(p)?);
        }
        if self.beta_1.is_some() {
            s.insert("exp_avg".into(), mx::zeros_like(p)?);
        }
        Ok(s)
    }
    fn apply_single(&self, g: &Tensor, p: &Tensor, s: &mut BTreeMap<String, Tensor>, ctx: &Ctx) -> Result<Tensor> {
        let step = ctx.step as f32;
        let p_rms = rms(p)?;
        let rel = if self.relative_step {
            let min_step = if self.warmup_init { 1e-6 * step } else { 1e-2 };
            Tensor::scalar(min_step.min(1.0 / step.sqrt()))
        } else {
            ctx.lr.clone()
        };
        let rel = mx::astype(&rel, p_rms.dtype())?;
        let lr = if self.scale_parameter { mx::multiply(&mx::maximum(&p_rms, self.eps.1)?, &rel)? } else { rel };
        let beta_2 = 1.0 - step.powf(self.decay_rate as f32);
        let beta_2 = beta_2 as f64;
        let upd0 = mx::add(&mx::square(g)?, self.eps.0)?;
        let mut update = if g.ndim() >= 2 {
            let row = mx::add(&mx::multiply(&slot(s, "exp_avg_sq_row")?, beta_2)?, &mx::multiply(&mx::mean(&upd0, -1, false)?, 1.0 - beta_2)?)?;
            let col = mx::add(&mx::multiply(&slot(s, "exp_avg_sq_col")?, beta_2)?, &mx::multiply(&mx::mean(&upd0, -2, false)?, 1.0 - beta_2)?)?;
            s.insert("exp_avg_sq_row".into(), row.clone());
            s.insert("exp_avg_sq_col".into(), col.clone());
            let r = mx::divide(1.0, &mx::sqrt(&mx::divide(&row, &mx::mean(&row, -1, true)?)?)?)?;
            let c = mx::divide(1.0, &mx::sqrt(&col)?)?;
            mx::multiply(&mx::multiply(&mx::expand_dims(&r, -1)?, &mx::expand_dims(&c, -2)?)?, g)?
        } else {
            let v = mx::add(&mx::multiply(&slot(s, "exp_avg_sq")?, beta_2)?, &mx::multiply(&upd0, 1.0 - beta_2)?)?;
            s.insert("exp_avg_sq".into(), v.clone());
            mx::multiply(&mx::divide(1.0, &mx::sqrt(&v)?)?, g)?
        };
        update = mx::divide(&update, &mx::maximum(&mx::divide(&rms(&update)?, self.clip_threshold)?, 1.0)?)?;
        update = mx::multiply(&lr, &update)?;
        if let Some(b1) = self.beta_1 {
            let ea = mx::add(&mx::multiply(&slot(s, "exp_avg")?, b1)?, &mx::multiply(&update, 1.0 - b1)?)?;
            s.insert("exp_avg".into(), ea.clone());
            update = ea;
        }
        let mut p = p.clone();
        if self.weight_decay != 0.0 {
            p = mx::add(&p, &mx::multiply(&p, &mx::multiply(&lr, -self.weight_decay)?)?)?;
        }
        mx::subtract(&p, &update)
    }
}

/// A predicate choosing the parameters an optimizer of a [`MultiOptimizer`] handles.
pub type Filter = Box<dyn Fn(&str, &Tensor) -> bool + Send + Sync>;

/// `optim.MultiOptimizer(optimizers, filters)`: each gradient goes to the first optimizer
/// whose filter accepts it; the last optimizer takes the rest. State entries are prefixed
/// `states.<i>.`.
pub struct MultiOptimizer {
    pub optimizers: Vec<Box<dyn DynOptimizer>>,
    pub filters: Vec<Filter>,
}

/// Object-safe optimizer (what [`MultiOptimizer`] holds); every [`Optimizer`] is one.
pub trait DynOptimizer {
    fn apply_gradients_dyn(&mut self, grads: &Tree, params: &Tree) -> Result<Tree>;
    fn state_dyn(&self) -> Tree;
    fn set_state_dyn(&mut self, state: &Tree) -> Result<()>;
}
impl<O: Optimizer> DynOptimizer for O {
    fn apply_gradients_dyn(&mut self, grads: &Tree, params: &Tree) -> Result<Tree> {
        self.apply_gradients(grads, params)
    }
    fn state_dyn(&self) -> Tree {
        self.state()
    }
    fn set_state_dyn(&mut self, state: &Tree) -> Result<()> {
        self.set_state(state)
    }
}

impl MultiOptimizer {
    /// # Errors
    /// `[MultiOptimizer]` unless there is exactly one filter fewer than optimizers.
    pub fn new(optimizers: Vec<Box<dyn DynOptimizer>>, filters: Vec<Filter>) -> Result<Self> {
        if optimizers.is_empty() || filters.len() + 1 != optimizers.len() {
            return Err(Error::invalid("MultiOptimizer", format!("Given {} filters but {} needed.", filters.len(), optimizers.len().saturating_sub(1))));
        }
        Ok(MultiOptimizer { optimizers, filters })
    }
}

impl Optimizer for MultiOptimizer {
    fn apply_gradients(&mut self, grads: &Tree, params: &Tree) -> Result<Tree> {
        let n = self.optimizers.len();
        let mut parts = vec![Tree::new(); n];
        for (k, g) in grads {
            let i = self.filters.iter().position(|f| f(k, g)).unwrap_or(n - 1);
            parts[i].insert(k.clone(), g.clone());
        }
        let mut out = Tree::new();
        for (o, part) in self.optimizers.iter_mut().zip(&parts) {
            if !part.is_empty() {
                out.extend(o.apply_gradients_dyn(part, params)?);
            }
        }
        Ok(out)
    }
    fn state(&self) -> Tree {
        let mut t = Tree::new();
        for (i, o) in self.optimizers.iter().enumerate() {
            for (k, v) in o.state_dyn() {
                t.insert(format!("states.{i}.{k}"), v);
            }
        }
        t
    }
    fn set_state(&mut self, state: &Tree) -> Result<()> {
        let n = self.optimizers.len();
        let mut parts = vec![Tree::new(); n];
        for (k, v) in state {
            let rest = k.strip_prefix("states.").and_then(|r| r.split_once('.'));
            match rest.and_then(|(i, key)| i.parse::<usize>().ok().filter(|&i| i < n).map(|i| (i, key))) {
                Some((i, key)) => {
                    parts[i].insert(key.to_string(), v.clone());
                }
                None => return Err(Error::invalid("Optimizer.set_state", format!("Unexpected state entry \"{k}\"."))),
            }
        }
        for (o, p) in self.optimizers.iter_mut().zip(&parts) {
            o.set_state_dyn(p)?;
        }
        Ok(())
    }
}

/// Rescales the gradients so their global L2 norm is at most `max_norm`
/// (`optim.clip_grad_norm`); returns them with the norm before clipping.
///
/// # Errors
/// `[clip_grad_norm]` for a negative `max_norm`.
pub fn clip_grad_norm(grads: &Tree, max_norm: f64) -> Result<(Tree, Tensor)> {
    if max_norm < 0.0 {
        return Err(Error::invalid("clip_grad_norm", format!("max_norm should be >=0, {max_norm} was provided instead")));
    }
    let mut total: Option<Tensor> = None;
    for g in grads.values() {
        let g32 = if g.dtype() == Dtype::Float16 { mx::astype(g, Dtype::Float32)? } else { g.clone() };
        let sq = mx::sum(&mx::square(&g32)?, Axes::All, false)?;
        total = Some(match total {
            Some(t) => mx::add(&t, &sq)?,
            None => sq,
        });
    }
    let norm = mx::sqrt(&total.unwrap_or(Tensor::scalar(0.0f32)))?;
    let normalizer = mx::minimum(&mx::divide(max_norm, &mx::add(&norm, 1e-6)?)?, 1.0)?;
    let out = grads
        .iter()
        .map(|(k, g)| Ok((k.clone(), mx::astype(&mx::multiply(g, &normalizer)?, g.dtype())?)))
        .collect::<Result<Tree>>()?;
    Ok((out, norm))
}
