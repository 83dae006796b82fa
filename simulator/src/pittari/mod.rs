//! ぴったりサービス (マイナポータル) application download, simulated.
//!
//! | module | what |
//! |---|---|
//! | [`state`] | accounts, sessions, 申請 with their 取得状態 and 処理状況, service hours |
//! | [`api`] | the download API over HTTP (`docs/openapi/pittari.yaml`) |
//! | [`repository`] | the JPKI CA certificates and current CRLs, served beside the API |
//! | [`tls`] | https for the download API (`renkei serve --tls`): its TLS CA, server certificate and accept loop |
//! | [`zip`] | the 申請ZIP: building it and reading it back safely |

pub mod api;
pub mod repository;
pub mod state;
pub mod tls;
pub mod zip;

pub use state::{Pittari, PittariConfig, ServiceHours, ShoriJokyo, ShutokuJotai};
