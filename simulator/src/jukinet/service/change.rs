//! Changes to the 住基ネットCS made while it runs — 失効, 新規発行, 更新, 転入 — as the admin API
//! takes them (`docs/jukinet-cs-api.md`「管理APIで住基ネットCSを変える」) and as the state file of
//! `renkei serve --data` keeps them.
//!
//! A [`ChangeRequest`] is what someone asks for, with what renkei may choose left out: the day
//! (today), new serials (the next free ones in [`RENKEI_SERIALS`]), which certificate to revoke
//! (the person's newest of a kind). [`JukinetCs::request`] fills those in under the CS's lock,
//! plans the change (every check, every row), hands the result — a [`Recorded`] change — to
//! `persist`, and makes the change only once `persist` has succeeded. So a change the state file
//! did not take changes nothing, and a change that was acknowledged is on disk.
//!
//! After a restart each recorded change goes through [`JukinetCs::replay`]: the same plan, at
//! the time and with the 更新日時 it was first made, so the full export, the deltas and the
//! 本人確認情報 are what they were before the restart.

use renkei_fixtures::ids::{CertSerial, DantaiCode, JuminhyoCode, KojinBango};
use renkei_fixtures::population::{CertKind, RevocationReason, Seibetsu, iso_date};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::state::{
    At, CertificateEntry, ChangeError, ClockOutOfRange, DantaiState, Inner, JukinetCs, NewSerials,
    Newcomer, Plan, QueryError, SHOMEI_MIN_AGE, age_on, yuko_kigen,
};
use crate::jukinet::{
    HoninKakuninJoho, JukinetFile, Nichiji, ShomeishoJoho, write_csv, write_fixed,
};

/// The serials renkei hands out when a request names none: block `00` of the population's
/// numbering (`9`, `00`, 13 digits), which no 団体 has (blocks are 1–99, docs/identifiers.md).
pub const RENKEI_SERIALS: std::ops::RangeInclusive<u64> =
    9_000_000_000_000_001..=9_009_999_999_999_999;

/// A change someone asks for, in one 団体.
#[derive(Debug, Clone)]
pub enum ChangeRequest {
    /// 失効 of one certificate of a resident.
    Shikkou {
        juminhyo_code: JuminhyoCode,
        request: ShikkouRequest,
    },
    /// 新規発行 of a certificate to a resident.
    Hakko {
        juminhyo_code: JuminhyoCode,
        request: HakkoRequest,
    },
    /// 更新: the resident's valid certificates revoked, new ones issued.
    Koushin {
        juminhyo_code: JuminhyoCode,
        request: KoushinRequest,
    },
    /// 転入: a new resident.
    Tennyu(TennyuRequest),
}

/// 失効 (`POST …/jumin/{住民票コード}/shikkou`): which certificate, why, from when.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShikkouRequest {
    /// 署名用 / 利用者証明用: the person's newest certificate of this kind.
    #[serde(default, deserialize_with = "word::kind_opt")]
    pub shubetsu: Option<CertKind>,
    /// Or the certificate by its serial (it must be the person's; with `shubetsu`, of that kind).
    #[serde(default)]
    pub serial: Option<CertSerial>,
    /// 失効事由: 紛失 / 住所等変更 / 更新.
    #[serde(deserialize_with = "word::reason")]
    pub reason: RevocationReason,
    /// 失効日; today when absent.
    #[serde(default, with = "iso_date::option")]
    pub shikkobi: Option<Date>,
}

/// 新規発行 (`POST …/jumin/{住民票コード}/hakko`), and each certificate a 転入者 brings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HakkoRequest {
    /// 署名用 / 利用者証明用.
    #[serde(deserialize_with = "word::kind")]
    pub shubetsu: CertKind,
    /// The next free serial of [`RENKEI_SERIALS`] when absent.
    #[serde(default)]
    pub serial: Option<CertSerial>,
    /// 発行日; today when absent.
    #[serde(default, with = "iso_date::option")]
    pub hakkobi: Option<Date>,
    /// 有効期限; when absent, the fifth birthday after 発行日 ([`yuko_kigen`]) — for a 署名用
    /// certificate issued while the person holds a valid 利用者証明用 one, that card's 有効期限.
    #[serde(default, with = "iso_date::option")]
    pub yuko_kigen: Option<Date>,
}

/// 更新 (`POST …/jumin/{住民票コード}/koushin`); every field may be left out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KoushinRequest {
    /// 更新日; today when absent.
    #[serde(default, with = "iso_date::option")]
    pub koushinbi: Option<Date>,
    /// The new 利用者証明用 certificate's serial; the next free one when absent.
    #[serde(default)]
    pub riyosha_shomei_serial: Option<CertSerial>,
    /// The new 署名用 certificate's serial; the next free one when absent — none for a person
    /// under 15 on the 更新日, who gets no 署名用 certificate.
    #[serde(default)]
    pub shomei_serial: Option<CertSerial>,
}

/// 転入 (`POST …/dantai/{団体コード}/tennyu`): the new resident's 住民票コード and 基本4情報.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TennyuRequest {
    pub juminhyo_code: JuminhyoCode,
    /// 個人番号; when absent renkei makes a synthetic one (`99` + the 住民票コード's last 9
    /// digits + check digit, or the next free after it).
    #[serde(default)]
    pub kojin_bango: Option<KojinBango>,
    /// 氏名 (姓と名の間は全角空白).
    pub shimei: String,
    #[serde(default)]
    pub shimei_kana: Option<String>,
    #[serde(with = "iso_date")]
    pub seinengappi: Date,
    /// 男 / 女.
    #[serde(deserialize_with = "word::seibetsu")]
    pub seibetsu: Seibetsu,
    /// 住所: 都道府県 through 方書, one line.
    pub jusho: String,
    /// The certificates the person holds (none: no マイナンバーカード).
    #[serde(default)]
    pub certificates: Vec<HakkoRequest>,
}

/// A change with everything filled in: what the state file keeps and replays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CsChange {
    Shikkou {
        serial: CertSerial,
        #[serde(with = "iso_date")]
        shikkobi: Date,
        #[serde(deserialize_with = "word::reason")]
        reason: RevocationReason,
    },
    Hakko {
        juminhyo_code: JuminhyoCode,
        #[serde(deserialize_with = "word::kind")]
        shubetsu: CertKind,
        serial: CertSerial,
        #[serde(with = "iso_date")]
        hakkobi: Date,
        #[serde(with = "iso_date")]
        yuko_kigen: Date,
    },
    Koushin {
        juminhyo_code: JuminhyoCode,
        #[serde(with = "iso_date")]
        koushinbi: Date,
        riyosha_shomei: CertSerial,
        shomei: Option<CertSerial>,
    },
    Tennyu {
        person: Tennyusha,
    },
}

/// A 転入者 with everything filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tennyusha {
    pub juminhyo_code: JuminhyoCode,
    pub kojin_bango: KojinBango,
    pub shimei: String,
    pub shimei_kana: Option<String>,
    #[serde(with = "iso_date")]
    pub seinengappi: Date,
    #[serde(deserialize_with = "word::seibetsu")]
    pub seibetsu: Seibetsu,
    pub jusho: String,
    pub certificates: Vec<NewCertificate>,
}

/// A certificate issued with a change, everything filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCertificate {
    #[serde(deserialize_with = "word::kind")]
    pub shubetsu: CertKind,
    pub serial: CertSerial,
    #[serde(with = "iso_date")]
    pub hakkobi: Date,
    #[serde(with = "iso_date")]
    pub yuko_kigen: Date,
}

/// A change as it was made: in which 団体, at which second of the clock, with which 更新日時.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub dantai: DantaiCode,
    /// The clock's time, to the second, when the change was made.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The 更新日時 its rows carry: `at`, or a second later under the stamp rule.
    #[serde(with = "time::serde::rfc3339")]
    pub koshin_nichiji: OffsetDateTime,
    pub change: CsChange,
}

/// What a change wrote.
#[derive(Debug, Clone)]
pub struct Applied {
    pub recorded: Recorded,
    /// Certificate rows changed or added, as they now are.
    pub rows: Vec<CertificateEntry>,
    /// A 転入者's 本人確認情報.
    pub honin: Option<HoninKakuninJoho>,
}

impl Applied {
    fn new(recorded: Recorded, plan: Plan) -> Self {
        Self {
            recorded,
            rows: plan.rows,
            honin: plan.newcomer,
        }
    }
}

/// Why [`JukinetCs::request`] made no change.
#[derive(Debug)]
pub enum Refused<E> {
    /// The change itself is refused (unknown person, certificate already revoked, …).
    Change(ChangeError),
    /// `persist` failed: the change could not be made durable, so it was not made.
    Persist(E),
}

impl<E> From<ChangeError> for Refused<E> {
    fn from(error: ChangeError) -> Self {
        Self::Change(error)
    }
}

impl<E> From<ClockOutOfRange> for Refused<E> {
    fn from(error: ClockOutOfRange) -> Self {
        Self::Change(ChangeError::Clock(error))
    }
}

impl JukinetCs {
    /// Makes the change `request` asks for in `dantai`, at the clock's now: fills in what it
    /// leaves out, checks everything, calls `persist` with the change as it will be made, and
    /// makes it only if `persist` succeeds. Holding the CS's lock throughout, so nothing else
    /// changes the CS in between (serials handed out here cannot be taken twice).
    pub fn request<E>(
        &self,
        dantai: DantaiCode,
        request: &ChangeRequest,
        persist: impl FnOnce(&Recorded) -> Result<(), E>,
    ) -> Result<Applied, Refused<E>> {
        let mut inner = self.lock();
        let now = self.now()?;
        let change = inner.resolve(dantai, request, now.date())?;
        let plan = inner.plan(dantai, &change, At::live(now))?;
        check_writable(&plan)?;
        let recorded = Recorded {
            dantai,
            at: now.get(),
            koshin_nichiji: plan.stamp.get(),
            change,
        };
        persist(&recorded).map_err(Refused::Persist)?;
        inner.execute(&plan);
        Ok(Applied::new(recorded, plan))
    }

    /// Makes again a change an earlier run made (it is already durable): at the second it was
    /// made, with the 更新日時 it was given then.
    pub fn replay(&self, recorded: &Recorded) -> Result<Applied, ChangeError> {
        let nichiji = |at: OffsetDateTime| Nichiji::new(at).ok_or(ClockOutOfRange { now: at });
        let at = At::recorded(nichiji(recorded.at)?, nichiji(recorded.koshin_nichiji)?);
        let mut inner = self.lock();
        let plan = inner.plan(recorded.dantai, &recorded.change, at)?;
        inner.execute(&plan);
        Ok(Applied::new(recorded.clone(), plan))
    }

    /// A resident of `dantai` as the CS holds them now: their 本人確認情報 and every certificate
    /// row (oldest issue first).
    pub fn person(
        &self,
        dantai: DantaiCode,
        juminhyo_code: JuminhyoCode,
    ) -> Result<(HoninKakuninJoho, Vec<CertificateEntry>), QueryError> {
        let inner = self.lock();
        let state = inner.state(dantai)?;
        let honin = resident(state, dantai, juminhyo_code)?.clone();
        let mut certificates: Vec<CertificateEntry> = state
            .certificates
            .values()
            .map(|stored| stored.entry.clone())
            .filter(|entry| entry.row.juminhyo_code == juminhyo_code)
            .collect();
        certificates.sort_by_key(|e| (e.row.hakkobi, e.row.serial));
        Ok((honin, certificates))
    }
}

impl Inner {
    /// Fills in what `request` leaves out. Checks only what the filling-in needs (the person,
    /// which certificate); [`Inner::plan`] checks the rest.
    fn resolve(
        &self,
        dantai: DantaiCode,
        request: &ChangeRequest,
        today: Date,
    ) -> Result<CsChange, ChangeError> {
        let state = self.state(dantai).map_err(ChangeError::Query)?;
        let mut serials = Serials::new(self);
        Ok(match request {
            ChangeRequest::Shikkou {
                juminhyo_code,
                request,
            } => {
                resident(state, dantai, *juminhyo_code).map_err(ChangeError::Query)?;
                let serial = match (request.serial, request.shubetsu) {
                    (Some(serial), asked) => {
                        let row = &state
                            .certificates
                            .get(&serial)
                            .ok_or(ChangeError::UnknownSerial(serial))?
                            .entry
                            .row;
                        if row.juminhyo_code != *juminhyo_code {
                            return Err(ChangeError::NotHolder {
                                serial,
                                juminhyo_code: *juminhyo_code,
                            });
                        }
                        if let Some(asked) = asked.filter(|k| *k != row.shubetsu) {
                            return Err(ChangeError::ShubetsuMismatch {
                                serial,
                                found: row.shubetsu,
                                asked,
                            });
                        }
                        serial
                    }
                    (None, Some(kind)) => {
                        newest(state, *juminhyo_code, kind)
                            .ok_or(ChangeError::NoCertificate {
                                juminhyo_code: *juminhyo_code,
                                kind,
                            })?
                            .serial
                    }
                    (None, None) => return Err(ChangeError::WhichCertificate),
                };
                CsChange::Shikkou {
                    serial,
                    shikkobi: request.shikkobi.unwrap_or(today),
                    reason: request.reason,
                }
            }
            ChangeRequest::Hakko {
                juminhyo_code,
                request,
            } => {
                let person = resident(state, dantai, *juminhyo_code).map_err(ChangeError::Query)?;
                let certificate =
                    serials.certificate(request, person.seinengappi, today, |hakkobi| {
                        card_kigen(state, *juminhyo_code, hakkobi)
                    })?;
                CsChange::Hakko {
                    juminhyo_code: *juminhyo_code,
                    shubetsu: certificate.shubetsu,
                    serial: certificate.serial,
                    hakkobi: certificate.hakkobi,
                    yuko_kigen: certificate.yuko_kigen,
                }
            }
            ChangeRequest::Koushin {
                juminhyo_code,
                request,
            } => {
                let person = resident(state, dantai, *juminhyo_code).map_err(ChangeError::Query)?;
                let koushinbi = request.koushinbi.unwrap_or(today);
                let riyosha_shomei = serials.take(request.riyosha_shomei_serial)?;
                let shomei = match request.shomei_serial {
                    Some(serial) => Some(serials.take(Some(serial))?),
                    None if age_on(person.seinengappi, koushinbi) >= SHOMEI_MIN_AGE => {
                        Some(serials.take(None)?)
                    }
                    None => None,
                };
                CsChange::Koushin {
                    juminhyo_code: *juminhyo_code,
                    koushinbi,
                    riyosha_shomei,
                    shomei,
                }
            }
            ChangeRequest::Tennyu(request) => {
                let kojin_bango = match request.kojin_bango {
                    Some(kojin_bango) => kojin_bango,
                    None => self.free_kojin_bango(request.juminhyo_code),
                };
                let certificates = request
                    .certificates
                    .iter()
                    // Issued on the same day, both certificates of a card get the same 有効期限.
                    .map(|c| serials.certificate(c, request.seinengappi, today, |_| None))
                    .collect::<Result<Vec<_>, _>>()?;
                CsChange::Tennyu {
                    person: Tennyusha {
                        juminhyo_code: request.juminhyo_code,
                        kojin_bango,
                        shimei: request.shimei.clone(),
                        shimei_kana: request.shimei_kana.clone(),
                        seinengappi: request.seinengappi,
                        seibetsu: request.seibetsu,
                        jusho: request.jusho.clone(),
                        certificates,
                    },
                }
            }
        })
    }

    /// The plan of a filled-in change: the one path for a live change and its replay.
    pub(super) fn plan(
        &self,
        dantai: DantaiCode,
        change: &CsChange,
        at: At,
    ) -> Result<Plan, ChangeError> {
        match change {
            CsChange::Shikkou {
                serial,
                shikkobi,
                reason,
            } => self.plan_revoke(*serial, *shikkobi, *reason, at),
            CsChange::Hakko {
                juminhyo_code,
                shubetsu,
                serial,
                hakkobi,
                yuko_kigen,
            } => self.plan_issue(
                *juminhyo_code,
                *shubetsu,
                *serial,
                *hakkobi,
                *yuko_kigen,
                at,
            ),
            CsChange::Koushin {
                juminhyo_code,
                koushinbi,
                riyosha_shomei,
                shomei,
            } => self.plan_renew(
                *juminhyo_code,
                *koushinbi,
                NewSerials {
                    riyosha_shomei: *riyosha_shomei,
                    shomei: *shomei,
                },
                at,
            ),
            CsChange::Tennyu { person } => {
                let honin = HoninKakuninJoho {
                    juminhyo_code: person.juminhyo_code,
                    kojin_bango: person.kojin_bango,
                    shimei: person.shimei.clone(),
                    shimei_kana: person.shimei_kana.clone(),
                    seinengappi: person.seinengappi,
                    seibetsu: person.seibetsu,
                    jusho: person.jusho.clone(),
                    koshin_nichiji: at.now,
                };
                let certificates = person
                    .certificates
                    .iter()
                    .map(|c| CertificateEntry {
                        row: ShomeishoJoho {
                            serial: c.serial,
                            juminhyo_code: person.juminhyo_code,
                            shubetsu: c.shubetsu,
                            hakkobi: c.hakkobi,
                            yuko_kigen: c.yuko_kigen,
                            shikkobi: None,
                            koshin_nichiji: at.now,
                        },
                        reason: None,
                    })
                    .collect();
                self.plan_tennyu(
                    dantai,
                    Newcomer {
                        honin,
                        certificates,
                    },
                    at,
                )
            }
        }
    }

    /// A synthetic 個人番号 nobody in the CS has: `99` + the 住民票コード's last 9 digits (the
    /// synthetic range, docs/identifiers.md), or the next free body after it.
    fn free_kojin_bango(&self, juminhyo_code: JuminhyoCode) -> KojinBango {
        const SPAN: u64 = 1_000_000_000;
        let start = juminhyo_code.value() % SPAN;
        // There are far fewer people than bodies: a free one is always found.
        (0..SPAN)
            .map(|step| KojinBango::from_body(99 * SPAN + (start + step) % SPAN))
            .find(|k| !self.by_kojin_bango.contains_key(k))
            .unwrap_or_else(|| KojinBango::from_body(99 * SPAN + start))
    }
}

/// Hands out serials for one change: the ones a request names (checked unused), or the next
/// free ones of [`RENKEI_SERIALS`], never the same twice.
struct Serials<'a> {
    inner: &'a Inner,
    taken: Vec<CertSerial>,
}

impl<'a> Serials<'a> {
    fn new(inner: &'a Inner) -> Self {
        Self {
            inner,
            taken: Vec::new(),
        }
    }

    fn take(&mut self, named: Option<CertSerial>) -> Result<CertSerial, ChangeError> {
        let serial = match named {
            Some(serial) => {
                self.inner.check_unused(serial)?;
                if self.taken.contains(&serial) {
                    return Err(ChangeError::SerialInUse(serial));
                }
                serial
            }
            None => RENKEI_SERIALS
                .filter_map(CertSerial::new)
                .find(|s| !self.inner.by_serial.contains_key(s) && !self.taken.contains(s))
                .ok_or(ChangeError::SerialsExhausted)?,
        };
        self.taken.push(serial);
        Ok(serial)
    }

    /// A certificate to issue to a person born on `birth`: `card_kigen` tells the 有効期限 of
    /// the card a 署名用 certificate issued on a day goes onto, if any.
    fn certificate(
        &mut self,
        request: &HakkoRequest,
        birth: Date,
        today: Date,
        card_kigen: impl Fn(Date) -> Option<Date>,
    ) -> Result<NewCertificate, ChangeError> {
        let hakkobi = request.hakkobi.unwrap_or(today);
        let kigen = match (request.yuko_kigen, request.shubetsu) {
            (Some(kigen), _) => kigen,
            (None, CertKind::Shomei) => {
                card_kigen(hakkobi).unwrap_or_else(|| yuko_kigen(birth, hakkobi))
            }
            (None, CertKind::RiyoshaShomei) => yuko_kigen(birth, hakkobi),
        };
        Ok(NewCertificate {
            shubetsu: request.shubetsu,
            serial: self.take(request.serial)?,
            hakkobi,
            yuko_kigen: kigen,
        })
    }
}

/// A resident of the 団体, or the error that names both.
fn resident(
    state: &DantaiState,
    dantai: DantaiCode,
    juminhyo_code: JuminhyoCode,
) -> Result<&HoninKakuninJoho, QueryError> {
    state
        .residents
        .get(&juminhyo_code)
        .ok_or(QueryError::UnknownJuminhyoCode {
            dantai,
            juminhyo_code,
        })
}

/// The person's newest certificate of `kind` (latest 発行日, then highest serial), whatever its
/// state: revoking it says why it cannot be revoked, if it cannot.
fn newest(
    state: &DantaiState,
    juminhyo_code: JuminhyoCode,
    kind: CertKind,
) -> Option<&ShomeishoJoho> {
    state
        .certificates
        .values()
        .map(|stored| &stored.entry.row)
        .filter(|row| row.juminhyo_code == juminhyo_code && row.shubetsu == kind)
        .max_by_key(|row| (row.hakkobi, row.serial))
}

/// The 有効期限 of the card a 署名用 certificate issued on `day` goes onto: the person's
/// 利用者証明用 certificate valid that day, if there is one.
fn card_kigen(state: &DantaiState, juminhyo_code: JuminhyoCode, day: Date) -> Option<Date> {
    newest(state, juminhyo_code, CertKind::RiyoshaShomei)
        .filter(|row| row.hakkobi <= day && row.yuko_kigen >= day)
        .filter(|row| row.shikkobi.is_none_or(|shikkobi| shikkobi > day))
        .map(|row| row.yuko_kigen)
}

/// Every row the change writes can go into the files the CS hands out, in both forms — so a
/// change cannot leave the CS unable to answer (a 転入者's name the fixed-length form cannot
/// hold, an optional 氏名カナ given as "", …). The same writers the files use decide.
fn check_writable(plan: &Plan) -> Result<(), ChangeError> {
    let unwritable =
        |error: crate::jukinet::WriteError| ChangeError::NotWritable(error.to_string());
    let rows = JukinetFile::zenken(
        plan.stamp,
        plan.rows.iter().map(|e| e.row.clone()).collect(),
    );
    write_csv(&rows).map_err(unwritable)?;
    write_fixed(&rows).map_err(unwritable)?;
    if let Some(honin) = &plan.newcomer {
        let file = JukinetFile::honin_kakunin(plan.stamp, vec![honin.clone()]);
        write_csv(&file).map_err(unwritable)?;
        write_fixed(&file).map_err(unwritable)?;
    }
    Ok(())
}

/// The Japanese words the requests use for codes the fixtures' types only write.
mod word {
    use renkei_fixtures::population::{CertKind, RevocationReason, Seibetsu};
    use serde::{Deserialize, Deserializer};

    fn one_of<'de, D: Deserializer<'de>, T: Copy>(
        deserializer: D,
        what: &str,
        all: &[T],
        word: fn(T) -> &'static str,
    ) -> Result<T, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        all.iter()
            .copied()
            .find(|value| word(*value) == text)
            .ok_or_else(|| {
                let allowed: Vec<&str> = all.iter().map(|v| word(*v)).collect();
                serde::de::Error::custom(format!(
                    "「{text}」は{what}ではありません (使えるのは {})",
                    allowed.join(" / ")
                ))
            })
    }

    pub fn kind<'de, D: Deserializer<'de>>(deserializer: D) -> Result<CertKind, D::Error> {
        one_of(
            deserializer,
            "証明書種別",
            &[CertKind::Shomei, CertKind::RiyoshaShomei],
            CertKind::as_str,
        )
    }

    pub fn kind_opt<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<CertKind>, D::Error> {
        kind(deserializer).map(Some)
    }

    pub fn reason<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<RevocationReason, D::Error> {
        one_of(
            deserializer,
            "失効事由",
            &[
                RevocationReason::Funshitsu,
                RevocationReason::JushoHenkou,
                RevocationReason::Koushin,
            ],
            RevocationReason::as_str,
        )
    }

    pub fn seibetsu<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Seibetsu, D::Error> {
        one_of(
            deserializer,
            "性別",
            &[Seibetsu::Otoko, Seibetsu::Onna],
            Seibetsu::as_str,
        )
    }
}
