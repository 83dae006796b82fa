//! A world for the 情報照会 / 情報提供 engine tests: up to three tenants from the 団体 catalog on
//! a frozen clock, people known to each by its own 団体内統合宛名番号 with 符号 issued by the
//! simulated 情報提供ネットワークシステム, and 副本 built from the データ標準レイアウト and checked by
//! the real 副本登録 validator before they go into an in-memory 副本 table.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::{
    DantaiCode, JimuCode, JimuTetsuzukiCode, JuminhyoCode, KikanCode, TokuteiKojinJohoMeiCode,
    TougouAtenaBango,
};
use renkei_simulator::chukan::fukuhon::Validator;
use renkei_simulator::clock::{Clock, JST};
use renkei_simulator::nws::FugouIssuance;
use renkei_simulator::nws::shoukai::{
    JohoRenkei, MemoryFugou, MemoryFukuhon, MsgMode, Renkeisaki, ShoriTsuuban, ShoukaiConfig,
    ShoukaiEvent, ShoukaiJouken, ShoukaiNaiyou, TenantSpec, synthetic_record,
};
use time::{Date, OffsetDateTime};

/// 東京都千代田区: the 照会者 of most tests.
pub fn chiyoda() -> KikanCode {
    kikan(13101)
}

/// 東京都調布市: a 提供者 (市区町村).
pub fn chofu() -> KikanCode {
    kikan(13208)
}

/// ふじみ衛生組合: a 一部事務組合 (asks under 後期高齢者医療, provides 介護保険).
pub fn fujimi() -> KikanCode {
    kikan(13990)
}

fn kikan(five: u32) -> KikanCode {
    Catalogs::embedded()
        .dantai(&DantaiCode::from_five(five))
        .expect("in the 団体 catalog")
        .kikan_code
}

pub fn tm(n: u64) -> TokuteiKojinJohoMeiCode {
    TokuteiKojinJohoMeiCode::from_number(n)
}

pub fn jm(n: u64) -> JimuCode {
    JimuCode::from_number(n)
}

pub fn jt(n: u64) -> JimuTetsuzukiCode {
    JimuTetsuzukiCode::from_number(n)
}

/// The person `index` as `tenant` knows them.
pub fn tougou(tenant: KikanCode, index: u64) -> TougouAtenaBango {
    // Each tenant numbers its people in its own block, as real 団体 do.
    TougouAtenaBango::from_number((tenant.value() / 100_000_000 % 1_000_000) * 1_000_000 + index)
}

pub fn juminhyo(index: u64) -> JuminhyoCode {
    JuminhyoCode::from_number(99_000_000_000 + index)
}

/// People 0..PEOPLE have 符号 at every tenant of the world.
pub const PEOPLE: u64 = 20;
/// A person who has a 符号 at every tenant except 千代田区.
pub const NO_FUGOU_AT_CHIYODA: u64 = 100;
/// A person whose 符号 only 千代田区 obtained.
pub const ONLY_AT_CHIYODA: u64 = 101;

/// Monday 2026-04-06 10:00 JST.
pub fn monday_10() -> OffsetDateTime {
    time::macros::datetime!(2026-04-06 10:00 +09:00)
}

pub struct World {
    pub clock: Clock,
    pub engine: JohoRenkei,
    pub fukuhon: Arc<MemoryFukuhon>,
    pub fugou: Arc<MemoryFugou>,
    pub nws: Arc<FugouIssuance>,
    pub tenants: Vec<TenantSpec>,
    /// Every event committed, in order (the store hook).
    pub events: Arc<Mutex<Vec<ShoukaiEvent>>>,
}

impl World {
    /// `tenants` (both 本番 and テスト) on a clock frozen at `at`, with `config`.
    pub fn new(tenants: &[KikanCode], at: OffsetDateTime, config: ShoukaiConfig) -> Self {
        let catalogs = Catalogs::embedded();
        let specs: Vec<TenantSpec> = tenants
            .iter()
            .map(|k| {
                TenantSpec::from_dantai(
                    catalogs.dantai.by_kikan_code(k).expect("a catalog 団体"),
                    &MsgMode::ALL,
                )
            })
            .collect();
        Self::with_specs(specs, at, config)
    }

    pub fn with_specs(specs: Vec<TenantSpec>, at: OffsetDateTime, config: ShoukaiConfig) -> Self {
        let clock = Clock::frozen(at);
        let fukuhon = Arc::new(MemoryFukuhon::new(&Catalogs::embedded().layouts));
        let fugou = Arc::new(MemoryFugou::new());
        let nws = Arc::new(FugouIssuance::new(b"nws_shoukai test seed"));
        for spec in &specs {
            for index in (0..PEOPLE).chain([NO_FUGOU_AT_CHIYODA, ONLY_AT_CHIYODA]) {
                let skip = (index == NO_FUGOU_AT_CHIYODA && spec.kikan == chiyoda())
                    || (index == ONLY_AT_CHIYODA && spec.kikan != chiyoda());
                if !skip {
                    fugou
                        .shutoku(
                            nws.as_ref(),
                            spec.kikan,
                            tougou(spec.kikan, index),
                            juminhyo(index),
                        )
                        .unwrap();
                }
            }
        }
        let events: Arc<Mutex<Vec<ShoukaiEvent>>> = Arc::default();
        let mut engine = JohoRenkei::new(
            clock.clone(),
            Catalogs::embedded(),
            config,
            Renkeisaki {
                fugou: fugou.clone(),
                henkan: nws.clone(),
                source: fukuhon.clone(),
            },
            specs.clone(),
        );
        let sink = events.clone();
        engine.persist_to(Arc::new(move |event: &ShoukaiEvent| {
            sink.lock().unwrap().push(event.clone());
            Ok(())
        }));
        Self {
            clock,
            engine,
            fukuhon,
            fugou,
            nws,
            tenants: specs,
            events,
        }
    }

    /// Registers, through the real 副本登録 validator, the 副本 of `dataset` of `tokutei` for person
    /// `index` at `teikyousha` in `mode`, keyed `record_key`, in the edition in force today.
    pub fn fukuhon(
        &self,
        teikyousha: KikanCode,
        mode: MsgMode,
        index: u64,
        tokutei: TokuteiKojinJohoMeiCode,
        dataset: &str,
        record_key: &str,
    ) {
        let today = self.today();
        let layouts = &Catalogs::embedded().layouts;
        let edition = layouts.edition_in_force(today).unwrap().version.clone();
        self.fukuhon_in(
            teikyousha, mode, index, tokutei, &edition, dataset, record_key,
        );
    }

    /// As [`World::fukuhon`], in a chosen edition (a 副本 of the old or the new layout).
    #[allow(clippy::too_many_arguments)]
    pub fn fukuhon_in(
        &self,
        teikyousha: KikanCode,
        mode: MsgMode,
        index: u64,
        tokutei: TokuteiKojinJohoMeiCode,
        edition: &str,
        dataset: &str,
        record_key: &str,
    ) {
        let layouts = &Catalogs::embedded().layouts;
        let today = self.today();
        let raw = synthetic_record(
            layouts,
            tokutei,
            edition,
            dataset,
            tougou(teikyousha, index),
            record_key,
            today,
            1,
        )
        .expect("the dataset is in the edition");
        let checked = Validator::new(layouts, today).check(&raw);
        let record = checked
            .record
            .unwrap_or_else(|| panic!("the synthetic 副本 is valid: {:?}", checked.kekka));
        self.fukuhon.apply(teikyousha, mode, &record);
    }

    pub fn today(&self) -> Date {
        self.clock.now().to_offset(JST).date()
    }

    /// Everything committed so far, read back through JSON (as the store would).
    pub fn stored_events(&self) -> Vec<ShoukaiEvent> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .map(|e| serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap())
            .collect()
    }

    /// A new engine on the same clock and parts, with the stored events replayed.
    pub fn replayed(&self) -> JohoRenkei {
        let engine = JohoRenkei::new(
            self.clock.clone(),
            Catalogs::embedded(),
            self.engine.config().clone(),
            Renkeisaki {
                fugou: self.fugou.clone(),
                henkan: self.nws.clone(),
                source: self.fukuhon.clone(),
            },
            self.tenants.clone(),
        );
        engine.replay(self.stored_events());
        engine
    }
}

/// 児童手当 (JM74, 認定の請求の審査 JT7401) asks 地方税関係情報 (TM02) of `teikyousha` for person
/// `index` (as 千代田区 knows them), 年度 2025, 本番.
pub fn jidou_teate(teikyousha: KikanCode, index: u64) -> ShoukaiNaiyou {
    ShoukaiNaiyou {
        tougou: tougou(chiyoda(), index),
        jimu: jm(74),
        tetsuzuki: jt(7401),
        tokutei: tm(2),
        teikyousha,
        jouken: ShoukaiJouken::nendo(2025).unwrap(),
        msg_mode: MsgMode::Honban,
        fukaiji: false,
    }
}

/// 生活保護 (JM26, JT2601) asks `tokutei` of `teikyousha` for person `index`.
pub fn seikatsu_hogo(
    teikyousha: KikanCode,
    index: u64,
    tokutei: TokuteiKojinJohoMeiCode,
    jouken: ShoukaiJouken,
) -> ShoukaiNaiyou {
    ShoukaiNaiyou {
        tougou: tougou(chiyoda(), index),
        jimu: jm(26),
        tetsuzuki: jt(2601),
        tokutei,
        teikyousha,
        jouken,
        msg_mode: MsgMode::Honban,
        fukaiji: false,
    }
}

/// Both sides' records of every 処理通番 agree; returns how many 照会 had records.
pub fn assert_records_agree(engine: &JohoRenkei, tenants: &[KikanCode]) -> usize {
    use renkei_simulator::nws::shoukai::{KirokuKensaku, KirokuKubun};
    use std::collections::BTreeMap;
    let mut by_number: BTreeMap<ShoriTsuuban, Vec<_>> = BTreeMap::new();
    for &kikan in tenants {
        for kiroku in engine.kiroku(kikan, &KirokuKensaku::default()).unwrap() {
            let owner = match kiroku.kubun {
                KirokuKubun::Shoukai => kiroku.shoukaisha,
                KirokuKubun::Teikyou => kiroku.teikyousha,
            };
            assert_eq!(owner, kikan, "a tenant holds only its own side");
            by_number
                .entry(kiroku.shori_tsuuban)
                .or_default()
                .push(kiroku);
        }
    }
    for (number, records) in &by_number {
        assert_eq!(records.len(), 2, "{number}: one record on each side");
        let kubun: Vec<_> = records.iter().map(|k| k.kubun).collect();
        assert!(kubun.contains(&KirokuKubun::Shoukai) && kubun.contains(&KirokuKubun::Teikyou));
        assert_eq!(records[0].kyoutsuu(), records[1].kyoutsuu(), "{number}");
    }
    by_number.len()
}
