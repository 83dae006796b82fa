//! The HTML report for people (docs/reports.md「HTML」): one self-contained file, in Japanese,
//! that a municipality or an evaluator can open, read and print on A4.
//!
//! Top to bottom: the summary (system, versions, times, counts), the score and grade per area
//! with how they are computed, every requirement with its verdict and source (and, for one
//! renkei does not judge, why), every failure with the step, the message and the recorded
//! evidence (in `<details>`, opened when printing), and the list of scenarios. No script is
//! needed to read it; the one small script only opens the evidence for browsers whose print
//! stylesheet cannot. The seal is in a `<meta>` and the last line.

use crate::failure::{Finding, findings};
use crate::grade::{self, Score};
use crate::markup::{clock, duration, evidence_kind, html as h};
use crate::seal::{self, SealSyntax};
use crate::{Evidence, Run, ScenarioStatus, StepResult, UNMASKED_WARNING, Verdict};

/// The HTML report of a run, sealed.
pub fn render(run: &Run) -> String {
    let digest = seal::run_digest(run);
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("適合性試験報告書 — {}", run.systems_label());
    out.push_str("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<meta name=\"generator\" content=\"renkei {}\">\n",
        h(&run.renkei_version)
    ));
    out.push_str(&format!(
        "<meta name=\"renkei-run-sha256\" content=\"{digest}\">\n"
    ));
    out.push_str(&format!(
        "<meta name=\"renkei-masked\" content=\"{}\">\n",
        run.masked
    ));
    out.push_str(&format!("<title>{}</title>\n", h(&title)));
    out.push_str("<style>\n");
    out.push_str(STYLE);
    out.push_str("</style>\n");
    out.push_str(PRINT_SCRIPT);
    out.push_str("</head>\n<body>\n");

    header(&mut out, run);
    out.push_str("<main>\n");
    summary(&mut out, run);
    grades(&mut out, run);
    requirements(&mut out, run);
    failures(&mut out, run);
    scenarios(&mut out, run);
    out.push_str("</main>\n");
    out.push_str(&format!(
        "<footer>\n<p>renkei {} が実行結果 (run model) から作成しました。封印 (実行結果の SHA-256): <code class=\"digest\">{digest}</code></p>\n<p>この報告書が作成後に変更されていないことは <code>renkei report verify report.html</code> で確かめられます (docs/reports.md「封印」)。</p>\n</footer>\n",
        h(&run.renkei_version)
    ));
    out.push_str("</body>\n</html>\n");
    seal::seal(out, digest, SealSyntax::Comment)
}

fn header(out: &mut String, run: &Run) {
    out.push_str("<header>\n<h1>適合性試験報告書</h1>\n");
    out.push_str(&format!(
        "<p class=\"subtitle\">{}</p>\n",
        h(&run.systems_label())
    ));
    if !run.masked {
        out.push_str(&format!(
            "<p class=\"unmasked\" id=\"unmasked\" role=\"alert\">⚠ {UNMASKED_WARNING}。この報告書の証跡には個人番号・住民票コード・氏名・住所・生年月日がそのまま入っています。渡す相手と保管に注意してください。</p>\n"
        ));
    }
    out.push_str("</header>\n");
}

fn summary(out: &mut String, run: &Run) {
    out.push_str("<section id=\"summary\">\n<h2>概要</h2>\n<dl class=\"facts\">\n");
    let mut fact = |term: &str, value: String| {
        out.push_str(&format!("<dt>{}</dt><dd>{value}</dd>\n", h(term)));
    };
    for sut in &run.suts {
        let mut value = format!(
            "<span class=\"sut-name\">{}</span> 版 {}",
            h(&sut.name),
            h(&sut.version)
        );
        if let Some(vendor) = &sut.vendor {
            value.push_str(&format!(" ({})", h(vendor)));
        }
        let roles: Vec<String> = sut
            .roles
            .iter()
            .map(|r| format!("{} (団体 {})", h(&r.role), h(&r.dantai)))
            .collect();
        if !roles.is_empty() {
            value.push_str(&format!(
                "<br><span class=\"roles\">{}</span>",
                roles.join("、")
            ));
        }
        fact("試験対象システム", value);
    }
    fact("renkei の版", h(&run.renkei_version));
    fact("開始", h(&clock(run.started_at)));
    fact("終了", h(&clock(run.finished_at)));
    fact("所要時間", h(&duration(run.finished_at - run.started_at)));
    fact(
        "シナリオの選択",
        match &run.tags {
            Some(tags) => format!("タグ <code>{}</code> に合うもの", h(tags)),
            None => "すべて".to_owned(),
        },
    );
    fact(
        "個人情報",
        if run.masked {
            "マスク済み (docs/reports.md「個人情報のマスク」)".to_owned()
        } else {
            format!("<strong class=\"verdict-fail\">{UNMASKED_WARNING}</strong>")
        },
    );
    out.push_str("</dl>\n");

    let overall = grade::overall(run);
    out.push_str(&format!(
        "<p class=\"overall\">全体の評価 {} 得点 <span class=\"score\">{}</span> (判定した要件 {} のうち適合 {})</p>\n",
        grade_badge(&overall),
        overall.percent_text(),
        overall.judged(),
        overall.pass
    ));

    let s = &run.summary;
    out.push_str("<table class=\"counts\" id=\"requirement-counts\">\n<thead><tr><th>要件</th><th>適合</th><th>不適合</th><th>判定不能</th><th>対象外</th><th>未実行</th><th>計</th></tr></thead>\n<tbody>\n");
    out.push_str(&format!(
        "<tr><th>数</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        s.requirements_pass,
        s.requirements_fail,
        s.requirements_error,
        s.requirements_not_applicable,
        s.requirements_not_run,
        run.requirements.len()
    ));
    out.push_str("</tbody>\n</table>\n");
    let not_applicable = run
        .scenarios
        .iter()
        .filter(|sc| sc.status == ScenarioStatus::NotApplicable)
        .count();
    out.push_str("<table class=\"counts\" id=\"scenario-counts\">\n<thead><tr><th>シナリオ</th><th>成功</th><th>失敗</th><th>判定不能</th><th>対象外</th><th>計</th></tr></thead>\n<tbody>\n");
    out.push_str(&format!(
        "<tr><th>数</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        s.scenarios_passed,
        s.scenarios_failed,
        s.scenarios_error,
        not_applicable,
        run.scenarios.len()
    ));
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn grade_badge(score: &Score) -> String {
    match score.grade() {
        Some(g) => format!(
            "<span class=\"grade grade-{0}\" title=\"{1}\">{0}</span>",
            g.letter(),
            g.meaning()
        ),
        None => "<span class=\"grade grade-none\" title=\"判定した要件がありません\">—</span>"
            .to_owned(),
    }
}

fn grades(out: &mut String, run: &Run) {
    out.push_str("<section id=\"grades\">\n<h2>領域ごとの評価</h2>\n<table class=\"grades\">\n<thead><tr><th>領域</th><th>適合</th><th>不適合</th><th>判定不能</th><th>対象外</th><th>未実行</th><th>得点</th><th>評価</th></tr></thead>\n<tbody>\n");
    let row = |score: &Score, class: &str| {
        format!(
            "<tr class=\"{class}\"><th>{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num score\">{}</td><td class=\"grade-cell\">{}</td></tr>\n",
            h(&score.area),
            score.pass,
            score.fail,
            score.error,
            score.not_applicable,
            score.not_run,
            score.percent_text(),
            grade_badge(score)
        )
    };
    for score in grade::by_area(run) {
        out.push_str(&row(&score, "area"));
    }
    out.push_str(&row(&grade::overall(run), "total"));
    out.push_str("</tbody>\n</table>\n");
    let scale: Vec<String> = grade::THRESHOLDS
        .iter()
        .map(|(g, p)| format!("{} ({}) {p} % 以上", g.letter(), g.meaning()))
        .collect();
    out.push_str(&format!(
        "<p class=\"method\" id=\"method\">得点の計算: 得点 = 適合 ÷ (適合 + 不適合 + 判定不能)。領域の要件のうち判定したものだけを数え、対象外 (その役割を担うシステムがない) と未実行 (シナリオを選ばなかった、または renkei が判定しない要件) は数えません。判定不能はシステムが答えなかったもので、適合を示せていないので分母に入ります。評価は {}、それ未満は D (劣っている) です (seed 003 の評価基準の段階)。得点は小数第1位未満を切り捨てて表示します。</p>\n",
        scale.join("、")
    ));
    out.push_str("</section>\n");
}

fn verdict_cell(verdict: Verdict) -> String {
    let class = match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Error => "error",
        Verdict::NotApplicable => "not_applicable",
        Verdict::NotRun => "not_run",
    };
    format!(
        "<span class=\"verdict verdict-{class}\">{}</span>",
        verdict.label()
    )
}

fn requirements(out: &mut String, run: &Run) {
    out.push_str("<section id=\"requirements\">\n<h2>要件ごとの判定</h2>\n<table class=\"requirements\">\n<thead><tr><th>ID</th><th>領域</th><th>名称</th><th>出典</th><th>判定</th></tr></thead>\n<tbody>\n");
    for r in &run.requirements {
        // A requirement that did not pass links to the scenario that decided it.
        let decided_by = r.scenarios.iter().find(|n| {
            run.scenario(**n)
                .is_some_and(|s| matches!(s.status, ScenarioStatus::Failed | ScenarioStatus::Error))
        });
        let verdict = match (r.verdict, decided_by) {
            (Verdict::Fail | Verdict::Error, Some(n)) => {
                format!("<a href=\"#scenario-{n}\">{}</a>", verdict_cell(r.verdict))
            }
            _ => verdict_cell(r.verdict),
        };
        // A requirement renkei does not judge says so, and why, under its name.
        let (title, verdict) = match r.not_judged_reason() {
            Some(reason) => (
                format!(
                    "{}<p class=\"not-judged\">判定しない理由: {}</p>",
                    h(&r.title),
                    h(reason)
                ),
                format!("{verdict} <span class=\"not-judged-mark\">(判定しない)</span>"),
            ),
            None => (h(&r.title), verdict),
        };
        out.push_str(&format!(
            "<tr id=\"req-{}\"><td class=\"id\">{}</td><td>{}</td><td>{title}</td><td class=\"source\">{}</td><td>{verdict}</td></tr>\n",
            h(&r.id),
            h(&r.id),
            h(&r.area),
            h(&r.source)
        ));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn failures(out: &mut String, run: &Run) {
    let found = findings(run);
    out.push_str(&format!(
        "<section id=\"failures\">\n<h2>不適合と判定不能 ({} 件)</h2>\n",
        found.len()
    ));
    if found.is_empty() {
        out.push_str("<p>ありません。</p>\n");
    }
    for finding in &found {
        failure(out, finding);
    }
    out.push_str("</section>\n");
}

fn failure(out: &mut String, finding: &Finding<'_>) {
    let scenario = finding.scenario;
    let class = if scenario.status == ScenarioStatus::Failed {
        "fail"
    } else {
        "error"
    };
    let heading: Vec<String> = finding
        .scenario
        .requirements
        .iter()
        .map(
            |id| match finding.requirements.iter().find(|r| &r.id == id) {
                Some(r) => format!("{} {}", h(&r.id), h(&r.title)),
                None => h(id),
            },
        )
        .collect();
    out.push_str(&format!(
        "<article class=\"finding {class}\" id=\"scenario-{}\">\n<h3><span class=\"verdict verdict-{class}\">{}</span> {}</h3>\n<dl>\n",
        scenario.number,
        finding.label(),
        heading.join("、")
    ));
    for r in &finding.requirements {
        out.push_str(&format!(
            "<dt>規則</dt><dd>{} {} <span class=\"source\">出典: {}</span></dd>\n",
            h(&r.id),
            h(&r.title),
            h(&r.source)
        ));
    }
    out.push_str(&format!(
        "<dt>シナリオ</dt><dd>{} <span class=\"where\">{}</span></dd>\n",
        h(&scenario.name),
        h(&finding.location())
    ));
    if let Some(step) = finding.step {
        out.push_str(&format!(
            "<dt>手順</dt><dd><span class=\"keyword\">{}</span> {} <span class=\"where\">{}行目</span></dd>\n",
            h(&step.keyword),
            h(&step.text),
            step.line
        ));
    }
    out.push_str("</dl>\n");
    out.push_str(&format!(
        "<pre class=\"message\">{}</pre>\n",
        h(finding.message())
    ));
    if let Some(step) = finding.step {
        if step.evidence.is_empty() {
            out.push_str("<p class=\"no-evidence\">この手順の証跡はありません。</p>\n");
        } else {
            out.push_str("<h4>証跡</h4>\n");
            for evidence in &step.evidence {
                evidence_details(out, evidence);
            }
        }
    }
    // The other steps, for a reader who wants the whole story (the scenario file, the jobs).
    let others: Vec<&StepResult> = scenario
        .steps
        .iter()
        .filter(|s| finding.step.is_none_or(|d| !std::ptr::eq(*s, d)))
        .collect();
    if !others.is_empty() {
        out.push_str("<details class=\"steps\"><summary>シナリオのすべての手順</summary>\n<ol>\n");
        for step in &scenario.steps {
            out.push_str(&format!(
                "<li class=\"step step-{}\"><span class=\"keyword\">{}</span> {} <span class=\"where\">{}行目 — {}</span>",
                step_class(step),
                h(&step.keyword),
                h(&step.text),
                step.line,
                step.status.label()
            ));
            if finding.step.is_some_and(|d| std::ptr::eq(step, d)) {
                // Shown above; printed twice it would only cost paper.
                out.push_str(" <span class=\"where\">(上に示した手順)</span></li>\n");
                continue;
            }
            if let Some(message) = &step.message {
                out.push_str(&format!("<pre class=\"message\">{}</pre>", h(message)));
            }
            for evidence in &step.evidence {
                evidence_details(out, evidence);
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ol>\n</details>\n");
    }
    out.push_str("</article>\n");
}

fn step_class(step: &StepResult) -> &'static str {
    match step.status {
        crate::StepStatus::Passed => "passed",
        crate::StepStatus::Failed => "failed",
        crate::StepStatus::Error => "error",
        crate::StepStatus::Skipped => "skipped",
    }
}

fn evidence_details(out: &mut String, evidence: &Evidence) {
    out.push_str(&format!(
        "<details class=\"evidence\"><summary><span class=\"kind\">{}</span> {}</summary><pre>{}</pre></details>\n",
        h(evidence_kind(&evidence.kind)),
        h(&evidence.title),
        h(&evidence.body)
    ));
}

fn scenarios(out: &mut String, run: &Run) {
    out.push_str("<section id=\"scenarios\">\n<h2>シナリオ一覧</h2>\n<table class=\"scenarios\">\n<thead><tr><th>番号</th><th>領域</th><th>シナリオ</th><th>要件</th><th>結果</th><th>時間</th></tr></thead>\n<tbody>\n");
    for s in &run.scenarios {
        let status = match s.status {
            ScenarioStatus::Failed | ScenarioStatus::Error => format!(
                "<a href=\"#scenario-{}\" class=\"status-{}\">{}</a>",
                s.number,
                if s.status == ScenarioStatus::Failed {
                    "fail"
                } else {
                    "error"
                },
                s.status.label()
            ),
            _ => s.status.label().to_owned(),
        };
        out.push_str(&format!(
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{} <span class=\"where\">{}:{}</span></td><td class=\"id\">{}</td><td>{status}</td><td class=\"num\">{}</td></tr>\n",
            s.number,
            h(&s.area),
            h(&s.name),
            h(&s.feature),
            s.line,
            h(&s.requirements.join(" ")),
            h(&duration(time::Duration::milliseconds(s.duration_ms as i64)))
        ));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// Opens every `<details>` while printing, for browsers without `::details-content`; the page
/// reads the same without it.
const PRINT_SCRIPT: &str = r#"<script>
addEventListener("beforeprint", () => { for (const d of document.querySelectorAll("details:not([open])")) { d.dataset.closedForPrint = ""; d.open = true; } });
addEventListener("afterprint", () => { for (const d of document.querySelectorAll("details[data-closed-for-print]")) { d.open = false; delete d.dataset.closedForPrint; } });
</script>
"#;

/// One stylesheet for screen and A4 paper.
const STYLE: &str = r#":root { --fail: #b3261e; --error: #8a5300; --pass: #1e6b35; --muted: #5f6368; --line: #d0d4d9; --paper: #f6f7f8; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", "IPAexGothic", sans-serif; color: #1b1b1b; line-height: 1.6; margin: 0 auto; max-width: 72rem; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #1b1b1b; margin: 2rem 0 .75rem; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 0 0 .5rem; }
h4 { font-size: .95rem; margin: .75rem 0 .25rem; }
.subtitle { font-size: 1.15rem; margin: .25rem 0 1rem; }
.unmasked { border: 3px solid var(--fail); background: #fdecea; color: var(--fail); font-weight: bold; font-size: 1.15rem; padding: .75rem 1rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--paper); }
table.counts { width: auto; min-width: 60%; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id, .id { white-space: nowrap; font-family: ui-monospace, monospace; }
tr.total th, tr.total td { font-weight: bold; border-top: 2px solid #1b1b1b; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1.25rem; margin: 0 0 1rem; }
dl.facts dt, .finding dt { font-weight: bold; }
.finding dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
.finding dd, dl.facts dd { margin: 0; }
.overall { font-size: 1.1rem; }
.grade { display: inline-block; min-width: 2em; padding: 0 .4em; border-radius: .25rem; color: #fff; font-weight: bold; text-align: center; }
.grade-S { background: #1b5e20; } .grade-A { background: #2e7d32; } .grade-B { background: #8d6e00; } .grade-C { background: #c25e00; } .grade-D { background: #b3261e; } .grade-none { background: #9aa0a6; }
.verdict { white-space: nowrap; }
.verdict-pass { color: var(--pass); } .verdict-fail, .status-fail { color: var(--fail); font-weight: bold; } .verdict-error, .status-error { color: var(--error); font-weight: bold; } .verdict-not_applicable, .verdict-not_run { color: var(--muted); }
.source, .where, .method, .roles, .not-judged, .not-judged-mark { color: var(--muted); font-size: .9rem; }
.not-judged { margin: .15rem 0 0; }
.not-judged-mark { white-space: nowrap; }
.keyword { font-weight: bold; }
.finding { border-left: 4px solid var(--fail); padding: .25rem 0 .25rem 1rem; margin: 1.25rem 0; }
.finding.error { border-left-color: var(--error); }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--paper); border: 1px solid var(--line); padding: .5rem .75rem; margin: .25rem 0; font-family: ui-monospace, "Noto Sans Mono CJK JP", monospace; font-size: .85rem; }
pre.message { background: #fff8e1; border-color: #e0c46c; font-family: inherit; font-size: .95rem; }
details { margin: .25rem 0; }
summary { cursor: pointer; }
.kind { display: inline-block; font-size: .8rem; border: 1px solid var(--line); border-radius: .2rem; padding: 0 .3rem; background: var(--paper); }
.steps ol { padding-left: 1.5rem; }
.step-failed .keyword { color: var(--fail); } .step-error .keyword { color: var(--error); } .step-skipped { color: var(--muted); }
footer { margin-top: 2.5rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; }
code.digest { overflow-wrap: anywhere; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid-page; }
  h3, .finding dl { break-after: avoid-page; }
  tr, .grade, summary { break-inside: avoid-page; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  details::details-content { content-visibility: visible; display: block; }
  summary { list-style: none; font-weight: bold; }
  summary::-webkit-details-marker { display: none; }
  pre { font-size: 8pt; border-color: #999; }
  .unmasked { border-width: 2pt; }
}
"#;
