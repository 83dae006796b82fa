//! The step definitions: each Japanese step of the suite, matched by a regular expression, and
//! what it does to the simulators and the system under test.
//!
//! A step passes, fails (the system broke a rule: 不適合), or cannot be judged (the system did not
//! answer, or no system plays the role it needs). Steps assert only on what the simulators
//! recorded and what the system reports through its adapter (DESIGN.md).

mod aite;
mod fukuhon;
mod jogai;
mod juki;
mod kikan;
mod pacing;
mod setsuzoku;
mod setup;
mod shinsei;
mod shoukai;

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use regex::Regex;

use crate::requirements::Role;
use crate::runner::World;
use crate::sut::client::SutProblem;

/// Why a step did not pass.
#[derive(Debug, Clone)]
pub enum StepError {
    /// The system broke the rule the step checks: the message says what was expected and seen.
    Fail(String),
    /// The system could not be judged.
    Sut(SutProblem),
    /// No system under test plays this role: the scenario is 対象外.
    NotApplicable(Role),
    /// The scenario itself is wrong (an unknown name in a table, a precondition the data does
    /// not meet): a renkei defect, reported as such, never as the system's.
    Suite(String),
}

impl From<SutProblem> for StepError {
    fn from(problem: SutProblem) -> Self {
        StepError::Sut(problem)
    }
}

pub type StepResult = Result<(), StepError>;

/// Passes when nothing was found wrong; fails with every problem found, so one run shows all.
pub(crate) fn verdict(problems: Vec<String>) -> StepResult {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(problems.join(" / ")))
    }
}

/// The simulators of a scenario that has started; a step that needs them before is a suite error.
pub(crate) fn started(world: &World) -> Result<&crate::runner::Live, StepError> {
    world.live.as_ref().ok_or_else(|| {
        StepError::Suite("シミュレーターがまだ動いていません (先に取込などの手順を書きます)".into())
    })
}

/// An observation that is not what the docs say (SUT応答不正).
pub(crate) fn malformed(what: &str, body: &serde_json::Value) -> StepError {
    StepError::Sut(SutProblem {
        exited_early: false,
        kind: crate::sut::client::ProblemKind::Malformed,
        message: format!(
            "{what}: {}",
            body.to_string().chars().take(300).collect::<String>()
        ),
    })
}

/// What a step gets besides the world: the captured groups, its table and doc string.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub captures: Vec<String>,
    pub table: Option<Vec<Vec<String>>>,
    pub docstring: Option<String>,
}

impl Args {
    /// Capture `i` (0-based, after the whole match).
    pub fn get(&self, i: usize) -> &str {
        self.captures.get(i).map(String::as_str).unwrap_or("")
    }

    /// Capture `i` as a number.
    pub fn number(&self, i: usize) -> Result<u64, StepError> {
        let text = self.get(i);
        text.replace(',', "")
            .parse()
            .map_err(|_| StepError::Suite(format!("「{text}」は数ではありません")))
    }

    /// The table as rows keyed by the header row.
    pub fn rows(&self) -> Result<Vec<Vec<(String, String)>>, StepError> {
        let table = self
            .table
            .as_ref()
            .ok_or_else(|| StepError::Suite("この手順には表が要ります".into()))?;
        let (header, rows) = table
            .split_first()
            .ok_or_else(|| StepError::Suite("表が空です".into()))?;
        Ok(rows
            .iter()
            .map(|row| header.iter().cloned().zip(row.iter().cloned()).collect())
            .collect())
    }
}

/// The cell of `column` in a row of [`Args::rows`]; a missing column is the scenario's mistake.
pub(crate) fn cell(row: &[(String, String)], column: &str) -> Result<String, StepError> {
    optional_cell(row, column)
        .ok_or_else(|| StepError::Suite(format!("表に列「{column}」がありません")))
}

/// The cell of `column` in a row of [`Args::rows`], when the table has that column.
pub(crate) fn optional_cell(row: &[(String, String)], column: &str) -> Option<String> {
    row.iter()
        .find(|(k, _)| k == column)
        .map(|(_, v)| v.clone())
}

pub type StepFuture<'a> = Pin<Box<dyn Future<Output = StepResult> + 'a>>;
pub type Handler = for<'a> fn(&'a mut World, Args) -> StepFuture<'a>;

/// One step definition.
pub struct StepDef {
    pub pattern: Regex,
    pub handler: Handler,
}

/// Registers `async fn name(world: &mut World, args: Args) -> StepResult` under a pattern.
macro_rules! step {
    ($pattern:expr, $handler:path) => {
        $crate::steps::StepDef {
            pattern: regex::Regex::new(concat!("^", $pattern, "$")).expect("a valid step pattern"),
            handler: |world, args| Box::pin($handler(world, args)),
        }
    };
}
pub(crate) use step;

/// Every step definition.
pub static STEPS: LazyLock<Vec<StepDef>> = LazyLock::new(|| {
    let mut steps = Vec::new();
    steps.extend(setup::steps());
    steps.extend(shinsei::steps());
    steps.extend(juki::steps());
    steps.extend(fukuhon::steps());
    steps.extend(jogai::steps());
    steps.extend(shoukai::steps());
    steps.extend(aite::steps());
    steps.extend(kikan::steps());
    steps.extend(pacing::steps());
    steps.extend(setsuzoku::steps());
    steps
});

/// The definition matching `text` and its captures; `Err` when none or more than one match.
pub fn find(text: &str) -> Result<(&'static StepDef, Vec<String>), String> {
    let mut found = STEPS.iter().filter_map(|def| {
        def.pattern.captures(text).map(|c| {
            let captures = c
                .iter()
                .skip(1)
                .map(|m| m.map(|m| m.as_str().to_owned()).unwrap_or_default())
                .collect();
            (def, captures)
        })
    });
    let first = found
        .next()
        .ok_or_else(|| format!("この手順を renkei は知りません: 「{text}」"))?;
    if let Some((other, _)) = found.next() {
        return Err(format!(
            "手順「{text}」に2つの定義が当てはまります: /{}/ と /{}/",
            first.0.pattern, other.pattern
        ));
    }
    Ok(first)
}
