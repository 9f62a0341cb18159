//! The production PBS Pro driver; see [`parse`] for how its command outputs are read.

pub mod parse;
