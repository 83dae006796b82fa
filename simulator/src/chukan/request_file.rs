//! The request files the 中間サーバー reads whole — the 情報照会 files (`FI_SKI_0001`, `FI_SKI_0005`)
//! and the 提供除外項目マスタ登録要求ファイル (`FI_DBM_0003`): UTF-8 XML (a BOM is allowed), a
//! document element of the file's kind, and a ヘッダ first. Every error names the file.

use axum::http::StatusCode;

use super::denbun::{self, DenbunError, Node};

/// An error in `file`, named with the part of the file it is in (「3件目の明細」) when there is
/// one. An XML that cannot be read is `FILE_UNREADABLE`.
pub fn in_file(file: &str, part: Option<String>, error: DenbunError) -> DenbunError {
    let at = match part {
        Some(part) => format!("{file}: {part}: "),
        None => format!("{file}: "),
    };
    let code = match error.code {
        "NOT_WELL_FORMED" | "ENCODING" => "FILE_UNREADABLE",
        code => code,
    };
    DenbunError {
        status: error.status,
        code,
        message: format!("{at}{}", error.message),
        item: error.item.or_else(|| Some(file.to_owned())),
    }
}

/// `file` cannot be read at all, because of `why`.
pub fn unreadable(file: &str, why: impl std::fmt::Display) -> DenbunError {
    DenbunError::new(
        StatusCode::BAD_REQUEST,
        "FILE_UNREADABLE",
        format!("{file}: ファイルを読めません: {why}"),
    )
    .item(file)
}

/// Reads `bytes` as `file`, a `file_id` file whose document element is `root`, of at most `max`
/// bytes: its tree, and the ヘッダ that must come first.
pub(crate) fn read(
    file: &str,
    file_id: &str,
    root: &str,
    bytes: &[u8],
    max: usize,
) -> Result<Node, DenbunError> {
    if bytes.len() > max {
        return Err(DenbunError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TOO_LARGE",
            format!(
                "{file}: ファイルが {} バイトです (上限 {max} バイト)",
                bytes.len()
            ),
        )
        .item(file));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        unreadable(
            file,
            format!(
                "{} バイト目に UTF-8 として読めないバイトがあります",
                e.valid_up_to() + 1
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let tree = denbun::read_tree(text).map_err(|e| in_file(file, None, e))?;
    if tree.name != root {
        return Err(unreadable(
            file,
            format!("文書要素が「{}」です ({file_id} は「{root}」)", tree.name),
        ));
    }
    header(file, &tree)?;
    Ok(tree)
}

/// The ヘッダ of a tree [`read`] accepted.
pub(crate) fn header<'n>(file: &str, tree: &'n Node) -> Result<&'n Node, DenbunError> {
    tree.children
        .first()
        .filter(|n| n.name == "ヘッダ")
        .ok_or_else(|| unreadable(file, "最初の要素がヘッダではありません"))
}
