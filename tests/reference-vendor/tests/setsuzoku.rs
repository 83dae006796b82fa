//! 接続確認 (docs/kizon-gyomu.md「接続確認」「接続先の切替」): `setsuzoku_kakunin` の記録、機関間テストに入る
//! 条件 (最後の接続確認が、いまの設定の接続先で成功していること)、設定ファイルをジョブのたびに読み直すこと
//! を、本物のシミュレーター (千代田区と調布市のテナント) で確かめます。

mod common;

use common::{Simulator, Vendor, column, denbun_count, gyomu_systems, scenario, shokuin};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const CHOFU: &str = "9913208000000000";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/data")
        .join(name)
}

/// 千代田区 (自団体) と調布市のテナント、既存業務システムの設定 (空の正本)、reset したベンダー。
async fn setup(seed: u64, defect: Option<&str>) -> (Simulator, Vendor, PathBuf, Vec<String>) {
    let scenario = format!(
        "{}\n[[dantai]]\ncode = \"132080\"\nresidents = 20\n\n[chukan]\ntenants = [\"131016\", \"132080\"]\n",
        scenario(seed, 30, 0)
    );
    let sim = Simulator::start(&scenario);
    let master = sim.population(30, seed);
    sim.fetch_chukan().await;
    let config = sim.write_config(&master, "csv", gyomu_systems(), shokuin());
    let seihon = sim.dir.path().join("seihon.json");
    std::fs::write(
        &seihon,
        serde_json::to_vec(&json!({"format": "renkei-seihon/1", "dantai": "131016",
                                   "records": [], "jidou_outou_fuka": []}))
        .unwrap(),
    )
    .unwrap();
    let mut c: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    c["kizon"] = json!({
        "source_system_id": "KIZON-01",
        "seihon": {"path": seihon, "format": "renkei-seihon/1"},
        "layouts": fixture("layouts.toml"),
        "legal_basis": fixture("legal_basis.toml"),
        "kikan": [{"kikan_code": CHOFU, "dantai": "132080", "name": "調布市"}],
    });
    std::fs::write(&config, serde_json::to_vec_pretty(&c).unwrap()).unwrap();
    let vendor = Vendor::start(defect);
    vendor.ok("reset", &config, json!({})).await;
    let tougou = column(&master, "tougou_atena_bango");
    (sim, vendor, config, tougou)
}

/// 設定ファイルの `chukan.base_url` を同じパスのまま書き換えます (renkei の移行リハーサルと同じ)。
fn set_base_url(config: &Path, base_url: &str) -> String {
    let mut c: Value = serde_json::from_slice(&std::fs::read(config).unwrap()).unwrap();
    let old = c["chukan"]["base_url"].as_str().unwrap().to_owned();
    c["chukan"]["base_url"] = json!(base_url);
    std::fs::write(config, serde_json::to_vec_pretty(&c).unwrap()).unwrap();
    old
}

fn plan(tougou: &str) -> Value {
    json!({"plan": [{"test_id": "T1", "aite": CHOFU, "tokutei": "TM00000000000002",
                     "jimu": "JM00000000000074", "jimu_tetsuzuki": "JT00000000007401",
                     "tougou_atena_bango": tougou, "jouken": {"nendo": "2025"}}]})
}

async fn row(vendor: &Vendor) -> Value {
    let items = vendor.items("kikan_test").await;
    assert_eq!(items.len(), 1, "{items:?}");
    items[0].clone()
}

#[tokio::test]
async fn the_kikan_test_waits_for_a_check_that_succeeded_on_the_connection_in_force() {
    let (sim, vendor, config, tougou) = setup(81, None).await;

    // 確かめる前: 照会を出さず、行を未実施と記録する
    vendor.ok("kikan-test", &config, plan(&tougou[0])).await;
    let r = row(&vendor).await;
    assert_eq!(
        (r["kekka"].as_str(), r["error"]["code"].as_str()),
        (Some("未実施"), Some("接続未確認")),
        "{r}"
    );
    assert_eq!(denbun_count(&sim, "IF_SKI_10711_R01", "").await, 0);
    assert!(vendor.items("setsuzoku").await.is_empty());

    // 接続確認: IF_OSR_10611_R01 が中間サーバーに届き、成功と記録する
    vendor.ok("setsuzoku-kakunin", &config, json!({})).await;
    assert_eq!(denbun_count(&sim, "IF_OSR_10611_R01", "").await, 1);
    let checks = vendor.items("setsuzoku").await;
    let base_url = checks[0]["base_url"].as_str().unwrap().to_owned();
    assert_eq!(
        (checks[0]["kekka"].as_str(), checks[0]["error"].is_null()),
        (Some("成功"), true),
        "{checks:?}"
    );

    // 接続先が変わった (つながらない所へ): 設定を読み直してそこを確かめ、失敗と記録する
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    set_base_url(&config, &format!("https://{closed}"));
    vendor.ok("setsuzoku-kakunin", &config, json!({})).await;
    let checks = vendor.items("setsuzoku").await;
    assert_eq!(checks.len(), 2, "{checks:?}");
    assert_eq!(
        (
            checks[1]["kekka"].as_str(),
            checks[1]["error"]["code"].as_str(),
            checks[1]["base_url"].as_str()
        ),
        (
            Some("失敗"),
            Some("接続失敗"),
            Some(format!("https://{closed}").as_str())
        ),
        "{checks:?}"
    );
    vendor.ok("kikan-test", &config, plan(&tougou[0])).await;
    assert_eq!(row(&vendor).await["kekka"], "未実施");

    // 元の接続先に戻して確かめ直す: 確かめるまでは出さず、確かめたら出す
    set_base_url(&config, &base_url);
    vendor.ok("kikan-test", &config, plan(&tougou[0])).await;
    assert_eq!(denbun_count(&sim, "IF_SKI_10711_R01", "").await, 0);
    vendor.ok("setsuzoku-kakunin", &config, json!({})).await;
    vendor.ok("kikan-test", &config, plan(&tougou[0])).await;
    assert_eq!(denbun_count(&sim, "IF_SKI_10711_R01", "").await, 1);
    // 調布市は本人の符号を持たないので、照会は中間サーバーに断られる (出したうえでの失敗)
    let r = row(&vendor).await;
    assert_eq!(
        (r["kekka"].as_str(), r["error"]["code"].as_str()),
        (Some("失敗"), Some("SK23")),
        "{r}"
    );
}

#[tokio::test]
async fn the_old_address_kept_defect_does_not_read_the_config_again() {
    let (_sim, vendor, config, _) = setup(82, Some("old-address-kept")).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let base_url = set_base_url(&config, &format!("https://{closed}"));
    vendor.ok("setsuzoku-kakunin", &config, json!({})).await;
    let checks = vendor.items("setsuzoku").await;
    assert_eq!(
        (checks[0]["kekka"].as_str(), checks[0]["base_url"].as_str()),
        (Some("成功"), Some(base_url.as_str())),
        "{checks:?}"
    );
}
