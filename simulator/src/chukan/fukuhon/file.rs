//! The 副本登録・削除ファイル: what it holds, as written, and how to write one.
//!
//! ```text
//! SPIRegistrationDeleteList 版="1"
//!   ヘッダ: ファイルID (FI_DBM_0001), 団体コード, 作成日時
//!   レコード*: レコード識別番号, 処理区分, 団体内統合宛名番号, 特定個人情報名コード,
//!              データセット識別項目コード, データセットレコードキー, メジャーバージョン,
//!              公開日?, 公開終了日?, 副本?
//!     副本: 項目* (属性 名, NULL理由?; 文字 = 値)
//! ```
//!
//! The root name is the real attachment's (DOMAIN.md); everything inside is renkei's, because
//! the real layout is not public (`docs/chukan-fukuhon-file.md`). A record is kept here as text,
//! exactly as written ([`RawRecord`]): whether a value is right is for
//! [`super::validate`] to say, so that a wrong value costs one record, not the file.

use std::fmt;
use std::io::{self, Write};

use renkei_fixtures::ids::DantaiCode;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The document element: the name of the real attachment (DOMAIN.md).
pub const ROOT: &str = "SPIRegistrationDeleteList";
/// The value of the root's `版` attribute: the version of renkei's file format.
pub const FORMAT_VERSION: &str = "1";
/// ファイルID of the 副本登録・削除ファイル. renkei-defined: real file IDs follow
/// `FI_{function}_{4 digits}` (seed 004 §6.5), but this one's number is not public.
pub const FILE_ID: &str = "FI_DBM_0001";

/// Element names, defined once: the reader, the writer and the docs test use these.
pub(crate) mod names {
    pub const HEADER: &str = "ヘッダ";
    pub const FILE_ID: &str = "ファイルID";
    pub const DANTAI_CODE: &str = "団体コード";
    pub const CREATED_AT: &str = "作成日時";
    pub const RECORD: &str = "レコード";
    pub const BODY: &str = "副本";
    pub const ITEM: &str = "項目";
    pub const ITEM_NAME: &str = "名";
    pub const NULL_REASON: &str = "NULL理由";
    pub const VERSION_ATTRIBUTE: &str = "版";
}

/// The file's header: which file, whose, written when. Checked when the file is opened (a file
/// whose header is wrong is not read at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// ファイルID; always [`FILE_ID`], kept so that a result can quote it.
    pub file_id: String,
    /// 団体コード of the 団体 whose 副本 these are. A type that is only built valid (check digit).
    pub dantai: DantaiCode,
    /// 作成日時 (RFC 3339, e.g. `2019-06-01T10:00:00+09:00`).
    pub created_at: OffsetDateTime,
}

/// 処理区分: what a record asks the 中間サーバー to do with the 副本 it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShoriKubun {
    /// 登録: a new 副本.
    Touroku,
    /// 更新: replaces the 副本 with the same key.
    Koushin,
    /// 削除: removes the 副本 with the same key; needs no body.
    Sakujo,
}

impl ShoriKubun {
    /// All three, in the order the docs list them.
    pub const ALL: [ShoriKubun; 3] = [Self::Touroku, Self::Koushin, Self::Sakujo];

    /// The word written in the file.
    pub fn word(self) -> &'static str {
        match self {
            Self::Touroku => "登録",
            Self::Koushin => "更新",
            Self::Sakujo => "削除",
        }
    }

    /// The 処理区分 written as `word`.
    pub fn from_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.word() == word)
    }
}

impl fmt::Display for ShoriKubun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// NULL理由: why an item has no value. The real codes are not public; these three are renkei's
/// (`docs/chukan-fukuhon-file.md`). A required item may be empty only with one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullReason {
    /// `1` 該当なし: the person has no such fact (e.g. no 所得割 for a 非課税 person).
    Gaitounashi,
    /// `2` 未確定: not decided yet (e.g. before the 賦課).
    Mikakutei,
    /// `3` 不明: the 正本 does not hold it.
    Fumei,
}

impl NullReason {
    /// All codes, in order.
    pub const ALL: [NullReason; 3] = [Self::Gaitounashi, Self::Mikakutei, Self::Fumei];

    /// The code written in the `NULL理由` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Self::Gaitounashi => "1",
            Self::Mikakutei => "2",
            Self::Fumei => "3",
        }
    }

    /// Japanese name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Gaitounashi => "該当なし",
            Self::Mikakutei => "未確定",
            Self::Fumei => "不明",
        }
    }

    /// The reason written as `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The leaf elements of a record, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordField {
    /// レコード識別番号: the sender's ID of the record, unique in the file.
    RecordId,
    /// 処理区分: 登録 / 更新 / 削除.
    ShoriKubun,
    /// 団体内統合宛名番号 of the person.
    TougouAtenaBango,
    /// 特定個人情報名コード (`TM…`).
    TokuteiKojinJohoMeiCode,
    /// データセット識別項目コード (the layout's dataset code).
    Dataset,
    /// データセットレコードキー: which record of the dataset (e.g. the 年度).
    RecordKey,
    /// The dataset's メジャーバージョン the 副本 is laid out in.
    MajorVersion,
    /// 公開日: from when the 副本 may be provided.
    KoukaiStart,
    /// 公開終了日: until when (none = open-ended).
    KoukaiEnd,
}

impl RecordField {
    /// All fields, in writing order.
    pub const ALL: [RecordField; 9] = [
        Self::RecordId,
        Self::ShoriKubun,
        Self::TougouAtenaBango,
        Self::TokuteiKojinJohoMeiCode,
        Self::Dataset,
        Self::RecordKey,
        Self::MajorVersion,
        Self::KoukaiStart,
        Self::KoukaiEnd,
    ];

    /// The element name.
    pub fn element(self) -> &'static str {
        match self {
            Self::RecordId => "レコード識別番号",
            Self::ShoriKubun => "処理区分",
            Self::TougouAtenaBango => "団体内統合宛名番号",
            Self::TokuteiKojinJohoMeiCode => "特定個人情報名コード",
            Self::Dataset => "データセット識別項目コード",
            Self::RecordKey => "データセットレコードキー",
            Self::MajorVersion => "メジャーバージョン",
            Self::KoukaiStart => "公開日",
            Self::KoukaiEnd => "公開終了日",
        }
    }

    /// The field whose element is called `name`.
    pub fn from_element(name: &str) -> Option<Self> {
        // A match rather than a search of `ALL`: the reader asks this for every leaf it reads.
        Some(match name {
            "レコード識別番号" => Self::RecordId,
            "処理区分" => Self::ShoriKubun,
            "団体内統合宛名番号" => Self::TougouAtenaBango,
            "特定個人情報名コード" => Self::TokuteiKojinJohoMeiCode,
            "データセット識別項目コード" => Self::Dataset,
            "データセットレコードキー" => Self::RecordKey,
            "メジャーバージョン" => Self::MajorVersion,
            "公開日" => Self::KoukaiStart,
            "公開終了日" => Self::KoukaiEnd,
            _ => return None,
        })
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One item of a 副本 as written: `<項目 名="…" NULL理由="…">値</項目>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawItem {
    /// The item's name in the layout (`名`).
    pub name: String,
    /// The text, exactly as written (empty for `<項目 名="…"/>`).
    pub value: String,
    /// The `NULL理由` attribute, if written.
    pub null_reason: Option<String>,
}

impl RawItem {
    /// An item with a value.
    pub fn value(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            null_reason: None,
        }
    }

    /// An empty item with a NULL理由.
    pub fn null(name: impl Into<String>, reason: NullReason) -> Self {
        Self {
            name: name.into(),
            value: String::new(),
            null_reason: Some(reason.code().to_owned()),
        }
    }
}

/// One record as written: every leaf as text (`None` = element absent), the body as items.
/// Built by the reader, checked by [`super::Validator`]; tests build them to write files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawRecord {
    /// Position in the file, from 1 (0 for a record not read from a file).
    pub number: u64,
    fields: [Option<String>; 9],
    /// The `副本` element's items; `None` when there is no `副本` element.
    pub body: Option<Vec<RawItem>>,
}

impl RawRecord {
    /// An empty record at position `number` (from 1) in its file.
    pub fn numbered(number: u64) -> Self {
        Self {
            number,
            ..Self::default()
        }
    }

    /// The text of `field`, if its element was written.
    pub fn get(&self, field: RecordField) -> Option<&str> {
        self.fields[field.index()].as_deref()
    }

    /// Sets the text of `field` (the element will be written).
    pub fn set(&mut self, field: RecordField, text: impl Into<String>) -> &mut Self {
        self.fields[field.index()] = Some(text.into());
        self
    }

    /// Removes `field` (the element will not be written).
    pub fn remove(&mut self, field: RecordField) -> &mut Self {
        self.fields[field.index()] = None;
        self
    }

    /// Whether `field` was written.
    pub(crate) fn has(&self, field: RecordField) -> bool {
        self.fields[field.index()].is_some()
    }

    /// Removes `field` and hands back its text, so that a reader can reuse the string.
    pub(crate) fn take(&mut self, field: RecordField) -> Option<String> {
        self.fields[field.index()].take()
    }
}

/// Writes a 副本登録・削除ファイル record by record to any `Write`, so that a file of any size
/// is written in constant memory. Text is escaped; nothing is checked (tests write wrong records
/// on purpose).
pub struct FukuhonFileWriter<W: Write> {
    out: W,
}

impl<W: Write> FukuhonFileWriter<W> {
    /// Writes the declaration, the root and the header.
    pub fn new(mut out: W, header: &FileHeader) -> io::Result<Self> {
        let created = header
            .created_at
            .format(&Rfc3339)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{ROOT} {}=\"{FORMAT_VERSION}\">\n  <{h}>\n    {}\n    {}\n    {}\n  </{h}>\n",
            names::VERSION_ATTRIBUTE,
            leaf(names::FILE_ID, &header.file_id),
            leaf(names::DANTAI_CODE, header.dantai.as_str()),
            leaf(names::CREATED_AT, &created),
            h = names::HEADER,
        )?;
        Ok(Self { out })
    }

    /// Writes one record.
    pub fn record(&mut self, record: &RawRecord) -> io::Result<()> {
        let mut text = String::with_capacity(1024);
        text.push_str("  <");
        text.push_str(names::RECORD);
        text.push_str(">\n");
        for field in RecordField::ALL {
            if let Some(value) = record.get(field) {
                text.push_str("    ");
                text.push_str(&leaf(field.element(), value));
                text.push('\n');
            }
        }
        if let Some(items) = &record.body {
            text.push_str(&format!("    <{}>\n", names::BODY));
            for item in items {
                text.push_str("      <");
                text.push_str(names::ITEM);
                text.push_str(&format!(" {}=\"{}\"", names::ITEM_NAME, escape(&item.name)));
                if let Some(reason) = &item.null_reason {
                    text.push_str(&format!(" {}=\"{}\"", names::NULL_REASON, escape(reason)));
                }
                if item.value.is_empty() {
                    text.push_str("/>\n");
                } else {
                    text.push_str(&format!(">{}</{}>\n", escape(&item.value), names::ITEM));
                }
            }
            text.push_str(&format!("    </{}>\n", names::BODY));
        }
        text.push_str(&format!("  </{}>\n", names::RECORD));
        self.out.write_all(text.as_bytes())
    }

    /// Closes the root and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        writeln!(self.out, "</{ROOT}>")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn leaf(name: &str, text: &str) -> String {
    if text.is_empty() {
        format!("<{name}/>")
    } else {
        format!("<{name}>{}</{name}>", escape(text))
    }
}

/// Escapes text and attribute values so that they read back exactly (a CR as `&#xD;`, since a
/// parser turns a literal CR into LF).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back() {
        for kubun in ShoriKubun::ALL {
            assert_eq!(ShoriKubun::from_word(kubun.word()), Some(kubun));
        }
        for reason in NullReason::ALL {
            assert_eq!(NullReason::from_code(reason.code()), Some(reason));
        }
        for field in RecordField::ALL {
            assert_eq!(RecordField::from_element(field.element()), Some(field));
        }
        assert_eq!(ShoriKubun::from_word("追加"), None);
    }

    #[test]
    fn escaping_covers_markup() {
        assert_eq!(escape("a<b>&\"\r"), "a&lt;b&gt;&amp;&quot;&#xD;");
        assert_eq!(leaf("x", ""), "<x/>");
    }
}
