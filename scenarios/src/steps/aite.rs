//! 相手の団体: the partner 団体 of the 既存業務システム's scenarios — renkei playing it through
//! the real mTLS interface (its 符号, its 副本, its own 照会 toward the system), or, in a 機関間テスト
//! pair, the second system playing it — and the 符号 and 副本 both sides need (docs/kizon-gyomu.md).

use renkei_fixtures::ids::{KikanCode, TokuteiKojinJohoMeiCode};
use renkei_simulator::chukan::teikyou_jogai;
use serde_json::{Value, json};

use super::fukuhon::{catch_up, own_tenant, to_next_morning, tokutei_code};
use super::{Args, StepDef, StepError, StepResult, cell, started, step};
use crate::requirements::Role;
use crate::runner::World;
use crate::runner::kizon::{
    PARTNER_NAME, SeihonRecord, partner_client, partner_juutougai, sample_items, touroku_file,
};

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(r"住民(\d+)の符号は取得済みである", own_fugou),
        step!(r"住民(\d+)〜(\d+)の符号は取得済みである", own_fugou_range),
        step!(r"住民(\d+)の符号は両方の団体で取得済みである", both_fugou),
        step!(r"自団体に住民(\d+)の(\S+?)の副本がある", own_fukuhon),
        step!(r"相手の団体は住民(\d+)の符号を取得している", partner_fugou),
        step!(
            r"相手の団体に住民(\d+)の(\S+?)の副本がある",
            partner_fukuhon_one
        ),
        step!(r"相手の団体に次の副本がある:?", partner_fukuhon_table),
        step!(
            r"相手の団体は(\S+?)の(D\d+)を自動応答不可にしている",
            partner_fuka
        ),
        step!(
            r"相手の団体が住民(\d+)の(\S+?)を(\S+?)の事務で照会する",
            partner_shoukai
        ),
    ]
}

pub(crate) fn suite(e: impl std::fmt::Display) -> StepError {
    StepError::Suite(e.to_string())
}

/// The n-th resident (from 1) of the scenario's 団体.
pub(crate) fn resident(
    world: &World,
    n: u64,
) -> Result<renkei_fixtures::population::Resident, StepError> {
    started(world)?
        .households()
        .iter()
        .flat_map(|h| &h.members)
        .nth((n as usize).wrapping_sub(1))
        .cloned()
        .ok_or_else(|| StepError::Suite(format!("住民{n} はいません")))
}

async fn own_fugou(world: &mut World, args: Args) -> StepResult {
    own_fugou_of(world, args.number(0)?).await
}

async fn own_fugou_range(world: &mut World, args: Args) -> StepResult {
    for n in args.number(0)?..=args.number(1)? {
        own_fugou_of(world, n).await?;
    }
    Ok(())
}

async fn own_fugou_of(world: &mut World, n: u64) -> StepResult {
    world.live().await?;
    let person = resident(world, n)?;
    let live = started(world)?;
    let tenant = own_tenant(world)?;
    let status = live
        .stack
        .chukan
        .request_fugou(tenant, person.tougou_atena_bango, person.kojin_bango)
        .map_err(suite)?;
    world.note(
        "note",
        format!("住民{n} の符号 (自団体)"),
        format!("{status:?}"),
    );
    Ok(())
}

pub(crate) async fn partner_fugou_of(world: &mut World, n: u64) -> StepResult {
    world.live().await?;
    let person = resident(world, n)?;
    let client = partner_client(&started(world)?.stack, world.partner_code())?;
    let answer = client
        .denbun(
            "IF_FGU_10111_R01",
            &[
                ("団体内統合宛名番号", &partner_juutougai(n)),
                ("個人番号", &person.kojin_bango.to_string()),
            ],
        )
        .await
        .map_err(suite)?;
    // Asking twice is refused as already asked or acquired: the 符号 is there either way.
    let again = ["FUGOU_ALREADY_ACQUIRED", "FUGOU_ALREADY_REQUESTED"]
        .iter()
        .any(|code| {
            answer
                .text
                .contains(&format!("<エラーコード>{code}</エラーコード>"))
        });
    if answer.status != 200 && !again {
        return Err(StepError::Suite(format!(
            "{PARTNER_NAME}の符号取得要求が断られました: {}",
            answer.text
        )));
    }
    Ok(())
}

async fn partner_fugou(world: &mut World, args: Args) -> StepResult {
    partner_fugou_of(world, args.number(0)?).await
}

/// 副本 records of these (resident n, 特定個人情報): every dataset of the edition in force, for
/// last year's 年度 or 基準日 (April 1st of last year); `tougou` gives the person's number on the
/// registering side.
fn fukuhon_records(
    world: &World,
    wanted: &[(u64, String)],
    tougou: impl Fn(u64) -> Result<String, StepError>,
    prefix: &str,
) -> Result<Vec<SeihonRecord>, StepError> {
    let today = started(world)?.today();
    let layouts = &world.ctx.catalogs.layouts;
    let mut records = Vec::new();
    for (n, tokutei) in wanted {
        let code: TokuteiKojinJohoMeiCode = tokutei.parse().map_err(suite)?;
        let layout = layouts
            .version_in_force(&code, today)
            .ok_or_else(|| StepError::Suite(format!("{tokutei} のレイアウトがありません")))?;
        for dataset in &layout.datasets {
            let record_key = match dataset.query_key {
                renkei_fixtures::catalog::QueryKey::Nendo => (today.year() - 1).to_string(),
                _ => format!("{}0401", today.year() - 1),
            };
            records.push(SeihonRecord {
                seihon_id: format!("{prefix}-{n}-{}", dataset.code),
                tougou_atena_bango: tougou(*n)?,
                tokutei: tokutei.clone(),
                dataset: dataset.code.clone(),
                items: sample_items(dataset, 1_000 + n, &record_key),
                record_key,
                kokai_bi: today.to_string(),
                kokai_shuryo_bi: None,
            });
        }
    }
    Ok(records)
}

/// Whether the 中間サーバー holds these 副本 for the tenant of `dantai`; the ones it lacks.
fn missing_fukuhon(
    world: &World,
    dantai: renkei_fixtures::ids::DantaiCode,
    records: &[SeihonRecord],
) -> Result<Vec<String>, StepError> {
    catch_up(world)?;
    let stack = &started(world)?.stack;
    let kikan = stack
        .chukan
        .tenant_of(dantai)
        .map(|t| t.kikan())
        .ok_or_else(|| StepError::Suite(format!("団体 {dantai} の中間サーバーがありません")))?;
    let mut missing = Vec::new();
    for r in records {
        let held = stack
            .chukan
            .db()
            .fukuhon_of(
                kikan,
                r.tougou_atena_bango.parse().map_err(suite)?,
                r.tokutei.parse().map_err(suite)?,
            )
            .map_err(suite)?;
        if !held
            .iter()
            .any(|f| f.dataset == r.dataset && f.record_key == r.record_key)
        {
            missing.push(format!(
                "{} {} {} {}",
                r.tougou_atena_bango, r.tokutei, r.dataset, r.record_key
            ));
        }
    }
    Ok(missing)
}

/// Registers the partner's 副本 of these (resident, 特定個人情報) and lets a night pass: the
/// partner system does it from its 正本 in a pair run, renkei uploads them otherwise.
async fn partner_fukuhon(world: &mut World, wanted: Vec<(u64, String)>) -> StepResult {
    world.live().await?;
    let today = started(world)?.today();
    let layouts = &world.ctx.catalogs.layouts;
    let mut people: Vec<u64> = wanted.iter().map(|(n, _)| *n).collect();
    people.sort_unstable();
    people.dedup();
    for n in people {
        partner_fugou_of(world, n).await?;
    }
    let records = fukuhon_records(world, &wanted, |n| Ok(partner_juutougai(n)), "PARTNER")?;
    if let Some(index) = world.partner_sut() {
        let partner = world.partner_code();
        let live = world.live.as_mut().expect("started");
        let seihon = live
            .partner_kizon
            .as_mut()
            .ok_or_else(|| StepError::Suite("相手のシステムの正本がありません".into()))?;
        seihon.seihon.extend(records.clone());
        seihon.write_seihon()?;
        world.job_at(index, "fukuhon_touroku", &[]).await?;
        to_next_morning(world).await?;
        world.job_at(index, "fukuhon_touroku", &[]).await?;
        let missing = missing_fukuhon(world, partner, &records)?;
        if !missing.is_empty() {
            return Err(StepError::Fail(format!(
                "相手の団体のシステムが正本の副本を登録していません: {}",
                missing.join(", ")
            )));
        }
        return Ok(());
    }
    let live = started(world)?;
    let now = live.stack.clock.now();
    let file = touroku_file(
        world.partner_code(),
        &records,
        |r| {
            r.tokutei
                .parse()
                .ok()
                .and_then(|c| layouts.version_in_force(&c, today))
                .and_then(|l| l.dataset(&r.dataset))
                .map_or(0, |d| d.major_version)
        },
        now,
    )?;
    let client = partner_client(&live.stack, world.partner_code())?;
    let answer = client
        .upload("FI_DBM_0001_renkei-partner.xml", file)
        .await
        .map_err(suite)?;
    if answer.status != 200 {
        return Err(StepError::Suite(format!(
            "{PARTNER_NAME}の副本登録が断られました: {}",
            answer.text
        )));
    }
    let reception = answer.value("中間サーバー受付番号").to_owned();
    to_next_morning(world).await?;
    let status = client
        .get(&format!("/xml/v1/files/{reception}"))
        .await
        .map_err(suite)?;
    if status.value("処理状況") != "処理済み" || status.value("エラー件数") != "0" {
        return Err(StepError::Suite(format!(
            "{PARTNER_NAME}の副本が登録されませんでした: {}",
            status.text
        )));
    }
    let summary = records
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.tougou_atena_bango, r.tokutei, r.dataset, r.record_key
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    world.note("note", format!("{PARTNER_NAME}が登録した副本"), summary);
    partner_jogai(world, &client, &records).await?;
    world
        .live
        .as_mut()
        .expect("started")
        .kizon
        .partner_fukuhon
        .extend(records);
    Ok(())
}

/// renkei as the partner registers its 提供除外項目マスタ for the datasets of `records`, as the
/// layout catalog says (`provision_excluded`; seed 004 §3.3 #9), through the real file interface:
/// what it provides leaves those items out, as a conformant 団体's would.
async fn partner_jogai(
    world: &mut World,
    client: &renkei_simulator::chukan::client::TenantClient,
    records: &[SeihonRecord],
) -> StepResult {
    let datasets: Vec<_> = teikyou_jogai::catalog_datasets(&world.ctx.catalogs.layouts)
        .into_iter()
        .filter(|d| {
            records
                .iter()
                .any(|r| r.tokutei == d.tokutei.as_str() && r.dataset == d.dataset)
        })
        .collect();
    if datasets.is_empty() {
        return Ok(());
    }
    let now = started(world)?.stack.clock.now();
    let file = teikyou_jogai::request_file(world.partner_code(), &datasets, now);
    let answer = client
        .upload("FI_DBM_0003_renkei-partner.xml", file)
        .await
        .map_err(suite)?;
    if answer.status != 200 {
        return Err(StepError::Suite(format!(
            "{PARTNER_NAME}の提供除外項目マスタ登録が断られました: {}",
            answer.text
        )));
    }
    let summary = datasets
        .iter()
        .map(|d| format!("{} {}: {}", d.tokutei, d.dataset, d.items.join("、")))
        .collect::<Vec<_>>()
        .join("\n");
    world.note(
        "note",
        format!("{PARTNER_NAME}が登録した提供除外項目マスタ"),
        summary,
    );
    Ok(())
}

/// The system under test registers these 副本 from its 正本 (for a 照会 from the partner).
async fn own_fukuhon(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let n = args.number(0)?;
    let tokutei = tokutei_code(world, args.get(1))?;
    let person = resident(world, n)?;
    let tougou = person.tougou_atena_bango.to_string();
    let records = fukuhon_records(world, &[(n, tokutei)], |_| Ok(tougou.clone()), "KIK")?;
    let dantai = world.plan.dantai;
    let live = world.live.as_mut().expect("started");
    live.kizon.seihon.extend(records.clone());
    live.kizon.write_seihon()?;
    world.job(Role::KizonGyomu, "fukuhon_touroku", &[]).await?;
    to_next_morning(world).await?;
    world.job(Role::KizonGyomu, "fukuhon_touroku", &[]).await?;
    let missing = missing_fukuhon(world, dantai, &records)?;
    if !missing.is_empty() {
        return Err(StepError::Fail(format!(
            "既存業務システムが正本の副本を登録していません: {}",
            missing.join(", ")
        )));
    }
    Ok(())
}

async fn both_fugou(world: &mut World, args: Args) -> StepResult {
    let n = args.number(0)?;
    own_fugou_of(world, n).await?;
    partner_fugou_of(world, n).await
}

async fn partner_fukuhon_one(world: &mut World, args: Args) -> StepResult {
    let n = args.number(0)?;
    let tokutei = tokutei_code(world, args.get(1))?;
    partner_fukuhon(world, vec![(n, tokutei)]).await
}

async fn partner_fukuhon_table(world: &mut World, args: Args) -> StepResult {
    let mut wanted = Vec::new();
    for row in args.rows()? {
        let n: u64 = cell(&row, "住民")?.parse().map_err(suite)?;
        wanted.push((n, tokutei_code(world, &cell(&row, "特定個人情報")?)?));
    }
    partner_fukuhon(world, wanted).await
}

async fn partner_fuka(world: &mut World, args: Args) -> StepResult {
    let tokutei = tokutei_code(world, args.get(0))?;
    world.live().await?;
    let client = partner_client(&started(world)?.stack, world.partner_code())?;
    let answer = client
        .denbun(
            "IF_TKY_10814_R01",
            &[
                ("特定個人情報名コード", &tokutei),
                ("データセット識別項目コード", args.get(1)),
                ("自動応答不可", "1"),
            ],
        )
        .await
        .map_err(suite)?;
    if answer.status != 200 {
        return Err(StepError::Suite(format!(
            "自動応答不可にできません: {}",
            answer.text
        )));
    }
    Ok(())
}

/// The 事務 whose name contains `word`, and its first 事務手続.
pub(crate) fn jimu(world: &World, word: &str) -> Result<(String, String), StepError> {
    let jimu = world
        .ctx
        .catalogs
        .legal_basis
        .jimu_list()
        .iter()
        .find(|j| j.name.contains(word))
        .ok_or_else(|| StepError::Suite(format!("「{word}」の事務は法令根拠にありません")))?;
    let tetsuzuki = jimu
        .tetsuzuki
        .first()
        .ok_or_else(|| StepError::Suite(format!("{} に事務手続がありません", jimu.code)))?;
    Ok((jimu.code.to_string(), tetsuzuki.code.to_string()))
}

/// The 照会条件 for a 特定個人情報: 2025年度, or 令和7年度の期間 for a 基準日 key.
pub(crate) fn jouken(world: &World, tokutei: &str) -> Result<Value, StepError> {
    let code: TokuteiKojinJohoMeiCode = tokutei.parse().map_err(suite)?;
    let today = started(world)?.today();
    let layout = world
        .ctx
        .catalogs
        .layouts
        .version_in_force(&code, today)
        .ok_or_else(|| StepError::Suite(format!("{tokutei} のレイアウトがありません")))?;
    // Last 年度, or from last April to the end of this year: what the 副本 of the scenarios
    // (last year's, or this year's 基準日) fall in.
    let year = today.year();
    Ok(match layout.datasets.first().map(|d| d.query_key) {
        Some(renkei_fixtures::catalog::QueryKey::Nendo) => json!({"nendo": (year - 1).to_string()}),
        _ => json!({"kaishi": format!("{}-04-01", year - 1), "shuryo": format!("{year}-12-31")}),
    })
}

pub(crate) fn partner_kikan(world: &World) -> Result<KikanCode, StepError> {
    started(world)?
        .stack
        .chukan
        .tenant_of(world.partner_code())
        .map(|t| t.kikan())
        .ok_or_else(|| StepError::Suite(format!("{PARTNER_NAME}の中間サーバーがありません")))
}

pub(crate) async fn partner_shoukai(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let n = args.number(0)?;
    let tokutei = tokutei_code(world, args.get(1))?;
    let (jimu, tetsuzuki) = jimu(world, args.get(2))?;
    let jouken = jouken(world, &tokutei)?;
    let own = own_tenant(world)?.kikan().to_string();
    let client = partner_client(&started(world)?.stack, world.partner_code())?;
    let mut items: Vec<(&str, String)> = vec![
        ("団体内統合宛名番号", partner_juutougai(n)),
        ("事務コード", jimu),
        ("事務手続コード", tetsuzuki),
        ("特定個人情報名コード", tokutei),
        ("情報提供者機関コード", own),
    ];
    match jouken.get("nendo").and_then(Value::as_str) {
        Some(nendo) => {
            items.push(("照会条件区分", "1".into()));
            items.push(("照会年度", nendo.into()));
        }
        None => {
            items.push(("照会条件区分", "2".into()));
            let text = |key: &str| {
                jouken
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            items.push(("開始日", text("kaishi")));
            items.push(("終了日", text("shuryo")));
        }
    }
    let pairs: Vec<(&str, &str)> = items.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = client
        .denbun("IF_SKI_10711_R01", &pairs)
        .await
        .map_err(suite)?;
    world.note("note", format!("{PARTNER_NAME}の照会"), answer.text.clone());
    if answer.status != 200 {
        return Err(StepError::Suite(format!(
            "{PARTNER_NAME}の照会が断られました: {}",
            answer.text
        )));
    }
    let tsuuban = answer.value("処理通番").to_owned();
    world.memo.insert("partner_shoukai".into(), tsuuban);
    Ok(())
}
