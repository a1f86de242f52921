//! Secrets handed to clients: API tokens (`dj_…`, shown once) and session
//! cookie values. Only their SHA-256 is stored, so a copy of the database
//! cannot be used to sign in. The secrets are 32 random bytes, so a plain
//! SHA-256 (not a slow password hash) is enough: there is nothing to guess.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every API token starts with this, so a leaked one is easy to recognise
/// (secret scanners, logs) and easy to tell from a session cookie.
pub const TOKEN_PREFIX: &str = "dj_";
/// Random bytes in a token or session secret.
pub const SECRET_BYTES: usize = 32;
/// Characters of a token kept in clear to identify it in lists (`dj_` + 8).
pub const SHOWN_PREFIX_CHARS: usize = 11;

/// A fresh secret: what the client gets once, and what is stored.
#[derive(Clone)]
pub struct Secret {
    /// The value given to the client; never stored or logged.
    pub plain: String,
    /// SHA-256 (hex) of `plain`.
    pub hash: String,
}

/// Debug output never shows the secret itself.
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("plain", &"<redacted>")
            .field("hash", &self.hash)
            .finish()
    }
}

fn random_text() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new API token `dj_<base64url of 32 random bytes>`.
pub fn new_api_token() -> Secret {
    let plain = format!("{TOKEN_PREFIX}{}", random_text());
    Secret {
        hash: sha256_hex(&plain),
        plain,
    }
}

/// A new session cookie value.
pub fn new_session_secret() -> Secret {
    let plain = random_text();
    Secret {
        hash: sha256_hex(&plain),
        plain,
    }
}

/// A random token for double-submit CSRF checks (stored as is: it only
/// matters together with the session cookie).
pub fn new_csrf_token() -> String {
    random_text()
}

/// A random password for accounts created without one (22 characters).
pub fn new_password() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `s` has the shape of an API token (checked before any lookup).
pub fn looks_like_api_token(s: &str) -> bool {
    s.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Whether `s` has the shape of a session cookie value.
pub fn looks_like_session_secret(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The part of a token kept in clear (`dj_AbCdEfGh`).
pub fn shown_prefix(plain: &str) -> String {
    plain.chars().take(SHOWN_PREFIX_CHARS).collect()
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_documented_shape_and_a_matching_hash() {
        let t = new_api_token();
        assert!(t.plain.starts_with("dj_"));
        assert!(looks_like_api_token(&t.plain), "{}", t.plain);
        assert_eq!(t.hash, sha256_hex(&t.plain));
        assert_eq!(t.hash.len(), 64);
        assert_eq!(shown_prefix(&t.plain).len(), SHOWN_PREFIX_CHARS);
        assert_ne!(new_api_token().plain, t.plain);
    }

    #[test]
    fn session_secrets_are_not_tokens() {
        let s = new_session_secret();
        assert!(looks_like_session_secret(&s.plain));
        assert!(!looks_like_api_token(&s.plain));
        assert!(!looks_like_api_token("dj_short"));
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
