//! 情報提供 (`teikyou`、docs/kizon-gyomu.md「ジョブ」): 職員の確認 1 回分。通知を読み (`IF_OSR_10611_R01`)、
//! 未回答の提供の求め (`確認待ち`・`送信許可待ち`、`IF_TKY_10811_R01`) を提供の求めの古い順にすべて確認し
//! (`IF_TKY_10812_R01`)、送信を許可します (`IF_TKY_10813_R01`)。有効期間 (30 日) のうちに `提供済み` に
//! するためです (TKY-01)。確認と送信許可はサービス提供時間内だけなので、時間外なら何もせずに次の回にします。

use super::jikan;
use super::{Ctx, Tsuushin};
use crate::chukan::Elem;
use crate::chukan::denbun::Reply;
use crate::defects::DefectKind;
use crate::error::{Error, Result};
use crate::jst;
use crate::store::TsuuchiRow;
use serde::Serialize;

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
    pub kakunin: usize,
    pub kyoka: usize,
    pub notes: Vec<String>,
    pub stopped: Option<String>,
}

/// 未回答の提供の求め1件。
#[derive(Debug, Clone)]
struct Motome {
    shori_tsuuban: String,
    nichiji: String,
    status: String,
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
    tsuuchi(ctx, report).await?;
    let mut list = match ctx.yomu(JOKYO, &[("未回答のみ", "1")]).await? {
        Reply::Ok { body, .. } => body.all("提供状況").map(motome).collect::<Vec<_>>(),
        Reply::Refused(e) => {
            report
                .notes
                .push(format!("{JOKYO}: {}: {}", e.code, e.message));
            return Ok(());
        }
    };
    // 古い順 (提供の求めの日時、同じなら処理通番)。
    list.sort_by_key(|m| {
        (
            jst::parse(&m.nichiji)
                .ok()
                .map(|t| t.unix_timestamp_nanos()),
            m.shori_tsuuban.clone(),
        )
    });
    report.mikaitou = list.len();
    let j = jikan::jikan(ctx.now, ctx.seeded);
    if !j.okureru() {
        report.notes.push(format!(
            "{} なので確認と送信許可は次の回にします",
            j.as_str()
        ));
        return Ok(());
    }
    let today = ctx.today();
    for m in list {
        if ctx.seeded.has(DefectKind::TeikyouTodayOnly)
            && jst::parse(&m.nichiji).map(jst::date_of).ok() != Some(today)
        {
            // 不具合: 今日届いた提供の求めしか見ない。
            continue;
        }
        let mut status = m.status.clone();
        if status == KAKUNIN_MACHI {
            match ctx
                .kaeru(KAKUNIN, &[("処理通番", &m.shori_tsuuban)])
                .await?
            {
                Reply::Ok { body, .. } => {
                    report.kakunin += 1;
                    status = body
                        .child("提供状況")
                        .map(|p| p.text_of("提供ステータス"))
                        .unwrap_or_else(|| KYOKA_MACHI.to_owned());
                }
                Reply::Refused(e) => {
                    report.notes.push(format!(
                        "{KAKUNIN} ({}): {}: {}",
                        m.shori_tsuuban, e.code, e.message
                    ));
                    if e.code == "SK30" || e.code == "SK31" {
                        return Ok(());
                    }
                    continue;
                }
            }
        }
        if status != KYOKA_MACHI {
            continue;
        }
        match ctx.kaeru(KYOKA, &[("処理通番", &m.shori_tsuuban)]).await? {
            Reply::Ok { .. } => report.kyoka += 1,
            Reply::Refused(e) => {
                report.notes.push(format!(
                    "{KYOKA} ({}): {}: {}",
                    m.shori_tsuuban, e.code, e.message
                ));
                if e.code == "SK30" || e.code == "SK31" {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

fn motome(p: &Elem) -> Motome {
    Motome {
        shori_tsuuban: p.text_of("処理通番"),
        nichiji: p.text_of("提供の求めの日時"),
        status: p.text_of("提供ステータス"),
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
