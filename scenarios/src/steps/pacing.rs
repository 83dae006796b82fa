//! 照会の量と時間帯: the 既存業務システム's 照会 paced at most 1,000 in any 15 minutes (SKI-05),
//! re-asked an hour after an overload (SKI-11), and large bulk files registered after the
//! counter closes and done the same day (SKI-12). docs/kizon-gyomu.md「照会の量と時間帯」,
//! seed 004 §2.11.
//!
//! Every check reads what the 中間サーバー recorded — the journal of the system's requests and the
//! engine's 照会 (registration and processing times) — never the system's own report, except to
//! find which 照会 answers which 依頼 (and that is checked against the server).

use std::collections::{BTreeMap, BTreeSet};

use renkei_fixtures::ids::{
    JimuCode, JimuTetsuzukiCode, KikanCode, TokuteiKojinJohoMeiCode, TougouAtenaBango,
};
use renkei_simulator::chukan::client::values;
use renkei_simulator::nws::shoukai::calendar::is_kyuujitsu;
use renkei_simulator::nws::shoukai::{
    ServiceHours, Shoukai, ShoukaiJouken, ShoukaiNaiyou, ShoukaiStatus, UketsukeBango,
};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::aite::{jimu, jouken, partner_fugou_of, partner_kikan, resident, suite};
use super::fukuhon::{catch_up, own_exchanges, own_tenant, tokutei_code};
use super::shoukai::{kurikaeshi_irai, text, tsuuban_of};
use super::{Args, StepDef, StepError, StepResult, malformed, started, step, verdict};
use crate::requirements::Role;
use crate::runner::kizon::MADOGUCHI;
use crate::runner::{World, rfc3339};

/// The window and the most 照会 in it (seed 004 §2.11 a: 1,000 件につき 15 分).
const WINDOW: Duration = Duration::minutes(15);
const WINDOW_MAX: usize = 1_000;
/// The 中間サーバー's service time for one bulk 明細 (docs/chukan-shoukai.md).
const MEISAI: Duration = Duration::milliseconds(900);
/// A bulk file of more 明細 than this is 大量 (SKI-12).
const TAIRYOU: usize = 1_000;
/// How long after an overload the same 照会 must not be registered again (SKI-11).
const KAFUKA_WAIT: Duration = Duration::minutes(60);
/// The overload refusal.
const SK40: &str = "SK40";
/// The bulk files the other 業務 registers (at most a request, seed 004 §2.11 a).
const HOKA_FILE_MAX: u64 = 3_000;
/// The most 明細 in a bulk file: a request's 依頼 go in files this full (the last one the rest), so
/// a 大量 request cannot pass as small files (SKI-12).
const FILE_MAX: usize = 3_000;

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(
            r"(職員|定時起動の処理)が住民(\d+)〜(\d+)の(\S+?)を(\S+?)の事務で相手の団体に(?:くり返し([\d,]+)件|1人1件ずつ)単件で照会する",
            tanken_kurikaeshi
        ),
        step!(
            r"相手の団体は住民(\d+)〜(\d+)の符号を取得している",
            partner_fugou_range
        ),
        step!(
            r"同じ団体のほかの業務が中間サーバーに照会を([\d,]+)件一括で登録する",
            hoka_gyomu
        ),
        step!(
            r"照会は15分ごとに1,000件以内で登録され、依頼した照会にすべて答えが出ている",
            pace_kept
        ),
        step!(
            r"過負荷で断られた照会を1時間待ってから照会し直し、依頼した照会にすべて答えが出ている",
            overload_handled
        ),
        step!(
            r"大量の一括照会は窓口業務の時間のあとに登録され、その日のサービス提供時間のうちに終わっている",
            tairyou_after_madoguchi
        ),
    ]
}

/// Memo key of the 単件 依頼 a scenario gave (JSON array).
const MEMO_IRAI: &str = "pacing_irai";

async fn tanken_kurikaeshi(world: &mut World, args: Args) -> StepResult {
    let (first, last) = (args.number(1)?, args.number(2)?);
    let count = if args.get(5).is_empty() {
        last.saturating_sub(first) + 1
    } else {
        args.number(5)?
    };
    let prefix = if args.get(0) == "職員" { "Q" } else { "T" };
    let irai = kurikaeshi_irai(
        world,
        (first, last),
        args.get(3),
        args.get(4),
        count,
        prefix,
    )
    .await?;
    world
        .memo
        .insert(MEMO_IRAI.into(), Value::Array(irai.clone()).to_string());
    world
        .job(
            Role::KizonGyomu,
            "shoukai",
            &[("houshiki", json!("単件")), ("irai", Value::Array(irai))],
        )
        .await?;
    Ok(())
}

async fn partner_fugou_range(world: &mut World, args: Args) -> StepResult {
    for n in args.number(0)?..=args.number(1)? {
        partner_fugou_of(world, n).await?;
    }
    Ok(())
}

/// renkei, as another 業務 of the same 団体, registers bulk 照会 on the system's own tenant,
/// straight into the 中間サーバー (not through the system's connection, so the journal of the
/// system's requests holds only its own). Files of at most 3,000, all now.
async fn hoka_gyomu(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let count = args.number(0)?;
    let tokutei: TokuteiKojinJohoMeiCode = tokutei_code(world, "地方税関係情報")?
        .parse()
        .map_err(suite)?;
    let (jimu_code, tetsuzuki) = jimu(world, "児童手当")?;
    let jimu_code: JimuCode = jimu_code.parse().map_err(suite)?;
    let tetsuzuki: JimuTetsuzukiCode = tetsuzuki.parse().map_err(suite)?;
    let jouken_json = jouken(world, &tokutei.to_string())?;
    let jouken = match jouken_json.get("nendo").and_then(Value::as_str) {
        Some(nendo) => ShoukaiJouken::from_fields("1", nendo, "", ""),
        None => ShoukaiJouken::from_fields(
            "2",
            "",
            jouken_json["kaishi"].as_str().unwrap_or(""),
            jouken_json["shuryo"].as_str().unwrap_or(""),
        ),
    }
    .map_err(suite)?;
    let teikyousha = partner_kikan(world)?;
    // 住民 101〜200: not the people of the system's own 依頼.
    let mut people: Vec<TougouAtenaBango> = Vec::new();
    for n in 101..=200 {
        people.push(resident(world, n)?.tougou_atena_bango);
    }
    let tenant = own_tenant(world)?;
    let (kikan, mode) = (tenant.kikan(), tenant.mode);
    let engine = started(world)?.stack.chukan.shoukai();
    let mut done = 0u64;
    let mut files = Vec::new();
    while done < count {
        let n = (count - done).min(HOKA_FILE_MAX);
        let meisai: Vec<ShoukaiNaiyou> = (done..done + n)
            .map(|i| ShoukaiNaiyou {
                tougou: people[(i as usize) % people.len()],
                jimu: jimu_code,
                tetsuzuki,
                tokutei,
                teikyousha,
                jouken,
                msg_mode: mode,
                fukaiji: false,
            })
            .collect();
        let uketsuke = engine.ikkatsu_shoukai(kikan, meisai).map_err(suite)?;
        let refused = uketsuke
            .meisai
            .iter()
            .filter(|m| m.status == ShoukaiStatus::Error)
            .count();
        files.push(format!(
            "受付 {}: 明細 {n} 件 (登録のときエラー {refused} 件)",
            uketsuke.uketsuke_bango
        ));
        done += n;
    }
    world.note(
        "note",
        format!(
            "同じ団体のほかの業務の一括照会 ({})",
            rfc3339(started(world)?.stack.clock.now())
        ),
        files.join("\n"),
    );
    Ok(())
}

/// One registration the system made (or tried), from the journal: a 単件 (`IF_SKI_10711_R01`)
/// or a bulk file (`IF_SKI_10723_R01`, `/xml/v1/files/FI_SKI_0001`).
struct Touroku {
    seq: u64,
    at: OffsetDateTime,
    ikkatsu: bool,
    /// Its 照会 as the 中間サーバー holds them (file order); empty when refused whole.
    meisai: Vec<Shoukai>,
    /// A refused 単件: the error code and what it asked (its [`key`]).
    refused: Option<(String, String)>,
}

/// What a 照会 asks, as one comparable text: the person, 事務, 事務手続, 特定個人情報, 提供者 and
/// 照会条件.
fn key(n: &ShoukaiNaiyou) -> String {
    format!(
        "{} {} {} {} {} {:?}",
        n.tougou, n.jimu, n.tetsuzuki, n.tokutei, n.teikyousha, n.jouken
    )
}

/// [`key`] of a 単件 request body (`IF_SKI_10711_R01`); `None` when it does not say.
fn body_key(body: &str) -> Option<String> {
    let get = |name: &str| values(body, name).into_iter().next().unwrap_or("");
    let jouken = ShoukaiJouken::from_fields(
        get("照会条件区分"),
        get("照会年度"),
        get("開始日"),
        get("終了日"),
    )
    .ok()?;
    Some(format!(
        "{} {} {} {} {} {:?}",
        get("団体内統合宛名番号").parse::<TougouAtenaBango>().ok()?,
        get("事務コード").parse::<JimuCode>().ok()?,
        get("事務手続コード").parse::<JimuTetsuzukiCode>().ok()?,
        get("特定個人情報名コード")
            .parse::<TokuteiKojinJohoMeiCode>()
            .ok()?,
        get("情報提供者機関コード").parse::<KikanCode>().ok()?,
        jouken
    ))
}

/// Every registration of the system's own tenant, in journal order.
fn tourokus(world: &World) -> Result<Vec<Touroku>, StepError> {
    catch_up(world)?;
    let kikan = own_tenant(world)?.kikan();
    let engine = started(world)?.stack.chukan.shoukai();
    let mut out = Vec::new();
    for e in own_exchanges(world)? {
        let tanken = e.route.starts_with("/ws/IF_SKI_10711_R01");
        let ikkatsu = e.route.starts_with("/ws/IF_SKI_10723_R01")
            || (e.method == "POST" && e.route.starts_with("/xml/v1/files/FI_SKI_0001"));
        if !tanken && !ikkatsu {
            continue;
        }
        let response = e.response_body.text();
        let uketsuke: Option<UketsukeBango> = values(&response, "中間サーバー受付番号")
            .into_iter()
            .chain(values(&response, "ReceptionNumber"))
            .find_map(|u| u.parse().ok());
        let meisai = match uketsuke {
            Some(u) => engine.uketsuke_joukyou(kikan, u).unwrap_or_default(),
            None => Vec::new(),
        };
        let refused = if meisai.is_empty() {
            values(&response, "エラーコード")
                .into_iter()
                .next()
                .map(|code| {
                    let asked = body_key(&e.request_body.text()).unwrap_or_default();
                    (code.to_owned(), asked)
                })
        } else {
            None
        };
        out.push(Touroku {
            seq: e.seq,
            at: e.at,
            ikkatsu,
            meisai,
            refused,
        });
    }
    Ok(out)
}

/// The 依頼 the scenario gave, by `irai_id`: (団体内統合宛名番号, 特定個人情報名コード).
fn given_irai(world: &World) -> Result<Vec<(String, String, String)>, StepError> {
    let text = world
        .memo
        .get(MEMO_IRAI)
        .ok_or_else(|| StepError::Suite("このシナリオはまだ単件の照会を依頼していません".into()))?;
    let list: Vec<Value> = serde_json::from_str(text).map_err(suite)?;
    Ok(list
        .iter()
        .map(|i| {
            (
                text_of(i, "irai_id"),
                text_of(i, "tougou_atena_bango"),
                text_of(i, "tokutei"),
            )
        })
        .collect())
}

fn text_of(v: &Value, key: &str) -> String {
    text(v, key).unwrap_or("").to_owned()
}

/// Problems with "every 依頼 has its 照会 answered in the 中間サーバー" (正常終了 or 該当なし, the
/// 照会 the system names being its tenant's, asking what the 依頼 asked, one per 依頼).
async fn all_answered(world: &mut World) -> Result<Vec<String>, StepError> {
    let given = given_irai(world)?;
    let body = world
        .observe(Role::KizonGyomu, "shoukai", &[])
        .await?
        .ok_or_else(|| StepError::Fail("/shoukai が 404 です".into()))?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("/shoukai の items", &body))?;
    let reported: BTreeMap<&str, &Value> = items
        .iter()
        .filter_map(|i| text(i, "irai_id").map(|id| (id, i)))
        .collect();
    let kikan = own_tenant(world)?.kikan();
    let engine = started(world)?.stack.chukan.shoukai();
    let mut unanswered: Vec<String> = Vec::new();
    let mut used = BTreeSet::new();
    for (irai_id, tougou, tokutei) in &given {
        let Some(report) = reported.get(irai_id.as_str()) else {
            unanswered.push(format!("{irai_id}: /shoukai にない"));
            continue;
        };
        let Some(tsuuban) = tsuuban_of(report) else {
            let code = report
                .get("error")
                .and_then(|e| e.get("code"))
                .and_then(Value::as_str)
                .map(|c| format!("、error {c}"))
                .unwrap_or_default();
            unanswered.push(format!(
                "{irai_id}: 処理通番がなく中間サーバーに照会がない (status {}{code})",
                text(report, "status").unwrap_or("—")
            ));
            continue;
        };
        if !used.insert(tsuuban) {
            unanswered.push(format!(
                "{irai_id}: 処理通番 {tsuuban} はほかの依頼の照会のもの"
            ));
            continue;
        }
        match engine.joukyou(kikan, tsuuban) {
            Err(_) => unanswered.push(format!(
                "{irai_id}: 処理通番 {tsuuban} の照会は中間サーバーにない"
            )),
            Ok(s)
                if s.naiyou.tougou.to_string() != *tougou
                    || s.naiyou.tokutei.to_string() != *tokutei =>
            {
                unanswered.push(format!(
                    "{irai_id}: 処理通番 {tsuuban} の照会は依頼と違う本人・特定個人情報のもの"
                ))
            }
            Ok(s)
                if matches!(
                    s.status,
                    ShoukaiStatus::SeijouShuuryou | ShoukaiStatus::Gaitounashi
                ) => {}
            Ok(s) => unanswered.push(format!(
                "{irai_id}: 処理通番 {tsuuban} の照会は中間サーバーで「{}」{}",
                s.status.label(),
                s.error_code
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            )),
        }
    }
    if unanswered.is_empty() {
        return Ok(Vec::new());
    }
    world.note(
        "note",
        format!("答えの出ていない依頼 ({} 件)", unanswered.len()),
        unanswered.join("\n"),
    );
    Ok(vec![format!(
        "依頼した {} 件のうち {} 件に、中間サーバーで正常終了・該当なしの照会がありません (例: {})",
        given.len(),
        unanswered.len(),
        unanswered.first().map(String::as_str).unwrap_or("")
    )])
}

/// One 照会's load point (SKI-05): (time, bulk?).
fn load_points(tourokus: &[Touroku]) -> Vec<(OffsetDateTime, bool)> {
    let mut points = Vec::new();
    for t in tourokus {
        let Some(first) = t.meisai.first() else {
            continue;
        };
        let at = first.registered_at;
        if t.ikkatsu {
            points.extend((0..t.meisai.len()).map(|k| (at + MEISAI * k as u32, true)));
        } else {
            points.extend(t.meisai.iter().map(|m| (m.registered_at, false)));
        }
    }
    points.sort_by_key(|p| p.0);
    points
}

/// The fullest half-open window `[start, start + 15 分)`: (start, count, of which bulk).
fn fullest_window(points: &[(OffsetDateTime, bool)]) -> Option<(OffsetDateTime, usize, usize)> {
    // A fullest window can always start at a point.
    let mut best: Option<(OffsetDateTime, usize, usize)> = None;
    let mut end = 0;
    for (i, (start, _)) in points.iter().enumerate() {
        end = end.max(i);
        while end < points.len() && points[end].0 < *start + WINDOW {
            end += 1;
        }
        let count = end - i;
        if best.is_none_or(|b| count > b.1) {
            let bulk = points[i..end].iter().filter(|p| p.1).count();
            best = Some((*start, count, bulk));
        }
    }
    best
}

async fn pace_kept(world: &mut World, _args: Args) -> StepResult {
    let tourokus = tourokus(world)?;
    let points = load_points(&tourokus);
    let mut problems = Vec::new();
    let mut per_minute: BTreeMap<String, usize> = BTreeMap::new();
    for (at, _) in &points {
        *per_minute
            .entry(rfc3339(at.replace_second(0).unwrap_or(*at)))
            .or_default() += 1;
    }
    world.note(
        "journal",
        format!(
            "中間サーバーに登録された照会 ({} 件、負荷の時刻の分ごと)",
            points.len()
        ),
        per_minute
            .iter()
            .map(|(minute, n)| format!("{minute}: {n} 件"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    if let Some((start, count, bulk)) = fullest_window(&points)
        && count > WINDOW_MAX
    {
        problems.push(format!(
            "{} から {} の前までの 15 分に、照会を {count} 件登録しています (1,000 件まで。単件 {} 件、一括の明細 {bulk} 件)",
            rfc3339(start),
            rfc3339(start + WINDOW),
            count - bulk
        ));
    }
    problems.extend(all_answered(world).await?);
    verdict(problems)
}

async fn overload_handled(world: &mut World, _args: Args) -> StepResult {
    let tourokus = tourokus(world)?;
    // Every overload the system met: (journal seq, time, what it asked).
    let mut overloads: Vec<(u64, OffsetDateTime, String)> = Vec::new();
    // Every time it registered (or tried to) a 照会: (seq, time, what it asked).
    let mut attempts: Vec<(u64, OffsetDateTime, String)> = Vec::new();
    for t in &tourokus {
        if let Some((code, asked)) = &t.refused
            && !asked.is_empty()
        {
            if code == SK40 {
                overloads.push((t.seq, t.at, asked.clone()));
            }
            attempts.push((t.seq, t.at, asked.clone()));
        }
        for m in &t.meisai {
            let asked = key(&m.naiyou);
            if m.error_code.as_deref() == Some(SK40) {
                overloads.push((t.seq, m.registered_at, asked.clone()));
            }
            attempts.push((t.seq, m.registered_at, asked));
        }
    }
    let mut problems = Vec::new();
    let mut again = Vec::new();
    for (seq, at, asked) in &overloads {
        let soon: Vec<&(u64, OffsetDateTime, String)> = attempts
            .iter()
            .filter(|(s, t, a)| s > seq && a == asked && *t < *at + KAFUKA_WAIT)
            .collect();
        if let Some((_, first, _)) = soon.first() {
            again.push(format!(
                "{} に過負荷 (SK40) になった照会を {} に登録し直している (60 分のうちに {} 回)",
                rfc3339(*at),
                rfc3339(*first),
                soon.len()
            ));
        }
    }
    world.note(
        "journal",
        format!(
            "過負荷 (SK40) で断られた・エラーになった照会 ({} 件) と、その照会を次に登録した (しようとした) 時刻",
            overloads.len()
        ),
        overloads
            .iter()
            .map(|(seq, at, asked)| {
                let next = attempts
                    .iter()
                    .find(|(s, _, a)| s > seq && a == asked)
                    .map_or("なし".to_owned(), |(_, t, _)| rfc3339(*t));
                format!("{} → {next}", rfc3339(*at))
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    if !again.is_empty() {
        world.note("journal", "60 分のうちの登録し直し", again.join("\n"));
        problems.push(format!(
            "過負荷 (SK40) になった照会を、60 分たたないうちに登録し直しています ({} 回の過負荷のあと。中間サーバーは 1 時間の照会を数えるので、また過負荷になる)。例: {}",
            again.len(),
            again[0]
        ));
    }
    problems.extend(all_answered(world).await?);
    verdict(problems)
}

async fn tairyou_after_madoguchi(world: &mut World, _args: Args) -> StepResult {
    let tourokus = tourokus(world)?;
    let now = started(world)?.stack.clock.now();
    let hours = ServiceHours::GENKOU;
    let (open, close) = MADOGUCHI;
    let hm = |t: time::Time| format!("{:02}:{:02}", t.hour(), t.minute());
    let wanted: usize = world
        .memo
        .get("ikkatsu_count")
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| StepError::Suite("このシナリオは一括照会を依頼していません".into()))?;
    let mut problems = Vec::new();
    let mut files = Vec::new();
    let mut total = 0;
    // 依頼のうち、まだ一括照会に入っていない (又は SK40・SK41 で照会し直す) 件数。
    let mut pending = wanted;
    for t in tourokus.iter().filter(|t| t.ikkatsu) {
        total += t.meisai.len();
        let Some(first) = t.meisai.first() else {
            continue;
        };
        let at = first.registered_at.to_offset(renkei_fixtures::JST);
        let full = pending.min(FILE_MAX);
        if t.meisai.len() < full {
            problems.push(format!(
                "{} に明細 {} 件の一括照会を登録しています: 依頼の残り {pending} 件は 3,000 件ずつのファイルにまとめる (細かく分けると大量の一括照会が大量でなく見える)",
                rfc3339(at),
                t.meisai.len()
            ));
        }
        let again = t
            .meisai
            .iter()
            .filter(|m| matches!(m.error_code.as_deref(), Some("SK40" | "SK41")))
            .count();
        pending = pending.saturating_sub(t.meisai.len() - again);
        let done: Vec<Option<OffsetDateTime>> = t
            .meisai
            .iter()
            .map(|m| match m.status {
                ShoukaiStatus::Shorimachi => None,
                _ => Some(m.motome_at.or(m.kanryou_at).unwrap_or(m.registered_at)),
            })
            .collect();
        let last = done.iter().flatten().max().copied();
        files.push(format!(
            "{} 受付 {}: 明細 {} 件、最後の明細の処理 {}",
            rfc3339(at),
            first.uketsuke_bango,
            t.meisai.len(),
            last.map_or("—".to_owned(), rfc3339)
        ));
        if t.meisai.len() <= TAIRYOU {
            continue;
        }
        if !is_kyuujitsu(at.date()) && at.time() < close {
            problems.push(format!(
                "明細 {} 件の大量の一括照会を {} に登録しています (窓口業務の日は、窓口の終わり {} のあとに登録する。窓口 {}〜{})",
                t.meisai.len(),
                rfc3339(at),
                hm(close),
                hm(open),
                hm(close)
            ));
        }
        let end = at
            .date()
            .with_time(hours.hours_on(at.date()).1)
            .assume_offset(renkei_fixtures::JST);
        let waiting = done.iter().filter(|d| d.is_none()).count();
        if waiting > 0 && now < end {
            return Err(StepError::Suite(format!(
                "受付 {} の明細 {waiting} 件がまだ処理待ちで、その日のサービス提供時間の終わり ({}) の前です: シナリオの時計をそのあとまで進めてから確かめます",
                first.uketsuke_bango,
                rfc3339(end)
            )));
        }
        if waiting > 0 {
            problems.push(format!(
                "{} に登録した大量の一括照会の明細 {waiting} 件が、その日のサービス提供時間の終わり ({}) までに処理されず、翌日に持ち越されています",
                rfc3339(at),
                rfc3339(end)
            ));
        } else if let Some(last) = last
            && last > end
        {
            problems.push(format!(
                "{} に登録した大量の一括照会の最後の明細の処理は {} で、その日のサービス提供時間の終わり ({}) のあとです (翌日に持ち越し)",
                rfc3339(at),
                rfc3339(last),
                rfc3339(end)
            ));
        }
    }
    world.note("journal", "一括照会の登録と処理", files.join("\n"));
    if total < wanted {
        problems.push(format!(
            "依頼した {wanted} 件のうち、{} までに一括照会として登録されたのは {total} 件です (その日のうちに終えられる一括照会は、その日の窓口の終わりのあとに登録する)",
            rfc3339(now)
        ));
    }
    verdict(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_fullest_window_is_half_open() {
        let nine = datetime!(2026-04-06 09:00 +09:00);
        let mut points: Vec<(OffsetDateTime, bool)> = vec![(nine, false); 1_000];
        points.extend(vec![(nine + WINDOW, false); 200]);
        // 9:15 is not in [9:00, 9:15)
        assert_eq!(fullest_window(&points), Some((nine, 1_000, 0)));
        points.push((nine + WINDOW - Duration::milliseconds(1), false));
        points.sort_by_key(|p| p.0);
        assert_eq!(fullest_window(&points).map(|w| w.1), Some(1_001));
        assert_eq!(fullest_window(&[]), None);
    }

    #[test]
    fn a_bulk_file_is_spread_at_the_bulk_rate() {
        // 3,000 明細 at 0.9 s: every 15 minutes hold exactly 1,000.
        let nine = datetime!(2026-04-06 17:30 +09:00);
        let points: Vec<(OffsetDateTime, bool)> =
            (0..3_000u32).map(|k| (nine + MEISAI * k, true)).collect();
        assert_eq!(fullest_window(&points).map(|w| w.1), Some(1_000));
    }
}
