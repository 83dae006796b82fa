//! Making a 申請ZIP: the files, the signature, the 検証 at receipt, the ZIP, and the broken
//! variants.
//!
//! Deterministic: the same [`ShinseiDocument`] gives the same bytes. Files are written in a fixed
//! order (`kousei_kanri.xml`, `shinseisho.xml`, `shinseisho.pdf`, `shomei_kensho_kekka.xml`, then
//! the attachments in the order given), every time stamp derives from 申請日時, the ZIP entries
//! carry fixed permissions and no extra fields, and the signature is RFC 6979 ECDSA.
//!
//! A ZIP that [`build`] makes intact is one [`super::read()`] opens with its default limits:
//! attachments that would break the limits are refused here.

use std::io::{Cursor, Write as _};

use time::OffsetDateTime;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, System, ZipWriter};

use super::document::{Attachment, ShinseiDocument, ZipVariant};
use super::entry::attachment_name_problem;
use super::error::ZipBuildError;
use super::kensho::{KenshoKekka, ShomeiKenshoKekka, Shomeisho};
use super::manifest::{FileRecord, KouseiKanri, Shubetsu, Tetsuzuki};
use super::read::ReadLimits;
use super::shinseisho::{self, ShinseiKomoku, Shinseisho, TenpuKisai};
use super::xml::{JST, check_text};
use super::{KOUSEI_KANRI, SHINSEISHO_PDF, SHINSEISHO_XML, SHOMEI_KENSHO_KEKKA, TENPU_DIR, pdf};
use crate::jpki::{self, Kihon4};

/// The media type of the XML files.
const XML_MEDIA_TYPE: &str = "application/xml";
/// The media type of the PDF.
const PDF_MEDIA_TYPE: &str = "application/pdf";
/// 検証結果詳細 of a 申請 sent without a signature.
const SHOMEI_NASHI: &str = "電子署名のない申請です (署名を求めない手続)";

/// The 申請ZIP of `doc`, as the download API delivers it (intact or broken, as
/// [`ShinseiDocument::variant`] says).
pub fn build(doc: &ShinseiDocument<'_>) -> Result<Vec<u8>, ZipBuildError> {
    let limits = ReadLimits::default();
    check_attachments(doc.attachments, &limits)?;
    if let Some(kihon4) = doc.signing.as_ref().and_then(|s| s.cert.holder()) {
        check_kihon4(kihon4)?;
    }
    let nichiji = doc
        .shinsei_nichiji
        .to_offset(JST)
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond");
    let zip_time = zip_time(nichiji)?;

    let tenpu: Vec<FileRecord> = doc
        .attachments
        .iter()
        .map(|a| {
            FileRecord::of(
                format!("{TENPU_DIR}{}", a.name),
                Shubetsu::Tenpu,
                a.media_type.as_str(),
                &a.bytes,
            )
        })
        .collect();
    let shinseisho = shinseisho_of(doc, nichiji, &tenpu);
    let (signed, kensho) = sign_at_receipt(doc, &shinseisho.to_xml(), nichiji)?;
    let shinseisho_xml = match doc.variant {
        ZipVariant::TamperedAfterSigning => {
            if doc.signing.is_none() {
                return Err(ZipBuildError::NothingToTamper(
                    "署名のない申請書です (Signing を与えてください)".to_owned(),
                ));
            }
            shinseisho::tamper(&signed, &shinseisho)
                .map_err(ZipBuildError::NothingToTamper)?
                .0
        }
        ZipVariant::AttachmentSwapped => {
            if doc.signing.is_none() || doc.attachments.is_empty() {
                return Err(ZipBuildError::NothingToTamper(
                    "署名があり添付書類のある申請だけを差し替えられます".to_owned(),
                ));
            }
            signed
        }
        ZipVariant::Valid | ZipVariant::Truncated | ZipVariant::Corrupt => signed,
    };
    // The replacement scan: the original with a page added, so it still opens as what it was.
    let swapped: Option<Vec<u8>> =
        matches!(doc.variant, ZipVariant::AttachmentSwapped).then(|| {
            let mut bytes = doc.attachments[0].bytes.clone();
            bytes.extend_from_slice("\n% 署名の後で差し替えられた添付書類\n".as_bytes());
            bytes
        });
    // The PDF and the 検証結果 are made from the 申請 as received, before any tampering.
    let pdf = pdf::render(&shinseisho, kensho.shomeisho.as_ref());
    let kensho_xml = kensho.to_xml();

    let mut files: Vec<(FileRecord, &[u8])> = vec![
        (
            FileRecord::of(
                SHINSEISHO_XML,
                Shubetsu::Shinseisho,
                XML_MEDIA_TYPE,
                shinseisho_xml.as_bytes(),
            ),
            shinseisho_xml.as_bytes(),
        ),
        (
            FileRecord::of(
                SHINSEISHO_PDF,
                Shubetsu::ShinseishoPdf,
                PDF_MEDIA_TYPE,
                &pdf,
            ),
            &pdf,
        ),
        (
            FileRecord::of(
                SHOMEI_KENSHO_KEKKA,
                Shubetsu::KenshoKekka,
                XML_MEDIA_TYPE,
                kensho_xml.as_bytes(),
            ),
            kensho_xml.as_bytes(),
        ),
    ];
    for (i, (record, attachment)) in tenpu.into_iter().zip(doc.attachments).enumerate() {
        match (i, &swapped) {
            (0, Some(bytes)) => files.push((
                FileRecord::of(
                    record.path.clone(),
                    Shubetsu::Tenpu,
                    attachment.media_type.as_str(),
                    bytes,
                ),
                bytes,
            )),
            _ => files.push((record, &attachment.bytes)),
        }
    }
    // Made last, so that it describes the files as delivered (a tampered 申請書 included).
    let manifest = KouseiKanri {
        uketsuke_bango: doc.uketsuke_bango,
        dantai_code: doc.dantai_code,
        tetsuzuki: shinseisho.tetsuzuki.clone(),
        shinsei_nichiji: nichiji,
        files: files.iter().map(|(record, _)| record.clone()).collect(),
    }
    .to_xml();
    let total: u64 = manifest.len() as u64 + files.iter().map(|(r, _)| r.size).sum::<u64>();
    if total > limits.max_total_bytes {
        return Err(ZipBuildError::TooLarge {
            what: "申請ZIPの展開後の合計".to_owned(),
            size: total,
            max: limits.max_total_bytes,
        });
    }

    let mut bytes = write_zip(&manifest, &files, zip_time)?;
    break_as(&mut bytes, doc.variant);
    Ok(bytes)
}

/// The 申請書 signed (or not), and the 電子署名検証結果 the ぴったりサービス records at receipt:
/// [`jpki::verify`] at 申請日時 against the trust it had then.
fn sign_at_receipt(
    doc: &ShinseiDocument<'_>,
    unsigned: &str,
    nichiji: OffsetDateTime,
) -> Result<(String, ShomeiKenshoKekka), ZipBuildError> {
    let Some(signing) = &doc.signing else {
        let kensho = ShomeiKenshoKekka {
            uketsuke_bango: doc.uketsuke_bango,
            taisho: SHINSEISHO_XML.to_owned(),
            kekka: KenshoKekka::ShomeiNashi,
            shosai: SHOMEI_NASHI.to_owned(),
            nichiji,
            shomeisho: None,
            kihon4: None,
        };
        return Ok((unsigned.to_owned(), kensho));
    };
    let signed = jpki::sign_enveloped(unsigned, signing.cert)?;
    let outcome = jpki::verify(&signed, signing.trust_at_receipt, nichiji);
    let kensho = ShomeiKenshoKekka {
        uketsuke_bango: doc.uketsuke_bango,
        taisho: SHINSEISHO_XML.to_owned(),
        kekka: KenshoKekka::of(&outcome),
        shosai: outcome.to_string(),
        nichiji,
        shomeisho: Some(Shomeisho::of(signing.cert)),
        kihon4: signing.cert.holder().cloned(),
    };
    Ok((signed, kensho))
}

/// The ZIP: the 構成管理情報 first, then the files in order; deflate level 1, the time stamp of
/// 申請日時, Unix permissions 0644, no extra fields.
fn write_zip(
    manifest: &str,
    files: &[(FileRecord, &[u8])],
    time: zip::DateTime,
) -> Result<Vec<u8>, ZipBuildError> {
    let estimate =
        files.iter().map(|(_, bytes)| bytes.len()).sum::<usize>() + manifest.len() + 2048;
    let mut writer = ZipWriter::new(Cursor::new(Vec::with_capacity(estimate)));
    // Level 1: the files are a few KB and attachments are mostly compressed already (PDF,
    // JPEG); a higher level costs more time than it saves bytes (docs/shinsei-zip.md has the figures).
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .last_modified_time(time)
        .system(System::Unix)
        .unix_permissions(0o644);
    let failed = |e: &dyn std::fmt::Display| ZipBuildError::Zip(e.to_string());
    writer
        .start_file(KOUSEI_KANRI, options)
        .map_err(|e| failed(&e))?;
    writer
        .write_all(manifest.as_bytes())
        .map_err(|e| failed(&e))?;
    for (record, bytes) in files {
        writer
            .start_file(record.path.as_str(), options)
            .map_err(|e| failed(&e))?;
        writer.write_all(bytes).map_err(|e| failed(&e))?;
    }
    Ok(writer.finish().map_err(|e| failed(&e))?.into_inner())
}

/// Break a finished ZIP the way `variant` says.
fn break_as(bytes: &mut Vec<u8>, variant: ZipVariant) {
    match variant {
        ZipVariant::Valid | ZipVariant::TamperedAfterSigning | ZipVariant::AttachmentSwapped => {}
        ZipVariant::Truncated => {
            let cut = (bytes.len() * 2 / 3).min(central_directory_start(bytes));
            bytes.truncate(cut);
        }
        ZipVariant::Corrupt => {
            let at = central_directory_start(bytes);
            for byte in &mut bytes[at..at + 4] {
                *byte ^= 0xFF;
            }
        }
    }
}

/// The 申請書 of `doc`: the form in form order, the attachments with their digests.
fn shinseisho_of(
    doc: &ShinseiDocument<'_>,
    nichiji: OffsetDateTime,
    tenpu: &[FileRecord],
) -> Shinseisho {
    let procedure = doc.procedure();
    Shinseisho {
        uketsuke_bango: doc.uketsuke_bango,
        dantai_code: doc.dantai_code,
        tetsuzuki: Tetsuzuki {
            id: procedure.id.clone(),
            name: procedure.name.clone(),
            category: procedure.category.label().to_owned(),
        },
        shinsei_nichiji: nichiji,
        komoku: doc
            .form
            .iter()
            .map(|(field, value)| ShinseiKomoku {
                id: field.id.clone(),
                label: field.label.clone(),
                kata: field.field_type.name().to_owned(),
                hissu: field.required,
                value: value.to_owned(),
            })
            .collect(),
        tenpu: doc
            .attachments
            .iter()
            .zip(tenpu)
            .map(|(a, record)| TenpuKisai {
                name: a.name.clone(),
                media_type: a.media_type.clone(),
                size: record.size,
                sha256: record.sha256,
            })
            .collect(),
    }
}

/// Attachments: safe names, no two alike, a media type, within what [`super::read()`] accepts.
fn check_attachments(attachments: &[Attachment], limits: &ReadLimits) -> Result<(), ZipBuildError> {
    let fixed_files = 4;
    let max = usize::try_from(limits.max_entries)
        .unwrap_or(usize::MAX)
        .saturating_sub(fixed_files);
    if attachments.len() > max {
        return Err(ZipBuildError::TooManyAttachments {
            count: attachments.len(),
            max,
        });
    }
    for (i, attachment) in attachments.iter().enumerate() {
        if let Some(reason) = attachment_name_problem(&attachment.name) {
            return Err(ZipBuildError::AttachmentName {
                name: attachment.name.clone(),
                reason,
            });
        }
        if attachments[..i].iter().any(|a| a.name == attachment.name) {
            return Err(ZipBuildError::DuplicateAttachment {
                name: attachment.name.clone(),
            });
        }
        if !is_media_type(&attachment.media_type) {
            return Err(ZipBuildError::MediaType {
                name: attachment.name.clone(),
                media_type: attachment.media_type.clone(),
            });
        }
        let size = attachment.bytes.len() as u64;
        if size > limits.max_entry_bytes {
            return Err(ZipBuildError::TooLarge {
                what: format!("添付書類「{}」", attachment.name),
                size,
                max: limits.max_entry_bytes,
            });
        }
    }
    Ok(())
}

/// `type/subtype`: two RFC 6838 names (letters, digits, `!#$&-^_.+`) joined by one slash.
fn is_media_type(text: &str) -> bool {
    let name = |part: &str| {
        !part.is_empty()
            && part.len() <= 127
            && part.starts_with(|c: char| c.is_ascii_alphanumeric())
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    matches!(text.split_once('/'), Some((kind, sub)) if name(kind) && name(sub))
}

/// 基本4情報 from the certificate must be text XML can carry.
fn check_kihon4(kihon4: &Kihon4) -> Result<(), ZipBuildError> {
    for (item, text) in [
        ("氏名", &kihon4.shimei),
        ("性別", &kihon4.seibetsu),
        ("住所", &kihon4.jusho),
    ] {
        check_text(text).map_err(|(position, character)| ZipBuildError::BadCharacter {
            item: format!("電子証明書の基本4情報 {item}"),
            position,
            character,
        })?;
    }
    Ok(())
}

/// The ZIP time stamp of every entry: 申請日時 in JST (ZIP times are local, 2-second steps).
fn zip_time(nichiji: OffsetDateTime) -> Result<zip::DateTime, ZipBuildError> {
    let out_of_range = || ZipBuildError::NichijiOutOfRange {
        nichiji: nichiji.to_string(),
    };
    let year = u16::try_from(nichiji.year()).map_err(|_| out_of_range())?;
    zip::DateTime::from_date_and_time(
        year,
        u8::from(nichiji.month()),
        nichiji.day(),
        nichiji.hour(),
        nichiji.minute(),
        nichiji.second(),
    )
    .map_err(|_| out_of_range())
}

/// Where the central directory starts, from the end record of a ZIP [`build`] just wrote (no
/// comment, so the record is the last 22 bytes).
fn central_directory_start(bytes: &[u8]) -> usize {
    let eocd = bytes.len() - 22;
    let offset = &bytes[eocd + 16..eocd + 20];
    u32::from_le_bytes([offset[0], offset[1], offset[2], offset[3]]) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_type_slash_subtype() {
        for good in [
            "application/pdf",
            "image/jpeg",
            "application/vnd.ms-excel",
            "image/svg+xml",
        ] {
            assert!(is_media_type(good), "{good}");
        }
        for bad in [
            "",
            "pdf",
            "application/",
            "/pdf",
            "a/b/c",
            "画像/jpeg",
            "text/plain; charset=utf-8",
        ] {
            assert!(!is_media_type(bad), "{bad}");
        }
    }
}
