//! Fixtures for the JPKI unit tests: one synthetic resident, one 申請書, fixed dates.

use renkei_fixtures::ids::CertSerial;
use time::OffsetDateTime;
use time::macros::{date, datetime};

use super::{CertKind, CertRequest, Kihon4};

/// A 申請書 with characters outside the BMP (𠮷), 異体字 (髙) and a private-use 外字.
pub(crate) const SHINSEISHO: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<申請書 xmlns=\"urn:renkei:test:shinsei\" 様式=\"児童手当認定請求書\">\
<申請者><氏名>𠮷田\u{3000}髙子\u{E001}</氏名><住所>東京都千代田区霞が関２丁目１番２号</住所></申請者>\
<請求内容>児童手当の認定を請求します。</請求内容>\
</申請書>\n";

/// The resident the certificates name.
pub(crate) fn kihon4() -> Kihon4 {
    Kihon4 {
        shimei: "𠮷田\u{3000}髙子\u{E001}".to_owned(),
        seinengappi: date!(1990 - 01 - 02),
        seibetsu: "女".to_owned(),
        jusho: "東京都千代田区霞が関２丁目１番２号".to_owned(),
    }
}

/// A serial from a number known to be positive.
pub(crate) fn serial(value: u64) -> CertSerial {
    CertSerial::new(value).expect("test serials are positive")
}

/// A request valid 2024-04-01 to 2029-03-31 (JST), with the 基本4情報 for 署名用.
pub(crate) fn request(kind: CertKind, serial_value: u64) -> CertRequest {
    CertRequest {
        kind,
        serial: serial(serial_value),
        not_before: date!(2024 - 04 - 01),
        not_after: date!(2029 - 03 - 31),
        holder: (kind == CertKind::Signature).then(kihon4),
    }
}

/// The time the tests verify at: well inside the validity above.
pub(crate) const AT: OffsetDateTime = datetime!(2025-06-01 12:00 +9);

/// The CRL window around [`AT`].
pub(crate) const THIS_UPDATE: OffsetDateTime = datetime!(2025-06-01 00:00 +9);
/// See [`THIS_UPDATE`].
pub(crate) const NEXT_UPDATE: OffsetDateTime = datetime!(2025-06-02 00:00 +9);
