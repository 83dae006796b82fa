//! What a verifier trusts: the JPKI CA certificates and each one's current CRL.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::JpkiError;
use super::ca::JpkiCa;
use super::cert::CertKind;
use super::key::PublicKey;
use super::x509::{ParsedCert, ParsedCrl, subject_der};

/// The trust anchors of a verifier and their CRLs.
///
/// Strict by construction: a signature is accepted only with a certificate that one of these CAs
/// signed. To accept only 署名用 certificates (as a 申請書 verifier should), hold only the 署名用 CA.
#[derive(Debug, Clone)]
pub struct TrustStore {
    /// A handful of CAs (two in JPKI): a Vec searched in order is all it needs.
    anchors: Vec<Anchor>,
}

/// One trusted CA.
#[derive(Debug, Clone)]
struct Anchor {
    kind: CertKind,
    /// Subject name DER: matched against a certificate's issuer before its signature is checked.
    subject: Vec<u8>,
    key: PublicKey,
    /// The newest CRL given for this CA; `None` means revocation cannot be checked.
    crl: Option<Revocations>,
}

/// A CRL reduced to what verification asks of it.
#[derive(Debug, Clone)]
pub(crate) struct Revocations {
    pub(crate) this_update: OffsetDateTime,
    pub(crate) next_update: Option<OffsetDateTime>,
    /// serial → revocation time: looked up once per verification.
    pub(crate) revoked: HashMap<u64, OffsetDateTime>,
}

/// The CA that issued a certificate, as [`TrustStore::issuer_of`] finds it.
pub(crate) struct Issuer<'a> {
    pub(crate) kind: CertKind,
    pub(crate) crl: Option<&'a Revocations>,
}

impl TrustStore {
    /// Trust these CAs (no CRLs yet: add each with [`TrustStore::with_crl`]).
    pub fn new<'a>(cas: impl IntoIterator<Item = &'a JpkiCa>) -> Self {
        let anchors = cas
            .into_iter()
            .map(|ca| Anchor {
                kind: ca.kind(),
                subject: subject_der(ca.cert_der()).expect("renkei's own CA certificate parses"),
                key: ca.public_key(),
                crl: None,
            })
            .collect();
        Self { anchors }
    }

    /// Add a CRL (DER). It must be signed by one of the trusted CAs; a CA keeps the CRL with the
    /// latest thisUpdate, so adding an older one after a newer one changes nothing.
    pub fn with_crl(mut self, der: &[u8]) -> Result<Self, JpkiError> {
        let crl = ParsedCrl::parse(der).map_err(JpkiError::CrlRejected)?;
        let anchor = self
            .anchors
            .iter_mut()
            .find(|anchor| anchor.subject == crl.issuer && crl.signed_by(&anchor.key))
            .ok_or_else(|| {
                JpkiError::CrlRejected(
                    "信頼する CA のどれも、この CRL に署名していません".to_owned(),
                )
            })?;
        if anchor
            .crl
            .as_ref()
            .is_some_and(|held| held.this_update >= crl.this_update)
        {
            return Ok(self);
        }
        anchor.crl = Some(Revocations {
            this_update: crl.this_update,
            next_update: crl.next_update,
            revoked: crl.revoked.into_iter().collect(),
        });
        Ok(self)
    }

    /// The trusted CA that signed `cert`, if any.
    pub(crate) fn issuer_of(&self, cert: &ParsedCert) -> Option<Issuer<'_>> {
        self.anchors
            .iter()
            .find(|anchor| anchor.subject == cert.issuer && cert.signed_by(&anchor.key))
            .map(|anchor| Issuer {
                kind: anchor.kind,
                crl: anchor.crl.as_ref(),
            })
    }
}
