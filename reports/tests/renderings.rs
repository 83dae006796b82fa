//! Every rendering of one fixed run, as a person sees it (insta snapshots under `snapshots/`).
//! The run is `renkei_reports::sample::run()`: a failure with evidence, an error, a
//! not-applicable, a requirement renkei does not judge, Japanese text and 𠮷 — masked first, as
//! `renkei run` saves it.

use renkei_reports::mask::Masker;
use renkei_reports::{Run, ScenarioStatus, Verdict, compare, html, junit, markdown, sample, table};

fn masked_sample() -> Run {
    let mut run = sample::run();
    run.mask(&Masker::new());
    run
}

#[test]
fn junit_xml() {
    insta::assert_snapshot!(junit::render(&masked_sample()));
}

#[test]
fn html_report() {
    insta::assert_snapshot!(html::render(&masked_sample()));
}

#[test]
fn markdown_summary() {
    insta::assert_snapshot!(markdown::render(&masked_sample()));
}

#[test]
fn terminal_table() {
    insta::assert_snapshot!(table::render_sealed(&masked_sample()));
}

/// The same system a release later: ING-07a fixed, JUK-01 still silent, ING-11 broken.
fn next_release() -> Run {
    let mut run = masked_sample();
    run.suts[0].version = "2.5.0".to_owned();
    run.started_at += time::Duration::days(7);
    run.finished_at += time::Duration::days(7);
    for r in &mut run.requirements {
        match r.id.as_str() {
            "ING-07a" => r.verdict = Verdict::Pass,
            "ING-11" => r.verdict = Verdict::Fail,
            _ => {}
        }
    }
    for s in &mut run.scenarios {
        match s.number {
            2 => s.status = ScenarioStatus::Passed,
            3 => s.status = ScenarioStatus::Failed,
            _ => {}
        }
    }
    run.summary = sample::summary_of(&run);
    run
}

/// Another vendor, judged on the same catalog.
fn other_vendor() -> Run {
    let mut run = masked_sample();
    run.suts[0].name = "ひばり住基連携".to_owned();
    run.suts[0].version = "1.0".to_owned();
    run.suts[0].vendor = Some("ひばり情報".to_owned());
    for r in &mut run.requirements {
        if r.id == "JUK-01" {
            r.verdict = Verdict::Pass;
        }
    }
    run.summary = sample::summary_of(&run);
    run
}

#[test]
fn comparison_markdown() {
    insta::assert_snapshot!(compare::render_markdown(&[
        masked_sample(),
        other_vendor(),
        next_release()
    ]));
}

#[test]
fn comparison_html() {
    insta::assert_snapshot!(compare::render_html(&[
        masked_sample(),
        other_vendor(),
        next_release()
    ]));
}

#[test]
fn what_newly_fails_and_what_was_fixed() {
    let runs = [next_release(), masked_sample(), other_vendor()];
    let comparison = compare::Comparison::new(&runs);
    let pairs = comparison.pairs();
    assert_eq!(pairs.len(), 1, "only さくら申請管理 ran twice");
    let pair = &pairs[0];
    // Ordered by start time, whatever the order on the command line.
    assert_eq!((pair.before, pair.after), (1, 0));
    let ids = |changes: &[compare::Change]| -> Vec<String> {
        changes.iter().map(|c| c.id.clone()).collect()
    };
    assert_eq!(ids(&pair.newly_failing), ["ING-11"]);
    assert_eq!(ids(&pair.fixed), ["ING-07a"]);
    assert!(pair.other.is_empty());
}

#[test]
fn an_unmasked_run_says_so_in_every_rendering() {
    let run = sample::run();
    assert!(!run.masked);
    for (name, text) in [
        ("html", html::render(&run)),
        ("junit", junit::render(&run)),
        ("markdown", markdown::render(&run)),
        ("table", table::render(&run)),
    ] {
        assert!(
            text.contains(renkei_reports::UNMASKED_WARNING),
            "{name} does not say it is unmasked"
        );
        if name == "html" || name == "junit" {
            assert!(text.contains("983205673214"), "{name} should show the data");
        }
    }
    for (name, text) in [
        ("html", html::render(&masked_sample())),
        ("junit", junit::render(&masked_sample())),
        ("markdown", markdown::render(&masked_sample())),
    ] {
        assert!(
            !text.contains(renkei_reports::UNMASKED_WARNING),
            "{name} warns although masked"
        );
        assert!(!text.contains("983205673214"), "{name} leaks a 個人番号");
        assert!(!text.contains("99000000017"), "{name} leaks a 住民票コード");
        assert!(!text.contains("1989-01-07"), "{name} leaks a 生年月日");
    }
}

#[test]
fn the_markdown_summary_stays_short() {
    let mut run = masked_sample();
    let failing = run.scenarios[1].clone();
    for i in 0..200 {
        let mut s = failing.clone();
        s.number = 100 + i;
        s.requirements = vec![format!("ING-{:02}", i % 100)];
        s.steps[2].message = Some("長い理由。".repeat(200));
        run.scenarios.push(s);
    }
    let text = markdown::render(&run);
    assert!(
        text.chars().count() < markdown::MAX_CHARS + 1_000,
        "{}",
        text.chars().count()
    );
    assert!(
        text.contains("ほか 172 件は report.html を見てください"),
        "{text}"
    );
}

#[test]
fn every_rendering_is_sealed_and_checks() {
    let run = masked_sample();
    for text in [
        html::render(&run),
        junit::render(&run),
        markdown::render(&run),
        table::render_sealed(&run),
    ] {
        match renkei_reports::seal::check_rendering(text.as_bytes()) {
            renkei_reports::seal::RenderingCheck::Unchanged { run: digest } => {
                assert_eq!(digest, renkei_reports::seal::run_digest(&run));
            }
            other => panic!("{other:?}\n{text}"),
        }
    }
}

#[test]
fn a_requirement_renkei_does_not_judge_shows_its_reason_beside_not_run_only() {
    let mut run = masked_sample();
    let reason = run
        .requirement("SKI-06")
        .unwrap()
        .not_judged
        .clone()
        .unwrap();
    let html_text = html::render(&run);
    assert!(
        html_text.contains(&format!(
            "<p class=\"not-judged\">判定しない理由: {}</p>",
            reason.replace('<', "&lt;")
        )),
        "{html_text}"
    );
    assert!(
        html_text.contains("未実行</span> <span class=\"not-judged-mark\">(判定しない)</span>")
    );
    assert!(
        markdown::render(&run)
            .contains("**SKI-06** それ以外は1時間の照会を1万件以内にする — 判定しない理由: ")
    );
    assert!(table::render(&run).contains(&format!("未実行 (判定しない) SKI-06 — それ以外は1時間の照会を1万件以内にする\n  判定しない理由: {reason}\n")));
    // 対象外 says enough by itself: no system plays the role.
    let ski06 = run
        .requirements
        .iter_mut()
        .find(|r| r.id == "SKI-06")
        .unwrap();
    ski06.verdict = Verdict::NotApplicable;
    for text in [
        html::render(&run),
        markdown::render(&run),
        table::render(&run),
    ] {
        assert!(
            !text.contains("判定しない理由") && !text.contains("(判定しない)"),
            "{text}"
        );
    }
}

#[test]
fn not_judged_is_left_out_of_run_json_when_absent_so_older_files_still_read() {
    let mut run = masked_sample();
    let json = serde_json::to_string(&run).unwrap();
    assert_eq!(json.matches("\"not_judged\"").count(), 1, "{json}");
    assert_eq!(renkei_reports::files::parse_run(&json).unwrap(), run);
    // A run.json written before the field existed.
    for r in &mut run.requirements {
        r.not_judged = None;
    }
    let older = serde_json::to_string(&run).unwrap();
    assert!(!older.contains("not_judged"), "{older}");
    assert!(older.contains(&format!("\"format\":\"{}\"", renkei_reports::RUN_FORMAT)));
    assert_eq!(renkei_reports::files::parse_run(&older).unwrap(), run);
}
