//! The run model and the reports made from it.
//!
//! Data flows one way (DESIGN.md): the runner writes a [`Run`], the reports read it and know
//! nothing else. Everything a report shows — the verdict per requirement, the scenario and step
//! that decided it, the evidence — is in the run model. The schema is
//! `docs/schemas/run.schema.json`; the pages for people are `docs/run-model.md` and
//! `docs/reports.md`.
//!
//! | module | what it makes |
//! |---|---|
//! | [`junit`] | JUnit XML for CI: one testcase per scenario |
//! | [`html`] | one self-contained HTML page for people, printable on A4 |
//! | [`markdown`] | a summary short enough for a pull-request comment |
//! | [`table`] | the terminal table `renkei run` prints |
//! | [`compare`] | several runs side by side (vendors × requirements), and what changed |
//! | [`grade`] | the per-area score and its S/A/B/C/D grade |
//! | [`mask`] | personal data hidden before anything is written or shown |
//! | [`seal`] | the digest every report carries, so an edit shows |
//! | [`progress`] | what a person watches while a run goes on |
//! | [`files`] | reading `run.json` and writing the four files of a run |

pub mod compare;
pub mod files;
pub mod grade;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod mask;
pub mod model;
pub mod progress;
pub mod sample;
pub mod seal;
pub mod table;

mod failure;
mod markup;

pub use model::{
    EVIDENCE_LIMIT, Evidence, RUN_FORMAT, RequirementResult, Run, RunSummary, ScenarioResult,
    ScenarioStatus, StepResult, StepStatus, SutInfo, SutRole, Verdict,
};

/// The sentence every rendering shows when personal data was left in (docs/reports.md).
pub const UNMASKED_WARNING: &str = "個人情報をマスクしていません";
