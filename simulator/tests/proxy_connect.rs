//! CONNECT through the simulated 連携サーバ: tunnels to allowed targets only, hops for tunnels.

mod proxy_support;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use proxy_support::{
    Echo, TestProxy, closed_port, error_json, parse_response, raw_exchange, read_head, within,
};
use renkei_simulator::proxy::{Authority, Decision, denied_message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Opens a tunnel to `target` through `proxy`; returns the stream (past the 200) and its address.
async fn open_tunnel(proxy: SocketAddr, target: &str) -> (TcpStream, SocketAddr) {
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let local = stream.local_addr().unwrap();
    let request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = within("the CONNECT answer", read_head(&mut stream))
        .await
        .unwrap();
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    (stream, local)
}

async fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "line cut short");
        line.push(byte[0]);
    }
    String::from_utf8(line).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_to_an_allowed_target_tunnels_bytes_both_ways() {
    const LEN: usize = 256 * 1024;
    let mut proxy = TestProxy::start().await;
    let echo = Echo::start(proxy.handle.hops()).await;
    proxy.handle.allow(echo.addr);

    let (mut tunnel, sut) = open_tunnel(proxy.addr(), &echo.addr.to_string()).await;
    // The echo server asked the registry about its peer: a tunnel hop, on behalf of this SUT.
    let greeting = within("the echo greeting", read_line(&mut tunnel)).await;
    let hop = proxy
        .handle
        .hops()
        .open_hops()
        .pop()
        .expect("the tunnel's hop is open");
    assert_eq!(greeting, format!("hop {} {sut}\n", hop.id.get()));
    assert_eq!(hop.client, sut);
    assert_eq!(hop.target, Authority::from(echo.addr));

    let sent: Vec<u8> = (0..LEN).map(|i| (i % 253) as u8).collect();
    let (mut read, mut write) = tunnel.split();
    let writer = async {
        write.write_all(&sent).await.unwrap();
        write.shutdown().await.unwrap();
    };
    let mut echoed = Vec::new();
    let reader = read.read_to_end(&mut echoed);
    let ((), read_result) = within("the echo", async { tokio::join!(writer, reader) }).await;
    read_result.unwrap();
    assert_eq!(echoed, sent, "bytes come back unchanged");

    let event = proxy.next_event().await;
    assert_eq!(event.method, "CONNECT");
    assert_eq!(event.decision, Decision::Allowed);
    assert_eq!(event.status, Some(200));
    assert_eq!(event.client, sut);
    assert_eq!(event.target, Some(Authority::from(echo.addr)));
    assert_eq!(event.path, None);
    assert_eq!(event.hop, Some(hop.id));
    assert_eq!(event.bytes_up, Some(LEN as u64));
    assert_eq!(event.bytes_down, Some((greeting.len() + LEN) as u64));
    assert_eq!(event.detail, None);
    assert!(
        proxy.handle.hops().is_empty(),
        "the tunnel's hop closed with it"
    );
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn connect_to_a_target_not_on_the_list_is_403_and_the_target_sees_nothing() {
    let mut proxy = TestProxy::start().await;
    let echo = Echo::start(proxy.handle.hops()).await;
    let target = echo.addr.to_string();

    let request =
        format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
    let (response, sut) = raw_exchange(proxy.addr(), request.as_bytes()).await;
    assert_eq!(response.status, 403);
    assert_eq!(
        String::from_utf8(response.body.clone()).unwrap(),
        error_json("PROXY_DENIED", &denied_message(&target), Some(&target))
    );
    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::Denied);
    assert_eq!(event.status, Some(403));
    assert_eq!(event.client, sut);
    assert_eq!(event.hop, None);
    assert_eq!(event.bytes_up, None);

    // Allowed now: this is the first connection the target ever gets.
    proxy.handle.allow(echo.addr);
    let (mut tunnel, _) = open_tunnel(proxy.addr(), &target).await;
    assert!(read_line(&mut tunnel).await.starts_with("hop "));
    assert_eq!(echo.connections.load(Ordering::SeqCst), 1);
    drop(tunnel);
    assert_eq!(proxy.next_event().await.decision, Decision::Allowed);

    // And disallowed again: new tunnels are refused.
    assert!(proxy.handle.disallow(echo.addr));
    let (response, _) = raw_exchange(proxy.addr(), request.as_bytes()).await;
    assert_eq!(response.status, 403);
    assert_eq!(proxy.next_event().await.decision, Decision::Denied);
    assert_eq!(echo.connections.load(Ordering::SeqCst), 1);
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn connect_targets_that_are_not_host_and_port_are_400() {
    let mut proxy = TestProxy::start().await;
    for (target, why) in [
        ("download.example.lg.jp", "ポート番号がありません"),
        (
            "download.example.lg.jp:0",
            "ポート番号「0」が 1〜65535 の整数ではありません",
        ),
        ("bad_host!:443", "ホスト名「bad_host!」が不正です"),
    ] {
        let request = format!("CONNECT {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (response, _) = raw_exchange(proxy.addr(), request.as_bytes()).await;
        assert_eq!(response.status, 400, "{target}");
        let body: serde_json::Value = response.json();
        assert_eq!(body["code"], "PROXY_BAD_REQUEST");
        assert_eq!(body["target"], target);
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("CONNECT の接続先「{target}」が不正です: {why}")),
            "{message}"
        );
        let event = proxy.next_event().await;
        assert_eq!(event.decision, Decision::BadRequest);
        assert_eq!(event.status, Some(400));
        assert_eq!(event.target, None);
        assert_eq!(event.detail.as_deref(), Some(message));
    }
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn connect_to_an_allowed_but_unreachable_target_is_502() {
    let mut proxy = TestProxy::start().await;
    let nowhere = closed_port().await;
    proxy.handle.allow(nowhere);
    let request = format!("CONNECT {nowhere} HTTP/1.1\r\nHost: {nowhere}\r\n\r\n");
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = within("the 502", read_head(&mut stream)).await.unwrap();
    let head_text = String::from_utf8_lossy(&head).into_owned();
    let length: usize = head_text
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    let mut raw = head;
    raw.extend_from_slice(&body);
    let response = parse_response(&raw);
    assert_eq!(response.status, 502);
    let body: serde_json::Value = response.json();
    assert_eq!(body["code"], "PROXY_UPSTREAM_UNREACHABLE");
    assert_eq!(body["target"], nowhere.to_string());

    let event = proxy.next_event().await;
    assert_eq!(event.decision, Decision::UpstreamUnreachable);
    assert_eq!(event.status, Some(502));
    assert_eq!(event.hop, None);
    assert!(proxy.handle.hops().is_empty());
    proxy.shutdown_cleanly().await;
}

#[tokio::test]
async fn shutdown_closes_open_tunnels_and_records_them() {
    let proxy = TestProxy::start().await;
    let echo = Echo::start(proxy.handle.hops()).await;
    proxy.handle.allow(echo.addr);
    let (mut tunnel, sut) = open_tunnel(proxy.addr(), &echo.addr.to_string()).await;
    let greeting = read_line(&mut tunnel).await;
    tunnel.write_all(b"ping").await.unwrap();
    let mut pong = [0u8; 4];
    tunnel.read_exact(&mut pong).await.unwrap();
    assert_eq!(&pong, b"ping");
    let hops = proxy.handle.hops();
    assert_eq!(hops.len(), 1);

    let mut events = proxy.shutdown_cleanly().await;
    let event = events
        .try_recv()
        .expect("the tunnel was recorded when it was closed");
    assert_eq!(event.client, sut);
    assert_eq!(event.decision, Decision::Allowed);
    assert_eq!(event.bytes_up, Some(4));
    assert_eq!(event.bytes_down, Some(greeting.len() as u64 + 4));
    assert_eq!(
        event.detail.as_deref(),
        Some("連携サーバの停止によりトンネルを閉じました")
    );
    assert!(hops.is_empty());
    let mut rest = Vec::new();
    within("the tunnel to close", tunnel.read_to_end(&mut rest))
        .await
        .unwrap();
    assert!(rest.is_empty());
}
