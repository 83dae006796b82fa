//! A tenant's client of the 中間サーバー: mutual TLS with the tenant's certificate, as a 既存システム
//! connects (docs/chukan-api.md "相互 TLS").
//!
//! renkei uses it where it plays a 団体 itself — the partner agency of a 機関間テスト, the provider a
//! vendor's system asks — so that what renkei does goes through the same interface, checks and
//! journal as what the vendor's system does. [`TenantClient::send`] opens a connection a request
//! (simple, and renkei's own requests are few); [`TenantClient::open`] keeps one connection for
//! many, as `renkei bench shoukai --via https` does.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::BodyExt as _;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::platform::{Chukan, Tenant};

/// The answer to one request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub text: String,
}

impl Answer {
    /// The text of the first `<element>` of the answer (empty when absent).
    pub fn value(&self, element: &str) -> &str {
        values(&self.text, element).into_iter().next().unwrap_or("")
    }

    /// The texts of every `<element>` of the answer, in order.
    pub fn values(&self, element: &str) -> Vec<&str> {
        values(&self.text, element)
    }
}

/// The texts of every `<element>…</element>` in `xml` (elements without attributes; enough for
/// the 電文 the server writes).
pub fn values<'t>(xml: &'t str, element: &str) -> Vec<&'t str> {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    found
}

/// Why a request could not be made at all.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("中間サーバーのクライアント証明書を読めません: {0}")]
    Certificate(String),
    #[error("中間サーバー {addr} につながりません: {message}")]
    Connect { addr: SocketAddr, message: String },
}

/// A 既存システム of one tenant.
#[derive(Clone)]
pub struct TenantClient {
    kikan: String,
    msg_mode: String,
    source_system_id: String,
    config: Arc<rustls::ClientConfig>,
    addr: SocketAddr,
}

impl TenantClient {
    /// The client of `tenant` on the server at `addr`, with the tenant's current certificate.
    pub fn new(
        chukan: &Chukan,
        tenant: &Tenant,
        addr: SocketAddr,
        source_system_id: &str,
    ) -> Result<Self, ClientError> {
        let (_, identity) = tenant.certificate();
        let bad = |e: &dyn std::fmt::Display| ClientError::Certificate(e.to_string());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(chukan.ca_pem().as_bytes()).map_err(|e| bad(&e))?)
            .map_err(|e| bad(&e))?;
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![
                CertificateDer::from_pem_slice(identity.cert_pem().as_bytes())
                    .map_err(|e| bad(&e))?,
            ],
            PrivateKeyDer::from_pem_slice(identity.key_pem().as_bytes()).map_err(|e| bad(&e))?,
        )
        .map_err(|e| bad(&e))?;
        Ok(TenantClient {
            kikan: tenant.kikan().as_str().to_owned(),
            msg_mode: tenant.mode.code().to_owned(),
            source_system_id: source_system_id.to_owned(),
            config: Arc::new(config),
            addr,
        })
    }

    /// The tenant's 機関コード.
    pub fn kikan(&self) -> &str {
        &self.kikan
    }

    /// Opens one mutual-TLS connection that can carry many requests (HTTP/1.1 keep-alive), for
    /// callers that send many: the benchmark, a bulk setup.
    pub async fn open(&self) -> Result<TenantConnection, ClientError> {
        let connect = |message: String| ClientError::Connect {
            addr: self.addr,
            message,
        };
        let tcp = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| connect(e.to_string()))?;
        let name = ServerName::try_from("127.0.0.1").expect("an IP address is a server name");
        let tls = tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| connect(e.to_string()))?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| connect(e.to_string()))?;
        tokio::spawn(connection);
        Ok(TenantConnection {
            client: self.clone(),
            sender,
        })
    }

    /// Sends one request on a connection of its own and reads the whole answer.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Answer, ClientError> {
        self.open()
            .await?
            .send(method, path, content_type, body)
            .await
    }

    /// The 電文 `id` with these body elements (in order; values escaped), as the XML sent.
    pub fn denbun_xml(&self, id: &str, items: &[(&str, &str)]) -> String {
        let body: String = items
            .iter()
            .map(|(name, value)| format!("    <{name}>{}</{name}>\n", escape(value)))
            .collect();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{id}>\n  <MessageHeader>\n    <MSGID>RENKEI-{id}</MSGID>\n    <MSGTypeID>{id}</MSGTypeID>\n    <MSGMode>{}</MSGMode>\n    <SourceSystemID>{}</SourceSystemID>\n    <DestinationSystemID>{}</DestinationSystemID>\n  </MessageHeader>\n  <MessageBody>\n{body}  </MessageBody>\n</{id}>\n",
            self.msg_mode, self.source_system_id, self.kikan
        )
    }

    /// Sends the 電文 `id` with these body elements (in order; values escaped).
    pub async fn denbun(&self, id: &str, items: &[(&str, &str)]) -> Result<Answer, ClientError> {
        let text = self.denbun_xml(id, items);
        self.send(
            "POST",
            &format!("/ws/{id}"),
            "application/xml; charset=utf-8",
            text.into_bytes(),
        )
        .await
    }

    /// Uploads a file on the サーバー間XMLデータ連携 route.
    pub async fn upload(&self, name: &str, body: String) -> Result<Answer, ClientError> {
        self.send(
            "POST",
            &format!("/xml/v1/files/{name}"),
            "application/xml",
            body.into_bytes(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Result<Answer, ClientError> {
        self.send("GET", path, "text/plain", Vec::new()).await
    }
}

/// One kept-alive connection of a [`TenantClient`]: requests go one after another on it.
pub struct TenantConnection {
    client: TenantClient,
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>,
}

impl TenantConnection {
    /// Sends one request on this connection and reads the whole answer.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Answer, ClientError> {
        let connect = |message: String| ClientError::Connect {
            addr: self.client.addr,
            message,
        };
        self.sender
            .ready()
            .await
            .map_err(|e| connect(e.to_string()))?;
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("content-type", content_type)
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .map_err(|e| connect(e.to_string()))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| connect(e.to_string()))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| connect(e.to_string()))?
            .to_bytes();
        Ok(Answer {
            status,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// Sends the 電文 `id` with these body elements on this connection.
    pub async fn denbun(
        &mut self,
        id: &str,
        items: &[(&str, &str)],
    ) -> Result<Answer, ClientError> {
        let text = self.client.denbun_xml(id, items);
        self.send(
            "POST",
            &format!("/ws/{id}"),
            "application/xml; charset=utf-8",
            text.into_bytes(),
        )
        .await
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
