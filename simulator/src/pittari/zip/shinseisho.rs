//! 申請書 (`shinseisho.xml`): the filled preset form, as the applicant signed it.
//!
//! Modelled on the public client code of the private-side 申請API (申請情報 with FormItems and
//! their Value): one `申請項目` per field of the preset form, in form order, with the field's id,
//! label, type, whether it is required, and the value exactly as typed. The 添付書類 are listed
//! with their SHA-256, so the signature covers them too: an attachment swapped after signing no
//! longer matches the signed list. The signature is the last child of the document element
//! (`docs/jpki.md`).

use renkei_fixtures::ids::{DantaiCode, UketsukeBango};
use time::OffsetDateTime;

use super::manifest::{Midashi, Tetsuzuki, parse_sha256, parse_size};
use super::xml::{self, Walker, XmlWriter};

/// The document element.
pub const ROOT: &str = "申請書";

/// The 申請書 of one 申請.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shinseisho {
    /// 受付番号.
    pub uketsuke_bango: UketsukeBango,
    /// 団体コード.
    pub dantai_code: DantaiCode,
    /// 手続.
    pub tetsuzuki: Tetsuzuki,
    /// 申請日時, to the second, JST.
    pub shinsei_nichiji: OffsetDateTime,
    /// 申請項目: every field of the preset form, in form order.
    pub komoku: Vec<ShinseiKomoku>,
    /// 添付書類 as the applicant attached them, in order.
    pub tenpu: Vec<TenpuKisai>,
}

/// One 申請項目: a field of the preset form and the value typed into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShinseiKomoku {
    /// 項目ID: the field's id in the catalog (`seikyusha_shimei`).
    pub id: String,
    /// 項目名: the label the applicant saw (請求者氏名).
    pub label: String,
    /// 型: the field type's name in the catalog (`text`, `kana`, `date`, …).
    pub kata: String,
    /// 必須: whether the form required a value.
    pub hissu: bool,
    /// 値: exactly as typed; empty for an optional field left empty.
    pub value: String,
}

/// One 添付書類 as the 申請書 lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenpuKisai {
    /// ファイル名: the name as attached; the entry is `tenpu/{name}`.
    pub name: String,
    /// メディアタイプ.
    pub media_type: String,
    /// サイズ in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: [u8; 32],
}

impl Shinseisho {
    /// The value of the field `id`, if the form has it.
    pub fn value(&self, id: &str) -> Option<&str> {
        self.komoku
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.value.as_str())
    }

    /// 申請者氏名カナ, the key the 連携・振分サーバ searches by (seed 000 §4, ING-19): the value of
    /// the first `kana` field; every preset form asks the applicant's カナ before any other.
    pub fn shimei_kana(&self) -> Option<&str> {
        self.komoku
            .iter()
            .find(|k| k.kata == "kana")
            .map(|k| k.value.as_str())
    }

    /// `shinseisho.xml` before signing.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new(ROOT);
        Midashi::write(
            &mut w,
            &self.uketsuke_bango,
            &self.dantai_code,
            &self.tetsuzuki,
            self.shinsei_nichiji,
        );
        w.open("申請項目一覧");
        for item in &self.komoku {
            w.open("申請項目");
            w.leaf("項目ID", &item.id);
            w.leaf("項目名", &item.label);
            w.leaf("型", &item.kata);
            w.leaf("必須", if item.hissu { "true" } else { "false" });
            w.leaf("値", &item.value);
            w.close("申請項目");
        }
        w.close("申請項目一覧");
        w.open("添付書類一覧");
        for tenpu in &self.tenpu {
            w.open("添付書類");
            w.leaf("ファイル名", &tenpu.name);
            w.leaf("メディアタイプ", &tenpu.media_type);
            w.leaf("サイズ", &tenpu.size.to_string());
            w.leaf("SHA256", &xml::hex(&tenpu.sha256));
            w.close("添付書類");
        }
        w.close("添付書類一覧");
        w.finish(ROOT)
    }

    /// Reads `shinseisho.xml` (signed or not: the `ds:Signature` is skipped; judging it is
    /// [`crate::jpki::verify`]'s work). The message names the element path.
    pub fn from_xml(text: &str) -> Result<Self, String> {
        let root = xml::parse(text)?;
        let doc = Walker::root(&root, ROOT)?;
        doc.expect_children(&[
            "受付番号",
            "団体コード",
            "手続",
            "申請日時",
            "申請項目一覧",
            "添付書類一覧",
        ])?;
        let tetsuzuki = doc.child("手続")?;
        tetsuzuki.expect_children(&["手続ID", "手続名", "カテゴリ"])?;
        let items = doc.child("申請項目一覧")?;
        items.expect_children(&["申請項目*"])?;
        let mut komoku = Vec::new();
        for item in items.children("申請項目") {
            item.expect_children(&["項目ID", "項目名", "型", "必須", "値"])?;
            komoku.push(ShinseiKomoku {
                id: item.text("項目ID")?,
                label: item.text("項目名")?,
                kata: item.text("型")?,
                hissu: item.parsed("必須", "true / false", |t| match t {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                })?,
                value: item.text("値")?,
            });
        }
        let attachments = doc.child("添付書類一覧")?;
        attachments.expect_children(&["添付書類*"])?;
        let mut tenpu = Vec::new();
        for attachment in attachments.children("添付書類") {
            attachment.expect_children(&["ファイル名", "メディアタイプ", "サイズ", "SHA256"])?;
            tenpu.push(TenpuKisai {
                name: attachment.text("ファイル名")?,
                media_type: attachment.text("メディアタイプ")?,
                size: attachment.parsed("サイズ", "バイト数", parse_size)?,
                sha256: attachment.parsed("SHA256", "64桁の小文字16進数", parse_sha256)?,
            });
        }
        let midashi = Midashi::read(&doc)?;
        Ok(Self {
            uketsuke_bango: midashi.uketsuke_bango,
            dantai_code: midashi.dantai_code,
            tetsuzuki: midashi.tetsuzuki,
            shinsei_nichiji: midashi.shinsei_nichiji,
            komoku,
            tenpu,
        })
    }
}

/// One value altered in a signed `shinseisho.xml`, as someone altering a 申請 after it was signed
/// would: the first `number` field with a value gets its last digit changed (an amount, an account
/// number), else the first filled `text` field gets its first character changed (a name).
/// Returns the altered document and the field id.
pub(crate) fn tamper(signed: &str, shinseisho: &Shinseisho) -> Result<(String, String), String> {
    let number = shinseisho
        .komoku
        .iter()
        .find(|k| k.kata == "number" && k.value.ends_with(|c: char| c.is_ascii_digit()));
    let text = || {
        shinseisho
            .komoku
            .iter()
            .find(|k| k.kata == "text" && !k.value.is_empty())
    };
    let (item, altered) = match number {
        Some(item) => (item, change_last_digit(&item.value)),
        None => {
            let item =
                text().ok_or_else(|| "値のある number / text の項目がありません".to_owned())?;
            (item, change_first_character(&item.value))
        }
    };
    let id_at = signed
        .find(&xml::leaf("項目ID", &item.id))
        .ok_or_else(|| format!("項目 {} が申請書にありません", item.id))?;
    let original = xml::leaf("値", &item.value);
    let value_at = signed[id_at..]
        .find(&original)
        .map(|offset| id_at + offset)
        .ok_or_else(|| format!("項目 {} の値が申請書にありません", item.id))?;
    let mut out = String::with_capacity(signed.len() + 8);
    out.push_str(&signed[..value_at]);
    out.push_str(&xml::leaf("値", &altered));
    out.push_str(&signed[value_at + original.len()..]);
    Ok((out, item.id.clone()))
}

/// `123` → `124`, `129` → `120`.
fn change_last_digit(value: &str) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    if let Some(last) = chars.last_mut()
        && let Some(d) = last.to_digit(10)
    {
        *last = char::from_digit((d + 1) % 10, 10).unwrap_or('0');
    }
    chars.into_iter().collect()
}

/// The first character swapped for its common variant (髙 → 高, 﨑 → 崎, 𠮷 → 吉 and back), or
/// for 田 (山 when it already is 田).
fn change_first_character(value: &str) -> String {
    const VARIANTS: [(char, char); 6] = [
        ('髙', '高'),
        ('﨑', '崎'),
        ('𠮷', '吉'),
        ('邉', '辺'),
        ('齋', '斎'),
        ('濵', '浜'),
    ];
    let mut chars = value.chars();
    let Some(first) = chars.next() else {
        return "田".to_owned();
    };
    let swapped = VARIANTS
        .iter()
        .find_map(|&(a, b)| match first {
            c if c == a => Some(b),
            c if c == b => Some(a),
            _ => None,
        })
        .unwrap_or(if first == '田' { '山' } else { '田' });
    std::iter::once(swapped).chain(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sample(kata_of_second: &str, value_of_second: &str) -> Shinseisho {
        Shinseisho {
            uketsuke_bango: "170401000000001".parse().unwrap(),
            dantai_code: "131016".parse().unwrap(),
            tetsuzuki: Tetsuzuki {
                id: "kosodate-01".into(),
                name: "児童手当の認定請求".into(),
                category: "子育て".into(),
            },
            shinsei_nichiji: datetime!(2025-06-01 10:15:30 +9),
            komoku: vec![
                ShinseiKomoku {
                    id: "shimei".into(),
                    label: "氏名".into(),
                    kata: "text".into(),
                    hissu: true,
                    value: "髙﨑\u{3000}𠮷\u{E000} <&>".into(),
                },
                ShinseiKomoku {
                    id: "second".into(),
                    label: "二番目".into(),
                    kata: kata_of_second.into(),
                    hissu: false,
                    value: value_of_second.into(),
                },
            ],
            tenpu: vec![TenpuKisai {
                name: "本人確認書類（写し）.pdf".into(),
                media_type: "application/pdf".into(),
                size: 3,
                sha256: [7; 32],
            }],
        }
    }

    #[test]
    fn the_form_reads_back_as_written() {
        let doc = sample("kana", "ﾖｼﾀﾞ");
        let xml = doc.to_xml();
        assert_eq!(Shinseisho::from_xml(&xml).unwrap(), doc);
        assert_eq!(doc.shimei_kana(), Some("ﾖｼﾀﾞ"));
        assert_eq!(doc.value("shimei"), Some("髙﨑\u{3000}𠮷\u{E000} <&>"));
    }

    #[test]
    fn tampering_changes_a_number_first_then_a_name() {
        let doc = sample("number", "1234569");
        let (tampered, field) = tamper(&doc.to_xml(), &doc).unwrap();
        assert_eq!(field, "second");
        assert_eq!(
            Shinseisho::from_xml(&tampered).unwrap().value("second"),
            Some("1234560")
        );

        let doc = sample("number", "");
        let (tampered, field) = tamper(&doc.to_xml(), &doc).unwrap();
        assert_eq!(field, "shimei");
        let read = Shinseisho::from_xml(&tampered).unwrap();
        assert_eq!(read.value("shimei"), Some("高﨑\u{3000}𠮷\u{E000} <&>"));
        assert_eq!(read.value("second"), Some(""));
    }

    #[test]
    fn first_characters_swap_for_their_variants() {
        assert_eq!(change_first_character("𠮷田"), "吉田");
        assert_eq!(change_first_character("高橋"), "髙橋");
        assert_eq!(change_first_character("田中"), "山中");
        assert_eq!(change_first_character("佐藤"), "田藤");
        assert_eq!(change_last_digit("0009"), "0000");
    }
}
