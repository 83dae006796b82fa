//! `renkei`: the command. A thin shell over the library crates; every subcommand here works.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// renkei (連携): simulator and conformance harness for the Japanese national linkage systems.
#[derive(Debug, Parser)]
#[command(name = "renkei", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Synthetic data and the national catalogs (住民, 手続, データ標準レイアウト, 法令根拠, 団体).
    Fixtures {
        #[command(subcommand)]
        command: commands::fixtures::FixturesCommand,
    },
    /// The requirement catalog: every rule a vendor system must honour, with its source.
    Requirements {
        /// Only one area: 申請取込, 住基連携, 副本登録, 情報照会・提供 or 機関間テスト.
        #[arg(long)]
        area: Option<renkei_scenarios::Area>,
    },
    /// Starts the simulated national systems of a scenario on fixed ports (docs/serve.md).
    Serve(commands::serve::ServeArgs),
    /// Runs the conformance suite against a vendor's system described by sut.toml (docs/sut-adapter.md).
    Run(commands::run::RunArgs),
    /// Runs the whole suite against renkei's reference vendor (optionally with a seeded defect).
    Demo(commands::demo::DemoArgs),
    /// Renders a saved run.json as HTML, JUnit XML, Markdown or a table; `report verify` checks a seal.
    Report(commands::report::ReportArgs),
    /// Compares runs: vendors × requirements, and what newly fails or was fixed (docs/reports.md).
    Compare(commands::compare::CompareArgs),
    /// The reference vendor itself, as `renkei demo` starts it (not for direct use).
    #[command(hide = true)]
    ReferenceVendor {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Benchmarks with the targets the issues set; prints the figures measured.
    Bench {
        #[command(subcommand)]
        command: commands::bench::BenchCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fixtures { command } => commands::fixtures::run(command),
        Command::Requirements { area } => commands::requirements::run(area),
        Command::Serve(args) => commands::serve::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::ReferenceVendor { args } => return commands::demo::reference_vendor(args),
        Command::Bench { command } => commands::bench::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("エラー: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  原因: {cause}");
            }
            ExitCode::from(2)
        }
    }
}
