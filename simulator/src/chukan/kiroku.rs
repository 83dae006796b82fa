//! 情報提供等記録 (TKM) and the 通知 feed, as a tenant's 既存システム reads and changes them
//! (docs/chukan-api.md "情報提供等記録"). A tenant sees its own side only: the 照会 records of the
//! 照会 it made and the 提供 records of the 提供の求め it received.
//!
//! | 電文 / file | what |
//! |---|---|
//! | `IF_TKM_10911_R01` | 情報提供等記録の検索 (by 提供の求めの日時, 記録区分, 処理通番) |
//! | `IF_TKM_10912_R01` | 情報提供等記録の変更: 記録事項変更事由 and 不開示, one 処理通番 or every 明細 of a 受付 |
//! | `GET /xml/v1/exports/FI_TKM_0001.zip` | 情報提供等記録ファイル: CSV of at most 50,000 rows each, zipped (seed 004 §3.2 #1) |
//! | `IF_OSR_10611_R01` | 通知の取得: the feed after a cursor (seed 004 §3.2 #4) |

use std::io::Write as _;

use axum::http::StatusCode;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::denbun::{DenbunError, Request as Denbun};
use super::joho_renkei::{
    Xml, date_time, denbun_error, flag, kiroku_xml, shori_tsuuban, tsuuchi_xml, uketsuke_bango,
};
use super::platform::{Chukan, Tenant};
use super::server::Reply;
use crate::clock::JST;
use crate::nws::shoukai::{KirokuHenkou, KirokuKensaku, KirokuKubun};

/// The most records one 検索 answer lists (renkei's bound, to keep a 電文 under 1 MiB); the
/// export has them all.
pub const KENSAKU_MAX: usize = 1_000;

/// The most 通知 one answer lists, and how many when the 電文 does not say.
pub const TSUUCHI_MAX: usize = 1_000;

/// The 情報提供等記録ファイル's ID (the real file ID, seed 004 §3.2 #1).
pub const KIROKU_FILE_ID: &str = "FI_TKM_0001";

const IRAI: [&str; 2] = ["依頼元部署コード", "依頼元ユーザID"];

fn allowed(own: &[&'static str]) -> Vec<&'static str> {
    IRAI.iter().chain(own).copied().collect()
}

fn kubun(item: &str, text: &str) -> Result<KirokuKubun, DenbunError> {
    [KirokuKubun::Shoukai, KirokuKubun::Teikyou]
        .into_iter()
        .find(|k| k.label() == text)
        .ok_or_else(|| {
            DenbunError::bad(item, format!("「{text}」は 照会 でも 提供 でもありません"))
        })
}

/// IF_TKM_10911_R01 情報提供等記録の検索: this tenant's records whose 提供の求めの日時 is in
/// [開始日時, 終了日時), of one 記録区分 or one 処理通番 when given; by 提供の求めの日時. At most
/// [`KENSAKU_MAX`] are listed; `該当件数` says how many matched.
pub fn kensaku(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&["開始日時", "終了日時", "記録区分", "処理通番"]))?;
    let query = KirokuKensaku {
        from: request
            .optional("開始日時")
            .map(|t| date_time("開始日時", t))
            .transpose()?,
        until: request
            .optional("終了日時")
            .map(|t| date_time("終了日時", t))
            .transpose()?,
        kubun: request
            .optional("記録区分")
            .map(|t| kubun("記録区分", t))
            .transpose()?,
        msg_mode: None,
    };
    let number = request
        .optional("処理通番")
        .map(|t| shori_tsuuban("処理通番", t))
        .transpose()?;
    let found: Vec<_> = chukan
        .shoukai()
        .kiroku(tenant.kikan(), &query)
        .map_err(denbun_error)?
        .into_iter()
        .filter(|k| number.is_none_or(|n| k.shori_tsuuban == n))
        .collect();
    let mut xml = Xml::new(2);
    xml.leaf("該当件数", &found.len().to_string());
    for kiroku in found.iter().take(KENSAKU_MAX) {
        kiroku_xml(&mut xml, kiroku);
    }
    Ok(Reply {
        reception: String::new(),
        body: xml.finish(),
    })
}

/// IF_TKM_10912_R01 情報提供等記録の変更: adds a 記録事項変更事由 and / or sets 不開示 on this
/// tenant's record of one 処理通番, or on its records of every 明細 of a registration
/// (中間サーバー受付番号: 一括変更, seed 004 §3.2 #3). In service hours only.
pub fn henkou(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&[
        "処理通番",
        "中間サーバー受付番号",
        "記録事項変更事由",
        "不開示",
    ]))?;
    let henkou = KirokuHenkou {
        jiyuu: request.optional("記録事項変更事由").map(str::to_owned),
        fukaiji: request
            .optional("不開示")
            .map(|t| flag("不開示", t))
            .transpose()?,
    };
    let engine = chukan.shoukai();
    let changed = match (
        request.optional("処理通番"),
        request.optional("中間サーバー受付番号"),
    ) {
        (Some(number), None) => vec![
            engine
                .kiroku_henkou(tenant.kikan(), shori_tsuuban("処理通番", number)?, henkou)
                .map_err(denbun_error)?,
        ],
        (None, Some(number)) => engine
            .kiroku_henkou_ikkatsu(
                tenant.kikan(),
                uketsuke_bango("中間サーバー受付番号", number)?,
                henkou,
            )
            .map_err(denbun_error)?,
        _ => {
            return Err(DenbunError::new(
                StatusCode::BAD_REQUEST,
                "MISSING_ITEM",
                "項目「処理通番」か「中間サーバー受付番号」のどちらか一つを書いてください",
            )
            .item("処理通番"));
        }
    };
    let mut xml = Xml::new(2);
    for kiroku in &changed {
        kiroku_xml(&mut xml, kiroku);
    }
    Ok(Reply {
        reception: String::new(),
        body: xml.finish(),
    })
}

/// IF_OSR_10611_R01 通知の取得: this tenant's 通知 after 通知番号 `前回の通知番号` (0 or absent:
/// from the first), at most `最大件数` ([`TSUUCHI_MAX`]), oldest first. The last 通知番号 listed is
/// the next call's `前回の通知番号`: nothing is missed or read twice.
pub fn tsuuchi(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&["前回の通知番号", "最大件数"]))?;
    let number = |item: &str| -> Result<Option<u64>, DenbunError> {
        request
            .optional(item)
            .map(|t| {
                t.parse::<u64>().map_err(|_| {
                    DenbunError::bad(item, format!("「{t}」は 0 以上の整数ではありません"))
                })
            })
            .transpose()
    };
    let after = number("前回の通知番号")?.unwrap_or(0);
    let limit = match number("最大件数")? {
        None => TSUUCHI_MAX,
        Some(n) if (1..=TSUUCHI_MAX as u64).contains(&n) => n as usize,
        Some(n) => {
            return Err(DenbunError::bad(
                "最大件数",
                format!("{n} は 1〜{TSUUCHI_MAX} ではありません"),
            ));
        }
    };
    let feed = chukan
        .shoukai()
        .tsuuchi(tenant.kikan(), after, limit)
        .map_err(denbun_error)?;
    let mut xml = Xml::new(2);
    xml.leaf("件数", &feed.len().to_string());
    for tsuuchi in &feed {
        tsuuchi_xml(&mut xml, tsuuchi);
    }
    Ok(Reply {
        reception: String::new(),
        body: xml.finish(),
    })
}

/// Reads the query of the export (`from`, `until`, `kubun`; values percent-encoded, a `+` kept as
/// it is so that `+09:00` may be written plainly).
fn export_query(query: &str) -> Result<KirokuKensaku, DenbunError> {
    let mut kensaku = KirokuKensaku::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(raw)
            .ok_or_else(|| DenbunError::bad(key, "パーセントエンコードが不正です"))?;
        match key {
            "from" => kensaku.from = Some(date_time("from", &value)?),
            "until" => kensaku.until = Some(date_time("until", &value)?),
            "kubun" => kensaku.kubun = Some(kubun("kubun", &value)?),
            other => {
                return Err(DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "UNKNOWN_ELEMENT",
                    format!("パラメータ「{other}」はありません (from, until, kubun)"),
                )
                .item(other.to_owned()));
            }
        }
    }
    Ok(kensaku)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `GET /xml/v1/exports/FI_TKM_0001.zip`: this tenant's records matching the query, as the CSV
/// files of the engine (at most 50,000 rows each, `TKM_{機関コード}_{出力日時}_{連番}.csv`) in
/// one ZIP. Returns the ZIP's name and bytes.
pub fn export(
    chukan: &Chukan,
    tenant: &Tenant,
    query: &str,
) -> Result<(String, Vec<u8>), DenbunError> {
    let kensaku = export_query(query)?;
    let files = chukan
        .shoukai()
        .kiroku_csv(tenant.kikan(), &kensaku)
        .map_err(denbun_error)?;
    let now = chukan.clock().now().to_offset(JST);
    let stamp = zip::DateTime::from_date_and_time(
        now.year().clamp(1980, 2107) as u16,
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
    )
    .unwrap_or_default();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(stamp);
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for file in &files {
        writer
            .start_file(file.name.as_str(), options)
            .and_then(|()| writer.write_all(file.text.as_bytes()).map_err(Into::into))
            .map_err(DenbunError::store)?;
    }
    let bytes = writer.finish().map_err(DenbunError::store)?.into_inner();
    let name = files
        .first()
        .map(|f| f.name.replace("_001.csv", ".zip"))
        .unwrap_or_else(|| format!("{KIROKU_FILE_ID}.zip"));
    Ok((name, bytes))
}
