//! 住基マスタ: `juki_master` の `residents.csv` (docs/population.md「residents.csv」) を宛名データとして読みます。
//!
//! 列は名前で探します (列の順に頼らない)。値は一字も変えません: 前後の空白も削りません (ING-20)。
//!
//! 団体内統合宛名システムは同じファイルから、住民の団体内統合宛名番号と個人番号を読みます ([`load_tougou`])。

use crate::error::{Error, Result};
use crate::model::{Jumin, SOURCE_JUMIN_KIROKU};
use std::path::Path;

/// 読む列。ほかの列 (世帯番号、続柄、edge_cases …) は使いません。
const COLUMNS: [&str; 8] = [
    "juminhyo_code",
    "atena_bango",
    "tougou_atena_bango",
    "shimei",
    "shimei_kana",
    "seinengappi",
    "seibetsu",
    "jusho",
];

/// ファイルを読み、宛名データの全員を返します。`updated_at` は取り込んだ時刻 (シミュレーターの時計)。
pub fn load(path: &Path, updated_at: &str) -> Result<Vec<Jumin>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(format!(
            "住民記録ファイル {} を読めません: {e}",
            path.display()
        ))
    })?;
    parse(&bytes, updated_at)
        .map_err(|e| Error::new(format!("住民記録ファイル {}: {e}", path.display())))
}

pub fn parse(bytes: &[u8], updated_at: &str) -> Result<Vec<Jumin>> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| Error::new(format!("UTF-8 ではありません: {e}")))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::None)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::new(format!("列名の行を読めません: {e}")))?
        .clone();
    let mut index = [0usize; 8];
    for (slot, name) in index.iter_mut().zip(COLUMNS) {
        *slot = headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::new(format!("列「{name}」がありません")))?;
    }
    let mut people = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = record.map_err(|e| Error::new(format!("{line}行目を読めません: {e}")))?;
        let get = |i: usize| record.get(index[i]).unwrap_or("").to_owned();
        let code = get(0);
        if code.len() != 11 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::new(format!(
                "{line}行目: 住民票コード「{code}」が11桁の数字ではありません"
            )));
        }
        let optional = |s: String| if s.is_empty() { None } else { Some(s) };
        people.push(Jumin {
            juminhyo_code: code,
            atena_bango: optional(get(1)),
            tougou_atena_bango: optional(get(2)),
            shimei: get(3),
            shimei_kana: optional(get(4)),
            seinengappi: get(5),
            seibetsu: get(6),
            jusho: get(7),
            source: SOURCE_JUMIN_KIROKU.to_owned(),
            updated_at: updated_at.to_owned(),
        });
    }
    Ok(people)
}

/// 団体内統合宛名システムの住民1人: 団体内統合宛名番号と、符号取得要求に使う個人番号。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TougouJumin {
    pub tougou_atena_bango: String,
    /// 個人番号。空なら `None` (符号取得要求を出せません)。
    pub kojin_bango: Option<String>,
    pub juminhyo_code: Option<String>,
    pub atena_bango: Option<String>,
}

/// ファイルの住民のうち団体内統合宛名番号のある人を、ファイルの順に返します。
pub fn load_tougou(path: &Path) -> Result<Vec<TougouJumin>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(format!(
            "住民記録ファイル {} を読めません: {e}",
            path.display()
        ))
    })?;
    parse_tougou(&bytes)
        .map_err(|e| Error::new(format!("住民記録ファイル {}: {e}", path.display())))
}

/// 団体内統合宛名番号は半角数字15桁、個人番号は半角数字12桁でなければ誤りにします
/// (検査数字は中間サーバーが確かめ、合わなければその人だけ断られます)。
/// 列 `tougou_atena_bango` と `kojin_bango` がないファイルは、団体内統合宛名番号のある住民がいないものとして読みます。
pub fn parse_tougou(bytes: &[u8]) -> Result<Vec<TougouJumin>> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| Error::new(format!("UTF-8 ではありません: {e}")))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::None)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::new(format!("列名の行を読めません: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let Some(tougou) = column("tougou_atena_bango") else {
        return Ok(Vec::new());
    };
    let (kojin, code, atena) = (
        column("kojin_bango"),
        column("juminhyo_code"),
        column("atena_bango"),
    );
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let mut people = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = record.map_err(|e| Error::new(format!("{line}行目を読めません: {e}")))?;
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let Some(t) = get(Some(tougou)) else { continue };
        if !digits(&t, 15) {
            return Err(Error::new(format!(
                "{line}行目: 団体内統合宛名番号「{t}」が15桁の数字ではありません"
            )));
        }
        let k = get(kojin);
        if let Some(k) = &k
            && !digits(k, 12)
        {
            return Err(Error::new(format!(
                "{line}行目: 個人番号「{k}」が12桁の数字ではありません"
            )));
        }
        people.push(TougouJumin {
            tougou_atena_bango: t,
            kojin_bango: k,
            juminhyo_code: get(code),
            atena_bango: get(atena),
        });
    }
    Ok(people)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_by_name_and_keeps_every_character() {
        let csv = "synthetic,index,dantai_code,setai_bango,zokugara,kojin_bango,juminhyo_code,atena_bango,tougou_atena_bango,shimei,shimei_kana,seinengappi,seinengappi_wareki,seibetsu,yubin_bango,jusho,jusho_machi_banchi,katagaki,edge_cases,certificate_count\r\n\
true,0,131016,1057953973,世帯主,991779802481,99822713246,000000163380397,000000587614803,𠮷田　\u{E000},ﾖｼﾀﾞ ﾀﾛｳ,1977-11-19,昭和52年11月19日,男,101-0031,\"東京都千代田区東神田1丁目16番15号　メゾン〜ひだまり～, 106\",x,y,outside_bmp,2\r\n";
        let people = parse(csv.as_bytes(), "t").unwrap();
        assert_eq!(people.len(), 1);
        let p = &people[0];
        assert_eq!(p.juminhyo_code, "99822713246");
        assert_eq!(p.atena_bango.as_deref(), Some("000000163380397"));
        assert_eq!(p.shimei, "𠮷田　\u{E000}");
        assert_eq!(p.shimei_kana.as_deref(), Some("ﾖｼﾀﾞ ﾀﾛｳ"));
        assert_eq!(
            p.jusho,
            "東京都千代田区東神田1丁目16番15号　メゾン〜ひだまり～, 106"
        );
        assert_eq!(p.seibetsu, "男");
    }

    #[test]
    fn reads_the_tougou_atena_bango_and_kojin_bango() {
        let csv = "synthetic,index,dantai_code,setai_bango,zokugara,kojin_bango,juminhyo_code,atena_bango,tougou_atena_bango,shimei\r\n\
true,0,131016,1057953973,世帯主,991779802481,99822713246,000000163380397,000000587614803,高橋　隆\r\n\
true,1,131016,1057953973,妻,,99822713247,000000163380398,000000587614804,高橋　花\r\n\
true,2,131016,1057953973,子,991779802482,99822713248,000000163380399,,高橋　一\r\n";
        let people = parse_tougou(csv.as_bytes()).unwrap();
        assert_eq!(people.len(), 2, "団体内統合宛名番号のない人は読まない");
        assert_eq!(people[0].tougou_atena_bango, "000000587614803");
        assert_eq!(people[0].kojin_bango.as_deref(), Some("991779802481"));
        assert_eq!(people[0].juminhyo_code.as_deref(), Some("99822713246"));
        assert_eq!(people[1].kojin_bango, None);
        let bad = csv.replace("000000587614803", "58761480");
        assert!(parse_tougou(bad.as_bytes()).unwrap_err().0.contains("15桁"));
        assert!(
            parse_tougou(b"juminhyo_code\r\n99822713246\r\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn refuses_a_file_without_the_needed_columns() {
        assert!(
            parse(b"a,b\r\n1,2\r\n", "t")
                .unwrap_err()
                .0
                .contains("juminhyo_code")
        );
    }
}
