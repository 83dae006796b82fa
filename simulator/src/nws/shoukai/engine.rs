//! [`JohoRenkei`]: the 情報照会 / 情報提供 engine — every tenant's 照会 and 提供, and the
//! 情報提供ネットワークシステム routing between them.
//!
//! Each operation reads the clock once, first runs what the clock says has happened since the last
//! call (bulk 明細 sent at the bulk rate, 有効期間切れ事前通知 and 有効期間切れ — [`JohoRenkei::tick`]),
//! then decides, commits one event and returns. Decisions ask the three outside parts
//! ([`Renkeisaki`]); applying an event asks nothing (see [`super::state`]).
//!
//! What happens to a 照会, in order (each refusal is a [`ShoukaiError`]):
//!
//! 1. **Registration** at the 照会者's 中間サーバー, in システムサービス提供時間 only (seed 004
//!    §5.1.4; the weekday stop window has its own refusal, §2.6). The content is checked: the
//!    特定個人情報名コード in the データ標準レイアウト, the 事務 and 事務手続 in the legal basis,
//!    the 提供者 a tenant, both connected in the 照会's MSGMode. In the documented-limits mode a
//!    single 照会 beyond 4,000 in the hour is refused, and bulk 明細 beyond 3,000 in the request or
//!    4,000 in the hour end in エラー (§2.11).
//! 2. **Sending** (at once for a single 照会, at the bulk rate for a bulk file, single ones first
//!    — §3.3 #11): the 情報提供ネットワークシステム checks the legal basis (the real message), the
//!    照会者's 符号 (the real message), converts it to the 提供者's and finds the person there.
//! 3. **Answer**: the 提供者's 副本 are looked up. 自動応答 answers at once (正常終了, 該当なし);
//!    where a dataset is 自動応答不可 the 提供の求め waits for a 職員 (確認 → 送信許可), at most 30
//!    days (§2.4), with an 有効期間切れ事前通知 before the end.

use std::sync::{Arc, Mutex, MutexGuard};

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::KikanCode;
use time::{Duration, OffsetDateTime};

use super::bango::{ShoriTsuuban, UketsukeBango};
use super::calendar::ServiceHours;
use super::error::ShoukaiError;
use super::event::{Meisai, Routing, ShoukaiEvent, ShoukaiStore, TenantSpec};
use super::kiroku::{HENKOU_JIYUU_MAX_CHARS, Kiroku, KirokuCsv, KirokuHenkou, KirokuKensaku};
use super::naiyou::{Houshiki, ShoukaiNaiyou};
use super::source::{FugouDaichou, FugouHenkan, FukuhonKensaku, FukuhonQuery, TeikyouSource};
use super::state::{Kigen, Shoukai, State, Teikyou};
use super::tsuuchi::Tsuuchi;
use crate::clock::Clock;

/// 有効期間 of a 提供の求め, in days (seed 004 §2.4: 「情報提供の求めの有効期間は30日」).
pub const YUUKOU_KIKAN_DAYS: i64 = 30;

/// The most 明細 in one request before the documented-limits mode interrupts it (seed 004 §2.11
/// a: 「1回当たりの要求件数を3,000件以内」).
pub const IKKATSU_MAX_MEISAI: u64 = 3_000;

/// The most 照会 in one hour before the documented-limits mode overloads (seed 004 §2.11: 「短時間
/// （1時間）に大量（おおむね4,000件以上）の要求を行うと…過負荷状態」). renkei refuses the 4,001st.
pub const HOURLY_MAX_SHOUKAI: u64 = 4_000;

/// Processing time of one bulk 明細: seed 004 §2.11 gives 15–20 minutes per 1,000; renkei takes
/// the quicker end, 15 minutes per 1,000.
pub const IKKATSU_PER_MEISAI: Duration = Duration::milliseconds(900);

/// How long before the end of the 有効期間 the 有効期間切れ事前通知 goes out (renkei's choice: the
/// real lead time is not public).
pub const JIZEN_TSUUCHI: Duration = Duration::days(5);

/// Settings of the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShoukaiConfig {
    /// システムサービス提供時間 and the stop window.
    pub hours: ServiceHours,
    /// Service time one bulk 明細 takes ([`IKKATSU_PER_MEISAI`]); zero sends a bulk file at once.
    pub ikkatsu_per_meisai: Duration,
    /// 有効期間 of a 提供の求め ([`YUUKOU_KIKAN_DAYS`]).
    pub yuukou_kikan: Duration,
    /// Lead time of the 有効期間切れ事前通知 ([`JIZEN_TSUUCHI`]); shorter than `yuukou_kikan`.
    pub jizen_tsuuchi: Duration,
    /// Whether the engine starts in the documented-limits mode (seed 004 §2.11).
    pub documented_limits: bool,
}

impl Default for ShoukaiConfig {
    fn default() -> Self {
        Self {
            hours: ServiceHours::GENKOU,
            ikkatsu_per_meisai: IKKATSU_PER_MEISAI,
            yuukou_kikan: Duration::days(YUUKOU_KIKAN_DAYS),
            jizen_tsuuchi: JIZEN_TSUUCHI,
            documented_limits: false,
        }
    }
}

/// The outside parts the engine asks (see [`super::source`]).
#[derive(Clone)]
pub struct Renkeisaki {
    /// Each tenant's 符号管理.
    pub fugou: Arc<dyn FugouDaichou>,
    /// The 情報提供ネットワークシステム's 符号変換.
    pub henkan: Arc<dyn FugouHenkan>,
    /// The 提供者's 副本.
    pub source: Arc<dyn TeikyouSource>,
}

impl std::fmt::Debug for Renkeisaki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renkeisaki { .. }")
    }
}

/// What a bulk registration returns: its 受付番号 and its 明細 as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkkatsuUketsuke {
    /// 中間サーバー受付番号.
    pub uketsuke_bango: UketsukeBango,
    /// The 明細, in file order (処理待ち, or エラー when refused at registration).
    pub meisai: Vec<Shoukai>,
}

/// The 情報照会 / 情報提供 engine of all tenants and the 情報提供ネットワークシステム between them.
///
/// Cheap to share behind an `Arc`; every method takes `&self`.
pub struct JohoRenkei {
    clock: Clock,
    /// The legal basis and the データ標準レイアウト.
    catalogs: &'static Catalogs,
    config: ShoukaiConfig,
    parts: Renkeisaki,
    /// Where events are made durable before they are applied (`None`: in memory only).
    store: Option<Arc<dyn ShoukaiStore>>,
    /// A std `Mutex`: each operation holds it from reading the clock to applying its event, so
    /// operations are serialised and the outcome does not depend on thread timing. Never held
    /// across an await (the engine has none).
    state: Mutex<State>,
}

// The 中間サーバー shares one engine between its connection tasks.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<JohoRenkei>()
};

impl std::fmt::Debug for JohoRenkei {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JohoRenkei")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl JohoRenkei {
    /// An engine on `clock` with `tenants` as its starting state (the scenario's: not events).
    ///
    /// # Panics
    /// When `config.jizen_tsuuchi` is not shorter than `config.yuukou_kikan`: a configuration bug.
    pub fn new(
        clock: Clock,
        catalogs: &'static Catalogs,
        config: ShoukaiConfig,
        parts: Renkeisaki,
        tenants: Vec<TenantSpec>,
    ) -> Self {
        assert!(
            config.jizen_tsuuchi < config.yuukou_kikan && !config.jizen_tsuuchi.is_negative(),
            "有効期間切れ事前通知 must come before the end of the 有効期間"
        );
        let state = State::new(
            tenants,
            config.documented_limits,
            config.yuukou_kikan,
            config.jizen_tsuuchi,
        );
        Self {
            clock,
            catalogs,
            config,
            parts,
            store: None,
            state: Mutex::new(state),
        }
    }

    /// Writes every event to `store` before applying it, from now on.
    pub fn persist_to(&mut self, store: Arc<dyn ShoukaiStore>) {
        self.store = Some(store);
    }

    /// Applies events of an earlier run (already durable), in order.
    pub fn replay(&self, events: impl IntoIterator<Item = ShoukaiEvent>) {
        let mut state = self.lock();
        for event in events {
            state.apply(event);
        }
    }

    /// The settings.
    pub fn config(&self) -> &ShoukaiConfig {
        &self.config
    }

    /// The clock the engine reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // `apply` writes each entry whole; a panic elsewhere cannot leave one half-written.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `event` durable, then applies it.
    fn commit(&self, state: &mut State, event: ShoukaiEvent) -> Result<(), ShoukaiError> {
        if let Some(store) = &self.store {
            store.append(&event).map_err(|e| ShoukaiError::Store {
                message: e.to_string(),
            })?;
        }
        state.apply(event);
        Ok(())
    }

    // ─── tenants and settings ────────────────────────────────────────────────────────────────

    /// Adds a tenant at run time.
    pub fn add_tenant(&self, tenant: TenantSpec) -> Result<(), ShoukaiError> {
        let mut state = self.lock();
        if state.tenants.contains_key(&tenant.kikan) {
            return Err(ShoukaiError::TenantExists {
                kikan: tenant.kikan,
            });
        }
        self.commit(&mut state, ShoukaiEvent::TenantAdded { tenant })
    }

    /// The tenants, by 機関コード.
    pub fn tenants(&self) -> Vec<TenantSpec> {
        self.lock()
            .tenants
            .values()
            .map(|t| t.spec.clone())
            .collect()
    }

    /// Switches the documented-limits mode (seed 004 §2.11).
    pub fn set_documented_limits(&self, on: bool) -> Result<(), ShoukaiError> {
        let mut state = self.lock();
        if state.documented_limits == on {
            return Ok(());
        }
        self.commit(
            &mut state,
            ShoukaiEvent::LimitsSwitched {
                documented_limits: on,
            },
        )
    }

    /// Whether the documented-limits mode is on.
    pub fn documented_limits(&self) -> bool {
        self.lock().documented_limits
    }

    /// Runs what the clock says has happened since the last call: bulk 明細 sent, 事前通知 and
    /// 有効期間切れ. Every other method does this first; call it after advancing the clock to see
    /// the 通知 without another operation.
    pub fn tick(&self) -> Result<(), ShoukaiError> {
        let now = self.clock.now();
        let mut state = self.lock();
        self.catch_up(&mut state, now)
    }

    /// [`tick`](Self::tick), but only up to `at` (never past the clock): the 中間サーバー runs
    /// what was due before each night batch first, so a 明細 sent before a batch does not see the
    /// 副本 that batch registers.
    pub fn tick_until(&self, at: OffsetDateTime) -> Result<(), ShoukaiError> {
        let now = self.clock.now().min(at);
        let mut state = self.lock();
        self.catch_up(&mut state, now)
    }

    // ─── 情報照会 (照会者) ──────────────────────────────────────────────────────────────────

    /// Registers and sends a single 照会 (Webサービス連携 or the screen). Refusals at
    /// registration or by the 情報提供ネットワークシステム are errors, and nothing is registered;
    /// otherwise the 照会 as it stands after sending: 正常終了 / 該当なし / 提供不可 (自動応答) or
    /// 回答待ち (自動応答不可).
    pub fn shoukai(
        &self,
        kikan: KikanCode,
        naiyou: ShoukaiNaiyou,
    ) -> Result<Shoukai, ShoukaiError> {
        let now = self.clock.now();
        let mut state = self.lock();
        self.catch_up(&mut state, now)?;
        let tenant = tenant(&state, kikan)?;
        self.check_hours(now)?;
        self.check_naiyou(&state, kikan, &naiyou)?;
        if state.documented_limits {
            let count = tenant.recent_count(now) + 1;
            if count > HOURLY_MAX_SHOUKAI {
                return Err(ShoukaiError::Kafuka {
                    count,
                    limit: HOURLY_MAX_SHOUKAI,
                });
            }
        }
        let routing = self.decide(&state, kikan, &naiyou, now)?;
        let uketsuke_bango = UketsukeBango::next(tenant.last_uketsuke, now.date());
        let shori_tsuuban = ShoriTsuuban::next(state.last_tsuuban, now.date());
        self.commit(
            &mut state,
            ShoukaiEvent::Tanken {
                kikan,
                uketsuke_bango,
                at: now,
                meisai: Meisai {
                    shori_tsuuban,
                    naiyou,
                    refusal: None,
                },
                routing,
            },
        )?;
        Ok(state.shoukai[&shori_tsuuban].clone())
    }

    /// Registers a bulk request (a 照会 file). The file is refused whole only when empty or out of
    /// hours; a 明細 with bad content, or beyond the documented limits, ends in エラー with its
    /// message while the others go on. The 明細 are sent in order at the bulk rate, after any
    /// single 照会.
    pub fn ikkatsu_shoukai(
        &self,
        kikan: KikanCode,
        meisai: Vec<ShoukaiNaiyou>,
    ) -> Result<IkkatsuUketsuke, ShoukaiError> {
        let now = self.clock.now();
        let mut state = self.lock();
        self.catch_up(&mut state, now)?;
        let tenant = tenant(&state, kikan)?;
        self.check_hours(now)?;
        if meisai.is_empty() {
            return Err(ShoukaiError::EmptyIkkatsu);
        }
        let uketsuke_bango = UketsukeBango::next(tenant.last_uketsuke, now.date());
        let before = tenant.recent_count(now);
        let mut last = state.last_tsuuban;
        let mut registered = Vec::with_capacity(meisai.len());
        for (index, naiyou) in meisai.into_iter().enumerate() {
            let number = index as u64 + 1;
            let shori_tsuuban = ShoriTsuuban::next(last, now.date());
            last = Some(shori_tsuuban);
            let refusal = match self.check_naiyou(&state, kikan, &naiyou) {
                Err(error) => Some(error),
                Ok(()) if state.documented_limits && number > IKKATSU_MAX_MEISAI => {
                    Some(ShoukaiError::YoukyuuKensuuChouka {
                        meisai: number,
                        limit: IKKATSU_MAX_MEISAI,
                    })
                }
                Ok(()) if state.documented_limits && before + number > HOURLY_MAX_SHOUKAI => {
                    Some(ShoukaiError::Kafuka {
                        count: before + number,
                        limit: HOURLY_MAX_SHOUKAI,
                    })
                }
                Ok(()) => None,
            };
            registered.push(Meisai {
                shori_tsuuban,
                naiyou,
                refusal: refusal.as_ref().map(ShoukaiError::to_refusal),
            });
        }
        let numbers: Vec<ShoriTsuuban> = registered.iter().map(|m| m.shori_tsuuban).collect();
        self.commit(
            &mut state,
            ShoukaiEvent::Registered {
                kikan,
                uketsuke_bango,
                houshiki: Houshiki::Ikkatsu,
                at: now,
                meisai: registered,
            },
        )?;
        // With a zero bulk rate the 明細 are due now.
        self.catch_up(&mut state, now)?;
        Ok(IkkatsuUketsuke {
            uketsuke_bango,
            meisai: numbers.iter().map(|n| state.shoukai[n].clone()).collect(),
        })
    }

    /// 情報照会状況: the 照会 with this 処理通番, if it is this tenant's.
    pub fn joukyou(
        &self,
        kikan: KikanCode,
        shori_tsuuban: ShoriTsuuban,
    ) -> Result<Shoukai, ShoukaiError> {
        let state = self.caught_up()?;
        tenant(&state, kikan)?;
        own_shoukai(&state, kikan, shori_tsuuban).cloned()
    }

    /// The 明細 of one registration (a bulk file's status), in file order.
    pub fn uketsuke_joukyou(
        &self,
        kikan: KikanCode,
        uketsuke_bango: UketsukeBango,
    ) -> Result<Vec<Shoukai>, ShoukaiError> {
        let state = self.caught_up()?;
        let numbers = tenant(&state, kikan)?
            .uketsuke
            .get(&uketsuke_bango)
            .ok_or(ShoukaiError::UnknownUketsuke { uketsuke_bango })?;
        Ok(numbers.iter().map(|n| state.shoukai[n].clone()).collect())
    }

    /// 情報照会結果: the 照会 with its result, once the 提供者 answered (正常終了 or 該当なし);
    /// before that (or when it ended otherwise) an error naming the status.
    pub fn kekka(
        &self,
        kikan: KikanCode,
        shori_tsuuban: ShoriTsuuban,
    ) -> Result<Shoukai, ShoukaiError> {
        let state = self.caught_up()?;
        tenant(&state, kikan)?;
        let shoukai = own_shoukai(&state, kikan, shori_tsuuban)?;
        if !shoukai.status.has_result() {
            return Err(ShoukaiError::NoResult {
                shori_tsuuban,
                status: shoukai.status,
            });
        }
        Ok(shoukai.clone())
    }

    /// 情報照会の取りやめ: withdraws a 照会 not yet answered (処理待ち or 回答待ち). The 照会者 gets
    /// the 情報照会取りやめ結果通知; a 提供者 that had it waiting gets the 情報照会取りやめ完了通知.
    pub fn toriyame(
        &self,
        kikan: KikanCode,
        shori_tsuuban: ShoriTsuuban,
    ) -> Result<Shoukai, ShoukaiError> {
        let now = self.clock.now();
        let mut state = self.lock();
        self.catch_up(&mut state, now)?;
        tenant(&state, kikan)?;
        let status = own_shoukai(&state, kikan, shori_tsuuban)?.status;
        self.check_hours(now)?;
        if status.is_final() {
            return Err(ShoukaiError::CannotToriyame {
                shori_tsuuban,
                status,
            });
        }
        self.commit(
            &mut state,
            ShoukaiEvent::Toriyame {
                shori_tsuuban,
                at: now,
            },
        )?;
        Ok(state.shoukai[&shori_tsuuban].clone())
    }

    // ─── 情報提供 (提供者) ──────────────────────────────────────────────────────────────────

    /// 情報提供状況: the 提供の求め with this 処理通番, if this tenant received it.
    pub fn teikyou(
        &self,
        kikan: KikanCode,
        shori_tsuuban: ShoriTsuuban,
    ) -> Result<Teikyou, ShoukaiError> {
        let state = self.caught_up()?;
        tenant(&state, kikan)?;
        own_teikyou(&state, kikan, shori_tsuuban).cloned()
    }

    /// Every 提供の求め this tenant received, in 処理通番 order; only those waiting for a 職員
    /// (確認待ち, 送信許可待ち) when `pending_only`.
    pub fn teikyou_ichiran(
        &self,
        kikan: KikanCode,
        pending_only: bool,
    ) -> Result<Vec<Teikyou>, ShoukaiError> {
        let state = self.caught_up()?;
        Ok(tenant(&state, kikan)?
            .teikyou
            .iter()
            .map(|n| &state.teikyou[n])
            .filter(|t| !pending_only || t.status.is_pending())
            .cloned()
            .collect())
    }

    /// 自動応答不可対象の確認: a 職員 checks what will be provided. The 副本 are looked up again
    /// (they may have been registered or corrected meanwhile) in the layout edition of the
    /// 提供の求め; the 提供 then waits for the 送信許可 (情報提供内容送信許可依頼), or is 提供不可
    /// when the layout can no longer be used.
    pub fn kakunin(
        &self,
        kikan: KikanCode,
        shori_tsuuban: ShoriTsuuban,
    ) -> Result<Teikyou, ShoukaiError> {
        self.teikyou_sousa(
            kikan,
            shori_tsuuban,
            super::status::TeikyouStatus::KakuninMachi,
            "確認",
            |kensaku, at| ShoukaiEvent::Kakunin {
                shori_tsuuban,
                at,
                kensaku,
            },
        )
    }

    /// 送信許可: sends the checked content to the 照会者 (正常終了 or 該当なし on its side). If the
    /// layout can no longer be used (a メジャー改版 took effect since the 提供の求め), it is 提供不可
    /// instead (seed 004 §2.4).
    pub fn soushin_kyoka(
        &self,
        kikan: KikanCode,
        shori_tsuuban: ShoriTsuuban,
    ) -> Result<Teikyou, ShoukaiError> {
        self.teikyou_sousa(
            kikan,
            shori_tsuuban,
            super::status::TeikyouStatus::SoushinKyokaMachi,
            "送信許可",
            |_, at| ShoukaiEvent::SoushinKyoka { shori_tsuuban, at },
        )
    }

    /// An operation of the 提供者's 職員 on a pending 提供: in hours, on its own 提供 in the status
    /// `expected`; the 副本 are asked again, and 提供不可 wins over the operation.
    fn teikyou_sousa(
        &self,
        kikan: KikanCode,
        shori_tsuuban: ShoriTsuuban,
        expected: super::status::TeikyouStatus,
        action: &'static str,
        event: impl FnOnce(FukuhonKensaku, OffsetDateTime) -> ShoukaiEvent,
    ) -> Result<Teikyou, ShoukaiError> {
        let now = self.clock.now();
        let mut state = self.lock();
        self.catch_up(&mut state, now)?;
        tenant(&state, kikan)?;
        let teikyou = own_teikyou(&state, kikan, shori_tsuuban)?;
        self.check_hours(now)?;
        if teikyou.status != expected {
            return Err(ShoukaiError::WrongTeikyouStatus {
                shori_tsuuban,
                status: teikyou.status,
                action,
            });
        }
        let kensaku = self.parts.source.kensaku(&FukuhonQuery {
            teikyousha: kikan,
            msg_mode: teikyou.msg_mode,
            tougou: teikyou.tougou,
            tokutei: teikyou.tokutei,
            jouken: &teikyou.jouken,
            motome_at: teikyou.motome_at,
            now,
        })?;
        let event = match kensaku {
            FukuhonKensaku::TeikyouFuka { riyuu } => ShoukaiEvent::TeikyouFuka {
                shori_tsuuban,
                at: now,
                riyuu,
            },
            kensaku => event(kensaku, now),
        };
        self.commit(&mut state, event)?;
        Ok(state.teikyou[&shori_tsuuban].clone())
    }

    // ─── 情報提供等記録 and 通知 ─────────────────────────────────────────────────────────────

    /// This tenant's 情報提供等記録 matching `kensaku`, by 提供の求めの日時 then 処理通番.
    pub fn kiroku(
        &self,
        kikan: KikanCode,
        kensaku: &KirokuKensaku,
    ) -> Result<Vec<Kiroku>, ShoukaiError> {
        let state = self.caught_up()?;
        let mut found: Vec<Kiroku> = tenant(&state, kikan)?
            .kiroku
            .iter()
            .filter(|k| kensaku.matches(k))
            .cloned()
            .collect();
        found.sort_by_key(|k| (k.motome_at, k.shori_tsuuban));
        Ok(found)
    }

    /// The records of [`JohoRenkei::kiroku`] as CSV files of at most 50,000 rows (seed 004 §3.2 #1).
    pub fn kiroku_csv(
        &self,
        kikan: KikanCode,
        kensaku: &KirokuKensaku,
    ) -> Result<Vec<KirokuCsv>, ShoukaiError> {
        let records = self.kiroku(kikan, kensaku)?;
        Ok(super::kiroku::to_csv(kikan, self.clock.now(), &records))
    }

    /// Registers a 記録事項変更事由 and / or sets 不開示 on this tenant's record of a 照会 or 提供.
    pub fn kiroku_henkou(
        &self,
        kikan: KikanCode,
        shori_tsuuban: ShoriTsuuban,
        henkou: KirokuHenkou,
    ) -> Result<Kiroku, ShoukaiError> {
        let now = self.clock.now();
        let mut state = self.lock();
        self.catch_up(&mut state, now)?;
        let tenant = tenant(&state, kikan)?;
        if !tenant.kiroku_index.contains_key(&shori_tsuuban) {
            return Err(ShoukaiError::UnknownKiroku { shori_tsuuban });
        }
        self.check_hours(now)?;
        let henkou = check_henkou(henkou)?;
        self.commit(
            &mut state,
            ShoukaiEvent::KirokuHenkou {
                kikan,
                shori_tsuuban,
                at: now,
                henkou,
            },
        )?;
        let tenant = &state.tenants[&kikan];
        Ok(tenant.kiroku[tenant.kiroku_index[&shori_tsuuban]].clone())
    }

    /// 情報提供等記録一括変更 (seed 004 §3.2 #3): the same change on this tenant's records of every
    /// 明細 of one registration, named by its 中間サーバー受付番号 (e.g. every 照会 of a file sent
    /// to the wrong 提供者). 明細 that left no record (refused, or withdrawn before they were
    /// sent) are passed over. Returns the changed records, in file order.
    pub fn kiroku_henkou_ikkatsu(
        &self,
        kikan: KikanCode,
        uketsuke_bango: UketsukeBango,
        henkou: KirokuHenkou,
    ) -> Result<Vec<Kiroku>, ShoukaiError> {
        let now = self.clock.now();
        let mut state = self.lock();
        self.catch_up(&mut state, now)?;
        let tenant = tenant(&state, kikan)?;
        let numbers: Vec<ShoriTsuuban> = tenant
            .uketsuke
            .get(&uketsuke_bango)
            .ok_or(ShoukaiError::UnknownUketsuke { uketsuke_bango })?
            .iter()
            .copied()
            .filter(|n| tenant.kiroku_index.contains_key(n))
            .collect();
        self.check_hours(now)?;
        let henkou = check_henkou(henkou)?;
        self.commit(
            &mut state,
            ShoukaiEvent::KirokuIkkatsuHenkou {
                kikan,
                shori_tsuuban: numbers.clone(),
                at: now,
                henkou,
            },
        )?;
        let tenant = &state.tenants[&kikan];
        Ok(numbers
            .iter()
            .map(|n| tenant.kiroku[tenant.kiroku_index[n]].clone())
            .collect())
    }

    /// This tenant's 通知 after 通知番号 `after` (0 for all), at most `limit`, oldest first. The
    /// last 通知番号 returned is the cursor of the next call.
    pub fn tsuuchi(
        &self,
        kikan: KikanCode,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Tsuuchi>, ShoukaiError> {
        let state = self.caught_up()?;
        let feed = &tenant(&state, kikan)?.tsuuchi;
        let start = usize::try_from(after).unwrap_or(usize::MAX).min(feed.len());
        Ok(feed[start..].iter().take(limit).cloned().collect())
    }

    // ─── decisions ──────────────────────────────────────────────────────────────────────────

    fn caught_up(&self) -> Result<MutexGuard<'_, State>, ShoukaiError> {
        let now = self.clock.now();
        let mut state = self.lock();
        self.catch_up(&mut state, now)?;
        Ok(state)
    }

    /// Registration and the 職員's operations happen in システムサービス提供時間 only.
    fn check_hours(&self, at: OffsetDateTime) -> Result<(), ShoukaiError> {
        let hours = &self.config.hours;
        if hours.is_open(at) {
            Ok(())
        } else if hours.is_teishi_jikan(at) {
            Err(ShoukaiError::TeishiJikan {
                at,
                window: hours.describe_teishi(),
            })
        } else {
            Err(ShoukaiError::JikanGai {
                at,
                hours: hours.describe(),
            })
        }
    }

    /// What the 中間サーバー checks when a 照会 is registered: the codes exist and fit together,
    /// the 提供者 is another tenant, both are connected in the MSGMode.
    fn check_naiyou(
        &self,
        state: &State,
        kikan: KikanCode,
        naiyou: &ShoukaiNaiyou,
    ) -> Result<(), ShoukaiError> {
        let mode = naiyou.msg_mode;
        if !state.tenants[&kikan].spec.modes.contains(&mode) {
            return Err(ShoukaiError::ModeNotConnected { kikan, mode });
        }
        naiyou.jouken.check()?;
        if self.catalogs.layouts.tokutei(&naiyou.tokutei).is_none() {
            return Err(ShoukaiError::UnknownTokutei {
                tokutei: naiyou.tokutei,
            });
        }
        let legal_basis = &self.catalogs.legal_basis;
        if legal_basis.jimu(&naiyou.jimu).is_none() {
            return Err(ShoukaiError::UnknownJimu { jimu: naiyou.jimu });
        }
        match legal_basis.tetsuzuki(&naiyou.tetsuzuki) {
            None => {
                return Err(ShoukaiError::UnknownTetsuzuki {
                    tetsuzuki: naiyou.tetsuzuki,
                });
            }
            Some((owner, _)) if owner.code != naiyou.jimu => {
                return Err(ShoukaiError::TetsuzukiNotOfJimu {
                    tetsuzuki: naiyou.tetsuzuki,
                    jimu: naiyou.jimu,
                });
            }
            Some(_) => {}
        }
        if naiyou.teikyousha == kikan {
            return Err(ShoukaiError::SameKikan { kikan });
        }
        let teikyousha =
            state
                .tenants
                .get(&naiyou.teikyousha)
                .ok_or(ShoukaiError::UnknownTeikyousha {
                    kikan: naiyou.teikyousha,
                })?;
        if !teikyousha.spec.modes.contains(&mode) {
            return Err(ShoukaiError::ModeNotConnected {
                kikan: naiyou.teikyousha,
                mode,
            });
        }
        Ok(())
    }

    /// What the 情報提供ネットワークシステム does with a 照会 sent at `at`: the legal basis, the
    /// 符号 and their conversion, then the 提供者's 副本.
    fn decide(
        &self,
        state: &State,
        kikan: KikanCode,
        naiyou: &ShoukaiNaiyou,
        at: OffsetDateTime,
    ) -> Result<Routing, ShoukaiError> {
        let shoukaisha = tenant(state, kikan)?;
        let teikyousha =
            state
                .tenants
                .get(&naiyou.teikyousha)
                .ok_or(ShoukaiError::UnknownTeikyousha {
                    kikan: naiyou.teikyousha,
                })?;
        let legal_basis = &self.catalogs.legal_basis;
        let jimu = legal_basis
            .jimu(&naiyou.jimu)
            .ok_or(ShoukaiError::UnknownJimu { jimu: naiyou.jimu })?;
        if !jimu.requesters.contains(&shoukaisha.spec.kind) {
            return Err(ShoukaiError::JimuNotForShoukaisha {
                jimu: naiyou.jimu,
                kind: shoukaisha.spec.kind,
            });
        }
        if !legal_basis.is_permitted(
            &naiyou.jimu,
            &naiyou.tetsuzuki,
            &naiyou.tokutei,
            teikyousha.spec.kind,
        ) {
            return Err(ShoukaiError::NotPermitted {
                tokutei: naiyou.tokutei,
            });
        }
        let fugou = self.parts.fugou.fugou(kikan, naiyou.tougou)?;
        let teikyou_fugou = self.parts.henkan.henkan(&fugou, kikan, naiyou.teikyousha)?;
        let teikyou_tougou = self
            .parts
            .fugou
            .tougou(naiyou.teikyousha, &teikyou_fugou)
            .ok_or(ShoukaiError::TeikyoushaUnknownPerson {
                teikyousha: naiyou.teikyousha,
            })?;
        let kensaku = self.parts.source.kensaku(&FukuhonQuery {
            teikyousha: naiyou.teikyousha,
            msg_mode: naiyou.msg_mode,
            tougou: teikyou_tougou,
            tokutei: naiyou.tokutei,
            jouken: &naiyou.jouken,
            motome_at: at,
            now: at,
        })?;
        Ok(if kensaku.needs_person() {
            Routing::Shudou {
                teikyou_tougou,
                kensaku,
            }
        } else {
            Routing::Jidou {
                teikyou_tougou,
                kensaku,
            }
        })
    }

    /// Runs, in time order, everything due up to `now`: bulk 明細 (each tenant's worker sends its
    /// queue one 明細 per [`ShoukaiConfig::ikkatsu_per_meisai`] of service time) and the deadlines of
    /// pending 提供 (事前通知, then 有効期間切れ). Ties go to deadlines, then to 機関コード order.
    fn catch_up(&self, state: &mut State, now: OffsetDateTime) -> Result<(), ShoukaiError> {
        loop {
            let deadline = state
                .kigen
                .first()
                .map(|&(at, shori_tsuuban, kigen)| (at, 0, shori_tsuuban, Some(kigen)));
            let bulk = state
                .tenants
                .values()
                .filter_map(|tenant| {
                    let &head = tenant.ikkatsu_queue.front()?;
                    let registered = state.shoukai.get(&head)?.registered_at;
                    let start = tenant
                        .worker_free_at
                        .map_or(registered, |t| t.max(registered));
                    let due = self
                        .config
                        .hours
                        .after_service_time(start, self.config.ikkatsu_per_meisai);
                    Some((due, 1, head, None))
                })
                .min();
            let Some((at, _, shori_tsuuban, kigen)) = deadline.into_iter().chain(bulk).min() else {
                return Ok(());
            };
            if at > now {
                return Ok(());
            }
            let event = match kigen {
                Some(Kigen::Jizen) => ShoukaiEvent::KigireJizen { shori_tsuuban, at },
                Some(Kigen::Kigire) => ShoukaiEvent::Kigire { shori_tsuuban, at },
                None => {
                    let shoukai = &state.shoukai[&shori_tsuuban];
                    let routing = match self.decide(state, shoukai.shoukaisha, &shoukai.naiyou, at)
                    {
                        Ok(routing) => routing,
                        Err(error) => Routing::Refused {
                            refusal: error.to_refusal(),
                        },
                    };
                    ShoukaiEvent::Routed {
                        shori_tsuuban,
                        at,
                        routing,
                    }
                }
            };
            self.commit(state, event)?;
        }
    }
}

/// A change of a record as it will be kept: the reason trimmed; refused when it changes nothing,
/// or the reason is empty or too long.
fn check_henkou(henkou: KirokuHenkou) -> Result<KirokuHenkou, ShoukaiError> {
    let henkou = KirokuHenkou {
        jiyuu: henkou.jiyuu.map(|j| j.trim().to_owned()),
        fukaiji: henkou.fukaiji,
    };
    let reason = match &henkou.jiyuu {
        None if henkou.fukaiji.is_none() => {
            "記録事項変更事由も不開示も指定されていません".to_owned()
        }
        Some(jiyuu) if jiyuu.is_empty() => "記録事項変更事由が空です".to_owned(),
        Some(jiyuu) if jiyuu.chars().count() > HENKOU_JIYUU_MAX_CHARS => format!(
            "記録事項変更事由は{HENKOU_JIYUU_MAX_CHARS}文字までです ({}文字でした)",
            jiyuu.chars().count()
        ),
        _ => return Ok(henkou),
    };
    Err(ShoukaiError::InvalidHenkou { reason })
}

fn tenant(state: &State, kikan: KikanCode) -> Result<&super::state::Tenant, ShoukaiError> {
    state
        .tenants
        .get(&kikan)
        .ok_or(ShoukaiError::UnknownKikan { kikan })
}

/// The 照会 if `kikan` made it: another tenant's 処理通番 is answered like an unknown one, so a
/// tenant learns nothing of another's 照会.
fn own_shoukai(
    state: &State,
    kikan: KikanCode,
    shori_tsuuban: ShoriTsuuban,
) -> Result<&Shoukai, ShoukaiError> {
    state
        .shoukai
        .get(&shori_tsuuban)
        .filter(|s| s.shoukaisha == kikan)
        .ok_or(ShoukaiError::UnknownShoukai { shori_tsuuban })
}

/// The 提供の求め if `kikan` received it.
fn own_teikyou(
    state: &State,
    kikan: KikanCode,
    shori_tsuuban: ShoriTsuuban,
) -> Result<&Teikyou, ShoukaiError> {
    state
        .teikyou
        .get(&shori_tsuuban)
        .filter(|t| t.teikyousha == kikan)
        .ok_or(ShoukaiError::UnknownTeikyou { shori_tsuuban })
}
