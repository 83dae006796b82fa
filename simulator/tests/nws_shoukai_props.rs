//! Properties of the 情報照会 / 情報提供 engine under any sequence of operations by three tenants
//! (single and bulk 照会, 取りやめ, 確認, 送信許可, 記録 changes, 副本 and 自動応答不可 changes,
//! the clock moving through nights, weekends and 30-day expiries):
//!
//! - both sides' 情報提供等記録 of every 処理通番 agree, and agree with the 照会's status;
//! - replaying the stored events gives the same records, 通知 and statuses;
//! - nothing panics: every refusal is a typed error.

mod nws_shoukai_support;

use nws_shoukai_support::*;
use proptest::prelude::*;
use renkei_fixtures::ids::KikanCode;
use renkei_simulator::nws::shoukai::{
    KirokuHenkou, KirokuKekka, KirokuKensaku, MsgMode, ShoriTsuuban, ShoukaiConfig, ShoukaiJouken,
    ShoukaiNaiyou, ShoukaiStatus,
};
use time::Duration;
use time::macros::date;

#[derive(Debug, Clone)]
enum Op {
    Shoukai {
        from: usize,
        to: usize,
        person: u64,
        test: bool,
    },
    Ikkatsu {
        from: usize,
        to: usize,
        persons: Vec<u64>,
    },
    Toriyame {
        pick: usize,
    },
    Kakunin {
        pick: usize,
    },
    SoushinKyoka {
        pick: usize,
    },
    Henkou {
        pick: usize,
        teikyou_side: bool,
        jiyuu: bool,
        fukaiji: Option<bool>,
    },
    Fukuhon {
        tenant: usize,
        person: u64,
        test: bool,
    },
    JidouOutouFuka {
        tenant: usize,
        on: bool,
    },
    Advance {
        minutes: i64,
    },
}

fn tenants() -> [KikanCode; 3] {
    [chiyoda(), chofu(), fujimi()]
}

fn person() -> impl Strategy<Value = u64> {
    prop_oneof![9 => 0..6u64, 1 => Just(NO_FUGOU_AT_CHIYODA)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, 0..3usize, person(), any::<bool>())
            .prop_map(|(from, to, person, test)| Op::Shoukai { from, to, person, test }),
        2 => (0..3usize, 0..3usize, proptest::collection::vec(person(), 1..6))
            .prop_map(|(from, to, persons)| Op::Ikkatsu { from, to, persons }),
        2 => any::<usize>().prop_map(|pick| Op::Toriyame { pick }),
        3 => any::<usize>().prop_map(|pick| Op::Kakunin { pick }),
        3 => any::<usize>().prop_map(|pick| Op::SoushinKyoka { pick }),
        2 => (any::<usize>(), any::<bool>(), any::<bool>(), proptest::option::of(any::<bool>()))
            .prop_map(|(pick, teikyou_side, jiyuu, fukaiji)| Op::Henkou { pick, teikyou_side, jiyuu, fukaiji }),
        3 => (0..3usize, 0..6u64, any::<bool>())
            .prop_map(|(tenant, person, test)| Op::Fukuhon { tenant, person, test }),
        2 => (0..3usize, any::<bool>()).prop_map(|(tenant, on)| Op::JidouOutouFuka { tenant, on }),
        3 => prop_oneof![1i64..120, 120i64..2_000, 2_000i64..20_000]
            .prop_map(|minutes| Op::Advance { minutes }),
    ]
}

/// What `from` may ask of `to` under the legal basis (with one pair it may not: a 市区町村's
/// 地方税 照会 of the 一部事務組合, refused with the real message).
fn naiyou(from: KikanCode, to: KikanCode, person: u64, test: bool) -> ShoukaiNaiyou {
    let kumiai = |k: KikanCode| k == fujimi();
    let (jimu, tetsuzuki, tokutei, jouken) = if kumiai(from) {
        (
            jm(904),
            jt(90401),
            tm(2),
            ShoukaiJouken::nendo(2025).unwrap(),
        )
    } else if kumiai(to) && person.is_multiple_of(2) {
        (
            jm(26),
            jt(2601),
            tm(4),
            ShoukaiJouken::kikan(date!(2026 - 01 - 01), date!(2026 - 12 - 31)).unwrap(),
        )
    } else {
        (jm(74), jt(7401), tm(2), ShoukaiJouken::nendo(2025).unwrap())
    };
    ShoukaiNaiyou {
        tougou: tougou(from, person),
        jimu,
        tetsuzuki,
        tokutei,
        teikyousha: to,
        jouken,
        msg_mode: if test { MsgMode::Test } else { MsgMode::Honban },
        fukaiji: person == 3,
    }
}

fn run(world: &World, ops: &[Op]) -> Vec<(KikanCode, ShoriTsuuban)> {
    let tenants = tenants();
    let engine = &world.engine;
    // (照会者, 処理通番) of every 照会 registered.
    let mut known: Vec<(KikanCode, ShoriTsuuban)> = Vec::new();
    for op in ops {
        match op {
            Op::Shoukai {
                from,
                to,
                person,
                test,
            } => {
                let (from, to) = (tenants[*from], tenants[*to]);
                if let Ok(shoukai) = engine.shoukai(from, naiyou(from, to, *person, *test)) {
                    known.push((from, shoukai.shori_tsuuban));
                }
            }
            Op::Ikkatsu { from, to, persons } => {
                let (from, to) = (tenants[*from], tenants[*to]);
                let meisai = persons
                    .iter()
                    .map(|p| naiyou(from, to, *p, false))
                    .collect();
                if let Ok(uketsuke) = engine.ikkatsu_shoukai(from, meisai) {
                    known.extend(uketsuke.meisai.iter().map(|m| (from, m.shori_tsuuban)));
                }
            }
            Op::Toriyame { pick } if !known.is_empty() => {
                let (kikan, number) = known[pick % known.len()];
                let _ = engine.toriyame(kikan, number);
            }
            Op::Kakunin { pick } | Op::SoushinKyoka { pick } if !known.is_empty() => {
                let (kikan, number) = known[pick % known.len()];
                if let Ok(shoukai) = engine.joukyou(kikan, number) {
                    let teikyousha = shoukai.naiyou.teikyousha;
                    let _ = match op {
                        Op::Kakunin { .. } => engine.kakunin(teikyousha, number),
                        _ => engine.soushin_kyoka(teikyousha, number),
                    };
                }
            }
            Op::Henkou {
                pick,
                teikyou_side,
                jiyuu,
                fukaiji,
            } if !known.is_empty() => {
                let (kikan, number) = known[pick % known.len()];
                let side = match engine.joukyou(kikan, number) {
                    Ok(shoukai) if *teikyou_side => shoukai.naiyou.teikyousha,
                    _ => kikan,
                };
                let henkou = KirokuHenkou {
                    jiyuu: jiyuu.then(|| "照会先の誤り".to_owned()),
                    fukaiji: *fukaiji,
                };
                let _ = engine.kiroku_henkou(side, number, henkou);
            }
            Op::Fukuhon {
                tenant,
                person,
                test,
            } => {
                let mode = if *test {
                    MsgMode::Test
                } else {
                    MsgMode::Honban
                };
                let kikan = tenants[*tenant];
                if kikan == fujimi() {
                    world.fukuhon(kikan, mode, *person, tm(4), "D0401", "2026-04-01");
                } else {
                    world.fukuhon(kikan, mode, *person, tm(2), "D0201", "2025");
                }
            }
            Op::JidouOutouFuka { tenant, on } => {
                let kikan = tenants[*tenant];
                let (tokutei, dataset) = if kikan == fujimi() {
                    (tm(4), "D0401")
                } else {
                    (tm(2), "D0201")
                };
                world
                    .fukuhon
                    .set_jidou_outou_fuka(kikan, tokutei, dataset, *on);
            }
            Op::Advance { minutes } => {
                world.clock.advance(Duration::minutes(*minutes)).unwrap();
            }
            _ => {}
        }
    }
    engine.tick().unwrap();
    known
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn both_sides_always_agree_and_a_replay_rebuilds_everything(ops in proptest::collection::vec(op(), 1..40)) {
        let world = World::new(&tenants(), monday_10(), ShoukaiConfig::default());
        let known = run(&world, &ops);
        let engine = &world.engine;
        assert_records_agree(engine, &tenants());

        // Each record says what the 照会 says.
        for &(kikan, number) in &known {
            let shoukai = engine.joukyou(kikan, number).unwrap();
            let records: Vec<_> = engine
                .kiroku(kikan, &KirokuKensaku::default())
                .unwrap()
                .into_iter()
                .filter(|k| k.shori_tsuuban == number)
                .collect();
            prop_assert_eq!(records.len(), usize::from(shoukai.motome_at.is_some()));
            if let Some(record) = records.first() {
                let expected = match shoukai.status {
                    ShoukaiStatus::Kaitoumachi => KirokuKekka::Miteikyou,
                    ShoukaiStatus::SeijouShuuryou => KirokuKekka::Teikyou,
                    ShoukaiStatus::Gaitounashi => KirokuKekka::Gaitounashi,
                    ShoukaiStatus::TeikyouFuka => KirokuKekka::TeikyouFuka,
                    ShoukaiStatus::Toriyame => KirokuKekka::Toriyame,
                    ShoukaiStatus::YuukouKikanGire => KirokuKekka::YuukouKikanGire,
                    other => panic!("{number}: a 照会 in {other} has a record"),
                };
                prop_assert_eq!(record.kekka, expected);
                prop_assert_eq!(record.motome_at, shoukai.motome_at.unwrap());
                prop_assert_eq!(record.msg_mode, shoukai.naiyou.msg_mode);
            }
            // No pending 提供 outlives its 30 days.
            if shoukai.status == ShoukaiStatus::Kaitoumachi {
                prop_assert!(world.clock.now() < shoukai.motome_at.unwrap() + Duration::days(30));
            }
        }

        let replayed = world.replayed();
        for kikan in tenants() {
            prop_assert_eq!(
                replayed.kiroku(kikan, &KirokuKensaku::default()).unwrap(),
                engine.kiroku(kikan, &KirokuKensaku::default()).unwrap()
            );
            prop_assert_eq!(
                replayed.tsuuchi(kikan, 0, usize::MAX).unwrap(),
                engine.tsuuchi(kikan, 0, usize::MAX).unwrap()
            );
            prop_assert_eq!(
                replayed.teikyou_ichiran(kikan, false).unwrap(),
                engine.teikyou_ichiran(kikan, false).unwrap()
            );
        }
        for &(kikan, number) in &known {
            prop_assert_eq!(replayed.joukyou(kikan, number).unwrap(), engine.joukyou(kikan, number).unwrap());
        }
    }
}
