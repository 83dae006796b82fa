//! The report commands as a user runs them: `renkei demo` leaves every report in its folder,
//! `renkei report` re-renders a saved run (masked unless asked), `renkei report verify` tells an
//! edited file from an untouched one, `renkei compare` says what newly fails and what was fixed,
//! and a broken run.json is refused in Japanese, naming the file and the item.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use renkei_reports::{Run, Verdict, files, sample};

mod support;

fn renkei() -> Command {
    Command::new(env!("CARGO_BIN_EXE_renkei"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Saves `run` as `run.json` (pretty, as renkei writes it) in `dir`.
fn save(dir: &Path, run: &Run) -> PathBuf {
    let path = dir.join("run.json");
    std::fs::write(&path, serde_json::to_string_pretty(run).unwrap()).unwrap();
    path
}

fn report(args: &[&str]) -> Output {
    renkei().arg("report").args(args).output().unwrap()
}

#[test]
fn demo_writes_every_report_and_each_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let output = renkei()
        .args([
            "demo",
            "--quiet",
            "--tags",
            "@ING-01 or @ING-11",
            "--report-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("実行結果の SHA-256: sha256:"), "{out}");
    for name in [
        "run.json",
        "run.json.sha256",
        "report.html",
        "junit.xml",
        "summary.md",
    ] {
        assert!(dir.path().join(name).exists(), "no {name}:\n{out}");
    }
    let run = files::read_run(&dir.path().join("run.json")).unwrap();
    assert!(run.masked, "run.json is masked by default");
    // Masked, it still fits the published schema.
    support::validate_with_schema("run.schema.json", &serde_json::to_value(&run).unwrap());
    for name in ["run.json", "report.html", "junit.xml", "summary.md"] {
        let check = renkei()
            .args(["report", "verify"])
            .arg(dir.path().join(name))
            .args(["--run"])
            .arg(dir.path().join("run.json"))
            .output()
            .unwrap();
        assert_eq!(check.status.code(), Some(0), "{name}: {}", stdout(&check));
        assert!(
            stdout(&check).contains("変更されていません"),
            "{}",
            stdout(&check)
        );
    }
}

#[test]
fn report_re_renders_a_saved_run_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = sample::run();
    run.mask(&renkei_reports::mask::Masker::new());
    let path = save(dir.path(), &run);
    for (format, file, expect) in [
        ("html", "r.html", "<h1>適合性試験報告書</h1>"),
        ("junit", "r.xml", "<testsuites"),
        ("md", "r.md", "## renkei 適合性試験"),
        ("table", "r.txt", "要件 7: 適合 2、不適合 1、判定不能 1"),
    ] {
        let out = dir.path().join(file);
        let output = report(&[
            path.to_str().unwrap(),
            "--format",
            format,
            "--output",
            out.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{format}: {}", stderr(&output));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(expect), "{format}:\n{text}");
        if format == "html" || format == "junit" {
            assert!(text.contains("外字「𠮷」を含む氏名"), "{format}");
        }
    }
    // The format follows the file name when not given, and the table goes to standard output.
    let output = report(&[
        path.to_str().unwrap(),
        "--output",
        dir.path().join("auto.html").to_str().unwrap(),
    ]);
    assert!(output.status.success());
    assert!(
        std::fs::read_to_string(dir.path().join("auto.html"))
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    let output = report(&[path.to_str().unwrap()]);
    assert!(
        stdout(&output).contains("│ ING-07a │"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn an_unmasked_run_is_masked_when_rendered_unless_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), &sample::run());
    let masked = report(&[path.to_str().unwrap(), "--format", "html"]);
    let html = stdout(&masked);
    assert!(!html.contains("983205673214"), "a 個人番号 leaked");
    assert!(!html.contains("個人情報をマスクしていません"));
    let unmasked = report(&[path.to_str().unwrap(), "--format", "html", "--unmasked"]);
    let html = stdout(&unmasked);
    assert!(html.contains("983205673214"));
    assert!(
        html.contains("<p class=\"unmasked\""),
        "the warning is prominent"
    );
    assert!(html.contains("個人情報をマスクしていません"));

    // A masked run stays masked, whatever is asked.
    let mut run = sample::run();
    run.mask(&renkei_reports::mask::Masker::new());
    let path = save(dir.path(), &run);
    let output = report(&[path.to_str().unwrap(), "--format", "junit", "--unmasked"]);
    assert!(!stdout(&output).contains("983205673214"));
    assert!(stderr(&output).contains("マスクを外すことはできない"));
}

#[test]
fn verify_tells_an_edited_file_from_an_untouched_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = sample::run();
    run.mask(&renkei_reports::mask::Masker::new());
    let written = files::write_all(&run, dir.path()).unwrap();
    let verify = |file: &Path| {
        renkei()
            .args(["report", "verify"])
            .arg(file)
            .output()
            .unwrap()
    };

    // A report edited by one character.
    for file in [&written.html, &written.junit, &written.markdown] {
        assert_eq!(verify(file).status.code(), Some(0));
        let text = std::fs::read_to_string(file).unwrap();
        std::fs::write(file, text.replacen("不適合", "適合", 1)).unwrap();
        let output = verify(file);
        assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
        assert!(
            stdout(&output).contains("renkei が書いたあとで変更されています"),
            "{}",
            stdout(&output)
        );
    }

    // run.json: reformatting is no change; a verdict is.
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written.run_json).unwrap()).unwrap();
    std::fs::write(&written.run_json, serde_json::to_string(&value).unwrap()).unwrap();
    assert_eq!(verify(&written.run_json).status.code(), Some(0));
    let text = std::fs::read_to_string(&written.run_json).unwrap();
    std::fs::write(
        &written.run_json,
        text.replacen("\"verdict\":\"fail\"", "\"verdict\":\"pass\"", 1),
    )
    .unwrap();
    let output = verify(&written.run_json);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    // Without its seal nothing can be said.
    std::fs::remove_file(files::sidecar_path(&written.run_json)).unwrap();
    let output = verify(&written.run_json);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stdout(&output).contains("封印がありません"));
}

#[test]
fn verify_tells_which_run_a_report_was_made_from() {
    let dir = tempfile::tempdir().unwrap();
    let run = sample::run();
    let written = files::write_all(&run, dir.path()).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let mut other = run.clone();
    other.suts[0].version = "9.9".to_owned();
    let other = save(other_dir.path(), &other);
    let output = renkei()
        .args(["report", "verify"])
        .arg(&written.html)
        .arg("--run")
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("から作られた報告書ではありません"));
}

#[test]
fn a_broken_run_json_is_refused_naming_the_file_and_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), &sample::run());
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("\"status\": \"passed\"", "\"status\": \"ok\"", 1),
    )
    .unwrap();
    let output = report(&[path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains(path.to_str().unwrap()), "{err}");
    assert!(err.contains("項目 scenarios[0].status"), "{err}");
    assert!(err.contains("実行結果"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    std::fs::write(&path, "{\"format\": \"renkei-run/2\"}").unwrap();
    let err = stderr(&report(&[path.to_str().unwrap()]));
    assert!(
        err.contains("format が「renkei-run/2」です") && err.contains("renkei-run/1"),
        "{err}"
    );

    std::fs::write(&path, "{ not json").unwrap();
    let err = stderr(&report(&[path.to_str().unwrap()]));
    assert!(err.contains("JSON として読めません"), "{err}");

    let err = stderr(&report(&[dir.path().join("none.json").to_str().unwrap()]));
    assert!(err.contains("none.json: 読めません"), "{err}");
}

#[test]
fn compare_shows_vendors_by_requirements_and_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let before = sample::run();
    let mut after = before.clone();
    after.suts[0].version = "2.5.0".to_owned();
    after.started_at += time::Duration::days(1);
    after.finished_at += time::Duration::days(1);
    for r in &mut after.requirements {
        match r.id.as_str() {
            "ING-07a" => r.verdict = Verdict::Pass,
            "ING-01" => r.verdict = Verdict::Fail,
            _ => {}
        }
    }
    let mut other = before.clone();
    other.suts[0].name = "ひばり住基連携".to_owned();
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    std::fs::create_dir_all(dir.path().join("b")).unwrap();
    std::fs::create_dir_all(dir.path().join("c")).unwrap();
    let a = save(&dir.path().join("a"), &after);
    let b = save(&dir.path().join("b"), &before);
    let c = save(&dir.path().join("c"), &other);
    let output = renkei().arg("compare").args([&a, &b, &c]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let md = stdout(&output);
    assert!(
        md.contains(
            "| 要件 | さくら申請管理 2.5.0 | さくら申請管理 2.4.0 | ひばり住基連携 2.4.0 |"
        ),
        "{md}"
    );
    assert!(
        md.contains("### さくら申請管理: さくら申請管理 2.4.0 → さくら申請管理 2.5.0"),
        "{md}"
    );
    let newly = &md[md.find("新たに不適合・判定不能").unwrap()..];
    let fixed = &newly[newly.find("直ったもの").unwrap()..];
    assert!(
        newly[..newly.find("直ったもの").unwrap()].contains("**ING-01**"),
        "{md}"
    );
    assert!(fixed.contains("**ING-07a**"), "{md}");

    let html = dir.path().join("比較.html");
    let output = renkei()
        .arg("compare")
        .args([&a, &b])
        .arg("--output")
        .arg(&html)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    let check = renkei()
        .args(["report", "verify"])
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));

    let output = renkei().arg("compare").arg(&a).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("2つ以上"), "{}", stderr(&output));
}

#[test]
fn demo_unmasked_must_be_asked_for_and_every_report_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = renkei()
        .args([
            "demo",
            "--quiet",
            "--unmasked",
            "--tags",
            "@ING-11",
            "--report-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("⚠ 個人情報をマスクしていません"));
    let run = files::read_run(&dir.path().join("run.json")).unwrap();
    assert!(!run.masked);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains(
        "<p class=\"unmasked\" id=\"unmasked\" role=\"alert\">⚠ 個人情報をマスクしていません"
    ));
    for name in ["junit.xml", "summary.md"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(text.contains("個人情報をマスクしていません"), "{name}");
    }
}
