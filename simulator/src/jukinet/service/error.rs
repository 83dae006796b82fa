//! Every error the 住基ネットCS API answers with, as the vendor's system receives it: an
//! [`ApiError`] (JSON: ASCII `code`, Japanese `message`, the `target` item) with its status.
//!
//! [`ServiceError::examples`] holds one of each; `docs/jukinet-cs-api.md`「エラー」 is rendered
//! from it ([`errors_markdown`]) and a test checks that the page holds the rendering.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use renkei_fixtures::ids::{DantaiCode, IdError, JuminhyoCode};
use time::macros::datetime;

use super::state::{ClockOutOfRange, QueryError, rfc3339};
use crate::http::ApiError;
use crate::jukinet::{FileForm, Problem, WriteError};

/// Most 住民票コード one bulk 本人確認情報 request may ask for.
pub const HONIN_KAKUNIN_MAX: usize = 1000;

/// Why a request was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    #[error(
        "Authorization ヘッダに Bearer のアクセスキーがありません (Authorization: Bearer <アクセスキー>)"
    )]
    AuthMissing,
    #[error("アクセスキーが正しくありません")]
    AuthInvalid,
    #[error("{0}")]
    DantaiCodeInvalid(IdError),
    #[error("団体コード{0}の団体はこの住基ネットCSにありません")]
    DantaiUnknown(DantaiCode),
    #[error(
        "このアクセスキーは団体{caller}のものです: 団体{asked}のデータは読めません (自団体のデータだけを読めます)"
    )]
    DantaiForbidden {
        caller: DantaiCode,
        asked: DantaiCode,
    },
    #[error("パラメータ「{name}」は{reason}")]
    QueryInvalid { name: String, reason: &'static str },
    #[error("form「{0}」は使えません (csv か fixed)")]
    FormInvalid(String),
    #[error("差分の取得には since (この日時より後の変更を返す) が要ります")]
    SinceMissing,
    #[error("since「{value}」は RFC 3339 の日時ではありません{hint}")]
    SinceInvalid { value: String, hint: &'static str },
    #[error("since ({since}) が現在 ({now}) より後です")]
    SinceInFuture { since: String, now: String },
    #[error("{message}")]
    JuminhyoCodeInvalid { message: String, target: String },
    #[error("住民票コード{0}の住民はこの団体にいません")]
    JuminhyoCodeUnknown(JuminhyoCode),
    #[error("住民票コード{code}が2回あります ({first}番目と{second}番目)")]
    JuminhyoCodeDuplicate {
        code: JuminhyoCode,
        first: usize,
        second: usize,
    },
    #[error(
        "本文は {{\"juminhyo_codes\": [\"住民票コード\", …]}} の JSON であるべきです: {reason}"
    )]
    BodyInvalid { reason: String },
    #[error("juminhyo_codes が空です: 1件以上を指定してください")]
    BulkEmpty,
    #[error(
        "juminhyo_codes が{count}件あります: 1回に指定できるのは{max}件までです",
        max = HONIN_KAKUNIN_MAX
    )]
    BulkTooMany { count: usize },
    #[error("このパスはありません: {path}")]
    NotFound { path: String },
    #[error("このパスは {method} を受け付けません (使えるのは {allowed})")]
    MethodNotAllowed { method: String, allowed: String },
    #[error("ファイルを作れませんでした (renkei の不具合か、シナリオの時計の設定の誤りです): {0}")]
    FileWriteFailed(String),
    #[error("{0}")]
    ClockOutOfRange(ClockOutOfRange),
}

impl ServiceError {
    /// The status and the stable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            Self::AuthMissing => (S::UNAUTHORIZED, "AUTH_MISSING"),
            Self::AuthInvalid => (S::UNAUTHORIZED, "AUTH_INVALID"),
            Self::DantaiCodeInvalid(_) => (S::BAD_REQUEST, "DANTAI_CODE_INVALID"),
            Self::DantaiUnknown(_) => (S::NOT_FOUND, "DANTAI_UNKNOWN"),
            Self::DantaiForbidden { .. } => (S::FORBIDDEN, "DANTAI_FORBIDDEN"),
            Self::QueryInvalid { .. } => (S::BAD_REQUEST, "QUERY_INVALID"),
            Self::FormInvalid(_) => (S::BAD_REQUEST, "FORM_INVALID"),
            Self::SinceMissing => (S::BAD_REQUEST, "SINCE_MISSING"),
            Self::SinceInvalid { .. } => (S::BAD_REQUEST, "SINCE_INVALID"),
            Self::SinceInFuture { .. } => (S::BAD_REQUEST, "SINCE_IN_FUTURE"),
            Self::JuminhyoCodeInvalid { .. } => (S::BAD_REQUEST, "JUMINHYO_CODE_INVALID"),
            Self::JuminhyoCodeUnknown(_) => (S::NOT_FOUND, "JUMINHYO_CODE_UNKNOWN"),
            Self::JuminhyoCodeDuplicate { .. } => (S::BAD_REQUEST, "JUMINHYO_CODE_DUPLICATE"),
            Self::BodyInvalid { .. } => (S::BAD_REQUEST, "BODY_INVALID"),
            Self::BulkEmpty => (S::BAD_REQUEST, "BULK_EMPTY"),
            Self::BulkTooMany { .. } => (S::BAD_REQUEST, "BULK_TOO_MANY"),
            Self::NotFound { .. } => (S::NOT_FOUND, "NOT_FOUND"),
            Self::MethodNotAllowed { .. } => (S::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Self::FileWriteFailed(_) => (S::INTERNAL_SERVER_ERROR, "FILE_WRITE_FAILED"),
            Self::ClockOutOfRange(_) => (S::INTERNAL_SERVER_ERROR, "CLOCK_OUT_OF_RANGE"),
        }
    }

    /// The item the error is about, as the vendor named it in the request.
    pub fn target(&self) -> Option<String> {
        match self {
            Self::AuthMissing | Self::AuthInvalid => Some("Authorization".into()),
            Self::DantaiCodeInvalid(_) | Self::DantaiUnknown(_) | Self::DantaiForbidden { .. } => {
                Some("dantai_code".into())
            }
            Self::QueryInvalid { name, .. } => Some(name.clone()),
            Self::FormInvalid(_) => Some("form".into()),
            Self::SinceMissing | Self::SinceInvalid { .. } | Self::SinceInFuture { .. } => {
                Some("since".into())
            }
            Self::JuminhyoCodeInvalid { target, .. } => Some(target.clone()),
            Self::JuminhyoCodeUnknown(code) => Some(code.to_string()),
            Self::JuminhyoCodeDuplicate { code, .. } => Some(code.to_string()),
            Self::BodyInvalid { .. } | Self::BulkEmpty | Self::BulkTooMany { .. } => {
                Some("juminhyo_codes".into())
            }
            Self::NotFound { .. }
            | Self::MethodNotAllowed { .. }
            | Self::FileWriteFailed(_)
            | Self::ClockOutOfRange(_) => None,
        }
    }

    /// The error as the shared JSON shape.
    pub fn to_api_error(&self) -> ApiError {
        let (status, code) = self.status_and_code();
        let error = ApiError::new(status, code, self.to_string());
        match self.target() {
            Some(target) => error.target(target),
            None => error,
        }
    }

    /// One error of each kind, in the order the docs list them; the messages are what the
    /// service really answers for the sample values.
    pub fn examples() -> Vec<ServiceError> {
        let chiyoda = DantaiCode::from_five(13101);
        let chofu = DantaiCode::from_five(13208);
        let code = JuminhyoCode::from_number(99_012_345_678);
        vec![
            Self::AuthMissing,
            Self::AuthInvalid,
            Self::DantaiCodeInvalid(
                "131017"
                    .parse::<DantaiCode>()
                    .expect_err("a wrong check digit"),
            ),
            Self::DantaiUnknown(DantaiCode::from_five(27140)),
            Self::DantaiForbidden {
                caller: chiyoda,
                asked: chofu,
            },
            Self::QueryInvalid {
                name: "from".into(),
                reason: UNKNOWN_PARAMETER,
            },
            Self::FormInvalid("xml".into()),
            Self::SinceMissing,
            Self::SinceInvalid {
                value: "2026-04-06T09:00:00 09:00".into(),
                hint: PLUS_HINT,
            },
            Self::SinceInFuture {
                since: "2026-04-07T00:00:00+09:00".into(),
                now: "2026-04-06T09:00:00+09:00".into(),
            },
            juminhyo_code_invalid(
                "9901234567".parse::<JuminhyoCode>().expect_err("10 digits"),
                "juminhyo_code".into(),
            ),
            Self::JuminhyoCodeUnknown(code),
            Self::JuminhyoCodeDuplicate {
                code,
                first: 1,
                second: 3,
            },
            Self::BodyInvalid {
                reason: "missing field `juminhyo_codes` at line 1 column 2".into(),
            },
            Self::BulkEmpty,
            Self::BulkTooMany { count: 1001 },
            Self::NotFound {
                path: "/jukinet/v1/shomeisho".into(),
            },
            Self::MethodNotAllowed {
                method: "DELETE".into(),
                allowed: "GET".into(),
            },
            Self::FileWriteFailed(
                WriteError {
                    form: FileForm::Csv,
                    record: 1,
                    field: Some("更新日時"),
                    problem: Problem::AfterCreated {
                        koshin: "2026-04-06T10:00:00+09:00".into(),
                        created: "2026-04-06T09:00:00+09:00".into(),
                    },
                }
                .to_string(),
            ),
            Self::ClockOutOfRange(ClockOutOfRange {
                now: datetime!(0000-12-31 23:00 +09:00),
            }),
        ]
    }
}

/// `QueryInvalid` reason: a parameter the route does not take.
pub(super) const UNKNOWN_PARAMETER: &str = "このパスでは使えません";
/// `QueryInvalid` reason: a parameter given twice.
pub(super) const REPEATED_PARAMETER: &str = "1回だけ指定してください";
/// `QueryInvalid` reason: the query string cannot be decoded.
pub(super) const UNDECODABLE_QUERY: &str = "URL エンコードとして読めません";
/// Hint for a `since` whose `+` arrived as a space: `+` in a query string means a space.
pub(super) const PLUS_HINT: &str =
    " (URL のクエリでは + は空白になります: +09:00 は %2B09:00 と書いてください)";

/// A 住民票コード the vendor sent that is not 11 digits; `target` names where it was.
pub(super) fn juminhyo_code_invalid(error: IdError, target: String) -> ServiceError {
    ServiceError::JuminhyoCodeInvalid {
        message: error.to_string(),
        target,
    }
}

impl From<QueryError> for ServiceError {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::UnknownDantai(code) => Self::DantaiUnknown(code),
            QueryError::UnknownJuminhyoCode { juminhyo_code, .. } => {
                Self::JuminhyoCodeUnknown(juminhyo_code)
            }
            QueryError::SinceInFuture { since, now } => Self::SinceInFuture {
                since: rfc3339(since),
                now: rfc3339(now),
            },
            QueryError::SinceOutOfRange { since } => Self::SinceInvalid {
                value: rfc3339(since),
                hint: " (日本時間で西暦1〜9999年の範囲にしてください)",
            },
            QueryError::Clock(clock) => Self::ClockOutOfRange(clock),
        }
    }
}

impl From<WriteError> for ServiceError {
    fn from(error: WriteError) -> Self {
        Self::FileWriteFailed(error.to_string())
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let unauthorized = self.status_and_code().0 == StatusCode::UNAUTHORIZED;
        let mut response = self.to_api_error().into_response();
        if unauthorized {
            // RFC 6750 §3: a 401 names the scheme the client should use.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"jukinet-cs\""),
            );
        }
        response
    }
}

/// The error table of `docs/jukinet-cs-api.md`, rendered from [`ServiceError::examples`].
pub fn errors_markdown() -> String {
    let mut out = String::from("| HTTP | code | target | message (例) |\n|---|---|---|---|\n");
    for error in ServiceError::examples() {
        let (status, code) = error.status_and_code();
        let target = error
            .target()
            .map_or_else(|| "—".to_owned(), |t| format!("`{t}`"));
        out.push_str(&format!(
            "| {} | `{code}` | {target} | {} |\n",
            status.as_u16(),
            error.to_string().replace('|', "\\|")
        ));
    }
    out
}
