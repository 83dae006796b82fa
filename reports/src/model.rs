//! The types of `run.json`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The value of [`Run::format`]; bumped when a change would mislead an older reader.
pub const RUN_FORMAT: &str = "renkei-run/1";

/// One run of the suite against one or more systems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// [`RUN_FORMAT`].
    pub format: String,
    /// The renkei that ran the suite.
    pub renkei_version: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    /// The systems under test, as their `sut.toml` declared them.
    pub suts: Vec<SutInfo>,
    /// The tag expression that chose the scenarios (`None`: all of them).
    pub tags: Option<String>,
    /// Whether personal data (個人番号, 住民票コード, 氏名, 住所, 生年月日) in the evidence, the step
    /// texts and the messages was masked by [`Run::mask`](crate::mask). `false` only when the
    /// run was asked for `--unmasked`: every rendering then says so (docs/reports.md).
    pub masked: bool,
    pub summary: RunSummary,
    /// One entry per requirement of the catalog, in catalog order.
    pub requirements: Vec<RequirementResult>,
    /// The scenarios that ran, in the order they ran.
    pub scenarios: Vec<ScenarioResult>,
}

impl Run {
    /// The systems under test as reports name them: `さくら申請管理 2.4.0`, joined by ` + `.
    pub fn systems_label(&self) -> String {
        if self.suts.is_empty() {
            return "(試験対象システムなし)".to_owned();
        }
        self.suts
            .iter()
            .map(|s| format!("{} {}", s.name, s.version))
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// The names of the systems under test, without versions: what stays the same between two
    /// runs of the same system (`renkei compare`).
    pub fn systems_identity(&self) -> String {
        self.suts
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// The scenario with this [`ScenarioResult::number`].
    pub fn scenario(&self, number: usize) -> Option<&ScenarioResult> {
        self.scenarios.iter().find(|s| s.number == number)
    }

    /// The requirement with this ID.
    pub fn requirement(&self, id: &str) -> Option<&RequirementResult> {
        self.requirements.iter().find(|r| r.id == id)
    }
}

/// A system under test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SutInfo {
    pub name: String,
    pub version: String,
    pub vendor: Option<String>,
    /// `(役割, 団体コード)` pairs.
    pub roles: Vec<SutRole>,
}

/// One role a system plays for one 団体.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SutRole {
    /// 申請管理システム, 既存住基システム, …
    pub role: String,
    pub dantai: String,
}

/// Counts for the summary line and the exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSummary {
    pub requirements_pass: usize,
    pub requirements_fail: usize,
    pub requirements_error: usize,
    pub requirements_not_applicable: usize,
    pub requirements_not_run: usize,
    pub scenarios_passed: usize,
    pub scenarios_failed: usize,
    pub scenarios_error: usize,
}

impl RunSummary {
    /// The exit code of `renkei run`: 1 when a requirement failed, 2 when the system could not
    /// be judged, 0 otherwise (docs/sut-adapter.md "流れ").
    pub fn exit_code(&self) -> u8 {
        if self.requirements_fail > 0 {
            1
        } else if self.requirements_error > 0 {
            2
        } else {
            0
        }
    }
}

/// The verdict on one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 適合: every scenario checking it passed.
    Pass,
    /// 不適合: a scenario checking it failed.
    Fail,
    /// 判定不能: the system did not answer, answered malformed, or lacks a job.
    Error,
    /// 対象外: the requirement belongs to a role no system under test plays.
    NotApplicable,
    /// 未実行: no scenario checking it ran (filtered out by tags, or renkei does not judge the
    /// requirement: [`RequirementResult::not_judged`]).
    NotRun,
}

impl Verdict {
    /// The word reports show.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "適合",
            Verdict::Fail => "不適合",
            Verdict::Error => "判定不能",
            Verdict::NotApplicable => "対象外",
            Verdict::NotRun => "未実行",
        }
    }

    /// Whether the requirement was judged, and so counts towards the score (docs/reports.md):
    /// 適合, 不適合 and 判定不能 do; 対象外 and 未実行 say nothing about the system.
    pub fn is_judged(self) -> bool {
        matches!(self, Verdict::Pass | Verdict::Fail | Verdict::Error)
    }
}

/// The verdict on one requirement and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementResult {
    pub id: String,
    /// 申請取込, 住基連携, …
    pub area: String,
    pub title: String,
    /// `seed 001 §5 ③-3; docs/pittari-api.md`
    pub source: String,
    pub verdict: Verdict,
    /// Numbers ([`ScenarioResult::number`]) of the scenarios that checked it.
    pub scenarios: Vec<usize>,
    /// The catalog's reason why renkei does not judge this requirement (`not_judged` in
    /// `scenarios/data/requirements.toml`), in Japanese. Such a requirement has no scenario and
    /// is [`Verdict::NotRun`] (or [`Verdict::NotApplicable`]); the reports show the reason
    /// beside 未実行. Absent from `run.json` when `None`, so files written before the field
    /// existed still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_judged: Option<String>,
}

impl RequirementResult {
    /// The reason to show beside the verdict: [`RequirementResult::not_judged`] when the
    /// requirement is 未実行, `None` otherwise (対象外 says enough by itself).
    pub fn not_judged_reason(&self) -> Option<&str> {
        match self.verdict {
            Verdict::NotRun => self.not_judged.as_deref(),
            _ => None,
        }
    }
}

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioStatus {
    Passed,
    Failed,
    /// The system did not answer or answered malformed: no verdict.
    Error,
    /// Not run because no system under test plays the roles it needs.
    NotApplicable,
}

impl ScenarioStatus {
    pub fn label(self) -> &'static str {
        match self {
            ScenarioStatus::Passed => "成功",
            ScenarioStatus::Failed => "失敗",
            ScenarioStatus::Error => "判定不能",
            ScenarioStatus::NotApplicable => "対象外",
        }
    }
}

/// One scenario of the suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioResult {
    /// 1, 2, … in the order they ran.
    pub number: usize,
    /// `申請取込/署名検証.feature`
    pub feature: String,
    /// The feature's name (機能: …).
    pub feature_name: String,
    pub area: String,
    /// The scenario's name (シナリオ: …).
    pub name: String,
    /// Its line in the feature file.
    pub line: usize,
    /// Every tag, requirement IDs included (without `@`).
    pub tags: Vec<String>,
    /// The requirement IDs among the tags.
    pub requirements: Vec<String>,
    pub status: ScenarioStatus,
    pub duration_ms: u64,
    pub steps: Vec<StepResult>,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    /// The system did not answer, or answered malformed.
    Error,
    /// Not run because an earlier step did not pass.
    Skipped,
}

impl StepStatus {
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Passed => "成功",
            StepStatus::Failed => "失敗",
            StepStatus::Error => "判定不能",
            StepStatus::Skipped => "未実行",
        }
    }
}

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepResult {
    /// 前提 / もし / ならば / かつ / しかし
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub status: StepStatus,
    /// Why it failed or could not be judged, in Japanese: the rule and what was seen.
    pub message: Option<String>,
    pub duration_ms: u64,
    pub evidence: Vec<Evidence>,
}

/// Something seen while a step ran, kept so a person can check the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// `journal` (what a simulator recorded), `observe` (what the system answered),
    /// `job` (a job's outcome), `note` (what renkei set up or expected).
    pub kind: String,
    pub title: String,
    /// Text, at most 16 KiB (cut at a character boundary, with `…` appended).
    pub body: String,
}

/// The most a piece of evidence keeps.
pub const EVIDENCE_LIMIT: usize = 16 * 1024;

impl Evidence {
    pub fn new(kind: &str, title: impl Into<String>, body: impl Into<String>) -> Self {
        let mut body = body.into();
        if body.len() > EVIDENCE_LIMIT {
            let mut cut = EVIDENCE_LIMIT;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
            body.push('…');
        }
        Self {
            kind: kind.to_string(),
            title: title.into(),
            body,
        }
    }
}
