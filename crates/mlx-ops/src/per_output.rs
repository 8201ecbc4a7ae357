//! Per-output values of a primitive (inferred specs, a graph node's data): one value inline, or
//! several on the heap. Almost every primitive has a single output, and a one-element `Vec` cost
//! a heap allocation and a free per graph node for each, a measurable share of graph overhead
//! for small arrays (issue #5). Read it as a slice (`Deref<Target = [T]>`).

use std::ops::Deref;

#[derive(Debug, Clone, PartialEq)]
pub enum PerOutput<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Deref for PerOutput<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            PerOutput::One(v) => std::slice::from_ref(v),
            PerOutput::Many(v) => v,
        }
    }
}

impl<T> PerOutput<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            PerOutput::One(v) => vec![v],
            PerOutput::Many(v) => v,
        }
    }
}

impl<T> From<Vec<T>> for PerOutput<T> {
    fn from(mut values: Vec<T>) -> Self {
        match (values.len(), values.pop()) {
            (1, Some(one)) => PerOutput::One(one),
            (_, last) => {
                values.extend(last);
                PerOutput::Many(values)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_value_in_order() {
        for n in 0..4 {
            let values: Vec<usize> = (0..n).collect();
            let per: PerOutput<usize> = values.clone().into();
            assert_eq!(&per[..], &values[..]);
            assert_eq!(matches!(per, PerOutput::One(_)), n == 1);
            assert_eq!(per.into_vec(), values);
        }
    }
}
