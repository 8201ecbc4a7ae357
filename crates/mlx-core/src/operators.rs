//! `std::ops` operators on tensors: `&a + &b`, `&a * 2.0`, `2.0 * &a`, `-&a`. They panic with
//! the op's message on invalid input (mismatched shapes); call `add`, `multiply`, ... for a
//! `Result`.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::operand::ArrayLike;
use crate::Tensor;

fn or_panic(r: crate::Result<Tensor>) -> Tensor {
    r.unwrap_or_else(|e| panic!("{e}"))
}

macro_rules! operator {
    ($Trait:ident, $method:ident, $func:path) => {
        impl<R: ArrayLike> $Trait<R> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: R) -> Tensor {
                or_panic($func(self, rhs))
            }
        }
        impl<R: ArrayLike> $Trait<R> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: R) -> Tensor {
                or_panic($func(&self, rhs))
            }
        }
        operator!(@scalar_lhs $Trait, $method, $func, f32, f64, i32, i64, bool);
    };
    (@scalar_lhs $Trait:ident, $method:ident, $func:path, $($t:ty),*) => {$(
        impl $Trait<&Tensor> for $t {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                or_panic($func(self, rhs))
            }
        }
        impl $Trait<Tensor> for $t {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                or_panic($func(self, &rhs))
            }
        }
    )*};
}

operator!(Add, add, crate::add);
operator!(Sub, sub, crate::subtract);
operator!(Mul, mul, crate::multiply);
operator!(Div, div, crate::divide);

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        or_panic(crate::negative(self))
    }
}
impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        or_panic(crate::negative(&self))
    }
}
