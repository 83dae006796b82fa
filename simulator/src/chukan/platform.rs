//! The 自治体中間サーバー・プラットフォーム: many tenants (one per 団体) in one process, sharing
//! the clock, the 住基ネットCS relay, the 情報提供ネットワークシステム's 符号 issuance and the
//! state file, each with its own 符号管理, 副本 and client certificate (seed 004 §5.1: 「データ
//! ベースは、各情報保有機関ごとに明確に区分管理する」).
//!
//! [`Chukan`] is the handle everything else holds: the HTTP server ([`super::server`]) maps a
//! client certificate to a [`Tenant`] and calls in here; the admin API lists tenants and hands
//! out certificates; the night batch ([`super::batch`]) runs from [`Chukan::catch_up`] whenever
//! the clock has passed a batch time.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock, Weak};

use renkei_fixtures::catalog::{Catalogs, DailyCaps, Dantai, LayoutCatalog, Revision};
use renkei_fixtures::ids::{
    DantaiCode, KikanCode, KojinBango, TokuteiKojinJohoMeiCode, TougouAtenaBango,
};
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime, Time};

use super::db::{ChukanDb, DbError, FugouLogEntry, StoredFukuhon};
use super::denbun::MsgMode;
use super::fugou::{FugouError, FugouKanri, FugouStatus, IssuanceDelay};
use super::teikyou_source::ChukanFukuhon;
use super::tls::{ChukanCa, Identity, TlsError, client_serial};
use crate::clock::{Clock, JST};
use crate::jukinet::service::JukinetCs;
use crate::nws::FugouIssuance;
use crate::nws::shoukai::{JohoRenkei, ShoukaiError};

/// The night batch's time of day (JST), renkei-defined: the real time is not public; 02:00 is
/// after the weekday data stop window (21:00–24:00, seed 004 §2.6) and before service opens.
pub const DEFAULT_BATCH_TIME: Time = time::macros::time!(02:00);

/// How long a 提供の求め stays valid (seed 004 §2.4: 「情報提供の求めの有効期間は30日」).
pub const TEIKYOU_VALIDITY: Duration = Duration::days(30);

/// How the 中間サーバー is set up (the scenario's `[chukan]`, docs/scenario.md).
#[derive(Debug, Clone)]
pub struct ChukanConfig {
    /// The tenants' 団体, in order.
    pub tenants: Vec<DantaiCode>,
    /// The environment every tenant is: MSGMode of every 電文 must match.
    pub mode: MsgMode,
    /// How long 符号 issuance takes.
    pub fugou_delay: IssuanceDelay,
    /// When the night batch runs each day (JST).
    pub batch_time: Time,
    /// Records the night batch processes per tenant per night; the tenant's daily record cap
    /// (seed 004 §2.5) when `None`.
    pub batch_records_per_night: Option<u64>,
    /// The documented limits mode (§2.11 照会 limits): read by 情報照会.
    pub documented_limits: bool,
    /// Seed of the TLS keys and the 符号.
    pub seed: u64,
    /// Daily upload caps for every tenant instead of the catalog's (a scenario's test knob).
    pub caps_override: Option<DailyCaps>,
}

/// One tenant: the 中間サーバー of one 団体.
#[derive(Debug)]
pub struct Tenant {
    /// The 団体 (from the catalog).
    pub dantai: Dantai,
    /// 本番 or テスト.
    pub mode: MsgMode,
    /// 符号管理 of this 団体.
    pub fugou: FugouKanri,
    /// The daily 副本 upload caps (seed 004 §2.5).
    pub caps: DailyCaps,
    /// The current client certificate: (generation, identity). A std `Mutex`: replaced whole on
    /// revocation.
    cert: Mutex<(u32, Identity)>,
}

impl Tenant {
    /// 機関コード.
    pub fn kikan(&self) -> KikanCode {
        self.dantai.kikan_code
    }

    /// The current client certificate and its generation.
    pub fn certificate(&self) -> (u32, Identity) {
        self.cert.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Why a platform operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChukanError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("団体コード{0}は団体カタログにありません")]
    UnknownDantai(DantaiCode),
    #[error("機関コード{0}のテナントはありません")]
    UnknownTenant(KikanCode),
    #[error("スプール {path} に書けません: {error}")]
    Spool { path: String, error: String },
    #[error(transparent)]
    Fugou(#[from] FugouError),
    #[error(transparent)]
    Shoukai(#[from] ShoukaiError),
}

/// The 中間サーバー platform. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Chukan {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clock: Clock,
    config: ChukanConfig,
    /// Tenants by 機関コード: a `BTreeMap` so listings come out in one order.
    tenants: BTreeMap<KikanCode, Arc<Tenant>>,
    /// Who is whose resident: 団体内統合宛名番号 → 団体, from the scenario's populations. A
    /// 副本 or 符号取得要求 for another tenant's resident is refused.
    residents: HashMap<TougouAtenaBango, DantaiCode>,
    jukinet: JukinetCs,
    issuer: Arc<FugouIssuance>,
    db: Arc<ChukanDb>,
    ca: ChukanCa,
    server: Identity,
    /// The TLS configuration in force: rebuilt when a certificate is revoked. A std `RwLock`
    /// read once per connection.
    tls: RwLock<Arc<rustls::ServerConfig>>,
    /// SHA-256 of every valid client certificate → 機関コード.
    by_cert: RwLock<HashMap<[u8; 32], KikanCode>>,
    /// Tenants whose client certificate the 中間サーバー has not registered (yet): their requests
    /// are refused with `UNKNOWN_CLIENT` until [`Chukan::register_certificate`] (機関間テストの
    /// 準備, seed 004 §4.2 ③-1; docs/chukan-api.md「証明書の登録」).
    unregistered: RwLock<std::collections::BTreeSet<KikanCode>>,
    /// Where uploaded files are kept until the batch has processed them.
    spool: PathBuf,
    /// Keeps a temporary spool alive (no `--data`).
    _spool_dir: Option<tempfile::TempDir>,
    /// Serialises catch-up: one batch at a time, in time order.
    catching_up: Mutex<()>,
    layouts: &'static LayoutCatalog,
    /// 情報照会 / 情報提供 between the tenants (the 情報提供ネットワークシステム's engine), wired to
    /// the tenants' 符号管理 and 副本 ([`super::joho_renkei`]).
    shoukai: JohoRenkei,
    /// The 副本 the engine answers from, and each tenant's 自動応答不可 datasets.
    teikyou: Arc<ChukanFukuhon>,
}

/// A handle on the platform that does not keep it alive: what the 情報照会 engine's parts hold,
/// since the platform holds the engine.
#[derive(Clone, Debug)]
pub struct WeakChukan(Weak<Inner>);

impl WeakChukan {
    /// The platform, while it runs.
    pub fn upgrade(&self) -> Option<Chukan> {
        self.0.upgrade().map(|inner| Chukan { inner })
    }
}

impl Chukan {
    /// Builds the platform: tenants from `config`, the state (fugou log, revocations) taken back
    /// from `db`, the TLS configuration for a server listening on `bind`.
    pub fn new(
        clock: Clock,
        config: ChukanConfig,
        populations: &[(DantaiCode, Vec<renkei_fixtures::population::Household>)],
        jukinet: JukinetCs,
        db: Arc<ChukanDb>,
        data_dir: Option<&std::path::Path>,
        bind: IpAddr,
    ) -> Result<Self, ChukanError> {
        let catalogs = Catalogs::embedded();
        let ca = ChukanCa::generate(config.seed);
        let revocations = db.revocations()?;
        let mut tenants = BTreeMap::new();
        for code in &config.tenants {
            let dantai = catalogs
                .dantai(code)
                .ok_or(ChukanError::UnknownDantai(*code))?
                .clone();
            let kikan = dantai.kikan_code;
            let generation = revocations
                .iter()
                .filter(|(k, ..)| *k == kikan)
                .map(|(_, g, ..)| *g)
                .max()
                .unwrap_or(0)
                + 1;
            let identity = ca.client_identity(kikan, dantai.code, &dantai.name, generation)?;
            let tenant = Tenant {
                mode: config.mode,
                fugou: FugouKanri::new(dantai.code, config.fugou_delay, clock.clone()),
                caps: config
                    .caps_override
                    .unwrap_or_else(|| dantai.fukuhon_daily_caps()),
                cert: Mutex::new((generation, identity)),
                dantai,
            };
            tenants.insert(kikan, Arc::new(tenant));
        }
        let residents = populations
            .iter()
            .flat_map(|(code, households)| {
                households
                    .iter()
                    .flat_map(|h| &h.members)
                    .map(move |r| (r.tougou_atena_bango, *code))
            })
            .collect();
        let (spool, spool_dir) = match data_dir {
            Some(dir) => {
                let spool = dir.join("chukan-spool");
                std::fs::create_dir_all(&spool).map_err(|e| ChukanError::Spool {
                    path: spool.display().to_string(),
                    error: e.to_string(),
                })?;
                (spool, None)
            }
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("renkei-chukan-")
                    .tempdir()
                    .map_err(|e| ChukanError::Spool {
                        path: std::env::temp_dir().display().to_string(),
                        error: e.to_string(),
                    })?;
                (dir.path().to_path_buf(), Some(dir))
            }
        };
        let server = ca.server_identity(bind)?;
        let issuer = Arc::new(FugouIssuance::new(format!(
            "renkei/chukan/seed={}",
            config.seed
        )));
        let placeholder = ca.server_config(&server, ca.crl(&[], 1, clock.now())?)?;
        let stored = super::joho_renkei::load(&db)?;
        let inner = Arc::new_cyclic(|weak| {
            let (shoukai, teikyou) = super::joho_renkei::engine(
                WeakChukan(weak.clone()),
                &clock,
                &config,
                &tenants,
                &db,
                &issuer,
                stored,
            );
            Inner {
                clock,
                config,
                tenants,
                residents,
                jukinet,
                issuer,
                db,
                ca,
                server,
                tls: RwLock::new(placeholder),
                by_cert: RwLock::new(HashMap::new()),
                unregistered: RwLock::new(std::collections::BTreeSet::new()),
                spool,
                _spool_dir: spool_dir,
                catching_up: Mutex::new(()),
                layouts: &catalogs.layouts,
                shoukai,
                teikyou,
            }
        });
        let chukan = Self { inner };
        chukan.rebuild_tls()?;
        chukan.replay_fugou()?;
        if chukan.inner.db.meta("batch_anchor")?.is_none() {
            chukan.inner.db.set_meta(
                "batch_anchor",
                &super::db::rfc3339(chukan.inner.clock.now()),
            )?;
        }
        Ok(chukan)
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The configuration.
    pub fn config(&self) -> &ChukanConfig {
        &self.inner.config
    }

    /// The tables.
    pub fn db(&self) -> &Arc<ChukanDb> {
        &self.inner.db
    }

    /// The 情報提供ネットワークシステム's 符号 issuance (the register of every 符号 issued).
    pub fn issuer(&self) -> &Arc<FugouIssuance> {
        &self.inner.issuer
    }

    /// The データ標準レイアウト.
    pub fn layouts(&self) -> &'static LayoutCatalog {
        self.inner.layouts
    }

    /// 情報照会 / 情報提供 between the tenants (docs/chukan-shoukai.md).
    pub fn shoukai(&self) -> &JohoRenkei {
        &self.inner.shoukai
    }

    /// The 副本 情報提供 answers from, with each tenant's 自動応答不可 datasets.
    pub fn teikyou_source(&self) -> &Arc<ChukanFukuhon> {
        &self.inner.teikyou
    }

    /// Every tenant, by 機関コード.
    pub fn tenants(&self) -> impl Iterator<Item = &Arc<Tenant>> {
        self.inner.tenants.values()
    }

    /// The tenant with this 機関コード.
    pub fn tenant(&self, kikan: KikanCode) -> Option<&Arc<Tenant>> {
        self.inner.tenants.get(&kikan)
    }

    /// The tenant of 団体 `code`.
    pub fn tenant_of(&self, code: DantaiCode) -> Option<&Arc<Tenant>> {
        self.tenants().find(|t| t.dantai.code == code)
    }

    /// The 団体 whose resident this is, if the scenario's populations know them.
    pub fn resident_of(&self, tougou: TougouAtenaBango) -> Option<DantaiCode> {
        self.inner.residents.get(&tougou).copied()
    }

    /// The CA certificate, PEM (`ca.pem`).
    pub fn ca_pem(&self) -> String {
        self.inner.ca.cert_pem()
    }

    /// The server's certificate.
    pub fn server_identity(&self) -> &Identity {
        &self.inner.server
    }

    /// The TLS configuration in force.
    pub fn tls_config(&self) -> Arc<rustls::ServerConfig> {
        self.inner
            .tls
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The tenant whose current client certificate is `der` (DER).
    pub fn tenant_by_certificate(&self, der: &[u8]) -> Option<&Arc<Tenant>> {
        let digest: [u8; 32] = Sha256::digest(der).into();
        let kikan = *self
            .inner
            .by_cert
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&digest)?;
        self.tenant(kikan)
    }

    /// Takes `kikan`'s client certificate off the 中間サーバー's registered certificates: its
    /// requests are refused (`UNKNOWN_CLIENT`) until [`Chukan::register_certificate`]. The
    /// certificate itself stays valid (the TLS handshake succeeds).
    pub fn unregister_certificate(&self, kikan: KikanCode) -> Result<(), ChukanError> {
        self.tenant(kikan)
            .ok_or(ChukanError::UnknownTenant(kikan))?;
        self.inner
            .unregistered
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(kikan);
        Ok(())
    }

    /// Registers `kikan`'s client certificate (what the 団体 does from its 管理端末): its
    /// requests are served again.
    pub fn register_certificate(&self, kikan: KikanCode) -> Result<(), ChukanError> {
        self.tenant(kikan)
            .ok_or(ChukanError::UnknownTenant(kikan))?;
        self.inner
            .unregistered
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&kikan);
        Ok(())
    }

    /// Whether `kikan`'s client certificate is registered (the default).
    pub fn certificate_registered(&self, kikan: KikanCode) -> bool {
        !self
            .inner
            .unregistered
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&kikan)
    }

    /// The current CRL, DER.
    pub fn crl_der(&self) -> Result<Vec<u8>, ChukanError> {
        let revoked: Vec<(u64, OffsetDateTime)> = self
            .inner
            .db
            .revocations()?
            .into_iter()
            .map(|(_, _, serial, at)| (serial, at))
            .collect();
        Ok(self
            .inner
            .ca
            .crl(&revoked, revoked.len() as u64 + 1, self.inner.clock.now())?)
    }

    fn rebuild_tls(&self) -> Result<(), ChukanError> {
        let crl = self.crl_der()?;
        let config = self.inner.ca.server_config(&self.inner.server, crl)?;
        let mut by_cert = HashMap::new();
        for tenant in self.tenants() {
            let (_, identity) = tenant.certificate();
            by_cert.insert(Sha256::digest(&identity.cert_der).into(), tenant.kikan());
        }
        *self
            .inner
            .by_cert
            .write()
            .unwrap_or_else(|p| p.into_inner()) = by_cert;
        *self.inner.tls.write().unwrap_or_else(|p| p.into_inner()) = config;
        Ok(())
    }

    /// Revokes `kikan`'s client certificate and issues the next generation: the old one fails
    /// the TLS handshake from the next connection on (its serial is on the CRL).
    pub fn revoke_certificate(&self, kikan: KikanCode) -> Result<Identity, ChukanError> {
        let tenant = self
            .tenant(kikan)
            .ok_or(ChukanError::UnknownTenant(kikan))?;
        let (generation, _) = tenant.certificate();
        let next = self.inner.ca.client_identity(
            kikan,
            tenant.dantai.code,
            &tenant.dantai.name,
            generation + 1,
        )?;
        self.inner.db.revoke(
            kikan,
            generation,
            client_serial(kikan, generation),
            self.inner.clock.now(),
        )?;
        *tenant.cert.lock().unwrap_or_else(|p| p.into_inner()) = (generation + 1, next.clone());
        self.rebuild_tls()?;
        Ok(next)
    }

    /// Writes every tenant's `ca.pem`, `client.pem`, `client.key` under `dir/chukan-certs/{機関コード}/`.
    pub fn write_certificates(&self, dir: &std::path::Path) -> Result<PathBuf, ChukanError> {
        let root = dir.join("chukan-certs");
        let io = |path: &std::path::Path, e: std::io::Error| ChukanError::Spool {
            path: path.display().to_string(),
            error: e.to_string(),
        };
        for tenant in self.tenants() {
            let folder = root.join(tenant.kikan().as_str());
            std::fs::create_dir_all(&folder).map_err(|e| io(&folder, e))?;
            let (_, identity) = tenant.certificate();
            for (name, text) in [
                ("ca.pem", self.ca_pem()),
                ("client.pem", identity.cert_pem()),
                ("client.key", identity.key_pem().to_owned()),
            ] {
                let path = folder.join(name);
                std::fs::write(&path, text).map_err(|e| io(&path, e))?;
            }
        }
        Ok(root)
    }

    // ---- 符号管理 ------------------------------------------------------------------------------

    fn replay_fugou(&self) -> Result<(), ChukanError> {
        for entry in self.inner.db.fugou_log()? {
            match entry {
                FugouLogEntry::Request {
                    dantai,
                    tougou,
                    kojin,
                    at,
                } => {
                    if let Some(tenant) = self.tenant_of(dantai) {
                        // Refusals were refused live too: nothing to take back.
                        let _ = tenant.fugou.request_at(tougou, kojin, at);
                    }
                }
                FugouLogEntry::Process { dantai, at } => {
                    if let Some(tenant) = self.tenant_of(dantai) {
                        tenant
                            .fugou
                            .process(at, &self.inner.jukinet, self.inner.issuer.as_ref());
                    }
                }
            }
        }
        Ok(())
    }

    /// Registers a 符号取得要求 of `tenant` (logged first), then sends what is due.
    pub fn request_fugou(
        &self,
        tenant: &Tenant,
        tougou: TougouAtenaBango,
        kojin: KojinBango,
    ) -> Result<FugouStatus, ChukanError> {
        let at = self.inner.clock.now();
        // Check first so that a refused request is not logged.
        tenant.fugou.check_request(tougou)?;
        self.inner.db.log_fugou(&FugouLogEntry::Request {
            dantai: tenant.dantai.code,
            tougou,
            kojin,
            at,
        })?;
        tenant.fugou.request_at(tougou, kojin, at)?;
        self.process_fugou(tenant, at)?;
        Ok(tenant
            .fugou
            .status(tougou)
            .expect("a request was just registered"))
    }

    /// Sends every due 符号取得要求 of `tenant` at `at` (logged first when something is due).
    fn process_fugou(&self, tenant: &Tenant, at: OffsetDateTime) -> Result<(), ChukanError> {
        if tenant.fugou.due_count(at) == 0 {
            return Ok(());
        }
        self.inner.db.log_fugou(&FugouLogEntry::Process {
            dantai: tenant.dantai.code,
            at,
        })?;
        tenant
            .fugou
            .process(at, &self.inner.jukinet, self.inner.issuer.as_ref());
        Ok(())
    }

    // ---- the clock ---------------------------------------------------------------------------

    /// Runs what the clock has passed: due 符号取得要求, and every night batch whose time is
    /// now or earlier, one night after the other, each with its own time. Called before every
    /// 電文 and file request and after the admin API moves the clock, so what a vendor sees
    /// never depends on when a background task happened to wake.
    pub fn catch_up(&self) -> Result<(), ChukanError> {
        let _one_at_a_time = self
            .inner
            .catching_up
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = self.inner.clock.now();
        loop {
            let next = self.next_batch_time()?;
            if next > now {
                break;
            }
            for tenant in self.tenants() {
                self.process_fugou(tenant, next)?;
            }
            // 情報照会 due before the batch sees the 副本 as they were.
            self.inner.shoukai.tick_until(next)?;
            super::batch::run_night(self, next)?;
            self.inner
                .db
                .set_meta("last_batch", &super::db::rfc3339(next))?;
        }
        for tenant in self.tenants() {
            self.process_fugou(tenant, now)?;
        }
        // 情報照会: bulk 明細 due, 有効期間切れ事前通知 and 有効期間切れ.
        self.inner.shoukai.tick()?;
        Ok(())
    }

    /// The time of the next night batch not yet run.
    pub fn next_batch_time(&self) -> Result<OffsetDateTime, ChukanError> {
        let after = match self.inner.db.meta("last_batch")? {
            Some(last) => parse_meta_time(&last)?,
            None => match self.inner.db.meta("batch_anchor")? {
                Some(anchor) => parse_meta_time(&anchor)? - Duration::nanoseconds(1),
                None => self.inner.clock.now() - Duration::nanoseconds(1),
            },
        }
        .to_offset(JST);
        let today = after
            .date()
            .with_time(self.inner.config.batch_time)
            .assume_offset(JST);
        Ok(if today > after {
            today
        } else {
            today + Duration::days(1)
        })
    }

    /// Where uploaded files are spooled.
    pub fn spool_dir(&self) -> &std::path::Path {
        &self.inner.spool
    }

    // ---- 提供 (for 情報提供) --------------------------------------------------------------------

    /// Which of `kikan`'s stored 副本 of `tougou` for `tokutei` may be provided at `at` for a
    /// 提供の求め received at `received_at` (seed 004 §2.2, §2.4):
    ///
    /// - a 求め older than 30 days is expired: nothing ([`ProvideError::Expired`]);
    /// - a 副本 whose 公開日 is after `at`'s day, or whose 公開終了日 is before it, is not provided;
    /// - a 副本 laid out in the edition in force at `at` is provided;
    /// - a 副本 of an older edition is provided only for a 求め received while its edition was in
    ///   force, and not when the 特定個人情報 had a メジャー改版 in between: the layout changed, so
    ///   the old 副本 cannot answer even an earlier 求め (§2.4 #16); an abolished dataset still
    ///   answers such a 求め within its 30 days (§2.4 #31).
    pub fn providable(
        &self,
        kikan: KikanCode,
        tougou: TougouAtenaBango,
        tokutei: TokuteiKojinJohoMeiCode,
        at: OffsetDateTime,
        received_at: OffsetDateTime,
    ) -> Result<Vec<StoredFukuhon>, ProvideError> {
        if at > received_at + TEIKYOU_VALIDITY {
            return Err(ProvideError::Expired {
                received_at,
                expired_at: received_at + TEIKYOU_VALIDITY,
            });
        }
        let layouts = self.inner.layouts;
        let day = at.to_offset(JST).date();
        let now_edition = layouts
            .edition_in_force(day)
            .map(|e| e.version.clone())
            .unwrap_or_default();
        let then_edition = layouts
            .edition_in_force(received_at.to_offset(JST).date())
            .map(|e| e.version.clone())
            .unwrap_or_default();
        let tokutei_layouts = layouts.tokutei(&tokutei);
        // Whether a メジャー改版 of this 特定個人情報 took effect after the 求め was received.
        let major_since = tokutei_layouts.is_some_and(|t| {
            let editions = layouts.editions();
            let from = editions.iter().position(|e| e.version == then_edition);
            let to = editions.iter().position(|e| e.version == now_edition);
            match (from, to) {
                (Some(from), Some(to)) if to > from => editions[from + 1..=to].iter().any(|e| {
                    t.layout(&e.version).and_then(|l| l.revision) == Some(Revision::Major)
                }),
                _ => false,
            }
        });
        let in_edition = |edition: &str, stored: &StoredFukuhon| {
            tokutei_layouts
                .and_then(|t| t.layout(edition))
                .and_then(|l| l.dataset(&stored.dataset))
                .is_some_and(|d| d.major_version == stored.major_version)
        };
        let stored = self.inner.db.fukuhon_of(kikan, tougou, tokutei)?;
        Ok(stored
            .into_iter()
            .filter(|s| s.koukai_start.is_none_or(|d| d <= day))
            .filter(|s| s.koukai_end.is_none_or(|d| d >= day))
            .filter(|s| {
                in_edition(&now_edition, s) || (!major_since && in_edition(&then_edition, s))
            })
            .collect())
    }
}

/// Why nothing may be provided.
#[derive(Debug, thiserror::Error)]
pub enum ProvideError {
    #[error("提供の求め ({received_at} 受付) は有効期間 30 日を過ぎています ({expired_at} まで)")]
    Expired {
        received_at: OffsetDateTime,
        expired_at: OffsetDateTime,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

fn parse_meta_time(text: &str) -> Result<OffsetDateTime, ChukanError> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ChukanError::Db(DbError::Corrupt(text.to_owned())))
}
