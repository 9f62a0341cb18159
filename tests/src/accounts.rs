//! Real local accounts for the tests that log in through the system's PAM and run jobs as
//! their owners. Creating them needs root; the tests that use them are `#[ignore]`d with
//! that reason and `.ci/run` runs them as root.

use std::io::Write;
use std::process::{Command, Stdio};

/// A local account with a home directory and a password, created if missing (its password
/// is set every time, so a stale one from an earlier run does not matter).
#[derive(Debug, Clone)]
pub struct LocalAccount {
    /// The login name.
    pub name: String,
    /// Its password.
    pub password: String,
}

impl LocalAccount {
    /// Makes sure `name` exists with a home directory and `password`. Panics with what to do
    /// when not run as root.
    pub fn ensure(name: &str, password: &str) -> LocalAccount {
        assert!(
            nix::unistd::Uid::effective().is_root(),
            "this test creates the local account {name}: run it as root (.ci/run does)"
        );
        let exists = nix::unistd::User::from_name(name)
            .expect("the passwd database reads")
            .is_some();
        if !exists {
            let status = Command::new("useradd")
                .args(["--create-home", "--shell", "/bin/bash", name])
                .status()
                .expect("useradd runs");
            assert!(status.success(), "useradd {name} failed");
        }
        let mut chpasswd = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .expect("chpasswd runs");
        chpasswd
            .stdin
            .take()
            .expect("chpasswd's stdin")
            .write_all(format!("{name}:{password}\n").as_bytes())
            .expect("the password is written");
        assert!(
            chpasswd.wait().expect("chpasswd ends").success(),
            "chpasswd {name} failed"
        );
        LocalAccount {
            name: name.to_string(),
            password: password.to_string(),
        }
    }
}
