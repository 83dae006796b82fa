//! 既存業務システム (docs/kizon-gyomu.md): 副本登録の1回と情報照会を、本物のシミュレーター (千代田区と調布市の
//! 2 つのテナント) で確かめます。要件ごとの判定は renkei のシナリオ (`renkei demo --tags @副本登録` など) が
//! 行います。ここでは、ベンダーから見える中間サーバーとのやりとり (添付ファイルつきの電文、処理状況、結果ファイル、
//! 突合用ファイル、一括照会要求ファイル、時間外) が文書どおりに通ることを見ます。

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

struct Kizon {
    sim: Simulator,
    vendor: Vendor,
    config: PathBuf,
    seihon: PathBuf,
    tougou: Vec<String>,
}

/// 千代田区 (自団体) と調布市のテナント、既存業務システムの設定、空の正本。
async fn setup(seed: u64) -> Kizon {
    let scenario = format!(
        "{}\n[[dantai]]\ncode = \"132080\"\nresidents = 20\n\n[chukan]\ntenants = [\"131016\", \"132080\"]\n",
        scenario(seed, 30, 0)
    );
    let sim = Simulator::start(&scenario);
    let master = sim.population(30, seed);
    sim.fetch_chukan().await;
    let config = sim.write_config(&master, "csv", gyomu_systems(), shokuin());
    let seihon = sim.dir.path().join("seihon.json");
    write_seihon(&seihon, &[], &[]);
    let mut c: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    c["chukan"]["daily_caps"] = json!({"records": 2_000_000, "bytes": null});
    c["kizon"] = json!({
        "source_system_id": "KIZON-01",
        "seihon": {"path": seihon, "format": "renkei-seihon/1"},
        "layouts": fixture("layouts.toml"),
        "legal_basis": fixture("legal_basis.toml"),
        "kikan": [{"kikan_code": CHOFU, "dantai": "132080", "name": "調布市"}],
    });
    std::fs::write(&config, serde_json::to_vec_pretty(&c).unwrap()).unwrap();
    let vendor = Vendor::start(None);
    vendor.ok("reset", &config, json!({})).await;
    Kizon {
        tougou: column(&master, "tougou_atena_bango"),
        sim,
        vendor,
        config,
        seihon,
    }
}

/// 地方税関係情報 D0201 の正本のレコード。
fn zei(id: &str, tougou: &str, nenzei: &str) -> Value {
    json!({
        "seihon_id": id, "tougou_atena_bango": tougou, "tokutei": "TM00000000000002",
        "dataset": "D0201", "record_key": "2025", "kokai_bi": "2026-04-01", "kokai_shuryo_bi": null,
        "items": [
            {"name": "課税年度", "value": "2025"}, {"name": "課税区分", "value": "1"},
            {"name": "非課税区分", "null_riyu": "1"}, {"name": "年税額", "value": nenzei},
            {"name": "市区町村民税均等割額", "value": "3500"}, {"name": "市区町村民税所得割額", "value": "70000"},
            {"name": "都道府県民税均等割額", "value": "1500"}, {"name": "都道府県民税所得割額", "value": "48000"},
            {"name": "課税標準額", "value": "700000"}, {"name": "扶養人数", "value": "2"},
            {"name": "扶養親族続柄", "value": "子"}, {"name": "扶養親族続柄", "value": "子"}
        ]
    })
}

fn write_seihon(path: &Path, records: &[Value], fuka: &[(&str, &str)]) {
    let fuka: Vec<Value> = fuka
        .iter()
        .map(|(t, d)| json!({"tokutei": t, "dataset": d}))
        .collect();
    let s = json!({"format": "renkei-seihon/1", "dantai": "131016", "records": records, "jidou_outou_fuka": fuka});
    std::fs::write(path, serde_json::to_vec_pretty(&s).unwrap()).unwrap();
}

async fn touroku(k: &Kizon) -> Value {
    k.vendor.ok("fukuhon-touroku", &k.config, json!({})).await["report"].clone()
}

async fn fukuhon(k: &Kizon) -> Value {
    let (status, body) = k.vendor.observe("fukuhon").await;
    assert_eq!(status, 200, "{body}");
    body
}

fn statuses(f: &Value) -> Vec<(String, String)> {
    f["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["seihon_id"].as_str().unwrap().to_owned(),
                i["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fukuhon_are_registered_updated_deleted_and_reconciled() {
    let k = setup(71).await;
    let records = [
        zei("ZEI-1", &k.tougou[0], "123000"),
        zei("ZEI-2", &k.tougou[1], "45000"),
    ];
    write_seihon(&k.seihon, &records, &[("TM00000000000002", "D0202")]);

    let r = touroku(&k).await;
    assert_eq!(
        (r["files_sent"].as_u64(), r["records_sent"].as_u64()),
        (Some(1), Some(2)),
        "{r}"
    );
    assert_eq!(r["fuka_set"], json!(["TM00000000000002 D0202"]), "{r}");
    let f = fukuhon(&k).await;
    assert_eq!(
        statuses(&f),
        pairs(&[("ZEI-1", "処理待ち"), ("ZEI-2", "処理待ち")])
    );
    assert_eq!(
        (f["machi_kensuu"].as_u64(), f["totsugou"].is_null()),
        (Some(2), true)
    );

    // 夜間バッチ (02:00) のあと: 結果を当て、突合する
    k.sim.set_clock("2026-04-07T09:00:00+09:00").await;
    let r = touroku(&k).await;
    assert_eq!(r["results_applied"], 2, "{r}");
    assert_eq!(r["files_sent"], 0, "{r}");
    let f = fukuhon(&k).await;
    assert_eq!(
        statuses(&f),
        pairs(&[("ZEI-1", "登録済み"), ("ZEI-2", "登録済み")])
    );
    assert_eq!(f["touroku_kensuu"], 2);
    assert_eq!(
        f["totsugou"],
        json!({"kakunin_nichiji": "2026-04-07T09:00:00+09:00", "chukan_kensuu": 2, "jisha_kensuu": 2, "icchi": true})
    );
    assert_eq!(f["items"][0]["major_version"], 1);

    // 正本を直し、1 件消す。自動応答不可もやめる
    write_seihon(&k.seihon, &[zei("ZEI-1", &k.tougou[0], "98765")], &[]);
    let r = touroku(&k).await;
    assert_eq!(
        (r["koushin"].as_u64(), r["sakujo"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(r["fuka_unset"], json!(["TM00000000000002 D0202"]), "{r}");
    let f = fukuhon(&k).await;
    assert_eq!(
        statuses(&f),
        pairs(&[("ZEI-1", "処理待ち"), ("ZEI-2", "削除待ち")])
    );

    k.sim.set_clock("2026-04-08T09:00:00+09:00").await;
    touroku(&k).await;
    let f = fukuhon(&k).await;
    assert_eq!(
        statuses(&f),
        pairs(&[("ZEI-1", "登録済み"), ("ZEI-2", "削除済み")])
    );
    assert_eq!(
        (f["touroku_kensuu"].as_u64(), f["error_kensuu"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(f["totsugou"]["chukan_kensuu"], 1);
    assert_eq!(
        denbun_count(&k.sim, "IF_DBM_20113_R01", "FI_DBM_0001").await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shoukai_checks_the_legal_basis_the_fugou_and_the_hours() {
    let k = setup(72).await;
    let irai = |id: &str, tougou: &str, tokutei: &str| {
        json!({"irai_id": id, "tougou_atena_bango": tougou, "jimu": "JM00000000000074",
               "jimu_tetsuzuki": "JT00000000007401", "tokutei": tokutei, "teikyousha": CHOFU,
               "jouken": {"nendo": "2025"}})
    };
    // 一括: 法令根拠のある Q1 と、ない Q2
    let r = k
        .vendor
        .ok(
            "shoukai",
            &k.config,
            json!({"houshiki": "一括", "irai": [irai("Q1", &k.tougou[0], "TM00000000000002"),
                                                irai("Q2", &k.tougou[0], "TM00000000000031")]}),
        )
        .await;
    assert_eq!(
        (
            r["report"]["sent"].as_u64(),
            r["report"]["shoukai_fuka"].as_u64()
        ),
        (Some(1), Some(1)),
        "{r}"
    );
    let items = k.vendor.items("shoukai").await;
    assert_eq!(items[0]["status"], "処理待ち", "{items:?}");
    assert_eq!(items[0]["shori_tsuuban"].as_str().map(str::len), Some(16));
    assert_eq!(
        (
            items[1]["status"].as_str(),
            items[1]["reason"].as_str(),
            items[1]["shori_tsuuban"].is_null()
        ),
        (Some("照会不可"), Some("法令根拠なし"), true)
    );
    assert_eq!(
        denbun_count(&k.sim, "IF_SKI_10723_R01", "FI_SKI_0001").await,
        1
    );
    // 本人の符号は、既存業務システムが団体内統合宛名システムの個人番号で取った
    assert_eq!(
        denbun_count(&k.sim, "IF_FGU_10111_R01", &k.tougou[0]).await,
        1
    );

    // 明細が送られたあと: 調布市は本人の符号を持たないので、照会はエラーで終わる
    k.sim.set_clock("2026-04-06T09:05:00+09:00").await;
    k.vendor.ok("shoukai-kekka", &k.config, json!({})).await;
    let items = k.vendor.items("shoukai").await;
    assert_eq!(items[0]["status"], "エラー", "{items:?}");
    assert!(
        items[0]["error"]["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("SK")),
        "{items:?}"
    );
    assert!(items[0]["kekka"].is_null());

    // 平日 21:30 (停止時間帯) の単件照会は送らずに待たせ、翌朝に出す
    k.sim.set_clock("2026-04-07T21:30:00+09:00").await;
    k.vendor
        .ok(
            "shoukai",
            &k.config,
            json!({"houshiki": "単件", "irai": [irai("Q3", &k.tougou[1], "TM00000000000002")]}),
        )
        .await;
    let q3 = |items: &[Value]| {
        items
            .iter()
            .find(|i| i["irai_id"] == "Q3")
            .cloned()
            .unwrap()
    };
    assert_eq!(q3(&k.vendor.items("shoukai").await)["status"], "送信待ち");
    assert_eq!(
        denbun_count(&k.sim, "IF_SKI_10711_R01", &k.tougou[1]).await,
        0
    );
    k.sim.set_clock("2026-04-08T09:00:00+09:00").await;
    k.vendor.ok("shoukai-kekka", &k.config, json!({})).await;
    assert_eq!(
        denbun_count(&k.sim, "IF_SKI_10711_R01", &k.tougou[1]).await,
        1
    );
    let q3 = q3(&k.vendor.items("shoukai").await);
    assert_ne!(q3["status"], "送信待ち", "{q3}");

    // 取りやめ: 答えの出た照会は取りやめない。知らない依頼は報告に書くだけ
    let r = k
        .vendor
        .ok("toriyame", &k.config, json!({"irai_id": "Q1"}))
        .await;
    assert_eq!(r["report"]["toriyame"], 0, "{r}");
    let r = k
        .vendor
        .ok("toriyame", &k.config, json!({"irai_id": "nai"}))
        .await;
    assert!(
        r["report"]["notes"][0].as_str().unwrap().contains("nai"),
        "{r}"
    );
    // 記録・通知・機関間テストの観察は空でも形どおり
    assert!(k.vendor.items("kikan_test").await.is_empty());
    k.vendor.ok("kiroku", &k.config, json!({})).await;
    k.vendor.ok("teikyou", &k.config, json!({})).await;
    let (status, _) = k.vendor.observe("kiroku").await;
    assert_eq!(status, 200);
    assert!(k.vendor.items("teikyou").await.is_empty());

    // 問合せ資料: 知らない依頼は何もせずに 2xx、観察は 404。エラーで終わった Q1 の資料には、エラーと、符号の
    // 確認・取得の電文 (個人番号つき) があり、個人を識別できる値は同じ文字数の * になっている
    let r = k
        .vendor
        .ok("toiawase", &k.config, json!({"irai_id": "nai"}))
        .await;
    assert_eq!(r["report"]["tsukutta"], false, "{r}");
    assert_eq!(k.vendor.observe("toiawase?irai_id=nai").await.0, 404);
    assert_eq!(k.vendor.observe("toiawase?irai_id=Q1").await.0, 404);
    k.vendor
        .ok("toiawase", &k.config, json!({"irai_id": "Q1"}))
        .await;
    let (status, t) = k.vendor.observe("toiawase?irai_id=Q1").await;
    assert_eq!(status, 200, "{t}");
    let q1 = k.vendor.items("shoukai").await[0].clone();
    assert_eq!(t["error"], q1["error"], "{t}");
    assert!(t["hassei_nichiji"].is_string(), "{t}");
    let text = t.to_string();
    assert!(!text.contains(k.tougou[0].as_str()), "{text}");
    assert!(text.contains("<個人番号>************</個人番号>"), "{text}");
    assert!(
        text.contains("<団体内統合宛名番号>***************</団体内統合宛名番号>"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_refused_without_touching_the_chukan() {
    let k = setup(73).await;
    let (status, body) = k
        .vendor
        .job("shoukai", &k.config, json!({"irai": [{"irai_id": "Q1"}]}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = k
        .vendor
        .job("shoukai", &k.config, json!({"houshiki": "束", "irai": []}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = k.vendor.job("kikan-test", &k.config, json!({})).await;
    assert_eq!(status, 400);
    let (status, _) = k.vendor.job("toriyame", &k.config, json!({})).await;
    assert_eq!(status, 400);
    let (status, _) = k.vendor.job("toiawase", &k.config, json!({})).await;
    assert_eq!(status, 400);
    for bad in [
        json!({"jiyuu": "照会先の誤り"}),
        json!({"shori_tsuuban": "2026040700000001", "jiyuu": 5}),
        json!({"shori_tsuuban": "2026040700000001", "fukaiji": "yes"}),
    ] {
        let (status, body) = k.vendor.job("kiroku-henkou", &k.config, bad).await;
        assert_eq!(status, 400, "{body}");
    }
    // 変えるものがない、知らない処理通番: 何もせずに 2xx
    let r = k
        .vendor
        .ok(
            "kiroku-henkou",
            &k.config,
            json!({"shori_tsuuban": "2026040799999999", "jiyuu": null, "fukaiji": null}),
        )
        .await;
    assert_eq!(r["report"]["henkou"], 0, "{r}");
    let r = k
        .vendor
        .ok(
            "kiroku-henkou",
            &k.config,
            json!({"shori_tsuuban": "2026040799999999", "jiyuu": "照会先の誤り", "fukaiji": true}),
        )
        .await;
    assert_eq!(
        (
            r["report"]["henkou"].as_u64(),
            r["report"]["machi"].as_u64()
        ),
        (Some(0), Some(0)),
        "{r}"
    );
    assert!(
        r["report"]["notes"][0]
            .as_str()
            .unwrap()
            .contains("2026040799999999"),
        "{r}"
    );
    assert!(k.sim.chukan_journal().await.iter().all(|e| {
        let route = e["route"].as_str().unwrap_or_default();
        !route.contains("IF_SKI") && !route.contains("IF_TKM_10912")
    }));
}
