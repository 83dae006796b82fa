//! The 住基ネットCS API as a vendor's 既存住基システム sees it: real HTTP on loopback, files in both
//! forms, deltas after 失効 and 更新 on a virtual clock, 本人確認情報 one and many, every error
//! with its code, the 団体 isolation, the journal, and the OpenAPI document against the router.

mod jukinet_service {
    use std::collections::{BTreeMap, BTreeSet};
    use std::io::{Cursor, Read};
    use std::net::SocketAddr;

    use renkei_fixtures::catalog::Catalogs;
    use renkei_fixtures::ids::{CertSerial, DantaiCode, JuminhyoCode};
    use renkei_fixtures::population::{
        CertKind, Certificate, Household, PopulationSpec, Resident, RevocationReason, dantai_for,
        generate,
    };
    use renkei_simulator::clock::Clock;
    use renkei_simulator::http::Recording;
    use renkei_simulator::journal::{Journal, Query, System};
    use renkei_simulator::jukinet::service::{
        AccessKey, HONIN_KAKUNIN_MAX, JukinetCs, NewSerials, ROUTES, ServiceError, errors_markdown,
        router, yuko_kigen,
    };
    use renkei_simulator::jukinet::{
        HoninKakuninFile, HoninKakuninJoho, JST, MARKER, Nichiji, ShomeishoFile, ShomeishoJoho,
        read_csv, read_exceptions, read_fixed, restore, write_fixed,
    };
    use serde_json::{Value, json};
    use time::macros::datetime;
    use time::{Duration, OffsetDateTime};

    /// The virtual time the CS starts at: after the population's reference day (2026-04-01).
    const START: OffsetDateTime = datetime!(2026-04-06 09:00 +09:00);
    const KEY_A: &str = "chiyoda-0123456789abcdef";
    const KEY_B: &str = "chofu-0123456789abcdef00";
    /// Largest request body the test service accepts.
    const MAX_REQUEST_BYTES: usize = 32 * 1024;

    fn chiyoda() -> DantaiCode {
        DantaiCode::from_five(13101)
    }

    fn chofu() -> DantaiCode {
        DantaiCode::from_five(13208)
    }

    fn nichiji(at: OffsetDateTime) -> Nichiji {
        Nichiji::new(at).unwrap()
    }

    /// A running 住基ネットCS for 千代田区 (A, 300 residents) and 調布市 (B, 40), on a frozen clock.
    struct TestCs {
        addr: SocketAddr,
        cs: JukinetCs,
        clock: Clock,
        journal: Journal,
        http: reqwest::Client,
        /// Residents of A, in population order.
        a: Vec<Resident>,
        b: Vec<Resident>,
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

    async fn spawn_cs() -> TestCs {
        let clock = Clock::frozen(START);
        let (a, b) = (households(chiyoda(), 300, 1), households(chofu(), 40, 2));
        let cs = JukinetCs::builder(clock.clone())
            .dantai(chiyoda(), &a, AccessKey::new(KEY_A).unwrap())
            .dantai(chofu(), &b, AccessKey::new(KEY_B).unwrap())
            .build()
            .unwrap();
        let journal = Journal::new();
        let recording = std::sync::Arc::new(Recording {
            journal: journal.clone(),
            system: System::Jukinet,
            clock: clock.clone(),
            hops: None,
            max_request_bytes: MAX_REQUEST_BYTES,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(cs.clone(), recording).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestCs {
            addr,
            cs,
            clock,
            journal,
            // No proxy: a developer's HTTP_PROXY must not see loopback test traffic.
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            a: members(&a),
            b: members(&b),
        }
    }

    /// Percent-encodes a query value (RFC 3986 unreserved characters stay).
    fn enc(value: &str) -> String {
        value
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    fn rfc3339(at: OffsetDateTime) -> String {
        at.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    }

    impl TestCs {
        fn url(&self, path_and_query: &str) -> String {
            format!("http://{}{path_and_query}", self.addr)
        }

        async fn get(&self, key: Option<&str>, path_and_query: &str) -> reqwest::Response {
            let mut request = self.http.get(self.url(path_and_query));
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            request.send().await.unwrap()
        }

        async fn post(
            &self,
            key: Option<&str>,
            path_and_query: &str,
            body: &Value,
        ) -> reqwest::Response {
            let mut request = self.http.post(self.url(path_and_query)).json(body);
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            request.send().await.unwrap()
        }

        /// A file in the CSV form; checks the status and the content type.
        async fn csv(&self, key: &str, path_and_query: &str) -> Vec<u8> {
            let response = self.get(Some(key), path_and_query).await;
            assert_eq!(response.status(), 200, "{path_and_query}");
            assert_eq!(
                response.headers()["content-type"],
                "text/csv; charset=utf-8"
            );
            response.bytes().await.unwrap().to_vec()
        }

        fn jst_today(&self) -> time::Date {
            self.clock.now().to_offset(JST).date()
        }
    }

    /// The two entries of a `form=fixed` answer: the fixed-length file and its 外字例外ファイル.
    fn unzip(bytes: &[u8], file_id: &str) -> (Vec<u8>, Vec<u8>) {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 2);
        let mut entry = |name: String| {
            let mut out = Vec::new();
            archive
                .by_name(&name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .read_to_end(&mut out)
                .unwrap();
            out
        };
        (
            entry(format!("{file_id}.dat")),
            entry(format!("{file_id}_reigai.csv")),
        )
    }

    async fn fixed(response: reqwest::Response, file_id: &str) -> (Vec<u8>, Vec<u8>) {
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/zip");
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with(&format!("attachment; filename=\"{file_id}_"))
                && disposition.ends_with(".zip\""),
            "{disposition}"
        );
        unzip(&response.bytes().await.unwrap(), file_id)
    }

    /// The row the CS starts with for a certificate of the population.
    fn initial_row(resident: &Resident, cert: &Certificate) -> ShomeishoJoho {
        let day = cert.revoked.map_or(cert.issued, |r| r.max(cert.issued));
        ShomeishoJoho::from_certificate(
            resident.juminhyo_code,
            cert,
            nichiji(day.midnight().assume_offset(JST)),
        )
    }

    fn by_serial(rows: &[ShomeishoJoho]) -> BTreeMap<CertSerial, ShomeishoJoho> {
        rows.iter().map(|r| (r.serial, r.clone())).collect()
    }

    #[tokio::test]
    async fn full_export_in_both_forms_lists_every_certificate_of_the_dantai() {
        let cs = spawn_cs().await;
        let path = format!("/jukinet/v1/dantai/{}/shomeisho/zenken", chiyoda());
        let csv = cs.csv(KEY_A, &path).await;
        let file: ShomeishoFile = read_csv(&csv).unwrap();
        assert_eq!(file.header.created, nichiji(START));
        assert_eq!(file.header.period, None);
        let expected: Vec<ShomeishoJoho> = {
            let mut rows: Vec<_> =
                cs.a.iter()
                    .flat_map(|r| r.certificates.iter().map(move |c| initial_row(r, c)))
                    .collect();
            rows.sort_by_key(|r| r.serial);
            rows
        };
        assert!(expected.len() > 200, "{} certificates", expected.len());
        assert_eq!(file.records, expected);
        // Only A's: no serial of B's residents.
        let b_serials: BTreeSet<CertSerial> =
            cs.b.iter()
                .flat_map(|r| r.certificates.iter().map(|c| c.serial))
                .collect();
        assert!(file.records.iter().all(|r| !b_serials.contains(&r.serial)));

        // The fixed form: the same file, byte for byte what the format writer gives, and an
        // exception file with only its header line (証明書情報 has no 全角 items).
        let response = cs.get(Some(KEY_A), &format!("{path}?form=fixed")).await;
        let (data, reigai) = fixed(response, "JS01").await;
        assert_eq!(data, write_fixed(&file).unwrap().data);
        let fixed_file: ShomeishoFile = read_fixed(&data).unwrap();
        let exceptions = read_exceptions(&reigai).unwrap();
        assert!(exceptions.is_empty());
        assert_eq!(restore(&fixed_file, &exceptions).unwrap(), file);
        // form=csv is the default, and may be named.
        assert_eq!(cs.csv(KEY_A, &format!("{path}?form=csv")).await, csv);
    }

    #[tokio::test]
    async fn honin_kakunin_in_bulk_restores_every_character_from_the_exception_file() {
        let cs = spawn_cs().await;
        let path = format!("/jukinet/v1/dantai/{}/honin-kakunin", chiyoda());
        let codes: Vec<String> = cs.a.iter().map(|r| r.juminhyo_code.to_string()).collect();
        assert_eq!(codes.len(), 300);
        let body = json!({ "juminhyo_codes": codes });

        let response = cs.post(Some(KEY_A), &path, &body).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        let csv_file: HoninKakuninFile = read_csv(&response.bytes().await.unwrap()).unwrap();
        let expected: Vec<HoninKakuninJoho> =
            cs.a.iter()
                .map(|r| HoninKakuninJoho::from_resident(r, nichiji(START)))
                .collect();
        assert_eq!(csv_file.records, expected, "in the order asked");

        let response = cs
            .post(Some(KEY_A), &format!("{path}?form=fixed"), &body)
            .await;
        let (data, reigai) = fixed(response, "JH01").await;
        let fixed_file: HoninKakuninFile = read_fixed(&data).unwrap();
        let exceptions = read_exceptions(&reigai).unwrap();
        let yoshida =
            cs.a.iter()
                .position(|r| r.shimei.contains('𠮷'))
                .expect("the population has a 𠮷 edge case");
        assert!(fixed_file.records[yoshida].shimei.contains(MARKER));
        assert!(
            exceptions
                .iter()
                .any(|e| e.record == yoshida + 1 && e.moji == '𠮷'),
            "an exception row for 𠮷"
        );
        let restored = restore(&fixed_file, &exceptions).unwrap();
        assert_eq!(restored, csv_file);
        assert!(restored.records[yoshida].shimei.contains('𠮷'));
    }

    #[tokio::test]
    async fn honin_kakunin_of_one_resident_in_both_forms() {
        let cs = spawn_cs().await;
        let yoshida = cs.a.iter().find(|r| r.shimei.contains('𠮷')).unwrap();
        let path = format!(
            "/jukinet/v1/dantai/{}/honin-kakunin/{}",
            chiyoda(),
            yoshida.juminhyo_code
        );
        let file: HoninKakuninFile = read_csv(&cs.csv(KEY_A, &path).await).unwrap();
        assert_eq!(
            file.records,
            [HoninKakuninJoho::from_resident(yoshida, nichiji(START))]
        );
        assert_eq!(file.records[0].kojin_bango, yoshida.kojin_bango);

        let response = cs.get(Some(KEY_A), &format!("{path}?form=fixed")).await;
        let (data, reigai) = fixed(response, "JH01").await;
        let fixed_file: HoninKakuninFile = read_fixed(&data).unwrap();
        assert!(!fixed_file.records[0].shimei.contains('𠮷'));
        let exceptions = read_exceptions(&reigai).unwrap();
        assert!(exceptions.iter().all(|e| e.record == 1));
        assert_eq!(restore(&fixed_file, &exceptions).unwrap(), file);
    }

    /// A resident of A holding a certificate valid today, of `kind`, and not `other`.
    fn holder<'a>(cs: &'a TestCs, kind: CertKind, not: Option<&Resident>) -> &'a Resident {
        let today = cs.jst_today();
        cs.a.iter()
            .filter(|r| not.is_none_or(|n| n.juminhyo_code != r.juminhyo_code))
            .find(|r| {
                r.certificates
                    .iter()
                    .any(|c| c.kind == kind && c.revoked.is_none() && c.expires >= today)
            })
            .expect("the population has a holder")
    }

    async fn sabun(cs: &TestCs, since: OffsetDateTime, form: &str) -> reqwest::Response {
        cs.get(
            Some(KEY_A),
            &format!(
                "/jukinet/v1/dantai/{}/shomeisho/sabun?since={}&form={form}",
                chiyoda(),
                enc(&rfc3339(since))
            ),
        )
        .await
    }

    #[tokio::test]
    async fn a_delta_holds_exactly_the_rows_revoked_and_renewed_after_since() {
        let cs = spawn_cs().await;
        let zenken = format!("/jukinet/v1/dantai/{}/shomeisho/zenken", chiyoda());
        let t0 = START;
        let before: ShomeishoFile = read_csv(&cs.csv(KEY_A, &zenken).await).unwrap();

        // T1: a card reported lost — its 利用者証明用 certificate is revoked (JUK-03).
        cs.clock.advance(Duration::hours(1)).unwrap();
        let t1 = cs.clock.now();
        let today = cs.jst_today();
        let lost = holder(&cs, CertKind::RiyoshaShomei, None);
        let lost_cert = lost
            .certificates
            .iter()
            .find(|c| {
                c.kind == CertKind::RiyoshaShomei && c.revoked.is_none() && c.expires >= today
            })
            .unwrap();
        cs.cs
            .revoke(lost_cert.serial, today, RevocationReason::Funshitsu)
            .unwrap();

        // T2: another resident renews their card: new serials for the same person (JUK-04).
        cs.clock.advance(Duration::hours(1)).unwrap();
        let t2 = cs.clock.now();
        let renewer = holder(&cs, CertKind::Shomei, Some(lost));
        let new = NewSerials {
            riyosha_shomei: CertSerial::new(9_999_000_000_000_001).unwrap(),
            shomei: Some(CertSerial::new(9_999_000_000_000_002).unwrap()),
        };
        let renewal = cs.cs.renew(renewer.juminhyo_code, today, new).unwrap();

        cs.clock.advance(Duration::hours(1)).unwrap();
        let t3 = cs.clock.now();

        // What the delta since T0 must hold, built from the population alone.
        let mut expected = vec![ShomeishoJoho {
            shikkobi: Some(today),
            koshin_nichiji: nichiji(t1),
            ..initial_row(lost, lost_cert)
        }];
        let old: Vec<ShomeishoJoho> = renewer
            .certificates
            .iter()
            .filter(|c| c.revoked.is_none() && c.expires >= today)
            .map(|c| ShomeishoJoho {
                shikkobi: Some(today),
                koshin_nichiji: nichiji(t2),
                ..initial_row(renewer, c)
            })
            .collect();
        assert!(
            old.len() >= 2,
            "a 利用者証明用 and a 署名用 certificate to renew"
        );
        let issued: Vec<ShomeishoJoho> = [
            (CertKind::RiyoshaShomei, new.riyosha_shomei),
            (CertKind::Shomei, new.shomei.unwrap()),
        ]
        .into_iter()
        .map(|(shubetsu, serial)| ShomeishoJoho {
            serial,
            juminhyo_code: renewer.juminhyo_code,
            shubetsu,
            hakkobi: today,
            yuko_kigen: yuko_kigen(renewer.seinengappi, today),
            shikkobi: None,
            koshin_nichiji: nichiji(t2),
        })
        .collect();
        assert_eq!(renewal.revoked.len(), old.len());
        assert_eq!(renewal.issued, issued);
        let mut renewed: Vec<ShomeishoJoho> = old.iter().chain(&issued).cloned().collect();
        renewed.sort_by_key(|r| r.serial);
        expected.extend(renewed.iter().cloned());

        let delta: ShomeishoFile =
            read_csv(&sabun(&cs, t0, "csv").await.bytes().await.unwrap()).unwrap();
        assert_eq!(delta.header.created, nichiji(t3));
        let period = delta.header.period.unwrap();
        assert_eq!((period.since, period.until), (nichiji(t0), nichiji(t3)));
        assert_eq!(delta.records, expected);

        // `since` is excluded: since T1 leaves out the revocation stamped exactly T1.
        let since_t1: ShomeishoFile =
            read_csv(&sabun(&cs, t1, "csv").await.bytes().await.unwrap()).unwrap();
        assert_eq!(since_t1.records, renewed);
        // Since the last file: nothing.
        let since_t3: ShomeishoFile =
            read_csv(&sabun(&cs, t3, "csv").await.bytes().await.unwrap()).unwrap();
        assert!(since_t3.records.is_empty());

        // The fixed form carries the same rows.
        let (data, reigai) = fixed(sabun(&cs, t0, "fixed").await, "JS02").await;
        let fixed_delta: ShomeishoFile = read_fixed(&data).unwrap();
        assert_eq!(
            restore(&fixed_delta, &read_exceptions(&reigai).unwrap()).unwrap(),
            delta
        );

        // Applying the delta to the full file of T0 gives the full file of T3.
        let after: ShomeishoFile = read_csv(&cs.csv(KEY_A, &zenken).await).unwrap();
        let mut applied = by_serial(&before.records);
        applied.extend(by_serial(&delta.records));
        assert_eq!(applied, by_serial(&after.records));
        assert_eq!(after.records.len(), before.records.len() + 2);
    }

    #[tokio::test]
    async fn a_change_in_the_same_second_as_a_file_reaches_the_next_delta() {
        let cs = spawn_cs().await;
        let zenken = format!("/jukinet/v1/dantai/{}/shomeisho/zenken", chiyoda());
        let before: ShomeishoFile = read_csv(&cs.csv(KEY_A, &zenken).await).unwrap();
        // The clock has not moved: the revocation happens in the second of that file.
        let today = cs.jst_today();
        let lost = holder(&cs, CertKind::RiyoshaShomei, None);
        let serial = lost
            .certificates
            .iter()
            .find(|c| {
                c.kind == CertKind::RiyoshaShomei && c.revoked.is_none() && c.expires >= today
            })
            .unwrap()
            .serial;
        let row = cs
            .cs
            .revoke(serial, today, RevocationReason::Funshitsu)
            .unwrap();
        assert_eq!(row.koshin_nichiji, nichiji(START + Duration::SECOND));
        // A file made later in that second still shows the state of its 作成日時.
        let again: ShomeishoFile = read_csv(&cs.csv(KEY_A, &zenken).await).unwrap();
        assert_eq!(again, before);
        // The delta since that file's 作成日時 carries the change once the second has passed.
        cs.clock.advance(Duration::SECOND).unwrap();
        let delta: ShomeishoFile = read_csv(
            &sabun(&cs, before.header.created.get(), "csv")
                .await
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(delta.records, [row]);
    }

    /// Reads an error answer and checks its status, code and target; the code must be one the
    /// docs list with that status.
    async fn expect_error(
        response: reqwest::Response,
        status: u16,
        code: &str,
        target: Option<&str>,
    ) -> String {
        assert_eq!(response.status(), status, "{code}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        // REQUEST_TOO_LARGE is the shared body limit of `renkei_simulator::http`.
        let listed = code == "REQUEST_TOO_LARGE"
            || ServiceError::examples().iter().any(|e| {
                let (s, c) = e.status_and_code();
                (s.as_u16(), c) == (status, code)
            });
        assert!(listed, "{code} ({status}) is not in the documented errors");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["target"].as_str(), target, "{body}");
        let message = body["message"].as_str().unwrap().to_owned();
        assert!(!message.is_empty());
        message
    }

    #[tokio::test]
    async fn every_error_has_its_code_status_and_message() {
        let cs = spawn_cs().await;
        let a = chiyoda();
        let zenken = format!("/jukinet/v1/dantai/{a}/shomeisho/zenken");
        let sabun = format!("/jukinet/v1/dantai/{a}/shomeisho/sabun");
        let bulk = format!("/jukinet/v1/dantai/{a}/honin-kakunin");
        let one = |code: &str| format!("/jukinet/v1/dantai/{a}/honin-kakunin/{code}");
        let resident = cs.a[0].juminhyo_code.to_string();

        // 認証
        let response = cs.get(None, &zenken).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"jukinet-cs\""
        );
        expect_error(response, 401, "AUTH_MISSING", Some("Authorization")).await;
        let basic = cs
            .http
            .get(cs.url(&zenken))
            .header("authorization", "Basic dXNlcjpwYXNz")
            .send()
            .await
            .unwrap();
        expect_error(basic, 401, "AUTH_MISSING", Some("Authorization")).await;
        let message = expect_error(
            cs.get(Some("not-the-key-of-anyone"), &zenken).await,
            401,
            "AUTH_INVALID",
            Some("Authorization"),
        )
        .await;
        assert_eq!(message, "アクセスキーが正しくありません");

        // 団体
        let message = expect_error(
            cs.get(Some(KEY_A), "/jukinet/v1/dantai/131017/shomeisho/zenken")
                .await,
            400,
            "DANTAI_CODE_INVALID",
            Some("dantai_code"),
        )
        .await;
        assert!(message.contains("検査数字"), "{message}");
        expect_error(
            cs.get(Some(KEY_A), "/jukinet/v1/dantai/141003/shomeisho/zenken")
                .await,
            404,
            "DANTAI_UNKNOWN",
            Some("dantai_code"),
        )
        .await;

        // Query parameters
        expect_error(
            cs.get(Some(KEY_A), &format!("{zenken}?from=fixed")).await,
            400,
            "QUERY_INVALID",
            Some("from"),
        )
        .await;
        expect_error(
            cs.get(Some(KEY_A), &format!("{zenken}?form=csv&form=fixed"))
                .await,
            400,
            "QUERY_INVALID",
            Some("form"),
        )
        .await;
        expect_error(
            cs.get(Some(KEY_A), &format!("{zenken}?form=xml")).await,
            400,
            "FORM_INVALID",
            Some("form"),
        )
        .await;

        // since
        expect_error(
            cs.get(Some(KEY_A), &sabun).await,
            400,
            "SINCE_MISSING",
            Some("since"),
        )
        .await;
        let message = expect_error(
            cs.get(
                Some(KEY_A),
                &format!("{sabun}?since=2026-04-06T08:00:00+09:00"),
            )
            .await,
            400,
            "SINCE_INVALID",
            Some("since"),
        )
        .await;
        assert!(message.contains("%2B09:00"), "the hint about +: {message}");
        expect_error(
            cs.get(Some(KEY_A), &format!("{sabun}?since=2026-04-06"))
                .await,
            400,
            "SINCE_INVALID",
            Some("since"),
        )
        .await;
        let message = expect_error(
            cs.get(
                Some(KEY_A),
                &format!("{sabun}?since={}", enc("2026-04-06T09:00:01+09:00")),
            )
            .await,
            400,
            "SINCE_IN_FUTURE",
            Some("since"),
        )
        .await;
        assert!(message.contains("2026-04-06T09:00:00+09:00"), "{message}");

        // 住民票コード
        let message = expect_error(
            cs.get(Some(KEY_A), &one("9901234567")).await,
            400,
            "JUMINHYO_CODE_INVALID",
            Some("juminhyo_code"),
        )
        .await;
        assert_eq!(
            message,
            "住民票コード「9901234567」: 11桁の数字であるべきところ10文字です"
        );
        // A resident of B is not a resident of A: not found, whoever they are.
        let of_b = cs.b[0].juminhyo_code.to_string();
        expect_error(
            cs.get(Some(KEY_A), &one(&of_b)).await,
            404,
            "JUMINHYO_CODE_UNKNOWN",
            Some(of_b.as_str()),
        )
        .await;

        // Bulk
        expect_error(
            cs.post(Some(KEY_A), &bulk, &json!({ "codes": [resident] }))
                .await,
            400,
            "BODY_INVALID",
            Some("juminhyo_codes"),
        )
        .await;
        let not_json = cs
            .http
            .post(cs.url(&bulk))
            .bearer_auth(KEY_A)
            .body("juminhyo_codes=1")
            .send()
            .await
            .unwrap();
        expect_error(not_json, 400, "BODY_INVALID", Some("juminhyo_codes")).await;
        expect_error(
            cs.post(Some(KEY_A), &bulk, &json!({ "juminhyo_codes": [] }))
                .await,
            400,
            "BULK_EMPTY",
            Some("juminhyo_codes"),
        )
        .await;
        let too_many: Vec<String> = (0..=HONIN_KAKUNIN_MAX as u64)
            .map(|i| JuminhyoCode::from_number(99_000_000_000 + i).to_string())
            .collect();
        let message = expect_error(
            cs.post(Some(KEY_A), &bulk, &json!({ "juminhyo_codes": too_many }))
                .await,
            400,
            "BULK_TOO_MANY",
            Some("juminhyo_codes"),
        )
        .await;
        assert!(message.contains("1001件"), "{message}");
        expect_error(
            cs.post(
                Some(KEY_A),
                &bulk,
                &json!({ "juminhyo_codes": [resident, "99x"] }),
            )
            .await,
            400,
            "JUMINHYO_CODE_INVALID",
            Some("juminhyo_codes[1]"),
        )
        .await;
        let message = expect_error(
            cs.post(
                Some(KEY_A),
                &bulk,
                &json!({ "juminhyo_codes": [resident, cs.a[1].juminhyo_code.to_string(), resident] }),
            )
            .await,
            400,
            "JUMINHYO_CODE_DUPLICATE",
            Some(resident.as_str()),
        )
        .await;
        assert!(message.contains("1番目と3番目"), "{message}");
        expect_error(
            cs.post(
                Some(KEY_A),
                &bulk,
                &json!({ "juminhyo_codes": [resident, of_b] }),
            )
            .await,
            404,
            "JUMINHYO_CODE_UNKNOWN",
            Some(of_b.as_str()),
        )
        .await;
        let huge = json!({ "juminhyo_codes": ["x".repeat(MAX_REQUEST_BYTES)] });
        expect_error(
            cs.post(Some(KEY_A), &bulk, &huge).await,
            413,
            "REQUEST_TOO_LARGE",
            None,
        )
        .await;

        // Paths and methods
        expect_error(
            cs.get(Some(KEY_A), "/jukinet/v1/shomeisho").await,
            404,
            "NOT_FOUND",
            None,
        )
        .await;
        let delete = cs
            .http
            .delete(cs.url(&zenken))
            .bearer_auth(KEY_A)
            .send()
            .await
            .unwrap();
        assert_eq!(delete.headers()["allow"], "GET");
        let message = expect_error(delete, 405, "METHOD_NOT_ALLOWED", None).await;
        assert!(message.contains("DELETE"), "{message}");

        // The simulator's own failures: a clock set back behind the data, a clock outside the
        // years a file can carry. Neither is the vendor's doing; both say so.
        cs.clock.set(START - Duration::hours(1));
        let message = expect_error(
            cs.get(Some(KEY_A), &one(&resident)).await,
            500,
            "FILE_WRITE_FAILED",
            None,
        )
        .await;
        assert!(message.contains("更新日時"), "{message}");
        cs.clock.set(datetime!(0000-06-01 00:00 +09:00));
        expect_error(
            cs.get(Some(KEY_A), &zenken).await,
            500,
            "CLOCK_OUT_OF_RANGE",
            None,
        )
        .await;
    }

    #[tokio::test]
    async fn a_dantai_reads_only_its_own_data() {
        let cs = spawn_cs().await;
        let (a, b) = (chiyoda(), chofu());
        for (key, own, other) in [(KEY_A, a, b), (KEY_B, b, a)] {
            let own_file: ShomeishoFile = read_csv(
                &cs.csv(key, &format!("/jukinet/v1/dantai/{own}/shomeisho/zenken"))
                    .await,
            )
            .unwrap();
            assert!(!own_file.records.is_empty());
            for path in [
                format!("/jukinet/v1/dantai/{other}/shomeisho/zenken"),
                format!(
                    "/jukinet/v1/dantai/{other}/shomeisho/sabun?since={}",
                    enc(&rfc3339(START - Duration::days(30)))
                ),
                format!(
                    "/jukinet/v1/dantai/{other}/honin-kakunin/{}",
                    cs.a[0].juminhyo_code
                ),
            ] {
                let message = expect_error(
                    cs.get(Some(key), &path).await,
                    403,
                    "DANTAI_FORBIDDEN",
                    Some("dantai_code"),
                )
                .await;
                assert!(message.contains(&format!("団体{own}のもの")), "{message}");
            }
            let bulk = cs
                .post(
                    Some(key),
                    &format!("/jukinet/v1/dantai/{other}/honin-kakunin"),
                    &json!({ "juminhyo_codes": [cs.b[0].juminhyo_code.to_string()] }),
                )
                .await;
            expect_error(bulk, 403, "DANTAI_FORBIDDEN", Some("dantai_code")).await;
        }
        // B's own residents through B's key.
        let of_b = &cs.b[0];
        let file: HoninKakuninFile = read_csv(
            &cs.csv(
                KEY_B,
                &format!(
                    "/jukinet/v1/dantai/{}/honin-kakunin/{}",
                    chofu(),
                    of_b.juminhyo_code
                ),
            )
            .await,
        )
        .unwrap();
        assert_eq!(file.records[0].shimei, of_b.shimei);
    }

    #[tokio::test]
    async fn every_exchange_is_in_the_journal_with_its_caller() {
        let cs = spawn_cs().await;
        let zenken_a = format!("/jukinet/v1/dantai/{}/shomeisho/zenken", chiyoda());
        let zenken_b = format!("/jukinet/v1/dantai/{}/shomeisho/zenken?form=fixed", chofu());
        let bulk = format!("/jukinet/v1/dantai/{}/honin-kakunin", chiyoda());
        let body = json!({ "juminhyo_codes": [cs.a[0].juminhyo_code.to_string()] });

        let a = Some(chiyoda().to_string());
        let b = Some(chofu().to_string());
        // (key, path, status, the account the journal must name: the 団体 of a valid key on a
        // route; nobody for a missing key or a path the API does not have).
        let gets = [
            (Some(KEY_A), zenken_a.as_str(), 200, a.clone()),
            (None, zenken_a.as_str(), 401, None),
            (Some(KEY_A), zenken_b.as_str(), 403, a.clone()),
            (Some(KEY_B), zenken_b.as_str(), 200, b.clone()),
            (Some(KEY_A), "/jukinet/v1/nothing-here", 404, None),
        ];
        let mut sent = Vec::new();
        for (key, path, status, account) in gets {
            assert_eq!(cs.get(key, path).await.status(), status, "{path}");
            sent.push(("GET".to_owned(), path.to_owned(), status, account));
        }
        assert_eq!(cs.post(Some(KEY_A), &bulk, &body).await.status(), 200);
        sent.push(("POST".to_owned(), bulk.clone(), 200, a.clone()));

        let page = cs.journal.query(&Query {
            system: Some(System::Jukinet),
            ..Query::default()
        });
        let recorded: Vec<(String, String, u16, Option<String>)> = page
            .exchanges
            .iter()
            .map(|e| {
                (
                    e.method.clone(),
                    e.route.clone(),
                    e.status,
                    e.caller.account.clone(),
                )
            })
            .collect();
        assert_eq!(recorded, sent);
        for exchange in &page.exchanges {
            let peer = exchange.caller.peer.as_deref().unwrap();
            assert!(peer.starts_with("127.0.0.1:"), "{peer}");
            assert_eq!(exchange.caller.proxy_hop, None);
            assert_eq!(exchange.at, START);
        }
        // The bulk request and its CSV answer are both kept.
        let last = page.exchanges.last().unwrap();
        assert!(last.request_body.text().contains("juminhyo_codes"));
        assert!(last.response_body.text().starts_with("ファイルID,"));
        // The ZIP answer is kept as binary.
        assert_eq!(
            page.exchanges[3].response_body.encoding(),
            renkei_simulator::journal::BodyEncoding::Base64
        );
    }

    /// `paths:` of the OpenAPI document: each path with its methods (a hand parser for the
    /// document's own layout: paths indented 2, methods 4).
    fn openapi_paths(yaml: &str) -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        let mut in_paths = false;
        let mut path: Option<String> = None;
        for line in yaml.lines() {
            if !line.starts_with(' ') && !line.trim().is_empty() && !line.starts_with('#') {
                in_paths = line.trim_end() == "paths:";
                path = None;
                continue;
            }
            if !in_paths {
                continue;
            }
            if let Some(rest) = line.strip_prefix("  ")
                && !rest.starts_with(' ')
                && rest.starts_with('/')
            {
                path = Some(
                    rest.trim_end()
                        .trim_end_matches(':')
                        .trim_matches('"')
                        .to_owned(),
                );
            } else if let Some(rest) = line.strip_prefix("    ")
                && !rest.starts_with(' ')
            {
                let key = rest.trim_end().trim_end_matches(':');
                if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&key) {
                    found.insert((
                        key.to_uppercase(),
                        path.clone().expect("a method under a path"),
                    ));
                }
            }
        }
        found
    }

    fn doc(path: &str) -> String {
        std::fs::read_to_string(format!("{}/../docs/{path}", env!("CARGO_MANIFEST_DIR")))
            .unwrap_or_else(|e| panic!("docs/{path}: {e}"))
    }

    #[tokio::test]
    async fn the_openapi_document_and_the_router_agree() {
        let yaml = doc("openapi/jukinet-cs.yaml");
        assert!(yaml.starts_with("openapi: 3.1."), "OpenAPI 3.1");
        let documented = openapi_paths(&yaml);
        let served: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_owned()))
            .collect();
        assert_eq!(documented, served);
        for route in &ROUTES {
            assert!(
                yaml.contains(&format!("operationId: {}", route.operation_id)),
                "{}",
                route.operation_id
            );
        }

        // Every route answers with its file (not 404 / 405) for a real 団体 and resident.
        let cs = spawn_cs().await;
        let code = cs.a[0].juminhyo_code.to_string();
        for route in &ROUTES {
            let path = route
                .path
                .replace("{dantai_code}", chiyoda().as_str())
                .replace("{juminhyo_code}", &code);
            let query = if route.path.ends_with("/sabun") {
                format!("?since={}", enc(&rfc3339(START - Duration::days(1))))
            } else {
                String::new()
            };
            let mut request = cs
                .http
                .request(route.method.clone(), cs.url(&format!("{path}{query}")))
                .bearer_auth(KEY_A);
            if route.method == reqwest::Method::POST {
                request = request.json(&json!({ "juminhyo_codes": [code] }));
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{} {}", route.method, route.path);
            let body = response.bytes().await.unwrap();
            let file_id = route.file_id.id();
            assert!(
                body.starts_with("ファイルID,作成日時".as_bytes())
                    && String::from_utf8_lossy(&body)
                        .lines()
                        .nth(1)
                        .unwrap()
                        .starts_with(file_id),
                "{} answers with {file_id}",
                route.path
            );
        }
    }

    #[test]
    fn the_api_page_documents_every_route_error_and_limit() {
        let page = doc("jukinet-cs-api.md");
        let yaml = doc("openapi/jukinet-cs.yaml");
        let table = errors_markdown();
        assert!(
            page.contains(&table),
            "docs/jukinet-cs-api.md に次のエラー表がありません (そのまま貼り付けてください):\n\n{table}"
        );
        for error in ServiceError::examples() {
            let code = error.status_and_code().1;
            assert!(yaml.contains(code), "openapi: {code}");
        }
        // The shared body limit of `renkei_simulator::http` answers here too.
        assert!(page.contains("REQUEST_TOO_LARGE") && yaml.contains("REQUEST_TOO_LARGE"));
        for route in &ROUTES {
            assert!(
                page.contains(&format!("{} {}", route.method, route.path)),
                "{} {}",
                route.method,
                route.path
            );
        }
        let max = HONIN_KAKUNIN_MAX.to_string();
        assert!(
            page.contains(&format!("{max}件")),
            "the bulk limit in the page"
        );
        assert!(
            yaml.contains(&format!("maxItems: {max}")),
            "the bulk limit in the schema"
        );
        for claim in [
            "renkei が定めた",
            "seed 001 §5 ②",
            "jukinet-formats.md",
            "相互TLS",
            "合成データ",
        ] {
            assert!(page.contains(claim), "「{claim}」");
        }
    }
}
