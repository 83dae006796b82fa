//! Every change the engine acknowledges, as a serializable event.
//!
//! The engine changes state only by `commit`: the event goes to the [`ShoukaiStore`] first
//! (when there is one), then is applied. A restart replays the stored events through the same
//! `apply`, so live state and replayed state cannot differ (ARCHITECTURE.md "Invariants"; the
//! same scheme as `pittari::state` and `store::Change`).
//!
//! An event carries what was *decided*, not what to ask again: the 処理通番 it was given, the
//! 副本 the 提供者 answered with, the refusal message. Replaying never asks the 副本 store or the
//! 符号 registers, whose contents may have changed since.

use renkei_fixtures::catalog::KikanKind;
use renkei_fixtures::ids::{KikanCode, TougouAtenaBango};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::bango::{MsgMode, ShoriTsuuban, UketsukeBango};
use super::error::Refusal;
use super::kiroku::KirokuHenkou;
use super::naiyou::{Houshiki, ShoukaiNaiyou};
use super::source::FukuhonKensaku;
use crate::store::StoreError;

/// One tenant of the 中間サーバー: a 機関 that asks and answers over the 情報提供ネットワークシステム.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSpec {
    /// 機関コード: the tenant's key everywhere.
    pub kikan: KikanCode,
    /// The 機関's name, for people.
    pub name: String,
    /// 機関の種別: decides what it may ask under the legal basis and of whom it may be asked.
    #[serde(with = "kikan_kind")]
    pub kind: KikanKind,
    /// The environments it is connected to: 本番, テスト (the 団体用検証環境), or both.
    pub modes: Vec<MsgMode>,
}

impl TenantSpec {
    /// The tenant of a 団体 of the catalog, connected in `modes`.
    pub fn from_dantai(dantai: &renkei_fixtures::catalog::Dantai, modes: &[MsgMode]) -> Self {
        Self {
            kikan: dantai.kikan_code,
            name: dantai.name.clone(),
            kind: KikanKind::from(dantai.kind),
            modes: modes.to_vec(),
        }
    }
}

/// One 明細 of a registration as decided at registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meisai {
    /// The 処理通番 given to it.
    pub shori_tsuuban: ShoriTsuuban,
    /// What it asks.
    pub naiyou: ShoukaiNaiyou,
    /// Refused at registration (bad content, 過負荷): it ends in エラー at once.
    pub refusal: Option<Refusal>,
}

/// What the 情報提供ネットワークシステム did with a 照会 when it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "routing", rename_all = "snake_case")]
pub enum Routing {
    /// Refused (法令根拠, 符号 …): the 照会 ends in エラー and reaches no 提供者.
    Refused { refusal: Refusal },
    /// Answered at once from the 副本 (自動応答).
    Jidou {
        /// The person at the 提供者.
        teikyou_tougou: TougouAtenaBango,
        kensaku: FukuhonKensaku,
    },
    /// Delivered to the 提供者's manual queue (自動応答不可).
    Shudou {
        teikyou_tougou: TougouAtenaBango,
        kensaku: FukuhonKensaku,
    },
}

/// An acknowledged change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ShoukaiEvent {
    /// A tenant joined (at run time; the scenario's tenants are the starting state).
    TenantAdded { tenant: TenantSpec },
    /// The "documented limits" mode was switched (seed 004 §2.11).
    LimitsSwitched { documented_limits: bool },
    /// A single 照会 was registered and sent at once.
    Tanken {
        kikan: KikanCode,
        uketsuke_bango: UketsukeBango,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        meisai: Meisai,
        routing: Routing,
    },
    /// A bulk request was registered; its 明細 wait in the queue (or ended in エラー).
    Registered {
        kikan: KikanCode,
        uketsuke_bango: UketsukeBango,
        houshiki: Houshiki,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        meisai: Vec<Meisai>,
    },
    /// A queued 明細 was sent.
    Routed {
        shori_tsuuban: ShoriTsuuban,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        routing: Routing,
    },
    /// The 提供者's 職員 checked the content of a 自動応答不可 提供.
    Kakunin {
        shori_tsuuban: ShoriTsuuban,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        kensaku: FukuhonKensaku,
    },
    /// The 提供者 gave the 送信許可: the checked content was sent.
    SoushinKyoka {
        shori_tsuuban: ShoriTsuuban,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The 提供者 found it can no longer provide (seed 004 §2.4).
    TeikyouFuka {
        shori_tsuuban: ShoriTsuuban,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        riyuu: String,
    },
    /// The 照会者 withdrew the 照会.
    Toriyame {
        shori_tsuuban: ShoriTsuuban,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The 有効期間切れ事前通知 went out.
    KigireJizen {
        shori_tsuuban: ShoriTsuuban,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// The 提供の求め expired unanswered.
    Kigire {
        shori_tsuuban: ShoriTsuuban,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// A tenant changed its 情報提供等記録 (記録事項変更事由, 不開示).
    KirokuHenkou {
        kikan: KikanCode,
        shori_tsuuban: ShoriTsuuban,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        henkou: KirokuHenkou,
    },
    /// A tenant changed its records of every 明細 of one registration at once (一括変更).
    KirokuIkkatsuHenkou {
        kikan: KikanCode,
        shori_tsuuban: Vec<ShoriTsuuban>,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        henkou: KirokuHenkou,
    },
}

/// Where acknowledged events are made durable before they are applied (the lead wires it to
/// `store::SqliteStore`). A closure of the right shape is a store.
pub trait ShoukaiStore: Send + Sync {
    /// Appends `event`; returns once it is durable.
    fn append(&self, event: &ShoukaiEvent) -> Result<(), StoreError>;
}

impl<F> ShoukaiStore for F
where
    F: Fn(&ShoukaiEvent) -> Result<(), StoreError> + Send + Sync,
{
    fn append(&self, event: &ShoukaiEvent) -> Result<(), StoreError> {
        self(event)
    }
}

/// [`KikanKind`] as its catalog word (`municipality`, …): the fixtures type reads it but does not
/// write it.
mod kikan_kind {
    use renkei_fixtures::catalog::KikanKind;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(kind: &KikanKind, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(match kind {
            KikanKind::Municipality => "municipality",
            KikanKind::Prefecture => "prefecture",
            KikanKind::Kumiai => "kumiai",
            KikanKind::IryouHokensha => "iryou_hokensha",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<KikanKind, D::Error> {
        KikanKind::deserialize(deserializer)
    }
}
