//! `renkei compare`: several runs side by side — vendors × requirements — and, for two runs of
//! the same system, what newly fails and what was fixed (docs/reports.md「比較」).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use renkei_reports::{compare, files};

use super::report::write_or_print;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Two or more run.json files: one per vendor, or one per release of a system.
    #[arg(required = true, num_args = 1..)]
    pub runs: Vec<PathBuf>,
    /// html or md (by default from --output's extension; else md).
    #[arg(long, value_enum)]
    pub format: Option<CompareFormat>,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Html,
    #[value(alias = "markdown")]
    Md,
}

pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    if args.runs.len() < 2 {
        anyhow::bail!(
            "比べる run.json を2つ以上指定します (指定されたのは {} だけです)",
            args.runs[0].display()
        );
    }
    let runs = args
        .runs
        .iter()
        .map(|path| files::read_run(path))
        .collect::<Result<Vec<_>, _>>()?;
    let format = args.format.unwrap_or_else(|| {
        match args
            .output
            .as_deref()
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
        {
            Some("html" | "htm") => CompareFormat::Html,
            _ => CompareFormat::Md,
        }
    });
    let text = match format {
        CompareFormat::Html => compare::render_html(&runs),
        CompareFormat::Md => compare::render_markdown(&runs),
    };
    write_or_print(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
