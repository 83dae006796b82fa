//! 外字例外ファイルで固定長形式の 〓 を元の文字に戻します (docs/jukinet-formats.md「外字例外ファイル」「復元」)。
//!
//! 例外の行を (レコード番号, 項目名) でまとめ、元の値を固定長形式の規則で書き直してみます。その結果が
//! 固定長ファイルの項目と一字一句同じで、書き直しで出る例外の行が渡された行と同じときだけ、項目を元の値に
//! 置き換えます。合わなければ二つのファイルは組ではないので、何も戻さずにエラーにします。
//! 例外の行がない 〓 は本物の 〓 なので、そのまま残ります。

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// 外字の目印 (U+3013 GETA MARK)。
pub const GETA: char = '〓';

/// 外字例外ファイルの1行。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reigai {
    pub file_id: String,
    pub record_no: usize,
    pub field: String,
    /// 項目の中の 〓 の位置 (1から、Unicode のスカラー値で数える)。
    pub position: usize,
    /// `外字` / `桁あふれ`。
    pub kind: String,
    pub original_char: char,
    pub original_value: String,
}

const COLUMNS: [&str; 7] = [
    "ファイルID",
    "レコード番号",
    "項目名",
    "文字位置",
    "種別",
    "元の文字",
    "元の値",
];

/// 外字例外ファイル (UTF-8 の CSV) を読みます。
pub fn parse(text: &str) -> Result<Vec<Reigai>> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::new(format!("外字例外ファイル: 列名を読めません: {e}")))?;
    if headers.iter().collect::<Vec<_>>() != COLUMNS {
        return Err(Error::new("外字例外ファイル: 列名が違います".to_owned()));
    }
    let mut rows = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let line = i + 2;
        let r =
            r.map_err(|e| Error::new(format!("外字例外ファイル {line}行目を読めません: {e}")))?;
        let bad = |what: &str| Error::new(format!("外字例外ファイル {line}行目: {what}"));
        let number = |v: &str, what: &str| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad(what))
        };
        let code = r[5]
            .strip_prefix("U+")
            .ok_or_else(|| bad("元の文字が U+XXXX ではありません"))?;
        let original_char = u32::from_str_radix(code, 16)
            .ok()
            .filter(|_| (4..=6).contains(&code.len()))
            .and_then(char::from_u32)
            .ok_or_else(|| bad("元の文字が U+XXXX ではありません"))?;
        if !matches!(&r[4], "外字" | "桁あふれ") {
            return Err(bad("種別が 外字 / 桁あふれ ではありません"));
        }
        rows.push(Reigai {
            file_id: r[0].to_owned(),
            record_no: number(&r[1], "レコード番号が1以上の数ではありません")?,
            field: r[2].to_owned(),
            position: number(&r[3], "文字位置が1以上の数ではありません")?,
            kind: r[4].to_owned(),
            original_char,
            original_value: r[6].to_owned(),
        });
    }
    Ok(rows)
}

/// 固定長形式がその文字をそのまま運べるか (`gaiji::atsukai` の4つの条件)。運べるならそのバイト数。
pub fn carried_width(ch: char) -> Option<usize> {
    if ch.is_control() {
        return None;
    }
    let mut buf = [0u8; 4];
    let s = ch.encode_utf8(&mut buf);
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(s);
    if had_errors {
        return None;
    }
    let in_range = match bytes.as_ref() {
        [b] => (0x20..=0x7e).contains(b) || (0xa1..=0xdf).contains(b),
        [lead, _] => matches!(lead, 0x81..=0x84 | 0x88..=0x9f | 0xe0..=0xea),
        _ => false,
    };
    if !in_range {
        return None;
    }
    let (back, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes);
    (!had_errors && *back == *s).then_some(bytes.len())
}

/// 値を全角項目 (`width` バイト) に書いたときの文字列と、出る例外の行 (位置, 種別, 元の文字)。
pub fn write_field(value: &str, width: usize) -> (String, Vec<(usize, &'static str, char)>) {
    let chars: Vec<char> = value.chars().collect();
    let width_of = |c: char| carried_width(c).unwrap_or(2);
    let total: usize = chars.iter().map(|c| width_of(*c)).sum();
    // 入りきらなければ、〓 (2バイト) が入るところまで文字を残して切ります。
    let keep = if total <= width {
        chars.len()
    } else {
        let mut used = 0;
        let mut k = 0;
        while k < chars.len() && used + width_of(chars[k]) + 2 <= width {
            used += width_of(chars[k]);
            k += 1;
        }
        k
    };
    let mut text = String::new();
    let mut rows = Vec::new();
    for (i, c) in chars.iter().take(keep).enumerate() {
        if carried_width(*c).is_some() {
            text.push(*c);
        } else {
            text.push(GETA);
            rows.push((i + 1, "外字", *c));
        }
    }
    if keep < chars.len() {
        text.push(GETA);
        rows.push((keep + 1, "桁あふれ", chars[keep]));
    }
    (text, rows)
}

/// 全角項目の名前とバイト幅 (本人確認情報)。
pub fn field_width(field: &str) -> Option<usize> {
    match field {
        "氏名" | "氏名カナ" => Some(60),
        "住所" => Some(120),
        _ => None,
    }
}

/// 例外の行を (レコード番号, 項目名) でまとめ、それぞれを確かめて、元に戻す値を返します。
/// `value_of(レコード番号, 項目名)` は固定長ファイルのその項目の値 (埋め草を除いたもの)。
pub fn restore_plan(
    file_id: &str,
    rows: &[Reigai],
    value_of: impl Fn(usize, &str) -> Option<String>,
) -> Result<BTreeMap<(usize, String), String>> {
    let mut groups: BTreeMap<(usize, String), Vec<&Reigai>> = BTreeMap::new();
    for r in rows {
        if r.file_id != file_id {
            return Err(Error::new(format!(
                "外字例外ファイル: ファイルID {} が固定長ファイル {file_id} と違います",
                r.file_id
            )));
        }
        groups
            .entry((r.record_no, r.field.clone()))
            .or_default()
            .push(r);
    }
    let mut plan = BTreeMap::new();
    for ((record_no, field), group) in groups {
        let at = format!("外字例外ファイル: レコード番号{record_no} 項目「{field}」");
        let width = field_width(&field)
            .ok_or_else(|| Error::new(format!("{at}: 全角項目ではありません")))?;
        let original = &group[0].original_value;
        if group.iter().any(|r| &r.original_value != original) {
            return Err(Error::new(format!("{at}: 行ごとに元の値が違います")));
        }
        let fixed = value_of(record_no, &field)
            .ok_or_else(|| Error::new(format!("{at}: 固定長ファイルにそのレコードがありません")))?;
        let (written, expected) = write_field(original, width);
        if written != fixed {
            return Err(Error::new(format!(
                "{at}: 固定長ファイルの値「{fixed}」は、元の値「{original}」を書いた結果「{written}」と違います"
            )));
        }
        let given: Vec<(usize, &str, char)> = group
            .iter()
            .map(|r| (r.position, r.kind.as_str(), r.original_char))
            .collect();
        if given != expected {
            return Err(Error::new(format!(
                "{at}: 例外の行が元の値から書き直したものと合いません"
            )));
        }
        plan.insert((record_no, field), original.clone());
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_table_of_carried_characters() {
        for (c, carried) in [
            ('〜', false),
            ('～', true),
            ('−', false),
            ('－', true),
            ('‖', false),
            ('∥', true),
            ('—', false),
            ('―', true),
            ('¥', false),
            ('\\', true),
            ('‾', false),
            ('~', true),
            ('𠮷', false),
            ('髙', false),
            ('﨑', false),
            ('纊', false),
            ('①', false),
            ('\u{E000}', false),
            ('ｶ', true),
            ('\u{3000}', true),
            ('〓', true),
            ('\n', false),
        ] {
            assert_eq!(carried_width(c).is_some(), carried, "{c:?}");
        }
    }

    #[test]
    fn restores_the_documented_example() {
        let reigai = "ファイルID,レコード番号,項目名,文字位置,種別,元の文字,元の値\r\n\
JH01,1,氏名,1,外字,U+20BB7,𠮷田　花子\r\n\
JH01,1,住所,22,外字,U+301C,東京都千代田区千代田1丁目1番1号　メゾン〜ひだまり〜　101号室\r\n\
JH01,1,住所,27,外字,U+301C,東京都千代田区千代田1丁目1番1号　メゾン〜ひだまり〜　101号室\r\n";
        let rows = parse(reigai).unwrap();
        let plan = restore_plan("JH01", &rows, |_, field| match field {
            "氏名" => Some("〓田　花子".to_owned()),
            "住所" => {
                Some("東京都千代田区千代田1丁目1番1号　メゾン〓ひだまり〓　101号室".to_owned())
            }
            _ => None,
        })
        .unwrap();
        assert_eq!(plan[&(1, "氏名".to_owned())], "𠮷田　花子");
        assert!(plan[&(1, "住所".to_owned())].contains("メゾン〜ひだまり〜"));
    }

    #[test]
    fn an_overflowing_name_is_cut_with_a_geta_and_restored_whole() {
        let long = "ムハンマド・アブドゥルラフマーン・ビン・アブドゥルアジーズ・アルファイサル";
        let (text, rows) = write_field(long, 60);
        assert_eq!(text.chars().count(), 30);
        assert!(text.ends_with(GETA));
        assert_eq!(rows, vec![(30, "桁あふれ", '・')]);
    }

    #[test]
    fn rows_that_do_not_belong_to_the_file_are_refused() {
        let reigai = "ファイルID,レコード番号,項目名,文字位置,種別,元の文字,元の値\r\nJH01,1,氏名,1,外字,U+20BB7,𠮷川　花子\r\n";
        let rows = parse(reigai).unwrap();
        let err = restore_plan("JH01", &rows, |_, _| Some("〓田　花子".to_owned())).unwrap_err();
        assert!(err.0.contains("違います"), "{err}");
    }
}
