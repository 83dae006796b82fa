//! 情報提供ネットワークシステム (simulated): the national hub between the 中間サーバー of every
//! 機関. It issues each 機関's 符号 for a person and, in 情報照会, turns the 照会者's 符号 into
//! the 提供者's (seed 004 §6.3, §6.4; DOMAIN.md "自治体中間サーバー").
//!
//! | module | what it is |
//! |---|---|
//! | [`fugou`] | [`FugouIssuance`]: 機関別符号 issuance (the [`FugouIssuer`](crate::jukinet::service::FugouIssuer) the 住基ネット relays to) and the register of issued 符号 |

pub mod fugou;

pub use fugou::{FUGOU_LEN, FUGOU_PREFIX, FugouIssuance};
