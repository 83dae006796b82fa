//! 情報提供ネットワークシステム (simulated): the national hub between the 中間サーバー of every
//! 機関. It issues each 機関's 符号 for a person and, in 情報照会, turns the 照会者's 符号 into
//! the 提供者's (seed 004 §6.3, §6.4; DOMAIN.md "自治体中間サーバー").
//!
//! | module | what it is |
//! |---|---|
//! | [`fugou`] | [`FugouIssuance`]: 機関別符号 issuance (the [`FugouIssuer`](crate::jukinet::service::FugouIssuer) the 住基ネット relays to) and the register of issued 符号 |
//! | [`shoukai`] | [`JohoRenkei`](shoukai::JohoRenkei): 情報照会 / 情報提供 between the 中間サーバー tenants — routing, 符号変換, the legal basis, 自動応答 and the manual queue, 情報提供等記録 and 通知 |

pub mod fugou;
pub mod shoukai;

pub use fugou::{FUGOU_LEN, FUGOU_PREFIX, FugouIssuance};
