//! Shared by the `proxy_*` tests: a proxy with a recording sink and a frozen clock, origins that
//! report what they saw (including whether the peer is a proxy hop), raw-socket clients.
//!
//! Every wait here is on a condition with a deadline; nothing sleeps.

#![allow(dead_code)] // each test file uses its own subset

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use renkei_simulator::clock::Clock;
use renkei_simulator::proxy::{HopInfo, Proxy, ProxyEvent, ProxyHandle, ProxyHops};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How long any awaited condition may take before the test fails (instead of hanging).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The virtual time every test proxy stamps its records with.
pub const NOW: OffsetDateTime = datetime!(2026-04-06 21:30 +09:00);

/// Awaits `fut`, failing the test if it takes longer than [`DEADLINE`].
pub async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(DEADLINE, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out waiting for: {what}"),
    }
}

/// A proxy on a free loopback port, with its records in a channel.
pub struct TestProxy {
    pub handle: ProxyHandle,
    pub events: mpsc::UnboundedReceiver<ProxyEvent>,
}

impl TestProxy {
    pub async fn start() -> Self {
        Self::start_with(|proxy| proxy).await
    }

    pub async fn start_with(configure: impl FnOnce(Proxy) -> Proxy) -> Self {
        let clock = Clock::frozen(NOW);
        let (tx, events) = mpsc::unbounded_channel();
        let proxy = Proxy::new(
            Arc::new(move || clock.now()),
            Arc::new(move |event| {
                let _ = tx.send(event);
            }),
        );
        let handle = configure(proxy)
            .bind("127.0.0.1:0".parse().unwrap())
            .await
            .expect("the proxy binds to a free loopback port");
        Self { handle, events }
    }

    pub fn addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// The next record.
    pub async fn next_event(&mut self) -> ProxyEvent {
        within("a proxy event", self.events.recv())
            .await
            .expect("the proxy is running, so its sink is alive")
    }

    /// Asserts that nothing more was recorded. Only meaningful once every exchange is known to be
    /// over (e.g. after shutdown).
    pub fn assert_no_more_events(&mut self) {
        if let Ok(event) = self.events.try_recv() {
            panic!("unexpected event: {event:?}");
        }
    }

    /// A reqwest client that uses this proxy for every URL (how vendors' clients are set up).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .proxy(reqwest::Proxy::all(self.handle.url()).unwrap())
            .build()
            .unwrap()
    }

    /// Stops the proxy and checks that every connection ended on its own, without a panic.
    pub async fn shutdown_cleanly(self) -> mpsc::UnboundedReceiver<ProxyEvent> {
        let report = within("proxy shutdown", self.handle.shutdown()).await;
        assert_eq!(report.panicked, 0, "{report:?}");
        assert_eq!(report.aborted, 0, "{report:?}");
        self.events
    }
}

/// What `/whoami` on a test origin answers: what a download API would know about its caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Whoami {
    pub peer: SocketAddr,
    /// `hops.hop_for(peer)`, asked when the request arrived: did it come through the 連携サーバ?
    pub hop: Option<HopInfo>,
    pub method: String,
    pub path: String,
    pub host: Option<String>,
    pub via: Vec<String>,
    pub header_names: Vec<String>,
}

/// One request a test origin received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub peer: SocketAddr,
    pub hop: Option<HopInfo>,
    pub path: String,
}

/// A tiny hyper origin that reports its peer and asks the hop registry about it, as the download
/// API does.
///
/// Routes: `/whoami`; `/bytes/N` (N pattern bytes, with Content-Length); `/chunked/N` (the same,
/// chunked); `/gated` (a body the test feeds through [`Origin::gate`]); `POST /upload` (answers
/// the byte count and checksum of what it read).
pub struct Origin {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub connections: Arc<AtomicUsize>,
    gate: Arc<Mutex<Option<mpsc::Receiver<Bytes>>>>,
}

impl Origin {
    pub async fn start(hops: ProxyHops) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Mutex::new(None));
        let state = OriginState {
            hops,
            seen: Arc::clone(&seen),
            gate: Arc::clone(&gate),
        };
        let counter = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(state.respond(peer, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            seen,
            connections,
            gate,
        }
    }

    /// The sender that feeds the next `/gated` response, chunk by chunk; dropping it ends the
    /// body.
    pub fn gate(&self) -> mpsc::Sender<Bytes> {
        let (tx, rx) = mpsc::channel(1);
        *self.gate.lock().unwrap() = Some(rx);
        tx
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

#[derive(Clone)]
struct OriginState {
    hops: ProxyHops,
    seen: Arc<Mutex<Vec<Seen>>>,
    gate: Arc<Mutex<Option<mpsc::Receiver<Bytes>>>>,
}

type OriginBody = BoxBody<Bytes, Infallible>;

impl OriginState {
    async fn respond(&self, peer: SocketAddr, req: Request<Incoming>) -> Response<OriginBody> {
        let hop = self.hops.hop_for(peer);
        let path = req.uri().path().to_owned();
        self.seen.lock().unwrap().push(Seen {
            peer,
            hop: hop.clone(),
            path: path.clone(),
        });
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            ["whoami"] => {
                let header = |name: &str| {
                    req.headers()
                        .get_all(name)
                        .iter()
                        .map(|v| v.to_str().unwrap().to_owned())
                        .collect::<Vec<_>>()
                };
                let whoami = Whoami {
                    peer,
                    hop,
                    method: req.method().to_string(),
                    path: req.uri().to_string(),
                    host: header("host").into_iter().next(),
                    via: header("via"),
                    header_names: req.headers().keys().map(|k| k.to_string()).collect(),
                };
                json(&whoami)
            }
            ["bytes", n] => Response::builder()
                .header("content-length", n.to_string())
                .body(PatternBody::new(n.parse().unwrap(), true).boxed())
                .unwrap(),
            ["chunked", n] => Response::new(PatternBody::new(n.parse().unwrap(), false).boxed()),
            ["gated"] => {
                let rx = self.gate.lock().unwrap().take().expect("gate() was called");
                Response::new(ChannelBody(rx).boxed())
            }
            ["upload"] => {
                let mut body = req.into_body();
                let mut count = 0u64;
                let mut checksum = Checksum::default();
                while let Some(frame) = body.frame().await {
                    let Ok(frame) = frame else {
                        return status(StatusCode::BAD_REQUEST);
                    };
                    if let Some(data) = frame.data_ref() {
                        count += data.len() as u64;
                        checksum.add(data);
                    }
                }
                json(&serde_json::json!({ "bytes": count, "checksum": checksum.0 }))
            }
            _ => status(StatusCode::NOT_FOUND),
        }
    }
}

fn json<T: Serialize>(value: &T) -> Response<OriginBody> {
    Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(value).unwrap())).boxed())
        .unwrap()
}

fn status(code: StatusCode) -> Response<OriginBody> {
    Response::builder()
        .status(code)
        .body(Full::new(Bytes::new()).boxed())
        .unwrap()
}

/// The byte at `offset` of every pattern body: recognisable, not periodic in powers of two.
pub fn pattern_byte(offset: u64) -> u8 {
    (offset % 251) as u8
}

/// A body of `remaining` pattern bytes, made as it is read (never held whole).
struct PatternBody {
    offset: u64,
    remaining: u64,
    exact: bool,
}

impl PatternBody {
    fn new(len: u64, exact: bool) -> Self {
        Self {
            offset: 0,
            remaining: len,
            exact,
        }
    }
}

impl Body for PatternBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let len = this.remaining.min(64 * 1024);
        let chunk: Vec<u8> = (this.offset..this.offset + len).map(pattern_byte).collect();
        this.offset += len;
        this.remaining -= len;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        if self.exact {
            SizeHint::with_exact(self.remaining)
        } else {
            SizeHint::default()
        }
    }
}

/// A body the test feeds chunk by chunk.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

/// A running checksum (Fletcher-style), enough to tell a reordered or corrupted stream.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checksum(pub u64);

impl Checksum {
    pub fn add(&mut self, data: &[u8]) {
        for &b in data {
            self.0 = self.0.wrapping_mul(31).wrapping_add(u64::from(b));
        }
    }

    pub fn of_pattern(len: u64) -> u64 {
        let mut sum = Checksum::default();
        let bytes: Vec<u8> = (0..len).map(pattern_byte).collect();
        sum.add(&bytes);
        sum.0
    }
}

/// A raw TCP echo server that first writes one line saying whether the peer is a proxy hop
/// (`hop <id> <client>` or `direct`), then echoes until EOF.
pub struct Echo {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
}

impl Echo {
    pub async fn start(hops: ProxyHops) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        tokio::spawn(async move {
            while let Ok((mut stream, peer)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let hops = hops.clone();
                tokio::spawn(async move {
                    let line = match hops.hop_for(peer) {
                        Some(hop) => format!("hop {} {}\n", hop.id.get(), hop.client),
                        None => "direct\n".to_owned(),
                    };
                    if stream.write_all(line.as_bytes()).await.is_err() {
                        return;
                    }
                    let (mut read, mut write) = stream.split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                    let _ = write.shutdown().await;
                });
            }
        });
        Self { addr, connections }
    }
}

/// A raw TCP origin that reads one request head and answers with `reply` verbatim, then closes.
/// For upstreams that misbehave.
pub async fn scripted_origin(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = read_head(&mut stream).await;
                let _ = stream.write_all(reply).await;
                // Dropped here: the connection closes, whatever the reply promised.
            });
        }
    });
    addr
}

/// A raw TCP origin that reads one request head and then never answers (a hung download API).
pub async fn silent_origin() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = read_head(&mut stream).await;
                // Hold the connection open, silent, until the peer closes it.
                let mut rest = Vec::new();
                let _ = stream.read_to_end(&mut rest).await;
            });
        }
    });
    addr
}

/// An address nothing listens on (bound once, then released).
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// Reads up to and including the blank line that ends a head.
pub async fn read_head(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    Ok(head)
}

/// A response read off a raw socket.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&self.body));
        })
    }
}

/// Parses a response that ends at EOF (the request said `Connection: close`, or the proxy
/// closed).
pub fn parse_response(raw: &[u8]) -> RawResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (n, v) = line.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).unwrap(), 16).unwrap();
        raw = &raw[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// Sends `request` on a fresh connection to `proxy` and reads the response until the proxy
/// closes. Returns the response and the client's own address (what the proxy records).
pub async fn raw_exchange(proxy: SocketAddr, request: &[u8]) -> (RawResponse, SocketAddr) {
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let local = stream.local_addr().unwrap();
    stream.write_all(request).await.unwrap();
    let mut raw = Vec::new();
    within(
        "the proxy to answer and close",
        stream.read_to_end(&mut raw),
    )
    .await
    .unwrap();
    (parse_response(&raw), local)
}

/// The JSON body of a proxy error, as text, for exact comparison.
pub fn error_json(code: &str, message: &str, target: Option<&str>) -> String {
    serde_json::json!({ "code": code, "message": message, "target": target }).to_string()
}
