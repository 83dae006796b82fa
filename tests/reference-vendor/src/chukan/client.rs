//! 中間サーバーへの相互 TLS の HTTP/1.1 クライアント (docs/chukan-api.md「相互 TLS」)。
//!
//! - 接続先の証明書は `chukan.ca_pem` の CA **だけ**で確かめます (OS の信頼する CA は使いません)。
//! - クライアント証明書と鍵は `chukan.client_pem` / `client_key` (PEM) です。ジョブごとに読み直すので、
//!   証明書が失効して取り直されたときも、次のジョブから新しいものを使います。
//! - 暗号は rustls の `ring` を [`ClientConfig::builder_with_provider`] で明示して使います。
//!   プロセス全体の既定 (`install_default`) は入れません (ほかのクレートの TLS を変えないため)。
//! - 接続は一つを保ち (keep-alive)、電文を順に送ります。切れていたらつなぎ直して一度だけ送り直します
//!   (符号取得要求を二度届けても、中間サーバーが `FUGOU_ALREADY_…` と答えるだけで害はありません)。

use crate::config::Chukan;
use crate::error::{Error, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// 1つの電文の期限 (つなぐ時間を含む)。
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// 応答の大きさの上限 (電文は 1 MiB まで。余裕をみて)。
const MAX_RESPONSE: usize = 4 * 1024 * 1024;

/// 応答: HTTP の状態と本文。
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

pub struct ChukanClient {
    connector: TlsConnector,
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    /// `Host` ヘッダの値。
    authority: String,
    /// 電文のパスの前の部分 (`/ws` など)。
    ws_path: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// つないだ回数 (報告のため)。
    pub connections: usize,
}

impl ChukanClient {
    /// 設定のファイルを読み、TLS の設定を作ります (まだつなぎません)。
    pub fn new(c: &Chukan) -> Result<ChukanClient> {
        let target = Target::parse(&c.base_url)?;
        let tls = tls_config(c)?;
        Ok(ChukanClient {
            connector: TlsConnector::from(Arc::new(tls)),
            server_name: target.server_name()?,
            authority: target.authority,
            host: target.host,
            port: target.port,
            ws_path: target.ws_path,
            sender: None,
            connections: 0,
        })
    }

    /// 電文を `POST {ws_path}/{電文ID}` で送り、応答を受け取ります。つながらない・TLS で断られた・期限切れは
    /// `Err` (人が読む一文)。
    pub async fn post(&mut self, denbun_id: &str, xml: String) -> Result<Reply> {
        let body = Bytes::from(xml);
        let mut last = String::new();
        for _ in 0..2 {
            match tokio::time::timeout(REQUEST_TIMEOUT, self.try_post(denbun_id, body.clone()))
                .await
            {
                Ok(Ok(reply)) => return Ok(reply),
                Ok(Err(e)) => last = e,
                Err(_) => last = format!("{}秒で答えがありません", REQUEST_TIMEOUT.as_secs()),
            }
            // 接続を捨てて、もう一度だけ (新しい接続で) 送ります。
            self.sender = None;
        }
        Err(Error::new(format!(
            "中間サーバー {}:{} に電文 {denbun_id} を送れません: {last}",
            self.host, self.port
        )))
    }

    async fn try_post(
        &mut self,
        denbun_id: &str,
        body: Bytes,
    ) -> std::result::Result<Reply, String> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            self.sender = Some(self.connect().await?);
        }
        let sender = self.sender.as_mut().ok_or("接続がありません")?;
        sender
            .ready()
            .await
            .map_err(|e| format!("接続が使えません: {}", chain(&e)))?;
        let request = hyper::Request::post(format!("{}/{denbun_id}", self.ws_path))
            .header(hyper::header::HOST, &self.authority)
            .header(
                hyper::header::CONTENT_TYPE,
                "application/xml; charset=utf-8",
            )
            .body(Full::new(body))
            .map_err(|e| format!("要求を作れません: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("要求を送れません: {}", chain(&e)))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_RESPONSE)
            .collect()
            .await
            .map_err(|e| format!("応答を受け取れません: {}", chain(e.as_ref())))?
            .to_bytes();
        Ok(Reply {
            status,
            body: body.to_vec(),
        })
    }

    async fn connect(&mut self) -> std::result::Result<SendRequest<Full<Bytes>>, String> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("つながりません: {}", chain(&e)))?;
        tcp.set_nodelay(true).ok();
        let tls = self
            .connector
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| format!("TLS のハンドシェイクが失敗しました: {}", chain(&e)))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| format!("HTTP/1.1 を始められません: {}", chain(&e)))?;
        // 接続を動かすタスク。送り手 (sender) を捨てると終わります。
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("reference-vendor: 中間サーバーとの接続が切れました: {e}");
            }
        });
        self.connections += 1;
        Ok(sender)
    }
}

/// 誤りと、その元の誤りをつないだ一文 (hyper の「connection error」だけでは TLS の警告が見えないため)。
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// CA とクライアント証明書から rustls の設定を作ります (暗号は ring を明示)。
fn tls_config(c: &Chukan) -> Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    let cas = CertificateDer::pem_file_iter(&c.ca_pem)
        .map_err(|e| Error::new(format!("chukan.ca_pem {} を読めません: {e}", c.ca_pem)))?;
    for ca in cas {
        let ca = ca.map_err(|e| Error::new(format!("chukan.ca_pem {}: {e}", c.ca_pem)))?;
        roots
            .add(ca)
            .map_err(|e| Error::new(format!("chukan.ca_pem {}: {e}", c.ca_pem)))?;
    }
    if roots.is_empty() {
        return Err(Error::new(format!(
            "chukan.ca_pem {} に証明書がありません",
            c.ca_pem
        )));
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&c.client_pem)
        .map_err(|e| {
            Error::new(format!(
                "chukan.client_pem {} を読めません: {e}",
                c.client_pem
            ))
        })?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::new(format!("chukan.client_pem {}: {e}", c.client_pem)))?;
    if chain.is_empty() {
        return Err(Error::new(format!(
            "chukan.client_pem {} に証明書がありません",
            c.client_pem
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&c.client_key).map_err(|e| {
        Error::new(format!(
            "chukan.client_key {} を読めません: {e}",
            c.client_key
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(format!("TLS の設定を作れません: {e}")))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| Error::new(format!("クライアント証明書と鍵を使えません: {e}")))
}

/// `chukan.base_url` を分けたもの。
#[derive(Debug, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    authority: String,
    ws_path: String,
}

impl Target {
    fn parse(base_url: &str) -> Result<Target> {
        let bad = |why: &str| Error::new(format!("chukan.base_url「{base_url}」: {why}"));
        let uri: hyper::Uri = base_url
            .parse()
            .map_err(|e| bad(&format!("URL ではありません ({e})")))?;
        if uri.scheme_str() != Some("https") {
            return Err(bad("https ではありません (中間サーバーは相互 TLS です)"));
        }
        let authority = uri.authority().ok_or_else(|| bad("ホストがありません"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = authority.port_u16().unwrap_or(443);
        let mut path = uri.path().trim_end_matches('/').to_owned();
        // 文書の例は `https://127.0.0.1:41233` (電文は /ws/ の下)。`/ws` まで書いた URL も受け付けます。
        if !path.ends_with("/ws") {
            path.push_str("/ws");
        }
        Ok(Target {
            host,
            port,
            authority: authority.as_str().to_owned(),
            ws_path: path,
        })
    }

    fn server_name(&self) -> Result<ServerName<'static>> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(ServerName::IpAddress(ip.into()));
        }
        ServerName::try_from(self.host.clone())
            .map_err(|e| Error::new(format!("chukan.base_url のホスト「{}」: {e}", self.host)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ws_path_is_added_unless_written() {
        let t = Target::parse("https://127.0.0.1:41233").unwrap();
        assert_eq!(
            t,
            Target {
                host: "127.0.0.1".into(),
                port: 41233,
                authority: "127.0.0.1:41233".into(),
                ws_path: "/ws".into()
            }
        );
        assert_eq!(
            Target::parse("https://localhost:18083/ws/")
                .unwrap()
                .ws_path,
            "/ws"
        );
        let v6 = Target::parse("https://[::1]:18083").unwrap();
        assert_eq!(v6.host, "::1");
        assert!(matches!(
            v6.server_name().unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            Target::parse("https://localhost:1")
                .unwrap()
                .server_name()
                .unwrap(),
            ServerName::DnsName(_)
        ));
        assert!(Target::parse("http://127.0.0.1:1").is_err());
    }
}
