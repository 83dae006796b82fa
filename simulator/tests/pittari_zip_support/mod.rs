//! What the 申請ZIP tests share: a synthetic JPKI, an applicant whose name and address carry
//! every character that breaks naive systems, and the form of 児童手当の認定請求 (kosodate-01, which
//! has a field of every type) filled in by them.

#![allow(dead_code)]

use std::io::{Cursor, Read as _, Write as _};

use renkei_fixtures::catalog::{Catalogs, FieldType, Procedure};
use renkei_fixtures::ids::{CertSerial, DantaiCode, UketsukeBango};
use renkei_simulator::jpki::{CertKind, CertRequest, IssuedCert, Jpki, Kihon4, TrustStore};
use renkei_simulator::pittari::zip::{
    Attachment, FilledForm, ShinseiDocument, Signing, ZipVariant,
};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

/// 申請日時 of the 申請 in these tests.
pub const SHINSEI_NICHIJI: OffsetDateTime = datetime!(2025-06-01 10:15:30 +9);

/// The procedure with a field of every type.
pub const PROCEDURE: &str = "kosodate-01";

/// The attachment name the requirement names.
pub const HONNIN_KAKUNIN: &str = "本人確認書類（写し）.pdf";

/// 𠮷 (outside the BMP), a municipal 外字 in the private use area, 髙 and 﨑 (JIS X 0213, not
/// JIS X 0208), separated by the full-width space the fixtures use.
pub const SHIMEI: &str = "𠮷田\u{E000}\u{3000}髙﨑";
/// 氏名カナ typed in half-width katakana.
pub const KANA: &str = "ﾖｼﾀﾞ ﾀｶｻｷ";
/// An address with 〜 (U+301C WAVE DASH) and ～ (U+FF5E FULLWIDTH TILDE) in its 方書.
pub const JUSHO: &str = "東京都千代田区霞が関２丁目１番２号\u{3000}霞〜ハイツ～１０１号";

/// The procedure of these tests.
pub fn procedure() -> &'static Procedure {
    Catalogs::embedded().procedure(PROCEDURE).unwrap()
}

/// The applicant's 基本4情報, as their 署名用 certificate states them.
pub fn kihon4() -> Kihon4 {
    Kihon4 {
        shimei: SHIMEI.to_owned(),
        seinengappi: date!(1989 - 01 - 07),
        seibetsu: "女".to_owned(),
        jusho: JUSHO.to_owned(),
    }
}

/// The values typed into kosodate-01: one of every field type, edge characters in the text and
/// XML's special characters in a free-text field.
pub fn values() -> Vec<(&'static str, String)> {
    vec![
        ("seikyusha_shimei", SHIMEI.to_owned()),
        ("seikyusha_kana", KANA.to_owned()),
        ("seikyusha_seinengappi", "1989-01-07".to_owned()),
        ("seikyusha_kojin_bango", "983205673214".to_owned()),
        ("yubin_bango", "1000013".to_owned()),
        ("jusho", JUSHO.to_owned()),
        ("denwa", "03-1234-5678".to_owned()),
        ("kanyu_nenkin", "厚生年金".to_owned()),
        ("jido_shimei", "髙﨑\u{3000}𠮷太".to_owned()),
        ("jido_seinengappi", "2020-04-01".to_owned()),
        ("jido_doukyo", "はい".to_owned()),
        ("kinyu_kikan", "ゆうちょ銀行 <&> \"〇一八\" 店".to_owned()),
        ("koza_shubetsu", "普通".to_owned()),
        ("koza_bango", "1234567".to_owned()),
        ("koza_meigi_kana", KANA.to_owned()),
    ]
}

/// Every field type of the catalog appears in kosodate-01.
pub fn assert_every_field_type() {
    let mut names: Vec<&str> = procedure()
        .fields
        .iter()
        .map(|f| f.field_type.name())
        .collect();
    names.sort_unstable();
    names.dedup();
    let all = [
        FieldType::Text,
        FieldType::Kana,
        FieldType::Date,
        FieldType::Number,
        FieldType::Select { options: vec![] },
        FieldType::PostalCode,
        FieldType::Phone,
        FieldType::KojinBango,
        FieldType::Boolean,
    ];
    for t in &all {
        assert!(
            names.contains(&t.name()),
            "kosodate-01 has no {} field",
            t.name()
        );
    }
}

/// A synthetic JPKI with the applicant's certificate and a CRL current on 申請日時.
pub struct Pki {
    pub jpki: Jpki,
    pub cert: IssuedCert,
    pub trust: TrustStore,
}

/// The applicant's serial.
pub const SERIAL: u64 = 5_000_001;

impl Pki {
    /// One CA, the applicant's valid 署名用 certificate, an empty CRL valid a year around
    /// 申請日時.
    pub fn new() -> Self {
        let jpki = Jpki::generate(20250601);
        let cert = issue(&jpki, SERIAL, date!(2024 - 04 - 01), date!(2029 - 01 - 07));
        let trust = trust_with(&jpki, &[]);
        Self { jpki, cert, trust }
    }
}

/// A 署名用 certificate for the applicant.
pub fn issue(jpki: &Jpki, serial: u64, from: time::Date, to: time::Date) -> IssuedCert {
    jpki.issue(&CertRequest {
        kind: CertKind::Signature,
        serial: CertSerial::new(serial).unwrap(),
        not_before: from,
        not_after: to,
        holder: Some(kihon4()),
    })
    .unwrap()
}

/// A trust store with the 署名用 CA and a CRL listing `revoked`, current for a year either side
/// of 申請日時.
pub fn trust_with(jpki: &Jpki, revoked: &[(CertSerial, OffsetDateTime)]) -> TrustStore {
    let crl = jpki
        .signature_ca
        .crl(
            revoked,
            SHINSEI_NICHIJI - Duration::days(365),
            SHINSEI_NICHIJI + Duration::days(365),
        )
        .unwrap();
    TrustStore::new([&jpki.signature_ca])
        .with_crl(&crl)
        .unwrap()
}

/// A small attachment with the name the requirement names.
pub fn attachments() -> Vec<Attachment> {
    vec![
        Attachment::new(
            HONNIN_KAKUNIN,
            "application/pdf",
            b"%PDF-1.4\n% scanned ID (synthetic)\n".to_vec(),
        ),
        Attachment::new(
            "通帳〜表紙～.jpg",
            "image/jpeg",
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0],
        ),
    ]
}

/// The 申請 of these tests, signed with `cert` and verified at receipt against `trust`.
pub fn document<'a>(
    cert: &'a IssuedCert,
    trust: &'a TrustStore,
    attachments: &'a [Attachment],
    variant: ZipVariant,
) -> ShinseiDocument<'a> {
    ShinseiDocument {
        uketsuke_bango: UketsukeBango::from_number(170_401_000_000_001),
        dantai_code: DantaiCode::from_five(13101),
        shinsei_nichiji: SHINSEI_NICHIJI,
        form: FilledForm::new(procedure(), values()).unwrap(),
        signing: Some(Signing {
            cert,
            trust_at_receipt: trust,
        }),
        attachments,
        variant,
    }
}

/// A ZIP rewritten entry by entry: `edit` gets each (name, data) and returns what to write
/// instead (`None` drops the entry); `extra` is appended. Deflate, no other change.
pub fn rezip(
    bytes: &[u8],
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<(String, Vec<u8>)>,
    extra: Vec<(String, Vec<u8>)>,
) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if let Some((name, data)) = edit(&name, data) {
            writer.start_file(name, options).unwrap();
            writer.write_all(&data).unwrap();
        }
    }
    for (name, data) in extra {
        writer.start_file(name, options).unwrap();
        writer.write_all(&data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// One stored (uncompressed) entry for [`raw_zip`].
pub struct RawEntry<'a> {
    pub name: &'a [u8],
    pub data: &'a [u8],
    /// The uncompressed size the headers declare (the data's length for an honest entry).
    pub declared_size: u32,
}

/// A ZIP written byte by byte, so that names and sizes no ZIP library would write can be tried:
/// stored entries, UTF-8 flag set, CRC-32 of the data.
pub fn raw_zip(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let offset = out.len() as u32;
        let crc = crc32(entry.data);
        let header = |sig: &[u8; 4], central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(sig);
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // version made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(entry.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&entry.declared_size.to_le_bytes());
            h.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(entry.name);
            h
        };
        out.extend_from_slice(&header(b"PK\x03\x04", false));
        out.extend_from_slice(entry.data);
        central.extend_from_slice(&header(b"PK\x01\x02", true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// CRC-32 (IEEE), bit by bit: the tests' ZIPs are tiny.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The local file headers of a ZIP, walked from the start: (general-purpose flags, name).
pub fn local_headers(bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    let u16_at = |p: usize| u16::from_le_bytes([bytes[p], bytes[p + 1]]);
    let u32_at =
        |p: usize| u32::from_le_bytes([bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]]);
    while bytes[at..].starts_with(b"PK\x03\x04") {
        let flags = u16_at(at + 6);
        assert_eq!(
            flags & 0x0008,
            0,
            "no data descriptors: sizes are in the local header"
        );
        let compressed = u32_at(at + 18) as usize;
        let name_len = usize::from(u16_at(at + 26));
        let extra_len = usize::from(u16_at(at + 28));
        out.push((flags, bytes[at + 30..at + 30 + name_len].to_vec()));
        at += 30 + name_len + extra_len + compressed;
    }
    out
}
