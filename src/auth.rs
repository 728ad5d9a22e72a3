//! Bearer tokens: the admin token for calls that change things, the read
//! token (when configured) for the rest. Compared in constant time, never logged.

use std::fmt;
use std::path::Path;

use tonic::metadata::MetadataMap;

/// What a call needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading: the read token when one is configured (the admin token also works).
    Read,
    /// Changing things: the admin token.
    Admin,
}

/// Why a call was refused (mapped to a status in `status.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No bearer token was presented.
    #[error("missing bearer token in the authorization metadata")]
    Missing,
    /// The token is neither of the configured ones.
    #[error("invalid token")]
    Invalid,
    /// The read token was presented for a call that changes things.
    #[error("this call needs the admin token; the read token was given")]
    NeedsAdmin,
}

/// The configured tokens.
#[derive(Clone)]
pub struct Tokens {
    admin: String,
    read: Option<String>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("admin", &"<redacted>")
            .field("read", &self.read.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Tokens {
    /// Tokens from the environment (first) or files; the admin token is required.
    pub fn load(
        admin_env: Option<String>,
        admin_file: Option<&Path>,
        read_env: Option<String>,
        read_file: Option<&Path>,
    ) -> Result<Self, String> {
        let admin = token(admin_env, admin_file, "admin")?.ok_or_else(|| {
            "no admin token: set TABLESAFE_ADMIN_TOKEN or auth.admin_token_file".to_string()
        })?;
        let read = token(read_env, read_file, "read")?;
        if read
            .as_deref()
            .is_some_and(|r| constant_time_eq(r.as_bytes(), admin.as_bytes()))
        {
            return Err(
                "the read token equals the admin token: a reader could change things; give them different tokens"
                    .into(),
            );
        }
        Ok(Self { admin, read })
    }

    /// Tokens given directly.
    pub fn new(admin: impl Into<String>, read: Option<String>) -> Self {
        Self {
            admin: admin.into(),
            read,
        }
    }

    /// Whether `candidate` is the admin token.
    pub fn admin_matches(&self, candidate: &str) -> bool {
        constant_time_eq(candidate.as_bytes(), self.admin.as_bytes())
    }

    /// Whether a read token is configured.
    pub fn read_required(&self) -> bool {
        self.read.is_some()
    }

    /// Checks the `authorization` metadata of a call needing `access`.
    pub fn check(&self, metadata: &MetadataMap, access: Access) -> Result<(), AuthError> {
        let presented = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let is_admin = presented.is_some_and(|t| self.admin_matches(t));
        let is_reader = presented
            .zip(self.read.as_deref())
            .is_some_and(|(t, r)| constant_time_eq(t.as_bytes(), r.as_bytes()));
        match access {
            _ if is_admin => Ok(()),
            Access::Read if is_reader || self.read.is_none() => Ok(()),
            Access::Admin if is_reader => Err(AuthError::NeedsAdmin),
            _ if presented.is_none() => Err(AuthError::Missing),
            _ => Err(AuthError::Invalid),
        }
    }
}

fn token(env: Option<String>, file: Option<&Path>, which: &str) -> Result<Option<String>, String> {
    let raw = match (env, file) {
        (Some(value), _) => value,
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {which} token file {}: {e}", path.display()))?,
        (None, None) => return Ok(None),
    };
    let value = raw.trim();
    if value.is_empty() {
        return Err(format!("the {which} token is empty"));
    }
    // It travels in an HTTP header: visible ASCII only, or no client can send it.
    if let Some(bad) = value.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "the {which} token has a character a bearer token cannot carry ({:?}): use visible ASCII, no spaces",
            bad
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    fn meta(value: Option<&str>) -> MetadataMap {
        let mut m = MetadataMap::new();
        if let Some(v) = value {
            m.insert("authorization", v.parse().unwrap());
        }
        m
    }

    #[test]
    fn admin_read_and_missing_tokens() {
        let tokens = Tokens::new("adm", Some("rd".into()));
        let code = |v: Option<&str>, a: Access| {
            tokens
                .check(&meta(v), a)
                .err()
                .map(|e| tonic::Status::from(e).code())
        };
        assert_eq!(code(Some("Bearer adm"), Access::Admin), None);
        assert_eq!(code(Some("Bearer adm"), Access::Read), None);
        assert_eq!(code(Some("Bearer rd"), Access::Read), None);
        assert_eq!(
            code(Some("Bearer rd"), Access::Admin),
            Some(Code::PermissionDenied)
        );
        assert_eq!(
            code(Some("Bearer nope"), Access::Admin),
            Some(Code::Unauthenticated)
        );
        assert_eq!(
            code(Some("Bearer nope"), Access::Read),
            Some(Code::Unauthenticated)
        );
        assert_eq!(code(None, Access::Read), Some(Code::Unauthenticated));
        assert_eq!(
            code(Some("adm"), Access::Admin),
            Some(Code::Unauthenticated)
        );
        let open = Tokens::new("adm", None);
        assert!(open.check(&meta(None), Access::Read).is_ok());
        assert_eq!(
            tonic::Status::from(open.check(&meta(None), Access::Admin).unwrap_err()).code(),
            Code::Unauthenticated
        );
    }

    #[test]
    fn constant_time_comparison_is_exact() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(format!("{:?}", Tokens::new("secret", None)).contains("redacted"));
        assert!(!format!("{:?}", Tokens::new("secret", None)).contains("secret"));
    }
}
