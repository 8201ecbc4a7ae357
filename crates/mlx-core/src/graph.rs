//! Graph inspection and tracing, the small surface function transforms (mlx-autograd) build on.
//!
//! - Inspection: a tensor's [`Tensor::primitive`], [`Tensor::inputs`], [`Tensor::output_index`],
//!   [`Tensor::node_id`] (identity of its node) and [`Tensor::siblings`] (all outputs of its node);
//!   [`apply`] builds a node of any primitive.
//! - Tracing: while a [`TraceGuard`] is alive on a thread, nodes created on that thread keep
//!   their inputs after evaluation, so a transform can walk the graph of a function that called
//!   `eval` or `item`. Outside any guard, evaluated nodes drop their inputs (flat memory).
//!
//! - Release: when the outermost transform is done with a traced graph, [`release`] clears the
//!   flag on it (evaluated nodes drop their inputs now, the others when evaluated), so a result
//!   the user keeps (a loss) does not pin the intermediates of its computation. It is a no-op
//!   while any trace on the thread is active or paused, or a transform holds its graph
//!   ([`hold_graphs`], while walking it: rules may run nested transforms).
//!
//! Invariants: the tracing depth is per thread (transforms on different threads are
//! independent); a node's `keep_inputs` flag is set when it is created and only ever cleared. A
//! leaf (host data) or an evaluated node without the flag reports no inputs: to a transform it
//! is a constant.

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use mlx_ops::{Primitive, Result};

use crate::Tensor;

thread_local! {
    static TRACE_DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Holds on traced graphs other than tracing itself: pauses (see [`pause_tracing`]) that
    /// suspended an active trace, and [`hold_graphs`] guards (a transform walking its graph).
    /// While any is alive, [`release`] does nothing.
    static HOLDS: Cell<usize> = const { Cell::new(0) };
}

/// While alive, nodes created on this thread keep their inputs after evaluation. Nests.
#[must_use = "tracing stops when the guard is dropped"]
pub struct TraceGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl TraceGuard {
    pub fn new() -> TraceGuard {
        TRACE_DEPTH.with(|d| d.set(d.get() + 1));
        TraceGuard { _not_send: std::marker::PhantomData }
    }
}

impl Default for TraceGuard {
    fn default() -> Self {
        TraceGuard::new()
    }
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        TRACE_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// While alive, tracing is off on this thread (depth 0); the previous depth comes back on drop.
/// For code that must not keep a graph even inside a transform (`checkpoint`'s forward pass).
#[must_use = "tracing resumes when the guard is dropped"]
pub struct PauseGuard {
    saved: usize,
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Suspends tracing on this thread until the returned guard drops.
pub fn pause_tracing() -> PauseGuard {
    let saved = TRACE_DEPTH.with(|d| d.replace(0));
    if saved > 0 {
        HOLDS.with(|p| p.set(p.get() + 1));
    }
    PauseGuard { saved, _not_send: std::marker::PhantomData }
}

impl Drop for PauseGuard {
    fn drop(&mut self) {
        TRACE_DEPTH.with(|d| d.set(self.saved));
        if self.saved > 0 {
            HOLDS.with(|p| p.set(p.get().saturating_sub(1)));
        }
    }
}

/// While alive, [`release`] does nothing on this thread: for a transform walking a traced graph
/// after its trace ended (a rule may run another transform, whose release must not touch the
/// graph being walked).
#[must_use = "the hold ends when the guard is dropped"]
pub struct HoldGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Blocks [`release`] on this thread until the returned guard drops. Nests.
pub fn hold_graphs() -> HoldGuard {
    HOLDS.with(|p| p.set(p.get() + 1));
    HoldGuard { _not_send: std::marker::PhantomData }
}

impl Drop for HoldGuard {
    fn drop(&mut self) {
        HOLDS.with(|p| p.set(p.get().saturating_sub(1)));
    }
}

/// Whether a transform is tracing on this thread.
pub fn is_tracing() -> bool {
    TRACE_DEPTH.with(|d| d.get() > 0)
}

/// How many transforms are tracing on this thread (nesting depth).
pub fn trace_depth() -> usize {
    TRACE_DEPTH.with(|d| d.get())
}

/// A node computing `primitive` of `inputs` (validated by its inference rule), one handle per
/// output. The low-level constructor transforms use to rebuild or batch a node; prefer the op
/// functions elsewhere.
///
/// # Errors
/// The primitive's inference error (`[op] ...`) when the inputs do not fit it.
pub fn apply(primitive: Primitive, inputs: Vec<Tensor>) -> Result<Vec<Tensor>> {
    Tensor::from_primitive_multi(primitive, inputs)
}

/// Ends tracing's hold on the graph behind `roots`: every node reachable through nodes created
/// while tracing stops keeping its inputs (an evaluated one drops them now). Call it when the
/// outermost transform no longer needs the graph; does nothing while a transform traces on this
/// thread, even a paused one, or walks a graph ([`hold_graphs`]): it still needs it.
pub fn release(roots: &[Tensor]) {
    if is_tracing() || HOLDS.with(|p| p.get() > 0) {
        return;
    }
    let mut seen: HashSet<usize> = HashSet::new();
    let mut stack: Vec<Tensor> = roots.to_vec();
    while let Some(t) = stack.pop() {
        if !seen.insert(Arc::as_ptr(&t.node) as usize) || !t.node.keep_inputs.swap(false, Ordering::SeqCst) {
            continue;
        }
        let inputs = t.node.inputs();
        if t.node.data.get().is_some() {
            drop(t.node.take_inputs());
        }
        stack.extend(inputs);
    }
}

/// Identity of a node (stable while any handle to it is alive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(usize);

impl Tensor {
    /// The primitive that computes this tensor; `None` for a leaf holding host data.
    pub fn primitive(&self) -> Option<&Primitive> {
        self.node.primitive.as_ref()
    }
    /// The node's inputs. Empty for leaves and for evaluated nodes created outside tracing
    /// (they dropped their inputs).
    pub fn inputs(&self) -> Vec<Tensor> {
        self.node.inputs()
    }
    /// Which output of its node this tensor is.
    pub fn output_index(&self) -> usize {
        self.output
    }
    /// The identity of this tensor's node.
    pub fn node_id(&self) -> NodeId {
        NodeId(Arc::as_ptr(&self.node) as usize)
    }
    /// Every output of this tensor's node, in order (this tensor among them).
    pub fn siblings(&self) -> Vec<Tensor> {
        (0..self.node.specs.len()).map(|output| Tensor { node: self.node.clone(), output }).collect()
    }
    /// Whether evaluation keeps this node's inputs (it was created while tracing).
    pub fn keeps_inputs(&self) -> bool {
        self.node.keep_inputs.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracing_keeps_inputs_after_eval() {
        let a = crate::ones(&[2], None).unwrap();
        let b = crate::exp(&a).unwrap();
        b.eval().unwrap();
        assert!(b.inputs().is_empty());
        let c = {
            let _g = TraceGuard::new();
            assert!(is_tracing());
            let c = crate::exp(&a).unwrap();
            c.eval().unwrap();
            c
        };
        assert!(!is_tracing());
        assert_eq!(c.inputs().len(), 1);
        assert!(c.inputs()[0].same_node(&a));
        assert_eq!(c.primitive().map(|p| p.name()), Some("exp"));
        assert_eq!(c.siblings().len(), 1);
        assert_eq!(c.node_id(), c.clone().node_id());
        release(std::slice::from_ref(&c));
        assert!(!c.keeps_inputs());
        assert!(c.inputs().is_empty());
    }
}
