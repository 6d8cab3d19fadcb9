//! Reductions and ops along an axis: the primitive sums, maxima and products, the statistics
//! built on them, running sums and sorting.

mod cumsum;
mod primitives;
mod sort;
mod statistics;
