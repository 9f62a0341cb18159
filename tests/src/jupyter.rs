//! The real Jupyter for end-to-end tests: `jupyterhub-singleuser` and JupyterLab from PyPI,
//! in a virtual environment every local account can run (`.ci/run` creates it).

use std::path::PathBuf;

/// Where `.ci/run` installs the environment; `BATCHHUB_JUPYTER_VENV` overrides it.
pub const DEFAULT_VENV: &str = "/opt/batchhub-jupyter";

/// The environment's directory, checked to hold `jupyterhub-singleuser`,
/// `jupyterhub-idle-culler` and JupyterLab; panics saying how to install it otherwise.
pub fn venv() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("BATCHHUB_JUPYTER_VENV").unwrap_or_else(|_| DEFAULT_VENV.to_string()),
    );
    for program in [
        "jupyterhub-singleuser",
        "jupyterhub-idle-culler",
        "jupyter-lab",
    ] {
        assert!(
            dir.join("bin").join(program).is_file(),
            "{} is missing: create the environment with \
             `python3 -m venv {d} && {d}/bin/pip install jupyterhub jupyterlab \
             jupyterhub-idle-culler` (.ci/run does)",
            dir.join("bin").join(program).display(),
            d = dir.display()
        );
    }
    dir
}

/// A program of the environment.
pub fn program(name: &str) -> PathBuf {
    venv().join("bin").join(name)
}
