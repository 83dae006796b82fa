//! Keys of the synthetic JPKI: ECDSA P-256, derived from a seed, signing deterministically,
//! verifying fast.
//!
//! The real JPKI uses RSA-2048 (DOMAIN.md "Identifiers"). rcgen's `ring` backend cannot make RSA
//! keys, and a P-256 key can be *derived* from a seed in one hash, so renkei uses P-256 throughout
//! (`docs/jpki.md`). Determinism is the point: the same seed and serial give the same key, and
//! RFC 6979 nonces (the `p256` crate) make every signature over the same bytes the same, so a seed
//! reproduces every certificate, CRL and signed 申請書 byte for byte. Verification has no nonce to
//! worry about and uses `ring`, several times faster than `p256` here.

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, Signature, SigningKey};
use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
use ring::signature::{ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use sha2::{Digest as _, Sha256};

/// Domain separator: keys derived here never collide with any other use of the same seed.
const DERIVATION_DOMAIN: &[u8] = b"renkei synthetic JPKI key v1\0";

/// One P-256 key pair, usable as an rcgen signer.
///
/// rcgen signs through [`rcgen::SigningKey`]; implementing it here (instead of loading the key
/// into ring) is what makes certificate and CRL signatures deterministic, since ring draws a
/// random ECDSA nonce.
#[derive(Clone)]
pub(crate) struct EcKey {
    signing: SigningKey,
    /// The uncompressed SEC1 point, kept because [`rcgen::PublicKeyData::der_bytes`] lends a slice.
    public_sec1: Vec<u8>,
}

impl EcKey {
    /// The key for `label` (which names the seed and the purpose, e.g. `ca/署名用/seed=7`).
    ///
    /// SHA-256 of the label is the private scalar; in the rare case (≈ 2⁻³²) that the hash is not
    /// a valid scalar, a counter is appended until it is.
    pub(crate) fn derive(label: &str) -> Self {
        Self::derive_in(DERIVATION_DOMAIN, label)
    }

    /// The key of `label` within another `domain` (a byte string ending in NUL, naming its
    /// user): the TLS CAs of the download API and the 中間サーバー derive theirs this way, so a
    /// restart, or two runs with the same seed, present the same certificates, and no two users'
    /// keys coincide.
    pub(crate) fn derive_in(domain: &[u8], label: &str) -> Self {
        let mut counter: u32 = 0;
        loop {
            let mut hasher = Sha256::new();
            hasher.update(domain);
            hasher.update(label.as_bytes());
            hasher.update(counter.to_be_bytes());
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

    /// The public half.
    pub(crate) fn public_key(&self) -> PublicKey {
        PublicKey(self.public_sec1.clone())
    }

    /// This key as bergshamra's external signer for XML signatures.
    pub(crate) fn document_signer(&self) -> Box<dyn kryptering::Signer> {
        Box::new(DocumentSigner(self.signing.clone()))
    }

    /// The private key as unencrypted PKCS#8 DER.
    pub(crate) fn pkcs8_der(&self) -> Vec<u8> {
        self.signing
            .to_pkcs8_der()
            .expect("a P-256 key always encodes as PKCS#8")
            .as_bytes()
            .to_vec()
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), LF line endings.
    pub(crate) fn pkcs8_pem(&self) -> String {
        self.signing
            .to_pkcs8_pem(LineEnding::LF)
            .expect("a P-256 key always encodes as PKCS#8 PEM")
            .to_string()
    }
}

impl rcgen::PublicKeyData for EcKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public_sec1
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for EcKey {
    /// ecdsa-with-SHA256 over `msg`, DER-encoded as X.509 wants it, with an RFC 6979 nonce.
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let signature: DerSignature = self.signing.sign(msg);
        Ok(signature.as_bytes().to_vec())
    }
}

/// Signs XML-DSig `SignedInfo` for bergshamra.
///
/// bergshamra accepts an external signer (meant for HSMs); handing it the key this way skips the
/// PKCS#8 round trip its own key store would make, which costs two scalar multiplications on
/// every new key, and keeps the signature deterministic (RFC 6979), as bergshamra's would be.
struct DocumentSigner(SigningKey);

impl kryptering::Signer for DocumentSigner {
    fn algorithm(&self) -> kryptering::SignatureAlgorithm {
        kryptering::SignatureAlgorithm::Ecdsa(
            kryptering::EcCurve::P256,
            kryptering::HashAlgorithm::Sha256,
        )
    }

    /// ECDSA over SHA-256 of `data`, as `r || s` (32 bytes each): the XML-DSig encoding
    /// (RFC 4050 §3.3), not the DER one X.509 uses.
    fn sign(&self, data: &[u8]) -> kryptering::Result<Vec<u8>> {
        let signature: Signature = self.0.sign(data);
        Ok(signature.to_bytes().to_vec())
    }
}

/// A P-256 public key as verification holds it: the uncompressed SEC1 point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey(Vec<u8>);

impl PublicKey {
    /// A key from the SEC1 point in a certificate; checked on use (ring refuses points off the curve).
    pub(crate) fn from_sec1(point: &[u8]) -> Self {
        Self(point.to_vec())
    }

    /// Whether `signature` (ecdsa-with-SHA256, DER, as X.509 writes it) is this key's over `message`.
    pub(crate) fn verifies_der(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &self.0)
            .verify(message, signature)
            .is_ok()
    }

    /// This key as bergshamra's external verifier: the only key a document is checked with.
    pub(crate) fn document_verifier(&self) -> Box<dyn kryptering::Verifier> {
        Box::new(DocumentVerifier(self.clone()))
    }
}

/// Checks XML-DSig `SignatureValue` (`r || s`) for bergshamra with one given key.
struct DocumentVerifier(PublicKey);

impl kryptering::Verifier for DocumentVerifier {
    fn algorithm(&self) -> kryptering::SignatureAlgorithm {
        kryptering::SignatureAlgorithm::Ecdsa(
            kryptering::EcCurve::P256,
            kryptering::HashAlgorithm::Sha256,
        )
    }

    /// `Ok(false)` for any mismatch, including a value of the wrong length: that is tampering,
    /// not an error.
    fn verify(&self, data: &[u8], signature: &[u8]) -> kryptering::Result<bool> {
        Ok(UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.0.0)
            .verify(data, signature)
            .is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::SigningKey as _;

    #[test]
    fn the_same_label_gives_the_same_key_and_another_label_another() {
        let a = EcKey::derive("ca/署名用/seed=1");
        let b = EcKey::derive("ca/署名用/seed=1");
        let c = EcKey::derive("ca/署名用/seed=2");
        assert_eq!(a.pkcs8_der(), b.pkcs8_der());
        assert_ne!(a.pkcs8_der(), c.pkcs8_der());
        assert_eq!(a.public_sec1.len(), 65, "uncompressed SEC1 point");
    }

    #[test]
    fn signatures_are_deterministic_and_verify() {
        let key = EcKey::derive("test");
        let one = key.sign("申請書".as_bytes()).expect("sign");
        let two = key.sign("申請書".as_bytes()).expect("sign");
        assert_eq!(one, two, "RFC 6979: same key and message, same signature");
        assert!(DerSignature::from_bytes(&one).is_ok(), "DER-encoded");
        assert!(key.public_key().verifies_der("申請書".as_bytes(), &one));
        assert!(!key.public_key().verifies_der("申請者".as_bytes(), &one));
        assert!(
            !EcKey::derive("other")
                .public_key()
                .verifies_der("申請書".as_bytes(), &one)
        );
    }

    #[test]
    fn the_document_signer_writes_r_and_s_and_is_deterministic() {
        let key = EcKey::derive("xml");
        let signer = key.document_signer();
        let one = signer.sign(b"<ds:SignedInfo/>").unwrap();
        assert_eq!(one.len(), 64, "r || s");
        assert_eq!(one, signer.sign(b"<ds:SignedInfo/>").unwrap());
        let verifier = key.public_key().document_verifier();
        assert!(verifier.verify(b"<ds:SignedInfo/>", &one).unwrap());
        assert!(!verifier.verify(b"<ds:SignedInfo />", &one).unwrap());
        assert!(
            !verifier.verify(b"<ds:SignedInfo/>", &one[..63]).unwrap(),
            "wrong length is a mismatch"
        );
    }

    #[test]
    fn pkcs8_pem_has_the_private_key_label() {
        let pem = EcKey::derive("pem").pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    }
}
