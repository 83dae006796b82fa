//! Durable state: a standalone simulator used for a weeks-long 機関間テスト must survive a restart
//! and lose nothing it acknowledged (DESIGN.md "State").
//!
//! The starting state is a pure function of the scenario, so the store keeps only the scenario
//! text and what changed since: every state change a simulator acknowledged, in order, written
//! before the acknowledgement goes out, and the journal. On restart the scenario is expanded
//! again and the changes are applied again in order — one code path for live changes and replay,
//! so the two cannot disagree.
//!
//! One SQLite file (`renkei.sqlite` under `--data`), WAL mode. The journal is written by a
//! background thread in batches: it is a record of what happened, not acknowledged state, and
//! must not slow the interfaces down.

use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use renkei_fixtures::ids::UketsukeBango;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::journal::Exchange;
use crate::pittari::{ShoriJokyo, ShutokuJotai};

/// The file name under the data directory.
pub const FILE_NAME: &str = "renkei.sqlite";

/// A state change a simulator acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A ぴったりサービス login: the session and its token.
    Login {
        token: String,
        login_id: String,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// A 申請's 取得状態 (and whether its scripted redelivery happened).
    Shutoku {
        uketsuke_bango: UketsukeBango,
        shutoku: ShutokuJotai,
        redelivered: bool,
    },
    /// A 申請's 処理状況.
    Shori {
        uketsuke_bango: UketsukeBango,
        shori: ShoriJokyo,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// An injected fault was added to the download API (by the admin API).
    FaultAdded {
        fault: renkei_fixtures::scenario::FaultSpec,
    },
    /// An injected fault hit a call (the `index`-th fault, scenario faults first).
    FaultFired { index: usize },
    /// The clock was set (an advance is recorded as the time it reached).
    Clock {
        #[serde(with = "time::serde::rfc3339")]
        now: OffsetDateTime,
    },
    /// A change to the 住基ネットCS made through the admin API (失効, 新規発行, 更新, 転入),
    /// filled in, with the second it was made and the 更新日時 it stamped.
    Jukinet {
        recorded: crate::jukinet::service::Recorded,
    },
}

/// Why the store failed; an interface answers `500 STORE_FAILED` and changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("状態ファイル {path} を開けません: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("状態ファイルに書けません: {0}")]
    Write(#[source] rusqlite::Error),
    #[error("状態ファイルを読めません: {0}")]
    Read(String),
    #[error(
        "状態ファイルは別のシナリオ「{stored}」のものです。そのまま続けるには --scenario を外し、新しく始めるには別の --data を指定してください"
    )]
    OtherScenario { stored: String },
}

/// The SQLite store.
pub struct SqliteStore {
    /// A std `Mutex`: each write is one short statement, never held across an await.
    conn: Mutex<Connection>,
    journal: Mutex<Option<SyncSender<Exchange>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl SqliteStore {
    /// Opens (or creates) `dir/renkei.sqlite`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Read(format!("{}: {e}", dir.display())))?;
        let path = dir.join(FILE_NAME);
        let open = || Connection::open(&path);
        let error = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = open().map_err(error)?;
        let journal_conn = open().map_err(error)?;
        Self::with_connections(conn, Some(journal_conn)).map_err(error)
    }

    /// A store in memory (nothing survives the process; for tests of the store itself).
    pub fn in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: ":memory:".into(),
            source,
        })?;
        Self::with_connections(conn, None).map_err(StoreError::Write)
    }

    fn with_connections(
        conn: Connection,
        journal_conn: Option<Connection>,
    ) -> Result<Self, rusqlite::Error> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS exchanges (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);",
        )?;
        let store = Self {
            conn: Mutex::new(conn),
            journal: Mutex::new(None),
            writer: Mutex::new(None),
        };
        if let Some(journal_conn) = journal_conn {
            journal_conn.busy_timeout(std::time::Duration::from_secs(10))?;
            // The journal is a record, not acknowledged state (see the module comment): a commit
            // need not wait for the disk, and an fsync per small batch would hold the file's
            // write lock while the 中間サーバー's connection waits for it.
            journal_conn.pragma_update(None, "synchronous", "NORMAL")?;
            let (sender, receiver) = sync_channel(4096);
            let writer = std::thread::spawn(move || write_journal(journal_conn, receiver));
            *store.journal.lock().expect("fresh mutex") = Some(sender);
            *store.writer.lock().expect("fresh mutex") = Some(writer);
        }
        Ok(store)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Binds the store to `scenario` (its TOML text): a fresh store takes it; a store made for
    /// another scenario refuses. Returns whether the store already held state.
    pub fn bind_scenario(&self, name: &str, text: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let stored: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'scenario'", [], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| StoreError::Read(e.to_string()))?;
        match stored {
            Some(stored) if stored == text => Ok(true),
            Some(_) => {
                let stored_name: String = conn
                    .query_row(
                        "SELECT value FROM meta WHERE key = 'scenario_name'",
                        [],
                        |row| row.get(0),
                    )
                    .unwrap_or_default();
                Err(StoreError::OtherScenario {
                    stored: stored_name,
                })
            }
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('scenario', ?1), ('scenario_name', ?2)",
                    params![text, name],
                )
                .map_err(StoreError::Write)?;
                Ok(false)
            }
        }
    }

    /// Appends a change; returns once it is on disk.
    pub fn append(&self, change: &Change) -> Result<(), StoreError> {
        let body = serde_json::to_string(change).expect("changes serialise");
        self.conn()
            .execute("INSERT INTO changes (body) VALUES (?1)", params![body])
            .map_err(StoreError::Write)?;
        Ok(())
    }

    /// Every change, in the order they were acknowledged.
    pub fn changes(&self) -> Result<Vec<Change>, StoreError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT body FROM changes ORDER BY seq")
            .map_err(|e| StoreError::Read(e.to_string()))?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|e| StoreError::Read(e.to_string()))?;
        rows.map(|row| {
            let body = row.map_err(|e| StoreError::Read(e.to_string()))?;
            serde_json::from_str(&body)
                .map_err(|e| StoreError::Read(format!("変更「{body}」: {e}")))
        })
        .collect()
    }

    /// Queues an exchange for the journal table (written in the background).
    pub fn record_exchange(&self, exchange: &Exchange) {
        if let Some(sender) = self
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            // Blocks only if the writer is 4,096 exchanges behind: back-pressure, not loss.
            let _ = sender.send(exchange.clone());
        }
    }

    /// The newest `limit` exchanges of the journal table, oldest first (at start-up, before any
    /// new exchange is queued).
    pub fn exchanges(&self, limit: usize) -> Result<Vec<Exchange>, StoreError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT body FROM (SELECT seq, body FROM exchanges ORDER BY seq DESC LIMIT ?1) ORDER BY seq")
            .map_err(|e| StoreError::Read(e.to_string()))?;
        let rows = statement
            .query_map(params![limit as i64], |row| row.get::<_, String>(0))
            .map_err(|e| StoreError::Read(e.to_string()))?;
        rows.map(|row| {
            let body = row.map_err(|e| StoreError::Read(e.to_string()))?;
            serde_json::from_str(&body).map_err(|e| StoreError::Read(e.to_string()))
        })
        .collect()
    }

    /// Stops the journal writer after it has written every queued exchange (shutdown). Later
    /// exchanges are no longer written.
    pub fn flush_journal(&self) {
        let sender = self
            .journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(sender);
        if let Some(writer) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = writer.join();
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.flush_journal();
    }
}

/// The journal writer: batches of up to 256 exchanges a transaction.
fn write_journal(mut conn: Connection, receiver: Receiver<Exchange>) {
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < 256 {
            match receiver.try_recv() {
                Ok(exchange) => batch.push(exchange),
                Err(_) => break,
            }
        }
        let result = (|| -> rusqlite::Result<()> {
            let transaction = conn.transaction()?;
            for exchange in &batch {
                let body = serde_json::to_string(exchange).expect("exchanges serialise");
                transaction
                    .prepare_cached("INSERT OR REPLACE INTO exchanges (seq, body) VALUES (?1, ?2)")?
                    .execute(params![exchange.seq as i64, body])?;
            }
            transaction.commit()
        })();
        if let Err(error) = result {
            tracing::error!(%error, "journal could not be written to the state file");
        }
    }
}
