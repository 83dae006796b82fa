//! What a 申請ZIP is made from: one 申請 as the resident sent it to the ぴったりサービス.
//!
//! The caller chooses everything a scenario varies: the procedure and the values typed into its
//! preset form, the certificate that signed it (valid, revoked, expired, unknown to the 住基
//! link, with 基本4情報 that differ from 住基) or none, the attachments, and whether the ZIP is
//! delivered intact or broken ([`ZipVariant`]). `docs/shinsei-zip.md` says how each choice shows
//! in the ZIP and what a 申請管理システム must do with it.

use renkei_fixtures::catalog::{FormField, Procedure};
use renkei_fixtures::ids::{DantaiCode, UketsukeBango};
use time::OffsetDateTime;

use super::error::ZipBuildError;
use super::xml::check_text;
use crate::jpki::{IssuedCert, TrustStore};

/// One 申請, ready to become a 申請ZIP with [`super::build()`].
#[derive(Debug, Clone)]
pub struct ShinseiDocument<'a> {
    /// 受付番号: the ぴったりサービス's number for this 申請; also the ZIP's file name.
    pub uketsuke_bango: UketsukeBango,
    /// The 団体 the 申請 is addressed to.
    pub dantai_code: DantaiCode,
    /// 申請日時: when the resident sent it. Every timestamp in the ZIP derives from it (file times,
    /// the PDF's creation date, the time of the 検証 at receipt), so the bytes never depend on the
    /// clock. Written to the second, in JST; a fraction of a second is dropped.
    pub shinsei_nichiji: OffsetDateTime,
    /// The procedure and the values typed into its preset form, checked against the form.
    pub form: FilledForm<'a>,
    /// The applicant's signature, or `None` for a procedure sent without one.
    pub signing: Option<Signing<'a>>,
    /// 添付書類, in the order the applicant attached them. Borrowed: building thousands of ZIPs
    /// with the same scanned document should not copy it thousands of times.
    pub attachments: &'a [Attachment],
    /// Intact, or broken in one of the ways a download can be broken.
    pub variant: ZipVariant,
}

impl<'a> ShinseiDocument<'a> {
    /// The procedure (手続) of the 申請.
    pub fn procedure(&self) -> &'a Procedure {
        self.form.procedure()
    }
}

/// The signature on the 申請書: whose certificate, and what the ぴったりサービス trusted when it
/// received the 申請.
#[derive(Debug, Clone, Copy)]
pub struct Signing<'a> {
    /// The applicant's certificate with its key: a 署名用電子証明書 normally. Its serial and its
    /// 基本4情報 go into the 電子署名検証結果 as they are in the certificate.
    pub cert: &'a IssuedCert,
    /// The 署名用 CA and a CRL current at 申請日時: the ぴったりサービス verifies the signature
    /// at receipt against these, and the outcome is the ZIP's 検証結果. A certificate revoked
    /// before 申請日時 is recorded as 証明書失効; one revoked later as 検証済み, and only a
    /// 申請管理システム that checks the CRL itself at download time finds out (ING-08).
    pub trust_at_receipt: &'a TrustStore,
}

/// How the ZIP is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZipVariant {
    /// Intact.
    Valid,
    /// One value of `shinseisho.xml` changed after it was signed: the first `number` field with
    /// a value (an amount, an account number) gets its last digit changed; a form without one gets
    /// the first character of its first filled `text` field (the applicant's name) changed. The
    /// 構成管理情報 is made after the change, so the ZIP itself is consistent and only the
    /// signature shows the alteration (ING-07). The PDF and the 検証結果 are as they were at
    /// receipt. Needs a [`Signing`].
    TamperedAfterSigning,
    /// The ZIP cut short, as an interrupted download leaves it: the first two thirds of the bytes,
    /// so the central directory and its end record are missing (ING-09).
    Truncated,
    /// The ZIP with the signature of its first central directory header flipped, so that no ZIP
    /// reader can list its entries (ING-09).
    Corrupt,
    /// The first attachment replaced after signing (a different scan), the unsigned 構成管理情報
    /// made to match the replacement: only the signed 申請書's 添付書類一覧 shows it (ING-07b).
    /// Needs a [`Signing`] and at least one attachment.
    AttachmentSwapped,
}

impl ZipVariant {
    /// Every variant.
    pub const ALL: [ZipVariant; 5] = [
        Self::Valid,
        Self::TamperedAfterSigning,
        Self::Truncated,
        Self::Corrupt,
        Self::AttachmentSwapped,
    ];
}

/// One 添付書類 as the applicant attached it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the applicant's device gave it, e.g. `本人確認書類（写し）.pdf`: kept exactly,
    /// as the entry `tenpu/{name}`. Must be a valid Windows file name (see [`super::entry`]).
    pub name: String,
    /// Its media type, e.g. `application/pdf`, `image/jpeg`.
    pub media_type: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

impl Attachment {
    /// An attachment with this name, media type and content.
    pub fn new(name: impl Into<String>, media_type: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            media_type: media_type.into(),
            bytes,
        }
    }
}

/// A preset form with the values the applicant typed, checked against the form: every value
/// belongs to one of the form's fields, no field is given twice, every required (必須) field has
/// a value, and every value is text XML can carry. Values are kept exactly (no trimming, no
/// normalisation of 〜/～, half-width カナ or 外字): checking their content against the field type
/// is the 申請管理システム's business (ING-16), not the transport's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilledForm<'a> {
    procedure: &'a Procedure,
    /// One per field of the form, in form order; `""` for an optional field left empty.
    values: Vec<String>,
}

impl<'a> FilledForm<'a> {
    /// The form of `procedure` filled with `values` (field id → value, in any order).
    ///
    /// Refused, naming the field: an id the form does not have, an id given twice, a required
    /// field left empty or blank, a value with a character XML 1.0 cannot carry.
    pub fn new<K, V>(
        procedure: &'a Procedure,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ZipBuildError>
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut slots: Vec<Option<String>> = vec![None; procedure.fields.len()];
        for (id, value) in values {
            let id = id.as_ref();
            let index = procedure
                .fields
                .iter()
                .position(|f| f.id == id)
                .ok_or_else(|| ZipBuildError::UnknownField {
                    tetsuzuki: procedure.id.clone(),
                    field: id.to_owned(),
                })?;
            let field = &procedure.fields[index];
            let value = value.into();
            if let Err((position, character)) = check_text(&value) {
                return Err(ZipBuildError::BadCharacter {
                    item: format!("項目 {} ({})", field.id, field.label),
                    position,
                    character,
                });
            }
            if slots[index].replace(value).is_some() {
                return Err(ZipBuildError::DuplicateField {
                    tetsuzuki: procedure.id.clone(),
                    field: id.to_owned(),
                });
            }
        }
        let mut filled = Vec::with_capacity(slots.len());
        for (field, slot) in procedure.fields.iter().zip(slots) {
            let value = slot.unwrap_or_default();
            if field.required && value.trim().is_empty() {
                return Err(ZipBuildError::MissingRequired {
                    tetsuzuki: procedure.id.clone(),
                    field: field.id.clone(),
                    label: field.label.clone(),
                });
            }
            filled.push(value);
        }
        Ok(Self {
            procedure,
            values: filled,
        })
    }

    /// The procedure whose form this is.
    pub fn procedure(&self) -> &'a Procedure {
        self.procedure
    }

    /// The value of the field `id` (`""` when an optional field was left empty), or `None` when
    /// the form has no such field.
    pub fn value(&self, id: &str) -> Option<&str> {
        self.procedure
            .fields
            .iter()
            .position(|f| f.id == id)
            .map(|i| self.values[i].as_str())
    }

    /// Every field with its value, in form order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a FormField, &str)> {
        self.procedure
            .fields
            .iter()
            .zip(self.values.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_fixtures::catalog::Catalogs;

    fn kosodate_01() -> &'static Procedure {
        Catalogs::embedded().procedure("kosodate-01").unwrap()
    }

    fn required_values() -> Vec<(String, String)> {
        kosodate_01()
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| (f.id.clone(), format!("{}の値", f.label)))
            .collect()
    }

    #[test]
    fn values_come_back_in_form_order_whatever_the_input_order() {
        let mut values = required_values();
        values.reverse();
        let form = FilledForm::new(kosodate_01(), values).unwrap();
        let ids: Vec<&str> = form.iter().map(|(f, _)| f.id.as_str()).collect();
        let expected: Vec<&str> = kosodate_01().fields.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, expected);
        assert_eq!(form.value("seikyusha_shimei"), Some("請求者氏名の値"));
        assert_eq!(form.value("no_such_field"), None);
    }

    #[test]
    fn an_unknown_field_is_named() {
        let mut values = required_values();
        values.push(("kingaku_typo".into(), "1".into()));
        let error = FilledForm::new(kosodate_01(), values).unwrap_err();
        assert!(
            matches!(&error, ZipBuildError::UnknownField { field, .. } if field == "kingaku_typo")
        );
        assert!(
            error.to_string().contains("kingaku_typo") && error.to_string().contains("kosodate-01")
        );
    }

    #[test]
    fn a_missing_or_blank_required_value_is_named_with_its_label() {
        let values: Vec<_> = required_values()
            .into_iter()
            .filter(|(id, _)| id != "koza_bango")
            .collect();
        let error = FilledForm::new(kosodate_01(), values).unwrap_err();
        assert!(error.to_string().contains("koza_bango") && error.to_string().contains("口座番号"));
        let mut blank = required_values();
        blank[0].1 = "\u{3000} ".into();
        let error = FilledForm::new(kosodate_01(), blank).unwrap_err();
        assert!(
            matches!(error, ZipBuildError::MissingRequired { field, .. } if field == "seikyusha_shimei")
        );
    }

    #[test]
    fn a_field_given_twice_or_a_control_character_is_refused() {
        let mut values = required_values();
        values.push(("jusho".into(), "二つ目".into()));
        assert!(matches!(
            FilledForm::new(kosodate_01(), values).unwrap_err(),
            ZipBuildError::DuplicateField { field, .. } if field == "jusho"
        ));
        let mut values = required_values();
        values[1].1 = "ヨシダ\u{8}".into();
        let error = FilledForm::new(kosodate_01(), values).unwrap_err();
        assert!(matches!(
            error,
            ZipBuildError::BadCharacter {
                position: 3,
                character: '\u{8}',
                ..
            }
        ));
    }
}
