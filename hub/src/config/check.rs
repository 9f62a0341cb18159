//! `check_config`: every error in a config text, each with its path and place.
//!
//! A syntax error stops the check (nothing after it can be trusted). Otherwise each
//! section, each form field and profile and each service is deserialized on its own, so a
//! type error in one does not hide errors in the others; a part that fails keeps its
//! default, and the semantic checks then run over the whole config.

use std::ops::Range;

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml_edit::{ImDocument, Item, TableLike};

use super::error::ConfigError;
use super::form_toml::{build_form, Problem, RawField, RawProfile};
use super::locate::{line_col, path_at, span_of, ConfigPath};
use super::semantic;
use super::HubConfig;
use crate::form::FormConfig;

/// A problem found while reading, with the span the toml parser gave it, if any.
type Located = (ConfigPath, String, Option<Range<usize>>);

/// Reads `text` (from `origin`, a file name for messages) as a config, or gives every
/// problem found: syntax and type errors where toml places them, semantic ones at the
/// setting they concern, each `origin:line:col: path: message`.
pub fn check_config(text: &str, origin: &str) -> Result<HubConfig, Vec<ConfigError>> {
    let doc = match ImDocument::parse(text.to_string()) {
        Ok(doc) => doc,
        Err(e) => {
            return Err(vec![ConfigError {
                origin: origin.to_string(),
                location: e.span().map(|s| line_col(text, s.start)),
                path: ConfigPath::default().to_string(),
                message: e.message().trim_end().to_string(),
            }])
        }
    };
    let mut reader = Reader {
        doc: &doc,
        errors: Vec::new(),
        fields_written: false,
    };
    let config = reader.config();
    let mut problems: Vec<Problem> = Vec::new();
    semantic::check(&config, &mut problems);

    let located = reader
        .errors
        .into_iter()
        .chain(problems.into_iter().map(|(path, message)| {
            let span = span_of(&doc, &path);
            (path, message, span)
        }));
    let errors: Vec<ConfigError> = located
        .map(|(path, message, span)| ConfigError {
            origin: origin.to_string(),
            location: span
                .or_else(|| span_of(&doc, &path))
                .map(|s| line_col(text, s.start)),
            path: path.to_string(),
            message,
        })
        .collect();
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

/// Walks the parsed document, deserializing each part on its own.
struct Reader<'d> {
    doc: &'d ImDocument<String>,
    errors: Vec<Located>,
    /// Whether the file writes `[spawner.form.fields]` (else the built-in fields).
    fields_written: bool,
}

impl Reader<'_> {
    fn config(&mut self) -> HubConfig {
        let mut config = HubConfig::default();
        for (key, item) in self.doc.as_table().iter() {
            let path = ConfigPath::root(key);
            match key {
                "hub" => self.read(item, &path, &mut config.hub),
                "proxy" => self.read(item, &path, &mut config.proxy),
                "auth" => self.read(item, &path, &mut config.auth),
                "spawner" => {
                    // `form` is read apart, so its errors and the spawner's are all found.
                    let mut rest = item.clone();
                    let form = rest.as_table_like_mut().and_then(|t| t.remove("form"));
                    self.read(&rest, &path, &mut config.spawner);
                    if let Some(form) = form {
                        config.spawner.form = self.form(&form, &path.key("form"));
                    }
                }
                "services" => config.services = self.services(item, &path),
                "slurm" => self.read(item, &path, &mut config.slurm),
                "sim" => self.read(item, &path, &mut config.sim),
                _ => self.unknown(
                    key,
                    &path,
                    &[
                        "hub", "proxy", "auth", "spawner", "services", "slurm", "sim",
                    ],
                ),
            }
        }
        if !self.fields_written {
            // The built-in fields speak the scheduler's words; a site's own keep its labels.
            config.spawner.form.fields =
                FormConfig::built_in(&config.spawner.scheduler.terms()).fields;
        }
        config
    }

    /// Deserializes `item` into `into`, or records why not and leaves `into` as it was.
    fn read<T: DeserializeOwned>(&mut self, item: &Item, path: &ConfigPath, into: &mut T) {
        if let Some(value) = self.value(item, path) {
            *into = value;
        }
    }

    fn value<T: DeserializeOwned>(&mut self, item: &Item, path: &ConfigPath) -> Option<T> {
        let Ok(value) = item.clone().into_value() else {
            self.errors
                .push((path.clone(), "expected a value or table".into(), None));
            return None;
        };
        match T::deserialize(value.into_deserializer()) {
            Ok(v) => Some(v),
            Err(e) => {
                let at = e
                    .span()
                    .map_or_else(|| path.clone(), |s| path_at(self.doc, s.start));
                self.errors.push((at, e.message().to_string(), e.span()));
                None
            }
        }
    }

    fn unknown(&mut self, key: &str, path: &ConfigPath, expected: &[&str]) {
        let message = format!(
            "unknown key `{key}`, expected one of {}",
            expected.join(", ")
        );
        self.errors.push((path.clone(), message, None));
    }

    fn table<'i>(&mut self, item: &'i Item, path: &ConfigPath) -> Option<&'i dyn TableLike> {
        let table = item.as_table_like();
        if table.is_none() {
            self.errors
                .push((path.clone(), "expected a table".into(), None));
        }
        table
    }

    /// `[spawner.form]`: `fields` replaces the default fields when given; `profiles` adds
    /// presets.
    fn form(&mut self, item: &Item, path: &ConfigPath) -> FormConfig {
        let mut fields = None;
        let mut profiles = Vec::new();
        if let Some(table) = self.table(item, path) {
            for (key, child) in table.iter() {
                let at = path.key(key);
                match key {
                    "fields" => {
                        self.fields_written = true;
                        fields = Some(self.entries::<RawField>(child, &at));
                    }
                    "profiles" => profiles = self.entries::<RawProfile>(child, &at),
                    _ => self.unknown(key, &at, &["fields", "profiles"]),
                }
            }
        }
        let mut problems = Vec::new();
        let form = build_form(fields, profiles, path, &mut problems);
        self.errors.extend(
            problems
                .into_iter()
                .map(|(path, message)| (path, message, None)),
        );
        form
    }

    /// The entries of a table, each deserialized on its own, in the order written.
    fn entries<T: DeserializeOwned>(&mut self, item: &Item, path: &ConfigPath) -> Vec<(String, T)> {
        let Some(table) = self.table(item, path) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, child) in table.iter() {
            if let Some(value) = self.value(child, &path.key(key)) {
                out.push((key.to_string(), value));
            }
        }
        out
    }

    /// `[[services]]`, each deserialized on its own.
    fn services<T: DeserializeOwned>(&mut self, item: &Item, path: &ConfigPath) -> Vec<T> {
        let elements: Vec<Item> = match item {
            Item::ArrayOfTables(tables) => tables.iter().cloned().map(Item::Table).collect(),
            Item::Value(toml_edit::Value::Array(array)) => {
                array.iter().cloned().map(Item::Value).collect()
            }
            _ => {
                self.errors
                    .push((path.clone(), "expected [[services]] tables".into(), None));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, element) in elements.iter().enumerate() {
            if let Some(service) = self.value(element, &path.index(i)) {
                out.push(service);
            }
        }
        out
    }
}
