//! One test per failure the doctor detects, and one healthy deployment where every check is
//! OK. Each builds a deployment in a temporary directory and runs [`run`] on its config.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use tokio_util::sync::CancellationToken;

use super::*;

/// The doctor's "now" in every test.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 0, 0, 0).unwrap()
}

const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef";

/// A deployment in a temporary directory: secrets 0600, a static-users file, the simulated
/// scheduler, a proxy API address nothing listens on (until a test says otherwise).
struct Deployment {
    dir: tempfile::TempDir,
    /// Settings appended to the base config, by section.
    hub: String,
    proxy: String,
    auth: String,
    spawner: String,
    api_url: String,
    options: DoctorOptions,
}

impl Deployment {
    fn new() -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_private(&d.join("cookie_secret"), TOKEN);
        write_private(&d.join("proxy_token"), TOKEN);
        write_private(&d.join("users"), "alice = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA\"\n");
        std::fs::create_dir(d.join("pam.d")).unwrap();
        std::fs::create_dir(d.join("bin")).unwrap();
        let options = DoctorOptions {
            test_user: None,
            environment: vec![("PATH".to_string(), d.join("bin").display().to_string())],
            pam_dir: d.join("pam.d"),
            now: now(),
        };
        Deployment {
            api_url: format!("http://{}/", closed_port()),
            hub: format!("db_url = \"sqlite://{}/hub.sqlite\"\n", d.display()),
            proxy: String::new(),
            auth: format!(
                "authenticator = \"static-users\"\nusers_file = \"{}/users\"\n",
                d.display()
            ),
            spawner: "scheduler = \"sim\"\n".to_string(),
            options,
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    async fn run(&self) -> Report {
        let d = self.dir.path().display();
        let text = format!(
            "[hub]\ncookie_secret_file = \"{d}/cookie_secret\"\n{}\n\
             [proxy]\napi_url = \"{}\"\nauth_token_file = \"{d}/proxy_token\"\n{}\n\
             [auth]\n{}\n[spawner]\n{}\n",
            self.hub, self.api_url, self.proxy, self.auth, self.spawner
        );
        let config = self.path("hub.toml");
        std::fs::write(&config, text).unwrap();
        let report = run(&config, &self.options).await;
        eprintln!("{}", report.render());
        report
    }

    /// Makes the database file and migrates it, as `hub serve` would.
    async fn migrated_db(&self) {
        let url = format!("sqlite://{}?mode=rwc", self.path("hub.sqlite").display());
        crate::db::Db::connect(&url).await.unwrap().close().await;
    }
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A loopback port that refuses connections (bound, then released).
fn closed_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn finding<'a>(report: &'a Report, check: &str) -> &'a Finding {
    report
        .find(check)
        .unwrap_or_else(|| panic!("no finding {check:?} in\n{}", report.render()))
}

#[tokio::test]
async fn a_secret_others_can_read_fails_with_the_chmod_fix() {
    let deployment = Deployment::new();
    let secret = deployment.path("cookie_secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let report = deployment.run().await;
    let found = finding(&report, "secret: cookie secret");
    assert_eq!(found.status, Status::Fail);
    assert_eq!(
        found.fix.as_deref(),
        Some(format!("chmod 600 {}", secret.display()).as_str())
    );
    assert_eq!(report.worst(), Status::Fail);
    assert!(report
        .render()
        .contains(&format!("fix: chmod 600 {}", secret.display())));

    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let report = deployment.run().await;
    assert_eq!(finding(&report, "secret: cookie secret").status, Status::Ok);
}

#[tokio::test]
async fn missing_secrets_are_fine_where_the_hub_makes_them_and_fail_where_it_needs_them() {
    let deployment = Deployment::new();
    std::fs::remove_file(deployment.path("cookie_secret")).unwrap();
    std::fs::remove_file(deployment.path("users")).unwrap();
    let report = deployment.run().await;
    assert_eq!(finding(&report, "secret: cookie secret").status, Status::Ok);
    let users = finding(&report, "secret: users file");
    assert_eq!(users.status, Status::Fail);
    assert!(users.message.contains("does not exist"), "{users:?}");
}

#[tokio::test]
async fn a_bad_config_fails_with_its_errors_and_nothing_else_is_checked() {
    let mut deployment = Deployment::new();
    deployment.hub.push_str("no_such_setting = 1\n");
    let report = deployment.run().await;
    assert_eq!(report.findings.len(), 1, "{}", report.render());
    let found = finding(&report, "config");
    assert_eq!(found.status, Status::Fail);
    assert!(
        found.details.iter().any(|d| d.contains("no_such_setting")),
        "{found:?}"
    );

    let missing = run(&deployment.path("absent.toml"), &deployment.options).await;
    assert_eq!(finding(&missing, "config").status, Status::Fail);
}

#[tokio::test]
async fn an_unreachable_database_fails() {
    let mut deployment = Deployment::new();
    deployment.hub = "db_url = \"sqlite:///nonexistent-doctor-dir/hub.sqlite\"\n".to_string();
    let report = deployment.run().await;
    let found = finding(&report, "database");
    assert_eq!(found.status, Status::Fail);
    assert!(
        found
            .fix
            .as_deref()
            .unwrap()
            .contains("create the directory"),
        "{found:?}"
    );

    deployment.hub = "db_url = \"postgresql://hub:secret@127.0.0.1:1/hub\"\n".to_string();
    let report = deployment.run().await;
    let found = finding(&report, "database");
    assert_eq!(found.status, Status::Fail);
    assert!(
        !found.message.contains("secret@"),
        "the password is shown: {found:?}"
    );
}

#[tokio::test]
async fn pending_migrations_warn_and_a_new_database_file_warns() {
    let deployment = Deployment::new();
    let report = deployment.run().await;
    let found = finding(&report, "database");
    assert_eq!(found.status, Status::Warn);
    assert!(found.message.contains("does not exist yet"), "{found:?}");

    std::fs::write(deployment.path("hub.sqlite"), b"").unwrap();
    let report = deployment.run().await;
    let found = finding(&report, "database");
    assert_eq!(found.status, Status::Warn);
    assert!(found.message.contains("empty"), "{found:?}");

    deployment.migrated_db().await;
    let report = deployment.run().await;
    assert_eq!(finding(&report, "database").status, Status::Ok);
}

#[tokio::test]
async fn pending_migrations_fail_pointing_at_hub_db_upgrade_unless_upgrade_db() {
    let mut deployment = Deployment::new();
    let url = format!(
        "sqlite://{}?mode=rwc",
        deployment.path("hub.sqlite").display()
    );
    crate::db::create_at_version(&url, 1).await.close().await;
    let report = deployment.run().await;
    let found = finding(&report, "database");
    assert_eq!(found.status, Status::Fail);
    assert!(
        found.message.contains("migration(s) pending (2)"),
        "{found:?}"
    );
    let command = format!(
        "hub db upgrade -f {}",
        deployment.path("hub.toml").display()
    );
    assert!(
        found.fix.as_deref().unwrap_or("").contains(&command),
        "{found:?}"
    );

    deployment.hub.push_str("upgrade_db = true\n");
    let report = deployment.run().await;
    let found = finding(&report, "database");
    assert_eq!(found.status, Status::Warn);
    assert!(
        found.fix.as_deref().unwrap_or("").contains(&command),
        "{found:?}"
    );
}

/// A stand-in for a scheduler command: prints `line` and exits 0.
fn fake_command(deployment: &Deployment, name: &str, line: &str) {
    let path = deployment.path("bin").join(name);
    std::fs::write(&path, format!("#!/bin/sh\necho '{line}'\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn a_missing_scheduler_command_fails() {
    let mut deployment = Deployment::new();
    deployment.spawner = "scheduler = \"pbs\"\nexec_prefix = []\n".to_string();
    let report = deployment.run().await;
    for check in ["scheduler: qstat --version", "scheduler: qstat -B"] {
        let found = finding(&report, check);
        assert_eq!(found.status, Status::Fail, "{found:?}");
        assert!(found.message.contains("cannot start `qstat`"), "{found:?}");
    }
    assert!(finding(&report, "scheduler: qstat --version")
        .message
        .contains("--test-user"));

    fake_command(&deployment, "qstat", "pbs_version = 2024.1.0");
    let report = deployment.run().await;
    assert_eq!(
        finding(&report, "scheduler: qstat --version").status,
        Status::Ok
    );
    assert_eq!(finding(&report, "scheduler: qstat -B").status, Status::Ok);

    // Through a prefix that cannot run, as the test user: only that command fails.
    deployment.spawner =
        "scheduler = \"pbs\"\nexec_prefix = [\"/nonexistent\", \"-u\", \"{username}\"]\n"
            .to_string();
    deployment.options.test_user = Some("alice".to_string());
    let report = deployment.run().await;
    let found = finding(&report, "scheduler: qstat --version");
    assert_eq!(found.status, Status::Fail);
    assert!(
        found.message.contains("cannot start `/nonexistent`"),
        "{found:?}"
    );
    assert!(found.message.contains("as alice"), "{found:?}");
    assert_eq!(finding(&report, "scheduler: qstat -B").status, Status::Ok);
}

#[tokio::test]
async fn slurm_commands_are_checked_and_sim_is_skipped() {
    let mut deployment = Deployment::new();
    deployment.spawner = "scheduler = \"slurm\"\nexec_prefix = []\n".to_string();
    fake_command(&deployment, "squeue", "slurm 24.05.1");
    let report = deployment.run().await;
    assert_eq!(
        finding(&report, "scheduler: squeue --version").status,
        Status::Ok
    );
    assert_eq!(finding(&report, "scheduler: sinfo").status, Status::Fail);

    deployment.spawner = "scheduler = \"sim\"\n".to_string();
    let report = deployment.run().await;
    assert_eq!(finding(&report, "scheduler").status, Status::Ok);
}

/// A server answering every request with `status`.
async fn answering(status: u16) -> (String, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let code = http::StatusCode::from_u16(status).unwrap();
    let app = axum::Router::new().fallback(move || async move { code });
    let stop = CancellationToken::new();
    let until = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { until.cancelled().await })
            .await
    });
    (format!("http://{addr}/"), stop)
}

#[tokio::test]
async fn a_proxy_refusing_the_token_fails() {
    let mut deployment = Deployment::new();
    let (url, stop) = answering(403).await;
    deployment.api_url = url;
    let report = deployment.run().await;
    let found = finding(&report, "proxy api");
    assert_eq!(found.status, Status::Fail);
    assert!(found.message.contains("is not the proxy's"), "{found:?}");
    assert!(
        found
            .message
            .contains(&deployment.path("proxy_token").display().to_string()),
        "{found:?}"
    );
    stop.cancel();
}

#[tokio::test]
async fn a_proxy_not_running_warns_when_the_hub_starts_it_and_fails_otherwise() {
    let mut deployment = Deployment::new();
    let report = deployment.run().await;
    let found = finding(&report, "proxy api");
    assert_eq!(found.status, Status::Warn);
    assert!(
        found.message.contains("hub-proxy is not running at"),
        "{found:?}"
    );

    deployment.proxy = "should_start = false\n".to_string();
    let report = deployment.run().await;
    assert_eq!(finding(&report, "proxy api").status, Status::Fail);
}

#[tokio::test]
async fn a_missing_pam_service_fails() {
    let mut deployment = Deployment::new();
    deployment.auth = "authenticator = \"pam\"\npam_service = \"batchhub\"\n".to_string();
    let report = deployment.run().await;
    let found = finding(&report, "pam service");
    assert_eq!(found.status, Status::Fail);
    assert!(
        found.fix.as_deref().unwrap().contains("auth.pam_service"),
        "{found:?}"
    );

    std::fs::write(deployment.path("pam.d/batchhub"), "@include common-auth\n").unwrap();
    let report = deployment.run().await;
    assert_eq!(finding(&report, "pam service").status, Status::Ok);
}

/// A self-signed certificate valid until `not_after` (y, m, d), in `cert.pem`/`key.pem`;
/// the key 0600.
fn certificate(deployment: &Deployment, not_after: (i32, u8, u8)) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["hub.example.org".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2029, 1, 1);
    params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(deployment.path("cert.pem"), cert.pem()).unwrap();
    write_private(&deployment.path("key.pem"), &key.serialize_pem());
}

/// The proxy's command line naming `cert.pem` and `key.pem`.
fn proxy_with_tls(deployment: &mut Deployment) {
    deployment.proxy = format!(
        "command = [\"hub-proxy\", \"--ssl-cert\", \"{}\", \"--ssl-key={}\"]\n",
        deployment.path("cert.pem").display(),
        deployment.path("key.pem").display()
    );
}

#[tokio::test]
async fn tls_expired_fails_expiring_soon_warns_and_a_bad_key_fails() {
    let mut deployment = Deployment::new();
    proxy_with_tls(&mut deployment);
    const CERT: &str = "tls: hub-proxy certificate";
    const KEY: &str = "tls: hub-proxy key";

    certificate(&deployment, (2030, 1, 1));
    let report = deployment.run().await;
    let found = finding(&report, CERT);
    assert_eq!(found.status, Status::Fail);
    assert!(found.message.contains("expired on 2030-01-01"), "{found:?}");

    certificate(&deployment, (2030, 6, 6));
    let report = deployment.run().await;
    let found = finding(&report, CERT);
    assert_eq!(found.status, Status::Warn);
    assert!(found.message.contains("5 days left"), "{found:?}");
    assert_eq!(finding(&report, KEY).status, Status::Ok);

    // A key readable by others, then another certificate's key.
    certificate(&deployment, (2031, 6, 1));
    let key = deployment.path("key.pem");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let report = deployment.run().await;
    assert_eq!(finding(&report, CERT).status, Status::Ok);
    let found = finding(&report, KEY);
    assert_eq!(found.status, Status::Fail);
    assert_eq!(
        found.fix.as_deref(),
        Some(format!("chmod 600 {}", key.display()).as_str())
    );

    let other = rcgen::KeyPair::generate().unwrap();
    write_private(&key, &other.serialize_pem());
    let report = deployment.run().await;
    let found = finding(&report, KEY);
    assert_eq!(found.status, Status::Fail);
    assert!(found.message.contains("is not the key of"), "{found:?}");

    std::fs::write(deployment.path("cert.pem"), "not a certificate\n").unwrap();
    let report = deployment.run().await;
    assert_eq!(finding(&report, CERT).status, Status::Fail);
}

#[tokio::test]
async fn the_proxy_api_s_tls_files_are_checked_too() {
    let mut deployment = Deployment::new();
    certificate(&deployment, (2031, 6, 1));
    deployment.proxy = format!(
        "command = [\"hub-proxy\", \"--api-ssl-cert={}\", \"--api-ssl-key\", \"{}\"]\n",
        deployment.path("cert.pem").display(),
        deployment.path("key.pem").display()
    );
    let report = deployment.run().await;
    assert_eq!(
        finding(&report, "tls: hub-proxy API certificate").status,
        Status::Ok
    );
    assert_eq!(
        finding(&report, "tls: hub-proxy API key").status,
        Status::Ok
    );
    assert!(report.find("tls: hub-proxy certificate").is_none());

    std::fs::write(deployment.path("cert.pem"), "not a certificate\n").unwrap();
    let report = deployment.run().await;
    assert_eq!(
        finding(&report, "tls: hub-proxy API certificate").status,
        Status::Fail
    );
}

#[tokio::test]
async fn hub_ssl_files_are_checked_and_the_listener_is_reported_unbuilt() {
    let mut deployment = Deployment::new();
    certificate(&deployment, (2031, 6, 1));
    deployment.hub.push_str(&format!(
        "ssl_cert = \"{}\"\nssl_key = \"{}\"\n",
        deployment.path("cert.pem").display(),
        deployment.path("key.pem").display()
    ));
    let report = deployment.run().await;
    assert_eq!(finding(&report, "tls: hub certificate").status, Status::Ok);
    assert_eq!(finding(&report, "tls: hub key").status, Status::Ok);
    assert_eq!(finding(&report, "tls: hub listener").status, Status::Fail);
}

#[tokio::test]
async fn a_healthy_deployment_is_all_ok() {
    let mut deployment = Deployment::new();
    deployment.migrated_db().await;
    let config = ::proxy::Config {
        auth_token: Some(TOKEN.to_string()),
        ..::proxy::Config::for_tests()
    };
    let running = ::proxy::Proxy::bind(config).await.unwrap();
    deployment.api_url = format!("http://{}/", running.api_addr());
    let stop = CancellationToken::new();
    tokio::spawn(running.serve(stop.clone()));
    certificate(&deployment, (2031, 6, 1));
    proxy_with_tls(&mut deployment);
    deployment.auth = "authenticator = \"pam\"\npam_service = \"batchhub\"\n".to_string();
    std::fs::write(deployment.path("pam.d/batchhub"), "@include common-auth\n").unwrap();

    let report = deployment.run().await;
    assert_eq!(report.worst(), Status::Ok, "{}", report.render());
    // Every check ran: config, 2 secrets, database, scheduler, proxy, PAM, TLS ×2.
    assert_eq!(report.findings.len(), 9, "{}", report.render());
    assert!(report
        .render()
        .ends_with("9 checks: 9 ok, 0 warn, 0 fail\n"));
    stop.cancel();
}

#[test]
fn the_report_lines_up_and_serialises() {
    let report = Report {
        findings: vec![
            Finding::ok("config", "fine"),
            Finding::fail("secret: cookie secret", "open", "chmod 600 x"),
        ],
    };
    assert_eq!(
        report.render(),
        "OK    config                 fine\n\
         FAIL  secret: cookie secret  open — fix: chmod 600 x\n\
         2 checks: 1 ok, 0 warn, 1 fail\n"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["findings"][1]["status"], "FAIL");
    assert_eq!(json["findings"][1]["fix"], "chmod 600 x");
}
