//! 提供除外項目マスタ (`TeikyouJogai` 提供除外項目; seed 004 §3.3 #9:
//! 「提供除外項目マスタ登録要求ファイルにより登録した提供除外項目マスタ登録内容を接続端末から照会可能とする」):
//! each tenant registers which items of its 副本 are never provided, and reads the master back.
//! 情報提供 ([`super::teikyou_source`]) leaves exactly these items out of what the tenant
//! provides; the layout catalog's `provision_excluded` is only what a 団体 is expected to register.
//!
//! | interface | what |
//! |---|---|
//! | `IF_DBM_20115_R01` + `FI_DBM_0003` (multipart, like `IF_DBM_20113_R01`) | 提供除外項目マスタ登録: the 提供除外項目マスタ登録要求ファイル as an attachment |
//! | `POST /xml/v1/files/FI_DBM_0003_….xml` | the same file on the サーバー間XMLデータ連携 route |
//! | `IF_DBM_20116_R01` | 提供除外項目マスタの照会 (the 登録内容) |
//!
//! A registration is processed at once (no night batch) and replaces, **per データセット named in
//! the file**, that dataset's 提供除外項目 (a dataset with no `項目名` has none any more); datasets
//! not named stay as they are. Every 特定個人情報, データセット and 項目名 is checked against the
//! データ標準レイアウト (any edition): an unknown one refuses the whole file (`UNKNOWN_LAYOUT_ITEM`,
//! naming the file, the データセット and the value), and nothing is registered. All numbers and
//! elements are renkei's (docs/chukan-api.md "提供除外項目マスタ").

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use renkei_fixtures::catalog::LayoutCatalog;
use renkei_fixtures::ids::TokuteiKojinJohoMeiCode;

use super::db::rfc3339;
use super::denbun::{DBM_JOGAI_TOUROKU, DenbunError, Node, Request as Denbun};
use super::joho_renkei::Xml;
use super::platform::{Chukan, Tenant};
use super::request_file;
use super::server::Reply;
use super::teikyou_source::{JogaiDataset, JogaiItem};

/// 提供除外項目マスタ登録要求ファイル (renkei-defined number).
pub const FILE_ID: &str = "FI_DBM_0003";
/// The document element of the file.
pub const ROOT: &str = "提供除外項目マスタ登録要求";
/// The document element of the answer on the file route.
pub const RESULT_ROOT: &str = "提供除外項目マスタ登録結果";
/// The largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

const IRAI: [&str; 2] = ["依頼元部署コード", "依頼元ユーザID"];
const TOKUTEI: &str = "特定個人情報名コード";
const DATASET: &str = "データセット識別項目コード";
const ITEM: &str = "項目名";

/// The error code of a 特定個人情報, データセット or 項目 the データ標準レイアウト does not have.
pub const UNKNOWN_LAYOUT_ITEM: &str = "UNKNOWN_LAYOUT_ITEM";

/// What the layout catalog says a 団体 should exclude: every dataset with a `provision_excluded`
/// item in some edition, with those items (by 特定個人情報, then dataset).
pub fn catalog_datasets(layouts: &LayoutCatalog) -> Vec<JogaiDataset> {
    let mut out = Vec::new();
    for tokutei in layouts.iter() {
        let mut datasets: Vec<&str> = tokutei
            .layouts
            .iter()
            .flat_map(|l| &l.datasets)
            .map(|d| d.code.as_str())
            .collect();
        datasets.sort_unstable();
        datasets.dedup();
        for code in datasets {
            let items: BTreeSet<String> = tokutei
                .layouts
                .iter()
                .filter_map(|l| l.dataset(code))
                .flat_map(|d| &d.items)
                .filter(|i| i.provision_excluded)
                .map(|i| i.name.clone())
                .collect();
            if !items.is_empty() {
                out.push(JogaiDataset {
                    tokutei: tokutei.code,
                    dataset: code.to_owned(),
                    items: items.into_iter().collect(),
                });
            }
        }
    }
    out
}

/// A 提供除外項目マスタ登録要求ファイル of `dantai` registering `datasets`, made at `at` (what a
/// 団体's system sends; renkei sends it when it plays a 団体).
pub fn request_file(
    dantai: renkei_fixtures::ids::DantaiCode,
    datasets: &[JogaiDataset],
    at: time::OffsetDateTime,
) -> String {
    let mut xml = Xml::new(1);
    xml.open("ヘッダ")
        .leaf("ファイルID", FILE_ID)
        .leaf("団体コード", dantai.as_str())
        .leaf("作成日時", &rfc3339(at))
        .close("ヘッダ");
    for d in datasets {
        xml.open("データセット")
            .leaf(TOKUTEI, d.tokutei.as_str())
            .leaf(DATASET, &d.dataset);
        for item in &d.items {
            xml.leaf(ITEM, item);
        }
        xml.close("データセット");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{ROOT}>\n{}</{ROOT}>\n",
        xml.finish()
    )
}

/// The meta key that says the tenants were started with the catalog's 提供除外項目.
const SEEDED: &str = "teikyou_jogai_from_layouts";

/// Starts every tenant with the layout catalog's 提供除外項目 ([`catalog_datasets`]) as its
/// 提供除外項目マスタ — the scenario's `[chukan] teikyou_jogai = "layouts"` — once per state file:
/// after a restart the tenants keep what they registered since.
pub fn seed_from_layouts(chukan: &Chukan) -> Result<(), super::db::DbError> {
    if chukan.db().meta(SEEDED)?.is_some() {
        return Ok(());
    }
    let datasets = catalog_datasets(chukan.layouts());
    let at = chukan.clock().now();
    for tenant in chukan.tenants() {
        chukan
            .teikyou_source()
            .set_teikyou_jogai(chukan.db(), tenant.kikan(), &datasets, at)?;
    }
    chukan.db().set_meta(SEEDED, &rfc3339(at))
}

/// An error in the file, naming it (and the データセット, counted from 1, when there is one).
fn in_file(file: &str, dataset: Option<usize>, error: DenbunError) -> DenbunError {
    request_file::in_file(
        file,
        dataset.map(|n| format!("{n}件目のデータセット")),
        error,
    )
}

fn unknown_element(within: &str, name: &str, allowed: &[&str]) -> DenbunError {
    DenbunError::new(
        StatusCode::BAD_REQUEST,
        "UNKNOWN_ELEMENT",
        format!(
            "{within}に要素「{name}」は置けません (置ける要素: {})",
            allowed.join(", ")
        ),
    )
    .item(name)
}

fn not_in_layout(item: &str, message: String) -> DenbunError {
    DenbunError::new(StatusCode::BAD_REQUEST, UNKNOWN_LAYOUT_ITEM, message).item(item)
}

/// A 特定個人情報名コード of the データ標準レイアウト.
fn known_tokutei(chukan: &Chukan, text: &str) -> Result<TokuteiKojinJohoMeiCode, DenbunError> {
    let code: TokuteiKojinJohoMeiCode = text.parse().map_err(|e| DenbunError::bad(TOKUTEI, e))?;
    if chukan.layouts().tokutei(&code).is_none() {
        return Err(not_in_layout(
            TOKUTEI,
            format!("特定個人情報名コード「{text}」はデータ標準レイアウトにありません"),
        ));
    }
    Ok(code)
}

/// Reads the 提供除外項目マスタ登録要求ファイル `file` of `tenant`: its データセット, checked
/// against the データ標準レイアウト.
pub fn read(
    chukan: &Chukan,
    tenant: &Tenant,
    file: &str,
    bytes: &[u8],
) -> Result<Vec<JogaiDataset>, DenbunError> {
    let tree = request_file::read(file, FILE_ID, ROOT, bytes, MAX_FILE_BYTES)?;
    let header = request_file::header(file, &tree)?;
    read_header(tenant, file, header)?;
    let mut datasets: Vec<JogaiDataset> = Vec::new();
    for (index, node) in tree.children.iter().skip(1).enumerate() {
        let number = index + 1;
        let at = |e| in_file(file, Some(number), e);
        if node.name != "データセット" {
            return Err(at(unknown_element(
                "ヘッダの後",
                &node.name,
                &["データセット"],
            )));
        }
        let dataset = read_dataset(chukan, node).map_err(at)?;
        if datasets
            .iter()
            .any(|d| d.tokutei == dataset.tokutei && d.dataset == dataset.dataset)
        {
            return Err(at(DenbunError::new(
                StatusCode::BAD_REQUEST,
                "DUPLICATE_ELEMENT",
                format!(
                    "特定個人情報名コード「{}」のデータセット「{}」が2回あります (1つのデータセットは1回だけ書きます)",
                    dataset.tokutei, dataset.dataset
                ),
            )
            .item(DATASET)));
        }
        datasets.push(dataset);
    }
    if datasets.is_empty() {
        return Err(in_file(
            file,
            None,
            DenbunError::new(
                StatusCode::BAD_REQUEST,
                "MISSING_ITEM",
                "データセットが一つもありません (登録するデータセットを1つ以上書きます)",
            )
            .item("データセット"),
        ));
    }
    Ok(datasets)
}

/// The ヘッダ: ファイルID `FI_DBM_0003`, the 団体コード of this tenant, 作成日時 (optional).
fn read_header(tenant: &Tenant, file: &str, header: &Node) -> Result<(), DenbunError> {
    const ALLOWED: [&str; 3] = ["ファイルID", "団体コード", "作成日時"];
    for (i, child) in header.children.iter().enumerate() {
        if !ALLOWED.contains(&child.name.as_str()) || !child.children.is_empty() {
            return Err(in_file(
                file,
                None,
                unknown_element("ヘッダ", &child.name, &ALLOWED),
            ));
        }
        if header.children[..i].iter().any(|c| c.name == child.name) {
            return Err(in_file(
                file,
                None,
                DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "DUPLICATE_ELEMENT",
                    format!("ヘッダの要素「{}」が2つ以上あります", child.name),
                )
                .item(child.name.clone()),
            ));
        }
    }
    let get = |name: &str| {
        header
            .children
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.text.as_str())
            .filter(|t| !t.is_empty())
    };
    let id =
        get("ファイルID").ok_or_else(|| in_file(file, None, DenbunError::missing("ファイルID")))?;
    if id != FILE_ID {
        return Err(in_file(
            file,
            None,
            DenbunError::bad(
                "ファイルID",
                format!(
                    "「{id}」は提供除外項目マスタ登録要求ファイルのファイルID {FILE_ID} ではありません"
                ),
            ),
        ));
    }
    let dantai =
        get("団体コード").ok_or_else(|| in_file(file, None, DenbunError::missing("団体コード")))?;
    if dantai != tenant.dantai.code.as_str() {
        return Err(in_file(
            file,
            None,
            DenbunError::new(
                StatusCode::FORBIDDEN,
                "OTHER_TENANT",
                format!(
                    "団体コード「{dantai}」はこのクライアント証明書の中間サーバー ({} {}) の団体ではありません: 他団体の提供除外項目マスタは登録できません",
                    tenant.dantai.code, tenant.dantai.name
                ),
            )
            .item("団体コード"),
        ));
    }
    Ok(())
}

/// One `<データセット>`: 特定個人情報名コード, データセット識別項目コード, 項目名 (0 or more).
fn read_dataset(chukan: &Chukan, node: &Node) -> Result<JogaiDataset, DenbunError> {
    const ALLOWED: [&str; 3] = [TOKUTEI, DATASET, ITEM];
    for (i, child) in node.children.iter().enumerate() {
        if !ALLOWED.contains(&child.name.as_str()) || !child.children.is_empty() {
            return Err(unknown_element("データセット", &child.name, &ALLOWED));
        }
        let twice = node.children[..i]
            .iter()
            .any(|c| c.name == child.name && (c.name != ITEM || c.text == child.text));
        if twice {
            let what = if child.name == ITEM {
                format!("項目名「{}」が2回あります", child.text)
            } else {
                format!("要素「{}」が2つ以上あります", child.name)
            };
            return Err(
                DenbunError::new(StatusCode::BAD_REQUEST, "DUPLICATE_ELEMENT", what)
                    .item(child.name.clone()),
            );
        }
    }
    let get = |name: &str| {
        node.children
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.text.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| DenbunError::missing(name))
    };
    let tokutei = known_tokutei(chukan, get(TOKUTEI)?)?;
    let code = get(DATASET)?;
    let catalog = chukan
        .layouts()
        .tokutei(&tokutei)
        .expect("checked by known_tokutei");
    let editions: Vec<_> = catalog
        .layouts
        .iter()
        .filter_map(|l| l.dataset(code))
        .collect();
    if editions.is_empty() {
        return Err(not_in_layout(
            DATASET,
            format!(
                "データセット識別項目コード「{code}」は特定個人情報「{}」({tokutei}) のデータセットではありません (データ標準レイアウト)",
                catalog.short_name
            ),
        ));
    }
    let mut items = Vec::new();
    for child in node.children.iter().filter(|c| c.name == ITEM) {
        let name = child.text.as_str();
        if name.is_empty() {
            return Err(DenbunError::missing(ITEM));
        }
        if !editions.iter().any(|d| d.item(name).is_some()) {
            return Err(not_in_layout(
                ITEM,
                format!(
                    "項目名「{name}」は特定個人情報「{}」のデータセット {code} の項目ではありません (データ標準レイアウト)",
                    catalog.short_name
                ),
            ));
        }
        items.push(name.to_owned());
    }
    Ok(JogaiDataset {
        tokutei,
        dataset: code.to_owned(),
        items,
    })
}

/// Reads and registers the file: what the file named, and when.
fn register(
    chukan: &Chukan,
    tenant: &Tenant,
    file: &str,
    bytes: &[u8],
) -> Result<(usize, String), DenbunError> {
    let datasets = read(chukan, tenant, file, bytes)?;
    let at = chukan.clock().now();
    chukan
        .teikyou_source()
        .set_teikyou_jogai(chukan.db(), tenant.kikan(), &datasets, at)
        .map_err(DenbunError::store)?;
    Ok((datasets.len(), rfc3339(at)))
}

/// `<提供除外項目>` for each item of the master.
fn master_xml(xml: &mut Xml, items: &[JogaiItem]) {
    for item in items {
        xml.open("提供除外項目")
            .leaf(TOKUTEI, item.tokutei.as_str())
            .leaf(DATASET, &item.dataset)
            .leaf(ITEM, &item.item)
            .leaf("登録日時", &item.registered_at)
            .close("提供除外項目");
    }
}

/// `POST /xml/v1/files/FI_DBM_0003_….xml`: registers the file and answers
/// `<提供除外項目マスタ登録結果>` with the tenant's whole master. Call on a blocking thread.
pub fn upload(
    chukan: &Chukan,
    tenant: &Tenant,
    file: &str,
    bytes: &[u8],
) -> Result<String, DenbunError> {
    let (count, at) = register(chukan, tenant, file, bytes)?;
    let mut xml = Xml::new(1);
    xml.leaf("ファイル名", file)
        .leaf("ファイルID", FILE_ID)
        .leaf("登録日時", &at)
        .leaf("データセット数", &count.to_string());
    master_xml(
        &mut xml,
        &chukan.teikyou_source().teikyou_jogai(tenant.kikan()),
    );
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{RESULT_ROOT} 版=\"1\">\n{}</{RESULT_ROOT}>\n",
        xml.finish()
    ))
}

/// IF_DBM_20116_R01 提供除外項目マスタの照会: the tenant's master, or its items of one
/// 特定個人情報 (and データセット).
pub fn shoukai(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    let allowed: Vec<&str> = IRAI.iter().copied().chain([TOKUTEI, DATASET]).collect();
    request.only(&allowed)?;
    let tokutei = request
        .optional(TOKUTEI)
        .map(|t| known_tokutei(chukan, t))
        .transpose()?;
    let dataset = request.optional(DATASET);
    let items: Vec<JogaiItem> = chukan
        .teikyou_source()
        .teikyou_jogai(tenant.kikan())
        .into_iter()
        .filter(|i| tokutei.is_none_or(|t| i.tokutei == t))
        .filter(|i| dataset.is_none_or(|d| i.dataset == d))
        .collect();
    let mut xml = Xml::new(2);
    xml.leaf("件数", &items.len().to_string());
    master_xml(&mut xml, &items);
    Ok(Reply {
        reception: String::new(),
        body: xml.finish(),
    })
}

/// IF_DBM_20115_R01 提供除外項目マスタ登録: `message` (the 電文) then `attachment` (the
/// 提供除外項目マスタ登録要求ファイル), as multipart/form-data. Returns the 電文 as received (for
/// the journal) and the request with its outcome, or what could not be read.
pub async fn ws_registration(
    chukan: &Chukan,
    tenant: &Arc<Tenant>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Bytes, Denbun, Result<Reply, DenbunError>), (Bytes, DenbunError)> {
    let (mut multipart, message, request) =
        super::multipart::read_message(DBM_JOGAI_TOUROKU, headers, body).await?;
    let outcome = async {
        let (file_name, file) = super::multipart::read_attachment(
            tenant,
            &request,
            &mut multipart,
            FILE_ID,
            MAX_FILE_BYTES,
        )
        .await?;
        let chukan = chukan.clone();
        let tenant = tenant.clone();
        tokio::task::spawn_blocking(move || {
            let (count, at) = register(&chukan, &tenant, &file_name, &file)?;
            let mut xml = Xml::new(2);
            xml.leaf("添付ファイル名", &file_name)
                .leaf("添付ファイルID", FILE_ID)
                .leaf("登録日時", &at)
                .leaf("データセット数", &count.to_string());
            master_xml(
                &mut xml,
                &chukan.teikyou_source().teikyou_jogai(tenant.kikan()),
            );
            Ok(Reply {
                reception: String::new(),
                body: xml.finish(),
            })
        })
        .await
        .unwrap_or_else(|error| Err(DenbunError::store(error)))
    }
    .await;
    Ok((message, request, outcome))
}

/// `POST /xml/v1/files/FI_DBM_0003_….xml`, read whole (at most [`MAX_FILE_BYTES`]): the
/// answer's XML or the error, and what to record of the request (the file: it holds no
/// personal data).
pub async fn upload_route(
    chukan: Chukan,
    tenant: Arc<Tenant>,
    name: String,
    body: Body,
) -> (Bytes, Result<String, DenbunError>) {
    let bytes = match axum::body::to_bytes(body, MAX_FILE_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                Bytes::new(),
                Err(DenbunError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "TOO_LARGE",
                    format!("{name}: ファイルが上限 {MAX_FILE_BYTES} バイトを超えています"),
                )
                .item(name)),
            );
        }
    };
    let recorded = bytes.clone();
    let outcome = tokio::task::spawn_blocking(move || upload(&chukan, &tenant, &name, &bytes))
        .await
        .unwrap_or_else(|error| Err(DenbunError::store(error)));
    (recorded, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_fixtures::catalog::Catalogs;

    #[test]
    fn the_catalog_excludes_its_provision_excluded_items() {
        let datasets = catalog_datasets(&Catalogs::embedded().layouts);
        let zeimu = datasets
            .iter()
            .find(|d| d.tokutei.as_str() == "TM00000000000002" && d.dataset == "D0202")
            .expect("D0202 has a 提供除外項目");
        assert_eq!(zeimu.items, ["給与収入額"]);
        assert!(datasets.iter().all(|d| !d.items.is_empty()));
        assert!(!datasets.iter().any(|d| d.dataset == "D0201"));
    }
}
