//! Several runs side by side (`renkei compare`, docs/reports.md「比較」): the vendors ×
//! requirements matrix, the grade per area of each, and — for runs of the same system, told
//! apart by the names of the systems under test — what newly fails and what was fixed from one
//! run to the next.
//!
//! A comparison shows verdicts only, never evidence, so it holds no personal data. Its seal's
//! run digest is the SHA-256 of the compared runs' digests, one per line in column order
//! (`sha256:…\n`), so it names exactly the runs it was made from.

use crate::grade::{self, Score};
use crate::markup::{clock, html as h, markdown as md};
use crate::seal::{self, Digest, SealSyntax};
use crate::{Run, Verdict};

/// The runs being compared, with what every rendering of the comparison needs.
pub struct Comparison<'a> {
    runs: Vec<&'a Run>,
    /// Column headings: the systems and their versions, with the start time when two columns
    /// would otherwise read the same.
    labels: Vec<String>,
    /// Every requirement ID of any run, the first run's catalog order first.
    ids: Vec<(&'a str, &'a str)>,
    digest: Digest,
}

/// One requirement whose verdict changed between two runs of the same system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: String,
    pub title: String,
    pub before: Option<Verdict>,
    pub after: Option<Verdict>,
}

/// What changed from one run of a system to its next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPair {
    /// The systems' names, the same in both runs.
    pub identity: String,
    /// Column indexes of the earlier and the later run.
    pub before: usize,
    pub after: usize,
    /// Passed (or was not judged) before, fails or cannot be judged now.
    pub newly_failing: Vec<Change>,
    /// Failed or could not be judged before, passes now.
    pub fixed: Vec<Change>,
    /// Any other change of verdict (不適合 → 判定不能, 適合 → 未実行, …).
    pub other: Vec<Change>,
}

fn is_bad(verdict: Option<Verdict>) -> bool {
    matches!(verdict, Some(Verdict::Fail | Verdict::Error))
}

impl<'a> Comparison<'a> {
    pub fn new(runs: &'a [Run]) -> Self {
        let runs: Vec<&Run> = runs.iter().collect();
        let plain: Vec<String> = runs.iter().map(|r| r.systems_label()).collect();
        let labels = plain
            .iter()
            .zip(&runs)
            .map(|(label, run)| {
                if plain.iter().filter(|l| *l == label).count() > 1 {
                    format!("{label} ({})", clock(run.started_at))
                } else {
                    label.clone()
                }
            })
            .collect();
        let mut ids: Vec<(&str, &str)> = Vec::new();
        for run in &runs {
            for r in &run.requirements {
                if !ids.iter().any(|(id, _)| *id == r.id) {
                    ids.push((&r.id, &r.title));
                }
            }
        }
        let digests: String = runs
            .iter()
            .map(|r| format!("{}\n", seal::run_digest(r)))
            .collect();
        Self {
            labels,
            ids,
            digest: Digest::of(digests.as_bytes()),
            runs,
        }
    }

    fn verdict(&self, column: usize, id: &str) -> Option<Verdict> {
        self.runs[column].requirement(id).map(|r| r.verdict)
    }

    /// For every system with more than one run, each run against the one before it (by start
    /// time).
    pub fn pairs(&self) -> Vec<RunPair> {
        let mut identities: Vec<String> = Vec::new();
        for run in &self.runs {
            let identity = run.systems_identity();
            if !identities.contains(&identity) {
                identities.push(identity);
            }
        }
        let mut pairs = Vec::new();
        for identity in identities {
            let mut columns: Vec<usize> = (0..self.runs.len())
                .filter(|&i| self.runs[i].systems_identity() == identity)
                .collect();
            columns.sort_by_key(|&i| self.runs[i].started_at);
            for window in columns.windows(2) {
                let (before, after) = (window[0], window[1]);
                let mut pair = RunPair {
                    identity: identity.clone(),
                    before,
                    after,
                    newly_failing: Vec::new(),
                    fixed: Vec::new(),
                    other: Vec::new(),
                };
                for (id, title) in &self.ids {
                    let (was, now) = (self.verdict(before, id), self.verdict(after, id));
                    if was == now {
                        continue;
                    }
                    let change = Change {
                        id: id.to_string(),
                        title: title.to_string(),
                        before: was,
                        after: now,
                    };
                    if is_bad(now) && !is_bad(was) {
                        pair.newly_failing.push(change);
                    } else if is_bad(was) && now == Some(Verdict::Pass) {
                        pair.fixed.push(change);
                    } else {
                        pair.other.push(change);
                    }
                }
                pairs.push(pair);
            }
        }
        pairs
    }

    fn areas(&self) -> Vec<String> {
        let mut areas: Vec<String> = Vec::new();
        for run in &self.runs {
            for score in grade::by_area(run) {
                if !areas.contains(&score.area) {
                    areas.push(score.area);
                }
            }
        }
        areas
    }

    fn score(&self, column: usize, area: &str) -> Option<Score> {
        grade::by_area(self.runs[column])
            .into_iter()
            .find(|s| s.area == area)
    }
}

fn label(verdict: Option<Verdict>) -> &'static str {
    verdict.map_or("—", Verdict::label)
}

fn score_text(score: Option<&Score>) -> String {
    match score {
        Some(s) if s.judged() > 0 => format!("{} {}", s.grade_text(), s.percent_text()),
        _ => "—".to_owned(),
    }
}

/// The comparison as Markdown, sealed.
pub fn render_markdown(runs: &[Run]) -> String {
    let c = Comparison::new(runs);
    let mut out = String::from("## renkei 適合性試験の比較\n\n");
    let header = |out: &mut String, first: &str| {
        out.push_str(&format!("| {first} |"));
        for label in &c.labels {
            out.push_str(&format!(" {} |", md(label)));
        }
        out.push_str("\n|---|");
        for _ in &c.labels {
            out.push_str(":-:|");
        }
        out.push('\n');
    };
    out.push_str("### 領域ごとの評価\n\n");
    header(&mut out, "領域");
    for area in c.areas() {
        out.push_str(&format!("| {} |", md(&area)));
        for column in 0..c.runs.len() {
            out.push_str(&format!(
                " {} |",
                score_text(c.score(column, &area).as_ref())
            ));
        }
        out.push('\n');
    }
    out.push_str(&format!("| **{}** |", grade::OVERALL));
    for run in &c.runs {
        out.push_str(&format!(
            " **{}** |",
            score_text(Some(&grade::overall(run)))
        ));
    }
    out.push_str(&format!("\n\n{}\n\n", md(&grade::explanation())));

    out.push_str("### 要件ごとの判定\n\n");
    header(&mut out, "要件");
    for (id, title) in &c.ids {
        let verdicts: Vec<Option<Verdict>> = (0..c.runs.len()).map(|i| c.verdict(i, id)).collect();
        let differs = verdicts.windows(2).any(|w| w[0] != w[1]);
        out.push_str(&format!(
            "| {}{} {} |",
            if differs { "● " } else { "" },
            md(id),
            md(title)
        ));
        for verdict in verdicts {
            let text = label(verdict);
            if is_bad(verdict) {
                out.push_str(&format!(" **{text}** |"));
            } else {
                out.push_str(&format!(" {text} |"));
            }
        }
        out.push('\n');
    }
    out.push_str("\n● は判定が揃っていない要件です。\n");

    for pair in c.pairs() {
        out.push_str(&format!(
            "\n### {}: {} → {}\n\n",
            md(&pair.identity),
            md(&c.labels[pair.before]),
            md(&c.labels[pair.after])
        ));
        let list = |out: &mut String, heading: &str, changes: &[Change]| {
            out.push_str(&format!("**{heading}** ({} 件)\n\n", changes.len()));
            if changes.is_empty() {
                out.push_str("- なし\n");
            }
            for ch in changes {
                out.push_str(&format!(
                    "- **{}** {}: {} → {}\n",
                    md(&ch.id),
                    md(&ch.title),
                    label(ch.before),
                    label(ch.after)
                ));
            }
            out.push('\n');
        };
        list(&mut out, "新たに不適合・判定不能", &pair.newly_failing);
        list(&mut out, "直ったもの", &pair.fixed);
        if !pair.other.is_empty() {
            list(&mut out, "そのほかの変化", &pair.other);
        }
    }

    out.push_str("\n<sub>比較した実行結果の SHA-256:");
    for (label, run) in c.labels.iter().zip(&c.runs) {
        out.push_str(&format!(
            " {} <code>{}</code>;",
            md(label),
            seal::run_digest(run).short()
        ));
    }
    out.push_str("</sub>\n");
    seal::seal(out, c.digest, SealSyntax::Comment)
}

/// The comparison as one self-contained HTML page, sealed.
pub fn render_html(runs: &[Run]) -> String {
    let c = Comparison::new(runs);
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    );
    out.push_str(&format!(
        "<meta name=\"renkei-run-sha256\" content=\"{}\">\n<title>適合性試験の比較</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>適合性試験の比較</h1>\n",
        c.digest
    ));
    let header = |out: &mut String, first: &str| {
        out.push_str(&format!("<thead><tr><th>{first}</th>"));
        for label in &c.labels {
            out.push_str(&format!("<th>{}</th>", h(label)));
        }
        out.push_str("</tr></thead>\n");
    };

    out.push_str("<section id=\"runs\">\n<h2>比較した実行</h2>\n<table>\n");
    header(&mut out, "");
    out.push_str("<tbody>\n");
    for fact in [
        "開始",
        "renkei の版",
        "シナリオの選択",
        "実行結果の SHA-256",
    ] {
        out.push_str(&format!("<tr><th>{fact}</th>"));
        for run in &c.runs {
            let value = match fact {
                "開始" => h(&clock(run.started_at)),
                "renkei の版" => h(&run.renkei_version),
                "シナリオの選択" => h(run.tags.as_deref().unwrap_or("すべて")),
                _ => {
                    let digest = seal::run_digest(run);
                    format!("<code title=\"{digest}\">{}</code>", digest.short())
                }
            };
            out.push_str(&format!("<td>{value}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");

    out.push_str("<section id=\"grades\">\n<h2>領域ごとの評価</h2>\n<table>\n");
    header(&mut out, "領域");
    out.push_str("<tbody>\n");
    for area in c.areas() {
        out.push_str(&format!("<tr><th>{}</th>", h(&area)));
        for column in 0..c.runs.len() {
            out.push_str(&format!(
                "<td class=\"c\">{}</td>",
                h(&score_text(c.score(column, &area).as_ref()))
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str(&format!("<tr class=\"total\"><th>{}</th>", grade::OVERALL));
    for run in &c.runs {
        out.push_str(&format!(
            "<td class=\"c\">{}</td>",
            h(&score_text(Some(&grade::overall(run))))
        ));
    }
    out.push_str(&format!(
        "</tr>\n</tbody>\n</table>\n<p class=\"method\">{}</p>\n</section>\n",
        h(&grade::explanation())
    ));

    out.push_str("<section id=\"matrix\">\n<h2>要件ごとの判定</h2>\n<table>\n");
    header(&mut out, "要件");
    out.push_str("<tbody>\n");
    for (id, title) in &c.ids {
        let verdicts: Vec<Option<Verdict>> = (0..c.runs.len()).map(|i| c.verdict(i, id)).collect();
        let differs = verdicts.windows(2).any(|w| w[0] != w[1]);
        out.push_str(&format!(
            "<tr{}><th><span class=\"id\">{}</span> {}</th>",
            if differs { " class=\"differs\"" } else { "" },
            h(id),
            h(title)
        ));
        for verdict in verdicts {
            let class = match verdict {
                Some(Verdict::Pass) => "pass",
                Some(Verdict::Fail) => "fail",
                Some(Verdict::Error) => "error",
                _ => "none",
            };
            out.push_str(&format!(
                "<td class=\"c v-{class}\">{}</td>",
                label(verdict)
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n<p class=\"method\">色の付いた行は判定が揃っていない要件です。</p>\n</section>\n");

    for pair in c.pairs() {
        out.push_str(&format!(
            "<section class=\"pair\">\n<h2>{}: {} → {}</h2>\n",
            h(&pair.identity),
            h(&c.labels[pair.before]),
            h(&c.labels[pair.after])
        ));
        let list = |out: &mut String, heading: &str, changes: &[Change]| {
            out.push_str(&format!(
                "<h3>{heading} ({} 件)</h3>\n<ul>\n",
                changes.len()
            ));
            if changes.is_empty() {
                out.push_str("<li>なし</li>\n");
            }
            for ch in changes {
                out.push_str(&format!(
                    "<li><span class=\"id\">{}</span> {}: {} → {}</li>\n",
                    h(&ch.id),
                    h(&ch.title),
                    label(ch.before),
                    label(ch.after)
                ));
            }
            out.push_str("</ul>\n");
        };
        list(&mut out, "新たに不適合・判定不能", &pair.newly_failing);
        list(&mut out, "直ったもの", &pair.fixed);
        if !pair.other.is_empty() {
            list(&mut out, "そのほかの変化", &pair.other);
        }
        out.push_str("</section>\n");
    }
    out.push_str(&format!(
        "<footer><p>封印 (比較した実行結果の SHA-256 をまとめた SHA-256): <code>{}</code> — docs/reports.md「比較」</p></footer>\n</body>\n</html>\n",
        c.digest
    ));
    seal::seal(out, c.digest, SealSyntax::Comment)
}

const STYLE: &str = r#"body { font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", "IPAexGothic", sans-serif; margin: 0 auto; max-width: 80rem; padding: 1.5rem; line-height: 1.5; color: #1b1b1b; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #d0d4d9; padding: .2rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f6f7f8; }
td.c { text-align: center; white-space: nowrap; }
.id { font-family: ui-monospace, monospace; white-space: nowrap; }
tr.total th, tr.total td { font-weight: bold; border-top: 2px solid #1b1b1b; }
tr.differs th { background: #fff8e1; }
.v-pass { color: #1e6b35; } .v-fail { color: #b3261e; font-weight: bold; } .v-error { color: #8a5300; font-weight: bold; } .v-none { color: #5f6368; }
.method, footer { color: #5f6368; font-size: .9rem; }
@page { size: A4 landscape; margin: 12mm; }
@media print { body { max-width: none; padding: 0; font-size: 9pt; } thead { display: table-header-group; } tr { break-inside: avoid-page; } }
"#;
