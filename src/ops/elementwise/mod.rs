//! Elementwise ops: arithmetic with numpy broadcasting and its operators, math of one tensor,
//! activations, and comparisons with `where` and the extremes.

mod activation;
mod arithmetic;
mod compare;
mod operators;
mod unary;
