//! 機関間テスト (KIK-*): the plan the system runs with its partner, a result per row, and the pair
//! outline (each direction and 特定個人情報) — against renkei's partner or a second system.

use renkei_simulator::chukan::client::values;
use renkei_simulator::nws::shoukai::{KirokuKensaku, ShoukaiStatus};
use serde_json::{Value, json};

use super::aite::{jimu, jouken, partner_kikan, partner_shoukai, resident, suite};
use super::fukuhon::{catch_up, own_exchanges, own_tenant, tokutei_code};
use super::shoukai::{text, tsuuban_of};
use super::{Args, StepDef, StepError, StepResult, cell, malformed, started, step, verdict};
use crate::requirements::Role;
use crate::runner::World;
use crate::runner::kizon::{PARTNER_NAME, partner_juutougai};

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(
            r"(自団体|相手の団体)が(自団体|相手の団体)に住民(\d+)の(\S+?)を(\S+?)の事務で機関間テストの照会をする",
            kikan_shoukai
        ),
        step!(r"(自団体|相手の団体)が照会の状況を確かめる", kikan_kekka),
        step!(
            r"(自団体|相手の団体)から(自団体|相手の団体)への(\S+?)の照会は正常終了している",
            kikan_seijou
        ),
        step!(
            r"既存業務システムが次の計画で機関間テストを行う:?",
            kikan_test
        ),
        step!(r"計画のすべての行の照会が相手に届いている", plan_delivered),
        step!(
            r"既存業務システムの機関間テストの結果は中間サーバーの結果と合っている",
            kikan_test_as_chukan
        ),
    ]
}

/// `自団体` (the system under test) or `相手の団体`.
fn is_own(word: &str) -> bool {
    word == "自団体"
}

async fn kikan_shoukai(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let (from, to) = (args.get(0), args.get(1));
    if is_own(from) == is_own(to) {
        return Err(StepError::Suite(
            "照会者と提供者は自団体と相手の団体です".into(),
        ));
    }
    let n = args.number(2)?;
    let tokutei = tokutei_code(world, args.get(3))?;
    let jimu_word = args.get(4).to_owned();
    let (jimu, tetsuzuki) = jimu(world, &jimu_word)?;
    let own_kikan = own_tenant(world)?.kikan().to_string();
    let partner = partner_kikan(world)?.to_string();
    let jouken = jouken(world, &tokutei)?;
    let test_id = format!("{}-{}", if is_own(from) { "A" } else { "B" }, tokutei);
    if is_own(from) {
        let row = json!({
            "test_id": test_id,
            "aite": partner,
            "tokutei": tokutei,
            "jimu": jimu,
            "jimu_tetsuzuki": tetsuzuki,
            "tougou_atena_bango": resident(world, n)?.tougou_atena_bango.to_string(),
            "jouken": jouken,
        });
        world.memo.insert(
            "kikan_test_plan".into(),
            serde_json::to_string(&vec![row.clone()]).expect("JSON"),
        );
        world
            .job(Role::KizonGyomu, "kikan_test", &[("plan", json!([row]))])
            .await?;
        return Ok(());
    }
    match world.partner_sut() {
        Some(index) => {
            let row = json!({
                "test_id": test_id,
                "aite": own_kikan,
                "tokutei": tokutei,
                "jimu": jimu,
                "jimu_tetsuzuki": tetsuzuki,
                "tougou_atena_bango": partner_juutougai(n),
                "jouken": jouken,
            });
            world
                .job_at(index, "kikan_test", &[("plan", json!([row]))])
                .await?;
            Ok(())
        }
        None => {
            let args = Args {
                captures: vec![n.to_string(), tokutei, jimu_word],
                ..Args::default()
            };
            partner_shoukai(world, args).await
        }
    }
}

async fn kikan_kekka(world: &mut World, args: Args) -> StepResult {
    if is_own(args.get(0)) {
        world.job(Role::KizonGyomu, "shoukai_kekka", &[]).await?;
        return Ok(());
    }
    match world.partner_sut() {
        Some(index) => {
            world.job_at(index, "shoukai_kekka", &[]).await?;
        }
        None => world.note(
            "note",
            "相手の団体",
            "renkei が演じる相手の団体は、照会の答えを中間サーバーで直接見ます",
        ),
    }
    Ok(())
}

async fn kikan_seijou(world: &mut World, args: Args) -> StepResult {
    catch_up(world)?;
    let (from, to) = (args.get(0), args.get(1));
    let tokutei = tokutei_code(world, args.get(2))?;
    let own = own_tenant(world)?.kikan();
    let partner = partner_kikan(world)?;
    let (requester, provider) = if is_own(from) {
        (own, partner)
    } else {
        (partner, own)
    };
    let records = started(world)?
        .stack
        .chukan
        .shoukai()
        .kiroku(requester, &KirokuKensaku::default())
        .map_err(suite)?;
    let found: Vec<_> = records
        .iter()
        .filter(|k| {
            k.kubun.label() == "照会" && k.teikyousha == provider && k.tokutei.as_str() == tokutei
        })
        .collect();
    let summary = found
        .iter()
        .map(|k| format!("処理通番 {} 提供結果 {}", k.shori_tsuuban, k.kekka.label()))
        .collect::<Vec<_>>()
        .join("\n");
    world.note(
        "note",
        format!("{from}から{to}への {tokutei} の照会の記録"),
        summary,
    );
    if found.iter().any(|k| k.kekka.label() == "提供") {
        return Ok(());
    }
    Err(StepError::Fail(match found.last() {
        None => format!("{from}から{to}への {tokutei} の照会は{to}に届いていません"),
        Some(k) => format!(
            "{from}から{to}への {tokutei} の照会 (処理通番 {}) の提供結果は「{}」です (提供されていない)",
            k.shori_tsuuban,
            k.kekka.label()
        ),
    }))
}

async fn kikan_test(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let aite = partner_kikan(world)?.to_string();
    let mut plan = Vec::new();
    for row in args.rows()? {
        let person = resident(world, cell(&row, "住民")?.parse().map_err(suite)?)?;
        let tokutei = tokutei_code(world, &cell(&row, "特定個人情報")?)?;
        let (jimu, tetsuzuki) = jimu(world, &cell(&row, "事務")?)?;
        plan.push(json!({
            "test_id": cell(&row, "テストID")?,
            "aite": aite,
            "tokutei": tokutei,
            "jimu": jimu,
            "jimu_tetsuzuki": tetsuzuki,
            "tougou_atena_bango": person.tougou_atena_bango.to_string(),
            "jouken": jouken(world, &tokutei)?,
        }));
    }
    world.memo.insert(
        "kikan_test_plan".into(),
        serde_json::to_string(&plan).expect("JSON"),
    );
    world
        .job(
            Role::KizonGyomu,
            "kikan_test",
            &[("plan", Value::Array(plan))],
        )
        .await?;
    Ok(())
}

fn plan_rows(world: &World) -> Result<Vec<Value>, StepError> {
    let text = world
        .memo
        .get("kikan_test_plan")
        .ok_or_else(|| StepError::Suite("機関間テストの計画がまだありません".into()))?;
    serde_json::from_str(text).map_err(suite)
}

async fn plan_delivered(world: &mut World, _args: Args) -> StepResult {
    catch_up(world)?;
    let plan = plan_rows(world)?;
    let own = own_tenant(world)?.kikan();
    let partner = partner_kikan(world)?;
    let delivered = started(world)?
        .stack
        .chukan
        .shoukai()
        .kiroku(partner, &KirokuKensaku::default())
        .map_err(suite)?;
    let mut problems = Vec::new();
    for row in &plan {
        let tokutei = text(row, "tokutei").unwrap_or("");
        let found = delivered.iter().any(|k| {
            k.shoukaisha == own && k.tokutei.as_str() == tokutei && k.kubun.label() == "提供"
        });
        if !found {
            problems.push(format!(
                "計画の行「{}」({tokutei}) の照会が{PARTNER_NAME}に届いていません",
                text(row, "test_id").unwrap_or("")
            ));
        }
    }
    verdict(problems)
}

async fn kikan_test_as_chukan(world: &mut World, _args: Args) -> StepResult {
    let plan = plan_rows(world)?;
    let body = world
        .observe(Role::KizonGyomu, "kikan_test", &[])
        .await?
        .ok_or_else(|| StepError::Fail("/kikan_test が 404 です".into()))?;
    let kikan = own_tenant(world)?.kikan();
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("/kikan_test の items", &body))?
        .clone();
    // The system's 単件 registrations the 中間サーバー refused: (本人, 特定個人情報, 提供者, code).
    let refused: Vec<(String, String, String, String)> = own_exchanges(world)?
        .iter()
        .filter(|e| e.route.starts_with("/ws/IF_SKI_10711_R01"))
        .filter_map(|e| {
            let code = values(&e.response_body.text(), "エラーコード")
                .first()?
                .to_string();
            let body = e.request_body.text();
            let get = |name: &str| {
                values(&body, name)
                    .first()
                    .copied()
                    .unwrap_or("")
                    .to_owned()
            };
            Some((
                get("団体内統合宛名番号"),
                get("特定個人情報名コード"),
                get("情報提供者機関コード"),
                code,
            ))
        })
        .collect();
    let engine = started(world)?.stack.chukan.shoukai();
    let mut problems = Vec::new();
    for row in &plan {
        let test_id = text(row, "test_id").unwrap_or("");
        let Some(item) = items.iter().find(|i| text(i, "test_id") == Some(test_id)) else {
            problems.push(format!("計画の行「{test_id}」の結果がありません"));
            continue;
        };
        let said = text(item, "kekka").unwrap_or("");
        let truth = match tsuuban_of(item) {
            None => None,
            Some(t) => Some(engine.joukyou(kikan, t).map_err(|e| {
                StepError::Fail(format!(
                    "行「{test_id}」の処理通番 {t} の照会は中間サーバーにありません ({e})"
                ))
            })?),
        };
        let last_refusal = refused
            .iter()
            .rfind(|(tougou, tokutei, aite, _)| {
                Some(tougou.as_str()) == text(row, "tougou_atena_bango")
                    && Some(tokutei.as_str()) == text(row, "tokutei")
                    && Some(aite.as_str()) == text(row, "aite")
            })
            .map(|r| r.3.as_str());
        let expected = match &truth {
            // Refused when registered (nothing was registered): the row failed, unless the refusal
            // was out of hours or an overload, after which the 照会 is sent again (未完了).
            None => match last_refusal {
                Some("SK30" | "SK31" | "SK40") => "未完了",
                Some(_) => "失敗",
                // Never reached the 中間サーバー: waiting (符号取得待ち, 送信待ち) or 照会不可, which
                // the 中間サーバー cannot tell apart.
                None if said == "失敗" || said == "未完了" => said,
                None => "未完了",
            },
            Some(s) => match s.status {
                ShoukaiStatus::SeijouShuuryou | ShoukaiStatus::Gaitounashi => "成功",
                ShoukaiStatus::Shorimachi | ShoukaiStatus::Kaitoumachi => "未完了",
                _ => "失敗",
            },
        };
        if said != expected {
            problems.push(format!(
                "行「{test_id}」を「{said}」としていますが、中間サーバーでは{} (「{expected}」であるはず)",
                truth
                    .as_ref()
                    .map_or("照会が登録されていません".to_owned(), |s| format!("照会は「{}」", s.status.label()))
            ));
        }
        if expected == "失敗" && item.get("error").is_none_or(Value::is_null) {
            problems.push(format!(
                "行「{test_id}」は失敗ですが、error (エラーコードとメッセージ) がありません"
            ));
        }
    }
    verdict(problems)
}
