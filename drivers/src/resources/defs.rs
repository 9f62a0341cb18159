//! Which resources a PBS server knows: the built-ins and the site's own (`qmgr -c "create
//! resource interconnect type=string, flag=h"`).
//!
//! [`ResourceDefs::check`] is the server's side of a request: parsing has checked syntax
//! and built-in types; this checks that every name is known, that chunks hold only
//! host-level resources, and that each value suits its resource's type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::builtin::{invalid_in_select, old_style_with_select};
use super::error::PbsError;
use super::list::ResourceList;
use super::select::{ResourceValue, Select};
use super::size::Size;
use super::walltime::Walltime;

/// The type of a resource's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceKind {
    /// An integer (`long`).
    Long,
    /// A size (`mem`).
    Size,
    /// A duration (`walltime`).
    Duration,
    /// A string compared for equality (`interconnect`).
    String,
    /// `True`/`False`.
    Boolean,
}

/// One resource definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceDef {
    /// The value type.
    pub kind: ResourceKind,
    /// Host-level (flag `h`): may appear inside a `select` chunk.
    pub host_level: bool,
    /// Consumable on the node (flag `n` with `h`): the scheduler never over-allocates it.
    pub consumable: bool,
}

impl ResourceDef {
    /// A server/queue-level resource: job-wide only (no `h` flag).
    pub const fn job_wide(kind: ResourceKind) -> Self {
        ResourceDef {
            kind,
            host_level: false,
            consumable: false,
        }
    }

    /// A host-level resource (flag `h`), usable inside `select`.
    pub const fn host(kind: ResourceKind) -> Self {
        ResourceDef {
            kind,
            host_level: true,
            consumable: false,
        }
    }

    /// A host-level consumable (flags `nh`), e.g. `ngpus`.
    pub const fn host_consumable(kind: ResourceKind) -> Self {
        ResourceDef {
            kind,
            host_level: true,
            consumable: true,
        }
    }
}

/// The resource names a server knows, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDefs {
    defs: BTreeMap<String, ResourceDef>,
}

impl ResourceDefs {
    /// The definition of `name`, if the server knows it.
    pub fn get(&self, name: &str) -> Option<&ResourceDef> {
        self.defs.get(name)
    }

    /// Adds or replaces a definition (a site's `create resource`).
    pub fn define(&mut self, name: &str, def: ResourceDef) {
        self.defs.insert(name.to_string(), def);
    }

    /// Every known name with its definition, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ResourceDef)> {
        self.defs.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// No resources at all; add them with [`ResourceDefs::define`].
    pub fn new() -> Self {
        ResourceDefs::default()
    }

    /// The built-in resources this project relies on (OpenPBS `master_resc_def_all.xml`,
    /// plus `ngpus`, built-in in commercial PBS Pro).
    pub fn builtin() -> Self {
        use ResourceKind::{Duration, Long, Size, String};
        let mut defs = ResourceDefs::new();
        let table = [
            ("ncpus", ResourceDef::host_consumable(Long)),
            ("mem", ResourceDef::host_consumable(Size)),
            ("vmem", ResourceDef::host_consumable(Size)),
            ("ngpus", ResourceDef::host_consumable(Long)),
            ("naccelerators", ResourceDef::host_consumable(Long)),
            ("mpiprocs", ResourceDef::host(Long)),
            ("ompthreads", ResourceDef::host(Long)),
            ("host", ResourceDef::host(String)),
            ("vnode", ResourceDef::host(String)),
            ("arch", ResourceDef::host(String)),
            ("walltime", ResourceDef::job_wide(Duration)),
            ("soft_walltime", ResourceDef::job_wide(Duration)),
            ("min_walltime", ResourceDef::job_wide(Duration)),
            ("max_walltime", ResourceDef::job_wide(Duration)),
            ("cput", ResourceDef::job_wide(Duration)),
            ("nodes", ResourceDef::job_wide(String)),
            ("nodect", ResourceDef::job_wide(Long)),
            ("place", ResourceDef::job_wide(String)),
            ("select", ResourceDef::job_wide(String)),
            ("nice", ResourceDef::job_wide(Long)),
            ("software", ResourceDef::job_wide(String)),
        ];
        for (name, def) in table {
            defs.define(name, def);
        }
        defs
    }

    /// The built-ins plus Clemson Palmetto's site resources (reference §2.5).
    pub fn palmetto() -> Self {
        use ResourceKind::{Boolean, Long, Size, String};
        let mut defs = ResourceDefs::builtin();
        let strings = [
            "chip_manufacturer",
            "chip_model",
            "chip_type",
            "interconnect",
            "phase",
            "gpu_model",
            "make",
            "model",
            "manufacturer",
            "node_make",
            "node_model",
            "node_manufacturer",
        ];
        for name in strings {
            defs.define(name, ResourceDef::host(String));
        }
        defs.define("ssd", ResourceDef::host(Boolean));
        defs.define("nphis", ResourceDef::host_consumable(Long));
        defs.define("hpmem", ResourceDef::host(Size));
        defs.define("qcat", ResourceDef::job_wide(String));
        defs
    }

    /// Checks a `select` against these definitions, after [`Select::validate`]: every name
    /// known (`Unknown resource: foo`), host-level (`Resource invalid in "select"
    /// specification: foo`), and with a value of its type (`Illegal attribute or resource
    /// value Resource_List.foo`).
    pub fn check_select(&self, select: &Select) -> Result<(), PbsError> {
        select.validate()?;
        for r in select.chunks.iter().flat_map(|c| &c.resources) {
            let def = self
                .get(&r.name)
                .ok_or_else(|| PbsError::unknown_resource_in_select(&r.name))?;
            if !def.host_level {
                return Err(invalid_in_select(&r.name));
            }
            let text = match &r.value {
                ResourceValue::Text(text) => text.clone(),
                typed => typed.to_string(),
            };
            check_value(&r.name, def.kind, &text)?;
        }
        Ok(())
    }

    /// Checks a whole request as a server would, after [`ResourceList::validate`]: the
    /// `select` by [`ResourceDefs::check_select`]; every job-wide name known (`Unknown
    /// resource Resource_List.foo`) with a value of its type; and no host-level resource
    /// job-wide beside `select` (`"-lresource=" cannot be used with "select" or "place",
    /// resource is: foo`).
    pub fn check(&self, list: &ResourceList) -> Result<(), PbsError> {
        list.validate()?;
        if let Some(select) = &list.select {
            self.check_select(select)?;
        }
        for (name, value) in &list.other {
            let def = self
                .get(name)
                .ok_or_else(|| PbsError::unknown_resource(name))?;
            check_value(name, def.kind, value)?;
            if def.host_level && list.select.is_some() {
                return Err(old_style_with_select(name));
            }
        }
        Ok(())
    }
}

/// Checks that `text` (a value without its quotes) suits `kind`.
fn check_value(name: &str, kind: ResourceKind, text: &str) -> Result<(), PbsError> {
    let ok = match kind {
        ResourceKind::Long => is_long(text),
        ResourceKind::Size => Size::parse_for(text, name).is_ok(),
        ResourceKind::Duration => Walltime::parse_for(text, name).is_ok(),
        ResourceKind::Boolean => is_boolean(text),
        ResourceKind::String => true,
    };
    if ok {
        Ok(())
    } else {
        Err(PbsError::illegal_value(name))
    }
}

/// An optionally signed decimal integer fitting `i64` (PBS's `strtol`, without spaces).
fn is_long(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    super::syntax::is_digits(digits) && text.parse::<i64>().is_ok()
}

/// The spellings PBS's `decode_b` accepts.
fn is_boolean(text: &str) -> bool {
    const WORDS: [&str; 16] = [
        "true", "True", "TRUE", "t", "T", "y", "Y", "1", "false", "False", "FALSE", "f", "F", "n",
        "N", "0",
    ];
    WORDS.contains(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> ResourceList {
        ResourceList::parse(items).unwrap_or_else(|e| panic!("{items:?}: {e}"))
    }

    fn report(result: Result<(), PbsError>) -> (String, u8) {
        let err = result.expect_err("expected an error");
        (err.to_string(), err.exit_code())
    }

    fn report_of(text: &str, exit: u8) -> (String, u8) {
        (text.to_string(), exit)
    }

    #[test]
    fn defs_check_names_and_kinds() {
        let palmetto = ResourceDefs::palmetto();
        let check = |items: &[&str]| palmetto.check(&list(items));
        assert_eq!(
            check(&["select=1:ncpus=1:ssd=True:nphis=2:hpmem=1tb:phase=18a,qcat=c1"]),
            Ok(())
        );
        assert_eq!(
            report(check(&["foo=1"])),
            report_of("Unknown resource Resource_List.foo", 187)
        );
        assert_eq!(
            report(check(&["select=1:AMD=1"])),
            report_of("Unknown resource: AMD", 187)
        );
        assert_eq!(
            report(check(&["select=1:qcat=x"])),
            report_of("Resource invalid in \"select\" specification: qcat", 4)
        );
        assert_eq!(
            report(check(&["select=1:ncpus=1,interconnect=hdr"])),
            report_of("\"-lresource=\" cannot be used with \"select\" or \"place\", resource is: interconnect", 5)
        );
        for (items, name) in [
            (&["select=1:ssd=maybe"][..], "ssd"),
            (&["select=1:ssd='yes'"][..], "ssd"),
            (&["select=1:nphis=1.5"][..], "nphis"),
            (&["select=1:hpmem=1.5tb"][..], "hpmem"),
            (&["nice=high"][..], "nice"),
            (&["nodect=--1"][..], "nodect"),
        ] {
            let text = format!("Illegal attribute or resource value Resource_List.{name}");
            assert_eq!(report(check(items)), (text, 166), "{items:?}");
        }
        assert_eq!(check(&["nice=-5"]), Ok(()));
        assert_eq!(check(&["select=1:ssd=\"N\""]), Ok(()));
    }

    #[test]
    fn defs_tables() {
        let builtin = ResourceDefs::builtin();
        let ngpus = builtin.get("ngpus").expect("ngpus");
        assert!(ngpus.host_level && ngpus.consumable && ngpus.kind == ResourceKind::Long);
        assert!(!builtin.get("walltime").expect("walltime").host_level);
        assert!(builtin.get("interconnect").is_none());
        let palmetto = ResourceDefs::palmetto();
        assert_eq!(
            palmetto.get("ssd").map(|d| d.kind),
            Some(ResourceKind::Boolean)
        );
        assert_eq!(palmetto.get("qcat").map(|d| d.host_level), Some(false));
        assert!(builtin
            .iter()
            .all(|(name, def)| palmetto.get(name) == Some(def)));
    }
}
