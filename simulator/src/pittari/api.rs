//! The download API (電子申請等情報受取等API, simulated): ログイン, 申請データ一覧取得,
//! 申請データ取得, 取得済み登録, 申請処理状況 一覧 and 更新. Specified in
//! `docs/openapi/pittari.yaml`; `ROUTES` is the list the document is checked against.

use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use renkei_fixtures::ids::{DantaiCode, UketsukeBango};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::state::{Pittari, Session, ShoriJokyo, ShutokuJotai};
use crate::http::{ApiError, AuthenticatedAs, CutShort, ProxyHop, Recording};
use crate::store::Change;
use renkei_fixtures::scenario::{FaultKind, FaultRoute, FaultSpec};

/// Every route: (method, path as written in the OpenAPI document).
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/pittari/v1/login"),
    ("GET", "/pittari/v1/shinsei"),
    ("GET", "/pittari/v1/shinsei/{uketsuke_bango}"),
    ("POST", "/pittari/v1/shinsei/{uketsuke_bango}/shutoku"),
    ("GET", "/pittari/v1/shori-jokyo"),
    ("PUT", "/pittari/v1/shinsei/{uketsuke_bango}/shori-jokyo"),
];

/// The router, recording every exchange in the journal.
pub fn router(pittari: Pittari, recording: Arc<Recording>) -> Router {
    Router::new()
        .route("/pittari/v1/login", post(login))
        .route("/pittari/v1/shinsei", get(list))
        .route("/pittari/v1/shinsei/{uketsuke_bango}", get(download))
        .route(
            "/pittari/v1/shinsei/{uketsuke_bango}/shutoku",
            post(mark_taken),
        )
        .route("/pittari/v1/shori-jokyo", get(list_status))
        .route(
            "/pittari/v1/shinsei/{uketsuke_bango}/shori-jokyo",
            put(update_status),
        )
        .fallback(unknown_route)
        .with_state(pittari)
        .layer(axum::middleware::from_fn_with_state(
            recording,
            crate::http::record,
        ))
}

async fn unknown_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "そのパスのAPIはありません。docs/pittari-api.md を参照してください。",
    )
}

/// The checks every call makes first: through the 連携サーバ, within service hours.
fn gate(pittari: &Pittari, hop: &ProxyHop) -> Result<OffsetDateTime, ApiError> {
    if pittari.config.require_proxy && hop.0.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "NOT_VIA_RENKEI_SERVER",
            "連携サーバを経由しない通信は受け付けません (自治体の行政手続のオンライン化に係る手順書 §5 ①)。",
        ));
    }
    let now = pittari.clock.now();
    if !pittari.config.hours.contains(now) {
        let hours = pittari.config.hours;
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "OUTSIDE_SERVICE_HOURS",
            format!(
                "サービス提供時間外です。提供時間は毎日 {}:{:02}〜{}:{:02} です。",
                hours.opens.hour(),
                hours.opens.minute(),
                hours.closes.hour(),
                hours.closes.minute()
            ),
        ));
    }
    Ok(now)
}

/// The session a bearer token belongs to, or the reason there is none.
fn session(
    pittari: &Pittari,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<Session, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "TOKEN_MISSING",
                "Authorization: Bearer <トークン> がありません。先にログインしてください。",
            )
        })?;
    let inner = pittari.lock();
    let session = inner.sessions.get(token).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "TOKEN_INVALID",
            "認証トークンが正しくありません。",
        )
    })?;
    if session.expires_at <= now {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "TOKEN_EXPIRED",
            "認証トークンの有効期限が切れています。再度ログインしてください。",
        ));
    }
    Ok(session.clone())
}

/// A response that names the account for the journal.
fn as_account(mut response: Response, session: &Session) -> Response {
    response
        .extensions_mut()
        .insert(AuthenticatedAs(session.login_id.clone()));
    response
}

#[derive(Debug, Deserialize)]
struct LoginRequest {
    login_id: String,
    password: String,
}

#[derive(Debug, Serialize)]
struct LoginResponse {
    token: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    role: &'static str,
    dantai_code: DantaiCode,
}

async fn login(
    State(pittari): State<Pittari>,
    Extension(hop): Extension<ProxyHop>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let now = gate(&pittari, &hop)?;
    injected(&pittari, FaultRoute::Login, None).await?;
    let request: LoginRequest = parse_json(&body)?;
    let mut inner = pittari.lock();
    let account = inner
        .accounts
        .iter()
        .find(|(a, _)| a.login_id == request.login_id && a.password == request.password)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "LOGIN_FAILED",
                "ログインIDまたはパスワードが正しくありません。",
            )
        })?;
    let (account, dantai) = account;
    let token = inner.next_token();
    let expires_at = now + pittari.config.token_lifetime;
    pittari
        .commit(
            &mut inner,
            Change::Login {
                token: token.clone(),
                login_id: account.login_id.clone(),
                expires_at,
            },
        )
        .map_err(store_failed)?;
    let session = inner.sessions[&token].clone();
    let response = Json(LoginResponse {
        token,
        expires_at: session.expires_at,
        role: account.role.as_str(),
        dantai_code: dantai,
    })
    .into_response();
    Ok(as_account(response, &session))
}

/// Applies a fault the scenario or the admin API injected for this call: holds the answer back
/// (latency), answers `500 TEMPORARY_FAILURE` (an outage), or hands a dropped-connection fault
/// back to the download handler.
async fn injected(
    pittari: &Pittari,
    route: FaultRoute,
    uketsuke: Option<UketsukeBango>,
) -> Result<Option<FaultSpec>, ApiError> {
    let Some(fault) = pittari.take_fault(route, uketsuke).map_err(store_failed)? else {
        return Ok(None);
    };
    match fault.kind {
        FaultKind::Latency => {
            // The simulated service is slow: this is the simulator's behaviour, not a test wait.
            tokio::time::sleep(std::time::Duration::from_millis(fault.millis)).await;
            Ok(None)
        }
        FaultKind::ServerError => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "TEMPORARY_FAILURE",
            "一時的な障害が発生しました。時間をおいて再度お試しください。",
        )),
        FaultKind::DropConnection => Ok(Some(fault)),
    }
}

fn store_failed(error: crate::store::StoreError) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "STORE_FAILED",
        format!("状態を保存できなかったため、何も変更していません: {error}"),
    )
}

fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_JSON",
            format!(
                "リクエストのJSONが正しくありません: {e} (行 {}, 列 {})",
                e.line(),
                e.column()
            ),
        )
    })
}

/// Query of 申請データ一覧取得.
#[derive(Debug, Deserialize)]
struct ListQuery {
    dantai: Option<String>,
    tetsuzuki: Option<String>,
    from: Option<String>,
    to: Option<String>,
    shutoku: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

#[derive(Debug, Serialize)]
struct ShinseiSummary {
    uketsuke_bango: UketsukeBango,
    dantai_code: DantaiCode,
    tetsuzuki_id: String,
    tetsuzuki_name: String,
    #[serde(with = "time::serde::rfc3339")]
    shinsei_nichiji: OffsetDateTime,
    shutoku_jotai: ShutokuJotai,
    shori_jokyo: ShoriJokyo,
    zip_size: usize,
}

#[derive(Debug, Serialize)]
struct Page<T> {
    items: Vec<T>,
    page: u32,
    per_page: u32,
    total: usize,
    has_next: bool,
}

impl<T> Page<T> {
    /// Page `page` (1-based) of `all`, `per_page` to a page.
    fn of(all: Vec<T>, page: u32, per_page: u32) -> Self {
        let total = all.len();
        let skip = (page as usize - 1).saturating_mul(per_page as usize);
        let items: Vec<T> = all.into_iter().skip(skip).take(per_page as usize).collect();
        let has_next = skip + items.len() < total;
        Self {
            items,
            page,
            per_page,
            total,
            has_next,
        }
    }
}

fn bad_query(param: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "BAD_QUERY", message).target(param)
}

fn parse_time(param: &str, value: &Option<String>) -> Result<Option<OffsetDateTime>, ApiError> {
    value
        .as_deref()
        .map(|text| {
            OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| {
                bad_query(param, format!("{param} は RFC 3339 の日時で指定してください (例 2026-04-01T00:00:00+09:00): 「{text}」"))
            })
        })
        .transpose()
}

fn parse_paging(
    page: &Option<String>,
    per_page: &Option<String>,
    max: u32,
) -> Result<(u32, u32), ApiError> {
    let number =
        |param: &str, value: &Option<String>, default: u32, upper: u32| -> Result<u32, ApiError> {
            match value.as_deref() {
                None => Ok(default),
                Some(text) => match text.parse::<u32>() {
                    Ok(n) if (1..=upper).contains(&n) => Ok(n),
                    _ => Err(bad_query(
                        param,
                        format!("{param} は 1〜{upper} の整数で指定してください: 「{text}」"),
                    )),
                },
            }
        };
    Ok((
        number("page", page, 1, u32::MAX)?,
        number("per_page", per_page, 50, max)?,
    ))
}

fn check_dantai(param: &Option<String>, session: &Session) -> Result<(), ApiError> {
    if let Some(text) = param {
        let code: DantaiCode = text
            .parse()
            .map_err(|e: renkei_fixtures::ids::IdError| bad_query("dantai", e.to_string()))?;
        if code != session.dantai {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "OTHER_DANTAI",
                format!("このアカウントは団体 {} の申請を参照できません。", code),
            )
            .target("dantai"));
        }
    }
    Ok(())
}

async fn list(
    State(pittari): State<Pittari>,
    Extension(hop): Extension<ProxyHop>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let session = reader(&pittari, &hop, &headers)?;
    let by = |e: ApiError| e.by(&session.login_id);
    injected(&pittari, FaultRoute::List, None)
        .await
        .map_err(by)?;
    check_dantai(&query.dantai, &session).map_err(by)?;
    let from = parse_time("from", &query.from).map_err(by)?;
    let to = parse_time("to", &query.to).map_err(by)?;
    let shutoku = match query.shutoku.as_deref() {
        None => None,
        Some("未取得") => Some(ShutokuJotai::Mishutoku),
        Some("取得済み") => Some(ShutokuJotai::Shutokuzumi),
        Some(other) => {
            return Err(by(bad_query(
                "shutoku",
                format!("shutoku は 未取得 か 取得済み です: 「{other}」"),
            )));
        }
    };
    let (page, per_page) =
        parse_paging(&query.page, &query.per_page, pittari.config.max_per_page).map_err(by)?;
    let inner = pittari.lock();
    let matching: Vec<ShinseiSummary> = inner
        .order
        .iter()
        .map(|u| &inner.shinsei[u])
        .filter(|s| session.may_read(&s.application.tetsuzuki))
        .filter(|s| {
            query
                .tetsuzuki
                .as_deref()
                .is_none_or(|t| s.application.tetsuzuki == t)
        })
        .filter(|s| from.is_none_or(|from| s.application.submitted_at >= from))
        .filter(|s| to.is_none_or(|to| s.application.submitted_at < to))
        .filter(|s| shutoku.is_none_or(|j| s.shutoku == j))
        .map(|s| ShinseiSummary {
            uketsuke_bango: s.application.uketsuke_bango,
            dantai_code: s.application.dantai,
            tetsuzuki_id: s.application.tetsuzuki.clone(),
            tetsuzuki_name: s.tetsuzuki_name.clone(),
            shinsei_nichiji: s.application.submitted_at,
            shutoku_jotai: s.shutoku,
            shori_jokyo: s.shori,
            zip_size: s.zip.len(),
        })
        .collect();
    drop(inner);
    Ok(as_account(
        Json(Page::of(matching, page, per_page)).into_response(),
        &session,
    ))
}

/// The checks of a call that reads 申請: through the 連携サーバ, in service hours, a live token,
/// a role that may read 申請.
fn reader(pittari: &Pittari, hop: &ProxyHop, headers: &HeaderMap) -> Result<Session, ApiError> {
    let now = gate(pittari, hop)?;
    let session = session(pittari, headers, now)?;
    if session.role == renkei_fixtures::scenario::Role::AccountKanri {
        return Err(role_refused(&session).by(&session.login_id));
    }
    Ok(session)
}

fn role_refused(session: &Session) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "ROLE_NOT_PERMITTED",
        format!("{} は申請データを参照できません。", session.role.as_str()),
    )
}

fn parse_uketsuke(text: &str) -> Result<UketsukeBango, ApiError> {
    text.parse().map_err(|e: renkei_fixtures::ids::IdError| {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_UKETSUKE_BANGO", e.to_string()).target(text)
    })
}

/// Finds a 申請 the session may read.
fn readable<'a>(
    inner: &'a mut super::state::Inner,
    session: &Session,
    uketsuke: &UketsukeBango,
) -> Result<&'a mut super::state::Shinsei, ApiError> {
    if session.role == renkei_fixtures::scenario::Role::AccountKanri {
        return Err(role_refused(session));
    }
    let shinsei = inner.shinsei.get_mut(uketsuke).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "SHINSEI_NOT_FOUND",
            format!("受付番号 {uketsuke} の申請はありません。"),
        )
        .target(uketsuke.to_string())
    })?;
    if !session.may_read(&shinsei.application.tetsuzuki) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "TETSUZUKI_NOT_ASSIGNED",
            format!(
                "手続 {} はこのアカウントに割り当てられていません。",
                shinsei.application.tetsuzuki
            ),
        )
        .target(uketsuke.to_string()));
    }
    Ok(shinsei)
}

/// The checks of a call about one 申請: through the 連携サーバ, in service hours, a live token,
/// a well-formed 受付番号 (an error after the token names the account).
fn about_one(
    pittari: &Pittari,
    hop: &ProxyHop,
    headers: &HeaderMap,
    uketsuke: &str,
) -> Result<(OffsetDateTime, Session, UketsukeBango), ApiError> {
    let now = gate(pittari, hop)?;
    let session = session(pittari, headers, now)?;
    let uketsuke = parse_uketsuke(uketsuke).map_err(|e| e.by(&session.login_id))?;
    Ok((now, session, uketsuke))
}

async fn download(
    State(pittari): State<Pittari>,
    Extension(hop): Extension<ProxyHop>,
    headers: HeaderMap,
    Path(uketsuke): Path<String>,
) -> Result<Response, ApiError> {
    let (_, session, uketsuke) = about_one(&pittari, &hop, &headers, &uketsuke)?;
    let by = |e: ApiError| e.by(&session.login_id);
    let zip = {
        let mut inner = pittari.lock();
        readable(&mut inner, &session, &uketsuke)
            .map_err(by)?
            .zip
            .clone()
    };
    let dropped = injected(&pittari, FaultRoute::Download, Some(uketsuke))
        .await
        .map_err(by)?
        .is_some();
    // A dropped connection: the whole length is announced, half is sent, the connection closes.
    let sent = if dropped {
        &zip[..zip.len() / 2]
    } else {
        &zip[..]
    };
    let mut response = (StatusCode::OK, sent.to_vec()).into_response();
    if dropped {
        response.extensions_mut().insert(CutShort {
            announced: zip.len(),
        });
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{uketsuke}.zip\"")).expect("ASCII"),
    );
    Ok(as_account(response, &session))
}

#[derive(Debug, Serialize)]
struct Taken {
    uketsuke_bango: UketsukeBango,
    shutoku_jotai: ShutokuJotai,
}

async fn mark_taken(
    State(pittari): State<Pittari>,
    Extension(hop): Extension<ProxyHop>,
    headers: HeaderMap,
    Path(uketsuke): Path<String>,
) -> Result<Response, ApiError> {
    let (_, session, uketsuke) = about_one(&pittari, &hop, &headers, &uketsuke)?;
    let by = |e: ApiError| e.by(&session.login_id);
    injected(&pittari, FaultRoute::Shutoku, Some(uketsuke))
        .await
        .map_err(by)?;
    let mut inner = pittari.lock();
    let shinsei = readable(&mut inner, &session, &uketsuke).map_err(by)?;
    // Scripted redelivery: a Duplicate is listed as new once more the first time it is taken.
    let redeliver = shinsei.application.variant == renkei_fixtures::scenario::Variant::Duplicate
        && !shinsei.redelivered;
    let change = Change::Shutoku {
        uketsuke_bango: uketsuke,
        shutoku: if redeliver {
            ShutokuJotai::Mishutoku
        } else {
            ShutokuJotai::Shutokuzumi
        },
        redelivered: redeliver || shinsei.redelivered,
    };
    pittari
        .commit(&mut inner, change)
        .map_err(|e| by(store_failed(e)))?;
    let body = Taken {
        uketsuke_bango: uketsuke,
        shutoku_jotai: ShutokuJotai::Shutokuzumi,
    };
    drop(inner);
    Ok(as_account(Json(body).into_response(), &session))
}

#[derive(Debug, Serialize)]
struct StatusEntry {
    uketsuke_bango: UketsukeBango,
    tetsuzuki_id: String,
    shori_jokyo: ShoriJokyo,
    #[serde(with = "time::serde::rfc3339::option")]
    updated_at: Option<OffsetDateTime>,
}

#[derive(Debug, Deserialize)]
struct StatusQuery {
    page: Option<String>,
    per_page: Option<String>,
}

async fn list_status(
    State(pittari): State<Pittari>,
    Extension(hop): Extension<ProxyHop>,
    headers: HeaderMap,
    Query(query): Query<StatusQuery>,
) -> Result<Response, ApiError> {
    let session = reader(&pittari, &hop, &headers)?;
    let by = |e: ApiError| e.by(&session.login_id);
    let (page, per_page) =
        parse_paging(&query.page, &query.per_page, pittari.config.max_per_page).map_err(by)?;
    let inner = pittari.lock();
    let matching: Vec<StatusEntry> = inner
        .order
        .iter()
        .map(|u| &inner.shinsei[u])
        .filter(|s| session.may_read(&s.application.tetsuzuki))
        .map(|s| StatusEntry {
            uketsuke_bango: s.application.uketsuke_bango,
            tetsuzuki_id: s.application.tetsuzuki.clone(),
            shori_jokyo: s.shori,
            updated_at: s.shori_updated_at,
        })
        .collect();
    drop(inner);
    Ok(as_account(
        Json(Page::of(matching, page, per_page)).into_response(),
        &session,
    ))
}

#[derive(Debug, Deserialize)]
struct StatusUpdate {
    shori_jokyo: String,
}

async fn update_status(
    State(pittari): State<Pittari>,
    Extension(hop): Extension<ProxyHop>,
    headers: HeaderMap,
    Path(uketsuke): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (now, session, uketsuke) = about_one(&pittari, &hop, &headers, &uketsuke)?;
    let by = |e: ApiError| e.by(&session.login_id);
    injected(&pittari, FaultRoute::ShoriJokyo, Some(uketsuke))
        .await
        .map_err(by)?;
    let update: StatusUpdate = parse_json(&body).map_err(by)?;
    let next = ShoriJokyo::ALL
        .into_iter()
        .find(|s| s.as_str() == update.shori_jokyo)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "UNKNOWN_SHORI_JOKYO",
                format!(
                    "処理状況「{}」はありません (受付済み / 審査中 / 審査完了 / 却下)。",
                    update.shori_jokyo
                ),
            )
            .target("shori_jokyo")
        })
        .map_err(by)?;
    let mut inner = pittari.lock();
    let shinsei = readable(&mut inner, &session, &uketsuke).map_err(by)?;
    if shinsei.shutoku != ShutokuJotai::Shutokuzumi && !shinsei.redelivered {
        return Err(by(ApiError::new(
            StatusCode::CONFLICT,
            "NOT_TAKEN",
            format!("受付番号 {uketsuke} はまだ取得済みになっていません。取得済み登録の後に処理状況を更新してください。"),
        )
        .target(uketsuke.to_string())));
    }
    if !shinsei.shori.may_become(next) {
        return Err(by(ApiError::new(
            StatusCode::CONFLICT,
            "INVALID_TRANSITION",
            format!(
                "処理状況を「{}」から「{}」に変えることはできません。",
                shinsei.shori.as_str(),
                next.as_str()
            ),
        )
        .target(uketsuke.to_string())));
    }
    let tetsuzuki_id = shinsei.application.tetsuzuki.clone();
    pittari
        .commit(
            &mut inner,
            Change::Shori {
                uketsuke_bango: uketsuke,
                shori: next,
                at: now,
            },
        )
        .map_err(|e| by(store_failed(e)))?;
    let body = StatusEntry {
        uketsuke_bango: uketsuke,
        tetsuzuki_id,
        shori_jokyo: next,
        updated_at: Some(now),
    };
    drop(inner);
    Ok(as_account(Json(body).into_response(), &session))
}
