//! ジョブ: renkei が決まった時に起動する、このシステムの仕事 (docs/sut-adapter.md「ジョブ」)。
//!
//! 本文は `{"job": …, "config": 設定ファイルのパス, "params": {…}}`。どのジョブも**やり終えてから**答えます。
//! シミュレーターに断られた (時間外、壊れた申請ZIP など) のはジョブの失敗ではないので 200 で答え、
//! このシステム自身が走れなかったときだけ 500 で答えます。職員の操作を断ったときは 409 です。

use crate::app::App;
use crate::chukan::client::ClientIdentity;
use crate::config::RenkeiConfig;
use crate::defects::DefectKind;
use crate::error::{Error, Result};
use crate::fugou;
use crate::jst;
use crate::juki;
use crate::kizon::{self, Ctx, irai::Irai};
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
        "fukuhon_touroku" | "shoukai" | "shoukai_kekka" | "toriyame" | "teikyou"
        | "kiroku_henkou" | "kiroku" | "kikan_test" | "setsuzoku_kakunin" => {
            kizon(app, &name, &request).await
        }
        "toiawase" => toiawase(app, &request).await,
        other => {
            return JobAnswer::failed(
                404,
                format!(
                    "ジョブ「{other}」はありません (reset, torikomi, shinsa, juki_renkei, honnin_kakunin, jumin_toroku, fugou_shutoku, fukuhon_touroku, shoukai, shoukai_kekka, toriyame, teikyou, kiroku_henkou, kiroku, kikan_test, toiawase, setsuzoku_kakunin)"
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
    if app.seeded.has(DefectKind::TlsCertCached) {
        // 不具合: 中間サーバーへのクライアント証明書と鍵をここで一度だけ読み、シナリオの間ずっと使う。
        app.set_tls_at_reset(
            config
                .chukan
                .as_ref()
                .and_then(|c| ClientIdentity::read(c).ok()),
        );
    }
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

/// いまの設定: ジョブのたびに本文の config のファイルを読み直します (renkei はシナリオの途中で同じパスの
/// ファイルを書き換えることがあるため。移行リハーサルで中間サーバーの接続先が変わる、docs/sut-adapter.md
/// 「renkei-config.json」)。本文に config がなければ、最後に読んだ設定を使います。
fn current_config(app: &App, request: &JobRequest) -> Result<Arc<RenkeiConfig>> {
    let cached = app.config();
    if let Some(config) = &cached
        && app.seeded.has(DefectKind::OldAddressKept)
    {
        // 不具合: 設定ファイルは reset のときに読んだきりで、読み直さない (接続先が変わっても旧い接続先に送る)。
        return Ok(config.clone());
    }
    match (request.config.as_deref(), cached) {
        (Some(path), _) => app.set_config(RenkeiConfig::load(Path::new(path))?),
        (None, Some(config)) => Ok(config),
        (None, None) => Err(Error::new(
            "設定がありません: 先に reset を呼んでください".to_owned(),
        )),
    }
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

/// 既存業務システムのジョブ (docs/kizon-gyomu.md「ジョブ」): `fukuhon_touroku`、`shoukai`、`shoukai_kekka`、
/// `toriyame`、`teikyou`、`kiroku_henkou`、`kiroku`、`kikan_test`、`setsuzoku_kakunin`。中間サーバーに断られたのはジョブの失敗にせず、報告に書いて
/// 200 で答えます。パラメータが読めないときは 400 です。
async fn kizon(app: &App, name: &str, request: &JobRequest) -> Result<JobAnswer> {
    let config = current_config(app, request)?;
    // パラメータを先に読みます (読めなければ中間サーバーに何も送らずに断る)。
    let work = match kizon_params(name, request) {
        Ok(w) => w,
        Err(why) => return Ok(JobAnswer::failed(400, why)),
    };
    let base = request
        .config
        .as_deref()
        .and_then(|c| Path::new(c).parent())
        .unwrap_or(Path::new("."))
        .to_owned();
    let _state = app.jobs.lock().await;
    let mut ctx = Ctx::new(app, &config, &base).await?;
    let report = match work {
        KizonWork::FukuhonTouroku => to_json(kizon::fukuhon::touroku(&mut ctx).await?),
        KizonWork::Shoukai(irai) => to_json(kizon::shoukai::shoukai(&mut ctx, irai).await?),
        KizonWork::ShoukaiKekka => to_json(kizon::shoukai::kekka(&mut ctx).await?),
        KizonWork::Toriyame(id) => to_json(kizon::shoukai::toriyame(&mut ctx, &id).await?),
        KizonWork::Teikyou => to_json(kizon::teikyou::teikyou(&mut ctx).await?),
        KizonWork::KirokuHenkou(h) => to_json(kizon::kiroku::kiroku_henkou(&mut ctx, h).await?),
        KizonWork::Kiroku => to_json(kizon::kiroku::kiroku(&mut ctx).await?),
        KizonWork::KikanTest(plan) => match kizon::setsuzoku::mikakunin(&ctx)? {
            // 接続確認が済んでいない: 照会を出さずに行を未実施と記録する (KIK-01a、KIK-05)。
            Some(reason) => to_json(kizon::setsuzoku::mijisshi(&ctx, &plan, &reason)?),
            None => {
                kizon::setsuzoku::jisshi(&ctx, &plan)?;
                to_json(kizon::shoukai::kikan_test(&mut ctx, plan).await?)
            }
        },
        KizonWork::SetsuzokuKakunin => to_json(kizon::setsuzoku::kakunin(&mut ctx).await?),
    };
    Ok(JobAnswer::done(json!({ "job": name, "report": report })))
}

/// `toiawase` (既存業務システム): 依頼 `irai_id` の照会の問合せ資料を作る (docs/kizon-gyomu.md「問合せ資料」)。
/// 保管した電文から作るので、中間サーバーにはつなぎません。知らない依頼なら何もせずに 200 です。
async fn toiawase(app: &App, request: &JobRequest) -> Result<JobAnswer> {
    current_config(app, request)?;
    let irai_id = match param(request, "irai_id") {
        Ok(id) => id,
        Err(e) => return Ok(JobAnswer::failed(400, e.0)),
    };
    let _state = app.jobs.lock().await;
    let report = kizon::toiawase::toiawase(app, irai_id)?;
    Ok(JobAnswer::done(
        json!({ "job": "toiawase", "report": to_json(report) }),
    ))
}

fn to_json<T: serde::Serialize>(report: T) -> Value {
    serde_json::to_value(report).unwrap_or(Value::Null)
}

/// 既存業務システムのジョブと、読んだパラメータ。
enum KizonWork {
    FukuhonTouroku,
    Shoukai(Vec<Irai>),
    ShoukaiKekka,
    Toriyame(String),
    Teikyou,
    KirokuHenkou(kizon::kiroku::Henkou),
    Kiroku,
    KikanTest(Vec<Irai>),
    SetsuzokuKakunin,
}

/// `kiroku_henkou` のパラメータ: `shori_tsuuban` (文字列)、`jiyuu` (文字列か null)、`fukaiji` (真偽値か null)。
/// `jiyuu` と `fukaiji` は書かれていなくても null と同じです。
fn kiroku_henkou_params(
    request: &JobRequest,
) -> std::result::Result<kizon::kiroku::Henkou, String> {
    let shori_tsuuban = match request.params.get("shori_tsuuban") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err("params.shori_tsuuban (処理通番の文字列) がありません".to_owned()),
    };
    let jiyuu = match request.params.get("jiyuu") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(format!("params.jiyuu は文字列か null です: {other}")),
    };
    let fukaiji = match request.params.get("fukaiji") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(format!(
                "params.fukaiji は true / false か null です: {other}"
            ));
        }
    };
    Ok(kizon::kiroku::Henkou {
        shori_tsuuban,
        jiyuu,
        fukaiji,
    })
}

fn kizon_params(name: &str, request: &JobRequest) -> std::result::Result<KizonWork, String> {
    let array = |field: &str| -> std::result::Result<&Vec<Value>, String> {
        request
            .params
            .get(field)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("params.{field} (配列) がありません"))
    };
    Ok(match name {
        "fukuhon_touroku" => KizonWork::FukuhonTouroku,
        "shoukai_kekka" => KizonWork::ShoukaiKekka,
        "teikyou" => KizonWork::Teikyou,
        "kiroku" => KizonWork::Kiroku,
        "setsuzoku_kakunin" => KizonWork::SetsuzokuKakunin,
        "toriyame" => KizonWork::Toriyame(param(request, "irai_id").map_err(|e| e.0)?.to_owned()),
        "kiroku_henkou" => KizonWork::KirokuHenkou(kiroku_henkou_params(request)?),
        "shoukai" => {
            let houshiki = match request.params.get("houshiki").and_then(Value::as_str) {
                None | Some("単件") => kizon::irai::TANKEN,
                Some("一括") => kizon::irai::IKKATSU,
                Some(other) => {
                    return Err(format!("params.houshiki が「{other}」です (単件 か 一括)"));
                }
            };
            let irai = array("irai")?
                .iter()
                .enumerate()
                .map(|(n, v)| {
                    Irai::from_json(v, "irai_id", "teikyousha", houshiki)
                        .map_err(|e| format!("params.irai[{n}]: {e}"))
                })
                .collect::<std::result::Result<_, _>>()?;
            KizonWork::Shoukai(irai)
        }
        "kikan_test" => {
            let plan = array("plan")?
                .iter()
                .enumerate()
                .map(|(n, v)| {
                    Irai::from_json(v, "test_id", "aite", kizon::irai::TANKEN)
                        .map_err(|e| format!("params.plan[{n}]: {e}"))
                })
                .collect::<std::result::Result<_, _>>()?;
            KizonWork::KikanTest(plan)
        }
        other => {
            return Err(format!(
                "ジョブ「{other}」は既存業務システムのジョブではありません"
            ));
        }
    })
}
