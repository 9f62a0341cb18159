//! The example site configs in `deploy/examples/` (the ones `docs/deploy.md` walks
//! through) are valid: `hub check-config` accepts them and the job body parses as a
//! template both drivers accept.

use std::path::{Path, PathBuf};
use std::process::Command;

use batchhub_tests::bin;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/examples")
        .join(name)
}

#[test]
fn the_example_configs_pass_check_config() {
    for name in ["palmetto-pbs.toml", "slurm.toml"] {
        let out = Command::new(bin("hub"))
            .arg("check-config")
            .arg(example(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_example_job_body_is_a_valid_template() {
    let text = std::fs::read_to_string(example("palmetto-job.sh")).unwrap();
    let body = drivers::job_script::BodyTemplate::parse(&text);
    assert!(body.is_ok(), "{body:?}");
}
