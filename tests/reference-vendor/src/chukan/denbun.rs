//! 電文の組み立てと応答の読み (docs/chukan-api.md「Webサービス連携: 電文」、docs/xsd/chukan/denbun.xsd)。
//!
//! 符号管理の電文 `IF_FGU_10111_R01` (符号取得要求登録) と `IF_FGU_10112_R01` (符号取得状況の取得) はここで
//! 組み立てて読みます ([`parse`])。既存業務システムの電文 (副本登録・情報照会・提供・記録・通知) は
//! [`request`] で組み立て、[`reply`] で本文を要素の木 ([`Elem`]) にして、それぞれのモジュールが読みます。
//!
//! 要求は XSD のとおりに名前空間なしで書きます。応答は `…_S01` か、電文IDを名指しできないときの
//! `<エラー応答>` です。応答の要素は名前だけで探します (`xmlns` があっても読めるように)。

use super::elem::Elem;
use crate::xml;
use uppsala::{Document, NodeId};

pub const TOUROKU: &str = "IF_FGU_10111_R01";
pub const JOKYO: &str = "IF_FGU_10112_R01";

/// 中間サーバーが返す符号取得状態の語 (denbun.xsd の `FugouJotai`)。
pub const JOTAI: [&str; 3] = ["符号取得中", "符号取得済み", "エラー"];

/// MessageHeader の要求側の値。
pub struct Header<'a> {
    pub msg_id: &'a str,
    pub msg_mode: &'a str,
    pub source: &'a str,
    /// 宛先のテナントの機関コード。
    pub destination: &'a str,
}

/// XML の文字・属性値に書けるようにします。CR・タブ・改行は文字参照にします (そのまま書くと、読む側の
/// XML の正規化で別の文字 (LF・空白) に変わるため)。
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            _ => out.push(c),
        }
    }
    out
}

/// 電文 `id` の要求を組み立てます。本文は (要素名, 値) を順に並べたものです (どの要求の本文も平らです)。
pub fn request(id: &str, h: &Header<'_>, body: &[(&str, &str)]) -> String {
    let mut x = String::with_capacity(512);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!("<{id}>\n  <MessageHeader>\n"));
    for (name, value) in [
        ("MSGID", h.msg_id),
        ("MSGTypeID", id),
        ("MSGMode", h.msg_mode),
        ("SourceSystemID", h.source),
        ("DestinationSystemID", h.destination),
    ] {
        x.push_str(&format!("    <{name}>{}</{name}>\n", escape(value)));
    }
    x.push_str("  </MessageHeader>\n  <MessageBody>\n");
    for (name, value) in body {
        x.push_str(&format!("    <{name}>{}</{name}>\n", escape(value)));
    }
    x.push_str(&format!("  </MessageBody>\n</{id}>\n"));
    x
}

/// `IF_FGU_10111_R01`: 団体内統合宛名番号と個人番号で符号取得要求を登録する。
pub fn touroku(h: &Header<'_>, tougou_atena_bango: &str, kojin_bango: &str) -> String {
    request(
        TOUROKU,
        h,
        &[
            ("団体内統合宛名番号", tougou_atena_bango),
            ("個人番号", kojin_bango),
        ],
    )
}

/// `IF_FGU_10112_R01`: 符号取得状況を聞く。
pub fn jokyo(h: &Header<'_>, tougou_atena_bango: &str) -> String {
    request(JOKYO, h, &[("団体内統合宛名番号", tougou_atena_bango)])
}

/// 本人の符号取得状態 (応答の本文)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jotai {
    pub tougou_atena_bango: String,
    /// `符号取得中` / `符号取得済み` / `エラー`。
    pub jotai: String,
    pub yokyu_nichiji: String,
    /// 状態による補足 (発行予定日時、取得日時、エラー日時とエラー理由) を人が読める一文に。
    pub detail: String,
}

/// 応答のエラー (MSGResult 1 の本文か `<エラー応答>`)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenbunError {
    pub http_status: u16,
    pub code: String,
    pub message: String,
    pub item: String,
}

impl DenbunError {
    /// その本人に限った断り (本人の番号の誤り・他団体の住民など) か。ほかは電文の組み立て・証明書・環境
    /// など全員に効く誤りなので、その回を続けても同じに断られます。
    pub fn is_about_the_person(&self) -> bool {
        self.code.starts_with("FUGOU_")
            || matches!(self.item.as_str(), "団体内統合宛名番号" | "個人番号")
    }
}

/// 読んだ応答。
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// MSGResult 0。`reception_number` は中間サーバー受付番号 (10112 では空)。
    Ok {
        reception_number: String,
        jotai: Jotai,
    },
    Refused(DenbunError),
}

fn child(doc: &Document<'_>, parent: NodeId, name: &str) -> Option<NodeId> {
    doc.children_iter(parent)
        .find(|c| doc.element(*c).is_some_and(|e| e.name.local_name == name))
}

fn child_text(doc: &Document<'_>, parent: NodeId, name: &str) -> Option<String> {
    child(doc, parent, name).map(|id| xml::text(doc, id))
}

fn error_of(doc: &Document<'_>, error: NodeId, http_status: u16) -> DenbunError {
    let get = |name: &str| child_text(doc, error, name).unwrap_or_default();
    DenbunError {
        http_status,
        code: get("エラーコード"),
        message: get("エラーメッセージ"),
        item: get("エラー項目"),
    }
}

/// 応答を読みます。`expected` は要求の電文ID (`…_R01`)。読めない応答は `Err` (人が読む一文)。
pub fn parse(expected: &str, http_status: u16, body: &[u8]) -> Result<Answer, String> {
    let text = std::str::from_utf8(body)
        .map_err(|_| format!("応答 (HTTP {http_status}) が UTF-8 ではありません"))?;
    let text = text.trim_start_matches('\u{feff}');
    let doc = xml::parse(text).map_err(|e| {
        let head: String = text.chars().take(200).collect();
        format!("応答 (HTTP {http_status}) を読めません: {e}: {head}")
    })?;
    let root = doc.document_element().ok_or("応答に文書要素がありません")?;
    let root_name = doc
        .element(root)
        .map(|e| e.name.local_name.to_string())
        .unwrap_or_default();
    if root_name == "エラー応答" {
        return Ok(Answer::Refused(error_of(&doc, root, http_status)));
    }
    let response_id = expected.replace("_R01", "_S01");
    if root_name != response_id {
        return Err(format!(
            "応答 (HTTP {http_status}) の文書要素が {root_name} です ({response_id} のはず)"
        ));
    }
    let header = child(&doc, root, "MessageHeader").ok_or("応答に MessageHeader がありません")?;
    let body = child(&doc, root, "MessageBody").ok_or("応答に MessageBody がありません")?;
    let result = child_text(&doc, header, "MSGResult").unwrap_or_default();
    if let Some(error) = child(&doc, body, "エラー") {
        return Ok(Answer::Refused(error_of(&doc, error, http_status)));
    }
    if result != "0" {
        return Err(format!(
            "応答 (HTTP {http_status}) の MSGResult が「{result}」なのに エラー がありません"
        ));
    }
    let get = |name: &str| child_text(&doc, body, name);
    let jotai = get("符号取得状態").ok_or("応答に 符号取得状態 がありません")?;
    if !JOTAI.contains(&jotai.as_str()) {
        return Err(format!("応答の符号取得状態「{jotai}」を知りません"));
    }
    let detail = match jotai.as_str() {
        "符号取得中" => format!("発行予定日時 {}", get("発行予定日時").unwrap_or_default()),
        "符号取得済み" => format!("取得日時 {}", get("取得日時").unwrap_or_default()),
        _ => format!(
            "エラー日時 {}: {}",
            get("エラー日時").unwrap_or_default(),
            get("エラー理由").unwrap_or_default()
        ),
    };
    Ok(Answer::Ok {
        reception_number: child_text(&doc, header, "ReceptionNumber").unwrap_or_default(),
        jotai: Jotai {
            tougou_atena_bango: get("団体内統合宛名番号").unwrap_or_default(),
            jotai,
            yokyu_nichiji: get("要求日時").unwrap_or_default(),
            detail,
        },
    })
}

/// 既存業務システムの電文の応答。
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// MSGResult 0。`reception_number` は中間サーバー受付番号 (受付のない電文では空)、`body` は MessageBody。
    Ok {
        reception_number: String,
        body: Elem,
    },
    Refused(DenbunError),
}

/// 電文の応答を読みます。`expected` は要求の電文ID (`…_R01`)。読めない応答は `Err` (人が読む一文)。
pub fn reply(expected: &str, http_status: u16, body: &[u8]) -> Result<Reply, String> {
    let text = std::str::from_utf8(body)
        .map_err(|_| format!("{expected} の応答 (HTTP {http_status}) が UTF-8 ではありません"))?;
    let root = Elem::parse(text).map_err(|e| {
        let head: String = text.chars().take(200).collect();
        format!("{expected} の応答 (HTTP {http_status}) を読めません: {e}: {head}")
    })?;
    if root.name == "エラー応答" {
        return Ok(Reply::Refused(error_of_elem(&root, http_status)));
    }
    let response_id = expected.replace("_R01", "_S01");
    if root.name != response_id {
        return Err(format!(
            "応答 (HTTP {http_status}) の文書要素が {} です ({response_id} のはず)",
            root.name
        ));
    }
    let header = root
        .child("MessageHeader")
        .ok_or_else(|| format!("{response_id} に MessageHeader がありません"))?;
    let body = root
        .child("MessageBody")
        .ok_or_else(|| format!("{response_id} に MessageBody がありません"))?;
    if let Some(error) = body.child("エラー") {
        return Ok(Reply::Refused(error_of_elem(error, http_status)));
    }
    let result = header.text_of("MSGResult");
    if result != "0" {
        return Err(format!(
            "{response_id} (HTTP {http_status}) の MSGResult が「{result}」なのに エラー がありません"
        ));
    }
    Ok(Reply::Ok {
        reception_number: header.text_of("ReceptionNumber"),
        body: body.clone(),
    })
}

/// ファイル連携 (`/xml/v1/…`) の XML の答えを読みます: `<エラー応答>` なら断り、ほかは文書要素。
pub fn file_reply(
    what: &str,
    http_status: u16,
    body: &[u8],
) -> Result<Result<Elem, DenbunError>, String> {
    let text = std::str::from_utf8(body)
        .map_err(|_| format!("{what} の答え (HTTP {http_status}) が UTF-8 ではありません"))?;
    let root = Elem::parse(text).map_err(|e| {
        let head: String = text.chars().take(200).collect();
        format!("{what} の答え (HTTP {http_status}) を読めません: {e}: {head}")
    })?;
    if root.name == "エラー応答" {
        return Ok(Err(error_of_elem(&root, http_status)));
    }
    if !(200..300).contains(&http_status) {
        return Err(format!(
            "{what} の答えが HTTP {http_status} なのに エラー応答 ではありません ({})",
            root.name
        ));
    }
    Ok(Ok(root))
}

fn error_of_elem(e: &Elem, http_status: u16) -> DenbunError {
    DenbunError {
        http_status,
        code: e.text_of("エラーコード"),
        message: e.text_of("エラーメッセージ"),
        item: e.text_of("エラー項目"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: Header<'static> = Header {
        msg_id: "M-0001",
        msg_mode: "1",
        source: "KIZON-01",
        destination: "9913101600000000",
    };

    #[test]
    fn writes_the_documented_request() {
        let x = touroku(&HEADER, "000000100000004", "983205673214");
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<IF_FGU_10111_R01>"));
        assert!(x.contains("<MSGTypeID>IF_FGU_10111_R01</MSGTypeID>"));
        assert!(x.contains("<DestinationSystemID>9913101600000000</DestinationSystemID>"));
        assert!(x.contains("<団体内統合宛名番号>000000100000004</団体内統合宛名番号>"));
        assert!(x.contains("<個人番号>983205673214</個人番号>"));
        let j = jokyo(&HEADER, "000000100000004");
        assert!(j.contains("<IF_FGU_10112_R01>") && !j.contains("個人番号"));
        // 電文は整形式
        assert!(xml::parse(&x).is_ok() && xml::parse(&j).is_ok());
    }

    #[test]
    fn reads_the_documented_response() {
        let s = r#"<?xml version="1.0" encoding="UTF-8"?>
<IF_FGU_10111_S01>
  <MessageHeader>
    <MSGID>M-0001</MSGID>
    <MSGTypeID>IF_FGU_10111_S01</MSGTypeID>
    <MSGMode>1</MSGMode>
    <SourceSystemID>9913101600000000</SourceSystemID>
    <DestinationSystemID>KIZON-01</DestinationSystemID>
    <ReceptionNumber>202604060000000001</ReceptionNumber>
    <MSGResult>0</MSGResult>
  </MessageHeader>
  <MessageBody>
    <団体内統合宛名番号>000000100000004</団体内統合宛名番号>
    <符号取得状態>符号取得中</符号取得状態>
    <要求日時>2026-04-06T09:00:00+09:00</要求日時>
    <発行予定日時>2026-04-08T00:00:00+09:00</発行予定日時>
  </MessageBody>
</IF_FGU_10111_S01>"#;
        let Answer::Ok {
            reception_number,
            jotai,
        } = parse(TOUROKU, 200, s.as_bytes()).unwrap()
        else {
            panic!("正常の応答");
        };
        assert_eq!(reception_number, "202604060000000001");
        assert_eq!(jotai.jotai, "符号取得中");
        assert_eq!(jotai.tougou_atena_bango, "000000100000004");
        assert!(jotai.detail.contains("2026-04-08T00:00:00+09:00"));
    }

    #[test]
    fn reads_errors_and_tells_the_person_from_the_system() {
        let s = r#"<IF_FGU_10112_S01><MessageHeader><MSGID>M</MSGID><MSGTypeID>IF_FGU_10112_S01</MSGTypeID>
<MSGMode>1</MSGMode><SourceSystemID>9913101600000000</SourceSystemID><DestinationSystemID>K</DestinationSystemID>
<ReceptionNumber/><MSGResult>1</MSGResult></MessageHeader><MessageBody><エラー><エラーコード>FUGOU_NOT_REQUESTED</エラーコード>
<エラーメッセージ>指定された団体内統合宛名番号「000000100000004」は符号が未取得です。</エラーメッセージ>
<エラー項目>団体内統合宛名番号</エラー項目></エラー></MessageBody></IF_FGU_10112_S01>"#;
        let Answer::Refused(e) = parse(JOKYO, 404, s.as_bytes()).unwrap() else {
            panic!("エラーの応答");
        };
        assert_eq!(e.code, "FUGOU_NOT_REQUESTED");
        assert_eq!(e.http_status, 404);
        assert!(e.is_about_the_person());
        let unknown = "<エラー応答><エラーコード>UNKNOWN_DENBUN</エラーコード><エラーメッセージ>m</エラーメッセージ><エラー項目/></エラー応答>";
        let Answer::Refused(e) = parse(JOKYO, 404, unknown.as_bytes()).unwrap() else {
            panic!("エラー応答");
        };
        assert_eq!(e.code, "UNKNOWN_DENBUN");
        assert!(!e.is_about_the_person());
        assert!(parse(JOKYO, 502, b"Bad Gateway").is_err());
        assert!(parse(JOKYO, 200, b"<IF_FGU_10111_S01/>").is_err());
    }

    #[test]
    fn reads_any_reply_into_a_tree() {
        let ok = r#"<IF_SKI_10714_S01><MessageHeader><MSGID>M</MSGID><MSGTypeID>IF_SKI_10714_S01</MSGTypeID>
<MSGMode>1</MSGMode><SourceSystemID>9913101600000000</SourceSystemID><DestinationSystemID>K</DestinationSystemID>
<ReceptionNumber/><MSGResult>0</MSGResult></MessageHeader><MessageBody><照会状況><処理通番>2026040700000001</処理通番>
<照会ステータス>取りやめ</照会ステータス></照会状況></MessageBody></IF_SKI_10714_S01>"#;
        let Reply::Ok {
            reception_number,
            body,
        } = reply("IF_SKI_10714_R01", 200, ok.as_bytes()).unwrap()
        else {
            panic!("正常の応答");
        };
        assert_eq!(reception_number, "");
        assert_eq!(
            body.child("照会状況").unwrap().get("照会ステータス"),
            Some("取りやめ")
        );
        let refused = ok
            .replace("<MSGResult>0</MSGResult>", "<MSGResult>1</MSGResult>")
            .replace(
                "<照会状況><処理通番>2026040700000001</処理通番>\n<照会ステータス>取りやめ</照会ステータス></照会状況>",
                "<エラー><エラーコード>SK55</エラーコード><エラーメッセージ>m</エラーメッセージ><エラー項目>処理通番</エラー項目></エラー>",
            );
        let Reply::Refused(e) = reply("IF_SKI_10714_R01", 409, refused.as_bytes()).unwrap() else {
            panic!("エラーの応答: {refused}");
        };
        assert_eq!((e.code.as_str(), e.http_status), ("SK55", 409));
        assert!(
            reply("IF_SKI_10712_R01", 200, ok.as_bytes()).is_err(),
            "違う電文の応答"
        );
        let file = file_reply("処理状況", 404, "<エラー応答><エラーコード>RECEPTION_NOT_FOUND</エラーコード><エラーメッセージ>m</エラーメッセージ><エラー項目/></エラー応答>".as_bytes()).unwrap();
        assert_eq!(file.unwrap_err().code, "RECEPTION_NOT_FOUND");
        assert!(file_reply("処理状況", 502, b"<html/>").is_err());
    }

    #[test]
    fn control_characters_survive_as_references() {
        let x = request("IF_X_R01", &HEADER, &[("値", "a\r\nb\t<&>")]);
        assert!(x.contains("<値>a&#xD;&#xA;b&#x9;&lt;&amp;&gt;</値>"));
        let e = Elem::parse(&x).unwrap();
        assert_eq!(
            e.child("MessageBody").unwrap().get("値"),
            Some("a\r\nb\t<&>")
        );
    }
}
