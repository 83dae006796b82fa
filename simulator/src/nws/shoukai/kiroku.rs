//! 情報提供等記録 (TKM): the record each side keeps of every 照会 and 提供 that passed through the
//! 情報提供ネットワークシステム (seed 004 §6.2: 「特定個人情報の照会、又は提供があった旨の
//! 情報提供等記録を生成し、管理する機能」).
//!
//! The 照会者 keeps a 照会 record and the 提供者 a 提供 record under the same 処理通番; both say
//! the same thing ([`Kiroku::kyoutsuu`]) except the person's number, which each side knows by its
//! own 団体内統合宛名番号, and what each side added afterwards: 記録事項変更事由 and 不開示
//! (seed 004 §3.2 #2, #3). A record exists once the 提供の求め reached the 提供者; a 照会 refused
//! before that (法令根拠, 符号, 過負荷) is no 情報連携 and leaves none.
//!
//! Records are searched by the time of the 提供の求め and exported as CSV, at most
//! [`CSV_MAX_ROWS`] rows a file (seed 004 §3.2 #1).

use std::fmt;
use std::fmt::Write as _;

use renkei_fixtures::ids::{
    JimuCode, JimuTetsuzukiCode, KikanCode, TokuteiKojinJohoMeiCode, TougouAtenaBango,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::bango::{MsgMode, ShoriTsuuban};
use super::status::OutouHouhou;

/// The most rows in one exported file (seed 004 §3.2 #1: 50,000件).
pub const CSV_MAX_ROWS: usize = 50_000;

/// The longest 記録事項変更事由 accepted, in characters (renkei's bound: the real one is not public).
pub const HENKOU_JIYUU_MAX_CHARS: usize = 200;

/// 記録区分: whose record it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KirokuKubun {
    /// 照会: the 照会者's record.
    #[serde(rename = "照会")]
    Shoukai,
    /// 提供: the 提供者's record.
    #[serde(rename = "提供")]
    Teikyou,
}

impl KirokuKubun {
    /// 照会 / 提供.
    pub fn label(self) -> &'static str {
        match self {
            Self::Shoukai => "照会",
            Self::Teikyou => "提供",
        }
    }
}

impl fmt::Display for KirokuKubun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// 提供結果 as the record states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KirokuKekka {
    /// 未提供: the 提供の求め is still waiting for the 提供者.
    #[serde(rename = "未提供")]
    Miteikyou,
    /// 提供: the 特定個人情報 was provided.
    #[serde(rename = "提供")]
    Teikyou,
    /// 該当なし: answered that nothing matched.
    #[serde(rename = "該当なし")]
    Gaitounashi,
    /// 提供不可: could no longer be provided.
    #[serde(rename = "提供不可")]
    TeikyouFuka,
    /// 取りやめ: withdrawn by the 照会者 before the answer.
    #[serde(rename = "取りやめ")]
    Toriyame,
    /// 有効期間切れ: not answered within 30 days.
    #[serde(rename = "有効期間切れ")]
    YuukouKikanGire,
}

impl KirokuKekka {
    /// The word.
    pub fn label(self) -> &'static str {
        match self {
            Self::Miteikyou => "未提供",
            Self::Teikyou => "提供",
            Self::Gaitounashi => "該当なし",
            Self::TeikyouFuka => "提供不可",
            Self::Toriyame => "取りやめ",
            Self::YuukouKikanGire => "有効期間切れ",
        }
    }
}

impl fmt::Display for KirokuKekka {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One 記録事項変更事由, as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HenkouJiyuu {
    /// The reason, in the 団体's words (e.g. 照会先の誤り).
    pub jiyuu: String,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// One 情報提供等記録.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kiroku {
    /// The 照会 it records.
    pub shori_tsuuban: ShoriTsuuban,
    /// 照会 (the 照会者's record) or 提供 (the 提供者's).
    pub kubun: KirokuKubun,
    /// 本番 or テスト.
    pub msg_mode: MsgMode,
    /// 情報照会者機関コード.
    pub shoukaisha: KikanCode,
    /// 情報提供者機関コード.
    pub teikyousha: KikanCode,
    /// 事務コード.
    pub jimu: JimuCode,
    /// 事務手続コード.
    pub tetsuzuki: JimuTetsuzukiCode,
    /// 特定個人情報名コード.
    pub tokutei: TokuteiKojinJohoMeiCode,
    /// The person, by this side's own 団体内統合宛名番号.
    pub tougou: TougouAtenaBango,
    /// 提供の求めの日時: when the 提供者 received it (what a search by time looks at).
    #[serde(with = "time::serde::rfc3339")]
    pub motome_at: OffsetDateTime,
    /// 提供の日時 (or of the 該当なし answer); `None` while 未提供 and when never answered.
    #[serde(with = "time::serde::rfc3339::option")]
    pub teikyou_at: Option<OffsetDateTime>,
    /// 提供結果.
    pub kekka: KirokuKekka,
    /// 自動応答 or 手動応答 (手動 from the moment 自動応答不可 sent it to a person).
    pub outou: OutouHouhou,
    /// 記録事項変更事由, oldest first: each registration is added, none replaced.
    pub henkou_jiyuu: Vec<HenkouJiyuu>,
    /// 不開示: not to be shown to the person (マイナポータル's 情報提供等記録表示).
    pub fukaiji: bool,
}

/// What both sides' records of one 照会 must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KirokuKyoutsuu {
    pub shori_tsuuban: ShoriTsuuban,
    pub msg_mode: MsgMode,
    pub shoukaisha: KikanCode,
    pub teikyousha: KikanCode,
    pub jimu: JimuCode,
    pub tetsuzuki: JimuTetsuzukiCode,
    pub tokutei: TokuteiKojinJohoMeiCode,
    pub motome_at: OffsetDateTime,
    pub teikyou_at: Option<OffsetDateTime>,
    pub kekka: KirokuKekka,
    pub outou: OutouHouhou,
}

impl Kiroku {
    /// The part both sides share.
    pub fn kyoutsuu(&self) -> KirokuKyoutsuu {
        KirokuKyoutsuu {
            shori_tsuuban: self.shori_tsuuban,
            msg_mode: self.msg_mode,
            shoukaisha: self.shoukaisha,
            teikyousha: self.teikyousha,
            jimu: self.jimu,
            tetsuzuki: self.tetsuzuki,
            tokutei: self.tokutei,
            motome_at: self.motome_at,
            teikyou_at: self.teikyou_at,
            kekka: self.kekka,
            outou: self.outou,
        }
    }

    /// The other side of the record.
    pub fn aite(&self) -> KikanCode {
        match self.kubun {
            KirokuKubun::Shoukai => self.teikyousha,
            KirokuKubun::Teikyou => self.shoukaisha,
        }
    }
}

/// A search of a tenant's 情報提供等記録. Every condition is optional; all given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KirokuKensaku {
    /// 提供の求めの日時 from (included).
    pub from: Option<OffsetDateTime>,
    /// 提供の求めの日時 until (excluded).
    pub until: Option<OffsetDateTime>,
    /// Only 照会 or only 提供 records.
    pub kubun: Option<KirokuKubun>,
    /// Only 本番 or only テスト.
    pub msg_mode: Option<MsgMode>,
}

impl KirokuKensaku {
    /// Whether `kiroku` is selected.
    pub fn matches(&self, kiroku: &Kiroku) -> bool {
        self.from.is_none_or(|from| kiroku.motome_at >= from)
            && self.until.is_none_or(|until| kiroku.motome_at < until)
            && self.kubun.is_none_or(|kubun| kiroku.kubun == kubun)
            && self.msg_mode.is_none_or(|mode| kiroku.msg_mode == mode)
    }
}

/// A change of a record: 記録事項変更事由 to add, 不開示 to set or clear.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KirokuHenkou {
    /// 記録事項変更事由 to add (1 to [`HENKOU_JIYUU_MAX_CHARS`] characters).
    pub jiyuu: Option<String>,
    /// 不開示 to set (`true`) or clear (`false`).
    pub fukaiji: Option<bool>,
}

/// The columns of the exported CSV, in order. The one list: the writer and the docs use it.
pub const CSV_COLUMNS: [&str; 16] = [
    "処理通番",
    "記録区分",
    "MSGMode",
    "情報照会者機関コード",
    "情報提供者機関コード",
    "事務コード",
    "事務手続コード",
    "特定個人情報名コード",
    "団体内統合宛名番号",
    "提供の求めの日時",
    "提供の日時",
    "提供結果",
    "応答方法",
    "記録事項変更事由",
    "記録事項変更事由の登録日時",
    "不開示",
];

/// One exported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KirokuCsv {
    /// File name: `TKM_{機関コード}_{出力日時 YYYYMMDDhhmmss}_{連番 3 桁}.csv` (renkei's).
    pub name: String,
    /// Records in the file (the header row not counted).
    pub rows: usize,
    /// The file: UTF-8, CRLF line ends, a header row, fields quoted where they must be (RFC 4180).
    pub text: String,
}

/// Writes `records` as CSV files of at most [`CSV_MAX_ROWS`] rows each, named for `kikan` and
/// `now`. No records give one file with the header alone, so an export always has a file.
pub fn to_csv(kikan: KikanCode, now: OffsetDateTime, records: &[Kiroku]) -> Vec<KirokuCsv> {
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let chunks: Vec<&[Kiroku]> = if records.is_empty() {
        vec![&[]]
    } else {
        records.chunks(CSV_MAX_ROWS).collect()
    };
    chunks
        .into_iter()
        .enumerate()
        .map(|(index, chunk)| {
            let mut text = String::with_capacity(256 * (chunk.len() + 1));
            push_row(&mut text, CSV_COLUMNS.iter().copied());
            for kiroku in chunk {
                let last_jiyuu = kiroku.henkou_jiyuu.last();
                let fields = [
                    kiroku.shori_tsuuban.to_string(),
                    kiroku.kubun.label().to_owned(),
                    kiroku.msg_mode.code().to_owned(),
                    kiroku.shoukaisha.to_string(),
                    kiroku.teikyousha.to_string(),
                    kiroku.jimu.to_string(),
                    kiroku.tetsuzuki.to_string(),
                    kiroku.tokutei.to_string(),
                    kiroku.tougou.to_string(),
                    rfc3339(kiroku.motome_at),
                    kiroku.teikyou_at.map(rfc3339).unwrap_or_default(),
                    kiroku.kekka.label().to_owned(),
                    kiroku.outou.label().to_owned(),
                    last_jiyuu.map(|j| j.jiyuu.clone()).unwrap_or_default(),
                    last_jiyuu.map(|j| rfc3339(j.at)).unwrap_or_default(),
                    if kiroku.fukaiji { "1" } else { "0" }.to_owned(),
                ];
                push_row(&mut text, fields.iter().map(String::as_str));
            }
            KirokuCsv {
                name: format!("TKM_{kikan}_{stamp}_{:03}.csv", index + 1),
                rows: chunk.len(),
                text,
            }
        })
        .collect()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("a JST time formats as RFC 3339")
}

/// Appends one CSV row: a field is quoted when it holds a comma, a quote or a line break, and a
/// quote inside is doubled (RFC 4180).
fn push_row<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (index, field) in fields.enumerate() {
        if index > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            let _ = write!(out, "\"{}\"", field.replace('"', "\"\""));
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}
