//! The 中間サーバー's mutual TLS: renkei's TLS CA, the server certificate, one client certificate
//! per tenant (the 既存システム of one 団体), and the CRL that revokes them.
//!
//! The real platform connects each 団体 over its own VPN device and authenticates with
//! 暗号化通信用等電子証明書 and a registered CA certificate (seed 004 §2.13, §4.3 ③-1). renkei
//! stands in with ordinary mutual TLS on loopback (`docs/chukan-api.md`, "接続と証明書"):
//!
//! - one CA, `CN=renkei synthetic 中間サーバー TLS CA (not real)`, ECDSA P-256 (rcgen's ring backend
//!   cannot make RSA keys; CRATES.md), separate from the synthetic JPKI's two CAs;
//! - a server certificate for `localhost`, `127.0.0.1`, `::1` and the address served on;
//! - per tenant a client certificate whose subject CN is the tenant's 機関コード, with the
//!   団体コード as serialNumber attribute and `urn:renkei:kikan:{機関コード}` as URI SAN;
//! - a CRL listing revoked client certificates, handed to rustls's `WebPkiClientVerifier`, so a
//!   revoked certificate fails the handshake.
//!
//! Every key is derived from the scenario's seed (SHA-256 of a label), so a restart with the same
//! scenario gives the same certificates: a vendor installs `client.pem` / `client.key` once.

use std::sync::Arc;

use rcgen::{
    CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyUsagePurpose, RevokedCertParams,
    SanType, SerialNumber,
};
use renkei_fixtures::ids::{DantaiCode, KikanCode};
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, PrivatePkcs8KeyDer,
};
use time::macros::datetime;
use time::{OffsetDateTime, UtcOffset};

use crate::jpki::key::EcKey;

/// The CN that marks renkei's TLS CA as synthetic.
pub const CA_CN: &str = "renkei synthetic 中間サーバー TLS CA (not real)";

/// The most client certificates one tenant can be issued (each revocation issues the next).
pub const MAX_GENERATIONS: u32 = 999;

/// Separates these keys from every other key renkei derives from the same seed.
const KEY_DOMAIN: &[u8] = b"renkei chukan TLS key v1\0";

/// A certificate with its private key, as a vendor installs them.
#[derive(Clone)]
pub struct Identity {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The private key, PKCS#8 DER.
    key_der: Vec<u8>,
    /// The private key, PKCS#8 PEM (`client.key`).
    key_pem: String,
    /// The certificate's serial number.
    pub serial: u64,
}

impl Identity {
    /// The certificate, PEM (`client.pem`).
    pub fn cert_pem(&self) -> String {
        pem_block("CERTIFICATE", &self.cert_der)
    }

    /// The private key, PKCS#8 PEM (`client.key`).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// Certificate then key, PEM: what `reqwest::Identity::from_pem` and `curl --cert` take.
    pub fn bundle_pem(&self) -> String {
        format!("{}{}", self.cert_pem(), self.key_pem)
    }
}

impl std::fmt::Debug for Identity {
    /// The serial; never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// Why a certificate, CRL or TLS configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS の証明書を作れません: {0}")]
    Certificate(String),
    #[error("TLS の設定を作れません: {0}")]
    Config(String),
    #[error(
        "機関コード{kikan}のクライアント証明書はこれ以上発行できません (最大{MAX_GENERATIONS}世代)"
    )]
    TooManyGenerations { kikan: KikanCode },
}

/// renkei's TLS CA for the 中間サーバー.
pub struct ChukanCa {
    seed: u64,
    cert_der: Vec<u8>,
    issuer: Issuer<'static, EcKey>,
}

impl std::fmt::Debug for ChukanCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChukanCa")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// Certificates are valid in wall-clock time (rustls checks them against the system time, not
/// the simulators' clock), so every one spans 2000–2099.
const NOT_BEFORE: OffsetDateTime = datetime!(2000-01-01 00:00 UTC);
const NOT_AFTER: OffsetDateTime = datetime!(2099-12-31 23:59:59 UTC);

impl ChukanCa {
    /// The CA of the scenario with `seed`.
    pub fn generate(seed: u64) -> Self {
        let key = EcKey::derive_in(KEY_DOMAIN, &format!("ca/seed={seed}"));
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CountryName, "JP");
        name.push(DnType::OrganizationName, "renkei");
        name.push(DnType::CommonName, CA_CN);
        params.distinguished_name = name;
        params.serial_number = Some(SerialNumber::from(1u64));
        params.not_before = NOT_BEFORE;
        params.not_after = NOT_AFTER;
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.key_identifier_method = KeyIdMethod::Sha256;
        let cert = params
            .self_signed(&key)
            .expect("the CA parameters are fixed and valid");
        Self {
            seed,
            cert_der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The CA certificate, PEM (`ca.pem`).
    pub fn cert_pem(&self) -> String {
        pem_block("CERTIFICATE", &self.cert_der)
    }

    /// The server certificate for `localhost`, `127.0.0.1`, `::1` and `extra_ip`.
    pub fn server_identity(&self, extra_ip: std::net::IpAddr) -> Result<Identity, TlsError> {
        let key = EcKey::derive_in(KEY_DOMAIN, &format!("server/seed={}", self.seed));
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CountryName, "JP");
        name.push(DnType::OrganizationName, "renkei");
        name.push(
            DnType::CommonName,
            "renkei 自治体中間サーバー (synthetic, not real)",
        );
        params.distinguished_name = name;
        let mut sans = vec![
            SanType::DnsName("localhost".try_into().expect("ASCII")),
            SanType::IpAddress(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
            SanType::IpAddress(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
        ];
        if !extra_ip.is_loopback() && !extra_ip.is_unspecified() {
            sans.push(SanType::IpAddress(extra_ip));
        }
        params.subject_alt_names = sans;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params, key, 2)
    }

    /// The client certificate of the tenant `kikan` (団体 `dantai`, named `name`), generation
    /// `generation` (1 for the first; each revocation issues the next).
    pub fn client_identity(
        &self,
        kikan: KikanCode,
        dantai: DantaiCode,
        name: &str,
        generation: u32,
    ) -> Result<Identity, TlsError> {
        if generation == 0 || generation > MAX_GENERATIONS {
            return Err(TlsError::TooManyGenerations { kikan });
        }
        let key = EcKey::derive_in(
            KEY_DOMAIN,
            &format!(
                "client/seed={}/kikan={kikan}/generation={generation}",
                self.seed
            ),
        );
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "JP");
        dn.push(
            DnType::OrganizationName,
            format!("{name} 既存システム (synthetic)"),
        );
        dn.push(DnType::CustomDnType(vec![2, 5, 4, 5]), dantai.as_str());
        dn.push(DnType::CommonName, kikan.as_str());
        params.distinguished_name = dn;
        params.subject_alt_names = vec![SanType::URI(
            format!("urn:renkei:kikan:{kikan}")
                .try_into()
                .map_err(|e: rcgen::Error| TlsError::Certificate(e.to_string()))?,
        )];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(params, key, client_serial(kikan, generation))
    }

    fn issue(
        &self,
        mut params: CertificateParams,
        key: EcKey,
        serial: u64,
    ) -> Result<Identity, TlsError> {
        params.serial_number = Some(SerialNumber::from(serial));
        params.not_before = NOT_BEFORE;
        params.not_after = NOT_AFTER;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.key_identifier_method = KeyIdMethod::Sha256;
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        Ok(Identity {
            cert_der: cert.der().to_vec(),
            key_der: key.pkcs8_der(),
            key_pem: key.pkcs8_pem(),
            serial,
        })
    }

    /// The CRL listing `revoked` (serial, when), number `number`, DER.
    pub fn crl(
        &self,
        revoked: &[(u64, OffsetDateTime)],
        number: u64,
        this_update: OffsetDateTime,
    ) -> Result<Vec<u8>, TlsError> {
        let params = CertificateRevocationListParams {
            this_update: this_update.to_offset(UtcOffset::UTC),
            next_update: NOT_AFTER,
            crl_number: SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|&(serial, at)| RevokedCertParams {
                    serial_number: SerialNumber::from(serial),
                    revocation_time: at.to_offset(UtcOffset::UTC),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params
            .signed_by(&self.issuer)
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        Ok(crl.der().to_vec())
    }

    /// The rustls server configuration: this server certificate, client certificates required,
    /// chained to this CA and not on `crl`.
    pub fn server_config(
        &self,
        server: &Identity,
        crl: Vec<u8>,
    ) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.cert_der.clone()))
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .with_crls([CertificateRevocationListDer::from(crl)])
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![CertificateDer::from(server.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key_der.clone())),
            )
            .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(Arc::new(config))
    }
}

/// A client certificate's serial: the 機関コード times 1,000 plus the generation, so a serial
/// names the tenant and the generation at a glance (16 + 3 digits fit a `u64`).
pub fn client_serial(kikan: KikanCode, generation: u32) -> u64 {
    kikan.value() * 1_000 + u64::from(generation)
}

/// A DER block as PEM, 64 characters a line, LF.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
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

    #[test]
    fn the_same_seed_gives_the_same_certificates() {
        let (a, b) = (ChukanCa::generate(7), ChukanCa::generate(7));
        assert_eq!(a.cert_der(), b.cert_der());
        let kikan = KikanCode::from_number(9_913_101_600_000_000);
        let dantai = DantaiCode::from_five(13101);
        let one = a
            .client_identity(kikan, dantai, "東京都千代田区", 1)
            .unwrap();
        let two = b
            .client_identity(kikan, dantai, "東京都千代田区", 1)
            .unwrap();
        assert_eq!(one.cert_der, two.cert_der);
        assert_eq!(one.key_pem(), two.key_pem());
        assert_eq!(one.serial, 9_913_101_600_000_000_001);
        assert_ne!(
            a.client_identity(kikan, dantai, "東京都千代田区", 2)
                .unwrap()
                .cert_der,
            one.cert_der
        );
        assert_ne!(ChukanCa::generate(8).cert_der(), a.cert_der());
        assert!(a.client_identity(kikan, dantai, "x", 0).is_err());
    }

    #[test]
    fn a_server_config_builds_with_a_crl() {
        let ca = ChukanCa::generate(1);
        let server = ca
            .server_identity(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
            .unwrap();
        let crl = ca
            .crl(
                &[(5, datetime!(2026-04-06 09:00 +09:00))],
                1,
                datetime!(2026-04-06 09:00 +09:00),
            )
            .unwrap();
        ca.server_config(&server, crl).unwrap();
    }
}
