//! 情報提供 (TKY): what a 提供者's 職員 does through its 既存システム (docs/chukan-api.md
//! "情報提供"). 提供の求め are answered from the 副本 at once (自動応答) unless the dataset is set
//! 自動応答不可: then they wait in the tenant's queue for 確認 and 送信許可 (seed 004 §6.4,
//! §3.3 #8).
//!
//! | 電文 | what |
//! |---|---|
//! | `IF_TKY_10811_R01` | 情報提供状況の取得: one 提供の求め by 処理通番, or the list (the queue with 未回答のみ) |
//! | `IF_TKY_10812_R01` | 自動応答不可対象の確認 |
//! | `IF_TKY_10813_R01` | 情報提供内容の送信許可 |
//! | `IF_TKY_10814_R01` | 自動応答不可の設定 (データセット単位) and its list |

use super::denbun::{DenbunError, Request as Denbun};
use super::joho_renkei::{Xml, denbun_error, flag, shori_tsuuban, teikyou_xml};
use super::platform::{Chukan, Tenant};
use super::server::Reply;
use crate::nws::shoukai::{ShoukaiError, Teikyou};

const IRAI: [&str; 2] = ["依頼元部署コード", "依頼元ユーザID"];

fn allowed(own: &[&'static str]) -> Vec<&'static str> {
    IRAI.iter().chain(own).copied().collect()
}

fn reply(found: &[Teikyou]) -> Reply {
    let mut xml = Xml::new(2);
    for teikyou in found {
        teikyou_xml(&mut xml, teikyou);
    }
    Reply {
        reception: String::new(),
        body: xml.finish(),
    }
}

/// IF_TKY_10811_R01 情報提供状況の取得.
pub fn joukyou(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&["処理通番", "未回答のみ"]))?;
    let engine = chukan.shoukai();
    let found = match request.optional("処理通番") {
        Some(number) => vec![
            engine
                .teikyou(tenant.kikan(), shori_tsuuban("処理通番", number)?)
                .map_err(denbun_error)?,
        ],
        None => {
            let pending = request
                .optional("未回答のみ")
                .map(|t| flag("未回答のみ", t))
                .transpose()?
                .unwrap_or(false);
            engine
                .teikyou_ichiran(tenant.kikan(), pending)
                .map_err(denbun_error)?
        }
    };
    Ok(reply(&found))
}

/// IF_TKY_10812_R01 自動応答不可対象の確認: the 副本 are looked up again and the 提供 waits for the
/// 送信許可.
pub fn kakunin(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&["処理通番"]))?;
    let number = shori_tsuuban("処理通番", request.required("処理通番")?)?;
    let teikyou = chukan
        .shoukai()
        .kakunin(tenant.kikan(), number)
        .map_err(denbun_error)?;
    Ok(reply(&[teikyou]))
}

/// IF_TKY_10813_R01 情報提供内容の送信許可: the checked content goes to the 照会者.
pub fn kyoka(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&["処理通番"]))?;
    let number = shori_tsuuban("処理通番", request.required("処理通番")?)?;
    let teikyou = chukan
        .shoukai()
        .soushin_kyoka(tenant.kikan(), number)
        .map_err(denbun_error)?;
    Ok(reply(&[teikyou]))
}

/// IF_TKY_10814_R01 自動応答不可の設定: sets or clears 自動応答不可 for one データセット of a
/// 特定個人情報 (all three items), or with none of them only lists the settings. The answer is the
/// tenant's datasets set 自動応答不可.
pub fn fuka(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    const ITEMS: [&str; 3] = [
        "特定個人情報名コード",
        "データセット識別項目コード",
        "自動応答不可",
    ];
    request.only(&allowed(&ITEMS))?;
    let source = chukan.teikyou_source();
    if ITEMS.iter().any(|i| request.optional(i).is_some()) {
        let tokutei_text = request.required(ITEMS[0])?;
        let tokutei = tokutei_text
            .parse()
            .map_err(|e| DenbunError::bad(ITEMS[0], e))?;
        let dataset = request.required(ITEMS[1])?;
        let on = flag(ITEMS[2], request.required(ITEMS[2])?)?;
        let layouts = chukan.layouts();
        let known = layouts
            .tokutei(&tokutei)
            .ok_or_else(|| denbun_error(ShoukaiError::UnknownTokutei { tokutei }))?;
        if !known.layouts.iter().any(|l| l.dataset(dataset).is_some()) {
            return Err(DenbunError::bad(
                ITEMS[1],
                format!(
                    "「{dataset}」は特定個人情報「{}」のデータセットではありません (データ標準レイアウト)",
                    known.short_name
                ),
            ));
        }
        source
            .set_jidou_outou_fuka(
                chukan.db(),
                tenant.kikan(),
                tokutei,
                dataset,
                on,
                chukan.clock().now(),
            )
            .map_err(DenbunError::store)?;
    }
    let mut xml = Xml::new(2);
    for (tokutei, dataset) in source.jidou_outou_fuka(tenant.kikan()) {
        xml.open("自動応答不可データセット")
            .leaf("特定個人情報名コード", tokutei.as_str())
            .leaf("データセット識別項目コード", &dataset)
            .close("自動応答不可データセット");
    }
    Ok(Reply {
        reception: String::new(),
        body: xml.finish(),
    })
}
