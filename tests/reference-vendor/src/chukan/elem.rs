//! 中間サーバーの答え (電文の応答、処理状況、結果ファイル) を読むための、持ち運べる要素の木。
//!
//! uppsala の DOM は元の文字列を借りるので、答えを関数の外へ返せません。答えは小さい (電文は 1 MiB まで)
//! ので、要素の名前・属性・文字・子だけを持つ木に写してから読みます。名前は名前空間を見ずにローカル名で
//! 比べます (`xmlns` があっても読めるように。docs/chukan-api.md「文字コードと XML」)。

use crate::xml;
use uppsala::{Document, NodeId, NodeKind};

/// 要素1つ。
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Elem {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// 直下の文字をつないだもの (子要素の文字は含めません)。
    pub text: String,
    pub children: Vec<Elem>,
}

impl Elem {
    /// 文字列を解析して文書要素の木にします。
    pub fn parse(text: &str) -> Result<Elem, String> {
        let text = text.trim_start_matches('\u{feff}');
        let doc = xml::parse(text)?;
        let root = doc.document_element().ok_or("文書要素がありません")?;
        Ok(copy(&doc, root))
    }

    /// 名前が `name` の最初の子。
    pub fn child(&self, name: &str) -> Option<&Elem> {
        self.children.iter().find(|c| c.name == name)
    }

    /// 名前が `name` の子すべて (文書の順)。
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Elem> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// 名前が `name` の最初の子の文字。
    pub fn get(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// 名前が `name` の最初の子の文字 (なければ空)。
    pub fn text_of(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    /// 属性。
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn copy(doc: &Document<'_>, id: NodeId) -> Elem {
    let mut out = Elem::default();
    if let Some(e) = doc.element(id) {
        out.name = e.name.local_name.to_string();
        out.attrs = e
            .attributes
            .iter()
            .filter(|a| a.name.prefix.as_deref() != Some("xmlns") && a.name.local_name != "xmlns")
            .map(|a| (a.name.local_name.to_string(), a.value.to_string()))
            .collect();
    }
    for c in doc.children_iter(id) {
        match doc.node_kind(c) {
            Some(NodeKind::Text(t)) | Some(NodeKind::CData(t)) => out.text.push_str(t),
            Some(NodeKind::Element(_)) => out.children.push(copy(doc, c)),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_names_attributes_and_text() {
        let e = Elem::parse(
            "\u{feff}<a xmlns=\"urn:x\"><b 名=\"課税年度\">2025</b><b 名=\"x\" NULL理由=\"1\"/><c> 𠮷&amp; </c></a>",
        )
        .unwrap();
        assert_eq!(e.name, "a");
        assert!(e.attrs.is_empty(), "xmlns は属性に数えない");
        let bs: Vec<&Elem> = e.all("b").collect();
        assert_eq!(bs.len(), 2);
        assert_eq!(bs[0].attr("名"), Some("課税年度"));
        assert_eq!(bs[0].text, "2025");
        assert_eq!(bs[1].attr("NULL理由"), Some("1"));
        assert_eq!(e.get("c"), Some(" 𠮷& "));
        assert_eq!(e.text_of("none"), "");
        assert!(Elem::parse("<a><b></a>").is_err());
    }
}
