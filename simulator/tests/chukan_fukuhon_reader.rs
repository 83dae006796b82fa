//! Reading the 副本登録・削除ファイル: one record at a time, errors that name the file, the record
//! and the element, never a panic.

use std::cell::Cell;
use std::io::{BufReader, Read};
use std::rc::Rc;

use proptest::prelude::*;
use renkei_fixtures::catalog::Catalogs;
use renkei_simulator::chukan::fukuhon::{
    FukuhonFileReader, Location, ReadError, ReadErrorKind, RecordField, Validator,
};
use time::macros::date;

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<SPIRegistrationDeleteList 版=\"1\">
  <ヘッダ>
    <ファイルID>FI_DBM_0001</ファイルID>
    <団体コード>131016</団体コード>
    <作成日時>2019-06-01T10:00:00+09:00</作成日時>
  </ヘッダ>
";
const TAIL: &str = "</SPIRegistrationDeleteList>\n";

/// A valid 医療保険料情報 record (TM…31, D3103) with the given レコード識別番号.
fn record(id: u64) -> String {
    format!(
        "  <レコード>
    <レコード識別番号>R{id:09}</レコード識別番号>
    <処理区分>登録</処理区分>
    <団体内統合宛名番号>{id:015}</団体内統合宛名番号>
    <特定個人情報名コード>TM00000000000031</特定個人情報名コード>
    <データセット識別項目コード>D3103</データセット識別項目コード>
    <データセットレコードキー>2019</データセットレコードキー>
    <メジャーバージョン>2</メジャーバージョン>
    <公開日>2019-06-01</公開日>
    <副本>
      <項目 名=\"賦課年度\">2019</項目>
      <項目 名=\"年間保険料額\">{}</項目>
      <項目 名=\"軽減区分\" NULL理由=\"1\"/>
    </副本>
  </レコード>
",
        10_000 + id % 90_000
    )
}

fn file_of(records: &[String]) -> String {
    format!("{HEAD}{}{TAIL}", records.concat())
}

/// Reads everything; returns the record numbers read and the error that ended the file.
fn read_all(bytes: &[u8]) -> (Vec<u64>, Option<ReadError>) {
    let mut reader = match FukuhonFileReader::new("FI_DBM_0001_test.xml", bytes) {
        Ok(reader) => reader,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut numbers = Vec::new();
    for record in reader.by_ref() {
        match record {
            Ok(record) => numbers.push(record.number),
            Err(e) => return (numbers, Some(e)),
        }
    }
    (numbers, None)
}

#[test]
fn a_good_file_reads_back_as_written() {
    let xml = file_of(&[record(1), record(2)]);
    let mut reader = FukuhonFileReader::new("f.xml", xml.as_bytes()).unwrap();
    let first = reader.next_record().unwrap().unwrap();
    assert_eq!(first.number, 1);
    assert_eq!(first.get(RecordField::RecordId), Some("R000000001"));
    assert_eq!(first.get(RecordField::KoukaiEnd), None);
    let body = first.body.as_ref().unwrap();
    assert_eq!(body.len(), 3);
    assert_eq!(body[2].null_reason.as_deref(), Some("1"));
    assert_eq!(reader.next_record().unwrap().unwrap().number, 2);
    assert!(reader.next_record().is_none());
}

#[test]
fn malformed_xml_names_the_record() {
    let broken = record(3).replace("</処理区分>", "</処理区>");
    let xml = file_of(&[record(1), record(2), broken, record(4)]);
    let (read, error) = read_all(xml.as_bytes());
    assert_eq!(read, [1, 2], "records before the fault stay read");
    let error = error.unwrap();
    assert_eq!(error.location, Location::Record(3));
    assert!(
        matches!(error.kind, ReadErrorKind::NotWellFormed(_)),
        "{error}"
    );
    assert_eq!(error.element, "レコード/処理区分");
    let text = error.to_string();
    assert!(
        text.starts_with("FI_DBM_0001_test.xml: 3件目のレコード: 要素「レコード/処理区分」: XMLとして整形式ではありません"),
        "{text}"
    );
}

#[test]
fn a_truncated_file_names_the_record_it_stops_in() {
    let xml = file_of(&[record(1), record(2), record(3)]);
    let cut = HEAD.len() + record(1).len() + record(2).len() / 2;
    let (read, error) = read_all(&xml.as_bytes()[..cut]);
    assert_eq!(read, [1]);
    let error = error.unwrap();
    assert_eq!(error.location, Location::Record(2));
    assert_eq!(error.kind, ReadErrorKind::Truncated);
    assert!(error.to_string().contains("2件目のレコード"), "{error}");

    // Cut between records: the file ends after record 2.
    let cut = HEAD.len() + record(1).len() + record(2).len();
    let (read, error) = read_all(&xml.as_bytes()[..cut]);
    assert_eq!(read, [1, 2]);
    let error = error.unwrap();
    assert_eq!(
        (error.location, error.kind),
        (Location::After(2), ReadErrorKind::Truncated)
    );

    // Every cut point: an error, never a panic, and never a record past the cut.
    for cut in 0..xml.len() - TAIL.len() {
        if !xml.is_char_boundary(cut) {
            continue;
        }
        let (read, error) = read_all(&xml.as_bytes()[..cut]);
        assert!(error.is_some(), "cut at {cut} read as complete");
        assert!(read.len() <= 3);
    }
}

#[test]
fn unknown_elements_and_attributes_are_refused() {
    let unknown = record(2).replace("<公開日>", "<公開開始日>2019-06-01</公開開始日><公開日>");
    let (read, error) = read_all(file_of(&[record(1), unknown]).as_bytes());
    assert_eq!(read, [1]);
    let error = error.unwrap();
    assert_eq!(error.location, Location::Record(2));
    assert_eq!(error.element, "レコード/公開開始日");
    assert_eq!(
        error.kind,
        ReadErrorKind::UnknownElement("公開開始日".to_owned())
    );

    let attribute = record(1).replace("名=\"賦課年度\"", "名=\"賦課年度\" 版=\"2\"");
    let error = read_all(file_of(&[attribute]).as_bytes()).1.unwrap();
    assert_eq!(error.element, "レコード/副本/項目[1]");
    assert_eq!(error.kind, ReadErrorKind::UnknownAttribute("版".to_owned()));

    let doubled = record(1).replace("<公開日>", "<処理区分>削除</処理区分><公開日>");
    let error = read_all(file_of(&[doubled]).as_bytes()).1.unwrap();
    assert_eq!(error.kind, ReadErrorKind::Duplicate("処理区分".to_owned()));

    let stray = format!("{HEAD}{}<おまけ/>{TAIL}", record(1));
    let (read, error) = read_all(stray.as_bytes());
    assert_eq!(read, [1]);
    let error = error.unwrap();
    assert_eq!(error.location, Location::After(1));
    assert_eq!(error.element, "SPIRegistrationDeleteList/おまけ");
}

#[test]
fn only_utf8_is_accepted() {
    let sjis = file_of(&[record(1)]).replace("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"");
    let error = read_all(sjis.as_bytes()).1.unwrap();
    assert_eq!(error.location, Location::Prologue);
    assert_eq!(error.kind, ReadErrorKind::Encoding("Shift_JIS".to_owned()));
    assert!(
        error.to_string().contains("UTF-8のみ受け付けます"),
        "{error}"
    );

    // Shift_JIS bytes under a UTF-8 declaration: 「賦」 in Shift_JIS is 0x95 0x8A.
    let mut bytes = file_of(&[record(1), record(2)]).into_bytes();
    let at = HEAD.len() + record(1).len() + record(2).find("賦課年度").unwrap();
    bytes.splice(at..at + "賦".len(), [0x95, 0x8A]);
    let (read, error) = read_all(&bytes);
    assert_eq!(read, [1]);
    let error = error.unwrap();
    assert_eq!(error.kind, ReadErrorKind::NotUtf8);
    assert_eq!(error.location, Location::Record(2));

    // UTF-16 is not read either.
    let utf16: Vec<u8> = file_of(&[record(1)])
        .replace("UTF-8", "UTF-16")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let mut with_bom = vec![0xFF, 0xFE];
    with_bom.extend(utf16);
    assert!(read_all(&with_bom).1.is_some());
}

/// Generates a file of `records` records on the fly, counting the bytes handed out, so a test
/// can see how far the reader has read when it yields each record.
struct Generated {
    next: u64,
    records: u64,
    chunk: Vec<u8>,
    at: usize,
    produced: Rc<Cell<u64>>,
}

impl Generated {
    fn new(records: u64, produced: Rc<Cell<u64>>) -> Self {
        Self {
            next: 0,
            records,
            chunk: HEAD.as_bytes().to_vec(),
            at: 0,
            produced,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.chunk.len() {
            self.at = 0;
            self.chunk.clear();
            if self.next < self.records {
                self.next += 1;
                self.chunk.extend_from_slice(record(self.next).as_bytes());
            } else if self.next == self.records {
                self.next += 1;
                self.chunk.extend_from_slice(TAIL.as_bytes());
            } else {
                return Ok(0);
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        self.produced.set(self.produced.get() + n as u64);
        Ok(n)
    }
}

/// 200,000 records are read and validated as a stream: when record n is yielded, the reader has
/// taken at most the bytes up to record n plus one buffer from the input, so it holds one
/// record, never the file. (The 2,000,000-record benchmark with peak RSS is `renkei bench`'s.)
#[test]
fn two_hundred_thousand_records_stream() {
    const RECORDS: u64 = 200_000;
    const BUFFER: usize = 8 * 1024;
    let produced = Rc::new(Cell::new(0));
    let input = BufReader::with_capacity(BUFFER, Generated::new(RECORDS, produced.clone()));
    let mut reader = FukuhonFileReader::new("big.xml", input).unwrap();
    assert!(
        produced.get() <= (HEAD.len() + BUFFER) as u64,
        "opening read {} bytes",
        produced.get()
    );
    let mut validator = Validator::new(&Catalogs::embedded().layouts, date!(2019 - 07 - 01));
    let mut through: u64 = HEAD.len() as u64;
    let (mut count, mut valid) = (0u64, 0u64);
    for record in reader.by_ref() {
        let record = record.unwrap();
        count += 1;
        through += record_len(count);
        assert_eq!(record.number, count);
        assert!(
            produced.get() <= through + BUFFER as u64,
            "record {count}: {} bytes taken, record ends at {through}",
            produced.get()
        );
        if validator.check(&record).record.is_some() {
            valid += 1;
        }
    }
    assert_eq!((count, valid), (RECORDS, RECORDS));
    assert!(
        produced.get() > 100_000_000,
        "the file is large: {}",
        produced.get()
    );
}

fn record_len(id: u64) -> u64 {
    record(id).len() as u64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_all(&bytes);
    }

    #[test]
    fn a_damaged_file_never_panics(
        at in 0usize..2_000,
        junk in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = file_of(&[record(1), record(2)]).into_bytes();
        let at = at.min(bytes.len());
        let end = (at + junk.len()).min(bytes.len());
        bytes.splice(at..end, junk);
        let (read, _) = read_all(&bytes);
        prop_assert!(read.len() <= 2);
    }
}
