//! Runs what a `sut.toml` describes: starts the system, triggers its jobs, reads its
//! observation interface — and tells a system that does not answer apart from one that answers
//! wrongly (docs/sut-adapter.md "結果の扱い").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use super::template::Template;
use super::{JobHow, ObserveHow, SutAdapter};

/// The most of a body or stderr kept as evidence.
const KEEP: usize = 4 * 1024;

/// Why a system could not be judged (判定不能), as opposed to judged wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SutProblem {
    pub kind: ProblemKind,
    /// Japanese, for the report.
    pub message: String,
    /// A started system that exited before it was ready (the runner tries another port).
    pub exited_early: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// SUT応答なし: no answer before the deadline, or no connection.
    NoAnswer,
    /// SUTエラー: a job answered non-2xx / exited non-zero.
    JobFailed,
    /// SUT応答不正: an observation that is not the documented JSON.
    Malformed,
    /// ジョブ未定義: a scenario needs a job the file does not declare.
    MissingJob,
    /// The system could not be started.
    StartFailed,
}

impl ProblemKind {
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::NoAnswer => "SUT応答なし",
            ProblemKind::JobFailed => "SUTエラー",
            ProblemKind::Malformed => "SUT応答不正",
            ProblemKind::MissingJob => "ジョブ未定義",
            ProblemKind::StartFailed => "SUT起動失敗",
        }
    }
}

impl std::fmt::Display for SutProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.label(), self.message)
    }
}

/// How a job ended, when the system answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// 2xx / exit 0.
    Done { detail: String },
    /// `shinsa` refused a staff action: 409 / exit 9.
    Refused { detail: String },
}

/// What an observation found.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    Found(Value),
    /// 404 / exit 4.
    NotFound,
}

/// A system under test, started or reached.
pub struct SutClient {
    pub adapter: SutAdapter,
    http: reqwest::Client,
    work_dir: PathBuf,
    run_values: BTreeMap<&'static str, String>,
    process: Option<Child>,
}

impl SutClient {
    /// Starts the system if the file says how, and waits until it is ready.
    pub async fn start(
        adapter: SutAdapter,
        work_dir: &Path,
        sut_port: u16,
    ) -> Result<Self, SutProblem> {
        let http = reqwest::Client::builder()
            // The system's own endpoints are reached directly, whatever http_proxy says.
            .no_proxy()
            .build()
            .map_err(|e| SutProblem {
                exited_early: false,
                kind: ProblemKind::StartFailed,
                message: format!("HTTP クライアントを作れません: {e}"),
            })?;
        let run_values = BTreeMap::from([
            ("sut_port", sut_port.to_string()),
            ("work_dir", work_dir.display().to_string()),
        ]);
        let mut client = SutClient {
            adapter,
            http,
            work_dir: work_dir.to_owned(),
            run_values,
            process: None,
        };
        if let Some(start) = client.adapter.start.clone() {
            let args: Vec<String> = start
                .command
                .iter()
                .map(|t| t.render(&client.run_values, false))
                .collect();
            let mut command = Command::new(&args[0]);
            command
                .args(&args[1..])
                .current_dir(work_dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(
                    std::fs::File::create(work_dir.join("sut-stderr.log")).map_err(|e| {
                        SutProblem {
                            exited_early: false,
                            kind: ProblemKind::StartFailed,
                            message: format!("{} に書けません: {e}", work_dir.display()),
                        }
                    })?,
                ))
                .kill_on_drop(true);
            for (key, value) in &start.env {
                command.env(key, value.render(&client.run_values, false));
            }
            let child = command.spawn().map_err(|e| SutProblem {
                exited_early: false,
                kind: ProblemKind::StartFailed,
                message: format!("「{}」を起動できません: {e}", args.join(" ")),
            })?;
            client.process = Some(child);
            let url = start.ready_url.render(&client.run_values, false);
            client.wait_ready(&url, start.ready_timeout).await?;
        }
        Ok(client)
    }

    /// Polls `url` until it answers 2xx, the process exits, or the deadline passes.
    async fn wait_ready(&mut self, url: &str, deadline: Duration) -> Result<(), SutProblem> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            if let Some(child) = self.process.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let stderr = std::fs::read_to_string(self.work_dir.join("sut-stderr.log"))
                    .unwrap_or_default();
                return Err(SutProblem {
                    exited_early: true,
                    kind: ProblemKind::StartFailed,
                    message: format!(
                        "起動したシステムが準備の前に終わりました ({status}): {}",
                        keep(&stderr)
                    ),
                });
            }
            if let Ok(response) = self
                .http
                .get(url)
                .timeout(Duration::from_secs(2))
                .send()
                .await
                && response.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() >= deadline {
                return Err(SutProblem {
                    exited_early: false,
                    kind: ProblemKind::StartFailed,
                    message: format!(
                        "{url} が {} 秒のうちに準備完了になりません",
                        deadline.as_secs()
                    ),
                });
            }
            // The system is starting: a condition with a deadline, polled with a growing pause.
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// Triggers a job and waits for it to finish.
    pub async fn job(
        &self,
        name: &str,
        config: &Path,
        scenario: usize,
        params: &[(&'static str, Value)],
    ) -> Result<JobOutcome, SutProblem> {
        let Some(job) = self.adapter.jobs.get(name) else {
            return Err(SutProblem {
                exited_early: false,
                kind: ProblemKind::MissingJob,
                message: format!("{} にジョブ「{name}」がありません", self.adapter.path),
            });
        };
        let mut values = self.run_values.clone();
        values.insert("config", config.display().to_string());
        values.insert("scenario", scenario.to_string());
        for (key, value) in params {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            values.insert(key, text);
        }
        let body = serde_json::json!({
            "job": name,
            "config": config.display().to_string(),
            "params": params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<serde_json::Map<_, _>>(),
        });
        let refusable = name == "shinsa";
        match &job.how {
            JobHow::Http {
                method,
                url,
                headers,
            } => {
                let url = url.render(&values, true);
                let mut request = self
                    .http
                    .request(method.clone(), &url)
                    .timeout(job.timeout)
                    .json(&body);
                for (key, value) in headers {
                    request = request.header(key, value.render(&values, false));
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| no_answer(name, &url, job.timeout, &e))?;
                let status = response.status();
                let text = response
                    .text()
                    .await
                    .map_err(|e| no_answer(name, &url, job.timeout, &e))?;
                if status.is_success() {
                    Ok(JobOutcome::Done {
                        detail: format!("{status}: {}", keep(&text)),
                    })
                } else if refusable && status == reqwest::StatusCode::CONFLICT {
                    Ok(JobOutcome::Refused {
                        detail: format!("{status}: {}", keep(&text)),
                    })
                } else {
                    Err(SutProblem {
                        exited_early: false,
                        kind: ProblemKind::JobFailed,
                        message: format!(
                            "ジョブ「{name}」({url}) が {status} で答えました: {}",
                            keep(&text)
                        ),
                    })
                }
            }
            JobHow::Command(args) => {
                let (code, stdout, stderr) = self
                    .command(name, args, &values, &body, job.timeout)
                    .await?;
                match code {
                    0 => Ok(JobOutcome::Done {
                        detail: keep(&stdout),
                    }),
                    9 if refusable => Ok(JobOutcome::Refused {
                        detail: keep(&stderr),
                    }),
                    code => Err(SutProblem {
                        exited_early: false,
                        kind: ProblemKind::JobFailed,
                        message: format!(
                            "ジョブ「{name}」が終了コード {code} で終わりました: {}",
                            keep(&stderr)
                        ),
                    }),
                }
            }
        }
    }

    /// Reads `path` (`shinsei`, `tsuchi`, …) of the observation interface.
    pub async fn observe(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Observed, SutProblem> {
        let timeout = self.adapter.observe.timeout;
        let query_text = query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    super::template::percent_encode(k),
                    super::template::percent_encode(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let (text, what) = match &self.adapter.observe.how {
            ObserveHow::Http(base) => {
                let base = base.render(&self.run_values, false);
                let url = if query_text.is_empty() {
                    format!("{}/{path}", base.trim_end_matches('/'))
                } else {
                    format!("{}/{path}?{query_text}", base.trim_end_matches('/'))
                };
                let response = self
                    .http
                    .get(&url)
                    .timeout(timeout)
                    .send()
                    .await
                    .map_err(|e| no_answer("一括取込", &url, timeout, &e))?;
                let status = response.status();
                if status == reqwest::StatusCode::NOT_FOUND {
                    return Ok(Observed::NotFound);
                }
                let text = response
                    .text()
                    .await
                    .map_err(|e| no_answer("一括取込", &url, timeout, &e))?;
                if !status.is_success() {
                    return Err(SutProblem {
                        exited_early: false,
                        kind: ProblemKind::Malformed,
                        message: format!("GET {url} が {status} で答えました: {}", keep(&text)),
                    });
                }
                (text, format!("GET {url}"))
            }
            ObserveHow::Command(args) => {
                let mut values = self.run_values.clone();
                values.insert("path", path.to_owned());
                values.insert("query", query_text.clone());
                let (code, stdout, stderr) = self
                    .command("一括取込", args, &values, &Value::Null, timeout)
                    .await?;
                match code {
                    0 => (stdout, format!("一括取込 {path}?{query_text}")),
                    4 => return Ok(Observed::NotFound),
                    code => {
                        return Err(SutProblem {
                            exited_early: false,
                            kind: ProblemKind::Malformed,
                            message: format!(
                                "一括取込のコマンドが終了コード {code} で終わりました: {}",
                                keep(&stderr)
                            ),
                        });
                    }
                }
            }
        };
        serde_json::from_str(&text)
            .map(Observed::Found)
            .map_err(|e| SutProblem {
                exited_early: false,
                kind: ProblemKind::Malformed,
                message: format!("{what} の答えが JSON ではありません ({e}): {}", keep(&text)),
            })
    }

    /// Runs a command with the JSON `input` on stdin; `(exit code, stdout, stderr)`.
    async fn command(
        &self,
        name: &str,
        args: &[Template],
        values: &BTreeMap<&'static str, String>,
        input: &Value,
        timeout: Duration,
    ) -> Result<(i32, String, String), SutProblem> {
        let args: Vec<String> = args.iter().map(|t| t.render(values, false)).collect();
        let mut child = Command::new(&args[0])
            .args(&args[1..])
            .current_dir(&self.work_dir)
            .env(
                "RENKEI_CONFIG",
                values.get("config").cloned().unwrap_or_default(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| SutProblem {
                exited_early: false,
                kind: ProblemKind::NoAnswer,
                message: format!("{name}: 「{}」を起動できません: {e}", args.join(" ")),
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            let bytes = if input.is_null() {
                Vec::new()
            } else {
                input.to_string().into_bytes()
            };
            // A command that does not read its input closes the pipe: not an error.
            let _ = stdin.write_all(&bytes).await;
        }
        match tokio::time::timeout(timeout, child.wait_with_output()).await {
            Err(_) => Err(SutProblem {
                exited_early: false,
                kind: ProblemKind::NoAnswer,
                message: format!(
                    "{name}: 「{}」が {} 秒のうちに終わりません",
                    args.join(" "),
                    timeout.as_secs_f32()
                ),
            }),
            Ok(Err(e)) => Err(SutProblem {
                exited_early: false,
                kind: ProblemKind::NoAnswer,
                message: format!("{name}: 「{}」を待てません: {e}", args.join(" ")),
            }),
            Ok(Ok(output)) => Ok((
                output.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )),
        }
    }

    /// Stops a system renkei started: SIGTERM, then kill after 5 s.
    pub async fn stop(mut self) {
        let Some(mut child) = self.process.take() else {
            return;
        };
        #[cfg(unix)]
        if let Some(pid) = child.id() {
            // SAFETY-free: `kill` the command; a failure means it is already gone.
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
}

fn no_answer(name: &str, url: &str, timeout: Duration, error: &reqwest::Error) -> SutProblem {
    let why = if error.is_timeout() {
        format!("{} 秒のうちに答えません", timeout.as_secs_f32())
    } else if error.is_connect() {
        "つながりません".to_owned()
    } else {
        format!("答えを受け取れません ({error})")
    };
    SutProblem {
        exited_early: false,
        kind: ProblemKind::NoAnswer,
        message: format!("{name} ({url}) が{why}"),
    }
}

/// The first [`KEEP`] bytes of `text`, cut at a character boundary.
fn keep(text: &str) -> String {
    if text.len() <= KEEP {
        return text.to_owned();
    }
    let mut cut = KEEP;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}
