//! `renkei demo`: the whole suite against renkei's reference vendor (tests/reference-vendor), a
//! conformant 申請管理システム + 既存住基システム written from docs/ only — or against it with one
//! seeded defect, to watch the suite catch it. Nothing is built at run time: the reference vendor
//! is linked into this executable and started as `renkei reference-vendor …`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::run::{RunArgs, execute};

/// The reference vendor's sut.toml: the worked example vendors copy (docs/sut-adapter.md).
const SUT_TOML: &str = include_str!("../../tests/reference-vendor/sut.toml");

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Start the reference vendor with this seeded defect (see --list-defects).
    #[arg(long)]
    pub defect: Option<String>,
    /// List the seeded defects and the requirement each must break, then stop.
    #[arg(long)]
    pub list_defects: bool,
    /// Only scenarios whose tags match, e.g. '@ING-03'.
    #[arg(long)]
    pub tags: Option<String>,
    /// Where run.json, report.html, junit.xml and summary.md go (docs/reports.md).
    #[arg(long, default_value = "out")]
    pub report_dir: PathBuf,
    /// Print only the summary, not the progress of each scenario.
    #[arg(long)]
    pub quiet: bool,
    /// Keep personal data in the evidence and the reports (they then say so).
    #[arg(long)]
    pub unmasked: bool,
    /// Run a pair for the 機関間テスト: a second reference vendor plays 既存業務システム for
    /// 調布市 (132080) instead of renkei (docs/kizon-gyomu.md).
    #[arg(long)]
    pub pair: bool,
}

/// The 団体 the second reference vendor plays in `--pair`: 東京都調布市.
const PAIR_DANTAI: &str = "132080";

/// The reference vendor's sut.toml for the pair's second 団体: the same product and jobs, the
/// role 既存業務システム only.
fn pair_sut_toml() -> anyhow::Result<String> {
    let mut table: toml::Table = toml::from_str(SUT_TOML)?;
    if let Some(toml::Value::Table(sut)) = table.get_mut("sut") {
        sut.insert(
            "name".into(),
            toml::Value::String("renkei 参照ベンダー (調布市)".into()),
        );
    }
    let mut role = toml::Table::new();
    role.insert(
        "role".into(),
        toml::Value::String("既存業務システム".into()),
    );
    role.insert("dantai".into(), toml::Value::String(PAIR_DANTAI.into()));
    table.insert(
        "roles".into(),
        toml::Value::Array(vec![toml::Value::Table(role)]),
    );
    Ok(format!(
        "# renkei demo --pair: the reference vendor as 調布市's 既存業務システム (generated)\n{}",
        toml::to_string(&table)?
    ))
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let defects = renkei_reference_vendor::defects();
    if args.list_defects {
        print_defects(defects);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(id) = &args.defect
        && !defects.iter().any(|d| d.id == id)
    {
        print_defects(defects);
        anyhow::bail!("「{id}」という不具合はありません (上の一覧から選びます)");
    }
    let work = tempfile::Builder::new().prefix("renkei-demo-").tempdir()?;
    let sut = work.path().join("sut.toml");
    std::fs::write(&sut, SUT_TOML)?;
    let exe = std::env::current_exe()?.display().to_string();
    let mut command = vec![
        exe,
        "reference-vendor".to_owned(),
        "--port".to_owned(),
        "{sut_port}".to_owned(),
        "--data".to_owned(),
        "{work_dir}/reference-vendor".to_owned(),
    ];
    if let Some(id) = &args.defect {
        command.extend(["--defect".to_owned(), id.clone()]);
        let defect = defects.iter().find(|d| d.id == id).expect("checked above");
        eprintln!(
            "参照ベンダーを不具合「{id}」つきで動かします: {} (不適合になるはずの要件: {})",
            defect.description, defect.requirement
        );
    }
    let mut suts = vec![sut];
    let mut commands = vec![Some(command.clone())];
    if args.pair {
        // The partner runs without the defect: a defect shows in the system it was seeded in.
        let partner = work.path().join("sut-chofu.toml");
        std::fs::write(&partner, pair_sut_toml()?)?;
        suts.push(partner);
        commands.push(Some(command[..6].to_vec()));
    }
    let run_args = RunArgs {
        sut: suts,
        tags: args.tags,
        report_dir: args.report_dir,
        features: None,
        work_dir: Some(work.path().join("work")),
        quiet: args.quiet,
        unmasked: args.unmasked,
    };
    execute(&run_args, commands)
}

fn print_defects(defects: &[renkei_reference_vendor::Defect]) {
    #[derive(tabled::Tabled)]
    struct Row {
        #[tabled(rename = "ID")]
        id: &'static str,
        #[tabled(rename = "要件")]
        requirement: &'static str,
        #[tabled(rename = "不具合")]
        description: &'static str,
    }
    let rows = defects.iter().map(|d| Row {
        id: d.id,
        requirement: d.requirement,
        description: d.description,
    });
    println!(
        "{}",
        tabled::Table::new(rows).with(tabled::settings::Style::modern())
    );
}

/// `renkei reference-vendor …`: the reference vendor itself (started by `renkei demo`).
pub fn reference_vendor(args: Vec<String>) -> ExitCode {
    renkei_reference_vendor::main_with_args(&args)
}
