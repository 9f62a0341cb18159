//! Route data as JSON text: a posted object read member by member without building a JSON
//! tree, and keys written back as JSON strings.
//!
//! A route add is on the hub's critical path (it waits for the 201 before it redirects the
//! user), so the posted body is read in one pass: each member's value stays the raw text
//! the client sent, borrowed from the body, and the route's listing text is those pieces
//! joined. Building a `serde_json::Value` and printing it again cost several microseconds
//! more per add, most of the route API's own work.

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// One member of a posted object: its key (unescaped) and its value's JSON text.
pub type Member<'a> = (Cow<'a, str>, &'a RawValue);

/// The members of a posted JSON body as posted; none when the body is valid JSON but not
/// an object.
pub fn members(json: &[u8]) -> Result<Vec<Member<'_>>, serde_json::Error> {
    if json.trim_ascii_start().starts_with(b"{") {
        serde_json::from_slice(json).map(|Members(members)| members)
    } else {
        serde_json::from_slice::<IgnoredAny>(json).map(|_| Vec::new())
    }
}

/// `members` sorted by key with only the last member of each key kept, as `JSON.parse`
/// (configurable-http-proxy) and `serde_json` both keep the last.
pub fn sorted_unique(mut members: Vec<Member<'_>>) -> Vec<Member<'_>> {
    // Reversed, a stable sort puts the last-posted member of each key first in its run,
    // and `dedup_by` keeps the first of a run.
    members.reverse();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members.dedup_by(|later, kept| later.0 == kept.0);
    members
}

/// Appends `s` as a JSON string.
pub fn push_str(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::Value::from(s).to_string());
    }
}

/// The members of a JSON object.
struct Members<'a>(Vec<Member<'a>>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(key)) = map.next_key()? {
            members.push((key, map.next_value::<&RawValue>()?));
        }
        Ok(Members(members))
    }
}

/// An object key, borrowed from the body unless it holds escapes.
#[derive(serde::Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_and_values(json: &str) -> Vec<(String, String)> {
        sorted_unique(members(json.as_bytes()).unwrap())
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.get().to_owned()))
            .collect()
    }

    #[test]
    fn reads_members_in_key_order_with_raw_values() {
        assert_eq!(
            keys_and_values(r#"{"z": [1, 2], "a": {"b": null}, "m": "x\"y"}"#),
            [
                ("a".to_owned(), r#"{"b": null}"#.to_owned()),
                ("m".to_owned(), r#""x\"y""#.to_owned()),
                ("z".to_owned(), "[1, 2]".to_owned()),
            ]
        );
    }

    #[test]
    fn the_last_of_duplicate_keys_wins() {
        assert_eq!(
            keys_and_values(r#"{"k": 1, "j": 0, "k": 2, "k": 3}"#),
            [
                ("j".to_owned(), "0".to_owned()),
                ("k".to_owned(), "3".to_owned())
            ]
        );
    }

    #[test]
    fn escaped_keys_are_unescaped() {
        assert_eq!(
            keys_and_values(r#"{"t\u0061rget": "x"}"#),
            [("target".to_owned(), r#""x""#.to_owned())]
        );
    }

    #[test]
    fn valid_json_that_is_not_an_object_has_no_members() {
        for json in ["[1, {\"a\": 2}]", "1", "-1", "1.5", "\"s\"", "true", "null"] {
            assert!(members(json.as_bytes()).unwrap().is_empty(), "{json}");
        }
    }

    #[test]
    fn invalid_json_is_an_error() {
        for json in ["", "{", "{\"a\": }", "{\"a\": 1} x", "[1,]", "{'a': 1}"] {
            assert!(members(json.as_bytes()).is_err(), "{json:?}");
        }
    }

    #[test]
    fn strings_are_escaped_when_they_need_it() {
        for s in ["plain", "quo\"te", "back\\slash", "new\nline", "ü"] {
            let mut out = String::new();
            push_str(&mut out, s);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
        }
    }
}
