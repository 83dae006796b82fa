//! What every simulated HTTP interface shares: the error body, the request size limit, and the
//! journal layer that records each exchange.
//!
//! Errors are JSON with a stable ASCII `code` a program can branch on and a Japanese `message`
//! a person can read (docs list every code per interface):
//!
//! ```json
//! {"code": "TOKEN_EXPIRED", "message": "認証トークンの有効期限が切れています。再度ログインしてください。"}
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::Serialize;

use crate::clock::Clock;
use crate::journal::{Caller, Journal, Record, System};
use crate::proxy::ProxyHops;

/// An error as a vendor's system receives it.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    /// Stable, ASCII, documented: what a program branches on.
    pub code: &'static str,
    /// Japanese, for a person: what was wrong and where.
    pub message: String,
    /// The item the error is about (a field, a 受付番号…), where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The account the request was authenticated as before it failed (for the journal only).
    #[serde(skip)]
    pub account: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            target: None,
            account: None,
        }
    }

    /// Names the account the request was authenticated as, so the journal shows who failed.
    pub fn by(mut self, account: &str) -> Self {
        self.account = Some(account.to_owned());
        self
    }

    /// Names the item the error is about.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).expect("error bodies serialise");
        let mut response = (self.status, body).into_response();
        if let Some(account) = self.account {
            response.extensions_mut().insert(AuthenticatedAs(account));
        }
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

/// Marks a response to be cut short on the wire: the handler gives the bytes that get through,
/// and the connection closes after them although `announced` bytes were promised (an injected
/// dropped download). Applied by [`record`] after the exchange is recorded, so the journal shows
/// what was sent.
#[derive(Debug, Clone, Copy)]
pub struct CutShort {
    pub announced: usize,
}

/// The account a handler authenticated the request as; put into the response's extensions so
/// the journal can name the caller.
#[derive(Debug, Clone)]
pub struct AuthenticatedAs(pub String);

/// What the journal layer needs: where to record, which system it is, the clock, and the proxy
/// hops (to tell a request that came through the 連携サーバ from a direct one).
#[derive(Clone)]
pub struct Recording {
    pub journal: Journal,
    pub system: System,
    pub clock: Clock,
    pub hops: Option<ProxyHops>,
    /// Largest request body accepted, in bytes; larger ones get `413 REQUEST_TOO_LARGE`.
    pub max_request_bytes: usize,
}

/// The 連携サーバ hop a peer address belongs to, as request extension: set by [`record`] so
/// handlers can refuse direct callers.
#[derive(Debug, Clone, Copy)]
pub struct ProxyHop(pub Option<u64>);

/// Axum middleware: reads the request body (refusing oversized ones), runs the handler, and
/// records the exchange. Bodies are held in memory; they are bounded by `max_request_bytes`
/// on the way in, and responses of the simulators are bounded by what they serve.
pub async fn record(
    State(recording): State<Arc<Recording>>,
    request: Request,
    next: Next,
) -> Response {
    let at = recording.clock.now();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let hop = peer.and_then(|peer| {
        recording
            .hops
            .as_ref()
            .and_then(|hops| hops.hop_for(peer))
            .map(|info| info.id.get())
    });
    let method = request.method().to_string();
    let route = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    );

    let (mut parts, body) = request.into_parts();
    let (request_bytes, response) =
        match axum::body::to_bytes(body, recording.max_request_bytes).await {
            Ok(bytes) => {
                parts.extensions.insert(ProxyHop(hop));
                let request = Request::from_parts(parts, Body::from(bytes.clone()));
                (bytes, next.run(request).await)
            }
            Err(_) => (
                Bytes::new(),
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "REQUEST_TOO_LARGE",
                    format!(
                        "リクエストの本文が上限 {} バイトを超えています。",
                        recording.max_request_bytes
                    ),
                )
                .into_response(),
            ),
        };

    let (parts, body) = response.into_parts();
    let response_bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            tracing::warn!(%error, "response body failed while recording");
            Bytes::new()
        }
    };
    let account = parts
        .extensions
        .get::<AuthenticatedAs>()
        .map(|a| a.0.clone());
    recording.journal.record(Record {
        at,
        system: recording.system,
        caller: Caller {
            peer: peer.map(|p| p.to_string()),
            account,
            proxy_hop: hop,
        },
        method: &method,
        route: &route,
        status: parts.status.as_u16(),
        request_body: request_bytes,
        response_body: response_bytes.clone(),
    });
    match parts.extensions.get::<CutShort>().copied() {
        None => Response::from_parts(parts, Body::from(response_bytes)),
        Some(CutShort { announced }) => {
            // A stream (no exact size) that stalls after the bytes, then fails: the stall lets
            // hyper flush what was sent, the failure closes the connection short of `announced`
            // — as a dropped download looks to the client.
            let mut parts = parts;
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(announced));
            use futures_util::StreamExt;
            let sent = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(response_bytes)]);
            let dropped = futures_util::stream::once(async {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "injected fault: connection dropped",
                ))
            });
            let chunks = sent.chain(dropped);
            Response::from_parts(parts, Body::from_stream(chunks))
        }
    }
}
