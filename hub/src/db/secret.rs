//! Random secrets (tokens, codes, session ids) and the hashes the database keeps of them.

use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Bytes of randomness in every secret: 256 bits, beyond any guessing.
const SECRET_BYTES: usize = 32;

/// A new secret: 32 random bytes from the operating system, as 64 lowercase hex characters
/// (URL-safe, header-safe, cookie-safe).
///
/// The OS generator and not the hub's seeded RNG: a secret must be unpredictable even to
/// someone who knows the seed.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut bytes);
    to_hex(&bytes)
}

/// A new JupyterHub session id: a random (version 4) UUID as 32 lowercase hex characters,
/// the form `jupyterhub-singleuser` expects in the `jupyterhub-session-id` cookie.
///
/// Not a credential (it is sent in a plain cookie and shown by `GET /hub/api/user`): it
/// names the login session that OAuth tokens were issued in, so logout can revoke them.
pub(crate) fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    // RFC 9562: version 4 in the high nibble of byte 6, variant 0b10 in byte 8.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    to_hex(&bytes)
}

/// The SHA-256 of a secret, as hex. A plain unsalted hash is enough here (unlike for
/// passwords): every secret carries 256 random bits, so there is nothing to brute-force, and
/// an unsalted hash lets a secret be looked up by an index on its hash.
pub(crate) fn hash_secret(secret: &str) -> String {
    to_hex(&Sha256::digest(secret.as_bytes()))
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_64_hex_chars_and_differ() {
        let a = new_secret();
        let b = new_secret();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn session_ids_are_uuid4_hex() {
        let id = new_session_id();
        assert_eq!(id.len(), 32);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(&id[12..13], "4", "version 4: {id}");
        assert!(
            matches!(&id[16..17], "8" | "9" | "a" | "b"),
            "variant: {id}"
        );
        assert_ne!(id, new_session_id());
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
