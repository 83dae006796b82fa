//! The SUT adapter: a vendor's `sut.toml`, read and checked (docs/sut-adapter.md).
//!
//! [`SutAdapter::load`] turns the file into checked values — roles, start command, jobs and the
//! observation interface with their placeholders parsed — so that every mistake a vendor can make
//! in the file is reported at once, naming the key, before any scenario runs. [`client`] runs
//! what the file describes.

pub mod client;
pub mod config;
pub mod schema;
pub mod template;

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use renkei_fixtures::ids::DantaiCode;
use serde::Deserialize;

use crate::requirements::Role;
use template::{JOB_NAMES, OBSERVE_NAMES, RUN_NAMES, Template};

/// The jobs each role needs (docs/sut-adapter.md "役割").
pub fn required_jobs(role: Role) -> &'static [&'static str] {
    match role {
        Role::ShinseiKanri => &["reset", "torikomi", "shinsa"],
        Role::KizonJuki => &["reset", "juki_renkei", "honnin_kakunin"],
        Role::DantaiNaiTogoAtena => &["reset", "jumin_toroku", "fugou_shutoku"],
        Role::KizonGyomu => &[
            "reset",
            "fukuhon_touroku",
            "shoukai",
            "shoukai_kekka",
            "toriyame",
            "teikyou",
            "kiroku_henkou",
            "kiroku",
            "kikan_test",
            "toiawase",
            "setsuzoku_kakunin",
        ],
    }
}

/// Every job name renkei knows.
pub const KNOWN_JOBS: &[&str] = &[
    "reset",
    "torikomi",
    "shinsa",
    "juki_renkei",
    "honnin_kakunin",
    "jumin_toroku",
    "fugou_shutoku",
    "fukuhon_touroku",
    "shoukai",
    "shoukai_kekka",
    "toriyame",
    "teikyou",
    "kiroku_henkou",
    "kiroku",
    "kikan_test",
    "toiawase",
    "setsuzoku_kakunin",
];

/// A checked `sut.toml`.
#[derive(Debug, Clone)]
pub struct SutAdapter {
    /// The file it came from, for messages.
    pub path: String,
    pub name: String,
    pub version: String,
    pub vendor: Option<String>,
    pub roles: Vec<(Role, DantaiCode)>,
    pub start: Option<Start>,
    pub jobs: BTreeMap<String, Job>,
    pub observe: Observe,
}

/// How renkei starts the system.
#[derive(Debug, Clone)]
pub struct Start {
    pub command: Vec<Template>,
    pub env: BTreeMap<String, Template>,
    pub ready_url: Template,
    pub ready_timeout: Duration,
}

/// How renkei triggers one job.
#[derive(Debug, Clone)]
pub struct Job {
    pub name: String,
    pub how: JobHow,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub enum JobHow {
    Http {
        method: reqwest::Method,
        url: Template,
        headers: BTreeMap<String, Template>,
    },
    Command(Vec<Template>),
}

/// How renkei reads what the system holds.
#[derive(Debug, Clone)]
pub enum ObserveHow {
    Http(Template),
    Command(Vec<Template>),
}

#[derive(Debug, Clone)]
pub struct Observe {
    pub how: ObserveHow,
    pub timeout: Duration,
}

/// A `sut.toml` that cannot be used: every problem found, each naming its key.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct SutFileError {
    pub problems: Vec<String>,
}

// ---- the file as written ----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: u32,
    sut: RawSut,
    #[serde(default)]
    roles: Vec<RawRole>,
    start: Option<RawStart>,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    jobs: BTreeMap<String, RawJob>,
    observe: Option<RawObserve>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSut {
    name: String,
    version: String,
    vendor: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    role: String,
    dantai: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStart {
    command: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    ready_url: String,
    ready_timeout: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    timeout: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    http: Option<RawHttp>,
    command: Option<Vec<String>>,
    timeout: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObserve {
    base_url: Option<String>,
    command: Option<Vec<String>>,
    timeout: Option<String>,
}

/// Parses `500ms`, `30s`, `2m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("「{text}」は期間ではありません (500ms、30s、2m の形で書きます)");
    let (digits, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map(|i| text.split_at(i))
        .ok_or_else(bad)?;
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => return Err(bad()),
    };
    if duration.is_zero() || duration > Duration::from_secs(3600) {
        return Err(format!("「{text}」: 期間は 1ms から 60m までです"));
    }
    Ok(duration)
}

impl SutAdapter {
    /// Reads and checks a `sut.toml`.
    pub fn load(path: &Path) -> Result<Self, SutFileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SutFileError {
            problems: vec![format!("{shown}: 読めません: {e}")],
        })?;
        Self::parse(&shown, &text)
    }

    /// Checks the text of a `sut.toml`; `shown` names it in messages.
    pub fn parse(shown: &str, text: &str) -> Result<Self, SutFileError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| SutFileError {
            problems: vec![describe_toml_error(shown, text, &e)],
        })?;
        let mut problems = Vec::new();
        let mut problem =
            |key: &str, message: String| problems.push(format!("{shown}: {key}: {message}"));

        if raw.format != 1 {
            problem(
                "format",
                format!("{} は知らない版です (今は 1)", raw.format),
            );
        }
        for (key, value) in [
            ("sut.name", &raw.sut.name),
            ("sut.version", &raw.sut.version),
        ] {
            if value.trim().is_empty() {
                problem(key, "空です".into());
            }
        }
        if raw.roles.is_empty() {
            problem(
                "roles",
                "役割が1つもありません ([[roles]] を1つ以上書きます)".into(),
            );
        }
        let mut roles = Vec::new();
        for (i, r) in raw.roles.iter().enumerate() {
            let role = Role::from_str(&r.role);
            let dantai = DantaiCode::from_str(&r.dantai);
            match (&role, &dantai) {
                (Err(e), _) => problem(&format!("roles[{i}].role"), e.to_string()),
                (_, Err(e)) => problem(&format!("roles[{i}].dantai"), e.to_string()),
                (Ok(role), Ok(dantai)) => {
                    if roles.contains(&(*role, *dantai)) {
                        problem(
                            &format!("roles[{i}]"),
                            format!("{role} ({dantai}) を2度書いています"),
                        );
                    }
                    roles.push((*role, *dantai));
                }
            }
        }

        let run_scope: &[&[&str]] = &[RUN_NAMES];
        let job_scope: &[&[&str]] = &[RUN_NAMES, JOB_NAMES];
        let observe_scope: &[&[&str]] = &[RUN_NAMES, OBSERVE_NAMES];
        let template = |key: String, source: &str, scope: &[&[&str]]| {
            Template::parse(source, scope).map_err(|m| format!("{shown}: {key}: {m}"))
        };
        let mut template_problems = Vec::new();
        let mut keep = |r: Result<Template, String>| match r {
            Ok(t) => Some(t),
            Err(p) => {
                template_problems.push(p);
                None
            }
        };

        let default_timeout = match raw.defaults.timeout.as_deref().map(parse_duration) {
            None => Duration::from_secs(60),
            Some(Ok(d)) => d,
            Some(Err(m)) => {
                problem("defaults.timeout", m);
                Duration::from_secs(60)
            }
        };

        let start = raw.start.as_ref().map(|s| {
            if s.command.is_empty() {
                problem(
                    "start.command",
                    "空です (起動するコマンドを書きます)".into(),
                );
            }
            let ready_timeout = match s.ready_timeout.as_deref().map(parse_duration) {
                None => Duration::from_secs(30),
                Some(Ok(d)) => d,
                Some(Err(m)) => {
                    problem("start.ready_timeout", m);
                    Duration::from_secs(30)
                }
            };
            let command = s
                .command
                .iter()
                .enumerate()
                .filter_map(|(i, a)| keep(template(format!("start.command[{i}]"), a, run_scope)))
                .collect();
            let env = s
                .env
                .iter()
                .filter_map(|(k, v)| {
                    keep(template(format!("start.env.{k}"), v, run_scope)).map(|t| (k.clone(), t))
                })
                .collect();
            let ready_url = keep(template("start.ready_url".into(), &s.ready_url, run_scope));
            (command, env, ready_url, ready_timeout)
        });

        let mut jobs = BTreeMap::new();
        for (name, job) in &raw.jobs {
            let key = format!("jobs.{name}");
            if !KNOWN_JOBS.contains(&name.as_str()) {
                problem(
                    &key,
                    format!(
                        "知らないジョブです (renkei が呼ぶもの: {})",
                        KNOWN_JOBS.join(", ")
                    ),
                );
                continue;
            }
            let timeout = match job.timeout.as_deref().map(parse_duration) {
                None => default_timeout,
                Some(Ok(d)) => d,
                Some(Err(m)) => {
                    problem(&format!("{key}.timeout"), m);
                    default_timeout
                }
            };
            let how = match (&job.http, &job.command) {
                (Some(_), Some(_)) | (None, None) => {
                    problem(&key, "http と command のどちらか1つを書きます".into());
                    continue;
                }
                (Some(http), None) => {
                    let method = match http.method.as_str() {
                        "GET" => reqwest::Method::GET,
                        "POST" => reqwest::Method::POST,
                        "PUT" => reqwest::Method::PUT,
                        other => {
                            problem(
                                &format!("{key}.http.method"),
                                format!("「{other}」: GET、POST、PUT のどれかです"),
                            );
                            continue;
                        }
                    };
                    let url = keep(template(format!("{key}.http.url"), &http.url, job_scope));
                    let headers = http
                        .headers
                        .iter()
                        .filter_map(|(k, v)| {
                            keep(template(format!("{key}.http.headers.{k}"), v, job_scope))
                                .map(|t| (k.clone(), t))
                        })
                        .collect();
                    match url {
                        Some(url) => JobHow::Http {
                            method,
                            url,
                            headers,
                        },
                        None => continue,
                    }
                }
                (None, Some(command)) => {
                    if command.is_empty() {
                        problem(&format!("{key}.command"), "空です".into());
                        continue;
                    }
                    JobHow::Command(
                        command
                            .iter()
                            .enumerate()
                            .filter_map(|(i, a)| {
                                keep(template(format!("{key}.command[{i}]"), a, job_scope))
                            })
                            .collect(),
                    )
                }
            };
            jobs.insert(
                name.clone(),
                Job {
                    name: name.clone(),
                    how,
                    timeout,
                },
            );
        }

        let observe = match &raw.observe {
            None => {
                problem(
                    "observe",
                    "ありません (一括取込インターフェースの base_url か command を書きます)".into(),
                );
                None
            }
            Some(o) => {
                let timeout = match o.timeout.as_deref().map(parse_duration) {
                    None => Duration::from_secs(10),
                    Some(Ok(d)) => d,
                    Some(Err(m)) => {
                        problem("observe.timeout", m);
                        Duration::from_secs(10)
                    }
                };
                match (&o.base_url, &o.command) {
                    (Some(url), None) => keep(template("observe.base_url".into(), url, run_scope))
                        .map(|t| Observe {
                            how: ObserveHow::Http(t),
                            timeout,
                        }),
                    (None, Some(command)) if !command.is_empty() => Some(Observe {
                        how: ObserveHow::Command(
                            command
                                .iter()
                                .enumerate()
                                .filter_map(|(i, a)| {
                                    keep(template(
                                        format!("observe.command[{i}]"),
                                        a,
                                        observe_scope,
                                    ))
                                })
                                .collect(),
                        ),
                        timeout,
                    }),
                    _ => {
                        problem(
                            "observe",
                            "base_url と command のどちらか1つを書きます".into(),
                        );
                        None
                    }
                }
            }
        };

        // Every role named, even one whose 団体 is wrong: all the mistakes are told at once.
        let named: std::collections::BTreeSet<Role> = raw
            .roles
            .iter()
            .filter_map(|r| Role::from_str(&r.role).ok())
            .collect();
        for role in &named {
            for job in required_jobs(*role) {
                if !jobs.contains_key(*job) {
                    problem(
                        "jobs",
                        format!("役割「{role}」に要るジョブ「{job}」がありません"),
                    );
                }
            }
        }

        problems.extend(template_problems);
        let start = match start {
            Some((command, env, Some(ready_url), ready_timeout)) => Some(Start {
                command,
                env,
                ready_url,
                ready_timeout,
            }),
            _ => None,
        };
        if !problems.is_empty() {
            return Err(SutFileError { problems });
        }
        Ok(SutAdapter {
            path: shown.to_owned(),
            name: raw.sut.name,
            version: raw.sut.version,
            vendor: raw.sut.vendor,
            roles,
            start,
            jobs,
            observe: observe.expect("checked above"),
        })
    }

    /// Whether the system plays `role` for some 団体.
    pub fn plays(&self, role: Role) -> Option<DantaiCode> {
        self.roles.iter().find(|(r, _)| *r == role).map(|(_, d)| *d)
    }

    /// Whether the system plays `role` for `dantai`.
    pub fn plays_for(&self, role: Role, dantai: DantaiCode) -> bool {
        self.roles.iter().any(|(r, d)| *r == role && *d == dantai)
    }
}

/// A TOML syntax or shape error with the line and column it points at.
fn describe_toml_error(shown: &str, text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().to_owned();
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count() + 1)
                .unwrap_or(1);
            format!("{shown}:{line}:{column}: {message}")
        }
        None => format!("{shown}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
format = 1
[sut]
name = "テスト"
version = "1"
[[roles]]
role = "申請管理システム"
dantai = "131016"
[jobs.reset]
http = { method = "POST", url = "http://127.0.0.1:{sut_port}/reset" }
[jobs.torikomi]
command = ["tool", "torikomi", "--config", "{config}"]
[jobs.shinsa]
command = ["tool", "shinsa", "{uketsuke_bango}", "{shinsa_status}"]
timeout = "5s"
[observe]
base_url = "http://127.0.0.1:{sut_port}/renkei/v1"
"#;

    #[test]
    fn reads_a_minimal_file() {
        let sut = SutAdapter::parse("sut.toml", MINIMAL).unwrap();
        assert_eq!(sut.name, "テスト");
        assert_eq!(sut.roles.len(), 1);
        assert_eq!(sut.jobs["shinsa"].timeout, Duration::from_secs(5));
        assert_eq!(sut.jobs["torikomi"].timeout, Duration::from_secs(60));
    }

    #[test]
    fn names_every_problem_with_its_key() {
        let text = MINIMAL
            .replace("131016", "131017")
            .replace("{sut_port}/reset", "{sut-port}/reset")
            .replace("[jobs.shinsa]", "[jobs.shinsaa]");
        let err = SutAdapter::parse("sut.toml", &text).unwrap_err();
        let all = err.to_string();
        assert!(all.contains("roles[0].dantai"), "{all}");
        assert!(
            all.contains("jobs.reset.http.url") && all.contains("{sut-port}"),
            "{all}"
        );
        assert!(all.contains("jobs.shinsaa: 知らないジョブ"), "{all}");
    }

    #[test]
    fn missing_jobs_of_a_role_are_named() {
        let text = MINIMAL.replace("role = \"申請管理システム\"", "role = \"既存住基システム\"");
        let err = SutAdapter::parse("sut.toml", &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ジョブ「juki_renkei」がありません"), "{err}");
        assert!(
            err.contains("ジョブ「honnin_kakunin」がありません"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let err = SutAdapter::parse("sut.toml", "format = 1\n[sut\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("sut.toml:2:"), "{err}");
        let err = SutAdapter::parse(
            "sut.toml",
            &MINIMAL.replace("[observe]", "[observe]\nbase = 1"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("base"), "{err}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("1h").is_err());
    }
}
