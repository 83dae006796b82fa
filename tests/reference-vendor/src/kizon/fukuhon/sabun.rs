//! 正本との差 (docs/kizon-gyomu.md「副本登録の1回」の 2): いま作った副本と、中間サーバーに登録済みと
//! システムが知っている副本とを、副本のキーで比べて、送る処理 (登録・更新・削除) を決めます。
//!
//! | キーの状態 | 処理 |
//! |---|---|
//! | 正本にあり、登録されていない | `登録` |
//! | 正本にあり、登録済みの内容と違う | `更新` |
//! | 正本にあり、当年分をマイナー改版の新しい版で登録し直す ([`Atsukai::KonoBanDe`]) のに、ほかの版で登録されている | `更新` (FUK-10) |
//! | 廃止されたデータセットの副本を残す ([`Atsukai::Nokosu`]) | 送らない (FUK-09) |
//! | 正本になく、登録されている | `削除` (FUK-12) |
//! | 持たないと決めた副本 (メジャー改版の旧版、廃止されたデータセット、[`super::kaihan`]) が登録されている | `削除` (FUK-07、FUK-09) |
//! | 連携開始日が来たメジャー改版の旧版のメジャーバージョンの副本 ([`super::kaihan::kyuuban`]) が登録されている | `削除` (FUK-07。正本から何を作っても) |
//! | 処理結果を待っている (送ったファイルが `処理済み` でない) | 送らない (FUK-05) |
//! | 最後の処理結果が `エラー` | 正本のいまの内容で送り直す (FUK-11)。ただし、エラーになったときと同じ処理・同じ内容なら、
//! |   | 同じエラーになるだけなので正本が変わるまで待つ (FK00・FK01 は中身でなく送り方の問題なので待たずに送り直す) |
//!
//! 登録済みのキーに登録した (FK17) ときは「登録されている (内容は分からない)」に、登録されていないキーを
//! 更新・削除した (FK18) ときは「登録されていない」に、処理結果を当てるときに直します (`store::kizon`)。
//! そうすると次の回のこの表が、更新・登録を選びます。

use super::kaihan::Atsukai;
use super::sakusei::{Fukuhon, FukuhonKey, Naiyou};
use crate::defects::{DefectKind, Seeded};
use std::collections::{HashMap, HashSet};

/// 処理区分 (docs/chukan-fukuhon-file.md「処理区分」)。
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShoriKubun {
    Touroku,
    Koushin,
    Sakujo,
}

impl ShoriKubun {
    pub fn as_str(self) -> &'static str {
        match self {
            ShoriKubun::Touroku => "登録",
            ShoriKubun::Koushin => "更新",
            ShoriKubun::Sakujo => "削除",
        }
    }

    pub fn from_word(word: &str) -> Option<ShoriKubun> {
        match word {
            "登録" => Some(ShoriKubun::Touroku),
            "更新" => Some(ShoriKubun::Koushin),
            "削除" => Some(ShoriKubun::Sakujo),
            _ => None,
        }
    }
}

/// 中身でなく送り方 (ファイルが読めなくなった、レコード識別番号が重なった) によるエラー。同じ内容で送り直します。
pub const RESEND_ANYWAY: [&str; 2] = ["FK00", "FK01"];

/// 最後の処理結果。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastResult {
    pub kubun: ShoriKubun,
    pub ok: bool,
    /// エラーの結果コード (FKnn)。
    pub code: Option<String>,
    /// 送った内容 ([`Naiyou::text`])。削除なら `None`。
    pub naiyou: Option<String>,
}

/// 副本のキー1つについて、システムが知っていること。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FukuhonJotai {
    pub key: FukuhonKey,
    pub seihon_id: String,
    /// 中間サーバーに登録されているとシステムが知っている。
    pub registered: bool,
    /// 登録されている内容 ([`Naiyou::text`])。分からなければ `None` (FK17 で知ったとき)。
    pub registered_naiyou: Option<String>,
    /// 登録されている副本を作ったレイアウトの版 (`R1.6`)。分からなければ `None`。
    pub registered_edition: Option<String>,
    /// 送って処理結果を待っている。
    pub pending: bool,
    pub last: Option<LastResult>,
}

/// 送る処理1つ。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sousa {
    pub kubun: ShoriKubun,
    pub seihon_id: String,
    pub key: FukuhonKey,
    /// 登録・更新の内容。削除なら `None`。
    pub naiyou: Option<Naiyou>,
    /// 登録・更新の内容を作ったレイアウトの版。削除なら `None`。
    pub edition: Option<String>,
}

impl Sousa {
    pub fn naiyou_text(&self) -> Option<String> {
        self.naiyou.as_ref().map(Naiyou::text)
    }
}

/// 同じ処理・同じ内容でエラーになったばかりか (正本が変わるまで送らない)。
fn failed_the_same(last: Option<&LastResult>, kubun: ShoriKubun, naiyou: Option<&str>) -> bool {
    last.is_some_and(|l| {
        !l.ok
            && l.kubun == kubun
            && l.naiyou.as_deref() == naiyou
            && !l
                .code
                .as_deref()
                .is_some_and(|c| RESEND_ANYWAY.contains(&c))
    })
}

/// 送る処理を決めます: 正本の順に登録・更新、そのあと削除。`genzai` は正本にいまあるレコードの `seihon_id`
/// (副本にしないものも含めて)、`kyuuban` は連携開始日が来たメジャー改版の旧版の副本のキーか。
pub fn sabun(
    desired: &[Fukuhon],
    known: &[FukuhonJotai],
    genzai: &HashSet<&str>,
    kyuuban: &dyn Fn(&FukuhonKey) -> bool,
    seeded: Seeded,
) -> Vec<Sousa> {
    let by_key: HashMap<&FukuhonKey, &FukuhonJotai> = known.iter().map(|k| (&k.key, k)).collect();
    let mut wanted: HashSet<&FukuhonKey> = HashSet::new();
    let mut out = Vec::new();
    for f in desired {
        if by_key.get(&f.key).is_some_and(|s| s.registered) && kyuuban(&f.key) {
            // 登録されている旧版の副本は持たない (下で削除する)。
            continue;
        }
        if !wanted.insert(&f.key) {
            // 同じキーの正本が2つ: 最初のものだけ (2つ目は送っても FK17 になるだけ)。
            continue;
        }
        if f.atsukai == Atsukai::Nokosu {
            // 登録されている副本を残すだけ (削除しない、送らない)。
            continue;
        }
        let state = by_key.get(&f.key);
        if state.is_some_and(|s| s.pending) {
            continue;
        }
        let last = state.and_then(|s| s.last.as_ref());
        if seeded.has(DefectKind::FukuhonErrorNotResent) && last.is_some_and(|l| !l.ok) {
            // 不具合: 一度エラーになったレコードは、正本が変わっても二度と送らない。
            continue;
        }
        let text = f.naiyou.text();
        let kubun = match state {
            Some(s) if s.registered => {
                let same = s.registered_naiyou.as_deref() == Some(text.as_str());
                let other_edition = f.atsukai == Atsukai::KonoBanDe
                    && s.registered_edition.as_deref() != Some(f.edition.as_str());
                if same && !other_edition {
                    continue;
                }
                ShoriKubun::Koushin
            }
            _ => ShoriKubun::Touroku,
        };
        if failed_the_same(last, kubun, Some(&text)) {
            continue;
        }
        out.push(Sousa {
            kubun,
            seihon_id: f.seihon_id.clone(),
            key: f.key.clone(),
            naiyou: Some(f.naiyou.clone()),
            edition: Some(f.edition.clone()),
        });
    }
    for k in known {
        if !k.registered || k.pending || wanted.contains(&k.key) {
            continue;
        }
        if seeded.has(DefectKind::FukuhonDeletionIgnored) && !genzai.contains(k.seihon_id.as_str())
        {
            // 不具合: 正本からなくなったレコードの削除を送らない (改版で持たなくなった副本の削除は送る)。
            continue;
        }
        if failed_the_same(k.last.as_ref(), ShoriKubun::Sakujo, None) {
            continue;
        }
        out.push(Sousa {
            kubun: ShoriKubun::Sakujo,
            seihon_id: k.seihon_id.clone(),
            key: k.key.clone(),
            naiyou: None,
            edition: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kizon::fukuhon::sakusei::Koumoku;

    fn key(n: &str) -> FukuhonKey {
        FukuhonKey {
            tougou_atena_bango: format!("00000010000000{n}"),
            tokutei: "TM00000000000002".into(),
            dataset: "D0201".into(),
            record_key: "2025".into(),
            major_version: 1,
        }
    }

    fn fukuhon(n: &str, value: &str) -> Fukuhon {
        Fukuhon {
            seihon_id: format!("S{n}"),
            key: key(n),
            naiyou: Naiyou {
                kokai_bi: "2026-04-01".into(),
                kokai_shuryo_bi: None,
                items: vec![Koumoku {
                    name: "年税額".into(),
                    value: Some(value.into()),
                    null_riyu: None,
                }],
            },
            edition: "R1.6".into(),
            atsukai: Atsukai::Tsuujou,
        }
    }

    /// 正本にいまあるのは `desired` のレコードだけ。
    fn sabun_t(desired: &[Fukuhon], known: &[FukuhonJotai], seeded: Seeded) -> Vec<Sousa> {
        let genzai: HashSet<&str> = desired.iter().map(|f| f.seihon_id.as_str()).collect();
        sabun(desired, known, &genzai, &|_| false, seeded)
    }

    fn registered(f: &Fukuhon) -> FukuhonJotai {
        FukuhonJotai {
            key: f.key.clone(),
            seihon_id: f.seihon_id.clone(),
            registered: true,
            registered_naiyou: Some(f.naiyou.text()),
            registered_edition: Some(f.edition.clone()),
            pending: false,
            last: Some(LastResult {
                kubun: ShoriKubun::Touroku,
                ok: true,
                code: None,
                naiyou: Some(f.naiyou.text()),
            }),
        }
    }

    fn failed(f: &Fukuhon, code: &str) -> FukuhonJotai {
        FukuhonJotai {
            registered: false,
            registered_naiyou: None,
            last: Some(LastResult {
                kubun: ShoriKubun::Touroku,
                ok: false,
                code: Some(code.into()),
                naiyou: Some(f.naiyou.text()),
            }),
            ..registered(f)
        }
    }

    fn kinds(ops: &[Sousa]) -> Vec<(&str, &str)> {
        ops.iter()
            .map(|o| (o.seihon_id.as_str(), o.kubun.as_str()))
            .collect()
    }

    #[test]
    fn new_changed_and_gone_keys_become_touroku_koushin_and_sakujo() {
        let a = fukuhon("1", "100");
        let b_old = fukuhon("2", "200");
        let b_new = fukuhon("2", "250");
        let c = fukuhon("3", "300");
        let gone = fukuhon("4", "400");
        let known = vec![registered(&b_old), registered(&c), registered(&gone)];
        let ops = sabun_t(&[a, b_new.clone(), c], &known, Seeded::NONE);
        assert_eq!(
            kinds(&ops),
            [("S1", "登録"), ("S2", "更新"), ("S4", "削除")]
        );
        assert_eq!(ops[1].naiyou.as_ref(), Some(&b_new.naiyou));
        assert!(ops[2].naiyou.is_none());
        let ignored = sabun_t(
            &[b_new],
            &known,
            Seeded::from_id("fukuhon-deletion-ignored").unwrap(),
        );
        assert_eq!(kinds(&ignored), [("S2", "更新")]);
    }

    #[test]
    fn pending_keys_are_not_sent_again() {
        let a = fukuhon("1", "100");
        let pending = FukuhonJotai {
            registered: false,
            registered_naiyou: None,
            pending: true,
            last: None,
            ..registered(&a)
        };
        assert!(
            sabun_t(
                &[fukuhon("1", "150")],
                std::slice::from_ref(&pending),
                Seeded::NONE
            )
            .is_empty()
        );
        // 処理待ちの削除も重ねない
        let pending_registered = FukuhonJotai {
            registered: true,
            ..pending
        };
        assert!(sabun_t(&[], &[pending_registered], Seeded::NONE).is_empty());
    }

    #[test]
    fn an_error_is_resent_once_the_seihon_changes() {
        let bad = fukuhon("1", "12a");
        let state = failed(&bad, "FK11");
        assert!(
            sabun_t(
                std::slice::from_ref(&bad),
                std::slice::from_ref(&state),
                Seeded::NONE
            )
            .is_empty(),
            "同じ内容なら同じエラーになるだけ"
        );
        let fixed = fukuhon("1", "120");
        assert_eq!(
            kinds(&sabun_t(
                std::slice::from_ref(&fixed),
                std::slice::from_ref(&state),
                Seeded::NONE
            )),
            [("S1", "登録")]
        );
        let defect = Seeded::from_id("fukuhon-error-not-resent").unwrap();
        assert!(sabun_t(&[fixed], &[state], defect).is_empty());
        // 送り方のエラーは同じ内容でも送り直す
        assert_eq!(
            kinds(&sabun_t(
                std::slice::from_ref(&bad),
                &[failed(&bad, "FK01")],
                Seeded::NONE
            )),
            [("S1", "登録")]
        );
        assert_eq!(
            kinds(&sabun_t(
                std::slice::from_ref(&bad),
                &[failed(&bad, "FK00")],
                Seeded::NONE
            )),
            [("S1", "登録")]
        );
    }

    #[test]
    fn fk17_and_fk18_turn_into_koushin_and_touroku() {
        let a = fukuhon("1", "100");
        // FK17 のあと: 登録されているが内容は分からない → 更新
        let fk17 = FukuhonJotai {
            registered: true,
            registered_naiyou: None,
            ..failed(&a, "FK17")
        };
        assert_eq!(
            kinds(&sabun_t(std::slice::from_ref(&a), &[fk17], Seeded::NONE)),
            [("S1", "更新")]
        );
        // 更新が FK18 のあと: 登録されていない → 登録
        let fk18 = FukuhonJotai {
            last: Some(LastResult {
                kubun: ShoriKubun::Koushin,
                ok: false,
                code: Some("FK18".into()),
                naiyou: Some(a.naiyou.text()),
            }),
            ..failed(&a, "FK18")
        };
        assert_eq!(
            kinds(&sabun_t(&[a], &[fk18], Seeded::NONE)),
            [("S1", "登録")]
        );
    }

    #[test]
    fn a_new_major_version_registers_the_new_key_and_deletes_the_old() {
        let old = fukuhon("1", "100");
        let mut new = old.clone();
        new.key.major_version = 2;
        let ops = sabun_t(&[new], &[registered(&old)], Seeded::NONE);
        assert_eq!(kinds(&ops), [("S1", "登録"), ("S1", "削除")]);
        assert_eq!(ops[0].key.major_version, 2);
        assert_eq!(ops[1].key.major_version, 1);
    }

    #[test]
    fn a_current_year_minor_record_is_re_registered_in_the_new_edition_once() {
        let mut old = fukuhon("1", "100");
        old.edition = "H30.6".into();
        let known = [registered(&old)];
        // 内容が同じで版だけ違う: ふつうの副本は送らない、当年分 (KonoBanDe) は更新する。
        let mut past = fukuhon("1", "100");
        assert!(sabun_t(std::slice::from_ref(&past), &known, Seeded::NONE).is_empty());
        past.atsukai = Atsukai::KonoBanDe;
        let ops = sabun_t(std::slice::from_ref(&past), &known, Seeded::NONE);
        assert_eq!(kinds(&ops), [("S1", "更新")]);
        assert_eq!(ops[0].edition.as_deref(), Some("R1.6"));
        // 新しい版で登録し終えたら、もう送らない。
        assert!(sabun_t(&[past.clone()], &[registered(&past)], Seeded::NONE).is_empty());
    }

    #[test]
    fn a_kept_fukuhon_is_neither_sent_nor_deleted() {
        let mut abolished = fukuhon("1", "100");
        abolished.atsukai = Atsukai::Nokosu;
        let mut changed = abolished.clone();
        changed.naiyou.items[0].value = Some("150".into());
        assert!(sabun_t(&[changed], &[registered(&abolished)], Seeded::NONE).is_empty());
        // 持たないと決めたら (正本にはまだある) 削除する。
        let ops = sabun(
            &[],
            &[registered(&abolished)],
            &HashSet::from(["S1"]),
            &|_| false,
            Seeded::NONE,
        );
        assert_eq!(kinds(&ops), [("S1", "削除")]);
    }

    #[test]
    fn the_deletion_defect_only_skips_records_gone_from_the_seihon() {
        let defect = Seeded::from_id("fukuhon-deletion-ignored").unwrap();
        let old = fukuhon("1", "100");
        let mut new = old.clone();
        new.key.major_version = 2;
        // 改版で持たなくなった旧版の副本 (正本にはある): 不具合でも削除する。
        let ops = sabun_t(std::slice::from_ref(&new), &[registered(&old)], defect);
        assert_eq!(kinds(&ops), [("S1", "登録"), ("S1", "削除")]);
        // 正本からなくなったレコード: 不具合では削除しない。
        assert!(sabun_t(&[], &[registered(&old)], defect).is_empty());
    }

    #[test]
    fn a_registered_old_major_version_is_deleted_whatever_the_seihon_makes() {
        let old = fukuhon("1", "100");
        let mut changed = old.clone();
        changed.naiyou.items[0].value = Some("150".into());
        let genzai = HashSet::from(["S1"]);
        let is_old = |k: &FukuhonKey| k.major_version == 1;
        // 登録されている旧版の副本: 更新せずに削除する。
        let ops = sabun(
            std::slice::from_ref(&changed),
            &[registered(&old)],
            &genzai,
            &is_old,
            Seeded::NONE,
        );
        assert_eq!(kinds(&ops), [("S1", "削除")]);
        // 登録されていなければ、この規則では何もしない (正本との差のとおり)。
        let ops = sabun(&[changed], &[], &genzai, &is_old, Seeded::NONE);
        assert_eq!(kinds(&ops), [("S1", "登録")]);
    }
}
