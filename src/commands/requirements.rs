//! `renkei requirements`: the requirement catalog as a table, then the requirements renkei does
//! not judge, each with its reason (`not_judged` in the catalog).

use std::process::ExitCode;

use renkei_scenarios::{Area, RequirementCatalog, render_table};

pub fn run(area: Option<Area>) -> anyhow::Result<ExitCode> {
    let catalog = RequirementCatalog::embedded();
    println!("{}", render_table(catalog, area).trim_end());
    let shown = match area {
        Some(area) => catalog.in_area(area).count(),
        None => catalog.len(),
    };
    println!("{shown} 件 (docs/requirements.md)");
    Ok(ExitCode::SUCCESS)
}
