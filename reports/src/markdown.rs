//! A Markdown summary short enough for a pull-request comment (docs/reports.md「Markdown」): the
//! counts, the grade per area, the requirements that failed or could not be judged, one line
//! each, and the 未実行 requirements renkei does not judge, each with its reason. The evidence
//! stays in the HTML report.
//!
//! Its length is capped: at most [`MAX_LINES`] failure lines, each cut to [`MAX_LINE_CHARS`]
//! characters, and the whole under [`MAX_CHARS`] — GitHub refuses comments over 65,536
//! characters, and a long comment is not read anyway.

use crate::failure::findings;
use crate::grade;
use crate::markup::{cut, first_line, markdown as md};
use crate::seal::{self, SealSyntax};
use crate::{Run, UNMASKED_WARNING};

/// The most failing requirements listed; the rest are counted.
pub const MAX_LINES: usize = 30;
/// The most characters of one failure's message.
pub const MAX_LINE_CHARS: usize = 160;
/// The most characters of the whole summary before its seal.
pub const MAX_CHARS: usize = 20_000;

/// The Markdown summary of a run, sealed.
pub fn render(run: &Run) -> String {
    let digest = seal::run_digest(run);
    let mut out = String::new();
    out.push_str(&format!(
        "## renkei 適合性試験: {}\n\n",
        md(&run.systems_label())
    ));
    if !run.masked {
        out.push_str(&format!("> **⚠ {UNMASKED_WARNING}**\n\n"));
    }
    let s = &run.summary;
    let overall = grade::overall(run);
    out.push_str(&format!(
        "**評価 {}** (得点 {}) — 要件 {}: 適合 {}、不適合 {}、判定不能 {}、対象外 {}、未実行 {} / シナリオ 成功 {}、失敗 {}、判定不能 {}\n\n",
        overall.grade_text(),
        overall.percent_text(),
        run.requirements.len(),
        s.requirements_pass,
        s.requirements_fail,
        s.requirements_error,
        s.requirements_not_applicable,
        s.requirements_not_run,
        s.scenarios_passed,
        s.scenarios_failed,
        s.scenarios_error
    ));
    out.push_str("| 領域 | 適合 | 不適合 | 判定不能 | 得点 | 評価 |\n|---|--:|--:|--:|--:|:-:|\n");
    for score in grade::by_area(run).iter().chain(std::iter::once(&overall)) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            md(&score.area),
            score.pass,
            score.fail,
            score.error,
            score.percent_text(),
            score.grade_text()
        ));
    }
    out.push('\n');

    let found = findings(run);
    if found.is_empty() {
        out.push_str("不適合と判定不能はありません。\n");
    } else {
        out.push_str(&format!("### 不適合・判定不能 ({} 件)\n\n", found.len()));
        let mut shown = 0;
        for finding in &found {
            let titles: Vec<String> = finding
                .scenario
                .requirements
                .iter()
                .map(
                    |id| match finding.requirements.iter().find(|r| &r.id == id) {
                        Some(r) => format!("**{}** {}", md(&r.id), md(&r.title)),
                        None => format!("**{}**", md(id)),
                    },
                )
                .collect();
            let line = format!(
                "- {} — {}: {}\n",
                finding.label(),
                titles.join("、"),
                md(&cut(first_line(finding.message()), MAX_LINE_CHARS))
            );
            if shown == MAX_LINES || out.chars().count() + line.chars().count() > MAX_CHARS {
                break;
            }
            out.push_str(&line);
            shown += 1;
        }
        if shown < found.len() {
            out.push_str(&format!(
                "- ほか {} 件は report.html を見てください\n",
                found.len() - shown
            ));
        }
    }
    // Said here so that 未実行 in the counts above is not read as something left to do.
    let not_judged: Vec<String> = run
        .requirements
        .iter()
        .filter_map(|r| {
            let reason = r.not_judged_reason()?;
            Some(format!(
                "- **{}** {} — 判定しない理由: {}\n",
                md(&r.id),
                md(&r.title),
                md(reason)
            ))
        })
        .collect();
    if !not_judged.is_empty() {
        let heading = format!(
            "\n### 未実行のうち判定しない要件 ({} 件)\n\n",
            not_judged.len()
        );
        let length: usize = not_judged.iter().map(|l| l.chars().count()).sum();
        if out.chars().count() + heading.chars().count() + length <= MAX_CHARS {
            out.push_str(&heading);
            not_judged.iter().for_each(|line| out.push_str(line));
        }
    }
    out.push_str(&format!(
        "\n<sub>{} renkei {} · 実行結果の SHA-256 <code>{}</code> (<code>renkei report verify</code> で確かめられます)</sub>\n",
        md(&grade::explanation()),
        md(&run.renkei_version),
        digest.short()
    ));
    seal::seal(out, digest, SealSyntax::Comment)
}
