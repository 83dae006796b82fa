//! `renkei run`: the conformance suite against a vendor's system (docs/sut-adapter.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use renkei_reports::mask::Masker;
use renkei_reports::progress::Progress;
use renkei_reports::{files, table};
use renkei_scenarios::runner::{self, RunError, RunOptions};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The system's sut.toml (docs/sut-adapter.md); twice for a pair of systems.
    #[arg(long, required = true)]
    pub sut: Vec<PathBuf>,
    /// Only scenarios whose tags match, e.g. '@ING-03' or '@申請取込 and not @ING-22'.
    #[arg(long)]
    pub tags: Option<String>,
    /// Where run.json, report.html, junit.xml and summary.md go (docs/reports.md).
    #[arg(long, default_value = "out")]
    pub report_dir: PathBuf,
    /// Run these feature files instead of the built-in suite.
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Work folder for the systems and the scenario files (a fresh temporary folder by default).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Print only the summary, not the progress of each scenario.
    #[arg(long)]
    pub quiet: bool,
    /// Keep personal data (個人番号, 住民票コード, 氏名, 住所, 生年月日) in the evidence and the
    /// reports; every report then says 「個人情報をマスクしていません」.
    #[arg(long)]
    pub unmasked: bool,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    execute(&args, Vec::new())
}

/// Runs the suite; `start_overrides` replace systems' start commands (for `renkei demo`).
pub fn execute(
    args: &RunArgs,
    start_overrides: Vec<Option<Vec<String>>>,
) -> anyhow::Result<ExitCode> {
    let temp = tempfile::Builder::new().prefix("renkei-run-").tempdir()?;
    let work_dir = args
        .work_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_owned());
    let options = RunOptions {
        suts: args.sut.clone(),
        tags: args.tags.clone(),
        features: args.features.clone(),
        work_dir,
        start_overrides,
        progress: (!args.quiet).then(|| Progress::terminal(!args.unmasked)),
        unmasked: args.unmasked,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let outcome = runtime.block_on(runner::run(&options));
    let mut run = match outcome {
        Ok(run) => run,
        Err(RunError::SutFile(e)) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(3));
        }
        Err(e) => return Err(e.into()),
    };
    if !args.unmasked && !run.masked {
        // The runner masks with the residents it made; a run it left unmasked still gets the
        // masking that needs no list before anything is written.
        run.mask(&Masker::new());
    }
    let written = files::write_all(&run, &args.report_dir).with_context(|| {
        format!(
            "報告書のフォルダ {} に書けません",
            args.report_dir.display()
        )
    })?;
    print!("{}", table::render(&run));
    println!("run.json: {}", written.run_json.display());
    println!(
        "報告書: {} {} {}",
        written.html.display(),
        written.junit.display(),
        written.markdown.display()
    );
    println!("実行結果の SHA-256: {}", written.digest);
    Ok(ExitCode::from(run.summary.exit_code()))
}
