//! The hub's one TOML config file, with names close to JupyterHub's.
//!
//! - [`HubConfig`] and its sections ([`sections`]): `[hub]`, `[proxy]`, `[auth]`,
//!   `[spawner]` with `[spawner.form]`, `[[services]]`, `[slurm]` and `[sim]`. Every setting
//!   has a default, so an empty file is a valid config.
//! - [`generate_config`] — the commented default file (`hub generate-config`).
//! - [`warnings`] — what works but deserves a second look (an API token in clear).
//! - [`check_config`] — every error with its place (`hub check-config`); [`load`] reads a
//!   file through it. On Slurm, every request the form can make is mapped at that check by
//!   the driver's own rules (`slurm_form`), so a field Slurm cannot be asked is refused.
//! - [`HumanDuration`] (`"30s"`, `"1h30m"`) and [`BaseUrl`] (`/…/`), the value types.

mod base_url;
mod check;
mod duration;
mod error;
mod form_toml;
mod generate;
mod locate;
pub mod sections;
mod semantic;
mod slurm_form;
mod warnings;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use base_url::BaseUrl;
pub use check::check_config;
pub use duration::HumanDuration;
pub use error::{ConfigError, LoadError};
pub use generate::generate_config;
pub use sections::{
    AuthSection, AuthenticatorKind, HubSection, ProxySection, SchedulerKind, ServiceConfig,
    SimSection, SlurmSection, SpawnerSection,
};
pub use warnings::{warnings, ConfigWarning};

/// The whole config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HubConfig {
    /// `[hub]`.
    pub hub: HubSection,
    /// `[proxy]`.
    pub proxy: ProxySection,
    /// `[auth]`.
    pub auth: AuthSection,
    /// `[spawner]`, with the form in `spawner.form`.
    pub spawner: SpawnerSection,
    /// `[[services]]`.
    pub services: Vec<ServiceConfig>,
    /// `[slurm]`: the site's resources in Slurm's terms (`spawner.scheduler = "slurm"`).
    pub slurm: SlurmSection,
    /// `[sim]`: the in-process simulated cluster (`spawner.scheduler = "sim"`).
    pub sim: SimSection,
}

/// Reads and checks the config file at `path`.
pub fn load(path: &Path) -> Result<HubConfig, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    check_config(&text, &path.display().to_string()).map_err(LoadError::Invalid)
}
