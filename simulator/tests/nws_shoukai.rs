//! 情報照会 / 情報提供 end to end on the engine, with two and three tenants on a frozen clock: single
//! and bulk 照会, 自動応答 and the manual queue, 取りやめ, the 30-day validity, the stop window and
//! service hours, the documented limits, MSGMode, the layout switch of seed 004 §2.4, the
//! 情報提供等記録 and 通知 of both sides, replay, and every refusal as a typed Japanese error.

mod nws_shoukai_support;

use nws_shoukai_support::*;
use renkei_simulator::nws::shoukai::{
    HOURLY_MAX_SHOUKAI, IKKATSU_MAX_MEISAI, Kiroku, KirokuHenkou, KirokuKekka, KirokuKensaku,
    KirokuKubun, MsgMode, OutouHouhou, ShoriTsuuban, ShoukaiConfig, ShoukaiError, ShoukaiJouken,
    ShoukaiStatus, TeikyouStatus, TenantSpec, TsuuchiKind, UketsukeBango,
};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

fn two() -> World {
    World::new(&[chiyoda(), chofu()], monday_10(), ShoukaiConfig::default())
}

fn kinds(
    world: &World,
    kikan: renkei_fixtures::ids::KikanCode,
) -> Vec<(TsuuchiKind, ShoriTsuuban)> {
    world
        .engine
        .tsuuchi(kikan, 0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|t| (t.kind, t.shori_tsuuban))
        .collect()
}

fn records(world: &World, kikan: renkei_fixtures::ids::KikanCode) -> Vec<Kiroku> {
    world
        .engine
        .kiroku(kikan, &KirokuKensaku::default())
        .unwrap()
}

#[test]
fn what_is_left_out_is_the_providers_teikyou_jogai_master() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0202", "2025");
    let provided = |world: &World| {
        let shoukai = world
            .engine
            .shoukai(chiyoda(), jidou_teate(chofu(), 1))
            .unwrap();
        assert_eq!(shoukai.status, ShoukaiStatus::SeijouShuuryou);
        world
            .engine
            .kekka(chiyoda(), shoukai.shori_tsuuban)
            .unwrap()
            .kekka[0]
            .fukuhon
            .clone()
    };
    // No master: every item of the 副本 is provided (the layout catalog's provision_excluded is
    // only what a 団体 is expected to register).
    let all = provided(&world);
    assert!(all.contains("<項目 名=\"給与収入額\">"), "{all}");
    // Another tenant's master changes nothing for 調布市.
    world
        .fukuhon
        .set_teikyou_jogai(chiyoda(), tm(2), "D0202", &["給与収入額"]);
    assert!(provided(&world).contains("給与収入額"));
    // 調布市's master: exactly its items are left out, from the next 提供 on.
    world
        .fukuhon
        .set_teikyou_jogai(chofu(), tm(2), "D0202", &["給与収入額", "給与所得額"]);
    let without = provided(&world);
    assert!(
        !without.contains("給与収入額") && !without.contains("給与所得額"),
        "{without}"
    );
    assert!(without.contains("合計所得金額"), "{without}");
    // Cleared: provided again.
    world
        .fukuhon
        .set_teikyou_jogai(chofu(), tm(2), "D0202", &[]);
    assert!(provided(&world).contains("給与収入額"));
}

#[test]
fn a_single_shoukai_is_answered_automatically_and_fetched_by_its_shori_tsuuban() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0202", "2025");
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2024");
    // 調布市's 提供除外項目マスタ (seed 004 §3.3 #9): D0202 の 給与収入額.
    world
        .fukuhon
        .set_teikyou_jogai(chofu(), tm(2), "D0202", &["給与収入額"]);

    let shoukai = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap();
    assert_eq!(shoukai.status, ShoukaiStatus::SeijouShuuryou);
    assert_eq!(shoukai.shori_tsuuban.to_string(), "2026040600000001");
    assert_eq!(shoukai.uketsuke_bango.to_string(), "2026040600000001");
    assert_eq!(shoukai.motome_at, Some(monday_10()));

    let kekka = world
        .engine
        .kekka(chiyoda(), shoukai.shori_tsuuban)
        .unwrap();
    let datasets: Vec<_> = kekka
        .kekka
        .iter()
        .map(|h| (h.dataset.as_str(), h.record_key.as_str()))
        .collect();
    assert_eq!(
        datasets,
        [("D0201", "2025"), ("D0202", "2025")],
        "年度 2025 only"
    );
    let d0201 = &kekka.kekka[0].fukuhon;
    assert!(
        d0201.starts_with("<副本 特定個人情報名コード=\"TM00000000000002\""),
        "{d0201}"
    );
    assert!(
        d0201.contains("<項目 名=\"課税年度\">2025</項目>"),
        "{d0201}"
    );
    // 給与収入額 is in 調布市's 提供除外項目マスタ (seed 004 §3.3 #9): registered, never provided.
    assert!(
        !kekka.kekka[1].fukuhon.contains("給与収入額"),
        "{}",
        kekka.kekka[1].fukuhon
    );
    assert!(kekka.kekka[1].fukuhon.contains("合計所得金額"));

    // The 提供者 sees its side under the same 処理通番, by its own 団体内統合宛名番号.
    let teikyou = world
        .engine
        .teikyou(chofu(), shoukai.shori_tsuuban)
        .unwrap();
    assert_eq!(teikyou.status, TeikyouStatus::Teikyouzumi);
    assert_eq!(teikyou.outou, OutouHouhou::Jidou);
    assert_eq!(teikyou.tougou, tougou(chofu(), 1));
    assert_eq!(teikyou.yuukou_kigen, monday_10() + Duration::days(30));

    // Neither sees the other's side.
    assert_eq!(
        world
            .engine
            .joukyou(chofu(), shoukai.shori_tsuuban)
            .unwrap_err(),
        ShoukaiError::UnknownShoukai {
            shori_tsuuban: shoukai.shori_tsuuban
        }
    );
    assert_eq!(
        world
            .engine
            .teikyou(chiyoda(), shoukai.shori_tsuuban)
            .unwrap_err()
            .code(),
        "SK51"
    );

    assert_eq!(
        kinds(&world, chiyoda()),
        [(TsuuchiKind::ShoukaiKekka, shoukai.shori_tsuuban)]
    );
    assert!(
        kinds(&world, chofu()).is_empty(),
        "自動応答 needs nobody at the 提供者"
    );
    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu()]),
        1
    );
    let mine = &records(&world, chiyoda())[0];
    assert_eq!(mine.kubun, KirokuKubun::Shoukai);
    assert_eq!(mine.tougou, tougou(chiyoda(), 1));
    assert_eq!(mine.kekka, KirokuKekka::Teikyou);
    assert_eq!(mine.teikyou_at, Some(monday_10()));
    assert_eq!(records(&world, chofu())[0].tougou, tougou(chofu(), 1));
}

#[test]
fn gaitounashi_is_an_answer_with_an_empty_result() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2024");
    let shoukai = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap();
    assert_eq!(shoukai.status, ShoukaiStatus::Gaitounashi);
    let kekka = world
        .engine
        .kekka(chiyoda(), shoukai.shori_tsuuban)
        .unwrap();
    assert!(kekka.kekka.is_empty());
    assert_eq!(records(&world, chofu())[0].kekka, KirokuKekka::Gaitounashi);
    assert_eq!(
        world
            .engine
            .teikyou(chofu(), shoukai.shori_tsuuban)
            .unwrap()
            .status,
        TeikyouStatus::Gaitounashi
    );
}

#[test]
fn the_legal_basis_refuses_with_the_real_message_and_registers_nothing() {
    let world = World::new(
        &[chiyoda(), chofu(), fujimi()],
        monday_10(),
        ShoukaiConfig::default(),
    );
    // 児童手当 may not ask 医療保険 information.
    let mut naiyou = jidou_teate(chofu(), 1);
    naiyou.tokutei = tm(31);
    let error = world.engine.shoukai(chiyoda(), naiyou).unwrap_err();
    assert_eq!(
        error.to_string(),
        "指定された特定個人情報名「TM00000000000031」の照会は許可されていません。"
    );
    assert_eq!(error.code(), "SK21");
    // 地方税関係情報 is asked of a 市区町村, not of a 一部事務組合.
    let error = world
        .engine
        .shoukai(chiyoda(), jidou_teate(fujimi(), 1))
        .unwrap_err();
    assert_eq!(error, ShoukaiError::NotPermitted { tokutei: tm(2) });
    // 後期高齢者医療 is a 広域連合's 事務, not a 市区町村's.
    let mut naiyou = jidou_teate(chofu(), 1);
    naiyou.jimu = jm(904);
    naiyou.tetsuzuki = jt(90401);
    let error = world.engine.shoukai(chiyoda(), naiyou).unwrap_err();
    assert_eq!(error.code(), "SK20");
    assert!(
        error
            .to_string()
            .contains("市区町村が情報照会者となる事務ではありません"),
        "{error}"
    );

    assert!(
        world.events.lock().unwrap().is_empty(),
        "a refused single 照会 leaves nothing"
    );
    assert!(records(&world, chiyoda()).is_empty());
}

#[test]
fn a_person_without_a_fugou_is_refused_with_the_real_message() {
    let world = two();
    let error = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), NO_FUGOU_AT_CHIYODA))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "指定された団体内統合宛名番号「000131016000100」は符号が未取得です。"
    );
    assert_eq!(error.code(), "SK22");
    // The 提供者 never obtained this person's 符号: the NWS cannot convert.
    let error = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), ONLY_AT_CHIYODA))
        .unwrap_err();
    assert_eq!(error.code(), "SK23");
    assert!(
        error.to_string().contains("本人の符号を取得していません"),
        "{error}"
    );
}

#[test]
fn bad_input_is_a_typed_error_in_japanese_never_a_panic() {
    let world = two();
    let unknown_kikan = renkei_fixtures::ids::KikanCode::from_number(9_999_999_999_999_999);
    let check = |kikan, naiyou, code: &str, text: &str| {
        let error = world.engine.shoukai(kikan, naiyou).unwrap_err();
        assert_eq!(error.code(), code, "{error}");
        assert!(error.to_string().contains(text), "{error} / {text}");
    };
    check(
        unknown_kikan,
        jidou_teate(chofu(), 1),
        "SK01",
        "中間サーバー (テナント) はありません",
    );
    check(
        chiyoda(),
        jidou_teate(unknown_kikan, 1),
        "SK04",
        "情報提供ネットワークシステムに登録されていません",
    );
    check(chiyoda(), jidou_teate(chiyoda(), 1), "SK05", "同じ機関");
    let mut naiyou = jidou_teate(chofu(), 1);
    naiyou.tokutei = tm(99);
    check(
        chiyoda(),
        naiyou,
        "SK10",
        "特定個人情報名コード「TM00000000000099」はデータ標準レイアウトにありません",
    );
    let mut naiyou = jidou_teate(chofu(), 1);
    naiyou.jimu = jm(999);
    check(chiyoda(), naiyou, "SK11", "事務コード「JM00000000000999」");
    let mut naiyou = jidou_teate(chofu(), 1);
    naiyou.tetsuzuki = jt(99_999);
    check(
        chiyoda(),
        naiyou,
        "SK12",
        "事務手続コード「JT00000000099999」",
    );
    let mut naiyou = jidou_teate(chofu(), 1);
    naiyou.tetsuzuki = jt(5701);
    check(
        chiyoda(),
        naiyou,
        "SK13",
        "事務「JM00000000000074」の事務手続ではありません",
    );
    // A condition built around the constructors (as from JSON) is still checked.
    let mut naiyou = jidou_teate(chofu(), 1);
    naiyou.jouken = ShoukaiJouken::Kikan {
        start: date!(2025 - 10 - 01),
        end: date!(2025 - 04 - 01),
    };
    check(
        chiyoda(),
        naiyou,
        "SK14",
        "開始日 2025-10-01 が終了日 2025-04-01 より後です",
    );
    let mut naiyou = jidou_teate(chofu(), 1);
    naiyou.jouken = ShoukaiJouken::Nendo { nendo: 31 };
    check(chiyoda(), naiyou, "SK14", "照会年度「31」は不正です");
    // Text that is not a 処理通番 / an unknown 処理通番 / 受付番号.
    assert!(
        "12345"
            .parse::<ShoriTsuuban>()
            .unwrap_err()
            .to_string()
            .contains("処理通番「12345」は不正です")
    );
    let unknown: ShoriTsuuban = "2026040699999999".parse().unwrap();
    assert_eq!(
        world.engine.joukyou(chiyoda(), unknown).unwrap_err().code(),
        "SK50"
    );
    assert_eq!(
        world.engine.kekka(chiyoda(), unknown).unwrap_err().code(),
        "SK50"
    );
    assert_eq!(
        world
            .engine
            .toriyame(chiyoda(), unknown)
            .unwrap_err()
            .code(),
        "SK50"
    );
    assert_eq!(
        world.engine.kakunin(chofu(), unknown).unwrap_err().code(),
        "SK51"
    );
    assert_eq!(
        world
            .engine
            .soushin_kyoka(chofu(), unknown)
            .unwrap_err()
            .code(),
        "SK51"
    );
    let uketsuke: UketsukeBango = "2026040600000009".parse().unwrap();
    assert_eq!(
        world
            .engine
            .uketsuke_joukyou(chiyoda(), uketsuke)
            .unwrap_err()
            .code(),
        "SK52"
    );
    assert_eq!(
        world
            .engine
            .kiroku_henkou(
                chiyoda(),
                unknown,
                KirokuHenkou {
                    jiyuu: Some("x".into()),
                    fukaiji: None
                }
            )
            .unwrap_err()
            .code(),
        "SK53"
    );
    assert_eq!(
        world
            .engine
            .ikkatsu_shoukai(chiyoda(), Vec::new())
            .unwrap_err(),
        ShoukaiError::EmptyIkkatsu
    );
    assert_eq!(
        world
            .engine
            .tsuuchi(unknown_kikan, 0, 10)
            .unwrap_err()
            .code(),
        "SK01"
    );
    assert!(world.events.lock().unwrap().is_empty());
}

#[test]
fn bad_meisai_of_a_bulk_file_end_in_error_while_the_others_go_on() {
    let world = World::new(
        &[chiyoda(), chofu()],
        monday_10(),
        ShoukaiConfig {
            ikkatsu_per_meisai: Duration::ZERO,
            ..ShoukaiConfig::default()
        },
    );
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    let mut unknown_tm = jidou_teate(chofu(), 1);
    unknown_tm.tokutei = tm(99);
    let mut not_permitted = jidou_teate(chofu(), 1);
    not_permitted.tokutei = tm(31);
    let uketsuke = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            vec![
                jidou_teate(chofu(), 1),
                unknown_tm,
                not_permitted,
                jidou_teate(chofu(), NO_FUGOU_AT_CHIYODA),
            ],
        )
        .unwrap();
    let meisai = world
        .engine
        .uketsuke_joukyou(chiyoda(), uketsuke.uketsuke_bango)
        .unwrap();
    let outcome: Vec<_> = meisai
        .iter()
        .map(|m| (m.status, m.error_code.as_deref()))
        .collect();
    assert_eq!(
        outcome,
        [
            (ShoukaiStatus::SeijouShuuryou, None),
            (ShoukaiStatus::Error, Some("SK10")),
            (ShoukaiStatus::Error, Some("SK21")),
            (ShoukaiStatus::Error, Some("SK22")),
        ]
    );
    assert_eq!(
        meisai[2].message.as_deref(),
        Some("指定された特定個人情報名「TM00000000000031」の照会は許可されていません。")
    );
    assert_eq!(
        meisai[3].message.as_deref(),
        Some("指定された団体内統合宛名番号「000131016000100」は符号が未取得です。")
    );
    // Each 明細 has its own 処理通番 and 結果通知; only the one that reached the 提供者 has records.
    let numbers: Vec<_> = meisai.iter().map(|m| m.shori_tsuuban.serial()).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert_eq!(kinds(&world, chiyoda()).len(), 4);
    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu()]),
        1
    );
}

#[test]
fn jidou_outou_fuka_goes_to_the_manual_queue_then_kakunin_and_soushin_kyoka() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0202", "2025");
    world
        .fukuhon
        .set_jidou_outou_fuka(chofu(), tm(2), "D0202", true);

    let shoukai = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap();
    let number = shoukai.shori_tsuuban;
    assert_eq!(shoukai.status, ShoukaiStatus::Kaitoumachi);
    assert_eq!(
        world
            .engine
            .kekka(chiyoda(), number)
            .unwrap_err()
            .to_string(),
        format!("処理通番「{number}」の照会は「回答待ち」です: 照会結果はまだありません。")
    );
    assert_eq!(
        kinds(&world, chofu()),
        [(TsuuchiKind::JidouOutouFukaKakuninIrai, number)]
    );
    let queue = world.engine.teikyou_ichiran(chofu(), true).unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].status, TeikyouStatus::KakuninMachi);
    assert_eq!(records(&world, chofu())[0].kekka, KirokuKekka::Miteikyou);

    // 送信許可 comes after the 確認.
    let error = world.engine.soushin_kyoka(chofu(), number).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("処理通番「{number}」の提供の求めは「確認待ち」のため送信許可できません。")
    );
    // Only the 提供者 can act on its 提供.
    assert_eq!(
        world.engine.kakunin(chiyoda(), number).unwrap_err().code(),
        "SK51"
    );

    world.clock.advance(Duration::hours(2)).unwrap();
    let checked = world.engine.kakunin(chofu(), number).unwrap();
    assert_eq!(checked.status, TeikyouStatus::SoushinKyokaMachi);
    assert_eq!(
        kinds(&world, chofu())[1],
        (TsuuchiKind::SoushinKyokaIrai, number)
    );
    assert_eq!(
        world.engine.kakunin(chofu(), number).unwrap_err().code(),
        "SK56"
    );

    world.clock.advance(Duration::hours(1)).unwrap();
    let sent = world.engine.soushin_kyoka(chofu(), number).unwrap();
    assert_eq!(sent.status, TeikyouStatus::Teikyouzumi);
    assert!(
        world
            .engine
            .teikyou_ichiran(chofu(), true)
            .unwrap()
            .is_empty()
    );
    let kekka = world.engine.kekka(chiyoda(), number).unwrap();
    assert_eq!(kekka.status, ShoukaiStatus::SeijouShuuryou);
    assert_eq!(kekka.kekka.len(), 2);
    assert!(
        kekka
            .kekka
            .iter()
            .any(|h| h.dataset == "D0202" && h.jidou_outou_fuka)
    );
    assert_eq!(
        kinds(&world, chiyoda()),
        [(TsuuchiKind::ShoukaiKekka, number)]
    );

    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu()]),
        1
    );
    let record = &records(&world, chiyoda())[0];
    assert_eq!(record.outou, OutouHouhou::Shudou);
    assert_eq!(record.motome_at, monday_10());
    assert_eq!(record.teikyou_at, Some(monday_10() + Duration::hours(3)));
}

#[test]
fn toriyame_before_the_answer_notifies_both_sides() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    world
        .fukuhon
        .set_jidou_outou_fuka(chofu(), tm(2), "D0201", true);
    let number = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap()
        .shori_tsuuban;
    // Another tenant cannot withdraw it.
    assert_eq!(
        world.engine.toriyame(chofu(), number).unwrap_err().code(),
        "SK50"
    );

    let withdrawn = world.engine.toriyame(chiyoda(), number).unwrap();
    assert_eq!(withdrawn.status, ShoukaiStatus::Toriyame);
    assert_eq!(
        kinds(&world, chiyoda()),
        [(TsuuchiKind::ToriyameKekka, number)]
    );
    assert_eq!(
        kinds(&world, chofu()),
        [
            (TsuuchiKind::JidouOutouFukaKakuninIrai, number),
            (TsuuchiKind::ToriyameKanryou, number)
        ]
    );
    assert_eq!(
        world.engine.teikyou(chofu(), number).unwrap().status,
        TeikyouStatus::Toriyame
    );
    assert_eq!(
        world
            .engine
            .kakunin(chofu(), number)
            .unwrap_err()
            .to_string(),
        format!("処理通番「{number}」の提供の求めは「取りやめ」のため確認できません。")
    );
    assert_eq!(
        world
            .engine
            .toriyame(chiyoda(), number)
            .unwrap_err()
            .to_string(),
        format!("処理通番「{number}」の照会は既に「取りやめ」のため取りやめできません。")
    );
    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu()]),
        1
    );
    let record = &records(&world, chofu())[0];
    assert_eq!(
        (record.kekka, record.teikyou_at),
        (KirokuKekka::Toriyame, None)
    );

    // An answered 照会 cannot be withdrawn.
    world
        .fukuhon
        .set_jidou_outou_fuka(chofu(), tm(2), "D0201", false);
    let answered = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap()
        .shori_tsuuban;
    assert_eq!(
        world
            .engine
            .toriyame(chiyoda(), answered)
            .unwrap_err()
            .code(),
        "SK55"
    );
}

#[test]
fn a_queued_bulk_meisai_withdrawn_before_it_is_sent_leaves_no_record() {
    let world = two();
    let uketsuke = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            vec![jidou_teate(chofu(), 1), jidou_teate(chofu(), 2)],
        )
        .unwrap();
    let second = uketsuke.meisai[1].shori_tsuuban;
    assert_eq!(uketsuke.meisai[1].status, ShoukaiStatus::Shorimachi);
    assert_eq!(
        world.engine.toriyame(chiyoda(), second).unwrap().status,
        ShoukaiStatus::Toriyame
    );
    world.clock.advance(Duration::minutes(1)).unwrap();
    let meisai = world
        .engine
        .uketsuke_joukyou(chiyoda(), uketsuke.uketsuke_bango)
        .unwrap();
    assert_eq!(meisai[0].status, ShoukaiStatus::Gaitounashi);
    assert_eq!(meisai[1].status, ShoukaiStatus::Toriyame);
    assert_eq!(meisai[1].motome_at, None);
    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu()]),
        1
    );
    assert!(!kinds(&world, chofu()).iter().any(|(_, n)| *n == second));
}

#[test]
fn an_unanswered_teikyou_expires_after_30_days_with_a_notice_before() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    world
        .fukuhon
        .set_jidou_outou_fuka(chofu(), tm(2), "D0201", true);
    let number = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap()
        .shori_tsuuban;

    world.clock.advance(Duration::days(24)).unwrap();
    world.engine.tick().unwrap();
    assert_eq!(kinds(&world, chofu()).len(), 1, "no 事前通知 yet");

    // 40 days at once: the 事前通知 (day 25) and the end (day 30) happen at their own times.
    world.clock.advance(Duration::days(16)).unwrap();
    world.engine.tick().unwrap();
    let feed = world.engine.tsuuchi(chofu(), 1, 10).unwrap();
    let seen: Vec<_> = feed.iter().map(|t| (t.kind, t.at)).collect();
    assert_eq!(
        seen,
        [
            (TsuuchiKind::KigireJizen, monday_10() + Duration::days(25)),
            (TsuuchiKind::Kigire, monday_10() + Duration::days(30)),
        ]
    );
    assert_eq!(
        world.engine.tsuuchi(chiyoda(), 0, 10).unwrap()[0].kind,
        TsuuchiKind::Kigire
    );
    let teikyou = world.engine.teikyou(chofu(), number).unwrap();
    assert_eq!(teikyou.status, TeikyouStatus::YuukouKikanGire);
    assert_eq!(
        teikyou.jizen_tsuuchi_at,
        Some(monday_10() + Duration::days(25))
    );
    assert_eq!(
        world.engine.joukyou(chiyoda(), number).unwrap().status,
        ShoukaiStatus::YuukouKikanGire
    );
    // Too late to send: the clock is now a Saturday afternoon, in hours.
    assert_eq!(world.clock.now(), datetime!(2026-05-16 10:00 +09:00));
    assert_eq!(
        world.engine.kakunin(chofu(), number).unwrap_err().code(),
        "SK56"
    );
    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu()]),
        1
    );
    assert_eq!(
        records(&world, chiyoda())[0].kekka,
        KirokuKekka::YuukouKikanGire
    );
}

#[test]
fn a_teikyou_answered_on_day_29_does_not_expire() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    world
        .fukuhon
        .set_jidou_outou_fuka(chofu(), tm(2), "D0201", true);
    let number = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap()
        .shori_tsuuban;
    world.clock.advance(Duration::days(29)).unwrap(); // Tuesday 2026-05-05 is こどもの日: 08–17.
    world.engine.kakunin(chofu(), number).unwrap();
    world.engine.soushin_kyoka(chofu(), number).unwrap();
    world.clock.advance(Duration::days(10)).unwrap();
    world.engine.tick().unwrap();
    assert_eq!(
        world.engine.joukyou(chiyoda(), number).unwrap().status,
        ShoukaiStatus::SeijouShuuryou
    );
    let chofu_kinds: Vec<_> = kinds(&world, chofu()).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        chofu_kinds,
        [
            TsuuchiKind::JidouOutouFukaKakuninIrai,
            TsuuchiKind::KigireJizen,
            TsuuchiKind::SoushinKyokaIrai
        ]
    );
}

#[test]
fn the_stop_window_and_service_hours_refuse_registration() {
    let world = two();
    let at = |when: OffsetDateTime| {
        world.clock.set(when);
        world.engine.shoukai(chiyoda(), jidou_teate(chofu(), 1))
    };
    let error = at(datetime!(2026-04-06 21:30 +09:00)).unwrap_err();
    assert_eq!(error.code(), "SK31");
    assert_eq!(
        error.to_string(),
        "データ送受信機能停止時間帯 (平日 21:00〜24:00) のため受け付けられません (2026-04-06 21:30:00)。翌日のシステムサービス提供時間に登録してください (seed 004 §2.6)。"
    );
    let error = at(datetime!(2026-04-07 07:59 +09:00)).unwrap_err();
    assert_eq!(error.code(), "SK30");
    assert!(
        error
            .to_string()
            .contains("平日 08:00〜21:00、土・日・祝日・年末年始 08:00〜17:00"),
        "{error}"
    );
    assert!(at(datetime!(2026-04-07 08:00 +09:00)).is_ok());
    assert!(
        at(datetime!(2026-04-11 16:59 +09:00)).is_ok(),
        "Saturday 08–17"
    );
    assert_eq!(
        at(datetime!(2026-04-11 17:00 +09:00)).unwrap_err().code(),
        "SK30"
    );
    // 昭和の日 (a Wednesday) takes the holiday hours, and has no stop window.
    assert_eq!(
        at(datetime!(2026-04-29 18:00 +09:00)).unwrap_err().code(),
        "SK30"
    );
    assert_eq!(
        at(datetime!(2026-04-29 21:30 +09:00)).unwrap_err().code(),
        "SK30"
    );
    assert!(at(datetime!(2026-04-29 16:00 +09:00)).is_ok());
    // 年末年始.
    assert_eq!(
        at(datetime!(2026-12-29 17:30 +09:00)).unwrap_err().code(),
        "SK30"
    );
    // Bulk files too; reading the status is not refused.
    world.clock.set(datetime!(2026-04-07 22:00 +09:00));
    assert_eq!(
        world
            .engine
            .ikkatsu_shoukai(chiyoda(), vec![jidou_teate(chofu(), 1)])
            .unwrap_err()
            .code(),
        "SK31"
    );
    let first: ShoriTsuuban = "2026040700000001".parse().unwrap();
    assert_eq!(
        world.engine.joukyou(chiyoda(), first).unwrap().status,
        ShoukaiStatus::Gaitounashi
    );
}

#[test]
fn bulk_meisai_are_sent_at_the_bulk_rate_and_wait_while_the_service_is_closed() {
    let world = two();
    world.clock.set(datetime!(2026-04-06 20:59:58 +09:00));
    let uketsuke = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            (1..=3).map(|i| jidou_teate(chofu(), i)).collect(),
        )
        .unwrap();
    assert!(
        uketsuke
            .meisai
            .iter()
            .all(|m| m.status == ShoukaiStatus::Shorimachi)
    );
    world.clock.set(datetime!(2026-04-06 21:30 +09:00));
    let meisai = world
        .engine
        .uketsuke_joukyou(chiyoda(), uketsuke.uketsuke_bango)
        .unwrap();
    let sent: Vec<_> = meisai.iter().map(|m| m.motome_at).collect();
    assert_eq!(
        sent,
        [
            Some(datetime!(2026-04-06 20:59:58.9 +09:00)),
            Some(datetime!(2026-04-06 20:59:59.8 +09:00)),
            None
        ]
    );
    // The third needed 0.9 s; 0.2 s were left before 21:00, the rest after 08:00.
    world.clock.set(datetime!(2026-04-07 08:01 +09:00));
    let third = &world
        .engine
        .uketsuke_joukyou(chiyoda(), uketsuke.uketsuke_bango)
        .unwrap()[2];
    assert_eq!(
        third.motome_at,
        Some(datetime!(2026-04-07 08:00:00.7 +09:00))
    );
    assert_eq!(third.status, ShoukaiStatus::Gaitounashi);
}

#[test]
fn single_shoukai_overtake_pending_bulk_files_and_files_go_in_order() {
    let world = two();
    for i in 0..PEOPLE {
        world.fukuhon(chofu(), MsgMode::Honban, i, tm(2), "D0201", "2025");
    }
    let big = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            (0..2_000)
                .map(|i| jidou_teate(chofu(), i % PEOPLE))
                .collect(),
        )
        .unwrap();
    world.clock.advance(Duration::minutes(1)).unwrap();
    let single = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 3))
        .unwrap();
    assert_eq!(
        single.status,
        ShoukaiStatus::SeijouShuuryou,
        "not behind the 2,000"
    );
    let pending = |uketsuke| {
        world
            .engine
            .uketsuke_joukyou(chiyoda(), uketsuke)
            .unwrap()
            .iter()
            .filter(|m| m.status == ShoukaiStatus::Shorimachi)
            .count()
    };
    // 60 s at 0.9 s a 明細.
    assert_eq!(pending(big.uketsuke_bango), 2_000 - 66);

    world.clock.advance(Duration::minutes(1)).unwrap();
    let small = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            (0..10).map(|i| jidou_teate(chofu(), i)).collect(),
        )
        .unwrap();
    // The 2,000 take 1,800 s: until 10:30:00. The second file starts after them.
    world.clock.set(datetime!(2026-04-06 10:29:59 +09:00));
    assert_eq!(
        pending(big.uketsuke_bango),
        2,
        "the 1,999th is due at 10:29:59.1"
    );
    assert_eq!(pending(small.uketsuke_bango), 10);
    world.clock.set(datetime!(2026-04-06 10:30:05 +09:00));
    assert_eq!(pending(big.uketsuke_bango), 0);
    assert_eq!(pending(small.uketsuke_bango), 5);
    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu()]),
        2_006
    );
}

#[test]
fn the_documented_limits_mode_overloads_beyond_3000_a_request_and_4000_an_hour() {
    let world = World::new(
        &[chiyoda(), chofu()],
        monday_10(),
        ShoukaiConfig {
            ikkatsu_per_meisai: Duration::ZERO,
            ..ShoukaiConfig::default()
        },
    );
    // Off by default: 3,001 in one request are all processed.
    let all = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            (0..3_001)
                .map(|i| jidou_teate(chofu(), i % PEOPLE))
                .collect(),
        )
        .unwrap();
    assert!(
        all.meisai
            .iter()
            .all(|m| m.status == ShoukaiStatus::Gaitounashi)
    );

    world.clock.advance(Duration::hours(2)).unwrap();
    world.engine.set_documented_limits(true).unwrap();
    assert!(world.engine.documented_limits());
    let first = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            (0..3_001)
                .map(|i| jidou_teate(chofu(), i % PEOPLE))
                .collect(),
        )
        .unwrap();
    let errors: Vec<_> = first
        .meisai
        .iter()
        .filter(|m| m.status == ShoukaiStatus::Error)
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].shori_tsuuban, first.meisai[3_000].shori_tsuuban);
    assert_eq!(
        errors[0].message.as_deref(),
        Some(format!(
            "1回当たりの要求件数が {IKKATSU_MAX_MEISAI} 件を超えたため処理を中断しました (3001 件目)。{IKKATSU_MAX_MEISAI} 件以内に分け、前の要求の完了を待って再処理してください (seed 004 §2.11)。"
        ).as_str())
    );

    world.clock.advance(Duration::minutes(10)).unwrap();
    let second = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            (0..1_000)
                .map(|i| jidou_teate(chofu(), i % PEOPLE))
                .collect(),
        )
        .unwrap();
    // 3,001 + 999 = 4,000 in the hour; the 1,000th is the 4,001st.
    let overloaded: Vec<_> = second
        .meisai
        .iter()
        .filter(|m| m.error_code.as_deref() == Some("SK40"))
        .collect();
    assert_eq!(overloaded.len(), 1);
    assert_eq!(
        overloaded[0].shori_tsuuban,
        second.meisai[999].shori_tsuuban
    );
    let error = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap_err();
    assert_eq!(
        error,
        ShoukaiError::Kafuka {
            count: 4_002,
            limit: HOURLY_MAX_SHOUKAI
        }
    );
    // Another tenant has its own hour.
    let mut from_chofu = jidou_teate(chiyoda(), 1);
    from_chofu.tougou = tougou(chofu(), 1);
    assert!(world.engine.shoukai(chofu(), from_chofu).is_ok());

    // An hour after the first request, its 3,001 no longer count.
    world.clock.advance(Duration::minutes(51)).unwrap();
    assert!(
        world
            .engine
            .shoukai(chiyoda(), jidou_teate(chofu(), 1))
            .is_ok()
    );

    // The switch is an event: a restart keeps the mode.
    assert!(world.replayed().documented_limits());
}

#[test]
fn three_tenants_ask_each_other_and_each_sees_only_its_own() {
    let world = World::new(
        &[chiyoda(), chofu(), fujimi()],
        monday_10(),
        ShoukaiConfig::default(),
    );
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    world.fukuhon(fujimi(), MsgMode::Honban, 2, tm(4), "D0401", "2026-04-01");
    world.fukuhon(fujimi(), MsgMode::Honban, 2, tm(4), "D0401", "2025-04-01");

    let tax = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap();
    let kaigo = world
        .engine
        .shoukai(
            chiyoda(),
            seikatsu_hogo(
                fujimi(),
                2,
                tm(4),
                ShoukaiJouken::kikan(date!(2026 - 01 - 01), date!(2026 - 12 - 31)).unwrap(),
            ),
        )
        .unwrap();
    // The 広域連合 asks 調布 under 後期高齢者医療.
    let mut kouki = jidou_teate(chofu(), 1);
    kouki.tougou = tougou(fujimi(), 1);
    kouki.jimu = jm(904);
    kouki.tetsuzuki = jt(90401);
    let from_fujimi = world.engine.shoukai(fujimi(), kouki).unwrap();

    assert_eq!(tax.status, ShoukaiStatus::SeijouShuuryou);
    assert_eq!(kaigo.status, ShoukaiStatus::SeijouShuuryou);
    assert_eq!(
        kaigo.kekka.len(),
        1,
        "基準日 2025-04-01 is outside the 期間"
    );
    assert_eq!(kaigo.kekka[0].record_key, "2026-04-01");
    assert_eq!(from_fujimi.status, ShoukaiStatus::SeijouShuuryou);
    assert_eq!(
        world
            .engine
            .teikyou(chofu(), from_fujimi.shori_tsuuban)
            .unwrap()
            .tougou,
        tougou(chofu(), 1),
        "the same person, found by 符号変換 whoever asks"
    );

    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu(), fujimi()]),
        3
    );
    assert_eq!(records(&world, chiyoda()).len(), 2);
    assert_eq!(records(&world, chofu()).len(), 2);
    assert_eq!(records(&world, fujimi()).len(), 2);
    let chofu_sides: Vec<_> = records(&world, chofu())
        .iter()
        .map(|k| (k.kubun, k.aite()))
        .collect();
    assert_eq!(
        chofu_sides,
        [
            (KirokuKubun::Teikyou, chiyoda()),
            (KirokuKubun::Teikyou, fujimi())
        ]
    );
    // 千代田区 cannot see what ふじみ asked of 調布.
    assert_eq!(
        world
            .engine
            .joukyou(chiyoda(), from_fujimi.shori_tsuuban)
            .unwrap_err()
            .code(),
        "SK50"
    );

    // The feed and its cursor.
    let feed = world.engine.tsuuchi(chiyoda(), 0, 1).unwrap();
    assert_eq!(
        (feed.len(), feed[0].bango, feed[0].shori_tsuuban),
        (1, 1, tax.shori_tsuuban)
    );
    let rest = world.engine.tsuuchi(chiyoda(), feed[0].bango, 10).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(
        (rest[0].bango, rest[0].shori_tsuuban, rest[0].aite),
        (2, kaigo.shori_tsuuban, fujimi())
    );
    assert!(world.engine.tsuuchi(chiyoda(), 2, 10).unwrap().is_empty());
    assert!(world.engine.tsuuchi(chiyoda(), 99, 10).unwrap().is_empty());
}

#[test]
fn msg_mode_keeps_test_and_production_apart() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Test, 2, tm(2), "D0201", "2025");
    let honban = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 2))
        .unwrap();
    assert_eq!(
        honban.status,
        ShoukaiStatus::Gaitounashi,
        "no production 副本"
    );
    let mut test = jidou_teate(chofu(), 2);
    test.msg_mode = MsgMode::Test;
    let test = world.engine.shoukai(chiyoda(), test).unwrap();
    assert_eq!(test.status, ShoukaiStatus::SeijouShuuryou);
    assert_eq!(
        world
            .engine
            .teikyou(chofu(), test.shori_tsuuban)
            .unwrap()
            .msg_mode,
        MsgMode::Test
    );
    let only_test = world
        .engine
        .kiroku(
            chofu(),
            &KirokuKensaku {
                msg_mode: Some(MsgMode::Test),
                ..KirokuKensaku::default()
            },
        )
        .unwrap();
    assert_eq!(only_test.len(), 1);
    assert_eq!(only_test[0].shori_tsuuban, test.shori_tsuuban);
    assert_eq!(
        world.engine.tsuuchi(chiyoda(), 1, 1).unwrap()[0].msg_mode,
        MsgMode::Test
    );

    // A 提供者 connected to production only never receives a test 照会, and the other way round.
    let catalogs = renkei_fixtures::catalog::Catalogs::embedded();
    let spec = |kikan, modes: &[MsgMode]| {
        TenantSpec::from_dantai(catalogs.dantai.by_kikan_code(&kikan).unwrap(), modes)
    };
    let split = World::with_specs(
        vec![
            spec(chiyoda(), &MsgMode::ALL),
            spec(chofu(), &[MsgMode::Honban]),
            spec(fujimi(), &[MsgMode::Test]),
        ],
        monday_10(),
        ShoukaiConfig::default(),
    );
    let mut test = jidou_teate(chofu(), 2);
    test.msg_mode = MsgMode::Test;
    let error = split.engine.shoukai(chiyoda(), test).unwrap_err();
    assert_eq!(
        error,
        ShoukaiError::ModeNotConnected {
            kikan: chofu(),
            mode: MsgMode::Test
        }
    );
    assert_eq!(
        error.to_string(),
        format!(
            "機関「{}」はテスト環境に接続されていません: MSGMode 1 (テスト) の照会は扱えません。",
            chofu()
        )
    );
    let kaigo = seikatsu_hogo(fujimi(), 2, tm(4), ShoukaiJouken::nendo(2025).unwrap());
    assert_eq!(
        split.engine.shoukai(chiyoda(), kaigo).unwrap_err().code(),
        "SK03"
    );
    // And a 照会者 not connected in a mode cannot ask in it.
    let mut from_fujimi = jidou_teate(chofu(), 1);
    from_fujimi.tougou = tougou(fujimi(), 1);
    from_fujimi.jimu = jm(904);
    from_fujimi.tetsuzuki = jt(90401);
    assert_eq!(
        split.engine.shoukai(fujimi(), from_fujimi).unwrap_err(),
        ShoukaiError::ModeNotConnected {
            kikan: fujimi(),
            mode: MsgMode::Honban
        }
    );
}

#[test]
fn records_are_searched_by_time_exported_as_csv_and_amended_per_side() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    let mut naiyou = jidou_teate(chofu(), 1);
    naiyou.fukaiji = true;
    let first = world
        .engine
        .shoukai(chiyoda(), naiyou)
        .unwrap()
        .shori_tsuuban;
    world.clock.advance(Duration::hours(1)).unwrap();
    let second = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 2))
        .unwrap()
        .shori_tsuuban;
    world.clock.advance(Duration::hours(1)).unwrap();
    let third = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 3))
        .unwrap()
        .shori_tsuuban;

    let between = KirokuKensaku {
        from: Some(monday_10() + Duration::minutes(30)),
        until: Some(monday_10() + Duration::hours(2)),
        ..KirokuKensaku::default()
    };
    let found: Vec<_> = world
        .engine
        .kiroku(chiyoda(), &between)
        .unwrap()
        .iter()
        .map(|k| k.shori_tsuuban)
        .collect();
    assert_eq!(found, [second]);
    let all: Vec<_> = records(&world, chofu())
        .iter()
        .map(|k| k.shori_tsuuban)
        .collect();
    assert_eq!(all, [first, second, third]);
    // 不開示 of the 照会 starts on both sides.
    assert!(records(&world, chofu())[0].fukaiji && records(&world, chiyoda())[0].fukaiji);

    // 記録事項変更事由 and 不開示 are each side's own.
    let amended = world
        .engine
        .kiroku_henkou(
            chiyoda(),
            second,
            KirokuHenkou {
                jiyuu: Some(" 照会先の誤り ".into()),
                fukaiji: Some(true),
            },
        )
        .unwrap();
    assert_eq!(amended.henkou_jiyuu[0].jiyuu, "照会先の誤り");
    assert_eq!(amended.henkou_jiyuu[0].at, world.clock.now());
    assert!(amended.fukaiji);
    world
        .engine
        .kiroku_henkou(
            chiyoda(),
            second,
            KirokuHenkou {
                jiyuu: Some("再確認".into()),
                fukaiji: Some(false),
            },
        )
        .unwrap();
    let mine = &world.engine.kiroku(chiyoda(), &between).unwrap()[0];
    assert_eq!(
        mine.henkou_jiyuu.len(),
        2,
        "reasons are added, not replaced"
    );
    assert!(!mine.fukaiji);
    let theirs = &world.engine.kiroku(chofu(), &between).unwrap()[0];
    assert!(theirs.henkou_jiyuu.is_empty() && !theirs.fukaiji);
    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu()]),
        3
    );
    for (henkou, reason) in [
        (
            KirokuHenkou::default(),
            "記録事項変更事由も不開示も指定されていません",
        ),
        (
            KirokuHenkou {
                jiyuu: Some("  ".into()),
                fukaiji: None,
            },
            "記録事項変更事由が空です",
        ),
        (
            KirokuHenkou {
                jiyuu: Some("誤".repeat(201)),
                fukaiji: None,
            },
            "記録事項変更事由は200文字までです (201文字でした)",
        ),
    ] {
        let error = world
            .engine
            .kiroku_henkou(chiyoda(), second, henkou)
            .unwrap_err();
        assert_eq!(
            error,
            ShoukaiError::InvalidHenkou {
                reason: reason.into()
            }
        );
    }

    let files = world
        .engine
        .kiroku_csv(chiyoda(), &KirokuKensaku::default())
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0].name,
        format!("TKM_{}_20260406120000_001.csv", chiyoda())
    );
    assert_eq!(files[0].rows, 3);
    let lines: Vec<_> = files[0].text.split("\r\n").collect();
    assert_eq!(
        lines.len(),
        5,
        "header, 3 rows, and the empty piece after the last CRLF"
    );
    assert_eq!(
        lines[0],
        renkei_simulator::nws::shoukai::kiroku::CSV_COLUMNS.join(",")
    );
    assert!(
        lines[2].starts_with(&format!(
            "{second},照会,0,{},{},JM00000000000074,",
            chiyoda(),
            chofu()
        )),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains(",2026-04-06T11:00:00+09:00,2026-04-06T11:00:00+09:00,該当なし,自動応答,再確認,2026-04-06T12:00:00+09:00,0"), "{}", lines[2]);
    assert!(lines[1].ends_with(",提供,自動応答,,,1"), "{}", lines[1]);
}

#[test]
fn csv_files_hold_at_most_50000_rows() {
    let world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap();
    let one = records(&world, chiyoda()).remove(0);
    let many = vec![one; 50_001];
    let files = renkei_simulator::nws::shoukai::kiroku::to_csv(chiyoda(), world.clock.now(), &many);
    let rows: Vec<_> = files.iter().map(|f| f.rows).collect();
    assert_eq!(rows, [50_000, 1]);
    assert!(files[1].name.ends_with("_002.csv"));
    assert_eq!(files[0].text.matches("\r\n").count(), 50_001);
    // No records: one file with the header.
    let empty = renkei_simulator::nws::shoukai::kiroku::to_csv(chiyoda(), world.clock.now(), &[]);
    assert_eq!((empty.len(), empty[0].rows), (1, 0));
}

#[test]
fn a_teikyou_received_before_the_layout_switch_is_answered_after_it_unless_a_major_revision_forbids()
 {
    // Friday 2019-06-14: the H30.6 layout; R1.6 takes effect on Monday 2019-06-17 (seed 004 §2.4).
    let world = World::new(
        &[chiyoda(), chofu()],
        datetime!(2019-06-14 10:00 +09:00),
        ShoukaiConfig::default(),
    );
    world.fukuhon_in(
        chofu(),
        MsgMode::Honban,
        3,
        tm(31),
        "H30.6",
        "D3102",
        "2019-06-01",
    );
    world.fukuhon_in(
        chofu(),
        MsgMode::Honban,
        4,
        tm(16),
        "H30.6",
        "D1601",
        "2019-06-01",
    );
    world
        .fukuhon
        .set_jidou_outou_fuka(chofu(), tm(31), "D3102", true);
    world
        .fukuhon
        .set_jidou_outou_fuka(chofu(), tm(16), "D1601", true);
    let june = ShoukaiJouken::kikan(date!(2019 - 05 - 01), date!(2019 - 06 - 30)).unwrap();
    let iryou = world
        .engine
        .shoukai(chiyoda(), seikatsu_hogo(chofu(), 3, tm(31), june))
        .unwrap();
    let jifu = world
        .engine
        .shoukai(chiyoda(), seikatsu_hogo(chofu(), 4, tm(16), june))
        .unwrap();
    assert_eq!(
        (iryou.status, jifu.status),
        (ShoukaiStatus::Kaitoumachi, ShoukaiStatus::Kaitoumachi)
    );

    world.clock.set(datetime!(2019-06-17 10:00 +09:00));
    // 31 (データセットの廃止): the abolished dataset is still provided to the earlier request.
    world.engine.kakunin(chofu(), iryou.shori_tsuuban).unwrap();
    world
        .engine
        .soushin_kyoka(chofu(), iryou.shori_tsuuban)
        .unwrap();
    let kekka = world.engine.kekka(chiyoda(), iryou.shori_tsuuban).unwrap();
    assert_eq!(kekka.kekka[0].dataset, "D3102");
    // 16 (メジャー改版): it can no longer be provided.
    let fuka = world.engine.kakunin(chofu(), jifu.shori_tsuuban).unwrap();
    assert_eq!(fuka.status, TeikyouStatus::TeikyouFuka);
    let shoukai = world.engine.joukyou(chiyoda(), jifu.shori_tsuuban).unwrap();
    assert_eq!(shoukai.status, ShoukaiStatus::TeikyouFuka);
    assert!(
        shoukai.message.as_deref().unwrap().contains("メジャー改版"),
        "{:?}",
        shoukai.message
    );
    assert_eq!(
        world
            .engine
            .kekka(chiyoda(), jifu.shori_tsuuban)
            .unwrap_err()
            .code(),
        "SK54"
    );
    // A new request after the switch finds no 副本 of the new version.
    let again = world
        .engine
        .shoukai(chiyoda(), seikatsu_hogo(chofu(), 4, tm(16), june))
        .unwrap();
    assert_eq!(again.status, ShoukaiStatus::Gaitounashi);
    assert_eq!(
        assert_records_agree(&world.engine, &[chiyoda(), chofu()]),
        3
    );
    let kinds_at_chiyoda: Vec<_> = kinds(&world, chiyoda())
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(kinds_at_chiyoda, [TsuuchiKind::ShoukaiKekka; 3]);
}

#[test]
fn replaying_the_stored_events_rebuilds_the_same_state() {
    let world = World::new(
        &[chiyoda(), chofu(), fujimi()],
        monday_10(),
        ShoukaiConfig::default(),
    );
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    world.fukuhon(chofu(), MsgMode::Honban, 2, tm(2), "D0201", "2025");
    world
        .fukuhon
        .set_jidou_outou_fuka(chofu(), tm(2), "D0201", true);
    let manual = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap()
        .shori_tsuuban;
    let withdrawn = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 2))
        .unwrap()
        .shori_tsuuban;
    world.engine.toriyame(chiyoda(), withdrawn).unwrap();
    let bulk = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            vec![jidou_teate(chofu(), 5), jidou_teate(fujimi(), 5)],
        )
        .unwrap();
    world.engine.kakunin(chofu(), manual).unwrap();
    world
        .engine
        .kiroku_henkou(
            chofu(),
            manual,
            KirokuHenkou {
                jiyuu: Some("確認".into()),
                fukaiji: Some(true),
            },
        )
        .unwrap();
    world.clock.advance(Duration::days(31)).unwrap();
    world.engine.tick().unwrap();

    let replayed = world.replayed();
    let tenants = [chiyoda(), chofu(), fujimi()];
    for kikan in tenants {
        assert_eq!(
            replayed.kiroku(kikan, &KirokuKensaku::default()).unwrap(),
            records(&world, kikan)
        );
        assert_eq!(
            replayed.tsuuchi(kikan, 0, usize::MAX).unwrap(),
            world.engine.tsuuchi(kikan, 0, usize::MAX).unwrap()
        );
        assert_eq!(
            replayed.teikyou_ichiran(kikan, false).unwrap(),
            world.engine.teikyou_ichiran(kikan, false).unwrap()
        );
    }
    assert_eq!(
        replayed
            .uketsuke_joukyou(chiyoda(), bulk.uketsuke_bango)
            .unwrap(),
        world
            .engine
            .uketsuke_joukyou(chiyoda(), bulk.uketsuke_bango)
            .unwrap()
    );
    for number in [manual, withdrawn] {
        assert_eq!(
            replayed.joukyou(chiyoda(), number).unwrap(),
            world.engine.joukyou(chiyoda(), number).unwrap()
        );
    }
    assert_eq!(
        world.engine.joukyou(chiyoda(), manual).unwrap().status,
        ShoukaiStatus::YuukouKikanGire
    );
    // Numbering goes on where it stopped.
    let next = replayed
        .shoukai(chiyoda(), jidou_teate(chofu(), 3))
        .unwrap();
    assert_eq!(next.shori_tsuuban.serial(), 1, "a new day");
    assert_eq!(next.uketsuke_bango.date(), world.today());
    let replayed_state_events = world.stored_events().len();
    assert!(replayed_state_events >= 8);
}

#[test]
fn a_store_that_cannot_write_refuses_and_changes_nothing() {
    let mut world = two();
    world.fukuhon(chofu(), MsgMode::Honban, 1, tm(2), "D0201", "2025");
    world.engine.persist_to(std::sync::Arc::new(
        |_: &renkei_simulator::nws::shoukai::ShoukaiEvent| {
            Err(renkei_simulator::store::StoreError::Read(
                "disk full".into(),
            ))
        },
    ));
    let error = world
        .engine
        .shoukai(chiyoda(), jidou_teate(chofu(), 1))
        .unwrap_err();
    assert_eq!(error.code(), "SK91");
    assert!(error.to_string().contains("disk full"), "{error}");
    assert!(records(&world, chiyoda()).is_empty());
    assert!(world.engine.tsuuchi(chiyoda(), 0, 10).unwrap().is_empty());
}

#[test]
fn the_records_of_a_whole_bulk_file_are_amended_at_once() {
    let world = World::new(
        &[chiyoda(), chofu()],
        monday_10(),
        ShoukaiConfig {
            ikkatsu_per_meisai: Duration::ZERO,
            ..ShoukaiConfig::default()
        },
    );
    let mut refused = jidou_teate(chofu(), 1);
    refused.tokutei = tm(31);
    let uketsuke = world
        .engine
        .ikkatsu_shoukai(
            chiyoda(),
            vec![jidou_teate(chofu(), 1), refused, jidou_teate(chofu(), 2)],
        )
        .unwrap();
    let changed = world
        .engine
        .kiroku_henkou_ikkatsu(
            chiyoda(),
            uketsuke.uketsuke_bango,
            KirokuHenkou {
                jiyuu: Some("照会先の誤り".into()),
                fukaiji: Some(true),
            },
        )
        .unwrap();
    let numbers: Vec<_> = changed.iter().map(|k| k.shori_tsuuban).collect();
    assert_eq!(
        numbers,
        [
            uketsuke.meisai[0].shori_tsuuban,
            uketsuke.meisai[2].shori_tsuuban
        ]
    );
    assert!(
        changed
            .iter()
            .all(|k| k.fukaiji && k.henkou_jiyuu[0].jiyuu == "照会先の誤り")
    );
    assert!(
        records(&world, chofu())
            .iter()
            .all(|k| !k.fukaiji && k.henkou_jiyuu.is_empty())
    );
    // The 提供者 does not know the 照会者's 受付番号.
    assert_eq!(
        world
            .engine
            .kiroku_henkou_ikkatsu(
                chofu(),
                uketsuke.uketsuke_bango,
                KirokuHenkou {
                    jiyuu: None,
                    fukaiji: Some(true)
                }
            )
            .unwrap_err()
            .code(),
        "SK52"
    );
    assert_eq!(
        world
            .replayed()
            .kiroku(chiyoda(), &KirokuKensaku::default())
            .unwrap(),
        records(&world, chiyoda())
    );
}
