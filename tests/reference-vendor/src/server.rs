//! HTTP の入り口: `GET /health`、ジョブ (`POST /renkei/jobs/{名前}`)、観察 (`GET /renkei/v1/…`)。
//!
//! 127.0.0.1 だけで待ち受けます。SIGTERM (renkei がシステムを止めるとき) か Ctrl-C で、走っている要求を
//! 終えてから止まります。

use crate::app::App;
use crate::error::Result;
use crate::jobs::{self, JobRequest};
use crate::observe::{self, Answer};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::HashMap;
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(
            "/health",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route("/renkei/jobs/{name}", post(job).put(job))
        .route(
            "/renkei/v1/shinsei",
            get(
                |State(app): State<Arc<App>>, Query(q): Query<HashMap<String, String>>| async move {
                    answer(observe::shinsei(&app, &q))
                },
            ),
        )
        .route(
            "/renkei/v1/tsuchi",
            get(|State(app): State<Arc<App>>| async move { answer(observe::tsuchi(&app)) }),
        )
        .route(
            "/renkei/v1/ikkatsu",
            get(
                |State(app): State<Arc<App>>, Query(q): Query<HashMap<String, String>>| async move {
                    answer(observe::ikkatsu(&app, &q))
                },
            ),
        )
        .route(
            "/renkei/v1/himoduke",
            get(|State(app): State<Arc<App>>| async move { answer(observe::himoduke(&app)) }),
        )
        .route(
            "/renkei/v1/fugou",
            get(|State(app): State<Arc<App>>| async move { answer(observe::fugou(&app)) }),
        )
        .route(
            "/renkei/v1/fukuhon",
            get(|State(app): State<Arc<App>>| async move { answer(observe::fukuhon(&app)) }),
        )
        .route(
            "/renkei/v1/shoukai",
            get(|State(app): State<Arc<App>>| async move { answer(observe::shoukai(&app)) }),
        )
        .route(
            "/renkei/v1/kiroku",
            get(|State(app): State<Arc<App>>| async move { answer(observe::kiroku(&app)) }),
        )
        .route(
            "/renkei/v1/kikan_test",
            get(|State(app): State<Arc<App>>| async move { answer(observe::kikan_test(&app)) }),
        )
        .route(
            "/renkei/v1/setsuzoku",
            get(|State(app): State<Arc<App>>| async move { answer(observe::setsuzoku(&app)) }),
        )
        .route(
            "/renkei/v1/teikyou",
            get(|State(app): State<Arc<App>>| async move { answer(observe::teikyou(&app)) }),
        )
        .route(
            "/renkei/v1/toiawase",
            get(
                |State(app): State<Arc<App>>, Query(q): Query<HashMap<String, String>>| async move {
                    answer(observe::toiawase(&app, &q))
                },
            ),
        )
        .route(
            "/renkei/v1/jumin",
            get(
                |State(app): State<Arc<App>>, Query(q): Query<HashMap<String, String>>| async move {
                    answer(observe::jumin(&app, &q))
                },
            ),
        )
        .with_state(app)
}

fn json_response(status: u16, body: serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

fn answer(result: Result<Answer>) -> Response {
    match result {
        Ok(a) => json_response(a.status, a.body),
        Err(e) => json_response(500, serde_json::json!({ "error": e.0 })),
    }
}

async fn job(State(app): State<Arc<App>>, Path(name): Path<String>, body: Bytes) -> Response {
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        JobRequest::default()
    } else {
        match serde_json::from_slice::<JobRequest>(&body) {
            Ok(r) => r,
            Err(e) => {
                return json_response(
                    400,
                    serde_json::json!({ "error": format!("ジョブの本文が JSON ではありません: {e}") }),
                );
            }
        }
    };
    if let Some(stated) = &request.job
        && stated.replace('-', "_") != name.replace('-', "_")
    {
        eprintln!(
            "reference-vendor: 本文のジョブ名「{stated}」とパスのジョブ名「{name}」が違います (パスに従います)"
        );
    }
    let answer = jobs::run(&app, &name, request).await;
    json_response(answer.status, answer.body)
}

/// 待ち受け、止める合図まで答え続けます。待ち受けたアドレスを標準出力に1行で書きます (`--port 0` のため)。
pub async fn serve(app: Arc<App>, port: u16) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    println!("renkei-reference-vendor: http://{addr} で待ち受けます");
    if let Some(id) = app.seeded.id() {
        println!("renkei-reference-vendor: 不具合「{id}」を仕込んで動いています");
    }
    use std::io::Write;
    std::io::stdout().flush().ok();
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
