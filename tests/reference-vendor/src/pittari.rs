//! ぴったりサービスのダウンロード API のクライアント (docs/pittari-api.md、openapi/pittari.yaml)。
//!
//! **すべての要求を連携サーバ (HTTP プロキシ) に通します** (ING-01、docs/renkei-server-proxy.md)。
//! reqwest の `Proxy::all` は `http://` の URL を絶対形式で、`https://` を CONNECT のトンネルで送ります。
//! 環境変数のプロキシ設定 (`NO_PROXY` など) は読まないので、ローカルの宛先でもプロキシを飛ばしません。
//! JPKI リポジトリ (CA 証明書と CRL) も同じホストなので、同じくプロキシを通します。
//!
//! トークンは [`Session`] が持ち、`401 TOKEN_EXPIRED` ならログインし直して同じ要求をもう一度送ります (ING-23)。
//!
//! 不具合 proxy-bypass (プロキシの設定誤り) では、ダウンロード API への要求をどれもまず直接送り、
//! 断られたら連携サーバ経由で送り直します ([`Client::send`])。JPKI リポジトリはいつも連携サーバ経由です。

use crate::config::Pittari;
use crate::defects::{DefectKind, Seeded};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// ダウンロード API を呼んで失敗したこと。呼ぶ側はこれで扱いを分けます。
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// `503 OUTSIDE_SERVICE_HOURS`: 障害ではない。この回をやめ、次の回にやり直す (ING-22)。
    OutsideServiceHours,
    /// `401 TOKEN_EXPIRED`: ログインし直す (ING-23)。
    TokenExpired,
    /// ほかの HTTP のエラー (`500 TEMPORARY_FAILURE` など)。
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// つながらない、途中で切れた、本文が読めない。
    Transport(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::OutsideServiceHours => {
                f.write_str("サービス提供時間外です (503 OUTSIDE_SERVICE_HOURS)")
            }
            ApiError::TokenExpired => {
                f.write_str("トークンの有効期間が切れました (401 TOKEN_EXPIRED)")
            }
            ApiError::Refused {
                status,
                code,
                message,
            } => write!(f, "{status} {code}: {message}"),
            ApiError::Transport(e) => write!(f, "通信できませんでした: {e}"),
        }
    }
}

/// 一覧の1件 (ShinseiSummary のうち使うもの)。
#[derive(Clone, Debug, Deserialize)]
pub struct Summary {
    pub uketsuke_bango: String,
    pub tetsuzuki_id: String,
}

#[derive(Deserialize)]
struct ListPage {
    items: Vec<Summary>,
    has_next: bool,
}

#[derive(Deserialize)]
struct LoginAnswer {
    token: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    #[serde(default)]
    message: String,
}

/// 1ページの件数。文書の既定 (50) と同じにしています。
pub const PER_PAGE: u32 = 50;

/// 受け取る申請ZIPの大きさの上限。展開後の合計の上限 (128 MiB) の ZIP が圧縮されずに届いても入る大きさです。
pub const MAX_ZIP_BYTES: u64 = 160 * 1024 * 1024;

/// ダウンロード API の1回ごとの呼び出し。トークンは持ちません。
#[derive(Clone)]
pub struct Client {
    /// 連携サーバを通すクライアント。
    proxied: reqwest::Client,
    /// 不具合 proxy-bypass だけが使う、連携サーバを通さないクライアント (最初の試み)。
    direct: reqwest::Client,
    base: String,
    config: Pittari,
    seeded: Seeded,
}

impl Client {
    pub fn new(config: &Pittari, seeded: Seeded) -> Result<Client, String> {
        let proxy = reqwest::Proxy::all(config.proxy_url.as_str())
            .map_err(|e| format!("連携サーバのアドレス「{}」: {e}", config.proxy_url))?;
        let proxied = reqwest::Client::builder()
            .proxy(proxy)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(40))
            .build()
            .map_err(|e| format!("HTTP クライアントを作れません: {e}"))?;
        let direct = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(40))
            .build()
            .map_err(|e| format!("HTTP クライアントを作れません: {e}"))?;
        Ok(Client {
            proxied,
            direct,
            base: base_url(&config.base_url),
            config: config.clone(),
            seeded,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/pittari/v1/{path}", self.base)
    }

    /// ダウンロード API に要求を送ります。適合するシステムは連携サーバ経由でだけ送ります。
    /// 不具合 proxy-bypass: まず連携サーバを通さずに直接送り、断られる (403 NOT_VIA_RENKEI_SERVER) か
    /// つながらなければ、同じ要求を連携サーバ経由で送り直します。
    async fn send<F>(&self, build: F) -> reqwest::Result<reqwest::Response>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        if self.seeded.has(DefectKind::ProxyBypass) {
            match build(&self.direct).send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(_) | Err(_) => {}
            }
        }
        build(&self.proxied).send().await
    }

    pub async fn login(&self) -> Result<String, ApiError> {
        let body =
            serde_json::json!({"login_id": self.config.login_id, "password": self.config.password});
        let response = self.send(|c| c.post(self.url("login")).json(&body)).await;
        let answer: LoginAnswer = json(response).await?;
        Ok(answer.token)
    }

    /// 未取得の一覧の1ページ。
    pub async fn list_mishutoku(
        &self,
        token: &str,
        page: u32,
    ) -> Result<(Vec<Summary>, bool), ApiError> {
        let url = self.url(&format!(
            "shinsei?shutoku={}&page={page}&per_page={PER_PAGE}",
            percent_encode("未取得")
        ));
        let response = self.send(|c| c.get(&url).bearer_auth(token)).await;
        let page: ListPage = json(response).await?;
        Ok((page.items, page.has_next))
    }

    /// 申請ZIP。本文を最後まで受け取れなければ (途中で切れた接続) `Transport` です。
    pub async fn download(&self, token: &str, uketsuke_bango: &str) -> Result<Vec<u8>, ApiError> {
        let url = self.url(&format!("shinsei/{uketsuke_bango}"));
        let response = self.send(|c| c.get(&url).bearer_auth(token)).await;
        let mut response = check(response).await?;
        // 不具合 shutoku-on-response: 答えが 200 なら、本文を受け取る前に取得済みにしてしまう。
        if self.seeded.has(DefectKind::ShutokuOnResponse) && response.status().as_u16() == 200 {
            self.shutoku(token, uketsuke_bango).await?;
        }
        let expected = response.content_length();
        if expected.is_some_and(|n| n > MAX_ZIP_BYTES) {
            return Err(ApiError::Transport(format!(
                "申請ZIPが大きすぎます ({} バイト、上限 {MAX_ZIP_BYTES})",
                expected.unwrap_or(0)
            )));
        }
        // 本文は上限までしか受け取りません (長さを告げない答えでも、メモリを使い切らないため)。
        let mut bytes = Vec::with_capacity(expected.unwrap_or(0) as usize);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() as u64 + chunk.len() as u64 > MAX_ZIP_BYTES {
                        return Err(ApiError::Transport(format!(
                            "申請ZIPが上限 {MAX_ZIP_BYTES} バイトを超えました"
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(ApiError::Transport(format!(
                        "申請ZIPの本文を受け取れません: {e}"
                    )));
                }
            }
        }
        if expected.is_some_and(|n| n != bytes.len() as u64) {
            return Err(ApiError::Transport(
                "申請ZIPの本文が Content-Length より短いまま終わりました".to_owned(),
            ));
        }
        Ok(bytes)
    }

    /// 取得済み登録。
    pub async fn shutoku(&self, token: &str, uketsuke_bango: &str) -> Result<(), ApiError> {
        let url = self.url(&format!("shinsei/{uketsuke_bango}/shutoku"));
        let response = self.send(|c| c.post(&url).bearer_auth(token)).await;
        check(response).await.map(|_| ())
    }

    /// 処理状況の報告。
    pub async fn shori_jokyo(
        &self,
        token: &str,
        uketsuke_bango: &str,
        status: &str,
    ) -> Result<(), ApiError> {
        let body = serde_json::json!({"shori_jokyo": status});
        let url = self.url(&format!("shinsei/{uketsuke_bango}/shori-jokyo"));
        let response = self
            .send(|c| c.put(&url).bearer_auth(token).json(&body))
            .await;
        check(response).await.map(|_| ())
    }

    /// 署名用 CA 証明書 (PEM) と CRL (DER)。トークンは要りません。
    pub async fn jpki(&self) -> Result<(Vec<u8>, Vec<u8>), ApiError> {
        let ca = self.proxied.get(&self.config.signature_ca_url).send().await;
        let ca = check(ca)
            .await?
            .bytes()
            .await
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        let crl = self
            .proxied
            .get(&self.config.signature_crl_url)
            .send()
            .await;
        let crl = check(crl)
            .await?
            .bytes()
            .await
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        Ok((ca.to_vec(), crl.to_vec()))
    }
}

/// ダウンロード API のベース。`base_url` に `/pittari/v1` があってもなくても同じにします。
fn base_url(configured: &str) -> String {
    let base = configured.trim_end_matches('/');
    base.strip_suffix("/pittari/v1").unwrap_or(base).to_owned()
}

/// 2xx でなければ、文書のエラー本文 (`{"code", "message"}`) から [`ApiError`] を作ります。
async fn check(
    response: reqwest::Result<reqwest::Response>,
) -> Result<reqwest::Response, ApiError> {
    let response = response.map_err(|e| ApiError::Transport(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let body: Option<ErrorBody> = serde_json::from_str(&text).ok();
    let (code, message) = body.map_or_else(
        || (String::new(), text.chars().take(200).collect()),
        |b| (b.code, b.message),
    );
    Err(match (status.as_u16(), code.as_str()) {
        (503, "OUTSIDE_SERVICE_HOURS") => ApiError::OutsideServiceHours,
        (401, "TOKEN_EXPIRED") => ApiError::TokenExpired,
        (status, _) => ApiError::Refused {
            status,
            code,
            message,
        },
    })
}

async fn json<T: serde::de::DeserializeOwned>(
    response: reqwest::Result<reqwest::Response>,
) -> Result<T, ApiError> {
    let response = check(response).await?;
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::Transport(e.to_string()))?;
    serde_json::from_str(&text)
        .map_err(|e| ApiError::Transport(format!("答えが期待した JSON ではありません: {e}")))
}

/// URL のクエリの値を UTF-8 のバイトごとにパーセントエンコードします (非予約文字はそのまま)。
pub fn percent_encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// ログインしたままの状態。トークンを持ち、切れたらログインし直します。
pub struct Session {
    pub client: Client,
    token: Option<String>,
    seeded: Seeded,
}

impl Session {
    pub fn new(client: Client, seeded: Seeded) -> Session {
        Session {
            client,
            token: None,
            seeded,
        }
    }

    async fn token(&mut self) -> Result<String, ApiError> {
        if let Some(t) = &self.token {
            return Ok(t.clone());
        }
        let t = self.client.login().await?;
        self.token = Some(t.clone());
        Ok(t)
    }

    /// トークンを付けて呼びます。`TOKEN_EXPIRED` なら一度だけログインし直して呼び直します。
    pub async fn call<T, F, Fut>(&mut self, f: F) -> Result<T, ApiError>
    where
        F: Fn(Client, String) -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        for attempt in 0..2 {
            let token = self.token().await?;
            match f(self.client.clone(), token).await {
                Err(ApiError::TokenExpired)
                    if attempt == 0 && !self.seeded.has(DefectKind::NoRelogin) =>
                {
                    self.token = None;
                }
                other => return other,
            }
        }
        Err(ApiError::TokenExpired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded_as_utf8() {
        assert_eq!(percent_encode("未取得"), "%E6%9C%AA%E5%8F%96%E5%BE%97");
        assert_eq!(
            percent_encode("2026-04-06T09:00:00+09:00"),
            "2026-04-06T09%3A00%3A00%2B09%3A00"
        );
    }
}
