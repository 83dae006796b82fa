//! The HTML report as a person sees it: opened in headless Chromium, the rendered DOM holds the
//! summary, the grade and a failure's evidence; printed to PDF it is A4 with the evidence open;
//! and a screenshot is left under `target/tmp/` for a person to look at.
//!
//! Chromium (Debian `chromium`) is installed by `.ci/run`. Without it the test skips with the
//! reason, except on CI (`CI` set), where a missing browser is a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use renkei_reports::mask::Masker;
use renkei_reports::{html, sample};

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// The browser, or `None` (with the reason printed) when the test may skip.
fn chromium() -> Option<PathBuf> {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return Some(PathBuf::from(candidate));
        }
    }
    let reason = "chromium がありません (apt-get install -y --no-install-recommends chromium)";
    assert!(!on_ci(), "{reason}");
    eprintln!("skipped: {reason}");
    None
}

/// Runs headless Chromium on `page` with `extra` arguments, in a fresh profile, offline.
fn run_chromium(browser: &Path, page: &Path, extra: &[String]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // A browser that hangs must fail the test, not the CI job.
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

fn report_page(dir: &Path) -> PathBuf {
    let mut run = sample::run();
    run.mask(&Masker::new());
    let page = dir.join("report.html");
    std::fs::write(&page, html::render(&run)).unwrap();
    page
}

/// The text inside the first element that has `marker` in its start tag.
fn element_text<'a>(dom: &'a str, marker: &str) -> &'a str {
    let start = dom
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the DOM"));
    let rest = &dom[start..];
    let end = rest.find("</p>").or_else(|| rest.find("</tr>")).unwrap();
    &rest[..end]
}

#[test]
fn the_rendered_page_shows_the_summary_the_grade_and_the_evidence() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = report_page(dir.path());
    let output = run_chromium(&browser, &page, &["--dump-dom".to_owned()]);
    let dom = String::from_utf8(output.stdout).unwrap();
    assert!(
        dom.contains("<h1>適合性試験報告書</h1>"),
        "no DOM from chromium; stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The summary.
    assert!(dom.contains("さくら申請管理"));
    assert!(dom.contains("2026年4月6日 09:00:00 (+09:00)"));
    assert!(dom.contains("3分25秒"));
    // The overall grade and the per-area grade, with how they are computed.
    let overall = element_text(&dom, "class=\"overall\"");
    assert!(
        overall.contains("grade-B") && overall.contains("50.0 %"),
        "{overall}"
    );
    let area = element_text(&dom, "<tr class=\"area\"><th>申請取込</th>");
    assert!(area.contains("66.6 %") && area.contains(">B<"), "{area}");
    assert!(dom.contains("得点 = 適合 ÷ (適合 + 不適合 + 判定不能)"));
    // A failure with its evidence, masked, and 𠮷 intact.
    let failure = &dom[dom.find("id=\"scenario-2\"").expect("the failure")..];
    let failure = &failure[..failure.find("</article>").unwrap()];
    assert!(failure.contains("ING-07a"), "{failure}");
    assert!(failure.contains("「検証済み」でした"), "{failure}");
    assert!(
        failure.contains("住民票コード ＊＊＊＊＊＊＊＊＊＊＊ の申請者"),
        "{failure}"
    );
    assert!(!dom.contains("983205673214"), "a 個人番号 leaked");
    assert!(dom.contains("外字「𠮷」を含む氏名"));
    // On screen the evidence is folded away: the print script only listens.
    assert!(!dom.contains("<details class=\"evidence\" open"));
    assert!(dom.contains("<details class=\"evidence\">"));
}

#[test]
fn it_prints_on_a4_with_the_evidence_open_and_leaves_a_screenshot() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = report_page(dir.path());

    // A screenshot for people, kept under target/tmp/.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports");
    std::fs::create_dir_all(&shots).unwrap();
    let screenshot = shots.join("report.png");
    let _ = std::fs::remove_file(&screenshot);
    let output = run_chromium(
        &browser,
        &page,
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1240,1754".to_owned(),
            "--hide-scrollbars".to_owned(),
        ],
    );
    let png = std::fs::read(&screenshot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    eprintln!("screenshot of the HTML report: {}", screenshot.display());

    // Printed: A4 pages, and the evidence inside <details> is on paper.
    let pdf = shots.join("report.pdf");
    let _ = std::fs::remove_file(&pdf);
    run_chromium(
        &browser,
        &page,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_owned(),
        ],
    );
    assert!(pdf.exists(), "no PDF");
    eprintln!("the HTML report printed: {}", pdf.display());
    let Ok(info) = Command::new("pdfinfo").arg(&pdf).output() else {
        assert!(
            !on_ci(),
            "pdfinfo がありません (apt-get install poppler-utils)"
        );
        eprintln!("pdfinfo がないので印刷の中身は確かめません");
        return;
    };
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("(A4)"), "not A4:\n{info}");
    let text = Command::new("pdftotext")
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    // Evidence that is folded away on screen is printed.
    assert!(
        text.contains("ぴったりサービス: 申請データの取得"),
        "{text}"
    );
    assert!(text.contains("connection refused"), "{text}");
    assert!(text.contains("48,213"), "{text}");
}
