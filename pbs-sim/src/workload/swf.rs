//! A streaming reader for the Standard Workload Format (SWF) of the Parallel Workloads
//! Archive: one job per line, 18 whitespace-separated numbers, `;` header comments, and
//! `-1` for "unknown".
//!
//! How a line becomes a [`WorkloadJob`] (fields numbered from 1, as in the SWF definition):
//!
//! | SWF field | becomes |
//! |---|---|
//! | 2 submit time | `submit_offset`, relative to the first job read |
//! | 4 run time | `runtime` (`-1`: the job is skipped) |
//! | 8 requested processors, else 5 allocated | `select` (none or 0: the job is skipped) |
//! | 9 requested time, else run time | `walltime` (at least 1 second) |
//! | 10 requested memory (kb per processor) | `mem` of each chunk (`-1`: no `mem`) |
//! | 11 status | `exit_status`: 1 completed → 0, 0 failed → 1, 5 cancelled → 271 (SIGTERM), else 0 |
//! | 12 user id | `owner` `user<id>` (`-1`: `nobody`) |
//! | 15 queue number | `queue` through [`SwfMapping::queues`], else the default queue |
//!
//! `p` processors on nodes of `c` cores ([`SwfMapping::cores_per_node`]) ask for
//! `select=1:ncpus=p` when `p ≤ c`, else `⌊p/c⌋` chunks of `ncpus=c` plus one chunk of the
//! remainder, with `place=scatter`. A job whose run time exceeds its requested time keeps
//! both, so the engine kills it at its walltime, as the traced machine may not have.
//!
//! The reader does not look at an inventory: choose `cores_per_node` no larger than the
//! simulated nodes' cores, or some jobs will never run.

use std::collections::BTreeMap;
use std::io::{self, BufRead};

use drivers::resources::{Arrangement, Chunk, Place, ResourceList, Select, Size, Walltime};

use super::WorkloadJob;

/// How SWF's machine-neutral numbers map onto PBS requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwfMapping {
    /// Cores per node of the traced machine, the size of a full chunk (0 is taken as 1).
    pub cores_per_node: u32,
    /// Queue names by SWF queue number (field 15); other numbers go to the default queue.
    pub queues: BTreeMap<i64, String>,
}

impl SwfMapping {
    /// A mapping with `cores_per_node` and no queue names.
    pub fn new(cores_per_node: u32) -> Self {
        SwfMapping {
            cores_per_node,
            queues: BTreeMap::new(),
        }
    }
}

impl Default for SwfMapping {
    /// 24 cores per node: the middle of Palmetto's range, where most archive jobs fit.
    fn default() -> Self {
        SwfMapping::new(24)
    }
}

/// A line of an SWF file that could not be read. Lines and fields count from 1.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SwfError {
    /// Reading failed; the reader stops.
    #[error("line {line}: cannot read the workload")]
    Read {
        /// The line being read.
        line: u64,
        /// What the reader said.
        #[source]
        source: io::Error,
    },
    /// The line is not UTF-8 text.
    #[error("line {line}: not UTF-8 text")]
    NotUtf8 {
        /// The line.
        line: u64,
    },
    /// The line does not have the 18 SWF fields.
    #[error("line {line}: expected 18 fields, found {found}")]
    FieldCount {
        /// The line.
        line: u64,
        /// How many fields it has.
        found: usize,
    },
    /// A field is not a number.
    #[error("line {line}: field {field} ({name}) is not a number: {value:?}")]
    BadNumber {
        /// The line.
        line: u64,
        /// The field's position.
        field: usize,
        /// The field's SWF name.
        name: &'static str,
        /// The text found.
        value: String,
    },
    /// A field is a number that it cannot be (below -1, or too large).
    #[error("line {line}: field {field} ({name}) is out of range: {value}")]
    OutOfRange {
        /// The line.
        line: u64,
        /// The field's position.
        field: usize,
        /// The field's SWF name.
        name: &'static str,
        /// The value found.
        value: i64,
    },
    /// A job was submitted before the job on an earlier line (SWF is sorted by submit
    /// time).
    #[error("line {line}: submit time {submit} is before the previous job's {previous}")]
    OutOfOrder {
        /// The line.
        line: u64,
        /// Its submit time.
        submit: u64,
        /// The previous job's submit time.
        previous: u64,
    },
}

/// The SWF field names, in order.
const FIELD_NAMES: [&str; 18] = [
    "job number",
    "submit time",
    "wait time",
    "run time",
    "allocated processors",
    "average cpu time",
    "used memory",
    "requested processors",
    "requested time",
    "requested memory",
    "status",
    "user id",
    "group id",
    "executable number",
    "queue number",
    "partition number",
    "preceding job number",
    "think time",
];

const SUBMIT_TIME: usize = 2;
const RUN_TIME: usize = 4;
const ALLOCATED_PROCS: usize = 5;
const REQUESTED_PROCS: usize = 8;
const REQUESTED_TIME: usize = 9;
const REQUESTED_MEMORY: usize = 10;
const STATUS: usize = 11;
const USER_ID: usize = 12;
const QUEUE_NUMBER: usize = 15;

/// Exit status of a cancelled job: killed by SIGTERM (256 + 15), as PBS reports a qdel.
const CANCELLED_EXIT: i32 = 271;

/// Reads [`WorkloadJob`]s from SWF text one line at a time; an [`Iterator`] of results, so
/// a bad line is reported (with its number) and reading can go on past it.
#[derive(Debug)]
pub struct SwfReader<R> {
    input: R,
    mapping: SwfMapping,
    buffer: Vec<u8>,
    line: u64,
    skipped: u64,
    /// The first job's submit time, from which offsets count.
    base: Option<u64>,
    previous: Option<u64>,
    done: bool,
}

impl<R: BufRead> SwfReader<R> {
    /// A reader of `input` that maps jobs with `mapping`.
    pub fn new(input: R, mapping: SwfMapping) -> Self {
        SwfReader {
            input,
            mapping,
            buffer: Vec::new(),
            line: 0,
            skipped: 0,
            base: None,
            previous: None,
            done: false,
        }
    }

    /// How many jobs so far were skipped for an unknown run time or submit time, or no
    /// processors.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The number of the last line read (counting from 1, comments included).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The job on the current line, `None` for a comment, a blank or a skipped job.
    fn line_of(&mut self, bytes: &[u8]) -> Result<Option<WorkloadJob>, SwfError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| SwfError::NotUtf8 { line: self.line })?
            .trim();
        if text.is_empty() || text.starts_with(';') {
            return Ok(None);
        }
        let job = self.job(text)?;
        if job.is_none() {
            self.skipped += 1;
        }
        Ok(job)
    }

    /// The job on a data line, `None` if it is skipped.
    fn job(&mut self, text: &str) -> Result<Option<WorkloadJob>, SwfError> {
        let line = self.line;
        let fields = Fields::new(line, text)?;
        let (Some(submit), Some(runtime)) = (fields.known(SUBMIT_TIME)?, fields.known(RUN_TIME)?)
        else {
            return Ok(None);
        };
        let (procs_field, procs) = match fields.known(REQUESTED_PROCS)?.filter(|&p| p > 0) {
            Some(p) => (REQUESTED_PROCS, Some(p)),
            None => (
                ALLOCATED_PROCS,
                fields.known(ALLOCATED_PROCS)?.filter(|&p| p > 0),
            ),
        };
        let Some(procs) = procs else {
            return Ok(None);
        };
        let procs = u32::try_from(procs).map_err(|_| fields.out_of_range(procs_field))?;
        let walltime = fields
            .known(REQUESTED_TIME)?
            .filter(|&t| t > 0)
            .unwrap_or(runtime)
            .max(1);
        let mem_per_proc_kb = fields.known(REQUESTED_MEMORY)?.filter(|&m| m > 0);
        let exit_status = match fields.number(STATUS)? {
            0 => 1,
            5 => CANCELLED_EXIT,
            _ => 0,
        };
        let owner = match fields.number(USER_ID)? {
            id if id >= 0 => format!("user{id}"),
            -1 => "nobody".to_string(),
            _ => return Err(fields.out_of_range(USER_ID)),
        };
        let queue = self
            .mapping
            .queues
            .get(&fields.number(QUEUE_NUMBER)?)
            .cloned();

        if let Some(previous) = self.previous {
            if submit < previous {
                return Err(SwfError::OutOfOrder {
                    line,
                    submit,
                    previous,
                });
            }
        }
        self.previous = Some(submit);
        let base = *self.base.get_or_insert(submit);
        let (select, place) = self.select(procs, mem_per_proc_kb);
        Ok(Some(WorkloadJob {
            submit_offset: submit - base,
            owner,
            queue,
            resources: ResourceList {
                select: Some(select),
                place,
                walltime: Some(Walltime::from_secs(walltime)),
                other: Vec::new(),
            },
            runtime,
            exit_status,
        }))
    }

    /// `procs` processors as whole-node chunks plus a remainder.
    fn select(&self, procs: u32, mem_per_proc_kb: Option<u64>) -> (Select, Option<Place>) {
        let cores = self.mapping.cores_per_node.max(1);
        let chunk = |count: u32, ncpus: u32| {
            let chunk = Chunk::new(count).ncpus(ncpus);
            match mem_per_proc_kb {
                Some(kb) => chunk.mem(size_of_kb(kb.saturating_mul(u64::from(ncpus)))),
                None => chunk,
            }
        };
        if procs <= cores {
            return (Select::new(vec![chunk(1, procs)]), None);
        }
        let mut chunks = vec![chunk(procs / cores, cores)];
        if procs % cores > 0 {
            chunks.push(chunk(1, procs % cores));
        }
        let place = Place {
            arrangement: Some(Arrangement::Scatter),
            ..Place::default()
        };
        (Select::new(chunks), Some(place))
    }
}

impl<R: BufRead> Iterator for SwfReader<R> {
    type Item = Result<WorkloadJob, SwfError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buffer.clear();
            match self.input.read_until(b'\n', &mut self.buffer) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    self.line += 1;
                    // The buffer is lent out so that `line_of` can borrow `self` mutably.
                    let buffer = std::mem::take(&mut self.buffer);
                    let result = self.line_of(&buffer);
                    self.buffer = buffer;
                    if let Some(result) = result.transpose() {
                        return Some(result);
                    }
                }
                Err(source) => {
                    self.done = true;
                    let line = self.line + 1;
                    return Some(Err(SwfError::Read { line, source }));
                }
            }
        }
        None
    }
}

impl<R: BufRead> std::iter::FusedIterator for SwfReader<R> {}

/// The 18 fields of one line.
struct Fields<'a> {
    line: u64,
    texts: [&'a str; 18],
}

impl<'a> Fields<'a> {
    fn new(line: u64, text: &'a str) -> Result<Self, SwfError> {
        let mut texts = [""; 18];
        let mut found = 0;
        for word in text.split_whitespace() {
            if let Some(slot) = texts.get_mut(found) {
                *slot = word;
            }
            found += 1;
        }
        if found != texts.len() {
            return Err(SwfError::FieldCount { line, found });
        }
        Ok(Fields { line, texts })
    }

    /// Field `field` (from 1) as an integer; reals, which some logs write, are rounded.
    fn number(&self, field: usize) -> Result<i64, SwfError> {
        let text = self.texts[field - 1];
        if let Ok(n) = text.parse::<i64>() {
            return Ok(n);
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() < 9.0e18 => Ok(x.round() as i64),
            _ => Err(SwfError::BadNumber {
                line: self.line,
                field,
                name: FIELD_NAMES[field - 1],
                value: text.to_string(),
            }),
        }
    }

    /// A field that is `-1` when unknown and otherwise not negative.
    fn known(&self, field: usize) -> Result<Option<u64>, SwfError> {
        match self.number(field)? {
            -1 => Ok(None),
            n => u64::try_from(n)
                .map(Some)
                .map_err(|_| self.out_of_range(field)),
        }
    }

    fn out_of_range(&self, field: usize) -> SwfError {
        SwfError::OutOfRange {
            line: self.line,
            field,
            name: FIELD_NAMES[field - 1],
            value: self.number(field).unwrap_or(i64::MAX),
        }
    }
}

/// A size in the largest unit that keeps it whole (`2gb`, `16mb`, `1000kb`).
fn size_of_kb(kb: u64) -> Size {
    if kb % (1024 * 1024) == 0 && kb > 0 {
        Size::gb(kb / (1024 * 1024))
    } else if kb % 1024 == 0 && kb > 0 {
        Size::mb(kb / 1024)
    } else {
        Size::kb(kb)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read};

    use proptest::prelude::*;

    use super::*;

    const SMALL: &str = include_str!("../../tests/data/small.swf");
    const MALFORMED: &str = include_str!("../../tests/data/malformed.swf");

    fn mapping() -> SwfMapping {
        let mut mapping = SwfMapping::new(8);
        mapping.queues.insert(1, "short".to_string());
        mapping.queues.insert(2, "long".to_string());
        mapping
    }

    fn read_all(text: &str) -> (Vec<Result<WorkloadJob, SwfError>>, u64) {
        let mut reader = SwfReader::new(text.as_bytes(), mapping());
        let results: Vec<_> = reader.by_ref().collect();
        (results, reader.skipped())
    }

    fn jobs(text: &str) -> Vec<WorkloadJob> {
        read_all(text)
            .0
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    fn chunk(count: u32, ncpus: u32, mem: Option<Size>) -> Chunk {
        let chunk = Chunk::new(count).ncpus(ncpus);
        match mem {
            Some(size) => chunk.mem(size),
            None => chunk,
        }
    }

    fn scatter() -> Option<Place> {
        Some(Place {
            arrangement: Some(Arrangement::Scatter),
            ..Place::default()
        })
    }

    #[test]
    fn small_file_maps_every_field() {
        let (results, skipped) = read_all(SMALL);
        assert_eq!(skipped, 3, "run time -1, no processors, submit -1");
        let jobs: Vec<WorkloadJob> = results.into_iter().filter_map(Result::ok).collect();
        assert_eq!(jobs.len(), 17);

        let first = &jobs[0];
        assert_eq!(first.submit_offset, 0);
        assert_eq!(first.owner, "user7");
        assert_eq!(first.queue.as_deref(), Some("short"));
        assert_eq!(first.runtime, 3600);
        assert_eq!(first.exit_status, 0);
        let expected = ResourceList {
            select: Some(Select::new(vec![chunk(1, 8, Some(Size::mb(16)))])),
            place: None,
            walltime: Some(Walltime::from_secs(7200)),
            other: Vec::new(),
        };
        assert_eq!(first.resources, expected);

        // Requested processors and time unknown: allocated processors and run time.
        let second = &jobs[1];
        assert_eq!((second.submit_offset, second.exit_status), (60, 1));
        assert_eq!(second.queue.as_deref(), Some("long"));
        assert_eq!(
            second.resources.select,
            Some(Select::new(vec![chunk(1, 4, None)]))
        );
        assert_eq!(second.resources.walltime, Some(Walltime::from_secs(120)));

        // 20 processors on 8-core nodes: two full chunks and a remainder, scattered.
        let cancelled = &jobs[2];
        assert_eq!((cancelled.submit_offset, cancelled.exit_status), (300, 271));
        assert_eq!(cancelled.runtime, 7200);
        let chunks = vec![
            chunk(2, 8, Some(Size::gb(8))),
            chunk(1, 4, Some(Size::gb(4))),
        ];
        assert_eq!(cancelled.resources.select, Some(Select::new(chunks)));
        assert_eq!(cancelled.resources.place, scatter());
        assert_eq!(
            cancelled.resources.walltime,
            Some(Walltime::from_secs(14400))
        );

        let zero_run = &jobs[3];
        assert_eq!((zero_run.submit_offset, zero_run.runtime), (300, 0));
        assert_eq!(zero_run.queue, None, "queue 3 has no name");

        let exact = &jobs[4];
        assert_eq!(
            exact.resources.select,
            Some(Select::new(vec![chunk(2, 8, None)]))
        );
        assert_eq!(exact.resources.place, scatter());

        let overrun = &jobs[5];
        assert_eq!(overrun.runtime, 150);
        assert_eq!(overrun.resources.walltime, Some(Walltime::from_secs(100)));

        let unknowns = &jobs[6];
        assert_eq!(unknowns.owner, "nobody");
        assert_eq!((unknowns.queue.as_deref(), unknowns.exit_status), (None, 1));
        assert_eq!(unknowns.resources.walltime, Some(Walltime::from_secs(1)));

        assert_eq!(jobs[7].exit_status, 0, "status -1");
        assert_eq!(jobs[8].exit_status, 0, "status 2");

        let reals = &jobs[9];
        assert_eq!(reals.runtime, 60);
        assert_eq!(reals.resources.walltime, Some(Walltime::from_secs(120)));
        let three_kb = Select::new(vec![chunk(1, 3, Some(Size::kb(3000)))]);
        assert_eq!(reals.resources.select, Some(three_kb));

        assert_eq!(
            jobs[10].resources.select,
            Some(Select::new(vec![chunk(1, 8, None)]))
        );
        let wide = Select::new(vec![chunk(3, 8, Some(Size::mb(32)))]);
        assert_eq!(jobs[11].resources.select, Some(wide));
        assert_eq!(
            jobs[12].resources.select,
            Some(Select::new(vec![chunk(8, 8, None)]))
        );

        let offsets: Vec<u64> = jobs.iter().map(|j| j.submit_offset).collect();
        assert_eq!(
            offsets,
            [
                0, 60, 300, 300, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600,
                1700
            ]
        );
        assert_eq!(jobs[13].owner, "user2", "tab-separated line");
        assert_eq!(jobs[16].owner, "user42");
    }

    #[test]
    fn malformed_lines_name_line_and_field() {
        let (results, skipped) = read_all(MALFORMED);
        assert_eq!(skipped, 0);
        let summary: Vec<String> = results
            .iter()
            .map(|r| match r {
                Ok(job) => format!("ok {}", job.submit_offset),
                Err(e) => e.to_string(),
            })
            .collect();
        assert_eq!(
            summary,
            [
                "ok 0",
                "line 4: expected 18 fields, found 17",
                "ok 100",
                "line 6: field 4 (run time) is not a number: \"abc\"",
                "ok 300",
                "line 8: submit time 900 is before the previous job's 1300",
                "line 9: field 4 (run time) is out of range: -30",
                "line 10: field 12 (user id) is out of range: -7",
                "line 11: expected 18 fields, found 19",
                "ok 700",
            ]
        );
        assert!(matches!(
            results[3],
            Err(SwfError::BadNumber {
                line: 6,
                field: 4,
                name: "run time",
                ..
            })
        ));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_one_bad_line() {
        let mut text = b"; header\n\xff\xfe 1 2\n".to_vec();
        text.extend_from_slice(SMALL.lines().nth(19).unwrap_or_default().as_bytes());
        let mut reader = SwfReader::new(&text[..], SwfMapping::new(8));
        assert!(matches!(
            reader.next(),
            Some(Err(SwfError::NotUtf8 { line: 2 }))
        ));
        assert!(matches!(reader.next(), Some(Ok(ref job)) if job.owner == "user7"));
        assert!(reader.next().is_none());
        assert_eq!(reader.line(), 3);
    }

    /// Fails after the first line.
    struct Broken(bool);

    impl Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if std::mem::replace(&mut self.0, true) {
                return Err(io::Error::other("disk on fire"));
            }
            let line = b"; only a comment\n";
            buf[..line.len()].copy_from_slice(line);
            Ok(line.len())
        }
    }

    #[test]
    fn read_errors_stop_the_reader() {
        let mut reader = SwfReader::new(BufReader::new(Broken(false)), SwfMapping::default());
        assert!(matches!(
            reader.next(),
            Some(Err(SwfError::Read { line: 2, .. }))
        ));
        assert!(reader.next().is_none());
    }

    #[test]
    fn empty_input_has_no_jobs() {
        assert!(jobs("").is_empty());
        assert!(jobs("; only\n;comments\n\n").is_empty());
    }

    proptest! {
        #[test]
        fn chunks_add_up_to_the_processors(procs in 1u32..5000, cores in 0u32..130) {
            let line = format!("1 0 0 60 {procs} -1 -1 {procs} 60 10 1 1 1 1 1 1 -1 -1");
            let job = SwfReader::new(line.as_bytes(), SwfMapping::new(cores))
                .next()
                .and_then(Result::ok);
            prop_assert!(job.is_some());
            let select = job.and_then(|j| j.resources.select);
            let select = select.unwrap_or_else(|| Select::new(Vec::new()));
            prop_assert_eq!(select.total_count("ncpus"), u64::from(procs));
            prop_assert_eq!(select.total_kb("mem"), u64::from(procs) * 10);
            for c in &select.chunks {
                prop_assert!(c.count_of("ncpus").unwrap_or(0) <= cores.max(1));
            }
        }

        #[test]
        fn never_panics(text in "[0-9 \\-;.a\n\t]{0,300}") {
            for result in SwfReader::new(text.as_bytes(), SwfMapping::new(4)) {
                let _ = result;
            }
        }
    }
}
