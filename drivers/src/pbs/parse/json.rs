//! [`qstat_json`]: `qstat -f -F json [-x] ids…` from either of PBS's JSON generators
//! (reference `pbs-pro.md` §3.6).
//!
//! - The **old** generator (OpenPBS ≤ 23.06, PBS Pro 2022) prints any value that looks like a
//!   JSON number unquoted (`"substate":42`, `"Exit_status":-3`, even `"Job_Name":123`).
//! - The **new** cJSON generator indents with TABs and types values as JSON literals.
//!
//! So every value we keep is read as a [`RawValue`]: a string is unescaped, anything else is
//! taken as the literal PBS printed. Only the attributes the hub needs are deserialized, into
//! borrowed structs; serde skips the rest (`Variable_List`, `Resource_List`, …) without
//! building them. A document without `Jobs` (nothing matched) is an empty answer.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::ParseError;
use super::status::Attributes;
use super::QstatJob;

/// `qstat -f -F json [-x] ids…` from either generator; a document without `Jobs` is Ok(empty).
///
/// Jobs come back in the order qstat printed them. Text that is not a JSON object — including
/// empty output — is [`ParseError::NotJson`]; problems inside one job make that job
/// `Unknown` (see the [module rules](super)).
pub fn qstat_json(text: &str) -> Result<Vec<QstatJob>, ParseError> {
    let document: Document<'_> = serde_json::from_str(text).map_err(|e| ParseError::NotJson {
        reason: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    let jobs = document.jobs.map(|j| j.0).unwrap_or_default();
    Ok(jobs
        .into_iter()
        .map(|(id, job)| job.into_attributes().into_job(id.into_owned()))
        .collect())
}

/// The top of the document: `Jobs`, absent when nothing matched; `timestamp`,
/// `pbs_version` and `pbs_server` are skipped. Read by hand because serde's derived structs
/// also accept an array, and a bare `[]` is no qstat answer.
struct Document<'a> {
    jobs: Option<Jobs<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Document<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DocumentVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for DocumentVisitor<'a> {
            type Value = Document<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a qstat JSON document (an object)")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut jobs = None;
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    if key.0 == "Jobs" {
                        jobs = Some(map.next_value::<Jobs<'de>>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Document { jobs })
            }
        }
        deserializer.deserialize_map(DocumentVisitor(PhantomData))
    }
}

/// `"Jobs": { "<id>": {…}, … }`, kept in the order printed (a map would lose it).
struct Jobs<'a>(Vec<(Cow<'a, str>, Job<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Jobs<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(JobsVisitor(PhantomData))
    }
}

struct JobsVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for JobsVisitor<'a> {
    type Value = Jobs<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of jobs by id")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut jobs = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(id) = map.next_key::<Key<'de>>()? {
            let job: Job<'de> = map.next_value()?;
            jobs.push((id.0, job));
        }
        Ok(Jobs(jobs))
    }
}

/// A key borrowed from the document when it has no escapes (a plain `Cow` would always copy).
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a job id")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// One job: only the attributes we keep; serde skips the others.
#[derive(Deserialize)]
struct Job<'a> {
    #[serde(rename = "Job_Name", borrow)]
    job_name: Option<&'a RawValue>,
    #[serde(rename = "Job_Owner", borrow)]
    job_owner: Option<&'a RawValue>,
    #[serde(borrow)]
    job_state: Option<&'a RawValue>,
    #[serde(borrow)]
    substate: Option<&'a RawValue>,
    #[serde(borrow)]
    queue: Option<&'a RawValue>,
    #[serde(borrow)]
    exec_host: Option<&'a RawValue>,
    #[serde(borrow)]
    exec_vnode: Option<&'a RawValue>,
    #[serde(borrow)]
    comment: Option<&'a RawValue>,
    /// Kept raw and read only when it is an object, so an odd `estimated` cannot spoil the
    /// whole answer.
    #[serde(borrow)]
    estimated: Option<&'a RawValue>,
    #[serde(rename = "Exit_status", borrow)]
    exit_status: Option<&'a RawValue>,
    #[serde(borrow)]
    ctime: Option<&'a RawValue>,
    #[serde(borrow)]
    qtime: Option<&'a RawValue>,
    #[serde(borrow)]
    etime: Option<&'a RawValue>,
    #[serde(borrow)]
    stime: Option<&'a RawValue>,
    #[serde(borrow)]
    obittime: Option<&'a RawValue>,
}

/// `"estimated": { "exec_vnode": …, "start_time": "<ctime>" }`.
#[derive(Deserialize)]
struct Estimated<'a> {
    #[serde(borrow)]
    start_time: Option<&'a RawValue>,
}

impl<'a> Job<'a> {
    fn into_attributes(self) -> Attributes<'a> {
        let text = |raw: Option<&'a RawValue>| raw.map(literal);
        Attributes {
            job_name: text(self.job_name),
            job_owner: text(self.job_owner),
            job_state: text(self.job_state),
            substate: text(self.substate),
            queue: text(self.queue),
            exec_host: text(self.exec_host),
            exec_vnode: text(self.exec_vnode),
            comment: text(self.comment),
            estimated_start_time: self
                .estimated
                .and_then(|raw| serde_json::from_str::<Estimated<'a>>(raw.get()).ok())
                .and_then(|e| text(e.start_time)),
            exit_status: text(self.exit_status),
            ctime: text(self.ctime),
            qtime: text(self.qtime),
            etime: text(self.etime),
            stime: text(self.stime),
            obittime: text(self.obittime),
        }
    }
}

/// The text of a value: a string unescaped, anything else (a number, `true`, an object) as
/// the literal printed — which is what the old generator meant by an unquoted number.
fn literal(raw: &RawValue) -> Cow<'_, str> {
    let json = raw.get();
    if let Some(inner) = json.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        // Without a backslash the string's text is exactly what lies between the quotes.
        if !inner.contains('\\') {
            return Cow::Borrowed(inner);
        }
        if let Ok(unescaped) = serde_json::from_str::<String>(json) {
            return Cow::Owned(unescaped);
        }
    }
    Cow::Borrowed(json)
}
