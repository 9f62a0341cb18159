//! The routing table: route keys, targets, and the live table the data plane reads and
//! the API writes.
//!
//! - [`path`]: how a URL path or a posted route path becomes a key (`/user/alice`), and the
//!   candidate prefixes of a request path, longest first.
//! - [`target`]: a route's parsed upstream (`http://host:port[/base]`).
//! - [`json`]: a posted route object read member by member, without a JSON tree.
//! - [`route`]: one route: target, the client's data as posted, and its activity clock.
//! - [`store`]: the live table: a concurrent hash map for longest-prefix lookups, which
//!   never wait on writers, and an ordered index for the API; a write changes one entry.

pub mod json;
pub mod path;
pub mod route;
pub mod store;
pub mod target;

#[cfg(test)]
mod model;
#[cfg(test)]
mod tests;

pub use route::{Route, RouteData, RouteError};
pub use store::RouteStore;
pub use target::{Target, TargetError};
