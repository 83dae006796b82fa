//! What the simulated 連携サーバ answers when it will not or cannot forward, and how it survives
//! bad input: every case answered as documented, recorded when a request was parsed, and the
//! proxy still serving the next client.

mod proxy_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use proxy_support::{
    Origin, TestProxy, Whoami, closed_port, error_json, parse_response, raw_exchange,
    scripted_origin, silent_origin, within,
};
use renkei_simulator::proxy::{
    Authority, BadRequestReason, Decision, ErrorBody, ErrorCode, MAX_REQUEST_HEAD_BYTES,
    denied_message,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request that must go through: proof that the proxy still serves after bad input, and that
/// nothing was recorded in between.
async fn assert_still_serving(proxy: &mut TestProxy, origin: &Origin) {
    let seen: Whoami = proxy
        .client()
        .get(origin.url("/whoami"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::Allowed, "{event:?}");
    assert_eq!(event.hop, seen.hop.map(|hop| hop.id));
}

#[tokio::test]
async fn a_target_not_on_the_list_is_403_with_the_documented_json_and_the_origin_sees_nothing() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    let target = origin.addr.to_string();

    let response = proxy
        .client()
        .get(origin.url("/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    assert_eq!(
        body,
        format!(
            r#"{{"code":"PROXY_DENIED","message":"連携サーバはこの接続先への通信を許可していません: {target}","target":"{target}"}}"#
        )
    );
    let parsed: ErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed.code, ErrorCode::Denied);
    assert_eq!(parsed.message, denied_message(&target));

    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::Denied);
    assert_eq!(event.status, Some(403));
    assert_eq!(event.target, Some(Authority::from(origin.addr)));
    assert_eq!(event.path.as_deref(), Some("/whoami"));
    assert_eq!(
        (event.hop, event.bytes_up, event.bytes_down),
        (None, None, None)
    );

    // Allowed now: the first connection and the first request the origin ever gets.
    proxy.handle.allow(origin.addr);
    assert_still_serving(&mut proxy, &origin).await;
    assert_eq!(origin.connections.load(Ordering::SeqCst), 1);
    assert_eq!(origin.seen().len(), 1);
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn other_lgwan_sites_are_denied_by_name_without_a_lookup() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);
    // Same server, reached by another name: a different target, as with FQDN rules.
    let by_name = format!("localhost:{}", origin.addr.port());
    let response = proxy
        .client()
        .get(format!("http://{by_name}/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: ErrorBody = response.json().await.unwrap();
    assert_eq!(body.target.as_deref(), Some(by_name.as_str()));
    // A name that does not resolve is denied too, not 502: the list is checked first.
    let response = proxy
        .client()
        .get("http://other-site.lgwan.invalid/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    for expected in [by_name.as_str(), "other-site.lgwan.invalid:80"] {
        let event = proxy.next_event().await;
        assert_eq!(event.decision, Decision::Denied);
        assert_eq!(event.target.unwrap().to_string(), expected);
    }
    assert!(origin.seen().is_empty());
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn an_allowed_target_that_is_down_is_502_unreachable() {
    let mut proxy = TestProxy::start().await;
    let nowhere = closed_port().await;
    proxy.handle.allow(nowhere);
    let response = proxy
        .client()
        .get(format!("http://{nowhere}/api/v1/shinsei"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body: ErrorBody = response.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::UpstreamUnreachable);
    assert_eq!(body.target, Some(nowhere.to_string()));
    assert!(
        body.message.starts_with(&format!(
            "連携サーバから接続先 {nowhere} に接続できませんでした: "
        )),
        "{}",
        body.message
    );
    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::UpstreamUnreachable);
    assert_eq!(event.status, Some(502));
    assert_eq!(event.hop, None);
    assert_eq!(event.detail.as_deref(), Some(body.message.as_str()));
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn requests_that_cannot_be_forwarded_are_400_naming_what_is_wrong() {
    let mut proxy = TestProxy::start().await;
    let own = proxy.addr().to_string();
    let cases: Vec<(String, BadRequestReason, Option<String>)> = vec![
        (
            "GET /api/v1/shinsei HTTP/1.0\r\n\r\n".into(),
            BadRequestReason::NoTarget {
                path: "/api/v1/shinsei".into(),
            },
            None,
        ),
        (
            "GET /api/v1/shinsei HTTP/1.1\r\nConnection: close\r\n\r\n".into(),
            BadRequestReason::NoTarget {
                path: "/api/v1/shinsei".into(),
            },
            None,
        ),
        (
            "GET https://download.example.lg.jp/api HTTP/1.1\r\nHost: download.example.lg.jp\r\nConnection: close\r\n\r\n".into(),
            BadRequestReason::UnsupportedScheme {
                scheme: "https".into(),
            },
            Some("download.example.lg.jp".into()),
        ),
        (
            "GET /api HTTP/1.1\r\nHost: download.example.lg.jp:99999\r\nConnection: close\r\n\r\n".into(),
            BadRequestReason::BadTarget {
                target: "download.example.lg.jp:99999".into(),
                why: renkei_simulator::proxy::AuthorityError::BadPort {
                    port: "99999".into(),
                },
            },
            Some("download.example.lg.jp:99999".into()),
        ),
        (
            // A client that took the proxy for the download API.
            format!("GET /api/v1/shinsei HTTP/1.1\r\nHost: {own}\r\nConnection: close\r\n\r\n"),
            BadRequestReason::ToProxyItself {
                target: own.clone(),
            },
            Some(own.clone()),
        ),
    ];
    for (request, reason, target) in cases {
        let (response, sut) = raw_exchange(proxy.addr(), request.as_bytes()).await;
        assert_eq!(response.status, 400, "{request}");
        assert_eq!(
            String::from_utf8(response.body.clone()).unwrap(),
            error_json("PROXY_BAD_REQUEST", &reason.message(), target.as_deref()),
            "{request}"
        );
        let event = proxy.next_event().await;
        assert_eq!(event.client, sut);
        assert_eq!(event.decision, Decision::BadRequest);
        assert_eq!(event.status, Some(400));
        assert_eq!(event.detail, Some(reason.message()));
    }
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn garbage_is_answered_400_and_closed_and_the_next_client_is_served() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    // A client speaking TLS straight at the proxy, then plain noise.
    for garbage in [
        &b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n"[..],
        &b"\x00\xff\xfe hello \x7f\r\n\r\n"[..],
        &b"GET http://x/ HTTP/9.9\r\n\r\n"[..],
    ] {
        let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
        stream.write_all(garbage).await.unwrap();
        let mut raw = Vec::new();
        within("the proxy to close", stream.read_to_end(&mut raw))
            .await
            .unwrap();
        let response = parse_response(&raw);
        assert_eq!(response.status, 400, "{garbage:?}");
        assert!(response.body.is_empty(), "hyper's own answer: no body");
    }
    // Not requests, so not recorded: the next event is the next client's.
    assert_still_serving(&mut proxy, &origin).await;
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn an_oversized_head_is_431_and_the_next_client_is_served() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    // Exactly the limit, never terminated: the proxy reads all of it, answers, and closes.
    let mut huge = b"GET http://x/ HTTP/1.1\r\nX-Huge: ".to_vec();
    huge.resize(MAX_REQUEST_HEAD_BYTES, b'a');
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    stream.write_all(&huge).await.unwrap();
    let mut raw = Vec::new();
    within("the proxy to close", stream.read_to_end(&mut raw))
        .await
        .unwrap();
    assert_eq!(parse_response(&raw).status, 431);

    assert_still_serving(&mut proxy, &origin).await;
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn a_client_gone_mid_head_leaves_no_record_and_the_next_client_is_served() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    stream
        .write_all(format!("GET http://{}/whoami HTTP/1.1\r\nHost: ", origin.addr).as_bytes())
        .await
        .unwrap();
    stream.shutdown().await.unwrap();
    let mut raw = Vec::new();
    within("the proxy to close", stream.read_to_end(&mut raw))
        .await
        .unwrap();
    drop(stream);

    assert_still_serving(&mut proxy, &origin).await;
    assert_eq!(
        origin.seen().len(),
        1,
        "only the complete request reached the origin"
    );
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn a_client_gone_mid_body_is_recorded_and_its_hop_closed() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    let sut = stream.local_addr().unwrap();
    let head = format!(
        "POST http://{}/upload HTTP/1.1\r\nHost: {}\r\nContent-Length: 1000\r\n\r\n",
        origin.addr, origin.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[7u8; 10]).await.unwrap();
    drop(stream);

    let event = proxy.next_event().await;
    assert_eq!(event.client, sut);
    assert_eq!(event.method, "POST");
    assert_eq!(event.target, Some(Authority::from(origin.addr)));
    assert!(event.hop.is_some(), "the request was allowed and forwarded");
    // The proxy saw the body break while sending it on: the client's doing, not the target's.
    assert_eq!(event.decision, Decision::BadRequest);
    assert_eq!(event.status, Some(400));
    assert_eq!(
        event.detail,
        Some(BadRequestReason::IncompleteBody.message())
    );
    assert_eq!(event.bytes_up, Some(10));
    assert!(proxy.handle.hops().is_empty());
    assert_still_serving(&mut proxy, &origin).await;
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn a_client_that_gives_up_waiting_is_recorded_without_a_status() {
    let mut proxy = TestProxy::start().await;
    let hung = silent_origin().await;
    proxy.handle.allow(hung);

    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    let sut = stream.local_addr().unwrap();
    let request = format!("GET http://{hung}/api/v1/shinsei HTTP/1.1\r\nHost: {hung}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    // The hop opens once the proxy has connected to the (silent) target.
    let mut open = proxy.handle.hops().watch_len();
    within("the hop to open", open.wait_for(|n| *n == 1))
        .await
        .unwrap();
    drop(stream);

    let event = proxy.next_event().await;
    assert_eq!(event.client, sut);
    assert_eq!(event.decision, Decision::Allowed);
    assert_eq!(event.status, None, "no answer was ever given");
    assert!(event.hop.is_some());
    assert_eq!(
        event.detail.as_deref(),
        Some("応答を返す前に接続が終わりました (クライアントの切断、または連携サーバの停止)")
    );
    assert!(proxy.handle.hops().is_empty());
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn a_target_that_closes_before_answering_is_502_upstream_error() {
    let mut proxy = TestProxy::start().await;
    let broken = scripted_origin(b"").await;
    let not_http = scripted_origin(b"SSH-2.0-OpenSSH_9.6\r\n").await;
    for target in [broken, not_http] {
        proxy.handle.allow(target);
        let response = proxy
            .client()
            .get(format!("http://{target}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 502);
        let body: ErrorBody = response.json().await.unwrap();
        assert_eq!(body.code, ErrorCode::UpstreamError);
        assert!(
            body.message.starts_with(&format!(
                "接続先 {target} から HTTP の応答を受け取れませんでした: "
            )),
            "{}",
            body.message
        );
        let event = proxy.next_event().await;
        assert_eq!(event.decision, Decision::UpstreamError);
        assert_eq!(event.status, Some(502));
        assert!(event.hop.is_some());
        assert!(proxy.handle.hops().is_empty());
    }
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn a_target_that_breaks_off_mid_body_is_recorded_and_the_client_sees_it_cut() {
    let mut proxy = TestProxy::start().await;
    let target =
        scripted_origin(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789").await;
    proxy.handle.allow(target);

    // The proxy cuts the client connection when the target's body breaks off; whether the 200
    // head got out first is up to the write buffer. Either way no complete body arrives.
    let outcome = match proxy
        .client()
        .get(format!("http://{target}/shinsei.zip"))
        .send()
        .await
    {
        Ok(response) => {
            assert_eq!(response.status(), 200);
            response.bytes().await.map(|body| body.len())
        }
        Err(e) => Err(e),
    };
    assert!(
        outcome.is_err(),
        "the client must not see a complete body: {outcome:?}"
    );

    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::Allowed);
    assert_eq!(event.status, Some(200));
    assert_eq!(event.bytes_down, Some(10));
    let detail = event.detail.unwrap();
    assert!(
        detail.starts_with("接続先が応答本文の途中で接続を切りました"),
        "{detail}"
    );
    assert!(proxy.handle.hops().is_empty());
    proxy.shutdown_cleanly().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gone_mid_download_is_recorded_with_what_it_got() {
    const LEN: u64 = 512 * 1024 * 1024;
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);

    let client = proxy.client();
    let mut response = client
        .get(origin.url(&format!("/bytes/{LEN}")))
        .send()
        .await
        .unwrap();
    assert!(response.chunk().await.unwrap().is_some());
    drop(response);
    drop(client);

    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::Allowed);
    assert_eq!(event.status, Some(200));
    assert!(event.bytes_down.unwrap() < LEN, "{event:?}");
    assert_eq!(
        event.detail.as_deref(),
        Some("応答本文の途中で接続が終わりました (クライアントの切断、または連携サーバの停止)")
    );
    assert!(proxy.handle.hops().is_empty());
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_stops_listening() {
    let mut proxy = TestProxy::start().await;
    let origin = Origin::start(proxy.handle.hops()).await;
    proxy.handle.allow(origin.addr);
    let addr = proxy.addr();
    // A kept-alive client connection, idle when shutdown comes.
    let client = proxy.client();
    let status = client
        .get(origin.url("/whoami"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert_eq!(proxy.next_event().await.decision, Decision::Allowed);

    let report = within("shutdown", proxy.handle.shutdown()).await;
    assert_eq!(
        (report.connections, report.aborted, report.panicked),
        (1, 0, 0)
    );
    proxy
        .events
        .try_recv()
        .expect_err("nothing more was recorded");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
    drop(client);
}

#[tokio::test]
async fn shutdown_cuts_a_stalled_client_after_the_grace_period() {
    let proxy = TestProxy::start_with(|p| p.shutdown_grace(Duration::from_millis(100))).await;
    let mut stalled = TcpStream::connect(proxy.addr()).await.unwrap();
    stalled
        .write_all(b"GET http://x:80/ HTTP/1.1\r\nHo")
        .await
        .unwrap();
    // Wait until the proxy has accepted it, by a request on a second connection.
    let (response, _) = raw_exchange(proxy.addr(), b"GET /x HTTP/1.0\r\n\r\n").await;
    assert_eq!(response.status, 400);

    let report = within("shutdown", proxy.handle.shutdown()).await;
    assert_eq!(report.connections, 2);
    assert_eq!(report.aborted, 1, "{report:?}");
    assert_eq!(report.panicked, 0);
    let mut rest = Vec::new();
    within(
        "the stalled connection to be closed",
        stalled.read_to_end(&mut rest),
    )
    .await
    .unwrap();
}
