//! The default job table: `qstat`, `qstat -x`, `qstat -t`, `qstat -J` (`display_statjob`).
//!
//! ```text
//! Job id            Name             User              Time Use S Queue
//! ----------------  ---------------- ----------------  -------- - -----
//! 2557008.pbsserver Index_hayim      jdar4135                 0 Q small
//! ```
//! Rows are `printf("%-17s %-16s %-16s  %8s %1s %-16s\n")`, so they carry trailing blanks.

use super::text::{left, right, star};
use super::StatusObject;

/// Column widths of one table variant.
struct Widths {
    id: usize,
    name: usize,
    user: usize,
    queue: usize,
    header: &'static str,
}

const NORMAL: Widths = Widths {
    id: 17,
    name: 16,
    user: 16,
    queue: 16,
    header: "Job id            Name             User              Time Use S Queue\n\
             ----------------  ---------------- ----------------  -------- - -----\n",
};
/// `max_job_sequence_id` above 9999999: a 22-wide id column.
const LONG_IDS: Widths = Widths {
    id: 22,
    name: 16,
    user: 16,
    queue: 16,
    header: "Job id                 Name             User              Time Use S Queue\n\
             ---------------------  ---------------- ----------------  -------- - -----\n",
};
/// `-w`.
const WIDE: Widths = Widths {
    id: 30,
    name: 15,
    user: 15,
    queue: 15,
    header: "Job id                         Name            User             Time Use S Queue\n\
             -----------------------------  --------------- ---------------  -------- - ---------------\n",
};

/// Width of the Time Use column.
const TIMEUL: usize = 8;

/// Which variant of the default table to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// `-w`: 30-wide ids, 15-wide name, user and queue.
    pub wide: bool,
    /// The server's `max_job_sequence_id` exceeds 9999999: 22-wide ids.
    pub long_ids: bool,
}

/// The default `qstat` job table. No jobs prints nothing at all, not even the header.
///
/// The id is cut after the first component of the server name (`1.a.b.c` → `1.a`); then
/// id, name, user and queue longer than their column end in `*` (v20+). The name is cut
/// from 16 chars on (`>=`), the others only past their width. Time Use is
/// `resources_used.cput`, or `0` before the job has used any.
pub fn qstat_table(jobs: &[StatusObject], opts: TableOptions) -> String {
    if jobs.is_empty() {
        return String::new();
    }
    let w = if opts.wide {
        &WIDE
    } else if opts.long_ids {
        &LONG_IDS
    } else {
        &NORMAL
    };
    let mut out = String::from(w.header);
    for job in jobs {
        out.push_str(&row(job, w));
    }
    out
}

fn row(job: &StatusObject, w: &Widths) -> String {
    // A missing attribute reaches printf as NULL, which glibc prints as "(null)".
    const NULL: &str = "(null)";
    let id = star(short_id(&job.name), w.id);
    // The name is cut from 16 chars on (`l >= NAMEL`), one earlier than the other columns.
    let name = job.get("Job_Name", None).map_or(NULL.to_string(), |n| {
        if n.chars().count() >= w.name {
            let mut cut = super::text::cut(n, w.name - 1);
            cut.push('*');
            cut
        } else {
            n.to_string()
        }
    });
    let user = job
        .get("Job_Owner", None)
        .map_or(NULL.to_string(), |o| star(before(o, '@'), w.user));
    let time = star(
        job.get("resources_used", Some("cput")).unwrap_or("0"),
        TIMEUL,
    );
    let state = job
        .get("job_state", None)
        .map_or(NULL.to_string(), |s| star(s, 1));
    let queue = job
        .get("queue", None)
        .map_or(NULL.to_string(), |q| star(before(q, '@'), w.queue));
    format!(
        "{} {} {}  {} {} {}\n",
        left(&id, w.id),
        left(&name, w.name),
        left(&user, w.user),
        right(&time, TIMEUL),
        right(&state, 1),
        left(&queue, w.queue)
    )
}

/// The job id up to (not including) the second `.`: sequence number and first server label.
fn short_id(id: &str) -> &str {
    match id.match_indices('.').nth(1) {
        Some((i, _)) => &id[..i],
        None => id,
    }
}

/// `s` up to the first `sep`.
fn before(s: &str, sep: char) -> &str {
    s.split(sep).next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Attr;

    fn job(id: &str, name: &str, owner: &str, state: &str, queue: &str) -> StatusObject {
        StatusObject::new(
            id,
            vec![
                Attr::new("Job_Name", name),
                Attr::new("Job_Owner", owner),
                Attr::new("job_state", state),
                Attr::new("queue", queue),
            ],
        )
    }

    #[test]
    fn no_jobs_prints_nothing() {
        assert_eq!(qstat_table(&[], TableOptions::default()), "");
    }

    #[test]
    fn id_is_cut_after_the_first_server_label_then_starred() {
        assert_eq!(short_id("1.a.b.c"), "1.a");
        assert_eq!(short_id("1.a"), "1.a");
        assert_eq!(short_id("1"), "1");
        let t = qstat_table(
            &[job("3084.groq-r01-control-01.cm", "x", "u@h", "R", "q")],
            TableOptions::default(),
        );
        assert!(
            t.lines().nth(2).unwrap().starts_with("3084.groq-r01-co* "),
            "{t}"
        );
        // Exactly 17 chars is not cut.
        let t = qstat_table(
            &[job("2557008.pbsserver", "x", "u", "Q", "q")],
            TableOptions::default(),
        );
        assert!(
            t.lines()
                .nth(2)
                .unwrap()
                .starts_with("2557008.pbsserver x "),
            "{t}"
        );
    }

    #[test]
    fn name_is_starred_from_16_chars_user_and_queue_past_16() {
        let j = job(
            "1.s",
            &"n".repeat(16),
            &format!("{}@h", "u".repeat(16)),
            "R",
            &"q".repeat(16),
        );
        let t = qstat_table(&[j], TableOptions::default());
        let row = t.lines().nth(2).unwrap();
        assert_eq!(
            row,
            format!(
                "1.s               {}* {}         0 R {}",
                "n".repeat(15),
                "u".repeat(16),
                "q".repeat(16)
            )
        );
        let j = job(
            "1.s",
            &"n".repeat(15),
            &"u".repeat(17),
            "R",
            &format!("{}@other", "q".repeat(17)),
        );
        let row = qstat_table(&[j], TableOptions::default())
            .lines()
            .nth(2)
            .unwrap()
            .to_string();
        assert_eq!(
            row,
            format!(
                "1.s               {}  {}*         0 R {}*",
                "n".repeat(15),
                "u".repeat(15),
                "q".repeat(15)
            )
        );
    }

    #[test]
    fn cput_is_shown_when_used() {
        let mut j = job("5.s", "a", "b", "R", "q");
        j.attrs
            .push(Attr::res("resources_used", "cput", "00:01:02"));
        let row = qstat_table(&[j], TableOptions::default())
            .lines()
            .nth(2)
            .unwrap()
            .to_string();
        assert_eq!(
            row,
            format!(
                "5.s               a                b                 00:01:02 R q{}",
                " ".repeat(15)
            )
        );
    }

    #[test]
    fn wide_and_long_id_variants() {
        let j = job(
            &format!("{}.s", "1".repeat(30)),
            &"n".repeat(15),
            "u",
            "R",
            "q",
        );
        let t = qstat_table(
            std::slice::from_ref(&j),
            TableOptions {
                wide: true,
                long_ids: false,
            },
        );
        assert!(t.starts_with("Job id                         Name "));
        let row = t.lines().nth(2).unwrap();
        assert!(
            row.starts_with(&format!("{}* {}* ", "1".repeat(29), "n".repeat(14))),
            "{row}"
        );
        let t = qstat_table(
            &[j],
            TableOptions {
                wide: false,
                long_ids: true,
            },
        );
        assert!(t
            .lines()
            .nth(2)
            .unwrap()
            .starts_with(&format!("{}* ", "1".repeat(21))));
    }

    #[test]
    fn missing_attributes_print_like_glibc_null() {
        let t = qstat_table(&[StatusObject::new("1.s", vec![])], TableOptions::default());
        assert_eq!(
            t.lines().nth(2).unwrap(),
            "1.s               (null)           (null)                   0 (null) (null)          "
        );
    }
}
