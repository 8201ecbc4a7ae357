//! Replay arms for the family "api" (golden/generate_api.py): array-API aliases and helpers.

use mlx_core::{self as mx, Tensor};
use serde_json::Value;

use super::{axes_of, harness, int_param, opt_dtype, scalar_of, shape_of, size_of, tensor, Input, Step};

pub const OPS: &[&str] = &[
    "concat", "permute_dims", "matrix_transpose", "cumulative_sum", "cumulative_prod", "minmax", "broadcast_shapes",
    "empty_like", "zeros_like", "ones_like", "full_like", "identity", "contiguous",
];

pub fn dispatch(op: &str, p: &Value, xs: &[Input]) -> Step<mx::Result<Vec<Tensor>>> {
    let x = || tensor(xs, 0);
    let one = |r: mx::Result<Tensor>| Ok(r.map(|t| vec![t]));
    let flag = |k: &str| p[k].as_bool().map_or_else(|| harness(format!("{k} is not a bool")), Ok);
    let opt_axis = || -> Step<Option<i32>> { if p["axis"].is_null() { Ok(None) } else { Ok(Some(int_param(p, "axis")? as i32)) } };
    match op {
        "concat" => {
            let ts: Vec<Tensor> = (0..xs.len()).map(|i| tensor(xs, i).cloned()).collect::<Step<_>>()?;
            one(mx::concat(&ts, int_param(p, "axis")? as i32))
        }
        "permute_dims" => one(mx::permute_dims(x()?, axes_of(&p["axes"])?)),
        "matrix_transpose" => one(mx::matrix_transpose(x()?)),
        "cumulative_sum" => one(mx::cumulative_sum(x()?, opt_axis()?, flag("reverse")?, flag("inclusive")?, opt_dtype(&p["dtype"])?)),
        "cumulative_prod" => one(mx::cumulative_prod(x()?, opt_axis()?, flag("reverse")?, flag("inclusive")?, opt_dtype(&p["dtype"])?)),
        "minmax" => Ok(mx::minmax(x()?, axes_of(&p["axes"])?, flag("keepdims")?).map(|(a, b)| vec![a, b])),
        "broadcast_shapes" => {
            let Some(list) = p["shapes"].as_array() else { return harness("shapes is not a list") };
            let shapes: Vec<Vec<usize>> = list.iter().map(shape_of).collect::<Step<_>>()?;
            let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
            one(mx::broadcast_shapes(&refs).map(|s| Tensor::from_vec(s.into_iter().map(|d| d as i32).collect::<Vec<i32>>())))
        }
        "empty_like" => one(mx::empty_like(x()?, opt_dtype(&p["dtype"])?)),
        "zeros_like" => one(mx::zeros_like(x()?)),
        "ones_like" => one(mx::ones_like(x()?)),
        "full_like" => one(mx::full_like(x()?, scalar_of(&p["value"])?)),
        "identity" => one(mx::identity(size_of(int_param(p, "n")?, "n")?, opt_dtype(&p["dtype"])?)),
        "contiguous" => one(mx::contiguous(x()?)),
        _ => harness(format!("op `{op}` is not replayed by this harness")),
    }
}
