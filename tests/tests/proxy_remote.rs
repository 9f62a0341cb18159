//! The hub and hub-proxy on different hosts: hub-proxy runs on its own (the hub's
//! `[proxy] should_start = false`) with both its public side and its route API over TLS,
//! on 127.0.0.2 with certificates for that IP from a test CA; the hub, on 127.0.0.1,
//! drives the API at `https://127.0.0.2:PORT` trusting the CA in `[proxy] api_ca_file`.
//!
//! Linux routes all of 127.0.0.0/8 to the loopback interface, so 127.0.0.2 is a second
//! address with no setup and no DNS; the hub's `http://` warning treats all of 127/8 as
//! loopback, which is why the API's scheme, not the address, is what these tests check.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use batchhub_tests::pbs_hub::{pbs_service_sections, singleuser};
use batchhub_tests::{bin, eventually, free_port, terminate, write_secret, HubProcess, SimCluster};
use serde_json::Value;

const PROXY_HOST: &str = "127.0.0.2";

/// A certificate authority and what it signed, as PEM files in a directory.
struct TestCa {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        TestCa {
            issuer: rcgen::CertifiedIssuer::self_signed(params, key).unwrap(),
        }
    }

    /// Writes the CA certificate to `path`.
    fn write(&self, path: &Path) {
        std::fs::write(path, self.issuer.pem()).unwrap();
    }

    /// Writes a certificate for `ip` and its key to `dir/{stem}.crt` and `dir/{stem}.key`.
    fn issue(&self, dir: &Path, stem: &str, ip: &str) -> (PathBuf, PathBuf) {
        let mut params = rcgen::CertificateParams::new(vec![ip.to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, ip);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let (cert_path, key_path) = (
            dir.join(format!("{stem}.crt")),
            dir.join(format!("{stem}.key")),
        );
        std::fs::write(&cert_path, cert.pem()).unwrap();
        write_secret(&key_path, &key.serialize_pem());
        (cert_path, key_path)
    }

    /// An HTTPS client trusting only this CA.
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.issuer.pem().as_bytes()).unwrap(),
            )
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }
}

/// A world: a directory, a CA, hub-proxy on 127.0.0.2 with TLS on both sides, a cluster
/// and the hub's config (not started).
struct Remote {
    dir: tempfile::TempDir,
    ca: TestCa,
    proxy: Child,
    /// `https://127.0.0.2:PORT`, the public side.
    public: String,
    /// `https://127.0.0.2:PORT`, the route API.
    api: String,
    token: String,
    service_token: String,
}

impl Remote {
    /// Starts hub-proxy and writes the hub's config, whose `api_ca_file` holds `hub_ca`'s
    /// certificate (`None`: the proxy's own CA).
    fn start(hub_ca: Option<&TestCa>) -> Remote {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        if std::net::TcpListener::bind((PROXY_HOST, 0)).is_err() {
            panic!("cannot bind {PROXY_HOST}: this test needs the loopback range 127.0.0.0/8");
        }
        let ca = TestCa::new("batchhub test CA");
        let (public_cert, public_key) = ca.issue(d, "public", PROXY_HOST);
        let (api_cert, api_key) = ca.issue(d, "api", PROXY_HOST);
        match hub_ca {
            Some(other) => other.write(&d.join("api-ca.pem")),
            None => ca.write(&d.join("api-ca.pem")),
        }
        let token = "70c3e2f1".repeat(8);
        write_secret(&d.join("proxy_token"), &token);

        let (public_port, api_port, hub_port) = (free_port(), free_port(), free_port());
        let log = std::fs::File::create(d.join("proxy.log")).unwrap();
        let proxy = Command::new(bin("hub-proxy"))
            .args(["--ip", PROXY_HOST, "--port", &public_port.to_string()])
            .args(["--api-ip", PROXY_HOST, "--api-port", &api_port.to_string()])
            .arg("--ssl-cert")
            .arg(&public_cert)
            .arg("--ssl-key")
            .arg(&public_key)
            .arg("--api-ssl-cert")
            .arg(&api_cert)
            .arg("--api-ssl-key")
            .arg(&api_key)
            .env("CONFIGPROXY_AUTH_TOKEN", &token)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("hub-proxy starts");

        let (sections, service_token) = pbs_service_sections(d, &singleuser(0));
        let config = format!(
            r#"
[hub]
bind_url = "https://{PROXY_HOST}:{public_port}/"
hub_bind_url = "http://127.0.0.1:{hub_port}/"
db_url = "sqlite://{d}/hub.sqlite?mode=rwc"
cookie_secret_file = "{d}/cookie_secret"

[proxy]
should_start = false
api_url = "https://{PROXY_HOST}:{api_port}/"
api_ca_file = "{d}/api-ca.pem"
auth_token_file = "{d}/proxy_token"
check_interval = "1s"
{sections}"#,
            d = d.display(),
        );
        std::fs::write(d.join("hub.toml"), config).unwrap();
        Remote {
            public: format!("https://{PROXY_HOST}:{public_port}"),
            api: format!("https://{PROXY_HOST}:{api_port}"),
            dir,
            ca,
            proxy,
            token,
            service_token,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    fn start_hub(&self, cluster: &SimCluster) -> HubProcess {
        HubProcess::start(
            &self.path("hub.toml"),
            &cluster.bin_dir(),
            &self.path("hub.log"),
        )
    }

    /// The proxy's routes, asked over its TLS API trusting the CA; `None` if no answer.
    async fn routes(&self) -> Option<Value> {
        let response = self
            .ca
            .client()
            .get(format!("{}/api/routes", self.api))
            .header("Authorization", format!("token {}", self.token))
            .send()
            .await
            .ok()?;
        response.json().await.ok()
    }

    /// A call to the hub's API through the proxy's HTTPS public side, as the service.
    async fn hub_api(&self, method: reqwest::Method, path: &str) -> (u16, Value) {
        let request = self
            .ca
            .client()
            .request(method, format!("{}/hub/api{path}", self.public))
            .header("Authorization", format!("token {}", self.service_token));
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        terminate(&mut self.proxy);
        if std::thread::panicking() {
            eprintln!(
                "--- hub.log\n{}\n--- proxy.log\n{}",
                self.log("hub.log"),
                self.log("proxy.log")
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_drives_a_proxy_on_another_host_over_tls() {
    let remote = Remote::start(None);
    let cluster = SimCluster::start(remote.dir.path(), 4);
    let hub = remote.start_hub(&cluster);

    // The hub adds its own route over the TLS API; then it answers through HTTPS.
    eventually(
        Duration::from_secs(60),
        "the hub answers through the proxy",
        || async {
            let (status, body) = remote.hub_api(reqwest::Method::GET, "/").await;
            (status == 200 && body.get("version").is_some()).then_some(())
        },
    )
    .await;

    let (status, _) = remote.hub_api(reqwest::Method::POST, "/users/alice").await;
    assert_eq!(status, 201, "{}", remote.log("hub.log"));
    let (status, _) = remote
        .hub_api(reqwest::Method::POST, "/users/alice/server")
        .await;
    assert!(status == 201 || status == 202, "start: {status}");
    eventually(
        Duration::from_secs(90),
        "alice's server is ready",
        || async {
            let (_, body) = remote.hub_api(reqwest::Method::GET, "/users/alice").await;
            (body.pointer("/servers//ready") == Some(&Value::Bool(true))).then_some(())
        },
    )
    .await;

    // The user's server, in a job, through the proxy's HTTPS side, with HSTS.
    let page = remote
        .ca
        .client()
        .get(format!("{}/user/alice/", remote.public))
        .send()
        .await
        .expect("the proxy answers over HTTPS");
    assert_eq!(page.status(), 200);
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("batchhub built-in test server"));

    // The route the hub added is in the proxy's table, read over the TLS API.
    let routes = remote.routes().await.expect("the API answers over TLS");
    assert_eq!(routes["/user/alice"]["user"], "alice", "{routes}");
    assert_eq!(routes["/"]["hub"], true, "{routes}");

    // Plain HTTP to the API port is not an API.
    let plain = reqwest::Client::new()
        .get(format!(
            "{}/api/routes",
            remote.api.replace("https://", "http://")
        ))
        .header("Authorization", format!("token {}", remote.token))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(
        plain.as_ref().map_or(true, |r| !r.status().is_success()),
        "plain HTTP answered: {plain:?}"
    );

    let (status, _) = remote
        .hub_api(reqwest::Method::DELETE, "/users/alice/server")
        .await;
    assert!(status == 202 || status == 204, "stop: {status}");
    eventually(Duration::from_secs(30), "alice's route goes", || async {
        let routes = remote.routes().await?;
        routes.get("/user/alice").is_none().then_some(())
    })
    .await;
    hub.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_that_does_not_trust_the_proxy_s_certificate_says_so_and_adds_nothing() {
    let stranger = TestCa::new("some other CA");
    let remote = Remote::start(Some(&stranger));
    let cluster = SimCluster::start(remote.dir.path(), 1);
    let mut hub = remote.start_hub(&cluster);

    let line = eventually(
        Duration::from_secs(30),
        "the hub logs why it cannot reach the proxy",
        || async {
            remote
                .log("hub.log")
                .lines()
                .find(|l| l.contains("proxy.api_ca_file"))
                .map(str::to_string)
        },
    )
    .await;
    assert!(line.contains("certificate"), "{line}");
    assert!(line.contains(PROXY_HOST), "{line}");
    // It goes on running (the proxy may get a certificate it trusts), adding nothing.
    assert!(hub.running(), "{}", remote.log("hub.log"));
    let routes = remote.routes().await.expect("the API answers the test");
    assert_eq!(routes, serde_json::json!({}), "{routes}");

    // `hub doctor` names the cause.
    let out = Command::new(bin("hub"))
        .args(["doctor", "--json", "-f"])
        .arg(remote.path("hub.toml"))
        .env(
            "PATH",
            format!(
                "{}:{}",
                cluster.bin_dir().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("doctor's JSON");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "proxy api")
        .cloned()
        .expect("a proxy api finding");
    assert_eq!(finding["status"], "FAIL", "{finding}");
    assert!(
        finding["message"].as_str().unwrap().contains("certificate"),
        "{finding}"
    );
    hub.stop();
}

#[test]
fn check_config_refuses_an_unusable_ca_file_and_warns_of_a_token_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("not-a-ca.pem"), "hello\n").unwrap();
    let check = |proxy_section: &str| {
        let file = d.join("hub.toml");
        std::fs::write(
            &file,
            format!("[proxy]\nshould_start = false\n{proxy_section}"),
        )
        .unwrap();
        let out = Command::new(bin("hub"))
            .arg("check-config")
            .arg(&file)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, text) = check(&format!(
        "api_url = \"https://{PROXY_HOST}:8001/\"\napi_ca_file = \"{}/not-a-ca.pem\"\n",
        d.display()
    ));
    assert!(!ok, "{text}");
    assert!(text.contains("proxy.api_ca_file"), "{text}");
    assert!(text.contains("not-a-ca.pem"), "{text}");
    let (ok, text) = check(&format!(
        "api_url = \"https://{PROXY_HOST}:8001/\"\napi_ca_file = \"{}/missing.pem\"\n",
        d.display()
    ));
    assert!(!ok && text.contains("missing.pem"), "{text}");
    let (ok, text) = check("api_url = \"ftp://10.0.0.5:8001/\"\n");
    assert!(!ok && text.contains("proxy.api_url"), "{text}");

    let (ok, text) = check("api_url = \"http://10.0.0.5:8001/\"\n");
    assert!(ok, "{text}");
    assert!(
        text.contains("warning") && text.contains("in clear"),
        "{text}"
    );
    let (ok, text) = check("api_url = \"http://127.0.0.1:8001/\"\n");
    assert!(ok && !text.contains("warning"), "{text}");
}
