//! The synthetic JPKI certification authorities: one for 署名用, one for 利用者証明用.
//!
//! Like the real ones, each is a self-signed root named `C=JP, O=JPKI, OU=<purpose>`; renkei adds
//! `CN=renkei synthetic JPKI CA (not real)` so nobody mistakes it for J-LIS's (DOMAIN.md asks every
//! fixture to be recognisably synthetic). Everything is derived from a seed, so a seed gives the
//! same CA certificate, end-entity certificates and CRLs byte for byte.

use rcgen::{
    CertificateParams, DistinguishedName, DnType, Issuer, KeyIdMethod, KeyUsagePurpose,
    SerialNumber,
};
use time::UtcOffset;
use time::macros::date;

use super::JpkiError;
use super::cert::{
    CertKind, CertRequest, IssuedCert, ca_constraints, end_of_day, pem_block, printable,
    start_of_day,
};
use super::key::{EcKey, PublicKey};

/// The CN that marks renkei's CAs as synthetic.
pub const SYNTHETIC_CA_CN: &str = "renkei synthetic JPKI CA (not real)";

/// The serial number of every renkei CA certificate (a root has nothing to tell apart by it).
const CA_SERIAL: u64 = 1;

/// One synthetic JPKI certification authority.
pub struct JpkiCa {
    kind: CertKind,
    /// Kept to derive end-entity keys: (seed, kind, serial) names one key.
    seed: u64,
    cert_der: Vec<u8>,
    /// rcgen's issuer (name, key identifier, key): built once, reused for every certificate and
    /// CRL (`crl.rs` signs with it too).
    pub(super) issuer: Issuer<'static, EcKey>,
}

impl JpkiCa {
    /// The CA for `kind`, derived from `seed`.
    ///
    /// Validity 2000-01-01 to 2099-12-31 (JST), wide enough for any synthetic history.
    pub fn generate(kind: CertKind, seed: u64) -> Self {
        let key = EcKey::derive(&format!("ca/{}/seed={seed}", kind.slug()));
        let mut params = CertificateParams::default();
        params.distinguished_name = ca_name(kind);
        params.serial_number = Some(SerialNumber::from(CA_SERIAL));
        params.not_before = start_of_day(date!(2000 - 01 - 01)).to_offset(UtcOffset::UTC);
        params.not_after = end_of_day(date!(2099 - 12 - 31)).to_offset(UtcOffset::UTC);
        params.is_ca = ca_constraints();
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.key_identifier_method = KeyIdMethod::Sha256;
        let cert = params
            .self_signed(&key)
            .expect("the CA parameters are fixed and valid, and an EcKey signature cannot fail");
        Self {
            kind,
            seed,
            cert_der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        }
    }

    /// 署名用 or 利用者証明用.
    pub fn kind(&self) -> CertKind {
        self.kind
    }

    /// The CA certificate, DER: what a vendor installs as its trust anchor.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The CA certificate, PEM: e.g. `xmlsec1 --trusted-pem`.
    pub fn cert_pem(&self) -> String {
        pem_block("CERTIFICATE", &self.cert_der)
    }

    /// Issue an end-entity certificate of this CA's kind.
    ///
    /// The key is derived from (seed, kind, serial): issuing the same request twice gives the same
    /// certificate and key. Refused when the request is for the other kind, has its dates the
    /// wrong way round, or breaks the 基本4情報 rule (see [`CertRequest::holder`]).
    pub fn issue(&self, request: &CertRequest) -> Result<IssuedCert, JpkiError> {
        if request.kind != self.kind {
            return Err(JpkiError::Issue {
                serial: request.serial,
                reason: format!(
                    "{}の CA は{}の証明書を発行しません",
                    self.kind, request.kind
                ),
            });
        }
        let key = EcKey::derive(&format!(
            "ee/{}/seed={}/serial={}",
            self.kind.slug(),
            self.seed,
            request.serial
        ));
        IssuedCert::issue(request, key, &self.issuer)
    }

    /// The public key, for checking what this CA signed.
    pub(crate) fn public_key(&self) -> PublicKey {
        self.issuer.key().public_key()
    }
}

impl std::fmt::Debug for JpkiCa {
    /// The kind and seed; never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JpkiCa")
            .field("kind", &self.kind)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// `C=JP, O=JPKI, OU=<purpose>, CN=renkei synthetic JPKI CA (not real)`.
fn ca_name(kind: CertKind) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CountryName, printable("JP"));
    name.push(DnType::OrganizationName, printable("JPKI"));
    name.push(DnType::OrganizationalUnitName, printable(kind.ca_unit()));
    name.push(DnType::CommonName, printable(SYNTHETIC_CA_CN));
    name
}

/// The two synthetic JPKI CAs, as the real service has them.
#[derive(Debug)]
pub struct Jpki {
    /// Issues 署名用電子証明書, the ones that sign 申請書.
    pub signature_ca: JpkiCa,
    /// Issues 利用者証明用電子証明書.
    pub auth_ca: JpkiCa,
}

impl Jpki {
    /// Both CAs from one seed (their keys differ: the kind is part of the derivation).
    pub fn generate(seed: u64) -> Self {
        Self {
            signature_ca: JpkiCa::generate(CertKind::Signature, seed),
            auth_ca: JpkiCa::generate(CertKind::Authentication, seed),
        }
    }

    /// The CA for `kind`.
    pub fn ca(&self, kind: CertKind) -> &JpkiCa {
        match kind {
            CertKind::Signature => &self.signature_ca,
            CertKind::Authentication => &self.auth_ca,
        }
    }

    /// Issue from the CA of the request's kind.
    pub fn issue(&self, request: &CertRequest) -> Result<IssuedCert, JpkiError> {
        self.ca(request.kind).issue(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpki::testing::{AT, NEXT_UPDATE, SHINSEISHO, THIS_UPDATE, request, serial};
    use crate::jpki::{JpkiError, sign_enveloped};
    use time::macros::date;
    use x509_cert::Certificate;
    use x509_cert::der::{Decode as _, Tag, Tagged as _};

    #[test]
    fn one_seed_gives_byte_identical_cas_certificates_crls_and_signatures() {
        let (a, b) = (Jpki::generate(42), Jpki::generate(42));
        assert_eq!(a.signature_ca.cert_der(), b.signature_ca.cert_der());
        assert_eq!(a.auth_ca.cert_der(), b.auth_ca.cert_der());
        let req = request(CertKind::Signature, 77);
        let (cert_a, cert_b) = (a.issue(&req).unwrap(), b.issue(&req).unwrap());
        assert_eq!(cert_a.der(), cert_b.der());
        assert_eq!(
            cert_a.private_key_pkcs8_der(),
            cert_b.private_key_pkcs8_der()
        );
        let revoked = [(serial(77), AT)];
        assert_eq!(
            a.signature_ca
                .crl(&revoked, THIS_UPDATE, NEXT_UPDATE)
                .unwrap(),
            b.signature_ca
                .crl(&revoked, THIS_UPDATE, NEXT_UPDATE)
                .unwrap()
        );
        assert_eq!(
            sign_enveloped(SHINSEISHO, &cert_a).unwrap(),
            sign_enveloped(SHINSEISHO, &cert_b).unwrap()
        );
    }

    #[test]
    fn seeds_kinds_and_serials_each_change_the_key() {
        let jpki = Jpki::generate(42);
        assert_ne!(
            jpki.signature_ca.cert_der(),
            Jpki::generate(43).signature_ca.cert_der()
        );
        assert_ne!(jpki.signature_ca.public_key(), jpki.auth_ca.public_key());
        let one = jpki.issue(&request(CertKind::Signature, 1)).unwrap();
        let two = jpki.issue(&request(CertKind::Signature, 2)).unwrap();
        assert_ne!(one.private_key_pkcs8_der(), two.private_key_pkcs8_der());
    }

    #[test]
    fn everything_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Jpki>();
        shareable::<IssuedCert>();
        shareable::<crate::jpki::TrustStore>();
    }

    #[test]
    fn the_cas_are_named_like_the_real_ones_and_marked_synthetic() {
        let jpki = Jpki::generate(1);
        for (ca, unit) in [
            (&jpki.signature_ca, "JPKI for digital signature"),
            (&jpki.auth_ca, "JPKI for user authentication"),
        ] {
            let cert = Certificate::from_der(ca.cert_der()).unwrap();
            let tbs = &cert.tbs_certificate;
            // RFC 4514 text lists the most specific attribute first.
            let expected = format!("CN={SYNTHETIC_CA_CN},OU={unit},O=JPKI,C=JP");
            assert_eq!(tbs.subject.to_string(), expected);
            let country = &tbs.subject.0[0].0.as_slice()[0];
            assert_eq!(
                country.value.tag(),
                Tag::PrintableString,
                "RFC 5280: countryName is PrintableString"
            );
            assert_eq!(tbs.issuer, tbs.subject, "a self-signed root");
            assert_eq!(tbs.serial_number.as_bytes(), [1]);
            assert!(ca.cert_pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
        }
    }

    #[test]
    fn requests_that_break_the_rules_are_refused_with_the_rule() {
        let jpki = Jpki::generate(1);
        let refusal = |ca: &JpkiCa, req: CertRequest| match ca.issue(&req) {
            Err(JpkiError::Issue { serial: s, reason }) => {
                assert_eq!(s, req.serial);
                reason
            }
            other => panic!("expected a refusal, got {other:?}"),
        };
        let auth_request = request(CertKind::Authentication, 5);
        assert!(refusal(&jpki.signature_ca, auth_request.clone()).contains("発行しません"));
        let without_holder = CertRequest {
            holder: None,
            ..request(CertKind::Signature, 5)
        };
        assert!(refusal(&jpki.signature_ca, without_holder).contains("基本4情報が必要"));
        let with_holder = CertRequest {
            holder: request(CertKind::Signature, 5).holder,
            ..auth_request
        };
        assert!(refusal(&jpki.auth_ca, with_holder).contains("載せません"));
        let reversed = CertRequest {
            not_after: date!(2020 - 01 - 01),
            ..request(CertKind::Signature, 5)
        };
        assert!(refusal(&jpki.signature_ca, reversed).contains("より前"));
        let mut too_old = request(CertKind::Signature, 5);
        too_old.holder.as_mut().unwrap().seinengappi = date!(1850 - 01 - 01);
        assert!(refusal(&jpki.signature_ca, too_old).contains("明治より前"));
    }
}
