//! The numbers that tie a 情報照会 together, and the MSGMode it runs in.
//!
//! - **処理通番** ([`ShoriTsuuban`]): given by the 情報提供ネットワークシステム to one 照会 (one
//!   明細 of a bulk request). The 照会者 and the 提供者 both know the 照会 by it: status, result,
//!   取りやめ, 送信許可, every 通知 and both sides' 情報提供等記録 carry it (seed 004 §6.4, §3.2 #4).
//! - **中間サーバー受付番号** ([`UketsukeBango`]): given by the 照会者's 中間サーバー to one
//!   registration — a single 照会 or a whole bulk file — as the `ReceptionNumber` of the
//!   MessageHeader (DOMAIN.md "自治体中間サーバー").
//!
//! Neither form is public. renkei's are 16 digits: the registration day in JST (`YYYYMMDD`) and
//! an 8-digit serial that restarts each day — 処理通番 across the whole 情報提供ネットワークシステム,
//! 受付番号 per tenant. Numbers only grow: if the clock is set back, the serial continues on the
//! last day used, so a number is never given twice.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Digits of the day part.
const DATE_DIGITS: usize = 8;
/// Digits of the serial part.
const SERIAL_DIGITS: usize = 8;
/// The largest serial of one day.
const MAX_SERIAL: u32 = 99_999_999;

macro_rules! day_serial {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name {
            /// The day (JST) of the first number of this serial.
            date: Date,
            /// 1-based serial within the day.
            serial: u32,
        }

        impl $name {
            /// What the number is called, for messages.
            pub const WHAT: &'static str = $what;
            /// Length of the text form.
            pub const LEN: usize = DATE_DIGITS + SERIAL_DIGITS;

            /// The number after `last` for a registration on `today`: serial 1 of `today` when
            /// `today` is later than `last`'s day, else the next serial of `last`'s day. When a
            /// day's 99,999,999 numbers are used up, the count goes on in the following day's.
            pub fn next(last: Option<Self>, today: Date) -> Self {
                match last {
                    Some(last) if last.date >= today => {
                        if last.serial < MAX_SERIAL {
                            Self { date: last.date, serial: last.serial + 1 }
                        } else {
                            Self { date: last.date.next_day().unwrap_or(last.date), serial: 1 }
                        }
                    }
                    _ => Self { date: today, serial: 1 },
                }
            }

            /// The day part.
            pub fn date(&self) -> Date {
                self.date
            }

            /// The serial part.
            pub fn serial(&self) -> u32 {
                self.serial
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "{:04}{:02}{:02}{:08}",
                    self.date.year(),
                    u8::from(self.date.month()),
                    self.date.day(),
                    self.serial
                )
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl FromStr for $name {
            type Err = BangoError;

            fn from_str(text: &str) -> Result<Self, BangoError> {
                let invalid = || BangoError { what: $what, input: text.to_owned() };
                if text.len() != Self::LEN || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                let number = |range: std::ops::Range<usize>| -> u32 {
                    text[range].parse().expect("checked: ASCII digits")
                };
                let month = Month::try_from(number(4..6) as u8).map_err(|_| invalid())?;
                let date = Date::from_calendar_date(number(0..4) as i32, month, number(6..8) as u8)
                    .map_err(|_| invalid())?;
                let serial = number(DATE_DIGITS..Self::LEN);
                if serial == 0 {
                    return Err(invalid());
                }
                Ok(Self { date, serial })
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

day_serial! {
    /// 処理通番: the 情報提供ネットワークシステム's number for one 照会 (one 明細), known to both
    /// the 照会者 and the 提供者. 16 digits: `YYYYMMDD` and an 8-digit serial (renkei's form).
    ShoriTsuuban, "処理通番"
}

day_serial! {
    /// 中間サーバー受付番号: the 照会者's 中間サーバー's number for one registration (a single
    /// 照会 or a bulk file), per tenant. 16 digits: `YYYYMMDD` and an 8-digit serial (renkei's form).
    UketsukeBango, "中間サーバー受付番号"
}

/// A text that is not a 処理通番 / 中間サーバー受付番号.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}「{input}」は不正です: 日付 (YYYYMMDD) と 1 以上の連番 8 桁、半角数字 16 桁です")]
pub struct BangoError {
    /// 処理通番 or 中間サーバー受付番号.
    pub what: &'static str,
    /// The text given.
    pub input: String,
}

/// MSGMode of the MessageHeader: whether a 照会 is 本番 (`0`) or テスト (`1`) (DOMAIN.md). A
/// テスト 照会 reaches only the test side of a provider and is answered from its test 副本; a 本番
/// 照会 never reaches a test side, and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MsgMode {
    /// 本番: production (`MSGMode` 0).
    #[serde(rename = "本番")]
    Honban,
    /// テスト: the 団体用検証環境 and 機関間テスト (`MSGMode` 1).
    #[serde(rename = "テスト")]
    Test,
}

impl MsgMode {
    /// Both modes, in MSGMode order.
    pub const ALL: [MsgMode; 2] = [MsgMode::Honban, MsgMode::Test];

    /// The MSGMode value of the MessageHeader: `0` or `1`.
    pub fn code(self) -> &'static str {
        match self {
            MsgMode::Honban => "0",
            MsgMode::Test => "1",
        }
    }

    /// 本番 / テスト.
    pub fn label(self) -> &'static str {
        match self {
            MsgMode::Honban => "本番",
            MsgMode::Test => "テスト",
        }
    }

    /// The mode of a MSGMode value (`0` / `1`).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

impl fmt::Display for MsgMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn serials_restart_each_day_and_never_repeat() {
        let first = ShoriTsuuban::next(None, date!(2026 - 04 - 06));
        assert_eq!(first.to_string(), "2026040600000001");
        let second = ShoriTsuuban::next(Some(first), date!(2026 - 04 - 06));
        assert_eq!(second.to_string(), "2026040600000002");
        let next_day = ShoriTsuuban::next(Some(second), date!(2026 - 04 - 07));
        assert_eq!(next_day.to_string(), "2026040700000001");
        // The clock set back: the serial goes on, on the last day used.
        let back = ShoriTsuuban::next(Some(next_day), date!(2026 - 04 - 01));
        assert_eq!(back.to_string(), "2026040700000002");
        assert!(back > next_day && next_day > second && second > first);
    }

    #[test]
    fn text_round_trips_and_bad_text_is_refused() {
        let number: UketsukeBango = "2019061700000123".parse().unwrap();
        assert_eq!(number.to_string(), "2019061700000123");
        assert_eq!(number.serial(), 123);
        let json = serde_json::to_string(&number).unwrap();
        assert_eq!(json, "\"2019061700000123\"");
        assert_eq!(
            serde_json::from_str::<UketsukeBango>(&json).unwrap(),
            number
        );
        for bad in [
            "",
            "2019061700000000",
            "2019133100000001",
            "20190617000001",
            "2019061７00000001",
        ] {
            let error = bad.parse::<ShoriTsuuban>().unwrap_err();
            assert!(error.to_string().starts_with("処理通番「"), "{error}");
        }
    }

    #[test]
    fn msg_mode_codes() {
        assert_eq!(MsgMode::from_code("0"), Some(MsgMode::Honban));
        assert_eq!(MsgMode::from_code("1"), Some(MsgMode::Test));
        assert_eq!(MsgMode::from_code("2"), None);
        assert_eq!(serde_json::to_string(&MsgMode::Test).unwrap(), "\"テスト\"");
    }
}
