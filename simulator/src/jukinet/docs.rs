//! The generated parts of `docs/jukinet-formats.md`.
//!
//! The tables a vendor implements against — layouts, columns, codes, the character rules — and
//! the worked example are rendered here from the definitions the code uses. The docs hold each
//! text verbatim and a test (`tests/jukinet_docs.rs`) fails when one is missing, so the page
//! cannot drift from the code.

use renkei_fixtures::ids::{JuminhyoCode, KojinBango};
use renkei_fixtures::population::Seibetsu;
use time::macros::{date, datetime};

use super::csv::write_csv;
use super::file::{FileId, HoninKakuninFile, JukinetFile};
use super::fixed::{FixedOutput, write_fixed};
use super::gaiji::{self, MARKER_SJIS};
use super::kubun;
use super::layout::{self, Kata, RecordKubun, fixed_layout, record_length};
use super::nichiji::Nichiji;
use super::record::{HoninKakuninJoho, Record, ShomeishoJoho};
use super::reigai;

/// Every generated section, by name, in the order the page shows them.
pub fn sections() -> Vec<(&'static str, String)> {
    vec![
        ("ファイル一覧", file_list_markdown()),
        ("CSV ファイルヘッダ", layout::csv_header_markdown()),
        (
            "CSV 証明書情報",
            layout::csv_columns_markdown::<ShomeishoJoho>(),
        ),
        (
            "CSV 本人確認情報",
            layout::csv_columns_markdown::<HoninKakuninJoho>(),
        ),
        ("区分コード", kubun::code_tables_markdown()),
        (
            "固定長 証明書情報",
            layout::fixed_layout_markdown::<ShomeishoJoho>(),
        ),
        (
            "固定長 本人確認情報",
            layout::fixed_layout_markdown::<HoninKakuninJoho>(),
        ),
        ("文字集合", gaiji::repertoire_markdown()),
        ("対応表", gaiji::mapping_table_markdown()),
        ("外字例外ファイルの列", reigai::columns_markdown()),
        ("例", worked_example_markdown()),
    ]
}

/// The file kinds as Markdown.
pub fn file_list_markdown() -> String {
    let mut out = String::from(
        "| ファイルID | 名前 | レコード | 対象期間 | 固定長のレコード長 |\n|---|---|---|---|---|\n",
    );
    for file in FileId::ALL {
        let record = match file {
            FileId::ShomeishoZenken | FileId::ShomeishoSabun => ShomeishoJoho::MEISHO,
            FileId::HoninKakunin => HoninKakuninJoho::MEISHO,
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} バイト + CRLF |\n",
            file.id(),
            file.meisho(),
            record,
            if file.has_period() {
                "あり"
            } else {
                "なし"
            },
            record_length(file)
        ));
    }
    out
}

/// The worked example's file: one synthetic resident, 𠮷田 花子, whose 氏名 and 住所 hold
/// characters the fixed-length form cannot carry (𠮷 U+20BB7, 〜 U+301C).
pub fn example_file() -> HoninKakuninFile {
    let nichiji = |t| Nichiji::new(t).expect("a four-digit year");
    JukinetFile::honin_kakunin(
        nichiji(datetime!(2026-04-01 09:00:00 +9)),
        vec![HoninKakuninJoho {
            juminhyo_code: JuminhyoCode::from_number(99_012_345_678),
            kojin_bango: KojinBango::from_body(99_012_345_678),
            shimei: "𠮷田　花子".to_owned(),
            shimei_kana: Some("ヨシダ　ハナコ".to_owned()),
            seinengappi: date!(1985 - 06 - 15),
            seibetsu: Seibetsu::Onna,
            jusho: "東京都千代田区千代田1丁目1番1号　メゾン〜ひだまり〜　101号室".to_owned(),
            koshin_nichiji: nichiji(datetime!(2026-03-15 10:30:00 +9)),
        }],
    )
}

/// The worked example as Markdown: the CSV file, the fixed-length file item by item, and the
/// exception file.
pub fn worked_example_markdown() -> String {
    let file = example_file();
    let csv = write_csv(&file).expect("the example is valid");
    let fixed = write_fixed(&file).expect("the example is valid");
    let mut out = String::new();
    out.push_str("CSV形式 (UTF-8、各行の末尾は CRLF):\n\n```text\n");
    out.push_str(&csv.replace("\r\n", "\n"));
    out.push_str("```\n\n");
    out.push_str(&format!(
        "固定長形式 (Shift_JIS、{} 行 × ({} バイト + CRLF) = {} バイト)。9 と X の項目は ASCII のまま、N の項目は1文字ずつ16進で示す (`␣` は ASCII の空白、`× n` は埋め草の繰り返し):\n\n",
        file.records.len() + 2,
        record_length(file.header.id),
        fixed.data.len()
    ));
    out.push_str(&fixed_view(&fixed, file.header.id));
    out.push_str("\n外字例外ファイル (UTF-8、各行の末尾は CRLF):\n\n```text\n");
    out.push_str(&fixed.exceptions_csv().replace("\r\n", "\n"));
    out.push_str("```\n");
    out
}

/// The records of a fixed-length file, item by item.
fn fixed_view(fixed: &FixedOutput, file: FileId) -> String {
    let length = record_length(file) + 2;
    let mut out = String::from("| 行 | 項目名 | 型 | 内容 |\n|---|---|---|---|\n");
    let lines: Vec<&[u8]> = fixed.data.chunks(length).collect();
    for (index, line) in lines.iter().enumerate() {
        let kubun = match index {
            0 => RecordKubun::Header,
            i if i + 1 == lines.len() => RecordKubun::Trailer,
            _ => RecordKubun::Data,
        };
        let mut start = 0;
        for item in fixed_layout(file, kubun) {
            let bytes = &line[start..start + item.width];
            start += item.width;
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                index + 1,
                item.name,
                item.kata().letter(),
                show_bytes(bytes, item.kata())
            ));
        }
    }
    out
}

/// An item's bytes: ASCII as text, 全角 as hex per character, padding runs counted.
fn show_bytes(bytes: &[u8], kata: Kata) -> String {
    if kata != Kata::Zenkaku {
        let text = String::from_utf8_lossy(bytes);
        let trimmed = text.trim_end_matches(' ');
        let spaces = text.len() - trimmed.len();
        return match (trimmed.is_empty(), spaces) {
            (true, n) => format!("`␣` × {n}"),
            (false, 0) => format!("`{trimmed}`"),
            (false, n) => format!("`{trimmed}` + `␣` × {n}"),
        };
    }
    let mut units = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = if matches!(bytes[at], 0x81..=0x9F | 0xE0..=0xFC) {
            2
        } else {
            1
        };
        units.push(&bytes[at..at + len]);
        at += len;
    }
    let half_space = units.last() == Some(&&b" "[..]);
    if half_space {
        units.pop();
    }
    let pad = units
        .iter()
        .rev()
        .take_while(|u| **u == [0x81, 0x40])
        .count();
    let content = &units[..units.len() - pad];
    let mut parts: Vec<String> = content
        .iter()
        .map(|unit| {
            let text = encoding_rs::SHIFT_JIS.decode(unit).0;
            let hex = gaiji::hex(unit);
            let shown = if *unit == MARKER_SJIS {
                "〓".into()
            } else {
                text
            };
            format!("{}({shown})", &hex[2..])
        })
        .collect();
    if pad > 0 {
        parts.push(format!("8140 × {pad}"));
    }
    if half_space {
        parts.push("20".to_owned());
    }
    parts.join(" ")
}
