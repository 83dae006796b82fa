//! What the engine holds, and `apply`: the one function that changes it, from an event.
//!
//! `apply` decides nothing: every choice (a 処理通番, a refusal, the 副本 of an answer) was made
//! before the event was committed and is in it. So applying the same events in the same order
//! always gives the same state, live or replayed; and `apply` never fails: an event that names
//! something unknown (a store edited by hand) changes nothing rather than panic.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use renkei_fixtures::ids::{
    JimuCode, JimuTetsuzukiCode, KikanCode, TokuteiKojinJohoMeiCode, TougouAtenaBango,
};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::bango::{MsgMode, ShoriTsuuban, UketsukeBango};
use super::event::{Meisai, Routing, ShoukaiEvent, TenantSpec};
use super::kiroku::{HenkouJiyuu, Kiroku, KirokuHenkou, KirokuKekka, KirokuKubun};
use super::naiyou::{Houshiki, ShoukaiJouken, ShoukaiNaiyou};
use super::source::{FukuhonHit, FukuhonKensaku};
use super::status::{OutouHouhou, ShoukaiStatus, TeikyouStatus};
use super::tsuuchi::{Tsuuchi, TsuuchiKind};

/// One 照会 as the 照会者 sees it: what was asked, where it stands, and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shoukai {
    /// 処理通番.
    pub shori_tsuuban: ShoriTsuuban,
    /// The 中間サーバー受付番号 of the registration it came in.
    pub uketsuke_bango: UketsukeBango,
    /// 情報照会者機関コード.
    pub shoukaisha: KikanCode,
    /// 単件 or 一括.
    pub houshiki: Houshiki,
    /// What was asked.
    pub naiyou: ShoukaiNaiyou,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    /// 照会ステータス.
    pub status: ShoukaiStatus,
    /// When the 提供の求め reached the 提供者; `None` while queued, or when refused or withdrawn
    /// before it was sent.
    #[serde(with = "time::serde::rfc3339::option")]
    pub motome_at: Option<OffsetDateTime>,
    /// When it reached its final status.
    #[serde(with = "time::serde::rfc3339::option")]
    pub kanryou_at: Option<OffsetDateTime>,
    /// For エラー: the error code ([`ShoukaiError::code`](super::ShoukaiError::code)).
    pub error_code: Option<String>,
    /// For エラー the refusal message, for 提供不可 the 提供者's reason.
    pub message: Option<String>,
    /// For 正常終了: the 副本 provided, one per dataset record.
    pub kekka: Vec<FukuhonHit>,
}

/// One 提供の求め as the 提供者 sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Teikyou {
    /// 処理通番 (the 照会者's).
    pub shori_tsuuban: ShoriTsuuban,
    /// 情報提供者機関コード (this tenant).
    pub teikyousha: KikanCode,
    /// 情報照会者機関コード.
    pub shoukaisha: KikanCode,
    /// 本番 or テスト.
    pub msg_mode: MsgMode,
    /// The person, by the 提供者's 団体内統合宛名番号.
    pub tougou: TougouAtenaBango,
    /// 事務コード of the 照会.
    pub jimu: JimuCode,
    /// 事務手続コード of the 照会.
    pub tetsuzuki: JimuTetsuzukiCode,
    /// 特定個人情報名コード asked.
    pub tokutei: TokuteiKojinJohoMeiCode,
    /// 情報照会条件.
    pub jouken: ShoukaiJouken,
    /// When the 提供の求め was received.
    #[serde(with = "time::serde::rfc3339")]
    pub motome_at: OffsetDateTime,
    /// 有効期限: 30 days after `motome_at` (seed 004 §2.4).
    #[serde(with = "time::serde::rfc3339")]
    pub yuukou_kigen: OffsetDateTime,
    /// 提供ステータス.
    pub status: TeikyouStatus,
    /// 自動応答 or 手動応答.
    pub outou: OutouHouhou,
    /// What will be (or was) provided: the 副本 found, as last looked up.
    pub naiyou: FukuhonKensaku,
    /// When it was answered, withdrawn or expired.
    #[serde(with = "time::serde::rfc3339::option")]
    pub kanryou_at: Option<OffsetDateTime>,
    /// When the 有効期間切れ事前通知 went out.
    #[serde(with = "time::serde::rfc3339::option")]
    pub jizen_tsuuchi_at: Option<OffsetDateTime>,
}

/// A deadline of a pending 提供の求め.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kigen {
    /// The 有効期間切れ事前通知.
    Jizen,
    /// The end of the 有効期間.
    Kigire,
}

/// One tenant's own data.
#[derive(Debug)]
pub(crate) struct Tenant {
    pub spec: TenantSpec,
    /// The last 中間サーバー受付番号 given: the next is derived from it.
    pub last_uketsuke: Option<UketsukeBango>,
    /// The 明細 of each registration, in file order.
    pub uketsuke: HashMap<UketsukeBango, Vec<ShoriTsuuban>>,
    /// Bulk 明細 waiting to be sent, oldest first. A `VecDeque`: taken from the front, added at
    /// the back; a 取りやめ removes from the middle, rarely.
    pub ikkatsu_queue: VecDeque<ShoriTsuuban>,
    /// When the bulk worker finished its last 明細: the next starts no earlier.
    pub worker_free_at: Option<OffsetDateTime>,
    /// 明細 registered, by time, for the last hour's count (documented limits). Entries older than
    /// an hour before the newest registration are dropped.
    pub recent: VecDeque<(OffsetDateTime, u64)>,
    /// The 提供の求め received, by 処理通番. A `BTreeSet` so a listing is in 処理通番 order.
    pub teikyou: BTreeSet<ShoriTsuuban>,
    /// 情報提供等記録, in the order they were made.
    pub kiroku: Vec<Kiroku>,
    /// 処理通番 → position in `kiroku` (a tenant has one record per 処理通番: it is either the
    /// 照会者 or the 提供者 of it).
    pub kiroku_index: HashMap<ShoriTsuuban, usize>,
    /// 通知, 通知番号 = position + 1.
    pub tsuuchi: Vec<Tsuuchi>,
}

impl Tenant {
    pub fn new(spec: TenantSpec) -> Self {
        Self {
            spec,
            last_uketsuke: None,
            uketsuke: HashMap::new(),
            ikkatsu_queue: VecDeque::new(),
            worker_free_at: None,
            recent: VecDeque::new(),
            teikyou: BTreeSet::new(),
            kiroku: Vec::new(),
            kiroku_index: HashMap::new(),
            tsuuchi: Vec::new(),
        }
    }

    /// 明細 registered in the hour before `at` (excluded) up to `at` (included).
    pub fn recent_count(&self, at: OffsetDateTime) -> u64 {
        let since = at - Duration::HOUR;
        self.recent
            .iter()
            .filter(|(t, _)| *t > since && *t <= at)
            .map(|(_, n)| n)
            .sum()
    }

    fn notify(
        &mut self,
        kind: TsuuchiKind,
        shori_tsuuban: ShoriTsuuban,
        msg_mode: MsgMode,
        aite: KikanCode,
        at: OffsetDateTime,
    ) {
        let bango = self.tsuuchi.len() as u64 + 1;
        self.tsuuchi.push(Tsuuchi {
            bango,
            kind,
            shori_tsuuban,
            msg_mode,
            aite,
            at,
        });
    }

    fn kiroku_mut(&mut self, shori_tsuuban: ShoriTsuuban) -> Option<&mut Kiroku> {
        let index = *self.kiroku_index.get(&shori_tsuuban)?;
        self.kiroku.get_mut(index)
    }

    fn add_kiroku(&mut self, kiroku: Kiroku) {
        self.kiroku_index
            .insert(kiroku.shori_tsuuban, self.kiroku.len());
        self.kiroku.push(kiroku);
    }
}

/// How a 提供の求め ended.
enum Owari {
    /// Answered with what the 副本 said.
    Kaitou(FukuhonKensaku),
    /// Can no longer be provided.
    Fuka(String),
    /// Withdrawn by the 照会者.
    Toriyame,
    /// Expired.
    Kigire,
}

/// Everything the engine holds.
#[derive(Debug)]
pub(crate) struct State {
    /// Tenants by 機関コード. A `BTreeMap`: the bulk workers are visited in one order every run.
    pub tenants: BTreeMap<KikanCode, Tenant>,
    /// Every 照会, by 処理通番 (the 情報提供ネットワークシステム's numbering is global).
    pub shoukai: HashMap<ShoriTsuuban, Shoukai>,
    /// Every 提供の求め delivered, by 処理通番.
    pub teikyou: HashMap<ShoriTsuuban, Teikyou>,
    /// The last 処理通番 given.
    pub last_tsuuban: Option<ShoriTsuuban>,
    /// Deadlines of pending 提供, in time order: what the clock will trigger next.
    pub kigen: BTreeSet<(OffsetDateTime, ShoriTsuuban, Kigen)>,
    /// The "documented limits" mode (seed 004 §2.11).
    pub documented_limits: bool,
    /// 30 days.
    pub yuukou_kikan: Duration,
    /// How long before the end of the 有効期間 the 事前通知 goes out.
    pub jizen_tsuuchi: Duration,
}

impl State {
    pub fn new(
        tenants: Vec<TenantSpec>,
        documented_limits: bool,
        yuukou_kikan: Duration,
        jizen_tsuuchi: Duration,
    ) -> Self {
        Self {
            tenants: tenants
                .into_iter()
                .map(|spec| (spec.kikan, Tenant::new(spec)))
                .collect(),
            shoukai: HashMap::new(),
            teikyou: HashMap::new(),
            last_tsuuban: None,
            kigen: BTreeSet::new(),
            documented_limits,
            yuukou_kikan,
            jizen_tsuuchi,
        }
    }

    /// Applies one event.
    pub fn apply(&mut self, event: ShoukaiEvent) {
        match event {
            ShoukaiEvent::TenantAdded { tenant } => {
                self.tenants
                    .entry(tenant.kikan)
                    .or_insert_with(|| Tenant::new(tenant));
            }
            ShoukaiEvent::LimitsSwitched { documented_limits } => {
                self.documented_limits = documented_limits;
            }
            ShoukaiEvent::Tanken {
                kikan,
                uketsuke_bango,
                at,
                meisai,
                routing,
            } => {
                let shori_tsuuban = meisai.shori_tsuuban;
                self.register(kikan, uketsuke_bango, Houshiki::Tanken, at, vec![meisai]);
                self.route(shori_tsuuban, at, routing);
            }
            ShoukaiEvent::Registered {
                kikan,
                uketsuke_bango,
                houshiki,
                at,
                meisai,
            } => self.register(kikan, uketsuke_bango, houshiki, at, meisai),
            ShoukaiEvent::Routed {
                shori_tsuuban,
                at,
                routing,
            } => self.route(shori_tsuuban, at, routing),
            ShoukaiEvent::Kakunin {
                shori_tsuuban,
                at,
                kensaku,
            } => {
                let Some(teikyou) = self.teikyou.get_mut(&shori_tsuuban) else {
                    return;
                };
                if teikyou.status != TeikyouStatus::KakuninMachi {
                    return;
                }
                teikyou.naiyou = kensaku;
                teikyou.status = TeikyouStatus::SoushinKyokaMachi;
                let (teikyousha, mode, shoukaisha) =
                    (teikyou.teikyousha, teikyou.msg_mode, teikyou.shoukaisha);
                if let Some(tenant) = self.tenants.get_mut(&teikyousha) {
                    tenant.notify(
                        TsuuchiKind::SoushinKyokaIrai,
                        shori_tsuuban,
                        mode,
                        shoukaisha,
                        at,
                    );
                }
            }
            ShoukaiEvent::SoushinKyoka { shori_tsuuban, at } => {
                let Some(teikyou) = self.teikyou.get(&shori_tsuuban) else {
                    return;
                };
                if teikyou.status == TeikyouStatus::SoushinKyokaMachi {
                    let naiyou = teikyou.naiyou.clone();
                    self.owaru(shori_tsuuban, at, Owari::Kaitou(naiyou));
                }
            }
            ShoukaiEvent::TeikyouFuka {
                shori_tsuuban,
                at,
                riyuu,
            } => {
                if self.is_pending(shori_tsuuban) {
                    self.owaru(shori_tsuuban, at, Owari::Fuka(riyuu));
                }
            }
            ShoukaiEvent::Toriyame { shori_tsuuban, at } => self.toriyame(shori_tsuuban, at),
            ShoukaiEvent::KigireJizen { shori_tsuuban, at } => {
                let Some(teikyou) = self.teikyou.get_mut(&shori_tsuuban) else {
                    return;
                };
                if !teikyou.status.is_pending() || teikyou.jizen_tsuuchi_at.is_some() {
                    return;
                }
                teikyou.jizen_tsuuchi_at = Some(at);
                let (teikyousha, mode, shoukaisha) =
                    (teikyou.teikyousha, teikyou.msg_mode, teikyou.shoukaisha);
                let jizen_at = teikyou.yuukou_kigen - self.jizen_tsuuchi;
                self.kigen.remove(&(jizen_at, shori_tsuuban, Kigen::Jizen));
                if let Some(tenant) = self.tenants.get_mut(&teikyousha) {
                    tenant.notify(
                        TsuuchiKind::KigireJizen,
                        shori_tsuuban,
                        mode,
                        shoukaisha,
                        at,
                    );
                }
            }
            ShoukaiEvent::Kigire { shori_tsuuban, at } => {
                if self.is_pending(shori_tsuuban) {
                    self.owaru(shori_tsuuban, at, Owari::Kigire);
                }
            }
            ShoukaiEvent::KirokuHenkou {
                kikan,
                shori_tsuuban,
                at,
                henkou,
            } => self.kiroku_henkou(kikan, &[shori_tsuuban], at, henkou),
            ShoukaiEvent::KirokuIkkatsuHenkou {
                kikan,
                shori_tsuuban,
                at,
                henkou,
            } => self.kiroku_henkou(kikan, &shori_tsuuban, at, henkou),
        }
    }

    fn kiroku_henkou(
        &mut self,
        kikan: KikanCode,
        numbers: &[ShoriTsuuban],
        at: OffsetDateTime,
        henkou: KirokuHenkou,
    ) {
        let Some(tenant) = self.tenants.get_mut(&kikan) else {
            return;
        };
        for &number in numbers {
            if let Some(kiroku) = tenant.kiroku_mut(number) {
                if let Some(jiyuu) = &henkou.jiyuu {
                    kiroku.henkou_jiyuu.push(HenkouJiyuu {
                        jiyuu: jiyuu.clone(),
                        at,
                    });
                }
                if let Some(fukaiji) = henkou.fukaiji {
                    kiroku.fukaiji = fukaiji;
                }
            }
        }
    }

    fn is_pending(&self, shori_tsuuban: ShoriTsuuban) -> bool {
        self.teikyou
            .get(&shori_tsuuban)
            .is_some_and(|t| t.status.is_pending())
    }

    fn register(
        &mut self,
        kikan: KikanCode,
        uketsuke_bango: UketsukeBango,
        houshiki: Houshiki,
        at: OffsetDateTime,
        meisai: Vec<Meisai>,
    ) {
        let Some(tenant) = self.tenants.get_mut(&kikan) else {
            return;
        };
        tenant.last_uketsuke = tenant.last_uketsuke.max(Some(uketsuke_bango));
        let hour_ago = at - Duration::HOUR;
        while tenant.recent.front().is_some_and(|(t, _)| *t <= hour_ago) {
            tenant.recent.pop_front();
        }
        tenant.recent.push_back((at, meisai.len() as u64));
        let mut numbers = Vec::with_capacity(meisai.len());
        for Meisai {
            shori_tsuuban,
            naiyou,
            refusal,
        } in meisai
        {
            numbers.push(shori_tsuuban);
            self.last_tsuuban = self.last_tsuuban.max(Some(shori_tsuuban));
            let refused = refusal.is_some();
            if refused {
                tenant.notify(
                    TsuuchiKind::ShoukaiKekka,
                    shori_tsuuban,
                    naiyou.msg_mode,
                    naiyou.teikyousha,
                    at,
                );
            } else if houshiki == Houshiki::Ikkatsu {
                tenant.ikkatsu_queue.push_back(shori_tsuuban);
            }
            self.shoukai.insert(
                shori_tsuuban,
                Shoukai {
                    shori_tsuuban,
                    uketsuke_bango,
                    shoukaisha: kikan,
                    houshiki,
                    naiyou,
                    registered_at: at,
                    status: if refused {
                        ShoukaiStatus::Error
                    } else {
                        ShoukaiStatus::Shorimachi
                    },
                    motome_at: None,
                    kanryou_at: refused.then_some(at),
                    error_code: refusal.as_ref().map(|r| r.code.clone()),
                    message: refusal.map(|r| r.message),
                    kekka: Vec::new(),
                },
            );
        }
        tenant.uketsuke.insert(uketsuke_bango, numbers);
    }

    fn route(&mut self, shori_tsuuban: ShoriTsuuban, at: OffsetDateTime, routing: Routing) {
        let Some(shoukai) = self.shoukai.get_mut(&shori_tsuuban) else {
            return;
        };
        if shoukai.status != ShoukaiStatus::Shorimachi {
            return;
        }
        let kikan = shoukai.shoukaisha;
        if shoukai.houshiki == Houshiki::Ikkatsu
            && let Some(tenant) = self.tenants.get_mut(&kikan)
        {
            if tenant.ikkatsu_queue.front() == Some(&shori_tsuuban) {
                tenant.ikkatsu_queue.pop_front();
            } else {
                tenant.ikkatsu_queue.retain(|s| *s != shori_tsuuban);
            }
            tenant.worker_free_at = Some(at);
        }
        let naiyou = shoukai.naiyou.clone();
        let (teikyou_tougou, kensaku, outou) = match routing {
            Routing::Refused { refusal } => {
                shoukai.status = ShoukaiStatus::Error;
                shoukai.kanryou_at = Some(at);
                shoukai.error_code = Some(refusal.code);
                shoukai.message = Some(refusal.message);
                if let Some(tenant) = self.tenants.get_mut(&kikan) {
                    tenant.notify(
                        TsuuchiKind::ShoukaiKekka,
                        shori_tsuuban,
                        naiyou.msg_mode,
                        naiyou.teikyousha,
                        at,
                    );
                }
                return;
            }
            Routing::Jidou {
                teikyou_tougou,
                kensaku,
            } => (teikyou_tougou, kensaku, OutouHouhou::Jidou),
            Routing::Shudou {
                teikyou_tougou,
                kensaku,
            } => (teikyou_tougou, kensaku, OutouHouhou::Shudou),
        };
        shoukai.motome_at = Some(at);
        shoukai.status = ShoukaiStatus::Kaitoumachi;
        let yuukou_kigen = at + self.yuukou_kikan;
        self.teikyou.insert(
            shori_tsuuban,
            Teikyou {
                shori_tsuuban,
                teikyousha: naiyou.teikyousha,
                shoukaisha: kikan,
                msg_mode: naiyou.msg_mode,
                tougou: teikyou_tougou,
                jimu: naiyou.jimu,
                tetsuzuki: naiyou.tetsuzuki,
                tokutei: naiyou.tokutei,
                jouken: naiyou.jouken,
                motome_at: at,
                yuukou_kigen,
                status: TeikyouStatus::KakuninMachi,
                outou,
                naiyou: kensaku.clone(),
                kanryou_at: None,
                jizen_tsuuchi_at: None,
            },
        );
        let kiroku = |kubun, tougou| Kiroku {
            shori_tsuuban,
            kubun,
            msg_mode: naiyou.msg_mode,
            shoukaisha: kikan,
            teikyousha: naiyou.teikyousha,
            jimu: naiyou.jimu,
            tetsuzuki: naiyou.tetsuzuki,
            tokutei: naiyou.tokutei,
            tougou,
            motome_at: at,
            teikyou_at: None,
            kekka: KirokuKekka::Miteikyou,
            outou,
            henkou_jiyuu: Vec::new(),
            fukaiji: naiyou.fukaiji,
        };
        if let Some(tenant) = self.tenants.get_mut(&kikan) {
            tenant.add_kiroku(kiroku(KirokuKubun::Shoukai, naiyou.tougou));
        }
        if let Some(tenant) = self.tenants.get_mut(&naiyou.teikyousha) {
            tenant.add_kiroku(kiroku(KirokuKubun::Teikyou, teikyou_tougou));
            tenant.teikyou.insert(shori_tsuuban);
        }
        match outou {
            OutouHouhou::Jidou => self.owaru(shori_tsuuban, at, Owari::Kaitou(kensaku)),
            OutouHouhou::Shudou => {
                self.kigen.insert((
                    yuukou_kigen - self.jizen_tsuuchi,
                    shori_tsuuban,
                    Kigen::Jizen,
                ));
                self.kigen
                    .insert((yuukou_kigen, shori_tsuuban, Kigen::Kigire));
                if let Some(tenant) = self.tenants.get_mut(&naiyou.teikyousha) {
                    tenant.notify(
                        TsuuchiKind::JidouOutouFukaKakuninIrai,
                        shori_tsuuban,
                        naiyou.msg_mode,
                        kikan,
                        at,
                    );
                }
            }
        }
    }

    /// Ends a delivered 提供の求め: both sides' status, records, 通知, and its deadlines.
    fn owaru(&mut self, shori_tsuuban: ShoriTsuuban, at: OffsetDateTime, owari: Owari) {
        use ShoukaiStatus as S;
        use TeikyouStatus as T;
        let (shoukai_status, teikyou_status, kekka, hits, message, answered) = match owari {
            Owari::Kaitou(FukuhonKensaku::Gaitou { hits }) => (
                S::SeijouShuuryou,
                T::Teikyouzumi,
                KirokuKekka::Teikyou,
                hits,
                None,
                true,
            ),
            Owari::Kaitou(FukuhonKensaku::Gaitounashi) => (
                S::Gaitounashi,
                T::Gaitounashi,
                KirokuKekka::Gaitounashi,
                Vec::new(),
                None,
                true,
            ),
            Owari::Kaitou(FukuhonKensaku::TeikyouFuka { riyuu }) | Owari::Fuka(riyuu) => (
                S::TeikyouFuka,
                T::TeikyouFuka,
                KirokuKekka::TeikyouFuka,
                Vec::new(),
                Some(riyuu),
                true,
            ),
            Owari::Toriyame => (
                S::Toriyame,
                T::Toriyame,
                KirokuKekka::Toriyame,
                Vec::new(),
                None,
                false,
            ),
            Owari::Kigire => (
                S::YuukouKikanGire,
                T::YuukouKikanGire,
                KirokuKekka::YuukouKikanGire,
                Vec::new(),
                None,
                false,
            ),
        };
        let Some(teikyou) = self.teikyou.get_mut(&shori_tsuuban) else {
            return;
        };
        teikyou.status = teikyou_status;
        teikyou.kanryou_at = Some(at);
        let (teikyousha, shoukaisha, mode, yuukou_kigen) = (
            teikyou.teikyousha,
            teikyou.shoukaisha,
            teikyou.msg_mode,
            teikyou.yuukou_kigen,
        );
        if let Some(shoukai) = self.shoukai.get_mut(&shori_tsuuban) {
            shoukai.status = shoukai_status;
            shoukai.kanryou_at = Some(at);
            shoukai.kekka = hits;
            shoukai.message = message;
        }
        self.kigen.remove(&(
            yuukou_kigen - self.jizen_tsuuchi,
            shori_tsuuban,
            Kigen::Jizen,
        ));
        self.kigen
            .remove(&(yuukou_kigen, shori_tsuuban, Kigen::Kigire));
        for kikan in [shoukaisha, teikyousha] {
            if let Some(kiroku) = self
                .tenants
                .get_mut(&kikan)
                .and_then(|t| t.kiroku_mut(shori_tsuuban))
            {
                kiroku.kekka = kekka;
                kiroku.teikyou_at = answered.then_some(at);
            }
        }
        let mut notify = |kikan: KikanCode, kind, aite| {
            if let Some(tenant) = self.tenants.get_mut(&kikan) {
                tenant.notify(kind, shori_tsuuban, mode, aite, at);
            }
        };
        match shoukai_status {
            S::Toriyame => {
                notify(shoukaisha, TsuuchiKind::ToriyameKekka, teikyousha);
                notify(teikyousha, TsuuchiKind::ToriyameKanryou, shoukaisha);
            }
            S::YuukouKikanGire => {
                notify(teikyousha, TsuuchiKind::Kigire, shoukaisha);
                notify(shoukaisha, TsuuchiKind::Kigire, teikyousha);
            }
            _ => notify(shoukaisha, TsuuchiKind::ShoukaiKekka, teikyousha),
        }
    }

    fn toriyame(&mut self, shori_tsuuban: ShoriTsuuban, at: OffsetDateTime) {
        let pending = self.is_pending(shori_tsuuban);
        let Some(shoukai) = self.shoukai.get_mut(&shori_tsuuban) else {
            return;
        };
        match shoukai.status {
            ShoukaiStatus::Shorimachi => {
                // Not yet sent: only the 照会者 knows of it.
                shoukai.status = ShoukaiStatus::Toriyame;
                shoukai.kanryou_at = Some(at);
                let (kikan, mode, aite) = (
                    shoukai.shoukaisha,
                    shoukai.naiyou.msg_mode,
                    shoukai.naiyou.teikyousha,
                );
                if let Some(tenant) = self.tenants.get_mut(&kikan) {
                    tenant.ikkatsu_queue.retain(|s| *s != shori_tsuuban);
                    tenant.notify(TsuuchiKind::ToriyameKekka, shori_tsuuban, mode, aite, at);
                }
            }
            ShoukaiStatus::Kaitoumachi if pending => {
                self.owaru(shori_tsuuban, at, Owari::Toriyame);
            }
            _ => {}
        }
    }
}
