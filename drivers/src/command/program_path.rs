//! Finding a scheduler command's file before starting it.
//!
//! The standard library starts a child with `posix_spawn` (a `vfork`-style clone that
//! shares the parent's memory until `exec`) unless it cannot: one case is a bare program
//! name with an environment that sets `PATH`, which it hands to `fork` + `execvp` so the
//! lookup uses the child's `PATH`. Every scheduler command is that case (`qsub` with an
//! allowlisted environment), and `fork` copies the hub's page tables once per command: in a
//! 1,000-user spawn storm that was a tenth of the machine's CPU. Looking the name up here,
//! in the same `PATH` and by the same rule, keeps the fast path and changes nothing the
//! child sees.

use std::path::{Path, PathBuf};

use nix::unistd::{access, AccessFlags};

/// The file `program` names in `path` (a `PATH` value), as `execvp` would choose it: the
/// first directory holding an executable regular file of that name, an empty entry meaning
/// the current directory. `None` if `program` already holds a `/` (it is used as it is) or
/// no directory has it (the caller starts the bare name, and the error says it is missing).
pub fn find_in_path(program: &str, path: &str) -> Option<PathBuf> {
    if program.is_empty() || program.contains('/') {
        return None;
    }
    path.split(':')
        .map(|dir| Path::new(if dir.is_empty() { "." } else { dir }).join(program))
        .find(|candidate| is_executable_file(candidate))
}

/// The program to start for `argv0` with the environment `env`: its file in the `PATH` of
/// `env` when there is one and it is found there, `argv0` unchanged otherwise.
pub fn program_to_start(argv0: &str, env: &[(String, String)]) -> PathBuf {
    let path = env.iter().find(|(name, _)| name == "PATH").map(|(_, v)| v);
    path.and_then(|path| find_in_path(argv0, path))
        .unwrap_or_else(|| PathBuf::from(argv0))
}

fn is_executable_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file()) && access(path, AccessFlags::X_OK).is_ok()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn file(path: &Path, mode: u32) {
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn the_first_directory_with_an_executable_file_wins() {
        let root = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            root.path().join("a"),
            root.path().join("b"),
            root.path().join("c"),
        );
        for dir in [&a, &b, &c] {
            std::fs::create_dir(dir).unwrap();
        }
        // Not executable, then a directory of that name, then the one execvp would run.
        file(&a.join("qsub"), 0o644);
        std::fs::create_dir(b.join("qsub")).unwrap();
        file(&c.join("qsub"), 0o755);
        let path = format!("{}:{}:{}", a.display(), b.display(), c.display());
        assert_eq!(find_in_path("qsub", &path), Some(c.join("qsub")));
        assert_eq!(find_in_path("qstat", &path), None);
    }

    #[test]
    fn a_name_with_a_slash_or_an_empty_name_is_not_looked_up() {
        assert_eq!(find_in_path("/bin/sh", "/bin"), None);
        assert_eq!(find_in_path("./qsub", "/bin"), None);
        assert_eq!(find_in_path("", "/bin"), None);
    }

    #[test]
    fn the_commands_own_path_is_searched_not_the_hubs() {
        let root = tempfile::tempdir().unwrap();
        file(&root.path().join("qsub"), 0o755);
        let env = vec![("PATH".to_string(), root.path().display().to_string())];
        assert_eq!(program_to_start("qsub", &env), root.path().join("qsub"));
        // No PATH given, or not found in it: the name as it was.
        assert_eq!(program_to_start("qsub", &[]), PathBuf::from("qsub"));
        let elsewhere = vec![("PATH".to_string(), "/nonexistent".to_string())];
        assert_eq!(program_to_start("qsub", &elsewhere), PathBuf::from("qsub"));
    }
}
