//! The status words of a 照会 (照会者's side) and of a 提供 (提供者's side). Each list is the one
//! definition: `docs/chukan-shoukai.md` shows them and a test compares the two.
//!
//! The real status words and codes are not public except what the public bulk result files show
//! (明細単位 `09` 正常終了, DOMAIN.md). The other words and every other code are renkei's.

use std::fmt;

use serde::{Deserialize, Serialize};

/// 照会ステータス: where a 照会 stands for the 照会者.
///
/// ```text
/// 処理待ち ─┬─► 回答待ち ─┬─► 正常終了 / 該当なし / 提供不可
///           │             ├─► 取りやめ
///           │             └─► 有効期間切れ
///           ├─► 正常終了 / 該当なし / 提供不可     (自動応答)
///           ├─► 取りやめ                             (取りやめ before it was sent)
///           └─► エラー                               (refused: 法令根拠, 符号, 過負荷 …)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShoukaiStatus {
    /// 処理待ち: registered; waiting in the bulk queue (a single 照会 leaves it at once).
    #[serde(rename = "処理待ち")]
    Shorimachi,
    /// 回答待ち: the 提供の求め reached the 提供者, who answers by hand (自動応答不可).
    #[serde(rename = "回答待ち")]
    Kaitoumachi,
    /// 正常終了: the 特定個人情報 was provided; the result can be fetched.
    #[serde(rename = "正常終了")]
    SeijouShuuryou,
    /// 該当なし: the 提供者 holds nothing matching the 照会条件 — an answer, not an error.
    #[serde(rename = "該当なし")]
    Gaitounashi,
    /// 提供不可: the 提供者 can no longer provide it (a メジャー改版 took effect after the
    /// 提供の求め, seed 004 §2.4).
    #[serde(rename = "提供不可")]
    TeikyouFuka,
    /// 取りやめ: the 照会者 withdrew it.
    #[serde(rename = "取りやめ")]
    Toriyame,
    /// 有効期間切れ: the 提供者 did not answer within the 30 days of the 提供の求め.
    #[serde(rename = "有効期間切れ")]
    YuukouKikanGire,
    /// エラー: refused; the message says why (法令根拠, 符号未取得, 過負荷 …). Reprocess by a new
    /// 照会.
    #[serde(rename = "エラー")]
    Error,
}

impl ShoukaiStatus {
    /// Every status, in the order of the diagram.
    pub const ALL: [ShoukaiStatus; 8] = [
        Self::Shorimachi,
        Self::Kaitoumachi,
        Self::SeijouShuuryou,
        Self::Gaitounashi,
        Self::TeikyouFuka,
        Self::Toriyame,
        Self::YuukouKikanGire,
        Self::Error,
    ];

    /// The status word.
    pub fn label(self) -> &'static str {
        match self {
            Self::Shorimachi => "処理待ち",
            Self::Kaitoumachi => "回答待ち",
            Self::SeijouShuuryou => "正常終了",
            Self::Gaitounashi => "該当なし",
            Self::TeikyouFuka => "提供不可",
            Self::Toriyame => "取りやめ",
            Self::YuukouKikanGire => "有効期間切れ",
            Self::Error => "エラー",
        }
    }

    /// 照会ステータス code for result files: `09` 正常終了 is the real one (DOMAIN.md); the others
    /// are renkei's.
    pub fn code(self) -> &'static str {
        match self {
            Self::Shorimachi => "01",
            Self::Kaitoumachi => "02",
            Self::SeijouShuuryou => "09",
            Self::Gaitounashi => "10",
            Self::TeikyouFuka => "11",
            Self::Toriyame => "12",
            Self::YuukouKikanGire => "13",
            Self::Error => "90",
        }
    }

    /// One line on what the status means, for the docs table.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Shorimachi => "登録済み。一括照会の処理を待っている (単件照会はすぐに次へ進む)",
            Self::Kaitoumachi => {
                "提供の求めが情報提供者に届き、自動応答不可のため職員の確認と送信許可を待っている"
            }
            Self::SeijouShuuryou => "特定個人情報が提供された。処理通番で結果を取得できる",
            Self::Gaitounashi => {
                "情報提供者に照会条件に合う副本がなかった。答えの一つでありエラーではない"
            }
            Self::TeikyouFuka => {
                "提供の求めの後でメジャー改版が有効になり、情報提供者が提供できなくなった (seed 004 §2.4)"
            }
            Self::Toriyame => "照会者が取りやめた",
            Self::YuukouKikanGire => "情報提供者が提供の求めから30日以内に提供しなかった",
            Self::Error => {
                "照会が受け付けられなかった (法令根拠・符号・過負荷など。理由はメッセージ)。照会し直す"
            }
        }
    }

    /// Whether the 照会 is over: nothing more will happen to it.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Shorimachi | Self::Kaitoumachi)
    }

    /// Whether the result can be fetched (the 提供者 answered).
    pub fn has_result(self) -> bool {
        matches!(self, Self::SeijouShuuryou | Self::Gaitounashi)
    }
}

impl fmt::Display for ShoukaiStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// 提供ステータス: where a 提供の求め stands for the 提供者.
///
/// ```text
/// (自動応答)  ──────────────────────────────► 提供済み / 該当なし / 提供不可
/// (自動応答不可) 確認待ち ─► 送信許可待ち ─► 提供済み / 該当なし
///                   │             │
///                   └─────────────┴──► 提供不可 / 取りやめ / 有効期間切れ
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TeikyouStatus {
    /// 確認待ち: 自動応答不可; a 職員 must check what will be provided (自動応答不可対象確認依頼).
    #[serde(rename = "確認待ち")]
    KakuninMachi,
    /// 送信許可待ち: checked; waiting for the 送信許可 (情報提供内容送信許可依頼).
    #[serde(rename = "送信許可待ち")]
    SoushinKyokaMachi,
    /// 提供済み: the 特定個人情報 was sent.
    #[serde(rename = "提供済み")]
    Teikyouzumi,
    /// 該当なし: answered that nothing matches.
    #[serde(rename = "該当なし")]
    Gaitounashi,
    /// 提供不可: can no longer be provided (seed 004 §2.4).
    #[serde(rename = "提供不可")]
    TeikyouFuka,
    /// 取りやめ: the 照会者 withdrew the 照会 before it was answered.
    #[serde(rename = "取りやめ")]
    Toriyame,
    /// 有効期間切れ: not answered within 30 days of the 提供の求め.
    #[serde(rename = "有効期間切れ")]
    YuukouKikanGire,
}

impl TeikyouStatus {
    /// Every status, in the order of the diagram.
    pub const ALL: [TeikyouStatus; 7] = [
        Self::KakuninMachi,
        Self::SoushinKyokaMachi,
        Self::Teikyouzumi,
        Self::Gaitounashi,
        Self::TeikyouFuka,
        Self::Toriyame,
        Self::YuukouKikanGire,
    ];

    /// The status word.
    pub fn label(self) -> &'static str {
        match self {
            Self::KakuninMachi => "確認待ち",
            Self::SoushinKyokaMachi => "送信許可待ち",
            Self::Teikyouzumi => "提供済み",
            Self::Gaitounashi => "該当なし",
            Self::TeikyouFuka => "提供不可",
            Self::Toriyame => "取りやめ",
            Self::YuukouKikanGire => "有効期間切れ",
        }
    }

    /// One line on what the status means, for the docs table.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::KakuninMachi => "自動応答不可の提供の求め。職員が提供する内容を確認する",
            Self::SoushinKyokaMachi => "確認済み。送信許可を待っている",
            Self::Teikyouzumi => "特定個人情報を提供した (自動応答又は送信許可)",
            Self::Gaitounashi => "照会条件に合う副本がないと回答した",
            Self::TeikyouFuka => "メジャー改版で旧版のレイアウトでは提供できなくなった",
            Self::Toriyame => "回答の前に照会者が照会を取りやめた",
            Self::YuukouKikanGire => "提供の求めから30日以内に提供しなかった",
        }
    }

    /// Whether the 提供 is still waiting for the 提供者 (the manual queue).
    pub fn is_pending(self) -> bool {
        matches!(self, Self::KakuninMachi | Self::SoushinKyokaMachi)
    }
}

impl fmt::Display for TeikyouStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// 応答方法: how a 提供 was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OutouHouhou {
    /// 自動応答: from the 副本, without a person (seed 004 §6.4).
    #[serde(rename = "自動応答")]
    Jidou,
    /// 手動応答: 自動応答不可 was set; a 職員 checked and gave the 送信許可.
    #[serde(rename = "手動応答")]
    Shudou,
}

impl OutouHouhou {
    /// 自動応答 / 手動応答.
    pub fn label(self) -> &'static str {
        match self {
            Self::Jidou => "自動応答",
            Self::Shudou => "手動応答",
        }
    }
}

impl fmt::Display for OutouHouhou {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_serde_names() {
        for status in ShoukaiStatus::ALL {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.label())
            );
        }
        for status in TeikyouStatus::ALL {
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.label())
            );
        }
    }

    #[test]
    fn codes_are_distinct() {
        let mut codes: Vec<_> = ShoukaiStatus::ALL.iter().map(|s| s.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), ShoukaiStatus::ALL.len());
        assert_eq!(ShoukaiStatus::SeijouShuuryou.code(), "09");
    }
}
