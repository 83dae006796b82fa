//! Connection targets, `host:port`, as the allow list, the hop registry and the records name them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A connection target, normalised so that two spellings of one target compare equal: the host is
/// lower-cased, an IP literal is in its canonical form (an IPv6 literal is kept without brackets
/// and printed with them), and the port is always explicit.
///
/// Matching is on this text, never on resolved addresses: the real 連携サーバ restricts its
/// outbound traffic by FQDN (seed 001 §5 ①-2, "FQDN指定等"), so `localhost:8080` and
/// `127.0.0.1:8080` are two different targets.
///
/// ```
/// use renkei_simulator::proxy::Authority;
///
/// let a: Authority = "Download.Example.LG.JP:443".parse().unwrap();
/// assert_eq!(a.to_string(), "download.example.lg.jp:443");
/// let v6: Authority = "[0:0::1]:8080".parse().unwrap();
/// assert_eq!(v6.to_string(), "[::1]:8080");
/// assert!("example.lg.jp".parse::<Authority>().is_err()); // the port is required
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Authority {
    /// Lower-case name or canonical IP literal, without brackets: one spelling per target.
    host: String,
    /// Never 0: nothing listens there, and a CONNECT to it is a client bug worth naming.
    port: u16,
}

impl Authority {
    /// A target from a host (name, IPv4 literal, or IPv6 literal with or without brackets) and a
    /// port.
    pub fn new(host: &str, port: u16) -> Result<Self, AuthorityError> {
        if port == 0 {
            return Err(AuthorityError::BadPort {
                port: port.to_string(),
            });
        }
        Ok(Self {
            host: canonical_host(host)?,
            port,
        })
    }

    /// Parses `host:port`, or `host` alone with `default_port` (80 for a `Host` header or an
    /// `http://` URL without a port).
    pub fn parse_with_default_port(text: &str, default_port: u16) -> Result<Self, AuthorityError> {
        Self::parse(text, Some(default_port))
    }

    fn parse(text: &str, default_port: Option<u16>) -> Result<Self, AuthorityError> {
        if text.is_empty() {
            return Err(AuthorityError::Empty);
        }
        let bad_host = || AuthorityError::BadHost {
            host: text.to_owned(),
        };
        // Split off the port. An IPv6 literal must be bracketed: its own colons would make the
        // port ambiguous. The brackets stay on the host, so `new` checks it is an IPv6 literal.
        let (host, port) = if text.starts_with('[') {
            let close = text.find(']').ok_or_else(bad_host)?;
            let (bracketed, after) = text.split_at(close + 1);
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or_else(bad_host)?),
            };
            (bracketed, port)
        } else {
            match text.split_once(':') {
                Some((_, after)) if after.contains(':') => return Err(bad_host()),
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            }
        };
        let port = match (port, default_port) {
            (Some(port), _) => parse_port(port)?,
            (None, Some(default)) => default,
            (None, None) => return Err(AuthorityError::MissingPort),
        };
        Self::new(host, port)
    }

    /// The host: a lower-case name or a canonical IP literal (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host as an IP address, if it is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

fn parse_port(text: &str) -> Result<u16, AuthorityError> {
    match text.parse::<u16>() {
        Ok(port) if port != 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(port),
        _ if text.is_empty() => Err(AuthorityError::MissingPort),
        _ => Err(AuthorityError::BadPort {
            port: text.to_owned(),
        }),
    }
}

fn canonical_host(host: &str) -> Result<String, AuthorityError> {
    let bad = || AuthorityError::BadHost {
        host: host.to_owned(),
    };
    let bare = match host.strip_prefix('[') {
        Some(rest) => {
            let inside = rest.strip_suffix(']').ok_or_else(bad)?;
            return inside
                .parse::<Ipv6Addr>()
                .map(|ip| ip.to_string())
                .map_err(|_| bad());
        }
        None => host,
    };
    if let Ok(ip) = bare.parse::<Ipv6Addr>() {
        return Ok(ip.to_string());
    }
    if let Ok(ip) = bare.parse::<Ipv4Addr>() {
        return Ok(ip.to_string());
    }
    let name = bare.to_ascii_lowercase();
    let name_ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if name_ok { Ok(name) } else { Err(bad()) }
}

impl FromStr for Authority {
    type Err = AuthorityError;

    /// Parses `host:port`; the port is required.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text, None)
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl From<SocketAddr> for Authority {
    /// The target a server bound to `addr` is reached at by address (not by name).
    fn from(addr: SocketAddr) -> Self {
        Self {
            host: addr.ip().to_string(),
            // Port 0 is never a bound address; if it is passed anyway, keep the type's promise.
            port: addr.port().max(1),
        }
    }
}

impl Serialize for Authority {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Authority {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a text is not a connection target. The message completes the sentence
/// 「接続先「…」が不正です: 」 that the 連携サーバ answers with (docs/renkei-server-proxy.md).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    #[error("空です")]
    Empty,
    #[error("ホスト:ポート の形ではありません")]
    NotHostPort,
    #[error("ポート番号がありません (ホスト:ポート の形で指定してください)")]
    MissingPort,
    #[error("ポート番号「{port}」が 1〜65535 の整数ではありません")]
    BadPort { port: String },
    #[error(
        "ホスト名「{host}」が不正です (英数字と「-」「_」「.」からなる名前、IPv4 アドレス、または [ ] で囲んだ IPv6 アドレスを指定してください)"
    )]
    BadHost { host: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_target_are_equal() {
        let a: Authority = "LocalHost:8080".parse().unwrap();
        let b = Authority::new("localhost", 8080).unwrap();
        assert_eq!(a, b);
        let v6: Authority = "[::0001]:443".parse().unwrap();
        assert_eq!(v6, Authority::new("::1", 443).unwrap());
        assert_eq!(v6.to_string(), "[::1]:443");
        assert_eq!(
            Authority::from("127.0.0.1:9000".parse::<SocketAddr>().unwrap()).to_string(),
            "127.0.0.1:9000"
        );
    }

    #[test]
    fn default_port_applies_only_when_missing() {
        let a = Authority::parse_with_default_port("example.lg.jp", 80).unwrap();
        assert_eq!(a.port(), 80);
        let b = Authority::parse_with_default_port("example.lg.jp:8080", 80).unwrap();
        assert_eq!(b.port(), 8080);
        let c = Authority::parse_with_default_port("[::1]", 80).unwrap();
        assert_eq!(c.to_string(), "[::1]:80");
    }

    #[test]
    fn bad_targets_say_what_is_wrong() {
        assert_eq!("".parse::<Authority>(), Err(AuthorityError::Empty));
        assert_eq!(
            "example.lg.jp".parse::<Authority>(),
            Err(AuthorityError::MissingPort)
        );
        assert_eq!(
            "example.lg.jp:".parse::<Authority>(),
            Err(AuthorityError::MissingPort)
        );
        for port in ["0", "65536", "+80", "http"] {
            assert_eq!(
                format!("example.lg.jp:{port}").parse::<Authority>(),
                Err(AuthorityError::BadPort { port: port.into() }),
                "{port}"
            );
        }
        for text in [
            "::1:80",
            "[::1",
            "[::1]x",
            "[nothost]:80",
            "a..b:80",
            "ex ample:80",
        ] {
            assert!(
                matches!(
                    text.parse::<Authority>(),
                    Err(AuthorityError::BadHost { .. })
                ),
                "{text}"
            );
        }
        assert!(matches!(
            "user@example.lg.jp:80".parse::<Authority>(),
            Err(AuthorityError::BadHost { .. })
        ));
    }

    #[test]
    fn serde_is_the_display_text() {
        let a: Authority = "example.lg.jp:443".parse().unwrap();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"example.lg.jp:443\"");
        assert_eq!(serde_json::from_str::<Authority>(&json).unwrap(), a);
        assert!(serde_json::from_str::<Authority>("\"nope\"").is_err());
    }
}
