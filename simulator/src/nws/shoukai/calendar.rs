//! システムサービス提供時間: when the 自治体中間サーバー serves 情報照会 and 情報提供, and the
//! calendar (土日, 祝日, 年末年始) that decides it.
//!
//! Seed 004 §5.1.4 gives the hours of the current system:
//!
//! | 対象 | 時間 | 曜日等 |
//! |---|---|---|
//! | システムサービス提供時間 | 08:00〜21:00 | 月曜日〜金曜日 |
//! | 〃 | 08:00〜17:00 | 土・日・祝日、年末年始 |
//! | データ送受信機能停止時間 | 21:00〜00:00 | 月曜日〜金曜日 |
//!
//! and §4.4 says the next system extends 情報連携 to 平日8〜23時. renkei reads the stop window as
//! "from the weekday closing time to midnight", which is exactly §5.1.4's 21:00–24:00 for the
//! current system; for the next system that reading gives 23:00–24:00, which no seed states (it is
//! marked as renkei's reading in `docs/chukan-shoukai.md`).
//!
//! 祝日 follow 国民の祝日に関する法律 as amended up to the 2021 Olympic moves (the law is public; it
//! is not in the seeds): fixed days, ハッピーマンデー, 春分・秋分 by the usual formula (the official
//! days are announced a year ahead by 国立天文台; the formula agrees with them from 1980 to 2099),
//! 振替休日 and 国民の休日. renkei knows them from 2000 to 2099; outside those years only 土日 and
//! 年末年始 count. 年末年始 is 12月29日〜1月3日, the 行政機関の休日 of 行政機関の休日に関する法律
//! 第1条.

use time::{Date, Duration, Month, OffsetDateTime, Time, Weekday};

use crate::clock::JST;

/// The years whose 祝日 renkei computes.
pub const SHUKUJITSU_YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// The name of the 祝日 (or 休日 by 振替休日 / 国民の休日) on `date`, if it is one.
///
/// ```
/// use renkei_simulator::nws::shoukai::calendar::shukujitsu;
/// use time::macros::date;
///
/// assert_eq!(shukujitsu(date!(2026-09-22)), Some("国民の休日"));
/// assert_eq!(shukujitsu(date!(2026-05-06)), Some("振替休日"));
/// assert_eq!(shukujitsu(date!(2026-04-06)), None);
/// ```
pub fn shukujitsu(date: Date) -> Option<&'static str> {
    if !SHUKUJITSU_YEARS.contains(&date.year()) {
        return None;
    }
    if let Some(name) = kokumin_no_shukujitsu(date) {
        return Some(name);
    }
    if is_furikae(date) {
        return Some("振替休日");
    }
    // 国民の休日: a day between two 国民の祝日 (祝日法 第3条第3項).
    let (before, after) = (date.previous_day(), date.next_day());
    if before.and_then(kokumin_no_shukujitsu).is_some()
        && after.and_then(kokumin_no_shukujitsu).is_some()
    {
        return Some("国民の休日");
    }
    None
}

/// 振替休日 (祝日法 第3条第2項): from 2007, the first day after a 祝日 falling on a Sunday that is
/// not itself a 祝日; before 2007, only the Monday after it.
fn is_furikae(date: Date) -> bool {
    if date.year() >= 2007 {
        let mut day = date;
        while let Some(previous) = day.previous_day() {
            if kokumin_no_shukujitsu(previous).is_none() {
                return false;
            }
            if previous.weekday() == Weekday::Sunday {
                return true;
            }
            day = previous;
        }
        false
    } else {
        date.previous_day()
            .is_some_and(|p| p.weekday() == Weekday::Sunday && kokumin_no_shukujitsu(p).is_some())
    }
}

/// 「国民の祝日」 proper (祝日法 第2条 and the special laws for 2019–2021), without 振替休日 and
/// 国民の休日.
fn kokumin_no_shukujitsu(date: Date) -> Option<&'static str> {
    let year = date.year();
    let day = date.day();
    let nth_monday = |n: u8| nth_weekday(year, date.month(), Weekday::Monday, n) == Some(date);
    match date.month() {
        Month::January if day == 1 => Some("元日"),
        Month::January if nth_monday(2) => Some("成人の日"),
        Month::February if day == 11 => Some("建国記念の日"),
        Month::February if day == 23 && year >= 2020 => Some("天皇誕生日"),
        Month::March if day == equinox_day(year, 20.8431) => Some("春分の日"),
        Month::April if day == 29 => Some(if year >= 2007 {
            "昭和の日"
        } else {
            "みどりの日"
        }),
        Month::May if day == 1 && year == 2019 => Some("天皇の即位の日"),
        Month::May if day == 3 => Some("憲法記念日"),
        Month::May if day == 4 && year >= 2007 => Some("みどりの日"),
        Month::May if day == 5 => Some("こどもの日"),
        Month::July if umi_no_hi(year) == Some(date) => Some("海の日"),
        Month::July if year == 2020 && day == 24 => Some("スポーツの日"),
        Month::July if year == 2021 && day == 23 => Some("スポーツの日"),
        Month::August if yama_no_hi(year) == Some(date) => Some("山の日"),
        Month::September if keirou_no_hi(year) == Some(date) => Some("敬老の日"),
        Month::September if day == equinox_day(year, 23.2488) => Some("秋分の日"),
        Month::October if year == 2019 && day == 22 => Some("即位礼正殿の儀の行われる日"),
        Month::October if !(2020..=2021).contains(&year) && nth_monday(2) => {
            Some(if year >= 2020 {
                "スポーツの日"
            } else {
                "体育の日"
            })
        }
        Month::November if day == 3 => Some("文化の日"),
        Month::November if day == 23 => Some("勤労感謝の日"),
        Month::December if day == 23 && year <= 2018 => Some("天皇誕生日"),
        _ => None,
    }
}

/// 海の日: 7月20日 until 2002, the third Monday of July from 2003; moved for the Olympics in
/// 2020 (7月23日) and 2021 (7月22日).
fn umi_no_hi(year: i32) -> Option<Date> {
    match year {
        2020 => Date::from_calendar_date(2020, Month::July, 23).ok(),
        2021 => Date::from_calendar_date(2021, Month::July, 22).ok(),
        ..=2002 => Date::from_calendar_date(year, Month::July, 20).ok(),
        _ => nth_weekday(year, Month::July, Weekday::Monday, 3),
    }
}

/// 山の日: 8月11日 from 2016; 8月10日 in 2020 and 8月8日 in 2021.
fn yama_no_hi(year: i32) -> Option<Date> {
    let day = match year {
        ..=2015 => return None,
        2020 => 10,
        2021 => 8,
        _ => 11,
    };
    Date::from_calendar_date(year, Month::August, day).ok()
}

/// 敬老の日: 9月15日 until 2002, the third Monday of September from 2003.
fn keirou_no_hi(year: i32) -> Option<Date> {
    if year <= 2002 {
        Date::from_calendar_date(year, Month::September, 15).ok()
    } else {
        nth_weekday(year, Month::September, Weekday::Monday, 3)
    }
}

/// The day of the month of 春分 (`base` 20.8431) or 秋分 (`base` 23.2488): the formula that matches
/// 国立天文台's announcements from 1980 to 2099.
fn equinox_day(year: i32, base: f64) -> u8 {
    let since = f64::from(year - 1980);
    (base + 0.242194 * since - (since / 4.0).floor()).floor() as u8
}

/// The `n`-th `weekday` of `month` in `year`.
fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let offset =
        (weekday.number_days_from_monday() + 7 - first.weekday().number_days_from_monday()) % 7;
    let date = first + Duration::days(i64::from(offset) + 7 * i64::from(n - 1));
    (date.month() == month).then_some(date)
}

/// 年末年始: 12月29日〜1月3日 (行政機関の休日に関する法律 第1条第1項第3号).
pub fn is_nenmatsu_nenshi(date: Date) -> bool {
    matches!(
        (date.month(), date.day()),
        (Month::December, 29..=31) | (Month::January, 1..=3)
    )
}

/// Whether `date` takes the 土・日・祝日、年末年始 hours.
pub fn is_kyuujitsu(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
        || is_nenmatsu_nenshi(date)
        || shukujitsu(date).is_some()
}

/// The システムサービス提供時間 of one system generation, and with it the データ送受信機能停止時間.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceHours {
    /// Opening on 平日 (月〜金, not a 祝日 nor 年末年始).
    pub heijitsu_open: Time,
    /// Closing on 平日; the データ送受信機能停止時間 runs from here to midnight.
    pub heijitsu_close: Time,
    /// Opening on 土・日・祝日、年末年始.
    pub kyuujitsu_open: Time,
    /// Closing on 土・日・祝日、年末年始.
    pub kyuujitsu_close: Time,
}

impl ServiceHours {
    /// The current system (seed 004 §5.1.4): 平日 08:00–21:00, 休日 08:00–17:00, stop window
    /// 平日 21:00–24:00.
    pub const GENKOU: ServiceHours = ServiceHours {
        heijitsu_open: time::macros::time!(8:00),
        heijitsu_close: time::macros::time!(21:00),
        kyuujitsu_open: time::macros::time!(8:00),
        kyuujitsu_close: time::macros::time!(17:00),
    };

    /// The next system (seed 004 §4.4: 情報連携 平日8〜23時); the 休日 hours are assumed unchanged
    /// and the stop window is renkei's reading (23:00–24:00).
    pub const JIKI: ServiceHours = ServiceHours {
        heijitsu_close: time::macros::time!(23:00),
        ..ServiceHours::GENKOU
    };

    /// Opening and closing on `date`.
    pub fn hours_on(&self, date: Date) -> (Time, Time) {
        if is_kyuujitsu(date) {
            (self.kyuujitsu_open, self.kyuujitsu_close)
        } else {
            (self.heijitsu_open, self.heijitsu_close)
        }
    }

    /// Whether the service is provided at `at` (judged in JST).
    pub fn is_open(&self, at: OffsetDateTime) -> bool {
        let at = at.to_offset(JST);
        let (open, close) = self.hours_on(at.date());
        at.time() >= open && at.time() < close
    }

    /// Whether `at` is in the データ送受信機能停止時間: a 平日 from closing to midnight.
    pub fn is_teishi_jikan(&self, at: OffsetDateTime) -> bool {
        let at = at.to_offset(JST);
        !is_kyuujitsu(at.date()) && at.time() >= self.heijitsu_close
    }

    /// `at` if the service is open then, else the next opening.
    pub fn next_open(&self, at: OffsetDateTime) -> OffsetDateTime {
        let at = at.to_offset(JST);
        let (open, close) = self.hours_on(at.date());
        if at.time() < open {
            return at.date().with_time(open).assume_offset(JST);
        }
        if at.time() < close {
            return at;
        }
        let next = at.date().next_day().unwrap_or(at.date());
        next.with_time(self.hours_on(next).0).assume_offset(JST)
    }

    /// The time `work` of service time after `from`: the clock stops while the service is closed.
    /// `work` of zero gives the next opening at or after `from`.
    pub fn after_service_time(&self, from: OffsetDateTime, work: Duration) -> OffsetDateTime {
        let mut at = self.next_open(from);
        let mut remaining = work;
        loop {
            let close = at
                .date()
                .with_time(self.hours_on(at.date()).1)
                .assume_offset(JST);
            let available = close - at;
            if remaining < available {
                return at + remaining;
            }
            remaining -= available;
            at = self.next_open(close);
        }
    }

    /// The hours as a phrase for messages: 「平日 08:00〜21:00、土・日・祝日・年末年始 08:00〜17:00」.
    pub fn describe(&self) -> String {
        format!(
            "平日 {}〜{}、土・日・祝日・年末年始 {}〜{}",
            hhmm(self.heijitsu_open),
            hhmm(self.heijitsu_close),
            hhmm(self.kyuujitsu_open),
            hhmm(self.kyuujitsu_close)
        )
    }

    /// The stop window as a phrase: 「平日 21:00〜24:00」.
    pub fn describe_teishi(&self) -> String {
        format!("平日 {}〜24:00", hhmm(self.heijitsu_close))
    }
}

impl Default for ServiceHours {
    fn default() -> Self {
        Self::GENKOU
    }
}

fn hhmm(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn holidays(year: i32) -> Vec<(Date, &'static str)> {
        let mut day = Date::from_calendar_date(year, Month::January, 1).unwrap();
        let mut found = Vec::new();
        while day.year() == year {
            if let Some(name) = shukujitsu(day) {
                found.push((day, name));
            }
            day = day.next_day().unwrap();
        }
        found
    }

    #[test]
    fn the_holidays_of_2026() {
        let expected = [
            (date!(2026 - 01 - 01), "元日"),
            (date!(2026 - 01 - 12), "成人の日"),
            (date!(2026 - 02 - 11), "建国記念の日"),
            (date!(2026 - 02 - 23), "天皇誕生日"),
            (date!(2026 - 03 - 20), "春分の日"),
            (date!(2026 - 04 - 29), "昭和の日"),
            (date!(2026 - 05 - 03), "憲法記念日"),
            (date!(2026 - 05 - 04), "みどりの日"),
            (date!(2026 - 05 - 05), "こどもの日"),
            (date!(2026 - 05 - 06), "振替休日"),
            (date!(2026 - 07 - 20), "海の日"),
            (date!(2026 - 08 - 11), "山の日"),
            (date!(2026 - 09 - 21), "敬老の日"),
            (date!(2026 - 09 - 22), "国民の休日"),
            (date!(2026 - 09 - 23), "秋分の日"),
            (date!(2026 - 10 - 12), "スポーツの日"),
            (date!(2026 - 11 - 03), "文化の日"),
            (date!(2026 - 11 - 23), "勤労感謝の日"),
        ];
        assert_eq!(holidays(2026), expected);
    }

    #[test]
    fn the_special_years() {
        let y2019 = holidays(2019);
        for (day, name) in [
            (date!(2019 - 03 - 21), "春分の日"),
            (date!(2019 - 04 - 30), "国民の休日"),
            (date!(2019 - 05 - 01), "天皇の即位の日"),
            (date!(2019 - 05 - 02), "国民の休日"),
            (date!(2019 - 05 - 06), "振替休日"),
            (date!(2019 - 10 - 14), "体育の日"),
            (date!(2019 - 10 - 22), "即位礼正殿の儀の行われる日"),
        ] {
            assert!(y2019.contains(&(day, name)), "{day} {name}");
        }
        assert!(!y2019.iter().any(|(d, _)| *d == date!(2019 - 12 - 23)));
        let y2020 = holidays(2020);
        for (day, name) in [
            (date!(2020 - 02 - 24), "振替休日"),
            (date!(2020 - 07 - 23), "海の日"),
            (date!(2020 - 07 - 24), "スポーツの日"),
            (date!(2020 - 08 - 10), "山の日"),
        ] {
            assert!(y2020.contains(&(day, name)), "{day} {name}");
        }
        assert!(!y2020.iter().any(|(d, _)| d.month() == Month::October));
        assert_eq!(holidays(2021).len(), 17);
        assert_eq!(shukujitsu(date!(2021 - 08 - 09)), Some("振替休日"));
    }

    #[test]
    fn years_outside_the_known_range_have_no_holidays() {
        assert_eq!(shukujitsu(date!(1999 - 01 - 01)), None);
        assert_eq!(shukujitsu(date!(2100 - 01 - 01)), None);
        assert!(is_kyuujitsu(date!(2100 - 01 - 01)), "年末年始 still counts");
    }

    #[test]
    fn hours_and_the_stop_window() {
        let hours = ServiceHours::GENKOU;
        // 2026-04-06 is a Monday.
        assert!(!hours.is_open(datetime!(2026-04-06 07:59:59 +09:00)));
        assert!(hours.is_open(datetime!(2026-04-06 08:00 +09:00)));
        assert!(hours.is_open(datetime!(2026-04-06 20:59:59 +09:00)));
        assert!(!hours.is_open(datetime!(2026-04-06 21:00 +09:00)));
        assert!(hours.is_teishi_jikan(datetime!(2026-04-06 21:00 +09:00)));
        assert!(hours.is_teishi_jikan(datetime!(2026-04-06 23:59 +09:00)));
        assert!(!hours.is_teishi_jikan(datetime!(2026-04-07 00:00 +09:00)));
        // Saturday: open 08–17, no stop window.
        assert!(hours.is_open(datetime!(2026-04-11 16:59 +09:00)));
        assert!(!hours.is_open(datetime!(2026-04-11 17:00 +09:00)));
        assert!(!hours.is_teishi_jikan(datetime!(2026-04-11 21:30 +09:00)));
        // A weekday holiday takes the holiday hours; 年末年始 too.
        assert!(!hours.is_open(datetime!(2026-04-29 18:00 +09:00)));
        assert!(!hours.is_open(datetime!(2026-12-29 17:30 +09:00)));
        // UTC times are judged in JST.
        assert!(hours.is_open(datetime!(2026-04-06 00:00 UTC)));
    }

    #[test]
    fn service_time_stops_while_closed() {
        let hours = ServiceHours::GENKOU;
        assert_eq!(
            hours.next_open(datetime!(2026-04-06 21:30 +09:00)),
            datetime!(2026-04-07 08:00 +09:00)
        );
        assert_eq!(
            hours.next_open(datetime!(2026-04-10 22:00 +09:00)),
            datetime!(2026-04-11 08:00 +09:00)
        );
        // 30 minutes of work from Monday 20:45: 15 minutes on Monday, 15 on Tuesday.
        assert_eq!(
            hours.after_service_time(datetime!(2026-04-06 20:45 +09:00), Duration::minutes(30)),
            datetime!(2026-04-07 08:15 +09:00)
        );
        assert_eq!(
            hours.after_service_time(datetime!(2026-04-06 10:00 +09:00), Duration::ZERO),
            datetime!(2026-04-06 10:00 +09:00)
        );
        assert_eq!(
            ServiceHours::JIKI.next_open(datetime!(2026-04-06 22:00 +09:00)),
            datetime!(2026-04-06 22:00 +09:00)
        );
        assert_eq!(hours.describe_teishi(), "平日 21:00〜24:00");
    }
}
