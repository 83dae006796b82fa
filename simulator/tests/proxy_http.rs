//! Plain HTTP through the simulated 連携サーバ: forwarding, `Via`, streaming, hops, records.

mod proxy_support;

use bytes::Bytes;
use proxy_support::{Checksum, NOW, Origin, TestProxy, Whoami, pattern_byte, raw_exchange, within};
use renkei_simulator::proxy::{Authority, Decision, HopKind};

const VIA: &str = "1.1 renkei-renkei-server";

#[tokio::test]
async fn an_allowed_get_reaches_the_origin_which_can_tell_it_came_through_the_proxy() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);
    let target = Authority::from(origin.addr);

    let request = format!(
        "GET http://{target}/whoami?dantai=131016 HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n"
    );
    let (response, sut) = raw_exchange(proxy.addr(), request.as_bytes()).await;

    assert_eq!(response.status, 200);
    assert!(response.headers_named("via").contains(&VIA), "{response:?}");
    let seen: Whoami = response.json();
    let hop = seen
        .hop
        .expect("the origin found the proxy hop for its peer");
    assert_eq!(hop.client, sut, "the hop names the SUT that asked");
    assert_eq!(hop.target, target);
    assert_eq!(hop.origin, origin.addr);
    assert_eq!(hop.local, seen.peer);
    assert_eq!(hop.kind, HopKind::Http);
    assert_eq!(hop.opened_at, NOW);
    assert_eq!(seen.via, [VIA]);
    assert_eq!(
        seen.path, "/whoami?dantai=131016",
        "origin-form on the way out"
    );
    assert_eq!(seen.host.as_deref(), Some(target.to_string().as_str()));

    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::Allowed);
    assert_eq!(event.status, Some(200));
    assert_eq!(event.client, sut);
    assert_eq!(event.method, "GET");
    assert_eq!(event.target, Some(target));
    assert_eq!(event.path.as_deref(), Some("/whoami?dantai=131016"));
    assert_eq!(event.hop, Some(hop.id));
    assert_eq!(event.at, NOW, "stamped by the clock the proxy was given");
    assert_eq!(event.bytes_up, Some(0));
    assert_eq!(event.bytes_down, Some(response.body.len() as u64));
    assert_eq!(event.detail, None);
    // By the time an event is delivered its hop is closed: the registry stays bounded.
    assert!(proxy.handle.hops().hop_for(hop.local).is_none());
    assert!(proxy.handle.hops().is_empty());

    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn a_direct_request_to_the_origin_is_not_a_hop() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    // Through the proxy first, so the registry has been used.
    let through: Whoami = proxy
        .client()
        .get(origin.url("/whoami"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(through.hop.is_some());
    assert_eq!(proxy.next_event().await.decision, Decision::Allowed);

    // The SUT going straight to the download API, as 図表12 forbids.
    let direct: Whoami = reqwest::get(origin.url("/whoami"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(direct.hop.is_none(), "{direct:?}");
    assert!(direct.via.is_empty());
    assert!(proxy.handle.hops().hop_for(direct.peer).is_none());

    let seen = origin.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].hop.is_some() && seen[1].hop.is_none());
    proxy.shutdown_cleanly().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_mb_body_is_streamed_intact() {
    const LEN: u64 = 20 * 1024 * 1024;
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    let mut response = proxy
        .client()
        .get(origin.url(&format!("/bytes/{LEN}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.content_length(),
        Some(LEN),
        "Content-Length is relayed"
    );
    let mut received = 0u64;
    while let Some(chunk) = within("the next chunk", response.chunk()).await.unwrap() {
        for (i, &b) in chunk.iter().enumerate() {
            assert_eq!(
                b,
                pattern_byte(received + i as u64),
                "byte {}",
                received + i as u64
            );
        }
        received += chunk.len() as u64;
    }
    assert_eq!(received, LEN);

    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::Allowed);
    assert_eq!(event.bytes_down, Some(LEN));
    assert_eq!(event.detail, None);
    proxy.shutdown_cleanly().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_responses_and_large_uploads_pass_both_ways() {
    const DOWN: u64 = 3 * 1024 * 1024 + 17;
    const UP: usize = 5 * 1024 * 1024 + 3;
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);
    let client = proxy.client();

    let body = client
        .get(origin.url(&format!("/chunked/{DOWN}")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len() as u64, DOWN);
    let mut sum = Checksum::default();
    sum.add(&body);
    assert_eq!(sum.0, Checksum::of_pattern(DOWN));
    let event = proxy.next_event().await;
    assert_eq!(event.bytes_down, Some(DOWN));

    let upload: Vec<u8> = (0..UP as u64).map(pattern_byte).collect();
    let answer: serde_json::Value = client
        .post(origin.url("/upload"))
        .body(upload)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["bytes"], UP as u64);
    assert_eq!(answer["checksum"], Checksum::of_pattern(UP as u64));
    let event = proxy.next_event().await;
    assert_eq!(event.method, "POST");
    assert_eq!(event.bytes_up, Some(UP as u64));
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn the_body_reaches_the_client_as_it_arrives_not_when_complete() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);
    let gate = origin.gate();

    let mut response = proxy
        .client()
        .get(origin.url("/gated"))
        .send()
        .await
        .unwrap();
    gate.send(Bytes::from_static(b"first part of the ZIP"))
        .await
        .unwrap();
    // If the proxy buffered whole bodies this would never arrive: the origin has not finished.
    let first = within(
        "the first chunk, before the origin finishes",
        response.chunk(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(&first[..], b"first part of the ZIP");

    // While the body is still open, the hop is open and names this exchange.
    let hops = proxy.handle.hops();
    let open = hops.open_hops();
    assert_eq!(open.len(), 1);
    let seen = origin.seen();
    assert_eq!(seen[0].hop.as_ref(), Some(&open[0]));

    gate.send(Bytes::from_static(b", and the rest"))
        .await
        .unwrap();
    drop(gate);
    let rest = response.bytes().await.unwrap();
    assert_eq!(&rest[..], b", and the rest");

    let event = proxy.next_event().await;
    assert_eq!(event.hop, Some(open[0].id));
    assert_eq!(event.bytes_down, Some(35));
    assert!(hops.is_empty());
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn reqwest_with_proxy_http_or_proxy_all_goes_through() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    let via_http = reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(proxy.handle.url()).unwrap())
        .build()
        .unwrap();
    let via_all = proxy.client();
    for client in [via_http, via_all] {
        let seen: Whoami = client
            .get(origin.url("/whoami"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let hop = seen.hop.expect("reqwest went through the proxy");
        let event = proxy.next_event().await;
        assert_eq!(event.decision, Decision::Allowed);
        assert_eq!(event.client, hop.client);
        assert_eq!(event.hop, Some(hop.id));
        assert_eq!(seen.via, [VIA]);
    }
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn every_request_on_a_keep_alive_connection_gets_its_own_hop_and_record() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);
    let client = proxy.client();

    let mut ids = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..5 {
        let seen: Whoami = client
            .get(origin.url("/whoami"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let hop = seen.hop.unwrap();
        let event = proxy.next_event().await;
        assert_eq!(event.hop, Some(hop.id));
        ids.push(hop.id);
        clients.push(hop.client);
    }
    ids.dedup();
    assert_eq!(ids.len(), 5, "one outbound connection per request");
    clients.dedup();
    assert_eq!(clients.len(), 1, "one client connection, kept alive");
    assert_eq!(
        origin.connections.load(std::sync::atomic::Ordering::SeqCst),
        5
    );
    proxy.shutdown_cleanly().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hop_registry_empties_when_connections_close() {
    const REQUESTS: usize = 64;
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);
    let hops = proxy.handle.hops();

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..REQUESTS {
        let client = proxy.client(); // separate clients: separate client connections
        let url = origin.url("/whoami");
        tasks.spawn(async move {
            let seen: Whoami = client.get(url).send().await?.json().await?;
            Ok::<_, reqwest::Error>(seen)
        });
    }
    let mut hop_ids = Vec::new();
    while let Some(done) = within("the concurrent requests", tasks.join_next()).await {
        let seen = done.unwrap().unwrap();
        hop_ids.push(seen.hop.expect("through the proxy").id);
    }
    hop_ids.sort();
    hop_ids.dedup();
    assert_eq!(hop_ids.len(), REQUESTS, "each request had its own hop");

    for _ in 0..REQUESTS {
        assert_eq!(proxy.next_event().await.decision, Decision::Allowed);
    }
    // Every event was delivered after its hop closed, so nothing is left.
    assert_eq!(hops.len(), 0);
    let mut open = hops.watch_len();
    within("the registry to report empty", open.wait_for(|n| *n == 0))
        .await
        .unwrap();
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn origin_form_with_a_host_header_is_forwarded_to_that_host() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    let request = format!(
        "GET /whoami HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        origin.addr
    );
    let (response, sut) = raw_exchange(proxy.addr(), request.as_bytes()).await;
    assert_eq!(response.status, 200);
    let seen: Whoami = response.json();
    assert_eq!(seen.hop.unwrap().client, sut);
    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::Allowed);
    assert_eq!(event.target, Some(Authority::from(origin.addr)));
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn hop_by_hop_fields_stop_at_the_proxy() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    let request = format!(
        "GET http://{0}/whoami HTTP/1.1\r\n\
         Host: {0}\r\n\
         Connection: close, X-Hop-Secret\r\n\
         X-Hop-Secret: only for the proxy\r\n\
         Keep-Alive: timeout=5\r\n\
         Proxy-Connection: keep-alive\r\n\
         Proxy-Authorization: Basic c3V0OnNlY3JldA==\r\n\
         TE: trailers\r\n\
         X-End-To-End: kept\r\n\
         Via: 1.1 sut-gateway\r\n\r\n",
        origin.addr
    );
    let (response, _) = raw_exchange(proxy.addr(), request.as_bytes()).await;
    let seen: Whoami = response.json();
    for gone in [
        "connection",
        "x-hop-secret",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
    ] {
        assert!(
            !seen.header_names.iter().any(|n| n == gone),
            "{gone} was forwarded: {seen:?}"
        );
    }
    assert!(seen.header_names.iter().any(|n| n == "x-end-to-end"));
    assert_eq!(
        seen.via,
        ["1.1 sut-gateway", VIA],
        "our Via is appended to the chain"
    );
    assert_eq!(proxy.next_event().await.decision, Decision::Allowed);
    proxy.shutdown_cleanly().await;
}
