//! 一括取込 (基幹システムへの連携、seed 001 §5 ③-5、docs/sut-adapter.md「GET /ikkatsu」)。
//!
//! 業務システムに振り分けた申請のうち**審査完了のものだけ**を整合性チェックにかけ (ING-15)、通ったものを
//! 更新結果リストに、通らないものを理由とともにエラーリストに出します (ING-16)。黙って落としません。

use crate::config::{GyomuSystem, ShikibetsuKey};
use crate::defects::{DefectKind, Seeded};
use crate::model::{FormItem, IdentifyMethod, KenshoKekka, ShinsaStatus};
use crate::store::ShinseiRecord;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Ikkatsu {
    pub gyomu: String,
    pub koushin: Vec<Koushin>,
    pub errors: Vec<IkkatsuError>,
}

#[derive(Debug, Serialize)]
pub struct Koushin {
    pub uketsuke_bango: String,
    pub tetsuzuki: String,
    pub key: &'static str,
    pub shikibetsu_bango: String,
    pub form: Vec<FormValue>,
}

#[derive(Debug, Serialize)]
pub struct FormValue {
    pub id: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct IkkatsuError {
    pub uketsuke_bango: String,
    pub reason: &'static str,
}

/// 整合性チェックの理由の語。表の順に確かめ、最初に外れたものを理由にします。
pub const REASON_MITOKUTEI: &str = "申請者未特定";
pub const REASON_KENSHO: &str = "検証失敗";
pub const REASON_YOSHIKI: &str = "様式不正";

/// 業務システム `gyomu` の一括取込。`records` は保管したすべての申請 (届いた順)。
pub fn build(gyomu: &GyomuSystem, records: &[ShinseiRecord], seeded: Seeded) -> Ikkatsu {
    let mut koushin = Vec::new();
    let mut errors = Vec::new();
    for r in records
        .iter()
        .filter(|r| r.gyomu_system.as_deref() == Some(gyomu.name.as_str()))
    {
        let kanryo = r.shinsa_status == ShinsaStatus::Kanryo.as_str();
        if !kanryo && !seeded.has(DefectKind::IkkatsuAllStatuses) {
            continue;
        }
        let key = if seeded.has(DefectKind::AtenaForTougou) {
            ShikibetsuKey::AtenaBango
        } else {
            gyomu.key
        };
        let shikibetsu_bango = match key {
            ShikibetsuKey::AtenaBango => r.applicant.atena_bango.clone(),
            ShikibetsuKey::TougouAtenaBango => r.applicant.tougou_atena_bango.clone(),
        };
        // 業務システムの識別番号が宛名データにない申請者も、その業務システムにとっては特定できていません。
        let reason = check(r).or(shikibetsu_bango.is_none().then_some(REASON_MITOKUTEI));
        let (Some(shikibetsu_bango), None) = (shikibetsu_bango, reason) else {
            if let Some(reason) = reason
                && !seeded.has(DefectKind::IkkatsuSilentDrop)
            {
                errors.push(IkkatsuError {
                    uketsuke_bango: r.uketsuke_bango.clone(),
                    reason,
                });
            }
            continue;
        };
        koushin.push(Koushin {
            uketsuke_bango: r.uketsuke_bango.clone(),
            tetsuzuki: r.tetsuzuki.clone(),
            key: gyomu.key.as_str(),
            shikibetsu_bango,
            form: r
                .form
                .iter()
                .map(|f| FormValue {
                    id: f.id.clone(),
                    value: f.value.clone(),
                })
                .collect(),
        });
    }
    Ikkatsu {
        gyomu: gyomu.name.clone(),
        koushin,
        errors,
    }
}

/// 整合性チェック (docs/sut-adapter.md の表の順)。通れば `None`。
pub fn check(r: &ShinseiRecord) -> Option<&'static str> {
    if r.applicant.method == IdentifyMethod::Mitokutei {
        return Some(REASON_MITOKUTEI);
    }
    if r.kensho_kekka != KenshoKekka::Kenshozumi.as_str() {
        return Some(REASON_KENSHO);
    }
    if r.form.iter().any(|f| !form_value_ok(f)) {
        return Some(REASON_YOSHIKI);
    }
    None
}

/// 様式の1項目が、必須なら空でなく、値があれば型に合うか (docs/catalogs.md の型)。
///
/// 確かめる型は形が決まっているものだけです: `date` (`YYYY-MM-DD` の実在する日)、`number` (半角数字)、
/// `kojin_bango` (12桁で検査数字が合う)、`postal_code` (半角数字7桁)。`text` `kana` `select` `phone`
/// `boolean` は形が文書に決まっていないので、空かどうかだけを見ます (値は記入されたとおりに運びます)。
pub fn form_value_ok(f: &FormItem) -> bool {
    if f.value.trim().is_empty() {
        return !f.required;
    }
    let v = f.value.as_str();
    match f.kind.as_str() {
        "date" => crate::jst::parse_date(v).is_ok(),
        "number" => v.bytes().all(|b| b.is_ascii_digit()),
        "postal_code" => v.len() == 7 && v.bytes().all(|b| b.is_ascii_digit()),
        "kojin_bango" => kojin_bango_ok(v),
        _ => true,
    }
}

/// 個人番号の検査数字 (総務省令第85号 第5条、docs/identifiers.md)。
pub fn kojin_bango_ok(v: &str) -> bool {
    let digits: Vec<u32> = v.chars().filter_map(|c| c.to_digit(10)).collect();
    if v.len() != 12 || digits.len() != 12 {
        return false;
    }
    const WEIGHTS: [u32; 11] = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = digits[..11].iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    digits[11] == check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: &str, required: bool, value: &str) -> FormItem {
        FormItem {
            id: "x".into(),
            label: "x".into(),
            kind: kind.into(),
            required,
            value: value.into(),
        }
    }

    #[test]
    fn kojin_bango_check_digit_follows_the_documented_example() {
        assert!(kojin_bango_ok("983205673214"));
        assert!(!kojin_bango_ok("983205673215"));
        assert!(!kojin_bango_ok("98320567321"));
        assert!(!kojin_bango_ok("９８３２０５６７３２１４"));
    }

    #[test]
    fn form_values_are_checked_by_type() {
        assert!(!form_value_ok(&item("text", true, "")));
        assert!(!form_value_ok(&item("text", true, "　")));
        assert!(form_value_ok(&item("text", false, "")));
        assert!(form_value_ok(&item("date", true, "2026-04-06")));
        assert!(!form_value_ok(&item("date", true, "2026/04/06")));
        assert!(!form_value_ok(&item("date", true, "2026-02-30")));
        assert!(form_value_ok(&item("number", true, "12000")));
        assert!(!form_value_ok(&item("number", true, "１２０００")));
        assert!(form_value_ok(&item("postal_code", true, "1000005")));
        assert!(!form_value_ok(&item("postal_code", true, "100-0005")));
        assert!(form_value_ok(&item("kana", true, "ﾖｼﾀﾞ ﾀｶｻｷ")));
        assert!(form_value_ok(&item("boolean", false, "はい")));
    }
}
