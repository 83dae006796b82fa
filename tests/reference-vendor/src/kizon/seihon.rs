//! 正本ファイル (`renkei-seihon/1`、docs/kizon-gyomu.md「正本ファイル」): 業務システムの持つ正本のうち、
//! 副本にするもの。renkei がシナリオの途中でも書き換えるので、`fukuhon_touroku` のたびに読み直します。

use crate::config::SEIHON_FORMAT;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;

/// 正本の項目1つ。`value` か `null_riyu` (NULL理由コード) のどちらかです。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeihonItem {
    pub name: String,
    pub value: Option<String>,
    pub null_riyu: Option<String>,
}

/// 正本のレコード1つ。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeihonRecord {
    /// 業務システムの中のこのレコードのキー (内容が変わっても同じ)。
    pub seihon_id: String,
    pub tougou_atena_bango: String,
    pub tokutei: String,
    pub dataset: String,
    pub record_key: String,
    pub kokai_bi: String,
    pub kokai_shuryo_bi: Option<String>,
    pub items: Vec<SeihonItem>,
}

/// 自動応答不可にすると決めたデータセット。
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DatasetRef {
    pub tokutei: String,
    pub dataset: String,
}

/// 読んだ正本。
#[derive(Clone, Debug, Default)]
pub struct Seihon {
    pub dantai: String,
    pub records: Vec<SeihonRecord>,
    pub jidou_outou_fuka: Vec<DatasetRef>,
    /// 読み飛ばしたレコード (同じ seihon_id が2度など) の理由。
    pub skipped: Vec<String>,
}

#[derive(Deserialize)]
struct RawItem {
    name: String,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    null_riyu: Value,
}

#[derive(Deserialize)]
struct RawRecord {
    seihon_id: String,
    tougou_atena_bango: String,
    tokutei: String,
    dataset: String,
    record_key: Value,
    kokai_bi: String,
    #[serde(default)]
    kokai_shuryo_bi: Option<String>,
    #[serde(default)]
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
struct RawSeihon {
    format: String,
    #[serde(default)]
    dantai: String,
    #[serde(default)]
    records: Vec<RawRecord>,
    #[serde(default)]
    jidou_outou_fuka: Vec<RawDataset>,
}

#[derive(Deserialize)]
struct RawDataset {
    tokutei: String,
    dataset: String,
}

/// 値を文字として。数で書かれていても桁をそのまま文字にします (`null` はなし)。
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl Seihon {
    pub fn load(path: &Path) -> Result<Seihon, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("正本ファイル {} を読めません: {e}", path.display()))?;
        Self::parse(&bytes).map_err(|e| format!("正本ファイル {}: {e}", path.display()))
    }

    pub fn parse(bytes: &[u8]) -> Result<Seihon, String> {
        let raw: RawSeihon =
            serde_json::from_slice(bytes).map_err(|e| format!("JSON として読めません: {e}"))?;
        if raw.format != SEIHON_FORMAT {
            return Err(format!(
                "format が「{}」です ({SEIHON_FORMAT} だけを読めます)",
                raw.format
            ));
        }
        let mut seen = HashSet::new();
        let mut out = Seihon {
            dantai: raw.dantai,
            ..Seihon::default()
        };
        for r in raw.records {
            if !seen.insert(r.seihon_id.clone()) {
                out.skipped.push(format!(
                    "seihon_id「{}」が2度あります (最初のものを使います)",
                    r.seihon_id
                ));
                continue;
            }
            out.records.push(SeihonRecord {
                seihon_id: r.seihon_id,
                tougou_atena_bango: r.tougou_atena_bango,
                tokutei: r.tokutei,
                dataset: r.dataset,
                record_key: text(&r.record_key).unwrap_or_default(),
                kokai_bi: r.kokai_bi,
                kokai_shuryo_bi: r.kokai_shuryo_bi,
                items: r
                    .items
                    .into_iter()
                    .map(|i| SeihonItem {
                        name: i.name,
                        value: text(&i.value),
                        null_riyu: text(&i.null_riyu),
                    })
                    .collect(),
            });
        }
        let mut fuka: Vec<DatasetRef> = raw
            .jidou_outou_fuka
            .into_iter()
            .map(|d| DatasetRef {
                tokutei: d.tokutei,
                dataset: d.dataset,
            })
            .collect();
        fuka.sort();
        fuka.dedup();
        out.jidou_outou_fuka = fuka;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
      "format": "renkei-seihon/1",
      "dantai": "131016",
      "records": [
        {
          "seihon_id": "ZEI-2025-0001",
          "tougou_atena_bango": "000000100000004",
          "tokutei": "TM00000000000002",
          "dataset": "D0201",
          "record_key": "2025",
          "kokai_bi": "2026-04-01",
          "kokai_shuryo_bi": null,
          "items": [
            {"name": "課税年度", "value": "2025"},
            {"name": "課税区分", "value": "1"},
            {"name": "非課税区分", "null_riyu": "1"},
            {"name": "扶養親族続柄", "value": "子"},
            {"name": "扶養親族続柄", "value": "子"}
          ]
        },
        {"seihon_id": "ZEI-2025-0001", "tougou_atena_bango": "x", "tokutei": "t", "dataset": "d",
         "record_key": 2025, "kokai_bi": "2026-04-01"}
      ],
      "jidou_outou_fuka": [{"tokutei": "TM00000000000002", "dataset": "D0202"}],
      "future": true
    }"#;

    #[test]
    fn reads_the_documented_example() {
        let s = Seihon::parse(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(s.records.len(), 1, "同じ seihon_id は最初のものだけ");
        assert_eq!(s.skipped.len(), 1);
        let r = &s.records[0];
        assert_eq!(r.items.len(), 5);
        assert_eq!(r.items[2].null_riyu.as_deref(), Some("1"));
        assert_eq!(r.items[2].value, None);
        assert_eq!(r.kokai_shuryo_bi, None);
        assert_eq!(
            s.jidou_outou_fuka,
            [DatasetRef {
                tokutei: "TM00000000000002".into(),
                dataset: "D0202".into()
            }]
        );
        assert!(Seihon::parse(b"{\"format\": \"x\"}").is_err());
        assert!(Seihon::parse(b"not json").is_err());
    }
}
