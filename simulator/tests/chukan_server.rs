//! The 自治体中間サーバー over real mutual TLS on loopback, as a 既存システム sees it: two tenants
//! in one `Stack`, a TLS client with each tenant's client certificate, real XML, a real SQLite state
//! file; the clock moved through the admin API.

mod chukan_support;
use chukan_support::*;

use std::sync::Arc;

use renkei_fixtures::population::Resident;
use renkei_fixtures::scenario::Expanded;
use renkei_simulator::chukan::fukuhon::{
    FileHeader, FukuhonFileWriter, RawItem, RawRecord, RecordField,
};
use renkei_simulator::chukan::tls::ChukanCa;
use renkei_simulator::stack::Stack;
use time::macros::datetime;

const CHIYODA: &str = "9913101600000000";
const CHOFU: &str = "9913208000000000";

fn scenario(extra: &str) -> Expanded {
    chukan_support::scenario("中間サーバー", 5, &[("131016", 30), ("132080", 30)], extra)
}

/// A 既存システム's client over mutual TLS: trusts renkei's CA (`ca.pem`), presents a client
/// certificate and key (PEM), one TLS connection per request (tokio-rustls + hyper, the ring
/// provider: the workspace's reqwest has no TLS backend, and enabling rustls in it would make every
/// other test's plain client need a process-wide provider).
#[derive(Clone)]
struct TlsClient {
    config: Arc<rustls::ClientConfig>,
}

struct Answer {
    status: u16,
    text: String,
}

impl TlsClient {
    async fn send(
        &self,
        stack: &Stack,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Answer, String> {
        let tcp = tokio::net::TcpStream::connect(stack.addresses.chukan)
            .await
            .map_err(|e| e.to_string())?;
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let tls = tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("content-type", content_type)
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Answer {
            status,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        })
    }

    async fn get(&self, stack: &Stack, path: &str) -> Result<Answer, String> {
        self.send(stack, "GET", path, "text/plain", Vec::new())
            .await
    }

    async fn post(&self, stack: &Stack, path: &str, body: Vec<u8>) -> Result<Answer, String> {
        self.send(stack, "POST", path, "application/xml; charset=utf-8", body)
            .await
    }
}

/// The client of a tenant, with `ca.pem`, `client.pem` and `client.key` fetched from the admin
/// API as a vendor would.
async fn client_for(stack: &Stack, kikan: &str) -> TlsClient {
    let admin = format!("http://{}/admin/v1/chukan", stack.addresses.admin);
    let plain = reqwest::Client::new();
    let get = |url: String| {
        let plain = plain.clone();
        async move { plain.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let ca = get(format!("{admin}/ca.pem")).await;
    let cert = get(format!("{admin}/tenants/{kikan}/client.pem")).await;
    let key = get(format!("{admin}/tenants/{kikan}/client.key")).await;
    with_identity(&ca, Some((&cert, &key)))
}

fn with_identity(ca_pem: &str, identity: Option<(&str, &str)>) -> TlsClient {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    TlsClient {
        config: Arc::new(config),
    }
}

fn denbun(id: &str, destination: &str, mode: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{id}>\n  <MessageHeader>\n    <MSGID>M-0001</MSGID>\n    <MSGTypeID>{id}</MSGTypeID>\n    <MSGMode>{mode}</MSGMode>\n    <SourceSystemID>KIZON-01</SourceSystemID>\n    <DestinationSystemID>{destination}</DestinationSystemID>\n    <ReceptionNumber/>\n    <MSGResult/>\n  </MessageHeader>\n  <MessageBody>\n{body}  </MessageBody>\n</{id}>\n"
    )
}

/// POSTs a 電文; returns (status, text).
async fn post(client: &TlsClient, stack: &Stack, id: &str, text: String) -> (u16, String) {
    let answer = client
        .post(stack, &format!("/ws/{id}"), text.into_bytes())
        .await
        .unwrap();
    (answer.status, answer.text)
}

fn value<'t>(xml: &'t str, element: &str) -> &'t str {
    let open = format!("<{element}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {element} in {xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{element}>")).unwrap() + start;
    &xml[start..end]
}

fn fugou_request(destination: &str, person: &Resident) -> String {
    denbun(
        "IF_FGU_10111_R01",
        destination,
        "1",
        &format!(
            "    <依頼元部署コード>ZEIMU</依頼元部署コード>\n    <団体内統合宛名番号>{}</団体内統合宛名番号>\n    <個人番号>{}</個人番号>\n",
            person.tougou_atena_bango, person.kojin_bango
        ),
    )
}

fn fugou_status(destination: &str, person: &Resident) -> String {
    denbun(
        "IF_FGU_10112_R01",
        destination,
        "1",
        &format!(
            "    <団体内統合宛名番号>{}</団体内統合宛名番号>\n",
            person.tougou_atena_bango
        ),
    )
}

/// A 副本登録・削除ファイル of 千代田区 with these records.
fn file(dantai: &str, records: &[RawRecord]) -> Vec<u8> {
    let header = FileHeader {
        file_id: "FI_DBM_0001".into(),
        dantai: dantai.parse().unwrap(),
        created_at: datetime!(2026-04-06 08:00 +09:00),
    };
    let mut writer = FukuhonFileWriter::new(Vec::new(), &header).unwrap();
    for record in records {
        writer.record(record).unwrap();
    }
    writer.finish().unwrap()
}

/// A 地方税関係情報 (D0201) 登録 record; `zokugara` goes into 扶養親族続柄 (X 2).
fn zeimu(id: &str, person: &str, zokugara: &str, nengaku: &str) -> RawRecord {
    let mut record = RawRecord::numbered(0);
    record
        .set(RecordField::RecordId, id)
        .set(RecordField::ShoriKubun, "登録")
        .set(RecordField::TougouAtenaBango, person)
        .set(RecordField::TokuteiKojinJohoMeiCode, "TM00000000000002")
        .set(RecordField::Dataset, "D0201")
        .set(RecordField::RecordKey, "2025")
        .set(RecordField::MajorVersion, "1")
        .set(RecordField::KoukaiStart, "2026-04-01");
    let mut items: Vec<RawItem> = [
        ("課税年度", "2025"),
        ("課税区分", "1"),
        ("年税額", nengaku),
        ("市区町村民税均等割額", "3500"),
        ("市区町村民税所得割額", "70000"),
        ("都道府県民税均等割額", "1500"),
        ("都道府県民税所得割額", "48000"),
        ("課税標準額", "700000"),
        ("扶養人数", "1"),
    ]
    .into_iter()
    .map(|(n, v)| RawItem::value(n, v))
    .collect();
    items.push(RawItem::value("扶養親族続柄", zokugara));
    record.body = Some(items);
    record
}

async fn register_ws(
    client: &TlsClient,
    stack: &Stack,
    destination: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let message = denbun(
        "IF_DBM_20113_R01",
        destination,
        "1",
        &format!(
            "    <依頼元部署コード>ZEIMU</依頼元部署コード>\n    <依頼元ユーザID>user01</依頼元ユーザID>\n    <添付ファイル名>{name}</添付ファイル名>\n    <添付ファイルID>FI_DBM_0001</添付ファイルID>\n"
        ),
    );
    // multipart/form-data as any HTTP library writes it (RFC 7578).
    let boundary = "renkei-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"message\"\r\nContent-Type: application/xml\r\n\r\n{message}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{name}\"\r\nContent-Type: application/xml\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let answer = client
        .send(
            stack,
            "POST",
            "/ws/IF_DBM_20113_R01",
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
        .unwrap();
    (answer.status, answer.text)
}

async fn get(client: &TlsClient, stack: &Stack, path: &str) -> (u16, String) {
    let answer = client.get(stack, path).await.unwrap();
    (answer.status, answer.text)
}

#[tokio::test]
async fn a_tenant_can_never_reach_another_tenants_data() {
    let expanded = scenario("");
    let stack = spawn(&expanded, None).await;
    let (chiyoda, chofu) = (
        client_for(&stack, CHIYODA).await,
        client_for(&stack, CHOFU).await,
    );
    let person = &residents(&expanded, 0)[3];

    // 千代田区 obtains a 符号 for its resident.
    let (status, text) = post(
        &chiyoda,
        &stack,
        "IF_FGU_10111_R01",
        fugou_request(CHIYODA, person),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(value(&text, "符号取得状態"), "符号取得済み");
    assert_eq!(value(&text, "MSGResult"), "0");
    assert_eq!(value(&text, "ReceptionNumber").len(), 18);
    let fugou = stack
        .chukan
        .issuer()
        .fugou_for(person.juminhyo_code, CHIYODA.parse().unwrap())
        .unwrap();
    assert!(
        !text.contains(fugou.as_str()),
        "the 符号 itself is never shown: {text}"
    );

    // 調布市 asks about 千代田区's resident through its own 中間サーバー: refused.
    let (status, text) = post(
        &chofu,
        &stack,
        "IF_FGU_10112_R01",
        fugou_status(CHOFU, person),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert_eq!(value(&text, "エラーコード"), "OTHER_TENANT");
    assert_eq!(value(&text, "エラー項目"), "団体内統合宛名番号");
    // … and addressing 千代田区's 中間サーバー with its own certificate: refused.
    let (status, text) = post(
        &chofu,
        &stack,
        "IF_FGU_10112_R01",
        fugou_status(CHIYODA, person),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert_eq!(value(&text, "エラー項目"), "DestinationSystemID");

    // A file of 千代田区's 副本 sent by 調布市: refused, naming the header's 団体コード.
    let bytes = file(
        "131016",
        &[zeimu(
            "R1",
            person.tougou_atena_bango.as_str(),
            "子",
            "123000",
        )],
    );
    let response = chofu
        .post(
            &stack,
            "/xml/v1/files/FI_DBM_0001_chiyoda.xml",
            bytes.clone(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 403);
    assert!(
        response
            .text
            .contains("<エラー項目>団体コード</エラー項目>")
    );

    // 千代田区's 受付 is not found by 調布市.
    let response = chiyoda
        .post(&stack, "/xml/v1/files/FI_DBM_0001_chiyoda.xml", bytes)
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let text = response.text;
    let reception = value(&text, "中間サーバー受付番号").to_owned();
    let (status, _) = get(&chiyoda, &stack, &format!("/xml/v1/files/{reception}")).await;
    assert_eq!(status, 200);
    let (status, text) = get(&chofu, &stack, &format!("/xml/v1/files/{reception}")).await;
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("RECEPTION_NOT_FOUND"));
    // 調布市's 副本管理情報 export is empty; 千代田区's holds its own only after the batch.
    let (_, csv) = get(&chofu, &stack, "/xml/v1/exports/fukuhon-kanri.csv").await;
    assert_eq!(csv.lines().count(), 1, "{csv}");

    // No client certificate, or one from another CA: the handshake fails.
    let ca = stack.chukan.ca_pem();
    let path = "/xml/v1/exports/batch-results.csv";
    let bare = with_identity(&ca, None);
    assert!(bare.get(&stack, path).await.is_err());
    let stranger = ChukanCa::generate(999)
        .client_identity(CHIYODA.parse().unwrap(), "131016".parse().unwrap(), "x", 1)
        .unwrap();
    let forged = with_identity(&ca, Some((&stranger.cert_pem(), stranger.key_pem())));
    assert!(forged.get(&stack, path).await.is_err());

    // Revoked: the old certificate fails the handshake, the new one works.
    assert!(chofu.get(&stack, path).await.is_ok());
    let response = reqwest::Client::new()
        .post(format!(
            "http://{}/admin/v1/chukan/tenants/{CHOFU}/revoke",
            stack.addresses.admin
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(chofu.get(&stack, path).await.is_err());
    let renewed = client_for(&stack, CHOFU).await;
    let (status, _) = get(&renewed, &stack, "/xml/v1/exports/batch-results.csv").await;
    assert_eq!(status, 200);

    // Every exchange is in the journal under the tenant's 機関コード.
    let journal: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "http://{}/admin/v1/journal?system=chukan",
            stack.addresses.admin
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let accounts: Vec<&str> = journal["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["caller"]["account"].as_str())
        .collect();
    assert!(
        accounts.contains(&CHIYODA) && accounts.contains(&CHOFU),
        "{accounts:?}"
    );
    stack.shutdown().await;
}

#[tokio::test]
async fn fugou_waits_business_days_and_bad_denbun_get_named_errors() {
    let expanded = scenario("fugou_delay_business_days = 2");
    let stack = spawn(&expanded, None).await;
    let chiyoda = client_for(&stack, CHIYODA).await;
    let person = &residents(&expanded, 0)[5];

    // Monday 09:00, two business days: due Wednesday 00:00.
    let (status, text) = post(
        &chiyoda,
        &stack,
        "IF_FGU_10111_R01",
        fugou_request(CHIYODA, person),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(value(&text, "符号取得状態"), "符号取得中");
    assert_eq!(value(&text, "発行予定日時"), "2026-04-08T00:00:00+09:00");
    let (status, text) = post(
        &chiyoda,
        &stack,
        "IF_FGU_10111_R01",
        fugou_request(CHIYODA, person),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(value(&text, "エラーコード"), "FUGOU_ALREADY_REQUESTED");
    advance(&stack, 38 * 3600).await; // Tuesday 23:00
    let (_, text) = post(
        &chiyoda,
        &stack,
        "IF_FGU_10112_R01",
        fugou_status(CHIYODA, person),
    )
    .await;
    assert_eq!(value(&text, "符号取得状態"), "符号取得中");
    advance(&stack, 3600).await; // Wednesday 00:00
    let (status, text) = post(
        &chiyoda,
        &stack,
        "IF_FGU_10112_R01",
        fugou_status(CHIYODA, person),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(value(&text, "符号取得状態"), "符号取得済み");
    assert_eq!(value(&text, "取得日時"), "2026-04-08T00:00:00+09:00");

    // Named errors, never a panic.
    let other = &residents(&expanded, 0)[6];
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "IF_SKI_99999_R01",
            fugou_status(CHIYODA, other),
            404,
            "UNKNOWN_DENBUN",
        ),
        (
            "IF_FGU_10112_R01",
            "<IF_FGU_10112_R01><MessageHeader>".into(),
            400,
            "NOT_WELL_FORMED",
        ),
        (
            "IF_FGU_10112_R01",
            fugou_status(CHIYODA, other).replace("UTF-8", "Shift_JIS"),
            400,
            "ENCODING",
        ),
        (
            "IF_FGU_10112_R01",
            fugou_status(CHIYODA, other).replace("<MSGMode>1", "<MSGMode>0"),
            400,
            "MSGMODE_MISMATCH",
        ),
        (
            "IF_FGU_10111_R01",
            fugou_status(CHIYODA, other),
            400,
            "ROOT_MISMATCH",
        ),
        (
            "IF_FGU_10111_R01",
            fugou_request(CHIYODA, other).replace(other.kojin_bango.as_str(), "123456789012"),
            400,
            "BAD_ITEM",
        ),
        (
            "IF_FGU_10112_R01",
            fugou_status(CHIYODA, other),
            404,
            "FUGOU_NOT_REQUESTED",
        ),
    ];
    for (id, text, status, code) in cases {
        let (got, answer) = post(&chiyoda, &stack, id, text).await;
        assert_eq!(got, status, "{code}: {answer}");
        assert_eq!(value(&answer, "エラーコード"), code, "{answer}");
    }
    // Bytes that are not UTF-8.
    let response = chiyoda
        .post(&stack, "/ws/IF_FGU_10112_R01", vec![0x3c, 0x82, 0xa0, 0x3e])
        .await
        .unwrap();
    assert_eq!(response.status, 400);
    assert!(
        response
            .text
            .contains("<エラーコード>ENCODING</エラーコード>")
    );
    stack.shutdown().await;
}

#[tokio::test]
async fn fukuhon_go_through_the_night_batch_with_caps_carry_over_and_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let expanded =
        scenario("batch_records_per_night = 3\nupload_caps = { records = 8, bytes = 200000 }");
    let mine = residents(&expanded, 0);
    let theirs = residents(&expanded, 1);
    let stack = spawn(&expanded, Some(data.path())).await;
    // Certificates are in the data directory for the vendor.
    let folder = data.path().join("chukan-certs").join(CHIYODA);
    for name in ["ca.pem", "client.pem", "client.key"] {
        assert!(folder.join(name).exists(), "{name}");
    }
    let chiyoda = client_for(&stack, CHIYODA).await;
    let records = vec![
        zeimu("R1", mine[0].tougou_atena_bango.as_str(), "𠮷", "123000"),
        zeimu("R2", mine[1].tougou_atena_bango.as_str(), "子", "12a"),
        zeimu("R1", mine[2].tougou_atena_bango.as_str(), "子", "1000"),
        zeimu("R4", theirs[0].tougou_atena_bango.as_str(), "子", "1000"),
        zeimu("R5", mine[4].tougou_atena_bango.as_str(), "子", "-5000"),
    ];
    let bytes = file("131016", &records);
    let (status, text) = register_ws(
        &chiyoda,
        &stack,
        CHIYODA,
        "FI_DBM_0001_20260406.xml",
        bytes.clone(),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(value(&text, "処理状況"), "受付済み");
    assert_eq!(value(&text, "件数"), "5");
    assert_eq!(value(&text, "処理予定日時"), "2026-04-07T02:00:00+09:00");
    let reception = value(&text, "ReceptionNumber").to_owned();

    // Over the day's record cap (8): refused whole, naming the numbers.
    let (status, text) = register_ws(
        &chiyoda,
        &stack,
        CHIYODA,
        "FI_DBM_0001_again.xml",
        bytes.clone(),
    )
    .await;
    assert_eq!(status, 413, "{text}");
    assert_eq!(value(&text, "エラーコード"), "FILE_OVER_CAP");
    assert!(
        value(&text, "エラーメッセージ").contains("本日受付済み 5 件"),
        "{text}"
    );
    // A truncated file: refused whole, naming the file and where it ends.
    let cut = bytes[..bytes.len() - 40].to_vec();
    let response = chiyoda
        .post(&stack, "/xml/v1/files/FI_DBM_0001_cut.xml", cut)
        .await
        .unwrap();
    assert_eq!(response.status, 400);
    let text = response.text;
    assert!(
        text.contains("FILE_UNREADABLE") && text.contains("FI_DBM_0001_cut.xml"),
        "{text}"
    );

    // The first night processes 3 records, the second the rest.
    advance(&stack, 17 * 3600 + 60).await; // Tuesday 02:01
    let status_denbun = denbun(
        "IF_DBM_20114_R01",
        CHIYODA,
        "1",
        &format!("    <中間サーバー受付番号>{reception}</中間サーバー受付番号>\n"),
    );
    let (status, text) = post(&chiyoda, &stack, "IF_DBM_20114_R01", status_denbun.clone()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(value(&text, "処理状況"), "処理中(翌日繰越)");
    assert_eq!(value(&text, "処理済件数"), "3");
    let (status, _) = get(
        &chiyoda,
        &stack,
        &format!("/xml/v1/files/{reception}/result"),
    )
    .await;
    assert_eq!(status, 409);

    // A restart in the middle loses nothing.
    stack.shutdown().await;
    let stack = spawn(&expanded, Some(data.path())).await;
    let chiyoda = client_for(&stack, CHIYODA).await;
    advance(&stack, 24 * 3600).await; // Wednesday 02:01
    let (_, text) = post(&chiyoda, &stack, "IF_DBM_20114_R01", status_denbun).await;
    assert_eq!(value(&text, "処理状況"), "処理済み");
    assert_eq!(value(&text, "正常件数"), "2");
    assert_eq!(value(&text, "エラー件数"), "3");

    // A 処理結果 for every record, with the real duplicate message.
    let (status, result) = get(
        &chiyoda,
        &stack,
        &format!("/xml/v1/files/{reception}/result"),
    )
    .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result.matches("<結果>").count(), 5, "{result}");
    assert!(result.contains("<結果コード>FK11</結果コード>"));
    assert!(result.contains("「レコード識別番号」が既に存在しています。"));
    assert!(result.contains("<結果コード>FK16</結果コード>"));

    // 突合用 exports: the registered 副本 and the two nights with their error flag.
    let (_, kanri) = get(&chiyoda, &stack, "/xml/v1/exports/fukuhon-kanri.csv").await;
    assert_eq!(kanri.lines().count(), 3, "{kanri}");
    assert!(kanri.contains(mine[0].tougou_atena_bango.as_str()));
    let (_, runs) = get(&chiyoda, &stack, "/xml/v1/exports/batch-results.csv").await;
    let lines: Vec<&str> = runs.lines().collect();
    assert_eq!(lines.len(), 3, "{runs}");
    assert!(
        lines[1].contains(",3,")
            && lines[1].contains("処理中(翌日繰越)")
            && lines[1].ends_with(",有"),
        "{runs}"
    );
    assert!(lines[2].ends_with("処理済み,有"), "{runs}");

    // The 副本 with 𠮷 is providable and comes back as written.
    let providable = stack
        .chukan
        .providable(
            CHIYODA.parse().unwrap(),
            mine[0].tougou_atena_bango,
            "TM00000000000002".parse().unwrap(),
            datetime!(2026-04-08 10:00 +09:00),
            datetime!(2026-04-08 09:00 +09:00),
        )
        .unwrap();
    assert_eq!(providable.len(), 1);
    assert!(providable[0].items.iter().any(|i| matches!(
        &i.value,
        renkei_simulator::chukan::fukuhon::ItemValue::Value(v) if v == "𠮷"
    )));
    stack.shutdown().await;
}

#[tokio::test]
async fn every_xml_the_server_sends_and_reads_validates_against_the_xsds() {
    let expanded = scenario("fugou_delay_business_days = 1");
    let stack = spawn(&expanded, None).await;
    let chiyoda = client_for(&stack, CHIYODA).await;
    let mine = residents(&expanded, 0);
    let mut checked = 0;
    let mut check = |xsd: &str, name: &str, xml: &str| {
        xmllint(xsd, name, xml);
        checked += 1;
    };

    let request = fugou_request(CHIYODA, &mine[0]);
    check("denbun.xsd", "fgu_request", &request);
    let (_, answer) = post(&chiyoda, &stack, "IF_FGU_10111_R01", request).await;
    check("denbun.xsd", "fgu_request_answer", &answer);
    let status = fugou_status(CHIYODA, &mine[0]);
    check("denbun.xsd", "fgu_status", &status);
    advance(&stack, 2 * 86_400).await;
    let (_, answer) = post(&chiyoda, &stack, "IF_FGU_10112_R01", status.clone()).await;
    assert!(answer.contains("符号取得済み"));
    check("denbun.xsd", "fgu_status_answer", &answer);
    let (_, answer) = post(
        &chiyoda,
        &stack,
        "IF_FGU_10112_R01",
        status.replace("<MSGMode>1", "<MSGMode>0"),
    )
    .await;
    check("denbun.xsd", "error_answer", &answer);
    let (_, answer) = post(&chiyoda, &stack, "IF_FGU_10112_R01", "<x".into()).await;
    check("denbun.xsd", "unparsed_error_answer", &answer);
    let (_, answer) = post(&chiyoda, &stack, "IF_TKY_99999_R01", status).await;
    check("denbun.xsd", "unknown_denbun", &answer);

    let records = vec![
        zeimu("R1", mine[1].tougou_atena_bango.as_str(), "𠮷", "1000"),
        zeimu("R2", mine[2].tougou_atena_bango.as_str(), "子", "x"),
    ];
    let bytes = file("131016", &records);
    check(
        "fukuhon-file.xsd",
        "fukuhon_file",
        std::str::from_utf8(&bytes).unwrap(),
    );
    let (_, answer) = register_ws(
        &chiyoda,
        &stack,
        CHIYODA,
        "FI_DBM_0001_a.xml",
        bytes.clone(),
    )
    .await;
    check("denbun.xsd", "dbm_register_answer", &answer);
    let accepted = chiyoda
        .post(
            &stack,
            "/xml/v1/files/FI_DBM_0001_b.xml",
            file("131016", &records[..1]),
        )
        .await
        .unwrap()
        .text;
    check("denbun.xsd", "file_accepted", &accepted);
    let reception = value(&accepted, "中間サーバー受付番号").to_owned();
    advance(&stack, 86_400).await;
    let (_, state) = get(&chiyoda, &stack, &format!("/xml/v1/files/{reception}")).await;
    assert!(state.contains("処理済み"), "{state}");
    check("denbun.xsd", "file_status", &state);
    let dbm_status = denbun(
        "IF_DBM_20114_R01",
        CHIYODA,
        "1",
        &format!("    <中間サーバー受付番号>{reception}</中間サーバー受付番号>\n"),
    );
    check("denbun.xsd", "dbm_status", &dbm_status);
    let (_, answer) = post(&chiyoda, &stack, "IF_DBM_20114_R01", dbm_status).await;
    check("denbun.xsd", "dbm_status_answer", &answer);
    let (_, result) = get(
        &chiyoda,
        &stack,
        &format!("/xml/v1/files/{reception}/result"),
    )
    .await;
    check("fukuhon-kekka.xsd", "result_file", &result);
    let first = value(&answer, "ReceptionNumber").to_owned();
    let (_, _) = get(&chiyoda, &stack, &format!("/xml/v1/files/{first}")).await;
    let (_, missing) = get(&chiyoda, &stack, "/xml/v1/files/000000000000000000/result").await;
    check("denbun.xsd", "file_error", &missing);
    // The example of the 副本登録 page.
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/chukan-fukuhon-file.md"
    ))
    .unwrap();
    let example = doc
        .split("```xml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    check("fukuhon-file.xsd", "doc_example", example);
    assert_eq!(checked, 16);
    stack.shutdown().await;
}

#[test]
fn the_api_page_lists_every_denbun_error_code_route_and_status() {
    use renkei_simulator::chukan::{db::UketsukeStatus, denbun, server};
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/chukan-api.md"
    ))
    .unwrap();
    for spec in denbun::DENBUN {
        assert!(doc.contains(&format!("`{}`", spec.id)), "{}", spec.id);
        assert!(
            doc.contains(&format!("### {} {}", spec.id, spec.name)),
            "{}",
            spec.name
        );
    }
    for (code, status, _) in denbun::ERROR_CODES {
        assert!(doc.contains(&format!("| `{code}` | {status} |")), "{code}");
    }
    for (_, path) in server::ROUTES {
        let written = path
            .replace("{denbun_id}", "{電文ID}")
            .replace("{file_name}", "{ファイル名}")
            .replace("{reception}", "{中間サーバー受付番号}");
        assert!(doc.contains(&written), "{path}");
    }
    for label in UketsukeStatus::LABELS {
        assert!(doc.contains(&format!("| {label} |")), "{label}");
    }
    for column in server::KANRI_COLUMNS.iter().chain(&server::BATCH_COLUMNS) {
        assert!(doc.contains(column), "{column}");
    }
}
