//! The routing table: route keys, targets, the persistent table the data plane reads, and
//! the store the API writes through.
//!
//! - [`path`]: how a URL path or a posted route path becomes a key (`/user/alice`), and the
//!   candidate prefixes of a request path, longest first.
//! - [`target`]: a route's parsed upstream (`http://host:port[/base]`).
//! - [`route`]: one route: target, the client's data as posted, and its activity clock.
//! - [`table`]: an immutable, structurally shared table with longest-prefix lookup.
//! - [`store`]: the live table behind an [`arc_swap::ArcSwap`]; lookups take a snapshot and
//!   never wait on writers, writers copy-on-write in `O(log n)`.

pub mod path;
pub mod route;
pub mod store;
pub mod table;
pub mod target;

#[cfg(test)]
mod model;
#[cfg(test)]
mod tests;

pub use route::{Route, RouteData};
pub use store::RouteStore;
pub use table::RouteTable;
pub use target::{Target, TargetError};
