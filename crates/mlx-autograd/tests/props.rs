//! Property test over the whole primitive set (`Primitive::catalog()`): for every primitive, on
//! random float64 inputs, the VJP matches central finite differences and the JVP agrees with the
//! VJP (`<v, J u>` computed both ways). Primitives with integer/bool outputs (comparisons,
//! arg-reductions) must give zero gradients, as MLX; `stop_gradient` must give zero.
//!
//! `setup` matches on `Primitive` with no `_ =>` arm, so a new primitive does not compile here
//! until it has a test instance (and, through mlx-autograd's rules, VJP/JVP/batching rules).

use mlx_autograd as tf;
use mlx_core::graph::apply;
use mlx_core::{self as mx, ArgReduceOp, BinaryOp, Dtype, Primitive, ReduceOp, Result, Tensor, UnaryOp};
use proptest::prelude::*;

/// A tiny deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [-1, 1).
    fn sym(&mut self) -> f64 {
        2.0 * self.next() - 1.0
    }
    fn vec(&mut self, n: usize, f: impl Fn(&mut Rng) -> f64) -> Vec<f64> {
        (0..n).map(|_| f(self)).collect()
    }
}

fn tensor(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_slice(v, shape).unwrap()
}

/// How a primitive is exercised.
enum Kind {
    /// Smooth at the sampled points: VJP == finite differences, JVP agrees with VJP.
    Smooth,
    /// Derivative zero by definition (no gradient flows), e.g. integer outputs.
    Zero,
    /// No inputs (creation): nothing to differentiate.
    NoInputs,
    /// No rule written yet: transforms must fail with a clear error, never a wrong answer.
    NoRule,
    /// Not differentiable in MLX either (`view`'s bit reinterpretation): a clear error.
    NotDifferentiable,
}

type Fun = Box<dyn Fn(&[Tensor]) -> Result<Vec<Tensor>>>;

/// A test instance: the function of the differentiable inputs, and the inputs.
struct Setup {
    kind: Kind,
    f: Fun,
    xs: Vec<Tensor>,
    /// Finite-difference tolerance (relative).
    tol: f64,
}

fn prim_fn(p: Primitive) -> Fun {
    Box::new(move |xs: &[Tensor]| apply(p.clone(), xs.to_vec()))
}

fn setup(p: &Primitive, r: &mut Rng) -> Setup {
    let smooth = |f, xs, tol| Setup { kind: Kind::Smooth, f, xs, tol };
    let a34 = |r: &mut Rng| tensor(&r.vec(12, Rng::sym), &[3, 4]);
    match p {
        Primitive::Full { .. } | Primitive::Arange { .. } => {
            Setup { kind: Kind::NoInputs, f: prim_fn(p.clone()), xs: vec![], tol: 0.0 }
        }
        Primitive::Unary(op) => {
            let away = |r: &mut Rng| (0.2 + r.next()) * if r.next() < 0.5 { -1.0 } else { 1.0 };
            let x = match op {
                // away from the kink / the domain edge
                UnaryOp::Abs => r.vec(12, away),
                UnaryOp::Log | UnaryOp::Sqrt | UnaryOp::Log2 | UnaryOp::Log10 => r.vec(12, |r| 0.3 + 2.0 * r.next()),
                UnaryOp::ArcCosh => r.vec(12, |r| 1.2 + 2.0 * r.next()),
                UnaryOp::ArcSin | UnaryOp::ArcCos | UnaryOp::ArcTanh | UnaryOp::ErfInv => r.vec(12, |r| 0.8 * r.sym()),
                UnaryOp::Negative
                | UnaryOp::Exp
                | UnaryOp::Sin
                | UnaryOp::Cos
                | UnaryOp::Tan
                | UnaryOp::ArcTan
                | UnaryOp::Sinh
                | UnaryOp::Cosh
                | UnaryOp::Tanh
                | UnaryOp::ArcSinh
                | UnaryOp::Sigmoid
                | UnaryOp::Erf
                | UnaryOp::Expm1
                | UnaryOp::Log1p => r.vec(12, Rng::sym),
                // Piecewise constant: zero derivative (sampled away from the jumps).
                UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round | UnaryOp::Sign => {
                    let x = tensor(&r.vec(12, |r| (r.next() * 6.0 - 3.0).floor() + 0.3), &[3, 4]);
                    return Setup { kind: Kind::Zero, f: prim_fn(p.clone()), xs: vec![x], tol: 0.0 };
                }
                // Bool/integer valued: fed from a comparison, the derivative is zero.
                UnaryOp::LogicalNot | UnaryOp::BitwiseInvert => {
                    let q = p.clone();
                    let int = matches!(op, UnaryOp::BitwiseInvert);
                    let f = Box::new(move |xs: &[Tensor]| {
                        let c = mx::greater(&xs[0], 0.0)?;
                        let c = if int { mx::astype(&c, Dtype::Int32)? } else { c };
                        apply(q.clone(), vec![c])
                    });
                    return Setup { kind: Kind::Zero, f, xs: vec![a34(r)], tol: 0.0 };
                }
                // Complex parts, through a float32 complex round trip (hence the tolerance).
                UnaryOp::Real | UnaryOp::Imag | UnaryOp::Conjugate => {
                    let op = *op;
                    let f = Box::new(move |xs: &[Tensor]| -> Result<Vec<Tensor>> {
                        let z = mx::multiply(&mx::astype(&xs[0], Dtype::Complex64)?, mx::C64::new(0.6, 0.8))?;
                        let y = apply(Primitive::Unary(op), vec![z])?.remove(0);
                        let y = if y.dtype().is_complex() { mx::real(&y)? } else { y };
                        Ok(vec![mx::astype(&y, Dtype::Float64)?])
                    });
                    return smooth(f, vec![a34(r)], 1e-3);
                }
            };
            // erf/erfinv are float32-accurate even in float64 (MLX's approximations, kept so that
            // `random::normal` matches MLX): finite differences need a larger step.
            let tol = if matches!(op, UnaryOp::Erf | UnaryOp::ErfInv) { 1e-3 } else { 1e-6 };
            smooth(prim_fn(p.clone()), vec![tensor(&x, &[3, 4])], tol)
        }
        Primitive::Binary(op) => {
            let integer = matches!(
                op,
                BinaryOp::FloorDivide
                    | BinaryOp::BitwiseAnd
                    | BinaryOp::BitwiseOr
                    | BinaryOp::BitwiseXor
                    | BinaryOp::LeftShift
                    | BinaryOp::RightShift
            );
            if integer {
                // Integer valued: inputs from a cast of the float inputs; zero derivative.
                let q = p.clone();
                let f = Box::new(move |xs: &[Tensor]| {
                    let ints: Vec<Tensor> = xs
                        .iter()
                        .map(|x| mx::add(&mx::astype(&mx::multiply(x, 3.0)?, Dtype::Int32)?, 4))
                        .collect::<Result<_>>()?;
                    apply(q.clone(), ints)
                });
                return Setup { kind: Kind::Zero, f, xs: vec![a34(r), a34(r)], tol: 0.0 };
            }
            let a = match op {
                BinaryOp::Power => r.vec(12, |r| 0.3 + 2.0 * r.next()),
                _ => r.vec(12, Rng::sym),
            };
            let b: Vec<f64> = match op {
                BinaryOp::Divide | BinaryOp::Remainder | BinaryOp::ArcTan2 => {
                    r.vec(12, |r| (0.5 + r.next()) * if r.next() < 0.5 { -1.0 } else { 1.0 })
                }
                // separated from a: no ties under the finite-difference step
                _ => a.iter().map(|&x| x + (0.1 + r.next()) * if r.next() < 0.5 { -1.0 } else { 1.0 }).collect(),
            };
            let xs = vec![tensor(&a, &[3, 4]), tensor(&b, &[3, 4])];
            let kind = if op.is_comparison() { Kind::Zero } else { Kind::Smooth };
            Setup { kind, f: prim_fn(p.clone()), xs, tol: 1e-6 }
        }
        Primitive::Select => {
            let c: Vec<bool> = (0..12).map(|_| r.next() < 0.5).collect();
            let cond = Tensor::from_slice(&c, &[3, 4]).unwrap();
            let f = Box::new(move |xs: &[Tensor]| apply(Primitive::Select, vec![cond.clone(), xs[0].clone(), xs[1].clone()]));
            smooth(f, vec![a34(r), a34(r)], 1e-6)
        }
        // float64 -> float32 -> float64: finite differences see float32 rounding.
        Primitive::AsType(_) => smooth(prim_fn(Primitive::AsType(Dtype::Float32)), vec![a34(r)], 1e-3),
        Primitive::Reduce { op, .. } => {
            let x = match op {
                ReduceOp::Prod => r.vec(12, |r| (0.5 + r.next()) * if r.next() < 0.5 { -1.0 } else { 1.0 }),
                ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => r.vec(12, Rng::sym),
            };
            let axes = if r.next() < 0.5 { vec![1] } else { vec![0, 1] };
            smooth(prim_fn(Primitive::Reduce { op: *op, axes }), vec![tensor(&x, &[3, 4])], 1e-6)
        }
        Primitive::ArgReduce { op, .. } => {
            let q = Primitive::ArgReduce { op: *op, axis: if r.next() < 0.5 { 0 } else { 1 } };
            let _ = ArgReduceOp::ArgMax;
            Setup { kind: Kind::Zero, f: prim_fn(q), xs: vec![a34(r)], tol: 0.0 }
        }
        Primitive::Matmul => {
            let a = tensor(&r.vec(24, Rng::sym), &[2, 3, 4]);
            let b = tensor(&r.vec(40, Rng::sym), &[2, 4, 5]);
            smooth(prim_fn(Primitive::Matmul), vec![a, b], 1e-6)
        }
        Primitive::Reshape { .. } => smooth(prim_fn(Primitive::Reshape { shape: vec![2, 6] }), vec![a34(r)], 1e-6),
        Primitive::Transpose { .. } => {
            let x = tensor(&r.vec(24, Rng::sym), &[2, 3, 4]);
            smooth(prim_fn(Primitive::Transpose { perm: vec![2, 0, 1] }), vec![x], 1e-6)
        }
        Primitive::BroadcastTo { .. } => {
            let x = tensor(&r.vec(3, Rng::sym), &[3, 1]);
            smooth(prim_fn(Primitive::BroadcastTo { shape: vec![2, 3, 4] }), vec![x], 1e-6)
        }
        Primitive::Slice { .. } => {
            let x = tensor(&r.vec(30, Rng::sym), &[5, 6]);
            let q = if r.next() < 0.5 {
                Primitive::Slice { start: vec![4, 1], step: vec![-2, 2], shape: vec![2, 3] }
            } else {
                Primitive::Slice { start: vec![1, 0], step: vec![1, 3], shape: vec![3, 2] }
            };
            smooth(prim_fn(q), vec![x], 1e-6)
        }
        Primitive::Concatenate { .. } => {
            let xs = vec![
                tensor(&r.vec(6, Rng::sym), &[2, 3]),
                tensor(&r.vec(2, Rng::sym), &[2, 1]),
                tensor(&r.vec(8, Rng::sym), &[2, 4]),
            ];
            smooth(prim_fn(Primitive::Concatenate { axis: 1 }), xs, 1e-6)
        }
        Primitive::Copy => smooth(prim_fn(Primitive::Copy), vec![a34(r)], 1e-6),
        Primitive::StopGradient => Setup { kind: Kind::Zero, f: prim_fn(Primitive::StopGradient), xs: vec![a34(r)], tol: 0.0 },
        // Random strides, paddings (some wider than the kernel), dilations, groups, flip, over
        // 1 or 2 spatial axes: every branch of the conv rules.
        Primitive::ConvGeneral(_) => {
            let sd = if r.next() < 0.5 { 1 } else { 2 };
            let pick = |r: &mut Rng, n: usize| (r.next() * n as f64) as usize;
            let groups = 1 + pick(r, 2);
            let (cin, cout) = (2, 4);
            let (sp, k): (Vec<usize>, Vec<usize>) = if sd == 1 { (vec![5], vec![2 + pick(r, 2)]) } else { (vec![4, 3], vec![2, 2]) };
            let q = mx::ConvParams {
                stride: (0..sd).map(|_| 1 + pick(r, 2)).collect(),
                padding_lo: (0..sd).map(|_| pick(r, 4)).collect(),
                padding_hi: (0..sd).map(|_| pick(r, 4)).collect(),
                kernel_dilation: (0..sd).map(|_| 1 + pick(r, 2)).collect(),
                input_dilation: (0..sd).map(|_| 1 + pick(r, 2)).collect(),
                groups,
                flip: r.next() < 0.5,
            };
            let xshape: Vec<usize> = [vec![2], sp, vec![cin]].concat();
            let wshape: Vec<usize> = [vec![cout], k, vec![cin / groups]].concat();
            let x = tensor(&r.vec(xshape.iter().product(), Rng::sym), &xshape);
            let w = tensor(&r.vec(wshape.iter().product(), Rng::sym), &wshape);
            smooth(prim_fn(Primitive::ConvGeneral(q)), vec![x, w], 1e-6)
        }
        // Repeated matrix indices on both sides: the gradient accumulates.
        Primitive::GatherMm => {
            let a = tensor(&r.vec(12, Rng::sym), &[3, 2, 2]);
            let b = tensor(&r.vec(24, Rng::sym), &[4, 2, 3]);
            let li = Tensor::from_slice(&[2u32, 0, 2], &[3]).unwrap();
            let ri = Tensor::from_slice(&[1u32, 1, 3], &[3]).unwrap();
            let f = Box::new(move |xs: &[Tensor]| apply(Primitive::GatherMm, vec![xs[0].clone(), xs[1].clone(), li.clone(), ri.clone()]));
            smooth(f, vec![a, b], 1e-6)
        }
        Primitive::ArgSort { axis } => {
            Setup { kind: Kind::Zero, f: prim_fn(Primitive::ArgSort { axis: (*axis).min(1) }), xs: vec![a34(r)], tol: 0.0 }
        }
        // take_along_axis with repeated indices (the gradient accumulates).
        Primitive::Gather { .. } => {
            let idx = Tensor::from_slice(&[0i32, 2, 1, 0, 3, 2, 0, 0, 2, 1, 1, 3, 0, 0, 2], &[3, 5]).unwrap();
            let f = Box::new(move |xs: &[Tensor]| apply(Primitive::Gather { axis: 1 }, vec![xs[0].clone(), idx.clone()]));
            smooth(f, vec![a34(r)], 1e-6)
        }
        // Set with distinct indices per row (a duplicate's overwritten update is not smooth);
        // add with duplicates.
        Primitive::Scatter { mode, .. } if matches!(mode, mx::ScatterMode::Set | mx::ScatterMode::Add) => {
            let q = Primitive::Scatter { axis: 1, mode: *mode };
            let idx = match mode {
                mx::ScatterMode::Set => Tensor::from_slice(&[0i32, 2, 3, 1, 2, 0], &[3, 2]).unwrap(),
                _ => Tensor::from_slice(&[0i32, 0, 3, 1, 2, 2], &[3, 2]).unwrap(),
            };
            let f = Box::new(move |xs: &[Tensor]| apply(q.clone(), vec![xs[0].clone(), idx.clone(), xs[1].clone()]));
            let u = tensor(&r.vec(6, Rng::sym), &[3, 2]);
            smooth(f, vec![a34(r), u], 1e-6)
        }
        Primitive::Scan { op: mx::ScanOp::Sum, .. } => {
            let (reverse, inclusive) = (r.next() < 0.5, r.next() < 0.5);
            smooth(prim_fn(Primitive::Scan { op: mx::ScanOp::Sum, axis: 1, reverse, inclusive }), vec![a34(r)], 1e-6)
        }
        // Random values: no ties, so sort is smooth.
        Primitive::Sort { .. } => {
            let axis = if r.next() < 0.5 { 0 } else { 1 };
            smooth(prim_fn(Primitive::Sort { axis }), vec![a34(r)], 1e-6)
        }
        // Fused last-axis ops: an array and (D,) weight/bias; rules differentiate the composite.
        Primitive::Fused(op) => {
            let mut xs = vec![a34(r)];
            xs.extend((1..op.arity()).map(|_| tensor(&r.vec(4, Rng::sym), &[4])));
            smooth(prim_fn(p.clone()), xs, 1e-6)
        }
        // cumprod with exact zeros (the first-zero handling; it is multilinear, so central
        // differences are exact there); the others at distinct random values (no ties).
        Primitive::Scan { op, .. } => {
            let (reverse, inclusive) = (r.next() < 0.5, r.next() < 0.5);
            let mut x = r.vec(12, Rng::sym);
            if *op == mx::ScanOp::Prod {
                x[1] = 0.0;
                x[5] = 0.0;
                x[7] = 0.0;
            }
            let q = Primitive::Scan { op: *op, axis: 1, reverse, inclusive };
            // An exclusive max/min/logaddexp scan starts at -inf (or the lowest value): masked to
            // zero so the finite differences stay finite (its derivative is zero there anyway).
            let f = Box::new(move |xs: &[Tensor]| -> Result<Vec<Tensor>> {
                let y = apply(q.clone(), xs.to_vec())?.remove(0);
                Ok(vec![mx::r#where(&mx::less(&mx::abs(&y)?, 1e300)?, &y, 0.0)?])
            });
            smooth(f, vec![tensor(&x, &[3, 4])], 1e-6)
        }
        // max/min/prod with duplicate indices; prod with a zero update (multilinear there).
        Primitive::Scatter { mode, .. } => {
            let q = Primitive::Scatter { axis: 1, mode: *mode };
            let idx = Tensor::from_slice(&[0i32, 0, 3, 1, 2, 2], &[3, 2]).unwrap();
            let f = Box::new(move |xs: &[Tensor]| apply(q.clone(), vec![xs[0].clone(), idx.clone(), xs[1].clone()]));
            let mut u = r.vec(6, Rng::sym);
            if *mode == mx::ScatterMode::Prod {
                u[4] = 0.0;
            }
            smooth(f, vec![a34(r), tensor(&u, &[3, 2])], 1e-6)
        }
        // Overlapping windows: elements read twice accumulate.
        Primitive::AsStrided { .. } => {
            let q = Primitive::AsStrided { shape: vec![3, 4], strides: vec![2, 1], offset: 1 };
            smooth(prim_fn(q), vec![a34(r)], 1e-6)
        }
        Primitive::View { .. } => {
            Setup { kind: Kind::NotDifferentiable, f: prim_fn(Primitive::View { dtype: Dtype::Int64 }), xs: vec![a34(r)], tol: 0.0 }
        }
        // Factorizations: MLX has no VJP/JVP for any of them, nor do we.
        Primitive::Linalg(_) => {
            let x = tensor(&r.vec(9, Rng::sym), &[3, 3]);
            Setup { kind: Kind::NoRule, f: prim_fn(p.clone()), xs: vec![x], tol: 0.0 }
        }
        // Integer bits of a key: no gradient flows to anything.
        Primitive::RandomBits { .. } => {
            let f = Box::new(|xs: &[Tensor]| -> Result<Vec<Tensor>> {
                let bits = mx::random::bits(&[3, 4], 4, Some(&mx::random::key(7)))?;
                Ok(vec![mx::multiply(&mx::astype(&bits, Dtype::Float64)?, &mx::multiply(&xs[0], 0.0)?)?])
            });
            Setup { kind: Kind::Zero, f, xs: vec![a34(r)], tol: 0.0 }
        }
        // FFTs run in float32/complex64: a real f64 function around them (real input, real part
        // out), checked with the float32 round-trip step. Only real parts: MLX's VJPs use the
        // conjugate transpose, which finite differences through `imag` would not see the same way
        // as the repository's `imag` rule (see mlx-autograd rules/fft.rs; the golden gradients
        // `rfft_sq`, `irfft_odd`, `fft2_mix`, `stft_energy` pin MLX's values).
        Primitive::Fft(_) => {
            let pick = (r.next() * 4.0) as usize;
            let (real, inverse) = [(false, false), (false, true), (true, false), (true, true)][pick.min(3)];
            let odd_out = real && inverse && r.next() < 0.5;
            let q = Primitive::Fft(mx::FftParams { axes: vec![0, 1], inverse, real, odd_out });
            let f = Box::new(move |xs: &[Tensor]| -> Result<Vec<Tensor>> {
                let input = mx::astype(&xs[0], if real && !inverse { Dtype::Float32 } else { Dtype::Complex64 })?;
                let y = apply(q.clone(), vec![input])?.remove(0);
                let y = if y.dtype() == Dtype::Complex64 { mx::real(&y)? } else { y };
                Ok(vec![mx::astype(&y, Dtype::Float64)?])
            });
            let shape: &[usize] = if real && inverse { &[3, 4] } else { &[3, 5] };
            smooth(f, vec![tensor(&r.vec(shape[0] * shape[1], Rng::sym), shape)], 2e-3)
        }
        Primitive::Custom { .. } => {
            // A custom function without rules: its transforms are those of its definition.
            let cf = tf::CustomFunction::new(|a: &[Tensor]| Ok(vec![mx::multiply(&mx::exp(&a[0])?, &a[1])?]));
            let f = Box::new(move |xs: &[Tensor]| cf.call(xs));
            smooth(f, vec![a34(r), a34(r)], 1e-6)
        }
    }
}

fn dot(a: &Tensor, b: &Tensor) -> f64 {
    let p = mx::multiply(mx::astype(a, Dtype::Float64).unwrap(), mx::astype(b, Dtype::Float64).unwrap()).unwrap();
    mx::sum(&p, mx::Axes::All, false).unwrap().item::<f64>().unwrap()
}

fn values(t: &Tensor) -> Vec<f64> {
    mx::astype(t, Dtype::Float64).unwrap().to_vec::<f64>().unwrap()
}

fn check(p: &Primitive, seed: u64) -> std::result::Result<(), String> {
    let mut r = Rng(seed);
    let s = setup(p, &mut r);
    let name = p.name();
    if matches!(s.kind, Kind::NoInputs) {
        let out = (s.f)(&[]).map_err(|e| e.to_string())?;
        return if out.iter().all(|o| o.inputs().is_empty()) { Ok(()) } else { Err(format!("{name}: has inputs")) };
    }
    let outs = (s.f)(&s.xs).map_err(|e| format!("{name}: {e}"))?;
    if matches!(s.kind, Kind::NoRule | Kind::NotDifferentiable) {
        let ws: Vec<Tensor> = outs.iter().map(|o| mx::ones_like(o).unwrap()).collect();
        let f = &s.f;
        let want = if matches!(s.kind, Kind::NoRule) { "no transform rule" } else { "not implemented for View" };
        match tf::jvp(|xs: &[Tensor]| f(xs), &s.xs, &s.xs) {
            Err(e) if e.to_string().contains(want) => {}
            other => return Err(format!("{name}: jvp should fail with '{want}', got {:?}", other.map(|_| ()))),
        }
        return match tf::vjp(|xs: &[Tensor]| f(xs), &s.xs, &ws) {
            Err(e) if e.to_string().contains(want) => Ok(()),
            Err(e) => Err(format!("{name}: unexpected error {e}")),
            Ok(_) => Err(format!("{name}: has a rule now: give it a Smooth test instance")),
        };
    }
    // Random cotangents (in the outputs' dtypes; zeros-only outputs are fine too).
    let ws: Vec<Tensor> = outs
        .iter()
        .map(|o| mx::astype(&tensor(&r.vec(o.size(), Rng::sym), o.shape()), o.dtype()).unwrap())
        .collect();
    let f = &s.f;
    let scalar = |xs: &[Tensor]| -> f64 {
        let o = f(xs).unwrap();
        o.iter().zip(&ws).map(|(o, w)| dot(o, w)).sum()
    };
    let (_, vj) = tf::vjp(|xs: &[Tensor]| f(xs), &s.xs, &ws).map_err(|e| format!("{name} vjp: {e}"))?;
    let us: Vec<Tensor> = s.xs.iter().map(|x| tensor(&r.vec(x.size(), Rng::sym), x.shape())).collect();
    let (_, ju) = tf::jvp(|xs: &[Tensor]| f(xs), &s.xs, &us).map_err(|e| format!("{name} jvp: {e}"))?;
    match s.kind {
        Kind::Zero => {
            for g in vj.iter().chain(&ju) {
                if values(g).iter().any(|&v| v != 0.0) {
                    return Err(format!("{name}: expected zero derivatives, got {:?}", values(g)));
                }
            }
            Ok(())
        }
        Kind::Smooth => {
            // VJP vs central differences, element by element.
            // A linear float32 round trip needs a larger step to rise above rounding.
            let h = if s.tol > 1e-5 { 1e-2 } else { 1e-6 };
            for (i, x) in s.xs.iter().enumerate() {
                let base = values(x);
                let g = values(&vj[i]);
                for j in 0..base.len() {
                    let mut plus = base.clone();
                    plus[j] += h;
                    let mut minus = base.clone();
                    minus[j] -= h;
                    let mut xp = s.xs.clone();
                    xp[i] = tensor(&plus, x.shape());
                    let mut xm = s.xs.clone();
                    xm[i] = tensor(&minus, x.shape());
                    let fd = (scalar(&xp) - scalar(&xm)) / (2.0 * h);
                    if (fd - g[j]).abs() > s.tol * (1.0 + fd.abs()) * 10.0 {
                        return Err(format!("{name}: input {i} element {j}: vjp {} vs finite difference {fd}", g[j]));
                    }
                }
            }
            // <v, J u> == <J^T v, u>
            let a: f64 = ws.iter().zip(&ju).map(|(w, t)| dot(w, t)).sum();
            let b: f64 = vj.iter().zip(&us).map(|(g, u)| dot(g, u)).sum();
            if (a - b).abs() > s.tol * 1e-3 * (1.0 + a.abs()) {
                return Err(format!("{name}: <v, J u> = {a} but <J^T v, u> = {b}"));
            }
            Ok(())
        }
        Kind::NoInputs | Kind::NoRule | Kind::NotDifferentiable => Ok(()),
    }
}

#[test]
fn every_primitive_has_a_test_instance() {
    // Exhaustiveness is checked by the compiler in `setup`; this runs one seed over the catalog.
    for p in Primitive::catalog() {
        check(&p, 1).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]
    #[test]
    fn vjp_matches_finite_differences_and_jvp(seed in any::<u64>()) {
        for p in Primitive::catalog() {
            if let Err(e) = check(&p, seed) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}
