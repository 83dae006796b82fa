//! In-memory implementations of the engine's outside parts: a 副本 table ([`MemoryFukuhon`]) and a
//! 符号 register ([`MemoryFugou`]). They are complete — the 副本 table applies the 照会条件, the
//! 公開期間, the layout edition of the 提供の求め, 自動応答不可 and each 提供者's 提供除外項目マスタ
//! ([`MemoryFukuhon::set_teikyou_jogai`]) — and serve where
//! the 中間サーバー's own stores are not wanted: the benchmark, tests, and in-process scenarios.
//! The 中間サーバー itself plugs in its SQLite 副本 store and its 符号管理.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use renkei_fixtures::catalog::{DataType, LayoutCatalog, Occurrence, QueryKey, Revision};
use renkei_fixtures::ids::{JuminhyoCode, KikanCode, TokuteiKojinJohoMeiCode, TougouAtenaBango};
use time::{Date, Month};

use super::bango::MsgMode;
use super::naiyou::{ShoukaiJouken, nendo_days};
use super::source::{
    FugouDaichou, FukuhonHit, FukuhonKensaku, FukuhonQuery, SourceError, TeikyouSource,
};
use crate::chukan::fugou::FugouError;
use crate::chukan::fukuhon::{
    FukuhonRecord, ItemValue, RawItem, RawRecord, RecordField, ShoriKubun,
};
use crate::clock::JST;
use crate::jukinet::service::{Fugou, FugouIssueError, FugouIssuer};

/// Key of one person's 副本 of one 特定個人情報 at one 提供者, in one MSGMode.
type FukuhonKey = (
    KikanCode,
    MsgMode,
    TougouAtenaBango,
    TokuteiKojinJohoMeiCode,
);

/// One stored dataset record.
#[derive(Debug, Clone)]
struct Entry {
    dataset: String,
    record_key: String,
    major_version: u16,
    koukai_start: Option<Date>,
    koukai_end: Option<Date>,
    /// The start of the 副本 as provided: `<副本 …>`.
    head: String,
    /// Each item as provided (`<項目 …>`), by name: the 提供者's 提供除外項目 are left out when
    /// the 副本 is provided.
    items: Vec<(String, String)>,
}

impl Entry {
    /// The 副本 as provided, without the items `excluded`.
    fn provided(&self, excluded: Option<&BTreeSet<String>>) -> String {
        let mut xml = self.head.clone();
        for (name, item) in &self.items {
            if !excluded.is_some_and(|e| e.contains(name)) {
                xml.push_str(item);
            }
        }
        xml.push_str("</副本>");
        xml
    }
}

#[derive(Debug, Default)]
struct Table {
    /// A `HashMap`: only point lookups; the hits are sorted when answered.
    records: HashMap<FukuhonKey, Vec<Entry>>,
    /// (提供者, 特定個人情報, データセット) set 自動応答不可.
    jidou_outou_fuka: HashSet<(KikanCode, TokuteiKojinJohoMeiCode, String)>,
    /// (提供者, 特定個人情報, データセット) → 提供除外項目 (the 提供者's 提供除外項目マスタ).
    teikyou_jogai: HashMap<(KikanCode, TokuteiKojinJohoMeiCode, String), BTreeSet<String>>,
}

/// A 提供者's 副本 held in memory, filled from validated 副本登録 records
/// ([`FukuhonRecord`], as `chukan::fukuhon::Validator` gives them).
#[derive(Debug)]
pub struct MemoryFukuhon {
    layouts: &'static LayoutCatalog,
    /// A `RwLock`: lookups (every 照会) far outnumber registrations.
    table: RwLock<Table>,
}

impl MemoryFukuhon {
    /// An empty table answering in the editions of `layouts`.
    pub fn new(layouts: &'static LayoutCatalog) -> Self {
        Self {
            layouts,
            table: RwLock::new(Table::default()),
        }
    }

    /// Applies one validated record for `teikyousha` in `msg_mode`: 登録 and 更新 store the 副本
    /// (replacing one with the same データセット, レコードキー and メジャーバージョン), 削除 removes it.
    pub fn apply(&self, teikyousha: KikanCode, msg_mode: MsgMode, record: &FukuhonRecord) {
        let key = (teikyousha, msg_mode, record.atena, record.tokutei);
        let mut table = self.write();
        let entries = table.records.entry(key).or_default();
        entries.retain(|e| {
            !(e.dataset == record.dataset
                && e.record_key == record.record_key
                && e.major_version == record.major_version)
        });
        if record.kubun != ShoriKubun::Sakujo {
            let (head, items) = render(record);
            entries.push(Entry {
                dataset: record.dataset.clone(),
                record_key: record.record_key.clone(),
                major_version: record.major_version,
                koukai_start: record.koukai_start,
                koukai_end: record.koukai_end,
                head,
                items,
            });
        }
    }

    /// Sets or clears 自動応答不可 for a データセット of a 特定個人情報 of `teikyousha`.
    pub fn set_jidou_outou_fuka(
        &self,
        teikyousha: KikanCode,
        tokutei: TokuteiKojinJohoMeiCode,
        dataset: &str,
        on: bool,
    ) {
        let key = (teikyousha, tokutei, dataset.to_owned());
        let mut table = self.write();
        if on {
            table.jidou_outou_fuka.insert(key);
        } else {
            table.jidou_outou_fuka.remove(&key);
        }
    }

    /// Sets the 提供除外項目 of a データセット of a 特定個人情報 of `teikyousha` (its 提供除外項目マスタ
    /// for the dataset; none clears it): those items are left out of every 副本 provided from now on.
    pub fn set_teikyou_jogai(
        &self,
        teikyousha: KikanCode,
        tokutei: TokuteiKojinJohoMeiCode,
        dataset: &str,
        items: &[&str],
    ) {
        let key = (teikyousha, tokutei, dataset.to_owned());
        let mut table = self.write();
        if items.is_empty() {
            table.teikyou_jogai.remove(&key);
        } else {
            table
                .teikyou_jogai
                .insert(key, items.iter().map(|i| (*i).to_owned()).collect());
        }
    }

    /// How many dataset records are stored.
    pub fn len(&self) -> usize {
        self.read().records.values().map(Vec::len).sum()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> RwLockReadGuard<'_, Table> {
        // Each write replaces whole entries; a panic elsewhere cannot leave one half-written.
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl TeikyouSource for MemoryFukuhon {
    fn kensaku(&self, query: &FukuhonQuery<'_>) -> Result<FukuhonKensaku, SourceError> {
        let Some(tokutei) = self.layouts.tokutei(&query.tokutei) else {
            return Ok(FukuhonKensaku::Gaitounashi);
        };
        let motome_day = query.motome_at.to_offset(JST).date();
        let today = query.now.to_offset(JST).date();
        let (Some(motome_edition), Some(now_edition)) = (
            self.layouts.edition_in_force(motome_day),
            self.layouts.edition_in_force(today),
        ) else {
            return Ok(FukuhonKensaku::Gaitounashi);
        };
        // A メジャー改版 that took effect after the 提供の求め makes the old layout unusable
        // (seed 004 §2.4, 特定個人情報番号 16); other revisions leave it answerable.
        let editions = self.layouts.editions();
        let from = editions.iter().position(|e| e == motome_edition);
        let to = editions.iter().position(|e| e == now_edition);
        if let (Some(from), Some(to)) = (from, to)
            && from < to
            && let Some(edition) = editions[from + 1..=to].iter().find(|e| {
                tokutei
                    .layout(&e.version)
                    .is_some_and(|l| l.revision == Some(Revision::Major))
            })
        {
            return Ok(FukuhonKensaku::TeikyouFuka {
                riyuu: format!(
                    "特定個人情報「{}」は{}でメジャー改版され、その情報連携開始日より前の提供の求めには情報提供できません (seed 004 §2.4)",
                    tokutei.short_name, edition.name
                ),
            });
        }
        let Some(layout) = tokutei.layout(&motome_edition.version) else {
            return Ok(FukuhonKensaku::Gaitounashi);
        };
        let table = self.read();
        let key = (
            query.teikyousha,
            query.msg_mode,
            query.tougou,
            query.tokutei,
        );
        let mut hits: Vec<FukuhonHit> = table
            .records
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|e| {
                layout.dataset(&e.dataset).is_some_and(|d| {
                    d.major_version == e.major_version
                        && matches(query.jouken, d.query_key, &e.record_key)
                }) && e.koukai_start.is_none_or(|start| start <= today)
                    && e.koukai_end.is_none_or(|end| today <= end)
            })
            .map(|e| FukuhonHit {
                dataset: e.dataset.clone(),
                record_key: e.record_key.clone(),
                major_version: e.major_version,
                jidou_outou_fuka: table.jidou_outou_fuka.contains(&(
                    query.teikyousha,
                    query.tokutei,
                    e.dataset.clone(),
                )),
                fukuhon: e.provided(table.teikyou_jogai.get(&(
                    query.teikyousha,
                    query.tokutei,
                    e.dataset.clone(),
                ))),
            })
            .collect();
        if hits.is_empty() {
            return Ok(FukuhonKensaku::Gaitounashi);
        }
        hits.sort_by(|a, b| (&a.dataset, &a.record_key).cmp(&(&b.dataset, &b.record_key)));
        Ok(FukuhonKensaku::Gaitou { hits })
    }
}

/// The 副本 as provided, in parts: `<副本>` with the record's keys as attributes, and one
/// `<項目>` per item (by name), as in the 副本登録 file.
fn render(record: &FukuhonRecord) -> (String, Vec<(String, String)>) {
    let head = format!(
        "<副本 特定個人情報名コード=\"{}\" データセット識別項目コード=\"{}\" データセットレコードキー=\"{}\" メジャーバージョン=\"{}\">",
        record.tokutei,
        escape(&record.dataset),
        escape(&record.record_key),
        record.major_version
    );
    let items = record
        .items
        .iter()
        .map(|item| {
            let xml = match &item.value {
                ItemValue::Value(value) => {
                    format!(
                        "<項目 名=\"{}\">{}</項目>",
                        escape(&item.name),
                        escape(value)
                    )
                }
                ItemValue::Null(reason) => format!(
                    "<項目 名=\"{}\" NULL理由=\"{}\"/>",
                    escape(&item.name),
                    reason.code()
                ),
            };
            (item.name.clone(), xml)
        })
        .collect();
    (head, items)
}

/// A synthetic 副本登録 record (登録) of `dataset` of `tokutei` in `edition`, for the person
/// `tougou`, keyed `record_key`, provided from `koukai_start`: every item that occurs once gets a
/// value of its type and digits (varied by the person), a 年度 item the key's 年度. The record is
/// numbered `number` and still to be checked by `chukan::fukuhon::Validator`, like one read from
/// a file. `None` when the layout has no such dataset.
#[allow(clippy::too_many_arguments)]
pub fn synthetic_record(
    layouts: &LayoutCatalog,
    tokutei: TokuteiKojinJohoMeiCode,
    edition: &str,
    dataset: &str,
    tougou: TougouAtenaBango,
    record_key: &str,
    koukai_start: Date,
    number: u64,
) -> Option<RawRecord> {
    let dataset = layouts.layout(&tokutei, edition)?.dataset(dataset)?;
    let seed = tougou.value();
    let items = dataset
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.occurrence == Occurrence::One)
        .map(|(index, item)| {
            let vary = (seed + index as u64) % 9 + 1;
            let value = match item.data_type {
                DataType::X if item.digits == 4 && item.name.contains("年度") => {
                    record_key.chars().take(4).collect()
                }
                DataType::X if item.digits == 8 => format!(
                    "{:04}{:02}{:02}",
                    koukai_start.year(),
                    u8::from(koukai_start.month()),
                    koukai_start.day()
                ),
                DataType::X => vary.to_string(),
                DataType::Numeric => vary.to_string(),
                DataType::SignedNumeric if item.digits >= 7 => (vary * 123_400).to_string(),
                DataType::SignedNumeric => vary.to_string(),
            };
            RawItem::value(item.name.clone(), value)
        })
        .collect();
    let mut record = RawRecord::numbered(number);
    record
        .set(RecordField::RecordId, format!("S{number}"))
        .set(RecordField::ShoriKubun, ShoriKubun::Touroku.word())
        .set(RecordField::TougouAtenaBango, tougou.to_string())
        .set(RecordField::TokuteiKojinJohoMeiCode, tokutei.to_string())
        .set(RecordField::Dataset, dataset.code.clone())
        .set(RecordField::RecordKey, record_key)
        .set(RecordField::MajorVersion, dataset.major_version.to_string())
        .set(RecordField::KoukaiStart, koukai_start.to_string());
    record.body = Some(items);
    Some(record)
}

/// Whether a record with `record_key` of a dataset keyed by `query_key` is selected by `jouken`
/// (see [`ShoukaiJouken`]). A key that is neither a 年度 nor a date matches nothing.
pub(crate) fn matches(jouken: &ShoukaiJouken, query_key: QueryKey, record_key: &str) -> bool {
    let (from, to) = jouken.days();
    match query_key {
        QueryKey::Nendo => {
            let Some(nendo) = parse_nendo(record_key) else {
                return false;
            };
            match *jouken {
                ShoukaiJouken::Nendo { nendo: asked } => nendo == asked,
                ShoukaiJouken::Kikan { .. } => {
                    let (start, end) = nendo_days(nendo);
                    start <= to && from <= end
                }
            }
        }
        QueryKey::Kijunbi => parse_day(record_key).is_some_and(|day| from <= day && day <= to),
    }
}

fn parse_nendo(key: &str) -> Option<u16> {
    (key.len() == 4 && key.bytes().all(|b| b.is_ascii_digit()))
        .then(|| key.parse().ok())
        .flatten()
}

fn parse_day(key: &str) -> Option<Date> {
    let digits: String = key.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| digits[range].parse::<u32>().ok();
    let month = Month::try_from(number(4..6)? as u8).ok()?;
    Date::from_calendar_date(number(0..4)? as i32, month, number(6..8)? as u8).ok()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[derive(Debug, Default)]
struct Register {
    by_tougou: HashMap<(KikanCode, TougouAtenaBango), Fugou>,
    by_fugou: HashMap<(KikanCode, Fugou), TougouAtenaBango>,
}

/// Every tenant's 符号 held in memory: (機関, 団体内統合宛名番号) ↔ 符号.
#[derive(Debug, Default)]
pub struct MemoryFugou {
    /// A `RwLock`: lookups (two a 照会) far outnumber registrations.
    register: RwLock<Register>,
}

impl MemoryFugou {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `kikan` holds `fugou` for its 団体内統合宛名番号 `tougou` (replacing what it
    /// held for that person).
    pub fn register(&self, kikan: KikanCode, tougou: TougouAtenaBango, fugou: Fugou) {
        let mut register = self.register.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = register.by_tougou.insert((kikan, tougou), fugou.clone()) {
            register.by_fugou.remove(&(kikan, old));
        }
        register.by_fugou.insert((kikan, fugou), tougou);
    }

    /// Obtains the 符号 of the person with `juminhyo_code` for `kikan` from `issuer` (the
    /// 情報提供ネットワークシステム's issuance, without the 住基ネット relay) and records it under
    /// `tougou`.
    pub fn shutoku(
        &self,
        issuer: &dyn FugouIssuer,
        kikan: KikanCode,
        tougou: TougouAtenaBango,
        juminhyo_code: JuminhyoCode,
    ) -> Result<Fugou, FugouIssueError> {
        let fugou = issuer.issue(juminhyo_code, kikan)?;
        self.register(kikan, tougou, fugou.clone());
        Ok(fugou)
    }
}

impl FugouDaichou for MemoryFugou {
    fn fugou(&self, kikan: KikanCode, tougou: TougouAtenaBango) -> Result<Fugou, FugouError> {
        self.register
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .by_tougou
            .get(&(kikan, tougou))
            .cloned()
            .ok_or(FugouError::Mishutoku { tougou })
    }

    fn tougou(&self, kikan: KikanCode, fugou: &Fugou) -> Option<TougouAtenaBango> {
        self.register
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .by_fugou
            .get(&(kikan, fugou.clone()))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn conditions_select_by_query_key() {
        let nendo = ShoukaiJouken::nendo(2025).unwrap();
        let kikan = ShoukaiJouken::kikan(date!(2026 - 01 - 01), date!(2026 - 06 - 30)).unwrap();
        assert!(matches(&nendo, QueryKey::Nendo, "2025"));
        assert!(!matches(&nendo, QueryKey::Nendo, "2024"));
        assert!(matches(&nendo, QueryKey::Kijunbi, "2026-03-31"));
        assert!(!matches(&nendo, QueryKey::Kijunbi, "20260401"));
        // 2026-01-01..06-30 overlaps 年度 2025 (to 2026-03-31) and 2026 (from 2026-04-01).
        assert!(matches(&kikan, QueryKey::Nendo, "2025"));
        assert!(matches(&kikan, QueryKey::Nendo, "2026"));
        assert!(!matches(&kikan, QueryKey::Nendo, "2024"));
        assert!(matches(&kikan, QueryKey::Kijunbi, "20260630"));
        assert!(!matches(&kikan, QueryKey::Kijunbi, "2026-07-01"));
        assert!(!matches(&kikan, QueryKey::Kijunbi, "R8.1.1"));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
    }
}
