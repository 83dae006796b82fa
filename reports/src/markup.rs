//! Text made safe for the markup it goes into. Every piece of the run model that a rendering
//! shows passes through one of these: evidence is whatever a vendor's system answered.

/// Text or an attribute value in HTML (both quote styles).
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Character data in XML. Characters XML 1.0 forbids (most control characters) become U+FFFD:
/// a document with one of them is not XML at all, and a CI server would drop the whole report.
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// An XML attribute value in double quotes. Line breaks and tabs are written as character
/// references, which attribute-value normalisation would otherwise turn into spaces.
pub fn xml_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Inline Markdown text on one line: markup characters escaped with a backslash, line breaks
/// and tabs as spaces, and HTML-significant characters as entities (GitHub renders inline HTML).
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The first line of `text`.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// A moment as JUnit and machine readers want it: RFC 3339 to the second,
/// `2026-04-06T09:00:00+09:00`.
pub fn timestamp(at: time::OffsetDateTime) -> String {
    let (h, m, _) = at.offset().as_hms();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        if at.offset().is_negative() { '-' } else { '+' },
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// A moment as people read it: `2026年4月6日 09:00:00 (+09:00)`.
pub fn clock(at: time::OffsetDateTime) -> String {
    let (h, m, _) = at.offset().as_hms();
    format!(
        "{}年{}月{}日 {:02}:{:02}:{:02} ({}{:02}:{:02})",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        if at.offset().is_negative() { '-' } else { '+' },
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// A duration as people read it: `3分25秒`, `1時間2分3秒`, `0.5秒`.
pub fn duration(span: time::Duration) -> String {
    let ms = span.whole_milliseconds().max(0) as u64;
    let seconds = ms / 1000;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}時間{m}分{s}秒")
    } else if m > 0 {
        format!("{m}分{s}秒")
    } else {
        format!("{}.{}秒", s, ms % 1000 / 100)
    }
}

/// What a kind of evidence is, in the words of docs/run-model.md.
pub fn evidence_kind(kind: &str) -> &str {
    match kind {
        "journal" => "シミュレーターの記録",
        "observe" => "システムの答え",
        "job" => "ジョブの結果",
        "note" => "renkei の用意・期待",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_evidence_stays_text() {
        assert_eq!(
            html("<script>alert('x')</script>&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
        assert_eq!(xml_text("a\u{1}b]]>𠮷"), "a\u{FFFD}b]]&gt;𠮷");
        assert_eq!(xml_attr("1\n2\"3"), "1&#10;2&quot;3");
        assert_eq!(markdown("a|b *c*\nd"), "a\\|b \\*c\\* d");
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("𠮷田花子", 2), "𠮷田…");
        assert_eq!(cut("𠮷田", 2), "𠮷田");
    }
}
