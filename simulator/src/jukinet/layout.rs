//! 項目定義: the items of every record, defined once.
//!
//! One table per record kind ([`Komoku`] lists in `record.rs`, the header and trailer here) gives
//! each item its name, what kind of value it holds ([`Atai`]), and its width in the fixed-length
//! form. The CSV columns, the fixed-length layouts and the tables in `docs/jukinet-formats.md`
//! all come from these tables, so they cannot disagree.

use super::file::FileId;
use super::record::Record;

/// What kind of value an item holds; decides how it is written in each form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Atai {
    /// 番号: an identifier of a fixed number of digits (住民票コード, 個人番号); the same text in both forms.
    Bango,
    /// 数値: a whole number; in CSV without leading zeros, in the fixed form zero-padded.
    Suuchi,
    /// 区分: a one-digit code from a code table.
    Kubun,
    /// 日付: CSV `YYYY-MM-DD`, fixed `YYYYMMDD`; absent = empty / `00000000`.
    Hizuke,
    /// 日時 (JST, whole seconds): CSV `YYYY-MM-DDThh:mm:ss+09:00`, fixed `YYYYMMDDhhmmss`;
    /// absent = empty / all zeros.
    Nichiji,
    /// 文字: text as the resident's record holds it.
    Moji,
    /// 英数字: ASCII text (ファイルID, レコード区分).
    Eisuu,
    /// 予備: blanks, room for later items (fixed form only).
    Yobi,
}

impl Atai {
    /// How the value is written in the fixed-length form.
    pub fn kata(self) -> Kata {
        match self {
            Self::Bango | Self::Suuchi | Self::Kubun | Self::Hizuke | Self::Nichiji => Kata::Suuji,
            Self::Moji => Kata::Zenkaku,
            Self::Eisuu | Self::Yobi => Kata::Hankaku,
        }
    }

    /// The word used in the docs' tables.
    pub fn meisho(self) -> &'static str {
        match self {
            Self::Bango => "番号",
            Self::Suuchi => "数値",
            Self::Kubun => "区分",
            Self::Hizuke => "日付",
            Self::Nichiji => "日時",
            Self::Moji => "文字",
            Self::Eisuu => "英数字",
            Self::Yobi => "予備",
        }
    }

    /// How the value looks in CSV, for the docs.
    pub fn csv_form(self) -> &'static str {
        match self {
            Self::Bango => "半角数字 (桁数固定、先頭の0も書く)",
            Self::Suuchi => "半角数字 (先頭に0を付けない)",
            Self::Kubun => "コード1桁",
            Self::Hizuke => "`YYYY-MM-DD`",
            Self::Nichiji => "`YYYY-MM-DDThh:mm:ss+09:00`",
            Self::Moji => "UTF-8 のまま",
            Self::Eisuu => "半角英数字",
            Self::Yobi => "—",
        }
    }
}

/// The three kinds of item in the fixed-length form (the COBOL-style 9 / X / N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kata {
    /// 9 (数字): ASCII digits, right-aligned, padded on the left with `0`.
    Suuji,
    /// X (半角): printable ASCII, left-aligned, padded on the right with ASCII spaces (0x20).
    Hankaku,
    /// N (全角): JIS X 0208 text, left-aligned, padded on the right with 全角空白 (U+3000,
    /// 0x8140) and one ASCII space when one byte is left over. 外字 and overflow go through the
    /// 外字例外ファイル.
    Zenkaku,
}

impl Kata {
    /// The letter used in the docs' tables.
    pub fn letter(self) -> &'static str {
        match self {
            Self::Suuji => "9",
            Self::Hankaku => "X",
            Self::Zenkaku => "N",
        }
    }
}

/// One item (項目) of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Komoku {
    /// 項目名: the CSV column name, the name in errors and in the exception file.
    pub name: &'static str,
    pub atai: Atai,
    /// Width in bytes in the fixed-length form.
    pub width: usize,
    /// What the item means (for the docs).
    pub naiyou: &'static str,
}

impl Komoku {
    /// The item's fixed-length kind.
    pub fn kata(&self) -> Kata {
        self.atai.kata()
    }
}

/// The three kinds of record in a fixed-length file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKubun {
    /// ヘッダレコード: one, first.
    Header,
    /// データレコード: one per row.
    Data,
    /// トレーラレコード: one, last.
    Trailer,
}

impl RecordKubun {
    /// The record-kind byte.
    pub fn code(self) -> &'static str {
        match self {
            Self::Header => "1",
            Self::Data => "2",
            Self::Trailer => "9",
        }
    }

    /// The record's name.
    pub fn meisho(self) -> &'static str {
        match self {
            Self::Header => "ヘッダレコード",
            Self::Data => "データレコード",
            Self::Trailer => "トレーラレコード",
        }
    }
}

/// レコード区分: the first byte of every fixed-length record.
pub const RECORD_KUBUN: Komoku = Komoku {
    name: "レコード区分",
    atai: Atai::Eisuu,
    width: 1,
    naiyou: "`1` ヘッダ / `2` データ / `9` トレーラ",
};

/// レコード番号: numbers the data records 1, 2, 3, …; the 外字例外ファイル refers to it.
pub const RECORD_BANGO: Komoku = Komoku {
    name: "レコード番号",
    atai: Atai::Suuchi,
    width: 8,
    naiyou: "データレコードの連番 (1から)。外字例外ファイルのレコード番号",
};

/// 予備 fills header and trailer records to the length of the data record.
pub const YOBI: &str = "予備";

/// The file header: in CSV its first two lines, in the fixed form the header record.
pub const HEADER_ITEMS: &[Komoku] = &[
    Komoku {
        name: "ファイルID",
        atai: Atai::Eisuu,
        width: 4,
        naiyou: "ファイルの種類 (renkei が定めた4文字。ファイル一覧を参照)",
    },
    Komoku {
        name: "作成日時",
        atai: Atai::Nichiji,
        width: 14,
        naiyou: "ファイルを作った日時。状態はこの日時の日付で判定する",
    },
    Komoku {
        name: "対象期間開始",
        atai: Atai::Nichiji,
        width: 14,
        naiyou: "差分ファイルだけ: この日時より後 (この日時を含まない) に更新された行が入る。ほかのファイルでは値なし",
    },
    Komoku {
        name: "対象期間終了",
        atai: Atai::Nichiji,
        width: 14,
        naiyou: "差分ファイルだけ: この日時まで (含む)。ほかのファイルでは値なし",
    },
    Komoku {
        name: "データ件数",
        atai: Atai::Suuchi,
        width: 8,
        naiyou: "データレコードの件数",
    },
];

/// The trailer record of the fixed form: the count again, so a cut file shows.
pub const TRAILER_ITEMS: &[Komoku] = &[
    Komoku {
        name: "ファイルID",
        atai: Atai::Eisuu,
        width: 4,
        naiyou: "ヘッダと同じ",
    },
    Komoku {
        name: "データ件数",
        atai: Atai::Suuchi,
        width: 8,
        naiyou: "ヘッダと同じ",
    },
];

/// Total width of a list of items.
pub fn width_of(items: &[Komoku]) -> usize {
    items.iter().map(|k| k.width).sum()
}

/// The fixed-length record length of a file kind (without CRLF): the data record's width.
pub fn record_length(file: FileId) -> usize {
    RECORD_KUBUN.width + RECORD_BANGO.width + width_of(file.items())
}

/// The complete fixed-length layout of one kind of record in a file of kind `file`.
pub fn fixed_layout(file: FileId, kubun: RecordKubun) -> Vec<Komoku> {
    let mut items = vec![RECORD_KUBUN];
    match kubun {
        RecordKubun::Header => items.extend_from_slice(HEADER_ITEMS),
        RecordKubun::Data => {
            items.push(RECORD_BANGO);
            items.extend_from_slice(file.items());
        }
        RecordKubun::Trailer => items.extend_from_slice(TRAILER_ITEMS),
    }
    let used = width_of(&items);
    let length = record_length(file);
    if used < length {
        items.push(Komoku {
            name: YOBI,
            atai: Atai::Yobi,
            width: length - used,
            naiyou: "空白 (0x20)",
        });
    }
    items
}

/// The fixed-length layout of the files of record `R` as Markdown: header, data and trailer
/// records, with byte positions. `docs/jukinet-formats.md` holds this text verbatim (a test
/// checks it).
pub fn fixed_layout_markdown<R: Record>() -> String {
    let file = R::FILE_IDS[0];
    let mut out = format!(
        "#### {} ({}) — レコード長 {} バイト + CRLF\n",
        R::MEISHO,
        ids::<R>(),
        record_length(file)
    );
    for kubun in [RecordKubun::Header, RecordKubun::Data, RecordKubun::Trailer] {
        out.push_str(&format!(
            "\n{} (レコード区分 `{}`)\n\n| No | 項目名 | 型 | バイト数 | 位置 | 値 | 内容 |\n|---|---|---|---|---|---|---|\n",
            kubun.meisho(),
            kubun.code()
        ));
        let mut start = 1;
        for (no, item) in fixed_layout(file, kubun).iter().enumerate() {
            let end = start + item.width - 1;
            out.push_str(&format!(
                "| {} | {} | {} | {} | {}–{} | {} | {} |\n",
                no + 1,
                item.name,
                item.kata().letter(),
                item.width,
                start,
                end,
                item.atai.meisho(),
                item.naiyou
            ));
            start = end + 1;
        }
    }
    out
}

/// The CSV columns of the files of record `R` as Markdown (line 3, and one record a line
/// after it). `docs/jukinet-formats.md` holds this text verbatim (a test checks it).
pub fn csv_columns_markdown<R: Record>() -> String {
    let mut out = format!(
        "#### {} ({})\n\n| No | 列名 | 値 | 書き方 | 内容 |\n|---|---|---|---|---|\n",
        R::MEISHO,
        ids::<R>()
    );
    out.push_str(&item_rows(R::ITEMS));
    out
}

fn ids<R: Record>() -> String {
    R::FILE_IDS
        .iter()
        .map(|f| f.id())
        .collect::<Vec<_>>()
        .join(", ")
}

fn item_rows(items: &[Komoku]) -> String {
    let mut out = String::new();
    for (no, item) in items.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            no + 1,
            item.name,
            item.atai.meisho(),
            item.atai.csv_form(),
            item.naiyou
        ));
    }
    out
}

/// The CSV file header (lines 1 and 2, the same for every file kind) as Markdown.
pub fn csv_header_markdown() -> String {
    let mut out = String::from("| No | 列名 | 値 | 書き方 | 内容 |\n|---|---|---|---|---|\n");
    out.push_str(&item_rows(HEADER_ITEMS));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_of_a_file_has_the_same_length() {
        for file in FileId::ALL {
            for kubun in [RecordKubun::Header, RecordKubun::Data, RecordKubun::Trailer] {
                assert_eq!(
                    width_of(&fixed_layout(file, kubun)),
                    record_length(file),
                    "{} {}",
                    file.id(),
                    kubun.meisho()
                );
            }
        }
        assert_eq!(record_length(FileId::ShomeishoZenken), 80);
        assert_eq!(record_length(FileId::HoninKakunin), 295);
    }

    #[test]
    fn text_items_hold_at_least_the_marker_and_whole_characters() {
        // A 全角 item must fit 〓 (2 bytes) and be a whole number of 全角 characters.
        for file in FileId::ALL {
            for item in file.items() {
                if item.kata() == Kata::Zenkaku {
                    assert!(item.width >= 2 && item.width % 2 == 0, "{}", item.name);
                }
            }
        }
    }

    #[test]
    fn item_names_are_unique_within_a_record() {
        for file in FileId::ALL {
            let layout = fixed_layout(file, RecordKubun::Data);
            for (i, a) in layout.iter().enumerate() {
                assert!(
                    layout[i + 1..].iter().all(|b| b.name != a.name),
                    "{}",
                    a.name
                );
            }
        }
    }
}
