//! The enveloped XML signature on a 申請書, made with a 署名用電子証明書.
//!
//! renkei's signature profile (`docs/jpki.md`; the real one is not public):
//! one `ds:Signature`, the last child of the document element, with
//! `Reference URI=""` (the whole document), transforms enveloped-signature then exclusive C14N,
//! `CanonicalizationMethod` exclusive C14N, `SignatureMethod` ecdsa-sha256, `DigestMethod` sha256,
//! and `KeyInfo/X509Data/X509Certificate` holding the signer's certificate (the CA is not
//! included: the verifier has it). Signing is done by bergshamra, which interoperates with
//! xmlsec1 (CRATES.md).

use bergshamra::xml::uppsala::{self, Document, NodeId};
use bergshamra::{DsigContext, KeysManager};

use super::JpkiError;
use super::cert::IssuedCert;

/// The XML-DSig namespace.
pub const DSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Exclusive XML Canonicalization 1.0 without comments: SignedInfo and the Reference transform.
pub const EXCLUSIVE_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// ECDSA P-256 with SHA-256 (RFC 4051 §2.3.6).
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// SHA-256 digest (XML Encryption §5.7.2).
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// The enveloped-signature transform: the digest covers the document without the signature.
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Sign the whole of `xml` with `signer`: an enveloped signature appended to the document element.
///
/// The document is otherwise kept byte for byte (XML declaration, Japanese names, characters
/// outside the BMP such as 𠮷, private-use characters). Deterministic: the same document and
/// certificate give the same signed bytes (RFC 6979). Refused for text that is not XML, a
/// document with a DOCTYPE (a DTD can change what is signed), or one already signed.
pub fn sign_enveloped(xml: &str, signer: &IssuedCert) -> Result<String, JpkiError> {
    let template = with_signature_template(xml, &signature_template(signer.der_base64()))?;
    let context = DsigContext::new_permissive(KeysManager::new())
        .with_hsm_signer(signer.key().document_signer());
    bergshamra::dsig::sign::sign_owned(&context, template)
        .map_err(|e| JpkiError::Sign(e.to_string()))
}

/// The signature template for a certificate: bergshamra fills DigestValue and SignatureValue.
///
/// The certificate is written here rather than by bergshamra, because bergshamra fills KeyInfo
/// only from its own key store, which the external signer bypasses (see `key.rs`).
pub(crate) fn signature_template(cert_base64: &str) -> String {
    [TEMPLATE_HEAD, cert_base64, TEMPLATE_TAIL].concat()
}

/// `xml` with `template` inserted as the last child of the document element.
fn with_signature_template(xml: &str, template: &str) -> Result<String, JpkiError> {
    let doc =
        uppsala::parse(xml).map_err(|e| JpkiError::Sign(format!("XML として読めません: {e}")))?;
    if doc.doctype.is_some() {
        return Err(JpkiError::Sign(
            "DOCTYPE を含む XML には署名しません".to_owned(),
        ));
    }
    if !signatures(&doc).is_empty() {
        return Err(JpkiError::Sign(
            "既に ds:Signature があります (署名は1文書に1つです)".to_owned(),
        ));
    }
    let root = doc
        .document_element()
        .ok_or_else(|| JpkiError::Sign("文書要素がありません".to_owned()))?;
    let range = doc
        .node_range(root)
        .ok_or_else(|| JpkiError::Sign("文書要素の位置が分かりません".to_owned()))?;
    let element = &xml[range.clone()];
    let mut out = String::with_capacity(xml.len() + template.len());
    if let Some(open) = element.strip_suffix("/>") {
        // <申請書/>: open it up to hold the signature.
        let name = doc
            .element(root)
            .map(|e| e.name.prefixed_name().into_owned())
            .ok_or_else(|| JpkiError::Sign("文書要素がありません".to_owned()))?;
        out.push_str(&xml[..range.start]);
        out.push_str(open.trim_end());
        out.push('>');
        out.push_str(template);
        out.push_str(&format!("</{name}>"));
    } else {
        let end_tag = element
            .rfind("</")
            .ok_or_else(|| JpkiError::Sign("文書要素の終了タグが見つかりません".to_owned()))?;
        out.push_str(&xml[..range.start + end_tag]);
        out.push_str(template);
        out.push_str(element.get(end_tag..).unwrap_or_default());
    }
    out.push_str(&xml[range.end..]);
    Ok(out)
}

/// The signature template up to the certificate.
const TEMPLATE_HEAD: &str = concat!(
    r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#,
    r#"<ds:SignedInfo>"#,
    r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
    r#"<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>"#,
    r#"<ds:Reference URI="">"#,
    r#"<ds:Transforms>"#,
    r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
    r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
    r#"</ds:Transforms>"#,
    r#"<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>"#,
    r#"<ds:DigestValue></ds:DigestValue>"#,
    r#"</ds:Reference>"#,
    r#"</ds:SignedInfo>"#,
    r#"<ds:SignatureValue></ds:SignatureValue>"#,
    r#"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>"#,
);

/// The signature template after the certificate.
const TEMPLATE_TAIL: &str = "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>";

/// Every `ds:Signature` element in the document, in document order.
pub(crate) fn signatures(doc: &Document<'_>) -> Vec<NodeId> {
    doc.descendants(doc.root())
        .into_iter()
        .filter(|&id| is_dsig(doc, id, "Signature"))
        .collect()
}

/// Whether `id` is the XML-DSig element `local`.
pub(crate) fn is_dsig(doc: &Document<'_>, id: NodeId, local: &str) -> bool {
    doc.element(id)
        .is_some_and(|e| e.name.matches(Some(DSIG_NAMESPACE), local))
}

/// The XML-DSig child elements of `parent` called `local`.
pub(crate) fn dsig_children(doc: &Document<'_>, parent: NodeId, local: &str) -> Vec<NodeId> {
    doc.children(parent)
        .into_iter()
        .filter(|&id| is_dsig(doc, id, local))
        .collect()
}

/// Check that a signature follows renkei's profile exactly; the message names what differs.
///
/// A cryptographically valid signature that signs less than the whole document, or with other
/// algorithms, is not a 申請書 signature renkei accepts.
pub(crate) fn check_profile(doc: &Document<'_>, signature: NodeId) -> Result<(), String> {
    let one = |parent: NodeId, local: &str| -> Result<NodeId, String> {
        match dsig_children(doc, parent, local).as_slice() {
            [only] => Ok(*only),
            [] => Err(format!("ds:{local} がありません")),
            _ => Err(format!("ds:{local} が2つ以上あります")),
        }
    };
    let algorithm = |id: NodeId| doc.get_attribute(id, "Algorithm").unwrap_or_default();
    let expect = |what: &str, found: &str, wanted: &str| {
        if found == wanted {
            Ok(())
        } else {
            Err(format!(
                "{what} が「{found}」です (「{wanted}」であるべきです)"
            ))
        }
    };
    let signed_info = one(signature, "SignedInfo")?;
    expect(
        "CanonicalizationMethod",
        algorithm(one(signed_info, "CanonicalizationMethod")?),
        EXCLUSIVE_C14N,
    )?;
    expect(
        "SignatureMethod",
        algorithm(one(signed_info, "SignatureMethod")?),
        ECDSA_SHA256,
    )?;
    let reference = one(signed_info, "Reference")?;
    match doc.get_attribute(reference, "URI") {
        Some("") => {}
        Some(uri) => {
            return Err(format!(
                "Reference URI が「{uri}」です (文書全体 URI=\"\" であるべきです)"
            ));
        }
        None => return Err("Reference に URI がありません (URI=\"\" であるべきです)".to_owned()),
    }
    let transforms: Vec<&str> = dsig_children(doc, one(reference, "Transforms")?, "Transform")
        .into_iter()
        .map(algorithm)
        .collect();
    if transforms != [ENVELOPED_SIGNATURE, EXCLUSIVE_C14N] {
        return Err(format!(
            "Transform が {transforms:?} です (enveloped-signature, exclusive C14N の順であるべきです)"
        ));
    }
    expect(
        "DigestMethod",
        algorithm(one(reference, "DigestMethod")?),
        SHA256,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_uris_are_the_ones_bergshamra_knows() {
        use bergshamra::core::algorithm;
        assert_eq!(EXCLUSIVE_C14N, algorithm::EXC_C14N);
        assert_eq!(ECDSA_SHA256, algorithm::ECDSA_SHA256);
        assert_eq!(SHA256, algorithm::SHA256);
        assert_eq!(ENVELOPED_SIGNATURE, algorithm::ENVELOPED_SIGNATURE);
        assert_eq!(DSIG_NAMESPACE, bergshamra::core::ns::DSIG);
    }

    #[test]
    fn the_template_goes_last_inside_the_document_element() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<申請書><氏名>𠮷田</氏名></申請書>\n<!-- 末尾 -->\n";
        let out = with_signature_template(xml, &signature_template("MIIB")).unwrap();
        assert!(out.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<申請書><氏名>𠮷田</氏名><ds:Signature"
        ));
        assert!(
            out.ends_with("</ds:Signature></申請書>\n<!-- 末尾 -->\n"),
            "{out}"
        );
    }

    #[test]
    fn an_empty_document_element_is_opened_up() {
        let out = with_signature_template(
            "<a:申請書 xmlns:a=\"urn:x\" />",
            &signature_template("MIIB"),
        )
        .unwrap();
        assert!(
            out.starts_with("<a:申請書 xmlns:a=\"urn:x\"><ds:Signature"),
            "{out}"
        );
        assert!(out.ends_with("</ds:Signature></a:申請書>"), "{out}");
    }

    #[test]
    fn doctype_and_second_signatures_are_refused() {
        let doctype = "<!DOCTYPE 申請書 [<!ENTITY x \"y\">]><申請書>&x;</申請書>";
        let template = signature_template("MIIB");
        let refusal = |xml: &str| {
            with_signature_template(xml, &template)
                .unwrap_err()
                .to_string()
        };
        assert!(refusal(doctype).contains("DOCTYPE"));
        assert!(refusal(&format!("<申請書>{template}</申請書>")).contains("既に"));
        assert!(refusal("<申請書>").contains("XML"));
    }
}
