//! 団体内統合宛名システム (JUK-07): 転入者を住民記録に加え (`jumin_toroku`)、中間サーバーに相互 TLS で
//! 符号取得要求を登録して状況を確かめる (`fugou_shutoku`) ことを、本物のシミュレーターで確かめます。
//! (仕込んだ不具合 tennyu-fugou-skipped は tests/defects.rs が確かめます。)

mod common;

use common::{Tennyu, denbun_count, fugou, scenario, tennyu_setup};
use serde_json::{Value, json};
use std::collections::HashSet;

const TOUROKU: &str = "IF_FGU_10111_R01";
const JOKYO: &str = "IF_FGU_10112_R01";

fn is_uketsuke(u: &Option<String>) -> bool {
    u.as_deref()
        .is_some_and(|u| u.len() == 18 && u.bytes().all(|b| b.is_ascii_digit()))
}

async fn shutoku(t: &Tennyu) -> Value {
    let r = t.vendor.ok("fugou-shutoku", &t.config, json!({})).await;
    r["report"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newcomers_and_everyone_else_get_their_fugou() {
    let t = tennyu_setup(&scenario(61, 300, 0), 61, 300, 10, None).await;

    // reset のあと: 住民記録の全員が未要求
    let before = fugou(&t.vendor).await;
    assert_eq!(before.len(), 290);
    assert!(before.values().all(|(s, u)| s == "未要求" && u.is_none()));

    let r = t
        .vendor
        .ok("jumin-toroku", &t.config, json!({"path": t.tennyu}))
        .await;
    assert_eq!(r["added"], 10, "{r}");
    let added = fugou(&t.vendor).await;
    assert_eq!(added.len(), 300, "転入者も観察に出る");
    for n in &t.newcomers {
        assert_eq!(added[n], ("未要求".to_owned(), None));
    }
    // 転入者は住民記録 (宛名データ) にも加わる
    let (status, j) = t
        .vendor
        .observe(&format!("jumin?juminhyo_code={}", t.newcomer_codes[0]))
        .await;
    assert_eq!(status, 200, "{j}");
    assert_eq!(j["source"], "住民記録");

    let report = shutoku(&t).await;
    assert_eq!(report["requested"], 300, "{report}");
    assert_eq!(report["connections"], 1, "一つの接続で順に送る: {report}");
    assert!(report["stopped"].is_null(), "{report}");

    let after = fugou(&t.vendor).await;
    assert_eq!(after.len(), 300);
    for (tougou, (status, u)) in &after {
        assert_eq!(status, "符号取得済み", "{tougou}");
        assert!(is_uketsuke(u), "{tougou}: 中間サーバー受付番号 {u:?}");
    }
    let numbers: HashSet<_> = after.values().map(|(_, u)| u.clone()).collect();
    assert_eq!(numbers.len(), 300, "受付番号は一人ずつ");
    for n in t.newcomers.iter().chain(&t.initial) {
        assert_eq!(
            denbun_count(&t.sim, TOUROKU, n).await,
            1,
            "{n} の符号取得要求は1度だけ"
        );
    }
    // 中間サーバーの数え方とも合う
    let tenants = t.sim.admin_get("chukan/tenants").await;
    assert_eq!(
        tenants["tenants"][0]["fugou"]["符号取得済み"], 300,
        "{tenants}"
    );

    // 2回目: 取得済みの人には何も送らない
    let report = shutoku(&t).await;
    assert_eq!(
        (report["requested"].as_u64(), report["checked"].as_u64()),
        (Some(0), Some(0)),
        "{report}"
    );
    assert_eq!(fugou(&t.vendor).await, after);
}

/// 発行に営業日がかかるとき: 登録の答えは符号取得中。次の回は状況を聞き (登録し直さない)、
/// 発行の日を過ぎてから聞くと符号取得済みになる。受付番号は登録のときのまま。
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_requests_are_checked_until_issued() {
    let scenario = format!(
        "{}\n[chukan]\nfugou_delay_business_days = 2\n",
        scenario(62, 60, 0)
    );
    let t = tennyu_setup(&scenario, 62, 60, 5, None).await;
    t.vendor
        .ok("jumin-toroku", &t.config, json!({"path": t.tennyu}))
        .await;

    let report = shutoku(&t).await;
    assert_eq!(report["requested"], 60, "{report}");
    let first = fugou(&t.vendor).await;
    assert_eq!(first.len(), 60);
    assert!(
        first
            .values()
            .all(|(s, u)| s == "符号取得中" && is_uketsuke(u)),
        "{first:?}"
    );

    // 同じ日 (月曜): 聞くだけ
    let report = shutoku(&t).await;
    assert_eq!(
        (report["requested"].as_u64(), report["checked"].as_u64()),
        (Some(0), Some(60)),
        "{report}"
    );
    assert_eq!(fugou(&t.vendor).await, first);

    // 2営業日後 (水曜) の 0 時を過ぎた
    t.sim.set_clock("2026-04-08T09:00:00+09:00").await;
    let report = shutoku(&t).await;
    assert_eq!(report["checked"], 60, "{report}");
    let issued = fugou(&t.vendor).await;
    for (tougou, (status, u)) in &issued {
        assert_eq!(status, "符号取得済み", "{tougou}");
        assert_eq!(u, &first[tougou].1, "{tougou}: 受付番号は最後の要求のもの");
    }
    assert_eq!(denbun_count(&t.sim, JOKYO, &t.newcomers[0]).await, 2);
    assert_eq!(denbun_count(&t.sim, TOUROKU, &t.newcomers[0]).await, 1);
}

/// 住基ネットにいない個人番号の転入者は エラー。エラーの後は次の回に登録し直す (新しい受付番号)。
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_is_requested_again_on_the_next_run() {
    let t = tennyu_setup(&scenario(63, 40, 0), 63, 40, 1, None).await;
    // 転入者の番号を、どの団体の住民でもない人のものに変える (個人番号の検査数字は正しい)
    const TOUGOU: &str = "000000100000004";
    let mut reader = csv::Reader::from_path(&t.tennyu).unwrap();
    let headers = reader.headers().unwrap().clone();
    let mut row: Vec<String> = reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    for (name, value) in [
        ("tougou_atena_bango", TOUGOU),
        ("kojin_bango", "983205673214"),
        ("juminhyo_code", "98000000001"),
    ] {
        let i = headers.iter().position(|h| h == name).unwrap();
        row[i] = value.to_owned();
    }
    let stranger = t.sim.dir.path().join("stranger.csv");
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_path(&stranger)
        .unwrap();
    w.write_record(&headers).unwrap();
    w.write_record(&row).unwrap();
    w.flush().unwrap();
    t.vendor
        .ok("jumin-toroku", &t.config, json!({"path": stranger}))
        .await;

    shutoku(&t).await;
    let first = fugou(&t.vendor).await;
    let (status, u1) = &first[TOUGOU];
    assert_eq!(status, "エラー");
    assert!(is_uketsuke(u1));
    assert!(
        first
            .iter()
            .filter(|(k, _)| k.as_str() != TOUGOU)
            .all(|(_, (s, _))| s == "符号取得済み"),
        "ほかの人は取得済み"
    );

    let report = shutoku(&t).await;
    assert_eq!(
        report["requested"], 1,
        "エラーの人だけを登録し直す: {report}"
    );
    let (status, u2) = &fugou(&t.vendor).await[TOUGOU];
    assert_eq!(status, "エラー");
    assert!(
        is_uketsuke(u2) && u2 != u1,
        "新しい要求の受付番号: {u1:?} → {u2:?}"
    );
    assert_eq!(denbun_count(&t.sim, TOUROKU, TOUGOU).await, 2);
}

/// クライアント証明書が失効していると TLS で断られる: その回はやめて 200 で答え、状況は変えない。
/// 証明書を取り直せば、次の回は (ファイルを読み直して) 続きから符号を取得する。
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_certificate_stops_the_run_until_a_new_one_is_fetched() {
    let t = tennyu_setup(&scenario(64, 30, 0), 64, 30, 0, None).await;
    let r = t
        .sim
        .http
        .post(format!(
            "{}/chukan/tenants/{}/revoke",
            t.sim.admin,
            common::KIKAN
        ))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    let report = shutoku(&t).await;
    assert!(report["stopped"].is_string(), "{report}");
    assert!(
        fugou(&t.vendor)
            .await
            .values()
            .all(|(s, u)| s == "未要求" && u.is_none())
    );

    t.sim.fetch_chukan().await;
    let report = shutoku(&t).await;
    assert!(report["stopped"].is_null(), "{report}");
    assert!(
        fugou(&t.vendor)
            .await
            .values()
            .all(|(s, _)| s == "符号取得済み")
    );
}

/// 中間サーバーの設定がなければ符号取得は走れない (SUTエラー)。観察は reset の前でも空で答える。
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_chukan_the_job_fails_and_observation_is_empty() {
    let vendor = common::Vendor::start(None);
    assert!(vendor.items("fugou").await.is_empty());
    let sim = common::Simulator::start(&scenario(65, 20, 0));
    let master = sim.population(20, 65);
    let config = sim.write_config(&master, "csv", common::gyomu_systems(), common::shokuin());
    vendor.ok("reset", &config, json!({})).await;
    assert_eq!(vendor.items("fugou").await.len(), 20);
    let (status, body) = vendor.job("fugou-shutoku", &config, json!({})).await;
    assert_eq!(status, 500, "{body}");
    assert!(body["error"].as_str().unwrap().contains("chukan"));
}
