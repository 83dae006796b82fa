//! 既存住基システム: 証明書情報連携 (`juki_renkei`) と本人確認情報 (`honnin_kakunin`)。
//!
//! 住基ネットCS (docs/jukinet-cs-api.md) から証明書情報を全件 (JS01)、2回目からは前回の作成日時からの差分
//! (JS02) で受け取り、行の今の状態を持ちます。紐付け (シリアル番号 ↔ 宛名番号) は、その行のうち**いま有効な**
//! ものを住基マスタ (宛名データ) で宛名番号に変えたものです (JUK-02〜05)。住基マスタにない住民票コードの組は
//! 捨てずに `unresolved` に出します。
//!
//! 申請管理システムは [`link`] で紐付けを引きます。写しを取らずにいつも同じ保管場所を読むので、
//! `juki_renkei` のすぐあとから新しい紐付けで特定できます (JUK-05)。不具合 links-snapshot だけは、
//! reset のあと最初の `juki_renkei` の終わりに写しを取り、それからずっとその写しを引きます。

pub mod files;
pub mod gaiji;

use crate::app::App;
use crate::config::RenkeiConfig;
use crate::defects::{DefectKind, Seeded};
use crate::error::{Error, Result};
use crate::model::{Jumin, SOURCE_JUKINET};
use crate::store::{ShomeishoRow, Store};
use files::{HoninFile, ShomeishoFile};
use serde::{Deserialize, Serialize};
use std::io::{Cursor, Read};

/// 最後に当てた証明書情報ファイル。
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LastFile {
    pub file_id: String,
    pub created_at: String,
}

const META_LAST_FILE: &str = "juki_last_file";

/// いま有効な紐付け1つ。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub serial: String,
    pub kind: String,
    pub juminhyo_code: String,
    pub atena_bango: String,
}

/// 紐付けの一覧 (`GET /himoduke`)。
#[derive(Clone, Debug)]
pub struct Links {
    pub items: Vec<Link>,
    /// 住基マスタで宛名番号に変えられなかった組 (シリアル番号, 住民票コード)。
    pub unresolved: Vec<(String, String)>,
    pub last_file: Option<LastFile>,
}

/// 住基ネットCS の URL。`base_url` に `/jukinet/v1` があってもなくても同じ URL になります。
fn cs_url(config: &RenkeiConfig, rest: &str) -> String {
    let base = config.jukinet.base_url.trim_end_matches('/');
    let base = base.strip_suffix("/jukinet/v1").unwrap_or(base);
    format!("{base}/jukinet/v1/dantai/{}/{rest}", config.dantai)
}

/// 住基ネットCS から1つのファイルを取ります。`fixed` なら ZIP から固定長ファイルと外字例外ファイルを出します。
struct CsFile {
    /// CSV形式の文字列か、固定長ファイルのバイト列。
    body: Vec<u8>,
    /// 固定長形式のときの外字例外ファイル。
    reigai: Option<String>,
}

async fn fetch(
    app: &App,
    config: &RenkeiConfig,
    rest: &str,
    file_id: &str,
    json_body: Option<serde_json::Value>,
) -> Result<CsFile> {
    let form = config.jukinet.form.as_str();
    let sep = if rest.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}form={form}", cs_url(config, rest));
    let request = match &json_body {
        Some(body) => app.http.post(&url).json(body),
        None => app.http.get(&url),
    };
    let response = request
        .bearer_auth(&config.jukinet.access_key)
        .send()
        .await
        .map_err(|e| Error::new(format!("住基ネットCS ({url}) につながりません: {e}")))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| Error::new(format!("住基ネットCS の答えを受け取れません: {e}")))?;
    if !status.is_success() {
        return Err(Error::new(format!(
            "住基ネットCS が {status} で断りました ({url}): {}",
            String::from_utf8_lossy(&bytes)
                .chars()
                .take(300)
                .collect::<String>()
        )));
    }
    if form == "csv" {
        return Ok(CsFile {
            body: bytes.to_vec(),
            reigai: None,
        });
    }
    let (dat, reigai) = unzip_pair(&bytes, file_id)?;
    Ok(CsFile {
        body: dat,
        reigai: Some(reigai),
    })
}

/// 固定長形式の ZIP から `{ID}.dat` と `{ID}_reigai.csv` を出します (大きさの上限つき)。
fn unzip_pair(bytes: &[u8], file_id: &str) -> Result<(Vec<u8>, String)> {
    const LIMIT: u64 = 512 * 1024 * 1024;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Error::new(format!("住基ネットCS の ZIP を読めません: {e}")))?;
    let mut read = |name: &str| -> Result<Vec<u8>> {
        let file = archive
            .by_name(name)
            .map_err(|_| Error::new(format!("住基ネットCS の ZIP に {name} がありません")))?;
        if file.size() > LIMIT {
            return Err(Error::new(format!("{name} が大きすぎます")));
        }
        let mut out = Vec::new();
        file.take(LIMIT + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::new(format!("{name} を展開できません: {e}")))?;
        Ok(out)
    };
    let dat = read(&format!("{file_id}.dat"))?;
    let reigai = read(&format!("{file_id}_reigai.csv"))?;
    let reigai = String::from_utf8(reigai)
        .map_err(|_| Error::new(format!("{file_id}_reigai.csv が UTF-8 ではありません")))?;
    Ok((dat, reigai))
}

fn shomeisho_file(app: &App, file: CsFile, file_id: &str) -> Result<ShomeishoFile> {
    let parsed = match file.reigai {
        None => {
            let text = String::from_utf8(file.body)
                .map_err(|_| Error::new(format!("{file_id} が UTF-8 ではありません")))?;
            files::shomeisho_csv(&text, app.seeded)?
        }
        // 証明書情報には全角項目がないので、外字例外ファイルは列名の行だけです (読んで確かめるだけ)。
        Some(reigai) => {
            gaiji::parse(&reigai)?;
            files::shomeisho_fixed(&file.body)?
        }
    };
    if parsed.header.file_id != file_id {
        return Err(Error::new(format!(
            "ファイルID が {} です ({file_id} を求めました)",
            parsed.header.file_id
        )));
    }
    Ok(parsed)
}

fn to_row(r: &files::ShomeishoRecord) -> ShomeishoRow {
    ShomeishoRow {
        serial: r.serial.clone(),
        juminhyo_code: r.juminhyo_code.clone(),
        kind: r.kind.clone(),
        hakkobi: r.hakkobi.clone(),
        yuko_kigen: r.yuko_kigen.clone(),
        shikkobi: r.shikkobi.clone(),
    }
}

/// 証明書情報連携を1回行います (`juki_renkei` ジョブ)。
pub async fn renkei(app: &App, config: &RenkeiConfig) -> Result<LastFile> {
    let last: Option<LastFile> = app
        .store()
        .meta(META_LAST_FILE)?
        .and_then(|s| serde_json::from_str(&s).ok());
    let (file, full) = match &last {
        None => (
            shomeisho_file(
                app,
                fetch(app, config, "shomeisho/zenken", "JS01", None).await?,
                "JS01",
            )?,
            true,
        ),
        Some(last) => {
            let rest = format!(
                "shomeisho/sabun?since={}",
                crate::pittari::percent_encode(&last.created_at)
            );
            (
                shomeisho_file(app, fetch(app, config, &rest, "JS02", None).await?, "JS02")?,
                false,
            )
        }
    };
    let mut store = app.store();
    apply(&mut store, &file, full, app.seeded)?;
    let applied = LastFile {
        file_id: file.header.file_id.clone(),
        created_at: file.header.sakusei_nichiji.clone(),
    };
    store.set_meta(
        META_LAST_FILE,
        &serde_json::to_string(&applied).unwrap_or_default(),
    )?;
    app.note_now(&mut store, &file.header.sakusei_nichiji)?;
    Ok(applied)
}

/// 証明書情報ファイルを当てます。全件 (JS01) なら置き換え、差分 (JS02) なら行ごとに今の状態で上書きします:
/// 失効の行は失効日つきで上書きされるので、そのシリアル番号ではもう誰も特定しません (JUK-03)。
/// 更新の新しいシリアル番号は同じ住民票コードの行として加わるので、同じ人に紐付きます (JUK-04)。
/// 全件を当てるのは reset のあと最初の連携だけです (2回目からは前回の作成日時からの差分)。
pub fn apply(store: &mut Store, file: &ShomeishoFile, full: bool, seeded: Seeded) -> Result<()> {
    let renewal_ignored = !full && seeded.has(DefectKind::RenewalNotLinked);
    let mut rows = Vec::with_capacity(file.records.len());
    for r in &file.records {
        // 不具合 unresolved-dropped: 住基マスタにない住民票コードの組を黙って捨てる。
        if seeded.has(DefectKind::UnresolvedDropped)
            && store
                .jumin(&r.juminhyo_code)?
                .and_then(|j| j.atena_bango)
                .is_none()
        {
            continue;
        }
        let revoked = r.shikkobi.is_some() || r.jotai == 2;
        if !full && revoked && seeded.has(DefectKind::DeltaRevocationsIgnored) {
            continue;
        }
        // 不具合 renewal-not-linked: 更新による新しいシリアル番号だけを無視する (新規発行は紐付ける)。
        if renewal_ignored
            && !revoked
            && store.shomeisho(&r.serial, false)?.is_none()
            && is_renewal(file, r)
        {
            continue;
        }
        rows.push(to_row(r));
    }
    if !full {
        return store.upsert_shomeisho(&rows);
    }
    store.replace_shomeisho(&rows)?;
    // 不具合 links-snapshot: reset のあと最初の連携 (全件) の終わりに、申請管理システムの側が紐付けの写しを取る。
    // あとの連携 (差分) は既存住基システムの紐付けを更新するが、この写しは更新しない。
    if seeded.has(DefectKind::LinksSnapshot) {
        store.snapshot_shomeisho()?;
    }
    Ok(())
}

/// 差分の新しい証明書 `new` が更新によるものか: 同じ差分に、同じ住民票コードの別の証明書が同じ更新日時に
/// 失効した行があり、その失効日が `new` の発行日と同じ (docs/jukinet-cs-api.md「失効と更新が差分でどう見えるか」)。
/// ファイルに失効事由の列はないので、この形で見分けます (不具合 renewal-not-linked だけが使います)。
fn is_renewal(file: &ShomeishoFile, new: &files::ShomeishoRecord) -> bool {
    file.records.iter().any(|old| {
        old.serial != new.serial
            && old.juminhyo_code == new.juminhyo_code
            && old.koshin_nichiji == new.koshin_nichiji
            && old.shikkobi.is_some()
            && old.shikkobi == new.hakkobi
    })
}

/// 本人確認情報を取り、宛名データを更新します (`honnin_kakunin` ジョブ)。
pub async fn honnin_kakunin(app: &App, config: &RenkeiConfig, codes: &[String]) -> Result<usize> {
    let mut updated = 0;
    for chunk in codes.chunks(1000) {
        let body = serde_json::json!({ "juminhyo_codes": chunk });
        let files = match fetch(app, config, "honin-kakunin", "JH01", Some(body)).await {
            Ok(file) => vec![file],
            // 1人でも自団体の住民でなければ全部が断られるので、1人ずつ聞き直します。
            Err(e) if e.0.contains("JUMINHYO_CODE_UNKNOWN") => {
                let mut one_by_one = Vec::new();
                for code in chunk {
                    match fetch(app, config, &format!("honin-kakunin/{code}"), "JH01", None).await {
                        Ok(file) => one_by_one.push(file),
                        Err(e) if e.0.contains("JUMINHYO_CODE_UNKNOWN") => {}
                        Err(e) => return Err(e),
                    }
                }
                one_by_one
            }
            Err(e) => return Err(e),
        };
        for file in files {
            let honin = honin_file(app, file)?;
            let people: Vec<Jumin> = honin
                .records
                .iter()
                .map(|r| Jumin {
                    juminhyo_code: r.juminhyo_code.clone(),
                    atena_bango: None,
                    tougou_atena_bango: None,
                    shimei: r.shimei.clone(),
                    shimei_kana: r.shimei_kana.clone(),
                    seinengappi: r.seinengappi.clone(),
                    seibetsu: r.seibetsu.clone(),
                    jusho: r.jusho.clone(),
                    source: SOURCE_JUKINET.to_owned(),
                    updated_at: honin.header.sakusei_nichiji.clone(),
                })
                .collect();
            let mut store = app.store();
            updated += store.update_atena_from_cs(&people)?;
            app.note_now(&mut store, &honin.header.sakusei_nichiji)?;
        }
    }
    Ok(updated)
}

/// 本人確認情報ファイルを読み、固定長形式なら外字例外ファイルで元の文字に戻します (JUK-06)。
fn honin_file(app: &App, file: CsFile) -> Result<HoninFile> {
    let Some(reigai) = file.reigai else {
        let text = String::from_utf8(file.body)
            .map_err(|_| Error::new("JH01 が UTF-8 ではありません".to_owned()))?;
        return files::honin_csv(&text);
    };
    let mut honin = files::honin_fixed(&file.body)?;
    if app.seeded.has(DefectKind::GaijiIgnored) {
        return Ok(honin);
    }
    let rows = gaiji::parse(&reigai)?;
    let plan = gaiji::restore_plan(&honin.header.file_id, &rows, |no, field| {
        let r = honin.records.get(no.checked_sub(1)?)?;
        match field {
            "氏名" => Some(r.shimei.clone()),
            "氏名カナ" => Some(r.shimei_kana.clone().unwrap_or_default()),
            "住所" => Some(r.jusho.clone()),
            _ => None,
        }
    })?;
    for ((no, field), value) in plan {
        let Some(r) = honin.records.get_mut(no - 1) else {
            continue;
        };
        match field.as_str() {
            "氏名" => r.shimei = value,
            "氏名カナ" => r.shimei_kana = Some(value),
            "住所" => r.jusho = value,
            _ => {}
        }
    }
    Ok(honin)
}

/// いま (`today`、`YYYY-MM-DD`) 有効な紐付けと、宛名番号に変えられなかった組。
pub fn links(app: &App, today: &str) -> Result<Links> {
    let store = app.store();
    let last_file = store
        .meta(META_LAST_FILE)?
        .and_then(|s| serde_json::from_str(&s).ok());
    let mut items = Vec::new();
    let mut unresolved = Vec::new();
    for row in store.shomeisho_all()? {
        if !row.is_valid_on(today) {
            continue;
        }
        match store.jumin(&row.juminhyo_code)?.and_then(|j| j.atena_bango) {
            Some(atena_bango) => items.push(Link {
                serial: row.serial,
                kind: row.kind,
                juminhyo_code: row.juminhyo_code,
                atena_bango,
            }),
            None => unresolved.push((row.serial, row.juminhyo_code)),
        }
    }
    Ok(Links {
        items,
        unresolved,
        last_file,
    })
}

/// シリアル番号の、いま有効な紐付けの住民 (申請管理システムが申請者を特定するため)。
/// 不具合 links-snapshot なら、reset のあと最初の `juki_renkei` の終わりに取った写しを引きます。
pub fn link(app: &App, serial: &str, today: &str) -> Result<Option<Jumin>> {
    let store = app.store();
    let snapshot = app.seeded.has(DefectKind::LinksSnapshot);
    let Some(row) = store.shomeisho(serial, snapshot)? else {
        return Ok(None);
    };
    if !row.is_valid_on(today) {
        return Ok(None);
    }
    Ok(store
        .jumin(&row.juminhyo_code)?
        .filter(|j| j.atena_bango.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SOURCE_JUMIN_KIROKU;

    const JS01: &str = "ファイルID,作成日時,対象期間開始,対象期間終了,データ件数\r\n\
JS01,2026-04-06T09:00:00+09:00,,,3\r\n\
シリアル番号,住民票コード,証明書種別,発行日,有効期限,失効日,状態,更新日時\r\n\
9014838792597152,99822713246,2,2026-03-13,2030-11-14,,1,2026-03-13T00:00:00+09:00\r\n\
9015826487500245,99822713246,1,2026-03-13,2030-11-14,,1,2026-03-13T00:00:00+09:00\r\n\
9019000000000001,99000000009,1,2026-03-13,2030-11-14,,1,2026-03-13T00:00:00+09:00\r\n";

    /// docs/jukinet-cs-api.md の例: 10:30 に住民 99822713246 が証明書を更新した差分。
    const JS02: &str = "ファイルID,作成日時,対象期間開始,対象期間終了,データ件数\r\n\
JS02,2026-04-06T12:00:00+09:00,2026-04-06T09:00:00+09:00,2026-04-06T12:00:00+09:00,4\r\n\
シリアル番号,住民票コード,証明書種別,発行日,有効期限,失効日,状態,更新日時\r\n\
9011000000000101,99822713246,2,2026-04-06,2030-11-14,,1,2026-04-06T10:30:00+09:00\r\n\
9011000000000102,99822713246,1,2026-04-06,2030-11-14,,1,2026-04-06T10:30:00+09:00\r\n\
9014838792597152,99822713246,2,2026-03-13,2030-11-14,2026-04-06,2,2026-04-06T10:30:00+09:00\r\n\
9015826487500245,99822713246,1,2026-03-13,2030-11-14,2026-04-06,2,2026-04-06T10:30:00+09:00\r\n";

    /// 更新でない新規発行: 住民 99822713246 に 10:30 に利用者証明用の証明書が1枚発行された (失効はない)。
    const JS02_NEW_CARD: &str = "ファイルID,作成日時,対象期間開始,対象期間終了,データ件数\r\n\
JS02,2026-04-06T12:00:00+09:00,2026-04-06T09:00:00+09:00,2026-04-06T12:00:00+09:00,1\r\n\
シリアル番号,住民票コード,証明書種別,発行日,有効期限,失効日,状態,更新日時\r\n\
9011000000000201,99822713246,2,2026-04-06,2030-11-14,,1,2026-04-06T10:30:00+09:00\r\n";

    /// 紛失で 10:00 に利用者証明用が失効し、11:00 に新しいカードで発行された (同じ日でも更新日時が違う: 更新ではない)。
    const JS02_LOST_THEN_NEW: &str = "ファイルID,作成日時,対象期間開始,対象期間終了,データ件数\r\n\
JS02,2026-04-06T12:00:00+09:00,2026-04-06T09:00:00+09:00,2026-04-06T12:00:00+09:00,2\r\n\
シリアル番号,住民票コード,証明書種別,発行日,有効期限,失効日,状態,更新日時\r\n\
9014838792597152,99822713246,2,2026-03-13,2030-11-14,2026-04-06,2,2026-04-06T10:00:00+09:00\r\n\
9011000000000301,99822713246,2,2026-04-06,2030-11-14,,1,2026-04-06T11:00:00+09:00\r\n";

    fn person() -> Jumin {
        Jumin {
            juminhyo_code: "99822713246".into(),
            atena_bango: Some("000000000012345".into()),
            tougou_atena_bango: Some("000000000067890".into()),
            shimei: "𠮷田　髙﨑".into(),
            shimei_kana: None,
            seinengappi: "1989-01-07".into(),
            seibetsu: "女".into(),
            jusho: "東京都".into(),
            source: SOURCE_JUMIN_KIROKU.into(),
            updated_at: "2026-04-06T09:00:00+09:00".into(),
        }
    }

    /// 全件 (JS01) と差分 `delta` を当てた保管場所。
    fn applied(store: &mut Store, seeded: Seeded, delta: &str) {
        store.replace_atena(&[person()]).unwrap();
        apply(
            store,
            &files::shomeisho_csv(JS01, seeded).unwrap(),
            true,
            seeded,
        )
        .unwrap();
        apply(
            store,
            &files::shomeisho_csv(delta, seeded).unwrap(),
            false,
            seeded,
        )
        .unwrap();
    }

    /// 差分を当てたあと 2026-04-06 に有効な (紐付いた, 住基マスタにない) シリアル番号。
    fn valid_serials_after(seeded: Seeded, delta: &str) -> (Vec<String>, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        applied(&mut store, seeded, delta);
        let mut linked = Vec::new();
        let mut unresolved = Vec::new();
        for row in store.shomeisho_all().unwrap() {
            if !row.is_valid_on("2026-04-06") {
                continue;
            }
            if row.juminhyo_code == "99822713246" {
                linked.push(row.serial)
            } else {
                unresolved.push(row.serial)
            }
        }
        linked.sort();
        (linked, unresolved)
    }

    fn valid_serials(seeded: Seeded) -> (Vec<String>, Vec<String>) {
        valid_serials_after(seeded, JS02)
    }

    #[test]
    fn a_delta_revokes_the_old_serials_and_links_the_renewed_ones() {
        let (linked, unresolved) = valid_serials(Seeded::NONE);
        assert_eq!(linked, ["9011000000000101", "9011000000000102"]);
        assert_eq!(
            unresolved,
            ["9019000000000001"],
            "住基マスタにない住民票コードは捨てない"
        );
    }

    #[test]
    fn each_juki_defect_breaks_exactly_its_rule() {
        let (linked, _) = valid_serials(Seeded::from_id("delta-revocations-ignored").unwrap());
        assert!(
            linked.contains(&"9014838792597152".to_owned()),
            "失効したシリアル番号が残る"
        );
        let (linked, _) = valid_serials(Seeded::from_id("renewal-not-linked").unwrap());
        assert!(
            !linked.contains(&"9011000000000101".to_owned())
                && !linked.contains(&"9011000000000102".to_owned()),
            "更新した証明書が紐付かない: {linked:?}"
        );
        let (_, unresolved) = valid_serials(Seeded::from_id("unresolved-dropped").unwrap());
        assert!(unresolved.is_empty(), "住基マスタにない組が消える");
    }

    /// renewal-not-linked が無視するのは更新だけ: 更新でない新規発行は、適合するシステムと同じに紐付けます。
    #[test]
    fn renewal_not_linked_still_links_a_new_card_that_is_not_a_renewal() {
        let defect = Seeded::from_id("renewal-not-linked").unwrap();
        for delta in [JS02_NEW_CARD, JS02_LOST_THEN_NEW] {
            assert_eq!(
                valid_serials_after(defect, delta),
                valid_serials_after(Seeded::NONE, delta)
            );
        }
        let (linked, _) = valid_serials_after(defect, JS02_NEW_CARD);
        assert!(
            linked.contains(&"9011000000000201".to_owned()),
            "{linked:?}"
        );
        let (linked, _) = valid_serials_after(defect, JS02_LOST_THEN_NEW);
        assert!(
            linked.contains(&"9011000000000301".to_owned()),
            "{linked:?}"
        );
        assert!(
            !linked.contains(&"9014838792597152".to_owned()),
            "{linked:?}"
        );
    }

    /// links-snapshot: 申請管理システムは最初の連携 (全件) の写しで特定し続けるが、既存住基システムの紐付けは更新される。
    #[test]
    fn links_snapshot_identifies_with_the_first_copy_while_himoduke_is_current() {
        for (id, snapshot) in [(None, false), (Some("links-snapshot"), true)] {
            let seeded = id.map_or(Seeded::NONE, |id| Seeded::from_id(id).unwrap());
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open(dir.path()).unwrap();
            store.replace_atena(&[person()]).unwrap();
            apply(
                &mut store,
                &files::shomeisho_csv(JS01, seeded).unwrap(),
                true,
                seeded,
            )
            .unwrap();
            let app = App::new(store, seeded).unwrap();
            // 最初の連携のすぐあとは、どちらも同じ紐付けで特定する
            assert!(
                link(&app, "9014838792597152", "2026-04-06")
                    .unwrap()
                    .is_some(),
                "{id:?}"
            );
            apply(
                &mut app.store(),
                &files::shomeisho_csv(JS02, seeded).unwrap(),
                false,
                seeded,
            )
            .unwrap();
            // 既存住基システムの紐付け (GET /himoduke) はどちらも更新されている
            let current: Vec<String> = links(&app, "2026-04-06")
                .unwrap()
                .items
                .into_iter()
                .map(|l| l.serial)
                .collect();
            assert_eq!(current.len(), 2, "{id:?}: {current:?}");
            assert!(current.contains(&"9011000000000101".to_owned()));
            // 申請管理システムの特定: 写しを使うと新しいシリアル番号を知らず、失効した番号でまだ特定する
            let renewed = link(&app, "9011000000000101", "2026-04-06").unwrap();
            let revoked = link(&app, "9014838792597152", "2026-04-06").unwrap();
            assert_eq!(renewed.is_none(), snapshot, "{id:?}");
            assert_eq!(revoked.is_some(), snapshot, "{id:?}");
        }
    }
}
