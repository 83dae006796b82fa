//! The whole national side of the default scenario, as `renkei serve` runs it, used the way a
//! vendor's 申請管理システム and 既存住基システム would: through the 連携サーバ, over real HTTP,
//! verifying real signatures against the served CA and CRL.

use std::collections::HashMap;

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::scenario::{BatchSpec, Expanded, Scenario, Variant};
use renkei_simulator::journal::{Query, System};
use renkei_simulator::jpki::{self, CertKind, TrustStore, VerifyOutcome};
use renkei_simulator::pittari::zip::{self, ZipReadError};
use renkei_simulator::stack::{Stack, StackOptions};
use serde_json::{Value, json};

/// A client that goes through the stack's 連携サーバ, as a 申請管理システム must.
fn proxied(stack: &Stack) -> reqwest::Client {
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(format!("http://{}", stack.addresses.proxy)).unwrap())
        .build()
        .unwrap()
}

/// Logs in as the default scenario's 手続管理ユーザ at `api` and returns the token.
async fn login(client: &reqwest::Client, api: &str) -> String {
    let response = client
        .post(format!("{api}/pittari/v1/login"))
        .json(&json!({"login_id": "tetsuzuki01", "password": "renkei-tetsuzuki-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn start() -> (Stack, Expanded, reqwest::Client) {
    // The default scenario, plus the variants its mix leaves out.
    let mut scenario = Scenario::default_scenario();
    let pittari = scenario.pittari.as_mut().unwrap();
    for variant in [Variant::SwappedAttachment, Variant::UnidentifiableLookalike] {
        pittari.batches.push(BatchSpec {
            variant,
            count: 2,
            procedures: Vec::new(),
        });
    }
    let expanded = scenario.expand(Catalogs::embedded()).unwrap();
    let stack = Stack::start(&expanded, StackOptions::default())
        .await
        .unwrap();
    let client = proxied(&stack);
    (stack, expanded, client)
}

#[tokio::test]
async fn a_vendor_downloads_and_verifies_every_variant() {
    let (stack, expanded, client) = start().await;
    let api = format!("http://{}", stack.addresses.pittari);
    let token = login(&client, &api).await;

    // The CA certificate and the current CRL, as served.
    let ca_pem = client
        .get(format!("{api}/pittari/v1/jpki/signature/ca.pem"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(ca_pem, stack.jpki.ca(CertKind::Signature).cert_pem());
    let crl = client
        .get(format!("{api}/pittari/v1/jpki/signature/crl.der"))
        .send()
        .await
        .unwrap();
    assert_eq!(crl.headers()["content-type"], "application/pkix-crl");
    let crl = crl.bytes().await.unwrap();
    let trust = TrustStore::new([stack.jpki.ca(CertKind::Signature)])
        .with_crl(&crl)
        .unwrap();
    let now = stack.clock.now();

    // One 申請 of each variant.
    let mut one_of_each: HashMap<Variant, String> = HashMap::new();
    for a in &expanded.applications {
        one_of_each
            .entry(a.variant)
            .or_insert_with(|| a.uketsuke_bango.to_string());
    }
    assert_eq!(one_of_each.len(), Variant::ALL.len());
    let jukinet_serials: std::collections::HashSet<_> = expanded.populations[0]
        .1
        .iter()
        .flat_map(|h| &h.members)
        .flat_map(|r| r.certificates.iter().map(|c| c.serial))
        .collect();
    for (variant, uketsuke) in &one_of_each {
        let response = client
            .get(format!("{api}/pittari/v1/shinsei/{uketsuke}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{variant:?}");
        let bytes = response.bytes().await.unwrap();
        let opened = zip::read(&bytes);
        match variant {
            Variant::TruncatedZip | Variant::CorruptZip => {
                let error: ZipReadError = opened.unwrap_err();
                assert!(!error.to_string().is_empty());
                continue;
            }
            _ => {}
        }
        let opened = opened.unwrap_or_else(|e| panic!("{variant:?}: {e}"));
        let outcome = opened.verify(&trust, now);
        match variant {
            Variant::Tampered | Variant::SwappedAttachment => assert!(
                matches!(outcome, VerifyOutcome::Tampered { .. }),
                "{variant:?}: {outcome:?}"
            ),
            Variant::RevokedCertificate => assert!(
                matches!(outcome, VerifyOutcome::Revoked { .. }),
                "{outcome:?}"
            ),
            Variant::ExpiredCertificate => assert!(
                matches!(outcome, VerifyOutcome::Expired { .. }),
                "{outcome:?}"
            ),
            Variant::UnknownSerial | Variant::Unidentifiable | Variant::UnidentifiableLookalike => {
                let VerifyOutcome::Valid { serial, .. } = outcome else {
                    panic!("{variant:?}: {outcome:?}")
                };
                assert!(!jukinet_serials.contains(&serial));
            }
            _ => {
                let VerifyOutcome::Valid { serial, .. } = outcome else {
                    panic!("{variant:?}: {outcome:?}")
                };
                assert!(jukinet_serials.contains(&serial), "{variant:?}");
            }
        }
    }

    // The journal holds the 連携サーバ's view and the API's, each API request with its hop.
    let proxy_side = stack.journal.query(&Query {
        system: Some(System::RenkeiServer),
        ..Query::default()
    });
    let api_side = stack.journal.query(&Query {
        system: Some(System::Pittari),
        ..Query::default()
    });
    assert!(api_side.exchanges.len() >= 14);
    assert!(
        api_side
            .exchanges
            .iter()
            .all(|e| e.caller.proxy_hop.is_some())
    );
    assert!(proxy_side.exchanges.len() >= api_side.exchanges.len() - 1);
    stack.shutdown().await;
}

#[tokio::test]
async fn the_revocations_of_the_scenario_reach_jukinet_and_the_crl() {
    let (stack, expanded, client) = start().await;
    let revoked = expanded
        .applications
        .iter()
        .find(|a| a.variant == Variant::RevokedCertificate)
        .unwrap()
        .signer
        .serial;
    let (code, key) = &stack.jukinet_keys[0];
    let direct = reqwest::Client::new();
    let csv = direct
        .get(format!(
            "http://{}/jukinet/v1/dantai/{code}/shomeisho/zenken?form=csv",
            stack.addresses.jukinet
        ))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let file = renkei_simulator::jukinet::read_csv::<renkei_simulator::jukinet::ShomeishoJoho>(
        &csv.bytes().await.unwrap(),
    )
    .unwrap();
    let row = file.records.iter().find(|r| r.serial == revoked).unwrap();
    let as_of = renkei_simulator::jukinet::Nichiji::new(stack.clock.now()).unwrap();
    assert_eq!(
        row.jotai(as_of),
        renkei_fixtures::population::CertStatus::Shikkou
    );
    assert!(row.shikkobi.is_some());

    let crl = client
        .get(format!(
            "http://{}/pittari/v1/jpki/signature/crl.der",
            stack.addresses.pittari
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let trust = TrustStore::new([stack.jpki.ca(CertKind::Signature)])
        .with_crl(&crl)
        .unwrap();
    // A document signed now with the revoked certificate's serial would be refused: check via
    // the CRL the store now holds.
    let signed = stack
        .jpki
        .issue(&jpki::CertRequest {
            kind: CertKind::Signature,
            serial: revoked,
            not_before: stack.clock.now().date() - time::Duration::days(100),
            not_after: stack.clock.now().date() + time::Duration::days(100),
            holder: Some(jpki::Kihon4 {
                shimei: "合成　太郎".into(),
                seinengappi: time::macros::date!(1980 - 01 - 01),
                seibetsu: "男".into(),
                jusho: "東京都千代田区丸の内1丁目1番1号".into(),
            }),
        })
        .unwrap();
    let xml = jpki::sign_enveloped("<申請書><氏名>合成　太郎</氏名></申請書>", &signed).unwrap();
    assert!(matches!(
        jpki::verify(&xml, &trust, stack.clock.now()),
        VerifyOutcome::Revoked { .. }
    ));
    stack.shutdown().await;
}

#[tokio::test]
async fn the_admin_api_reads_the_journal_and_moves_the_clock() {
    let (stack, expanded, client) = start().await;
    let admin = format!("http://{}", stack.addresses.admin);
    let direct = reqwest::Client::new();
    let response = client
        .get(format!(
            "http://{}/pittari/v1/shinsei",
            stack.addresses.pittari
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let journal: Value = direct
        .get(format!("{admin}/admin/v1/journal?system=pittari"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = journal["exchanges"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], 401);
    assert_eq!(last["route"], "/pittari/v1/shinsei");

    let clock: Value = direct
        .post(format!("{admin}/admin/v1/clock/advance"))
        .body(r#"{"seconds": 3600}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["now"], "2026-04-06T10:00:00+09:00");
    assert_eq!(clock["frozen"], true);
    let refused = direct
        .post(format!("{admin}/admin/v1/clock/advance"))
        .body(r#"{"seconds": -1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let set = direct
        .put(format!("{admin}/admin/v1/clock"))
        .body(r#"{"now": "2026-04-06T23:30:00+09:00"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let closed = client
        .post(format!(
            "http://{}/pittari/v1/login",
            stack.addresses.pittari
        ))
        .json(&json!({"login_id": "tetsuzuki01", "password": "renkei-tetsuzuki-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 503);
    let states: Value = direct
        .get(format!("{admin}/admin/v1/pittari/shinsei"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        states.as_array().unwrap().len(),
        expanded.applications.len()
    );
    stack.shutdown().await;
}

#[test]
fn the_admin_openapi_document_lists_every_route() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/openapi/admin.yaml"
    ))
    .unwrap();
    for (method, path) in renkei_simulator::admin::ROUTES {
        let at = yaml
            .find(&format!("  {path}:\n"))
            .unwrap_or_else(|| panic!("{path} undocumented"));
        let section = &yaml[at..];
        let end = section[3..].find("\n  /").map_or(section.len(), |i| i + 3);
        assert!(
            section[..end].contains(&format!("    {}:", method.to_lowercase())),
            "{method} {path} undocumented"
        );
    }
}

#[tokio::test]
async fn a_restart_with_a_state_file_loses_nothing_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let expanded = Scenario::default_scenario()
        .expand(Catalogs::embedded())
        .unwrap();
    let options = || StackOptions {
        data_dir: Some(data.path().to_owned()),
        ..StackOptions::default()
    };
    let first = Stack::start(&expanded, options()).await.unwrap();
    assert!(!first.resumed);
    let client = proxied(&first);
    let api = format!("http://{}", first.addresses.pittari);
    let token = login(&client, &api).await;
    let uketsuke = expanded
        .applications
        .iter()
        .find(|a| a.variant == Variant::Valid)
        .unwrap()
        .uketsuke_bango;
    for (method, path, body) in [
        (
            "POST",
            format!("{api}/pittari/v1/shinsei/{uketsuke}/shutoku"),
            None,
        ),
        (
            "PUT",
            format!("{api}/pittari/v1/shinsei/{uketsuke}/shori-jokyo"),
            Some(json!({"shori_jokyo": "受付済み"})),
        ),
    ] {
        let request = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                path,
            )
            .bearer_auth(&token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        assert_eq!(request.send().await.unwrap().status(), 200);
    }
    let admin = format!("http://{}", first.addresses.admin);
    reqwest::Client::new()
        .post(format!("{admin}/admin/v1/clock/advance"))
        .body(r#"{"seconds": 600}"#)
        .send()
        .await
        .unwrap();
    let exchanges_before = first.journal.query(&Query::default()).next_seq;
    first.shutdown().await;

    let second = Stack::start(&expanded, options()).await.unwrap();
    assert!(second.resumed);
    let (shutoku, shori) = second.pittari.status_of(&uketsuke).unwrap();
    assert_eq!((shutoku.as_str(), shori.as_str()), ("取得済み", "受付済み"));
    assert_eq!(
        second.clock.now(),
        expanded.scenario.start + time::Duration::minutes(10)
    );
    let page = second.journal.query(&Query::default());
    assert_eq!(
        page.next_seq, exchanges_before,
        "the journal continues where it stopped"
    );
    assert!(
        page.exchanges
            .iter()
            .any(|e| e.route.ends_with("/shori-jokyo"))
    );
    // The token issued before the restart is still good, and new tokens do not repeat it.
    let client = proxied(&second);
    let api = format!("http://{}", second.addresses.pittari);
    let listed = client
        .get(format!("{api}/pittari/v1/shinsei?shutoku=取得済み"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let again = client
        .post(format!("{api}/pittari/v1/login"))
        .json(&json!({"login_id": "tetsuzuki01", "password": "renkei-tetsuzuki-01"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_ne!(again["token"].as_str().unwrap(), token);
    second.shutdown().await;

    // Another scenario refuses the state file.
    let mut other = Scenario::default_scenario();
    other.name = "別のシナリオ".into();
    other.seed = 2;
    let other = other.expand(Catalogs::embedded()).unwrap();
    let refused = Stack::start(&other, options()).await;
    assert!(matches!(
        refused,
        Err(renkei_simulator::stack::StackError::Store(_))
    ));
}

#[tokio::test]
async fn a_scenario_sets_the_service_hours() {
    let text = renkei_fixtures::scenario::DEFAULT.replace(
        "[pittari.mix]",
        "service_hours = \"10:00-17:00\"\n\n[pittari.mix]",
    );
    let expanded = Scenario::from_toml(&text)
        .unwrap()
        .expand(Catalogs::embedded())
        .unwrap();
    let stack = Stack::start(&expanded, StackOptions::default())
        .await
        .unwrap();
    let client = proxied(&stack);
    let login = || {
        client
            .post(format!(
                "http://{}/pittari/v1/login",
                stack.addresses.pittari
            ))
            .json(&json!({"login_id": "tetsuzuki01", "password": "renkei-tetsuzuki-01"}))
            .send()
    };
    let closed = login().await.unwrap();
    assert_eq!(closed.status(), 503);
    let body: Value = closed.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("10:00〜17:00"),
        "{body}"
    );
    stack.clock.advance(time::Duration::hours(1)).unwrap();
    assert_eq!(login().await.unwrap().status(), 200);
    stack.shutdown().await;
}

#[tokio::test]
async fn injected_faults_hit_the_calls_they_name_then_clear() {
    let text = renkei_fixtures::scenario::DEFAULT.replace(
        "[pittari.mix]",
        "[[pittari.faults]]\nkind = \"server_error\"\nroute = \"list\"\ntimes = 2\n\n[pittari.mix]",
    );
    let expanded = Scenario::from_toml(&text)
        .unwrap()
        .expand(Catalogs::embedded())
        .unwrap();
    let stack = Stack::start(&expanded, StackOptions::default())
        .await
        .unwrap();
    let client = proxied(&stack);
    let api = format!("http://{}", stack.addresses.pittari);
    let token = login(&client, &api).await;
    let list = || {
        client
            .get(format!("{api}/pittari/v1/shinsei"))
            .bearer_auth(&token)
            .send()
    };
    for _ in 0..2 {
        let response = list().await.unwrap();
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "TEMPORARY_FAILURE"
        );
    }
    assert_eq!(list().await.unwrap().status(), 200);

    // A dropped download, armed through the admin API for one 申請.
    let uketsuke = expanded.applications[0].uketsuke_bango.to_string();
    let armed = reqwest::Client::new()
        .post(format!(
            "http://{}/admin/v1/pittari/faults",
            stack.addresses.admin
        ))
        .json(&json!({"kind": "drop_connection", "route": "download", "uketsuke_bango": uketsuke}))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), 204);
    let download = || {
        client
            .get(format!("{api}/pittari/v1/shinsei/{uketsuke}"))
            .bearer_auth(&token)
            .send()
    };
    let cut = download().await.unwrap();
    assert_eq!(cut.status(), 200);
    assert!(cut.bytes().await.is_err(), "the body is cut short");
    let whole = download().await.unwrap().bytes().await.unwrap();
    assert!(
        renkei_simulator::pittari::zip::read(&whole).is_ok()
            || expanded.applications[0].variant != Variant::Valid
    );

    let bad = reqwest::Client::new()
        .post(format!(
            "http://{}/admin/v1/pittari/faults",
            stack.addresses.admin
        ))
        .body("{\"kind\": \"meteor\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    stack.shutdown().await;
}

#[tokio::test]
async fn loading_a_scenario_needs_renkei_serve_and_no_state_file() {
    let (stack, _, _) = start().await;
    let admin = format!("http://{}/admin/v1/scenario", stack.addresses.admin);
    let refused = reqwest::Client::new()
        .post(&admin)
        .body(renkei_fixtures::scenario::DEFAULT)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["code"],
        "RELOAD_UNAVAILABLE"
    );
    let current: Value = reqwest::Client::new()
        .get(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["scenario"], stack.scenario_name);
    stack.shutdown().await;

    let data = tempfile::tempdir().unwrap();
    let expanded = Scenario::default_scenario()
        .expand(Catalogs::embedded())
        .unwrap();
    let (reload, _reloads) = tokio::sync::mpsc::channel(1);
    let stack = Stack::start(
        &expanded,
        StackOptions {
            data_dir: Some(data.path().to_owned()),
            reload: Some(reload),
            ..StackOptions::default()
        },
    )
    .await
    .unwrap();
    let bound = reqwest::Client::new()
        .post(format!(
            "http://{}/admin/v1/scenario",
            stack.addresses.admin
        ))
        .body(renkei_fixtures::scenario::DEFAULT)
        .send()
        .await
        .unwrap();
    assert_eq!(bound.status(), 409);
    assert_eq!(
        bound.json::<Value>().await.unwrap()["code"],
        "STATE_FILE_BOUND"
    );
    stack.shutdown().await;
}
