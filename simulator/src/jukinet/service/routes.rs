//! The routes of the 住基ネットCS API — listed once, here — and the router built from the list.
//!
//! [`router`] adds exactly the routes of [`ROUTES`], so the list is what the service serves; a
//! test compares it with the `paths` of `docs/openapi/jukinet-cs.yaml` and calls every entry
//! over HTTP.

use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use axum::middleware;
use axum::routing::{MethodRouter, get, post};

use super::{auth, handlers};
use crate::http::{self, Recording};
use crate::jukinet::FileId;
use crate::jukinet::service::state::JukinetCs;

/// One route of the API.
pub struct Route {
    pub method: Method,
    /// The path template, in the syntax axum and OpenAPI share (`{dantai_code}`).
    pub path: &'static str,
    /// `operationId` in the OpenAPI document.
    pub operation_id: &'static str,
    /// The file the route answers with.
    pub file_id: FileId,
    handler: fn() -> MethodRouter<JukinetCs>,
}

/// Every route of the API, in the order the docs list them.
pub static ROUTES: [Route; 4] = [
    Route {
        method: Method::GET,
        path: "/jukinet/v1/dantai/{dantai_code}/shomeisho/zenken",
        operation_id: "getShomeishoZenken",
        file_id: FileId::ShomeishoZenken,
        handler: || get(handlers::shomeisho_zenken),
    },
    Route {
        method: Method::GET,
        path: "/jukinet/v1/dantai/{dantai_code}/shomeisho/sabun",
        operation_id: "getShomeishoSabun",
        file_id: FileId::ShomeishoSabun,
        handler: || get(handlers::shomeisho_sabun),
    },
    Route {
        method: Method::GET,
        path: "/jukinet/v1/dantai/{dantai_code}/honin-kakunin/{juminhyo_code}",
        operation_id: "getHoninKakunin",
        file_id: FileId::HoninKakunin,
        handler: || get(handlers::honin_kakunin_one),
    },
    Route {
        method: Method::POST,
        path: "/jukinet/v1/dantai/{dantai_code}/honin-kakunin",
        operation_id: "postHoninKakunin",
        file_id: FileId::HoninKakunin,
        handler: || post(handlers::honin_kakunin_bulk),
    },
];

/// The 住基ネットCS API for `cs`, recording every exchange through `recording` (which should be
/// for [`System::Jukinet`](crate::journal::System::Jukinet)).
///
/// Every route needs the Bearer key of the 団体 in its path; every answer that is not a file is
/// an [`ApiError`](crate::http::ApiError), unknown paths and methods included.
pub fn router(cs: JukinetCs, recording: Arc<Recording>) -> Router {
    let mut routes = Router::new();
    for route in &ROUTES {
        routes = routes.route(route.path, (route.handler)());
    }
    routes
        // Before `route_layer`, so that a wrong method on a known path is authenticated too.
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .route_layer(middleware::from_fn_with_state(
            cs.clone(),
            auth::authenticate,
        ))
        .fallback(handlers::not_found)
        .with_state(cs)
        .layer(middleware::from_fn_with_state(recording, http::record))
}
