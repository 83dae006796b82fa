//! 情報照会 (docs/kizon-gyomu.md「照会」、docs/chukan-shoukai.md): 依頼された照会を確かめて登録し
//! (`shoukai`)、状況と結果を確かめ、待たせていた照会を出し (`shoukai_kekka`)、取りやめ (`toriyame`)、
//! 機関間テストの計画の照会を出して結果を記録します (`kikan_test`)。
//!
//! 依頼ごとに、この順に確かめます。
//!
//! 1. **法令根拠** (SKI-02): 事務・事務手続・特定個人情報・提供者の種別の組が `legal_basis` にあるか。なければ
//!    送らずに `照会不可` (`法令根拠なし`)。
//! 2. **符号** (SKI-01): 本人の符号が `符号取得済み` か (`IF_FGU_10112_R01`、要求がなければ団体内統合宛名システムの
//!    個人番号で `IF_FGU_10111_R01`)。まだなら送らずに `符号取得待ち`。
//! 3. **時間** (SKI-07、SKI-08): シミュレーターの時計がサービス提供時間の外 (平日 21:00〜24:00 の停止時間帯、
//!    土・日・祝日・年末年始の 17:00 から) なら `送信待ち`。
//! 4. **量と時間帯** ([`super::fuka`]、SKI-05、SKI-11、SKI-12): どの 15 分にも 1,000 件まで、過負荷 (SK40) の
//!    あとは 60 分待つ、明細 1,000 件を超える一括照会は窓口業務のあとでその日のうちに終わるときだけ。出せない
//!    照会は `送信待ち`。
//! 5. **送る**: `単件` は `IF_SKI_10711_R01` を1件ずつ、`一括` は一括照会要求ファイル (`FI_SKI_0001`) を
//!    `IF_SKI_10723_R01` で。1 つのファイルは 3,000 件までで、それより多ければ分け、**前のファイルの明細が
//!    すべて処理待ちでなくなってから**次のファイルを出します (まだなら `送信待ち`。SKI-04)。
//!    時間外・過負荷 (SK30、SK31、SK40) で断られたら `送信待ち` に戻し (過負荷なら 60 分待つ。一括の明細が
//!    SK40 でエラーになったときも同じ)、ほかの断りは `エラー` (コードとメッセージ) にします。登録の応答で既に
//!    `正常終了`・`該当なし` なら、その場で結果を取ります。
//!
//! `shoukai_kekka` は、送った照会の状況を確かめ (単件は `IF_SKI_10712_R01`、一括はファイルの受付番号ごとに
//! `GET /xml/v1/files/{受付番号}` の情報照会状況結果ファイル)、待たせていた照会を出せるものから出し、
//! `正常終了`・`該当なし` の結果を `IF_SKI_10713_R01` で取ります (SKI-03)。`該当なし` は答えの一つです (SKI-09)。
//! 取りやめた照会はもう問い合わせません (SKI-10)。

use super::catalog::{KikanKind, Kumi, LegalBasis};
use super::fuka::{self, Fuka};
use super::irai::{self, Irai};
use super::jikan;
use super::{Ctx, Koukan, Tsuushin};
use crate::chukan::Elem;
use crate::chukan::client::MAX_EXPORT;
use crate::chukan::denbun::{self, Answer, Header, Reply, escape};
use crate::defects::DefectKind;
use crate::error::{Error, Result};
use crate::store::{DenbunRow, FugouUpdate};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

pub const TOUROKU: &str = "IF_SKI_10711_R01";
pub const JOKYO: &str = "IF_SKI_10712_R01";
pub const KEKKA: &str = "IF_SKI_10713_R01";
pub const TORIYAME: &str = "IF_SKI_10714_R01";
pub const FILE_TOUROKU: &str = "IF_SKI_10723_R01";
/// 一括照会要求ファイルのファイルID と、1 ファイルの明細の上限 (seed 004 §2.11)。
pub const IKKATSU_FILE_ID: &str = "FI_SKI_0001";
pub const IKKATSU_MAX: usize = 3_000;

/// 時間外・過負荷の断り: 照会は登録されていないので、時間内・負荷が下がってから送り直します。
const ATODE: [&str; 3] = ["SK30", "SK31", "SK40"];
/// 過負荷 (中間サーバーの 1 時間の照会が 4,000 件を超えた)。
const KAFUKA: &str = "SK40";

/// 最後に送った一括照会要求ファイルの中間サーバー受付番号 (次のファイルはその明細が処理待ちでなくなってから)。
const META_IKKATSU_LAST: &str = "kizon_ikkatsu_last";

/// 照会のジョブの報告。
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// 受け付けた依頼の数 (同じ irai_id がすでにあれば数えません)。
    pub irai: usize,
    pub shoukai_fuka: usize,
    pub fugou_machi: usize,
    pub soushin_machi: usize,
    /// 中間サーバーに登録した照会の数。
    pub sent: usize,
    /// 登録した一括照会要求ファイルの数。
    pub ikkatsu_files: usize,
    /// 状況を聞いた照会の数 (`IF_SKI_10712_R01`)。
    pub checked: usize,
    /// 結果を取った照会の数 (`IF_SKI_10713_R01`)。
    pub kekka: usize,
    pub toriyame: usize,
    /// 断られたこと・気づいたこと (人が読む一文)。
    pub notes: Vec<String>,
    /// その回をやめた理由 (中間サーバーにつながらない)。
    pub stopped: Option<String>,
}

/// 符号の状況 (この回に確かめたもの)。
#[derive(Clone, Debug)]
enum Fugou {
    Zumi,
    Machi,
    /// 符号を確かめられない断り (コード、メッセージ)。
    Dame(String, String),
}

/// 照会の1回分の道具。
struct Shoukai<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    legal: Option<LegalBasis>,
    fugou: HashMap<String, Fugou>,
    /// 符号を確かめるのに送った電文と受けた応答 (その符号を要る照会の電文として書き留めます)。
    fugou_koukan: Vec<Koukan>,
    /// 自分が登録した照会の負荷 (SKI-05)。
    fuka: Fuka,
    /// 過負荷のあと、照会を出せるようになる時刻 (SKI-11)。
    kafuka_made: Option<time::OffsetDateTime>,
    /// この回は出さない依頼 (接続確認の済んでいない機関間テストの行)。
    horyuu: HashSet<String>,
    report: Report,
}

/// `shoukai`: 依頼を確かめて登録します。
pub async fn shoukai(ctx: &mut Ctx<'_>, irai: Vec<Irai>) -> Result<Report> {
    let mut s = Shoukai::new(ctx)?;
    let added = s.ctx.app.store().kizon_shoukai_add_many(&irai)?;
    let mut mine = Vec::new();
    for (i, new) in irai.into_iter().zip(added) {
        if new {
            s.report.irai += 1;
            mine.push(i);
        } else {
            s.report.notes.push(format!(
                "依頼 {} はもうあります (前の依頼のままにします)",
                i.irai_id
            ));
        }
    }
    let outcome = async {
        s.susumeru(&mut mine, true).await?;
        // 登録の応答で既に答えの出た照会は、その場で結果を取ります。
        s.kekka_toru(&mut mine).await
    }
    .await;
    if let Err(Tsuushin(why)) = outcome {
        s.report.stopped = Some(why);
    }
    Ok(s.finish(&mine))
}

/// `shoukai_kekka`: 待たせていた照会を出し、状況と結果を確かめます。
pub async fn kekka(ctx: &mut Ctx<'_>) -> Result<Report> {
    // 機関間テストの行は、接続確認が済んでいなければ (接続を変えたあとも) 出しません。状況の確認は続けます
    // (docs/kizon-gyomu.md「機関間テストに入る条件」)。
    let horyuu: HashSet<String> = if super::setsuzoku::mikakunin(ctx)?.is_some() {
        let rows = ctx.app.store().kizon_kikan_test_all()?;
        rows.into_iter().map(|(test_id, _, _)| test_id).collect()
    } else {
        HashSet::new()
    };
    let mut s = Shoukai::new(ctx)?;
    s.horyuu = horyuu;
    let mut all = s.ctx.app.store().kizon_shoukai_all()?;
    if let Err(Tsuushin(why)) = s.kakunin(&mut all).await {
        s.report.stopped = Some(why);
    }
    Ok(s.finish(&all))
}

/// `toriyame`: 依頼 `irai_id` の照会を取りやめます。
pub async fn toriyame(ctx: &mut Ctx<'_>, irai_id: &str) -> Result<Report> {
    let mut s = Shoukai::new(ctx)?;
    let Some(mut i) = s.ctx.app.store().kizon_shoukai(irai_id)? else {
        s.report.notes.push(format!("依頼 {irai_id} はありません"));
        return Ok(s.report);
    };
    if i.finished() {
        s.report.notes.push(format!(
            "依頼 {irai_id} はもう {} です (取りやめません)",
            i.status
        ));
        return Ok(s.report);
    }
    if !i.sent() {
        // まだ中間サーバーに送っていない: 送らないことにするだけです。
        i.status = irai::TORIYAME.to_owned();
        i.toriyame = false;
        s.report.toriyame += 1;
    } else {
        i.toriyame = true;
        if let Err(Tsuushin(why)) = s.toriyame_okuru(&mut i).await {
            s.report.stopped = Some(why);
        }
    }
    s.ctx.app.store().kizon_shoukai_save(&i)?;
    Ok(s.report)
}

/// 地方税関係情報の特定個人情報名コード (不具合 `kikan-test-zeimu-only` が照会する唯一のもの)。
const ZEIMU: &str = "TM00000000000002";

/// `kikan_test`: 計画の行ごとに照会を出し (まだなら)、結果を確かめます。結果は `/kikan_test` が言います。
pub async fn kikan_test(ctx: &mut Ctx<'_>, plan: Vec<Irai>) -> Result<Report> {
    let mut s = Shoukai::new(ctx)?;
    let mut new = Vec::new();
    let mut ids = HashSet::new();
    for i in plan {
        ids.insert(i.irai_id.clone());
        s.ctx
            .app
            .store()
            .kizon_kikan_test_add(&i.irai_id, &i.teikyousha, &i.tokutei)?;
        if s.ctx.seeded.has(DefectKind::KikanTestZeimuOnly) && i.tokutei != ZEIMU {
            // 不具合: ふだん照会する地方税関係情報の行しか照会せず、計画のほかの特定個人情報を飛ばす。
            continue;
        }
        if s.ctx.app.store().kizon_shoukai_add(&i)? {
            s.report.irai += 1;
            new.push(i);
        }
    }
    let outcome = async {
        s.susumeru(&mut new, true).await?;
        let mut rows: Vec<Irai> = s
            .ctx
            .app
            .store()
            .kizon_shoukai_all()
            .map_err(db)?
            .into_iter()
            .filter(|i| ids.contains(&i.irai_id))
            .collect();
        s.kakunin(&mut rows).await
    }
    .await;
    if let Err(Tsuushin(why)) = outcome {
        s.report.stopped = Some(why);
    }
    let all = s.ctx.app.store().kizon_shoukai_all()?;
    Ok(s.finish(&all))
}

/// `/kikan_test` の行の結果 (docs/kizon-gyomu.md「機関間テスト」、KIK-03)。
pub fn kikan_kekka(i: Option<&Irai>, seeded: crate::defects::Seeded) -> (&'static str, Value) {
    let Some(i) = i else {
        return ("未完了", Value::Null);
    };
    if seeded.has(DefectKind::KikanTestSentIsSuccess) && (i.sent() || i.error.is_some()) {
        // 不具合: 照会が登録された (又は断られた) だけで成功とする。
        return ("成功", Value::Null);
    }
    let error = |default_code: &str, default_message: String| {
        let (code, message) = i
            .error
            .clone()
            .unwrap_or((default_code.to_owned(), default_message));
        json!({"code": code, "message": message})
    };
    match i.status.as_str() {
        irai::SEIJOU_SHURYO | irai::GAITOU_NASHI => ("成功", Value::Null),
        irai::SHOUKAI_FUKA => (
            "失敗",
            error(
                irai::SHOUKAI_FUKA,
                i.reason
                    .clone()
                    .unwrap_or_else(|| irai::HOUREI_KONKYO_NASHI.to_owned()),
            ),
        ),
        irai::ERROR | irai::TEIKYOU_FUKA | irai::TORIYAME | irai::KIGEN_GIRE => (
            "失敗",
            error(&i.status, format!("照会は「{}」で終わりました", i.status)),
        ),
        _ => ("未完了", Value::Null),
    }
}

/// `/shoukai` の1件 (不具合 gaitou-nashi-as-error はここで 該当なし を エラー と言います)。
pub fn kansatsu(i: &Irai, seeded: crate::defects::Seeded) -> Value {
    let mut v = i.kansatsu();
    if seeded.has(DefectKind::GaitouNashiAsError) && i.status == irai::GAITOU_NASHI {
        v["status"] = json!(irai::ERROR);
        v["error"] = json!({"code": "10", "message": "該当なし: 情報提供者に照会条件に合う副本がありません"});
    }
    v
}

impl<'c, 'a> Shoukai<'c, 'a> {
    fn new(ctx: &'c mut Ctx<'a>) -> Result<Shoukai<'c, 'a>> {
        let (fuka, kafuka_made) = {
            let store = ctx.app.store();
            (
                Fuka::load(&store, ctx.now)?,
                fuka::kafuka_made(&store, ctx.now)?,
            )
        };
        Ok(Shoukai {
            ctx,
            legal: None,
            fugou: HashMap::new(),
            fugou_koukan: Vec::new(),
            fuka,
            kafuka_made,
            horyuu: HashSet::new(),
            report: Report::default(),
        })
    }

    /// 過負荷 (SK40) を受けた: 60 分は照会を出しません (SKI-11)。
    fn kafuka(&mut self) -> std::result::Result<(), Tsuushin> {
        let made = fuka::set_kafuka(&self.ctx.app.store(), self.ctx.now).map_err(db)?;
        self.kafuka_made = Some(made);
        Ok(())
    }

    /// 過負荷のあとで、まだ待つ時刻 (待たなくてよければ `None`)。
    fn kafuka_machi(&self) -> Option<time::OffsetDateTime> {
        self.kafuka_made.filter(|made| *made > self.ctx.now)
    }

    fn fuka_save(&self) -> std::result::Result<(), Tsuushin> {
        self.fuka.save(&self.ctx.app.store()).map_err(db)
    }

    fn finish(mut self, all: &[Irai]) -> Report {
        for i in all {
            match i.status.as_str() {
                irai::SHOUKAI_FUKA => self.report.shoukai_fuka += 1,
                irai::FUGOU_MACHI => self.report.fugou_machi += 1,
                irai::SOUSHIN_MACHI => self.report.soushin_machi += 1,
                _ => {}
            }
        }
        self.report
    }

    fn legal(&mut self) -> Result<&LegalBasis> {
        if self.legal.is_none() {
            let path = self.ctx.path(&self.ctx.kizon.legal_basis);
            self.legal = Some(LegalBasis::load(&path).map_err(Error::new)?);
        }
        self.legal
            .as_ref()
            .ok_or_else(|| Error::new("法令根拠を読めません"))
    }

    /// 提供者の種別: 設定の `kizon.kikan` の `kind` (なければその団体コード、それもなければ機関コードの
    /// 団体コード) から。
    fn provider_kind(&self, kikan_code: &str) -> Option<KikanKind> {
        if let Some(k) = self
            .ctx
            .kizon
            .kikan
            .iter()
            .find(|k| k.kikan_code == kikan_code)
        {
            let named = match k.kind.as_deref() {
                Some("municipality") => Some(KikanKind::Municipality),
                Some("prefecture") => Some(KikanKind::Prefecture),
                Some("kumiai") => Some(KikanKind::Kumiai),
                _ => None,
            };
            return Some(
                named.unwrap_or_else(|| KikanKind::of_dantai(k.dantai.as_deref(), &k.name)),
            );
        }
        KikanKind::dantai_of_kikan_code(kikan_code).map(|d| KikanKind::of_dantai(Some(d), ""))
    }

    fn requester_kind(&self) -> KikanKind {
        KikanKind::of_dantai(Some(&self.ctx.config.dantai), "")
    }

    /// 依頼を確かめ (法令根拠は `check_legal` のときだけ)、出せるものを送ります。
    async fn susumeru(
        &mut self,
        list: &mut [Irai],
        check_legal: bool,
    ) -> std::result::Result<(), Tsuushin> {
        let mut ready: Vec<usize> = Vec::new();
        for (n, i) in list.iter_mut().enumerate() {
            if i.finished() || i.sent() || self.horyuu.contains(&i.irai_id) {
                continue;
            }
            if check_legal && !self.ctx.seeded.has(DefectKind::ShoukaiWithoutLegalCheck) {
                let why = match self.legal() {
                    Ok(_) => self.houreikonkyo(i),
                    Err(e) => Some(e.0),
                };
                if let Some(why) = why {
                    i.status = irai::SHOUKAI_FUKA.to_owned();
                    i.reason = Some(irai::HOUREI_KONKYO_NASHI.to_owned());
                    self.report
                        .notes
                        .push(format!("{}: 照会不可: {why}", i.irai_id));
                    self.save(i)?;
                    continue;
                }
            }
            if !self.ctx.seeded.has(DefectKind::ShoukaiWithoutFugou) {
                let fugou = self.fugou(&i.tougou_atena_bango).await?;
                let dame = match &fugou {
                    Fugou::Dame(code, _) => Some(code.as_str()),
                    _ => None,
                };
                let koukan: Vec<Koukan> = self.fugou_koukan.drain(..).collect();
                let last = koukan.len();
                for (n, k) in koukan.into_iter().enumerate() {
                    self.denbun(&i.irai_id, k, dame.filter(|_| n + 1 == last))?;
                }
                match fugou {
                    Fugou::Zumi => {}
                    Fugou::Machi => {
                        i.status = irai::FUGOU_MACHI.to_owned();
                        self.save(i)?;
                        continue;
                    }
                    Fugou::Dame(code, message) => {
                        i.status = irai::ERROR.to_owned();
                        i.error = Some((code, message));
                        self.save(i)?;
                        continue;
                    }
                }
            }
            let j = jikan::shoukai(self.ctx.now, self.ctx.seeded);
            if !j.okureru() {
                i.status = irai::SOUSHIN_MACHI.to_owned();
                self.save(i)?;
                continue;
            }
            ready.push(n);
        }
        let tanken: Vec<usize> = ready
            .iter()
            .copied()
            .filter(|n| list[*n].houshiki != irai::IKKATSU)
            .collect();
        let ikkatsu: Vec<usize> = ready
            .iter()
            .copied()
            .filter(|n| list[*n].houshiki == irai::IKKATSU)
            .collect();
        self.tanken_okuru(list, &tanken).await?;
        if !ikkatsu.is_empty() {
            self.ikkatsu_okuru(list, &ikkatsu).await?;
        }
        Ok(())
    }

    /// 単件の照会を1件ずつ送ります。過負荷のあと 60 分のあいだ (SKI-11) と、どの 15 分にも 1,000 件までの
    /// 定め (SKI-05) で今は出せない照会は `送信待ち` にします。
    async fn tanken_okuru(
        &mut self,
        list: &mut [Irai],
        tanken: &[usize],
    ) -> std::result::Result<(), Tsuushin> {
        if tanken.is_empty() {
            return Ok(());
        }
        let now = self.ctx.now;
        let mut room = if self.ctx.seeded.has(DefectKind::TeijiBurst) {
            // 不具合: 定時起動の照会を間隔をあけずに、依頼されたものをすべて一度に送る。
            usize::MAX
        } else {
            self.fuka.tanken_room(now)
        };
        let mut held = Vec::new();
        let mut outcome = Ok(());
        for (k, n) in tanken.iter().copied().enumerate() {
            if let Some(made) = self.kafuka_machi() {
                self.report.notes.push(format!(
                    "過負荷 (SK40) のあとなので、{} まで単件の照会 {} 件を送信待ちにします",
                    crate::jst::format(made),
                    tanken.len() - k
                ));
                held.extend_from_slice(&tanken[k..]);
                break;
            }
            if room == 0 {
                self.report.notes.push(format!(
                    "この 15 分に登録した照会が 1,000 件になったので、単件の照会 {} 件を送信待ちにします (SKI-05)",
                    tanken.len() - k
                ));
                held.extend_from_slice(&tanken[k..]);
                break;
            }
            if let Err(e) = self.tanken(&mut list[n]).await {
                outcome = Err(e);
                break;
            }
            if list[n].sent() {
                room = room.saturating_sub(1);
                self.fuka.record(now, 1, false);
            }
        }
        // 送れなかった (つながらなくなった) ときも、それまでに登録したものは負荷として残します。
        self.fuka_save()?;
        outcome?;
        self.soushin_machi(list, &held)
    }

    /// 一括照会を 3,000 件までのファイルに分けて送ります。次のファイルは、前のファイルの明細がすべて処理待ちで
    /// なくなってから出します (SKI-04)。まだなら残りを `送信待ち` にし、次の `shoukai_kekka` で確かめます。
    /// 過負荷のあとの 60 分 (SKI-11)、15 分に 1,000 件 (SKI-05)、大量の一括照会の時間帯 (SKI-12) で出せないときも
    /// `送信待ち` です。
    async fn ikkatsu_okuru(
        &mut self,
        list: &mut [Irai],
        ready: &[usize],
    ) -> std::result::Result<(), Tsuushin> {
        // 不具合 ikkatsu-no-split: 3,000 件ごとに分けず、前のファイルも待たずに、すべてを1つのファイルで送る。
        let no_split = self.ctx.seeded.has(DefectKind::IkkatsuNoSplit);
        let now = self.ctx.now;
        let mut rest = ready;
        while !rest.is_empty() {
            if let Some(made) = self.kafuka_machi() {
                self.report.notes.push(format!(
                    "一括照会: 過負荷 (SK40) のあとなので、{} まで {} 件を送信待ちにします",
                    crate::jst::format(made),
                    rest.len()
                ));
                self.soushin_machi(list, rest)?;
                break;
            }
            if !no_split && let Some((uketsuke, machi)) = self.mae_no_file_machi()? {
                self.report.notes.push(format!(
                    "一括照会: 前のファイル (受付 {uketsuke}) の明細がまだ {machi} 件処理待ちなので、残りの {} 件は送信待ちにします",
                    rest.len()
                ));
                self.soushin_machi(list, rest)?;
                break;
            }
            let size = if no_split {
                rest.len()
            } else {
                rest.len().min(IKKATSU_MAX)
            };
            let (chunk, next) = rest.split_at(size);
            let jikantai = if self.ctx.seeded.has(DefectKind::IkkatsuMadoguchi) {
                // 不具合: 大量の一括照会も、窓口業務の時間かどうかを見ずにすぐ登録する。
                Ok(())
            } else {
                fuka::tairyou(now, chunk.len(), self.ctx.kizon.madoguchi.as_ref())
            };
            if let Err(why) = jikantai {
                self.report.notes.push(format!(
                    "一括照会: {why} ({} 件を送信待ちにします)",
                    rest.len()
                ));
                self.soushin_machi(list, rest)?;
                break;
            }
            if !self.fuka.ikkatsu_fits(now, chunk.len()) {
                self.report.notes.push(format!(
                    "一括照会: 明細 {} 件を今登録すると 15 分に 1,000 件を超えるので、{} 件を送信待ちにします (SKI-05)",
                    chunk.len(),
                    rest.len()
                ));
                self.soushin_machi(list, rest)?;
                break;
            }
            rest = next;
            match self.ikkatsu(list, chunk).await? {
                IkkatsuKekka::Uketsuke(uketsuke) => {
                    self.ctx
                        .app
                        .store()
                        .set_meta(META_IKKATSU_LAST, &uketsuke)
                        .map_err(db)?;
                    self.fuka.record(now, chunk.len(), true);
                    self.fuka_save()?;
                }
                IkkatsuKekka::Atode => {
                    // 時間外・過負荷: 残りも同じく断られるので、まとめて次の回にします。
                    self.soushin_machi(list, rest)?;
                    break;
                }
                IkkatsuKekka::Dame => {}
            }
        }
        Ok(())
    }

    /// 最後に送った一括照会要求ファイルに、まだ処理待ちの明細があれば (受付番号, 件数)。
    fn mae_no_file_machi(&self) -> std::result::Result<Option<(String, usize)>, Tsuushin> {
        let store = self.ctx.app.store();
        let Some(uketsuke) = store.meta(META_IKKATSU_LAST).map_err(db)? else {
            return Ok(None);
        };
        let machi = store.kizon_shoukai_shori_machi(&uketsuke).map_err(db)?;
        Ok((machi > 0).then_some((uketsuke, machi)))
    }

    fn soushin_machi(
        &mut self,
        list: &mut [Irai],
        which: &[usize],
    ) -> std::result::Result<(), Tsuushin> {
        for n in which {
            list[*n].status = irai::SOUSHIN_MACHI.to_owned();
        }
        self.save_many(list, which)
    }

    fn houreikonkyo(&self, i: &Irai) -> Option<String> {
        let legal = self.legal.as_ref()?;
        let Some(provider) = self.provider_kind(&i.teikyousha) else {
            return Some(format!(
                "情報提供者 {} の種別が分かりません (kizon.kikan にありません)",
                i.teikyousha
            ));
        };
        legal
            .check(&Kumi {
                jimu: &i.jimu,
                tetsuzuki: &i.jimu_tetsuzuki,
                tokutei: &i.tokutei,
                requester: self.requester_kind(),
                provider,
            })
            .err()
    }

    fn save(&self, i: &Irai) -> std::result::Result<(), Tsuushin> {
        self.ctx.app.store().kizon_shoukai_save(i).map_err(db)
    }

    /// 照会 `irai_id` のために送った電文と受けた応答を書き留めます (問合せ資料のため。`error_code` は
    /// そのやりとりで断られた、又は照会がエラーになったときのエラーコード)。
    fn denbun(
        &self,
        irai_id: &str,
        k: Koukan,
        error_code: Option<&str>,
    ) -> std::result::Result<(), Tsuushin> {
        let row = DenbunRow {
            denbun_id: k.denbun_id,
            nichiji: self.ctx.now_text(),
            sent: k.sent,
            received: k.received,
            error_code: error_code.map(str::to_owned),
        };
        self.ctx
            .app
            .store()
            .kizon_denbun_add(irai_id, &row)
            .map_err(db)
    }

    /// [`Ctx::yomu`] / [`Ctx::kaeru`] の最後のやりとりを、照会 `i` の電文として書き留めます。照会が
    /// `エラー` になっていれば、そのエラーコードを添えます。
    fn denbun_of(&mut self, i: &Irai) -> std::result::Result<(), Tsuushin> {
        let Some(k) = self.ctx.take_koukan() else {
            return Ok(());
        };
        let code = i
            .error
            .as_ref()
            .filter(|_| i.status == irai::ERROR)
            .map(|(c, _)| c.clone());
        self.denbun(&i.irai_id, k, code.as_deref())
    }

    /// `list` の `which` の照会をまとめて (一つのトランザクションで) 書きます。
    fn save_many(&self, list: &[Irai], which: &[usize]) -> std::result::Result<(), Tsuushin> {
        let rows: Vec<&Irai> = which.iter().map(|n| &list[*n]).collect();
        self.ctx
            .app
            .store()
            .kizon_shoukai_save_many(&rows)
            .map_err(db)
    }

    /// 本人の符号の状況。要求がなければ (又はエラーなら) 要求します。
    async fn fugou(&mut self, tougou: &str) -> std::result::Result<Fugou, Tsuushin> {
        if let Some(f) = self.fugou.get(tougou) {
            return Ok(f.clone());
        }
        let f = match self.fugou_denbun(denbun::JOKYO, tougou, None).await? {
            Answer::Ok { jotai, .. } if jotai.jotai == "符号取得済み" => Fugou::Zumi,
            Answer::Ok { jotai, .. } if jotai.jotai == "符号取得中" => Fugou::Machi,
            Answer::Ok { .. } => self.fugou_request(tougou).await?,
            Answer::Refused(e) if e.code == "FUGOU_NOT_REQUESTED" => {
                self.fugou_request(tougou).await?
            }
            Answer::Refused(e) => Fugou::Dame(e.code, e.message),
        };
        self.fugou.insert(tougou.to_owned(), f.clone());
        Ok(f)
    }

    /// 符号取得要求を登録し (団体内統合宛名システムの個人番号で)、すぐに状況をもう一度聞きます。
    async fn fugou_request(&mut self, tougou: &str) -> std::result::Result<Fugou, Tsuushin> {
        let kojin = self.ctx.app.store().kizon_kojin_bango(tougou).map_err(db)?;
        let Some(kojin) = kojin else {
            self.report.notes.push(format!(
                "団体内統合宛名番号 {tougou} の個人番号を団体内統合宛名システムが知らないので、符号取得要求を出せません"
            ));
            return Ok(Fugou::Machi);
        };
        match self
            .fugou_denbun(denbun::TOUROKU, tougou, Some(&kojin))
            .await?
        {
            Answer::Ok { jotai, .. } if jotai.jotai == "符号取得済み" => {
                return Ok(Fugou::Zumi);
            }
            Answer::Ok { jotai, .. } if jotai.jotai == "エラー" => {
                self.report.notes.push(format!(
                    "{tougou} の符号取得要求がエラーになりました: {}",
                    jotai.detail
                ));
                return Ok(Fugou::Machi);
            }
            Answer::Ok { .. } => {}
            Answer::Refused(e) if e.code == "FUGOU_ALREADY_ACQUIRED" => return Ok(Fugou::Zumi),
            Answer::Refused(e) if e.code == "FUGOU_ALREADY_REQUESTED" => return Ok(Fugou::Machi),
            Answer::Refused(e) => return Ok(Fugou::Dame(e.code, e.message)),
        }
        // 発行の遅れが 0 なら、次の要求で取得済みになります。
        Ok(
            match self.fugou_denbun(denbun::JOKYO, tougou, None).await? {
                Answer::Ok { jotai, .. } if jotai.jotai == "符号取得済み" => Fugou::Zumi,
                _ => Fugou::Machi,
            },
        )
    }

    /// 符号管理の電文を送り、答えの状態を団体内統合宛名システムの記録にも書きます。
    async fn fugou_denbun(
        &mut self,
        id: &str,
        tougou: &str,
        kojin: Option<&str>,
    ) -> std::result::Result<Answer, Tsuushin> {
        let (msg_id, mode, source, destination) = self.ctx.fugou_header();
        let header = Header {
            msg_id: &msg_id,
            msg_mode: &mode,
            source: &source,
            destination: &destination,
        };
        let xml = match kojin {
            Some(k) => denbun::touroku(&header, tougou, k),
            None => denbun::jokyo(&header, tougou),
        };
        let reply = self
            .ctx
            .client
            .post(id, xml.clone())
            .await
            .map_err(|e| Tsuushin(e.0))?;
        self.fugou_koukan.push(Koukan::new(id, xml, &reply.body));
        let answer = denbun::parse(id, reply.status, &reply.body).map_err(Tsuushin)?;
        if let Answer::Ok {
            reception_number,
            jotai,
        } = &answer
        {
            let update = FugouUpdate {
                tougou_atena_bango: tougou.to_owned(),
                status: Some(jotai.jotai.clone()),
                uketsuke_bango: Some(reception_number.clone()).filter(|u| !u.is_empty()),
                detail: format!(
                    "既存業務システムが確かめた: 要求日時 {}、{}",
                    jotai.yokyu_nichiji, jotai.detail
                ),
                checked_at: self.ctx.now_text(),
            };
            self.ctx.app.store().update_fugou(&[update]).map_err(db)?;
        }
        Ok(answer)
    }

    /// 単件の照会を1件登録します。
    async fn tanken(&mut self, i: &mut Irai) -> std::result::Result<(), Tsuushin> {
        let koumoku = naiyou(i);
        let body: Vec<(&str, &str)> = koumoku.iter().map(|(n, v)| (*n, v.as_str())).collect();
        match self.ctx.kaeru(TOUROKU, &body).await? {
            Reply::Ok {
                reception_number,
                body,
            } => match body.child("照会状況") {
                Some(j) => {
                    ateru(i, j);
                    if i.uketsuke_bango.is_none() && !reception_number.is_empty() {
                        i.uketsuke_bango = Some(reception_number);
                    }
                    self.report.sent += 1;
                }
                None => self.report.notes.push(format!(
                    "{}: {TOUROKU} の応答に照会状況がありません",
                    i.irai_id
                )),
            },
            Reply::Refused(e) => self.refused(i, &e.code, &e.message)?,
        }
        self.denbun_of(i)?;
        self.save(i)
    }

    /// 断られた照会: 時間外・過負荷なら送信待ちに戻し (過負荷なら 60 分待つ)、ほかはエラーにします
    /// (何も登録されていません)。
    fn refused(
        &mut self,
        i: &mut Irai,
        code: &str,
        message: &str,
    ) -> std::result::Result<(), Tsuushin> {
        self.report.notes.push(format!(
            "{}: 中間サーバーが断りました: {code}: {message}",
            i.irai_id
        ));
        let dropped = code == KAFUKA && self.ctx.seeded.has(DefectKind::OverloadDropped);
        if ATODE.contains(&code) && !dropped {
            i.status = irai::SOUSHIN_MACHI.to_owned();
            if code == KAFUKA {
                self.kafuka()?;
            }
        } else {
            // 不具合 overload-dropped では、過負荷の断りもここで最後のエラーになり、照会し直さない。
            i.status = irai::ERROR.to_owned();
            i.error = Some((code.to_owned(), message.to_owned()));
        }
        Ok(())
    }

    /// 一括の明細が過負荷 (SK40) でエラーになった: 捨てずに送信待ちに戻し、60 分待って照会し直します (SKI-11)。
    fn kafuka_meisai(&mut self, i: &mut Irai) -> std::result::Result<(), Tsuushin> {
        let kafuka =
            i.status == irai::ERROR && i.error.as_ref().is_some_and(|(code, _)| code == KAFUKA);
        if !kafuka || self.ctx.seeded.has(DefectKind::OverloadDropped) {
            return Ok(());
        }
        self.report.notes.push(format!(
            "{}: 一括照会の明細 (処理通番 {}) が過負荷 (SK40) でエラーになったので、60 分待って照会し直します",
            i.irai_id,
            i.shori_tsuuban.as_deref().unwrap_or("—")
        ));
        i.status = irai::SOUSHIN_MACHI.to_owned();
        i.shori_tsuuban = None;
        i.uketsuke_bango = None;
        i.error = None;
        self.kafuka()
    }

    /// 一括照会要求ファイルで登録します (`chunk` は `list` の添字、ふつうは 3,000 件まで)。
    async fn ikkatsu(
        &mut self,
        list: &mut [Irai],
        chunk: &[usize],
    ) -> std::result::Result<IkkatsuKekka, Tsuushin> {
        let mut x = String::with_capacity(512 * chunk.len() + 512);
        x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<一括照会要求>\n  <ヘッダ>\n");
        for (name, value) in [
            ("ファイルID", IKKATSU_FILE_ID.to_owned()),
            ("情報照会者機関コード", self.ctx.chukan.kikan_code.clone()),
            ("MSGMode", self.ctx.msg_mode().to_owned()),
            ("作成日時", self.ctx.now_text()),
        ] {
            x.push_str(&format!("    <{name}>{}</{name}>\n", escape(&value)));
        }
        x.push_str("  </ヘッダ>\n");
        for n in chunk {
            x.push_str("  <明細>\n");
            for (name, value) in naiyou(&list[*n]) {
                x.push_str(&format!("    <{name}>{}</{name}>\n", escape(&value)));
            }
            x.push_str("  </明細>\n");
        }
        x.push_str("</一括照会要求>\n");
        let file_name = format!(
            "{IKKATSU_FILE_ID}_{}-{}-{}.xml",
            crate::jst::format_date(self.ctx.today()).replace('-', ""),
            self.ctx.run(),
            chunk.first().copied().unwrap_or(0)
        );
        let reply = self
            .ctx
            .tenpu(
                FILE_TOUROKU,
                &[
                    ("添付ファイル名", &file_name),
                    ("添付ファイルID", IKKATSU_FILE_ID),
                ],
                &file_name,
                x.as_bytes(),
            )
            .await?;
        match reply {
            Reply::Ok {
                reception_number,
                body,
            } => {
                let joukyou: Vec<&Elem> = body.all("照会状況").collect();
                if joukyou.len() != chunk.len() {
                    self.report.notes.push(format!(
                        "{FILE_TOUROKU} ({file_name}): 明細 {} 件に照会状況が {} 件です",
                        chunk.len(),
                        joukyou.len()
                    ));
                }
                let mut uketsuke = Some(reception_number.clone()).filter(|u| !u.is_empty());
                for (n, j) in chunk.iter().zip(joukyou) {
                    let i = &mut list[*n];
                    ateru(i, j);
                    if i.uketsuke_bango.is_none() {
                        i.uketsuke_bango = uketsuke.clone();
                    }
                    if uketsuke.is_none() {
                        uketsuke = i.uketsuke_bango.clone();
                    }
                    self.report.sent += 1;
                }
                for n in chunk {
                    self.kafuka_meisai(&mut list[*n])?;
                }
                self.report.ikkatsu_files += 1;
                self.save_many(list, chunk)?;
                Ok(match uketsuke {
                    Some(u) => IkkatsuKekka::Uketsuke(u),
                    None => IkkatsuKekka::Dame,
                })
            }
            Reply::Refused(e) => {
                for n in chunk {
                    self.refused(&mut list[*n], &e.code, &e.message)?;
                }
                self.save_many(list, chunk)?;
                Ok(if ATODE.contains(&e.code.as_str()) {
                    IkkatsuKekka::Atode
                } else {
                    IkkatsuKekka::Dame
                })
            }
        }
    }

    /// 待たせていた照会を出し、送った照会の状況と結果を確かめます (`shoukai_kekka`、`kikan_test`)。
    async fn kakunin(&mut self, list: &mut [Irai]) -> std::result::Result<(), Tsuushin> {
        // 取りやめを頼まれていて、まだ届けていない照会
        for i in list.iter_mut() {
            if i.toriyame && i.sent() && !i.finished() {
                self.toriyame_okuru(i).await?;
                self.save(i)?;
            }
        }
        // 送った照会の状況 (一括の明細は、前のファイルが終わったかを見るためにも、待たせた照会を出す前に)
        let polling = |i: &Irai, seeded: crate::defects::Seeded| {
            i.sent()
                && (!i.finished()
                    || (i.status == irai::TORIYAME && seeded.has(DefectKind::ToriyameKeepsPolling)))
        };
        let mut files: Vec<String> = Vec::new();
        for i in list.iter_mut() {
            if !polling(i, self.ctx.seeded) {
                continue;
            }
            match (&i.uketsuke_bango, i.houshiki == irai::IKKATSU) {
                (Some(u), true) => {
                    if !files.contains(u) {
                        files.push(u.clone());
                    }
                }
                _ => self.jokyo(i).await?,
            }
        }
        for u in files {
            let which: Vec<usize> = (0..list.len())
                .filter(|n| {
                    let i = &list[*n];
                    i.houshiki == irai::IKKATSU
                        && i.uketsuke_bango.as_deref() == Some(u.as_str())
                        && polling(i, self.ctx.seeded)
                })
                .collect();
            self.ikkatsu_jokyo(list, &u, &which).await?;
        }
        // 待たせていた照会 (法令根拠は確かめ済み)
        self.susumeru(list, false).await?;
        self.kekka_toru(list).await
    }

    /// 答えの出た (`正常終了`・`該当なし`) 照会の、まだ取っていない結果を取ります。
    async fn kekka_toru(&mut self, list: &mut [Irai]) -> std::result::Result<(), Tsuushin> {
        if self.ctx.seeded.has(DefectKind::ShoukaiResultNotFetched) {
            // 不具合: 結果を取らない (状況は正しく更新する)。
            return Ok(());
        }
        for i in list.iter_mut() {
            let answered = matches!(i.status.as_str(), irai::SEIJOU_SHURYO | irai::GAITOU_NASHI);
            if i.sent() && answered && i.kekka.is_none() {
                self.kekka(i).await?;
            }
        }
        Ok(())
    }

    /// 一括照会の1ファイルの明細の状況を、情報照会状況結果ファイル (`GET /xml/v1/files/{受付番号}`) で
    /// まとめて確かめます (`which` は `list` のうちそのファイルの明細の添字)。
    async fn ikkatsu_jokyo(
        &mut self,
        list: &mut [Irai],
        uketsuke: &str,
        which: &[usize],
    ) -> std::result::Result<(), Tsuushin> {
        let path = format!("/xml/v1/files/{uketsuke}");
        let reply = self.ctx.get(&path, MAX_EXPORT).await?;
        let root = match denbun::file_reply(&path, reply.status, &reply.body) {
            Ok(Ok(root)) => root,
            Ok(Err(e)) => {
                self.report
                    .notes
                    .push(format!("{path}: {}: {}", e.code, e.message));
                return Ok(());
            }
            Err(why) => {
                self.report.notes.push(why);
                return Ok(());
            }
        };
        let by_tsuuban: HashMap<String, &Elem> = root
            .all("明細")
            .filter_map(|m| m.child("照会状況"))
            .map(|j| (j.text_of("処理通番"), j))
            .collect();
        for n in which {
            let i = &mut list[*n];
            let found = i
                .shori_tsuuban
                .as_ref()
                .and_then(|t| by_tsuuban.get(t.as_str()));
            if let Some(j) = found {
                ateru(i, j);
                self.report.checked += 1;
            }
        }
        self.save_many(list, which)
    }

    /// 照会の状況を聞きます (`IF_SKI_10712_R01`)。
    async fn jokyo(&mut self, i: &mut Irai) -> std::result::Result<(), Tsuushin> {
        let Some(tsuuban) = i.shori_tsuuban.clone() else {
            return Ok(());
        };
        self.report.checked += 1;
        match self.ctx.yomu(JOKYO, &[("処理通番", &tsuuban)]).await? {
            Reply::Ok { body, .. } => {
                if let Some(j) = body.child("照会状況") {
                    ateru(i, j);
                }
            }
            Reply::Refused(e) => self.report.notes.push(format!(
                "{} ({JOKYO} {tsuuban}): {}: {}",
                i.irai_id, e.code, e.message
            )),
        }
        self.denbun_of(i)?;
        self.save(i)
    }

    /// 照会の結果を取ります (`IF_SKI_10713_R01`)。
    async fn kekka(&mut self, i: &mut Irai) -> std::result::Result<(), Tsuushin> {
        let Some(tsuuban) = i.shori_tsuuban.clone() else {
            return Ok(());
        };
        match self.ctx.yomu(KEKKA, &[("処理通番", &tsuuban)]).await? {
            Reply::Ok { body, .. } => {
                if let Some(j) = body.child("照会状況") {
                    ateru(i, j);
                }
                let kensaku = if i.status == irai::SEIJOU_SHURYO {
                    "該当あり"
                } else {
                    "該当なし"
                };
                let fukuhon: Vec<Value> = body
                    .child("提供された副本")
                    .map(|list| list.all("副本").map(teikyou_fukuhon).collect())
                    .unwrap_or_default();
                i.kekka = Some(json!({"kensaku": kensaku, "fukuhon": fukuhon}));
                self.report.kekka += 1;
            }
            Reply::Refused(e) => self.report.notes.push(format!(
                "{} ({KEKKA} {tsuuban}): {}: {}",
                i.irai_id, e.code, e.message
            )),
        }
        self.denbun_of(i)?;
        self.save(i)
    }

    /// 取りやめを届けます。時間外なら次の `shoukai_kekka` に回します。
    async fn toriyame_okuru(&mut self, i: &mut Irai) -> std::result::Result<(), Tsuushin> {
        let Some(tsuuban) = i.shori_tsuuban.clone() else {
            return Ok(());
        };
        let j = jikan::shoukai(self.ctx.now, self.ctx.seeded);
        if !j.okureru() {
            self.report.notes.push(format!(
                "{}: {} なので取りやめは次の回に届けます",
                i.irai_id,
                j.as_str()
            ));
            return Ok(());
        }
        let reply = self.ctx.kaeru(TORIYAME, &[("処理通番", &tsuuban)]).await?;
        if let Some(k) = self.ctx.take_koukan() {
            self.denbun(&i.irai_id, k, None)?;
        }
        match reply {
            Reply::Ok { body, .. } => {
                if let Some(j) = body.child("照会状況") {
                    ateru(i, j);
                }
                i.toriyame = false;
                self.report.toriyame += 1;
            }
            Reply::Refused(e) if ATODE.contains(&e.code.as_str()) => {
                self.report.notes.push(format!(
                    "{}: 取りやめを断られました ({}): 次の回に届けます",
                    i.irai_id, e.code
                ))
            }
            Reply::Refused(e) => {
                // 答えの出た照会 (SK55) など: 取りやめはやめ、今の状況に合わせます。
                self.report.notes.push(format!(
                    "{}: 取りやめできません: {}: {}",
                    i.irai_id, e.code, e.message
                ));
                i.toriyame = false;
                self.jokyo(i).await?;
            }
        }
        Ok(())
    }
}

/// 一括照会要求ファイルを送った結果。
enum IkkatsuKekka {
    /// 登録された (中間サーバー受付番号)。
    Uketsuke(String),
    /// 時間外・過負荷で断られた: あとで送り直す。
    Atode,
    /// ほかの理由で断られた (明細はエラー)、又は受付番号が分からない。
    Dame,
}

/// 照会内容の項目 (`IF_SKI_10711_R01` の本文、一括照会要求ファイルの明細)。
fn naiyou(i: &Irai) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("団体内統合宛名番号", i.tougou_atena_bango.clone()),
        ("事務コード", i.jimu.clone()),
        ("事務手続コード", i.jimu_tetsuzuki.clone()),
        ("特定個人情報名コード", i.tokutei.clone()),
        ("情報提供者機関コード", i.teikyousha.clone()),
    ];
    v.extend(i.jouken.koumoku());
    v
}

/// 中間サーバーの `照会状況` を依頼に当てます。
fn ateru(i: &mut Irai, j: &Elem) {
    if let Some(t) = j.get("処理通番").filter(|t| !t.is_empty()) {
        i.shori_tsuuban = Some(t.to_owned());
    }
    if let Some(u) = j.get("中間サーバー受付番号").filter(|u| !u.is_empty()) {
        i.uketsuke_bango = Some(u.to_owned());
    }
    let status = j.text_of("照会ステータス");
    if irai::SERVER_STATUSES.contains(&status.as_str()) {
        i.status = status;
    }
    if i.status == irai::ERROR {
        let code = j
            .get("エラーコード")
            .filter(|c| !c.is_empty())
            .unwrap_or(j.get("照会ステータスコード").unwrap_or("90"));
        i.error = Some((code.to_owned(), j.text_of("メッセージ")));
    }
}

/// `提供された副本` の `副本` を `/shoukai` の `kekka.fukuhon` の形に。
fn teikyou_fukuhon(f: &Elem) -> Value {
    let items: Vec<Value> = f
        .all("項目")
        .map(|k| {
            let null_riyu = k.attr("NULL理由");
            let value = if null_riyu.is_some() && k.text.is_empty() {
                Value::Null
            } else {
                json!(k.text)
            };
            json!({"name": k.attr("名").unwrap_or_default(), "value": value, "null_riyu": null_riyu})
        })
        .collect();
    let major = f
        .attr("メジャーバージョン")
        .and_then(|m| m.parse::<u64>().ok())
        .map(Value::from)
        .unwrap_or(Value::Null);
    json!({
        "tokutei": f.attr("特定個人情報名コード").unwrap_or_default(),
        "dataset": f.attr("データセット識別項目コード").unwrap_or_default(),
        "record_key": f.attr("データセットレコードキー").unwrap_or_default(),
        "major_version": major,
        "items": items,
    })
}

fn db(e: Error) -> Tsuushin {
    Tsuushin(format!("保管できません: {}", e.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defects::Seeded;
    use crate::kizon::irai::Jouken;

    fn irai(status: &str) -> Irai {
        Irai {
            irai_id: "T1".into(),
            houshiki: irai::TANKEN.into(),
            tougou_atena_bango: "000000100000004".into(),
            jimu: "JM00000000000074".into(),
            jimu_tetsuzuki: "JT00000000007401".into(),
            tokutei: "TM00000000000002".into(),
            teikyousha: "9913208000000000".into(),
            jouken: Jouken::Nendo {
                nendo: "2025".into(),
            },
            status: status.into(),
            reason: None,
            shori_tsuuban: None,
            uketsuke_bango: None,
            error: None,
            kekka: None,
            toriyame: false,
        }
    }

    #[test]
    fn reads_the_documented_result() {
        let body = Elem::parse(
            r#"<MessageBody><照会状況><処理通番>2026040700000001</処理通番><中間サーバー受付番号>2026040700000001</中間サーバー受付番号>
<照会方式>単件</照会方式><照会ステータス>正常終了</照会ステータス><照会ステータスコード>09</照会ステータスコード></照会状況>
<提供された副本>
<副本 特定個人情報名コード="TM00000000000002" データセット識別項目コード="D0201" データセットレコードキー="2025" メジャーバージョン="1"><項目 名="課税年度">2025</項目><項目 名="扶養親族続柄">𠮷</項目></副本>
<副本 特定個人情報名コード="TM00000000000002" データセット識別項目コード="D0202" データセットレコードキー="2025" メジャーバージョン="1"><項目 名="障害者控除額" NULL理由="1"/></副本>
</提供された副本></MessageBody>"#,
        )
        .unwrap();
        let mut i = irai(irai::SHORI_MACHI);
        ateru(&mut i, body.child("照会状況").unwrap());
        assert_eq!(i.status, irai::SEIJOU_SHURYO);
        assert_eq!(i.shori_tsuuban.as_deref(), Some("2026040700000001"));
        let f: Vec<Value> = body
            .child("提供された副本")
            .unwrap()
            .all("副本")
            .map(teikyou_fukuhon)
            .collect();
        assert_eq!(
            f[0],
            json!({"tokutei": "TM00000000000002", "dataset": "D0201", "record_key": "2025", "major_version": 1,
                   "items": [{"name": "課税年度", "value": "2025", "null_riyu": null},
                             {"name": "扶養親族続柄", "value": "𠮷", "null_riyu": null}]})
        );
        assert_eq!(
            f[1]["items"][0],
            json!({"name": "障害者控除額", "value": null, "null_riyu": "1"})
        );
    }

    #[test]
    fn an_error_status_carries_its_code_and_message() {
        let j = Elem::parse(
            "<照会状況><処理通番>2026040700000002</処理通番><照会ステータス>エラー</照会ステータス><照会ステータスコード>90</照会ステータスコード>\
             <エラーコード>SK23</エラーコード><メッセージ>符号変換できません</メッセージ></照会状況>",
        )
        .unwrap();
        let mut i = irai(irai::SHORI_MACHI);
        ateru(&mut i, &j);
        assert_eq!(i.status, irai::ERROR);
        assert_eq!(i.error, Some(("SK23".into(), "符号変換できません".into())));
        let (kekka, error) = kikan_kekka(Some(&i), Seeded::NONE);
        assert_eq!(kekka, "失敗");
        assert_eq!(error["code"], "SK23");
        // 知らない語は当てない
        let odd = Elem::parse("<照会状況><照会ステータス>謎</照会ステータス></照会状況>").unwrap();
        let mut k = irai(irai::KAITOU_MACHI);
        ateru(&mut k, &odd);
        assert_eq!(k.status, irai::KAITOU_MACHI);
    }

    #[test]
    fn kikan_test_results_follow_the_documented_mapping() {
        let mut i = irai(irai::SEIJOU_SHURYO);
        i.shori_tsuuban = Some("2026040700000001".into());
        assert_eq!(kikan_kekka(Some(&i), Seeded::NONE).0, "成功");
        i.status = irai::GAITOU_NASHI.into();
        assert_eq!(kikan_kekka(Some(&i), Seeded::NONE).0, "成功");
        i.status = irai::KAITOU_MACHI.into();
        assert_eq!(kikan_kekka(Some(&i), Seeded::NONE), ("未完了", Value::Null));
        let defect = Seeded::from_id("kikan-test-sent-is-success").unwrap();
        assert_eq!(kikan_kekka(Some(&i), defect).0, "成功");
        let refused = Irai {
            status: irai::ERROR.into(),
            error: Some((
                "SK21".into(),
                "指定された特定個人情報名「…」の照会は許可されていません。".into(),
            )),
            ..irai(irai::ERROR)
        };
        assert_eq!(kikan_kekka(Some(&refused), Seeded::NONE).0, "失敗");
        assert_eq!(kikan_kekka(Some(&refused), defect).0, "成功");
        let waiting = irai(irai::FUGOU_MACHI);
        assert_eq!(kikan_kekka(Some(&waiting), defect).0, "未完了");
        assert_eq!(kikan_kekka(None, Seeded::NONE).0, "未完了");
        let fuka = Irai {
            reason: Some(irai::HOUREI_KONKYO_NASHI.into()),
            ..irai(irai::SHOUKAI_FUKA)
        };
        let (k, e) = kikan_kekka(Some(&fuka), Seeded::NONE);
        assert_eq!((k, e["code"].as_str()), ("失敗", Some(irai::SHOUKAI_FUKA)));
    }

    #[test]
    fn gaitou_nashi_is_an_answer_unless_the_defect_says_otherwise() {
        let i = irai(irai::GAITOU_NASHI);
        let v = kansatsu(&i, Seeded::NONE);
        assert_eq!(v["status"], "該当なし");
        assert!(v["error"].is_null());
        let bad = kansatsu(&i, Seeded::from_id("gaitou-nashi-as-error").unwrap());
        assert_eq!(bad["status"], "エラー");
        assert!(bad["error"].is_object());
    }
}
