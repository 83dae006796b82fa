//! `renkei-config.json`: what renkei tells the system at the start of every scenario
//! (docs/sut-adapter.md "renkei-config.json"; schema docs/schemas/renkei-config.schema.json).

use serde::Serialize;

/// The value of [`RenkeiConfig::format`].
pub const CONFIG_FORMAT: &str = "renkei-config/1";

#[derive(Debug, Clone, Serialize)]
pub struct RenkeiConfig {
    pub format: &'static str,
    pub scenario: ScenarioRef,
    /// RFC 3339, JST.
    pub now: String,
    pub clock_url: String,
    pub dantai: String,
    pub juki_master: JukiMaster,
    pub pittari: PittariConfig,
    pub jukinet: JukinetConfig,
    pub chukan: ChukanConfig,
    pub gyomu_systems: Vec<GyomuSystem>,
    pub shokuin: Vec<Shokuin>,
    /// For a system playing 既存業務システム (docs/kizon-gyomu.md); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kizon: Option<KizonConfig>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRef {
    pub number: usize,
    pub feature: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JukiMaster {
    pub path: String,
    pub format: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct PittariConfig {
    pub base_url: String,
    pub proxy_url: String,
    pub login_id: String,
    pub password: String,
    pub signature_ca_url: String,
    pub signature_crl_url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JukinetConfig {
    pub base_url: String,
    pub access_key: String,
    /// `csv` or `fixed`.
    pub form: String,
}

/// The 団体's own 自治体中間サーバー tenant and the files of its mutual TLS.
#[derive(Debug, Clone, Serialize)]
pub struct ChukanConfig {
    pub base_url: String,
    pub ca_pem: String,
    pub client_pem: String,
    pub client_key: String,
    /// 機関コード: the `DestinationSystemID` of every 電文.
    pub kikan_code: String,
    /// `1` テスト / `0` 本番.
    pub msg_mode: String,
    /// The tenant's daily 副本 upload caps (seed 004 §2.5).
    pub daily_caps: DailyCapsConfig,
}

/// `chukan.daily_caps`: `None` is no cap.
#[derive(Debug, Clone, Serialize)]
pub struct DailyCapsConfig {
    pub records: Option<u64>,
    pub bytes: Option<u64>,
}

/// `kizon`: what a 既存業務システム needs besides the 中間サーバー (docs/kizon-gyomu.md).
#[derive(Debug, Clone, Serialize)]
pub struct KizonConfig {
    pub source_system_id: String,
    pub seihon: SeihonFile,
    /// The データ標準レイアウト catalog (layouts.toml, docs/catalogs.md).
    pub layouts: String,
    /// The 法令根拠 catalog (legal_basis.toml, docs/catalogs.md).
    pub legal_basis: String,
    pub kikan: Vec<KikanRef>,
    /// The 団体's 窓口業務 hours on 平日 (docs/kizon-gyomu.md 照会の量と時間帯, SKI-12); `None`: no
    /// counter.
    pub madoguchi: Option<Madoguchi>,
}

/// 窓口業務の時間: from `start` (included) to `end` (excluded), `HH:MM` JST, on 平日 only.
#[derive(Debug, Clone, Serialize)]
pub struct Madoguchi {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeihonFile {
    pub path: String,
    pub format: &'static str,
}

/// An agency the system may ask.
#[derive(Debug, Clone, Serialize)]
pub struct KikanRef {
    pub kikan_code: String,
    pub dantai: String,
    pub name: String,
    /// `municipality` / `prefecture` / `kumiai`: the words of the 法令根拠 catalog's `providers`.
    pub kind: &'static str,
}

/// A 業務システム (基幹システム) the 申請管理システム hands 申請 to (ING-18), and the number it
/// knows people by (ING-11).
#[derive(Debug, Clone, Serialize)]
pub struct GyomuSystem {
    pub name: String,
    /// `宛名番号` or `団体内統合宛名番号`.
    pub key: String,
    pub tetsuzuki: Vec<String>,
}

/// A member of staff and the procedures assigned to them (ING-21); empty: all.
#[derive(Debug, Clone, Serialize)]
pub struct Shokuin {
    pub id: String,
    pub name: String,
    pub tetsuzuki: Vec<String>,
}
