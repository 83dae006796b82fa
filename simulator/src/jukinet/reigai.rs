//! 外字例外ファイル: what the fixed-length file could not hold, and how to put it back.
//!
//! Beside every fixed-length file the CS writes one exception file (UTF-8 CSV, always, with only
//! its header line when nothing went wrong). Each row names one 〓 in the fixed-length file: the
//! record, the item, the character position, the original character, and the whole original value.
//! [`restore`] puts the two together and gives back exactly the values the CS holds (JUK-06).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;

use super::csv::{self as csv_form, CsvLine};
use super::error::{FileForm, Problem, ReadError, RestoreError, RestoreProblem};
use super::file::{FileId, JukinetFile};
use super::gaiji::{code_point, decode_moji, encode_moji};
use super::layout::{Kata, Komoku};
use super::record::Record;

/// Why a 〓 is in the fixed-length file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReigaiShubetsu {
    /// 外字: the character at this position cannot be carried; 〓 stands for that one character.
    Gaiji,
    /// 桁あふれ: the value is longer than the item; it was cut here, and 〓 stands for this
    /// character and everything after it.
    KetaAfure,
}

impl ReigaiShubetsu {
    /// The word written in the file.
    pub fn meisho(self) -> &'static str {
        match self {
            Self::Gaiji => "外字",
            Self::KetaAfure => "桁あふれ",
        }
    }

    fn from_meisho(text: &str) -> Option<Self> {
        [Self::Gaiji, Self::KetaAfure]
            .into_iter()
            .find(|s| s.meisho() == text)
    }
}

/// One row of the 外字例外ファイル.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reigai {
    /// The fixed-length file the row belongs to.
    pub file_id: FileId,
    /// レコード番号 of the data record.
    pub record: usize,
    /// 項目名 of a 全角 item of that record.
    pub komoku: &'static str,
    /// 1-based position of the 〓 in the item, counted in characters (Unicode scalar values;
    /// 𠮷 is one). The same position holds the original character in 元の値.
    pub position: usize,
    pub shubetsu: ReigaiShubetsu,
    /// 元の文字: the character the 〓 replaced (for 桁あふれ, the first character cut off).
    pub moji: char,
    /// 元の値: the whole value of the item, in UTF-8.
    pub moto_no_atai: String,
}

/// The exception file's columns, with what each holds (for the docs).
pub const COLUMNS: &[(&str, &str)] = &[
    ("ファイルID", "例外が属する固定長ファイルのファイルID"),
    ("レコード番号", "データレコードのレコード番号"),
    ("項目名", "全角項目の項目名"),
    (
        "文字位置",
        "項目の中の〓の位置 (1から、文字単位。𠮷も1文字)",
    ),
    (
        "種別",
        "`外字` (その1文字を〓にした) / `桁あふれ` (ここで切り、〓を置いた)",
    ),
    (
        "元の文字",
        "〓が置き換えた文字 (桁あふれでは切った最初の文字)。`U+` と16進4〜6桁",
    ),
    ("元の値", "項目の元の値全体 (UTF-8)"),
];

/// The exception file's columns as Markdown.
pub fn columns_markdown() -> String {
    let mut out = String::from("| No | 列名 | 内容 |\n|---|---|---|\n");
    for (no, (name, what)) in COLUMNS.iter().enumerate() {
        out.push_str(&format!("| {} | {name} | {what} |\n", no + 1));
    }
    out
}

fn column_names() -> Vec<&'static str> {
    COLUMNS.iter().map(|(name, _)| *name).collect()
}

/// Writes the exception file: a header line, then one line per row, UTF-8, CRLF, no BOM.
pub fn write_exceptions(rows: &[Reigai]) -> String {
    let mut out = csv_form::Lines::default();
    out.push(column_names().iter().map(|s| s.to_string()).collect());
    for row in rows {
        out.push(vec![
            row.file_id.id().to_owned(),
            row.record.to_string(),
            row.komoku.to_owned(),
            row.position.to_string(),
            row.shubetsu.meisho().to_owned(),
            code_point(row.moji),
            row.moto_no_atai.clone(),
        ]);
    }
    out.finish()
}

/// Reads an exception file, checking each row on its own (the item is a 全角 item of the file
/// kind, and 元の文字 is at 文字位置 in 元の値). Whether the rows fit a fixed-length file is
/// [`restore`]'s business.
pub fn read_exceptions(bytes: &[u8]) -> Result<Vec<Reigai>, ReadError> {
    let form = FileForm::Exceptions;
    let names = column_names();
    let lines = csv_form::read_lines(bytes, form)?;
    let Some(first) = lines.first() else {
        return Err(ReadError {
            form,
            line: 1,
            field: None,
            problem: Problem::Missing {
                what: "列名の行"
            },
        });
    };
    csv_form::expect_names(first, &names, form)?;
    lines[1..]
        .iter()
        .map(|line| read_row(line, &names))
        .collect()
}

fn read_row(line: &CsvLine, names: &[&'static str]) -> Result<Reigai, ReadError> {
    let form = FileForm::Exceptions;
    let values = line.strings(names, form)?;
    let at = |index: usize, problem: Problem| ReadError {
        form,
        line: line.number,
        field: Some(names[index]),
        problem,
    };
    let file_id = FileId::from_id(&values[0]).ok_or_else(|| {
        at(
            0,
            Problem::FileId {
                found: values[0].clone(),
                allowed: FileId::ALL.map(FileId::id).join(", "),
            },
        )
    })?;
    let number = |index: usize| -> Result<usize, ReadError> {
        let text = &values[index];
        text.parse::<usize>()
            .ok()
            .filter(|n| {
                *n >= 1 && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0')
            })
            .ok_or_else(|| {
                at(
                    index,
                    Problem::NotDigits {
                        value: text.clone(),
                    },
                )
            })
    };
    let record = number(1)?;
    let komoku = moji_item(file_id, &values[2]).ok_or_else(|| {
        at(
            2,
            Problem::NotMojiItem {
                name: values[2].clone(),
            },
        )
    })?;
    let position = number(3)?;
    let shubetsu = ReigaiShubetsu::from_meisho(&values[4]).ok_or_else(|| {
        at(
            4,
            Problem::Shubetsu {
                value: values[4].clone(),
            },
        )
    })?;
    let moji = parse_code_point(&values[5]).ok_or_else(|| {
        at(
            5,
            Problem::CodePoint {
                value: values[5].clone(),
            },
        )
    })?;
    let moto_no_atai = values[6].clone();
    let found = moto_no_atai.chars().nth(position - 1);
    if found != Some(moji) {
        return Err(at(
            6,
            Problem::ReigaiMoji {
                position: position.to_string(),
                expected: code_point(moji),
                found: found.map_or("(なし)".to_owned(), code_point),
            },
        ));
    }
    Ok(Reigai {
        file_id,
        record,
        komoku,
        position,
        shubetsu,
        moji,
        moto_no_atai,
    })
}

/// The 全角 item of `file_id`'s records named `name`.
fn moji_item(file_id: FileId, name: &str) -> Option<&'static str> {
    file_id
        .items()
        .iter()
        .find(|k| k.name == name && k.kata() == Kata::Zenkaku)
        .map(|k| k.name)
}

fn parse_code_point(text: &str) -> Option<char> {
    let digits = text.strip_prefix("U+")?;
    if !(4..=6).contains(&digits.len())
        || !digits
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    {
        return None;
    }
    u32::from_str_radix(digits, 16)
        .ok()
        .and_then(char::from_u32)
}

/// The file with every 〓 that has an exception row replaced by what it stands for.
///
/// For each item with rows, the rows' 元の値 is written again with the writer's own rule; the
/// result must be exactly the item in the file and exactly the rows given, or the two files do
/// not belong together and nothing is restored. A 〓 with no row is a real 〓 and stays.
pub fn restore<R: Record>(
    file: &JukinetFile<R>,
    exceptions: &[Reigai],
) -> Result<JukinetFile<R>, RestoreError> {
    let mut by_item: BTreeMap<(usize, &'static str), Vec<&Reigai>> = BTreeMap::new();
    for row in exceptions {
        by_item
            .entry((row.record, row.komoku))
            .or_default()
            .push(row);
    }
    let created = file.header.created;
    let mut rows: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for ((record, komoku), group) in by_item {
        let fail = |problem| RestoreError {
            record,
            field: komoku.to_owned(),
            problem,
        };
        if let Some(other) = group.iter().find(|r| r.file_id != file.header.id) {
            return Err(fail(RestoreProblem::FileId {
                exceptions: other.file_id.id(),
                file: file.header.id.id(),
            }));
        }
        let Some(source) = record.checked_sub(1).and_then(|i| file.records.get(i)) else {
            return Err(fail(RestoreProblem::NoSuchRecord {
                count: file.records.len(),
            }));
        };
        let Some((index, item)) = R::ITEMS
            .iter()
            .enumerate()
            .find(|(_, k)| k.name == komoku && k.kata() == Kata::Zenkaku)
        else {
            return Err(fail(RestoreProblem::NotMojiItem));
        };
        let original = &group[0].moto_no_atai;
        if let Some(other) = group.iter().find(|r| &r.moto_no_atai != original) {
            return Err(fail(RestoreProblem::ValuesDiffer {
                first: original.clone(),
                other: other.moto_no_atai.clone(),
            }));
        }
        let row = match rows.entry(record) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(
                source
                    .to_row(created)
                    .map_err(|e| fail(RestoreProblem::Record(e.problem)))?,
            ),
        };
        let expected = rewrite(item, original).map_err(|p| fail(RestoreProblem::Record(p)))?;
        if row[index] != expected.text {
            return Err(fail(RestoreProblem::ValueMismatch {
                found: row[index].clone(),
                original: original.clone(),
                expected: expected.text,
            }));
        }
        let mut given: Vec<Key> = group
            .iter()
            .map(|r| Key(r.position, r.shubetsu, r.moji))
            .collect();
        given.sort();
        if given != expected.rows {
            return Err(fail(RestoreProblem::RowsMismatch {
                original: original.clone(),
                expected: expected
                    .rows
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            }));
        }
        row[index] = original.clone();
    }
    let mut restored = file.clone();
    for (record, row) in rows {
        let komoku = |index: usize| R::ITEMS[index].name.to_owned();
        restored.records[record - 1] = R::from_row(&row, created).map_err(|e| RestoreError {
            record,
            field: komoku(e.index),
            problem: RestoreProblem::Record(e.problem),
        })?;
    }
    Ok(restored)
}

/// An exception row reduced to what the writer decides: (文字位置, 種別, 元の文字).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key(usize, ReigaiShubetsu, char);

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}文字目 {} {}",
            self.0,
            self.1.meisho(),
            code_point(self.2)
        )
    }
}

/// What the writer makes of `original` in `item`: the text a reader sees, and the rows.
struct Rewritten {
    text: String,
    rows: Vec<Key>,
}

fn rewrite(item: &Komoku, original: &str) -> Result<Rewritten, Problem> {
    let encoded = encode_moji(original, item.width)?;
    let text = decode_moji(&encoded.bytes)?;
    let mut rows: Vec<Key> = encoded
        .reigai
        .iter()
        .map(|r| Key(r.position, r.shubetsu, r.moji))
        .collect();
    rows.sort();
    Ok(Rewritten { text, rows })
}
