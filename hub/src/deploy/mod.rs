//! What a production install needs written for it, from the hub's config.
//!
//! - [`sudoers`] — `hub sudoers`: the narrow sudo rule for the scheduler's submit and
//!   cancel commands.

pub mod sudoers;
