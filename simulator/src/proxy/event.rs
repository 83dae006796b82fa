//! The record of what the 連携サーバ saw: one [`ProxyEvent`] per request, to a sink.

use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Authority, HopId};

/// Where the proxy reads the time: the simulator's clock (`Arc::new(move || clock.now())`), so a
/// scenario's virtual time stamps the records.
pub type ClockFn = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Where the proxy delivers its records: the simulator's journal. Called on the proxy's tasks,
/// once per request, so it should return promptly (push to a channel or a store, not await).
pub type EventSink = Arc<dyn Fn(ProxyEvent) + Send + Sync>;

/// What the proxy decided about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The target is on the allow list and the proxy connected to it; `status` is the target's.
    Allowed,
    /// The target is not on the allow list: 403 `PROXY_DENIED`, nothing sent anywhere.
    Denied,
    /// The request could not be forwarded as sent: 400 `PROXY_BAD_REQUEST`.
    BadRequest,
    /// The target is allowed but could not be connected to: 502 `PROXY_UPSTREAM_UNREACHABLE`.
    UpstreamUnreachable,
    /// The target accepted the connection but gave no valid response: 502 `PROXY_UPSTREAM_ERROR`.
    UpstreamError,
}

/// One request the proxy saw, and what became of it.
///
/// Recorded when the exchange is over (the response relayed, the tunnel closed, or the client
/// gone), so that the byte counts are final. Unparseable input (garbage, an oversized head, a
/// client gone before its head was complete) is not a request and produces no event; it is
/// logged with `tracing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyEvent {
    /// When the request arrived, by the proxy's clock.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The SUT's address as the proxy saw it.
    pub client: SocketAddr,
    /// The request method (`GET`, `CONNECT`, …).
    pub method: String,
    /// The target the request named, when it named a valid one.
    pub target: Option<Authority>,
    /// Path and query of a plain HTTP request; `None` for CONNECT.
    pub path: Option<String>,
    /// What the proxy decided.
    pub decision: Decision,
    /// The status the proxy answered with: the target's for an allowed plain request, 200 for an
    /// established tunnel, the proxy's own otherwise. `None` if the exchange ended before there
    /// was one.
    pub status: Option<u16>,
    /// Payload bytes relayed client → target (request body, or tunnel bytes). `None` when
    /// nothing was relayed.
    pub bytes_up: Option<u64>,
    /// Payload bytes relayed target → client (response body, or tunnel bytes). `None` when
    /// nothing was relayed.
    pub bytes_down: Option<u64>,
    /// The outbound connection used, when one was opened (see [`super::ProxyHops`]).
    pub hop: Option<HopId>,
    /// What went wrong, for people: an upstream that broke off, a client that left. Not a stable
    /// interface.
    pub detail: Option<String>,
}

/// Said when an exchange ends without the proxy finishing it (its future was dropped).
pub(crate) const ENDED_BEFORE_RESPONSE: &str =
    "応答を返す前に接続が終わりました (クライアントの切断、または連携サーバの停止)";
pub(crate) const ENDED_DURING_BODY: &str =
    "応答本文の途中で接続が終わりました (クライアントの切断、または連携サーバの停止)";

/// Builds one event as an exchange goes on and delivers it exactly once: when finished, or —
/// if the exchange is abandoned (client gone, proxy stopped) — when dropped.
pub(crate) struct Recorder {
    sink: EventSink,
    /// `None` once delivered.
    event: Option<ProxyEvent>,
}

impl Recorder {
    pub(crate) fn new(
        sink: EventSink,
        at: OffsetDateTime,
        client: SocketAddr,
        method: &str,
    ) -> Self {
        Self {
            sink,
            event: Some(ProxyEvent {
                at,
                client,
                method: method.to_owned(),
                target: None,
                path: None,
                decision: Decision::Allowed,
                status: None,
                bytes_up: None,
                bytes_down: None,
                hop: None,
                detail: None,
            }),
        }
    }

    /// The event being built.
    pub(crate) fn event(&mut self) -> &mut ProxyEvent {
        self.event
            .as_mut()
            .expect("a Recorder is used only until it delivers")
    }

    /// Delivers the event.
    pub(crate) fn finish(mut self) {
        self.deliver();
    }

    fn deliver(&mut self) {
        if let Some(event) = self.event.take() {
            let target = event.target.as_ref().map(ToString::to_string);
            tracing::info!(
                client = %event.client,
                method = %event.method,
                target = target.as_deref().unwrap_or("-"),
                path = event.path.as_deref().unwrap_or("-"),
                decision = ?event.decision,
                status = ?event.status,
                bytes_up = ?event.bytes_up,
                bytes_down = ?event.bytes_down,
                hop = ?event.hop.map(|hop| hop.get()),
                detail = event.detail.as_deref().unwrap_or("-"),
                "連携サーバ: 要求を記録しました"
            );
            (self.sink)(event);
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(event) = self.event.as_mut() {
            event
                .detail
                .get_or_insert_with(|| ENDED_BEFORE_RESPONSE.to_owned());
        }
        self.deliver();
    }
}
