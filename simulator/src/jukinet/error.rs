//! What can be wrong with a file, said so that a vendor engineer can act on it.
//!
//! Every error names the form (CSV, 固定長, 外字例外ファイル), the line or record, the item, what is
//! wrong, and the section of `docs/jukinet-formats.md` that defines the rule.

use std::fmt;

use renkei_fixtures::ids::IdError;

/// The three kinds of file this module reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileForm {
    /// UTF-8 CSV.
    Csv,
    /// Fixed-length Shift_JIS.
    Fixed,
    /// 外字例外ファイル (UTF-8 CSV beside a fixed-length file).
    Exceptions,
}

impl FileForm {
    /// The form's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "CSV形式",
            Self::Fixed => "固定長形式",
            Self::Exceptions => "外字例外ファイル",
        }
    }

    /// The section of `docs/jukinet-formats.md` that defines the form.
    pub fn section(self) -> &'static str {
        match self {
            Self::Csv => "docs/jukinet-formats.md「CSV形式」",
            Self::Fixed => "docs/jukinet-formats.md「固定長形式」",
            Self::Exceptions => "docs/jukinet-formats.md「外字例外ファイル」",
        }
    }
}

/// What is wrong with one value, one record or one file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// An identifier that its type refuses (住民票コード, 個人番号, シリアル番号).
    #[error("{0}")]
    Id(IdError),
    /// A numeric item holds something other than ASCII digits.
    #[error("「{value}」に半角数字以外の文字があります")]
    NotDigits { value: String },
    /// Not a date in the form's shape, or not a real day.
    #[error("「{value}」は日付 (CSV は YYYY-MM-DD、固定長は YYYYMMDD) として読めません")]
    Hizuke { value: String },
    /// Not a time in the form's shape.
    #[error(
        "「{value}」は日時 (CSV は YYYY-MM-DDThh:mm:ss+09:00、固定長は YYYYMMDDhhmmss) として読めません"
    )]
    Nichiji { value: String },
    /// A date or time whose year has not four digits.
    #[error("年が1〜9999の範囲にないため書けません")]
    Year,
    /// A code that is not in its code table.
    #[error("「{value}」はコード表にありません (使えるのは {allowed})")]
    Kubun { value: String, allowed: String },
    /// The 状態 column disagrees with the dates.
    #[error("状態が「{found}」ですが、作成日時の日付 {day} で日付から判定すると「{derived}」です")]
    Jotai {
        found: &'static str,
        derived: &'static str,
        day: String,
    },
    /// `Some("")` for an optional text: it would read back as `None`.
    #[error("空の文字列は「値なし」と区別できません (値がないときは None にします)")]
    EmptyOptional,
    /// A text ending in a blank: the reader strips blanks as padding.
    #[error("末尾の空白 (半角・全角) は埋め草と区別できないため書けません")]
    TrailingBlank,
    /// A value longer than a numeric or 半角 item.
    #[error("「{value}」は{width}バイトの項目に入りません")]
    TooLong { value: String, width: usize },
    /// A 半角 item holding something other than printable ASCII.
    #[error("「{value}」に半角英数字以外の文字があります")]
    NotAscii { value: String },
    /// A fixed-length record of the wrong length.
    #[error("レコード長が{got}バイトです ({expected}バイトに CRLF が続くべきです)")]
    RecordLength { expected: usize, got: usize },
    /// A line that does not end in CRLF.
    #[error("行末が CRLF ではありません")]
    LineEnd,
    /// Bytes that are not Shift_JIS.
    #[error("Shift_JIS として読めないバイト列です ({hex})")]
    BadBytes { hex: String },
    /// A character Shift_JIS can hold but renkei's repertoire (JIS X 0208) does not.
    #[error(
        "「{ch}」({code}, Shift_JIS {hex}) は JIS X 0208 の文字ではありません (外字は〓と外字例外ファイルで表します)"
    )]
    NotInRepertoire { ch: char, code: String, hex: String },
    /// The record-kind byte is not the one expected here.
    #[error("レコード区分が「{found}」です (ここは「{expected}」{what}であるべきです)")]
    RecordKubun {
        expected: &'static str,
        what: &'static str,
        found: String,
    },
    /// Data records are not numbered 1, 2, 3, ….
    #[error("レコード番号が{found}です ({expected}であるべきです)")]
    RecordBango { expected: usize, found: String },
    /// The 予備 area holds something other than blanks.
    #[error("予備に空白以外の文字があります")]
    Yobi,
    /// The header (or trailer) count disagrees with the data records.
    #[error("データ件数が{stated}件ですが、データレコードは{actual}件です")]
    Count { stated: String, actual: usize },
    /// A file of another kind than the reader expects.
    #[error("ファイルID「{found}」はここで読めるファイルではありません (読めるのは {allowed})")]
    FileId { found: String, allowed: String },
    /// The trailer names another file than the header.
    #[error("トレーラのファイルID「{trailer}」がヘッダの「{header}」と違います")]
    TrailerFileId { header: String, trailer: String },
    /// A delta file without its period.
    #[error("差分ファイル (JS02) には対象期間開始と対象期間終了が要ります")]
    PeriodMissing,
    /// A period on a file that is not a delta.
    #[error("対象期間は差分ファイル (JS02) だけに書きます")]
    PeriodUnexpected,
    /// A period whose bounds are out of order.
    #[error("対象期間が 開始 {since} ≤ 終了 {until} ≤ 作成日時 {created} になっていません")]
    PeriodOrder {
        since: String,
        until: String,
        created: String,
    },
    /// A row stamped later than the file was made.
    #[error("更新日時 {koshin} が作成日時 {created} より後です")]
    AfterCreated { koshin: String, created: String },
    /// A row of a delta file outside the file's period.
    #[error("更新日時 {koshin} が対象期間 ({since} より後、{until} まで) の外です")]
    OutsidePeriod {
        koshin: String,
        since: String,
        until: String,
    },
    /// A CSV file starting with a byte-order mark.
    #[error("先頭に BOM があります (renkei の CSV は BOM を付けません)")]
    Bom,
    /// Bytes that are not UTF-8 in a CSV file.
    #[error("UTF-8 として読めません")]
    Utf8,
    /// A CSV line with the wrong number of columns.
    #[error("列が{got}個あります ({expected}個であるべきです)")]
    ColumnCount { expected: usize, got: usize },
    /// A CSV header line with the wrong column name.
    #[error("列名が「{found}」です (「{expected}」であるべきです)")]
    ColumnName {
        expected: &'static str,
        found: String,
    },
    /// A line (or record) that should be there is not.
    #[error("{what}がありません")]
    Missing { what: &'static str },
    /// A `"` where RFC 4180 does not allow one.
    #[error("引用符の使い方が RFC 4180 に合いません: {reason}")]
    Quote { reason: &'static str },
    /// An empty line in a CSV file.
    #[error("空の行があります")]
    EmptyLine,
    /// Lines after the last record.
    #[error("{what}の後に余分な行があります")]
    Extra { what: &'static str },
    /// What the CSV parser reported.
    #[error("CSV として読めません: {0}")]
    Csv(String),
    /// An exception row naming an item that is not a 全角 text item of the file.
    #[error(
        "「{name}」はこのファイルの全角の文字項目ではありません (外字例外は全角項目にだけ出ます)"
    )]
    NotMojiItem { name: String },
    /// 元の文字 not written as `U+XXXX`.
    #[error("「{value}」は U+XXXX の形の1文字ではありません")]
    CodePoint { value: String },
    /// An exception kind that is not 外字 or 桁あふれ.
    #[error("種別「{value}」は「外字」でも「桁あふれ」でもありません")]
    Shubetsu { value: String },
    /// An exception row whose 元の文字 is not at its 文字位置 in 元の値.
    #[error("元の値の{position}文字目は{found}で、元の文字 {expected} と合いません")]
    ReigaiMoji {
        position: String,
        expected: String,
        found: String,
    },
}

impl From<IdError> for Problem {
    fn from(error: IdError) -> Self {
        Self::Id(error)
    }
}

/// A problem found while reading a file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub form: FileForm,
    /// 1-based line of the file (for CSV, the line on which the record starts).
    pub line: usize,
    /// The item (column) the problem is in, when it is in one.
    pub field: Option<&'static str>,
    pub problem: Problem,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}行目", self.form.name(), self.line)?;
        if let Some(field) = self.field {
            write!(f, " 項目「{field}」")?;
        }
        write!(f, ": {} ({})", self.problem, self.form.section())
    }
}

impl std::error::Error for ReadError {}

/// A value a writer cannot put into a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteError {
    pub form: FileForm,
    /// 1-based data record, or 0 for the header.
    pub record: usize,
    pub field: Option<&'static str>,
    pub problem: Problem,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} 書き出し ", self.form.name())?;
        if self.record == 0 {
            f.write_str("ヘッダ")?;
        } else {
            write!(f, "{}件目のレコード", self.record)?;
        }
        if let Some(field) = self.field {
            write!(f, " 項目「{field}」")?;
        }
        write!(f, ": {} ({})", self.problem, self.form.section())
    }
}

impl std::error::Error for WriteError {}

/// A problem with one value of a row, by its column index; the caller adds where the row is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Index into the item list the row follows.
    pub index: usize,
    pub problem: Problem,
}

impl RowError {
    pub(crate) fn new(index: usize, problem: impl Into<Problem>) -> Self {
        Self {
            index,
            problem: problem.into(),
        }
    }
}

/// Why an exception file cannot be applied to a fixed-length file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("外字例外ファイル: {}: {problem} (docs/jukinet-formats.md「復元」)", where_(*.record, .field))]
pub struct RestoreError {
    /// レコード番号 of the row.
    pub record: usize,
    pub field: String,
    pub problem: RestoreProblem,
}

fn where_(record: usize, field: &str) -> String {
    format!("レコード番号{record} 項目「{field}」")
}

/// What does not fit between a fixed-length file and its exception file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreProblem {
    /// The exception row belongs to another file.
    #[error("ファイルID「{exceptions}」の例外を「{file}」のファイルに当てようとしています")]
    FileId {
        exceptions: &'static str,
        file: &'static str,
    },
    /// The row names a record the file does not have.
    #[error("ファイルにはデータレコードが{count}件しかありません")]
    NoSuchRecord { count: usize },
    /// The row names an item that is not a 全角 text item of the record.
    #[error("全角の文字項目ではありません")]
    NotMojiItem,
    /// Rows for one item give different 元の値.
    #[error("同じ項目の行で元の値が違います (「{first}」と「{other}」)")]
    ValuesDiffer { first: String, other: String },
    /// The file's value is not what writing 元の値 gives.
    #[error(
        "固定長ファイルの値「{found}」は、元の値「{original}」を書いた結果「{expected}」と違います"
    )]
    ValueMismatch {
        found: String,
        original: String,
        expected: String,
    },
    /// The rows are not the ones writing 元の値 gives.
    #[error("例外の行が、元の値「{original}」を書いたときの行 ({expected}) と違います")]
    RowsMismatch { original: String, expected: String },
    /// The restored value is refused by the record.
    #[error("{0}")]
    Record(Problem),
}
