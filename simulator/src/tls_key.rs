//! The P-256 keys renkei's test CAs and servers use: derived from a label (so a restart, or two
//! runs with the same seed, present the same certificates) and usable both as an rcgen signer and
//! by rustls. Shared by the 中間サーバー's CA ([`crate::chukan::tls`]) and the download API's
//! ([`crate::pittari::tls`]); each passes its own domain, so their keys never coincide.

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
use sha2::{Digest as _, Sha256};

/// A P-256 key derived from `domain` and a label.
#[derive(Clone)]
pub(crate) struct TlsKey {
    signing: SigningKey,
    public_sec1: Vec<u8>,
}

impl TlsKey {
    /// The key of `label` within `domain` (a byte string ending in NUL, naming its user).
    pub(crate) fn derive(domain: &[u8], label: &str) -> Self {
        let mut counter: u32 = 0;
        loop {
            let mut hasher = Sha256::new();
            hasher.update(domain);
            hasher.update(label.as_bytes());
            hasher.update(counter.to_be_bytes());
            // A hash that is not a valid scalar (≈ 2⁻³²) takes the next counter.
            if let Ok(signing) = SigningKey::from_slice(&hasher.finalize()) {
                let public_sec1 = signing
                    .verifying_key()
                    .to_sec1_point(false)
                    .as_bytes()
                    .to_vec();
                return Self {
                    signing,
                    public_sec1,
                };
            }
            counter += 1;
        }
    }

    pub(crate) fn pkcs8_der(&self) -> Vec<u8> {
        self.signing
            .to_pkcs8_der()
            .expect("a P-256 key always encodes as PKCS#8")
            .as_bytes()
            .to_vec()
    }

    pub(crate) fn pkcs8_pem(&self) -> String {
        self.signing
            .to_pkcs8_pem(LineEnding::LF)
            .expect("a P-256 key always encodes as PKCS#8 PEM")
            .to_string()
    }
}

impl rcgen::PublicKeyData for TlsKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public_sec1
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for TlsKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let signature: DerSignature = self.signing.sign(msg);
        Ok(signature.as_bytes().to_vec())
    }
}
