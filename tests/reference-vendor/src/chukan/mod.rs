//! 自治体中間サーバー (docs/chukan-api.md) への接続: 相互 TLS のクライアントと符号管理の電文。
//!
//! 団体内統合宛名システムの符号取得 ([`crate::fugou`]) が使います。

pub mod client;
pub mod denbun;

pub use client::ChukanClient;
