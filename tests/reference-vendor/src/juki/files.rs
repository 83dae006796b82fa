//! 住基ネットCS のファイルを読みます: CSV形式と固定長形式 (docs/jukinet-formats.md)。
//!
//! どちらの形からも同じ [`ShomeishoFile`] / [`HoninFile`] を作ります。固定長形式の全角項目に 〓 があれば、
//! 外字例外ファイルで元の文字に戻すのは [`super::gaiji`] の仕事です。

use crate::defects::{DefectKind, Seeded};
use crate::error::{Error, Result};
use crate::jst;

/// ファイルヘッダ。日時は RFC 3339 (`+09:00`) に直したもの。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHeader {
    pub file_id: String,
    pub sakusei_nichiji: String,
    pub count: usize,
}

/// 証明書情報の1行。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShomeishoRecord {
    /// 先頭の0を除いた10進数。
    pub serial: String,
    pub juminhyo_code: String,
    /// `署名用` / `利用者証明用`。
    pub kind: String,
    pub hakkobi: Option<String>,
    pub yuko_kigen: String,
    pub shikkobi: Option<String>,
    /// `1` 有効 / `2` 失効 / `3` 期限切れ (作成日時の日付での判定)。
    pub jotai: u8,
    /// 更新日時: この行が最後に変わった日時 (RFC 3339、`+09:00`)。
    pub koshin_nichiji: String,
}

#[derive(Clone, Debug)]
pub struct ShomeishoFile {
    pub header: FileHeader,
    pub records: Vec<ShomeishoRecord>,
}

/// 本人確認情報の1人。全角項目は固定長形式なら復元の前の値 (〓 を含みうる)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoninRecord {
    pub juminhyo_code: String,
    pub kojin_bango: String,
    pub shimei: String,
    pub shimei_kana: Option<String>,
    pub seinengappi: String,
    /// `男` / `女`。
    pub seibetsu: String,
    pub jusho: String,
}

#[derive(Clone, Debug)]
pub struct HoninFile {
    pub header: FileHeader,
    pub records: Vec<HoninRecord>,
}

const SHOMEISHO_COLUMNS: [&str; 8] = [
    "シリアル番号",
    "住民票コード",
    "証明書種別",
    "発行日",
    "有効期限",
    "失効日",
    "状態",
    "更新日時",
];
const HONIN_COLUMNS: [&str; 8] = [
    "住民票コード",
    "個人番号",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "住所",
    "更新日時",
];
const HEADER_COLUMNS: [&str; 5] = [
    "ファイルID",
    "作成日時",
    "対象期間開始",
    "対象期間終了",
    "データ件数",
];

fn kind_word(code: &str) -> Result<String> {
    match code {
        "1" => Ok("署名用".to_owned()),
        "2" => Ok("利用者証明用".to_owned()),
        other => Err(Error::new(format!(
            "証明書種別「{other}」は 1 / 2 ではありません"
        ))),
    }
}

fn seibetsu_word(code: &str) -> Result<String> {
    match code {
        "1" => Ok("男".to_owned()),
        "2" => Ok("女".to_owned()),
        other => Err(Error::new(format!(
            "性別「{other}」は 1 / 2 ではありません"
        ))),
    }
}

fn digits(value: &str, n: usize, what: &str) -> Result<()> {
    if value.len() == n && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::new(format!(
            "{what}「{value}」が{n}桁の数字ではありません"
        )))
    }
}

/// シリアル番号を先頭0なしに (固定長形式は左を0で埋めた20桁)。
fn serial(value: &str) -> Result<String> {
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(format!(
            "シリアル番号「{value}」が数字ではありません"
        )));
    }
    let trimmed = value.trim_start_matches('0');
    if trimmed.is_empty() {
        return Err(Error::new("シリアル番号が0です".to_owned()));
    }
    Ok(trimmed.to_owned())
}

fn date(value: &str, what: &str) -> Result<String> {
    jst::parse_date(value)
        .map(|_| value.to_owned())
        .map_err(|e| Error::new(format!("{what}: {e}")))
}

fn optional_date(value: &str, what: &str) -> Result<Option<String>> {
    if value.is_empty() {
        Ok(None)
    } else {
        date(value, what).map(Some)
    }
}

fn jotai(value: &str) -> Result<u8> {
    match value {
        "1" => Ok(1),
        "2" => Ok(2),
        "3" => Ok(3),
        other => Err(Error::new(format!(
            "状態「{other}」は 1 / 2 / 3 ではありません"
        ))),
    }
}

// ---- CSV形式 ----

/// CSV形式のファイルを行ごとの値に分けます (1〜3行目の見出しを確かめ、4行目からのレコードを返します)。
fn csv_rows(
    text: &str,
    columns: &[&str],
    extra_skip: usize,
) -> Result<(FileHeader, Vec<csv::StringRecord>)> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, r) in reader.records().enumerate() {
        rows.push(r.map_err(|e| Error::new(format!("CSV形式 {}行目を読めません: {e}", i + 1)))?);
    }
    if rows.len() < 3 {
        return Err(Error::new("CSV形式: 見出しの3行がありません".to_owned()));
    }
    if rows[0].iter().collect::<Vec<_>>() != HEADER_COLUMNS {
        return Err(Error::new(
            "CSV形式 1行目: ファイルヘッダの列名が違います".to_owned(),
        ));
    }
    if rows[2].iter().collect::<Vec<_>>() != columns {
        return Err(Error::new(
            "CSV形式 3行目: レコードの列名が違います".to_owned(),
        ));
    }
    let h = &rows[1];
    let get = |i: usize| h.get(i).unwrap_or("").to_owned();
    let sakusei =
        jst::parse(&get(1)).map_err(|e| Error::new(format!("CSV形式 2行目 作成日時: {e}")))?;
    let count: usize = get(4).parse().map_err(|_| {
        Error::new(format!(
            "CSV形式 2行目: データ件数「{}」が数ではありません",
            get(4)
        ))
    })?;
    let header = FileHeader {
        file_id: get(0),
        sakusei_nichiji: jst::format(sakusei),
        count,
    };
    let records: Vec<csv::StringRecord> = rows.into_iter().skip(3 + extra_skip).collect();
    if extra_skip == 0 && records.len() != count {
        return Err(Error::new(format!(
            "CSV形式: データ件数 {count} とレコードの数 {} が違います",
            records.len()
        )));
    }
    for (i, r) in records.iter().enumerate() {
        if r.len() != columns.len() {
            return Err(Error::new(format!(
                "CSV形式 {}行目: 列が {} 個あります ({} 個のはずです)",
                i + 4,
                r.len(),
                columns.len()
            )));
        }
    }
    Ok((header, records))
}

/// 証明書情報 (JS01 / JS02) の CSV形式。
pub fn shomeisho_csv(text: &str, seeded: Seeded) -> Result<ShomeishoFile> {
    // 不具合 first-row-lost: 見出しを1行多く読み飛ばす。
    let extra = usize::from(seeded.has(DefectKind::FirstRowLost));
    let (header, rows) = csv_rows(text, &SHOMEISHO_COLUMNS, extra)?;
    let mut records = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let line = i + 4 + extra;
        let record = shomeisho_record(&[&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6], &r[7]])
            .map_err(|e| Error::new(format!("CSV形式 {line}行目: {e}")))?;
        records.push(record);
    }
    Ok(ShomeishoFile { header, records })
}

fn shomeisho_record(v: &[&str; 8]) -> Result<ShomeishoRecord> {
    digits(v[1], 11, "住民票コード")?;
    let koshin = jst::parse(v[7]).map_err(|e| Error::new(format!("更新日時: {e}")))?;
    Ok(ShomeishoRecord {
        serial: serial(v[0])?,
        juminhyo_code: v[1].to_owned(),
        kind: kind_word(v[2])?,
        hakkobi: optional_date(v[3], "発行日")?,
        yuko_kigen: date(v[4], "有効期限")?,
        shikkobi: optional_date(v[5], "失効日")?,
        jotai: jotai(v[6])?,
        koshin_nichiji: jst::format(koshin),
    })
}

/// 本人確認情報 (JH01) の CSV形式。
pub fn honin_csv(text: &str) -> Result<HoninFile> {
    let (header, rows) = csv_rows(text, &HONIN_COLUMNS, 0)?;
    let mut records = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let line = i + 4;
        let record = honin_record(&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6])
            .map_err(|e| Error::new(format!("CSV形式 {line}行目: {e}")))?;
        records.push(record);
    }
    Ok(HoninFile { header, records })
}

fn honin_record(
    code: &str,
    kojin: &str,
    shimei: &str,
    kana: &str,
    birth: &str,
    sex: &str,
    jusho: &str,
) -> Result<HoninRecord> {
    digits(code, 11, "住民票コード")?;
    digits(kojin, 12, "個人番号")?;
    Ok(HoninRecord {
        juminhyo_code: code.to_owned(),
        kojin_bango: kojin.to_owned(),
        shimei: shimei.to_owned(),
        shimei_kana: if kana.is_empty() {
            None
        } else {
            Some(kana.to_owned())
        },
        seinengappi: date(birth, "生年月日")?,
        seibetsu: seibetsu_word(sex)?,
        jusho: jusho.to_owned(),
    })
}

// ---- 固定長形式 ----

/// 固定長の1行を、項目のバイト範囲で切り出す道具。
struct Line<'a> {
    bytes: &'a [u8],
    number: usize,
}

impl Line<'_> {
    fn ascii(&self, from: usize, to: usize, what: &str) -> Result<String> {
        let slice = &self.bytes[from..to];
        if !slice.iter().all(|b| (0x20..=0x7e).contains(b)) {
            return Err(Error::new(format!(
                "固定長形式 {}行目 項目「{what}」: ASCII ではありません",
                self.number
            )));
        }
        Ok(String::from_utf8_lossy(slice)
            .trim_end_matches(' ')
            .to_owned())
    }

    fn number(&self, from: usize, to: usize, what: &str) -> Result<String> {
        let slice = &self.bytes[from..to];
        if !slice.iter().all(u8::is_ascii_digit) {
            return Err(Error::new(format!(
                "固定長形式 {}行目 項目「{what}」: 数字だけではありません",
                self.number
            )));
        }
        Ok(String::from_utf8_lossy(slice).into_owned())
    }

    /// 日付 (`YYYYMMDD`、値なしはすべて0) を `YYYY-MM-DD` に。
    fn date(&self, from: usize, what: &str) -> Result<Option<String>> {
        let v = self.number(from, from + 8, what)?;
        if v.bytes().all(|b| b == b'0') {
            return Ok(None);
        }
        let d = format!("{}-{}-{}", &v[0..4], &v[4..6], &v[6..8]);
        date(&d, what)
            .map(Some)
            .map_err(|e| Error::new(format!("固定長形式 {}行目: {e}", self.number)))
    }

    /// 日時 (`YYYYMMDDhhmmss`) を RFC 3339 に。
    fn datetime(&self, from: usize, what: &str) -> Result<Option<String>> {
        let v = self.number(from, from + 14, what)?;
        if v.bytes().all(|b| b == b'0') {
            return Ok(None);
        }
        let t = format!(
            "{}-{}-{}T{}:{}:{}+09:00",
            &v[0..4],
            &v[4..6],
            &v[6..8],
            &v[8..10],
            &v[10..12],
            &v[12..14]
        );
        jst::parse(&t).map(|_| Some(t)).map_err(|e| {
            Error::new(format!(
                "固定長形式 {}行目 項目「{what}」: {e}",
                self.number
            ))
        })
    }

    /// 全角 (N) 項目: Shift_JIS (JIS X 0208 の範囲) として読み、末尾の埋め草を除きます。
    fn kanji(&self, from: usize, to: usize, what: &str) -> Result<String> {
        decode_sjis(&self.bytes[from..to])
            .map(|s| s.trim_end_matches([' ', '\u{3000}']).to_owned())
            .map_err(|e| {
                Error::new(format!(
                    "固定長形式 {}行目 項目「{what}」: {e}",
                    self.number
                ))
            })
    }
}

/// renkei の固定長形式が使う範囲の Shift_JIS を読みます (docs/jukinet-formats.md「文字集合」)。
/// 範囲の外のバイト列 (NEC 特殊文字、IBM 拡張、ユーザー定義領域) はエラーです: 外字は必ず 〓 と外字例外ファイルで来ます。
pub fn decode_sjis(bytes: &[u8]) -> std::result::Result<String, String> {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            0x20..=0x7e | 0xa1..=0xdf => i += 1,
            0x81..=0x84 | 0x88..=0x9f | 0xe0..=0xea => {
                if i + 1 >= bytes.len() {
                    return Err(format!("2バイト文字の途中で切れています (0x{b:02X})"));
                }
                i += 2;
            }
            _ => return Err(format!("文字集合の外のバイト 0x{b:02X} があります")),
        }
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        return Err("Shift_JIS として読めないバイト列があります".to_owned());
    }
    Ok(text.into_owned())
}

/// 固定長ファイルを行に分けます: どの行も `len` バイト + CRLF。
fn fixed_lines(bytes: &[u8], len: usize) -> Result<Vec<Line<'_>>> {
    let stride = len + 2;
    if bytes.is_empty() || !bytes.len().is_multiple_of(stride) {
        return Err(Error::new(format!(
            "固定長形式: ファイルの長さ {} がレコード長 {stride} の倍数ではありません",
            bytes.len()
        )));
    }
    let mut lines = Vec::new();
    for (n, chunk) in bytes.chunks(stride).enumerate() {
        if &chunk[len..] != b"\r\n" {
            return Err(Error::new(format!(
                "固定長形式 {}行目: CRLF で終わっていません",
                n + 1
            )));
        }
        lines.push(Line {
            bytes: &chunk[..len],
            number: n + 1,
        });
    }
    Ok(lines)
}

/// ヘッダ・データ・トレーラの並びを確かめ、ヘッダとデータ行を返します。
fn fixed_structure<'a>(lines: &'a [Line<'a>]) -> Result<(FileHeader, &'a [Line<'a>])> {
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return Err(Error::new("固定長形式: レコードがありません".to_owned()));
    };
    if lines.len() < 2 || first.bytes[0] != b'1' || last.bytes[0] != b'9' {
        return Err(Error::new(
            "固定長形式: ヘッダ (1) とトレーラ (9) がそろっていません".to_owned(),
        ));
    }
    let file_id = first.ascii(1, 5, "ファイルID")?;
    let sakusei = first
        .datetime(5, "作成日時")?
        .ok_or_else(|| Error::new("固定長形式: 作成日時がありません".to_owned()))?;
    let count: usize = first.number(47, 55, "データ件数")?.parse().unwrap_or(0);
    let data = &lines[1..lines.len() - 1];
    if last.ascii(1, 5, "ファイルID")? != file_id
        || last.number(5, 13, "データ件数")?.parse::<usize>().ok() != Some(count)
    {
        return Err(Error::new(
            "固定長形式: トレーラのファイルIDかデータ件数がヘッダと違います".to_owned(),
        ));
    }
    if data.len() != count {
        return Err(Error::new(format!(
            "固定長形式: データ件数 {count} とデータレコードの数 {} が違います",
            data.len()
        )));
    }
    for (i, line) in data.iter().enumerate() {
        if line.bytes[0] != b'2' {
            return Err(Error::new(format!(
                "固定長形式 {}行目: データレコード (2) ではありません",
                line.number
            )));
        }
        let no: usize = line.number(1, 9, "レコード番号")?.parse().unwrap_or(0);
        if no != i + 1 {
            return Err(Error::new(format!(
                "固定長形式 {}行目: レコード番号が {} です ({} のはずです)",
                line.number,
                no,
                i + 1
            )));
        }
    }
    Ok((
        FileHeader {
            file_id,
            sakusei_nichiji: sakusei,
            count,
        },
        data,
    ))
}

/// 証明書情報 (JS01 / JS02) の固定長形式 (80 バイト + CRLF)。
pub fn shomeisho_fixed(bytes: &[u8]) -> Result<ShomeishoFile> {
    let lines = fixed_lines(bytes, 80)?;
    let (header, data) = fixed_structure(&lines)?;
    let mut records = Vec::with_capacity(data.len());
    for l in data {
        let hakko = l.date(41, "発行日")?;
        let yuko = l.date(49, "有効期限")?.ok_or_else(|| {
            Error::new(format!("固定長形式 {}行目: 有効期限がありません", l.number))
        })?;
        let shikko = l.date(57, "失効日")?;
        let record = ShomeishoRecord {
            serial: serial(&l.number(9, 29, "シリアル番号")?)?,
            juminhyo_code: l.number(29, 40, "住民票コード")?,
            kind: kind_word(&l.number(40, 41, "証明書種別")?)?,
            hakkobi: hakko,
            yuko_kigen: yuko,
            shikkobi: shikko,
            jotai: jotai(&l.number(65, 66, "状態")?)?,
            koshin_nichiji: l.datetime(66, "更新日時")?.ok_or_else(|| {
                Error::new(format!("固定長形式 {}行目: 更新日時がありません", l.number))
            })?,
        };
        records.push(record);
    }
    Ok(ShomeishoFile { header, records })
}

/// 本人確認情報 (JH01) の固定長形式 (295 バイト + CRLF)。全角項目は 〓 を含んだまま返します。
pub fn honin_fixed(bytes: &[u8]) -> Result<HoninFile> {
    let lines = fixed_lines(bytes, 295)?;
    let (header, data) = fixed_structure(&lines)?;
    let mut records = Vec::with_capacity(data.len());
    for l in data {
        let birth = l.date(152, "生年月日")?.ok_or_else(|| {
            Error::new(format!("固定長形式 {}行目: 生年月日がありません", l.number))
        })?;
        let kana = l.kanji(92, 152, "氏名カナ")?;
        records.push(HoninRecord {
            juminhyo_code: l.number(9, 20, "住民票コード")?,
            kojin_bango: l.number(20, 32, "個人番号")?,
            shimei: l.kanji(32, 92, "氏名")?,
            shimei_kana: if kana.is_empty() { None } else { Some(kana) },
            seinengappi: birth,
            seibetsu: seibetsu_word(&l.number(160, 161, "性別")?)?,
            jusho: l.kanji(161, 281, "住所")?,
        });
    }
    Ok(HoninFile { header, records })
}

#[cfg(test)]
mod tests {
    use super::*;

    const JS02: &str = "ファイルID,作成日時,対象期間開始,対象期間終了,データ件数\r\n\
JS02,2026-04-06T12:00:00+09:00,2026-04-06T09:00:00+09:00,2026-04-06T12:00:00+09:00,4\r\n\
シリアル番号,住民票コード,証明書種別,発行日,有効期限,失効日,状態,更新日時\r\n\
9011000000000101,99822713246,2,2026-04-06,2030-11-14,,1,2026-04-06T10:30:00+09:00\r\n\
9011000000000102,99822713246,1,2026-04-06,2030-11-14,,1,2026-04-06T10:30:00+09:00\r\n\
9014838792597152,99822713246,2,2026-03-13,2030-11-14,2026-04-06,2,2026-04-06T10:30:00+09:00\r\n\
9015826487500245,99822713246,1,2026-03-13,2030-11-14,2026-04-06,2,2026-04-06T10:30:00+09:00\r\n";

    #[test]
    fn reads_the_documented_delta_example() {
        let f = shomeisho_csv(JS02, Seeded::NONE).unwrap();
        assert_eq!(f.header.file_id, "JS02");
        assert_eq!(f.header.sakusei_nichiji, "2026-04-06T12:00:00+09:00");
        assert_eq!(f.records.len(), 4);
        assert_eq!(f.records[0].kind, "利用者証明用");
        assert_eq!(f.records[3].shikkobi.as_deref(), Some("2026-04-06"));
        assert_eq!(f.records[3].jotai, 2);
    }

    /// 同じ差分を固定長形式で書いたもの (docs/jukinet-formats.md のレイアウト)。
    fn js02_fixed() -> Vec<u8> {
        let f = shomeisho_csv(JS02, Seeded::NONE).unwrap();
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        let date = |d: &Option<String>| d.as_deref().map_or("00000000".to_owned(), digits);
        let mut out = String::new();
        let mut line = |l: String| {
            assert_eq!(l.len(), 80, "{l}");
            out.push_str(&l);
            out.push_str("\r\n");
        };
        line(format!(
            "1JS0220260406120000202604060900002026040612000000000004{:25}",
            ""
        ));
        for (i, r) in f.records.iter().enumerate() {
            line(format!(
                "2{:08}{:0>20}{}{}{}{}{}{}{}",
                i + 1,
                r.serial,
                r.juminhyo_code,
                if r.kind == "署名用" { 1 } else { 2 },
                date(&r.hakkobi),
                digits(&r.yuko_kigen),
                date(&r.shikkobi),
                r.jotai,
                &digits(&r.koshin_nichiji)[..14],
            ));
        }
        line(format!("9JS0200000004{:67}", ""));
        out.into_bytes()
    }

    #[test]
    fn both_forms_give_the_same_records_with_their_update_times() {
        let csv = shomeisho_csv(JS02, Seeded::NONE).unwrap();
        let fixed = shomeisho_fixed(&js02_fixed()).unwrap();
        assert_eq!(fixed.records, csv.records);
        assert!(
            csv.records
                .iter()
                .all(|r| r.koshin_nichiji == "2026-04-06T10:30:00+09:00")
        );
    }

    #[test]
    fn the_first_row_lost_defect_loses_exactly_the_first_pair() {
        let f = shomeisho_csv(JS02, Seeded::from_id("first-row-lost").unwrap()).unwrap();
        assert_eq!(f.records.len(), 3);
        assert_eq!(f.records[0].serial, "9011000000000102");
    }

    #[test]
    fn refuses_a_count_that_does_not_match() {
        let bad = JS02.replace(",4\r\n", ",5\r\n");
        assert!(shomeisho_csv(&bad, Seeded::NONE).is_err());
    }

    #[test]
    fn reads_the_documented_fixed_jh01_example() {
        let mut line1 = b"1JH0120260401090000".to_vec();
        line1.extend_from_slice(b"0000000000000000000000000000");
        line1.extend_from_slice(b"00000001");
        line1.resize(295, b' ');
        let mut line2 = b"20000000199012345678990123456785".to_vec();
        let field = |text: &str, width: usize| {
            let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
            let mut v = bytes.into_owned();
            while v.len() + 2 <= width {
                v.extend_from_slice(&[0x81, 0x40]);
            }
            if v.len() < width {
                v.push(b' ');
            }
            v
        };
        line2.extend(field("〓田　花子", 60));
        line2.extend(field("ヨシダ　ハナコ", 60));
        line2.extend_from_slice(b"198506152");
        line2.extend(field(
            "東京都千代田区千代田1丁目1番1号　メゾン〓ひだまり〓　101号室",
            120,
        ));
        line2.extend_from_slice(b"20260315103000");
        let mut line3 = b"9JH0100000001".to_vec();
        line3.resize(295, b' ');
        let mut file = Vec::new();
        for l in [line1, line2, line3] {
            assert_eq!(l.len(), 295);
            file.extend(l);
            file.extend_from_slice(b"\r\n");
        }
        let f = honin_fixed(&file).unwrap();
        assert_eq!(f.header.sakusei_nichiji, "2026-04-01T09:00:00+09:00");
        let r = &f.records[0];
        assert_eq!(r.shimei, "〓田　花子");
        assert_eq!(r.shimei_kana.as_deref(), Some("ヨシダ　ハナコ"));
        assert_eq!(r.seibetsu, "女");
        assert_eq!(r.seinengappi, "1985-06-15");
        assert!(r.jusho.ends_with("101号室"));
    }

    #[test]
    fn ibm_extensions_and_user_defined_bytes_are_refused() {
        assert!(decode_sjis(&[0xfb, 0xfc]).is_err(), "髙 (IBM 拡張)");
        assert!(decode_sjis(&[0xf0, 0x40]).is_err(), "ユーザー定義領域");
        assert!(decode_sjis(&[0x87, 0x40]).is_err(), "NEC 特殊文字");
        assert_eq!(decode_sjis(&[0x81, 0x60, 0xb6]).unwrap(), "～ｶ");
    }
}
