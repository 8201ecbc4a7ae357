//! Replay arms for the family "quantized" (golden/generate_quantized.py): `quantize`,
//! `dequantize` and `quantized_matmul` in mode "affine" (MLX's names and argument order).

use mlx_core::{self as mx, Tensor};
use serde_json::Value;

use super::{harness, int_param, opt_dtype, tensor, Input, Step};

pub const OPS: &[&str] = &["quantize", "dequantize", "quantized_matmul"];

pub fn dispatch(op: &str, p: &Value, xs: &[Input]) -> Step<mx::Result<Vec<Tensor>>> {
    let opt_int = |k: &str| -> Step<Option<i32>> {
        if p[k].is_null() {
            Ok(None)
        } else {
            Ok(Some(int_param(p, k)? as i32))
        }
    };
    let flag = |k: &str| p[k].as_bool().map_or_else(|| harness(format!("{k} is not a bool")), Ok);
    let Some(mode) = p["mode"].as_str() else { return harness("mode is not a string") };
    let (gs, bits) = (opt_int("group_size")?, opt_int("bits")?);
    match op {
        "quantize" => Ok(mx::quantize(tensor(xs, 0)?, gs, bits, mode).map(|(q, s, b)| vec![q, s, b])),
        "dequantize" => {
            let b = if flag("biases")? { Some(tensor(xs, 2)?) } else { None };
            let d = opt_dtype(&p["dtype"])?;
            Ok(mx::dequantize(tensor(xs, 0)?, tensor(xs, 1)?, b, gs, bits, mode, d).map(|t| vec![t]))
        }
        "quantized_matmul" => {
            let b = if flag("biases")? { Some(tensor(xs, 3)?) } else { None };
            let (x, w, s) = (tensor(xs, 0)?, tensor(xs, 1)?, tensor(xs, 2)?);
            Ok(mx::quantized_matmul(x, w, s, b, flag("transpose")?, gs, bits, mode).map(|t| vec![t]))
        }
        _ => harness(format!("op `{op}` is not replayed by this harness")),
    }
}
