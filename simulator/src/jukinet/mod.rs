//! 住基ネットCS (simulated): the files it hands the 既存住基システム.
//!
//! The 既存住基システム (the vendor's system under test) obtains from the CS the pairs
//! シリアル番号 ↔ 住民票コード of the residents' マイナンバーカード certificates — 証明書情報連携
//! (シリアル番号情報取得), in full and as deltas (seed 001 §5 ②) — and the 本人確認情報 of residents
//! by 住民票コード. The real formats (既存住基システム改造仕様書) are not public: these are
//! renkei's own, documented in `docs/jukinet-formats.md` so that a vendor can implement them.
//!
//! Every file exists in two forms, so that a vendor can test its 外字 handling both ways:
//!
//! - **CSV形式** ([`write_csv`], [`read_csv`]): UTF-8, every character as it is.
//! - **固定長形式** ([`write_fixed`], [`read_fixed`]): Shift_JIS (JIS X 0208) records; what
//!   Shift_JIS cannot carry becomes 〓 and a row of the **外字例外ファイル**
//!   ([`write_exceptions`], [`read_exceptions`]), and [`restore`] puts it back (JUK-06).
//!
//! The module tree follows the domain:
//!
//! | module | what it is |
//! |---|---|
//! | [`record`] | the rows: 証明書情報 and 本人確認情報, their item tables, and 状態 |
//! | [`file`](mod@file) | a file: header (kind, 作成日時, 対象期間) and records |
//! | [`delta`](mod@delta) | which rows a delta (差分) file carries |
//! | [`layout`] | the item tables' shared parts (header, trailer, framing) and the layouts in Markdown |
//! | [`kubun`] | the one-digit codes (証明書種別, 状態, 性別) |
//! | [`nichiji`] | times to the second in JST, and dates, in both forms |
//! | [`csv`] | the CSV form |
//! | [`fixed`] | the fixed-length form |
//! | [`gaiji`] | which characters the fixed-length form carries; the marker 〓 |
//! | [`reigai`] | the 外字例外ファイル and restoring from it |
//! | [`docs`] | the generated parts of `docs/jukinet-formats.md` |
//! | [`error`] | errors that name the line, the item and the rule |

pub mod csv;
pub mod delta;
pub mod docs;
pub mod error;
pub mod file;
pub mod fixed;
pub mod gaiji;
pub mod kubun;
pub mod layout;
pub mod nichiji;
pub mod record;
pub mod reigai;
pub mod service;

pub use csv::{read_csv, write_csv};
pub use delta::delta;
pub use error::{FileForm, Problem, ReadError, RestoreError, RestoreProblem, WriteError};
pub use file::{FileHeader, FileId, HoninKakuninFile, JukinetFile, Kikan, ShomeishoFile};
pub use fixed::{FixedOutput, read_fixed, write_fixed};
pub use gaiji::MARKER;
pub use kubun::Kubun;
pub use nichiji::{JST, Nichiji};
pub use record::{HoninKakuninJoho, Record, ShomeishoJoho};
pub use reigai::{Reigai, ReigaiShubetsu, read_exceptions, restore, write_exceptions};
