//! 申請ZIP: one 申請 as the ぴったりサービス download API delivers it (seed 001 §5 ③-2).
//!
//! The real layout is in a non-public specification (ぴったりサービス_外部接続インターフェース仕様書).
//! This layout is renkei's own, modelled on public facts: public client code of the private-side
//! 申請API sends a 申請者情報 XML, a 申請情報 XML (FormItems / Value) and an attachment folder; an
//! older government standard divides 申請データ into 構成管理情報, 申請書, 添付書類 and 署名情報;
//! and the ZIP carries 電子署名検証結果 data with the certificate's シリアル番号 and the 基本4情報
//! (seed 001 §5 ③-3). `docs/shinsei-zip.md` is the specification for vendors, with an XSD for each
//! XML file under `docs/xsd/shinsei-zip/`.
//!
//! ```text
//! {受付番号}.zip
//!   kousei_kanri.xml         構成管理情報: what the ZIP holds, each file's size and SHA-256
//!   shinseisho.xml           申請書: the filled preset form, enveloped XML signature
//!   shinseisho.pdf           the same form as a PDF, for people and for printing
//!   shomei_kensho_kekka.xml  電子署名検証結果 as the ぴったりサービス saw it at receipt
//!   tenpu/…                  添付書類, under their Japanese names (UTF-8 flag set)
//! ```
//!
//! [`build()`] makes a 申請ZIP from a [`ShinseiDocument`], byte for byte the same every time, and can
//! make it broken on purpose ([`ZipVariant`]). [`read()`] opens one the way a 申請管理システム must:
//! never panicking, refusing unsafe paths, zip bombs and anything that disagrees with the
//! 構成管理情報. [`ShinseiZip::verify`] then judges the signature.
//!
//! | module | what it is |
//! |---|---|
//! | [`document`] | the input: [`ShinseiDocument`], [`FilledForm`], [`Attachment`], [`Signing`], [`ZipVariant`] |
//! | [`manifest`] | 構成管理情報 (`kousei_kanri.xml`): [`KouseiKanri`] |
//! | [`shinseisho`] | 申請書 (`shinseisho.xml`): [`Shinseisho`] |
//! | [`kensho`] | 電子署名検証結果 (`shomei_kensho_kekka.xml`): [`ShomeiKenshoKekka`], [`KenshoKekka`] |
//! | [`pdf`] | the 申請書 as a small PDF with a non-embedded Japanese font |
//! | [`entry`] | file names inside the ZIP: what is safe to write and to extract |
//! | [`build`](mod@build) | [`build()`]: the ZIP, and the broken variants |
//! | [`read`](mod@read) | [`read()`]: opening a ZIP safely, [`ReadLimits`], [`ShinseiZip`] |
//! | [`error`] | [`ZipBuildError`], [`ZipReadError`] |
//! | `xml` | the small XML writer and reader the three XML files share |

pub mod build;
pub mod document;
pub mod entry;
pub mod error;
pub mod kensho;
pub mod manifest;
pub mod pdf;
pub mod read;
pub mod shinseisho;
mod xml;

pub use build::build;
pub use document::{Attachment, FilledForm, ShinseiDocument, Signing, ZipVariant};
pub use error::{ManifestProblem, ZipBuildError, ZipReadError};
pub use kensho::{KenshoKekka, ShomeiKenshoKekka, Shomeisho};
pub use manifest::{FileRecord, KouseiKanri, Shubetsu, Tetsuzuki};
pub use read::{ReadLimits, ShinseiZip, TenpuShorui, read, read_with};
pub use shinseisho::{ShinseiKomoku, Shinseisho, TenpuKisai};

/// The namespace of the three XML files (renkei-defined, version 1).
pub const NAMESPACE: &str = "urn:renkei:pittari:shinsei-zip:1";

/// The layout version written in each XML file's `版` attribute.
pub const LAYOUT_VERSION: &str = "1";

/// 構成管理情報: the first entry of every 申請ZIP.
pub const KOUSEI_KANRI: &str = "kousei_kanri.xml";
/// 申請書 XML, signed.
pub const SHINSEISHO_XML: &str = "shinseisho.xml";
/// 申請書 PDF.
pub const SHINSEISHO_PDF: &str = "shinseisho.pdf";
/// 電子署名検証結果.
pub const SHOMEI_KENSHO_KEKKA: &str = "shomei_kensho_kekka.xml";
/// The folder of the 添付書類, with its trailing slash.
pub const TENPU_DIR: &str = "tenpu/";

/// The ZIP's file name as the download API names it: `{受付番号}.zip`.
pub fn zip_file_name(uketsuke_bango: &renkei_fixtures::ids::UketsukeBango) -> String {
    format!("{uketsuke_bango}.zip")
}
