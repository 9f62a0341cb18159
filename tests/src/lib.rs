//! Cross-crate end-to-end tests: real processes on `127.0.0.1:0` — hub-proxy, the hub,
//! `pbs-sim serve`, the real `jupyterhub-singleuser`, PAM, Chromium, Slurm.
//!
//! Nothing lives here yet: these tests arrive with the hub, the proxy and the pbs-sim daemon.
//! Tests that need a peer are `#[ignore]`d with the reason in their name; `.ci/run` runs them
//! with `--include-ignored`.
