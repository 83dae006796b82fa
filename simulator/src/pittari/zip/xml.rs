//! The small XML writer and reader the three XML files of the 申請ZIP share.
//!
//! Writing is by hand into a `String`: the documents are small, their shape is fixed, and the
//! output must be the same bytes every time (the 申請書 is signed, and [`super::build()`] is
//! deterministic). Reading goes through quick-xml into a plain element tree, which the file
//! modules then walk with errors that name the element path.
//!
//! Rules both sides keep, so that every character survives (ING-20):
//! - text is escaped with `&amp;`, `&lt;`, `&gt;`, and a carriage return as `&#xD;` (a literal CR
//!   would be turned into LF by any XML parser);
//! - characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE, U+FFFF) are refused when
//!   writing ([`check_text`]);
//! - a DOCTYPE is refused when reading: a DTD can define entities and change what a document says.

use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use time::format_description::BorrowedFormatItem;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::{LAYOUT_VERSION, NAMESPACE};

/// 日本標準時: every time in the 申請ZIP is written at +09:00.
pub(crate) const JST: UtcOffset = offset!(+9);

/// `2025-06-01T10:15:30+09:00`: RFC 3339, whole seconds, always +09:00.
const NICHIJI: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+09:00");
/// `1990-01-02`.
const HIZUKE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// A time as the 申請ZIP writes it: in JST, to the second (any fraction is dropped).
pub(crate) fn format_nichiji(at: OffsetDateTime) -> String {
    at.to_offset(JST)
        .format(NICHIJI)
        .expect("a time with a four-digit year formats")
}

/// The time [`format_nichiji`] wrote.
pub(crate) fn parse_nichiji(text: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(text, NICHIJI)
        .ok()
        .map(|at| at.assume_offset(JST))
}

/// A date as `YYYY-MM-DD`.
pub(crate) fn format_hizuke(day: Date) -> String {
    day.format(HIZUKE)
        .expect("a date with a four-digit year formats")
}

/// The date [`format_hizuke`] wrote.
pub(crate) fn parse_hizuke(text: &str) -> Option<Date> {
    Date::parse(text, HIZUKE).ok()
}

/// The first character of `text` that XML 1.0 cannot carry, with its position (in characters).
pub(crate) fn check_text(text: &str) -> Result<(), (usize, char)> {
    match text.chars().enumerate().find(|&(_, c)| !is_xml_char(c)) {
        Some(found) => Err(found),
        None => Ok(()),
    }
}

/// XML 1.0 `Char`: tab, LF, CR, and everything from U+0020 except U+FFFE and U+FFFF
/// (surrogates cannot occur in a Rust `str`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Lowercase hex, as the SHA-256 values in the files are written.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Writes one document: declaration, indented elements, escaped text.
pub(crate) struct XmlWriter {
    out: String,
    depth: usize,
}

impl XmlWriter {
    /// A document whose element `root` is in renkei's namespace with `版="1"`.
    pub(crate) fn new(root: &str) -> Self {
        let mut out = String::with_capacity(4096);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<{root} xmlns=\"{NAMESPACE}\" 版=\"{LAYOUT_VERSION}\">"
        ));
        Self { out, depth: 1 }
    }

    fn indent(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// `<name>`, and what follows goes inside it.
    pub(crate) fn open(&mut self, name: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.depth += 1;
    }

    /// `</name>` of the element last opened.
    pub(crate) fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name>text</name>`, or `<name/>` when `text` is empty.
    pub(crate) fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        self.out.push_str(&leaf(name, text));
    }

    /// The document, closed with `</root>` and a final newline.
    pub(crate) fn finish(mut self, root: &str) -> String {
        self.out.push_str(&format!("\n</{root}>\n"));
        self.out
    }
}

/// One leaf element as [`XmlWriter::leaf`] writes it (also used to find it again in a document).
pub(crate) fn leaf(name: &str, text: &str) -> String {
    if text.is_empty() {
        format!("<{name}/>")
    } else {
        format!("<{name}>{}</{name}>", escape(text))
    }
}

/// Text content escaped so that it reads back exactly.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// One element of a parsed document: its name, whether it is in renkei's namespace, its
/// attributes, its child elements, and its text (for a leaf).
#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub(crate) name: String,
    /// `Some(namespace)` when the element's name is bound to a namespace.
    pub(crate) namespace: Option<String>,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
}

impl Element {
    /// Whether the element is in renkei's namespace.
    pub(crate) fn is_ours(&self) -> bool {
        self.namespace.as_deref() == Some(NAMESPACE)
    }
}

/// Parse `xml` into its document element. The message says what is not well-formed.
pub(crate) fn parse(xml: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let position = reader.buffer_position();
        let (namespace, event) = reader
            .read_resolved_event()
            .map(|(ns, ev)| (resolved(ns), ev))
            .map_err(|e| format!("{position} バイト目付近: {e}"))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err("文書要素の後に要素があります".to_owned());
                }
                stack.push(element(&start, namespace?)?);
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err("文書要素の後に要素があります".to_owned());
                }
                let done = element(&start, namespace?)?;
                attach(&mut stack, &mut root, done);
            }
            Event::End(_) => {
                let done = stack
                    .pop()
                    .ok_or_else(|| "対応する開始タグのない終了タグがあります".to_owned())?;
                attach(&mut stack, &mut root, done);
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                push_text(&mut stack, &content)?;
            }
            Event::CData(data) => {
                let content = data.xml10_content();
                push_text(&mut stack, &content)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&reference)
                        .ok_or_else(|| {
                            format!("定義されていない実体参照 &{}; があります", &*reference)
                        })?
                        .to_owned(),
                    Err(e) => return Err(format!("文字参照 &{}; が不正です: {e}", &*reference)),
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::DocType(_) => {
                return Err("DOCTYPE は使えません (申請ZIPの XML は DTD を持ちません)".to_owned());
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("閉じられていない要素があります (文書が途中で終わっています)".to_owned());
    }
    root.ok_or_else(|| "文書要素がありません".to_owned())
}

/// The namespace an element name resolved to; an unknown prefix is an error.
fn resolved(ns: ResolveResult<'_>) -> Result<Option<String>, String> {
    match ns {
        ResolveResult::Bound(ns) => Ok(Some(AsRef::<str>::as_ref(&ns).to_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => {
            Err(format!("名前空間接頭辞「{prefix}」が宣言されていません"))
        }
    }
}

/// A new element from its start tag.
fn element(
    start: &quick_xml::events::BytesStart<'_>,
    namespace: Option<String>,
) -> Result<Element, String> {
    let name = AsRef::<str>::as_ref(&start.local_name()).to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| format!("要素 {name} の属性が不正です: {e}"))?;
        let key = AsRef::<str>::as_ref(&attribute.key).to_owned();
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("要素 {name} の属性 {key} が不正です: {e}"))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        namespace,
        attributes,
        children: Vec::new(),
        text: String::new(),
    })
}

/// Put a finished element into its parent, or make it the document element.
fn attach(stack: &mut [Element], root: &mut Option<Element>, done: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

/// Text goes to the open element; outside the document element only whitespace may stand.
fn push_text(stack: &mut [Element], text: &str) -> Result<(), String> {
    match stack.last_mut() {
        Some(open) => {
            open.text.push_str(text);
            Ok(())
        }
        None if text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) => Ok(()),
        None => Err("文書要素の外に文字があります".to_owned()),
    }
}

/// Walks a parsed document with errors that name the element path, e.g.
/// `申請書/申請項目一覧/申請項目[3]/値`.
#[derive(Debug)]
pub(crate) struct Walker<'a> {
    pub(crate) element: &'a Element,
    pub(crate) path: String,
}

impl<'a> Walker<'a> {
    /// Start at the document element, which must be `root` in renkei's namespace with `版="1"`.
    pub(crate) fn root(element: &'a Element, root: &str) -> Result<Self, String> {
        if element.name != root || !element.is_ours() {
            return Err(format!(
                "文書要素が {}{} です ({{{NAMESPACE}}}{root} であるべきです)",
                element
                    .namespace
                    .as_deref()
                    .map(|ns| format!("{{{ns}}}"))
                    .unwrap_or_default(),
                element.name
            ));
        }
        let version = element
            .attributes
            .iter()
            .find(|(key, _)| key == "版")
            .map(|(_, value)| value.as_str());
        if version != Some(LAYOUT_VERSION) {
            return Err(format!(
                "{root} の 版 属性が {} です (\"{LAYOUT_VERSION}\" であるべきです)",
                version
                    .map(|v| format!("\"{v}\""))
                    .unwrap_or_else(|| "ありません".to_owned())
            ));
        }
        Ok(Self {
            element,
            path: root.to_owned(),
        })
    }

    /// Child elements in renkei's namespace (others, such as `ds:Signature`, are skipped by the
    /// callers that expect them).
    fn ours(&self) -> impl Iterator<Item = &'a Element> {
        self.element.children.iter().filter(|c| c.is_ours())
    }

    /// Checks that the element's children in renkei's namespace are exactly `names`, in order
    /// (a name ending in `?` may be absent; one ending in `*` may repeat, zero or more times).
    pub(crate) fn expect_children(&self, names: &[&str]) -> Result<(), String> {
        let found: Vec<&str> = self.ours().map(|c| c.name.as_str()).collect();
        let mut at = 0;
        for pattern in names {
            let (name, optional, repeated) = match pattern.as_bytes().last() {
                Some(b'?') => (&pattern[..pattern.len() - 1], true, false),
                Some(b'*') => (&pattern[..pattern.len() - 1], true, true),
                _ => (*pattern, false, false),
            };
            let mut count = 0;
            while found.get(at) == Some(&name) && (repeated || count == 0) {
                at += 1;
                count += 1;
            }
            if count == 0 && !optional {
                return Err(format!(
                    "{}: 子要素 {name} がありません (順序: {})",
                    self.path,
                    names.join(", ")
                ));
            }
        }
        if let Some(extra) = found.get(at) {
            return Err(format!(
                "{}: 子要素 {extra} はここに置けません (順序: {})",
                self.path,
                names.join(", ")
            ));
        }
        if let Some(other) = self
            .element
            .children
            .iter()
            .find(|c| !c.is_ours() && !self.allows_foreign(c))
        {
            return Err(format!(
                "{}: 名前空間外の子要素 {} があります",
                self.path, other.name
            ));
        }
        if !self.element.children.is_empty()
            && !self
                .element
                .text
                .chars()
                .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
        {
            return Err(format!("{}: 子要素と文字が混在しています", self.path));
        }
        Ok(())
    }

    /// Only the 申請書's document element may hold a foreign element: its `ds:Signature`.
    fn allows_foreign(&self, child: &Element) -> bool {
        self.path == super::shinseisho::ROOT
            && child.name == "Signature"
            && child.namespace.as_deref() == Some(crate::jpki::DSIG_NAMESPACE)
    }

    /// The one child called `name`.
    pub(crate) fn child(&self, name: &str) -> Result<Walker<'a>, String> {
        let mut matching = self.ours().filter(|c| c.name == name);
        match (matching.next(), matching.next()) {
            (Some(element), None) => Ok(Walker {
                element,
                path: format!("{}/{name}", self.path),
            }),
            (None, _) => Err(format!("{}: 子要素 {name} がありません", self.path)),
            (Some(_), Some(_)) => Err(format!("{}: 子要素 {name} が2つ以上あります", self.path)),
        }
    }

    /// The child called `name`, if there is one.
    pub(crate) fn optional(&self, name: &str) -> Result<Option<Walker<'a>>, String> {
        if self.ours().any(|c| c.name == name) {
            self.child(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Every child called `name`, numbered from 1 in their paths.
    pub(crate) fn children(&self, name: &str) -> Vec<Walker<'a>> {
        self.ours()
            .filter(|c| c.name == name)
            .enumerate()
            .map(|(i, element)| Walker {
                element,
                path: format!("{}/{name}[{}]", self.path, i + 1),
            })
            .collect()
    }

    /// The text of the leaf child `name`, exactly as written (no trimming).
    pub(crate) fn text(&self, name: &str) -> Result<String, String> {
        let child = self.child(name)?;
        if !child.element.children.is_empty() {
            return Err(format!("{}: 文字だけを持つ要素です", child.path));
        }
        Ok(child.element.text.clone())
    }

    /// The text of the leaf child `name`, read with `parse`; the message names the path and the
    /// form expected.
    pub(crate) fn parsed<T>(
        &self,
        name: &str,
        form: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, String> {
        let text = self.text(name)?;
        parse(&text)
            .ok_or_else(|| format!("{}/{name}: 「{text}」は{form}として読めません", self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn text_survives_writing_and_reading() {
        let tricky = " 𠮷田　髙﨑\u{E000}〜～ｶﾅ <&> \"'\r\n\tend ";
        let mut writer = XmlWriter::new("構成管理情報");
        writer.leaf("値", tricky);
        writer.leaf("空", "");
        let xml = writer.finish("構成管理情報");
        let root = parse(&xml).unwrap();
        let walker = Walker::root(&root, "構成管理情報").unwrap();
        assert_eq!(walker.text("値").unwrap(), tricky);
        assert_eq!(walker.text("空").unwrap(), "");
        walker.expect_children(&["値", "空"]).unwrap();
        assert!(walker.expect_children(&["値"]).unwrap_err().contains("空"));
        assert!(
            walker
                .expect_children(&["値", "空", "他"])
                .unwrap_err()
                .contains("他")
        );
        walker.expect_children(&["値", "空", "他?", "列*"]).unwrap();
    }

    #[test]
    fn characters_xml_cannot_carry_are_found() {
        assert_eq!(check_text("ab\u{1}c"), Err((2, '\u{1}')));
        assert_eq!(check_text("a\u{FFFF}"), Err((1, '\u{FFFF}')));
        assert!(check_text("\t\r\n𠮷\u{E000}\u{7F}").is_ok());
    }

    #[test]
    fn doctype_and_broken_documents_are_refused() {
        assert!(
            parse("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>")
                .unwrap_err()
                .contains("DOCTYPE")
        );
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").unwrap_err().contains("閉じられていない"));
        assert!(parse("").unwrap_err().contains("文書要素"));
        assert!(parse("<a>&unknown;</a>").unwrap_err().contains("unknown"));
        assert!(parse("<a/><b/>").is_err());
        assert!(parse("<p:a/>").unwrap_err().contains("接頭辞"));
    }

    #[test]
    fn the_root_must_be_ours_with_the_version() {
        let wrong_ns = parse("<構成管理情報 xmlns=\"urn:x\" 版=\"1\"/>").unwrap();
        assert!(Walker::root(&wrong_ns, "構成管理情報").is_err());
        let no_version = parse(&format!("<構成管理情報 xmlns=\"{NAMESPACE}\"/>")).unwrap();
        assert!(
            Walker::root(&no_version, "構成管理情報")
                .unwrap_err()
                .contains("版")
        );
    }

    #[test]
    fn times_are_jst_to_the_second() {
        let at = datetime!(2025-06-01 01:15:30.75 UTC);
        let text = format_nichiji(at);
        assert_eq!(text, "2025-06-01T10:15:30+09:00");
        assert_eq!(
            parse_nichiji(&text),
            Some(datetime!(2025-06-01 10:15:30 +9))
        );
        assert_eq!(parse_nichiji("2025-06-01T10:15:30Z"), None);
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
    }
}
