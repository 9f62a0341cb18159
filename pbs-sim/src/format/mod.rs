//! Pure renderers that print status replies exactly as PBS Pro's clients do.
//!
//! The daemon answers a status request with a list of [`StatusObject`]s (a job, queue, server
//! or node with its attributes in PBS's order, values as the server sends them: times as epoch
//! seconds). These functions turn such a list into the bytes `qstat` or `pbsnodes` would
//! print, following OpenPBS's `qstat.c`, `pbsnodes.c` and the pre-cJSON `pbs_json.c`
//! (v20 to v23.06, which commercial PBS Pro 2022 matches). Nothing here does I/O.
//!
//! Layout, one idea per file:
//! - [`qstat_table`] — the default job table (`qstat`, `qstat -x`).
//! - [`qstat_alt`] — the alternate job table (`-a`, `-u`, `-n`, `-s`, `-T`, `-1`).
//! - [`qstat_full`] — `qstat -f` / `-Qf` / `-Bf`, with the 78-column wrapping.
//! - [`json`] — the old `-F json` generator, for jobs, queues, servers and nodes.
//! - [`queue_server`] — the `qstat -Q` and `qstat -B` tables.
//! - [`pbsnodes`] — `pbsnodes -a`/`<node>` text and `pbsnodes -l`.
//! - [`time`] — `ctime()` text and the `-T` "Est Start" short form.
//! - `text` (private) — printf-style padding and `*` truncation shared by the tables.

use std::borrow::Cow;

pub mod json;
pub mod pbsnodes;
pub mod qstat_alt;
pub mod qstat_full;
pub mod qstat_table;
pub mod queue_server;
mod text;
pub mod time;

/// One attribute as the PBS server sends it (PBS's `attrl`): name, optional resource, value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attr {
    /// Attribute name, e.g. `Resource_List` or `job_state`. Names are nearly always
    /// constants: borrowing them saves an allocation per attribute of every status.
    pub name: Cow<'static, str>,
    /// Resource name for resource attributes, e.g. `walltime` in `Resource_List.walltime`.
    pub resource: Option<Cow<'static, str>>,
    /// The value as the server encodes it (times are epoch seconds).
    pub value: String,
}

impl Attr {
    /// A plain attribute (no resource).
    pub fn new(name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        Attr {
            name: name.into(),
            resource: None,
            value: value.into(),
        }
    }

    /// A resource attribute such as `Resource_List.ncpus`.
    pub fn res(
        name: impl Into<Cow<'static, str>>,
        resource: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Self {
        Attr {
            name: name.into(),
            resource: Some(resource.into()),
            value: value.into(),
        }
    }

    /// Whether this attribute is `name` (and `resource`, when one is given).
    pub fn is(&self, name: &str, resource: Option<&str>) -> bool {
        self.name == name && self.resource.as_deref() == resource
    }
}

/// One object of a status reply: a job, queue, server or node, with attributes in PBS's order.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StatusObject {
    /// Job id, queue name, server name or node name.
    pub name: String,
    /// Attributes in the order the server sends them.
    pub attrs: Vec<Attr>,
}

impl StatusObject {
    /// An object with the given name and attributes.
    pub fn new(name: impl Into<String>, attrs: Vec<Attr>) -> Self {
        StatusObject {
            name: name.into(),
            attrs,
        }
    }

    /// The value of the first attribute `name[.resource]`, as PBS's `get_attr` finds it.
    pub fn get(&self, name: &str, resource: Option<&str>) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.is(name, resource))
            .map(|a| a.value.as_str())
    }
}

/// How times print: in the process's local zone (what real `ctime()` does) or in UTC (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The local time zone of the process, like the real clients.
    Local,
    /// UTC, so tests do not depend on the machine's zone.
    Utc,
}

/// What every renderer may need besides the objects.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The default server name (`PBS_SERVER`), shown in headers and JSON `pbs_server`.
    pub server: String,
    /// The `PBS_VERSION` string shown in JSON `pbs_version`.
    pub pbs_version: String,
    /// The client's "now" in epoch seconds (JSON `timestamp`, `-T` start times).
    pub now: i64,
    /// The zone times are printed in.
    pub zone: Zone,
}
