use std::collections::BTreeMap;

use drivers::UserName;

use super::*;
use crate::config::check_config;

/// A form with every kind of field, as a site would write it.
pub(super) const SITE_FORM: &str = r#"
[spawner.form.fields.queue]
kind = "choice"
choices = [
  { key = "default", label = "Default queue", value = "" },
  { key = "workq", label = "Work queue" },
  { key = "gpu", label = "GPU queue", value = "gpuq" },
]

[spawner.form.fields.chunks]
kind = "integer"
min = 1
max = 4

[spawner.form.fields.ncpus]
kind = "integer"
min = 1
max = 64
default = 2

[spawner.form.fields.mem]
kind = "size"
min = "1gb"
max = "256gb"
default = "4gb"

[spawner.form.fields.ngpus]
kind = "integer"
min = 0
max = 2

[spawner.form.fields.gpu_model]
kind = "choice"
choices = [
  { key = "any", value = "" },
  { key = "v100" },
  { key = "a100", users = ["alice"] },
]

[spawner.form.fields.interconnect]
kind = "choice"
default = "hdr"
choices = [{ key = "1g" }, { key = "hdr" }]

[spawner.form.fields.walltime]
kind = "duration"
min = "00:05:00"
max = "24:00:00"
default = "01:00:00"

[spawner.form.profiles.gpu]
label = "One A100"
values = { queue = "gpu", ngpus = 1, gpu_model = "v100", mem = "32gb" }
"#;

pub(super) fn site_form() -> FormConfig {
    match check_config(SITE_FORM, "site.toml") {
        Ok(config) => config.spawner.form,
        Err(errors) => panic!("{errors:?}"),
    }
}

fn user(name: &str) -> UserName {
    UserName::new(name).unwrap()
}

fn submit(pairs: &[(&str, &str)], who: &str) -> Result<SpawnRequest, Vec<String>> {
    let submitted: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    validate(&site_form(), &submitted, &user(who))
        .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

#[test]
fn an_empty_submission_takes_every_default() {
    let request = submit(&[], "bob").unwrap();
    assert_eq!(request.queue, None);
    assert_eq!(
        request.resources.to_string(),
        "select=1:ncpus=2:mem=4gb:ngpus=0:interconnect=hdr,walltime=01:00:00"
    );
    assert_eq!(request.values["gpu_model"], "any");
    assert_eq!(request.profile, None);
}

#[test]
fn submitted_values_are_typed_and_printed_by_pbs_rules() {
    let request = submit(
        &[
            ("queue", "gpu"),
            ("chunks", "2"),
            ("ncpus", " 8 "),
            ("mem", "16GB"),
            ("ngpus", "1"),
            ("gpu_model", "v100"),
            ("walltime", "90:00"),
        ],
        "bob",
    )
    .unwrap();
    assert_eq!(request.queue.as_deref(), Some("gpuq"));
    assert_eq!(
        request.resources.to_string(),
        "select=2:ncpus=8:mem=16gb:ngpus=1:gpu_model=v100:interconnect=hdr,walltime=01:30:00"
    );
    let select = request.resources.select.as_ref().unwrap();
    assert_eq!(select.total_count("ncpus"), 16);
    assert_eq!(request.values["mem"], "16gb");
}

#[test]
fn each_kind_names_its_field_in_errors() {
    let cases: [(&str, &str, &str); 9] = [
        ("ncpus", "100", "ncpus: must be between 1 and 64"),
        ("ncpus", "0", "ncpus: must be between 1 and 64"),
        ("ncpus", "four", "ncpus: not a whole number like 4"),
        ("ncpus", "-1", "ncpus: not a whole number like 4"),
        ("mem", "4 gigs", "mem: not a size like 4gb"),
        ("mem", "1tb", "mem: must be between 1gb and 256gb"),
        ("walltime", "1h", "walltime: not a time like HH:MM:SS"),
        (
            "walltime",
            "25:00:00",
            "walltime: must be between 00:05:00 and 24:00:00",
        ),
        ("queue", "express", "queue: not one of default, workq, gpu"),
    ];
    for (field, value, want) in cases {
        assert_eq!(
            submit(&[(field, value)], "bob").unwrap_err(),
            [want],
            "{field}={value}"
        );
    }
}

#[test]
fn all_errors_come_together_and_unknown_fields_are_refused() {
    let errors = submit(
        &[
            ("ncpus", "999"),
            ("mem", "x"),
            ("select", "1:ncpus=999"),
            ("profile", "huge"),
        ],
        "bob",
    )
    .unwrap_err();
    assert_eq!(
        errors,
        [
            "select: not a field of this form",
            "profile: not one of gpu",
            "ncpus: must be between 1 and 64",
            "mem: not a size like 4gb",
        ]
    );
}

#[test]
fn choices_kept_for_some_users_are_refused_to_others() {
    assert_eq!(
        submit(&[("gpu_model", "a100")], "bob").unwrap_err(),
        ["gpu_model: not one of any, v100"]
    );
    let request = submit(&[("gpu_model", "a100")], "alice").unwrap();
    assert!(request.resources.to_string().contains(":gpu_model=a100:"));
    let bob = describe(&site_form(), &user("bob"));
    let alice = describe(&site_form(), &user("alice"));
    let keys = |d: &FormDescription| match &d.fields[5].input {
        describe::InputDescription::Choice { choices, .. } => choices.len(),
        other => panic!("{other:?}"),
    };
    assert_eq!((keys(&bob), keys(&alice)), (2, 3));
}

/// Precedence: submitted value (non-blank) > profile > field default.
#[test]
fn profiles_fill_fields_and_typed_values_override_them() {
    let request = submit(&[("profile", "gpu")], "bob").unwrap();
    assert_eq!(request.queue.as_deref(), Some("gpuq"));
    assert_eq!(request.profile.as_deref(), Some("gpu"));
    assert_eq!(
        request.resources.to_string(),
        "select=1:ncpus=2:mem=32gb:ngpus=1:gpu_model=v100:interconnect=hdr,walltime=01:00:00"
    );
    let request = submit(
        &[("profile", "gpu"), ("mem", "64gb"), ("ngpus", "  ")],
        "bob",
    )
    .unwrap();
    assert_eq!(
        request.values["mem"], "64gb",
        "a typed value overrides the profile"
    );
    assert_eq!(
        request.values["ngpus"], "1",
        "a blank value leaves the profile's"
    );
}

#[test]
fn the_description_lists_fields_in_order_and_serialises() {
    let description = describe(&site_form(), &user("bob"));
    let names: Vec<&str> = description.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "queue",
            "chunks",
            "ncpus",
            "mem",
            "ngpus",
            "gpu_model",
            "interconnect",
            "walltime"
        ]
    );
    let json = serde_json::to_value(&description).unwrap();
    assert_eq!(json["fields"][3]["input"]["kind"], "size");
    assert_eq!(json["fields"][3]["input"]["max"], "256gb");
    assert_eq!(json["fields"][7]["input"]["default"], "01:00:00");
    assert_eq!(json["profiles"][0]["values"]["mem"], "32gb");
}

#[test]
fn the_default_form_gives_a_small_valid_request() {
    let request = validate(&FormConfig::default(), &BTreeMap::new(), &user("bob")).unwrap();
    assert_eq!(
        request.resources.to_string(),
        "select=1:ncpus=1:mem=4gb,walltime=01:00:00"
    );
}
