//! 副本の作成: 正本のレコード1つから、[`super::kaihan`] が決めた版のレイアウトで副本を作ります
//! (docs/kizon-gyomu.md「副本登録の1回」の 3、「改版」、「正本ファイル」)。
//!
//! - メジャーバージョンは、その版のそのデータセットのもの (ふつうはその日に有効な版、FUK-01。改版のときは
//!   新しい版のものも、FUK-06)。
//! - 項目はその版の項目だけを、レイアウトの順に書きます。出現回数 N の項目は正本の順に並べます。
//! - 正本にない項目は、必須なら `NULL理由="3"` (不明)、任意なら書きません。
//! - 値は正本のとおり (型を直しません。型に合わない値は中間サーバーがレコードのエラーにします: FUK-11)。

use super::super::seihon::SeihonRecord;
use super::kaihan::{Atsukai, Mokuhyou};
use serde::{Deserialize, Serialize};

/// 正本にない必須項目に書く NULL理由 (`3` 不明、docs/chukan-fukuhon-file.md「NULL理由」)。
pub const NULL_RIYU_FUMEI: &str = "3";

/// 副本のキー: 中間サーバーが副本を見分けるもの (docs/chukan-fukuhon-file.md「処理結果」の FK17 のキー)。
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FukuhonKey {
    pub tougou_atena_bango: String,
    pub tokutei: String,
    pub dataset: String,
    pub record_key: String,
    pub major_version: u32,
}

impl FukuhonKey {
    /// 保管のための1つの文字列。値に `|` は入りません (数字・コード・年度・基準日)。入っていても、区切りを
    /// 変えて重ならないようにします。
    pub fn text(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.tougou_atena_bango.replace('|', "||"),
            self.tokutei.replace('|', "||"),
            self.dataset.replace('|', "||"),
            self.record_key.replace('|', "||"),
            self.major_version
        )
    }
}

/// 副本の項目1つ。
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Koumoku {
    pub name: String,
    pub value: Option<String>,
    pub null_riyu: Option<String>,
}

/// 副本の内容 (キー以外): 正本が変わったかどうかはこれで比べます (項目・公開日・公開終了日)。
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Naiyou {
    pub kokai_bi: String,
    pub kokai_shuryo_bi: Option<String>,
    pub items: Vec<Koumoku>,
}

impl Naiyou {
    /// 比べるための一つの文字列 (保管します)。
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_text(text: &str) -> Option<Naiyou> {
        serde_json::from_str(text).ok()
    }
}

/// 作った副本。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fukuhon {
    pub seihon_id: String,
    pub key: FukuhonKey,
    pub naiyou: Naiyou,
    /// 使ったレイアウトの版 (`R1.6` など)。
    pub edition: String,
    /// 改版のときの扱い ([`Atsukai`])。
    pub atsukai: Atsukai,
}

/// 正本のレコードから、`m` の版のデータセットとメジャーバージョンで副本を作ります。
pub fn tsukuru(r: &SeihonRecord, m: &Mokuhyou<'_>) -> Fukuhon {
    let mut items = Vec::new();
    for item in &m.dataset.items {
        let mut found = false;
        for s in r.items.iter().filter(|s| s.name == item.name) {
            found = true;
            items.push(Koumoku {
                name: s.name.clone(),
                value: s.value.clone(),
                null_riyu: s.null_riyu.clone(),
            });
        }
        if !found && item.required {
            items.push(Koumoku {
                name: item.name.clone(),
                value: None,
                null_riyu: Some(NULL_RIYU_FUMEI.to_owned()),
            });
        }
    }
    Fukuhon {
        seihon_id: r.seihon_id.clone(),
        key: FukuhonKey {
            tougou_atena_bango: r.tougou_atena_bango.clone(),
            tokutei: r.tokutei.clone(),
            dataset: r.dataset.clone(),
            record_key: r.record_key.clone(),
            major_version: m.major_version,
        },
        naiyou: Naiyou {
            kokai_bi: r.kokai_bi.clone(),
            kokai_shuryo_bi: r.kokai_shuryo_bi.clone(),
            items,
        },
        edition: m.edition.to_owned(),
        atsukai: m.atsukai,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defects::Seeded;
    use crate::kizon::catalog::Layouts;
    use crate::kizon::fukuhon::kaihan;
    use crate::kizon::seihon::SeihonItem;
    use std::path::Path;
    use time::Date;
    use time::macros::date;

    /// その日に有効な版の副本 (改版の定めで最初に来るもの)。作れなければ理由。
    fn in_force(
        r: &SeihonRecord,
        l: &Layouts,
        date: Date,
        seeded: Seeded,
    ) -> Result<Fukuhon, String> {
        kaihan::mokuhyou(l, r, date, true, &|_| false, seeded).map(|m| tsukuru(r, &m[0]))
    }

    fn layouts() -> Layouts {
        Layouts::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/data/layouts.toml"),
        )
        .unwrap()
    }

    fn item(name: &str, value: &str) -> SeihonItem {
        SeihonItem {
            name: name.into(),
            value: Some(value.into()),
            null_riyu: None,
        }
    }

    fn jifu(items: Vec<SeihonItem>) -> SeihonRecord {
        SeihonRecord {
            seihon_id: "JIFU-1".into(),
            tougou_atena_bango: "000000100000004".into(),
            tokutei: "TM00000000000016".into(),
            dataset: "D1601".into(),
            record_key: "20250401".into(),
            kokai_bi: "2026-04-01".into(),
            kokai_shuryo_bi: None,
            items,
        }
    }

    #[test]
    fn uses_the_edition_in_force_and_only_its_items() {
        let l = layouts();
        let r = jifu(vec![
            item("受給者区分", "1"),
            item("一部支給停止適用除外区分", "0"),
            item("レイアウトにない項目", "x"),
            item("手当月額", "42910"),
        ]);
        let new = in_force(&r, &l, date!(2026 - 04 - 06), Seeded::NONE).unwrap();
        assert_eq!(new.key.major_version, 4);
        assert_eq!(new.edition, "R1.6");
        let names: Vec<(&str, Option<&str>)> = new
            .naiyou
            .items
            .iter()
            .map(|k| (k.name.as_str(), k.null_riyu.as_deref()))
            .collect();
        // レイアウトの順。正本にない必須項目は NULL理由 3、任意の項目は書かない。レイアウトにない項目は落とす。
        assert_eq!(
            names,
            [
                ("受給者区分", None),
                ("認定年月日", Some("3")),
                ("支給停止区分", Some("3")),
                ("手当月額", None),
                ("児童数", Some("3")),
                ("一部支給停止適用除外区分", None),
            ]
        );
        let old = in_force(&r, &l, date!(2019 - 06 - 16), Seeded::NONE).unwrap();
        assert_eq!(old.key.major_version, 3);
        assert!(
            !old.naiyou
                .items
                .iter()
                .any(|k| k.name == "一部支給停止適用除外区分")
        );
        // 不具合 fukuhon-old-version: 有効な版の項目で、いちばん古い版のメジャーバージョン
        let bad = in_force(
            &r,
            &l,
            date!(2026 - 04 - 06),
            Seeded::from_id("fukuhon-old-version").unwrap(),
        )
        .unwrap();
        assert_eq!(bad.key.major_version, 3);
        assert_eq!(bad.naiyou, new.naiyou);
    }

    #[test]
    fn repeated_items_keep_their_order_and_null_reasons_pass_through() {
        let l = layouts();
        let r = SeihonRecord {
            seihon_id: "ZEI-1".into(),
            tougou_atena_bango: "000000100000004".into(),
            tokutei: "TM00000000000002".into(),
            dataset: "D0201".into(),
            record_key: "2025".into(),
            kokai_bi: "2026-04-01".into(),
            kokai_shuryo_bi: Some("2027-03-31".into()),
            items: vec![
                item("扶養親族続柄", "子"),
                item("課税年度", "2025"),
                SeihonItem {
                    name: "非課税区分".into(),
                    value: None,
                    null_riyu: Some("1".into()),
                },
                item("扶養親族続柄", "𠮷"),
            ],
        };
        let f = in_force(&r, &l, date!(2026 - 04 - 06), Seeded::NONE).unwrap();
        let zoku: Vec<&str> = f
            .naiyou
            .items
            .iter()
            .filter(|k| k.name == "扶養親族続柄")
            .filter_map(|k| k.value.as_deref())
            .collect();
        assert_eq!(zoku, ["子", "𠮷"]);
        let hika = f
            .naiyou
            .items
            .iter()
            .find(|k| k.name == "非課税区分")
            .unwrap();
        assert_eq!(hika.null_riyu.as_deref(), Some("1"));
        assert_eq!(Naiyou::from_text(&f.naiyou.text()).unwrap(), f.naiyou);
        let gone = SeihonRecord {
            tokutei: "TM00000000000031".into(),
            dataset: "D3102".into(),
            ..r
        };
        assert!(in_force(&gone, &l, date!(2026 - 04 - 06), Seeded::NONE).is_err());
    }
}
