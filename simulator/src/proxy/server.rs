//! The listener, the client connections, and shutdown.
//!
//! Tasks: one accept loop, and one task per client connection, which it owns in a `JoinSet`.
//! Everything a connection does — forwarding, driving the target connection, a CONNECT tunnel —
//! runs inside that connection's task, so stopping the accept loop and draining its `JoinSet`
//! accounts for every task the proxy ever started.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};

use super::body::ProxyBody;
use super::event::{ClockFn, EventSink, Recorder};
use super::tunnel::{self, PendingTunnel};
use super::{AllowList, Authority, ProxyHops, forward};

/// How long a client may take to send a complete request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest request head (request line and fields) the proxy reads; a larger one is answered
/// `431 Request Header Fields Too Large` and the connection closed.
pub const MAX_REQUEST_HEAD_BYTES: usize = 64 * 1024;

/// How long [`ProxyHandle::shutdown`] lets open exchanges finish before cutting them.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The simulated 連携サーバ, before it listens. See the [module docs](super) for what it does.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use renkei_simulator::clock::Clock;
/// use renkei_simulator::proxy::Proxy;
///
/// let clock = Clock::real();
/// let proxy = Proxy::new(
///     Arc::new(move || clock.now()),
///     Arc::new(|event| println!("{}", serde_json::to_string(&event).unwrap())),
/// )
/// .bind("127.0.0.1:0".parse().unwrap())
/// .await
/// .unwrap();
/// // The download API binds later; let it through once its address is known.
/// proxy.allow("127.0.0.1:8443".parse::<std::net::SocketAddr>().unwrap());
/// println!("HTTP_PROXY={}", proxy.url());
/// let report = proxy.shutdown().await;
/// assert_eq!(report.panicked, 0);
/// # }
/// ```
pub struct Proxy {
    clock: ClockFn,
    sink: EventSink,
    allow: AllowList,
    hops: ProxyHops,
    shutdown_grace: Duration,
}

impl Proxy {
    /// A proxy that reads the time from `clock` and records every request to `sink`. It allows
    /// nothing until told to.
    pub fn new(clock: ClockFn, sink: EventSink) -> Self {
        Self {
            clock,
            sink,
            allow: AllowList::new(),
            hops: ProxyHops::new(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }

    /// Lets `target` through (added to the current allow list).
    pub fn allow(self, target: impl Into<Authority>) -> Self {
        self.allow.allow(target);
        self
    }

    /// Uses `list` as the allow list, shared with whoever else holds it.
    pub fn with_allow_list(mut self, list: AllowList) -> Self {
        self.allow = list;
        self
    }

    /// Registers outbound connections in `hops`, shared with the origins that ask it (the
    /// download API), instead of a registry of its own.
    pub fn with_hops(mut self, hops: ProxyHops) -> Self {
        self.hops = hops;
        self
    }

    /// How long [`ProxyHandle::shutdown`] lets open exchanges finish ([`DEFAULT_SHUTDOWN_GRACE`]).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Listens on `addr` (port 0: any free port; [`ProxyHandle::local_addr`] says which) and
    /// starts serving.
    pub async fn bind(self, addr: SocketAddr) -> Result<ProxyHandle, BindError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| BindError { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| BindError { addr, source })?;
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            allow: self.allow.clone(),
            hops: self.hops.clone(),
            clock: self.clock,
            sink: self.sink,
            local,
        });
        tracing::info!(%local, "連携サーバ: 待ち受けを開始しました");
        let task = tokio::spawn(accept_loop(listener, shared, stopped, self.shutdown_grace));
        Ok(ProxyHandle {
            local,
            allow: self.allow,
            hops: self.hops,
            stop,
            task,
        })
    }
}

/// The proxy could not listen.
#[derive(Debug, thiserror::Error)]
#[error("連携サーバを {addr} で待ち受けられませんでした: {source}")]
pub struct BindError {
    pub addr: SocketAddr,
    #[source]
    pub source: std::io::Error,
}

/// A running proxy. Dropping it stops the proxy too (without waiting); [`ProxyHandle::shutdown`]
/// stops it and waits until every connection has ended.
#[derive(Debug)]
pub struct ProxyHandle {
    local: SocketAddr,
    allow: AllowList,
    hops: ProxyHops,
    /// `true` means stop. Dropped with the handle, which the tasks also read as stop.
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<ShutdownReport>,
}

impl ProxyHandle {
    /// The address the proxy listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The proxy's URL, as a client's `HTTP_PROXY` / `HTTPS_PROXY` takes it: `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", Authority::from(self.local))
    }

    /// Lets `target` through from now on. Returns whether it was newly added.
    pub fn allow(&self, target: impl Into<Authority>) -> bool {
        self.allow.allow(target)
    }

    /// Stops letting `target` through (open connections stay open). Returns whether it was
    /// allowed.
    pub fn disallow(&self, target: impl Into<Authority>) -> bool {
        self.allow.disallow(target)
    }

    /// The allow list, shared.
    pub fn allow_list(&self) -> AllowList {
        self.allow.clone()
    }

    /// The hop registry, shared: what the download API asks to tell proxied callers from direct
    /// ones.
    pub fn hops(&self) -> ProxyHops {
        self.hops.clone()
    }

    /// Stops accepting, lets open exchanges finish (idle keep-alive connections close at once;
    /// CONNECT tunnels are closed), cuts whatever is still running after the grace period, and
    /// returns when every connection task has ended.
    pub async fn shutdown(self) -> ShutdownReport {
        self.stop.send_replace(true);
        match self.task.await {
            Ok(report) => report,
            Err(e) => {
                // The accept loop itself does nothing that can panic; if it did, say so.
                tracing::error!(error = %e, "連携サーバ: 待ち受けタスクが異常終了しました");
                ShutdownReport {
                    connections: 0,
                    aborted: 0,
                    panicked: 1,
                }
            }
        }
    }
}

/// How the proxy's connections ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Client connections accepted over the proxy's life.
    pub connections: u64,
    /// Connections still running after the grace period, and cut.
    pub aborted: usize,
    /// Connection tasks that panicked (a bug: bad input must never panic).
    pub panicked: usize,
}

/// What every connection of one proxy shares.
pub(crate) struct Shared {
    pub allow: AllowList,
    pub hops: ProxyHops,
    pub clock: ClockFn,
    pub sink: EventSink,
    /// The proxy's own address, to recognise requests addressed to the proxy itself.
    pub local: SocketAddr,
}

impl Shared {
    /// Whether `target` is the proxy itself: a client that took the proxy for the download API.
    pub(crate) fn is_self(&self, target: &Authority) -> bool {
        if target.port() != self.local.port() {
            return false;
        }
        let ip = self.local.ip();
        match target.ip() {
            Some(target_ip) => {
                target_ip == ip
                    || (ip.is_unspecified()
                        && (target_ip.is_loopback() || target_ip.is_unspecified()))
            }
            None => target.host() == "localhost" && (ip.is_loopback() || ip.is_unspecified()),
        }
    }
}

/// One client connection.
pub(crate) struct ConnCtx {
    pub shared: Arc<Shared>,
    /// The SUT's address, as the proxy sees it.
    pub client: SocketAddr,
    /// A CONNECT the service accepted, to be run on this task once hyper hands the connection
    /// over. A std `Mutex`: set once by the service, taken once after the connection ends.
    tunnel: Mutex<Option<PendingTunnel>>,
}

impl ConnCtx {
    pub(crate) fn set_pending_tunnel(&self, pending: PendingTunnel) {
        *self.tunnel.lock().unwrap_or_else(|p| p.into_inner()) = Some(pending);
    }

    fn take_pending_tunnel(&self) -> Option<PendingTunnel> {
        self.tunnel.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Resolves when the proxy is told to stop (or its handle is gone).
pub(crate) async fn signalled(stop: &mut watch::Receiver<bool>) {
    // An error means the handle was dropped: that is a stop too.
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) -> ShutdownReport {
    let mut connections = JoinSet::new();
    let mut report = ShutdownReport {
        connections: 0,
        aborted: 0,
        panicked: 0,
    };
    loop {
        tokio::select! {
            biased;
            () = signalled(&mut stop) => break,
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                note_ended(ended, &mut report);
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, client)) => {
                    report.connections += 1;
                    connections.spawn(serve_client(stream, client, Arc::clone(&shared), stop.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: the listener stays usable. Pause
                    // briefly so a persistent error does not spin.
                    tracing::warn!(error = %e, "連携サーバ: 接続を受け付けられませんでした");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    tracing::info!(local = %shared.local, open = connections.len(), "連携サーバ: 停止します");
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        match tokio::time::timeout_at(deadline, connections.join_next()).await {
            Ok(Some(ended)) => note_ended(ended, &mut report),
            Ok(None) => break,
            Err(_) => {
                report.aborted = connections.len();
                tracing::warn!(
                    aborted = report.aborted,
                    "連携サーバ: 終わらない接続を切断します"
                );
                connections.abort_all();
                while let Some(ended) = connections.join_next().await {
                    if let Err(e) = ended
                        && e.is_panic()
                    {
                        report.panicked += 1;
                    }
                }
                break;
            }
        }
    }
    tracing::info!(local = %shared.local, ?report, "連携サーバ: 停止しました");
    report
}

fn note_ended(ended: Result<(), JoinError>, report: &mut ShutdownReport) {
    if let Err(e) = ended {
        if e.is_panic() {
            report.panicked += 1;
        }
        tracing::error!(error = %e, "連携サーバ: 接続タスクが異常終了しました");
    }
}

/// Serves one client connection: its requests, then its tunnel if it opened one.
async fn serve_client(
    stream: TcpStream,
    client: SocketAddr,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let ctx = Arc::new(ConnCtx {
        shared,
        client,
        tunnel: Mutex::new(None),
    });
    let service_ctx = Arc::clone(&ctx);
    let service = service_fn(move |req| {
        let ctx = Arc::clone(&service_ctx);
        async move { Ok::<_, Infallible>(handle(&ctx, req).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_REQUEST_HEAD_BYTES)
        .max_header_size(MAX_REQUEST_HEAD_BYTES);
    let conn = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    let served = tokio::select! {
        served = conn.as_mut() => served,
        () = signalled(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            conn.as_mut().await
        }
    };
    if let Err(e) = served {
        if e.is_parse() || e.is_parse_too_large() || e.is_timeout() {
            // Garbage, an oversized head, a stalled client: hyper has answered 400/431 (or
            // closed) already. Not a request, so no event; worth a line in the log.
            tracing::info!(%client, error = %e, "連携サーバ: 解釈できない入力のため接続を閉じました");
        } else {
            tracing::debug!(%client, error = %e, "連携サーバ: クライアントとの接続が異常終了しました");
        }
    }
    if let Some(pending) = ctx.take_pending_tunnel() {
        tunnel::run(pending, &mut stop).await;
    }
}

/// One request: CONNECT opens a tunnel, anything else is forwarded.
async fn handle(ctx: &ConnCtx, req: Request<Incoming>) -> Response<ProxyBody> {
    let recorder = Recorder::new(
        Arc::clone(&ctx.shared.sink),
        (ctx.shared.clock)(),
        ctx.client,
        req.method().as_str(),
    );
    if req.method() == Method::CONNECT {
        tunnel::handle(ctx, recorder, req).await
    } else {
        forward::handle(ctx, recorder, req).await
    }
}
