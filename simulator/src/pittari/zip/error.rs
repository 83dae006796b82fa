//! What can go wrong making or opening a 申請ZIP, said so that a vendor engineer can act on it.
//!
//! Every error names the file (or entry, or form field) and the rule, and points at the section
//! of `docs/shinsei-zip.md` that defines the rule. A [`ZipReadError`] is what a 申請管理システム
//! reports as 障害発生 for one 申請 before going on with the others (ING-09).

use crate::jpki::JpkiError;

/// The section of the docs that defines safe reading.
const DOC_READ: &str = "docs/shinsei-zip.md「安全な展開」";
/// The section that defines the 構成管理情報.
const DOC_MANIFEST: &str = "docs/shinsei-zip.md「kousei_kanri.xml」";

/// A 申請 that cannot become a 申請ZIP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipBuildError {
    /// A value for a field the preset form does not have.
    #[error("手続 {tetsuzuki} の様式に項目 {field} はありません")]
    UnknownField {
        /// The procedure id.
        tetsuzuki: String,
        /// The field id given.
        field: String,
    },
    /// The same field given twice.
    #[error("手続 {tetsuzuki} の項目 {field} に値が2回与えられています")]
    DuplicateField {
        /// The procedure id.
        tetsuzuki: String,
        /// The field id.
        field: String,
    },
    /// A required (必須) field left empty or blank.
    #[error("手続 {tetsuzuki} の必須項目 {field} ({label}) に値がありません")]
    MissingRequired {
        /// The procedure id.
        tetsuzuki: String,
        /// The field id.
        field: String,
        /// The field's label, as the applicant saw it.
        label: String,
    },
    /// Text with a character XML 1.0 cannot carry (a C0 control other than tab, LF, CR; U+FFFE;
    /// U+FFFF).
    #[error("{item} の{position}文字目に XML で表せない文字 U+{:04X} があります", u32::from(*character))]
    BadCharacter {
        /// What the text is: a form field, a 基本4情報 item.
        item: String,
        /// Position of the character, counted in characters from 0.
        position: usize,
        /// The character.
        character: char,
    },
    /// An attachment name that is not a safe, portable file name.
    #[error("添付書類名「{name}」は使えません: {reason} (docs/shinsei-zip.md「tenpu/」)")]
    AttachmentName {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// Two attachments with the same name.
    #[error("添付書類名「{name}」が2つあります")]
    DuplicateAttachment {
        /// The name.
        name: String,
    },
    /// A media type that is not `type/subtype` in ASCII.
    #[error("添付書類「{name}」のメディアタイプ「{media_type}」は type/subtype の形ではありません")]
    MediaType {
        /// The attachment.
        name: String,
        /// The media type given.
        media_type: String,
    },
    /// A ZIP that [`super::read()`] would refuse with its default limits.
    #[error("{what} が{size}バイトで、上限{max}バイトを超えます ({DOC_READ})")]
    TooLarge {
        /// The attachment or the whole ZIP.
        what: String,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// More attachments than [`super::read()`] accepts.
    #[error("添付書類が{count}個あり、上限{max}個を超えます ({DOC_READ})")]
    TooManyAttachments {
        /// Attachments given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A 申請日時 a ZIP time stamp cannot hold (1980–2107).
    #[error("申請日時 {nichiji} は ZIP の時刻 (1980〜2107年) で表せません")]
    NichijiOutOfRange {
        /// The 申請日時, as given.
        nichiji: String,
    },
    /// [`super::ZipVariant::TamperedAfterSigning`] without something to tamper with.
    #[error("署名後の改ざんを作れません: {0}")]
    NothingToTamper(String),
    /// The signature could not be made.
    #[error(transparent)]
    Sign(#[from] JpkiError),
    /// The ZIP writer failed (in memory, so this is a bug, reported rather than panicking).
    #[error("ZIP を書けません: {0}")]
    Zip(String),
}

/// A 申請ZIP that [`super::read()`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipReadError {
    /// Not a ZIP at all: no local file header at the start and no end record.
    #[error(
        "ZIP ではありません ({len}バイト、先頭が PK\\x03\\x04 でなく終端レコードもありません) ({DOC_READ})"
    )]
    NotZip {
        /// Bytes received.
        len: usize,
    },
    /// The ZIP is cut short: its end record (EOCD) or part of what it points to is missing.
    #[error("ZIP が途中で切れています ({len}バイト): {detail} ({DOC_READ})")]
    Truncated {
        /// Bytes received.
        len: usize,
        /// What is missing.
        detail: String,
    },
    /// The ZIP's structure is damaged: a header signature, an offset, a checksum.
    #[error("ZIP が壊れています{}: {detail} ({DOC_READ})", entry.as_ref().map(|e| format!(" (エントリ {e})")).unwrap_or_default())]
    Corrupt {
        /// The entry, when the damage is in one.
        entry: Option<String>,
        /// What the reader found.
        detail: String,
    },
    /// A ZIP feature the 申請ZIP never uses: ZIP64, multiple disks, encryption, a compression
    /// method other than stored and deflate.
    #[error("申請ZIPでは使わない形式です{}: {what} ({DOC_READ})", entry.as_ref().map(|e| format!(" (エントリ {e})")).unwrap_or_default())]
    Unsupported {
        /// The entry, when the feature is in one.
        entry: Option<String>,
        /// The feature.
        what: String,
    },
    /// More entries than the limit.
    #[error("エントリが{count}個あり、上限{max}個を超えます ({DOC_READ})")]
    TooManyEntries {
        /// Entries the ZIP declares.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// An entry larger than the per-entry limit, declared or found while inflating (zip bomb).
    #[error(
        "エントリ {entry} の展開後サイズが{size}バイトで、上限{max}バイトを超えます (zip bomb の疑い) ({DOC_READ})"
    )]
    EntryTooLarge {
        /// The entry.
        entry: String,
        /// Its declared size, or the bytes inflated when the limit was hit.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The entries together larger than the total limit.
    #[error(
        "エントリ {entry} までの展開後サイズの合計が{total}バイトで、上限{max}バイトを超えます (zip bomb の疑い) ({DOC_READ})"
    )]
    TotalTooLarge {
        /// The entry at which the total went over.
        entry: String,
        /// The total so far.
        total: u64,
        /// The limit.
        max: u64,
    },
    /// An entry inflating to another size than its header declares.
    #[error(
        "エントリ {entry} の展開後サイズが{actual}バイトで、ヘッダの{declared}バイトと違います ({DOC_READ})"
    )]
    SizeMismatch {
        /// The entry.
        entry: String,
        /// What the central directory says.
        declared: u64,
        /// What inflating gave (at most the declared size plus one).
        actual: u64,
    },
    /// An entry whose path is unsafe to extract (climbs out, absolute, …).
    #[error("エントリ {entry} のパスは展開できません: {reason} ({DOC_READ})")]
    UnsafePath {
        /// The entry name as the ZIP gives it.
        entry: String,
        /// Why.
        reason: String,
    },
    /// An entry name that is not UTF-8.
    #[error("エントリ名が UTF-8 ではありません (バイト列 {hex}) ({DOC_READ})")]
    NameNotUtf8 {
        /// The raw name in hex.
        hex: String,
    },
    /// Two entries with the same name.
    #[error("エントリ {entry} が2つあります ({DOC_READ})")]
    DuplicateEntry {
        /// The name.
        entry: String,
    },
    /// A file and the 構成管理情報 disagree, or the 構成管理情報 is missing.
    #[error("{file}: {problem} ({DOC_MANIFEST})")]
    Manifest {
        /// The file.
        file: String,
        /// How it disagrees.
        problem: ManifestProblem,
    },
    /// An XML file that is not well-formed or not in the layout.
    #[error(
        "{file} が申請ZIPの様式に合いません: {detail} (docs/shinsei-zip.md「{file}」, docs/xsd/shinsei-zip/)"
    )]
    Xml {
        /// The file.
        file: String,
        /// What is wrong, with the element path.
        detail: String,
    },
    /// Two files of the ZIP disagree on a fact they both carry (受付番号, 団体コード, 手続).
    #[error(
        "{file} の{item}「{found}」が kousei_kanri.xml の「{expected}」と違います ({DOC_MANIFEST})"
    )]
    Inconsistent {
        /// The file that disagrees with the 構成管理情報.
        file: String,
        /// The item.
        item: String,
        /// What the 構成管理情報 says.
        expected: String,
        /// What the file says.
        found: String,
    },
}

impl ZipReadError {
    /// The file or entry the error names, when it names one.
    pub fn entry(&self) -> Option<&str> {
        match self {
            Self::Corrupt { entry, .. } | Self::Unsupported { entry, .. } => entry.as_deref(),
            Self::EntryTooLarge { entry, .. }
            | Self::TotalTooLarge { entry, .. }
            | Self::SizeMismatch { entry, .. }
            | Self::UnsafePath { entry, .. }
            | Self::DuplicateEntry { entry } => Some(entry),
            Self::Manifest { file, .. }
            | Self::Xml { file, .. }
            | Self::Inconsistent { file, .. } => Some(file),
            Self::NotZip { .. }
            | Self::Truncated { .. }
            | Self::TooManyEntries { .. }
            | Self::NameNotUtf8 { .. } => None,
        }
    }
}

/// How a file and the 構成管理情報 disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestProblem {
    /// The ZIP has no `kousei_kanri.xml`.
    #[error("構成管理情報がありません")]
    NoManifest,
    /// Listed in the 構成管理情報 but not in the ZIP.
    #[error("構成管理情報に記載されていますが ZIP にありません")]
    Missing,
    /// In the ZIP but not listed.
    #[error("ZIP にありますが構成管理情報に記載がありません")]
    NotListed,
    /// Listed twice.
    #[error("構成管理情報に2回記載されています")]
    ListedTwice,
    /// A required file (申請書, its PDF, the 検証結果) is not listed with its 種別.
    #[error("構成管理情報に種別「{0}」のファイルがありません")]
    KindMissing(&'static str),
    /// A file listed with a 種別 that does not fit its path.
    #[error("種別「{kind}」はこのパスに使えません ({rule})")]
    WrongKind {
        /// The 種別 listed.
        kind: &'static str,
        /// Where files of that 種別 belong.
        rule: &'static str,
    },
    /// The size differs.
    #[error("サイズが{actual}バイトで、構成管理情報の{listed}バイトと違います")]
    Size {
        /// What the 構成管理情報 says.
        listed: u64,
        /// The entry's size.
        actual: u64,
    },
    /// The SHA-256 differs.
    #[error("SHA-256 が {actual} で、構成管理情報の {listed} と違います")]
    Sha256 {
        /// What the 構成管理情報 says.
        listed: String,
        /// The entry's digest.
        actual: String,
    },
}
