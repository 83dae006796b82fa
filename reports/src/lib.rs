//! The run model: what one `renkei run` found, as one versioned JSON document (`run.json`).
//!
//! Data flows one way (DESIGN.md): the runner writes a [`Run`], the reports read it and know
//! nothing else. Everything a report shows — the verdict per requirement, the scenario and step
//! that decided it, the evidence — is here. The schema is `docs/schemas/run.schema.json`; the
//! page for people is `docs/run-model.md`.

pub mod model;

pub use model::{
    EVIDENCE_LIMIT, Evidence, RUN_FORMAT, RequirementResult, Run, RunSummary, ScenarioResult,
    ScenarioStatus, StepResult, StepStatus, SutInfo, SutRole, Verdict,
};
