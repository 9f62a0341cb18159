//! CPU time of a process and of its reaped children, from `/proc/<pid>/stat`.
//!
//! A hub's cost is its own CPU plus that of the programs it runs: every `qsub`, `qstat` and
//! `qdel` (and the shell JupyterHub's batchspawner starts each one in) is a child the hub
//! waits for, so the kernel adds its CPU to the hub's `cutime`/`cstime` when it is reaped.
//! Children still running (the proxy the hub started) are not in those fields.

/// CPU seconds of a process: its own, and its reaped children's.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    /// User plus system time of the process itself.
    pub own: f64,
    /// User plus system time of its children that have exited and been waited for.
    pub children: f64,
}

impl CpuTimes {
    /// What was spent between `earlier` and `self`.
    pub fn since(&self, earlier: &CpuTimes) -> CpuTimes {
        CpuTimes {
            own: self.own - earlier.own,
            children: self.children - earlier.children,
        }
    }
}

/// Parses the text of `/proc/<pid>/stat` with `ticks_per_sec` clock ticks a second
/// (`getconf CLK_TCK`, 100 on Linux). The command name (field 2) is in parentheses and may
/// hold spaces and parentheses itself, so the fields are counted after its last `)`.
pub fn parse_stat(stat: &str, ticks_per_sec: f64) -> Option<CpuTimes> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name: state (field 3) … utime (14), stime (15), cutime (16), cstime (17).
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| -> Option<f64> { fields.get(n - 3)?.parse::<f64>().ok() };
    Some(CpuTimes {
        own: (field(14)? + field(15)?) / ticks_per_sec,
        children: (field(16)? + field(17)?) / ticks_per_sec,
    })
}

/// The CPU times of `pid` now, if it is alive.
pub fn of_pid(pid: u32, ticks_per_sec: f64) -> Option<CpuTimes> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat, ticks_per_sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_counted_after_the_last_parenthesis() {
        // A name with a space and a parenthesis, as `(python3 (hub))`.
        let stat = "4242 (python3 (hub)) S 1 4242 4242 0 -1 4194560 9000 100 0 0 \
                    250 50 30 20 20 0 3 0 12345 100000 2000 18446744073709551615";
        let cpu = parse_stat(stat, 100.0).unwrap();
        assert_eq!(cpu.own, 3.0);
        assert_eq!(cpu.children, 0.5);
        let later = CpuTimes {
            own: 4.0,
            children: 2.0,
        };
        assert_eq!(
            later.since(&cpu),
            CpuTimes {
                own: 1.0,
                children: 1.5
            }
        );
    }

    #[test]
    fn a_short_or_garbled_line_is_none() {
        assert_eq!(parse_stat("4242 (hub) S 1 2 3", 100.0), None);
        assert_eq!(parse_stat("no parenthesis here", 100.0), None);
    }

    #[test]
    fn this_process_has_a_stat() {
        assert!(of_pid(std::process::id(), 100.0).is_some());
    }
}
