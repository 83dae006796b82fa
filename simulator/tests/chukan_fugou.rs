//! 符号管理 end to end without HTTP: a 団体's 符号取得要求 goes through the real 住基ネットCS relay
//! to the simulated 情報提供ネットワークシステム, on a frozen clock; the 符号 form and its
//! properties; the business-day delay; the real 符号未取得 message; relay errors.

mod chukan_fugou {
    use renkei_fixtures::catalog::Catalogs;
    use renkei_fixtures::ids::{DantaiCode, JuminhyoCode, KikanCode, KojinBango, TougouAtenaBango};
    use renkei_fixtures::population::{PopulationSpec, Resident, dantai_for, generate};
    use renkei_simulator::chukan::fugou::{FugouError, FugouKanri, FugouStatus, IssuanceDelay};
    use renkei_simulator::clock::Clock;
    use renkei_simulator::jukinet::service::{AccessKey, FugouIssuer, FugouRelayError, JukinetCs};
    use renkei_simulator::nws::{FUGOU_LEN, FugouIssuance};
    use time::macros::datetime;
    use time::{Duration, OffsetDateTime};

    /// A Friday, after the population's reference day.
    const FRIDAY_17: OffsetDateTime = datetime!(2026-04-10 17:00 +09:00);
    const SEED: &[u8] = b"chukan_fugou test seed";

    fn chiyoda() -> DantaiCode {
        DantaiCode::from_five(13101)
    }

    fn chofu() -> DantaiCode {
        DantaiCode::from_five(13208)
    }

    fn kikan(code: DantaiCode) -> KikanCode {
        Catalogs::embedded().dantai(&code).unwrap().kikan_code
    }

    fn residents(code: DantaiCode, size: u64, seed: u64) -> Vec<Resident> {
        let spec = PopulationSpec {
            dantai: code,
            size,
            seed,
            as_of: PopulationSpec::DEFAULT_AS_OF,
        };
        generate(&spec, dantai_for(Catalogs::embedded(), &code).unwrap())
            .unwrap()
            .into_iter()
            .flat_map(|h| h.members)
            .collect()
    }

    /// 千代田区 with `size` residents in a 住基ネットCS on a frozen clock at Friday 17:00, its
    /// 符号管理 with `delay`, and the 情報提供ネットワークシステム.
    struct Setup {
        clock: Clock,
        cs: JukinetCs,
        kanri: FugouKanri,
        nws: FugouIssuance,
        residents: Vec<Resident>,
    }

    fn setup(size: u64, delay: IssuanceDelay) -> Setup {
        let clock = Clock::frozen(FRIDAY_17);
        let spec = PopulationSpec {
            dantai: chiyoda(),
            size,
            seed: 3,
            as_of: PopulationSpec::DEFAULT_AS_OF,
        };
        let households =
            generate(&spec, dantai_for(Catalogs::embedded(), &chiyoda()).unwrap()).unwrap();
        let cs = JukinetCs::builder(clock.clone())
            .dantai(
                chiyoda(),
                &households,
                AccessKey::new("chiyoda-0123456789abcdef").unwrap(),
            )
            .build()
            .unwrap();
        Setup {
            kanri: FugouKanri::new(chiyoda(), delay, clock.clone()),
            clock,
            cs,
            nws: FugouIssuance::new(SEED),
            residents: households.into_iter().flat_map(|h| h.members).collect(),
        }
    }

    impl Setup {
        fn process(&self) -> Vec<(TougouAtenaBango, FugouStatus)> {
            self.kanri.process(self.clock.now(), &self.cs, &self.nws)
        }
    }

    #[test]
    fn an_immediate_request_is_acquired_at_the_next_process() {
        let s = setup(50, IssuanceDelay::Immediate);
        let person = &s.residents[4];
        let due = s
            .kanri
            .request(person.tougou_atena_bango, person.kojin_bango)
            .unwrap();
        assert_eq!(due, FRIDAY_17);
        let status = s.kanri.status(person.tougou_atena_bango).unwrap();
        assert_eq!(status.label(), "符号取得中");
        assert_eq!(status.fugou(), None);

        let completed = s.process();
        assert_eq!(completed.len(), 1);
        let status = s.kanri.status(person.tougou_atena_bango).unwrap();
        assert_eq!(status.label(), "符号取得済み");
        assert_eq!(completed[0], (person.tougou_atena_bango, status.clone()));

        // The 符号 is the NWS's for this person and 千代田区's 機関コード, and the NWS knows whose.
        let fugou = s.kanri.fugou(person.tougou_atena_bango).unwrap();
        assert_eq!(status.fugou(), Some(&fugou));
        assert_eq!(fugou, s.nws.derive(person.juminhyo_code, kikan(chiyoda())));
        assert_eq!(s.nws.person_of(&fugou), Some(person.juminhyo_code));
        assert_eq!(s.nws.kikan_of(&fugou), Some(kikan(chiyoda())));
        assert_eq!(
            s.nws.fugou_for(person.juminhyo_code, kikan(chiyoda())),
            Some(fugou)
        );
        assert_eq!(s.kanri.counts(), [0, 1, 0]);
        // Nothing left to do.
        assert!(s.process().is_empty());
    }

    #[test]
    fn two_kikan_get_different_fugou_for_the_same_person() {
        let nws = FugouIssuance::new(SEED);
        for person in residents(chiyoda(), 100, 8) {
            let a = nws.issue(person.juminhyo_code, kikan(chiyoda())).unwrap();
            let b = nws.issue(person.juminhyo_code, kikan(chofu())).unwrap();
            assert_ne!(a, b, "{}", person.juminhyo_code);
            assert_eq!(nws.person_of(&a), Some(person.juminhyo_code));
            assert_eq!(nws.person_of(&b), Some(person.juminhyo_code));
        }
    }

    #[test]
    fn the_same_inputs_always_give_the_same_fugou() {
        let person = JuminhyoCode::from_number(12_345_678_901);
        let first = FugouIssuance::new(SEED)
            .issue(person, kikan(chiyoda()))
            .unwrap();
        let nws = FugouIssuance::new(SEED);
        assert_eq!(nws.issue(person, kikan(chiyoda())).unwrap(), first);
        assert_eq!(nws.issue(person, kikan(chiyoda())).unwrap(), first);
        assert_eq!(nws.issued_count(), 1);
        // Another seed is another NWS: another 符号.
        assert_ne!(
            FugouIssuance::new(b"another seed")
                .issue(person, kikan(chiyoda()))
                .unwrap(),
            first
        );
    }

    #[test]
    fn a_fugou_is_never_the_kojin_bango_nor_the_juminhyo_code() {
        let nws = FugouIssuance::new(SEED);
        let people = residents(chiyoda(), 2000, 21);
        assert!(people.len() >= 2000);
        let mut seen = std::collections::HashSet::new();
        for person in &people {
            for code in [chiyoda(), chofu()] {
                let fugou = nws.issue(person.juminhyo_code, kikan(code)).unwrap();
                let text = fugou.as_str();
                assert_eq!(text.len(), FUGOU_LEN);
                assert!(text.parse::<KojinBango>().is_err(), "{text}");
                assert!(text.parse::<JuminhyoCode>().is_err(), "{text}");
                assert!(!text.contains(person.kojin_bango.as_str()), "{text}");
                assert!(!text.contains(person.juminhyo_code.as_str()), "{text}");
                assert!(seen.insert(fugou), "two people share a 符号");
            }
        }
        assert_eq!(nws.issued_count(), seen.len());
    }

    #[test]
    fn two_business_days_from_friday_evening_is_tuesday() {
        let s = setup(20, IssuanceDelay::BusinessDays(2));
        let person = &s.residents[0];
        let due = s
            .kanri
            .request(person.tougou_atena_bango, person.kojin_bango)
            .unwrap();
        assert_eq!(due, datetime!(2026-04-14 00:00 +09:00));

        // Over the weekend and all of Monday: still 符号取得中.
        for at in [
            datetime!(2026-04-11 12:00 +09:00),
            datetime!(2026-04-13 09:00 +09:00),
            datetime!(2026-04-13 23:59:59 +09:00),
        ] {
            s.clock.set(at);
            assert!(s.process().is_empty(), "{at}");
            assert_eq!(
                s.kanri.status(person.tougou_atena_bango).unwrap().label(),
                "符号取得中"
            );
            assert_eq!(
                s.kanri.fugou(person.tougou_atena_bango),
                Err(FugouError::Mishutoku {
                    tougou: person.tougou_atena_bango
                })
            );
        }

        s.clock.advance(Duration::seconds(1)).unwrap();
        assert_eq!(s.clock.now(), datetime!(2026-04-14 00:00 +09:00));
        assert_eq!(s.process().len(), 1);
        match s.kanri.status(person.tougou_atena_bango).unwrap() {
            FugouStatus::Shutokuzumi {
                requested_at,
                issued_at,
                ..
            } => {
                assert_eq!(requested_at, FRIDAY_17);
                assert_eq!(issued_at, datetime!(2026-04-14 00:00 +09:00));
            }
            other => panic!("not 符号取得済み: {other:?}"),
        }
    }

    #[test]
    fn a_person_without_a_fugou_gets_the_real_message() {
        let s = setup(10, IssuanceDelay::Immediate);
        let tougou = s.residents[1].tougou_atena_bango;
        let error = s.kanri.fugou(tougou).unwrap_err();
        assert_eq!(error, FugouError::Mishutoku { tougou });
        assert_eq!(
            error.to_string(),
            format!(
                "指定された団体内統合宛名番号「{}」は符号が未取得です。",
                tougou.as_str()
            )
        );
        assert_eq!(s.kanri.status(tougou), None);
    }

    #[test]
    fn duplicate_requests_are_refused_while_pending_or_acquired() {
        let s = setup(10, IssuanceDelay::BusinessDays(1));
        let person = &s.residents[2];
        let tougou = person.tougou_atena_bango;
        let due = s.kanri.request(tougou, person.kojin_bango).unwrap();

        let pending = s.kanri.request(tougou, person.kojin_bango).unwrap_err();
        assert_eq!(
            pending,
            FugouError::AlreadyRequested {
                tougou,
                due_at: due
            }
        );
        assert!(pending.to_string().contains("符号取得中"), "{pending}");
        assert!(pending.to_string().contains(tougou.as_str()), "{pending}");

        s.clock.set(due);
        s.process();
        let acquired = s.kanri.request(tougou, person.kojin_bango).unwrap_err();
        assert_eq!(acquired, FugouError::AlreadyAcquired { tougou });
        assert!(acquired.to_string().contains("符号取得済み"), "{acquired}");
    }

    #[test]
    fn a_relay_error_ends_as_error_and_may_be_requested_again() {
        let s = setup(10, IssuanceDelay::Immediate);
        let person = &s.residents[3];
        let tougou = person.tougou_atena_bango;
        // A 個人番号 nobody in the 住基ネット has.
        let unknown = KojinBango::from_body(98_320_567_321);
        assert!(s.residents.iter().all(|r| r.kojin_bango != unknown));
        s.kanri.request(tougou, unknown).unwrap();
        s.process();

        let status = s.kanri.status(tougou).unwrap();
        assert_eq!(status.label(), "エラー");
        let FugouStatus::Error { error, .. } = &status else {
            panic!("not エラー: {status:?}");
        };
        assert_eq!(
            *error,
            FugouRelayError::UnknownKojinBango {
                kojin_bango: unknown
            }
        );
        assert_eq!(
            error.to_string(),
            "個人番号 (末尾4桁 3214) の住民は住基ネットにいません"
        );
        assert_eq!(s.kanri.fugou(tougou), Err(FugouError::Mishutoku { tougou }));
        assert_eq!(s.nws.issued_count(), 0);

        // Corrected and sent again, it is acquired.
        s.kanri.request(tougou, person.kojin_bango).unwrap();
        s.process();
        assert_eq!(
            s.kanri.fugou(tougou).unwrap(),
            s.nws.derive(person.juminhyo_code, kikan(chiyoda()))
        );
    }

    #[test]
    fn a_person_of_another_dantai_is_refused_by_the_jukinet() {
        let s = setup(10, IssuanceDelay::Immediate);
        // 調布市's 符号管理 asks about a 千代田区 resident: this CS does not serve 調布市.
        let chofu_kanri = FugouKanri::new(chofu(), IssuanceDelay::Immediate, s.clock.clone());
        let person = &s.residents[0];
        chofu_kanri
            .request(person.tougou_atena_bango, person.kojin_bango)
            .unwrap();
        let completed = chofu_kanri.process(s.clock.now(), &s.cs, &s.nws);
        let FugouStatus::Error { error, .. } = &completed[0].1 else {
            panic!("not エラー: {completed:?}");
        };
        assert_eq!(*error, FugouRelayError::UnknownDantai(chofu()));
    }

    #[test]
    fn many_requests_are_processed_together_when_due() {
        let s = setup(200, IssuanceDelay::BusinessDays(1));
        for person in &s.residents {
            s.kanri
                .request(person.tougou_atena_bango, person.kojin_bango)
                .unwrap();
        }
        let n = s.residents.len();
        assert_eq!(s.kanri.counts(), [n, 0, 0]);
        assert!(s.process().is_empty());
        s.clock.set(datetime!(2026-04-13 00:00 +09:00));
        assert_eq!(s.process().len(), n);
        assert_eq!(s.kanri.counts(), [0, n, 0]);
        assert_eq!(s.nws.issued_count(), n);
        for person in &s.residents {
            let fugou = s.kanri.fugou(person.tougou_atena_bango).unwrap();
            assert_eq!(s.nws.person_of(&fugou), Some(person.juminhyo_code));
        }
    }
}
