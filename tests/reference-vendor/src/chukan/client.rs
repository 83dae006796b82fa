//! 中間サーバーへの相互 TLS の HTTP/1.1 クライアント (docs/chukan-api.md「相互 TLS」)。
//!
//! - 接続先の証明書は `chukan.ca_pem` の CA **だけ**で確かめます (OS の信頼する CA は使いません)。
//! - クライアント証明書と鍵は `chukan.client_pem` / `client_key` (PEM) です。**つなぐたびに**読み直すので、
//!   証明書が更新・失効で入れ替えられたとき (同じパスのファイルが書き換えられる、SEC-01) も、次の接続から
//!   新しいものを使います (docs/kizon-gyomu.md「暗号化通信用証明書の入れ替え」)。
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

/// 大きな答え (突合用ファイル、記録ファイル) の上限。
pub const MAX_EXPORT: usize = 256 * 1024 * 1024;

/// 送る要求。
struct Request {
    method: hyper::Method,
    path: String,
    content_type: Option<String>,
    body: Bytes,
    max_response: usize,
}

impl Request {
    fn xml(path: String, xml: String) -> Request {
        Request {
            method: hyper::Method::POST,
            path,
            content_type: Some("application/xml; charset=utf-8".to_owned()),
            body: Bytes::from(xml),
            max_response: MAX_RESPONSE,
        }
    }
}

/// 送り直してよいか。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resend {
    /// 届いたか分からなくても送り直す (読むだけ、二度届いても害がない)。
    Always,
    /// 要求を送る前に失敗したときだけ送り直す。
    IfNotSent,
}

/// 1回の試みの失敗。
enum Attempt {
    /// 要求を送る前 (つなぐ、接続が使えない): 送り直しても二度届きません。
    NotSent(String),
    /// 送ったあと (答えが切れた、期限切れ): 届いたかどうか分かりません。
    Unknown(String),
}

/// `multipart/form-data` の本文 (部品 `message` と `attachment`)。区切りは中身に現れないものを選びます。
fn multipart(message: &str, file_name: &str, attachment: &[u8]) -> (String, Vec<u8>) {
    let mut n = 0u32;
    let boundary = loop {
        let b = format!("renkei-reference-vendor-{n:08x}");
        let needle = b.as_bytes();
        let inside = |hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        if !inside(message.as_bytes()) && !inside(attachment) {
            break b;
        }
        n += 1;
    };
    let mut body = Vec::with_capacity(message.len() + attachment.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"message\"\r\nContent-Type: application/xml; charset=utf-8\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(message.as_bytes());
    body.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{file_name}\"\r\nContent-Type: application/xml; charset=utf-8\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(attachment);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// 応答: HTTP の状態と本文。
#[derive(Debug)]
pub struct HttpReply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// クライアント証明書と鍵の PEM の中身。
#[derive(Clone, Debug)]
pub struct ClientIdentity {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
}

impl ClientIdentity {
    /// 設定の `chukan.client_pem` と `client_key` を読みます。
    pub fn read(c: &Chukan) -> Result<ClientIdentity> {
        let read = |what: &str, path: &str| {
            std::fs::read(path)
                .map_err(|e| Error::new(format!("chukan.{what} {path} を読めません: {e}")))
        };
        Ok(ClientIdentity {
            cert_pem: read("client_pem", &c.client_pem)?,
            key_pem: read("client_key", &c.client_key)?,
        })
    }
}

pub struct ChukanClient {
    /// CA・クライアント証明書・鍵のファイルのパス (つなぐたびに読み直します)。
    settings: Chukan,
    /// 決まったクライアント証明書と鍵 (不具合 `tls-cert-cached` のときだけ。ふつうは `None` でファイルを読む)。
    fixed: Option<ClientIdentity>,
    /// `new` で読んで確かめた TLS の設定。最初の接続にだけ使います。
    first: Option<TlsConnector>,
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    /// `Host` ヘッダの値。
    authority: String,
    /// 電文のパスの前の部分 (`/ws` など)。
    ws_path: String,
    /// ファイル連携のパスの前の部分 (`base_url` のパス。ふつうは空)。
    base_path: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// つないだ回数 (報告のため)。
    pub connections: usize,
}

impl ChukanClient {
    /// 設定のファイルを読み、TLS の設定を作れるか確かめます (まだつなぎません)。読めなければ `Err`。
    pub fn new(c: &Chukan) -> Result<ChukanClient> {
        ChukanClient::with_identity(c, None)
    }

    /// `fixed` があれば、ファイルでなくそのクライアント証明書と鍵でつなぎます (CA はファイルから)。
    pub fn with_identity(c: &Chukan, fixed: Option<ClientIdentity>) -> Result<ChukanClient> {
        let target = Target::parse(&c.base_url)?;
        let tls = tls_config(c, fixed.as_ref())?;
        Ok(ChukanClient {
            settings: c.clone(),
            fixed,
            first: Some(TlsConnector::from(Arc::new(tls))),
            server_name: target.server_name()?,
            authority: target.authority,
            host: target.host,
            port: target.port,
            ws_path: target.ws_path,
            base_path: target.base_path,
            sender: None,
            connections: 0,
        })
    }

    /// 電文を `POST {ws_path}/{電文ID}` で送り、応答を受け取ります。つながらない・TLS で断られた・期限切れは
    /// `Err` (人が読む一文)。届いたか分からないときも一度だけ送り直します: 読むだけの電文と、二度届いても
    /// 害のない電文 (符号取得要求) に使います。
    pub async fn post(&mut self, denbun_id: &str, xml: String) -> Result<HttpReply> {
        let path = format!("{}/{denbun_id}", self.ws_path);
        self.send(Request::xml(path, xml), Resend::Always, denbun_id)
            .await
    }

    /// 二度届くと困る電文 (照会の登録、取りやめ、送信許可など) を送ります。送り直すのは、要求を送る前に
    /// 接続が使えないと分かったときだけです。
    pub async fn post_once(&mut self, denbun_id: &str, xml: String) -> Result<HttpReply> {
        let path = format!("{}/{denbun_id}", self.ws_path);
        self.send(Request::xml(path, xml), Resend::IfNotSent, denbun_id)
            .await
    }

    /// 添付ファイルつきの電文 (`IF_DBM_20113_R01`、`IF_SKI_10723_R01`) を `multipart/form-data` で送ります:
    /// 部品 `message` (電文) と `attachment` (ファイル、`filename` は添付ファイル名) をこの順に
    /// (docs/chukan-api.md「IF_DBM_20113_R01 副本登録」)。二度届くと困るので、送る前に切れていたときだけ送り直します。
    pub async fn post_multipart(
        &mut self,
        denbun_id: &str,
        message: &str,
        file_name: &str,
        attachment: &[u8],
    ) -> Result<HttpReply> {
        let (content_type, body) = multipart(message, file_name, attachment);
        let request = Request {
            method: hyper::Method::POST,
            path: format!("{}/{denbun_id}", self.ws_path),
            content_type: Some(content_type),
            body: Bytes::from(body),
            max_response: MAX_RESPONSE,
        };
        self.send(request, Resend::IfNotSent, denbun_id).await
    }

    /// `GET {base}{path}` (ファイル連携の処理状況・結果ファイル・突合用ファイル、`path` は `/xml/v1/…`)。
    /// 答えは `max_response` バイトまで受け取ります。
    pub async fn get(&mut self, path: &str, max_response: usize) -> Result<HttpReply> {
        let request = Request {
            method: hyper::Method::GET,
            path: format!("{}{path}", self.base_path),
            content_type: None,
            body: Bytes::new(),
            max_response,
        };
        self.send(request, Resend::Always, path).await
    }

    async fn send(&mut self, request: Request, resend: Resend, what: &str) -> Result<HttpReply> {
        // 大きなファイルは送るのに時間がかかるので、期限を大きさで延ばします (1 MiB ごとに 1 秒)。
        let timeout = REQUEST_TIMEOUT + Duration::from_secs((request.body.len() >> 20) as u64);
        let mut last = String::new();
        for _ in 0..2 {
            match tokio::time::timeout(timeout, self.try_send(&request)).await {
                Ok(Ok(reply)) => return Ok(reply),
                Ok(Err(Attempt::NotSent(e))) => last = e,
                Ok(Err(Attempt::Unknown(e))) => {
                    last = e;
                    if resend == Resend::IfNotSent {
                        self.sender = None;
                        break;
                    }
                }
                Err(_) => {
                    last = format!("{}秒で答えがありません", timeout.as_secs());
                    if resend == Resend::IfNotSent {
                        self.sender = None;
                        break;
                    }
                }
            }
            // 接続を捨てて、もう一度だけ (新しい接続で) 送ります。
            self.sender = None;
        }
        Err(Error::new(format!(
            "中間サーバー {}:{} に {what} を送れません: {last}",
            self.host, self.port
        )))
    }

    async fn try_send(&mut self, r: &Request) -> std::result::Result<HttpReply, Attempt> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            self.sender = Some(self.connect().await.map_err(Attempt::NotSent)?);
        }
        let sender = self
            .sender
            .as_mut()
            .ok_or_else(|| Attempt::NotSent("接続がありません".to_owned()))?;
        sender
            .ready()
            .await
            .map_err(|e| Attempt::NotSent(format!("接続が使えません: {}", chain(&e))))?;
        let mut builder = hyper::Request::builder()
            .method(r.method.clone())
            .uri(r.path.as_str())
            .header(hyper::header::HOST, &self.authority);
        if let Some(ct) = &r.content_type {
            builder = builder.header(hyper::header::CONTENT_TYPE, ct.as_str());
        }
        let request = builder
            .body(Full::new(r.body.clone()))
            .map_err(|e| Attempt::NotSent(format!("要求を作れません: {e}")))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| Attempt::Unknown(format!("要求を送れません: {}", chain(&e))))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), r.max_response)
            .collect()
            .await
            .map_err(|e| Attempt::Unknown(format!("応答を受け取れません: {}", chain(e.as_ref()))))?
            .to_bytes();
        Ok(HttpReply {
            status,
            body: body.to_vec(),
        })
    }

    async fn connect(&mut self) -> std::result::Result<SendRequest<Full<Bytes>>, String> {
        // つなぐたびに証明書と鍵のファイルを読み直します (入れ替えられていれば新しいものを使う)。
        let connector = match self.first.take() {
            Some(c) => c,
            None => TlsConnector::from(Arc::new(
                tls_config(&self.settings, self.fixed.as_ref()).map_err(|e| e.0)?,
            )),
        };
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("つながりません: {}", chain(&e)))?;
        tcp.set_nodelay(true).ok();
        let tls = connector
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

/// CA とクライアント証明書から rustls の設定を作ります (暗号は ring を明示)。クライアント証明書と鍵は
/// `fixed` があればそれ、なければいまのファイルです。
fn tls_config(c: &Chukan, fixed: Option<&ClientIdentity>) -> Result<ClientConfig> {
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
    let identity = match fixed {
        Some(f) => f.clone(),
        None => ClientIdentity::read(c)?,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&identity.cert_pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::new(format!("chukan.client_pem {}: {e}", c.client_pem)))?;
    if chain.is_empty() {
        return Err(Error::new(format!(
            "chukan.client_pem {} に証明書がありません",
            c.client_pem
        )));
    }
    let key = PrivateKeyDer::from_pem_slice(&identity.key_pem).map_err(|e| {
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
    base_path: String,
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
        let path = uri.path().trim_end_matches('/');
        // 文書の例は `https://127.0.0.1:41233` (電文は /ws/ の下、ファイル連携は /xml/v1/ の下)。
        // `/ws` まで書いた URL も受け付けます。
        let base_path = path.strip_suffix("/ws").unwrap_or(path).to_owned();
        Ok(Target {
            host,
            port,
            authority: authority.as_str().to_owned(),
            ws_path: format!("{base_path}/ws"),
            base_path,
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
                ws_path: "/ws".into(),
                base_path: "".into(),
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
        let ws = Target::parse("https://localhost:18083/ws/").unwrap();
        assert_eq!(ws.base_path, "", "ファイル連携は /ws の外");
    }

    #[test]
    fn multipart_has_the_two_parts_in_order() {
        let (ct, body) = multipart("<m/>", "FI_DBM_0001_a.xml", b"<f/>");
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8(body).unwrap();
        let m = text.find("name=\"message\"").unwrap();
        let a = text
            .find("name=\"attachment\"; filename=\"FI_DBM_0001_a.xml\"")
            .unwrap();
        assert!(m < a);
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
        assert!(text.contains("\r\n\r\n<m/>\r\n--") && text.contains("\r\n\r\n<f/>\r\n--"));
        // 区切りが中身に現れれば別のものを選ぶ
        let (ct2, _) = multipart("renkei-reference-vendor-00000000", "f.xml", b"");
        assert!(ct2.ends_with("-00000001"));
    }
}
