//! 中間サーバーのシステムサービス提供時間 (docs/chukan-shoukai.md「時間」、seed 004 §2.6、§5.1.4)。
//!
//! | 日 | 提供時間 | 停止時間帯 |
//! |---|---|---|
//! | 平日 | 08:00〜21:00 | 21:00〜24:00 (データ送受信機能停止、SK31) |
//! | 土・日・祝日・年末年始 | 08:00〜17:00 | — |
//!
//! 照会の登録・取りやめ・確認・送信許可・情報提供等記録の変更は、時間外なら中間サーバーに送らずに待たせます
//! (SKI-07、SKI-08)。
//! 時刻はシミュレーターの時計 (日本時間) です。祝日は国民の祝日に関する法律どおり (振替休日・国民の休日を含む、
//! 2000〜2099 年)、年末年始は 12月29日〜1月3日です。

use crate::defects::{DefectKind, Seeded};
use time::{Date, Month, OffsetDateTime, Weekday};

/// 時刻がサービス提供時間のどこにあるか。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jikan {
    /// 提供時間内: 送れる。
    Nai,
    /// 提供時間外 (SK30)。
    Gai,
    /// 平日 21:00〜24:00 のデータ送受信機能停止時間帯 (SK31)。
    Teishi,
}

impl Jikan {
    pub fn okureru(self) -> bool {
        self == Jikan::Nai
    }

    /// 報告のための一言。
    pub fn as_str(self) -> &'static str {
        match self {
            Jikan::Nai => "提供時間内",
            Jikan::Gai => "システムサービス提供時間外",
            Jikan::Teishi => "データ送受信機能停止時間帯 (平日 21:00〜24:00)",
        }
    }
}

/// `now` (シミュレーターの時計) がサービス提供時間のどこにあるか。
pub fn jikan(now: OffsetDateTime, seeded: Seeded) -> Jikan {
    let t = now.to_offset(crate::jst::JST);
    hantei(t, is_heijitsu(t.date()), seeded)
}

/// 照会の登録と取りやめを送れるか (SKI-07、SKI-08)。ふつうは [`jikan`] と同じです。
pub fn shoukai(now: OffsetDateTime, seeded: Seeded) -> Jikan {
    if seeded.has(DefectKind::ShoukaiWeekdayHoursEveryDay) {
        // 不具合: 土・日・祝日・年末年始も平日の時間 (08:00〜21:00、21:00〜24:00 は停止時間帯) で決める。
        return hantei(now.to_offset(crate::jst::JST), true, seeded);
    }
    jikan(now, seeded)
}

fn hantei(t: OffsetDateTime, heijitsu: bool, seeded: Seeded) -> Jikan {
    let minutes = u32::from(t.hour()) * 60 + u32::from(t.minute());
    if minutes < 8 * 60 {
        return Jikan::Gai;
    }
    if heijitsu {
        if minutes < 21 * 60 {
            Jikan::Nai
        } else if seeded.has(DefectKind::ShoukaiInStopWindow) {
            // 不具合: 平日 21:00〜24:00 の停止時間帯を忘れている (ほかの時間外は守る)。
            Jikan::Nai
        } else {
            Jikan::Teishi
        }
    } else if minutes < 17 * 60 {
        Jikan::Nai
    } else {
        Jikan::Gai
    }
}

/// 平日: 月〜金で、祝日でも年末年始でもない日。
pub fn is_heijitsu(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
        && !is_nenmatsu_nenshi(d)
        && !is_shukujitsu(d)
}

/// 年末年始 (12月29日〜1月3日)。
pub fn is_nenmatsu_nenshi(d: Date) -> bool {
    match d.month() {
        Month::December => d.day() >= 29,
        Month::January => d.day() <= 3,
        _ => false,
    }
}

/// 国民の祝日・振替休日・国民の休日 (2000〜2099 年)。
pub fn is_shukujitsu(d: Date) -> bool {
    if is_kokumin_no_shukujitsu(d) {
        return true;
    }
    // 振替休日 (2007 年から): 日曜の祝日の後の、最初の祝日でない日。
    if d.year() >= 2007 {
        let mut prev = d.previous_day();
        while let Some(p) = prev {
            if !is_kokumin_no_shukujitsu(p) {
                break;
            }
            if p.weekday() == Weekday::Sunday {
                return true;
            }
            prev = p.previous_day();
        }
    } else if d.weekday() == Weekday::Monday
        && d.previous_day().is_some_and(is_kokumin_no_shukujitsu)
    {
        return true;
    }
    // 国民の休日: 前日と翌日が祝日である祝日でない日。
    d.previous_day().is_some_and(is_kokumin_no_shukujitsu)
        && d.next_day().is_some_and(is_kokumin_no_shukujitsu)
}

/// その月の第 n 月曜日。
fn nth_monday(year: i32, month: Month, n: u8) -> u8 {
    let first = Date::from_calendar_date(year, month, 1)
        .map(|d| d.weekday().number_days_from_monday())
        .unwrap_or(0);
    1 + (7 - first) % 7 + (n - 1) * 7
}

/// 春分日・秋分日 (1980〜2099 年の近似式。国立天文台の暦要項と 2099 年まで一致します)。
fn bunbi(year: i32, base: f64) -> u8 {
    let y = f64::from(year - 1980);
    (base + 0.242194 * y - (y / 4.0).floor()).floor() as u8
}

/// 国民の祝日 (振替休日・国民の休日を除く)。
fn is_kokumin_no_shukujitsu(d: Date) -> bool {
    let (y, m, day) = (d.year(), d.month(), d.day());
    match m {
        Month::January => day == 1 || day == nth_monday(y, m, 2),
        Month::February => day == 11 || (y >= 2020 && day == 23),
        Month::March => day == bunbi(y, 20.8431),
        Month::April => day == 29,
        // 2019 年: 天皇の即位の日 (5月1日)
        Month::May => day == 3 || day == 4 || day == 5 || (y == 2019 && day == 1),
        Month::July => match y {
            2020 => day == 23 || day == 24,
            2021 => day == 22 || day == 23,
            _ => day == nth_monday(y, m, 3),
        },
        Month::August => match y {
            2020 => day == 10,
            2021 => day == 8,
            y if y >= 2016 => day == 11,
            _ => false,
        },
        Month::September => day == nth_monday(y, m, 3) || day == bunbi(y, 23.2488),
        Month::October => match y {
            2020 | 2021 => false,
            // 2019 年: 即位礼正殿の儀の行われる日 (10月22日)
            2019 => day == nth_monday(y, m, 2) || day == 22,
            _ => day == nth_monday(y, m, 2),
        },
        Month::November => day == 3 || day == 23,
        Month::December => y <= 2018 && day == 23,
        Month::June => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn at(t: time::PrimitiveDateTime) -> OffsetDateTime {
        t.assume_offset(crate::jst::JST)
    }

    #[test]
    fn weekday_hours_and_the_stop_window() {
        // 2026-04-07 は火曜
        assert_eq!(
            jikan(at(datetime!(2026-04-07 07:59)), Seeded::NONE),
            Jikan::Gai
        );
        assert_eq!(
            jikan(at(datetime!(2026-04-07 08:00)), Seeded::NONE),
            Jikan::Nai
        );
        assert_eq!(
            jikan(at(datetime!(2026-04-07 20:59)), Seeded::NONE),
            Jikan::Nai
        );
        assert_eq!(
            jikan(at(datetime!(2026-04-07 21:00)), Seeded::NONE),
            Jikan::Teishi
        );
        assert_eq!(
            jikan(at(datetime!(2026-04-07 21:30)), Seeded::NONE),
            Jikan::Teishi
        );
        assert_eq!(
            jikan(at(datetime!(2026-04-07 23:59)), Seeded::NONE),
            Jikan::Teishi
        );
        assert_eq!(
            jikan(at(datetime!(2026-04-08 00:00)), Seeded::NONE),
            Jikan::Gai
        );
        // UTC で渡されても日本時間で決める (12:30Z = 21:30 JST)
        let utc = datetime!(2026-04-07 12:30).assume_utc();
        assert_eq!(jikan(utc, Seeded::NONE), Jikan::Teishi);
    }

    #[test]
    fn the_stop_window_defect_forgets_only_the_stop_window() {
        let defect = Seeded::from_id("shoukai-in-stop-window").unwrap();
        assert_eq!(jikan(at(datetime!(2026-04-07 21:30)), defect), Jikan::Nai);
        assert_eq!(jikan(at(datetime!(2026-04-08 07:00)), defect), Jikan::Gai);
        assert_eq!(
            jikan(at(datetime!(2026-04-11 18:00)), defect),
            Jikan::Gai,
            "土曜の夕方"
        );
    }

    #[test]
    fn the_weekday_hours_defect_sends_on_weekend_evenings() {
        let defect = Seeded::from_id("shoukai-weekday-hours-every-day").unwrap();
        // 土曜 18:00: 正しくは時間外、不具合は送る
        let sat = at(datetime!(2026-04-11 18:00));
        assert_eq!(shoukai(sat, Seeded::NONE), Jikan::Gai);
        assert_eq!(shoukai(sat, defect), Jikan::Nai);
        assert_eq!(
            shoukai(at(datetime!(2026-04-11 21:30)), defect),
            Jikan::Teishi
        );
        assert_eq!(shoukai(at(datetime!(2026-04-12 07:00)), defect), Jikan::Gai);
        // 平日は変わらない。照会のほか (jikan) にも効かない
        assert_eq!(
            shoukai(at(datetime!(2026-04-07 21:30)), defect),
            Jikan::Teishi
        );
        assert_eq!(jikan(sat, defect), Jikan::Gai);
        assert_eq!(
            shoukai(at(datetime!(2026-04-07 21:30)), Seeded::NONE),
            jikan(at(datetime!(2026-04-07 21:30)), Seeded::NONE)
        );
    }

    #[test]
    fn weekends_holidays_and_the_new_year() {
        // 2026-04-11 は土曜、2026-04-12 は日曜
        assert_eq!(
            jikan(at(datetime!(2026-04-11 16:59)), Seeded::NONE),
            Jikan::Nai
        );
        assert_eq!(
            jikan(at(datetime!(2026-04-11 17:00)), Seeded::NONE),
            Jikan::Gai
        );
        assert_eq!(
            jikan(at(datetime!(2026-04-12 21:30)), Seeded::NONE),
            Jikan::Gai,
            "休日に停止時間帯はない"
        );
        // 昭和の日 (水曜)
        assert_eq!(
            jikan(at(datetime!(2026-04-29 18:00)), Seeded::NONE),
            Jikan::Gai
        );
        // 年末年始
        assert_eq!(
            jikan(at(datetime!(2026-12-29 18:00)), Seeded::NONE),
            Jikan::Gai
        );
        assert_eq!(
            jikan(at(datetime!(2027-01-04 18:00)), Seeded::NONE),
            Jikan::Nai
        );
    }

    #[test]
    fn japanese_holidays() {
        for d in [
            date!(2026 - 01 - 01),
            date!(2026 - 01 - 12), // 成人の日 (第2月曜)
            date!(2026 - 02 - 11),
            date!(2026 - 02 - 23),
            date!(2026 - 03 - 20), // 春分の日
            date!(2026 - 05 - 06), // 憲法記念日 (日曜) の振替休日: 5/4・5/5 も祝日なので 5/6
            date!(2026 - 07 - 20), // 海の日
            date!(2026 - 08 - 11),
            date!(2026 - 09 - 21), // 敬老の日
            date!(2026 - 09 - 22), // 国民の休日 (敬老の日と秋分の日の間)
            date!(2026 - 09 - 23), // 秋分の日
            date!(2026 - 10 - 12), // スポーツの日
            date!(2026 - 11 - 03),
            date!(2026 - 11 - 23),
            date!(2019 - 04 - 30), // 国民の休日
            date!(2019 - 05 - 01), // 即位の日
            date!(2019 - 05 - 02), // 国民の休日
            date!(2019 - 05 - 06), // 振替休日
            date!(2019 - 10 - 22),
            date!(2020 - 07 - 24),
            date!(2021 - 08 - 09), // 山の日 (日曜) の振替休日
            date!(2018 - 12 - 24), // 天皇誕生日 (日曜) の振替休日
            date!(2025 - 03 - 20),
            date!(2025 - 09 - 23),
        ] {
            assert!(is_shukujitsu(d), "{d} は祝日");
            assert!(!is_heijitsu(d), "{d} は平日ではない");
        }
        for d in [
            date!(2026 - 04 - 07),
            date!(2026 - 05 - 07),
            date!(2026 - 12 - 23), // 2019 年からは天皇誕生日でない
            date!(2020 - 10 - 12), // 2020 年のスポーツの日は 7/24
            date!(2019 - 12 - 23),
        ] {
            assert!(!is_shukujitsu(d), "{d} は祝日でない");
        }
        assert!(is_heijitsu(date!(2026 - 04 - 07)));
        assert!(!is_heijitsu(date!(2026 - 04 - 11)));
    }
}
