//! 提供除外項目マスタ (seed 004 §3.3 #9) as a tenant's 既存システム uses it: real mutual TLS on
//! loopback with the tenant's certificate, the 提供除外項目マスタ登録要求ファイル on both routes,
//! the 照会, the refusals, tenant isolation, a real state file across a restart, and 情報提供
//! leaving out exactly the provider tenant's items. Every document is checked against the XSDs
//! of docs/xsd/chukan/ with xmllint, and so are the examples of docs/chukan-api.md.

mod chukan_support;
use chukan_support::*;

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::population::Resident;
use renkei_fixtures::scenario::{Expanded, Scenario};
use renkei_simulator::chukan::client::{Answer, TenantClient};
use renkei_simulator::chukan::fukuhon::{
    FileHeader, FukuhonFileWriter, RawItem, RawRecord, RecordField,
};
use renkei_simulator::stack::Stack;
use time::macros::datetime;

const CHIYODA: &str = "131016";
const CHOFU: &str = "132080";
const CHOFU_KIKAN: &str = "9913208000000000";
/// 調布市's own 団体内統合宛名番号 for 千代田区's resident (a 住登外者 of 調布市).
const CHOFU_JUUTOUGAI: &str = "000000400000001";
const TM02: &str = "TM00000000000002";

fn scenario(extra: &str) -> Expanded {
    chukan_support::scenario("提供除外項目", 15, &[(CHIYODA, 20), (CHOFU, 20)], extra)
}

fn resident(expanded: &Expanded, index: usize) -> Resident {
    expanded.populations[0]
        .1
        .iter()
        .flat_map(|h| h.members.clone())
        .nth(index)
        .unwrap()
}

fn client(stack: &Stack, dantai: &str) -> TenantClient {
    let tenant = stack.chukan.tenant_of(dantai.parse().unwrap()).unwrap();
    TenantClient::new(&stack.chukan, tenant, stack.addresses.chukan, "KIZON-01").unwrap()
}

/// A 提供除外項目マスタ登録要求ファイル of `dantai`: (特定個人情報, データセット, 項目名).
fn jogai_file(dantai: &str, datasets: &[(&str, &str, &[&str])]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<提供除外項目マスタ登録要求>\n  <ヘッダ>\n    <ファイルID>FI_DBM_0003</ファイルID>\n    <団体コード>{dantai}</団体コード>\n    <作成日時>2026-04-06T08:00:00+09:00</作成日時>\n  </ヘッダ>\n"
    );
    for (tokutei, dataset, items) in datasets {
        xml.push_str(&format!(
            "  <データセット>\n    <特定個人情報名コード>{tokutei}</特定個人情報名コード>\n    <データセット識別項目コード>{dataset}</データセット識別項目コード>\n"
        ));
        for item in *items {
            xml.push_str(&format!("    <項目名>{item}</項目名>\n"));
        }
        xml.push_str("  </データセット>\n");
    }
    xml.push_str("</提供除外項目マスタ登録要求>\n");
    xml
}

/// Uploads a 提供除外項目マスタ登録要求ファイル on the サーバー間XMLデータ連携 route.
async fn upload(client: &TenantClient, file: String) -> Answer {
    xmllint("teikyou-jogai-file.xsd", "jogai_file", &file);
    let answer = client.upload("FI_DBM_0003_jogai.xml", file).await.unwrap();
    if answer.status == 200 {
        xmllint("teikyou-jogai-file.xsd", "jogai_result", &answer.text);
    } else {
        xmllint("denbun.xsd", "jogai_error", &answer.text);
    }
    answer
}

/// Sends IF_DBM_20115_R01 with the file as its attachment (multipart/form-data).
async fn register_ws(client: &TenantClient, name: &str, file: &str) -> Answer {
    let message = client.denbun_xml(
        "IF_DBM_20115_R01",
        &[("添付ファイル名", name), ("添付ファイルID", "FI_DBM_0003")],
    );
    xmllint("denbun.xsd", "IF_DBM_20115_R01", &message);
    let boundary = "renkei-jogai-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"message\"\r\nContent-Type: application/xml\r\n\r\n{message}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{name}\"\r\nContent-Type: application/xml\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let answer = client
        .send(
            "POST",
            "/ws/IF_DBM_20115_R01",
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
        .await
        .unwrap();
    xmllint("denbun.xsd", "IF_DBM_20115_S01", &answer.text);
    answer
}

/// IF_DBM_20116_R01: the tenant's master as (特定個人情報, データセット, 項目名).
async fn master(client: &TenantClient, filter: &[(&str, &str)]) -> Vec<(String, String, String)> {
    let request = client.denbun_xml("IF_DBM_20116_R01", filter);
    xmllint("denbun.xsd", "IF_DBM_20116_R01", &request);
    let answer = client.denbun("IF_DBM_20116_R01", filter).await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    xmllint("denbun.xsd", "IF_DBM_20116_S01", &answer.text);
    let rows = rows(&answer.text);
    assert_eq!(answer.value("件数"), rows.len().to_string());
    rows
}

fn rows(xml: &str) -> Vec<(String, String, String)> {
    renkei_simulator::chukan::client::values(xml, "提供除外項目")
        .into_iter()
        .map(|item| {
            let one = |e: &str| renkei_simulator::chukan::client::values(item, e)[0].to_owned();
            (
                one("特定個人情報名コード"),
                one("データセット識別項目コード"),
                one("項目名"),
            )
        })
        .collect()
}

fn row(tokutei: &str, dataset: &str, item: &str) -> (String, String, String) {
    (tokutei.to_owned(), dataset.to_owned(), item.to_owned())
}

fn error(answer: &Answer) -> (u16, &str, &str, &str) {
    (
        answer.status,
        answer.value("エラーコード"),
        answer.value("エラー項目"),
        answer.value("エラーメッセージ"),
    )
}

#[tokio::test]
async fn a_tenant_registers_reads_back_and_keeps_its_master_and_bad_files_change_nothing() {
    let expanded = scenario("");
    let dir = tempfile::tempdir().unwrap();
    let stack = spawn(&expanded, Some(dir.path())).await;
    let chofu = client(&stack, CHOFU);
    let chiyoda = client(&stack, CHIYODA);

    // A fresh tenant's master is empty (the 団体 registers it, as on the real 中間サーバー).
    assert!(master(&chofu, &[]).await.is_empty());

    // The file route: D0202 の 給与収入額.
    let answer = upload(
        &chofu,
        jogai_file(CHOFU, &[(TM02, "D0202", &["給与収入額"])]),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(
        answer
            .text
            .contains("<提供除外項目マスタ登録結果 版=\"1\">")
    );
    assert_eq!(answer.value("データセット数"), "1");
    assert_eq!(answer.value("登録日時"), "2026-04-06T09:00:00+09:00");
    let first = [row(TM02, "D0202", "給与収入額")];
    assert_eq!(rows(&answer.text), first);
    assert_eq!(master(&chofu, &[]).await, first);
    assert_eq!(
        master(&chofu, &[("特定個人情報名コード", TM02)]).await,
        first
    );
    assert!(
        master(&chofu, &[("データセット識別項目コード", "D0201")])
            .await
            .is_empty()
    );

    // Tenant isolation: 千代田区 sees none of it and cannot register for 調布市.
    assert!(master(&chiyoda, &[]).await.is_empty());
    let other = upload(
        &chiyoda,
        jogai_file(CHOFU, &[(TM02, "D0202", &["給与所得額"])]),
    )
    .await;
    let (status, code, item, message) = error(&other);
    assert_eq!((status, code, item), (403, "OTHER_TENANT", "団体コード"));
    assert!(message.contains("132080"), "{message}");
    assert!(master(&chiyoda, &[]).await.is_empty());
    assert_eq!(master(&chofu, &[]).await, first);

    // Anything the データ標準レイアウト does not know refuses the whole file, naming it; the
    // valid dataset before it is not registered either.
    for (bad, item, value) in [
        (
            ("TM99999999999999", "D0202", &["給与収入額"][..]),
            "特定個人情報名コード",
            "TM99999999999999",
        ),
        (
            (TM02, "D9999", &["給与収入額"][..]),
            "データセット識別項目コード",
            "D9999",
        ),
        ((TM02, "D0202", &["賞与額"][..]), "項目名", "賞与額"),
        ((TM02, "D0201", &["給与収入額"][..]), "項目名", "給与収入額"),
    ] {
        let answer = upload(
            &chofu,
            jogai_file(CHOFU, &[(TM02, "D0201", &["年税額"]), bad]),
        )
        .await;
        let (status, code, at, message) = error(&answer);
        assert_eq!(
            (status, code, at),
            (400, "UNKNOWN_LAYOUT_ITEM", item),
            "{message}"
        );
        assert!(message.contains(value), "{message}");
        assert!(
            message.contains("FI_DBM_0003_jogai.xml: 2件目のデータセット"),
            "{message}"
        );
    }
    let twice = upload(
        &chofu,
        jogai_file(
            CHOFU,
            &[(TM02, "D0202", &[]), (TM02, "D0202", &["給与所得額"])],
        ),
    )
    .await;
    assert_eq!(error(&twice).1, "DUPLICATE_ELEMENT", "{}", twice.text);
    let same_item = upload(
        &chofu,
        jogai_file(CHOFU, &[(TM02, "D0202", &["給与所得額", "給与所得額"])]),
    )
    .await;
    assert_eq!(
        error(&same_item).1,
        "DUPLICATE_ELEMENT",
        "{}",
        same_item.text
    );
    let empty = chofu
        .upload("FI_DBM_0003_empty.xml", jogai_file(CHOFU, &[]))
        .await
        .unwrap();
    assert_eq!((error(&empty).0, error(&empty).1), (400, "MISSING_ITEM"));
    let broken = chofu
        .upload(
            "FI_DBM_0003_broken.xml",
            "<提供除外項目マスタ登録要求>".into(),
        )
        .await
        .unwrap();
    assert_eq!(error(&broken).1, "FILE_UNREADABLE", "{}", broken.text);
    let unknown = master(&chofu, &[]).await;
    assert_eq!(unknown, first, "nothing registered by a refused file");
    let bad_filter = chofu
        .denbun(
            "IF_DBM_20116_R01",
            &[("特定個人情報名コード", "TM99999999999999")],
        )
        .await
        .unwrap();
    assert_eq!(
        (error(&bad_filter).0, error(&bad_filter).1),
        (400, "UNKNOWN_LAYOUT_ITEM")
    );

    // The 電文 route, an hour later: D0202 gets a second item, D0201 gets one. The item kept
    // keeps its 登録日時.
    advance(&stack, 3_600).await;
    let file = jogai_file(
        CHOFU,
        &[
            (TM02, "D0202", &["給与収入額", "給与所得額"]),
            (TM02, "D0201", &["扶養親族続柄"]),
        ],
    );
    let answer = register_ws(&chofu, "FI_DBM_0003_zeimu.xml", &file).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.value("添付ファイル名"), "FI_DBM_0003_zeimu.xml");
    assert_eq!(answer.value("データセット数"), "2");
    let second = [
        row(TM02, "D0201", "扶養親族続柄"),
        row(TM02, "D0202", "給与収入額"),
        row(TM02, "D0202", "給与所得額"),
    ];
    assert_eq!(rows(&answer.text), second);
    let times = answer.values("登録日時");
    assert_eq!(
        times,
        [
            "2026-04-06T10:00:00+09:00",
            "2026-04-06T10:00:00+09:00",
            "2026-04-06T09:00:00+09:00",
            "2026-04-06T10:00:00+09:00"
        ],
        "{}",
        answer.text
    );
    // A wrong 添付ファイル名 / ファイルID is refused before anything is read.
    let wrong = chofu
        .send(
            "POST",
            "/ws/IF_DBM_20115_R01",
            "application/xml",
            chofu
                .denbun_xml(
                    "IF_DBM_20115_R01",
                    &[
                        ("添付ファイル名", "x.xml"),
                        ("添付ファイルID", "FI_DBM_0003"),
                    ],
                )
                .into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(error(&wrong).1, "BAD_MULTIPART", "{}", wrong.text);

    // Replacing per dataset: D0202 only 給与所得額 now, D0201 none; no other dataset named.
    let answer = upload(
        &chofu,
        jogai_file(
            CHOFU,
            &[(TM02, "D0202", &["給与所得額"]), (TM02, "D0201", &[])],
        ),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let third = [row(TM02, "D0202", "給与所得額")];
    assert_eq!(master(&chofu, &[]).await, third);

    // A restart from the same state file keeps it.
    stack.shutdown().await;
    let stack = spawn(&expanded, Some(dir.path())).await;
    assert_eq!(master(&client(&stack, CHOFU), &[]).await, third);
    assert!(master(&client(&stack, CHIYODA), &[]).await.is_empty());
    stack.shutdown().await;
}

/// A 副本登録・削除ファイル of 調布市: the person's 地方税 2025 (D0201 and D0202).
fn zeimu_file() -> String {
    let header = FileHeader {
        file_id: "FI_DBM_0001".into(),
        dantai: CHOFU.parse().unwrap(),
        created_at: datetime!(2026-04-06 08:00 +09:00),
    };
    let record = |id: &str, dataset: &str, items: &[(&str, &str)]| {
        let mut record = RawRecord::numbered(0);
        record
            .set(RecordField::RecordId, id)
            .set(RecordField::ShoriKubun, "登録")
            .set(RecordField::TougouAtenaBango, CHOFU_JUUTOUGAI)
            .set(RecordField::TokuteiKojinJohoMeiCode, TM02)
            .set(RecordField::Dataset, dataset)
            .set(RecordField::RecordKey, "2025")
            .set(RecordField::MajorVersion, "1")
            .set(RecordField::KoukaiStart, "2026-04-01");
        record.body = Some(items.iter().map(|(n, v)| RawItem::value(*n, *v)).collect());
        record
    };
    let mut writer = FukuhonFileWriter::new(Vec::new(), &header).unwrap();
    for r in [
        record(
            "Z1",
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
            ],
        ),
        record(
            "Z2",
            "D0202",
            &[
                ("課税年度", "2025"),
                ("給与収入額", "4800000"),
                ("給与所得額", "3360000"),
                ("合計所得金額", "3360000"),
                ("総所得金額", "3360000"),
            ],
        ),
    ] {
        writer.record(&r).unwrap();
    }
    String::from_utf8(writer.finish().unwrap()).unwrap()
}

fn shoukai_items(tougou: &str) -> Vec<(&'static str, String)> {
    vec![
        ("団体内統合宛名番号", tougou.to_owned()),
        ("事務コード", "JM00000000000074".into()),
        ("事務手続コード", "JT00000000007401".into()),
        ("特定個人情報名コード", TM02.into()),
        ("情報提供者機関コード", CHOFU_KIKAN.into()),
        ("照会条件区分", "1".into()),
        ("照会年度", "2025".into()),
    ]
}

async fn denbun(client: &TenantClient, id: &str, items: &[(&str, String)]) -> Answer {
    let pairs: Vec<(&str, &str)> = items.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = client.denbun(id, &pairs).await.unwrap();
    assert_eq!(answer.status, 200, "{id}: {}", answer.text);
    answer
}

/// 千代田区 asks 調布市 (自動応答) and fetches what was provided.
async fn provided(chiyoda: &TenantClient, tougou: &str) -> String {
    let answer = denbun(chiyoda, "IF_SKI_10711_R01", &shoukai_items(tougou)).await;
    assert_eq!(
        answer.value("照会ステータス"),
        "正常終了",
        "{}",
        answer.text
    );
    let tsuuban = answer.value("処理通番").to_owned();
    denbun(chiyoda, "IF_SKI_10713_R01", &[("処理通番", tsuuban)])
        .await
        .text
}

#[tokio::test]
async fn the_provider_tenants_master_decides_what_is_left_out_automatic_and_by_hand() {
    let expanded = scenario("");
    let stack = spawn(&expanded, None).await;
    let chofu = client(&stack, CHOFU);
    let chiyoda = client(&stack, CHIYODA);
    let person = resident(&expanded, 3);
    let tougou = person.tougou_atena_bango.to_string();
    let kojin = person.kojin_bango.to_string();
    for (c, number) in [(&chiyoda, tougou.as_str()), (&chofu, CHOFU_JUUTOUGAI)] {
        let answer = denbun(
            c,
            "IF_FGU_10111_R01",
            &[
                ("団体内統合宛名番号", number.to_owned()),
                ("個人番号", kojin.clone()),
            ],
        )
        .await;
        assert_eq!(answer.value("符号取得状態"), "符号取得済み");
    }
    let accepted = chofu
        .upload("FI_DBM_0001_zeimu.xml", zeimu_file())
        .await
        .unwrap();
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    advance(&stack, 86_400).await;

    // No master at 調布市: every item of the 副本 is provided, 給与収入額 too.
    let all = provided(&chiyoda, &tougou).await;
    assert!(
        all.contains("<項目 名=\"給与収入額\">4800000</項目>"),
        "{all}"
    );

    // 千代田区's own master does not decide what 調布市 provides.
    let own = upload(
        &chiyoda,
        jogai_file(CHIYODA, &[(TM02, "D0202", &["給与収入額"])]),
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert!(provided(&chiyoda, &tougou).await.contains("給与収入額"));

    // 調布市 registers it: from the next 提供 on, exactly that item is left out.
    let answer = upload(
        &chofu,
        jogai_file(CHOFU, &[(TM02, "D0202", &["給与収入額"])]),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let without = provided(&chiyoda, &tougou).await;
    assert!(!without.contains("給与収入額"), "{without}");
    assert!(
        without.contains("<項目 名=\"給与所得額\">3360000</項目>"),
        "{without}"
    );
    assert!(
        without.contains("<項目 名=\"年税額\">123000</項目>"),
        "{without}"
    );
    // The 副本 themselves are untouched: the 突合用 file still counts both.
    let kanri = chofu
        .get("/xml/v1/exports/fukuhon-kanri.csv")
        .await
        .unwrap();
    assert_eq!(kanri.text.lines().count(), 3, "{}", kanri.text);

    // By hand (自動応答不可): what the 職員 checks and sends leaves it out too.
    denbun(
        &chofu,
        "IF_TKY_10814_R01",
        &[
            ("特定個人情報名コード", TM02.into()),
            ("データセット識別項目コード", "D0202".into()),
            ("自動応答不可", "1".into()),
        ],
    )
    .await;
    let waiting = denbun(&chiyoda, "IF_SKI_10711_R01", &shoukai_items(&tougou)).await;
    assert_eq!(
        waiting.value("照会ステータス"),
        "回答待ち",
        "{}",
        waiting.text
    );
    let tsuuban = waiting.value("処理通番").to_owned();
    let queue = denbun(&chofu, "IF_TKY_10811_R01", &[("未回答のみ", "1".into())]).await;
    assert!(queue.text.contains("給与所得額") && !queue.text.contains("給与収入額"));
    let checked = denbun(&chofu, "IF_TKY_10812_R01", &[("処理通番", tsuuban.clone())]).await;
    assert!(!checked.text.contains("給与収入額"), "{}", checked.text);
    denbun(&chofu, "IF_TKY_10813_R01", &[("処理通番", tsuuban.clone())]).await;
    let result = denbun(&chiyoda, "IF_SKI_10713_R01", &[("処理通番", tsuuban)]).await;
    assert!(result.text.contains("給与所得額"), "{}", result.text);
    assert!(!result.text.contains("給与収入額"), "{}", result.text);
    stack.shutdown().await;
}

#[tokio::test]
async fn a_scenario_may_start_every_tenant_with_the_catalogs_items_once() {
    let expanded = scenario("teikyou_jogai = \"layouts\"");
    let dir = tempfile::tempdir().unwrap();
    let stack = spawn(&expanded, Some(dir.path())).await;
    let catalog: Vec<(String, String, String)> =
        renkei_simulator::chukan::teikyou_jogai::catalog_datasets(&Catalogs::embedded().layouts)
            .into_iter()
            .flat_map(|d| {
                d.items
                    .into_iter()
                    .map(move |i| (d.tokutei.as_str().to_owned(), d.dataset.clone(), i))
            })
            .collect();
    assert!(
        catalog.contains(&row(TM02, "D0202", "給与収入額")),
        "{catalog:?}"
    );
    assert_eq!(master(&client(&stack, CHOFU), &[]).await, catalog);
    assert_eq!(master(&client(&stack, CHIYODA), &[]).await, catalog);
    // 調布市 takes D0202 out of its master; a restart does not put it back.
    let answer = upload(
        &client(&stack, CHOFU),
        jogai_file(CHOFU, &[(TM02, "D0202", &[])]),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    stack.shutdown().await;
    let stack = spawn(&expanded, Some(dir.path())).await;
    let after = master(&client(&stack, CHOFU), &[]).await;
    assert!(
        !after.contains(&row(TM02, "D0202", "給与収入額")),
        "{after:?}"
    );
    assert_eq!(after.len(), catalog.len() - 1);
    assert_eq!(master(&client(&stack, CHIYODA), &[]).await, catalog);
    stack.shutdown().await;
    // The setting is checked like the others.
    let text = format!(
        "name = \"x\"\nseed = 1\nstart = \"2026-04-06T09:00:00+09:00\"\n[[dantai]]\ncode = \"{CHIYODA}\"\nresidents = 1\n[chukan]\nteikyou_jogai = \"all\"\n"
    );
    let error = Scenario::from_toml(&text).unwrap_err().to_string();
    assert!(error.contains("teikyou_jogai"), "{error}");
}

#[test]
fn the_api_page_examples_of_the_master_validate() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/chukan-api.md"
    ))
    .unwrap();
    let mut checked = 0;
    for block in page.split("```xml\n").skip(1) {
        let xml = block.split("```").next().unwrap();
        let root = xml
            .lines()
            .nth(1)
            .and_then(|l| l.strip_prefix('<'))
            .and_then(|l| l.split(['>', ' ']).next())
            .unwrap_or("");
        let xsd = match root {
            "提供除外項目マスタ登録要求" => "teikyou-jogai-file.xsd",
            r if r.starts_with("IF_DBM_20115") || r.starts_with("IF_DBM_20116") => "denbun.xsd",
            _ => continue,
        };
        xmllint(xsd, root, xml);
        checked += 1;
    }
    assert_eq!(checked, 4, "the examples of 提供除外項目マスタ");
}
