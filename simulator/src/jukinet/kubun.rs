//! 区分コード: the one-digit codes the files use for 証明書種別, 状態 and 性別.
//!
//! The words (署名用, 有効, 男, …) belong to `renkei-fixtures`, where the population uses them;
//! this module only gives each a code. Both forms (CSV and fixed-length) write the code, so a
//! vendor maps one table, not two.

use renkei_fixtures::population::{CertKind, CertStatus, Seibetsu};

/// A value written as a one-digit code.
pub trait Kubun: Copy + Eq + Sized + 'static {
    /// The item's name in the files (項目名).
    const KOMOKU: &'static str;
    /// Every value with its code, in code order.
    const CODES: &'static [(Self, &'static str)];

    /// The value's name in Japanese (from `renkei-fixtures`).
    fn meisho(self) -> &'static str;

    /// The code written in the files.
    fn code(self) -> &'static str {
        Self::CODES
            .iter()
            .find(|(value, _)| *value == self)
            .map(|(_, code)| *code)
            .expect("every value has a code")
    }

    /// The value of a code; `None` for a code that is not in the table.
    fn from_code(code: &str) -> Option<Self> {
        Self::CODES
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(value, _)| *value)
    }

    /// The table as text for messages: `1 署名用, 2 利用者証明用`.
    fn allowed() -> String {
        Self::CODES
            .iter()
            .map(|(value, code)| format!("{code} {}", value.meisho()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// 証明書種別: 1 署名用, 2 利用者証明用.
impl Kubun for CertKind {
    const KOMOKU: &'static str = "証明書種別";
    const CODES: &'static [(Self, &'static str)] =
        &[(CertKind::Shomei, "1"), (CertKind::RiyoshaShomei, "2")];

    fn meisho(self) -> &'static str {
        self.as_str()
    }
}

/// 状態: 1 有効, 2 失効, 3 期限切れ.
impl Kubun for CertStatus {
    const KOMOKU: &'static str = "状態";
    const CODES: &'static [(Self, &'static str)] = &[
        (CertStatus::Yuukou, "1"),
        (CertStatus::Shikkou, "2"),
        (CertStatus::KigenGire, "3"),
    ];

    fn meisho(self) -> &'static str {
        self.as_str()
    }
}

/// 性別: 1 男, 2 女.
impl Kubun for Seibetsu {
    const KOMOKU: &'static str = "性別";
    const CODES: &'static [(Self, &'static str)] = &[(Seibetsu::Otoko, "1"), (Seibetsu::Onna, "2")];

    fn meisho(self) -> &'static str {
        self.as_str()
    }
}

/// The code tables as Markdown, for `docs/jukinet-formats.md`.
pub fn code_tables_markdown() -> String {
    let mut out = String::from("| 項目 | コード | 意味 |\n|---|---|---|\n");
    table::<CertKind>(&mut out);
    table::<CertStatus>(&mut out);
    table::<Seibetsu>(&mut out);
    out
}

fn table<K: Kubun>(out: &mut String) {
    for (value, code) in K::CODES {
        out.push_str(&format!(
            "| {} | `{code}` | {} |\n",
            K::KOMOKU,
            value.meisho()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_one_digit() {
        fn check<K: Kubun + std::fmt::Debug>() {
            for (value, code) in K::CODES {
                assert_eq!(code.len(), 1, "{}", K::KOMOKU);
                assert_eq!(value.code(), *code);
                assert_eq!(K::from_code(code), Some(*value));
            }
            assert_eq!(K::from_code("0"), None);
        }
        check::<CertKind>();
        check::<CertStatus>();
        check::<Seibetsu>();
        assert_eq!(Seibetsu::allowed(), "1 男, 2 女");
    }
}
