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
    /// 副本登録 of one day's cap for a large city: writes a 副本登録・削除ファイル of `records`
    /// records (not timed), then times its 受付 (read through, counted) and the night batch
    /// (validated record by record, stored in SQLite with a 処理結果 row each), as
    /// `renkei serve --data` does. Prints the CPU time of each phase and the machine's load, since
    /// other work on the machine shows in the elapsed time. Targets: 2,000,000 records in ≤ 60 s,
    /// peak RSS ≤ 512 MiB.
    Fukuhon {
        #[arg(long, default_value_t = 2_000_000)]
        records: u64,
        #[arg(long, default_value_t = 60.0)]
        target_seconds: f64,
        #[arg(long, default_value_t = 512)]
        target_rss_mib: u64,
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
    /// 情報照会 with 自動応答 end to end through the 情報照会 / 情報提供 engine: registration at
    /// 千代田区, routing by the 情報提供ネットワークシステム (legal basis, 符号変換), the 提供者
    /// 調布市's 副本, the result fetched by 処理通番, every event serialised for the store. The
    /// 符号 and 副本 are prepared first (not timed). Target: 10,000 照会 in ≤ 5 s.
    Shoukai {
        #[arg(long, default_value_t = 10_000)]
        queries: u64,
        #[arg(long, default_value_t = 5.0)]
        target_seconds: f64,
        /// `engine`: the engine alone, as above. `https`: the same 照会 as a 既存システム sends them
        /// — `IF_SKI_10711_R01` then `IF_SKI_10713_R01` over mutual TLS to a started 中間サーバー
        /// whose state is a SQLite file (`--data`), on `--connections` kept-alive connections;
        /// every 照会 journalled and stored before it is answered.
        #[arg(long, value_enum, default_value_t = ShoukaiVia::Engine)]
        via: ShoukaiVia,
        /// Connections the 既存システム keeps open (`--via https`).
        #[arg(long, default_value_t = 2)]
        connections: usize,
        /// Residents of 千代田区 the 照会 go round (`--via https`; each has a 符号 and a 副本 at
        /// 調布市, prepared first and not timed).
        #[arg(long, default_value_t = 1_000)]
        people: u32,
    },
}

/// What `renkei bench shoukai` drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShoukaiVia {
    Engine,
    Https,
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
        BenchCommand::Fukuhon {
            records,
            target_seconds,
            target_rss_mib,
        } => fukuhon(records, target_seconds, target_rss_mib),
        BenchCommand::PittariList {
            seconds,
            connections,
            target_rps,
        } => pittari_list(seconds, connections, target_rps),
        BenchCommand::Shoukai {
            queries,
            target_seconds,
            via: ShoukaiVia::Engine,
            ..
        } => shoukai(queries, target_seconds),
        BenchCommand::Shoukai {
            queries,
            target_seconds,
            via: ShoukaiVia::Https,
            connections,
            people,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(shoukai_https(queries, target_seconds, connections, people)),
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

/// Peak resident set size of this process in KiB (`VmHWM` of /proc/self/status).
fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// CPU time of this process so far, all threads, in seconds (`utime + stime` of
/// /proc/self/stat, in the kernel's 100 Hz ticks).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let ticks = |index: usize| fields.get(index)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// The machine's load averages over 1, 5 and 15 minutes (/proc/loadavg).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| text.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_owned())
}

fn fukuhon(records: u64, target_seconds: f64, target_rss_mib: u64) -> anyhow::Result<ExitCode> {
    use renkei_simulator::chukan::db::{ChukanDb, Route};
    use renkei_simulator::chukan::fukuhon::{
        FileHeader, FukuhonFileWriter, RawItem, RawRecord, RecordField,
    };
    use renkei_simulator::chukan::platform::{Chukan, ChukanConfig, DEFAULT_BATCH_TIME};
    use renkei_simulator::chukan::{batch, denbun::MsgMode, fugou::IssuanceDelay};
    use renkei_simulator::clock::Clock;
    use renkei_simulator::jukinet::service::JukinetCs;
    use std::io::Write as _;

    // 横浜市: 人口200万人以上の市, whose daily record cap is its population (seed 004 §2.5).
    let yokohama: DantaiCode = "141003".parse()?;
    let dir = tempfile::tempdir()?;
    let start = time::macros::datetime!(2026-04-06 09:00 +09:00);
    let clock = Clock::frozen(start);
    let jukinet = JukinetCs::builder(clock.clone())
        .build()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = ChukanConfig {
        tenants: vec![yokohama],
        mode: MsgMode::Test,
        fugou_delay: IssuanceDelay::Immediate,
        batch_time: DEFAULT_BATCH_TIME,
        batch_records_per_night: None,
        documented_limits: true,
        seed: 1,
        caps_override: None,
    };
    let db = std::sync::Arc::new(ChukanDb::open(dir.path())?);
    let chukan = Chukan::new(
        clock.clone(),
        config,
        &[],
        jukinet,
        db,
        Some(dir.path()),
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
    )?;
    let tenant = chukan
        .tenant_of(yokohama)
        .context("横浜市のテナント")?
        .clone();

    // The file: 地方税関係情報 (D0201, 12 items) for `records` persons, written streaming.
    let name = "FI_DBM_0001_bench.xml";
    let path = chukan.spool_dir().join("bench-upload.part");
    let started = Instant::now();
    {
        let out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        let header = FileHeader {
            file_id: "FI_DBM_0001".into(),
            dantai: yokohama,
            created_at: start,
        };
        let mut writer = FukuhonFileWriter::new(out, &header)?;
        let mut record = RawRecord::numbered(0);
        record
            .set(RecordField::ShoriKubun, "登録")
            .set(RecordField::TokuteiKojinJohoMeiCode, "TM00000000000002")
            .set(RecordField::Dataset, "D0201")
            .set(RecordField::RecordKey, "2025")
            .set(RecordField::MajorVersion, "1")
            .set(RecordField::KoukaiStart, "2026-04-01");
        for n in 0..records {
            record.set(RecordField::RecordId, format!("R{n:011}")).set(
                RecordField::TougouAtenaBango,
                format!("{:015}", 800_000_000_000_000 + n),
            );
            record.body = Some(vec![
                RawItem::value("課税年度", "2025"),
                RawItem::value("課税区分", "1"),
                RawItem::null(
                    "非課税区分",
                    renkei_simulator::chukan::fukuhon::NullReason::Gaitounashi,
                ),
                RawItem::value("年税額", (100_000 + n % 900_000).to_string()),
                RawItem::value("市区町村民税均等割額", "3500"),
                RawItem::value("市区町村民税所得割額", (60_000 + n % 40_000).to_string()),
                RawItem::value("都道府県民税均等割額", "1500"),
                RawItem::value("都道府県民税所得割額", "48000"),
                RawItem::value("課税標準額", "700000"),
                RawItem::value("扶養人数", (n % 4).to_string()),
                RawItem::value("扶養親族続柄", "子"),
            ]);
            writer.record(&record)?;
        }
        writer.finish()?.flush()?;
    }
    let write_seconds = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path)?.len();

    let load_before = load_average();
    let cpu_start = cpu_seconds();
    let started = Instant::now();
    let uketsuke = batch::accept(&chukan, &tenant, Route::File, name, path, bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let accept_seconds = started.elapsed().as_secs_f64();
    let cpu_accepted = cpu_seconds();
    clock.set(chukan.next_batch_time()?);
    let started = Instant::now();
    chukan.catch_up()?;
    let batch_seconds = started.elapsed().as_secs_f64();
    let cpu_done = cpu_seconds();
    let load_after = load_average();
    let cpu = |from: Option<f64>, to: Option<f64>| match (from, to) {
        (Some(from), Some(to)) => format!("{:.2} s CPU", to - from),
        _ => "CPU ?".to_owned(),
    };
    let done = chukan
        .db()
        .uketsuke(tenant.kikan(), &uketsuke.reception)?
        .context("受付")?;
    let stored = chukan.db().fukuhon_count(tenant.kikan())?;
    let elapsed = accept_seconds + batch_seconds;
    let peak_mib = peak_rss_kib().unwrap_or(0) / 1024;
    let met = elapsed <= target_seconds && peak_mib <= target_rss_mib && done.ok == records;
    println!("bench fukuhon (横浜市, one file)");
    println!(
        "  records        {records} ({:.0} MB, {:.0} bytes a record)",
        bytes as f64 / 1e6,
        bytes as f64 / records.max(1) as f64
    );
    println!("  file written   {write_seconds:.2} s (not counted)");
    println!(
        "  受付           {accept_seconds:.2} s, {} (read through, counted, caps)",
        cpu(cpu_start, cpu_accepted)
    );
    println!(
        "  夜間バッチ     {batch_seconds:.2} s, {} (read and validated on one thread, stored with a 処理結果 each on another)",
        cpu(cpu_accepted, cpu_done)
    );
    println!(
        "  processed      {} 正常, {} エラー; {stored} 副本 stored",
        done.ok, done.errors
    );
    println!("  elapsed        {elapsed:.2} s");
    println!("  throughput     {:.0} records/s", records as f64 / elapsed);
    println!("  peak RSS       {peak_mib} MiB (VmHWM)");
    println!(
        "  machine        {} cores; load average {load_before} before, {load_after} after",
        threads()
    );
    println!(
        "  target         ≤ {target_seconds} s and ≤ {target_rss_mib} MiB: {}",
        verdict(met)
    );
    Ok(if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn shoukai(queries: u64, target_seconds: f64) -> anyhow::Result<ExitCode> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use renkei_fixtures::ids::{
        JimuCode, JimuTetsuzukiCode, JuminhyoCode, TokuteiKojinJohoMeiCode, TougouAtenaBango,
    };
    use renkei_simulator::chukan::fukuhon::Validator;
    use renkei_simulator::clock::Clock;
    use renkei_simulator::nws::FugouIssuance;
    use renkei_simulator::nws::shoukai::{
        JohoRenkei, KirokuKensaku, MemoryFugou, MemoryFukuhon, MsgMode, Renkeisaki, ShoukaiConfig,
        ShoukaiEvent, ShoukaiJouken, ShoukaiNaiyou, ShoukaiStatus, TenantSpec, synthetic_record,
    };

    anyhow::ensure!(
        queries < 100_000_000,
        "--queries は 1 億件未満にしてください (団体内統合宛名番号の範囲)"
    );
    let catalogs = Catalogs::embedded();
    let dantai = |code: &str| -> anyhow::Result<_> {
        catalogs
            .dantai(&code.parse()?)
            .with_context(|| format!("団体 {code} がカタログにありません"))
    };
    let (shoukaisha, teikyousha) = (dantai("131016")?, dantai("132080")?);
    let (a, b) = (shoukaisha.kikan_code, teikyousha.kikan_code);
    // A Monday morning: in service hours for the whole run (the clock is frozen).
    let start = time::macros::datetime!(2026-04-06 10:00 +09:00);
    let clock = Clock::frozen(start);
    let tax = TokuteiKojinJohoMeiCode::from_number(2);
    let tougou_a = |n: u64| TougouAtenaBango::from_number(100_000_000_000_000 + n);
    let tougou_b = |n: u64| TougouAtenaBango::from_number(200_000_000_000_000 + n);

    // Not timed: each person's 符号 at both 機関 from the NWS, and 調布市's 地方税 副本 of 2025,
    // built from the layout and checked by the 副本登録 validator.
    let started = Instant::now();
    let nws = Arc::new(FugouIssuance::new(b"renkei bench shoukai"));
    let fugou = Arc::new(MemoryFugou::new());
    let fukuhon = Arc::new(MemoryFukuhon::new(&catalogs.layouts));
    let mut validator = Validator::new(&catalogs.layouts, start.date());
    for n in 0..queries {
        let person = JuminhyoCode::from_number(99_000_000_000 + n);
        fugou
            .shutoku(nws.as_ref(), a, tougou_a(n), person)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        fugou
            .shutoku(nws.as_ref(), b, tougou_b(n), person)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let raw = synthetic_record(
            &catalogs.layouts,
            tax,
            "R1.6",
            "D0201",
            tougou_b(n),
            "2025",
            start.date(),
            n + 1,
        )
        .context("D0201 is in the R1.6 layout")?;
        let record = validator
            .check(&raw)
            .record
            .context("the synthetic 副本 is valid")?;
        fukuhon.apply(b, MsgMode::Honban, &record);
    }
    let setup_seconds = started.elapsed().as_secs_f64();

    // Every event is serialised as the store would write it.
    let stored = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let sink = stored.clone();
    let mut engine = JohoRenkei::new(
        clock,
        catalogs,
        ShoukaiConfig::default(),
        Renkeisaki {
            fugou,
            henkan: nws,
            source: fukuhon,
        },
        vec![
            TenantSpec::from_dantai(shoukaisha, &[MsgMode::Honban]),
            TenantSpec::from_dantai(teikyousha, &[MsgMode::Honban]),
        ],
    );
    engine.persist_to(Arc::new(move |event: &ShoukaiEvent| {
        let body = serde_json::to_vec(event).expect("events serialise");
        sink.0.fetch_add(1, Ordering::Relaxed);
        sink.1.fetch_add(body.len() as u64, Ordering::Relaxed);
        Ok(())
    }));

    let started = Instant::now();
    let mut provided = 0u64;
    for n in 0..queries {
        let naiyou = ShoukaiNaiyou {
            tougou: tougou_a(n),
            jimu: JimuCode::from_number(74),
            tetsuzuki: JimuTetsuzukiCode::from_number(7401),
            tokutei: tax,
            teikyousha: b,
            jouken: ShoukaiJouken::nendo(2025)?,
            msg_mode: MsgMode::Honban,
            fukaiji: false,
        };
        let shoukai = engine.shoukai(a, naiyou)?;
        let kekka = engine.kekka(a, shoukai.shori_tsuuban)?;
        if kekka.status == ShoukaiStatus::SeijouShuuryou && kekka.kekka.len() == 1 {
            provided += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let records = engine.kiroku(b, &KirokuKensaku::default())?.len();
    if provided != queries || records as u64 != queries {
        bail!("{provided} 件が正常終了、提供側の記録 {records} 件 ({queries} 件のはず)");
    }
    let met = elapsed <= target_seconds;
    println!("bench shoukai");
    println!("  照会           {queries} (単件、自動応答、正常終了 {provided})");
    println!("  setup          {setup_seconds:.2} s (符号 and 副本; not counted)");
    println!(
        "  events         {} ({:.1} MB serialised for the store)",
        stored.0.load(Ordering::Relaxed),
        stored.1.load(Ordering::Relaxed) as f64 / 1e6
    );
    println!("  記録           {records} on each side");
    println!(
        "  limits         documented limits off (4,000 an hour would overload the real server, seed 004 §2.11)"
    );
    println!("  elapsed        {elapsed:.2} s (registration, routing, 符号変換, 副本, result)");
    println!(
        "  per 照会       {:.0} µs",
        elapsed * 1e6 / queries.max(1) as f64
    );
    println!("  target         ≤ {target_seconds} s: {}", verdict(met));
    Ok(if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// 情報照会 over the documented interface: a started 中間サーバー with a SQLite state file, and a
/// 既存システム of 千代田区 asking 調布市 over mutual TLS (`renkei bench shoukai --via https`).
async fn shoukai_https(
    queries: u64,
    target_seconds: f64,
    connections: usize,
    people: u32,
) -> anyhow::Result<ExitCode> {
    use renkei_fixtures::ids::{TokuteiKojinJohoMeiCode, TougouAtenaBango};
    use renkei_simulator::chukan::client::{TenantClient, TenantConnection};
    use renkei_simulator::chukan::fukuhon::{FileHeader, FukuhonFileWriter};
    use renkei_simulator::nws::shoukai::synthetic_record;

    anyhow::ensure!(
        (1..=64).contains(&connections),
        "--connections は 1〜64 にしてください"
    );
    anyhow::ensure!(
        (1..=100_000).contains(&people),
        "--people は 1〜100,000 にしてください"
    );
    let catalogs = Catalogs::embedded();
    // Documented limits off: 4,000 an hour on a frozen clock would be SK40 from the 4,001st.
    let text = format!(
        "name = \"bench shoukai\"\nseed = 7\nstart = \"2026-04-06T09:00:00+09:00\"\n\
         [[dantai]]\ncode = \"131016\"\nresidents = {people}\n\
         [[dantai]]\ncode = \"132080\"\nresidents = 20\n\
         [chukan]\ndocumented_limits = false\n"
    );
    let expanded = Scenario::from_toml(&text)?.expand(catalogs)?;
    let residents: Vec<_> = expanded.populations[0]
        .1
        .iter()
        .flat_map(|h| h.members.iter().cloned())
        .collect();
    let data = tempfile::tempdir()?;
    let stack = Stack::start(
        &expanded,
        StackOptions {
            data_dir: Some(data.path().to_owned()),
            ..StackOptions::default()
        },
    )
    .await?;
    let client = |code: &str| -> anyhow::Result<TenantClient> {
        let tenant = stack
            .chukan
            .tenant_of(code.parse()?)
            .with_context(|| format!("団体 {code} のテナントがありません"))?;
        Ok(TenantClient::new(
            &stack.chukan,
            tenant,
            stack.addresses.chukan,
            "BENCH-01",
        )?)
    };
    let (chiyoda, chofu) = (client("131016")?, client("132080")?);
    let teikyousha = chofu.kikan().to_owned();
    // 調布市 knows each person as a 住登外者 under its own 団体内統合宛名番号.
    let juutougai = |n: usize| TougouAtenaBango::from_number(400_000_000 + n as u64);

    // Not timed: both 符号 of each person, and 調布市's 地方税 副本 through the night batch.
    let started = Instant::now();
    let mut a = chiyoda.open().await?;
    let mut b = chofu.open().await?;
    for (n, person) in residents.iter().enumerate() {
        let kojin = person.kojin_bango.to_string();
        for (connection, tougou) in [
            (&mut a, person.tougou_atena_bango.to_string()),
            (&mut b, juutougai(n).to_string()),
        ] {
            let answer = connection
                .denbun(
                    "IF_FGU_10111_R01",
                    &[("団体内統合宛名番号", &tougou), ("個人番号", &kojin)],
                )
                .await?;
            if answer.value("符号取得状態") != "符号取得済み" {
                bail!(
                    "符号取得に失敗しました ({}): {}",
                    answer.status,
                    answer.text
                );
            }
        }
    }
    let header = FileHeader {
        file_id: "FI_DBM_0001".into(),
        dantai: "132080".parse()?,
        created_at: expanded.scenario.start,
    };
    let mut writer = FukuhonFileWriter::new(Vec::new(), &header)?;
    let tax = TokuteiKojinJohoMeiCode::from_number(2);
    for n in 0..residents.len() {
        let record = synthetic_record(
            &catalogs.layouts,
            tax,
            "R1.6",
            "D0201",
            juutougai(n),
            "2025",
            expanded.scenario.start.date(),
            n as u64 + 1,
        )
        .context("D0201 is in the R1.6 layout")?;
        writer.record(&record)?;
    }
    let file = writer.finish()?;
    let answer = b
        .send(
            "POST",
            "/xml/v1/files/FI_DBM_0001_bench.xml",
            "application/xml",
            file,
        )
        .await?;
    if answer.status != 200 {
        bail!("副本登録ファイルが受け付けられません: {}", answer.text);
    }
    stack.clock.advance(time::Duration::days(1))?;
    stack.chukan.catch_up()?;
    let setup_seconds = started.elapsed().as_secs_f64();

    // Timed: each connection sends its share, one 照会 after another, and fetches each result.
    let started = Instant::now();
    let people_numbers: Vec<String> = residents
        .iter()
        .map(|r| r.tougou_atena_bango.to_string())
        .collect();
    let people_numbers = std::sync::Arc::new(people_numbers);
    let mut tasks = Vec::new();
    for worker in 0..connections {
        let mut connection: TenantConnection = chiyoda.open().await?;
        let people_numbers = people_numbers.clone();
        let teikyousha = teikyousha.clone();
        tasks.push(tokio::spawn(async move {
            let mut provided = 0u64;
            let mut n = worker as u64;
            while n < queries {
                let tougou = &people_numbers[(n % people_numbers.len() as u64) as usize];
                let answer = connection
                    .denbun(
                        "IF_SKI_10711_R01",
                        &[
                            ("依頼元部署コード", "BENCH"),
                            ("団体内統合宛名番号", tougou),
                            ("事務コード", "JM00000000000074"),
                            ("事務手続コード", "JT00000000007401"),
                            ("特定個人情報名コード", "TM00000000000002"),
                            ("情報提供者機関コード", &teikyousha),
                            ("照会条件区分", "1"),
                            ("照会年度", "2025"),
                        ],
                    )
                    .await?;
                if answer.status != 200 || answer.value("照会ステータス") != "正常終了" {
                    bail!(
                        "照会が正常終了しません ({}): {}",
                        answer.status,
                        answer.text
                    );
                }
                let tsuuban = answer.value("処理通番").to_owned();
                let result = connection
                    .denbun("IF_SKI_10713_R01", &[("処理通番", &tsuuban)])
                    .await?;
                if result.status != 200 {
                    bail!("照会結果を取れません ({}): {}", result.status, result.text);
                }
                provided += result.values("提供された副本").len() as u64;
                n += connections as u64;
            }
            anyhow::Ok(provided)
        }));
    }
    let mut provided = 0;
    for task in tasks {
        provided += task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    if provided != queries {
        bail!("提供された副本が {provided} 件です ({queries} 件のはず)");
    }
    let state_bytes: u64 = std::fs::read_dir(data.path())?
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let met = elapsed <= target_seconds;
    println!("bench shoukai --via https");
    println!(
        "  照会           {queries} (単件 IF_SKI_10711_R01 + 結果 IF_SKI_10713_R01, 自動応答, 提供された副本 {provided})"
    );
    println!(
        "  connections    {connections} kept-alive, mutual TLS (千代田区's client certificate)"
    );
    println!(
        "  setup          {setup_seconds:.2} s ({} people: 符号 at both 機関, 調布市's 副本 through the night batch; not counted)",
        residents.len()
    );
    println!(
        "  state file     {:.1} MB (SQLite, every 照会 stored and journalled before it is answered)",
        state_bytes as f64 / 1e6
    );
    println!("  limits         documented limits off");
    println!("  elapsed        {elapsed:.2} s");
    println!(
        "  per 照会       {:.0} µs (two 電文)",
        elapsed * 1e6 / queries.max(1) as f64
    );
    println!("  target         ≤ {target_seconds} s: {}", verdict(met));
    stack.shutdown().await;
    Ok(if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
