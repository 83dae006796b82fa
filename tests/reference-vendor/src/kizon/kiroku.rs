//! 情報提供等記録の取り込み (`kiroku`、docs/kizon-gyomu.md「GET /kiroku」、TKM-01): 自分の側の記録
//! (照会者としての `照会`、提供者としての `提供`) を `IF_TKM_10911_R01` で検索して取り込みます。
//!
//! 「前回より後のもの」: 前回までに取り込んだ記録のうち、まだ提供結果の決まっていない (`未提供`) 記録の
//! 提供の求めの日時から (なければ最後に取り込んだ記録の提供の求めの日時から) 検索し直し、処理通番と記録区分
//! ごとに置き換えます。提供結果はあとから変わる (手動応答の送信許可、取りやめ、有効期間切れ) からです。
//! 1 回の検索の上限 (1,000 件) を超えるときは記録ファイル (`FI_TKM_0001.zip`) で全部を取ります。
//!
//! 記録の変更 (`kiroku_henkou`、docs/kizon-gyomu.md「記録の変更」、TKM-02a・TKM-02b): 職員が自分の側の記録に
//! 記録事項変更事由を登録し、不開示を設定・解除します (`IF_TKM_10912_R01`)。記録の変更はサービス提供時間内だけ
//! なので (docs/chukan-shoukai.md「時間」)、時間外なら覚えておき、時間内の次の `kiroku_henkou` か `kiroku` で送ります。
//! 変えた記録を取り込み済みなら、応答の記録で置き換えます (記録事項変更事由が変わった記録の読み直し)。

use super::jikan;
use super::{Ctx, Tsuushin};
use crate::chukan::Elem;
use crate::chukan::client::MAX_EXPORT;
use crate::chukan::denbun::{self, Reply};
use crate::defects::DefectKind;
use crate::error::{Error, Result};
use crate::jst;
use crate::store::KirokuRow;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::Read;

pub const KENSAKU: &str = "IF_TKM_10911_R01";
pub const HENKOU: &str = "IF_TKM_10912_R01";
const META_FROM: &str = "kizon_kiroku_from";
/// 時間外で送れなかった記録の変更 (JSON の配列)。
const META_HENKOU_MACHI: &str = "kizon_kiroku_henkou_machi";
/// 時間外の断り (記録の変更は登録されていない): 時間内に送り直します。
const ATODE: [&str; 2] = ["SK30", "SK31"];
const MIKEIKYOU: &str = "未提供";

/// `kiroku` の報告。
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// 検索の開始日時 (含む)。初回は `None` (すべて)。
    pub from: Option<String>,
    /// 取り込んだ (置き換えた) 記録の数。
    pub torikomi: usize,
    /// 記録ファイルで取ったか。
    pub zip: bool,
    pub notes: Vec<String>,
    pub stopped: Option<String>,
}

/// `kiroku`: 自分の側の情報提供等記録を取り込みます (その前に、時間外で待たせていた記録の変更を送ります)。
pub async fn kiroku(ctx: &mut Ctx<'_>) -> Result<Report> {
    let mut report = Report::default();
    let outcome = async {
        let mut henkou = HenkouReport::default();
        henkou_machi(ctx, &mut henkou).await?;
        report.notes.append(&mut henkou.notes);
        run(ctx, &mut report).await
    }
    .await;
    if let Err(Tsuushin(why)) = outcome {
        report.stopped = Some(why);
    }
    Ok(report)
}

/// 職員の記録の変更 (`kiroku_henkou` のパラメータ)。
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Henkou {
    pub shori_tsuuban: String,
    /// 記録事項変更事由 (追記)。`None` なら登録しない。
    pub jiyuu: Option<String>,
    /// 不開示を設定 (`true`)・解除 (`false`)。`None` なら変えない。
    pub fukaiji: Option<bool>,
}

/// `kiroku_henkou` の報告。
#[derive(Debug, Default, Serialize)]
pub struct HenkouReport {
    /// 中間サーバーで変えた記録の数。
    pub henkou: usize,
    /// 時間外なので覚えておき、次の回に送る変更の数。
    pub machi: usize,
    pub notes: Vec<String>,
    pub stopped: Option<String>,
}

/// `kiroku_henkou`: 職員が自分の側の記録 (`shori_tsuuban`) を直します。`jiyuu` も `fukaiji` も `None` なら
/// 何もしません。このシステムの知らない処理通番なら何もしません。
pub async fn kiroku_henkou(ctx: &mut Ctx<'_>, h: Henkou) -> Result<HenkouReport> {
    let mut report = HenkouReport::default();
    let outcome = async {
        henkou_machi(ctx, &mut report).await?;
        henkou_one(ctx, h, &mut report).await
    }
    .await;
    if let Err(Tsuushin(why)) = outcome {
        report.stopped = Some(why);
    }
    Ok(report)
}

async fn henkou_one(
    ctx: &mut Ctx<'_>,
    mut h: Henkou,
    report: &mut HenkouReport,
) -> std::result::Result<(), Tsuushin> {
    if ctx.seeded.has(DefectKind::KirokuJiyuuIgnored) {
        // 不具合: 記録事項変更事由を送らない (不開示は送る)。
        h.jiyuu = None;
    }
    if ctx.seeded.has(DefectKind::KirokuFukaijiIgnored) {
        // 不具合: 不開示を送らない (記録事項変更事由は送る)。
        h.fukaiji = None;
    }
    if h.jiyuu.is_none() && h.fukaiji.is_none() {
        report.notes.push(format!(
            "処理通番 {}: 変えるもの (jiyuu、fukaiji) がありません",
            h.shori_tsuuban
        ));
        return Ok(());
    }
    if !shitteiru(ctx, &h.shori_tsuuban).await? {
        report.notes.push(format!(
            "処理通番 {} の自分の側の記録を知りません (何もしません)",
            h.shori_tsuuban
        ));
        return Ok(());
    }
    okuru(ctx, h, report).await
}

/// このシステムが知っている処理通番か: 照会した・取り込んだ・通知で知ったもの。なければ自分の側の記録を
/// 処理通番で検索します (読むだけ)。
async fn shitteiru(ctx: &mut Ctx<'_>, shori_tsuuban: &str) -> std::result::Result<bool, Tsuushin> {
    if ctx
        .app
        .store()
        .kizon_knows_tsuuban(shori_tsuuban)
        .map_err(db)?
    {
        return Ok(true);
    }
    Ok(
        match ctx.yomu(KENSAKU, &[("処理通番", shori_tsuuban)]).await? {
            Reply::Ok { body, .. } => body.all("情報提供等記録").next().is_some(),
            Reply::Refused(_) => false,
        },
    )
}

/// 記録の変更を送ります。時間外なら覚えておきます。
async fn okuru(
    ctx: &mut Ctx<'_>,
    h: Henkou,
    report: &mut HenkouReport,
) -> std::result::Result<(), Tsuushin> {
    let j = jikan::jikan(ctx.now, ctx.seeded);
    if !j.okureru() {
        report.notes.push(format!(
            "処理通番 {}: {} なので、記録の変更は時間内の次の回に送ります",
            h.shori_tsuuban,
            j.as_str()
        ));
        return machi_ni(ctx, h, report);
    }
    let fukaiji = h.fukaiji.map(|f| if f { "1" } else { "0" });
    let mut body: Vec<(&str, &str)> = vec![("処理通番", &h.shori_tsuuban)];
    if let Some(jiyuu) = &h.jiyuu {
        body.push(("記録事項変更事由", jiyuu));
    }
    if let Some(f) = fukaiji {
        body.push(("不開示", f));
    }
    match ctx.kaeru(HENKOU, &body).await? {
        Reply::Ok { body, .. } => {
            let rows: Vec<KirokuRow> = body.all("情報提供等記録").map(kiroku_row).collect();
            report.henkou += rows.len();
            // 取り込み済みの記録は、変えたあとの記録で置き換えます。
            let mut store = ctx.app.store();
            let have: HashSet<(String, String)> = store
                .kizon_kiroku_all()
                .map_err(db)?
                .into_iter()
                .map(|r| (r.shori_tsuuban, r.kiroku_kubun))
                .collect();
            let known: Vec<KirokuRow> = rows
                .into_iter()
                .filter(|r| have.contains(&(r.shori_tsuuban.clone(), r.kiroku_kubun.clone())))
                .collect();
            store.kizon_kiroku_upsert(&known).map_err(db)?;
            Ok(())
        }
        Reply::Refused(e) if ATODE.contains(&e.code.as_str()) => {
            report.notes.push(format!(
                "処理通番 {}: 記録の変更を断られました ({}): 時間内の次の回に送ります",
                h.shori_tsuuban, e.code
            ));
            machi_ni(ctx, h, report)
        }
        Reply::Refused(e) => {
            report.notes.push(format!(
                "処理通番 {}: {HENKOU}: {}: {}",
                h.shori_tsuuban, e.code, e.message
            ));
            Ok(())
        }
    }
}

/// 時間外で送れなかった変更を覚えておきます。
fn machi_ni(
    ctx: &mut Ctx<'_>,
    h: Henkou,
    report: &mut HenkouReport,
) -> std::result::Result<(), Tsuushin> {
    let store = ctx.app.store();
    let mut machi: Vec<Henkou> = store
        .meta(META_HENKOU_MACHI)
        .map_err(db)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    machi.push(h);
    let text = serde_json::to_string(&machi).unwrap_or_else(|_| "[]".to_owned());
    store.set_meta(META_HENKOU_MACHI, &text).map_err(db)?;
    report.machi += 1;
    Ok(())
}

/// 時間外で待たせていた変更を、時間内なら古い順に送ります。
async fn henkou_machi(
    ctx: &mut Ctx<'_>,
    report: &mut HenkouReport,
) -> std::result::Result<(), Tsuushin> {
    let machi: Vec<Henkou> = ctx
        .app
        .store()
        .meta(META_HENKOU_MACHI)
        .map_err(db)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if machi.is_empty() || !jikan::jikan(ctx.now, ctx.seeded).okureru() {
        return Ok(());
    }
    ctx.app
        .store()
        .set_meta(META_HENKOU_MACHI, "[]")
        .map_err(db)?;
    let mut rest = machi.into_iter();
    while let Some(h) = rest.next() {
        if let Err(e) = okuru(ctx, h, report).await {
            // つながらない: まだ送っていない変更は覚えたままにします。
            for h in rest {
                machi_ni(ctx, h, report)?;
            }
            return Err(e);
        }
    }
    Ok(())
}

async fn run(ctx: &mut Ctx<'_>, report: &mut Report) -> std::result::Result<(), Tsuushin> {
    let from = ctx.app.store().meta(META_FROM).map_err(db)?;
    report.from = from.clone();
    let mut body: Vec<(&str, &str)> = Vec::new();
    if let Some(f) = &from {
        body.push(("開始日時", f));
    }
    let rows = match ctx.yomu(KENSAKU, &body).await? {
        Reply::Ok { body, .. } => {
            let records: Vec<&Elem> = body.all("情報提供等記録").collect();
            let total: usize = body
                .get("該当件数")
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(records.len());
            if total > records.len() {
                report.zip = true;
                match zip_rows(ctx, from.as_deref()).await? {
                    Ok(rows) => rows,
                    Err(e) => {
                        report.notes.push(e);
                        return Ok(());
                    }
                }
            } else {
                records.into_iter().map(kiroku_row).collect()
            }
        }
        Reply::Refused(e) => {
            report
                .notes
                .push(format!("{KENSAKU}: {}: {}", e.code, e.message));
            return Ok(());
        }
    };
    let rows: Vec<KirokuRow> = rows
        .into_iter()
        .filter(|r| {
            !(ctx.seeded.has(DefectKind::KirokuGaitouNashiDropped) && r.teikyou_kekka == "該当なし")
        })
        .collect();
    report.torikomi = rows.len();
    let mut store = ctx.app.store();
    store.kizon_kiroku_upsert(&rows).map_err(db)?;
    let all = store.kizon_kiroku_all().map_err(db)?;
    if let Some(next) = next_from(&all) {
        store.set_meta(META_FROM, &next).map_err(db)?;
    }
    Ok(())
}

/// 次の検索の開始日時: 提供結果の決まっていない記録のうち最も古い提供の求めの日時、なければ最も新しいもの。
fn next_from(all: &[KirokuRow]) -> Option<String> {
    let key = |r: &&KirokuRow| {
        jst::parse(&r.motome_nichiji)
            .ok()
            .map(|t| t.unix_timestamp_nanos())
    };
    let open = all
        .iter()
        .filter(|r| r.teikyou_kekka == MIKEIKYOU)
        .min_by_key(key);
    open.or_else(|| all.iter().max_by_key(key))
        .map(|r| r.motome_nichiji.clone())
}

/// `情報提供等記録` の1件を自分の側の記録の形に。相手は、照会の記録なら情報提供者、提供の記録なら情報照会者です。
fn kiroku_row(k: &Elem) -> KirokuRow {
    let kubun = k.text_of("記録区分");
    let aite = if kubun == "提供" {
        k.text_of("情報照会者機関コード")
    } else {
        k.text_of("情報提供者機関コード")
    };
    KirokuRow {
        shori_tsuuban: k.text_of("処理通番"),
        kiroku_kubun: kubun,
        aite,
        tokutei: k.text_of("特定個人情報名コード"),
        tougou_atena_bango: k.text_of("団体内統合宛名番号"),
        teikyou_kekka: k.text_of("提供結果"),
        motome_nichiji: k.text_of("提供の求めの日時"),
    }
}

/// 記録ファイル (`FI_TKM_0001.zip`) で取ります。外側の `Err` はつながらない、内側の `Err` は読めない理由。
async fn zip_rows(
    ctx: &mut Ctx<'_>,
    from: Option<&str>,
) -> std::result::Result<std::result::Result<Vec<KirokuRow>, String>, Tsuushin> {
    let mut path = "/xml/v1/exports/FI_TKM_0001.zip".to_owned();
    if let Some(f) = from {
        path.push_str(&format!("?from={}", crate::pittari::percent_encode(f)));
    }
    let reply = ctx.get(&path, MAX_EXPORT).await?;
    if !(200..300).contains(&reply.status) {
        let why = match denbun::file_reply(&path, reply.status, &reply.body) {
            Ok(Err(e)) => format!("{path}: {}: {}", e.code, e.message),
            _ => format!("{path}: HTTP {}", reply.status),
        };
        return Ok(Err(why));
    }
    Ok(read_zip(&reply.body).map_err(|e| format!("{path}: {e}")))
}

/// 記録ファイルの ZIP の CSV をすべて読みます (docs/chukan-shoukai.md「検索と出力」の見出し)。
pub fn read_zip(bytes: &[u8]) -> std::result::Result<Vec<KirokuRow>, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("ZIP として読めません: {e}"))?;
    let mut out = Vec::new();
    for n in 0..archive.len() {
        let mut entry = archive
            .by_index(n)
            .map_err(|e| format!("ZIP の {}番目のファイルを読めません: {e}", n + 1))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if !name.ends_with(".csv") {
            continue;
        }
        let mut text = Vec::new();
        entry
            .by_ref()
            .take(MAX_EXPORT as u64)
            .read_to_end(&mut text)
            .map_err(|e| format!("{name} を読めません: {e}"))?;
        out.extend(read_csv(&text).map_err(|e| format!("{name}: {e}"))?);
    }
    Ok(out)
}

fn read_csv(bytes: &[u8]) -> std::result::Result<Vec<KirokuRow>, String> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| format!("見出しを読めません: {e}"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("列「{name}」がありません"))
    };
    let (t, k, s, p, m, a, d, r) = (
        col("処理通番")?,
        col("記録区分")?,
        col("情報照会者機関コード")?,
        col("情報提供者機関コード")?,
        col("特定個人情報名コード")?,
        col("団体内統合宛名番号")?,
        col("提供の求めの日時")?,
        col("提供結果")?,
    );
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("{}行目を読めません: {e}", i + 2))?;
        let get = |c: usize| row.get(c).unwrap_or_default().to_owned();
        let kubun = get(k);
        out.push(KirokuRow {
            shori_tsuuban: get(t),
            aite: if kubun == "提供" { get(s) } else { get(p) },
            kiroku_kubun: kubun,
            tokutei: get(m),
            tougou_atena_bango: get(a),
            teikyou_kekka: get(r),
            motome_nichiji: get(d),
        });
    }
    Ok(out)
}

fn db(e: Error) -> Tsuushin {
    Tsuushin(format!("保管できません: {}", e.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_other_party_depends_on_the_side() {
        let k = Elem::parse(
            "<情報提供等記録><処理通番>2026040700000001</処理通番><記録区分>提供</記録区分><MSGMode>1</MSGMode>\
             <情報照会者機関コード>9913101600000000</情報照会者機関コード><情報提供者機関コード>9913208000000000</情報提供者機関コード>\
             <事務コード>JM00000000000074</事務コード><事務手続コード>JT00000000007401</事務手続コード>\
             <特定個人情報名コード>TM00000000000002</特定個人情報名コード><団体内統合宛名番号>000000400000001</団体内統合宛名番号>\
             <提供の求めの日時>2026-04-07T09:00:00+09:00</提供の求めの日時><提供の日時>2026-04-07T09:00:00+09:00</提供の日時>\
             <提供結果>提供</提供結果><応答方法>自動応答</応答方法><不開示>0</不開示></情報提供等記録>",
        )
        .unwrap();
        let r = kiroku_row(&k);
        assert_eq!(r.aite, "9913101600000000", "提供の記録の相手は照会者");
        assert_eq!(r.teikyou_kekka, "提供");
        let mut k2 = k.clone();
        for c in &mut k2.children {
            if c.name == "記録区分" {
                c.text = "照会".into();
            }
        }
        assert_eq!(
            kiroku_row(&k2).aite,
            "9913208000000000",
            "照会の記録の相手は提供者"
        );
    }

    #[test]
    fn the_next_search_starts_at_the_oldest_open_record() {
        let row = |t: &str, kekka: &str, at: &str| KirokuRow {
            shori_tsuuban: t.into(),
            kiroku_kubun: "照会".into(),
            aite: "a".into(),
            tokutei: "m".into(),
            tougou_atena_bango: "x".into(),
            teikyou_kekka: kekka.into(),
            motome_nichiji: at.into(),
        };
        let all = vec![
            row("1", "提供", "2026-04-07T09:00:00+09:00"),
            row("2", "未提供", "2026-04-08T09:00:00+09:00"),
            row("3", "該当なし", "2026-04-09T09:00:00.5+09:00"),
        ];
        assert_eq!(
            next_from(&all).as_deref(),
            Some("2026-04-08T09:00:00+09:00")
        );
        assert_eq!(
            next_from(&all[..1]).as_deref(),
            Some("2026-04-07T09:00:00+09:00")
        );
        let closed = [all[0].clone(), all[2].clone()];
        assert_eq!(
            next_from(&closed).as_deref(),
            Some("2026-04-09T09:00:00.5+09:00")
        );
        assert!(next_from(&[]).is_none());
    }

    #[test]
    fn reads_the_record_file() {
        let csv = "処理通番,記録区分,MSGMode,情報照会者機関コード,情報提供者機関コード,事務コード,事務手続コード,特定個人情報名コード,団体内統合宛名番号,提供の求めの日時,提供の日時,提供結果,応答方法,記録事項変更事由,記録事項変更事由の登録日時,不開示\r\n\
2026040700000001,照会,1,9913101600000000,9913208000000000,JM00000000000074,JT00000000007401,TM00000000000002,000000100000004,2026-04-07T09:00:00+09:00,,該当なし,自動応答,\"a,b\",,0\r\n";
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            w.start_file(
                "TKM_9913101600000000_20260407090000_001.csv",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            std::io::Write::write_all(&mut w, csv.as_bytes()).unwrap();
            w.finish().unwrap();
        }
        let rows = read_zip(buf.get_ref()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].aite, "9913208000000000");
        assert_eq!(rows[0].teikyou_kekka, "該当なし");
        assert!(read_zip(b"not a zip").is_err());
    }
}
