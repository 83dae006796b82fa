//! 情報照会・情報提供・情報提供等記録・問合せ: the 既存業務システム asking the partner 団体 and
//! answering it (SKI-*, TKY-*, TKM-*, SEC-*; docs/kizon-gyomu.md). The partner's setup is in
//! [`super::aite`], the 機関間テスト in [`super::kikan`].

use std::collections::BTreeSet;

use renkei_simulator::nws::shoukai::{KirokuKensaku, ShoriTsuuban, ShoukaiStatus};
use serde_json::{Value, json};

use super::aite::{jimu, jouken, partner_kikan, resident, suite};
use super::fukuhon::{catch_up, own_exchanges, own_tenant, tokutei_code};
use super::{Args, StepDef, StepError, StepResult, malformed, started, step, verdict};
use crate::requirements::Role;
use crate::runner::World;
use crate::runner::kizon::PARTNER_NAME;

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(
            r"職員が依頼「(\S+?)」で住民(\d+)の(\S+?)を(\S+?)の事務で相手の団体に照会する",
            shoukai
        ),
        step!(
            r"職員が住民(\d+)〜(\d+)の(\S+?)を(\S+?)の事務で相手の団体にくり返し([\d,]+)件一括で照会する",
            ikkatsu
        ),
        step!(
            r"既存業務システムが(?:もう一度)?照会の状況を確かめる",
            shoukai_kekka
        ),
        step!(
            r"既存業務システムが照会の状況を(\d+)分おきに(\d+)回確かめる",
            shoukai_kekka_every
        ),
        step!(
            r"職員が依頼「(\S+?)」の照会の記録に記録事項変更事由「(.+?)」を登録する",
            kiroku_jiyuu
        ),
        step!(
            r"職員が依頼「(\S+?)」の照会の記録を不開示にする",
            kiroku_fukaiji
        ),
        step!(
            r"依頼「(\S+?)」の照会の中間サーバーの記録に記録事項変更事由「(.+?)」がある",
            has_jiyuu
        ),
        step!(
            r"依頼「(\S+?)」の照会の中間サーバーの記録は不開示になっている",
            is_fukaiji
        ),
        step!(
            r"中間サーバーが既存業務システムのクライアント証明書を入れ替える",
            rotate_certificate
        ),
        step!(
            r"一括照会のファイルはどれも3,000件以内で、前のファイルが終わってから次が登録されている",
            ikkatsu_rules
        ),
        step!(r"職員が依頼「(\S+?)」の照会を取りやめる", toriyame),
        step!(r"職員が提供の求めを確認して送る", teikyou),
        step!(r"既存業務システムが情報提供等記録を取り込む", kiroku),
        step!(
            r"依頼「(\S+?)」の結果は相手の団体の副本のとおりである",
            result_as_provided
        ),
        step!(
            r"中間サーバーが ?(符号未取得|停止時間帯|サービス提供時間外|MSGMode の違い)で断った(?:照会|電文)はない",
            no_refusal
        ),
        step!(
            r"依頼「(\S+?)」の照会は中間サーバーで正常終了している",
            seijou_shuuryou
        ),
        step!(
            r"依頼「(\S+?)」は法令根拠がないので中間サーバーに送られていない",
            not_sent_without_basis
        ),
        step!(r"依頼「(\S+?)」は該当なしで、エラーではない", gaitou_nashi),
        step!(
            r"依頼「(\S+?)」の照会は中間サーバーで取りやめになっている",
            cancelled
        ),
        step!(
            r"取りやめのあと、既存業務システムは依頼「(\S+?)」の照会の状況を問い合わせていない",
            no_polling_after_cancel
        ),
        step!(r"相手の団体の照会は提供済みになっている", partner_answered),
        step!(
            r"既存業務システムは相手の団体の提供の求めに有効期間切れ事前通知を受けたと示している",
            jizen_tsuuchi_shown
        ),
        step!(r"職員が依頼「(\S+?)」の問合せ資料を作る", toiawase),
        step!(
            r"依頼「(\S+?)」の問合せ資料には、エラーと電文があり、本人を識別できる値がない",
            toiawase_masked
        ),
        step!(
            r"既存業務システムの情報提供等記録は中間サーバーの記録と同じである",
            kiroku_as_chukan
        ),
    ]
}

async fn shoukai(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let irai_id = args.get(0).to_owned();
    let person = resident(world, args.number(1)?)?;
    world
        .memo
        .insert(format!("irai_person:{irai_id}"), args.get(1).to_owned());
    let tokutei = tokutei_code(world, args.get(2))?;
    let (jimu, tetsuzuki) = jimu(world, args.get(3))?;
    let irai = json!([{
        "irai_id": irai_id,
        "tougou_atena_bango": person.tougou_atena_bango.to_string(),
        "jimu": jimu,
        "jimu_tetsuzuki": tetsuzuki,
        "tokutei": tokutei,
        "teikyousha": partner_kikan(world)?.to_string(),
        "jouken": jouken(world, &tokutei)?,
    }]);
    world
        .job(
            Role::KizonGyomu,
            "shoukai",
            &[("houshiki", json!("単件")), ("irai", irai)],
        )
        .await?;
    Ok(())
}

/// `count` 依頼 (`{prefix}00001`…) of residents `first`..=`last` in turn: 特定個人情報 `tokutei`
/// (its name) under the 事務 named `jimu`, asked of the partner 団体.
pub(crate) async fn kurikaeshi_irai(
    world: &mut World,
    (first, last): (u64, u64),
    tokutei: &str,
    jimu_name: &str,
    count: u64,
    prefix: &str,
) -> Result<Vec<Value>, StepError> {
    world.live().await?;
    if last < first {
        return Err(StepError::Suite("住民の範囲が逆です".into()));
    }
    let tokutei = tokutei_code(world, tokutei)?;
    let (jimu, tetsuzuki) = jimu(world, jimu_name)?;
    let teikyousha = partner_kikan(world)?.to_string();
    let jouken = jouken(world, &tokutei)?;
    let mut people = Vec::new();
    for n in first..=last {
        people.push(resident(world, n)?.tougou_atena_bango.to_string());
    }
    Ok((0..count)
        .map(|i| {
            json!({
                "irai_id": format!("{prefix}{:05}", i + 1),
                "tougou_atena_bango": people[(i as usize) % people.len()],
                "jimu": jimu,
                "jimu_tetsuzuki": tetsuzuki,
                "tokutei": tokutei,
                "teikyousha": teikyousha,
                "jouken": jouken,
            })
        })
        .collect())
}

async fn ikkatsu(world: &mut World, args: Args) -> StepResult {
    let count = args.number(4)?;
    let irai = kurikaeshi_irai(
        world,
        (args.number(0)?, args.number(1)?),
        args.get(2),
        args.get(3),
        count,
        "B",
    )
    .await?;
    world.memo.insert("ikkatsu_count".into(), count.to_string());
    world
        .job(
            Role::KizonGyomu,
            "shoukai",
            &[("houshiki", json!("一括")), ("irai", Value::Array(irai))],
        )
        .await?;
    Ok(())
}

async fn shoukai_kekka_every(world: &mut World, args: Args) -> StepResult {
    let minutes = args.number(0)? as i64;
    for _ in 0..args.number(1)? {
        let live = world.live().await?;
        live.stack
            .clock
            .advance(time::Duration::minutes(minutes))
            .map_err(suite)?;
        world.job(Role::KizonGyomu, "shoukai_kekka", &[]).await?;
    }
    Ok(())
}

/// The 処理通番 the system reports for a 依頼, checked to be its tenant's in the 中間サーバー.
async fn tsuuban_checked(world: &mut World, irai_id: &str) -> Result<ShoriTsuuban, StepError> {
    let report = irai(world, irai_id).await?;
    let kikan = own_tenant(world)?.kikan();
    let tsuuban = tsuuban_of(&report)
        .ok_or_else(|| StepError::Fail(format!("依頼「{irai_id}」に処理通番がありません")))?;
    started(world)?
        .stack
        .chukan
        .shoukai()
        .joukyou(kikan, tsuuban)
        .map_err(|e| {
            StepError::Fail(format!(
                "依頼「{irai_id}」の処理通番 {tsuuban} の照会は中間サーバーにありません ({e})"
            ))
        })?;
    Ok(tsuuban)
}

async fn kiroku_jiyuu(world: &mut World, args: Args) -> StepResult {
    let tsuuban = tsuuban_checked(world, args.get(0)).await?;
    world
        .job(
            Role::KizonGyomu,
            "kiroku_henkou",
            &[
                ("shori_tsuuban", json!(tsuuban.to_string())),
                ("jiyuu", json!(args.get(1))),
                ("fukaiji", Value::Null),
            ],
        )
        .await?;
    Ok(())
}

async fn kiroku_fukaiji(world: &mut World, args: Args) -> StepResult {
    let tsuuban = tsuuban_checked(world, args.get(0)).await?;
    world
        .job(
            Role::KizonGyomu,
            "kiroku_henkou",
            &[
                ("shori_tsuuban", json!(tsuuban.to_string())),
                ("jiyuu", Value::Null),
                ("fukaiji", json!(true)),
            ],
        )
        .await?;
    Ok(())
}

/// The scenario's own tenant's record of a 依頼's 照会.
async fn own_kiroku(
    world: &mut World,
    irai_id: &str,
) -> Result<renkei_simulator::nws::shoukai::Kiroku, StepError> {
    let tsuuban = tsuuban_checked(world, irai_id).await?;
    let kikan = own_tenant(world)?.kikan();
    let records = started(world)?
        .stack
        .chukan
        .shoukai()
        .kiroku(kikan, &KirokuKensaku::default())
        .map_err(suite)?;
    let record = records
        .into_iter()
        .find(|k| k.shori_tsuuban == tsuuban)
        .ok_or_else(|| {
            StepError::Fail(format!("処理通番 {tsuuban} の情報提供等記録がありません"))
        })?;
    world.note(
        "note",
        format!("中間サーバーの記録 (処理通番 {tsuuban})"),
        format!(
            "記録事項変更事由: {:?}\n不開示: {}",
            record
                .henkou_jiyuu
                .iter()
                .map(|j| &j.jiyuu)
                .collect::<Vec<_>>(),
            record.fukaiji
        ),
    );
    Ok(record)
}

async fn has_jiyuu(world: &mut World, args: Args) -> StepResult {
    let record = own_kiroku(world, args.get(0)).await?;
    if record.henkou_jiyuu.iter().any(|j| j.jiyuu == args.get(1)) {
        return Ok(());
    }
    Err(StepError::Fail(format!(
        "記録に記録事項変更事由「{}」が登録されていません (登録されているもの: {:?})",
        args.get(1),
        record
            .henkou_jiyuu
            .iter()
            .map(|j| &j.jiyuu)
            .collect::<Vec<_>>()
    )))
}

async fn is_fukaiji(world: &mut World, args: Args) -> StepResult {
    let record = own_kiroku(world, args.get(0)).await?;
    if record.fukaiji {
        return Ok(());
    }
    Err(StepError::Fail(
        "記録が不開示になっていません (IF_TKM_10912_R01 の不開示)".into(),
    ))
}

async fn rotate_certificate(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let kikan = own_tenant(world)?.kikan();
    let live = started(world)?;
    let next = live.stack.chukan.revoke_certificate(kikan).map_err(suite)?;
    // Same paths, new contents: what an operator does when the certificate is renewed.
    live.stack
        .chukan
        .write_certificates(&world.dir)
        .map_err(suite)?;
    world.note(
        "note",
        "クライアント証明書の入れ替え",
        format!(
            "{kikan} の証明書を失効させ、次の証明書 (シリアル {}) を同じファイルに書いた",
            next.serial
        ),
    );
    Ok(())
}

async fn ikkatsu_rules(world: &mut World, _args: Args) -> StepResult {
    catch_up(world)?;
    let kikan = own_tenant(world)?.kikan();
    let engine = started(world)?.stack.chukan.shoukai();
    let mut problems = Vec::new();
    // Every bulk registration the system made, from the journal (file uploads and IF_SKI_10723).
    let registrations: Vec<_> = own_exchanges(world)?
        .into_iter()
        .filter(|e| {
            e.route.starts_with("/ws/IF_SKI_10723_R01")
                || e.route.starts_with("/xml/v1/files/FI_SKI_0001")
        })
        .collect();
    let mut sk41 = 0;
    let mut total = 0;
    let mut previous_done: Option<time::OffsetDateTime> = None;
    let mut receptions = Vec::new();
    for e in &registrations {
        let text = e.response_body.text();
        let Some(uketsuke) =
            renkei_simulator::chukan::client::values(&text, "中間サーバー受付番号")
                .into_iter()
                .next()
                .or_else(|| {
                    renkei_simulator::chukan::client::values(&text, "ReceptionNumber")
                        .into_iter()
                        .next()
                })
                .and_then(|u| u.parse().ok())
        else {
            continue;
        };
        let meisai = engine.uketsuke_joukyou(kikan, uketsuke).map_err(suite)?;
        sk41 += meisai
            .iter()
            .filter(|m| m.error_code.as_deref() == Some("SK41"))
            .count();
        receptions.push(format!(
            "{} 受付 {uketsuke}: 明細 {} 件",
            crate::runner::rfc3339(e.at),
            meisai.len()
        ));
        total += meisai.len();
        if meisai.len() > 3_000 {
            problems.push(format!(
                "受付 {uketsuke} の一括照会の明細は {} 件です (1回3,000件まで)",
                meisai.len()
            ));
        }
        if let Some(done) = previous_done
            && e.at < done
        {
            problems.push(format!(
                "受付 {uketsuke} を {} に登録しましたが、前のファイルの明細がすべて処理待ちでなくなったのは {} です",
                crate::runner::rfc3339(e.at),
                crate::runner::rfc3339(done)
            ));
        }
        previous_done = meisai
            .iter()
            .map(|m| m.motome_at.or(m.kanryou_at).unwrap_or(m.registered_at))
            .max();
    }
    world.note("journal", "一括照会の登録", receptions.join("\n"));
    let wanted: usize = world
        .memo
        .get("ikkatsu_count")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    if total < wanted {
        problems.push(format!(
            "依頼した {wanted} 件のうち、一括照会として登録されたのは {total} 件です (残りが出ていない)"
        ));
    }
    if sk41 > 0 {
        problems.push(format!(
            "1回の要求件数が3,000件を超えて SK41 で断られた明細が {sk41} 件あります"
        ));
    }
    if receptions.is_empty() {
        problems.push("一括照会のファイルが1つも登録されていません".into());
    }
    verdict(problems)
}

async fn shoukai_kekka(world: &mut World, _args: Args) -> StepResult {
    world.job(Role::KizonGyomu, "shoukai_kekka", &[]).await?;
    Ok(())
}

async fn toriyame(world: &mut World, args: Args) -> StepResult {
    world
        .job(
            Role::KizonGyomu,
            "toriyame",
            &[("irai_id", json!(args.get(0)))],
        )
        .await?;
    Ok(())
}

async fn teikyou(world: &mut World, _args: Args) -> StepResult {
    world.job(Role::KizonGyomu, "teikyou", &[]).await?;
    Ok(())
}

async fn kiroku(world: &mut World, _args: Args) -> StepResult {
    world.job(Role::KizonGyomu, "kiroku", &[]).await?;
    Ok(())
}

/// The system's report on one 依頼 (GET /shoukai).
async fn irai(world: &mut World, irai_id: &str) -> Result<Value, StepError> {
    let body = world
        .observe(Role::KizonGyomu, "shoukai", &[])
        .await?
        .ok_or_else(|| StepError::Fail("/shoukai が 404 です".into()))?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("/shoukai の items", &body))?;
    items
        .iter()
        .find(|i| i.get("irai_id").and_then(Value::as_str) == Some(irai_id))
        .cloned()
        .ok_or_else(|| StepError::Fail(format!("/shoukai に依頼「{irai_id}」がありません")))
}

pub(crate) fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// `name=value` / `name=NULL(r)` of every `<項目>` of a provided 副本 document.
fn provided_items(xml: &str) -> BTreeSet<String> {
    let re =
        regex::Regex::new(r#"<項目 名="([^"]*)"(?: NULL理由="([^"]*)")?\s*(?:/>|>([^<]*)</項目>)"#)
            .expect("a valid pattern");
    re.captures_iter(xml)
        .map(|c| {
            let name = &c[1];
            match (c.get(2), c.get(3)) {
                (Some(r), _) => format!("{name}=NULL({})", r.as_str()),
                (None, Some(v)) => format!("{name}={}", unescape(v.as_str())),
                (None, None) => format!("{name}="),
            }
        })
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

pub(crate) fn tsuuban_of(report: &Value) -> Option<ShoriTsuuban> {
    text(report, "shori_tsuuban").and_then(|t| t.parse().ok())
}

async fn result_as_provided(world: &mut World, args: Args) -> StepResult {
    let irai_id = args.get(0);
    let report = irai(world, irai_id).await?;
    let kikan = own_tenant(world)?.kikan();
    let Some(tsuuban) = tsuuban_of(&report) else {
        return Err(StepError::Fail(format!(
            "依頼「{irai_id}」に処理通番がありません (照会が中間サーバーに送られていない: status {:?})",
            text(&report, "status")
        )));
    };
    let engine = started(world)?.stack.chukan.shoukai();
    let truth = engine.joukyou(kikan, tsuuban).map_err(|e| {
        StepError::Fail(format!(
            "依頼「{irai_id}」の処理通番 {tsuuban} の照会は中間サーバーにありません ({e})"
        ))
    })?;
    let mut problems = Vec::new();
    if truth.status != ShoukaiStatus::SeijouShuuryou {
        problems.push(format!(
            "中間サーバーでは照会は「{}」です (正常終了でない)",
            truth.status.label()
        ));
    }
    if text(&report, "status") != Some(truth.status.label()) {
        problems.push(format!(
            "status を {:?} と言っていますが、中間サーバーでは「{}」です",
            text(&report, "status"),
            truth.status.label()
        ));
    }
    let kekka = report.get("kekka").filter(|k| !k.is_null());
    match kekka {
        None => problems.push("結果 (kekka) を取っていません (IF_SKI_10713_R01)".into()),
        Some(kekka) => {
            if text(kekka, "kensaku") != Some("該当あり") {
                problems.push(format!("kensaku が {:?} です", text(kekka, "kensaku")));
            }
            let reported: Vec<Value> = kekka
                .get("fukuhon")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for hit in &truth.kekka {
                let want = provided_items(&hit.fukuhon);
                let found = reported.iter().find(|f| {
                    text(f, "dataset") == Some(hit.dataset.as_str())
                        && text(f, "record_key") == Some(hit.record_key.as_str())
                });
                let Some(found) = found else {
                    problems.push(format!(
                        "提供された副本 {} {} が結果にありません",
                        hit.dataset, hit.record_key
                    ));
                    continue;
                };
                let got: BTreeSet<String> = found
                    .get("items")
                    .and_then(Value::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .map(|i| {
                                let name = text(i, "name").unwrap_or("");
                                match (text(i, "value"), text(i, "null_riyu")) {
                                    (Some(v), _) => format!("{name}={v}"),
                                    (None, Some(r)) => format!("{name}=NULL({r})"),
                                    (None, None) => format!("{name}="),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if got != want {
                    let missing: Vec<&String> = want.difference(&got).collect();
                    let extra: Vec<&String> = got.difference(&want).collect();
                    problems.push(format!(
                        "副本 {} {} の項目が提供されたものと違います (ない: {missing:?}、余分: {extra:?})",
                        hit.dataset, hit.record_key
                    ));
                }
            }
            if reported.len() != truth.kekka.len() {
                problems.push(format!(
                    "結果の副本は {} 件ですが、提供されたのは {} 件です",
                    reported.len(),
                    truth.kekka.len()
                ));
            }
        }
    }
    verdict(problems)
}

async fn seijou_shuuryou(world: &mut World, args: Args) -> StepResult {
    let irai_id = args.get(0);
    let report = irai(world, irai_id).await?;
    let kikan = own_tenant(world)?.kikan();
    let Some(tsuuban) = tsuuban_of(&report) else {
        return Err(StepError::Fail(format!(
            "依頼「{irai_id}」に処理通番がありません (照会が中間サーバーに送られていない: status {:?})",
            text(&report, "status")
        )));
    };
    let truth = started(world)?
        .stack
        .chukan
        .shoukai()
        .joukyou(kikan, tsuuban)
        .map_err(|e| {
            StepError::Fail(format!(
                "依頼「{irai_id}」の処理通番 {tsuuban} の照会は中間サーバーにありません ({e})"
            ))
        })?;
    if truth.status == ShoukaiStatus::SeijouShuuryou {
        return Ok(());
    }
    Err(StepError::Fail(format!(
        "依頼「{irai_id}」の照会は中間サーバーで「{}」です (正常終了でない)",
        truth.status.label()
    )))
}

async fn no_refusal(world: &mut World, args: Args) -> StepResult {
    let (codes, what): (&[&str], &str) = match args.get(0) {
        "符号未取得" => (&["SK22"], "符号が未取得の本人の照会"),
        "停止時間帯" => (
            &["SK31"],
            "データ送受信機能停止時間帯 (平日 21:00〜24:00) の照会",
        ),
        "サービス提供時間外" => (
            &["SK30"],
            "システムサービス提供時間外 (土・日・祝日は 08:00〜17:00) の照会",
        ),
        // The header's MSGMode is checked first (MSGMODE_MISMATCH); SK03 is a 照会 whose
        // MSGMode the partner is not connected in.
        _ => (&["MSGMODE_MISMATCH", "SK03"], "MSGMode が環境と違う電文"),
    };
    let code = codes.join(" / ");
    let needles: Vec<String> = codes
        .iter()
        .map(|c| format!("<エラーコード>{c}</エラーコード>"))
        .collect();
    let refused: Vec<String> = own_exchanges(world)?
        .into_iter()
        .filter(|e| {
            let body = e.response_body.text();
            needles.iter().any(|n| body.contains(n))
        })
        .map(|e| format!("{} {} {}", crate::runner::rfc3339(e.at), e.method, e.route))
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    world.note(
        "journal",
        format!("{code} で断られた要求"),
        refused.join("\n"),
    );
    Err(StepError::Fail(format!(
        "{what}を中間サーバーに送り、{code} で断られています ({} 回)",
        refused.len()
    )))
}

async fn not_sent_without_basis(world: &mut World, args: Args) -> StepResult {
    let irai_id = args.get(0);
    let report = irai(world, irai_id).await?;
    let mut problems = Vec::new();
    if text(&report, "status") != Some("照会不可")
        || text(&report, "reason") != Some("法令根拠なし")
    {
        problems.push(format!(
            "依頼「{irai_id}」は status {:?}、reason {:?} です (照会不可・法令根拠なし であるはず)",
            text(&report, "status"),
            text(&report, "reason")
        ));
    }
    let sent: Vec<String> = own_exchanges(world)?
        .into_iter()
        .filter(|e| e.route.starts_with("/ws/IF_SKI_10711_R01"))
        .map(|e| {
            format!(
                "{} {} → {}",
                crate::runner::rfc3339(e.at),
                e.route,
                e.response_body.text().chars().take(400).collect::<String>()
            )
        })
        .collect();
    if !sent.is_empty() {
        world.note("journal", "送られた照会", sent.join("\n\n"));
        problems.push(format!(
            "法令根拠のない照会を中間サーバーに送っています ({} 回)",
            sent.len()
        ));
    }
    verdict(problems)
}

async fn gaitou_nashi(world: &mut World, args: Args) -> StepResult {
    let irai_id = args.get(0);
    let report = irai(world, irai_id).await?;
    let mut problems = Vec::new();
    if text(&report, "status") != Some("該当なし") {
        problems.push(format!(
            "依頼「{irai_id}」の status は {:?} です (該当なし であるはず)",
            text(&report, "status")
        ));
    }
    if report.get("error").is_some_and(|e| !e.is_null()) {
        problems.push(format!(
            "該当なしをエラー ({}) として扱っています",
            report["error"]
        ));
    }
    verdict(problems)
}

async fn cancelled(world: &mut World, args: Args) -> StepResult {
    let irai_id = args.get(0);
    let report = irai(world, irai_id).await?;
    let kikan = own_tenant(world)?.kikan();
    let Some(tsuuban) = tsuuban_of(&report) else {
        return Err(StepError::Fail(format!(
            "依頼「{irai_id}」に処理通番がありません"
        )));
    };
    world
        .memo
        .insert(format!("tsuuban:{irai_id}"), tsuuban.to_string());
    let truth = started(world)?
        .stack
        .chukan
        .shoukai()
        .joukyou(kikan, tsuuban)
        .map_err(|e| {
            StepError::Fail(format!(
                "処理通番 {tsuuban} の照会は中間サーバーにありません ({e})"
            ))
        })?;
    if truth.status != ShoukaiStatus::Toriyame {
        return Err(StepError::Fail(format!(
            "中間サーバーでは照会は「{}」です (取りやめ になっていない)",
            truth.status.label()
        )));
    }
    Ok(())
}

async fn no_polling_after_cancel(world: &mut World, args: Args) -> StepResult {
    let irai_id = args.get(0);
    let tsuuban = match world.memo.get(&format!("tsuuban:{irai_id}")) {
        Some(t) => t.clone(),
        None => {
            let report = irai(world, irai_id).await?;
            text(&report, "shori_tsuuban")
                .ok_or_else(|| StepError::Fail(format!("依頼「{irai_id}」に処理通番がありません")))?
                .to_owned()
        }
    };
    let exchanges = own_exchanges(world)?;
    let needle = format!("<処理通番>{tsuuban}</処理通番>");
    let cancelled_at = exchanges
        .iter()
        .find(|e| {
            e.route.starts_with("/ws/IF_SKI_10714_R01")
                && e.status == 200
                && e.request_body.text().contains(&needle)
        })
        .map(|e| e.seq);
    let Some(cancelled_at) = cancelled_at else {
        return Err(StepError::Fail(format!(
            "処理通番 {tsuuban} の取りやめ (IF_SKI_10714_R01) を送っていません"
        )));
    };
    let polls: Vec<String> = exchanges
        .iter()
        .filter(|e| e.seq > cancelled_at)
        .filter(|e| {
            (e.route.starts_with("/ws/IF_SKI_10712_R01")
                || e.route.starts_with("/ws/IF_SKI_10713_R01"))
                && e.request_body.text().contains(&needle)
        })
        .map(|e| format!("{} {}", crate::runner::rfc3339(e.at), e.route))
        .collect();
    if polls.is_empty() {
        return Ok(());
    }
    world.note("journal", "取りやめのあとの問い合わせ", polls.join("\n"));
    Err(StepError::Fail(format!(
        "取りやめた照会 (処理通番 {tsuuban}) の状況を、取りやめのあとも {} 回問い合わせています",
        polls.len()
    )))
}

async fn partner_answered(world: &mut World, _args: Args) -> StepResult {
    catch_up(world)?;
    let tsuuban: ShoriTsuuban = world
        .memo
        .get("partner_shoukai")
        .ok_or_else(|| StepError::Suite(format!("{PARTNER_NAME}の照会がまだありません")))?
        .parse()
        .map_err(suite)?;
    let kikan = partner_kikan(world)?;
    let truth = started(world)?
        .stack
        .chukan
        .shoukai()
        .joukyou(kikan, tsuuban)
        .map_err(suite)?;
    if truth.status == ShoukaiStatus::SeijouShuuryou {
        return Ok(());
    }
    Err(StepError::Fail(format!(
        "{PARTNER_NAME}の照会 (処理通番 {tsuuban}) は「{}」のままです (提供の求め ({}) から今 ({}) までに提供されていない)",
        truth.status.label(),
        truth
            .motome_at
            .map_or("—".to_owned(), crate::runner::rfc3339),
        crate::runner::rfc3339(started(world)?.stack.clock.now())
    )))
}

async fn kiroku_as_chukan(world: &mut World, _args: Args) -> StepResult {
    let body = world
        .observe(Role::KizonGyomu, "kiroku", &[])
        .await?
        .ok_or_else(|| StepError::Fail("/kiroku が 404 です".into()))?;
    let kikan = own_tenant(world)?.kikan();
    let records = started(world)?
        .stack
        .chukan
        .shoukai()
        .kiroku(kikan, &KirokuKensaku::default())
        .map_err(suite)?;
    let key = |tsuuban: &str, kubun: &str, aite: &str, tokutei: &str, kekka: &str| {
        format!("{tsuuban} {kubun} 相手 {aite} {tokutei} {kekka}")
    };
    let want: BTreeSet<String> = records
        .iter()
        .map(|k| {
            let aite = match k.kubun.label() {
                "照会" => k.teikyousha,
                _ => k.shoukaisha,
            };
            key(
                &k.shori_tsuuban.to_string(),
                k.kubun.label(),
                aite.as_str(),
                k.tokutei.as_str(),
                k.kekka.label(),
            )
        })
        .collect();
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("/kiroku の items", &body))?;
    let got: BTreeSet<String> = items
        .iter()
        .map(|i| {
            key(
                text(i, "shori_tsuuban").unwrap_or(""),
                text(i, "kiroku_kubun").unwrap_or(""),
                text(i, "aite").unwrap_or(""),
                text(i, "tokutei").unwrap_or(""),
                text(i, "teikyou_kekka").unwrap_or(""),
            )
        })
        .collect();
    world.note(
        "note",
        format!("中間サーバーの情報提供等記録 ({} 件)", want.len()),
        want.iter().cloned().collect::<Vec<_>>().join("\n"),
    );
    let mut problems = Vec::new();
    for missing in want.difference(&got) {
        problems.push(format!("記録 {missing} を取り込んでいません"));
    }
    for extra in got.difference(&want) {
        problems.push(format!("中間サーバーにない記録 {extra} を持っています"));
    }
    if want.is_empty() {
        return Err(StepError::Suite(
            "中間サーバーに情報提供等記録がありません".into(),
        ));
    }
    verdict(problems)
}

async fn jizen_tsuuchi_shown(world: &mut World, _args: Args) -> StepResult {
    let tsuuban = world
        .memo
        .get("partner_shoukai")
        .cloned()
        .ok_or_else(|| StepError::Suite("相手の団体の照会がまだありません".into()))?;
    let body = world
        .observe(Role::KizonGyomu, "teikyou", &[])
        .await?
        .ok_or_else(|| StepError::Fail("/teikyou が 404 です".into()))?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("/teikyou の items", &body))?;
    let Some(item) = items
        .iter()
        .find(|i| text(i, "shori_tsuuban") == Some(tsuuban.as_str()))
    else {
        return Err(StepError::Fail(format!(
            "/teikyou に相手の団体の提供の求め (処理通番 {tsuuban}) がありません"
        )));
    };
    if item.get("jizen_tsuuchi").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    Err(StepError::Fail(format!(
        "処理通番 {tsuuban} の提供の求めに有効期間切れ事前通知が届いているのに、/teikyou の jizen_tsuuchi が true ではありません (通知 IF_OSR_10611_R01 を読んでいない)"
    )))
}

async fn toiawase(world: &mut World, args: Args) -> StepResult {
    world
        .job(
            Role::KizonGyomu,
            "toiawase",
            &[("irai_id", json!(args.get(0)))],
        )
        .await?;
    Ok(())
}

async fn toiawase_masked(world: &mut World, args: Args) -> StepResult {
    let irai_id = args.get(0);
    let n: u64 = world
        .memo
        .get(&format!("irai_person:{irai_id}"))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| StepError::Suite(format!("依頼「{irai_id}」はこのシナリオにありません")))?;
    let person = resident(world, n)?;
    let body = world
        .observe(
            Role::KizonGyomu,
            "toiawase",
            &[("irai_id", irai_id.to_owned())],
        )
        .await?
        .ok_or_else(|| StepError::Fail(format!("/toiawase?irai_id={irai_id} が 404 です")))?;
    let mut problems = Vec::new();
    // What the 中間サーバー answered: the error code the material must carry.
    let codes: Vec<String> = own_exchanges(world)?
        .iter()
        .filter(|e| e.route.starts_with("/ws/IF_SKI_"))
        .flat_map(|e| {
            renkei_simulator::chukan::client::values(&e.response_body.text(), "エラーコード")
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let code = body
        .get("error")
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if code.is_empty() || !codes.iter().any(|c| c == code) {
        problems.push(format!(
            "問合せ資料のエラーコード「{code}」は、中間サーバーが返したもの ({codes:?}) ではありません"
        ));
    }
    let denbun: Vec<&str> = body
        .get("denbun")
        .and_then(Value::as_array)
        .map(|d| d.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !denbun.iter().any(|d| d.contains("IF_SKI_10711")) {
        problems.push("問合せ資料に照会の電文 (IF_SKI_10711) がありません".into());
    }
    let text = body.to_string();
    let personal = [
        ("団体内統合宛名番号", person.tougou_atena_bango.to_string()),
        ("個人番号", person.kojin_bango.to_string()),
        ("氏名", person.shimei.clone()),
        ("氏名 (カナ)", person.shimei_kana.clone()),
    ];
    for (what, value) in personal {
        if !value.is_empty() && text.contains(&value) {
            problems.push(format!(
                "問合せ資料に本人の{what}がマスキングされずに入っています"
            ));
        }
    }
    verdict(problems)
}
