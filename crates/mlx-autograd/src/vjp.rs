//! Reverse mode: `vjp`, `grad`, `value_and_grad` (argnums, auxiliary outputs) and gradients of
//! parameter trees.
//!
//! How: the function is traced on fresh identity nodes of the primals (so a primal also captured
//! by the closure is a constant there, as in MLX), under a [`TraceGuard`] so its graph survives any
//! `eval` inside. Then the nodes between inputs and outputs are visited in reverse topological
//! order, each primitive's VJP rule turning its outputs' cotangents into its inputs'. The
//! gradient graph is built with ordinary ops, so it can itself be differentiated (grad of grad)
//! or batched (vmap of grad).
//!
//! When the outermost transform is done, `mlx_core::graph::release` ends the trace's hold on the
//! forward graph, so a loss the caller keeps does not pin its intermediates.
//!
//! Invariants: cotangents have their primal's shape; an input the outputs do not depend on gets
//! zeros; a function's first output is the loss for `grad` and must be a scalar (0-d); its other
//! outputs are auxiliary and carry no gradient.

use std::collections::{BTreeMap, HashMap};

use mlx_core::graph::{apply, release, TraceGuard};
use mlx_core::{Error, Primitive, Result, Tensor};

use crate::rules;
use crate::walk::{active_nodes, key, Key};

/// A function of several tensors returning several tensors: what every transform takes.
pub type Fun<'a> = &'a dyn Fn(&[Tensor]) -> Result<Vec<Tensor>>;

/// A fresh node equal to `x` (a view): the transform's own handle on an input.
pub(crate) fn identity(x: &Tensor) -> Result<Tensor> {
    let mut out = apply(Primitive::Reshape { shape: x.shape().to_vec() }, vec![x.clone()])?;
    Ok(out.remove(0))
}

/// Calls `f` on fresh identity nodes of `primals` while tracing. Returns (the nodes, outputs).
pub(crate) fn trace(f: Fun, primals: &[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    let _guard = TraceGuard::new();
    let inputs: Vec<Tensor> = primals.iter().map(identity).collect::<Result<_>>()?;
    let outputs = f(&inputs)?;
    Ok((inputs, outputs))
}

fn accumulate(map: &mut HashMap<Key, Tensor>, k: Key, ct: Tensor) -> Result<()> {
    let v = match map.remove(&k) {
        Some(prev) => mlx_core::add(&prev, &ct)?,
        None => ct,
    };
    map.insert(k, v);
    Ok(())
}

/// Cotangents of `sources` given cotangents of `outputs` (graph already traced).
pub(crate) fn backward(sources: &[Tensor], outputs: &[Tensor], cotangents: &[Tensor]) -> Result<Vec<Tensor>> {
    // Rules may run transforms (custom functions, checkpoint): their release must wait.
    let _hold = mlx_core::graph::hold_graphs();
    let (order, active) = active_nodes(sources, outputs);
    let source_ids: std::collections::HashSet<_> = sources.iter().map(|s| s.node_id()).collect();
    let mut cts: HashMap<Key, Tensor> = HashMap::new();
    for (o, c) in outputs.iter().zip(cotangents) {
        accumulate(&mut cts, key(o), c.clone())?;
    }
    for node in order.iter().rev() {
        let outs = node.siblings();
        let node_cts: Vec<Option<Tensor>> = outs.iter().map(|o| cts.remove(&key(o))).collect();
        if node_cts.iter().all(Option::is_none) {
            continue;
        }
        let node_cts: Vec<Tensor> = node_cts
            .into_iter()
            .zip(&outs)
            .map(|(c, o)| c.map_or_else(|| mlx_core::zeros_like(o), Ok))
            .collect::<Result<_>>()?;
        let inputs = crate::walk::edges(node);
        let all_inputs = node.inputs();
        let needed: Vec<bool> =
            inputs.iter().map(|i| source_ids.contains(&i.node_id()) || active.contains(&i.node_id())).collect();
        let primitive = node.primitive().ok_or_else(|| Error::runtime("vjp", "an active node has no primitive"))?;
        let in_cts = rules::vjp(primitive, &all_inputs, &outs, &node_cts, &needed)?;
        for (i, ct) in in_cts.into_iter().enumerate() {
            if let (Some(ct), true) = (ct, needed.get(i).copied().unwrap_or(false)) {
                accumulate(&mut cts, key(&inputs[i]), ct)?;
            }
        }
    }
    sources
        .iter()
        .map(|s| match cts.remove(&key(s)) {
            Some(c) if c.dtype() != s.dtype() => mlx_core::astype(&c, s.dtype()),
            Some(c) => Ok(c),
            None => mlx_core::zeros_like(s),
        })
        .collect()
}

pub(crate) fn vjp_dyn(f: Fun, primals: &[Tensor], cotangents: &[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    let (inputs, outputs) = trace(f, primals)?;
    if outputs.len() != cotangents.len() {
        return Err(Error::invalid(
            "vjp",
            format!(
                "Number of outputs to compute gradients for ({}) does not match number of cotangents ({}).",
                outputs.len(),
                cotangents.len()
            ),
        ));
    }
    for (o, c) in outputs.iter().zip(cotangents) {
        if o.shape() != c.shape() {
            return Err(Error::invalid(
                "vjp",
                format!(
                    "Output shape {} does not match cotangent shape {}.",
                    mlx_core_shape(o.shape()),
                    mlx_core_shape(c.shape())
                ),
            ));
        }
    }
    let grads = backward(&inputs, &outputs, cotangents)?;
    release(&outputs);
    Ok((outputs, grads))
}

pub(crate) fn mlx_core_shape(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(|d| d.to_string()).collect();
    format!("({})", parts.join(","))
}

/// Vector-Jacobian product (`mx.vjp`): the outputs of `f(primals)` and the cotangents of the
/// primals given `cotangents` of the outputs (one per output, same shape).
///
/// # Errors
/// `[vjp]` when the number or shapes of the cotangents do not match the outputs; any error of `f`.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// let x = Tensor::from_slice(&[1.0f32, 2.0], &[2]).unwrap();
/// let (out, ct) = mlx_autograd::vjp(|x| Ok(vec![mx::multiply(&x[0], &x[0])?]), &[x], &[mx::ones(&[2], None).unwrap()]).unwrap();
/// assert_eq!(ct[0].to_vec::<f32>().unwrap(), vec![2.0, 4.0]);
/// # let _ = out;
/// ```
pub fn vjp<F>(f: F, primals: &[Tensor], cotangents: &[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)>
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>>,
{
    vjp_dyn(&f, primals, cotangents)
}

fn check_argnums(argnums: &[usize], n: usize) -> Result<()> {
    if argnums.is_empty() {
        return Err(Error::invalid("grad", "Must specify at least one argument."));
    }
    for (i, &a) in argnums.iter().enumerate() {
        if a >= n {
            return Err(Error::invalid(
                "grad",
                format!(
                    "Can't compute the gradient of argument index {a} because the function is called with only {n} positional arguments."
                ),
            ));
        }
        if argnums[..i].contains(&a) {
            return Err(Error::invalid("grad", format!("Duplicate argument index {a} in argnums.")));
        }
    }
    Ok(())
}

pub(crate) fn value_and_grad_dyn(f: Fun, argnums: &[usize], args: &[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    check_argnums(argnums, args.len())?;
    // MLX returns the gradients in increasing argument order whatever the order of argnums.
    let mut argnums = argnums.to_vec();
    argnums.sort_unstable();
    // Trace with identity nodes for the differentiated arguments only.
    let (inputs, outputs) = {
        let _guard = TraceGuard::new();
        let mut call_args = args.to_vec();
        let mut inputs = Vec::with_capacity(argnums.len());
        for &a in &argnums {
            let t = identity(&args[a])?;
            call_args[a] = t.clone();
            inputs.push(t);
        }
        let outputs = f(&call_args)?;
        (inputs, outputs)
    };
    let Some(loss) = outputs.first() else {
        return Err(Error::invalid("value_and_grad", "The function must return at least one array (the loss)."));
    };
    if loss.ndim() != 0 {
        return Err(Error::invalid(
            "value_and_grad",
            format!(
                "The function must return a scalar (0-d) loss as its first output, got shape {}. Reduce it (e.g. sum) or use vjp with cotangents.",
                mlx_core_shape(loss.shape())
            ),
        ));
    }
    let seed = mlx_core::ones_like(loss)?;
    let grads = backward(&inputs, &outputs[..1], &[seed])?;
    release(&outputs);
    Ok((outputs, grads))
}

/// `mx.value_and_grad(f, argnums)`: a function returning `f`'s outputs and the gradients of its
/// first output (a scalar loss) with respect to the arguments in `argnums`, in increasing
/// argument order (as MLX: `argnums = [2, 0]` gives the gradients of arguments 0 then 2). Outputs after the
/// first are auxiliary (returned, not differentiated): `f` returning `vec![loss, aux...]` is
/// MLX's `has_aux`.
///
/// # Errors (of the returned function)
/// `[grad]` for an empty, repeated or out-of-range argnum; `[value_and_grad]` when the loss is
/// not 0-d; any error of `f`.
pub fn value_and_grad<F>(f: F, argnums: &[usize]) -> impl Fn(&[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)>
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>>,
{
    let argnums = argnums.to_vec();
    move |args: &[Tensor]| value_and_grad_dyn(&f, &argnums, args)
}

/// `mx.grad(f, argnums)`: the gradients of `f`'s first output (a scalar) with respect to the
/// arguments in `argnums`, one per argnum. Composes: `grad(grad(f, &[0]), &[0])`.
pub fn grad<F>(f: F, argnums: &[usize]) -> impl Fn(&[Tensor]) -> Result<Vec<Tensor>>
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>>,
{
    let argnums = argnums.to_vec();
    move |args: &[Tensor]| Ok(value_and_grad_dyn(&f, &argnums, args)?.1)
}

/// `grad` of a function of one tensor returning a scalar tensor: `grad1(f)(&x)` is `df/dx`.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// let d = mlx_autograd::grad1(|x: &Tensor| mx::sum(&mx::exp(x)?, mx::Axes::All, false));
/// let x = Tensor::from_slice(&[0.0f32, 1.0], &[2]).unwrap();
/// assert!((d(&x).unwrap().to_vec::<f32>().unwrap()[1] - 1f32.exp()).abs() < 1e-6);
/// ```
pub fn grad1<F>(f: F) -> impl Fn(&Tensor) -> Result<Tensor>
where
    F: Fn(&Tensor) -> Result<Tensor>,
{
    let g = move |xs: &[Tensor]| Ok(vec![f(&xs[0])?]);
    move |x: &Tensor| {
        let (_, mut grads) = value_and_grad_dyn(&g, &[0], std::slice::from_ref(x))?;
        Ok(grads.remove(0))
    }
}

/// `value_and_grad` of a function of one tensor returning a scalar tensor.
pub fn value_and_grad1<F>(f: F) -> impl Fn(&Tensor) -> Result<(Tensor, Tensor)>
where
    F: Fn(&Tensor) -> Result<Tensor>,
{
    let g = move |xs: &[Tensor]| Ok(vec![f(&xs[0])?]);
    move |x: &Tensor| {
        let (mut v, mut grads) = value_and_grad_dyn(&g, &[0], std::slice::from_ref(x))?;
        Ok((v.remove(0), grads.remove(0)))
    }
}

/// A tree of named parameters (`"layers.0.weight"` -> tensor), what `nn` modules hand out.
pub type Tree = BTreeMap<String, Tensor>;

fn tree_call<F>(f: &F, keys: &[String], xs: &[Tensor]) -> Result<Vec<Tensor>>
where
    F: Fn(&Tree) -> Result<Vec<Tensor>>,
{
    let tree: Tree = keys.iter().cloned().zip(xs.iter().cloned()).collect();
    f(&tree)
}

/// The training-loop form: `f(params, inputs)` returns `vec![loss, aux...]`; the result is
/// (all outputs, gradient tree of `params` with the same names). `inputs` (a batch, targets)
/// are passed per call and not differentiated.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// use mlx_autograd::Tree;
/// let mut p = Tree::new();
/// p.insert("w".into(), Tensor::from_slice(&[2.0f32], &[1]).unwrap());
/// let step = mlx_autograd::value_and_grad_params(|p: &Tree, b: &[Tensor]| {
///     Ok(vec![mx::sum(&mx::square(&mx::subtract(&mx::multiply(&p["w"], &b[0])?, &b[1])?)?, mx::Axes::All, false)?])
/// });
/// let x = Tensor::from_slice(&[1.0f32, 2.0], &[2]).unwrap();
/// let y = Tensor::from_slice(&[1.0f32, 2.0], &[2]).unwrap();
/// let (out, g) = step(&p, &[x, y]).unwrap();
/// assert_eq!(out[0].item::<f32>().unwrap(), 5.0); // (2-1)^2 + (4-2)^2
/// assert_eq!(g["w"].to_vec::<f32>().unwrap(), vec![10.0]); // 2*1*1 + 2*2*2
/// ```
pub fn value_and_grad_params<F>(f: F) -> impl Fn(&Tree, &[Tensor]) -> Result<(Vec<Tensor>, Tree)>
where
    F: Fn(&Tree, &[Tensor]) -> Result<Vec<Tensor>>,
{
    move |params: &Tree, inputs: &[Tensor]| {
        let keys: Vec<String> = params.keys().cloned().collect();
        let values: Vec<Tensor> = params.values().cloned().collect();
        if keys.is_empty() {
            let outputs = f(params, inputs)?;
            return Ok((outputs, Tree::new()));
        }
        let argnums: Vec<usize> = (0..keys.len()).collect();
        let g = |xs: &[Tensor]| tree_call(&|t: &Tree| f(t, inputs), &keys, xs);
        let (outputs, grads) = value_and_grad_dyn(&g, &argnums, &values)?;
        Ok((outputs, keys.into_iter().zip(grads).collect()))
    }
}

/// `value_and_grad` over a parameter tree with auxiliary outputs: `f` returns `vec![loss,
/// aux...]`; the result is (all outputs, gradient tree with the same names).
pub fn value_and_grad_tree_aux<F>(f: F) -> impl Fn(&Tree) -> Result<(Vec<Tensor>, Tree)>
where
    F: Fn(&Tree) -> Result<Vec<Tensor>>,
{
    let inner = value_and_grad_params(move |p: &Tree, _: &[Tensor]| f(p));
    move |params: &Tree| inner(params, &[])
}

/// `value_and_grad` over a parameter tree: (loss, gradient tree with the same names).
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// use mlx_autograd::Tree;
/// let mut p = Tree::new();
/// p.insert("w".into(), Tensor::from_slice(&[3.0f32], &[1]).unwrap());
/// let vg = mlx_autograd::value_and_grad_tree(|p: &Tree| mx::sum(&mx::square(&p["w"])?, mx::Axes::All, false));
/// let (loss, g) = vg(&p).unwrap();
/// assert_eq!(loss.item::<f32>().unwrap(), 9.0);
/// assert_eq!(g["w"].to_vec::<f32>().unwrap(), vec![6.0]);
/// ```
pub fn value_and_grad_tree<F>(f: F) -> impl Fn(&Tree) -> Result<(Tensor, Tree)>
where
    F: Fn(&Tree) -> Result<Tensor>,
{
    let inner = value_and_grad_tree_aux(move |p: &Tree| Ok(vec![f(p)?]));
    move |params: &Tree| {
        let (mut outputs, grads) = inner(params)?;
        Ok((outputs.remove(0), grads))
    }
}

/// Gradient tree of a scalar function of a parameter tree.
pub fn grad_tree<F>(f: F) -> impl Fn(&Tree) -> Result<Tree>
where
    F: Fn(&Tree) -> Result<Tensor>,
{
    let vg = value_and_grad_tree(f);
    move |params: &Tree| Ok(vg(params)?.1)
}
