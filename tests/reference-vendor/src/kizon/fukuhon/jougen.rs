//! 1日のアップロード上限 (docs/kizon-gyomu.md「副本登録の1回」の 4、docs/chukan-api.md「夜間バッチと 1 日の上限」):
//! その日にもう受け付けられた件数・バイト数と合わせて `daily_caps` を超えないように、送るレコードを
//! ファイルに分けます。入りきらないレコードは送らずに次の日の回に回します (FUK-03、FUK-04)。
//!
//! 件数は登録・削除の合計、バイト数は添付ファイルそのものの大きさ (ヘッダと文書要素を含む) です。
//! ファイルは1つに詰め込まず、[`FileLimit`] ごとに分けます (1つの要求を大きくしすぎないため。renkei の
//! 文書は 1 ファイルの上限を定めていないので、このシステムが決めた大きさです)。
//! 順番は変えません: 入らないレコードがあれば、そこで止めて残りは次の回にします (後のレコードが先に
//! 登録されて順序が入れ替わらないように)。

use crate::config::DailyCaps;
use crate::defects::{DefectKind, Seeded};
use std::ops::Range;

/// このシステムが決めた 1 ファイルの大きさの上限。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileLimit {
    pub records: usize,
    pub bytes: u64,
}

/// 1 ファイル 10,000 件・8 MiB まで。
pub const FILE_LIMIT: FileLimit = FileLimit {
    records: 10_000,
    bytes: 8 * 1024 * 1024,
};

/// その日にもう受け付けられたもの (受付日 JST が今日のファイルの合計)。
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Uketsukezumi {
    pub records: u64,
    pub bytes: u64,
}

/// 送るレコードのファイルへの分け方: ファイルごとのレコードの範囲 (送る順)。範囲の外 (最後の範囲の後ろ) は
/// 今日は送りません。
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wakekata {
    pub files: Vec<Range<usize>>,
    /// 送るレコードの数 (最後の範囲の終わり)。
    pub sent: usize,
}

/// `sizes` はレコードごとのバイト数、`overhead` はファイルごとのヘッダと閉じタグのバイト数。
pub fn wakeru(
    sizes: &[u64],
    overhead: u64,
    caps: Option<DailyCaps>,
    done: Uketsukezumi,
    limit: FileLimit,
    seeded: Seeded,
) -> Wakekata {
    let caps = caps.unwrap_or_default();
    let records_cap = caps
        .records
        .filter(|_| !seeded.has(DefectKind::FukuhonCapRecordsIgnored));
    let bytes_cap = caps
        .bytes
        .filter(|_| !seeded.has(DefectKind::FukuhonCapBytesIgnored));
    let mut used_records = done.records;
    let mut used_bytes = done.bytes;
    let mut files: Vec<Range<usize>> = Vec::new();
    // いま詰めているファイル: 始まり、件数、バイト数
    let mut current: Option<(usize, usize, u64)> = None;
    let mut i = 0;
    while i < sizes.len() {
        let size = sizes[i];
        let fits_current =
            current.is_some_and(|(_, n, b)| n < limit.records && b + size <= limit.bytes);
        let cost = if fits_current { size } else { overhead + size };
        let over_records = records_cap.is_some_and(|cap| used_records + 1 > cap);
        let over_bytes = bytes_cap.is_some_and(|cap| used_bytes + cost > cap);
        if over_records || over_bytes {
            break;
        }
        if !fits_current {
            if let Some((start, _, _)) = current.take() {
                files.push(start..i);
            }
            current = Some((i, 0, overhead));
        }
        if let Some((_, n, b)) = current.as_mut() {
            *n += 1;
            *b += size;
        }
        used_records += 1;
        used_bytes += cost;
        i += 1;
    }
    if let Some((start, _, _)) = current {
        files.push(start..i);
    }
    Wakekata { files, sent: i }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: FileLimit = FileLimit {
        records: 3,
        bytes: 1_000,
    };

    fn caps(records: Option<u64>, bytes: Option<u64>) -> Option<DailyCaps> {
        Some(DailyCaps { records, bytes })
    }

    #[test]
    fn without_caps_everything_goes_in_files_of_the_file_limit() {
        let w = wakeru(
            &[100; 7],
            50,
            None,
            Uketsukezumi::default(),
            SMALL,
            Seeded::NONE,
        );
        assert_eq!(w.files, [0..3, 3..6, 6..7]);
        assert_eq!(w.sent, 7);
        // バイト数でも分ける: 50 + 400 + 400 = 850、3 件目で 1,250 を超える
        let w = wakeru(
            &[400, 400, 400],
            50,
            caps(None, None),
            Uketsukezumi::default(),
            SMALL,
            Seeded::NONE,
        );
        assert_eq!(w.files, [0..2, 2..3]);
        assert!(
            wakeru(&[], 50, None, Uketsukezumi::default(), SMALL, Seeded::NONE)
                .files
                .is_empty()
        );
    }

    #[test]
    fn the_records_cap_counts_what_was_accepted_today() {
        let done = Uketsukezumi {
            records: 6,
            bytes: 0,
        };
        let w = wakeru(
            &[100; 7],
            50,
            caps(Some(10), None),
            done,
            SMALL,
            Seeded::NONE,
        );
        assert_eq!(w.files, [0..3, 3..4]);
        assert_eq!(w.sent, 4, "10 - 6 = 4 件だけ今日送る");
        let full = Uketsukezumi {
            records: 10,
            bytes: 0,
        };
        let w = wakeru(
            &[100; 7],
            50,
            caps(Some(10), None),
            full,
            SMALL,
            Seeded::NONE,
        );
        assert_eq!((w.files.len(), w.sent), (0, 0));
        // 不具合 fukuhon-cap-records-ignored は件数を見ない (バイト数は見る)
        let defect = Seeded::from_id("fukuhon-cap-records-ignored").unwrap();
        assert_eq!(
            wakeru(&[100; 7], 50, caps(Some(10), None), done, SMALL, defect).sent,
            7
        );
        assert_eq!(
            wakeru(
                &[100; 7],
                50,
                caps(Some(10), Some(400)),
                done,
                SMALL,
                defect
            )
            .sent,
            3
        );
    }

    #[test]
    fn the_bytes_cap_includes_each_file_s_header() {
        // 上限 1,000、もう 200 受付済み: 残り 800。1 つ目のファイル 50+300 = 350、2 つ目 50+300 = 350 (計 700)、
        // 3 つ目は 50+100 で 850 > 800
        let done = Uketsukezumi {
            records: 0,
            bytes: 200,
        };
        let w = wakeru(
            &[100; 9],
            50,
            caps(None, Some(1_000)),
            done,
            SMALL,
            Seeded::NONE,
        );
        assert_eq!(w.files, [0..3, 3..6]);
        assert_eq!(w.sent, 6);
        // 両方の上限: 件数が先に尽きる
        let w = wakeru(
            &[100; 9],
            50,
            caps(Some(4), Some(1_000)),
            done,
            SMALL,
            Seeded::NONE,
        );
        assert_eq!(w.files, [0..3, 3..4]);
        // 大きなレコードで止まり、後ろの小さなレコードも送らない (順番を変えない)
        let w = wakeru(
            &[100, 900, 10],
            50,
            caps(None, Some(1_000)),
            Uketsukezumi::default(),
            SMALL,
            Seeded::NONE,
        );
        assert_eq!(w.files.len(), 1);
        assert_eq!(w.files[0], 0..1);
        assert_eq!(w.sent, 1);
        // 不具合 fukuhon-cap-bytes-ignored はバイト数を見ない (件数は見る)
        let defect = Seeded::from_id("fukuhon-cap-bytes-ignored").unwrap();
        assert_eq!(
            wakeru(&[100; 9], 50, caps(None, Some(1_000)), done, SMALL, defect).sent,
            9
        );
        assert_eq!(
            wakeru(
                &[100; 9],
                50,
                caps(Some(5), Some(1_000)),
                done,
                SMALL,
                defect
            )
            .sent,
            5
        );
    }

    #[test]
    fn a_record_larger_than_the_file_limit_still_goes_alone() {
        let w = wakeru(
            &[5_000, 10],
            50,
            None,
            Uketsukezumi::default(),
            SMALL,
            Seeded::NONE,
        );
        assert_eq!(w.files, [0..1, 1..2]);
    }
}
