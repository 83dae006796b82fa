//! 符号管理 (FGU): the 中間サーバー keeps, for each 団体内統合宛名番号, the 機関別符号 by which
//! the 団体 knows that person in 情報連携, and the state of the request that obtains it.
//!
//! The flow (seed 004 §6.3; `docs/chukan-fugou.md`):
//!
//! 1. a resident is registered (転入 etc.) and the 団体内統合宛名システム records the numbers;
//! 2. a 符号取得要求 is registered for the 団体内統合宛名番号 with the person's 個人番号
//!    ([`FugouKanri::request`]) — status [`符号取得中`](FugouStatus::Shutokuchu);
//! 3. when it is due ([`IssuanceDelay`]), [`FugouKanri::process`] sends it through the
//!    住基ネットCS (個人番号 → 住民票コード at J-LIS) to the 情報提供ネットワークシステム, which
//!    issues the 符号 for the 団体's 機関コード — status
//!    [`符号取得済み`](FugouStatus::Shutokuzumi), or [`エラー`](FugouStatus::Error) with the
//!    relay's reason;
//! 4. 情報照会 asks [`FugouKanri::fugou`], which refuses a person without a 符号 with the real
//!    message 「指定された団体内統合宛名番号「…」は符号が未取得です。」.
//!
//! One [`FugouKanri`] is one tenant's (one 団体's) 符号管理.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, RwLock};

use renkei_fixtures::ids::{DantaiCode, KojinBango, TougouAtenaBango};
use time::{Duration, OffsetDateTime};

use crate::clock::{Clock, JST};
use crate::jukinet::service::{Fugou, FugouIssuer, FugouRelayError, JukinetCs};
use crate::nws::shoukai::calendar::is_kyuujitsu;

/// How long the 情報提供ネットワークシステム takes to issue a 符号.
///
/// The real test environment takes up to 7 business days (seed 004 §2.12); production answers
/// within the day. A business day is a 平日 of the 中間サーバー's calendar: not 土・日, not a 祝日
/// (振替休日 and 国民の休日 included) and not 年末年始 (12月29日〜1月3日) —
/// [`crate::nws::shoukai::calendar::is_kyuujitsu`], the same calendar as the service hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IssuanceDelay {
    /// Due as soon as it is registered: the next [`FugouKanri::process`] completes it.
    #[default]
    Immediate,
    /// Due from 00:00 JST of the n-th business day (a 平日: no 土日, 祝日 or 年末年始) after the
    /// day of the request. `BusinessDays(0)` is [`Immediate`](IssuanceDelay::Immediate).
    BusinessDays(u32),
}

impl IssuanceDelay {
    /// The delay of the real test environment at its longest (seed 004 §2.12).
    pub const TEST_ENVIRONMENT: Self = Self::BusinessDays(7);

    /// When a request registered at `requested_at` is due.
    pub fn due_at(self, requested_at: OffsetDateTime) -> OffsetDateTime {
        match self {
            Self::Immediate | Self::BusinessDays(0) => requested_at,
            Self::BusinessDays(days) => {
                let mut date = requested_at.to_offset(JST).date();
                for _ in 0..days {
                    date = next_business_day(date);
                }
                date.midnight().assume_offset(JST)
            }
        }
    }
}

/// The first 平日 after `date` (the 中間サーバー's calendar: no 土日, 祝日 or 年末年始).
fn next_business_day(date: time::Date) -> time::Date {
    let mut next = date + Duration::days(1);
    while is_kyuujitsu(next) {
        next += Duration::days(1);
    }
    next
}

/// Where a person's 符号取得 stands: the 状態 the 中間サーバー shows for the last 符号取得要求.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FugouStatus {
    /// 符号取得中: the request is registered and the 符号 not yet issued.
    Shutokuchu {
        requested_at: OffsetDateTime,
        /// When [`FugouKanri::process`] will send it.
        due_at: OffsetDateTime,
    },
    /// 符号取得済み: the 符号 is held and 情報照会 may use it.
    Shutokuzumi {
        fugou: Fugou,
        requested_at: OffsetDateTime,
        issued_at: OffsetDateTime,
    },
    /// エラー: the 住基ネット or the 情報提供ネットワークシステム refused; a new request may be
    /// registered.
    Error {
        error: FugouRelayError,
        requested_at: OffsetDateTime,
        failed_at: OffsetDateTime,
    },
}

impl FugouStatus {
    /// The status words, in the order a request goes through them. The one list: docs and
    /// tests read it from here.
    pub const LABELS: [&'static str; 3] = ["符号取得中", "符号取得済み", "エラー"];

    /// The status word the 中間サーバー shows.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Shutokuchu { .. } => Self::LABELS[0],
            Self::Shutokuzumi { .. } => Self::LABELS[1],
            Self::Error { .. } => Self::LABELS[2],
        }
    }

    /// The 符号, once issued.
    pub fn fugou(&self) -> Option<&Fugou> {
        match self {
            Self::Shutokuzumi { fugou, .. } => Some(fugou),
            _ => None,
        }
    }

    /// When the request was registered.
    pub fn requested_at(&self) -> OffsetDateTime {
        match *self {
            Self::Shutokuchu { requested_at, .. }
            | Self::Shutokuzumi { requested_at, .. }
            | Self::Error { requested_at, .. } => requested_at,
        }
    }
}

/// Why 符号管理 refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FugouError {
    /// The real message of the 中間サーバー (DOMAIN.md "自治体中間サーバー"), for a person with no
    /// request, a pending one, or one that ended in エラー.
    #[error("指定された団体内統合宛名番号「{tougou}」は符号が未取得です。")]
    Mishutoku { tougou: TougouAtenaBango },
    #[error(
        "団体内統合宛名番号「{tougou}」は符号取得済みです: 符号取得要求は登録できません (符号管理)"
    )]
    AlreadyAcquired { tougou: TougouAtenaBango },
    #[error(
        "団体内統合宛名番号「{tougou}」は符号取得中です ({due_at} 以降に発行): 同じ住民の符号取得要求は重ねて登録できません (符号管理)"
    )]
    AlreadyRequested {
        tougou: TougouAtenaBango,
        due_at: OffsetDateTime,
    },
}

/// One 団体's 符号管理: a 符号取得要求 and its status per 団体内統合宛名番号.
#[derive(Debug)]
pub struct FugouKanri {
    /// The 団体 whose residents these are: the 住基ネット checks that each is its resident, and
    /// the 符号 is issued for its 機関コード.
    dantai: DantaiCode,
    delay: IssuanceDelay,
    /// Stamps requests; the same clock as every other simulated system.
    clock: Clock,
    /// A std `Mutex`: held to read or write entries, never while the 住基ネット or the
    /// issuer runs.
    entries: Mutex<Entries>,
    /// 符号 → 団体内統合宛名番号 of every 符号 held: the 提供者's side of 情報照会 finds the person
    /// by the 符号 the 情報提供ネットワークシステム converted to (seed 004 §6.4). A `HashMap`
    /// behind a `RwLock`: point lookups on every 照会, a write only when a 符号 is issued. Only
    /// grows: a 符号取得済み person cannot be requested again.
    by_fugou: RwLock<HashMap<Fugou, TougouAtenaBango>>,
}

/// Every person's last request, and the pending ones by when they are due: the 中間サーバー asks
/// what is due before every 電文, which must not cost a pass over every person.
#[derive(Debug, Default)]
struct Entries {
    by_person: BTreeMap<TougouAtenaBango, Entry>,
    /// (due_at, person) of every 符号取得中 entry.
    pending: BTreeSet<(OffsetDateTime, TougouAtenaBango)>,
}

/// One person's last request. The 個人番号 is kept only to send the request.
#[derive(Debug, Clone)]
struct Entry {
    kojin_bango: KojinBango,
    status: FugouStatus,
}

impl FugouKanri {
    /// The 符号管理 of `dantai`, issuing with `delay`, stamping requests from `clock`.
    pub fn new(dantai: DantaiCode, delay: IssuanceDelay, clock: Clock) -> Self {
        Self {
            dantai,
            delay,
            clock,
            entries: Mutex::new(Entries::default()),
            by_fugou: RwLock::new(HashMap::new()),
        }
    }

    /// The 団体 this 符号管理 belongs to.
    pub fn dantai(&self) -> DantaiCode {
        self.dantai
    }

    /// The issuance delay in force.
    pub fn delay(&self) -> IssuanceDelay {
        self.delay
    }

    /// Registers a 符号取得要求 for `tougou`, the person with `kojin_bango`, now on the clock.
    /// Returns when it is due. Refused while the person has a 符号 or a pending request; after
    /// an エラー a new request replaces the old one.
    pub fn request(
        &self,
        tougou: TougouAtenaBango,
        kojin_bango: KojinBango,
    ) -> Result<OffsetDateTime, FugouError> {
        self.request_at(tougou, kojin_bango, self.clock.now())
    }

    /// [`request`](Self::request) as of `requested_at` (a replay of the 符号管理 log gives each
    /// request its original time).
    pub fn request_at(
        &self,
        tougou: TougouAtenaBango,
        kojin_bango: KojinBango,
        requested_at: OffsetDateTime,
    ) -> Result<OffsetDateTime, FugouError> {
        let due_at = self.delay.due_at(requested_at);
        let mut entries = self.lock();
        Self::refusal(&entries.by_person, tougou)?;
        entries.pending.insert((due_at, tougou));
        entries.by_person.insert(
            tougou,
            Entry {
                kojin_bango,
                status: FugouStatus::Shutokuchu {
                    requested_at,
                    due_at,
                },
            },
        );
        Ok(due_at)
    }

    /// Whether a request for `tougou` would be accepted now (without registering it).
    pub fn check_request(&self, tougou: TougouAtenaBango) -> Result<(), FugouError> {
        Self::refusal(&self.lock().by_person, tougou)
    }

    fn refusal(
        entries: &BTreeMap<TougouAtenaBango, Entry>,
        tougou: TougouAtenaBango,
    ) -> Result<(), FugouError> {
        match entries.get(&tougou).map(|e| &e.status) {
            Some(FugouStatus::Shutokuzumi { .. }) => Err(FugouError::AlreadyAcquired { tougou }),
            Some(&FugouStatus::Shutokuchu { due_at, .. }) => {
                Err(FugouError::AlreadyRequested { tougou, due_at })
            }
            Some(FugouStatus::Error { .. }) | None => Ok(()),
        }
    }

    /// How many requests are due at `now`.
    pub fn due_count(&self, now: OffsetDateTime) -> usize {
        self.lock()
            .pending
            .iter()
            .take_while(|(due_at, _)| *due_at <= now)
            .count()
    }

    /// Sends every request due at `now` through `cs` to `issuer` and records the outcome.
    /// Returns the requests completed, with their new status, in 団体内統合宛名番号 order.
    pub fn process(
        &self,
        now: OffsetDateTime,
        cs: &JukinetCs,
        issuer: &dyn FugouIssuer,
    ) -> Vec<(TougouAtenaBango, FugouStatus)> {
        let due: Vec<(TougouAtenaBango, KojinBango, OffsetDateTime)> = {
            let entries = self.lock();
            let mut due: Vec<_> = entries
                .pending
                .iter()
                .take_while(|(due_at, _)| *due_at <= now)
                .filter_map(|&(_, tougou)| {
                    let entry = entries.by_person.get(&tougou)?;
                    match entry.status {
                        FugouStatus::Shutokuchu { requested_at, .. } => {
                            Some((tougou, entry.kojin_bango, requested_at))
                        }
                        _ => None,
                    }
                })
                .collect();
            // In 団体内統合宛名番号 order, as documented (not by due time).
            due.sort_by_key(|(tougou, ..)| *tougou);
            due
        };
        let mut completed = Vec::with_capacity(due.len());
        for (tougou, kojin_bango, requested_at) in due {
            // The lock is not held here: the relay locks the CS, the issuer its register.
            let status = match cs.relay_fugou_request(self.dantai, kojin_bango, issuer) {
                Ok(fugou) => FugouStatus::Shutokuzumi {
                    fugou,
                    requested_at,
                    issued_at: now,
                },
                Err(error) => FugouStatus::Error {
                    error,
                    requested_at,
                    failed_at: now,
                },
            };
            let mut entries = self.lock();
            let entries = &mut *entries;
            // Only the request that was sent is completed (another `process` may have been first).
            if let Some(entry) = entries.by_person.get_mut(&tougou)
                && let FugouStatus::Shutokuchu {
                    requested_at: r,
                    due_at,
                } = entry.status
                && r == requested_at
            {
                entries.pending.remove(&(due_at, tougou));
                if let Some(fugou) = status.fugou() {
                    self.by_fugou
                        .write()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(fugou.clone(), tougou);
                }
                entry.status = status.clone();
                completed.push((tougou, status));
            }
        }
        completed
    }

    /// The status of the last 符号取得要求 for `tougou`; `None` if there was none.
    pub fn status(&self, tougou: TougouAtenaBango) -> Option<FugouStatus> {
        self.lock().by_person.get(&tougou).map(|e| e.status.clone())
    }

    /// The 符号 of `tougou`, for 情報照会. Without one (no request, pending, or エラー), the
    /// real message.
    pub fn fugou(&self, tougou: TougouAtenaBango) -> Result<Fugou, FugouError> {
        self.lock()
            .by_person
            .get(&tougou)
            .and_then(|e| e.status.fugou().cloned())
            .ok_or(FugouError::Mishutoku { tougou })
    }

    /// The 団体内統合宛名番号 under which this 団体 holds `fugou`, if it holds it (the reverse of
    /// [`fugou`](Self::fugou)).
    pub fn tougou_of(&self, fugou: &Fugou) -> Option<TougouAtenaBango> {
        self.by_fugou
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(fugou)
            .copied()
    }

    /// How many persons are in each status, in the order of [`FugouStatus::LABELS`].
    pub fn counts(&self) -> [usize; 3] {
        let mut counts = [0; 3];
        for entry in self.lock().by_person.values() {
            let index = FugouStatus::LABELS
                .iter()
                .position(|&l| l == entry.status.label())
                .expect("every label is in LABELS");
            counts[index] += 1;
        }
        counts
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // Each write replaces one entry whole and its pending mark with it; a panic elsewhere
        // cannot leave one half-written.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn business_days_skip_the_weekend_and_start_at_midnight() {
        // 2026-04-10 is a Friday.
        let friday = datetime!(2026-04-10 17:00 +09:00);
        assert_eq!(
            IssuanceDelay::BusinessDays(1).due_at(friday),
            datetime!(2026-04-13 00:00 +09:00)
        );
        assert_eq!(
            IssuanceDelay::BusinessDays(2).due_at(friday),
            datetime!(2026-04-14 00:00 +09:00)
        );
        assert_eq!(
            IssuanceDelay::TEST_ENVIRONMENT.due_at(friday),
            datetime!(2026-04-21 00:00 +09:00)
        );
        // A request on Saturday is due on Monday after one business day.
        assert_eq!(
            IssuanceDelay::BusinessDays(1).due_at(datetime!(2026-04-11 10:00 +09:00)),
            datetime!(2026-04-13 00:00 +09:00)
        );
        assert_eq!(IssuanceDelay::Immediate.due_at(friday), friday);
        assert_eq!(IssuanceDelay::BusinessDays(0).due_at(friday), friday);
    }

    #[test]
    fn business_days_skip_shukujitsu_and_nenmatsu_nenshi() {
        // ゴールデンウィーク 2026: 4/29 昭和の日, 5/3〜5/5, 5/6 振替休日. From Tuesday 4/28 the 7
        // business days are 4/30, 5/1, 5/7, 5/8, 5/11, 5/12, 5/13.
        assert_eq!(
            IssuanceDelay::TEST_ENVIRONMENT.due_at(datetime!(2026-04-28 10:00 +09:00)),
            datetime!(2026-05-13 00:00 +09:00)
        );
        // 年末年始 (12/29〜1/3): from Friday 12/25, 12/28 then 2027-01-04.
        assert_eq!(
            IssuanceDelay::BusinessDays(2).due_at(datetime!(2026-12-25 10:00 +09:00)),
            datetime!(2027-01-04 00:00 +09:00)
        );
        // シルバーウィーク 2026: 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分の日.
        assert_eq!(
            IssuanceDelay::BusinessDays(1).due_at(datetime!(2026-09-18 10:00 +09:00)),
            datetime!(2026-09-24 00:00 +09:00)
        );
    }

    #[test]
    fn the_day_is_the_day_in_japan() {
        // Friday 23:30 UTC is already Saturday in JST: one business day is Monday.
        assert_eq!(
            IssuanceDelay::BusinessDays(1).due_at(datetime!(2026-04-10 23:30 UTC)),
            datetime!(2026-04-13 00:00 +09:00)
        );
    }

    #[test]
    fn the_mishutoku_message_is_the_real_one() {
        let tougou = TougouAtenaBango::from_number(500_000_123);
        assert_eq!(
            FugouError::Mishutoku { tougou }.to_string(),
            "指定された団体内統合宛名番号「000000500000123」は符号が未取得です。"
        );
    }
}
