//! The admin API: what the runner and an operator use to watch and steer the simulators — read
//! the journal, read, set and advance the clock, and see the scripted 申請 with their states.
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
}

/// A request to replace the running scenario with this one (already checked to expand).
pub struct LoadScenario {
    pub expanded: renkei_fixtures::scenario::Expanded,
}

impl AdminState {
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
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "そのパスの管理APIはありません。",
            )
        })
        .with_state(state)
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
