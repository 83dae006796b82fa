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
    assert!(
        stdout.contains("SKI-06 それ以外は1時間の照会を1万件以内にする — 判定しない理由: "),
        "{stdout}"
    );
    let assert = renkei()
        .args(["requirements", "--area", "住基連携"])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("JUK-01") && !stdout.contains("ING-01"));
    assert!(!stdout.contains("判定しない"), "{stdout}");
    renkei()
        .args(["requirements", "--area", "宇宙"])
        .assert()
        .failure();
}

#[test]
fn run_names_every_mistake_of_a_sut_toml_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let sut = dir.path().join("sut.toml");
    std::fs::write(
        &sut,
        "format = 1\n[sut]\nname = \"x\"\nversion = \"1\"\n[[roles]]\nrole = \"申請管理システム\"\ndantai = \"131017\"\n[jobs.reset]\nhttp = { method = \"POST\", url = \"http://127.0.0.1:{sut-port}/\" }\n[observe]\nbase_url = \"http://127.0.0.1:1\"\n",
    )
    .unwrap();
    let assert = renkei()
        .args(["run", "--sut"])
        .arg(&sut)
        .arg("--report-dir")
        .arg(dir.path())
        .assert()
        .code(3);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("roles[0].dantai"), "{stderr}");
    assert!(stderr.contains("{sut-port}"), "{stderr}");
    assert!(stderr.contains("「torikomi」がありません"), "{stderr}");
}

#[test]
fn a_system_that_does_not_answer_is_judged_neither_way() {
    // Nothing listens on the port the sut.toml names.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let sut = dir.path().join("sut.toml");
    std::fs::write(
        &sut,
        format!(
            "format = 1\n[sut]\nname = \"留守\"\nversion = \"1\"\n[[roles]]\nrole = \"申請管理システム\"\ndantai = \"131016\"\n[jobs.reset]\nhttp = {{ method = \"POST\", url = \"http://127.0.0.1:{port}/reset\" }}\ntimeout = \"2s\"\n[jobs.torikomi]\nhttp = {{ method = \"POST\", url = \"http://127.0.0.1:{port}/torikomi\" }}\n[jobs.shinsa]\nhttp = {{ method = \"POST\", url = \"http://127.0.0.1:{port}/shinsa\" }}\n[observe]\nbase_url = \"http://127.0.0.1:{port}/renkei/v1\"\n"
        ),
    )
    .unwrap();
    let assert = renkei()
        .args(["run", "--quiet", "--tags", "@ING-01 or @ING-02", "--sut"])
        .arg(&sut)
        .arg("--report-dir")
        .arg(dir.path())
        .assert()
        .code(2);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("判定不能 2"), "{stdout}");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run.json")).unwrap())
            .unwrap();
    let ing01 = run["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ING-01")
        .unwrap();
    assert_eq!(ing01["verdict"], "error");
    let message = run["scenarios"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|s| s["message"].as_str())
        .unwrap()
        .to_owned();
    assert!(
        message.contains("SUT応答なし") && message.contains("つながりません"),
        "{message}"
    );
}

/// The benchmarks stay runnable: each, on a small size, does the whole job and reports its
/// figures (the targets are the issues'; the sizes here only keep the commands from rotting).
#[test]
fn benchmarks_run_end_to_end_on_small_sizes() {
    let runs: [(&[&str], &[&str]); 3] = [
        (
            &["bench", "shoukai", "--queries", "200"],
            &["正常終了 200", "elapsed"],
        ),
        (
            &[
                "bench",
                "shoukai",
                "--via",
                "https",
                "--queries",
                "60",
                "--people",
                "12",
            ],
            &["提供された副本 60", "kept-alive", "state file", "elapsed"],
        ),
        (
            &["bench", "fukuhon", "--records", "2000"],
            &["2000 正常, 0 エラー", "peak RSS"],
        ),
    ];
    for (args, expected) in runs {
        let assert = renkei().args(args).assert().success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        for text in expected {
            assert!(
                stdout.contains(text),
                "{args:?}: {text:?} missing in\n{stdout}"
            );
        }
    }
}
