//! renkei's conformance suite and its runner.
//!
//! - [`requirements`]: the requirement catalog — every rule a vendor's system can break, with a
//!   stable ID, a Japanese title, its area and its source. The page for people is
//!   `docs/requirements.md`.
//! - [`suite`]: the Japanese feature files of `features/` (built in), tag expressions, and the
//!   checks that tie scenarios and requirements together.
//! - [`sut`]: the SUT adapter — a vendor's `sut.toml`, checked, and the client that starts the
//!   system, triggers its jobs and reads its observation interface (docs/sut-adapter.md).
//! - [`steps`]: what each Japanese step does.
//! - [`runner`]: `renkei run` — the suite against the systems, into the run model of
//!   `renkei-reports`.

pub mod requirements;
pub mod runner;
pub mod steps;
pub mod suite;
pub mod sut;

pub use requirements::{
    Area, CatalogError, Citation, EntryError, EntryRef, Problem, Requirement, RequirementCatalog,
    RequirementId, Role, UnknownName, render_markdown, render_table,
};
