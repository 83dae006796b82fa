//! A scenario that did not pass, told the same way in every rendering: the rule it enforces (the
//! requirement's title and source), the step that decided it, the message and the evidence.

use crate::{RequirementResult, Run, ScenarioResult, ScenarioStatus, StepResult, StepStatus};

/// One scenario that failed (不適合) or could not be judged (判定不能).
pub(crate) struct Finding<'a> {
    pub scenario: &'a ScenarioResult,
    /// The requirements the scenario checks, as the run's catalog names them.
    pub requirements: Vec<&'a RequirementResult>,
    /// The step that decided the outcome: the first that failed or could not be judged.
    pub step: Option<&'a StepResult>,
}

/// Every scenario that failed or could not be judged, in the order they ran.
pub(crate) fn findings(run: &Run) -> Vec<Finding<'_>> {
    run.scenarios
        .iter()
        .filter(|s| matches!(s.status, ScenarioStatus::Failed | ScenarioStatus::Error))
        .map(|scenario| Finding {
            scenario,
            requirements: scenario
                .requirements
                .iter()
                .filter_map(|id| run.requirement(id))
                .collect(),
            step: deciding_step(scenario),
        })
        .collect()
}

/// The step that decided a scenario's outcome.
pub(crate) fn deciding_step(scenario: &ScenarioResult) -> Option<&StepResult> {
    scenario
        .steps
        .iter()
        .find(|s| matches!(s.status, StepStatus::Failed | StepStatus::Error))
}

impl Finding<'_> {
    /// 不適合 or 判定不能.
    pub fn label(&self) -> &'static str {
        match self.scenario.status {
            ScenarioStatus::Failed => "不適合",
            _ => "判定不能",
        }
    }

    /// The requirement IDs, `ING-03 ING-04`.
    pub fn ids(&self) -> String {
        self.scenario.requirements.join(" ")
    }

    /// One line per requirement: `ING-03 署名を検証する (出典: seed 001 §5 ③-3)`.
    pub fn rules(&self) -> Vec<String> {
        self.requirements
            .iter()
            .map(|r| format!("{} {} (出典: {})", r.id, r.title, r.source))
            .collect()
    }

    /// Why: the deciding step's message.
    pub fn message(&self) -> &str {
        self.step.and_then(|s| s.message.as_deref()).unwrap_or("")
    }

    /// Where the scenario is written: `申請取込/署名検証.feature:12`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.scenario.feature, self.scenario.line)
    }

    /// The plain-text account used where there is no markup (JUnit, the terminal).
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for rule in self.rules() {
            out.push_str(&format!("規則: {rule}\n"));
        }
        out.push_str(&format!(
            "シナリオ: {} ({})\n",
            self.scenario.name,
            self.location()
        ));
        if let Some(step) = self.step {
            out.push_str(&format!(
                "手順: {} {} ({}行目) — {}\n",
                step.keyword,
                step.text,
                step.line,
                step.status.label()
            ));
            out.push_str(&format!("理由: {}\n", self.message()));
            let count = step.evidence.len();
            for (i, evidence) in step.evidence.iter().enumerate() {
                out.push_str(&format!(
                    "\n証跡 {}/{count} [{}] {}\n{}\n",
                    i + 1,
                    evidence.kind,
                    evidence.title,
                    evidence.body.trim_end()
                ));
            }
        }
        out
    }
}
