//! 副本登録 (情報提供データベース管理, DBM): a 団体 uploads its 副本 in a registration / deletion
//! file; the 中間サーバー reads it record by record, checks each record against the
//! データ標準レイアウト, and answers with a 処理結果 for every record.
//!
//! The file is renkei's own, modelled on the `SPIRegistrationDeleteList` attachment seen in
//! public vendor code (DOMAIN.md "自治体中間サーバー"); every element is described in
//! `docs/chukan-fukuhon-file.md`. Reading it top to bottom:
//!
//! 1. [`file`](mod@file): what a file holds — the header ([`FileHeader`]), the records as written
//!    ([`RawRecord`], text unchecked), the 処理区分 and NULL理由 codes — and [`FukuhonFileWriter`],
//!    which writes one.
//! 2. [`reader`]: [`FukuhonFileReader`] pulls one record at a time from any `BufRead`, so memory
//!    does not grow with the file. What makes the file unreadable (not well-formed XML, an
//!    encoding other than UTF-8, an element it does not know, a file cut short) is a
//!    [`ReadError`] naming the file, the record and the element, and ends the stream; records
//!    already read stay read.
//! 3. [`validate`]: [`Validator`] checks one record against the layout version in force on the
//!    processing day (seed 004 §2.2, §2.4) and the items against their data type, digits,
//!    occurrence and 必須 (seed 003 §3-4). Every problem is a [`Kekka`] row; a record that fails
//!    does not stop the file.
//!
//! [`validate_file`] ties the three together for one file.

pub mod file;
pub mod reader;
pub mod validate;

pub use file::{
    FILE_ID, FORMAT_VERSION, FileHeader, FukuhonFileWriter, NullReason, ROOT, RawItem, RawRecord,
    RecordField, ShoriKubun,
};
pub use reader::{FukuhonFileReader, Location, ReadError, ReadErrorKind};
pub use validate::{
    Checked, FukuhonItem, FukuhonRecord, ItemValue, Kekka, KekkaCode, KekkaError, Status, Validator,
};

use std::io::BufRead;

use renkei_fixtures::catalog::LayoutCatalog;
use time::Date;

/// What [`validate_file`] found in a file it could read to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The file's header.
    pub header: FileHeader,
    /// Records read.
    pub records: u64,
    /// Records that passed (処理結果 正常).
    pub valid: u64,
    /// Records with at least one error.
    pub invalid: u64,
}

/// Reads the file `file_name` from `input` and validates every record against the layouts in
/// force on `on`, handing each record's [`Checked`] to `each` as soon as it is checked (nothing
/// is kept: the caller stores or reports). A [`ReadError`] ends the file; what `each` already
/// received stands.
pub fn validate_file<R: BufRead>(
    file_name: &str,
    input: R,
    layouts: &LayoutCatalog,
    on: Date,
    mut each: impl FnMut(Checked),
) -> Result<Summary, ReadError> {
    let mut reader = FukuhonFileReader::new(file_name, input)?;
    let mut validator = Validator::new(layouts, on);
    let (mut records, mut valid) = (0, 0);
    while let Some(record) = reader.next_record() {
        let checked = validator.check(&record?);
        records += 1;
        if checked.record.is_some() {
            valid += 1;
        }
        each(checked);
    }
    Ok(Summary {
        header: reader.header().clone(),
        records,
        valid,
        invalid: records - valid,
    })
}
