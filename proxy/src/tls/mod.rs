//! TLS for the public listener and the route API: rustls with the ring provider, PEM keys
//! and certificate chains that can be replaced while the proxy runs, ALPN offering HTTP/2
//! and HTTP/1.1 (browsers multiplex page assets over h2; WebSockets stay on HTTP/1.1
//! connections), and optionally client certificates on the API.
//!
//! - [`cert`] — [`ReloadingCert`]: the resolver whose certificate a reload swaps.
//! - [`watch`] — [`Reloader`]: reload on request (SIGHUP) and when the files change.

pub mod cert;
pub mod watch;

pub use cert::ReloadingCert;
pub use watch::Reloader;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::PathBuf;
use std::sync::Arc;

/// Why TLS could not be set up, or a certificate not reloaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or parsed.
    #[error("cannot read {what} from {path}")]
    Pem {
        /// "certificate", "private key" or "client CA".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    /// The certificate file holds no certificate.
    #[error("no certificate in {0}")]
    NoCertificate(PathBuf),
    /// The key is unusable, or is not the certificate's.
    #[error("the private key {key} is unusable with the certificate {cert}")]
    Pair {
        /// The key file.
        key: PathBuf,
        /// The certificate file.
        cert: PathBuf,
        /// rustls' reason (an unsupported key type, a key mismatch, …).
        #[source]
        source: rustls::Error,
    },
    /// A certificate in the client CA file is unusable as a trust anchor.
    #[error("unusable CA certificate in {path}")]
    CaCertificate {
        /// The CA file.
        path: PathBuf,
        /// rustls' reason.
        #[source]
        source: rustls::Error,
    },
    /// The client CA file cannot verify client certificates.
    #[error("cannot verify client certificates with {path}")]
    ClientCa {
        /// The CA file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rustls::server::VerifierBuilderError,
    },
    /// rustls refused the configuration.
    #[error("invalid TLS configuration")]
    Rustls(#[from] rustls::Error),
}

/// Which client certificates the API listener asks for (`--api-ssl-ca`,
/// `--api-ssl-request-cert`, `--api-ssl-reject-unauthorized`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    /// The CA bundle (PEM) client certificates must chain to.
    pub ca: PathBuf,
    /// Refuse the handshake of a client without a certificate. Without it a client may
    /// come without one; a certificate it does present must still verify.
    pub required: bool,
}

/// The crypto provider every TLS object here uses: ring, already in the tree.
pub fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The server configuration for a listener whose certificate comes from `cert`, asking
/// for client certificates as `client_auth` says.
pub fn server_config(
    cert: Arc<ReloadingCert>,
    client_auth: Option<&ClientAuth>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?;
    let builder = match client_auth {
        None => builder.with_no_client_auth(),
        Some(auth) => builder.with_client_cert_verifier(client_verifier(auth, provider)?),
    };
    let mut config = builder.with_cert_resolver(cert);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn client_verifier(
    auth: &ClientAuth,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsError> {
    let pem = |source| TlsError::Pem {
        what: "client CA",
        path: auth.ca.clone(),
        source,
    };
    let mut roots = RootCertStore::empty();
    for der in CertificateDer::pem_file_iter(&auth.ca).map_err(pem)? {
        roots
            .add(der.map_err(pem)?)
            .map_err(|source| TlsError::CaCertificate {
                path: auth.ca.clone(),
                source,
            })?;
    }
    if roots.is_empty() {
        return Err(TlsError::NoCertificate(auth.ca.clone()));
    }
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
    let builder = if auth.required {
        builder
    } else {
        builder.allow_unauthenticated()
    };
    builder.build().map_err(|source| TlsError::ClientCa {
        path: auth.ca.clone(),
        source,
    })
}
