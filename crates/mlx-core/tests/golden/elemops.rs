//! Replay arms of the elemops families (issue #3): math_unary, math_binary, random,
//! dtype_utils. Called from `replay::dispatch` for ops it does not know.

use mlx_core::{self as mx, random, Dtype, DtypeClass, DtypeLike, Operand, Tensor};
use serde_json::Value;

use crate::replay::{dtype_of, harness, int_param, opt_dtype, scalar_of, shape_of, tensor, Input, Step};

fn operand(xs: &[Input], i: usize) -> Step<Operand> {
    match xs.get(i) {
        Some(Input::T(t)) => Ok(Operand::Array(t.clone())),
        Some(Input::S(s)) => Ok(Operand::Scalar(*s)),
        None => harness(format!("missing input {i}")),
    }
}

/// A bound parameter: `null` -> None, a number -> weak scalar, `{"input": i}` -> input i.
fn bound(p: &Value, key: &str, xs: &[Input]) -> Step<Option<Operand>> {
    let v = &p[key];
    if v.is_null() {
        return Ok(None);
    }
    if let Some(i) = v.get("input").and_then(Value::as_u64) {
        return operand(xs, i as usize).map(Some);
    }
    scalar_of(v).map(|s| Some(Operand::Scalar(s)))
}

fn required(p: &Value, key: &str, xs: &[Input]) -> Step<Operand> {
    bound(p, key, xs)?.map_or_else(|| harness(format!("{key} is null")), Ok)
}

fn f64_param(p: &Value, key: &str) -> Step<f64> {
    p[key].as_f64().map_or_else(|| harness(format!("param {key} is not a number")), Ok)
}

fn opt_f64(p: &Value, key: &str) -> Step<Option<f64>> {
    if p[key].is_null() {
        Ok(None)
    } else {
        f64_param(p, key).map(Some)
    }
}

fn bool_param(p: &Value, key: &str) -> Step<bool> {
    p[key].as_bool().map_or_else(|| harness(format!("param {key} is not a bool")), Ok)
}

fn opt_shape(p: &Value) -> Step<Option<Vec<usize>>> {
    if p["shape"].is_null() {
        Ok(None)
    } else {
        shape_of(&p["shape"]).map(Some)
    }
}

fn dtype_like(v: &Value) -> Step<DtypeLike> {
    let class = match v.as_str() {
        Some("generic") => DtypeClass::Generic,
        Some("number") => DtypeClass::Number,
        Some("integer") => DtypeClass::Integer,
        Some("signedinteger") => DtypeClass::SignedInteger,
        Some("unsignedinteger") => DtypeClass::UnsignedInteger,
        Some("inexact") => DtypeClass::Inexact,
        Some("floating") => DtypeClass::Floating,
        Some("complexfloating") => DtypeClass::ComplexFloating,
        _ => return dtype_of(v).map(DtypeLike::Dtype),
    };
    Ok(DtypeLike::Class(class))
}

fn one(r: mx::Result<Tensor>) -> mx::Result<Vec<Tensor>> {
    r.map(|t| vec![t])
}

pub fn dispatch(op: &str, p: &Value, xs: &[Input]) -> Step<mx::Result<Vec<Tensor>>> {
    let x = || tensor(xs, 0);
    let unary: Option<fn(&Tensor) -> mx::Result<Tensor>> = match op {
        "sin" => Some(mx::sin),
        "cos" => Some(mx::cos),
        "tan" => Some(mx::tan),
        "arcsin" => Some(mx::arcsin),
        "arccos" => Some(mx::arccos),
        "arctan" => Some(mx::arctan),
        "sinh" => Some(mx::sinh),
        "cosh" => Some(mx::cosh),
        "tanh" => Some(mx::tanh),
        "arcsinh" => Some(mx::arcsinh),
        "arccosh" => Some(mx::arccosh),
        "arctanh" => Some(mx::arctanh),
        "sigmoid" => Some(mx::sigmoid),
        "erf" => Some(mx::erf),
        "erfinv" => Some(mx::erfinv),
        "expm1" => Some(mx::expm1),
        "log1p" => Some(mx::log1p),
        "log2" => Some(mx::log2),
        "log10" => Some(mx::log10),
        "floor" => Some(mx::floor),
        "ceil" => Some(mx::ceil),
        "sign" => Some(mx::sign),
        "logical_not" => Some(mx::logical_not),
        "bitwise_invert" => Some(mx::bitwise_invert),
        "real" => Some(mx::real),
        "imag" => Some(mx::imag),
        "conj" => Some(mx::conj),
        "conjugate" => Some(mx::conjugate),
        "degrees" => Some(mx::degrees),
        "radians" => Some(mx::radians),
        "reciprocal" => Some(mx::reciprocal),
        "rsqrt" => Some(mx::rsqrt),
        "square" => Some(mx::square),
        "isnan" => Some(mx::isnan),
        "isinf" => Some(mx::isinf),
        "isfinite" => Some(mx::isfinite),
        "isposinf" => Some(mx::isposinf),
        "isneginf" => Some(mx::isneginf),
        "trunc" => Some(mx::trunc),
        "positive" => Some(mx::positive),
        "acos" => Some(mx::acos),
        "acosh" => Some(mx::acosh),
        "asin" => Some(mx::asin),
        "asinh" => Some(mx::asinh),
        "atan" => Some(mx::atan),
        "atanh" => Some(mx::atanh),
        _ => None,
    };
    if let Some(f) = unary {
        return Ok(one(f(x()?)));
    }
    let binary: Option<fn(Operand, Operand) -> mx::Result<Tensor>> = match op {
        "power" => Some(mx::power),
        "floor_divide" => Some(mx::floor_divide),
        "remainder" => Some(mx::remainder),
        "logaddexp" => Some(mx::logaddexp),
        "arctan2" => Some(mx::arctan2),
        "bitwise_and" => Some(mx::bitwise_and),
        "bitwise_or" => Some(mx::bitwise_or),
        "bitwise_xor" => Some(mx::bitwise_xor),
        "left_shift" => Some(mx::left_shift),
        "right_shift" => Some(mx::right_shift),
        "logical_and" => Some(mx::logical_and),
        "logical_or" => Some(mx::logical_or),
        "logical_xor" => Some(mx::logical_xor),
        "atan2" => Some(mx::atan2),
        "pow" => Some(mx::pow),
        "bitwise_left_shift" => Some(mx::bitwise_left_shift),
        "bitwise_right_shift" => Some(mx::bitwise_right_shift),
        _ => None,
    };
    if let Some(f) = binary {
        return Ok(one(f(operand(xs, 0)?, operand(xs, 1)?)));
    }
    let rng_key = || -> Step<Option<&Tensor>> { if xs.is_empty() { Ok(None) } else { tensor(xs, 0).map(Some) } };
    let dtype = || dtype_of(&p["dtype"]);
    let r = match op {
        "divmod" => mx::divmod(operand(xs, 0)?, operand(xs, 1)?).map(|(q, r)| vec![q, r]),
        "outer" => one(mx::outer(x()?, tensor(xs, 1)?)),
        "inner" => one(mx::inner(x()?, tensor(xs, 1)?)),
        "kron" => one(mx::kron(x()?, tensor(xs, 1)?)),
        "round" => one(mx::round(x()?, int_param(p, "decimals")? as i32)),
        "nan_to_num" => one(mx::nan_to_num(x()?, f64_param(p, "nan")?, opt_f64(p, "posinf")?, opt_f64(p, "neginf")?)),
        "clip" => one(mx::clip(x()?, bound(p, "a_min", xs)?, bound(p, "a_max", xs)?)),
        "isclose" | "allclose" => {
            let (rtol, atol, en) = (f64_param(p, "rtol")?, f64_param(p, "atol")?, bool_param(p, "equal_nan")?);
            let f = if op == "isclose" { mx::isclose } else { mx::allclose };
            one(f(x()?, tensor(xs, 1)?, rtol, atol, en))
        }
        "array_equal" => one(mx::array_equal(x()?, tensor(xs, 1)?, bool_param(p, "equal_nan")?)),
        "hanning" | "hamming" | "blackman" | "bartlett" => {
            let m = int_param(p, "m")? as usize;
            let f = match op {
                "hanning" => mx::hanning,
                "hamming" => mx::hamming,
                "blackman" => mx::blackman,
                _ => mx::bartlett,
            };
            one(f(m))
        }
        "finfo" => mx::finfo(dtype()?).map(|i| vec![Tensor::from_vec(vec![i.min, i.max, i.eps])]),
        "iinfo" => mx::iinfo(dtype()?).map(|i| vec![Tensor::from_vec(vec![i.min as f64, i.max as f64])]),
        "issubdtype" => Ok(vec![Tensor::scalar(mx::issubdtype(dtype_like(&p["a"])?, dtype_like(&p["b"])?))]),
        "isdtype" => {
            let kinds: Vec<&str> = p["kinds"].as_array().map_or(vec![], |v| v.iter().filter_map(Value::as_str).collect());
            mx::isdtype(dtype()?, &kinds).map(|b| vec![Tensor::scalar(b)])
        }
        "can_cast" => Ok(vec![Tensor::scalar(mx::can_cast(dtype_of(&p["from"])?, dtype_of(&p["to"])?))]),
        "result_type" => {
            let ops: Vec<Operand> = (0..xs.len()).map(|i| operand(xs, i)).collect::<Step<_>>()?;
            one(mx::zeros(&[], mx::result_type(&ops)))
        }
        "random.key" => {
            let s = p["seed"].as_u64().map_or_else(|| harness("seed is not a u64"), Ok)?;
            Ok(vec![random::key(s)])
        }
        "random.seed" => {
            let s = p["seed"].as_u64().map_or_else(|| harness("seed is not a u64"), Ok)?;
            random::seed(s);
            let shape = shape_of(&p["shape"])?;
            (0..int_param(p, "calls")?).map(|_| random::uniform(0.0, 1.0, &shape, Dtype::Float32, None)).collect()
        }
        "random.split" => one(random::split(x()?, int_param(p, "num")? as usize)),
        "random.uniform" => one(random::uniform(
            required(p, "low", xs)?,
            required(p, "high", xs)?,
            &shape_of(&p["shape"])?,
            dtype()?,
            rng_key()?,
        )),
        "random.normal" => one(random::normal(
            &shape_of(&p["shape"])?,
            dtype()?,
            f64_param(p, "loc")?,
            f64_param(p, "scale")?,
            rng_key()?,
        )),
        "random.truncated_normal" => one(random::truncated_normal(
            required(p, "lower", xs)?,
            required(p, "upper", xs)?,
            opt_shape(p)?.as_deref(),
            dtype()?,
            rng_key()?,
        )),
        "random.randint" => one(random::randint(
            required(p, "low", xs)?,
            required(p, "high", xs)?,
            &shape_of(&p["shape"])?,
            dtype()?,
            rng_key()?,
        )),
        "random.bernoulli" => one(random::bernoulli(required(p, "p", xs)?, opt_shape(p)?.as_deref(), rng_key()?)),
        "random.gumbel" => one(random::gumbel(&shape_of(&p["shape"])?, dtype()?, rng_key()?)),
        "random.laplace" => one(random::laplace(
            &shape_of(&p["shape"])?,
            dtype()?,
            f64_param(p, "loc")?,
            f64_param(p, "scale")?,
            rng_key()?,
        )),
        "random.categorical" => {
            let samples = if !p["num_samples"].is_null() {
                random::Samples::Num(int_param(p, "num_samples")? as usize)
            } else if let Some(s) = opt_shape(p)? {
                random::Samples::Shape(s)
            } else {
                random::Samples::One
            };
            one(random::categorical(tensor(xs, 1)?, int_param(p, "axis")? as i32, samples, rng_key()?))
        }
        _ => return harness(format!("op `{op}` is not replayed by this harness")),
    };
    let _ = opt_dtype;
    Ok(r)
}
