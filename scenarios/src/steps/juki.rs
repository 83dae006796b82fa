//! 住基連携: the 既存住基システム's jobs and the serial ↔ 宛名番号 link it keeps (JUK-*).

use std::collections::{BTreeMap, BTreeSet};

use renkei_fixtures::ids::CertSerial;
use renkei_fixtures::population::{CertKind, EdgeCase, RevocationReason};
use renkei_simulator::jukinet::service::NewSerials;
use serde_json::Value;

use super::setup::variant_of;
use super::{Args, StepDef, StepError, StepResult, malformed, started, step, verdict};
use crate::requirements::Role;
use crate::runner::World;

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(r"既存住基システムが証明書情報連携を行う", juki_renkei),
        step!(
            r"既存住基システムは住基ネットCS の有効な証明書をすべて紐付けている",
            all_valid_linked
        ),
        step!(
            r"既存住基システムは紐付けの宛名番号を住民記録のとおりにしている",
            atena_as_master
        ),
        step!(r"住基ネットCS に住民記録にない転入者がいる", tennyu),
        step!(
            r"既存住基システムは住民記録にない転入者の組を未解決として残している",
            tennyu_unresolved
        ),
        step!(
            r"住基ネットCS で住民1人の署名用電子証明書が失効する",
            revoke
        ),
        step!(
            r"住基ネットCS で住民1人に新しい利用者証明用電子証明書が発行される",
            issue_new
        ),
        step!(
            r"既存住基システムは失効したシリアル番号を紐付けていない",
            revoked_unlinked
        ),
        step!(r"住基ネットCS で住民1人の電子証明書が更新される", renew),
        step!(
            r"既存住基システムは更新後のシリアル番号を同じ宛名番号に紐付けている",
            renewed_linked
        ),
        step!(
            r"住基ネットCS に「(\S+?)」の申請の証明書が登録される",
            register_signer
        ),
        step!(
            r"既存住基システムが Shift_JIS で表せない文字のある住民の本人確認情報を取り込む",
            honnin_kakunin
        ),
        step!(
            r"既存住基システムはその住民の氏名と住所を住基ネットCS のとおりに持っている",
            jumin_as_cs
        ),
        step!(r"住民記録に転入者が加わる", tennyu_jumin_toroku),
        step!(
            r"団体内統合宛名システムが(?:もう一度)?符号取得を行う",
            fugou_shutoku
        ),
        step!(
            r"団体内統合宛名システムは転入者の符号を取得済みにしている",
            tennyu_fugou
        ),
        step!(
            r"団体内統合宛名システムはすべての住民の符号を取得済みと知っている",
            all_fugou
        ),
    ]
}

/// One link as the system reports it.
#[derive(Debug, Clone)]
struct Link {
    serial: String,
    juminhyo_code: String,
    atena_bango: Option<String>,
}

struct Himoduke {
    items: Vec<Link>,
    unresolved: Vec<Link>,
}

async fn himoduke(world: &mut World) -> Result<Himoduke, StepError> {
    let body = world
        .observe(Role::KizonJuki, "himoduke", &[])
        .await?
        .ok_or_else(|| malformed("GET /himoduke が 404 で答えました", &Value::Null))?;
    let links = |key: &str, required: bool| -> Result<Vec<Link>, StepError> {
        let Some(items) = body.get(key).and_then(Value::as_array) else {
            return if required {
                Err(malformed(
                    &format!("GET /himoduke の答えに {key} の配列がありません"),
                    &body,
                ))
            } else {
                Ok(Vec::new())
            };
        };
        items
            .iter()
            .map(|i| {
                let s = |k: &str| i.get(k).and_then(Value::as_str).map(str::to_owned);
                let serial =
                    s("serial").ok_or_else(|| malformed("紐付けに serial がありません", i))?;
                // Compared as numbers: leading zeros are the file's padding, not the serial.
                let serial = serial
                    .parse::<u64>()
                    .map(|n| format!("{n:016}"))
                    .map_err(|_| malformed("serial が10進数ではありません", i))?;
                Ok(Link {
                    serial,
                    juminhyo_code: s("juminhyo_code")
                        .ok_or_else(|| malformed("紐付けに juminhyo_code がありません", i))?,
                    atena_bango: s("atena_bango"),
                })
            })
            .collect()
    };
    Ok(Himoduke {
        items: links("items", true)?,
        unresolved: links("unresolved", false)?,
    })
}

/// The 16-digit text the 住基ネットCS files carry for a serial.
fn serial_text(serial: CertSerial) -> String {
    format!("{:016}", serial.value())
}

async fn juki_renkei(world: &mut World, _args: Args) -> StepResult {
    world.job(Role::KizonJuki, "juki_renkei", &[]).await?;
    Ok(())
}

/// Every certificate the CS holds as valid now, with its 住民票コード.
fn valid_now(world: &World) -> Result<Vec<(String, String)>, StepError> {
    let live = started(world)?;
    let today = live.today();
    let mut serials: Vec<CertSerial> = live
        .households()
        .iter()
        .flat_map(|h| &h.members)
        .flat_map(|r| r.certificates.iter().map(|c| c.serial))
        .collect();
    serials.extend(
        world
            .memo
            .get("new_serials")
            .into_iter()
            .flat_map(|s| s.split(','))
            .filter_map(|s| s.parse::<u64>().ok())
            .filter_map(CertSerial::new),
    );
    Ok(serials
        .into_iter()
        .filter_map(|s| live.stack.jukinet.certificate(s))
        .filter(|e| e.row.shikkobi.is_none() && e.row.yuko_kigen >= today)
        .map(|e| (serial_text(e.row.serial), e.row.juminhyo_code.to_string()))
        .collect())
}

async fn all_valid_linked(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let expected = valid_now(world)?;
    let links = himoduke(world).await?;
    let linked: BTreeSet<&str> = links.items.iter().map(|l| l.serial.as_str()).collect();
    let missing: Vec<&(String, String)> = expected
        .iter()
        .filter(|(s, _)| !linked.contains(s.as_str()))
        .collect();
    world.note(
        "note",
        "住基ネットCS の有効な証明書",
        format!(
            "{} 枚、紐付け {} 件、欠け {} 件",
            expected.len(),
            links.items.len(),
            missing.len()
        ),
    );
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "住基ネットCS の有効な証明書 {} 枚のうち {} 枚が紐付けにありません (最初: シリアル番号 {} 住民票コード {})",
            expected.len(),
            missing.len(),
            missing[0].0,
            missing[0].1
        )))
    }
}

async fn atena_as_master(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let links = himoduke(world).await?;
    let live = world.live.as_ref().expect("started");
    let master: BTreeMap<String, String> = live
        .households()
        .iter()
        .flat_map(|h| &h.members)
        .map(|r| (r.juminhyo_code.to_string(), r.atena_bango.to_string()))
        .collect();
    if links.items.is_empty() {
        return Err(StepError::Fail("紐付けが1件もありません".into()));
    }
    let wrong: Vec<String> = links
        .items
        .iter()
        .filter(|l| master.get(&l.juminhyo_code) != l.atena_bango.as_ref())
        .map(|l| {
            format!(
                "シリアル番号 {} (住民票コード {}) → 宛名番号 {} (住民記録では {})",
                l.serial,
                l.juminhyo_code,
                l.atena_bango.as_deref().unwrap_or("null"),
                master
                    .get(&l.juminhyo_code)
                    .map(String::as_str)
                    .unwrap_or("住民記録にない")
            )
        })
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "紐付けの宛名番号が住民記録と違います ({} 件): {}",
            wrong.len(),
            wrong[0]
        )))
    }
}

/// Someone beyond the population moves in: registered at the 住基ネットCS (転入). The same
/// 団体's numbering at a later position, so every number is new to both the CS and the
/// 既存住基's 住民記録.
async fn newcomer(world: &mut World) -> Result<renkei_fixtures::population::Resident, StepError> {
    let plan = world.plan.clone();
    world.live().await?;
    let dantai = world
        .ctx
        .catalogs
        .dantai(&plan.dantai)
        .ok_or_else(|| StepError::Suite("団体がカタログにありません".into()))?;
    let bigger = renkei_fixtures::population::PopulationSpec {
        dantai: plan.dantai,
        size: u64::from(plan.residents) + 40,
        seed: plan.seed + 1,
        as_of: plan.start.to_offset(renkei_fixtures::JST).date(),
    };
    let households = renkei_fixtures::population::generate(&bigger, dantai)
        .map_err(|e| StepError::Suite(e.to_string()))?;
    let newcomer = households
        .iter()
        .flat_map(|h| &h.members)
        .filter(|r| r.index >= u64::from(plan.residents))
        .find(|r| r.certificates.iter().any(|c| c.revoked.is_none()))
        .cloned()
        .ok_or_else(|| StepError::Suite("証明書のある転入者を作れません".into()))?;
    let live = world.live.as_ref().expect("started");
    live.stack
        .jukinet
        .tennyu(plan.dantai, &newcomer)
        .map_err(|e| StepError::Suite(format!("転入を入れられません: {e}")))?;
    world.note(
        "note",
        "転入者",
        format!(
            "住民票コード {} 団体内統合宛名番号 {}",
            newcomer.juminhyo_code, newcomer.tougou_atena_bango
        ),
    );
    Ok(newcomer)
}

async fn tennyu(world: &mut World, _args: Args) -> StepResult {
    let newcomer = newcomer(world).await?;
    world
        .memo
        .insert("tennyu".into(), newcomer.juminhyo_code.to_string());
    Ok(())
}

async fn tennyu_jumin_toroku(world: &mut World, _args: Args) -> StepResult {
    let newcomer = newcomer(world).await?;
    let path = world.dir.join("juki").join("tennyu.csv");
    std::fs::write(
        &path,
        renkei_fixtures::population::residents_csv([&newcomer]),
    )
    .map_err(|e| StepError::Suite(format!("{} を書けません: {e}", path.display())))?;
    world.memo.insert(
        "tennyu_tougou".into(),
        newcomer.tougou_atena_bango.to_string(),
    );
    world
        .job(
            Role::DantaiNaiTogoAtena,
            "jumin_toroku",
            &[("path", Value::String(path.display().to_string()))],
        )
        .await?;
    Ok(())
}

async fn fugou_shutoku(world: &mut World, _args: Args) -> StepResult {
    world
        .job(Role::DantaiNaiTogoAtena, "fugou_shutoku", &[])
        .await?;
    Ok(())
}

async fn tennyu_fugou(world: &mut World, _args: Args) -> StepResult {
    let tougou = world
        .memo
        .get("tennyu_tougou")
        .cloned()
        .ok_or_else(|| StepError::Suite("その前に転入者の手順がありません".into()))?;
    // What the 中間サーバー holds: the truth.
    let held = {
        let live = world.live.as_ref().expect("started");
        let tenant = live
            .stack
            .chukan
            .tenant_of(world.plan.dantai)
            .ok_or_else(|| StepError::Suite("中間サーバーのテナントがありません".into()))?;
        let code = tougou
            .parse()
            .map_err(|_| StepError::Suite(format!("団体内統合宛名番号 {tougou}")))?;
        tenant.fugou.status(code).map(|s| s.label().to_owned())
    };
    world.note(
        "note",
        "中間サーバーでの転入者の符号",
        held.clone().unwrap_or_else(|| "符号取得要求なし".into()),
    );
    if held.as_deref() != Some("符号取得済み") {
        return Err(StepError::Fail(format!(
            "転入者 (団体内統合宛名番号 {tougou}) の符号が中間サーバーで取得済みになっていません ({})。符号がなければこの人の情報照会も情報提供もできません",
            held.as_deref().unwrap_or("符号取得要求が一度もありません")
        )));
    }
    // And the system knows it.
    let body = world
        .observe(Role::DantaiNaiTogoAtena, "fugou", &[])
        .await?
        .ok_or_else(|| malformed("GET /fugou が 404 で答えました", &Value::Null))?;
    let status = body["items"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["tougou_atena_bango"].as_str() == Some(tougou.as_str()))
        })
        .and_then(|i| i["status"].as_str())
        .map(str::to_owned);
    match status.as_deref() {
        Some("符号取得済み") => Ok(()),
        other => Err(StepError::Fail(format!(
            "団体内統合宛名システムは転入者 {tougou} の符号を「{}」としています (中間サーバーでは符号取得済み)",
            other.unwrap_or("知らない住民")
        ))),
    }
}

async fn tennyu_unresolved(world: &mut World, _args: Args) -> StepResult {
    let juminhyo = world
        .memo
        .get("tennyu")
        .cloned()
        .ok_or_else(|| StepError::Suite("その前に転入者の手順がありません".into()))?;
    let links = himoduke(world).await?;
    if let Some(l) = links.items.iter().find(|l| l.juminhyo_code == juminhyo) {
        return Err(StepError::Fail(format!(
            "住民記録にない住民票コード {juminhyo} のシリアル番号 {} を宛名番号 {} に紐付けています",
            l.serial,
            l.atena_bango.as_deref().unwrap_or("null")
        )));
    }
    if links.unresolved.iter().any(|l| l.juminhyo_code == juminhyo) {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "住民記録にない住民票コード {juminhyo} の組が紐付けにも未解決 (unresolved) にもありません (黙って捨てられています)"
        )))
    }
}

/// A resident with a valid 署名用 certificate, chosen the same way every run.
fn resident_with_valid_shomei(world: &World) -> Result<(String, CertSerial, String), StepError> {
    let live = started(world)?;
    let today = live.today();
    live.households()
        .iter()
        .flat_map(|h| &h.members)
        .find_map(|r| {
            r.certificates
                .iter()
                .find(|c| c.kind == CertKind::Shomei && c.revoked.is_none() && c.expires >= today)
                .map(|c| {
                    (
                        r.juminhyo_code.to_string(),
                        c.serial,
                        r.atena_bango.to_string(),
                    )
                })
        })
        .ok_or_else(|| StepError::Suite("有効な署名用電子証明書を持つ住民がいません".into()))
}

async fn revoke(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let (juminhyo, serial, _) = resident_with_valid_shomei(world)?;
    let live = world.live.as_ref().expect("started");
    let today = live.today();
    live.stack
        .jukinet
        .revoke(serial, today, RevocationReason::JushoHenkou)
        .map_err(|e| StepError::Suite(format!("失効を入れられません: {e}")))?;
    world.memo.insert("revoked".into(), serial_text(serial));
    world.note(
        "note",
        "失効",
        format!("住民票コード {juminhyo} の署名用 {}", serial_text(serial)),
    );
    Ok(())
}

async fn issue_new(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let (juminhyo, _, _) = resident_with_valid_shomei(world)?;
    let issued = world
        .memo
        .get("issued")
        .map(|s| s.split(',').count())
        .unwrap_or(0) as u64;
    // A range the population never uses (docs/identifiers.md), one serial per issue.
    let serial = CertSerial::new(9_980_000_000_000_101 + issued).expect("a valid serial");
    let live = world.live.as_ref().expect("started");
    let today = live.today();
    let code = juminhyo
        .parse()
        .map_err(|_| StepError::Suite(format!("住民票コード {juminhyo} を読めません")))?;
    let kigen = today
        .replace_year(today.year() + 5)
        .map_err(|e| StepError::Suite(e.to_string()))?;
    live.stack
        .jukinet
        .register_certificate(code, CertKind::RiyoshaShomei, serial, today, kigen)
        .map_err(|e| StepError::Suite(format!("証明書を発行できません: {e}")))?;
    let mut all: Vec<String> = world
        .memo
        .get("new_serials")
        .map(|s| vec![s.clone()])
        .unwrap_or_default();
    all.push(serial.value().to_string());
    world.memo.insert("new_serials".into(), all.join(","));
    let mut issued_list: Vec<String> = world
        .memo
        .get("issued")
        .map(|s| vec![s.clone()])
        .unwrap_or_default();
    issued_list.push(serial.value().to_string());
    world.memo.insert("issued".into(), issued_list.join(","));
    world.note(
        "note",
        "新しい証明書",
        format!(
            "住民票コード {juminhyo} の利用者証明用 {}",
            serial_text(serial)
        ),
    );
    Ok(())
}

async fn revoked_unlinked(world: &mut World, _args: Args) -> StepResult {
    let serial = world
        .memo
        .get("revoked")
        .cloned()
        .ok_or_else(|| StepError::Suite("その前に失効の手順がありません".into()))?;
    let links = himoduke(world).await?;
    match links.items.iter().find(|l| l.serial == serial) {
        None => Ok(()),
        Some(l) => Err(StepError::Fail(format!(
            "失効したシリアル番号 {serial} がまだ宛名番号 {} に紐付いています (この番号で申請者が特定されてしまいます)",
            l.atena_bango.as_deref().unwrap_or("null")
        ))),
    }
}

async fn renew(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let (juminhyo, _, atena) = resident_with_valid_shomei(world)?;
    let live = world.live.as_ref().expect("started");
    let today = live.today();
    // New serials in a range the population never uses (docs/identifiers.md: 998…).
    let riyosha = CertSerial::new(9_980_000_000_000_001).expect("a valid serial");
    let shomei = CertSerial::new(9_980_000_000_000_002).expect("a valid serial");
    let code = juminhyo
        .parse()
        .map_err(|_| StepError::Suite(format!("住民票コード {juminhyo} を読めません")))?;
    live.stack
        .jukinet
        .renew(
            code,
            today,
            NewSerials {
                riyosha_shomei: riyosha,
                shomei: Some(shomei),
            },
        )
        .map_err(|e| StepError::Suite(format!("更新を入れられません: {e}")))?;
    world.memo.insert(
        "new_serials".into(),
        format!("{},{}", riyosha.value(), shomei.value()),
    );
    world.memo.insert("renewed_atena".into(), atena.clone());
    world.note(
        "note",
        "証明書の更新",
        format!(
            "住民票コード {juminhyo} (宛名番号 {atena}): 新しいシリアル番号 {} {}",
            serial_text(riyosha),
            serial_text(shomei)
        ),
    );
    Ok(())
}

async fn renewed_linked(world: &mut World, _args: Args) -> StepResult {
    let serials: Vec<String> = world
        .memo
        .get("new_serials")
        .ok_or_else(|| StepError::Suite("その前に更新の手順がありません".into()))?
        .split(',')
        .filter_map(|s| s.parse::<u64>().ok())
        .map(|n| format!("{n:016}"))
        .collect();
    let atena = world.memo.get("renewed_atena").cloned().unwrap_or_default();
    let links = himoduke(world).await?;
    let mut problems = Vec::new();
    for serial in &serials {
        match links.items.iter().find(|l| &l.serial == serial) {
            None => problems.push(format!(
                "更新後のシリアル番号 {serial} が紐付けにありません"
            )),
            Some(l) if l.atena_bango.as_deref() != Some(atena.as_str()) => problems.push(format!(
                "更新後のシリアル番号 {serial} が宛名番号 {} に紐付いています ({atena} のはず)",
                l.atena_bango.as_deref().unwrap_or("null")
            )),
            Some(_) => {}
        }
    }
    verdict(problems)
}

async fn register_signer(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let variant = variant_of(args.get(0))?;
    let live = world.live.as_ref().expect("started");
    let targets = live.of_variant(variant);
    if targets.is_empty() {
        return Err(StepError::Suite(format!(
            "「{}」の申請がシナリオにありません",
            args.get(0)
        )));
    }
    let mut registered = Vec::new();
    for u in targets {
        let a = live.application(&u);
        let resident = live.resident(a.applicant);
        live.stack
            .jukinet
            .register_certificate(
                resident.juminhyo_code,
                CertKind::Shomei,
                a.signer.serial,
                a.signer.not_before,
                a.signer.not_after,
            )
            .map_err(|e| StepError::Suite(format!("証明書を登録できません: {e}")))?;
        registered.push(a.signer.serial.value().to_string());
    }
    world.note(
        "note",
        "住基ネットCS に登録した証明書",
        registered.join("\n"),
    );
    let mut all: Vec<String> = world
        .memo
        .get("new_serials")
        .map(|s| vec![s.clone()])
        .unwrap_or_default();
    all.extend(registered);
    world.memo.insert("new_serials".into(), all.join(","));
    Ok(())
}

/// Residents whose 氏名 or 住所 holds characters Shift_JIS cannot carry.
fn gaiji_residents(world: &World) -> Result<Vec<String>, StepError> {
    let live = started(world)?;
    let chosen: Vec<String> = live
        .households()
        .iter()
        .flat_map(|h| &h.members)
        .filter(|r| {
            r.edge_cases.iter().any(|e| {
                matches!(
                    e,
                    EdgeCase::OutsideBmp | EdgeCase::NotInJisX0208 | EdgeCase::PuaGaiji
                )
            })
        })
        .map(|r| r.juminhyo_code.to_string())
        .collect();
    if chosen.is_empty() {
        return Err(StepError::Suite(
            "Shift_JIS で表せない文字のある住民がいません (住民を増やしてください)".into(),
        ));
    }
    Ok(chosen)
}

async fn honnin_kakunin(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let codes = gaiji_residents(world)?;
    world.memo.insert("gaiji".into(), codes.join(","));
    world
        .job(
            Role::KizonJuki,
            "honnin_kakunin",
            &[(
                "juminhyo_codes",
                Value::Array(codes.into_iter().map(Value::String).collect()),
            )],
        )
        .await?;
    Ok(())
}

async fn jumin_as_cs(world: &mut World, _args: Args) -> StepResult {
    let codes: Vec<String> = world
        .memo
        .get("gaiji")
        .ok_or_else(|| StepError::Suite("その前に本人確認情報の取込の手順がありません".into()))?
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut problems = Vec::new();
    for code in &codes {
        let (dantai, want) = {
            let live = world.live.as_ref().expect("started");
            let dantai = live.expanded.populations[0].0;
            let parsed = code
                .parse()
                .map_err(|_| StepError::Suite("住民票コード".into()))?;
            let want = live
                .stack
                .jukinet
                .honin_kakunin(dantai, parsed)
                .map_err(|e| StepError::Suite(e.to_string()))?;
            (dantai, want)
        };
        let _ = dantai;
        let Some(body) = world
            .observe(Role::KizonJuki, "jumin", &[("juminhyo_code", code.clone())])
            .await?
        else {
            problems.push(format!("住民票コード {code} の住民を持っていません (404)"));
            continue;
        };
        for (key, expected) in [("shimei", &want.shimei), ("jusho", &want.jusho)] {
            let seen = body.get(key).and_then(Value::as_str).unwrap_or("(なし)");
            if seen != expected {
                let at = expected
                    .chars()
                    .zip(seen.chars())
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| format!("U+{:04X} {a} が U+{:04X} {b}", a as u32, b as u32))
                    .unwrap_or_else(|| "長さが違います".into());
                problems.push(format!(
                    "{code} の {key}: 「{expected}」を「{seen}」として持っています ({at})"
                ));
            }
        }
    }
    verdict(problems)
}

/// Every resident's 符号 issued at the 中間サーバー, and the system knowing it (KIK-01b: the test
/// 符号 of a 機関間テスト take business days to be issued, and must be asked after).
async fn all_fugou(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let mut problems = Vec::new();
    let residents: Vec<String> = {
        let live = world.live.as_ref().expect("started");
        live.households()
            .iter()
            .flat_map(|h| &h.members)
            .map(|r| r.tougou_atena_bango.to_string())
            .collect()
    };
    let issued = {
        let live = world.live.as_ref().expect("started");
        live.stack
            .chukan
            .catch_up()
            .map_err(|e| StepError::Suite(format!("中間サーバー: {e}")))?;
        let tenant = live
            .stack
            .chukan
            .tenant_of(world.plan.dantai)
            .ok_or_else(|| StepError::Suite("中間サーバーのテナントがありません".into()))?;
        residents
            .iter()
            .filter(|t| {
                t.parse()
                    .ok()
                    .and_then(|code| tenant.fugou.status(code))
                    .is_some_and(|s| s.label() == "符号取得済み")
            })
            .count()
    };
    if issued < residents.len() {
        problems.push(format!(
            "中間サーバーで符号取得済みの住民は {} 人中 {issued} 人です",
            residents.len()
        ));
    }
    let body = world
        .observe(Role::DantaiNaiTogoAtena, "fugou", &[])
        .await?
        .ok_or_else(|| malformed("GET /fugou が 404 で答えました", &Value::Null))?;
    let items = body["items"]
        .as_array()
        .ok_or_else(|| malformed("/fugou の items", &body))?;
    let known: BTreeSet<&str> = items
        .iter()
        .filter(|i| i["status"].as_str() == Some("符号取得済み"))
        .filter_map(|i| i["tougou_atena_bango"].as_str())
        .collect();
    let unknown = residents
        .iter()
        .filter(|t| !known.contains(t.as_str()))
        .count();
    if unknown > 0 {
        problems.push(format!(
            "/fugou で符号取得済みでない住民が {unknown} 人います (発行されたあとで IF_FGU_10112_R01 で状況を確かめていない)"
        ));
    }
    verdict(problems)
}
