//! 認証 and 団体 isolation: the 既存住基システム of a 団体 reads only its own 団体's data.
//!
//! [`authenticate`] runs before every route: it finds the 団体 of the Bearer key (401 when there
//! is none or it is wrong) and names that 団体 as the caller, for the handler and for the
//! journal. [`authorize`] then checks the 団体コード in the path against it (400 / 404 / 403).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use renkei_fixtures::ids::DantaiCode;

use super::error::ServiceError;
use super::state::JukinetCs;
use crate::http::AuthenticatedAs;

/// The 団体 whose key the request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Caller(pub DantaiCode);

/// Axum middleware: authenticates the request by its Bearer key.
pub(super) async fn authenticate(
    State(cs): State<JukinetCs>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(key) = bearer(request.headers()) else {
        return ServiceError::AuthMissing.into_response();
    };
    let Some(dantai) = cs.dantai_for_key(key) else {
        return ServiceError::AuthInvalid.into_response();
    };
    request.extensions_mut().insert(Caller(dantai));
    let mut response = next.run(request).await;
    // The journal names the caller by its 団体コード, whatever the handler answered.
    response
        .extensions_mut()
        .insert(AuthenticatedAs(dantai.to_string()));
    response
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive,
/// RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

/// The 団体 of the path, if the caller may read it: a malformed code is 400, a 団体 this CS does
/// not serve 404, another 団体 than the caller's 403.
pub(super) fn authorize(
    cs: &JukinetCs,
    caller: Caller,
    dantai_code: &str,
) -> Result<DantaiCode, ServiceError> {
    let asked: DantaiCode = dantai_code
        .parse()
        .map_err(ServiceError::DantaiCodeInvalid)?;
    if !cs.serves(asked) {
        return Err(ServiceError::DantaiUnknown(asked));
    }
    if asked != caller.0 {
        return Err(ServiceError::DantaiForbidden {
            caller: caller.0,
            asked,
        });
    }
    Ok(asked)
}
