//! `docs/chukan-fukuhon-file.md` says what the code does: every element, 処理区分, NULL理由 and
//! result code is listed, and the example file reads and validates clean.

use renkei_fixtures::catalog::Catalogs;
use renkei_simulator::chukan::fukuhon::{
    FILE_ID, KekkaCode, NullReason, ROOT, RecordField, ShoriKubun, validate_file,
};
use time::macros::date;

const DOC: &str = include_str!("../../docs/chukan-fukuhon-file.md");

#[test]
fn every_name_and_code_is_documented() {
    for name in [
        ROOT,
        FILE_ID,
        "ヘッダ",
        "ファイルID",
        "団体コード",
        "作成日時",
        "副本",
    ] {
        assert!(DOC.contains(&format!("`{name}`")), "{name}");
    }
    for field in RecordField::ALL {
        assert!(
            DOC.contains(&format!("| `{}` |", field.element())),
            "{field:?}"
        );
    }
    for kubun in ShoriKubun::ALL {
        assert!(
            DOC.contains(&format!("| `{}` |", kubun.word())),
            "{kubun:?}"
        );
    }
    for reason in NullReason::ALL {
        assert!(
            DOC.contains(&format!("| `{}` | {}", reason.code(), reason.label())),
            "{reason:?}"
        );
    }
    for code in KekkaCode::ALL {
        assert!(
            DOC.contains(&format!("| {} | {} |", code.code(), code.title())),
            "{code:?}"
        );
    }
}

#[test]
fn the_example_validates_clean() {
    let start = DOC.find("```xml\n").expect("an XML example") + "```xml\n".len();
    let end = start + DOC[start..].find("```").unwrap();
    let example = &DOC[start..end];
    let mut rows = Vec::new();
    let summary = validate_file(
        "example.xml",
        example.as_bytes(),
        &Catalogs::embedded().layouts,
        date!(2019 - 07 - 01),
        |checked| rows.extend(checked.kekka),
    )
    .unwrap();
    assert_eq!((summary.records, summary.valid), (5, 5), "{rows:#?}");
}
