//! Route keys and request-path prefixes.
//!
//! configurable-http-proxy splits paths into segments, ignoring leading and trailing
//! slashes, and matches the longest stored prefix made of whole segments: `/user/alice`
//! matches `/user/alice`, `/user/alice/` and `/user/alice/lab`, never `/user/alicex`. A key
//! is therefore the path with its leading and trailing slashes trimmed and one leading slash
//! put back; the root is `/`.

/// The key a route path is stored under: `user/alice/` → `/user/alice`, `` → `/`.
pub fn route_key(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    let mut key = String::with_capacity(trimmed.len() + 1);
    key.push('/');
    key.push_str(trimmed);
    key
}

/// [`route_key`] without an allocation when `path` is already a key (the usual request
/// path: one leading slash, no trailing one).
pub fn route_key_cow(path: &str) -> std::borrow::Cow<'_, str> {
    let b = path.as_bytes();
    let is_key =
        path == "/" || (b.len() > 1 && b[0] == b'/' && b[1] != b'/' && b[b.len() - 1] != b'/');
    if is_key {
        std::borrow::Cow::Borrowed(path)
    } else {
        std::borrow::Cow::Owned(route_key(path))
    }
}

/// Number of segments in a key: `/` has 0, `/user/alice` has 2.
pub fn depth(key: &str) -> usize {
    if key == "/" {
        0
    } else {
        key.bytes().filter(|&b| b == b'/').count()
    }
}

/// The candidate keys for a normalised request key (see [`route_key`]), longest first,
/// skipping candidates deeper than `max_depth` segments (no route can match them). Always
/// ends with `/`.
pub fn prefixes(key: &str, max_depth: usize) -> impl Iterator<Item = &str> {
    // The longest useful candidate ends just before the (max_depth + 1)-th slash.
    let first_end = if key == "/" {
        0
    } else {
        key.match_indices('/')
            .nth(max_depth)
            .map_or(key.len(), |(i, _)| i)
    };
    let mut next_end = Some(first_end);
    std::iter::from_fn(move || {
        let end = next_end?;
        if end == 0 {
            next_end = None;
            return Some("/");
        }
        let candidate = &key[..end];
        next_end = Some(candidate.rfind('/').unwrap_or(0));
        Some(candidate)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_trim_slashes_like_chp() {
        assert_eq!(route_key(""), "/");
        assert_eq!(route_key("/"), "/");
        assert_eq!(route_key("//"), "/");
        assert_eq!(route_key("/user/alice/"), "/user/alice");
        assert_eq!(route_key("user/alice"), "/user/alice");
        assert_eq!(route_key("/a//b/"), "/a//b");
    }

    #[test]
    fn borrowed_keys_equal_owned_keys() {
        for p in [
            "",
            "/",
            "//",
            "/a",
            "/a/",
            "a/b",
            "/a//b/",
            "/user/alice/lab",
            "///x",
        ] {
            assert_eq!(route_key_cow(p), route_key(p), "{p:?}");
        }
    }

    #[test]
    fn depth_counts_segments() {
        assert_eq!(depth("/"), 0);
        assert_eq!(depth("/user"), 1);
        assert_eq!(depth("/user/alice"), 2);
    }

    #[test]
    fn prefixes_are_whole_segments_longest_first() {
        let all: Vec<_> = prefixes("/user/alice/lab", usize::MAX).collect();
        assert_eq!(all, ["/user/alice/lab", "/user/alice", "/user", "/"]);
        let capped: Vec<_> = prefixes("/user/alice/lab/tree", 2).collect();
        assert_eq!(capped, ["/user/alice", "/user", "/"]);
        assert_eq!(prefixes("/", 5).collect::<Vec<_>>(), ["/"]);
        assert_eq!(prefixes("/a", 0).collect::<Vec<_>>(), ["/"]);
    }
}
