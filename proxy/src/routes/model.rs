//! The obviously-correct reference the table is property-tested against: a list of keys,
//! matched by comparing path segments one by one.

/// A naive routing table.
#[derive(Debug, Default)]
pub struct Model {
    routes: Vec<(String, u32)>,
}

fn segments(path: &str) -> Vec<&str> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

impl Model {
    pub fn insert(&mut self, path: &str, value: u32) {
        let segs = segments(path);
        self.routes.retain(|(k, _)| segments(k) != segs);
        self.routes.push((path.to_owned(), value));
    }

    pub fn remove(&mut self, path: &str) -> bool {
        let segs = segments(path);
        let before = self.routes.len();
        self.routes.retain(|(k, _)| segments(k) != segs);
        before != self.routes.len()
    }

    /// The value of the route whose segments are the longest prefix of `path`'s.
    pub fn lookup(&self, path: &str) -> Option<u32> {
        let want = segments(path);
        self.routes
            .iter()
            .filter(|(k, _)| {
                let ks = segments(k);
                ks.len() <= want.len() && ks.iter().zip(&want).all(|(a, b)| a == b)
            })
            .max_by_key(|(k, _)| segments(k).len())
            .map(|(_, v)| *v)
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }
}
