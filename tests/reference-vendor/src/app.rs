//! システム全体の状態: 保管場所、設定、シミュレーターの時計、ジョブの排他。
//!
//! ジョブは一度に一つだけ走ります (`jobs` の非同期の `Mutex`)。renkei はシナリオを順に動かし、ジョブを
//! 終わるまで待つので、並べて走らせる必要がなく、そのほうが取込と審査が同じ申請を同時に触る心配がありません。
//! 観察 (GET) はジョブを待たず、保管場所から「その時点で保管し終えているもの」を読みます。

use crate::chukan::client::ClientIdentity;
use crate::config::RenkeiConfig;
use crate::defects::Seeded;
use crate::error::{Error, Result};
use crate::jst;
use crate::pittari;
use crate::store::Store;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;
use time::OffsetDateTime;

const META_CONFIG: &str = "config";
const META_SIM_NOW: &str = "sim_now";

/// ジョブが持つ状態 (ジョブの排他の中でだけ触ります)。
#[derive(Default)]
pub struct JobState {
    /// ダウンロード API にログインしたままの状態。`reset` で捨てます。
    pub pittari: Option<pittari::Session>,
}

pub struct App {
    /// std の `Mutex`: どの保管の操作も短く、`.await` をまたいで持たないため。
    store: Mutex<Store>,
    /// いまの設定 (`reset` で読んだもの)。観察も読むので、ジョブの排他とは別に持ちます。
    config: RwLock<Option<Arc<RenkeiConfig>>>,
    /// ジョブを一つずつ走らせるための排他。
    pub jobs: tokio::sync::Mutex<JobState>,
    /// 連携サーバを通さない相手 (シミュレーターの時計と住基ネットCS) 用の HTTP クライアント。
    pub http: reqwest::Client,
    pub seeded: Seeded,
    /// 不具合 `tls-cert-cached` のときだけ: `reset` で読んだクライアント証明書と鍵。
    tls_at_reset: Mutex<Option<ClientIdentity>>,
}

impl App {
    pub fn new(store: Store, seeded: Seeded) -> Result<App> {
        let config = store
            .meta(META_CONFIG)?
            .and_then(|text| RenkeiConfig::parse(&text).ok())
            .map(Arc::new);
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::new(format!("HTTP クライアントを作れません: {e}")))?;
        Ok(App {
            store: Mutex::new(store),
            config: RwLock::new(config),
            jobs: tokio::sync::Mutex::new(JobState::default()),
            http,
            seeded,
            tls_at_reset: Mutex::new(None),
        })
    }

    /// `reset` のときのクライアント証明書と鍵を覚えます (不具合 `tls-cert-cached` のときだけ呼びます)。
    pub fn set_tls_at_reset(&self, identity: Option<ClientIdentity>) {
        *self.tls_at_reset.lock().unwrap_or_else(|p| p.into_inner()) = identity;
    }

    /// `reset` のときに覚えたクライアント証明書と鍵 (なければ `None`: ファイルを読む)。
    pub fn tls_at_reset(&self) -> Option<ClientIdentity> {
        self.tls_at_reset
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// 保管場所。ほかのスレッドがパニックしていても (毒されていても) 中身は一貫しているので使い続けます:
    /// 書き込みはすべてトランザクションだからです。
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn config(&self) -> Option<Arc<RenkeiConfig>> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// 設定を置き換え、再起動しても読めるように保管します。
    pub fn set_config(&self, config: RenkeiConfig) -> Result<Arc<RenkeiConfig>> {
        let text = serde_json::to_string(&config).map_err(|e| Error::new(e.to_string()))?;
        self.store().set_meta(META_CONFIG, &text)?;
        let config = Arc::new(config);
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = Some(config.clone());
        Ok(config)
    }

    /// シミュレーターの時計の「今」を聞きます。聞けなければ最後に知った時刻 (なければ設定の `now`)。
    pub async fn fetch_now(&self, config: &RenkeiConfig) -> OffsetDateTime {
        #[derive(serde::Deserialize)]
        struct Clock {
            now: String,
        }
        let asked = async {
            let response = self
                .http
                .get(&config.clock_url)
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .ok()?;
            let clock: Clock = response.json().await.ok()?;
            jst::parse(&clock.now).ok()
        }
        .await;
        match asked {
            Some(now) => {
                // 時計はシミュレーターのものが正しいので、戻されたときもそのまま従います。
                if let Err(e) = self.store().set_meta(META_SIM_NOW, &jst::format(now)) {
                    eprintln!("reference-vendor: 時刻を保管できません: {e}");
                }
                now
            }
            None => self.known_now(config),
        }
    }

    /// 最後に知ったシミュレーターの時刻。
    pub fn known_now(&self, config: &RenkeiConfig) -> OffsetDateTime {
        let known = self.store().meta(META_SIM_NOW).ok().flatten();
        known
            .and_then(|t| jst::parse(&t).ok())
            .or_else(|| jst::parse(&config.now).ok())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// シミュレーターの時刻を知ったことを記録します (時計は進むだけなので、前より後のときだけ)。
    pub fn note_now(&self, store: &mut Store, now: &str) -> Result<()> {
        let Ok(t) = jst::parse(now) else {
            return Ok(());
        };
        let known = store.meta(META_SIM_NOW)?.and_then(|s| jst::parse(&s).ok());
        if known.is_none_or(|k| t > k) {
            store.set_meta(META_SIM_NOW, &jst::format(t))?;
        }
        Ok(())
    }

    /// 証明書の有効・失効を判定する日 (最後に知ったシミュレーターの時刻の、日本時間の日付)。
    pub fn today(&self, config: &RenkeiConfig) -> String {
        jst::format_date(jst::date_of(self.known_now(config)))
    }
}
