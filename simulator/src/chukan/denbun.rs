//! 電文: the XML messages of Webサービス連携, their envelope, and the errors a 既存システム gets.
//!
//! Every request is `IF_{機能}_{5桁}_R01` and every answer `_S01` (seed 004 §6.5), with a
//! `MessageHeader` and a `MessageBody` as in the public vendor code of `IF_DBM_20113_R01`
//! (DOMAIN.md "自治体中間サーバー"). Parsing here is the envelope only: the declaration (UTF-8
//! only), the root (the 電文ID of the path), the header items, and the body as a flat list of
//! leaf elements for the handler to read. Anything wrong is a [`DenbunError`] with a stable ASCII
//! code, the HTTP status, a Japanese message and the item at fault — never a panic.
//!
//! The 電文 renkei offers are listed once in [`DENBUN`]; docs and tests read the list.

use axum::http::StatusCode;
use quick_xml::events::Event;

/// The largest 電文 accepted, in bytes (the attachment of `IF_DBM_20113_R01` is not a 電文 and
/// has its own limits).
pub const MAX_DENBUN_BYTES: usize = 1024 * 1024;

/// 機能 of a 電文, by its code in the 電文ID (seed 004 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kinou {
    /// 符号管理.
    Fgu,
    /// 情報提供データベース管理 (副本).
    Dbm,
    /// 情報照会.
    Ski,
    /// 情報提供.
    Tky,
    /// 情報提供等記録管理.
    Tkm,
    /// お知らせ (renkei delivers the 通知 here).
    Osr,
}

impl Kinou {
    /// The three letters of the 電文ID.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fgu => "FGU",
            Self::Dbm => "DBM",
            Self::Ski => "SKI",
            Self::Tky => "TKY",
            Self::Tkm => "TKM",
            Self::Osr => "OSR",
        }
    }
}

/// One 電文 renkei offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenbunSpec {
    /// The request's 電文ID (`…_R01`); the answer's is [`DenbunSpec::response_id`].
    pub id: &'static str,
    /// Japanese name.
    pub name: &'static str,
    pub kinou: Kinou,
    /// Whether the number is renkei's (the real one is not public).
    pub renkei_defined: bool,
    /// Whether the request carries an attachment (multipart/form-data) instead of a bare 電文.
    pub attachment: bool,
}

impl DenbunSpec {
    /// The answer's 電文ID: `_R01` → `_S01`.
    pub fn response_id(&self) -> String {
        response_id(self.id)
    }
}

/// `_R01` → `_S01` (any other name is returned as it is).
pub fn response_id(request_id: &str) -> String {
    match request_id.strip_suffix("_R01") {
        Some(stem) => format!("{stem}_S01"),
        None => request_id.to_owned(),
    }
}

/// 符号取得要求登録 (renkei-defined number).
pub const FGU_REQUEST: &str = "IF_FGU_10111_R01";
/// 符号取得状況の取得 (renkei-defined number).
pub const FGU_STATUS: &str = "IF_FGU_10112_R01";
/// 副本登録 (the real 電文ID, DOMAIN.md).
pub const DBM_REGISTER: &str = "IF_DBM_20113_R01";
/// 副本登録状況の取得 (renkei-defined number).
pub const DBM_STATUS: &str = "IF_DBM_20114_R01";
/// 提供除外項目マスタ登録 (renkei-defined number): a 提供除外項目マスタ登録要求ファイル
/// (`FI_DBM_0003`) as an attachment.
pub const DBM_JOGAI_TOUROKU: &str = "IF_DBM_20115_R01";
/// 提供除外項目マスタの照会 (renkei-defined number).
pub const DBM_JOGAI_SHOUKAI: &str = "IF_DBM_20116_R01";
/// 情報照会内容登録 (renkei-defined number).
pub const SKI_TOUROKU: &str = "IF_SKI_10711_R01";
/// 情報照会状況結果の取得 (the real 電文ID, DOMAIN.md).
pub const SKI_JOUKYOU: &str = "IF_SKI_10712_R01";
/// 情報照会結果の取得 (renkei-defined number).
pub const SKI_KEKKA: &str = "IF_SKI_10713_R01";
/// 情報照会の取りやめ (renkei-defined number).
pub const SKI_TORIYAME: &str = "IF_SKI_10714_R01";
/// ファイル登録 (the real 電文ID, DOMAIN.md): a 一括照会要求ファイル as an attachment.
pub const SKI_FILE: &str = "IF_SKI_10723_R01";
/// 情報提供状況の取得 (renkei-defined number).
pub const TKY_JOUKYOU: &str = "IF_TKY_10811_R01";
/// 自動応答不可対象の確認 (renkei-defined number).
pub const TKY_KAKUNIN: &str = "IF_TKY_10812_R01";
/// 情報提供内容の送信許可 (renkei-defined number).
pub const TKY_KYOKA: &str = "IF_TKY_10813_R01";
/// 自動応答不可の設定 (renkei-defined number).
pub const TKY_FUKA: &str = "IF_TKY_10814_R01";
/// 情報提供等記録の検索 (renkei-defined number).
pub const TKM_KENSAKU: &str = "IF_TKM_10911_R01";
/// 情報提供等記録の変更 (記録事項変更事由・不開示; renkei-defined number).
pub const TKM_HENKOU: &str = "IF_TKM_10912_R01";
/// 通知の取得 (renkei-defined number).
pub const OSR_TSUUCHI: &str = "IF_OSR_10611_R01";

/// Every 電文 offered, in the order the docs list them.
pub const DENBUN: &[DenbunSpec] = &[
    DenbunSpec {
        id: FGU_REQUEST,
        name: "符号取得要求登録",
        kinou: Kinou::Fgu,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: FGU_STATUS,
        name: "符号取得状況の取得",
        kinou: Kinou::Fgu,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: DBM_REGISTER,
        name: "副本登録",
        kinou: Kinou::Dbm,
        renkei_defined: false,
        attachment: true,
    },
    DenbunSpec {
        id: DBM_STATUS,
        name: "副本登録状況の取得",
        kinou: Kinou::Dbm,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: DBM_JOGAI_TOUROKU,
        name: "提供除外項目マスタ登録",
        kinou: Kinou::Dbm,
        renkei_defined: true,
        attachment: true,
    },
    DenbunSpec {
        id: DBM_JOGAI_SHOUKAI,
        name: "提供除外項目マスタの照会",
        kinou: Kinou::Dbm,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: SKI_TOUROKU,
        name: "情報照会内容登録",
        kinou: Kinou::Ski,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: SKI_JOUKYOU,
        name: "情報照会状況結果の取得",
        kinou: Kinou::Ski,
        renkei_defined: false,
        attachment: false,
    },
    DenbunSpec {
        id: SKI_KEKKA,
        name: "情報照会結果の取得",
        kinou: Kinou::Ski,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: SKI_TORIYAME,
        name: "情報照会の取りやめ",
        kinou: Kinou::Ski,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: SKI_FILE,
        name: "ファイル登録",
        kinou: Kinou::Ski,
        renkei_defined: false,
        attachment: true,
    },
    DenbunSpec {
        id: TKY_JOUKYOU,
        name: "情報提供状況の取得",
        kinou: Kinou::Tky,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: TKY_KAKUNIN,
        name: "自動応答不可対象の確認",
        kinou: Kinou::Tky,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: TKY_KYOKA,
        name: "情報提供内容の送信許可",
        kinou: Kinou::Tky,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: TKY_FUKA,
        name: "自動応答不可の設定",
        kinou: Kinou::Tky,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: TKM_KENSAKU,
        name: "情報提供等記録の検索",
        kinou: Kinou::Tkm,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: TKM_HENKOU,
        name: "情報提供等記録の変更",
        kinou: Kinou::Tkm,
        renkei_defined: true,
        attachment: false,
    },
    DenbunSpec {
        id: OSR_TSUUCHI,
        name: "通知の取得",
        kinou: Kinou::Osr,
        renkei_defined: true,
        attachment: false,
    },
];

/// The spec of a 電文ID, if offered.
pub fn spec(id: &str) -> Option<&'static DenbunSpec> {
    DENBUN.iter().find(|d| d.id == id)
}

/// MSGMode: whether a 電文 is for production (`0`) or the test environment (`1`). One type for
/// the 電文 and the 情報照会 engine (its serde names are 本番 / テスト).
pub use crate::nws::shoukai::MsgMode;

/// MSGResult of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgResult {
    /// `0` 正常.
    Seijou,
    /// `1` エラー: the body holds `エラー`.
    Error,
}

impl MsgResult {
    pub fn code(self) -> &'static str {
        match self {
            Self::Seijou => "0",
            Self::Error => "1",
        }
    }
}

/// MessageHeader as read from a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageHeader {
    /// MSGID: the sender's identifier of the message (echoed in the answer).
    pub msg_id: String,
    /// MSGTypeID: the 電文ID (the root's name).
    pub msg_type_id: String,
    /// MSGMode as written (`0` / `1`).
    pub msg_mode: String,
    /// SourceSystemID: the sending 既存システム.
    pub source_system_id: String,
    /// DestinationSystemID: the 機関コード of the 中間サーバー (tenant) addressed.
    pub destination_system_id: String,
    /// ReceptionNumber (empty in a request).
    pub reception_number: String,
}

/// A parsed request: its header and its body's leaves, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub spec: &'static DenbunSpec,
    pub header: MessageHeader,
    pub mode: MsgMode,
    /// The body's leaf elements `(name, text)`, in order.
    pub body: Vec<(String, String)>,
}

impl Request {
    /// The text of body item `name`, required and not empty.
    pub fn required(&self, name: &str) -> Result<&str, DenbunError> {
        match self.optional(name) {
            Some(text) => Ok(text),
            None => Err(DenbunError::missing(name)),
        }
    }

    /// The text of body item `name`, if present and not empty.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.body
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .filter(|t| !t.is_empty())
    }

    /// Refuses body items other than `allowed` and items written twice.
    pub fn only(&self, allowed: &[&str]) -> Result<(), DenbunError> {
        for (index, (name, _)) in self.body.iter().enumerate() {
            if !allowed.contains(&name.as_str()) {
                return Err(DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "UNKNOWN_ELEMENT",
                    format!(
                        "MessageBody に要素「{name}」は置けません (置ける要素: {})",
                        allowed.join(", ")
                    ),
                )
                .item(name));
            }
            if self.body[..index].iter().any(|(n, _)| n == name) {
                return Err(DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "DUPLICATE_ELEMENT",
                    format!("MessageBody の要素「{name}」が2つ以上あります"),
                )
                .item(name));
            }
        }
        Ok(())
    }
}

/// An error a 既存システム receives: stable ASCII code, HTTP status, Japanese message, the item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DenbunError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The element, item or file the error is about.
    pub item: Option<String>,
}

impl DenbunError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            item: None,
        }
    }

    /// Names the item at fault.
    pub fn item(mut self, item: impl Into<String>) -> Self {
        self.item = Some(item.into());
        self
    }

    pub fn missing(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MISSING_ITEM",
            format!("項目「{name}」がありません (空でない値が必要です)"),
        )
        .item(name)
    }

    pub fn bad(name: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BAD_ITEM",
            format!("項目「{name}」が不正です: {why}"),
        )
        .item(name)
    }

    pub fn store(error: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "STORE_FAILED",
            format!("状態ファイルに書けませんでした。何も変わっていません: {error}"),
        )
    }
}

/// Every error code with its HTTP status and when it is given: the one list the docs check.
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    (
        "UNKNOWN_DENBUN",
        404,
        "パスの電文IDを中間サーバーが提供していない",
    ),
    (
        "NOT_WELL_FORMED",
        400,
        "電文がXMLとして整形式でない、DOCTYPE がある",
    ),
    (
        "ENCODING",
        400,
        "文字コード宣言が UTF-8 でない、UTF-8 として読めないバイトがある",
    ),
    ("TOO_LARGE", 413, "電文が 1 MiB を超える"),
    ("ROOT_MISMATCH", 400, "文書要素の名前がパスの電文IDと違う"),
    (
        "UNKNOWN_ELEMENT",
        400,
        "ヘッダ・本文に定義されていない要素がある",
    ),
    ("DUPLICATE_ELEMENT", 400, "同じ要素が2つ以上ある"),
    ("MISSING_ITEM", 400, "必須の項目がない、空である"),
    ("BAD_ITEM", 400, "項目の値の形式が誤っている"),
    (
        "MSGMODE_MISMATCH",
        400,
        "MSGMode がテナントの環境 (本番/テスト) と違う",
    ),
    (
        "OTHER_TENANT",
        403,
        "宛先 (DestinationSystemID)・本人・ファイルの団体が、クライアント証明書の団体と違う",
    ),
    (
        "UNKNOWN_CLIENT",
        403,
        "クライアント証明書がどのテナントのものでもない",
    ),
    (
        "FUGOU_ALREADY_ACQUIRED",
        409,
        "符号取得済みの本人に符号取得要求を登録した",
    ),
    (
        "FUGOU_ALREADY_REQUESTED",
        409,
        "符号取得中の本人に符号取得要求を登録した",
    ),
    (
        "FUGOU_NOT_REQUESTED",
        404,
        "符号取得要求のない本人の状況を求めた",
    ),
    (
        "RECEPTION_NOT_FOUND",
        404,
        "そのテナントにない中間サーバー受付番号",
    ),
    (
        "BAD_MULTIPART",
        400,
        "添付ファイルつき電文が multipart/form-data として読めない、部品が足りない・多い",
    ),
    (
        "BAD_FILE_NAME",
        400,
        "ファイル名が FI_{機能}_{4桁}[_{名前}].xml の形でない、電文の添付ファイル名と違う",
    ),
    ("UNKNOWN_FILE_ID", 400, "受け付けないファイルID"),
    (
        "FILE_UNREADABLE",
        400,
        "ファイルを読めない (整形式でない、UTF-8 でない、途中で終わっている、ヘッダの誤りなど)",
    ),
    (
        "FILE_OVER_CAP",
        413,
        "その日の登録・削除件数又はアップロードサイズの上限を超える (seed 004 §2.5)",
    ),
    (
        "UNKNOWN_LAYOUT_ITEM",
        400,
        "提供除外項目マスタの特定個人情報名コード・データセット識別項目コード・項目名がデータ標準レイアウトにない",
    ),
    (
        "RESULT_NOT_READY",
        409,
        "結果ファイルを、処理済みになる前に求めた",
    ),
    ("NOT_FOUND", 404, "そのパスはない"),
    (
        "STORE_FAILED",
        500,
        "状態ファイルに書けなかった (何も変わっていない)",
    ),
];

/// Escapes text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// `<name>text</name>` (or `<name/>`), escaped.
pub fn leaf(name: &str, text: &str) -> String {
    if text.is_empty() {
        format!("<{name}/>")
    } else {
        format!("<{name}>{}</{name}>", escape(text))
    }
}

/// Reads a request 電文 sent to `/ws/{path_id}`.
pub fn parse_request(path_id: &str, bytes: &[u8]) -> Result<Request, DenbunError> {
    let spec = spec(path_id).ok_or_else(|| unknown(path_id))?;
    if bytes.len() > MAX_DENBUN_BYTES {
        return Err(DenbunError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TOO_LARGE",
            format!(
                "電文が {} バイトです (上限 {MAX_DENBUN_BYTES} バイト)",
                bytes.len()
            ),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        DenbunError::new(
            StatusCode::BAD_REQUEST,
            "ENCODING",
            format!(
                "{} バイト目に UTF-8 として読めないバイトがあります (電文は UTF-8 のみ受け付けます)",
                e.valid_up_to() + 1
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let tree = read_tree(text)?;
    if tree.name != spec.id {
        return Err(DenbunError::new(
            StatusCode::BAD_REQUEST,
            "ROOT_MISMATCH",
            format!(
                "文書要素が「{}」です: /ws/{} には「{}」を送ってください",
                tree.name, spec.id, spec.id
            ),
        )
        .item(tree.name.clone()));
    }
    let mut header = None;
    let mut body = None;
    for child in tree.children {
        match child.name.as_str() {
            "MessageHeader" if header.is_none() => header = Some(child),
            "MessageBody" if body.is_none() => body = Some(child),
            "MessageHeader" | "MessageBody" => {
                return Err(DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "DUPLICATE_ELEMENT",
                    format!("要素「{}」が2つ以上あります", child.name),
                )
                .item(child.name));
            }
            other => {
                return Err(DenbunError::new(
                    StatusCode::BAD_REQUEST,
                    "UNKNOWN_ELEMENT",
                    format!(
                        "{} の子要素に「{other}」は置けません (MessageHeader と MessageBody だけです)",
                        spec.id
                    ),
                )
                .item(other));
            }
        }
    }
    let header = header.ok_or_else(|| DenbunError::missing("MessageHeader"))?;
    let body = body.ok_or_else(|| DenbunError::missing("MessageBody"))?;
    let header = read_header(spec, header)?;
    let mode = MsgMode::from_code(&header.msg_mode).ok_or_else(|| {
        DenbunError::bad(
            "MSGMode",
            format!(
                "「{}」は 0 (本番) でも 1 (テスト) でもありません",
                header.msg_mode
            ),
        )
    })?;
    let mut leaves = Vec::with_capacity(body.children.len());
    for child in body.children {
        if !child.children.is_empty() {
            return Err(DenbunError::new(
                StatusCode::BAD_REQUEST,
                "UNKNOWN_ELEMENT",
                format!("MessageBody の要素「{}」の中に要素は置けません", child.name),
            )
            .item(child.name));
        }
        leaves.push((child.name, child.text));
    }
    Ok(Request {
        spec,
        header,
        mode,
        body: leaves,
    })
}

/// The error for a 電文ID that is not offered.
pub fn unknown(path_id: &str) -> DenbunError {
    let offered: Vec<&str> = DENBUN.iter().map(|d| d.id).collect();
    DenbunError::new(
        StatusCode::NOT_FOUND,
        "UNKNOWN_DENBUN",
        format!(
            "電文ID「{path_id}」はこの中間サーバーにありません (提供している電文: {})",
            offered.join(", ")
        ),
    )
    .item(path_id)
}

const HEADER_ITEMS: [&str; 7] = [
    "MSGID",
    "MSGTypeID",
    "MSGMode",
    "SourceSystemID",
    "DestinationSystemID",
    "ReceptionNumber",
    "MSGResult",
];

fn read_header(spec: &DenbunSpec, header: Node) -> Result<MessageHeader, DenbunError> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = MessageHeader::default();
    for child in header.children {
        if !HEADER_ITEMS.contains(&child.name.as_str()) || !child.children.is_empty() {
            return Err(DenbunError::new(
                StatusCode::BAD_REQUEST,
                "UNKNOWN_ELEMENT",
                format!(
                    "MessageHeader に要素「{}」は置けません (置ける要素: {})",
                    child.name,
                    HEADER_ITEMS.join(", ")
                ),
            )
            .item(child.name));
        }
        if seen.contains(&child.name) {
            return Err(DenbunError::new(
                StatusCode::BAD_REQUEST,
                "DUPLICATE_ELEMENT",
                format!("MessageHeader の要素「{}」が2つ以上あります", child.name),
            )
            .item(child.name));
        }
        seen.push(child.name.clone());
        let text = child.text;
        match child.name.as_str() {
            "MSGID" => out.msg_id = text,
            "MSGTypeID" => out.msg_type_id = text,
            "MSGMode" => out.msg_mode = text,
            "SourceSystemID" => out.source_system_id = text,
            "DestinationSystemID" => out.destination_system_id = text,
            "ReceptionNumber" => out.reception_number = text,
            _ => {} // MSGResult: set by the answer; ignored in a request.
        }
    }
    for (name, value) in [
        ("MSGID", &out.msg_id),
        ("MSGTypeID", &out.msg_type_id),
        ("MSGMode", &out.msg_mode),
        ("SourceSystemID", &out.source_system_id),
        ("DestinationSystemID", &out.destination_system_id),
    ] {
        if value.is_empty() {
            return Err(DenbunError::missing(name));
        }
    }
    if out.msg_id.chars().count() > 64 {
        return Err(DenbunError::bad("MSGID", "64文字までです"));
    }
    if out.source_system_id.chars().count() > 64 {
        return Err(DenbunError::bad("SourceSystemID", "64文字までです"));
    }
    if out.msg_type_id != spec.id {
        return Err(DenbunError::bad(
            "MSGTypeID",
            format!(
                "「{}」は文書要素の電文ID「{}」と違います",
                out.msg_type_id, spec.id
            ),
        ));
    }
    Ok(out)
}

/// An element of a 電文: name, its own text (whitespace-only text between elements dropped),
/// children.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Node>,
}

/// The deepest nesting a 電文 may have.
const MAX_DEPTH: usize = 8;

/// Reads a whole XML document into a tree (UTF-8 only, no DOCTYPE, at most [`MAX_DEPTH`]
/// levels): the 電文 and the small request files of 情報照会 (`FI_SKI_…`).
pub(crate) fn read_tree(text: &str) -> Result<Node, DenbunError> {
    let not_well_formed = |why: String, at: u64| {
        DenbunError::new(
            StatusCode::BAD_REQUEST,
            "NOT_WELL_FORMED",
            format!("電文がXMLとして整形式ではありません ({at}バイト目付近): {why}"),
        )
    };
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| not_well_formed(e.to_string(), at))?;
        match event {
            Event::Decl(decl) => {
                if let Some(encoding) = decl.encoding() {
                    let encoding = encoding.map_err(|e| not_well_formed(e.to_string(), at))?;
                    let name = encoding.into_owned();
                    if !name.eq_ignore_ascii_case("utf-8") {
                        return Err(DenbunError::new(
                            StatusCode::BAD_REQUEST,
                            "ENCODING",
                            format!(
                                "文字コード宣言が「{name}」です (電文は UTF-8 のみ受け付けます)"
                            ),
                        )
                        .item("encoding"));
                    }
                }
            }
            Event::DocType(_) => {
                return Err(not_well_formed("DOCTYPE は使えません".to_owned(), at));
            }
            Event::Start(start) => {
                if root.is_some() {
                    return Err(not_well_formed("文書要素の後に要素があります".into(), at));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(not_well_formed("要素の入れ子が深すぎます".into(), at));
                }
                let name = element_name(&start, at)?;
                stack.push(Node {
                    name,
                    text: String::new(),
                    children: Vec::new(),
                });
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err(not_well_formed("文書要素の後に要素があります".into(), at));
                }
                let node = Node {
                    name: element_name(&start, at)?,
                    text: String::new(),
                    children: Vec::new(),
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| {
                    not_well_formed("開始タグのない終了タグがあります".into(), at)
                })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                push_text(&mut stack, &t.xml10_content(), root.is_some(), at)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&reference)
                        .ok_or_else(|| {
                            not_well_formed(
                                format!("実体参照「&{};」は定義されていません", &*reference),
                                at,
                            )
                        })?
                        .to_owned(),
                    Err(e) => return Err(not_well_formed(e.to_string(), at)),
                };
                push_text(&mut stack, &resolved, root.is_some(), at)?;
            }
            Event::CData(c) => {
                push_text(&mut stack, &c.xml10_content(), root.is_some(), at)?;
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(not_well_formed(
            "電文が途中で終わっています (閉じられていない要素があります)".into(),
            text.len() as u64,
        ));
    }
    let mut root = root.ok_or_else(|| not_well_formed("文書要素がありません".into(), 0))?;
    trim_layout_text(&mut root);
    Ok(root)
}

/// Whitespace between child elements is layout, not a value.
fn trim_layout_text(node: &mut Node) {
    if !node.children.is_empty() {
        if node.text.trim().is_empty() {
            node.text.clear();
        }
        for child in &mut node.children {
            trim_layout_text(child);
        }
    }
}

fn push_text(stack: &mut [Node], text: &str, after_root: bool, at: u64) -> Result<(), DenbunError> {
    match stack.last_mut() {
        Some(node) => {
            node.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(DenbunError::new(
            StatusCode::BAD_REQUEST,
            "NOT_WELL_FORMED",
            format!(
                "電文がXMLとして整形式ではありません ({at}バイト目付近): 文書要素の{}に文字があります",
                if after_root { "後" } else { "前" }
            ),
        )),
    }
}

fn element_name(start: &quick_xml::events::BytesStart<'_>, at: u64) -> Result<String, DenbunError> {
    let name = start.name().as_ref().to_owned();
    if let Some(attribute) = start.attributes().next() {
        let attribute = attribute.map_err(|e| {
            DenbunError::new(
                StatusCode::BAD_REQUEST,
                "NOT_WELL_FORMED",
                format!("電文がXMLとして整形式ではありません ({at}バイト目付近): {e}"),
            )
        })?;
        let key = attribute.key.as_ref().to_owned();
        // Namespace declarations are tolerated (SOAP toolkits add them); other attributes are not.
        if !key.starts_with("xmlns") {
            return Err(DenbunError::new(
                StatusCode::BAD_REQUEST,
                "UNKNOWN_ELEMENT",
                format!("要素「{name}」に属性「{key}」は置けません"),
            )
            .item(key));
        }
    }
    Ok(name)
}

/// Writes an answer `_S01`.
pub struct Response {
    /// The answer's root (`…_S01`).
    pub id: String,
    pub msg_id: String,
    pub mode: String,
    /// The 中間サーバー (the tenant's 機関コード).
    pub source: String,
    /// The 既存システム that asked.
    pub destination: String,
    pub reception_number: String,
    pub result: MsgResult,
    /// The body's content, already XML (leaves written with [`leaf`]).
    pub body: String,
}

impl Response {
    /// The answer to `request` (header fields echoed and swapped).
    pub fn to(request: &Request, reception_number: &str, result: MsgResult, body: String) -> Self {
        Self {
            id: request.spec.response_id(),
            msg_id: request.header.msg_id.clone(),
            mode: request.header.msg_mode.clone(),
            source: request.header.destination_system_id.clone(),
            destination: request.header.source_system_id.clone(),
            reception_number: reception_number.to_owned(),
            result,
            body,
        }
    }

    /// The XML text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(512 + self.body.len());
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<{}>\n  <MessageHeader>\n", self.id));
        for (name, value) in [
            ("MSGID", self.msg_id.as_str()),
            ("MSGTypeID", self.id.as_str()),
            ("MSGMode", self.mode.as_str()),
            ("SourceSystemID", self.source.as_str()),
            ("DestinationSystemID", self.destination.as_str()),
            ("ReceptionNumber", self.reception_number.as_str()),
            ("MSGResult", self.result.code()),
        ] {
            out.push_str("    ");
            out.push_str(&leaf(name, value));
            out.push('\n');
        }
        out.push_str("  </MessageHeader>\n  <MessageBody>\n");
        out.push_str(&self.body);
        out.push_str(&format!("  </MessageBody>\n</{}>\n", self.id));
        out
    }
}

/// The body of an error answer.
pub fn error_body(error: &DenbunError) -> String {
    format!(
        "    <エラー>\n      {}\n      {}\n      {}\n    </エラー>\n",
        leaf("エラーコード", error.code),
        leaf("エラーメッセージ", &error.message),
        leaf("エラー項目", error.item.as_deref().unwrap_or("")),
    )
}

/// The answer when no `_S01` can be named (an unknown 電文ID, a path that does not exist, a
/// file-route error): `<エラー応答>` (renkei-defined).
pub fn error_document(error: &DenbunError) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<エラー応答>\n  {}\n  {}\n  {}\n</エラー応答>\n",
        leaf("エラーコード", error.code),
        leaf("エラーメッセージ", &error.message),
        leaf("エラー項目", error.item.as_deref().unwrap_or("")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><IF_FGU_10112_R01><MessageHeader><MSGID>m1</MSGID><MSGTypeID>IF_FGU_10112_R01</MSGTypeID><MSGMode>1</MSGMode><SourceSystemID>S</SourceSystemID><DestinationSystemID>9913101600000000</DestinationSystemID><ReceptionNumber/><MSGResult/></MessageHeader><MessageBody>{body}</MessageBody></IF_FGU_10112_R01>"
        )
    }

    #[test]
    fn a_request_reads_with_its_body() {
        let parsed = parse_request(
            FGU_STATUS,
            request(
                "<団体内統合宛名番号>000000000000123</団体内統合宛名番号><備考>𠮷&amp;髙</備考>",
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(parsed.mode, MsgMode::Test);
        assert_eq!(
            parsed.required("団体内統合宛名番号").unwrap(),
            "000000000000123"
        );
        assert_eq!(parsed.required("備考").unwrap(), "𠮷&髙");
    }

    #[test]
    fn envelope_errors_have_codes() {
        let code = |id: &str, text: &str| parse_request(id, text.as_bytes()).unwrap_err().code;
        assert_eq!(code("IF_SKI_99999_R01", &request("")), "UNKNOWN_DENBUN");
        assert_eq!(code(FGU_REQUEST, &request("")), "ROOT_MISMATCH");
        assert_eq!(
            code(FGU_STATUS, "<IF_FGU_10112_R01><a></b>"),
            "NOT_WELL_FORMED"
        );
        assert_eq!(
            code(FGU_STATUS, &request("").replace("UTF-8", "Shift_JIS")),
            "ENCODING"
        );
        assert_eq!(
            code(FGU_STATUS, &request("").replace("<MSGID>m1</MSGID>", "")),
            "MISSING_ITEM"
        );
        assert_eq!(
            code(FGU_STATUS, &request("").replace("<MSGMode>1", "<MSGMode>2")),
            "BAD_ITEM"
        );
        assert_eq!(
            parse_request(FGU_STATUS, &[0x3c, 0xff, 0xfe])
                .unwrap_err()
                .code,
            "ENCODING"
        );
        assert_eq!(
            code(
                FGU_STATUS,
                &format!("<!DOCTYPE x []>{}", request("").split_once("?>").unwrap().1)
            ),
            "NOT_WELL_FORMED"
        );
    }

    #[test]
    fn every_error_code_is_listed_once() {
        let mut codes: Vec<&str> = ERROR_CODES.iter().map(|c| c.0).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), before);
    }
}
