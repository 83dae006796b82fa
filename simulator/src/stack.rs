//! The national side assembled: every simulator of a scenario, started in this process on
//! loopback ports, sharing one clock and one journal.
//!
//! This is what `renkei serve` runs and what the runner starts per scenario. It turns an expanded
//! scenario into state — the synthetic JPKI, a signed 申請ZIP per 申請, the ぴったりサービス, the
//! 住基ネットCS with the scenario's events applied — and serves it: the download API (with the
//! JPKI CA certificate and CRL), the 連携サーバ allowing only the download API, the 住基CS API,
//! and the admin API.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::DantaiCode;
use renkei_fixtures::population::CertStatus;
use renkei_fixtures::scenario::{Application, Event, Expanded, Variant};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::chukan::db::ChukanDb;
use crate::chukan::denbun::MsgMode;
use crate::chukan::fugou::IssuanceDelay;
use crate::chukan::platform::{Chukan, ChukanConfig, DEFAULT_BATCH_TIME};
use crate::clock::Clock;
use crate::http::Recording;
use crate::journal::{Journal, System};
use crate::jpki::{self, CertKind, CertRequest, IssuedCert, Jpki, Kihon4, TrustStore};
use crate::jukinet::service::{AccessKey, JukinetCs};
use crate::pittari::zip::{self, FilledForm, ShinseiDocument, Signing, ZipVariant};
use crate::pittari::{Pittari, PittariConfig};
use crate::proxy::{Proxy, ProxyHandle, ProxyHops};
use crate::store::{Change, SqliteStore};

/// Where each simulator listens. Port 0 picks a free port (tests, the runner).
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub bind: IpAddr,
    pub pittari: u16,
    pub proxy: u16,
    pub jukinet: u16,
    /// 自治体中間サーバー (mutual TLS).
    pub chukan: u16,
    pub admin: u16,
}

impl Ports {
    /// The documented fixed ports of `renkei serve` (docs/serve.md).
    pub const DEFAULT: Ports = Ports {
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        pittari: 18080,
        proxy: 18081,
        jukinet: 18082,
        chukan: 18083,
        admin: 18090,
    };

    /// Free ports on loopback.
    pub const EPHEMERAL: Ports = Ports {
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        pittari: 0,
        proxy: 0,
        jukinet: 0,
        chukan: 0,
        admin: 0,
    };
}

/// How to start.
#[derive(Debug, Clone)]
pub struct StackOptions {
    pub ports: Ports,
    /// Freeze the clock at the scenario's start (tests, the runner) or let it run from there.
    pub frozen_clock: bool,
    pub pittari: PittariConfig,
    /// Journal bounds: exchanges kept, body bytes kept per exchange.
    pub journal_capacity: usize,
    pub journal_body_limit: usize,
    /// Keep state in `DIR/renkei.sqlite` and take it back on the next start (`--data`); in
    /// memory only when `None`.
    pub data_dir: Option<std::path::PathBuf>,
    /// Where the admin API sends a request to load another scenario (`renkei serve` listens);
    /// `None`: loading is refused.
    pub reload: Option<tokio::sync::mpsc::Sender<crate::admin::LoadScenario>>,
    /// Serve the download API over https with a certificate of renkei's TLS CA
    /// (`renkei serve --tls`, [`crate::pittari::tls`]); plain http when `false`, the default
    /// the runner's scenarios use.
    pub pittari_tls: bool,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            ports: Ports::EPHEMERAL,
            frozen_clock: true,
            pittari: PittariConfig::default(),
            journal_capacity: 100_000,
            journal_body_limit: 64 * 1024,
            data_dir: None,
            reload: None,
            pittari_tls: false,
        }
    }
}

/// The addresses the simulators answer on.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Addresses {
    pub pittari: SocketAddr,
    pub proxy: SocketAddr,
    pub jukinet: SocketAddr,
    /// 自治体中間サーバー: `https://` with a client certificate.
    pub chukan: SocketAddr,
    pub admin: SocketAddr,
}

/// A running national side.
pub struct Stack {
    pub clock: Clock,
    pub journal: Journal,
    pub pittari: Pittari,
    pub jukinet: JukinetCs,
    /// 自治体中間サーバー: every tenant, their 符号管理 and 副本.
    pub chukan: Chukan,
    pub jpki: Arc<Jpki>,
    pub addresses: Addresses,
    /// The 住基CS access key of each 団体.
    pub jukinet_keys: Vec<(DantaiCode, String)>,
    pub scenario_name: String,
    /// Whether the state was taken back from an earlier run's state file.
    pub resumed: bool,
    /// The download API's TLS CA certificate (PEM) when it serves https
    /// ([`StackOptions::pittari_tls`]); `None` for plain http.
    pub pittari_ca_pem: Option<String>,
    store: Option<Arc<SqliteStore>>,
    proxy: ProxyHandle,
    /// The 中間サーバー listener now serving (the others refuse: [`Stack::move_chukan`]).
    chukan_destination: crate::chukan::server::Destination,
    servers: Vec<JoinHandle<()>>,
    /// Tells every server to stop accepting and close its connections when they are idle.
    stop: tokio::sync::watch::Sender<bool>,
}

/// Why the simulators could not start.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{what} を {addr} で待ち受けられません: {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("申請 {uketsuke}: {message}")]
    Shinsei { uketsuke: String, message: String },
    #[error("住基ネットCS: {0}")]
    Jukinet(String),
    #[error("電子証明書: {0}")]
    Jpki(#[from] jpki::JpkiError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("自治体中間サーバー: {0}")]
    Chukan(String),
    #[error(transparent)]
    Tls(#[from] crate::pittari::tls::TlsError),
    #[error("{path} に書けません: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Stack {
    /// Builds the state of `expanded` and starts serving it.
    pub async fn start(expanded: &Expanded, options: StackOptions) -> Result<Stack, StackError> {
        let scenario = &expanded.scenario;
        let clock = if options.frozen_clock {
            Clock::frozen(scenario.start)
        } else {
            let clock = Clock::real();
            clock.set(scenario.start);
            clock
        };
        let journal = Journal::with_bounds(options.journal_capacity, options.journal_body_limit);
        let jpki = Arc::new(Jpki::generate(scenario.seed));

        // 住基ネットCS: the populations, then the scenario's events.
        let mut builder = JukinetCs::builder(clock.clone());
        let mut jukinet_keys = Vec::new();
        for (code, households) in &expanded.populations {
            let key = format!(
                "jukinet-{code}-{:016x}",
                renkei_fixtures::rng::mix(scenario.seed ^ code.value())
            );
            let access =
                AccessKey::new(key.clone()).map_err(|e| StackError::Jukinet(e.to_string()))?;
            builder = builder.dantai(*code, households, access);
            jukinet_keys.push((*code, key));
        }
        let jukinet = builder
            .build()
            .map_err(|e| StackError::Jukinet(e.to_string()))?;
        for event in &expanded.events {
            match event {
                Event::Revoke { serial, at, reason } => {
                    jukinet
                        .revoke(*serial, at.to_offset(renkei_fixtures::JST).date(), *reason)
                        .map_err(|e| StackError::Jukinet(format!("{serial} の失効: {e}")))?;
                }
            }
        }

        // The state file: bind it to this scenario, take back what an earlier run acknowledged
        // — the clock first, then the 住基ネットCS's changes (before the 中間サーバー starts: a
        // 転入者 may have asked for a 符号), then the ぴったりサービス's below.
        let mut resumed = false;
        let (store, changes) = match &options.data_dir {
            None => (None, Vec::new()),
            Some(dir) => {
                let store = Arc::new(SqliteStore::open(dir)?);
                let text = serde_json::to_string(scenario).expect("scenarios serialise");
                resumed = store.bind_scenario(&scenario.name, &text)?;
                let changes = store.changes()?;
                for change in &changes {
                    match change {
                        Change::Clock { now } => clock.set(*now),
                        Change::Jukinet { recorded } => {
                            // A running clock moved on after it was last set: it resumes no
                            // earlier than the changes made since (a frozen clock stands there).
                            if recorded.at > clock.now() {
                                clock.set(recorded.at);
                            }
                            jukinet.replay(recorded).map_err(|e| {
                                StackError::Jukinet(format!(
                                    "状態ファイルの変更 (団体{}, {}) を当て直せません: {e}",
                                    recorded.dantai,
                                    recorded
                                        .at
                                        .format(&time::format_description::well_known::Rfc3339)
                                        .unwrap_or_default()
                                ))
                            })?;
                        }
                        _ => {}
                    }
                }
                if resumed {
                    jukinet
                        .assume_files_handed_out_now()
                        .map_err(|e| StackError::Jukinet(e.to_string()))?;
                }
                (Some(store), changes)
            }
        };

        // ぴったりサービス: one signed 申請ZIP per 申請.
        let applications = match &scenario.pittari {
            None => Vec::new(),
            Some(pittari) => build_zips(&jpki, expanded, pittari.submitted_from, scenario.start)?,
        };
        let (dantai, accounts) = scenario
            .pittari
            .as_ref()
            .map(|p| (p.dantai, p.accounts.clone()))
            .unwrap_or((expanded.populations[0].0, Vec::new()));
        let mut config = options.pittari.clone();
        if let Some(hours) = scenario.pittari.as_ref().and_then(|p| p.service_hours) {
            config.hours = crate::pittari::ServiceHours {
                opens: hours.opens,
                closes: hours.closes,
            };
        }
        let mut pittari = Pittari::new(
            clock.clone(),
            config,
            dantai,
            accounts,
            applications,
            scenario.seed,
        );

        // The scenario's injected faults, before anything an earlier run recorded.
        let faults = scenario
            .pittari
            .as_ref()
            .map(|p| p.faults.clone())
            .unwrap_or_default();
        pittari.replay(faults.into_iter().map(|fault| Change::FaultAdded { fault }));

        if let Some(store) = &store {
            pittari.replay(changes);
            pittari.persist_to(store.clone());
            journal.persist_to(store.clone())?;
        }

        // 自治体中間サーバー: one tenant per 団体, its tables in the same state file.
        let chukan = start_chukan(
            expanded,
            &clock,
            &jukinet,
            options.data_dir.as_deref(),
            options.ports.bind,
        )?;

        // Serve.
        let hops = ProxyHops::new();
        let recording = |system| {
            Arc::new(Recording {
                journal: journal.clone(),
                system,
                clock: clock.clone(),
                hops: Some(hops.clone()),
                max_request_bytes: 64 * 1024,
            })
        };
        let ports = options.ports;
        let mut servers = Vec::new();
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let pittari_router =
            crate::pittari::api::router(pittari.clone(), recording(System::Pittari)).merge(
                crate::pittari::repository::router(
                    jpki.clone(),
                    jukinet.clone(),
                    clock.clone(),
                    recording(System::Pittari),
                ),
            );
        let pittari_tls = if options.pittari_tls {
            let tls = crate::pittari::tls::DownloadTls::generate(scenario.seed, ports.bind)?;
            if let Some(dir) = &options.data_dir {
                write_file(&dir.join(crate::pittari::tls::CA_FILE), tls.ca_pem())?;
            }
            Some(tls)
        } else {
            None
        };
        let pittari_addr = match &pittari_tls {
            None => {
                serve(
                    &mut servers,
                    &stopping,
                    "ぴったりサービス download API",
                    ports.bind,
                    ports.pittari,
                    pittari_router,
                )
                .await?
            }
            Some(tls) => {
                serve_tls(
                    &mut servers,
                    &stopping,
                    SocketAddr::new(ports.bind, ports.pittari),
                    pittari_router,
                    tls.clone(),
                )
                .await?
            }
        };
        let jukinet_addr = serve(
            &mut servers,
            &stopping,
            "住基ネットCS",
            ports.bind,
            ports.jukinet,
            crate::jukinet::service::router(jukinet.clone(), recording(System::Jukinet)),
        )
        .await?;
        let chukan_addr = SocketAddr::new(ports.bind, ports.chukan);
        let chukan_listener =
            TcpListener::bind(chukan_addr)
                .await
                .map_err(|source| StackError::Bind {
                    what: "自治体中間サーバー",
                    addr: chukan_addr,
                    source,
                })?;
        let chukan_addr = chukan_listener
            .local_addr()
            .map_err(|source| StackError::Bind {
                what: "自治体中間サーバー",
                addr: chukan_addr,
                source,
            })?;
        let chukan_destination = crate::chukan::server::Destination::default();
        servers.push(tokio::spawn(crate::chukan::server::serve(
            chukan.clone(),
            chukan_listener,
            crate::chukan::server::router_at(
                chukan.clone(),
                journal.clone(),
                clock.clone(),
                chukan_destination.clone(),
            ),
            stopping.clone(),
        )));
        servers.push(tokio::spawn(night_batch_ticker(
            chukan.clone(),
            stopping.clone(),
        )));
        let proxy_journal = journal.clone();
        let proxy_clock = clock.clone();
        let proxy = Proxy::new(
            Arc::new(move || proxy_clock.now()),
            Arc::new(move |event| crate::admin::record_proxy_event(&proxy_journal, event)),
        )
        .with_hops(hops.clone())
        .allow(pittari_addr)
        .bind(SocketAddr::new(ports.bind, ports.proxy))
        .await
        .map_err(|e| StackError::Bind {
            what: "連携サーバ",
            addr: SocketAddr::new(ports.bind, ports.proxy),
            source: std::io::Error::other(e.to_string()),
        })?;
        let admin_state = crate::admin::AdminState {
            clock: clock.clone(),
            journal: journal.clone(),
            pittari: pittari.clone(),
            store: store.clone(),
            reload: options.reload.clone(),
            scenario_name: scenario.name.clone(),
            chukan: Some(chukan.clone()),
            jukinet: Some(jukinet.clone()),
            pittari_ca_pem: pittari_tls.as_ref().map(|tls| tls.ca_pem().to_owned()),
        };
        let admin_addr = serve(
            &mut servers,
            &stopping,
            "管理API",
            ports.bind,
            ports.admin,
            crate::admin::router(admin_state),
        )
        .await?;
        Ok(Stack {
            clock,
            journal,
            pittari,
            jukinet,
            chukan,
            jpki,
            addresses: Addresses {
                pittari: pittari_addr,
                proxy: proxy.local_addr(),
                jukinet: jukinet_addr,
                chukan: chukan_addr,
                admin: admin_addr,
            },
            jukinet_keys,
            scenario_name: scenario.name.clone(),
            resumed,
            pittari_ca_pem: pittari_tls.map(|tls| tls.ca_pem().to_owned()),
            store,
            proxy,
            chukan_destination,
            servers,
            stop,
        })
    }

    /// Moves the 中間サーバー to a new address (接続先の移行, 移行リハーサル: docs/chukan-api.md
    /// 「接続先の移行」): the same 中間サーバー — tenants, data, CA, certificates, journal — starts
    /// listening on a new free port of the same host, and the address it served on until now
    /// answers every request with `MOVED` (421) from here on. Returns the new address, which
    /// [`Stack::addresses`] now holds too.
    pub async fn move_chukan(&mut self) -> Result<SocketAddr, StackError> {
        let what = "自治体中間サーバー (新しい接続先)";
        let addr = SocketAddr::new(self.addresses.chukan.ip(), 0);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StackError::Bind { what, addr, source })?;
        let local =
            listener
                .local_addr()
                .map_err(|source| StackError::Bind { what, addr, source })?;
        let destination = crate::chukan::server::Destination::default();
        self.servers.push(tokio::spawn(crate::chukan::server::serve(
            self.chukan.clone(),
            listener,
            crate::chukan::server::router_at(
                self.chukan.clone(),
                self.journal.clone(),
                self.clock.clone(),
                destination.clone(),
            ),
            self.stop.subscribe(),
        )));
        let old = std::mem::replace(&mut self.chukan_destination, destination);
        old.move_to(format!("https://{local}"));
        self.addresses.chukan = local;
        Ok(local)
    }

    /// The download API's base URL: `https://…` with [`StackOptions::pittari_tls`], else
    /// `http://…`.
    pub fn pittari_url(&self) -> String {
        let scheme = if self.pittari_ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addresses.pittari)
    }

    /// Stops every server.
    pub async fn shutdown(self) {
        // Stop accepting, let in-flight requests finish and idle keep-alive connections close
        // (so no client goes on talking to the old state), then make sure every task is gone,
        // so its port is free for a restart at once.
        let _ = self.stop.send(true);
        for server in self.servers {
            let abort = server.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(5), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.proxy.shutdown().await;
        if let Some(store) = &self.store {
            store.flush_journal();
        }
    }
}

/// The 中間サーバー of the scenario: its `[chukan]` (or every 団体 as a tenant in the test
/// environment), its tables in the state file (or in memory), certificates written to the data
/// directory for vendors to pick up.
fn start_chukan(
    expanded: &Expanded,
    clock: &Clock,
    jukinet: &JukinetCs,
    data_dir: Option<&std::path::Path>,
    bind: IpAddr,
) -> Result<Chukan, StackError> {
    let scenario = &expanded.scenario;
    let spec = scenario.chukan.clone();
    let failed = |e: &dyn std::fmt::Display| StackError::Chukan(e.to_string());
    let tenants = match &spec {
        Some(spec) if !spec.tenants.is_empty() => spec.tenants.clone(),
        _ => scenario.dantai.iter().map(|d| d.code).collect(),
    };
    let config = ChukanConfig {
        tenants,
        mode: match spec.as_ref().map(|s| s.environment) {
            Some(renkei_fixtures::scenario::ChukanEnvironment::Production) => MsgMode::Honban,
            _ => MsgMode::Test,
        },
        fugou_delay: match spec.as_ref().map_or(0, |s| s.fugou_delay_business_days) {
            0 => IssuanceDelay::Immediate,
            days => IssuanceDelay::BusinessDays(days),
        },
        batch_time: spec
            .as_ref()
            .map(|s| s.batch_time())
            .transpose()
            .map_err(|e| failed(&e))?
            .flatten()
            .unwrap_or(DEFAULT_BATCH_TIME),
        batch_records_per_night: spec.as_ref().and_then(|s| s.batch_records_per_night),
        documented_limits: spec.as_ref().is_none_or(|s| s.documented_limits),
        seed: scenario.seed,
        caps_override: spec.as_ref().and_then(|s| s.upload_caps).map(|c| {
            renkei_fixtures::catalog::DailyCaps {
                records: c.records,
                bytes: c.bytes,
            }
        }),
    };
    let db = match data_dir {
        Some(dir) => ChukanDb::open(dir),
        None => ChukanDb::in_memory(),
    }
    .map_err(|e| failed(&e))?;
    let chukan = Chukan::new(
        clock.clone(),
        config,
        &expanded.populations,
        jukinet.clone(),
        Arc::new(db),
        data_dir,
        bind,
    )
    .map_err(|e| failed(&e))?;
    if let Some(dir) = data_dir {
        chukan.write_certificates(dir).map_err(|e| failed(&e))?;
    }
    if spec.as_ref().map(|s| s.teikyou_jogai)
        == Some(renkei_fixtures::scenario::TeikyouJogaiStart::Layouts)
    {
        crate::chukan::teikyou_jogai::seed_from_layouts(&chukan).map_err(|e| failed(&e))?;
    }
    chukan.catch_up().map_err(|e| failed(&e))?;
    Ok(chukan)
}

/// With a running clock nobody may call while a batch time passes: look every few seconds.
/// (With a frozen clock every request and every clock change catches up first, so this finds
/// nothing to do.)
async fn night_batch_ticker(chukan: Chukan, mut stopping: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|stop| *stop) => return,
        }
        let due = chukan
            .next_batch_time()
            .is_ok_and(|next| next <= chukan.clock().now());
        if due {
            let chukan = chukan.clone();
            if let Ok(Err(error)) = tokio::task::spawn_blocking(move || chukan.catch_up()).await {
                tracing::error!(%error, "中間サーバー: 夜間バッチに失敗しました");
            }
        }
    }
}

async fn serve(
    servers: &mut Vec<JoinHandle<()>>,
    stopping: &tokio::sync::watch::Receiver<bool>,
    what: &'static str,
    bind: IpAddr,
    port: u16,
    router: axum::Router,
) -> Result<SocketAddr, StackError> {
    let addr = SocketAddr::new(bind, port);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StackError::Bind { what, addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| StackError::Bind { what, addr, source })?;
    let mut stopping = stopping.clone();
    servers.push(tokio::spawn(async move {
        let stop = async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await
        {
            tracing::error!(%error, what, "server stopped");
        }
    }));
    Ok(local)
}

/// Serves the download API over TLS ([`crate::pittari::tls::serve`]).
async fn serve_tls(
    servers: &mut Vec<JoinHandle<()>>,
    stopping: &tokio::sync::watch::Receiver<bool>,
    addr: SocketAddr,
    router: axum::Router,
    tls: crate::pittari::tls::DownloadTls,
) -> Result<SocketAddr, StackError> {
    let what = "ぴったりサービス download API (https)";
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StackError::Bind { what, addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| StackError::Bind { what, addr, source })?;
    servers.push(tokio::spawn(crate::pittari::tls::serve(
        listener,
        router,
        tls,
        stopping.clone(),
    )));
    Ok(local)
}

/// Writes `text` to `path`, making its directory.
fn write_file(path: &std::path::Path, text: &str) -> Result<(), StackError> {
    let failed = |source| StackError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}

/// The 署名用 CA with the CRL the ぴったりサービス checked 申請 against at receipt: every
/// revocation of the population (all before the scenario starts), none of the scenario's events
/// (those happen after the 申請 they concern were received).
fn trust_at_receipt(
    jpki: &Jpki,
    expanded: &Expanded,
    since: OffsetDateTime,
    start: OffsetDateTime,
) -> Result<TrustStore, StackError> {
    let revoked: Vec<_> = expanded
        .populations
        .iter()
        .flat_map(|(_, households)| households.iter().flat_map(|h| &h.members))
        .flat_map(|r| &r.certificates)
        .filter(|c| {
            c.status == CertStatus::Shikkou
                && c.kind == renkei_fixtures::population::CertKind::Shomei
        })
        .filter_map(|c| {
            c.revoked
                .map(|d| (c.serial, d.midnight().assume_offset(renkei_fixtures::JST)))
        })
        .collect();
    let ca = jpki.ca(CertKind::Signature);
    let crl = ca.crl(
        &revoked,
        since - Duration::days(1),
        start + Duration::days(30),
    )?;
    Ok(TrustStore::new([ca]).with_crl(&crl)?)
}

/// The certificate a 申請 was signed with, issued by the synthetic JPKI.
fn signer_cert(jpki: &Jpki, application: &Application) -> Result<IssuedCert, StackError> {
    let signer = &application.signer;
    Ok(jpki.issue(&CertRequest {
        kind: CertKind::Signature,
        serial: signer.serial,
        not_before: signer.not_before,
        not_after: signer.not_after,
        holder: Some(Kihon4 {
            shimei: signer.kihon4.shimei.clone(),
            seinengappi: signer.kihon4.seinengappi,
            seibetsu: signer.kihon4.seibetsu.clone(),
            jusho: signer.kihon4.jusho.clone(),
        }),
    })?)
}

/// How a variant is delivered as a ZIP.
fn zip_variant(variant: Variant) -> ZipVariant {
    match variant {
        Variant::Tampered => ZipVariant::TamperedAfterSigning,
        Variant::TruncatedZip => ZipVariant::Truncated,
        Variant::CorruptZip => ZipVariant::Corrupt,
        Variant::SwappedAttachment => ZipVariant::AttachmentSwapped,
        _ => ZipVariant::Valid,
    }
}

/// Builds every 申請ZIP of the scenario (in parallel: signing dominates), with the procedure
/// name of each. Public for `renkei bench shinsei-zip`.
pub fn build_zips(
    jpki: &Jpki,
    expanded: &Expanded,
    since: OffsetDateTime,
    start: OffsetDateTime,
) -> Result<Vec<(Application, String, Vec<u8>)>, StackError> {
    use rayon::prelude::*;
    let trust = trust_at_receipt(jpki, expanded, since, start)?;
    let catalogs = Catalogs::embedded();
    expanded
        .applications
        .par_iter()
        .map(|application| {
            let failed = |message: String| StackError::Shinsei {
                uketsuke: application.uketsuke_bango.to_string(),
                message,
            };
            let procedure = catalogs
                .procedure(&application.tetsuzuki)
                .ok_or_else(|| failed(format!("手続 {} がありません", application.tetsuzuki)))?;
            let cert = signer_cert(jpki, application)?;
            let form = FilledForm::new(
                procedure,
                application
                    .form
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .map_err(|e| failed(e.to_string()))?;
            let attachments: Vec<zip::Attachment> = application
                .attachments
                .iter()
                .map(|a| {
                    zip::Attachment::new(a.name.clone(), a.media_type.clone(), a.content.clone())
                })
                .collect();
            let document = ShinseiDocument {
                uketsuke_bango: application.uketsuke_bango,
                dantai_code: application.dantai,
                shinsei_nichiji: application.submitted_at,
                form,
                signing: Some(Signing {
                    cert: &cert,
                    trust_at_receipt: &trust,
                }),
                attachments: &attachments,
                variant: zip_variant(application.variant),
            };
            let bytes = zip::build(&document).map_err(|e| failed(e.to_string()))?;
            Ok((application.clone(), procedure.name.clone(), bytes))
        })
        .collect()
}
