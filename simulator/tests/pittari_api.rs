//! The download API over real HTTP on loopback, reached through the real 連携サーバ proxy, as a
//! vendor's 申請管理システム sees it.

use std::net::SocketAddr;
use std::sync::Arc;

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::scenario::{Scenario, Variant};
use renkei_simulator::clock::Clock;
use renkei_simulator::http::Recording;
use renkei_simulator::journal::{Journal, Query, System};
use renkei_simulator::pittari::{Pittari, PittariConfig, api};
use renkei_simulator::proxy::{Proxy, ProxyHandle, ProxyHops};
use serde_json::{Value, json};
use time::Duration;
use time::macros::datetime;

struct Spawned {
    api: SocketAddr,
    proxy: ProxyHandle,
    pittari: Pittari,
    clock: Clock,
    journal: Journal,
    /// A client that goes through the 連携サーバ.
    client: reqwest::Client,
}

impl Spawned {
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.api, path)
    }

    async fn login(&self, id: &str, password: &str) -> String {
        let response = self
            .client
            .post(self.url("/pittari/v1/login"))
            .json(&json!({"login_id": id, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// The default scenario's 申請 with stand-in ZIP bytes: this test is about the API; the 申請ZIP
/// itself is tested in pittari_zip*.
async fn spawn() -> Spawned {
    let expanded = Scenario::default_scenario()
        .expand(Catalogs::embedded())
        .unwrap();
    let pittari_spec = expanded.scenario.pittari.clone().unwrap();
    let clock = Clock::frozen(datetime!(2026-04-06 09:00 +09:00));
    let journal = Journal::new();
    let hops = ProxyHops::new();
    let applications = expanded
        .applications
        .iter()
        .map(|a| {
            let name = Catalogs::embedded()
                .procedure(&a.tetsuzuki)
                .unwrap()
                .name
                .clone();
            (
                a.clone(),
                name,
                format!("PK-stand-in {}", a.uketsuke_bango).into_bytes(),
            )
        })
        .collect();
    let pittari = Pittari::new(
        clock.clone(),
        PittariConfig::default(),
        pittari_spec.dantai,
        pittari_spec.accounts.clone(),
        applications,
        1,
    );
    let recording = Arc::new(Recording {
        journal: journal.clone(),
        system: System::Pittari,
        clock: clock.clone(),
        hops: Some(hops.clone()),
        max_request_bytes: 64 * 1024,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    let router = api::router(pittari.clone(), recording);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let proxy_clock = clock.clone();
    let proxy = Proxy::new(Arc::new(move || proxy_clock.now()), Arc::new(|_| {}))
        .with_hops(hops)
        .allow(api)
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(proxy.url()).unwrap())
        .build()
        .unwrap();
    Spawned {
        api,
        proxy,
        pittari,
        clock,
        journal,
        client,
    }
}

#[tokio::test]
async fn login_list_every_page_download_and_report_status() {
    let s = spawn().await;
    let token = s.login("tetsuzuki01", "renkei-tetsuzuki-01").await;
    let mut seen = Vec::new();
    let mut page = 1;
    loop {
        let (status, body) = s
            .get(
                &token,
                &format!("/pittari/v1/shinsei?page={page}&per_page=50"),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total"], 300);
        for item in body["items"].as_array().unwrap() {
            seen.push(item["uketsuke_bango"].as_str().unwrap().to_owned());
            assert_eq!(item["shutoku_jotai"], "未取得");
        }
        if !body["has_next"].as_bool().unwrap() {
            break;
        }
        page += 1;
    }
    assert_eq!(page, 6);
    assert_eq!(seen.len(), 300);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 300, "pages do not overlap");

    // Download one, mark it 取得済み, report 受付済み → 審査中 → 審査完了.
    let valid = s
        .pittari
        .applications()
        .into_iter()
        .find(|(_, v, _, _)| *v == Variant::Valid)
        .unwrap()
        .0
        .to_string();
    let response = s
        .client
        .get(s.url(&format!("/pittari/v1/shinsei/{valid}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert_eq!(
        response.bytes().await.unwrap(),
        format!("PK-stand-in {valid}").as_bytes()
    );

    let status = |jokyo: &'static str| {
        let request = s
            .client
            .put(s.url(&format!("/pittari/v1/shinsei/{valid}/shori-jokyo")))
            .bearer_auth(&token)
            .json(&json!({ "shori_jokyo": jokyo }));
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (code, body) = status("受付済み").await;
    assert_eq!(
        (code, body["code"].as_str()),
        (409, Some("NOT_TAKEN")),
        "{body}"
    );
    let response = s
        .client
        .post(s.url(&format!("/pittari/v1/shinsei/{valid}/shutoku")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(status("受付済み").await.0, 200);
    let (code, body) = status("審査完了").await;
    assert_eq!(
        (code, body["code"].as_str()),
        (409, Some("INVALID_TRANSITION")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("「受付済み」から「審査完了」")
    );
    assert_eq!(status("審査中").await.0, 200);
    assert_eq!(status("審査完了").await.0, 200);
    assert_eq!(status("却下").await.0, 409, "審査完了 is final");
    let (code, body) = status("保留").await;
    assert_eq!(
        (code, body["code"].as_str()),
        (400, Some("UNKNOWN_SHORI_JOKYO"))
    );

    let (_, listed) = s.get(&token, "/pittari/v1/shinsei?shutoku=取得済み").await;
    assert_eq!(listed["total"], 1);
    let (_, statuses) = s.get(&token, "/pittari/v1/shori-jokyo?per_page=100").await;
    let entry = statuses["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["uketsuke_bango"] == valid.as_str())
        .unwrap();
    assert_eq!(entry["shori_jokyo"], "審査完了");

    // Every exchange is in the journal, with the account and the proxy hop.
    let page = s.journal.query(&Query {
        system: Some(System::Pittari),
        ..Query::default()
    });
    assert!(page.exchanges.len() >= 14);
    assert!(page.exchanges.iter().all(|e| e.caller.proxy_hop.is_some()));
    assert!(
        page.exchanges
            .iter()
            .skip(1)
            .all(|e| e.caller.account.as_deref() == Some("tetsuzuki01"))
    );
    s.proxy.shutdown().await;
}

#[tokio::test]
async fn filters_by_procedure_time_and_state_and_keeps_order() {
    let s = spawn().await;
    let token = s.login("tetsuzuki01", "renkei-tetsuzuki-01").await;
    let (_, all) = s.get(&token, "/pittari/v1/shinsei?per_page=100").await;
    let times: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["shinsei_nichiji"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "ordered by 申請日時"
    );
    let (_, one) = s
        .get(
            &token,
            "/pittari/v1/shinsei?tetsuzuki=hisai-01&per_page=100",
        )
        .await;
    assert!(
        one["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["tetsuzuki_id"] == "hisai-01")
    );
    let (_, window) = s
        .get(&token, "/pittari/v1/shinsei?from=2026-03-10T00:00:00%2B09:00&to=2026-03-20T00:00:00%2B09:00&per_page=100")
        .await;
    for item in window["items"].as_array().unwrap() {
        let t = item["shinsei_nichiji"].as_str().unwrap();
        assert!(("2026-03-10".."2026-03-20").contains(&&t[..10]), "{t}");
    }
    assert!(window["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn roles_limit_what_an_account_sees() {
    let s = spawn().await;
    let ippan = s.login("ippan01", "renkei-ippan-01").await;
    let (_, listed) = s.get(&ippan, "/pittari/v1/shinsei?per_page=100").await;
    let items = listed["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|i| ["kosodate-01", "kosodate-10"].contains(&i["tetsuzuki_id"].as_str().unwrap()))
    );
    let other = s
        .pittari
        .applications()
        .into_iter()
        .map(|(u, _, _, _)| u)
        .find(|u| {
            !items
                .iter()
                .any(|i| i["uketsuke_bango"] == u.to_string().as_str())
        })
        .unwrap();
    let (code, body) = s.get(&ippan, &format!("/pittari/v1/shinsei/{other}")).await;
    assert_eq!(
        (code, body["code"].as_str()),
        (403, Some("TETSUZUKI_NOT_ASSIGNED"))
    );

    let kanri = s.login("kanri01", "renkei-kanri-01").await;
    let (code, body) = s.get(&kanri, "/pittari/v1/shinsei").await;
    assert_eq!(
        (code, body["code"].as_str()),
        (403, Some("ROLE_NOT_PERMITTED"))
    );
    let (code, body) = s.get(&ippan, "/pittari/v1/shinsei?dantai=141003").await;
    assert_eq!((code, body["code"].as_str()), (403, Some("OTHER_DANTAI")));
}

#[tokio::test]
async fn tokens_expire_on_the_clock() {
    let s = spawn().await;
    let token = s.login("tetsuzuki01", "renkei-tetsuzuki-01").await;
    assert_eq!(s.get(&token, "/pittari/v1/shinsei").await.0, 200);
    s.clock.advance(Duration::minutes(31)).unwrap();
    let (code, body) = s.get(&token, "/pittari/v1/shinsei").await;
    assert_eq!((code, body["code"].as_str()), (401, Some("TOKEN_EXPIRED")));
    let (code, body) = s.get("nonsense", "/pittari/v1/shinsei").await;
    assert_eq!((code, body["code"].as_str()), (401, Some("TOKEN_INVALID")));
    let response = s
        .client
        .get(s.url("/pittari/v1/shinsei"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn service_hours_are_enforced() {
    let s = spawn().await;
    let token = s.login("tetsuzuki01", "renkei-tetsuzuki-01").await;
    s.clock.set(datetime!(2026-04-06 23:00 +09:00));
    let (code, body) = s.get(&token, "/pittari/v1/shinsei").await;
    assert_eq!(
        (code, body["code"].as_str()),
        (503, Some("OUTSIDE_SERVICE_HOURS"))
    );
    assert!(body["message"].as_str().unwrap().contains("6:30〜23:00"));
    s.clock.set(datetime!(2026-04-07 06:30 +09:00));
    let token = s.login("tetsuzuki01", "renkei-tetsuzuki-01").await;
    assert_eq!(s.get(&token, "/pittari/v1/shinsei").await.0, 200);
}

#[tokio::test]
async fn direct_requests_are_refused_and_recorded() {
    let s = spawn().await;
    let direct = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = direct
        .post(s.url("/pittari/v1/login"))
        .json(&json!({"login_id": "tetsuzuki01", "password": "renkei-tetsuzuki-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "NOT_VIA_RENKEI_SERVER");
    let page = s.journal.query(&Query::default());
    let last = page.exchanges.last().unwrap();
    assert_eq!(last.status, 403);
    assert!(last.caller.proxy_hop.is_none());
}

#[tokio::test]
async fn bad_input_gets_a_named_error_and_changes_nothing() {
    let s = spawn().await;
    let response = s
        .client
        .post(s.url("/pittari/v1/login"))
        .header("content-type", "application/json")
        .body("{\"login_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["code"], "BAD_JSON");
    let response = s
        .client
        .post(s.url("/pittari/v1/login"))
        .json(&json!({"login_id": "tetsuzuki01", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "LOGIN_FAILED"
    );

    let token = s.login("tetsuzuki01", "renkei-tetsuzuki-01").await;
    let (code, body) = s.get(&token, "/pittari/v1/shinsei/170401000000001").await;
    assert_eq!(
        (code, body["code"].as_str()),
        (404, Some("SHINSEI_NOT_FOUND"))
    );
    let (code, body) = s.get(&token, "/pittari/v1/shinsei/12345").await;
    assert_eq!(
        (code, body["code"].as_str()),
        (400, Some("BAD_UKETSUKE_BANGO"))
    );
    let (code, body) = s.get(&token, "/pittari/v1/shinsei?from=yesterday").await;
    assert_eq!((code, body["target"].as_str()), (400, Some("from")));
    let (code, body) = s.get(&token, "/pittari/v1/shinsei?per_page=1000").await;
    assert_eq!((code, body["target"].as_str()), (400, Some("per_page")));
    let (code, body) = s.get(&token, "/pittari/v1/shinsei?shutoku=done").await;
    assert_eq!((code, body["target"].as_str()), (400, Some("shutoku")));
    let (code, body) = s.get(&token, "/pittari/v1/no-such-route").await;
    assert_eq!((code, body["code"].as_str()), (404, Some("NOT_FOUND")));

    let response = s
        .client
        .post(s.url("/pittari/v1/login"))
        .body(vec![b'x'; 100 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "REQUEST_TOO_LARGE"
    );
    assert!(
        s.pittari
            .applications()
            .iter()
            .all(|(_, _, taken, _)| taken.as_str() == "未取得")
    );
}

#[tokio::test]
async fn a_duplicate_is_delivered_again_once() {
    let s = spawn().await;
    let token = s.login("tetsuzuki01", "renkei-tetsuzuki-01").await;
    let duplicate = s
        .pittari
        .applications()
        .into_iter()
        .find(|(_, v, _, _)| *v == Variant::Duplicate)
        .unwrap()
        .0;
    let mark = || async {
        s.client
            .post(s.url(&format!("/pittari/v1/shinsei/{duplicate}/shutoku")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(mark().await, 200);
    let (_, listed) = s
        .get(&token, "/pittari/v1/shinsei?shutoku=未取得&per_page=100")
        .await;
    let again = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["uketsuke_bango"] == duplicate.to_string().as_str());
    assert!(again, "delivered again as 未取得");
    assert_eq!(mark().await, 200);
    assert_eq!(
        s.pittari.status_of(&duplicate).unwrap().0.as_str(),
        "取得済み"
    );
}

/// (method, path) pairs under `paths:` in an OpenAPI YAML document written in this repository's
/// style (two-space indents). A small reader, so no YAML crate is needed.
fn documented_routes(yaml: &str) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    let mut in_paths = false;
    let mut path = None;
    for line in yaml.lines() {
        if line == "paths:" {
            in_paths = true;
            continue;
        }
        if !in_paths || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            in_paths = false;
        } else if let Some(p) = line.strip_prefix("  /") {
            path = Some(format!("/{}", p.trim_end_matches(':')));
        } else if let Some(method) = line.strip_prefix("    ").and_then(|m| m.strip_suffix(':'))
            && ["get", "post", "put", "delete", "patch"].contains(&method)
        {
            routes.push((
                method.to_uppercase(),
                path.clone().expect("a path before its methods"),
            ));
        }
    }
    routes
}

#[tokio::test]
async fn the_openapi_document_and_the_server_agree() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/openapi/pittari.yaml"
    ))
    .unwrap();
    let mut documented = documented_routes(&yaml);
    let mut served: Vec<(String, String)> = api::ROUTES
        .iter()
        .chain(renkei_simulator::pittari::repository::ROUTES)
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    documented.sort();
    served.sort();
    assert_eq!(
        documented, served,
        "docs/openapi/pittari.yaml and api::ROUTES differ"
    );

    // Every documented route of the API is really served: without a token it is refused, not
    // unknown. (The repository routes are exercised in stack_*.)
    let documented: Vec<_> = documented
        .into_iter()
        .filter(|(_, p)| !p.contains("/jpki/"))
        .collect();
    let s = spawn().await;
    for (method, path) in &documented {
        let path = path.replace("{uketsuke_bango}", "260401000000001");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = s
            .client
            .request(method.clone(), s.url(&path))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            ![404, 405].contains(&status),
            "{method} {path} answered {status}"
        );
    }
}

#[test]
fn every_error_code_is_documented() {
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/pittari/api.rs"))
            .unwrap()
            + &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http.rs"))
                .unwrap();
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/pittari-api.md"
    ))
    .unwrap();
    let mut codes: Vec<&str> = source
        .split('"')
        .filter(|s| {
            s.len() > 3 && s.chars().all(|c| c.is_ascii_uppercase() || c == '_') && s.contains('_')
        })
        .collect();
    codes.sort();
    codes.dedup();
    assert!(codes.len() >= 15, "{codes:?}");
    for code in codes {
        assert!(
            guide.contains(&format!("`{code}`")),
            "{code} is not in docs/pittari-api.md"
        );
    }
}
