//! renkei's conformance suite, as data the runner and the reports read.
//!
//! For now this is the requirement catalog ([`requirements`]): every rule a vendor's system can
//! break, with a stable ID, a Japanese title, the area of the suite that checks it and the
//! document section it comes from. The features in `features/` tag their scenarios with these IDs
//! and the reports give a verdict per ID. The page for people is `docs/requirements.md`.

pub mod requirements;

pub use requirements::{
    Area, CatalogError, Citation, EntryError, EntryRef, Problem, Requirement, RequirementCatalog,
    RequirementId, Role, UnknownName, render_markdown, render_table,
};
