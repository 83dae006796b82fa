//! What can go wrong when renkei issues certificates, CRLs and signatures.
//!
//! Verification never fails with an error: its answer is a [`super::VerifyOutcome`], because a
//! tampered or revoked 申請 is a result the 申請管理システム must report, not a fault.

use renkei_fixtures::ids::CertSerial;

/// An issue, CRL or signing request that renkei refuses, with the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JpkiError {
    /// A certificate request that cannot become a certificate.
    #[error("電子証明書 (シリアル番号 {serial}) を発行できません: {reason}")]
    Issue {
        /// The serial the request asked for.
        serial: CertSerial,
        /// The rule the request breaks.
        reason: String,
    },
    /// A CRL that cannot be built (e.g. nextUpdate not after thisUpdate, RFC 5280 §5.1.2.5).
    #[error("CRL を作成できません: {0}")]
    Crl(String),
    /// A CRL that a [`super::TrustStore`] will not hold: unreadable, or not signed by a trusted CA.
    #[error("CRL を受け付けません: {0}")]
    CrlRejected(String),
    /// A document that cannot be signed (not XML, a DOCTYPE, or a signing failure).
    #[error("XML に署名できません: {0}")]
    Sign(String),
}
