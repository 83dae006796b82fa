//! 申請者の特定 (seed 001 §5 ③-3、docs/shinsei-zip.md「shomei_kensho_kekka.xml」)。
//!
//! 1. シリアル番号 → 既存住基システムの紐付け → 宛名番号・団体内統合宛名番号 (ING-10、ING-11)。
//! 2. シリアル番号で特定できなければ、電子署名検証結果の基本4情報を宛名データと**一字一句**比べます (ING-12)。
//!    表記の違い (全角と半角の数字、全角と半角の空白、転居前の住所) を推測で埋めません。同じ基本4情報の人が
//!    二人以上いれば、どちらとも決めません。
//! 3. それでも特定できなければ未特定のままにします (ING-13)。

use crate::app::App;
use crate::defects::DefectKind;
use crate::error::Result;
use crate::juki;
use crate::model::{Applicant, IdentifyMethod, Jumin, Kihon4};
use unicode_normalization::UnicodeNormalization;

fn applicant(method: IdentifyMethod, j: Jumin) -> Applicant {
    Applicant {
        method,
        atena_bango: j.atena_bango,
        tougou_atena_bango: j.tougou_atena_bango,
    }
}

/// 申請者を特定します。`today` は紐付けの有効・失効を判定する日。
pub fn identify(
    app: &App,
    serial: Option<&str>,
    kihon4: Option<&Kihon4>,
    today: &str,
) -> Result<Applicant> {
    let seeded = app.seeded;
    let by_serial = || -> Result<Option<Applicant>> {
        let Some(serial) = serial else {
            return Ok(None);
        };
        Ok(juki::link(app, serial, today)?.map(|j| applicant(IdentifyMethod::Serial, j)))
    };
    let by_kihon4 = || -> Result<Option<Applicant>> {
        let Some(k) = kihon4 else { return Ok(None) };
        let found = if seeded.has(DefectKind::FuzzyKihon4) {
            fuzzy_match(app, k)?
        } else {
            exact_match(app, k)?
        };
        Ok(found.map(|j| applicant(IdentifyMethod::Kihon4, j)))
    };

    if seeded.has(DefectKind::Kihon4First) {
        if let Some(a) = by_kihon4()? {
            return Ok(a);
        }
        return Ok(by_serial()?.unwrap_or_else(Applicant::mitokutei));
    }
    if let Some(a) = by_serial()? {
        return Ok(a);
    }
    if seeded.has(DefectKind::NoKihon4Fallback) {
        return Ok(Applicant::mitokutei());
    }
    Ok(by_kihon4()?.unwrap_or_else(Applicant::mitokutei))
}

/// 基本4情報が一字一句同じ、ただ一人の住民。
fn exact_match(app: &App, k: &Kihon4) -> Result<Option<Jumin>> {
    let mut found = app.store().jumin_by_kihon4(k)?;
    found.retain(|j| j.atena_bango.is_some());
    Ok(if found.len() == 1 { found.pop() } else { None })
}

/// 不具合 fuzzy-kihon4: 氏名を空白を除き全角半角をそろえて比べ、生年月日だけを合わせ、最初の人を選ぶ。
fn fuzzy_match(app: &App, k: &Kihon4) -> Result<Option<Jumin>> {
    let fold = |s: &str| -> String { s.nfkc().filter(|c| !c.is_whitespace()).collect() };
    let want = fold(&k.shimei);
    let candidates = app.store().jumin_by_seinengappi(&k.seinengappi)?;
    Ok(candidates
        .into_iter()
        .find(|j| j.atena_bango.is_some() && fold(&j.shimei) == want))
}
