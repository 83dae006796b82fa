//! `renkei-config.json`: シナリオごとに renkei が書き、`reset` ジョブで渡す設定
//! (docs/sut-adapter.md「renkei-config.json」)。
//!
//! 知らない項目は読み飛ばします (文書が「将来足される項目に頼らない」と求めているため)。
//! `deny_unknown_fields` を付けないのはそのためです。

use serde::{Deserialize, Serialize};
use std::path::Path;

/// 設定ファイルの `format` の値。
pub const FORMAT: &str = "renkei-config/1";
/// 住民記録ファイルの `juki_master.format` の値。
pub const RESIDENTS_FORMAT: &str = "renkei-residents-csv/1";

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RenkeiConfig {
    pub format: String,
    /// シナリオの始まりのシミュレーターの時計。時刻はこれと `clock_url` から取ります (自分の時計は使いません)。
    pub now: String,
    pub clock_url: String,
    pub dantai: String,
    pub juki_master: JukiMaster,
    pub pittari: Pittari,
    pub jukinet: Jukinet,
    /// 自団体の自治体中間サーバー (団体内統合宛名システムの符号取得)。申請管理システム・既存住基システムだけを
    /// 試すときの古い設定にはないこともあるので、なくても読めます (使うジョブが断ります)。
    #[serde(default)]
    pub chukan: Option<Chukan>,
    #[serde(default)]
    pub gyomu_systems: Vec<GyomuSystem>,
    #[serde(default)]
    pub shokuin: Vec<Shokuin>,
    /// 既存業務システム (docs/kizon-gyomu.md「renkei-config.json の項目」)。この役割を担わないシナリオにはありません。
    #[serde(default)]
    pub kizon: Option<Kizon>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct JukiMaster {
    pub path: String,
    pub format: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Pittari {
    pub base_url: String,
    /// 連携サーバ。ダウンロード API へはかならずこれを通します (ING-01)。
    pub proxy_url: String,
    pub login_id: String,
    pub password: String,
    pub signature_ca_url: String,
    pub signature_crl_url: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Jukinet {
    pub base_url: String,
    pub access_key: String,
    /// `csv` か `fixed`。
    #[serde(default = "default_form")]
    pub form: String,
}

/// 自治体中間サーバー (docs/chukan-api.md「相互 TLS」)。ファイルのパスは絶対パスです。
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Chukan {
    /// `https://…`。電文は `{base_url}/ws/{電文ID}` に送ります (`/ws` まで書いてあればそのまま使います)。
    pub base_url: String,
    /// 中間サーバーの CA 証明書 (PEM)。サーバー証明書はこれだけで確かめます。
    pub ca_pem: String,
    /// 自団体のクライアント証明書 (PEM) と鍵 (PKCS#8 PEM)。
    pub client_pem: String,
    pub client_key: String,
    /// 自団体の機関コード (電文の `DestinationSystemID`)。
    pub kikan_code: String,
    /// 電文の `MSGMode`: `1` テスト / `0` 本番。
    #[serde(default = "default_msg_mode")]
    pub msg_mode: String,
    /// 自団体の副本の1日のアップロード上限 (既存業務システム。docs/kizon-gyomu.md)。ないときは上限なし。
    #[serde(default)]
    pub daily_caps: Option<DailyCaps>,
}

/// 副本の1日のアップロード上限 (登録・削除の合計件数とバイト数。その日 = 受付日 JST、seed 004 §2.5)。
/// `None` (JSON の `null`) はその上限なし。
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct DailyCaps {
    #[serde(default)]
    pub records: Option<u64>,
    #[serde(default)]
    pub bytes: Option<u64>,
}

/// 既存業務システムの設定 (docs/kizon-gyomu.md「renkei-config.json の項目」)。パスは絶対パスです
/// (相対パスなら設定ファイルのフォルダから読みます)。
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Kizon {
    /// 電文の `SourceSystemID` に書く自システムの ID。
    pub source_system_id: String,
    /// 正本ファイル。ジョブのたびに読み直します。
    pub seihon: SeihonFile,
    /// データ標準レイアウトのカタログ (`layouts.toml` の形)。
    pub layouts: String,
    /// 法令根拠のカタログ (`legal_basis.toml` の形)。
    pub legal_basis: String,
    /// 照会の相手になりうる機関。
    #[serde(default)]
    pub kikan: Vec<KizonKikan>,
    /// 自団体の窓口業務の時間 (平日だけ。docs/kizon-gyomu.md「照会の量と時間帯」、SKI-12)。`null` やないときは窓口なし。
    #[serde(default)]
    pub madoguchi: Option<Madoguchi>,
}

/// 窓口業務の時間: `start` から `end` の前まで (`HH:MM`、日本時間)。平日だけ開きます。
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Madoguchi {
    pub start: String,
    pub end: String,
}

impl Madoguchi {
    /// (始まり, 終わり)。`HH:MM` でなければその旨。
    pub fn jikan(&self) -> Result<(time::Time, time::Time), String> {
        let one = |name: &str, text: &str| {
            let fmt = time::macros::format_description!("[hour]:[minute]");
            time::Time::parse(text, &fmt)
                .map_err(|e| format!("kizon.madoguchi.{name} が「{text}」です (HH:MM): {e}"))
        };
        let (start, end) = (one("start", &self.start)?, one("end", &self.end)?);
        if end <= start {
            return Err(format!(
                "kizon.madoguchi の end ({}) が start ({}) より前です",
                self.end, self.start
            ));
        }
        Ok((start, end))
    }
}

/// 正本ファイルの場所と形式 (`renkei-seihon/1`)。
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SeihonFile {
    pub path: String,
    pub format: String,
}

/// 照会の相手になりうる機関1つ。
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct KizonKikan {
    pub kikan_code: String,
    /// 団体コード。団体でない機関 (医療保険者) にはありません。
    #[serde(default)]
    pub dantai: Option<String>,
    #[serde(default)]
    pub name: String,
    /// 種別 (`municipality` / `prefecture` / `kumiai`)。古い設定にはないので、なければ団体コードと名前から決めます。
    #[serde(default)]
    pub kind: Option<String>,
}

/// 正本ファイルの `format` の値。
pub const SEIHON_FORMAT: &str = "renkei-seihon/1";

fn default_msg_mode() -> String {
    "1".to_owned()
}

fn default_form() -> String {
    "csv".to_owned()
}

/// 手続ごとの振分け先 (ING-18) と、その業務システムが申請者を識別する番号 (ING-11)。
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct GyomuSystem {
    pub name: String,
    pub key: ShikibetsuKey,
    #[serde(default)]
    pub tetsuzuki: Vec<String>,
}

/// 業務システムが申請者を識別する番号の種類。
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum ShikibetsuKey {
    #[serde(rename = "宛名番号")]
    AtenaBango,
    #[serde(rename = "団体内統合宛名番号")]
    TougouAtenaBango,
}

impl ShikibetsuKey {
    pub fn as_str(self) -> &'static str {
        match self {
            ShikibetsuKey::AtenaBango => "宛名番号",
            ShikibetsuKey::TougouAtenaBango => "団体内統合宛名番号",
        }
    }
}

/// 職員と、その職員に割り当てられた手続 (ING-21)。空なら全手続を見られます。
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Shokuin {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub tetsuzuki: Vec<String>,
}

impl Shokuin {
    /// この職員がこの手続の申請を見られるか。
    pub fn may_see(&self, tetsuzuki: &str) -> bool {
        self.tetsuzuki.is_empty() || self.tetsuzuki.iter().any(|t| t == tetsuzuki)
    }
}

impl RenkeiConfig {
    /// ファイルから読み、書式の版を確かめます。
    pub fn load(path: &Path) -> Result<RenkeiConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("設定ファイル {} を読めません: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("設定ファイル {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<RenkeiConfig, String> {
        let config: RenkeiConfig =
            serde_json::from_str(text).map_err(|e| format!("JSON として読めません: {e}"))?;
        if config.format != FORMAT {
            return Err(format!(
                "format が「{}」です ({FORMAT} だけを読めます)",
                config.format
            ));
        }
        if config.juki_master.format != RESIDENTS_FORMAT {
            return Err(format!(
                "juki_master.format が「{}」です ({RESIDENTS_FORMAT} だけを読めます)",
                config.juki_master.format
            ));
        }
        if !matches!(config.jukinet.form.as_str(), "csv" | "fixed") {
            return Err(format!(
                "jukinet.form が「{}」です (csv か fixed)",
                config.jukinet.form
            ));
        }
        if let Some(c) = &config.chukan
            && !matches!(c.msg_mode.as_str(), "0" | "1")
        {
            return Err(format!("chukan.msg_mode が「{}」です (0 か 1)", c.msg_mode));
        }
        if let Some(k) = &config.kizon
            && k.seihon.format != SEIHON_FORMAT
        {
            return Err(format!(
                "kizon.seihon.format が「{}」です ({SEIHON_FORMAT} だけを読めます)",
                k.seihon.format
            ));
        }
        if let Some(m) = config.kizon.as_ref().and_then(|k| k.madoguchi.as_ref()) {
            m.jikan()?;
        }
        Ok(config)
    }

    /// 手続の振分け先。どこにもなければ `None` (一括取込に出しません)。
    pub fn route(&self, tetsuzuki: &str) -> Option<&GyomuSystem> {
        self.gyomu_systems
            .iter()
            .find(|g| g.tetsuzuki.iter().any(|t| t == tetsuzuki))
    }

    pub fn gyomu(&self, name: &str) -> Option<&GyomuSystem> {
        self.gyomu_systems.iter().find(|g| g.name == name)
    }

    pub fn shokuin(&self, id: &str) -> Option<&Shokuin> {
        self.shokuin.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
      "format": "renkei-config/1",
      "scenario": {"number": 3, "feature": "x.feature", "name": "n"},
      "now": "2026-04-06T09:00:00+09:00",
      "clock_url": "http://127.0.0.1:41234/admin/v1/clock",
      "dantai": "131016",
      "juki_master": {"path": "/tmp/residents.csv", "format": "renkei-residents-csv/1"},
      "pittari": {"base_url": "http://127.0.0.1:1", "proxy_url": "http://127.0.0.1:2",
        "login_id": "a", "password": "b", "signature_ca_url": "u", "signature_crl_url": "v"},
      "jukinet": {"base_url": "http://127.0.0.1:3", "access_key": "k", "form": "csv"},
      "chukan": {"base_url": "https://127.0.0.1:41233", "ca_pem": "/c/ca.pem", "client_pem": "/c/client.pem",
        "client_key": "/c/client.key", "kikan_code": "9913101600000000", "msg_mode": "1"},
      "gyomu_systems": [
        {"name": "児童手当システム", "key": "団体内統合宛名番号", "tetsuzuki": ["kosodate-01"]},
        {"name": "介護保険システム", "key": "宛名番号", "tetsuzuki": ["kaigo-01"]}],
      "shokuin": [{"id": "shinsa01", "name": "審査 一郎", "tetsuzuki": []},
        {"id": "k1", "name": "子育 花子", "tetsuzuki": ["kosodate-01"]}],
      "future_field": 1
    }"#;

    #[test]
    fn reads_the_documented_example_and_ignores_unknown_fields() {
        let c = RenkeiConfig::parse(EXAMPLE).unwrap();
        assert_eq!(c.route("kaigo-01").unwrap().key, ShikibetsuKey::AtenaBango);
        assert!(c.route("hisai-01").is_none());
        assert!(c.shokuin("shinsa01").unwrap().may_see("anything"));
        assert!(!c.shokuin("k1").unwrap().may_see("kaigo-01"));
        assert_eq!(c.chukan.unwrap().kikan_code, "9913101600000000");
    }

    #[test]
    fn reads_a_config_without_chukan() {
        let start = EXAMPLE.find("\"chukan\"").unwrap();
        let end = EXAMPLE.find("\"gyomu_systems\"").unwrap();
        let without = format!("{}{}", &EXAMPLE[..start], &EXAMPLE[end..]);
        assert!(RenkeiConfig::parse(&without).unwrap().chukan.is_none());
        let c = RenkeiConfig::parse(EXAMPLE).unwrap();
        assert!(c.kizon.is_none() && c.chukan.unwrap().daily_caps.is_none());
    }

    #[test]
    fn reads_the_kizon_section_and_daily_caps_with_nulls() {
        let with = EXAMPLE
            .replace(
                r#""msg_mode": "1"}"#,
                r#""msg_mode": "0", "daily_caps": {"records": 2000000, "bytes": null}}"#,
            )
            .replace(
                r#""future_field": 1"#,
                r#""kizon": {"source_system_id": "KIZON-01",
                  "seihon": {"path": "/k/seihon.json", "format": "renkei-seihon/1"},
                  "layouts": "/k/layouts.toml", "legal_basis": "/k/legal_basis.toml",
                  "kikan": [{"kikan_code": "9913208000000000", "dantai": "132080", "name": "調布市"}]}"#,
            );
        let c = RenkeiConfig::parse(&with).unwrap();
        let caps = c.chukan.unwrap().daily_caps.unwrap();
        assert_eq!(caps.records, Some(2_000_000));
        assert_eq!(caps.bytes, None);
        let k = c.kizon.unwrap();
        assert_eq!(k.source_system_id, "KIZON-01");
        assert_eq!(k.kikan[0].dantai.as_deref(), Some("132080"));
        let bad = with.replace("renkei-seihon/1", "renkei-seihon/9");
        assert!(
            RenkeiConfig::parse(&bad)
                .unwrap_err()
                .contains("kizon.seihon.format")
        );
        assert!(k.madoguchi.is_none(), "古い設定には窓口がない");
        let madoguchi = with.replace(
            r#""legal_basis": "/k/legal_basis.toml","#,
            r#""legal_basis": "/k/legal_basis.toml", "madoguchi": {"start": "08:30", "end": "17:15"},"#,
        );
        let m = RenkeiConfig::parse(&madoguchi)
            .unwrap()
            .kizon
            .unwrap()
            .madoguchi
            .unwrap();
        assert_eq!(
            m.jikan().unwrap(),
            (time::macros::time!(8:30), time::macros::time!(17:15))
        );
        for wrong in [r#""start": "8時半""#, r#""start": "18:00""#] {
            let bad = madoguchi.replace(r#""start": "08:30""#, wrong);
            assert!(
                RenkeiConfig::parse(&bad)
                    .unwrap_err()
                    .contains("kizon.madoguchi"),
                "{wrong}"
            );
        }
    }

    #[test]
    fn refuses_another_format() {
        let bad = EXAMPLE.replace("renkei-config/1", "renkei-config/2");
        assert!(RenkeiConfig::parse(&bad).unwrap_err().contains("format"));
    }
}
