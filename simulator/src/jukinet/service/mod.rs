//! 住基ネットCS (simulated) as a service: the state it holds, its HTTP API for the
//! 既存住基システム, and the 符号取得 relay.
//!
//! The 既存住基システム of a 団体 (the vendor's system under test) reads from the CS
//! (seed 001 §5 ②):
//!
//! - 証明書情報連携 (シリアル番号情報取得): the シリアル番号 ↔ 住民票コード rows of its residents'
//!   certificates, in full (`JS01`) and as deltas since a time (`JS02`) — JUK-01, JUK-03, JUK-04;
//! - 本人確認情報 (`JH01`) by 住民票コード, one or many;
//!
//! each in the CSV form or the fixed-length Shift_JIS form with its 外字例外ファイル (JUK-06).
//! The API is renkei's own, modelled on seed 001 §5 ② (the real 既存住基システム改造仕様書 is not
//! public); `docs/jukinet-cs-api.md` and `docs/openapi/jukinet-cs.yaml` document it for vendors.
//!
//! The 符号取得 relay (seed 004 §6.3) is a Rust interface for the other simulators: the
//! 中間サーバー asks the CS, the CS asks a [`FugouIssuer`] (the 情報提供ネットワークシステム).
//!
//! | module | what it is |
//! |---|---|
//! | [`state`] | [`JukinetCs`]: residents and certificate rows per 団体, changes (失効, 更新, 発行, 転入), queries, the 更新日時 rules |
//! | [`admin`] | the CS's part of the admin API: look a resident up, change the CS ([`admin::ROUTES`]) |
//! | [`change`] | changes made while the CS runs (admin API): [`ChangeRequest`] filled in, checked, made durable, made; [`Recorded`] and its replay |
//! | [`fugou`] | [`Fugou`], [`FugouIssuer`] and [`JukinetCs::relay_fugou_request`] |
//! | [`access`] | [`AccessKey`]: the Bearer key of a 団体's 既存住基システム |
//! | [`routes`] | [`ROUTES`] (the one list of routes) and [`router`] |
//! | `auth` | authentication and 団体 isolation (401 / 403) |
//! | `handlers` | one handler per route, and the fallbacks |
//! | [`form`] | `form=csv\|fixed`: the CSV answer and the ZIP of fixed-length file + 外字例外ファイル |
//! | [`error`] | [`ServiceError`]: every error code, status and message |
//!
//! ```no_run
//! # async fn serve(cs: renkei_simulator::jukinet::service::JukinetCs, clock: renkei_simulator::clock::Clock) {
//! use std::net::SocketAddr;
//! use std::sync::Arc;
//! use renkei_simulator::http::Recording;
//! use renkei_simulator::journal::{Journal, System};
//! use renkei_simulator::jukinet::service::router;
//!
//! let recording = Arc::new(Recording {
//!     journal: Journal::new(),
//!     system: System::Jukinet,
//!     clock,
//!     hops: None,
//!     max_request_bytes: 1 << 20,
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! axum::serve(
//!     listener,
//!     router(cs, recording).into_make_service_with_connect_info::<SocketAddr>(),
//! )
//! .await
//! .unwrap();
//! # }
//! ```

pub mod access;
pub mod admin;
mod auth;
pub mod change;
pub mod error;
pub mod form;
pub mod fugou;
mod handlers;
pub mod routes;
pub mod state;

pub use access::{AccessKey, AccessKeyError};
pub use change::{
    Applied, ChangeRequest, CsChange, HakkoRequest, KoushinRequest, NewCertificate, RENKEI_SERIALS,
    Recorded, Refused, ShikkouRequest, TennyuRequest, Tennyusha,
};
pub use error::{HONIN_KAKUNIN_MAX, ServiceError, errors_markdown};
pub use form::Form;
pub use fugou::{Fugou, FugouError, FugouIssueError, FugouIssuer, FugouRelayError};
pub use routes::{ROUTES, Route, router};
pub use state::{
    BuildError, CertificateEntry, ChangeError, ClockOutOfRange, JukinetCs, JukinetCsBuilder,
    NewSerials, QueryError, Renewal, SHOMEI_MIN_AGE, yuko_kigen,
};
