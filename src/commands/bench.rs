//! `renkei bench`: the speed targets of the issues, measured on this machine.

use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::DantaiCode;
use renkei_fixtures::population::{self, Format, PopulationSpec};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Generates a population to a temporary directory (JSON Lines and CSV) and times it.
    /// Target: 1,000,000 residents in ≤ 10 s.
    Population {
        #[arg(long, default_value_t = 1_000_000)]
        size: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Target in seconds; the command exits 1 when it is missed.
        #[arg(long, default_value_t = 10.0)]
        target_seconds: f64,
    },
}

pub fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Population {
            size,
            seed,
            target_seconds,
        } => {
            let catalogs = Catalogs::embedded();
            let code: DantaiCode = "131016".parse()?;
            let dantai = population::dantai_for(catalogs, &code)?;
            let spec = PopulationSpec {
                dantai: code,
                size,
                seed,
                as_of: PopulationSpec::DEFAULT_AS_OF,
            };
            let dir = tempfile::tempdir()?;
            let started = Instant::now();
            let summary =
                population::write(&spec, dantai, dir.path(), &[Format::Jsonl, Format::Csv])?;
            let elapsed = started.elapsed().as_secs_f64();
            let bytes: u64 = summary
                .files
                .iter()
                .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
                .map(|m| m.len())
                .sum();
            let met = elapsed <= target_seconds;
            println!("bench population");
            println!("  residents      {}", summary.residents);
            println!("  households     {}", summary.households);
            println!("  certificates   {}", summary.certificates);
            println!("  bytes written  {:.1} MB", bytes as f64 / 1e6);
            println!("  threads        {}", rayon_threads());
            println!("  elapsed        {elapsed:.2} s");
            println!(
                "  throughput     {:.0} residents/s",
                summary.residents as f64 / elapsed
            );
            println!(
                "  target         ≤ {target_seconds} s: {}",
                if met { "met" } else { "MISSED" }
            );
            Ok(if met {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
