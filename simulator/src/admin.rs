//! The admin API: what the runner and an operator use to watch and steer the simulators — read
//! the journal, read, set and advance the clock, see the scripted 申請 with their states, fetch
//! certificates, and change the 住基ネットCS while it runs ([`crate::jukinet::service::admin`]).
//! Specified in `docs/openapi/admin.yaml`. It is not part of any vendor interface.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::http::ApiError;
use crate::journal::{Caller, Journal, Query as JournalQuery, Record, System};
use crate::pittari::Pittari;
use crate::proxy::ProxyEvent;

/// Every route: (method, path as written in the OpenAPI document).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/v1/journal"),
    ("GET", "/admin/v1/clock"),
    ("PUT", "/admin/v1/clock"),
    ("POST", "/admin/v1/clock/advance"),
    ("GET", "/admin/v1/pittari/shinsei"),
    ("POST", "/admin/v1/pittari/faults"),
    ("GET", "/admin/v1/scenario"),
    ("POST", "/admin/v1/scenario"),
    ("GET", "/admin/v1/chukan/tenants"),
    ("GET", "/admin/v1/chukan/ca.pem"),
    ("GET", "/admin/v1/chukan/tenants/{kikan}/client.pem"),
    ("GET", "/admin/v1/chukan/tenants/{kikan}/client.key"),
    ("POST", "/admin/v1/chukan/tenants/{kikan}/revoke"),
    ("GET", "/admin/v1/chukan/documented-limits"),
    ("PUT", "/admin/v1/chukan/documented-limits"),
    ("GET", "/admin/v1/pittari/ca.pem"),
    // The 住基ネットCS's (crate::jukinet::service::admin::ROUTES; a test checks they agree).
    (
        "GET",
        "/admin/v1/jukinet/dantai/{dantai_code}/jumin/{juminhyo_code}",
    ),
    (
        "POST",
        "/admin/v1/jukinet/dantai/{dantai_code}/jumin/{juminhyo_code}/shikkou",
    ),
    (
        "POST",
        "/admin/v1/jukinet/dantai/{dantai_code}/jumin/{juminhyo_code}/hakko",
    ),
    (
        "POST",
        "/admin/v1/jukinet/dantai/{dantai_code}/jumin/{juminhyo_code}/koushin",
    ),
    ("POST", "/admin/v1/jukinet/dantai/{dantai_code}/tennyu"),
];

/// What the admin API reads and steers.
#[derive(Clone)]
pub struct AdminState {
    pub clock: Clock,
    pub journal: Journal,
    pub pittari: Pittari,
    /// The state file, where clock changes are kept (`--data`).
    pub store: Option<std::sync::Arc<crate::store::SqliteStore>>,
    /// Where a request to load another scenario goes (`renkei serve`), if anywhere.
    pub reload: Option<tokio::sync::mpsc::Sender<LoadScenario>>,
    /// The name of the scenario being served.
    pub scenario_name: String,
    /// The 自治体中間サーバー, caught up after every clock change (its night batch runs on the
    /// clock).
    pub chukan: Option<crate::chukan::platform::Chukan>,
    /// The 住基ネットCS, changed through `/admin/v1/jukinet/…` (each change written to `store`
    /// first).
    pub jukinet: Option<crate::jukinet::service::JukinetCs>,
    /// The download API's TLS CA certificate when it serves https (`renkei serve --tls`).
    pub pittari_ca_pem: Option<String>,
}

/// A request to replace the running scenario with this one (already checked to expand).
pub struct LoadScenario {
    pub expanded: renkei_fixtures::scenario::Expanded,
}

impl AdminState {
    /// Runs what the new time has passed (符号 issuance, night batches) before answering, so a
    /// caller that advanced the clock sees the result at once.
    async fn catch_up(&self) -> Result<(), ApiError> {
        let Some(chukan) = self.chukan.clone() else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || chukan.catch_up())
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "STORE_FAILED", e))
    }

    fn chukan(&self) -> Result<&crate::chukan::platform::Chukan, ApiError> {
        self.chukan.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NO_CHUKAN",
                "このシミュレーターには自治体中間サーバーがありません。",
            )
        })
    }

    fn tenant(
        &self,
        kikan: &str,
    ) -> Result<std::sync::Arc<crate::chukan::platform::Tenant>, ApiError> {
        let chukan = self.chukan()?;
        kikan
            .parse::<renkei_fixtures::ids::KikanCode>()
            .ok()
            .and_then(|k| chukan.tenant(k).cloned())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "UNKNOWN_TENANT",
                    format!("機関コード「{kikan}」のテナントはありません (GET /admin/v1/chukan/tenants で一覧できます)。"),
                )
                .target(kikan)
            })
    }

    /// Keeps the clock's new time in the state file, so a restart resumes there.
    fn persist_clock(&self) -> Result<(), ApiError> {
        match &self.store {
            None => Ok(()),
            Some(store) => store
                .append(&crate::store::Change::Clock {
                    now: self.clock.now(),
                })
                .map_err(|e| {
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "STORE_FAILED",
                        e.to_string(),
                    )
                }),
        }
    }
}

pub fn router(state: AdminState) -> Router {
    let jukinet = match &state.jukinet {
        Some(cs) => crate::jukinet::service::admin::router(cs.clone(), state.store.clone()),
        None => Router::new(),
    };
    Router::new()
        .route("/admin/v1/journal", get(journal))
        .route("/admin/v1/clock", get(clock).put(set_clock))
        .route("/admin/v1/clock/advance", post(advance_clock))
        .route("/admin/v1/pittari/shinsei", get(shinsei))
        .route("/admin/v1/pittari/faults", post(add_fault))
        .route(
            "/admin/v1/scenario",
            get(current_scenario).post(load_scenario),
        )
        .route("/admin/v1/chukan/tenants", get(chukan_tenants))
        .route("/admin/v1/chukan/ca.pem", get(chukan_ca))
        .route(
            "/admin/v1/chukan/tenants/{kikan}/{file}",
            get(chukan_certificate),
        )
        .route(
            "/admin/v1/chukan/tenants/{kikan}/revoke",
            post(chukan_revoke),
        )
        .route(
            "/admin/v1/chukan/documented-limits",
            get(chukan_limits).put(set_chukan_limits),
        )
        .route("/admin/v1/pittari/ca.pem", get(pittari_ca))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "そのパスの管理APIはありません。",
            )
        })
        .with_state(state)
        .merge(jukinet)
}

/// Records what the 連携サーバ saw as a journal exchange (system `renkei_server`; route =
/// target authority and path; status 0 when the exchange ended without a response).
pub fn record_proxy_event(journal: &Journal, event: ProxyEvent) {
    let target = event
        .target
        .as_ref()
        .map(|t| t.to_string())
        .unwrap_or_default();
    let route = format!("{target}{}", event.path.as_deref().unwrap_or(""));
    let detail = serde_json::to_vec(&event).unwrap_or_default();
    journal.record(Record {
        at: event.at,
        system: System::RenkeiServer,
        caller: Caller {
            peer: Some(event.client.to_string()),
            account: None,
            proxy_hop: event.hop.map(|h| h.get()),
        },
        method: &event.method,
        route: &route,
        status: event.status.unwrap_or(0),
        request_body: bytes::Bytes::new(),
        response_body: bytes::Bytes::from(detail),
    });
}

#[derive(Debug, Deserialize)]
struct JournalParams {
    since: Option<u64>,
    system: Option<System>,
    route_prefix: Option<String>,
    limit: Option<usize>,
}

async fn journal(State(state): State<AdminState>, Query(params): Query<JournalParams>) -> Response {
    Json(state.journal.query(&JournalQuery {
        since: params.since,
        system: params.system,
        route_prefix: params.route_prefix,
        limit: params.limit,
    }))
    .into_response()
}

#[derive(Debug, Serialize)]
struct ClockView {
    #[serde(with = "time::serde::rfc3339")]
    now: OffsetDateTime,
    frozen: bool,
}

fn view(clock: &Clock) -> Json<ClockView> {
    Json(ClockView {
        now: clock.now(),
        frozen: clock.is_frozen(),
    })
}

async fn clock(State(state): State<AdminState>) -> Json<ClockView> {
    view(&state.clock)
}

#[derive(Debug, Deserialize)]
struct SetClock {
    #[serde(with = "time::serde::rfc3339")]
    now: OffsetDateTime,
}

async fn set_clock(
    State(state): State<AdminState>,
    body: axum::body::Bytes,
) -> Result<Json<ClockView>, ApiError> {
    let request: SetClock = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_JSON",
            format!("{{\"now\": \"RFC 3339 の日時\"}} を送ってください: {e}"),
        )
    })?;
    state.clock.set(request.now);
    state.persist_clock()?;
    state.catch_up().await?;
    Ok(view(&state.clock))
}

#[derive(Debug, Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(
    State(state): State<AdminState>,
    body: axum::body::Bytes,
) -> Result<Json<ClockView>, ApiError> {
    let request: Advance = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_JSON",
            format!("{{\"seconds\": 整数}} を送ってください: {e}"),
        )
    })?;
    state
        .clock
        .advance(Duration::seconds(request.seconds))
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "CLOCK_BACKWARDS", e.to_string()))?;
    state.persist_clock()?;
    state.catch_up().await?;
    Ok(view(&state.clock))
}

#[derive(Debug, Serialize)]
struct ShinseiState {
    uketsuke_bango: String,
    variant: &'static str,
    shutoku_jotai: &'static str,
    shori_jokyo: &'static str,
}

async fn shinsei(State(state): State<AdminState>) -> Json<Vec<ShinseiState>> {
    Json(
        state
            .pittari
            .applications()
            .into_iter()
            .map(|(u, variant, shutoku, shori)| ShinseiState {
                uketsuke_bango: u.to_string(),
                variant: variant.as_str(),
                shutoku_jotai: shutoku.as_str(),
                shori_jokyo: shori.as_str(),
            })
            .collect(),
    )
}

async fn add_fault(
    State(state): State<AdminState>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let fault: renkei_fixtures::scenario::FaultSpec =
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "BAD_JSON",
                format!(
                    "障害の指定が正しくありません (docs/scenario.md の faults と同じ項目です): {e}"
                ),
            )
        })?;
    state.pittari.add_fault(fault).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "STORE_FAILED",
            e.to_string(),
        )
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Loads another scenario: checked here (a bad one changes nothing), then `renkei serve` stops
/// every simulator and starts them again with it. Answered `202` as soon as the scenario is
/// accepted; `GET /admin/v1/scenario` names the scenario being served once the restart is done.
async fn load_scenario(
    State(state): State<AdminState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let Some(reload) = state.reload.clone() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "RELOAD_UNAVAILABLE",
            "このシミュレーターはシナリオの読み込みを受け付けません (renkei serve で起動してください)。",
        ));
    };
    if state.store.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "STATE_FILE_BOUND",
            "--data の状態ファイルは起動時のシナリオに結び付いています。別のシナリオは、別の --data を指定して renkei serve を起動し直してください。",
        ));
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_SCENARIO",
            "シナリオは UTF-8 の TOML で送ってください。",
        )
    })?;
    let expanded = renkei_fixtures::scenario::Scenario::from_toml(text)
        .and_then(|s| s.expand(renkei_fixtures::catalog::Catalogs::embedded()))
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_SCENARIO", e.to_string()))?;
    let name = expanded.scenario.name.clone();
    reload.try_send(LoadScenario { expanded }).map_err(|_| {
        ApiError::new(
            StatusCode::CONFLICT,
            "RELOAD_IN_PROGRESS",
            "別のシナリオを読み込み中か、停止処理中です。",
        )
    })?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "scenario": name })),
    )
        .into_response())
}

async fn current_scenario(State(state): State<AdminState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "scenario": state.scenario_name }))
}

#[derive(Debug, Serialize)]
struct TenantView {
    kikan_code: String,
    dantai_code: String,
    name: String,
    kind: &'static str,
    population: u64,
    /// 本番 / テスト.
    environment: &'static str,
    /// MSGMode every 電文 must carry.
    msg_mode: &'static str,
    /// The daily 副本 upload caps (seed 004 §2.5).
    daily_caps: CapsView,
    certificate: CertificateView,
    /// 符号取得中 / 符号取得済み / エラー counts.
    fugou: std::collections::BTreeMap<&'static str, usize>,
    fukuhon_count: u64,
}

#[derive(Debug, Serialize)]
struct CapsView {
    records: u64,
    bytes: u64,
}

#[derive(Debug, Serialize)]
struct CertificateView {
    generation: u32,
    serial: String,
    ca_pem: &'static str,
    client_pem: String,
    client_key: String,
}

async fn chukan_tenants(
    State(state): State<AdminState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let chukan = state.chukan()?;
    let mut tenants = Vec::new();
    for tenant in chukan.tenants() {
        let (generation, identity) = tenant.certificate();
        let kikan = tenant.kikan();
        let counts = tenant.fugou.counts();
        tenants.push(TenantView {
            kikan_code: kikan.to_string(),
            dantai_code: tenant.dantai.code.to_string(),
            name: tenant.dantai.name.clone(),
            kind: tenant.dantai.kind.label(),
            population: tenant.dantai.population,
            environment: tenant.mode.label(),
            msg_mode: tenant.mode.code(),
            daily_caps: CapsView {
                records: tenant.caps.records,
                bytes: tenant.caps.bytes,
            },
            certificate: CertificateView {
                generation,
                serial: identity.serial.to_string(),
                ca_pem: "/admin/v1/chukan/ca.pem",
                client_pem: format!("/admin/v1/chukan/tenants/{kikan}/client.pem"),
                client_key: format!("/admin/v1/chukan/tenants/{kikan}/client.key"),
            },
            fugou: crate::chukan::fugou::FugouStatus::LABELS
                .into_iter()
                .zip(counts)
                .collect(),
            fukuhon_count: chukan.db().fukuhon_count(kikan).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "STORE_FAILED",
                    e.to_string(),
                )
            })?,
        });
    }
    Ok(Json(serde_json::json!({
        "next_batch": chukan
            .next_batch_time()
            .ok()
            .map(crate::chukan::db::rfc3339),
        "tenants": tenants,
    })))
}

fn pem(text: String) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
        text,
    )
        .into_response()
}

/// The download API's TLS CA certificate, when it serves https.
async fn pittari_ca(State(state): State<AdminState>) -> Result<Response, ApiError> {
    state.pittari_ca_pem.clone().map(pem).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NO_TLS",
            "ダウンロードAPIは http で動いています (TLS の CA 証明書はありません)。https にするには renkei serve --tls で起動してください。",
        )
    })
}

async fn chukan_ca(State(state): State<AdminState>) -> Result<Response, ApiError> {
    Ok(pem(state.chukan()?.ca_pem()))
}

async fn chukan_certificate(
    State(state): State<AdminState>,
    axum::extract::Path((kikan, file)): axum::extract::Path<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = state.tenant(&kikan)?;
    let (_, identity) = tenant.certificate();
    match file.as_str() {
        "client.pem" => Ok(pem(identity.cert_pem())),
        "client.key" => Ok(pem(identity.key_pem().to_owned())),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "取得できるのは client.pem と client.key です。",
        )),
    }
}

async fn chukan_revoke(
    State(state): State<AdminState>,
    axum::extract::Path(kikan): axum::extract::Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let tenant = state.tenant(&kikan)?;
    let chukan = state.chukan()?.clone();
    let kikan = tenant.kikan();
    let identity = tokio::task::spawn_blocking(move || chukan.revoke_certificate(kikan))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "STORE_FAILED", e))?;
    let (generation, _) = tenant.certificate();
    Ok(Json(serde_json::json!({
        "kikan_code": kikan.to_string(),
        "generation": generation,
        "serial": identity.serial.to_string(),
        "client_pem": format!("/admin/v1/chukan/tenants/{kikan}/client.pem"),
        "client_key": format!("/admin/v1/chukan/tenants/{kikan}/client.key"),
    })))
}

/// Whether 情報照会 runs in the documented-limits mode (seed 004 §2.11).
async fn chukan_limits(
    State(state): State<AdminState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(serde_json::json!({
        "documented_limits": state.chukan()?.shoukai().documented_limits(),
    })))
}

#[derive(Debug, Deserialize)]
struct SetLimits {
    documented_limits: bool,
}

/// Switches the documented-limits mode; kept in the state file like every 情報照会 change.
async fn set_chukan_limits(
    State(state): State<AdminState>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let request: SetLimits = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_JSON",
            format!("{{\"documented_limits\": true か false}} を送ってください: {e}"),
        )
    })?;
    let chukan = state.chukan()?.clone();
    let on = request.documented_limits;
    tokio::task::spawn_blocking(move || chukan.shoukai().set_documented_limits(on))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "STORE_FAILED", e))?;
    Ok(Json(serde_json::json!({ "documented_limits": on })))
}
