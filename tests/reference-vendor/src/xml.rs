//! 申請ZIPの XML を読むための小さな道具 (uppsala の DOM の上)。
//!
//! 要素は名前空間 `urn:renkei:pittari:shinsei-zip:1` の中の日本語のローカル名で探します。
//! 値は要素の文字をそのまま返します: 前後の空白を削らず、文字参照 (`&#xD;` など) は元の文字に戻ったものです。

use uppsala::{Document, NodeId, NodeKind};

/// 申請ZIPの XML の名前空間 (docs/shinsei-zip.md「共通の決まり」)。
pub const NS: &str = "urn:renkei:pittari:shinsei-zip:1";
/// XML 署名の名前空間。
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// DOCTYPE を含むか。DTD は内容を変えうる (実体の展開) ので、申請ZIPの XML では受け付けません。
pub fn has_doctype(text: &str) -> bool {
    text.contains("<!DOCTYPE") || text.contains("<!doctype")
}

/// 解析します。DOCTYPE があれば解析する前に断ります。
pub fn parse(text: &str) -> Result<Document<'_>, String> {
    if has_doctype(text) {
        return Err("DOCTYPE があります (申請ZIPの XML は DOCTYPE を持ちません)".to_owned());
    }
    uppsala::parse(text).map_err(|e| format!("XML として読めません: {e}"))
}

/// 文書要素。名前空間とローカル名が違えばエラー。
pub fn root(doc: &Document<'_>, local: &str) -> Result<NodeId, String> {
    let id = doc.document_element().ok_or("文書要素がありません")?;
    if is_element(doc, id, NS, local) {
        Ok(id)
    } else {
        Err(format!("文書要素が {local} (名前空間 {NS}) ではありません"))
    }
}

pub fn is_element(doc: &Document<'_>, id: NodeId, ns: &str, local: &str) -> bool {
    doc.element(id)
        .is_some_and(|e| e.name.local_name == local && e.name.namespace_uri.as_deref() == Some(ns))
}

/// 子要素のうち、名前空間 `ns` でローカル名が `local` のもの (文書の順)。
pub fn children_ns(doc: &Document<'_>, parent: NodeId, ns: &str, local: &str) -> Vec<NodeId> {
    doc.children_iter(parent)
        .filter(|c| is_element(doc, *c, ns, local))
        .collect()
}

/// 子要素 (申請ZIPの名前空間)。
pub fn children(doc: &Document<'_>, parent: NodeId, local: &str) -> Vec<NodeId> {
    children_ns(doc, parent, NS, local)
}

/// ちょうど1つある子要素。
pub fn child(doc: &Document<'_>, parent: NodeId, local: &str) -> Result<NodeId, String> {
    let found = children(doc, parent, local);
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("要素 {local} がありません")),
        _ => Err(format!(
            "要素 {local} が {} 個あります (1つのはずです)",
            found.len()
        )),
    }
}

/// 0か1つある子要素。
pub fn optional_child(
    doc: &Document<'_>,
    parent: NodeId,
    local: &str,
) -> Result<Option<NodeId>, String> {
    let found = children(doc, parent, local);
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(format!(
            "要素 {local} が {} 個あります (多くても1つのはずです)",
            found.len()
        )),
    }
}

/// 要素の文字 (子孫の文字と CDATA をつないだもの)。空要素なら空文字列。
pub fn text(doc: &Document<'_>, id: NodeId) -> String {
    let mut out = String::new();
    collect_text(doc, id, &mut out);
    out
}

fn collect_text(doc: &Document<'_>, id: NodeId, out: &mut String) {
    for c in doc.children_iter(id) {
        match doc.node_kind(c) {
            Some(NodeKind::Text(t)) | Some(NodeKind::CData(t)) => out.push_str(t),
            Some(NodeKind::Element(_)) => collect_text(doc, c, out),
            _ => {}
        }
    }
}

/// ちょうど1つある子要素の文字。
pub fn child_text(doc: &Document<'_>, parent: NodeId, local: &str) -> Result<String, String> {
    Ok(text(doc, child(doc, parent, local)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_exactly_as_written() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a xmlns=\"urn:renkei:pittari:shinsei-zip:1\"><値> 𠮷&amp;&lt;&#xD;\n\u{E000}〜～ﾖ </値><空/></a>";
        let doc = parse(xml).unwrap();
        let root = root(&doc, "a").unwrap();
        assert_eq!(
            child_text(&doc, root, "値").unwrap(),
            " 𠮷&<\r\n\u{E000}〜～ﾖ "
        );
        assert_eq!(child_text(&doc, root, "空").unwrap(), "");
        assert!(child(&doc, root, "ない").is_err());
    }

    #[test]
    fn refuses_a_doctype_before_parsing() {
        let xml =
            "<!DOCTYPE a [<!ENTITY x \"y\">]><a xmlns=\"urn:renkei:pittari:shinsei-zip:1\">&x;</a>";
        assert!(parse(xml).unwrap_err().contains("DOCTYPE"));
    }
}
