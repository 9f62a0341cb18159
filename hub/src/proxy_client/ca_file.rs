//! `proxy.api_ca_file`: the CA bundle the hub trusts for a proxy API served over HTTPS
//! (a site's private CA), and the HTTP client built with it.
//!
//! With the file, only its CAs are trusted: the proxy's API is the site's own service,
//! and a public CA has no business vouching for it. Without it, the system's roots.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// How long one call to the proxy's API may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why `proxy.api_ca_file` is unusable.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    /// The file cannot be read.
    #[error("cannot read the CA file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A PEM block is malformed.
    #[error("the CA file {path} is not PEM")]
    Pem {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    /// The file holds no certificate.
    #[error("the CA file {0} holds no PEM certificate")]
    Empty(PathBuf),
    /// A certificate cannot be a trust anchor (not an X.509 certificate).
    #[error("the CA file {path} holds an unusable certificate")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// rustls' reason.
        #[source]
        source: rustls::Error,
    },
    /// The HTTP client refused the certificates.
    #[error("cannot build an HTTPS client trusting {path}")]
    Client {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
}

/// The certificates of `path`, each checked to be usable as a trust anchor.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaFileError> {
    let text = std::fs::read(path).map_err(|source| CaFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| CaFileError::Pem {
            path: path.to_path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(CaFileError::Empty(path.to_path_buf()));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in &certs {
        roots
            .add(cert.clone())
            .map_err(|source| CaFileError::Certificate {
                path: path.to_path_buf(),
                source,
            })?;
    }
    Ok(certs)
}

/// The HTTP client for the proxy's API: HTTPS trusting only `ca_file`'s CAs when given,
/// else the system's roots; plain HTTP as well.
pub fn api_http_client(ca_file: Option<&Path>) -> Result<reqwest::Client, CaFileError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(REQUEST_TIMEOUT);
    if let Some(path) = ca_file {
        builder = builder.tls_built_in_root_certs(false);
        for der in read_ca_file(path)? {
            let cert =
                reqwest::Certificate::from_der(&der).map_err(|source| CaFileError::Client {
                    path: path.to_path_buf(),
                    source,
                })?;
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|source| CaFileError::Client {
        path: ca_file.map(Path::to_path_buf).unwrap_or_default(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_must_exist_and_hold_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = read_ca_file(&missing).unwrap_err();
        assert!(matches!(err, CaFileError::Read { .. }), "{err}");
        assert!(err.to_string().contains("missing.pem"), "{err}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no PEM here\n").unwrap();
        assert!(matches!(read_ca_file(&empty), Err(CaFileError::Empty(_))));

        let junk = dir.path().join("junk.pem");
        std::fs::write(
            &junk,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = read_ca_file(&junk).unwrap_err();
        assert!(matches!(err, CaFileError::Certificate { .. }), "{err}");

        let good = dir.path().join("ca.pem");
        let ca = rcgen::generate_simple_self_signed(vec!["ca".to_string()]).unwrap();
        std::fs::write(&good, ca.cert.pem()).unwrap();
        assert_eq!(read_ca_file(&good).unwrap().len(), 1);
        api_http_client(Some(&good)).unwrap();
        api_http_client(None).unwrap();
    }
}
