//! 問合せ資料 (`toiawase`、docs/kizon-gyomu.md「問合せ資料」、SEC-02; seed 004 §2.7): 照会がうまくいかなかった
//! ときにヘルプデスクへ伝えるもの。発生日時、事象の概要、エラー (中間サーバーが返したコードとメッセージ)、
//! その照会で送った電文と受けた電文です。
//!
//! 電文は照会のたびに (符号の確認、登録、状況、結果、取りやめ) 保管してあり、資料を作るときに **個人を識別できる
//! 値をマスキング** します: 要素 `団体内統合宛名番号`・`個人番号` と、名前に `氏名`・`住所`・`生年月日` を含む要素
//! (副本の `<項目 名="氏名">` も) の値を、同じ文字数の `*` にします。要素名・MSGTypeID・エラーコードは残します。
//! そうして隠した値がほかの所 (エラーメッセージなど) に出ていれば、そこも同じく `*` にします。
//!
//! 作った資料は保管し、`GET /toiawase?irai_id=…` はそれを返します。

use crate::app::App;
use crate::defects::{DefectKind, Seeded};
use crate::error::Result;
use crate::kizon::irai::{self, Irai};
use crate::store::DenbunRow;
use serde::Serialize;
use serde_json::{Value, json};

/// `toiawase` の報告。
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// 資料を作った (知らない依頼なら `false`)。
    pub tsukutta: bool,
    /// 資料に添えた電文の数 (送ったものと受けたもの)。
    pub denbun: usize,
    pub notes: Vec<String>,
}

/// `toiawase`: 依頼 `irai_id` の照会の問合せ資料を作って保管します。知らない依頼なら何もしません。
pub fn toiawase(app: &App, irai_id: &str) -> Result<Report> {
    let mut report = Report::default();
    let store = app.store();
    let Some(i) = store.kizon_shoukai(irai_id)? else {
        report.notes.push(format!("依頼 {irai_id} はありません"));
        return Ok(report);
    };
    let denbun = store.kizon_denbun(irai_id)?;
    let kojin = store.kizon_kojin_bango(&i.tougou_atena_bango)?;
    let mut known = vec![i.tougou_atena_bango.clone()];
    known.extend(kojin);
    let shiryou = shiryou(&i, &denbun, &known, app.seeded);
    report.denbun = shiryou["denbun"].as_array().map_or(0, Vec::len);
    if i.error.is_none() {
        report.notes.push(format!(
            "依頼 {irai_id} の照会にはエラーがありません (いまは「{}」)",
            i.status
        ));
    }
    store.kizon_toiawase_save(irai_id, &shiryou)?;
    report.tsukutta = true;
    Ok(report)
}

/// 問合せ資料の JSON (docs/kizon-gyomu.md「問合せ資料」)。`known` は、電文の要素のほかにも隠す本人の値
/// (団体内統合宛名番号、個人番号)。
pub fn shiryou(i: &Irai, denbun: &[DenbunRow], known: &[String], seeded: Seeded) -> Value {
    let unmasked = seeded.has(DefectKind::ToiawaseUnmasked);
    let mut values: Vec<String> = known.iter().filter(|v| !v.is_empty()).cloned().collect();
    for d in denbun {
        personal_values(&d.sent, &mut values);
        personal_values(&d.received, &mut values);
    }
    // 長い値から置き換えます (短い値が長い値の一部のとき、長いほうを残さないため)。
    values.sort_by_key(|v| std::cmp::Reverse(v.chars().count()));
    values.dedup();
    let hide = |text: &str| {
        if unmasked {
            // 不具合: 電文とメッセージをそのまま載せる (マスキングしない)。
            text.to_owned()
        } else {
            mask(text, &values)
        }
    };
    let texts: Vec<String> = denbun
        .iter()
        .flat_map(|d| [hide(&d.sent), hide(&d.received)])
        .collect();
    let hassei = denbun
        .iter()
        .rev()
        .find(|d| d.error_code.is_some())
        .or(denbun.last())
        .map(|d| d.nichiji.clone());
    let error = i
        .error
        .as_ref()
        .map(|(code, message)| json!({"code": code, "message": hide(message)}));
    json!({
        "irai_id": i.irai_id,
        "hassei_nichiji": hassei,
        "gaiyou": gaiyou(i),
        "error": error,
        "denbun": texts,
    })
}

/// 事象の概要 (人が読む一文)。
fn gaiyou(i: &Irai) -> String {
    let what = format!(
        "情報照会 (依頼 {}、特定個人情報 {}、情報提供者 {}、{})",
        i.irai_id, i.tokutei, i.teikyousha, i.houshiki
    );
    match (&i.error, &i.shori_tsuuban) {
        (Some((code, _)), None) => {
            format!("{what} の登録が中間サーバーに断られた ({code})。照会は登録されていない")
        }
        (Some((code, _)), Some(t)) => {
            format!("{what} がエラーになった ({code}、処理通番 {t})")
        }
        (None, Some(t)) => format!("{what} が「{}」になっている (処理通番 {t})", i.status),
        (None, None) if i.status == irai::SHOUKAI_FUKA => format!(
            "{what} は照会不可 ({}) のため中間サーバーに送っていない",
            i.reason.as_deref().unwrap_or(irai::HOUREI_KONKYO_NASHI)
        ),
        (None, None) => format!("{what} はまだ中間サーバーに送っていない (「{}」)", i.status),
    }
}

/// 個人を識別できる値を持つ要素か (要素のローカル名、又は `<項目 名="…">` の名)。
fn is_personal(name: &str) -> bool {
    name == "団体内統合宛名番号"
        || name == "個人番号"
        || ["氏名", "住所", "生年月日"]
            .iter()
            .any(|p| name.contains(p))
}

/// 開始タグ `<…>` の中身 (`<` と `>` を除いたもの) が、個人を識別できる値の要素を開くか。
fn opens_personal(tag: &str) -> bool {
    if tag.starts_with(['/', '?', '!']) || tag.ends_with('/') {
        return false;
    }
    let name_end = tag
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(tag.len());
    let qname = &tag[..name_end];
    let local = qname.rsplit(':').next().unwrap_or(qname);
    if is_personal(local) {
        return true;
    }
    local == "項目" && attr(&tag[name_end..], "名").is_some_and(is_personal)
}

/// 属性の並び (`名="氏名" …`) から属性 `name` の値。
fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attrs;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let quote = after.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        let value_end = after[1..].find(quote)? + 1;
        if key == name {
            return Some(&after[1..value_end]);
        }
        rest = &after[value_end + 1..];
    }
    None
}

/// XML の文字の文字数 (文字参照・実体参照は1文字)。
fn char_count(text: &str) -> usize {
    let mut n = 0;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '&'
            && let Some(end) = rest.find(';')
            && end <= 10
        {
            rest = &rest[end + 1..];
        } else {
            rest = &rest[c.len_utf8()..];
        }
        n += 1;
    }
    n
}

/// 電文の個人を識別できる要素の値を `out` に集めます。
fn personal_values(xml: &str, out: &mut Vec<String>) {
    walk(xml, |personal, text| {
        let v = text.trim();
        if personal && !v.is_empty() && !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
        None
    });
}

/// 電文 (又はメッセージ) の個人を識別できる値を、同じ文字数の `*` にします。要素名と属性はそのままです。
/// `values` (長い順) は、ほかの所に出ていても隠す値です。
pub fn mask(text: &str, values: &[String]) -> String {
    let replaced = |t: &str| {
        let mut t = t.to_owned();
        for v in values {
            if t.contains(v.as_str()) {
                t = t.replace(v.as_str(), &"*".repeat(v.chars().count()));
            }
        }
        t
    };
    if !text.contains('<') {
        return replaced(text);
    }
    walk(text, |personal, t| {
        Some(if personal && !t.trim().is_empty() {
            "*".repeat(char_count(t))
        } else {
            replaced(t)
        })
    })
}

/// XML の文字列をタグと文字に分けてたどります。`f(個人を識別できる要素の直下か, 文字)` が `Some` なら
/// その文字をそれに置き換えた文字列を返します (タグはそのまま)。
fn walk(xml: &str, mut f: impl FnMut(bool, &str) -> Option<String>) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    let mut personal = false;
    loop {
        let Some(lt) = rest.find('<') else {
            out.push_str(&f(personal, rest).unwrap_or_else(|| rest.to_owned()));
            return out;
        };
        let text = &rest[..lt];
        out.push_str(&f(personal, text).unwrap_or_else(|| text.to_owned()));
        let Some(gt) = rest[lt..].find('>') else {
            out.push_str(&rest[lt..]);
            return out;
        };
        let tag = &rest[lt..lt + gt + 1];
        out.push_str(tag);
        personal = opens_personal(&tag[1..tag.len() - 1]);
        rest = &rest[lt + gt + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kizon::irai::Jouken;

    const SENT: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<IF_SKI_10711_R01>\n  <MessageHeader>\n    <MSGTypeID>IF_SKI_10711_R01</MSGTypeID>\n  </MessageHeader>\n  <MessageBody>\n    <団体内統合宛名番号>000000100000004</団体内統合宛名番号>\n    <特定個人情報名コード>TM00000000000002</特定個人情報名コード>\n  </MessageBody>\n</IF_SKI_10711_R01>\n";
    const RECEIVED: &str = "<ns:IF_SKI_10711_S01 xmlns:ns=\"urn:x\"><MessageBody><エラー><エラーコード>SK22</エラーコード><メッセージ>指定された団体内統合宛名番号「000000100000004」は符号が未取得です。</メッセージ></エラー><副本><項目 名=\"氏名\">山田 &amp; 太郎</項目><項目 名=\"課税年度\">2025</項目><ns:個人番号>123456789012</ns:個人番号><生年月日/></副本></MessageBody></ns:IF_SKI_10711_S01>";

    fn irai() -> Irai {
        Irai {
            irai_id: "Q1".into(),
            houshiki: irai::TANKEN.into(),
            tougou_atena_bango: "000000100000004".into(),
            jimu: "JM00000000000074".into(),
            jimu_tetsuzuki: "JT00000000007401".into(),
            tokutei: "TM00000000000002".into(),
            teikyousha: "9913208000000000".into(),
            jouken: Jouken::Nendo {
                nendo: "2025".into(),
            },
            status: irai::ERROR.into(),
            reason: None,
            shori_tsuuban: None,
            uketsuke_bango: None,
            error: Some((
                "SK22".into(),
                "指定された団体内統合宛名番号「000000100000004」は符号が未取得です。".into(),
            )),
            kekka: None,
            toriyame: false,
        }
    }

    fn rows() -> Vec<DenbunRow> {
        vec![DenbunRow {
            denbun_id: "IF_SKI_10711_R01".into(),
            nichiji: "2026-04-07T09:00:00+09:00".into(),
            sent: SENT.into(),
            received: RECEIVED.into(),
            error_code: Some("SK22".into()),
        }]
    }

    #[test]
    fn masks_the_personal_values_and_keeps_the_shape() {
        let v = shiryou(&irai(), &rows(), &[], Seeded::NONE);
        let text = v.to_string();
        for personal in ["000000100000004", "123456789012", "山田", "太郎"] {
            assert!(!text.contains(personal), "{personal}: {text}");
        }
        let sent = v["denbun"][0].as_str().unwrap();
        assert!(sent.contains("<団体内統合宛名番号>***************</団体内統合宛名番号>"));
        assert!(sent.contains("<MSGTypeID>IF_SKI_10711_R01</MSGTypeID>"));
        assert!(sent.contains("TM00000000000002"));
        let received = v["denbun"][1].as_str().unwrap();
        assert!(received.contains("<エラーコード>SK22</エラーコード>"));
        assert!(
            received.contains("<項目 名=\"氏名\">*******</項目>"),
            "{received}"
        );
        assert!(received.contains("<項目 名=\"課税年度\">2025</項目>"));
        assert!(received.contains("<ns:個人番号>************</ns:個人番号>"));
        assert!(received.contains("「***************」"));
        assert_eq!(v["error"]["code"], "SK22");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("「***************」")
        );
        assert_eq!(v["hassei_nichiji"], "2026-04-07T09:00:00+09:00");
        assert!(v["gaiyou"].as_str().unwrap().contains("断られた"));
        // 不具合 toiawase-unmasked: そのまま
        let bad = shiryou(
            &irai(),
            &rows(),
            &[],
            Seeded::from_id("toiawase-unmasked").unwrap(),
        );
        assert!(bad.to_string().contains("000000100000004"));
        assert_eq!(bad["denbun"][0], SENT);
    }

    #[test]
    fn without_exchanges_the_material_still_has_its_shape() {
        let mut i = irai();
        i.error = None;
        i.status = irai::SOUSHIN_MACHI.into();
        let v = shiryou(&i, &[], &["000000100000004".into()], Seeded::NONE);
        assert!(v["hassei_nichiji"].is_null());
        assert!(v["error"].is_null());
        assert_eq!(v["denbun"], json!([]));
        assert_eq!(
            mask("番号 000000100000004 です", &["000000100000004".into()]),
            "番号 *************** です"
        );
    }
}
