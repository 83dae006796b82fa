//! アクセスキー: how the 既存住基システム of a 団体 proves which 団体 it is.
//!
//! One key per 団体, given when the service is built and sent as `Authorization: Bearer <key>`.
//! The real link between a 既存住基システム and its CS runs on the 住基ネット's own network with
//! its own certificates; mutual TLS comes in a later issue (docs/jukinet-cs-api.md「認証」).

use std::fmt;

/// A 団体's access key: 16 to 256 characters of the RFC 6750 `b64token` alphabet
/// (`A–Z a–z 0–9 - . _ ~ + /`, then any number of `=`), so that it can be sent as a Bearer
/// token as it is.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccessKey(String);

impl AccessKey {
    /// Shortest key accepted: a guessable key would make the 団体 isolation a formality.
    pub const MIN_LEN: usize = 16;
    /// Longest key accepted.
    pub const MAX_LEN: usize = 256;

    /// A key, checked against the alphabet and the length.
    pub fn new(key: impl Into<String>) -> Result<Self, AccessKeyError> {
        let key = key.into();
        let length = key.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&length) {
            return Err(AccessKeyError::Length { length });
        }
        let body = key.trim_end_matches('=');
        if let Some(found) = body
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-._~+/".contains(*c)))
        {
            return Err(AccessKeyError::Character { found });
        }
        if body.is_empty() {
            return Err(AccessKeyError::Character { found: '=' });
        }
        Ok(Self(key))
    }

    /// The key as sent after `Bearer `.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares in time that depends only on the lengths, not on where the texts differ.
    pub(super) fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The key is a secret: neither `Debug` nor a log line shows it.
impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey(***)")
    }
}

/// Why a text cannot be an access key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessKeyError {
    #[error(
        "アクセスキーは{min}〜{max}文字です ({length}文字でした)",
        min = AccessKey::MIN_LEN,
        max = AccessKey::MAX_LEN
    )]
    Length { length: usize },
    #[error(
        "アクセスキーに使えない文字「{found}」があります (使えるのは半角英数字と - . _ ~ + /、末尾の =)"
    )]
    Character { found: char },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bearer_tokens_of_some_length() {
        assert!(AccessKey::new("chiyoda-0123456789abcdef").is_ok());
        assert!(AccessKey::new("AbCdEfGhIjKlMnOp+/==").is_ok());
        assert_eq!(
            AccessKey::new("short"),
            Err(AccessKeyError::Length { length: 5 })
        );
        assert_eq!(
            AccessKey::new("has a space in it!"),
            Err(AccessKeyError::Character { found: ' ' })
        );
        assert_eq!(
            AccessKey::new("================"),
            Err(AccessKeyError::Character { found: '=' })
        );
        assert_eq!(
            format!("{:?}", AccessKey::new("chiyoda-0123456789abcdef").unwrap()),
            "AccessKey(***)"
        );
    }

    #[test]
    fn matching_is_exact() {
        let key = AccessKey::new("chiyoda-0123456789abcdef").unwrap();
        assert!(key.matches("chiyoda-0123456789abcdef"));
        assert!(!key.matches("chiyoda-0123456789abcdeF"));
        assert!(!key.matches("chiyoda-0123456789abcde"));
        assert!(!key.matches(""));
    }
}
