//! 副本登録の1回の 7 (docs/kizon-gyomu.md「副本登録の1回」): **提供除外項目マスタ** を、登録する副本の
//! データセットについてデータ標準レイアウトの提供除外項目 (`layouts` の `provision_excluded`) に合わせます
//! (FUK-15、seed 004 §3.3 #9)。
//!
//! 中間サーバーは、提供者のテナントの提供除外項目マスタにある項目だけを提供から外します。マスタを
//! `IF_DBM_20116_R01` で読み、正本のデータセットのうち、マスタがレイアウトと違うものだけを提供除外項目マスタ
//! 登録要求ファイル (`FI_DBM_0003`) に書いて `IF_DBM_20115_R01` で送ります。登録はデータセットごとの置き換え
//! なので、足りない項目は足され、もう提供除外項目でない項目は外れます (項目名のないデータセットは空になります)。
//! 正本にないデータセットのマスタには触りません (docs/chukan-api.md「提供除外項目マスタ」)。

use super::super::catalog::Layouts;
use super::super::seihon::{DatasetRef, Seihon};
use super::super::{Ctx, Tsuushin};
use super::Report;
use crate::chukan::denbun::{Reply, escape};
use std::collections::{BTreeMap, BTreeSet};

/// 提供除外項目マスタ登録 (添付ファイル `FI_DBM_0003`)。
pub const TOUROKU: &str = "IF_DBM_20115_R01";
/// 提供除外項目マスタの照会。
pub const SHOUKAI: &str = "IF_DBM_20116_R01";
/// 提供除外項目マスタ登録要求ファイルのファイルID。
pub const FILE_ID: &str = "FI_DBM_0003";

/// データセット → 提供除外項目。
type Master = BTreeMap<DatasetRef, BTreeSet<String>>;

/// 正本のデータセットについて、マスタをレイアウトに合わせます。
pub async fn awaseru(
    ctx: &mut Ctx<'_>,
    seihon: &Seihon,
    layouts: &Layouts,
    report: &mut Report,
) -> std::result::Result<(), Tsuushin> {
    let datasets: BTreeSet<DatasetRef> = seihon
        .records
        .iter()
        .map(|r| DatasetRef {
            tokutei: r.tokutei.clone(),
            dataset: r.dataset.clone(),
        })
        .collect();
    if datasets.is_empty() {
        return Ok(());
    }
    let now = match ctx.yomu(SHOUKAI, &[]).await? {
        Reply::Ok { body, .. } => master_of(&body),
        Reply::Refused(e) => {
            report
                .refused
                .push(format!("{SHOUKAI} (照会): {}: {}", e.code, e.message));
            return Ok(());
        }
    };
    let changes: Vec<(DatasetRef, BTreeSet<String>)> = datasets
        .into_iter()
        .filter_map(|d| {
            let want = layouts.teikyou_jogai(&d.tokutei, &d.dataset);
            let have = now.get(&d).cloned().unwrap_or_default();
            (want != have).then_some((d, want))
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let file_name = format!("{FILE_ID}_{}.xml", ctx.run());
    let file = request_file(&ctx.config.dantai, &ctx.now_text(), &changes);
    let reply = ctx
        .tenpu(
            TOUROKU,
            &[("添付ファイル名", &file_name), ("添付ファイルID", FILE_ID)],
            &file_name,
            file.as_bytes(),
        )
        .await?;
    match reply {
        Reply::Ok { .. } => {
            for (d, items) in &changes {
                let items: Vec<&str> = items.iter().map(String::as_str).collect();
                report.jogai_touroku.push(format!(
                    "{} {}: [{}]",
                    d.tokutei,
                    d.dataset,
                    items.join("、")
                ));
            }
        }
        Reply::Refused(e) => report.refused.push(format!(
            "{TOUROKU} ({file_name}): {} {}: {}",
            e.http_status, e.code, e.message
        )),
    }
    Ok(())
}

fn master_of(body: &crate::chukan::Elem) -> Master {
    let mut master = Master::new();
    for item in body.all("提供除外項目") {
        master
            .entry(DatasetRef {
                tokutei: item.text_of("特定個人情報名コード"),
                dataset: item.text_of("データセット識別項目コード"),
            })
            .or_default()
            .insert(item.text_of("項目名"));
    }
    master
}

/// 提供除外項目マスタ登録要求ファイル (docs/chukan-api.md「提供除外項目マスタ」)。
pub fn request_file(
    dantai: &str,
    sakusei: &str,
    changes: &[(DatasetRef, BTreeSet<String>)],
) -> String {
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<提供除外項目マスタ登録要求>\n");
    xml.push_str(&format!(
        "  <ヘッダ>\n    <ファイルID>{FILE_ID}</ファイルID>\n    <団体コード>{}</団体コード>\n    <作成日時>{}</作成日時>\n  </ヘッダ>\n",
        escape(dantai),
        escape(sakusei)
    ));
    for (d, items) in changes {
        xml.push_str(&format!(
            "  <データセット>\n    <特定個人情報名コード>{}</特定個人情報名コード>\n    <データセット識別項目コード>{}</データセット識別項目コード>\n",
            escape(&d.tokutei),
            escape(&d.dataset)
        ));
        for item in items {
            xml.push_str(&format!("    <項目名>{}</項目名>\n", escape(item)));
        }
        xml.push_str("  </データセット>\n");
    }
    xml.push_str("</提供除外項目マスタ登録要求>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_dataset_per_change_and_empty_ones_clear() {
        let d = |t: &str, ds: &str| DatasetRef {
            tokutei: t.into(),
            dataset: ds.into(),
        };
        let x = request_file(
            "131016",
            "2026-04-06T09:00:00+09:00",
            &[
                (
                    d("TM00000000000002", "D0202"),
                    BTreeSet::from(["給与収入額".to_owned()]),
                ),
                (d("TM00000000000002", "D0201"), BTreeSet::new()),
            ],
        );
        assert!(x.contains("<ファイルID>FI_DBM_0003</ファイルID>"));
        assert!(x.contains("<団体コード>131016</団体コード>"));
        assert_eq!(x.matches("<データセット>").count(), 2);
        assert_eq!(x.matches("<項目名>").count(), 1);
        assert!(crate::xml::parse(&x).is_ok());
    }
}
