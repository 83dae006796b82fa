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

/// One XML event, owned, with what the reader needs of it.
enum Ev {
    Decl(Option<String>),
    Start {
        name: String,
        attributes: Vec<(String, String)>,
        empty: bool,
    },
    End,
    Text(String),
    Eof,
}

/// A streaming reader of one 副本登録・削除ファイル: the header when opened, then
/// [`next_record`](Self::next_record) (or the iterator) one record at a time. After an error it
/// yields nothing more.
pub struct FukuhonFileReader<R: BufRead> {
    file: String,
    xml: quick_xml::Reader<R>,
    /// quick-xml's event buffer, cleared before every event: the only buffer that grows with
    /// the input, and bounded by [`MAX_EVENT_BYTES`].
    buf: Vec<u8>,
    header: FileHeader,
    /// Records started so far; the number of the one being read.
    records: u64,
    done: bool,
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
            header: FileHeader {
                file_id: String::new(),
                dantai: renkei_fixtures::ids::DantaiCode::from_five(0),
                created_at: OffsetDateTime::UNIX_EPOCH,
            },
            records: 0,
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
        if self.done {
            return None;
        }
        let result = self.read_next();
        match result {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err((location, element, kind)) => {
                self.done = true;
                Some(Err(self.error(location, &element, kind)))
            }
        }
    }

    fn error(&self, location: Location, element: &str, kind: ReadErrorKind) -> ReadError {
        ReadError {
            file: self.file.clone(),
            location,
            element: element.to_owned(),
            offset: self.xml.buffer_position(),
            kind,
        }
    }

    /// The next event that matters (comments and PIs are skipped).
    fn next_event(&mut self) -> Result<Ev, ReadErrorKind> {
        loop {
            self.buf.clear();
            let event = self.xml.read_event_into(&mut self.buf).map_err(xml_error)?;
            let ev = match event {
                Event::Start(start) => Ev::Start {
                    name: element_name(&start),
                    attributes: attributes(&start)?,
                    empty: false,
                },
                Event::Empty(start) => Ev::Start {
                    name: element_name(&start),
                    attributes: attributes(&start)?,
                    empty: true,
                },
                Event::End(_) => Ev::End,
                Event::Text(text) => Ev::Text(text.xml10_content().into_owned()),
                Event::CData(data) => Ev::Text(data.xml10_content().into_owned()),
                Event::GeneralRef(reference) => {
                    let text = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => quick_xml::escape::resolve_predefined_entity(&reference)
                            .ok_or_else(|| {
                                ReadErrorKind::NotWellFormed(format!(
                                    "定義されていない実体参照 &{}; があります",
                                    &*reference
                                ))
                            })?
                            .to_owned(),
                        Err(e) => return Err(ReadErrorKind::NotWellFormed(e.to_string())),
                    };
                    Ev::Text(text)
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
                Ev::Text(text) if is_blank(&text) => {}
                Ev::Text(text) => return Err(ReadErrorKind::UnexpectedText(excerpt(&text))),
                Ev::Start {
                    name,
                    attributes,
                    empty,
                } => {
                    if name != ROOT {
                        return Err(ReadErrorKind::WrongRoot(name));
                    }
                    let mut version = None;
                    for (key, value) in attributes {
                        if key == names::VERSION_ATTRIBUTE {
                            version = Some(value);
                        } else {
                            return Err(ReadErrorKind::UnknownAttribute(key));
                        }
                    }
                    match version.as_deref() {
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
                Ev::Text(text) if is_blank(&text) => {}
                Ev::Text(text) => {
                    return Err((root_path, ReadErrorKind::UnexpectedText(excerpt(&text))));
                }
                Ev::Start {
                    name,
                    attributes,
                    empty,
                } if name == names::HEADER => {
                    no_attributes(&attributes).map_err(|k| (header_path.clone(), k))?;
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
                Ev::Text(text) if is_blank(&text) => {}
                Ev::Text(text) => {
                    return Err((header_path, ReadErrorKind::UnexpectedText(excerpt(&text))));
                }
                Ev::Start {
                    name,
                    attributes,
                    empty,
                } => {
                    let path = format!("{header_path}/{name}");
                    let Some(index) = LEAVES.iter().position(|leaf| *leaf == name) else {
                        return Err((path, ReadErrorKind::UnknownElement(name)));
                    };
                    no_attributes(&attributes).map_err(|k| (path.clone(), k))?;
                    if values[index].is_some() {
                        return Err((path, ReadErrorKind::Duplicate(name)));
                    }
                    let text = if empty {
                        String::new()
                    } else {
                        self.read_leaf().map_err(|k| (path.clone(), k))?
                    };
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

    /// The text of a leaf element whose start tag was just read, up to its end tag.
    fn read_leaf(&mut self) -> Result<String, ReadErrorKind> {
        let mut text = String::new();
        loop {
            match self.next_event()? {
                Ev::Text(more) => {
                    text.push_str(&more);
                    if text.len() > MAX_EVENT_BYTES {
                        return Err(ReadErrorKind::TooLarge(format!(
                            "値が{MAX_EVENT_BYTES}バイトを超えています"
                        )));
                    }
                }
                Ev::Start { name, .. } => return Err(ReadErrorKind::UnknownElement(name)),
                Ev::End => return Ok(text),
                Ev::Eof => return Err(ReadErrorKind::Truncated),
                Ev::Decl(_) => {
                    return Err(ReadErrorKind::NotWellFormed(
                        "XML宣言が文書の途中にあります".to_owned(),
                    ));
                }
            }
        }
    }

    /// Between records: the next record, or the end of the root and of the file.
    fn read_next(&mut self) -> Result<Option<RawRecord>, (Location, String, ReadErrorKind)> {
        let after = Location::After(self.records);
        let at_root = |kind| (after, ROOT.to_owned(), kind);
        loop {
            match self.next_event().map_err(at_root)? {
                Ev::Text(text) if is_blank(&text) => {}
                Ev::Text(text) => {
                    return Err(at_root(ReadErrorKind::UnexpectedText(excerpt(&text))));
                }
                Ev::Start {
                    name,
                    attributes,
                    empty,
                } if name == names::RECORD => {
                    self.records += 1;
                    let number = self.records;
                    let path = names::RECORD.to_owned();
                    let inside = |(element, kind)| (Location::Record(number), element, kind);
                    no_attributes(&attributes).map_err(|k| inside((path.clone(), k)))?;
                    let mut record = RawRecord::numbered(number);
                    if !empty {
                        self.read_record(&mut record).map_err(inside)?;
                    }
                    return Ok(Some(record));
                }
                Ev::Start { name, .. } => {
                    return Err((
                        after,
                        format!("{ROOT}/{name}"),
                        ReadErrorKind::UnknownElement(name),
                    ));
                }
                Ev::End => {
                    self.read_epilogue().map_err(at_root)?;
                    return Ok(None);
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
                Ev::Text(text) if is_blank(&text) => {}
                Ev::Eof => return Ok(()),
                _ => return Err(ReadErrorKind::AfterRoot),
            }
        }
    }

    /// The inside of a `レコード`, up to its end tag.
    fn read_record(&mut self, record: &mut RawRecord) -> Result<(), (String, ReadErrorKind)> {
        let record_path = names::RECORD.to_owned();
        loop {
            match self.next_event().map_err(|k| (record_path.clone(), k))? {
                Ev::Text(text) if is_blank(&text) => {}
                Ev::Text(text) => {
                    return Err((record_path, ReadErrorKind::UnexpectedText(excerpt(&text))));
                }
                Ev::Start {
                    name,
                    attributes,
                    empty,
                } => {
                    let path = format!("{record_path}/{name}");
                    if let Some(field) = RecordField::from_element(&name) {
                        no_attributes(&attributes).map_err(|k| (path.clone(), k))?;
                        if record.has(field) {
                            return Err((path, ReadErrorKind::Duplicate(name)));
                        }
                        let text = if empty {
                            String::new()
                        } else {
                            self.read_leaf().map_err(|k| (path.clone(), k))?
                        };
                        record.set(field, text);
                    } else if name == names::BODY {
                        no_attributes(&attributes).map_err(|k| (path.clone(), k))?;
                        if record.body.is_some() {
                            return Err((path, ReadErrorKind::Duplicate(name)));
                        }
                        let items = if empty {
                            Vec::new()
                        } else {
                            self.read_body(&path)?
                        };
                        record.body = Some(items);
                    } else {
                        return Err((path, ReadErrorKind::UnknownElement(name)));
                    }
                }
                Ev::End => return Ok(()),
                Ev::Eof => return Err((record_path, ReadErrorKind::Truncated)),
                Ev::Decl(_) => {
                    return Err((
                        record_path,
                        ReadErrorKind::NotWellFormed("XML宣言が文書の途中にあります".to_owned()),
                    ));
                }
            }
        }
    }

    /// The items of a `副本`, up to its end tag.
    fn read_body(&mut self, body_path: &str) -> Result<Vec<RawItem>, (String, ReadErrorKind)> {
        let mut items = Vec::new();
        loop {
            match self.next_event().map_err(|k| (body_path.to_owned(), k))? {
                Ev::Text(text) if is_blank(&text) => {}
                Ev::Text(text) => {
                    return Err((
                        body_path.to_owned(),
                        ReadErrorKind::UnexpectedText(excerpt(&text)),
                    ));
                }
                Ev::Start {
                    name,
                    attributes,
                    empty,
                } => {
                    let path = format!("{body_path}/{name}[{}]", items.len() + 1);
                    if name != names::ITEM {
                        return Err((path, ReadErrorKind::UnknownElement(name)));
                    }
                    if items.len() == MAX_ITEMS {
                        return Err((
                            path,
                            ReadErrorKind::TooLarge(format!("項目が{MAX_ITEMS}個を超えています")),
                        ));
                    }
                    let mut item = RawItem::default();
                    let mut named = false;
                    for (key, value) in attributes {
                        if key == names::ITEM_NAME {
                            item.name = value;
                            named = true;
                        } else if key == names::NULL_REASON {
                            item.null_reason = Some(value);
                        } else {
                            return Err((path, ReadErrorKind::UnknownAttribute(key)));
                        }
                    }
                    if !named {
                        return Err((
                            path,
                            ReadErrorKind::MissingAttribute(names::ITEM_NAME.to_owned()),
                        ));
                    }
                    if !empty {
                        item.value = self.read_leaf().map_err(|k| (path.clone(), k))?;
                    }
                    items.push(item);
                }
                Ev::End => return Ok(items),
                Ev::Eof => return Err((body_path.to_owned(), ReadErrorKind::Truncated)),
                Ev::Decl(_) => {
                    return Err((
                        body_path.to_owned(),
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

fn xml_error(error: quick_xml::Error) -> ReadErrorKind {
    match error {
        quick_xml::Error::Io(e) => ReadErrorKind::Io(e.to_string()),
        quick_xml::Error::Encoding(_) => ReadErrorKind::NotUtf8,
        other => ReadErrorKind::NotWellFormed(other.to_string()),
    }
}

/// The element's name as written, prefix included: a prefixed name is not one of ours.
fn element_name(start: &BytesStart<'_>) -> String {
    AsRef::<str>::as_ref(&start.name()).to_owned()
}

fn attributes(start: &BytesStart<'_>) -> Result<Vec<(String, String)>, ReadErrorKind> {
    let mut out = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| ReadErrorKind::NotWellFormed(e.to_string()))?;
        let key = AsRef::<str>::as_ref(&attribute.key).to_owned();
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| ReadErrorKind::NotWellFormed(e.to_string()))?
            .into_owned();
        out.push((key, value));
    }
    Ok(out)
}

fn no_attributes(attributes: &[(String, String)]) -> Result<(), ReadErrorKind> {
    match attributes.first() {
        Some((key, _)) => Err(ReadErrorKind::UnknownAttribute(key.clone())),
        None => Ok(()),
    }
}

fn is_blank(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
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
}
