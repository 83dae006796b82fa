//! Opening the proxy's outbound connections, each registered as a hop for as long as it is open.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

use super::Authority;
use super::hops::{HopGuard, HopId, HopKind, NewHop};
use super::server::Shared;

/// How long resolving and connecting to a target may take before the proxy answers 502
/// `PROXY_UPSTREAM_UNREACHABLE`. Loopback targets answer or refuse at once; this bounds a
/// black-holed address.
pub const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes relayed on one outbound connection, readable after the stream itself has been handed to
/// hyper or to a tunnel (and after a tunnel was cut short by shutdown).
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    /// Written to the target: client → target.
    up: AtomicU64,
    /// Read from the target: target → client.
    down: AtomicU64,
}

impl Traffic {
    pub(crate) fn up(&self) -> u64 {
        self.up.load(Ordering::Relaxed)
    }

    pub(crate) fn down(&self) -> u64 {
        self.down.load(Ordering::Relaxed)
    }
}

/// An outbound connection that is registered as a hop for exactly as long as it exists.
pub(crate) struct HopStream {
    /// Declared before `stream` so that it drops first: the entry is gone before the socket is
    /// closed, so no later socket can ever be mistaken for this one.
    hop: HopGuard,
    stream: TcpStream,
    traffic: Arc<Traffic>,
}

impl HopStream {
    pub(crate) fn hop(&self) -> HopId {
        self.hop.id()
    }

    pub(crate) fn traffic(&self) -> Arc<Traffic> {
        Arc::clone(&self.traffic)
    }
}

/// Resolves `target`, connects, and registers the connection as a hop of `client`.
///
/// The error text is shown to the client (in `PROXY_UPSTREAM_UNREACHABLE`) and recorded.
pub(crate) async fn connect(
    shared: &Shared,
    target: &Authority,
    client: SocketAddr,
    kind: HopKind,
) -> Result<HopStream, String> {
    let deadline = tokio::time::Instant::now() + UPSTREAM_CONNECT_TIMEOUT;
    let timed_out = || {
        format!(
            "{} 秒以内に接続できませんでした",
            UPSTREAM_CONNECT_TIMEOUT.as_secs()
        )
    };
    let addrs: Vec<SocketAddr> = match tokio::time::timeout_at(
        deadline,
        tokio::net::lookup_host((target.host(), target.port())),
    )
    .await
    {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(e)) => return Err(format!("名前を解決できませんでした ({e})")),
        Err(_) => return Err(timed_out()),
    };
    let mut last_error = String::from("名前を解決しましたがアドレスがありませんでした");
    for origin in addrs {
        let (socket, local) = match bound_socket(origin).await {
            Ok(bound) => bound,
            Err(e) => {
                last_error = format!("{origin}: {e}");
                continue;
            }
        };
        // Registered before connecting: an origin that looks its peer up the moment it accepts,
        // before reading a byte, already finds the hop.
        let hop = shared.hops.open(NewHop {
            kind,
            client,
            target: target.clone(),
            origin,
            local,
            opened_at: (shared.clock)(),
        });
        match tokio::time::timeout_at(deadline, socket.connect(origin)).await {
            Ok(Ok(stream)) => {
                // Nagle would hold back small writes (response heads, TLS records) for no gain.
                let _ = stream.set_nodelay(true);
                tracing::debug!(hop = %hop.id(), %client, %target, %origin, %local, "連携サーバ: 接続先への接続を開きました");
                return Ok(HopStream {
                    hop,
                    stream,
                    traffic: Arc::default(),
                });
            }
            Ok(Err(e)) => last_error = format!("{origin}: {e}"),
            Err(_) => return Err(timed_out()),
        }
    }
    Err(last_error)
}

/// A socket bound to the address the connection to `origin` will have, before it connects.
///
/// The source IP is the one the route to `origin` uses (asked of the OS by "connecting" a UDP
/// socket, which sends nothing); the port is chosen by the OS on an explicit bind, so no other
/// socket holds it and no other process's `connect()` is given it while it is held (see the
/// module docs of `hops`). With both known, the hop can be registered under exactly the address
/// the origin will see.
async fn bound_socket(origin: SocketAddr) -> io::Result<(TcpSocket, SocketAddr)> {
    let any = if origin.is_ipv4() {
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
    };
    let probe = UdpSocket::bind(any).await?;
    probe.connect(origin).await?;
    let source = probe.local_addr()?.ip();
    let socket = if origin.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(source, 0))?;
    let local = socket.local_addr()?;
    Ok((socket, local))
}

impl AsyncRead for HopStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let read = (buf.filled().len() - before) as u64;
            this.traffic.down.fetch_add(read, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for HopStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = polled {
            this.traffic.up.fetch_add(written as u64, Ordering::Relaxed);
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = polled {
            this.traffic.up.fetch_add(written as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
