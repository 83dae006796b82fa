//! The download API over https (`renkei serve --tls`): renkei's TLS CA for it, the server
//! certificate it presents, and the accept loop.
//!
//! The real download function is reached over https, through the 連携サーバ as a CONNECT tunnel
//! (seed 001 §5 ③-1). renkei serves plain http by default — the runner's scenarios use it — and
//! https when asked (`docs/pittari-api.md`「https」):
//!
//! - one CA, `CN=renkei synthetic ダウンロードAPI TLS CA (not real)`, ECDSA P-256 (rcgen's ring
//!   backend cannot make RSA keys; CRATES.md), separate from the 中間サーバー's TLS CA and the
//!   synthetic JPKI's CAs;
//! - a server certificate for `localhost`, `127.0.0.1`, `::1` and the address served on; no
//!   client certificate — who may call is the 連携サーバ's business (its allow list, and the
//!   hop registry the API asks about every connection, which works inside a tunnel too).
//!
//! Every key is derived from the scenario's seed (SHA-256 of a label), so a restart with the
//! same scenario presents the same certificate: a vendor installs `ca.pem` once. The CA follows
//! `chukan/tls.rs` (that module's key type is its own; this one mirrors it).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyIdMethod, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::net::TcpListener;

use crate::jpki::key::EcKey;

/// The CN that marks the CA as synthetic.
pub const CA_CN: &str = "renkei synthetic ダウンロードAPI TLS CA (not real)";

/// Where `renkei serve --data DIR` writes the CA certificate, under `DIR`.
pub const CA_FILE: &str = "pittari-tls/ca.pem";

/// Separates these keys from every other key renkei derives from the same seed.
const KEY_DOMAIN: &[u8] = b"renkei download API TLS key v1\0";

/// Certificates are checked against the wall clock (rustls, curl, a vendor's client), not the
/// simulators' clock, so they span 2000–2099.
const NOT_BEFORE: OffsetDateTime = datetime!(2000-01-01 00:00 UTC);
const NOT_AFTER: OffsetDateTime = datetime!(2099-12-31 23:59:59 UTC);

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why the CA or the server configuration could not be made (a renkei fault).
#[derive(Debug, thiserror::Error)]
#[error("ダウンロードAPIの TLS 証明書を作れません: {0}")]
pub struct TlsError(String);

/// The download API's TLS: the CA a vendor trusts and the server configuration.
#[derive(Clone)]
pub struct DownloadTls {
    ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for DownloadTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadTls").finish_non_exhaustive()
    }
}

impl DownloadTls {
    /// The CA and server certificate of the scenario with `seed`, the server's valid for
    /// loopback and for `bind`.
    pub fn generate(seed: u64, bind: IpAddr) -> Result<Self, TlsError> {
        let failed = |e: rcgen::Error| TlsError(e.to_string());
        let ca_key = EcKey::derive_in(KEY_DOMAIN, &format!("ca/seed={seed}"));
        let mut ca = CertificateParams::default();
        ca.distinguished_name = name(CA_CN);
        ca.serial_number = Some(SerialNumber::from(1u64));
        ca.not_before = NOT_BEFORE;
        ca.not_after = NOT_AFTER;
        ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.key_identifier_method = KeyIdMethod::Sha256;
        let ca_cert = ca.self_signed(&ca_key).map_err(failed)?;
        let issuer = Issuer::new(ca, ca_key);

        let server_key = EcKey::derive_in(KEY_DOMAIN, &format!("server/seed={seed}"));
        let mut server = CertificateParams::default();
        server.distinguished_name =
            name("renkei ぴったりサービス ダウンロードAPI (synthetic, not real)");
        server.serial_number = Some(SerialNumber::from(2u64));
        server.not_before = NOT_BEFORE;
        server.not_after = NOT_AFTER;
        let mut sans = vec![
            SanType::DnsName("localhost".try_into().map_err(failed)?),
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        ];
        if !bind.is_loopback() && !bind.is_unspecified() {
            sans.push(SanType::IpAddress(bind));
        }
        server.subject_alt_names = sans;
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.key_identifier_method = KeyIdMethod::Sha256;
        server.use_authority_key_identifier_extension = true;
        let server_cert = server.signed_by(&server_key, &issuer).map_err(failed)?;

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(
                vec![
                    CertificateDer::from(server_cert.der().to_vec()),
                    CertificateDer::from(ca_cert.der().to_vec()),
                ],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.pkcs8_der())),
            )
            .map_err(|e| TlsError(e.to_string()))?;
        // The API speaks HTTP/1.1 only: say so, so a client offering h2 does not wait for it.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            ca_pem: ca_cert.pem(),
            config: Arc::new(config),
        })
    }

    /// The CA certificate, PEM (`ca.pem`): what a vendor's client trusts.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The rustls server configuration.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        self.config.clone()
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CountryName, "JP");
    name.push(DnType::OrganizationName, "renkei");
    name.push(DnType::CommonName, common_name);
    name
}

/// Serves `router` over TLS on `listener` until `stopping` turns true: in-flight requests
/// finish, idle keep-alive connections close (as the plain listener does).
///
/// Each connection's peer address goes into the request as axum's [`ConnectInfo`], exactly as
/// the plain listener puts it there, so the journal and the "came through the 連携サーバ" check
/// see the same thing either way: the peer of a tunnelled connection is the 連携サーバ's
/// outbound socket, which the hop registry knows.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: DownloadTls,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.server_config());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (tcp, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "ダウンロードAPI (https): accept failed");
                    continue;
                }
            },
            _ = stopping.wait_for(|stop| *stop) => break,
        };
        let acceptor = acceptor.clone();
        let service = router
            .clone()
            .layer(axum::Extension(ConnectInfo::<SocketAddr>(addr)));
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    tracing::debug!(%error, %addr, "ダウンロードAPI: TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let connection = hyper::server::conn::http1::Builder::new().serve_connection(
                hyper_util::rt::TokioIo::new(tls),
                hyper_util::service::TowerToHyperService::new(service),
            );
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%error, %addr, "ダウンロードAPI: connection ended");
            }
        });
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_ca_and_another_seed_another() {
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let a = DownloadTls::generate(7, loopback).unwrap();
        let b = DownloadTls::generate(7, loopback).unwrap();
        let c = DownloadTls::generate(8, loopback).unwrap();
        assert_eq!(a.ca_pem(), b.ca_pem());
        assert_ne!(a.ca_pem(), c.ca_pem());
        assert!(a.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
