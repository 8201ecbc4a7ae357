//! Walking a traced graph: which nodes lie on a path from the transform's inputs to the
//! function's outputs, in topological order.
//!
//! Invariants: iterative (no recursion, so deep graphs are fine); a node is visited once; the
//! walk never descends into a source node (the transform's inputs) or past a custom function's
//! arguments (its internal graph is not part of the transformed function: the custom rules
//! replace it).

use std::collections::{HashMap, HashSet};

use mlx_core::graph::NodeId;
use mlx_core::{Primitive, Tensor};

/// The edges a transform follows from a node: its inputs, without a custom function's outputs
/// (the trailing inputs of a `Custom` node).
pub(crate) fn edges(node: &Tensor) -> Vec<Tensor> {
    let mut inputs = node.inputs();
    if let Some(Primitive::Custom { num_outputs, .. }) = node.primitive() {
        inputs.truncate(inputs.len().saturating_sub(*num_outputs));
    }
    inputs
}

/// Key of one output of one node.
pub(crate) type Key = (NodeId, usize);

pub(crate) fn key(t: &Tensor) -> Key {
    (t.node_id(), t.output_index())
}

/// The nodes (one handle each) that depend on some source and that some output depends on,
/// sources excluded, each after all of its inputs.
pub(crate) fn active_nodes(sources: &[Tensor], outputs: &[Tensor]) -> (Vec<Tensor>, HashSet<NodeId>) {
    let source_ids: HashSet<NodeId> = sources.iter().map(|t| t.node_id()).collect();
    // Post-order over everything reachable, stopping at sources.
    let mut post: Vec<(Tensor, Vec<Tensor>)> = Vec::new();
    let mut visited: HashSet<NodeId> = HashSet::new();
    let mut stack: Vec<(Tensor, bool)> = outputs.iter().rev().map(|t| (t.clone(), false)).collect();
    let mut edge_cache: HashMap<NodeId, Vec<Tensor>> = HashMap::new();
    while let Some((t, expanded)) = stack.pop() {
        let id = t.node_id();
        if expanded {
            let e = edge_cache.remove(&id).unwrap_or_default();
            post.push((t, e));
            continue;
        }
        if source_ids.contains(&id) || !visited.insert(id) {
            continue;
        }
        let e = edges(&t);
        stack.push((t, true));
        for i in e.iter().rev() {
            if !visited.contains(&i.node_id()) && !source_ids.contains(&i.node_id()) {
                stack.push((i.clone(), false));
            }
        }
        edge_cache.insert(id, e);
    }
    let mut active: HashSet<NodeId> = HashSet::new();
    let mut order = Vec::new();
    for (t, e) in post {
        let id = t.node_id();
        if e.iter().any(|i| source_ids.contains(&i.node_id()) || active.contains(&i.node_id())) {
            active.insert(id);
            order.push(t);
        }
    }
    (order, active)
}
