//! The allow list: the only targets the 連携サーバ connects to (seed 001 §5 ①, 図表12 and 図表13).

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use super::Authority;

/// The targets the proxy lets through, shared and changeable while it runs.
///
/// In the standard configuration this holds exactly one entry, the ぴったりサービス download
/// function; every other LGWAN site is denied. The download API binds after the proxy in many
/// set-ups (its port is chosen by the OS), so the list is filled in at run time.
///
/// ```
/// use renkei_simulator::proxy::AllowList;
///
/// let list = AllowList::new();
/// let api: std::net::SocketAddr = "127.0.0.1:8443".parse().unwrap();
/// assert!(list.allow(api));
/// assert!(list.is_allowed(&api.into()));
/// assert!(list.disallow(api));
/// assert!(list.entries().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    /// A std `RwLock`: every request reads it once and never holds it across an await; writes
    /// are rare (set-up). A `BTreeSet` so that [`AllowList::entries`] lists in a stable order.
    entries: Arc<RwLock<BTreeSet<Authority>>>,
}

impl AllowList {
    /// An empty list: everything is denied.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets `target` through. Returns whether it was newly added.
    pub fn allow(&self, target: impl Into<Authority>) -> bool {
        let target = target.into();
        tracing::info!(%target, "連携サーバ: 接続先を許可します");
        self.write().insert(target)
    }

    /// Stops letting `target` through (connections already open stay open). Returns whether it
    /// was on the list.
    pub fn disallow(&self, target: impl Into<Authority>) -> bool {
        let target = target.into();
        tracing::info!(%target, "連携サーバ: 接続先の許可を取り消します");
        self.write().remove(&target)
    }

    /// Whether `target` is let through.
    pub fn is_allowed(&self, target: &Authority) -> bool {
        self.read().contains(target)
    }

    /// The allowed targets, in order.
    pub fn entries(&self) -> Vec<Authority> {
        self.read().iter().cloned().collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeSet<Authority>> {
        // A set is never left half-modified by a panic in insert/remove of owned values.
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeSet<Authority>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }
}
