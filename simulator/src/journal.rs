//! The record of every exchange with the simulators: what the runner's verdicts stand on.
//!
//! Each simulated system appends one [`Exchange`] per request it answers (and the 連携サーバ one
//! per request it sees). The journal is bounded: it keeps the newest `capacity` exchanges and
//! counts what it dropped, and bodies are cut at `body_limit` bytes, so a weeks-long 機関間テスト
//! cannot grow it without limit. A dropped exchange is reported as such (`dropped` in
//! [`JournalPage`]), never silently missing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde::Serialize;
use time::OffsetDateTime;

/// Which simulated system recorded an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// ぴったりサービス download API.
    Pittari,
    /// 連携サーバ (the forward proxy).
    RenkeiServer,
    /// 住基ネットCS.
    Jukinet,
    /// 自治体中間サーバー.
    Chukan,
    /// The admin API.
    Admin,
}

/// One request and its answer, as a vendor's system sent and received it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Exchange {
    /// Position in the journal: increases by one per exchange, never reused.
    pub seq: u64,
    /// When the request arrived, on the simulators' clock.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub system: System,
    /// Who called: the peer address, and the account where the call was authenticated.
    pub caller: Caller,
    pub method: String,
    /// Path and query, e.g. `/api/v1/shinsei?page=2`.
    pub route: String,
    pub status: u16,
    /// Request body, cut at the journal's body limit (lossy UTF-8 for text, base64 for binary).
    pub request_body: Body,
    pub response_body: Body,
}

/// Who sent a request.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Caller {
    /// The TCP peer address as the simulator saw it.
    pub peer: Option<String>,
    /// The account (ログインID) or tenant the request was authenticated as.
    pub account: Option<String>,
    /// The 連携サーバ hop the request came through; `None` for a direct request.
    pub proxy_hop: Option<u64>,
}

/// How a recorded body's `text` holds its bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyEncoding {
    /// UTF-8 text as it was.
    #[default]
    Text,
    /// Binary, base64 (RFC 4648 §4).
    Base64,
}

/// A body as recorded: its full length and at most the journal's limit of its bytes.
///
/// The kept bytes are a zero-copy slice of the body the server sent (`Bytes` is reference
/// counted), so recording costs no copy on the hot path; they are turned into text (or base64 for
/// binary) only when the journal is read. In JSON: `{length, truncated, encoding, text}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    /// Length of the whole body in bytes.
    pub length: usize,
    kept: Bytes,
}

impl Body {
    /// Records `bytes`, keeping at most `limit` of them.
    pub fn capture(bytes: &Bytes, limit: usize) -> Self {
        Self {
            length: bytes.len(),
            kept: bytes.slice(..bytes.len().min(limit)),
        }
    }

    /// Whether less than the whole body was kept.
    pub fn truncated(&self) -> bool {
        self.kept.len() < self.length
    }

    /// `text` for UTF-8 bodies (a cut in the middle of a character is still text), `base64`
    /// for anything else.
    pub fn encoding(&self) -> BodyEncoding {
        match std::str::from_utf8(&self.kept) {
            Ok(_) => BodyEncoding::Text,
            Err(e) if e.error_len().is_none() => BodyEncoding::Text,
            Err(_) => BodyEncoding::Base64,
        }
    }

    /// The kept bytes as text: UTF-8 as it is (without a trailing cut character), or base64.
    pub fn text(&self) -> String {
        match std::str::from_utf8(&self.kept) {
            Ok(text) => text.to_owned(),
            Err(e) if e.error_len().is_none() => {
                String::from_utf8_lossy(&self.kept[..e.valid_up_to()]).into_owned()
            }
            Err(_) => base64_encode(&self.kept),
        }
    }
}

/// The JSON form of a [`Body`].
#[derive(Serialize, serde::Deserialize)]
struct BodyJson {
    length: usize,
    truncated: bool,
    encoding: BodyEncoding,
    text: String,
}

impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        BodyJson {
            length: self.length,
            truncated: self.truncated(),
            encoding: self.encoding(),
            text: self.text(),
        }
        .serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Body {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = BodyJson::deserialize(deserializer)?;
        let kept = match json.encoding {
            BodyEncoding::Text => Bytes::from(json.text.into_bytes()),
            BodyEncoding::Base64 => Bytes::from(
                base64_decode(&json.text)
                    .ok_or_else(|| serde::de::Error::custom("invalid base64"))?,
            ),
        };
        Ok(Self {
            length: json.length,
            kept,
        })
    }
}

/// A cloneable handle to one shared journal.
#[derive(Clone)]
pub struct Journal {
    /// A std `Mutex`: appends and reads are short and never held across an await.
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    /// Where exchanges are also written, for a `renkei serve --data` that must survive a restart.
    store: Option<std::sync::Arc<crate::store::SqliteStore>>,
    capacity: usize,
    body_limit: usize,
    next_seq: u64,
    dropped: u64,
    /// Oldest first; a `VecDeque` so dropping the oldest is O(1).
    entries: VecDeque<Exchange>,
}

/// What a query returns: the matching exchanges and how many were dropped before them.
#[derive(Debug, Clone, Serialize)]
pub struct JournalPage {
    pub exchanges: Vec<Exchange>,
    /// Exchanges dropped from the journal since it started (the bound was reached).
    pub dropped: u64,
    /// The `seq` the next exchange will get: pass it as `since` to read only what is new.
    pub next_seq: u64,
}

/// Which exchanges a query wants.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only exchanges with `seq >= since`.
    pub since: Option<u64>,
    pub system: Option<System>,
    /// Only routes starting with this.
    pub route_prefix: Option<String>,
    /// At most this many (the oldest matching first).
    pub limit: Option<usize>,
}

/// What a system hands the journal; the journal adds the sequence number and cuts the bodies.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub at: OffsetDateTime,
    pub system: System,
    pub caller: Caller,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub request_body: Bytes,
    pub response_body: Bytes,
}

impl Journal {
    /// Default bound: 100,000 exchanges of at most 64 KiB of body each.
    pub fn new() -> Self {
        Self::with_bounds(100_000, 64 * 1024)
    }

    /// A journal keeping at most `capacity` exchanges with bodies cut at `body_limit` bytes.
    pub fn with_bounds(capacity: usize, body_limit: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                store: None,
                capacity: capacity.max(1),
                body_limit,
                next_seq: 0,
                dropped: 0,
                entries: VecDeque::new(),
            })),
        }
    }

    /// Appends one exchange and returns its `seq`.
    pub fn record(&self, record: Record<'_>) -> u64 {
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let exchange = Exchange {
            seq,
            at: record.at,
            system: record.system,
            caller: record.caller,
            method: record.method.to_owned(),
            route: record.route.to_owned(),
            status: record.status,
            request_body: Body::capture(&record.request_body, inner.body_limit),
            response_body: Body::capture(&record.response_body, inner.body_limit),
        };
        if let Some(store) = &inner.store {
            store.record_exchange(&exchange);
        }
        if inner.entries.len() == inner.capacity {
            inner.entries.pop_front();
            inner.dropped += 1;
        }
        inner.entries.push_back(exchange);
        seq
    }

    /// Writes every exchange from now on to `store` too, after taking back the exchanges it
    /// already holds (at start-up, from an earlier run): numbering continues after them, and the
    /// ones before the oldest kept count as dropped.
    pub fn persist_to(
        &self,
        store: std::sync::Arc<crate::store::SqliteStore>,
    ) -> Result<(), crate::store::StoreError> {
        let mut inner = self.lock();
        let earlier = store.exchanges(inner.capacity)?;
        if let (Some(first), Some(last)) = (earlier.first(), earlier.last()) {
            inner.dropped = first.seq;
            inner.next_seq = last.seq + 1;
            inner.entries = earlier.into();
        }
        inner.store = Some(store);
        Ok(())
    }

    /// The exchanges matching `query`, oldest first.
    pub fn query(&self, query: &Query) -> JournalPage {
        let inner = self.lock();
        let exchanges = inner
            .entries
            .iter()
            .filter(|e| query.since.is_none_or(|since| e.seq >= since))
            .filter(|e| query.system.is_none_or(|system| e.system == system))
            .filter(|e| {
                query
                    .route_prefix
                    .as_deref()
                    .is_none_or(|prefix| e.route.starts_with(prefix))
            })
            .take(query.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        JournalPage {
            exchanges,
            dropped: inner.dropped,
            next_seq: inner.next_seq,
        }
    }

    /// Number of exchanges held now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no exchange is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Appends are single pushes; a panic elsewhere cannot leave an entry half-written.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for Journal {
    fn default() -> Self {
        Self::new()
    }
}

/// Decodes standard base64 (what [`base64_encode`] writes); `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = n << 6 | u32::from(value(c)?);
        }
        n <<= 6 * pad as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

/// Standard base64 (RFC 4648 §4) for binary bodies; small enough not to need a crate.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn record(journal: &Journal, system: System, route: &str, body: &[u8]) -> u64 {
        journal.record(Record {
            at: datetime!(2026-04-06 10:00 +09:00),
            system,
            caller: Caller::default(),
            method: "GET",
            route,
            status: 200,
            request_body: Bytes::copy_from_slice(body),
            response_body: Bytes::new(),
        })
    }

    #[test]
    fn bounded_and_counts_what_it_dropped() {
        let journal = Journal::with_bounds(3, 16);
        for i in 0..5 {
            record(&journal, System::Pittari, &format!("/r/{i}"), b"");
        }
        assert_eq!(journal.len(), 3);
        let page = journal.query(&Query::default());
        assert_eq!(page.dropped, 2);
        assert_eq!(page.next_seq, 5);
        let seqs: Vec<u64> = page.exchanges.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [2, 3, 4]);
    }

    #[test]
    fn queries_filter_by_system_route_and_since() {
        let journal = Journal::new();
        record(&journal, System::Pittari, "/api/v1/login", b"");
        record(&journal, System::Jukinet, "/jukinet/v1/x", b"");
        record(&journal, System::Pittari, "/api/v1/shinsei", b"");
        let page = journal.query(&Query {
            system: Some(System::Pittari),
            route_prefix: Some("/api/v1/sh".into()),
            ..Query::default()
        });
        assert_eq!(page.exchanges.len(), 1);
        assert_eq!(page.exchanges[0].seq, 2);
        let newer = journal.query(&Query {
            since: Some(1),
            ..Query::default()
        });
        assert_eq!(newer.exchanges.len(), 2);
    }

    #[test]
    fn bodies_are_cut_without_breaking_characters() {
        let body = Body::capture(&Bytes::from("𠮷田𠮷田"), 6);
        assert_eq!(body.text(), "𠮷");
        assert!(body.truncated());
        assert_eq!(body.length, 14);
        let binary = Body::capture(&Bytes::from_static(&[0xff, 0x00, 0x10]), 10);
        assert_eq!(binary.encoding(), BodyEncoding::Base64);
        assert_eq!(binary.text(), "/wAQ");
        // The JSON form round-trips, binary included.
        for body in [body, binary] {
            let json = serde_json::to_string(&body).unwrap();
            assert_eq!(
                serde_json::from_str::<Body>(&json).unwrap().text(),
                body.text()
            );
        }
        assert_eq!(base64_decode("YWI=").unwrap(), b"ab");
        assert_eq!(base64_decode("YWJj").unwrap(), b"abc");
        assert!(base64_decode("Y").is_none());
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_encode(b"abc"), "YWJj");
    }
}
