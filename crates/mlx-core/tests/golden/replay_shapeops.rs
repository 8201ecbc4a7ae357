//! Replay arms for the shape/indexing/scan/sort ops (families of golden/generate_shapeops.py).

use mlx_core::{self as mx, At, IndexItem, PadMode, SplitArg, Tensor};
use serde_json::Value;

use super::{axes_of, harness, i32_list, int_list, int_param, opt_dtype, scalar_of, shape_of, size_of, tensor, Input, Step};

pub const OPS: &[&str] = &[
    "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "sort", "argsort", "partition", "argpartition", "topk",
    "median", "all", "any", "count_nonzero", "trace", "tri", "tril", "triu", "diag", "diagonal", "meshgrid",
    "broadcast_arrays", "stack", "unstack", "split", "tile", "repeat", "pad", "roll", "flip", "moveaxis", "unflatten",
    "atleast_1d", "atleast_2d", "atleast_3d", "diff", "take", "take_along_axis", "put_along_axis", "slice_update",
    "as_strided", "index", "index_put", "at", "view", "searchsorted", "empty",
    "std", "flatten", "swapaxes",
];

fn opt_axis(p: &Value, key: &str) -> Step<Option<i32>> {
    if p[key].is_null() {
        Ok(None)
    } else {
        Ok(Some(int_param(p, key)? as i32))
    }
}

fn flag(p: &Value, key: &str) -> Step<bool> {
    p[key].as_bool().map_or_else(|| harness(format!("{key} is not a bool")), Ok)
}

fn all_tensors(xs: &[Input]) -> Step<Vec<Tensor>> {
    (0..xs.len()).map(|i| tensor(xs, i).cloned()).collect()
}

/// The sorted values along `axis` and the value at `kth` (see the generator's docstring).
fn multiset_and_kth(r: &Tensor, kth: i32, axis: Option<i32>) -> mx::Result<Vec<Tensor>> {
    let ax = axis.unwrap_or(-1);
    let r = if axis.is_none() { mx::flatten(r, 0, -1)? } else { r.clone() };
    let sorted = mx::sort(&r, ax)?;
    let kv = mx::take(&r, &Tensor::scalar(kth), ax)?;
    Ok(vec![sorted, kv])
}

fn index_items(p: &Value, xs: &[Input]) -> Step<Vec<IndexItem>> {
    let Some(items) = p["index"].as_array() else { return harness("index is not a list") };
    let opt = |v: &Value| v.as_i64();
    items
        .iter()
        .map(|it| match it.as_str() {
            Some("newaxis") => Ok(IndexItem::NewAxis),
            Some("ellipsis") => Ok(IndexItem::Ellipsis),
            _ => {
                if let Some(i) = it["int"].as_i64() {
                    Ok(IndexItem::Int(i))
                } else if let Some(s) = it["slice"].as_array() {
                    Ok(mx::sl(opt(&s[0]), opt(&s[1]), s[2].as_i64().unwrap_or(1)))
                } else if let Some(k) = it["array"].as_u64() {
                    Ok(IndexItem::Array(tensor(xs, k as usize)?.clone()))
                } else {
                    harness(format!("bad index item {it}"))
                }
            }
        })
        .collect()
}

pub fn dispatch(op: &str, p: &Value, xs: &[Input]) -> Step<mx::Result<Vec<Tensor>>> {
    let x = || tensor(xs, 0);
    let one = |r: mx::Result<Tensor>| Ok(r.map(|t| vec![t]));
    let keepdims = || flag(p, "keepdims");
    match op {
        "cumsum" | "cumprod" | "cummax" | "cummin" | "logcumsumexp" => {
            let f = match op {
                "cumsum" => mx::cumsum,
                "cumprod" => mx::cumprod,
                "cummax" => mx::cummax,
                "cummin" => mx::cummin,
                _ => mx::logcumsumexp,
            };
            one(f(x()?, opt_axis(p, "axis")?, flag(p, "reverse")?, flag(p, "inclusive")?))
        }
        "sort" => one(mx::sort(x()?, opt_axis(p, "axis")?)),
        "argsort" => one(mx::argsort(x()?, opt_axis(p, "axis")?)),
        "partition" => {
            let (kth, axis) = (int_param(p, "kth")? as i32, opt_axis(p, "axis")?);
            Ok(mx::partition(x()?, kth, axis).and_then(|r| multiset_and_kth(&r, kth, axis)))
        }
        "argpartition" => {
            let (kth, axis) = (int_param(p, "kth")? as i32, opt_axis(p, "axis")?);
            let x = x()?;
            Ok(mx::argpartition(x, kth, axis).and_then(|i| {
                let (xv, ax) = match axis {
                    None => (mx::flatten(x, 0, -1)?, 0),
                    Some(a) => (x.clone(), a),
                };
                let v = mx::take_along_axis(&xv, &i, ax)?;
                multiset_and_kth(&v, kth, Some(ax))
            }))
        }
        "topk" => {
            let axis = opt_axis(p, "axis")?;
            one(mx::topk(x()?, int_param(p, "k")? as i32, axis).and_then(|r| mx::sort(&r, axis.unwrap_or(-1))))
        }
        "median" => one(mx::median(x()?, axes_of(&p["axes"])?, keepdims()?)),
        "all" => one(mx::all(x()?, axes_of(&p["axes"])?, keepdims()?)),
        "any" => one(mx::any(x()?, axes_of(&p["axes"])?, keepdims()?)),
        "count_nonzero" => one(mx::count_nonzero(x()?, axes_of(&p["axes"])?, keepdims()?)),
        "trace" => one(mx::trace(
            x()?,
            int_param(p, "offset")?,
            int_param(p, "axis1")? as i32,
            int_param(p, "axis2")? as i32,
            opt_dtype(&p["dtype"])?,
        )),
        "tri" => {
            let n = size_of(int_param(p, "n")?, "n")?;
            let m = if p["m"].is_null() { None } else { Some(size_of(int_param(p, "m")?, "m")?) };
            one(mx::tri(n, m, int_param(p, "k")?, opt_dtype(&p["dtype"])?))
        }
        "tril" => one(mx::tril(x()?, int_param(p, "k")?)),
        "triu" => one(mx::triu(x()?, int_param(p, "k")?)),
        "diag" => one(mx::diag(x()?, int_param(p, "k")?)),
        "diagonal" => one(mx::diagonal(
            x()?,
            int_param(p, "offset")?,
            int_param(p, "axis1")? as i32,
            int_param(p, "axis2")? as i32,
        )),
        "meshgrid" => {
            let idx = p["indexing"].as_str().unwrap_or("?");
            Ok(mx::meshgrid(&all_tensors(xs)?, flag(p, "sparse")?, idx))
        }
        "broadcast_arrays" => Ok(mx::broadcast_arrays(&all_tensors(xs)?)),
        "stack" => one(mx::stack(&all_tensors(xs)?, int_param(p, "axis")? as i32)),
        "unstack" => Ok(mx::unstack(x()?, int_param(p, "axis")? as i32)),
        "split" => {
            let arg = if p["arg"].is_array() {
                SplitArg::Indices(int_list(&p["arg"])?)
            } else {
                SplitArg::Sections(size_of(int_param(p, "arg")?, "sections")?)
            };
            Ok(mx::split(x()?, arg, int_param(p, "axis")? as i32))
        }
        "tile" => one(mx::tile(x()?, &i32_list(&p["reps"])?)),
        "repeat" => one(mx::repeat(x()?, int_param(p, "repeats")? as i32, opt_axis(p, "axis")?)),
        "pad" => {
            let Some(w) = p["width"].as_array() else { return harness("width is not a list") };
            let mut widths = vec![];
            for pair in w {
                let v = int_list(pair)?;
                widths.push((size_of(v[0], "pad")?, size_of(v[1], "pad")?));
            }
            let mode = match p["mode"].as_str() {
                Some("constant") => PadMode::Constant(scalar_of(&p["value"])?),
                Some("edge") => PadMode::Edge,
                Some("reflect") => PadMode::Reflect,
                Some("symmetric") => PadMode::Symmetric,
                m => return harness(format!("bad pad mode {m:?}")),
            };
            one(mx::pad(x()?, &widths, mode))
        }
        "roll" => one(mx::roll(x()?, &int_list(&p["shift"])?, axes_of(&p["axes"])?)),
        "flip" => one(mx::flip(x()?, axes_of(&p["axes"])?)),
        "moveaxis" => one(mx::moveaxis(x()?, int_param(p, "source")? as i32, int_param(p, "destination")? as i32)),
        "unflatten" => one(mx::unflatten(x()?, int_param(p, "axis")? as i32, &i32_list(&p["shape"])?)),
        "atleast_1d" => one(mx::atleast_1d(x()?)),
        "atleast_2d" => one(mx::atleast_2d(x()?)),
        "atleast_3d" => one(mx::atleast_3d(x()?)),
        "diff" => one(mx::diff(x()?, int_param(p, "n")? as i32, int_param(p, "axis")? as i32)),
        "take" => one(mx::take(x()?, tensor(xs, 1)?, opt_axis(p, "axis")?)),
        "take_along_axis" => one(mx::take_along_axis(x()?, tensor(xs, 1)?, opt_axis(p, "axis")?)),
        "put_along_axis" => one(mx::put_along_axis(x()?, tensor(xs, 1)?, tensor(xs, 2)?, opt_axis(p, "axis")?)),
        "slice_update" => one(mx::slice_update(x()?, tensor(xs, 1)?, &int_list(&p["start"])?, &i32_list(&p["axes"])?)),
        "as_strided" => {
            let strides: Vec<isize> = int_list(&p["strides"])?.into_iter().map(|s| s as isize).collect();
            one(mx::as_strided(x()?, &shape_of(&p["shape"])?, &strides, size_of(int_param(p, "offset")?, "offset")?))
        }
        "index" => one(x()?.index(index_items(p, xs)?)),
        "index_put" => one(x()?.index_put(index_items(p, xs)?, tensor(xs, xs.len() - 1)?)),
        "at" => {
            let at: At = x()?.at(index_items(p, xs)?);
            let v = tensor(xs, xs.len() - 1)?;
            one(match p["mode"].as_str() {
                Some("add") => at.add(v),
                Some("subtract") => at.subtract(v),
                Some("multiply") => at.multiply(v),
                Some("divide") => at.divide(v),
                Some("maximum") => at.maximum(v),
                Some("minimum") => at.minimum(v),
                m => return harness(format!("bad at mode {m:?}")),
            })
        }
        "std" => {
            let ddof = size_of(int_param(p, "ddof")?, "ddof")?;
            one(mx::std(x()?, axes_of(&p["axes"])?, keepdims()?, ddof))
        }
        "flatten" => one(mx::flatten(x()?, int_param(p, "start")? as i32, int_param(p, "end")? as i32)),
        "swapaxes" => one(mx::swapaxes(x()?, int_param(p, "axis1")? as i32, int_param(p, "axis2")? as i32)),
        "view" => one(mx::view(x()?, super::dtype_of(&p["dtype"])?)),
        "searchsorted" => one(mx::searchsorted(x()?, tensor(xs, 1)?, p["side"].as_str().unwrap_or("?"))),
        "empty" => one(mx::empty(&shape_of(&p["shape"])?, opt_dtype(&p["dtype"])?)),
        _ => harness(format!("op `{op}` is not replayed by this harness")),
    }
}
