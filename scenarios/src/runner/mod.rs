//! `renkei run`: the suite against one or more systems, scenario by scenario, into a run model.
//!
//! Scenarios run one after the other, each on freshly started simulators (free ports) with every
//! system reset, so no scenario sees another's data. A step's outcome decides the scenario's;
//! the scenario's decides the verdict on each requirement it is tagged with.

pub mod kizon;
mod world;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use renkei_fixtures::catalog::Catalogs;
use renkei_reports::{
    RUN_FORMAT, RequirementResult, Run, RunSummary, ScenarioResult, ScenarioStatus, StepResult,
    StepStatus, SutInfo, SutRole, Verdict,
};
use time::OffsetDateTime;

pub use world::{FaultTarget, Live, Plan, RunContext, World, gyomu_systems, rfc3339, shokuin};

use crate::requirements::RequirementCatalog;
use crate::steps::{self, Args, StepError};
use crate::suite::{Suite, SuiteScenario, TagExpr};
use crate::sut::SutAdapter;
use crate::sut::client::SutClient;

/// What `renkei run` was asked.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub suts: Vec<PathBuf>,
    /// A tag expression (`@ING-03 and not @遅い`).
    pub tags: Option<String>,
    /// Feature files to run instead of the built-in suite.
    pub features: Option<PathBuf>,
    /// Where systems' work folders and scenario files go.
    pub work_dir: PathBuf,
    /// Commands to use instead of each `sut.toml`'s `start.command` (by position), for `renkei
    /// demo`, which starts the reference vendor from the renkei executable itself.
    pub start_overrides: Vec<Option<Vec<String>>>,
    /// Told of each scenario as it starts and ends (`None`: nothing is shown); the command
    /// passes `renkei_reports::progress::Progress::terminal`.
    pub progress: Option<renkei_reports::progress::Progress>,
    /// Keep personal data in the evidence as the systems answered it (`--unmasked`). Otherwise
    /// the run is masked with `Run::mask` before it is returned (docs/reports.md).
    pub unmasked: bool,
}

/// Why a run could not happen at all (as opposed to finding nonconformities).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    SutFile(#[from] crate::sut::SutFileError),
    #[error("{0}")]
    Suite(#[from] crate::suite::SuiteError),
    #[error("{0}")]
    Tags(String),
    #[error("{0}")]
    Start(String),
    #[error("作業フォルダ {0}: {1}")]
    WorkDir(PathBuf, std::io::Error),
}

/// Runs the suite and returns the run model.
pub async fn run(options: &RunOptions) -> Result<Run, RunError> {
    let started_at = OffsetDateTime::now_utc().to_offset(renkei_fixtures::JST);
    let catalog = RequirementCatalog::embedded();
    let suite = match &options.features {
        Some(dir) => Suite::from_dir(dir)?,
        None => Suite::embedded()?,
    };
    let filter = options
        .tags
        .as_deref()
        .map(TagExpr::parse)
        .transpose()
        .map_err(RunError::Tags)?;
    let mut adapters = Vec::new();
    for path in &options.suts {
        adapters.push(SutAdapter::load(path)?);
    }
    std::fs::create_dir_all(&options.work_dir)
        .map_err(|e| RunError::WorkDir(options.work_dir.clone(), e))?;
    let work_dir = options
        .work_dir
        .canonicalize()
        .map_err(|e| RunError::WorkDir(options.work_dir.clone(), e))?;

    let mut suts = Vec::new();
    for (i, mut adapter) in adapters.into_iter().enumerate() {
        if let (Some(Some(command)), Some(start)) =
            (options.start_overrides.get(i), adapter.start.as_mut())
        {
            start.command = command
                .iter()
                .map(|a| {
                    crate::sut::template::Template::parse(a, &[crate::sut::template::RUN_NAMES])
                        .map_err(RunError::Start)
                })
                .collect::<Result<_, _>>()?;
        }
        let dir = work_dir.join(format!("sut-{}", i + 1));
        std::fs::create_dir_all(&dir).map_err(|e| RunError::WorkDir(dir.clone(), e))?;
        // The port is free when chosen but the system binds it later, and another process may
        // take it in between: a system that exits before it is ready gets two more ports.
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            let port =
                free_port().map_err(|e| RunError::Start(format!("空きポートがありません: {e}")))?;
            match SutClient::start(adapter.clone(), &dir, port).await {
                Ok(client) => break client,
                Err(problem) if attempt < 3 && problem.exited_early => continue,
                Err(problem) => return Err(RunError::Start(problem.to_string())),
            }
        };
        suts.push(client);
    }
    let sut_info: Vec<SutInfo> = suts
        .iter()
        .map(|s| SutInfo {
            name: s.adapter.name.clone(),
            version: s.adapter.version.clone(),
            vendor: s.adapter.vendor.clone(),
            roles: s
                .adapter
                .roles
                .iter()
                .map(|(role, dantai)| SutRole {
                    role: role.to_string(),
                    dantai: dantai.to_string(),
                })
                .collect(),
        })
        .collect();
    let ctx = Arc::new(RunContext {
        suts,
        catalogs: Catalogs::embedded(),
        requirements: catalog,
        work_dir,
        personal: std::sync::Mutex::new(renkei_reports::mask::Masker::new()),
    });

    let chosen: Vec<&SuiteScenario> = suite
        .scenarios
        .iter()
        .filter(|s| {
            // An area's name works as a tag too: `--tags @副本登録`.
            let mut tags = s.tags.clone();
            tags.push(s.area.to_string());
            filter.as_ref().is_none_or(|f| f.matches(&tags))
        })
        .collect();
    let mut results = Vec::new();
    for (i, scenario) in chosen.iter().enumerate() {
        if let Some(progress) = &options.progress {
            progress.report(renkei_reports::progress::ProgressEvent::ScenarioStarted {
                number: i + 1,
                total: chosen.len(),
                name: &scenario.name,
            });
        }
        let result = run_scenario(&ctx, i + 1, scenario).await;
        if let Some(progress) = &options.progress {
            progress.report(renkei_reports::progress::ProgressEvent::ScenarioFinished {
                number: i + 1,
                total: chosen.len(),
                scenario: &result,
            });
        }
        results.push(result);
    }

    let roles_played: Vec<crate::requirements::Role> = ctx
        .suts
        .iter()
        .flat_map(|s| s.adapter.roles.iter().map(|(r, _)| *r))
        .collect();
    let requirements: Vec<RequirementResult> = catalog
        .iter()
        .map(|r| {
            let id = r.id().as_str().to_owned();
            let mine: Vec<&ScenarioResult> = results
                .iter()
                .filter(|s| s.requirements.contains(&id))
                .collect();
            let verdict = if !roles_played.contains(&r.role()) {
                Verdict::NotApplicable
            } else if mine.is_empty() {
                Verdict::NotRun
            } else if mine.iter().any(|s| s.status == ScenarioStatus::Failed) {
                Verdict::Fail
            } else if mine.iter().any(|s| s.status == ScenarioStatus::Error) {
                Verdict::Error
            } else if mine
                .iter()
                .all(|s| s.status == ScenarioStatus::NotApplicable)
            {
                Verdict::NotApplicable
            } else {
                Verdict::Pass
            };
            RequirementResult {
                id,
                area: r.area().to_string(),
                title: r.title().to_owned(),
                source: r.source().to_owned(),
                verdict,
                scenarios: mine.iter().map(|s| s.number).collect(),
                not_judged: r.not_judged().map(str::to_owned),
            }
        })
        .collect();
    let count = |v: Verdict| requirements.iter().filter(|r| r.verdict == v).count();
    let scount = |s: ScenarioStatus| results.iter().filter(|r| r.status == s).count();
    let summary = RunSummary {
        requirements_pass: count(Verdict::Pass),
        requirements_fail: count(Verdict::Fail),
        requirements_error: count(Verdict::Error),
        requirements_not_applicable: count(Verdict::NotApplicable),
        requirements_not_run: count(Verdict::NotRun),
        scenarios_passed: scount(ScenarioStatus::Passed),
        scenarios_failed: scount(ScenarioStatus::Failed),
        scenarios_error: scount(ScenarioStatus::Error),
    };
    let ctx = Arc::into_inner(ctx).expect("every scenario's world is gone");
    for sut in ctx.suts {
        sut.stop().await;
    }
    let masker = ctx.personal.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut run = Run {
        format: RUN_FORMAT.to_owned(),
        renkei_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at,
        finished_at: OffsetDateTime::now_utc().to_offset(renkei_fixtures::JST),
        suts: sut_info,
        tags: options.tags.clone(),
        masked: false,
        summary,
        requirements,
        scenarios: results,
    };
    // Personal data leaves the run only when asked for (`--unmasked`): the residents of every
    // scenario, and whatever labelled fields the evidence holds (docs/reports.md).
    if !options.unmasked {
        run.mask(&masker);
    }
    Ok(run)
}

async fn run_scenario(
    ctx: &Arc<RunContext>,
    number: usize,
    scenario: &SuiteScenario,
) -> ScenarioResult {
    let started = Instant::now();
    let mut world = World::new(ctx.clone(), number, &scenario.feature, &scenario.name);
    let mut steps_out = Vec::new();
    let mut status = ScenarioStatus::Passed;
    for step in &scenario.steps {
        if status != ScenarioStatus::Passed {
            steps_out.push(StepResult {
                keyword: step.keyword.clone(),
                text: step.text.clone(),
                line: step.line,
                status: StepStatus::Skipped,
                message: None,
                duration_ms: 0,
                evidence: Vec::new(),
            });
            continue;
        }
        let step_started = Instant::now();
        let outcome = match steps::find(&step.text) {
            Err(message) => Err(StepError::Suite(message)),
            Ok((def, captures)) => {
                let args = Args {
                    captures,
                    table: step.table.clone(),
                    docstring: step.docstring.clone(),
                };
                (def.handler)(&mut world, args).await
            }
        };
        let (step_status, message) = match outcome {
            Ok(()) => (StepStatus::Passed, None),
            Err(StepError::Fail(m)) => {
                status = ScenarioStatus::Failed;
                (StepStatus::Failed, Some(m))
            }
            Err(StepError::Sut(p)) => {
                status = ScenarioStatus::Error;
                (StepStatus::Error, Some(p.to_string()))
            }
            Err(StepError::NotApplicable(role)) => {
                status = ScenarioStatus::NotApplicable;
                (
                    StepStatus::Skipped,
                    Some(format!("「{role}」を担うシステムがないため対象外です")),
                )
            }
            Err(StepError::Suite(m)) => {
                status = ScenarioStatus::Error;
                (
                    StepStatus::Error,
                    Some(format!("renkei の誤り (シナリオ): {m}")),
                )
            }
        };
        steps_out.push(StepResult {
            keyword: step.keyword.clone(),
            text: step.text.clone(),
            line: step.line,
            status: step_status,
            message,
            duration_ms: step_started.elapsed().as_millis() as u64,
            evidence: std::mem::take(&mut world.evidence),
        });
    }
    world.finish().await;
    ScenarioResult {
        number,
        feature: scenario.feature.clone(),
        feature_name: scenario.feature_name.clone(),
        area: scenario.area.to_string(),
        name: scenario.name.clone(),
        line: scenario.line,
        tags: scenario.tags.clone(),
        requirements: scenario.requirements(ctx.requirements),
        status,
        duration_ms: started.elapsed().as_millis() as u64,
        steps: steps_out,
    }
}

/// A free TCP port on loopback for the system under test, chosen below the kernel's ephemeral
/// range: the system binds it only later, and a port from the ephemeral range can meanwhile be
/// handed to any outgoing connection (the simulators and the system make many).
fn free_port() -> std::io::Result<u16> {
    let (low, _) = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut parts = text.split_whitespace().map(|p| p.parse::<u16>().ok());
            Some((parts.next()??, parts.next()??))
        })
        .unwrap_or((32768, 60999));
    let first = 10_000u16;
    if low > first + 1_000 {
        // Start somewhere different in each run, so parallel runs rarely meet.
        let span = u32::from(low - first);
        let seed = std::process::id().wrapping_mul(2_654_435_761)
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
        for i in 0..span {
            let port = first + ((seed.wrapping_add(i)) % span) as u16;
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return Ok(port);
            }
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
