//! レコード: the two kinds of row the 住基ネットCS hands out, and their item tables.
//!
//! - [`ShomeishoJoho`] 証明書情報: one マイナンバーカード certificate, for 証明書情報連携
//!   (シリアル番号情報取得, seed 001 §5 ②): the 既存住基システム keeps シリアル番号 ↔ 住民票コード
//!   from these rows and turns 住民票コード into its 宛名番号.
//! - [`HoninKakuninJoho`] 本人確認情報: 基本4情報 + 住民票コード + 個人番号 of one resident.
//!
//! A row is written as a list of values in the CSV form (one per item of the record's table);
//! the fixed-length form converts each value by its [`Atai`].

use std::str::FromStr;

use renkei_fixtures::ids::{CertSerial, IdError, JuminhyoCode, KojinBango};
use renkei_fixtures::population::{CertKind, CertStatus, Certificate, Resident, Seibetsu};
use time::Date;

use super::error::{Problem, RowError};
use super::file::FileId;
use super::kubun::Kubun;
use super::layout::{Atai, Komoku};
use super::nichiji::{Nichiji, date_from_csv, date_to_csv};

/// A kind of row: its item table and its conversion to and from values in the CSV form.
pub trait Record: Sized + Clone + PartialEq + std::fmt::Debug {
    /// The record's Japanese name.
    const MEISHO: &'static str;
    /// The items, in order: the CSV columns, and the fixed-length data record after
    /// レコード区分 and レコード番号.
    const ITEMS: &'static [Komoku];
    /// The files that carry this record.
    const FILE_IDS: &'static [FileId];
    /// The name of the item holding 更新日時.
    const KOSHIN_NICHIJI: &'static str = "更新日時";

    /// The row's values in the CSV form, one per item. `as_of` is the file's 作成日時, for
    /// values that depend on it (状態).
    fn to_row(&self, as_of: Nichiji) -> Result<Vec<String>, RowError>;

    /// Reads a row of values in the CSV form (exactly one per item).
    fn from_row(row: &[String], as_of: Nichiji) -> Result<Self, RowError>;

    /// 更新日時: when the row last changed.
    fn koshin_nichiji(&self) -> Nichiji;
}

/// 証明書情報: one certificate of a マイナンバーカード as the 住基ネットCS lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShomeishoJoho {
    /// シリアル番号: the key the 申請管理システム finds the applicant by (seed 001 §5 ③-3 i).
    pub serial: CertSerial,
    /// 住民票コード of the holder: the 既存住基システム turns it into its 宛名番号.
    pub juminhyo_code: JuminhyoCode,
    /// 証明書種別: 署名用 or 利用者証明用.
    pub shubetsu: CertKind,
    /// 発行日.
    pub hakkobi: Date,
    /// 有効期限: the last day the certificate is valid.
    pub yuko_kigen: Date,
    /// 失効日: the day it was revoked (更新, 住所等変更, 紛失, …); `None` while not revoked.
    pub shikkobi: Option<Date>,
    /// 更新日時: when this row last changed (issue, revocation). A delta is "rows changed
    /// since T". Expiry is not a change: a row does not reappear when its 有効期限 passes.
    pub koshin_nichiji: Nichiji,
}

impl ShomeishoJoho {
    /// 状態 as of `as_of`: the one rule, shared with the population (`CertStatus::on`).
    ///
    /// The day is `as_of`'s JST calendar day. 失効 from the 失効日 on (that day included);
    /// else 期限切れ from the day after the 有効期限; else 有効. A file writes each row's 状態 as
    /// of its 作成日時, and a reader refuses a 状態 that disagrees with the dates.
    pub fn jotai(&self, as_of: Nichiji) -> CertStatus {
        CertStatus::on(as_of.date(), self.yuko_kigen, self.shikkobi)
    }

    /// The row for a certificate of the synthetic population, held by `juminhyo_code`, last
    /// changed at `koshin_nichiji`.
    pub fn from_certificate(
        juminhyo_code: JuminhyoCode,
        certificate: &Certificate,
        koshin_nichiji: Nichiji,
    ) -> Self {
        Self {
            serial: certificate.serial,
            juminhyo_code,
            shubetsu: certificate.kind,
            hakkobi: certificate.issued,
            yuko_kigen: certificate.expires,
            shikkobi: certificate.revoked,
            koshin_nichiji,
        }
    }
}

impl Record for ShomeishoJoho {
    const MEISHO: &'static str = "証明書情報";
    const ITEMS: &'static [Komoku] = &[
        Komoku {
            name: "シリアル番号",
            atai: Atai::Suuchi,
            width: 20,
            naiyou: "電子証明書のシリアル番号 (正の整数)",
        },
        Komoku {
            name: "住民票コード",
            atai: Atai::Bango,
            width: 11,
            naiyou: "証明書を持つ住民の住民票コード (11桁)",
        },
        Komoku {
            name: "証明書種別",
            atai: Atai::Kubun,
            width: 1,
            naiyou: "`1` 署名用 / `2` 利用者証明用",
        },
        Komoku {
            name: "発行日",
            atai: Atai::Hizuke,
            width: 8,
            naiyou: "発行された日",
        },
        Komoku {
            name: "有効期限",
            atai: Atai::Hizuke,
            width: 8,
            naiyou: "有効な最後の日",
        },
        Komoku {
            name: "失効日",
            atai: Atai::Hizuke,
            width: 8,
            naiyou: "失効した日 (この日から失効)。失効していなければ値なし",
        },
        Komoku {
            name: "状態",
            atai: Atai::Kubun,
            width: 1,
            naiyou: "`1` 有効 / `2` 失効 / `3` 期限切れ。作成日時の日付で判定 (状態の判定を参照)",
        },
        Komoku {
            name: "更新日時",
            atai: Atai::Nichiji,
            width: 14,
            naiyou: "この行が最後に変わった日時 (発行・失効)。差分の基準",
        },
    ];
    const FILE_IDS: &'static [FileId] = &[FileId::ShomeishoZenken, FileId::ShomeishoSabun];

    fn to_row(&self, as_of: Nichiji) -> Result<Vec<String>, RowError> {
        let mut row = RowWriter::default();
        row.push(self.serial.to_string());
        row.push(self.juminhyo_code.to_string());
        row.push(self.shubetsu.code().to_owned());
        row.date(Some(self.hakkobi))?;
        row.date(Some(self.yuko_kigen))?;
        row.date(self.shikkobi)?;
        row.push(self.jotai(as_of).code().to_owned());
        row.push(self.koshin_nichiji.to_string());
        Ok(row.0)
    }

    fn from_row(row: &[String], as_of: Nichiji) -> Result<Self, RowError> {
        let mut cells = Cells::new(row);
        let serial = cells.id()?;
        let juminhyo_code = cells.id()?;
        let shubetsu = cells.kubun()?;
        let hakkobi = cells.date()?;
        let yuko_kigen = cells.date()?;
        let shikkobi = cells.optional_date()?;
        let jotai_index = cells.next;
        let jotai: CertStatus = cells.kubun()?;
        let record = Self {
            serial,
            juminhyo_code,
            shubetsu,
            hakkobi,
            yuko_kigen,
            shikkobi,
            koshin_nichiji: cells.nichiji()?,
        };
        // 状態 is derived, never trusted: a row whose 状態 disagrees with its dates is refused.
        let derived = record.jotai(as_of);
        if jotai != derived {
            return Err(RowError::new(
                jotai_index,
                Problem::Jotai {
                    found: jotai.as_str(),
                    derived: derived.as_str(),
                    day: as_of.date().to_string(),
                },
            ));
        }
        Ok(record)
    }

    fn koshin_nichiji(&self) -> Nichiji {
        self.koshin_nichiji
    }
}

/// 本人確認情報: 基本4情報 (氏名, 生年月日, 性別, 住所) with 住民票コード and 個人番号.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoninKakuninJoho {
    /// 住民票コード: the key the 既存住基システム asks by.
    pub juminhyo_code: JuminhyoCode,
    /// 個人番号 (マイナンバー).
    pub kojin_bango: KojinBango,
    /// 氏名 as registered (姓と名の間は全角空白), every character as it is (𠮷, 髙, 外字, …).
    pub shimei: String,
    /// 氏名カナ as registered, 全角 or 半角 as given (renkei does not convert); `None` when not
    /// registered.
    pub shimei_kana: Option<String>,
    /// 生年月日.
    pub seinengappi: Date,
    /// 性別: `1` 男 / `2` 女.
    pub seibetsu: Seibetsu,
    /// 住所: the whole address in one line (都道府県 through 方書).
    pub jusho: String,
    /// 更新日時: when the resident's 本人確認情報 last changed (転入, 転居, 氏名変更, …).
    pub koshin_nichiji: Nichiji,
}

impl HoninKakuninJoho {
    /// The row for a resident of the synthetic population, last changed at `koshin_nichiji`.
    pub fn from_resident(resident: &Resident, koshin_nichiji: Nichiji) -> Self {
        Self {
            juminhyo_code: resident.juminhyo_code,
            kojin_bango: resident.kojin_bango,
            shimei: resident.shimei.clone(),
            shimei_kana: Some(resident.shimei_kana.clone()).filter(|k| !k.is_empty()),
            seinengappi: resident.seinengappi,
            seibetsu: resident.seibetsu,
            jusho: resident.jusho.zenbun.clone(),
            koshin_nichiji,
        }
    }
}

impl Record for HoninKakuninJoho {
    const MEISHO: &'static str = "本人確認情報";
    const ITEMS: &'static [Komoku] = &[
        Komoku {
            name: "住民票コード",
            atai: Atai::Bango,
            width: 11,
            naiyou: "住民票コード (11桁)",
        },
        Komoku {
            name: "個人番号",
            atai: Atai::Bango,
            width: 12,
            naiyou: "個人番号 (12桁、検査数字つき)",
        },
        Komoku {
            name: "氏名",
            atai: Atai::Moji,
            width: 60,
            naiyou: "氏名 (姓と名の間は全角空白)",
        },
        Komoku {
            name: "氏名カナ",
            atai: Atai::Moji,
            width: 60,
            naiyou: "氏名のカナ。登録のとおり (全角・半角を変換しない)。未登録なら値なし",
        },
        Komoku {
            name: "生年月日",
            atai: Atai::Hizuke,
            width: 8,
            naiyou: "生年月日 (西暦)",
        },
        Komoku {
            name: "性別",
            atai: Atai::Kubun,
            width: 1,
            naiyou: "`1` 男 / `2` 女",
        },
        Komoku {
            name: "住所",
            atai: Atai::Moji,
            width: 120,
            naiyou: "都道府県から方書まで1行",
        },
        Komoku {
            name: "更新日時",
            atai: Atai::Nichiji,
            width: 14,
            naiyou: "本人確認情報が最後に変わった日時",
        },
    ];
    const FILE_IDS: &'static [FileId] = &[FileId::HoninKakunin];

    fn to_row(&self, _as_of: Nichiji) -> Result<Vec<String>, RowError> {
        let mut row = RowWriter::default();
        row.push(self.juminhyo_code.to_string());
        row.push(self.kojin_bango.to_string());
        row.push(self.shimei.clone());
        row.optional_text(self.shimei_kana.as_deref())?;
        row.date(Some(self.seinengappi))?;
        row.push(self.seibetsu.code().to_owned());
        row.push(self.jusho.clone());
        row.push(self.koshin_nichiji.to_string());
        Ok(row.0)
    }

    fn from_row(row: &[String], _as_of: Nichiji) -> Result<Self, RowError> {
        let mut cells = Cells::new(row);
        Ok(Self {
            juminhyo_code: cells.id()?,
            kojin_bango: cells.id()?,
            shimei: cells.text(),
            shimei_kana: cells.optional_text(),
            seinengappi: cells.date()?,
            seibetsu: cells.kubun()?,
            jusho: cells.text(),
            koshin_nichiji: cells.nichiji()?,
        })
    }

    fn koshin_nichiji(&self) -> Nichiji {
        self.koshin_nichiji
    }
}

/// Builds a row, knowing the index of the value being written for errors.
#[derive(Default)]
struct RowWriter(Vec<String>);

impl RowWriter {
    fn push(&mut self, value: String) {
        self.0.push(value);
    }

    fn date(&mut self, date: Option<Date>) -> Result<(), RowError> {
        let text = match date {
            Some(date) => date_to_csv(date).ok_or(RowError::new(self.0.len(), Problem::Year))?,
            None => String::new(),
        };
        self.0.push(text);
        Ok(())
    }

    fn optional_text(&mut self, text: Option<&str>) -> Result<(), RowError> {
        match text {
            Some("") => Err(RowError::new(self.0.len(), Problem::EmptyOptional)),
            Some(text) => {
                self.0.push(text.to_owned());
                Ok(())
            }
            None => {
                self.0.push(String::new());
                Ok(())
            }
        }
    }
}

/// Reads a row value by value, knowing the index of each for errors.
struct Cells<'a> {
    row: &'a [String],
    next: usize,
}

impl<'a> Cells<'a> {
    fn new(row: &'a [String]) -> Self {
        Self { row, next: 0 }
    }

    fn next_with_index(&mut self) -> (usize, &'a str) {
        let index = self.next;
        self.next += 1;
        (index, self.row[index].as_str())
    }

    fn id<T: FromStr<Err = IdError>>(&mut self) -> Result<T, RowError> {
        let (index, text) = self.next_with_index();
        text.parse()
            .map_err(|e| RowError::new(index, Problem::Id(e)))
    }

    fn kubun<K: Kubun>(&mut self) -> Result<K, RowError> {
        let (index, text) = self.next_with_index();
        K::from_code(text).ok_or_else(|| kubun_error::<K>(index, text))
    }

    fn date(&mut self) -> Result<Date, RowError> {
        let (index, text) = self.next_with_index();
        date_from_csv(text).ok_or_else(|| {
            RowError::new(
                index,
                Problem::Hizuke {
                    value: text.to_owned(),
                },
            )
        })
    }

    fn optional_date(&mut self) -> Result<Option<Date>, RowError> {
        if self.row[self.next].is_empty() {
            self.next += 1;
            return Ok(None);
        }
        self.date().map(Some)
    }

    fn nichiji(&mut self) -> Result<Nichiji, RowError> {
        let (index, text) = self.next_with_index();
        text.parse().map_err(|_| {
            RowError::new(
                index,
                Problem::Nichiji {
                    value: text.to_owned(),
                },
            )
        })
    }

    fn text(&mut self) -> String {
        self.next_with_index().1.to_owned()
    }

    fn optional_text(&mut self) -> Option<String> {
        Some(self.text()).filter(|t| !t.is_empty())
    }
}

fn kubun_error<K: Kubun>(index: usize, text: &str) -> RowError {
    RowError::new(
        index,
        Problem::Kubun {
            value: text.to_owned(),
            allowed: K::allowed(),
        },
    )
}
