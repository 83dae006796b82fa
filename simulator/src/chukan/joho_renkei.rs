//! The 中間サーバー joined to the 情報提供ネットワークシステム's 情報照会 engine
//! ([`crate::nws::shoukai`]): the parts the engine asks, its event log, and what every 情報照会・
//! 情報提供・情報提供等記録 電文 shares — reading a 照会 from request items, writing 照会, 提供,
//! 記録 and 通知 as XML, and turning each engine refusal into the 電文's error.
//!
//! | engine part | implemented by |
//! |---|---|
//! | [`FugouDaichou`] | [`ChukanFugou`]: each tenant's [`FugouKanri`](super::fugou::FugouKanri) |
//! | [`FugouHenkan`](crate::nws::shoukai::FugouHenkan) | the platform's [`FugouIssuance`] (the register of every 符号 issued) |
//! | [`TeikyouSource`](crate::nws::shoukai::TeikyouSource) | [`ChukanFukuhon`]: the 副本 table |
//! | [`ShoukaiStore`] | [`ShoukaiLog`]: the table `chukan_shoukai_log` of the state file |
//!
//! Persistence follows the 符号管理 log: every acknowledged [`ShoukaiEvent`] is a row of the
//! 中間サーバー's tables, written before it is applied, and replayed in order when the platform
//! is built again from the same state file.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::http::StatusCode;
use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::ids::{KikanCode, TougouAtenaBango};
use rusqlite::params;
use time::OffsetDateTime;

use super::db::{ChukanDb, DbError, rfc3339};
use super::denbun::{DenbunError, leaf};
use super::platform::{Chukan, ChukanConfig, Tenant, WeakChukan};
use super::teikyou_source::{ChukanFukuhon, FukaKey, JogaiMaster};
use crate::clock::Clock;
use crate::jukinet::service::Fugou;
use crate::nws::FugouIssuance;
use crate::nws::shoukai::{
    FugouDaichou, FukuhonHit, FukuhonKensaku, JohoRenkei, Kiroku, MsgMode, Renkeisaki,
    ShoriTsuuban, Shoukai, ShoukaiConfig, ShoukaiError, ShoukaiEvent, ShoukaiJouken, ShoukaiNaiyou,
    ShoukaiStore, Teikyou, TenantSpec, Tsuuchi, UketsukeBango,
};
use crate::store::StoreError;

/// The event log of the engine (one JSON event a row, in the order acknowledged).
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS chukan_shoukai_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL
);";

/// What an earlier run left in the state file: the engine's events, the 自動応答不可
/// settings and the 提供除外項目マスタ.
pub struct Stored {
    events: Vec<ShoukaiEvent>,
    fuka: BTreeSet<FukaKey>,
    jogai: JogaiMaster,
}

/// Creates the tables if needed and reads them back (before the platform is built).
pub fn load(db: &ChukanDb) -> Result<Stored, DbError> {
    db.in_transaction(|tx| Ok(tx.execute_batch(SCHEMA)?))?;
    ChukanFukuhon::create_table(db)?;
    let events = db.in_transaction(|tx| {
        let mut statement = tx.prepare("SELECT body FROM chukan_shoukai_log ORDER BY seq")?;
        let rows = statement.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|row| {
            let body = row?;
            serde_json::from_str(&body).map_err(|e| {
                DbError::Corrupt(format!(
                    "{e}: {}",
                    body.chars().take(80).collect::<String>()
                ))
            })
        })
        .collect::<Result<Vec<ShoukaiEvent>, DbError>>()
    })?;
    Ok(Stored {
        events,
        fuka: ChukanFukuhon::load(db)?,
        jogai: ChukanFukuhon::load_jogai(db)?,
    })
}

/// The engine of the platform: every tenant connected in the platform's environment, answering
/// from the tenants' 副本, persisting to `db`, with the events of an earlier run replayed.
pub fn engine(
    chukan: WeakChukan,
    clock: &Clock,
    config: &ChukanConfig,
    tenants: &BTreeMap<KikanCode, Arc<Tenant>>,
    db: &Arc<ChukanDb>,
    issuer: &Arc<FugouIssuance>,
    stored: Stored,
) -> (JohoRenkei, Arc<ChukanFukuhon>) {
    let source = Arc::new(ChukanFukuhon::new(chukan, stored.fuka, stored.jogai));
    let specs = tenants
        .values()
        .map(|t| TenantSpec::from_dantai(&t.dantai, &[t.mode]))
        .collect();
    let mut engine = JohoRenkei::new(
        clock.clone(),
        Catalogs::embedded(),
        ShoukaiConfig {
            documented_limits: config.documented_limits,
            ..ShoukaiConfig::default()
        },
        Renkeisaki {
            fugou: Arc::new(ChukanFugou {
                tenants: tenants.clone(),
            }),
            henkan: issuer.clone(),
            source: source.clone(),
        },
        specs,
    );
    engine.replay(stored.events);
    engine.persist_to(Arc::new(ShoukaiLog { db: db.clone() }));
    (engine, source)
}

/// Each tenant's 符号管理, as the engine asks it.
#[derive(Debug)]
pub struct ChukanFugou {
    /// The tenants (fixed for the platform's life).
    tenants: BTreeMap<KikanCode, Arc<Tenant>>,
}

impl FugouDaichou for ChukanFugou {
    fn fugou(
        &self,
        kikan: KikanCode,
        tougou: TougouAtenaBango,
    ) -> Result<Fugou, super::fugou::FugouError> {
        match self.tenants.get(&kikan) {
            Some(tenant) => tenant.fugou.fugou(tougou),
            None => Err(super::fugou::FugouError::Mishutoku { tougou }),
        }
    }

    fn tougou(&self, kikan: KikanCode, fugou: &Fugou) -> Option<TougouAtenaBango> {
        self.tenants.get(&kikan)?.fugou.tougou_of(fugou)
    }
}

/// The engine's events in the state file.
pub struct ShoukaiLog {
    db: Arc<ChukanDb>,
}

impl ShoukaiStore for ShoukaiLog {
    fn append(&self, event: &ShoukaiEvent) -> Result<(), StoreError> {
        let body = serde_json::to_string(event).expect("events serialise");
        self.db
            .in_transaction(|tx| {
                tx.prepare_cached("INSERT INTO chukan_shoukai_log (body) VALUES (?1)")?
                    .execute(params![body])?;
                Ok(())
            })
            .map_err(|error| match error {
                DbError::Sql(error) => StoreError::Write(error),
                other => StoreError::Read(other.to_string()),
            })
    }
}

// ---- errors ------------------------------------------------------------------------------------

/// The HTTP status of an engine refusal, by its code (`SKnn`): the table of docs/chukan-api.md.
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "SK01" | "SK04" | "SK50" | "SK51" | "SK52" | "SK53" => StatusCode::NOT_FOUND,
        "SK02" | "SK22" | "SK23" | "SK24" | "SK54" | "SK55" | "SK56" => StatusCode::CONFLICT,
        "SK20" | "SK21" => StatusCode::FORBIDDEN,
        "SK30" | "SK31" => StatusCode::SERVICE_UNAVAILABLE,
        "SK40" => StatusCode::TOO_MANY_REQUESTS,
        "SK41" => StatusCode::PAYLOAD_TOO_LARGE,
        "SK90" | "SK91" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The request item an engine refusal is about, if one is.
fn item_of(error: &ShoukaiError) -> Option<&'static str> {
    Some(match error.code() {
        "SK03" => "MSGMode",
        "SK04" | "SK05" => "情報提供者機関コード",
        "SK10" | "SK21" => "特定個人情報名コード",
        "SK11" | "SK20" => "事務コード",
        "SK12" | "SK13" => "事務手続コード",
        "SK14" => "照会条件区分",
        "SK22" | "SK23" | "SK24" => "団体内統合宛名番号",
        "SK50" | "SK51" | "SK53" | "SK54" | "SK55" | "SK56" => "処理通番",
        "SK52" => "中間サーバー受付番号",
        "SK57" => "記録事項変更事由",
        _ => return None,
    })
}

/// An engine refusal as the 既存システム receives it: its code, its (Japanese, where public the
/// real) message, the HTTP status of [`status_of`], the item at fault.
pub fn denbun_error(error: ShoukaiError) -> DenbunError {
    let mut denbun = DenbunError::new(status_of(error.code()), error.code(), error.to_string());
    if let Some(item) = item_of(&error) {
        denbun = denbun.item(item);
    }
    denbun
}

// ---- reading requests ------------------------------------------------------------------------

/// A 団体内統合宛名番号 of this tenant: refused when it is another tenant's resident (the
/// scenario's populations say whose).
pub fn own_tougou(
    chukan: &Chukan,
    tenant: &Tenant,
    item: &str,
    text: &str,
) -> Result<TougouAtenaBango, DenbunError> {
    let tougou: TougouAtenaBango = text.parse().map_err(|e| DenbunError::bad(item, e))?;
    if let Some(owner) = chukan.resident_of(tougou)
        && owner != tenant.dantai.code
    {
        return Err(DenbunError::new(
            StatusCode::FORBIDDEN,
            "OTHER_TENANT",
            format!(
                "団体内統合宛名番号「{tougou}」は他団体の住民です: {} の中間サーバーが扱えるのは自団体の団体内統合宛名番号だけです",
                tenant.dantai.name
            ),
        )
        .item(item));
    }
    Ok(tougou)
}

/// The items of one 照会 (情報照会内容), in a 電文 body or a 明細 of a 一括照会要求ファイル.
pub const NAIYOU_ITEMS: [&str; 10] = [
    "団体内統合宛名番号",
    "事務コード",
    "事務手続コード",
    "特定個人情報名コード",
    "情報提供者機関コード",
    "照会条件区分",
    "照会年度",
    "開始日",
    "終了日",
    "不開示コード",
];

/// Reads one 照会 from its items (`get` gives an item's text, `None` when absent or empty).
/// Malformed items are the 電文's errors; a malformed 照会条件 is the engine's SK14.
pub fn read_naiyou<'a>(
    chukan: &Chukan,
    tenant: &Tenant,
    mode: MsgMode,
    get: impl Fn(&str) -> Option<&'a str>,
) -> Result<ShoukaiNaiyou, DenbunError> {
    let required = |name: &str| get(name).ok_or_else(|| DenbunError::missing(name));
    fn parse<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, DenbunError>
    where
        T::Err: std::fmt::Display,
    {
        text.parse().map_err(|e| DenbunError::bad(name, e))
    }
    let tougou = own_tougou(
        chukan,
        tenant,
        "団体内統合宛名番号",
        required("団体内統合宛名番号")?,
    )?;
    let jouken = ShoukaiJouken::from_fields(
        required("照会条件区分")?,
        get("照会年度").unwrap_or(""),
        get("開始日").unwrap_or(""),
        get("終了日").unwrap_or(""),
    )
    .map_err(|e| denbun_error(ShoukaiError::Jouken(e)))?;
    let fukaiji = match get("不開示コード") {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => {
            return Err(DenbunError::bad(
                "不開示コード",
                format!("「{other}」は 0 (開示) でも 1 (不開示) でもありません"),
            ));
        }
    };
    Ok(ShoukaiNaiyou {
        tougou,
        jimu: parse("事務コード", required("事務コード")?)?,
        tetsuzuki: parse("事務手続コード", required("事務手続コード")?)?,
        tokutei: parse("特定個人情報名コード", required("特定個人情報名コード")?)?,
        teikyousha: parse("情報提供者機関コード", required("情報提供者機関コード")?)?,
        jouken,
        msg_mode: mode,
        fukaiji,
    })
}

/// A 処理通番 item.
pub fn shori_tsuuban(item: &str, text: &str) -> Result<ShoriTsuuban, DenbunError> {
    text.parse().map_err(|e| DenbunError::bad(item, e))
}

/// A 中間サーバー受付番号 of 情報照会 (16 digits).
pub fn uketsuke_bango(item: &str, text: &str) -> Result<UketsukeBango, DenbunError> {
    text.parse().map_err(|e| DenbunError::bad(item, e))
}

/// A `0` / `1` flag item.
pub fn flag(item: &str, text: &str) -> Result<bool, DenbunError> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(DenbunError::bad(
            item,
            format!("「{other}」は 0 でも 1 でもありません"),
        )),
    }
}

/// A date-time item (RFC 3339, e.g. `2026-04-06T09:00:00+09:00`).
pub fn date_time(item: &str, text: &str) -> Result<OffsetDateTime, DenbunError> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| {
        DenbunError::bad(
            item,
            format!("「{text}」は日時ではありません (RFC 3339、例 2026-04-06T09:00:00+09:00)"),
        )
    })
}

// ---- writing answers ---------------------------------------------------------------------------

/// Writes elements with an indent.
pub struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    /// Starting at `depth` levels of two spaces.
    pub fn new(depth: usize) -> Self {
        Self {
            out: String::new(),
            depth,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.indent();
        self.out.push_str(&leaf(name, text));
        self.out.push('\n');
        self
    }

    /// `<name>text</name>` when there is a text.
    pub fn opt(&mut self, name: &str, text: Option<String>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, &text);
        }
        self
    }

    /// Opens `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.indent();
        self.out.push_str(&format!("<{name}>\n"));
        self.depth += 1;
        self
    }

    /// Closes `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.depth -= 1;
        self.indent();
        self.out.push_str(&format!("</{name}>\n"));
        self
    }

    /// A line of XML written elsewhere (a 副本).
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.indent();
        self.out.push_str(xml);
        self.out.push('\n');
        self
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }
}

fn jouken_items(xml: &mut Xml, jouken: &ShoukaiJouken) {
    xml.leaf("照会条件区分", jouken.kubun());
    match *jouken {
        ShoukaiJouken::Nendo { nendo } => {
            xml.leaf("照会年度", &nendo.to_string());
        }
        ShoukaiJouken::Kikan { start, end } => {
            xml.leaf("開始日", &start.to_string())
                .leaf("終了日", &end.to_string());
        }
    }
}

/// `<照会状況>`: one 照会 as its 照会者 sees it (XSD `ShoukaiJoukyou`).
pub fn shoukai_xml(xml: &mut Xml, shoukai: &Shoukai) {
    let naiyou = &shoukai.naiyou;
    xml.open("照会状況")
        .leaf("処理通番", &shoukai.shori_tsuuban.to_string())
        .leaf("中間サーバー受付番号", &shoukai.uketsuke_bango.to_string())
        .leaf("照会方式", shoukai.houshiki.label())
        .leaf("団体内統合宛名番号", naiyou.tougou.as_str())
        .leaf("事務コード", naiyou.jimu.as_str())
        .leaf("事務手続コード", naiyou.tetsuzuki.as_str())
        .leaf("特定個人情報名コード", naiyou.tokutei.as_str())
        .leaf("情報提供者機関コード", naiyou.teikyousha.as_str());
    jouken_items(xml, &naiyou.jouken);
    xml.leaf("不開示コード", if naiyou.fukaiji { "1" } else { "0" })
        .leaf("照会ステータス", shoukai.status.label())
        .leaf("照会ステータスコード", shoukai.status.code())
        .leaf("登録日時", &rfc3339(shoukai.registered_at))
        .opt("提供の求めの日時", shoukai.motome_at.map(rfc3339))
        .opt("完了日時", shoukai.kanryou_at.map(rfc3339))
        .opt("エラーコード", shoukai.error_code.clone())
        .opt("メッセージ", shoukai.message.clone())
        .close("照会状況");
}

/// `<提供された副本>`: the 副本 of a 正常終了 照会, one per dataset record.
pub fn kekka_xml(xml: &mut Xml, hits: &[FukuhonHit]) {
    xml.open("提供された副本");
    for hit in hits {
        xml.raw(&hit.fukuhon);
    }
    xml.close("提供された副本");
}

/// `<提供状況>`: one 提供の求め as its 提供者 sees it, with what will be (or was) provided.
pub fn teikyou_xml(xml: &mut Xml, teikyou: &Teikyou) {
    xml.open("提供状況")
        .leaf("処理通番", &teikyou.shori_tsuuban.to_string())
        .leaf("情報照会者機関コード", teikyou.shoukaisha.as_str())
        .leaf("団体内統合宛名番号", teikyou.tougou.as_str())
        .leaf("事務コード", teikyou.jimu.as_str())
        .leaf("事務手続コード", teikyou.tetsuzuki.as_str())
        .leaf("特定個人情報名コード", teikyou.tokutei.as_str());
    jouken_items(xml, &teikyou.jouken);
    xml.leaf("提供の求めの日時", &rfc3339(teikyou.motome_at))
        .leaf("有効期限", &rfc3339(teikyou.yuukou_kigen))
        .leaf("提供ステータス", teikyou.status.label())
        .leaf("応答方法", teikyou.outou.label())
        .opt("完了日時", teikyou.kanryou_at.map(rfc3339))
        .opt(
            "有効期間切れ事前通知日時",
            teikyou.jizen_tsuuchi_at.map(rfc3339),
        );
    xml.open("提供内容");
    match &teikyou.naiyou {
        FukuhonKensaku::Gaitou { hits } => {
            xml.leaf("検索結果", "該当あり");
            for hit in hits {
                xml.open("該当副本")
                    .leaf("自動応答不可", if hit.jidou_outou_fuka { "1" } else { "0" })
                    .raw(&hit.fukuhon)
                    .close("該当副本");
            }
        }
        FukuhonKensaku::Gaitounashi => {
            xml.leaf("検索結果", "該当なし");
        }
        FukuhonKensaku::TeikyouFuka { riyuu } => {
            xml.leaf("検索結果", "提供不可").leaf("理由", riyuu);
        }
    }
    xml.close("提供内容").close("提供状況");
}

/// `<情報提供等記録>`: one record of this tenant's side.
pub fn kiroku_xml(xml: &mut Xml, kiroku: &Kiroku) {
    xml.open("情報提供等記録")
        .leaf("処理通番", &kiroku.shori_tsuuban.to_string())
        .leaf("記録区分", kiroku.kubun.label())
        .leaf("MSGMode", kiroku.msg_mode.code())
        .leaf("情報照会者機関コード", kiroku.shoukaisha.as_str())
        .leaf("情報提供者機関コード", kiroku.teikyousha.as_str())
        .leaf("事務コード", kiroku.jimu.as_str())
        .leaf("事務手続コード", kiroku.tetsuzuki.as_str())
        .leaf("特定個人情報名コード", kiroku.tokutei.as_str())
        .leaf("団体内統合宛名番号", kiroku.tougou.as_str())
        .leaf("提供の求めの日時", &rfc3339(kiroku.motome_at))
        .opt("提供の日時", kiroku.teikyou_at.map(rfc3339))
        .leaf("提供結果", kiroku.kekka.label())
        .leaf("応答方法", kiroku.outou.label());
    for jiyuu in &kiroku.henkou_jiyuu {
        xml.open("記録事項変更事由")
            .leaf("事由", &jiyuu.jiyuu)
            .leaf("登録日時", &rfc3339(jiyuu.at))
            .close("記録事項変更事由");
    }
    xml.leaf("不開示", if kiroku.fukaiji { "1" } else { "0" })
        .close("情報提供等記録");
}

/// `<通知>`: one 通知 of the feed.
pub fn tsuuchi_xml(xml: &mut Xml, tsuuchi: &Tsuuchi) {
    xml.open("通知")
        .leaf("通知番号", &tsuuchi.bango.to_string())
        .leaf("通知種別", tsuuchi.kind.label())
        .leaf("処理通番", &tsuuchi.shori_tsuuban.to_string())
        .leaf("MSGMode", tsuuchi.msg_mode.code())
        .leaf("相手機関コード", tsuuchi.aite.as_str())
        .leaf("通知日時", &rfc3339(tsuuchi.at))
        .close("通知");
}
