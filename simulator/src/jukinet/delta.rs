//! 差分: which certificate rows a delta file carries.
//!
//! The CS keeps one row per certificate, in its current state, stamped with when it last
//! changed (更新日時). A delta "since T" is every row stamped after T: a certificate issued after
//! T appears with 状態 有効, one revoked after T appears again with its 失効日, and a renewal
//! shows as the old serial revoked and the new serial issued (JUK-03, JUK-04). A receiver that
//! applies every delta in turn, each since the previous one's 対象期間終了, holds what a full file
//! would give it.

use time::OffsetDateTime;

use super::record::ShomeishoJoho;

/// The rows whose 更新日時 is after `since` (strictly), oldest change first, ties by シリアル番号,
/// so that the same state always gives the same file.
pub fn delta(rows: &[ShomeishoJoho], since: OffsetDateTime) -> Vec<ShomeishoJoho> {
    let mut changed: Vec<ShomeishoJoho> = rows
        .iter()
        .filter(|row| row.koshin_nichiji.get() > since)
        .cloned()
        .collect();
    changed.sort_by_key(|row| (row.koshin_nichiji, row.serial));
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jukinet::nichiji::Nichiji;
    use renkei_fixtures::ids::{CertSerial, JuminhyoCode};
    use renkei_fixtures::population::CertKind;
    use time::macros::{date, datetime};

    fn row(serial: u64, koshin: OffsetDateTime, revoked: Option<time::Date>) -> ShomeishoJoho {
        ShomeishoJoho {
            serial: CertSerial::new(serial).unwrap(),
            juminhyo_code: JuminhyoCode::from_number(99_000_000_001),
            shubetsu: CertKind::RiyoshaShomei,
            hakkobi: date!(2021 - 04 - 01),
            yuko_kigen: date!(2026 - 06 - 15),
            shikkobi: revoked,
            koshin_nichiji: Nichiji::new(koshin).unwrap(),
        }
    }

    #[test]
    fn rows_changed_after_since_only_oldest_first() {
        let since = datetime!(2026-04-01 00:00 +9);
        let rows = [
            row(3, datetime!(2026-04-02 10:00 +9), None),
            row(1, datetime!(2026-03-31 10:00 +9), None),
            // Exactly at `since`: already in the previous delta.
            row(2, since, None),
            // Revoked after `since`: appears again, with its 失効日.
            row(
                5,
                datetime!(2026-04-01 09:00 +9),
                Some(date!(2026 - 04 - 01)),
            ),
            row(4, datetime!(2026-04-02 10:00 +9), None),
        ];
        let serials: Vec<u64> = delta(&rows, since)
            .iter()
            .map(|r| r.serial.value())
            .collect();
        assert_eq!(serials, [5, 3, 4]);
        assert!(delta(&rows, datetime!(2026-05-01 00:00 +9)).is_empty());
        assert_eq!(delta(&rows, datetime!(2000-01-01 00:00 UTC)).len(), 5);
    }

    #[test]
    fn a_time_with_a_fraction_excludes_the_row_stamped_in_that_second() {
        // 更新日時 are whole seconds; asking since 10:00:00.5 excludes 10:00:00.
        let rows = [row(1, datetime!(2026-04-02 10:00:00 +9), None)];
        assert!(delta(&rows, datetime!(2026-04-02 10:00:00.5 +9)).is_empty());
        assert_eq!(delta(&rows, datetime!(2026-04-02 09:59:59.5 +9)).len(), 1);
    }
}
