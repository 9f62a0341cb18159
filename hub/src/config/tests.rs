use super::*;
use crate::form::{FieldKind, FormConfig};

/// The errors `check_config` gives for `text`, as printed.
fn errors(text: &str) -> Vec<String> {
    match check_config(text, "hub.toml") {
        Ok(config) => panic!("accepted: {config:?}"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn accepted(text: &str) -> HubConfig {
    check_config(text, "hub.toml").unwrap_or_else(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("refused:\n{}", lines.join("\n"))
    })
}

#[test]
fn generated_config_reads_back_to_the_defaults() {
    assert_eq!(accepted(&generate_config()), HubConfig::default());
}

#[test]
fn an_empty_file_is_the_default_config() {
    let config = accepted("");
    assert_eq!(config, HubConfig::default());
    assert_eq!(config.spawner.poll_interval.to_string(), "30s");
    assert_eq!(config.spawner.queue_timeout, None);
    assert_eq!(config.spawner.form, FormConfig::default());
}

#[test]
fn every_error_is_reported_with_its_path_and_line() {
    let text = r#"[hub]
bind_url = "ftp://example.org/"
concurrent_spawn_limit = 0

[spawner]
poll_interval = "0s"
sheduler = "pbs"

[spawner.form.fields.ncpus]
kind = "integer"
min = 8
max = 4

[spawner.form.fields.queue]
kind = "choice"
choices = []

[[services]]
name = "culler"
api_token_file = "t"

[[services]]
name = "culler"
api_token_file = "t"
"#;
    assert_eq!(
        errors(text),
        [
            "hub.toml:7:1: spawner.sheduler: unknown field `sheduler`, expected one of \
             `scheduler`, `poll_interval`, `command_timeout`, `http_timeout`, \
             `queue_timeout`, `job_name`, `batch_script_file`, `exec_prefix`, `cmd`, `env_keep`, `working_dir`",
            "hub.toml:12:7: spawner.form.fields.ncpus.max: must not be less than `min`",
            "hub.toml:16:11: spawner.form.fields.queue.choices: must list at least one choice",
            "hub.toml:2:12: hub.bind_url: \"ftp://example.org/\" must start with http:// or https://",
            "hub.toml:3:26: hub.concurrent_spawn_limit: must be at least 1",
            "hub.toml:23:8: services[1].name: another service is already called \"culler\"",
        ]
    );
}

#[test]
fn type_errors_in_separate_sections_are_all_reported() {
    let text = "[hub]\nallow_named_servers = \"yes\"\n\n[auth]\nauthenticator = \"ldap\"\n\
                admin_users = [\"Bad Name\"]\n\n[spawner]\nscheduler = \"lsf\"\n";
    let found = errors(text);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].starts_with("hub.toml:2:23: hub.allow_named_servers: invalid type"));
    assert!(found[1].starts_with("hub.toml:5:17: auth.authenticator: unknown variant `ldap`"));
    assert!(found[2].starts_with("hub.toml:9:13: spawner.scheduler: unknown variant `lsf`"));
}

#[test]
fn a_syntax_error_stops_the_check_at_its_line() {
    let found = errors("[hub]\nbase_url = \"/x/\"\nbind_url = \n");
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("hub.toml:3:12: (file): "), "{found:?}");
}

#[test]
fn unknown_sections_and_form_keys_are_errors() {
    assert_eq!(
        errors("[hubb]\n[spawner.form]\ntitle = \"x\"\n"),
        [
            "hub.toml:1:1: hubb: unknown key `hubb`, expected one of hub, proxy, auth, spawner, services, slurm, sim",
            "hub.toml:3:9: spawner.form.title: unknown key `title`, expected one of fields, profiles",
        ]
    );
}

#[test]
fn base_url_is_normalised_and_urls_must_agree_with_it() {
    let config = accepted(
        "[hub]\nbase_url = \"jupyterhub\"\nbind_url = \"https://hub.example.org/jupyterhub/\"\n",
    );
    assert_eq!(config.hub.base_url.as_str(), "/jupyterhub/");
    assert_eq!(
        errors("[hub]\nbind_url = \"http://h:8000/other/\"\n"),
        ["hub.toml:2:12: hub.bind_url: its path \"/other/\" must be `/` or base_url \"/\""]
    );
    let found = errors("[hub]\nbase_url = \"/a b/\"\n");
    assert!(
        found[0].starts_with("hub.toml:2:12: hub.base_url: "),
        "{found:?}"
    );
}

#[test]
fn settings_that_need_a_file_say_so() {
    let found = errors(
        "[hub]\nssl_cert = \"c.pem\"\n[auth]\nauthenticator = \"static-users\"\n[[services]]\nname = \"s\"\n",
    );
    assert_eq!(
        found,
        [
            "hub.toml:1:1: hub.ssl_key: needed with ssl_cert",
            "hub.toml:3:1: auth.users_file: needed by the static-users authenticator",
            "hub.toml:5:1: services[0].api_token_file: a service needs the file holding its API token",
        ]
    );
}

const FORM: &str = r#"
[spawner.form.fields.chunks]
kind = "integer"
min = 1
max = 4

[spawner.form.fields.ngpus]
kind = "integer"
label = "GPUs per chunk"
min = 0
max = 2
default = 0

[spawner.form.fields.gpu_model]
kind = "choice"
choices = [
  { key = "any", label = "Any", value = "" },
  { key = "a100", label = "NVIDIA A100", users = ["alice"] },
]

[spawner.form.profiles.big]
label = "Big"
values = { chunks = 2, ngpus = "2" }
"#;

#[test]
fn a_form_is_read_in_the_order_written() {
    let form = accepted(FORM).spawner.form;
    let names: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["chunks", "ngpus", "gpu_model"]);
    assert_eq!(form.fields[0].label, "chunks");
    assert_eq!(
        form.fields[1].kind,
        FieldKind::Integer {
            min: 0,
            max: 2,
            default: 0
        }
    );
    match &form.fields[2].kind {
        FieldKind::Choice { choices, default } => {
            assert_eq!(default, "any");
            assert_eq!(choices[1].value, "a100");
            assert_eq!(choices[1].users.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(form.profiles[0].values["chunks"], "2");
}

#[test]
fn form_rules_are_checked() {
    let text = r#"
[spawner.form.fields.ncpus]
kind = "size"
min = "1gb"
max = "2gb"

[spawner.form.fields.walltime]
kind = "integer"
min = 1
max = 2

[spawner.form.fields.mem]
kind = "size"
min = "1gb"
max = "8gb"
default = "lots"

[spawner.form.fields.gpu]
kind = "choice"
default = "a"
choices = [{ key = "a", users = ["bob"] }, { key = "b c" }]

[spawner.form.fields.chunks]
kind = "integer"
min = 1
max = 4

[spawner.form.profiles.p]
values = { chunks = 9, mem = "64gb", nope = 1 }
"#;
    assert_eq!(
        errors(text),
        [
            "hub.toml:2:1: spawner.form.fields.ncpus: PBS refuses `ncpus=1gb`: \
             Illegal attribute or resource value Resource_List.ncpus",
            "hub.toml:8:8: spawner.form.fields.walltime.kind: `walltime` must be a duration field",
            "hub.toml:16:11: spawner.form.fields.mem.default: not a size like 4gb",
            "hub.toml:21:52: spawner.form.fields.gpu.choices[1].key: must be letters, digits, `-`, `_` or `.`",
            "hub.toml:21:44: spawner.form.fields.gpu.choices[1].value: must be empty or letters, \
             digits, `-`, `_` or `.`",
            "hub.toml:20:11: spawner.form.fields.gpu.default: the default must be a choice every user may pick",
            "hub.toml:29:21: spawner.form.profiles.p.values.chunks: must be between 1 and 4",
            "hub.toml:29:45: spawner.form.profiles.p.values.nope: no such field in this form",
        ]
    );
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.toml");
    std::fs::write(&path, "[spawner]\npoll_interval = \"1x\"\n").unwrap();
    let err = load(&path).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:2:17: spawner.poll_interval: ", path.display())),
        "{text}"
    );
    std::fs::write(&path, generate_config()).unwrap();
    assert_eq!(load(&path).unwrap(), HubConfig::default());
    assert!(matches!(
        load(&dir.path().join("missing.toml")),
        Err(LoadError::Read { .. })
    ));
}

#[test]
fn the_simulated_cluster_section_is_read_and_checked() {
    let config = check_config(
        "[sim]\nnode_count = 64\nbackground_load = 0.85\nstate_dir = \"/var/lib/sim\"\n",
        "hub.toml",
    )
    .unwrap();
    assert_eq!(config.sim.node_count, 64);
    assert_eq!(config.sim.background_load, 0.85);
    assert_eq!(
        config.sim.state_dir,
        std::path::PathBuf::from("/var/lib/sim")
    );
    assert_eq!(
        errors("[sim]\nnode_count = 0\nbackground_load = -1.0\nspeedup = 0.0\n"),
        [
            "hub.toml:2:14: sim.node_count: must be at least 1",
            "hub.toml:3:19: sim.background_load: must be between 0 and 10 (1 = every core demanded)",
            "hub.toml:4:11: sim.speedup: must be a positive number",
        ]
    );
}

#[test]
fn allowed_groups_are_read_and_checked() {
    let config = accepted("[auth]\nallowed_groups = [\"hpc-users\", \"staff\"]\n");
    assert_eq!(config.auth.allowed_groups, ["hpc-users", "staff"]);
    assert!(HubConfig::default().auth.allowed_groups.is_empty());
    let found = errors("[auth]\nallowed_groups = [\"hpc users\"]\n");
    assert_eq!(
        found,
        ["hub.toml:2:18: auth.allowed_groups: \"hpc users\" is not a group name"]
    );
}

#[test]
fn a_sudo_prefix_may_not_keep_the_hubs_environment_or_open_a_shell() {
    for bad in [
        "-E",
        "--preserve-env",
        "--preserve-env=PATH",
        "-nE",
        "-s",
        "-i",
        "--login",
    ] {
        let text = format!(
            "[spawner]\nexec_prefix = [\"/usr/bin/sudo\", \"-u\", \"{{username}}\", \"{bad}\", \"--\"]\n"
        );
        let errors = errors(&text);
        assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
        assert!(
            errors[0].contains("spawner.exec_prefix[3]") && errors[0].contains("allowlisted"),
            "{bad}: {errors:?}"
        );
    }
    // After `--` the words are the command's, and other programs are not sudo.
    accepted("[spawner]\nexec_prefix = [\"sudo\", \"-n\", \"-u\", \"{username}\", \"--\"]\n");
    accepted("[spawner]\nexec_prefix = [\"setpriv\", \"-E\"]\n");
}
