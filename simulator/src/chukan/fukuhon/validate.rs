//! Checking one record against the データ標準レイアウト, and the 処理結果 rows that say why.
//!
//! Which layout a record is checked against (seed 004 §2.2, §2.4): the record names its
//! 特定個人情報, データセット and メジャーバージョン; the 中間サーバー accepts, for 登録 and 更新,
//! the edition in force on the processing day and any later edition already published (新版の
//! 副本 must be registered *before* its linkage starts, §2.2). An older edition is refused: after
//! a メジャー改版 the old version is no longer linked (§2.4 #16), and an abolished dataset is
//! gone (§2.4 #31). 削除 may name any edition: deleting old-version 副本 is exactly what §2.4
//! asks of a 団体, and needs no 副本 body.
//!
//! The items (seed 003 §3-4): a known name; `X` any text of at most `digits` characters; `9`
//! ASCII digits only, at most `digits`; `S9` an optional leading `-` then the same; 出現回数 1 at
//! most once, N at most its maximum; a 必須 item present with a value or a NULL理由. An empty
//! item without NULL理由 counts as absent.
//!
//! Each rule has a [`KekkaCode`], listed with its title in `docs/chukan-fukuhon-file.md`.

use std::collections::HashSet;
use std::fmt;

use renkei_fixtures::catalog::{DataType, Dataset, LayoutCatalog, Occurrence, TokuteiKojinJoho};
use renkei_fixtures::ids::{TokuteiKojinJohoMeiCode, TougouAtenaBango};
use time::Date;
use time::macros::format_description;

use super::file::{NullReason, RawItem, RawRecord, RecordField, ShoriKubun};

/// The longest レコード識別番号 renkei accepts (renkei-defined: the real limit is not public).
pub const MAX_RECORD_ID_CHARS: usize = 20;
/// The longest データセットレコードキー renkei accepts (renkei-defined).
pub const MAX_RECORD_KEY_CHARS: usize = 64;

/// 処理結果 of a record: 正常 or エラー.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// 正常: the record passed every rule.
    Seijou,
    /// エラー: the record broke a rule; it is not registered.
    Error,
}

impl Status {
    /// The word in a result file.
    pub fn word(self) -> &'static str {
        match self {
            Self::Seijou => "正常",
            Self::Error => "エラー",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// The rule a record broke. Codes are renkei's (the real ones are not public); the titles and
/// codes are listed in `docs/chukan-fukuhon-file.md` (checked by a test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KekkaCode {
    /// The レコード識別番号 was already used in the file (the real message, DOMAIN.md).
    DuplicateRecordId,
    /// A record element that must be there is missing or empty.
    MissingElement,
    /// A record element's value has the wrong form.
    BadElement,
    /// The 特定個人情報名コード is not in the layouts.
    UnknownTokutei,
    /// 公開終了日 before 公開日.
    KoukaiPeriod,
    /// The dataset is not in an edition the record may use.
    UnknownDataset,
    /// The dataset's メジャーバージョン is not one in force.
    VersionNotInForce,
    /// 登録 or 更新 without a 副本.
    MissingBody,
    /// An item the dataset does not have.
    UnknownItem,
    /// An `X` item longer than its digits.
    TooLong,
    /// A `9` / `S9` item that is not a number of its type.
    NotNumeric,
    /// A `9` / `S9` item with more digits than its digits.
    TooManyDigits,
    /// An item repeated more than its 出現回数.
    Occurrence,
    /// A 必須 item without value or NULL理由.
    MissingItem,
    /// A NULL理由 that is not a code, or given with a value.
    BadNullReason,
    /// The 団体内統合宛名番号 is another tenant's resident (checked by the night batch).
    OtherTenant,
    /// 登録 of a key already registered (checked by the night batch against the stored 副本).
    AlreadyRegistered,
    /// 更新 / 削除 of a key not registered (checked by the night batch).
    NotRegistered,
}

impl KekkaCode {
    /// All codes, in order.
    pub const ALL: [KekkaCode; 18] = [
        Self::DuplicateRecordId,
        Self::MissingElement,
        Self::BadElement,
        Self::UnknownTokutei,
        Self::KoukaiPeriod,
        Self::UnknownDataset,
        Self::VersionNotInForce,
        Self::MissingBody,
        Self::UnknownItem,
        Self::TooLong,
        Self::NotNumeric,
        Self::TooManyDigits,
        Self::Occurrence,
        Self::MissingItem,
        Self::BadNullReason,
        Self::OtherTenant,
        Self::AlreadyRegistered,
        Self::NotRegistered,
    ];

    /// The code in a result row: `FK01` … `FK18`.
    pub fn code(self) -> &'static str {
        match self {
            Self::DuplicateRecordId => "FK01",
            Self::MissingElement => "FK02",
            Self::BadElement => "FK03",
            Self::UnknownTokutei => "FK04",
            Self::KoukaiPeriod => "FK05",
            Self::UnknownDataset => "FK06",
            Self::VersionNotInForce => "FK07",
            Self::MissingBody => "FK08",
            Self::UnknownItem => "FK09",
            Self::TooLong => "FK10",
            Self::NotNumeric => "FK11",
            Self::TooManyDigits => "FK12",
            Self::Occurrence => "FK13",
            Self::MissingItem => "FK14",
            Self::BadNullReason => "FK15",
            Self::OtherTenant => "FK16",
            Self::AlreadyRegistered => "FK17",
            Self::NotRegistered => "FK18",
        }
    }

    /// A short Japanese title of the rule.
    pub fn title(self) -> &'static str {
        match self {
            Self::DuplicateRecordId => "レコード識別番号の重複",
            Self::MissingElement => "必須要素なし",
            Self::BadElement => "要素の形式誤り",
            Self::UnknownTokutei => "特定個人情報名コードが未定義",
            Self::KoukaiPeriod => "公開期間の誤り",
            Self::UnknownDataset => "データセットが有効な版にない",
            Self::VersionNotInForce => "メジャーバージョンが有効でない",
            Self::MissingBody => "副本なし",
            Self::UnknownItem => "項目が未定義",
            Self::TooLong => "文字数超過 (X)",
            Self::NotNumeric => "数字でない (9 / S9)",
            Self::TooManyDigits => "桁数超過 (9 / S9)",
            Self::Occurrence => "出現回数超過",
            Self::MissingItem => "必須項目なし",
            Self::BadNullReason => "NULL理由の誤り",
            Self::OtherTenant => "他団体の住民",
            Self::AlreadyRegistered => "登録済み",
            Self::NotRegistered => "未登録",
        }
    }
}

impl fmt::Display for KekkaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a record failed: the rule, the element or item, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KekkaError {
    /// The rule broken.
    pub code: KekkaCode,
    /// The element (e.g. `レコード識別番号`) or layout item (e.g. `市区町村民税所得割額`).
    pub item: String,
    /// Japanese, naming the rule and the value.
    pub message: String,
}

/// One 処理結果 row: for a valid record one 正常 row; for an invalid one an エラー row per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kekka {
    /// レコード識別番号 as written (empty when missing).
    pub record_id: String,
    /// The record's position in the file, from 1.
    pub record_number: u64,
    /// `None` for 正常.
    pub error: Option<KekkaError>,
}

impl Kekka {
    /// 正常 or エラー.
    pub fn status(&self) -> Status {
        if self.error.is_some() {
            Status::Error
        } else {
            Status::Seijou
        }
    }
}

impl fmt::Display for Kekka {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}件目 レコード識別番号「{}」: {}",
            self.record_number,
            self.record_id,
            self.status()
        )?;
        if let Some(error) = &self.error {
            write!(f, " {} [{}] {}", error.code, error.item, error.message)?;
        }
        Ok(())
    }
}

/// An item's content in a valid 副本.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemValue {
    /// The value, checked against its type and digits.
    Value(String),
    /// Empty, for this reason.
    Null(NullReason),
}

/// One item of a valid 副本 (empty items without NULL理由 are dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FukuhonItem {
    /// The item's name in the layout.
    pub name: String,
    /// Value or NULL理由.
    pub value: ItemValue,
}

/// A record that passed every rule, in types that hold only valid values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FukuhonRecord {
    /// Position in the file, from 1.
    pub number: u64,
    /// レコード識別番号.
    pub record_id: String,
    /// 登録 / 更新 / 削除.
    pub kubun: ShoriKubun,
    /// The person.
    pub atena: TougouAtenaBango,
    /// The 特定個人情報.
    pub tokutei: TokuteiKojinJohoMeiCode,
    /// データセット識別項目コード.
    pub dataset: String,
    /// データセットレコードキー.
    pub record_key: String,
    /// メジャーバージョン.
    pub major_version: u16,
    /// The edition of the layout the record was checked against (`R1.6`).
    pub edition: String,
    /// 公開日 (always present for 登録 and 更新).
    pub koukai_start: Option<Date>,
    /// 公開終了日.
    pub koukai_end: Option<Date>,
    /// The 副本's items in file order; empty for a 削除 without body.
    pub items: Vec<FukuhonItem>,
}

/// What [`Validator::check`] says of one record: its 処理結果 rows, and the record itself when
/// it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// One 正常 row, or one エラー row per problem.
    pub kekka: Vec<Kekka>,
    /// The valid record (`None` when any row is an error).
    pub record: Option<FukuhonRecord>,
}

/// A record that passed every rule, borrowed from the [`RawRecord`] it was read from: what a
/// [`FukuhonRecord`] holds, without the copies (the night batch writes it straight to the
/// store).
pub(crate) struct Valid<'r> {
    pub number: u64,
    pub record_id: &'r str,
    pub kubun: ShoriKubun,
    pub atena: TougouAtenaBango,
    pub tokutei: TokuteiKojinJohoMeiCode,
    pub dataset: &'r str,
    pub record_key: &'r str,
    pub major_version: u16,
    /// The edition checked against, from the catalog.
    pub edition: &'r str,
    pub koukai_start: Option<Date>,
    pub koukai_end: Option<Date>,
    /// The 副本's items as written, the dropped ones too ([`Valid::items`] leaves them out).
    body: &'r [RawItem],
}

/// An item's content in a valid 副本, borrowed ([`Valid::items`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemRef<'r> {
    Value(&'r str),
    Null(NullReason),
}

impl<'r> Valid<'r> {
    /// The items the 副本 keeps, in file order: the ones with a value or a NULL理由 (an empty
    /// item without NULL理由 counts as absent). Every one is known and checked, since the record
    /// is valid.
    pub fn items(&self) -> impl Iterator<Item = (&'r str, ItemRef<'r>)> + use<'r> {
        self.body.iter().filter_map(|item| {
            let value = match &item.null_reason {
                Some(code) => ItemRef::Null(NullReason::from_code(code)?),
                None if item.value.is_empty() => return None,
                None => ItemRef::Value(&item.value),
            };
            Some((item.name.as_str(), value))
        })
    }

    /// The record with its text copied; with `items` false its items are left empty, for a
    /// caller that writes them from [`Valid::items`] itself.
    pub fn to_record(&self, items: bool) -> FukuhonRecord {
        FukuhonRecord {
            number: self.number,
            record_id: self.record_id.to_owned(),
            kubun: self.kubun,
            atena: self.atena,
            tokutei: self.tokutei,
            dataset: self.dataset.to_owned(),
            record_key: self.record_key.to_owned(),
            major_version: self.major_version,
            edition: self.edition.to_owned(),
            koukai_start: self.koukai_start,
            koukai_end: self.koukai_end,
            items: if items {
                self.items()
                    .map(|(name, value)| FukuhonItem {
                        name: name.to_owned(),
                        value: match value {
                            ItemRef::Value(text) => ItemValue::Value(text.to_owned()),
                            ItemRef::Null(reason) => ItemValue::Null(reason),
                        },
                    })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// A レコード識別番号 that passed its form rule (at most [`MAX_RECORD_ID_CHARS`] ASCII bytes),
/// kept inline: the set of those seen holds one per record of the file without an allocation
/// each.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct SeenId {
    len: u8,
    bytes: [u8; MAX_RECORD_ID_CHARS],
}

impl SeenId {
    /// `id` must be at most [`MAX_RECORD_ID_CHARS`] bytes.
    fn new(id: &str) -> Self {
        let mut bytes = [0; MAX_RECORD_ID_CHARS];
        bytes[..id.len()].copy_from_slice(id.as_bytes());
        Self {
            len: id.len() as u8,
            bytes,
        }
    }
}

/// Checks the records of one file, in order, against the layouts in force on one day.
///
/// The only state that grows with the file is the set of レコード識別番号 seen (at most
/// [`MAX_RECORD_ID_CHARS`] bytes each), needed for the duplicate rule.
pub struct Validator<'c> {
    layouts: &'c LayoutCatalog,
    on: Date,
    /// Every well-formed レコード識別番号 seen so far in the file, valid record or not: the
    /// number identifies what was sent, not what was accepted.
    seen: HashSet<SeenId>,
    /// Occurrences and presence per layout item of the record being checked: kept between
    /// records so that checking allocates nothing for them.
    counts: Vec<u32>,
    present: Vec<bool>,
}

/// Problems found so far in one record.
struct Problems {
    rows: Vec<KekkaError>,
}

impl Problems {
    fn add(&mut self, code: KekkaCode, item: &str, message: String) {
        self.rows.push(KekkaError {
            code,
            item: item.to_owned(),
            message,
        });
    }
}

impl<'c> Validator<'c> {
    /// A validator for records processed on `on` (the simulator's clock).
    pub fn new(layouts: &'c LayoutCatalog, on: Date) -> Self {
        Self {
            layouts,
            on,
            seen: HashSet::new(),
            counts: Vec::new(),
            present: Vec::new(),
        }
    }

    /// Checks one record; every problem found is a row.
    pub fn check(&mut self, raw: &RawRecord) -> Checked {
        let mut problems = Problems { rows: Vec::new() };
        let record = self.check_record(raw, &mut problems);
        let record_id = raw.get(RecordField::RecordId).unwrap_or("").to_owned();
        let kekka: Vec<Kekka> = if problems.rows.is_empty() {
            vec![Kekka {
                record_id,
                record_number: raw.number,
                error: None,
            }]
        } else {
            problems
                .rows
                .into_iter()
                .map(|error| Kekka {
                    record_id: record_id.clone(),
                    record_number: raw.number,
                    error: Some(error),
                })
                .collect()
        };
        let valid = kekka.iter().all(|k| k.error.is_none());
        Checked {
            kekka,
            record: record.filter(|_| valid).map(|r| r.to_record(true)),
        }
    }

    /// Checks one record as [`check`](Self::check) does, without copying it: the record
    /// borrowed when it passed every rule, otherwise its problems (never none).
    pub(crate) fn verdict<'r>(&mut self, raw: &'r RawRecord) -> Result<Valid<'r>, Vec<KekkaError>>
    where
        'c: 'r,
    {
        let mut problems = Problems { rows: Vec::new() };
        match self.check_record(raw, &mut problems) {
            Some(valid) if problems.rows.is_empty() => Ok(valid),
            _ => Err(problems.rows),
        }
    }

    fn check_record<'r>(&mut self, raw: &'r RawRecord, p: &mut Problems) -> Option<Valid<'r>>
    where
        'c: 'r,
    {
        let record_id = self.record_id(raw, p);
        let kubun = required(raw, RecordField::ShoriKubun, p).and_then(|word| {
            let kubun = ShoriKubun::from_word(word);
            if kubun.is_none() {
                bad(
                    p,
                    RecordField::ShoriKubun,
                    format!("「{word}」は 登録・更新・削除 のいずれでもありません"),
                );
            }
            kubun
        });
        let atena = required(raw, RecordField::TougouAtenaBango, p).and_then(|text| {
            text.parse::<TougouAtenaBango>()
                .map_err(|e| bad(p, RecordField::TougouAtenaBango, e.to_string()))
                .ok()
        });
        let tokutei = required(raw, RecordField::TokuteiKojinJohoMeiCode, p).and_then(|text| {
            let code = text
                .parse::<TokuteiKojinJohoMeiCode>()
                .map_err(|e| bad(p, RecordField::TokuteiKojinJohoMeiCode, e.to_string()))
                .ok()?;
            let found = self.layouts.tokutei(&code);
            if found.is_none() {
                p.add(
                    KekkaCode::UnknownTokutei,
                    RecordField::TokuteiKojinJohoMeiCode.element(),
                    format!("特定個人情報名コード「{code}」はデータ標準レイアウトにありません"),
                );
            }
            found
        });
        let dataset = required(raw, RecordField::Dataset, p);
        let record_key = required(raw, RecordField::RecordKey, p).and_then(|key| {
            let chars = key.chars().count();
            if chars > MAX_RECORD_KEY_CHARS {
                bad(
                    p,
                    RecordField::RecordKey,
                    format!("{chars}文字です (最大{MAX_RECORD_KEY_CHARS}文字)"),
                );
                return None;
            }
            Some(key)
        });
        let major_version = required(raw, RecordField::MajorVersion, p).and_then(|text| {
            let parsed = text
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| text.parse::<u16>().ok())
                .flatten();
            if parsed.is_none() {
                bad(
                    p,
                    RecordField::MajorVersion,
                    format!("「{text}」は 0〜65535 の半角数字ではありません"),
                );
            }
            parsed
        });
        let (koukai_start, koukai_end) = self.koukai(raw, kubun, p);

        // The layout: only when everything that selects it is readable.
        let (tokutei, dataset, major_version, kubun) = (tokutei?, dataset?, major_version?, kubun?);
        let (edition, layout) = self.resolve(tokutei, dataset, major_version, kubun, p)?;
        let body: &[RawItem] = match &raw.body {
            None if kubun != ShoriKubun::Sakujo => {
                p.add(
                    KekkaCode::MissingBody,
                    "副本",
                    format!("処理区分「{kubun}」のレコードには副本が必要です"),
                );
                &[]
            }
            None => &[],
            Some(items) => {
                self.check_items(items, layout, edition, p);
                items
            }
        };
        Some(Valid {
            number: raw.number,
            record_id: record_id?,
            kubun,
            atena: atena?,
            tokutei: tokutei.code,
            dataset,
            record_key: record_key?,
            major_version,
            edition,
            koukai_start,
            koukai_end,
            body,
        })
    }

    /// レコード識別番号: present, 半角英数字 (and `-`, `_`) up to [`MAX_RECORD_ID_CHARS`],
    /// unique in the file.
    fn record_id<'r>(&mut self, raw: &'r RawRecord, p: &mut Problems) -> Option<&'r str> {
        let id = required(raw, RecordField::RecordId, p)?;
        let well_formed = id.len() <= MAX_RECORD_ID_CHARS
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            bad(
                p,
                RecordField::RecordId,
                format!(
                    "「{id}」は{MAX_RECORD_ID_CHARS}文字以内の半角英数字 (-, _ を含む) ではありません"
                ),
            );
            return None;
        }
        if !self.seen.insert(SeenId::new(id)) {
            // The real message (DOMAIN.md "Real error messages").
            p.add(
                KekkaCode::DuplicateRecordId,
                RecordField::RecordId.element(),
                "「レコード識別番号」が既に存在しています。".to_owned(),
            );
            return None;
        }
        Some(id)
    }

    /// 公開日 (required for 登録 and 更新) and 公開終了日 (optional, not before 公開日).
    fn koukai(
        &self,
        raw: &RawRecord,
        kubun: Option<ShoriKubun>,
        p: &mut Problems,
    ) -> (Option<Date>, Option<Date>) {
        let date = |field: RecordField, p: &mut Problems| -> Option<Date> {
            let text = raw.get(field).filter(|t| !t.is_empty())?;
            let parsed = Date::parse(text, format_description!("[year]-[month]-[day]")).ok();
            if parsed.is_none() {
                bad(
                    p,
                    field,
                    format!("「{text}」は YYYY-MM-DD の日付ではありません"),
                );
            }
            parsed
        };
        let needs_start = kubun.is_some_and(|k| k != ShoriKubun::Sakujo);
        if needs_start && raw.get(RecordField::KoukaiStart).is_none_or(str::is_empty) {
            missing(p, RecordField::KoukaiStart);
        }
        let start = date(RecordField::KoukaiStart, p);
        let end = date(RecordField::KoukaiEnd, p);
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            p.add(
                KekkaCode::KoukaiPeriod,
                RecordField::KoukaiEnd.element(),
                format!("公開終了日 {end} が公開日 {start} より前です"),
            );
        }
        (start, end)
    }

    /// The edition and dataset the record is checked against (module doc: which editions).
    fn resolve<'t>(
        &self,
        tokutei: &'t TokuteiKojinJoho,
        dataset: &str,
        major_version: u16,
        kubun: ShoriKubun,
        p: &mut Problems,
    ) -> Option<(&'c str, &'t Dataset)> {
        let editions = self.layouts.editions();
        let in_force = self
            .layouts
            .edition_in_force(self.on)
            .and_then(|e| editions.iter().position(|x| x.version == e.version))
            .unwrap_or(0);
        let allowed = if kubun == ShoriKubun::Sakujo {
            editions
        } else {
            &editions[in_force..]
        };
        let mut other_versions: Vec<u16> = Vec::new();
        for edition in allowed {
            let Some(found) = tokutei
                .layout(&edition.version)
                .and_then(|layout| layout.dataset(dataset))
            else {
                continue;
            };
            if found.major_version == major_version {
                return Some((&edition.version, found));
            }
            if !other_versions.contains(&found.major_version) {
                other_versions.push(found.major_version);
            }
        }
        let versions: Vec<&str> = allowed.iter().map(|e| e.version.as_str()).collect();
        let scope = if kubun == ShoriKubun::Sakujo {
            "どの版".to_owned()
        } else {
            format!("{} 時点で有効な版 ({})", self.on, versions.join(", "))
        };
        if other_versions.is_empty() {
            p.add(
                KekkaCode::UnknownDataset,
                RecordField::Dataset.element(),
                format!(
                    "データセット識別項目コード「{dataset}」は{scope}の{}にもありません (seed 004 §2.2, §2.4)",
                    tokutei.short_name
                ),
            );
        } else {
            let others: Vec<String> = other_versions.iter().map(u16::to_string).collect();
            p.add(
                KekkaCode::VersionNotInForce,
                RecordField::MajorVersion.element(),
                format!(
                    "データセット「{dataset}」のメジャーバージョン{major_version}は{scope}にありません (受け付けるメジャーバージョン: {}; seed 004 §2.4)",
                    others.join(", ")
                ),
            );
        }
        None
    }

    /// The items of a 副本 against its dataset.
    fn check_items(
        &mut self,
        items: &[RawItem],
        dataset: &Dataset,
        edition: &str,
        p: &mut Problems,
    ) {
        // Occurrences and presence per layout item, in layout order.
        self.counts.clear();
        self.counts.resize(dataset.items.len(), 0);
        self.present.clear();
        self.present.resize(dataset.items.len(), false);
        for raw in items {
            let Some(index) = dataset.items.iter().position(|i| i.name == raw.name) else {
                p.add(
                    KekkaCode::UnknownItem,
                    &raw.name,
                    format!(
                        "項目「{}」はデータセット{}「{}」({edition}版) にありません",
                        raw.name, dataset.code, dataset.name
                    ),
                );
                continue;
            };
            let item = &dataset.items[index];
            self.counts[index] += 1;
            match &raw.null_reason {
                Some(code) => {
                    if NullReason::from_code(code).is_none() {
                        p.add(
                            KekkaCode::BadNullReason,
                            &item.name,
                            format!(
                                "「{}」のNULL理由「{code}」は定義されていません (1:該当なし 2:未確定 3:不明)",
                                item.name
                            ),
                        );
                    }
                    if !raw.value.is_empty() {
                        p.add(
                            KekkaCode::BadNullReason,
                            &item.name,
                            format!(
                                "「{}」に値「{}」とNULL理由の両方があります",
                                item.name, raw.value
                            ),
                        );
                    }
                }
                None if raw.value.is_empty() => {}
                None => check_value(&item.name, item.data_type, item.digits, &raw.value, p),
            }
            // Written with a value or a NULL理由, right or wrong: one mistake gives one row, not
            // also 必須項目なし.
            self.present[index] |= raw.null_reason.is_some() || !raw.value.is_empty();
        }
        for ((item, &count), &present) in dataset.items.iter().zip(&self.counts).zip(&self.present)
        {
            let max = match item.occurrence {
                Occurrence::One => 1,
                Occurrence::Many { max } => u32::from(max),
            };
            if count > max {
                p.add(
                    KekkaCode::Occurrence,
                    &item.name,
                    format!(
                        "「{}」の出現回数は{}ですが{count}回あります",
                        item.name, item.occurrence
                    ),
                );
            }
            if item.required && !present {
                p.add(
                    KekkaCode::MissingItem,
                    &item.name,
                    format!("「{}」は必須ですが、値もNULL理由もありません", item.name),
                );
            }
        }
    }
}

/// The text of a field that must be there and not be empty.
fn required<'r>(raw: &'r RawRecord, field: RecordField, p: &mut Problems) -> Option<&'r str> {
    match raw.get(field) {
        Some(text) if !text.is_empty() => Some(text),
        _ => {
            missing(p, field);
            None
        }
    }
}

fn missing(p: &mut Problems, field: RecordField) {
    p.add(
        KekkaCode::MissingElement,
        field.element(),
        format!("「{}」がありません", field.element()),
    );
}

fn bad(p: &mut Problems, field: RecordField, why: String) {
    p.add(
        KekkaCode::BadElement,
        field.element(),
        format!("「{}」が不正です: {why}", field.element()),
    );
}

/// A value against its data type and digits (seed 003 §3-4).
fn check_value(name: &str, data_type: DataType, digits: u16, value: &str, p: &mut Problems) {
    // Only written for a problem: most values are right.
    let declared = || format!("「{name}」は{data_type}({digits})ですが「{value}」は");
    match data_type {
        DataType::X => {
            let chars = value.chars().count();
            if chars > usize::from(digits) {
                p.add(
                    KekkaCode::TooLong,
                    name,
                    format!("{}{chars}文字です", declared()),
                );
            }
        }
        DataType::Numeric | DataType::SignedNumeric => {
            let unsigned = match data_type {
                DataType::SignedNumeric => value.strip_prefix('-').unwrap_or(value),
                _ => value,
            };
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                let what = if data_type == DataType::Numeric {
                    "数字ではありません"
                } else {
                    "符号付きの数字ではありません"
                };
                p.add(KekkaCode::NotNumeric, name, format!("{}{what}", declared()));
            } else if unsigned.len() > usize::from(digits) {
                p.add(
                    KekkaCode::TooManyDigits,
                    name,
                    format!("{}{}桁です", declared(), unsigned.len()),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(name: &str, data_type: DataType, digits: u16, value: &str) -> Vec<KekkaError> {
        let mut p = Problems { rows: Vec::new() };
        check_value(name, data_type, digits, value, &mut p);
        p.rows
    }

    #[test]
    fn values_against_types() {
        assert!(rows("a", DataType::X, 4, "令和元年").is_empty());
        assert_eq!(
            rows("a", DataType::X, 3, "令和元年")[0].code,
            KekkaCode::TooLong
        );
        assert_eq!(
            rows("市町村民税所得割額", DataType::Numeric, 10, "12a")[0].message,
            "「市町村民税所得割額」は9(10)ですが「12a」は数字ではありません"
        );
        assert_eq!(
            rows("a", DataType::Numeric, 2, "-1")[0].code,
            KekkaCode::NotNumeric
        );
        assert!(rows("a", DataType::SignedNumeric, 2, "-12").is_empty());
        assert_eq!(
            rows("a", DataType::SignedNumeric, 2, "-123")[0].code,
            KekkaCode::TooManyDigits
        );
        for wrong in ["-", "+1", "1-", "--1", "１", " 1"] {
            assert_eq!(
                rows("a", DataType::SignedNumeric, 5, wrong)[0].code,
                KekkaCode::NotNumeric,
                "{wrong}"
            );
        }
    }

    #[test]
    fn codes_are_distinct() {
        let codes: HashSet<&str> = KekkaCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), KekkaCode::ALL.len());
    }
}
