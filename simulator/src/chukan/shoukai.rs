//! 情報照会 (SKI): what a 照会者's 既存システム sends to its 中間サーバー (docs/chukan-api.md
//! "情報照会"). The engine ([`crate::nws::shoukai::JohoRenkei`]) decides; this module reads the
//! 電文 and files and writes the answers.
//!
//! | 電文 / file | what |
//! |---|---|
//! | `IF_SKI_10711_R01` | 情報照会内容登録: one 照会, registered and sent at once |
//! | `IF_SKI_10712_R01` | 情報照会状況結果の取得 (the real 電文ID): by 処理通番 or by 中間サーバー受付番号 |
//! | `IF_SKI_10713_R01` | 情報照会結果の取得: the 副本 provided, by 処理通番 |
//! | `IF_SKI_10714_R01` | 情報照会の取りやめ |
//! | `IF_SKI_10723_R01` | ファイル登録 (the real 電文ID): a 一括照会要求ファイル `FI_SKI_0001` as an attachment |
//! | `FI_SKI_0001` | 一括照会要求ファイル (renkei-defined number), also uploaded on the file route |
//! | `FI_SKI_0005` / `FI_SKI_0006` | 情報照会状況取得要求ファイル → 情報照会状況結果ファイル (the real file IDs) |

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use renkei_fixtures::ids::KikanCode;

use super::db::rfc3339;
use super::denbun::{DenbunError, Node, Request as Denbun, SKI_FILE};
use super::joho_renkei::{
    NAIYOU_ITEMS, Xml, denbun_error, kekka_xml, read_naiyou, shori_tsuuban, shoukai_xml,
    uketsuke_bango,
};
use super::platform::{Chukan, Tenant};
use super::request_file;
use super::server::Reply;
use crate::nws::shoukai::{MsgMode, ShoriTsuuban, Shoukai, ShoukaiStatus, UketsukeBango};

/// 一括照会要求ファイル (renkei-defined number: the real one is not public).
pub const IKKATSU_FILE_ID: &str = "FI_SKI_0001";
/// 情報照会状況取得要求ファイル (the real file ID, DOMAIN.md).
pub const JOUKYOU_REQUEST_FILE_ID: &str = "FI_SKI_0005";
/// 情報照会状況結果ファイル (the real file ID, DOMAIN.md).
pub const JOUKYOU_RESULT_FILE_ID: &str = "FI_SKI_0006";

/// The largest 情報照会 request file accepted (renkei's bound: about 25,000 明細).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// The items a 電文 may carry besides its own: who sent it.
const IRAI: [&str; 2] = ["依頼元部署コード", "依頼元ユーザID"];

fn allowed(own: &[&'static str]) -> Vec<&'static str> {
    IRAI.iter().chain(own).copied().collect()
}

/// IF_SKI_10711_R01 情報照会内容登録: registers one 照会 and sends it at once. The answer is the
/// 照会 as it stands after sending (正常終了 / 該当なし / 提供不可 by 自動応答, or 回答待ち); a
/// refusal registers nothing.
pub fn touroku(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&NAIYOU_ITEMS))?;
    let naiyou = read_naiyou(chukan, tenant, request.mode, |name| request.optional(name))?;
    let shoukai = chukan
        .shoukai()
        .shoukai(tenant.kikan(), naiyou)
        .map_err(denbun_error)?;
    let mut xml = Xml::new(2);
    shoukai_xml(&mut xml, &shoukai);
    Ok(Reply {
        reception: shoukai.uketsuke_bango.to_string(),
        body: xml.finish(),
    })
}

/// IF_SKI_10712_R01 情報照会状況結果の取得: the 照会 with a 処理通番, or every 明細 of a
/// registration (中間サーバー受付番号), in file order.
pub fn joukyou(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&["処理通番", "中間サーバー受付番号"]))?;
    let engine = chukan.shoukai();
    let found = match (
        request.optional("処理通番"),
        request.optional("中間サーバー受付番号"),
    ) {
        (Some(number), None) => vec![
            engine
                .joukyou(tenant.kikan(), shori_tsuuban("処理通番", number)?)
                .map_err(denbun_error)?,
        ],
        (None, Some(number)) => engine
            .uketsuke_joukyou(
                tenant.kikan(),
                uketsuke_bango("中間サーバー受付番号", number)?,
            )
            .map_err(denbun_error)?,
        _ => return Err(one_of("処理通番", "中間サーバー受付番号")),
    };
    let mut xml = Xml::new(2);
    for shoukai in &found {
        shoukai_xml(&mut xml, shoukai);
    }
    Ok(Reply {
        reception: String::new(),
        body: xml.finish(),
    })
}

/// IF_SKI_10713_R01 情報照会結果の取得: the 照会 and the 副本 provided (正常終了), or that
/// nothing matched (該当なし). Before the answer, SK54 names the status.
pub fn kekka(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&["処理通番"]))?;
    let number = shori_tsuuban("処理通番", request.required("処理通番")?)?;
    let shoukai = chukan
        .shoukai()
        .kekka(tenant.kikan(), number)
        .map_err(denbun_error)?;
    let mut xml = Xml::new(2);
    shoukai_xml(&mut xml, &shoukai);
    if shoukai.status == ShoukaiStatus::SeijouShuuryou {
        kekka_xml(&mut xml, &shoukai.kekka);
    }
    Ok(Reply {
        reception: String::new(),
        body: xml.finish(),
    })
}

/// IF_SKI_10714_R01 情報照会の取りやめ: withdraws a 照会 not yet answered.
pub fn toriyame(chukan: &Chukan, tenant: &Tenant, request: &Denbun) -> Result<Reply, DenbunError> {
    request.only(&allowed(&["処理通番"]))?;
    let number = shori_tsuuban("処理通番", request.required("処理通番")?)?;
    let shoukai = chukan
        .shoukai()
        .toriyame(tenant.kikan(), number)
        .map_err(denbun_error)?;
    let mut xml = Xml::new(2);
    shoukai_xml(&mut xml, &shoukai);
    Ok(Reply {
        reception: String::new(),
        body: xml.finish(),
    })
}

fn one_of(a: &str, b: &str) -> DenbunError {
    DenbunError::new(
        StatusCode::BAD_REQUEST,
        "MISSING_ITEM",
        format!("項目「{a}」か「{b}」のどちらか一つを書いてください"),
    )
    .item(a)
}

// ---- files ---------------------------------------------------------------------------------------

/// A file-level error, naming the file (and the 明細 when there is one).
fn in_file(file: &str, meisai: Option<usize>, error: DenbunError) -> DenbunError {
    request_file::in_file(file, meisai.map(|n| format!("{n}件目の明細")), error)
}

/// Reads a request file's tree and its ヘッダ (ファイルID, 情報照会者機関コード of this tenant,
/// and for a 一括照会 the MSGMode of this tenant's environment).
fn read_file(
    tenant: &Tenant,
    file: &str,
    file_id: &str,
    root: &str,
    bytes: &[u8],
) -> Result<Node, DenbunError> {
    let tree = request_file::read(file, file_id, root, bytes, MAX_FILE_BYTES)?;
    let header = request_file::header(file, &tree)?;
    let get = |name: &str| {
        header
            .children
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.text.as_str())
            .filter(|t| !t.is_empty())
    };
    for child in &header.children {
        if !["ファイルID", "情報照会者機関コード", "MSGMode", "作成日時"]
            .contains(&child.name.as_str())
        {
            return Err(in_file(
                file,
                None,
                DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "UNKNOWN_ELEMENT",
                    format!("ヘッダに要素「{}」は置けません", child.name),
                )
                .item(child.name.clone()),
            ));
        }
    }
    let id =
        get("ファイルID").ok_or_else(|| in_file(file, None, DenbunError::missing("ファイルID")))?;
    if id != file_id {
        return Err(in_file(
            file,
            None,
            DenbunError::bad(
                "ファイルID",
                format!("「{id}」はファイル名のファイルID {file_id} と違います"),
            ),
        ));
    }
    let kikan = get("情報照会者機関コード")
        .ok_or_else(|| in_file(file, None, DenbunError::missing("情報照会者機関コード")))?;
    if kikan != tenant.kikan().as_str() {
        return Err(in_file(
            file,
            None,
            DenbunError::new(
                StatusCode::FORBIDDEN,
                "OTHER_TENANT",
                format!(
                    "情報照会者機関コード「{kikan}」はこのクライアント証明書の中間サーバー ({} {}) ではありません",
                    tenant.kikan(),
                    tenant.dantai.name
                ),
            )
            .item("情報照会者機関コード"),
        ));
    }
    if file_id == IKKATSU_FILE_ID {
        let mode =
            get("MSGMode").ok_or_else(|| in_file(file, None, DenbunError::missing("MSGMode")))?;
        if MsgMode::from_code(mode) != Some(tenant.mode) {
            return Err(in_file(
                file,
                None,
                DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "MSGMODE_MISMATCH",
                    format!(
                        "MSGMode が「{mode}」ですが、この中間サーバーは{}環境です: {} を書いてください",
                        tenant.mode.label(),
                        tenant.mode.code()
                    ),
                )
                .item("MSGMode"),
            ));
        }
    }
    Ok(tree)
}

/// Reads a 一括照会要求ファイル into its 明細. A 明細 whose items cannot be read (missing,
/// malformed, another tenant's person) refuses the whole file, naming the 明細; what the engine
/// judges (codes, legal basis, 符号) ends that 明細 alone in エラー.
fn read_ikkatsu(
    chukan: &Chukan,
    tenant: &Tenant,
    file: &str,
    bytes: &[u8],
) -> Result<Vec<crate::nws::shoukai::ShoukaiNaiyou>, DenbunError> {
    let tree = read_file(tenant, file, IKKATSU_FILE_ID, "一括照会要求", bytes)?;
    let mut meisai = Vec::new();
    for (index, node) in tree.children.iter().skip(1).enumerate() {
        let number = index + 1;
        let at = |e| in_file(file, Some(number), e);
        if node.name != "明細" {
            return Err(at(DenbunError::new(
                StatusCode::BAD_REQUEST,
                "UNKNOWN_ELEMENT",
                format!("ヘッダの後に置けるのは明細だけです (「{}」)", node.name),
            )
            .item(node.name.clone())));
        }
        for (i, child) in node.children.iter().enumerate() {
            if !NAIYOU_ITEMS.contains(&child.name.as_str()) || !child.children.is_empty() {
                return Err(at(DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "UNKNOWN_ELEMENT",
                    format!(
                        "明細に要素「{}」は置けません (置ける要素: {})",
                        child.name,
                        NAIYOU_ITEMS.join(", ")
                    ),
                )
                .item(child.name.clone())));
            }
            if node.children[..i].iter().any(|c| c.name == child.name) {
                return Err(at(DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "DUPLICATE_ELEMENT",
                    format!("明細の要素「{}」が2つ以上あります", child.name),
                )
                .item(child.name.clone())));
            }
        }
        let get = |name: &str| {
            node.children
                .iter()
                .find(|n| n.name == name)
                .map(|n| n.text.as_str())
                .filter(|t| !t.is_empty())
        };
        meisai.push(read_naiyou(chukan, tenant, tenant.mode, get).map_err(at)?);
    }
    Ok(meisai)
}

/// Registers a 一括照会要求ファイル: its 受付番号 and its 明細 as registered.
fn register_ikkatsu(
    chukan: &Chukan,
    tenant: &Tenant,
    file: &str,
    bytes: &[u8],
) -> Result<(UketsukeBango, Vec<Shoukai>), DenbunError> {
    let meisai = read_ikkatsu(chukan, tenant, file, bytes)?;
    let uketsuke = chukan
        .shoukai()
        .ikkatsu_shoukai(tenant.kikan(), meisai)
        .map_err(|e| in_file(file, None, denbun_error(e)))?;
    Ok((uketsuke.uketsuke_bango, uketsuke.meisai))
}

/// FI_SKI_0006 情報照会状況結果ファイル: the 明細 asked about, each with its status and, when
/// 正常終了, the 副本 provided.
fn result_file(
    chukan: &Chukan,
    kikan: KikanCode,
    registration: Option<(UketsukeBango, &str)>,
    meisai: &[Shoukai],
) -> String {
    let mut xml = Xml::new(1);
    xml.open("ヘッダ")
        .leaf("ファイルID", JOUKYOU_RESULT_FILE_ID)
        .leaf("情報照会者機関コード", kikan.as_str());
    if let Some((uketsuke, file)) = registration {
        xml.leaf("中間サーバー受付番号", &uketsuke.to_string())
            .leaf("対象ファイル名", file);
    }
    xml.leaf("作成日時", &rfc3339(chukan.clock().now()))
        .leaf("件数", &meisai.len().to_string())
        .close("ヘッダ");
    for shoukai in meisai {
        xml.open("明細");
        shoukai_xml(&mut xml, shoukai);
        if shoukai.status == ShoukaiStatus::SeijouShuuryou {
            kekka_xml(&mut xml, &shoukai.kekka);
        }
        xml.close("明細");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<情報照会状況結果>\n{}</情報照会状況結果>\n",
        xml.finish()
    )
}

/// `POST /xml/v1/files/FI_SKI_…`: a 一括照会要求ファイル (answered with the 状況結果 of its 明細
/// as registered) or a 情報照会状況取得要求ファイル (answered with the 状況結果 at once). Runs
/// the engine: call on a blocking thread.
pub fn upload(
    chukan: &Chukan,
    tenant: &Tenant,
    file: &str,
    file_id: &str,
    bytes: &[u8],
) -> Result<String, DenbunError> {
    if file_id == IKKATSU_FILE_ID {
        let (uketsuke, meisai) = register_ikkatsu(chukan, tenant, file, bytes)?;
        return Ok(result_file(
            chukan,
            tenant.kikan(),
            Some((uketsuke, file)),
            &meisai,
        ));
    }
    let tree = read_file(
        tenant,
        file,
        JOUKYOU_REQUEST_FILE_ID,
        "情報照会状況取得要求",
        bytes,
    )?;
    if tree.children.len() < 2 {
        return Err(in_file(file, None, DenbunError::missing("処理通番")));
    }
    let engine = chukan.shoukai();
    let mut meisai = Vec::new();
    for (index, node) in tree.children.iter().skip(1).enumerate() {
        let at = |e| in_file(file, Some(index + 1), e);
        match node.name.as_str() {
            "処理通番" => {
                let number: ShoriTsuuban = shori_tsuuban("処理通番", &node.text).map_err(at)?;
                meisai.push(
                    engine
                        .joukyou(tenant.kikan(), number)
                        .map_err(|e| at(denbun_error(e)))?,
                );
            }
            "中間サーバー受付番号" => {
                let number = uketsuke_bango("中間サーバー受付番号", &node.text).map_err(at)?;
                meisai.extend(
                    engine
                        .uketsuke_joukyou(tenant.kikan(), number)
                        .map_err(|e| at(denbun_error(e)))?,
                );
            }
            other => {
                return Err(at(DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "UNKNOWN_ELEMENT",
                    format!(
                        "ヘッダの後に置けるのは処理通番と中間サーバー受付番号だけです (「{other}」)"
                    ),
                )
                .item(other.to_owned())));
            }
        }
    }
    Ok(result_file(chukan, tenant.kikan(), None, &meisai))
}

/// Whether a 受付番号 on the file route is 情報照会's (16 digits; 副本登録's have 18).
pub fn is_uketsuke_bango(reception: &str) -> bool {
    reception.len() == UketsukeBango::LEN && reception.bytes().all(|b| b.is_ascii_digit())
}

/// `GET /xml/v1/files/{受付番号}` of a 一括照会: the 状況結果 of its 明細.
pub fn file_status(
    chukan: &Chukan,
    tenant: &Tenant,
    reception: &str,
) -> Result<String, DenbunError> {
    let number = uketsuke_bango("中間サーバー受付番号", reception)?;
    let meisai = chukan
        .shoukai()
        .uketsuke_joukyou(tenant.kikan(), number)
        .map_err(denbun_error)?;
    Ok(result_file(chukan, tenant.kikan(), None, &meisai))
}

/// IF_SKI_10723_R01 ファイル登録: `message` (the 電文) then `attachment` (a 一括照会要求ファイル),
/// as multipart/form-data. Returns the 電文 as received (for the journal) and the request with
/// its outcome, or what could not be read.
pub async fn file_registration(
    chukan: &Chukan,
    tenant: &std::sync::Arc<Tenant>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Bytes, Denbun, Result<Reply, DenbunError>), (Bytes, DenbunError)> {
    let (mut multipart, message, request) =
        super::multipart::read_message(SKI_FILE, headers, body).await?;
    let outcome = async {
        let (file_name, file) = super::multipart::read_attachment(
            tenant,
            &request,
            &mut multipart,
            IKKATSU_FILE_ID,
            MAX_FILE_BYTES,
        )
        .await?;
        let chukan = chukan.clone();
        let tenant = tenant.clone();
        tokio::task::spawn_blocking(move || {
            let (uketsuke, meisai) = register_ikkatsu(&chukan, &tenant, &file_name, &file)?;
            let registered_at = meisai
                .first()
                .map(|m| rfc3339(m.registered_at))
                .unwrap_or_default();
            let mut xml = Xml::new(2);
            xml.leaf("添付ファイル名", &file_name)
                .leaf("添付ファイルID", IKKATSU_FILE_ID)
                .leaf("受付日時", &registered_at)
                .leaf("件数", &meisai.len().to_string());
            for shoukai in &meisai {
                shoukai_xml(&mut xml, shoukai);
            }
            Ok(Reply {
                reception: uketsuke.to_string(),
                body: xml.finish(),
            })
        })
        .await
        .unwrap_or_else(|error| Err(DenbunError::store(error)))
    }
    .await;
    Ok((message, request, outcome))
}
