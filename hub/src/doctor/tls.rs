//! TLS files: each certificate/key pair the deployment names — `hub.ssl_cert`/`ssl_key`,
//! and the `--ssl-cert`/`--ssl-key` and `--api-ssl-cert`/`--api-ssl-key` given to
//! hub-proxy in `proxy.command` (where HTTPS is served today). The certificate must parse and be valid now and for the next 14 days;
//! the key must be private and match the certificate.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::Finding;
use crate::config::HubConfig;
use crate::serve::secrets::{is_private, private_fix};

/// A certificate expiring within this long is a WARN: time to renew it.
const RENEW_WITHIN_DAYS: i64 = 14;

pub(super) fn check(config: &HubConfig, now: DateTime<Utc>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let (Some(cert), Some(key)) = (&config.hub.ssl_cert, &config.hub.ssl_key) {
        findings.extend(pair("tls: hub", cert, key, now));
        findings.push(Finding::fail(
            "tls: hub listener",
            "hub serve does not serve HTTPS itself yet and refuses hub.ssl_cert/ssl_key",
            "remove them and give hub-proxy the files: proxy.command = [\"hub-proxy\", \"--ssl-cert\", CERT, \"--ssl-key\", KEY]",
        ));
    }
    let command = &config.proxy.command;
    if let Some((cert, key)) = proxy_files(command, "--ssl-cert", "--ssl-key") {
        findings.extend(pair("tls: hub-proxy", &cert, &key, now));
    }
    if let Some((cert, key)) = proxy_files(command, "--api-ssl-cert", "--api-ssl-key") {
        findings.extend(pair("tls: hub-proxy API", &cert, &key, now));
    }
    findings
}

/// `CERT_FLAG FILE`/`KEY_FLAG FILE` (or `CERT_FLAG=FILE`) in the proxy's argv.
fn proxy_files(command: &[String], cert_flag: &str, key_flag: &str) -> Option<(PathBuf, PathBuf)> {
    let value = |flag: &str| {
        command.iter().enumerate().find_map(|(i, word)| {
            if word == flag {
                command.get(i + 1).map(PathBuf::from)
            } else {
                word.strip_prefix(flag)
                    .and_then(|rest| rest.strip_prefix('='))
                    .map(PathBuf::from)
            }
        })
    };
    Some((value(cert_flag)?, value(key_flag)?))
}

/// The certificate's finding and the key's.
fn pair(check: &str, cert: &Path, key: &Path, now: DateTime<Utc>) -> [Finding; 2] {
    let cert_check = format!("{check} certificate");
    let key_check = format!("{check} key");
    let (cert_finding, spki) = match certificate(&cert_check, cert, now) {
        Ok((finding, spki)) => (finding, Some(spki)),
        Err(finding) => (finding, None),
    };
    let key_finding = private_key(&key_check, key, cert, spki.as_deref());
    [cert_finding, key_finding]
}

/// Parses the first certificate of `path`: its validity, and its public key (DER of the
/// SubjectPublicKeyInfo) for the key check.
fn certificate(
    check: &str,
    path: &Path,
    now: DateTime<Utc>,
) -> Result<(Finding, Vec<u8>), Finding> {
    let replace = format!("put the PEM certificate (chain) in {}", path.display());
    let der = match CertificateDer::pem_file_iter(path).map(|mut certs| certs.next()) {
        Ok(Some(Ok(der))) => der,
        Ok(None) => {
            return Err(Finding::fail(
                check,
                format!("{} holds no PEM certificate", path.display()),
                replace,
            ))
        }
        Ok(Some(Err(e))) | Err(e) => {
            return Err(Finding::fail(
                check,
                format!("cannot read {}: {e}", path.display()),
                replace,
            ))
        }
    };
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).map_err(|e| {
        Finding::fail(
            check,
            format!("{} is not a valid X.509 certificate: {e}", path.display()),
            replace.clone(),
        )
    })?;
    let validity = cert.validity();
    let not_after = DateTime::from_timestamp(validity.not_after.timestamp(), 0);
    let not_before = DateTime::from_timestamp(validity.not_before.timestamp(), 0);
    let spki = cert.public_key().raw.to_vec();
    let (Some(not_before), Some(not_after)) = (not_before, not_after) else {
        return Err(Finding::fail(
            check,
            format!("{}: validity dates out of range", path.display()),
            replace,
        ));
    };
    let renew = format!("renew the certificate in {}", path.display());
    let finding = if now > not_after {
        Finding::fail(
            check,
            format!(
                "{} expired on {}",
                path.display(),
                not_after.format("%Y-%m-%d")
            ),
            renew,
        )
    } else if now < not_before {
        Finding::fail(
            check,
            format!(
                "{} is not valid before {} (check the clock)",
                path.display(),
                not_before.format("%Y-%m-%d")
            ),
            "check this machine's clock, or reissue the certificate",
        )
    } else if not_after - now < Duration::days(RENEW_WITHIN_DAYS) {
        Finding::warn(
            check,
            format!(
                "{} expires on {} ({} days left)",
                path.display(),
                not_after.format("%Y-%m-%d"),
                (not_after - now).num_days()
            ),
            renew,
        )
    } else {
        Finding::ok(
            check,
            format!(
                "{} valid until {}",
                path.display(),
                not_after.format("%Y-%m-%d")
            ),
        )
    };
    Ok((finding, spki))
}

/// The key file: private (the secrets rule), parseable, and the certificate's pair.
fn private_key(check: &str, path: &Path, cert: &Path, cert_spki: Option<&[u8]>) -> Finding {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions().mode(),
        Err(e) => {
            return Finding::fail(
                check,
                format!("cannot read {}: {e}", path.display()),
                format!("put the PEM private key in {}", path.display()),
            )
        }
    };
    if !is_private(mode) {
        return Finding::fail(
            check,
            format!(
                "{} is readable by others (mode {:o})",
                path.display(),
                mode & 0o777
            ),
            private_fix(path),
        );
    }
    let der = match PrivateKeyDer::from_pem_file(path) {
        Ok(der) => der,
        Err(e) => {
            return Finding::fail(
                check,
                format!("{} holds no usable PEM private key: {e}", path.display()),
                format!("put the PEM private key in {}", path.display()),
            )
        }
    };
    let Some(cert_spki) = cert_spki else {
        return Finding::ok(
            check,
            format!(
                "{} is private; the certificate is not readable to match it",
                path.display()
            ),
        );
    };
    let public = rustls::crypto::ring::sign::any_supported_type(&der)
        .ok()
        .and_then(|key| key.public_key().map(|spki| spki.as_ref().to_vec()));
    match public {
        Some(public) if public == cert_spki => Finding::ok(
            check,
            format!("{} is private and matches the certificate", path.display()),
        ),
        Some(_) => Finding::fail(
            check,
            format!("{} is not the key of {}", path.display(), cert.display()),
            "put the certificate's own key there (or the key's certificate in the cert file)",
        ),
        None => Finding::warn(
            check,
            format!(
                "{} is private; its kind of key cannot be matched here",
                path.display()
            ),
            format!(
                "check it by hand: `openssl x509 -noout -pubkey -in {}` against the key's",
                cert.display()
            ),
        ),
    }
}
