//! The two forms a file is answered in (`form=csv|fixed`), and how each goes on the wire.
//!
//! - `csv` (the default): the file in the CSV form, `text/csv; charset=utf-8`.
//! - `fixed`: a ZIP (`application/zip`) of two entries — the fixed-length Shift_JIS file and its
//!   外字例外ファイル — so that the two always belong together: one request, one snapshot.
//!
//! The layouts of the files are `docs/jukinet-formats.md`; the wire is
//! `docs/jukinet-cs-api.md`「ファイルの形 (form)」.

use std::io::{Cursor, Write};

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use renkei_fixtures::ids::DantaiCode;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::error::ServiceError;
use crate::jukinet::record::Record;
use crate::jukinet::{FileId, JukinetFile, Nichiji, write_csv, write_fixed};

/// The form a file is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// UTF-8 CSV, every character as the CS holds it.
    Csv,
    /// Fixed-length Shift_JIS and its 外字例外ファイル, in one ZIP.
    Fixed,
}

impl Form {
    /// The values of the `form` parameter, in the order the docs list them.
    pub const ALL: [Form; 2] = [Form::Csv, Form::Fixed];

    /// The value of the `form` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Fixed => "fixed",
        }
    }

    /// The `Content-Type` of the answer.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Fixed => "application/zip",
        }
    }

    /// The form asked for; `csv` when the parameter is absent.
    pub(super) fn from_param(value: Option<&str>) -> Result<Self, ServiceError> {
        match value {
            None => Ok(Self::Csv),
            Some(value) => Self::ALL
                .into_iter()
                .find(|f| f.as_str() == value)
                .ok_or_else(|| ServiceError::FormInvalid(value.to_owned())),
        }
    }
}

/// Name of the fixed-length file inside the ZIP: `JS01.dat`.
pub fn fixed_entry_name(id: FileId) -> String {
    format!("{}.dat", id.id())
}

/// Name of the 外字例外ファイル inside the ZIP: `JS01_reigai.csv`.
pub fn reigai_entry_name(id: FileId) -> String {
    format!("{}_reigai.csv", id.id())
}

/// The name the answer suggests for saving it (`Content-Disposition`):
/// `JS01_131016_20260406090000.csv` or `.zip`.
pub fn download_name(id: FileId, dantai: DantaiCode, created: Nichiji, form: Form) -> String {
    let extension = match form {
        Form::Csv => "csv",
        Form::Fixed => "zip",
    };
    format!("{}_{dantai}_{}.{extension}", id.id(), created.to_fixed())
}

/// The answer carrying `file` in `form`.
pub(super) fn file_response<R: Record>(
    file: &JukinetFile<R>,
    form: Form,
    dantai: DantaiCode,
) -> Result<Response, ServiceError> {
    let body = match form {
        Form::Csv => write_csv(file)?.into_bytes(),
        Form::Fixed => {
            let out = write_fixed(file)?;
            let id = file.header.id;
            zip_entries(
                file.header.created,
                &[
                    (fixed_entry_name(id), &out.data),
                    (reigai_entry_name(id), out.exceptions_csv().as_bytes()),
                ],
            )
            .map_err(|e| ServiceError::FileWriteFailed(format!("ZIP: {e}")))?
        }
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        download_name(file.header.id, dantai, file.header.created, form)
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(form.content_type()),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).expect("the name is ASCII"),
    );
    Ok(response)
}

/// A ZIP of the entries, each stamped with the file's 作成日時 (ZIP times are local: JST), so the
/// same state and time give the same bytes.
fn zip_entries(created: Nichiji, entries: &[(String, &[u8])]) -> zip::result::ZipResult<Vec<u8>> {
    let at = created.get();
    let modified = u16::try_from(at.year())
        .ok()
        .and_then(|year| {
            zip::DateTime::from_date_and_time(
                year,
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second(),
            )
            .ok()
        })
        // ZIP times run from 1980 to 2107; outside them the entry carries ZIP's earliest time.
        .unwrap_or_default();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(modified);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}
