//! What the ぴったりサービス holds for one 団体: accounts and their sessions, the 申請 with their
//! 申請ZIP, 取得状態 and 処理状況.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use renkei_fixtures::ids::{DantaiCode, UketsukeBango};
use renkei_fixtures::scenario::{AccountSpec, Application, FaultRoute, FaultSpec, Role, Variant};
use serde::Serialize;
use time::{Duration, OffsetDateTime, Time};

use crate::clock::Clock;
use crate::store::Change;

/// 取得状態: whether the municipality has taken a 申請 in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum ShutokuJotai {
    #[serde(rename = "未取得")]
    Mishutoku,
    #[serde(rename = "取得済み")]
    Shutokuzumi,
}

impl ShutokuJotai {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mishutoku => "未取得",
            Self::Shutokuzumi => "取得済み",
        }
    }
}

/// 処理状況: what the municipality reports back about a 申請 (seed 001 §5 ③-4 審査 statuses,
/// preceded by 受付).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum ShoriJokyo {
    /// Nothing reported yet.
    #[serde(rename = "未受付")]
    Miuketsuke,
    #[serde(rename = "受付済み")]
    Uketsukezumi,
    #[serde(rename = "審査中")]
    Shinsachu,
    #[serde(rename = "審査完了")]
    ShinsaKanryo,
    #[serde(rename = "却下")]
    Kyakka,
}

impl ShoriJokyo {
    pub const ALL: [ShoriJokyo; 5] = [
        Self::Miuketsuke,
        Self::Uketsukezumi,
        Self::Shinsachu,
        Self::ShinsaKanryo,
        Self::Kyakka,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Miuketsuke => "未受付",
            Self::Uketsukezumi => "受付済み",
            Self::Shinsachu => "審査中",
            Self::ShinsaKanryo => "審査完了",
            Self::Kyakka => "却下",
        }
    }

    /// The one table of allowed transitions: 未受付 → 受付済み → 審査中 → 審査完了 / 却下.
    /// 審査完了 and 却下 are final.
    pub fn may_become(self, next: ShoriJokyo) -> bool {
        matches!(
            (self, next),
            (Self::Miuketsuke, Self::Uketsukezumi)
                | (Self::Uketsukezumi, Self::Shinsachu)
                | (Self::Shinsachu, Self::ShinsaKanryo)
                | (Self::Shinsachu, Self::Kyakka)
        )
    }
}

/// Daily service hours (seed 000 §6.1: every day 6:30–23:00).
#[derive(Debug, Clone, Copy)]
pub struct ServiceHours {
    pub opens: Time,
    pub closes: Time,
}

impl ServiceHours {
    pub const JLIS: ServiceHours = ServiceHours {
        opens: time::macros::time!(6:30),
        closes: time::macros::time!(23:00),
    };

    /// Whether `at` (any offset; judged in JST) is within the hours.
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        let t = at.to_offset(renkei_fixtures::JST).time();
        t >= self.opens && t < self.closes
    }
}

/// One 申請 as served: the scenario's application, its ZIP and its states.
#[derive(Debug, Clone)]
pub struct Shinsei {
    pub application: Application,
    pub tetsuzuki_name: String,
    /// The 申請ZIP exactly as served.
    pub zip: Arc<Vec<u8>>,
    pub shutoku: ShutokuJotai,
    pub shori: ShoriJokyo,
    pub shori_updated_at: Option<OffsetDateTime>,
    /// For a [`Variant::Duplicate`] 申請: whether it was already delivered again.
    pub redelivered: bool,
}

/// An authenticated session.
#[derive(Debug, Clone)]
pub struct Session {
    pub login_id: String,
    pub role: Role,
    pub dantai: DantaiCode,
    /// Procedures a 手続一般ユーザ may see; `None` for the other roles.
    pub tetsuzuki: Option<Vec<String>>,
    pub expires_at: OffsetDateTime,
}

impl Session {
    /// Whether this session may read 申請 of `tetsuzuki`.
    pub fn may_read(&self, tetsuzuki: &str) -> bool {
        match self.role {
            Role::AccountKanri => false,
            Role::TetsuzukiKanri => true,
            Role::TetsuzukiIppan => self
                .tetsuzuki
                .as_ref()
                .is_some_and(|assigned| assigned.iter().any(|t| t == tetsuzuki)),
        }
    }
}

/// Settings of the download API.
#[derive(Debug, Clone)]
pub struct PittariConfig {
    /// How long a token is valid.
    pub token_lifetime: Duration,
    pub hours: ServiceHours,
    /// Refuse requests that did not come through the 連携サーバ (seed 001 §5 ①).
    pub require_proxy: bool,
    /// Largest `per_page`.
    pub max_per_page: u32,
}

impl Default for PittariConfig {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::minutes(30),
            hours: ServiceHours::JLIS,
            require_proxy: true,
            max_per_page: 100,
        }
    }
}

/// The ぴったりサービス's state; a cloneable handle.
#[derive(Clone)]
pub struct Pittari {
    pub(crate) inner: Arc<Mutex<Inner>>,
    pub clock: Clock,
    pub config: PittariConfig,
    /// Where acknowledged changes are written before they are acknowledged (`--data`).
    pub(crate) store: Option<Arc<crate::store::SqliteStore>>,
}

pub(crate) struct Inner {
    pub accounts: Vec<(AccountSpec, DantaiCode)>,
    /// Keyed by 受付番号; a `BTreeMap` only for stable iteration in admin views.
    pub shinsei: BTreeMap<UketsukeBango, Shinsei>,
    /// 申請 in list order (申請日時, 受付番号): the order never changes, so pages are stable.
    pub order: Vec<UketsukeBango>,
    pub sessions: HashMap<String, Session>,
    /// Injected faults and how many more calls each hits.
    pub faults: Vec<(FaultSpec, u32)>,
    pub next_token: u64,
    pub token_secret: u64,
}

impl Pittari {
    /// The state for `applications` (with their ZIPs and procedure names), served to `accounts`
    /// of `dantai`.
    pub fn new(
        clock: Clock,
        config: PittariConfig,
        dantai: DantaiCode,
        accounts: Vec<AccountSpec>,
        applications: Vec<(Application, String, Vec<u8>)>,
        seed: u64,
    ) -> Self {
        let mut shinsei = BTreeMap::new();
        let mut order = Vec::new();
        for (application, tetsuzuki_name, zip) in applications {
            order.push(application.uketsuke_bango);
            shinsei.insert(
                application.uketsuke_bango,
                Shinsei {
                    application,
                    tetsuzuki_name,
                    zip: Arc::new(zip),
                    shutoku: ShutokuJotai::Mishutoku,
                    shori: ShoriJokyo::Miuketsuke,
                    shori_updated_at: None,
                    redelivered: false,
                },
            );
        }
        order.sort_by_key(|u| (shinsei[u].application.submitted_at, *u));
        Self {
            inner: Arc::new(Mutex::new(Inner {
                accounts: accounts.into_iter().map(|a| (a, dantai)).collect(),
                shinsei,
                order,
                sessions: HashMap::new(),
                faults: Vec::new(),
                next_token: 1,
                token_secret: renkei_fixtures::rng::mix(seed ^ renkei_fixtures::rng::tag(b"TOKEN")),
            })),
            clock,
            config,
            store: None,
        }
    }

    /// Writes every change to `store` before acknowledging it, from now on.
    pub fn persist_to(&mut self, store: Arc<crate::store::SqliteStore>) {
        self.store = Some(store);
    }

    /// Makes `change` durable (when there is a store), then applies it. The one path for live
    /// changes and for replaying them after a restart.
    pub(crate) fn commit(
        &self,
        inner: &mut Inner,
        change: Change,
    ) -> Result<(), crate::store::StoreError> {
        if let Some(store) = &self.store {
            store.append(&change)?;
        }
        inner.apply(change);
        Ok(())
    }

    /// Injects a fault (the scenario's at start, the admin API's later).
    pub fn add_fault(&self, fault: FaultSpec) -> Result<(), crate::store::StoreError> {
        let mut inner = self.lock();
        self.commit(&mut inner, Change::FaultAdded { fault })
    }

    /// The first fault still armed for a call on `route` about `uketsuke`, which it then hits.
    pub(crate) fn take_fault(
        &self,
        route: FaultRoute,
        uketsuke: Option<UketsukeBango>,
    ) -> Result<Option<FaultSpec>, crate::store::StoreError> {
        let mut inner = self.lock();
        let found = inner.faults.iter().position(|(fault, remaining)| {
            *remaining > 0
                && fault.route == route
                && (fault.uketsuke_bango.is_none() || fault.uketsuke_bango == uketsuke)
        });
        let Some(index) = found else { return Ok(None) };
        let fault = inner.faults[index].0.clone();
        self.commit(&mut inner, Change::FaultFired { index })?;
        Ok(Some(fault))
    }

    /// Applies changes recorded by an earlier run (they are already durable).
    pub fn replay(&self, changes: impl IntoIterator<Item = Change>) {
        let mut inner = self.lock();
        for change in changes {
            inner.apply(change);
        }
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Each handler changes at most one entry; a panic cannot leave one half-written.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The 取得状態 and 処理状況 of a 申請 (for the runner and the admin API).
    pub fn status_of(&self, uketsuke: &UketsukeBango) -> Option<(ShutokuJotai, ShoriJokyo)> {
        self.lock()
            .shinsei
            .get(uketsuke)
            .map(|s| (s.shutoku, s.shori))
    }

    /// The 申請ZIP of a 申請 as the download API delivers it, and its 申請 (for the runner, which
    /// compares what a system stored with what was sent).
    pub fn delivered(&self, uketsuke: &UketsukeBango) -> Option<(Application, Arc<Vec<u8>>)> {
        self.lock()
            .shinsei
            .get(uketsuke)
            .map(|s| (s.application.clone(), s.zip.clone()))
    }

    /// Every 申請 with its variant, in list order (for the runner).
    pub fn applications(&self) -> Vec<(UketsukeBango, Variant, ShutokuJotai, ShoriJokyo)> {
        let inner = self.lock();
        inner
            .order
            .iter()
            .map(|u| {
                let s = &inner.shinsei[u];
                (*u, s.application.variant, s.shutoku, s.shori)
            })
            .collect()
    }
}

impl Inner {
    /// Applies one change to the state.
    pub(crate) fn apply(&mut self, change: Change) {
        match change {
            Change::Login {
                token,
                login_id,
                expires_at,
            } => {
                if let Some((account, dantai)) =
                    self.accounts.iter().find(|(a, _)| a.login_id == login_id)
                {
                    let session = Session {
                        login_id: account.login_id.clone(),
                        role: account.role,
                        dantai: *dantai,
                        tetsuzuki: (account.role == Role::TetsuzukiIppan)
                            .then(|| account.tetsuzuki.clone()),
                        expires_at,
                    };
                    self.sessions.insert(token, session);
                }
                self.next_token += 1;
            }
            Change::Shutoku {
                uketsuke_bango,
                shutoku,
                redelivered,
            } => {
                if let Some(shinsei) = self.shinsei.get_mut(&uketsuke_bango) {
                    shinsei.shutoku = shutoku;
                    shinsei.redelivered = redelivered;
                }
            }
            Change::Shori {
                uketsuke_bango,
                shori,
                at,
            } => {
                if let Some(shinsei) = self.shinsei.get_mut(&uketsuke_bango) {
                    shinsei.shori = shori;
                    shinsei.shori_updated_at = Some(at);
                }
            }
            Change::FaultAdded { fault } => {
                let times = fault.times;
                self.faults.push((fault, times));
            }
            Change::FaultFired { index } => {
                if let Some((_, remaining)) = self.faults.get_mut(index) {
                    *remaining = remaining.saturating_sub(1);
                }
            }
            // Neither the clock nor the 住基ネットCS is the ぴったりサービス's; the stack applies them.
            Change::Clock { .. } | Change::Jukinet { .. } => {}
        }
    }

    /// A fresh opaque token: a counter mixed with a per-run secret, so tokens are not guessable
    /// from one another yet the run stays deterministic.
    /// The token the next login gets (the counter moves when the login is applied, so a replay
    /// after a restart continues the same sequence).
    pub fn next_token(&self) -> String {
        let n = self.next_token;
        format!(
            "{:016x}{:016x}",
            renkei_fixtures::rng::mix(self.token_secret ^ n),
            renkei_fixtures::rng::mix(n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.token_secret)
        )
    }
}
