//! 業務の言葉: 申請、様式の値、基本4情報、検証結果、審査ステータス、処理状況、住民。
//!
//! 語 (`検証済み`、`審査中` …) は文書のとおりで、ここで一度だけ定めます。

use serde::{Deserialize, Serialize};

/// 申請書の申請項目1つ (docs/shinsei-zip.md「shinseisho.xml」)。値は記入されたとおりです。
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormItem {
    pub id: String,
    pub label: String,
    /// `text` / `kana` / `date` / `number` / `select` / `postal_code` / `phone` / `kojin_bango` / `boolean`
    pub kind: String,
    pub required: bool,
    pub value: String,
}

/// 基本4情報。電子署名検証結果 (証明書に書かれたとおり) か、宛名データのもの。
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kihon4 {
    pub shimei: String,
    pub seinengappi: String,
    pub seibetsu: String,
    pub jusho: String,
}

/// 申請管理システム自身の署名の検証結果 (docs/shinsei-zip.md「検証結果」)。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KenshoKekka {
    Kenshozumi,
    Kaizan,
    Shikko,
    KigenGire,
    YukoKikanMae,
    HakkoshaFumei,
    ShikkoKakuninFuka,
    ShomeiKeishikiFusei,
    ShomeiNashi,
}

impl KenshoKekka {
    pub const ALL: [KenshoKekka; 9] = [
        KenshoKekka::Kenshozumi,
        KenshoKekka::Kaizan,
        KenshoKekka::Shikko,
        KenshoKekka::KigenGire,
        KenshoKekka::YukoKikanMae,
        KenshoKekka::HakkoshaFumei,
        KenshoKekka::ShikkoKakuninFuka,
        KenshoKekka::ShomeiKeishikiFusei,
        KenshoKekka::ShomeiNashi,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KenshoKekka::Kenshozumi => "検証済み",
            KenshoKekka::Kaizan => "改ざん検知",
            KenshoKekka::Shikko => "証明書失効",
            KenshoKekka::KigenGire => "証明書期限切れ",
            KenshoKekka::YukoKikanMae => "証明書有効期間前",
            KenshoKekka::HakkoshaFumei => "発行者不明",
            KenshoKekka::ShikkoKakuninFuka => "失効確認不可",
            KenshoKekka::ShomeiKeishikiFusei => "署名形式不正",
            KenshoKekka::ShomeiNashi => "署名なし",
        }
    }

    pub fn from_word(word: &str) -> Option<KenshoKekka> {
        Self::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// 上げる通知 (レベル, タイトル)。docs/sut-adapter.md「GET /tsuchi」の表。
    pub fn tsuchi(self) -> (&'static str, &'static str) {
        match self {
            KenshoKekka::Kenshozumi | KenshoKekka::ShomeiNashi => ("通常", TSUCHI_SHUTOKU),
            KenshoKekka::Kaizan => ("警告", TSUCHI_KAIZAN),
            _ => ("警告", TSUCHI_KENSHO_SHIPPAI),
        }
    }
}

pub const TSUCHI_SHUTOKU: &str = "申請ZIP取得";
pub const TSUCHI_KAIZAN: &str = "申請ZIP改ざん検知";
pub const TSUCHI_KENSHO_SHIPPAI: &str = "申請ZIP検証失敗";
pub const TSUCHI_SHOGAI: &str = "障害発生";

/// 申請者をどう特定したか。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentifyMethod {
    Serial,
    Kihon4,
    Mitokutei,
}

impl IdentifyMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifyMethod::Serial => "シリアル番号",
            IdentifyMethod::Kihon4 => "基本4情報",
            IdentifyMethod::Mitokutei => "未特定",
        }
    }

    pub fn from_word(word: &str) -> IdentifyMethod {
        match word {
            "シリアル番号" => IdentifyMethod::Serial,
            "基本4情報" => IdentifyMethod::Kihon4,
            _ => IdentifyMethod::Mitokutei,
        }
    }
}

/// 特定した申請者。`Mitokutei` なら番号はどちらも `None`。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applicant {
    pub method: IdentifyMethod,
    pub atena_bango: Option<String>,
    pub tougou_atena_bango: Option<String>,
}

impl Applicant {
    pub fn mitokutei() -> Applicant {
        Applicant {
            method: IdentifyMethod::Mitokutei,
            atena_bango: None,
            tougou_atena_bango: None,
        }
    }
}

/// 審査ステータス (ING-14): 未審査 → 審査中 → 審査完了 / 却下。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShinsaStatus {
    Mishinsa,
    Shinsachu,
    Kanryo,
    Kyakka,
}

impl ShinsaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShinsaStatus::Mishinsa => "未審査",
            ShinsaStatus::Shinsachu => "審査中",
            ShinsaStatus::Kanryo => "審査完了",
            ShinsaStatus::Kyakka => "却下",
        }
    }

    pub fn from_word(word: &str) -> Option<ShinsaStatus> {
        [
            ShinsaStatus::Mishinsa,
            ShinsaStatus::Shinsachu,
            ShinsaStatus::Kanryo,
            ShinsaStatus::Kyakka,
        ]
        .into_iter()
        .find(|s| s.as_str() == word)
    }

    /// 職員が変えてよい遷移か。審査完了と却下は最後の状態です。
    pub fn may_become(self, next: ShinsaStatus) -> bool {
        matches!(
            (self, next),
            (ShinsaStatus::Mishinsa, ShinsaStatus::Shinsachu)
                | (ShinsaStatus::Shinsachu, ShinsaStatus::Kanryo)
                | (ShinsaStatus::Shinsachu, ShinsaStatus::Kyakka)
        )
    }
}

/// ダウンロード API の処理状況 (docs/pittari-api.md「States」)。
/// 未受付 → 受付済み → 審査中 → 審査完了 / 却下 の順に一段ずつしか進めません。
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShoriJokyo {
    Miuketsuke,
    Uketsukezumi,
    Shinsachu,
    Kanryo,
    Kyakka,
}

impl ShoriJokyo {
    pub fn as_str(self) -> &'static str {
        match self {
            ShoriJokyo::Miuketsuke => "未受付",
            ShoriJokyo::Uketsukezumi => "受付済み",
            ShoriJokyo::Shinsachu => "審査中",
            ShoriJokyo::Kanryo => "審査完了",
            ShoriJokyo::Kyakka => "却下",
        }
    }

    pub fn from_word(word: &str) -> Option<ShoriJokyo> {
        [
            ShoriJokyo::Miuketsuke,
            ShoriJokyo::Uketsukezumi,
            ShoriJokyo::Shinsachu,
            ShoriJokyo::Kanryo,
            ShoriJokyo::Kyakka,
        ]
        .into_iter()
        .find(|s| s.as_str() == word)
    }

    /// 審査ステータスに対応する、報告すべき処理状況。取り込んだ申請は少なくとも受付済みです。
    pub fn for_shinsa(status: ShinsaStatus) -> ShoriJokyo {
        match status {
            ShinsaStatus::Mishinsa => ShoriJokyo::Uketsukezumi,
            ShinsaStatus::Shinsachu => ShoriJokyo::Shinsachu,
            ShinsaStatus::Kanryo => ShoriJokyo::Kanryo,
            ShinsaStatus::Kyakka => ShoriJokyo::Kyakka,
        }
    }

    /// `self` (報告済み) から `target` までに報告する段。ダウンロード API は一段ずつしか受け付けません。
    pub fn steps_to(self, target: ShoriJokyo) -> Vec<ShoriJokyo> {
        if matches!(self, ShoriJokyo::Kanryo | ShoriJokyo::Kyakka) {
            return Vec::new();
        }
        let path = match target {
            ShoriJokyo::Miuketsuke => vec![],
            ShoriJokyo::Uketsukezumi => vec![ShoriJokyo::Uketsukezumi],
            ShoriJokyo::Shinsachu => vec![ShoriJokyo::Uketsukezumi, ShoriJokyo::Shinsachu],
            ShoriJokyo::Kanryo | ShoriJokyo::Kyakka => {
                vec![ShoriJokyo::Uketsukezumi, ShoriJokyo::Shinsachu, target]
            }
        };
        path.into_iter().filter(|s| *s > self).collect()
    }
}

/// 宛名データの1人 (既存住基システムが持つもの)。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jumin {
    pub juminhyo_code: String,
    pub atena_bango: Option<String>,
    pub tougou_atena_bango: Option<String>,
    pub shimei: String,
    pub shimei_kana: Option<String>,
    pub seinengappi: String,
    pub seibetsu: String,
    pub jusho: String,
    /// `住民記録` か `住基ネットCS`。
    pub source: String,
    pub updated_at: String,
}

impl Jumin {
    pub fn kihon4(&self) -> Kihon4 {
        Kihon4 {
            shimei: self.shimei.clone(),
            seinengappi: self.seinengappi.clone(),
            seibetsu: self.seibetsu.clone(),
            jusho: self.jusho.clone(),
        }
    }
}

pub const SOURCE_JUMIN_KIROKU: &str = "住民記録";
pub const SOURCE_JUKINET: &str = "住基ネットCS";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shori_jokyo_steps_go_one_at_a_time() {
        use ShoriJokyo::*;
        assert_eq!(Miuketsuke.steps_to(Uketsukezumi), vec![Uketsukezumi]);
        assert_eq!(
            Miuketsuke.steps_to(Kanryo),
            vec![Uketsukezumi, Shinsachu, Kanryo]
        );
        assert_eq!(Uketsukezumi.steps_to(Kyakka), vec![Shinsachu, Kyakka]);
        assert_eq!(Shinsachu.steps_to(Shinsachu), Vec::<ShoriJokyo>::new());
        assert_eq!(Kanryo.steps_to(Kanryo), Vec::<ShoriJokyo>::new());
        assert_eq!(Kanryo.steps_to(Kyakka), Vec::<ShoriJokyo>::new());
    }

    #[test]
    fn only_the_documented_shinsa_transitions_are_allowed() {
        use ShinsaStatus::*;
        assert!(Mishinsa.may_become(Shinsachu));
        assert!(Shinsachu.may_become(Kanryo) && Shinsachu.may_become(Kyakka));
        assert!(!Mishinsa.may_become(Kanryo));
        assert!(!Kyakka.may_become(Shinsachu));
        assert!(!Shinsachu.may_become(Shinsachu));
    }
}
