//! The 中間サーバー's HTTP interfaces over mutual TLS (`docs/chukan-api.md`).
//!
//! | path | what |
//! |---|---|
//! | `POST /ws/{電文ID}` | Webサービス連携: one 電文, answered at once ([`HANDLERS`]; `IF_DBM_20113_R01` carries its attachment as multipart/form-data) |
//! | `POST /xml/v1/files/{ファイル名}` | サーバー間XMLデータ連携: upload a request file (`FI_DBM_0001_….xml`) |
//! | `GET /xml/v1/files/{受付番号}` | its 処理状況 |
//! | `GET /xml/v1/files/{受付番号}/result` | its result file (`FI_DBM_0002`) |
//! | `GET /xml/v1/exports/fukuhon-kanri.csv` | 突合用 副本管理情報 (seed 004 §3.3 #5) |
//! | `GET /xml/v1/exports/batch-results.csv` | バッチ実行結果 with the error flag (seed 004 §3.3 #13) |
//! | `GET /xml/v1/exports/FI_TKM_0001.zip` | 情報提供等記録ファイル (CSV, zipped; [`super::kiroku`]) |
//!
//! 情報照会 (`IF_SKI_…`, `FI_SKI_…`), 情報提供 (`IF_TKY_…`), 情報提供等記録 (`IF_TKM_…`) and the
//! 通知 (`IF_OSR_…`) are handled in [`super::shoukai`], [`super::teikyou`] and [`super::kiroku`];
//! a 情報照会 受付番号 has 16 digits, a 副本登録 one 18, which is how the file routes tell them apart.
//!
//! The accept loop is tokio-rustls + hyper, so that each connection's peer certificate is known
//! (CRATES.md): it names the tenant, and every handler works on that tenant's data only. There
//! is no other way to name a tenant: a 電文 addressed to another (`DestinationSystemID`), a file
//! whose header names another 団体, a person who is another tenant's resident, a 受付番号 of
//! another tenant — each is refused or not found.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use futures_util::StreamExt as _;
use http_body_util::BodyExt as _;
use renkei_fixtures::ids::{KojinBango, TougouAtenaBango};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;

use super::batch;
use super::db::{Route, Uketsuke, UketsukeStatus, rfc3339};
use super::denbun::{
    self, DBM_JOGAI_SHOUKAI, DBM_JOGAI_TOUROKU, DBM_REGISTER, DBM_STATUS, DenbunError, FGU_REQUEST,
    FGU_STATUS, MAX_DENBUN_BYTES, MsgResult, OSR_TSUUCHI, Request as Denbun,
    Response as DenbunResponse, SKI_FILE, SKI_JOUKYOU, SKI_KEKKA, SKI_TORIYAME, SKI_TOUROKU,
    TKM_HENKOU, TKM_KENSAKU, TKY_FUKA, TKY_JOUKYOU, TKY_KAKUNIN, TKY_KYOKA, leaf,
};
use super::fugou::{FugouError, FugouStatus};
use super::fukuhon::FILE_ID;
use super::platform::{Chukan, ChukanError, Tenant};
use super::{kiroku, shoukai, teikyou, teikyou_jogai};
use crate::clock::Clock;
use crate::journal::{Caller, Journal, Record, System};

/// The result file's ファイルID (renkei-defined number).
pub const RESULT_FILE_ID: &str = "FI_DBM_0002";

/// Request files the サーバー間XMLデータ連携 accepts, by ファイルID.
pub const REQUEST_FILE_IDS: &[&str] = &[
    FILE_ID,
    shoukai::IKKATSU_FILE_ID,
    shoukai::JOUKYOU_REQUEST_FILE_ID,
    teikyou_jogai::FILE_ID,
];

/// Every route: (method, path as in `docs/chukan-api.md`).
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/ws/{denbun_id}"),
    ("POST", "/xml/v1/files/{file_name}"),
    ("GET", "/xml/v1/files/{reception}"),
    ("GET", "/xml/v1/files/{reception}/result"),
    ("GET", "/xml/v1/exports/fukuhon-kanri.csv"),
    ("GET", "/xml/v1/exports/batch-results.csv"),
    ("GET", "/xml/v1/exports/FI_TKM_0001.zip"),
];

/// What a 電文 handler answers: the 中間サーバー受付番号 (empty when none) and the body's XML.
pub struct Reply {
    pub reception: String,
    pub body: String,
}

/// A 電文 handler: the platform, the tenant (from the client certificate), the parsed request.
/// Handlers run on a blocking thread.
pub type Handler = fn(&Chukan, &Tenant, &Denbun) -> Result<Reply, DenbunError>;

/// 電文ID → handler, for the 電文 that are a bare XML request. `IF_DBM_20113_R01` (with an
/// attachment) is handled by the upload path. A new 電文 is one entry here and one in
/// [`denbun::DENBUN`].
pub const HANDLERS: &[(&str, Handler)] = &[
    (FGU_REQUEST, fgu_request),
    (FGU_STATUS, fgu_status),
    (DBM_STATUS, dbm_status),
    (DBM_JOGAI_SHOUKAI, teikyou_jogai::shoukai),
    (SKI_TOUROKU, shoukai::touroku),
    (SKI_JOUKYOU, shoukai::joukyou),
    (SKI_KEKKA, shoukai::kekka),
    (SKI_TORIYAME, shoukai::toriyame),
    (TKY_JOUKYOU, teikyou::joukyou),
    (TKY_KAKUNIN, teikyou::kakunin),
    (TKY_KYOKA, teikyou::kyoka),
    (TKY_FUKA, teikyou::fuka),
    (TKM_KENSAKU, kiroku::kensaku),
    (TKM_HENKOU, kiroku::henkou),
    (OSR_TSUUCHI, kiroku::tsuuchi),
];

/// Who is calling: set per connection from the TLS handshake, the tenant resolved per request
/// (a certificate revoked while its connection is open stops working at the next request).
#[derive(Clone)]
pub struct Peer {
    pub addr: SocketAddr,
    /// The client certificate (DER) the connection was made with.
    pub certificate: Option<Arc<[u8]>>,
    /// The tenant of the client certificate; `None` if it is no tenant's (any more).
    pub tenant: Option<Arc<Tenant>>,
}

#[derive(Clone)]
struct App {
    chukan: Chukan,
    journal: Journal,
    clock: Clock,
    destination: Destination,
}

/// Whether a listener of the 中間サーバー still serves, or the 中間サーバー has moved to a new
/// address (接続先の移行, 移行リハーサル: docs/chukan-api.md「接続先の移行」, KIK-05). Once moved,
/// the listener answers every request with `MOVED` (421) and journals it as the tenant's.
#[derive(Clone, Default)]
pub struct Destination(Arc<std::sync::RwLock<Option<String>>>);

impl Destination {
    /// From now on, refuse every request, naming `base_url` (the new address) for people.
    pub fn move_to(&self, base_url: String) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(base_url);
    }

    /// The new address, once moved.
    pub fn moved_to(&self) -> Option<String> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What the recording layer writes as the request body (handlers put it in the response's
/// extensions: a 電文's text, or a summary of an upload, which is not kept).
#[derive(Clone)]
struct RecordedRequest(Bytes);

/// Marks a streamed response, recorded without its body.
#[derive(Clone, Copy)]
struct Streamed;

/// The router of the 中間サーバー.
pub fn router(chukan: Chukan, journal: Journal, clock: Clock) -> Router {
    router_at(chukan, journal, clock, Destination::default())
}

/// The router of one listener of the 中間サーバー: it refuses everything once `destination` has
/// moved ([`Destination::move_to`]).
pub fn router_at(
    chukan: Chukan,
    journal: Journal,
    clock: Clock,
    destination: Destination,
) -> Router {
    let app = App {
        chukan,
        journal,
        clock,
        destination,
    };
    Router::new()
        .route("/ws/{denbun_id}", post(ws))
        .route("/xml/v1/files/{name}", post(upload_file).get(file_status))
        .route("/xml/v1/files/{reception}/result", get(result_file))
        .route("/xml/v1/exports/fukuhon-kanri.csv", get(export_kanri))
        .route("/xml/v1/exports/batch-results.csv", get(export_batch))
        .route("/xml/v1/exports/FI_TKM_0001.zip", get(export_kiroku))
        .fallback(|| async {
            xml_error(&DenbunError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "そのパスはありません (docs/chukan-api.md)",
            ))
        })
        .layer(axum::middleware::from_fn_with_state(app.clone(), record))
        .with_state(app)
}

/// Serves `router` over mutual TLS on `listener` until `stopping` turns true.
pub async fn serve(
    chukan: Chukan,
    listener: TcpListener,
    router: Router,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (tcp, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "中間サーバー: accept failed");
                    continue;
                }
            },
            _ = stopping.wait_for(|stop| *stop) => break,
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(chukan.tls_config());
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(
                std::time::Duration::from_secs(10),
                acceptor.accept(tcp),
            )
            .await
            {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    tracing::debug!(%error, %addr, "中間サーバー: TLS handshake refused");
                    return;
                }
                Err(_) => return,
            };
            let certificate: Option<Arc<[u8]>> = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(|cert| Arc::from(cert.as_ref()));
            let service = router.layer(Extension(Peer {
                addr,
                certificate,
                tenant: None,
            }));
            let connection = hyper::server::conn::http1::Builder::new().serve_connection(
                hyper_util::rt::TokioIo::new(tls),
                hyper_util::service::TowerToHyperService::new(service),
            );
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%error, %addr, "中間サーバー: connection ended");
            }
        });
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
}

/// Records every exchange in the journal (system `chukan`, account = the tenant's 機関コード),
/// after catching the platform up with the clock.
async fn record(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let at = app.clock.now();
    let mut peer = request.extensions().get::<Peer>().cloned();
    if let Some(peer) = &mut peer {
        peer.tenant = peer
            .certificate
            .as_deref()
            .and_then(|der| app.chukan.tenant_by_certificate(der).cloned());
        request.extensions_mut().insert(peer.clone());
    }
    let method = request.method().to_string();
    let route = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    );
    let tenant = peer.as_ref().and_then(|p| p.tenant.clone());
    let moved = app.destination.moved_to();
    let response = match &tenant {
        _ if moved.is_some() => xml_error(&DenbunError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "MOVED",
            format!(
                "この接続先は移行しました。新しい接続先 {} に接続してください (renkei-config.json の chukan.base_url を読み直してください)",
                moved.as_deref().unwrap_or_default()
            ),
        )),
        Some(t) if !app.chukan.certificate_registered(t.kikan()) => xml_error(&DenbunError::new(
            StatusCode::FORBIDDEN,
            "UNKNOWN_CLIENT",
            "このクライアント証明書は中間サーバーにまだ登録されていません (管理端末から登録してください)",
        )),
        None => xml_error(&DenbunError::new(
            StatusCode::FORBIDDEN,
            "UNKNOWN_CLIENT",
            "クライアント証明書がどのテナントの現在の証明書でもありません (失効した証明書です。管理APIで証明書を取り直してください)",
        )),
        Some(_) => {
            let chukan = app.chukan.clone();
            match tokio::task::spawn_blocking(move || chukan.catch_up()).await {
                Ok(Ok(())) => next.run(request).await,
                Ok(Err(error)) => xml_error(&DenbunError::store(error)),
                Err(error) => xml_error(&DenbunError::store(error)),
            }
        }
    };
    let (parts, body) = response.into_parts();
    let request_body = parts
        .extensions
        .get::<RecordedRequest>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let streamed = parts.extensions.get::<Streamed>().is_some();
    let (response_body, body) = if streamed {
        (Bytes::new(), body)
    } else {
        let bytes = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        (bytes.clone(), Body::from(bytes))
    };
    app.journal.record(Record {
        at,
        system: System::Chukan,
        caller: Caller {
            peer: peer.map(|p| p.addr.to_string()),
            account: tenant.map(|t| t.kikan().to_string()),
            proxy_hop: None,
        },
        method: &method,
        route: &route,
        status: parts.status.as_u16(),
        request_body,
        response_body,
    });
    Response::from_parts(parts, body)
}

fn xml_response(status: StatusCode, text: String) -> Response {
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    response
}

/// `<エラー応答>` with the error's status.
fn xml_error(error: &DenbunError) -> Response {
    xml_response(error.status, denbun::error_document(error))
}

fn with_recorded(mut response: Response, request: Bytes) -> Response {
    response.extensions_mut().insert(RecordedRequest(request));
    response
}

fn tenant_of(peer: &Peer) -> Arc<Tenant> {
    peer.tenant
        .clone()
        .expect("the recording layer answers UNKNOWN_CLIENT before any handler runs")
}

// ---- Webサービス連携 ----------------------------------------------------------------------------

async fn ws(
    State(app): State<App>,
    Extension(peer): Extension<Peer>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let tenant = tenant_of(&peer);
    let Some(spec) = denbun::spec(&id) else {
        return xml_error(&denbun::unknown(&id));
    };
    if spec.id == SKI_FILE {
        let (recorded, response) =
            match shoukai::file_registration(&app.chukan, &tenant, &headers, body).await {
                Ok((message, request, outcome)) => (message, answer(&request, outcome)),
                Err((message, error)) => (message, unparsed_error(&id, &tenant, &error)),
            };
        return with_recorded(response, recorded);
    }
    if spec.id == DBM_JOGAI_TOUROKU {
        let (recorded, response) =
            match teikyou_jogai::ws_registration(&app.chukan, &tenant, &headers, body).await {
                Ok((message, request, outcome)) => (message, answer(&request, outcome)),
                Err((message, error)) => (message, unparsed_error(&id, &tenant, &error)),
            };
        return with_recorded(response, recorded);
    }
    if spec.attachment {
        return dbm_register(app, tenant, headers, body).await;
    }
    let bytes = match read_limited(body, MAX_DENBUN_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => return xml_error(&error),
    };
    let chukan = app.chukan.clone();
    let recorded = bytes.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let request = match denbun::parse_request(&id, &bytes) {
            Ok(request) => request,
            Err(error) => return unparsed_error(&id, &tenant, &error),
        };
        let result = check_envelope(&tenant, &request).and_then(|()| {
            let handler = HANDLERS
                .iter()
                .find(|(handler_id, _)| *handler_id == request.spec.id)
                .map(|(_, handler)| *handler)
                .ok_or_else(|| denbun::unknown(request.spec.id))?;
            handler(&chukan, &tenant, &request)
        });
        answer(&request, result)
    })
    .await
    .unwrap_or_else(|error| xml_error(&DenbunError::store(error)));
    with_recorded(answer, recorded)
}

/// The `_S01` for a 電文 that could not be parsed far enough to echo its header.
fn unparsed_error(id: &str, tenant: &Tenant, error: &DenbunError) -> Response {
    if error.code == "UNKNOWN_DENBUN" {
        return xml_error(error);
    }
    let response = DenbunResponse {
        id: denbun::response_id(id),
        msg_id: String::new(),
        mode: String::new(),
        source: tenant.kikan().to_string(),
        destination: String::new(),
        reception_number: String::new(),
        result: MsgResult::Error,
        body: denbun::error_body(error),
    };
    xml_response(error.status, response.render())
}

fn answer(request: &Denbun, result: Result<Reply, DenbunError>) -> Response {
    match result {
        Ok(reply) => xml_response(
            StatusCode::OK,
            DenbunResponse::to(request, &reply.reception, MsgResult::Seijou, reply.body).render(),
        ),
        Err(error) => xml_response(
            error.status,
            DenbunResponse::to(request, "", MsgResult::Error, denbun::error_body(&error)).render(),
        ),
    }
}

/// The tenant-level checks of every 電文: addressed to this tenant, in its environment.
pub(super) fn check_envelope(tenant: &Tenant, request: &Denbun) -> Result<(), DenbunError> {
    let own = tenant.kikan();
    if request.header.destination_system_id != own.as_str() {
        return Err(DenbunError::new(
            StatusCode::FORBIDDEN,
            "OTHER_TENANT",
            format!(
                "DestinationSystemID「{}」はこのクライアント証明書の中間サーバー ({} {}) ではありません: 他団体の中間サーバーには送れません",
                request.header.destination_system_id, own, tenant.dantai.name
            ),
        )
        .item("DestinationSystemID"));
    }
    if request.mode != tenant.mode {
        return Err(DenbunError::new(
            StatusCode::BAD_REQUEST,
            "MSGMODE_MISMATCH",
            format!(
                "MSGMode が {} ({}) ですが、この中間サーバーは{}環境です: MSGMode に {} を書いてください",
                request.mode.code(),
                request.mode.label(),
                tenant.mode.label(),
                tenant.mode.code()
            ),
        )
        .item("MSGMode"));
    }
    Ok(())
}

async fn read_limited(body: Body, limit: usize) -> Result<Bytes, DenbunError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        DenbunError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TOO_LARGE",
            format!("電文が上限 {limit} バイトを超えています"),
        )
    })
}

fn tougou_item(
    request: &Denbun,
    tenant: &Tenant,
    chukan: &Chukan,
) -> Result<TougouAtenaBango, DenbunError> {
    const ITEM: &str = "団体内統合宛名番号";
    let tougou: TougouAtenaBango = request
        .required(ITEM)?
        .parse()
        .map_err(|e| DenbunError::bad(ITEM, e))?;
    if let Some(owner) = chukan.resident_of(tougou)
        && owner != tenant.dantai.code
    {
        return Err(DenbunError::new(
            StatusCode::FORBIDDEN,
            "OTHER_TENANT",
            format!(
                "団体内統合宛名番号「{tougou}」は他団体の住民です: {} の中間サーバーが扱えるのは自団体の住民だけです",
                tenant.dantai.name
            ),
        )
        .item(ITEM));
    }
    Ok(tougou)
}

fn fugou_body(tougou: TougouAtenaBango, status: &FugouStatus) -> String {
    let mut body = format!(
        "    {}\n    {}\n    {}\n",
        leaf("団体内統合宛名番号", tougou.as_str()),
        leaf("符号取得状態", status.label()),
        leaf("要求日時", &rfc3339(status.requested_at())),
    );
    match status {
        FugouStatus::Shutokuchu { due_at, .. } => {
            body.push_str(&format!(
                "    {}\n",
                leaf("発行予定日時", &rfc3339(*due_at))
            ));
        }
        FugouStatus::Shutokuzumi { issued_at, .. } => {
            body.push_str(&format!("    {}\n", leaf("取得日時", &rfc3339(*issued_at))));
        }
        FugouStatus::Error {
            error, failed_at, ..
        } => {
            body.push_str(&format!(
                "    {}\n    {}\n",
                leaf("エラー日時", &rfc3339(*failed_at)),
                leaf("エラー理由", &error.to_string())
            ));
        }
    }
    body
}

/// IF_FGU_10111_R01 符号取得要求登録.
fn fgu_request(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&[
        "依頼元部署コード",
        "依頼元ユーザID",
        "団体内統合宛名番号",
        "個人番号",
    ])?;
    let tougou = tougou_item(request, tenant, chukan)?;
    let kojin: KojinBango = request
        .required("個人番号")?
        .parse()
        .map_err(|e| DenbunError::bad("個人番号", e))?;
    let reception = chukan
        .db()
        .next_reception(chukan.clock().now())
        .map_err(DenbunError::store)?;
    let status = chukan
        .request_fugou(tenant, tougou, kojin)
        .map_err(|error| match error {
            ChukanError::Fugou(e @ FugouError::AlreadyAcquired { .. }) => DenbunError::new(
                StatusCode::CONFLICT,
                "FUGOU_ALREADY_ACQUIRED",
                e.to_string(),
            )
            .item("団体内統合宛名番号"),
            ChukanError::Fugou(e @ FugouError::AlreadyRequested { .. }) => DenbunError::new(
                StatusCode::CONFLICT,
                "FUGOU_ALREADY_REQUESTED",
                e.to_string(),
            )
            .item("団体内統合宛名番号"),
            other => DenbunError::store(other),
        })?;
    Ok(Reply {
        reception,
        body: fugou_body(tougou, &status),
    })
}

/// IF_FGU_10112_R01 符号取得状況の取得.
fn fgu_status(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&["依頼元部署コード", "依頼元ユーザID", "団体内統合宛名番号"])?;
    let tougou = tougou_item(request, tenant, chukan)?;
    let status = tenant.fugou.status(tougou).ok_or_else(|| {
        DenbunError::new(
            StatusCode::NOT_FOUND,
            "FUGOU_NOT_REQUESTED",
            format!(
                "{} (団体内統合宛名番号「{tougou}」の符号取得要求は登録されていません)",
                FugouError::Mishutoku { tougou }
            ),
        )
        .item("団体内統合宛名番号")
    })?;
    Ok(Reply {
        reception: String::new(),
        body: fugou_body(tougou, &status),
    })
}

fn uketsuke_items(
    u: &Uketsuke,
    next_batch: Option<time::OffsetDateTime>,
) -> Vec<(&'static str, String)> {
    let mut items = vec![
        ("中間サーバー受付番号", u.reception.clone()),
        ("ファイル名", u.file_name.clone()),
        ("連携方式", u.route.word().to_owned()),
        ("受付日時", rfc3339(u.received_at)),
        ("処理状況", u.status().label().to_owned()),
        ("件数", u.records.to_string()),
        ("バイト数", u.bytes.to_string()),
        ("処理済件数", u.processed.to_string()),
        ("正常件数", u.ok.to_string()),
        ("エラー件数", u.errors.to_string()),
    ];
    match (u.finished_at, next_batch) {
        (Some(at), _) => items.push(("処理完了日時", rfc3339(at))),
        (None, Some(next)) => items.push(("処理予定日時", rfc3339(next))),
        (None, None) => {}
    }
    items
}

fn render_items(items: &[(&str, String)], indent: &str) -> String {
    items
        .iter()
        .map(|(name, value)| format!("{indent}{}\n", leaf(name, value)))
        .collect()
}

/// IF_DBM_20114_R01 副本登録状況の取得.
fn dbm_status(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&["依頼元部署コード", "依頼元ユーザID", "中間サーバー受付番号"])?;
    let reception = request.required("中間サーバー受付番号")?;
    let u = find_uketsuke(chukan, tenant, reception)?;
    let next = chukan.next_batch_time().ok();
    Ok(Reply {
        reception: u.reception.clone(),
        body: render_items(&uketsuke_items(&u, next), "    "),
    })
}

fn find_uketsuke(
    chukan: &Chukan,
    tenant: &Tenant,
    reception: &str,
) -> Result<Uketsuke, DenbunError> {
    chukan
        .db()
        .uketsuke(tenant.kikan(), reception)
        .map_err(DenbunError::store)?
        .ok_or_else(|| {
            DenbunError::new(
                StatusCode::NOT_FOUND,
                "RECEPTION_NOT_FOUND",
                format!(
                    "中間サーバー受付番号「{reception}」の副本登録は{}の中間サーバーにありません",
                    tenant.dantai.name
                ),
            )
            .item("中間サーバー受付番号")
        })
}

/// IF_DBM_20113_R01 副本登録: `message` (the 電文) then `attachment` (the file), as
/// multipart/form-data.
async fn dbm_register(app: App, tenant: Arc<Tenant>, headers: HeaderMap, body: Body) -> Response {
    let (mut multipart, message, request) =
        match super::multipart::read_message(DBM_REGISTER, &headers, body).await {
            Ok(read) => read,
            Err((message, error)) => {
                return with_recorded(unparsed_error(DBM_REGISTER, &tenant, &error), message);
            }
        };
    let outcome = register(&app, &tenant, &request, &mut multipart).await;
    with_recorded(answer(&request, outcome), message)
}

async fn register(
    app: &App,
    tenant: &Arc<Tenant>,
    request: &Denbun,
    multipart: &mut multer::Multipart<'static>,
) -> Result<Reply, DenbunError> {
    let file_name = super::multipart::check_attachment_items(tenant, request, FILE_ID, "副本登録")?;
    let bad = |why: String| {
        DenbunError::new(
            StatusCode::BAD_REQUEST,
            "BAD_MULTIPART",
            format!("添付ファイルの部品 attachment が読めません: {why}"),
        )
    };
    let field = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some("attachment") => field,
        Ok(Some(field)) => {
            return Err(bad(format!(
                "2番目の部品が「{}」です",
                field.name().unwrap_or("")
            )));
        }
        Ok(None) => return Err(bad("部品 attachment がありません".into())),
        Err(e) => return Err(bad(e.to_string())),
    };
    let sent_name = field.file_name().unwrap_or("").to_owned();
    if sent_name != file_name {
        return Err(DenbunError::new(
            StatusCode::BAD_REQUEST,
            "BAD_FILE_NAME",
            format!(
                "添付ファイルの名前「{sent_name}」が電文の添付ファイル名「{file_name}」と違います"
            ),
        )
        .item("添付ファイル名"));
    }
    let (spool, bytes) = spool(
        app,
        tenant,
        &file_name,
        field.map(|c| c.map_err(|e| e.to_string())),
    )
    .await?;
    if let Ok(Some(extra)) = multipart.next_field().await {
        let _ = std::fs::remove_file(&spool);
        return Err(bad(format!(
            "余分な部品「{}」があります",
            extra.name().unwrap_or("")
        )));
    }
    let uketsuke = accept(app, tenant, Route::WebService, file_name, spool, bytes).await?;
    let next = app.chukan.next_batch_time().ok();
    let mut items = vec![
        ("添付ファイル名", uketsuke.file_name.clone()),
        ("添付ファイルID", FILE_ID.to_owned()),
    ];
    items.extend(
        uketsuke_items(&uketsuke, next)
            .into_iter()
            .filter(|(n, _)| {
                matches!(
                    *n,
                    "受付日時" | "処理状況" | "件数" | "バイト数" | "処理予定日時"
                )
            }),
    );
    Ok(Reply {
        reception: uketsuke.reception,
        body: render_items(&items, "    "),
    })
}

/// Streams an upload to a spool file, refusing it as soon as it would take the day over the
/// byte cap; returns the file and its length. A stream that fails (a dropped upload) leaves
/// nothing behind.
async fn spool<S>(
    app: &App,
    tenant: &Arc<Tenant>,
    file_name: &str,
    mut stream: S,
) -> Result<(std::path::PathBuf, u64), DenbunError>
where
    S: futures_util::Stream<Item = Result<Bytes, String>> + Unpin,
{
    let today = app.chukan.clock().now().to_offset(crate::clock::JST).date();
    let (done_records, done_bytes) = app
        .chukan
        .db()
        .uploaded_on(tenant.kikan(), today)
        .map_err(DenbunError::store)?;
    let room = tenant.caps.bytes.saturating_sub(done_bytes);
    let temp = tempfile::Builder::new()
        .prefix("upload-")
        .suffix(".part")
        .tempfile_in(app.chukan.spool_dir())
        .map_err(DenbunError::store)?;
    let (file, path) = temp.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut bytes = 0u64;
    let result: Result<(), DenbunError> = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|why| {
                DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "FILE_UNREADABLE",
                    format!("{file_name}: ファイルを最後まで受け取れませんでした (何も受け付けていません): {why}"),
                )
                .item(file_name)
            })?;
            bytes += chunk.len() as u64;
            if bytes > room {
                return Err(batch::over_cap(file_name, tenant, done_records, done_bytes, 0, bytes));
            }
            file.write_all(&chunk).await.map_err(DenbunError::store)?;
        }
        file.flush().await.map_err(DenbunError::store)?;
        Ok(())
    }
    .await;
    drop(file);
    match result {
        Ok(()) => {
            let kept = path.keep().map_err(DenbunError::store)?;
            Ok((kept, bytes))
        }
        // `path` (a TempPath) removes the partial file when dropped.
        Err(error) => Err(error),
    }
}

async fn accept(
    app: &App,
    tenant: &Arc<Tenant>,
    route: Route,
    file_name: String,
    spool: std::path::PathBuf,
    bytes: u64,
) -> Result<Uketsuke, DenbunError> {
    let chukan = app.chukan.clone();
    let tenant = tenant.clone();
    tokio::task::spawn_blocking(move || {
        batch::accept(&chukan, &tenant, route, &file_name, spool, bytes)
    })
    .await
    .unwrap_or_else(|error| Err(DenbunError::store(error)))
}

// ---- サーバー間XMLデータ連携 ------------------------------------------------------------------

/// Checks an uploaded file's name: `FI_{機能}_{4桁}` then optionally `_` and up to 64 of
/// `A–Z a–z 0–9 - _`, then `.xml`; returns the ファイルID.
pub fn file_id_of(name: &str) -> Result<&str, DenbunError> {
    let bad = || {
        DenbunError::new(
            StatusCode::BAD_REQUEST,
            "BAD_FILE_NAME",
            format!("ファイル名「{name}」は FI_{{機能3文字}}_{{4桁}}[_{{名前}}].xml の形ではありません (名前は半角英数字と - _ で64文字まで)"),
        )
        .item(name)
    };
    let stem = name.strip_suffix(".xml").ok_or_else(bad)?;
    let id = stem.get(..11).ok_or_else(bad)?;
    let b = id.as_bytes();
    let shaped = id.starts_with("FI_")
        && b[3..6].iter().all(u8::is_ascii_uppercase)
        && b[6] == b'_'
        && b[7..11].iter().all(u8::is_ascii_digit);
    let rest = &stem[11..];
    let rest_ok = rest.is_empty()
        || (rest.starts_with('_')
            && rest.len() <= 65
            && rest.len() > 1
            && rest[1..]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    if !shaped || !rest_ok {
        return Err(bad());
    }
    if !REQUEST_FILE_IDS.contains(&id) {
        return Err(DenbunError::new(
            StatusCode::BAD_REQUEST,
            "UNKNOWN_FILE_ID",
            format!(
                "ファイルID「{id}」のファイルは受け付けません (受け付けるファイル: {})",
                REQUEST_FILE_IDS.join(", ")
            ),
        )
        .item(name));
    }
    Ok(id)
}

async fn upload_file(
    State(app): State<App>,
    Extension(peer): Extension<Peer>,
    Path(name): Path<String>,
    body: Body,
) -> Response {
    let tenant = tenant_of(&peer);
    if file_id_of(&name).is_ok_and(|id| id == teikyou_jogai::FILE_ID) {
        let (recorded, outcome) = teikyou_jogai::upload_route(app.chukan, tenant, name, body).await;
        let response = match outcome {
            Ok(xml) => xml_response(StatusCode::OK, xml),
            Err(error) => xml_error(&error),
        };
        return with_recorded(response, recorded);
    }
    if let Ok(id) = file_id_of(&name)
        && id != FILE_ID
    {
        return upload_shoukai_file(app.chukan, tenant, id.to_owned(), name, body).await;
    }
    let result = async {
        file_id_of(&name)?;
        let stream = body
            .into_data_stream()
            .map(|c| c.map_err(|e| e.to_string()));
        let (spool, bytes) = spool(&app, &tenant, &name, stream).await?;
        accept(&app, &tenant, Route::File, name.clone(), spool, bytes).await
    }
    .await;
    let recorded = Bytes::from(format!("(ファイル {name} の内容は記録しません)"));
    let response = match result {
        Ok(u) => status_document(&app.chukan, &u, "ファイル受付結果"),
        Err(error) => xml_error(&error),
    };
    with_recorded(response, recorded)
}

/// A 情報照会 request file (`FI_SKI_0001`, `FI_SKI_0005`), answered with its 状況結果.
async fn upload_shoukai_file(
    chukan: Chukan,
    tenant: Arc<Tenant>,
    id: String,
    name: String,
    body: Body,
) -> Response {
    let limit = shoukai::MAX_FILE_BYTES;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return xml_error(
                &DenbunError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "TOO_LARGE",
                    format!("{name}: ファイルが上限 {limit} バイトを超えています"),
                )
                .item(name),
            );
        }
    };
    let recorded = bytes.clone();
    let response =
        tokio::task::spawn_blocking(move || shoukai::upload(&chukan, &tenant, &name, &id, &bytes))
            .await
            .unwrap_or_else(|error| Err(DenbunError::store(error)));
    let response = match response {
        Ok(xml) => xml_response(StatusCode::OK, xml),
        Err(error) => xml_error(&error),
    };
    with_recorded(response, recorded)
}

/// The 状況結果 of a 一括照会 (16-digit 受付番号) on the file route.
async fn shoukai_file_status(chukan: Chukan, tenant: Arc<Tenant>, reception: String) -> Response {
    match tokio::task::spawn_blocking(move || shoukai::file_status(&chukan, &tenant, &reception))
        .await
        .unwrap_or_else(|error| Err(DenbunError::store(error)))
    {
        Ok(xml) => xml_response(StatusCode::OK, xml),
        Err(error) => xml_error(&error),
    }
}

fn status_document(chukan: &Chukan, u: &Uketsuke, root: &str) -> Response {
    let mut items = uketsuke_items(u, chukan.next_batch_time().ok());
    if u.status() == UketsukeStatus::Shorizumi {
        items.push((
            "結果ファイル",
            format!("/xml/v1/files/{}/result", u.reception),
        ));
    }
    xml_response(
        StatusCode::OK,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} 版=\"1\">\n{}</{root}>\n",
            render_items(&items, "  ")
        ),
    )
}

async fn file_status(
    State(app): State<App>,
    Extension(peer): Extension<Peer>,
    Path(reception): Path<String>,
) -> Response {
    let tenant = tenant_of(&peer);
    if shoukai::is_uketsuke_bango(&reception) {
        return shoukai_file_status(app.chukan, tenant, reception).await;
    }
    match find_uketsuke(&app.chukan, &tenant, &reception) {
        Ok(u) => status_document(&app.chukan, &u, "ファイル処理状況"),
        Err(error) => xml_error(&error),
    }
}

/// Streams text produced on a blocking thread as the response body.
fn streamed(
    content_type: &'static str,
    produce: impl FnOnce(&dyn Fn(String) -> bool) -> Result<(), String> + Send + 'static,
) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::task::spawn_blocking(move || {
        let send = |text: String| sender.blocking_send(Ok(Bytes::from(text))).is_ok();
        if let Err(why) = produce(&send) {
            let _ = sender.blocking_send(Err(std::io::Error::other(why)));
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    let mut response = Response::new(Body::from_stream(stream));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.extensions_mut().insert(Streamed);
    response
}

/// Gathers small strings into chunks of about 64 KiB before sending.
struct Chunker<'s> {
    buf: String,
    send: &'s dyn Fn(String) -> bool,
}

impl<'s> Chunker<'s> {
    fn push(&mut self, text: &str) -> bool {
        self.buf.push_str(text);
        if self.buf.len() >= 64 * 1024 {
            return (self.send)(std::mem::take(&mut self.buf));
        }
        true
    }

    fn finish(self) {
        if !self.buf.is_empty() {
            (self.send)(self.buf);
        }
    }
}

async fn result_file(
    State(app): State<App>,
    Extension(peer): Extension<Peer>,
    Path(reception): Path<String>,
) -> Response {
    let tenant = tenant_of(&peer);
    if shoukai::is_uketsuke_bango(&reception) {
        return shoukai_file_status(app.chukan, tenant, reception).await;
    }
    let u = match find_uketsuke(&app.chukan, &tenant, &reception) {
        Ok(u) => u,
        Err(error) => return xml_error(&error),
    };
    if u.status() != UketsukeStatus::Shorizumi {
        return xml_error(&DenbunError::new(
            StatusCode::CONFLICT,
            "RESULT_NOT_READY",
            format!(
                "中間サーバー受付番号「{}」はまだ{}です: 結果ファイルは夜間バッチの処理が終わってから取得できます",
                u.reception,
                u.status().label()
            ),
        ));
    }
    let chukan = app.chukan.clone();
    let dantai = tenant.dantai.code;
    streamed("application/xml; charset=utf-8", move |send| {
        let mut out = Chunker {
            buf: String::new(),
            send,
        };
        let header = [
            ("ファイルID", RESULT_FILE_ID.to_owned()),
            ("団体コード", dantai.to_string()),
            ("中間サーバー受付番号", u.reception.clone()),
            ("対象ファイル名", u.file_name.clone()),
            (
                "処理完了日時",
                u.finished_at.map(rfc3339).unwrap_or_default(),
            ),
            ("件数", u.records.to_string()),
            ("正常件数", u.ok.to_string()),
            ("エラー件数", u.errors.to_string()),
        ];
        out.push(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<副本登録処理結果 版=\"1\">\n  <ヘッダ>\n{}  </ヘッダ>\n",
            render_items(&header, "    ")
        ));
        let mut alive = true;
        chukan
            .db()
            .for_each_kekka(&u.reception, |row| {
                let mut text = format!(
                    "  <結果>\n    {}\n    {}\n    {}\n",
                    leaf("レコード番号", &row.record_number.to_string()),
                    leaf("レコード識別番号", &row.record_id),
                    leaf("処理結果", &row.status)
                );
                if let Some(code) = &row.code {
                    text.push_str(&format!(
                        "    {}\n    {}\n    {}\n",
                        leaf("結果コード", code),
                        leaf("項目", row.item.as_deref().unwrap_or("")),
                        leaf("メッセージ", row.message.as_deref().unwrap_or(""))
                    ));
                }
                text.push_str("  </結果>\n");
                alive = out.push(&text);
                alive
            })
            .map_err(|e| e.to_string())?;
        if alive {
            out.push("</副本登録処理結果>\n");
            out.finish();
        }
        Ok(())
    })
}

/// One CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The columns of the 副本管理情報 export, in order.
pub const KANRI_COLUMNS: [&str; 11] = [
    "団体内統合宛名番号",
    "特定個人情報名コード",
    "データセット識別項目コード",
    "データセットレコードキー",
    "メジャーバージョン",
    "版",
    "レコード識別番号",
    "公開日",
    "公開終了日",
    "登録日時",
    "更新日時",
];

/// The columns of the バッチ実行結果 export, in order.
pub const BATCH_COLUMNS: [&str; 9] = [
    "バッチ実行日時",
    "中間サーバー受付番号",
    "ファイル名",
    "処理件数",
    "正常件数(累計)",
    "エラー件数(累計)",
    "翌日繰越件数",
    "処理状況",
    "エラー有無",
];

async fn export_kanri(State(app): State<App>, Extension(peer): Extension<Peer>) -> Response {
    let tenant = tenant_of(&peer);
    let chukan = app.chukan.clone();
    streamed("text/csv; charset=utf-8", move |send| {
        let mut out = Chunker {
            buf: String::new(),
            send,
        };
        out.push(&format!("{}\r\n", KANRI_COLUMNS.join(",")));
        let mut alive = true;
        chukan
            .db()
            .for_each_kanri(tenant.kikan(), |fields| {
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                alive = out.push(&format!("{}\r\n", line.join(",")));
                alive
            })
            .map_err(|e| e.to_string())?;
        if alive {
            out.finish();
        }
        Ok(())
    })
}

/// 情報提供等記録ファイル: the ZIP of [`kiroku::export`].
async fn export_kiroku(
    State(app): State<App>,
    Extension(peer): Extension<Peer>,
    RawQuery(query): RawQuery,
) -> Response {
    let tenant = tenant_of(&peer);
    let chukan = app.chukan.clone();
    let query = query.unwrap_or_default();
    match tokio::task::spawn_blocking(move || kiroku::export(&chukan, &tenant, &query))
        .await
        .unwrap_or_else(|error| Err(DenbunError::store(error)))
    {
        Ok((name, bytes)) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            );
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response.extensions_mut().insert(Streamed);
            response
        }
        Err(error) => xml_error(&error),
    }
}

async fn export_batch(State(app): State<App>, Extension(peer): Extension<Peer>) -> Response {
    let tenant = tenant_of(&peer);
    let runs = match app.chukan.db().batch_runs(tenant.kikan()) {
        Ok(runs) => runs,
        Err(error) => return xml_error(&DenbunError::store(error)),
    };
    let files = app
        .chukan
        .db()
        .all_uketsuke(tenant.kikan())
        .unwrap_or_default();
    let mut text = format!("{}\r\n", BATCH_COLUMNS.join(","));
    for run in runs {
        let file = files.iter().find(|u| u.reception == run.reception);
        let status = if run.remaining > 0 {
            UketsukeStatus::Kurikoshi.label()
        } else {
            UketsukeStatus::Shorizumi.label()
        };
        let fields = [
            rfc3339(run.run_at),
            run.reception.clone(),
            file.map(|u| u.file_name.clone()).unwrap_or_default(),
            run.processed.to_string(),
            run.ok.to_string(),
            run.errors.to_string(),
            run.remaining.to_string(),
            status.to_owned(),
            if run.errors > 0 { "有" } else { "無" }.to_owned(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        text.push_str(&line.join(","));
        text.push_str("\r\n");
    }
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(file_id_of("FI_DBM_0001.xml").unwrap(), "FI_DBM_0001");
        assert_eq!(
            file_id_of("FI_DBM_0001_2019-06_a.xml").unwrap(),
            "FI_DBM_0001"
        );
        for bad in [
            "FI_DBM_001.xml",
            "FI_DBM_0001.txt",
            "FI_dbm_0001.xml",
            "FI_DBM_0001_.xml",
            "FI_DBM_0001_𠮷.xml",
            "x",
        ] {
            assert_eq!(file_id_of(bad).unwrap_err().code, "BAD_FILE_NAME", "{bad}");
        }
        assert_eq!(
            file_id_of("FI_SKI_0006.xml").unwrap_err().code,
            "UNKNOWN_FILE_ID"
        );
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("𠮷"), "𠮷");
        assert_eq!(csv_field("x\"y"), "\"x\"\"y\"");
    }
}
