//! The [`Module`] abstraction: a module's parameters form a flat named tree
//! (`"layers.0.weight"`, the names MLX's `tree_flatten` and safetensors files use).
//!
//! A module declares its fields once, with [`module_fields!`](crate::module_fields), which
//! writes the two visitors ([`Module::visit`] / [`Module::visit_mut`]) every other operation is
//! built from: `parameters`, `trainable_parameters`, `update`, `freeze`/`unfreeze`,
//! `train`/`eval`, `apply`, `set_dtype`, `load_weights`/`save_weights`. A derive macro would
//! need a proc-macro crate; the declarative macro keeps the declaration to one line per module.
//!
//! Invariants:
//! - Names are the field names joined by `.`; the elements of a list of modules are numbered
//!   (`layers.0`), like MLX.
//! - Each module keeps its own [`ModuleState`]: the training flag and the set of its frozen
//!   parameter names (local names). `trainable_parameters` is `parameters` minus frozen ones.
//! - Operations taking names (`update`, `freeze_params`, `load_weights`) reject unknown names
//!   with an error naming the parameter; they never panic.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mlx_autograd::Tree;
use mlx_core::{Dtype, Error, Result, Tensor};

/// A module's own bookkeeping: training mode and which of its parameters are frozen.
#[derive(Debug, Clone)]
pub struct ModuleState {
    pub training: bool,
    pub frozen: BTreeSet<String>,
}

impl Default for ModuleState {
    fn default() -> Self {
        ModuleState { training: true, frozen: BTreeSet::new() }
    }
}

/// One field seen by [`Module::visit`].
pub enum Child<'a> {
    Param(&'a Tensor),
    Module(&'a dyn Module),
}

/// One field seen by [`Module::visit_mut`].
pub enum ChildMut<'a> {
    Param(&'a mut Tensor),
    Module(&'a mut dyn Module),
}

/// A neural-network module (MLX's `nn.Module`). Implement it with
/// [`module_fields!`](crate::module_fields); every other method is provided.
pub trait Module {
    /// Calls `f` with each direct parameter and submodule and its local name.
    fn visit(&self, f: &mut dyn FnMut(&str, Child<'_>));
    /// Calls `f` with mutable access to each direct parameter and submodule.
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, ChildMut<'_>));
    fn state(&self) -> &ModuleState;
    fn state_mut(&mut self) -> &mut ModuleState;

    /// Every parameter by full name (`mlx.utils.tree_flatten(model.parameters())`).
    fn parameters(&self) -> Tree {
        let mut out = Tree::new();
        walk(self, "", &mut |name, t, _| {
            out.insert(name.to_string(), t.clone());
        });
        out
    }

    /// The parameters that are not frozen (what optimizers update).
    fn trainable_parameters(&self) -> Tree {
        let mut out = Tree::new();
        walk(self, "", &mut |name, t, frozen| {
            if !frozen {
                out.insert(name.to_string(), t.clone());
            }
        });
        out
    }

    /// Replaces the parameters named in `tree` (`model.update(tree)`, strict).
    ///
    /// # Errors
    /// `[Module.update]` naming the first entry that is not a parameter of this module.
    fn update(&mut self, tree: &Tree) -> Result<()> {
        let mut seen = BTreeSet::new();
        walk_mut(self, "", &mut |name, t| {
            if let Some(v) = tree.get(name) {
                *t = v.clone();
                seen.insert(name.to_string());
            }
            Ok(())
        })?;
        unknown_name("Module.update", tree.keys(), &seen)
    }

    /// Freezes every parameter (recursively).
    fn freeze(&mut self) {
        set_frozen(self, None, true);
    }
    /// Unfreezes every parameter (recursively).
    fn unfreeze(&mut self) {
        set_frozen(self, None, false);
    }
    /// Freezes the named parameters (full names, `"layers.0.bias"`).
    ///
    /// # Errors
    /// `[Module.freeze]` naming a parameter this module does not have (nothing is changed).
    fn freeze_params(&mut self, names: &[&str]) -> Result<()> {
        check_names("Module.freeze", &self.parameters(), names)?;
        set_frozen(self, Some(names), true);
        Ok(())
    }
    /// Unfreezes the named parameters.
    ///
    /// # Errors
    /// `[Module.unfreeze]` naming a parameter this module does not have.
    fn unfreeze_params(&mut self, names: &[&str]) -> Result<()> {
        check_names("Module.unfreeze", &self.parameters(), names)?;
        set_frozen(self, Some(names), false);
        Ok(())
    }

    /// Training mode (dropout active, batch norm updates its running statistics).
    fn train(&mut self, mode: bool) {
        set_training(self, mode);
    }
    /// Evaluation mode: `train(false)`.
    fn eval(&mut self) {
        set_training(self, false);
    }
    fn training(&self) -> bool {
        self.state().training
    }

    /// Replaces every parameter `p` named `name` with `f(name, p)` (`model.apply`).
    fn apply(&mut self, f: &mut dyn FnMut(&str, &Tensor) -> Result<Tensor>) -> Result<()> {
        walk_mut(self, "", &mut |name, t| {
            *t = f(name, t)?;
            Ok(())
        })
    }

    /// Casts the floating-point parameters to `dtype` (`model.set_dtype`; integer buffers stay).
    fn set_dtype(&mut self, dtype: Dtype) -> Result<()> {
        self.apply(&mut |_, t| if t.dtype().is_floating() { mlx_core::astype(t, dtype) } else { Ok(t.clone()) })
    }

    /// Number of parameter elements.
    fn num_parameters(&self) -> usize {
        self.parameters().values().map(|t| t.size()).sum()
    }

    /// Loads parameters from a safetensors file (`model.load_weights(path, strict)`): with
    /// `strict`, every parameter must be present and no extra entry may exist; shapes must
    /// always match.
    ///
    /// # Errors
    /// `[Module.load_weights]` naming the missing, unexpected or mis-shaped parameter.
    fn load_weights(&mut self, path: impl AsRef<Path>, strict: bool) -> Result<()>
    where
        Self: Sized,
    {
        let (arrays, _) = mlx_io::load_safetensors(path)?;
        let tree: Tree = arrays.into_iter().collect();
        load_tree(self, &tree, strict)
    }

    /// Saves every parameter to a safetensors file (`model.save_weights`).
    fn save_weights(&self, path: impl AsRef<Path>) -> Result<()>
    where
        Self: Sized,
    {
        let params = self.parameters();
        mlx_io::save_safetensors(path, params.iter().map(|(k, v)| (k.as_str(), v)), &BTreeMap::new())
    }
}

/// A module with one input and one output (what [`crate::Sequential`] chains).
pub trait UnaryModule: Module + Send + Sync {
    fn forward(&self, x: &Tensor) -> Result<Tensor>;
}

/// Loads `tree` into `module` with `load_weights`' checks (shapes always; completeness when
/// `strict`).
pub fn load_tree<M: Module + ?Sized>(module: &mut M, tree: &Tree, strict: bool) -> Result<()> {
    let op = "Module.load_weights";
    let params = module.parameters();
    for (name, p) in &params {
        match tree.get(name) {
            Some(v) if v.shape() != p.shape() => {
                return Err(Error::invalid(
                    op,
                    format!("Expected shape {:?} but received shape {:?} for parameter \"{name}\".", p.shape(), v.shape()),
                ))
            }
            None if strict => return Err(Error::invalid(op, format!("Missing parameter \"{name}\"."))),
            _ => {}
        }
    }
    if strict {
        if let Some(extra) = tree.keys().find(|k| !params.contains_key(*k)) {
            return Err(Error::invalid(op, format!("Received parameter \"{extra}\" not in model.")));
        }
    }
    let known: Tree = tree.iter().filter(|(k, _)| params.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
    module.update(&known)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Depth-first over every parameter: (full name, tensor, frozen).
pub(crate) fn walk<M: Module + ?Sized>(m: &M, prefix: &str, f: &mut dyn FnMut(&str, &Tensor, bool)) {
    let frozen = &m.state().frozen;
    m.visit(&mut |name, child| match child {
        Child::Param(t) => f(&join(prefix, name), t, frozen.contains(name)),
        Child::Module(sub) => walk(sub, &join(prefix, name), f),
    });
}

/// Depth-first over every parameter with mutable access; stops at the first error.
pub(crate) fn walk_mut<M: Module + ?Sized>(
    m: &mut M,
    prefix: &str,
    f: &mut dyn FnMut(&str, &mut Tensor) -> Result<()>,
) -> Result<()> {
    let mut result = Ok(());
    m.visit_mut(&mut |name, child| {
        if result.is_err() {
            return;
        }
        result = match child {
            ChildMut::Param(t) => f(&join(prefix, name), t),
            ChildMut::Module(sub) => walk_mut(sub, &join(prefix, name), f),
        };
    });
    result
}

fn set_frozen<M: Module + ?Sized>(m: &mut M, names: Option<&[&str]>, frozen: bool) {
    fn go(m: &mut dyn Module, prefix: &str, names: Option<&[&str]>, frozen: bool) {
        let mut locals = vec![];
        m.visit_mut(&mut |name, child| match child {
            ChildMut::Param(_) => {
                let full = join(prefix, name);
                if names.is_none_or(|ns| ns.contains(&full.as_str())) {
                    locals.push(name.to_string());
                }
            }
            ChildMut::Module(sub) => go(sub, &join(prefix, name), names, frozen),
        });
        let set = &mut m.state_mut().frozen;
        for l in locals {
            if frozen {
                set.insert(l);
            } else {
                set.remove(&l);
            }
        }
    }
    // The top level may be unsized; handle it like `go` does.
    let mut locals = vec![];
    m.visit_mut(&mut |name, child| match child {
        ChildMut::Param(_) => {
            if names.is_none_or(|ns| ns.contains(&name)) {
                locals.push(name.to_string());
            }
        }
        ChildMut::Module(sub) => go(sub, name, names, frozen),
    });
    let set = &mut m.state_mut().frozen;
    for l in locals {
        if frozen {
            set.insert(l);
        } else {
            set.remove(&l);
        }
    }
}

fn set_training<M: Module + ?Sized>(m: &mut M, mode: bool) {
    m.state_mut().training = mode;
    m.visit_mut(&mut |_, child| {
        if let ChildMut::Module(sub) = child {
            set_training(sub, mode);
        }
    });
}

fn check_names(op: &str, params: &Tree, names: &[&str]) -> Result<()> {
    match names.iter().find(|n| !params.contains_key(**n)) {
        Some(n) => Err(Error::invalid(op, format!("Module has no parameter named \"{n}\"."))),
        None => Ok(()),
    }
}

fn unknown_name<'a>(op: &str, mut names: impl Iterator<Item = &'a String>, seen: &BTreeSet<String>) -> Result<()> {
    match names.find(|n| !seen.contains(*n)) {
        Some(n) => Err(Error::invalid(op, format!("Module has no parameter named \"{n}\"."))),
        None => Ok(()),
    }
}

/// `nn.value_and_grad(model, loss_fn)`: returns a function of `(model, inputs)` giving
/// `(outputs of f, gradients of the first output w.r.t. the trainable parameters)`. `f(model,
/// inputs)` returns `vec![loss, aux...]`. The model's parameters are unchanged afterwards.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// use mlx_nn::{Linear, Module, UnaryModule};
/// let mut model = Linear::new(2, 1, true).unwrap();
/// let loss = |m: &Linear, b: &[Tensor]| Ok(vec![mx::mean(&mx::square(&m.forward(&b[0])?)?, mx::Axes::All, false)?]);
/// let vg = mlx_nn::value_and_grad(loss);
/// let x = Tensor::from_slice(&[1.0f32, 2.0], &[1, 2]).unwrap();
/// let (out, grads) = vg(&mut model, &[x]).unwrap();
/// assert_eq!(grads.len(), 2); // "bias", "weight"
/// assert_eq!(grads["weight"].shape(), &[1, 2]);
/// # let _ = out;
/// ```
pub fn value_and_grad<M, F>(f: F) -> impl Fn(&mut M, &[Tensor]) -> Result<(Vec<Tensor>, Tree)>
where
    M: Module + ?Sized,
    F: Fn(&M, &[Tensor]) -> Result<Vec<Tensor>>,
{
    move |model: &mut M, inputs: &[Tensor]| {
        let params = model.trainable_parameters();
        let cell = std::cell::RefCell::new(&mut *model);
        let vg = mlx_autograd::value_and_grad_params(|p: &Tree, b: &[Tensor]| {
            let mut m = cell.borrow_mut();
            m.update(p)?;
            f(&**m, b)
        });
        let result = vg(&params, inputs);
        drop(vg);
        cell.into_inner().update(&params)?;
        result
    }
}

/// Declares a module's fields and implements [`Module`] for it. The struct must have a field
/// `state: ModuleState`. Each entry is `kind name`:
/// - `param w`: a `Tensor` parameter; `opt_param b`: an `Option<Tensor>`;
/// - `module m`: a field implementing `Module`; `opt_module m`: an `Option` of one;
/// - `modules ms`: a `Vec` of modules (named `ms.0`, `ms.1`, ...), `Vec<T>` or `Vec<Box<dyn UnaryModule>>`.
///
/// ```
/// use mlx_core::Tensor;
/// use mlx_nn::{module_fields, Linear, Module, ModuleState};
/// struct Mlp { state: ModuleState, l1: Linear, l2: Linear, scale: Tensor }
/// module_fields!(Mlp { module l1, module l2, param scale });
/// let m = Mlp { state: ModuleState::default(), l1: Linear::new(2, 3, true).unwrap(),
///               l2: Linear::new(3, 1, false).unwrap(), scale: Tensor::scalar(1.0f32) };
/// let names: Vec<String> = m.parameters().into_keys().collect();
/// assert_eq!(names, ["l1.bias", "l1.weight", "l2.weight", "scale"]);
/// ```
#[macro_export]
macro_rules! module_fields {
    ($ty:ty { $($kind:ident $field:ident),* $(,)? }) => {
        impl $crate::Module for $ty {
            #[allow(unused_variables)]
            fn visit(&self, f: &mut dyn FnMut(&str, $crate::Child<'_>)) {
                $( $crate::module_fields!(@visit self, f, $kind $field); )*
            }
            #[allow(unused_variables)]
            fn visit_mut(&mut self, f: &mut dyn FnMut(&str, $crate::ChildMut<'_>)) {
                $( $crate::module_fields!(@visit_mut self, f, $kind $field); )*
            }
            fn state(&self) -> &$crate::ModuleState { &self.state }
            fn state_mut(&mut self) -> &mut $crate::ModuleState { &mut self.state }
        }
    };
    (@visit $s:ident, $f:ident, param $x:ident) => { $f(stringify!($x), $crate::Child::Param(&$s.$x)) };
    (@visit $s:ident, $f:ident, opt_param $x:ident) => {
        if let Some(t) = &$s.$x { $f(stringify!($x), $crate::Child::Param(t)) }
    };
    (@visit $s:ident, $f:ident, module $x:ident) => { $f(stringify!($x), $crate::Child::Module(&$s.$x)) };
    (@visit $s:ident, $f:ident, opt_module $x:ident) => {
        if let Some(m) = &$s.$x { $f(stringify!($x), $crate::Child::Module(m)) }
    };
    (@visit $s:ident, $f:ident, modules $x:ident) => {
        for (i, m) in $s.$x.iter().enumerate() {
            $f(&format!("{}.{}", stringify!($x), i), $crate::Child::Module($crate::module::AsModule::as_module(m)))
        }
    };
    (@visit_mut $s:ident, $f:ident, param $x:ident) => { $f(stringify!($x), $crate::ChildMut::Param(&mut $s.$x)) };
    (@visit_mut $s:ident, $f:ident, opt_param $x:ident) => {
        if let Some(t) = &mut $s.$x { $f(stringify!($x), $crate::ChildMut::Param(t)) }
    };
    (@visit_mut $s:ident, $f:ident, module $x:ident) => { $f(stringify!($x), $crate::ChildMut::Module(&mut $s.$x)) };
    (@visit_mut $s:ident, $f:ident, opt_module $x:ident) => {
        if let Some(m) = &mut $s.$x { $f(stringify!($x), $crate::ChildMut::Module(m)) }
    };
    (@visit_mut $s:ident, $f:ident, modules $x:ident) => {
        for (i, m) in $s.$x.iter_mut().enumerate() {
            $f(&format!("{}.{}", stringify!($x), i), $crate::ChildMut::Module($crate::module::AsModule::as_module_mut(m)))
        }
    };
}

/// Views list elements (`T: Module` or boxed trait objects) as `dyn Module`; used by the macro.
pub trait AsModule {
    fn as_module(&self) -> &dyn Module;
    fn as_module_mut(&mut self) -> &mut dyn Module;
}
impl<T: Module> AsModule for T {
    fn as_module(&self) -> &dyn Module {
        self
    }
    fn as_module_mut(&mut self) -> &mut dyn Module {
        self
    }
}
impl AsModule for Box<dyn UnaryModule> {
    fn as_module(&self) -> &dyn Module {
        &**self
    }
    fn as_module_mut(&mut self) -> &mut dyn Module {
        &mut **self
    }
}
impl AsModule for Box<dyn Module + Send + Sync> {
    fn as_module(&self) -> &dyn Module {
        &**self
    }
    fn as_module_mut(&mut self) -> &mut dyn Module {
        &mut **self
    }
}
