//! Proxy hops: which connections arriving at an origin were opened by the 連携サーバ.
//!
//! The download API must refuse a caller that did not come through the 連携サーバ (seed 001 §5 ①,
//! 図表12: 申請管理システム → ダウンロード機能 directly is 拒否). A header cannot prove that: a
//! client can forge one, and inside a CONNECT tunnel (TLS) the proxy cannot add one. But the
//! proxy and the download API run in one process, so the proxy can simply say which sockets are
//! its own.
//!
//! Every outbound connection the proxy opens is registered here, keyed by the socket's *local*
//! address — the address the origin sees as its peer — and removed when the socket is closed.
//! The origin asks [`ProxyHops::hop_for`] with the peer address of a connection: `Some` means
//! "came through the 連携サーバ, on behalf of this client", `None` means "direct".
//!
//! The entry exists before the origin can see the connection: the proxy binds the socket first
//! — to the source address the route to the target uses, port chosen by the OS — registers that
//! address, and only then connects. So an origin may ask as early as it likes, even the moment
//! it accepts. And the entry is gone before the socket closes, so a later socket that happens to
//! get the same address is never taken for this one.
//!
//! Why the key is unambiguous: a port the OS gives to an explicit bind is held by no other
//! socket, and is not handed to another process's `connect()` while it is held. Without the
//! explicit bind, Linux may reuse one local port for connections to different destinations.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::watch;

use super::Authority;

/// Identifies one outbound connection of the proxy, in the hop registry and in the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HopId(u64);

impl HopId {
    /// The number: hop ids count up from 1 in each registry.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for HopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hop-{}", self.0)
    }
}

/// What an outbound connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    /// One plain HTTP request (absolute-form), forwarded as an origin-form request.
    Http,
    /// A CONNECT tunnel: opaque bytes (TLS, in the real configuration).
    Tunnel,
}

/// One open outbound connection of the proxy, as the origin may ask about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopInfo {
    /// The hop, as named in the proxy's records ([`super::ProxyEvent::hop`]).
    pub id: HopId,
    /// Plain request or tunnel.
    pub kind: HopKind,
    /// The SUT's address as the proxy saw it: who asked for this connection.
    pub client: SocketAddr,
    /// The target as the client named it (and as the allow list matched it).
    pub target: Authority,
    /// The address the proxy connected to (the target, resolved).
    pub origin: SocketAddr,
    /// The outbound socket's local address: the peer address the origin sees. The registry key.
    pub local: SocketAddr,
    /// When the connection was opened, by the proxy's clock.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
}

/// The registry of the proxy's open outbound connections. Cheap to clone; all clones share it.
///
/// Create it first and hand it to both the download API and [`super::Proxy::with_hops`], or take
/// it from [`super::ProxyHandle::hops`].
///
/// ```
/// use renkei_simulator::proxy::ProxyHops;
///
/// let hops = ProxyHops::new();
/// let peer = "127.0.0.1:50000".parse().unwrap();
/// // A connection nobody registered did not come through the 連携サーバ.
/// assert!(hops.hop_for(peer).is_none());
/// assert!(hops.is_empty());
/// ```
#[derive(Clone)]
pub struct ProxyHops {
    inner: Arc<Inner>,
}

struct Inner {
    /// A std `Mutex`: held only to insert, remove or look up one entry, never across an await.
    /// A `HashMap` keyed by the local address: the origin's question is always "this peer?".
    table: Mutex<HashMap<SocketAddr, HopInfo>>,
    /// Ids count up and are never reused, so a stale guard can tell its entry from a newer one.
    next_id: AtomicU64,
    /// The number of open hops, for whoever waits on a condition (tests, the journal) rather than
    /// polling.
    open: watch::Sender<usize>,
}

impl Default for ProxyHops {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                table: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                open: watch::Sender::new(0),
            }),
        }
    }
}

impl fmt::Debug for ProxyHops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyHops")
            .field("open", &self.len())
            .finish()
    }
}

impl ProxyHops {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The hop whose outbound socket has local address `peer`: what an origin asks with the peer
    /// address of a connection. `None` means the connection did not come through the proxy (or
    /// it has been closed since).
    ///
    /// Ask any time while the connection is open, from the moment it is accepted: the entry is
    /// made before the proxy connects and removed just before its socket closes, which for a
    /// plain request is as soon as the response has been relayed.
    pub fn hop_for(&self, peer: SocketAddr) -> Option<HopInfo> {
        self.table().get(&canonical(peer)).cloned()
    }

    /// How many outbound connections are open.
    pub fn len(&self) -> usize {
        self.table().len()
    }

    /// Whether no outbound connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The open hops, oldest first.
    pub fn open_hops(&self) -> Vec<HopInfo> {
        let mut hops: Vec<HopInfo> = self.table().values().cloned().collect();
        hops.sort_by_key(|hop| hop.id);
        hops
    }

    /// The number of open hops, as a watch: `rx.wait_for(|open| *open == 0).await` waits until
    /// every outbound connection is closed.
    pub fn watch_len(&self) -> watch::Receiver<usize> {
        self.inner.open.subscribe()
    }

    /// Registers an outbound connection. The entry lives until the returned guard is dropped.
    pub(crate) fn open(&self, hop: NewHop) -> HopGuard {
        let id = HopId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let local = canonical(hop.local);
        let info = HopInfo {
            id,
            kind: hop.kind,
            client: hop.client,
            target: hop.target,
            origin: hop.origin,
            local,
            opened_at: hop.opened_at,
        };
        let mut table = self.table();
        if let Some(stale) = table.insert(local, info) {
            // Cannot happen while the OS keeps bound ports unique; if it does, the newer socket
            // is the one the origin is talking to.
            tracing::warn!(%local, stale = %stale.id, new = %id, "連携サーバ: 同じローカルアドレスの中継が残っていました");
        }
        self.inner.open.send_replace(table.len());
        HopGuard {
            hops: self.clone(),
            local,
            id,
        }
    }

    fn close(&self, local: SocketAddr, id: HopId) {
        let mut table = self.table();
        if table.get(&local).is_some_and(|hop| hop.id == id) {
            table.remove(&local);
        }
        self.inner.open.send_replace(table.len());
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, HopInfo>> {
        // Entries are inserted and removed whole; a panic elsewhere cannot leave one half-written.
        self.inner.table.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An origin listening on a dual-stack socket sees `[::ffff:127.0.0.1]:p` where the proxy's
/// socket says `127.0.0.1:p`: one address, one key.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// What the proxy knows when it has just connected.
pub(crate) struct NewHop {
    pub kind: HopKind,
    pub client: SocketAddr,
    pub target: Authority,
    pub origin: SocketAddr,
    pub local: SocketAddr,
    pub opened_at: OffsetDateTime,
}

/// Keeps one registry entry alive; dropping it removes the entry.
pub(crate) struct HopGuard {
    hops: ProxyHops,
    local: SocketAddr,
    id: HopId,
}

impl HopGuard {
    pub(crate) fn id(&self) -> HopId {
        self.id
    }
}

impl Drop for HopGuard {
    fn drop(&mut self) {
        self.hops.close(self.local, self.id);
    }
}
