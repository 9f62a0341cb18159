//! One route: where it goes, what the client posted with it, and when it was last used.

use super::json;
use super::target::{Target, TargetError};
use crate::time;
use std::borrow::Cow;
use std::sync::atomic::{AtomicI64, Ordering};

/// The JSON object a client posts for a route. Every key is kept and returned.
pub type RouteData = serde_json::Map<String, serde_json::Value>;

/// Why posted route data cannot become a route.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The body is not JSON at all.
    #[error("not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// configurable-http-proxy's wording, which clients may show to operators.
    #[error("Must specify 'target' as string")]
    TargetNotString,
    /// The target is a string but not a URL the proxy can forward to.
    #[error(transparent)]
    BadTarget(#[from] TargetError),
}

/// A route. Shared by the table and the requests in flight on it; only its activity clock
/// ever changes.
#[derive(Debug)]
pub struct Route {
    target: Target,
    /// The posted object without `last_activity`, its members in key order, kept as JSON
    /// text so that listing 10,000 routes is concatenation, not re-serialisation.
    data_json: Box<str>,
    /// Epoch milliseconds of the last proxied traffic (or of the add).
    last_activity: AtomicI64,
}

impl Route {
    /// A route from posted data, which must hold a string `target`. A posted
    /// `last_activity` is replaced by `last_activity` (the proxy owns that field).
    pub fn new(data: RouteData, last_activity: i64) -> Result<Self, RouteError> {
        let json = serde_json::Value::Object(data).to_string();
        Self::from_json(json.as_bytes(), [], last_activity)
    }

    /// A route from a posted JSON body, which must be an object holding a string
    /// `target`; any other JSON value holds no target. Every member is kept as posted
    /// except `last_activity`, which the proxy owns; `set` adds string members, replacing
    /// posted ones of the same key.
    pub fn from_json<'a>(
        body: &[u8],
        set: impl IntoIterator<Item = (&'a str, &'a str)>,
        last_activity: i64,
    ) -> Result<Self, RouteError> {
        let set = set
            .into_iter()
            .map(|(key, value)| Ok((key, serde_json::value::to_raw_value(value)?)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(RouteError::Json)?;
        let mut members = json::members(body).map_err(RouteError::Json)?;
        members.extend(
            set.iter()
                .map(|(key, value)| (Cow::Borrowed(*key), &**value)),
        );
        Self::from_members(members, last_activity)
    }

    /// A route from an object's members as [`json::members`] reads them, in posted order
    /// (the last of a repeated key wins); see [`Route::from_json`].
    pub fn from_members(
        members: Vec<json::Member<'_>>,
        last_activity: i64,
    ) -> Result<Self, RouteError> {
        let members = json::sorted_unique(members);
        let mut target = None;
        let text_len: usize = members
            .iter()
            .map(|(k, v)| k.len() + v.get().len() + 4)
            .sum();
        let mut data_json = String::with_capacity(text_len + 2);
        data_json.push('{');
        for (key, value) in &members {
            match key.as_ref() {
                "last_activity" => continue,
                "target" => target = serde_json::from_str::<String>(value.get()).ok(),
                _ => {}
            }
            if data_json.len() > 1 {
                data_json.push(',');
            }
            json::push_str(&mut data_json, key);
            data_json.push(':');
            data_json.push_str(value.get());
        }
        data_json.push('}');
        let target = Target::parse(&target.ok_or(RouteError::TargetNotString)?)?;
        Ok(Self {
            target,
            data_json: data_json.into_boxed_str(),
            last_activity: AtomicI64::new(last_activity),
        })
    }

    /// Where requests for this route go.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Records traffic at `now` (epoch ms). Never moves the clock backwards.
    pub fn touch(&self, now: i64) {
        // Every request on a route touches it, from every core: a plain load first keeps
        // the cache line shared while the clock has not moved (the usual case at ms
        // resolution), instead of a locked read-modify-write per request.
        if now > self.last_activity.load(Ordering::Relaxed) {
            self.last_activity.fetch_max(now, Ordering::Relaxed);
        }
    }

    /// Epoch milliseconds of the last recorded activity.
    pub fn last_activity(&self) -> i64 {
        self.last_activity.load(Ordering::Relaxed)
    }

    /// Appends the route as the API returns it: the posted keys plus `last_activity`.
    pub fn write_json(&self, out: &mut String) {
        // `data_json` is a JSON object holding at least `target`, so it ends in `}` and is
        // not empty: splice `last_activity` in before the closing brace.
        let body = self.data_json.strip_suffix('}').unwrap_or(&self.data_json);
        out.push_str(body);
        out.push_str(",\"last_activity\":\"");
        time::write_iso_millis(out, self.last_activity());
        out.push_str("\"}");
    }

    /// The route as a JSON string (see [`Route::write_json`]).
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(self.data_json.len() + 48);
        self.write_json(&mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(v: serde_json::Value) -> RouteData {
        match v {
            serde_json::Value::Object(m) => m,
            _ => unreachable!("test data is an object"),
        }
    }

    #[test]
    fn keeps_every_posted_key_and_owns_last_activity() {
        let posted = json!({"user": "alice", "server_name": "", "target": "http://127.0.0.1:1",
                            "jupyterhub": true, "last_activity": "1999-01-01T00:00:00.000Z"});
        let r = Route::new(data(posted), 0).unwrap();
        let back: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(
            back,
            json!({"user": "alice", "server_name": "", "target": "http://127.0.0.1:1",
                   "jupyterhub": true, "last_activity": "1970-01-01T00:00:00.000Z"})
        );
    }

    #[test]
    fn a_posted_body_keeps_its_values_as_written() {
        let body = br#"{"target": "http://127.0.0.1:1/base", "n": 1.50, "deep": {"z": [1, 2]},
                        "last_activity": "1999-01-01T00:00:00.000Z", "n": 2.50}"#;
        let r = Route::from_json(body, [], 0).unwrap();
        assert_eq!(r.target().to_string(), "http://127.0.0.1:1/base");
        assert_eq!(
            r.to_json(),
            r#"{"deep":{"z": [1, 2]},"n":2.50,"target":"http://127.0.0.1:1/base","last_activity":"1970-01-01T00:00:00.000Z"}"#
        );
    }

    #[test]
    fn set_members_replace_posted_ones() {
        let body = br#"{"target": "http://h:1", "host": "posted.example"}"#;
        let r = Route::from_json(body, [("host", "alice.example")], 0).unwrap();
        let back: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back["host"], "alice.example");
        assert_eq!(back["target"], "http://h:1");
    }

    #[test]
    fn a_body_that_is_not_json_or_not_an_object_is_refused() {
        assert!(matches!(
            Route::from_json(b"{\"target\": ", [], 0),
            Err(RouteError::Json(_))
        ));
        for body in [&b"[\"http://h:1\"]"[..], b"\"http://h:1\"", b"null"] {
            assert!(matches!(
                Route::from_json(body, [], 0),
                Err(RouteError::TargetNotString)
            ));
        }
    }

    #[test]
    fn touch_only_moves_forward() {
        let r = Route::new(data(json!({"target": "http://h:1"})), 1000).unwrap();
        r.touch(500);
        assert_eq!(r.last_activity(), 1000);
        r.touch(2000);
        assert_eq!(r.last_activity(), 2000);
    }

    #[test]
    fn target_must_be_a_string() {
        for bad in [json!({}), json!({"target": 5}), json!({"target": null})] {
            assert!(matches!(
                Route::new(data(bad), 0),
                Err(RouteError::TargetNotString)
            ));
        }
        assert!(matches!(
            Route::new(data(json!({"target": "nope"})), 0),
            Err(RouteError::BadTarget(_))
        ));
    }
}
