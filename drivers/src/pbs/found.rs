//! [`owned_and_named`]: the jobs of one owner with one name in a `qstat -f -x` answer, for
//! [`Scheduler::find_jobs`](crate::Scheduler::find_jobs).
//!
//! PBS has no server-side filter by owner and name that `qstat -f` honours (`-u` is for the
//! table formats), so the driver asks for every job and picks here.

use super::parse::QstatJob;
use crate::job::{FoundJob, JobId, JobName, UserName};

/// The jobs in `jobs` whose `Job_Owner` is `owner` (the part before `@`) and whose
/// `Job_Name` is `name`, in the order qstat printed them. A matching job whose id is not one
/// the hub could track is an error naming it: a job the hub may have started must never be
/// skipped in silence.
pub fn owned_and_named(
    jobs: Vec<QstatJob>,
    owner: &UserName,
    name: &JobName,
) -> Result<Vec<FoundJob>, String> {
    let mut found = Vec::new();
    for job in jobs {
        let owned = job
            .owner
            .as_deref()
            .is_some_and(|o| o.split('@').next() == Some(owner.as_str()));
        if !owned || job.name.as_deref() != Some(name.as_str()) {
            continue;
        }
        let id = JobId::new(job.id.as_str())
            .map_err(|e| format!("qstat printed a job of {owner} named {name} with {e}"))?;
        found.push(FoundJob {
            id,
            state: job.status.state,
            queued: job.status.times.queued,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pbs::parse::qstat_json;
    use crate::JobState;

    fn job(id: &str, owner: &str, name: &str, state: &str) -> String {
        format!(
            "\"{id}\":{{\"Job_Name\":\"{name}\",\"Job_Owner\":\"{owner}\",\"job_state\":\"{state}\",\"qtime\":\"Thu Nov 26 15:00:00 2026\"}}"
        )
    }

    fn answer(jobs: &[String]) -> Vec<QstatJob> {
        let doc = format!(
            "{{\"pbs_server\":\"pbs02\",\"Jobs\":{{{}}}}}",
            jobs.join(",")
        );
        qstat_json(&doc).unwrap()
    }

    #[test]
    fn only_the_owners_jobs_with_the_name_are_found() {
        let jobs = answer(&[
            job("1.pbs02", "alice@login1", "jupyterhub", "R"),
            job("2.pbs02", "bob@login1", "jupyterhub", "Q"),
            job("3.pbs02", "alice@login1", "other", "Q"),
            job("4.pbs02", "alice@login2", "jupyterhub", "F"),
            job("5.pbs02", "alicex@login1", "jupyterhub", "Q"),
        ]);
        let owner = UserName::new("alice").unwrap();
        let name = JobName::new("jupyterhub").unwrap();
        let found = owned_and_named(jobs, &owner, &name).unwrap();
        let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["1.pbs02", "4.pbs02"]);
        assert_eq!(found[0].state, JobState::Running);
        assert_eq!(found[1].state, JobState::Finished);
        assert!(found[0].queued.is_some(), "qtime is read: {found:?}");
    }

    #[test]
    fn the_text_format_names_owners_and_jobs_too() {
        let text = "Job Id: 8.pbs02\n    Job_Name = jupyterhub\n    Job_Owner = alice@login1\n    job_state = Q\n    qtime = Thu Nov 26 15:00:00 2026\n\nJob Id: 9.pbs02\n    Job_Name = jupyterhub\n    Job_Owner = bob@login1\n    job_state = Q\n\n";
        let jobs = crate::pbs::parse::qstat_full_text(text).unwrap();
        assert_eq!(jobs[0].owner.as_deref(), Some("alice@login1"));
        assert_eq!(jobs[0].name.as_deref(), Some("jupyterhub"));
        let owner = UserName::new("alice").unwrap();
        let name = JobName::new("jupyterhub").unwrap();
        let found = owned_and_named(jobs, &owner, &name).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id.as_str(), "8.pbs02");
        assert_eq!(found[0].state, JobState::Queued);
        assert!(found[0].queued.is_some());
    }

    #[test]
    fn a_matching_job_with_an_unusable_id_is_an_error() {
        let jobs = vec![QstatJob {
            id: "7 pbs02".to_string(),
            name: Some("jupyterhub".to_string()),
            owner: Some("alice@login1".to_string()),
            status: crate::JobStatus::unknown("x"),
        }];
        let owner = UserName::new("alice").unwrap();
        let name = JobName::new("jupyterhub").unwrap();
        let error = owned_and_named(jobs, &owner, &name).unwrap_err();
        assert!(error.contains("7 pbs02"), "{error}");
    }
}
