//! 電文 with an attached file (Webサービス連携, docs/chukan-api.md): multipart/form-data with the
//! part `message` (the 電文) and then the part `attachment` (the file). IF_DBM_20113_R01 副本登録
//! streams its attachment to a spool file (it may be gigabytes); IF_SKI_10723_R01 一括照会 and
//! IF_DBM_20115_R01 提供除外項目マスタ登録 read theirs whole. All three read the 電文 the same way.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};

use super::denbun::{self, DenbunError, Request as Denbun};
use super::platform::Tenant;

/// The refusal of a body that is not the two parts in order.
pub fn bad(id: &str, why: String) -> DenbunError {
    DenbunError::new(
        StatusCode::BAD_REQUEST,
        "BAD_MULTIPART",
        format!(
            "{id} は multipart/form-data で、部品 message (電文) と attachment (添付ファイル) をこの順に送ります: {why}"
        ),
    )
}

/// Opens the body and reads the 電文 `id` from its first part: the parts still to read, the
/// 電文 as received (for the journal) and its parse. On error, what was received of the 電文
/// (empty when the part could not be read) and why.
pub async fn read_message(
    id: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<(multer::Multipart<'static>, Bytes, Denbun), (Bytes, DenbunError)> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| "Content-Type がありません".to_owned())
        .and_then(|ct| multer::parse_boundary(ct).map_err(|e| e.to_string()))
        .map_err(|why| (Bytes::new(), bad(id, why)))?;
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    let message = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some("message") => {
            read_part(field, denbun::MAX_DENBUN_BYTES)
                .await
                .map_err(|e| (Bytes::new(), e))?
        }
        Ok(Some(field)) => {
            let name = field.name().unwrap_or("").to_owned();
            return Err((Bytes::new(), bad(id, format!("最初の部品が「{name}」です"))));
        }
        Ok(None) => return Err((Bytes::new(), bad(id, "部品がありません".into()))),
        Err(e) => return Err((Bytes::new(), bad(id, e.to_string()))),
    };
    match denbun::parse_request(id, &message) {
        Ok(request) => Ok((multipart, message, request)),
        Err(error) => Err((message, error)),
    }
}

/// For the 電文 whose attachment is read whole: checks the envelope, the items (依頼元 and the
/// two 添付ファイル items) and the 添付ファイルID, then reads the `attachment` part (at most
/// `limit` bytes), which must carry the 添付ファイル名 and be the last part. Returns the file name
/// and the file.
pub async fn read_attachment(
    tenant: &Arc<Tenant>,
    request: &Denbun,
    multipart: &mut multer::Multipart<'static>,
    file_id: &str,
    limit: usize,
) -> Result<(String, Bytes), DenbunError> {
    let id = request.spec.id;
    let file_name = check_attachment_items(tenant, request, file_id, id)?;
    let field = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some("attachment") => field,
        Ok(Some(field)) => {
            return Err(bad(
                id,
                format!("2番目の部品が「{}」です", field.name().unwrap_or("")),
            ));
        }
        Ok(None) => return Err(bad(id, "部品 attachment がありません".into())),
        Err(e) => return Err(bad(id, e.to_string())),
    };
    if field.file_name().unwrap_or("") != file_name {
        return Err(DenbunError::new(
            StatusCode::BAD_REQUEST,
            "BAD_FILE_NAME",
            format!(
                "添付ファイルの名前「{}」が電文の添付ファイル名「{file_name}」と違います",
                field.file_name().unwrap_or("")
            ),
        )
        .item("添付ファイル名"));
    }
    let file = read_part(field, limit).await?;
    if let Ok(Some(extra)) = multipart.next_field().await {
        return Err(bad(
            id,
            format!("余分な部品「{}」があります", extra.name().unwrap_or("")),
        ));
    }
    Ok((file_name, file))
}

/// The checks every 電文 with an attachment passes before its file is read: the envelope, only
/// the 依頼元 and the two 添付ファイル items, and the 添付ファイルID `file_id` (refused naming
/// `what` the 電文 is for). Returns the 添付ファイル名.
pub fn check_attachment_items(
    tenant: &Tenant,
    request: &Denbun,
    file_id: &str,
    what: &str,
) -> Result<String, DenbunError> {
    super::server::check_envelope(tenant, request)?;
    request.only(&[
        "依頼元部署コード",
        "依頼元ユーザID",
        "添付ファイル名",
        "添付ファイルID",
    ])?;
    let file_name = request.required("添付ファイル名")?.to_owned();
    let given = request.required("添付ファイルID")?;
    if given != file_id {
        return Err(DenbunError::new(
            StatusCode::BAD_REQUEST,
            "UNKNOWN_FILE_ID",
            format!("添付ファイルID「{given}」は{what}では受け付けません ({file_id} だけです)"),
        )
        .item("添付ファイルID"));
    }
    Ok(file_name)
}

/// One part, read whole: refused as soon as it would pass `limit` bytes.
pub async fn read_part(mut field: multer::Field<'_>, limit: usize) -> Result<Bytes, DenbunError> {
    let name = field.name().unwrap_or("").to_owned();
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| {
        DenbunError::new(
            StatusCode::BAD_REQUEST,
            "BAD_MULTIPART",
            format!("部品 {name} を読めません: {e}"),
        )
    })? {
        if out.len() + chunk.len() > limit {
            return Err(DenbunError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "TOO_LARGE",
                format!("部品 {name} が上限 {limit} バイトを超えています"),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}
