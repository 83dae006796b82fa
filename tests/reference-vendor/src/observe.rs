//! 一括取込インターフェース (観察) の答え (docs/sut-adapter.md「一括取込インターフェース (観察)」)。
//!
//! どれも保管場所から「その時点で保管し終えているもの」を読むだけで、何も変えません。
//! 文字は受け取ったとおりに返します (JSON は UTF-8 で、𠮷 も私用領域の外字もそのまま)。

use crate::app::App;
use crate::defects::DefectKind;
use crate::error::Result;
use crate::ikkatsu;
use crate::jst;
use crate::juki;
use crate::kizon;
use crate::store::ShinseiRecord;
use serde_json::{Value, json};
use std::collections::HashMap;

/// 観察の答え: HTTP の状態と JSON。
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

fn ok(body: Value) -> Answer {
    Answer { status: 200, body }
}

fn error(status: u16, message: impl Into<String>) -> Answer {
    Answer {
        status,
        body: json!({ "error": message.into() }),
    }
}

/// `from` / `to` の日付。`YYYY-MM-DD` のほか、RFC 3339 の日時ならその日本時間の日付として読みます。
fn query_date(value: &str) -> Option<String> {
    if jst::parse_date(value).is_ok() {
        return Some(value.to_owned());
    }
    jst::parse(value)
        .ok()
        .map(|t| jst::format_date(jst::date_of(t)))
}

/// `GET /shinsei`: 取り込んだ申請を、クエリで絞り込んで (すべて AND)。
pub fn shinsei(app: &App, query: &HashMap<String, String>) -> Result<Answer> {
    let config = app.config();
    let seeded = app.seeded;
    let mut from = None;
    let mut to = None;
    for (name, slot) in [("from", &mut from), ("to", &mut to)] {
        if let Some(v) = query.get(name) {
            match query_date(v) {
                Some(d) => *slot = Some(d),
                None => {
                    return Ok(error(
                        400,
                        format!("{name}「{v}」は日付 (YYYY-MM-DD) ではありません"),
                    ));
                }
            }
        }
    }
    let shokuin = match query.get("shokuin") {
        Some(id) if !seeded.has(DefectKind::AssignmentIgnored) => {
            let found = config.as_ref().and_then(|c| c.shokuin(id).cloned());
            Some(found)
        }
        _ => None,
    };
    let store = app.store();
    let mut items = Vec::new();
    for r in store.shinsei_all()? {
        if let Some(shokuin) = &shokuin {
            // 設定にない職員は何も見られません。
            if !shokuin.as_ref().is_some_and(|s| s.may_see(&r.tetsuzuki)) {
                continue;
            }
        }
        let eq = |name: &str, value: &str| query.get(name).is_none_or(|q| q == value);
        if !eq("uketsuke_bango", &r.uketsuke_bango)
            || !eq("category", &r.category)
            || !eq("tetsuzuki", &r.tetsuzuki)
            || !eq("kensho_kekka", &r.kensho_kekka)
        {
            continue;
        }
        if let Some(kana) = query.get("shimei_kana")
            && !r
                .shimei_kana
                .as_deref()
                .is_some_and(|k| k.contains(kana.as_str()))
        {
            continue;
        }
        if from.as_deref().is_some_and(|f| r.shinsei_bi.as_str() < f) {
            continue;
        }
        if let Some(t) = to.as_deref() {
            let outside = if seeded.has(DefectKind::SearchToExclusive) {
                r.shinsei_bi.as_str() >= t
            } else {
                r.shinsei_bi.as_str() > t
            };
            if outside {
                continue;
            }
        }
        items.push(shinsei_item(&store, &r)?);
    }
    Ok(ok(json!({ "items": items })))
}

fn shinsei_item(store: &crate::store::Store, r: &ShinseiRecord) -> Result<Value> {
    let files: Vec<Value> = store
        .files(r.id)?
        .into_iter()
        .map(|f| json!({ "path": f.path, "size": f.size, "sha256": f.sha256 }))
        .collect();
    Ok(json!({
        "uketsuke_bango": r.uketsuke_bango,
        "tetsuzuki": r.tetsuzuki,
        "category": r.category,
        "shinsei_nichiji": r.shinsei_nichiji,
        "kensho_kekka": r.kensho_kekka,
        "shinsa_status": r.shinsa_status,
        "applicant": {
            "method": r.applicant.method.as_str(),
            "atena_bango": r.applicant.atena_bango,
            "tougou_atena_bango": r.applicant.tougou_atena_bango,
        },
        "shimei_kana": r.shimei_kana,
        "kihon4": r.kihon4.as_ref().map(|k| json!({
            "shimei": k.shimei, "seinengappi": k.seinengappi, "seibetsu": k.seibetsu, "jusho": k.jusho,
        })),
        "form": r.form.iter().map(|f| json!({ "id": f.id, "value": f.value })).collect::<Vec<_>>(),
        "files": files,
        "gyomu_system": r.gyomu_system,
    }))
}

/// `GET /tsuchi`: reset のあとに上げた通知を上げた順に。
pub fn tsuchi(app: &App) -> Result<Answer> {
    let items: Vec<Value> = app
        .store()
        .tsuchi_all()?
        .into_iter()
        .map(|t| json!({ "level": t.level, "title": t.title, "uketsuke_bango": t.uketsuke_bango, "message": t.message }))
        .collect();
    Ok(ok(json!({ "items": items })))
}

/// `GET /ikkatsu?gyomu=…`: 一括取込。知らない業務システムなら 404。
pub fn ikkatsu(app: &App, query: &HashMap<String, String>) -> Result<Answer> {
    let Some(name) = query.get("gyomu") else {
        return Ok(error(400, "gyomu (業務システム名) がありません"));
    };
    let Some(config) = app.config() else {
        return Ok(error(
            404,
            format!("業務システム「{name}」は設定にありません (reset の前です)"),
        ));
    };
    let Some(gyomu) = config.gyomu(name) else {
        return Ok(error(
            404,
            format!("業務システム「{name}」は設定にありません"),
        ));
    };
    let records = app.store().shinsei_all()?;
    let answer = ikkatsu::build(gyomu, &records, app.seeded);
    Ok(ok(serde_json::to_value(answer).unwrap_or(Value::Null)))
}

/// `GET /himoduke`: いま有効な紐付けと、住基マスタにない住民票コードの組。
pub fn himoduke(app: &App) -> Result<Answer> {
    let today = match app.config() {
        Some(config) => app.today(&config),
        None => {
            return Ok(ok(
                json!({ "items": [], "unresolved": [], "last_file": null }),
            ));
        }
    };
    let links = juki::links(app, &today)?;
    let items: Vec<Value> = links
        .items
        .into_iter()
        .map(|l| json!({ "serial": l.serial, "kind": l.kind, "juminhyo_code": l.juminhyo_code, "atena_bango": l.atena_bango }))
        .collect();
    let unresolved: Vec<Value> = links
        .unresolved
        .into_iter()
        .map(|(serial, code)| json!({ "serial": serial, "juminhyo_code": code }))
        .collect();
    Ok(ok(
        json!({ "items": items, "unresolved": unresolved, "last_file": links.last_file }),
    ))
}

/// `GET /jumin?juminhyo_code=…`: 宛名データの1人。知らない住民票コードなら 404。
pub fn jumin(app: &App, query: &HashMap<String, String>) -> Result<Answer> {
    let Some(code) = query.get("juminhyo_code") else {
        return Ok(error(400, "juminhyo_code がありません"));
    };
    let Some(j) = app.store().jumin(code)? else {
        return Ok(error(
            404,
            format!("住民票コード {code} の住民は宛名データにいません"),
        ));
    };
    Ok(ok(json!({
        "juminhyo_code": j.juminhyo_code,
        "atena_bango": j.atena_bango,
        "shimei": j.shimei,
        "shimei_kana": j.shimei_kana,
        "seinengappi": j.seinengappi,
        "seibetsu": j.seibetsu,
        "jusho": j.jusho,
        "source": j.source,
        "updated_at": j.updated_at,
    })))
}

/// `GET /fugou`: 住民記録のすべての住民 (団体内統合宛名番号のある人) の符号取得の状況を、住民記録に加わった順に。
pub fn fugou(app: &App) -> Result<Answer> {
    let items: Vec<Value> = app
        .store()
        .tougou_all()?
        .into_iter()
        .map(|t| json!({ "tougou_atena_bango": t.tougou_atena_bango, "status": t.status, "uketsuke_bango": t.uketsuke_bango }))
        .collect();
    Ok(ok(json!({ "items": items })))
}

/// `GET /fukuhon`: 副本登録の状況 (docs/kizon-gyomu.md「GET /fukuhon」)。
pub fn fukuhon(app: &App) -> Result<Answer> {
    let store = app.store();
    let k = store.kizon_fukuhon_kansatsu(app.seeded)?;
    let totsugou: Value = store
        .meta(kizon::fukuhon::META_TOTSUGOU)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let items: Vec<Value> = k
        .items
        .iter()
        .map(|i| {
            json!({
                "seihon_id": i.seihon_id,
                "status": i.status,
                "major_version": i.major_version,
                "kekka_code": i.kekka_code,
                "message": i.message,
            })
        })
        .collect();
    Ok(ok(json!({
        "seihon_kensuu": k.seihon_kensuu,
        "touroku_kensuu": k.touroku_kensuu,
        "error_kensuu": k.error_kensuu,
        "machi_kensuu": k.machi_kensuu,
        "totsugou": totsugou,
        "items": items,
    })))
}

/// `GET /shoukai`: 照会の依頼とその状況 (docs/kizon-gyomu.md「GET /shoukai」)。
pub fn shoukai(app: &App) -> Result<Answer> {
    let items: Vec<Value> = app
        .store()
        .kizon_shoukai_all()?
        .iter()
        .map(|i| kizon::shoukai::kansatsu(i, app.seeded))
        .collect();
    Ok(ok(json!({ "items": items })))
}

/// `GET /kiroku`: 取り込んだ自分の側の情報提供等記録 (docs/kizon-gyomu.md「GET /kiroku」)。
pub fn kiroku(app: &App) -> Result<Answer> {
    let items: Vec<Value> = app
        .store()
        .kizon_kiroku_all()?
        .into_iter()
        .map(|k| {
            json!({
                "shori_tsuuban": k.shori_tsuuban,
                "kiroku_kubun": k.kiroku_kubun,
                "aite": k.aite,
                "tokutei": k.tokutei,
                "tougou_atena_bango": k.tougou_atena_bango,
                "teikyou_kekka": k.teikyou_kekka,
                "motome_nichiji": k.motome_nichiji,
            })
        })
        .collect();
    Ok(ok(json!({ "items": items })))
}

/// `GET /kikan_test`: 機関間テストの行ごとの結果 (docs/kizon-gyomu.md「GET /kikan_test」)。接続確認が
/// 済んでいないので照会を出さなかった行は `未実施` (docs/kizon-gyomu.md「接続確認」)。
pub fn kikan_test(app: &App) -> Result<Answer> {
    let (irai, rows) = {
        let store = app.store();
        (store.kizon_shoukai_all()?, store.kizon_kikan_test_all()?)
    };
    let mut items = Vec::new();
    for (test_id, aite, tokutei) in rows {
        let i = irai.iter().find(|i| i.irai_id == test_id);
        let (kekka, error) = match (i, kizon::setsuzoku::mijisshi_of(app, &test_id)?) {
            (None, Some(why)) => (kizon::setsuzoku::MIJISSHI, why),
            _ => kizon::shoukai::kikan_kekka(i, app.seeded),
        };
        items.push(json!({
            "test_id": test_id,
            "aite": aite,
            "tokutei": tokutei,
            "shori_tsuuban": i.and_then(|i| i.shori_tsuuban.clone()),
            "kekka": kekka,
            "error": error,
        }));
    }
    Ok(ok(json!({ "items": items })))
}

/// `GET /setsuzoku`: 接続確認の記録を行った順に (docs/kizon-gyomu.md「GET /setsuzoku」)。
pub fn setsuzoku(app: &App) -> Result<Answer> {
    let items = kizon::setsuzoku::kiroku_all(app)?;
    Ok(ok(json!({ "items": items })))
}

/// `GET /teikyou`: 知っている提供の求め (docs/kizon-gyomu.md「GET /teikyou」)。`jizen_tsuuchi` は、読んだ通知に
/// その処理通番の有効期間切れ事前通知があったか。
pub fn teikyou(app: &App) -> Result<Answer> {
    let store = app.store();
    let jizen = store.kizon_jizen_tsuuchi()?;
    let items: Vec<Value> = store
        .kizon_teikyou_all()?
        .into_iter()
        .map(|t| {
            json!({
                "shori_tsuuban": t.shori_tsuuban,
                "shoukaisha": t.shoukaisha,
                "tokutei": t.tokutei,
                "motome_nichiji": t.motome_nichiji,
                "yuukou_kigen": t.yuukou_kigen,
                "status": t.status,
                "jizen_tsuuchi": jizen.contains(&t.shori_tsuuban),
            })
        })
        .collect();
    Ok(ok(json!({ "items": items })))
}

/// `GET /toiawase?irai_id=…`: `toiawase` ジョブで作った問合せ資料 (docs/kizon-gyomu.md「問合せ資料」)。
/// 知らない依頼、まだ資料を作っていない依頼なら 404。
pub fn toiawase(app: &App, query: &HashMap<String, String>) -> Result<Answer> {
    let Some(irai_id) = query.get("irai_id") else {
        return Ok(error(400, "irai_id がありません"));
    };
    let store = app.store();
    if let Some(shiryou) = store.kizon_toiawase(irai_id)? {
        return Ok(ok(shiryou));
    }
    Ok(if store.kizon_shoukai(irai_id)?.is_some() {
        error(
            404,
            format!("依頼 {irai_id} の問合せ資料はまだ作っていません (toiawase ジョブで作ります)"),
        )
    } else {
        error(404, format!("依頼 {irai_id} はありません"))
    })
}
