//! 副本登録: the 既存業務システム's 正本, its registration cycles and what the 中間サーバー then holds
//! (FUK-*; docs/kizon-gyomu.md).

use std::collections::{BTreeMap, BTreeSet};

use renkei_fixtures::ids::{DantaiCode, KikanCode, TokuteiKojinJohoMeiCode, TougouAtenaBango};
use renkei_simulator::chukan::fukuhon::ItemValue;
use renkei_simulator::chukan::platform::Tenant;
use renkei_simulator::journal::{Query, System};
use serde_json::Value;

use super::{
    Args, StepDef, StepError, StepResult, cell, malformed, optional_cell, started, step, verdict,
};
use crate::requirements::Role;
use crate::runner::World;
use crate::runner::kizon::{PARTNER_NAME, Person, SeihonSpec};

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(r"相手の団体がある", partner),
        step!(
            r"既存業務システムの正本に次のレコードがある:?",
            seihon_table
        ),
        step!(
            r"既存業務システムの正本に住民(\d+)人分の地方税関係情報がある",
            seihon_zeimu
        ),
        step!(
            r"既存業務システムの正本は(\S+?)の(D\d+)を自動応答不可にしている",
            plan_fuka
        ),
        step!(
            r"中間サーバーの副本の1日のアップロード上限は([\d,]+)件、([\d,]+)バイトである",
            upload_caps
        ),
        step!(r"夜間バッチは1晩に(\d+)件まで処理する", batch_per_night),
        step!(r"符号の発行には(\d+)営業日かかる", fugou_delay),
        step!(r"中間サーバーは本番環境である", production),
        step!(r"既存業務システムが副本登録を行う", fukuhon_touroku),
        step!(r"夜間バッチが走り、翌朝になる", next_morning),
        step!(
            r"既存業務システムが(\d+)日のあいだ毎朝副本登録を行う",
            days_of_touroku
        ),
        step!(
            r"職員が正本のレコード「(\S+?)」の「(\S+?)」を「(.*)」に直す",
            seihon_edit
        ),
        step!(r"職員が正本からレコード「(\S+?)」を消す", seihon_delete),
        step!(
            r"職員が正本で(\S+?)の(D\d+)を自動応答(不可にする|に戻す)",
            seihon_fuka
        ),
        step!(
            r"中間サーバーには正本のとおりの副本が、その日に有効な版で登録されている",
            registered_as_seihon
        ),
        step!(r"夜間バッチの処理結果にエラーはない", no_batch_errors),
        step!(
            r"中間サーバーには正本の(\S+?)のすべてのレコードが(\S+?)版の副本として登録されている",
            all_in_edition
        ),
        step!(
            r"中間サーバーには(\S+?)の(\S+?)版の副本が残っていない",
            old_edition_gone
        ),
        step!(
            r"中間サーバーには(\S+?)の(D\d+)の副本が(残っている|残っていない)",
            dataset_held
        ),
        step!(
            r"中間サーバーには(\S+?)の(D\d+)の副本が住民ごとに最新の1件だけ登録されている",
            latest_only
        ),
        step!(
            r"中間サーバーの(\S+?)の副本は、(\d{4})年分だけが(\S+?)版で登録し直されている",
            current_year_only
        ),
        step!(
            r"中間サーバーが上限を超えたとして断ったファイルはない",
            no_over_cap
        ),
        step!(
            r"既存業務システムの副本の件数は正本と中間サーバーの登録に合っている",
            counts_match
        ),
        step!(
            r"既存業務システムは突合用ファイルで登録件数を確かめている",
            totsugou_checked
        ),
        step!(
            r"中間サーバーの自動応答不可のデータセットは正本のとおりである",
            fuka_as_seihon
        ),
    ]
}

// ---- 前提 --------------------------------------------------------------------------------------

async fn partner(world: &mut World, _args: Args) -> StepResult {
    world.planning()?.kizon.partner = true;
    Ok(())
}

/// A 特定個人情報 by its short name (地方税関係情報) or code.
pub(crate) fn tokutei_code(world: &World, word: &str) -> Result<String, StepError> {
    world
        .ctx
        .catalogs
        .layouts
        .iter()
        .find(|t| t.short_name == word || t.code.as_str() == word)
        .map(|t| t.code.as_str().to_owned())
        .ok_or_else(|| StepError::Suite(format!("特定個人情報「{word}」はレイアウトにありません")))
}

fn person(world: &mut World, text: &str) -> Result<Person, StepError> {
    let number = |t: &str| {
        t.trim().parse::<u64>().map_err(|_| {
            StepError::Suite(format!(
                "住民「{text}」は番号か「{PARTNER_NAME}の住民 N」で書きます"
            ))
        })
    };
    match text.strip_prefix("相手の団体の住民") {
        Some(rest) => {
            world.planning()?.kizon.partner = true;
            Ok(Person::Partner(number(rest)?))
        }
        None => Ok(Person::Own(number(text)?)),
    }
}

async fn seihon_table(world: &mut World, args: Args) -> StepResult {
    for row in args.rows()? {
        let who = person(world, &cell(&row, "住民")?)?;
        let tokutei = tokutei_code(world, &cell(&row, "特定個人情報")?)?;
        let overrides = match (optional_cell(&row, "項目"), optional_cell(&row, "値")) {
            (Some(name), Some(value)) if !name.is_empty() => vec![(name, value)],
            _ => Vec::new(),
        };
        world.planning()?.kizon.seihon.push(SeihonSpec {
            seihon_id: cell(&row, "正本ID")?,
            person: who,
            tokutei,
            dataset: cell(&row, "データセット")?,
            record_key: cell(&row, "レコードキー")?,
            overrides,
        });
    }
    Ok(())
}

async fn seihon_zeimu(world: &mut World, args: Args) -> StepResult {
    let n = args.number(0)?;
    let plan = world.planning()?;
    for i in 1..=n {
        plan.kizon.seihon.push(SeihonSpec {
            seihon_id: format!("ZEI-2025-{i:04}"),
            person: Person::Own(i),
            tokutei: "TM00000000000002".into(),
            dataset: "D0201".into(),
            record_key: "2025".into(),
            overrides: Vec::new(),
        });
    }
    Ok(())
}

async fn plan_fuka(world: &mut World, args: Args) -> StepResult {
    let tokutei = tokutei_code(world, args.get(0))?;
    world
        .planning()?
        .kizon
        .jidou_outou_fuka
        .push((tokutei, args.get(1).to_owned()));
    Ok(())
}

async fn upload_caps(world: &mut World, args: Args) -> StepResult {
    let caps = (args.number(0)?, args.number(1)?);
    world.planning()?.kizon.upload_caps = Some(caps);
    Ok(())
}

async fn batch_per_night(world: &mut World, args: Args) -> StepResult {
    let n = args.number(0)?;
    world.planning()?.kizon.batch_records_per_night = Some(n);
    Ok(())
}

async fn fugou_delay(world: &mut World, args: Args) -> StepResult {
    let n = args.number(0)? as u32;
    world.planning()?.kizon.fugou_delay_business_days = Some(n);
    Ok(())
}

async fn production(world: &mut World, _args: Args) -> StepResult {
    world.planning()?.kizon.production = true;
    Ok(())
}

// ---- もし --------------------------------------------------------------------------------------

async fn fukuhon_touroku(world: &mut World, _args: Args) -> StepResult {
    world.job(Role::KizonGyomu, "fukuhon_touroku", &[]).await?;
    Ok(())
}

/// Moves the clock to 09:00 the next day: the night batch (02:00) runs on the way.
pub(crate) async fn to_next_morning(world: &mut World) -> StepResult {
    let live = world.live().await?;
    let now = live.stack.clock.now().to_offset(renkei_fixtures::JST);
    let next = (now.date() + time::Duration::days(1))
        .with_time(time::macros::time!(09:00))
        .assume_offset(renkei_fixtures::JST);
    live.stack.clock.set(next);
    catch_up(world)?;
    world.note("note", "時計", crate::runner::rfc3339(next));
    Ok(())
}

async fn next_morning(world: &mut World, _args: Args) -> StepResult {
    to_next_morning(world).await
}

/// Every morning for `n` days: the system's cycle, then the night; and a last cycle, so the system
/// has read the last night's results.
async fn days_of_touroku(world: &mut World, args: Args) -> StepResult {
    let days = args.number(0)?;
    for _ in 0..days {
        world.job(Role::KizonGyomu, "fukuhon_touroku", &[]).await?;
        to_next_morning(world).await?;
    }
    world.job(Role::KizonGyomu, "fukuhon_touroku", &[]).await?;
    Ok(())
}

async fn seihon_edit(world: &mut World, args: Args) -> StepResult {
    let live = world.live().await?;
    let (id, name, value) = (args.get(0), args.get(1), args.get(2));
    let record = live
        .kizon
        .seihon
        .iter_mut()
        .find(|r| r.seihon_id == id)
        .ok_or_else(|| StepError::Suite(format!("正本にレコード「{id}」はありません")))?;
    let item = record
        .items
        .iter_mut()
        .find(|i| i.name == name)
        .ok_or_else(|| StepError::Suite(format!("レコード「{id}」に項目「{name}」はありません")))?;
    item.value = Some(value.to_owned());
    item.null_riyu = None;
    live.kizon.write_seihon()?;
    world.note(
        "note",
        "正本",
        format!("「{id}」の「{name}」を「{value}」に直した"),
    );
    Ok(())
}

async fn seihon_delete(world: &mut World, args: Args) -> StepResult {
    let live = world.live().await?;
    let id = args.get(0);
    let before = live.kizon.seihon.len();
    live.kizon.seihon.retain(|r| r.seihon_id != id);
    if live.kizon.seihon.len() == before {
        return Err(StepError::Suite(format!(
            "正本にレコード「{id}」はありません"
        )));
    }
    live.kizon.write_seihon()?;
    world.note("note", "正本", format!("レコード「{id}」を消した"));
    Ok(())
}

async fn seihon_fuka(world: &mut World, args: Args) -> StepResult {
    let tokutei = tokutei_code(world, args.get(0))?;
    let dataset = args.get(1).to_owned();
    let on = args.get(2) == "不可にする";
    let live = world.live().await?;
    live.kizon
        .jidou_outou_fuka
        .retain(|(t, d)| !(*t == tokutei && *d == dataset));
    if on {
        live.kizon.jidou_outou_fuka.push((tokutei, dataset));
    }
    live.kizon.write_seihon()
}

// ---- ならば ------------------------------------------------------------------------------------

/// Runs the 中間サーバー's night batches the clock has passed, so that reads see them.
pub(crate) fn catch_up(world: &World) -> StepResult {
    started(world)?
        .stack
        .chukan
        .catch_up()
        .map_err(|e| StepError::Suite(format!("中間サーバーの夜間バッチ: {e}")))
}

/// The scenario's own tenant.
pub(crate) fn own_tenant(world: &World) -> Result<&Tenant, StepError> {
    let dantai: DantaiCode = world.plan.dantai;
    started(world)?
        .stack
        .chukan
        .tenant_of(dantai)
        .map(|t| t.as_ref())
        .ok_or_else(|| StepError::Suite(format!("団体 {dantai} の中間サーバーがありません")))
}

/// Every 副本 the 中間サーバー holds for `kikan`: key → (major version, items as text).
type StoredKey = (String, String, String, String);

fn stored(
    world: &World,
    kikan: KikanCode,
) -> Result<BTreeMap<StoredKey, (u16, Vec<String>)>, StepError> {
    let db = started(world)?.stack.chukan.db().clone();
    let mut keys: Vec<(String, String)> = Vec::new();
    db.for_each_kanri(kikan, |row| {
        keys.push((row[0].clone(), row[1].clone()));
        true
    })
    .map_err(|e| StepError::Suite(e.to_string()))?;
    keys.sort();
    keys.dedup();
    let mut found = BTreeMap::new();
    for (tougou, tokutei) in keys {
        let tougou: TougouAtenaBango = tougou
            .parse()
            .map_err(|_| StepError::Suite(format!("団体内統合宛名番号「{tougou}」")))?;
        let tokutei: TokuteiKojinJohoMeiCode = tokutei
            .parse()
            .map_err(|_| StepError::Suite(format!("特定個人情報名コード「{tokutei}」")))?;
        for f in db
            .fukuhon_of(kikan, tougou, tokutei)
            .map_err(|e| StepError::Suite(e.to_string()))?
        {
            let items = f
                .items
                .iter()
                .map(|i| match &i.value {
                    ItemValue::Value(v) => format!("{}={v}", i.name),
                    ItemValue::Null(reason) => format!("{}=NULL({})", i.name, reason.code()),
                })
                .collect();
            found.insert(
                (
                    f.tougou.to_string(),
                    f.tokutei.as_str().to_owned(),
                    f.dataset.clone(),
                    f.record_key.clone(),
                ),
                (f.major_version, items),
            );
        }
    }
    Ok(found)
}

async fn registered_as_seihon(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    catch_up(world)?;
    let tenant = own_tenant(world)?;
    let kikan = tenant.kikan();
    let live = started(world)?;
    let today = live.today();
    let layouts = &world.ctx.catalogs.layouts;
    let own: BTreeSet<String> = live
        .households()
        .iter()
        .flat_map(|h| &h.members)
        .map(|r| r.tougou_atena_bango.to_string())
        .collect();
    let held = stored(world, kikan)?;
    let mut problems = Vec::new();
    let mut expected_keys = BTreeSet::new();
    for record in live
        .kizon
        .seihon
        .iter()
        .filter(|r| own.contains(&r.tougou_atena_bango))
    {
        let key = (
            record.tougou_atena_bango.clone(),
            record.tokutei.clone(),
            record.dataset.clone(),
            record.record_key.clone(),
        );
        let tokutei: TokuteiKojinJohoMeiCode = record.tokutei.parse().expect("checked at start");
        let version = layouts
            .version_in_force(&tokutei, today)
            .and_then(|l| l.dataset(&record.dataset))
            .map(|d| d.major_version);
        expected_keys.insert(key.clone());
        match held.get(&key) {
            None => problems.push(format!(
                "正本「{}」の副本が登録されていません",
                record.seihon_id
            )),
            Some((major, items)) => {
                if Some(*major) != version {
                    problems.push(format!(
                        "正本「{}」の副本はメジャーバージョン {major} で登録されています ({today} に有効なのは {})",
                        record.seihon_id,
                        version.map_or("なし".to_owned(), |v| v.to_string())
                    ));
                }
                let want: Vec<String> = record
                    .items
                    .iter()
                    .map(|i| match (&i.value, &i.null_riyu) {
                        (Some(v), _) => format!("{}={v}", i.name),
                        (None, Some(r)) => format!("{}=NULL({r})", i.name),
                        (None, None) => format!("{}=", i.name),
                    })
                    .collect();
                let missing: Vec<&String> = want.iter().filter(|w| !items.contains(w)).collect();
                if !missing.is_empty() {
                    problems.push(format!(
                        "正本「{}」の副本の値が正本と違います (副本にない: {})",
                        record.seihon_id,
                        missing
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
    }
    for key in held.keys().filter(|k| !expected_keys.contains(*k)) {
        problems.push(format!(
            "正本にない副本が残っています ({} {} {} {})",
            key.0, key.1, key.2, key.3
        ));
    }
    let summary = held
        .iter()
        .map(|(k, (v, _))| format!("{} {} {} {} v{v}", k.0, k.1, k.2, k.3))
        .collect::<Vec<_>>()
        .join("\n");
    world.note(
        "note",
        format!("中間サーバーの副本 ({} 件)", held.len()),
        summary,
    );
    verdict(problems)
}

async fn no_batch_errors(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    catch_up(world)?;
    let kikan = own_tenant(world)?.kikan();
    let db = started(world)?.stack.chukan.db().clone();
    let runs = db
        .batch_runs(kikan)
        .map_err(|e| StepError::Suite(e.to_string()))?;
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for run in &runs {
        lines.push(format!(
            "{} 受付 {}: 処理 {} 正常 {} エラー {} 繰越 {}",
            crate::runner::rfc3339(run.run_at),
            run.reception,
            run.processed,
            run.ok,
            run.errors,
            run.remaining
        ));
    }
    let mut receptions: Vec<&str> = runs.iter().map(|r| r.reception.as_str()).collect();
    receptions.dedup();
    for reception in receptions {
        db.for_each_kekka(reception, |row| {
            if row.status != "正常" {
                problems.push(format!(
                    "受付 {reception} の {}件目 (レコード識別番号「{}」): {} {}",
                    row.record_number,
                    row.record_id,
                    row.code.clone().unwrap_or_default(),
                    row.message.clone().unwrap_or_default()
                ));
            }
            true
        })
        .map_err(|e| StepError::Suite(e.to_string()))?;
    }
    world.note("note", "夜間バッチの実行結果", lines.join("\n"));
    if runs.is_empty() {
        problems.push("夜間バッチが処理したファイルがありません (副本が送られていません)".into());
    }
    verdict(problems)
}

/// The 中間サーバー's answers to the scenario's own tenant, from the journal.
pub(crate) fn own_exchanges(
    world: &World,
) -> Result<Vec<renkei_simulator::journal::Exchange>, StepError> {
    let kikan = own_tenant(world)?.kikan().to_string();
    Ok(started(world)?
        .stack
        .journal
        .query(&Query {
            system: Some(System::Chukan),
            ..Query::default()
        })
        .exchanges
        .into_iter()
        .filter(|e| e.caller.account.as_deref() == Some(kikan.as_str()))
        .collect())
}

async fn no_over_cap(world: &mut World, _args: Args) -> StepResult {
    let refused: Vec<String> = own_exchanges(world)?
        .into_iter()
        .filter(|e| e.response_body.text().contains("FILE_OVER_CAP"))
        .map(|e| {
            format!(
                "{} {} {} → {}",
                crate::runner::rfc3339(e.at),
                e.method,
                e.route,
                e.response_body.text().chars().take(600).collect::<String>()
            )
        })
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    world.note("journal", "上限で断られたファイル", refused.join("\n\n"));
    Err(StepError::Fail(format!(
        "1日のアップロード上限 (seed 004 §2.5) を超えたファイルを {} 回送り、中間サーバーに断られています",
        refused.len()
    )))
}

fn count(body: &Value, key: &str) -> Result<u64, StepError> {
    body.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| malformed(&format!("/fukuhon の {key}"), body))
}

async fn counts_match(world: &mut World, _args: Args) -> StepResult {
    let body = world
        .observe(Role::KizonGyomu, "fukuhon", &[])
        .await?
        .ok_or_else(|| StepError::Fail("/fukuhon が 404 です".into()))?;
    catch_up(world)?;
    let kikan = own_tenant(world)?.kikan();
    let live = started(world)?;
    let registered = live
        .stack
        .chukan
        .db()
        .fukuhon_count(kikan)
        .map_err(|e| StepError::Suite(e.to_string()))?;
    let seihon = live.kizon.seihon.len() as u64;
    let own: BTreeSet<String> = live
        .households()
        .iter()
        .flat_map(|h| &h.members)
        .map(|r| r.tougou_atena_bango.to_string())
        .collect();
    let not_own = live
        .kizon
        .seihon
        .iter()
        .filter(|r| !own.contains(&r.tougou_atena_bango))
        .count() as u64;
    let mut problems = Vec::new();
    let said = count(&body, "seihon_kensuu")?;
    if said != seihon {
        problems.push(format!(
            "正本の件数を {said} 件と言っていますが、正本は {seihon} 件です"
        ));
    }
    let said = count(&body, "touroku_kensuu")?;
    if said != registered {
        problems.push(format!(
            "登録済みの副本を {said} 件と言っていますが、中間サーバーに登録されているのは {registered} 件です"
        ));
    }
    let said = count(&body, "error_kensuu")?;
    if said != not_own {
        problems.push(format!(
            "エラーのレコードを {said} 件と言っていますが、処理結果がエラーの正本は {not_own} 件です (他団体の住民)"
        ));
    }
    verdict(problems)
}

async fn totsugou_checked(world: &mut World, _args: Args) -> StepResult {
    catch_up(world)?;
    let kikan = own_tenant(world)?.kikan();
    let live = started(world)?;
    let db = live.stack.chukan.db().clone();
    let registered = db
        .fukuhon_count(kikan)
        .map_err(|e| StepError::Suite(e.to_string()))?;
    let last_batch = db
        .batch_runs(kikan)
        .map_err(|e| StepError::Suite(e.to_string()))?
        .last()
        .map(|r| r.run_at);
    let fetches: Vec<_> = own_exchanges(world)?
        .into_iter()
        .filter(|e| e.route.starts_with("/xml/v1/exports/fukuhon-kanri.csv") && e.status == 200)
        .collect();
    let mut problems = Vec::new();
    match (last_batch, fetches.last()) {
        (_, None) => problems.push(
            "突合用ファイル (GET /xml/v1/exports/fukuhon-kanri.csv) を一度も取っていません"
                .to_owned(),
        ),
        (Some(batch), Some(fetch)) if fetch.at < batch => problems.push(format!(
            "突合用ファイルを最後に取ったのは {} で、最後の夜間バッチ ({}) より前です",
            crate::runner::rfc3339(fetch.at),
            crate::runner::rfc3339(batch)
        )),
        _ => {}
    }
    let body = world
        .observe(Role::KizonGyomu, "fukuhon", &[])
        .await?
        .ok_or_else(|| StepError::Fail("/fukuhon が 404 です".into()))?;
    match body.get("totsugou") {
        Some(Value::Null) | None => {
            problems.push("/fukuhon の totsugou が null です (突合していない)".into())
        }
        Some(t) => {
            let chukan = t.get("chukan_kensuu").and_then(Value::as_u64);
            let jisha = t.get("jisha_kensuu").and_then(Value::as_u64);
            let icchi = t.get("icchi").and_then(Value::as_bool);
            if chukan != Some(registered) {
                problems.push(format!(
                    "突合の chukan_kensuu が {chukan:?} ですが、突合用ファイルの件数は {registered} 件です"
                ));
            }
            if icchi != Some(chukan.is_some() && chukan == jisha) {
                problems.push(format!(
                    "突合の icchi が {icchi:?} ですが、chukan_kensuu {chukan:?} と jisha_kensuu {jisha:?} から見て違います"
                ));
            }
        }
    }
    verdict(problems)
}

async fn fuka_as_seihon(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let kikan = own_tenant(world)?.kikan();
    let live = started(world)?;
    let held: BTreeSet<(String, String)> = live
        .stack
        .chukan
        .teikyou_source()
        .jidou_outou_fuka(kikan)
        .into_iter()
        .map(|(t, d)| (t.as_str().to_owned(), d))
        .collect();
    let want: BTreeSet<(String, String)> = live.kizon.jidou_outou_fuka.iter().cloned().collect();
    world.note(
        "note",
        "中間サーバーの自動応答不可のデータセット",
        format!("{held:?}"),
    );
    let mut problems = Vec::new();
    for (t, d) in want.difference(&held) {
        problems.push(format!("{t} の {d} が自動応答不可になっていません"));
    }
    for (t, d) in held.difference(&want) {
        problems.push(format!("{t} の {d} が正本にないのに自動応答不可のままです"));
    }
    verdict(problems)
}

// ---- 改版 (FUK-06〜FUK-10) -------------------------------------------------------------------------

/// Every 副本 the 中間サーバー holds for the scenario's tenant and one 特定個人情報, for the
/// people of the 正本.
fn held_of(
    world: &World,
    tokutei: &str,
) -> Result<Vec<renkei_simulator::chukan::db::StoredFukuhon>, StepError> {
    catch_up(world)?;
    let kikan = own_tenant(world)?.kikan();
    let code: TokuteiKojinJohoMeiCode = tokutei
        .parse()
        .map_err(|_| StepError::Suite(format!("特定個人情報名コード「{tokutei}」")))?;
    let live = started(world)?;
    let mut people: Vec<String> = live
        .kizon
        .seihon
        .iter()
        .filter(|r| r.tokutei == tokutei)
        .map(|r| r.tougou_atena_bango.clone())
        .collect();
    people.sort();
    people.dedup();
    let db = live.stack.chukan.db();
    let mut held = Vec::new();
    for tougou in people {
        let tougou: TougouAtenaBango = tougou
            .parse()
            .map_err(|_| StepError::Suite(format!("団体内統合宛名番号「{tougou}」")))?;
        held.extend(
            db.fukuhon_of(kikan, tougou, code)
                .map_err(|e| StepError::Suite(e.to_string()))?,
        );
    }
    Ok(held)
}

fn describe(held: &[renkei_simulator::chukan::db::StoredFukuhon]) -> String {
    held.iter()
        .map(|f| {
            format!(
                "{} {} {} v{} ({}版) レコード識別番号 {}",
                f.tougou, f.dataset, f.record_key, f.major_version, f.edition, f.record_id
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The major version of `dataset` of a 特定個人情報 in `edition`.
fn major_in(world: &World, tokutei: &str, edition: &str, dataset: &str) -> Option<u16> {
    let code: TokuteiKojinJohoMeiCode = tokutei.parse().ok()?;
    world
        .ctx
        .catalogs
        .layouts
        .layout(&code, edition)?
        .dataset(dataset)
        .map(|d| d.major_version)
}

fn edition_known(world: &World, edition: &str) -> Result<(), StepError> {
    world
        .ctx
        .catalogs
        .layouts
        .edition(edition)
        .map(|_| ())
        .ok_or_else(|| {
            StepError::Suite(format!("データ標準レイアウトに版「{edition}」はありません"))
        })
}

async fn all_in_edition(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let tokutei = tokutei_code(world, args.get(0))?;
    let edition = args.get(1).to_owned();
    edition_known(world, &edition)?;
    let held = held_of(world, &tokutei)?;
    world.note(
        "note",
        format!("中間サーバーの {tokutei} の副本"),
        describe(&held),
    );
    let mut problems = Vec::new();
    let records: Vec<_> = started(world)?
        .kizon
        .seihon
        .iter()
        .filter(|r| r.tokutei == tokutei)
        .cloned()
        .collect();
    for record in records {
        let Some(major) = major_in(world, &tokutei, &edition, &record.dataset) else {
            continue; // a dataset the edition does not have
        };
        let found = held.iter().any(|f| {
            f.tougou.to_string() == record.tougou_atena_bango
                && f.dataset == record.dataset
                && f.record_key == record.record_key
                && f.major_version == major
        });
        if !found {
            problems.push(format!(
                "正本「{}」({} {}) の {edition} 版 (メジャーバージョン {major}) の副本が登録されていません",
                record.seihon_id, record.dataset, record.record_key
            ));
        }
    }
    verdict(problems)
}

async fn old_edition_gone(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let tokutei = tokutei_code(world, args.get(0))?;
    let edition = args.get(1).to_owned();
    edition_known(world, &edition)?;
    let today = started(world)?.today();
    let in_force = world
        .ctx
        .catalogs
        .layouts
        .edition_in_force(today)
        .map(|e| e.version.clone())
        .unwrap_or_default();
    let held = held_of(world, &tokutei)?;
    world.note(
        "note",
        format!("中間サーバーの {tokutei} の副本"),
        describe(&held),
    );
    // Old: its (dataset, major version) is the old edition's and not the edition in force's.
    let stale: Vec<String> = held
        .iter()
        .filter(|f| {
            major_in(world, &tokutei, &edition, &f.dataset) == Some(f.major_version)
                && major_in(world, &tokutei, &in_force, &f.dataset) != Some(f.major_version)
        })
        .map(|f| {
            format!(
                "{} {} {} v{}",
                f.tougou, f.dataset, f.record_key, f.major_version
            )
        })
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    Err(StepError::Fail(format!(
        "{edition} 版の副本が {today} にまだ残っています (連携開始日のあとは削除する): {}",
        stale.join(", ")
    )))
}

async fn dataset_held(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let tokutei = tokutei_code(world, args.get(0))?;
    let dataset = args.get(1);
    let want = args.get(2) == "残っている";
    let held = held_of(world, &tokutei)?;
    world.note(
        "note",
        format!("中間サーバーの {tokutei} の副本"),
        describe(&held),
    );
    let today = started(world)?.today();
    let has = held.iter().any(|f| f.dataset == dataset);
    match (want, has) {
        (true, false) => Err(StepError::Fail(format!(
            "{dataset} の副本が {today} にはもうありません (廃止されたデータセットは連携開始日から30日は削除しない)"
        ))),
        (false, true) => Err(StepError::Fail(format!(
            "{dataset} の副本が {today} にまだ残っています (連携開始日から30日が過ぎたら削除する)"
        ))),
        _ => Ok(()),
    }
}

async fn latest_only(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let tokutei = tokutei_code(world, args.get(0))?;
    let dataset = args.get(1).to_owned();
    let held = held_of(world, &tokutei)?;
    world.note(
        "note",
        format!("中間サーバーの {tokutei} の副本"),
        describe(&held),
    );
    let mut problems = Vec::new();
    let records: Vec<_> = started(world)?
        .kizon
        .seihon
        .iter()
        .filter(|r| r.tokutei == tokutei && r.dataset == dataset)
        .cloned()
        .collect();
    let mut people: Vec<&str> = records
        .iter()
        .map(|r| r.tougou_atena_bango.as_str())
        .collect();
    people.sort_unstable();
    people.dedup();
    for person in people {
        let latest = records
            .iter()
            .filter(|r| r.tougou_atena_bango == person)
            .map(|r| r.record_key.as_str())
            .max()
            .unwrap_or("");
        let stored: Vec<&str> = held
            .iter()
            .filter(|f| f.tougou.to_string() == person && f.dataset == dataset)
            .map(|f| f.record_key.as_str())
            .collect();
        if stored != [latest] {
            problems.push(format!(
                "{person} の {dataset} の副本は {stored:?} です (最新の {latest} の1件だけであるはず)"
            ));
        }
    }
    verdict(problems)
}

async fn current_year_only(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let tokutei = tokutei_code(world, args.get(0))?;
    let year = args.get(1).to_owned();
    let edition = args.get(2).to_owned();
    edition_known(world, &edition)?;
    let held = held_of(world, &tokutei)?;
    world.note(
        "note",
        format!("中間サーバーの {tokutei} の副本"),
        describe(&held),
    );
    let mut problems = Vec::new();
    if held.is_empty() {
        problems.push(format!("{tokutei} の副本がありません"));
    }
    for f in &held {
        let current = f.record_key.starts_with(&year);
        if current && f.edition != edition {
            problems.push(format!(
                "{} {} {} は {} 版のままです ({year}年分は {edition} 版で登録し直す)",
                f.tougou, f.dataset, f.record_key, f.edition
            ));
        }
        if !current && f.edition == edition {
            problems.push(format!(
                "{} {} {} を {edition} 版で登録し直しています (過去分は登録し直さない)",
                f.tougou, f.dataset, f.record_key
            ));
        }
    }
    verdict(problems)
}
