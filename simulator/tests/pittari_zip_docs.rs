//! `docs/shinsei-zip.md` and the XSDs under `docs/xsd/shinsei-zip/` say what the code does: every
//! element, every 検証結果 word, every 種別, every field type, the limits, and every section an
//! error message points to.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use renkei_fixtures::catalog::Catalogs;
use renkei_simulator::pittari::zip::{KenshoKekka, ReadLimits, Shubetsu, ZipVariant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn docs() -> String {
    read("docs/shinsei-zip.md")
}

/// Every `value="…"` of the `xs:simpleType` called `name` in `xsd`.
fn enumeration(xsd: &str, name: &str) -> BTreeSet<String> {
    let start = xsd
        .find(&format!("<xs:simpleType name=\"{name}\">"))
        .unwrap_or_else(|| panic!("no simpleType {name}"));
    let end = start + xsd[start..].find("</xs:simpleType>").unwrap();
    xsd[start..end]
        .split("<xs:enumeration value=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

/// Every element name an XSD declares.
fn elements(xsd: &str) -> Vec<String> {
    xsd.split("<xs:element name=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

#[test]
fn the_docs_describe_every_element_of_every_xsd() {
    let docs = docs();
    let mut count = 0;
    for file in [
        "common",
        "kousei_kanri",
        "shinseisho",
        "shomei_kensho_kekka",
    ] {
        let xsd = read(&format!("docs/xsd/shinsei-zip/{file}.xsd"));
        assert!(
            xsd.contains("targetNamespace=\"urn:renkei:pittari:shinsei-zip:1\""),
            "{file}.xsd"
        );
        for element in elements(&xsd) {
            assert!(
                docs.contains(&format!("`{element}`")),
                "docs/shinsei-zip.md does not describe `{element}` ({file}.xsd)"
            );
            count += 1;
        }
    }
    assert!(count > 40, "{count} elements");
    assert_eq!(
        renkei_simulator::pittari::zip::NAMESPACE,
        "urn:renkei:pittari:shinsei-zip:1"
    );
}

#[test]
fn the_xsd_enumerations_are_the_codes_words() {
    let kensho = read("docs/xsd/shinsei-zip/shomei_kensho_kekka.xsd");
    let words: BTreeSet<String> = KenshoKekka::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    assert_eq!(enumeration(&kensho, "検証結果型"), words);

    let manifest = read("docs/xsd/shinsei-zip/kousei_kanri.xsd");
    let kinds: BTreeSet<String> = Shubetsu::ALL
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    assert_eq!(enumeration(&manifest, "種別型"), kinds);

    let shinseisho = read("docs/xsd/shinsei-zip/shinseisho.xsd");
    let types = enumeration(&shinseisho, "型型");
    let used: BTreeSet<String> = Catalogs::embedded()
        .procedures
        .iter()
        .flat_map(|p| p.fields.iter().map(|f| f.field_type.name().to_owned()))
        .collect();
    assert_eq!(types, used, "the XSD's field types are the catalog's");

    let common = read("docs/xsd/shinsei-zip/common.xsd");
    let categories: BTreeSet<String> = Catalogs::embedded()
        .procedures
        .iter()
        .map(|p| p.category.label().to_owned())
        .collect();
    assert_eq!(enumeration(&common, "カテゴリ型"), categories);
}

#[test]
fn the_docs_give_every_verdict_its_notice_and_every_variant_its_behaviour() {
    let docs = docs();
    for kekka in KenshoKekka::ALL {
        let (level, title) = kekka.tsuchi();
        assert!(
            docs.contains(&format!("| `{}` |", kekka.as_str()))
                && docs.contains(&format!("{level} / {title}")),
            "the 検証結果 table lacks {kekka} → {level} / {title}"
        );
    }
    for variant in ZipVariant::ALL {
        if variant != ZipVariant::Valid {
            assert!(
                docs.contains(&format!("`ZipVariant::{variant:?}`")),
                "{variant:?}"
            );
        }
    }
    for rule in [
        "ING-04", "ING-05", "ING-06", "ING-07", "ING-08", "ING-09", "ING-10", "ING-12", "ING-13",
        "ING-20",
    ] {
        assert!(docs.contains(rule), "{rule}");
    }
    for seed in ["seed 001 §5 ③-2", "seed 001 §5 ③-3", "seed 000 §4"] {
        assert!(docs.contains(seed), "{seed}");
    }
    assert!(docs.contains("renkei が定めた形式です。公式の仕様ではありません"));
}

#[test]
fn the_docs_state_the_limits_the_reader_enforces() {
    let docs = docs();
    let limits = ReadLimits::default();
    assert!(docs.contains(&format!("エントリは {} 個まで", limits.max_entries)));
    assert!(docs.contains(&format!(
        "1エントリ {} MiB まで",
        limits.max_entry_bytes >> 20
    )));
    assert!(docs.contains(&format!("合計 {} MiB まで", limits.max_total_bytes >> 20)));
    assert!(docs.contains(&format!("添付書類は{}個まで", limits.max_entries - 4)));
}

#[test]
fn every_section_an_error_points_to_exists() {
    let docs = docs();
    let headings: BTreeSet<&str> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .collect();
    let source_dir = repo().join("simulator/src/pittari/zip");
    let mut referenced = BTreeSet::new();
    for entry in std::fs::read_dir(&source_dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for piece in text.split("docs/shinsei-zip.md「").skip(1) {
            let section = &piece[..piece.find('」').unwrap()];
            if section != "{file}" {
                referenced.insert(section.to_owned());
            }
        }
    }
    // The Xml error names the file's own section: one per XML file.
    referenced.extend(
        [
            "kousei_kanri.xml",
            "shinseisho.xml",
            "shomei_kensho_kekka.xml",
        ]
        .map(String::from),
    );
    assert!(referenced.len() >= 5, "{referenced:?}");
    for section in &referenced {
        assert!(
            headings.contains(section.as_str()),
            "docs/shinsei-zip.md has no section 「{section}」: {headings:?}"
        );
    }
}
