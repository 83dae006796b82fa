//! How a 既存システム's connection is prepared and moved, over real mutual TLS on loopback:
//! 証明書の登録 (docs/chukan-api.md「証明書の登録」): a tenant whose certificate the 中間サーバー has
//! not registered is refused until it is; 接続先の移行 (移行リハーサル, 「接続先の移行」): the same
//! 中間サーバー moves to a new port, and the old address refuses every request with `MOVED` (421) and
//! journals it as the tenant's — with a connection kept open across the move.

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::scenario::Scenario;
use renkei_simulator::chukan::client::TenantClient;
use renkei_simulator::journal::{Query, System};
use renkei_simulator::stack::{Stack, StackOptions};

const CHIYODA: &str = "9913101600000000";

fn tsuuchi_items() -> [(&'static str, &'static str); 1] {
    [("最大件数", "1")]
}

#[tokio::test]
async fn the_old_address_refuses_everything_after_the_move_and_the_new_one_serves_the_same_data() {
    let text = "name = \"移行\"\nseed = 9\nstart = \"2026-04-06T09:00:00+09:00\"\n\
                [[dantai]]\ncode = \"131016\"\nresidents = 10\n";
    let expanded = Scenario::from_toml(text)
        .unwrap()
        .expand(Catalogs::embedded())
        .unwrap();
    let mut stack = Stack::start(&expanded, StackOptions::default())
        .await
        .unwrap();
    let tenant = stack
        .chukan
        .tenant(CHIYODA.parse().unwrap())
        .unwrap()
        .clone();
    let old_addr = stack.addresses.chukan;
    let old = TenantClient::new(&stack.chukan, &tenant, old_addr, "KIZON-01").unwrap();
    let before = old
        .denbun("IF_OSR_10611_R01", &tsuuchi_items())
        .await
        .unwrap();
    assert_eq!(before.status, 200, "{}", before.text);
    // A connection opened before the move and kept: it must be refused too.
    let mut kept = old.open().await.unwrap();

    let since = stack
        .journal
        .query(&Query {
            limit: Some(0),
            ..Query::default()
        })
        .next_seq;
    let new_addr = stack.move_chukan().await.unwrap();
    assert_ne!(new_addr, old_addr);
    assert_eq!(stack.addresses.chukan, new_addr);

    let refused = old
        .denbun("IF_OSR_10611_R01", &tsuuchi_items())
        .await
        .unwrap();
    assert_eq!(refused.status, 421, "{}", refused.text);
    assert_eq!(refused.value("エラーコード"), "MOVED");
    assert!(
        refused
            .value("エラーメッセージ")
            .contains(&format!("https://{new_addr}")),
        "{}",
        refused.text
    );
    let on_kept = kept
        .send(
            "POST",
            "/ws/IF_OSR_10611_R01",
            "application/xml; charset=utf-8",
            old.denbun_xml("IF_OSR_10611_R01", &tsuuchi_items())
                .into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(on_kept.status, 421, "{}", on_kept.text);

    let new = TenantClient::new(&stack.chukan, &tenant, new_addr, "KIZON-01").unwrap();
    let served = new
        .denbun("IF_OSR_10611_R01", &tsuuchi_items())
        .await
        .unwrap();
    assert_eq!(served.status, 200, "{}", served.text);

    // The journal tells what went where: two refusals (tenant known), then one served request.
    let after: Vec<_> = stack
        .journal
        .query(&Query {
            since: Some(since),
            system: Some(System::Chukan),
            ..Query::default()
        })
        .exchanges;
    let statuses: Vec<u16> = after.iter().map(|e| e.status).collect();
    assert_eq!(statuses, vec![421, 421, 200]);
    assert!(
        after
            .iter()
            .all(|e| e.caller.account.as_deref() == Some(CHIYODA))
    );
    stack.shutdown().await;
}

#[tokio::test]
async fn an_unregistered_certificate_is_refused_until_it_is_registered() {
    let text = "name = \"登録\"\nseed = 10\nstart = \"2026-04-06T09:00:00+09:00\"\n\
                [[dantai]]\ncode = \"131016\"\nresidents = 10\n";
    let expanded = Scenario::from_toml(text)
        .unwrap()
        .expand(Catalogs::embedded())
        .unwrap();
    let stack = Stack::start(&expanded, StackOptions::default())
        .await
        .unwrap();
    let kikan = CHIYODA.parse().unwrap();
    let tenant = stack.chukan.tenant(kikan).unwrap().clone();
    let client =
        TenantClient::new(&stack.chukan, &tenant, stack.addresses.chukan, "KIZON-01").unwrap();
    assert!(stack.chukan.certificate_registered(kikan));
    stack.chukan.unregister_certificate(kikan).unwrap();
    let refused = client
        .denbun("IF_OSR_10611_R01", &tsuuchi_items())
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.value("エラーコード"), "UNKNOWN_CLIENT");
    assert!(
        refused
            .value("エラーメッセージ")
            .contains("登録されていません")
    );
    stack.chukan.register_certificate(kikan).unwrap();
    let served = client
        .denbun("IF_OSR_10611_R01", &tsuuchi_items())
        .await
        .unwrap();
    assert_eq!(served.status, 200, "{}", served.text);
    // Both are the tenant's in the journal: renkei sees the attempt that was refused.
    let statuses: Vec<(u16, Option<String>)> = stack
        .journal
        .query(&Query {
            system: Some(System::Chukan),
            ..Query::default()
        })
        .exchanges
        .into_iter()
        .map(|e| (e.status, e.caller.account))
        .collect();
    assert_eq!(
        statuses,
        vec![(403, Some(CHIYODA.into())), (200, Some(CHIYODA.into()))]
    );
    stack.shutdown().await;
}
