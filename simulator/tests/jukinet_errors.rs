//! Malformed 住基ネットCS files and the errors a vendor engineer sees: every message names the
//! form, the line (or record) and the item, and says what is wrong.

mod jukinet {
    use renkei_fixtures::ids::{CertSerial, JuminhyoCode, KojinBango};
    use renkei_fixtures::population::{CertKind, Seibetsu};
    use renkei_simulator::jukinet::{
        FileId, HoninKakuninFile, HoninKakuninJoho, JukinetFile, Nichiji, Reigai, ReigaiShubetsu,
        ShomeishoFile, ShomeishoJoho, read_csv, read_exceptions, read_fixed, restore, write_csv,
        write_fixed,
    };
    use time::OffsetDateTime;
    use time::macros::{date, datetime};

    fn nichiji(t: OffsetDateTime) -> Nichiji {
        Nichiji::new(t).unwrap()
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

    fn honin() -> HoninKakuninFile {
        JukinetFile::honin_kakunin(
            created(),
            vec![resident(
                "𠮷田　花子",
                Some("ヨシダ　ハナコ"),
                "東京都千代田区千代田1丁目1番1号",
            )],
        )
    }

    fn certificates() -> ShomeishoFile {
        ShomeishoFile::zenken(
            created(),
            vec![ShomeishoJoho {
                serial: CertSerial::new(9_011_000_000_000_001).unwrap(),
                juminhyo_code: JuminhyoCode::from_number(99_012_345_678),
                shubetsu: CertKind::RiyoshaShomei,
                hakkobi: date!(2024 - 05 - 10),
                yuko_kigen: date!(2029 - 06 - 15),
                shikkobi: None,
                koshin_nichiji: nichiji(datetime!(2024-05-10 10:00 +9)),
            }],
        )
    }

    /// Record length of 本人確認情報 with its CRLF.
    const LINE: usize = 297;
    /// 1-based byte positions of items in a 本人確認情報 data record (docs' layout table).
    const SHIMEI: usize = 33;
    const SEINENGAPPI: usize = 153;
    const KOJIN_BANGO: usize = 21;
    const SEIBETSU: usize = 161;

    fn fixed_honin() -> Vec<u8> {
        write_fixed(&honin()).unwrap().data
    }

    /// Overwrites bytes of line `line` (1-based) from 1-based position `at`.
    fn patch(data: &mut [u8], line: usize, at: usize, bytes: &[u8]) {
        let start = (line - 1) * LINE + at - 1;
        data[start..start + bytes.len()].copy_from_slice(bytes);
    }

    fn fixed_error(data: &[u8]) -> String {
        read_fixed::<HoninKakuninJoho>(data)
            .unwrap_err()
            .to_string()
    }

    fn assert_says(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(message.contains(part), "「{part}」がありません: {message}");
        }
    }

    #[test]
    fn fixed_wrong_record_length() {
        let mut data = fixed_honin();
        data.remove(LINE + 10);
        assert_says(
            &fixed_error(&data),
            &[
                "固定長形式 2行目",
                "レコード長が294バイトです (295バイトに CRLF",
            ],
        );
    }

    #[test]
    fn fixed_line_end_not_crlf() {
        let mut data = fixed_honin();
        data.remove(2 * LINE - 2);
        assert_says(
            &fixed_error(&data),
            &["固定長形式 2行目", "行末が CRLF ではありません"],
        );
    }

    #[test]
    fn fixed_bytes_that_are_not_shift_jis() {
        let mut data = fixed_honin();
        patch(&mut data, 2, SHIMEI, &[0x82, 0x20]);
        assert_says(
            &fixed_error(&data),
            &[
                "2行目 項目「氏名」",
                "Shift_JIS として読めないバイト列です (0x8220)",
            ],
        );
    }

    #[test]
    fn fixed_cp932_extension_is_outside_the_repertoire() {
        let mut data = fixed_honin();
        patch(&mut data, 2, SHIMEI, &[0xFB, 0xFC]);
        assert_says(
            &fixed_error(&data),
            &[
                "2行目 項目「氏名」",
                "「髙」(U+9AD9, Shift_JIS 0xFBFC) は JIS X 0208 の文字ではありません",
            ],
        );
    }

    #[test]
    fn fixed_non_numeric_in_a_numeric_item() {
        let mut data = fixed_honin();
        patch(&mut data, 2, SEINENGAPPI, b"1985O615");
        assert_says(
            &fixed_error(&data),
            &[
                "2行目 項目「生年月日」",
                "「1985O615」に半角数字以外の文字があります",
            ],
        );
    }

    #[test]
    fn fixed_date_that_does_not_exist() {
        let mut data = fixed_honin();
        patch(&mut data, 2, SEINENGAPPI, b"19850231");
        assert_says(
            &fixed_error(&data),
            &["2行目 項目「生年月日」", "「19850231」は日付"],
        );
    }

    #[test]
    fn fixed_kojin_bango_with_a_wrong_check_digit() {
        let mut data = fixed_honin();
        patch(&mut data, 2, KOJIN_BANGO + 11, b"4");
        assert_says(
            &fixed_error(&data),
            &[
                "2行目 項目「個人番号」",
                "検査数字が4ですが、前の11桁から計算すると5です",
            ],
        );
    }

    #[test]
    fn fixed_code_not_in_the_table() {
        let mut data = fixed_honin();
        patch(&mut data, 2, SEIBETSU, b"3");
        assert_says(
            &fixed_error(&data),
            &[
                "2行目 項目「性別」",
                "「3」はコード表にありません (使えるのは 1 男, 2 女)",
            ],
        );
    }

    #[test]
    fn fixed_record_kind_out_of_place() {
        let mut data = fixed_honin();
        patch(&mut data, 2, 1, b"X");
        assert_says(
            &fixed_error(&data),
            &[
                "2行目 項目「レコード区分」",
                "「X」です (ここは「2」データレコード",
            ],
        );
    }

    #[test]
    fn fixed_record_numbers_not_in_sequence() {
        let mut data = fixed_honin();
        patch(&mut data, 2, 2, b"00000002");
        assert_says(
            &fixed_error(&data),
            &["2行目 項目「レコード番号」", "2です (1であるべきです)"],
        );
    }

    #[test]
    fn fixed_header_without_its_creation_time() {
        let mut data = fixed_honin();
        patch(&mut data, 1, 6, b"00000000000000");
        assert_says(
            &fixed_error(&data),
            &["1行目 項目「作成日時」", "作成日時がありません"],
        );
    }

    #[test]
    fn fixed_header_count_disagrees() {
        let mut data = fixed_honin();
        patch(&mut data, 1, 48, b"00000002");
        assert_says(
            &fixed_error(&data),
            &[
                "1行目 項目「データ件数」",
                "データ件数が2件ですが、データレコードは1件です",
            ],
        );
    }

    #[test]
    fn fixed_trailer_count_disagrees() {
        let mut data = fixed_honin();
        patch(&mut data, 3, 6, b"00000007");
        assert_says(
            &fixed_error(&data),
            &["3行目 項目「データ件数」", "データ件数が7件ですが"],
        );
    }

    #[test]
    fn fixed_file_cut_before_its_trailer() {
        let data = fixed_honin();
        assert_says(
            &fixed_error(&data[..2 * LINE]),
            &["固定長形式 3行目", "トレーラレコードがありません"],
        );
    }

    #[test]
    fn fixed_file_of_another_kind() {
        let data = fixed_honin();
        let message = read_fixed::<ShomeishoJoho>(&data).unwrap_err().to_string();
        assert_says(
            &message,
            &[
                "1行目 項目「ファイルID」",
                "「JH01」はここで読めるファイルではありません (読めるのは JS01, JS02)",
            ],
        );
    }

    #[test]
    fn fixed_filler_not_blank() {
        let mut data = fixed_honin();
        patch(&mut data, 1, 100, b"Z");
        assert_says(
            &fixed_error(&data),
            &["1行目 項目「予備」", "予備に空白以外の文字があります"],
        );
    }

    #[test]
    fn fixed_status_that_disagrees_with_the_dates() {
        let mut data = write_fixed(&certificates()).unwrap().data;
        // 状態 is byte 66 of an 80-byte record; the certificate is 有効 on 2026-04-01.
        data[82 + 65] = b'2';
        let message = read_fixed::<ShomeishoJoho>(&data).unwrap_err().to_string();
        assert_says(
            &message,
            &[
                "2行目 項目「状態」",
                "状態が「失効」ですが、作成日時の日付 2026-04-01 で日付から判定すると「有効」です",
            ],
        );
    }

    #[test]
    fn fixed_period_on_a_full_file() {
        let mut data = write_fixed(&certificates()).unwrap().data;
        // 対象期間開始 and 対象期間終了 are bytes 20–33 and 34–47 of the header.
        data[19..33].copy_from_slice(b"20260301000000");
        data[33..47].copy_from_slice(b"20260401090000");
        let message = read_fixed::<ShomeishoJoho>(&data).unwrap_err().to_string();
        assert_says(
            &message,
            &[
                "1行目 項目「対象期間開始」",
                "対象期間は差分ファイル (JS02) だけに書きます",
            ],
        );
    }

    #[test]
    fn fixed_delta_row_outside_its_period() {
        let mut file = certificates();
        file.header.id = FileId::ShomeishoSabun;
        file.header.period = Some(renkei_simulator::jukinet::Kikan {
            since: nichiji(datetime!(2024-05-01 00:00 +9)),
            until: created(),
        });
        let mut data = write_fixed(&file).unwrap().data;
        // 更新日時 (bytes 67–80) moved before the period.
        data[82 + 66..82 + 80].copy_from_slice(b"20240430235959");
        let message = read_fixed::<ShomeishoJoho>(&data).unwrap_err().to_string();
        assert_says(
            &message,
            &[
                "2行目 項目「更新日時」",
                "更新日時 2024-04-30T23:59:59+09:00 が対象期間 (2024-05-01T00:00:00+09:00 より後",
            ],
        );
    }

    fn csv_honin() -> String {
        write_csv(&honin()).unwrap()
    }

    fn csv_error(text: &str) -> String {
        read_csv::<HoninKakuninJoho>(text.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn csv_with_a_bom() {
        let text = format!("\u{FEFF}{}", csv_honin());
        assert_says(&csv_error(&text), &["CSV形式 1行目", "BOM"]);
    }

    #[test]
    fn csv_with_lf_line_ends() {
        let text = csv_honin().replace("\r\n", "\n");
        assert_says(
            &csv_error(&text),
            &["CSV形式 1行目", "行末が CRLF ではありません"],
        );
    }

    #[test]
    fn csv_wrong_column_name() {
        let text = csv_honin().replace(",氏名,", ",名前,");
        assert_says(
            &csv_error(&text),
            &[
                "3行目 項目「氏名」",
                "列名が「名前」です (「氏名」であるべきです)",
            ],
        );
    }

    #[test]
    fn csv_wrong_column_count() {
        let text = csv_honin().replace(",2,東京都", ",東京都");
        assert_says(
            &csv_error(&text),
            &["CSV形式 4行目", "列が7個あります (8個であるべきです)"],
        );
    }

    #[test]
    fn csv_bad_kojin_bango() {
        let text = csv_honin().replace("990123456785", "990123456784");
        assert_says(
            &csv_error(&text),
            &["4行目 項目「個人番号」", "検査数字が4"],
        );
    }

    #[test]
    fn csv_bad_date() {
        let text = csv_honin().replace("1985-06-15", "1985/06/15");
        assert_says(
            &csv_error(&text),
            &["4行目 項目「生年月日」", "「1985/06/15」は日付"],
        );
    }

    #[test]
    fn csv_not_utf8() {
        let mut bytes = csv_honin().into_bytes();
        let at = bytes.windows(3).position(|w| w == "田".as_bytes()).unwrap();
        bytes[at] = 0xFF;
        let message = read_csv::<HoninKakuninJoho>(&bytes)
            .unwrap_err()
            .to_string();
        assert_says(&message, &["4行目 項目「氏名」", "UTF-8 として読めません"]);
    }

    #[test]
    fn csv_count_disagrees() {
        let text = csv_honin().replace(",,1\r\n", ",,3\r\n");
        assert_says(
            &csv_error(&text),
            &[
                "2行目 項目「データ件数」",
                "データ件数が3件ですが、データレコードは1件です",
            ],
        );
    }

    #[test]
    fn csv_time_not_in_jst_form() {
        let text = csv_honin().replace("2026-04-01T09:00:00+09:00", "2026-04-01T00:00:00Z");
        assert_says(
            &csv_error(&text),
            &["2行目 項目「作成日時」", "「2026-04-01T00:00:00Z」は日時"],
        );
    }

    #[test]
    fn csv_line_numbers_count_newlines_inside_quotes() {
        let mut file = honin();
        file.records
            .insert(0, resident("改行\r\nあり", None, "東京都"));
        let text = write_csv(&file)
            .unwrap()
            .replace(",2,東京都千代田区", ",9,東京都千代田区");
        // The first record spans lines 4 and 5; the second starts on line 6.
        assert_says(
            &csv_error(&text),
            &["CSV形式 6行目 項目「性別」", "「9」はコード表にありません"],
        );
    }

    #[test]
    fn csv_row_stamped_after_the_file() {
        let text = csv_honin().replace("2026-03-15T10:30:00+09:00", "2026-04-02T00:00:00+09:00");
        assert_says(
            &csv_error(&text),
            &[
                "4行目 項目「更新日時」",
                "更新日時 2026-04-02T00:00:00+09:00 が作成日時 2026-04-01T09:00:00+09:00 より後です",
            ],
        );
    }

    fn exceptions_csv() -> String {
        write_fixed(&honin()).unwrap().exceptions_csv()
    }

    fn exceptions_error(text: &str) -> String {
        read_exceptions(text.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn exceptions_character_not_at_its_position() {
        let text = exceptions_csv().replace("U+20BB7", "U+9AD9");
        assert_says(
            &exceptions_error(&text),
            &[
                "外字例外ファイル 2行目 項目「元の値」",
                "元の値の1文字目はU+20BB7で、元の文字 U+9AD9 と合いません",
            ],
        );
    }

    #[test]
    fn exceptions_item_that_is_not_text() {
        let text = exceptions_csv().replace(",氏名,1,", ",住民票コード,1,");
        assert_says(
            &exceptions_error(&text),
            &[
                "2行目 項目「項目名」",
                "「住民票コード」はこのファイルの全角の文字項目ではありません",
            ],
        );
    }

    #[test]
    fn exceptions_unknown_kind() {
        let text = exceptions_csv().replace(",外字,", ",不明,");
        assert_says(
            &exceptions_error(&text),
            &["2行目 項目「種別」", "「不明」は"],
        );
    }

    #[test]
    fn exceptions_character_not_written_as_code_point() {
        let text = exceptions_csv().replace("U+20BB7", "𠮷");
        assert_says(
            &exceptions_error(&text),
            &[
                "2行目 項目「元の文字」",
                "「𠮷」は U+XXXX の形の1文字ではありません",
            ],
        );
    }

    fn reigai(record: usize, moto: &str) -> Reigai {
        Reigai {
            file_id: FileId::HoninKakunin,
            record,
            komoku: "氏名",
            position: 1,
            shubetsu: ReigaiShubetsu::Gaiji,
            moji: '\u{20BB7}',
            moto_no_atai: moto.to_owned(),
        }
    }

    #[test]
    fn restore_refuses_a_row_for_a_record_that_is_not_there() {
        let read = read_fixed::<HoninKakuninJoho>(&fixed_honin()).unwrap();
        let message = restore(&read, &[reigai(5, "𠮷田　花子")])
            .unwrap_err()
            .to_string();
        assert_says(
            &message,
            &[
                "レコード番号5 項目「氏名」",
                "ファイルにはデータレコードが1件しかありません",
            ],
        );
    }

    #[test]
    fn restore_refuses_an_original_that_the_file_does_not_hold() {
        let read = read_fixed::<HoninKakuninJoho>(&fixed_honin()).unwrap();
        let message = restore(&read, &[reigai(1, "𠮷川　花子")])
            .unwrap_err()
            .to_string();
        assert_says(
            &message,
            &[
                "レコード番号1 項目「氏名」",
                "固定長ファイルの値「〓田　花子」は、元の値「𠮷川　花子」を書いた結果「〓川　花子」と違います",
            ],
        );
    }

    #[test]
    fn restore_refuses_an_incomplete_set_of_rows() {
        let file =
            JukinetFile::honin_kakunin(created(), vec![resident("𠮷田　髙子", None, "東京都")]);
        let out = write_fixed(&file).unwrap();
        let read = read_fixed::<HoninKakuninJoho>(&out.data).unwrap();
        let message = restore(&read, &out.exceptions[..1])
            .unwrap_err()
            .to_string();
        assert_says(
            &message,
            &[
                "レコード番号1 項目「氏名」",
                "例外の行が、元の値「𠮷田　髙子」を書いたときの行 (1文字目 外字 U+20BB7, 4文字目 外字 U+9AD9) と違います",
            ],
        );
    }

    #[test]
    fn restore_refuses_rows_of_another_file() {
        let read = read_fixed::<HoninKakuninJoho>(&fixed_honin()).unwrap();
        let mut row = reigai(1, "𠮷田　花子");
        row.file_id = FileId::ShomeishoZenken;
        let message = restore(&read, &[row]).unwrap_err().to_string();
        assert_says(
            &message,
            &["ファイルID「JS01」の例外を「JH01」のファイルに当てようとしています"],
        );
    }

    #[test]
    fn writer_refuses_a_trailing_blank() {
        let mut file = honin();
        file.records
            .push(resident("山田　太郎", None, "東京都千代田区　"));
        let message = write_fixed(&file).unwrap_err().to_string();
        assert_says(
            &message,
            &[
                "固定長形式 書き出し 2件目のレコード 項目「住所」",
                "末尾の空白 (半角・全角) は埋め草と区別できない",
            ],
        );
    }

    #[test]
    fn writers_refuse_an_empty_kana_that_is_not_none() {
        let file =
            JukinetFile::honin_kakunin(created(), vec![resident("山田　太郎", Some(""), "東京都")]);
        for message in [
            write_fixed(&file).unwrap_err().to_string(),
            write_csv(&file).unwrap_err().to_string(),
        ] {
            assert_says(
                &message,
                &[
                    "1件目のレコード 項目「氏名カナ」",
                    "空の文字列は「値なし」と区別できません",
                ],
            );
        }
    }

    #[test]
    fn writers_refuse_a_row_stamped_after_the_file() {
        let mut file = honin();
        file.records[0].koshin_nichiji = nichiji(datetime!(2026-04-01 09:00:01 +9));
        let message = write_csv(&file).unwrap_err().to_string();
        assert_says(
            &message,
            &[
                "CSV形式 書き出し 1件目のレコード 項目「更新日時」",
                "作成日時 2026-04-01T09:00:00+09:00 より後です",
            ],
        );
    }

    #[test]
    fn writers_refuse_a_delta_without_its_period() {
        let mut file = certificates();
        file.header.id = FileId::ShomeishoSabun;
        let message = write_fixed(&file).unwrap_err().to_string();
        assert_says(
            &message,
            &[
                "固定長形式 書き出し ヘッダ 項目「対象期間開始」",
                "差分ファイル (JS02) には対象期間開始と対象期間終了が要ります",
            ],
        );
    }
}
