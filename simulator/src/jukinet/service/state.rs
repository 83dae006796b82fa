//! What the simulated 住基ネットCS holds: the residents of its 団体 and every certificate row,
//! and how that changes over time (失効, 更新, 新規発行, 転入).
//!
//! The CS keeps one 証明書情報 row per certificate in its current state, stamped with when it
//! last changed (更新日時); a delta is "the rows stamped after T" (seed 001 §5 ②,
//! `docs/jukinet-formats.md`「差分」). The rules about stamps, which make a receiver that chains
//! deltas miss nothing and get nothing twice, are stated on [`JukinetCs`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use renkei_fixtures::catalog::{Catalogs, DantaiKind};
use renkei_fixtures::ids::{CertSerial, DantaiCode, JuminhyoCode, KikanCode, KojinBango};
use renkei_fixtures::population::{CertKind, Certificate, Household, Resident, RevocationReason};
use time::{Date, Duration, Month, OffsetDateTime};

use super::access::AccessKey;
use crate::clock::Clock;
use crate::jukinet::{
    HoninKakuninFile, HoninKakuninJoho, JST, JukinetFile, Nichiji, ShomeishoFile, ShomeishoJoho,
};

/// The simulated 住基ネットCS: a cloneable handle to one shared state.
///
/// Built with [`JukinetCs::builder`]: one or more 団体, each with its residents (from the
/// synthetic population) and the access key of its 既存住基システム.
///
/// # 更新日時 (when a row last changed)
///
/// - A certificate row present when the CS is built is stamped with the **later of its 発行日
///   and 失効日, at 00:00:00 JST** of that day: a delta since any earlier time carries it, as if
///   the CS had been running all along. (Building refuses a row stamped after the clock.)
/// - A 本人確認情報 row present when the CS is built is stamped with the **start**: the clock's
///   time when [`JukinetCsBuilder::build`] ran (the population has no history of moves).
/// - Every change ([`revoke`](Self::revoke), [`renew`](Self::renew),
///   [`register_certificate`](Self::register_certificate), [`tennyu`](Self::tennyu)) stamps
///   the rows it touches with the clock's now, to the second — **except** when a 証明書情報
///   file of that 団体 has already been handed out with that very second as its 作成日時: then
///   the change is stamped one second later, and files made in the rest of that second still
///   show the row as it was (or not at all, for a new certificate). Without this, a change made
///   later within the second of a file would carry the file's 作成日時, and the next delta
///   "since that 作成日時" would miss it.
/// - A file holds the rows as they were at its 作成日時 (the clock's now, to the second).
/// - The clock is not set back behind a change: the CS keeps each row's latest state only.
#[derive(Debug, Clone)]
pub struct JukinetCs {
    /// A std `Mutex`: every operation is a few map look-ups, or a copy of one 団体's rows; none
    /// waits on anything, so it is never held across an await.
    inner: Arc<Mutex<Inner>>,
    /// The simulators' one clock (DESIGN.md "Time"): every stamp and every 作成日時 asks it.
    clock: Clock,
}

#[derive(Debug)]
pub(super) struct Inner {
    /// `BTreeMap`: listings of the 団体 come out in code order, the same on every run.
    pub(super) dantai: BTreeMap<DantaiCode, DantaiState>,
    /// 個人番号 → 住民票コード over every 団体: the J-LIS side of 符号取得 (seed 004 §6.3).
    pub(super) by_kojin_bango: HashMap<KojinBango, JuminhyoCode>,
    /// 住民票コード → the 団体 the person lives in.
    pub(super) by_juminhyo_code: HashMap<JuminhyoCode, DantaiCode>,
    /// シリアル番号 → the 団体 whose resident holds it: serials are national, never reused.
    pub(super) by_serial: HashMap<CertSerial, DantaiCode>,
}

#[derive(Debug)]
pub(super) struct DantaiState {
    /// 機関コード of the 団体 in the 情報提供ネットワークシステム: what its 符号 are issued for.
    pub(super) kikan_code: KikanCode,
    pub(super) key: AccessKey,
    /// `BTreeMap`: a bulk answer is in the order asked, but listings are in code order.
    pub(super) residents: BTreeMap<JuminhyoCode, HoninKakuninJoho>,
    /// `BTreeMap` by serial: the 全件 file lists rows in serial order, the same on every run.
    pub(super) certificates: BTreeMap<CertSerial, Stored>,
    /// The latest 作成日時 of a 証明書情報 file (JS01 / JS02) handed out: see the stamp rule.
    pub(super) last_file: Option<Nichiji>,
}

/// A certificate row and what files made before its 更新日時 show of it.
#[derive(Debug)]
pub(super) struct Stored {
    pub(super) entry: CertificateEntry,
    /// Set only while a change stamped one second ahead (the stamp rule) is pending: the row as
    /// files made before that stamp show it; `None` for a certificate they do not show yet.
    before: Option<ShomeishoJoho>,
}

/// One certificate as the CS holds it: the row the files carry, and why it was revoked (the
/// 失効事由 is not in the files; it is kept for the other simulators and for reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateEntry {
    pub row: ShomeishoJoho,
    pub reason: Option<RevocationReason>,
}

/// The serials of a renewed card, chosen by the caller (the population's numbering has no free
/// slots to hand out, and a scenario wants to name the new serials anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSerials {
    /// The new 利用者証明用 certificate: the one ぴったりサービス 申請 carry (seed 001 §5 ②).
    pub riyosha_shomei: CertSerial,
    /// The new 署名用 certificate; `None` for a child under 15, who gets none.
    pub shomei: Option<CertSerial>,
}

/// What a renewal changed: the certificates it revoked and the ones it issued, both stamped with
/// the same 更新日時.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    pub revoked: Vec<ShomeishoJoho>,
    pub issued: Vec<ShomeishoJoho>,
}

/// Collects the 団体 of a CS before it is built.
#[derive(Debug)]
pub struct JukinetCsBuilder {
    clock: Clock,
    dantai: Vec<(DantaiCode, Vec<Resident>, AccessKey)>,
}

impl JukinetCs {
    /// Starts a CS reading `clock`.
    ///
    /// ```
    /// use renkei_fixtures::catalog::Catalogs;
    /// use renkei_fixtures::ids::DantaiCode;
    /// use renkei_fixtures::population::{PopulationSpec, dantai_for, generate};
    /// use renkei_simulator::clock::Clock;
    /// use renkei_simulator::jukinet::service::{AccessKey, JukinetCs};
    /// use time::macros::datetime;
    ///
    /// let code = DantaiCode::from_five(13101);
    /// let spec = PopulationSpec { dantai: code, size: 20, seed: 1, as_of: PopulationSpec::DEFAULT_AS_OF };
    /// let households = generate(&spec, dantai_for(Catalogs::embedded(), &code).unwrap()).unwrap();
    /// let cs = JukinetCs::builder(Clock::frozen(datetime!(2026-04-06 09:00 +09:00)))
    ///     .dantai(code, &households, AccessKey::new("chiyoda-0123456789abcdef").unwrap())
    ///     .build()
    ///     .unwrap();
    /// let file = cs.shomeisho_all(code).unwrap();
    /// assert_eq!(file.header.created.to_string(), "2026-04-06T09:00:00+09:00");
    /// ```
    pub fn builder(clock: Clock) -> JukinetCsBuilder {
        JukinetCsBuilder {
            clock,
            dantai: Vec::new(),
        }
    }

    /// The clock the CS reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The 団体 the CS serves, in code order.
    pub fn dantai_codes(&self) -> Vec<DantaiCode> {
        self.lock().dantai.keys().copied().collect()
    }

    /// Whether the CS serves this 団体.
    pub fn serves(&self, dantai: DantaiCode) -> bool {
        self.lock().dantai.contains_key(&dantai)
    }

    /// The 団体 whose access key this is.
    pub fn dantai_for_key(&self, presented: &str) -> Option<DantaiCode> {
        // Every key is compared, so the time taken does not tell which 団体 was close.
        self.lock()
            .dantai
            .iter()
            .fold(None, |found, (code, state)| {
                if state.key.matches(presented) {
                    Some(*code)
                } else {
                    found
                }
            })
    }

    // ---- 証明書情報連携 (シリアル番号情報取得) ----

    /// `JS01` 全件: every certificate row of the 団体, in serial order, as of now.
    pub fn shomeisho_all(&self, dantai: DantaiCode) -> Result<ShomeishoFile, QueryError> {
        let mut inner = self.lock();
        let created = self.now()?;
        let state = inner.state_mut(dantai)?;
        let rows = state.hand_out(created);
        Ok(JukinetFile::zenken(created, rows))
    }

    /// Every certificate of `kind`, in every 団体, revoked on or before `on`, with its 失効日 —
    /// what the JPKI's CRL lists. Reading it hands out no file, so it does not move the stamps
    /// of later changes (unlike [`JukinetCs::shomeisho_all`]).
    pub fn revocations(&self, kind: CertKind, on: Date) -> Vec<(CertSerial, Date)> {
        let inner = self.lock();
        let mut revoked: Vec<(CertSerial, Date)> = inner
            .dantai
            .values()
            .flat_map(|state| state.certificates.values())
            .map(|stored| &stored.entry.row)
            .filter(|row| row.shubetsu == kind)
            .filter_map(|row| row.shikkobi.filter(|d| *d <= on).map(|d| (row.serial, d)))
            .collect();
        revoked.sort();
        revoked
    }

    /// `JS02` 差分: the rows of the 団体 stamped after `since` and at or before now. `since`
    /// may carry a fraction of a second and any offset; the file's 対象期間開始 is `since` to
    /// the second in JST, which selects the same rows (rows are stamped in whole seconds).
    pub fn shomeisho_since(
        &self,
        dantai: DantaiCode,
        since: OffsetDateTime,
    ) -> Result<ShomeishoFile, QueryError> {
        let mut inner = self.lock();
        let now = self.clock.now();
        let created = self.now()?;
        let state = inner.state_mut(dantai)?;
        if since > now {
            return Err(QueryError::SinceInFuture { since, now });
        }
        let since = Nichiji::new(since).ok_or(QueryError::SinceOutOfRange { since })?;
        let rows = state.hand_out(created);
        Ok(JukinetFile::sabun(created, since, &rows))
    }

    /// One certificate, with its 失効事由.
    pub fn certificate(&self, serial: CertSerial) -> Option<CertificateEntry> {
        let inner = self.lock();
        let dantai = inner.by_serial.get(&serial)?;
        inner.dantai[dantai]
            .certificates
            .get(&serial)
            .map(|stored| stored.entry.clone())
    }

    // ---- 本人確認情報 ----

    /// 本人確認情報 of one resident of the 団体.
    pub fn honin_kakunin(
        &self,
        dantai: DantaiCode,
        juminhyo_code: JuminhyoCode,
    ) -> Result<HoninKakuninJoho, QueryError> {
        let mut inner = self.lock();
        inner.state_mut(dantai)?.resident(dantai, juminhyo_code)
    }

    /// `JH01`: 本人確認情報 of the residents asked for, in the order asked, as of now. Every code
    /// must be a resident of the 団体 (the first that is not is the error).
    pub fn honin_kakunin_file(
        &self,
        dantai: DantaiCode,
        juminhyo_codes: &[JuminhyoCode],
    ) -> Result<HoninKakuninFile, QueryError> {
        let mut inner = self.lock();
        let created = self.now()?;
        let state = inner.state_mut(dantai)?;
        let records = juminhyo_codes
            .iter()
            .map(|code| state.resident(dantai, *code))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(JukinetFile::honin_kakunin(created, records))
    }

    /// 住民票コード of the person with this 個人番号, in whichever 団体 they live (J-LIS holds
    /// the national table: seed 004 §6.3).
    pub fn juminhyo_code_for_kojin_bango(&self, kojin_bango: KojinBango) -> Option<JuminhyoCode> {
        self.lock().by_kojin_bango.get(&kojin_bango).copied()
    }

    // ---- changes ----
    //
    // Every change is planned first — each check made, each row it writes worked out, nothing
    // touched — and executed after. The plan is what a change *is*: [`JukinetCs::request`]
    // (change.rs) makes it durable between the two, and [`JukinetCs::replay`] executes the same
    // plan again after a restart, so a live change and its replay cannot disagree.

    /// 失効: revokes a certificate from `shikkobi` (失効日, at most today) for `reason`.
    /// Returns the row as it now is.
    pub fn revoke(
        &self,
        serial: CertSerial,
        shikkobi: Date,
        reason: RevocationReason,
    ) -> Result<ShomeishoJoho, ChangeError> {
        let mut inner = self.lock();
        let at = At::live(self.now()?);
        let plan = inner.plan_revoke(serial, shikkobi, reason, at)?;
        inner.execute(&plan);
        Ok(plan.rows[0].row.clone())
    }

    /// 更新: on day `on` (at most today), revokes every certificate of the person still valid
    /// that day (失効事由 更新) and issues the new ones, valid until the fifth birthday after
    /// `on` ([`yuko_kigen`]). A person whose certificates have all lapsed is issued new ones all
    /// the same (再発行).
    pub fn renew(
        &self,
        juminhyo_code: JuminhyoCode,
        on: Date,
        serials: NewSerials,
    ) -> Result<Renewal, ChangeError> {
        let mut inner = self.lock();
        let at = At::live(self.now()?);
        let plan = inner.plan_renew(juminhyo_code, on, serials, at)?;
        inner.execute(&plan);
        Ok(plan.renewal(serials))
    }

    /// 新規発行: a certificate issued after the CS was built (a card applied for later, or a
    /// 署名用 certificate re-issued after a move, which keeps the card's 有効期限).
    pub fn register_certificate(
        &self,
        juminhyo_code: JuminhyoCode,
        kind: CertKind,
        serial: CertSerial,
        hakkobi: Date,
        yuko_kigen: Date,
    ) -> Result<ShomeishoJoho, ChangeError> {
        let mut inner = self.lock();
        let at = At::live(self.now()?);
        let plan = inner.plan_issue(juminhyo_code, kind, serial, hakkobi, yuko_kigen, at)?;
        inner.execute(&plan);
        Ok(plan.rows[0].row.clone())
    }

    /// 転入: a resident who moved into the 団体 after the CS was built, with the certificates
    /// they hold. Their 本人確認情報 and certificate rows are stamped now. This is the event after
    /// which the 既存住基システム must ask for the person's 符号 (JUK-07, seed 004 §6.3).
    pub fn tennyu(
        &self,
        dantai: DantaiCode,
        resident: &Resident,
    ) -> Result<HoninKakuninJoho, ChangeError> {
        let mut inner = self.lock();
        inner.state(dantai).map_err(ChangeError::Query)?;
        check_resident_of(dantai, resident)?;
        let now = self.now()?;
        let newcomer = Newcomer {
            honin: HoninKakuninJoho::from_resident(resident, now),
            certificates: resident
                .certificates
                .iter()
                .map(|cert| entry_of(resident, cert, now))
                .collect(),
        };
        let plan = inner.plan_tennyu(dantai, newcomer, At::live(now))?;
        inner.execute(&plan);
        Ok(plan
            .newcomer
            .expect("a 転入 plan carries its newcomer")
            .clone())
    }

    /// After a restart (`renkei serve --data`): nobody knows which 証明書情報 files the earlier
    /// run handed out in the second the clock stands at, so assume one was, in every 団体. A
    /// change made in that second is then stamped a second later (the stamp rule), and a
    /// receiver that asks for the delta since that file's 作成日時 cannot miss it.
    pub fn assume_files_handed_out_now(&self) -> Result<(), ClockOutOfRange> {
        let now = self.now()?;
        let mut inner = self.lock();
        for state in inner.dantai.values_mut() {
            state.last_file = Some(state.last_file.map_or(now, |last| last.max(now)));
        }
        Ok(())
    }

    // ---- shared with the other service modules ----

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every change checks first and writes after; a panic cannot leave a change half-made.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Now, to the second: the 作成日時 of a file and the stamp of a change.
    pub(super) fn now(&self) -> Result<Nichiji, ClockOutOfRange> {
        let now = self.clock.now();
        Nichiji::new(now).ok_or(ClockOutOfRange { now })
    }
}

impl JukinetCsBuilder {
    /// Adds a 団体 (a 市区町村 of the catalog) with its residents and the access key of its
    /// 既存住基システム.
    pub fn dantai(mut self, code: DantaiCode, households: &[Household], key: AccessKey) -> Self {
        let residents = households
            .iter()
            .flat_map(|h| h.members.iter().cloned())
            .collect();
        self.dantai.push((code, residents, key));
        self
    }

    /// Checks everything and builds the CS. Refuses: a 団体 not in the catalog or not a
    /// 市区町村, a 団体 given twice, a resident of another 団体, a 住民票コード / 個人番号 /
    /// シリアル番号 / access key given twice, and a certificate row stamped after the clock.
    pub fn build(self) -> Result<JukinetCs, BuildError> {
        let start_at = self.clock.now();
        let start = Nichiji::new(start_at).ok_or(BuildError::ClockOutOfRange(ClockOutOfRange {
            now: start_at,
        }))?;
        let mut inner = Inner {
            dantai: BTreeMap::new(),
            by_kojin_bango: HashMap::new(),
            by_juminhyo_code: HashMap::new(),
            by_serial: HashMap::new(),
        };
        for (code, residents, key) in self.dantai {
            let dantai = Catalogs::embedded()
                .dantai(&code)
                .ok_or(BuildError::UnknownDantai(code))?;
            if dantai.kind != DantaiKind::Municipality {
                return Err(BuildError::NotAMunicipality {
                    code,
                    name: dantai.name.clone(),
                });
            }
            if inner.dantai.contains_key(&code) {
                return Err(BuildError::DuplicateDantai(code));
            }
            if let Some((other, _)) = inner.dantai.iter().find(|(_, s)| s.key == key) {
                return Err(BuildError::DuplicateKey {
                    dantai: code,
                    other: *other,
                });
            }
            let mut state = DantaiState {
                kikan_code: dantai.kikan_code,
                key,
                residents: BTreeMap::new(),
                certificates: BTreeMap::new(),
                last_file: None,
            };
            for resident in &residents {
                check_resident_of(code, resident)?;
                inner.check_new_person(resident.juminhyo_code, resident.kojin_bango)?;
                for cert in &resident.certificates {
                    if inner.by_serial.contains_key(&cert.serial)
                        || state.certificates.contains_key(&cert.serial)
                    {
                        return Err(BuildError::DuplicateSerial(cert.serial));
                    }
                    let stamp = initial_stamp(cert);
                    if stamp > start {
                        return Err(BuildError::CertificateAfterClock {
                            serial: cert.serial,
                            koshin: stamp,
                            start,
                        });
                    }
                    state.put(entry_of(resident, cert, stamp), start);
                }
                state.residents.insert(
                    resident.juminhyo_code,
                    HoninKakuninJoho::from_resident(resident, start),
                );
                inner.index(code, resident);
            }
            inner.dantai.insert(code, state);
        }
        Ok(JukinetCs {
            inner: Arc::new(Mutex::new(inner)),
            clock: self.clock,
        })
    }
}

impl Inner {
    pub(super) fn state_mut(&mut self, dantai: DantaiCode) -> Result<&mut DantaiState, QueryError> {
        self.dantai
            .get_mut(&dantai)
            .ok_or(QueryError::UnknownDantai(dantai))
    }

    pub(super) fn dantai_of(&self, juminhyo_code: JuminhyoCode) -> Result<DantaiCode, ChangeError> {
        self.by_juminhyo_code
            .get(&juminhyo_code)
            .copied()
            .ok_or(ChangeError::UnknownJuminhyoCode(juminhyo_code))
    }

    pub(super) fn check_unused(&self, serial: CertSerial) -> Result<(), ChangeError> {
        if self.by_serial.contains_key(&serial) {
            return Err(ChangeError::SerialInUse(serial));
        }
        Ok(())
    }

    pub(super) fn check_new_person(
        &self,
        juminhyo_code: JuminhyoCode,
        kojin_bango: KojinBango,
    ) -> Result<(), BuildError> {
        if self.by_juminhyo_code.contains_key(&juminhyo_code) {
            return Err(BuildError::DuplicateJuminhyoCode(juminhyo_code));
        }
        if self.by_kojin_bango.contains_key(&kojin_bango) {
            return Err(BuildError::DuplicateKojinBango { juminhyo_code });
        }
        Ok(())
    }

    fn index(&mut self, dantai: DantaiCode, resident: &Resident) {
        self.by_juminhyo_code.insert(resident.juminhyo_code, dantai);
        self.by_kojin_bango
            .insert(resident.kojin_bango, resident.juminhyo_code);
        for cert in &resident.certificates {
            self.by_serial.insert(cert.serial, dantai);
        }
    }
}

/// When a change is made, and how its 更新日時 is chosen.
#[derive(Debug, Clone, Copy)]
pub(super) struct At {
    /// The clock's second when the change is made: its day is "today" for the checks, and
    /// files made before the stamp still show the rows as they were.
    pub(super) now: Nichiji,
    stamping: Stamping,
}

#[derive(Debug, Clone, Copy)]
enum Stamping {
    /// A change made now: the stamp rule decides ([`DantaiState::stamp`]).
    Live,
    /// A change replayed from the state file: the stamp it was given when it was made (the
    /// files it was compared with then are not known now).
    Recorded(Nichiji),
}

impl At {
    pub(super) fn live(now: Nichiji) -> Self {
        Self {
            now,
            stamping: Stamping::Live,
        }
    }

    pub(super) fn recorded(now: Nichiji, stamp: Nichiji) -> Self {
        Self {
            now,
            stamping: Stamping::Recorded(stamp),
        }
    }

    fn today(self) -> Date {
        self.now.date()
    }

    fn stamp(self, state: &DantaiState) -> Result<Nichiji, ClockOutOfRange> {
        match self.stamping {
            Stamping::Live => state.stamp(self.now),
            Stamping::Recorded(stamp) => Ok(stamp),
        }
    }
}

/// A change worked out in full and checked, not yet made: every row it writes, stamped.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) dantai: DantaiCode,
    pub(super) at: At,
    /// The 更新日時 every row of the change carries.
    pub(super) stamp: Nichiji,
    /// Certificate rows changed or added.
    pub(super) rows: Vec<CertificateEntry>,
    /// A 転入's 本人確認情報.
    pub(super) newcomer: Option<HoninKakuninJoho>,
}

impl Plan {
    /// What a renewal with `serials` revoked and issued.
    fn renewal(&self, serials: NewSerials) -> Renewal {
        let new = [Some(serials.riyosha_shomei), serials.shomei];
        let (issued, revoked) = self
            .rows
            .iter()
            .map(|e| e.row.clone())
            .partition(|row| new.contains(&Some(row.serial)));
        Renewal { revoked, issued }
    }
}

/// A person moving in, before the change stamps them: their 本人確認情報 and certificates.
#[derive(Debug, Clone)]
pub(super) struct Newcomer {
    pub(super) honin: HoninKakuninJoho,
    pub(super) certificates: Vec<CertificateEntry>,
}

impl Inner {
    pub(super) fn state(&self, dantai: DantaiCode) -> Result<&DantaiState, QueryError> {
        self.dantai
            .get(&dantai)
            .ok_or(QueryError::UnknownDantai(dantai))
    }

    pub(super) fn plan_revoke(
        &self,
        serial: CertSerial,
        shikkobi: Date,
        reason: RevocationReason,
        at: At,
    ) -> Result<Plan, ChangeError> {
        not_in_future(shikkobi, at.today())?;
        let dantai = *self
            .by_serial
            .get(&serial)
            .ok_or(ChangeError::UnknownSerial(serial))?;
        let state = self.state(dantai).map_err(ChangeError::Query)?;
        let mut entry = state.certificates[&serial].entry.clone();
        check_revocable(&entry.row, shikkobi)?;
        let stamp = at.stamp(state)?;
        revoke_entry(&mut entry, shikkobi, reason, stamp);
        Ok(Plan {
            dantai,
            at,
            stamp,
            rows: vec![entry],
            newcomer: None,
        })
    }

    pub(super) fn plan_renew(
        &self,
        juminhyo_code: JuminhyoCode,
        on: Date,
        serials: NewSerials,
        at: At,
    ) -> Result<Plan, ChangeError> {
        not_in_future(on, at.today())?;
        let new: Vec<(CertKind, CertSerial)> =
            std::iter::once((CertKind::RiyoshaShomei, serials.riyosha_shomei))
                .chain(serials.shomei.map(|s| (CertKind::Shomei, s)))
                .collect();
        if serials.shomei == Some(serials.riyosha_shomei) {
            return Err(ChangeError::SerialInUse(serials.riyosha_shomei));
        }
        for (_, serial) in &new {
            self.check_unused(*serial)?;
        }
        let dantai = self.dantai_of(juminhyo_code)?;
        let state = self.state(dantai).map_err(ChangeError::Query)?;
        let birth = state.residents[&juminhyo_code].seinengappi;
        for (kind, _) in &new {
            check_issuable(juminhyo_code, *kind, birth, on)?;
        }
        let mut rows: Vec<CertificateEntry> = state
            .certificates
            .values()
            .map(|stored| &stored.entry)
            .filter(|e| {
                e.row.juminhyo_code == juminhyo_code
                    && e.row.shikkobi.is_none()
                    && e.row.yuko_kigen >= on
            })
            .cloned()
            .collect();
        for entry in &rows {
            check_revocable(&entry.row, on)?;
        }
        let stamp = at.stamp(state)?;
        for entry in &mut rows {
            revoke_entry(entry, on, RevocationReason::Koushin, stamp);
        }
        let expires = yuko_kigen(birth, on);
        for (kind, serial) in new {
            rows.push(CertificateEntry {
                row: new_row(juminhyo_code, kind, serial, on, expires, stamp),
                reason: None,
            });
        }
        Ok(Plan {
            dantai,
            at,
            stamp,
            rows,
            newcomer: None,
        })
    }

    pub(super) fn plan_issue(
        &self,
        juminhyo_code: JuminhyoCode,
        kind: CertKind,
        serial: CertSerial,
        hakkobi: Date,
        yuko_kigen: Date,
        at: At,
    ) -> Result<Plan, ChangeError> {
        not_in_future(hakkobi, at.today())?;
        if yuko_kigen < hakkobi {
            return Err(ChangeError::KigenBeforeIssue {
                hakkobi,
                yuko_kigen,
            });
        }
        self.check_unused(serial)?;
        let dantai = self.dantai_of(juminhyo_code)?;
        let state = self.state(dantai).map_err(ChangeError::Query)?;
        let birth = state.residents[&juminhyo_code].seinengappi;
        check_issuable(juminhyo_code, kind, birth, hakkobi)?;
        let stamp = at.stamp(state)?;
        Ok(Plan {
            dantai,
            at,
            stamp,
            rows: vec![CertificateEntry {
                row: new_row(juminhyo_code, kind, serial, hakkobi, yuko_kigen, stamp),
                reason: None,
            }],
            newcomer: None,
        })
    }

    /// A 転入: the person must be new to the whole CS (住民票コード, 個人番号) and so must every
    /// serial they bring. Their 本人確認情報 carries `at.now`, their certificate rows the stamp.
    pub(super) fn plan_tennyu(
        &self,
        dantai: DantaiCode,
        newcomer: Newcomer,
        at: At,
    ) -> Result<Plan, ChangeError> {
        let state = self.state(dantai).map_err(ChangeError::Query)?;
        self.check_new_person(newcomer.honin.juminhyo_code, newcomer.honin.kojin_bango)?;
        let mut serials = std::collections::HashSet::new();
        for entry in &newcomer.certificates {
            self.check_unused(entry.row.serial)?;
            if !serials.insert(entry.row.serial) {
                return Err(ChangeError::SerialInUse(entry.row.serial));
            }
        }
        let stamp = at.stamp(state)?;
        let mut honin = newcomer.honin;
        honin.koshin_nichiji = at.now;
        let rows = newcomer
            .certificates
            .into_iter()
            .map(|mut entry| {
                entry.row.juminhyo_code = honin.juminhyo_code;
                entry.row.koshin_nichiji = stamp;
                entry
            })
            .collect();
        Ok(Plan {
            dantai,
            at,
            stamp,
            rows,
            newcomer: Some(honin),
        })
    }

    /// Makes a plan made under this same lock (or replayed in order): nothing can fail here.
    pub(super) fn execute(&mut self, plan: &Plan) {
        let Some(state) = self.dantai.get_mut(&plan.dantai) else {
            // A plan names a 団体 it found; 団体 are never removed.
            unreachable!("a plan names a 団体 of the CS");
        };
        if let Some(honin) = &plan.newcomer {
            state.residents.insert(honin.juminhyo_code, honin.clone());
        }
        for entry in &plan.rows {
            state.put(entry.clone(), plan.at.now);
        }
        if let Some(honin) = &plan.newcomer {
            self.by_juminhyo_code
                .insert(honin.juminhyo_code, plan.dantai);
            self.by_kojin_bango
                .insert(honin.kojin_bango, honin.juminhyo_code);
        }
        for entry in &plan.rows {
            self.by_serial.insert(entry.row.serial, plan.dantai);
        }
    }
}

impl DantaiState {
    /// The 更新日時 of a change made at `now`: see the stamp rule on [`JukinetCs`].
    fn stamp(&self, now: Nichiji) -> Result<Nichiji, ClockOutOfRange> {
        match self.last_file {
            Some(last) if now <= last => {
                let next = last.get() + Duration::SECOND;
                Nichiji::new(next).ok_or(ClockOutOfRange { now: next })
            }
            _ => Ok(now),
        }
    }

    /// The rows a 証明書情報 file made at `created` carries, noting that a file with this
    /// 作成日時 has been handed out.
    fn hand_out(&mut self, created: Nichiji) -> Vec<ShomeishoJoho> {
        self.last_file = Some(self.last_file.map_or(created, |last| last.max(created)));
        self.certificates
            .values()
            .filter_map(|stored| {
                if stored.entry.row.koshin_nichiji <= created {
                    Some(stored.entry.row.clone())
                } else {
                    stored.before.clone()
                }
            })
            .filter(|row| row.koshin_nichiji <= created)
            .collect()
    }

    /// Stores a changed or new certificate row; `now` is the clock's second. When the row is
    /// stamped ahead of `now` (the stamp rule), files made until then keep showing it as it was.
    fn put(&mut self, entry: CertificateEntry, now: Nichiji) {
        let serial = entry.row.serial;
        let before = if entry.row.koshin_nichiji > now {
            match self.certificates.get(&serial) {
                Some(old) if old.entry.row.koshin_nichiji <= now => Some(old.entry.row.clone()),
                // Changed twice in the same second: files still show the state before both.
                Some(old) => old.before.clone(),
                None => None,
            }
        } else {
            None
        };
        self.certificates.insert(serial, Stored { entry, before });
    }

    fn resident(
        &self,
        dantai: DantaiCode,
        juminhyo_code: JuminhyoCode,
    ) -> Result<HoninKakuninJoho, QueryError> {
        self.residents
            .get(&juminhyo_code)
            .cloned()
            .ok_or(QueryError::UnknownJuminhyoCode {
                dantai,
                juminhyo_code,
            })
    }
}

fn check_resident_of(dantai: DantaiCode, resident: &Resident) -> Result<(), BuildError> {
    if resident.dantai_code != dantai {
        return Err(BuildError::ResidentOfOtherDantai {
            juminhyo_code: resident.juminhyo_code,
            dantai,
            resident_of: resident.dantai_code,
        });
    }
    Ok(())
}

fn entry_of(resident: &Resident, cert: &Certificate, stamp: Nichiji) -> CertificateEntry {
    CertificateEntry {
        row: ShomeishoJoho::from_certificate(resident.juminhyo_code, cert, stamp),
        reason: cert.revocation_reason,
    }
}

/// The initial 更新日時 of a row: the later of its 発行日 and 失効日, at 00:00:00 JST.
fn initial_stamp(cert: &Certificate) -> Nichiji {
    let day = cert.revoked.map_or(cert.issued, |r| r.max(cert.issued));
    Nichiji::new(day.midnight().assume_offset(JST)).expect("population dates have four-digit years")
}

fn new_row(
    juminhyo_code: JuminhyoCode,
    shubetsu: CertKind,
    serial: CertSerial,
    hakkobi: Date,
    yuko_kigen: Date,
    koshin_nichiji: Nichiji,
) -> ShomeishoJoho {
    ShomeishoJoho {
        serial,
        juminhyo_code,
        shubetsu,
        hakkobi,
        yuko_kigen,
        shikkobi: None,
        koshin_nichiji,
    }
}

fn revoke_entry(
    entry: &mut CertificateEntry,
    shikkobi: Date,
    reason: RevocationReason,
    stamp: Nichiji,
) {
    entry.row.shikkobi = Some(shikkobi);
    entry.row.koshin_nichiji = stamp;
    entry.reason = Some(reason);
}

fn not_in_future(day: Date, today: Date) -> Result<(), ChangeError> {
    if day > today {
        return Err(ChangeError::DateInFuture { day, today });
    }
    Ok(())
}

/// A certificate can be revoked on `day` if it is not revoked yet, was issued by then and has
/// not expired by then.
fn check_revocable(row: &ShomeishoJoho, day: Date) -> Result<(), ChangeError> {
    if let Some(shikkobi) = row.shikkobi {
        return Err(ChangeError::AlreadyRevoked {
            serial: row.serial,
            shikkobi,
        });
    }
    if day < row.hakkobi {
        return Err(ChangeError::BeforeIssue {
            serial: row.serial,
            day,
            hakkobi: row.hakkobi,
        });
    }
    if day > row.yuko_kigen {
        return Err(ChangeError::Expired {
            serial: row.serial,
            yuko_kigen: row.yuko_kigen,
        });
    }
    Ok(())
}

/// A certificate of `kind` can be issued to a person born on `birth` on `day`: not before they
/// were born, and 署名用 not before they are 15.
fn check_issuable(
    juminhyo_code: JuminhyoCode,
    kind: CertKind,
    birth: Date,
    day: Date,
) -> Result<(), ChangeError> {
    if day < birth {
        return Err(ChangeError::BeforeBirth {
            juminhyo_code,
            day,
            seinengappi: birth,
        });
    }
    if kind == CertKind::Shomei && age_on(birth, day) < SHOMEI_MIN_AGE {
        return Err(ChangeError::ShomeiUnderAge { juminhyo_code, day });
    }
    Ok(())
}

/// 署名用 certificates are not issued to children under this age (JPKI; the population's rule).
pub const SHOMEI_MIN_AGE: i32 = 15;

/// 有効期限 of a certificate issued on `hakkobi` to a person born on `seinengappi`: the fifth
/// birthday after issue (a 29 February birthday falls on 28 February in common years) — the
/// rule the population's certificate histories follow (`renkei-fixtures`
/// `population/certificates.rs`); a test checks every generated 利用者証明用 certificate
/// against it.
pub fn yuko_kigen(seinengappi: Date, hakkobi: Date) -> Date {
    let this_year = birthday_in(seinengappi, hakkobi.year());
    let first = if this_year > hakkobi {
        hakkobi.year()
    } else {
        hakkobi.year() + 1
    };
    birthday_in(seinengappi, first + 4)
}

fn birthday_in(birth: Date, year: i32) -> Date {
    Date::from_calendar_date(year, birth.month(), birth.day())
        .or_else(|_| Date::from_calendar_date(year, Month::February, 28))
        .expect("28 February exists every year")
}

pub(super) fn age_on(birth: Date, day: Date) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// A time as the API writes it (RFC 3339); years RFC 3339 cannot write fall back to `Display`.
pub(super) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// The clock stands where a file cannot carry the time (a JST year outside 1–9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("時計 ({}) が日時として書ける範囲 (西暦1〜9999年) の外にあります", rfc3339(*now))]
pub struct ClockOutOfRange {
    pub now: OffsetDateTime,
}

/// Why a query cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("団体コード{0}の団体はこの住基ネットCSにありません")]
    UnknownDantai(DantaiCode),
    #[error("住民票コード{juminhyo_code}の住民は団体{dantai}にいません")]
    UnknownJuminhyoCode {
        dantai: DantaiCode,
        juminhyo_code: JuminhyoCode,
    },
    #[error("since ({}) が現在 ({}) より後です", rfc3339(*since), rfc3339(*now))]
    SinceInFuture {
        since: OffsetDateTime,
        now: OffsetDateTime,
    },
    #[error("since ({}) は日本時間で西暦1〜9999年の範囲にありません", rfc3339(*since))]
    SinceOutOfRange { since: OffsetDateTime },
    #[error(transparent)]
    Clock(#[from] ClockOutOfRange),
}

/// Why a change to the CS is refused. Changes are made by scenarios (the runner) and through the
/// admin API (an operator, a vendor's test), never by the vendor's system under test: these
/// errors are for whoever asked for the change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("シリアル番号{0}の証明書はこの住基ネットCSにありません")]
    UnknownSerial(CertSerial),
    #[error("住民票コード{0}の住民はこの住基ネットCSにいません")]
    UnknownJuminhyoCode(JuminhyoCode),
    #[error("シリアル番号{0}はすでに使われています (シリアル番号は使い回しません)")]
    SerialInUse(CertSerial),
    #[error("シリアル番号{serial}の証明書は{shikkobi}にすでに失効しています")]
    AlreadyRevoked { serial: CertSerial, shikkobi: Date },
    #[error("シリアル番号{serial}の証明書は{hakkobi}発行で、{day}にはまだありません")]
    BeforeIssue {
        serial: CertSerial,
        day: Date,
        hakkobi: Date,
    },
    #[error("シリアル番号{serial}の証明書は有効期限{yuko_kigen}を過ぎており、失効させられません")]
    Expired {
        serial: CertSerial,
        yuko_kigen: Date,
    },
    #[error("{day}は今日 ({today}) より後です: 変更は今日までの日付で行います")]
    DateInFuture { day: Date, today: Date },
    #[error("有効期限{yuko_kigen}が発行日{hakkobi}より前です")]
    KigenBeforeIssue { hakkobi: Date, yuko_kigen: Date },
    #[error(
        "住民票コード{juminhyo_code}の住民は{day}にはまだ生まれていません (生年月日{seinengappi})"
    )]
    BeforeBirth {
        juminhyo_code: JuminhyoCode,
        day: Date,
        seinengappi: Date,
    },
    #[error(
        "住民票コード{juminhyo_code}の住民は{day}に{min}歳未満で、署名用電子証明書は発行されません",
        min = SHOMEI_MIN_AGE
    )]
    ShomeiUnderAge {
        juminhyo_code: JuminhyoCode,
        day: Date,
    },
    #[error("シリアル番号{serial}の証明書は住民票コード{juminhyo_code}の住民のものではありません")]
    NotHolder {
        serial: CertSerial,
        juminhyo_code: JuminhyoCode,
    },
    #[error(
        "シリアル番号{serial}の証明書は{}電子証明書です ({}ではありません)",
        found.as_str(),
        asked.as_str()
    )]
    ShubetsuMismatch {
        serial: CertSerial,
        found: CertKind,
        asked: CertKind,
    },
    #[error("住民票コード{juminhyo_code}の住民は{}電子証明書を持っていません", kind.as_str())]
    NoCertificate {
        juminhyo_code: JuminhyoCode,
        kind: CertKind,
    },
    #[error(
        "失効させる証明書を shubetsu (署名用 / 利用者証明用: その種別でいちばん新しい証明書) か serial (シリアル番号) で指定してください"
    )]
    WhichCertificate,
    #[error("住基ネットCSのファイルに書けない値です: {0}")]
    NotWritable(String),
    #[error(
        "renkei が割り当てるシリアル番号 (9000000000000001〜9009999999999999) が尽きました: serial を指定してください"
    )]
    SerialsExhausted,
    #[error(transparent)]
    Query(QueryError),
    #[error(transparent)]
    Build(BuildError),
    #[error(transparent)]
    Clock(#[from] ClockOutOfRange),
}

/// Why a CS cannot be built (or a 転入 cannot be registered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("団体コード{0}は団体カタログにありません")]
    UnknownDantai(DantaiCode),
    #[error(
        "{name} ({code}) は市区町村ではありません: 住基ネットCSに住民を持つのは市区町村だけです"
    )]
    NotAMunicipality { code: DantaiCode, name: String },
    #[error("団体コード{0}が二度与えられました")]
    DuplicateDantai(DantaiCode),
    #[error("団体{dantai}のアクセスキーが団体{other}のものと同じです")]
    DuplicateKey {
        dantai: DantaiCode,
        other: DantaiCode,
    },
    #[error(
        "住民票コード{juminhyo_code}の住民は団体{resident_of}の住民で、団体{dantai}には登録できません"
    )]
    ResidentOfOtherDantai {
        juminhyo_code: JuminhyoCode,
        dantai: DantaiCode,
        resident_of: DantaiCode,
    },
    #[error("住民票コード{0}がすでに登録されています")]
    DuplicateJuminhyoCode(JuminhyoCode),
    // The 個人番号 itself is not written into a message: the 住民票コード names the person.
    #[error("住民票コード{juminhyo_code}の住民の個人番号がすでに別の住民に登録されています")]
    DuplicateKojinBango { juminhyo_code: JuminhyoCode },
    #[error("シリアル番号{0}が二度与えられました")]
    DuplicateSerial(CertSerial),
    #[error(
        "シリアル番号{serial}の行の更新日時{koshin}が時計 ({start}) より後です (母集団の基準日より前に時計を合わせていませんか)"
    )]
    CertificateAfterClock {
        serial: CertSerial,
        koshin: Nichiji,
        start: Nichiji,
    },
    #[error(transparent)]
    ClockOutOfRange(ClockOutOfRange),
}

impl From<BuildError> for ChangeError {
    fn from(error: BuildError) -> Self {
        Self::Build(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn expiry_is_the_fifth_birthday_after_issue() {
        let birth = date!(1980 - 06 - 15);
        assert_eq!(
            yuko_kigen(birth, date!(2020 - 06 - 01)),
            date!(2024 - 06 - 15)
        );
        assert_eq!(
            yuko_kigen(birth, date!(2020 - 06 - 15)),
            date!(2025 - 06 - 15)
        );
        assert_eq!(
            yuko_kigen(date!(2000 - 02 - 29), date!(2021 - 03 - 01)),
            date!(2026 - 02 - 28)
        );
    }

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on(date!(2011 - 04 - 02), date!(2026 - 04 - 01)), 14);
        assert_eq!(age_on(date!(2011 - 04 - 01), date!(2026 - 04 - 01)), 15);
    }
}
