//! 前提 steps that shape the scenario data, and the clock.

use renkei_fixtures::scenario::{FaultKind, FaultRoute, FaultSpec, Variant};
use time::{Date, Month, OffsetDateTime, Time, Weekday};

use super::{Args, StepDef, StepError, StepResult, step};
use crate::runner::{FaultTarget, World};

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(r"(\S+?)の住民が([\d,]+)人いる", residents),
        step!(r"ぴったりサービスに次の申請がある:?", shinsei_table),
        step!(
            r"現在は (\d{4})年(\d{1,2})月(\d{1,2})日\((.)\) (\d{1,2})時(\d{1,2})分",
            now_is
        ),
        step!(
            r"時計を (\d{4})年(\d{1,2})月(\d{1,2})日\((.)\) (\d{1,2})時(\d{1,2})分 に進める",
            clock_to
        ),
        step!(r"時計が(\d+)(分|時間|日)進む", clock_by),
        step!(
            r"ダウンロード機能が(\d+)件目の申請ZIPを途中で切って送る",
            fault_drop
        ),
        step!(
            r"ダウンロード機能が(\d+)件目の申請ZIPの取得に(\d+)度失敗する",
            fault_download
        ),
        step!(
            r"ダウンロード機能が「(\S+?)」の申請ZIPの取得に(\d+)度失敗する",
            fault_download_variant
        ),
        step!(
            r"住基ネットCS のファイルを固定長形式 \(Shift_JIS\) で受け取る",
            fixed_form
        ),
    ]
}

/// The Japanese words of the suite for each scenario variant (docs/scenario.md "Variants").
pub const VARIANT_WORDS: [(&str, Variant); 13] = [
    ("正常", Variant::Valid),
    ("署名後の改ざん", Variant::Tampered),
    ("添付書類の差し替え", Variant::SwappedAttachment),
    ("失効した証明書", Variant::RevokedCertificate),
    ("期限切れの証明書", Variant::ExpiredCertificate),
    ("紐付けにないシリアル番号", Variant::UnknownSerial),
    ("住基と違う基本4情報", Variant::Kihon4Mismatch),
    ("特定できない申請者", Variant::Unidentifiable),
    ("表記だけ違う基本4情報", Variant::UnidentifiableLookalike),
    ("途中で切れたZIP", Variant::TruncatedZip),
    ("壊れたZIP", Variant::CorruptZip),
    ("2度届く申請", Variant::Duplicate),
    ("外字を含む申請", Variant::EdgeCharacters),
];

pub fn variant_of(word: &str) -> Result<Variant, StepError> {
    VARIANT_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            StepError::Suite(format!(
                "申請の種類「{word}」を知りません (使えるもの: {})",
                VARIANT_WORDS.map(|(w, _)| w).join("、")
            ))
        })
}

async fn residents(world: &mut World, args: Args) -> StepResult {
    let name = args.get(0).to_owned();
    let count = args.number(1)?;
    let dantai = world
        .ctx
        .catalogs
        .dantai
        .iter()
        .find(|d| d.name == name || d.name.ends_with(&name))
        .ok_or_else(|| StepError::Suite(format!("団体「{name}」はカタログにありません")))?
        .code;
    let plan = world.planning()?;
    plan.dantai = dantai;
    plan.residents =
        u32::try_from(count).map_err(|_| StepError::Suite("住民が多すぎます".into()))?;
    Ok(())
}

async fn shinsei_table(world: &mut World, args: Args) -> StepResult {
    let rows = args.rows()?;
    let mut batches = Vec::new();
    for row in rows {
        let mut variant = None;
        let mut count = None;
        let mut procedures = Vec::new();
        for (key, value) in row {
            match key.as_str() {
                "種類" => variant = Some(variant_of(&value)?),
                "件数" => {
                    count = Some(value.parse::<u32>().map_err(|_| {
                        StepError::Suite(format!("件数「{value}」は数ではありません"))
                    })?)
                }
                "手続" => {
                    procedures = value
                        .split(['、', ','])
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                }
                other => {
                    return Err(StepError::Suite(format!(
                        "申請の表の列「{other}」を知りません (種類、件数、手続)"
                    )));
                }
            }
        }
        let variant =
            variant.ok_or_else(|| StepError::Suite("申請の表に「種類」の列がありません".into()))?;
        let count =
            count.ok_or_else(|| StepError::Suite("申請の表に「件数」の列がありません".into()))?;
        batches.push((variant, count, procedures));
    }
    world.planning()?.batches.extend(batches);
    Ok(())
}

/// A JST time written `2026年4月6日(月) 23時30分`, the weekday checked.
fn jst(args: &Args) -> Result<OffsetDateTime, StepError> {
    let year = args.number(0)? as i32;
    let month = Month::try_from(args.number(1)? as u8)
        .map_err(|_| StepError::Suite("月が正しくありません".into()))?;
    let day = args.number(2)? as u8;
    let date = Date::from_calendar_date(year, month, day)
        .map_err(|_| StepError::Suite(format!("{year}年{}月{day}日はありません", month as u8)))?;
    let weekday = match date.weekday() {
        Weekday::Monday => "月",
        Weekday::Tuesday => "火",
        Weekday::Wednesday => "水",
        Weekday::Thursday => "木",
        Weekday::Friday => "金",
        Weekday::Saturday => "土",
        Weekday::Sunday => "日",
    };
    if args.get(3) != weekday {
        return Err(StepError::Suite(format!(
            "{date} は({})ではなく({weekday})です",
            args.get(3)
        )));
    }
    let time = Time::from_hms(args.number(4)? as u8, args.number(5)? as u8, 0)
        .map_err(|_| StepError::Suite("時刻が正しくありません".into()))?;
    Ok(date.with_time(time).assume_offset(renkei_fixtures::JST))
}

async fn now_is(world: &mut World, args: Args) -> StepResult {
    let at = jst(&args)?;
    match &world.live {
        None => world.plan.start = at,
        Some(live) => {
            if at < live.stack.clock.now() {
                return Err(StepError::Suite("時計は戻せません".into()));
            }
            live.stack.clock.set(at);
        }
    }
    Ok(())
}

async fn clock_to(world: &mut World, args: Args) -> StepResult {
    let at = jst(&args)?;
    let live = world.live().await?;
    let now = live.stack.clock.now();
    if at < now {
        return Err(StepError::Suite(format!(
            "時計は戻せません (今は {})",
            crate::runner::rfc3339(now)
        )));
    }
    live.stack.clock.set(at);
    let text = crate::runner::rfc3339(at);
    world.note("note", "時計", text);
    Ok(())
}

async fn clock_by(world: &mut World, args: Args) -> StepResult {
    let n = args.number(0)? as i64;
    let by = match args.get(1) {
        "分" => time::Duration::minutes(n),
        "時間" => time::Duration::hours(n),
        _ => time::Duration::days(n),
    };
    let live = world.live().await?;
    let now = live
        .stack
        .clock
        .advance(by)
        .map_err(|e| StepError::Suite(e.to_string()))?;
    world.note("note", "時計", crate::runner::rfc3339(now));
    Ok(())
}

fn fault(kind: FaultKind, times: u32) -> FaultSpec {
    FaultSpec {
        kind,
        route: FaultRoute::Download,
        uketsuke_bango: None,
        times,
        millis: 0,
    }
}

async fn fault_drop(world: &mut World, args: Args) -> StepResult {
    let nth = args.number(0)? as usize;
    let spec = fault(FaultKind::DropConnection, 1);
    world
        .planning()?
        .faults
        .push((spec, FaultTarget::Nth(nth.saturating_sub(1))));
    Ok(())
}

async fn fault_download(world: &mut World, args: Args) -> StepResult {
    let nth = args.number(0)? as usize;
    let times = args.number(1)? as u32;
    let spec = fault(FaultKind::ServerError, times);
    world
        .planning()?
        .faults
        .push((spec, FaultTarget::Nth(nth.saturating_sub(1))));
    Ok(())
}

async fn fault_download_variant(world: &mut World, args: Args) -> StepResult {
    let variant = variant_of(args.get(0))?;
    let times = args.number(1)? as u32;
    let spec = fault(FaultKind::ServerError, times);
    world
        .planning()?
        .faults
        .push((spec, FaultTarget::Variant(variant)));
    Ok(())
}

async fn fixed_form(world: &mut World, _args: Args) -> StepResult {
    world.planning()?.jukinet_form = "fixed".into();
    Ok(())
}
