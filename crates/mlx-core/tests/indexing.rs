//! Indexing: a fuzz property (random index expressions against a naive element-by-element
//! reference of NumPy's rules), and the pinned behaviour where MLX reads or writes out of
//! bounds (DIFFERENCES.md).

use mlx_core::{self as mx, sl, Ellipsis, IndexItem, NewAxis, Tensor};
use proptest::prelude::*;

// ----------------------------------------------------------------------------------------
// The reference: NumPy basic + advanced indexing, one output element at a time.
// ----------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Item {
    Int(i64),
    Slice(Option<i64>, Option<i64>, i64),
    New,
    Ell,
    /// A 1-D or 2-D index array: (shape, values).
    Arr(Vec<usize>, Vec<i64>),
}

/// Positions `range(n)[start:stop:step]` selects, by brute force over Python's rules.
fn py_slice(n: usize, start: Option<i64>, stop: Option<i64>, step: i64) -> Vec<usize> {
    let n = n as i64;
    let norm = |v: i64| if v < 0 { v + n } else { v };
    let mut out = vec![];
    if step > 0 {
        let a = start.map(norm).unwrap_or(0).clamp(0, n);
        let b = stop.map(norm).unwrap_or(n).clamp(0, n);
        let mut i = a;
        while i < b {
            out.push(i as usize);
            i += step;
        }
    } else {
        let a = start.map(norm).unwrap_or(n - 1).clamp(-1, n - 1);
        let b = stop.map(norm).unwrap_or(-1).clamp(-1, n - 1);
        let mut i = a;
        while i > b {
            out.push(i as usize);
            i += step;
        }
    }
    out
}

fn broadcast(a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
            let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
            da.max(db)
        })
        .collect()
}

/// Value of a broadcast array at multi-index `at` (of the broadcast shape).
fn at_broadcast(shape: &[usize], vals: &[i64], at: &[usize]) -> i64 {
    let lead = at.len() - shape.len();
    let mut flat = 0;
    for (k, &d) in shape.iter().enumerate() {
        flat = flat * d + if d == 1 { 0 } else { at[lead + k] };
    }
    vals[flat]
}

enum Dim {
    New,
    Sel(usize, Vec<usize>),
    Adv,
}

/// (shape, values) of `x[items]` for `x = arange(prod(shape)).reshape(shape)`.
fn reference(shape: &[usize], items: &[Item]) -> (Vec<usize>, Vec<i64>) {
    let consumed = items.iter().filter(|i| !matches!(i, Item::New | Item::Ell)).count();
    let mut exp = vec![];
    let mut ell = false;
    for it in items {
        if let Item::Ell = it {
            ell = true;
            exp.extend((0..shape.len() - consumed).map(|_| Item::Slice(None, None, 1)));
        } else {
            exp.push(it.clone());
        }
    }
    if !ell {
        exp.extend((0..shape.len() - consumed).map(|_| Item::Slice(None, None, 1)));
    }
    let has_arr = exp.iter().any(|i| matches!(i, Item::Arr(..)));
    // Per source axis: Int (fixed), Sel (a dim), or an advanced array (index k into `arrays`).
    let mut dims = vec![];
    let mut arrays: Vec<(usize, Vec<usize>, Vec<i64>)> = vec![]; // (axis, shape, values)
    let mut fixed: Vec<(usize, usize)> = vec![];
    let mut adv_items = vec![];
    let mut axis = 0;
    for (pos, it) in exp.iter().enumerate() {
        let n = |a: usize| shape[a] as i64;
        match it {
            Item::New => dims.push(Dim::New),
            Item::Slice(a, b, s) => {
                dims.push(Dim::Sel(axis, py_slice(shape[axis], *a, *b, *s)));
                axis += 1;
            }
            Item::Int(i) if !has_arr => {
                fixed.push((axis, (if *i < 0 { i + n(axis) } else { *i }) as usize));
                axis += 1;
            }
            Item::Int(i) => {
                arrays.push((axis, vec![], vec![*i]));
                adv_items.push(pos);
                dims.push(Dim::Adv);
                axis += 1;
            }
            Item::Arr(s, v) => {
                arrays.push((axis, s.clone(), v.clone()));
                adv_items.push(pos);
                dims.push(Dim::Adv);
                axis += 1;
            }
            Item::Ell => unreachable!(),
        }
    }
    let bshape = arrays.iter().fold(vec![], |acc: Vec<usize>, (_, s, _)| broadcast(&acc, s));
    // Where the broadcast dims go: in place of adjacent advanced items, else first.
    let adjacent = adv_items.windows(2).all(|w| w[1] == w[0] + 1);
    let mut order: Vec<Option<usize>> = vec![]; // Some(dim index) or None = the B block
    let mut placed = false;
    if !adjacent && has_arr {
        order.push(None);
        placed = true;
    }
    for (k, d) in dims.iter().enumerate() {
        match d {
            Dim::Adv => {
                if !placed {
                    order.push(None);
                    placed = true;
                }
            }
            _ => order.push(Some(k)),
        }
    }
    let mut out_shape = vec![];
    for o in &order {
        match o {
            None => out_shape.extend(&bshape),
            Some(k) => out_shape.push(match &dims[*k] {
                Dim::New => 1,
                Dim::Sel(_, v) => v.len(),
                Dim::Adv => unreachable!(),
            }),
        }
    }
    let total: usize = out_shape.iter().product();
    let strides: Vec<usize> = (0..shape.len()).map(|a| shape[a + 1..].iter().product()).collect();
    let mut vals = Vec::with_capacity(total);
    for flat in 0..total {
        let mut idx = vec![0usize; out_shape.len()];
        let mut r = flat;
        for d in (0..out_shape.len()).rev() {
            idx[d] = r % out_shape[d];
            r /= out_shape[d];
        }
        let mut src = vec![0usize; shape.len()];
        for &(a, i) in &fixed {
            src[a] = i;
        }
        let mut p = 0;
        for o in &order {
            match o {
                None => {
                    let b = &idx[p..p + bshape.len()];
                    for (a, s, v) in &arrays {
                        let i = at_broadcast(s, v, b);
                        src[*a] = (if i < 0 { i + shape[*a] as i64 } else { i }) as usize;
                    }
                    p += bshape.len();
                }
                Some(k) => {
                    if let Dim::Sel(a, v) = &dims[*k] {
                        src[*a] = v[idx[p]];
                    }
                    p += 1;
                }
            }
        }
        vals.push(src.iter().zip(&strides).map(|(i, s)| (i * s) as i64).sum());
    }
    (out_shape, vals)
}

fn to_items(items: &[Item]) -> Vec<IndexItem> {
    items
        .iter()
        .map(|it| match it {
            Item::Int(i) => IndexItem::Int(*i),
            Item::Slice(a, b, s) => sl(*a, *b, *s),
            Item::New => IndexItem::NewAxis,
            Item::Ell => IndexItem::Ellipsis,
            Item::Arr(s, v) => IndexItem::Array(Tensor::from_slice(&v.iter().map(|&i| i as i32).collect::<Vec<_>>(), s).unwrap()),
        })
        .collect()
}

/// A random valid index expression for `shape` (consumes at most `ndim` axes, one ellipsis).
fn index_strategy(shape: Vec<usize>) -> impl Strategy<Value = (Vec<usize>, Vec<Item>)> {
    let nd = shape.len();
    let raw = prop::collection::vec((0u8..10, any::<u32>(), any::<u32>(), any::<u32>()), 0..=nd + 2);
    raw.prop_map(move |specs| {
        let min_n = shape.iter().copied().min().unwrap_or(1) as i64;
        let mut items = vec![];
        let (mut used, mut ell) = (0usize, false);
        for (kind, r1, r2, r3) in specs {
            match kind {
                0 | 1 if used < nd => {
                    // Items after an ellipsis bind to later axes: stay in range of every axis.
                    let n = min_n;
                    if n > 0 {
                        items.push(Item::Int((r1 as i64 % (2 * n)) - n));
                        used += 1;
                    }
                }
                2..=4 if used < nd => {
                    let pick = |r: u32| if r % 4 == 0 { None } else { Some((r as i64 % 9) - 4) };
                    let step = [1, 1, 2, -1, -2, 3][(r3 % 6) as usize];
                    items.push(Item::Slice(pick(r1), pick(r2), step));
                    used += 1;
                }
                5 => items.push(Item::New),
                6 if !ell => {
                    items.push(Item::Ell);
                    ell = true;
                }
                7..=9 if used < nd => {
                    let n = min_n;
                    if n > 0 {
                        let s = if r2 % 3 == 0 { vec![2, 1 + (r3 % 2) as usize] } else { vec![1 + (r3 % 3) as usize] };
                        let count: usize = s.iter().product();
                        let v = (0..count).map(|k| (r1 as i64).wrapping_mul(k as i64 + 7) % (2 * n) - n).collect();
                        let v: Vec<i64> = v;
                        let v = v.iter().map(|&i| if i < -n { i + n } else { i }).collect();
                        items.push(Item::Arr(s, v));
                        used += 1;
                    }
                }
                _ => {}
            }
        }
        (shape.clone(), items)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn index_matches_numpy_reference(
        (shape, items) in prop::collection::vec(1usize..5, 1..=3).prop_flat_map(index_strategy)
    ) {
        // Broadcast-incompatible array combinations are skipped (NumPy errors there too).
        let arr_shapes: Vec<&Vec<usize>> = items.iter().filter_map(|i| if let Item::Arr(s, _) = i { Some(s) } else { None }).collect();
        let compatible = arr_shapes.iter().try_fold(vec![], |acc: Vec<usize>, s| mlx_core::Result::Ok(mlx_ops_broadcast(&acc, s)?)).is_ok();
        prop_assume!(compatible);
        let n: usize = shape.iter().product();
        let x = mx::reshape(&mx::arange(0i32, n as i64, 1i32, None).unwrap(), &shape.iter().map(|&d| d as i32).collect::<Vec<_>>()).unwrap();
        let (want_shape, want) = reference(&shape, &items);
        let got = x.index(to_items(&items)).unwrap();
        prop_assert_eq!(got.shape(), &want_shape[..], "items {:?}", items);
        let got: Vec<i64> = got.to_vec::<i32>().unwrap().into_iter().map(i64::from).collect();
        prop_assert_eq!(got, want, "items {:?}", items);
        // The functional update writes exactly the selected positions (last write wins).
        let upd = x.index_put(to_items(&items), -1i32).unwrap().to_vec::<i32>().unwrap();
        let (_, sel) = reference(&shape, &items);
        for (i, v) in upd.iter().enumerate() {
            prop_assert_eq!(*v == -1, sel.contains(&(i as i64)));
        }
    }
}

fn mlx_ops_broadcast(a: &[usize], b: &[usize]) -> mlx_core::Result<Vec<usize>> {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
            let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
            if da == db || db == 1 {
                Ok(da)
            } else if da == 1 {
                Ok(db)
            } else {
                Err(mlx_core::Error::invalid("broadcast_shapes", "no"))
            }
        })
        .collect()
}

// ----------------------------------------------------------------------------------------
// The Rust index syntax
// ----------------------------------------------------------------------------------------

#[test]
fn rust_index_syntax() {
    let x = mx::reshape(&mx::arange(0i32, 24, 1i32, None).unwrap(), &[2, 3, 4]).unwrap();
    assert_eq!(x.index(1).unwrap().shape(), &[3, 4]);
    assert_eq!(x.index(-1).unwrap().to_vec::<i32>().unwrap()[0], 12);
    assert_eq!(x.index((.., 1..)).unwrap().shape(), &[2, 2, 4]);
    assert_eq!(x.index((Ellipsis, ..=1)).unwrap().shape(), &[2, 3, 2]);
    assert_eq!(x.index((0, 0, -2..)).unwrap().to_vec::<i32>().unwrap(), vec![2, 3]);
    assert_eq!(x.index((0, 0, ..=-1)).unwrap().to_vec::<i32>().unwrap(), vec![0, 1, 2, 3]);
    assert_eq!(x.index((0, 0, sl(None, None, -2))).unwrap().to_vec::<i32>().unwrap(), vec![3, 1]);
    assert_eq!(x.index((NewAxis, Ellipsis, NewAxis)).unwrap().shape(), &[1, 2, 3, 4, 1]);
    let idx = Tensor::from_slice(&[2i32, 0], &[2]).unwrap();
    assert_eq!(x.index((0, &idx, 0)).unwrap().to_vec::<i32>().unwrap(), vec![8, 0]);
    let y = x.at((0, 0, &Tensor::from_slice(&[1i32, 1], &[2]).unwrap())).add(10).unwrap();
    assert_eq!(y.index((0, 0)).unwrap().to_vec::<i32>().unwrap(), vec![0, 21, 2, 3]);
    assert!(x.index((0, 0, 0, 0)).is_err());
    assert!(x.index((Ellipsis, Ellipsis)).is_err());
    assert!(x.index(2).is_err());
}

// ----------------------------------------------------------------------------------------
// Where MLX reads or writes out of bounds (DIFFERENCES.md)
// ----------------------------------------------------------------------------------------

fn eval_err(t: mx::Result<Tensor>) -> String {
    match t.and_then(|t| t.eval().map(|_| t)) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn out_of_range_gather_and_scatter_indices_error_at_eval() {
    let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0], &[3]).unwrap();
    let bad = Tensor::from_slice(&[0i32, 3], &[2]).unwrap();
    let e = eval_err(mx::take(&x, &bad, 0));
    assert_eq!(e, "[gather] Index 3 is out of bounds for an axis of size 3.");
    assert!(eval_err(mx::take(&x, &Tensor::from_slice(&[-4i64], &[1]).unwrap(), 0)).contains("out of bounds"));
    assert!(eval_err(mx::take_along_axis(&x, &bad, 0)).contains("[gather]"));
    assert!(eval_err(x.index(&bad)).contains("out of bounds"));
    assert!(eval_err(x.at(&bad).add(1.0)).contains("out of bounds"));
    assert!(eval_err(x.index_put(&bad, 0.0)).contains("out of bounds"));
    assert!(eval_err(mx::put_along_axis(&x, &bad, &x.index(0..2).unwrap(), 0)).contains("[scatter]"));
    // Negative indices within -n..n count from the end, as in MLX.
    let last = mx::take(&x, &Tensor::from_slice(&[-1i32], &[1]).unwrap(), 0).unwrap();
    assert_eq!(last.to_vec::<f32>().unwrap(), vec![3.0]);
}

#[test]
fn as_strided_outside_the_input_is_an_error() {
    let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[4]).unwrap();
    assert!(mx::as_strided(&x, &[2, 2], &[2, 1], 1).is_err());
    assert!(mx::as_strided(&x, &[2], &[-1], 0).is_err());
    let v = mx::as_strided(&x, &[2], &[-1], 3).unwrap();
    assert_eq!(v.to_vec::<f32>().unwrap(), vec![4.0, 3.0]);
}

#[test]
fn slice_update_with_negative_start_counts_from_the_end() {
    // MLX 0.32.4 writes out of bounds (and crashes) for a negative start.
    let x = mx::zeros(&[4], mlx_core::Dtype::Int32).unwrap();
    let u = Tensor::from_slice(&[7i32, 8], &[2]).unwrap();
    let y = mx::slice_update(&x, &u, &[-2], &[0]).unwrap();
    assert_eq!(y.to_vec::<i32>().unwrap(), vec![0, 0, 7, 8]);
    assert!(mx::slice_update(&x, &u, &[3], &[0]).is_err());
}

#[test]
fn partition_and_topk_come_sorted() {
    let x = Tensor::from_slice(&[5.0f32, 1.0, 4.0, 2.0, 3.0], &[5]).unwrap();
    assert_eq!(mx::partition(&x, 2, -1).unwrap().to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(mx::topk(&x, 2, -1).unwrap().to_vec::<f32>().unwrap(), vec![4.0, 5.0]);
    let c = mx::astype(&x, mlx_core::Dtype::Complex64).unwrap();
    assert!(mx::logcumsumexp(&c, 0, false, true).is_err());
}

#[test]
fn scatter_add_onto_nan_is_nan() {
    // MLX 0.32.4 spins forever here (its float scatter_add retries a compare-exchange that a
    // NaN never satisfies).
    let x = Tensor::from_slice(&[1.0f32, f32::NAN], &[2]).unwrap();
    let i = Tensor::from_slice(&[1i32, 1], &[2]).unwrap();
    let y = x.at(&i).add(1.0f32).unwrap().to_vec::<f32>().unwrap();
    assert_eq!(y[0], 1.0);
    assert!(y[1].is_nan());
}
