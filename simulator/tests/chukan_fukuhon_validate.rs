//! 副本登録: every record of a file is checked against the データ標準レイアウト in force, and each
//! rule gives exactly its error on exactly its record while the others pass.

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::DantaiCode;
use renkei_simulator::chukan::fukuhon::{
    Checked, FILE_ID, FileHeader, FukuhonFileWriter, ItemValue, KekkaCode, NullReason, RawItem,
    RawRecord, RecordField, ShoriKubun, Status, Summary, validate_file,
};
use time::Date;
use time::macros::{date, datetime};

/// A day when R1.6 is in force (linkage start 2019-06-17).
const AFTER_SWITCH: Date = date!(2019 - 07 - 01);
/// A day when H30.6 is still in force.
const BEFORE_SWITCH: Date = date!(2019 - 06 - 01);

fn header() -> FileHeader {
    FileHeader {
        file_id: FILE_ID.to_owned(),
        dantai: DantaiCode::from_five(13101),
        created_at: datetime!(2019-06-01 10:00:00 +9),
    }
}

/// A record with every element set and the given body.
fn record(id: &str, tm: &str, dataset: &str, major: u16, items: Vec<RawItem>) -> RawRecord {
    let mut r = RawRecord::default();
    r.set(RecordField::RecordId, id)
        .set(RecordField::ShoriKubun, "登録")
        .set(RecordField::TougouAtenaBango, "000000000000123")
        .set(RecordField::TokuteiKojinJohoMeiCode, tm)
        .set(RecordField::Dataset, dataset)
        .set(RecordField::RecordKey, "2019")
        .set(RecordField::MajorVersion, major.to_string())
        .set(RecordField::KoukaiStart, "2019-06-01");
    r.body = Some(items);
    r
}

fn v(name: &str, value: &str) -> RawItem {
    RawItem::value(name, value)
}

/// 地方税関係情報 (マイナー改版: major 1 in both editions), D0201, all valid.
fn chihouzei(id: &str) -> RawRecord {
    record(
        id,
        "TM00000000000002",
        "D0201",
        1,
        vec![
            v("課税年度", "2019"),
            v("課税区分", "1"),
            RawItem::null("非課税区分", NullReason::Gaitounashi),
            v("年税額", "123000"),
            v("市区町村民税均等割額", "3500"),
            v("市区町村民税所得割額", "70000"),
            v("都道府県民税均等割額", "1500"),
            v("都道府県民税所得割額", "-48000"),
            v("課税標準額", "700000"),
            v("扶養人数", "2"),
            v("扶養親族続柄", "子"),
            v("扶養親族続柄", "子"),
        ],
    )
}

/// 介護保険給付関係情報: the dataset added in R1.6.
fn kaigo(id: &str) -> RawRecord {
    record(
        id,
        "TM00000000000004",
        "D0404",
        1,
        vec![
            v("利用者負担割合", "1"),
            v("適用開始年月日", "20190801"),
            v("適用終了年月日", "20200731"),
        ],
    )
}

/// 児童扶養手当関係情報 in its new major version 4 (one optional item left empty).
fn jidou_fuyou(id: &str) -> RawRecord {
    record(
        id,
        "TM00000000000016",
        "D1601",
        4,
        vec![
            v("受給者区分", "1"),
            v("認定年月日", "20180401"),
            v("支給停止区分", "0"),
            v("手当月額", "42910"),
            v("児童数", "1"),
            v("一部支給停止適用除外区分", ""),
        ],
    )
}

/// 医療保険給付関係情報: a kept dataset of the one that lost D3102.
fn iryou(id: &str) -> RawRecord {
    record(
        id,
        "TM00000000000031",
        "D3103",
        2,
        vec![v("賦課年度", "2019"), v("年間保険料額", "85000")],
    )
}

fn file(records: &[RawRecord]) -> Vec<u8> {
    let mut writer = FukuhonFileWriter::new(Vec::new(), &header()).unwrap();
    for r in records {
        writer.record(r).unwrap();
    }
    writer.finish().unwrap()
}

fn validate(records: &[RawRecord], on: Date) -> (Summary, Vec<Checked>) {
    let bytes = file(records);
    let mut checked = Vec::new();
    let summary = validate_file(
        "FI_DBM_0001_131016.xml",
        bytes.as_slice(),
        &Catalogs::embedded().layouts,
        on,
        |c| checked.push(c),
    )
    .unwrap();
    (summary, checked)
}

/// Three good records around `bad`; exactly one error, on record 2, with `code` on `item`.
/// Returns the message.
fn only_error(bad: RawRecord, on: Date, code: KekkaCode, item: &str) -> String {
    let records = [chihouzei("A1"), bad, iryou("A3"), kaigo("A4")];
    let (summary, checked) = validate(&records, on);
    assert_eq!((summary.records, summary.valid, summary.invalid), (4, 3, 1));
    for (index, c) in checked.iter().enumerate() {
        if index == 1 {
            assert!(c.record.is_none());
            assert_eq!(c.kekka.len(), 1, "{:#?}", c.kekka);
        } else {
            assert_eq!(c.kekka.len(), 1);
            assert_eq!(c.kekka[0].status(), Status::Seijou, "{}", c.kekka[0]);
            assert!(c.record.is_some());
        }
    }
    let row = &checked[1].kekka[0];
    assert_eq!(row.record_number, 2);
    assert_eq!(row.status(), Status::Error);
    let error = row.error.as_ref().unwrap();
    assert_eq!(error.code, code, "{row}");
    assert_eq!(error.item, item, "{row}");
    error.message.clone()
}

#[test]
fn a_file_across_the_four_tokutei_validates_clean() {
    let mut update = chihouzei("R5");
    update.set(RecordField::ShoriKubun, "更新");
    let mut delete_old = RawRecord::default();
    delete_old
        .set(RecordField::RecordId, "R6")
        .set(RecordField::ShoriKubun, "削除")
        .set(RecordField::TougouAtenaBango, "000000000000123")
        .set(RecordField::TokuteiKojinJohoMeiCode, "TM00000000000016")
        .set(RecordField::Dataset, "D1601")
        .set(RecordField::RecordKey, "20180401")
        .set(RecordField::MajorVersion, "3");
    let records = [
        chihouzei("R1"),
        kaigo("R2"),
        jidou_fuyou("R3"),
        iryou("R4"),
        update,
        delete_old,
    ];
    let (summary, checked) = validate(&records, AFTER_SWITCH);
    assert_eq!(summary.records, 6);
    assert_eq!(summary.valid, 6, "{checked:#?}");
    assert_eq!(summary.header.dantai.as_str(), "131016");
    for (index, c) in checked.iter().enumerate() {
        assert_eq!(c.kekka.len(), 1);
        assert_eq!(c.kekka[0].status(), Status::Seijou);
        assert_eq!(c.kekka[0].record_number, index as u64 + 1);
        assert_eq!(c.kekka[0].record_id, format!("R{}", index + 1));
    }
    let tax = checked[0].record.as_ref().unwrap();
    assert_eq!(tax.kubun, ShoriKubun::Touroku);
    assert_eq!(tax.edition, "R1.6");
    assert_eq!(tax.koukai_start, Some(date!(2019 - 06 - 01)));
    assert!(
        tax.items
            .iter()
            .any(|i| i.name == "非課税区分" && i.value == ItemValue::Null(NullReason::Gaitounashi))
    );
    let child = checked[2].record.as_ref().unwrap();
    assert!(
        !child
            .items
            .iter()
            .any(|i| i.name == "一部支給停止適用除外区分"),
        "an empty item without NULL理由 is absent"
    );
    let deleted = checked[5].record.as_ref().unwrap();
    assert_eq!(
        (deleted.kubun, deleted.edition.as_str()),
        (ShoriKubun::Sakujo, "H30.6")
    );
    assert!(deleted.items.is_empty());
}

#[test]
fn a_duplicate_record_id_gets_the_real_message() {
    let records = [chihouzei("X1"), iryou("X2"), kaigo("X1")];
    let (summary, checked) = validate(&records, AFTER_SWITCH);
    assert_eq!((summary.valid, summary.invalid), (2, 1));
    let row = &checked[2].kekka[0];
    assert_eq!(row.record_number, 3);
    let error = row.error.as_ref().unwrap();
    assert_eq!(error.code, KekkaCode::DuplicateRecordId);
    assert_eq!(error.item, "レコード識別番号");
    assert_eq!(error.message, "「レコード識別番号」が既に存在しています。");
}

#[test]
fn record_elements() {
    let mut r = kaigo("B2");
    r.remove(RecordField::TougouAtenaBango);
    let m = only_error(
        r,
        AFTER_SWITCH,
        KekkaCode::MissingElement,
        "団体内統合宛名番号",
    );
    assert_eq!(m, "「団体内統合宛名番号」がありません");

    let mut r = kaigo("B2");
    r.set(RecordField::ShoriKubun, "追加");
    let m = only_error(r, AFTER_SWITCH, KekkaCode::BadElement, "処理区分");
    assert!(m.contains("「追加」は 登録・更新・削除"), "{m}");

    let mut r = kaigo("B2");
    r.set(RecordField::TougouAtenaBango, "12345");
    let m = only_error(r, AFTER_SWITCH, KekkaCode::BadElement, "団体内統合宛名番号");
    assert!(m.contains("15桁"), "{m}");

    let mut r = kaigo("B2");
    r.set(RecordField::KoukaiStart, "2019/06/01");
    only_error(r, AFTER_SWITCH, KekkaCode::BadElement, "公開日");

    let mut r = kaigo("B2");
    r.remove(RecordField::KoukaiStart);
    only_error(r, AFTER_SWITCH, KekkaCode::MissingElement, "公開日");

    let mut r = kaigo("B2");
    r.set(RecordField::KoukaiEnd, "2019-05-31");
    let m = only_error(r, AFTER_SWITCH, KekkaCode::KoukaiPeriod, "公開終了日");
    assert_eq!(m, "公開終了日 2019-05-31 が公開日 2019-06-01 より前です");

    let mut r = kaigo("B2");
    r.set(RecordField::TokuteiKojinJohoMeiCode, "TM00000000000099");
    let m = only_error(
        r,
        AFTER_SWITCH,
        KekkaCode::UnknownTokutei,
        "特定個人情報名コード",
    );
    assert!(m.contains("TM00000000000099"), "{m}");

    let mut r = kaigo("B2");
    r.body = None;
    let m = only_error(r, AFTER_SWITCH, KekkaCode::MissingBody, "副本");
    assert_eq!(m, "処理区分「登録」のレコードには副本が必要です");
}

#[test]
fn the_version_in_force_decides() {
    // After the switch, the old major version of a メジャー改版 is refused for 登録 (§2.4 #16) …
    let mut old = jidou_fuyou("C2");
    old.set(RecordField::MajorVersion, "3");
    old.body = Some(vec![
        v("受給者区分", "1"),
        v("認定年月日", "20180401"),
        v("支給停止区分", "0"),
        v("手当月額", "42910"),
        v("児童数", "1"),
    ]);
    let m = only_error(
        old.clone(),
        AFTER_SWITCH,
        KekkaCode::VersionNotInForce,
        "メジャーバージョン",
    );
    assert!(m.contains("メジャーバージョン3"), "{m}");
    assert!(m.contains("受け付けるメジャーバージョン: 4"), "{m}");
    // … but is what is in force before it, when the new version may already be registered (§2.2).
    let (summary, _) = validate(&[old, jidou_fuyou("C3")], BEFORE_SWITCH);
    assert_eq!(summary.valid, 2);

    // An abolished dataset is gone after the switch (§2.4 #31) and accepted before it.
    let abolished = record(
        "C2",
        "TM00000000000031",
        "D3102",
        2,
        vec![
            v("診療年月", "201905"),
            v("高額療養費支給額", "44400"),
            v("所得区分", "01"),
        ],
    );
    let m = only_error(
        abolished.clone(),
        AFTER_SWITCH,
        KekkaCode::UnknownDataset,
        "データセット識別項目コード",
    );
    assert!(m.contains("「D3102」"), "{m}");
    let (summary, _) = validate(&[abolished], BEFORE_SWITCH);
    assert_eq!(summary.valid, 1);

    // The dataset added in R1.6 may be registered before its linkage start.
    let (summary, _) = validate(&[kaigo("C1")], BEFORE_SWITCH);
    assert_eq!(summary.valid, 1);
}

#[test]
fn a_deletion_needs_no_body_but_a_known_dataset() {
    let mut r = iryou("D2");
    r.set(RecordField::ShoriKubun, "削除")
        .remove(RecordField::KoukaiStart);
    r.body = None;
    let (summary, _) = validate(&[r.clone()], AFTER_SWITCH);
    assert_eq!(summary.valid, 1);
    r.set(RecordField::Dataset, "D9999");
    let m = only_error(
        r,
        AFTER_SWITCH,
        KekkaCode::UnknownDataset,
        "データセット識別項目コード",
    );
    assert!(m.contains("どの版"), "{m}");
}

/// `chihouzei` with its items changed by `change`.
fn tax_with(change: impl FnOnce(&mut Vec<RawItem>)) -> RawRecord {
    let mut r = chihouzei("E2");
    change(r.body.as_mut().unwrap());
    r
}

fn set_item(items: &mut [RawItem], name: &str, value: &str) {
    let item = items.iter_mut().find(|i| i.name == name).unwrap();
    item.value = value.to_owned();
}

#[test]
fn item_rules() {
    let r = tax_with(|items| items.push(v("謎の項目", "1")));
    let m = only_error(r, AFTER_SWITCH, KekkaCode::UnknownItem, "謎の項目");
    assert!(m.contains("D0201") && m.contains("R1.6版"), "{m}");

    let r = tax_with(|items| set_item(items, "課税年度", "20190"));
    let m = only_error(r, AFTER_SWITCH, KekkaCode::TooLong, "課税年度");
    assert_eq!(m, "「課税年度」はX(4)ですが「20190」は5文字です");

    let r = tax_with(|items| set_item(items, "扶養人数", "1a"));
    let m = only_error(r, AFTER_SWITCH, KekkaCode::NotNumeric, "扶養人数");
    assert_eq!(m, "「扶養人数」は9(2)ですが「1a」は数字ではありません");

    let r = tax_with(|items| set_item(items, "扶養人数", "-1"));
    only_error(r, AFTER_SWITCH, KekkaCode::NotNumeric, "扶養人数");

    let r = tax_with(|items| set_item(items, "市区町村民税所得割額", "12a"));
    let m = only_error(
        r,
        AFTER_SWITCH,
        KekkaCode::NotNumeric,
        "市区町村民税所得割額",
    );
    assert_eq!(
        m,
        "「市区町村民税所得割額」はS9(13)ですが「12a」は符号付きの数字ではありません"
    );

    let r = tax_with(|items| set_item(items, "扶養人数", "123"));
    let m = only_error(r, AFTER_SWITCH, KekkaCode::TooManyDigits, "扶養人数");
    assert_eq!(m, "「扶養人数」は9(2)ですが「123」は3桁です");

    let r = tax_with(|items| set_item(items, "年税額", "-12345678901234"));
    only_error(r, AFTER_SWITCH, KekkaCode::TooManyDigits, "年税額");

    let r = tax_with(|items| items.push(v("課税年度", "2019")));
    let m = only_error(r, AFTER_SWITCH, KekkaCode::Occurrence, "課税年度");
    assert_eq!(m, "「課税年度」の出現回数は1ですが2回あります");

    let r = tax_with(|items| {
        for _ in 0..19 {
            items.push(v("扶養親族続柄", "子"));
        }
    });
    let m = only_error(r, AFTER_SWITCH, KekkaCode::Occurrence, "扶養親族続柄");
    assert_eq!(
        m,
        "「扶養親族続柄」の出現回数はN (最大20)ですが21回あります"
    );

    let r = tax_with(|items| items.retain(|i| i.name != "年税額"));
    let m = only_error(r, AFTER_SWITCH, KekkaCode::MissingItem, "年税額");
    assert_eq!(m, "「年税額」は必須ですが、値もNULL理由もありません");

    let r = tax_with(|items| set_item(items, "年税額", ""));
    only_error(r, AFTER_SWITCH, KekkaCode::MissingItem, "年税額");

    let r = tax_with(|items| {
        items
            .iter_mut()
            .find(|i| i.name == "非課税区分")
            .unwrap()
            .null_reason = Some("9".to_owned())
    });
    let m = only_error(r, AFTER_SWITCH, KekkaCode::BadNullReason, "非課税区分");
    assert!(m.contains("NULL理由「9」"), "{m}");

    let r = tax_with(|items| {
        let item = items.iter_mut().find(|i| i.name == "年税額").unwrap();
        item.value.clear();
        item.null_reason = Some("0".to_owned());
    });
    only_error(r, AFTER_SWITCH, KekkaCode::BadNullReason, "年税額");

    let r = tax_with(|items| {
        items
            .iter_mut()
            .find(|i| i.name == "年税額")
            .unwrap()
            .null_reason = Some("1".to_owned())
    });
    let m = only_error(r, AFTER_SWITCH, KekkaCode::BadNullReason, "年税額");
    assert!(m.contains("値「123000」とNULL理由の両方"), "{m}");
}

#[test]
fn a_required_item_may_be_empty_with_a_null_reason() {
    let r = tax_with(|items| {
        items.retain(|i| i.name != "市区町村民税所得割額");
        items.push(RawItem::null("市区町村民税所得割額", NullReason::Mikakutei));
    });
    let (summary, checked) = validate(&[r], AFTER_SWITCH);
    assert_eq!(summary.valid, 1, "{checked:#?}");
}

#[test]
fn every_problem_of_a_record_is_a_row() {
    let r = tax_with(|items| {
        set_item(items, "扶養人数", "x");
        set_item(items, "課税年度", "令和元年度");
    });
    let (_, checked) = validate(&[r], AFTER_SWITCH);
    let codes: Vec<KekkaCode> = checked[0]
        .kekka
        .iter()
        .map(|k| k.error.as_ref().unwrap().code)
        .collect();
    assert_eq!(codes, [KekkaCode::TooLong, KekkaCode::NotNumeric]);
    assert!(checked[0].kekka.iter().all(|k| k.record_id == "E2"));
}
