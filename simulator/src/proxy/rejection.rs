//! The proxy's own answers: every error it returns, with its status, code and message.
//!
//! docs/renkei-server-proxy.md lists the same; `simulator/tests/proxy_docs.rs` checks that it does.

use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::body::ProxyBody;
use super::event::Recorder;
use super::{Authority, AuthorityError, Decision};

/// The error codes of the 連携サーバ, as they appear in the JSON body's `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// 403: the target is not on the allow list.
    #[serde(rename = "PROXY_DENIED")]
    Denied,
    /// 400: the request cannot be forwarded as sent.
    #[serde(rename = "PROXY_BAD_REQUEST")]
    BadRequest,
    /// 502: the target is allowed but the proxy could not connect to it.
    #[serde(rename = "PROXY_UPSTREAM_UNREACHABLE")]
    UpstreamUnreachable,
    /// 502: the proxy connected, but the target closed or answered with something that is not
    /// HTTP before a response head arrived.
    #[serde(rename = "PROXY_UPSTREAM_ERROR")]
    UpstreamError,
}

impl ErrorCode {
    /// Every code, in the order the docs list them.
    pub const ALL: [ErrorCode; 4] = [
        ErrorCode::Denied,
        ErrorCode::BadRequest,
        ErrorCode::UpstreamUnreachable,
        ErrorCode::UpstreamError,
    ];

    /// The code as sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Denied => "PROXY_DENIED",
            ErrorCode::BadRequest => "PROXY_BAD_REQUEST",
            ErrorCode::UpstreamUnreachable => "PROXY_UPSTREAM_UNREACHABLE",
            ErrorCode::UpstreamError => "PROXY_UPSTREAM_ERROR",
        }
    }

    /// The HTTP status it comes with.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::Denied => 403,
            ErrorCode::BadRequest => 400,
            ErrorCode::UpstreamUnreachable | ErrorCode::UpstreamError => 502,
        }
    }

    /// How it is recorded.
    pub const fn decision(self) -> Decision {
        match self {
            ErrorCode::Denied => Decision::Denied,
            ErrorCode::BadRequest => Decision::BadRequest,
            ErrorCode::UpstreamUnreachable => Decision::UpstreamUnreachable,
            ErrorCode::UpstreamError => Decision::UpstreamError,
        }
    }
}

/// The JSON body of every error the proxy itself returns
/// (`Content-Type: application/json; charset=utf-8`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// What happened and what to do, in Japanese.
    pub message: String,
    /// The target the request named (as sent, if it was not valid); `null` if it named none.
    pub target: Option<String>,
}

/// Why a request cannot be forwarded as sent (400 `PROXY_BAD_REQUEST`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRequestReason {
    /// Origin-form (`GET /path`) with no `Host` header: nothing says where to forward it.
    NoTarget { path: String },
    /// The absolute-form URL or the `Host` header names no valid `host[:port]`.
    BadTarget { target: String, why: AuthorityError },
    /// Absolute-form with a scheme other than `http` (`https://…` must go through CONNECT).
    UnsupportedScheme { scheme: String },
    /// CONNECT to something that is not `host:port`.
    BadConnectTarget { target: String, why: AuthorityError },
    /// Addressed to the proxy itself, as if it were the download API.
    ToProxyItself { target: String },
    /// The client stopped sending in the middle of the request body.
    IncompleteBody,
}

impl BadRequestReason {
    /// The message sent to the client.
    pub fn message(&self) -> String {
        match self {
            BadRequestReason::NoTarget { path } => format!(
                "転送先がわかりません: 要求行「{path}」が origin 形式で、Host ヘッダーもありません。連携サーバをプロキシとして設定し、要求行を絶対形式 (http://ホスト:ポート/パス) で送ってください"
            ),
            BadRequestReason::BadTarget { target, why } => {
                format!("接続先「{target}」が不正です: {why}")
            }
            BadRequestReason::UnsupportedScheme { scheme } => format!(
                "スキーム「{scheme}」の要求は転送できません: http の接続先へは絶対形式 (http://ホスト:ポート/パス) で、https の接続先へは CONNECT でトンネルを開いて送ってください"
            ),
            BadRequestReason::BadConnectTarget { target, why } => format!(
                "CONNECT の接続先「{target}」が不正です: {why} (CONNECT ホスト:ポート の形で送ってください)"
            ),
            BadRequestReason::ToProxyItself { target } => format!(
                "連携サーバ自身 ({target}) 宛ての要求です: 連携サーバは中継用のプロキシです。クライアントのプロキシ設定 (HTTP_PROXY など) に連携サーバを、要求の URL に接続先 (ダウンロード機能) を指定してください"
            ),
            BadRequestReason::IncompleteBody => {
                "要求本文を受信している途中でクライアントとの接続が切れました".to_owned()
            }
        }
    }
}

/// The message of 403 `PROXY_DENIED`.
pub fn denied_message(target: &str) -> String {
    format!("連携サーバはこの接続先への通信を許可していません: {target}")
}

/// The message of 502 `PROXY_UPSTREAM_UNREACHABLE`.
pub fn unreachable_message(target: &str, cause: &str) -> String {
    format!("連携サーバから接続先 {target} に接続できませんでした: {cause}")
}

/// The message of 502 `PROXY_UPSTREAM_ERROR`.
pub fn upstream_error_message(target: &str, cause: &str) -> String {
    format!("接続先 {target} から HTTP の応答を受け取れませんでした: {cause}")
}

/// A request the proxy answers itself.
#[derive(Debug, Clone)]
pub(crate) enum Rejection {
    Denied {
        target: Authority,
    },
    BadRequest {
        reason: BadRequestReason,
        target: Option<String>,
    },
    UpstreamUnreachable {
        target: Authority,
        cause: String,
    },
    UpstreamError {
        target: Authority,
        cause: String,
    },
}

impl Rejection {
    pub(crate) fn bad_request(reason: BadRequestReason, target: Option<String>) -> Self {
        Rejection::BadRequest { reason, target }
    }

    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            Rejection::Denied { .. } => ErrorCode::Denied,
            Rejection::BadRequest { .. } => ErrorCode::BadRequest,
            Rejection::UpstreamUnreachable { .. } => ErrorCode::UpstreamUnreachable,
            Rejection::UpstreamError { .. } => ErrorCode::UpstreamError,
        }
    }

    pub(crate) fn body(&self) -> ErrorBody {
        let (message, target) = match self {
            Rejection::Denied { target } => (
                denied_message(&target.to_string()),
                Some(target.to_string()),
            ),
            Rejection::BadRequest { reason, target } => (reason.message(), target.clone()),
            Rejection::UpstreamUnreachable { target, cause } => (
                unreachable_message(&target.to_string(), cause),
                Some(target.to_string()),
            ),
            Rejection::UpstreamError { target, cause } => (
                upstream_error_message(&target.to_string(), cause),
                Some(target.to_string()),
            ),
        };
        ErrorBody {
            code: self.code(),
            message,
            target,
        }
    }

    /// Records the rejection (the exchange ends here) and returns the response: the status of
    /// the code and the JSON body.
    pub(crate) fn answer(self, mut recorder: Recorder) -> Response<ProxyBody> {
        let code = self.code();
        let body = self.body();
        let event = recorder.event();
        event.decision = code.decision();
        event.status = Some(code.status());
        if code != ErrorCode::Denied {
            // The reason is the interesting part of the record; a denial's is the target itself.
            event.detail = Some(body.message.clone());
        }
        recorder.finish();

        let json = serde_json::to_vec(&body).expect("an ErrorBody of strings always serialises");
        let mut response = Response::new(ProxyBody::fixed(Bytes::from(json)));
        *response.status_mut() =
            StatusCode::from_u16(code.status()).expect("the proxy's statuses are valid");
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}
