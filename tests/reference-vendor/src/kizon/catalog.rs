//! renkei が渡すカタログ: データ標準レイアウト (`kizon.layouts`) と法令根拠 (`kizon.legal_basis`)。
//! 形は docs/catalogs.md の `layouts.toml` と `legal_basis.toml` です。
//!
//! 副本は **その日に有効な版** のレイアウトで作ります (FUK-01、docs/kizon-gyomu.md「副本登録の1回」の 3)。
//! 照会は、事務・事務手続・特定個人情報・提供者の種別の組が法令根拠にあるときだけ出します
//! (SKI-02、同「照会」の 1)。どちらのファイルも、ジョブのたびに設定のパスから読み直します。
//! 知らない項目は読み飛ばします (カタログに項目が足されても読めるように)。

use serde::Deserialize;
use std::path::Path;
use time::Date;

// ---- データ標準レイアウト ----

/// レイアウトの版 (`[[edition]]`)。ファイルの順 (古い順) に並びます。
#[derive(Clone, Debug, Deserialize)]
pub struct Edition {
    pub version: String,
    #[serde(default)]
    pub name: String,
    /// 情報連携開始日。いちばん古い版にはないことがあります (それより前から有効)。
    #[serde(default)]
    pub linkage_start: Option<toml::value::Datetime>,
}

/// 項目 (`items`)。
#[derive(Clone, Debug, Deserialize)]
pub struct Item {
    pub name: String,
    /// `X` / `9` / `S9`。
    #[serde(rename = "type")]
    pub kata: String,
    pub digits: u32,
    /// `"1"` か `"N"`。
    pub occurrence: String,
    #[serde(default)]
    pub max: Option<u32>,
    #[serde(default)]
    pub required: bool,
    /// 提供除外項目。副本には書きます (提供しないのは中間サーバーです)。
    #[serde(default)]
    pub provision_excluded: bool,
}

/// データセット (`[[tokutei.layout.dataset]]`)。
#[derive(Clone, Debug, Deserialize)]
pub struct Dataset {
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub query_key: Option<String>,
    pub major_version: u32,
    #[serde(default)]
    pub minor_version: u32,
    #[serde(default)]
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, Deserialize)]
struct Layout {
    version: String,
    /// 前の版からの改版の類型 (`major` など)。いちばん古い版にはありません。
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    dataset: Vec<Dataset>,
}

/// 改版の類型 (`revision`、docs/catalogs.md「データ標準レイアウト」、seed 004 §2.2)。副本の登録し直し方と
/// 古い副本の削除の時期を決めます (docs/kizon-gyomu.md「改版」)。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kaihan {
    /// メジャー改版 (`major`)。
    Major,
    /// データセットの追加 (`dataset_added`)。
    DatasetAdded,
    /// データセットの廃止 (`dataset_abolished`)。
    DatasetAbolished,
    /// マイナー改版 (`minor`)。
    Minor,
}

impl Kaihan {
    /// カタログの語から。知らない語は `None` (その版には改版の定めを当てません)。
    pub fn from_word(word: &str) -> Option<Kaihan> {
        match word {
            "major" => Some(Kaihan::Major),
            "dataset_added" => Some(Kaihan::DatasetAdded),
            "dataset_abolished" => Some(Kaihan::DatasetAbolished),
            "minor" => Some(Kaihan::Minor),
            _ => None,
        }
    }
}

/// 特定個人情報の、1つの版のレイアウト。
#[derive(Clone, Copy, Debug)]
pub struct BanLayout<'a> {
    /// レイアウトの版 (`R1.6`)。
    pub edition: &'a str,
    /// その版の情報連携開始日 (いちばん古い版にはないことがあります)。
    pub linkage_start: Option<Date>,
    /// 前の版からの改版の類型。いちばん古い版と、知らない語なら `None`。
    pub revision: Option<Kaihan>,
    pub datasets: &'a [Dataset],
}

impl<'a> BanLayout<'a> {
    pub fn dataset(&self, code: &str) -> Option<&'a Dataset> {
        self.datasets.iter().find(|d| d.code == code)
    }
}

/// ある日から見た、特定個人情報のレイアウトの移り変わり (docs/kizon-gyomu.md「改版」)。
#[derive(Clone, Debug)]
pub struct Utsurikawari<'a> {
    /// その日に有効なレイアウト: その日に有効な版か、その特定個人情報がその版で改版されていなければそれより前の
    /// 最も新しいもの。どれもなければ `None`。
    pub yuukou: Option<BanLayout<'a>>,
    /// `yuukou` の一つ前のレイアウト (廃止・追加されたデータセットを見分けるため)。
    pub mae: Option<BanLayout<'a>>,
    /// 連携開始日がまだ来ていない新しい版のレイアウト (古い順)。
    pub shin: Vec<BanLayout<'a>>,
}

#[derive(Clone, Debug, Deserialize)]
struct Tokutei {
    code: String,
    #[serde(default)]
    layout: Vec<Layout>,
}

#[derive(Clone, Debug, Deserialize)]
struct LayoutsFile {
    #[serde(default)]
    edition: Vec<Edition>,
    #[serde(default)]
    tokutei: Vec<Tokutei>,
}

/// データ標準レイアウトのカタログ。
#[derive(Clone, Debug)]
pub struct Layouts {
    editions: Vec<Edition>,
    tokutei: Vec<Tokutei>,
}

/// 副本を作るのに使うデータセット: どの版のものか。
#[derive(Clone, Debug)]
pub struct InForce<'a> {
    /// その日に有効な版 (`R1.6` など)。
    pub edition: &'a str,
    pub dataset: &'a Dataset,
}

fn date_of(d: &toml::value::Datetime) -> Option<Date> {
    let date = d.date?;
    let month = time::Month::try_from(date.month).ok()?;
    Date::from_calendar_date(i32::from(date.year), month, date.day).ok()
}

impl Layouts {
    pub fn load(path: &Path) -> Result<Layouts, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("kizon.layouts {} を読めません: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("kizon.layouts {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Layouts, String> {
        let file: LayoutsFile =
            toml::from_str(text).map_err(|e| format!("TOML として読めません: {e}"))?;
        if file.edition.is_empty() {
            return Err("版 ([[edition]]) が1つもありません".to_owned());
        }
        Ok(Layouts {
            editions: file.edition,
            tokutei: file.tokutei,
        })
    }

    /// `date` に有効な版: 情報連携開始日が `date` 以前の版のうち最も新しいもの。どれの開始日もまだなら、
    /// 開始日のない (いちばん古い) 版。
    pub fn edition_in_force(&self, date: Date) -> Option<&Edition> {
        let mut best: Option<(Date, &Edition)> = None;
        for e in &self.editions {
            if let Some(start) = e.linkage_start.as_ref().and_then(date_of)
                && start <= date
                && best.is_none_or(|(b, _)| start >= b)
            {
                best = Some((start, e));
            }
        }
        best.map(|(_, e)| e)
            .or_else(|| self.editions.iter().find(|e| e.linkage_start.is_none()))
    }

    fn edition_index(&self, version: &str) -> Option<usize> {
        self.editions.iter().position(|e| e.version == version)
    }

    /// 特定個人情報名コードがレイアウトにあるか。
    pub fn has_tokutei(&self, code: &str) -> bool {
        self.tokutei.iter().any(|t| t.code == code)
    }

    /// `date` に有効な版で、特定個人情報 `tokutei` のデータセット `dataset`。その特定個人情報がその版で
    /// 改版されていなければ、それより前の最も新しいレイアウトです。なければ人が読む理由。
    pub fn in_force(
        &self,
        tokutei: &str,
        dataset: &str,
        date: Date,
    ) -> Result<InForce<'_>, String> {
        let edition = self
            .edition_in_force(date)
            .ok_or_else(|| format!("{} に有効なデータ標準レイアウトの版がありません", fmt(date)))?;
        let limit = self.edition_index(&edition.version).unwrap_or(usize::MAX);
        let t = self
            .tokutei
            .iter()
            .find(|t| t.code == tokutei)
            .ok_or_else(|| {
                format!("特定個人情報名コード {tokutei} はデータ標準レイアウトにありません")
            })?;
        let layout = t
            .layout
            .iter()
            .filter_map(|l| self.edition_index(&l.version).map(|i| (i, l)))
            .filter(|(i, _)| *i <= limit)
            .max_by_key(|(i, _)| *i)
            .map(|(_, l)| l)
            .ok_or_else(|| {
                format!(
                    "特定個人情報 {tokutei} には {} 版 ({} に有効) のレイアウトがありません",
                    edition.version,
                    fmt(date)
                )
            })?;
        let ds = layout
            .dataset
            .iter()
            .find(|d| d.code == dataset)
            .ok_or_else(|| {
                format!(
                    "データセット {dataset} は特定個人情報 {tokutei} の {} 版 ({} に有効) にありません",
                    layout.version,
                    fmt(date)
                )
            })?;
        Ok(InForce {
            edition: &edition.version,
            dataset: ds,
        })
    }

    /// 特定個人情報 `tokutei` のレイアウトの、`date` から見た移り変わり。特定個人情報がレイアウトにないか、
    /// 有効な版がなければ人が読む理由。
    pub fn utsurikawari(&self, tokutei: &str, date: Date) -> Result<Utsurikawari<'_>, String> {
        let edition = self
            .edition_in_force(date)
            .ok_or_else(|| format!("{} に有効なデータ標準レイアウトの版がありません", fmt(date)))?;
        let limit = self.edition_index(&edition.version).unwrap_or(usize::MAX);
        let t = self
            .tokutei
            .iter()
            .find(|t| t.code == tokutei)
            .ok_or_else(|| {
                format!("特定個人情報名コード {tokutei} はデータ標準レイアウトにありません")
            })?;
        let mut layouts: Vec<(usize, BanLayout<'_>)> = t
            .layout
            .iter()
            .filter_map(|l| {
                let i = self.edition_index(&l.version)?;
                Some((
                    i,
                    BanLayout {
                        edition: &l.version,
                        linkage_start: self.editions[i].linkage_start.as_ref().and_then(date_of),
                        revision: l.revision.as_deref().and_then(Kaihan::from_word),
                        datasets: &l.dataset,
                    },
                ))
            })
            .collect();
        layouts.sort_by_key(|(i, _)| *i);
        let current = layouts.iter().rposition(|(i, _)| *i <= limit);
        Ok(Utsurikawari {
            yuukou: current.map(|c| layouts[c].1),
            mae: current.and_then(|c| c.checked_sub(1)).map(|p| layouts[p].1),
            shin: layouts
                .iter()
                .filter(|(i, _)| *i > limit)
                .map(|(_, l)| *l)
                .collect(),
        })
    }

    /// そのデータセットの提供除外項目 (`provision_excluded` の項目名): どの版のものも合わせます。知らない
    /// 特定個人情報・データセットなら空です。
    pub fn teikyou_jogai(
        &self,
        tokutei: &str,
        dataset: &str,
    ) -> std::collections::BTreeSet<String> {
        self.tokutei
            .iter()
            .filter(|t| t.code == tokutei)
            .flat_map(|t| &t.layout)
            .flat_map(|l| &l.dataset)
            .filter(|d| d.code == dataset)
            .flat_map(|d| &d.items)
            .filter(|i| i.provision_excluded)
            .map(|i| i.name.clone())
            .collect()
    }

    /// いちばん古い版の、そのデータセットのメジャーバージョン (不具合 fukuhon-old-version だけが使います)。
    pub fn oldest_major(&self, tokutei: &str, dataset: &str) -> Option<u32> {
        let t = self.tokutei.iter().find(|t| t.code == tokutei)?;
        t.layout
            .iter()
            .filter_map(|l| self.edition_index(&l.version).map(|i| (i, l)))
            .min_by_key(|(i, _)| *i)
            .and_then(|(_, l)| l.dataset.iter().find(|d| d.code == dataset))
            .map(|d| d.major_version)
    }
}

fn fmt(d: Date) -> String {
    crate::jst::format_date(d)
}

// ---- 法令根拠 ----

/// 機関の種別 (docs/catalogs.md の `KikanKind`)。法令根拠の `requesters` と `providers` の語です。
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KikanKind {
    /// 市区町村
    Municipality,
    /// 都道府県
    Prefecture,
    /// 一部事務組合・広域連合
    Kumiai,
    /// 医療保険者 (団体でない機関)
    IryouHokensha,
}

impl KikanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KikanKind::Municipality => "municipality",
            KikanKind::Prefecture => "prefecture",
            KikanKind::Kumiai => "kumiai",
            KikanKind::IryouHokensha => "iryou_hokensha",
        }
    }

    /// 団体コード (と名前) から種別を決めます。docs/catalogs.md「団体」: 検査数字の前が `000` で終わる
    /// コードは都道府県で、都道府県だけがそうです。一部事務組合・広域連合はコードでは見分けられないので
    /// 名前 (組合、広域連合) で見ます。団体コードのない機関は医療保険者です。
    pub fn of_dantai(dantai: Option<&str>, name: &str) -> KikanKind {
        match dantai {
            None => KikanKind::IryouHokensha,
            Some(code) if code.len() == 6 && code.get(2..5) == Some("000") => KikanKind::Prefecture,
            Some(_) if name.contains("組合") || name.contains("広域連合") => {
                KikanKind::Kumiai
            }
            Some(_) => KikanKind::Municipality,
        }
    }

    /// renkei の機関コード (`99` + 団体コード + `00000000`、docs/catalogs.md) の団体コード。
    pub fn dantai_of_kikan_code(kikan_code: &str) -> Option<&str> {
        let ok = kikan_code.len() == 16
            && kikan_code.starts_with("99")
            && kikan_code.ends_with("00000000")
            && kikan_code.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| &kikan_code[2..8])
    }
}

#[derive(Clone, Debug, Deserialize)]
struct Tetsuzuki {
    code: String,
}

#[derive(Clone, Debug, Deserialize)]
struct Jimu {
    code: String,
    #[serde(default)]
    requesters: Vec<String>,
    #[serde(default)]
    tetsuzuki: Vec<Tetsuzuki>,
}

#[derive(Clone, Debug, Deserialize)]
struct Permission {
    jimu: String,
    tetsuzuki: String,
    tokutei: String,
    #[serde(default)]
    providers: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
struct LegalFile {
    #[serde(default)]
    jimu: Vec<Jimu>,
    #[serde(default)]
    permission: Vec<Permission>,
}

/// 法令根拠のカタログ。
#[derive(Clone, Debug)]
pub struct LegalBasis {
    jimu: Vec<Jimu>,
    permission: Vec<Permission>,
}

/// 照会しようとしている組。
#[derive(Clone, Copy, Debug)]
pub struct Kumi<'a> {
    pub jimu: &'a str,
    pub tetsuzuki: &'a str,
    pub tokutei: &'a str,
    /// 照会者 (自団体) の種別。
    pub requester: KikanKind,
    /// 情報提供者の種別。
    pub provider: KikanKind,
}

impl LegalBasis {
    pub fn load(path: &Path) -> Result<LegalBasis, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("kizon.legal_basis {} を読めません: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("kizon.legal_basis {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<LegalBasis, String> {
        let file: LegalFile =
            toml::from_str(text).map_err(|e| format!("TOML として読めません: {e}"))?;
        Ok(LegalBasis {
            jimu: file.jimu,
            permission: file.permission,
        })
    }

    /// その組の照会が許されているか。許されていなければ、なぜかを人が読む一文で返します。
    /// 中間サーバーが確かめること (docs/chukan-shoukai.md「何が確かめられるか」の SK11〜SK13、SK20、SK21) を、
    /// 送る前に自分で確かめます。
    pub fn check(&self, k: &Kumi<'_>) -> Result<(), String> {
        let jimu = self
            .jimu
            .iter()
            .find(|j| j.code == k.jimu)
            .ok_or_else(|| format!("事務コード {} は法令根拠にありません", k.jimu))?;
        if !jimu.tetsuzuki.iter().any(|t| t.code == k.tetsuzuki) {
            return Err(format!(
                "事務手続コード {} は事務 {} の事務手続ではありません",
                k.tetsuzuki, k.jimu
            ));
        }
        if !jimu.requesters.iter().any(|r| r == k.requester.as_str()) {
            return Err(format!(
                "事務 {} は {} の行う事務ではありません",
                k.jimu,
                k.requester.as_str()
            ));
        }
        let permitted = self.permission.iter().any(|p| {
            p.jimu == k.jimu
                && p.tetsuzuki == k.tetsuzuki
                && p.tokutei == k.tokutei
                && p.providers.iter().any(|v| v == k.provider.as_str())
        });
        if permitted {
            Ok(())
        } else {
            Err(format!(
                "事務 {} の事務手続 {} は特定個人情報 {} を {} に照会できません (法令根拠にありません)",
                k.jimu,
                k.tetsuzuki,
                k.tokutei,
                k.provider.as_str()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/data")
            .join(name)
    }

    fn layouts() -> Layouts {
        Layouts::load(&fixture("layouts.toml")).unwrap()
    }

    fn legal() -> LegalBasis {
        LegalBasis::load(&fixture("legal_basis.toml")).unwrap()
    }

    #[test]
    fn the_edition_in_force_follows_the_linkage_start() {
        let l = layouts();
        assert_eq!(
            l.edition_in_force(date!(2019 - 06 - 16)).unwrap().version,
            "H30.6"
        );
        assert_eq!(
            l.edition_in_force(date!(2019 - 06 - 17)).unwrap().version,
            "R1.6"
        );
        assert_eq!(
            l.edition_in_force(date!(2026 - 04 - 06)).unwrap().version,
            "R1.6"
        );
    }

    #[test]
    fn the_dataset_and_major_version_come_from_the_edition_in_force() {
        let l = layouts();
        let before = l
            .in_force("TM00000000000016", "D1601", date!(2019 - 06 - 16))
            .unwrap();
        assert_eq!((before.edition, before.dataset.major_version), ("H30.6", 3));
        let after = l
            .in_force("TM00000000000016", "D1601", date!(2026 - 04 - 06))
            .unwrap();
        assert_eq!((after.edition, after.dataset.major_version), ("R1.6", 4));
        assert!(
            after
                .dataset
                .items
                .iter()
                .any(|i| i.name == "一部支給停止適用除外区分"),
            "R1.6 で足された項目"
        );
        assert!(
            !before
                .dataset
                .items
                .iter()
                .any(|i| i.name == "一部支給停止適用除外区分"),
            "H30.6 にはない項目"
        );
        // 廃止されたデータセット、追加されたデータセット
        let abolished = l
            .in_force("TM00000000000031", "D3102", date!(2026 - 04 - 06))
            .unwrap_err();
        assert!(
            abolished.contains("D3102") && abolished.contains("R1.6"),
            "{abolished}"
        );
        assert!(
            l.in_force("TM00000000000004", "D0404", date!(2019 - 01 - 01))
                .is_err()
        );
        assert!(
            l.in_force("TM00000000000004", "D0404", date!(2019 - 07 - 01))
                .is_ok()
        );
        assert!(
            l.in_force("TM00000000000099", "D9901", date!(2026 - 04 - 06))
                .is_err()
        );
        assert_eq!(l.oldest_major("TM00000000000016", "D1601"), Some(3));
        assert_eq!(l.oldest_major("TM00000000000004", "D0404"), None);
    }

    #[test]
    fn item_rules_are_read() {
        let l = layouts();
        let d = l
            .in_force("TM00000000000002", "D0202", date!(2026 - 04 - 06))
            .unwrap();
        let kyuyo = d
            .dataset
            .items
            .iter()
            .find(|i| i.name == "給与収入額")
            .unwrap();
        assert!(kyuyo.provision_excluded && !kyuyo.required);
        assert_eq!((kyuyo.kata.as_str(), kyuyo.digits), ("S9", 13));
        let d = l
            .in_force("TM00000000000002", "D0201", date!(2026 - 04 - 06))
            .unwrap();
        let zokugara = d
            .dataset
            .items
            .iter()
            .find(|i| i.name == "扶養親族続柄")
            .unwrap();
        assert_eq!(
            (zokugara.occurrence.as_str(), zokugara.max),
            ("N", Some(20))
        );
    }

    fn kumi<'a>(
        jimu: &'a str,
        tetsuzuki: &'a str,
        tokutei: &'a str,
        provider: KikanKind,
    ) -> Kumi<'a> {
        Kumi {
            jimu,
            tetsuzuki,
            tokutei,
            requester: KikanKind::Municipality,
            provider,
        }
    }

    #[test]
    fn the_legal_basis_is_checked_against_the_real_catalog() {
        let lb = legal();
        let m = KikanKind::Municipality;
        // 児童手当の認定の請求: 地方税関係情報を市区町村に照会できる
        assert!(
            lb.check(&kumi(
                "JM00000000000074",
                "JT00000000007401",
                "TM00000000000002",
                m
            ))
            .is_ok()
        );
        // 同じ事務手続で介護保険の情報は照会できない (SK21 にあたる)
        let no = lb
            .check(&kumi(
                "JM00000000000074",
                "JT00000000007401",
                "TM00000000000031",
                m,
            ))
            .unwrap_err();
        assert!(no.contains("法令根拠にありません"), "{no}");
        // 提供者の種別が違う
        assert!(
            lb.check(&kumi(
                "JM00000000000074",
                "JT00000000007401",
                "TM00000000000002",
                KikanKind::Prefecture
            ))
            .is_err()
        );
        // 事務手続が事務のものでない (SK13)、事務がない (SK11)
        assert!(
            lb.check(&kumi(
                "JM00000000000074",
                "JT00000000005701",
                "TM00000000000002",
                m
            ))
            .is_err()
        );
        assert!(
            lb.check(&kumi(
                "JM00000000000999",
                "JT00000000099901",
                "TM00000000000002",
                m
            ))
            .is_err()
        );
        // 照会者の種別が行う事務でない (SK20): 後期高齢者医療は広域連合の事務
        let k = kumi(
            "JM00000000000904",
            "JT00000000090401",
            "TM00000000000002",
            m,
        );
        assert!(lb.check(&k).unwrap_err().contains("行う事務ではありません"));
        let by_kumiai = Kumi {
            requester: KikanKind::Kumiai,
            ..k
        };
        assert!(lb.check(&by_kumiai).is_ok());
        // 医療保険者への照会
        assert!(
            lb.check(&kumi(
                "JM00000000000093",
                "JT00000000009301",
                "TM00000000000031",
                KikanKind::IryouHokensha
            ))
            .is_ok()
        );
    }

    #[test]
    fn the_kind_comes_from_the_dantai_code() {
        assert_eq!(
            KikanKind::of_dantai(Some("132080"), "調布市"),
            KikanKind::Municipality
        );
        assert_eq!(
            KikanKind::of_dantai(Some("130001"), "東京都"),
            KikanKind::Prefecture
        );
        assert_eq!(
            KikanKind::of_dantai(Some("139904"), "ふじみ衛生組合"),
            KikanKind::Kumiai
        );
        assert_eq!(
            KikanKind::of_dantai(None, "健康保険組合"),
            KikanKind::IryouHokensha
        );
        assert_eq!(
            KikanKind::dantai_of_kikan_code("9913208000000000"),
            Some("132080")
        );
        assert_eq!(KikanKind::dantai_of_kikan_code("9913208000000001"), None);
    }
}
