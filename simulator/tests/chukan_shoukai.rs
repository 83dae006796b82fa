//! 情報照会 and 情報提供 between tenants of one 中間サーバー, as their 既存システム do it: real mutual
//! TLS on loopback, each tenant with its own client certificate from the admin API, real XML
//! 電文 and files, the clock moved through the admin API, a real state file for the restart.
//! Every request and answer is checked against the XSDs of docs/xsd/chukan/ with xmllint.

mod chukan_support;
use chukan_support::*;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use renkei_fixtures::scenario::Expanded;
use renkei_simulator::chukan::fukuhon::{
    FileHeader, FukuhonFileWriter, RawItem, RawRecord, RecordField,
};
use renkei_simulator::stack::Stack;
use time::macros::datetime;

const CHIYODA: &str = "9913101600000000";
const CHOFU: &str = "9913208000000000";
const MITAKA: &str = "9913204700000000";

/// 調布市's own 団体内統合宛名番号 for 千代田区's resident (a 住登外者 of 調布市: below the range
/// of the synthetic populations, so nobody's resident).
const CHOFU_JUUTOUGAI: &str = "000000400000001";
const MITAKA_JUUTOUGAI: &str = "000000400000002";

fn scenario(extra: &str) -> Expanded {
    chukan_support::scenario(
        "情報照会",
        11,
        &[("131016", 20), ("132080", 20), ("132047", 20)],
        extra,
    )
}

// ---- a 既存システム's client -------------------------------------------------------------------

/// Every XML document sent or received, by the XSD it must satisfy: checked at the end of a test.
/// (XSD, name, document).
type Document = (&'static str, String, String);

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Document>>>);

impl Seen {
    fn add(&self, xsd: &'static str, name: &str, xml: &str) {
        self.0
            .lock()
            .unwrap()
            .push((xsd, name.to_owned(), xml.to_owned()));
    }

    /// Validates everything seen with xmllint; returns how many documents.
    fn validate(&self) -> usize {
        let seen = self.0.lock().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut by_xsd: BTreeMap<&str, Vec<std::path::PathBuf>> = BTreeMap::new();
        for (index, (xsd, name, xml)) in seen.iter().enumerate() {
            let path = dir.path().join(format!("{index:04}-{name}.xml"));
            std::fs::write(&path, xml).unwrap();
            by_xsd.entry(xsd).or_default().push(path);
        }
        for (xsd, paths) in by_xsd {
            let schema = format!("{}/../docs/xsd/chukan/{xsd}", env!("CARGO_MANIFEST_DIR"));
            let output = std::process::Command::new("xmllint")
                .args(["--noout", "--schema", &schema])
                .args(&paths)
                .output()
                .expect("xmllint (Debian libxml2-utils) is installed");
            assert!(
                output.status.success(),
                "documents do not validate against {xsd}:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        seen.len()
    }
}

/// A tenant's 既存システム: mutual TLS with the tenant's certificate, one connection a request.
#[derive(Clone)]
struct Kizon {
    kikan: &'static str,
    config: Arc<rustls::ClientConfig>,
    addr: std::net::SocketAddr,
    seen: Seen,
}

struct Answer {
    status: u16,
    text: String,
    bytes: Vec<u8>,
}

impl Kizon {
    async fn connect(stack: &Stack, kikan: &'static str, seen: &Seen) -> Kizon {
        use rustls_pki_types::pem::PemObject as _;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let admin = format!("http://{}/admin/v1/chukan", stack.addresses.admin);
        let get =
            |url: String| async move { reqwest::get(url).await.unwrap().text().await.unwrap() };
        let ca = get(format!("{admin}/ca.pem")).await;
        let cert = get(format!("{admin}/tenants/{kikan}/client.pem")).await;
        let key = get(format!("{admin}/tenants/{kikan}/client.key")).await;
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
            .unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
        )
        .unwrap();
        Kizon {
            kikan,
            config: Arc::new(config),
            addr: stack.addresses.chukan,
            seen: seen.clone(),
        }
    }

    async fn send(&self, method: &str, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let tcp = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let tls = tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, tcp)
            .await
            .unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(connection);
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("content-type", content_type)
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Answer {
            status,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    /// Sends the 電文 `id` with `body` items; checks request and answer against the XSD.
    async fn denbun(&self, id: &str, body: &str) -> Answer {
        self.seen
            .add("denbun.xsd", id, &denbun(id, self.kikan, body));
        self.invalid(id, body).await
    }

    /// Sends a 電文 that is meant to be wrong; checks only the answer against the XSD.
    async fn invalid(&self, id: &str, body: &str) -> Answer {
        let text = denbun(id, self.kikan, body);
        let answer = self
            .send(
                "POST",
                &format!("/ws/{id}"),
                "application/xml; charset=utf-8",
                text.into_bytes(),
            )
            .await;
        self.seen
            .add("denbun.xsd", &format!("{id}-answer"), &answer.text);
        answer
    }

    /// Uploads a file on the サーバー間XMLデータ連携 route.
    async fn upload(&self, name: &str, xsd: &'static str, body: String) -> Answer {
        self.seen.add(xsd, name, &body);
        self.send(
            "POST",
            &format!("/xml/v1/files/{name}"),
            "application/xml",
            body.into_bytes(),
        )
        .await
    }

    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, "text/plain", Vec::new()).await
    }
}

fn denbun(id: &str, destination: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{id}>\n  <MessageHeader>\n    <MSGID>M-{id}</MSGID>\n    <MSGTypeID>{id}</MSGTypeID>\n    <MSGMode>1</MSGMode>\n    <SourceSystemID>KIZON-01</SourceSystemID>\n    <DestinationSystemID>{destination}</DestinationSystemID>\n  </MessageHeader>\n  <MessageBody>\n{body}  </MessageBody>\n</{id}>\n"
    )
}

fn items(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("    <{name}>{value}</{name}>\n"))
        .collect()
}

/// The text of the first `<element>` in `xml`.
fn value<'t>(xml: &'t str, element: &str) -> &'t str {
    values(xml, element)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {element} in {xml}"))
}

/// The texts of every `<element>` in `xml`, in order.
fn values<'t>(xml: &'t str, element: &str) -> Vec<&'t str> {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let end = after.find(&close).unwrap();
        out.push(&after[..end]);
        rest = &after[end..];
    }
    out
}

fn error_code(answer: &Answer) -> &str {
    value(&answer.text, "エラーコード")
}

// ---- what the 既存システム send ---------------------------------------------------------------

/// 児童手当 (JM74, JT7401) asks 地方税関係情報 (TM02) of `teikyousha` for `tougou`, 年度 2025.
fn shoukai(tougou: &str, teikyousha: &str) -> String {
    shoukai_of(tougou, teikyousha, "TM00000000000002")
}

fn shoukai_of(tougou: &str, teikyousha: &str, tokutei: &str) -> String {
    items(&[
        ("依頼元部署コード", "KODOMO"),
        ("団体内統合宛名番号", tougou),
        ("事務コード", "JM00000000000074"),
        ("事務手続コード", "JT00000000007401"),
        ("特定個人情報名コード", tokutei),
        ("情報提供者機関コード", teikyousha),
        ("照会条件区分", "1"),
        ("照会年度", "2025"),
    ])
}

async fn fugou(kizon: &Kizon, tougou: &str, kojin: &str) {
    let answer = kizon
        .denbun(
            "IF_FGU_10111_R01",
            &items(&[("団体内統合宛名番号", tougou), ("個人番号", kojin)]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(value(&answer.text, "符号取得状態"), "符号取得済み");
}

/// A 副本登録・削除ファイル of `dantai` with these records.
fn fukuhon_file(dantai: &str, records: &[RawRecord]) -> String {
    let header = FileHeader {
        file_id: "FI_DBM_0001".into(),
        dantai: dantai.parse().unwrap(),
        created_at: datetime!(2026-04-06 08:00 +09:00),
    };
    let mut writer = FukuhonFileWriter::new(Vec::new(), &header).unwrap();
    for record in records {
        writer.record(record).unwrap();
    }
    String::from_utf8(writer.finish().unwrap()).unwrap()
}

fn record(id: &str, person: &str, dataset: &str, items: &[(&str, &str)]) -> RawRecord {
    let mut record = RawRecord::numbered(0);
    record
        .set(RecordField::RecordId, id)
        .set(RecordField::ShoriKubun, "登録")
        .set(RecordField::TougouAtenaBango, person)
        .set(RecordField::TokuteiKojinJohoMeiCode, "TM00000000000002")
        .set(RecordField::Dataset, dataset)
        .set(RecordField::RecordKey, "2025")
        .set(RecordField::MajorVersion, "1")
        .set(RecordField::KoukaiStart, "2026-04-01");
    record.body = Some(items.iter().map(|(n, v)| RawItem::value(*n, *v)).collect());
    record
}

/// 地方税 2025 of one person: 課税情報 (D0201) and 所得・控除情報 (D0202, whose 給与収入額 the
/// layout catalog marks provision_excluded: left out once the 提供者 registers it).
fn zeimu(prefix: &str, person: &str) -> Vec<RawRecord> {
    vec![
        record(
            &format!("{prefix}1"),
            person,
            "D0201",
            &[
                ("課税年度", "2025"),
                ("課税区分", "1"),
                ("年税額", "123000"),
                ("市区町村民税均等割額", "3500"),
                ("市区町村民税所得割額", "70000"),
                ("都道府県民税均等割額", "1500"),
                ("都道府県民税所得割額", "48000"),
                ("課税標準額", "700000"),
                ("扶養人数", "1"),
                ("扶養親族続柄", "𠮷"),
            ],
        ),
        record(
            &format!("{prefix}2"),
            person,
            "D0202",
            &[
                ("課税年度", "2025"),
                ("給与収入額", "4800000"),
                ("給与所得額", "3360000"),
                ("公的年金等収入額", "0"),
                ("合計所得金額", "3360000"),
                ("総所得金額", "3360000"),
                ("障害者控除額", "0"),
                ("本人障害区分", "0"),
                ("本人寡婦区分", "0"),
            ],
        ),
    ]
}

async fn set_clock(stack: &Stack, at: &str) {
    let response = reqwest::Client::new()
        .put(format!("http://{}/admin/v1/clock", stack.addresses.admin))
        .body(format!("{{\"now\":\"{at}\"}}"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// Registers `records` for `kizon`'s tenant and lets the night batch store them (the clock moves
/// on a day: Monday 09:00 → Tuesday 09:00).
async fn register_fukuhon(stack: &Stack, kizon: &Kizon, dantai: &str, records: &[RawRecord]) {
    let answer = kizon
        .upload(
            "FI_DBM_0001_zeimu.xml",
            "fukuhon-file.xsd",
            fukuhon_file(dantai, records),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let reception = value(&answer.text, "中間サーバー受付番号").to_owned();
    advance(stack, 86_400).await;
    let status = kizon.get(&format!("/xml/v1/files/{reception}")).await;
    assert_eq!(
        value(&status.text, "処理状況"),
        "処理済み",
        "{}",
        status.text
    );
    assert_eq!(value(&status.text, "エラー件数"), "0", "{}", status.text);
}

/// Registers `kizon`'s 提供除外項目マスタ (D0202 の 給与収入額) with a 提供除外項目マスタ登録要求ファイル.
async fn register_jogai(kizon: &Kizon, dantai: &str) {
    let file = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<提供除外項目マスタ登録要求>\n  <ヘッダ>\n    <ファイルID>FI_DBM_0003</ファイルID>\n    <団体コード>{dantai}</団体コード>\n  </ヘッダ>\n  <データセット>\n    <特定個人情報名コード>TM00000000000002</特定個人情報名コード>\n    <データセット識別項目コード>D0202</データセット識別項目コード>\n    <項目名>給与収入額</項目名>\n  </データセット>\n</提供除外項目マスタ登録要求>\n"
    );
    let answer = kizon
        .upload("FI_DBM_0003_jogai.xml", "teikyou-jogai-file.xsd", file)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    kizon
        .seen
        .add("teikyou-jogai-file.xsd", "jogai_result", &answer.text);
    assert_eq!(values(&answer.text, "項目名"), ["給与収入額"]);
}

/// A 一括照会要求ファイル of 千代田区: one 明細 per 提供者, as [`shoukai`] asks.
fn ikkatsu(tougou: &str, teikyousha: &[&str]) -> String {
    let meisai: String = teikyousha
        .iter()
        .map(|t| {
            let items: String = shoukai(tougou, t)
                .lines()
                .filter(|l| !l.contains("依頼元"))
                .map(|l| format!("  {l}\n"))
                .collect();
            format!("  <明細>\n{items}  </明細>\n")
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<一括照会要求>\n  <ヘッダ>\n    <ファイルID>FI_SKI_0001</ファイルID>\n    <情報照会者機関コード>{CHIYODA}</情報照会者機関コード>\n    <MSGMode>1</MSGMode>\n  </ヘッダ>\n{meisai}</一括照会要求>\n"
    )
}

/// The 通知 of `kizon`'s tenant after `after`, as (通知種別, 処理通番).
async fn tsuuchi(kizon: &Kizon, after: u64) -> Vec<(String, String)> {
    let answer = kizon
        .denbun(
            "IF_OSR_10611_R01",
            &items(&[("前回の通知番号", &after.to_string())]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    values(&answer.text, "通知種別")
        .into_iter()
        .zip(values(&answer.text, "処理通番"))
        .map(|(kind, number)| (kind.to_owned(), number.to_owned()))
        .collect()
}

fn notices(kinds: &[(&str, &str)]) -> Vec<(String, String)> {
    kinds
        .iter()
        .map(|(k, n)| ((*k).to_owned(), (*n).to_owned()))
        .collect()
}

/// Each 情報提供等記録 of a tenant as field → value (the fields both sides share), by 処理通番.
async fn kiroku(kizon: &Kizon) -> BTreeMap<String, BTreeMap<String, String>> {
    let answer = kizon.denbun("IF_TKM_10911_R01", "").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    values(&answer.text, "情報提供等記録")
        .into_iter()
        .map(|record| {
            let fields: BTreeMap<String, String> = [
                "記録区分",
                "MSGMode",
                "情報照会者機関コード",
                "情報提供者機関コード",
                "事務コード",
                "事務手続コード",
                "特定個人情報名コード",
                "団体内統合宛名番号",
                "提供の求めの日時",
                "提供結果",
                "応答方法",
                "不開示",
            ]
            .into_iter()
            .map(|f| (f.to_owned(), value(record, f).to_owned()))
            .chain(
                values(record, "提供の日時")
                    .first()
                    .map(|v| ("提供の日時".to_owned(), (*v).to_owned())),
            )
            .collect();
            (value(record, "処理通番").to_owned(), fields)
        })
        .collect()
}

// ---- the tests --------------------------------------------------------------------------------

#[tokio::test]
async fn two_tenants_query_each_other_answer_by_hand_withdraw_and_keep_records() {
    let expanded = scenario("");
    let dir = tempfile::tempdir().unwrap();
    let stack = spawn(&expanded, Some(dir.path())).await;
    let seen = Seen::default();
    let chiyoda = Kizon::connect(&stack, CHIYODA, &seen).await;
    let chofu = Kizon::connect(&stack, CHOFU, &seen).await;
    let person = &residents(&expanded, 0)[3];
    let tougou = person.tougou_atena_bango.to_string();
    let kojin = person.kojin_bango.to_string();

    // Both obtain the person's 符号: 千代田区 for its resident, 調布市 for its 住登外者 (the person
    // lived there in 2025), each under its own 団体内統合宛名番号.
    fugou(&chiyoda, &tougou, &kojin).await;
    fugou(&chofu, CHOFU_JUUTOUGAI, &kojin).await;
    // 調布市 registers the person's 地方税 副本; the night batch stores them. And its
    // 提供除外項目マスタ (seed 004 §3.3 #9): D0202 の 給与収入額 is never provided.
    register_fukuhon(&stack, &chofu, "132080", &zeimu("Z", CHOFU_JUUTOUGAI)).await;
    register_jogai(&chofu, "132080").await;

    // 千代田区 asks (自動応答): 正常終了 at once, the 副本 without the 提供除外項目.
    let answer = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&tougou, CHOFU))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(value(&answer.text, "照会ステータス"), "正常終了");
    assert_eq!(value(&answer.text, "照会ステータスコード"), "09");
    let reception = value(&answer.text, "ReceptionNumber").to_owned();
    assert_eq!(reception, value(&answer.text, "中間サーバー受付番号"));
    assert_eq!(reception.len(), 16);
    let first = value(&answer.text, "処理通番").to_owned();
    let result = chiyoda
        .denbun("IF_SKI_10713_R01", &items(&[("処理通番", &first)]))
        .await;
    assert_eq!(result.status, 200, "{}", result.text);
    assert!(
        result.text.contains("データセット識別項目コード=\"D0201\""),
        "{}",
        result.text
    );
    assert!(result.text.contains("<項目 名=\"年税額\">123000</項目>"));
    assert!(result.text.contains("<項目 名=\"扶養親族続柄\">𠮷</項目>"));
    assert!(
        result
            .text
            .contains("<項目 名=\"給与所得額\">3360000</項目>")
    );
    assert!(
        !result.text.contains("給与収入額"),
        "提供除外項目 are not provided: {}",
        result.text
    );

    // 調布市 answers 課税情報 by hand from now on.
    let answer = chofu
        .denbun(
            "IF_TKY_10814_R01",
            &items(&[
                ("特定個人情報名コード", "TM00000000000002"),
                ("データセット識別項目コード", "D0201"),
                ("自動応答不可", "1"),
            ]),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        values(&answer.text, "データセット識別項目コード"),
        ["D0201"]
    );

    // The next 照会 waits in 調布市's queue.
    let answer = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&tougou, CHOFU))
        .await;
    assert_eq!(
        value(&answer.text, "照会ステータス"),
        "回答待ち",
        "{}",
        answer.text
    );
    let second = value(&answer.text, "処理通番").to_owned();
    let early = chiyoda
        .denbun("IF_SKI_10713_R01", &items(&[("処理通番", &second)]))
        .await;
    assert_eq!(
        (early.status, error_code(&early)),
        (409, "SK54"),
        "{}",
        early.text
    );
    assert!(value(&early.text, "エラーメッセージ").contains("回答待ち"));
    let queue = chofu
        .denbun("IF_TKY_10811_R01", &items(&[("未回答のみ", "1")]))
        .await;
    assert_eq!(
        values(&queue.text, "処理通番"),
        [second.as_str()],
        "{}",
        queue.text
    );
    assert_eq!(value(&queue.text, "提供ステータス"), "確認待ち");
    assert_eq!(value(&queue.text, "団体内統合宛名番号"), CHOFU_JUUTOUGAI);
    assert_eq!(value(&queue.text, "自動応答不可"), "1");
    // Skipping 確認 is refused.
    let skipped = chofu
        .denbun("IF_TKY_10813_R01", &items(&[("処理通番", &second)]))
        .await;
    assert_eq!((skipped.status, error_code(&skipped)), (409, "SK56"));
    // 確認, then 送信許可: 千代田区 gets the result.
    let checked = chofu
        .denbun("IF_TKY_10812_R01", &items(&[("処理通番", &second)]))
        .await;
    assert_eq!(
        value(&checked.text, "提供ステータス"),
        "送信許可待ち",
        "{}",
        checked.text
    );
    let sent = chofu
        .denbun("IF_TKY_10813_R01", &items(&[("処理通番", &second)]))
        .await;
    assert_eq!(
        value(&sent.text, "提供ステータス"),
        "提供済み",
        "{}",
        sent.text
    );
    assert_eq!(value(&sent.text, "応答方法"), "手動応答");
    let status = chiyoda
        .denbun("IF_SKI_10712_R01", &items(&[("処理通番", &second)]))
        .await;
    assert_eq!(
        value(&status.text, "照会ステータス"),
        "正常終了",
        "{}",
        status.text
    );
    let result = chiyoda
        .denbun("IF_SKI_10713_R01", &items(&[("処理通番", &second)]))
        .await;
    assert_eq!(values(&result.text, "提供された副本").len(), 1);
    assert!(result.text.contains("<項目 名=\"年税額\">123000</項目>"));

    // 取りやめ of a 照会 waiting in the queue.
    let answer = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&tougou, CHOFU))
        .await;
    let third = value(&answer.text, "処理通番").to_owned();
    let withdrawn = chiyoda
        .denbun("IF_SKI_10714_R01", &items(&[("処理通番", &third)]))
        .await;
    assert_eq!(
        value(&withdrawn.text, "照会ステータス"),
        "取りやめ",
        "{}",
        withdrawn.text
    );
    let again = chiyoda
        .denbun("IF_SKI_10714_R01", &items(&[("処理通番", &third)]))
        .await;
    assert_eq!((again.status, error_code(&again)), (409, "SK55"));
    let queue = chofu
        .denbun("IF_TKY_10811_R01", &items(&[("未回答のみ", "1")]))
        .await;
    assert!(values(&queue.text, "提供状況").is_empty(), "{}", queue.text);

    // The legal basis refuses with the real message, and nothing is registered.
    let refused = chiyoda
        .denbun(
            "IF_SKI_10711_R01",
            &shoukai_of(&tougou, CHOFU, "TM00000000000031"),
        )
        .await;
    assert_eq!((refused.status, error_code(&refused)), (403, "SK21"));
    assert_eq!(
        value(&refused.text, "エラーメッセージ"),
        "指定された特定個人情報名「TM00000000000031」の照会は許可されていません。"
    );
    assert_eq!(value(&refused.text, "MSGResult"), "1");
    // A person without a 符号: the real message.
    let stranger = residents(&expanded, 0)[4].tougou_atena_bango.to_string();
    let refused = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&stranger, CHOFU))
        .await;
    assert_eq!((refused.status, error_code(&refused)), (409, "SK22"));
    assert_eq!(
        value(&refused.text, "エラーメッセージ"),
        format!("指定された団体内統合宛名番号「{stranger}」は符号が未取得です。")
    );
    assert_eq!(value(&refused.text, "エラー項目"), "団体内統合宛名番号");

    // The 通知 of each side, with their 処理通番, read with a cursor.
    let expected_chiyoda = notices(&[
        ("情報照会結果通知", &first),
        ("情報照会結果通知", &second),
        ("情報照会取りやめ結果通知", &third),
    ]);
    assert_eq!(tsuuchi(&chiyoda, 0).await, expected_chiyoda);
    assert_eq!(tsuuchi(&chiyoda, 2).await, expected_chiyoda[2..]);
    let expected_chofu = notices(&[
        ("自動応答不可対象確認依頼", &second),
        ("情報提供内容送信許可依頼", &second),
        ("自動応答不可対象確認依頼", &third),
        ("情報照会取りやめ完了通知", &third),
    ]);
    assert_eq!(tsuuchi(&chofu, 0).await, expected_chofu);

    // 情報提供等記録: both sides have one for each 処理通番 that reached 調布市, and they agree.
    let mine = kiroku(&chiyoda).await;
    let theirs = kiroku(&chofu).await;
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        [&first, &second, &third],
        "none for the refused 照会"
    );
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (number, record) in &mine {
        let other = &theirs[number];
        for (field, value) in record {
            match field.as_str() {
                "記録区分" => {
                    assert_eq!((value.as_str(), other[field].as_str()), ("照会", "提供"))
                }
                "団体内統合宛名番号" => {
                    assert_eq!(
                        (value.as_str(), other[field].as_str()),
                        (tougou.as_str(), CHOFU_JUUTOUGAI)
                    )
                }
                _ => assert_eq!(value, &other[field], "{number} {field}"),
            }
        }
    }
    assert_eq!(mine[&first]["提供結果"], "提供");
    assert_eq!(mine[&first]["応答方法"], "自動応答");
    assert_eq!(mine[&second]["応答方法"], "手動応答");
    assert_eq!(mine[&third]["提供結果"], "取りやめ");

    // 記録事項変更事由 and 不開示 change one side only.
    let changed = chiyoda
        .denbun(
            "IF_TKM_10912_R01",
            &items(&[
                ("処理通番", &first),
                ("記録事項変更事由", "照会先の誤り"),
                ("不開示", "1"),
            ]),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(value(&changed.text, "事由"), "照会先の誤り");
    assert_eq!(kiroku(&chiyoda).await[&first]["不開示"], "1");
    assert_eq!(kiroku(&chofu).await[&first]["不開示"], "0");
    // … and never the other side's record.
    let own = chofu
        .denbun(
            "IF_TKM_10912_R01",
            &items(&[("処理通番", &third), ("不開示", "1")]),
        )
        .await;
    assert_eq!(own.status, 200, "{} (調布市's own 提供 record)", own.text);
    assert_eq!(kiroku(&chiyoda).await[&third]["不開示"], "0");
    let searched = chofu
        .denbun("IF_TKM_10911_R01", &items(&[("記録区分", "照会")]))
        .await;
    assert_eq!(value(&searched.text, "該当件数"), "0");

    // The export: the CSV in a ZIP.
    let export = chiyoda
        .get("/xml/v1/exports/FI_TKM_0001.zip?from=2026-04-07T00:00:00%2B09:00&kubun=%E7%85%A7%E4%BC%9A")
        .await;
    assert_eq!(export.status, 200, "{}", export.text);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(export.bytes)).unwrap();
    assert_eq!(archive.len(), 1);
    let mut csv = String::new();
    std::io::Read::read_to_string(&mut archive.by_index(0).unwrap(), &mut csv).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("処理通番,記録区分,MSGMode,"), "{csv}");
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1].starts_with(&format!("{first},照会,1,{CHIYODA},{CHOFU},")),
        "{csv}"
    );
    assert!(
        lines[1].ends_with(",照会先の誤り,2026-04-07T09:00:00+09:00,1"),
        "{csv}"
    );

    // A restart from the state file keeps every 照会, 提供, 記録, 通知 and setting.
    let before = (
        kiroku(&chiyoda).await,
        kiroku(&chofu).await,
        tsuuchi(&chiyoda, 0).await,
        tsuuchi(&chofu, 0).await,
    );
    stack.shutdown().await;
    let stack = spawn(&expanded, Some(dir.path())).await;
    assert!(stack.resumed);
    let chiyoda = Kizon::connect(&stack, CHIYODA, &seen).await;
    let chofu = Kizon::connect(&stack, CHOFU, &seen).await;
    let after = (
        kiroku(&chiyoda).await,
        kiroku(&chofu).await,
        tsuuchi(&chiyoda, 0).await,
        tsuuchi(&chofu, 0).await,
    );
    assert_eq!(before, after);
    let status = chiyoda
        .denbun(
            "IF_SKI_10712_R01",
            &items(&[("中間サーバー受付番号", &reception)]),
        )
        .await;
    assert_eq!(
        values(&status.text, "処理通番"),
        [first.as_str()],
        "{}",
        status.text
    );
    // The 自動応答不可 setting survived: a new 照会 waits again, with the next 処理通番.
    let answer = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&tougou, CHOFU))
        .await;
    assert_eq!(
        value(&answer.text, "照会ステータス"),
        "回答待ち",
        "{}",
        answer.text
    );
    assert!(value(&answer.text, "処理通番") > third.as_str());
    stack.shutdown().await;
    assert!(seen.validate() > 40);
}

#[tokio::test]
async fn the_clock_decides_hours_and_the_30_days() {
    let expanded = scenario("");
    let stack = spawn(&expanded, None).await;
    let seen = Seen::default();
    let chiyoda = Kizon::connect(&stack, CHIYODA, &seen).await;
    let chofu = Kizon::connect(&stack, CHOFU, &seen).await;
    let person = &residents(&expanded, 0)[5];
    let tougou = person.tougou_atena_bango.to_string();
    fugou(&chiyoda, &tougou, person.kojin_bango.as_str()).await;
    fugou(&chofu, CHOFU_JUUTOUGAI, person.kojin_bango.as_str()).await;
    // A bulk 照会 registered on Monday 09:00 is sent at 09:00:00.9, before the night batch that
    // stores 調布市's 副本: even when the clock jumps past both, it finds nothing.
    let early = chiyoda
        .upload(
            "FI_SKI_0001_early.xml",
            "shoukai-file.xsd",
            ikkatsu(&tougou, &[CHOFU]),
        )
        .await;
    let reception = value(&early.text, "中間サーバー受付番号").to_owned();
    register_fukuhon(&stack, &chofu, "132080", &zeimu("Z", CHOFU_JUUTOUGAI)).await;
    let status = chiyoda.get(&format!("/xml/v1/files/{reception}")).await;
    assert_eq!(
        value(&status.text, "照会ステータス"),
        "該当なし",
        "{}",
        status.text
    );
    assert_eq!(
        value(&status.text, "提供の求めの日時"),
        "2026-04-06T09:00:00.9+09:00"
    );
    chofu
        .denbun(
            "IF_TKY_10814_R01",
            &items(&[
                ("特定個人情報名コード", "TM00000000000002"),
                ("データセット識別項目コード", "D0202"),
                ("自動応答不可", "1"),
            ]),
        )
        .await;

    // Tuesday 21:30: the weekday stop window. Nothing is registered; reading still works.
    set_clock(&stack, "2026-04-07T21:30:00+09:00").await;
    let refused = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&tougou, CHOFU))
        .await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (503, "SK31"),
        "{}",
        refused.text
    );
    assert!(value(&refused.text, "エラーメッセージ").starts_with("データ送受信機能停止時間帯"));
    let feed = chiyoda.denbun("IF_OSR_10611_R01", "").await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    // Saturday 18:00: after the weekend's service hours.
    set_clock(&stack, "2026-04-11T18:00:00+09:00").await;
    let refused = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&tougou, CHOFU))
        .await;
    assert_eq!(error_code(&refused), "SK30", "{}", refused.text);

    // Monday 10:00: a 照会 waits for 調布市's 職員, who does not answer.
    set_clock(&stack, "2026-04-13T10:00:00+09:00").await;
    let answer = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&tougou, CHOFU))
        .await;
    assert_eq!(
        value(&answer.text, "照会ステータス"),
        "回答待ち",
        "{}",
        answer.text
    );
    let number = value(&answer.text, "処理通番").to_owned();
    let queue = chofu
        .denbun("IF_TKY_10811_R01", &items(&[("処理通番", &number)]))
        .await;
    assert_eq!(value(&queue.text, "有効期限"), "2026-05-13T10:00:00+09:00");

    // 25 days later: the 事前通知 (5 days before), dated when it was due.
    advance(&stack, 25 * 86_400).await;
    let feed = chofu
        .denbun("IF_OSR_10611_R01", &items(&[("前回の通知番号", "1")]))
        .await;
    assert_eq!(
        values(&feed.text, "通知種別"),
        ["有効期間切れ事前通知"],
        "{}",
        feed.text
    );
    assert_eq!(value(&feed.text, "通知日時"), "2026-05-08T10:00:00+09:00");
    // Past the 30 days: 有効期間切れ on both sides; nothing can be sent any more.
    advance(&stack, 6 * 86_400).await;
    let status = chiyoda
        .denbun("IF_SKI_10712_R01", &items(&[("処理通番", &number)]))
        .await;
    assert_eq!(
        value(&status.text, "照会ステータス"),
        "有効期間切れ",
        "{}",
        status.text
    );
    // (通知 1 was the early bulk 照会's result.)
    assert_eq!(
        tsuuchi(&chiyoda, 1).await,
        notices(&[("有効期間切れ通知", &number)])
    );
    let late = chofu
        .denbun("IF_TKY_10812_R01", &items(&[("処理通番", &number)]))
        .await;
    assert_eq!((late.status, error_code(&late)), (409, "SK56"));
    stack.shutdown().await;
    seen.validate();
}

#[tokio::test]
async fn three_tenants_bulk_files_and_no_tenant_sees_another() {
    let expanded = scenario("");
    let stack = spawn(&expanded, None).await;
    let seen = Seen::default();
    let chiyoda = Kizon::connect(&stack, CHIYODA, &seen).await;
    let chofu = Kizon::connect(&stack, CHOFU, &seen).await;
    let mitaka = Kizon::connect(&stack, MITAKA, &seen).await;
    let person = &residents(&expanded, 0)[7];
    let tougou = person.tougou_atena_bango.to_string();
    let kojin = person.kojin_bango.to_string();
    fugou(&chiyoda, &tougou, &kojin).await;
    fugou(&chofu, CHOFU_JUUTOUGAI, &kojin).await;
    fugou(&mitaka, MITAKA_JUUTOUGAI, &kojin).await;
    register_fukuhon(&stack, &chofu, "132080", &zeimu("C", CHOFU_JUUTOUGAI)).await;

    // One file, three 明細: 調布市 has the 副本, 三鷹市 has none (該当なし), and one is not
    // allowed by the legal basis (エラー, alone).
    let meisai = |teikyousha: &str, tokutei: &str| {
        format!(
            "  <明細>\n{}  </明細>\n",
            shoukai_of(&tougou, teikyousha, tokutei)
                .lines()
                .filter(|l| !l.contains("依頼元"))
                .map(|l| format!("  {l}\n"))
                .collect::<String>()
        )
    };
    let file = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<一括照会要求>\n  <ヘッダ>\n    <ファイルID>FI_SKI_0001</ファイルID>\n    <情報照会者機関コード>{CHIYODA}</情報照会者機関コード>\n    <MSGMode>1</MSGMode>\n  </ヘッダ>\n{}{}{}</一括照会要求>\n",
        meisai(CHOFU, "TM00000000000002"),
        meisai(MITAKA, "TM00000000000002"),
        meisai(CHOFU, "TM00000000000031"),
    );
    let accepted = chiyoda
        .upload("FI_SKI_0001_kodomo.xml", "shoukai-file.xsd", file.clone())
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    seen.add("shoukai-file.xsd", "ikkatsu_accepted", &accepted.text);
    let reception = value(&accepted.text, "中間サーバー受付番号").to_owned();
    assert_eq!(value(&accepted.text, "件数"), "3");
    assert_eq!(
        values(&accepted.text, "照会ステータス"),
        ["処理待ち", "処理待ち", "処理待ち"]
    );
    let numbers: Vec<String> = values(&accepted.text, "処理通番")
        .into_iter()
        .map(str::to_owned)
        .collect();
    // The bulk rate: 0.9 s a 明細; the legal basis is checked when a 明細 is sent.
    advance(&stack, 3).await;
    let status = chiyoda.get(&format!("/xml/v1/files/{reception}")).await;
    assert_eq!(status.status, 200, "{}", status.text);
    seen.add("shoukai-file.xsd", "ikkatsu_status", &status.text);
    assert_eq!(
        values(&status.text, "照会ステータス"),
        ["正常終了", "該当なし", "エラー"],
        "{}",
        status.text
    );
    assert!(status.text.contains("<項目 名=\"年税額\">123000</項目>"));
    // The same through a 情報照会状況取得要求ファイル, by 処理通番.
    let request = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<情報照会状況取得要求>\n  <ヘッダ>\n    <ファイルID>FI_SKI_0005</ファイルID>\n    <情報照会者機関コード>{CHIYODA}</情報照会者機関コード>\n  </ヘッダ>\n  <処理通番>{}</処理通番>\n</情報照会状況取得要求>\n",
        numbers[1]
    );
    let answer = chiyoda
        .upload("FI_SKI_0005_check.xml", "shoukai-file.xsd", request)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    seen.add("shoukai-file.xsd", "joukyou_result", &answer.text);
    assert_eq!(value(&answer.text, "ファイルID"), "FI_SKI_0006");
    assert_eq!(values(&answer.text, "照会ステータス"), ["該当なし"]);
    // The Webサービス route of the same file: IF_SKI_10723_R01 with an attachment.
    let boundary = "renkei-7f3a";
    let message = denbun(
        "IF_SKI_10723_R01",
        CHIYODA,
        &items(&[
            ("添付ファイル名", "FI_SKI_0001_ws.xml"),
            ("添付ファイルID", "FI_SKI_0001"),
        ]),
    );
    seen.add("denbun.xsd", "IF_SKI_10723_R01", &message);
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"message\"\r\nContent-Type: application/xml\r\n\r\n{message}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"FI_SKI_0001_ws.xml\"\r\nContent-Type: application/xml\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let answer = chiyoda
        .send(
            "POST",
            "/ws/IF_SKI_10723_R01",
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    seen.add("denbun.xsd", "IF_SKI_10723_S01", &answer.text);
    assert_eq!(value(&answer.text, "件数"), "3");
    assert_ne!(value(&answer.text, "ReceptionNumber"), reception);

    // Nobody sees another's: 照会 (SK50), 提供 (SK51), 受付 (SK52), records, queue, 通知.
    let theirs = chofu
        .denbun("IF_SKI_10712_R01", &items(&[("処理通番", &numbers[0])]))
        .await;
    assert_eq!((theirs.status, error_code(&theirs)), (404, "SK50"));
    let theirs = mitaka
        .denbun("IF_TKY_10811_R01", &items(&[("処理通番", &numbers[0])]))
        .await;
    assert_eq!((theirs.status, error_code(&theirs)), (404, "SK51"));
    let theirs = mitaka.get(&format!("/xml/v1/files/{reception}")).await;
    assert_eq!(theirs.status, 404, "{}", theirs.text);
    assert_eq!(error_code(&theirs), "SK52");
    let theirs = mitaka
        .denbun(
            "IF_TKM_10912_R01",
            &items(&[("処理通番", &numbers[0]), ("不開示", "1")]),
        )
        .await;
    assert_eq!((theirs.status, error_code(&theirs)), (404, "SK53"));
    assert!(kiroku(&mitaka).await.keys().all(|n| *n == numbers[1]));
    assert!(kiroku(&chofu).await.keys().all(|n| *n != numbers[1]));
    let queue = chiyoda.denbun("IF_TKY_10811_R01", "").await;
    assert!(values(&queue.text, "提供状況").is_empty(), "{}", queue.text);
    assert!(tsuuchi(&mitaka, 0).await.is_empty());

    // Bad input gets the documented errors.
    let unknown = chiyoda.invalid("IF_SKI_99999_R01", "").await;
    assert_eq!(
        (unknown.status, error_code(&unknown)),
        (404, "UNKNOWN_DENBUN")
    );
    let broken = chiyoda
        .send(
            "POST",
            "/ws/IF_SKI_10711_R01",
            "application/xml",
            b"<IF_SKI_10711_R01><MessageHeader>".to_vec(),
        )
        .await;
    assert_eq!(
        (broken.status, error_code(&broken)),
        (400, "NOT_WELL_FORMED")
    );
    seen.add("denbun.xsd", "broken-answer", &broken.text);
    // Another tenant's resident, by their 団体内統合宛名番号.
    let other = residents(&expanded, 1)[0].tougou_atena_bango.to_string();
    let refused = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&other, CHOFU))
        .await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (403, "OTHER_TENANT")
    );
    let refused = chiyoda
        .denbun(
            "IF_FGU_10111_R01",
            &items(&[
                ("団体内統合宛名番号", &other),
                ("個人番号", residents(&expanded, 1)[0].kojin_bango.as_str()),
            ]),
        )
        .await;
    assert_eq!(error_code(&refused), "OTHER_TENANT");
    // … in a 明細 of a file: the whole file is refused, naming the 明細.
    let bad = file.replacen(&tougou, &other, 1);
    let refused = chiyoda
        .upload("FI_SKI_0001_bad.xml", "shoukai-file.xsd", bad)
        .await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (403, "OTHER_TENANT")
    );
    assert!(
        value(&refused.text, "エラーメッセージ").starts_with("FI_SKI_0001_bad.xml: 1件目の明細: "),
        "{}",
        refused.text
    );
    seen.add("denbun.xsd", "file_error", &refused.text);
    // Another tenant's file header.
    let refused = chofu
        .upload("FI_SKI_0001_x.xml", "shoukai-file.xsd", file.clone())
        .await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (403, "OTHER_TENANT")
    );
    let refused = chiyoda
        .upload(
            "FI_SKI_0001_y.xml",
            "shoukai-file.xsd",
            file.replace("<明細>", "<明細><x/>"),
        )
        .await;
    assert_eq!(error_code(&refused), "UNKNOWN_ELEMENT", "{}", refused.text);
    let refused = chiyoda
        .upload(
            "FI_SKI_0001_z.xml",
            "shoukai-file.xsd",
            "<一括照会要求>".into(),
        )
        .await;
    assert_eq!(error_code(&refused), "FILE_UNREADABLE", "{}", refused.text);
    let bad_number = chiyoda
        .invalid("IF_SKI_10712_R01", &items(&[("処理通番", "20260407")]))
        .await;
    assert_eq!(
        (bad_number.status, error_code(&bad_number)),
        (400, "BAD_ITEM")
    );
    stack.shutdown().await;
    // The refused files were checked above by their error codes; they are not valid files.
    seen.0.lock().unwrap().retain(|(_, name, _)| {
        !name.starts_with("FI_SKI_0001_") || name == "FI_SKI_0001_kodomo.xml"
    });
    seen.validate();
}

// ---- the documents agree with the code ---------------------------------------------------------

fn doc(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../docs/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_api_page_examples_validate_and_every_engine_code_has_its_status() {
    use renkei_simulator::chukan::joho_renkei::status_of;
    use renkei_simulator::nws::shoukai::ShoukaiError;
    let page = doc("chukan-api.md");
    let seen = Seen::default();
    for block in page.split("```xml\n").skip(1) {
        let xml = block.split("```").next().unwrap();
        if !xml.starts_with("<?xml") {
            continue;
        }
        let root = xml
            .lines()
            .nth(1)
            .and_then(|l| l.strip_prefix('<'))
            .and_then(|l| l.split(['>', ' ']).next())
            .unwrap();
        let xsd = match root {
            "一括照会要求" | "情報照会状況取得要求" | "情報照会状況結果" => {
                "shoukai-file.xsd"
            }
            r if ["IF_SKI", "IF_TKY", "IF_TKM", "IF_OSR"]
                .iter()
                .any(|p| r.starts_with(p)) =>
            {
                "denbun.xsd"
            }
            _ => continue,
        };
        seen.add(xsd, root, xml);
    }
    assert_eq!(seen.validate(), 6, "the examples of the 情報照会 section");
    for (code, _) in ShoukaiError::CODES {
        let row = format!("| `{code}` | {} |", status_of(code).as_u16());
        assert!(page.contains(&row), "{row}");
    }
}

#[test]
fn the_xsd_knows_every_status_and_notice_word() {
    use renkei_simulator::nws::shoukai::{ShoukaiStatus, TeikyouStatus, TsuuchiKind};
    let xsd = doc("xsd/chukan/denbun.xsd");
    let words = ShoukaiStatus::ALL
        .iter()
        .flat_map(|s| [s.label(), s.code()])
        .chain(TeikyouStatus::ALL.iter().map(|s| s.label()))
        .chain(TsuuchiKind::ALL.iter().map(|k| k.label()));
    for word in words {
        assert!(
            xsd.contains(&format!("<xs:enumeration value=\"{word}\"/>")),
            "{word}"
        );
    }
}

async fn documented_limits(stack: &Stack, on: Option<bool>) -> bool {
    let url = format!(
        "http://{}/admin/v1/chukan/documented-limits",
        stack.addresses.admin
    );
    let client = reqwest::Client::new();
    let response = match on {
        None => client.get(url).send().await.unwrap(),
        Some(on) => client
            .put(url)
            .body(format!("{{\"documented_limits\":{on}}}"))
            .send()
            .await
            .unwrap(),
    };
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    json["documented_limits"].as_bool().unwrap()
}

#[tokio::test]
async fn the_documented_limits_refuse_what_the_real_system_would() {
    let expanded = scenario("");
    let stack = spawn(&expanded, None).await;
    let seen = Seen::default();
    let chiyoda = Kizon::connect(&stack, CHIYODA, &seen).await;
    let tougou = residents(&expanded, 0)[1].tougou_atena_bango.to_string();
    let file = |count: usize| ikkatsu(&tougou, &[CHOFU].repeat(count));
    let statuses = |answer: &Answer| -> Vec<String> {
        values(&answer.text, "エラーコード")
            .into_iter()
            .map(str::to_owned)
            .collect()
    };

    // On (the scenario's default): the 3,001st 明細 of a request is refused (SK41).
    assert!(documented_limits(&stack, None).await);
    let answer = chiyoda
        .upload("FI_SKI_0001_a.xml", "shoukai-file.xsd", file(3_001))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(values(&answer.text, "照会状況").len(), 3_001);
    assert_eq!(statuses(&answer), ["SK41"]);
    assert!(
        values(&answer.text, "メッセージ")[0].starts_with("1回当たりの要求件数が 3000 件を超えた")
    );
    // Off: the same file goes through whole.
    assert!(!documented_limits(&stack, Some(false)).await);
    let answer = chiyoda
        .upload("FI_SKI_0001_b.xml", "shoukai-file.xsd", file(3_001))
        .await;
    assert!(statuses(&answer).is_empty());
    // On again: past 4,000 in the hour, a single 照会 is refused (SK40) and so is a 明細.
    assert!(documented_limits(&stack, Some(true)).await);
    let refused = chiyoda
        .denbun("IF_SKI_10711_R01", &shoukai(&tougou, CHOFU))
        .await;
    assert_eq!((refused.status, error_code(&refused)), (429, "SK40"));
    assert!(
        value(&refused.text, "エラーメッセージ")
            .starts_with("中間サーバーが過負荷状態のため処理できませんでした")
    );
    let answer = chiyoda
        .upload("FI_SKI_0001_c.xml", "shoukai-file.xsd", file(1))
        .await;
    assert_eq!(statuses(&answer), ["SK40"]);
    stack.shutdown().await;
    seen.validate();
}
