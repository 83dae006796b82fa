//! 情報照会内容: what one 照会 asks (seed 004 §6.4: 団体内統合宛名番号, 特定個人情報名,
//! 事務・事務手続, 情報照会条件, 情報提供者機関), as the 照会者's 中間サーバー registers it.
//!
//! The public bulk 照会 files (DOMAIN.md) carry the same fields; their 照会条件 is 照会条件区分,
//! 照会年度区分, 開始日 and 終了日. renkei reads them into [`ShoukaiJouken`], which can only hold a
//! well-formed condition: [`ShoukaiJouken::from_fields`] refuses the rest with a Japanese message.

use std::fmt;

use renkei_fixtures::ids::{
    JimuCode, JimuTetsuzukiCode, KikanCode, TokuteiKojinJohoMeiCode, TougouAtenaBango,
};
use serde::{Deserialize, Serialize};
use time::{Date, Month};

use super::bango::MsgMode;

time::serde::format_description!(pub(crate) iso_date, Date, "[year]-[month]-[day]");

/// The 年度 renkei accepts in a 照会条件: wide enough for any 副本, narrow enough to catch a
/// 和暦 year or a typo (`0219`).
pub const NENDO_RANGE: std::ops::RangeInclusive<u16> = 1900..=2100;

/// 照会方式: how the 照会 reached the 中間サーバー (seed 004 §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Houshiki {
    /// 単件: Webサービス連携 or the 接続端末 screen, processed at once and ahead of pending bulk
    /// files (seed 004 §3.3 #11).
    #[serde(rename = "単件")]
    Tanken,
    /// 一括: a request file (サーバー間XMLデータ連携 or file upload), processed in order at the
    /// bulk rate.
    #[serde(rename = "一括")]
    Ikkatsu,
}

impl Houshiki {
    /// 単件 / 一括.
    pub fn label(self) -> &'static str {
        match self {
            Houshiki::Tanken => "単件",
            Houshiki::Ikkatsu => "一括",
        }
    }
}

impl fmt::Display for Houshiki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// 情報照会条件: which records of the 特定個人情報 the 照会 wants.
///
/// A dataset is addressed by a 照会キー, 年度 or 基準日 (`layouts.toml`). A 年度 condition selects
/// the records of that 年度 (of a 基準日 dataset: those whose 基準日 falls in it, 4月1日〜3月31日);
/// a 期間 condition selects the records whose 基準日 is within it (of a 年度 dataset: the 年度 that
/// overlap it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kubun")]
pub enum ShoukaiJouken {
    /// 年度指定 (照会条件区分 `1`).
    #[serde(rename = "年度")]
    Nendo {
        /// The 年度, 西暦.
        nendo: u16,
    },
    /// 期間指定 (照会条件区分 `2`): 開始日 to 終了日, both included.
    #[serde(rename = "期間")]
    Kikan {
        #[serde(with = "iso_date")]
        start: Date,
        #[serde(with = "iso_date")]
        end: Date,
    },
}

impl ShoukaiJouken {
    /// The 照会条件区分 of a 年度 condition (renkei-defined: the real codes are not public).
    pub const KUBUN_NENDO: &'static str = "1";
    /// The 照会条件区分 of a 期間 condition (renkei-defined).
    pub const KUBUN_KIKAN: &'static str = "2";

    /// A 年度 condition.
    pub fn nendo(nendo: u16) -> Result<Self, JoukenError> {
        if !NENDO_RANGE.contains(&nendo) {
            return Err(JoukenError::Nendo {
                input: nendo.to_string(),
            });
        }
        Ok(Self::Nendo { nendo })
    }

    /// A 期間 condition; 開始日 must not be after 終了日.
    pub fn kikan(start: Date, end: Date) -> Result<Self, JoukenError> {
        if start > end {
            return Err(JoukenError::Reversed { start, end });
        }
        Ok(Self::Kikan { start, end })
    }

    /// Reads the four fields of a 照会 file row: 照会条件区分 (`1` 年度, `2` 期間), 照会年度
    /// (`YYYY`), 開始日 and 終了日 (`YYYYMMDD` or `YYYY-MM-DD`). Fields the 区分 does not use must be
    /// blank (spaces count as blank, since the files are fixed-width).
    pub fn from_fields(
        kubun: &str,
        nendo: &str,
        start: &str,
        end: &str,
    ) -> Result<Self, JoukenError> {
        let (nendo, start, end) = (nendo.trim(), start.trim(), end.trim());
        match kubun.trim() {
            Self::KUBUN_NENDO => {
                if !start.is_empty() || !end.is_empty() {
                    return Err(JoukenError::Unused {
                        kubun: "年度指定",
                        field: "開始日・終了日",
                    });
                }
                if nendo.len() != 4 || !nendo.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(JoukenError::Nendo {
                        input: nendo.to_owned(),
                    });
                }
                Self::nendo(nendo.parse().expect("four ASCII digits")).map_err(|_| {
                    JoukenError::Nendo {
                        input: nendo.to_owned(),
                    }
                })
            }
            Self::KUBUN_KIKAN => {
                if !nendo.is_empty() {
                    return Err(JoukenError::Unused {
                        kubun: "期間指定",
                        field: "照会年度",
                    });
                }
                Self::kikan(parse_date("開始日", start)?, parse_date("終了日", end)?)
            }
            other => Err(JoukenError::Kubun {
                input: other.to_owned(),
            }),
        }
    }

    /// Checks a condition that did not come through the constructors (read back from JSON, or
    /// built field by field).
    pub fn check(&self) -> Result<(), JoukenError> {
        match *self {
            Self::Nendo { nendo } => Self::nendo(nendo).map(drop),
            Self::Kikan { start, end } => Self::kikan(start, end).map(drop),
        }
    }

    /// The 照会条件区分.
    pub fn kubun(&self) -> &'static str {
        match self {
            Self::Nendo { .. } => Self::KUBUN_NENDO,
            Self::Kikan { .. } => Self::KUBUN_KIKAN,
        }
    }

    /// The days the condition covers: a 年度 from 4月1日 to 3月31日, or the 期間.
    pub fn days(&self) -> (Date, Date) {
        match *self {
            Self::Nendo { nendo } => nendo_days(nendo),
            Self::Kikan { start, end } => (start, end),
        }
    }
}

impl fmt::Display for ShoukaiJouken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nendo { nendo } => write!(f, "{nendo}年度"),
            Self::Kikan { start, end } => write!(f, "{start}〜{end}"),
        }
    }
}

/// 4月1日 of `nendo` to 3月31日 of the next year.
pub fn nendo_days(nendo: u16) -> (Date, Date) {
    let year = i32::from(nendo);
    (
        Date::from_calendar_date(year, Month::April, 1).expect("a valid day"),
        Date::from_calendar_date(year + 1, Month::March, 31).expect("a valid day"),
    )
}

fn parse_date(field: &'static str, text: &str) -> Result<Date, JoukenError> {
    let invalid = || JoukenError::Date {
        field,
        input: text.to_owned(),
    };
    let digits: String = match text.len() {
        8 => text.to_owned(),
        10 if text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-' => {
            format!("{}{}{}", &text[0..4], &text[5..7], &text[8..10])
        }
        _ => return Err(invalid()),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| digits[range].parse::<u32>().expect("digits");
    let month = Month::try_from(number(4..6) as u8).map_err(|_| invalid())?;
    Date::from_calendar_date(number(0..4) as i32, month, number(6..8) as u8).map_err(|_| invalid())
}

/// Why a 照会条件 is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoukenError {
    #[error("照会条件区分「{input}」は不正です: 1 (年度指定) か 2 (期間指定) です")]
    Kubun { input: String },
    #[error(
        "照会年度「{input}」は不正です: 西暦 4 桁で {}〜{} の年度です",
        NENDO_RANGE.start(),
        NENDO_RANGE.end()
    )]
    Nendo { input: String },
    #[error("{field}「{input}」は日付ではありません: YYYYMMDD か YYYY-MM-DD で書きます")]
    Date { field: &'static str, input: String },
    #[error("照会条件の開始日 {start} が終了日 {end} より後です")]
    Reversed { start: Date, end: Date },
    #[error("{kubun}の照会条件に{field}は書けません")]
    Unused {
        kubun: &'static str,
        field: &'static str,
    },
}

/// One 照会 as the 照会者 registers it: the fields of seed 004 §6.4 and the MSGMode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShoukaiNaiyou {
    /// The person, by the 照会者's own 団体内統合宛名番号 (the 中間サーバー turns it into the
    /// 照会者's 符号; the 情報提供ネットワークシステム into the 提供者's).
    pub tougou: TougouAtenaBango,
    /// 事務: under which law the 照会者 asks.
    pub jimu: JimuCode,
    /// 事務手続: the step of the 事務 (belongs to `jimu`).
    pub tetsuzuki: JimuTetsuzukiCode,
    /// 特定個人情報名コード: what is asked.
    pub tokutei: TokuteiKojinJohoMeiCode,
    /// 情報提供者機関コード: whom it is asked of.
    pub teikyousha: KikanCode,
    /// 情報照会条件.
    pub jouken: ShoukaiJouken,
    /// MSGMode: 本番 or テスト.
    pub msg_mode: MsgMode,
    /// 不開示コード of the file row: the 情報提供等記録 of this 照会 is not to be shown to the
    /// person (the 記録 starts 不開示 on both sides).
    #[serde(default)]
    pub fukaiji: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn file_fields_make_conditions() {
        assert_eq!(
            ShoukaiJouken::from_fields("1", "2025", "", "").unwrap(),
            ShoukaiJouken::Nendo { nendo: 2025 }
        );
        assert_eq!(
            ShoukaiJouken::from_fields("2", "    ", "20250401", "2025-09-30").unwrap(),
            ShoukaiJouken::Kikan {
                start: date!(2025 - 04 - 01),
                end: date!(2025 - 09 - 30)
            }
        );
    }

    #[test]
    fn malformed_conditions_are_refused_in_japanese() {
        let cases = [
            (("3", "2025", "", ""), "照会条件区分「3」は不正です"),
            (("1", "R7", "", ""), "照会年度「R7」は不正です"),
            (("1", "0219", "", ""), "照会年度「0219」は不正です"),
            (
                ("1", "2025", "20250401", ""),
                "年度指定の照会条件に開始日・終了日は書けません",
            ),
            (
                ("2", "", "20250230", "20250301"),
                "開始日「20250230」は日付ではありません",
            ),
            (
                ("2", "", "20250401", "2025/09/30"),
                "終了日「2025/09/30」は日付ではありません",
            ),
            (
                ("2", "", "20251001", "20250930"),
                "照会条件の開始日 2025-10-01 が終了日 2025-09-30 より後です",
            ),
            (
                ("2", "2025", "20250401", "20250930"),
                "期間指定の照会条件に照会年度は書けません",
            ),
        ];
        for ((kubun, nendo, start, end), expected) in cases {
            let error = ShoukaiJouken::from_fields(kubun, nendo, start, end).unwrap_err();
            assert!(
                error.to_string().starts_with(expected),
                "{error} / {expected}"
            );
        }
    }

    #[test]
    fn a_nendo_runs_from_april_to_march() {
        assert_eq!(
            ShoukaiJouken::nendo(2025).unwrap().days(),
            (date!(2025 - 04 - 01), date!(2026 - 03 - 31))
        );
    }

    #[test]
    fn conditions_serialise_readably() {
        let jouken = ShoukaiJouken::kikan(date!(2025 - 04 - 01), date!(2025 - 04 - 30)).unwrap();
        let json = serde_json::to_string(&jouken).unwrap();
        assert_eq!(
            json,
            r#"{"kubun":"期間","start":"2025-04-01","end":"2025-04-30"}"#
        );
        assert_eq!(
            serde_json::from_str::<ShoukaiJouken>(&json).unwrap(),
            jouken
        );
    }
}
