//! The 中間サーバー's own tables in the state file: 副本, the 副本登録 受付 and their 処理結果,
//! the night batch's runs, the 符号管理 log, certificate revocations.
//!
//! 副本 are too many for the change log of [`crate::store`] (a 団体 may register 200万 a day,
//! seed 004 §2.5), so they live in tables of their own, in the same SQLite file
//! (`renkei.sqlite` under `--data`; in memory without it) through a connection of their own.
//! The rule is the store's: what is acknowledged is written first. A 受付 is acknowledged only
//! after its spooled file is synced and its row committed; a batch writes each 副本 and its
//! 処理結果 row in one transaction, and the 受付's progress with them, so a restart resumes a
//! batch at the first record not yet committed.
//!
//! Connection settings: WAL with `synchronous = NORMAL` — a committed transaction survives the
//! process dying; only a power cut may lose the last ones (the simulator's own state file is not
//! a bank). A page cache of 64 MiB rather than SQLite's 2 MiB: a batch chunk of
//! [`BATCH_CHUNK`] records dirties about 12 MiB, which then stays in memory up to its commit.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use renkei_fixtures::ids::{KikanCode, TokuteiKojinJohoMeiCode, TougouAtenaBango};
use rusqlite::{Connection, OptionalExtension, Statement, Transaction, params};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use super::fukuhon::validate::ItemRef;
use super::fukuhon::{FukuhonItem, FukuhonRecord, ItemValue, NullReason, ShoriKubun};
use crate::clock::JST;

/// Why the 中間サーバー's tables failed: answered `500 STORE_FAILED`, nothing changes.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("中間サーバーの状態ファイル {path} を開けません: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("中間サーバーの状態ファイルに書けません/読めません: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("中間サーバーの状態ファイルの値「{0}」を読めません")]
    Corrupt(String),
}

/// How a 受付 arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Webサービス連携: `IF_DBM_20113_R01` with its attachment.
    WebService,
    /// サーバー間XMLデータ連携: a request file uploaded.
    File,
}

impl Route {
    /// The word in tables and exports.
    pub fn word(self) -> &'static str {
        match self {
            Self::WebService => "Webサービス連携",
            Self::File => "サーバー間XMLデータ連携",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        [Self::WebService, Self::File]
            .into_iter()
            .find(|r| r.word() == word)
    }
}

/// 処理状況 of a 受付, as the status 電文 and the status file show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UketsukeStatus {
    /// 受付済み: accepted, waiting for the night batch.
    Uketsukezumi,
    /// 処理中 (翌日繰越): the batch processed part of it; the rest waits for the next night.
    Kurikoshi,
    /// 処理済み: every record has its 処理結果.
    Shorizumi,
}

impl UketsukeStatus {
    /// The words, in order. The one list: docs and tests read it from here.
    pub const LABELS: [&'static str; 3] = ["受付済み", "処理中(翌日繰越)", "処理済み"];

    /// The word shown.
    pub fn label(self) -> &'static str {
        match self {
            Self::Uketsukezumi => Self::LABELS[0],
            Self::Kurikoshi => Self::LABELS[1],
            Self::Shorizumi => Self::LABELS[2],
        }
    }
}

/// One accepted 副本登録 file (受付).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uketsuke {
    /// 中間サーバー受付番号.
    pub reception: String,
    /// The tenant.
    pub kikan: KikanCode,
    pub route: Route,
    /// The file's name as sent (`FI_DBM_0001_….xml`, or the attachment's name).
    pub file_name: String,
    /// Where the file is spooled.
    pub spool: PathBuf,
    pub received_at: OffsetDateTime,
    /// Records in the file (counted at reception).
    pub records: u64,
    /// Bytes of the file.
    pub bytes: u64,
    /// Records the batch has processed so far (the next one to process is `processed + 1`).
    pub processed: u64,
    /// Of those, records registered / updated / deleted (処理結果 正常).
    pub ok: u64,
    /// Of those, records refused (処理結果 エラー).
    pub errors: u64,
    /// When the batch finished the file.
    pub finished_at: Option<OffsetDateTime>,
}

impl Uketsuke {
    /// Where it stands.
    pub fn status(&self) -> UketsukeStatus {
        if self.finished_at.is_some() {
            UketsukeStatus::Shorizumi
        } else if self.processed > 0 {
            UketsukeStatus::Kurikoshi
        } else {
            UketsukeStatus::Uketsukezumi
        }
    }
}

/// One stored 副本.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFukuhon {
    pub tougou: TougouAtenaBango,
    pub tokutei: TokuteiKojinJohoMeiCode,
    /// データセット識別項目コード.
    pub dataset: String,
    /// データセットレコードキー.
    pub record_key: String,
    pub major_version: u16,
    /// The layout edition it was checked against when registered (`R1.6`).
    pub edition: String,
    /// レコード識別番号.
    pub record_id: String,
    pub koukai_start: Option<Date>,
    pub koukai_end: Option<Date>,
    /// The 副本's items, in file order.
    pub items: Vec<FukuhonItem>,
    pub registered_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The 受付 that last wrote it.
    pub reception: String,
}

/// One 処理結果 row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KekkaRow {
    pub record_number: u64,
    pub record_id: String,
    /// 正常 / エラー.
    pub status: String,
    pub code: Option<String>,
    pub item: Option<String>,
    pub message: Option<String>,
}

/// One line of the バッチ実行結果: what one night's batch did with one 受付.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRun {
    pub kikan: KikanCode,
    /// The batch's scheduled time.
    pub run_at: OffsetDateTime,
    pub reception: String,
    pub processed: u64,
    pub ok: u64,
    pub errors: u64,
    /// Records left for the next night.
    pub remaining: u64,
}

/// The 中間サーバー's tables.
pub struct ChukanDb {
    /// A std `Mutex`: every use is a short statement or a bounded transaction (the batch
    /// commits every [`BATCH_CHUNK`] records and lets go in between); never held across an await.
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for ChukanDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChukanDb").finish_non_exhaustive()
    }
}

/// Records a batch transaction holds.
pub const BATCH_CHUNK: u64 = 20_000;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -65536;
CREATE TABLE IF NOT EXISTS chukan_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chukan_fukuhon (
  kikan TEXT NOT NULL, tougou TEXT NOT NULL, tokutei TEXT NOT NULL, dataset TEXT NOT NULL,
  record_key TEXT NOT NULL, major_version INTEGER NOT NULL,
  record_id TEXT NOT NULL, edition TEXT NOT NULL, koukai_start TEXT, koukai_end TEXT,
  body TEXT NOT NULL, registered_at TEXT NOT NULL, updated_at TEXT NOT NULL, reception TEXT NOT NULL,
  PRIMARY KEY (kikan, tougou, tokutei, dataset, record_key, major_version)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS chukan_fukuhon_record_id ON chukan_fukuhon (kikan, record_id);
CREATE TABLE IF NOT EXISTS chukan_uketsuke (
  reception TEXT PRIMARY KEY, kikan TEXT NOT NULL, route TEXT NOT NULL, file_name TEXT NOT NULL,
  spool TEXT NOT NULL, received_at TEXT NOT NULL, received_day TEXT NOT NULL,
  records INTEGER NOT NULL, bytes INTEGER NOT NULL,
  processed INTEGER NOT NULL DEFAULT 0, ok INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0,
  finished_at TEXT
);
CREATE INDEX IF NOT EXISTS chukan_uketsuke_day ON chukan_uketsuke (kikan, received_day);
CREATE TABLE IF NOT EXISTS chukan_kekka (
  reception TEXT NOT NULL, seq INTEGER NOT NULL, record_number INTEGER NOT NULL,
  record_id TEXT NOT NULL, status TEXT NOT NULL, code TEXT, item TEXT, message TEXT,
  PRIMARY KEY (reception, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chukan_batch (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kikan TEXT NOT NULL, run_at TEXT NOT NULL,
  reception TEXT NOT NULL, processed INTEGER NOT NULL, ok INTEGER NOT NULL,
  errors INTEGER NOT NULL, remaining INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chukan_fugou_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, dantai TEXT NOT NULL, kind TEXT NOT NULL,
  tougou TEXT, kojin TEXT, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chukan_revocations (
  kikan TEXT NOT NULL, generation INTEGER NOT NULL, serial INTEGER NOT NULL, revoked_at TEXT NOT NULL,
  PRIMARY KEY (kikan, generation)
);
";

/// One entry of the 符号管理 log, replayed at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FugouLogEntry {
    /// A 符号取得要求 was registered.
    Request {
        dantai: renkei_fixtures::ids::DantaiCode,
        tougou: TougouAtenaBango,
        kojin: renkei_fixtures::ids::KojinBango,
        at: OffsetDateTime,
    },
    /// Due requests were sent at `at`.
    Process {
        dantai: renkei_fixtures::ids::DantaiCode,
        at: OffsetDateTime,
    },
}

pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(JST)
        .format(&Rfc3339)
        .expect("a JST time always formats as RFC 3339")
}

fn parse_time(text: &str) -> Result<OffsetDateTime, DbError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| DbError::Corrupt(text.to_owned()))
}

fn date_text(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .expect("a date always formats")
}

fn parse_date(text: &str) -> Result<Date, DbError> {
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| DbError::Corrupt(text.to_owned()))
}

fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, DbError> {
    text.parse().map_err(|_| DbError::Corrupt(text.to_owned()))
}

/// The items as stored: a JSON array of `[名, 値]` or `[名, null, NULL理由]`. Written directly
/// (the batch writes one for every record); strings are escaped by `serde_json`, so the text is
/// what `serde_json::Value` would write, and [`items_from_json`] reads it back.
pub(crate) fn items_json<'a>(items: impl Iterator<Item = (&'a str, ItemRef<'a>)>) -> String {
    fn string(out: &mut Vec<u8>, text: &str) {
        serde_json::to_writer(&mut *out, text).expect("a string always writes as JSON");
    }
    let mut out = Vec::with_capacity(512);
    out.push(b'[');
    for (index, (name, value)) in items.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.push(b'[');
        string(&mut out, name);
        match value {
            ItemRef::Value(text) => {
                out.push(b',');
                string(&mut out, text);
            }
            ItemRef::Null(reason) => {
                out.extend_from_slice(b",null,");
                string(&mut out, reason.code());
            }
        }
        out.push(b']');
    }
    out.push(b']');
    String::from_utf8(out).expect("JSON written from strings is UTF-8")
}

fn items_from_json(text: &str) -> Result<Vec<FukuhonItem>, DbError> {
    let corrupt = || DbError::Corrupt(text.chars().take(80).collect());
    let rows: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| corrupt())?;
    rows.into_iter()
        .map(|row| {
            let name = row.get(0).and_then(|v| v.as_str()).ok_or_else(corrupt)?;
            let value = match (row.get(1).and_then(|v| v.as_str()), row.get(2)) {
                (Some(v), _) => ItemValue::Value(v.to_owned()),
                (None, Some(code)) => ItemValue::Null(
                    code.as_str()
                        .and_then(NullReason::from_code)
                        .ok_or_else(corrupt)?,
                ),
                (None, None) => return Err(corrupt()),
            };
            Ok(FukuhonItem {
                name: name.to_owned(),
                value,
            })
        })
        .collect()
}

/// What applying one valid record to the stored 副本 refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyRefusal {
    /// 登録 of a レコード識別番号 a stored 副本 already has (the real message).
    DuplicateRecordId,
    /// 登録 of a key that is already registered.
    AlreadyRegistered,
    /// 更新 / 削除 of a key that is not registered.
    NotRegistered,
}

impl ChukanDb {
    /// The tables in `dir/renkei.sqlite` (the state file of `--data`).
    pub fn open(dir: &Path) -> Result<Self, DbError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbError::Corrupt(format!("{}: {e}", dir.display())))?;
        let path = dir.join(crate::store::FILE_NAME);
        let conn = Connection::open(&path).map_err(|source| DbError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::with(conn)
    }

    /// The tables in memory (nothing survives the process).
    pub fn in_memory() -> Result<Self, DbError> {
        Self::with(Connection::open_in_memory()?)
    }

    fn with(conn: Connection) -> Result<Self, DbError> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // Every write is a statement or a transaction that commits or rolls back whole.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A value of the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT value FROM chukan_meta WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Sets a value of the meta table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), DbError> {
        self.conn().execute(
            "INSERT INTO chukan_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// The next 中間サーバー受付番号 (renkei-defined: `YYYYMMDD` of the clock and an 10-digit
    /// sequence that never repeats, 18 digits).
    pub fn next_reception(&self, now: OffsetDateTime) -> Result<String, DbError> {
        let mut conn = self.conn();
        // IMMEDIATE: a read that is upgraded to a write inside a deferred transaction fails at once
        // (SQLITE_BUSY, no busy wait) when another connection to the file — the journal's —
        // committed in between; taking the write lock first waits for it instead.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: u64 = tx
            .query_row(
                "SELECT value FROM chukan_meta WHERE key = 'reception_seq'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(|v| parse_id::<u64>(&v))
            .transpose()?
            .unwrap_or(0);
        let next = current + 1;
        tx.execute(
            "INSERT INTO chukan_meta (key, value) VALUES ('reception_seq', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![next.to_string()],
        )?;
        tx.commit()?;
        let day = now.to_offset(JST).date();
        Ok(format!(
            "{:04}{:02}{:02}{next:010}",
            day.year(),
            u8::from(day.month()),
            day.day()
        ))
    }

    // ---- 受付 -------------------------------------------------------------------------------

    /// Records and bytes of the 受付 of `kikan` received on `day` (JST): what counts against
    /// the day's upload caps.
    pub fn uploaded_on(&self, kikan: KikanCode, day: Date) -> Result<(u64, u64), DbError> {
        Ok(self.conn().query_row(
            "SELECT COALESCE(SUM(records), 0), COALESCE(SUM(bytes), 0) FROM chukan_uketsuke
             WHERE kikan = ?1 AND received_day = ?2",
            params![kikan.as_str(), date_text(day)],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }

    /// Commits a new 受付 (the file is already synced in the spool).
    pub fn insert_uketsuke(&self, u: &Uketsuke) -> Result<(), DbError> {
        self.conn().execute(
            "INSERT INTO chukan_uketsuke (reception, kikan, route, file_name, spool, received_at,
               received_day, records, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                u.reception,
                u.kikan.as_str(),
                u.route.word(),
                u.file_name,
                u.spool.to_string_lossy(),
                rfc3339(u.received_at),
                date_text(u.received_at.to_offset(JST).date()),
                u.records as i64,
                u.bytes as i64,
            ],
        )?;
        Ok(())
    }

    /// The 受付 with this number, if it is `kikan`'s (another tenant's is as good as absent).
    pub fn uketsuke(&self, kikan: KikanCode, reception: &str) -> Result<Option<Uketsuke>, DbError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT reception, kikan, route, file_name, spool, received_at, records, bytes,
               processed, ok, errors, finished_at FROM chukan_uketsuke
             WHERE reception = ?1 AND kikan = ?2",
        )?;
        let row = statement
            .query_row(params![reception, kikan.as_str()], raw_uketsuke)
            .optional()?;
        row.map(parse_uketsuke).transpose()
    }

    /// Every unfinished 受付 of `kikan`, oldest first: the batch's queue.
    pub fn pending(&self, kikan: KikanCode) -> Result<Vec<Uketsuke>, DbError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT reception, kikan, route, file_name, spool, received_at, records, bytes,
               processed, ok, errors, finished_at FROM chukan_uketsuke
             WHERE kikan = ?1 AND finished_at IS NULL ORDER BY received_at, reception",
        )?;
        let rows = statement.query_map(params![kikan.as_str()], raw_uketsuke)?;
        rows.map(|r| parse_uketsuke(r?)).collect()
    }

    /// Every 受付 of `kikan`, oldest first.
    pub fn all_uketsuke(&self, kikan: KikanCode) -> Result<Vec<Uketsuke>, DbError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT reception, kikan, route, file_name, spool, received_at, records, bytes,
               processed, ok, errors, finished_at FROM chukan_uketsuke
             WHERE kikan = ?1 ORDER BY received_at, reception",
        )?;
        let rows = statement.query_map(params![kikan.as_str()], raw_uketsuke)?;
        rows.map(|r| parse_uketsuke(r?)).collect()
    }

    /// Runs `work` in one transaction (the batch's chunk).
    pub fn in_transaction<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut conn = self.conn();
        // IMMEDIATE for the same reason as `next_reception`: callers read, then write.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = work(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    // ---- 処理結果 ---------------------------------------------------------------------------

    /// Every 処理結果 row of a 受付, in order, handed to `each` (streaming: nothing is kept).
    pub fn for_each_kekka(
        &self,
        reception: &str,
        mut each: impl FnMut(KekkaRow) -> bool,
    ) -> Result<(), DbError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT record_number, record_id, status, code, item, message FROM chukan_kekka
             WHERE reception = ?1 ORDER BY seq",
        )?;
        let mut rows = statement.query(params![reception])?;
        while let Some(row) = rows.next()? {
            let kekka = KekkaRow {
                record_number: row.get::<_, i64>(0)? as u64,
                record_id: row.get(1)?,
                status: row.get(2)?,
                code: row.get(3)?,
                item: row.get(4)?,
                message: row.get(5)?,
            };
            if !each(kekka) {
                break;
            }
        }
        Ok(())
    }

    // ---- 副本 -------------------------------------------------------------------------------

    /// The stored 副本 of one person and 特定個人情報 of `kikan`, by key.
    pub fn fukuhon_of(
        &self,
        kikan: KikanCode,
        tougou: TougouAtenaBango,
        tokutei: TokuteiKojinJohoMeiCode,
    ) -> Result<Vec<StoredFukuhon>, DbError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT tougou, tokutei, dataset, record_key, major_version, edition, record_id,
               koukai_start, koukai_end, body, registered_at, updated_at, reception
             FROM chukan_fukuhon WHERE kikan = ?1 AND tougou = ?2 AND tokutei = ?3
             ORDER BY dataset, record_key, major_version",
        )?;
        let rows = statement.query_map(
            params![kikan.as_str(), tougou.as_str(), tokutei.as_str()],
            raw_fukuhon,
        )?;
        rows.map(|r| r?.parse()).collect()
    }

    /// Number of 副本 stored for `kikan`.
    pub fn fukuhon_count(&self, kikan: KikanCode) -> Result<u64, DbError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM chukan_fukuhon WHERE kikan = ?1",
            params![kikan.as_str()],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Every stored 副本 of `kikan` without its body (副本管理情報), in key order, handed to
    /// `each` (streaming).
    pub fn for_each_kanri(
        &self,
        kikan: KikanCode,
        mut each: impl FnMut(&[String; 11]) -> bool,
    ) -> Result<(), DbError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT tougou, tokutei, dataset, record_key, major_version, edition, record_id,
               COALESCE(koukai_start, ''), COALESCE(koukai_end, ''), registered_at, updated_at
             FROM chukan_fukuhon WHERE kikan = ?1
             ORDER BY tougou, tokutei, dataset, record_key, major_version",
        )?;
        let mut rows = statement.query(params![kikan.as_str()])?;
        while let Some(row) = rows.next()? {
            let fields: [String; 11] = [
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get::<_, i64>(4)?.to_string(),
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
                row.get(8)?,
                row.get(9)?,
                row.get(10)?,
            ];
            if !each(&fields) {
                break;
            }
        }
        Ok(())
    }

    /// Every batch run of `kikan`, oldest first.
    pub fn batch_runs(&self, kikan: KikanCode) -> Result<Vec<BatchRun>, DbError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT kikan, run_at, reception, processed, ok, errors, remaining FROM chukan_batch
             WHERE kikan = ?1 ORDER BY seq",
        )?;
        let rows = statement.query_map(params![kikan.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        rows.map(|r| {
            let (kikan, run_at, reception, processed, ok, errors, remaining) = r?;
            Ok(BatchRun {
                kikan: parse_id(&kikan)?,
                run_at: parse_time(&run_at)?,
                reception,
                processed: processed as u64,
                ok: ok as u64,
                errors: errors as u64,
                remaining: remaining as u64,
            })
        })
        .collect()
    }

    // ---- 符号管理 log ------------------------------------------------------------------------

    /// Appends to the 符号管理 log (before the change is applied).
    pub fn log_fugou(&self, entry: &FugouLogEntry) -> Result<(), DbError> {
        let (dantai, kind, tougou, kojin, at) = match entry {
            FugouLogEntry::Request {
                dantai,
                tougou,
                kojin,
                at,
            } => (
                dantai,
                "request",
                Some(tougou.as_str()),
                Some(kojin.as_str()),
                at,
            ),
            FugouLogEntry::Process { dantai, at } => (dantai, "process", None, None, at),
        };
        self.conn().execute(
            "INSERT INTO chukan_fugou_log (dantai, kind, tougou, kojin, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![dantai.as_str(), kind, tougou, kojin, rfc3339(*at)],
        )?;
        Ok(())
    }

    /// The 符号管理 log, in order.
    pub fn fugou_log(&self) -> Result<Vec<FugouLogEntry>, DbError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare("SELECT dantai, kind, tougou, kojin, at FROM chukan_fugou_log ORDER BY seq")?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        rows.map(|r| {
            let (dantai, kind, tougou, kojin, at) = r?;
            let dantai = parse_id(&dantai)?;
            let at = parse_time(&at)?;
            match (kind.as_str(), tougou, kojin) {
                ("request", Some(tougou), Some(kojin)) => Ok(FugouLogEntry::Request {
                    dantai,
                    tougou: parse_id(&tougou)?,
                    kojin: parse_id(&kojin)?,
                    at,
                }),
                ("process", _, _) => Ok(FugouLogEntry::Process { dantai, at }),
                _ => Err(DbError::Corrupt(kind)),
            }
        })
        .collect()
    }

    // ---- certificates ------------------------------------------------------------------------

    /// Records that generation `generation` of `kikan`'s client certificate was revoked.
    pub fn revoke(
        &self,
        kikan: KikanCode,
        generation: u32,
        serial: u64,
        at: OffsetDateTime,
    ) -> Result<(), DbError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO chukan_revocations (kikan, generation, serial, revoked_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![kikan.as_str(), generation, serial as i64, rfc3339(at)],
        )?;
        Ok(())
    }

    /// Every revocation: (機関コード, generation, serial, when).
    pub fn revocations(&self) -> Result<Vec<(KikanCode, u32, u64, OffsetDateTime)>, DbError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT kikan, generation, serial, revoked_at FROM chukan_revocations ORDER BY revoked_at, kikan",
        )?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        rows.map(|r| {
            let (kikan, generation, serial, at) = r?;
            Ok((
                parse_id(&kikan)?,
                generation,
                serial as u64,
                parse_time(&at)?,
            ))
        })
        .collect()
    }
}

/// Writing one batch chunk: the statements of one transaction.
pub struct ChunkWriter<'t> {
    tx: &'t Transaction<'t>,
    kikan: String,
    reception: String,
    now: String,
    kekka_seq: u64,
    /// The two inserts of every record, prepared once a chunk rather than looked up in
    /// rusqlite's statement cache for each record.
    insert_kekka: Statement<'t>,
    insert_fukuhon: Statement<'t>,
}

impl<'t> ChunkWriter<'t> {
    /// Writes for `kikan`'s 受付 `reception` at `now`; the next 処理結果 row is `kekka_seq`.
    pub fn new(
        tx: &'t Transaction<'t>,
        kikan: KikanCode,
        reception: &str,
        now: OffsetDateTime,
        kekka_seq: u64,
    ) -> Result<Self, DbError> {
        Ok(Self {
            tx,
            kikan: kikan.as_str().to_owned(),
            reception: reception.to_owned(),
            now: rfc3339(now),
            kekka_seq,
            insert_kekka: tx.prepare(
                "INSERT INTO chukan_kekka (reception, seq, record_number, record_id, status, code, item, message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
            insert_fukuhon: tx.prepare(
                "INSERT INTO chukan_fukuhon (kikan, tougou, tokutei, dataset, record_key,
                   major_version, record_id, edition, koukai_start, koukai_end, body,
                   registered_at, updated_at, reception)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)",
            )?,
        })
    }

    /// The next 処理結果 row number.
    pub fn kekka_seq(&self) -> u64 {
        self.kekka_seq
    }

    /// Appends one 処理結果 row.
    pub fn kekka(
        &mut self,
        record_number: u64,
        record_id: &str,
        error: Option<(&str, &str, &str)>,
    ) -> Result<(), DbError> {
        let (status, code, item, message) = match error {
            None => ("正常", None, None, None),
            Some((code, item, message)) => ("エラー", Some(code), Some(item), Some(message)),
        };
        self.insert_kekka.execute(params![
            self.reception,
            self.kekka_seq as i64,
            record_number as i64,
            record_id,
            status,
            code,
            item,
            message
        ])?;
        self.kekka_seq += 1;
        Ok(())
    }

    /// Applies a valid record to the stored 副本: 登録 inserts, 更新 replaces, 削除 removes.
    /// `body` is the record's items as stored ([`items_json`]); the record's own `items` are not
    /// read.
    pub fn apply(
        &mut self,
        record: &FukuhonRecord,
        body: &str,
    ) -> Result<Result<(), ApplyRefusal>, DbError> {
        match record.kubun {
            ShoriKubun::Touroku => return self.register(record, body),
            ShoriKubun::Koushin => {
                if !self.key_exists(record)? {
                    return Ok(Err(ApplyRefusal::NotRegistered));
                }
                // The レコード識別番号 may change with an update, but not to another 副本's.
                let owner: Option<String> = self
                    .tx
                    .prepare_cached(
                        "SELECT tougou || '/' || tokutei || '/' || dataset || '/' || record_key || '/' || major_version
                         FROM chukan_fukuhon WHERE kikan = ?1 AND record_id = ?2",
                    )?
                    .query_row(params![self.kikan, record.record_id], |r| r.get(0))
                    .optional()?;
                let this = format!(
                    "{}/{}/{}/{}/{}",
                    record.atena,
                    record.tokutei,
                    record.dataset,
                    record.record_key,
                    record.major_version
                );
                if owner.is_some_and(|o| o != this) {
                    return Ok(Err(ApplyRefusal::DuplicateRecordId));
                }
                self.tx
                    .prepare_cached(
                        "UPDATE chukan_fukuhon SET record_id = ?7, edition = ?8, koukai_start = ?9,
                           koukai_end = ?10, body = ?11, updated_at = ?12, reception = ?13
                         WHERE kikan = ?1 AND tougou = ?2 AND tokutei = ?3 AND dataset = ?4
                           AND record_key = ?5 AND major_version = ?6",
                    )?
                    .execute(params![
                        self.kikan,
                        record.atena.as_str(),
                        record.tokutei.as_str(),
                        record.dataset,
                        record.record_key,
                        record.major_version,
                        record.record_id,
                        record.edition,
                        record.koukai_start.map(date_text),
                        record.koukai_end.map(date_text),
                        body,
                        self.now,
                        self.reception,
                    ])?;
            }
            ShoriKubun::Sakujo => {
                if !self.key_exists(record)? {
                    return Ok(Err(ApplyRefusal::NotRegistered));
                }
                self.tx
                    .prepare_cached(
                        "DELETE FROM chukan_fukuhon WHERE kikan = ?1 AND tougou = ?2 AND tokutei = ?3
                           AND dataset = ?4 AND record_key = ?5 AND major_version = ?6",
                    )?
                    .execute(params![
                        self.kikan,
                        record.atena.as_str(),
                        record.tokutei.as_str(),
                        record.dataset,
                        record.record_key,
                        record.major_version,
                    ])?;
            }
        }
        Ok(Ok(()))
    }

    /// 登録, inserted at once: the primary key and the レコード識別番号 index refuse what is
    /// already there, and only then is it asked which (one statement for the usual case
    /// instead of three).
    fn register(
        &mut self,
        record: &FukuhonRecord,
        body: &str,
    ) -> Result<Result<(), ApplyRefusal>, DbError> {
        let inserted = self.insert_fukuhon.execute(params![
            self.kikan,
            record.atena.as_str(),
            record.tokutei.as_str(),
            record.dataset,
            record.record_key,
            record.major_version,
            record.record_id,
            record.edition,
            record.koukai_start.map(date_text),
            record.koukai_end.map(date_text),
            body,
            self.now,
            self.reception,
        ]);
        match inserted {
            Ok(_) => Ok(Ok(())),
            Err(error)
                if error.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) =>
            {
                if self.key_exists(record)? {
                    Ok(Err(ApplyRefusal::AlreadyRegistered))
                } else if self.record_id_taken(&record.record_id)? {
                    Ok(Err(ApplyRefusal::DuplicateRecordId))
                } else {
                    Err(error.into())
                }
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Whether a 副本 with the record's key is stored.
    fn key_exists(&self, record: &FukuhonRecord) -> Result<bool, DbError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT 1 FROM chukan_fukuhon WHERE kikan = ?1 AND tougou = ?2 AND tokutei = ?3
                 AND dataset = ?4 AND record_key = ?5 AND major_version = ?6",
            )?
            .query_row(
                params![
                    self.kikan,
                    record.atena.as_str(),
                    record.tokutei.as_str(),
                    record.dataset,
                    record.record_key,
                    record.major_version
                ],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn record_id_taken(&self, record_id: &str) -> Result<bool, DbError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM chukan_fukuhon WHERE kikan = ?1 AND record_id = ?2")?
            .query_row(params![self.kikan, record_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Records the 受付's progress after this chunk.
    pub fn progress(
        &self,
        processed: u64,
        ok: u64,
        errors: u64,
        finished_at: Option<OffsetDateTime>,
    ) -> Result<(), DbError> {
        self.tx
            .prepare_cached(
                "UPDATE chukan_uketsuke SET processed = ?2, ok = ?3, errors = ?4, finished_at = ?5
                 WHERE reception = ?1",
            )?
            .execute(params![
                self.reception,
                processed as i64,
                ok as i64,
                errors as i64,
                finished_at.map(rfc3339)
            ])?;
        Ok(())
    }

    /// Records one line of the バッチ実行結果.
    pub fn batch_run(&self, run: &BatchRun) -> Result<(), DbError> {
        self.tx
            .prepare_cached(
                "INSERT INTO chukan_batch (kikan, run_at, reception, processed, ok, errors, remaining)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                run.kikan.as_str(),
                rfc3339(run.run_at),
                run.reception,
                run.processed as i64,
                run.ok as i64,
                run.errors as i64,
                run.remaining as i64
            ])?;
        Ok(())
    }
}

type RawUketsuke = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
);

fn raw_uketsuke(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawUketsuke> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn parse_uketsuke(raw: RawUketsuke) -> Result<Uketsuke, DbError> {
    {
        let (
            reception,
            kikan,
            route,
            file_name,
            spool,
            received_at,
            records,
            bytes,
            processed,
            ok,
            errors,
            finished_at,
        ) = raw;
        Ok(Uketsuke {
            reception,
            kikan: parse_id(&kikan)?,
            route: Route::from_word(&route).ok_or(DbError::Corrupt(route))?,
            file_name,
            spool: PathBuf::from(spool),
            received_at: parse_time(&received_at)?,
            records: records as u64,
            bytes: bytes as u64,
            processed: processed as u64,
            ok: ok as u64,
            errors: errors as u64,
            finished_at: finished_at.as_deref().map(parse_time).transpose()?,
        })
    }
}

struct RawFukuhon {
    tougou: String,
    tokutei: String,
    dataset: String,
    record_key: String,
    major_version: i64,
    edition: String,
    record_id: String,
    koukai_start: Option<String>,
    koukai_end: Option<String>,
    body: String,
    registered_at: String,
    updated_at: String,
    reception: String,
}

fn raw_fukuhon(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawFukuhon> {
    Ok(RawFukuhon {
        tougou: r.get(0)?,
        tokutei: r.get(1)?,
        dataset: r.get(2)?,
        record_key: r.get(3)?,
        major_version: r.get(4)?,
        edition: r.get(5)?,
        record_id: r.get(6)?,
        koukai_start: r.get(7)?,
        koukai_end: r.get(8)?,
        body: r.get(9)?,
        registered_at: r.get(10)?,
        updated_at: r.get(11)?,
        reception: r.get(12)?,
    })
}

impl RawFukuhon {
    fn parse(self) -> Result<StoredFukuhon, DbError> {
        Ok(StoredFukuhon {
            tougou: parse_id(&self.tougou)?,
            tokutei: parse_id(&self.tokutei)?,
            dataset: self.dataset,
            record_key: self.record_key,
            major_version: u16::try_from(self.major_version)
                .map_err(|_| DbError::Corrupt(self.major_version.to_string()))?,
            edition: self.edition,
            record_id: self.record_id,
            koukai_start: self.koukai_start.as_deref().map(parse_date).transpose()?,
            koukai_end: self.koukai_end.as_deref().map(parse_date).transpose()?,
            items: items_from_json(&self.body)?,
            registered_at: parse_time(&self.registered_at)?,
            updated_at: parse_time(&self.updated_at)?,
            reception: self.reception,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_with_characters_outside_the_bmp() {
        let items = vec![
            FukuhonItem {
                name: "氏名".into(),
                value: ItemValue::Value("𠮷田 髙﨑 \"引用\" \\ \u{1}\n".into()),
            },
            FukuhonItem {
                name: "非課税区分".into(),
                value: ItemValue::Null(NullReason::Gaitounashi),
            },
        ];
        let json = items_json(items.iter().map(|item| {
            let value = match &item.value {
                ItemValue::Value(text) => ItemRef::Value(text),
                ItemValue::Null(reason) => ItemRef::Null(*reason),
            };
            (item.name.as_str(), value)
        }));
        assert_eq!(items_from_json(&json).unwrap(), items);
        // The text serde_json::Value writes, as the stored bodies were written before.
        let value = serde_json::json!([
            ["氏名", "𠮷田 髙﨑 \"引用\" \\ \u{1}\n"],
            ["非課税区分", null, "1"]
        ]);
        assert_eq!(json, value.to_string());
    }

    #[test]
    fn reception_numbers_never_repeat() {
        let db = ChukanDb::in_memory().unwrap();
        let at = time::macros::datetime!(2019-06-03 10:00 +09:00);
        assert_eq!(db.next_reception(at).unwrap(), "201906030000000001");
        assert_eq!(db.next_reception(at).unwrap(), "201906030000000002");
    }
}
