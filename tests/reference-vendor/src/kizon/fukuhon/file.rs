//! 副本登録のファイル: 送る副本登録・削除ファイル `FI_DBM_0001` (docs/chukan-fukuhon-file.md) を書き、
//! 受付の処理状況 (`IF_DBM_20114_S01`、`ファイル処理状況`)、結果ファイル `FI_DBM_0002` と突合用ファイル
//! `fukuhon-kanri.csv` (docs/chukan-api.md) を読みます。

use super::sabun::{ShoriKubun, Sousa};
use crate::chukan::Elem;
use crate::chukan::denbun::escape;

/// 副本登録・削除ファイルのファイルID。
pub const FILE_ID: &str = "FI_DBM_0001";

/// ファイルの頭: XML 宣言、文書要素、ヘッダ。
pub fn atama(dantai: &str, sakusei_nichiji: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SPIRegistrationDeleteList 版=\"1\">\n  <ヘッダ>\n    <ファイルID>{FILE_ID}</ファイルID>\n    <団体コード>{}</団体コード>\n    <作成日時>{}</作成日時>\n  </ヘッダ>\n",
        escape(dantai),
        escape(sakusei_nichiji)
    )
}

/// ファイルの終わり。
pub const OWARI: &str = "</SPIRegistrationDeleteList>\n";

fn push(x: &mut String, name: &str, value: &str) {
    x.push_str(&format!("    <{name}>{}</{name}>\n", escape(value)));
}

/// レコード1つ。登録・更新は公開日と副本を書き、削除はキーだけを書きます。
pub fn record(record_id: &str, s: &Sousa) -> String {
    let mut x = String::with_capacity(512);
    x.push_str("  <レコード>\n");
    push(&mut x, "レコード識別番号", record_id);
    push(&mut x, "処理区分", s.kubun.as_str());
    push(&mut x, "団体内統合宛名番号", &s.key.tougou_atena_bango);
    push(&mut x, "特定個人情報名コード", &s.key.tokutei);
    push(&mut x, "データセット識別項目コード", &s.key.dataset);
    push(&mut x, "データセットレコードキー", &s.key.record_key);
    push(
        &mut x,
        "メジャーバージョン",
        &s.key.major_version.to_string(),
    );
    if let (Some(n), ShoriKubun::Touroku | ShoriKubun::Koushin) = (&s.naiyou, s.kubun) {
        push(&mut x, "公開日", &n.kokai_bi);
        if let Some(end) = &n.kokai_shuryo_bi {
            push(&mut x, "公開終了日", end);
        }
        x.push_str("    <副本>\n");
        for k in &n.items {
            x.push_str(&format!("      <項目 名=\"{}\"", escape(&k.name)));
            if let Some(riyu) = &k.null_riyu {
                x.push_str(&format!(" NULL理由=\"{}\"", escape(riyu)));
            }
            match &k.value {
                Some(v) => x.push_str(&format!(">{}</項目>\n", escape(v))),
                None => x.push_str("/>\n"),
            }
        }
        x.push_str("    </副本>\n");
    }
    x.push_str("  </レコード>\n");
    x
}

/// 受付の処理状況 (`IF_DBM_20114_S01` の本文、`ファイル受付結果`・`ファイル処理状況`)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShoriJokyo {
    pub uketsuke_bango: String,
    pub file_name: String,
    pub uketsuke_nichiji: String,
    /// `受付済み` / `処理中(翌日繰越)` / `処理済み`。
    pub jokyo: String,
    pub kensuu: u64,
    pub bytes: u64,
    pub shorizumi: u64,
}

/// 処理状況の語 (denbun.xsd の `ShoriJokyo`)。
pub const UKETSUKEZUMI: &str = "受付済み";
pub const KURIKOSHI: &str = "処理中(翌日繰越)";
pub const SHORIZUMI: &str = "処理済み";

fn count(e: &Elem, name: &str) -> u64 {
    e.get(name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default()
}

impl ShoriJokyo {
    /// 要素の並び (XSD の `Uketsuke`) を読みます。処理状況を知らない語なら `Err`。
    pub fn read(e: &Elem) -> Result<ShoriJokyo, String> {
        let jokyo = e.text_of("処理状況");
        if ![UKETSUKEZUMI, KURIKOSHI, SHORIZUMI].contains(&jokyo.as_str()) {
            return Err(format!("処理状況「{jokyo}」を知りません"));
        }
        Ok(ShoriJokyo {
            uketsuke_bango: e.text_of("中間サーバー受付番号"),
            file_name: e.text_of("ファイル名"),
            uketsuke_nichiji: e.text_of("受付日時"),
            jokyo,
            kensuu: count(e, "件数"),
            bytes: count(e, "バイト数"),
            shorizumi: count(e, "処理済件数"),
        })
    }
}

/// `IF_DBM_20113_S01` の本文 (受け付けたファイル)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uketsuke {
    pub uketsuke_nichiji: String,
    pub kensuu: u64,
    pub bytes: u64,
}

impl Uketsuke {
    pub fn read(body: &Elem) -> Uketsuke {
        Uketsuke {
            uketsuke_nichiji: body.text_of("受付日時"),
            kensuu: count(body, "件数"),
            bytes: count(body, "バイト数"),
        }
    }
}

/// 結果ファイルのレコードの結果1行 (`結果`)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kekka {
    /// 何件目のレコードか (1 から)。
    pub record_no: u64,
    pub record_id: String,
    pub ok: bool,
    pub code: Option<String>,
    pub koumoku: Option<String>,
    pub message: Option<String>,
}

/// 結果ファイル `FI_DBM_0002` (docs/xsd/chukan/fukuhon-kekka.xsd)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KekkaFile {
    pub uketsuke_bango: String,
    pub kensuu: u64,
    pub kekka: Vec<Kekka>,
}

/// 結果ファイルを読みます。
pub fn kekka_file(text: &str) -> Result<KekkaFile, String> {
    let root = Elem::parse(text).map_err(|e| format!("結果ファイルを読めません: {e}"))?;
    if root.name != "副本登録処理結果" {
        return Err(format!("結果ファイルの文書要素が {} です", root.name));
    }
    let header = root
        .child("ヘッダ")
        .ok_or("結果ファイルにヘッダがありません")?;
    if header.get("ファイルID") != Some("FI_DBM_0002") {
        return Err(format!(
            "結果ファイルのファイルIDが「{}」です (FI_DBM_0002 のはず)",
            header.text_of("ファイルID")
        ));
    }
    let mut kekka = Vec::new();
    for (i, k) in root.all("結果").enumerate() {
        let record_no = k
            .get("レコード番号")
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| {
                format!(
                    "結果ファイルの {}件目の結果にレコード番号がありません",
                    i + 1
                )
            })?;
        let shori = k.text_of("処理結果");
        let ok = match shori.as_str() {
            "正常" => true,
            "エラー" => false,
            other => return Err(format!("結果ファイルの処理結果「{other}」を知りません")),
        };
        let opt = |name: &str| k.get(name).map(str::to_owned);
        kekka.push(Kekka {
            record_no,
            record_id: k.text_of("レコード識別番号"),
            ok,
            code: opt("結果コード"),
            koumoku: opt("項目"),
            message: opt("メッセージ"),
        });
    }
    Ok(KekkaFile {
        uketsuke_bango: header.text_of("中間サーバー受付番号"),
        kensuu: count(header, "件数"),
        kekka,
    })
}

/// 突合用ファイル (副本管理情報) の1行。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kanri {
    pub tougou_atena_bango: String,
    pub tokutei: String,
    pub dataset: String,
    pub record_key: String,
    pub major_version: String,
    pub record_id: String,
}

/// `fukuhon-kanri.csv` を読みます (UTF-8、RFC 4180、1 行目が見出し)。列は見出しの名前で探します。
pub fn kanri_csv(bytes: &[u8]) -> Result<Vec<Kanri>, String> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| format!("突合用ファイルの見出しを読めません: {e}"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("突合用ファイルに列「{name}」がありません"))
    };
    let (t, m, d, k, v, r) = (
        col("団体内統合宛名番号")?,
        col("特定個人情報名コード")?,
        col("データセット識別項目コード")?,
        col("データセットレコードキー")?,
        col("メジャーバージョン")?,
        col("レコード識別番号")?,
    );
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("突合用ファイルの {}行目を読めません: {e}", i + 2))?;
        let get = |c: usize| row.get(c).unwrap_or_default().to_owned();
        out.push(Kanri {
            tougou_atena_bango: get(t),
            tokutei: get(m),
            dataset: get(d),
            record_key: get(k),
            major_version: get(v),
            record_id: get(r),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kizon::fukuhon::sakusei::{FukuhonKey, Koumoku, Naiyou};

    fn sousa(kubun: ShoriKubun) -> Sousa {
        Sousa {
            kubun,
            seihon_id: "ZEI-1".into(),
            key: FukuhonKey {
                tougou_atena_bango: "000000100000004".into(),
                tokutei: "TM00000000000002".into(),
                dataset: "D0201".into(),
                record_key: "2025".into(),
                major_version: 1,
            },
            naiyou: (kubun != ShoriKubun::Sakujo).then(|| Naiyou {
                kokai_bi: "2026-04-01".into(),
                kokai_shuryo_bi: Some("2027-03-31".into()),
                items: vec![
                    Koumoku {
                        name: "課税年度".into(),
                        value: Some("2025".into()),
                        null_riyu: None,
                    },
                    Koumoku {
                        name: "非課税区分".into(),
                        value: None,
                        null_riyu: Some("1".into()),
                    },
                    Koumoku {
                        name: "扶養親族続柄".into(),
                        value: Some("𠮷<&".into()),
                        null_riyu: None,
                    },
                ],
            }),
            edition: (kubun != ShoriKubun::Sakujo).then(|| "R1.6".to_owned()),
        }
    }

    #[test]
    fn writes_a_file_the_documented_way() {
        let text = format!(
            "{}{}{}{}",
            atama("131016", "2026-04-06T09:00:00+09:00"),
            record("R202604060000001", &sousa(ShoriKubun::Touroku)),
            record("R202604060000002", &sousa(ShoriKubun::Sakujo)),
            OWARI
        );
        let root = Elem::parse(&text).unwrap();
        assert_eq!(root.name, "SPIRegistrationDeleteList");
        assert_eq!(root.attr("版"), Some("1"));
        let h = root.child("ヘッダ").unwrap();
        assert_eq!(h.get("ファイルID"), Some("FI_DBM_0001"));
        assert_eq!(h.get("団体コード"), Some("131016"));
        let recs: Vec<&Elem> = root.all("レコード").collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].get("処理区分"), Some("登録"));
        assert_eq!(recs[0].get("メジャーバージョン"), Some("1"));
        assert_eq!(recs[0].get("公開終了日"), Some("2027-03-31"));
        let items: Vec<&Elem> = recs[0].child("副本").unwrap().all("項目").collect();
        assert_eq!(items[1].attr("NULL理由"), Some("1"));
        assert_eq!(items[1].text, "");
        assert_eq!(items[2].text, "𠮷<&");
        assert_eq!(recs[1].get("処理区分"), Some("削除"));
        assert!(recs[1].child("副本").is_none() && recs[1].child("公開日").is_none());
    }

    #[test]
    fn reads_the_documented_result_file() {
        let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<副本登録処理結果 版="1">
  <ヘッダ>
    <ファイルID>FI_DBM_0002</ファイルID>
    <団体コード>131016</団体コード>
    <中間サーバー受付番号>202604060000000001</中間サーバー受付番号>
    <対象ファイル名>FI_DBM_0001_20260406.xml</対象ファイル名>
    <処理完了日時>2026-04-08T02:00:00+09:00</処理完了日時>
    <件数>5</件数>
    <正常件数>2</正常件数>
    <エラー件数>3</エラー件数>
  </ヘッダ>
  <結果>
    <レコード番号>1</レコード番号>
    <レコード識別番号>R1</レコード識別番号>
    <処理結果>正常</処理結果>
  </結果>
  <結果>
    <レコード番号>3</レコード番号>
    <レコード識別番号>R1</レコード識別番号>
    <処理結果>エラー</処理結果>
    <結果コード>FK01</結果コード>
    <項目>レコード識別番号</項目>
    <メッセージ>「レコード識別番号」が既に存在しています。</メッセージ>
  </結果>
</副本登録処理結果>"#;
        let f = kekka_file(text).unwrap();
        assert_eq!(f.uketsuke_bango, "202604060000000001");
        assert_eq!(f.kensuu, 5);
        assert_eq!(f.kekka.len(), 2);
        assert!(f.kekka[0].ok && f.kekka[0].code.is_none());
        assert_eq!(f.kekka[1].record_no, 3);
        assert!(!f.kekka[1].ok);
        assert_eq!(f.kekka[1].code.as_deref(), Some("FK01"));
        assert_eq!(
            f.kekka[1].message.as_deref(),
            Some("「レコード識別番号」が既に存在しています。")
        );
        assert!(kekka_file(&text.replace("FI_DBM_0002", "FI_DBM_0001")).is_err());
        assert!(kekka_file(&text.replace("<処理結果>正常", "<処理結果>不明")).is_err());
        assert!(kekka_file("<副本登録処理結果").is_err());
    }

    #[test]
    fn reads_the_status_elements() {
        let text = r#"<ファイル処理状況 版="1">
  <中間サーバー受付番号>202604060000000002</中間サーバー受付番号>
  <ファイル名>FI_DBM_0001_b.xml</ファイル名>
  <連携方式>サーバー間XMLデータ連携</連携方式>
  <受付日時>2026-04-06T09:00:00+09:00</受付日時>
  <処理状況>処理中(翌日繰越)</処理状況>
  <件数>3</件数>
  <バイト数>1130</バイト数>
  <処理済件数>1</処理済件数>
  <正常件数>1</正常件数>
  <エラー件数>0</エラー件数>
  <処理予定日時>2026-04-08T02:00:00+09:00</処理予定日時>
</ファイル処理状況>"#;
        let j = ShoriJokyo::read(&Elem::parse(text).unwrap()).unwrap();
        assert_eq!(j.jokyo, KURIKOSHI);
        assert_eq!((j.kensuu, j.bytes, j.shorizumi), (3, 1130, 1));
        let bad = text.replace("処理中(翌日繰越)", "処理中");
        assert!(ShoriJokyo::read(&Elem::parse(&bad).unwrap()).is_err());
    }

    #[test]
    fn reads_the_documented_kanri_csv() {
        let csv = "団体内統合宛名番号,特定個人情報名コード,データセット識別項目コード,データセットレコードキー,メジャーバージョン,版,レコード識別番号,公開日,公開終了日,登録日時,更新日時\r\n\
000000100000004,TM00000000000002,D0201,2025,1,R1.6,R1,2026-04-01,,2026-04-07T02:00:00+09:00,2026-04-07T02:00:00+09:00\r\n\
000000100000005,TM00000000000002,D0201,\"20,25\",1,R1.6,R2,2026-04-01,,2026-04-07T02:00:00+09:00,2026-04-07T02:00:00+09:00\r\n";
        let rows = kanri_csv(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].record_id, "R1");
        assert_eq!(rows[1].record_key, "20,25");
        let header_only = csv.lines().next().unwrap().to_owned() + "\r\n";
        assert!(kanri_csv(header_only.as_bytes()).unwrap().is_empty());
        assert!(kanri_csv(b"a,b\r\n1,2\r\n").is_err(), "列がない");
    }
}
