//! 日時: a point in time as the 住基ネットCS files carry it — to the whole second, in JST.
//!
//! The fixed-length form has room for `YYYYMMDDhhmmss` and nothing else: no fraction, no offset.
//! So every time in these files is a [`Nichiji`], which can only hold what both forms can write,
//! and no writer ever has to drop a nanosecond or guess an offset.

use std::fmt;
use std::str::FromStr;

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// 日本標準時 (UTC+9): the offset of every time written in these files (defined once in
/// `renkei-fixtures`).
pub use renkei_fixtures::JST;

/// The CSV form: RFC 3339 with the offset always `+09:00`.
const CSV_FORM: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+09:00");
/// The fixed-length form: 14 digits, JST.
const FIXED_FORM: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day][hour][minute][second]");
/// Dates in CSV.
const CSV_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");
/// Dates in the fixed-length form.
const FIXED_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year][month][day]");

/// A time to the whole second, held in JST (日時).
///
/// Equality and order are those of the instant. Years are limited to 1–9999 so that every value
/// has a four-digit year in both forms.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nichiji(OffsetDateTime);

impl Nichiji {
    /// The time `at`, with its fraction of a second dropped, seen in JST; `None` when its JST year
    /// is outside 1–9999.
    pub fn new(at: OffsetDateTime) -> Option<Self> {
        let at = at.to_offset(JST).replace_nanosecond(0).ok()?;
        year_fits(at.year()).then_some(Self(at))
    }

    /// The time as an [`OffsetDateTime`] at +09:00.
    pub fn get(self) -> OffsetDateTime {
        self.0
    }

    /// The JST calendar day: the day a certificate's status is judged on.
    pub fn date(self) -> Date {
        self.0.date()
    }

    /// `YYYYMMDDhhmmss`, as in the fixed-length form.
    pub fn to_fixed(self) -> String {
        self.0
            .format(FIXED_FORM)
            .expect("a four-digit year always formats")
    }

    /// Reads `YYYYMMDDhhmmss` (JST).
    pub fn from_fixed(text: &str) -> Option<Self> {
        let at = PrimitiveDateTime::parse(text, FIXED_FORM).ok()?;
        Self::new(at.assume_offset(JST))
    }
}

impl From<Nichiji> for OffsetDateTime {
    fn from(value: Nichiji) -> Self {
        value.0
    }
}

/// The CSV form, `2026-04-01T09:00:00+09:00`.
impl fmt::Display for Nichiji {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.format(CSV_FORM).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Nichiji {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nichiji({self})")
    }
}

/// Why a text is not a [`Nichiji`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("日時「{0}」は YYYY-MM-DDThh:mm:ss+09:00 の形ではありません")]
pub struct NichijiError(pub String);

/// Reads the CSV form only: seconds, no fraction, offset `+09:00`.
impl FromStr for Nichiji {
    type Err = NichijiError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PrimitiveDateTime::parse(text, CSV_FORM)
            .ok()
            .and_then(|at| Self::new(at.assume_offset(JST)))
            .ok_or_else(|| NichijiError(text.to_owned()))
    }
}

fn year_fits(year: i32) -> bool {
    (1..=9999).contains(&year)
}

/// A date in the CSV form (`YYYY-MM-DD`); `None` when the year is outside 1–9999.
pub(crate) fn date_to_csv(date: Date) -> Option<String> {
    year_fits(date.year()).then(|| date.format(CSV_DATE).expect("four-digit year"))
}

/// A date in the fixed-length form (`YYYYMMDD`); `None` when the year is outside 1–9999.
pub(crate) fn date_to_fixed(date: Date) -> Option<String> {
    year_fits(date.year()).then(|| date.format(FIXED_DATE).expect("four-digit year"))
}

/// Reads `YYYY-MM-DD`.
pub(crate) fn date_from_csv(text: &str) -> Option<Date> {
    Date::parse(text, CSV_DATE)
        .ok()
        .filter(|d| year_fits(d.year()))
}

/// Reads `YYYYMMDD`.
pub(crate) fn date_from_fixed(text: &str) -> Option<Date> {
    Date::parse(text, FIXED_DATE)
        .ok()
        .filter(|d| year_fits(d.year()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn drops_the_fraction_and_shows_jst() {
        let t = Nichiji::new(datetime!(2026-03-31 23:30:15.75 UTC)).unwrap();
        assert_eq!(t.to_string(), "2026-04-01T08:30:15+09:00");
        assert_eq!(t.to_fixed(), "20260401083015");
        assert_eq!(t.date(), time::macros::date!(2026 - 04 - 01));
        assert_eq!(t, Nichiji::from_fixed("20260401083015").unwrap());
        assert_eq!(t, "2026-04-01T08:30:15+09:00".parse().unwrap());
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "2026-04-01T08:30:15Z",
            "2026-04-01T08:30:15.5+09:00",
            "2026-04-01 08:30:15+09:00",
            "2026-02-30T00:00:00+09:00",
        ] {
            assert!(bad.parse::<Nichiji>().is_err(), "{bad}");
        }
        assert!(Nichiji::from_fixed("2026040108301").is_none());
        assert!(Nichiji::from_fixed("20261301083015").is_none());
        assert!(Nichiji::new(datetime!(0000-06-01 00:00 UTC)).is_none());
    }

    #[test]
    fn dates_in_both_forms() {
        let d = time::macros::date!(1989 - 01 - 07);
        assert_eq!(date_to_csv(d).unwrap(), "1989-01-07");
        assert_eq!(date_to_fixed(d).unwrap(), "19890107");
        assert_eq!(date_from_csv("1989-01-07"), Some(d));
        assert_eq!(date_from_fixed("19890107"), Some(d));
        assert_eq!(date_from_fixed("00000000"), None);
    }
}
