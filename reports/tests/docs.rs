//! docs/reports.md states the numbers the code uses; this keeps them one fact.

use renkei_reports::grade::{Grade, THRESHOLDS};
use renkei_reports::markdown;

fn reports_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/reports.md")).unwrap()
}

#[test]
fn the_grade_table_is_the_one_the_code_uses() {
    let doc = reports_md();
    for (grade, percent) in THRESHOLDS {
        let row = format!(
            "| {} | {percent} % 以上 | {} |",
            grade.letter(),
            grade.meaning()
        );
        assert!(doc.contains(&row), "docs/reports.md lacks {row}");
    }
    let last = THRESHOLDS.last().unwrap().1;
    let row = format!("| D | {last} % 未満 | {} |", Grade::D.meaning());
    assert!(doc.contains(&row), "docs/reports.md lacks {row}");
}

#[test]
fn the_markdown_caps_are_the_documented_ones() {
    let doc = reports_md();
    for text in [
        format!("1行は理由 {} 字まで", markdown::MAX_LINE_CHARS),
        format!("最大 {} 件", markdown::MAX_LINES),
        format!(
            "全体で {},{:03} 字まで",
            markdown::MAX_CHARS / 1000,
            markdown::MAX_CHARS % 1000
        ),
    ] {
        assert!(doc.contains(&text), "docs/reports.md lacks 「{text}」");
    }
}
