//! 副本登録 from reception to 処理結果: accepting a file (受付), and the night batch (夜間バッチ)
//! that validates and stores it.
//!
//! 1. **受付** ([`accept`]): the file, already spooled to disk by the server, is read through
//!    once with [`FukuhonFileReader`] (streaming): a file that cannot be read — not well-formed,
//!    not UTF-8, cut short, a wrong header — is refused whole at once, naming the file, the
//!    record and the element; the header's 団体コード must be the tenant's; the records and bytes
//!    are counted against the day's caps (seed 004 §2.5: 登録と削除の合計件数, アップロードサイズ,
//!    both). Then the file is synced, its 受付 committed, and only then acknowledged.
//! 2. **夜間バッチ** ([`run_night`]): at the batch time, per tenant, the files are processed in
//!    the order received, record by record: [`Validator`] against the layout edition in force
//!    on the batch's day, then the checks that need the stored 副本 (another tenant's resident,
//!    a key already or not registered, a レコード識別番号 already used), then 登録 / 更新 / 削除.
//!    Every record gets its 処理結果 rows. At most the night's capacity (the tenant's daily record
//!    cap unless the scenario sets another) is processed; the rest waits for the next night
//!    (「残件は翌日の夜間バッチで処理されます」). Progress is committed every
//!    [`BATCH_CHUNK`] records, so a restart resumes where the batch stopped. Reading and
//!    validating run on a thread of their own while the caller's thread stores, a bounded
//!    channel between them ([`process_file`]): a large city's day, 200万 records, takes both
//!    cores of a small machine (issue 5; `renkei bench fukuhon`).

use std::io::BufReader;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use axum::http::StatusCode;
use renkei_fixtures::catalog::LayoutCatalog;
use time::{Date, OffsetDateTime};

use super::db::{
    ApplyRefusal, BATCH_CHUNK, BatchRun, ChunkWriter, DbError, Route, Uketsuke, items_json,
};
use super::denbun::DenbunError;
use super::fukuhon::{
    FukuhonFileReader, FukuhonRecord, KekkaCode, KekkaError, RawRecord, RecordField, Validator,
};
use super::platform::{Chukan, ChukanError, Tenant};
use crate::clock::JST;

/// Accepts the spooled file `spool` (`bytes` long, named `file_name` by the sender) as a 副本登録
/// 受付 of `tenant`. On refusal the spooled file is removed and nothing is recorded.
pub fn accept(
    chukan: &Chukan,
    tenant: &Tenant,
    route: Route,
    file_name: &str,
    spool: PathBuf,
    bytes: u64,
) -> Result<Uketsuke, DenbunError> {
    let result = accept_inner(chukan, tenant, route, file_name, &spool, bytes);
    if result.is_err() {
        let _ = std::fs::remove_file(&spool);
    }
    result
}

fn accept_inner(
    chukan: &Chukan,
    tenant: &Tenant,
    route: Route,
    file_name: &str,
    spool: &std::path::Path,
    bytes: u64,
) -> Result<Uketsuke, DenbunError> {
    let unreadable = |message: String| {
        DenbunError::new(StatusCode::BAD_REQUEST, "FILE_UNREADABLE", message).item(file_name)
    };
    let file = std::fs::File::open(spool).map_err(DenbunError::store)?;
    let mut reader = FukuhonFileReader::new(file_name, BufReader::with_capacity(256 * 1024, file))
        .map_err(|e| unreadable(e.to_string()))?;
    let header_dantai = reader.header().dantai;
    if header_dantai != tenant.dantai.code {
        return Err(DenbunError::new(
            StatusCode::FORBIDDEN,
            "OTHER_TENANT",
            format!(
                "{file_name}: ヘッダの団体コード{header_dantai}は、このクライアント証明書の団体 {} ({}) ではありません",
                tenant.dantai.code, tenant.dantai.name
            ),
        )
        .item("団体コード"));
    }
    // One record's buffers, reused: reading through allocates nothing per record.
    let mut record = RawRecord::default();
    let mut records = 0u64;
    while reader
        .next_record_into(&mut record)
        .map_err(|e| unreadable(e.to_string()))?
    {
        records += 1;
    }
    let now = chukan.clock().now();
    let today = now.to_offset(JST).date();
    let (done_records, done_bytes) = chukan
        .db()
        .uploaded_on(tenant.kikan(), today)
        .map_err(DenbunError::store)?;
    let caps = tenant.caps;
    if done_records + records > caps.records || done_bytes + bytes > caps.bytes {
        return Err(over_cap(
            file_name,
            tenant,
            done_records,
            done_bytes,
            records,
            bytes,
        ));
    }
    let reception = chukan
        .db()
        .next_reception(now)
        .map_err(DenbunError::store)?;
    let kept = chukan.spool_dir().join(format!("{reception}.xml"));
    std::fs::rename(spool, &kept).map_err(DenbunError::store)?;
    std::fs::File::open(&kept)
        .and_then(|f| f.sync_all())
        .map_err(DenbunError::store)?;
    let uketsuke = Uketsuke {
        reception,
        kikan: tenant.kikan(),
        route,
        file_name: file_name.to_owned(),
        spool: kept.clone(),
        received_at: now,
        records,
        bytes,
        processed: 0,
        ok: 0,
        errors: 0,
        finished_at: None,
    };
    if let Err(error) = chukan.db().insert_uketsuke(&uketsuke) {
        let _ = std::fs::remove_file(&kept);
        return Err(DenbunError::store(error));
    }
    Ok(uketsuke)
}

/// The refusal of a file that would take the day over a cap (seed 004 §2.5).
pub fn over_cap(
    file_name: &str,
    tenant: &Tenant,
    done_records: u64,
    done_bytes: u64,
    records: u64,
    bytes: u64,
) -> DenbunError {
    let caps = tenant.caps;
    DenbunError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "FILE_OVER_CAP",
        format!(
            "{file_name}: 本日の副本アップロード上限を超えます — {} ({}、人口{}人) の上限は 1 日 {} 件・{} バイト、本日受付済み {} 件・{} バイト、このファイル {} 件・{} バイト (seed 004 §2.5: 登録と削除の合計件数とアップロードサイズの両方を守ります)",
            tenant.dantai.name,
            tenant.dantai.kind,
            tenant.dantai.population,
            caps.records,
            caps.bytes,
            done_records,
            done_bytes,
            records,
            bytes
        ),
    )
    .item(file_name)
}

/// The night batch at `at`: every tenant's pending files, within the night's capacity.
pub fn run_night(chukan: &Chukan, at: OffsetDateTime) -> Result<(), ChukanError> {
    for tenant in chukan.tenants() {
        let mut capacity = chukan
            .config()
            .batch_records_per_night
            .unwrap_or(tenant.caps.records);
        for uketsuke in chukan.db().pending(tenant.kikan())? {
            let before = uketsuke.processed;
            let done = if capacity == 0 {
                // Carried over untouched: one line says so.
                chukan.db().in_transaction(|tx| {
                    let writer = ChunkWriter::new(tx, tenant.kikan(), &uketsuke.reception, at, 0)?;
                    writer.batch_run(&BatchRun {
                        kikan: tenant.kikan(),
                        run_at: at,
                        reception: uketsuke.reception.clone(),
                        processed: 0,
                        ok: 0,
                        errors: 0,
                        remaining: uketsuke.records - before,
                    })
                })?;
                0
            } else {
                process_file(chukan, tenant, &uketsuke, at, capacity)?
            };
            capacity -= done;
        }
    }
    Ok(())
}

/// Records the reading thread hands over in one message.
const ROWS_PER_MESSAGE: usize = 256;
/// Messages in flight between the two threads: with [`ROWS_PER_MESSAGE`], a few thousand
/// records at most are held between reading and storing, whatever the size of the file.
const MESSAGES_IN_FLIGHT: usize = 8;

/// Processes up to `capacity` records of one file; returns how many it processed.
///
/// Two threads, because reading (XML, validation) and storing (SQLite) each take a good part of
/// the time and the machine may have two cores (issue 5): a scoped thread reads the spooled file
/// and validates each record ([`read_ahead`]), this one stores ([`store`]), and a bounded channel
/// between them keeps memory flat. Records are stored in file order and committed every
/// [`BATCH_CHUNK`], as by one thread.
fn process_file(
    chukan: &Chukan,
    tenant: &Tenant,
    uketsuke: &Uketsuke,
    at: OffsetDateTime,
    capacity: u64,
) -> Result<u64, ChukanError> {
    let kekka_seq = next_kekka_seq(chukan, &uketsuke.reception)?;
    let limit = (uketsuke.processed + capacity).min(uketsuke.records);
    let layouts = chukan.layouts();
    let on = at.to_offset(JST).date();
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel(MESSAGES_IN_FLIGHT);
        std::thread::Builder::new()
            .name("fukuhon-read".to_owned())
            .spawn_scoped(scope, move || {
                read_ahead(layouts, on, uketsuke, limit, &sender)
            })
            // As `scope.spawn` does: a process that cannot start a thread cannot go on.
            .expect("the OS starts a thread");
        let mut incoming = Incoming {
            receiver,
            rows: Vec::new().into_iter(),
        };
        // When storing fails, `incoming` is dropped here and the reading thread stops at its
        // next message.
        store(
            chukan,
            tenant,
            uketsuke,
            at,
            kekka_seq,
            limit,
            &mut incoming,
        )
    })
}

/// One record as the reading thread hands it to the storing thread.
struct Row {
    /// Position in the file, from 1.
    number: u64,
    verdict: Verdict,
}

enum Verdict {
    /// A valid record (its `items` left empty) and its items as stored.
    Valid(FukuhonRecord, String),
    /// The レコード識別番号 as written (empty when missing) and the validator's problems.
    Invalid(String, Vec<KekkaError>),
}

/// What the reading thread sends.
enum Message {
    Rows(Vec<Row>),
    /// The file could not be opened, or not read again up to this night's first record:
    /// nothing of this night was read.
    Unopened(String),
    /// Reading stopped before the next record: why.
    Failed(String),
    /// Every record up to the night's limit was sent.
    Done,
}

/// The message for a spooled file that ends before the count taken at 受付.
const SHORTER: &str = "スプールしたファイルが受付時より短くなっています";

/// The reading thread: reads the spooled file again from the start, checks every record against
/// the layout in force on `on` (records of earlier nights too, so that the in-file duplicate
/// rule sees them) and sends this night's records, up to record `limit`, in order.
fn read_ahead(
    layouts: &LayoutCatalog,
    on: Date,
    uketsuke: &Uketsuke,
    limit: u64,
    out: &SyncSender<Message>,
) {
    let opened = std::fs::File::open(&uketsuke.spool)
        .map_err(|e| e.to_string())
        .and_then(|f| {
            FukuhonFileReader::new(
                uketsuke.file_name.clone(),
                BufReader::with_capacity(256 * 1024, f),
            )
            .map_err(|e| e.to_string())
        });
    let mut reader = match opened {
        Ok(reader) => reader,
        Err(why) => {
            // The spooled file was read whole at 受付; if it is gone now, every record left
            // gets an error row rather than waiting forever.
            let _ = out.send(Message::Unopened(why));
            return;
        }
    };
    let mut validator = Validator::new(layouts, on);
    // One record's buffers, reused for every record.
    let mut raw = RawRecord::default();
    for _ in 0..uketsuke.processed {
        if !matches!(reader.next_record_into(&mut raw), Ok(true)) {
            let _ = out.send(Message::Unopened(SHORTER.to_owned()));
            return;
        }
        // Only for the レコード識別番号 it notes.
        let _ = validator.verdict(&raw);
    }
    let mut rows = Vec::with_capacity(ROWS_PER_MESSAGE);
    let mut read = uketsuke.processed;
    let stop = loop {
        if read == limit {
            break Message::Done;
        }
        match reader.next_record_into(&mut raw) {
            Ok(true) => {}
            Ok(false) => break Message::Failed(SHORTER.to_owned()),
            Err(e) => break Message::Failed(e.to_string()),
        }
        read += 1;
        let verdict = match validator.verdict(&raw) {
            Ok(valid) => Verdict::Valid(valid.to_record(false), items_json(valid.items())),
            Err(problems) => Verdict::Invalid(
                raw.get(RecordField::RecordId).unwrap_or("").to_owned(),
                problems,
            ),
        };
        rows.push(Row {
            number: raw.number,
            verdict,
        });
        if rows.len() == ROWS_PER_MESSAGE {
            let full = std::mem::replace(&mut rows, Vec::with_capacity(ROWS_PER_MESSAGE));
            if out.send(Message::Rows(full)).is_err() {
                return; // The storing thread stopped.
            }
        }
    };
    if !rows.is_empty() && out.send(Message::Rows(rows)).is_err() {
        return;
    }
    let _ = out.send(stop);
}

/// The storing thread's end of the channel, one row at a time.
struct Incoming {
    receiver: Receiver<Message>,
    rows: std::vec::IntoIter<Row>,
}

impl Incoming {
    /// The next row, or why there is none.
    fn next(&mut self) -> Result<Row, Stop> {
        loop {
            if let Some(row) = self.rows.next() {
                return Ok(row);
            }
            match self.receiver.recv() {
                Ok(Message::Rows(rows)) => self.rows = rows.into_iter(),
                Ok(Message::Unopened(why)) => return Err(Stop::Unopened(why)),
                Ok(Message::Failed(why)) => return Err(Stop::Failed(why)),
                Ok(Message::Done) => return Err(Stop::Failed(SHORTER.to_owned())),
                // The reading thread always ends with a message unless it panicked; the scope
                // re-raises its panic, and this one rolls the chunk back.
                Err(_) => panic!("副本登録ファイルを読むスレッドが途中で終わりました"),
            }
        }
    }
}

/// Why the reading thread sent no more rows.
enum Stop {
    /// Before this night's first record ([`Message::Unopened`]).
    Unopened(String),
    /// After some records.
    Failed(String),
}

/// The storing thread: stores the rows of records `processed + 1 ..= limit` of one file.
fn store(
    chukan: &Chukan,
    tenant: &Tenant,
    uketsuke: &Uketsuke,
    at: OffsetDateTime,
    mut kekka_seq: u64,
    limit: u64,
    incoming: &mut Incoming,
) -> Result<u64, ChukanError> {
    let db = chukan.db();
    let kikan = tenant.kikan();
    let (mut processed, mut ok, mut errors) = (uketsuke.processed, uketsuke.ok, uketsuke.errors);
    let this_night_start = processed;
    // The first answer tells a file that could not be read again at all (nothing of this
    // night) from one that stops later (the chunk so far is committed first).
    let mut pending = match incoming.next() {
        Err(Stop::Unopened(why)) => {
            fail_rest(chukan, tenant, uketsuke, at, kekka_seq, &why)?;
            return Ok(0);
        }
        first => Some(first),
    };
    while processed < limit {
        let chunk_end = (processed + BATCH_CHUNK).min(limit);
        let mut failure: Option<String> = None;
        db.in_transaction(|tx| {
            let mut writer = ChunkWriter::new(tx, kikan, &uketsuke.reception, at, kekka_seq)?;
            while processed < chunk_end {
                let row = match pending.take().unwrap_or_else(|| incoming.next()) {
                    Ok(row) => row,
                    Err(Stop::Unopened(why) | Stop::Failed(why)) => {
                        failure = Some(why);
                        break;
                    }
                };
                match row.verdict {
                    Verdict::Invalid(record_id, problems) => {
                        for problem in &problems {
                            let error = (
                                problem.code.code(),
                                problem.item.as_str(),
                                problem.message.as_str(),
                            );
                            writer.kekka(row.number, &record_id, Some(error))?;
                        }
                        errors += 1;
                    }
                    Verdict::Valid(record, body) => {
                        let refusal = match chukan.resident_of(record.atena) {
                            Some(owner) if owner != tenant.dantai.code => Some((
                                KekkaCode::OtherTenant,
                                "団体内統合宛名番号",
                                format!(
                                    "団体内統合宛名番号「{}」は他団体の住民です: 副本を登録できるのは自団体 ({}) の住民だけです",
                                    record.atena, tenant.dantai.name
                                ),
                            )),
                            _ => match writer.apply(&record, &body)? {
                                Ok(()) => None,
                                Err(ApplyRefusal::DuplicateRecordId) => Some((
                                    KekkaCode::DuplicateRecordId,
                                    "レコード識別番号",
                                    "「レコード識別番号」が既に存在しています。".to_owned(),
                                )),
                                Err(ApplyRefusal::AlreadyRegistered) => Some((
                                    KekkaCode::AlreadyRegistered,
                                    "データセットレコードキー",
                                    format!(
                                        "副本 (団体内統合宛名番号「{}」、{}、データセット{}、キー「{}」、メジャーバージョン{}) は既に登録されています: 置き換えるには処理区分「更新」を使います",
                                        record.atena, record.tokutei, record.dataset, record.record_key, record.major_version
                                    ),
                                )),
                                Err(ApplyRefusal::NotRegistered) => Some((
                                    KekkaCode::NotRegistered,
                                    "データセットレコードキー",
                                    format!(
                                        "処理区分「{}」の副本 (団体内統合宛名番号「{}」、{}、データセット{}、キー「{}」、メジャーバージョン{}) は登録されていません",
                                        record.kubun, record.atena, record.tokutei, record.dataset, record.record_key, record.major_version
                                    ),
                                )),
                            },
                        };
                        match refusal {
                            None => {
                                writer.kekka(row.number, &record.record_id, None)?;
                                ok += 1;
                            }
                            Some((code, item, message)) => {
                                writer.kekka(
                                    row.number,
                                    &record.record_id,
                                    Some((code.code(), item, &message)),
                                )?;
                                errors += 1;
                            }
                        }
                    }
                }
                processed += 1;
            }
            kekka_seq = writer.kekka_seq();
            let finished = (processed == uketsuke.records && failure.is_none()).then_some(at);
            writer.progress(processed, ok, errors, finished)?;
            if processed == limit || failure.is_some() {
                writer.batch_run(&BatchRun {
                    kikan,
                    run_at: at,
                    reception: uketsuke.reception.clone(),
                    processed: processed - this_night_start,
                    ok,
                    errors,
                    remaining: uketsuke.records - processed,
                })?;
            }
            Ok(())
        })?;
        if let Some(why) = failure {
            let now = Uketsuke {
                processed,
                ok,
                errors,
                ..uketsuke.clone()
            };
            fail_rest(chukan, tenant, &now, at, kekka_seq, &why)?;
            return Ok(processed - this_night_start);
        }
    }
    if processed == uketsuke.records {
        let _ = std::fs::remove_file(&uketsuke.spool);
    }
    Ok(processed - this_night_start)
}

/// Ends a file the batch can no longer read: every record not yet processed gets an エラー row.
/// These rows do not count against the night's capacity: nothing was read or stored.
fn fail_rest(
    chukan: &Chukan,
    tenant: &Tenant,
    uketsuke: &Uketsuke,
    at: OffsetDateTime,
    kekka_seq: u64,
    why: &str,
) -> Result<(), ChukanError> {
    let kikan = tenant.kikan();
    let left = uketsuke.records - uketsuke.processed;
    chukan.db().in_transaction(|tx| {
        let mut writer = ChunkWriter::new(tx, kikan, &uketsuke.reception, at, kekka_seq)?;
        for number in uketsuke.processed + 1..=uketsuke.records {
            writer.kekka(
                number,
                "",
                Some((
                    "FK00",
                    "ファイル",
                    &format!(
                        "{}: 夜間バッチがファイルを読めませんでした: {why}",
                        uketsuke.file_name
                    ),
                )),
            )?;
        }
        writer.progress(
            uketsuke.records,
            uketsuke.ok,
            uketsuke.errors + left,
            Some(at),
        )?;
        writer.batch_run(&BatchRun {
            kikan,
            run_at: at,
            reception: uketsuke.reception.clone(),
            processed: left,
            ok: uketsuke.ok,
            errors: uketsuke.errors + left,
            remaining: 0,
        })
    })?;
    Ok(())
}

fn next_kekka_seq(chukan: &Chukan, reception: &str) -> Result<u64, DbError> {
    let mut next = 0;
    chukan.db().in_transaction(|tx| {
        next = tx.query_row(
            "SELECT COALESCE(MAX(seq) + 1, 0) FROM chukan_kekka WHERE reception = ?1",
            rusqlite::params![reception],
            |r| r.get::<_, i64>(0),
        )? as u64;
        Ok(())
    })?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::Arc;

    use renkei_fixtures::ids::DantaiCode;
    use time::macros::datetime;

    use super::*;
    use crate::chukan::db::{ChukanDb, KekkaRow};
    use crate::chukan::denbun::MsgMode;
    use crate::chukan::fugou::IssuanceDelay;
    use crate::chukan::fukuhon::{FileHeader, FukuhonFileWriter, NullReason, RawItem};
    use crate::chukan::platform::{ChukanConfig, DEFAULT_BATCH_TIME};
    use crate::clock::Clock;
    use crate::jukinet::service::JukinetCs;

    /// A 中間サーバー for 千代田区 in `dir`, its clock at Monday 09:00.
    fn chukan(dir: &std::path::Path, per_night: Option<u64>) -> (Chukan, Clock) {
        let clock = Clock::frozen(datetime!(2026-04-06 09:00 +09:00));
        let jukinet = JukinetCs::builder(clock.clone()).build().unwrap();
        let config = ChukanConfig {
            tenants: vec!["131016".parse().unwrap()],
            mode: MsgMode::Test,
            fugou_delay: IssuanceDelay::Immediate,
            batch_time: DEFAULT_BATCH_TIME,
            batch_records_per_night: per_night,
            documented_limits: true,
            seed: 1,
            caps_override: None,
        };
        let db = Arc::new(ChukanDb::open(dir).unwrap());
        let chukan = Chukan::new(
            clock.clone(),
            config,
            &[],
            jukinet,
            db,
            Some(dir),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
        )
        .unwrap();
        (chukan, clock)
    }

    /// A file of 登録 of 地方税関係情報 with these レコード識別番号, one person each (by
    /// position), spooled and accepted.
    fn accepted(chukan: &Chukan, ids: &[&str]) -> Uketsuke {
        let people: Vec<(&str, u64)> = (1..).zip(ids).map(|(n, id)| (*id, n)).collect();
        accepted_for(chukan, &people)
    }

    /// A file of 登録 of 地方税関係情報: (レコード識別番号, person), spooled and accepted.
    fn accepted_for(chukan: &Chukan, records: &[(&str, u64)]) -> Uketsuke {
        let dantai: DantaiCode = "131016".parse().unwrap();
        let tenant = chukan.tenant_of(dantai).unwrap().clone();
        let path = chukan.spool_dir().join("upload.part");
        let header = FileHeader {
            file_id: "FI_DBM_0001".into(),
            dantai,
            created_at: datetime!(2026-04-06 08:00 +09:00),
        };
        let out = std::fs::File::create(&path).unwrap();
        let mut writer = FukuhonFileWriter::new(out, &header).unwrap();
        for &(id, person) in records {
            let mut record = RawRecord::numbered(0);
            record
                .set(RecordField::RecordId, id)
                .set(RecordField::ShoriKubun, "登録")
                .set(
                    RecordField::TougouAtenaBango,
                    format!("{:015}", 900_000 + person),
                )
                .set(RecordField::TokuteiKojinJohoMeiCode, "TM00000000000002")
                .set(RecordField::Dataset, "D0201")
                .set(RecordField::RecordKey, "2025")
                .set(RecordField::MajorVersion, "1")
                .set(RecordField::KoukaiStart, "2026-04-01");
            record.body = Some(vec![
                RawItem::value("課税年度", "2025"),
                RawItem::value("課税区分", "1"),
                RawItem::null("非課税区分", NullReason::Gaitounashi),
                RawItem::value("年税額", "100000"),
                RawItem::value("市区町村民税均等割額", "3500"),
                RawItem::value("市区町村民税所得割額", "60000"),
                RawItem::value("都道府県民税均等割額", "1500"),
                RawItem::value("都道府県民税所得割額", "48000"),
                RawItem::value("課税標準額", "700000"),
                RawItem::value("扶養人数", "1"),
                RawItem::value("扶養親族続柄", "子"),
            ]);
            writer.record(&record).unwrap();
        }
        writer.finish().unwrap();
        let bytes = std::fs::metadata(&path).unwrap().len();
        accept(
            chukan,
            &tenant,
            Route::File,
            "FI_DBM_0001_t.xml",
            path,
            bytes,
        )
        .unwrap()
    }

    fn results(chukan: &Chukan, reception: &str) -> Vec<KekkaRow> {
        let mut rows = Vec::new();
        chukan
            .db()
            .for_each_kekka(reception, |row| {
                rows.push(row);
                true
            })
            .unwrap();
        rows
    }

    #[test]
    fn a_spool_cut_after_reception_ends_the_file_with_fk00_rows() {
        let dir = tempfile::tempdir().unwrap();
        let (chukan, clock) = chukan(dir.path(), None);
        let uketsuke = accepted(&chukan, &["R1", "R2", "R3", "R4", "R5"]);
        let bytes = std::fs::read(&uketsuke.spool).unwrap();
        let third = String::from_utf8_lossy(&bytes).find("R3").unwrap();
        std::fs::write(&uketsuke.spool, &bytes[..third]).unwrap();
        clock.set(chukan.next_batch_time().unwrap());
        chukan.catch_up().unwrap();

        let rows = results(&chukan, &uketsuke.reception);
        let codes: Vec<_> = rows.iter().map(|r| r.code.as_deref()).collect();
        assert_eq!(
            codes,
            [None, None, Some("FK00"), Some("FK00"), Some("FK00")]
        );
        assert!(
            rows[2]
                .message
                .as_deref()
                .unwrap()
                .contains("3件目のレコード")
        );
        let done = chukan
            .db()
            .uketsuke(uketsuke.kikan, &uketsuke.reception)
            .unwrap()
            .unwrap();
        assert_eq!((done.processed, done.ok, done.errors), (5, 2, 3));
        assert!(done.finished_at.is_some());
        // The night's line up to the cut, and the line of the records it could not read.
        let runs = chukan.db().batch_runs(uketsuke.kikan).unwrap();
        let runs: Vec<_> = runs.iter().map(|r| (r.processed, r.remaining)).collect();
        assert_eq!(runs, [(2, 3), (3, 0)]);
        assert_eq!(chukan.db().fukuhon_count(uketsuke.kikan).unwrap(), 2);
    }

    #[test]
    fn a_spool_gone_before_a_later_night_ends_the_rest_with_fk00_rows() {
        let dir = tempfile::tempdir().unwrap();
        let (chukan, clock) = chukan(dir.path(), Some(2));
        let uketsuke = accepted(&chukan, &["R1", "R2", "R3", "R4", "R5"]);
        clock.set(chukan.next_batch_time().unwrap());
        chukan.catch_up().unwrap();
        std::fs::remove_file(&uketsuke.spool).unwrap();
        clock.set(chukan.next_batch_time().unwrap());
        chukan.catch_up().unwrap();

        let rows = results(&chukan, &uketsuke.reception);
        let codes: Vec<_> = rows.iter().map(|r| r.code.as_deref()).collect();
        assert_eq!(
            codes,
            [None, None, Some("FK00"), Some("FK00"), Some("FK00")]
        );
        let runs = chukan.db().batch_runs(uketsuke.kikan).unwrap();
        let runs: Vec<_> = runs.iter().map(|r| (r.processed, r.remaining)).collect();
        assert_eq!(runs, [(2, 3), (3, 0)]);
    }

    #[test]
    fn records_carried_over_are_read_again_for_the_duplicate_rule() {
        let dir = tempfile::tempdir().unwrap();
        let (chukan, clock) = chukan(dir.path(), Some(2));
        // R1 again in the second night: the first night's R1 must still count.
        let uketsuke = accepted(&chukan, &["R1", "R2", "R3", "R1", "R5"]);
        for _ in 0..3 {
            clock.set(chukan.next_batch_time().unwrap());
            chukan.catch_up().unwrap();
        }
        let rows = results(&chukan, &uketsuke.reception);
        let rows: Vec<_> = rows
            .iter()
            .map(|r| (r.record_number, r.code.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (1, None),
                (2, None),
                (3, None),
                (4, Some("FK01")),
                (5, None)
            ]
        );
        let runs = chukan.db().batch_runs(uketsuke.kikan).unwrap();
        let runs: Vec<_> = runs.iter().map(|r| (r.processed, r.remaining)).collect();
        assert_eq!(runs, [(2, 3), (2, 1), (1, 0)]);
        assert!(
            !uketsuke.spool.exists(),
            "a finished file's spool is removed"
        );
    }

    #[test]
    fn a_later_file_meets_the_stored_fukuhon() {
        let dir = tempfile::tempdir().unwrap();
        let (chukan, clock) = chukan(dir.path(), None);
        accepted_for(&chukan, &[("R1", 1), ("R2", 2)]);
        clock.set(chukan.next_batch_time().unwrap());
        chukan.catch_up().unwrap();
        // The same key again, a stored レコード識別番号 for another key, and a new one.
        let later = accepted_for(&chukan, &[("R3", 1), ("R1", 9), ("R4", 4)]);
        clock.set(chukan.next_batch_time().unwrap());
        chukan.catch_up().unwrap();
        let rows = results(&chukan, &later.reception);
        let codes: Vec<_> = rows.iter().map(|r| r.code.as_deref()).collect();
        assert_eq!(codes, [Some("FK17"), Some("FK01"), None]);
        assert_eq!(
            rows[1].message.as_deref(),
            Some("「レコード識別番号」が既に存在しています。")
        );
        assert_eq!(chukan.db().fukuhon_count(later.kikan).unwrap(), 3);
    }
}
