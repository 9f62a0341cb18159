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
//! Printing then parsing gives back the same value, and parsing never panics (both
//! property-tested). Parsing checks syntax and the types of built-in resources; whether a
//! custom name exists is a server's question, answered by [`ResourceDefs::check`].

mod defs;
mod error;
mod list;
mod place;
mod select;
mod size;
mod walltime;

pub use defs::{ResourceDef, ResourceDefs, ResourceKind};
pub use error::{PbsError, Pbse};
pub use list::ResourceList;
pub use place::{Arrangement, Place, Sharing};
pub use select::{Chunk, ChunkResource, ResourceValue, Select};
pub use size::{Size, SizeUnit};
pub use walltime::Walltime;
