//! このシステムの失敗: 人が読む一文。
//!
//! ジョブの失敗は HTTP の本文に、取込の失敗は通知の `message` に、そのまま出ます。
//! 何が、どこで、なぜを書きます。

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error(format!("データベース: {e}"))
    }
}

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error(message)
    }
}
