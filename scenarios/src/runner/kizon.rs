//! The 既存業務システム's side of a scenario (docs/kizon-gyomu.md): the 正本 renkei hands the
//! system and rewrites as the scenario goes, the 中間サーバー settings the 前提 steps choose, and the
//! partner 団体 renkei plays (its 符号, its 副本, its own 照会 toward the system).

use std::path::PathBuf;

use renkei_fixtures::catalog::{DataType, Dataset, Occurrence};
use renkei_fixtures::ids::DantaiCode;
use renkei_simulator::chukan::client::TenantClient;
use renkei_simulator::chukan::fukuhon::{
    FILE_ID, FileHeader, FukuhonFileWriter, RawItem, RawRecord, RecordField,
};
use serde::Serialize;
use time::OffsetDateTime;

use crate::steps::StepError;

/// The partner 団体 renkei plays when no second system does: 東京都調布市.
pub const PARTNER_DANTAI: &str = "132080";
/// Its name, for messages.
pub const PARTNER_NAME: &str = "相手の団体";
/// The `SourceSystemID` renkei's partner writes.
pub const PARTNER_SYSTEM_ID: &str = "RENKEI-PARTNER";
/// 窓口業務の時間 of the scenario's 団体 on 平日 (`kizon.madoguchi`, SKI-12): 8:30 to 17:15.
pub const MADOGUCHI: (time::Time, time::Time) =
    (time::macros::time!(8:30), time::macros::time!(17:15));

/// What the 前提 steps decided for the 既存業務システム before the simulators start.
#[derive(Debug, Clone, Default)]
pub struct KizonPlan {
    /// Whether the partner 団体 takes part (a second `[[dantai]]` and tenant).
    pub partner: bool,
    /// Daily upload caps instead of the catalog's: (records, bytes).
    pub upload_caps: Option<(u64, u64)>,
    pub batch_records_per_night: Option<u64>,
    pub fugou_delay_business_days: Option<u32>,
    /// 本番 (MSGMode 0) instead of テスト.
    pub production: bool,
    /// The 正本 at the start.
    pub seihon: Vec<SeihonSpec>,
    /// (特定個人情報名コード, データセット) the 団体 answers by hand.
    pub jidou_outou_fuka: Vec<(String, String)>,
}

impl KizonPlan {
    /// The scenario file's `[[dantai]]` of the partner and its `[chukan]` table, when any is
    /// needed; `own` is the scenario's 団体, `partner` the partner's.
    pub fn scenario_toml(&self, own: DantaiCode, partner: DantaiCode) -> String {
        let mut text = String::new();
        if self.partner {
            text.push_str(&format!(
                "\n[[dantai]]\ncode = \"{partner}\"\nresidents = 20\n"
            ));
        }
        let settings = self.upload_caps.is_some()
            || self.batch_records_per_night.is_some()
            || self.fugou_delay_business_days.is_some()
            || self.production;
        if self.partner || settings {
            text.push_str("\n[chukan]\n");
            let mut tenants = vec![own.to_string()];
            if self.partner {
                tenants.push(partner.to_string());
            }
            text.push_str(&format!("tenants = {tenants:?}\n"));
            if self.production {
                text.push_str("environment = \"production\"\n");
            }
            if let Some(days) = self.fugou_delay_business_days {
                text.push_str(&format!("fugou_delay_business_days = {days}\n"));
            }
            if let Some(n) = self.batch_records_per_night {
                text.push_str(&format!("batch_records_per_night = {n}\n"));
            }
            if let Some((records, bytes)) = self.upload_caps {
                text.push_str(&format!(
                    "upload_caps = {{ records = {records}, bytes = {bytes} }}\n"
                ));
            }
        }
        text
    }
}

/// Whose 正本 record: the n-th resident (from 1) of the scenario's 団体, or of the partner's (a
/// resident of another 団体, whose 副本 the 中間サーバー refuses: FK16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    Own(u64),
    Partner(u64),
}

/// A 正本 record as a 前提 step wrote it; resolved to a [`SeihonRecord`] when the simulators
/// start (the residents exist only then).
#[derive(Debug, Clone)]
pub struct SeihonSpec {
    pub seihon_id: String,
    pub person: Person,
    pub tokutei: String,
    pub dataset: String,
    pub record_key: String,
    /// Items whose value the step sets instead of renkei's sample value.
    pub overrides: Vec<(String, String)>,
}

/// One record of the 正本 file (renkei-seihon/1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeihonRecord {
    pub seihon_id: String,
    pub tougou_atena_bango: String,
    pub tokutei: String,
    pub dataset: String,
    pub record_key: String,
    pub kokai_bi: String,
    pub kokai_shuryo_bi: Option<String>,
    pub items: Vec<SeihonItem>,
}

/// One item: a value or a NULL理由.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeihonItem {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_riyu: Option<String>,
}

impl SeihonItem {
    pub fn value(name: &str, value: impl Into<String>) -> Self {
        SeihonItem {
            name: name.to_owned(),
            value: Some(value.into()),
            null_riyu: None,
        }
    }
}

/// Sample values for every item of `dataset`, valid for its types and digits, different per
/// `seed` (the resident) so that one person's 副本 cannot pass for another's.
pub fn sample_items(dataset: &Dataset, seed: u64, record_key: &str) -> Vec<SeihonItem> {
    let mut items = Vec::new();
    for item in &dataset.items {
        let digits = u32::from(item.digits);
        let value = match item.data_type {
            DataType::X if item.name.ends_with("年度") => record_key.chars().take(4).collect(),
            DataType::X if digits == 8 && item.name.contains("年月日") => "20250401".to_owned(),
            DataType::X if digits == 1 => ((seed % 2) + 1).to_string(),
            DataType::X if item.name.contains("続柄") => "子".to_owned(),
            DataType::X => {
                let text = format!("{:0width$}", seed, width = digits.min(10) as usize);
                text.chars().rev().take(digits as usize).collect::<String>()
            }
            DataType::Numeric => (seed % 10u64.pow(digits.min(2))).to_string(),
            DataType::SignedNumeric if digits >= 7 => (100_000 + seed * 1_000).to_string(),
            DataType::SignedNumeric => (seed % 10).to_string(),
        };
        let times = match item.occurrence {
            Occurrence::One => 1,
            Occurrence::Many { .. } => 2,
        };
        for _ in 0..times {
            items.push(SeihonItem::value(&item.name, value.clone()));
        }
    }
    items
}

/// The 正本 file the system reads (docs/kizon-gyomu.md "正本ファイル").
#[derive(Debug, Clone, Serialize)]
pub struct SeihonFile<'a> {
    pub format: &'static str,
    pub dantai: String,
    pub records: &'a [SeihonRecord],
    pub jidou_outou_fuka: Vec<JidouOutouFuka>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JidouOutouFuka {
    pub tokutei: String,
    pub dataset: String,
}

/// The 既存業務システム's side of a started scenario.
#[derive(Debug, Clone, Default)]
pub struct KizonLive {
    /// Where the 正本 file is.
    pub seihon_path: PathBuf,
    pub dantai: String,
    pub seihon: Vec<SeihonRecord>,
    pub jidou_outou_fuka: Vec<(String, String)>,
    /// The partner's 住登外者 numbers already given 符号, and the 副本 it registered.
    pub partner_fukuhon: Vec<SeihonRecord>,
}

impl KizonLive {
    /// Rewrites the 正本 file: the system reads it again at its next job.
    pub fn write_seihon(&self) -> Result<(), StepError> {
        let file = SeihonFile {
            format: "renkei-seihon/1",
            dantai: self.dantai.clone(),
            records: &self.seihon,
            jidou_outou_fuka: self
                .jidou_outou_fuka
                .iter()
                .map(|(tokutei, dataset)| JidouOutouFuka {
                    tokutei: tokutei.clone(),
                    dataset: dataset.clone(),
                })
                .collect(),
        };
        let json = serde_json::to_string_pretty(&file).expect("the 正本 serialises");
        if let Some(dir) = self.seihon_path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StepError::Suite(format!("{} を作れません: {e}", dir.display())))?;
        }
        std::fs::write(&self.seihon_path, json)
            .map_err(|e| StepError::Suite(format!("正本ファイルを書けません: {e}")))
    }

    pub fn record(&self, seihon_id: &str) -> Result<&SeihonRecord, StepError> {
        self.seihon
            .iter()
            .find(|r| r.seihon_id == seihon_id)
            .ok_or_else(|| StepError::Suite(format!("正本にレコード「{seihon_id}」はありません")))
    }
}

/// The partner's own 団体内統合宛名番号 for the n-th resident of the scenario's 団体: a 住登外者
/// of the partner, below the synthetic populations' range, so nobody's resident.
pub fn partner_juutougai(n: u64) -> String {
    format!("0000004{n:08}")
}

/// A 副本登録・削除ファイル registering `records` for `dantai` (all as 登録), made at `at`.
pub fn touroku_file(
    dantai: DantaiCode,
    records: &[SeihonRecord],
    major_version: impl Fn(&SeihonRecord) -> u16,
    at: OffsetDateTime,
) -> Result<String, StepError> {
    let header = FileHeader {
        file_id: FILE_ID.into(),
        dantai,
        created_at: at,
    };
    let bad =
        |e: &dyn std::fmt::Display| StepError::Suite(format!("副本登録ファイルを作れません: {e}"));
    let mut writer = FukuhonFileWriter::new(Vec::new(), &header).map_err(|e| bad(&e))?;
    for (i, record) in records.iter().enumerate() {
        let mut raw = RawRecord::numbered(0);
        raw.set(RecordField::RecordId, format!("RENKEI{:06}", i + 1))
            .set(RecordField::ShoriKubun, "登録")
            .set(
                RecordField::TougouAtenaBango,
                record.tougou_atena_bango.clone(),
            )
            .set(RecordField::TokuteiKojinJohoMeiCode, record.tokutei.clone())
            .set(RecordField::Dataset, record.dataset.clone())
            .set(RecordField::RecordKey, record.record_key.clone())
            .set(RecordField::MajorVersion, major_version(record).to_string())
            .set(RecordField::KoukaiStart, record.kokai_bi.clone());
        raw.body = Some(
            record
                .items
                .iter()
                .map(|item| RawItem {
                    name: item.name.clone(),
                    value: item.value.clone().unwrap_or_default(),
                    null_reason: item.null_riyu.clone(),
                })
                .collect(),
        );
        writer.record(&raw).map_err(|e| bad(&e))?;
    }
    let bytes = writer.finish().map_err(|e| bad(&e))?;
    String::from_utf8(bytes).map_err(|e| bad(&e))
}

/// The partner 団体 of a run: the 団体 a second system plays 既存業務システム for (a pair,
/// `renkei run --sut a.toml --sut b.toml`), or 調布市, which renkei plays.
pub fn partner_dantai(suts: &[crate::sut::client::SutClient], own: DantaiCode) -> DantaiCode {
    suts.iter()
        .flat_map(|s| &s.adapter.roles)
        .find(|(role, dantai)| *role == crate::requirements::Role::KizonGyomu && *dantai != own)
        .map(|(_, dantai)| *dantai)
        .unwrap_or_else(|| PARTNER_DANTAI.parse().expect("a valid 団体コード"))
}

/// The partner's client of its 中間サーバー tenant (renkei acting as the partner's systems).
pub fn partner_client(
    stack: &renkei_simulator::stack::Stack,
    code: DantaiCode,
) -> Result<TenantClient, StepError> {
    let tenant = stack.chukan.tenant_of(code).ok_or_else(|| {
        StepError::Suite(format!(
            "相手の団体 ({code}) の中間サーバーがありません (前提「相手の団体がある」を書きます)"
        ))
    })?;
    TenantClient::new(
        &stack.chukan,
        tenant,
        stack.addresses.chukan,
        PARTNER_SYSTEM_ID,
    )
    .map_err(|e| StepError::Suite(e.to_string()))
}
