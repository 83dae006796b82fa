//! `renkei report`: renders a saved run.json again, and `renkei report verify` tells whether a
//! run.json or a report was changed after renkei wrote it (docs/reports.md).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use renkei_reports::mask::Masker;
use renkei_reports::{files, html, junit, markdown, table};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// The run.json to render.
    #[arg(required = true)]
    pub run: Option<PathBuf>,
    /// html, junit, md or table (by default from --output's extension: .html, .xml, .md; else table).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Render personal data unmasked, when the run.json holds it (the report then says so).
    #[arg(long)]
    pub unmasked: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Says whether FILE (run.json, report.html, junit.xml, summary.md) was changed after renkei
    /// wrote it: exit 0 unchanged, 1 changed, 2 no seal to tell by.
    Verify {
        /// A run.json (checked against run.json.sha256 beside it) or a report renkei wrote.
        file: PathBuf,
        /// Also check that the report was made from this run.json.
        #[arg(long)]
        run: Option<PathBuf>,
    },
}

/// The renderings of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Html,
    Junit,
    #[value(alias = "markdown")]
    Md,
    Table,
}

impl Format {
    /// The format a file name asks for: `report.html`, `junit.xml`, `summary.md`.
    fn of_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "html" | "htm" => Some(Format::Html),
            "xml" => Some(Format::Junit),
            "md" => Some(Format::Md),
            _ => None,
        }
    }
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    if let Some(ReportCommand::Verify { file, run }) = &args.command {
        return verify(file, run.as_deref());
    }
    let path = args.run.as_deref().expect("clap requires RUN.json");
    let mut run = files::read_run(path)?;
    if !run.masked {
        if args.unmasked {
            eprintln!(
                "注意: {} の個人情報をマスクせずに出します (報告書にもそう書きます)",
                path.display()
            );
        } else {
            // A run saved with --unmasked is masked when shown, unless asked again.
            run.mask(&Masker::new());
        }
    } else if args.unmasked {
        eprintln!(
            "注意: {} はマスクして保存されています。マスクを外すことはできないので、マスクしたまま出します",
            path.display()
        );
    }
    let format = args
        .format
        .or_else(|| args.output.as_deref().and_then(Format::of_path))
        .unwrap_or(Format::Table);
    let text = match format {
        Format::Html => html::render(&run),
        Format::Junit => junit::render(&run),
        Format::Md => markdown::render(&run),
        Format::Table => table::render_sealed(&run),
    };
    write_or_print(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to `output`, or prints it when there is none.
pub fn write_or_print(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(file) => {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("フォルダ {} を作れません", dir.display()))?;
            }
            std::fs::write(file, text)
                .with_context(|| format!("{} に書けません", file.display()))?;
            eprintln!("{} を書きました", file.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // `renkei report run.json | head` stops reading early: not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.context("標準出力に書けません")?,
            }
        }
    }
    Ok(())
}

fn verify(file: &Path, run: Option<&Path>) -> anyhow::Result<ExitCode> {
    let verification = files::verify(file, run)?;
    for line in &verification.lines {
        println!("{line}");
    }
    Ok(ExitCode::from(verification.outcome.exit_code()))
}
