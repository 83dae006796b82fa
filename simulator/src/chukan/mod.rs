//! 自治体中間サーバー (simulated): where a 団体 keeps the 副本 of its 特定個人情報 and its 符号, and
//! from which 情報照会 and 情報提供 go out over the 情報提供ネットワークシステム.
//!
//! The real server has nine functions (DOMAIN.md "自治体中間サーバー", seed 004 §6.2), named by
//! three-letter codes that appear in every message and file name: 符号管理 (FGU), 情報照会 (SKI),
//! 情報提供 (TKY), 情報提供等記録管理 (TKM), 情報提供データベース管理 = 副本 (DBM), and the
//! administrative ones. renkei simulates them one module per function; this module will hold
//! them all, each tenant (団体) with its own data.
//!
//! | module | function | what it is |
//! |---|---|---|
//! | [`fugou`] | 符号管理 (FGU) | 符号取得要求 for a 団体内統合宛名番号, relayed through the 住基ネット to the 情報提供ネットワークシステム ([`crate::nws`]), issued at once or after business days |
//! | [`fukuhon`] | 副本登録 (DBM) | the registration / deletion file, read streaming and validated record by record against the データ標準レイアウト in force |
//! | [`shoukai`] | 情報照会 (SKI) | the 照会 電文 and files; the engine is [`crate::nws::shoukai`], wired in by [`joho_renkei`] |
//! | [`teikyou`] | 情報提供 (TKY) | the 提供者's queue: 確認, 送信許可, 自動応答不可 per データセット; [`teikyou_source`] answers from the 副本 |
//! | [`teikyou_jogai`] | 提供除外項目マスタ (DBM) | the items a tenant never provides: registered with a file, read back; 情報提供 leaves them out |
//! | [`kiroku`] | 情報提供等記録管理 (TKM), 通知 | search, 記録事項変更事由 and 不開示, the CSV export, the 通知 feed |

pub mod batch;
pub mod client;
pub mod db;
pub mod denbun;
pub mod fugou;
pub mod fukuhon;
pub mod joho_renkei;
pub mod kiroku;
pub mod multipart;
pub mod platform;
pub mod request_file;
pub mod server;
pub mod shoukai;
pub mod teikyou;
pub mod teikyou_jogai;
pub mod teikyou_source;
pub mod tls;
