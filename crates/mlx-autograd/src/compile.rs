//! `compile` (MLX's `mx.compile`): trace a function once per input signature, simplify the
//! traced graph, and replay it on new inputs without running the function again.
//!
//! How: the first call with a signature (every input's shape and dtype; with
//! [`CompileOptions::shapeless`], only ranks and dtypes) runs the function on fresh identity
//! nodes of the inputs under a `TraceGuard`, then records the graph between those nodes and the
//! outputs as a *tape*: a list of steps (a primitive and references to earlier steps, inputs or
//! constants) in topological order. Three passes simplify it:
//! 1. constant folding: a step all of whose inputs are constants and whose outputs are scalars
//!    (at most one element) is evaluated now and becomes a constant;
//! 2. common-subexpression elimination: a step equal to an earlier one (same primitive, same
//!    parameters, same inputs) is replaced by it; folded constants with equal bytes are merged
//!    first, so `x * 2 + x * 2` computes `x * 2` once;
//! 3. dead-code elimination: steps no output depends on are dropped.
//!
//! Later calls with that signature rebuild the tape's nodes on the new inputs (`apply` per
//! step): the result is an ordinary lazy graph, so every transform composes with it
//! (`grad(compile(f))`, `compile(grad(f))`, `vmap(compile(f))`).
//!
//! Invariants and MLX's rules, which hold here too:
//! - Tensors the function captures (not among its arguments, created before the call) are
//!   constants baked into the tape: changing what a closure captures later is not seen.
//! - The function must be pure: control flow that depends on input *values* (through `item`)
//!   is frozen at trace time, and random ops that draw from the global key give the same
//!   numbers on every call (pass a key as an input instead).
//! - With `shapeless`, a tape whose primitives bake shapes (reshape, slice, and the broadcast of
//!   a scalar constant such as the `2.0` of `x * 2.0`) is re-traced when replaying it on the new
//!   shapes fails; a reshape that still fits is replayed as traced (MLX's caveat). Tapes of
//!   same-shape elementwise ops of the inputs replay on any shape.
//! - [`disable_compile`] makes every compiled function call its function directly (MLX's
//!   `mx.disable_compile`); the cache is per compiled function and safe to share across threads.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mlx_core::graph::{apply, release, NodeId, TraceGuard};
use mlx_core::{Dtype, Error, Primitive, Result, Tensor};

use crate::vjp::identity;

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns compilation off everywhere: compiled functions call their function directly
/// (`mx.disable_compile`).
pub fn disable_compile() {
    ENABLED.store(false, Ordering::SeqCst);
}

/// Turns compilation back on (`mx.enable_compile`).
pub fn enable_compile() {
    ENABLED.store(true, Ordering::SeqCst);
}

/// Whether compiled functions trace and replay (see [`disable_compile`]).
pub fn is_compile_enabled() -> bool {
    ENABLED.load(Ordering::SeqCst)
}

/// Options of [`compile_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompileOptions {
    /// Key the cache by ranks and dtypes only, not shapes (MLX's `shapeless=True`).
    pub shapeless: bool,
}

/// Where a step's input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ref {
    Input(usize),
    Const(usize),
    /// Output `.1` of step `.0`.
    Step(usize, usize),
}

#[derive(Clone)]
struct Step {
    primitive: Primitive,
    inputs: Vec<Ref>,
}

/// The simplified graph of one signature.
struct Tape {
    consts: Vec<Tensor>,
    steps: Vec<Step>,
    outputs: Vec<Ref>,
    stats: TapeStats,
}

/// What the simplification passes did to one traced graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TapeStats {
    /// Steps recorded from the trace (nodes between the inputs and the outputs, and
    /// input-independent nodes the function created).
    pub traced: usize,
    /// Steps evaluated at compile time (scalar constants).
    pub folded: usize,
    /// Steps merged into an equal earlier one.
    pub merged: usize,
    /// Steps left after dead-code elimination: what each call rebuilds.
    pub steps: usize,
    /// Constants held by the tape (captured tensors and folded scalars).
    pub consts: usize,
}

/// The cache key: per input its shape (empty with `shapeless`), rank and dtype.
type Signature = Vec<(Vec<usize>, usize, Dtype)>;

/// A compiled function: its cache of traced graphs, one per input signature. Get a plain
/// function with [`Compiled::function`] (or use [`compile`]).
pub struct Compiled<F> {
    f: F,
    options: CompileOptions,
    cache: Mutex<HashMap<Signature, Arc<Tape>>>,
    traces: AtomicUsize,
    hits: AtomicUsize,
}

impl<F> Compiled<F>
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>>,
{
    pub fn new(f: F, options: CompileOptions) -> Self {
        Compiled { f, options, cache: Mutex::new(HashMap::new()), traces: AtomicUsize::new(0), hits: AtomicUsize::new(0) }
    }

    fn signature(&self, xs: &[Tensor]) -> Signature {
        xs.iter()
            .map(|x| (if self.options.shapeless { vec![] } else { x.shape().to_vec() }, x.ndim(), x.dtype()))
            .collect()
    }

    fn lookup(&self, sig: &Signature) -> Option<Arc<Tape>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(sig).cloned()
    }

    fn trace_and_store(&self, sig: Signature, xs: &[Tensor]) -> Result<Arc<Tape>> {
        let tape = Arc::new(trace(&self.f, xs)?);
        self.traces.fetch_add(1, Ordering::SeqCst);
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(sig, tape.clone());
        Ok(tape)
    }

    /// Calls the compiled function: replays the cached graph of `xs`'s signature, tracing it
    /// first on a miss.
    ///
    /// # Errors
    /// Any error of the function (on a trace) or of rebuilding its graph.
    pub fn call(&self, xs: &[Tensor]) -> Result<Vec<Tensor>> {
        if !is_compile_enabled() {
            return (self.f)(xs);
        }
        let sig = self.signature(xs);
        match self.lookup(&sig) {
            Some(tape) => {
                self.hits.fetch_add(1, Ordering::SeqCst);
                match replay(&tape, xs) {
                    Ok(out) => Ok(out),
                    // A shapeless tape that bakes the traced shapes: trace these shapes.
                    Err(_) if self.options.shapeless => replay(&*self.trace_and_store(sig, xs)?, xs),
                    Err(e) => Err(e),
                }
            }
            None => replay(&*self.trace_and_store(sig, xs)?, xs),
        }
    }

    /// How many times the function was traced (cache misses).
    pub fn trace_count(&self) -> usize {
        self.traces.load(Ordering::SeqCst)
    }

    /// How many calls replayed a cached graph.
    pub fn cache_hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// How many signatures are cached.
    pub fn cache_len(&self) -> usize {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Forgets every traced graph.
    pub fn clear_cache(&self) {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The simplification statistics of the graph cached for `xs`'s signature.
    pub fn stats(&self, xs: &[Tensor]) -> Option<TapeStats> {
        self.lookup(&self.signature(xs)).map(|t| t.stats)
    }

    /// This compiled function as a plain function (what the other transforms take).
    pub fn function(self: &Arc<Self>) -> impl Fn(&[Tensor]) -> Result<Vec<Tensor>> + Clone + Send + Sync
    where
        F: Send + Sync + 'static,
    {
        let me = self.clone();
        move |xs: &[Tensor]| me.call(xs)
    }
}

/// Compiles `f` (`mx.compile`): the returned function traces `f` once per input signature
/// (shapes and dtypes), simplifies the graph (constant folding of scalars, common-subexpression
/// elimination, dead-code elimination) and replays it on later calls without running `f`.
/// Composes with every transform. See the module docs for the rules `f` must follow.
///
/// ```
/// use mlx_core::{self as mx, Tensor};
/// let gelu = mlx_autograd::compile(|a: &[Tensor]| {
///     let x = &a[0];
///     let c = mx::add(&mx::erf(&mx::multiply(x, std::f64::consts::FRAC_1_SQRT_2)?)?, 1.0)?;
///     Ok(vec![mx::multiply(&mx::multiply(x, &c)?, 0.5)?])
/// });
/// let x = Tensor::from_slice(&[-1.0f32, 0.0, 2.0], &[3]).unwrap();
/// let y = gelu(&[x]).unwrap();
/// assert!((y[0].to_vec::<f32>().unwrap()[2] - 1.9545).abs() < 1e-3);
/// ```
pub fn compile<F>(f: F) -> impl Fn(&[Tensor]) -> Result<Vec<Tensor>> + Clone + Send + Sync
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>> + Send + Sync + 'static,
{
    compile_with(f, CompileOptions::default())
}

/// [`compile`] with options (`shapeless`).
pub fn compile_with<F>(f: F, options: CompileOptions) -> impl Fn(&[Tensor]) -> Result<Vec<Tensor>> + Clone + Send + Sync
where
    F: Fn(&[Tensor]) -> Result<Vec<Tensor>> + Send + Sync + 'static,
{
    Arc::new(Compiled::new(f, options)).function()
}

/// Rebuilds the tape's nodes on `xs`.
fn replay(tape: &Tape, xs: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut vals: Vec<Vec<Tensor>> = Vec::with_capacity(tape.steps.len());
    let get = |vals: &Vec<Vec<Tensor>>, r: Ref| -> Result<Tensor> {
        match r {
            Ref::Input(i) => xs.get(i).cloned().ok_or_else(|| Error::invalid("compile", "Too few inputs for the traced graph.")),
            Ref::Const(i) => Ok(tape.consts[i].clone()),
            Ref::Step(s, k) => Ok(vals[s][k].clone()),
        }
    };
    for step in &tape.steps {
        let ins = step.inputs.iter().map(|&r| get(&vals, r)).collect::<Result<Vec<_>>>()?;
        vals.push(apply(step.primitive.clone(), ins)?);
    }
    tape.outputs.iter().map(|&r| get(&vals, r)).collect()
}

/// Traces `f` on identity nodes of `xs` and builds its simplified tape.
fn trace(f: &dyn Fn(&[Tensor]) -> Result<Vec<Tensor>>, xs: &[Tensor]) -> Result<Tape> {
    let (sources, outputs) = {
        let _guard = TraceGuard::new();
        let sources: Vec<Tensor> = xs.iter().map(identity).collect::<Result<_>>()?;
        let outputs = f(&sources)?;
        (sources, outputs)
    };
    let tape = record(&sources, &outputs);
    release(&outputs);
    let mut tape = tape?;
    release(&tape.consts);
    let traced = tape.steps.len();
    let folded = fold(&mut tape)?;
    let merged = cse(&mut tape);
    dce(&mut tape);
    tape.stats = TapeStats { traced, folded, merged, steps: tape.steps.len(), consts: tape.consts.len() };
    Ok(tape)
}

/// Whether a node can be recorded as a step (it has a primitive and its inputs are known).
fn expandable(t: &Tensor) -> bool {
    match t.primitive() {
        None => false,
        Some(p) => p.arity() == Some(0) || !t.inputs().is_empty(),
    }
}

/// Records every node between `sources` and `outputs` (and the input-independent nodes created
/// while tracing) as steps; everything else (captured tensors, evaluated leaves) as constants.
fn record(sources: &[Tensor], outputs: &[Tensor]) -> Result<Tape> {
    let source_index: HashMap<NodeId, usize> = sources.iter().enumerate().map(|(i, s)| (s.node_id(), i)).collect();
    // Iterative post-order over expandable nodes.
    let mut post: Vec<Tensor> = Vec::new();
    let mut seen: HashSet<NodeId> = HashSet::new();
    let mut stack: Vec<(Tensor, bool)> = outputs.iter().rev().map(|t| (t.clone(), false)).collect();
    while let Some((t, done)) = stack.pop() {
        if done {
            post.push(t);
            continue;
        }
        let id = t.node_id();
        if source_index.contains_key(&id) || !seen.insert(id) {
            continue;
        }
        if !expandable(&t) {
            continue;
        }
        let inputs = t.inputs();
        stack.push((t, true));
        for i in inputs.iter().rev() {
            if !seen.contains(&i.node_id()) {
                stack.push((i.clone(), false));
            }
        }
    }
    // Which nodes depend on a source.
    let mut active: HashSet<NodeId> = HashSet::new();
    for t in &post {
        if t.inputs().iter().any(|i| source_index.contains_key(&i.node_id()) || active.contains(&i.node_id())) {
            active.insert(t.node_id());
        }
    }
    let mut tape = Tape { consts: vec![], steps: vec![], outputs: vec![], stats: TapeStats::default() };
    let mut refs: HashMap<(NodeId, usize), Ref> = HashMap::new();
    let const_of = |t: &Tensor, tape: &mut Tape, refs: &mut HashMap<(NodeId, usize), Ref>| -> Ref {
        *refs.entry((t.node_id(), t.output_index())).or_insert_with(|| {
            tape.consts.push(t.clone());
            Ref::Const(tape.consts.len() - 1)
        })
    };
    let resolve = |t: &Tensor, tape: &mut Tape, refs: &mut HashMap<(NodeId, usize), Ref>| -> Ref {
        if let Some(&i) = source_index.get(&t.node_id()) {
            return Ref::Input(i);
        }
        match refs.get(&(t.node_id(), t.output_index())) {
            Some(&r) => r,
            None => const_of(t, tape, refs),
        }
    };
    for t in &post {
        // Input-independent nodes created before the call (captured) are constants.
        if !active.contains(&t.node_id()) && !t.keeps_inputs() {
            continue;
        }
        let primitive = t.primitive().cloned().ok_or_else(|| Error::runtime("compile", "a recorded node has no primitive"))?;
        let inputs: Vec<Ref> = t.inputs().iter().map(|i| resolve(i, &mut tape, &mut refs)).collect();
        let s = tape.steps.len();
        for (k, o) in t.siblings().iter().enumerate() {
            refs.insert((o.node_id(), k), Ref::Step(s, k));
        }
        tape.steps.push(Step { primitive, inputs });
    }
    let outs: Vec<Ref> = outputs.iter().map(|o| resolve(o, &mut tape, &mut refs)).collect();
    tape.outputs = outs;
    Ok(tape)
}

/// Replaces every reference by `map(reference)` throughout the tape.
fn remap(tape: &mut Tape, map: impl Fn(Ref) -> Ref) {
    for s in &mut tape.steps {
        for r in &mut s.inputs {
            *r = map(*r);
        }
    }
    for r in &mut tape.outputs {
        *r = map(*r);
    }
}

/// Constant folding: steps of constants with scalar outputs are evaluated now; folded
/// constants with equal bytes are merged. Returns how many steps were folded.
fn fold(tape: &mut Tape) -> Result<usize> {
    // Where each old step's outputs went: a constant (folded) or a kept step's new index.
    let mut folded_to: HashMap<(usize, usize), Ref> = HashMap::new();
    let mut new_index: Vec<usize> = Vec::new();
    // Scalar constants equal in value become one constant: every `x * 2.0` records its own `2.0`
    // leaf, and only a shared one lets CSE see two `x * 2.0` as the same step.
    let mut by_value: HashMap<(Dtype, Vec<usize>, Vec<u8>), usize> = HashMap::new();
    let mut same_const: Vec<usize> = (0..tape.consts.len()).collect();
    for (i, c) in tape.consts.iter().enumerate() {
        if c.size() <= 1 {
            same_const[i] = *by_value.entry((c.dtype(), c.shape().to_vec(), c.to_bytes()?)).or_insert(i);
        }
    }
    let map = |r: Ref, folded_to: &HashMap<(usize, usize), Ref>, new_index: &[usize]| match r {
        Ref::Step(s, k) => folded_to.get(&(s, k)).copied().unwrap_or(Ref::Step(new_index[s], k)),
        Ref::Const(c) => Ref::Const(same_const[c]),
        r => r,
    };
    let mut kept: Vec<Step> = Vec::new();
    for step in std::mem::take(&mut tape.steps) {
        let inputs: Vec<Ref> = step.inputs.iter().map(|&r| map(r, &folded_to, &new_index)).collect();
        let consts: Option<Vec<Tensor>> =
            inputs.iter().map(|r| if let Ref::Const(c) = r { Some(tape.consts[*c].clone()) } else { None }).collect();
        let outs = consts.map(|ins| apply(step.primitive.clone(), ins)).transpose()?;
        match outs {
            Some(outs) if outs.iter().all(|o| o.size() <= 1) => {
                let s = new_index.len();
                new_index.push(usize::MAX);
                for (k, o) in outs.iter().enumerate() {
                    // A fresh leaf: the folded value holds no graph.
                    let bytes = o.to_bytes()?;
                    let key = (o.dtype(), o.shape().to_vec(), bytes);
                    let c = match by_value.get(&key) {
                        Some(&c) => c,
                        None => {
                            tape.consts.push(Tensor::from_bytes(&key.2, &key.1, key.0)?);
                            by_value.insert(key, tape.consts.len() - 1);
                            tape.consts.len() - 1
                        }
                    };
                    folded_to.insert((s, k), Ref::Const(c));
                }
            }
            _ => {
                new_index.push(kept.len());
                kept.push(Step { primitive: step.primitive, inputs });
            }
        }
    }
    let folded = new_index.iter().filter(|&&i| i == usize::MAX).count();
    tape.steps = kept;
    let outs: Vec<Ref> = tape.outputs.iter().map(|&r| map(r, &folded_to, &new_index)).collect();
    tape.outputs = outs;
    Ok(folded)
}

/// Common-subexpression elimination: a step equal to an earlier one is replaced by it.
/// Returns how many steps were merged.
fn cse(tape: &mut Tape) -> usize {
    let mut merged = 0;
    let mut canon: HashMap<usize, usize> = HashMap::new();
    let mut buckets: HashMap<(&'static str, Vec<Ref>), Vec<usize>> = HashMap::new();
    let n = tape.steps.len();
    for s in 0..n {
        let inputs: Vec<Ref> = tape.steps[s]
            .inputs
            .iter()
            .map(|r| match *r {
                Ref::Step(t, k) => Ref::Step(*canon.get(&t).unwrap_or(&t), k),
                r => r,
            })
            .collect();
        tape.steps[s].inputs = inputs.clone();
        let key = (tape.steps[s].primitive.name(), inputs);
        let bucket = buckets.entry(key).or_default();
        match bucket.iter().find(|&&e| tape.steps[e].primitive == tape.steps[s].primitive) {
            Some(&e) => {
                canon.insert(s, e);
                merged += 1;
            }
            None => bucket.push(s),
        }
    }
    remap(tape, |r| match r {
        Ref::Step(t, k) => Ref::Step(*canon.get(&t).unwrap_or(&t), k),
        r => r,
    });
    merged
}

/// Dead-code elimination: keeps the steps some output depends on, and the constants they use.
fn dce(tape: &mut Tape) {
    let n = tape.steps.len();
    let mut live = vec![false; n];
    let mut stack: Vec<usize> = tape.outputs.iter().filter_map(|r| if let Ref::Step(s, _) = r { Some(*s) } else { None }).collect();
    while let Some(s) = stack.pop() {
        if std::mem::replace(&mut live[s], true) {
            continue;
        }
        for r in &tape.steps[s].inputs {
            if let Ref::Step(t, _) = r {
                stack.push(*t);
            }
        }
    }
    let mut index = vec![usize::MAX; n];
    let mut steps = Vec::new();
    for (s, step) in std::mem::take(&mut tape.steps).into_iter().enumerate() {
        if live[s] {
            index[s] = steps.len();
            steps.push(step);
        }
    }
    tape.steps = steps;
    remap(tape, |r| match r {
        Ref::Step(s, k) => Ref::Step(index[s], k),
        r => r,
    });
    // Constants no live step or output uses.
    let mut used = vec![false; tape.consts.len()];
    for r in tape.steps.iter().flat_map(|s| s.inputs.iter()).chain(tape.outputs.iter()) {
        if let Ref::Const(c) = r {
            used[*c] = true;
        }
    }
    let mut cindex = vec![usize::MAX; used.len()];
    let mut consts = Vec::new();
    for (c, t) in std::mem::take(&mut tape.consts).into_iter().enumerate() {
        if used[c] {
            cindex[c] = consts.len();
            consts.push(t);
        }
    }
    tape.consts = consts;
    remap(tape, |r| match r {
        Ref::Const(c) => Ref::Const(cindex[c]),
        r => r,
    });
}
