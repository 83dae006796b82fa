//! Verifying a signed 申請書 the way the 申請管理システム must (seed 000 §1(2), §4):
//! is it intact (改ざん), was the certificate valid then, and not revoked.
//!
//! The checks run in this order, and the first that fails is the outcome:
//! 1. the document is XML with exactly one `ds:Signature`, a child of the document element,
//!    carrying exactly one `X509Certificate` (else [`VerifyOutcome::Malformed`]);
//! 2. that certificate was signed by a trusted CA and is not itself a CA
//!    ([`VerifyOutcome::UntrustedIssuer`]); only then is its key used, and no other key is;
//! 3. the digest and the signature value match ([`VerifyOutcome::Tampered`]);
//! 4. the signature follows renkei's profile, covering the whole document ([`VerifyOutcome::Malformed`]);
//! 5. the issuing CA's CRL (if the store has one, current or not) does not list the serial as
//!    revoked at or before `at` ([`VerifyOutcome::Revoked`]): revocation is final, and a
//!    certificate both revoked and expired is 失効, as `renkei_fixtures::population::CertStatus` says;
//! 6. `at` lies in the certificate's validity ([`VerifyOutcome::NotYetValid`], [`VerifyOutcome::Expired`]);
//! 7. the issuing CA's CRL is there and current at `at` ([`VerifyOutcome::RevocationUnknown`]).

use bergshamra::xml::uppsala;
use bergshamra::{DsigContext, KeysManager, VerifyResult};
use renkei_fixtures::ids::CertSerial;
use time::OffsetDateTime;

use super::cert::{CertKind, jst_text};
use super::kihon4::Kihon4;
use super::trust::TrustStore;
use super::x509::ParsedCert;
use super::xmldsig::{check_profile, dsig_children, signatures};

/// The verdict on one signed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// 検証済み: intact, signed with a trusted, valid, unrevoked certificate.
    Valid {
        /// The signer's certificate serial (the 申請管理システム's first lookup key).
        serial: CertSerial,
        /// Which CA issued it: a 申請書 should carry 署名用.
        kind: CertKind,
        /// The 基本4情報 in the certificate (`None` for 利用者証明用).
        holder: Option<Kihon4>,
    },
    /// 改ざん: the content or the SignedInfo changed after signing (digest or signature mismatch).
    Tampered {
        /// What did not match.
        reason: String,
    },
    /// The certificate was revoked at or before the time of verification.
    Revoked {
        /// The revoked certificate.
        serial: CertSerial,
        /// When the CRL says it was revoked.
        revoked_at: OffsetDateTime,
    },
    /// The certificate's validity ended before the time of verification.
    Expired {
        /// The expired certificate.
        serial: CertSerial,
        /// Its notAfter.
        not_after: OffsetDateTime,
    },
    /// The certificate's validity starts after the time of verification.
    NotYetValid {
        /// The certificate.
        serial: CertSerial,
        /// Its notBefore.
        not_before: OffsetDateTime,
    },
    /// The certificate was not signed by any CA in the trust store (or is a CA certificate).
    UntrustedIssuer {
        /// The issuer the certificate names, RFC 4514.
        issuer: String,
    },
    /// Revocation cannot be decided: no CRL from the issuing CA, or its nextUpdate has passed.
    RevocationUnknown {
        /// The certificate.
        serial: CertSerial,
        /// Why.
        reason: String,
    },
    /// Not a signed document renkei can judge: not XML, no signature or certificate, more than one
    /// signature, or a signature outside renkei's profile.
    Malformed(String),
}

impl VerifyOutcome {
    /// Whether the document passed (検証済み).
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid { .. })
    }
}

impl std::fmt::Display for VerifyOutcome {
    /// One line for a log, a report row or an API message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Valid { serial, kind, .. } => {
                write!(f, "検証済み ({kind}電子証明書 シリアル番号 {serial})")
            }
            Self::Tampered { reason } => write!(f, "改ざんを検知しました: {reason}"),
            Self::Revoked { serial, revoked_at } => {
                write!(
                    f,
                    "電子証明書 (シリアル番号 {serial}) は {} に失効しています",
                    jst_text(*revoked_at)
                )
            }
            Self::Expired { serial, not_after } => {
                write!(
                    f,
                    "電子証明書 (シリアル番号 {serial}) の有効期間は {} に終了しています",
                    jst_text(*not_after)
                )
            }
            Self::NotYetValid { serial, not_before } => {
                write!(
                    f,
                    "電子証明書 (シリアル番号 {serial}) の有効期間は {} からです",
                    jst_text(*not_before)
                )
            }
            Self::UntrustedIssuer { issuer } => write!(
                f,
                "信頼する CA が発行した電子証明書ではありません (発行者 {issuer})"
            ),
            Self::RevocationUnknown { serial, reason } => {
                write!(
                    f,
                    "電子証明書 (シリアル番号 {serial}) の失効を確認できません: {reason}"
                )
            }
            Self::Malformed(why) => write!(f, "署名付き文書として読めません: {why}"),
        }
    }
}

/// Verify the enveloped signature on `xml` against `trust`, as of `at`.
pub fn verify(xml: &str, trust: &TrustStore, at: OffsetDateTime) -> VerifyOutcome {
    match judge(xml, trust, at) {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

/// [`verify`], with `?` for the early outcomes.
fn judge(
    xml: &str,
    trust: &TrustStore,
    at: OffsetDateTime,
) -> Result<VerifyOutcome, VerifyOutcome> {
    use VerifyOutcome::*;

    // 1. Structure.
    let doc = uppsala::parse(xml).map_err(|e| Malformed(format!("XML として読めません: {e}")))?;
    if doc.doctype.is_some() {
        return Err(Malformed("DOCTYPE を含む XML は受け付けません".to_owned()));
    }
    let signature = match signatures(&doc).as_slice() {
        [only] => *only,
        [] => return Err(Malformed("署名 (ds:Signature) がありません".to_owned())),
        many => {
            return Err(Malformed(format!(
                "署名 (ds:Signature) が{}個あります (1個であるべきです)",
                many.len()
            )));
        }
    };
    if doc.parent(signature) != doc.document_element() {
        return Err(Malformed(
            "ds:Signature が文書要素の直下にありません (enveloped 署名であるべきです)".to_owned(),
        ));
    }
    let certificates: Vec<_> = dsig_children(&doc, signature, "KeyInfo")
        .into_iter()
        .flat_map(|key_info| dsig_children(&doc, key_info, "X509Data"))
        .flat_map(|data| dsig_children(&doc, data, "X509Certificate"))
        .collect();
    let certificate = match certificates.as_slice() {
        [only] => *only,
        [] => {
            return Err(Malformed(
                "電子証明書 (ds:KeyInfo/ds:X509Data/ds:X509Certificate) がありません".to_owned(),
            ));
        }
        many => {
            return Err(Malformed(format!(
                "電子証明書が{}個あります (署名者の1個であるべきです)",
                many.len()
            )));
        }
    };
    let cert_der = decode_base64(&doc.text_content_deep(certificate))
        .map_err(|e| Malformed(format!("X509Certificate が base64 ではありません: {e}")))?;
    let cert = ParsedCert::parse(&cert_der).map_err(Malformed)?;

    // 2. Trust.
    let issuer = trust.issuer_of(&cert).ok_or_else(|| UntrustedIssuer {
        issuer: cert.issuer_text.clone(),
    })?;
    if cert.is_ca {
        return Err(UntrustedIssuer {
            issuer: format!("{} (CA 証明書は申請書に署名しません)", cert.issuer_text),
        });
    }
    let serial = cert.serial.and_then(CertSerial::new).ok_or_else(|| {
        Malformed("電子証明書のシリアル番号が正の64ビット整数ではありません".to_owned())
    })?;

    // 3. Integrity, with the certificate's key and no other: bergshamra checks the references
    // and hands SignedInfo to that key's verifier; KeyInfo cannot bring in a key of its own.
    let key = cert
        .public_key
        .as_ref()
        .ok_or_else(|| Malformed("電子証明書の公開鍵が ECDSA P-256 ではありません".to_owned()))?;
    let context = DsigContext::new(KeysManager::new()).with_hsm_verifier(key.document_verifier());
    match bergshamra::dsig::verify::verify_document_with_source(&context, &doc, Some(xml)) {
        Ok(result @ VerifyResult::Valid { .. }) if result.all_reference_digests_verified() => {}
        Ok(VerifyResult::Valid { .. }) => {
            return Err(Malformed(
                "Reference のダイジェストが検証されていません".to_owned(),
            ));
        }
        Ok(VerifyResult::Invalid { reason }) => {
            return Err(Tampered {
                reason: explain_mismatch(&reason),
            });
        }
        Err(error) => return Err(classify(error)),
    }

    // 4. Profile.
    check_profile(&doc, signature)
        .map_err(|why| Malformed(format!("署名プロファイル違反: {why}")))?;

    // 5. Revocation known: a revocation is final, so any CRL of the issuer that lists the serial
    // as revoked by `at` settles it, even a stale one. Checked before validity so that a
    // certificate both revoked and expired is 失効, as `CertStatus::on` in the fixtures says.
    let crl = issuer.crl;
    if let Some(&revoked_at) = crl.and_then(|crl| crl.revoked.get(&serial.value()))
        && revoked_at <= at
    {
        return Err(Revoked { serial, revoked_at });
    }

    // 6. Validity.
    if at < cert.not_before {
        return Err(NotYetValid {
            serial,
            not_before: cert.not_before,
        });
    }
    if at > cert.not_after {
        return Err(Expired {
            serial,
            not_after: cert.not_after,
        });
    }

    // 7. Revocation checkable: "not revoked" needs a CRL that is current at `at`.
    let crl = crl.ok_or_else(|| RevocationUnknown {
        serial,
        reason: format!("{}の CA の CRL がありません", issuer.kind),
    })?;
    if let Some(next_update) = crl.next_update
        && next_update < at
    {
        return Err(RevocationUnknown {
            serial,
            reason: format!(
                "CRL の次回更新予定 {} を過ぎています",
                jst_text(next_update)
            ),
        });
    }

    let holder = Kihon4::from_other_names(
        cert.other_names
            .iter()
            .map(|(oid, value)| (oid.clone(), value.as_str())),
    )
    .map_err(|why| Malformed(format!("基本4情報: {why}")))?;
    Ok(Valid {
        serial,
        kind: issuer.kind,
        holder,
    })
}

/// bergshamra's reason for an invalid signature, said for the people who read the outcome.
fn explain_mismatch(reason: &str) -> String {
    if reason.starts_with("Reference digest failed") {
        format!("ダイジェスト値が一致しません: 署名の後で文書の内容が変わっています ({reason})")
    } else if reason.starts_with("signature value verification failed") {
        "署名値が一致しません: SignedInfo か SignatureValue が署名の後で変わっています".to_owned()
    } else {
        reason.to_owned()
    }
}

/// A bergshamra error during verification: a garbled digest or signature value is tampering,
/// anything else means the signature is not one renkei can read.
fn classify(error: bergshamra::Error) -> VerifyOutcome {
    use bergshamra::Error as E;
    match error {
        E::DigestMismatch(why) | E::SignatureInvalid(why) | E::Crypto(why) | E::Base64(why) => {
            VerifyOutcome::Tampered { reason: why }
        }
        other => VerifyOutcome::Malformed(format!("署名を検証できません: {other}")),
    }
}

/// Base64 as XML-DSig writes it: line breaks and spaces allowed anywhere.
fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine as _;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpki::testing::{AT, NEXT_UPDATE, SHINSEISHO, THIS_UPDATE, kihon4, request, serial};
    use crate::jpki::{IssuedCert, Jpki, sign_enveloped};
    use time::Duration;

    /// A CA pair, one signed 申請書, and a trust store with the 署名用 CA and an empty CRL.
    struct World {
        jpki: Jpki,
        cert: IssuedCert,
        signed: String,
        trust: TrustStore,
    }

    fn world() -> World {
        let jpki = Jpki::generate(2024);
        let cert = jpki.issue(&request(CertKind::Signature, 1001)).unwrap();
        let signed = sign_enveloped(SHINSEISHO, &cert).unwrap();
        let crl = jpki
            .signature_ca
            .crl(&[], THIS_UPDATE, NEXT_UPDATE)
            .unwrap();
        let trust = TrustStore::new([&jpki.signature_ca])
            .with_crl(&crl)
            .unwrap();
        World {
            jpki,
            cert,
            signed,
            trust,
        }
    }

    fn malformed_reason(outcome: VerifyOutcome) -> String {
        match outcome {
            VerifyOutcome::Malformed(why) => why,
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn a_signed_shinseisho_is_valid_and_names_its_signer() {
        let w = world();
        assert_eq!(
            verify(&w.signed, &w.trust, AT),
            VerifyOutcome::Valid {
                serial: serial(1001),
                kind: CertKind::Signature,
                holder: Some(kihon4())
            }
        );
    }

    #[test]
    fn changed_content_is_tampering() {
        let w = world();
        let altered = w.signed.replacen("髙子", "高子", 1);
        assert_ne!(altered, w.signed);
        let outcome = verify(&altered, &w.trust, AT);
        assert!(
            matches!(outcome, VerifyOutcome::Tampered { ref reason } if reason.contains("ダイジェスト値")),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_changed_signature_value_is_tampering() {
        use base64::Engine as _;
        let w = world();
        let start = w.signed.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
        let end = w.signed.find("</ds:SignatureValue>").unwrap();
        let engine = base64::engine::general_purpose::STANDARD;
        let mut value = engine.decode(&w.signed[start..end]).unwrap();
        value[10] ^= 0x01;
        let altered = format!(
            "{}{}{}",
            &w.signed[..start],
            engine.encode(&value),
            &w.signed[end..]
        );
        let outcome = verify(&altered, &w.trust, AT);
        assert!(
            matches!(outcome, VerifyOutcome::Tampered { ref reason } if reason.contains("署名値")),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_revoked_certificate_is_refused_from_its_revocation_on() {
        let w = world();
        let revoked_at = AT - Duration::days(3);
        let crl = w
            .jpki
            .signature_ca
            .crl(&[(serial(1001), revoked_at)], THIS_UPDATE, NEXT_UPDATE)
            .unwrap();
        let trust = TrustStore::new([&w.jpki.signature_ca])
            .with_crl(&crl)
            .unwrap();
        assert_eq!(
            verify(&w.signed, &trust, AT),
            VerifyOutcome::Revoked {
                serial: serial(1001),
                revoked_at
            }
        );
        // Before the revocation the same certificate was good.
        let outcome = verify(&w.signed, &trust, revoked_at - Duration::hours(1));
        assert!(outcome.is_valid(), "{outcome:?}");
    }

    #[test]
    fn a_revocation_is_final_even_in_a_stale_crl_and_wins_over_expiry() {
        let w = world();
        let revoked_at = AT - Duration::days(3);
        let crl = w
            .jpki
            .signature_ca
            .crl(&[(serial(1001), revoked_at)], THIS_UPDATE, NEXT_UPDATE)
            .unwrap();
        let trust = TrustStore::new([&w.jpki.signature_ca])
            .with_crl(&crl)
            .unwrap();
        let expected = VerifyOutcome::Revoked {
            serial: serial(1001),
            revoked_at,
        };
        assert_eq!(
            verify(&w.signed, &trust, NEXT_UPDATE + Duration::days(30)),
            expected
        );
        assert_eq!(
            verify(&w.signed, &trust, w.cert.not_after() + Duration::days(1)),
            expected
        );
    }

    #[test]
    fn an_expired_certificate_is_refused() {
        let w = world();
        let later = w.cert.not_after() + Duration::seconds(1);
        assert_eq!(
            verify(&w.signed, &w.trust, later),
            VerifyOutcome::Expired {
                serial: serial(1001),
                not_after: w.cert.not_after()
            }
        );
        assert_eq!(
            w.cert.not_after(),
            time::macros::datetime!(2029-03-31 23:59:59 +9)
        );
    }

    #[test]
    fn a_certificate_not_yet_valid_is_refused() {
        let w = world();
        let earlier = w.cert.not_before() - Duration::seconds(1);
        assert_eq!(
            verify(&w.signed, &w.trust, earlier),
            VerifyOutcome::NotYetValid {
                serial: serial(1001),
                not_before: w.cert.not_before()
            }
        );
    }

    #[test]
    fn a_certificate_from_another_ca_with_the_same_name_is_untrusted() {
        let w = world();
        // Another seed: identical CA names, different keys — a forger's look-alike CA.
        let forger = Jpki::generate(666);
        let forged = forger.issue(&request(CertKind::Signature, 1001)).unwrap();
        let signed = sign_enveloped(SHINSEISHO, &forged).unwrap();
        let outcome = verify(&signed, &w.trust, AT);
        assert!(
            matches!(outcome, VerifyOutcome::UntrustedIssuer { ref issuer } if issuer.contains("JPKI for digital signature")),
            "{outcome:?}"
        );
    }

    #[test]
    fn an_authentication_certificate_is_untrusted_where_only_the_signature_ca_is() {
        let w = world();
        let auth = w
            .jpki
            .issue(&request(CertKind::Authentication, 2001))
            .unwrap();
        let signed = sign_enveloped(SHINSEISHO, &auth).unwrap();
        assert!(matches!(
            verify(&signed, &w.trust, AT),
            VerifyOutcome::UntrustedIssuer { .. }
        ));
        let crl = w.jpki.auth_ca.crl(&[], THIS_UPDATE, NEXT_UPDATE).unwrap();
        let both = TrustStore::new([&w.jpki.signature_ca, &w.jpki.auth_ca])
            .with_crl(&crl)
            .unwrap();
        assert_eq!(
            verify(&signed, &both, AT),
            VerifyOutcome::Valid {
                serial: serial(2001),
                kind: CertKind::Authentication,
                holder: None
            }
        );
    }

    #[test]
    fn an_unsigned_document_is_malformed() {
        let w = world();
        assert!(malformed_reason(verify(SHINSEISHO, &w.trust, AT)).contains("ds:Signature"));
    }

    #[test]
    fn text_that_is_not_xml_is_malformed() {
        let w = world();
        let cut = &w.signed[..w.signed.len() / 2];
        assert!(malformed_reason(verify(cut, &w.trust, AT)).contains("XML"));
    }

    #[test]
    fn a_signature_without_a_certificate_is_malformed() {
        let w = world();
        let start = w.signed.find("<ds:X509Certificate>").unwrap();
        let end = w.signed.find("</ds:X509Certificate>").unwrap() + "</ds:X509Certificate>".len();
        let stripped = format!("{}{}", &w.signed[..start], &w.signed[end..]);
        assert!(malformed_reason(verify(&stripped, &w.trust, AT)).contains("X509Certificate"));
    }

    #[test]
    fn two_signatures_are_malformed() {
        let w = world();
        let start = w.signed.find("<ds:Signature ").unwrap();
        let end = w.signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let signature = &w.signed[start..end];
        let doubled = w
            .signed
            .replacen(signature, &format!("{signature}{signature}"), 1);
        assert!(malformed_reason(verify(&doubled, &w.trust, AT)).contains("2個"));
    }

    #[test]
    fn a_valid_signature_over_part_of_the_document_breaks_the_profile() {
        let w = world();
        let template = SHINSEISHO.replacen("<申請者>", "<申請者 Id=\"applicant\">", 1).replacen(
            "</申請書>",
            &format!(
                "{}{}{}</申請書>",
                concat!(
                    r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>"#,
                    r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
                    r#"<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>"#,
                    r##"<ds:Reference URI="#applicant"><ds:Transforms>"##,
                    r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>"#,
                    r#"<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>"#,
                    r#"<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>"#,
                    r#"<ds:SignatureValue></ds:SignatureValue>"#,
                    r#"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>"#,
                ),
                w.cert.der_base64(),
                "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>",
            ),
            1,
        );
        let context = DsigContext::new_permissive(KeysManager::new())
            .with_hsm_signer(w.cert.key().document_signer());
        let signed = bergshamra::sign(&context, &template).unwrap();
        // Outside the signed part, the 請求内容 could be changed unnoticed: renkei refuses such a signature.
        let why = malformed_reason(verify(&signed, &w.trust, AT));
        assert!(
            why.contains("署名プロファイル違反") && why.contains("#applicant"),
            "{why}"
        );
    }

    #[test]
    fn without_a_current_crl_revocation_is_unknown() {
        let w = world();
        let no_crl = TrustStore::new([&w.jpki.signature_ca]);
        assert!(matches!(
            verify(&w.signed, &no_crl, AT),
            VerifyOutcome::RevocationUnknown { serial: s, .. } if s == serial(1001)
        ));
        let stale = verify(&w.signed, &w.trust, NEXT_UPDATE + Duration::seconds(1));
        assert!(
            matches!(stale, VerifyOutcome::RevocationUnknown { ref reason, .. } if reason.contains("次回更新")),
            "{stale:?}"
        );
    }

    #[test]
    fn outcomes_read_as_sentences() {
        let w = world();
        assert_eq!(
            verify(&w.signed, &w.trust, AT).to_string(),
            "検証済み (署名用電子証明書 シリアル番号 1001)"
        );
        assert!(
            verify(SHINSEISHO, &w.trust, AT)
                .to_string()
                .starts_with("署名付き文書として読めません")
        );
        let expired = VerifyOutcome::Expired {
            serial: serial(1001),
            not_after: w.cert.not_after(),
        };
        assert_eq!(
            expired.to_string(),
            "電子証明書 (シリアル番号 1001) の有効期間は 2029-03-31 23:59:59 JST に終了しています"
        );
    }
}
