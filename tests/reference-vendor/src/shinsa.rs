//! 審査 (`shinsa` ジョブ): 職員が申請の審査ステータスを変え、処理状況をダウンロード API に報告します。
//!
//! - 遷移は 未審査 → 審査中 → 審査完了 / 却下 だけ (ING-14)。審査完了と却下は最後の状態です。
//! - 職員は割り当てられた手続の申請だけを扱えます (ING-21)。割り当てが空の職員はすべてを扱えます。
//! - 断るときは何も変えません。ジョブは `409` で答えます。
//! - 変えたら処理状況を報告します (ING-17)。報告できなくても (時間外など) 変えたことは取り消さず、
//!   次の取込の回に追いついて報告します。

use crate::app::App;
use crate::config::RenkeiConfig;
use crate::defects::DefectKind;
use crate::error::Result;
use crate::model::ShinsaStatus;
use crate::pittari::Session;
use crate::torikomi;

/// 審査の結果。
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 変えた。報告できたか (できなければ次の回に)。
    Changed { reported: bool },
    /// 職員の操作を断った (理由)。
    Refused(String),
}

pub async fn shinsa(
    app: &App,
    config: &RenkeiConfig,
    session: &mut Session,
    uketsuke_bango: &str,
    status: &str,
    shokuin_id: &str,
) -> Result<Outcome> {
    let Some(next) = ShinsaStatus::from_word(status) else {
        return Ok(Outcome::Refused(format!(
            "審査ステータス「{status}」は 未審査 / 審査中 / 審査完了 / 却下 のどれでもありません"
        )));
    };
    let Some(record) = app
        .store()
        .shinsei_by_uketsuke(uketsuke_bango)?
        .into_iter()
        .next()
    else {
        return Ok(Outcome::Refused(format!(
            "受付番号 {uketsuke_bango} の申請は取り込まれていません"
        )));
    };
    if !app.seeded.has(DefectKind::AssignmentIgnored) {
        match config.shokuin(shokuin_id) {
            None => {
                return Ok(Outcome::Refused(format!(
                    "職員「{shokuin_id}」は設定にいません"
                )));
            }
            Some(s) if !s.may_see(&record.tetsuzuki) => {
                return Ok(Outcome::Refused(format!(
                    "職員「{shokuin_id}」には手続 {} が割り当てられていません",
                    record.tetsuzuki
                )));
            }
            Some(_) => {}
        }
    }
    let current = ShinsaStatus::from_word(&record.shinsa_status).unwrap_or(ShinsaStatus::Mishinsa);
    if !current.may_become(next) && !app.seeded.has(DefectKind::ShinsaAnyTransition) {
        return Ok(Outcome::Refused(format!(
            "審査ステータスを「{}」から「{}」には変えられません",
            current.as_str(),
            next.as_str()
        )));
    }
    // 同じ受付番号の申請 (不具合 redelivery-duplicated では2件ありうる) をそろえて変えます。
    let records = app.store().shinsei_by_uketsuke(uketsuke_bango)?;
    for r in &records {
        app.store().set_shinsa_status(r.id, next.as_str())?;
    }
    let mut reported = true;
    let changed = app.store().shinsei_by_uketsuke(uketsuke_bango)?;
    for r in changed {
        reported &= torikomi::report_shori_jokyo(app, session, &r)
            .await?
            .is_ok();
    }
    Ok(Outcome::Changed { reported })
}
