//! 情報提供 from the 中間サーバー's own 副本: the [`TeikyouSource`] the 情報照会 engine asks when a
//! 提供の求め reaches a tenant (seed 004 §6.4 自動応答), and each tenant's 自動応答不可 datasets
//! (seed 004 §3.3 #8: set per データセット in Webサービス連携).
//!
//! Which stored 副本 may answer is [`Chukan::providable`]'s rule (公開期間, the layout edition of
//! the 提供の求め, 30 days); this module adds the 照会条件 (年度 / 期間, by the dataset's 照会キー),
//! leaves out the items of the **提供者's 提供除外項目マスタ** (seed 004 §3.3 #9: the 団体
//! registers it with a 提供除外項目マスタ登録要求ファイル, [`super::teikyou_jogai`]), renders each
//! 副本 as provided, and flags the datasets the tenant set 自動応答不可. A メジャー改版 that took
//! effect after the 提供の求め makes it 提供不可 (seed 004 §2.4 #16). The layout catalog's
//! `provision_excluded` only says which items a 団体 is expected to exclude; what is left out is
//! the tenant's master.
//!
//! The 自動応答不可 settings and the 提供除外項目マスタ live in tables of the state file
//! (`chukan_jidou_outou_fuka`, `chukan_teikyou_jogai`), written before the change is
//! acknowledged, and in memory for the lookups of every 照会.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::RwLock;

use renkei_fixtures::catalog::{LayoutCatalog, Revision};
use renkei_fixtures::ids::{KikanCode, TokuteiKojinJohoMeiCode};
use rusqlite::params;
use time::OffsetDateTime;

use super::db::{ChukanDb, DbError, StoredFukuhon, rfc3339};
use super::denbun::escape;
use super::fukuhon::ItemValue;
use super::fukuhon::file::names;
use super::platform::{ProvideError, WeakChukan};
use crate::clock::JST;
use crate::nws::shoukai::memory::matches;
use crate::nws::shoukai::{FukuhonHit, FukuhonKensaku, FukuhonQuery, SourceError, TeikyouSource};

/// The table of 自動応答不可 datasets (created by [`ChukanFukuhon::create_table`]).
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS chukan_jidou_outou_fuka (
  kikan TEXT NOT NULL, tokutei TEXT NOT NULL, dataset TEXT NOT NULL, set_at TEXT NOT NULL,
  PRIMARY KEY (kikan, tokutei, dataset)
) WITHOUT ROWID;";

/// The table of 提供除外項目 (提供除外項目マスタ, one row an item; created with the other).
const JOGAI_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS chukan_teikyou_jogai (
  kikan TEXT NOT NULL, tokutei TEXT NOT NULL, dataset TEXT NOT NULL, item TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  PRIMARY KEY (kikan, tokutei, dataset, item)
) WITHOUT ROWID;";

/// A dataset set 自動応答不可: (提供者, 特定個人情報, データセット識別項目コード).
pub type FukaKey = (KikanCode, TokuteiKojinJohoMeiCode, String);

/// One データセット of a tenant's 提供除外項目マスタ (`TeikyouJogai` 提供除外項目):
/// (提供者, 特定個人情報, データセット識別項目コード).
pub type JogaiKey = (KikanCode, TokuteiKojinJohoMeiCode, String);

/// Every tenant's 提供除外項目マスタ: データセット → 項目名 → 登録日時 (RFC 3339). A dataset with
/// no item is not kept.
pub type JogaiMaster = BTreeMap<JogaiKey, BTreeMap<String, String>>;

/// One データセット of a 提供除外項目マスタ登録: its items replace the dataset's in the master
/// (none: the dataset has no 提供除外項目 any more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JogaiDataset {
    pub tokutei: TokuteiKojinJohoMeiCode,
    pub dataset: String,
    pub items: Vec<String>,
}

/// One row of a tenant's 提供除外項目マスタ as it is read back (照会).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JogaiItem {
    pub tokutei: TokuteiKojinJohoMeiCode,
    pub dataset: String,
    pub item: String,
    /// When the item was registered (RFC 3339); kept while it stays in the master.
    pub registered_at: String,
}

/// The tenants' 副本 as the 情報照会 engine sees them.
#[derive(Debug)]
pub struct ChukanFukuhon {
    /// The platform (weak: the platform holds the engine that holds this).
    chukan: WeakChukan,
    /// Every dataset set 自動応答不可, as in the table. A `BTreeSet` behind a `RwLock`: read on
    /// every 照会, written when a tenant changes a setting; listings come out in key order.
    fuka: RwLock<BTreeSet<FukaKey>>,
    /// Every tenant's 提供除外項目マスタ, as in its table; read on every 照会.
    jogai: RwLock<JogaiMaster>,
}

impl ChukanFukuhon {
    /// Creates the settings table if it is not there yet.
    pub fn create_table(db: &ChukanDb) -> Result<(), DbError> {
        db.in_transaction(|tx| {
            tx.execute_batch(SCHEMA)?;
            Ok(tx.execute_batch(JOGAI_SCHEMA)?)
        })
    }

    /// The 提供除外項目マスタ kept in the state file.
    pub fn load_jogai(db: &ChukanDb) -> Result<JogaiMaster, DbError> {
        db.in_transaction(|tx| {
            let mut statement = tx.prepare(
                "SELECT kikan, tokutei, dataset, item, registered_at FROM chukan_teikyou_jogai",
            )?;
            let rows = statement.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut master = JogaiMaster::new();
            for row in rows {
                let (kikan, tokutei, dataset, item, at) = row?;
                let key = (
                    kikan.parse().map_err(|_| DbError::Corrupt(kikan))?,
                    tokutei.parse().map_err(|_| DbError::Corrupt(tokutei))?,
                    dataset,
                );
                master.entry(key).or_default().insert(item, at);
            }
            Ok(master)
        })
    }

    /// The settings kept in the state file.
    pub fn load(db: &ChukanDb) -> Result<BTreeSet<FukaKey>, DbError> {
        db.in_transaction(|tx| {
            let mut statement =
                tx.prepare("SELECT kikan, tokutei, dataset FROM chukan_jidou_outou_fuka")?;
            let rows = statement.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            rows.map(|row| {
                let (kikan, tokutei, dataset) = row?;
                Ok((
                    kikan.parse().map_err(|_| DbError::Corrupt(kikan))?,
                    tokutei.parse().map_err(|_| DbError::Corrupt(tokutei))?,
                    dataset,
                ))
            })
            .collect()
        })
    }

    /// The source of the platform `chukan`, with the settings `fuka` (from [`Self::load`]) and
    /// the 提供除外項目マスタ `jogai` (from [`Self::load_jogai`]).
    pub fn new(chukan: WeakChukan, fuka: BTreeSet<FukaKey>, jogai: JogaiMaster) -> Self {
        Self {
            chukan,
            fuka: RwLock::new(fuka),
            jogai: RwLock::new(jogai),
        }
    }

    /// Registers 提供除外項目 of `kikan`: for each dataset of `datasets`, its items become the
    /// dataset's whole 提供除外項目 (items kept keep their 登録日時); datasets not named stay as
    /// they are. One transaction in the state file first, then memory. The 提供 made from now on
    /// (自動応答, and a 職員's 確認) leave the items out.
    pub fn set_teikyou_jogai(
        &self,
        db: &ChukanDb,
        kikan: KikanCode,
        datasets: &[JogaiDataset],
        at: OffsetDateTime,
    ) -> Result<(), DbError> {
        let at = rfc3339(at);
        let mut jogai = self.jogai.write().unwrap_or_else(|p| p.into_inner());
        let mut next = jogai.clone();
        for d in datasets {
            let key = (kikan, d.tokutei, d.dataset.clone());
            let old = next.remove(&key).unwrap_or_default();
            let items: BTreeMap<String, String> = d
                .items
                .iter()
                .map(|item| {
                    let since = old.get(item).cloned().unwrap_or_else(|| at.clone());
                    (item.clone(), since)
                })
                .collect();
            if !items.is_empty() {
                next.insert(key, items);
            }
        }
        db.in_transaction(|tx| {
            for d in datasets {
                tx.execute(
                    "DELETE FROM chukan_teikyou_jogai WHERE kikan = ?1 AND tokutei = ?2 AND dataset = ?3",
                    params![kikan.as_str(), d.tokutei.as_str(), d.dataset],
                )?;
                let key = (kikan, d.tokutei, d.dataset.clone());
                for (item, since) in next.get(&key).into_iter().flatten() {
                    tx.execute(
                        "INSERT INTO chukan_teikyou_jogai (kikan, tokutei, dataset, item, registered_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![kikan.as_str(), d.tokutei.as_str(), d.dataset, item, since],
                    )?;
                }
            }
            Ok(())
        })?;
        *jogai = next;
        Ok(())
    }

    /// The 提供除外項目マスタ of `kikan`, by 特定個人情報, データセット, 項目名.
    pub fn teikyou_jogai(&self, kikan: KikanCode) -> Vec<JogaiItem> {
        self.jogai
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|((k, ..), _)| *k == kikan)
            .flat_map(|((_, tokutei, dataset), items)| {
                items.iter().map(|(item, at)| JogaiItem {
                    tokutei: *tokutei,
                    dataset: dataset.clone(),
                    item: item.clone(),
                    registered_at: at.clone(),
                })
            })
            .collect()
    }

    /// Sets (`on`) or clears 自動応答不可 for `dataset` of `tokutei` of `kikan`: written to the
    /// state file first. A 提供の求め already waiting for a 職員 stays waiting; the setting decides
    /// the 提供の求め that arrive from now on.
    pub fn set_jidou_outou_fuka(
        &self,
        db: &ChukanDb,
        kikan: KikanCode,
        tokutei: TokuteiKojinJohoMeiCode,
        dataset: &str,
        on: bool,
        at: OffsetDateTime,
    ) -> Result<(), DbError> {
        db.in_transaction(|tx| {
            if on {
                tx.execute(
                    "INSERT OR REPLACE INTO chukan_jidou_outou_fuka (kikan, tokutei, dataset, set_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![kikan.as_str(), tokutei.as_str(), dataset, rfc3339(at)],
                )?;
            } else {
                tx.execute(
                    "DELETE FROM chukan_jidou_outou_fuka WHERE kikan = ?1 AND tokutei = ?2 AND dataset = ?3",
                    params![kikan.as_str(), tokutei.as_str(), dataset],
                )?;
            }
            Ok(())
        })?;
        let key = (kikan, tokutei, dataset.to_owned());
        let mut fuka = self.fuka.write().unwrap_or_else(|p| p.into_inner());
        if on {
            fuka.insert(key);
        } else {
            fuka.remove(&key);
        }
        Ok(())
    }

    /// The datasets `kikan` set 自動応答不可, by 特定個人情報 then データセット.
    pub fn jidou_outou_fuka(&self, kikan: KikanCode) -> Vec<(TokuteiKojinJohoMeiCode, String)> {
        self.fuka
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(k, ..)| *k == kikan)
            .map(|(_, tokutei, dataset)| (*tokutei, dataset.clone()))
            .collect()
    }

    fn is_fuka(&self, kikan: KikanCode, tokutei: TokuteiKojinJohoMeiCode, dataset: &str) -> bool {
        self.fuka
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&(kikan, tokutei, dataset.to_owned()))
    }
}

impl TeikyouSource for ChukanFukuhon {
    fn kensaku(&self, query: &FukuhonQuery<'_>) -> Result<FukuhonKensaku, SourceError> {
        let chukan = self.chukan.upgrade().ok_or_else(|| SourceError {
            message: "中間サーバーが停止しています".into(),
        })?;
        // A tenant is in one environment; its 副本 answer 照会 of that MSGMode only.
        if chukan
            .tenant(query.teikyousha)
            .is_none_or(|t| t.mode != query.msg_mode)
        {
            return Ok(FukuhonKensaku::Gaitounashi);
        }
        let layouts = chukan.layouts();
        let Some(tokutei) = layouts.tokutei(&query.tokutei) else {
            return Ok(FukuhonKensaku::Gaitounashi);
        };
        let motome_day = query.motome_at.to_offset(JST).date();
        let (Some(motome_edition), Some(now_edition)) = (
            layouts.edition_in_force(motome_day),
            layouts.edition_in_force(query.now.to_offset(JST).date()),
        ) else {
            return Ok(FukuhonKensaku::Gaitounashi);
        };
        if let Some(riyuu) = major_since(layouts, tokutei, motome_edition, now_edition) {
            return Ok(FukuhonKensaku::TeikyouFuka { riyuu });
        }
        let stored = match chukan.providable(
            query.teikyousha,
            query.tougou,
            query.tokutei,
            query.now,
            query.motome_at,
        ) {
            Ok(stored) => stored,
            Err(error @ ProvideError::Expired { .. }) => {
                return Ok(FukuhonKensaku::TeikyouFuka {
                    riyuu: error.to_string(),
                });
            }
            Err(ProvideError::Db(error)) => {
                return Err(SourceError {
                    message: error.to_string(),
                });
            }
        };
        let jogai = self.jogai.read().unwrap_or_else(|p| p.into_inner());
        let mut hits: Vec<FukuhonHit> = stored
            .iter()
            .filter(|s| {
                // The 照会キー of the dataset in the edition of the 提供の求め (or, for a dataset it
                // no longer has, the edition the 副本 was registered in).
                let dataset = [motome_edition.version.as_str(), s.edition.as_str()]
                    .into_iter()
                    .find_map(|v| tokutei.layout(v).and_then(|l| l.dataset(&s.dataset)));
                dataset.is_some_and(|d| matches(query.jouken, d.query_key, &s.record_key))
            })
            .map(|s| FukuhonHit {
                dataset: s.dataset.clone(),
                record_key: s.record_key.clone(),
                major_version: s.major_version,
                jidou_outou_fuka: self.is_fuka(query.teikyousha, query.tokutei, &s.dataset),
                fukuhon: render(
                    s,
                    jogai.get(&(query.teikyousha, query.tokutei, s.dataset.clone())),
                ),
            })
            .collect();
        drop(jogai);
        if hits.is_empty() {
            return Ok(FukuhonKensaku::Gaitounashi);
        }
        hits.sort_by(|a, b| (&a.dataset, &a.record_key).cmp(&(&b.dataset, &b.record_key)));
        Ok(FukuhonKensaku::Gaitou { hits })
    }
}

/// Why a 提供の求め received in `motome` can no longer be answered in `now`: a メジャー改版 of the
/// 特定個人情報 took effect in between (seed 004 §2.4 #16).
fn major_since(
    layouts: &LayoutCatalog,
    tokutei: &renkei_fixtures::catalog::TokuteiKojinJoho,
    motome: &renkei_fixtures::catalog::Edition,
    now: &renkei_fixtures::catalog::Edition,
) -> Option<String> {
    let editions = layouts.editions();
    let from = editions.iter().position(|e| e == motome)?;
    let to = editions.iter().position(|e| e == now)?;
    if from >= to {
        return None;
    }
    let edition = editions[from + 1..=to].iter().find(|e| {
        tokutei
            .layout(&e.version)
            .is_some_and(|l| l.revision == Some(Revision::Major))
    })?;
    Some(format!(
        "特定個人情報「{}」は{}でメジャー改版され、その情報連携開始日より前の提供の求めには情報提供できません (seed 004 §2.4)",
        tokutei.short_name, edition.name
    ))
}

/// The 副本 as provided: `<副本>` with its keys as attributes and one `<項目>` per item, as in
/// the 副本登録 file, without the items of the 提供者's 提供除外項目マスタ for its dataset
/// (`jogai`).
fn render(stored: &StoredFukuhon, jogai: Option<&BTreeMap<String, String>>) -> String {
    let excluded = |name: &str| jogai.is_some_and(|items| items.contains_key(name));
    let mut xml = format!(
        "<{body} 特定個人情報名コード=\"{}\" データセット識別項目コード=\"{}\" データセットレコードキー=\"{}\" メジャーバージョン=\"{}\">",
        stored.tokutei,
        escape(&stored.dataset),
        escape(&stored.record_key),
        stored.major_version,
        body = names::BODY,
    );
    for item in stored.items.iter().filter(|i| !excluded(&i.name)) {
        match &item.value {
            ItemValue::Value(value) => xml.push_str(&format!(
                "<{tag} {name}=\"{}\">{}</{tag}>",
                escape(&item.name),
                escape(value),
                tag = names::ITEM,
                name = names::ITEM_NAME,
            )),
            ItemValue::Null(reason) => xml.push_str(&format!(
                "<{tag} {name}=\"{}\" {null}=\"{}\"/>",
                escape(&item.name),
                reason.code(),
                tag = names::ITEM,
                name = names::ITEM_NAME,
                null = names::NULL_REASON,
            )),
        }
    }
    xml.push_str(&format!("</{}>", names::BODY));
    xml
}
