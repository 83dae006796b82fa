//! ファイル: what one file holds — its header and its records — whatever the form.
//!
//! The 住基ネットCS hands the 既存住基システム three kinds of file. Their 4-character IDs are
//! renkei's own: the real 電文 and file IDs of the 既存住基システム改造仕様書 are not public
//! (DOMAIN.md "住基ネット CS").

use super::delta::delta;
use super::error::{FileForm, Problem, RowError, WriteError};
use super::layout::{HEADER_ITEMS, Komoku};
use super::nichiji::Nichiji;
use super::record::{HoninKakuninJoho, Record, ShomeishoJoho};

/// The kinds of file, each with its renkei-defined ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileId {
    /// `JS01` 証明書情報全件ファイル: every certificate the CS holds for the 団体.
    ShomeishoZenken,
    /// `JS02` 証明書情報差分ファイル: the certificates whose row changed within the period.
    ShomeishoSabun,
    /// `JH01` 本人確認情報ファイル: 本人確認情報 of the residents asked for by 住民票コード.
    HoninKakunin,
}

impl FileId {
    /// Every kind, in ID order.
    pub const ALL: [FileId; 3] = [
        Self::ShomeishoZenken,
        Self::ShomeishoSabun,
        Self::HoninKakunin,
    ];

    /// The 4-character ID written in the files.
    pub fn id(self) -> &'static str {
        match self {
            Self::ShomeishoZenken => "JS01",
            Self::ShomeishoSabun => "JS02",
            Self::HoninKakunin => "JH01",
        }
    }

    /// The file's Japanese name.
    pub fn meisho(self) -> &'static str {
        match self {
            Self::ShomeishoZenken => "証明書情報全件ファイル",
            Self::ShomeishoSabun => "証明書情報差分ファイル",
            Self::HoninKakunin => "本人確認情報ファイル",
        }
    }

    /// The kind with this ID.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.id() == id)
    }

    /// The items of the file's data records.
    pub fn items(self) -> &'static [Komoku] {
        match self {
            Self::ShomeishoZenken | Self::ShomeishoSabun => ShomeishoJoho::ITEMS,
            Self::HoninKakunin => HoninKakuninJoho::ITEMS,
        }
    }

    /// Whether the file carries a 対象期間.
    pub fn has_period(self) -> bool {
        self == Self::ShomeishoSabun
    }
}

/// 対象期間 of a delta file: the rows with `since` < 更新日時 ≤ `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kikan {
    /// 対象期間開始 (not included): usually the 作成日時 of the last file the receiver applied.
    pub since: Nichiji,
    /// 対象期間終了 (included).
    pub until: Nichiji,
}

impl Kikan {
    /// Whether a row stamped `koshin` belongs to the period.
    pub fn contains(&self, koshin: Nichiji) -> bool {
        self.since < koshin && koshin <= self.until
    }
}

/// The file header: what the file is and when it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHeader {
    pub id: FileId,
    /// 作成日時: also the moment every row's 状態 is judged at.
    pub created: Nichiji,
    /// 対象期間: present exactly on a delta file (`JS02`).
    pub period: Option<Kikan>,
}

/// Where a file-level check failed: the record (0-based, `None` for the header) and the item.
pub(crate) struct Located {
    pub record: Option<usize>,
    pub field: &'static str,
    pub problem: Problem,
}

impl Located {
    /// The problem as a writer reports it: the header is record 0, data records count from 1.
    pub(crate) fn write_error(self, form: FileForm) -> WriteError {
        WriteError {
            form,
            record: self.record.map_or(0, |index| index + 1),
            field: Some(self.field),
            problem: self.problem,
        }
    }
}

impl FileHeader {
    /// The header's values in the CSV form, in [`HEADER_ITEMS`] order.
    pub(crate) fn to_row(self, count: usize) -> Vec<String> {
        let (since, until) = match self.period {
            Some(k) => (k.since.to_string(), k.until.to_string()),
            None => (String::new(), String::new()),
        };
        vec![
            self.id.id().to_owned(),
            self.created.to_string(),
            since,
            until,
            count.to_string(),
        ]
    }

    /// Reads the header's values (CSV form); gives the header and the stated count.
    /// The count is kept as text so that a wrong count can be quoted as written.
    pub(crate) fn from_row(row: &[String]) -> Result<(FileHeader, String), RowError> {
        let id = FileId::from_id(&row[0]).ok_or_else(|| {
            RowError::new(
                0,
                Problem::FileId {
                    found: row[0].clone(),
                    allowed: FileId::ALL.map(FileId::id).join(", "),
                },
            )
        })?;
        let nichiji = |index: usize| -> Result<Option<Nichiji>, RowError> {
            let text = &row[index];
            if text.is_empty() {
                return Ok(None);
            }
            text.parse().map(Some).map_err(|_| {
                RowError::new(
                    index,
                    Problem::Nichiji {
                        value: text.clone(),
                    },
                )
            })
        };
        let created = nichiji(1)?.ok_or_else(|| {
            RowError::new(
                1,
                Problem::Missing {
                    what: "作成日時"
                },
            )
        })?;
        let period = match (nichiji(2)?, nichiji(3)?) {
            (Some(since), Some(until)) => Some(Kikan { since, until }),
            (None, None) => None,
            (None, Some(_)) => return Err(RowError::new(2, Problem::PeriodMissing)),
            (Some(_), None) => return Err(RowError::new(3, Problem::PeriodMissing)),
        };
        let count = &row[4];
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RowError::new(
                4,
                Problem::NotDigits {
                    value: count.clone(),
                },
            ));
        }
        Ok((
            FileHeader {
                id,
                created,
                period,
            },
            count.clone(),
        ))
    }

    /// Checks the header against the record kind and the records: the ID fits the record
    /// kind, a period is there exactly on a delta file and is in order, and no row is stamped
    /// after the file was made or outside the period.
    pub(crate) fn check<R: Record>(&self, records: &[R]) -> Result<(), Located> {
        let header = |field: &'static str, problem| Located {
            record: None,
            field,
            problem,
        };
        if !R::FILE_IDS.contains(&self.id) {
            return Err(header(
                HEADER_ITEMS[0].name,
                Problem::FileId {
                    found: self.id.id().to_owned(),
                    allowed: R::FILE_IDS
                        .iter()
                        .map(|f| f.id())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            ));
        }
        match (self.id.has_period(), self.period) {
            (true, None) => return Err(header(HEADER_ITEMS[2].name, Problem::PeriodMissing)),
            (false, Some(_)) => {
                return Err(header(HEADER_ITEMS[2].name, Problem::PeriodUnexpected));
            }
            (true, Some(k)) if !(k.since <= k.until && k.until <= self.created) => {
                return Err(header(
                    HEADER_ITEMS[3].name,
                    Problem::PeriodOrder {
                        since: k.since.to_string(),
                        until: k.until.to_string(),
                        created: self.created.to_string(),
                    },
                ));
            }
            _ => {}
        }
        for (index, record) in records.iter().enumerate() {
            let koshin = record.koshin_nichiji();
            let problem = if koshin > self.created {
                Problem::AfterCreated {
                    koshin: koshin.to_string(),
                    created: self.created.to_string(),
                }
            } else if let Some(k) = self.period.filter(|k| !k.contains(koshin)) {
                Problem::OutsidePeriod {
                    koshin: koshin.to_string(),
                    since: k.since.to_string(),
                    until: k.until.to_string(),
                }
            } else {
                continue;
            };
            return Err(Located {
                record: Some(index),
                field: R::KOSHIN_NICHIJI,
                problem,
            });
        }
        Ok(())
    }
}

/// One file of the 住基ネットCS: a header and its records, independent of the form it is written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JukinetFile<R> {
    pub header: FileHeader,
    pub records: Vec<R>,
}

/// 証明書情報ファイル (JS01 / JS02).
pub type ShomeishoFile = JukinetFile<ShomeishoJoho>;
/// 本人確認情報ファイル (JH01).
pub type HoninKakuninFile = JukinetFile<HoninKakuninJoho>;

impl JukinetFile<ShomeishoJoho> {
    /// `JS01` 全件: every row, as the CS holds them at `created`.
    pub fn zenken(created: Nichiji, rows: Vec<ShomeishoJoho>) -> Self {
        Self {
            header: FileHeader {
                id: FileId::ShomeishoZenken,
                created,
                period: None,
            },
            records: rows,
        }
    }

    /// `JS02` 差分: the rows changed after `since`, for the period (`since`, `created`]
    /// (see [`delta`]).
    pub fn sabun(created: Nichiji, since: Nichiji, all_rows: &[ShomeishoJoho]) -> Self {
        Self {
            header: FileHeader {
                id: FileId::ShomeishoSabun,
                created,
                period: Some(Kikan {
                    since,
                    until: created,
                }),
            },
            records: delta(all_rows, since.get()),
        }
    }
}

impl JukinetFile<HoninKakuninJoho> {
    /// `JH01`: the 本人確認情報 asked for.
    pub fn honin_kakunin(created: Nichiji, records: Vec<HoninKakuninJoho>) -> Self {
        Self {
            header: FileHeader {
                id: FileId::HoninKakunin,
                created,
                period: None,
            },
            records,
        }
    }
}
