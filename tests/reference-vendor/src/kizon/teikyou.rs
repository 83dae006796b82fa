//! 情報提供 (`teikyou`、docs/kizon-gyomu.md「提供」): 職員の確認 1 回分。
//!
//! 1. 通知 (`IF_OSR_10611_R01`) を前回読んだ通知番号の続きから読みます。`有効期間切れ事前通知` を受けた提供の
//!    求めは `/teikyou` で `jizen_tsuuchi: true` になり、この回で先に確認します (TKY-03)。
//! 2. 未回答の提供の求め (`確認待ち`・`送信許可待ち`、`IF_TKY_10811_R01`) を、事前通知を受けたものから、あとは
//!    古い順にすべて確認し (`IF_TKY_10812_R01`)、送信を許可します (`IF_TKY_10813_R01`)。有効期間 (30 日) の
//!    うちに `提供済み` にするためです (TKY-01)。レイアウトの切替の前に受けた提供の求め (いま有効な版にない、
//!    廃止されたデータセットのものも) にも同じく答えます (TKY-02)。確認で中間サーバーが `提供不可` にしたもの
//!    (メジャー改版) は送信許可しません。
//!
//! 読んだ提供の求めは保管し、最後に知った提供ステータスとともに `/teikyou` で答えます。前に未回答だったものが
//! 一覧から消えていれば (有効期間切れ・取りやめ)、処理通番で今の状況を聞き直します。確認と送信許可は
//! サービス提供時間内だけなので、時間外なら確認・送信許可は次の回にします。

use super::catalog::Layouts;
use super::jikan;
use super::{Ctx, Tsuushin};
use crate::chukan::Elem;
use crate::chukan::denbun::Reply;
use crate::defects::DefectKind;
use crate::error::{Error, Result};
use crate::jst;
use crate::store::{TeikyouRow, TsuuchiRow};
use serde::Serialize;
use std::collections::HashSet;

pub const TSUUCHI: &str = "IF_OSR_10611_R01";
pub const JOKYO: &str = "IF_TKY_10811_R01";
pub const KAKUNIN: &str = "IF_TKY_10812_R01";
pub const KYOKA: &str = "IF_TKY_10813_R01";

/// 1 回に読む通知の数 (上限 1000)。
const TSUUCHI_MAX: usize = 1000;

const KAKUNIN_MACHI: &str = "確認待ち";
const KYOKA_MACHI: &str = "送信許可待ち";

/// `teikyou` の報告。
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// 読んだ通知の数。
    pub tsuuchi: usize,
    /// 未回答の提供の求めの数。
    pub mikaitou: usize,
    /// そのうち有効期間切れ事前通知を受けたもの。
    pub jizen_tsuuchi: usize,
    pub kakunin: usize,
    pub kyoka: usize,
    pub notes: Vec<String>,
    pub stopped: Option<String>,
}

/// 未回答の提供の求め1件。
#[derive(Debug, Clone)]
struct Motome {
    row: TeikyouRow,
    /// 提供する副本のデータセット (`提供内容` の `該当副本`)。
    datasets: Vec<String>,
}

/// `teikyou`: 職員の確認 1 回分。
pub async fn teikyou(ctx: &mut Ctx<'_>) -> Result<Report> {
    let mut report = Report::default();
    if let Err(Tsuushin(why)) = run(ctx, &mut report).await {
        report.stopped = Some(why);
    }
    Ok(report)
}

async fn run(ctx: &mut Ctx<'_>, report: &mut Report) -> std::result::Result<(), Tsuushin> {
    if ctx.seeded.has(DefectKind::JizenTsuuchiIgnored) {
        // 不具合: 通知を読まない (有効期間切れ事前通知を知らない)。
    } else {
        tsuuchi(ctx, report).await?;
    }
    let mut list = match ctx.yomu(JOKYO, &[("未回答のみ", "1")]).await? {
        Reply::Ok { body, .. } => body.all("提供状況").map(motome).collect::<Vec<_>>(),
        Reply::Refused(e) => {
            report
                .notes
                .push(format!("{JOKYO}: {}: {}", e.code, e.message));
            return Ok(());
        }
    };
    for m in &list {
        ctx.app.store().kizon_teikyou_upsert(&m.row).map_err(db)?;
    }
    kikinaoshi(ctx, report, &list).await?;
    let jizen = ctx.app.store().kizon_jizen_tsuuchi().map_err(db)?;
    // 事前通知を受けたものが先、あとは古い順 (提供の求めの日時、同じなら処理通番)。
    list.sort_by_key(|m| {
        (
            !jizen.contains(&m.row.shori_tsuuban),
            jst::parse(&m.row.motome_nichiji)
                .ok()
                .map(|t| t.unix_timestamp_nanos()),
            m.row.shori_tsuuban.clone(),
        )
    });
    report.mikaitou = list.len();
    report.jizen_tsuuchi = list
        .iter()
        .filter(|m| jizen.contains(&m.row.shori_tsuuban))
        .count();
    let j = jikan::jikan(ctx.now, ctx.seeded);
    if !j.okureru() {
        report.notes.push(format!(
            "{} なので確認と送信許可は次の回にします",
            j.as_str()
        ));
        return Ok(());
    }
    let layouts = if ctx.seeded.has(DefectKind::TeikyouCurrentEditionOnly) {
        Layouts::load(&ctx.path(&ctx.kizon.layouts))
            .map_err(|e| report.notes.push(e))
            .ok()
    } else {
        None
    };
    for m in list {
        let tsuuban = m.row.shori_tsuuban.clone();
        if ctx.seeded.has(DefectKind::TeikyouWeekOnly)
            && jst::parse(&m.row.motome_nichiji)
                .is_ok_and(|t| ctx.now - t > time::Duration::days(7))
        {
            // 不具合: 7 日を過ぎた提供の求めは有効期間が切れたものとみなし、確認しない。
            continue;
        }
        if let Some(layouts) = &layouts
            && m.datasets
                .iter()
                .any(|d| layouts.in_force(&m.row.tokutei, d, ctx.today()).is_err())
        {
            // 不具合: いま有効な版のレイアウトにないデータセット (切替の前に受けた、廃止されたもの) の提供の
            // 求めには答えない。
            continue;
        }
        let mut status = m.row.status.clone();
        if status == KAKUNIN_MACHI {
            match ctx.kaeru(KAKUNIN, &[("処理通番", &tsuuban)]).await? {
                Reply::Ok { body, .. } => {
                    report.kakunin += 1;
                    status = body
                        .child("提供状況")
                        .map(|p| p.text_of("提供ステータス"))
                        .unwrap_or_else(|| KYOKA_MACHI.to_owned());
                    ctx.app
                        .store()
                        .kizon_teikyou_status(&tsuuban, &status)
                        .map_err(db)?;
                }
                Reply::Refused(e) => {
                    report
                        .notes
                        .push(format!("{KAKUNIN} ({tsuuban}): {}: {}", e.code, e.message));
                    if e.code == "SK30" || e.code == "SK31" {
                        return Ok(());
                    }
                    kikinaosu(ctx, report, &tsuuban).await?;
                    continue;
                }
            }
        }
        if status != KYOKA_MACHI {
            // 提供不可 (メジャー改版) などは送信許可しません。
            continue;
        }
        match ctx.kaeru(KYOKA, &[("処理通番", &tsuuban)]).await? {
            Reply::Ok { body, .. } => {
                report.kyoka += 1;
                if let Some(p) = body.child("提供状況") {
                    ctx.app
                        .store()
                        .kizon_teikyou_status(&tsuuban, &p.text_of("提供ステータス"))
                        .map_err(db)?;
                }
            }
            Reply::Refused(e) => {
                report
                    .notes
                    .push(format!("{KYOKA} ({tsuuban}): {}: {}", e.code, e.message));
                if e.code == "SK30" || e.code == "SK31" {
                    return Ok(());
                }
                kikinaosu(ctx, report, &tsuuban).await?;
            }
        }
    }
    Ok(())
}

/// 前に未回答だったのに一覧から消えた提供の求め (有効期間切れ・取りやめ・ほかの回で答えたもの) の今の状況を、
/// 処理通番で聞き直します。
async fn kikinaoshi(
    ctx: &mut Ctx<'_>,
    report: &mut Report,
    list: &[Motome],
) -> std::result::Result<(), Tsuushin> {
    let pending: HashSet<&str> = list.iter().map(|m| m.row.shori_tsuuban.as_str()).collect();
    let known = ctx.app.store().kizon_teikyou_all().map_err(db)?;
    for t in known {
        let mikaitou = t.status == KAKUNIN_MACHI || t.status == KYOKA_MACHI;
        if mikaitou && !pending.contains(t.shori_tsuuban.as_str()) {
            kikinaosu(ctx, report, &t.shori_tsuuban).await?;
        }
    }
    Ok(())
}

/// 提供の求め1件の今の状況を聞いて書き留めます。
async fn kikinaosu(
    ctx: &mut Ctx<'_>,
    report: &mut Report,
    tsuuban: &str,
) -> std::result::Result<(), Tsuushin> {
    match ctx.yomu(JOKYO, &[("処理通番", tsuuban)]).await? {
        Reply::Ok { body, .. } => {
            for m in body.all("提供状況").map(motome) {
                ctx.app.store().kizon_teikyou_upsert(&m.row).map_err(db)?;
            }
        }
        Reply::Refused(e) => report
            .notes
            .push(format!("{JOKYO} ({tsuuban}): {}: {}", e.code, e.message)),
    }
    Ok(())
}

fn motome(p: &Elem) -> Motome {
    let mut datasets: Vec<String> = p
        .child("提供内容")
        .map(|n| {
            n.all("該当副本")
                .flat_map(|g| g.all("副本"))
                .filter_map(|f| f.attr("データセット識別項目コード"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    datasets.sort();
    datasets.dedup();
    Motome {
        row: TeikyouRow {
            shori_tsuuban: p.text_of("処理通番"),
            shoukaisha: p.text_of("情報照会者機関コード"),
            tokutei: p.text_of("特定個人情報名コード"),
            motome_nichiji: p.text_of("提供の求めの日時"),
            yuukou_kigen: p.text_of("有効期限"),
            status: p.text_of("提供ステータス"),
        },
        datasets,
    }
}

/// 通知を、前に読んだものの後から読み切ります。
async fn tsuuchi(ctx: &mut Ctx<'_>, report: &mut Report) -> std::result::Result<(), Tsuushin> {
    let mut last = ctx.app.store().kizon_tsuuchi_last().map_err(db)?;
    loop {
        let reply = ctx
            .yomu(
                TSUUCHI,
                &[
                    ("前回の通知番号", &last.to_string()),
                    ("最大件数", &TSUUCHI_MAX.to_string()),
                ],
            )
            .await?;
        let body = match reply {
            Reply::Ok { body, .. } => body,
            Reply::Refused(e) => {
                report
                    .notes
                    .push(format!("{TSUUCHI}: {}: {}", e.code, e.message));
                return Ok(());
            }
        };
        let mut n = 0;
        for t in body.all("通知") {
            let Some(bangou) = t.get("通知番号").and_then(|b| b.trim().parse::<u64>().ok())
            else {
                continue;
            };
            let row = TsuuchiRow {
                bangou,
                shubetsu: t.text_of("通知種別"),
                shori_tsuuban: t.text_of("処理通番"),
                aite: t.text_of("相手機関コード"),
                nichiji: t.text_of("通知日時"),
            };
            ctx.app.store().kizon_tsuuchi_add(&row).map_err(db)?;
            last = last.max(bangou);
            n += 1;
        }
        report.tsuuchi += n;
        if n < TSUUCHI_MAX {
            return Ok(());
        }
    }
}

fn db(e: Error) -> Tsuushin {
    Tsuushin(format!("保管できません: {}", e.0))
}
