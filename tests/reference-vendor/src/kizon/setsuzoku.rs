//! 接続確認 (docs/kizon-gyomu.md「接続確認」「接続先の切替」、KIK-01a・KIK-05): 職員が、団体内のこの
//! システムから中間サーバーにつながることを確かめます (`setsuzoku_kakunin`)。機関間テスト (`kikan_test`) は、
//! 最後の接続確認が、いまの設定の接続先・機関コード・MSGMode で成功しているときだけ計画の照会を出し、
//! そうでなければ照会を出さずに計画の行を `未実施` と記録します。
//!
//! 確かめ方: 設定を読み直したうえで (ジョブの初めに読み直しています)、中間サーバーの状態を変えない読み取りの
//! 電文 `IF_OSR_10611_R01` (通知の取得、最大件数 1) を、ほかの電文と同じ MessageHeader で送ります。
//! 応答が受け付けられれば `成功`、つなげない・断られたら `失敗` です。ここで読んだ通知は、提供 (`teikyou`) の
//! 通知の読み進みには数えません。
//!
//! 記録 (`/setsuzoku`) と、未実施にした行 (`/kikan_test`) は保管場所の `meta` に JSON で持ちます
//! (`reset` で消えます)。

use super::Ctx;
use super::Tsuushin;
use super::teikyou::TSUUCHI;
use crate::app::App;
use crate::chukan::denbun::Reply;
use crate::defects::DefectKind;
use crate::error::{Error, Result};
use crate::kizon::irai::Irai;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// 接続確認の記録 (行った順の配列)。
const META_KIROKU: &str = "kizon_setsuzoku_kiroku";
/// 接続確認が済んでいないので出さなかった機関間テストの行: test_id → 理由。
const META_MIJISSHI: &str = "kizon_kikan_test_mijisshi";

pub const SEIKOU: &str = "成功";
pub const SHIPPAI: &str = "失敗";
/// つなげなかった (TLS のハンドシェイクを断られた、接続できない、答えがない) ときのコード。
pub const SETSUZOKU_SHIPPAI: &str = "接続失敗";
/// 機関間テストの行を出さなかった理由のコード。
pub const SETSUZOKU_MIKAKUNIN: &str = "接続未確認";
/// `/kikan_test` の、出さなかった行の結果。
pub const MIJISSHI: &str = "未実施";

/// 接続確認 1 回の記録 (`GET /setsuzoku` の 1 件)。
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Kiroku {
    pub kakunin_at: String,
    pub base_url: String,
    pub kikan_code: String,
    pub msg_mode: String,
    pub kekka: String,
    pub error: Option<Riyu>,
}

/// エラーコードとメッセージ。
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Riyu {
    pub code: String,
    pub message: String,
}

/// `setsuzoku_kakunin` の報告。
#[derive(Debug, Serialize)]
pub struct Report {
    pub kekka: String,
    pub error: Option<Riyu>,
}

/// `kikan_test` で行を出さなかったときの報告。
#[derive(Debug, Serialize)]
pub struct MijisshiReport {
    pub mijisshi: usize,
    pub reason: String,
}

/// いままでの接続確認の記録 (行った順)。
pub fn kiroku_all(app: &App) -> Result<Vec<Kiroku>> {
    match app.store().meta(META_KIROKU)? {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| Error::new(format!("接続確認の記録を読めません: {e}"))),
    }
}

fn kiroku_add(app: &App, kiroku: Kiroku) -> Result<()> {
    let mut all = kiroku_all(app)?;
    all.push(kiroku);
    let text = serde_json::to_string(&all).map_err(|e| Error::new(e.to_string()))?;
    app.store().set_meta(META_KIROKU, &text)
}

/// `setsuzoku_kakunin`: 中間サーバーに読み取りの電文を 1 つ送り、成功か失敗かを記録します。
pub async fn kakunin(ctx: &mut Ctx<'_>) -> Result<Report> {
    let answer = ctx.yomu(TSUUCHI, &[("最大件数", "1")]).await;
    let (kekka, error) = match answer {
        Ok(Reply::Ok { .. }) => (SEIKOU, None),
        Ok(Reply::Refused(e)) => (
            SHIPPAI,
            Some(Riyu {
                code: e.code,
                message: e.message,
            }),
        ),
        Err(Tsuushin(why)) => (
            SHIPPAI,
            Some(Riyu {
                code: SETSUZOKU_SHIPPAI.to_owned(),
                message: why,
            }),
        ),
    };
    kiroku_add(
        ctx.app,
        Kiroku {
            kakunin_at: ctx.now_text(),
            base_url: ctx.chukan.base_url.clone(),
            kikan_code: ctx.chukan.kikan_code.clone(),
            msg_mode: ctx.msg_mode().to_owned(),
            kekka: kekka.to_owned(),
            error: error.clone(),
        },
    )?;
    Ok(Report {
        kekka: kekka.to_owned(),
        error,
    })
}

/// 機関間テストに入れないなら、その理由 (人が読む一文)。入れるなら `None`。
pub fn mikakunin(ctx: &Ctx<'_>) -> Result<Option<String>> {
    if ctx.seeded.has(DefectKind::SetsuzokuNotChecked) {
        // 不具合: 接続確認の結果を見ずに機関間テストに入る。
        return Ok(None);
    }
    let all = kiroku_all(ctx.app)?;
    let Some(last) = all.last() else {
        return Ok(Some(
            "中間サーバーへの接続をまだ確かめていません (setsuzoku_kakunin)".to_owned(),
        ));
    };
    if last.kekka != SEIKOU {
        let why = last
            .error
            .as_ref()
            .map(|e| format!("{}: {}", e.code, e.message))
            .unwrap_or_default();
        return Ok(Some(format!(
            "最後の接続確認 ({}) が失敗しています ({why})",
            last.kakunin_at
        )));
    }
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    if !same(&last.base_url, &ctx.chukan.base_url) {
        return Ok(Some(format!(
            "接続先が変わりました (確かめたのは {}、いまは {})。新しい接続先を確かめていません",
            last.base_url, ctx.chukan.base_url
        )));
    }
    if last.kikan_code != ctx.chukan.kikan_code || last.msg_mode != ctx.msg_mode() {
        return Ok(Some(format!(
            "機関コード・MSGMode が変わりました (確かめたのは {} / {}、いまは {} / {})",
            last.kikan_code,
            last.msg_mode,
            ctx.chukan.kikan_code,
            ctx.msg_mode()
        )));
    }
    Ok(None)
}

fn mijisshi_all(app: &App) -> Result<BTreeMap<String, Riyu>> {
    match app.store().meta(META_MIJISSHI)? {
        None => Ok(BTreeMap::new()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| Error::new(format!("未実施の行の記録を読めません: {e}"))),
    }
}

fn mijisshi_save(app: &App, all: &BTreeMap<String, Riyu>) -> Result<()> {
    let text = serde_json::to_string(all).map_err(|e| Error::new(e.to_string()))?;
    app.store().set_meta(META_MIJISSHI, &text)
}

/// 接続確認が済んでいないので、計画の照会を出さずに行を `未実施` と記録します。
pub fn mijisshi(ctx: &Ctx<'_>, plan: &[Irai], reason: &str) -> Result<MijisshiReport> {
    let mut all = mijisshi_all(ctx.app)?;
    for i in plan {
        ctx.app
            .store()
            .kizon_kikan_test_add(&i.irai_id, &i.teikyousha, &i.tokutei)?;
        all.insert(
            i.irai_id.clone(),
            Riyu {
                code: SETSUZOKU_MIKAKUNIN.to_owned(),
                message: format!("接続確認が済んでいないので照会を出していません: {reason}"),
            },
        );
    }
    mijisshi_save(ctx.app, &all)?;
    Ok(MijisshiReport {
        mijisshi: plan.len(),
        reason: reason.to_owned(),
    })
}

/// 接続確認が済んで計画を出すので、その行の `未実施` の記録を消します。
pub fn jisshi(ctx: &Ctx<'_>, plan: &[Irai]) -> Result<()> {
    let mut all = mijisshi_all(ctx.app)?;
    let before = all.len();
    for i in plan {
        all.remove(&i.irai_id);
    }
    if all.len() != before {
        mijisshi_save(ctx.app, &all)?;
    }
    Ok(())
}

/// `/kikan_test` の、照会を出していない行の結果: `未実施` ならその理由 (`{"code", "message"}`)。
pub fn mijisshi_of(app: &App, test_id: &str) -> Result<Option<Value>> {
    Ok(mijisshi_all(app)?
        .remove(test_id)
        .map(|r| json!({"code": r.code, "message": r.message})))
}
