//! The command as a newcomer uses it: real processes, real files.

use assert_cmd::Command;

fn renkei() -> Command {
    Command::cargo_bin("renkei").expect("the renkei binary is built")
}

#[test]
fn population_command_writes_the_files_it_announces() {
    let out = tempfile::tempdir().unwrap();
    let assert = renkei()
        .args([
            "fixtures",
            "population",
            "--size",
            "120",
            "--seed",
            "5",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("合成住民 120 人"), "{stdout}");
    for file in [
        "residents.jsonl",
        "residents.csv",
        "certificates.csv",
        "manifest.json",
    ] {
        assert!(out.path().join(file).exists(), "{file} missing");
        assert!(stdout.contains(file), "{file} not announced");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["residents"], 120);
    assert_eq!(manifest["synthetic"], true);
    assert_eq!(manifest["dantai_code"], "131016");
    let csv = std::fs::read_to_string(out.path().join("residents.csv")).unwrap();
    assert_eq!(csv.lines().count(), 121, "header and 120 rows");
}

#[test]
fn only_the_asked_format_is_written() {
    let out = tempfile::tempdir().unwrap();
    renkei()
        .args([
            "fixtures",
            "population",
            "--size",
            "10",
            "--format",
            "csv",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    assert!(out.path().join("residents.csv").exists());
    assert!(!out.path().join("residents.jsonl").exists());
}

#[test]
fn a_bad_dantai_code_is_named_with_the_rule() {
    let out = tempfile::tempdir().unwrap();
    let assert = renkei()
        .args(["fixtures", "population", "--dantai", "131017", "--out"])
        .arg(out.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("--dantai 131017"), "{stderr}");
    assert!(stderr.contains("検査数字"), "{stderr}");
}

#[test]
fn a_bad_date_is_refused_by_the_parser() {
    renkei()
        .args([
            "fixtures",
            "population",
            "--as-of",
            "2026-13-01",
            "--out",
            "x",
        ])
        .assert()
        .failure();
}

#[test]
fn catalog_command_prints_every_catalog() {
    let assert = renkei().args(["fixtures", "catalog"]).assert().success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for expected in ["罹災証明書の発行申請", "地方税関係情報", "千代田区"] {
        assert!(stdout.contains(expected), "{expected} missing");
    }
}

#[test]
fn catalog_command_refuses_an_unknown_choice() {
    renkei()
        .args(["fixtures", "catalog", "no-such-thing"])
        .assert()
        .failure();
}

#[test]
fn requirements_command_prints_the_catalog() {
    let assert = renkei().args(["requirements"]).assert().success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for id in ["ING-01", "JUK-06", "FUK-03", "SKI-07", "KIK-02"] {
        assert!(stdout.contains(id), "{id} missing");
    }
    let assert = renkei()
        .args(["requirements", "--area", "住基連携"])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("JUK-01") && !stdout.contains("ING-01"));
    renkei()
        .args(["requirements", "--area", "宇宙"])
        .assert()
        .failure();
}
