//! The 住基ネットCS's part of the admin API: look a resident up, and change the CS while it runs
//! — 失効, 新規発行, 更新, 転入 (`docs/jukinet-cs-api.md`「管理APIで住基ネットCSを変える」,
//! `docs/openapi/admin.yaml`).
//!
//! Not an interface of the 既存住基システム under test, which only reads the CS: an operator or
//! a vendor's own test changes the CS here, then watches what the system does with the next
//! delta. Each accepted change is written to the state file (`renkei serve --data`) before the
//! answer goes out; one that cannot be written is refused with `500 STORE_FAILED` and changes
//! nothing. [`Refusal::examples`] holds one refusal of each kind; the table in the docs is
//! rendered from it ([`refusals_markdown`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use renkei_fixtures::ids::{CertSerial, DantaiCode, IdError, JuminhyoCode, KojinBango};
use renkei_fixtures::population::{CertKind, RevocationReason};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::macros::{date, datetime};

use super::change::{Applied, ChangeRequest, CsChange, Refused};
use super::state::{
    BuildError, CertificateEntry, ChangeError, ClockOutOfRange, JukinetCs, QueryError, rfc3339,
};
use crate::http::ApiError;
use crate::jukinet::{HoninKakuninJoho, Nichiji};
use crate::store::{Change, SqliteStore, StoreError};

/// Every route: (method, path as written in `docs/openapi/admin.yaml`).
pub const ROUTES: &[(&str, &str)] = &[
    (
        "GET",
        "/admin/v1/jukinet/dantai/{dantai_code}/jumin/{juminhyo_code}",
    ),
    (
        "POST",
        "/admin/v1/jukinet/dantai/{dantai_code}/jumin/{juminhyo_code}/shikkou",
    ),
    (
        "POST",
        "/admin/v1/jukinet/dantai/{dantai_code}/jumin/{juminhyo_code}/hakko",
    ),
    (
        "POST",
        "/admin/v1/jukinet/dantai/{dantai_code}/jumin/{juminhyo_code}/koushin",
    ),
    ("POST", "/admin/v1/jukinet/dantai/{dantai_code}/tennyu"),
];

#[derive(Clone)]
struct Admin {
    cs: JukinetCs,
    /// Where each change is written before it is acknowledged (`--data`); `None` in memory.
    store: Option<Arc<SqliteStore>>,
}

/// The routes of [`ROUTES`] for `cs`, writing changes to `store` first when there is one.
pub fn router(cs: JukinetCs, store: Option<Arc<SqliteStore>>) -> Router {
    const JUMIN: &str = "/admin/v1/jukinet/dantai/{dantai_code}/jumin/{juminhyo_code}";
    Router::new()
        .route(JUMIN, get(person))
        .route(&format!("{JUMIN}/shikkou"), post(shikkou))
        .route(&format!("{JUMIN}/hakko"), post(hakko))
        .route(&format!("{JUMIN}/koushin"), post(koushin))
        .route(
            "/admin/v1/jukinet/dantai/{dantai_code}/tennyu",
            post(tennyu),
        )
        .with_state(Admin { cs, store })
}

/// Why the admin API refused a change to (or a look at) the 住基ネットCS.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    DantaiCodeInvalid(IdError),
    #[error("{0}")]
    JuminhyoCodeInvalid(IdError),
    #[error("本文の JSON を読めません (項目 {path}): {reason}")]
    BodyInvalid { path: String, reason: String },
    #[error("{0}")]
    Change(ChangeError),
    #[error(
        "変更を状態ファイルに書けなかったため、何も変えていません (もう一度送ってください): {0}"
    )]
    StoreFailed(String),
}

impl Refusal {
    /// The status and the stable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            Self::DantaiCodeInvalid(_) => (S::BAD_REQUEST, "DANTAI_CODE_INVALID"),
            Self::JuminhyoCodeInvalid(_) => (S::BAD_REQUEST, "JUMINHYO_CODE_INVALID"),
            Self::BodyInvalid { .. } => (S::BAD_REQUEST, "BODY_INVALID"),
            Self::StoreFailed(_) => (S::INTERNAL_SERVER_ERROR, "STORE_FAILED"),
            Self::Change(error) => match error {
                ChangeError::Query(QueryError::UnknownDantai(_)) => {
                    (S::NOT_FOUND, "DANTAI_UNKNOWN")
                }
                ChangeError::Query(QueryError::UnknownJuminhyoCode { .. })
                | ChangeError::UnknownJuminhyoCode(_) => (S::NOT_FOUND, "JUMINHYO_CODE_UNKNOWN"),
                ChangeError::UnknownSerial(_) => (S::NOT_FOUND, "SERIAL_UNKNOWN"),
                ChangeError::NotHolder { .. } => (S::BAD_REQUEST, "NOT_HOLDER"),
                ChangeError::ShubetsuMismatch { .. } => (S::BAD_REQUEST, "SHUBETSU_MISMATCH"),
                ChangeError::WhichCertificate => (S::BAD_REQUEST, "WHICH_CERTIFICATE"),
                ChangeError::NoCertificate { .. } => (S::CONFLICT, "NO_CERTIFICATE"),
                ChangeError::AlreadyRevoked { .. } => (S::CONFLICT, "ALREADY_REVOKED"),
                ChangeError::BeforeIssue { .. } => (S::CONFLICT, "BEFORE_ISSUE"),
                ChangeError::Expired { .. } => (S::CONFLICT, "CERTIFICATE_EXPIRED"),
                ChangeError::SerialInUse(_) => (S::CONFLICT, "SERIAL_IN_USE"),
                ChangeError::SerialsExhausted => (S::CONFLICT, "SERIALS_EXHAUSTED"),
                ChangeError::DateInFuture { .. } => (S::BAD_REQUEST, "DATE_IN_FUTURE"),
                ChangeError::KigenBeforeIssue { .. } => (S::BAD_REQUEST, "KIGEN_BEFORE_ISSUE"),
                ChangeError::BeforeBirth { .. } => (S::BAD_REQUEST, "BEFORE_BIRTH"),
                ChangeError::ShomeiUnderAge { .. } => (S::CONFLICT, "SHOMEI_UNDER_AGE"),
                ChangeError::Build(BuildError::DuplicateJuminhyoCode(_)) => {
                    (S::CONFLICT, "JUMINHYO_CODE_TAKEN")
                }
                ChangeError::Build(BuildError::DuplicateKojinBango { .. }) => {
                    (S::CONFLICT, "KOJIN_BANGO_TAKEN")
                }
                ChangeError::NotWritable(_) => (S::BAD_REQUEST, "NOT_WRITABLE"),
                ChangeError::Clock(_) | ChangeError::Query(QueryError::Clock(_)) => {
                    (S::INTERNAL_SERVER_ERROR, "CLOCK_OUT_OF_RANGE")
                }
                // Cannot come from these routes (a query's `since`, building the CS).
                ChangeError::Query(_) | ChangeError::Build(_) => {
                    (S::INTERNAL_SERVER_ERROR, "INTERNAL")
                }
            },
        }
    }

    /// The item the refusal is about.
    pub fn target(&self) -> Option<String> {
        match self {
            Self::DantaiCodeInvalid(_) => Some("dantai_code".into()),
            Self::JuminhyoCodeInvalid(_) => Some("juminhyo_code".into()),
            Self::BodyInvalid { path, .. } => Some(path.clone()),
            Self::StoreFailed(_) => None,
            Self::Change(error) => match error {
                ChangeError::Query(QueryError::UnknownDantai(_)) => Some("dantai_code".into()),
                ChangeError::Query(QueryError::UnknownJuminhyoCode { juminhyo_code, .. })
                | ChangeError::UnknownJuminhyoCode(juminhyo_code)
                | ChangeError::NoCertificate { juminhyo_code, .. }
                | ChangeError::BeforeBirth { juminhyo_code, .. }
                | ChangeError::ShomeiUnderAge { juminhyo_code, .. }
                | ChangeError::Build(BuildError::DuplicateJuminhyoCode(juminhyo_code))
                | ChangeError::Build(BuildError::DuplicateKojinBango { juminhyo_code }) => {
                    Some(juminhyo_code.to_string())
                }
                ChangeError::UnknownSerial(serial)
                | ChangeError::NotHolder { serial, .. }
                | ChangeError::ShubetsuMismatch { serial, .. }
                | ChangeError::AlreadyRevoked { serial, .. }
                | ChangeError::BeforeIssue { serial, .. }
                | ChangeError::Expired { serial, .. }
                | ChangeError::SerialInUse(serial) => Some(serial.to_string()),
                ChangeError::WhichCertificate => Some("shubetsu".into()),
                _ => None,
            },
        }
    }

    /// One refusal of each kind, in the order the docs list them; the messages are what the
    /// admin API really answers for the sample values.
    pub fn examples() -> Vec<Refusal> {
        let chiyoda = DantaiCode::from_five(13101);
        let code = JuminhyoCode::from_number(99_012_345_678);
        let serial = CertSerial::new(9_011_000_000_000_101).expect("positive");
        let today = date!(2026 - 04 - 06);
        let change = Self::Change;
        vec![
            Self::DantaiCodeInvalid("131017".parse::<DantaiCode>().expect_err("check digit")),
            change(ChangeError::Query(QueryError::UnknownDantai(
                DantaiCode::from_five(27140),
            ))),
            Self::JuminhyoCodeInvalid("9901234567".parse::<JuminhyoCode>().expect_err("10")),
            change(ChangeError::Query(QueryError::UnknownJuminhyoCode {
                dantai: chiyoda,
                juminhyo_code: code,
            })),
            Self::BodyInvalid {
                path: "reason".into(),
                reason: "「なくした」は失効事由ではありません (使えるのは 紛失 / 住所等変更 / 更新) at line 1 column 40".into(),
            },
            change(ChangeError::WhichCertificate),
            change(ChangeError::UnknownSerial(serial)),
            change(ChangeError::NotHolder {
                serial,
                juminhyo_code: code,
            }),
            change(ChangeError::ShubetsuMismatch {
                serial,
                found: CertKind::RiyoshaShomei,
                asked: CertKind::Shomei,
            }),
            change(ChangeError::NoCertificate {
                juminhyo_code: code,
                kind: CertKind::Shomei,
            }),
            change(ChangeError::AlreadyRevoked {
                serial,
                shikkobi: date!(2026 - 03 - 13),
            }),
            change(ChangeError::BeforeIssue {
                serial,
                day: date!(2026 - 03 - 01),
                hakkobi: date!(2026 - 03 - 13),
            }),
            change(ChangeError::Expired {
                serial,
                yuko_kigen: date!(2025 - 11 - 14),
            }),
            change(ChangeError::DateInFuture {
                day: date!(2026 - 04 - 07),
                today,
            }),
            change(ChangeError::KigenBeforeIssue {
                hakkobi: today,
                yuko_kigen: date!(2026 - 04 - 01),
            }),
            change(ChangeError::BeforeBirth {
                juminhyo_code: code,
                day: today,
                seinengappi: date!(2026 - 05 - 01),
            }),
            change(ChangeError::ShomeiUnderAge {
                juminhyo_code: code,
                day: today,
            }),
            change(ChangeError::SerialInUse(serial)),
            change(ChangeError::SerialsExhausted),
            change(ChangeError::Build(BuildError::DuplicateJuminhyoCode(code))),
            change(ChangeError::Build(BuildError::DuplicateKojinBango {
                juminhyo_code: code,
            })),
            change(ChangeError::NotWritable(
                "CSV形式 書き出し 1件目のレコード 項目「氏名カナ」: 空の文字列は「値なし」と区別できません (値がないときは None にします)".into(),
            )),
            Self::StoreFailed(
                StoreError::Write(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
                    Some("disk I/O error".into()),
                ))
                .to_string(),
            ),
            change(ChangeError::Clock(ClockOutOfRange {
                now: datetime!(0000-12-31 23:00 +09:00),
            })),
        ]
    }
}

impl From<ChangeError> for Refusal {
    fn from(error: ChangeError) -> Self {
        Self::Change(error)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let error = ApiError::new(status, code, self.to_string());
        match self.target() {
            Some(target) => error.target(target),
            None => error,
        }
        .into_response()
    }
}

/// The refusal table of `docs/jukinet-cs-api.md`, rendered from [`Refusal::examples`].
pub fn refusals_markdown() -> String {
    let mut out = String::from("| HTTP | code | target | message (例) |\n|---|---|---|---|\n");
    for refusal in Refusal::examples() {
        let (status, code) = refusal.status_and_code();
        let target = refusal
            .target()
            .map_or_else(|| "—".to_owned(), |t| format!("`{t}`"));
        out.push_str(&format!(
            "| {} | `{code}` | {target} | {} |\n",
            status.as_u16(),
            refusal.to_string().replace('|', "\\|")
        ));
    }
    out
}

// ---- handlers ----

async fn person(
    State(admin): State<Admin>,
    Path((dantai, juminhyo)): Path<(String, String)>,
) -> Result<Json<PersonView>, Refusal> {
    let dantai = dantai_code(&dantai)?;
    let juminhyo_code = juminhyo_code(&juminhyo)?;
    let (honin, certificates) = admin
        .cs
        .person(dantai, juminhyo_code)
        .map_err(ChangeError::Query)?;
    let as_of = now(&admin.cs)?;
    Ok(Json(PersonView {
        dantai_code: dantai,
        honin_kakunin: HoninView::of(&honin),
        certificates: certificates
            .iter()
            .map(|e| CertificateView::of(e, as_of))
            .collect(),
    }))
}

async fn shikkou(
    State(admin): State<Admin>,
    Path((dantai, juminhyo)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<ChangeView>, Refusal> {
    let dantai = dantai_code(&dantai)?;
    let juminhyo_code = juminhyo_code(&juminhyo)?;
    let request = read_body(&body, false)?;
    admin
        .change(
            dantai,
            ChangeRequest::Shikkou {
                juminhyo_code,
                request,
            },
        )
        .await
}

async fn hakko(
    State(admin): State<Admin>,
    Path((dantai, juminhyo)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<ChangeView>, Refusal> {
    let dantai = dantai_code(&dantai)?;
    let juminhyo_code = juminhyo_code(&juminhyo)?;
    let request = read_body(&body, false)?;
    admin
        .change(
            dantai,
            ChangeRequest::Hakko {
                juminhyo_code,
                request,
            },
        )
        .await
}

async fn koushin(
    State(admin): State<Admin>,
    Path((dantai, juminhyo)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<ChangeView>, Refusal> {
    let dantai = dantai_code(&dantai)?;
    let juminhyo_code = juminhyo_code(&juminhyo)?;
    let request = read_body(&body, true)?;
    admin
        .change(
            dantai,
            ChangeRequest::Koushin {
                juminhyo_code,
                request,
            },
        )
        .await
}

async fn tennyu(
    State(admin): State<Admin>,
    Path(dantai): Path<String>,
    body: Bytes,
) -> Result<Json<ChangeView>, Refusal> {
    let dantai = dantai_code(&dantai)?;
    let request = read_body(&body, false)?;
    admin.change(dantai, ChangeRequest::Tennyu(request)).await
}

impl Admin {
    /// Makes the change on a blocking thread (the state file is written with an fsync while the
    /// CS is locked), writing it to the state file first.
    async fn change(
        &self,
        dantai: DantaiCode,
        request: ChangeRequest,
    ) -> Result<Json<ChangeView>, Refusal> {
        let cs = self.cs.clone();
        let store = self.store.clone();
        let applied = tokio::task::spawn_blocking(move || {
            cs.request(dantai, &request, |recorded| match &store {
                None => Ok(()),
                Some(store) => store.append(&Change::Jukinet {
                    recorded: recorded.clone(),
                }),
            })
        })
        .await
        .map_err(|e| Refusal::StoreFailed(e.to_string()))?
        .map_err(|refused| match refused {
            Refused::Change(error) => Refusal::Change(error),
            Refused::Persist(error) => Refusal::StoreFailed(error.to_string()),
        })?;
        let as_of = now(&self.cs)?;
        Ok(Json(ChangeView::of(&applied, as_of)))
    }
}

fn dantai_code(text: &str) -> Result<DantaiCode, Refusal> {
    text.parse().map_err(Refusal::DantaiCodeInvalid)
}

fn juminhyo_code(text: &str) -> Result<JuminhyoCode, Refusal> {
    text.parse().map_err(Refusal::JuminhyoCodeInvalid)
}

fn now(cs: &JukinetCs) -> Result<Nichiji, Refusal> {
    let now = cs.clock().now();
    Nichiji::new(now).ok_or(Refusal::Change(ChangeError::Clock(ClockOutOfRange { now })))
}

/// The JSON body as `T`, naming the item at fault; an empty body counts as `{}` where every
/// item may be left out.
fn read_body<T: DeserializeOwned>(body: &[u8], empty_is_object: bool) -> Result<T, Refusal> {
    let body: &[u8] = if body.is_empty() && empty_is_object {
        b"{}"
    } else {
        body
    };
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        Refusal::BodyInvalid {
            // The body as a whole (not JSON, not an object, a field missing) has the path ".".
            path: if path == "." { "body".into() } else { path },
            reason: error.inner().to_string(),
        }
    })
}

// ---- views ----

/// A resident as the admin API shows them.
#[derive(Debug, Serialize)]
struct PersonView {
    dantai_code: DantaiCode,
    honin_kakunin: HoninView,
    certificates: Vec<CertificateView>,
}

/// What a change did.
#[derive(Debug, Serialize)]
struct ChangeView {
    /// shikkou / hakko / koushin / tennyu.
    kind: &'static str,
    dantai_code: DantaiCode,
    /// The clock's time when it was made.
    at: String,
    /// The 更新日時 of every row it wrote: what a delta `since` an earlier time finds it by.
    koshin_nichiji: String,
    /// Certificate rows changed or added, as they now are.
    certificates: Vec<CertificateView>,
    /// A 転入者's 本人確認情報.
    #[serde(skip_serializing_if = "Option::is_none")]
    honin_kakunin: Option<HoninView>,
}

impl ChangeView {
    fn of(applied: &Applied, as_of: Nichiji) -> Self {
        let recorded = &applied.recorded;
        Self {
            kind: match recorded.change {
                CsChange::Shikkou { .. } => "shikkou",
                CsChange::Hakko { .. } => "hakko",
                CsChange::Koushin { .. } => "koushin",
                CsChange::Tennyu { .. } => "tennyu",
            },
            dantai_code: recorded.dantai,
            at: rfc3339(recorded.at.to_offset(crate::jukinet::JST)),
            koshin_nichiji: rfc3339(recorded.koshin_nichiji.to_offset(crate::jukinet::JST)),
            certificates: applied
                .rows
                .iter()
                .map(|e| CertificateView::of(e, as_of))
                .collect(),
            honin_kakunin: applied.honin.as_ref().map(HoninView::of),
        }
    }
}

/// A certificate row, with the 失効事由 the files do not carry and its 状態 now.
#[derive(Debug, Serialize)]
struct CertificateView {
    serial: CertSerial,
    juminhyo_code: JuminhyoCode,
    shubetsu: &'static str,
    hakkobi: String,
    yuko_kigen: String,
    shikkobi: Option<String>,
    shikkou_jiyu: Option<&'static str>,
    /// 有効 / 失効 / 期限切れ, as of the clock's now.
    jotai: &'static str,
    koshin_nichiji: String,
}

impl CertificateView {
    fn of(entry: &CertificateEntry, as_of: Nichiji) -> Self {
        let row = &entry.row;
        Self {
            serial: row.serial,
            juminhyo_code: row.juminhyo_code,
            shubetsu: row.shubetsu.as_str(),
            hakkobi: row.hakkobi.to_string(),
            yuko_kigen: row.yuko_kigen.to_string(),
            shikkobi: row.shikkobi.map(|d| d.to_string()),
            shikkou_jiyu: entry.reason.map(RevocationReason::as_str),
            jotai: row.jotai(as_of).as_str(),
            koshin_nichiji: row.koshin_nichiji.to_string(),
        }
    }
}

/// 本人確認情報 as the admin API shows it.
#[derive(Debug, Serialize)]
struct HoninView {
    juminhyo_code: JuminhyoCode,
    kojin_bango: KojinBango,
    shimei: String,
    shimei_kana: Option<String>,
    seinengappi: String,
    seibetsu: &'static str,
    jusho: String,
    koshin_nichiji: String,
}

impl HoninView {
    fn of(honin: &HoninKakuninJoho) -> Self {
        Self {
            juminhyo_code: honin.juminhyo_code,
            kojin_bango: honin.kojin_bango,
            shimei: honin.shimei.clone(),
            shimei_kana: honin.shimei_kana.clone(),
            seinengappi: honin.seinengappi.to_string(),
            seibetsu: honin.seibetsu.as_str(),
            jusho: honin.jusho.clone(),
            koshin_nichiji: honin.koshin_nichiji.to_string(),
        }
    }
}
