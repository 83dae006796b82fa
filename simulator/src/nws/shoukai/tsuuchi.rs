//! 通知: what the 中間サーバー tells a 団体 about its 照会 and 提供 (the 通知メール of seed 004
//! §3.2 #4, each with its 処理通番), kept as a per-tenant feed read with a cursor.
//!
//! Each tenant's 通知 are numbered 1, 2, 3 … in the order they happened; a reader keeps the last
//! number it has seen and asks for what came after it, so nothing is read twice or missed.

use std::fmt;

use renkei_fixtures::ids::KikanCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::bango::{MsgMode, ShoriTsuuban};

/// The seven kinds of 通知 (seed 004 §3.2 #4; DOMAIN.md), and who gets each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TsuuchiKind {
    /// 情報照会結果通知 → 照会者: the 照会 has its outcome (正常終了, 該当なし, 提供不可, エラー).
    #[serde(rename = "情報照会結果通知")]
    ShoukaiKekka,
    /// 情報照会取りやめ結果通知 → 照会者: the 取りやめ it asked for was done.
    #[serde(rename = "情報照会取りやめ結果通知")]
    ToriyameKekka,
    /// 情報提供内容送信許可依頼 → 提供者: the content was checked; give the 送信許可.
    #[serde(rename = "情報提供内容送信許可依頼")]
    SoushinKyokaIrai,
    /// 有効期間切れ事前通知 → 提供者: an unanswered 提供の求め expires soon.
    #[serde(rename = "有効期間切れ事前通知")]
    KigireJizen,
    /// 有効期間切れ通知 → 提供者 and 照会者: the 提供の求め expired unanswered.
    #[serde(rename = "有効期間切れ通知")]
    Kigire,
    /// 自動応答不可対象確認依頼 → 提供者: a 提供の求め for 自動応答不可 data arrived; check it.
    #[serde(rename = "自動応答不可対象確認依頼")]
    JidouOutouFukaKakuninIrai,
    /// 情報照会取りやめ完了通知 → 提供者: a 提供の求め it had not yet answered was withdrawn.
    #[serde(rename = "情報照会取りやめ完了通知")]
    ToriyameKanryou,
}

impl TsuuchiKind {
    /// The seven kinds, in the order of seed 004 §3.2 #4.
    pub const ALL: [TsuuchiKind; 7] = [
        Self::ShoukaiKekka,
        Self::ToriyameKekka,
        Self::SoushinKyokaIrai,
        Self::KigireJizen,
        Self::Kigire,
        Self::JidouOutouFukaKakuninIrai,
        Self::ToriyameKanryou,
    ];

    /// The 通知 name.
    pub fn label(self) -> &'static str {
        match self {
            Self::ShoukaiKekka => "情報照会結果通知",
            Self::ToriyameKekka => "情報照会取りやめ結果通知",
            Self::SoushinKyokaIrai => "情報提供内容送信許可依頼",
            Self::KigireJizen => "有効期間切れ事前通知",
            Self::Kigire => "有効期間切れ通知",
            Self::JidouOutouFukaKakuninIrai => "自動応答不可対象確認依頼",
            Self::ToriyameKanryou => "情報照会取りやめ完了通知",
        }
    }

    /// Who receives it and when, for the docs table.
    pub fn when(self) -> &'static str {
        match self {
            Self::ShoukaiKekka => {
                "照会者へ。照会が正常終了・該当なし・提供不可・エラーになったとき"
            }
            Self::ToriyameKekka => "照会者へ。照会を取りやめたとき",
            Self::SoushinKyokaIrai => "提供者へ。自動応答不可の提供内容を職員が確認したとき",
            Self::KigireJizen => "提供者へ。未回答の提供の求めの有効期間が切れる前 (既定 5 日前)",
            Self::Kigire => "提供者と照会者へ。提供の求めが 30 日以内に回答されなかったとき",
            Self::JidouOutouFukaKakuninIrai => {
                "提供者へ。自動応答不可のデータセットを含む提供の求めが届いたとき"
            }
            Self::ToriyameKanryou => "提供者へ。未回答の提供の求めが照会者に取りやめられたとき",
        }
    }
}

impl fmt::Display for TsuuchiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One 通知 in a tenant's feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tsuuchi {
    /// 通知番号: 1, 2, 3 … per tenant; the cursor of the feed.
    pub bango: u64,
    /// Which of the seven.
    pub kind: TsuuchiKind,
    /// The 照会 / 提供 it is about.
    pub shori_tsuuban: ShoriTsuuban,
    /// 本番 or テスト, as the 照会.
    pub msg_mode: MsgMode,
    /// The other side: the 提供者 for a 照会者's 通知, the 照会者 for a 提供者's.
    pub aite: KikanCode,
    /// When it was raised (the simulated time of the event, not of reading).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}
