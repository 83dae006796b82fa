//! 保管: `--data` の下の SQLite データベース1つ。
//!
//! 申請とそのすべてのファイル (BLOB)、通知、宛名データ、証明書情報、符号取得の状況と、既存業務システムの
//! 副本・照会・記録 (`store/kizon.rs` の表) を持ちます。申請とファイルと通知は
//! **一つのトランザクション**で書くので、取得済みにする前に「保管し終えた」と言えます (ING-03)。
//! `synchronous=FULL` はコミットがディスクに届いてから戻るためです。
//!
//! `Store` は `Connection` を一つ持つだけで、排他は呼ぶ側 (`std::sync::Mutex`) がします。
//! どの呼び出しも短く、非同期の処理をまたいで持ち続けないからです。

mod kizon;

pub use kizon::{
    DenbunRow, FileRow, FukuhonKansatsu, FukuhonKansatsuItem, JIZEN_TSUUCHI, KirokuRow, Okutta,
    SeihonFukuhon, SeihonRow, TeikyouRow, TsuuchiRow,
};

use crate::error::{Error, Result};
use crate::master::TougouJumin;
use crate::model::{Applicant, FormItem, IdentifyMethod, Jumin, Kihon4};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- 既存住基システム: 宛名データ (住民記録ファイルと本人確認情報)
CREATE TABLE IF NOT EXISTS atena (
  juminhyo_code TEXT PRIMARY KEY,
  atena_bango TEXT, tougou_atena_bango TEXT,
  shimei TEXT NOT NULL, shimei_kana TEXT, seinengappi TEXT NOT NULL, seibetsu TEXT NOT NULL, jusho TEXT NOT NULL,
  source TEXT NOT NULL, updated_at TEXT NOT NULL);

-- 既存住基システム: 証明書情報 (住基ネットCS の行の、最後に受け取った状態)
CREATE TABLE IF NOT EXISTS shomeisho (
  serial TEXT PRIMARY KEY, juminhyo_code TEXT NOT NULL, kind TEXT NOT NULL,
  hakkobi TEXT, yuko_kigen TEXT NOT NULL, shikkobi TEXT);

-- 不具合 links-snapshot だけが読む、reset のあと最初の juki_renkei の終わりに取った写し
CREATE TABLE IF NOT EXISTS shomeisho_snapshot (
  serial TEXT PRIMARY KEY, juminhyo_code TEXT NOT NULL, kind TEXT NOT NULL,
  hakkobi TEXT, yuko_kigen TEXT NOT NULL, shikkobi TEXT);

-- 申請管理システム: 取り込んだ申請 (受付番号ごとに1件。id は届いた順)
CREATE TABLE IF NOT EXISTS shinsei (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uketsuke_bango TEXT NOT NULL,
  tetsuzuki TEXT NOT NULL, tetsuzuki_name TEXT NOT NULL, category TEXT NOT NULL,
  shinsei_nichiji TEXT NOT NULL, shinsei_bi TEXT NOT NULL,
  kensho_kekka TEXT NOT NULL, kensho_shosai TEXT NOT NULL,
  shinsa_status TEXT NOT NULL,
  applicant_method TEXT NOT NULL, atena_bango TEXT, tougou_atena_bango TEXT,
  shimei_kana TEXT, kihon4 TEXT, form TEXT NOT NULL,
  gyomu_system TEXT,
  zip_sha256 TEXT NOT NULL, received_at TEXT NOT NULL,
  shori_jokyo_reported TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS shinsei_uketsuke ON shinsei (uketsuke_bango);

CREATE TABLE IF NOT EXISTS shinsei_file (
  shinsei_id INTEGER NOT NULL REFERENCES shinsei (id),
  seq INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, content BLOB NOT NULL,
  PRIMARY KEY (shinsei_id, seq));

-- 通知。once_key が同じ通知は2度上げない (1つの申請について同じ通知は1度だけ)
CREATE TABLE IF NOT EXISTS tsuchi (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  level TEXT NOT NULL, title TEXT NOT NULL, uketsuke_bango TEXT, message TEXT NOT NULL,
  once_key TEXT UNIQUE);

-- 不具合 no-retry だけが使う、ダウンロードに失敗した受付番号
CREATE TABLE IF NOT EXISTS download_failed (uketsuke_bango TEXT PRIMARY KEY);

-- 団体内統合宛名システム: 住民の団体内統合宛名番号・個人番号と、符号取得の状況 (seq は住民記録に加わった順)。
-- origin は reset (住民記録ファイル) か jumin_toroku (転入などで加えた住民)。
-- fugou_status は 未要求 か、中間サーバーが答えた語 (符号取得中 / 符号取得済み / エラー)。
CREATE TABLE IF NOT EXISTS tougou_atena (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tougou_atena_bango TEXT NOT NULL UNIQUE,
  kojin_bango TEXT, juminhyo_code TEXT, atena_bango TEXT,
  origin TEXT NOT NULL,
  fugou_status TEXT NOT NULL DEFAULT '未要求',
  fugou_uketsuke TEXT, fugou_detail TEXT, fugou_checked_at TEXT);
"#;

const TABLES: [&str; 20] = [
    "kizon_seihon",
    "kizon_seihon_fukuhon",
    "kizon_fukuhon",
    "kizon_fukuhon_file",
    "kizon_shoukai",
    "kizon_kikan_test",
    "kizon_kiroku",
    "kizon_tsuuchi",
    "kizon_teikyou",
    "kizon_denbun",
    "kizon_toiawase",
    "meta",
    "tougou_atena",
    "atena",
    "shomeisho",
    "shomeisho_snapshot",
    "shinsei_file",
    "shinsei",
    "tsuchi",
    "download_failed",
];

pub struct Store {
    conn: Connection,
}

/// 証明書情報の1行 (JS01 / JS02 のレコード)。日付は `YYYY-MM-DD`。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShomeishoRow {
    /// 先頭の0を除いた10進数。
    pub serial: String,
    pub juminhyo_code: String,
    /// `署名用` / `利用者証明用`。
    pub kind: String,
    pub hakkobi: Option<String>,
    pub yuko_kigen: String,
    pub shikkobi: Option<String>,
}

impl ShomeishoRow {
    /// `today` (日本時間の日付、`YYYY-MM-DD`) に有効か。失効日その日から失効、有効期限の日までは有効
    /// (docs/jukinet-formats.md「状態の判定」)。文字列の比較で足りるのは書式が固定だからです。
    pub fn is_valid_on(&self, today: &str) -> bool {
        let revoked = self.shikkobi.as_deref().is_some_and(|d| d <= today);
        !revoked && self.yuko_kigen.as_str() >= today
    }
}

/// 保管する申請 (ファイルを除く)。
#[derive(Clone, Debug)]
pub struct NewShinsei {
    pub uketsuke_bango: String,
    pub tetsuzuki: String,
    pub tetsuzuki_name: String,
    pub category: String,
    pub shinsei_nichiji: String,
    pub shinsei_bi: String,
    pub kensho_kekka: String,
    pub kensho_shosai: String,
    pub applicant: Applicant,
    pub shimei_kana: Option<String>,
    pub kihon4: Option<Kihon4>,
    pub form: Vec<FormItem>,
    pub gyomu_system: Option<String>,
    pub zip_sha256: String,
    pub received_at: String,
}

/// 保管するファイル1つ。
#[derive(Clone, Debug)]
pub struct NewFile {
    pub path: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// 保管した申請 (観察と審査のため)。
#[derive(Clone, Debug)]
pub struct ShinseiRecord {
    pub id: i64,
    pub uketsuke_bango: String,
    pub tetsuzuki: String,
    pub category: String,
    pub shinsei_nichiji: String,
    pub shinsei_bi: String,
    pub kensho_kekka: String,
    pub shinsa_status: String,
    pub applicant: Applicant,
    pub shimei_kana: Option<String>,
    pub kihon4: Option<Kihon4>,
    pub form: Vec<FormItem>,
    pub gyomu_system: Option<String>,
    pub shori_jokyo_reported: String,
}

/// 保管したファイルの目録 (中身なし)。
#[derive(Clone, Debug)]
pub struct FileMeta {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// 通知1つ。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tsuchi {
    pub level: String,
    pub title: String,
    pub uketsuke_bango: Option<String>,
    pub message: String,
}

/// 住民がどこから住民記録に加わったか (団体内統合宛名システム)。
pub const ORIGIN_RESET: &str = "reset";
pub const ORIGIN_JUMIN_TOROKU: &str = "jumin_toroku";

/// 符号取得の状況をまだ要求していない住民の語 (観察 `GET /fugou`)。
pub const FUGOU_MIYOKYU: &str = "未要求";

/// 団体内統合宛名システムの住民1人と、その符号取得の状況。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TougouRecord {
    pub tougou_atena_bango: String,
    pub kojin_bango: Option<String>,
    /// [`ORIGIN_RESET`] か [`ORIGIN_JUMIN_TOROKU`]。
    pub origin: String,
    /// `未要求` / `符号取得中` / `符号取得済み` / `エラー`。
    pub status: String,
    /// 最後の符号取得要求の中間サーバー受付番号。
    pub uketsuke_bango: Option<String>,
    /// 最後に中間サーバーが答えたこと (人が読む一文)。
    pub detail: Option<String>,
}

/// 符号取得の1人分の結果。`status` が `None` なら状況は変えず、`detail` だけを書きます (断られたとき)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FugouUpdate {
    pub tougou_atena_bango: String,
    pub status: Option<String>,
    /// `Some` なら受付番号を置き換えます。
    pub uketsuke_bango: Option<String>,
    pub detail: String,
    pub checked_at: String,
}

impl Store {
    /// `dir/reference-vendor.sqlite` を開きます (なければ作ります)。
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::new(format!("フォルダ {} を作れません: {e}", dir.display())))?;
        let conn = Connection::open(dir.join("reference-vendor.sqlite"))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        )?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(kizon::SCHEMA)?;
        Ok(Store { conn })
    }

    /// すべてを捨てます (`reset`)。
    pub fn wipe(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        for table in TABLES {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        tx.execute("DELETE FROM sqlite_sequence", []).ok();
        tx.commit()?;
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }

    // ---- 宛名データ ----

    /// 住民記録ファイルの全員で宛名データを置き換えます。
    pub fn replace_atena(&mut self, people: &[Jumin]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM atena", [])?;
        {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO atena (juminhyo_code, atena_bango, tougou_atena_bango, shimei, shimei_kana,
                   seinengappi, seibetsu, jusho, source, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
            )?;
            for p in people {
                stmt.execute(params![
                    p.juminhyo_code,
                    p.atena_bango,
                    p.tougou_atena_bango,
                    p.shimei,
                    p.shimei_kana,
                    p.seinengappi,
                    p.seibetsu,
                    p.jusho,
                    p.source,
                    p.updated_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// 団体内統合宛名システムの住民を住民記録ファイルの全員で置き換えます (`reset`)。
    pub fn replace_tougou(&mut self, tougou: &[TougouJumin]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM tougou_atena", [])?;
        insert_tougou(&tx, tougou, ORIGIN_RESET)?;
        tx.commit()?;
        Ok(())
    }

    /// 本人確認情報で宛名データの基本4情報を更新します。宛名番号は住基マスタのものを保ちます。
    /// 宛名データにいない住民 (住基マスタにない人) は足しません: 宛名番号がないからです。
    /// 更新した人数を返します。
    pub fn update_atena_from_cs(&mut self, people: &[Jumin]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut updated = 0;
        {
            let mut stmt = tx.prepare(
                "UPDATE atena SET shimei = ?2, shimei_kana = ?3, seinengappi = ?4, seibetsu = ?5, jusho = ?6,
                   source = ?7, updated_at = ?8 WHERE juminhyo_code = ?1",
            )?;
            for p in people {
                updated += stmt.execute(params![
                    p.juminhyo_code,
                    p.shimei,
                    p.shimei_kana,
                    p.seinengappi,
                    p.seibetsu,
                    p.jusho,
                    p.source,
                    p.updated_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(updated)
    }

    pub fn jumin(&self, juminhyo_code: &str) -> Result<Option<Jumin>> {
        Ok(self
            .conn
            .query_row(
                "SELECT juminhyo_code, atena_bango, tougou_atena_bango, shimei, shimei_kana, seinengappi, seibetsu,
                   jusho, source, updated_at FROM atena WHERE juminhyo_code = ?1",
                [juminhyo_code],
                row_to_jumin,
            )
            .optional()?)
    }

    /// 基本4情報が**一字一句同じ**住民 (ING-12、ING-13)。
    pub fn jumin_by_kihon4(&self, k: &Kihon4) -> Result<Vec<Jumin>> {
        let mut stmt = self.conn.prepare(
            "SELECT juminhyo_code, atena_bango, tougou_atena_bango, shimei, shimei_kana, seinengappi, seibetsu,
               jusho, source, updated_at FROM atena
             WHERE shimei = ?1 AND seinengappi = ?2 AND seibetsu = ?3 AND jusho = ?4 ORDER BY juminhyo_code",
        )?;
        let rows = stmt.query_map(
            params![k.shimei, k.seinengappi, k.seibetsu, k.jusho],
            row_to_jumin,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// 生年月日が同じ住民 (不具合 fuzzy-kihon4 が氏名を緩く比べるため)。
    pub fn jumin_by_seinengappi(&self, seinengappi: &str) -> Result<Vec<Jumin>> {
        let mut stmt = self.conn.prepare(
            "SELECT juminhyo_code, atena_bango, tougou_atena_bango, shimei, shimei_kana, seinengappi, seibetsu,
               jusho, source, updated_at FROM atena WHERE seinengappi = ?1 ORDER BY juminhyo_code",
        )?;
        let rows = stmt.query_map([seinengappi], row_to_jumin)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// 住民記録に住民を加えます (`jumin_toroku`): 宛名データと団体内統合宛名システムの住民を一つの
    /// トランザクションで。同じ住民票コードの宛名データは置き換え、同じ団体内統合宛名番号の住民は番号だけを
    /// 改めて符号取得の状況を保ちます。団体内統合宛名システムに新しく加わった人数を返します。
    pub fn add_jumin(
        &mut self,
        people: &[Jumin],
        tougou: &[TougouJumin],
        origin: &str,
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO atena (juminhyo_code, atena_bango, tougou_atena_bango, shimei, shimei_kana,
                   seinengappi, seibetsu, jusho, source, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
            )?;
            for p in people {
                stmt.execute(params![
                    p.juminhyo_code,
                    p.atena_bango,
                    p.tougou_atena_bango,
                    p.shimei,
                    p.shimei_kana,
                    p.seinengappi,
                    p.seibetsu,
                    p.jusho,
                    p.source,
                    p.updated_at
                ])?;
            }
        }
        let added = insert_tougou(&tx, tougou, origin)?;
        tx.commit()?;
        Ok(added)
    }

    /// 団体内統合宛名システムの住民を、住民記録に加わった順に。
    pub fn tougou_all(&self) -> Result<Vec<TougouRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT tougou_atena_bango, kojin_bango, origin, fugou_status, fugou_uketsuke, fugou_detail
             FROM tougou_atena ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TougouRecord {
                tougou_atena_bango: r.get(0)?,
                kojin_bango: r.get(1)?,
                origin: r.get(2)?,
                status: r.get(3)?,
                uketsuke_bango: r.get(4)?,
                detail: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// 符号取得の結果をまとめて一つのトランザクションで書きます。
    pub fn update_fugou(&mut self, updates: &[FugouUpdate]) -> Result<()> {
        if updates.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "UPDATE tougou_atena SET fugou_status = COALESCE(?2, fugou_status),
                   fugou_uketsuke = COALESCE(?3, fugou_uketsuke), fugou_detail = ?4, fugou_checked_at = ?5
                 WHERE tougou_atena_bango = ?1",
            )?;
            for u in updates {
                stmt.execute(params![
                    u.tougou_atena_bango,
                    u.status,
                    u.uketsuke_bango,
                    u.detail,
                    u.checked_at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    // ---- 証明書情報 ----

    /// 証明書情報の行を当てます: 同じシリアル番号の行は今の状態で置き換えます。
    pub fn upsert_shomeisho(&mut self, rows: &[ShomeishoRow]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO shomeisho (serial, juminhyo_code, kind, hakkobi, yuko_kigen, shikkobi)
                 VALUES (?1,?2,?3,?4,?5,?6)",
            )?;
            for r in rows {
                stmt.execute(params![
                    r.serial,
                    r.juminhyo_code,
                    r.kind,
                    r.hakkobi,
                    r.yuko_kigen,
                    r.shikkobi
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// 全件ファイルで置き換えます (JS01)。
    pub fn replace_shomeisho(&mut self, rows: &[ShomeishoRow]) -> Result<()> {
        self.conn.execute("DELETE FROM shomeisho", [])?;
        self.upsert_shomeisho(rows)
    }

    pub fn shomeisho_all(&self) -> Result<Vec<ShomeishoRow>> {
        self.shomeisho_query(
            "SELECT serial, juminhyo_code, kind, hakkobi, yuko_kigen, shikkobi FROM shomeisho",
            [],
        )
    }

    /// シリアル番号の行。`snapshot` なら取っておいた写しから (不具合 links-snapshot)。
    pub fn shomeisho(&self, serial: &str, snapshot: bool) -> Result<Option<ShomeishoRow>> {
        let table = if snapshot {
            "shomeisho_snapshot"
        } else {
            "shomeisho"
        };
        let sql = format!(
            "SELECT serial, juminhyo_code, kind, hakkobi, yuko_kigen, shikkobi FROM {table} WHERE serial = ?1"
        );
        Ok(self.shomeisho_query(&sql, [serial])?.into_iter().next())
    }

    /// 紐付けの写しを取ります (不具合 links-snapshot: reset のあと最初の juki_renkei の終わりにだけ呼ばれます)。
    pub fn snapshot_shomeisho(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "DELETE FROM shomeisho_snapshot; INSERT INTO shomeisho_snapshot SELECT * FROM shomeisho;",
        )?;
        Ok(())
    }

    fn shomeisho_query<P: rusqlite::Params>(&self, sql: &str, p: P) -> Result<Vec<ShomeishoRow>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(p, |r| {
            Ok(ShomeishoRow {
                serial: r.get(0)?,
                juminhyo_code: r.get(1)?,
                kind: r.get(2)?,
                hakkobi: r.get(3)?,
                yuko_kigen: r.get(4)?,
                shikkobi: r.get(5)?,
            })
        })?;
        let mut out: Vec<ShomeishoRow> = rows.collect::<rusqlite::Result<_>>()?;
        // シリアル番号は数の順に (文字列の順では桁数の違う番号が並ばないため)。
        out.sort_by(|a, b| (a.serial.len(), &a.serial).cmp(&(b.serial.len(), &b.serial)));
        Ok(out)
    }

    // ---- 申請 ----

    /// この受付番号の申請をすでに保管したか。
    pub fn shinsei_exists(&self, uketsuke_bango: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM shinsei WHERE uketsuke_bango = ?1 LIMIT 1",
                [uketsuke_bango],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// 申請とファイルと通知を一つのトランザクションで保管します。コミットが戻れば保管し終えています。
    pub fn insert_shinsei(
        &mut self,
        s: &NewShinsei,
        files: &[NewFile],
        tsuchi: &Tsuchi,
        once_key: &str,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let kihon4 = s
            .kihon4
            .as_ref()
            .map(|k| serde_json::to_string(k).unwrap_or_default());
        let form = serde_json::to_string(&s.form)
            .map_err(|e| Error::new(format!("様式の値を保管できません: {e}")))?;
        tx.execute(
            "INSERT INTO shinsei (uketsuke_bango, tetsuzuki, tetsuzuki_name, category, shinsei_nichiji, shinsei_bi,
               kensho_kekka, kensho_shosai, shinsa_status, applicant_method, atena_bango, tougou_atena_bango,
               shimei_kana, kihon4, form, gyomu_system, zip_sha256, received_at, shori_jokyo_reported)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,'未審査',?9,?10,?11,?12,?13,?14,?15,?16,?17,'未受付')",
            params![
                s.uketsuke_bango,
                s.tetsuzuki,
                s.tetsuzuki_name,
                s.category,
                s.shinsei_nichiji,
                s.shinsei_bi,
                s.kensho_kekka,
                s.kensho_shosai,
                s.applicant.method.as_str(),
                s.applicant.atena_bango,
                s.applicant.tougou_atena_bango,
                s.shimei_kana,
                kihon4,
                form,
                s.gyomu_system,
                s.zip_sha256,
                s.received_at
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut stmt = tx.prepare(
                "INSERT INTO shinsei_file (shinsei_id, seq, path, size, sha256, content) VALUES (?1,?2,?3,?4,?5,?6)",
            )?;
            for (seq, f) in files.iter().enumerate() {
                stmt.execute(params![
                    id,
                    seq as i64,
                    f.path,
                    f.content.len() as i64,
                    f.sha256,
                    f.content
                ])?;
            }
        }
        insert_tsuchi(&tx, tsuchi, Some(once_key))?;
        tx.commit()?;
        Ok(id)
    }

    /// 保管した申請を届いた順に。
    pub fn shinsei_all(&self) -> Result<Vec<ShinseiRecord>> {
        let mut stmt = self
            .conn
            .prepare(&format!("{SHINSEI_SELECT} ORDER BY id"))?;
        let rows = stmt.query_map([], row_to_shinsei)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// 受付番号の申請 (最初に保管したもの)。
    pub fn shinsei_by_uketsuke(&self, uketsuke_bango: &str) -> Result<Vec<ShinseiRecord>> {
        let mut stmt = self.conn.prepare(&format!(
            "{SHINSEI_SELECT} WHERE uketsuke_bango = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([uketsuke_bango], row_to_shinsei)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn files(&self, shinsei_id: i64) -> Result<Vec<FileMeta>> {
        let mut stmt = self.conn.prepare(
            "SELECT path, size, sha256 FROM shinsei_file WHERE shinsei_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([shinsei_id], |r| {
            Ok(FileMeta {
                path: r.get(0)?,
                size: r.get::<_, i64>(1)? as u64,
                sha256: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_shinsa_status(&self, id: i64, status: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE shinsei SET shinsa_status = ?2 WHERE id = ?1",
            params![id, status],
        )?;
        Ok(())
    }

    pub fn set_shori_jokyo_reported(&self, id: i64, status: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE shinsei SET shori_jokyo_reported = ?2 WHERE id = ?1",
            params![id, status],
        )?;
        Ok(())
    }

    // ---- 通知 ----

    /// 通知を上げます。`once_key` が同じ通知がすでにあれば何もしません。上げたら `true`。
    pub fn add_tsuchi(&self, t: &Tsuchi, once_key: Option<&str>) -> Result<bool> {
        insert_tsuchi(&self.conn, t, once_key)
    }

    pub fn tsuchi_all(&self) -> Result<Vec<Tsuchi>> {
        let mut stmt = self
            .conn
            .prepare("SELECT level, title, uketsuke_bango, message FROM tsuchi ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok(Tsuchi {
                level: r.get(0)?,
                title: r.get(1)?,
                uketsuke_bango: r.get(2)?,
                message: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- 不具合 no-retry ----

    pub fn remember_download_failure(&self, uketsuke_bango: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO download_failed (uketsuke_bango) VALUES (?1)",
            [uketsuke_bango],
        )?;
        Ok(())
    }

    pub fn download_failed_before(&self, uketsuke_bango: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM download_failed WHERE uketsuke_bango = ?1",
                [uketsuke_bango],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

const SHINSEI_SELECT: &str = "SELECT id, uketsuke_bango, tetsuzuki, category, shinsei_nichiji, shinsei_bi, kensho_kekka,
  shinsa_status, applicant_method, atena_bango, tougou_atena_bango, shimei_kana, kihon4, form, gyomu_system,
  shori_jokyo_reported FROM shinsei";

fn row_to_shinsei(r: &rusqlite::Row<'_>) -> rusqlite::Result<ShinseiRecord> {
    let kihon4: Option<String> = r.get(12)?;
    let form: String = r.get(13)?;
    Ok(ShinseiRecord {
        id: r.get(0)?,
        uketsuke_bango: r.get(1)?,
        tetsuzuki: r.get(2)?,
        category: r.get(3)?,
        shinsei_nichiji: r.get(4)?,
        shinsei_bi: r.get(5)?,
        kensho_kekka: r.get(6)?,
        shinsa_status: r.get(7)?,
        applicant: Applicant {
            method: IdentifyMethod::from_word(&r.get::<_, String>(8)?),
            atena_bango: r.get(9)?,
            tougou_atena_bango: r.get(10)?,
        },
        shimei_kana: r.get(11)?,
        kihon4: kihon4.and_then(|k| serde_json::from_str(&k).ok()),
        form: serde_json::from_str(&form).unwrap_or_default(),
        gyomu_system: r.get(14)?,
        shori_jokyo_reported: r.get(15)?,
    })
}

fn row_to_jumin(r: &rusqlite::Row<'_>) -> rusqlite::Result<Jumin> {
    Ok(Jumin {
        juminhyo_code: r.get(0)?,
        atena_bango: r.get(1)?,
        tougou_atena_bango: r.get(2)?,
        shimei: r.get(3)?,
        shimei_kana: r.get(4)?,
        seinengappi: r.get(5)?,
        seibetsu: r.get(6)?,
        jusho: r.get(7)?,
        source: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

/// 団体内統合宛名システムの住民を加えます。新しく加わった人数を返します。
fn insert_tougou(conn: &Connection, tougou: &[TougouJumin], origin: &str) -> Result<usize> {
    let mut stmt = conn.prepare(
        "INSERT INTO tougou_atena (tougou_atena_bango, kojin_bango, juminhyo_code, atena_bango, origin)
         VALUES (?1,?2,?3,?4,?5)
         ON CONFLICT (tougou_atena_bango) DO UPDATE SET
           kojin_bango = excluded.kojin_bango, juminhyo_code = excluded.juminhyo_code,
           atena_bango = excluded.atena_bango",
    )?;
    let before: i64 = conn.query_row("SELECT COUNT(*) FROM tougou_atena", [], |r| r.get(0))?;
    for t in tougou {
        stmt.execute(params![
            t.tougou_atena_bango,
            t.kojin_bango,
            t.juminhyo_code,
            t.atena_bango,
            origin
        ])?;
    }
    let after: i64 = conn.query_row("SELECT COUNT(*) FROM tougou_atena", [], |r| r.get(0))?;
    Ok((after - before) as usize)
}

fn insert_tsuchi(conn: &Connection, t: &Tsuchi, once_key: Option<&str>) -> Result<bool> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO tsuchi (level, title, uketsuke_bango, message, once_key) VALUES (?1,?2,?3,?4,?5)",
        params![t.level, t.title, t.uketsuke_bango, t.message, once_key],
    )?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jumin(code: &str, shimei: &str) -> Jumin {
        Jumin {
            juminhyo_code: code.into(),
            atena_bango: Some(format!("A{code}")),
            tougou_atena_bango: Some(format!("T{code}")),
            shimei: shimei.into(),
            shimei_kana: None,
            seinengappi: "1989-01-07".into(),
            seibetsu: "女".into(),
            jusho: "東京都千代田区霞〜ハイツ".into(),
            source: "住民記録".into(),
            updated_at: "2026-04-06T09:00:00+09:00".into(),
        }
    }

    #[test]
    fn kihon4_match_is_exact_and_characters_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .replace_atena(&[
                jumin("99000000001", "𠮷田　髙﨑"),
                jumin("99000000002", "吉田　髙﨑"),
            ])
            .unwrap();
        let k = jumin("x", "𠮷田　髙﨑").kihon4();
        let found = store.jumin_by_kihon4(&k).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].shimei, "𠮷田　髙﨑");
        let mut wave = k.clone();
        wave.jusho = "東京都千代田区霞～ハイツ".into();
        assert!(
            store.jumin_by_kihon4(&wave).unwrap().is_empty(),
            "〜 と ～ は別の字"
        );
    }

    #[test]
    fn once_key_raises_a_notification_once_and_wipe_forgets_everything() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let t = Tsuchi {
            level: "エラー".into(),
            title: "障害発生".into(),
            uketsuke_bango: None,
            message: "m".into(),
        };
        assert!(store.add_tsuchi(&t, Some("k")).unwrap());
        assert!(!store.add_tsuchi(&t, Some("k")).unwrap());
        assert!(store.add_tsuchi(&t, None).unwrap());
        assert_eq!(store.tsuchi_all().unwrap().len(), 2);
        store.wipe().unwrap();
        assert!(store.tsuchi_all().unwrap().is_empty());
    }

    #[test]
    fn tougou_residents_keep_their_order_origin_and_fugou_status() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let t = |n: &str| TougouJumin {
            tougou_atena_bango: format!("00000050000000{n}"),
            kojin_bango: Some("991779802481".into()),
            juminhyo_code: None,
            atena_bango: None,
        };
        store.replace_tougou(&[t("1"), t("2")]).unwrap();
        store
            .update_fugou(&[FugouUpdate {
                tougou_atena_bango: t("1").tougou_atena_bango,
                status: Some("符号取得中".into()),
                uketsuke_bango: Some("202604060000000001".into()),
                detail: "d".into(),
                checked_at: "c".into(),
            }])
            .unwrap();
        // 断られたとき: 状況と受付番号は変えない
        store
            .update_fugou(&[FugouUpdate {
                tougou_atena_bango: t("1").tougou_atena_bango,
                status: None,
                uketsuke_bango: None,
                detail: "断られた".into(),
                checked_at: "c".into(),
            }])
            .unwrap();
        let added = store
            .add_jumin(
                &[jumin("99000000003", "転入　者")],
                &[t("1"), t("3")],
                ORIGIN_JUMIN_TOROKU,
            )
            .unwrap();
        assert_eq!(added, 1);
        let all = store.tougou_all().unwrap();
        let got: Vec<(&str, &str, &str, Option<&str>)> = all
            .iter()
            .map(|r| {
                (
                    &r.tougou_atena_bango[14..],
                    r.origin.as_str(),
                    r.status.as_str(),
                    r.uketsuke_bango.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("1", ORIGIN_RESET, "符号取得中", Some("202604060000000001")),
                ("2", ORIGIN_RESET, FUGOU_MIYOKYU, None),
                ("3", ORIGIN_JUMIN_TOROKU, FUGOU_MIYOKYU, None),
            ]
        );
        assert_eq!(all[0].detail.as_deref(), Some("断られた"));
        assert!(store.jumin("99000000003").unwrap().is_some());
        store.wipe().unwrap();
        assert!(store.tougou_all().unwrap().is_empty());
    }

    #[test]
    fn validity_follows_the_documented_day_rules() {
        let row = ShomeishoRow {
            serial: "9".into(),
            juminhyo_code: "99".into(),
            kind: "署名用".into(),
            hakkobi: None,
            yuko_kigen: "2026-04-06".into(),
            shikkobi: Some("2026-04-08".into()),
        };
        assert!(row.is_valid_on("2026-04-06"), "有効期限の日までは有効");
        assert!(!row.is_valid_on("2026-04-07"), "有効期限の翌日は期限切れ");
        let revoked = ShomeishoRow {
            yuko_kigen: "2030-01-01".into(),
            ..row
        };
        assert!(revoked.is_valid_on("2026-04-07"));
        assert!(!revoked.is_valid_on("2026-04-08"), "失効日その日から失効");
    }
}
