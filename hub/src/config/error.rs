//! What is wrong with a config file, and where.

use std::fmt;
use std::path::PathBuf;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (or other origin) the text came from.
    pub origin: String,
    /// The 1-based line and column, when the place is written in the file.
    pub location: Option<(usize, usize)>,
    /// The dotted path of the setting, e.g. `spawner.form.fields.ncpus.max`; `(file)` for
    /// the file as a whole.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// `origin:line:col: path: message`, or `origin: path: message` with no place.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some((line, column)) => write!(f, "{}:{line}:{column}: ", self.origin)?,
            None => write!(f, "{}: ", self.origin)?,
        }
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Why [`super::load`] gave no config.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read config file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid config; every problem found, one per line.
    #[error("{}", lines(.0))]
    Invalid(Vec<ConfigError>),
}

fn lines(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
