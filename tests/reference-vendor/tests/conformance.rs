//! 適合する参照ベンダーを本物のシミュレーターにつなぎ、ベンダーから見えるものを確かめます。

mod common;

use common::setup;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

fn by_uketsuke(items: &[Value]) -> HashMap<String, Value> {
    items
        .iter()
        .map(|i| (i["uketsuke_bango"].as_str().unwrap().to_owned(), i.clone()))
        .collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scripted_variant_is_taken_in_as_documented() {
    let (sim, vendor, config) = setup(11, 300, 120, "csv", None).await;
    vendor.ok("juki-renkei", &config, json!({})).await;
    vendor.ok("torikomi", &config, json!({})).await;

    let states = sim.shinsei_states().await;
    let shinsei = by_uketsuke(&vendor.items("shinsei").await);
    let tsuchi = vendor.items("tsuchi").await;
    let mut seen_variants = HashSet::new();
    for (u, variant, shutoku, shori) in &states {
        seen_variants.insert(variant.clone());
        let broken = variant == "truncated_zip" || variant == "corrupt_zip";
        if broken {
            assert!(!shinsei.contains_key(u), "壊れた申請 {u} は保管しない");
            assert_eq!(
                shutoku, "未取得",
                "壊れた申請 {u} は取得済みにしない (ING-09)"
            );
            assert!(
                tsuchi.iter().any(|t| t["uketsuke_bango"] == u.as_str()
                    && t["title"] == "障害発生"
                    && t["level"] == "エラー"),
                "壊れた申請 {u} で障害発生"
            );
            continue;
        }
        let item = shinsei
            .get(u)
            .unwrap_or_else(|| panic!("{variant} の申請 {u} を保管していない"));
        // 2度届く申請は、取得済みにしたあと未取得としてもう一度届いています。
        if variant != "duplicate" {
            assert_eq!(shutoku, "取得済み", "{u}");
        }
        assert_eq!(shori, "受付済み", "{u} の受付済みを報告する (ING-17)");
        assert_eq!(s(&item["shinsa_status"]), "未審査");
        let kensho = s(&item["kensho_kekka"]);
        let method = s(&item["applicant"]["method"]);
        match variant.as_str() {
            "tampered" => assert_eq!(kensho, "改ざん検知", "{u}"),
            "revoked_certificate" => assert_eq!(kensho, "証明書失効", "{u}"),
            "expired_certificate" => assert_eq!(kensho, "証明書期限切れ", "{u}"),
            "unknown_serial" => {
                assert_eq!(kensho, "検証済み", "{u}");
                assert_eq!(
                    method, "基本4情報",
                    "{u}: 紐付けにないシリアル番号は基本4情報で (ING-12)"
                );
            }
            // 表記が違ってもシリアル番号で (ING-10)。受付のあとで失効した証明書なら紐付けはもうなく、
            // 表記の違う基本4情報では特定しません (ING-13)。
            "kihon4_mismatch" if kensho == "検証済み" => {
                assert_eq!(method, "シリアル番号", "{u}")
            }
            "kihon4_mismatch" => assert_eq!(method, "未特定", "{u}: {kensho}"),
            "unidentifiable" | "unidentifiable_lookalike" => {
                assert_eq!(method, "未特定", "{u}: 推測で埋めない (ING-13)");
                assert!(item["applicant"]["atena_bango"].is_null());
            }
            // 添付書類の差し替えは改ざん (ING-07b)。署名者の証明書がそのあと失効していれば、先に失効が見つかります。
            "swapped_attachment" => assert!(
                kensho == "改ざん検知" || kensho == "証明書失効",
                "{u}: {kensho}"
            ),
            // valid と duplicate は、受付のあとで (更新・転居で) 失効した証明書なら失効になります。
            _ => assert!(
                kensho == "検証済み" || kensho == "証明書失効",
                "{u}: {kensho}"
            ),
        }
        if kensho == "検証済み"
            && ![
                "unknown_serial",
                "unidentifiable",
                "unidentifiable_lookalike",
            ]
            .contains(&variant.as_str())
        {
            assert_eq!(method, "シリアル番号", "{variant} {u}");
        }
        if method != "未特定" {
            assert!(
                item["applicant"]["atena_bango"]
                    .as_str()
                    .is_some_and(|a| a.len() == 15)
            );
            assert!(
                item["applicant"]["tougou_atena_bango"]
                    .as_str()
                    .is_some_and(|a| a.len() == 15)
            );
        }
        // すべてのファイルを保管した (ING-05): 構成管理情報と申請書と添付書類
        let paths: Vec<&str> = item["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| s(&f["path"]))
            .collect();
        for needed in [
            "kousei_kanri.xml",
            "shinseisho.xml",
            "shinseisho.pdf",
            "shomei_kensho_kekka.xml",
        ] {
            assert!(paths.contains(&needed), "{u}: {needed}");
        }
        // 通知は1件だけ、検証結果に応じたもの
        let mine: Vec<&Value> = tsuchi
            .iter()
            .filter(|t| t["uketsuke_bango"] == u.as_str())
            .collect();
        let expected = match kensho {
            "検証済み" => "申請ZIP取得",
            "改ざん検知" => "申請ZIP改ざん検知",
            _ => "申請ZIP検証失敗",
        };
        assert_eq!(mine.len(), 1, "{u}: {mine:?}");
        assert_eq!(s(&mine[0]["title"]), expected, "{u}");
    }
    for v in [
        "valid",
        "tampered",
        "revoked_certificate",
        "expired_certificate",
        "unknown_serial",
        "kihon4_mismatch",
        "unidentifiable",
        "duplicate",
        "edge_characters",
        "truncated_zip",
        "corrupt_zip",
    ] {
        assert!(
            seen_variants.contains(v),
            "シナリオに {v} がない (試験のシナリオを直す)"
        );
    }
    // 添付書類も保管している
    assert!(shinsei.values().any(|i| {
        i["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| s(&f["path"]).starts_with("tenpu/"))
    }));

    // ダウンロード API への要求はどれも連携サーバ経由 (ING-01)
    let journal = sim.pittari_journal().await;
    assert!(!journal.is_empty());
    for e in &journal {
        assert!(
            !e["caller"]["proxy_hop"].is_null(),
            "連携サーバを通っていない要求: {} {}",
            e["method"],
            e["route"]
        );
    }
    // 保管してから取得済みにした (ING-03): どの取得済み登録の前にも、その申請のダウンロードがある
    let mut downloaded = HashSet::new();
    for e in &journal {
        let route = s(&e["route"]);
        if let Some(rest) = route.strip_prefix("/pittari/v1/shinsei/") {
            let u = rest.split('/').next().unwrap().to_owned();
            if e["method"] == "GET" && !rest.contains('/') && e["status"] == 200 {
                downloaded.insert(u);
            } else if e["method"] == "POST" && rest.ends_with("/shutoku") {
                assert!(
                    downloaded.contains(&u),
                    "{u} をダウンロードする前に取得済みにした"
                );
            }
        }
    }

    // 2度目の回: 2度届いた申請を1件のまま、通知も増やさない (ING-04)。壊れた申請はやり直す (ING-09b)。
    let before = tsuchi.len();
    let report = vendor.ok("torikomi", &config, json!({})).await;
    assert!(
        report["report"]["redelivered"].as_u64().unwrap() > 0,
        "{report}"
    );
    let again = vendor.items("shinsei").await;
    assert_eq!(again.len(), shinsei.len());
    assert_eq!(
        vendor.items("tsuchi").await.len(),
        before,
        "同じ通知を2度上げない"
    );
    let broken: Vec<&String> = states
        .iter()
        .filter(|s| s.1.ends_with("_zip"))
        .map(|s| &s.0)
        .collect();
    let journal = sim.pittari_journal().await;
    for u in broken {
        let tries = journal
            .iter()
            .filter(|e| {
                e["method"] == "GET" && e["route"] == format!("/pittari/v1/shinsei/{u}").as_str()
            })
            .count();
        assert_eq!(tries, 2, "{u} を次の回にもう一度取りに行く");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn characters_are_kept_exactly_as_received() {
    let (sim, vendor, config) = setup(11, 300, 120, "csv", None).await;
    vendor.ok("juki-renkei", &config, json!({})).await;
    vendor.ok("torikomi", &config, json!({})).await;
    let master = common::residents(&sim.dir.path().join("population/residents.csv"));
    let states = sim.shinsei_states().await;
    let shinsei = by_uketsuke(&vendor.items("shinsei").await);
    let mut checked = 0;
    for (u, variant, _, _) in &states {
        if variant != "edge_characters" {
            continue;
        }
        let item = &shinsei[u];
        let atena = s(&item["applicant"]["atena_bango"]);
        let person = master
            .values()
            .find(|r| r["atena_bango"] == atena)
            .expect("特定した住民");
        // 証明書の基本4情報は住民票のとおり: 𠮷・髙・﨑・外字・〜・～ を一字も変えない (ING-20)
        assert_eq!(s(&item["kihon4"]["shimei"]), person["shimei"], "{u}");
        assert_eq!(s(&item["kihon4"]["jusho"]), person["jusho"], "{u}");
        checked += 1;
    }
    assert!(checked > 0);
    let all: String = shinsei.values().map(|i| i.to_string()).collect();
    let special = |c: char| {
        matches!(c, '𠮷' | '髙' | '﨑' | '〜' | '～')
            || ('\u{FF61}'..='\u{FF9F}').contains(&c)
            || ('\u{E000}'..='\u{F8FF}').contains(&c)
    };
    assert!(
        all.chars().any(special),
        "外字などを含む申請がシナリオにある"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_routing_reporting_and_ikkatsu() {
    let (sim, vendor, config) = setup(11, 300, 120, "csv", None).await;
    vendor.ok("juki-renkei", &config, json!({})).await;
    vendor.ok("torikomi", &config, json!({})).await;
    let items = vendor.items("shinsei").await;

    // 振分け (ING-18): 子育ては児童手当システムへ、介護は介護保険システムへ、被災者支援はどこへも
    for i in &items {
        let t = s(&i["tetsuzuki"]);
        let expected = if t.starts_with("kosodate") {
            Value::from("児童手当システム")
        } else if t.starts_with("kaigo") {
            Value::from("介護保険システム")
        } else {
            Value::Null
        };
        assert_eq!(i["gyomu_system"], expected, "{t}");
    }

    // 審査 (ING-14): 許されない遷移は 409 で断り、何も変えない
    let first = s(&items[0]["uketsuke_bango"]).to_owned();
    let shinsa = |u: &str, status: &str, shokuin: &str| json!({"uketsuke_bango": u, "shinsa_status": status, "shokuin": shokuin});
    assert_eq!(
        vendor
            .job("shinsa", &config, shinsa(&first, "審査完了", "shinsa01"))
            .await
            .0,
        409
    );
    assert_eq!(
        vendor
            .job("shinsa", &config, shinsa(&first, "未審査", "shinsa01"))
            .await
            .0,
        409
    );
    assert_eq!(
        vendor
            .job(
                "shinsa",
                &config,
                shinsa("999999999999999", "審査中", "shinsa01")
            )
            .await
            .0,
        409
    );
    // 割り当てのない職員 (ING-21)
    let kaigo = items
        .iter()
        .find(|i| s(&i["tetsuzuki"]).starts_with("kaigo"))
        .expect("介護の申請");
    let kaigo_u = s(&kaigo["uketsuke_bango"]).to_owned();
    assert_eq!(
        vendor
            .job("shinsa", &config, shinsa(&kaigo_u, "審査中", "kosodate01"))
            .await
            .0,
        409
    );
    let visible = vendor.items("shinsei?shokuin=kosodate01").await;
    assert!(
        visible
            .iter()
            .all(|i| ["kosodate-01", "kosodate-10"].contains(&s(&i["tetsuzuki"])))
    );

    // 振り分けたすべての申請を 審査中 → 審査完了 にし、報告を確かめる (ING-17)
    let routed: Vec<&Value> = items
        .iter()
        .filter(|i| !i["gyomu_system"].is_null())
        .collect();
    for i in &routed {
        let u = s(&i["uketsuke_bango"]);
        vendor
            .ok("shinsa", &config, shinsa(u, "審査中", "shinsa01"))
            .await;
        vendor
            .ok("shinsa", &config, shinsa(u, "審査完了", "shinsa01"))
            .await;
    }
    assert_eq!(
        vendor
            .job("shinsa", &config, shinsa(&first, "却下", "shinsa01"))
            .await
            .0,
        409,
        "審査完了は最後の状態"
    );
    let states: HashMap<String, String> = sim
        .shinsei_states()
        .await
        .into_iter()
        .map(|s| (s.0, s.3))
        .collect();
    for i in &routed {
        assert_eq!(states[s(&i["uketsuke_bango"])], "審査完了");
    }

    // 一括取込 (ING-15、16): 審査完了を整合性チェックにかけ、通らないものは理由とともに
    let mut koushin = 0;
    for (name, key) in [
        ("児童手当システム", "tougou_atena_bango"),
        ("介護保険システム", "atena_bango"),
    ] {
        let (status, out) = vendor
            .observe(&format!("ikkatsu?gyomu={}", common_encode(name)))
            .await;
        assert_eq!(status, 200);
        let by_u = by_uketsuke(&items);
        for k in out["koushin"].as_array().unwrap() {
            let item = &by_u[s(&k["uketsuke_bango"])];
            assert_eq!(k["shikibetsu_bango"], item["applicant"][key], "ING-11");
            assert_eq!(s(&item["kensho_kekka"]), "検証済み");
            koushin += 1;
        }
        for e in out["errors"].as_array().unwrap() {
            let item = &by_u[s(&e["uketsuke_bango"])];
            let reason = s(&e["reason"]);
            assert_ne!(
                reason, "様式不正",
                "シミュレーターの様式の値を不正と判定した: {}",
                item["form"]
            );
            if reason == "申請者未特定" {
                assert_eq!(s(&item["applicant"]["method"]), "未特定");
            } else {
                assert_eq!(reason, "検証失敗");
                assert_ne!(s(&item["kensho_kekka"]), "検証済み");
            }
        }
    }
    assert!(koushin > 0);
    assert_eq!(vendor.observe("ikkatsu?gyomu=no-such").await.0, 404);
}

fn common_encode(s: &str) -> String {
    renkei_reference_vendor::pittari::percent_encode(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_filters_and_their_bounds() {
    let (_sim, vendor, config) = setup(11, 300, 120, "csv", None).await;
    vendor.ok("juki-renkei", &config, json!({})).await;
    vendor.ok("torikomi", &config, json!({})).await;
    let all = vendor.items("shinsei").await;
    let day = s(&all[all.len() / 2]["shinsei_nichiji"])[..10].to_owned();
    let on_day = |i: &&Value| s(&i["shinsei_nichiji"]).starts_with(&day);
    let expected = all.iter().filter(on_day).count();
    assert!(expected > 0);
    let got = vendor.items(&format!("shinsei?from={day}&to={day}")).await;
    assert_eq!(got.len(), expected, "from と to はその日を含む (ING-19)");
    let kaigo = vendor
        .items(&format!("shinsei?category={}", common_encode("介護")))
        .await;
    assert!(!kaigo.is_empty() && kaigo.iter().all(|i| i["category"] == "介護"));
    let u = s(&all[0]["uketsuke_bango"]);
    assert_eq!(
        vendor
            .items(&format!("shinsei?uketsuke_bango={u}"))
            .await
            .len(),
        1
    );
    let kana = all.iter().find_map(|i| i["shimei_kana"].as_str()).unwrap();
    let part: String = kana.chars().take(2).collect();
    let found = vendor
        .items(&format!("shinsei?shimei_kana={}", common_encode(&part)))
        .await;
    assert!(!found.is_empty() && found.iter().all(|i| s(&i["shimei_kana"]).contains(&part)));
    let tampered = vendor
        .items(&format!(
            "shinsei?kensho_kekka={}",
            common_encode("改ざん検知")
        ))
        .await;
    assert!(!tampered.is_empty() && tampered.iter().all(|i| i["kensho_kekka"] == "改ざん検知"));
    assert_eq!(vendor.observe("shinsei?from=yesterday").await.0, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_service_hours_and_token_expiry() {
    let (sim, vendor, config) = setup(12, 200, 30, "csv", None).await;
    vendor.ok("juki-renkei", &config, json!({})).await;
    let states = sim.shinsei_states().await;
    let good: Vec<&String> = states
        .iter()
        .filter(|s| s.1 == "valid")
        .map(|s| &s.0)
        .collect();
    sim.fault(json!({"kind": "server_error", "route": "download", "uketsuke_bango": good[0]}))
        .await;
    sim.fault(json!({"kind": "drop_connection", "route": "download", "uketsuke_bango": good[1]}))
        .await;
    vendor.ok("torikomi", &config, json!({})).await;
    let shinsei = by_uketsuke(&vendor.items("shinsei").await);
    let tsuchi = vendor.items("tsuchi").await;
    for u in [good[0], good[1]] {
        assert!(!shinsei.contains_key(u), "{u} は取れなかった");
        assert!(
            tsuchi
                .iter()
                .any(|t| t["uketsuke_bango"] == u.as_str() && t["title"] == "障害発生"),
            "{u}"
        );
    }
    assert!(shinsei.contains_key(good[2]), "ほかの申請は続ける");

    // サービス提供時間外: 障害にせず黙ってやめる (ING-22)
    sim.set_clock("2026-04-06T23:30:00+09:00").await;
    let before = tsuchi.len();
    let r = vendor.ok("torikomi", &config, json!({})).await;
    assert!(!r["report"]["stopped"].is_null(), "{r}");
    assert_eq!(
        vendor.items("tsuchi").await.len(),
        before,
        "時間外は障害発生ではない"
    );

    // 翌朝: トークンは切れている (30分) ので、ログインし直して続ける (ING-23、ING-09b)
    sim.set_clock("2026-04-07T07:00:00+09:00").await;
    vendor.ok("torikomi", &config, json!({})).await;
    let shinsei = by_uketsuke(&vendor.items("shinsei").await);
    assert!(
        shinsei.contains_key(good[0]) && shinsei.contains_key(good[1]),
        "やり直して取り込んだ"
    );
    let logins = sim
        .pittari_journal()
        .await
        .iter()
        .filter(|e| e["route"] == "/pittari/v1/login" && e["status"] == 200)
        .count();
    assert!(logins >= 2, "ログインし直した");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn juki_links_in_the_fixed_form_restore_every_character() {
    let (sim, vendor, config) = setup(13, 300, 0, "fixed", None).await;
    let r = vendor.ok("juki-renkei", &config, json!({})).await;
    assert_eq!(r["last_file"]["file_id"], "JS01");
    let (_, himoduke) = vendor.observe("himoduke").await;
    let certs =
        std::fs::read_to_string(sim.dir.path().join("population/certificates.csv")).unwrap();
    let mut expected: Vec<String> = certs
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",有効"))
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    expected.sort();
    let mut got: Vec<String> = himoduke["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(&i["serial"]).to_owned())
        .collect();
    got.sort();
    assert_eq!(got, expected, "いま有効な紐付けだけ (JUK-01〜03)");
    assert_eq!(himoduke["unresolved"].as_array().unwrap().len(), 0);

    // 2回目は差分 (JS02)
    sim.set_clock("2026-04-06T12:00:00+09:00").await;
    let r = vendor.ok("juki-renkei", &config, json!({})).await;
    assert_eq!(r["last_file"]["file_id"], "JS02");
    assert_eq!(r["last_file"]["created_at"], "2026-04-06T12:00:00+09:00");

    // 本人確認情報 (固定長 + 外字例外ファイル) で、外字を含む住民の基本4情報を元どおりに (JUK-06)
    let master = common::residents(&sim.dir.path().join("population/residents.csv"));
    let jsonl = std::fs::read_to_string(sim.dir.path().join("population/residents.jsonl")).unwrap();
    let edge: Vec<String> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| !r["edge_cases"].as_array().unwrap().is_empty())
        .map(|r| s(&r["juminhyo_code"]).to_owned())
        .collect();
    assert!(edge.len() > 5);
    vendor
        .ok("honnin-kakunin", &config, json!({"juminhyo_codes": edge}))
        .await;
    for code in &edge {
        let (status, j) = vendor.observe(&format!("jumin?juminhyo_code={code}")).await;
        assert_eq!(status, 200);
        let m = &master[code];
        assert_eq!(s(&j["source"]), "住基ネットCS");
        assert_eq!(s(&j["shimei"]), m["shimei"], "{code}");
        assert_eq!(s(&j["jusho"]), m["jusho"], "{code}");
        assert_eq!(
            j["shimei_kana"].as_str().unwrap_or(""),
            m["shimei_kana"],
            "{code}"
        );
        assert_eq!(s(&j["seibetsu"]), m["seibetsu"], "{code}");
        assert_eq!(s(&j["seinengappi"]), m["seinengappi"], "{code}");
        assert_eq!(s(&j["atena_bango"]), m["atena_bango"], "{code}");
    }
    assert_eq!(
        vendor.observe("jumin?juminhyo_code=99999999999").await.0,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_forgets_everything() {
    let (_sim, vendor, config) = setup(14, 100, 10, "csv", None).await;
    vendor.ok("juki-renkei", &config, json!({})).await;
    vendor.ok("torikomi", &config, json!({})).await;
    assert!(!vendor.items("shinsei").await.is_empty());
    vendor.ok("reset", &config, json!({})).await;
    assert!(vendor.items("shinsei").await.is_empty());
    assert!(vendor.items("tsuchi").await.is_empty());
    let (_, h) = vendor.observe("himoduke").await;
    assert!(h["items"].as_array().unwrap().is_empty() && h["last_file"].is_null());
}

/// 紐付けがない (証明書情報連携の前の) ときは基本4情報だけが頼りです。表記の違う基本4情報
/// (全角数字の住所、半角空白の氏名) を推測で埋めず、未特定のままにします (ING-13)。
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differently_written_kihon4_is_never_guessed() {
    let (sim, vendor, config) = setup(36, 300, 120, "csv", None).await;
    vendor.ok("torikomi", &config, json!({})).await;
    let variants: HashMap<String, String> = sim
        .shinsei_states()
        .await
        .into_iter()
        .map(|s| (s.0, s.1))
        .collect();
    let items = vendor.items("shinsei").await;
    let mut mismatch = 0;
    for i in &items {
        match variants[s(&i["uketsuke_bango"])].as_str() {
            "kihon4_mismatch" => {
                mismatch += 1;
                assert_eq!(s(&i["applicant"]["method"]), "未特定", "{i}");
            }
            "valid" if i["kensho_kekka"] == "検証済み" => {
                assert_eq!(s(&i["applicant"]["method"]), "基本4情報", "{i}")
            }
            _ => {}
        }
    }
    assert!(mismatch > 0);
}
