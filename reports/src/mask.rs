//! Personal data hidden before a run model is saved or shown (docs/reports.md「個人情報のマスク」).
//!
//! Everything renkei makes is synthetic, but a report travels — to a municipality, to an
//! evaluator, into a pull request — and must not teach anyone to pass 個人番号 around. So every
//! rendering and the saved evidence are masked unless `--unmasked` is asked for.
//!
//! A [`Masker`] finds personal data three ways:
//!
//! 1. **Known values** ([`Masker::add`]): the synthetic residents of the run (the runner adds
//!    their 氏名, 住所, 生年月日 and numbers), each with its common spellings (spaces, 和暦,
//!    `YYYYMMDD`, full-width digits, 4-4-4 groups).
//! 2. **Labelled fields** ([`Masker::learn_from`]): the value of a JSON member, XML element or
//!    CSV column named like 氏名 / `shimei`, 住所 / `jusho`, 生年月日 / `seinengappi`,
//!    個人番号 / `kojin_bango`, 住民票コード / `juminhyo_code` — so data no list foresaw is still
//!    hidden, wherever else in the run it appears.
//! 3. **Numbers by their form**, with no list: 12 digits whose check digit is right for a
//!    個人番号 (総務省令第85号 第5条, [`KojinBango`]), also as `1234 5678 9012`; and every run of
//!    exactly 11 digits, taken as a 住民票コード — its check-digit formula is not among renkei's
//!    sources (docs/identifiers.md), so all 11-digit numbers are hidden rather than none.
//!
//! A masked number keeps its length and nothing else (`＊＊＊＊＊＊＊＊＊＊＊＊`), so fixed-width
//! records stay aligned; a masked name, address or birth date becomes its kind in brackets
//! (`[氏名]`), which tells the reader what was there.

use std::collections::BTreeMap;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use renkei_fixtures::ids::KojinBango;
use time::{Date, Month};

use crate::{Evidence, Run};

/// The kinds of personal data renkei masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PersonalKind {
    /// 個人番号 (12 digits).
    KojinBango,
    /// 住民票コード (11 digits).
    JuminhyoCode,
    /// 氏名, in kanji or kana.
    Shimei,
    /// 住所.
    Jusho,
    /// 生年月日.
    Seinengappi,
}

impl PersonalKind {
    /// The Japanese name, as a masked value shows it.
    pub fn label(self) -> &'static str {
        match self {
            PersonalKind::KojinBango => "個人番号",
            PersonalKind::JuminhyoCode => "住民票コード",
            PersonalKind::Shimei => "氏名",
            PersonalKind::Jusho => "住所",
            PersonalKind::Seinengappi => "生年月日",
        }
    }

    /// What a value of this kind is replaced with.
    fn cover(self, value: &str) -> String {
        match self {
            PersonalKind::KojinBango | PersonalKind::JuminhyoCode => cover_digits(value),
            _ => format!("[{}]", self.label()),
        }
    }

    /// The kind a field with this name holds (`shimei`, `申請者氏名`, `juminhyo_code`, …).
    fn of_field(name: &str) -> Option<PersonalKind> {
        let lower = name.to_ascii_lowercase();
        let has = |ascii: &str, japanese: &str| lower.contains(ascii) || name.contains(japanese);
        if has("shimei", "氏名") {
            Some(PersonalKind::Shimei)
        } else if has("jusho", "住所") {
            Some(PersonalKind::Jusho)
        } else if has("seinengappi", "生年月日") {
            Some(PersonalKind::Seinengappi)
        } else if has("kojin_bango", "個人番号") {
            Some(PersonalKind::KojinBango)
        } else if has("juminhyo_code", "住民票コード") {
            Some(PersonalKind::JuminhyoCode)
        } else {
            None
        }
    }
}

/// Values shorter than this are not masked by list: a one-character 名 would hide that
/// character everywhere.
const MIN_CHARS: usize = 2;

/// Finds and hides personal data in text. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    /// Known values, each spelling separately; a `BTreeMap` so that two runs mask alike.
    known: BTreeMap<String, PersonalKind>,
    /// The known values compiled into one automaton on first use after a change: a run's
    /// evidence is megabytes and its residents thousands, too many to search for one by one.
    matcher: OnceLock<Option<(AhoCorasick, Vec<PersonalKind>)>>,
}

impl Masker {
    /// A masker that knows no values yet; it already hides numbers by their form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hides `value` (and its common spellings) wherever it appears.
    ///
    /// ```
    /// use renkei_reports::mask::{Masker, PersonalKind};
    /// let mut masker = Masker::new();
    /// masker.add(PersonalKind::Shimei, "𠮷田　花子");
    /// masker.add(PersonalKind::Seinengappi, "1989-01-07");
    /// assert_eq!(
    ///     masker.mask("𠮷田 花子 (昭和64年1月7日生)"),
    ///     "[氏名] ([生年月日]生)"
    /// );
    /// ```
    pub fn add(&mut self, kind: PersonalKind, value: &str) {
        let value = value.trim();
        let is_number = matches!(kind, PersonalKind::KojinBango | PersonalKind::JuminhyoCode);
        if is_number && !value.chars().all(|c| is_digit(c) || is_separator(c)) {
            // Not a number at all: hiding it as one would leave its text readable.
            return;
        }
        for spelling in spellings(kind, value) {
            if spelling.chars().count() >= MIN_CHARS {
                self.known.entry(spelling).or_insert(kind);
            }
        }
        self.matcher = OnceLock::new();
    }

    /// Learns the values of labelled fields in `text` (JSON members, XML elements, CSV columns
    /// named like 氏名 or `shimei`), so that they are hidden wherever they appear.
    pub fn learn_from(&mut self, text: &str) {
        let mut found = Vec::new();
        for caps in JSON_MEMBER.captures_iter(text) {
            if let Some(kind) = PersonalKind::of_field(&caps[1])
                && let Ok(value) = serde_json::from_str::<String>(&format!("\"{}\"", &caps[2]))
            {
                found.push((kind, value));
            }
        }
        for caps in ID_VALUE.captures_iter(text) {
            if let Some(kind) = PersonalKind::of_field(&caps[1])
                && let Ok(value) = serde_json::from_str::<String>(&format!("\"{}\"", &caps[2]))
            {
                found.push((kind, value));
            }
        }
        for caps in XML_ELEMENT.captures_iter(text) {
            if let Some(kind) = PersonalKind::of_field(&caps[1]) {
                found.push((kind, caps[2].to_owned()));
                found.push((kind, unescape_xml(&caps[2])));
            }
        }
        found.extend(csv_columns(text));
        for (kind, value) in found {
            self.add(kind, &value);
        }
    }

    /// `text` with every personal value it holds replaced.
    pub fn mask(&self, text: &str) -> String {
        mask_numbers(&self.mask_known(text))
    }

    fn mask_known(&self, text: &str) -> String {
        let matcher = self.matcher.get_or_init(|| {
            if self.known.is_empty() {
                return None;
            }
            let patterns: Vec<&str> = self.known.keys().map(String::as_str).collect();
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .expect("a few thousand literal patterns fit an automaton");
            Some((automaton, self.known.values().copied().collect()))
        });
        let Some((automaton, kinds)) = matcher else {
            return text.to_owned();
        };
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for found in automaton.find_iter(text) {
            let value = &text[found.range()];
            // A value that starts or ends with a digit only counts as a whole number:
            // 19890107 is a birth date, but not inside 2019890107123.
            let digit_before = text[..found.start()]
                .chars()
                .next_back()
                .is_some_and(is_digit);
            let digit_after = text[found.end()..].chars().next().is_some_and(is_digit);
            let starts_digit = value.chars().next().is_some_and(is_digit);
            let ends_digit = value.chars().next_back().is_some_and(is_digit);
            if (starts_digit && digit_before) || (ends_digit && digit_after) {
                continue;
            }
            out.push_str(&text[last..found.start()]);
            out.push_str(&kinds[found.pattern().as_usize()].cover(value));
            last = found.end();
        }
        out.push_str(&text[last..]);
        out
    }
}

impl Run {
    /// Masks the run in place: every step's text and message, every evidence title and body.
    /// Labelled fields anywhere in the evidence are learnt first, so a name seen in one
    /// system's answer is hidden in every other place it appears. Sets [`Run::masked`].
    pub fn mask(&mut self, masker: &Masker) {
        let mut masker = masker.clone();
        for scenario in &self.scenarios {
            for step in &scenario.steps {
                for evidence in &step.evidence {
                    masker.learn_from(&evidence.body);
                }
                if let Some(message) = &step.message {
                    masker.learn_from(message);
                }
            }
        }
        for scenario in &mut self.scenarios {
            for step in &mut scenario.steps {
                step.text = masker.mask(&step.text);
                if let Some(message) = &mut step.message {
                    *message = masker.mask(message);
                }
                for evidence in &mut step.evidence {
                    // Through `Evidence::new`, so the size limit still holds: `[氏名]` can be
                    // longer than the name it hides.
                    *evidence = Evidence::new(
                        &evidence.kind,
                        masker.mask(&evidence.title),
                        masker.mask(&evidence.body),
                    );
                }
            }
        }
        self.masked = true;
    }
}

/// `"shimei": "𠮷田　花子"`: a JSON member whose value is a string.
static JSON_MEMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""([^"\\]{1,64})"\s*:\s*"((?:[^"\\]|\\.){1,400})""#).expect("valid regex")
});

/// `{"id": "shinseisha_shimei", "value": "𠮷田　花子"}`: a form item as ぴったりサービス's
/// 申請データ names it, the field's name in one member and its value in the next.
static ID_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#""(?:id|name|key)"\s*:\s*"([^"\\]{1,64})"\s*,\s*"value"\s*:\s*"((?:[^"\\]|\\.){1,400})""#,
    )
    .expect("valid regex")
});

/// `<氏名>𠮷田　花子</氏名>`: an XML element holding only text.
static XML_ELEMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<([^\s<>/!?]{1,64})(?:\s[^<>]*)?>([^<]{1,400})</").expect("valid regex")
});

fn unescape_xml(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Values of CSV columns whose header names personal data: a header line, then the lines with
/// as many cells, until one has a different count. A header is at least three bare names
/// (no spaces, quotes or colons), so that a line of pretty-printed JSON, which has commas too,
/// is never taken for one.
fn csv_columns(text: &str) -> Vec<(PersonalKind, String)> {
    let mut found = Vec::new();
    let mut header: Option<(usize, Vec<(usize, PersonalKind)>)> = None;
    for line in text.lines() {
        if !line.contains(',') {
            header = None;
            continue;
        }
        let cells: Vec<&str> = line
            .split(',')
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        if let Some((count, columns)) = &header
            && *count == cells.len()
        {
            for (i, kind) in columns {
                found.push((*kind, cells[*i].to_owned()));
            }
            continue;
        }
        let bare = |cell: &&str| {
            !cell.is_empty()
                && !cell.chars().any(|c| {
                    c.is_whitespace() || matches!(c, '"' | '\'' | ':' | '{' | '}' | '<' | '>' | '=')
                })
        };
        let columns: Vec<(usize, PersonalKind)> = cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| PersonalKind::of_field(c).map(|k| (i, k)))
            .collect();
        header = (cells.len() >= 3 && cells.iter().all(bare) && !columns.is_empty())
            .then_some((cells.len(), columns));
    }
    found
}

/// The spellings of one value that text commonly holds.
fn spellings(kind: PersonalKind, value: &str) -> Vec<String> {
    let mut out = vec![value.to_owned()];
    match kind {
        PersonalKind::KojinBango | PersonalKind::JuminhyoCode => {
            let digits: String = value.chars().filter_map(ascii_digit).collect();
            if digits.len() >= 4 {
                out.push(full_width(&digits));
                if digits.len() == 12 {
                    let (a, rest) = digits.split_at(4);
                    let (b, c) = rest.split_at(4);
                    for sep in [" ", "-", "　"] {
                        out.push(format!("{a}{sep}{b}{sep}{c}"));
                    }
                }
                out.push(digits);
            }
        }
        PersonalKind::Shimei | PersonalKind::Jusho => {
            if value.contains([' ', '　']) {
                out.push(value.replace(['　', ' '], ""));
                out.push(value.replace('　', " "));
                out.push(value.replace(' ', "　"));
            }
        }
        PersonalKind::Seinengappi => {
            if let Some(date) = parse_date(value) {
                let (y, m, d) = (date.year(), u8::from(date.month()), date.day());
                out.extend([
                    format!("{y:04}-{m:02}-{d:02}"),
                    format!("{y:04}{m:02}{d:02}"),
                    format!("{y:04}/{m:02}/{d:02}"),
                    format!("{y}年{m}月{d}日"),
                    format!("{y}年{m:02}月{d:02}日"),
                    renkei_fixtures::wareki::to_wareki(date),
                ]);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `1989-01-07`, `1989/01/07` or `19890107`.
fn parse_date(value: &str) -> Option<Date> {
    let digits: String = value.chars().filter_map(ascii_digit).collect();
    let shape_ok = value.chars().all(|c| is_digit(c) || c == '-' || c == '/');
    if digits.len() != 8 || !shape_ok {
        return None;
    }
    let year: i32 = digits[..4].parse().ok()?;
    let month: u8 = digits[4..6].parse().ok()?;
    let day: u8 = digits[6..].parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// The ASCII digit a half- or full-width digit stands for.
fn ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

fn full_width(digits: &str) -> String {
    digits
        .chars()
        .filter_map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32))
        .collect()
}

/// Every digit as `＊`, everything else (the separators of `1234 5678 9012`) kept.
fn cover_digits(value: &str) -> String {
    value
        .chars()
        .map(|c| if is_digit(c) { '＊' } else { c })
        .collect()
}

/// A maximal run of digits in a text (byte offsets), and its digits as ASCII.
struct DigitRun {
    start: usize,
    end: usize,
    digits: String,
}

/// Hides numbers by their form: 個人番号 (12 digits with a valid check digit, also in 4-4-4
/// groups) and 住民票コード (any 11 digits).
fn mask_numbers(text: &str) -> String {
    let mut runs: Vec<DigitRun> = Vec::new();
    for (at, c) in text.char_indices() {
        let Some(d) = ascii_digit(c) else { continue };
        match runs.last_mut() {
            Some(run) if run.end == at => {
                run.end = at + c.len_utf8();
                run.digits.push(d);
            }
            _ => runs.push(DigitRun {
                start: at,
                end: at + c.len_utf8(),
                digits: d.to_string(),
            }),
        }
    }
    let mut covered: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        if let [a, b, c, ..] = &runs[i..]
            && [a, b, c].iter().all(|r| r.digits.len() == 4)
            && is_group_separator(&text[a.end..b.start])
            && text[a.end..b.start] == text[b.end..c.start]
            && is_kojin_bango(&format!("{}{}{}", a.digits, b.digits, c.digits))
        {
            covered.push((a.start, c.end));
            i += 3;
            continue;
        }
        let run = &runs[i];
        let hide = match run.digits.len() {
            12 => is_kojin_bango(&run.digits),
            11 => true,
            _ => false,
        };
        if hide {
            covered.push((run.start, run.end));
        }
        i += 1;
    }
    if covered.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in covered {
        out.push_str(&text[last..start]);
        out.push_str(&cover_digits(&text[start..end]));
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

fn is_group_separator(between: &str) -> bool {
    let mut chars = between.chars();
    chars.next().is_some_and(is_separator) && chars.next().is_none()
}

/// What people put between groups of digits: `1234 5678 9012`, `1234-5678-9012`.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '　' | '‐' | '－')
}

fn is_kojin_bango(digits: &str) -> bool {
    digits.parse::<KojinBango>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_hidden_by_their_form() {
        let masker = Masker::new();
        // 983205673214 has a valid check digit (総務省令第85号 第5条); …215 does not.
        assert_eq!(
            masker.mask("個人番号 983205673214、誤り 983205673215"),
            "個人番号 ＊＊＊＊＊＊＊＊＊＊＊＊、誤り 983205673215"
        );
        assert_eq!(
            masker.mask("9832 0567 3214 / ９８３２０５６７３２１４"),
            "＊＊＊＊ ＊＊＊＊ ＊＊＊＊ / ＊＊＊＊＊＊＊＊＊＊＊＊"
        );
        assert_eq!(
            masker.mask("住民票コード=99123456789;"),
            "住民票コード=＊＊＊＊＊＊＊＊＊＊＊;"
        );
        // Longer or shorter runs are other numbers: 受付番号 (15), 団体コード (6).
        assert_eq!(
            masker.mask("170401000000001 131016"),
            "170401000000001 131016"
        );
    }

    #[test]
    fn known_values_with_their_spellings() {
        let mut masker = Masker::new();
        masker.add(PersonalKind::Shimei, "𠮷田　花子");
        masker.add(PersonalKind::Jusho, "東京都千代田区千代田1丁目1番1号");
        masker.add(PersonalKind::Seinengappi, "1985-06-15");
        assert_eq!(
            masker.mask("𠮷田花子、東京都千代田区千代田1丁目1番1号、19850615、昭和60年6月15日"),
            "[氏名]、[住所]、[生年月日]、[生年月日]"
        );
        // A birth date inside a longer number is not one.
        assert_eq!(masker.mask("2019850615001"), "2019850615001");
    }

    #[test]
    fn labelled_fields_are_learnt() {
        let mut masker = Masker::new();
        masker.learn_from(
            r#"{"shimei": "𠮷田　髙﨑", "seinengappi": "1989-01-07", "seibetsu": "女", "jusho": "東京都千代田区…"}"#,
        );
        masker.learn_from("<申請者><氏名>山田　太郎</氏名></申請者>");
        masker.learn_from("住民票コード,個人番号,氏名\n99000000001,983205673214,鈴木　一郎\n");
        assert_eq!(
            masker.mask("𠮷田　髙﨑 山田太郎 鈴木　一郎 女 昭和64年1月7日"),
            "[氏名] [氏名] [氏名] 女 [生年月日]"
        );
    }

    #[test]
    fn pretty_json_is_not_taken_for_csv() {
        let body = "{\n  \"juminhyo_code\": \"99678144969\",\n  \"jusho\": \"東京都千代田区岩本町2丁目3番12号\",\n  \"shimei\": \"髙橋　節子\",\n  \"seinengappi\": \"1950-03-04\"\n}";
        let mut masker = Masker::new();
        masker.learn_from(body);
        assert_eq!(
            masker.mask(body),
            "{\n  \"juminhyo_code\": \"＊＊＊＊＊＊＊＊＊＊＊\",\n  \"jusho\": \"[住所]\",\n  \"shimei\": \"[氏名]\",\n  \"seinengappi\": \"[生年月日]\"\n}"
        );
    }

    #[test]
    fn form_items_named_by_id_are_learnt() {
        let body = "[\n  {\n    \"id\": \"shibou_jukyusha_shimei\",\n    \"value\": \"後藤　太郎\"\n  },\n  {\"id\": \"denwa\", \"value\": \"090-0000-1931\"}\n]";
        let mut masker = Masker::new();
        masker.learn_from(body);
        let masked = masker.mask(body);
        assert!(masked.contains("\"value\": \"[氏名]\""), "{masked}");
        assert!(masked.contains("090-0000-1931"), "{masked}");
    }

    #[test]
    fn a_number_kind_only_takes_numbers() {
        let mut masker = Masker::new();
        masker.add(PersonalKind::JuminhyoCode, "jusho: 東京都千代田区1丁目");
        assert_eq!(masker.mask("東京都千代田区1丁目"), "東京都千代田区1丁目");
    }

    #[test]
    fn a_run_is_masked_everywhere() {
        let mut run = crate::sample::run();
        assert!(run.scenarios.iter().any(|s| {
            s.steps
                .iter()
                .any(|st| st.evidence.iter().any(|e| e.body.contains("983205673214")))
        }));
        run.masked = false;
        run.mask(&Masker::new());
        assert!(run.masked);
        let text = serde_json::to_string(&run).unwrap();
        assert!(!text.contains("983205673214"), "{text}");
        assert!(!text.contains("𠮷田　花子"), "{text}");
    }
}
