//! 情報照会 (SKI) and 情報提供 (TKY) between the tenants of the 自治体中間サーバー, through the
//! 情報提供ネットワークシステム, with the 情報提供等記録 (TKM) and the 通知 they leave (seed 004
//! §6.2, §6.4; DOMAIN.md "自治体中間サーバー"; `docs/chukan-shoukai.md`).
//!
//! A 照会者 registers a 照会 — single (Webサービス連携, processed at once) or in bulk (a file,
//! processed at the bulk rate, behind single ones). The 情報提供ネットワークシステム checks the
//! legal basis, turns the 照会者's 符号 into the 提供者's, and delivers the 提供の求め to the
//! 提供者, whose 副本 answer at once (自動応答) unless a dataset is 自動応答不可: then a 職員
//! checks it and gives the 送信許可 within the 30 days of the 提供の求め. Both sides keep a
//! 情報提供等記録 under the 処理通番, and 通知 go to whoever must act. All of it runs on the one
//! [`Clock`](crate::clock::Clock): service hours, the stop window, the bulk rate and the 30 days.
//!
//! | module | what it is |
//! |---|---|
//! | [`engine`] | [`JohoRenkei`]: the operations, the decisions, what the clock triggers |
//! | [`state`] | what is held per 照会 ([`Shoukai`]), 提供 ([`Teikyou`]) and tenant, and `apply` |
//! | [`event`] | [`ShoukaiEvent`]: every acknowledged change, serde, for the store; [`ShoukaiStore`] |
//! | [`source`] | the traits the 中間サーバー implements: [`TeikyouSource`] (副本), [`FugouDaichou`] (符号), [`FugouHenkan`] (the NWS's conversion) |
//! | [`memory`] | in-memory [`MemoryFukuhon`] and [`MemoryFugou`] (benchmark, tests, in-process use) |
//! | [`naiyou`] | 情報照会内容 ([`ShoukaiNaiyou`]) and 照会条件 ([`ShoukaiJouken`]) |
//! | [`bango`] | 処理通番, 中間サーバー受付番号, MSGMode |
//! | [`status`] | the status words of a 照会 and of a 提供 |
//! | [`kiroku`] | 情報提供等記録: search, 記録事項変更事由, 不開示, CSV export |
//! | [`tsuuchi`] | the seven kinds of 通知 and the per-tenant feed |
//! | [`calendar`] | システムサービス提供時間, the stop window, 祝日 and 年末年始 |
//! | [`error`] | [`ShoukaiError`]: every refusal, with its code and Japanese message |

pub mod bango;
pub mod calendar;
pub mod engine;
pub mod error;
pub mod event;
pub mod kiroku;
pub mod memory;
pub mod naiyou;
pub mod source;
pub mod state;
pub mod status;
pub mod tsuuchi;

pub use bango::{BangoError, MsgMode, ShoriTsuuban, UketsukeBango};
pub use calendar::ServiceHours;
pub use engine::{
    HOURLY_MAX_SHOUKAI, IKKATSU_MAX_MEISAI, IKKATSU_PER_MEISAI, IkkatsuUketsuke, JIZEN_TSUUCHI,
    JohoRenkei, Renkeisaki, ShoukaiConfig, YUUKOU_KIKAN_DAYS,
};
pub use error::{Refusal, ShoukaiError};
pub use event::{Meisai, Routing, ShoukaiEvent, ShoukaiStore, TenantSpec};
pub use kiroku::{
    CSV_MAX_ROWS, Kiroku, KirokuCsv, KirokuHenkou, KirokuKekka, KirokuKensaku, KirokuKubun,
};
pub use memory::{MemoryFugou, MemoryFukuhon, synthetic_record};
pub use naiyou::{Houshiki, JoukenError, ShoukaiJouken, ShoukaiNaiyou};
pub use source::{
    FugouDaichou, FugouHenkan, FukuhonHit, FukuhonKensaku, FukuhonQuery, HenkanError, SourceError,
    TeikyouSource,
};
pub use state::{Shoukai, Teikyou};
pub use status::{OutouHouhou, ShoukaiStatus, TeikyouStatus};
pub use tsuuchi::{Tsuuchi, TsuuchiKind};
