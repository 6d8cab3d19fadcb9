//! Ops that rearrange or select elements: views (reshape, transpose, permute, broadcast_to,
//! narrow, cat), axes added, removed, merged or split, and indexing by integer tensors.

mod axes;
pub(crate) mod indexing;
mod views;
