//! 提供除外項目 (FUK-15; seed 004 §3.3 #9): what the partner 団体 was provided from the system's
//! 副本, and the system's 提供除外項目マスタ on the 中間サーバー (docs/kizon-gyomu.md「副本登録の1回」).

use std::collections::{BTreeMap, BTreeSet};

use renkei_simulator::chukan::teikyou_jogai;
use renkei_simulator::nws::shoukai::ShoukaiStatus;

use super::aite::partner_kikan;
use super::fukuhon::{catch_up, own_tenant};
use super::{Args, StepDef, StepError, StepResult, started, step, verdict};
use crate::runner::World;
use crate::runner::kizon::PARTNER_NAME;

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(
            r"相手の団体に提供された副本に提供除外項目は入っていない",
            not_provided
        ),
        step!(
            r"中間サーバーの提供除外項目マスタは、正本のデータセットについてデータ標準レイアウトの提供除外項目のとおりである",
            master_as_layouts
        ),
    ]
}

/// (特定個人情報名コード, データセット) → the items the layout catalog marks provision_excluded.
fn catalog(world: &World) -> BTreeMap<(String, String), BTreeSet<String>> {
    teikyou_jogai::catalog_datasets(&world.ctx.catalogs.layouts)
        .into_iter()
        .map(|d| {
            (
                (d.tokutei.as_str().to_owned(), d.dataset),
                d.items.into_iter().collect(),
            )
        })
        .collect()
}

/// The partner's last 照会 of the system (`相手の団体が…照会する`): what it was provided must
/// hold none of the 提供除外項目 of the layout.
async fn not_provided(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    catch_up(world)?;
    let tsuuban = world.memo.get("partner_shoukai").cloned().ok_or_else(|| {
        StepError::Suite(format!(
            "{PARTNER_NAME}の照会がありません (前に「{PARTNER_NAME}が…照会する」を書きます)"
        ))
    })?;
    let number = tsuuban
        .parse()
        .map_err(|_| StepError::Suite(format!("処理通番「{tsuuban}」")))?;
    let partner = partner_kikan(world)?;
    let shoukai = started(world)?
        .stack
        .chukan
        .shoukai()
        .joukyou(partner, number)
        .map_err(|e| StepError::Suite(format!("{PARTNER_NAME}の照会 {tsuuban}: {e}")))?;
    let excluded = catalog(world);
    let tokutei = shoukai.naiyou.tokutei.as_str().to_owned();
    world.note(
        "note",
        format!("{PARTNER_NAME}に提供された副本 (処理通番 {tsuuban})"),
        shoukai
            .kekka
            .iter()
            .map(|h| h.fukuhon.clone())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    if shoukai.status != ShoukaiStatus::SeijouShuuryou {
        return Err(StepError::Fail(format!(
            "{PARTNER_NAME}の照会 (処理通番 {tsuuban}) は「{}」で、副本が提供されていません",
            shoukai.status.label()
        )));
    }
    let mut problems = Vec::new();
    let mut judged = false;
    for hit in &shoukai.kekka {
        let Some(items) = excluded.get(&(tokutei.clone(), hit.dataset.clone())) else {
            continue;
        };
        judged = true;
        for item in items {
            if hit.fukuhon.contains(&format!("名=\"{item}\"")) {
                problems.push(format!(
                    "{PARTNER_NAME}に提供された副本 {} {} に提供除外項目「{item}」が入っています (提供除外項目マスタに登録されていない)",
                    hit.dataset, hit.record_key
                ));
            }
        }
    }
    if !judged {
        return Err(StepError::Suite(format!(
            "{PARTNER_NAME}に提供された副本に、提供除外項目のあるデータセットがありません (シナリオの正本を直します)"
        )));
    }
    verdict(problems)
}

/// The system's 提供除外項目マスタ, for every dataset of its 正本 that has 提供除外項目 in the
/// layout catalog, holds exactly those items.
async fn master_as_layouts(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let kikan = own_tenant(world)?.kikan();
    let live = started(world)?;
    let mut held: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for item in live.stack.chukan.teikyou_source().teikyou_jogai(kikan) {
        held.entry((item.tokutei.as_str().to_owned(), item.dataset))
            .or_default()
            .insert(item.item);
    }
    let datasets: BTreeSet<(String, String)> = live
        .kizon
        .seihon
        .iter()
        .map(|r| (r.tokutei.clone(), r.dataset.clone()))
        .collect();
    world.note(
        "note",
        "中間サーバーの提供除外項目マスタ (既存業務システムの団体)",
        if held.is_empty() {
            "(登録なし)".to_owned()
        } else {
            held.iter()
                .map(|((t, d), items)| {
                    format!(
                        "{t} {d}: {}",
                        items.iter().cloned().collect::<Vec<_>>().join("、")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        },
    );
    let excluded = catalog(world);
    let mut problems = Vec::new();
    let mut judged = false;
    for key in &datasets {
        let want = excluded.get(key).cloned().unwrap_or_default();
        let have = held.get(key).cloned().unwrap_or_default();
        judged |= !want.is_empty();
        let missing: Vec<&String> = want.difference(&have).collect();
        let extra: Vec<&String> = have.difference(&want).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{} {} の提供除外項目 {missing:?} が提供除外項目マスタに登録されていません",
                key.0, key.1
            ));
        }
        if !extra.is_empty() {
            problems.push(format!(
                "{} {} の {extra:?} はデータ標準レイアウトの提供除外項目ではないのに、提供除外項目マスタにあります",
                key.0, key.1
            ));
        }
    }
    if !judged {
        return Err(StepError::Suite(
            "正本に提供除外項目のあるデータセットがありません (シナリオの正本を直します)".into(),
        ));
    }
    verdict(problems)
}
