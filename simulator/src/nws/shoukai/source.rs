//! What the engine needs from outside it, as three small traits, so that the 中間サーバー's real
//! parts plug in (its SQLite 副本 store, its 符号管理) and so do in-memory ones
//! ([`super::memory`]):
//!
//! | trait | who answers | asked for |
//! |---|---|---|
//! | [`TeikyouSource`] | the 提供者's 副本 (情報提供データベース, DBM) | the 副本 matching a 提供の求め |
//! | [`FugouDaichou`] | each tenant's 符号管理 (FGU) | the 照会者's 符号 of a person; whose 符号 a 提供者 was given |
//! | [`FugouHenkan`] | the 情報提供ネットワークシステム | the 提供者's 符号 for the 照会者's |
//!
//! A fourth, [`ShoukaiStore`](super::event::ShoukaiStore), receives every acknowledged change.

use renkei_fixtures::ids::{KikanCode, TokuteiKojinJohoMeiCode, TougouAtenaBango};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::bango::MsgMode;
use super::naiyou::ShoukaiJouken;
use crate::chukan::fugou::FugouError;
use crate::jukinet::service::Fugou;
use crate::nws::FugouIssuance;

/// A 提供の求め as the 提供者's 副本 store sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FukuhonQuery<'a> {
    /// The 提供者 (whose 副本).
    pub teikyousha: KikanCode,
    /// 本番 or テスト: a test 照会 is answered from test 副本 only.
    pub msg_mode: MsgMode,
    /// The person, by the 提供者's own 団体内統合宛名番号 (the 情報提供ネットワークシステム
    /// converted the 照会者's 符号 to the 提供者's, and the 提供者's 符号管理 knows whose it is).
    pub tougou: TougouAtenaBango,
    /// What is asked.
    pub tokutei: TokuteiKojinJohoMeiCode,
    /// 情報照会条件.
    pub jouken: &'a ShoukaiJouken,
    /// When the 提供者 received the 提供の求め. The データ標準レイアウト edition in force then is the
    /// one to answer in: a 提供の求め received before a layout switch is answered after it
    /// (seed 004 §2.4), unless a メジャー改版 makes that impossible.
    pub motome_at: OffsetDateTime,
    /// Now (the time of the answer): decides the 公開期間 of the 副本 and whether a switch has
    /// happened since `motome_at`.
    pub now: OffsetDateTime,
}

/// What the 提供者's 副本 say to a 提供の求め.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kekka")]
pub enum FukuhonKensaku {
    /// 該当あり: the matching 副本, one per dataset record.
    #[serde(rename = "該当あり")]
    Gaitou { hits: Vec<FukuhonHit> },
    /// 該当なし: nothing matches the 照会条件.
    #[serde(rename = "該当なし")]
    Gaitounashi,
    /// 提供不可: the 提供の求め can no longer be answered (seed 004 §2.4: a メジャー改版 took effect
    /// after it was received).
    #[serde(rename = "提供不可")]
    TeikyouFuka { riyuu: String },
}

impl FukuhonKensaku {
    /// Whether any hit needs a person (自動応答不可).
    pub fn needs_person(&self) -> bool {
        matches!(self, Self::Gaitou { hits } if hits.iter().any(|h| h.jidou_outou_fuka))
    }
}

/// One dataset record of 副本 that answers a 提供の求め.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FukuhonHit {
    /// データセット識別項目コード (e.g. `D0201`).
    pub dataset: String,
    /// データセットレコードキー (the 年度 or 基準日).
    pub record_key: String,
    /// The major version the 副本 follows.
    pub major_version: u16,
    /// 自動応答不可: the 提供者 set this dataset to be answered by hand (seed 004 §3.3 #8: per
    /// データセット in Webサービス連携).
    pub jidou_outou_fuka: bool,
    /// The 副本 itself: a UTF-8 XML document, as provided (提供除外項目 already left out).
    pub fukuhon: String,
}

/// Why the 副本 store could not answer (a broken store, not an answer): the engine refuses the
/// operation and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("情報提供者の副本を読めません: {message}")]
pub struct SourceError {
    pub message: String,
}

/// The 提供者's 副本: what 自動応答 reads (seed 004 §6.4).
///
/// Part of the 中間サーバー (its 情報提供データベース); the engine only asks. An implementation
/// selects the 副本 of `tougou` for `tokutei` held by `teikyousha` in `msg_mode` that match the
/// 照会条件, in their 公開期間 on `now`, in the layout edition in force on `motome_at`; it flags
/// the datasets set 自動応答不可, and says 提供不可 when the layout can no longer be used.
///
/// A closure of the right shape is a source:
///
/// ```
/// use renkei_simulator::nws::shoukai::{FukuhonKensaku, FukuhonQuery, TeikyouSource};
///
/// let nothing = |_: &FukuhonQuery<'_>| Ok(FukuhonKensaku::Gaitounashi);
/// let _: &dyn TeikyouSource = &nothing;
/// ```
pub trait TeikyouSource: Send + Sync {
    /// The 副本 that answer `query`.
    fn kensaku(&self, query: &FukuhonQuery<'_>) -> Result<FukuhonKensaku, SourceError>;
}

impl<F> TeikyouSource for F
where
    F: Fn(&FukuhonQuery<'_>) -> Result<FukuhonKensaku, SourceError> + Send + Sync,
{
    fn kensaku(&self, query: &FukuhonQuery<'_>) -> Result<FukuhonKensaku, SourceError> {
        self(query)
    }
}

/// 符号台帳: what the engine needs of each tenant's 符号管理 (`chukan::fugou::FugouKanri`).
pub trait FugouDaichou: Send + Sync {
    /// The 符号 that `kikan` holds for its 団体内統合宛名番号 `tougou`. Without one, the real
    /// message ([`FugouError::Mishutoku`]: 「指定された団体内統合宛名番号「…」は符号が未取得です。」).
    fn fugou(&self, kikan: KikanCode, tougou: TougouAtenaBango) -> Result<Fugou, FugouError>;

    /// The 団体内統合宛名番号 under which `kikan` holds the 符号 `fugou`, if it holds it.
    fn tougou(&self, kikan: KikanCode, fugou: &Fugou) -> Option<TougouAtenaBango>;
}

/// 符号変換: the 情報提供ネットワークシステム turns the 照会者's 符号 into the 提供者's (seed 004
/// §6.4: 「他の機関と情報連携を行うときに情報ネットワークシステムで連携先機関の機関別符号に変換されます」).
pub trait FugouHenkan: Send + Sync {
    /// The 符号 of `to` for the person whose 符号 at `from` is `fugou`.
    fn henkan(&self, fugou: &Fugou, from: KikanCode, to: KikanCode) -> Result<Fugou, HenkanError>;
}

/// Why 符号変換 failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HenkanError {
    /// The 符号 was not issued to the 照会者 by this 情報提供ネットワークシステム.
    #[error("符号「{fugou}」は機関「{kikan}」に発行された符号ではありません (符号変換)")]
    UnknownFugou { fugou: Fugou, kikan: KikanCode },
    /// The 提供者 has not obtained a 符号 for the person: it cannot be asked about them.
    #[error("情報提供者機関「{teikyousha}」は本人の符号を取得していません (符号変換)")]
    TeikyoushaMishutoku { teikyousha: KikanCode },
}

impl FugouHenkan for FugouIssuance {
    fn henkan(&self, fugou: &Fugou, from: KikanCode, to: KikanCode) -> Result<Fugou, HenkanError> {
        let unknown = || HenkanError::UnknownFugou {
            fugou: fugou.clone(),
            kikan: from,
        };
        if self.kikan_of(fugou) != Some(from) {
            return Err(unknown());
        }
        let person = self.person_of(fugou).ok_or_else(unknown)?;
        self.fugou_for(person, to)
            .ok_or(HenkanError::TeikyoushaMishutoku { teikyousha: to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jukinet::service::FugouIssuer;
    use renkei_fixtures::ids::JuminhyoCode;

    #[test]
    fn the_nws_converts_between_kikan() {
        let nws = FugouIssuance::new(b"seed");
        let person = JuminhyoCode::from_number(12_345_678_901);
        let (a, b, c) = (
            KikanCode::from_number(9_913_101_600_000_000),
            KikanCode::from_number(9_913_208_000_000_000),
            KikanCode::from_number(9_913_204_700_000_000),
        );
        let at_a = nws.issue(person, a).unwrap();
        let at_b = nws.issue(person, b).unwrap();
        assert_eq!(nws.henkan(&at_a, a, b).unwrap(), at_b);
        assert_eq!(nws.henkan(&at_b, b, a).unwrap(), at_a);
        assert_eq!(
            nws.henkan(&at_a, a, c).unwrap_err(),
            HenkanError::TeikyoushaMishutoku { teikyousha: c }
        );
        // A 符号 presented by a 機関 it was not issued to is refused.
        assert!(matches!(
            nws.henkan(&at_a, b, c).unwrap_err(),
            HenkanError::UnknownFugou { .. }
        ));
    }
}
