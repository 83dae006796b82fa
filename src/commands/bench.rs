//! `renkei bench`: the speed targets of the issues, measured on this machine.

use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Subcommand;
use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::DantaiCode;
use renkei_fixtures::population::{self, Format, PopulationSpec};
use renkei_fixtures::scenario::Scenario;
use renkei_simulator::jpki::Jpki;
use renkei_simulator::pittari::PittariConfig;
use renkei_simulator::stack::{self, Stack, StackOptions};

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
    /// Builds signed 申請ZIPs (certificate issue, form, PDF, XML signature, ZIP) and times it.
    /// Target: 10,000 in ≤ 10 s.
    ShinseiZip {
        #[arg(long, default_value_t = 10_000)]
        count: u32,
        #[arg(long, default_value_t = 10.0)]
        target_seconds: f64,
    },
    /// Load on 申請データ一覧取得 (a page of 50) with wrk on loopback, directly and through the
    /// 連携サーバ. Needs Debian's wrk (bench/pittari-list.sh installs it). Target: ≥ 10,000 requests/s.
    PittariList {
        /// wrk's duration in seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// wrk's connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
        #[arg(long, default_value_t = 10_000.0)]
        target_rps: f64,
    },
}

pub fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Population {
            size,
            seed,
            target_seconds,
        } => population(size, seed, target_seconds),
        BenchCommand::ShinseiZip {
            count,
            target_seconds,
        } => shinsei_zip(count, target_seconds),
        BenchCommand::PittariList {
            seconds,
            connections,
            target_rps,
        } => pittari_list(seconds, connections, target_rps),
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn population(size: u64, seed: u64, target_seconds: f64) -> anyhow::Result<ExitCode> {
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
    let summary = population::write(&spec, dantai, dir.path(), &[Format::Jsonl, Format::Csv])?;
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
    println!(
        "  bytes written  {:.1} MB to {}",
        bytes as f64 / 1e6,
        dir.path().display()
    );
    println!("  threads        {}", threads());
    println!("  elapsed        {elapsed:.2} s");
    println!(
        "  throughput     {:.0} residents/s",
        summary.residents as f64 / elapsed
    );
    println!("  target         ≤ {target_seconds} s: {}", verdict(met));
    Ok(if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn shinsei_zip(count: u32, target_seconds: f64) -> anyhow::Result<ExitCode> {
    let mut scenario = Scenario::default_scenario();
    scenario.dantai[0].residents = u64::from(count).max(1_000) * 2;
    let pittari = scenario
        .pittari
        .as_mut()
        .context("the default scenario has 申請")?;
    pittari.generated = count;
    let started = Instant::now();
    let expanded = scenario.expand(Catalogs::embedded())?;
    let expand_seconds = started.elapsed().as_secs_f64();
    let jpki = Jpki::generate(scenario.seed);
    let pittari = scenario.pittari.as_ref().expect("set above");
    let started = Instant::now();
    let zips = stack::build_zips(&jpki, &expanded, pittari.submitted_from, scenario.start)?;
    let elapsed = started.elapsed().as_secs_f64();
    let bytes: usize = zips.iter().map(|(_, _, zip)| zip.len()).sum();
    let met = elapsed <= target_seconds;
    println!("bench shinsei-zip");
    println!("  申請ZIP        {}", zips.len());
    println!(
        "  scenario       {expand_seconds:.2} s to expand (population and forms; not counted)"
    );
    println!(
        "  bytes          {:.1} MB ({:.1} KB a ZIP)",
        bytes as f64 / 1e6,
        bytes as f64 / zips.len() as f64 / 1e3
    );
    println!("  threads        {}", threads());
    println!("  elapsed        {elapsed:.2} s (certificate, form, PDF, signature, ZIP)");
    println!(
        "  per ZIP        {:.0} µs",
        elapsed * 1e6 / zips.len() as f64
    );
    println!("  target         ≤ {target_seconds} s: {}", verdict(met));
    Ok(if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn pittari_list(seconds: u32, connections: u32, target_rps: f64) -> anyhow::Result<ExitCode> {
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk がありません: apt-get install -y wrk (bench/pittari-list.sh が入れます)");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let expanded = Scenario::default_scenario().expand(Catalogs::embedded())?;
        println!("bench pittari-list (申請データ一覧取得, per_page=50, {seconds} s, {connections} connections)");
        let mut met = true;
        for via_proxy in [false, true] {
            let options = StackOptions {
                pittari: PittariConfig { require_proxy: via_proxy, ..PittariConfig::default() },
                journal_capacity: 1_000,
                ..StackOptions::default()
            };
            let stack = Stack::start(&expanded, options).await?;
            let token = login(&stack).await?;
            let api = stack.addresses.pittari;
            let target = if via_proxy { stack.addresses.proxy } else { api };
            let output = tokio::process::Command::new("wrk")
                .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s")])
                .args(["-H", &format!("Authorization: Bearer {token}"), "-H", &format!("Host: {api}")])
                .arg(format!("http://{target}/pittari/v1/shinsei?per_page=50"))
                .output()
                .await?;
            let text = String::from_utf8_lossy(&output.stdout);
            let rps: f64 = text
                .lines()
                .find_map(|l| l.strip_prefix("Requests/sec:"))
                .and_then(|v| v.trim().parse().ok())
                .with_context(|| format!("wrk の出力を読めません:\n{text}"))?;
            let non_2xx = text.lines().find(|l| l.contains("Non-2xx"));
            let path = if via_proxy { "through the 連携サーバ" } else { "direct to the API" };
            println!("  {path:<26} {rps:>10.0} requests/s{}", non_2xx.map(|l| format!("  ({})", l.trim())).unwrap_or_default());
            if !via_proxy {
                met = rps >= target_rps && non_2xx.is_none();
            }
            stack.shutdown().await;
        }
        println!("  threads        {} (wrk shares them)", threads());
        println!("  target         ≥ {target_rps} requests/s direct: {}", verdict(met));
        Ok(if met { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}

/// Logs in with the default scenario's 手続管理ユーザ, through the 連携サーバ.
async fn login(stack: &Stack) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = r#"{"login_id":"tetsuzuki01","password":"renkei-tetsuzuki-01"}"#;
    let api = stack.addresses.pittari;
    let mut socket = tokio::net::TcpStream::connect(stack.addresses.proxy).await?;
    let request = format!(
        "POST http://{api}/pittari/v1/login HTTP/1.1\r\nHost: {api}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    socket.read_to_string(&mut response).await?;
    let json = response
        .split("\r\n\r\n")
        .nth(1)
        .context("ログインの応答がありません")?;
    let value: serde_json::Value = serde_json::from_str(json.trim())
        .or_else(|_| serde_json::from_str(dechunk(json).trim()))
        .with_context(|| format!("ログインの応答を読めません: {response}"))?;
    Ok(value["token"]
        .as_str()
        .context("token がありません")?
        .to_owned())
}

/// The body of a chunked HTTP/1.1 response.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
