//! Placeholders in `sut.toml`: `{name}` replaced by renkei, `{{` and `}}` for literal braces
//! (docs/sut-adapter.md "プレースホルダー").

use std::collections::BTreeMap;

/// Where a placeholder may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `[start]` and `[observe]`: fixed for the whole run.
    Run,
    /// A job: the run's names plus the scenario's and the job's parameters.
    Job,
}

/// Names valid for the whole run.
pub const RUN_NAMES: &[&str] = &["sut_port", "work_dir"];
/// Names valid in a job, besides [`RUN_NAMES`].
pub const JOB_NAMES: &[&str] = &[
    "config",
    "scenario",
    "uketsuke_bango",
    "shinsa_status",
    "shokuin",
    "juminhyo_codes",
    "path",
    "houshiki",
    "irai_id",
    "shori_tsuuban",
];
/// Names valid in `observe.command`.
pub const OBSERVE_NAMES: &[&str] = &["path", "query"];

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Name(String),
}

/// A string with placeholders, checked when `sut.toml` is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses `source`; `Err` names what is wrong (an unclosed `{`, a stray `}`, an unknown name).
    pub fn parse(source: &str, allowed: &[&[&str]]) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(format!("「{{{name}」が閉じていません")),
                        }
                    }
                    if !allowed.iter().any(|names| names.contains(&name.as_str())) {
                        let known: Vec<&str> =
                            allowed.iter().flat_map(|n| n.iter().copied()).collect();
                        return Err(format!(
                            "知らないプレースホルダー {{{name}}} (使えるもの: {})",
                            known.join(", ")
                        ));
                    }
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Name(name));
                }
                '}' => {
                    return Err(
                        "対になる「{」のない「}」があります (文字の } は }} と書きます)".into(),
                    );
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Self {
            source: source.to_owned(),
            pieces,
        })
    }

    /// The text as written in `sut.toml`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Fills the placeholders; `encode` applies to the values only (percent-encoding in URLs).
    /// A name without a value (a job parameter the step did not give) becomes empty.
    pub fn render(&self, values: &BTreeMap<&str, String>, encode: bool) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Name(name) => {
                    let value = values.get(name.as_str()).map(String::as_str).unwrap_or("");
                    if encode {
                        out.push_str(&percent_encode(value));
                    } else {
                        out.push_str(value);
                    }
                }
            }
        }
        out
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/` (so a path stays a
/// path).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_names_and_keeps_literal_braces() {
        let t = Template::parse("http://h:{sut_port}/x?{{a}}", &[RUN_NAMES]).unwrap();
        let values = BTreeMap::from([("sut_port", "8080".to_string())]);
        assert_eq!(t.render(&values, true), "http://h:8080/x?{a}");
    }

    #[test]
    fn encodes_values_in_urls_only() {
        let t = Template::parse("/s/{shinsa_status}", &[RUN_NAMES, JOB_NAMES]).unwrap();
        let values = BTreeMap::from([("shinsa_status", "審査 中".to_string())]);
        assert_eq!(t.render(&values, true), "/s/%E5%AF%A9%E6%9F%BB%20%E4%B8%AD");
        assert_eq!(t.render(&values, false), "/s/審査 中");
    }

    #[test]
    fn names_the_unknown_placeholder() {
        let err = Template::parse("{sut-port}", &[RUN_NAMES]).unwrap_err();
        assert!(
            err.contains("{sut-port}") && err.contains("sut_port"),
            "{err}"
        );
        assert!(Template::parse("{config}", &[RUN_NAMES]).is_err());
        assert!(Template::parse("{sut_port", &[RUN_NAMES]).is_err());
        assert!(Template::parse("a}b", &[RUN_NAMES]).is_err());
    }
}
