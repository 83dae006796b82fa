//! Plain HTTP through the proxy: absolute-form in, origin-form out (RFC 9112 §3.2.2), with the
//! hop-by-hop fields removed and a `Via` added in both directions (RFC 9110 §7.6).

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{HOST, HeaderMap, HeaderName, HeaderValue, VIA};
use hyper::http::uri::{self, PathAndQuery};
use hyper::{Request, Response, Uri, Version};
use hyper_util::rt::TokioIo;

use super::body::{ForwardBody, ProxyBody, RequestBody, RequestStats};
use super::event::Recorder;
use super::hops::HopKind;
use super::rejection::{BadRequestReason, Rejection};
use super::server::ConnCtx;
use super::{Authority, VIA_PSEUDONYM, describe, upstream};

/// Fields that describe one connection, not the message, and never travel on (RFC 9110 §7.6.1),
/// plus the proxy's own authentication fields (RFC 9110 §11.7), which are for this hop only.
const HOP_BY_HOP: [HeaderName; 8] = [
    hyper::header::CONNECTION,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("keep-alive"),
    hyper::header::TE,
    hyper::header::TRANSFER_ENCODING,
    hyper::header::UPGRADE,
    hyper::header::PROXY_AUTHORIZATION,
    hyper::header::PROXY_AUTHENTICATE,
];

/// Handles a request that is not CONNECT.
pub(crate) async fn handle(
    ctx: &ConnCtx,
    mut recorder: Recorder,
    req: Request<Incoming>,
) -> Response<ProxyBody> {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", PathAndQuery::as_str)
        .to_owned();
    recorder.event().path = Some(path.clone());
    let target = match target_of(&req, &path) {
        Ok(target) => target,
        Err((reason, raw)) => return Rejection::bad_request(reason, raw).answer(recorder),
    };
    recorder.event().target = Some(target.clone());
    if ctx.shared.is_self(&target) {
        let reason = BadRequestReason::ToProxyItself {
            target: target.to_string(),
        };
        return Rejection::bad_request(reason, Some(target.to_string())).answer(recorder);
    }
    if !ctx.shared.allow.is_allowed(&target) {
        return Rejection::Denied { target }.answer(recorder);
    }
    let stats = Arc::new(RequestStats::default());
    let outbound = outbound_request(req, &target, Arc::clone(&stats));
    forward(ctx, recorder, outbound, target, stats).await
}

/// Where a plain request goes: the absolute-form URL, or else the `Host` header.
fn target_of(
    req: &Request<Incoming>,
    path: &str,
) -> Result<Authority, (BadRequestReason, Option<String>)> {
    let uri = req.uri();
    match uri.scheme_str() {
        Some(scheme) if scheme.eq_ignore_ascii_case("http") => {
            let raw = uri.authority().map_or("", uri::Authority::as_str);
            Authority::parse_with_default_port(raw, 80).map_err(|why| {
                let reason = BadRequestReason::BadTarget {
                    target: raw.to_owned(),
                    why,
                };
                (reason, Some(raw.to_owned()))
            })
        }
        Some(scheme) => Err((
            BadRequestReason::UnsupportedScheme {
                scheme: scheme.to_owned(),
            },
            uri.authority().map(ToString::to_string),
        )),
        None => match req.headers().get(HOST) {
            None => Err((
                BadRequestReason::NoTarget {
                    path: path.to_owned(),
                },
                None,
            )),
            Some(value) => {
                let raw = String::from_utf8_lossy(value.as_bytes()).into_owned();
                Authority::parse_with_default_port(&raw, 80).map_err(|why| {
                    let reason = BadRequestReason::BadTarget {
                        target: raw.clone(),
                        why,
                    };
                    (reason, Some(raw))
                })
            }
        },
    }
}

/// The request as the target gets it: origin-form, `Host` set to the target, hop-by-hop fields
/// removed, our `Via` added, the body relayed as it arrives.
fn outbound_request(
    req: Request<Incoming>,
    target: &Authority,
    stats: Arc<RequestStats>,
) -> Request<RequestBody> {
    let (parts, body) = req.into_parts();
    let mut origin_form = uri::Parts::default();
    origin_form.path_and_query = Some(
        parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/")),
    );
    let origin_form =
        Uri::from_parts(origin_form).expect("a path and query alone is a valid origin-form URI");
    let mut headers = parts.headers;
    strip_hop_by_hop(&mut headers);
    // RFC 9112 §3.2.2: a proxy forwarding absolute-form replaces Host with the target's.
    let host = HeaderValue::try_from(target.to_string())
        .expect("an Authority prints as ASCII letters, digits and - . _ : [ ]");
    headers.insert(HOST, host);
    add_via(&mut headers, parts.version);

    let mut outbound = Request::new(RequestBody::new(body, stats));
    *outbound.method_mut() = parts.method;
    *outbound.uri_mut() = origin_form;
    *outbound.version_mut() = Version::HTTP_11;
    *outbound.headers_mut() = headers;
    outbound
}

/// Connects to the allowed target, sends the request and relays the response head; the body
/// follows as the client reads it.
async fn forward(
    ctx: &ConnCtx,
    mut recorder: Recorder,
    outbound: Request<RequestBody>,
    target: Authority,
    stats: Arc<RequestStats>,
) -> Response<ProxyBody> {
    let stream = match upstream::connect(&ctx.shared, &target, ctx.client, HopKind::Http).await {
        Ok(stream) => stream,
        Err(cause) => return Rejection::UpstreamUnreachable { target, cause }.answer(recorder),
    };
    recorder.event().hop = Some(stream.hop());
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    {
        Ok(pair) => pair,
        Err(e) => {
            let cause = describe(&e);
            return Rejection::UpstreamError { target, cause }.answer(recorder);
        }
    };
    let mut conn = Box::pin(conn);
    let mut conn_done = false;
    let sent = sender.send_request(outbound);
    tokio::pin!(sent);
    // The connection has no task of its own: drive it here until the response head arrives.
    let result = loop {
        tokio::select! {
            biased;
            result = &mut sent => break result,
            result = conn.as_mut(), if !conn_done => {
                conn_done = true;
                if let Err(e) = result {
                    tracing::debug!(error = %describe(&e), %target, "連携サーバ: 接続先との接続が応答前に終わりました");
                }
            }
        }
    };
    drop(sender);
    match result {
        Ok(response) => {
            recorder.event().status = Some(response.status().as_u16());
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            add_via(&mut parts.headers, parts.version);
            parts.version = Version::HTTP_11;
            let conn = (!conn_done).then_some(conn);
            let body = ForwardBody::new(body, conn, recorder, stats);
            Response::from_parts(parts, ProxyBody::Forward(Box::new(body)))
        }
        Err(e) => {
            // Close the target connection (and its hop) before the exchange is recorded.
            drop(conn);
            recorder.event().bytes_up = Some(stats.bytes());
            if stats.broken() {
                let reason = BadRequestReason::IncompleteBody;
                Rejection::bad_request(reason, Some(target.to_string())).answer(recorder)
            } else {
                let cause = describe(&e);
                Rejection::UpstreamError { target, cause }.answer(recorder)
            }
        }
    }
}

/// Removes the fields that belong to one connection: those named in `Connection`, and the
/// standard hop-by-hop fields (RFC 9110 §7.6.1).
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
        .collect();
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
}

/// Adds `Via: <received protocol> renkei-renkei-server` (RFC 9110 §7.6.3).
pub(crate) fn add_via(headers: &mut HeaderMap, received: Version) {
    let protocol = match received {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    };
    let value = HeaderValue::try_from(format!("{protocol} {VIA_PSEUDONYM}"))
        .expect("a protocol version and an ASCII pseudonym form a valid header value");
    headers.append(VIA, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_options_and_standard_hop_fields_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "connection",
            HeaderValue::from_static("keep-alive, X-Secret"),
        );
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("proxy-connection", HeaderValue::from_static("keep-alive"));
        headers.insert("te", HeaderValue::from_static("trailers"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert("upgrade", HeaderValue::from_static("websocket"));
        headers.insert(
            "proxy-authorization",
            HeaderValue::from_static("Basic eA=="),
        );
        headers.insert("accept", HeaderValue::from_static("application/zip"));
        headers.insert("content-length", HeaderValue::from_static("10"));
        strip_hop_by_hop(&mut headers);
        let mut left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["accept", "content-length"]);
    }

    #[test]
    fn via_names_the_received_protocol() {
        let mut headers = HeaderMap::new();
        headers.insert(VIA, HeaderValue::from_static("1.1 sut-gateway"));
        add_via(&mut headers, Version::HTTP_10);
        let via: Vec<&str> = headers
            .get_all(VIA)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(via, ["1.1 sut-gateway", "1.0 renkei-renkei-server"]);
    }
}
