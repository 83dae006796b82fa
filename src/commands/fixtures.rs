//! `renkei fixtures`: the synthetic population and the catalogs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::DantaiCode;
use renkei_fixtures::population::{self, Format, PopulationSpec};
use time::Date;

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Writes the synthetic residents of one 団体 (deterministic: same options, same bytes).
    Population(PopulationArgs),
    /// Prints the catalogs as tables: procedures, layouts, legal-basis, dantai, or one procedure id / TM code.
    Catalog {
        /// What to show; all catalogs when omitted.
        which: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct PopulationArgs {
    /// Number of residents.
    #[arg(long, default_value_t = 1000)]
    pub size: u64,
    /// Seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// 地方公共団体コード (6 digits with check digit) of a 市区町村 in the catalog.
    #[arg(long, default_value = "131016")]
    pub dantai: String,
    /// Reference day for ages and certificate statuses (YYYY-MM-DD).
    #[arg(long, default_value = "2026-04-01", value_parser = parse_date)]
    pub as_of: Date,
    /// Output formats.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "jsonl,csv")]
    pub format: Vec<FormatArg>,
    /// Output directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Jsonl,
    Csv,
}

impl PopulationArgs {
    /// The generator's spec and formats, or an error naming the bad option.
    pub fn spec(&self) -> anyhow::Result<(PopulationSpec, Vec<Format>)> {
        let dantai: DantaiCode = self
            .dantai
            .parse()
            .with_context(|| format!("--dantai {}", self.dantai))?;
        let formats = self
            .format
            .iter()
            .map(|f| match f {
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Csv => Format::Csv,
            })
            .collect();
        Ok((
            PopulationSpec {
                dantai,
                size: self.size,
                seed: self.seed,
                as_of: self.as_of,
            },
            formats,
        ))
    }
}

fn parse_date(text: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, format).map_err(|e| format!("YYYY-MM-DD の日付ではありません ({e})"))
}

pub fn run(command: FixturesCommand) -> anyhow::Result<ExitCode> {
    let catalogs = Catalogs::embedded();
    match command {
        FixturesCommand::Population(args) => {
            let (spec, formats) = args.spec()?;
            let dantai = population::dantai_for(catalogs, &spec.dantai)?;
            let summary = population::write(&spec, dantai, &args.out, &formats)?;
            println!(
                "{} ({}) の合成住民 {} 人 / {} 世帯 / 電子証明書 {} 件を {} に書き出しました (seed {}, 基準日 {})",
                summary.dantai_name,
                summary.dantai_code,
                summary.residents,
                summary.households,
                summary.certificates,
                args.out.display(),
                summary.seed,
                summary.as_of,
            );
            for file in &summary.files {
                println!("  {}", args.out.join(file).display());
            }
            Ok(ExitCode::SUCCESS)
        }
        FixturesCommand::Catalog { which } => {
            super::catalog::print(catalogs, which.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
