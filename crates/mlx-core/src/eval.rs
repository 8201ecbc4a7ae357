//! The scheduler. `eval` orders the unevaluated part of the graph with an iterative depth-first
//! search (no recursion, so million-node chains are fine), then runs each node once on its
//! device's backend. View primitives are layout arithmetic done here; backends never see them.
//! After a node runs it drops its inputs, so intermediates are freed as soon as their last
//! consumer has run (except nodes built while a transform traced, which keep them until
//! `graph::release`). Two threads may evaluate overlapping graphs: a node's data is set once,
//! and a node without data always still has its inputs.
//!
//! Buffer donation: an elementwise node hands the backend the data of each input that nothing
//! else can reach (the input's node is referenced only from this node's input list, which is
//! locked for the whole run, and has a single output), so the kernel may write its result into
//! that input's buffer. The node's data is set before the lock is released, so another thread
//! waiting on the same node finds it evaluated; on an error the inputs get their data back.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

use mlx_ops::{ArrayData, Backend, Error, PerOutput, Primitive, Result, Spec};

use crate::device::backend_for;
use crate::tensor::{Node, Tensor};

/// Evaluates the given arrays (`mx.eval`).
pub fn eval(outputs: &[&Tensor]) -> Result<()> {
    for node in topological_order(outputs) {
        if node.data.get().is_some() {
            continue;
        }
        let primitive = node.primitive.as_ref().ok_or_else(|| Error::runtime("eval", "a leaf has no data"))?;
        let backend = backend_for(node.device)?;
        let keep_inputs = node.keep_inputs.load(std::sync::atomic::Ordering::SeqCst);
        if !keep_inputs && matches!(primitive, Primitive::Unary(_) | Primitive::Binary(_)) {
            run_donating(backend.as_ref(), primitive, &node)?;
        } else {
            // The inputs' data, read under the lock (no copy of the handle list).
            let in_data = {
                let inputs = node.inputs.lock().unwrap_or_else(|e| e.into_inner());
                if node.data.get().is_some() {
                    // Another thread evaluated it (and may have dropped its inputs) meanwhile.
                    continue;
                }
                let mut in_data = Vec::with_capacity(inputs.len());
                for t in inputs.iter() {
                    let d = t.node.data.get().ok_or_else(|| Error::runtime("eval", "input evaluated out of order"))?;
                    in_data.push(d[t.output].clone());
                }
                in_data
            };
            let out = run_node(backend.as_ref(), primitive, &in_data, &node.specs)?;
            drop(in_data);
            let _ = node.data.set(out);
        }
        if !keep_inputs {
            drop(node.take_inputs());
        }
    }
    Ok(())
}

/// Runs an elementwise `node` with buffer donation (see the module docs) and sets its data.
fn run_donating(backend: &dyn Backend, primitive: &Primitive, node: &Node) -> Result<()> {
    let mut inputs = node.inputs.lock().unwrap_or_else(|e| e.into_inner());
    if node.data.get().is_some() {
        return Ok(()); // another thread evaluated it while we waited for the lock
    }
    // Each input's data: taken out of its node when this list holds the node's only handle
    // (`donated`), else a shared clone. Arrays, not vectors: elementwise ops take one or two
    // inputs, and this runs once per node.
    if inputs.len() > 2 {
        return Err(Error::runtime(primitive.name(), "wrong number of inputs"));
    }
    let mut data: [Option<ArrayData>; 2] = [None, None];
    let mut donated = [false; 2];
    for (i, t) in inputs.iter_mut().enumerate() {
        let taken = Arc::get_mut(&mut t.node).and_then(|n| match n.data.take() {
            Some(PerOutput::One(d)) => Some(d),
            other => {
                n.data = other.map(OnceLock::from).unwrap_or_default();
                None
            }
        });
        donated[i] = taken.is_some();
        data[i] = Some(match taken {
            Some(d) => d,
            None => t.node.data.get().ok_or_else(|| Error::runtime("eval", "input evaluated out of order"))?[t.output].clone(),
        });
    }
    let out = &node.specs[0];
    let result = match (primitive, &mut data) {
        (Primitive::Unary(op), [Some(x), None]) => backend.unary_donated(*op, x, out),
        (Primitive::Binary(op), [Some(a), Some(b)]) => backend.binary_donated(*op, a, b, out),
        _ => Err(Error::runtime(primitive.name(), "wrong number of inputs")),
    }
    .and_then(|one| matches_inference(backend, primitive, one, out));
    match result {
        Ok(one) => {
            let _ = node.data.set(PerOutput::One(one));
            Ok(())
        }
        Err(e) => {
            // The backend left the inputs untouched: give their data back.
            for ((t, d), was) in inputs.iter_mut().zip(data).zip(donated) {
                if let (true, Some(n), Some(d)) = (was, Arc::get_mut(&mut t.node), d) {
                    n.data = OnceLock::from(PerOutput::One(d));
                }
            }
            Err(e)
        }
    }
}

/// The unevaluated nodes reachable from `outputs`, each after all of its inputs.
fn topological_order(outputs: &[&Tensor]) -> Vec<Arc<Node>> {
    let mut order = Vec::new();
    let mut visited: HashSet<*const Node, BuildHasherDefault<PtrHasher>> = HashSet::default();
    let mut stack: Vec<(Arc<Node>, bool)> = Vec::new();
    for t in outputs {
        if t.node.data.get().is_none() {
            stack.push((t.node.clone(), false));
        }
    }
    while let Some((node, expanded)) = stack.pop() {
        if expanded {
            order.push(node);
            continue;
        }
        if !visited.insert(Arc::as_ptr(&node)) {
            continue;
        }
        let inputs = node.inputs.lock().unwrap_or_else(|e| e.into_inner());
        if node.data.get().is_some() {
            // Evaluated by another thread meanwhile: its inputs may have given their data to it
            // (donation), so they must not be scheduled again.
            continue;
        }
        stack.push((node.clone(), true));
        stack.extend(
            inputs
                .iter()
                .filter(|t| t.node.data.get().is_none() && !visited.contains(&Arc::as_ptr(&t.node)))
                .map(|t| (t.node.clone(), false)),
        );
    }
    order
}

/// Hashes node addresses (already unique, 8-byte aligned) with one multiply: the visited set is
/// the hot path of building the order, and SipHash would dominate it for scalar graphs.
#[derive(Default)]
struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, v: usize) {
        // Fibonacci hashing; the high bits (which hashbrown uses) mix every address bit.
        self.0 = (v as u64 >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Runs one primitive on realized inputs with `backend`, views done as the scheduler does them
/// (`specs` are the primitive's inferred outputs). For backend conformance tests and tools; the
/// scheduler uses it for every node. Exhaustive on purpose: a new primitive must say how it is
/// evaluated.
///
/// # Errors
/// The backend's error, or `[op]` when its output disagrees with `specs`.
pub fn run(backend: &dyn Backend, primitive: &Primitive, x: &[ArrayData], specs: &[Spec]) -> Result<Vec<ArrayData>> {
    run_node(backend, primitive, x, specs).map(PerOutput::into_vec)
}

/// [`run`] for the scheduler: a single output is returned inline.
fn run_node(backend: &dyn Backend, primitive: &Primitive, x: &[ArrayData], specs: &[Spec]) -> Result<PerOutput<ArrayData>> {
    if let Primitive::Custom { num_outputs, .. } = primitive {
        // The function's outputs are the last inputs: pass them through.
        return Ok(x[x.len().saturating_sub(*num_outputs)..].to_vec().into());
    }
    if let Primitive::Linalg(op) = primitive {
        // Several outputs: each checked against its inferred spec.
        let outs = backend.linalg(*op, &x[0], specs)?;
        if outs.len() != specs.len()
            || outs.iter().zip(specs).any(|(o, s)| o.shape() != &s.shape[..] || o.dtype != s.dtype)
        {
            return Err(Error::runtime(primitive.name(), format!("{} produced outputs that differ from inference", backend.name())));
        }
        return Ok(outs.into());
    }
    let out = &specs[0];
    let one = match primitive {
        Primitive::Full { value, .. } => backend.full(out, *value)?,
        Primitive::Arange { start, step, .. } => backend.arange(out, *start, *step)?,
        Primitive::Unary(op) => backend.unary(*op, &x[0], out)?,
        Primitive::Binary(op) => backend.binary(*op, &x[0], &x[1], out)?,
        Primitive::Select => backend.select(&x[0], &x[1], &x[2], out)?,
        Primitive::AsType(_) => {
            if x[0].dtype == out.dtype {
                x[0].clone()
            } else {
                backend.astype(&x[0], out)?
            }
        }
        Primitive::Reduce { op, axes } => backend.reduce(*op, &x[0], axes, out)?,
        Primitive::ArgReduce { op, axis } => backend.arg_reduce(*op, &x[0], *axis, out)?,
        Primitive::Matmul => backend.matmul(&x[0], &x[1], out)?,
        Primitive::Reshape { shape } => match x[0].layout.reshape(shape) {
            Some(layout) => x[0].with_layout(layout),
            None => {
                let c = backend.copy(&x[0])?;
                let layout = c.layout.reshape(shape).ok_or_else(|| Error::runtime("reshape", "copy is not contiguous"))?;
                c.with_layout(layout)
            }
        },
        Primitive::Transpose { perm } => x[0].with_layout(x[0].layout.transpose(perm)),
        Primitive::BroadcastTo { shape } => x[0].with_layout(x[0].layout.broadcast_to(shape)),
        Primitive::Slice { start, step, shape } => x[0].with_layout(x[0].layout.slice(start, step, shape)),
        Primitive::Concatenate { axis } => backend.concatenate(x, *axis, out)?,
        Primitive::Copy => backend.copy(&x[0])?,
        Primitive::StopGradient => x[0].clone(),
        Primitive::Custom { .. } => return Err(Error::runtime("custom", "handled above")),
        Primitive::Linalg(_) => return Err(Error::runtime("linalg", "handled above")),
        Primitive::RandomBits { .. } => backend.random_bits(&x[0], out)?,
        Primitive::ConvGeneral(p) => backend.conv_general(&x[0], &x[1], p, out)?,
        Primitive::GatherMm => backend.gather_mm(&x[0], &x[1], &x[2], &x[3], out)?,
        // --- shapeops ---
        Primitive::Scan { op, axis, reverse, inclusive } => backend.scan(*op, &x[0], *axis, *reverse, *inclusive, out)?,
        Primitive::Sort { axis } => backend.sort(&x[0], *axis, false, out)?,
        Primitive::ArgSort { axis } => backend.sort(&x[0], *axis, true, out)?,
        Primitive::Gather { axis } => backend.gather(&x[0], &x[1], *axis, out)?,
        Primitive::Scatter { axis, mode } => backend.scatter(*mode, &x[0], &x[1], &x[2], *axis, out)?,
        Primitive::AsStrided { shape, strides, offset } => {
            // Strides count row-major elements of the input: copy first unless it is laid out so.
            let base = if x[0].layout.is_row_contiguous() { x[0].clone() } else { backend.copy(&x[0])? };
            let start = base.layout.offset() + offset;
            base.with_layout(mlx_ops::Layout::new(shape.clone(), strides.clone(), start))
        }
        Primitive::Fft(p) => backend.fft(&x[0], p, out)?,
        Primitive::View { dtype } => {
            if x[0].dtype.size() == dtype.size() {
                ArrayData::new(x[0].buffer.clone(), x[0].layout.clone(), *dtype)
            } else {
                // A fresh contiguous copy holds exactly the viewed bytes, aligned for any dtype.
                let c = backend.copy(&x[0])?;
                ArrayData::new(c.buffer, mlx_ops::Layout::contiguous(&out.shape), *dtype)
            }
        }
        Primitive::Fused(op) => backend.fused(*op, x, out)?,
    };
    Ok(PerOutput::One(matches_inference(backend, primitive, one, out)?))
}

/// Inference is the contract: a kernel disagreeing with it is a bug, reported, not hidden.
fn matches_inference(backend: &dyn Backend, primitive: &Primitive, one: ArrayData, out: &Spec) -> Result<ArrayData> {
    if !mlx_ops::shape::same_shape(one.shape(), &out.shape) || one.dtype != out.dtype {
        return Err(Error::runtime(
            primitive.name(),
            format!("{} produced {:?} {} but inference gave {:?} {}", backend.name(), one.shape(), one.dtype, out.shape, out.dtype),
        ));
    }
    Ok(one)
}

/// Host-visible data for reading on the CPU (device memory would be copied here).
pub(crate) fn host_copy_if_needed(data: &ArrayData) -> Result<ArrayData> {
    match data.buffer.host() {
        Some(_) => Ok(data.clone()),
        None => Err(Error::unsupported("to_vec", "host", "reading device memory")),
    }
}
