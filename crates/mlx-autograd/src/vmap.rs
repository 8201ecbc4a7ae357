//! Vectorization: `vmap`. The function is traced on placeholders (each mapped input with its
//! mapped axis removed: the first slice, so an `eval` inside still works); then the nodes between
//! placeholders and outputs are rebuilt in topological order by each primitive's batching rule,
//! which takes inputs with an optional batch axis and returns outputs with one.
//!
//! Invariants: every rebuilt value depending on a mapped input carries a batch axis of the common
//! size; values that do not depend on any mapped input are used as they are (constants); an
//! output that does not depend on a mapped input is broadcast along the batch axis (as MLX).

use std::collections::HashMap;

use mlx_core::graph::{apply, TraceGuard};
use mlx_core::{Error, Primitive, Result, Tensor};

use crate::rules;
use crate::vjp::{mlx_core_shape, Fun};
use crate::walk::{active_nodes, edges, key, Key};

/// Moves axis `from` of `t` to position `to`.
pub(crate) fn moveaxis(t: &Tensor, from: usize, to: usize) -> Result<Tensor> {
    if from == to {
        return Ok(t.clone());
    }
    let mut perm: Vec<usize> = (0..t.ndim()).filter(|&i| i != from).collect();
    perm.insert(to, from);
    Ok(apply(Primitive::Transpose { perm }, vec![t.clone()])?.remove(0))
}

fn normalize(axis: i32, ndim: usize, shape: &[usize], what: &str) -> Result<usize> {
    let n = ndim as i64;
    let a = axis as i64;
    if a < -n || a >= n {
        return Err(Error::invalid(
            "vmap",
            format!("Invalid {what} axis {axis} for array with shape {}", mlx_core_shape(shape)),
        ));
    }
    Ok(if a < 0 { (a + n) as usize } else { a as usize })
}

/// The first slice of `x` along `axis`, without that axis (zeros when the axis is empty).
fn placeholder(x: &Tensor, axis: usize) -> Result<Tensor> {
    let mut shape = x.shape().to_vec();
    let n = shape.remove(axis);
    if n == 0 {
        return mlx_core::zeros(&shape, x.dtype());
    }
    let mut sl_shape = x.shape().to_vec();
    sl_shape[axis] = 1;
    let start = vec![0; x.ndim()];
    let step = vec![1; x.ndim()];
    let s = apply(Primitive::Slice { start, step, shape: sl_shape }, vec![x.clone()])?.remove(0);
    Ok(apply(Primitive::Reshape { shape }, vec![s])?.remove(0))
}

pub(crate) fn vmap_dyn(f: Fun, inputs: &[Tensor], in_axes: &[Option<i32>], out_axes: &[i32]) -> Result<Vec<Tensor>> {
    if in_axes.len() != inputs.len() {
        return Err(Error::invalid(
            "vmap",
            format!(
                "The number of in axes ({}) must match the number of arguments ({}).",
                in_axes.len(),
                inputs.len()
            ),
        ));
    }
    let mut axes: Vec<Option<usize>> = Vec::with_capacity(inputs.len());
    let mut size: Option<usize> = None;
    for (x, a) in inputs.iter().zip(in_axes) {
        let Some(a) = a else {
            axes.push(None);
            continue;
        };
        let a = normalize(*a, x.ndim(), x.shape(), "vectorization")?;
        let n = x.shape()[a];
        match size {
            Some(s) if s != n => {
                return Err(Error::invalid("vmap", format!("Inconsistent axis sizes: {s} and {n}.")));
            }
            _ => size = Some(n),
        }
        axes.push(Some(a));
    }
    let Some(size) = size else {
        return Err(Error::invalid("vmap", "At least one of in_axes must be non-None."));
    };
    // Trace on placeholders.
    let (sources, outputs) = {
        let _guard = TraceGuard::new();
        let mut args = Vec::with_capacity(inputs.len());
        let mut sources = Vec::new();
        for (x, a) in inputs.iter().zip(&axes) {
            match a {
                Some(a) => {
                    let p = placeholder(x, *a)?;
                    sources.push((p.clone(), x.clone(), *a));
                    args.push(p);
                }
                None => args.push(x.clone()),
            }
        }
        (sources, f(&args)?)
    };
    if out_axes.len() != 1 && out_axes.len() != outputs.len() {
        return Err(Error::invalid(
            "vmap",
            format!(
                "The number of out axes ({}) must match the number of outputs ({}).",
                out_axes.len(),
                outputs.len()
            ),
        ));
    }
    // Rules may run transforms (custom functions): their release must wait.
    let hold = mlx_core::graph::hold_graphs();
    let source_nodes: Vec<Tensor> = sources.iter().map(|(p, _, _)| p.clone()).collect();
    let (order, _) = active_nodes(&source_nodes, &outputs);
    let mut mapped: HashMap<Key, (Tensor, Option<usize>)> = HashMap::new();
    for (p, x, a) in &sources {
        mapped.insert(key(p), (x.clone(), Some(*a)));
    }
    for node in &order {
        let ins = edges(node);
        let (vals, in_axes): (Vec<Tensor>, Vec<Option<usize>>) =
            ins.iter().map(|i| mapped.get(&key(i)).cloned().unwrap_or_else(|| (i.clone(), None))).unzip();
        let primitive = node.primitive().ok_or_else(|| Error::runtime("vmap", "an active node has no primitive"))?;
        let (outs, out_ax) = rules::batch(primitive, &vals, &in_axes, size)?;
        for ((o, t), a) in node.siblings().iter().zip(outs).zip(out_ax) {
            mapped.insert(key(o), (t, a));
        }
    }
    let results = outputs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let want = if out_axes.len() == 1 { out_axes[0] } else { out_axes[i] };
            let (t, ax) = match mapped.get(&key(o)) {
                Some((t, Some(a))) => (t.clone(), *a),
                // Unmapped (constant) output: broadcast along a new batch axis.
                Some((t, None)) => (broadcast_batch(t, size)?, 0),
                None => (broadcast_batch(o, size)?, 0),
            };
            let to = normalize(want, t.ndim(), t.shape(), "output")?;
            moveaxis(&t, ax, to)
        })
        .collect::<Result<Vec<_>>>()?;
    drop(hold);
    mlx_core::graph::release(&outputs);
    Ok(results)
}

/// `t` with a new leading axis of `size` (a broadcast view).
pub(crate) fn broadcast_batch(t: &Tensor, size: usize) -> Result<Tensor> {
    let mut shape = vec![1];
    shape.extend_from_slice(t.shape());
    let r = apply(Primitive::Reshape { shape: shape.clone() }, vec![t.clone()])?.remove(0);
    shape[0] = size;
    Ok(apply(Primitive::BroadcastTo { shape }, vec![r])?.remove(0))
}

/// `mx.vmap(f, in_axes, out_axes)`: `f` mapped over axis `in_axes[i]` of argument `i` (`None`:
/// not mapped, passed whole to every call), its outputs stacked along `out_axes` (one per output,
/// or one for all). Negative axes count from the end. Nests, and composes with `grad`/`vjp`/`jvp`.
///
/// # Errors (of the returned function)
/// `[vmap]` when the mapped axes have different sizes, an axis is out of range, no input is
/// mapped, or the numbers of axes and arguments/outputs differ.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
/// let f = mlx_autograd::vmap(|x: &[Tensor]| Ok(vec![mx::sum(&x[0], mx::Axes::All, false)?]), &[Some(1)], &[0]);
/// assert_eq!(f(&[x]).unwrap()[0].to_vec::<f32>().unwrap(), vec![4.0, 6.0]);
/// ```
pub fn vmap<F>(f: F, in_axes: &[Option<i32>], out_axes: &[i32]) -> impl Fn(&[Tensor]) -> Result<Vec<Tensor>>
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>>,
{
    let in_axes = in_axes.to_vec();
    let out_axes = out_axes.to_vec();
    move |xs: &[Tensor]| vmap_dyn(&f, xs, &in_axes, &out_axes)
}

/// `vmap` of a function of one tensor returning one tensor.
pub fn vmap1<F>(f: F, in_axis: i32, out_axis: i32) -> impl Fn(&Tensor) -> Result<Tensor>
where
    F: Fn(&Tensor) -> Result<Tensor>,
{
    let g = move |xs: &[Tensor]| Ok(vec![f(&xs[0])?]);
    move |x: &Tensor| Ok(vmap_dyn(&g, std::slice::from_ref(x), &[Some(in_axis)], &[out_axis])?.remove(0))
}
