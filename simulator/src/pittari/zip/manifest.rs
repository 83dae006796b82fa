//! 構成管理情報 (`kousei_kanri.xml`): what the 申請ZIP holds.
//!
//! The older government standard for 申請データ puts a 構成管理情報 beside the 申請書, the
//! 添付書類 and the 署名情報; renkei's carries the 申請's identity (受付番号, 団体, 手続, 申請日時)
//! and every other file of the ZIP with its 種別, size and SHA-256. It is not signed: it guards
//! against damage in transfer and storage, and tells a reader exactly what to expect, while the
//! signature on the 申請書 guards against alteration (`docs/shinsei-zip.md`).

use renkei_fixtures::ids::{DantaiCode, UketsukeBango};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::xml::{self, Walker, XmlWriter};
use super::{SHINSEISHO_PDF, SHINSEISHO_XML, SHOMEI_KENSHO_KEKKA, TENPU_DIR};

/// The document element.
pub const ROOT: &str = "構成管理情報";

/// The 構成管理情報 of one 申請ZIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KouseiKanri {
    /// 受付番号.
    pub uketsuke_bango: UketsukeBango,
    /// 団体コード of the 団体 the 申請 is addressed to.
    pub dantai_code: DantaiCode,
    /// 手続: which procedure, so that a 申請 can be sorted to its 業務システム (ING-18) before its
    /// 申請書 is parsed.
    pub tetsuzuki: Tetsuzuki,
    /// 申請日時, to the second, JST.
    pub shinsei_nichiji: OffsetDateTime,
    /// Every file of the ZIP except this one, in ZIP order.
    pub files: Vec<FileRecord>,
}

/// 手続: the procedure of a 申請, as the catalog names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tetsuzuki {
    /// renkei's procedure id (`kosodate-01`).
    pub id: String,
    /// 手続名 (seed 001 §2.1 b)).
    pub name: String,
    /// カテゴリ: 子育て / 介護 / 被災者支援 (the 連携・振分サーバ searches by it, seed 000 §4).
    pub category: String,
}

/// The elements 構成管理情報 and 申請書 both open with: 受付番号, 団体コード, 手続, 申請日時.
/// Written and read in one place, so the two files cannot drift apart.
pub(super) struct Midashi {
    pub uketsuke_bango: UketsukeBango,
    pub dantai_code: DantaiCode,
    pub tetsuzuki: Tetsuzuki,
    pub shinsei_nichiji: OffsetDateTime,
}

impl Midashi {
    /// Writes the four elements.
    pub(super) fn write(
        w: &mut XmlWriter,
        uketsuke_bango: &UketsukeBango,
        dantai_code: &DantaiCode,
        tetsuzuki: &Tetsuzuki,
        shinsei_nichiji: OffsetDateTime,
    ) {
        w.leaf("受付番号", uketsuke_bango.as_str());
        w.leaf("団体コード", dantai_code.as_str());
        w.open("手続");
        w.leaf("手続ID", &tetsuzuki.id);
        w.leaf("手続名", &tetsuzuki.name);
        w.leaf("カテゴリ", &tetsuzuki.category);
        w.close("手続");
        w.leaf("申請日時", &xml::format_nichiji(shinsei_nichiji));
    }

    /// Reads the four elements' values (their presence and the 手続 children are checked by the
    /// caller first, with the rest of the document's structure).
    pub(super) fn read(doc: &Walker<'_>) -> Result<Self, String> {
        let tetsuzuki = doc.child("手続")?;
        Ok(Self {
            uketsuke_bango: doc
                .parsed("受付番号", "15桁の受付番号", |t| t.parse().ok())?,
            dantai_code: doc.parsed("団体コード", "6桁の団体コード", |t| {
                t.parse().ok()
            })?,
            tetsuzuki: Tetsuzuki {
                id: tetsuzuki.text("手続ID")?,
                name: tetsuzuki.text("手続名")?,
                category: tetsuzuki.text("カテゴリ")?,
            },
            shinsei_nichiji: doc.parsed(
                "申請日時",
                "日時 (YYYY-MM-DDThh:mm:ss+09:00)",
                xml::parse_nichiji,
            )?,
        })
    }
}

/// 種別: what a file of the ZIP is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shubetsu {
    /// 申請書: `shinseisho.xml`.
    Shinseisho,
    /// 申請書PDF: `shinseisho.pdf`.
    ShinseishoPdf,
    /// 電子署名検証結果: `shomei_kensho_kekka.xml`.
    KenshoKekka,
    /// 添付書類: `tenpu/…`.
    Tenpu,
}

impl Shubetsu {
    /// Every 種別, in ZIP order.
    pub const ALL: [Shubetsu; 4] = [
        Self::Shinseisho,
        Self::ShinseishoPdf,
        Self::KenshoKekka,
        Self::Tenpu,
    ];

    /// The word written in `<種別>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shinseisho => "申請書",
            Self::ShinseishoPdf => "申請書PDF",
            Self::KenshoKekka => "電子署名検証結果",
            Self::Tenpu => "添付書類",
        }
    }

    /// The 種別 written as `word`.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Where files of this 種別 are, as a rule for messages.
    pub fn path_rule(self) -> &'static str {
        match self {
            Self::Shinseisho => "shinseisho.xml だけです",
            Self::ShinseishoPdf => "shinseisho.pdf だけです",
            Self::KenshoKekka => "shomei_kensho_kekka.xml だけです",
            Self::Tenpu => "tenpu/ の下のファイルです",
        }
    }

    /// Whether a file at `path` may have this 種別.
    pub fn fits(self, path: &str) -> bool {
        match self {
            Self::Shinseisho => path == SHINSEISHO_XML,
            Self::ShinseishoPdf => path == SHINSEISHO_PDF,
            Self::KenshoKekka => path == SHOMEI_KENSHO_KEKKA,
            Self::Tenpu => path
                .strip_prefix(TENPU_DIR)
                .is_some_and(|name| !name.is_empty() && !name.contains('/')),
        }
    }
}

impl std::fmt::Display for Shubetsu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One file of the ZIP as the 構成管理情報 lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// The entry name in the ZIP (`shinseisho.xml`, `tenpu/本人確認書類（写し）.pdf`).
    pub path: String,
    /// What the file is.
    pub shubetsu: Shubetsu,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes (uncompressed).
    pub size: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
}

impl FileRecord {
    /// The record of `bytes` stored at `path`.
    pub fn of(
        path: impl Into<String>,
        shubetsu: Shubetsu,
        media_type: impl Into<String>,
        bytes: &[u8],
    ) -> Self {
        Self {
            path: path.into(),
            shubetsu,
            media_type: media_type.into(),
            size: bytes.len() as u64,
            sha256: Sha256::digest(bytes).into(),
        }
    }

    /// The SHA-256 as written in the file: 64 lowercase hex digits.
    pub fn sha256_hex(&self) -> String {
        xml::hex(&self.sha256)
    }
}

impl KouseiKanri {
    /// The record of the file at `path`.
    pub fn file(&self, path: &str) -> Option<&FileRecord> {
        self.files.iter().find(|f| f.path == path)
    }

    /// `kousei_kanri.xml`.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new(ROOT);
        Midashi::write(
            &mut w,
            &self.uketsuke_bango,
            &self.dantai_code,
            &self.tetsuzuki,
            self.shinsei_nichiji,
        );
        w.leaf("合成データ", "true");
        w.open("ファイル一覧");
        for file in &self.files {
            w.open("ファイル");
            w.leaf("パス", &file.path);
            w.leaf("種別", file.shubetsu.as_str());
            w.leaf("メディアタイプ", &file.media_type);
            w.leaf("サイズ", &file.size.to_string());
            w.leaf("SHA256", &file.sha256_hex());
            w.close("ファイル");
        }
        w.close("ファイル一覧");
        w.finish(ROOT)
    }

    /// Reads `kousei_kanri.xml`; the message names the element path.
    pub fn from_xml(text: &str) -> Result<Self, String> {
        let root = xml::parse(text)?;
        let doc = Walker::root(&root, ROOT)?;
        doc.expect_children(&[
            "受付番号",
            "団体コード",
            "手続",
            "申請日時",
            "合成データ",
            "ファイル一覧",
        ])?;
        let tetsuzuki = doc.child("手続")?;
        tetsuzuki.expect_children(&["手続ID", "手続名", "カテゴリ"])?;
        if doc.text("合成データ")? != "true" {
            return Err(format!("{ROOT}/合成データ: renkei の申請ZIPでは true です"));
        }
        let list = doc.child("ファイル一覧")?;
        list.expect_children(&["ファイル*"])?;
        let mut files = Vec::new();
        for file in list.children("ファイル") {
            file.expect_children(&["パス", "種別", "メディアタイプ", "サイズ", "SHA256"])?;
            files.push(FileRecord {
                path: file.text("パス")?,
                shubetsu: file.parsed(
                    "種別",
                    "種別 (申請書 / 申請書PDF / 電子署名検証結果 / 添付書類)",
                    Shubetsu::parse,
                )?,
                media_type: file.text("メディアタイプ")?,
                size: file.parsed("サイズ", "バイト数", parse_size)?,
                sha256: file.parsed("SHA256", "64桁の小文字16進数", parse_sha256)?,
            });
        }
        let midashi = Midashi::read(&doc)?;
        Ok(Self {
            uketsuke_bango: midashi.uketsuke_bango,
            dantai_code: midashi.dantai_code,
            tetsuzuki: midashi.tetsuzuki,
            shinsei_nichiji: midashi.shinsei_nichiji,
            files,
        })
    }
}

/// A size: decimal digits without sign or leading zeros.
pub(crate) fn parse_size(text: &str) -> Option<u64> {
    let canonical =
        text == "0" || (!text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit()));
    canonical.then(|| text.parse().ok()).flatten()
}

/// 64 lowercase hex digits.
pub(crate) fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sample() -> KouseiKanri {
        KouseiKanri {
            uketsuke_bango: "170401000000001".parse().unwrap(),
            dantai_code: "131016".parse().unwrap(),
            tetsuzuki: Tetsuzuki {
                id: "kosodate-15".into(),
                name: "妊娠の届出".into(),
                category: "子育て".into(),
            },
            shinsei_nichiji: datetime!(2025-06-01 10:15:30 +9),
            files: vec![
                FileRecord::of(
                    SHINSEISHO_XML,
                    Shubetsu::Shinseisho,
                    "application/xml",
                    b"<a/>",
                ),
                FileRecord::of(
                    "tenpu/母子手帳（写し）.pdf",
                    Shubetsu::Tenpu,
                    "application/pdf",
                    b"%PDF",
                ),
            ],
        }
    }

    #[test]
    fn the_manifest_reads_back_as_written() {
        let manifest = sample();
        let text = manifest.to_xml();
        assert!(text.contains("<SHA256>"));
        assert_eq!(KouseiKanri::from_xml(&text).unwrap(), manifest);
    }

    #[test]
    fn a_bad_value_is_named_by_its_path() {
        let text = sample()
            .to_xml()
            .replacen("<サイズ>4</サイズ>", "<サイズ>04</サイズ>", 1);
        let error = KouseiKanri::from_xml(&text).unwrap_err();
        assert!(
            error.contains("ファイル一覧/ファイル[1]/サイズ") && error.contains("04"),
            "{error}"
        );
        let text = sample()
            .to_xml()
            .replacen("<種別>添付書類</種別>", "<種別>写真</種別>", 1);
        assert!(
            KouseiKanri::from_xml(&text)
                .unwrap_err()
                .contains("ファイル[2]/種別")
        );
    }

    #[test]
    fn kinds_fit_their_paths() {
        assert!(Shubetsu::Tenpu.fits("tenpu/本人確認書類（写し）.pdf"));
        assert!(!Shubetsu::Tenpu.fits("tenpu/"));
        assert!(!Shubetsu::Tenpu.fits("tenpu/a/b.pdf"));
        assert!(!Shubetsu::Tenpu.fits("shinseisho.xml"));
        assert!(Shubetsu::Shinseisho.fits("shinseisho.xml"));
        assert!(!Shubetsu::Shinseisho.fits("tenpu/shinseisho.xml"));
        assert_eq!(parse_sha256(&"Ab".repeat(32)), None);
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("-1"), None);
    }
}
