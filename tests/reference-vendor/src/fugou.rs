//! 団体内統合宛名システム: 転入などで増えた住民を住民記録に加え (`jumin_toroku`)、符号をまだ取得していない
//! 住民の符号取得要求を中間サーバーに登録し、取得中のものの状況を確かめる (`fugou_shutoku`)。
//! docs/sut-adapter.md「ジョブの一覧」、docs/chukan-fugou.md、docs/chukan-api.md、seed 004 §6.3。
//!
//! ## 1回の符号取得
//!
//! 住民記録に加わった順に一人ずつ、その人の状況で決めます。
//!
//! | 状況 | すること |
//! |---|---|
//! | `未要求`、`エラー` | `IF_FGU_10111_R01` で登録し、答えの状態と中間サーバー受付番号を持つ (エラーの後は登録し直せる) |
//! | `符号取得中` | `IF_FGU_10112_R01` で状況を聞き、答えの状態を持つ (受付番号は前のまま) |
//! | `符号取得済み` | 何もしない |
//!
//! - 登録が `FUGOU_ALREADY_REQUESTED` / `FUGOU_ALREADY_ACQUIRED` で断られた (前の答えを受け取り損ねた)
//!   ときは、状況を聞いてそれに合わせます。状況が `FUGOU_NOT_REQUESTED` (中間サーバーに要求がない) なら
//!   その場で登録し直します。
//! - その本人に限った断り (他団体の住民、番号の形) は、状況を変えずに理由だけを持ち、次の人に進みます。
//! - 全員に効く断り (証明書、MSGMode、つながらない、読めない答え) では、その回をやめます。ジョブの失敗では
//!   ないので 200 で答え、報告の `stopped` に理由を書きます。次の回は続きから (同じ規則で) やり直します。
//! - 接続は一つを保って電文を順に送り、結果は何人分かずつまとめて保管します (数百人で数秒)。

use crate::app::App;
use crate::chukan::ChukanClient;
use crate::chukan::denbun::{self, Answer, DenbunError, Header};
use crate::config::{Chukan, RenkeiConfig};
use crate::defects::DefectKind;
use crate::error::{Error, Result};
use crate::jst;
use crate::master;
use crate::store::{FugouUpdate, ORIGIN_JUMIN_TOROKU, TougouRecord};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// 電文の `SourceSystemID` (送り手のシステムの ID)。
pub const SOURCE_SYSTEM_ID: &str = "RV-TOUGOU-ATENA";
/// 何人分の結果ごとに保管するか。
const FLUSH_EVERY: usize = 50;
/// 報告に書く断りの数の上限 (数は `refused_count` にすべて)。
const REFUSALS_SHOWN: usize = 20;

const META_RUN: &str = "fugou_run";

/// `jumin_toroku` の結果。
#[derive(Debug, Serialize)]
pub struct Toroku {
    /// ファイルの住民の数。
    pub jumin: usize,
    /// 団体内統合宛名システムに新しく加わった人数。
    pub added: usize,
}

/// `jumin_toroku`: `path` の住民記録ファイル (`juki_master` と同じ形) の住民を住民記録に加えます。
/// 宛名データ (既存住基システム) にも加えます: 同じ住民記録だからです。`source` は `住民記録`、
/// `updated_at` は加えたときのシミュレーターの時刻です。
pub async fn jumin_toroku(app: &App, config: &RenkeiConfig, path: &Path) -> Result<Toroku> {
    let now = jst::format(app.fetch_now(config).await);
    let people = master::load(path, &now)?;
    let tougou = master::load_tougou(path)?;
    let added = app
        .store()
        .add_jumin(&people, &tougou, ORIGIN_JUMIN_TOROKU)?;
    Ok(Toroku {
        jumin: people.len(),
        added,
    })
}

/// 本人に限った断り1つ (報告のため)。
#[derive(Debug, Serialize)]
pub struct Refusal {
    pub tougou_atena_bango: String,
    pub code: String,
    pub message: String,
}

/// `fugou_shutoku` の報告。
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// 送った `IF_FGU_10111_R01` の数。
    pub requested: usize,
    /// 送った `IF_FGU_10112_R01` の数。
    pub checked: usize,
    /// 個人番号がないので要求できなかった人数。
    pub no_kojin_bango: usize,
    pub refused_count: usize,
    pub refused: Vec<Refusal>,
    /// その回をやめた理由 (全員に効く断り、つながらない)。
    pub stopped: Option<String>,
    /// 中間サーバーにつないだ回数。
    pub connections: usize,
    /// 回の終わりの、状況ごとの人数。
    pub status: BTreeMap<String, usize>,
}

/// 登録の結果。
enum Registered {
    Done,
    /// 中間サーバーにはもう要求がある (`FUGOU_ALREADY_…`)。
    AlreadyThere(DenbunError),
}

/// 状況の結果。
enum Checked {
    Done,
    /// 中間サーバーに要求がない (`FUGOU_NOT_REQUESTED`)。
    NotRequested(DenbunError),
}

/// その回をやめる理由。
struct Stop(String);

struct Run<'a> {
    app: &'a App,
    chukan: &'a Chukan,
    client: ChukanClient,
    run: u64,
    seq: u64,
    now: String,
    pending: Vec<FugouUpdate>,
    report: Report,
}

/// `fugou_shutoku`: 符号取得を1回。
pub async fn shutoku(app: &App, config: &RenkeiConfig) -> Result<Report> {
    let chukan = config.chukan.as_ref().ok_or_else(|| {
        Error::new("設定に chukan (中間サーバー) がありません: 符号取得ができません")
    })?;
    let client = ChukanClient::new(chukan)?;
    let now = jst::format(app.fetch_now(config).await);
    let (records, run) = {
        let store = app.store();
        let run = store
            .meta(META_RUN)?
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        store.set_meta(META_RUN, &run.to_string())?;
        (store.tougou_all()?, run)
    };
    let mut r = Run {
        app,
        chukan,
        client,
        run,
        seq: 0,
        now,
        pending: Vec::new(),
        report: Report::default(),
    };
    let outcome = r.all(&records).await;
    r.flush()?;
    if let Err(Stop(why)) = outcome {
        eprintln!("reference-vendor: 符号取得をこの回はやめます: {why}");
        r.report.stopped = Some(why);
    }
    let mut report = r.report;
    report.connections = r.client.connections;
    for t in app.store().tougou_all()? {
        *report.status.entry(t.status).or_default() += 1;
    }
    Ok(report)
}

impl Run<'_> {
    async fn all(&mut self, records: &[TougouRecord]) -> std::result::Result<(), Stop> {
        for t in records {
            if self.app.seeded.has(DefectKind::TennyuFugouSkipped)
                && t.origin == ORIGIN_JUMIN_TOROKU
            {
                // 不具合: 符号取得の対象を reset で読んだ住民に限り、転入などで加えた住民を飛ばす。
                continue;
            }
            match t.status.as_str() {
                "符号取得済み" => {}
                "符号取得中" => {
                    if self.app.seeded.has(DefectKind::FugouPendingNotRechecked) {
                        // 不具合: 取得中の住民の状況を確かめ直さない。
                        continue;
                    }
                    if let Checked::NotRequested(e) = self.check(t).await? {
                        // 中間サーバーに要求がない: 登録し直す。
                        match t.kojin_bango.as_deref() {
                            Some(kojin) => {
                                if let Registered::AlreadyThere(e) = self.register(t, kojin).await?
                                {
                                    self.refused(t, &e)?;
                                }
                            }
                            None => self.refused(t, &e)?,
                        }
                    }
                }
                // 未要求とエラー (エラーの後は登録し直せます)
                _ => {
                    let Some(kojin) = t.kojin_bango.as_deref() else {
                        self.report.no_kojin_bango += 1;
                        continue;
                    };
                    if let Registered::AlreadyThere(_) = self.register(t, kojin).await?
                        && let Checked::NotRequested(e) = self.check(t).await?
                    {
                        self.refused(t, &e)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn header_id(&mut self) -> String {
        self.seq += 1;
        format!("RV-FGU-{}-{}", self.run, self.seq)
    }

    /// 電文を送り、答えを読みます。送れない・読めないときはその回をやめます。
    async fn send(
        &mut self,
        id: &str,
        tougou: &str,
        kojin: Option<&str>,
    ) -> std::result::Result<Answer, Stop> {
        let msg_id = self.header_id();
        let header = Header {
            msg_id: &msg_id,
            msg_mode: &self.chukan.msg_mode,
            source: SOURCE_SYSTEM_ID,
            destination: &self.chukan.kikan_code,
        };
        let xml = match kojin {
            Some(kojin) => denbun::touroku(&header, tougou, kojin),
            None => denbun::jokyo(&header, tougou),
        };
        let reply = self.client.post(id, xml).await.map_err(|e| Stop(e.0))?;
        denbun::parse(id, reply.status, &reply.body)
            .map_err(|e| Stop(format!("{id} ({tougou}): {e}")))
    }

    async fn register(
        &mut self,
        t: &TougouRecord,
        kojin: &str,
    ) -> std::result::Result<Registered, Stop> {
        self.report.requested += 1;
        match self
            .send(denbun::TOUROKU, &t.tougou_atena_bango, Some(kojin))
            .await?
        {
            Answer::Ok {
                reception_number,
                jotai,
            } => {
                self.record(FugouUpdate {
                    tougou_atena_bango: t.tougou_atena_bango.clone(),
                    status: Some(jotai.jotai),
                    uketsuke_bango: Some(reception_number).filter(|u| !u.is_empty()),
                    detail: format!("要求日時 {}、{}", jotai.yokyu_nichiji, jotai.detail),
                    checked_at: self.now.clone(),
                })?;
                Ok(Registered::Done)
            }
            Answer::Refused(e)
                if e.code == "FUGOU_ALREADY_REQUESTED" || e.code == "FUGOU_ALREADY_ACQUIRED" =>
            {
                Ok(Registered::AlreadyThere(e))
            }
            Answer::Refused(e) => self.refused(t, &e).map(|()| Registered::Done),
        }
    }

    async fn check(&mut self, t: &TougouRecord) -> std::result::Result<Checked, Stop> {
        self.report.checked += 1;
        match self
            .send(denbun::JOKYO, &t.tougou_atena_bango, None)
            .await?
        {
            Answer::Ok { jotai, .. } => {
                self.record(FugouUpdate {
                    tougou_atena_bango: t.tougou_atena_bango.clone(),
                    status: Some(jotai.jotai),
                    // 状況の答えには受付番号がない (ReceptionNumber は空): 最後の要求のものを保ちます。
                    uketsuke_bango: None,
                    detail: format!("要求日時 {}、{}", jotai.yokyu_nichiji, jotai.detail),
                    checked_at: self.now.clone(),
                })?;
                Ok(Checked::Done)
            }
            Answer::Refused(e) if e.code == "FUGOU_NOT_REQUESTED" => Ok(Checked::NotRequested(e)),
            Answer::Refused(e) => self.refused(t, &e).map(|()| Checked::Done),
        }
    }

    /// 断られた: 本人に限った断りなら理由を持って次へ、全員に効く断りならその回をやめます。
    fn refused(&mut self, t: &TougouRecord, e: &DenbunError) -> std::result::Result<(), Stop> {
        if !e.is_about_the_person() {
            return Err(Stop(format!(
                "中間サーバーが断りました (HTTP {} {}、{}): {}",
                e.http_status, e.code, e.item, e.message
            )));
        }
        self.report.refused_count += 1;
        if self.report.refused.len() < REFUSALS_SHOWN {
            self.report.refused.push(Refusal {
                tougou_atena_bango: t.tougou_atena_bango.clone(),
                code: e.code.clone(),
                message: e.message.clone(),
            });
        }
        self.record(FugouUpdate {
            tougou_atena_bango: t.tougou_atena_bango.clone(),
            status: None,
            uketsuke_bango: None,
            detail: format!("{}: {}", e.code, e.message),
            checked_at: self.now.clone(),
        })
    }

    fn record(&mut self, update: FugouUpdate) -> std::result::Result<(), Stop> {
        self.pending.push(update);
        if self.pending.len() >= FLUSH_EVERY {
            self.flush().map_err(|e| Stop(e.0))?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let updates = std::mem::take(&mut self.pending);
        self.app.store().update_fugou(&updates)
    }
}
