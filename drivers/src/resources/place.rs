//! `place=[arrangement][:sharing][:group=<res>]`, any order, at most one of each class
//! (reference §2.2).
//!
//! Words are case-sensitive, as in PBS's `decode_place`. An empty value is the empty
//! [`Place`] (PBS reads an empty attribute value as unset); it prints as an empty string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::PbsError;
use super::syntax::is_resource_name;

/// How chunks are spread over hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Arrangement {
    /// Chunks go wherever they fit (several may share a host).
    Free,
    /// All chunks on one host.
    Pack,
    /// Each chunk on a different host.
    Scatter,
    /// Each chunk on a different vnode.
    Vscatter,
}

impl Arrangement {
    /// Every arrangement, in PBS's documentation order.
    pub const ALL: [Arrangement; 4] = [
        Arrangement::Free,
        Arrangement::Pack,
        Arrangement::Scatter,
        Arrangement::Vscatter,
    ];

    /// The word PBS uses: `free`, `pack`, `scatter` or `vscatter`.
    pub fn as_str(self) -> &'static str {
        match self {
            Arrangement::Free => "free",
            Arrangement::Pack => "pack",
            Arrangement::Scatter => "scatter",
            Arrangement::Vscatter => "vscatter",
        }
    }
}

impl fmt::Display for Arrangement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the job shares its hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sharing {
    /// The job's vnodes are used by no other job.
    Excl,
    /// Other jobs may share the vnodes.
    Shared,
    /// Whole hosts are used by no other job.
    Exclhost,
}

impl Sharing {
    /// Every sharing mode.
    pub const ALL: [Sharing; 3] = [Sharing::Excl, Sharing::Shared, Sharing::Exclhost];

    /// The word PBS uses: `excl`, `shared` or `exclhost`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sharing::Excl => "excl",
            Sharing::Shared => "shared",
            Sharing::Exclhost => "exclhost",
        }
    }
}

impl fmt::Display for Sharing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed `place` value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    /// `free`, `pack`, `scatter` or `vscatter`, if given.
    pub arrangement: Option<Arrangement>,
    /// `excl`, `shared` or `exclhost`, if given.
    pub sharing: Option<Sharing>,
    /// `group=<resource>`, if given.
    pub group: Option<String>,
}

impl Place {
    /// The effective arrangement: PBS's default is `free`.
    pub fn arrangement_or_default(&self) -> Arrangement {
        self.arrangement.unwrap_or(Arrangement::Free)
    }

    /// Whether the job must have its hosts to itself (`excl` or `exclhost`).
    pub fn is_exclusive(&self) -> bool {
        matches!(self.sharing, Some(Sharing::Excl | Sharing::Exclhost))
    }

    /// Checks what parsing would: a `group` must be a resource name. Every `Place` that
    /// passes prints as text that parses back to it.
    pub fn validate(&self) -> Result<(), PbsError> {
        match &self.group {
            Some(group) if !is_resource_name(group) => Err(PbsError::illegal_value("place")),
            _ => Ok(()),
        }
    }
}

impl FromStr for Place {
    type Err = PbsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut place = Place::default();
        if s.is_empty() {
            return Ok(place);
        }
        for word in s.split(':') {
            let taken = if let Some(group) = word.strip_prefix("group=") {
                is_resource_name(group) && place.group.replace(group.to_string()).is_none()
            } else if let Some(a) = Arrangement::ALL.into_iter().find(|a| a.as_str() == word) {
                place.arrangement.replace(a).is_none()
            } else if let Some(sh) = Sharing::ALL.into_iter().find(|sh| sh.as_str() == word) {
                place.sharing.replace(sh).is_none()
            } else {
                false
            };
            if !taken {
                return Err(PbsError::illegal_value("place"));
            }
        }
        Ok(place)
    }
}

/// Prints arrangement, sharing and group, in that order, joined by `:`.
impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = [
            self.arrangement.map(|a| a.as_str().to_string()),
            self.sharing.map(|s| s.as_str().to_string()),
            self.group.as_ref().map(|g| format!("group={g}")),
        ];
        let words: Vec<String> = words.into_iter().flatten().collect();
        f.write_str(&words.join(":"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reprint(s: &str) -> Result<String, PbsError> {
        s.parse::<Place>().map(|p| p.to_string())
    }

    #[test]
    fn reference_examples() {
        let p: Place = "scatter:excl".parse().unwrap();
        assert_eq!(p.arrangement, Some(Arrangement::Scatter));
        assert_eq!(p.sharing, Some(Sharing::Excl));
        assert!(p.is_exclusive());
        let p: Place = "pack:group=switch".parse().unwrap();
        assert_eq!(p.arrangement, Some(Arrangement::Pack));
        assert_eq!(p.group.as_deref(), Some("switch"));
        assert_eq!(
            reprint("pack:group=switch").as_deref(),
            Ok("pack:group=switch")
        );
    }

    #[test]
    fn any_order_prints_canonically() {
        assert_eq!(
            reprint("group=rack:exclhost:vscatter").as_deref(),
            Ok("vscatter:exclhost:group=rack")
        );
        assert_eq!(reprint("shared").as_deref(), Ok("shared"));
        assert_eq!(reprint("free").as_deref(), Ok("free"));
        assert_eq!(reprint("").as_deref(), Ok(""));
        assert_eq!(Place::default().arrangement_or_default(), Arrangement::Free);
    }

    #[test]
    fn anything_else_is_an_illegal_value() {
        for bad in [
            "scatter:pack",
            "excl:shared",
            "group=a:group=b",
            "Scatter",
            "scatter:",
            ":excl",
            "scatter::excl",
            "group=",
            "group=1x",
            "group",
            "spread",
            "scatter excl",
            "excl,pack",
        ] {
            let err = bad.parse::<Place>().unwrap_err();
            assert_eq!(
                err.to_string(),
                "Illegal attribute or resource value Resource_List.place",
                "{bad:?}"
            );
            assert_eq!(err.exit_code(), 166);
        }
    }
}
