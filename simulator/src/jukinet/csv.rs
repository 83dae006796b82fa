//! CSV形式: the files in UTF-8 CSV (RFC 4180), every character as the CS holds it.
//!
//! Layout of a file:
//!
//! | line | holds |
//! |---|---|
//! | 1 | the file header's column names (ファイルID, 作成日時, 対象期間開始, 対象期間終了, データ件数) |
//! | 2 | the file header's values |
//! | 3 | the record's column names |
//! | 4… | one record a line |
//!
//! UTF-8 without a BOM; every line, the last included, ends in CRLF; a value is quoted only when
//! it holds `"`, `,`, CR or LF, and `"` inside quotes is doubled. The reader refuses a BOM,
//! bare CR or LF line ends, empty lines, and wrong column names, naming the line and the column.

use super::error::{FileForm, Problem, ReadError, WriteError};
use super::file::{FileHeader, JukinetFile};
use super::layout::HEADER_ITEMS;
use super::record::Record;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes `file` as UTF-8 CSV.
pub fn write_csv<R: Record>(file: &JukinetFile<R>) -> Result<String, WriteError> {
    let form = FileForm::Csv;
    file.header
        .check(&file.records)
        .map_err(|e| e.write_error(form))?;
    let mut out = Lines::default();
    out.push(HEADER_ITEMS.iter().map(|k| k.name.to_owned()).collect());
    out.push(file.header.to_row(file.records.len()));
    out.push(R::ITEMS.iter().map(|k| k.name.to_owned()).collect());
    for (index, record) in file.records.iter().enumerate() {
        let row = record.to_row(file.header.created).map_err(|e| WriteError {
            form,
            record: index + 1,
            field: Some(R::ITEMS[e.index].name),
            problem: e.problem,
        })?;
        out.push(row);
    }
    Ok(out.finish())
}

/// Reads a UTF-8 CSV file of records `R`.
pub fn read_csv<R: Record>(bytes: &[u8]) -> Result<JukinetFile<R>, ReadError> {
    let form = FileForm::Csv;
    let lines = read_lines(bytes, form)?;
    let missing = |what: &'static str| ReadError {
        form,
        line: lines.last().map_or(1, |l| l.number + 1),
        field: None,
        problem: Problem::Missing { what },
    };
    let header_names: Vec<&'static str> = HEADER_ITEMS.iter().map(|k| k.name).collect();
    let record_names: Vec<&'static str> = R::ITEMS.iter().map(|k| k.name).collect();

    let names_line = lines
        .first()
        .ok_or_else(|| missing("1行目 (ファイルヘッダの列名)"))?;
    expect_names(names_line, &header_names, form)?;
    let header_line = lines
        .get(1)
        .ok_or_else(|| missing("2行目 (ファイルヘッダ)"))?;
    let header_values = header_line.strings(&header_names, form)?;
    let (header, stated) = FileHeader::from_row(&header_values).map_err(|e| ReadError {
        form,
        line: header_line.number,
        field: Some(header_names[e.index]),
        problem: e.problem,
    })?;
    let columns_line = lines
        .get(2)
        .ok_or_else(|| missing("3行目 (レコードの列名)"))?;
    expect_names(columns_line, &record_names, form)?;

    let data = &lines[3..];
    let mut records = Vec::with_capacity(data.len());
    for line in data {
        let values = line.strings(&record_names, form)?;
        let record = R::from_row(&values, header.created).map_err(|e| ReadError {
            form,
            line: line.number,
            field: Some(record_names[e.index]),
            problem: e.problem,
        })?;
        records.push(record);
    }
    if stated.parse::<usize>().ok() != Some(records.len()) {
        return Err(ReadError {
            form,
            line: header_line.number,
            field: Some("データ件数"),
            problem: Problem::Count {
                stated,
                actual: records.len(),
            },
        });
    }
    header.check(&records).map_err(|e| ReadError {
        form,
        line: e
            .record
            .map_or(header_line.number, |index| data[index].number),
        field: Some(e.field),
        problem: e.problem,
    })?;
    Ok(JukinetFile { header, records })
}

/// Lines of CSV being written: CRLF, quoting only where needed.
pub(crate) struct Lines(::csv::Writer<Vec<u8>>);

impl Default for Lines {
    fn default() -> Self {
        Self(
            ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .quote_style(::csv::QuoteStyle::Necessary)
                .flexible(true)
                .from_writer(Vec::new()),
        )
    }
}

impl Lines {
    pub(crate) fn push(&mut self, values: Vec<String>) {
        self.0
            .write_record(&values)
            .expect("writing to memory cannot fail");
    }

    pub(crate) fn finish(self) -> String {
        let bytes = self.0.into_inner().expect("writing to memory cannot fail");
        String::from_utf8(bytes).expect("every value was a String")
    }
}

/// One CSV record as read, with the line it starts on.
pub(crate) struct CsvLine {
    pub number: usize,
    record: ::csv::ByteRecord,
}

impl CsvLine {
    /// The values as text, checking there is one per column and each is UTF-8.
    pub(crate) fn strings(
        &self,
        names: &[&'static str],
        form: FileForm,
    ) -> Result<Vec<String>, ReadError> {
        if self.record.len() != names.len() {
            return Err(ReadError {
                form,
                line: self.number,
                field: None,
                problem: Problem::ColumnCount {
                    expected: names.len(),
                    got: self.record.len(),
                },
            });
        }
        self.record
            .iter()
            .zip(names)
            .map(|(bytes, name)| {
                String::from_utf8(bytes.to_vec()).map_err(|_| ReadError {
                    form,
                    line: self.number,
                    field: Some(name),
                    problem: Problem::Utf8,
                })
            })
            .collect()
    }
}

/// Checks a line of column names.
pub(crate) fn expect_names(
    line: &CsvLine,
    names: &[&'static str],
    form: FileForm,
) -> Result<(), ReadError> {
    let values = line.strings(names, form)?;
    for (found, expected) in values.iter().zip(names) {
        if found != expected {
            return Err(ReadError {
                form,
                line: line.number,
                field: Some(expected),
                problem: Problem::ColumnName {
                    expected,
                    found: found.clone(),
                },
            });
        }
    }
    Ok(())
}

/// Splits a CSV file into records, refusing a BOM, line ends other than CRLF, and empty lines.
pub(crate) fn read_lines(bytes: &[u8], form: FileForm) -> Result<Vec<CsvLine>, ReadError> {
    let at = |line: usize, problem: Problem| ReadError {
        form,
        line,
        field: None,
        problem,
    };
    if bytes.starts_with(BOM) {
        return Err(at(1, Problem::Bom));
    }
    let starts = record_lines(bytes).map_err(|(line, problem)| at(line, problem))?;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = Vec::new();
    let mut record = ::csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let number = starts.get(lines.len()).copied().unwrap_or(0);
                lines.push(CsvLine {
                    number,
                    record: record.clone(),
                });
            }
            Err(e) => {
                let line = e.position().map_or(1, |p| p.line() as usize);
                return Err(at(line, Problem::Csv(e.to_string())));
            }
        }
    }
    // The grammar above and the parser agree on valid files; say so if they ever do not.
    if lines.len() != starts.len() {
        return Err(at(
            starts.len().min(lines.len()) + 1,
            Problem::Csv(format!(
                "レコードの数が合いません (改行から{}件、CSV パーサから{}件)",
                starts.len(),
                lines.len()
            )),
        ));
    }
    Ok(lines)
}

/// Where a CSV scan is: the RFC 4180 grammar, by hand, for line numbers and strictness.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// At the start of a record (the file's start, or just after a CRLF).
    RecordStart,
    /// At the start of a field after a comma.
    FieldStart,
    /// Inside a field that is not quoted.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a `"` inside a quoted field: `""` or the field's end.
    QuoteInQuoted,
}

/// Checks the file against RFC 4180 with CRLF line ends (the last line too), no empty lines,
/// and quotes only around whole fields; gives the line on which each record starts.
fn record_lines(bytes: &[u8]) -> Result<Vec<usize>, (usize, Problem)> {
    let quote = |reason| Problem::Quote { reason };
    let mut starts = Vec::new();
    let mut line = 1;
    let mut state = Scan::RecordStart;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let crlf = b == b'\r' && bytes.get(i + 1) == Some(&b'\n');
        if state == Scan::RecordStart {
            if crlf {
                return Err((line, Problem::EmptyLine));
            }
            starts.push(line);
            state = Scan::FieldStart;
        }
        state = match (state, b) {
            (Scan::Quoted, b'"') => Scan::QuoteInQuoted,
            (Scan::Quoted, b'\n') => {
                line += 1;
                Scan::Quoted
            }
            (Scan::Quoted, _) => Scan::Quoted,
            (Scan::QuoteInQuoted, b'"') => Scan::Quoted,
            (Scan::FieldStart, b'"') => Scan::Quoted,
            (Scan::Unquoted, b'"') => return Err((line, quote("値の途中に \" があります"))),
            (_, b',') => Scan::FieldStart,
            (_, b'\r') if crlf => {
                line += 1;
                i += 2;
                state = Scan::RecordStart;
                continue;
            }
            (_, b'\r' | b'\n') => return Err((line, Problem::LineEnd)),
            (Scan::QuoteInQuoted, _) => {
                return Err((line, quote("閉じる \" の後に , か改行以外の文字があります")));
            }
            _ => Scan::Unquoted,
        };
        i += 1;
    }
    match state {
        Scan::RecordStart => Ok(starts),
        Scan::Quoted => Err((line, quote("\" が閉じていません"))),
        _ => Err((line, Problem::LineEnd)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines_follow_rfc_4180_with_crlf() {
        assert_eq!(record_lines(b"a,b\r\nc,d\r\n"), Ok(vec![1, 2]));
        assert_eq!(record_lines(b"a,\"x\r\ny\"\r\nb\r\n"), Ok(vec![1, 3]));
        assert_eq!(record_lines(b"\"a\"\"b\",c\r\n"), Ok(vec![1]));
        assert_eq!(record_lines(b""), Ok(vec![]));
        assert_eq!(record_lines(b"a,b\r\nc,d\n"), Err((2, Problem::LineEnd)));
        assert_eq!(record_lines(b"a,b\r\nc,d"), Err((2, Problem::LineEnd)));
        assert_eq!(
            record_lines(b"a\r\n\r\nb\r\n"),
            Err((2, Problem::EmptyLine))
        );
        assert!(matches!(
            record_lines(b"a\"b\r\n"),
            Err((1, Problem::Quote { .. }))
        ));
        assert!(matches!(
            record_lines(b"\"a\"b\r\n"),
            Err((1, Problem::Quote { .. }))
        ));
        assert!(matches!(
            record_lines(b"\"a\r\n"),
            Err((2, Problem::Quote { .. }))
        ));
    }
}
