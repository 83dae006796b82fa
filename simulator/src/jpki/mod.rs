//! Synthetic JPKI (公的個人認証サービス): CA, certificates, CRL, XML signatures.
//!
//! A 申請 downloaded from the ぴったりサービス carries a 申請書 XML signed with the resident's
//! 署名用電子証明書; the municipality's 申請管理システム must verify it: validity, revocation,
//! tampering (seed 000 §1(2), §4). This module makes such signatures with synthetic certificates,
//! makes the CA certificates and CRLs the simulator serves, and verifies signatures the way a
//! vendor must, to produce reference outcomes. Everything is synthetic and renkei-defined,
//! modelled on public facts; `docs/jpki.md` is the specification for vendors.
//!
//! | file | what |
//! |---|---|
//! | `key.rs` | P-256 keys derived from a seed; deterministic (RFC 6979) signing, verification |
//! | `ca.rs` | the two CAs ([`Jpki`], [`JpkiCa`]) |
//! | `cert.rs` | end-entity certificates ([`CertRequest`], [`IssuedCert`]) |
//! | `kihon4.rs` | 基本4情報 in subjectAltName ([`Kihon4`]) |
//! | `crl.rs` | CRLs ([`JpkiCa::crl`], [`crl_pem`]) |
//! | `xmldsig.rs` | the enveloped signature profile ([`sign_enveloped`]) |
//! | `trust.rs` | trust anchors and CRLs ([`TrustStore`]) |
//! | `verify.rs` | verification ([`verify`], [`VerifyOutcome`]) |
//! | `x509.rs` | reading certificates and CRLs back |

//!
//! ```
//! use renkei_fixtures::ids::CertSerial;
//! use renkei_simulator::jpki::{self, CertKind, CertRequest, Jpki, Kihon4, TrustStore, VerifyOutcome};
//! use time::macros::{date, datetime};
//!
//! let jpki = Jpki::generate(7);
//! let serial = CertSerial::new(1001).unwrap();
//! let cert = jpki.signature_ca.issue(&CertRequest {
//!     kind: CertKind::Signature,
//!     serial,
//!     not_before: date!(2024 - 04 - 01),
//!     not_after: date!(2029 - 03 - 31),
//!     holder: Some(Kihon4 {
//!         shimei: "𠮷田\u{3000}花子".into(),
//!         seinengappi: date!(1990 - 01 - 02),
//!         seibetsu: "女".into(),
//!         jusho: "東京都千代田区霞が関２丁目１番２号".into(),
//!     }),
//! })?;
//! let signed = jpki::sign_enveloped("<申請書><氏名>𠮷田\u{3000}花子</氏名></申請書>", &cert)?;
//!
//! let crl = jpki.signature_ca.crl(&[], datetime!(2025-01-01 0:00 +9), datetime!(2025-01-02 0:00 +9))?;
//! let trust = TrustStore::new([&jpki.signature_ca]).with_crl(&crl)?;
//! let outcome = jpki::verify(&signed, &trust, datetime!(2025-01-01 12:00 +9));
//! assert!(matches!(outcome, VerifyOutcome::Valid { serial: s, .. } if s == serial));
//! # Ok::<(), jpki::JpkiError>(())
//! ```

mod ca;
mod cert;
mod crl;
mod error;
pub(crate) mod key;
mod kihon4;
#[cfg(test)]
mod testing;
mod trust;
mod verify;
mod x509;
mod xmldsig;

pub use ca::{Jpki, JpkiCa, SYNTHETIC_CA_CN};
pub use cert::{CertKind, CertRequest, IssuedCert};
pub use crl::crl_pem;
pub use error::JpkiError;
pub use kihon4::{
    Kihon4, OID_JUSHO, OID_JUSHO_DAITAI, OID_SEIBETSU, OID_SEINENGAPPI, OID_SHIMEI,
    OID_SHIMEI_DAITAI,
};
pub use trust::TrustStore;
pub use verify::{VerifyOutcome, verify};
pub use xmldsig::{
    DSIG_NAMESPACE, ECDSA_SHA256, ENVELOPED_SIGNATURE, EXCLUSIVE_C14N, SHA256, sign_enveloped,
};
