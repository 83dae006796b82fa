//! `renkei run`: the conformance suite against a vendor's system (docs/sut-adapter.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use renkei_reports::{Run, Verdict};
use renkei_scenarios::runner::{self, RunError, RunOptions};
use tabled::settings::Style;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The system's sut.toml (docs/sut-adapter.md); twice for a pair of systems.
    #[arg(long, required = true)]
    pub sut: Vec<PathBuf>,
    /// Only scenarios whose tags match, e.g. '@ING-03' or '@申請取込 and not @ING-22'.
    #[arg(long)]
    pub tags: Option<String>,
    /// Where run.json goes.
    #[arg(long, default_value = "out")]
    pub report_dir: PathBuf,
    /// Run these feature files instead of the built-in suite.
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Work folder for the systems and the scenario files (a fresh temporary folder by default).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Print only the summary, not a line per scenario.
    #[arg(long)]
    pub quiet: bool,
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
        progress: !args.quiet,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let outcome = runtime.block_on(runner::run(&options));
    let run = match outcome {
        Ok(run) => run,
        Err(RunError::SutFile(e)) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(3));
        }
        Err(e) => return Err(e.into()),
    };
    let path = runner::write_run(&run, &args.report_dir)?;
    print_summary(&run);
    println!("run.json: {}", path.display());
    Ok(ExitCode::from(run.summary.exit_code()))
}

/// The terminal summary: every requirement that was judged, then the counts.
pub fn print_summary(run: &Run) {
    #[derive(tabled::Tabled)]
    struct Row {
        #[tabled(rename = "ID")]
        id: String,
        #[tabled(rename = "領域")]
        area: String,
        #[tabled(rename = "名称")]
        title: String,
        #[tabled(rename = "判定")]
        verdict: &'static str,
    }
    let rows: Vec<Row> = run
        .requirements
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::NotApplicable | Verdict::NotRun))
        .map(|r| Row {
            id: r.id.clone(),
            area: r.area.clone(),
            title: r.title.clone(),
            verdict: r.verdict.label(),
        })
        .collect();
    if !rows.is_empty() {
        println!("{}", tabled::Table::new(rows).with(Style::modern()));
    }
    for r in run
        .requirements
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
    {
        for number in &r.scenarios {
            let Some(s) = run.scenarios.iter().find(|s| s.number == *number) else {
                continue;
            };
            if let Some(step) = s
                .steps
                .iter()
                .find(|st| st.message.is_some() && st.status != renkei_reports::StepStatus::Skipped)
            {
                println!(
                    "不適合 {} — {} ({}:{})\n  {} {}\n  {}",
                    r.id,
                    s.name,
                    s.feature,
                    s.line,
                    step.keyword,
                    step.text,
                    step.message.as_deref().unwrap_or("")
                );
            }
        }
    }
    let s = &run.summary;
    println!(
        "要件 {}: 適合 {}、不適合 {}、判定不能 {}、対象外 {}、未実行 {} / シナリオ 成功 {}、失敗 {}、判定不能 {}",
        run.requirements.len(),
        s.requirements_pass,
        s.requirements_fail,
        s.requirements_error,
        s.requirements_not_applicable,
        s.requirements_not_run,
        s.scenarios_passed,
        s.scenarios_failed,
        s.scenarios_error
    );
}
