//! 日本時間の日時と日付。
//!
//! renkei の文書は日時を RFC 3339 で、オフセットを `+09:00` で書きます。受け取った日時はこのオフセットに
//! 直してから日付を取ります (申請日の検索、証明書の状態の判定日)。

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, UtcOffset};

pub const JST: UtcOffset = offset!(+9);

/// RFC 3339 の日時を読みます。
pub fn parse(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|t| t.to_offset(JST))
        .map_err(|e| format!("日時「{text}」が RFC 3339 ではありません: {e}"))
}

/// 日本時間の RFC 3339 (秒まで、`+09:00`)。
pub fn format(t: OffsetDateTime) -> String {
    let t = t.to_offset(JST).replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// `YYYY-MM-DD` を読みます。
pub fn parse_date(text: &str) -> Result<Date, String> {
    let fmt = format_description!("[year]-[month]-[day]");
    if text.len() != 10 {
        return Err(format!("日付「{text}」が YYYY-MM-DD ではありません"));
    }
    Date::parse(text, &fmt).map_err(|e| format!("日付「{text}」が YYYY-MM-DD ではありません: {e}"))
}

/// `YYYY-MM-DD` に書きます。
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// 日本時間での日付。
pub fn date_of(t: OffsetDateTime) -> Date {
    t.to_offset(JST).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_jst_before_taking_the_date() {
        let t = parse("2026-03-31T15:30:00Z").unwrap();
        assert_eq!(format_date(date_of(t)), "2026-04-01");
        assert_eq!(format(t), "2026-04-01T00:30:00+09:00");
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("2026-4-1").is_err());
    }
}
