//! `docs/chukan-shoukai.md` says what the code does: every status word and code, every 通知,
//! every error code, the CSV columns, the real messages and the limits.

use renkei_fixtures::ids::{TokuteiKojinJohoMeiCode, TougouAtenaBango};
use renkei_simulator::chukan::fugou::FugouError;
use renkei_simulator::nws::shoukai::kiroku::{CSV_COLUMNS, CSV_MAX_ROWS};
use renkei_simulator::nws::shoukai::{
    HOURLY_MAX_SHOUKAI, IKKATSU_MAX_MEISAI, IKKATSU_PER_MEISAI, JIZEN_TSUUCHI, ShoukaiError,
    ShoukaiStatus, TeikyouStatus, TsuuchiKind, YUUKOU_KIKAN_DAYS,
};
use time::Duration;

const DOC: &str = include_str!("../../docs/chukan-shoukai.md");

#[test]
fn the_doc_lists_every_shoukai_status_with_its_code_and_meaning() {
    for status in ShoukaiStatus::ALL {
        let row = format!(
            "| {} | {} | {} |",
            status.label(),
            status.code(),
            status.meaning()
        );
        assert!(DOC.contains(&row), "{row}");
    }
}

#[test]
fn the_doc_lists_every_teikyou_status() {
    for status in TeikyouStatus::ALL {
        let row = format!("| {} | {} |", status.label(), status.meaning());
        assert!(DOC.contains(&row), "{row}");
    }
}

#[test]
fn the_doc_lists_the_seven_notifications() {
    assert_eq!(TsuuchiKind::ALL.len(), 7);
    for kind in TsuuchiKind::ALL {
        let row = format!("| {} | {} |", kind.label(), kind.when());
        assert!(DOC.contains(&row), "{row}");
    }
}

#[test]
fn the_doc_lists_every_error_code() {
    for (code, title) in ShoukaiError::CODES {
        let row = format!("| {code} | {title} |");
        assert!(DOC.contains(&row), "{row}");
    }
    let documented = DOC.lines().filter(|l| l.starts_with("| SK")).count();
    assert_eq!(documented, ShoukaiError::CODES.len());
}

#[test]
fn the_doc_quotes_the_real_messages() {
    let not_permitted = ShoukaiError::NotPermitted {
        tokutei: TokuteiKojinJohoMeiCode::from_number(2),
    }
    .to_string()
    .replace("TM00000000000002", "{特定個人情報名コード}");
    assert!(DOC.contains(&not_permitted), "{not_permitted}");
    let mishutoku = ShoukaiError::Fugou(FugouError::Mishutoku {
        tougou: TougouAtenaBango::from_number(1),
    })
    .to_string()
    .replace("000000000000001", "{団体内統合宛名番号}");
    assert!(DOC.contains(&mishutoku), "{mishutoku}");
}

#[test]
fn the_doc_states_the_csv_columns_and_the_limits() {
    assert!(DOC.contains(&CSV_COLUMNS.join(",")));
    assert_eq!(CSV_MAX_ROWS, 50_000);
    assert!(DOC.contains("**1 ファイル 50,000 件まで**"));
    assert_eq!(YUUKOU_KIKAN_DAYS, 30);
    assert!(DOC.contains("受けてから **30 日**"));
    assert_eq!(JIZEN_TSUUCHI, Duration::days(5));
    assert!(DOC.contains("有効期限の **5 日前**"));
    assert_eq!(IKKATSU_PER_MEISAI, Duration::milliseconds(900));
    assert!(DOC.contains("**0.9 秒**"));
    assert_eq!((IKKATSU_MAX_MEISAI, HOURLY_MAX_SHOUKAI), (3_000, 4_000));
    assert!(DOC.contains("明細が 3,000 件を超える") && DOC.contains("照会が 4,000 件を超える"));
}
