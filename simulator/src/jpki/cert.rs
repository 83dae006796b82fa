//! End-entity certificates: the 署名用 and 利用者証明用 certificates on a マイナンバーカード.
//!
//! Profile (renkei's, modelled on public facts; `docs/jpki.md`): X.509 v3, the request's serial,
//! validity from 00:00:00 JST on `not_before` to 23:59:59 JST on `not_after`, subject
//! `C=JP, O=renkei synthetic JPKI (not real), CN=<kind> <serial>` (the real subject CN is an opaque
//! identifier), keyUsage digitalSignature (+ nonRepudiation for 署名用), basicConstraints CA:FALSE,
//! authority and subject key identifiers, and for 署名用 the 基本4情報 in subjectAltName.

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, KeyUsagePurpose,
    SerialNumber,
};
use renkei_fixtures::ids::CertSerial;
use renkei_fixtures::population;
use time::{Date, OffsetDateTime, Time, UtcOffset};

use super::JpkiError;
use super::key::EcKey;
use super::kihon4::Kihon4;

/// Japan Standard Time: a validity "date" is a day in Japan.
pub(crate) const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("+09:00 is a valid offset"),
};

/// 電子証明書の種別: which of the two certificates on a マイナンバーカード.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CertKind {
    /// 署名用電子証明書: signs 申請書; carries the 基本4情報.
    Signature,
    /// 利用者証明用電子証明書: proves "it is me" at login; carries no personal data.
    Authentication,
}

impl CertKind {
    /// The Japanese word: 署名用 / 利用者証明用.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signature => "署名用",
            Self::Authentication => "利用者証明用",
        }
    }

    /// The issuing CA's organizational unit, as in the real issuer names (DOMAIN.md).
    pub fn ca_unit(self) -> &'static str {
        match self {
            Self::Signature => "JPKI for digital signature",
            Self::Authentication => "JPKI for user authentication",
        }
    }

    /// An ASCII word for names and key-derivation labels.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Authentication => "authentication",
        }
    }
}

impl From<population::CertKind> for CertKind {
    /// The synthetic population's certificate kinds map one to one.
    fn from(kind: population::CertKind) -> Self {
        match kind {
            population::CertKind::Shomei => Self::Signature,
            population::CertKind::RiyoshaShomei => Self::Authentication,
        }
    }
}

impl std::fmt::Display for CertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to put in one end-entity certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRequest {
    /// 署名用 or 利用者証明用; must match the CA that issues it.
    pub kind: CertKind,
    /// The X.509 serial number, the key the 申請管理システム looks the applicant up by.
    pub serial: CertSerial,
    /// First day of validity (from 00:00:00 JST).
    pub not_before: Date,
    /// Last day of validity (until 23:59:59 JST); real cards: the fifth birthday after issue.
    pub not_after: Date,
    /// 基本4情報: required for 署名用, refused for 利用者証明用.
    pub holder: Option<Kihon4>,
}

impl CertRequest {
    /// The request for one certificate in a synthetic resident's card history: its kind, serial
    /// and validity, and for 署名用 the resident's 基本4情報.
    pub fn of(resident: &population::Resident, certificate: &population::Certificate) -> Self {
        let kind = CertKind::from(certificate.kind);
        Self {
            kind,
            serial: certificate.serial,
            not_before: certificate.issued,
            not_after: certificate.expires,
            holder: (kind == CertKind::Signature).then(|| Kihon4::of(resident)),
        }
    }
}

/// A certificate and its private key, ready to sign 申請書 many times.
///
/// Issue once per resident certificate and keep it: issuing derives a key and signs a
/// certificate, signing only hashes and signs (`docs/jpki.md` has the figures).
#[derive(Clone)]
pub struct IssuedCert {
    kind: CertKind,
    serial: CertSerial,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    holder: Option<Kihon4>,
    der: Vec<u8>,
    key: EcKey,
    /// The certificate in base64, as every signature's `X509Certificate` carries it: encoded once.
    der_base64: String,
}

impl IssuedCert {
    /// Build the certificate for `request`, signed by `issuer`, with the subject key `key`.
    pub(crate) fn issue(
        request: &CertRequest,
        key: EcKey,
        issuer: &rcgen::Issuer<'_, EcKey>,
    ) -> Result<Self, JpkiError> {
        let refuse = |reason: String| JpkiError::Issue {
            serial: request.serial,
            reason,
        };
        if request.not_after < request.not_before {
            return Err(refuse(format!(
                "有効期間の終了日 {} が開始日 {} より前です",
                request.not_after, request.not_before
            )));
        }
        let san = match (request.kind, &request.holder) {
            (CertKind::Signature, Some(holder)) => holder.to_san().map_err(refuse)?,
            (CertKind::Signature, None) => {
                return Err(refuse("署名用電子証明書には基本4情報が必要です".to_owned()));
            }
            (CertKind::Authentication, Some(_)) => {
                return Err(refuse(
                    "利用者証明用電子証明書は基本4情報を載せません".to_owned(),
                ));
            }
            (CertKind::Authentication, None) => Vec::new(),
        };
        let not_before = start_of_day(request.not_before);
        let not_after = end_of_day(request.not_after);

        let mut params = CertificateParams::default();
        params.distinguished_name = subject(request.kind, request.serial);
        params.serial_number = Some(SerialNumber::from(request.serial.value()));
        params.not_before = not_before.to_offset(UtcOffset::UTC);
        params.not_after = not_after.to_offset(UtcOffset::UTC);
        params.subject_alt_names = san;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = match request.kind {
            CertKind::Signature => {
                vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::ContentCommitment,
                ]
            }
            CertKind::Authentication => vec![KeyUsagePurpose::DigitalSignature],
        };
        params.use_authority_key_identifier_extension = true;
        let certificate = params
            .signed_by(&key, issuer)
            .map_err(|e| refuse(format!("証明書を生成できません: {e}")))?;
        let der = certificate.der().to_vec();
        let der_base64 = base64::engine::general_purpose::STANDARD.encode(&der);

        Ok(Self {
            kind: request.kind,
            serial: request.serial,
            not_before,
            not_after,
            holder: request.holder.clone(),
            der,
            key,
            der_base64,
        })
    }

    /// 署名用 or 利用者証明用.
    pub fn kind(&self) -> CertKind {
        self.kind
    }

    /// The certificate's serial number.
    pub fn serial(&self) -> CertSerial {
        self.serial
    }

    /// Start of validity (00:00:00 JST on the requested day).
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of validity (23:59:59 JST on the requested day).
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// The 基本4情報 in the certificate (`None` for 利用者証明用).
    pub fn holder(&self) -> Option<&Kihon4> {
        self.holder.as_ref()
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`).
    pub fn pem(&self) -> String {
        pem_block("CERTIFICATE", &self.der)
    }

    /// The private key, unencrypted PKCS#8 DER. Synthetic: it protects nothing real.
    pub fn private_key_pkcs8_der(&self) -> Vec<u8> {
        self.key.pkcs8_der()
    }

    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), e.g. for `xmlsec1 --sign`.
    pub fn private_key_pem(&self) -> String {
        self.key.pkcs8_pem()
    }

    /// Sign `xml` with this certificate: see [`super::sign_enveloped`].
    pub fn sign_enveloped(&self, xml: &str) -> Result<String, JpkiError> {
        super::sign_enveloped(xml, self)
    }

    /// The certificate in base64 (no line breaks), for `ds:X509Certificate`.
    pub(crate) fn der_base64(&self) -> &str {
        &self.der_base64
    }

    /// The private key, for signing documents.
    pub(crate) fn key(&self) -> &EcKey {
        &self.key
    }
}

impl std::fmt::Debug for IssuedCert {
    /// Everything but the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCert")
            .field("kind", &self.kind)
            .field("serial", &self.serial)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

/// Subject of an end-entity certificate: marked synthetic, named by kind and serial.
fn subject(kind: CertKind, serial: CertSerial) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CountryName, printable("JP"));
    name.push(
        DnType::OrganizationName,
        printable("renkei synthetic JPKI (not real)"),
    );
    name.push(
        DnType::CommonName,
        printable(&format!("{} {serial}", kind.slug())),
    );
    name
}

/// A name attribute as PrintableString, as RFC 5280 requires for countryName and the real JPKI
/// names use; every renkei name is ASCII without the characters PrintableString lacks.
pub(crate) fn printable(text: &str) -> DnValue {
    DnValue::PrintableString(
        text.try_into()
            .expect("renkei's certificate names are PrintableString"),
    )
}

/// Basic constraints of a JPKI CA: it issues end-entity certificates only.
pub(crate) fn ca_constraints() -> IsCa {
    IsCa::Ca(BasicConstraints::Constrained(0))
}

/// 00:00:00 JST on `day`.
pub(crate) fn start_of_day(day: Date) -> OffsetDateTime {
    day.with_time(Time::MIDNIGHT).assume_offset(JST)
}

/// 23:59:59 JST on `day` (X.509 times have whole seconds).
pub(crate) fn end_of_day(day: Date) -> OffsetDateTime {
    let last_second = Time::from_hms(23, 59, 59).expect("23:59:59 is a time");
    day.with_time(last_second).assume_offset(JST)
}

/// A time as people in Japan read it: `2025-06-01 12:00:00 JST`.
pub(crate) fn jst_text(at: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] JST");
    at.to_offset(JST)
        .format(format)
        .unwrap_or_else(|_| at.to_string())
}

/// A PEM block with LF line endings and 64-character lines (RFC 7468).
pub(crate) fn pem_block(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpki::Jpki;
    use crate::jpki::testing::{kihon4, request};
    use crate::jpki::x509::ParsedCert;
    use time::macros::datetime;

    #[test]
    fn a_signature_certificate_carries_serial_validity_and_kihon4() {
        let jpki = Jpki::generate(3);
        let cert = jpki.issue(&request(CertKind::Signature, u64::MAX)).unwrap();
        let parsed = ParsedCert::parse(cert.der()).unwrap();
        assert_eq!(
            parsed.serial,
            Some(u64::MAX),
            "the widest serial survives as a positive INTEGER"
        );
        assert_eq!(parsed.not_before, datetime!(2024-04-01 00:00 +9));
        assert_eq!(parsed.not_after, datetime!(2029-03-31 23:59:59 +9));
        assert_eq!(
            (cert.not_before(), cert.not_after()),
            (parsed.not_before, parsed.not_after)
        );
        assert!(!parsed.is_ca);
        assert!(parsed.signed_by(&jpki.signature_ca.public_key()));
        assert!(!parsed.signed_by(&jpki.auth_ca.public_key()));
        let read_back = Kihon4::from_other_names(
            parsed
                .other_names
                .iter()
                .map(|(o, v)| (o.clone(), v.as_str())),
        );
        assert_eq!(
            read_back.unwrap(),
            Some(kihon4()),
            "𠮷, 髙 and the PUA 外字 survive"
        );
        assert_eq!(cert.holder(), Some(&kihon4()));
        assert!(cert.pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(cert.pem().lines().all(|line| line.len() <= 64));
        assert!(
            cert.private_key_pem()
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
    }

    #[test]
    fn an_authentication_certificate_carries_no_personal_data() {
        let jpki = Jpki::generate(3);
        let cert = jpki.issue(&request(CertKind::Authentication, 9)).unwrap();
        let parsed = ParsedCert::parse(cert.der()).unwrap();
        assert!(parsed.other_names.is_empty());
        assert_eq!(cert.holder(), None);
        assert_eq!(cert.kind(), CertKind::Authentication);
    }

    #[test]
    fn the_population_kinds_map_to_certificate_kinds() {
        assert_eq!(
            CertKind::from(population::CertKind::Shomei),
            CertKind::Signature
        );
        assert_eq!(
            CertKind::from(population::CertKind::RiyoshaShomei),
            CertKind::Authentication
        );
        assert_eq!(
            CertKind::Signature.to_string(),
            population::CertKind::Shomei.as_str()
        );
    }
}
