//! 証明書失効リスト (CRL): how the synthetic JPKI says a certificate was revoked.
//!
//! Real cards lose their certificates on a move, a name change, a renewal or a loss
//! (`renkei_fixtures::population` models those histories); the 申請管理システム must reject a
//! 申請 signed after revocation. The simulator serves each CA's CRL over HTTP (the download API
//! documents the path); vendors fetch it and check serials against it.
//!
//! Profile: X.509 v2 CRL (RFC 5280 §5), ecdsa-with-SHA256, thisUpdate / nextUpdate as given,
//! CRL number = thisUpdate in Unix seconds, authority key identifier, no reason codes.

use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};
use renkei_fixtures::ids::CertSerial;
use time::{OffsetDateTime, UtcOffset};

use super::JpkiError;
use super::ca::JpkiCa;
use super::cert::{jst_text, pem_block};

impl JpkiCa {
    /// A CRL listing `revoked` (serial, time of revocation), signed by this CA, DER.
    ///
    /// The CRL number is `this_update` in Unix seconds, so a later CRL has a larger number
    /// (RFC 5280 §5.2.3) without renkei keeping a counter. Refused when `next_update` is not
    /// after `this_update` (RFC 5280 §5.1.2.5) or `this_update` is before 1970.
    pub fn crl(
        &self,
        revoked: &[(CertSerial, OffsetDateTime)],
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<Vec<u8>, JpkiError> {
        if next_update <= this_update {
            return Err(JpkiError::Crl(format!(
                "nextUpdate {} が thisUpdate {} より後ではありません (RFC 5280 §5.1.2.5)",
                jst_text(next_update),
                jst_text(this_update)
            )));
        }
        let crl_number = u64::try_from(this_update.unix_timestamp()).map_err(|_| {
            JpkiError::Crl(format!(
                "thisUpdate {} が1970年より前です",
                jst_text(this_update)
            ))
        })?;
        let params = CertificateRevocationListParams {
            this_update: this_update.to_offset(UtcOffset::UTC),
            next_update: next_update.to_offset(UtcOffset::UTC),
            crl_number: SerialNumber::from(crl_number),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|(serial, at)| RevokedCertParams {
                    serial_number: SerialNumber::from(serial.value()),
                    revocation_time: at.to_offset(UtcOffset::UTC),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params
            .signed_by(&self.issuer)
            .map_err(|e| JpkiError::Crl(e.to_string()))?;
        Ok(crl.der().to_vec())
    }
}

/// A DER CRL as PEM (`-----BEGIN X509 CRL-----`), e.g. for `xmlsec1 --crl-pem`.
pub fn crl_pem(der: &[u8]) -> String {
    pem_block("X509 CRL", der)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpki::testing::{AT, NEXT_UPDATE, THIS_UPDATE, serial};
    use crate::jpki::x509::{ParsedCrl, subject_der};
    use crate::jpki::{Jpki, TrustStore};
    use time::Duration;
    use x509_cert::crl::CertificateList;
    use x509_cert::der::Decode as _;

    /// The CRL number extension (2.5.29.20) as written: the DER INTEGER's content bytes.
    fn crl_number(der: &[u8]) -> Vec<u8> {
        let crl = CertificateList::from_der(der).unwrap();
        let extension = crl
            .tbs_cert_list
            .crl_extensions
            .unwrap()
            .into_iter()
            .find(|e| e.extn_id.to_string() == "2.5.29.20")
            .expect("a CRL number");
        extension.extn_value.as_bytes()[2..].to_vec()
    }

    #[test]
    fn a_crl_lists_the_revoked_serials_and_is_signed_by_its_ca() {
        let jpki = Jpki::generate(9);
        let revoked = [(serial(12), AT - Duration::days(2)), (serial(u64::MAX), AT)];
        let der = jpki
            .signature_ca
            .crl(&revoked, THIS_UPDATE, NEXT_UPDATE)
            .unwrap();
        let crl = ParsedCrl::parse(&der).unwrap();
        assert_eq!(
            crl.issuer,
            subject_der(jpki.signature_ca.cert_der()).unwrap()
        );
        assert_eq!(
            (crl.this_update, crl.next_update),
            (THIS_UPDATE, Some(NEXT_UPDATE))
        );
        assert_eq!(
            crl.revoked,
            vec![(12, AT - Duration::days(2)), (u64::MAX, AT)]
        );
        assert!(crl.signed_by(&jpki.signature_ca.public_key()));
        assert!(!crl.signed_by(&jpki.auth_ca.public_key()));
        assert!(crl_pem(&der).starts_with("-----BEGIN X509 CRL-----\n"));
    }

    #[test]
    fn later_crls_have_larger_numbers() {
        let ca = Jpki::generate(9).signature_ca;
        let first = ca.crl(&[], THIS_UPDATE, NEXT_UPDATE).unwrap();
        let second = ca
            .crl(&[], NEXT_UPDATE, NEXT_UPDATE + Duration::days(1))
            .unwrap();
        assert!(crl_number(&first).len() <= crl_number(&second).len());
        assert!(crl_number(&first) < crl_number(&second));
    }

    #[test]
    fn a_crl_must_end_after_it_starts() {
        let ca = Jpki::generate(9).signature_ca;
        let refused = ca.crl(&[], THIS_UPDATE, THIS_UPDATE).unwrap_err();
        assert!(
            refused.to_string().contains("RFC 5280 §5.1.2.5"),
            "{refused}"
        );
    }

    #[test]
    fn a_trust_store_keeps_the_newest_crl_of_each_ca() {
        use crate::jpki::testing::{SHINSEISHO, request};
        use crate::jpki::{CertKind, VerifyOutcome, sign_enveloped, verify};
        let jpki = Jpki::generate(9);
        let cert = jpki.issue(&request(CertKind::Signature, 12)).unwrap();
        let signed = sign_enveloped(SHINSEISHO, &cert).unwrap();
        let revoked_at = THIS_UPDATE + Duration::hours(1);
        let older = jpki
            .signature_ca
            .crl(&[], THIS_UPDATE, NEXT_UPDATE)
            .unwrap();
        let newer = jpki
            .signature_ca
            .crl(
                &[(serial(12), revoked_at)],
                THIS_UPDATE + Duration::hours(2),
                NEXT_UPDATE,
            )
            .unwrap();
        let expected = VerifyOutcome::Revoked {
            serial: serial(12),
            revoked_at,
        };
        for order in [[&older, &newer], [&newer, &older]] {
            let trust = TrustStore::new([&jpki.signature_ca])
                .with_crl(order[0])
                .unwrap()
                .with_crl(order[1])
                .unwrap();
            assert_eq!(verify(&signed, &trust, AT), expected);
        }
    }

    #[test]
    fn a_trust_store_takes_only_crls_its_cas_signed() {
        let jpki = Jpki::generate(9);
        let trust = TrustStore::new([&jpki.signature_ca]);
        let of_auth_ca = jpki.auth_ca.crl(&[], THIS_UPDATE, NEXT_UPDATE).unwrap();
        assert!(matches!(
            trust.clone().with_crl(&of_auth_ca),
            Err(JpkiError::CrlRejected(_))
        ));
        let look_alike = Jpki::generate(10)
            .signature_ca
            .crl(&[], THIS_UPDATE, NEXT_UPDATE)
            .unwrap();
        assert!(matches!(
            trust.clone().with_crl(&look_alike),
            Err(JpkiError::CrlRejected(_))
        ));
        assert!(matches!(
            trust.with_crl(b"not a CRL"),
            Err(JpkiError::CrlRejected(_))
        ));
    }
}
