//! 接続確認と接続先の切替 (KIK-01a, KIK-05): the system confirms its connection to the 中間サーバー
//! before the 機関間テスト (seed 004 §4.2 ③-1, ③-2), and again after the 中間サーバー moves to a
//! new address (移行リハーサル, ⑤-2). docs/kizon-gyomu.md「接続確認」「接続先の切替」.
//!
//! The verdicts stand on the 中間サーバー's journal, never on the system's word alone: renkei takes
//! the journal's position before and after each `setsuzoku_kakunin` job, so it knows which of the
//! tenant's requests the 中間サーバー accepted during each check; it notes when it changed the
//! connection (the tenant's certificate registered or not, the address moved), so it can tell
//! whether each 照会 of the 機関間テスト followed a check that succeeded on the connection then in
//! force; and
//! after the move the old address answers only `MOVED` (421), so every such answer in the journal
//! is a request that still went to the old address.

use std::time::Instant;

use renkei_simulator::journal::{Exchange, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::aite::suite;
use super::fukuhon::{own_exchanges, own_tenant};
use super::shoukai::text;
use super::{Args, StepDef, StepError, StepResult, malformed, started, step, verdict};
use crate::requirements::Role;
use crate::runner::{World, rfc3339};

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(
            r"(既存業務システム|自団体|相手の団体)が中間サーバーへの接続を確かめる",
            kakunin
        ),
        step!(
            r"中間サーバーには既存業務システムのクライアント証明書がまだ登録されていない",
            unregistered
        ),
        step!(
            r"職員が管理端末からクライアント証明書を中間サーバーに登録する",
            register
        ),
        step!(r"中間サーバーの接続先が新しい接続先に切り替わる", switch),
        step!(
            r"既存業務システムがもう一度機関間テストを行う",
            kikan_test_again
        ),
        step!(
            r"既存業務システムの接続確認の記録は中間サーバーの記録と合っている",
            records_as_journal
        ),
        step!(
            r"機関間テストの照会は接続確認が成功したあとに出ている",
            shoukai_after_check
        ),
        step!(
            r"既存業務システムは接続を確かめていない計画の行を未実施と記録している",
            rows_not_run
        ),
        step!(
            r"切替のあとの接続確認は新しい接続先に届いて成功している",
            checked_at_new_address
        ),
        step!(
            r"切替のあと、旧い接続先に届いた要求はない",
            nothing_to_old_address
        ),
    ]
}

const RUNS: &str = "setsuzoku:runs";
const CHANGES: &str = "setsuzoku:changes";
const SWITCH: &str = "setsuzoku:switch";

/// One `setsuzoku_kakunin` job: the system that ran it, the journal's positions around it, the
/// `chukan.base_url` its config held, and how long it took (wall clock, for the evidence only).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Run {
    sut: usize,
    from: u64,
    to: u64,
    base_url: String,
    millis: u128,
}

/// A change renkei made to the connection: a check before it says nothing about after it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Change {
    seq: u64,
    what: String,
}

/// The move of the 中間サーバー: the journal's position then, the old and the new address.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Switch {
    seq: u64,
    old: String,
    new: String,
}

fn load<T: for<'de> Deserialize<'de>>(world: &World, key: &str) -> Result<Option<T>, StepError> {
    world
        .memo
        .get(key)
        .map(|text| serde_json::from_str(text).map_err(suite))
        .transpose()
}

fn save<T: Serialize>(world: &mut World, key: &str, value: &T) {
    world.memo.insert(
        key.to_owned(),
        serde_json::to_string(value).expect("memo values serialise"),
    );
}

fn runs(world: &World) -> Result<Vec<Run>, StepError> {
    Ok(load(world, RUNS)?.unwrap_or_default())
}

fn changes(world: &World) -> Result<Vec<Change>, StepError> {
    Ok(load(world, CHANGES)?.unwrap_or_default())
}

fn note_change(world: &mut World, what: &str) -> StepResult {
    let mut all = changes(world)?;
    all.push(Change {
        seq: journal_next(world)?,
        what: what.to_owned(),
    });
    save(world, CHANGES, &all);
    Ok(())
}

/// The `seq` the journal's next exchange will get.
fn journal_next(world: &World) -> Result<u64, StepError> {
    Ok(started(world)?
        .stack
        .journal
        .query(&Query {
            limit: Some(0),
            ..Query::default()
        })
        .next_seq)
}

/// The address the systems are told to use now.
fn current_base_url(world: &World) -> Result<String, StepError> {
    Ok(format!(
        "https://{}",
        started(world)?.stack.addresses.chukan
    ))
}

/// Whether the 中間サーバー accepted the exchange (a 2xx answer).
fn accepted(e: &Exchange) -> bool {
    (200..300).contains(&e.status)
}

fn line(e: &Exchange) -> String {
    let code = renkei_simulator::chukan::client::values(&e.response_body.text(), "エラーコード")
        .first()
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    format!(
        "#{} {} {} {} → {}{code}",
        e.seq,
        rfc3339(e.at),
        e.method,
        e.route,
        e.status
    )
}

fn lines(exchanges: &[&Exchange]) -> String {
    if exchanges.is_empty() {
        return "(なし)".into();
    }
    exchanges
        .iter()
        .map(|e| line(e))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn kakunin(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let index = match args.get(0) {
        "相手の団体" => match world.partner_sut() {
            Some(index) => index,
            None => {
                world.note(
                    "note",
                    "相手の団体の接続確認",
                    "renkei が演じる相手の団体は、中間サーバーに直接つないでいます",
                );
                return Ok(());
            }
        },
        _ => world.sut_index(Role::KizonGyomu)?,
    };
    let base_url = current_base_url(world)?;
    let from = journal_next(world)?;
    let started_at = Instant::now();
    world.job_at(index, "setsuzoku_kakunin", &[]).await?;
    let millis = started_at.elapsed().as_millis();
    let to = journal_next(world)?;
    let mut all = runs(world)?;
    all.push(Run {
        sut: index,
        from,
        to,
        base_url,
        millis,
    });
    save(world, RUNS, &all);
    Ok(())
}

async fn unregistered(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let kikan = own_tenant(world)?.kikan();
    started(world)?
        .stack
        .chukan
        .unregister_certificate(kikan)
        .map_err(suite)?;
    note_change(world, "クライアント証明書の登録の取り消し")?;
    world.note(
        "note",
        "クライアント証明書の登録",
        format!(
            "中間サーバーは {kikan} のクライアント証明書をまだ登録していない: 証明書は有効で TLS はつながるが、要求はどれも UNKNOWN_CLIENT で断られる (docs/chukan-api.md「証明書の登録」)"
        ),
    );
    Ok(())
}

async fn register(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let kikan = own_tenant(world)?.kikan();
    started(world)?
        .stack
        .chukan
        .register_certificate(kikan)
        .map_err(suite)?;
    note_change(world, "クライアント証明書の登録")?;
    world.note(
        "note",
        "クライアント証明書の登録",
        format!(
            "{kikan} のクライアント証明書を中間サーバーに登録した (既存業務システムのファイルは変えていない)"
        ),
    );
    Ok(())
}

async fn switch(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let old = current_base_url(world)?;
    let seq = journal_next(world)?;
    let live = world.live.as_mut().expect("started above");
    let new =
        live.stack.move_chukan().await.map_err(|e| {
            StepError::Suite(format!("中間サーバーを新しい接続先に移せません: {e}"))
        })?;
    let new = format!("https://{new}");
    // Every system's renkei-config.json, same path: only chukan.base_url changes.
    for path in live.configs.clone() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| StepError::Suite(format!("{} を読めません: {e}", path.display())))?;
        let mut config: Value = serde_json::from_str(&text).map_err(suite)?;
        config["chukan"]["base_url"] = Value::String(new.clone());
        let json = serde_json::to_string_pretty(&config).expect("the config serialises");
        let temporary = path.with_extension("json.new");
        std::fs::write(&temporary, json)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|e| StepError::Suite(format!("{} を書けません: {e}", path.display())))?;
    }
    save(
        world,
        SWITCH,
        &Switch {
            seq,
            old: old.clone(),
            new: new.clone(),
        },
    );
    note_change(world, "接続先の切替")?;
    world.note(
        "note",
        "接続先の切替 (移行リハーサル)",
        format!(
            "中間サーバーを {old} から {new} に移し、renkei-config.json の chukan.base_url を書き換えた。{old} はこれからどの要求にも MOVED (421) で答える"
        ),
    );
    Ok(())
}

async fn kikan_test_again(world: &mut World, _args: Args) -> StepResult {
    let plan: Value = world
        .memo
        .get("kikan_test_plan")
        .map(|text| serde_json::from_str(text).map_err(suite))
        .transpose()?
        .ok_or_else(|| StepError::Suite("機関間テストの計画がまだありません".into()))?;
    world
        .job(Role::KizonGyomu, "kikan_test", &[("plan", plan)])
        .await?;
    Ok(())
}

/// Each of the system's own checks, with its record in `/setsuzoku` (the n-th check, the n-th
/// record: one a check, in order) and the tenant's exchanges during it.
struct Checked {
    run: Run,
    record: Value,
    exchanges: Vec<Exchange>,
}

async fn own_checks(world: &mut World) -> Result<Vec<Checked>, StepError> {
    let own = world.sut_index(Role::KizonGyomu)?;
    let mine: Vec<Run> = runs(world)?.into_iter().filter(|r| r.sut == own).collect();
    let body = world
        .observe(Role::KizonGyomu, "setsuzoku", &[])
        .await?
        .ok_or_else(|| StepError::Fail("/setsuzoku が 404 です".into()))?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("/setsuzoku の items", &body))?
        .clone();
    if items.len() != mine.len() {
        return Err(StepError::Fail(format!(
            "接続確認 (setsuzoku_kakunin) を {} 回行いましたが、/setsuzoku の記録は {} 件です (1 回に 1 件、行った順に)",
            mine.len(),
            items.len()
        )));
    }
    let exchanges = own_exchanges(world)?;
    Ok(mine
        .into_iter()
        .zip(items)
        .map(|(run, record)| Checked {
            exchanges: exchanges
                .iter()
                .filter(|e| e.seq >= run.from && e.seq < run.to)
                .cloned()
                .collect(),
            run,
            record,
        })
        .collect())
}

fn trimmed(url: &str) -> &str {
    url.trim_end_matches('/')
}

async fn records_as_journal(world: &mut World, _args: Args) -> StepResult {
    let checks = own_checks(world).await?;
    if checks.is_empty() {
        return Err(StepError::Suite(
            "既存業務システムはまだ接続を確かめていません (先に「中間サーバーへの接続を確かめる」を書きます)".into(),
        ));
    }
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for (n, c) in checks.iter().enumerate() {
        let n = n + 1;
        let said = text(&c.record, "kekka").unwrap_or("");
        let good: Vec<&Exchange> = c.exchanges.iter().filter(|e| accepted(e)).collect();
        let all: Vec<&Exchange> = c.exchanges.iter().collect();
        evidence.push(format!(
            "{n} 回目 ({}): システムの記録「{said}」、中間サーバーが受け付けた要求 {} 件\n{}",
            c.run.base_url,
            good.len(),
            lines(&all)
        ));
        match (said, good.is_empty()) {
            ("成功", true) => problems.push(format!(
                "{n} 回目の接続確認を成功と記録していますが、その間に中間サーバーが自団体の要求を受け付けた記録がありません (届いた要求: {})",
                if all.is_empty() { "なし".to_owned() } else { all.iter().map(|e| line(e)).collect::<Vec<_>>().join("、") }
            )),
            ("失敗", false) => problems.push(format!(
                "{n} 回目の接続確認を失敗と記録していますが、中間サーバーはその間に自団体の要求を受け付けています ({})",
                good.iter().map(|e| line(e)).collect::<Vec<_>>().join("、")
            )),
            ("失敗", true) if c.record.get("error").is_none_or(Value::is_null) => problems.push(format!(
                "{n} 回目の接続確認は失敗ですが、error (失敗の理由) がありません"
            )),
            _ => {}
        }
        let url = text(&c.record, "base_url").unwrap_or("");
        if trimmed(url) != trimmed(&c.run.base_url) {
            problems.push(format!(
                "{n} 回目の接続確認の base_url は「{url}」ですが、そのとき renkei-config.json で渡していた接続先は「{}」です",
                c.run.base_url
            ));
        }
    }
    world.note(
        "note",
        "接続確認と中間サーバーの記録",
        evidence.join("\n\n"),
    );
    verdict(problems)
}

/// Routes that register a 照会 (単件, 一括 by 電文 or by file).
fn is_shoukai(e: &Exchange) -> bool {
    [
        "/ws/IF_SKI_10711_R01",
        "/ws/IF_SKI_10723_R01",
        "/xml/v1/files/FI_SKI_0001",
    ]
    .iter()
    .any(|route| e.route.starts_with(route))
}

async fn shoukai_after_check(world: &mut World, _args: Args) -> StepResult {
    verdict(sent_before_check(world)?)
}

/// Every 照会 the system registered that no check accepted on the connection then in force
/// preceded, as problems (with the journal behind it as evidence).
fn sent_before_check(world: &mut World) -> Result<Vec<String>, StepError> {
    let own = world.sut_index(Role::KizonGyomu)?;
    let mine: Vec<Run> = runs(world)?.into_iter().filter(|r| r.sut == own).collect();
    let changes = changes(world)?;
    let exchanges = own_exchanges(world)?;
    let checks_ok: Vec<&Exchange> = exchanges
        .iter()
        .filter(|e| accepted(e) && mine.iter().any(|r| e.seq >= r.from && e.seq < r.to))
        .collect();
    let shoukai: Vec<&Exchange> = exchanges.iter().filter(|e| is_shoukai(e)).collect();
    world.note(
        "note",
        "接続確認で中間サーバーが受け付けた要求",
        lines(&checks_ok),
    );
    world.note(
        "note",
        "renkei が接続を変えた時点 (記録の位置)",
        if changes.is_empty() {
            "(なし)".to_owned()
        } else {
            changes
                .iter()
                .map(|c| format!("#{} {}", c.seq, c.what))
                .collect::<Vec<_>>()
                .join("\n")
        },
    );
    world.note("note", "照会の登録", lines(&shoukai));
    let mut problems = Vec::new();
    for e in &shoukai {
        let change = changes.iter().filter(|c| c.seq <= e.seq).last();
        let since = change.map_or(0, |c| c.seq);
        let checked = checks_ok.iter().any(|c| c.seq >= since && c.seq < e.seq);
        if !checked {
            problems.push(format!(
                "{} を、{}接続確認が成功する前に送っています",
                line(e),
                change.map_or(String::new(), |c| format!("{}のあとの", c.what))
            ));
        }
    }
    Ok(problems)
}

async fn rows_not_run(world: &mut World, _args: Args) -> StepResult {
    let plan: Vec<Value> = world
        .memo
        .get("kikan_test_plan")
        .map(|text| serde_json::from_str(text).map_err(suite))
        .transpose()?
        .ok_or_else(|| StepError::Suite("機関間テストの計画がまだありません".into()))?;
    let body = world
        .observe(Role::KizonGyomu, "kikan_test", &[])
        .await?
        .ok_or_else(|| StepError::Fail("/kikan_test が 404 です".into()))?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("/kikan_test の items", &body))?
        .clone();
    // First what the 中間サーバー saw: no 照会 may have reached it.
    let mut problems = sent_before_check(world)?;
    for row in &plan {
        let test_id = text(row, "test_id").unwrap_or("");
        let Some(item) = items.iter().find(|i| text(i, "test_id") == Some(test_id)) else {
            problems.push(format!(
                "計画の行「{test_id}」の記録がありません (「未実施」と記録するはず)"
            ));
            continue;
        };
        let said = text(item, "kekka").unwrap_or("");
        if said != "未実施" {
            problems.push(format!(
                "計画の行「{test_id}」を「{said}」としています (接続確認が成功していないので、照会を出さずに「未実施」とするはず)"
            ));
        } else if item.get("error").is_none_or(Value::is_null) {
            problems.push(format!(
                "計画の行「{test_id}」は未実施ですが、error (理由。code は 接続未確認) がありません"
            ));
        }
    }
    verdict(problems)
}

fn the_switch(world: &World) -> Result<Switch, StepError> {
    load(world, SWITCH)?.ok_or_else(|| {
        StepError::Suite(
            "接続先はまだ切り替わっていません (先に「中間サーバーの接続先が新しい接続先に切り替わる」を書きます)"
                .into(),
        )
    })
}

async fn checked_at_new_address(world: &mut World, _args: Args) -> StepResult {
    let switch = the_switch(world)?;
    let checks = own_checks(world).await?;
    let after: Vec<&Checked> = checks.iter().filter(|c| c.run.from >= switch.seq).collect();
    if after.is_empty() {
        return Err(StepError::Fail(format!(
            "切替 ({} → {}) のあとに接続確認をしていません",
            switch.old, switch.new
        )));
    }
    let mut problems = Vec::new();
    let mut millis = 0;
    let mut succeeded = None;
    for (n, c) in after.iter().enumerate() {
        millis += c.run.millis;
        if c.exchanges.iter().any(accepted) {
            succeeded = Some((n + 1, *c));
            break;
        }
    }
    world.note(
        "note",
        "作業時間 (参考。判定には使いません)",
        match succeeded {
            Some((n, _)) => format!(
                "切替から新しい接続先での接続確認の成功まで: 接続確認 {n} 回、ジョブの実時間 {millis} ms (renkei が測った時間)"
            ),
            None => format!(
                "切替のあとの接続確認 {} 回のどれも新しい接続先で受け付けられていません (ジョブの実時間 計 {millis} ms)",
                after.len()
            ),
        },
    );
    match succeeded {
        None => {
            let seen: Vec<&Exchange> = after.iter().flat_map(|c| &c.exchanges).collect();
            problems.push(format!(
                "切替のあとの接続確認は新しい接続先 {} で受け付けられていません (届いた要求: {})",
                switch.new,
                if seen.is_empty() {
                    "なし".to_owned()
                } else {
                    seen.iter().map(|e| line(e)).collect::<Vec<_>>().join("、")
                }
            ));
        }
        Some((n, c)) => {
            let said = text(&c.record, "kekka").unwrap_or("");
            if said != "成功" {
                problems.push(format!(
                    "切替のあとの {n} 回目の接続確認は新しい接続先で受け付けられていますが、システムは「{said}」と記録しています"
                ));
            }
            let url = text(&c.record, "base_url").unwrap_or("");
            if trimmed(url) != trimmed(&switch.new) {
                problems.push(format!(
                    "切替のあとの {n} 回目の接続確認の base_url は「{url}」です (新しい接続先は「{}」)",
                    switch.new
                ));
            }
        }
    }
    verdict(problems)
}

async fn nothing_to_old_address(world: &mut World, _args: Args) -> StepResult {
    let switch = the_switch(world)?;
    let exchanges = own_exchanges(world)?;
    let to_old: Vec<&Exchange> = exchanges
        .iter()
        .filter(|e| e.seq >= switch.seq && e.status == 421)
        .collect();
    world.note(
        "note",
        format!("切替のあとに旧い接続先 {} に届いた要求", switch.old),
        lines(&to_old),
    );
    if to_old.is_empty() {
        return Ok(());
    }
    Err(StepError::Fail(format!(
        "切替のあとも旧い接続先 {} に {} 件の要求を送っています (MOVED で断られた): {}",
        switch.old,
        to_old.len(),
        to_old
            .iter()
            .map(|e| line(e))
            .collect::<Vec<_>>()
            .join("、")
    )))
}
