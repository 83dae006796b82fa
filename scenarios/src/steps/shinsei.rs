//! 申請取込: the 申請管理システム's jobs and what it must have done (ING-*).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use renkei_fixtures::catalog::FieldType;
use renkei_fixtures::ids::UketsukeBango;
use renkei_fixtures::scenario::{Application, Variant};
use renkei_simulator::journal::{Exchange, Query, System};
use renkei_simulator::pittari::state::ShutokuJotai;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::setup::variant_of;
use super::{Args, StepDef, StepError, StepResult, malformed, started, step, verdict};
use crate::requirements::Role;
use crate::runner::World;

pub fn steps() -> Vec<StepDef> {
    vec![
        step!(r"申請管理システムが(?:もう一度)?取込を行う", torikomi),
        step!(
            r"ダウンロード機能への要求はすべて連携サーバを経由している",
            all_via_proxy
        ),
        step!(r"未取得の申請は残っていない", none_left),
        step!(
            r"申請管理システムは届いた申請をすべて保管している",
            all_stored
        ),
        step!(
            r"申請管理システムは「(\S+?)」の申請をすべて保管している",
            variant_stored
        ),
        step!(
            r"取得済みの申請はすべて申請管理システムに保管されている",
            taken_are_stored
        ),
        step!(
            r"取得済みにする前にその申請ZIPを最後まで受け取っている",
            downloaded_before_shutoku
        ),
        step!(
            r"申請管理システムは受付番号ごとに1件だけ保管している",
            stored_once
        ),
        step!(
            r"同じ申請について同じ通知は1度だけ上がっている",
            notified_once
        ),
        step!(
            r"申請管理システムは各申請のZIPのファイルをすべて同じ内容で保管している",
            files_kept
        ),
        step!(
            r"申請管理システムは「(\S+?)」の申請の検証結果を「(\S+?)」とし、(通常|警告|エラー)「(\S+?)」を上げている",
            verified_as
        ),
        step!(
            r"申請管理システムは「(\S+?)」の申請ごとに(通常|警告|エラー)「(\S+?)」を上げている",
            notified_per_variant
        ),
        step!(
            r"「(\S+?)」の申請は取得済みになっていない",
            variant_not_taken
        ),
        step!(
            r"申請管理システムは「障害発生」を上げていない",
            no_failure_notice
        ),
        step!(
            r"一覧で「(\S+?)」の申請のあとに「(\S+?)」の申請がある",
            order_precondition
        ),
        step!(
            r"申請管理システムは「(\S+?)」の申請の申請者を「(シリアル番号|基本4情報|未特定)」で特定している",
            identified_as
        ),
        step!(
            r"申請管理システムは「(\S+?)」の申請の申請者を住民のとおりに特定している",
            identified_as_resident
        ),
        step!(
            r"職員「(\w+)」が(\d+)件目の申請を「(審査中|審査完了|却下)」にする",
            shinsa
        ),
        step!(r"職員「(\w+)」がすべての申請を審査完了にする", shinsa_all),
        step!(r"その操作は断られている", refused),
        step!(r"その操作は受け付けられている", accepted),
        step!(
            r"(\d+)件目の申請の審査ステータスは「(\S+?)」である",
            shinsa_status_is
        ),
        step!(
            r"ダウンロード機能での(\d+)件目の申請の処理状況は「(\S+?)」である",
            shori_jokyo_is
        ),
        step!(
            r"一括取込で「(\S+?)」の更新結果リストにある申請は (.+) である",
            ikkatsu_koushin_is
        ),
        step!(
            r"一括取込で「(\S+?)」の更新結果リストには「(\S+?)」の申請だけがすべて載っている",
            ikkatsu_category
        ),
        step!(
            r"一括取込で「(\S+?)」のエラーリストに(\d+)件目の申請が「(\S+?)」で載っている",
            ikkatsu_error
        ),
        step!(
            r"一括取込で「(\S+?)」のエラーリストは空である",
            ikkatsu_no_errors
        ),
        step!(
            r"一括取込で「(\S+?)」に渡る申請者の番号はその業務システムの番号である",
            ikkatsu_key
        ),
        step!(
            r"申請管理システムで申請を(申請日付の範囲|カテゴリ|手続|受付番号|氏名カナ|検証結果)で検索すると、該当する申請だけが見つかる",
            search
        ),
        step!(
            r"申請管理システムは「(\S+?)」の申請の文字を受け取ったとおりに保っている",
            characters_kept
        ),
        step!(
            r"「(\S+?)」の申請に半角カナか全角チルダがある",
            edge_precondition
        ),
        step!(
            r"職員「(\w+)」が見られる申請は割り当てられた手続のものだけである",
            assignment
        ),
    ]
}

// ---- reading what the system holds -------------------------------------------------------------

/// A 申請 as the system reports it (docs/sut-adapter.md "GET /shinsei").
#[derive(Debug, Clone)]
pub struct Held {
    pub uketsuke_bango: String,
    pub raw: Value,
}

impl Held {
    fn str(&self, key: &str) -> Option<&str> {
        self.raw.get(key).and_then(Value::as_str)
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(300).collect()
}

/// `GET /shinsei` with a query.
pub async fn held(world: &mut World, query: &[(&str, String)]) -> Result<Vec<Held>, StepError> {
    let body = world
        .observe(Role::ShinseiKanri, "shinsei", query)
        .await?
        .ok_or_else(|| malformed("GET /shinsei が 404 で答えました", &Value::Null))?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("GET /shinsei の答えに items の配列がありません", &body))?;
    items
        .iter()
        .map(|item| {
            let uketsuke = item
                .get("uketsuke_bango")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("申請に uketsuke_bango がありません", item))?;
            Ok(Held {
                uketsuke_bango: uketsuke.to_owned(),
                raw: item.clone(),
            })
        })
        .collect()
}

/// A notification (docs/sut-adapter.md "GET /tsuchi").
#[derive(Debug, Clone)]
pub struct Notice {
    pub level: String,
    pub title: String,
    pub uketsuke_bango: Option<String>,
}

pub async fn notices(world: &mut World) -> Result<Vec<Notice>, StepError> {
    let body = world
        .observe(Role::ShinseiKanri, "tsuchi", &[])
        .await?
        .ok_or_else(|| malformed("GET /tsuchi が 404 で答えました", &Value::Null))?;
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("GET /tsuchi の答えに items の配列がありません", &body))?;
    items
        .iter()
        .map(|item| {
            let field = |k: &str| {
                item.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| malformed(&format!("通知に {k} がありません"), item))
            };
            Ok(Notice {
                level: field("level")?,
                title: field("title")?,
                uketsuke_bango: item
                    .get("uketsuke_bango")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect()
}

/// The 申請 of a variant; a precondition that there is at least one.
fn of_variant(world: &World, word: &str) -> Result<Vec<UketsukeBango>, StepError> {
    let variant = variant_of(word)?;
    let found = started(world)?.of_variant(variant);
    if found.is_empty() {
        return Err(StepError::Suite(format!(
            "「{word}」の申請がシナリオにありません"
        )));
    }
    Ok(found)
}

fn nth(world: &World, n: u64) -> Result<UketsukeBango, StepError> {
    let live = started(world)?;
    live.order
        .get((n as usize).wrapping_sub(1))
        .copied()
        .ok_or_else(|| {
            StepError::Suite(format!(
                "{n}件目の申請はありません ({} 件)",
                live.order.len()
            ))
        })
}

/// Whether the variant's ZIP can be read at all.
fn broken(variant: Variant) -> bool {
    matches!(variant, Variant::TruncatedZip | Variant::CorruptZip)
}

/// The 検証結果 a conforming system records for a variant (docs/shinsei-zip.md "検証結果").
pub fn expected_kensho(variant: Variant) -> Option<&'static str> {
    match variant {
        Variant::Tampered | Variant::SwappedAttachment => Some("改ざん検知"),
        Variant::RevokedCertificate => Some("証明書失効"),
        Variant::ExpiredCertificate => Some("証明書期限切れ"),
        Variant::TruncatedZip | Variant::CorruptZip => None,
        _ => Some("検証済み"),
    }
}

fn pittari_journal(world: &World) -> Result<Vec<Exchange>, StepError> {
    Ok(started(world)?
        .stack
        .journal
        .query(&Query {
            system: Some(System::Pittari),
            ..Query::default()
        })
        .exchanges)
}

fn list_of(items: &[UketsukeBango]) -> String {
    if items.is_empty() {
        return "なし".into();
    }
    items
        .iter()
        .map(|u| u.to_string())
        .collect::<Vec<_>>()
        .join("、")
}

// ---- jobs ---------------------------------------------------------------------------------------

async fn torikomi(world: &mut World, _args: Args) -> StepResult {
    world.job(Role::ShinseiKanri, "torikomi", &[]).await?;
    Ok(())
}

async fn shinsa(world: &mut World, args: Args) -> StepResult {
    let shokuin = args.get(0).to_owned();
    world.live().await?;
    let uketsuke = nth(world, args.number(1)?)?;
    let status = args.get(2).to_owned();
    world
        .job(
            Role::ShinseiKanri,
            "shinsa",
            &[
                ("uketsuke_bango", Value::String(uketsuke.to_string())),
                ("shinsa_status", Value::String(status)),
                ("shokuin", Value::String(shokuin)),
            ],
        )
        .await?;
    Ok(())
}

async fn shinsa_all(world: &mut World, args: Args) -> StepResult {
    let shokuin = args.get(0).to_owned();
    let stored = held(world, &[]).await?;
    for h in stored {
        for status in ["審査中", "審査完了"] {
            let outcome = world
                .job(
                    Role::ShinseiKanri,
                    "shinsa",
                    &[
                        ("uketsuke_bango", Value::String(h.uketsuke_bango.clone())),
                        ("shinsa_status", Value::String(status.into())),
                        ("shokuin", Value::String(shokuin.clone())),
                    ],
                )
                .await?;
            if let crate::sut::client::JobOutcome::Refused { detail } = outcome {
                return Err(StepError::Fail(format!(
                    "職員「{shokuin}」が {} を{status}にする操作を断られました: {detail}",
                    h.uketsuke_bango
                )));
            }
        }
    }
    Ok(())
}

async fn refused(world: &mut World, _args: Args) -> StepResult {
    match &world.last_job {
        Some(crate::sut::client::JobOutcome::Refused { .. }) => Ok(()),
        Some(crate::sut::client::JobOutcome::Done { detail }) => Err(StepError::Fail(format!(
            "許されない操作が受け付けられました (断るべきです): {detail}"
        ))),
        None => Err(StepError::Suite("その前に操作の手順がありません".into())),
    }
}

async fn accepted(world: &mut World, _args: Args) -> StepResult {
    match &world.last_job {
        Some(crate::sut::client::JobOutcome::Done { .. }) => Ok(()),
        Some(crate::sut::client::JobOutcome::Refused { detail }) => Err(StepError::Fail(format!(
            "許される操作が断られました: {detail}"
        ))),
        None => Err(StepError::Suite("その前に操作の手順がありません".into())),
    }
}

// ---- ING-01 ---------------------------------------------------------------------------------------

async fn all_via_proxy(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let exchanges = pittari_journal(world)?;
    if exchanges.is_empty() {
        return Err(StepError::Fail(
            "ダウンロード機能への要求が1件もありません".into(),
        ));
    }
    let direct: Vec<&Exchange> = exchanges
        .iter()
        .filter(|e| e.caller.proxy_hop.is_none())
        .collect();
    world.note(
        "journal",
        "ダウンロード機能の記録",
        format!(
            "{} 件、うち連携サーバを経由しないもの {} 件",
            exchanges.len(),
            direct.len()
        ),
    );
    if direct.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = direct
        .iter()
        .take(10)
        .map(|e| {
            format!(
                "#{} {} {} → {} (接続元 {})",
                e.seq,
                e.method,
                e.route,
                e.status,
                e.caller.peer.as_deref().unwrap_or("?")
            )
        })
        .collect();
    world.note("journal", "連携サーバを経由しない要求", lines.join("\n"));
    Err(StepError::Fail(format!(
        "ダウンロード機能へ連携サーバを経由せずに {} 件の要求がありました (最初: {})",
        direct.len(),
        lines[0]
    )))
}

// ---- 取込 and 保管 -----------------------------------------------------------------------------------

async fn none_left(world: &mut World, _args: Args) -> StepResult {
    let live = world.live().await?;
    let left: Vec<UketsukeBango> = live
        .stack
        .pittari
        .applications()
        .into_iter()
        .filter(|(_, _, shutoku, _)| *shutoku == ShutokuJotai::Mishutoku)
        .map(|(u, ..)| u)
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "未取得のまま残っている申請が {} 件あります: {}",
            left.len(),
            list_of(&left)
        )))
    }
}

async fn stored_set(world: &mut World) -> Result<BTreeSet<String>, StepError> {
    Ok(held(world, &[])
        .await?
        .into_iter()
        .map(|h| h.uketsuke_bango)
        .collect())
}

async fn all_stored(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let stored = stored_set(world).await?;
    let live = started(world)?;
    let missing: Vec<UketsukeBango> = live
        .order
        .iter()
        .filter(|u| !broken(live.application(u).variant))
        .filter(|u| !stored.contains(&u.to_string()))
        .copied()
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "届いた申請 {} 件のうち {} 件を保管していません: {}",
            live.order.len(),
            missing.len(),
            list_of(&missing)
        )))
    }
}

async fn variant_stored(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let wanted = of_variant(world, args.get(0))?;
    let stored = stored_set(world).await?;
    let missing: Vec<UketsukeBango> = wanted
        .into_iter()
        .filter(|u| !stored.contains(&u.to_string()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "「{}」の申請 {} 件を保管していません: {}",
            args.get(0),
            missing.len(),
            list_of(&missing)
        )))
    }
}

/// Every entry of a delivered ZIP: path → (size, SHA-256 hex).
fn zip_entries(bytes: &[u8]) -> Result<BTreeMap<String, (u64, String)>, String> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|e| e.to_string())?;
        let name = file.name().map_err(|e| e.to_string())?.to_string();
        let mut content = Vec::new();
        file.read_to_end(&mut content).map_err(|e| e.to_string())?;
        out.insert(name, (content.len() as u64, hex(&Sha256::digest(&content))));
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the system says it stored of one 申請: path → (size, sha256).
fn held_files(h: &Held) -> Result<BTreeMap<String, (u64, String)>, StepError> {
    let files = h
        .raw
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            malformed(
                &format!("申請 {} に files の配列がありません", h.uketsuke_bango),
                &h.raw,
            )
        })?;
    files
        .iter()
        .map(|f| {
            let path = f.get("path").and_then(Value::as_str);
            let size = f.get("size").and_then(Value::as_u64);
            let sha = f.get("sha256").and_then(Value::as_str);
            match (path, size, sha) {
                (Some(p), Some(s), Some(h)) => Ok((p.to_owned(), (s, h.to_ascii_lowercase()))),
                _ => Err(malformed(
                    "files の要素に path・size・sha256 がそろっていません",
                    f,
                )),
            }
        })
        .collect()
}

/// Compares what was stored with what was delivered; a list of differences.
fn compare_files(world: &World, h: &Held) -> Result<Vec<String>, StepError> {
    let uketsuke: UketsukeBango = h
        .uketsuke_bango
        .parse()
        .map_err(|_| malformed("受付番号が15桁の数字ではありません", &h.raw))?;
    let (_, zip) = started(world)?
        .stack
        .pittari
        .delivered(&uketsuke)
        .ok_or_else(|| {
            StepError::Fail(format!(
                "{uketsuke} はダウンロード機能が届けた申請ではありません"
            ))
        })?;
    let sent = zip_entries(&zip)
        .map_err(|e| StepError::Suite(format!("{uketsuke} の申請ZIPを読めません: {e}")))?;
    let kept = held_files(h)?;
    let mut problems = Vec::new();
    for (path, (size, sha)) in &sent {
        match kept.get(path) {
            None => problems.push(format!("{uketsuke}: {path} を保管していません")),
            Some((s, h)) if s != size || h != sha => problems.push(format!(
                "{uketsuke}: {path} の内容が違います (届いたもの {size} バイト {}…、保管 {s} バイト {}…)",
                &sha[..12],
                &h[..h.len().min(12)]
            )),
            Some(_) => {}
        }
    }
    for path in kept.keys() {
        if !sent.contains_key(path) {
            problems.push(format!("{uketsuke}: 申請ZIPにない {path} を保管しています"));
        }
    }
    Ok(problems)
}

async fn taken_are_stored(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let stored = stored_set(world).await?;
    let live = started(world)?;
    let lost: Vec<UketsukeBango> = live
        .stack
        .pittari
        .applications()
        .into_iter()
        .filter(|(_, _, shutoku, _)| *shutoku == ShutokuJotai::Shutokuzumi)
        .map(|(u, ..)| u)
        .filter(|u| !stored.contains(&u.to_string()))
        .collect();
    if lost.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "取得済みにしたのに保管していない申請が {} 件あります (二度と届かず失われます): {}",
            lost.len(),
            list_of(&lost)
        )))
    }
}

async fn downloaded_before_shutoku(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let exchanges = pittari_journal(world)?;
    let live = started(world)?;
    let mut problems = Vec::new();
    for e in exchanges
        .iter()
        .filter(|e| e.method == "POST" && e.route.ends_with("/shutoku") && e.status < 300)
    {
        let Some(u) = e
            .route
            .strip_prefix("/pittari/v1/shinsei/")
            .and_then(|r| r.strip_suffix("/shutoku"))
        else {
            continue;
        };
        let Ok(uketsuke) = u.parse::<UketsukeBango>() else {
            continue;
        };
        let Some((_, zip)) = live.stack.pittari.delivered(&uketsuke) else {
            continue;
        };
        let download = format!("/pittari/v1/shinsei/{u}");
        let complete = exchanges.iter().any(|d| {
            d.seq < e.seq
                && d.method == "GET"
                && d.route == download
                && d.status == 200
                && d.response_body.length == zip.len()
        });
        if !complete {
            problems.push(format!(
                "{u} (取得済み登録 #{}): それより前に申請ZIPを最後まで受け取っていません",
                e.seq
            ));
        }
    }
    verdict(problems)
}

async fn stored_once(world: &mut World, _args: Args) -> StepResult {
    let stored = held(world, &[]).await?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for h in &stored {
        *counts.entry(h.uketsuke_bango.as_str()).or_default() += 1;
    }
    let twice: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(u, n)| format!("{u} が {n} 件"))
        .collect();
    if twice.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "同じ申請を2件以上保管しています: {}",
            twice.join("、")
        )))
    }
}

async fn notified_once(world: &mut World, _args: Args) -> StepResult {
    let all = notices(world).await?;
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for n in all.iter().filter(|n| n.uketsuke_bango.is_some()) {
        *counts
            .entry((
                n.uketsuke_bango.clone().unwrap_or_default(),
                n.title.clone(),
            ))
            .or_default() += 1;
    }
    let twice: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|((u, t), n)| format!("{u} の「{t}」が {n} 回"))
        .collect();
    if twice.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "同じ通知を2度以上上げています: {}",
            twice.join("、")
        )))
    }
}

async fn files_kept(world: &mut World, _args: Args) -> StepResult {
    world.live().await?;
    let with_attachments = started(world)?
        .expanded
        .applications
        .iter()
        .any(|a| !a.attachments.is_empty() && !broken(a.variant));
    if !with_attachments {
        return Err(StepError::Suite(
            "添付書類のある申請がシナリオにありません (件数を増やしてください)".into(),
        ));
    }
    let stored = held(world, &[]).await?;
    if stored.is_empty() {
        return Err(StepError::Fail("申請を1件も保管していません".into()));
    }
    let mut problems = Vec::new();
    for h in &stored {
        problems.extend(compare_files(world, h)?);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "保管したファイルが申請ZIPと合いません ({} 件): {}",
            problems.len(),
            problems.join(" / ")
        )))
    }
}

// ---- 署名検証 and 通知 -------------------------------------------------------------------------------

async fn verified_as(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let targets = of_variant(world, args.get(0))?;
    let (kekka, level, title) = (
        args.get(1).to_owned(),
        args.get(2).to_owned(),
        args.get(3).to_owned(),
    );
    let stored = held(world, &[]).await?;
    let all = notices(world).await?;
    let mut problems = Vec::new();
    for u in &targets {
        let key = u.to_string();
        match stored.iter().find(|h| h.uketsuke_bango == key) {
            None => problems.push(format!("{u} を保管していません")),
            Some(h) => {
                let seen = h.str("kensho_kekka").unwrap_or("(なし)");
                if seen != kekka {
                    problems.push(format!(
                        "{u} の検証結果が「{seen}」です (「{kekka}」のはず)"
                    ));
                }
            }
        }
        let raised = all.iter().any(|n| {
            n.uketsuke_bango.as_deref() == Some(key.as_str())
                && n.level == level
                && n.title == title
        });
        if !raised {
            let got: Vec<String> = all
                .iter()
                .filter(|n| n.uketsuke_bango.as_deref() == Some(key.as_str()))
                .map(|n| format!("{}「{}」", n.level, n.title))
                .collect();
            problems.push(format!(
                "{u} について{level}「{title}」がありません (上がった通知: {})",
                if got.is_empty() {
                    "なし".into()
                } else {
                    got.join("、")
                }
            ));
        }
    }
    verdict(problems)
}

async fn notified_per_variant(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let targets = of_variant(world, args.get(0))?;
    let (level, title) = (args.get(1).to_owned(), args.get(2).to_owned());
    let all = notices(world).await?;
    let missing: Vec<UketsukeBango> = targets
        .into_iter()
        .filter(|u| {
            !all.iter().any(|n| {
                n.uketsuke_bango.as_deref() == Some(u.to_string().as_str())
                    && n.level == level
                    && n.title == title
            })
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "{level}「{title}」が上がっていない申請があります: {}",
            list_of(&missing)
        )))
    }
}

async fn variant_not_taken(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let targets = of_variant(world, args.get(0))?;
    let live = started(world)?;
    let taken: Vec<UketsukeBango> = targets
        .into_iter()
        .filter(|u| {
            matches!(
                live.stack.pittari.status_of(u),
                Some((ShutokuJotai::Shutokuzumi, _))
            )
        })
        .collect();
    if taken.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "取り込めなかったはずの申請が取得済みになっています (二度と届きません): {}",
            list_of(&taken)
        )))
    }
}

async fn no_failure_notice(world: &mut World, _args: Args) -> StepResult {
    let all = notices(world).await?;
    let raised: Vec<String> = all
        .iter()
        .filter(|n| n.title == "障害発生")
        .map(|n| {
            format!(
                "{}「{}」{}",
                n.level,
                n.title,
                n.uketsuke_bango.as_deref().unwrap_or("")
            )
        })
        .collect();
    if raised.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "障害ではないのに「障害発生」を上げています: {}",
            raised.join("、")
        )))
    }
}

async fn order_precondition(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let first = variant_of(args.get(0))?;
    let then = variant_of(args.get(1))?;
    let live = started(world)?;
    let position = |v: Variant| {
        live.order
            .iter()
            .position(|u| live.application(u).variant == v)
    };
    let last_then = live
        .order
        .iter()
        .rposition(|u| live.application(u).variant == then);
    match (position(first), last_then) {
        (Some(a), Some(b)) if a < b => Ok(()),
        _ => Err(StepError::Suite(format!(
            "シナリオのデータで「{}」の申請のあとに「{}」の申請がありません (件数か seed を変えてください)",
            args.get(0),
            args.get(1)
        ))),
    }
}

// ---- 申請者の特定 ------------------------------------------------------------------------------------

/// The 申請 of a variant with what the system reports of each one's applicant (`None`: not
/// stored), for the two 申請者 checks.
async fn applicants_of(
    world: &mut World,
    word: &str,
) -> Result<Vec<(UketsukeBango, Option<Value>)>, StepError> {
    world.live().await?;
    let targets = of_variant(world, word)?;
    let stored = held(world, &[]).await?;
    Ok(targets
        .into_iter()
        .map(|u| {
            let applicant = stored
                .iter()
                .find(|h| h.uketsuke_bango == u.to_string())
                .map(|h| h.raw.get("applicant").cloned().unwrap_or(Value::Null));
            (u, applicant)
        })
        .collect())
}

async fn identified_as(world: &mut World, args: Args) -> StepResult {
    let method = args.get(1).to_owned();
    let found = applicants_of(world, args.get(0)).await?;
    let live = started(world)?;
    let mut problems = Vec::new();
    for (u, applicant) in &found {
        let Some(applicant) = applicant else {
            problems.push(format!("{u} を保管していません"));
            continue;
        };
        let seen = applicant
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("(なし)");
        if seen != method {
            problems.push(format!(
                "{u} の申請者を「{seen}」で特定しています (「{method}」のはず)"
            ));
            continue;
        }
        let atena = applicant.get("atena_bango").and_then(Value::as_str);
        let tougou = applicant.get("tougou_atena_bango").and_then(Value::as_str);
        if method == "未特定" {
            if atena.is_some() || tougou.is_some() {
                problems.push(format!(
                    "{u} は未特定なのに番号 {atena:?} {tougou:?} が付いています"
                ));
            }
            continue;
        }
        let resident = live.resident(live.application(u).applicant);
        if atena != Some(resident.atena_bango.to_string().as_str()) {
            problems.push(format!(
                "{u} の申請者の宛名番号が {} です (申請者は {})",
                atena.unwrap_or("null"),
                resident.atena_bango
            ));
        }
        if tougou != Some(resident.tougou_atena_bango.to_string().as_str()) {
            problems.push(format!(
                "{u} の申請者の団体内統合宛名番号が {} です (申請者は {})",
                tougou.unwrap_or("null"),
                resident.tougou_atena_bango
            ));
        }
    }
    verdict(problems)
}

async fn identified_as_resident(world: &mut World, args: Args) -> StepResult {
    let found = applicants_of(world, args.get(0)).await?;
    let live = started(world)?;
    let mut problems = Vec::new();
    for (u, applicant) in &found {
        let Some(applicant) = applicant else {
            problems.push(format!("{u} を保管していません"));
            continue;
        };
        let method = applicant
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("(なし)");
        let atena = applicant.get("atena_bango").and_then(Value::as_str);
        let resident = live.resident(live.application(u).applicant);
        if atena != Some(resident.atena_bango.to_string().as_str()) {
            problems.push(format!(
                "{u} の申請者を「{method}」で宛名番号 {} としています (申請者は {}。住基の紐付けにあるシリアル番号で特定できます)",
                atena.unwrap_or("null"),
                resident.atena_bango
            ));
        }
    }
    verdict(problems)
}

// ---- 審査 and 処理状況 --------------------------------------------------------------------------------

async fn shinsa_status_is(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let u = nth(world, args.number(0)?)?;
    let want = args.get(1).to_owned();
    let found = held(world, &[("uketsuke_bango", u.to_string())]).await?;
    let h = found
        .iter()
        .find(|h| h.uketsuke_bango == u.to_string())
        .ok_or_else(|| StepError::Fail(format!("{u} を保管していません")))?;
    let seen = h.str("shinsa_status").unwrap_or("(なし)");
    if seen == want {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "{u} の審査ステータスが「{seen}」です (「{want}」のはず)"
        )))
    }
}

async fn shori_jokyo_is(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let u = nth(world, args.number(0)?)?;
    let want = args.get(1);
    let (_, shori) = started(world)?
        .stack
        .pittari
        .status_of(&u)
        .ok_or_else(|| StepError::Suite(format!("{u} はありません")))?;
    if shori.as_str() == want {
        Ok(())
    } else {
        let reported: Vec<String> = pittari_journal(world)?
            .iter()
            .filter(|e| {
                e.method == "PUT" && e.route == format!("/pittari/v1/shinsei/{u}/shori-jokyo")
            })
            .map(|e| format!("#{} {} → {}", e.seq, e.request_body.text(), e.status))
            .collect();
        world.note(
            "journal",
            format!("{u} の処理状況の報告"),
            reported.join("\n"),
        );
        Err(StepError::Fail(format!(
            "ダウンロード機能での {u} の処理状況が「{}」です (「{want}」のはず)。報告: {}",
            shori.as_str(),
            if reported.is_empty() {
                "なし".into()
            } else {
                reported.join(" / ")
            }
        )))
    }
}

// ---- 一括取込 ------------------------------------------------------------------------------------------

struct Ikkatsu {
    koushin: Vec<Value>,
    errors: Vec<Value>,
}

async fn ikkatsu(world: &mut World, gyomu: &str) -> Result<Ikkatsu, StepError> {
    let body = world
        .observe(
            Role::ShinseiKanri,
            "ikkatsu",
            &[("gyomu", gyomu.to_owned())],
        )
        .await?
        .ok_or_else(|| {
            StepError::Fail(format!(
                "一括取込が業務システム「{gyomu}」を知りません (404)"
            ))
        })?;
    let list = |key: &str| {
        body.get(key)
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| malformed(&format!("一括取込の答えに {key} の配列がありません"), &body))
    };
    Ok(Ikkatsu {
        koushin: list("koushin")?,
        errors: list("errors")?,
    })
}

fn uketsuke_of(v: &Value) -> String {
    v.get("uketsuke_bango")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// `1件目と3件目` / `1件目` / `なし` → 受付番号.
fn parse_nths(world: &World, text: &str) -> Result<Vec<UketsukeBango>, StepError> {
    if text == "なし" {
        return Ok(Vec::new());
    }
    text.split('と')
        .map(|part| {
            let n = part
                .trim()
                .strip_suffix("件目")
                .and_then(|d| d.parse::<u64>().ok())
                .ok_or_else(|| StepError::Suite(format!("「{part}」は「n件目」ではありません")))?;
            nth(world, n)
        })
        .collect()
}

async fn ikkatsu_koushin_is(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let gyomu = args.get(0).to_owned();
    let want: BTreeSet<String> = parse_nths(world, args.get(1))?
        .iter()
        .map(|u| u.to_string())
        .collect();
    let got = ikkatsu(world, &gyomu).await?;
    let seen: BTreeSet<String> = got.koushin.iter().map(uketsuke_of).collect();
    if seen == want {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "「{gyomu}」の更新結果リストが {} です ({} のはず)",
            set_text(&seen),
            set_text(&want)
        )))
    }
}

fn set_text(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "空".into()
    } else {
        set.iter().cloned().collect::<Vec<_>>().join("、")
    }
}

async fn ikkatsu_category(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let gyomu = args.get(0).to_owned();
    let category = args.get(1).to_owned();
    let live = started(world)?;
    let catalogs = world.ctx.catalogs;
    let want: BTreeSet<String> = live
        .order
        .iter()
        .filter(|u| {
            let a = live.application(u);
            !broken(a.variant)
                && expected_kensho(a.variant) == Some("検証済み")
                && catalogs
                    .procedures
                    .get(&a.tetsuzuki)
                    .is_some_and(|p| p.category.label() == category)
        })
        .map(|u| u.to_string())
        .collect();
    if want.is_empty() {
        return Err(StepError::Suite(format!(
            "「{category}」の申請がシナリオにありません"
        )));
    }
    let got = ikkatsu(world, &gyomu).await?;
    let seen: BTreeSet<String> = got.koushin.iter().map(uketsuke_of).collect();
    if seen == want {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "「{gyomu}」の更新結果リストが {} です (「{category}」の申請 {} のはず)",
            set_text(&seen),
            set_text(&want)
        )))
    }
}

async fn ikkatsu_error(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let gyomu = args.get(0).to_owned();
    let u = nth(world, args.number(1)?)?.to_string();
    let reason = args.get(2).to_owned();
    let got = ikkatsu(world, &gyomu).await?;
    let listed = got
        .errors
        .iter()
        .find(|e| uketsuke_of(e) == u)
        .and_then(|e| e.get("reason").and_then(Value::as_str).map(str::to_owned));
    match listed {
        Some(r) if r == reason => Ok(()),
        Some(r) => Err(StepError::Fail(format!(
            "{u} はエラーリストに「{r}」で載っています (「{reason}」のはず)"
        ))),
        None => {
            let in_koushin = got.koushin.iter().any(|k| uketsuke_of(k) == u);
            Err(StepError::Fail(format!(
                "{u} がエラーリストにありません{}",
                if in_koushin {
                    " (整合しないのに更新結果リストに載っています)"
                } else {
                    " (どちらのリストにもなく、黙って落とされています)"
                }
            )))
        }
    }
}

async fn ikkatsu_no_errors(world: &mut World, args: Args) -> StepResult {
    let gyomu = args.get(0).to_owned();
    let got = ikkatsu(world, &gyomu).await?;
    if got.errors.is_empty() {
        Ok(())
    } else {
        Err(StepError::Fail(format!(
            "「{gyomu}」のエラーリストに {} 件あります: {}",
            got.errors.len(),
            truncate(&Value::Array(got.errors).to_string())
        )))
    }
}

async fn ikkatsu_key(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let gyomu = args.get(0).to_owned();
    let systems = crate::runner::gyomu_systems(world.ctx.catalogs);
    let system = systems
        .iter()
        .find(|s| s.name == gyomu)
        .ok_or_else(|| StepError::Suite(format!("業務システム「{gyomu}」はありません")))?;
    let key = system.key.clone();
    let got = ikkatsu(world, &gyomu).await?;
    if got.koushin.is_empty() {
        return Err(StepError::Fail(format!(
            "「{gyomu}」の更新結果リストが空です"
        )));
    }
    let live = started(world)?;
    let mut problems = Vec::new();
    for k in &got.koushin {
        let u = uketsuke_of(k);
        let Ok(uketsuke) = u.parse::<UketsukeBango>() else {
            problems.push(format!("受付番号「{u}」は届いた申請のものではありません"));
            continue;
        };
        let resident = live.resident(live.application(&uketsuke).applicant);
        let want = if key == "宛名番号" {
            resident.atena_bango.to_string()
        } else {
            resident.tougou_atena_bango.to_string()
        };
        let seen_key = k.get("key").and_then(Value::as_str).unwrap_or("(なし)");
        let seen = k
            .get("shikibetsu_bango")
            .and_then(Value::as_str)
            .unwrap_or("(なし)");
        if seen_key != key || seen != want {
            problems.push(format!(
                "{u}: {seen_key} {seen} を渡しています ({key} {want} のはず)"
            ));
        }
    }
    verdict(problems)
}

// ---- 検索、文字、割り当て ------------------------------------------------------------------------------

/// Whether a 申請 meets a search condition.
type Matcher = Box<dyn Fn(&Application) -> bool>;

/// The 氏名カナ of a 申請: the value of the form's first `kana` field.
fn shimei_kana(world: &World, a: &Application) -> Option<String> {
    let procedure = world.ctx.catalogs.procedures.get(&a.tetsuzuki)?;
    let field = procedure
        .fields
        .iter()
        .find(|f| f.field_type == FieldType::Kana)?;
    a.form
        .iter()
        .find(|(id, _)| *id == field.id)
        .map(|(_, v)| v.clone())
}

async fn search(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let criterion = args.get(0).to_owned();
    // What the system itself recorded as 検証結果, read before anything is borrowed.
    let recorded: BTreeMap<String, String> = if criterion == "検証結果" {
        held(world, &[])
            .await?
            .into_iter()
            .map(|h| {
                let kekka = h.str("kensho_kekka").unwrap_or("").to_owned();
                (h.uketsuke_bango, kekka)
            })
            .collect()
    } else {
        BTreeMap::new()
    };
    let live = started(world)?;
    let catalogs = world.ctx.catalogs;
    let candidates: Vec<&Application> = live
        .order
        .iter()
        .map(|u| live.application(u))
        .filter(|a| !broken(a.variant))
        .collect();
    if candidates.len() < 4 {
        return Err(StepError::Suite(
            "検索を確かめるには保管される申請が4件以上要ります".into(),
        ));
    }
    let date = |a: &Application| a.submitted_at.to_offset(renkei_fixtures::JST).date();
    let category = |a: &Application| {
        catalogs
            .procedures
            .get(&a.tetsuzuki)
            .map(|p| p.category.label().to_owned())
            .unwrap_or_default()
    };
    let first = candidates[0];
    let (query, matches): (Vec<(&str, String)>, Matcher) = match criterion.as_str() {
        "申請日付の範囲" => {
            // Bounds on days that have 申請, so an exclusive bound shows.
            let from = date(candidates[1]);
            let to = date(candidates[candidates.len() - 2]);
            (
                vec![("from", from.to_string()), ("to", to.to_string())],
                Box::new(move |a| date(a) >= from && date(a) <= to),
            )
        }
        "カテゴリ" => {
            let c = category(first);
            let c2 = c.clone();
            (vec![("category", c)], Box::new(move |a| category(a) == c2))
        }
        "手続" => {
            let t = first.tetsuzuki.clone();
            let t2 = t.clone();
            (vec![("tetsuzuki", t)], Box::new(move |a| a.tetsuzuki == t2))
        }
        "受付番号" => {
            let u = candidates[1].uketsuke_bango;
            (
                vec![("uketsuke_bango", u.to_string())],
                Box::new(move |a| a.uketsuke_bango == u),
            )
        }
        "氏名カナ" => {
            let kana = candidates
                .iter()
                .find_map(|a| shimei_kana(world, a))
                .ok_or_else(|| StepError::Suite("氏名カナのある申請がありません".into()))?;
            let part: String = kana.chars().take(2).collect();
            let part2 = part.clone();
            let kanas: BTreeMap<UketsukeBango, String> = candidates
                .iter()
                .filter_map(|a| shimei_kana(world, a).map(|k| (a.uketsuke_bango, k)))
                .collect();
            (
                vec![("shimei_kana", part)],
                Box::new(move |a| {
                    kanas
                        .get(&a.uketsuke_bango)
                        .is_some_and(|k| k.contains(&part2))
                }),
            )
        }
        _ => {
            // What the system itself recorded: this checks the search, not the verification
            // (ING-06 … ING-08 judge that).
            let recorded = recorded.clone();
            let value = "検証済み".to_owned();
            let v2 = value.clone();
            (
                vec![("kensho_kekka", value)],
                Box::new(move |a: &Application| {
                    recorded.get(&a.uketsuke_bango.to_string()) == Some(&v2)
                }),
            )
        }
    };
    let want: BTreeSet<String> = candidates
        .iter()
        .filter(|a| matches(a))
        .map(|a| a.uketsuke_bango.to_string())
        .collect();
    if want.len() == candidates.len() && criterion != "検証結果" {
        return Err(StepError::Suite(format!(
            "「{criterion}」の条件にすべての申請が当てはまり、絞り込みを確かめられません"
        )));
    }
    let found: BTreeSet<String> = held(world, &query)
        .await?
        .into_iter()
        .map(|h| h.uketsuke_bango)
        .collect();
    if found == want {
        Ok(())
    } else {
        let extra: Vec<&String> = found.difference(&want).collect();
        let missing: Vec<&String> = want.difference(&found).collect();
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Err(StepError::Fail(format!(
            "{criterion} ({}) で検索すると、該当するのに見つからない申請 {missing:?}、該当しないのに見つかる申請 {extra:?} があります",
            q.join("&")
        )))
    }
}

async fn edge_precondition(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let targets = of_variant(world, args.get(0))?;
    let live = started(world)?;
    let special = |c: char| ('\u{FF61}'..='\u{FF9F}').contains(&c) || c == '\u{FF5E}';
    let found = targets.iter().any(|u| {
        let a = live.application(u);
        a.form.iter().any(|(_, v)| v.chars().any(special))
            || a.signer.kihon4.shimei.chars().any(special)
            || a.signer.kihon4.jusho.chars().any(special)
    });
    if found {
        Ok(())
    } else {
        Err(StepError::Suite(format!(
            "「{}」の申請に半角カナも全角チルダもありません (件数を増やしてください)",
            args.get(0)
        )))
    }
}

async fn characters_kept(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let targets = of_variant(world, args.get(0))?;
    let stored = held(world, &[]).await?;
    let live = started(world)?;
    let mut problems = Vec::new();
    for u in &targets {
        let a = live.application(u);
        let Some(h) = stored.iter().find(|h| h.uketsuke_bango == u.to_string()) else {
            problems.push(format!("{u} を保管していません"));
            continue;
        };
        let form: BTreeMap<String, String> = h
            .raw
            .get("form")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| {
                        Some((
                            i.get("id")?.as_str()?.to_owned(),
                            i.get("value")?.as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (id, value) in &a.form {
            match form.get(id) {
                Some(v) if v == value => {}
                Some(v) => problems.push(format!(
                    "{u} の {id}: 「{value}」が「{v}」になっています ({})",
                    diff_chars(value, v)
                )),
                None => problems.push(format!("{u} の {id} を保管していません")),
            }
        }
        let kihon4 = h.raw.get("kihon4").cloned().unwrap_or(Value::Null);
        for (key, want) in [
            ("shimei", &a.signer.kihon4.shimei),
            ("jusho", &a.signer.kihon4.jusho),
        ] {
            let seen = kihon4.get(key).and_then(Value::as_str).unwrap_or("(なし)");
            if seen != want {
                problems.push(format!(
                    "{u} の基本4情報 {key}: 「{want}」が「{seen}」になっています ({})",
                    diff_chars(want, seen)
                ));
            }
        }
        // Names kept as sent; a missing attachment is ING-05's to judge, a changed name is ours.
        let files = held_files(h)?;
        for path in files.keys() {
            if let Some(name) = path.strip_prefix("tenpu/")
                && !a.attachments.iter().any(|t| t.name == name)
            {
                problems.push(format!(
                    "{u} の添付書類名が「{name}」に変わっています (届いた名前: {})",
                    a.attachments
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ));
            }
        }
    }
    verdict(problems)
}

/// The first differing characters, as code points.
fn diff_chars(want: &str, seen: &str) -> String {
    for (a, b) in want.chars().zip(seen.chars()) {
        if a != b {
            return format!("U+{:04X} {a} → U+{:04X} {b}", a as u32, b as u32);
        }
    }
    "長さが違います".into()
}

async fn assignment(world: &mut World, args: Args) -> StepResult {
    world.live().await?;
    let shokuin = args.get(0).to_owned();
    let staff = crate::runner::shokuin();
    let member = staff
        .iter()
        .find(|s| s.id == shokuin)
        .ok_or_else(|| StepError::Suite(format!("職員「{shokuin}」はいません")))?;
    let assigned = member.tetsuzuki.clone();
    let live = started(world)?;
    let want: BTreeSet<String> = live
        .order
        .iter()
        .map(|u| live.application(u))
        .filter(|a| !broken(a.variant) && (assigned.is_empty() || assigned.contains(&a.tetsuzuki)))
        .map(|a| a.uketsuke_bango.to_string())
        .collect();
    let everyone = live
        .order
        .iter()
        .filter(|u| !broken(live.application(u).variant))
        .count();
    if want.len() == everyone {
        return Err(StepError::Suite(
            "割り当てのない手続の申請がシナリオにありません".into(),
        ));
    }
    let found: BTreeSet<String> = held(world, &[("shokuin", shokuin.clone())])
        .await?
        .into_iter()
        .map(|h| h.uketsuke_bango)
        .collect();
    if found == want {
        Ok(())
    } else {
        let extra: Vec<&String> = found.difference(&want).collect();
        Err(StepError::Fail(format!(
            "職員「{shokuin}」({}) に見える申請が {} です (割り当てのない手続のもの {extra:?})",
            assigned.join("、"),
            set_text(&found)
        )))
    }
}
