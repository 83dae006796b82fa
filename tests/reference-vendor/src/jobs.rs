//! ジョブ: renkei が決まった時に起動する、このシステムの仕事 (docs/sut-adapter.md「ジョブ」)。
//!
//! 本文は `{"job": …, "config": 設定ファイルのパス, "params": {…}}`。どのジョブも**やり終えてから**答えます。
//! シミュレーターに断られた (時間外、壊れた申請ZIP など) のはジョブの失敗ではないので 200 で答え、
//! このシステム自身が走れなかったときだけ 500 で答えます。職員の操作を断ったときは 409 です。

use crate::app::App;
use crate::config::RenkeiConfig;
use crate::error::{Error, Result};
use crate::fugou;
use crate::jst;
use crate::juki;
use crate::master;
use crate::pittari::{Client, Session};
use crate::shinsa::{self, Outcome};
use crate::torikomi;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// ジョブの本文。
#[derive(Debug, Default, Deserialize)]
pub struct JobRequest {
    #[serde(default)]
    pub job: Option<String>,
    #[serde(default)]
    pub config: Option<String>,
    #[serde(default)]
    pub params: serde_json::Map<String, Value>,
}

/// ジョブの答え: HTTP の状態と JSON。
pub struct JobAnswer {
    pub status: u16,
    pub body: Value,
}

impl JobAnswer {
    fn done(body: Value) -> JobAnswer {
        JobAnswer { status: 200, body }
    }

    fn failed(status: u16, message: impl Into<String>) -> JobAnswer {
        let message = message.into();
        eprintln!("reference-vendor: ジョブが失敗しました ({status}): {message}");
        JobAnswer {
            status,
            body: json!({ "error": message }),
        }
    }
}

/// ジョブ名 (`juki-renkei` と `juki_renkei` のどちらでも) を実行します。
pub async fn run(app: &App, name: &str, request: JobRequest) -> JobAnswer {
    let name = name.replace('-', "_");
    let result = match name.as_str() {
        "reset" => reset(app, &request).await,
        "torikomi" => torikomi(app, &request).await,
        "shinsa" => shinsa(app, &request).await,
        "juki_renkei" => juki_renkei(app, &request).await,
        "honnin_kakunin" => honnin_kakunin(app, &request).await,
        "jumin_toroku" => jumin_toroku(app, &request).await,
        "fugou_shutoku" => fugou_shutoku(app, &request).await,
        other => {
            return JobAnswer::failed(
                404,
                format!(
                    "ジョブ「{other}」はありません (reset, torikomi, shinsa, juki_renkei, honnin_kakunin, jumin_toroku, fugou_shutoku)"
                ),
            );
        }
    };
    result.unwrap_or_else(|e| JobAnswer::failed(500, e.0))
}

fn resolve(base: &Path, path: &str) -> PathBuf {
    let p = PathBuf::from(path);
    if p.is_absolute() { p } else { base.join(p) }
}

/// `reset`: それまでのデータをすべて捨て、設定ファイルを読み直し、住民記録ファイルを住基マスタとして取り込む。
async fn reset(app: &App, request: &JobRequest) -> Result<JobAnswer> {
    let Some(path) = request.config.as_deref() else {
        return Ok(JobAnswer::failed(
            400,
            "reset には config (設定ファイルのパス) が要ります",
        ));
    };
    let path = PathBuf::from(path);
    let config = RenkeiConfig::load(&path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let now = jst::parse(&config.now).map(jst::format)?;
    let master_path = resolve(base, &config.juki_master.path);
    let people = master::load(&master_path, &now)?;
    let tougou = master::load_tougou(&master_path)?;

    let mut state = app.jobs.lock().await;
    state.pittari = None;
    {
        let mut store = app.store();
        store.wipe()?;
        store.replace_atena(&people)?;
        store.replace_tougou(&tougou)?;
        app.note_now(&mut store, &now)?;
    }
    app.set_config(config)?;
    Ok(JobAnswer::done(
        json!({ "job": "reset", "jumin": people.len() }),
    ))
}

/// いまの設定。reset の前なら本文の config から読みます。
fn current_config(app: &App, request: &JobRequest) -> Result<Arc<RenkeiConfig>> {
    if let Some(config) = app.config() {
        return Ok(config);
    }
    let path = request
        .config
        .as_deref()
        .ok_or_else(|| Error::new("設定がありません: 先に reset を呼んでください".to_owned()))?;
    app.set_config(RenkeiConfig::load(Path::new(path))?)
}

fn session<'a>(
    app: &App,
    state: &'a mut crate::app::JobState,
    config: &RenkeiConfig,
) -> Result<&'a mut Session> {
    if state.pittari.is_none() {
        let client = Client::new(&config.pittari, app.seeded)?;
        state.pittari = Some(Session::new(client, app.seeded));
    }
    state
        .pittari
        .as_mut()
        .ok_or_else(|| Error::new("ダウンロード API のクライアントを作れません".to_owned()))
}

async fn torikomi(app: &App, request: &JobRequest) -> Result<JobAnswer> {
    let config = current_config(app, request)?;
    let mut state = app.jobs.lock().await;
    let session = session(app, &mut state, &config)?;
    let report = torikomi::run(app, &config, session).await?;
    Ok(JobAnswer::done(
        json!({ "job": "torikomi", "report": report }),
    ))
}

fn param<'a>(request: &'a JobRequest, name: &str) -> Result<&'a str> {
    request
        .params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::new(format!("params.{name} がありません")))
}

async fn shinsa(app: &App, request: &JobRequest) -> Result<JobAnswer> {
    let config = current_config(app, request)?;
    let (uketsuke_bango, status, shokuin) = match (
        param(request, "uketsuke_bango"),
        param(request, "shinsa_status"),
        param(request, "shokuin"),
    ) {
        (Ok(u), Ok(s), Ok(k)) => (u, s, k),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Ok(JobAnswer::failed(400, e.0)),
    };
    let mut state = app.jobs.lock().await;
    let session = session(app, &mut state, &config)?;
    Ok(
        match shinsa::shinsa(app, &config, session, uketsuke_bango, status, shokuin).await? {
            Outcome::Changed { reported } => JobAnswer::done(
                json!({ "job": "shinsa", "shinsa_status": status, "reported": reported }),
            ),
            Outcome::Refused(why) => JobAnswer {
                status: 409,
                body: json!({ "error": why }),
            },
        },
    )
}

async fn juki_renkei(app: &App, request: &JobRequest) -> Result<JobAnswer> {
    let config = current_config(app, request)?;
    let _state = app.jobs.lock().await;
    let applied = juki::renkei(app, &config).await?;
    Ok(JobAnswer::done(
        json!({ "job": "juki_renkei", "last_file": applied }),
    ))
}

async fn honnin_kakunin(app: &App, request: &JobRequest) -> Result<JobAnswer> {
    let config = current_config(app, request)?;
    // 文書は文字列の配列と言い、プレースホルダー {juminhyo_codes} はカンマでつなぎます。どちらも受け付けます。
    let codes: Vec<String> = match request.params.get("juminhyo_codes") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => {
            return Ok(JobAnswer::failed(
                400,
                "params.juminhyo_codes (住民票コードの配列) がありません",
            ));
        }
    };
    let _state = app.jobs.lock().await;
    let updated = juki::honnin_kakunin(app, &config, &codes).await?;
    Ok(JobAnswer::done(
        json!({ "job": "honnin_kakunin", "updated": updated }),
    ))
}

/// `jumin_toroku` (団体内統合宛名システム): 転入などで増えた住民を住民記録に加える (params: path)。
async fn jumin_toroku(app: &App, request: &JobRequest) -> Result<JobAnswer> {
    let config = current_config(app, request)?;
    let path = match param(request, "path") {
        Ok(p) => p,
        Err(e) => return Ok(JobAnswer::failed(400, e.0)),
    };
    // 文書は絶対パスと言います。相対パスなら設定ファイルのフォルダから読みます。
    let base = request
        .config
        .as_deref()
        .and_then(|c| Path::new(c).parent())
        .unwrap_or(Path::new("."));
    let path = resolve(base, path);
    let _state = app.jobs.lock().await;
    let done = fugou::jumin_toroku(app, &config, &path).await?;
    Ok(JobAnswer::done(
        json!({ "job": "jumin_toroku", "jumin": done.jumin, "added": done.added }),
    ))
}

/// `fugou_shutoku` (団体内統合宛名システム): 符号取得を1回。
async fn fugou_shutoku(app: &App, request: &JobRequest) -> Result<JobAnswer> {
    let config = current_config(app, request)?;
    let _state = app.jobs.lock().await;
    let report = fugou::shutoku(app, &config).await?;
    Ok(JobAnswer::done(
        json!({ "job": "fugou_shutoku", "report": report }),
    ))
}
