//! CONNECT: a byte tunnel to an allowed target, for HTTPS (seed 001 §5 ③-1: the 申請管理システム
//! reaches the download function with the 連携サーバ set as its proxy).
//!
//! The tunnel runs on the client connection's own task after hyper hands the connection over,
//! so it ends with that task and nothing is left behind.

use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper::{Request, Response, Uri};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;

use super::body::ProxyBody;
use super::event::Recorder;
use super::hops::HopKind;
use super::rejection::{BadRequestReason, Rejection};
use super::server::{ConnCtx, signalled};
use super::upstream::{self, HopStream};
use super::{Authority, AuthorityError, describe};

/// Recorded when the proxy's shutdown cuts a tunnel.
const TUNNEL_STOPPED: &str = "連携サーバの停止によりトンネルを閉じました";

/// An accepted CONNECT, waiting for hyper to hand over the client connection.
pub(crate) struct PendingTunnel {
    upstream: HopStream,
    on_upgrade: OnUpgrade,
    recorder: Recorder,
}

/// Handles a CONNECT: decides, connects, and answers 200 — or refuses.
pub(crate) async fn handle(
    ctx: &ConnCtx,
    mut recorder: Recorder,
    mut req: Request<Incoming>,
) -> Response<ProxyBody> {
    let target = match target_of(req.uri()) {
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
    // Connect before answering: an unreachable target is a 502, not a tunnel to nowhere.
    let upstream = match upstream::connect(&ctx.shared, &target, ctx.client, HopKind::Tunnel).await
    {
        Ok(upstream) => upstream,
        Err(cause) => return Rejection::UpstreamUnreachable { target, cause }.answer(recorder),
    };
    let event = recorder.event();
    event.hop = Some(upstream.hop());
    event.status = Some(200);
    ctx.set_pending_tunnel(PendingTunnel {
        upstream,
        on_upgrade: hyper::upgrade::on(&mut req),
        recorder,
    });
    Response::new(ProxyBody::empty())
}

/// The request-target of a CONNECT must be authority-form: `host:port` and nothing else.
fn target_of(uri: &Uri) -> Result<Authority, (BadRequestReason, Option<String>)> {
    let raw = uri.to_string();
    let bad = |why| {
        let reason = BadRequestReason::BadConnectTarget {
            target: raw.clone(),
            why,
        };
        (reason, Some(raw.clone()))
    };
    let authority_form =
        uri.scheme().is_none() && uri.path_and_query().is_none_or(|pq| pq.as_str().is_empty());
    match uri.authority() {
        Some(authority) if authority_form => authority.as_str().parse().map_err(bad),
        _ => Err(bad(AuthorityError::NotHostPort)),
    }
}

/// Relays bytes both ways until both sides have closed, the client connection fails, or the
/// proxy shuts down; then records the tunnel with its byte counts.
pub(crate) async fn run(pending: PendingTunnel, shutdown: &mut watch::Receiver<bool>) {
    let PendingTunnel {
        upstream,
        on_upgrade,
        mut recorder,
    } = pending;
    let traffic = upstream.traffic();
    let detail = tokio::select! {
        upgraded = on_upgrade => match upgraded {
            Ok(upgraded) => relay(upgraded, upstream, shutdown).await,
            Err(e) => {
                drop(upstream);
                Some(format!(
                    "トンネルを開く前にクライアントとの接続が切れました: {}",
                    describe(&e)
                ))
            }
        },
        () = signalled(shutdown) => {
            drop(upstream);
            Some(TUNNEL_STOPPED.to_owned())
        }
    };
    let event = recorder.event();
    event.bytes_up = Some(traffic.up());
    event.bytes_down = Some(traffic.down());
    if detail.is_some() {
        event.detail = detail;
    }
    recorder.finish();
}

/// The relay itself. Returns what went wrong, if anything; the target connection (and its hop)
/// is closed when it returns.
async fn relay(
    upgraded: hyper::upgrade::Upgraded,
    mut upstream: HopStream,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<String> {
    let mut client = TokioIo::new(upgraded);
    tokio::select! {
        copied = tokio::io::copy_bidirectional(&mut client, &mut upstream) => match copied {
            Ok(_) => None,
            Err(e) => {
                tracing::debug!(error = %e, "連携サーバ: トンネルが異常終了しました");
                Some(format!("トンネルが異常終了しました: {e}"))
            }
        },
        () = signalled(shutdown) => Some(TUNNEL_STOPPED.to_owned()),
    }
}
