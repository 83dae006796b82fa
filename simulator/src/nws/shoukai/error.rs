//! Why the engine refused: one error type for every 照会 / 提供 operation, rendered the same way
//! to an IF_* response, a bulk result row, a log line and a report. Every variant has a code
//! (renkei's, `SKnn`) for machines and a Japanese message for people; where the real 中間サーバー's
//! message is public it is used word for word (DOMAIN.md):
//!
//! - 「指定された特定個人情報名「…」の照会は許可されていません。」 ([`ShoukaiError::NotPermitted`])
//! - 「指定された団体内統合宛名番号「…」は符号が未取得です。」 ([`ShoukaiError::Fugou`])

use renkei_fixtures::catalog::KikanKind;
use renkei_fixtures::ids::{JimuCode, JimuTetsuzukiCode, KikanCode, TokuteiKojinJohoMeiCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::bango::{MsgMode, ShoriTsuuban, UketsukeBango};
use super::naiyou::JoukenError;
use super::source::{HenkanError, SourceError};
use super::status::{ShoukaiStatus, TeikyouStatus};
use crate::chukan::fugou::FugouError;

/// Why a 照会 or a 提供 operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShoukaiError {
    #[error("機関コード「{kikan}」の中間サーバー (テナント) はありません。")]
    UnknownKikan { kikan: KikanCode },
    #[error("機関コード「{kikan}」の中間サーバー (テナント) は既にあります。")]
    TenantExists { kikan: KikanCode },
    #[error(
        "機関「{kikan}」は{mode}環境に接続されていません: MSGMode {code} ({mode}) の照会は扱えません。",
        code = mode.code()
    )]
    ModeNotConnected { kikan: KikanCode, mode: MsgMode },
    #[error("情報提供者機関コード「{kikan}」は情報提供ネットワークシステムに登録されていません。")]
    UnknownTeikyousha { kikan: KikanCode },
    #[error(
        "照会者と情報提供者が同じ機関「{kikan}」です: 情報提供ネットワークシステムを通す照会ではありません。"
    )]
    SameKikan { kikan: KikanCode },
    #[error("特定個人情報名コード「{tokutei}」はデータ標準レイアウトにありません。")]
    UnknownTokutei { tokutei: TokuteiKojinJohoMeiCode },
    #[error("事務コード「{jimu}」は法令根拠 (番号法 別表第二・主務省令) にありません。")]
    UnknownJimu { jimu: JimuCode },
    #[error("事務手続コード「{tetsuzuki}」は法令根拠 (番号法 別表第二・主務省令) にありません。")]
    UnknownTetsuzuki { tetsuzuki: JimuTetsuzukiCode },
    #[error("事務手続コード「{tetsuzuki}」は事務「{jimu}」の事務手続ではありません。")]
    TetsuzukiNotOfJimu {
        tetsuzuki: JimuTetsuzukiCode,
        jimu: JimuCode,
    },
    #[error("照会条件が不正です: {0}")]
    Jouken(#[from] JoukenError),
    #[error(
        "事務「{jimu}」は{kind}が情報照会者となる事務ではありません (番号法 別表第二・主務省令)。"
    )]
    JimuNotForShoukaisha { jimu: JimuCode, kind: KikanKind },
    /// The real refusal of the 情報提供ネットワークシステム (DOMAIN.md).
    #[error("指定された特定個人情報名「{tokutei}」の照会は許可されていません。")]
    NotPermitted { tokutei: TokuteiKojinJohoMeiCode },
    /// From the 照会者's 符号管理; its 符号未取得 message is the real one.
    #[error("{0}")]
    Fugou(FugouError),
    #[error("{0}")]
    Henkan(#[from] HenkanError),
    #[error("情報提供者機関「{teikyousha}」の符号管理に本人の符号がありません。")]
    TeikyoushaUnknownPerson { teikyousha: KikanCode },
    #[error(
        "システムサービス提供時間外 ({when}) のため受け付けられません。提供時間は {hours} です (seed 004 §5.1.4)。",
        when = jst(.at)
    )]
    JikanGai { at: OffsetDateTime, hours: String },
    #[error(
        "データ送受信機能停止時間帯 ({window}) のため受け付けられません ({when})。翌日のシステムサービス提供時間に登録してください (seed 004 §2.6)。",
        when = jst(.at)
    )]
    TeishiJikan { at: OffsetDateTime, window: String },
    #[error(
        "中間サーバーが過負荷状態のため処理できませんでした: 1時間の情報照会が {limit} 件を超えました ({count} 件目)。要求件数を減らし、間隔をあけて再処理してください (seed 004 §2.11)。"
    )]
    Kafuka { count: u64, limit: u64 },
    #[error(
        "1回当たりの要求件数が {limit} 件を超えたため処理を中断しました ({meisai} 件目)。{limit} 件以内に分け、前の要求の完了を待って再処理してください (seed 004 §2.11)。"
    )]
    YoukyuuKensuuChouka { meisai: u64, limit: u64 },
    #[error("一括照会に明細が 1 件もありません。")]
    EmptyIkkatsu,
    #[error("処理通番「{shori_tsuuban}」の照会はありません。")]
    UnknownShoukai { shori_tsuuban: ShoriTsuuban },
    #[error("処理通番「{shori_tsuuban}」の提供の求めはありません。")]
    UnknownTeikyou { shori_tsuuban: ShoriTsuuban },
    #[error("中間サーバー受付番号「{uketsuke_bango}」の照会はありません。")]
    UnknownUketsuke { uketsuke_bango: UketsukeBango },
    #[error("処理通番「{shori_tsuuban}」の情報提供等記録はありません。")]
    UnknownKiroku { shori_tsuuban: ShoriTsuuban },
    #[error("処理通番「{shori_tsuuban}」の照会は「{status}」です: 照会結果はまだありません。")]
    NoResult {
        shori_tsuuban: ShoriTsuuban,
        status: ShoukaiStatus,
    },
    #[error("処理通番「{shori_tsuuban}」の照会は既に「{status}」のため取りやめできません。")]
    CannotToriyame {
        shori_tsuuban: ShoriTsuuban,
        status: ShoukaiStatus,
    },
    #[error("処理通番「{shori_tsuuban}」の提供の求めは「{status}」のため{action}できません。")]
    WrongTeikyouStatus {
        shori_tsuuban: ShoriTsuuban,
        status: TeikyouStatus,
        action: &'static str,
    },
    #[error("情報提供等記録を変更できません: {reason}")]
    InvalidHenkou { reason: String },
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("状態を保存できないため受け付けませんでした: {message}")]
    Store { message: String },
}

/// `2026-04-06 21:30:00` in JST, as messages show a time.
fn jst(at: &OffsetDateTime) -> String {
    let at = at.to_offset(crate::clock::JST);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

impl From<FugouError> for ShoukaiError {
    fn from(error: FugouError) -> Self {
        Self::Fugou(error)
    }
}

impl ShoukaiError {
    /// The renkei error code (`SKnn`), stable for machines; listed in `docs/chukan-shoukai.md`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownKikan { .. } => "SK01",
            Self::TenantExists { .. } => "SK02",
            Self::ModeNotConnected { .. } => "SK03",
            Self::UnknownTeikyousha { .. } => "SK04",
            Self::SameKikan { .. } => "SK05",
            Self::UnknownTokutei { .. } => "SK10",
            Self::UnknownJimu { .. } => "SK11",
            Self::UnknownTetsuzuki { .. } => "SK12",
            Self::TetsuzukiNotOfJimu { .. } => "SK13",
            Self::Jouken(_) => "SK14",
            Self::JimuNotForShoukaisha { .. } => "SK20",
            Self::NotPermitted { .. } => "SK21",
            Self::Fugou(_) => "SK22",
            Self::Henkan(_) => "SK23",
            Self::TeikyoushaUnknownPerson { .. } => "SK24",
            Self::JikanGai { .. } => "SK30",
            Self::TeishiJikan { .. } => "SK31",
            Self::Kafuka { .. } => "SK40",
            Self::YoukyuuKensuuChouka { .. } => "SK41",
            Self::EmptyIkkatsu => "SK42",
            Self::UnknownShoukai { .. } => "SK50",
            Self::UnknownTeikyou { .. } => "SK51",
            Self::UnknownUketsuke { .. } => "SK52",
            Self::UnknownKiroku { .. } => "SK53",
            Self::NoResult { .. } => "SK54",
            Self::CannotToriyame { .. } => "SK55",
            Self::WrongTeikyouStatus { .. } => "SK56",
            Self::InvalidHenkou { .. } => "SK57",
            Self::Source(_) => "SK90",
            Self::Store { .. } => "SK91",
        }
    }

    /// Every code with its title, in code order: the one list the docs table is checked against.
    pub const CODES: [(&'static str, &'static str); 30] = [
        ("SK01", "テナント (機関コード) がない"),
        ("SK02", "テナントが既にある"),
        ("SK03", "MSGMode の環境に接続されていない"),
        ("SK04", "情報提供者機関がない"),
        ("SK05", "照会者と情報提供者が同じ"),
        ("SK10", "特定個人情報名コードがデータ標準レイアウトにない"),
        ("SK11", "事務コードが法令根拠にない"),
        ("SK12", "事務手続コードが法令根拠にない"),
        ("SK13", "事務手続が事務に属さない"),
        ("SK14", "照会条件の誤り"),
        ("SK20", "照会者の種別が行う事務でない"),
        ("SK21", "照会は許可されていません (法令根拠)"),
        ("SK22", "符号が未取得です"),
        ("SK23", "符号変換できない"),
        ("SK24", "情報提供者の符号管理に本人がない"),
        ("SK30", "システムサービス提供時間外"),
        ("SK31", "データ送受信機能停止時間帯"),
        ("SK40", "過負荷 (1時間 4,000 件超)"),
        ("SK41", "1回の要求件数 3,000 件超"),
        ("SK42", "一括照会に明細がない"),
        ("SK50", "処理通番の照会がない"),
        ("SK51", "処理通番の提供の求めがない"),
        ("SK52", "中間サーバー受付番号がない"),
        ("SK53", "処理通番の情報提供等記録がない"),
        ("SK54", "照会結果がまだない"),
        ("SK55", "取りやめできない"),
        ("SK56", "提供の求めの状態が操作に合わない"),
        ("SK57", "情報提供等記録の変更内容の誤り"),
        ("SK90", "副本を読めない"),
        ("SK91", "状態を保存できない"),
    ];

    /// The error as kept in a 照会's state and in an event: code and message.
    pub fn to_refusal(&self) -> Refusal {
        Refusal {
            code: self.code().to_owned(),
            message: self.to_string(),
        }
    }
}

/// A refusal as kept: what a bulk 明細's result row shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Refusal {
    /// [`ShoukaiError::code`].
    pub code: String,
    /// The Japanese message.
    pub message: String,
}

impl From<&ShoukaiError> for Refusal {
    fn from(error: &ShoukaiError) -> Self {
        error.to_refusal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_fixtures::ids::TougouAtenaBango;
    use time::macros::{date, datetime};

    #[test]
    fn every_variant_has_a_listed_code_and_the_codes_are_distinct() {
        let at = datetime!(2026-04-06 21:30 +09:00);
        let kikan = KikanCode::from_number(1);
        let tokutei = TokuteiKojinJohoMeiCode::from_number(2);
        let number = ShoriTsuuban::next(None, date!(2026 - 04 - 06));
        let every = [
            ShoukaiError::UnknownKikan { kikan },
            ShoukaiError::TenantExists { kikan },
            ShoukaiError::ModeNotConnected {
                kikan,
                mode: MsgMode::Test,
            },
            ShoukaiError::UnknownTeikyousha { kikan },
            ShoukaiError::SameKikan { kikan },
            ShoukaiError::UnknownTokutei { tokutei },
            ShoukaiError::UnknownJimu {
                jimu: JimuCode::from_number(1),
            },
            ShoukaiError::UnknownTetsuzuki {
                tetsuzuki: JimuTetsuzukiCode::from_number(1),
            },
            ShoukaiError::TetsuzukiNotOfJimu {
                tetsuzuki: JimuTetsuzukiCode::from_number(1),
                jimu: JimuCode::from_number(1),
            },
            ShoukaiError::Jouken(JoukenError::Kubun { input: "3".into() }),
            ShoukaiError::JimuNotForShoukaisha {
                jimu: JimuCode::from_number(1),
                kind: KikanKind::Kumiai,
            },
            ShoukaiError::NotPermitted { tokutei },
            ShoukaiError::Fugou(FugouError::Mishutoku {
                tougou: TougouAtenaBango::from_number(1),
            }),
            ShoukaiError::Henkan(HenkanError::TeikyoushaMishutoku { teikyousha: kikan }),
            ShoukaiError::TeikyoushaUnknownPerson { teikyousha: kikan },
            ShoukaiError::JikanGai {
                at,
                hours: String::new(),
            },
            ShoukaiError::TeishiJikan {
                at,
                window: String::new(),
            },
            ShoukaiError::Kafuka {
                count: 4_001,
                limit: 4_000,
            },
            ShoukaiError::YoukyuuKensuuChouka {
                meisai: 3_001,
                limit: 3_000,
            },
            ShoukaiError::EmptyIkkatsu,
            ShoukaiError::UnknownShoukai {
                shori_tsuuban: number,
            },
            ShoukaiError::UnknownTeikyou {
                shori_tsuuban: number,
            },
            ShoukaiError::UnknownUketsuke {
                uketsuke_bango: UketsukeBango::next(None, date!(2026 - 04 - 06)),
            },
            ShoukaiError::UnknownKiroku {
                shori_tsuuban: number,
            },
            ShoukaiError::NoResult {
                shori_tsuuban: number,
                status: ShoukaiStatus::Kaitoumachi,
            },
            ShoukaiError::CannotToriyame {
                shori_tsuuban: number,
                status: ShoukaiStatus::Toriyame,
            },
            ShoukaiError::WrongTeikyouStatus {
                shori_tsuuban: number,
                status: TeikyouStatus::Toriyame,
                action: "確認",
            },
            ShoukaiError::InvalidHenkou {
                reason: String::new(),
            },
            ShoukaiError::Source(SourceError {
                message: String::new(),
            }),
            ShoukaiError::Store {
                message: String::new(),
            },
        ];
        let codes: Vec<&str> = every.iter().map(ShoukaiError::code).collect();
        let listed: Vec<&str> = ShoukaiError::CODES.iter().map(|(code, _)| *code).collect();
        assert_eq!(codes, listed, "CODES lists every variant's code, in order");
        let mut distinct = codes.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), codes.len());
        assert_eq!(
            every[16].to_string(),
            "データ送受信機能停止時間帯 () のため受け付けられません (2026-04-06 21:30:00)。翌日のシステムサービス提供時間に登録してください (seed 004 §2.6)。"
        );
    }
}
