//! Reading a 副本登録・削除ファイル one record at a time.
//!
//! [`FukuhonFileReader`] drives quick-xml's pull parser over any `BufRead` and keeps only the
//! record it is building, so a file of two million records is read in the memory of one (a 団体
//! may upload 200万 records a day, seed 004 §2.5). To keep that true for hostile input as well,
//! one XML event may hold at most [`MAX_EVENT_BYTES`] and one 副本 at most [`MAX_ITEMS`] items.
//!
//! What is refused, and ends the stream with a [`ReadError`] naming the file, where (header,
//! record number from 1, or after which record) and the element:
//! - XML that is not well-formed, a DOCTYPE (a DTD can redefine what the text says);
//! - an encoding other than UTF-8, declared or actual: the 中間サーバー's character set is
//!   JIS X 0213 in UTF-8 (DOMAIN.md), and renkei accepts nothing else;
//! - an element or attribute the format does not have, a leaf written twice;
//! - a file that ends before its root is closed.
//!
//! A missing leaf or a wrong value is *not* a read error: the record is handed on as written and
//! [`super::Validator`] reports it for that record alone.
//!
//! Speed (the file of a large city's day is 2.4 GB, read at 受付 and again by the night batch):
//! a record written plainly, as almost every record is, is read straight from the input's
//! buffer by [`plain_record`]; anything else, and every error, is quick-xml's. A test
//! (`plain_reading_agrees_with_quick_xml`) checks that the two read the same records and stop
//! at the same error. [`FukuhonFileReader::next_record_into`] reuses one record's strings.

use std::fmt;
use std::io::BufRead;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::file::{
    FILE_ID, FORMAT_VERSION, FileHeader, ROOT, RawItem, RawRecord, RecordField, names,
};

/// The most bytes one XML event (a tag, a text) may take. The longest item is `X(2000)`, at most
/// 8,000 bytes of UTF-8; anything far beyond is not a 副本 and must not be buffered.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// The most items one 副本 may have: above the largest dataset's items times their occurrences.
pub const MAX_ITEMS: usize = 10_000;

/// Where in the file a [`ReadError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Before the header: the declaration or the root element.
    Prologue,
    /// The header.
    Header,
    /// Inside the record with this number (from 1).
    Record(u64),
    /// Between records or at the end: after this many records (0 = right after the header).
    After(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prologue => f.write_str("文書の先頭"),
            Self::Header => f.write_str("ヘッダ"),
            Self::Record(n) => write!(f, "{n}件目のレコード"),
            Self::After(0) => f.write_str("ヘッダの後"),
            Self::After(n) => write!(f, "{n}件目のレコードの後"),
        }
    }
}

/// Why a file cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadErrorKind {
    /// Not well-formed XML (quick-xml's diagnosis).
    #[error("XMLとして整形式ではありません: {0}")]
    NotWellFormed(String),
    /// Bytes that are not UTF-8.
    #[error("UTF-8として読めないバイトがあります (UTF-8のみ受け付けます)")]
    NotUtf8,
    /// The XML declaration names another encoding.
    #[error("文字コード宣言が「{0}」です (UTF-8のみ受け付けます)")]
    Encoding(String),
    /// A DOCTYPE.
    #[error("DOCTYPE は使えません")]
    DocType,
    /// The document element is not [`ROOT`].
    #[error("文書要素が「{0}」です (「{ROOT}」であるべきです)")]
    WrongRoot(String),
    /// The root's `版` is missing or not [`FORMAT_VERSION`].
    #[error("版 属性が{0}です (「{FORMAT_VERSION}」であるべきです)")]
    WrongVersion(String),
    /// An element the format does not have here.
    #[error("要素「{0}」はここに置けません")]
    UnknownElement(String),
    /// An attribute the format does not have here.
    #[error("属性「{0}」はここに置けません")]
    UnknownAttribute(String),
    /// A required attribute is missing.
    #[error("属性「{0}」がありません")]
    MissingAttribute(String),
    /// A leaf written twice.
    #[error("要素「{0}」が2つ以上あります")]
    Duplicate(String),
    /// Text where only elements may stand.
    #[error("要素の間に文字「{0}」があります")]
    UnexpectedText(String),
    /// The header is missing or a header value is wrong.
    #[error("ヘッダが不正です: {0}")]
    Header(String),
    /// The file ends before the root is closed.
    #[error("ファイルが途中で終わっています (閉じられていない要素があります)")]
    Truncated,
    /// Something other than whitespace, comments or PIs after the root.
    #[error("文書要素の後に内容があります")]
    AfterRoot,
    /// An event over [`MAX_EVENT_BYTES`] or a body over [`MAX_ITEMS`].
    #[error("大きすぎます: {0}")]
    TooLarge(String),
    /// The input could not be read.
    #[error("読み込みに失敗しました: {0}")]
    Io(String),
}

/// A file that cannot be read on: which file, where, which element, what.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}: {location}: {}{kind} ({offset}バイト目付近)", element_part(.element))]
pub struct ReadError {
    /// The file's name, as given to [`FukuhonFileReader::new`].
    pub file: String,
    /// Header, record number, or between records.
    pub location: Location,
    /// The element path, e.g. `レコード/副本/項目` (empty when no element is open).
    pub element: String,
    /// Bytes read when the error was found.
    pub offset: u64,
    /// What is wrong.
    pub kind: ReadErrorKind,
}

fn element_part(element: &str) -> String {
    if element.is_empty() {
        String::new()
    } else {
        format!("要素「{element}」: ")
    }
}

/// One XML event that matters. What it carries is in the reader's reused buffers (`tag`,
/// `text`), so that reading allocates nothing per event.
enum Ev {
    Decl(Option<String>),
    /// A start or empty-element tag: its name and attributes are in the reader.
    Start {
        empty: bool,
    },
    End,
    /// Character data (text, CDATA or a resolved reference): in the reader's `text`.
    Text,
    Eof,
}

/// The last start tag read: its name (as written, prefix included: a prefixed name is not one
/// of ours) and its attributes, every one checked and normalized. The strings are reused from tag
/// to tag.
#[derive(Default)]
struct Tag {
    name: String,
    /// (key, normalized value); only the first `count` are this tag's.
    attributes: Vec<(String, String)>,
    count: usize,
}

impl Tag {
    fn take(&mut self, start: &BytesStart<'_>) -> Result<(), ReadErrorKind> {
        self.name.clear();
        self.name.push_str(start.name().as_ref());
        self.count = 0;
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| ReadErrorKind::NotWellFormed(e.to_string()))?;
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| ReadErrorKind::NotWellFormed(e.to_string()))?;
            if self.count == self.attributes.len() {
                self.attributes.push((String::new(), String::new()));
            }
            let (key, kept) = &mut self.attributes[self.count];
            key.clear();
            key.push_str(attribute.key.as_ref());
            kept.clear();
            kept.push_str(&value);
            self.count += 1;
        }
        Ok(())
    }

    fn attributes(&self) -> &[(String, String)] {
        &self.attributes[..self.count]
    }
}

/// A streaming reader of one 副本登録・削除ファイル: the header when opened, then
/// [`next_record`](Self::next_record) (or the iterator) one record at a time, or
/// [`next_record_into`](Self::next_record_into) to reuse one record's buffers. After an error it
/// yields nothing more.
pub struct FukuhonFileReader<R: BufRead> {
    file: String,
    xml: quick_xml::Reader<R>,
    /// quick-xml's event buffer, cleared before every event: with `tag` and `text`, which copy
    /// from it, the only buffers that grow with the input, and bounded by [`MAX_EVENT_BYTES`].
    buf: Vec<u8>,
    /// The last start tag's name and attributes.
    tag: Tag,
    /// The last text event's content (end-of-lines normalized, references resolved), reused.
    text: String,
    /// The strings of the previous record handed to [`next_record_into`](Self::next_record_into),
    /// refilled for the next one instead of allocated again.
    spares: Spares,
    header: FileHeader,
    /// Records started so far; the number of the one being read.
    records: u64,
    /// Bytes taken by [`plain_record`] rather than quick-xml, which does not count them: error
    /// offsets add them.
    plain_bytes: u64,
    /// Whether [`plain_record`] is tried (off in tests that compare the two ways).
    plain: bool,
    done: bool,
}

/// Strings and items of a record, kept for the next one.
#[derive(Default)]
struct Spares {
    fields: [String; RecordField::ALL.len()],
    items: Vec<RawItem>,
}

impl Spares {
    /// Empties `record` (no field, no body) into the spares.
    fn take_back(&mut self, record: &mut RawRecord) {
        for field in RecordField::ALL {
            if let Some(text) = record.take(field) {
                self.fields[field.index()] = text;
            }
        }
        if let Some(items) = record.body.take() {
            self.items = items;
        }
    }

    /// `text` as the value of `field` in `record`, in a reused string.
    fn set(&mut self, record: &mut RawRecord, field: RecordField, text: &str) {
        let mut kept = std::mem::take(&mut self.fields[field.index()]);
        kept.clear();
        kept.push_str(text);
        record.set(field, kept);
    }
}

impl<R: BufRead> FukuhonFileReader<R> {
    /// Opens the file: reads the declaration, the root and the header, and stops before the
    /// first record.
    pub fn new(file: impl Into<String>, input: R) -> Result<Self, ReadError> {
        let mut xml = quick_xml::Reader::from_reader(input);
        xml.config_mut().check_end_names = true;
        let mut reader = Self {
            file: file.into(),
            xml,
            buf: Vec::new(),
            tag: Tag::default(),
            text: String::new(),
            spares: Spares::default(),
            header: FileHeader {
                file_id: String::new(),
                dantai: renkei_fixtures::ids::DantaiCode::from_five(0),
                created_at: OffsetDateTime::UNIX_EPOCH,
            },
            records: 0,
            plain_bytes: 0,
            plain: true,
            done: false,
        };
        reader
            .open_root()
            .map_err(|kind| reader.error(Location::Prologue, ROOT, kind))?;
        let header = reader
            .read_header()
            .map_err(|(element, kind)| reader.error(Location::Header, &element, kind))?;
        reader.header = header;
        Ok(reader)
    }

    /// The same reader reading every record with quick-xml: what [`plain_record`] must agree
    /// with.
    #[cfg(test)]
    fn quick_xml_only(mut self) -> Self {
        self.plain = false;
        self
    }

    /// The file's header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The file's name, as given.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// The next record; `None` at the end of the file or after an error.
    pub fn next_record(&mut self) -> Option<Result<RawRecord, ReadError>> {
        let mut record = RawRecord::default();
        match self.next_record_into(&mut record) {
            Ok(true) => Some(Ok(record)),
            Ok(false) => None,
            Err(error) => Some(Err(error)),
        }
    }

    /// Reads the next record into `record`, replacing what it held and reusing its strings, so
    /// that a loop reading into one record allocates nothing per record. `Ok(false)` at the end
    /// of the file or after an error (then `record` holds nothing of use); the same records and
    /// errors as [`next_record`](Self::next_record).
    pub fn next_record_into(&mut self, record: &mut RawRecord) -> Result<bool, ReadError> {
        if self.done {
            return Ok(false);
        }
        self.spares.take_back(record);
        // Between records quick-xml has just read an end tag and holds nothing: the next bytes
        // are the reader's to take.
        if self.plain
            && let Ok(data) = self.xml.get_mut().fill_buf()
            && let Some(taken) = plain_record(data, record, &mut self.spares)
        {
            self.xml.get_mut().consume(taken);
            self.plain_bytes += taken as u64;
            self.records += 1;
            record.number = self.records;
            return Ok(true);
        }
        match self.read_next(record) {
            Ok(more) => {
                self.done = !more;
                Ok(more)
            }
            Err((location, element, kind)) => {
                self.done = true;
                Err(self.error(location, &element, kind))
            }
        }
    }

    fn error(&self, location: Location, element: &str, kind: ReadErrorKind) -> ReadError {
        ReadError {
            file: self.file.clone(),
            location,
            element: element.to_owned(),
            offset: self.xml.buffer_position() + self.plain_bytes,
            kind,
        }
    }

    /// The next event that matters (comments and PIs are skipped). A start tag's name and
    /// attributes, and a text's content, are left in the reader's buffers.
    fn next_event(&mut self) -> Result<Ev, ReadErrorKind> {
        loop {
            self.buf.clear();
            let event = self.xml.read_event_into(&mut self.buf).map_err(xml_error)?;
            let ev = match event {
                Event::Start(start) => {
                    self.tag.take(&start)?;
                    Ev::Start { empty: false }
                }
                Event::Empty(start) => {
                    self.tag.take(&start)?;
                    Ev::Start { empty: true }
                }
                Event::End(_) => Ev::End,
                Event::Text(text) => {
                    self.text.clear();
                    self.text.push_str(&text.xml10_content());
                    Ev::Text
                }
                Event::CData(data) => {
                    self.text.clear();
                    self.text.push_str(&data.xml10_content());
                    Ev::Text
                }
                Event::GeneralRef(reference) => {
                    self.text.clear();
                    match reference.resolve_char_ref() {
                        Ok(Some(c)) => self.text.push(c),
                        Ok(None) => self.text.push_str(
                            quick_xml::escape::resolve_predefined_entity(&reference).ok_or_else(
                                || {
                                    ReadErrorKind::NotWellFormed(format!(
                                        "定義されていない実体参照 &{}; があります",
                                        &*reference
                                    ))
                                },
                            )?,
                        ),
                        Err(e) => return Err(ReadErrorKind::NotWellFormed(e.to_string())),
                    }
                    Ev::Text
                }
                Event::Decl(decl) => Ev::Decl(match decl.encoding() {
                    None => None,
                    Some(Ok(encoding)) => Some(encoding.into_owned()),
                    Some(Err(e)) => return Err(ReadErrorKind::NotWellFormed(e.to_string())),
                }),
                Event::DocType(_) => return Err(ReadErrorKind::DocType),
                Event::Comment(_) | Event::PI(_) => continue,
                Event::Eof => Ev::Eof,
            };
            if self.buf.len() > MAX_EVENT_BYTES {
                return Err(ReadErrorKind::TooLarge(format!(
                    "1つのタグ又は文字列が{MAX_EVENT_BYTES}バイトを超えています"
                )));
            }
            return Ok(ev);
        }
    }

    /// The last start tag must have no attribute.
    fn no_attributes(&self) -> Result<(), ReadErrorKind> {
        match self.tag.attributes().first() {
            Some((key, _)) => Err(ReadErrorKind::UnknownAttribute(key.clone())),
            None => Ok(()),
        }
    }

    /// Declaration (UTF-8 only) and the root start tag with `版="1"`.
    fn open_root(&mut self) -> Result<(), ReadErrorKind> {
        let mut first = true;
        loop {
            match self.next_event()? {
                Ev::Decl(encoding) if first => {
                    if let Some(encoding) = encoding
                        && !encoding.eq_ignore_ascii_case("UTF-8")
                    {
                        return Err(ReadErrorKind::Encoding(encoding));
                    }
                }
                Ev::Decl(_) => {
                    return Err(ReadErrorKind::NotWellFormed(
                        "XML宣言が文書の先頭にありません".to_owned(),
                    ));
                }
                Ev::Text if is_blank(&self.text) => {}
                Ev::Text => return Err(ReadErrorKind::UnexpectedText(excerpt(&self.text))),
                Ev::Start { empty } => {
                    if self.tag.name != ROOT {
                        return Err(ReadErrorKind::WrongRoot(self.tag.name.clone()));
                    }
                    let mut version = None;
                    for (key, value) in self.tag.attributes() {
                        if key == names::VERSION_ATTRIBUTE {
                            version = Some(value.as_str());
                        } else {
                            return Err(ReadErrorKind::UnknownAttribute(key.clone()));
                        }
                    }
                    match version {
                        Some(FORMAT_VERSION) => {}
                        Some(other) => {
                            return Err(ReadErrorKind::WrongVersion(format!("「{other}」")));
                        }
                        None => return Err(ReadErrorKind::WrongVersion("ありません".to_owned())),
                    }
                    if empty {
                        return Err(ReadErrorKind::Header(format!(
                            "{} がありません",
                            names::HEADER
                        )));
                    }
                    return Ok(());
                }
                Ev::End => {
                    return Err(ReadErrorKind::NotWellFormed(
                        "開始タグのない終了タグがあります".to_owned(),
                    ));
                }
                Ev::Eof => {
                    return Err(if first {
                        ReadErrorKind::NotWellFormed("文書要素がありません".to_owned())
                    } else {
                        ReadErrorKind::Truncated
                    });
                }
            }
            first = false;
        }
    }

    /// The header: the first element in the root. Errors carry the element path.
    fn read_header(&mut self) -> Result<FileHeader, (String, ReadErrorKind)> {
        let root_path = ROOT.to_owned();
        let header_path = format!("{ROOT}/{}", names::HEADER);
        loop {
            match self.next_event().map_err(|k| (root_path.clone(), k))? {
                Ev::Text if is_blank(&self.text) => {}
                Ev::Text => {
                    return Err((
                        root_path,
                        ReadErrorKind::UnexpectedText(excerpt(&self.text)),
                    ));
                }
                Ev::Start { empty } if self.tag.name == names::HEADER => {
                    self.no_attributes().map_err(|k| (header_path.clone(), k))?;
                    if empty {
                        return Err((
                            header_path,
                            ReadErrorKind::Header(format!("{} がありません", names::FILE_ID)),
                        ));
                    }
                    break;
                }
                Ev::Start { .. } | Ev::End => {
                    return Err((
                        root_path,
                        ReadErrorKind::Header(format!(
                            "最初の要素は {} であるべきです",
                            names::HEADER
                        )),
                    ));
                }
                Ev::Eof => return Err((root_path, ReadErrorKind::Truncated)),
                Ev::Decl(_) => {
                    return Err((
                        root_path,
                        ReadErrorKind::NotWellFormed("XML宣言が文書の途中にあります".to_owned()),
                    ));
                }
            }
        }
        const LEAVES: [&str; 3] = [names::FILE_ID, names::DANTAI_CODE, names::CREATED_AT];
        let mut values: [Option<String>; 3] = [None, None, None];
        loop {
            match self.next_event().map_err(|k| (header_path.clone(), k))? {
                Ev::Text if is_blank(&self.text) => {}
                Ev::Text => {
                    return Err((
                        header_path,
                        ReadErrorKind::UnexpectedText(excerpt(&self.text)),
                    ));
                }
                Ev::Start { empty } => {
                    let name = self.tag.name.clone();
                    let path = format!("{header_path}/{name}");
                    let Some(index) = LEAVES.iter().position(|leaf| *leaf == name) else {
                        return Err((path, ReadErrorKind::UnknownElement(name)));
                    };
                    self.no_attributes().map_err(|k| (path.clone(), k))?;
                    if values[index].is_some() {
                        return Err((path, ReadErrorKind::Duplicate(name)));
                    }
                    let mut text = String::new();
                    if !empty {
                        self.read_leaf(&mut text).map_err(|k| (path.clone(), k))?;
                    }
                    values[index] = Some(text);
                }
                Ev::End => break,
                Ev::Eof => return Err((header_path, ReadErrorKind::Truncated)),
                Ev::Decl(_) => {
                    return Err((
                        header_path,
                        ReadErrorKind::NotWellFormed("XML宣言が文書の途中にあります".to_owned()),
                    ));
                }
            }
        }
        let [file_id, dantai, created_at] = values;
        let missing = |leaf: &str| {
            (
                format!("{header_path}/{leaf}"),
                ReadErrorKind::Header(format!("{leaf} がありません")),
            )
        };
        let file_id = file_id.ok_or_else(|| missing(names::FILE_ID))?;
        if file_id != FILE_ID {
            return Err((
                format!("{header_path}/{}", names::FILE_ID),
                ReadErrorKind::Header(format!(
                    "{}「{file_id}」は「{FILE_ID}」であるべきです",
                    names::FILE_ID
                )),
            ));
        }
        let dantai = dantai.ok_or_else(|| missing(names::DANTAI_CODE))?;
        let dantai = dantai.parse().map_err(|e: renkei_fixtures::ids::IdError| {
            (
                format!("{header_path}/{}", names::DANTAI_CODE),
                ReadErrorKind::Header(e.to_string()),
            )
        })?;
        let created_at = created_at.ok_or_else(|| missing(names::CREATED_AT))?;
        let created_at = OffsetDateTime::parse(&created_at, &Rfc3339).map_err(|_| {
            (
                format!("{header_path}/{}", names::CREATED_AT),
                ReadErrorKind::Header(format!(
                    "{}「{created_at}」は RFC 3339 の日時 (例: 2019-06-01T10:00:00+09:00) ではありません",
                    names::CREATED_AT
                )),
            )
        })?;
        Ok(FileHeader {
            file_id,
            dantai,
            created_at,
        })
    }

    /// The text of a leaf element whose start tag was just read, up to its end tag, appended
    /// to `out`.
    fn read_leaf(&mut self, out: &mut String) -> Result<(), ReadErrorKind> {
        loop {
            match self.next_event()? {
                Ev::Text => {
                    out.push_str(&self.text);
                    if out.len() > MAX_EVENT_BYTES {
                        return Err(ReadErrorKind::TooLarge(format!(
                            "値が{MAX_EVENT_BYTES}バイトを超えています"
                        )));
                    }
                }
                Ev::Start { .. } => {
                    return Err(ReadErrorKind::UnknownElement(self.tag.name.clone()));
                }
                Ev::End => return Ok(()),
                Ev::Eof => return Err(ReadErrorKind::Truncated),
                Ev::Decl(_) => {
                    return Err(ReadErrorKind::NotWellFormed(
                        "XML宣言が文書の途中にあります".to_owned(),
                    ));
                }
            }
        }
    }

    /// Between records: the next record into `record` (`true`), or the end of the root and of
    /// the file (`false`).
    fn read_next(
        &mut self,
        record: &mut RawRecord,
    ) -> Result<bool, (Location, String, ReadErrorKind)> {
        let after = Location::After(self.records);
        let at_root = |kind| (after, ROOT.to_owned(), kind);
        loop {
            match self.next_event().map_err(at_root)? {
                Ev::Text if is_blank(&self.text) => {}
                Ev::Text => {
                    return Err(at_root(ReadErrorKind::UnexpectedText(excerpt(&self.text))));
                }
                Ev::Start { empty } if self.tag.name == names::RECORD => {
                    self.records += 1;
                    let number = self.records;
                    let inside = |(element, kind)| (Location::Record(number), element, kind);
                    self.no_attributes()
                        .map_err(|k| inside((names::RECORD.to_owned(), k)))?;
                    record.number = number;
                    if !empty {
                        self.read_record(record).map_err(inside)?;
                    }
                    return Ok(true);
                }
                Ev::Start { .. } => {
                    let name = self.tag.name.clone();
                    return Err((
                        after,
                        format!("{ROOT}/{name}"),
                        ReadErrorKind::UnknownElement(name),
                    ));
                }
                Ev::End => {
                    self.read_epilogue().map_err(at_root)?;
                    return Ok(false);
                }
                Ev::Eof => return Err(at_root(ReadErrorKind::Truncated)),
                Ev::Decl(_) => {
                    return Err(at_root(ReadErrorKind::NotWellFormed(
                        "XML宣言が文書の途中にあります".to_owned(),
                    )));
                }
            }
        }
    }

    /// After the root: only whitespace (comments and PIs are skipped) up to the end.
    fn read_epilogue(&mut self) -> Result<(), ReadErrorKind> {
        loop {
            match self.next_event()? {
                Ev::Text if is_blank(&self.text) => {}
                Ev::Eof => return Ok(()),
                _ => return Err(ReadErrorKind::AfterRoot),
            }
        }
    }

    /// The inside of a `レコード`, up to its end tag, into `record` (which holds no field and
    /// no body yet). Element paths are only written out for an error.
    fn read_record(&mut self, record: &mut RawRecord) -> Result<(), (String, ReadErrorKind)> {
        let record_path = names::RECORD;
        loop {
            match self.next_event().map_err(|k| (record_path.to_owned(), k))? {
                Ev::Text if is_blank(&self.text) => {}
                Ev::Text => {
                    return Err((
                        record_path.to_owned(),
                        ReadErrorKind::UnexpectedText(excerpt(&self.text)),
                    ));
                }
                Ev::Start { empty } => {
                    if let Some(field) = RecordField::from_element(&self.tag.name) {
                        let name = field.element();
                        let path = || format!("{record_path}/{name}");
                        self.no_attributes().map_err(|k| (path(), k))?;
                        if record.has(field) {
                            return Err((path(), ReadErrorKind::Duplicate(name.to_owned())));
                        }
                        let mut text = std::mem::take(&mut self.spares.fields[field.index()]);
                        text.clear();
                        if !empty {
                            self.read_leaf(&mut text).map_err(|k| (path(), k))?;
                        }
                        record.set(field, text);
                    } else if self.tag.name == names::BODY {
                        let path = || format!("{record_path}/{}", names::BODY);
                        self.no_attributes().map_err(|k| (path(), k))?;
                        if record.body.is_some() {
                            return Err((path(), ReadErrorKind::Duplicate(names::BODY.to_owned())));
                        }
                        let mut items = std::mem::take(&mut self.spares.items);
                        if empty {
                            items.clear();
                        } else {
                            self.read_body(&mut items)?;
                        }
                        record.body = Some(items);
                    } else {
                        let name = self.tag.name.clone();
                        return Err((
                            format!("{record_path}/{name}"),
                            ReadErrorKind::UnknownElement(name),
                        ));
                    }
                }
                Ev::End => return Ok(()),
                Ev::Eof => return Err((record_path.to_owned(), ReadErrorKind::Truncated)),
                Ev::Decl(_) => {
                    return Err((
                        record_path.to_owned(),
                        ReadErrorKind::NotWellFormed("XML宣言が文書の途中にあります".to_owned()),
                    ));
                }
            }
        }
    }

    /// The items of a `副本`, up to its end tag, into `items` (whose strings are reused).
    fn read_body(&mut self, items: &mut Vec<RawItem>) -> Result<(), (String, ReadErrorKind)> {
        let body_path = || format!("{}/{}", names::RECORD, names::BODY);
        let mut count = 0;
        loop {
            match self.next_event().map_err(|k| (body_path(), k))? {
                Ev::Text if is_blank(&self.text) => {}
                Ev::Text => {
                    return Err((
                        body_path(),
                        ReadErrorKind::UnexpectedText(excerpt(&self.text)),
                    ));
                }
                Ev::Start { empty } => {
                    let path = |name: &str| format!("{}/{name}[{}]", body_path(), count + 1);
                    if self.tag.name != names::ITEM {
                        let name = self.tag.name.clone();
                        return Err((path(&name), ReadErrorKind::UnknownElement(name)));
                    }
                    if count == MAX_ITEMS {
                        return Err((
                            path(names::ITEM),
                            ReadErrorKind::TooLarge(format!("項目が{MAX_ITEMS}個を超えています")),
                        ));
                    }
                    if count == items.len() {
                        items.push(RawItem::default());
                    }
                    let item = &mut items[count];
                    item.name.clear();
                    item.value.clear();
                    let (mut named, mut null_reason) = (false, false);
                    for (key, value) in self.tag.attributes() {
                        if key == names::ITEM_NAME {
                            item.name.push_str(value);
                            named = true;
                        } else if key == names::NULL_REASON {
                            let reason = item.null_reason.get_or_insert_with(String::new);
                            reason.clear();
                            reason.push_str(value);
                            null_reason = true;
                        } else {
                            return Err((
                                path(names::ITEM),
                                ReadErrorKind::UnknownAttribute(key.clone()),
                            ));
                        }
                    }
                    if !null_reason {
                        item.null_reason = None;
                    }
                    if !named {
                        return Err((
                            path(names::ITEM),
                            ReadErrorKind::MissingAttribute(names::ITEM_NAME.to_owned()),
                        ));
                    }
                    if !empty {
                        self.read_leaf(&mut item.value)
                            .map_err(|k| (path(names::ITEM), k))?;
                    }
                    count += 1;
                }
                Ev::End => {
                    items.truncate(count);
                    return Ok(());
                }
                Ev::Eof => return Err((body_path(), ReadErrorKind::Truncated)),
                Ev::Decl(_) => {
                    return Err((
                        body_path(),
                        ReadErrorKind::NotWellFormed("XML宣言が文書の途中にあります".to_owned()),
                    ));
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for FukuhonFileReader<R> {
    type Item = Result<RawRecord, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

impl<R: BufRead> std::iter::FusedIterator for FukuhonFileReader<R> {}

/// Reads one `レコード` straight from `data` (the bytes right after an end tag between records)
/// when it is written plainly, as renkei's writer and most senders write: whitespace, then
/// known elements without comments, references, CDATA or a CR, end tags written as `</名前>`,
/// `項目` with `名` and `NULL理由` in double quotes, every value UTF-8 without control
/// characters, the whole record in `data` and shorter than [`MAX_EVENT_BYTES`]. For such a
/// record it does what quick-xml and [`FukuhonFileReader::read_record`] do (the same fields, items
/// and values), only faster: the file is 2.4 GB for 200万 records and is read twice (受付 and
/// the night batch). It returns the bytes it took and leaves `record` filled, or `None` and
/// leaves `record` empty for the quick-xml path to read, and to say what, if anything, is wrong.
/// Anything it is unsure of is `None`: it never refuses, so it cannot refuse differently.
fn plain_record(data: &[u8], record: &mut RawRecord, spares: &mut Spares) -> Option<usize> {
    let taken = plain_record_into(data, record, spares);
    if taken.is_none() {
        spares.take_back(record);
    }
    taken
}

fn plain_record_into(data: &[u8], record: &mut RawRecord, spares: &mut Spares) -> Option<usize> {
    let data = &data[..data.len().min(MAX_EVENT_BYTES)];
    let mut at = blank(data, 0);
    at = after(data, at, &["<", names::RECORD, ">"])?;
    loop {
        at = blank(data, at);
        if let Some(end) = after(data, at, &["</", names::RECORD, ">"]) {
            return Some(end);
        }
        let (tag, empty, next) = start_tag(data, at)?;
        at = next;
        if let Some(field) = RecordField::ALL
            .into_iter()
            .find(|f| f.element().as_bytes() == tag)
        {
            if record.has(field) {
                return None;
            }
            let value = if empty {
                ""
            } else {
                let (value, next) = leaf_value(data, at, field.element())?;
                at = next;
                value
            };
            spares.set(record, field, value);
        } else if tag == names::BODY.as_bytes() && record.body.is_none() {
            let mut items = std::mem::take(&mut spares.items);
            let body = if empty {
                items.clear();
                Some(at)
            } else {
                plain_body(data, at, &mut items)
            };
            // Kept even when the body is not plain, so that the items go back to the spares.
            record.body = Some(items);
            at = body?;
        } else {
            return None;
        }
    }
}

/// The items of a plain `副本` whose start tag ends before `at`, up to its end tag; the position
/// after it.
fn plain_body(data: &[u8], mut at: usize, items: &mut Vec<RawItem>) -> Option<usize> {
    let mut count = 0;
    loop {
        at = blank(data, at);
        if let Some(end) = after(data, at, &["</", names::BODY, ">"]) {
            items.truncate(count);
            return Some(end);
        }
        let (tag, empty, next) = start_tag(data, at)?;
        at = next;
        let mut attributes = tag.strip_prefix(names::ITEM.as_bytes())?;
        let (mut name, mut reason) = (None, None);
        while !attributes.is_empty() {
            let spaces = attributes.iter().take_while(|&&b| b == b' ').count();
            let rest = &attributes[spaces..];
            let equals = rest.iter().position(|&b| b == b'=')?;
            let quoted = rest[equals + 1..].strip_prefix(b"\"")?;
            let length = quoted.iter().position(|&b| b == b'"')?;
            let value = &quoted[..length];
            // Normalization and references would change the value: left to quick-xml.
            if spaces == 0
                || value
                    .iter()
                    .any(|&b| b < 0x20 || matches!(b, b'&' | b'<' | b'>'))
            {
                return None;
            }
            let value = std::str::from_utf8(value).ok()?;
            let slot = match &rest[..equals] {
                key if key == names::ITEM_NAME.as_bytes() => &mut name,
                key if key == names::NULL_REASON.as_bytes() => &mut reason,
                _ => return None,
            };
            if slot.replace(value).is_some() {
                return None;
            }
            attributes = &quoted[length + 1..];
        }
        let name = name?;
        if count == MAX_ITEMS {
            return None;
        }
        if count == items.len() {
            items.push(RawItem::default());
        }
        let item = &mut items[count];
        item.name.clear();
        item.name.push_str(name);
        match reason {
            Some(code) => {
                let kept = item.null_reason.get_or_insert_with(String::new);
                kept.clear();
                kept.push_str(code);
            }
            None => item.null_reason = None,
        }
        item.value.clear();
        if !empty {
            let (value, next) = leaf_value(data, at, names::ITEM)?;
            item.value.push_str(value);
            at = next;
        }
        count += 1;
    }
}

/// The position after the ASCII whitespace from `at`.
fn blank(data: &[u8], at: usize) -> usize {
    at + data[at..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .count()
}

/// The position after `parts` written one after another from `at`.
fn after(data: &[u8], mut at: usize, parts: &[&str]) -> Option<usize> {
    for part in parts {
        if !data.get(at..)?.starts_with(part.as_bytes()) {
            return None;
        }
        at += part.len();
    }
    Some(at)
}

/// A tag from `at` (which must be its `<`) to its `>`: what is between (without an empty
/// element's `/`), whether it is empty, and the position after it.
fn start_tag(data: &[u8], at: usize) -> Option<(&[u8], bool, usize)> {
    let rest = data.get(at..)?.strip_prefix(b"<")?;
    let close = rest.iter().position(|&b| b == b'>')?;
    let tag = &rest[..close];
    let (tag, empty) = match tag.strip_suffix(b"/") {
        Some(tag) => (tag, true),
        None => (tag, false),
    };
    Some((tag, empty, at + 1 + close + 1))
}

/// A plain value from `at` up to `</name>`: the value, and the position after the end tag.
fn leaf_value<'d>(data: &'d [u8], at: usize, name: &str) -> Option<(&'d str, usize)> {
    let rest = data.get(at..)?;
    let length = rest.iter().position(|&b| b == b'<')?;
    let value = &rest[..length];
    // A CR is normalized, a reference resolved, `>` may end a CDATA marker: left to quick-xml.
    if value
        .iter()
        .any(|&b| matches!(b, b'&' | b'>' | b'\r') || (b < 0x20 && b != b'\t' && b != b'\n'))
    {
        return None;
    }
    let value = std::str::from_utf8(value).ok()?;
    let end = after(data, at + length, &["</", name, ">"])?;
    Some((value, end))
}

fn xml_error(error: quick_xml::Error) -> ReadErrorKind {
    match error {
        quick_xml::Error::Io(e) => ReadErrorKind::Io(e.to_string()),
        quick_xml::Error::Encoding(_) => ReadErrorKind::NotUtf8,
        other => ReadErrorKind::NotWellFormed(other.to_string()),
    }
}

fn is_blank(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// The start of a stray text, for the message.
fn excerpt(text: &str) -> String {
    let trimmed = text.trim();
    let mut out: String = trimmed.chars().take(20).collect();
    if trimmed.chars().count() > 20 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(xml: &str) -> Result<FukuhonFileReader<&[u8]>, ReadError> {
        FukuhonFileReader::new("t.xml", xml.as_bytes())
    }

    const HEAD: &str = "<SPIRegistrationDeleteList 版=\"1\"><ヘッダ><ファイルID>FI_DBM_0001</ファイルID><団体コード>131016</団体コード><作成日時>2019-06-01T10:00:00+09:00</作成日時></ヘッダ>";

    #[test]
    fn header_and_an_empty_file() {
        let xml = format!("{HEAD}</SPIRegistrationDeleteList>");
        let mut reader = open(&xml).unwrap();
        assert_eq!(reader.header().dantai.as_str(), "131016");
        assert!(reader.next_record().is_none());
        assert!(reader.next_record().is_none());
    }

    #[test]
    fn the_encoding_must_be_utf8() {
        let e = open(&format!(
            "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>{HEAD}</SPIRegistrationDeleteList>"
        ))
        .err()
        .unwrap();
        assert_eq!(e.kind, ReadErrorKind::Encoding("Shift_JIS".to_owned()));
        assert_eq!(e.location, Location::Prologue);
        let mut bytes = HEAD.as_bytes().to_vec();
        bytes.extend_from_slice(b"<\xff/>");
        let mut reader = FukuhonFileReader::new("t.xml", bytes.as_slice()).unwrap();
        let e = reader.next_record().unwrap().unwrap_err();
        assert_eq!(e.kind, ReadErrorKind::NotUtf8);
    }

    #[test]
    fn header_faults_are_header_errors() {
        let bad_code = HEAD.replace("131016", "131017");
        let e = open(&bad_code).err().unwrap();
        assert_eq!(e.location, Location::Header);
        assert!(e.element.ends_with("団体コード"), "{e}");
        let wrong_root = HEAD.replace("SPIRegistrationDeleteList", "X");
        assert!(matches!(
            open(&wrong_root).err().unwrap().kind,
            ReadErrorKind::WrongRoot(_)
        ));
        assert!(matches!(
            open("<!DOCTYPE a><a/>").err().unwrap().kind,
            ReadErrorKind::DocType
        ));
    }

    #[test]
    fn messages_name_file_place_and_element() {
        let xml = format!("{HEAD}<レコード><謎>1</謎></レコード></SPIRegistrationDeleteList>");
        let e = open(&xml).unwrap().next_record().unwrap().unwrap_err();
        assert_eq!(e.location, Location::Record(1));
        let text = e.to_string();
        assert!(
            text.starts_with(
                "t.xml: 1件目のレコード: 要素「レコード/謎」: 要素「謎」はここに置けません"
            ),
            "{text}"
        );
    }

    /// Records written as senders write them: plain ones, and ones only quick-xml reads.
    const RECORDS: [&str; 5] = [
        "\n  <レコード>\n    <レコード識別番号>R1</レコード識別番号>\n    <処理区分>登録</処理区分>\n    <団体内統合宛名番号>000000000000123</団体内統合宛名番号>\n    <特定個人情報名コード>TM00000000000002</特定個人情報名コード>\n    <データセット識別項目コード>D0201</データセット識別項目コード>\n    <データセットレコードキー>2019</データセットレコードキー>\n    <メジャーバージョン>1</メジャーバージョン>\n    <公開日>2019-07-01</公開日>\n    <公開終了日/>\n    <副本>\n      <項目 名=\"課税年度\">2019</項目>\n      <項目 名=\"非課税区分\" NULL理由=\"1\"/>\n      <項目 NULL理由=\"2\" 名=\"扶養親族続柄\"></項目>\n      <項目 名=\"扶養親族続柄\">𠮷\t子</項目>\n    </副本>\n  </レコード>",
        "<レコード><レコード識別番号>R2</レコード識別番号><処理区分>削除</処理区分><副本/></レコード>",
        "\r\n<レコード>\r\n<処理区分>更新</処理区分><副本><項目 名=\"a&amp;b\">x&lt;y</項目><!-- c --><項目 名='b'><![CDATA[<z>]]></項目></副本></レコード>",
        "<レコード/>",
        "\n<!-- 次 --><レコード><データセットレコードキー>a\r\nb</データセットレコードキー><メジャーバージョン >1</メジャーバージョン></レコード>",
    ];

    fn sample() -> String {
        format!("{HEAD}{}\n</SPIRegistrationDeleteList>\n", RECORDS.concat())
    }

    /// Everything read from `bytes` through a buffer of `capacity`, with or without the plain
    /// reading, and whether the plain reading took anything.
    fn read_through(
        bytes: &[u8],
        capacity: usize,
        plain: bool,
    ) -> (Vec<RawRecord>, Option<ReadError>, bool) {
        let input = std::io::BufReader::with_capacity(capacity, bytes);
        let reader = match FukuhonFileReader::new("t.xml", input) {
            Ok(reader) => reader,
            Err(e) => return (Vec::new(), Some(e), false),
        };
        let mut reader = if plain {
            reader
        } else {
            reader.quick_xml_only()
        };
        let mut records = Vec::new();
        let mut record = RawRecord::default();
        loop {
            match reader.next_record_into(&mut record) {
                Ok(true) => records.push(record.clone()),
                Ok(false) => return (records, None, reader.plain_bytes > 0),
                Err(e) => return (records, Some(e), reader.plain_bytes > 0),
            }
        }
    }

    #[test]
    fn plain_records_are_read_without_quick_xml_and_the_same() {
        let xml = sample();
        let (plain, error, took) = read_through(xml.as_bytes(), 1 << 16, true);
        assert!(took, "the plain records were read plainly");
        assert_eq!(error, None);
        assert_eq!(plain.len(), RECORDS.len());
        assert_eq!((plain, error), {
            let (records, error, _) = read_through(xml.as_bytes(), 1 << 16, false);
            (records, error)
        });
        let first = read_through(xml.as_bytes(), 1 << 16, true).0.remove(0);
        assert_eq!(first.get(RecordField::KoukaiEnd), Some(""));
        let body = first.body.unwrap();
        assert_eq!(body[3].value, "𠮷\t子");
        assert_eq!(body[2].null_reason.as_deref(), Some("2"));
    }

    /// Elements of a record, plain ones and every way of writing one that only quick-xml reads
    /// (or refuses).
    const PIECES: [&str; 30] = [
        "<レコード識別番号>R1</レコード識別番号>",
        "<レコード識別番号>R1</レコード識別番号 >",
        "<レコード識別番号/>",
        "<レコード識別番号></レコード識別番号>",
        "<処理区分>登録</処理区分>",
        "<処理区分>登&amp;録</処理区分>",
        "<処理区分>a\r\nb</処理区分>",
        "<処理区分 x=\"1\">登録</処理区分>",
        "<処理区分><!--c-->登録</処理区分>",
        "<処理区分><![CDATA[x]]></処理区分>",
        "<処理区分>a]]>b</処理区分>",
        "<処理区分>\u{1}</処理区分>",
        "<処理区分>x<y/></処理区分>",
        "<処理区分>x</処理>",
        "<公開日>2019-07-01</公開日>",
        "<公開終了日>\t 𠮷 \n</公開終了日>",
        "<公開終了日 />",
        "<謎>1</謎>",
        "<x:処理区分>1</x:処理区分>",
        "\n  ",
        "\r\n",
        "text",
        "<!-- c -->",
        "<?pi x?>",
        "<副本/>",
        "<副本 a=\"b\"></副本>",
        "<副本></副本>",
        "&#x41;",
        "</レコード>",
        "<レコード>",
    ];

    /// Items of a 副本, the same way.
    const ITEMS: [&str; 26] = [
        "<項目 名=\"a\">1</項目>",
        "<項目 名=\"a\"/>",
        "<項目 名=\"a\" NULL理由=\"1\"/>",
        "<項目 NULL理由=\"1\" 名=\"a\"/>",
        "<項目 名=\"a\"NULL理由=\"1\"/>",
        "<項目  名=\"a\"  NULL理由=\"9\">v</項目>",
        "<項目 名='a'>1</項目>",
        "<項目 名=\"a\" 名=\"b\"/>",
        "<項目 名=\"a&amp;b\"/>",
        "<項目 名=\"a\tb\"/>",
        "<項目 名=\"\"/>",
        "<項目/>",
        "<項目 NULL理由=\"1\"/>",
        "<項目 版=\"2\" 名=\"a\"/>",
        "<項目 名=\"a\" />",
        "<項目 名 = \"a\"/>",
        "<項目 名=\"a>b\"/>",
        "<項目 名=\"a\">x<y/></項目>",
        "<項目 名=\"a\">\u{1}</項目>",
        "<項目 名=\"a\"></項目 >",
        "<項目 名=\"a/\"/>",
        "<項目名=\"a\"/>",
        "<他 名=\"a\"/>",
        "\n      ",
        "x",
        "<!-- c -->",
    ];

    /// Damage done to a file: bytes that break what is around them.
    const JUNK: [&str; 12] = [
        "<",
        ">",
        "/",
        "\"",
        "=",
        " ",
        "\r",
        "&",
        "<!--",
        "]]>",
        "\u{20BB7}",
        "レコード",
    ];

    /// Leaves and items as the plain reading reads them.
    const PLAIN_LEAVES: [&str; 7] = [
        "<レコード識別番号>R1</レコード識別番号>",
        "<処理区分>登録</処理区分>",
        "<団体内統合宛名番号>000000000000123</団体内統合宛名番号>",
        "<公開日>2019-07-01</公開日>",
        "<公開終了日/>",
        "<データセットレコードキー></データセットレコードキー>",
        "<メジャーバージョン>\t1\n</メジャーバージョン>",
    ];
    const PLAIN_ITEMS: [&str; 6] = [
        "<項目 名=\"a\">1</項目>",
        "<項目 名=\"b\"/>",
        "<項目 名=\"c\" NULL理由=\"1\"/>",
        "<項目 NULL理由=\"2\" 名=\"d\"></項目>",
        "<項目 名=\"𠮷\">𠮷</項目>",
        "<項目  名=\"e\"  NULL理由=\"x\">v</項目>",
    ];

    /// A file of records that are plain but for at most one leaf, item or spot (from
    /// [`PIECES`], [`ITEMS`]), and perhaps damaged further.
    fn file() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let space = || proptest::sample::select(vec!["", "\n  ", "\r\n", " \t"]);
        let odd = |pieces: &'static [&'static str]| {
            proptest::option::weighted(
                0.7,
                (any::<usize>(), proptest::sample::select(pieces.to_vec())),
            )
        };
        let with_odd = |mut parts: Vec<&'static str>, odd: Option<(usize, &'static str)>| {
            if let Some((at, piece)) = odd {
                let at = at % (parts.len() + 1);
                parts.insert(at, piece);
            }
            parts
        };
        let body = (
            proptest::collection::vec(proptest::sample::select(PLAIN_ITEMS.to_vec()), 0..5),
            odd(&ITEMS),
            space(),
            proptest::sample::select(vec!["<副本>", "<副本>", "<副本 >"]),
        )
            .prop_map(move |(items, odd, space, open)| {
                format!(
                    "{open}{space}{}{space}</副本>",
                    with_odd(items, odd).join(space)
                )
            });
        let record = (
            proptest::sample::subsequence(PLAIN_LEAVES.to_vec(), 0..=PLAIN_LEAVES.len()),
            proptest::option::weighted(0.8, body),
            odd(&PIECES),
            space(),
            proptest::sample::select(vec!["", "\n  ", "\r\n", "<!--c-->", "x"]),
            proptest::sample::select(vec![
                "<レコード>",
                "<レコード>",
                "<レコード>",
                "<レコード >",
            ]),
        )
            .prop_map(move |(leaves, body, odd, space, before, open)| {
                let mut parts = with_odd(leaves, odd).join(space);
                if let Some(body) = body {
                    parts.push_str(space);
                    parts.push_str(&body);
                }
                format!("{before}{open}{space}{parts}{space}</レコード>")
            });
        let junk = proptest::collection::vec(
            (
                0usize..3000,
                0usize..3,
                proptest::sample::select(JUNK.to_vec()),
            ),
            0..2,
        );
        (
            proptest::collection::vec(record, 0..5),
            proptest::option::weighted(0.2, junk),
        )
            .prop_map(|(records, junk)| {
                let mut bytes =
                    format!("{HEAD}{}\n</SPIRegistrationDeleteList>\n", records.concat())
                        .into_bytes();
                for (at, removed, text) in junk.unwrap_or_default() {
                    let at = at.min(bytes.len());
                    let end = (at + removed).min(bytes.len());
                    bytes.splice(at..end, text.bytes());
                }
                bytes
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Whatever is written, reading plainly where possible reads the same records and stops
        /// at the same error, at the same offset, as quick-xml alone.
        #[test]
        fn plain_reading_agrees_with_quick_xml(
            bytes in file(),
            bad_byte in proptest::option::weighted(0.1, 0usize..3000),
            capacity in proptest::sample::select(vec![16usize, 97, 512, 1 << 16]),
        ) {
            let mut bytes = bytes;
            if let Some(at) = bad_byte {
                let at = at.min(bytes.len().saturating_sub(1));
                if let Some(byte) = bytes.get_mut(at) {
                    *byte = 0xFF;
                }
            }
            let (plain, plain_error, _) = read_through(&bytes, capacity, true);
            let (quick, quick_error, _) = read_through(&bytes, capacity, false);
            proptest::prop_assert_eq!(plain, quick);
            proptest::prop_assert_eq!(plain_error, quick_error);
        }
    }
}
