//! 外字: which characters the fixed-length Shift_JIS form carries, and what happens to the rest.
//!
//! renkei's fixed-length files carry **JIS X 0208** (with ASCII and JIS X 0201 half-width
//! katakana) in Shift_JIS as `encoding_rs::SHIFT_JIS` (the WHATWG Encoding Standard) writes it.
//! That encoder also writes Windows code page 932's extensions — NEC row 13 (①, Ⅰ, ㈱), the IBM
//! extensions (髙 0xFBFC, 﨑 0xFAB1) — but a 既存住基システム's Shift_JIS is JIS X 0208 plus its
//! own 外字, and the extensions' bytes mean different things to different vendors. So renkei
//! keeps to JIS X 0208.
//!
//! A character is carried as it is when (see [`atsukai`]):
//! 1. it is not a control character,
//! 2. `encoding_rs` encodes it without error,
//! 3. the bytes lie in the JIS X 0208 part of Shift_JIS ([`SINGLE_BYTES`], [`LEAD_BYTES`]), and
//! 4. decoding those bytes gives the same character back (U+2212 − encodes to 0x817C, which
//!    decodes to U+FF0D －, so − is *not* carried).
//!
//! Any other character is written as the marker 〓 (U+3013 GETA MARK, 0x81AC, the traditional
//! placeholder for a 外字) and listed in the 外字例外ファイル (JUK-06), so nothing is lost.

use std::borrow::Cow;

use encoding_rs::SHIFT_JIS;

use super::error::Problem;
use super::reigai::ReigaiShubetsu;

/// 〓 GETA MARK: stands in the fixed-length file for every character it cannot carry.
pub const MARKER: char = '\u{3013}';
/// The marker in Shift_JIS.
pub const MARKER_SJIS: [u8; 2] = [0x81, 0xAC];
/// 全角空白: pads 全角 items.
pub const ZENKAKU_SPACE: char = '\u{3000}';
const ZENKAKU_SPACE_SJIS: [u8; 2] = [0x81, 0x40];

/// Single bytes renkei writes: (first, last, what).
pub const SINGLE_BYTES: &[(u8, u8, &str)] = &[
    (
        0x20,
        0x7E,
        "ASCII の図形文字と空白 (0x5C は U+005C \\、0x7E は U+007E ~ として読み書きする)",
    ),
    (0xA1, 0xDF, "半角カタカナ (JIS X 0201)"),
];

/// Lead bytes of the two-byte characters renkei writes: (first, last, what).
pub const LEAD_BYTES: &[(u8, u8, &str)] = &[
    (
        0x81,
        0x84,
        "JIS X 0208 1〜8区: 記号、英数字、かな、ギリシャ・キリル文字、罫線",
    ),
    (
        0x88,
        0x9F,
        "JIS X 0208 16〜62区: 第1水準漢字と第2水準漢字の前半",
    ),
    (0xE0, 0xEA, "JIS X 0208 63〜84区: 第2水準漢字の後半"),
];

/// Lead bytes `encoding_rs` can produce or read that renkei does not use: (first, last, what).
pub const EXCLUDED_LEAD_BYTES: &[(u8, u8, &str)] = &[
    (
        0x85,
        0x87,
        "CP932 の NEC 特殊文字 (13区: ①, Ⅰ, ㈱, ㎡, ∑, ∟)",
    ),
    (
        0xED,
        0xEE,
        "CP932 の NEC 選定 IBM 拡張文字 (読むと IBM 拡張と同じ文字になる)",
    ),
    (
        0xF0,
        0xF9,
        "ユーザー定義領域 (読むと U+E000〜U+E757 の私用領域になる)",
    ),
    (
        0xFA,
        0xFC,
        "CP932 の IBM 拡張文字 (髙 0xFBFC, 﨑 0xFAB1, 纊 0xFA5C)",
    ),
];

/// What the fixed-length form does with one character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Atsukai {
    /// Written as these bytes, and read back as the same character.
    Sonomama(Vec<u8>),
    /// Written as 〓 and listed in the 外字例外ファイル, for this reason.
    Reigai(Riyu),
}

/// Why a character is not carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Riyu {
    /// A control character (CR, LF, TAB, …): it would break the record.
    Seigyo,
    /// `encoding_rs` has no Shift_JIS bytes for it (𠮷, 〜 U+301C, 私用領域 外字).
    Fukanou,
    /// The bytes are a CP932 extension outside JIS X 0208 (髙, 﨑, ①).
    JisGai(Vec<u8>),
    /// The bytes read back as another character (− U+2212 → 0x817C → － U+FF0D; ¥ → 0x5C → \).
    Henka(Vec<u8>, char),
}

/// What the fixed-length form does with `c`: the one rule behind the writer, the reader and the
/// mapping table in the docs.
pub fn atsukai(c: char) -> Atsukai {
    if c.is_control() {
        return Atsukai::Reigai(Riyu::Seigyo);
    }
    let mut buffer = [0u8; 4];
    let (bytes, _, unmappable) = SHIFT_JIS.encode(c.encode_utf8(&mut buffer));
    if unmappable {
        return Atsukai::Reigai(Riyu::Fukanou);
    }
    let bytes = bytes.into_owned();
    if !in_repertoire(&bytes) {
        return Atsukai::Reigai(Riyu::JisGai(bytes));
    }
    match decode_strict(&bytes).and_then(|s| s.chars().next()) {
        Some(back) if back == c => Atsukai::Sonomama(bytes),
        Some(back) => Atsukai::Reigai(Riyu::Henka(bytes, back)),
        None => Atsukai::Reigai(Riyu::Fukanou),
    }
}

/// Whether the fixed-length form carries `c` as it is.
pub fn carried(c: char) -> bool {
    matches!(atsukai(c), Atsukai::Sonomama(_))
}

fn in_repertoire(bytes: &[u8]) -> bool {
    let within = |b: u8, ranges: &[(u8, u8, &str)]| {
        ranges.iter().any(|(lo, hi, _)| (*lo..=*hi).contains(&b))
    };
    match bytes {
        [b] => within(*b, SINGLE_BYTES),
        [lead, _] => within(*lead, LEAD_BYTES),
        _ => false,
    }
}

fn decode_strict(bytes: &[u8]) -> Option<Cow<'_, str>> {
    SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)
}

/// `U+XXXX` (at least four hex digits), as the exception file writes a character.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Bytes as `0x81AC`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::from("0x");
    for b in bytes {
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// One character of a 全角 item that went to the exception file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MojiReigai {
    /// 1-based position of the marker, counted in characters (Unicode scalar values).
    pub position: usize,
    pub shubetsu: ReigaiShubetsu,
    /// The original character at that position.
    pub moji: char,
}

/// A 全角 item as written: its bytes (padded to the width) and what went to the exception file.
pub(crate) struct EncodedMoji {
    pub bytes: Vec<u8>,
    pub reigai: Vec<MojiReigai>,
}

/// Writes a value into a 全角 item of `width` bytes.
///
/// Every character not carried becomes 〓 with a 外字 row. A value longer than the item is cut
/// after the last whole character that leaves room for 〓, the 〓 goes in its place, and a
/// 桁あふれ row records the position; the row carries the whole value, so nothing is lost.
/// A value ending in a blank is refused: the reader strips blanks as padding.
pub(crate) fn encode_moji(value: &str, width: usize) -> Result<EncodedMoji, Problem> {
    if value.ends_with([' ', ZENKAKU_SPACE]) {
        return Err(Problem::TrailingBlank);
    }
    let chars: Vec<char> = value.chars().collect();
    let pieces: Vec<Option<Vec<u8>>> = chars
        .iter()
        .map(|&c| match atsukai(c) {
            Atsukai::Sonomama(bytes) => Some(bytes),
            Atsukai::Reigai(_) => None,
        })
        .collect();
    let len = |piece: &Option<Vec<u8>>| piece.as_ref().map_or(MARKER_SJIS.len(), Vec::len);
    let total: usize = pieces.iter().map(len).sum();
    let keep = if total <= width {
        chars.len()
    } else {
        let mut used = 0;
        let mut keep = 0;
        while used + len(&pieces[keep]) + MARKER_SJIS.len() <= width {
            used += len(&pieces[keep]);
            keep += 1;
        }
        keep
    };
    let mut bytes = Vec::with_capacity(width);
    let mut reigai = Vec::new();
    for (index, piece) in pieces.iter().take(keep).enumerate() {
        match piece {
            Some(piece) => bytes.extend_from_slice(piece),
            None => {
                bytes.extend_from_slice(&MARKER_SJIS);
                reigai.push(MojiReigai {
                    position: index + 1,
                    shubetsu: ReigaiShubetsu::Gaiji,
                    moji: chars[index],
                });
            }
        }
    }
    if keep < chars.len() {
        bytes.extend_from_slice(&MARKER_SJIS);
        reigai.push(MojiReigai {
            position: keep + 1,
            shubetsu: ReigaiShubetsu::KetaAfure,
            moji: chars[keep],
        });
    }
    while bytes.len() + ZENKAKU_SPACE_SJIS.len() <= width {
        bytes.extend_from_slice(&ZENKAKU_SPACE_SJIS);
    }
    if bytes.len() < width {
        bytes.push(b' ');
    }
    Ok(EncodedMoji { bytes, reigai })
}

/// Reads a 全角 item: decodes it character by character, refuses bytes that are not Shift_JIS
/// and characters outside the repertoire, and strips the padding.
pub(crate) fn decode_moji(bytes: &[u8]) -> Result<String, Problem> {
    let mut text = String::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let unit_len = if matches!(bytes[at], 0x81..=0x9F | 0xE0..=0xFC) {
            2
        } else {
            1
        };
        let unit = &bytes[at..(at + unit_len).min(bytes.len())];
        let decoded = decode_strict(unit)
            .filter(|s| s.chars().count() == 1)
            .ok_or_else(|| Problem::BadBytes { hex: hex(unit) })?;
        let c = decoded.chars().next().expect("one character");
        if !carried(c) {
            return Err(Problem::NotInRepertoire {
                ch: c,
                code: code_point(c),
                hex: hex(unit),
            });
        }
        text.push(c);
        at += unit_len;
    }
    let kept = text.trim_end_matches([' ', ZENKAKU_SPACE]).len();
    text.truncate(kept);
    Ok(text)
}

/// Characters worth a line in the docs' mapping table: the CP932 / JIS X 0208 pairs, the
/// characters the population uses as edge cases, and the marker itself.
pub const NOTABLE: &[(char, &str)] = &[
    ('\u{301C}', "WAVE DASH 〜"),
    ('\u{FF5E}', "FULLWIDTH TILDE ～"),
    ('\u{2212}', "MINUS SIGN −"),
    ('\u{FF0D}', "FULLWIDTH HYPHEN-MINUS －"),
    ('\u{2016}', "DOUBLE VERTICAL LINE ‖"),
    ('\u{2225}', "PARALLEL TO ∥"),
    ('\u{2014}', "EM DASH —"),
    ('\u{2015}', "HORIZONTAL BAR ―"),
    ('\u{00A2}', "CENT SIGN ¢"),
    ('\u{FFE0}', "FULLWIDTH CENT SIGN ￠"),
    ('\u{00A3}', "POUND SIGN £"),
    ('\u{FFE1}', "FULLWIDTH POUND SIGN ￡"),
    ('\u{00AC}', "NOT SIGN ¬"),
    ('\u{FFE2}', "FULLWIDTH NOT SIGN ￢"),
    ('\u{00A5}', "YEN SIGN ¥"),
    ('\u{005C}', "REVERSE SOLIDUS \\"),
    ('\u{203E}', "OVERLINE ‾"),
    ('\u{007E}', "TILDE ~"),
    ('\u{20BB7}', "𠮷 (つちよし、BMP の外)"),
    ('\u{9AD9}', "髙 (はしごだか)"),
    ('\u{FA11}', "﨑 (たつさき)"),
    ('\u{7E8A}', "纊"),
    ('\u{2460}', "CIRCLED DIGIT ONE ①"),
    ('\u{E000}', "私用領域の外字 (U+E000〜U+F8FF)"),
    ('\u{FF76}', "HALFWIDTH KATAKANA LETTER KA ｶ"),
    ('\u{3000}', "IDEOGRAPHIC SPACE (全角空白)"),
    ('\u{3013}', "GETA MARK 〓 (目印そのもの)"),
    ('\u{000A}', "LINE FEED (制御文字)"),
];

/// The mapping table of [`NOTABLE`] characters as Markdown, computed from `encoding_rs` and
/// [`atsukai`]: `docs/jukinet-formats.md` holds this text verbatim (a test checks it).
pub fn mapping_table_markdown() -> String {
    let mut out = String::from(
        "| 文字 | コードポイント | encoding_rs の Shift_JIS | そのバイト列を読むと | renkei の固定長 |\n|---|---|---|---|---|\n",
    );
    for &(c, name) in NOTABLE {
        let mut buffer = [0u8; 4];
        let (bytes, _, unmappable) = SHIFT_JIS.encode(c.encode_utf8(&mut buffer));
        let (encoded, back) = if unmappable {
            ("符号化できない".to_owned(), "—".to_owned())
        } else {
            let back = decode_strict(&bytes)
                .and_then(|s| s.chars().next())
                .map_or("読めない".to_owned(), code_point);
            (hex(&bytes), back)
        };
        let verdict = match atsukai(c) {
            Atsukai::Sonomama(bytes) => format!("そのまま ({})", hex(&bytes)),
            Atsukai::Reigai(Riyu::Seigyo) => "〓 + 外字例外 (制御文字)".to_owned(),
            Atsukai::Reigai(Riyu::Fukanou) => "〓 + 外字例外 (Shift_JIS にない)".to_owned(),
            Atsukai::Reigai(Riyu::JisGai(_)) => "〓 + 外字例外 (JIS X 0208 の外)".to_owned(),
            Atsukai::Reigai(Riyu::Henka(_, back)) => {
                format!("〓 + 外字例外 (読むと {} に変わる)", code_point(back))
            }
        };
        out.push_str(&format!(
            "| {name} | {} | {encoded} | {back} | {verdict} |\n",
            code_point(c)
        ));
    }
    out
}

/// The byte ranges renkei writes and reads, as Markdown.
pub fn repertoire_markdown() -> String {
    let mut out = String::from("| バイト | 範囲 | 中身 |\n|---|---|---|\n");
    for (lo, hi, what) in SINGLE_BYTES {
        out.push_str(&format!("| 1バイト | 0x{lo:02X}〜0x{hi:02X} | {what} |\n"));
    }
    for (lo, hi, what) in LEAD_BYTES {
        out.push_str(&format!(
            "| 2バイト (第1バイト) | 0x{lo:02X}〜0x{hi:02X} | {what} |\n"
        ));
    }
    for (lo, hi, what) in EXCLUDED_LEAD_BYTES {
        out.push_str(&format!(
            "| 使わない (第1バイト) | 0x{lo:02X}〜0x{hi:02X} | {what} |\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_encodes_to_0x81ac_and_is_itself_carried() {
        let (bytes, _, unmappable) = SHIFT_JIS.encode("〓");
        assert!(!unmappable);
        assert_eq!(&bytes[..], &MARKER_SJIS);
        assert_eq!(atsukai(MARKER), Atsukai::Sonomama(MARKER_SJIS.to_vec()));
    }

    #[test]
    fn wave_dash_and_fullwidth_tilde() {
        // encoding_rs (WHATWG) has no bytes for U+301C; 0x8160 decodes to U+FF5E.
        assert_eq!(atsukai('\u{301C}'), Atsukai::Reigai(Riyu::Fukanou));
        assert_eq!(atsukai('\u{FF5E}'), Atsukai::Sonomama(vec![0x81, 0x60]));
        assert_eq!(SHIFT_JIS.decode(&[0x81, 0x60]).0, "\u{FF5E}");
    }

    #[test]
    fn pairs_that_change_on_the_way_back_are_reported() {
        assert_eq!(
            atsukai('\u{2212}'),
            Atsukai::Reigai(Riyu::Henka(vec![0x81, 0x7C], '\u{FF0D}'))
        );
        assert_eq!(atsukai('\u{FF0D}'), Atsukai::Sonomama(vec![0x81, 0x7C]));
        assert_eq!(
            atsukai('\u{00A5}'),
            Atsukai::Reigai(Riyu::Henka(vec![0x5C], '\\'))
        );
        assert_eq!(
            atsukai('\u{203E}'),
            Atsukai::Reigai(Riyu::Henka(vec![0x7E], '~'))
        );
        for c in ['\u{2016}', '\u{00A2}', '\u{00A3}', '\u{00AC}', '\u{2014}'] {
            assert_eq!(atsukai(c), Atsukai::Reigai(Riyu::Fukanou), "{c}");
        }
        for c in [
            '\u{2225}', '\u{FFE0}', '\u{FFE1}', '\u{FFE2}', '\u{2015}', '\\', '~',
        ] {
            assert!(carried(c), "{c}");
        }
    }

    #[test]
    fn cp932_extensions_and_private_use_are_outside() {
        assert_eq!(
            atsukai('\u{9AD9}'),
            Atsukai::Reigai(Riyu::JisGai(vec![0xFB, 0xFC]))
        );
        assert_eq!(
            atsukai('\u{FA11}'),
            Atsukai::Reigai(Riyu::JisGai(vec![0xFA, 0xB1]))
        );
        assert_eq!(
            atsukai('\u{2460}'),
            Atsukai::Reigai(Riyu::JisGai(vec![0x87, 0x40]))
        );
        assert_eq!(atsukai('\u{20BB7}'), Atsukai::Reigai(Riyu::Fukanou));
        assert_eq!(atsukai('\u{E000}'), Atsukai::Reigai(Riyu::Fukanou));
        assert_eq!(atsukai('\r'), Atsukai::Reigai(Riyu::Seigyo));
        assert!(carried('亜') && carried('熙') && carried('ｶ') && carried('ﾞ') && carried('　'));
    }

    #[test]
    fn padding_and_overflow() {
        let e = encode_moji("ｱ山", 8).unwrap();
        assert_eq!(e.bytes, [0xB1, 0x8E, 0x52, 0x81, 0x40, 0x81, 0x40, b' ']);
        assert_eq!(decode_moji(&e.bytes).unwrap(), "ｱ山");

        // Six 全角 characters in 10 bytes: four fit with the marker.
        let e = encode_moji("一二三四五六", 10).unwrap();
        assert_eq!(decode_moji(&e.bytes).unwrap(), "一二三四〓");
        assert_eq!(
            e.reigai,
            [MojiReigai {
                position: 5,
                shubetsu: ReigaiShubetsu::KetaAfure,
                moji: '五'
            }]
        );
        assert_eq!(
            encode_moji("山田　", 10).err(),
            Some(Problem::TrailingBlank)
        );
    }

    #[test]
    fn reading_refuses_bad_bytes_and_extensions() {
        assert!(matches!(
            decode_moji(&[0x82, 0x20]),
            Err(Problem::BadBytes { .. })
        ));
        assert!(matches!(
            decode_moji(&[0x82]),
            Err(Problem::BadBytes { .. })
        ));
        assert!(matches!(
            decode_moji(&[0xA0]),
            Err(Problem::BadBytes { .. })
        ));
        // 0xED40 (NEC-selected IBM extension) reads as 纊, which renkei does not use.
        assert!(matches!(
            decode_moji(&[0xED, 0x40]),
            Err(Problem::NotInRepertoire { ch: '\u{7E8A}', .. })
        ));
        assert!(matches!(
            decode_moji(&[0x80]),
            Err(Problem::NotInRepertoire { .. })
        ));
    }
}
