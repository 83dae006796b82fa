//! `docs/jpki.md` is what vendors build against: it must name the same algorithms, OIDs and CA
//! names the code uses. When a constant changes, this test says which sentence to change.

use renkei_simulator::jpki::{
    CertKind, DSIG_NAMESPACE, ECDSA_SHA256, ENVELOPED_SIGNATURE, EXCLUSIVE_C14N, OID_JUSHO,
    OID_JUSHO_DAITAI, OID_SEIBETSU, OID_SEINENGAPPI, OID_SHIMEI, OID_SHIMEI_DAITAI, SHA256,
    SYNTHETIC_CA_CN,
};

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/jpki.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_signature_profile_in_the_doc_is_the_one_the_code_signs_with() {
    let doc = doc();
    for (what, uri) in [
        ("XML-DSig namespace", DSIG_NAMESPACE),
        ("CanonicalizationMethod / Transform", EXCLUSIVE_C14N),
        ("SignatureMethod", ECDSA_SHA256),
        ("DigestMethod", SHA256),
        ("Transform", ENVELOPED_SIGNATURE),
    ] {
        assert!(
            doc.contains(&format!("`{uri}`")),
            "docs/jpki.md must give the {what} `{uri}`"
        );
    }
}

#[test]
fn the_ca_names_and_san_oids_in_the_doc_are_the_codes() {
    let doc = doc();
    for kind in [CertKind::Signature, CertKind::Authentication] {
        let subject = format!(
            "`C=JP, O=JPKI, OU={}, CN={SYNTHETIC_CA_CN}`",
            kind.ca_unit()
        );
        assert!(
            doc.contains(&subject),
            "docs/jpki.md must name the {kind} CA {subject}"
        );
    }
    for oid in [
        OID_SHIMEI,
        OID_SHIMEI_DAITAI,
        OID_SEIBETSU,
        OID_SEINENGAPPI,
        OID_JUSHO,
        OID_JUSHO_DAITAI,
    ] {
        assert!(
            doc.contains(&format!("| {oid} |")),
            "docs/jpki.md must list {oid}"
        );
    }
}
