//! 連携サーバ (simulated): the allow-listing forward proxy between the 申請管理システム and the
//! ぴったりサービス download function.
//!
//! In the standard configuration (seed 001 §5 ①, 図表12–14) the municipality's
//! 申請管理システム may not reach the download function directly: it sets the 連携サーバ in the
//! DMZ as its proxy (③-1), and the 連携サーバ connects to the download function and nothing else
//! (連携サーバ → その他LGWANサイト 拒否). renkei plays the 連携サーバ so that a vendor's system can
//! be checked: did it go through the proxy, and did it try to reach anything else?
//!
//! What it does (docs/renkei-server-proxy.md is the vendor-facing description):
//! - **Plain HTTP** in absolute form (`GET http://host:port/path`) is forwarded to an allowed
//!   target as origin-form, hop-by-hop fields removed, `Via: 1.1 renkei-renkei-server` added
//!   both ways, bodies streamed ([`forward`]).
//! - **CONNECT** `host:port` to an allowed target gets `200` and a byte tunnel ([`tunnel`]).
//! - Anything else is answered by the proxy itself with a JSON error: 403 `PROXY_DENIED`,
//!   400 `PROXY_BAD_REQUEST`, 502 `PROXY_UPSTREAM_UNREACHABLE` / `PROXY_UPSTREAM_ERROR`
//!   ([`ErrorCode`]).
//! - **Hops**: every outbound connection is registered in [`ProxyHops`] under the local address
//!   the target sees as its peer, for exactly as long as it is open, so the download API (in the
//!   same process) can tell a caller that came through the proxy from one that did not — for
//!   plain HTTP and for TLS inside a tunnel alike, which no header could do ([`hops`]).
//! - **Records**: every request produces one [`ProxyEvent`] to the [`EventSink`], stamped by the
//!   [`ClockFn`] (the simulator's clock), once the exchange is over. By the time an event is
//!   delivered, its hop is already closed.
//!
//! The allow list matches the target as the client named it (`host:port`, see [`Authority`]),
//! as the real one is configured by FQDN; it is changed at run time because the download API's
//! port is known only once it has bound.

mod allow;
mod authority;
mod body;
mod event;
mod forward;
mod hops;
mod rejection;
mod server;
mod tunnel;
mod upstream;

pub use allow::AllowList;
pub use authority::{Authority, AuthorityError};
pub use event::{ClockFn, Decision, EventSink, ProxyEvent};
pub use hops::{HopId, HopInfo, HopKind, ProxyHops};
pub use rejection::{
    BadRequestReason, ErrorBody, ErrorCode, denied_message, unreachable_message,
    upstream_error_message,
};
pub use server::{
    BindError, DEFAULT_SHUTDOWN_GRACE, HEADER_READ_TIMEOUT, MAX_REQUEST_HEAD_BYTES, Proxy,
    ProxyHandle, ShutdownReport,
};
pub use upstream::UPSTREAM_CONNECT_TIMEOUT;

/// The name the proxy gives itself in `Via` (RFC 9110 §7.6.3): renkei's 連携サーバ.
pub const VIA_PSEUDONYM: &str = "renkei-renkei-server";

/// An error and its causes on one line, for messages and records.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
