//! `shinseisho.pdf`: the 申請書 as a person reads and prints it (seed 000 §3: the 連携ツール prints
//! every file of a 申請).
//!
//! Written by hand, because it is simple and must stay small (a few KB for a whole form): A4
//! pages of text and rules, one `Type0` font that is **not embedded** — `KozMinPr6N-Regular`
//! (小塚明朝 Pr6N, which Adobe Acrobat Reader's Japanese font pack provides; municipal terminals
//! run Acrobat Reader, seed 000 §5) with the predefined CMap `UniJIS-UTF16-H` and the
//! Adobe-Japan1 collection, as Japanese PDF producers write when they do not embed a font.
//! Text is UTF-16BE in hex strings, so 𠮷 (outside the BMP) is a surrogate pair the CMap maps.
//! Embedding a Japanese font would cost megabytes per 申請 (CRATES.md: printpdf embeds 4 MB).
//!
//! What a non-embedded font cannot do, and what renkei does about it:
//! - a municipal 外字 in the private use area has no glyph in any standard font, and
//!   `UniJIS-UTF16-H` maps it to nothing: the PDF shows 〓 in its place ([`GETA`]). The XML keeps
//!   the character; the PDF is for reading, never the source of data (ING-20);
//! - text extracted from the PDF (e.g. by `pdftotext`) goes through Adobe-Japan1, which has one
//!   glyph for 〜 (U+301C) and ～ (U+FF5E) and turns U+3000 into a space: again, read values from
//!   the XML.
//!
//! The output is deterministic: no clock (the creation date is 申請日時), no random ID.

use std::fmt::Write as _;

use super::kensho::Shomeisho;
use super::shinseisho::Shinseisho;
use super::xml::JST;

/// The font named in the PDF (not embedded).
pub const FONT: &str = "KozMinPr6N-Regular";
/// The predefined CMap: UTF-16BE codes to Adobe-Japan1 CIDs.
pub const CMAP: &str = "UniJIS-UTF16-H";
/// What the PDF shows for a character in the private use area (a municipal 外字).
pub const GETA: char = '〓';

/// A4 in points.
const PAGE_WIDTH: i32 = 595;
const PAGE_HEIGHT: i32 = 842;
const LEFT: i32 = 50;
const RIGHT: i32 = 545;
const TOP: i32 = 792;
/// Rows stop above this; the footer goes below it.
const BOTTOM: i32 = 60;
const FOOTER_Y: i32 = 32;
/// Body text size and line pitch.
const SIZE: i32 = 10;
const LINE: i32 = 15;
/// The label column and the value column.
const LABEL_X: i32 = LEFT + 6;
const LABEL_WIDTH: i32 = 150;
const VALUE_X: i32 = LEFT + 168;
const VALUE_WIDTH: i32 = RIGHT - VALUE_X - 6;

/// Everything drawn on a page.
enum Op {
    /// One line of text at (`x`, `y`) in points, `size` points high.
    Text {
        x: i32,
        y: i32,
        size: i32,
        text: String,
    },
    /// A horizontal rule across the table; heavy above the first row.
    Rule { y: i32, heavy: bool },
}

/// The 申請書 as a PDF.
pub fn render(shinseisho: &Shinseisho, shomeisho: Option<&Shomeisho>) -> Vec<u8> {
    let pages = layout(shinseisho, shomeisho);
    let nichiji = shinseisho.shinsei_nichiji.to_offset(JST);
    let footer = |page: usize| {
        format!(
            "renkei 合成データ（実在しない申請です）　受付番号 {}　{} / {} ページ",
            shinseisho.uketsuke_bango,
            page + 1,
            pages.len()
        )
    };
    let contents: Vec<String> = pages
        .iter()
        .enumerate()
        .map(|(i, ops)| {
            let mut stream = content_stream(ops);
            stream.push_str(&text_op(LEFT, FOOTER_Y, 8, &footer(i)));
            stream
        })
        .collect();
    let creation = format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}+09'00'",
        nichiji.year(),
        u8::from(nichiji.month()),
        nichiji.day(),
        nichiji.hour(),
        nichiji.minute(),
        nichiji.second()
    );
    let title = format!(
        "{}（受付番号 {}）",
        shinseisho.tetsuzuki.name, shinseisho.uketsuke_bango
    );
    write_pdf(&contents, &title, &creation)
}

/// The pages: title, the 申請's identity, a row per form field, the attachments, the signature.
fn layout(shinseisho: &Shinseisho, shomeisho: Option<&Shomeisho>) -> Vec<Vec<Op>> {
    let mut pages = vec![Vec::new()];
    let mut y = TOP;
    for line in wrap(&shinseisho.tetsuzuki.name, RIGHT - LEFT, 16) {
        y -= 22;
        pages[0].push(Op::Text {
            x: LEFT,
            y,
            size: 16,
            text: line,
        });
    }
    let nichiji = shinseisho.shinsei_nichiji.to_offset(JST);
    let identity = format!(
        "受付番号 {}　申請日時 {}年{}月{}日 {:02}:{:02}:{:02}　団体コード {}",
        shinseisho.uketsuke_bango,
        nichiji.year(),
        u8::from(nichiji.month()),
        nichiji.day(),
        nichiji.hour(),
        nichiji.minute(),
        nichiji.second(),
        shinseisho.dantai_code
    );
    y -= 22;
    pages[0].push(Op::Text {
        x: LEFT,
        y,
        size: 9,
        text: identity,
    });
    y -= 10;

    let mut rows: Vec<(String, String)> = shinseisho
        .komoku
        .iter()
        .map(|k| {
            let label = if k.hissu {
                format!("{}（必須）", k.label)
            } else {
                k.label.clone()
            };
            (label, k.value.clone())
        })
        .collect();
    for (i, tenpu) in shinseisho.tenpu.iter().enumerate() {
        rows.push((
            format!("添付書類 {}", i + 1),
            format!(
                "{}（{}、{} バイト）",
                tenpu.name, tenpu.media_type, tenpu.size
            ),
        ));
    }
    rows.push((
        "電子署名".to_owned(),
        match shomeisho {
            Some(cert) => format!("{}電子証明書 シリアル番号 {}", cert.kind, cert.serial),
            None => "なし".to_owned(),
        },
    ));

    pages[0].push(Op::Rule { y, heavy: true });
    for (label, value) in rows {
        let labels = wrap(&label, LABEL_WIDTH, SIZE);
        let values = wrap(&value, VALUE_WIDTH, SIZE);
        let lines = labels.len().max(values.len()).max(1) as i32;
        let height = lines * LINE + 6;
        if y - height < BOTTOM {
            pages.push(Vec::new());
            y = TOP;
            pages
                .last_mut()
                .expect("a page was pushed")
                .push(Op::Rule { y, heavy: true });
        }
        let page = pages.last_mut().expect("there is always a page");
        for (i, text) in labels.into_iter().enumerate() {
            page.push(Op::Text {
                x: LABEL_X,
                y: y - 14 - LINE * i as i32,
                size: SIZE,
                text,
            });
        }
        for (i, text) in values.into_iter().enumerate() {
            page.push(Op::Text {
                x: VALUE_X,
                y: y - 14 - LINE * i as i32,
                size: SIZE,
                text,
            });
        }
        y -= height;
        page.push(Op::Rule { y, heavy: false });
    }
    pages
}

/// The advance of `c` in thousandths of the font size: half width for ASCII and half-width カナ
/// (as the font's `/W` array says), full width for everything else.
fn advance(c: char) -> i32 {
    if (' '..='~').contains(&c) || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
        500
    } else {
        1000
    }
}

/// `text` broken into lines no wider than `width` points at `size`: at line breaks in the text,
/// and wherever a line is full (Japanese text has no spaces to break at).
fn wrap(text: &str, width: i32, size: i32) -> Vec<String> {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines = Vec::new();
    for paragraph in normalized.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for c in paragraph.chars() {
            let w = advance(c) * size;
            if used + w > width * 1000 && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += w;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(String::is_empty) && lines.len() > 1 {
        lines.pop();
    }
    lines
}

/// A page's drawing operators.
fn content_stream(ops: &[Op]) -> String {
    let mut out = String::new();
    for op in ops {
        match op {
            Op::Text { x, y, size, text } => out.push_str(&text_op(*x, *y, *size, text)),
            Op::Rule { y, heavy } => {
                let width = if *heavy { "0.8" } else { "0.3" };
                let _ = writeln!(out, "{width} w {LEFT} {y} m {RIGHT} {y} l S");
            }
        }
    }
    out
}

/// One line of text: `BT /F1 size Tf x y Td <hex> Tj ET`.
fn text_op(x: i32, y: i32, size: i32, text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    format!("BT /F1 {size} Tf {x} {y} Td <{}> Tj ET\n", utf16_hex(text))
}

/// UTF-16BE in uppercase hex, private-use characters shown as 〓 and tabs as spaces.
fn utf16_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 4);
    let mut units = [0u16; 2];
    for c in text.chars() {
        let c = match c {
            '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{10FFFF}' => GETA,
            '\t' => ' ',
            c => c,
        };
        for unit in c.encode_utf16(&mut units) {
            let _ = write!(out, "{unit:04X}");
        }
    }
    out
}

/// The whole file: header, objects, cross-reference table, trailer.
fn write_pdf(contents: &[String], title: &str, creation: &str) -> Vec<u8> {
    let page_count = contents.len();
    let first_page = 7;
    let kids: Vec<String> = (0..page_count)
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {page_count} >>",
            kids.join(" ")
        ),
        format!(
            "<< /Type /Font /Subtype /Type0 /BaseFont /{FONT} /Encoding /{CMAP} /DescendantFonts [4 0 R] >>"
        ),
        format!(
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /{FONT} \
             /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 6 >> \
             /FontDescriptor 5 0 R /DW 1000 /W [1 95 500 231 632 500] >>"
        ),
        format!(
            "<< /Type /FontDescriptor /FontName /{FONT} /Flags 6 /FontBBox [-437 -340 1147 1317] \
             /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 742 /StemV 80 >>"
        ),
        format!(
            "<< /Title <FEFF{}> /Producer (renkei: synthetic data, not a real application) /CreationDate ({creation}) >>",
            utf16_hex(title)
        ),
    ];
    for (i, content) in contents.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            first_page + 2 * i + 1
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(table.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_utf16_with_surrogates_and_geta_for_gaiji() {
        assert_eq!(utf16_hex("𠮷"), "D842DFB7");
        assert_eq!(utf16_hex("髙\u{E000}a\t"), "9AD9301300610020");
    }

    #[test]
    fn lines_wrap_at_the_width_and_at_line_breaks() {
        assert_eq!(wrap("ああああ", 20, 10), vec!["ああ", "ああ"]);
        assert_eq!(wrap("abcd", 10, 10), vec!["ab", "cd"]);
        assert_eq!(wrap("あ\r\nい\rう\n", 100, 10), vec!["あ", "い", "う"]);
        assert_eq!(wrap("", 100, 10), vec![""]);
    }
}
