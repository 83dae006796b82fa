//! 固定長形式: the files as fixed-length Shift_JIS records, with a 外字例外ファイル beside them.
//!
//! A file is one header record (レコード区分 `1`), one data record per row (`2`, numbered by
//! レコード番号 from 1) and one trailer record (`9`). Every record of a file has the same length
//! (header and trailer are filled with 予備), and ends in CRLF. Items are laid out by the tables in
//! [`layout`](super::layout) and written by their kind:
//!
//! - 9 数字: ASCII digits, right-aligned, zero-padded; absent dates and times are all zeros;
//! - X 半角: ASCII, left-aligned, space-padded;
//! - N 全角: JIS X 0208 in Shift_JIS, left-aligned, padded with 全角空白 (and one ASCII space
//!   when a byte is left over); what it cannot hold becomes 〓 and an exception row
//!   ([`gaiji`](super::gaiji), [`reigai`](super::reigai)).

use super::error::{FileForm, Problem, ReadError, WriteError};
use super::file::{FileHeader, FileId, JukinetFile};
use super::gaiji::{MojiReigai, decode_moji, encode_moji};
use super::layout::{
    Atai, HEADER_ITEMS, Kata, Komoku, RECORD_KUBUN, RecordKubun, TRAILER_ITEMS, fixed_layout,
    record_length,
};
use super::nichiji::{Nichiji, date_from_csv, date_from_fixed, date_to_csv, date_to_fixed};
use super::record::Record;
use super::reigai::{Reigai, write_exceptions};

const CRLF: &[u8] = b"\r\n";

/// A fixed-length file as written: its bytes and the rows of its 外字例外ファイル.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedOutput {
    /// The Shift_JIS file.
    pub data: Vec<u8>,
    /// Every 〓 the writer put in, in record and item order.
    pub exceptions: Vec<Reigai>,
}

impl FixedOutput {
    /// The 外字例外ファイル (UTF-8 CSV; only its header line when there are no rows).
    pub fn exceptions_csv(&self) -> String {
        write_exceptions(&self.exceptions)
    }
}

/// Writes `file` as fixed-length Shift_JIS, with its exception rows.
pub fn write_fixed<R: Record>(file: &JukinetFile<R>) -> Result<FixedOutput, WriteError> {
    let form = FileForm::Fixed;
    let header = &file.header;
    header
        .check(&file.records)
        .map_err(|e| e.write_error(form))?;
    let count = file.records.len();
    let mut data = Vec::with_capacity((count + 2) * (record_length(header.id) + CRLF.len()));
    let mut exceptions = Vec::new();
    let error = |record: usize, field: &'static str, problem| WriteError {
        form,
        record,
        field: Some(field),
        problem,
    };

    let mut values = vec![RecordKubun::Header.code().to_owned()];
    values.extend(header.to_row(count));
    write_record(
        &mut data,
        header.id,
        RecordKubun::Header,
        values,
        |_, _, _| {},
    )
    .map_err(|(field, problem)| error(0, field, problem))?;

    for (index, record) in file.records.iter().enumerate() {
        let number = index + 1;
        let row = record
            .to_row(header.created)
            .map_err(|e| error(number, R::ITEMS[e.index].name, e.problem))?;
        let mut values = vec![RecordKubun::Data.code().to_owned(), number.to_string()];
        values.extend(row);
        write_record(
            &mut data,
            header.id,
            RecordKubun::Data,
            values,
            |item, original, rows| {
                exceptions.extend(rows.into_iter().map(|r| Reigai {
                    file_id: header.id,
                    record: number,
                    komoku: item.name,
                    position: r.position,
                    shubetsu: r.shubetsu,
                    moji: r.moji,
                    moto_no_atai: original.to_owned(),
                }));
            },
        )
        .map_err(|(field, problem)| error(number, field, problem))?;
    }

    let values = vec![
        RecordKubun::Trailer.code().to_owned(),
        header.id.id().to_owned(),
        count.to_string(),
    ];
    write_record(
        &mut data,
        header.id,
        RecordKubun::Trailer,
        values,
        |_, _, _| {},
    )
    // The trailer repeats header values: what fails here failed in the header first, so it is
    // reported against the header.
    .map_err(|(field, problem)| error(0, field, problem))?;
    Ok(FixedOutput { data, exceptions })
}

/// Appends one record. `values` are in the CSV form, one per item before 予備; `on_reigai` is
/// told of every 〓 put into a 全角 item, with the item's whole value.
fn write_record(
    out: &mut Vec<u8>,
    file: FileId,
    kubun: RecordKubun,
    values: Vec<String>,
    mut on_reigai: impl FnMut(&Komoku, &str, Vec<MojiReigai>),
) -> Result<(), (&'static str, Problem)> {
    let layout = fixed_layout(file, kubun);
    let mut values = values.into_iter();
    for item in &layout {
        let value = if item.atai == Atai::Yobi {
            String::new()
        } else {
            values.next().expect("one value per item")
        };
        let (bytes, reigai) = encode_item(item, &value).map_err(|p| (item.name, p))?;
        out.extend_from_slice(&bytes);
        if !reigai.is_empty() {
            on_reigai(item, &value, reigai);
        }
    }
    out.extend_from_slice(CRLF);
    Ok(())
}

/// One item's bytes (padded to its width), from its value in the CSV form.
fn encode_item(item: &Komoku, value: &str) -> Result<(Vec<u8>, Vec<MojiReigai>), Problem> {
    if item.kata() == Kata::Zenkaku {
        let encoded = encode_moji(value, item.width)?;
        return Ok((encoded.bytes, encoded.reigai));
    }
    let text = match item.atai {
        Atai::Hizuke | Atai::Nichiji if value.is_empty() => "0".repeat(item.width),
        Atai::Hizuke => date_from_csv(value)
            .and_then(date_to_fixed)
            .ok_or_else(|| Problem::Hizuke {
                value: value.to_owned(),
            })?,
        Atai::Nichiji => value
            .parse::<Nichiji>()
            .map(Nichiji::to_fixed)
            .map_err(|_| Problem::Nichiji {
                value: value.to_owned(),
            })?,
        _ => value.to_owned(),
    };
    if text.len() > item.width {
        return Err(Problem::TooLong {
            value: text,
            width: item.width,
        });
    }
    let mut bytes = Vec::with_capacity(item.width);
    if item.kata() == Kata::Suuji {
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Problem::NotDigits { value: text });
        }
        bytes.resize(item.width - text.len(), b'0');
        bytes.extend_from_slice(text.as_bytes());
    } else {
        if !text.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
            return Err(Problem::NotAscii { value: text });
        }
        bytes.extend_from_slice(text.as_bytes());
        bytes.resize(item.width, b' ');
    }
    Ok((bytes, Vec::new()))
}

/// Reads a fixed-length file of records `R`. 〓 stay as they are: apply the exception file
/// with [`restore`](super::reigai::restore).
pub fn read_fixed<R: Record>(bytes: &[u8]) -> Result<JukinetFile<R>, ReadError> {
    let form = FileForm::Fixed;
    let at = |line: usize, field: Option<&'static str>, problem| ReadError {
        form,
        line,
        field,
        problem,
    };
    let lines = split_lines(bytes).map_err(|(line, problem)| at(line, None, problem))?;
    let Some(first) = lines.first() else {
        return Err(at(
            1,
            None,
            Problem::Missing {
                what: "ヘッダレコード",
            },
        ));
    };

    // The file kind decides the record length, so it is read first.
    let file_item = HEADER_ITEMS[0];
    let id_text = String::from_utf8_lossy(first.get(1..1 + file_item.width).unwrap_or(first));
    let file = FileId::from_id(id_text.trim_end())
        .filter(|f| R::FILE_IDS.contains(f))
        .ok_or_else(|| {
            at(
                1,
                Some(file_item.name),
                Problem::FileId {
                    found: id_text.trim_end().to_owned(),
                    allowed: R::FILE_IDS
                        .iter()
                        .map(|f| f.id())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            )
        })?;
    let length = record_length(file);

    // Every line has the length; then the record kinds run header, data…, trailer.
    for (index, line) in lines.iter().enumerate() {
        if line.len() != length {
            return Err(at(
                index + 1,
                None,
                Problem::RecordLength {
                    expected: length,
                    got: line.len(),
                },
            ));
        }
    }
    let trailer_at = lines.len() - 1;
    for (index, line) in lines.iter().enumerate() {
        let kubun = &line[..1];
        let expected = if index == 0 {
            RecordKubun::Header
        } else if kubun == b"9" && index < trailer_at {
            return Err(at(
                index + 2,
                None,
                Problem::Extra {
                    what: "トレーラレコード",
                },
            ));
        } else if kubun == b"2" && index == trailer_at {
            return Err(at(
                index + 2,
                None,
                Problem::Missing {
                    what: "トレーラレコード",
                },
            ));
        } else if index == trailer_at {
            RecordKubun::Trailer
        } else {
            RecordKubun::Data
        };
        if kubun != expected.code().as_bytes() {
            return Err(at(
                index + 1,
                Some(RECORD_KUBUN.name),
                Problem::RecordKubun {
                    expected: expected.code(),
                    what: expected.meisho(),
                    found: String::from_utf8_lossy(kubun).into_owned(),
                },
            ));
        }
    }
    if trailer_at == 0 {
        return Err(at(
            2,
            None,
            Problem::Missing {
                what: "トレーラレコード",
            },
        ));
    }

    let header_layout = fixed_layout(file, RecordKubun::Header);
    let header_values = decode_record(first, &header_layout).map_err(|(f, p)| at(1, Some(f), p))?;
    let (header, stated) = FileHeader::from_row(&header_values[1..=HEADER_ITEMS.len()])
        .map_err(|e| at(1, Some(HEADER_ITEMS[e.index].name), e.problem))?;

    let data_layout = fixed_layout(file, RecordKubun::Data);
    let data_lines = &lines[1..trailer_at];
    let mut records = Vec::with_capacity(data_lines.len());
    for (index, line) in data_lines.iter().enumerate() {
        let line_number = index + 2;
        let values =
            decode_record(line, &data_layout).map_err(|(f, p)| at(line_number, Some(f), p))?;
        if values[1] != (index + 1).to_string() {
            return Err(at(
                line_number,
                Some(data_layout[1].name),
                Problem::RecordBango {
                    expected: index + 1,
                    found: values[1].clone(),
                },
            ));
        }
        let items = &values[2..2 + R::ITEMS.len()];
        let record = R::from_row(items, header.created)
            .map_err(|e| at(line_number, Some(R::ITEMS[e.index].name), e.problem))?;
        records.push(record);
    }

    let trailer_layout = fixed_layout(file, RecordKubun::Trailer);
    let trailer_line = trailer_at + 1;
    let trailer = decode_record(lines[trailer_at], &trailer_layout)
        .map_err(|(f, p)| at(trailer_line, Some(f), p))?;
    if trailer[1] != header.id.id() {
        return Err(at(
            trailer_line,
            Some(TRAILER_ITEMS[0].name),
            Problem::TrailerFileId {
                header: header.id.id().to_owned(),
                trailer: trailer[1].clone(),
            },
        ));
    }
    for (line, stated) in [(1, &stated), (trailer_line, &trailer[2])] {
        if stated.parse::<usize>().ok() != Some(records.len()) {
            return Err(at(
                line,
                Some("データ件数"),
                Problem::Count {
                    stated: stated.clone(),
                    actual: records.len(),
                },
            ));
        }
    }
    header.check(&records).map_err(|e| {
        at(
            e.record.map_or(1, |index| index + 2),
            Some(e.field),
            e.problem,
        )
    })?;
    Ok(JukinetFile { header, records })
}

/// The records of a file, without their CRLF; (line, problem) for a line that does not end in CRLF.
fn split_lines(bytes: &[u8]) -> Result<Vec<&[u8]>, (usize, Problem)> {
    let mut lines = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let line_number = lines.len() + 1;
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or((line_number, Problem::LineEnd))?;
        if end == 0 || rest[end - 1] != b'\r' {
            return Err((line_number, Problem::LineEnd));
        }
        lines.push(&rest[..end - 1]);
        rest = &rest[end + 1..];
    }
    Ok(lines)
}

/// Reads every item of a record into its value in the CSV form.
fn decode_record(line: &[u8], layout: &[Komoku]) -> Result<Vec<String>, (&'static str, Problem)> {
    let mut values = Vec::with_capacity(layout.len());
    let mut start = 0;
    for item in layout {
        let bytes = &line[start..start + item.width];
        start += item.width;
        values.push(decode_item(item, bytes).map_err(|p| (item.name, p))?);
    }
    Ok(values)
}

/// One item's value in the CSV form, from its bytes.
fn decode_item(item: &Komoku, bytes: &[u8]) -> Result<String, Problem> {
    let lossy = || String::from_utf8_lossy(bytes).into_owned();
    let text = match item.kata() {
        Kata::Suuji => {
            if !bytes.iter().all(u8::is_ascii_digit) {
                return Err(Problem::NotDigits { value: lossy() });
            }
            lossy()
        }
        Kata::Hankaku => {
            if !bytes.iter().all(|b| (0x20..=0x7E).contains(b)) {
                return Err(Problem::NotAscii { value: lossy() });
            }
            lossy().trim_end_matches(' ').to_owned()
        }
        Kata::Zenkaku => decode_moji(bytes)?,
    };
    let zeros = text.bytes().all(|b| b == b'0');
    Ok(match item.atai {
        Atai::Suuchi => {
            let trimmed = text.trim_start_matches('0');
            if trimmed.is_empty() {
                "0".to_owned()
            } else {
                trimmed.to_owned()
            }
        }
        Atai::Hizuke if zeros => String::new(),
        Atai::Hizuke => date_from_fixed(&text)
            .and_then(date_to_csv)
            .ok_or(Problem::Hizuke { value: text })?,
        Atai::Nichiji if zeros => String::new(),
        Atai::Nichiji => Nichiji::from_fixed(&text)
            .map(|n| n.to_string())
            .ok_or(Problem::Nichiji { value: text })?,
        Atai::Yobi if !text.is_empty() => return Err(Problem::Yobi),
        Atai::Bango | Atai::Kubun | Atai::Moji | Atai::Eisuu | Atai::Yobi => text,
    })
}
