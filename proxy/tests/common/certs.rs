//! Test certificates (rcgen): a CA, leaf certificates it signs for names and IPs, PEM
//! files, and TLS clients that trust the CA and report the certificate they were shown.

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::RootCertStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::TlsConnector;

/// A certificate authority that signs leaf certificates.
pub struct TestCa {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

/// A leaf certificate and its key, as PEM, and the certificate's DER.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
}

impl Leaf {
    /// Writes `cert.pem`/`key.pem`-style files `{stem}.crt` and `{stem}.key` in `dir`.
    pub fn write(&self, dir: &Path, stem: &str) -> proxy::TlsFiles {
        let files = proxy::TlsFiles {
            key: dir.join(format!("{stem}.key")),
            cert: dir.join(format!("{stem}.crt")),
        };
        self.write_to(&files);
        files
    }

    /// Overwrites `files` with this pair (key first, as a renewal might).
    pub fn write_to(&self, files: &proxy::TlsFiles) {
        std::fs::write(&files.key, &self.key_pem).unwrap();
        std::fs::write(&files.cert, &self.cert_pem).unwrap();
    }
}

impl Leaf {
    /// Replaces `files` with this pair as certbot and `install` do: new files renamed over
    /// the old ones (new inodes), the key first.
    pub fn replace(&self, files: &proxy::TlsFiles) {
        for (path, text) in [(&files.key, &self.key_pem), (&files.cert, &self.cert_pem)] {
            let tmp = path.with_extension("new");
            std::fs::write(&tmp, text).unwrap();
            std::fs::rename(&tmp, path).unwrap();
        }
    }
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        Self {
            issuer: rcgen::CertifiedIssuer::self_signed(params, key).unwrap(),
        }
    }

    /// A leaf for `names` (DNS names or IP literals), with `cn` as its common name.
    pub fn leaf(&self, cn: &str, names: &[&str]) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// Writes the CA certificate to `dir/{stem}.pem`.
    pub fn write(&self, dir: &Path, stem: &str) -> PathBuf {
        let path = dir.join(format!("{stem}.pem"));
        std::fs::write(&path, self.pem()).unwrap();
        path
    }

    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.issuer.der().clone()).unwrap();
        roots
    }
}

/// A client configuration trusting `roots`, offering `alpn`, with `client` as its own
/// certificate if given.
pub fn client_config(
    roots: RootCertStore,
    alpn: &[&[u8]],
    client: Option<&Leaf>,
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut cfg = match client {
        None => builder.with_no_client_auth(),
        Some(leaf) => {
            use rustls::pki_types::pem::PemObject;
            let key =
                rustls::pki_types::PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).unwrap();
            builder
                .with_client_auth_cert(vec![leaf.der.clone()], key)
                .unwrap()
        }
    };
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    cfg
}

pub type TlsStream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// A TLS connection to `addr` for `name`, trusting `roots`; the handshake's error if any.
pub async fn try_connect(
    addr: std::net::SocketAddr,
    cfg: rustls::ClientConfig,
    name: &str,
) -> std::io::Result<TlsStream> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from(name.to_owned()).unwrap(), tcp)
        .await
}

/// An HTTP/1.1 TLS connection to `addr` for `name`, trusting `roots`.
pub async fn connect(addr: std::net::SocketAddr, roots: RootCertStore, name: &str) -> TlsStream {
    try_connect(addr, client_config(roots, &[b"http/1.1"], None), name)
        .await
        .expect("TLS handshake")
}

/// The certificate the server showed on `tls`.
pub fn peer_cert(tls: &TlsStream) -> CertificateDer<'static> {
    tls.get_ref()
        .1
        .peer_certificates()
        .expect("a server certificate")[0]
        .clone()
}

/// A GET of `path` on an open HTTP/1.1 connection: status, headers and body.
pub async fn get_over(
    sender: &mut hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>,
    path: &str,
) -> (http::StatusCode, http::HeaderMap, String) {
    use http_body_util::BodyExt;
    let req = http::Request::get(path)
        .header("host", "localhost")
        .body(http_body_util::Full::default())
        .unwrap();
    let res = sender.send_request(req).await.expect("response");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// An HTTP/1.1 client over `tls`, its connection driven on a task.
pub async fn http1(
    tls: TlsStream,
) -> hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>> {
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(conn);
    sender
}
