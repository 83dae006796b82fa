//! 既存業務システムの保管 (docs/kizon-gyomu.md): いま読んだ正本、副本のキーごとの状態、送った副本登録
//! ファイル、照会の依頼 (とそのために送った・受けた電文、作った問合せ資料)、機関間テストの行、取り込んだ
//! 情報提供等記録、読んだ通知、知っている提供の求め。
//!
//! 副本はキー (団体内統合宛名番号・特定個人情報名コード・データセット・レコードキー・メジャーバージョン) ごとに
//! 「登録されている (内容)」「送って結果を待っている (どのファイルの何件目)」「最後の処理結果」を持ちます。
//! 送ったファイルと待っているレコードは一つのトランザクションで書くので、受付番号を覚えたのに
//! どのレコードか分からない、ということは起きません。

use super::Store;
use crate::defects::{DefectKind, Seeded};
use crate::error::Result;
use crate::kizon::fukuhon::file::Kekka;
use crate::kizon::fukuhon::sabun::{FukuhonJotai, LastResult, ShoriKubun, Sousa};
use crate::kizon::fukuhon::sakusei::FukuhonKey;
use crate::kizon::irai::{Irai, Jouken};
use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub(super) const SCHEMA: &str = r#"
-- 既存業務システム: 最後に読んだ正本 (正本の順)。副本にしなかったレコードは build_error に理由。
CREATE TABLE IF NOT EXISTS kizon_seihon (
  seq INTEGER PRIMARY KEY,
  seihon_id TEXT NOT NULL UNIQUE,
  build_error TEXT);

-- 既存業務システム: 正本のレコードごとに持つ副本 (n = 0 がその日に有効な版のもの。改版のときは新しい版のものも)。
CREATE TABLE IF NOT EXISTS kizon_seihon_fukuhon (
  seihon_id TEXT NOT NULL, n INTEGER NOT NULL,
  fkey TEXT NOT NULL, major INTEGER NOT NULL, naiyou TEXT NOT NULL,
  PRIMARY KEY (seihon_id, n));
CREATE INDEX IF NOT EXISTS kizon_seihon_fukuhon_fkey ON kizon_seihon_fukuhon (fkey);

-- 既存業務システム: 副本のキーごとに、システムが知っていること。
-- reg: 登録されている (reg_naiyou は内容、reg_edition は作った版、分からなければ NULL)。
-- pend_*: 送って処理結果を待っている。
-- last_*: 最後の処理結果 (last_ok 1 正常 / 0 エラー)。
CREATE TABLE IF NOT EXISTS kizon_fukuhon (
  fkey TEXT PRIMARY KEY,
  tougou TEXT NOT NULL, tokutei TEXT NOT NULL, dataset TEXT NOT NULL, record_key TEXT NOT NULL,
  major INTEGER NOT NULL, seihon_id TEXT NOT NULL,
  reg INTEGER NOT NULL DEFAULT 0, reg_naiyou TEXT, reg_record_id TEXT, reg_edition TEXT,
  pend_kubun TEXT, pend_naiyou TEXT, pend_record_id TEXT, pend_uketsuke TEXT, pend_record_no INTEGER,
  pend_edition TEXT,
  last_kubun TEXT, last_ok INTEGER, last_code TEXT, last_message TEXT, last_naiyou TEXT);
CREATE INDEX IF NOT EXISTS kizon_fukuhon_pend ON kizon_fukuhon (pend_uketsuke);

-- 既存業務システム: 送って受け付けられた副本登録ファイル。done は処理結果を当て終えた (又は失われた)。
CREATE TABLE IF NOT EXISTS kizon_fukuhon_file (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  uketsuke_bango TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL,
  uketsuke_nichiji TEXT NOT NULL, uketsuke_bi TEXT NOT NULL,
  kensuu INTEGER NOT NULL, bytes INTEGER NOT NULL, jokyo TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0);

-- 既存業務システム: 照会の依頼 (shoukai と kikan_test)。jouken と kekka は JSON。
CREATE TABLE IF NOT EXISTS kizon_shoukai (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  irai_id TEXT NOT NULL UNIQUE, houshiki TEXT NOT NULL,
  tougou TEXT NOT NULL, jimu TEXT NOT NULL, tetsuzuki TEXT NOT NULL, tokutei TEXT NOT NULL,
  teikyousha TEXT NOT NULL, jouken TEXT NOT NULL,
  status TEXT NOT NULL, reason TEXT, shori_tsuuban TEXT, uketsuke_bango TEXT,
  error_code TEXT, error_message TEXT, kekka TEXT, toriyame INTEGER NOT NULL DEFAULT 0);

-- 既存業務システム: 機関間テストの計画の行 (照会の依頼は kizon_shoukai の irai_id = test_id)。
CREATE TABLE IF NOT EXISTS kizon_kikan_test (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  test_id TEXT NOT NULL UNIQUE, aite TEXT NOT NULL, tokutei TEXT NOT NULL);

-- 既存業務システム: 取り込んだ自分の側の情報提供等記録。
CREATE TABLE IF NOT EXISTS kizon_kiroku (
  shori_tsuuban TEXT NOT NULL, kiroku_kubun TEXT NOT NULL,
  aite TEXT NOT NULL, tokutei TEXT NOT NULL, tougou TEXT NOT NULL,
  teikyou_kekka TEXT NOT NULL, motome_nichiji TEXT NOT NULL,
  PRIMARY KEY (shori_tsuuban, kiroku_kubun));

-- 既存業務システム: 読んだ通知 (IF_OSR_10611_R01)。
CREATE TABLE IF NOT EXISTS kizon_tsuuchi (
  bangou INTEGER PRIMARY KEY, shubetsu TEXT NOT NULL, shori_tsuuban TEXT NOT NULL,
  aite TEXT NOT NULL, nichiji TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS kizon_tsuuchi_tsuuban ON kizon_tsuuchi (shori_tsuuban);

-- 既存業務システム: 知っている提供の求め (IF_TKY_10811_R01 で読んだもの) と、最後に知った提供ステータス。
CREATE TABLE IF NOT EXISTS kizon_teikyou (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  shori_tsuuban TEXT NOT NULL UNIQUE, shoukaisha TEXT NOT NULL, tokutei TEXT NOT NULL,
  motome_nichiji TEXT NOT NULL, yuukou_kigen TEXT NOT NULL, status TEXT NOT NULL);

-- 既存業務システム: 照会の依頼ごとに、送った電文と受けた電文 (問合せ資料のため。マスキングは資料を作るときに)。
-- error_code: その応答で断られた、又は照会がエラーになったときのエラーコード。
CREATE TABLE IF NOT EXISTS kizon_denbun (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  irai_id TEXT NOT NULL, denbun_id TEXT NOT NULL, nichiji TEXT NOT NULL,
  sent TEXT NOT NULL, received TEXT NOT NULL, error_code TEXT);
CREATE INDEX IF NOT EXISTS kizon_denbun_irai ON kizon_denbun (irai_id);

-- 既存業務システム: 作った問合せ資料 (JSON、マスキング済み)。
CREATE TABLE IF NOT EXISTS kizon_toiawase (
  irai_id TEXT PRIMARY KEY, shiryou TEXT NOT NULL);
"#;

/// いま読んだ正本の1レコード (保管する形)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeihonRow {
    pub seihon_id: String,
    /// 持つ副本 (その日に有効な版のものが先)。副本にしないなら空。
    pub fukuhon: Vec<SeihonFukuhon>,
    /// 副本にしない理由。
    pub build_error: Option<String>,
}

/// 正本のレコードの副本1つ: キーと内容 ([`crate::kizon::fukuhon::sakusei::Naiyou::text`])。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeihonFukuhon {
    pub key: FukuhonKey,
    pub naiyou: String,
}

/// 送って受け付けられた副本登録ファイル。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRow {
    pub uketsuke_bango: String,
    pub file_name: String,
    pub uketsuke_nichiji: String,
    /// 受付日 (JST、`YYYY-MM-DD`)。1日の上限はこの日で数えます。
    pub uketsuke_bi: String,
    pub kensuu: u64,
    pub bytes: u64,
    pub jokyo: String,
}

/// `/fukuhon` の1件。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FukuhonKansatsuItem {
    pub seihon_id: String,
    pub status: &'static str,
    pub major_version: Option<u32>,
    pub kekka_code: Option<String>,
    pub message: Option<String>,
}

/// `/fukuhon` の件数と items (totsugou は meta にあります)。
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FukuhonKansatsu {
    pub seihon_kensuu: usize,
    pub touroku_kensuu: usize,
    pub error_kensuu: usize,
    pub machi_kensuu: usize,
    pub items: Vec<FukuhonKansatsuItem>,
}

/// `/fukuhon` の items[].status の語。
pub const MISOUSHIN: &str = "未送信";
pub const SHORI_MACHI: &str = "処理待ち";
pub const TOUROKUZUMI: &str = "登録済み";
pub const ERROR: &str = "エラー";
pub const SAKUJO_MACHI: &str = "削除待ち";
pub const SAKUJOZUMI: &str = "削除済み";

/// 保管した副本のキーの行。
#[derive(Clone, Debug)]
struct KeyRow {
    fkey: String,
    jotai: FukuhonJotai,
    last_message: Option<String>,
}

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    let major: i64 = r.get(5)?;
    let key = FukuhonKey {
        tougou_atena_bango: r.get(1)?,
        tokutei: r.get(2)?,
        dataset: r.get(3)?,
        record_key: r.get(4)?,
        major_version: u32::try_from(major).unwrap_or_default(),
    };
    let last_kubun: Option<String> = r.get(10)?;
    let last = last_kubun
        .as_deref()
        .and_then(ShoriKubun::from_word)
        .map(|kubun| -> rusqlite::Result<LastResult> {
            Ok(LastResult {
                kubun,
                ok: r.get::<_, Option<i64>>(11)? == Some(1),
                code: r.get(12)?,
                naiyou: r.get(14)?,
            })
        })
        .transpose()?;
    Ok(KeyRow {
        fkey: r.get(0)?,
        jotai: FukuhonJotai {
            key,
            seihon_id: r.get(6)?,
            registered: r.get::<_, i64>(7)? == 1,
            registered_naiyou: r.get(8)?,
            registered_edition: r.get(15)?,
            pending: r.get::<_, Option<String>>(9)?.is_some(),
            last,
        },
        last_message: r.get(13)?,
    })
}

const KEY_SELECT: &str =
    "SELECT fkey, tougou, tokutei, dataset, record_key, major, seihon_id, reg, reg_naiyou,
  pend_kubun, last_kubun, last_ok, last_code, last_message, last_naiyou, reg_edition FROM kizon_fukuhon";

/// 送ったレコード1つ: ファイルの何件目か、レコード識別番号、処理。
pub struct Okutta<'a> {
    pub record_no: u64,
    pub record_id: String,
    pub sousa: &'a Sousa,
}

impl Store {
    // ---- 副本登録 ----

    /// いま読んだ正本で置き換えます。
    pub fn kizon_replace_seihon(&mut self, rows: &[SeihonRow]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM kizon_seihon", [])?;
        tx.execute("DELETE FROM kizon_seihon_fukuhon", [])?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO kizon_seihon (seq, seihon_id, build_error) VALUES (?1,?2,?3)",
            )?;
            let mut fstmt = tx.prepare(
                "INSERT INTO kizon_seihon_fukuhon (seihon_id, n, fkey, major, naiyou) VALUES (?1,?2,?3,?4,?5)",
            )?;
            for (i, r) in rows.iter().enumerate() {
                stmt.execute(params![i as i64, r.seihon_id, r.build_error])?;
                for (n, f) in r.fukuhon.iter().enumerate() {
                    fstmt.execute(params![
                        r.seihon_id,
                        n as i64,
                        f.key.text(),
                        i64::from(f.key.major_version),
                        f.naiyou
                    ])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// 副本のキーごとの状態 (正本との差を決めるため)。
    pub fn kizon_fukuhon_jotai(&self) -> Result<Vec<FukuhonJotai>> {
        Ok(self.key_rows()?.into_iter().map(|k| k.jotai).collect())
    }

    fn key_rows(&self) -> Result<Vec<KeyRow>> {
        let mut stmt = self.conn.prepare(&format!("{KEY_SELECT} ORDER BY fkey"))?;
        let rows = stmt.query_map([], key_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// まだ処理結果を当て終えていないファイル (送った順)。
    pub fn kizon_files_open(&self) -> Result<Vec<FileRow>> {
        self.files_where("WHERE done = 0")
    }

    fn files_where(&self, filter: &str) -> Result<Vec<FileRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT uketsuke_bango, file_name, uketsuke_nichiji, uketsuke_bi, kensuu, bytes, jokyo
             FROM kizon_fukuhon_file {filter} ORDER BY seq"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(FileRow {
                uketsuke_bango: r.get(0)?,
                file_name: r.get(1)?,
                uketsuke_nichiji: r.get(2)?,
                uketsuke_bi: r.get(3)?,
                kensuu: r.get::<_, i64>(4)? as u64,
                bytes: r.get::<_, i64>(5)? as u64,
                jokyo: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// その日 (受付日) に受け付けられた件数とバイト数。
    pub fn kizon_uketsukezumi(&self, day: &str) -> Result<(u64, u64)> {
        let (records, bytes): (i64, i64) = self.conn.query_row(
            "SELECT COALESCE(SUM(kensuu), 0), COALESCE(SUM(bytes), 0) FROM kizon_fukuhon_file WHERE uketsuke_bi = ?1",
            [day],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((records as u64, bytes as u64))
    }

    /// 受け付けられたファイルと、その中のレコードを「結果待ち」として一つのトランザクションで書きます。
    pub fn kizon_sent(&mut self, file: &FileRow, records: &[Okutta<'_>]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO kizon_fukuhon_file (uketsuke_bango, file_name, uketsuke_nichiji, uketsuke_bi, kensuu, bytes, jokyo)
             VALUES (?1,?2,?3,?4,?5,?6,?7)",
            params![
                file.uketsuke_bango,
                file.file_name,
                file.uketsuke_nichiji,
                file.uketsuke_bi,
                file.kensuu as i64,
                file.bytes as i64,
                file.jokyo
            ],
        )?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO kizon_fukuhon (fkey, tougou, tokutei, dataset, record_key, major, seihon_id,
                   pend_kubun, pend_naiyou, pend_record_id, pend_uketsuke, pend_record_no, pend_edition)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)
                 ON CONFLICT (fkey) DO UPDATE SET seihon_id = excluded.seihon_id,
                   pend_kubun = excluded.pend_kubun, pend_naiyou = excluded.pend_naiyou,
                   pend_record_id = excluded.pend_record_id, pend_uketsuke = excluded.pend_uketsuke,
                   pend_record_no = excluded.pend_record_no, pend_edition = excluded.pend_edition",
            )?;
            for o in records {
                let k = &o.sousa.key;
                stmt.execute(params![
                    k.text(),
                    k.tougou_atena_bango,
                    k.tokutei,
                    k.dataset,
                    k.record_key,
                    i64::from(k.major_version),
                    o.sousa.seihon_id,
                    o.sousa.kubun.as_str(),
                    o.sousa.naiyou_text(),
                    o.record_id,
                    file.uketsuke_bango,
                    o.record_no as i64,
                    o.sousa.edition
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// ファイルの処理状況を書き留めます (まだ処理済みでないとき)。
    pub fn kizon_file_jokyo(&self, uketsuke_bango: &str, jokyo: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE kizon_fukuhon_file SET jokyo = ?2 WHERE uketsuke_bango = ?1",
            params![uketsuke_bango, jokyo],
        )?;
        Ok(())
    }

    /// 処理済みのファイルの結果を当てます (一つのトランザクション)。結果のないレコードは失われたものとして
    /// 待つのをやめます (次の回に送り直します)。当てたレコードの数を返します。
    pub fn kizon_apply_results(
        &mut self,
        uketsuke_bango: &str,
        jokyo: &str,
        kekka: &[Kekka],
    ) -> Result<usize> {
        let mut by_no: HashMap<u64, Vec<&Kekka>> = HashMap::new();
        for k in kekka {
            by_no.entry(k.record_no).or_default().push(k);
        }
        let tx = self.conn.transaction()?;
        let pending: Vec<(String, String, Option<String>, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT fkey, pend_kubun, pend_naiyou, pend_record_no FROM kizon_fukuhon WHERE pend_uketsuke = ?1",
            )?;
            let rows = stmt.query_map([uketsuke_bango], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut applied = 0;
        for (fkey, kubun_word, naiyou, record_no) in pending {
            let kubun = ShoriKubun::from_word(&kubun_word).unwrap_or(ShoriKubun::Touroku);
            let Some(results) = by_no.get(&(record_no as u64)) else {
                tx.execute(
                    "UPDATE kizon_fukuhon SET pend_kubun = NULL, pend_naiyou = NULL, pend_record_id = NULL,
                       pend_uketsuke = NULL, pend_record_no = NULL, pend_edition = NULL WHERE fkey = ?1",
                    [&fkey],
                )?;
                continue;
            };
            applied += 1;
            let errors: Vec<&&Kekka> = results.iter().filter(|k| !k.ok).collect();
            if errors.is_empty() {
                let (reg, reg_naiyou) = match kubun {
                    ShoriKubun::Sakujo => (0, None),
                    _ => (1, naiyou.clone()),
                };
                tx.execute(
                    "UPDATE kizon_fukuhon SET reg = ?2, reg_naiyou = ?3,
                       reg_record_id = CASE WHEN ?2 = 1 THEN pend_record_id ELSE NULL END,
                       reg_edition = CASE WHEN ?2 = 1 THEN pend_edition ELSE NULL END,
                       last_kubun = pend_kubun, last_ok = 1, last_code = NULL, last_message = NULL,
                       last_naiyou = pend_naiyou,
                       pend_kubun = NULL, pend_naiyou = NULL, pend_record_id = NULL, pend_uketsuke = NULL,
                       pend_record_no = NULL, pend_edition = NULL
                     WHERE fkey = ?1",
                    params![fkey, reg, reg_naiyou],
                )?;
                continue;
            }
            let code = errors[0].code.clone().unwrap_or_default();
            let message = errors
                .iter()
                .map(|e| {
                    format!(
                        "{} [{}] {}",
                        e.code.as_deref().unwrap_or_default(),
                        e.koumoku.as_deref().unwrap_or_default(),
                        e.message.as_deref().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(" / ");
            // 中間サーバーの副本の有無について知ったこと: FK17 は登録されている、FK18 は登録されていない。
            let has = |c: &str| errors.iter().any(|e| e.code.as_deref() == Some(c));
            let reg_change: Option<i64> = if has("FK17") && kubun == ShoriKubun::Touroku {
                Some(1)
            } else if has("FK18") && kubun != ShoriKubun::Touroku {
                Some(0)
            } else {
                None
            };
            tx.execute(
                "UPDATE kizon_fukuhon SET
                   reg = COALESCE(?2, reg),
                   reg_naiyou = CASE WHEN ?2 IS NULL THEN reg_naiyou ELSE NULL END,
                   reg_record_id = CASE WHEN ?2 IS NULL THEN reg_record_id ELSE NULL END,
                   reg_edition = CASE WHEN ?2 IS NULL THEN reg_edition ELSE NULL END,
                   last_kubun = pend_kubun, last_ok = 0, last_code = ?3, last_message = ?4,
                   last_naiyou = pend_naiyou,
                   pend_kubun = NULL, pend_naiyou = NULL, pend_record_id = NULL, pend_uketsuke = NULL,
                   pend_record_no = NULL, pend_edition = NULL
                 WHERE fkey = ?1",
                params![fkey, reg_change, code, message],
            )?;
        }
        tx.execute(
            "UPDATE kizon_fukuhon_file SET jokyo = ?2, done = 1 WHERE uketsuke_bango = ?1",
            params![uketsuke_bango, jokyo],
        )?;
        tx.commit()?;
        Ok(applied)
    }

    /// 結果を取れなくなったファイル (中間サーバーが受付番号を知らない、など): 待つのをやめ、レコードは次の回に
    /// 送り直します。
    pub fn kizon_file_lost(&mut self, uketsuke_bango: &str, jokyo: &str) -> Result<()> {
        self.kizon_apply_results(uketsuke_bango, jokyo, &[])
            .map(|_| ())
    }

    /// 正本の副本にも中間サーバーにもなく、待ってもいないキー (削除し終えたものを除く) を捨てます。
    pub fn kizon_forget_stale(&self) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM kizon_fukuhon WHERE reg = 0 AND pend_kubun IS NULL
               AND fkey NOT IN (SELECT fkey FROM kizon_seihon_fukuhon)
               AND NOT (COALESCE(last_kubun, '') = '削除' AND COALESCE(last_ok, 0) = 1)",
            [],
        )?)
    }

    /// 登録されているとシステムが知っている副本の数 (`touroku_kensuu`)。
    pub fn kizon_touroku_kensuu(&self, seeded: Seeded) -> Result<usize> {
        let sql = if seeded.has(DefectKind::FukuhonCountSent) {
            // 不具合: 送ったレコードをすべて数える (処理結果がエラーだったものも)。
            "SELECT COUNT(*) FROM kizon_fukuhon WHERE reg = 1 OR (last_ok = 0 AND last_kubun <> '削除')"
        } else {
            "SELECT COUNT(*) FROM kizon_fukuhon WHERE reg = 1"
        };
        let n: i64 = self.conn.query_row(sql, [], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// `/fukuhon` の件数と items。
    pub fn kizon_fukuhon_kansatsu(&self, seeded: Seeded) -> Result<FukuhonKansatsu> {
        let mut fukuhon: HashMap<String, Vec<ObsFukuhon>> = HashMap::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT seihon_id, fkey, major, naiyou FROM kizon_seihon_fukuhon ORDER BY seihon_id, n",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    ObsFukuhon {
                        fkey: r.get(1)?,
                        major: u32::try_from(r.get::<_, i64>(2)?).unwrap_or_default(),
                        naiyou: r.get(3)?,
                    },
                ))
            })?;
            for row in rows {
                let (id, f) = row?;
                fukuhon.entry(id).or_default().push(f);
            }
        }
        let seihon: Vec<SeihonObs> = {
            let mut stmt = self
                .conn
                .prepare("SELECT seihon_id, build_error FROM kizon_seihon ORDER BY seq")?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })?;
            rows.map(|row| {
                row.map(|(seihon_id, build_error)| SeihonObs {
                    fukuhon: fukuhon.remove(&seihon_id).unwrap_or_default(),
                    seihon_id,
                    build_error,
                })
            })
            .collect::<rusqlite::Result<_>>()?
        };
        let keys = self.key_rows()?;
        let mut out = kansatsu(&seihon, &keys);
        out.touroku_kensuu = self.kizon_touroku_kensuu(seeded)?;
        Ok(out)
    }

    // ---- 照会 ----

    /// 照会の依頼を加えます。同じ irai_id があれば加えずに `false`。
    pub fn kizon_shoukai_add(&self, i: &Irai) -> Result<bool> {
        shoukai_add(&self.conn, i)
    }

    /// 照会の依頼をまとめて加えます (一つのトランザクション)。依頼ごとに、加えたか (同じ irai_id があれば `false`)。
    pub fn kizon_shoukai_add_many(&mut self, list: &[Irai]) -> Result<Vec<bool>> {
        let tx = self.conn.transaction()?;
        let mut added = Vec::with_capacity(list.len());
        for i in list {
            added.push(shoukai_add(&tx, i)?);
        }
        tx.commit()?;
        Ok(added)
    }

    /// 照会の状況をまとめて書きます (一つのトランザクション)。
    pub fn kizon_shoukai_save_many(&mut self, list: &[&Irai]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for i in list {
            shoukai_save(&tx, i)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// 中間サーバー受付番号 `uketsuke` の一括照会の明細のうち、まだ `処理待ち` の数。
    pub fn kizon_shoukai_shori_machi(&self, uketsuke: &str) -> Result<usize> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM kizon_shoukai WHERE houshiki = ?1 AND uketsuke_bango = ?2 AND status = ?3",
            params![
                crate::kizon::irai::IKKATSU,
                uketsuke,
                crate::kizon::irai::SHORI_MACHI
            ],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// このシステムが知っている処理通番か (照会した、取り込んだ記録にある、通知で知った)。
    pub fn kizon_knows_tsuuban(&self, shori_tsuuban: &str) -> Result<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM kizon_shoukai WHERE shori_tsuuban = ?1)
                  + (SELECT COUNT(*) FROM kizon_kiroku WHERE shori_tsuuban = ?1)
                  + (SELECT COUNT(*) FROM kizon_tsuuchi WHERE shori_tsuuban = ?1)
                  + (SELECT COUNT(*) FROM kizon_teikyou WHERE shori_tsuuban = ?1)",
            [shori_tsuuban],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// 照会の状況を書きます。
    pub fn kizon_shoukai_save(&self, i: &Irai) -> Result<()> {
        shoukai_save(&self.conn, i)
    }

    /// 照会の依頼を、加えた順に。
    pub fn kizon_shoukai_all(&self) -> Result<Vec<Irai>> {
        let mut stmt = self.conn.prepare(
            "SELECT irai_id, houshiki, tougou, jimu, tetsuzuki, tokutei, teikyousha, jouken, status, reason,
               shori_tsuuban, uketsuke_bango, error_code, error_message, kekka, toriyame
             FROM kizon_shoukai ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            let jouken: String = r.get(7)?;
            let code: Option<String> = r.get(12)?;
            let message: Option<String> = r.get(13)?;
            let kekka: Option<String> = r.get(14)?;
            Ok(Irai {
                irai_id: r.get(0)?,
                houshiki: r.get(1)?,
                tougou_atena_bango: r.get(2)?,
                jimu: r.get(3)?,
                jimu_tetsuzuki: r.get(4)?,
                tokutei: r.get(5)?,
                teikyousha: r.get(6)?,
                jouken: serde_json::from_str(&jouken).unwrap_or(Jouken::Nendo {
                    nendo: String::new(),
                }),
                status: r.get(8)?,
                reason: r.get(9)?,
                shori_tsuuban: r.get(10)?,
                uketsuke_bango: r.get(11)?,
                error: code.map(|c| (c, message.unwrap_or_default())),
                kekka: kekka.and_then(|k| serde_json::from_str(&k).ok()),
                toriyame: r.get::<_, i64>(15)? == 1,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn kizon_shoukai(&self, irai_id: &str) -> Result<Option<Irai>> {
        Ok(self
            .kizon_shoukai_all()?
            .into_iter()
            .find(|i| i.irai_id == irai_id))
    }

    /// 団体内統合宛名システムが知っている本人の個人番号 (符号取得要求に使います)。
    pub fn kizon_kojin_bango(&self, tougou_atena_bango: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT kojin_bango FROM tougou_atena WHERE tougou_atena_bango = ?1",
                [tougou_atena_bango],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    // ---- 機関間テスト ----

    /// 計画の行を加えます。同じ test_id があれば加えずに `false`。
    pub fn kizon_kikan_test_add(&self, test_id: &str, aite: &str, tokutei: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "INSERT OR IGNORE INTO kizon_kikan_test (test_id, aite, tokutei) VALUES (?1,?2,?3)",
            params![test_id, aite, tokutei],
        )? == 1)
    }

    /// 計画の行 (test_id, aite, tokutei) を加えた順に。
    pub fn kizon_kikan_test_all(&self) -> Result<Vec<(String, String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT test_id, aite, tokutei FROM kizon_kikan_test ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- 情報提供等記録 ----

    /// 記録を置き換え・加えます (処理通番と記録区分ごとに1件)。
    pub fn kizon_kiroku_upsert(&mut self, rows: &[KirokuRow]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO kizon_kiroku (shori_tsuuban, kiroku_kubun, aite, tokutei, tougou,
                   teikyou_kekka, motome_nichiji) VALUES (?1,?2,?3,?4,?5,?6,?7)",
            )?;
            for k in rows {
                stmt.execute(params![
                    k.shori_tsuuban,
                    k.kiroku_kubun,
                    k.aite,
                    k.tokutei,
                    k.tougou_atena_bango,
                    k.teikyou_kekka,
                    k.motome_nichiji
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// 取り込んだ記録を、提供の求めの日時と処理通番の順に。
    pub fn kizon_kiroku_all(&self) -> Result<Vec<KirokuRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT shori_tsuuban, kiroku_kubun, aite, tokutei, tougou, teikyou_kekka, motome_nichiji
             FROM kizon_kiroku ORDER BY motome_nichiji, shori_tsuuban, kiroku_kubun",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(KirokuRow {
                shori_tsuuban: r.get(0)?,
                kiroku_kubun: r.get(1)?,
                aite: r.get(2)?,
                tokutei: r.get(3)?,
                tougou_atena_bango: r.get(4)?,
                teikyou_kekka: r.get(5)?,
                motome_nichiji: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- 通知 ----

    /// 読んだ通知を書き留めます (同じ通知番号は1度だけ)。
    pub fn kizon_tsuuchi_add(&self, t: &TsuuchiRow) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO kizon_tsuuchi (bangou, shubetsu, shori_tsuuban, aite, nichiji) VALUES (?1,?2,?3,?4,?5)",
            params![t.bangou as i64, t.shubetsu, t.shori_tsuuban, t.aite, t.nichiji],
        )?;
        Ok(())
    }

    /// 有効期間切れ事前通知を受けた処理通番。
    pub fn kizon_jizen_tsuuchi(&self) -> Result<HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT shori_tsuuban FROM kizon_tsuuchi WHERE shubetsu = ?1")?;
        let rows = stmt.query_map([JIZEN_TSUUCHI], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// 最後に読んだ通知番号 (なければ 0)。
    pub fn kizon_tsuuchi_last(&self) -> Result<u64> {
        let n: Option<i64> = self
            .conn
            .query_row("SELECT MAX(bangou) FROM kizon_tsuuchi", [], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(n.unwrap_or(0) as u64)
    }

    // ---- 提供の求め ----

    /// 読んだ提供の求めを書き留めます (知っていれば、有効期限と提供ステータスを新しくします)。
    pub fn kizon_teikyou_upsert(&self, t: &TeikyouRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO kizon_teikyou (shori_tsuuban, shoukaisha, tokutei, motome_nichiji, yuukou_kigen, status)
               VALUES (?1,?2,?3,?4,?5,?6)
             ON CONFLICT (shori_tsuuban) DO UPDATE SET yuukou_kigen = ?5, status = ?6",
            params![
                t.shori_tsuuban,
                t.shoukaisha,
                t.tokutei,
                t.motome_nichiji,
                t.yuukou_kigen,
                t.status
            ],
        )?;
        Ok(())
    }

    /// 提供の求めの、最後に知った提供ステータスを書きます。
    pub fn kizon_teikyou_status(&self, shori_tsuuban: &str, status: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE kizon_teikyou SET status = ?2 WHERE shori_tsuuban = ?1",
            params![shori_tsuuban, status],
        )?;
        Ok(())
    }

    /// 知っている提供の求めを、知った順に。
    pub fn kizon_teikyou_all(&self) -> Result<Vec<TeikyouRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT shori_tsuuban, shoukaisha, tokutei, motome_nichiji, yuukou_kigen, status
             FROM kizon_teikyou ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TeikyouRow {
                shori_tsuuban: r.get(0)?,
                shoukaisha: r.get(1)?,
                tokutei: r.get(2)?,
                motome_nichiji: r.get(3)?,
                yuukou_kigen: r.get(4)?,
                status: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // ---- 問合せ資料 ----

    /// 照会の依頼 `irai_id` のために送った電文と受けた電文を書き留めます。
    pub fn kizon_denbun_add(&self, irai_id: &str, d: &DenbunRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO kizon_denbun (irai_id, denbun_id, nichiji, sent, received, error_code)
               VALUES (?1,?2,?3,?4,?5,?6)",
            params![
                irai_id,
                d.denbun_id,
                d.nichiji,
                d.sent,
                d.received,
                d.error_code
            ],
        )?;
        Ok(())
    }

    /// 照会の依頼 `irai_id` の電文を、やりとりした順に。
    pub fn kizon_denbun(&self, irai_id: &str) -> Result<Vec<DenbunRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT denbun_id, nichiji, sent, received, error_code FROM kizon_denbun
             WHERE irai_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([irai_id], |r| {
            Ok(DenbunRow {
                denbun_id: r.get(0)?,
                nichiji: r.get(1)?,
                sent: r.get(2)?,
                received: r.get(3)?,
                error_code: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// 作った問合せ資料を (作り直したら置き換えて) 保管します。
    pub fn kizon_toiawase_save(&self, irai_id: &str, shiryou: &Value) -> Result<()> {
        self.conn.execute(
            "INSERT INTO kizon_toiawase (irai_id, shiryou) VALUES (?1, ?2)
             ON CONFLICT (irai_id) DO UPDATE SET shiryou = ?2",
            params![irai_id, shiryou.to_string()],
        )?;
        Ok(())
    }

    /// 作った問合せ資料。まだなければ `None`。
    pub fn kizon_toiawase(&self, irai_id: &str) -> Result<Option<Value>> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT shiryou FROM kizon_toiawase WHERE irai_id = ?1",
                [irai_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }
}

/// 有効期間切れ事前通知の通知種別。
pub const JIZEN_TSUUCHI: &str = "有効期間切れ事前通知";

/// 知っている提供の求め1件 (`/teikyou` の1件。事前通知を受けたかは通知から)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeikyouRow {
    pub shori_tsuuban: String,
    /// 情報照会者機関コード。
    pub shoukaisha: String,
    pub tokutei: String,
    pub motome_nichiji: String,
    pub yuukou_kigen: String,
    /// 最後に知った提供ステータス。
    pub status: String,
}

/// 照会のために送った電文と受けた電文 (そのまま)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenbunRow {
    pub denbun_id: String,
    /// やりとりした時刻 (シミュレーターの時計)。
    pub nichiji: String,
    pub sent: String,
    pub received: String,
    /// 断られた、又は照会がエラーになったときのエラーコード。
    pub error_code: Option<String>,
}

/// 情報提供等記録 (自分の側) の1件。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KirokuRow {
    pub shori_tsuuban: String,
    /// `照会` / `提供`。
    pub kiroku_kubun: String,
    /// 相手: 照会なら情報提供者、提供なら情報照会者の機関コード。
    pub aite: String,
    pub tokutei: String,
    pub tougou_atena_bango: String,
    pub teikyou_kekka: String,
    pub motome_nichiji: String,
}

/// 読んだ通知1つ。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsuuchiRow {
    pub bangou: u64,
    pub shubetsu: String,
    pub shori_tsuuban: String,
    pub aite: String,
    pub nichiji: String,
}

/// 観察のために読む正本の1レコード。
#[derive(Clone, Debug)]
struct SeihonObs {
    seihon_id: String,
    /// 持つ副本 (その日に有効な版のものが先)。副本にしないなら空。
    fukuhon: Vec<ObsFukuhon>,
    build_error: Option<String>,
}

/// 観察のために読む、正本のレコードの副本1つ。
#[derive(Clone, Debug)]
struct ObsFukuhon {
    fkey: String,
    major: u32,
    naiyou: String,
}

/// `/fukuhon` の items と件数を、正本の行とキーの行から決めます (docs/kizon-gyomu.md「GET /fukuhon」)。
///
/// 正本のレコードは、持つ副本 (改版のときは 2 つのこともあります) のキーの状態で: どれかが結果待ち →
/// `処理待ち`、どれかの最後の結果がエラーでいまの内容が登録されていない → `エラー`、どれかがまだ → `未送信`、
/// すべていまの内容が登録済み → `登録済み`。副本にしないレコードは、登録されていた副本を削除するなら
/// `削除待ち`・`削除済み`、なければ理由を添えて `エラー`。正本からなくなったレコードは、削除が済むまで
/// `削除待ち`、済んだら `削除済み`。
fn kansatsu(seihon: &[SeihonObs], keys: &[KeyRow]) -> FukuhonKansatsu {
    let by_fkey: HashMap<&str, &KeyRow> = keys.iter().map(|k| (k.fkey.as_str(), k)).collect();
    let mut by_seihon: HashMap<&str, Vec<&KeyRow>> = HashMap::new();
    for k in keys {
        by_seihon
            .entry(k.jotai.seihon_id.as_str())
            .or_default()
            .push(k);
    }
    let mut items = Vec::new();
    let mut present = std::collections::HashSet::new();
    for s in seihon {
        present.insert(s.seihon_id.as_str());
        if s.fukuhon.is_empty() {
            let group = by_seihon
                .get(s.seihon_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            items.push(match sakujo_jotai(&s.seihon_id, group) {
                Some(item) => item,
                None => FukuhonKansatsuItem {
                    seihon_id: s.seihon_id.clone(),
                    status: ERROR,
                    major_version: None,
                    kekka_code: None,
                    message: s.build_error.clone(),
                },
            });
            continue;
        }
        // 優先の順: 処理待ち、エラー、未送信、登録済み。
        const ORDER: [&str; 4] = [SHORI_MACHI, ERROR, MISOUSHIN, TOUROKUZUMI];
        let (status, code, message) = s
            .fukuhon
            .iter()
            .map(|f| key_status(by_fkey.get(f.fkey.as_str()).copied(), &f.naiyou))
            .min_by_key(|(st, _, _)| ORDER.iter().position(|o| o == st))
            .unwrap_or((MISOUSHIN, None, None));
        items.push(FukuhonKansatsuItem {
            seihon_id: s.seihon_id.clone(),
            status,
            major_version: s.fukuhon.first().map(|f| f.major),
            kekka_code: code,
            message,
        });
    }
    // 正本からなくなったレコード
    let mut gone: Vec<(&str, &Vec<&KeyRow>)> = by_seihon
        .iter()
        .filter(|(id, _)| !present.contains(*id))
        .map(|(id, group)| (*id, group))
        .collect();
    gone.sort_by_key(|(id, _)| *id);
    items.extend(
        gone.into_iter()
            .filter_map(|(id, group)| sakujo_jotai(id, group)),
    );
    let count = |pred: &dyn Fn(&str) -> bool| items.iter().filter(|it| pred(it.status)).count();
    FukuhonKansatsu {
        seihon_kensuu: seihon.len(),
        touroku_kensuu: keys.iter().filter(|k| k.jotai.registered).count(),
        error_kensuu: count(&|s| s == ERROR),
        machi_kensuu: count(&|s| s == MISOUSHIN || s == SHORI_MACHI || s == SAKUJO_MACHI),
        items,
    }
}

/// 副本1つの状態: 結果待ち → `処理待ち`、最後の結果がエラーでいまの内容 `naiyou` が登録されていない →
/// `エラー` (結果コードとメッセージ)、いまの内容が登録済み → `登録済み`、ほか → `未送信`。
fn key_status(
    row: Option<&KeyRow>,
    naiyou: &str,
) -> (&'static str, Option<String>, Option<String>) {
    let Some(r) = row else {
        return (MISOUSHIN, None, None);
    };
    let j = &r.jotai;
    let current = j.registered && j.registered_naiyou.as_deref() == Some(naiyou);
    let failed = j.last.as_ref().is_some_and(|l| !l.ok);
    if j.pending {
        (SHORI_MACHI, None, None)
    } else if failed && !current {
        (
            ERROR,
            j.last.as_ref().and_then(|l| l.code.clone()),
            r.last_message.clone(),
        )
    } else if current {
        (TOUROKUZUMI, None, None)
    } else {
        (MISOUSHIN, None, None)
    }
}

/// もう持たない副本 (正本からなくなった、又は副本にしないレコードのもの) の削除の状況: 登録されているか
/// 待っているものがあれば `削除待ち`、削除し終えたものがあれば `削除済み`、どちらもなければ `None`。
fn sakujo_jotai(seihon_id: &str, group: &[&KeyRow]) -> Option<FukuhonKansatsuItem> {
    let waiting = group.iter().find(|k| k.jotai.registered || k.jotai.pending);
    let deleted = group.iter().find(|k| {
        k.jotai
            .last
            .as_ref()
            .is_some_and(|l| l.ok && l.kubun == ShoriKubun::Sakujo)
    });
    let (status, row) = match (waiting, deleted) {
        (Some(w), _) => (SAKUJO_MACHI, *w),
        (None, Some(d)) => (SAKUJOZUMI, *d),
        (None, None) => return None,
    };
    let failed = row.jotai.last.as_ref().filter(|l| !l.ok);
    Some(FukuhonKansatsuItem {
        seihon_id: seihon_id.to_owned(),
        status,
        major_version: Some(row.jotai.key.major_version),
        kekka_code: failed.and_then(|l| l.code.clone()),
        message: failed.and(row.last_message.clone()),
    })
}

/// 照会の依頼を加えます。同じ irai_id があれば加えずに `false`。
fn shoukai_add(conn: &rusqlite::Connection, i: &Irai) -> Result<bool> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO kizon_shoukai (irai_id, houshiki, tougou, jimu, tetsuzuki, tokutei, teikyousha,
           jouken, status) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
        params![
            i.irai_id,
            i.houshiki,
            i.tougou_atena_bango,
            i.jimu,
            i.jimu_tetsuzuki,
            i.tokutei,
            i.teikyousha,
            serde_json::to_string(&i.jouken).unwrap_or_default(),
            i.status
        ],
    )?;
    if n == 1 {
        shoukai_save(conn, i)?;
    }
    Ok(n == 1)
}

/// 照会の状況を書きます。
fn shoukai_save(conn: &rusqlite::Connection, i: &Irai) -> Result<()> {
    conn.execute(
        "UPDATE kizon_shoukai SET status = ?2, reason = ?3, shori_tsuuban = ?4, uketsuke_bango = ?5,
           error_code = ?6, error_message = ?7, kekka = ?8, toriyame = ?9 WHERE irai_id = ?1",
        params![
            i.irai_id,
            i.status,
            i.reason,
            i.shori_tsuuban,
            i.uketsuke_bango,
            i.error.as_ref().map(|e| e.0.clone()),
            i.error.as_ref().map(|e| e.1.clone()),
            i.kekka.as_ref().map(Value::to_string),
            i.toriyame as i64
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kizon::fukuhon::sakusei::{Koumoku, Naiyou};

    fn naiyou(v: &str) -> Naiyou {
        Naiyou {
            kokai_bi: "2026-04-01".into(),
            kokai_shuryo_bi: None,
            items: vec![Koumoku {
                name: "年税額".into(),
                value: Some(v.into()),
                null_riyu: None,
            }],
        }
    }

    fn key(n: &str) -> FukuhonKey {
        FukuhonKey {
            tougou_atena_bango: format!("00000010000000{n}"),
            tokutei: "TM00000000000002".into(),
            dataset: "D0201".into(),
            record_key: "2025".into(),
            major_version: 1,
        }
    }

    fn seihon(n: &str, v: &str) -> SeihonRow {
        SeihonRow {
            seihon_id: format!("S{n}"),
            fukuhon: vec![SeihonFukuhon {
                key: key(n),
                naiyou: naiyou(v).text(),
            }],
            build_error: None,
        }
    }

    fn sousa(kubun: ShoriKubun, n: &str, v: &str) -> Sousa {
        Sousa {
            kubun,
            seihon_id: format!("S{n}"),
            key: key(n),
            naiyou: (kubun != ShoriKubun::Sakujo).then(|| naiyou(v)),
            edition: (kubun != ShoriKubun::Sakujo).then(|| "R1.6".to_owned()),
        }
    }

    fn file(u: &str, kensuu: u64) -> FileRow {
        FileRow {
            uketsuke_bango: u.into(),
            file_name: format!("FI_DBM_0001_{u}.xml"),
            uketsuke_nichiji: "2026-04-06T09:00:00+09:00".into(),
            uketsuke_bi: "2026-04-06".into(),
            kensuu,
            bytes: 1000 * kensuu,
            jokyo: "受付済み".into(),
        }
    }

    fn kekka(no: u64, code: Option<&str>) -> Kekka {
        Kekka {
            record_no: no,
            record_id: format!("R{no}"),
            ok: code.is_none(),
            code: code.map(str::to_owned),
            koumoku: code.map(|_| "年税額".to_owned()),
            message: code.map(|_| {
                "「年税額」はS9(13)ですが「12a」は符号付きの数字ではありません".to_owned()
            }),
        }
    }

    fn statuses(k: &FukuhonKansatsu) -> Vec<(&str, &str)> {
        k.items
            .iter()
            .map(|i| (i.seihon_id.as_str(), i.status))
            .collect()
    }

    fn send(store: &mut Store, u: &str, ops: &[Sousa]) {
        let okutta: Vec<Okutta<'_>> = ops
            .iter()
            .enumerate()
            .map(|(i, s)| Okutta {
                record_no: i as u64 + 1,
                record_id: format!("R{}", i + 1),
                sousa: s,
            })
            .collect();
        store
            .kizon_sent(&file(u, ops.len() as u64), &okutta)
            .unwrap();
    }

    #[test]
    fn registration_errors_deletion_and_the_observation() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let broken = SeihonRow {
            seihon_id: "S9".into(),
            fukuhon: Vec::new(),
            build_error: Some("データセット D3102 は …".into()),
        };
        store
            .kizon_replace_seihon(&[seihon("1", "100"), seihon("2", "12a"), broken.clone()])
            .unwrap();
        let k = store.kizon_fukuhon_kansatsu(Seeded::NONE).unwrap();
        assert_eq!(
            statuses(&k),
            [("S1", "未送信"), ("S2", "未送信"), ("S9", "エラー")]
        );
        assert_eq!((k.seihon_kensuu, k.machi_kensuu, k.error_kensuu), (3, 2, 1));

        send(
            &mut store,
            "202604060000000001",
            &[
                sousa(ShoriKubun::Touroku, "1", "100"),
                sousa(ShoriKubun::Touroku, "2", "12a"),
            ],
        );
        assert_eq!(store.kizon_uketsukezumi("2026-04-06").unwrap(), (2, 2000));
        assert_eq!(store.kizon_uketsukezumi("2026-04-07").unwrap(), (0, 0));
        let k = store.kizon_fukuhon_kansatsu(Seeded::NONE).unwrap();
        assert_eq!(statuses(&k)[..2], [("S1", "処理待ち"), ("S2", "処理待ち")]);
        assert!(
            store
                .kizon_fukuhon_jotai()
                .unwrap()
                .iter()
                .all(|j| j.pending)
        );
        assert_eq!(store.kizon_files_open().unwrap().len(), 1);

        let applied = store
            .kizon_apply_results(
                "202604060000000001",
                "処理済み",
                &[kekka(1, None), kekka(2, Some("FK11"))],
            )
            .unwrap();
        assert_eq!(applied, 2);
        assert!(store.kizon_files_open().unwrap().is_empty());
        let k = store.kizon_fukuhon_kansatsu(Seeded::NONE).unwrap();
        assert_eq!(statuses(&k)[..2], [("S1", "登録済み"), ("S2", "エラー")]);
        assert_eq!(k.items[1].kekka_code.as_deref(), Some("FK11"));
        assert!(
            k.items[1]
                .message
                .as_deref()
                .unwrap()
                .contains("符号付きの数字")
        );
        assert_eq!(
            (k.touroku_kensuu, k.error_kensuu, k.machi_kensuu),
            (1, 2, 0)
        );
        let defect = Seeded::from_id("fukuhon-count-sent").unwrap();
        assert_eq!(
            store.kizon_touroku_kensuu(defect).unwrap(),
            2,
            "エラーも数える不具合"
        );

        // 正本から S1 が消え、S2 が直った
        store
            .kizon_replace_seihon(&[seihon("2", "120"), broken])
            .unwrap();
        let k = store.kizon_fukuhon_kansatsu(Seeded::NONE).unwrap();
        assert_eq!(
            statuses(&k),
            [("S2", "エラー"), ("S9", "エラー"), ("S1", "削除待ち")]
        );
        send(
            &mut store,
            "202604070000000002",
            &[
                sousa(ShoriKubun::Touroku, "2", "120"),
                sousa(ShoriKubun::Sakujo, "1", ""),
            ],
        );
        store
            .kizon_apply_results(
                "202604070000000002",
                "処理済み",
                &[kekka(1, None), kekka(2, None)],
            )
            .unwrap();
        assert_eq!(
            store.kizon_forget_stale().unwrap(),
            0,
            "削除し終えたものは覚えておく"
        );
        let k = store.kizon_fukuhon_kansatsu(Seeded::NONE).unwrap();
        assert_eq!(
            statuses(&k),
            [("S2", "登録済み"), ("S9", "エラー"), ("S1", "削除済み")]
        );
        assert_eq!((k.touroku_kensuu, k.machi_kensuu), (1, 0));
    }

    #[test]
    fn fk17_fk18_and_lost_files_change_what_the_system_knows() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .kizon_replace_seihon(&[seihon("1", "100"), seihon("2", "200"), seihon("3", "300")])
            .unwrap();
        send(
            &mut store,
            "202604060000000001",
            &[
                sousa(ShoriKubun::Touroku, "1", "100"),
                sousa(ShoriKubun::Koushin, "2", "200"),
                sousa(ShoriKubun::Touroku, "3", "300"),
            ],
        );
        // 3 件目には結果がない (失われた)
        store
            .kizon_apply_results(
                "202604060000000001",
                "処理済み",
                &[kekka(1, Some("FK17")), kekka(2, Some("FK18"))],
            )
            .unwrap();
        let j = store.kizon_fukuhon_jotai().unwrap();
        let by = |n: &str| j.iter().find(|s| s.seihon_id == format!("S{n}")).unwrap();
        assert!(
            by("1").registered && by("1").registered_naiyou.is_none(),
            "FK17: 登録されている"
        );
        assert!(!by("2").registered, "FK18: 登録されていない");
        assert!(
            !by("3").pending && by("3").last.is_none(),
            "結果のないレコードは待つのをやめる"
        );
        assert_eq!(store.kizon_touroku_kensuu(Seeded::NONE).unwrap(), 1);

        // 中間サーバーが受付を知らないファイル
        send(
            &mut store,
            "202604060000000002",
            &[sousa(ShoriKubun::Touroku, "3", "300")],
        );
        store
            .kizon_file_lost("202604060000000002", "受付済み")
            .unwrap();
        assert!(
            !store
                .kizon_fukuhon_jotai()
                .unwrap()
                .iter()
                .any(|s| s.pending)
        );
        assert!(store.kizon_files_open().unwrap().is_empty());

        // 正本から消え、登録されていないキーは忘れる
        store.kizon_replace_seihon(&[seihon("1", "100")]).unwrap();
        assert_eq!(store.kizon_forget_stale().unwrap(), 2);
        store.wipe().unwrap();
        assert!(store.kizon_fukuhon_jotai().unwrap().is_empty());
    }
}
