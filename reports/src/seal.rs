//! The seal: SHA-256 digests that show whether a report was changed after renkei wrote it
//! (docs/reports.md「封印」).
//!
//! Two digests, so that each file can be checked on its own:
//!
//! - the **run digest**: SHA-256 of the canonical run model ([`canonical_json`]). It names the
//!   run a report was made from; `run.json` keeps it beside itself in `run.json.sha256`.
//! - the **rendering digest**: SHA-256 of the rendering's own bytes, computed with the
//!   rendering digest's 64 hex digits written as `0`s. A rendering carries both on its last line
//!   (the *seal line*), `<!-- renkei-seal:v1 run=sha256:… rendering=sha256:… -->`, so
//!   `renkei report verify report.html` needs nothing but the file.
//!
//! A seal is not a signature: whoever edits a file can compute a new seal. It makes a careless or
//! naive edit show, and it ties a report to its run model; proof against a determined editor
//! needs the digest kept elsewhere (the CI log prints it).

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::Run;

/// What every seal line and sidecar starts with; the version changes if the scheme does.
pub const SEAL_TAG: &str = "renkei-seal:v1";

/// Appended to `run.json`'s name for the file holding its seal.
pub const SIDECAR_SUFFIX: &str = ".sha256";

/// A SHA-256 digest, written `sha256:` and 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The 64 hex digits.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The first 12 hex digits, for people comparing two reports by eye.
    pub fn short(&self) -> String {
        self.hex()[..12].to_owned()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Digest {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let hex = text
            .strip_prefix("sha256:")
            .ok_or_else(|| format!("「{text}」: sha256: で始まっていません"))?;
        parse_hex(hex.as_bytes()).ok_or_else(|| format!("「{text}」: 64桁の16進数ではありません"))
    }
}

fn parse_hex(hex: &[u8]) -> Option<Digest> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(Digest(out))
}

/// The canonical text of a JSON value, the one the run digest is taken over: the JSON text as
/// serde_json writes it without any whitespace between tokens, every object's keys sorted by
/// their UTF-8 bytes. Strings are escaped as serde_json escapes them (`"` `\` and control
/// characters only; everything else, 𠮷 included, stays as UTF-8); the run model holds only
/// integers, so no float formatting question arises.
///
/// The keys are sorted here rather than left to `serde_json::Map`, whose order depends on a
/// cargo feature (`preserve_order`) any crate in the build may switch on.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            out.push_str(&serde_json::to_string(value).expect("a JSON scalar serialises"));
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).expect("a string serialises"));
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// The run digest of a run model.
pub fn run_digest(run: &Run) -> Digest {
    value_digest(&serde_json::to_value(run).expect("the run model serialises"))
}

/// The run digest of a run model read as plain JSON (so a file can be checked even when this
/// renkei could not read it as a [`Run`]).
pub fn value_digest(value: &Value) -> Digest {
    Digest::of(canonical_json(value).as_bytes())
}

/// How the seal line is wrapped, so that it is a comment in the format it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealSyntax {
    /// `<!-- … -->`: HTML, XML, and Markdown (where GitHub hides it).
    Comment,
    /// The bare line: the terminal table saved to a file.
    Plain,
}

/// Appends the seal line to a rendering. `body` ends with a newline; so does the result.
pub fn seal(mut body: String, run: Digest, syntax: SealSyntax) -> String {
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let (open, close) = match syntax {
        SealSyntax::Comment => ("<!-- ", " -->"),
        SealSyntax::Plain => ("", ""),
    };
    body.push_str(open);
    body.push_str(&format!("{SEAL_TAG} run={run} rendering=sha256:"));
    let hex_at = body.len();
    body.push_str(&"0".repeat(64));
    body.push_str(close);
    body.push('\n');
    let digest = Digest::of(body.as_bytes());
    body.replace_range(hex_at..hex_at + 64, &digest.hex());
    body
}

/// The seal read from a rendering's last line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundSeal {
    /// The run model the rendering was made from.
    pub run: Digest,
    /// The rendering's digest as it was written.
    pub rendering: Digest,
    /// Where the rendering digest's hex digits are, to blank them when checking.
    hex: Range<usize>,
}

/// Reads the seal line: the file's last line, after at most one final newline. `None` when the
/// last line holds no seal.
pub fn find_seal(bytes: &[u8]) -> Option<FoundSeal> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let line_start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = &body[line_start..];
    let tag_at = find(line, SEAL_TAG.as_bytes())?;
    let mut at = line_start + tag_at + SEAL_TAG.len();
    let mut expect = |prefix: &[u8]| -> Option<Range<usize>> {
        if !bytes[at..].starts_with(prefix) {
            return None;
        }
        let start = at + prefix.len();
        let end = start + 64;
        if end > bytes.len() {
            return None;
        }
        at = end;
        Some(start..end)
    };
    let run_hex = expect(b" run=sha256:")?;
    let rendering_hex = expect(b" rendering=sha256:")?;
    Some(FoundSeal {
        run: parse_hex(&bytes[run_hex])?,
        rendering: parse_hex(&bytes[rendering_hex.clone()])?,
        hex: rendering_hex,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What checking a rendering's seal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderingCheck {
    /// The bytes are the ones renkei wrote.
    Unchanged { run: Digest },
    /// Something was changed after renkei wrote the file.
    Changed {
        run: Digest,
        sealed: Digest,
        found: Digest,
    },
    /// The file carries no seal line (not a renkei rendering, or its last line was edited).
    NoSeal,
}

/// Checks a rendering against its own seal line.
pub fn check_rendering(bytes: &[u8]) -> RenderingCheck {
    let Some(seal) = find_seal(bytes) else {
        return RenderingCheck::NoSeal;
    };
    let mut blanked = bytes.to_vec();
    blanked[seal.hex.clone()].fill(b'0');
    let found = Digest::of(&blanked);
    if found == seal.rendering {
        RenderingCheck::Unchanged { run: seal.run }
    } else {
        RenderingCheck::Changed {
            run: seal.run,
            sealed: seal.rendering,
            found,
        }
    }
}

/// The text of `run.json.sha256`: the seal tag and the run digest, one line.
pub fn sidecar_text(run: Digest) -> String {
    format!("{SEAL_TAG} run={run}\n")
}

/// Reads `run.json.sha256`; `None` when it does not hold a seal.
pub fn parse_sidecar(text: &str) -> Option<Digest> {
    let rest = text.trim().strip_prefix(SEAL_TAG)?.trim_start();
    rest.strip_prefix("run=")?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let value: Value =
            serde_json::from_str(r#"{ "b": [1, {"z": null, "a": true}], "a": "𠮷\n\"" }"#).unwrap();
        assert_eq!(
            canonical_json(&value),
            r#"{"a":"𠮷\n\"","b":[1,{"a":true,"z":null}]}"#
        );
    }

    #[test]
    fn a_sealed_rendering_checks_and_an_edit_shows() {
        let run = Digest::of(b"run");
        let sealed = seal("<p>適合</p>\n".to_owned(), run, SealSyntax::Comment);
        assert!(sealed.ends_with(" -->\n"));
        assert_eq!(
            check_rendering(sealed.as_bytes()),
            RenderingCheck::Unchanged { run }
        );
        let edited = sealed.replace("適合", "不適合");
        assert!(matches!(
            check_rendering(edited.as_bytes()),
            RenderingCheck::Changed { .. }
        ));
        let no_newline = sealed.trim_end();
        assert!(matches!(
            check_rendering(no_newline.as_bytes()),
            RenderingCheck::Changed { .. }
        ));
        assert_eq!(check_rendering(b"<p>no seal</p>\n"), RenderingCheck::NoSeal);
        assert_eq!(check_rendering(b""), RenderingCheck::NoSeal);
    }

    #[test]
    fn digests_read_back() {
        let d = Digest::of(b"x");
        assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        assert_eq!(parse_sidecar(&sidecar_text(d)), Some(d));
        assert!("sha256:XYZ".parse::<Digest>().is_err());
    }
}
