//! 改版 (docs/kizon-gyomu.md「改版」、FUK-06〜FUK-10; seed 004 §2.2、§2.4): 正本のレコード1つについて、
//! その日にどの版・どのメジャーバージョンの副本を持つかを決めます。ここは時計も保管も見ない純粋な規則で、
//! 決めたとおりに送る (登録・更新・削除) のは [`super::sabun`] です: ここで持つと決めなかった副本が
//! 登録されていれば、それが削除されます。
//!
//! その日に有効な版のレイアウトの副本 (FUK-01) のほかに、特定個人情報ごとの改版の類型 (`revision`) で:
//!
//! | 類型 | 連携開始日の前 | 連携開始日から |
//! |---|---|---|
//! | `major` | 新しい版のメジャーバージョンの副本も持つ (過去分を含めてすべて、FUK-06)。旧版の副本も持ち続ける (FUK-07) | 新しい版の副本だけ: 旧版の副本と、新しい版にないデータセットの副本は削除される (FUK-07) |
//! | `dataset_added` | 追加されたデータセットは、本人ごとに最新の 1 件 (データセットレコードキーのいちばん大きいもの) だけ新しい版で持つ (FUK-08) | 同じ (追加されたデータセットは最新の 1 件だけ) |
//! | `dataset_abolished` | 今の版のとおり | 廃止されたデータセットの登録済みの副本は、連携開始日から 30 日のあいだそのまま残す (送らない)。30 日が過ぎた日から削除される (FUK-09) |
//! | `minor` | 今の版のとおり | 当年分 (レコードキーの先頭 4 桁が連携開始日の年) は、新しい版で登録されていなければ登録し直す (`更新`)。過去分はそのまま (FUK-10) |
//!
//! 正本のレコードのデータセットが、その日に有効な版にも新しい版にもなく、残す副本もなければ、副本にしません。
//!
//! メジャー改版の旧版の副本の削除 (FUK-07) は、登録されている副本についての規則でもあります ([`kyuuban`]):
//! 連携開始日から、旧版のメジャーバージョンの副本が登録されていれば、正本から何を作ったかにかかわらず
//! 削除します。

use super::super::catalog::{BanLayout, Dataset, Kaihan, Layouts};
use super::super::seihon::SeihonRecord;
use crate::defects::{DefectKind, Seeded};
use std::collections::HashMap;
use time::{Date, Duration};

/// 提供の求めの有効期間 (seed 004 §2.4)。廃止されたデータセットの副本は、連携開始日からこれが過ぎるまで
/// 削除しません (連携開始日の前に受けた提供の求めにまだ答えるため)。
pub const MOTOME_YUUKOU_KIKAN: Duration = Duration::days(30);

/// 副本1つの扱い。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Atsukai {
    /// 正本との差のとおり: 登録されていなければ `登録`、内容が違えば `更新`。
    Tsuujou,
    /// 正本との差のとおりで、そのうえ内容が同じでもこの版で登録されていなければ `更新` (マイナー改版の当年分、
    /// FUK-10)。
    KonoBanDe,
    /// 登録されている副本をそのまま残す: 送らず、削除もしない (廃止されたデータセットの、連携開始日から
    /// 30 日のあいだ。FUK-09)。
    Nokosu,
}

/// 正本のレコード1つについて持つ副本1つ: どの版のレイアウト (項目) で、どのメジャーバージョンで作るか。
#[derive(Clone, Copy, Debug)]
pub struct Mokuhyou<'a> {
    /// 項目を取るレイアウトの版 (`R1.6`)。
    pub edition: &'a str,
    pub dataset: &'a Dataset,
    pub major_version: u32,
    pub atsukai: Atsukai,
}

/// 正本のレコードごとに、本人・特定個人情報・データセットの中でデータセットレコードキーがいちばん大きいか
/// (追加されたデータセットに登録する「最新の 1 件」、FUK-08)。レコードと同じ順です。
pub fn saishin(records: &[SeihonRecord]) -> Vec<bool> {
    let mut max: HashMap<(&str, &str, &str), &str> = HashMap::new();
    for r in records {
        let k = (
            r.tougou_atena_bango.as_str(),
            r.tokutei.as_str(),
            r.dataset.as_str(),
        );
        let m = max.entry(k).or_insert(r.record_key.as_str());
        if r.record_key.as_str() > *m {
            *m = r.record_key.as_str();
        }
    }
    records
        .iter()
        .map(|r| {
            let k = (
                r.tougou_atena_bango.as_str(),
                r.tokutei.as_str(),
                r.dataset.as_str(),
            );
            max.get(&k).copied() == Some(r.record_key.as_str())
        })
        .collect()
}

/// `layout` で追加されたデータセットか (前のレイアウトになく、類型が `dataset_added`)。
fn tsuika(layout: &BanLayout<'_>, mae: Option<&BanLayout<'_>>, dataset: &str) -> bool {
    layout.revision == Some(Kaihan::DatasetAdded)
        && layout.dataset(dataset).is_some()
        && mae.is_none_or(|m| m.dataset(dataset).is_none())
}

/// 当年分か: データセットレコードキーの先頭 4 桁が連携開始日の年 (FUK-10)。
fn tounen(record_key: &str, linkage_start: Option<Date>) -> bool {
    linkage_start.is_some_and(|d| record_key.get(..4) == Some(d.year().to_string().as_str()))
}

/// 連携開始日が来たメジャー改版の、旧版のメジャーバージョンの副本か (登録されていれば削除する、FUK-07)。
/// 特定個人情報のその日に有効なレイアウトがメジャー改版で、データセットの前の版のメジャーバージョンが
/// `major_version` で、その日に有効な版には (そのデータセットが) そのメジャーバージョンでないもの。
pub fn kyuuban(
    layouts: &Layouts,
    tokutei: &str,
    dataset: &str,
    major_version: u32,
    date: Date,
) -> bool {
    let Ok(u) = layouts.utsurikawari(tokutei, date) else {
        return false;
    };
    let (Some(y), Some(mae)) = (u.yuukou, u.mae) else {
        return false;
    };
    y.revision == Some(Kaihan::Major)
        && mae
            .dataset(dataset)
            .is_some_and(|d| d.major_version == major_version)
        && y.dataset(dataset)
            .is_none_or(|d| d.major_version != major_version)
}

/// 正本のレコード `r` について `date` に持つ副本 (その日に有効な版のものが先)。副本にしないなら理由。
///
/// `saishin` は [`saishin`] の答え、`touroku_zumi` は、このレコードのキーでそのメジャーバージョンの副本が
/// 中間サーバーに登録されているとシステムが知っているか。
pub fn mokuhyou<'a>(
    layouts: &'a Layouts,
    r: &SeihonRecord,
    date: Date,
    saishin: bool,
    touroku_zumi: &dyn Fn(u32) -> bool,
    seeded: Seeded,
) -> Result<Vec<Mokuhyou<'a>>, String> {
    let u = layouts.utsurikawari(&r.tokutei, date)?;
    let ds_code = r.dataset.as_str();
    let only_latest = |layout: &BanLayout<'_>| {
        format!(
            "データセット {ds_code} は {} 版で追加されたので、本人ごとに最新の1件 (データセットレコードキーのいちばん大きいもの) だけを副本にします (FUK-08)",
            layout.edition
        )
    };
    let mut out: Vec<Mokuhyou<'a>> = Vec::new();
    let mut not_latest: Option<String> = None;

    // その日に有効な版。
    if let Some(y) = u.yuukou {
        if let Some(ds) = y.dataset(ds_code) {
            if tsuika(&y, u.mae.as_ref(), ds_code)
                && !saishin
                && !seeded.has(DefectKind::AddedDatasetPastIncluded)
            {
                return Err(only_latest(&y));
            }
            let mut major = ds.major_version;
            if seeded.has(DefectKind::FukuhonOldVersion)
                && let Some(oldest) = layouts.oldest_major(&r.tokutei, ds_code)
            {
                // 不具合: その日に有効な版でなく、いちばん古い版のメジャーバージョンを書く。
                major = oldest;
            }
            let atsukai = if y.revision == Some(Kaihan::Minor)
                && (tounen(&r.record_key, y.linkage_start) || seeded.has(DefectKind::MinorAllYears))
            {
                Atsukai::KonoBanDe
            } else {
                Atsukai::Tsuujou
            };
            out.push(Mokuhyou {
                edition: y.edition,
                dataset: ds,
                major_version: major,
                atsukai,
            });
        } else if y.revision == Some(Kaihan::DatasetAbolished)
            && let (Some(mae), Some(start)) = (u.mae, y.linkage_start)
            && let Some(ds) = mae.dataset(ds_code)
        {
            // 廃止されたデータセット: 連携開始日から30日のあいだは、登録されている副本を残す (FUK-09)。
            let until = if seeded.has(DefectKind::AbolishedDeletedAtStart) {
                // 不具合: 連携開始日に削除する。
                start
            } else {
                start + MOTOME_YUUKOU_KIKAN
            };
            if date < until && touroku_zumi(ds.major_version) {
                out.push(Mokuhyou {
                    edition: mae.edition,
                    dataset: ds,
                    major_version: ds.major_version,
                    atsukai: Atsukai::Nokosu,
                });
            }
        }
    }

    // 連携開始日がまだ来ていない新しい版。
    for (i, n) in u.shin.iter().enumerate() {
        let mae = if i == 0 {
            u.yuukou
        } else {
            Some(u.shin[i - 1])
        };
        let Some(ds) = n.dataset(ds_code) else {
            continue;
        };
        if out.iter().any(|m| m.major_version == ds.major_version) {
            // 同じキーの副本: 連携開始日の前は、中間サーバーがその日に有効な版で確かめます。
            continue;
        }
        match n.revision {
            Some(Kaihan::Major) => {
                if seeded.has(DefectKind::MajorNewVersionLate) {
                    // 不具合: 新しいメジャーバージョンは連携開始日から (その版が有効になってから) 登録する。
                    continue;
                }
                if seeded.has(DefectKind::OldVersionDeletedEarly) && touroku_zumi(ds.major_version)
                {
                    // 不具合: 新しい版の副本が登録されたら、連携開始日を待たずに旧版の副本を削除する。
                    out.clear();
                }
                out.push(Mokuhyou {
                    edition: n.edition,
                    dataset: ds,
                    major_version: ds.major_version,
                    atsukai: Atsukai::Tsuujou,
                });
            }
            Some(Kaihan::DatasetAdded) if tsuika(n, mae.as_ref(), ds_code) => {
                if !saishin && !seeded.has(DefectKind::AddedDatasetPastIncluded) {
                    not_latest = Some(only_latest(n));
                    continue;
                }
                out.push(Mokuhyou {
                    edition: n.edition,
                    dataset: ds,
                    major_version: ds.major_version,
                    atsukai: Atsukai::Tsuujou,
                });
            }
            // マイナー改版・データセットの廃止は、連携開始日の前には何もしません。
            _ => {}
        }
    }

    if !out.is_empty() {
        return Ok(out);
    }
    if let Some(why) = not_latest {
        return Err(why);
    }
    Err(match layouts.in_force(&r.tokutei, ds_code, date) {
        Err(why) => format!("{why}。新しい版にもないので副本にしません"),
        Ok(_) => format!("データセット {ds_code} の副本は作りません"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use time::macros::date;

    fn layouts() -> Layouts {
        Layouts::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/data/layouts.toml"),
        )
        .unwrap()
    }

    fn record(tokutei: &str, dataset: &str, record_key: &str) -> SeihonRecord {
        SeihonRecord {
            seihon_id: format!("{dataset}-{record_key}"),
            tougou_atena_bango: "000000100000004".into(),
            tokutei: tokutei.into(),
            dataset: dataset.into(),
            record_key: record_key.into(),
            kokai_bi: "2019-06-01".into(),
            kokai_shuryo_bi: None,
            items: Vec::new(),
        }
    }

    const JIFU: &str = "TM00000000000016";
    const KAIGO: &str = "TM00000000000004";
    const IRYOU: &str = "TM00000000000031";
    const ZEI: &str = "TM00000000000002";
    const BEFORE: Date = date!(2019 - 06 - 03);
    const START: Date = date!(2019 - 06 - 17);

    /// (版, メジャーバージョン, 扱い) の並び。副本にしないなら `Err`。
    fn plan(
        r: &SeihonRecord,
        date: Date,
        saishin: bool,
        registered: &[u32],
        defect: Option<&str>,
    ) -> Result<Vec<(String, u32, Atsukai)>, String> {
        let l = layouts();
        let seeded = defect.map_or(Seeded::NONE, |d| Seeded::from_id(d).unwrap());
        mokuhyou(&l, r, date, saishin, &|m| registered.contains(&m), seeded).map(|v| {
            v.iter()
                .map(|m| (m.edition.to_owned(), m.major_version, m.atsukai))
                .collect()
        })
    }

    fn t(edition: &str, major: u32, atsukai: Atsukai) -> (String, u32, Atsukai) {
        (edition.to_owned(), major, atsukai)
    }

    use Atsukai::{KonoBanDe, Nokosu, Tsuujou};

    #[test]
    fn major_registers_every_record_in_the_new_version_before_the_linkage_start() {
        for key in ["20170401", "20190401"] {
            let r = record(JIFU, "D1601", key);
            // 前: 旧版 (有効な版) と新しい版の両方。過去分も。
            assert_eq!(
                plan(&r, BEFORE, false, &[3, 4], None).unwrap(),
                [t("H30.6", 3, Tsuujou), t("R1.6", 4, Tsuujou)],
                "{key}"
            );
            assert_eq!(
                plan(&r, date!(2019 - 06 - 16), true, &[], None).unwrap(),
                [t("H30.6", 3, Tsuujou), t("R1.6", 4, Tsuujou)]
            );
            // 連携開始日から: 新しい版だけ (旧版の副本は削除される)。
            assert_eq!(
                plan(&r, START, true, &[3, 4], None).unwrap(),
                [t("R1.6", 4, Tsuujou)]
            );
        }
        // 新しい版で廃止されたデータセット: 連携開始日の前は旧版で持ち、連携開始日から持たない。
        let kyu = record(JIFU, "D1603", "2019");
        assert_eq!(
            plan(&kyu, BEFORE, true, &[3], None).unwrap(),
            [t("H30.6", 3, Tsuujou)]
        );
        let why = plan(&kyu, START, true, &[3], None).unwrap_err();
        assert!(
            why.contains("D1603") && why.contains("新しい版にもない"),
            "{why}"
        );
    }

    #[test]
    fn old_major_versions_are_old_from_the_linkage_start_on() {
        let l = layouts();
        for date in [START, date!(2026 - 04 - 06)] {
            assert!(kyuuban(&l, JIFU, "D1601", 3, date));
            assert!(
                kyuuban(&l, JIFU, "D1603", 3, date),
                "新しい版にないデータセット"
            );
            assert!(!kyuuban(&l, JIFU, "D1601", 4, date));
            // メジャー改版でない特定個人情報の副本は旧版と呼ばない (メジャーバージョンが同じ)。
            assert!(!kyuuban(&l, IRYOU, "D3102", 2, date));
            assert!(!kyuuban(&l, ZEI, "D0201", 1, date));
        }
        assert!(
            !kyuuban(&l, JIFU, "D1601", 3, date!(2019 - 06 - 16)),
            "連携開始日の前"
        );
        assert!(!kyuuban(&l, "TM00000000000099", "D9901", 1, START));
    }

    #[test]
    fn major_defects_register_late_or_delete_early() {
        let r = record(JIFU, "D1601", "20180401");
        assert_eq!(
            plan(&r, BEFORE, true, &[3], Some("major-new-version-late")).unwrap(),
            [t("H30.6", 3, Tsuujou)]
        );
        assert_eq!(
            plan(&r, START, true, &[3], Some("major-new-version-late")).unwrap(),
            [t("R1.6", 4, Tsuujou)]
        );
        let early = Some("old-version-deleted-early");
        assert_eq!(
            plan(&r, BEFORE, true, &[3], early).unwrap(),
            [t("H30.6", 3, Tsuujou), t("R1.6", 4, Tsuujou)],
            "新しい版の副本が登録されるまでは旧版も持つ"
        );
        assert_eq!(
            plan(&r, BEFORE, true, &[3, 4], early).unwrap(),
            [t("R1.6", 4, Tsuujou)]
        );
    }

    #[test]
    fn an_added_dataset_gets_only_the_latest_record_per_person() {
        let r = record(KAIGO, "D0404", "20180801");
        for date in [BEFORE, START, date!(2026 - 04 - 06)] {
            assert_eq!(
                plan(&r, date, true, &[], None).unwrap(),
                [t("R1.6", 1, Tsuujou)],
                "{date}"
            );
            let why = plan(&r, date, false, &[], None).unwrap_err();
            assert!(why.contains("最新の1件"), "{why}");
            assert_eq!(
                plan(&r, date, false, &[], Some("added-dataset-past-included")).unwrap(),
                [t("R1.6", 1, Tsuujou)]
            );
        }
        // 追加されなかったデータセットは、どの版でも同じキー (メジャーバージョン 2) の副本 1 つで、過去分も持つ。
        let kept = record(KAIGO, "D0401", "20170401");
        assert_eq!(
            plan(&kept, BEFORE, false, &[], None).unwrap(),
            [t("H30.6", 2, Tsuujou)]
        );
        assert_eq!(
            plan(&kept, START, false, &[], None).unwrap(),
            [t("R1.6", 2, Tsuujou)]
        );
    }

    #[test]
    fn an_abolished_dataset_is_kept_for_thirty_days_after_the_linkage_start() {
        let r = record(IRYOU, "D3102", "20190401");
        assert_eq!(
            plan(&r, BEFORE, true, &[], None).unwrap(),
            [t("H30.6", 2, Tsuujou)]
        );
        for date in [START, date!(2019 - 07 - 16)] {
            assert_eq!(
                plan(&r, date, true, &[2], None).unwrap(),
                [t("H30.6", 2, Nokosu)],
                "{date}"
            );
            // 登録されていなければ、もう登録できないので副本にしない。
            assert!(plan(&r, date, true, &[], None).is_err());
            assert!(
                plan(&r, date, true, &[2], Some("abolished-deleted-at-start")).is_err(),
                "不具合: 連携開始日から削除する"
            );
        }
        assert!(
            plan(&r, BEFORE, true, &[2], Some("abolished-deleted-at-start")).is_ok(),
            "連携開始日の前は不具合でも持つ"
        );
        for date in [date!(2019 - 07 - 17), date!(2026 - 04 - 06)] {
            let why = plan(&r, date, true, &[2], None).unwrap_err();
            assert!(why.contains("D3102"), "{why}");
        }
        // 残ったデータセットは (マイナーバージョンが上がっても) 登録し直さない。
        let kept = record(IRYOU, "D3101", "20190401");
        assert_eq!(
            plan(&kept, START, true, &[2], None).unwrap(),
            [t("R1.6", 2, Tsuujou)]
        );
    }

    #[test]
    fn a_minor_revision_re_registers_only_the_current_year_from_the_linkage_start() {
        let cur = record(ZEI, "D0201", "2019");
        let past = record(ZEI, "D0201", "2018");
        for r in [&cur, &past] {
            assert_eq!(
                plan(r, date!(2019 - 06 - 16), true, &[1], None).unwrap(),
                [t("H30.6", 1, Tsuujou)],
                "連携開始日の前は今の版のまま"
            );
        }
        assert_eq!(
            plan(&cur, START, true, &[1], None).unwrap(),
            [t("R1.6", 1, KonoBanDe)]
        );
        assert_eq!(
            plan(&past, START, true, &[1], None).unwrap(),
            [t("R1.6", 1, Tsuujou)]
        );
        assert_eq!(
            plan(&past, START, true, &[1], Some("minor-all-years")).unwrap(),
            [t("R1.6", 1, KonoBanDe)]
        );
        // 2026年: 当年分は連携開始日の年 (2019) のまま。
        let r2025 = record(ZEI, "D0201", "2025");
        assert_eq!(
            plan(&r2025, date!(2026 - 04 - 06), true, &[], None).unwrap(),
            [t("R1.6", 1, Tsuujou)]
        );
    }

    #[test]
    fn the_old_version_defect_still_writes_the_oldest_major() {
        let r = record(JIFU, "D1601", "20250401");
        assert_eq!(
            plan(
                &r,
                date!(2026 - 04 - 06),
                true,
                &[],
                Some("fukuhon-old-version")
            )
            .unwrap(),
            [t("R1.6", 3, Tsuujou)]
        );
    }

    #[test]
    fn unknown_codes_are_not_made_into_fukuhon() {
        assert!(
            plan(
                &record("TM00000000000099", "D9901", "2025"),
                START,
                true,
                &[],
                None
            )
            .is_err()
        );
        let why = plan(&record(ZEI, "D0299", "2025"), START, true, &[], None).unwrap_err();
        assert!(why.contains("D0299"), "{why}");
    }

    #[test]
    fn the_latest_record_is_the_greatest_record_key_per_person_and_dataset() {
        let mut a = record(KAIGO, "D0404", "20180801");
        let b = record(KAIGO, "D0404", "20190801");
        let mut c = record(KAIGO, "D0404", "20170801");
        c.tougou_atena_bango = "000000100000012".into();
        let d = record(KAIGO, "D0403", "2018");
        assert_eq!(
            saishin(&[a.clone(), b.clone(), c.clone(), d.clone()]),
            [false, true, true, true]
        );
        a.record_key = "20190801".into();
        assert_eq!(saishin(&[a, b]), [true, true], "同じキーはどちらも最新");
    }
}
