//! 取込の1回 (`torikomi` ジョブ): seed 001 §5 ③ の申請管理システムの仕事。
//!
//! 1. ログインし (トークンが切れたらログインし直し)、未取得の一覧を**すべてのページ**読む (ING-02、ING-23)。
//!    一覧を先に全部読むのは、取得済みにしながらページを進めると一覧がずれて申請を飛ばすからです。
//! 2. 署名用 CA 証明書と最新の CRL を取る (ING-08)。
//! 3. 一件ずつ: 連携サーバ経由でダウンロードし (ING-01)、安全に展開し、自分で署名を検証し、添付書類を
//!    署名された一覧と照らし合わせ (ING-06、07)、申請者を特定し (ING-10〜13)、振り分け先を決め (ING-18)、
//!    ファイルと通知と一緒に一つのトランザクションで保管し (ING-05)、**それから**取得済みにし (ING-03)、
//!    受付済みを報告する (ING-17)。2度届いた申請は保管も通知もし直しません (ING-04)。
//! 4. 壊れた申請ZIPや取れなかった申請は エラー「障害発生」 にし、取得済みにせず、ほかの申請を続けます。
//!    次の回に一覧に残っているので、そこでやり直します (ING-09)。
//! 5. サービス提供時間外で断られたら、障害にせず黙ってこの回をやめます (ING-22)。

use crate::app::App;
use crate::config::RenkeiConfig;
use crate::defects::{DefectKind, Seeded};
use crate::error::Result;
use crate::identify;
use crate::jst;
use crate::model::{KenshoKekka, ShinsaStatus, ShoriJokyo, TSUCHI_KENSHO_SHIPPAI, TSUCHI_SHOGAI};
use crate::pittari::{ApiError, Session, Summary};
use crate::shinsei_zip::{self, ShinseiZip, TENPU_DIR};
use crate::signature::{self, TrustStore};
use crate::store::{NewFile, NewShinsei, ShinseiRecord, Tsuchi};
use serde::Serialize;
use time::OffsetDateTime;
use unicode_normalization::UnicodeNormalization;

/// 1回の取込の結果 (ジョブの答えとログのため)。
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub listed: usize,
    pub stored: usize,
    pub redelivered: usize,
    pub failed: usize,
    /// この回を途中でやめた理由 (時間外など)。
    pub stopped: Option<String>,
}

/// 申請やこの回を先へ進められないこと。障害発生は、上げるべきものは上げ終えています。
enum Stop {
    /// サービス提供時間外 (障害ではない): この回をやめる。
    OutsideHours,
    /// この回をやめる (一覧を取れない、ログインできない など)。
    Abort(String),
    /// この申請だけを飛ばし、ほかを続ける (取れなかった)。
    Skip(String),
    /// この申請の申請ZIPが壊れていた。ほかを続ける。
    Broken(String),
}

/// 取込を1回行います。
pub async fn run(app: &App, config: &RenkeiConfig, session: &mut Session) -> Result<Report> {
    let mut report = Report::default();
    match cycle(app, config, session, &mut report).await? {
        Ok(()) => {}
        Err(Stop::OutsideHours) => {
            report.stopped = Some("サービス提供時間外のため、次の回に続けます".to_owned());
            if app.seeded.has(DefectKind::OutsideHoursAlarm) {
                raise(
                    app,
                    None,
                    "ダウンロード API がサービス提供時間外で断りました",
                )?;
            }
        }
        Err(Stop::Abort(why) | Stop::Skip(why) | Stop::Broken(why)) => report.stopped = Some(why),
    }
    Ok(report)
}

/// `Ok(Err(stop))` はこの回をやめたこと、`Err` はこのシステム自身の失敗 (保管できない など) です。
async fn cycle(
    app: &App,
    config: &RenkeiConfig,
    session: &mut Session,
    report: &mut Report,
) -> Result<std::result::Result<(), Stop>> {
    let now = app.fetch_now(config).await;

    // 1. 未取得の一覧をすべてのページ
    let mut summaries: Vec<Summary> = Vec::new();
    let mut page = 1;
    loop {
        match session
            .call(|c, t| async move { c.list_mishutoku(&t, page).await })
            .await
        {
            Ok((items, has_next)) => {
                summaries.extend(items);
                if !has_next || app.seeded.has(DefectKind::FirstPageOnly) || page >= 100_000 {
                    break;
                }
                page += 1;
            }
            Err(e) => return Ok(Err(stop_for(app, None, "未取得の一覧を取れません", e)?)),
        }
    }
    report.listed = summaries.len();

    if !summaries.is_empty() {
        // 2. 署名用 CA と最新の CRL
        let trust = match session.client.jpki().await {
            Ok((ca, crl)) => match TrustStore::new(&ca, &crl) {
                Ok(trust) => trust,
                Err(e) => {
                    raise(
                        app,
                        None,
                        &format!("署名用 CA 証明書を読めないため取込をやめました: {e}"),
                    )?;
                    return Ok(Err(Stop::Abort(e)));
                }
            },
            Err(e) => {
                return Ok(Err(stop_for(
                    app,
                    None,
                    "署名用 CA 証明書と CRL を取れません",
                    e,
                )?));
            }
        };

        // 3. 一件ずつ
        for s in &summaries {
            let u = s.uketsuke_bango.as_str();
            if app.seeded.has(DefectKind::NoRetry) && app.store().download_failed_before(u)? {
                continue;
            }
            match take_one(app, config, session, &trust, now, u, report).await? {
                Ok(()) => {}
                Err(Stop::Skip(_)) => report.failed += 1,
                Err(Stop::Broken(why)) => {
                    report.failed += 1;
                    if app.seeded.has(DefectKind::StopOnBrokenZip) {
                        return Ok(Err(Stop::Abort(why)));
                    }
                }
                Err(stop) => return Ok(Err(stop)),
            }
        }
    }

    // 4. まだ報告していない処理状況 (前の回や審査で報告できなかったもの)
    let pending: Vec<ShinseiRecord> = app.store().shinsei_all()?;
    for record in pending {
        if let Err(ApiError::OutsideServiceHours) =
            report_shori_jokyo(app, session, &record).await?
        {
            return Ok(Err(Stop::OutsideHours));
        }
    }
    Ok(Ok(()))
}

/// 1件の申請: ダウンロード、展開、検証、特定、保管、取得済み、受付済み。
/// `Ok(Err(Stop::Skip | Stop::Broken))` はこの申請だけの失敗 (障害発生を上げ終えている)。
async fn take_one(
    app: &App,
    config: &RenkeiConfig,
    session: &mut Session,
    trust: &TrustStore,
    now: OffsetDateTime,
    u: &str,
    report: &mut Report,
) -> Result<std::result::Result<(), Stop>> {
    let owned = u.to_owned();
    let bytes = match session
        .call(|c, t| {
            let u = owned.clone();
            async move { c.download(&t, &u).await }
        })
        .await
    {
        Ok(bytes) => bytes,
        Err(e) => {
            if !matches!(e, ApiError::OutsideServiceHours) && app.seeded.has(DefectKind::NoRetry) {
                app.store().remember_download_failure(u)?;
            }
            return Ok(Err(stop_for(app, Some(u), "申請ZIPを取れませんでした", e)?));
        }
    };
    let zip = match shinsei_zip::read(&bytes) {
        Ok(zip) if zip.header.uketsuke_bango == u => zip,
        Ok(zip) => {
            let why = format!(
                "申請ZIPの受付番号 {} が求めた受付番号と違います",
                zip.header.uketsuke_bango
            );
            raise(app, Some(u), &why)?;
            return Ok(Err(Stop::Broken(why)));
        }
        Err(e) => {
            if app.seeded.has(DefectKind::NoRetry) {
                app.store().remember_download_failure(u)?;
            }
            let why = format!("申請ZIPが壊れているため取り込めません。次の回にやり直します: {e}");
            raise(app, Some(u), &why)?;
            return Ok(Err(Stop::Broken(why)));
        }
    };

    let redelivered =
        app.store().shinsei_exists(u)? && !app.seeded.has(DefectKind::RedeliveryDuplicated);
    if redelivered {
        report.redelivered += 1;
    } else {
        store_shinsei(app, config, trust, now, &zip, &bytes)?;
        report.stored += 1;
    }

    // 不具合 shutoku-on-response は、ダウンロードの答えが 200 だった時点で取得済みにし終えています。
    if !app.seeded.has(DefectKind::ShutokuOnResponse) {
        let owned = u.to_owned();
        if let Err(e) = session
            .call(|c, t| {
                let u = owned.clone();
                async move { c.shutoku(&t, &u).await }
            })
            .await
        {
            return Ok(Err(stop_for(
                app,
                Some(u),
                "取得済みにできませんでした (保管は済んでいます)",
                e,
            )?));
        }
    }
    let records = app.store().shinsei_by_uketsuke(u)?;
    for record in records {
        if let Err(ApiError::OutsideServiceHours) =
            report_shori_jokyo(app, session, &record).await?
        {
            return Ok(Err(Stop::OutsideHours));
        }
    }
    Ok(Ok(()))
}

/// 検証し、申請者を特定し、すべてのファイルと通知と一緒に保管します。
fn store_shinsei(
    app: &App,
    config: &RenkeiConfig,
    trust: &TrustStore,
    now: OffsetDateTime,
    zip: &ShinseiZip,
    bytes: &[u8],
) -> Result<()> {
    let seeded = app.seeded;
    let kekka_xml = &zip.kensho_kekka;
    let verdict = signature::verify_shinsei(zip, trust, now, seeded);

    let today = jst::format_date(jst::date_of(now));
    let applicant = identify::identify(
        app,
        kekka_xml.serial.as_deref(),
        kekka_xml.kihon4.as_ref(),
        &today,
    )?;

    let form: Vec<_> = zip
        .shinseisho
        .as_ref()
        .map(|s| s.form.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|mut item| {
            item.value = stored_text(seeded, &item.value);
            item
        })
        .collect();
    let shimei_kana = form
        .iter()
        .find(|i| i.kind == "kana")
        .map(|i| i.value.clone());
    let kihon4 = kekka_xml.kihon4.clone().map(|mut k| {
        k.shimei = stored_text(seeded, &k.shimei);
        k.jusho = stored_text(seeded, &k.jusho);
        k
    });
    let header = &zip.header;
    let gyomu_system = if seeded.has(DefectKind::RouteAllToFirst) {
        config.gyomu_systems.first().map(|g| g.name.clone())
    } else {
        config.route(&header.tetsuzuki_id).map(|g| g.name.clone())
    };
    let shinsei_bi = jst::parse(&header.shinsei_nichiji)
        .map(|t| jst::format_date(jst::date_of(t)))
        .unwrap_or_default();

    let files: Vec<NewFile> = zip
        .entries
        .iter()
        .filter(|e| !(seeded.has(DefectKind::AttachmentsDropped) && e.path.starts_with(TENPU_DIR)))
        .map(|e| NewFile {
            path: e.path.clone(),
            sha256: e.sha256.clone(),
            content: e.content.clone(),
        })
        .collect();

    // 不具合 valid-warned: 通知の対応表の検証済みの行だけを誤り、警告「申請ZIP検証失敗」を上げる。
    let (level, title) =
        if seeded.has(DefectKind::ValidWarned) && verdict.kekka == KenshoKekka::Kenshozumi {
            ("警告", TSUCHI_KENSHO_SHIPPAI)
        } else {
            verdict.kekka.tsuchi()
        };
    let tsuchi = Tsuchi {
        level: level.to_owned(),
        title: title.to_owned(),
        uketsuke_bango: Some(header.uketsuke_bango.clone()),
        message: format!(
            "{} {}: {}",
            header.uketsuke_bango, header.tetsuzuki_name, verdict.detail
        ),
    };
    let new = NewShinsei {
        uketsuke_bango: header.uketsuke_bango.clone(),
        tetsuzuki: header.tetsuzuki_id.clone(),
        tetsuzuki_name: header.tetsuzuki_name.clone(),
        category: header.category.clone(),
        shinsei_nichiji: header.shinsei_nichiji.clone(),
        shinsei_bi,
        kensho_kekka: verdict.kekka.as_str().to_owned(),
        kensho_shosai: verdict.detail.clone(),
        applicant,
        shimei_kana,
        kihon4,
        form,
        gyomu_system,
        zip_sha256: shinsei_zip::sha256_hex(bytes),
        received_at: jst::format(now),
    };
    let mut store = app.store();
    // 1つの申請について同じ通知は1度だけ。不具合 redelivery-duplicated は届いた回ごとの鍵にする。
    let once_key = if seeded.has(DefectKind::RedeliveryDuplicated) {
        format!(
            "{}/{}/{}",
            header.uketsuke_bango,
            title,
            store.shinsei_by_uketsuke(&header.uketsuke_bango)?.len()
        )
    } else {
        format!("{}/{}", header.uketsuke_bango, title)
    };
    store.insert_shinsei(&new, &files, &tsuchi, &once_key)?;
    Ok(())
}

/// 保管する文字。適合するシステムは一字も変えません (ING-20)。不具合 nfkc-normalize は NFKC をかけます。
fn stored_text(seeded: Seeded, s: &str) -> String {
    if seeded.has(DefectKind::NfkcNormalize) {
        s.nfkc().collect()
    } else {
        s.to_owned()
    }
}

/// 申請の処理状況を、審査ステータスに追いつくまで一段ずつ報告します (ING-17)。
/// 返り値の `Err(ApiError)` は報告できなかったこと (次の回にやり直します)。
pub async fn report_shori_jokyo(
    app: &App,
    session: &mut Session,
    record: &ShinseiRecord,
) -> Result<std::result::Result<(), ApiError>> {
    let status = ShinsaStatus::from_word(&record.shinsa_status).unwrap_or(ShinsaStatus::Mishinsa);
    let target = ShoriJokyo::for_shinsa(status);
    let reported =
        ShoriJokyo::from_word(&record.shori_jokyo_reported).unwrap_or(ShoriJokyo::Miuketsuke);
    let mut steps = reported.steps_to(target);
    if app.seeded.has(DefectKind::ShoriJokyoFinalOnly) {
        steps.retain(|s| matches!(s, ShoriJokyo::Kanryo | ShoriJokyo::Kyakka));
    }
    for step in steps {
        let u = record.uketsuke_bango.clone();
        let word = step.as_str();
        match session
            .call(|c, t| {
                let u = u.clone();
                async move { c.shori_jokyo(&t, &u, word).await }
            })
            .await
        {
            Ok(()) => app.store().set_shori_jokyo_reported(record.id, word)?,
            Err(e) => {
                eprintln!(
                    "reference-vendor: {} の処理状況「{word}」を報告できません (次の回にやり直します): {e}",
                    record.uketsuke_bango
                );
                return Ok(Err(e));
            }
        }
    }
    Ok(Ok(()))
}

/// エラー「障害発生」を上げます (同じ申請について1度だけ)。
fn raise(app: &App, uketsuke_bango: Option<&str>, message: &str) -> Result<()> {
    let tsuchi = Tsuchi {
        level: "エラー".to_owned(),
        title: TSUCHI_SHOGAI.to_owned(),
        uketsuke_bango: uketsuke_bango.map(str::to_owned),
        message: message.to_owned(),
    };
    let once_key = uketsuke_bango.map(|u| format!("{u}/{TSUCHI_SHOGAI}"));
    app.store().add_tsuchi(&tsuchi, once_key.as_deref())?;
    eprintln!(
        "reference-vendor: 障害発生 {}: {message}",
        uketsuke_bango.unwrap_or("-")
    );
    Ok(())
}

/// ダウンロード API の失敗を扱いに変えます。時間外は黙って (障害にせず)、ほかは障害発生を上げて。
/// ログインし直してもトークンが使えない (不具合 no-relogin ではログインし直さない) ときは、この回をやめます。
fn stop_for(app: &App, uketsuke_bango: Option<&str>, what: &str, e: ApiError) -> Result<Stop> {
    if e == ApiError::OutsideServiceHours {
        return Ok(Stop::OutsideHours);
    }
    let why = format!("{what}: {e}");
    if e == ApiError::TokenExpired {
        raise(app, None, &format!("{why} (この回をやめます)"))?;
        return Ok(Stop::Abort(why));
    }
    raise(
        app,
        uketsuke_bango,
        &format!("{why} (次の回にやり直します)"),
    )?;
    Ok(match uketsuke_bango {
        Some(_) => Stop::Skip(why),
        None => Stop::Abort(why),
    })
}
