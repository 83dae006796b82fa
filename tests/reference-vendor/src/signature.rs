//! 申請書の XML 署名を自分で検証します (docs/jpki.md「ベンダーはどう検証するか」「renkei の基準の判定」)。
//!
//! 受付時の電子署名検証結果はうのみにしません: ダウンロードしたあとで書き換えられたかもしれず、
//! 証明書が失効したかもしれないからです (ING-06〜08)。確かめる順は基準の判定と同じで、最初に外れたものが
//! 結果になります。
//!
//! 1. 形: DOCTYPE がなく、`ds:Signature` が文書要素の直下に1つ、`X509Certificate` が1つ → `署名形式不正`
//! 2. 証明書が、あらかじめ入手した署名用 CA の鍵で署名されていて CA 証明書でない → `発行者不明`
//! 3. 参照のダイジェストと署名値 → `改ざん検知`
//! 4. 署名の形式 (文書全体、アルゴリズム) → `署名形式不正`
//! 5. CRL (古くても) が `at` 以前の失効を載せていない → `証明書失効`
//! 6. `at` が有効期間内 → `証明書有効期間前` / `証明書期限切れ`
//! 7. 最新の CRL があり nextUpdate を過ぎていない → `失効確認不可`
//!
//! 正規化 (排他的 C14N) は bergshamra の `bergshamra-c14n` に任せ、ダイジェストは SHA-256、署名値の検証は
//! ring で行います。アルゴリズムは決め打ちせず、証明書の鍵と `SignatureMethod` に従います
//! (ECDSA P-256 と RSA のどちらも検証できます)。

use crate::defects::{DefectKind, Seeded};
use crate::model::KenshoKekka;
use crate::shinsei_zip::{Entry, ShinseiZip, SignedAttachment, TENPU_DIR};
use crate::xml::DS;
use base64::Engine;
use bergshamra_c14n::C14nMode;
use bergshamra_xml::NodeSet;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use ring::signature::{self as rs, UnparsedPublicKey};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use time::OffsetDateTime;
use uppsala::{Document, NodeId};
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;

const ALG_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ALG_ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const ALG_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const ALG_ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
const ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");

/// 公開鍵 (検証に使う形で)。
#[derive(Clone, Debug)]
enum PublicKey {
    /// 非圧縮の点 (SubjectPublicKeyInfo の BIT STRING の中身)。
    EcP256(Vec<u8>),
    /// RSAPublicKey の DER。
    Rsa(Vec<u8>),
}

impl PublicKey {
    fn from_cert(cert: &Certificate) -> Result<PublicKey, String> {
        let spki = &cert.tbs_certificate.subject_public_key_info;
        let bits = spki.subject_public_key.raw_bytes().to_vec();
        if spki.algorithm.oid == OID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            if curve == Some(OID_P256) {
                return Ok(PublicKey::EcP256(bits));
            }
            return Err("楕円曲線が P-256 ではありません".to_owned());
        }
        if spki.algorithm.oid == OID_RSA {
            return Ok(PublicKey::Rsa(bits));
        }
        Err(format!(
            "公開鍵のアルゴリズム {} は扱いません",
            spki.algorithm.oid
        ))
    }

    /// X.509 の署名 (証明書・CRL) を確かめます。`alg` は signatureAlgorithm の OID。
    fn verify_x509(&self, alg: &ObjectIdentifier, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::EcP256(k) if *alg == OID_ECDSA_SHA256 => {
                UnparsedPublicKey::new(&rs::ECDSA_P256_SHA256_ASN1, k)
                    .verify(message, signature)
                    .is_ok()
            }
            PublicKey::Rsa(k) if *alg == OID_RSA_SHA256 => {
                UnparsedPublicKey::new(&rs::RSA_PKCS1_2048_8192_SHA256, k)
                    .verify(message, signature)
                    .is_ok()
            }
            _ => false,
        }
    }
}

/// CRL (署名を確かめたもの)。
#[derive(Clone, Debug)]
pub struct Crl {
    /// nextUpdate (Unix 秒)。ないなら鮮度を言えないので「最新の CRL」とは認めません。
    next_update: Option<i64>,
    /// 失効したシリアル番号 (10進数) → 失効日時 (Unix 秒)。
    revoked: HashMap<String, i64>,
}

/// 信頼する署名用 CA と、その CRL。CA 証明書は文書の中のものではなく、ダウンロード API の
/// JPKI リポジトリからあらかじめ入手したものだけを使います。
#[derive(Clone, Debug)]
pub struct TrustStore {
    ca_subject: Vec<u8>,
    ca_key: PublicKey,
    crl: Option<Crl>,
}

impl TrustStore {
    /// CA 証明書 (PEM) と CRL (DER) から。CRL の発行者と署名が CA と合わなければ CRL はないものとします
    /// (そのとき署名のある申請は「失効確認不可」になります)。
    pub fn new(ca_pem: &[u8], crl_der: &[u8]) -> Result<TrustStore, String> {
        let ca_der = pem_certificate(ca_pem)?;
        let ca =
            Certificate::from_der(&ca_der).map_err(|e| format!("CA 証明書を読めません: {e}"))?;
        let ca_subject = ca
            .tbs_certificate
            .subject
            .to_der()
            .map_err(|e| e.to_string())?;
        let ca_key = PublicKey::from_cert(&ca)?;
        let mut store = TrustStore {
            ca_subject,
            ca_key,
            crl: None,
        };
        store.crl = store.check_crl(crl_der).ok();
        Ok(store)
    }

    /// CRL を読み、CA が発行し署名したものか確かめます。
    fn check_crl(&self, der: &[u8]) -> Result<Crl, String> {
        let crl = CertificateList::from_der(der).map_err(|e| format!("CRL を読めません: {e}"))?;
        let tbs = &crl.tbs_cert_list;
        if tbs.issuer.to_der().map_err(|e| e.to_string())? != self.ca_subject {
            return Err("CRL の発行者が署名用 CA ではありません".to_owned());
        }
        let message = tbs.to_der().map_err(|e| e.to_string())?;
        let signature = crl.signature.raw_bytes();
        if !self
            .ca_key
            .verify_x509(&crl.signature_algorithm.oid, &message, signature)
        {
            return Err("CRL の署名が CA の鍵で検証できません".to_owned());
        }
        let mut revoked = HashMap::new();
        for entry in tbs.revoked_certificates.iter().flatten() {
            let serial = serial_decimal(entry.serial_number.as_bytes());
            revoked.insert(serial, unix(&entry.revocation_date));
        }
        Ok(Crl {
            next_update: tbs.next_update.as_ref().map(unix),
            revoked,
        })
    }

    /// CRL が使えるか (ログのため)。
    pub fn has_crl(&self) -> bool {
        self.crl.is_some()
    }
}

fn unix(t: &x509_cert::time::Time) -> i64 {
    t.to_unix_duration().as_secs() as i64
}

/// 証明書のシリアル番号 (DER の整数のバイト列) を先頭0なしの10進数に。2⁶⁴ を超えるものも u128 の範囲で。
fn serial_decimal(bytes: &[u8]) -> String {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if trimmed.len() > 16 {
        // u128 に入らない番号は renkei の証明書にはありません。16進数で区別だけはできるようにします。
        return trimmed.iter().map(|b| format!("{b:02x}")).collect();
    }
    let mut n: u128 = 0;
    for b in trimmed {
        n = (n << 8) | u128::from(b);
    }
    n.to_string()
}

/// PEM の最初の CERTIFICATE を DER に。
fn pem_certificate(pem: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| "CA 証明書の PEM が UTF-8 ではありません".to_owned())?;
    let begin = "-----BEGIN CERTIFICATE-----";
    let end = "-----END CERTIFICATE-----";
    let start = text
        .find(begin)
        .ok_or("CA 証明書の PEM に BEGIN CERTIFICATE がありません")?
        + begin.len();
    let stop = text[start..]
        .find(end)
        .ok_or("CA 証明書の PEM に END CERTIFICATE がありません")?
        + start;
    let body: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| format!("CA 証明書の PEM の base64 を読めません: {e}"))
}

/// 検証の結果。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub kekka: KenshoKekka,
    /// 人が読む一文 (通知の message)。
    pub detail: String,
}

fn verdict(kekka: KenshoKekka, detail: impl Into<String>) -> Verdict {
    Verdict {
        kekka,
        detail: detail.into(),
    }
}

/// 署名の要素 (形を確かめたあと)。
struct SignatureParts {
    signature: NodeId,
    signed_info: NodeId,
    signature_value: Vec<u8>,
    cert: Certificate,
}

/// 申請書 (`shinseisho.xml` の文字列) の署名を、時刻 `at` で検証します。
///
/// 署名のない申請書は、受付時の結果も `署名なし` なら `署名なし`、そうでなければ (署名が取り除かれた)
/// `署名形式不正` です。
pub fn verify(
    xml: &str,
    trust: &TrustStore,
    at: OffsetDateTime,
    receipt_says_unsigned: bool,
    seeded: Seeded,
) -> Verdict {
    // 1. 形
    if crate::xml::has_doctype(xml) {
        return verdict(
            KenshoKekka::ShomeiKeishikiFusei,
            "申請書に DOCTYPE があります",
        );
    }
    let doc = match uppsala::parse(xml) {
        Ok(doc) => doc,
        Err(e) => {
            return verdict(
                KenshoKekka::ShomeiKeishikiFusei,
                format!("申請書を XML として読めません: {e}"),
            );
        }
    };
    let parts = match signature_parts(&doc) {
        Ok(Some(parts)) => parts,
        Ok(None) if receipt_says_unsigned => {
            return verdict(KenshoKekka::ShomeiNashi, "署名のない申請です");
        }
        Ok(None) => {
            return verdict(
                KenshoKekka::ShomeiKeishikiFusei,
                "申請書に署名がありません (受付時は署名がありました)",
            );
        }
        Err(e) => return verdict(KenshoKekka::ShomeiKeishikiFusei, e),
    };
    let tbs = &parts.cert.tbs_certificate;
    let serial = serial_decimal(tbs.serial_number.as_bytes());

    // 2. 証明書チェーン: 信頼する CA の鍵で署名され、CA 証明書でない
    if let Err(e) = check_issued_by(&parts.cert, trust) {
        return verdict(
            KenshoKekka::HakkoshaFumei,
            format!("署名者の証明書 (シリアル番号 {serial}): {e}"),
        );
    }
    let key = match PublicKey::from_cert(&parts.cert) {
        Ok(key) => key,
        Err(e) => {
            return verdict(
                KenshoKekka::ShomeiKeishikiFusei,
                format!("署名者の証明書: {e}"),
            );
        }
    };

    // 3. ダイジェストと署名値
    let signed_info = match read_signed_info(&doc, parts.signed_info) {
        Ok(s) => s,
        Err(e) => return verdict(KenshoKekka::ShomeiKeishikiFusei, e),
    };
    if !seeded.has(DefectKind::DigestNotChecked) {
        match reference_digest(&doc, parts.signature, &signed_info) {
            Ok(digest) if digest == signed_info.digest_value => {}
            Ok(_) => {
                return verdict(
                    KenshoKekka::Kaizan,
                    "申請書のダイジェストが署名されたものと合いません (署名のあとで書き換えられています)",
                );
            }
            Err(e) => return verdict(KenshoKekka::ShomeiKeishikiFusei, e),
        }
    }
    let canonical_signed_info = match c14n(
        &doc,
        NodeSet::tree_without_comments(parts.signed_info, &doc),
        &signed_info.c14n_method,
    ) {
        Ok(bytes) => bytes,
        Err(e) => return verdict(KenshoKekka::ShomeiKeishikiFusei, e),
    };
    let algorithm: &'static dyn rs::VerificationAlgorithm =
        match (&key, signed_info.signature_method.as_str()) {
            (PublicKey::EcP256(_), ALG_ECDSA_SHA256) => &rs::ECDSA_P256_SHA256_FIXED,
            (PublicKey::Rsa(_), ALG_RSA_SHA256) => &rs::RSA_PKCS1_2048_8192_SHA256,
            (_, other) => {
                return verdict(
                    KenshoKekka::ShomeiKeishikiFusei,
                    format!("SignatureMethod {other} は証明書の鍵に合いません"),
                );
            }
        };
    let key_bytes = match &key {
        PublicKey::EcP256(k) | PublicKey::Rsa(k) => k,
    };
    if UnparsedPublicKey::new(algorithm, key_bytes)
        .verify(&canonical_signed_info, &parts.signature_value)
        .is_err()
    {
        return verdict(
            KenshoKekka::Kaizan,
            "署名値が SignedInfo と合いません (署名のあとで書き換えられています)",
        );
    }

    // 4. 署名の形式: 文書全体を、決めたアルゴリズムで
    if let Err(e) = check_profile(&signed_info) {
        return verdict(KenshoKekka::ShomeiKeishikiFusei, e);
    }

    let at_unix = at.unix_timestamp();
    // 5. 失効 (古い CRL でも失効は確か)
    if !seeded.has(DefectKind::CrlIgnored)
        && let Some(crl) = &trust.crl
        && let Some(revoked_at) = crl.revoked.get(&serial)
        && *revoked_at <= at_unix
    {
        let when = OffsetDateTime::from_unix_timestamp(*revoked_at)
            .map(crate::jst::format)
            .unwrap_or_default();
        return verdict(
            KenshoKekka::Shikko,
            format!("署名者の証明書 (シリアル番号 {serial}) は {when} に失効しています"),
        );
    }

    // 6. 有効期間
    if !seeded.has(DefectKind::ValidityUnchecked) {
        let not_before = unix(&tbs.validity.not_before);
        let not_after = unix(&tbs.validity.not_after);
        if at_unix < not_before {
            return verdict(
                KenshoKekka::YukoKikanMae,
                format!("署名者の証明書 (シリアル番号 {serial}) の有効期間がまだ始まっていません"),
            );
        }
        if at_unix > not_after {
            return verdict(
                KenshoKekka::KigenGire,
                format!("署名者の証明書 (シリアル番号 {serial}) の有効期間が終わっています"),
            );
        }
    }

    // 7. 最新の CRL
    if !seeded.has(DefectKind::CrlIgnored) {
        let fresh = trust
            .crl
            .as_ref()
            .and_then(|c| c.next_update)
            .is_some_and(|next| at_unix <= next);
        if !fresh {
            return verdict(
                KenshoKekka::ShikkoKakuninFuka,
                "署名用 CA の有効な CRL がないため、失効していないことを確かめられません",
            );
        }
    }

    if seeded.has(DefectKind::EcdsaRejected) && matches!(key, PublicKey::EcP256(_)) {
        return verdict(
            KenshoKekka::ShomeiKeishikiFusei,
            "署名アルゴリズム ECDSA には対応していません (RSA だけ)",
        );
    }
    verdict(
        KenshoKekka::Kenshozumi,
        format!("検証済み (署名用電子証明書 シリアル番号 {serial})"),
    )
}

/// 申請ZIPの検証: 申請書の署名を検証し、検証済みなら添付書類を署名された添付書類一覧と照らし合わせます。
/// 添付書類の差し替え・追加・削除は `改ざん検知` です。
pub fn verify_shinsei(
    zip: &ShinseiZip,
    trust: &TrustStore,
    at: OffsetDateTime,
    seeded: Seeded,
) -> Verdict {
    let unsigned = zip.kensho_kekka.kensho_kekka == KenshoKekka::ShomeiNashi.as_str();
    let verdict = verify(&zip.shinseisho_xml, trust, at, unsigned, seeded);
    if verdict.kekka != KenshoKekka::Kenshozumi || seeded.has(DefectKind::AttachmentsNotCompared) {
        return verdict;
    }
    let attachments: Vec<&Entry> = zip.attachments().collect();
    let signed = zip
        .shinseisho
        .as_ref()
        .map(|s| s.attachments.as_slice())
        .unwrap_or_default();
    match compare_attachments(signed, &attachments) {
        Ok(()) => verdict,
        Err(why) => Verdict {
            kekka: KenshoKekka::Kaizan,
            detail: why,
        },
    }
}

/// 署名された添付書類一覧と、ZIP の `tenpu/` の添付書類を照らし合わせます (ING-07b)。
/// 名前・サイズ・SHA-256 のどれか、または数が違えば改ざんです。
pub fn compare_attachments(signed: &[SignedAttachment], entries: &[&Entry]) -> Result<(), String> {
    for s in signed {
        let path = format!("{TENPU_DIR}{}", s.file_name);
        let Some(e) = entries.iter().find(|e| e.path == path) else {
            return Err(format!(
                "署名された添付書類「{}」が申請ZIPにありません",
                s.file_name
            ));
        };
        if e.content.len() as u64 != s.size || e.sha256 != s.sha256 {
            return Err(format!(
                "添付書類「{}」が署名された添付書類一覧と合いません (差し替えられています)",
                s.file_name
            ));
        }
    }
    for e in entries {
        let name = &e.path[TENPU_DIR.len().min(e.path.len())..];
        if !signed.iter().any(|s| s.file_name == name) {
            return Err(format!(
                "添付書類「{name}」は署名された添付書類一覧にありません (あとから足されています)"
            ));
        }
    }
    Ok(())
}

/// 1. `ds:Signature` が文書要素の直下に1つだけ、`X509Certificate` が1つ。署名がまったくなければ `None`。
fn signature_parts(doc: &Document<'_>) -> Result<Option<SignatureParts>, String> {
    let root = doc.document_element().ok_or("文書要素がありません")?;
    let all: Vec<NodeId> = doc
        .descendants(root)
        .into_iter()
        .filter(|n| crate::xml::is_element(doc, *n, DS, "Signature"))
        .collect();
    if all.is_empty() {
        return Ok(None);
    }
    let direct = crate::xml::children_ns(doc, root, DS, "Signature");
    if all.len() != 1 || direct.len() != 1 {
        return Err(format!(
            "ds:Signature が {} 個あります (文書要素の直下に1つのはずです)",
            all.len()
        ));
    }
    let signature = direct[0];
    let one = |parent: NodeId, local: &str| -> Result<NodeId, String> {
        let found = crate::xml::children_ns(doc, parent, DS, local);
        match found.as_slice() {
            [one] => Ok(*one),
            _ => Err(format!(
                "ds:{local} が {} 個あります (1つのはずです)",
                found.len()
            )),
        }
    };
    let signed_info = one(signature, "SignedInfo")?;
    let value_text = crate::xml::text(doc, one(signature, "SignatureValue")?);
    let signature_value = decode_base64(&value_text).map_err(|e| format!("SignatureValue: {e}"))?;
    let key_info = one(signature, "KeyInfo")?;
    let x509_data = one(key_info, "X509Data")?;
    let cert_text = crate::xml::text(doc, one(x509_data, "X509Certificate")?);
    let cert_der = decode_base64(&cert_text).map_err(|e| format!("X509Certificate: {e}"))?;
    let cert = Certificate::from_der(&cert_der)
        .map_err(|e| format!("X509Certificate を証明書として読めません: {e}"))?;
    Ok(Some(SignatureParts {
        signature,
        signed_info,
        signature_value,
        cert,
    }))
}

fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| format!("base64 を読めません: {e}"))
}

/// 2. 証明書が信頼する CA の鍵で署名され、CA 証明書でないこと。
fn check_issued_by(cert: &Certificate, trust: &TrustStore) -> Result<(), String> {
    let tbs = &cert.tbs_certificate;
    if tbs.issuer.to_der().map_err(|e| e.to_string())? != trust.ca_subject {
        return Err("発行者が信頼する署名用 CA ではありません".to_owned());
    }
    let message = tbs.to_der().map_err(|e| e.to_string())?;
    if !trust.ca_key.verify_x509(
        &cert.signature_algorithm.oid,
        &message,
        cert.signature.raw_bytes(),
    ) {
        return Err("信頼する署名用 CA の鍵で署名されていません".to_owned());
    }
    for ext in tbs.extensions.iter().flatten() {
        if ext.extn_id == OID_BASIC_CONSTRAINTS {
            let bc = x509_cert::ext::pkix::BasicConstraints::from_der(ext.extn_value.as_bytes())
                .map_err(|e| format!("basicConstraints を読めません: {e}"))?;
            if bc.ca {
                return Err("CA の証明書です (利用者の証明書ではありません)".to_owned());
            }
        }
    }
    Ok(())
}

/// SignedInfo の中身。
struct SignedInfo {
    c14n_method: String,
    signature_method: String,
    references: usize,
    uri: Option<String>,
    transforms: Vec<String>,
    has_inclusive_namespaces: bool,
    digest_method: String,
    digest_value: Vec<u8>,
}

fn read_signed_info(doc: &Document<'_>, signed_info: NodeId) -> Result<SignedInfo, String> {
    let algorithm = |parent: NodeId, local: &str| -> Result<String, String> {
        let found = crate::xml::children_ns(doc, parent, DS, local);
        match found.as_slice() {
            [one] => Ok(doc
                .get_attribute(*one, "Algorithm")
                .unwrap_or_default()
                .to_owned()),
            _ => Err(format!(
                "ds:{local} が {} 個あります (1つのはずです)",
                found.len()
            )),
        }
    };
    let c14n_method = algorithm(signed_info, "CanonicalizationMethod")?;
    let signature_method = algorithm(signed_info, "SignatureMethod")?;
    let references = crate::xml::children_ns(doc, signed_info, DS, "Reference");
    let Some(reference) = references.first().copied() else {
        return Err("ds:Reference がありません".to_owned());
    };
    let mut transforms = Vec::new();
    let mut has_inclusive_namespaces = false;
    for t in crate::xml::children_ns(doc, reference, DS, "Transforms") {
        for tr in crate::xml::children_ns(doc, t, DS, "Transform") {
            transforms.push(
                doc.get_attribute(tr, "Algorithm")
                    .unwrap_or_default()
                    .to_owned(),
            );
            has_inclusive_namespaces |= doc.children_iter(tr).any(|c| doc.element(c).is_some());
        }
    }
    let digest_method = algorithm(reference, "DigestMethod")?;
    let digest_nodes = crate::xml::children_ns(doc, reference, DS, "DigestValue");
    let [digest_node] = digest_nodes.as_slice() else {
        return Err("ds:DigestValue が1つではありません".to_owned());
    };
    let digest_value = decode_base64(&crate::xml::text(doc, *digest_node))
        .map_err(|e| format!("DigestValue: {e}"))?;
    Ok(SignedInfo {
        c14n_method,
        signature_method,
        references: references.len(),
        uri: doc.get_attribute(reference, "URI").map(str::to_owned),
        transforms,
        has_inclusive_namespaces,
        digest_method,
        digest_value,
    })
}

/// 3. 参照 (`URI=""` の文書全体から enveloped 署名を除き、正規化) の SHA-256。
///
/// 文書全体以外を指す参照はここでは計算できないので、形式の誤り (`署名形式不正`) として返します。
fn reference_digest(
    doc: &Document<'_>,
    signature: NodeId,
    si: &SignedInfo,
) -> Result<Vec<u8>, String> {
    if si.uri.as_deref() != Some("") {
        return Err("Reference が文書全体 (URI=\"\") を指していません".to_owned());
    }
    if si.digest_method != ALG_SHA256 {
        return Err(format!("DigestMethod {} は扱いません", si.digest_method));
    }
    let mut set = NodeSet::all_without_comments(doc);
    let mut enveloped = false;
    let mut c14n_method = None;
    for t in &si.transforms {
        match t.as_str() {
            ALG_ENVELOPED if !enveloped => enveloped = true,
            other if C14nMode::from_uri(other).is_some() && c14n_method.is_none() => {
                c14n_method = Some(other.to_owned())
            }
            other => return Err(format!("Transform {other} は扱いません")),
        }
    }
    if enveloped {
        set.remove_id(signature);
        for id in doc.descendants(signature) {
            set.remove_id(id);
        }
    }
    // 正規化の Transform がなければ XML-DSig の既定 (C14N 1.0) です。
    let method =
        c14n_method.unwrap_or_else(|| "http://www.w3.org/TR/2001/REC-xml-c14n-20010315".to_owned());
    let canonical = c14n(doc, set, &method)?;
    Ok(Sha256::digest(&canonical).to_vec())
}

fn c14n(doc: &Document<'_>, set: NodeSet, method: &str) -> Result<Vec<u8>, String> {
    let mode = C14nMode::from_uri(method).ok_or_else(|| format!("正規化 {method} は扱いません"))?;
    bergshamra_c14n::canonicalize_doc(doc, mode, Some(&set), &[] as &[&str])
        .map_err(|e| format!("正規化できません: {e}"))
}

/// 4. docs/jpki.md「XML 署名の形式」のとおりか。
fn check_profile(si: &SignedInfo) -> Result<(), String> {
    if si.references != 1 {
        return Err(format!(
            "ds:Reference が {} 個あります (1つのはずです)",
            si.references
        ));
    }
    if si.uri.as_deref() != Some("") {
        return Err("Reference が文書全体 (URI=\"\") を指していません".to_owned());
    }
    if si.c14n_method != ALG_EXC_C14N {
        return Err(format!(
            "CanonicalizationMethod {} は排他的正規化ではありません",
            si.c14n_method
        ));
    }
    if !matches!(
        si.signature_method.as_str(),
        ALG_ECDSA_SHA256 | ALG_RSA_SHA256
    ) {
        return Err(format!(
            "SignatureMethod {} は扱いません",
            si.signature_method
        ));
    }
    if si.transforms != [ALG_ENVELOPED, ALG_EXC_C14N] || si.has_inclusive_namespaces {
        return Err(
            "Transforms が enveloped-signature と排他的正規化の2つではありません".to_owned(),
        );
    }
    if si.digest_method != ALG_SHA256 {
        return Err(format!(
            "DigestMethod {} は SHA-256 ではありません",
            si.digest_method
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_decimal_without_leading_zeros() {
        assert_eq!(serial_decimal(&[0x00, 0x01, 0x00]), "256");
        assert_eq!(serial_decimal(&[0xff; 8]), u64::MAX.to_string());
        assert_eq!(serial_decimal(&[0x01]), "1");
        assert_eq!(serial_decimal(&[0x00, 0x00, 0x07]), "7");
    }

    #[test]
    fn attachments_must_match_the_signed_list_exactly() {
        let e = Entry {
            path: "tenpu/a.pdf".into(),
            content: b"abc".to_vec(),
            sha256: crate::shinsei_zip::sha256_hex(b"abc"),
        };
        let signed = SignedAttachment {
            file_name: "a.pdf".into(),
            size: 3,
            sha256: e.sha256.clone(),
        };
        assert!(compare_attachments(std::slice::from_ref(&signed), &[&e]).is_ok());
        let swapped = Entry {
            content: b"abd".to_vec(),
            sha256: crate::shinsei_zip::sha256_hex(b"abd"),
            ..e.clone()
        };
        assert!(compare_attachments(std::slice::from_ref(&signed), &[&swapped]).is_err());
        assert!(compare_attachments(&[], &[&e]).is_err(), "足された添付書類");
        assert!(
            compare_attachments(&[signed], &[]).is_err(),
            "消された添付書類"
        );
    }

    #[test]
    fn an_unsigned_document_is_unsigned_only_if_the_receipt_says_so() {
        let xml = "<申請書 xmlns=\"urn:renkei:pittari:shinsei-zip:1\"/>";
        let trust = TrustStore {
            ca_subject: vec![],
            ca_key: PublicKey::EcP256(vec![]),
            crl: None,
        };
        let at = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(
            verify(xml, &trust, at, true, Seeded::NONE).kekka,
            KenshoKekka::ShomeiNashi
        );
        assert_eq!(
            verify(xml, &trust, at, false, Seeded::NONE).kekka,
            KenshoKekka::ShomeiKeishikiFusei
        );
        let doctype = "<!DOCTYPE x><申請書/>";
        assert_eq!(
            verify(doctype, &trust, at, true, Seeded::NONE).kekka,
            KenshoKekka::ShomeiKeishikiFusei
        );
    }
}
