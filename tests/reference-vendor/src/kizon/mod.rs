//! 既存業務システム (docs/kizon-gyomu.md): 税・福祉などの業務システム。正本から副本を作って自治体中間サーバーに
//! 登録し (`fukuhon_touroku`)、ほかの機関に情報照会し (`shoukai`、`shoukai_kekka`、`toriyame`)、自動応答不可の
//! 提供の求めを職員が確かめて送り (`teikyou`)、情報提供等記録を取り込み (`kiroku`)、機関間テストを行い
//! (`kikan_test`)、うまくいかなかった照会の問合せ資料を作ります (`toiawase`)。
//!
//! | モジュール | 何をするか | 文書 |
//! |---|---|---|
//! | [`catalog`] | データ標準レイアウト (その日に有効な版) と法令根拠 | docs/catalogs.md |
//! | [`seihon`] | 正本ファイル (`renkei-seihon/1`) | docs/kizon-gyomu.md「正本ファイル」 |
//! | [`fukuhon`] | 副本登録の1回: 結果の確認、正本との差、版と改版の定め、上限、自動応答不可、突合 | docs/chukan-fukuhon-file.md、docs/chukan-api.md、docs/kizon-gyomu.md「改版」 |
//! | [`jikan`] | サービス提供時間・停止時間帯・祝日 | docs/chukan-shoukai.md「時間」 |
//! | [`irai`] | 照会の依頼と状況の語 | docs/kizon-gyomu.md「照会」 |
//! | [`fuka`] | 照会の量と時間帯: 15 分に 1,000 件まで、過負荷のあと 60 分待つ、大量の一括照会は窓口業務のあと | docs/kizon-gyomu.md「照会の量と時間帯」 |
//! | [`shoukai`] | 照会 (法令根拠 → 符号 → 時間 → 送る)、状況と結果の確認、取りやめ、機関間テスト | docs/chukan-shoukai.md |
//! | [`teikyou`] | 通知を読み、未回答の提供の求めを確認して送信許可する | docs/chukan-api.md「IF_TKY_…」 |
//! | [`kiroku`] | 自分の側の情報提供等記録の取り込み | docs/chukan-api.md「IF_TKM_10911_R01」 |
//! | [`toiawase`] | ヘルプデスクへの問合せ資料 (電文の個人を識別できる値をマスキング) | docs/kizon-gyomu.md「問合せ資料」 |
//! | [`setsuzoku`] | 中間サーバーへの接続確認と、機関間テストに入る条件 | docs/kizon-gyomu.md「接続確認」「接続先の切替」 |
//!
//! どのジョブも、中間サーバーに断られた (時間外、上限、エラーコード) のはジョブの失敗にしません。自分の規則
//! どおりに待たせ・やり直し・エラーとして記録し、200 で答えます。時刻はすべてシミュレーターの時計です。

pub mod catalog;
pub mod fuka;
pub mod fukuhon;
pub mod irai;
pub mod jikan;
pub mod kiroku;
pub mod seihon;
pub mod setsuzoku;
pub mod shoukai;
pub mod teikyou;
pub mod toiawase;

use crate::app::App;
use crate::chukan::ChukanClient;
use crate::chukan::client::HttpReply;
use crate::chukan::denbun::{self, Header, Reply};
use crate::config::{Chukan, Kizon, RenkeiConfig};
use crate::defects::{DefectKind, Seeded};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use time::{Date, OffsetDateTime};

const META_RUN: &str = "kizon_run";

/// 既存業務システムのジョブ1回の道具: 設定、中間サーバーへの接続、シミュレーターの「今」。
pub struct Ctx<'a> {
    pub app: &'a App,
    pub config: &'a RenkeiConfig,
    pub chukan: &'a Chukan,
    pub kizon: &'a Kizon,
    pub client: ChukanClient,
    /// ジョブの初めに聞いたシミュレーターの時計 (renkei は時計を止めたまま進めるので、ジョブの間は同じです)。
    pub now: OffsetDateTime,
    pub seeded: Seeded,
    /// 相対パスを読む基点 (設定ファイルのフォルダ)。
    base: PathBuf,
    run: u64,
    seq: u64,
    /// 最後に送った電文と受けた応答 ([`Ctx::take_koukan`]、問合せ資料のため)。
    koukan: Option<Koukan>,
}

/// 送った電文と受けた応答 (そのまま)。
#[derive(Clone, Debug)]
pub struct Koukan {
    pub denbun_id: String,
    pub sent: String,
    pub received: String,
}

impl Koukan {
    pub fn new(denbun_id: &str, sent: String, received: &[u8]) -> Koukan {
        Koukan {
            denbun_id: denbun_id.to_owned(),
            sent,
            received: String::from_utf8_lossy(received).into_owned(),
        }
    }
}

/// 中間サーバーにつなげなかった・答えを読めなかった (その回を続けても同じなので、やめる理由)。
#[derive(Debug)]
pub struct Tsuushin(pub String);

impl<'a> Ctx<'a> {
    /// 設定の `chukan` と `kizon` がなければ、この役割を担っていないのでジョブを断ります。
    pub async fn new(app: &'a App, config: &'a RenkeiConfig, base: &Path) -> Result<Ctx<'a>> {
        let chukan = config.chukan.as_ref().ok_or_else(|| {
            Error::new(
                "設定に chukan (中間サーバー) がありません: 既存業務システムのジョブはできません",
            )
        })?;
        let kizon = config.kizon.as_ref().ok_or_else(|| {
            Error::new("設定に kizon (既存業務システム) がありません: この役割のジョブはできません")
        })?;
        let fixed = if app.seeded.has(DefectKind::TlsCertCached) {
            // 不具合: reset のときに読んだクライアント証明書と鍵を使い続ける (入れ替えられたファイルを読まない)。
            app.tls_at_reset()
        } else {
            None
        };
        let client = ChukanClient::with_identity(chukan, fixed)?;
        let now = app.fetch_now(config).await;
        let run = {
            let store = app.store();
            let run = store
                .meta(META_RUN)?
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            store.set_meta(META_RUN, &run.to_string())?;
            run
        };
        Ok(Ctx {
            app,
            config,
            chukan,
            kizon,
            client,
            now,
            seeded: app.seeded,
            base: base.to_owned(),
            run,
            seq: 0,
            koukan: None,
        })
    }

    /// 今日 (シミュレーターの時計の日本時間の日付)。
    pub fn today(&self) -> Date {
        crate::jst::date_of(self.now)
    }

    pub fn now_text(&self) -> String {
        crate::jst::format(self.now)
    }

    /// この回の番号 (ファイル名などに使います)。
    pub fn run(&self) -> u64 {
        self.run
    }

    /// 設定のパス (相対なら設定ファイルのフォルダから)。
    pub fn path(&self, p: &str) -> PathBuf {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            self.base.join(p)
        }
    }

    /// 電文の `MSGMode`: 設定の `chukan.msg_mode` をそのまま書きます (決め打ちしない: KIK-04)。
    pub fn msg_mode(&self) -> &str {
        if self.seeded.has(DefectKind::MsgModeFixedTest) {
            // 不具合: いつもテスト環境の "1" を書く。
            "1"
        } else {
            &self.chukan.msg_mode
        }
    }

    fn msg_id(&mut self) -> String {
        self.seq += 1;
        format!("RV-KIZON-{}-{}", self.run, self.seq)
    }

    fn build(&mut self, id: &str, body: &[(&str, &str)]) -> String {
        let msg_id = self.msg_id();
        let header = Header {
            msg_id: &msg_id,
            msg_mode: self.msg_mode(),
            source: &self.kizon.source_system_id,
            destination: &self.chukan.kikan_code,
        };
        denbun::request(id, &header, body)
    }

    /// 読むだけの電文 (二度届いても害がない) を送って応答を読みます。
    pub async fn yomu(
        &mut self,
        id: &str,
        body: &[(&str, &str)],
    ) -> std::result::Result<Reply, Tsuushin> {
        let xml = self.build(id, body);
        self.koukan = None;
        let reply = self
            .client
            .post(id, xml.clone())
            .await
            .map_err(|e| Tsuushin(e.0))?;
        self.koukan = Some(Koukan::new(id, xml, &reply.body));
        denbun::reply(id, reply.status, &reply.body).map_err(Tsuushin)
    }

    /// 中間サーバーで何かを変える電文 (二度届くと困る) を送って応答を読みます。
    pub async fn kaeru(
        &mut self,
        id: &str,
        body: &[(&str, &str)],
    ) -> std::result::Result<Reply, Tsuushin> {
        let xml = self.build(id, body);
        self.koukan = None;
        let reply = self
            .client
            .post_once(id, xml.clone())
            .await
            .map_err(|e| Tsuushin(e.0))?;
        self.koukan = Some(Koukan::new(id, xml, &reply.body));
        denbun::reply(id, reply.status, &reply.body).map_err(Tsuushin)
    }

    /// 最後の [`Ctx::yomu`] / [`Ctx::kaeru`] で送った電文と受けた応答 (取り出すと空になります)。
    pub fn take_koukan(&mut self) -> Option<Koukan> {
        self.koukan.take()
    }

    /// 添付ファイルつきの電文を送って応答を読みます。
    pub async fn tenpu(
        &mut self,
        id: &str,
        body: &[(&str, &str)],
        file_name: &str,
        file: &[u8],
    ) -> std::result::Result<Reply, Tsuushin> {
        let xml = self.build(id, body);
        let reply = self
            .client
            .post_multipart(id, &xml, file_name, file)
            .await
            .map_err(|e| Tsuushin(e.0))?;
        denbun::reply(id, reply.status, &reply.body).map_err(Tsuushin)
    }

    /// ファイル連携の GET (`/xml/v1/…`)。
    pub async fn get(
        &mut self,
        path: &str,
        max: usize,
    ) -> std::result::Result<HttpReply, Tsuushin> {
        self.client.get(path, max).await.map_err(|e| Tsuushin(e.0))
    }

    /// 符号管理の電文のヘッダ (団体内統合宛名システムの電文を、この役割の SourceSystemID で送るため)。
    pub fn fugou_header(&mut self) -> (String, String, String, String) {
        (
            self.msg_id(),
            self.msg_mode().to_owned(),
            self.kizon.source_system_id.clone(),
            self.chukan.kikan_code.clone(),
        )
    }
}
