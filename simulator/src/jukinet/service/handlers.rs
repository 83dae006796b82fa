//! The handlers: one per route of [`ROUTES`](super::routes::ROUTES), and the two fallbacks.
//!
//! Each reads what the vendor sent in a fixed order — path 団体 (authorize), query parameters,
//! body, path 住民票コード — so that the first thing wrong is the error, the same every time.

use std::collections::{BTreeMap, HashMap};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{MatchedPath, Path, Query, State};
use axum::http::{HeaderValue, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use renkei_fixtures::ids::JuminhyoCode;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::auth::{Caller, authorize};
use super::error::{
    HONIN_KAKUNIN_MAX, PLUS_HINT, REPEATED_PARAMETER, ServiceError, UNDECODABLE_QUERY,
    UNKNOWN_PARAMETER, juminhyo_code_invalid,
};
use super::form::{Form, file_response};
use super::routes::ROUTES;
use super::state::JukinetCs;

type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// `JS01` 全件.
pub(super) async fn shomeisho_zenken(
    State(cs): State<JukinetCs>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    query: QueryPairs,
) -> Result<Response, ServiceError> {
    let dantai = authorize(&cs, caller, &path_or_404(path, &uri)?)?;
    let params = params(query, &[FORM])?;
    let form = Form::from_param(params.get(FORM).map(String::as_str))?;
    file_response(&cs.shomeisho_all(dantai)?, form, dantai)
}

/// `JS02` 差分.
pub(super) async fn shomeisho_sabun(
    State(cs): State<JukinetCs>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    query: QueryPairs,
) -> Result<Response, ServiceError> {
    let dantai = authorize(&cs, caller, &path_or_404(path, &uri)?)?;
    let params = params(query, &[SINCE, FORM])?;
    let since = parse_since(params.get(SINCE).ok_or(ServiceError::SinceMissing)?)?;
    let form = Form::from_param(params.get(FORM).map(String::as_str))?;
    file_response(&cs.shomeisho_since(dantai, since)?, form, dantai)
}

/// `JH01` for one resident.
pub(super) async fn honin_kakunin_one(
    State(cs): State<JukinetCs>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    query: QueryPairs,
) -> Result<Response, ServiceError> {
    let (dantai_code, juminhyo_code) = path_or_404(path, &uri)?;
    let dantai = authorize(&cs, caller, &dantai_code)?;
    let params = params(query, &[FORM])?;
    let form = Form::from_param(params.get(FORM).map(String::as_str))?;
    let code: JuminhyoCode = juminhyo_code
        .parse()
        .map_err(|e| juminhyo_code_invalid(e, "juminhyo_code".into()))?;
    file_response(&cs.honin_kakunin_file(dantai, &[code])?, form, dantai)
}

/// The body of a bulk 本人確認情報 request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkRequest {
    /// Strings, not `JuminhyoCode`: a bad code is reported with its position, by our own error.
    juminhyo_codes: Vec<String>,
}

/// `JH01` for a list of residents.
pub(super) async fn honin_kakunin_bulk(
    State(cs): State<JukinetCs>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    query: QueryPairs,
    body: Bytes,
) -> Result<Response, ServiceError> {
    let dantai = authorize(&cs, caller, &path_or_404(path, &uri)?)?;
    let params = params(query, &[FORM])?;
    let form = Form::from_param(params.get(FORM).map(String::as_str))?;
    let request: BulkRequest =
        serde_json::from_slice(&body).map_err(|e| ServiceError::BodyInvalid {
            reason: e.to_string(),
        })?;
    let codes = bulk_codes(&request.juminhyo_codes)?;
    file_response(&cs.honin_kakunin_file(dantai, &codes)?, form, dantai)
}

/// The codes of a bulk request: at least one, at most [`HONIN_KAKUNIN_MAX`], each 11 digits,
/// none twice.
fn bulk_codes(texts: &[String]) -> Result<Vec<JuminhyoCode>, ServiceError> {
    if texts.is_empty() {
        return Err(ServiceError::BulkEmpty);
    }
    if texts.len() > HONIN_KAKUNIN_MAX {
        return Err(ServiceError::BulkTooMany { count: texts.len() });
    }
    let mut seen: HashMap<JuminhyoCode, usize> = HashMap::with_capacity(texts.len());
    let mut codes = Vec::with_capacity(texts.len());
    for (index, text) in texts.iter().enumerate() {
        let code: JuminhyoCode = text
            .parse()
            .map_err(|e| juminhyo_code_invalid(e, format!("juminhyo_codes[{index}]")))?;
        if let Some(first) = seen.insert(code, index) {
            return Err(ServiceError::JuminhyoCodeDuplicate {
                code,
                first: first + 1,
                second: index + 1,
            });
        }
        codes.push(code);
    }
    Ok(codes)
}

/// Any path the API does not have.
pub(super) async fn not_found(uri: Uri) -> ServiceError {
    ServiceError::NotFound {
        path: uri.path().to_owned(),
    }
}

/// A path the API has, with a method it does not take there.
pub(super) async fn method_not_allowed(method: Method, matched: Option<MatchedPath>) -> Response {
    let allowed = matched
        .map(|m| {
            ROUTES
                .iter()
                .filter(|r| r.path == m.as_str())
                .map(|r| r.method.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let mut response = ServiceError::MethodNotAllowed {
        method: method.to_string(),
        allowed: allowed.clone(),
    }
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

const FORM: &str = "form";
const SINCE: &str = "since";

/// The path parameters; a path whose segments cannot be decoded is a path the API does not have.
fn path_or_404<T>(path: Result<Path<T>, PathRejection>, uri: &Uri) -> Result<T, ServiceError> {
    path.map(|Path(value)| value)
        .map_err(|_| ServiceError::NotFound {
            path: uri.path().to_owned(),
        })
}

/// The query parameters, each at most once and each one the route takes.
fn params(
    query: QueryPairs,
    allowed: &[&'static str],
) -> Result<BTreeMap<&'static str, String>, ServiceError> {
    let Query(pairs) = query.map_err(|_| ServiceError::QueryInvalid {
        name: "query".into(),
        reason: UNDECODABLE_QUERY,
    })?;
    let mut params = BTreeMap::new();
    for (name, value) in pairs {
        let Some(known) = allowed.iter().find(|a| **a == name) else {
            return Err(ServiceError::QueryInvalid {
                name,
                reason: UNKNOWN_PARAMETER,
            });
        };
        if params.insert(*known, value).is_some() {
            return Err(ServiceError::QueryInvalid {
                name,
                reason: REPEATED_PARAMETER,
            });
        }
    }
    Ok(params)
}

/// `since`: RFC 3339, any offset, a fraction allowed.
fn parse_since(value: &str) -> Result<OffsetDateTime, ServiceError> {
    OffsetDateTime::parse(value, &Rfc3339).map_err(|_| ServiceError::SinceInvalid {
        value: value.to_owned(),
        // The usual mistake: `+09:00` sent unencoded arrives as ` 09:00`.
        hint: if value.contains(' ') { PLUS_HINT } else { "" },
    })
}
