//! The 住基ネットCS state without HTTP: what building refuses, how changes are checked and
//! stamped, 転入, and the 符号取得 relay with a deterministic test issuer standing in for the
//! 情報提供ネットワークシステム.

mod jukinet_service_state {
    use std::sync::Mutex;

    use renkei_fixtures::catalog::Catalogs;
    use renkei_fixtures::ids::{CertSerial, DantaiCode, JuminhyoCode, KikanCode, KojinBango};
    use renkei_fixtures::population::{
        CertKind, Household, PopulationSpec, Resident, RevocationReason, dantai_for, generate,
    };
    use renkei_simulator::clock::Clock;
    use renkei_simulator::jukinet::Nichiji;
    use renkei_simulator::jukinet::service::{
        AccessKey, BuildError, ChangeError, Fugou, FugouIssueError, FugouIssuer, FugouRelayError,
        JukinetCs, JukinetCsBuilder, NewSerials, QueryError, yuko_kigen,
    };
    use time::macros::{date, datetime};
    use time::{Date, Duration, OffsetDateTime};

    const START: OffsetDateTime = datetime!(2026-04-06 09:00 +09:00);
    const TODAY: Date = date!(2026 - 04 - 06);

    fn chiyoda() -> DantaiCode {
        DantaiCode::from_five(13101)
    }

    fn chofu() -> DantaiCode {
        DantaiCode::from_five(13208)
    }

    fn key(name: &str) -> AccessKey {
        AccessKey::new(format!("{name}-0123456789abcdef")).unwrap()
    }

    fn households(code: DantaiCode, size: u64, seed: u64) -> Vec<Household> {
        let spec = PopulationSpec {
            dantai: code,
            size,
            seed,
            as_of: PopulationSpec::DEFAULT_AS_OF,
        };
        generate(&spec, dantai_for(Catalogs::embedded(), &code).unwrap()).unwrap()
    }

    fn members(households: &[Household]) -> Vec<Resident> {
        households.iter().flat_map(|h| h.members.clone()).collect()
    }

    /// 千代田区 (200 residents) and 調布市 (30) on a frozen clock.
    fn two_dantai() -> (JukinetCs, Vec<Resident>, Vec<Resident>) {
        let (a, b) = (households(chiyoda(), 200, 5), households(chofu(), 30, 6));
        let cs = JukinetCs::builder(Clock::frozen(START))
            .dantai(chiyoda(), &a, key("chiyoda"))
            .dantai(chofu(), &b, key("chofu"))
            .build()
            .unwrap();
        (cs, members(&a), members(&b))
    }

    fn nichiji(at: OffsetDateTime) -> Nichiji {
        Nichiji::new(at).unwrap()
    }

    #[test]
    fn yuko_kigen_is_the_rule_the_population_follows() {
        let residents = members(&households(chiyoda(), 3000, 11));
        let mut checked = 0;
        for resident in &residents {
            // 利用者証明用 certificates are issued only with a card (first issue or renewal), so
            // each follows the rule; a 署名用 re-issued after a move keeps the card's expiry.
            for cert in resident
                .certificates
                .iter()
                .filter(|c| c.kind == CertKind::RiyoshaShomei)
            {
                assert_eq!(
                    cert.expires,
                    yuko_kigen(resident.seinengappi, cert.issued),
                    "{:?}",
                    cert.serial
                );
                checked += 1;
            }
        }
        assert!(checked > 2000, "{checked}");
    }

    #[test]
    fn building_refuses_what_cannot_be() {
        let a = households(chiyoda(), 50, 1);
        let build = |f: &dyn Fn(JukinetCsBuilder) -> JukinetCsBuilder| {
            f(JukinetCs::builder(Clock::frozen(START)))
                .build()
                .unwrap_err()
        };
        let sakai = DantaiCode::from_five(27140);
        assert_eq!(
            build(&|b| b.dantai(sakai, &[], key("sakai"))),
            BuildError::UnknownDantai(sakai)
        );
        assert!(matches!(
            build(&|b| b.dantai(DantaiCode::from_five(13000), &[], key("tokyo"))),
            BuildError::NotAMunicipality { name, .. } if name == "東京都"
        ));
        assert_eq!(
            build(&|b| b.dantai(chiyoda(), &a, key("chiyoda")).dantai(
                chiyoda(),
                &[],
                key("again")
            )),
            BuildError::DuplicateDantai(chiyoda())
        );
        assert_eq!(
            build(&|b| b
                .dantai(chiyoda(), &a, key("same"))
                .dantai(chofu(), &[], key("same"))),
            BuildError::DuplicateKey {
                dantai: chofu(),
                other: chiyoda()
            }
        );
        let first = a[0].members[0].juminhyo_code;
        assert_eq!(
            build(&|b| b.dantai(chofu(), &a, key("chofu"))),
            BuildError::ResidentOfOtherDantai {
                juminhyo_code: first,
                dantai: chofu(),
                resident_of: chiyoda()
            }
        );
        // A clock before the population's certificates: the rows would be stamped in its future.
        let error = JukinetCs::builder(Clock::frozen(datetime!(2017-01-01 00:00 +09:00)))
            .dantai(chiyoda(), &a, key("chiyoda"))
            .build()
            .unwrap_err();
        assert!(
            matches!(error, BuildError::CertificateAfterClock { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("基準日"), "{error}");
    }

    /// A resident (other than `not`) with a certificate of `kind` valid today.
    fn holder<'a>(
        residents: &'a [Resident],
        kind: CertKind,
        not: Option<&Resident>,
    ) -> (&'a Resident, CertSerial) {
        residents
            .iter()
            .filter(|r| not.is_none_or(|n| n.juminhyo_code != r.juminhyo_code))
            .find_map(|r| {
                r.certificates
                    .iter()
                    .find(|c| c.kind == kind && c.revoked.is_none() && c.expires >= TODAY)
                    .map(|c| (r, c.serial))
            })
            .unwrap()
    }

    #[test]
    fn changes_refuse_what_cannot_have_happened() {
        let (cs, a, _) = two_dantai();
        let unknown = CertSerial::new(1).unwrap();
        assert_eq!(
            cs.revoke(unknown, TODAY, RevocationReason::Funshitsu),
            Err(ChangeError::UnknownSerial(unknown))
        );
        let (_, valid) = holder(&a, CertKind::RiyoshaShomei, None);
        assert_eq!(
            cs.revoke(
                valid,
                TODAY + Duration::days(1),
                RevocationReason::Funshitsu
            ),
            Err(ChangeError::DateInFuture {
                day: TODAY + Duration::days(1),
                today: TODAY
            })
        );
        let revoked = a
            .iter()
            .flat_map(|r| &r.certificates)
            .find(|c| c.revoked.is_some())
            .unwrap();
        assert_eq!(
            cs.revoke(revoked.serial, TODAY, RevocationReason::Funshitsu),
            Err(ChangeError::AlreadyRevoked {
                serial: revoked.serial,
                shikkobi: revoked.revoked.unwrap()
            })
        );
        let expired = a
            .iter()
            .flat_map(|r| &r.certificates)
            .find(|c| c.revoked.is_none() && c.expires < TODAY)
            .unwrap();
        assert!(matches!(
            cs.revoke(expired.serial, TODAY, RevocationReason::Funshitsu),
            Err(ChangeError::Expired { .. })
        ));
        let young = a
            .iter()
            .flat_map(|r| &r.certificates)
            .find(|c| c.revoked.is_none() && c.issued > date!(2025 - 01 - 01))
            .unwrap();
        assert!(matches!(
            cs.revoke(
                young.serial,
                date!(2024 - 12 - 31),
                RevocationReason::Funshitsu
            ),
            Err(ChangeError::BeforeIssue { .. })
        ));

        // Renewal: serials are never reused, and no 署名用 certificate for a child.
        let (person, old) = holder(&a, CertKind::Shomei, None);
        let fresh = CertSerial::new(9_999_000_000_000_010).unwrap();
        assert_eq!(
            cs.renew(
                person.juminhyo_code,
                TODAY,
                NewSerials {
                    riyosha_shomei: fresh,
                    shomei: Some(old)
                }
            ),
            Err(ChangeError::SerialInUse(old))
        );
        assert_eq!(
            cs.renew(
                person.juminhyo_code,
                TODAY,
                NewSerials {
                    riyosha_shomei: fresh,
                    shomei: Some(fresh)
                }
            ),
            Err(ChangeError::SerialInUse(fresh))
        );
        let child = a
            .iter()
            .find(|r| r.seinengappi > date!(2015 - 01 - 01))
            .unwrap();
        let error = cs
            .renew(
                child.juminhyo_code,
                TODAY,
                NewSerials {
                    riyosha_shomei: fresh,
                    shomei: Some(CertSerial::new(9_999_000_000_000_011).unwrap()),
                },
            )
            .unwrap_err();
        assert!(
            matches!(error, ChangeError::ShomeiUnderAge { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("15歳未満"), "{error}");
        let nobody = JuminhyoCode::from_number(12_345_678_901);
        assert_eq!(
            cs.register_certificate(nobody, CertKind::RiyoshaShomei, fresh, TODAY, TODAY),
            Err(ChangeError::UnknownJuminhyoCode(nobody))
        );
        assert_eq!(
            cs.register_certificate(
                person.juminhyo_code,
                CertKind::RiyoshaShomei,
                fresh,
                TODAY,
                TODAY - Duration::days(1)
            ),
            Err(ChangeError::KigenBeforeIssue {
                hakkobi: TODAY,
                yuko_kigen: TODAY - Duration::days(1)
            })
        );
        assert!(matches!(
            cs.register_certificate(
                child.juminhyo_code,
                CertKind::RiyoshaShomei,
                fresh,
                child.seinengappi - Duration::days(1),
                TODAY
            ),
            Err(ChangeError::BeforeBirth { .. })
        ));
        // Nothing refused changed anything.
        assert_eq!(
            cs.shomeisho_since(chiyoda(), START - Duration::SECOND)
                .unwrap()
                .records,
            []
        );
    }

    #[test]
    fn changes_are_stamped_with_the_clock_and_keep_their_reason() {
        let (cs, a, _) = two_dantai();
        let clock = cs.clock().clone();
        let (lost, serial) = holder(&a, CertKind::RiyoshaShomei, None);
        clock.advance(Duration::minutes(10)).unwrap();
        let row = cs
            .revoke(serial, TODAY, RevocationReason::Funshitsu)
            .unwrap();
        assert_eq!(row.koshin_nichiji, nichiji(START + Duration::minutes(10)));
        assert_eq!(row.shikkobi, Some(TODAY));
        let entry = cs.certificate(serial).unwrap();
        assert_eq!(entry.row, row);
        assert_eq!(entry.reason, Some(RevocationReason::Funshitsu));

        // A new card for the same person, registered later: 利用者証明用 only.
        clock.advance(Duration::minutes(10)).unwrap();
        let new_serial = CertSerial::new(9_999_000_000_000_020).unwrap();
        let issued = cs
            .register_certificate(
                lost.juminhyo_code,
                CertKind::RiyoshaShomei,
                new_serial,
                TODAY,
                yuko_kigen(lost.seinengappi, TODAY),
            )
            .unwrap();
        assert_eq!(issued.koshin_nichiji, nichiji(clock.now()));
        assert_eq!(cs.certificate(new_serial).unwrap().reason, None);

        // A renewal revokes with 更新.
        let (renewer, old) = holder(&a, CertKind::Shomei, Some(lost));
        let renewal = cs
            .renew(
                renewer.juminhyo_code,
                TODAY,
                NewSerials {
                    riyosha_shomei: CertSerial::new(9_999_000_000_000_021).unwrap(),
                    shomei: Some(CertSerial::new(9_999_000_000_000_022).unwrap()),
                },
            )
            .unwrap();
        assert!(renewal.revoked.iter().any(|r| r.serial == old));
        assert_eq!(
            cs.certificate(old).unwrap().reason,
            Some(RevocationReason::Koushin)
        );

        let delta = cs
            .shomeisho_since(chiyoda(), START)
            .unwrap()
            .records
            .iter()
            .map(|r| r.serial)
            .collect::<Vec<_>>();
        // Oldest change first; within one second, by serial.
        let mut at_twenty: Vec<CertSerial> = renewal
            .revoked
            .iter()
            .chain(&renewal.issued)
            .map(|r| r.serial)
            .chain([new_serial])
            .collect();
        at_twenty.sort();
        let expected: Vec<CertSerial> = std::iter::once(serial).chain(at_twenty).collect();
        assert_eq!(delta, expected);
        // Another 団体's delta is untouched.
        assert_eq!(cs.shomeisho_since(chofu(), START).unwrap().records, []);
    }

    #[test]
    fn queries_refuse_a_since_in_the_future_and_unknown_people() {
        let (cs, a, b) = two_dantai();
        let later = START + Duration::milliseconds(1);
        assert_eq!(
            cs.shomeisho_since(chiyoda(), later),
            Err(QueryError::SinceInFuture {
                since: later,
                now: START
            })
        );
        let yokohama = DantaiCode::from_five(14100);
        assert_eq!(
            cs.shomeisho_all(yokohama),
            Err(QueryError::UnknownDantai(yokohama))
        );
        assert_eq!(
            cs.honin_kakunin(chiyoda(), b[0].juminhyo_code),
            Err(QueryError::UnknownJuminhyoCode {
                dantai: chiyoda(),
                juminhyo_code: b[0].juminhyo_code
            })
        );
        assert_eq!(
            cs.honin_kakunin(chiyoda(), a[0].juminhyo_code)
                .unwrap()
                .shimei,
            a[0].shimei
        );
        assert_eq!(
            cs.juminhyo_code_for_kojin_bango(b[0].kojin_bango),
            Some(b[0].juminhyo_code)
        );
        assert_eq!(cs.dantai_codes(), [chiyoda(), chofu()]);
    }

    /// The test stand-in for the 情報提供ネットワークシステム: a keyed mix of 住民票コード and
    /// 機関コード (deterministic, no hashing crate), recording what it was asked.
    struct TestIssuer {
        key: u64,
        asked: Mutex<Vec<(JuminhyoCode, KikanCode)>>,
    }

    impl TestIssuer {
        fn new(key: u64) -> Self {
            Self {
                key,
                asked: Mutex::new(Vec::new()),
            }
        }

        fn expected(&self, juminhyo_code: JuminhyoCode, kikan: KikanCode) -> Fugou {
            let mut x = self.key ^ juminhyo_code.value() ^ kikan.value().rotate_left(23);
            // SplitMix64's finaliser: every input bit reaches every output bit.
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            x ^= x >> 31;
            Fugou::new(format!("FG{x:016X}")).unwrap()
        }

        fn asked(&self) -> Vec<(JuminhyoCode, KikanCode)> {
            self.asked.lock().unwrap().clone()
        }
    }

    impl FugouIssuer for TestIssuer {
        fn issue(
            &self,
            juminhyo_code: JuminhyoCode,
            kikan: KikanCode,
        ) -> Result<Fugou, FugouIssueError> {
            self.asked.lock().unwrap().push((juminhyo_code, kikan));
            Ok(self.expected(juminhyo_code, kikan))
        }
    }

    fn kikan(code: DantaiCode) -> KikanCode {
        Catalogs::embedded().dantai(&code).unwrap().kikan_code
    }

    #[test]
    fn the_relay_maps_kojin_bango_to_juminhyo_code_for_the_dantai_s_kikan() {
        let (cs, a, b) = two_dantai();
        let issuer = TestIssuer::new(0x5eed);
        let person = &a[7];
        let fugou = cs
            .relay_fugou_request(chiyoda(), person.kojin_bango, &issuer)
            .unwrap();
        assert_eq!(
            fugou,
            issuer.expected(person.juminhyo_code, kikan(chiyoda()))
        );
        assert_ne!(fugou.as_str(), person.kojin_bango.as_str());
        // The same person and 機関 always get the same 符号; the issuer saw only the 住民票コード.
        assert_eq!(
            cs.relay_fugou_request(chiyoda(), person.kojin_bango, &issuer)
                .unwrap(),
            fugou
        );
        let other = cs
            .relay_fugou_request(chofu(), b[0].kojin_bango, &issuer)
            .unwrap();
        assert_ne!(other, fugou);
        assert_eq!(
            issuer.asked(),
            [
                (person.juminhyo_code, kikan(chiyoda())),
                (person.juminhyo_code, kikan(chiyoda())),
                (b[0].juminhyo_code, kikan(chofu())),
            ]
        );
    }

    #[test]
    fn the_relay_serves_juutougaisha_and_refuses_strangers() {
        let (cs, a, b) = two_dantai();
        // 調布市's resident as a 住登外者 of 千代田区: the 符号 is 千代田区's, like any other.
        let juutougai = TestIssuer::new(1);
        let fugou = cs
            .relay_fugou_request(chiyoda(), b[0].kojin_bango, &juutougai)
            .unwrap();
        assert_eq!(
            fugou,
            juutougai.expected(b[0].juminhyo_code, kikan(chiyoda()))
        );

        let issuer = TestIssuer::new(1);
        let stranger = KojinBango::from_body(98_320_567_321);
        assert_eq!(
            cs.relay_fugou_request(chiyoda(), stranger, &issuer),
            Err(FugouRelayError::UnknownKojinBango {
                kojin_bango: stranger
            })
        );
        let yokohama = DantaiCode::from_five(14100);
        assert_eq!(
            cs.relay_fugou_request(yokohama, a[0].kojin_bango, &issuer),
            Err(FugouRelayError::UnknownDantai(yokohama))
        );
        assert!(
            issuer.asked().is_empty(),
            "nothing refused reached the issuer"
        );

        // The issuer's refusal comes back as it is.
        let down = |_: JuminhyoCode, _: KikanCode| {
            Err(FugouIssueError::Unavailable {
                reason: "計画停止中".into(),
            })
        };
        let error = cs
            .relay_fugou_request(chiyoda(), a[0].kojin_bango, &down)
            .unwrap_err();
        assert_eq!(
            error,
            FugouRelayError::Issuer(FugouIssueError::Unavailable {
                reason: "計画停止中".into()
            })
        );
        assert!(error.to_string().contains("計画停止中"), "{error}");
    }

    #[test]
    fn a_resident_who_moves_in_is_listed_and_can_get_a_fugou() {
        let mut a = households(chiyoda(), 200, 5);
        let with_card = a
            .iter()
            .position(|h| h.members.iter().any(|m| !m.certificates.is_empty()))
            .unwrap();
        let newcomers = a.remove(with_card);
        let cs = JukinetCs::builder(Clock::frozen(START))
            .dantai(chiyoda(), &a, key("chiyoda"))
            .build()
            .unwrap();
        let issuer = TestIssuer::new(2);
        let person = &newcomers.members[0];
        assert_eq!(
            cs.relay_fugou_request(chiyoda(), person.kojin_bango, &issuer),
            Err(FugouRelayError::UnknownKojinBango {
                kojin_bango: person.kojin_bango
            })
        );

        cs.clock().advance(Duration::days(1)).unwrap();
        let moved_in = cs.clock().now();
        for member in &newcomers.members {
            let honin = cs.tennyu(chiyoda(), member).unwrap();
            assert_eq!(honin.koshin_nichiji, nichiji(moved_in));
        }
        assert!(matches!(
            cs.tennyu(chiyoda(), person),
            Err(ChangeError::Build(BuildError::DuplicateJuminhyoCode(_)))
        ));
        assert_eq!(
            cs.honin_kakunin(chiyoda(), person.juminhyo_code)
                .unwrap()
                .kojin_bango,
            person.kojin_bango
        );
        let fugou = cs
            .relay_fugou_request(chiyoda(), person.kojin_bango, &issuer)
            .unwrap();
        assert_eq!(
            fugou,
            issuer.expected(person.juminhyo_code, kikan(chiyoda()))
        );

        // Their certificates arrive in the next delta, stamped with the day they moved in.
        let serials: Vec<CertSerial> = newcomers
            .members
            .iter()
            .flat_map(|m| m.certificates.iter().map(|c| c.serial))
            .collect();
        let delta = cs.shomeisho_since(chiyoda(), START).unwrap();
        let mut got: Vec<CertSerial> = delta.records.iter().map(|r| r.serial).collect();
        let mut want = serials.clone();
        got.sort();
        want.sort();
        assert!(!want.is_empty());
        assert_eq!(got, want);
        assert!(
            delta
                .records
                .iter()
                .all(|r| r.koshin_nichiji == nichiji(moved_in))
        );
        // Only a 市区町村's own residents move in.
        let elsewhere = &members(&households(chofu(), 5, 1))[0];
        assert!(matches!(
            cs.tennyu(chiyoda(), elsewhere),
            Err(ChangeError::Build(BuildError::ResidentOfOtherDantai { .. }))
        ));
    }
}
