//! The PBS resource grammar: `select`, `place`, walltimes and sizes, parsed and printed by
//! one module that the PBS driver and the simulator share (reference `pbs-pro.md` §2).
//!
//! - [`Size`] — `<integer>[k|m|g|t|p][b|w]`, binary multiples, bytes when no unit.
//! - [`Walltime`] — `SS`, `MM:SS`, `HH:MM:SS`, printed `HH:MM:SS`.
//! - [`Select`] / [`Chunk`] — `N:res=val:…` chunks joined by `+`.
//! - [`Place`] — arrangement, sharing and `group=`.
//! - [`ResourceList`] — a job's whole `-l` request (select, place, walltime, job-wide others).
//! - [`ResourceDefs`] — which resource names a server knows and of what type (built-ins and
//!   site resources such as `interconnect`, `gpu_model`, `phase`).
//! - [`PbsError`] / [`Pbse`] — PBS's error texts, errnos and exit codes for bad requests.
//!
//! Every type parses with [`FromStr`](std::str::FromStr) (the list with
//! [`ResourceList::parse`]) and prints with `Display`. Printing then parsing gives back the
//! same value, and parsing never panics (both property-tested). A value built by hand
//! round-trips when its `validate` method passes; parsed values always pass. Parsing checks
//! syntax and the types of built-in resources; whether a custom name exists is a server's
//! question, answered by [`ResourceDefs::check`].
//!
//! Quoting: a text value inside a chunk is printed bare unless it is empty or holds a
//! quote, whitespace, a control character or one of `: + = ,`; then inside `"…"`, or `'…'`
//! when it holds a `"`. A value with both quotes or a control character cannot be printed
//! and fails `validate`. Job-wide values follow the same rule with only `,` special.

mod builtin;
mod defs;
mod error;
mod list;
mod place;
mod select;
mod size;
mod syntax;
mod walltime;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use defs::{ResourceDef, ResourceDefs, ResourceKind};
pub use error::{PbsError, Pbse};
pub use list::ResourceList;
pub use place::{Arrangement, Place, Sharing};
pub use select::{Chunk, ChunkResource, ResourceValue, Select};
pub use size::{Size, SizeUnit};
pub use walltime::Walltime;
