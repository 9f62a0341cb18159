//! Reading `qstat` answers per tracked job: which job an id names whatever domain `qstat`
//! prints, and which failures are only "some of these jobs are gone" (the counting of
//! absences is [`crate::misses`]).

/// The part of a job id that names a job whatever domain suffix `qstat` prints:
/// `123.pbs02.cluster.edu` and `123.pbs02` are both `(123, pbs02)`.
pub fn id_key(id: &str) -> (String, String) {
    let (seq, server) = id.split_once('.').unwrap_or((id, ""));
    let short = server.split('.').next().unwrap_or(server);
    (seq.to_string(), short.to_string())
}

/// Whether a failed `qstat`'s stderr says only that some of the jobs asked about are
/// unknown or finished: its stdout then still describes all the others.
pub fn only_missing_jobs(stderr: &str) -> bool {
    stderr.lines().filter(|l| !l.trim().is_empty()).all(|line| {
        line.contains("Unknown Job Id")
            || line.contains("Job has finished")
            || line.contains("illegally formed job identifier")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_whatever_domain_qstat_prints() {
        assert_eq!(id_key("123.pbs02.cluster.edu"), id_key("123.pbs02"));
        assert_ne!(id_key("123.pbs02"), id_key("124.pbs02"));
        assert_ne!(id_key("123.pbs02"), id_key("123.pbs03"));
        assert_eq!(id_key("77"), ("77".to_string(), String::new()));
    }

    #[test]
    fn partial_answers_are_told_from_failures() {
        assert!(only_missing_jobs("qstat: Unknown Job Id 5.pbs02\n"));
        assert!(only_missing_jobs(
            "qstat: Unknown Job Id 5.pbs02\nqstat: 6.pbs02 Job has finished, use -x or -H to obtain historical job information\n"
        ));
        assert!(!only_missing_jobs(
            "qstat: cannot connect to server pbs02 (errno=15010)\n"
        ));
        assert!(!only_missing_jobs(
            "qstat: Unknown Job Id 5.pbs02\nSegmentation fault\n"
        ));
    }
}
