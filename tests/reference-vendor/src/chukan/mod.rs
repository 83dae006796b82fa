//! 自治体中間サーバー (docs/chukan-api.md) への接続: 相互 TLS のクライアント、電文の組み立てと応答の読み。
//!
//! 団体内統合宛名システムの符号取得 ([`crate::fugou`]) と、既存業務システム ([`crate::kizon`]) が使います。

pub mod client;
pub mod denbun;
pub mod elem;

pub use client::ChukanClient;
pub use elem::Elem;
