//! renkei's junit.xml is JUnit as CI servers read it: valid against the published Jenkins
//! `junit-10.xsd` except for the testcase `<properties>`, and valid against
//! `schemas/renkei-junit.xsd`, which adds only those. Checked with xmllint (Debian
//! libxml2-utils), an XML schema validator renkei does not share code with.

use std::path::{Path, PathBuf};
use std::process::Command;

use renkei_reports::mask::Masker;
use renkei_reports::{Run, junit, sample};

fn schema(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name)
}

/// `Some(reason)` when xmllint is missing and the test may skip (never on CI).
fn xmllint_missing() -> Option<String> {
    if Command::new("xmllint").arg("--version").output().is_ok() {
        return None;
    }
    let reason = "xmllint がありません (apt-get install libxml2-utils)".to_owned();
    assert!(std::env::var_os("CI").is_none(), "{reason}");
    Some(reason)
}

fn validate(xml: &str, schema: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junit.xml");
    std::fs::write(&file, xml).unwrap();
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} rejects junit.xml:\n{}\n{xml}",
        schema.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The document without the `<properties>` of each testcase (they are the only lines indented
/// by eight spaces or more inside a testcase's properties block).
fn without_testcase_properties(xml: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in xml.lines() {
        if line == "      <properties>" {
            skipping = true;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
        if line == "      </properties>" {
            skipping = false;
        }
    }
    out
}

fn runs() -> Vec<(&'static str, Run)> {
    let mut masked = sample::run();
    masked.mask(&Masker::new());
    let mut empty = sample::run();
    empty.scenarios.clear();
    empty.summary = sample::summary_of(&empty);
    let mut hostile = sample::run();
    hostile.scenarios[1].steps[2].evidence[0].body =
        "制御文字 \u{1}\u{7}\u{1b} と ]]> と \u{FFFF} と 𠮷".to_owned();
    vec![
        ("masked", masked),
        ("unmasked", sample::run()),
        ("no scenarios", empty),
        ("control characters", hostile),
    ]
}

#[test]
fn junit_xml_is_valid_against_the_published_schema_and_renkeis() {
    if let Some(reason) = xmllint_missing() {
        eprintln!("skipped: {reason}");
        return;
    }
    for (name, run) in runs() {
        let xml = junit::render(&run);
        eprintln!("checking the {name} run");
        validate(&xml, &schema("renkei-junit.xsd"));
        let stripped = without_testcase_properties(&xml);
        assert!(!stripped.contains("name=\"requirement\""), "{stripped}");
        validate(&stripped, &schema("junit-10.xsd"));
    }
}

#[test]
fn the_published_schema_refuses_what_it_should() {
    if let Some(reason) = xmllint_missing() {
        eprintln!("skipped: {reason}");
        return;
    }
    // Guards the vendored schema itself: it must not accept anything.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.xml");
    std::fs::write(&file, "<testsuites><testsuite tests=\"1\"/></testsuites>").unwrap();
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema("junit-10.xsd"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "a testsuite without a name passed"
    );
}
