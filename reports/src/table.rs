//! The terminal table `renkei run`, `renkei demo` and `renkei report --format table` print: every
//! requirement that was judged, the grade per area, each failure in a few lines, each 未実行
//! requirement renkei does not judge with its reason, the counts.

use tabled::Tabled;
use tabled::settings::Style;

use crate::failure::findings;
use crate::grade;
use crate::markup::first_line;
use crate::seal::{self, SealSyntax};
use crate::{Run, UNMASKED_WARNING};

/// The table as `renkei run` prints it after a run.
pub fn render(run: &Run) -> String {
    #[derive(Tabled)]
    struct RequirementRow<'a> {
        #[tabled(rename = "ID")]
        id: &'a str,
        #[tabled(rename = "領域")]
        area: &'a str,
        #[tabled(rename = "名称")]
        title: &'a str,
        #[tabled(rename = "判定")]
        verdict: &'static str,
    }
    #[derive(Tabled)]
    struct AreaRow {
        #[tabled(rename = "領域")]
        area: String,
        #[tabled(rename = "適合")]
        pass: usize,
        #[tabled(rename = "不適合")]
        fail: usize,
        #[tabled(rename = "判定不能")]
        error: usize,
        #[tabled(rename = "得点")]
        score: String,
        #[tabled(rename = "評価")]
        grade: &'static str,
    }

    let mut out = String::new();
    if !run.masked {
        out.push_str(&format!("⚠ {UNMASKED_WARNING}\n"));
    }
    let rows: Vec<RequirementRow<'_>> = run
        .requirements
        .iter()
        .filter(|r| r.verdict.is_judged())
        .map(|r| RequirementRow {
            id: &r.id,
            area: &r.area,
            title: &r.title,
            verdict: r.verdict.label(),
        })
        .collect();
    if !rows.is_empty() {
        out.push_str(&tabled::Table::new(rows).with(Style::modern()).to_string());
        out.push('\n');
        let overall = grade::overall(run);
        let areas: Vec<AreaRow> = grade::by_area(run)
            .iter()
            .chain(std::iter::once(&overall))
            .filter(|s| s.judged() > 0)
            .map(|s| AreaRow {
                area: s.area.clone(),
                pass: s.pass,
                fail: s.fail,
                error: s.error,
                score: s.percent_text(),
                grade: s.grade_text(),
            })
            .collect();
        out.push_str(&tabled::Table::new(areas).with(Style::modern()).to_string());
        out.push('\n');
    }
    for finding in findings(run) {
        out.push_str(&format!(
            "{} {} — {} ({})\n",
            finding.label(),
            finding.ids(),
            finding.scenario.name,
            finding.location()
        ));
        if let Some(step) = finding.step {
            out.push_str(&format!("  {} {}\n", step.keyword, step.text));
        }
        out.push_str(&format!("  {}\n", first_line(finding.message())));
    }
    for r in &run.requirements {
        if let Some(reason) = r.not_judged_reason() {
            out.push_str(&format!(
                "{} (判定しない) {} — {}\n  判定しない理由: {reason}\n",
                r.verdict.label(),
                r.id,
                r.title
            ));
        }
    }
    let s = &run.summary;
    out.push_str(&format!(
        "要件 {}: 適合 {}、不適合 {}、判定不能 {}、対象外 {}、未実行 {} / シナリオ 成功 {}、失敗 {}、判定不能 {}\n",
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
    out.push_str(&format!("{}\n", grade::explanation()));
    if !run.masked {
        out.push_str(&format!("⚠ {UNMASKED_WARNING}\n"));
    }
    out
}

/// The table saved to a file (`renkei report --format table --output …`), with its seal.
pub fn render_sealed(run: &Run) -> String {
    seal::seal(render(run), seal::run_digest(run), SealSyntax::Plain)
}
