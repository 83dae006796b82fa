//! Reading certificates and CRLs back: what verification needs out of the DER.
//!
//! Verification parses what a document or a caller hands it, so nothing here trusts its input:
//! every failure is a message for [`super::VerifyOutcome::Malformed`] or a refused CRL.

use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::oid::AssociatedOid as _;
use x509_cert::der::{Decode as _, Encode as _, Tag, Tagged as _};
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use super::key::PublicKey;

/// ecdsa-with-SHA256 (RFC 5758 §3.2): the only signature algorithm renkei's JPKI uses.
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// id-ecPublicKey (RFC 5480 §2.1.1).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 = P-256 (RFC 5480 §2.1.1.1).
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// The signed part of a certificate or CRL and the signature over it.
struct Signed {
    tbs: Vec<u8>,
    algorithm: ObjectIdentifier,
    signature: Vec<u8>,
}

impl Signed {
    /// Whether `key` made this signature with ecdsa-with-SHA256.
    fn by(&self, key: &PublicKey) -> bool {
        self.algorithm == ECDSA_WITH_SHA256 && key.verifies_der(&self.tbs, &self.signature)
    }
}

/// An end-entity certificate as verification sees it.
pub(crate) struct ParsedCert {
    /// The issuer name, DER: compared byte for byte with a trust anchor's subject.
    pub(crate) issuer: Vec<u8>,
    /// The issuer name, RFC 4514 text, for messages.
    pub(crate) issuer_text: String,
    /// The serial, when it is a positive integer that fits 64 bits (every renkei serial does).
    pub(crate) serial: Option<u64>,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    /// basicConstraints cA: a CA certificate must not sign 申請書.
    pub(crate) is_ca: bool,
    /// subjectAltName otherName entries holding a UTF8String: (dotted OID, value).
    pub(crate) other_names: Vec<(String, String)>,
    /// The subject's key, when it is a P-256 key (the only kind renkei's CAs certify).
    pub(crate) public_key: Option<PublicKey>,
    signed: Signed,
}

impl ParsedCert {
    /// Parse a DER certificate.
    pub(crate) fn parse(der: &[u8]) -> Result<Self, String> {
        let cert =
            Certificate::from_der(der).map_err(|e| format!("X.509 証明書として読めません: {e}"))?;
        let tbs = &cert.tbs_certificate;
        let der_of = |what: &str, result: x509_cert::der::Result<Vec<u8>>| {
            result.map_err(|e| format!("証明書の{what}を符号化できません: {e}"))
        };
        let (is_ca, other_names) = read_extensions(tbs.extensions.as_ref())?;
        Ok(Self {
            issuer: der_of("発行者名", tbs.issuer.to_der())?,
            issuer_text: tbs.issuer.to_string(),
            serial: positive_u64(tbs.serial_number.as_bytes()),
            not_before: to_offset_date_time(tbs.validity.not_before),
            not_after: to_offset_date_time(tbs.validity.not_after),
            is_ca,
            other_names,
            public_key: p256_key(&tbs.subject_public_key_info),
            signed: Signed {
                tbs: der_of("署名対象部分", tbs.to_der())?,
                algorithm: cert.signature_algorithm.oid,
                signature: cert.signature.raw_bytes().to_vec(),
            },
        })
    }

    /// Whether `key` (a CA's) signed this certificate.
    pub(crate) fn signed_by(&self, key: &PublicKey) -> bool {
        self.signed.by(key)
    }
}

/// A CRL as a trust store keeps it.
pub(crate) struct ParsedCrl {
    /// The issuer name, DER.
    pub(crate) issuer: Vec<u8>,
    pub(crate) this_update: OffsetDateTime,
    pub(crate) next_update: Option<OffsetDateTime>,
    /// (serial, revocation time); serials that are not a positive u64 cannot name a renkei
    /// certificate and are dropped.
    pub(crate) revoked: Vec<(u64, OffsetDateTime)>,
    signed: Signed,
}

impl ParsedCrl {
    /// Parse a DER CRL.
    pub(crate) fn parse(der: &[u8]) -> Result<Self, String> {
        let crl =
            CertificateList::from_der(der).map_err(|e| format!("CRL として読めません: {e}"))?;
        let tbs = &crl.tbs_cert_list;
        Ok(Self {
            issuer: tbs
                .issuer
                .to_der()
                .map_err(|e| format!("CRL の発行者名: {e}"))?,
            this_update: to_offset_date_time(tbs.this_update),
            next_update: tbs.next_update.map(to_offset_date_time),
            revoked: tbs
                .revoked_certificates
                .iter()
                .flatten()
                .filter_map(|entry| {
                    let serial = positive_u64(entry.serial_number.as_bytes())?;
                    Some((serial, to_offset_date_time(entry.revocation_date)))
                })
                .collect(),
            signed: Signed {
                tbs: tbs
                    .to_der()
                    .map_err(|e| format!("CRL の署名対象部分: {e}"))?,
                algorithm: crl.signature_algorithm.oid,
                signature: crl.signature.raw_bytes().to_vec(),
            },
        })
    }

    /// Whether `key` (a CA's) signed this CRL.
    pub(crate) fn signed_by(&self, key: &PublicKey) -> bool {
        self.signed.by(key)
    }
}

/// The subject name of a certificate, DER (for trust anchors).
pub(crate) fn subject_der(cert_der: &[u8]) -> Result<Vec<u8>, String> {
    let cert = Certificate::from_der(cert_der)
        .map_err(|e| format!("X.509 証明書として読めません: {e}"))?;
    cert.tbs_certificate
        .subject
        .to_der()
        .map_err(|e| format!("主体者名: {e}"))
}

/// The key in `spki` if it is an EC key on P-256.
fn p256_key(spki: &SubjectPublicKeyInfoOwned) -> Option<PublicKey> {
    let curve = spki
        .algorithm
        .parameters
        .as_ref()?
        .decode_as::<ObjectIdentifier>()
        .ok()?;
    (spki.algorithm.oid == EC_PUBLIC_KEY && curve == SECP256R1)
        .then(|| PublicKey::from_sec1(spki.subject_public_key.raw_bytes()))
}

/// basicConstraints cA, and the UTF8String otherName entries of subjectAltName.
fn read_extensions(
    extensions: Option<&Extensions>,
) -> Result<(bool, Vec<(String, String)>), String> {
    let mut is_ca = false;
    let mut other_names = Vec::new();
    for extension in extensions.into_iter().flatten() {
        let value = extension.extn_value.as_bytes();
        if extension.extn_id == BasicConstraints::OID {
            is_ca = BasicConstraints::from_der(value)
                .map_err(|e| format!("basicConstraints を読めません: {e}"))?
                .ca;
        } else if extension.extn_id == SubjectAltName::OID {
            let names = SubjectAltName::from_der(value)
                .map_err(|e| format!("subjectAltName を読めません: {e}"))?;
            for name in names.0 {
                if let GeneralName::OtherName(other) = name
                    && other.value.tag() == Tag::Utf8String
                {
                    let text = std::str::from_utf8(other.value.value()).map_err(|_| {
                        format!("subjectAltName {} が UTF-8 ではありません", other.type_id)
                    })?;
                    other_names.push((other.type_id.to_string(), text.to_owned()));
                }
            }
        }
    }
    Ok((is_ca, other_names))
}

/// A DER INTEGER's content as a positive u64, or `None` (zero, negative, or wider than 64 bits).
fn positive_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let significant = &bytes[bytes.iter().take_while(|b| **b == 0).count()..];
    if significant.is_empty() || significant.len() > 8 {
        return None;
    }
    Some(significant.iter().fold(0, |n, b| (n << 8) | u64::from(*b)))
}

fn to_offset_date_time(time: x509_cert::time::Time) -> OffsetDateTime {
    let seconds = i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::positive_u64;

    #[test]
    fn serial_integers_become_u64_only_when_positive_and_narrow() {
        assert_eq!(positive_u64(&[0x01]), Some(1));
        assert_eq!(positive_u64(&[0x00, 0xFF]), Some(255));
        assert_eq!(
            positive_u64(&[0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            Some(u64::MAX)
        );
        assert_eq!(positive_u64(&[0x80]), None, "negative");
        assert_eq!(positive_u64(&[0x00]), None, "zero");
        assert_eq!(
            positive_u64(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
            None,
            "wider than 64 bits"
        );
    }
}
