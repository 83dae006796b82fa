//! 符号取得 relay: how a 団体's request for a person's 機関別符号 travels through the 住基ネット.
//!
//! When a resident moves in (転入), the 団体 must obtain the person's 機関別符号 before any
//! 情報照会 about them (seed 004 §6.3; JUK-07, SKI-01). The request goes: 既存住基システム /
//! 中間サーバー → 住基ネットCS → J-LIS, which turns the 個人番号 into the 住民票コード → the
//! 情報提供ネットワークシステム, which issues the 符号 for the 団体's 機関コード from the
//! 住民票コード. The 個人番号 itself is never used as the key of 情報連携.
//!
//! This module is the 住基ネット's part: [`JukinetCs::relay_fugou_request`] maps 個人番号 →
//! 住民票コード and hands the 住民票コード to a [`FugouIssuer`] — the 情報提供ネットワーク
//! システム, which another module implements.
//!
//! The person need not live in the asking 団体: a 団体 also obtains the 符号 of a 住登外者 (a
//! former resident, a taxpayer living elsewhere), which is how a 提供者 knows a person who has
//! moved to the 照会者 (seed 004 §6.3, §6.4). The 住基ネット says nothing of where they live.

use std::fmt;

use renkei_fixtures::ids::{DantaiCode, JuminhyoCode, KikanCode, KojinBango};

use super::state::JukinetCs;

/// 機関別符号: the number by which one 機関 knows one person in 情報連携.
///
/// Opaque: its form is renkei-defined by the issuer (the real form is not public). The type
/// only promises 1 to [`Fugou::MAX_LEN`] printable ASCII characters that are **not a 個人番号**
/// (a 12-digit text with a valid 個人番号 check digit is refused), so that a 個人番号 can never
/// pass for a 符号.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fugou(String);

impl Fugou {
    /// Longest 符号 accepted.
    pub const MAX_LEN: usize = 64;

    /// A 符号 in the issuer's form.
    pub fn new(text: impl Into<String>) -> Result<Self, FugouError> {
        let text = text.into();
        if text.is_empty() || text.len() > Self::MAX_LEN {
            return Err(FugouError::Length {
                length: text.chars().count(),
            });
        }
        if let Some(found) = text.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(FugouError::Character { found });
        }
        if text.parse::<KojinBango>().is_ok() {
            return Err(FugouError::IsKojinBango);
        }
        Ok(Self(text))
    }

    /// The 符号 as the issuer wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fugou {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fugou {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fugou({})", self.0)
    }
}

/// Why a text is not a [`Fugou`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FugouError {
    #[error("符号は1〜{max}文字です ({length}文字でした)", max = Fugou::MAX_LEN)]
    Length { length: usize },
    #[error("符号に半角英数字・記号以外の文字「{found}」があります")]
    Character { found: char },
    #[error("符号が個人番号の形をしています: 符号に個人番号を使うことはできません")]
    IsKojinBango,
}

/// The 情報提供ネットワークシステム's side of 符号取得: issues the 機関別符号 of the person with
/// `juminhyo_code` for the 機関 `kikan`. The same person and 機関 always get the same 符号;
/// different 機関 get different ones.
///
/// Any closure of the right shape is an issuer:
///
/// ```
/// use renkei_fixtures::ids::{JuminhyoCode, KikanCode};
/// use renkei_simulator::jukinet::service::{Fugou, FugouIssuer};
///
/// let issuer = |code: JuminhyoCode, kikan: KikanCode| {
///     Ok(Fugou::new(format!("F{}{}", &kikan.as_str()[..4], code.value() % 1000)).unwrap())
/// };
/// let fugou = issuer
///     .issue(JuminhyoCode::from_number(99_000_000_123), KikanCode::from_number(9_913_101_600_000_000))
///     .unwrap();
/// assert_eq!(fugou.as_str(), "F9913123");
/// ```
pub trait FugouIssuer: Send + Sync {
    fn issue(
        &self,
        juminhyo_code: JuminhyoCode,
        kikan: KikanCode,
    ) -> Result<Fugou, FugouIssueError>;
}

impl<F> FugouIssuer for F
where
    F: Fn(JuminhyoCode, KikanCode) -> Result<Fugou, FugouIssueError> + Send + Sync,
{
    fn issue(
        &self,
        juminhyo_code: JuminhyoCode,
        kikan: KikanCode,
    ) -> Result<Fugou, FugouIssueError> {
        self(juminhyo_code, kikan)
    }
}

/// Why the 情報提供ネットワークシステム issued no 符号.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FugouIssueError {
    #[error("機関コード{0}は情報提供ネットワークシステムに登録されていません")]
    UnknownKikan(KikanCode),
    #[error("情報提供ネットワークシステムが符号を発行できません: {reason}")]
    Unavailable { reason: String },
}

/// Why a 符号取得 request was not relayed, or came back without a 符号.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FugouRelayError {
    #[error("団体コード{0}の団体はこの住基ネットCSにありません")]
    UnknownDantai(DantaiCode),
    #[error(
        "個人番号 (末尾4桁 {}) の住民は住基ネットにいません",
        last_four(kojin_bango)
    )]
    UnknownKojinBango { kojin_bango: KojinBango },
    #[error("符号の発行に失敗しました: {0}")]
    Issuer(#[source] FugouIssueError),
}

/// The last four digits: enough for a person to find the record, not enough to be the number.
fn last_four(kojin_bango: &KojinBango) -> &str {
    &kojin_bango.as_str()[KojinBango::LEN - 4..]
}

impl JukinetCs {
    /// Relays the 団体 `dantai`'s request for the 符号 of the person with `kojin_bango`: looks up
    /// their 住民票コード (a resident of `dantai` or of another 団体: a 住登外者 of `dantai`), and
    /// asks `issuer` for the 符号 for the 団体's 機関コード (from the 団体 catalog). The CS's
    /// state is not locked while the issuer runs.
    pub fn relay_fugou_request(
        &self,
        dantai: DantaiCode,
        kojin_bango: KojinBango,
        issuer: &dyn FugouIssuer,
    ) -> Result<Fugou, FugouRelayError> {
        let (juminhyo_code, kikan) = {
            let inner = self.lock();
            let state = inner
                .dantai
                .get(&dantai)
                .ok_or(FugouRelayError::UnknownDantai(dantai))?;
            let juminhyo_code = *inner
                .by_kojin_bango
                .get(&kojin_bango)
                .ok_or(FugouRelayError::UnknownKojinBango { kojin_bango })?;
            (juminhyo_code, state.kikan_code)
        };
        issuer
            .issue(juminhyo_code, kikan)
            .map_err(FugouRelayError::Issuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fugou_is_printable_ascii_and_never_a_kojin_bango() {
        assert_eq!(Fugou::new("FG0123abc").unwrap().as_str(), "FG0123abc");
        assert_eq!(Fugou::new(""), Err(FugouError::Length { length: 0 }));
        assert_eq!(
            Fugou::new("x".repeat(65)),
            Err(FugouError::Length { length: 65 })
        );
        assert_eq!(
            Fugou::new("FG 1"),
            Err(FugouError::Character { found: ' ' })
        );
        assert_eq!(Fugou::new("983205673214"), Err(FugouError::IsKojinBango));
        // Twelve digits with a wrong check digit are not a 個人番号.
        assert!(Fugou::new("983205673215").is_ok());
    }

    #[test]
    fn relay_errors_show_only_the_last_four_digits() {
        let kojin_bango = KojinBango::from_body(98_320_567_321);
        let message = FugouRelayError::UnknownKojinBango { kojin_bango }.to_string();
        assert!(message.contains("末尾4桁 3214"), "{message}");
        assert!(!message.contains("983205673214"), "{message}");
    }
}
