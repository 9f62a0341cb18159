//! [`qsub_job_id`]: the id `qsub` prints on success (reference `pbs-pro.md` §1.4):
//! `<seq>.<PBS_SERVER>` or `<seq>[].<PBS_SERVER>` for an array, then a newline.

use crate::JobId;

use super::error::ParseError;

/// The job id `qsub` printed on stdout (first non-empty line, trimmed), validated via
/// [`JobId::new`].
pub fn qsub_job_id(stdout: &str) -> Result<JobId, ParseError> {
    let printed = stdout
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .ok_or(ParseError::NoQsubJobId)?;
    JobId::new(printed).map_err(|source| ParseError::BadQsubJobId {
        printed: printed.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_ids_of_real_sites() {
        for id in [
            "632585.pbs02",
            "2557008.pbsserver",
            "359322.polaris-pbs-01.hsn.cm.polaris.alcf.anl.gov",
            "1234[].pbs02",
        ] {
            assert_eq!(qsub_job_id(&format!("{id}\n")).unwrap().as_str(), id);
        }
        assert_eq!(
            qsub_job_id("\n  \n 12.pbs02 \r\nnoise\n").unwrap().as_str(),
            "12.pbs02"
        );
    }

    #[test]
    fn refuses_nothing_and_non_ids() {
        assert_eq!(qsub_job_id(""), Err(ParseError::NoQsubJobId));
        assert_eq!(qsub_job_id(" \n\t\n"), Err(ParseError::NoQsubJobId));
        match qsub_job_id("qsub: waiting for job 631266.pbs02 to start\n") {
            Err(ParseError::BadQsubJobId { printed, .. }) => {
                assert_eq!(printed, "qsub: waiting for job 631266.pbs02 to start");
            }
            other => panic!("{other:?}"),
        }
        assert!(qsub_job_id("-f\n").is_err());
    }
}
