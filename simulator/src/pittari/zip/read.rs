//! Opening a 申請ZIP safely: what the reference 申請管理システム and the tests use.
//!
//! A 申請ZIP comes from outside the municipality's network, so the reader trusts nothing in it.
//! In this order, and the first problem found is the error:
//! 1. the ZIP's end record (EOCD): missing → cut short ([`ZipReadError::Truncated`]), or not a ZIP
//!    at all ([`ZipReadError::NotZip`]); ZIP64 and multi-disk archives, which a 申請ZIP never is,
//!    are refused; more entries than [`ReadLimits::max_entries`] are refused before any is read;
//! 2. the central directory, as the `zip` crate reads it ([`ZipReadError::Corrupt`]);
//! 3. every entry's name and header, before any data is inflated: UTF-8, a path that stays inside
//!    the folder (renkei's rules and the `zip` crate's `enclosed_name()`), no duplicates, no
//!    encryption, stored or deflate, and its declared size within the per-entry and total limits
//!    (zip bomb);
//! 4. every entry's data, inflated with a limit of its declared size plus one byte (a header that
//!    lies about the size is caught, not believed) and its CRC-32 checked;
//! 5. the 構成管理情報: every file listed, nothing unlisted, sizes and SHA-256 equal;
//! 6. the three XML files against their layouts, and their 受付番号 / 団体 / 手続 against the
//!    構成管理情報.
//!
//! The signature is not judged here: [`ShinseiZip::verify`] does it, so that a 申請 altered after
//! signing still opens and can be reported as such (ING-07) instead of as a broken ZIP (ING-09).

use std::collections::HashSet;
use std::io::{Cursor, Read as _};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

use super::entry::unsafe_path_reason;
use super::error::{ManifestProblem, ZipReadError};
use super::kensho::ShomeiKenshoKekka;
use super::manifest::{KouseiKanri, Shubetsu};
use super::shinseisho::Shinseisho;
use super::xml;
use super::{KOUSEI_KANRI, SHINSEISHO_PDF, SHINSEISHO_XML, SHOMEI_KENSHO_KEKKA, TENPU_DIR};
use crate::jpki::{self, TrustStore, VerifyOutcome};

/// The limits [`read`] enforces against zip bombs and oversized 申請 (renkei's own values; the
/// real service's limits are not public).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Entries in the ZIP, the 4 fixed files included.
    pub max_entries: u64,
    /// Bytes of one entry, uncompressed.
    pub max_entry_bytes: u64,
    /// Bytes of all entries together, uncompressed.
    pub max_total_bytes: u64,
}

impl Default for ReadLimits {
    /// 100 entries, 32 MiB an entry, 128 MiB in all.
    fn default() -> Self {
        Self {
            max_entries: 100,
            max_entry_bytes: 32 * 1024 * 1024,
            max_total_bytes: 128 * 1024 * 1024,
        }
    }
}

/// A 申請ZIP, opened and checked against its 構成管理情報.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShinseiZip {
    /// 構成管理情報.
    pub kousei_kanri: KouseiKanri,
    /// `shinseisho.xml` exactly as in the ZIP: what a signature verifier must be given.
    pub shinseisho_xml: String,
    /// The 申請書 parsed: the form with its values, the attachments it lists.
    pub shinseisho: Shinseisho,
    /// `shinseisho.pdf`.
    pub pdf: Vec<u8>,
    /// 電子署名検証結果 as the ぴったりサービス recorded it at receipt.
    pub kensho_kekka: ShomeiKenshoKekka,
    /// 添付書類, in 構成管理情報 order.
    pub attachments: Vec<TenpuShorui>,
}

/// One 添付書類 read from the ZIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenpuShorui {
    /// The file name, without `tenpu/`, exactly as in the ZIP.
    pub name: String,
    /// Its media type, from the 構成管理情報.
    pub media_type: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

impl ShinseiZip {
    /// Verify the signature as a 申請管理システム must at download (ING-06 … ING-08): the signed
    /// 申請書 with [`jpki::verify`], then the attachments against the list the signed 申請書
    /// carries. An attachment swapped, added or removed after signing is
    /// [`VerifyOutcome::Tampered`]. A 申請 without a signature is [`VerifyOutcome::Malformed`]
    /// (its 検証結果 says 署名なし).
    pub fn verify(&self, trust: &TrustStore, at: OffsetDateTime) -> VerifyOutcome {
        let outcome = jpki::verify(&self.shinseisho_xml, trust, at);
        if !outcome.is_valid() {
            return outcome;
        }
        let tampered = |reason: String| VerifyOutcome::Tampered { reason };
        for listed in &self.shinseisho.tenpu {
            match self.attachments.iter().find(|a| a.name == listed.name) {
                None => {
                    return tampered(format!(
                        "署名された申請書にある添付書類「{}」が ZIP にありません",
                        listed.name
                    ));
                }
                Some(found) => {
                    let digest: [u8; 32] = Sha256::digest(&found.bytes).into();
                    if digest != listed.sha256 {
                        return tampered(format!(
                            "添付書類「{}」の SHA-256 {} が署名された申請書の {} と違います",
                            listed.name,
                            xml::hex(&digest),
                            xml::hex(&listed.sha256)
                        ));
                    }
                }
            }
        }
        if let Some(extra) = self
            .attachments
            .iter()
            .find(|a| !self.shinseisho.tenpu.iter().any(|t| t.name == a.name))
        {
            return tampered(format!(
                "添付書類「{}」は署名された申請書にありません",
                extra.name
            ));
        }
        outcome
    }

    /// The attachment called `name`.
    pub fn attachment(&self, name: &str) -> Option<&TenpuShorui> {
        self.attachments.iter().find(|a| a.name == name)
    }
}

/// Open a 申請ZIP with the default [`ReadLimits`].
pub fn read(bytes: &[u8]) -> Result<ShinseiZip, ZipReadError> {
    read_with(bytes, &ReadLimits::default())
}

/// Open a 申請ZIP with these limits. Never panics, whatever the bytes.
pub fn read_with(bytes: &[u8], limits: &ReadLimits) -> Result<ShinseiZip, ZipReadError> {
    let end = check_end_record(bytes, limits)?;
    let mut archive =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| archive_error(bytes.len(), e))?;
    if archive.len() as u64 > limits.max_entries {
        return Err(ZipReadError::TooManyEntries {
            count: archive.len() as u64,
            max: limits.max_entries,
        });
    }
    if archive.has_duplicate_names() || archive.len() != usize::from(end.entries) {
        // The zip crate keeps one entry per name; the raw central directory has them all.
        return Err(match first_duplicate_name(bytes, &end) {
            Some(entry) => ZipReadError::DuplicateEntry { entry },
            None => ZipReadError::Corrupt {
                entry: None,
                detail: format!(
                    "終端レコードはエントリ{}個、中央ディレクトリから読めたのは{}個です",
                    end.entries,
                    archive.len()
                ),
            },
        });
    }
    let entries = check_entries(&archive, limits)?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(entries.len());
    for entry in entries {
        let data = inflate(&mut archive, &entry)?;
        files.push((entry.name, data));
    }
    check_against_manifest(files)
}

/// An entry whose header passed: where it is and what it declares.
struct CheckedEntry {
    index: usize,
    name: String,
    size: u64,
}

/// What the end record (EOCD) says.
struct EndRecord {
    /// Entries in the ZIP.
    entries: u16,
    /// Where the central directory starts.
    cd_offset: u32,
}

/// The first entry name the central directory holds twice, walking it byte by byte; `None` when
/// there is none or the directory cannot be walked (the `zip` crate then says what is wrong).
fn first_duplicate_name(bytes: &[u8], end: &EndRecord) -> Option<String> {
    let mut seen = HashSet::new();
    let mut at = end.cd_offset as usize;
    for _ in 0..end.entries {
        let header = bytes.get(at..at.checked_add(46)?)?;
        if &header[..4] != b"PK\x01\x02" {
            return None;
        }
        let field =
            |offset: usize| usize::from(u16::from_le_bytes([header[offset], header[offset + 1]]));
        let (name_len, extra_len, comment_len) = (field(28), field(30), field(32));
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        if !seen.insert(name) {
            return Some(String::from_utf8_lossy(name).into_owned());
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    None
}

/// The end record: there, not ZIP64, one disk, not too many entries.
fn check_end_record(bytes: &[u8], limits: &ReadLimits) -> Result<EndRecord, ZipReadError> {
    const EOCD: &[u8; 4] = b"PK\x05\x06";
    const LOCAL_HEADER: &[u8; 4] = b"PK\x03\x04";
    const EOCD_LEN: usize = 22;
    let len = bytes.len();
    let found = (len >= EOCD_LEN)
        .then(|| {
            let last = len - EOCD_LEN;
            let first = last.saturating_sub(usize::from(u16::MAX));
            (first..=last).rev().find(|&at| {
                &bytes[at..at + 4] == EOCD
                    && usize::from(u16::from_le_bytes([bytes[at + 20], bytes[at + 21]]))
                        == len - at - EOCD_LEN
            })
        })
        .flatten();
    let Some(at) = found else {
        return Err(if bytes.starts_with(LOCAL_HEADER) {
            ZipReadError::Truncated {
                len,
                detail:
                    "終端レコード (EOCD) がありません。ダウンロードが途中で切れた可能性があります"
                        .to_owned(),
            }
        } else {
            ZipReadError::NotZip { len }
        });
    };
    let u16_at = |offset: usize| u16::from_le_bytes([bytes[at + offset], bytes[at + offset + 1]]);
    let u32_at = |offset: usize| {
        u32::from_le_bytes([
            bytes[at + offset],
            bytes[at + offset + 1],
            bytes[at + offset + 2],
            bytes[at + offset + 3],
        ])
    };
    let (disk, cd_disk, on_disk, total) = (u16_at(4), u16_at(6), u16_at(8), u16_at(10));
    let (cd_size, cd_offset) = (u32_at(12), u32_at(16));
    if total == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err(ZipReadError::Unsupported {
            entry: None,
            what: "ZIP64 (申請ZIPは 4 GiB を超えず ZIP64 を使いません)".to_owned(),
        });
    }
    if disk != 0 || cd_disk != 0 || on_disk != total {
        return Err(ZipReadError::Unsupported {
            entry: None,
            what: "複数ディスクに分割された ZIP".to_owned(),
        });
    }
    if u64::from(total) > limits.max_entries {
        return Err(ZipReadError::TooManyEntries {
            count: u64::from(total),
            max: limits.max_entries,
        });
    }
    if u64::from(cd_offset) + u64::from(cd_size) > at as u64 {
        return Err(ZipReadError::Corrupt {
            entry: None,
            detail: format!(
                "中央ディレクトリ ({cd_offset} バイト目から {cd_size} バイト) が終端レコード ({at} バイト目) を越えています"
            ),
        });
    }
    Ok(EndRecord {
        entries: total,
        cd_offset,
    })
}

/// A `zip` crate error opening the archive, as a [`ZipReadError`].
fn archive_error(len: usize, error: ZipError) -> ZipReadError {
    match error {
        ZipError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ZipReadError::Truncated {
                len,
                detail: format!("中央ディレクトリを読み切れません: {e}"),
            }
        }
        ZipError::UnsupportedArchive(what) => ZipReadError::Unsupported {
            entry: None,
            what: what.to_owned(),
        },
        other => ZipReadError::Corrupt {
            entry: None,
            detail: format!("中央ディレクトリを読めません: {other}"),
        },
    }
}

/// Every entry's name and header, before any data is inflated.
fn check_entries(
    archive: &ZipArchive<Cursor<&[u8]>>,
    limits: &ReadLimits,
) -> Result<Vec<CheckedEntry>, ZipReadError> {
    let mut checked = Vec::with_capacity(archive.len());
    let mut names = HashSet::new();
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_data(index)
            .map_err(|e| ZipReadError::Corrupt {
                entry: None,
                detail: format!("{} 番目のエントリのヘッダを読めません: {e}", index + 1),
            })?;
        let name = std::str::from_utf8(entry.name_raw())
            .map_err(|_| ZipReadError::NameNotUtf8 {
                hex: xml::hex(entry.name_raw()),
            })?
            .to_owned();
        if let Some(reason) = unsafe_path_reason(&name) {
            return Err(ZipReadError::UnsafePath {
                entry: name,
                reason: reason.to_owned(),
            });
        }
        if entry.enclosed_name().is_none() {
            return Err(ZipReadError::UnsafePath {
                entry: name,
                reason: "フォルダの外を指します (enclosed_name)".to_owned(),
            });
        }
        if !names.insert(name.clone()) {
            return Err(ZipReadError::DuplicateEntry { entry: name });
        }
        let unsupported = |what: String| ZipReadError::Unsupported {
            entry: Some(name.clone()),
            what,
        };
        if entry.encrypted() {
            return Err(unsupported("暗号化されたエントリ".to_owned()));
        }
        if entry.is_symlink() {
            return Err(unsupported("シンボリックリンク".to_owned()));
        }
        if !matches!(
            entry.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            return Err(unsupported(format!(
                "圧縮方式 {} (使えるのは stored と deflate)",
                entry.compression()
            )));
        }
        if entry.is_dir() {
            // A folder entry carries no data; its name was checked like any other.
            continue;
        }
        let size = entry.size();
        if size > limits.max_entry_bytes {
            return Err(ZipReadError::EntryTooLarge {
                entry: name,
                size,
                max: limits.max_entry_bytes,
            });
        }
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(ZipReadError::TotalTooLarge {
                entry: name,
                total,
                max: limits.max_total_bytes,
            });
        }
        checked.push(CheckedEntry { index, name, size });
    }
    Ok(checked)
}

/// One entry's data: inflated to at most its declared size plus one byte, CRC-32 checked.
fn inflate(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    entry: &CheckedEntry,
) -> Result<Vec<u8>, ZipReadError> {
    let corrupt = |detail: String| ZipReadError::Corrupt {
        entry: Some(entry.name.clone()),
        detail,
    };
    let file = archive
        .by_index(entry.index)
        .map_err(|e| corrupt(format!("ローカルヘッダを読めません: {e}")))?;
    let capacity = usize::try_from(entry.size).unwrap_or(0).min(1 << 20);
    let mut data = Vec::with_capacity(capacity);
    file.take(entry.size.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| corrupt(format!("展開できません: {e}")))?;
    if data.len() as u64 != entry.size {
        return Err(ZipReadError::SizeMismatch {
            entry: entry.name.clone(),
            declared: entry.size,
            actual: data.len() as u64,
        });
    }
    Ok(data)
}

/// The files against the 構成管理情報, then the XML files parsed and compared.
fn check_against_manifest(files: Vec<(String, Vec<u8>)>) -> Result<ShinseiZip, ZipReadError> {
    let manifest_error = |file: &str, problem| ZipReadError::Manifest {
        file: file.to_owned(),
        problem,
    };
    let manifest_bytes = files
        .iter()
        .find(|(name, _)| name == KOUSEI_KANRI)
        .map(|(_, bytes)| bytes)
        .ok_or_else(|| manifest_error(KOUSEI_KANRI, ManifestProblem::NoManifest))?;
    let manifest =
        KouseiKanri::from_xml(utf8(KOUSEI_KANRI, manifest_bytes)?).map_err(|detail| {
            ZipReadError::Xml {
                file: KOUSEI_KANRI.to_owned(),
                detail,
            }
        })?;

    let mut listed = HashSet::new();
    for record in &manifest.files {
        if !listed.insert(record.path.as_str()) {
            return Err(manifest_error(&record.path, ManifestProblem::ListedTwice));
        }
        if !record.shubetsu.fits(&record.path) {
            return Err(manifest_error(
                &record.path,
                ManifestProblem::WrongKind {
                    kind: record.shubetsu.as_str(),
                    rule: record.shubetsu.path_rule(),
                },
            ));
        }
    }
    if let Some((name, _)) = files
        .iter()
        .find(|(name, _)| name != KOUSEI_KANRI && !listed.contains(name.as_str()))
    {
        return Err(manifest_error(name, ManifestProblem::NotListed));
    }
    for record in &manifest.files {
        let (_, bytes) = files
            .iter()
            .find(|(name, _)| *name == record.path)
            .ok_or_else(|| manifest_error(&record.path, ManifestProblem::Missing))?;
        if bytes.len() as u64 != record.size {
            return Err(manifest_error(
                &record.path,
                ManifestProblem::Size {
                    listed: record.size,
                    actual: bytes.len() as u64,
                },
            ));
        }
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        if digest != record.sha256 {
            return Err(manifest_error(
                &record.path,
                ManifestProblem::Sha256 {
                    listed: record.sha256_hex(),
                    actual: xml::hex(&digest),
                },
            ));
        }
    }
    for kind in [
        Shubetsu::Shinseisho,
        Shubetsu::ShinseishoPdf,
        Shubetsu::KenshoKekka,
    ] {
        if !manifest.files.iter().any(|f| f.shubetsu == kind) {
            return Err(manifest_error(
                KOUSEI_KANRI,
                ManifestProblem::KindMissing(kind.as_str()),
            ));
        }
    }

    let mut files = files;
    let mut take = |path: &str| -> Vec<u8> {
        files
            .iter_mut()
            .find(|(name, _)| name == path)
            .map(|(_, bytes)| std::mem::take(bytes))
            .unwrap_or_default()
    };
    let shinseisho_xml =
        String::from_utf8(take(SHINSEISHO_XML)).map_err(|_| not_utf8(SHINSEISHO_XML))?;
    let shinseisho = Shinseisho::from_xml(&shinseisho_xml).map_err(|detail| ZipReadError::Xml {
        file: SHINSEISHO_XML.to_owned(),
        detail,
    })?;
    let kensho_bytes = take(SHOMEI_KENSHO_KEKKA);
    let kensho_kekka = ShomeiKenshoKekka::from_xml(utf8(SHOMEI_KENSHO_KEKKA, &kensho_bytes)?)
        .map_err(|detail| ZipReadError::Xml {
            file: SHOMEI_KENSHO_KEKKA.to_owned(),
            detail,
        })?;
    let pdf = take(SHINSEISHO_PDF);
    let attachments = manifest
        .files
        .iter()
        .filter(|f| f.shubetsu == Shubetsu::Tenpu)
        .map(|f| TenpuShorui {
            name: f.path[TENPU_DIR.len()..].to_owned(),
            media_type: f.media_type.clone(),
            bytes: take(&f.path),
        })
        .collect();
    check_consistency(&manifest, &shinseisho, &kensho_kekka)?;
    Ok(ShinseiZip {
        kousei_kanri: manifest,
        shinseisho_xml,
        shinseisho,
        pdf,
        kensho_kekka,
        attachments,
    })
}

/// The 申請書 and the 検証結果 name the same 申請 as the 構成管理情報.
fn check_consistency(
    manifest: &KouseiKanri,
    shinseisho: &Shinseisho,
    kensho: &ShomeiKenshoKekka,
) -> Result<(), ZipReadError> {
    let checks = [
        (
            SHINSEISHO_XML,
            "受付番号",
            manifest.uketsuke_bango.to_string(),
            shinseisho.uketsuke_bango.to_string(),
        ),
        (
            SHINSEISHO_XML,
            "団体コード",
            manifest.dantai_code.to_string(),
            shinseisho.dantai_code.to_string(),
        ),
        (
            SHINSEISHO_XML,
            "手続ID",
            manifest.tetsuzuki.id.clone(),
            shinseisho.tetsuzuki.id.clone(),
        ),
        (
            SHINSEISHO_XML,
            "申請日時",
            xml::format_nichiji(manifest.shinsei_nichiji),
            xml::format_nichiji(shinseisho.shinsei_nichiji),
        ),
        (
            SHOMEI_KENSHO_KEKKA,
            "受付番号",
            manifest.uketsuke_bango.to_string(),
            kensho.uketsuke_bango.to_string(),
        ),
    ];
    for (file, item, expected, found) in checks {
        if expected != found {
            return Err(ZipReadError::Inconsistent {
                file: file.to_owned(),
                item: item.to_owned(),
                expected,
                found,
            });
        }
    }
    Ok(())
}

/// The text of an XML file, which must be UTF-8.
fn utf8<'b>(file: &str, bytes: &'b [u8]) -> Result<&'b str, ZipReadError> {
    std::str::from_utf8(bytes).map_err(|_| not_utf8(file))
}

fn not_utf8(file: &str) -> ZipReadError {
    ZipReadError::Xml {
        file: file.to_owned(),
        detail: "UTF-8 ではありません".to_owned(),
    }
}
