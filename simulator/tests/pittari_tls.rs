//! The download API over https (`renkei serve --tls`), reached as a 申請管理システム must reach it:
//! a CONNECT tunnel through the 連携サーバ, TLS inside, trusting the CA the admin API serves.
//! Real sockets on loopback, a real `--data` directory.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::scenario::{Expanded, Scenario};
use renkei_simulator::journal::{Query, System};
use renkei_simulator::stack::{Stack, StackOptions};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The default scenario, smaller: 200 residents, 20 申請.
fn small() -> Expanded {
    let text = renkei_fixtures::scenario::DEFAULT
        .replace("residents = 1000", "residents = 200")
        .replace("generated = 300", "generated = 20");
    Scenario::from_toml(&text)
        .unwrap()
        .expand(Catalogs::embedded())
        .unwrap()
}

fn tls_options(data: &std::path::Path) -> StackOptions {
    StackOptions {
        pittari_tls: true,
        data_dir: Some(data.to_owned()),
        ..StackOptions::default()
    }
}

/// What a 申請管理システム configures: trust the CA, use the 連携サーバ as proxy.
struct Shinsei {
    config: Arc<rustls::ClientConfig>,
    api: SocketAddr,
    proxy: SocketAddr,
}

struct Answer {
    status: u16,
    body: Value,
}

impl Shinsei {
    async fn configure(stack: &Stack) -> Shinsei {
        let ca = reqwest::get(format!(
            "http://{}/admin/v1/pittari/ca.pem",
            stack.addresses.admin
        ))
        .await
        .unwrap();
        assert_eq!(ca.status(), 200);
        let ca = ca.text().await.unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
            .unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        Shinsei {
            config: Arc::new(config),
            api: stack.addresses.pittari,
            proxy: stack.addresses.proxy,
        }
    }

    /// Opens a CONNECT tunnel to the API through the 連携サーバ; the stream past the `200`.
    async fn tunnel(&self) -> TcpStream {
        let mut stream = TcpStream::connect(self.proxy).await.unwrap();
        let target = self.api;
        stream
            .write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let head = read_head(&mut stream).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        stream
    }

    /// One https request on `stream` (TLS to the API's address, as its URL names it).
    async fn send(
        &self,
        stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let name = ServerName::from(self.api.ip());
        let tls = tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, stream)
            .await
            .unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .unwrap();
        tokio::spawn(connection);
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.api.to_string())
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = body.map_or_else(Vec::new, |b| serde_json::to_vec(&b).unwrap());
        let response = sender
            .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// One https request through a fresh tunnel.
    async fn via_proxy(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let tunnel = self.tunnel().await;
        self.send(tunnel, method, path, token, body).await
    }
}

/// Reads a response head (through the blank line), byte by byte so nothing after it is taken.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "head cut short");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

fn login_body() -> Value {
    json!({"login_id": "tetsuzuki01", "password": "renkei-tetsuzuki-01"})
}

#[tokio::test]
async fn a_shinsei_kanri_system_logs_in_over_https_through_the_renkei_server() {
    let data = tempfile::tempdir().unwrap();
    let expanded = small();
    let stack = Stack::start(&expanded, tls_options(data.path()))
        .await
        .unwrap();
    assert!(stack.pittari_url().starts_with("https://"));
    let journal = stack.journal.clone();
    let vendor = Shinsei::configure(&stack).await;

    // Through the tunnel: log in, list the 申請, fetch the JPKI's CA, each over TLS.
    let login = vendor
        .via_proxy("POST", "/pittari/v1/login", None, Some(login_body()))
        .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let token = login.body["token"].as_str().unwrap().to_owned();
    let list = vendor
        .via_proxy("GET", "/pittari/v1/shinsei?per_page=5", Some(&token), None)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 5);

    // Keep-alive inside one tunnel: two requests, one hop.
    let tunnel = vendor.tunnel().await;
    let name = ServerName::from(vendor.api.ip());
    let tls = tokio_rustls::TlsConnector::from(vendor.config.clone())
        .connect(name, tunnel)
        .await
        .unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(connection);
    for _ in 0..2 {
        let request = hyper::Request::builder()
            .uri("/pittari/v1/shori-jokyo")
            .header("host", vendor.api.to_string())
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        response.into_body().collect().await.unwrap();
    }
    drop(sender);

    // Straight to the API, TLS and all, without the 連携サーバ: refused.
    let direct = TcpStream::connect(vendor.api).await.unwrap();
    let refused = vendor
        .send(
            direct,
            "POST",
            "/pittari/v1/login",
            None,
            Some(login_body()),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["code"], "NOT_VIA_RENKEI_SERVER");

    // The API's view: every exchange through the tunnel carries its hop; the direct one none.
    let api_side = journal.query(&Query {
        system: Some(System::Pittari),
        ..Query::default()
    });
    let hops: Vec<Option<u64>> = api_side
        .exchanges
        .iter()
        .map(|e| e.caller.proxy_hop)
        .collect();
    assert_eq!(hops.len(), 5, "{hops:?}");
    assert!(hops[..4].iter().all(Option::is_some), "{hops:?}");
    assert_eq!(hops[2], hops[3], "one tunnel, one hop");
    assert_ne!(hops[0], hops[1], "a tunnel per connection");
    assert_eq!(hops[4], None);

    // The CA is in the data directory too.
    let file =
        std::fs::read_to_string(data.path().join(renkei_simulator::pittari::tls::CA_FILE)).unwrap();
    assert_eq!(Some(file.clone()), stack.pittari_ca_pem);
    stack.shutdown().await;

    // Once the stack has stopped, every tunnel is closed and recorded by the 連携サーバ.
    let proxy_side = journal.query(&Query {
        system: Some(System::RenkeiServer),
        ..Query::default()
    });
    let connects: Vec<_> = proxy_side
        .exchanges
        .iter()
        .filter(|e| e.method == "CONNECT")
        .collect();
    assert_eq!(connects.len(), 3, "three tunnels");
    assert!(connects.iter().all(|e| e.status == 200));

    // A restart on the same directory presents the same certificate: the CA a vendor installed
    // still works, and the token issued before is still good.
    let again = Stack::start(&expanded, tls_options(data.path()))
        .await
        .unwrap();
    assert_eq!(again.pittari_ca_pem.as_deref(), Some(file.as_str()));
    let vendor = Shinsei::configure(&again).await;
    let list = vendor
        .via_proxy("GET", "/pittari/v1/shinsei?per_page=1", Some(&token), None)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    again.shutdown().await;
}

#[tokio::test]
async fn plain_http_to_the_https_api_fails_at_the_proxy_and_the_default_stays_http() {
    let data = tempfile::tempdir().unwrap();
    let expanded = small();
    let stack = Stack::start(&expanded, tls_options(data.path()))
        .await
        .unwrap();
    // `http://` to an API that speaks TLS: the 連携サーバ gets no HTTP answer.
    let response = reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(format!("http://{}", stack.addresses.proxy)).unwrap())
        .build()
        .unwrap()
        .post(format!(
            "http://{}/pittari/v1/login",
            stack.addresses.pittari
        ))
        .json(&login_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "PROXY_UPSTREAM_ERROR");
    stack.shutdown().await;

    // Without the option: plain http as before, and no CA to fetch.
    let plain = Stack::start(&expanded, StackOptions::default())
        .await
        .unwrap();
    assert!(plain.pittari_url().starts_with("http://"));
    assert!(plain.pittari_ca_pem.is_none());
    let ca = reqwest::get(format!(
        "http://{}/admin/v1/pittari/ca.pem",
        plain.addresses.admin
    ))
    .await
    .unwrap();
    assert_eq!(ca.status(), 404);
    assert_eq!(ca.json::<Value>().await.unwrap()["code"], "NO_TLS");
    plain.shutdown().await;
}
