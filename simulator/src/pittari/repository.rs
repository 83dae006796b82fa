//! The JPKI repository as the download API's host serves it: the synthetic CA certificates and
//! their current CRLs, so a 申請管理システム can verify 申請 signatures including revocation
//! (seed 000 §1 (2); ING-08). The CRL is made on request from the 住基ネットCS's certificate
//! rows, so a revocation the scenario makes shows from the moment it happens.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use renkei_fixtures::population::CertKind as PopulationKind;
use time::Duration;

use crate::clock::Clock;
use crate::http::{ApiError, Recording};
use crate::jpki::{CertKind, Jpki, crl_pem};
use crate::jukinet::service::JukinetCs;

/// Every route: (method, path as written in the OpenAPI document).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/pittari/v1/jpki/{ca}/ca.pem"),
    ("GET", "/pittari/v1/jpki/{ca}/crl.der"),
    ("GET", "/pittari/v1/jpki/{ca}/crl.pem"),
];

/// How long a served CRL is current (its nextUpdate − thisUpdate).
pub const CRL_VALIDITY: Duration = Duration::days(1);

#[derive(Clone)]
struct Repository {
    jpki: Arc<Jpki>,
    jukinet: JukinetCs,
    clock: Clock,
}

/// The repository's router, recording through `recording`.
pub fn router(
    jpki: Arc<Jpki>,
    jukinet: JukinetCs,
    clock: Clock,
    recording: Arc<Recording>,
) -> Router {
    Router::new()
        .route("/pittari/v1/jpki/{ca}/ca.pem", get(ca_pem))
        .route("/pittari/v1/jpki/{ca}/crl.der", get(crl_der))
        .route("/pittari/v1/jpki/{ca}/crl.pem", get(crl_pem_route))
        .with_state(Repository {
            jpki,
            jukinet,
            clock,
        })
        .layer(axum::middleware::from_fn_with_state(
            recording,
            crate::http::record,
        ))
}

/// `signature` (署名用) or `authentication` (利用者証明用).
fn kind(name: &str) -> Result<CertKind, ApiError> {
    match name {
        "signature" => Ok(CertKind::Signature),
        "authentication" => Ok(CertKind::Authentication),
        other => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "UNKNOWN_CA",
            format!("認証局「{other}」はありません (signature = 署名用, authentication = 利用者証明用)。"),
        )
        .target(other)),
    }
}

fn with_type(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn ca_pem(
    State(repo): State<Repository>,
    Path(ca): Path<String>,
) -> Result<Response, ApiError> {
    let ca = repo.jpki.ca(kind(&ca)?);
    Ok(with_type(ca.cert_pem(), "application/x-pem-file"))
}

/// The CRL of `ca` as of now: every certificate of that kind revoked on or before today.
fn current_crl(repo: &Repository, ca: CertKind) -> Result<Vec<u8>, ApiError> {
    let now = repo.clock.now();
    let today = now.to_offset(renkei_fixtures::JST).date();
    let wanted = match ca {
        CertKind::Signature => PopulationKind::Shomei,
        CertKind::Authentication => PopulationKind::RiyoshaShomei,
    };
    let revoked: Vec<_> = repo
        .jukinet
        .revocations(wanted, today)
        .into_iter()
        .map(|(serial, day)| (serial, day.midnight().assume_offset(renkei_fixtures::JST)))
        .collect();
    repo.jpki
        .ca(ca)
        .crl(&revoked, now, now + CRL_VALIDITY)
        .map_err(internal)
}

fn internal(error: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        format!("失効リストを作れませんでした: {error}"),
    )
}

async fn crl_der(
    State(repo): State<Repository>,
    Path(ca): Path<String>,
) -> Result<Response, ApiError> {
    let der = current_crl(&repo, kind(&ca)?)?;
    Ok(with_type(der, "application/pkix-crl"))
}

async fn crl_pem_route(
    State(repo): State<Repository>,
    Path(ca): Path<String>,
) -> Result<Response, ApiError> {
    let der = current_crl(&repo, kind(&ca)?)?;
    Ok(with_type(crl_pem(&der), "application/x-pem-file"))
}
