//! A listener's certificate that can be replaced while the proxy runs.
//!
//! [`ReloadingCert`] is the listener's rustls certificate resolver: every handshake reads
//! the current [`CertifiedKey`] from an `ArcSwap`, so a reload changes what *new*
//! connections get and leaves established ones alone. A reload that fails keeps the
//! certificate in use: a renewal half-written, or a key that does not match, must not take
//! the site down.

use super::TlsError;
use crate::config::TlsFiles;
use arc_swap::ArcSwap;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The key and certificate files of one listener, the pair in use, and what the files
/// looked like when they were last read.
pub struct ReloadingCert {
    /// "proxy" or "API", for the log.
    listener: &'static str,
    files: TlsFiles,
    current: ArcSwap<CertifiedKey>,
    /// The files' stamps at the last read, good or bad: a change since is worth a reload.
    seen: Mutex<FilesStamp>,
}

impl fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingCert")
            .field("listener", &self.listener)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl ReloadingCert {
    /// Reads `files` for the `listener` ("proxy", "API"). At start an unusable file is an
    /// error: there is no older certificate to fall back on.
    pub fn load(listener: &'static str, files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let stamp = FilesStamp::of(&files);
        let key = read_certified_key(&files)?;
        tracing::info!(
            "TLS certificate for the {listener} listener: {}",
            describe(&key)
        );
        Ok(Arc::new(Self {
            listener,
            files,
            current: ArcSwap::from_pointee(key),
            seen: Mutex::new(stamp),
        }))
    }

    /// The pair new handshakes get.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current.load_full()
    }

    /// Reads the files again. On success new handshakes get the new pair (logged with its
    /// subject and expiry); on failure the pair in use stays and the error is logged and
    /// returned.
    pub fn reload(&self) -> Result<(), TlsError> {
        let stamp = FilesStamp::of(&self.files);
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = stamp;
        match read_certified_key(&self.files) {
            Ok(key) => {
                tracing::info!(
                    "TLS certificate for the {} listener reloaded: {}",
                    self.listener,
                    describe(&key)
                );
                self.current.store(Arc::new(key));
                Ok(())
            }
            Err(e) => {
                tracing::error!(
                    "TLS certificate for the {} listener not reloaded, keeping the one in use: {}",
                    self.listener,
                    crate::errors::chain(&e)
                );
                Err(e)
            }
        }
    }

    /// Reloads if either file changed (modification time, size, inode or device) since
    /// the last read. Following symbolic links, so certbot's `live/` links moving to new
    /// `archive/` files count as a change.
    pub fn reload_if_changed(&self) {
        let stamp = FilesStamp::of(&self.files);
        let changed = *self.seen.lock().unwrap_or_else(|e| e.into_inner()) != stamp;
        if changed {
            let _ = self.reload();
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
    inode: u64,
    device: u64,
}

/// The key's stamp and the certificate's; a missing file has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FilesStamp {
    key: Option<FileStamp>,
    cert: Option<FileStamp>,
}

impl FilesStamp {
    fn of(files: &TlsFiles) -> Self {
        Self {
            key: file_stamp(&files.key),
            cert: file_stamp(&files.cert),
        }
    }
}

fn file_stamp(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode: meta.ino(),
        device: meta.dev(),
    })
}

/// Reads the chain and key, and checks that the key is the certificate's.
pub fn read_certified_key(files: &TlsFiles) -> Result<CertifiedKey, TlsError> {
    let (key_path, cert_path) = (&files.key, &files.cert);
    let certs = CertificateDer::pem_file_iter(cert_path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TlsError::Pem {
            what: "certificate",
            path: cert_path.clone(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(cert_path.clone()));
    }
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|source| TlsError::Pem {
        what: "private key",
        path: key_path.clone(),
        source,
    })?;
    CertifiedKey::from_der(certs, key, &super::provider()).map_err(|source| TlsError::Pair {
        key: key_path.clone(),
        cert: cert_path.clone(),
        source,
    })
}

/// "subject CN=example.org, expires 2027-02-24 12:00:00 UTC" for the log.
fn describe(key: &CertifiedKey) -> String {
    let Some(der) = key.cert.first() else {
        return "(empty chain)".into();
    };
    match x509_parser::parse_x509_certificate(der.as_ref()) {
        Ok((_, cert)) => format!(
            "subject {}, expires {}",
            cert.subject(),
            cert.validity().not_after
        ),
        Err(e) => format!("(unparsed certificate: {e})"),
    }
}
