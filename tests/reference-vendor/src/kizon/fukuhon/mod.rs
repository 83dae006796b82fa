//! 副本登録の1回 (`fukuhon_touroku`、docs/kizon-gyomu.md「副本登録の1回」)。
//!
//! 1. **結果の確認**: 処理済みでないファイルの処理状況を `IF_DBM_20114_R01` で聞き、`処理済み` なら結果ファイル
//!    (`GET /xml/v1/files/{受付番号}/result`) を取ってレコードごとに当てます。`処理中(翌日繰越)` のファイルの
//!    レコードはまだ処理待ちです (FUK-05)。
//! 2. **正本との差** ([`sabun`]): 正本を読み直し、登録・更新・削除を決めます (FUK-11、FUK-12)。
//! 3. **版** ([`kaihan`]、[`sakusei`]): 副本はその日に有効な版で作ります (FUK-01)。連携開始日がまだ来ていない
//!    新しい版があれば、改版の類型ごとの定めどおりに新しい版の副本も持ち、旧版・廃止されたデータセットの副本を
//!    定めの時期に削除します (FUK-06〜FUK-10、docs/kizon-gyomu.md「改版」)。
//! 4. **上限** ([`jougen`]): その日の受付済みと合わせて `daily_caps` を超えないようにファイルに分け、
//!    入らないレコードは次の日の回に回します (FUK-03、FUK-04)。
//! 5. レコード識別番号は送るたびに新しくつけます。
//! 6. **自動応答不可**: 正本の `jidou_outou_fuka` に中間サーバーの設定 (`IF_TKY_10814_R01`) を合わせます (FUK-14)。
//! 7. **提供除外項目マスタ** ([`jogai`]): 正本のデータセットについて、マスタを `layouts` の提供除外項目に合わせます
//!    (`IF_DBM_20116_R01` で読み、違うデータセットだけ `IF_DBM_20115_R01` + `FI_DBM_0003` で置き換える。FUK-15)。
//! 8. **突合**: 送ったファイルがすべて処理済みなら `fukuhon-kanri.csv` を取り、件数を比べます (FUK-02、FUK-13)。
//!
//! 中間サーバーにつながらないときはその回をやめ (報告の `stopped`)、次の回に続きからやり直します。

pub mod file;
pub mod jogai;
pub mod jougen;
pub mod kaihan;
pub mod sabun;
pub mod sakusei;

use super::catalog::Layouts;
use super::seihon::{DatasetRef, Seihon};
use super::{Ctx, Tsuushin};
use crate::chukan::client::MAX_EXPORT;
use crate::chukan::denbun::{self, Reply};
use crate::defects::DefectKind;
use crate::error::{Error, Result};
use crate::jst;
use crate::store::{FileRow, Okutta, SeihonFukuhon, SeihonRow};
use file::{Kekka, ShoriJokyo, Uketsuke};
use jougen::{FILE_LIMIT, Uketsukezumi};
use sabun::Sousa;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};

/// 副本登録の電文。
pub const TOUROKU: &str = "IF_DBM_20113_R01";
/// 副本登録状況の取得。
pub const JOKYO: &str = "IF_DBM_20114_R01";
/// 自動応答不可の設定。
pub const FUKA: &str = "IF_TKY_10814_R01";

const META_RECORD_SEQ: &str = "kizon_record_seq";
/// 最後の突合 (`/fukuhon` の `totsugou`、JSON)。
pub const META_TOTSUGOU: &str = "kizon_totsugou";

/// 最後の突合。
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Totsugou {
    pub kakunin_nichiji: String,
    pub chukan_kensuu: usize,
    pub jisha_kensuu: usize,
    pub icchi: bool,
}

/// `fukuhon_touroku` の報告 (ジョブの答えに書きます)。
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// 処理状況を確かめたファイルの数。
    pub checked_files: usize,
    /// 処理結果を当てたレコードの数。
    pub results_applied: usize,
    pub seihon: usize,
    /// 副本にしなかった正本のレコードの数 (その日に有効な版にも新しい版にもないデータセット、追加された
    /// データセットの最新でないレコードなど)。
    pub build_errors: usize,
    pub touroku: usize,
    pub koushin: usize,
    pub sakujo: usize,
    pub files_sent: usize,
    pub records_sent: usize,
    /// 上限などで次の回に回したレコードの数。
    pub deferred: usize,
    /// 自動応答不可を設定・解除したデータセット。
    pub fuka_set: Vec<String>,
    pub fuka_unset: Vec<String>,
    /// 提供除外項目マスタを置き換えたデータセット (「特定個人情報 データセット: [項目]」)。
    pub jogai_touroku: Vec<String>,
    pub totsugou: Option<Totsugou>,
    /// 中間サーバーに断られたこと (人が読む一文)。
    pub refused: Vec<String>,
    /// その回をやめた理由。
    pub stopped: Option<String>,
}

/// `fukuhon_touroku`: 副本登録を1回。
pub async fn touroku(ctx: &mut Ctx<'_>) -> Result<Report> {
    let mut report = Report::default();
    if let Err(Tsuushin(why)) = kekka_kakunin(ctx, &mut report).await {
        report.stopped = Some(why);
        return Ok(report);
    }
    let seihon = Seihon::load(&ctx.path(&ctx.kizon.seihon.path))?;
    let layouts = Layouts::load(&ctx.path(&ctx.kizon.layouts))?;
    report.refused.extend(seihon.skipped.iter().cloned());
    let ops = sabun_wo_kimeru(ctx, &seihon, &layouts, &mut report)?;
    if let Err(Tsuushin(why)) = okuru(ctx, &ops, &mut report).await {
        report.stopped = Some(why);
        return Ok(report);
    }
    if !ctx.seeded.has(DefectKind::JidouOutouFukaIgnored)
        && let Err(Tsuushin(why)) =
            jidou_outou_fuka(ctx, &seihon.jidou_outou_fuka, &mut report).await
    {
        report.stopped = Some(why);
        return Ok(report);
    }
    if !ctx.seeded.has(DefectKind::JogaiMasterMissing)
        && let Err(Tsuushin(why)) = jogai::awaseru(ctx, &seihon, &layouts, &mut report).await
    {
        report.stopped = Some(why);
        return Ok(report);
    }
    ctx.app.store().kizon_forget_stale()?;
    if let Err(Tsuushin(why)) = totsugou(ctx, &mut report).await {
        report.stopped = Some(why);
    }
    Ok(report)
}

/// 1. 結果の確認。
async fn kekka_kakunin(
    ctx: &mut Ctx<'_>,
    report: &mut Report,
) -> std::result::Result<(), Tsuushin> {
    let files = ctx.app.store().kizon_files_open().map_err(db)?;
    for f in files {
        report.checked_files += 1;
        let jokyo = match ctx
            .yomu(JOKYO, &[("中間サーバー受付番号", &f.uketsuke_bango)])
            .await?
        {
            Reply::Ok { body, .. } => match ShoriJokyo::read(&body) {
                Ok(j) => j,
                Err(e) => {
                    report
                        .refused
                        .push(format!("{JOKYO} ({}): {e}", f.uketsuke_bango));
                    continue;
                }
            },
            Reply::Refused(e) if e.code == "RECEPTION_NOT_FOUND" => {
                // 中間サーバーがこの受付を知らない: 結果は来ないので、レコードは次の回に送り直します。
                report.refused.push(format!(
                    "{JOKYO} ({}): {}: {} (送り直します)",
                    f.uketsuke_bango, e.code, e.message
                ));
                ctx.app
                    .store()
                    .kizon_file_lost(&f.uketsuke_bango, &f.jokyo)
                    .map_err(db)?;
                continue;
            }
            Reply::Refused(e) => {
                report.refused.push(format!(
                    "{JOKYO} ({}): {}: {}",
                    f.uketsuke_bango, e.code, e.message
                ));
                continue;
            }
        };
        let finished = jokyo.jokyo == file::SHORIZUMI
            || (jokyo.jokyo == file::KURIKOSHI
                && ctx.seeded.has(DefectKind::FukuhonCarryoverResent));
        if !finished {
            ctx.app
                .store()
                .kizon_file_jokyo(&f.uketsuke_bango, &jokyo.jokyo)
                .map_err(db)?;
            continue;
        }
        match kekka_file(ctx, &f).await? {
            Ok(kekka) => {
                report.results_applied += ctx
                    .app
                    .store()
                    .kizon_apply_results(&f.uketsuke_bango, &jokyo.jokyo, &kekka)
                    .map_err(db)?;
            }
            Err(e) if ctx.seeded.has(DefectKind::FukuhonCarryoverResent) => {
                // 不具合: 翌日繰越のファイルを終わったものとみなし、結果のないレコードは失われたとして送り直す。
                report.refused.push(e);
                ctx.app
                    .store()
                    .kizon_file_lost(&f.uketsuke_bango, &jokyo.jokyo)
                    .map_err(db)?;
            }
            Err(e) => report.refused.push(e),
        }
    }
    Ok(())
}

/// 結果ファイルを取って読みます。外側の `Err` はつながらない、内側の `Err` は取れない・読めない (理由)。
async fn kekka_file(
    ctx: &mut Ctx<'_>,
    f: &FileRow,
) -> std::result::Result<std::result::Result<Vec<Kekka>, String>, Tsuushin> {
    let path = format!("/xml/v1/files/{}/result", f.uketsuke_bango);
    let reply = ctx.get(&path, MAX_EXPORT).await?;
    if !(200..300).contains(&reply.status) {
        let why = match denbun::file_reply(&path, reply.status, &reply.body) {
            Ok(Err(e)) => format!("{path}: {} {}: {}", reply.status, e.code, e.message),
            Ok(Ok(root)) => format!("{path}: HTTP {} ({})", reply.status, root.name),
            Err(e) => e,
        };
        return Ok(Err(why));
    }
    let text = match std::str::from_utf8(&reply.body) {
        Ok(t) => t,
        Err(_) => return Ok(Err(format!("{path}: 結果ファイルが UTF-8 ではありません"))),
    };
    Ok(file::kekka_file(text)
        .map(|k| k.kekka)
        .map_err(|e| format!("{path}: {e}")))
}

/// 2・3. 正本から副本を作り (改版のときは新しい版のものも)、保管した状態と比べて送る処理を決めます。
fn sabun_wo_kimeru(
    ctx: &Ctx<'_>,
    seihon: &Seihon,
    layouts: &Layouts,
    report: &mut Report,
) -> Result<Vec<Sousa>> {
    let today = ctx.today();
    let mut store = ctx.app.store();
    let known = store.kizon_fukuhon_jotai()?;
    let registered: HashSet<&sakusei::FukuhonKey> = known
        .iter()
        .filter(|k| k.registered)
        .map(|k| &k.key)
        .collect();
    let saishin = kaihan::saishin(&seihon.records);
    let mut desired = Vec::new();
    let mut rows = Vec::new();
    for (r, &saishin) in seihon.records.iter().zip(&saishin) {
        let touroku_zumi = |major: u32| {
            registered.contains(&sakusei::FukuhonKey {
                tougou_atena_bango: r.tougou_atena_bango.clone(),
                tokutei: r.tokutei.clone(),
                dataset: r.dataset.clone(),
                record_key: r.record_key.clone(),
                major_version: major,
            })
        };
        match kaihan::mokuhyou(layouts, r, today, saishin, &touroku_zumi, ctx.seeded) {
            Ok(targets) => {
                let made: Vec<sakusei::Fukuhon> =
                    targets.iter().map(|m| sakusei::tsukuru(r, m)).collect();
                rows.push(SeihonRow {
                    seihon_id: r.seihon_id.clone(),
                    fukuhon: made
                        .iter()
                        .map(|f| SeihonFukuhon {
                            key: f.key.clone(),
                            naiyou: f.naiyou.text(),
                        })
                        .collect(),
                    build_error: None,
                });
                desired.extend(made);
            }
            Err(why) => {
                report.build_errors += 1;
                rows.push(SeihonRow {
                    seihon_id: r.seihon_id.clone(),
                    fukuhon: Vec::new(),
                    build_error: Some(why),
                });
            }
        }
    }
    report.seihon = seihon.records.len();
    store.kizon_replace_seihon(&rows)?;
    let genzai: HashSet<&str> = seihon
        .records
        .iter()
        .map(|r| r.seihon_id.as_str())
        .collect();
    let kyuuban = |k: &sakusei::FukuhonKey| {
        kaihan::kyuuban(layouts, &k.tokutei, &k.dataset, k.major_version, today)
    };
    let ops = sabun::sabun(&desired, &known, &genzai, &kyuuban, ctx.seeded);
    for o in &ops {
        match o.kubun {
            sabun::ShoriKubun::Touroku => report.touroku += 1,
            sabun::ShoriKubun::Koushin => report.koushin += 1,
            sabun::ShoriKubun::Sakujo => report.sakujo += 1,
        }
    }
    Ok(ops)
}

/// 4・5. 上限の中でファイルに分けて送ります。
async fn okuru(
    ctx: &mut Ctx<'_>,
    ops: &[Sousa],
    report: &mut Report,
) -> std::result::Result<(), Tsuushin> {
    if ops.is_empty() {
        return Ok(());
    }
    let today = ctx.today();
    let ymd = jst::format_date(today).replace('-', "");
    let (records, bytes) = ctx
        .app
        .store()
        .kizon_uketsukezumi(&jst::format_date(today))
        .map_err(db)?;
    let mut seq: u64 = ctx
        .app
        .store()
        .meta(META_RECORD_SEQ)
        .map_err(db)?
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // レコード識別番号: "R" + 日付 + 通番 (11 桁、20 文字まで)。送るたびに新しい番号です。
    let ids: Vec<String> = ops
        .iter()
        .map(|_| {
            seq += 1;
            format!("R{ymd}{:011}", seq % 100_000_000_000)
        })
        .collect();
    // つけた番号は、送らなかった・受け付けられなかったものも使ったことにします (同じ番号を二度使わないため)。
    ctx.app
        .store()
        .set_meta(META_RECORD_SEQ, &seq.to_string())
        .map_err(db)?;
    let records_xml: Vec<String> = ops
        .iter()
        .zip(&ids)
        .map(|(o, id)| file::record(id, o))
        .collect();
    let atama = file::atama(&ctx.config.dantai, &ctx.now_text());
    let overhead = (atama.len() + file::OWARI.len()) as u64;
    let sizes: Vec<u64> = records_xml.iter().map(|r| r.len() as u64).collect();
    let plan = jougen::wakeru(
        &sizes,
        overhead,
        ctx.chukan.daily_caps,
        Uketsukezumi { records, bytes },
        FILE_LIMIT,
        ctx.seeded,
    );
    report.deferred = ops.len() - plan.sent;
    for (n, range) in plan.files.iter().enumerate() {
        let file_name = format!("{}_{ymd}-{}-{}.xml", file::FILE_ID, ctx.run(), n + 1);
        let mut text = String::with_capacity(
            overhead as usize + sizes[range.clone()].iter().sum::<u64>() as usize,
        );
        text.push_str(&atama);
        for r in &records_xml[range.clone()] {
            text.push_str(r);
        }
        text.push_str(file::OWARI);
        let reply = ctx
            .tenpu(
                TOUROKU,
                &[
                    ("添付ファイル名", &file_name),
                    ("添付ファイルID", file::FILE_ID),
                ],
                &file_name,
                text.as_bytes(),
            )
            .await;
        let (reception_number, body) = match reply? {
            Reply::Ok {
                reception_number,
                body,
            } => (reception_number, body),
            Reply::Refused(e) => {
                // 上限 (FILE_OVER_CAP) などで受け付けられなかった: 残りは次の回に回します。
                report.refused.push(format!(
                    "{TOUROKU} ({file_name}): {} {}: {}",
                    e.http_status, e.code, e.message
                ));
                report.deferred += range.end - range.start;
                for later in &plan.files[n + 1..] {
                    report.deferred += later.end - later.start;
                }
                return Ok(());
            }
        };
        if reception_number.is_empty() {
            // 受付番号がなければ結果を確かめようがない: 受け付けられたか分からないので、この回はやめます。
            return Err(Tsuushin(format!(
                "{TOUROKU} ({file_name}) の応答に中間サーバー受付番号がありません"
            )));
        }
        let u = Uketsuke::read(&body);
        let uketsuke_bi = jst::parse(&u.uketsuke_nichiji)
            .map(|t| jst::format_date(jst::date_of(t)))
            .unwrap_or_else(|_| jst::format_date(today));
        let row = FileRow {
            uketsuke_bango: reception_number,
            file_name: file_name.clone(),
            uketsuke_nichiji: u.uketsuke_nichiji,
            uketsuke_bi,
            kensuu: if u.kensuu > 0 {
                u.kensuu
            } else {
                range.len() as u64
            },
            bytes: if u.bytes > 0 {
                u.bytes
            } else {
                text.len() as u64
            },
            jokyo: file::UKETSUKEZUMI.to_owned(),
        };
        let okutta: Vec<Okutta<'_>> = range
            .clone()
            .enumerate()
            .map(|(i, k)| Okutta {
                record_no: i as u64 + 1,
                record_id: ids[k].clone(),
                sousa: &ops[k],
            })
            .collect();
        ctx.app.store().kizon_sent(&row, &okutta).map_err(db)?;
        report.files_sent += 1;
        report.records_sent += range.len();
    }
    Ok(())
}

/// 6. 自動応答不可の設定を正本に合わせます。
async fn jidou_outou_fuka(
    ctx: &mut Ctx<'_>,
    wanted: &[DatasetRef],
    report: &mut Report,
) -> std::result::Result<(), Tsuushin> {
    let now_set = match ctx.yomu(FUKA, &[]).await? {
        Reply::Ok { body, .. } => fuka_list(&body),
        Reply::Refused(e) => {
            report
                .refused
                .push(format!("{FUKA} (一覧): {}: {}", e.code, e.message));
            return Ok(());
        }
    };
    let wanted: BTreeSet<DatasetRef> = wanted.iter().cloned().collect();
    let changes: Vec<(&DatasetRef, &str)> = wanted
        .difference(&now_set)
        .map(|d| (d, "1"))
        .chain(now_set.difference(&wanted).map(|d| (d, "0")))
        .collect();
    for (d, flag) in changes {
        let reply = ctx
            .kaeru(
                FUKA,
                &[
                    ("特定個人情報名コード", &d.tokutei),
                    ("データセット識別項目コード", &d.dataset),
                    ("自動応答不可", flag),
                ],
            )
            .await?;
        let name = format!("{} {}", d.tokutei, d.dataset);
        match reply {
            Reply::Ok { .. } if flag == "1" => report.fuka_set.push(name),
            Reply::Ok { .. } => report.fuka_unset.push(name),
            Reply::Refused(e) => report.refused.push(format!(
                "{FUKA} ({name} → {flag}): {}: {}",
                e.code, e.message
            )),
        }
    }
    Ok(())
}

fn fuka_list(body: &crate::chukan::Elem) -> BTreeSet<DatasetRef> {
    body.all("自動応答不可データセット")
        .map(|d| DatasetRef {
            tokutei: d.text_of("特定個人情報名コード"),
            dataset: d.text_of("データセット識別項目コード"),
        })
        .collect()
}

/// 8. 突合: 送ったファイルがすべて処理済みなら、突合用ファイルの件数と自分の登録済みの件数を比べます。
async fn totsugou(ctx: &mut Ctx<'_>, report: &mut Report) -> std::result::Result<(), Tsuushin> {
    if ctx.seeded.has(DefectKind::FukuhonNoTotsugou) {
        // 不具合: 突合用ファイルを取らない。
        return Ok(());
    }
    if !ctx.app.store().kizon_files_open().map_err(db)?.is_empty() {
        return Ok(());
    }
    let path = "/xml/v1/exports/fukuhon-kanri.csv";
    let reply = ctx.get(path, MAX_EXPORT).await?;
    if !(200..300).contains(&reply.status) {
        let why = match denbun::file_reply(path, reply.status, &reply.body) {
            Ok(Err(e)) => format!("{path}: {} {}: {}", reply.status, e.code, e.message),
            _ => format!("{path}: HTTP {}", reply.status),
        };
        report.refused.push(why);
        return Ok(());
    }
    let rows = match file::kanri_csv(&reply.body) {
        Ok(rows) => rows,
        Err(e) => {
            report.refused.push(format!("{path}: {e}"));
            return Ok(());
        }
    };
    let jisha = ctx
        .app
        .store()
        .kizon_touroku_kensuu(ctx.seeded)
        .map_err(db)?;
    let t = Totsugou {
        kakunin_nichiji: ctx.now_text(),
        chukan_kensuu: rows.len(),
        jisha_kensuu: jisha,
        icchi: rows.len() == jisha,
    };
    let json = serde_json::to_string(&t).unwrap_or_default();
    ctx.app.store().set_meta(META_TOTSUGOU, &json).map_err(db)?;
    report.totsugou = Some(t);
    Ok(())
}

/// 保管できないのはその回を続けられない理由です。
fn db(e: Error) -> Tsuushin {
    Tsuushin(format!("保管できません: {}", e.0))
}
