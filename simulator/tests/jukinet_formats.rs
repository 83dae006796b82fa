//! The 住基ネットCS file formats as a vendor sees them: round trips in both forms, the 外字例外
//! ファイル restoring every character, errors that name the line and the item, and the bytes of
//! a small fixed-length file pinned so the layout cannot change by accident.

mod jukinet {
    use proptest::prelude::*;
    use renkei_fixtures::ids::{CertSerial, JuminhyoCode, KojinBango};
    use renkei_fixtures::population::{CertKind, CertStatus, Seibetsu};
    use renkei_simulator::jukinet::{
        HoninKakuninFile, HoninKakuninJoho, JukinetFile, Nichiji, ReigaiShubetsu, ShomeishoFile,
        ShomeishoJoho, read_csv, read_exceptions, read_fixed, restore, write_csv, write_exceptions,
        write_fixed,
    };
    use time::macros::{date, datetime};
    use time::{Date, OffsetDateTime};

    fn nichiji(t: OffsetDateTime) -> Nichiji {
        Nichiji::new(t).unwrap()
    }

    fn cert(
        serial: u64,
        shubetsu: CertKind,
        issued: Date,
        expires: Date,
        revoked: Option<Date>,
        koshin: OffsetDateTime,
    ) -> ShomeishoJoho {
        ShomeishoJoho {
            serial: CertSerial::new(serial).unwrap(),
            juminhyo_code: JuminhyoCode::from_number(99_000_000_000 + serial % 1000),
            shubetsu,
            hakkobi: issued,
            yuko_kigen: expires,
            shikkobi: revoked,
            koshin_nichiji: nichiji(koshin),
        }
    }

    /// Three certificates: one valid, one revoked (renewal), one expired.
    fn certificates() -> Vec<ShomeishoJoho> {
        vec![
            cert(
                9_011_000_000_000_001,
                CertKind::RiyoshaShomei,
                date!(2024 - 05 - 10),
                date!(2029 - 06 - 15),
                None,
                datetime!(2024-05-10 10:00 +9),
            ),
            cert(
                9_011_000_000_000_002,
                CertKind::Shomei,
                date!(2019 - 05 - 10),
                date!(2024 - 06 - 15),
                Some(date!(2024 - 05 - 10)),
                datetime!(2024-05-10 10:00 +9),
            ),
            cert(
                9_011_000_000_000_003,
                CertKind::RiyoshaShomei,
                date!(2016 - 02 - 01),
                date!(2021 - 02 - 28),
                None,
                datetime!(2016-02-01 09:15:30 +9),
            ),
        ]
    }

    fn created() -> Nichiji {
        nichiji(datetime!(2026-04-01 09:00 +9))
    }

    fn resident(shimei: &str, kana: Option<&str>, jusho: &str) -> HoninKakuninJoho {
        HoninKakuninJoho {
            juminhyo_code: JuminhyoCode::from_number(99_012_345_678),
            kojin_bango: KojinBango::from_body(99_012_345_678),
            shimei: shimei.to_owned(),
            shimei_kana: kana.map(str::to_owned),
            seinengappi: date!(1985 - 06 - 15),
            seibetsu: Seibetsu::Onna,
            jusho: jusho.to_owned(),
            koshin_nichiji: nichiji(datetime!(2026-03-15 10:30 +9)),
        }
    }

    /// Residents carrying every character the fixed-length form cannot (or can only just) carry.
    fn edge_residents() -> HoninKakuninFile {
        let long_jusho = "東京都千代田区千代田1丁目1番1号　グランドメゾン千代田セントラルタワーレジデンス・イーストウイング　パークサイドヒルズ皇居外苑ガーデンテラス・ノースコートアネックス　1203号室";
        JukinetFile::honin_kakunin(
            created(),
            vec![
                resident(
                    "𠮷田　花子",
                    Some("ヨシダ　ハナコ"),
                    "東京都千代田区千代田1丁目1番1号",
                ),
                resident(
                    "髙橋　一郎",
                    Some("タカハシ　イチロウ"),
                    "東京都千代田区神田1丁目2番3号",
                ),
                resident("山﨑　次郎", None, "東京都千代田区麹町2丁目3番4号"),
                resident(
                    "渡\u{E000}　三郎",
                    Some("ﾜﾀﾅﾍﾞ　ｻﾌﾞﾛｳ"),
                    "東京都千代田区九段南1丁目1番1号",
                ),
                resident(
                    "鈴木　花",
                    Some("スズキ　ハナ"),
                    "東京都千代田区丸の内1丁目1番1号　メゾン〜ひだまり〜　101号室",
                ),
                resident(
                    "佐藤　葉",
                    Some("サトウ　ヨウ"),
                    "東京都千代田区丸の内1丁目1番1号　コーポ～さくら～　202号室",
                ),
                resident("田中　実", Some("タナカ　ミノル"), long_jusho),
            ],
        )
    }

    #[test]
    fn csv_round_trip_of_certificates() {
        let file = ShomeishoFile::zenken(created(), certificates());
        let text = write_csv(&file).unwrap();
        assert_eq!(read_csv::<ShomeishoJoho>(text.as_bytes()).unwrap(), file);
        // The 状態 column is judged on the 作成日時's day.
        let statuses: Vec<CertStatus> = file.records.iter().map(|r| r.jotai(created())).collect();
        assert_eq!(
            statuses,
            [
                CertStatus::Yuukou,
                CertStatus::Shikkou,
                CertStatus::KigenGire
            ]
        );
    }

    #[test]
    fn csv_file_is_exactly_this() {
        let file = ShomeishoFile::sabun(
            created(),
            nichiji(datetime!(2024-05-01 00:00 +9)),
            &certificates(),
        );
        let text = write_csv(&file).unwrap();
        assert_eq!(
            text,
            "ファイルID,作成日時,対象期間開始,対象期間終了,データ件数\r\n\
         JS02,2026-04-01T09:00:00+09:00,2024-05-01T00:00:00+09:00,2026-04-01T09:00:00+09:00,2\r\n\
         シリアル番号,住民票コード,証明書種別,発行日,有効期限,失効日,状態,更新日時\r\n\
         9011000000000001,99000000001,2,2024-05-10,2029-06-15,,1,2024-05-10T10:00:00+09:00\r\n\
         9011000000000002,99000000002,1,2019-05-10,2024-06-15,2024-05-10,2,2024-05-10T10:00:00+09:00\r\n"
        );
        assert!(!text.starts_with('\u{FEFF}'), "no BOM");
    }

    #[test]
    fn csv_round_trip_keeps_every_character_and_quotes_what_needs_it() {
        let mut file = edge_residents();
        file.records.push(resident(
            "\"引用\",　カンマ",
            Some("改行\r\nあり"),
            "住所,\"二重\"",
        ));
        let text = write_csv(&file).unwrap();
        assert!(text.contains("\"\"\"引用\"\",　カンマ\""), "{text}");
        assert!(text.contains("\"改行\r\nあり\""), "{text}");
        assert_eq!(read_csv::<HoninKakuninJoho>(text.as_bytes()).unwrap(), file);
    }

    #[test]
    fn fixed_round_trip_restores_every_character_through_the_exception_file() {
        let file = edge_residents();
        let out = write_fixed(&file).unwrap();
        let read = read_fixed::<HoninKakuninJoho>(&out.data).unwrap();
        assert_ne!(read, file, "the fixed-length file alone carries 〓");
        assert_eq!(read.records[0].shimei, "〓田　花子");
        assert_eq!(read.records[1].shimei, "〓橋　一郎");
        assert_eq!(read.records[2].shimei, "山〓　次郎");
        assert_eq!(read.records[3].shimei, "渡〓　三郎");
        // Half-width kana is carried as it is (single bytes), not converted.
        assert_eq!(read.records[3].shimei_kana.as_deref(), Some("ﾜﾀﾅﾍﾞ　ｻﾌﾞﾛｳ"));
        // 〜 WAVE DASH has no Shift_JIS bytes in encoding_rs: 〓 and an exception row.
        assert_eq!(
            read.records[4].jusho,
            "東京都千代田区丸の内1丁目1番1号　メゾン〓ひだまり〓　101号室"
        );
        // ～ FULLWIDTH TILDE is 0x8160 and reads back as itself: no exception.
        assert_eq!(read.records[5].jusho, file.records[5].jusho);
        // The long 住所 is cut at 120 bytes, ending in 〓.
        assert!(
            read.records[6].jusho.ends_with('〓'),
            "{}",
            read.records[6].jusho
        );
        assert!(
            file.records[6]
                .jusho
                .starts_with(read.records[6].jusho.trim_end_matches('〓'))
        );

        let kinds: Vec<(usize, &str, usize, ReigaiShubetsu, char)> = out
            .exceptions
            .iter()
            .map(|r| (r.record, r.komoku, r.position, r.shubetsu, r.moji))
            .collect();
        assert_eq!(
            kinds,
            [
                (1, "氏名", 1, ReigaiShubetsu::Gaiji, '\u{20BB7}'),
                (2, "氏名", 1, ReigaiShubetsu::Gaiji, '髙'),
                (3, "氏名", 2, ReigaiShubetsu::Gaiji, '﨑'),
                (4, "氏名", 2, ReigaiShubetsu::Gaiji, '\u{E000}'),
                (5, "住所", 22, ReigaiShubetsu::Gaiji, '〜'),
                (5, "住所", 27, ReigaiShubetsu::Gaiji, '〜'),
                // 60 characters take 117 bytes; 〓 makes 119 and one ASCII space pads to 120.
                (7, "住所", 61, ReigaiShubetsu::KetaAfure, '皇'),
            ]
        );

        let csv = out.exceptions_csv();
        let exceptions = read_exceptions(csv.as_bytes()).unwrap();
        assert_eq!(exceptions, out.exceptions);
        assert_eq!(restore(&read, &exceptions).unwrap(), file);
    }

    #[test]
    fn exception_file_is_exactly_this() {
        let file = JukinetFile::honin_kakunin(
            created(),
            vec![resident(
                "𠮷田　花子",
                Some("ヨシダ　ハナコ"),
                "東京都千代田区千代田1丁目1番1号",
            )],
        );
        let out = write_fixed(&file).unwrap();
        assert_eq!(
            out.exceptions_csv(),
            "ファイルID,レコード番号,項目名,文字位置,種別,元の文字,元の値\r\n\
         JH01,1,氏名,1,外字,U+20BB7,𠮷田　花子\r\n"
        );
        assert_eq!(
            write_exceptions(&[]),
            "ファイルID,レコード番号,項目名,文字位置,種別,元の文字,元の値\r\n"
        );
    }

    /// The bytes of a small delta file, pinned: any change to the layout shows here.
    #[test]
    fn fixed_certificate_file_is_exactly_these_bytes() {
        let file = ShomeishoFile::sabun(
            created(),
            nichiji(datetime!(2024-05-01 00:00 +9)),
            &certificates(),
        );
        let out = write_fixed(&file).unwrap();
        let expected = concat!(
            "1JS0220260401090000202405010000002026040109000000000002                         \r\n",
            "20000000100009011000000000001990000000012202405102029061500000000120240510100000\r\n",
            "20000000200009011000000000002990000000021201905102024061520240510220240510100000\r\n",
            "9JS0200000002                                                                   \r\n",
        );
        assert_eq!(String::from_utf8(out.data.clone()).unwrap(), expected);
        assert!(out.exceptions.is_empty());
        assert_eq!(
            read_fixed::<ShomeishoJoho>(expected.as_bytes()).unwrap(),
            file
        );
    }

    /// The data record of the worked example, byte for byte (padding written as repeats).
    #[test]
    fn fixed_resident_record_is_exactly_these_bytes() {
        let file = JukinetFile::honin_kakunin(
            created(),
            vec![resident(
                "𠮷田　花子",
                Some("ﾖｼﾀﾞ ﾊﾅｺ"),
                "東京都千代田区千代田1丁目1番1号",
            )],
        );
        let out = write_fixed(&file).unwrap();
        let zenkaku_space = [0x81u8, 0x40];
        let mut expected: Vec<u8> = Vec::new();
        expected.extend_from_slice(b"2"); // レコード区分
        expected.extend_from_slice(b"00000001"); // レコード番号
        expected.extend_from_slice(b"99012345678"); // 住民票コード
        expected.extend_from_slice(b"990123456785"); // 個人番号 (check digit 5)
        // 氏名 N(60): 〓 田 全角空白 花 子, then 25 全角空白.
        expected.extend_from_slice(&[0x81, 0xAC, 0x93, 0x63, 0x81, 0x40, 0x89, 0xD4, 0x8E, 0x71]);
        expected.extend_from_slice(&zenkaku_space.repeat(25));
        // 氏名カナ N(60): 8 single bytes (half-width kana and the ASCII space inside), then 26 全角空白.
        expected.extend_from_slice(&[0xD6, 0xBC, 0xC0, 0xDE, b' ', 0xCA, 0xC5, 0xBA]);
        expected.extend_from_slice(&zenkaku_space.repeat(26));
        expected.extend_from_slice(b"19850615"); // 生年月日
        expected.extend_from_slice(b"2"); // 性別
        // 住所 N(120): 東京都千代田区千代田 1 丁目 1 番 1 号 (31 bytes), then 44 全角空白 and one
        // ASCII space for the odd byte left over.
        expected.extend_from_slice(&[
            0x93, 0x8C, 0x8B, 0x9E, 0x93, 0x73, 0x90, 0xE7, 0x91, 0xE3, 0x93, 0x63, 0x8B, 0xE6,
            0x90, 0xE7, 0x91, 0xE3, 0x93, 0x63, b'1', 0x92, 0x9A, 0x96, 0xDA, b'1', 0x94, 0xD4,
            b'1', 0x8D, 0x86,
        ]);
        expected.extend_from_slice(&zenkaku_space.repeat(44));
        expected.push(b' ');
        expected.extend_from_slice(b"20260315103000"); // 更新日時
        expected.extend_from_slice(b"\r\n");
        assert_eq!(expected.len(), 297);
        let record = &out.data[297..594];
        assert_eq!(record, &expected[..], "{}", String::from_utf8_lossy(record));
    }

    #[test]
    fn delta_files_carry_rows_changed_in_the_period_with_their_new_state() {
        let mut rows = certificates();
        // A renewal on 2026-03-31: the old certificate is revoked and a new serial issued.
        rows[0].shikkobi = Some(date!(2026 - 03 - 31));
        rows[0].koshin_nichiji = nichiji(datetime!(2026-03-31 14:00 +9));
        rows.push(cert(
            9_011_000_000_000_004,
            CertKind::RiyoshaShomei,
            date!(2026 - 03 - 31),
            date!(2031 - 06 - 15),
            None,
            datetime!(2026-03-31 14:00 +9),
        ));
        let file = ShomeishoFile::sabun(created(), nichiji(datetime!(2026-03-01 00:00 +9)), &rows);
        let serials: Vec<u64> = file.records.iter().map(|r| r.serial.value()).collect();
        assert_eq!(serials, [9_011_000_000_000_001, 9_011_000_000_000_004]);
        assert_eq!(file.records[0].jotai(created()), CertStatus::Shikkou);
        let out = write_fixed(&file).unwrap();
        assert_eq!(read_fixed::<ShomeishoJoho>(&out.data).unwrap(), file);
        let csv = write_csv(&file).unwrap();
        assert_eq!(read_csv::<ShomeishoJoho>(csv.as_bytes()).unwrap(), file);
    }

    #[test]
    fn the_synthetic_population_round_trips_in_both_forms() {
        use renkei_fixtures::catalog::Catalogs;
        use renkei_fixtures::ids::DantaiCode;
        use renkei_fixtures::population::{EdgeCase, PopulationSpec, dantai_for, generate};

        let code = DantaiCode::from_five(13101);
        let spec = PopulationSpec {
            dantai: code,
            size: 1500,
            seed: 7,
            as_of: PopulationSpec::DEFAULT_AS_OF,
        };
        let dantai = dantai_for(Catalogs::embedded(), &code).unwrap();
        let residents: Vec<_> = generate(&spec, dantai)
            .unwrap()
            .into_iter()
            .flat_map(|h| h.members)
            .collect();
        for edge in EdgeCase::ALL {
            assert!(
                residents.iter().any(|r| r.edge_cases.contains(&edge)),
                "no resident with {edge:?}"
            );
        }
        let koshin = nichiji(datetime!(2026-03-31 12:00 +9));
        let honin = JukinetFile::honin_kakunin(
            created(),
            residents
                .iter()
                .map(|r| HoninKakuninJoho::from_resident(r, koshin))
                .collect(),
        );
        let out = write_fixed(&honin).unwrap();
        assert!(
            out.exceptions
                .iter()
                .any(|r| r.shubetsu == ReigaiShubetsu::KetaAfure)
        );
        let exceptions = read_exceptions(out.exceptions_csv().as_bytes()).unwrap();
        let read = read_fixed::<HoninKakuninJoho>(&out.data).unwrap();
        assert_eq!(restore(&read, &exceptions).unwrap(), honin);
        let csv = write_csv(&honin).unwrap();
        assert_eq!(read_csv::<HoninKakuninJoho>(csv.as_bytes()).unwrap(), honin);

        let certs = ShomeishoFile::zenken(
            created(),
            residents
                .iter()
                .flat_map(|r| {
                    r.certificates
                        .iter()
                        .map(|c| ShomeishoJoho::from_certificate(r.juminhyo_code, c, koshin))
                })
                .collect(),
        );
        // The population's own statuses are as of 2026-04-01, the file's 作成日.
        for (row, resident_cert) in certs
            .records
            .iter()
            .zip(residents.iter().flat_map(|r| r.certificates.iter()))
        {
            assert_eq!(row.jotai(created()), resident_cert.status);
        }
        let out = write_fixed(&certs).unwrap();
        assert_eq!(read_fixed::<ShomeishoJoho>(&out.data).unwrap(), certs);
    }

    /// Characters a resident's record may hold: ASCII, kana of both widths, JIS X 0208 kanji, and
    /// every edge the fixed-length form has a rule for.
    fn character() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::char::range(' ', '~'),
            4 => prop::sample::select("山田太郎花子東京都千代田区丁目番号亜熙凜遙堯槇".chars().collect::<Vec<_>>()),
            3 => prop::char::range('ァ', 'ヶ'),
            2 => prop::char::range('ｦ', 'ﾟ'),
            1 => prop::char::range('\u{E000}', '\u{F8FF}'),
            4 => prop::sample::select(vec![
                '𠮷', '髙', '﨑', '〜', '～', '−', '－', '‖', '∥', '¢', '£', '¬', '￠', '￡', '￢',
                '¥', '‾', '—', '―', '①', '纊', '〓', '　', '\r', '\n', '\t', '\u{E0100}', '\\', '"', ',',
            ]),
        ]
    }

    fn text(max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(character(), 0..max).prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Write fixed + exceptions, read, restore: the original, or a writer error for a value
        /// that cannot be told from padding (a trailing blank, or an empty カナ that is not None).
        #[test]
        fn fixed_and_exceptions_restore_any_value(
            shimei in text(40),
            kana in prop::option::of(text(40)),
            jusho in text(90),
        ) {
            let file = JukinetFile::honin_kakunin(
                created(),
                vec![resident(&shimei, kana.as_deref(), &jusho)],
            );
            let blank = |s: &str| s.ends_with([' ', '\u{3000}']);
            let refused = blank(&shimei) || blank(&jusho) || kana.as_deref().is_some_and(|k| k.is_empty() || blank(k));
            match write_fixed(&file) {
                Err(e) => {
                    prop_assert!(refused, "unexpected error: {e}");
                    prop_assert!(e.to_string().contains("1件目のレコード"), "{e}");
                }
                Ok(out) => {
                    prop_assert!(!refused);
                    let read = read_fixed::<HoninKakuninJoho>(&out.data).unwrap();
                    let exceptions = read_exceptions(out.exceptions_csv().as_bytes()).unwrap();
                    prop_assert_eq!(restore(&read, &exceptions).unwrap(), file.clone());
                    let csv = write_csv(&file).unwrap();
                    prop_assert_eq!(read_csv::<HoninKakuninJoho>(csv.as_bytes()).unwrap(), file);
                }
            }
        }
    }
}
