//! 照会の依頼 (`shoukai` の `irai`、`kikan_test` の `plan` の行) と、その状況の語
//! (docs/kizon-gyomu.md「照会」「GET /shoukai」)。

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 照会条件: 年度指定か期間指定 (`jouken`)。
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Jouken {
    Nendo { nendo: String },
    Kikan { kaishi: String, shuryo: String },
}

impl Jouken {
    /// `{"nendo": "2025"}` か `{"kaishi": "…", "shuryo": "…"}`。年度は数で書かれていても読みます。
    pub fn from_json(v: &Value) -> Result<Jouken, String> {
        let text = |name: &str| match v.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        if let Some(nendo) = text("nendo") {
            return Ok(Jouken::Nendo { nendo });
        }
        match (text("kaishi"), text("shuryo")) {
            (Some(kaishi), Some(shuryo)) => Ok(Jouken::Kikan { kaishi, shuryo }),
            _ => Err(format!(
                "jouken は {{\"nendo\": …}} か {{\"kaishi\": …, \"shuryo\": …}} です: {v}"
            )),
        }
    }

    /// 電文・ファイルの本文の項目 (`照会条件区分` と `照会年度` 又は `開始日`・`終了日`)。
    pub fn koumoku(&self) -> Vec<(&'static str, String)> {
        match self {
            Jouken::Nendo { nendo } => {
                vec![("照会条件区分", "1".into()), ("照会年度", nendo.clone())]
            }
            Jouken::Kikan { kaishi, shuryo } => vec![
                ("照会条件区分", "2".into()),
                ("開始日", kaishi.clone()),
                ("終了日", shuryo.clone()),
            ],
        }
    }
}

/// 送っていない照会の状況 (このシステムの語)。
pub const SHOUKAI_FUKA: &str = "照会不可";
pub const FUGOU_MACHI: &str = "符号取得待ち";
pub const SOUSHIN_MACHI: &str = "送信待ち";
/// 照会不可の理由。
pub const HOUREI_KONKYO_NASHI: &str = "法令根拠なし";

/// 中間サーバーの照会ステータス (docs/chukan-shoukai.md「照会ステータス」)。
pub const SHORI_MACHI: &str = "処理待ち";
pub const KAITOU_MACHI: &str = "回答待ち";
pub const SEIJOU_SHURYO: &str = "正常終了";
pub const GAITOU_NASHI: &str = "該当なし";
pub const TEIKYOU_FUKA: &str = "提供不可";
pub const TORIYAME: &str = "取りやめ";
pub const KIGEN_GIRE: &str = "有効期間切れ";
pub const ERROR: &str = "エラー";

/// 中間サーバーの照会ステータスの語すべて。
pub const SERVER_STATUSES: [&str; 8] = [
    SHORI_MACHI,
    KAITOU_MACHI,
    SEIJOU_SHURYO,
    GAITOU_NASHI,
    TEIKYOU_FUKA,
    TORIYAME,
    KIGEN_GIRE,
    ERROR,
];

/// 照会方式。
pub const TANKEN: &str = "単件";
pub const IKKATSU: &str = "一括";

/// 照会の依頼1件と、その状況。
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Irai {
    pub irai_id: String,
    /// `単件` / `一括`。
    pub houshiki: String,
    pub tougou_atena_bango: String,
    pub jimu: String,
    pub jimu_tetsuzuki: String,
    pub tokutei: String,
    /// 情報提供者機関コード。
    pub teikyousha: String,
    pub jouken: Jouken,
    /// 送っていなければ `照会不可` / `符号取得待ち` / `送信待ち`、送ったら中間サーバーの照会ステータスの語。
    pub status: String,
    /// `照会不可` の理由。
    pub reason: Option<String>,
    pub shori_tsuuban: Option<String>,
    /// 登録の中間サーバー受付番号。
    pub uketsuke_bango: Option<String>,
    /// 中間サーバーに断られた、又は `エラー` で終わったとき (コード、メッセージ)。
    pub error: Option<(String, String)>,
    /// 取った結果 (`/shoukai` の `kekka` の JSON)。
    pub kekka: Option<Value>,
    /// 取りやめを頼まれたが、まだ中間サーバーに届けていない (時間外だった)。
    pub toriyame: bool,
}

impl Irai {
    /// `irai` / `plan` の要素から。`houshiki` は照会方式。
    pub fn from_json(
        v: &Value,
        id_field: &str,
        teikyousha_field: &str,
        houshiki: &str,
    ) -> Result<Irai, String> {
        let s = |name: &str| {
            v.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{name} がありません: {v}"))
        };
        Ok(Irai {
            irai_id: s(id_field)?,
            houshiki: houshiki.to_owned(),
            tougou_atena_bango: s("tougou_atena_bango")?,
            jimu: s("jimu")?,
            jimu_tetsuzuki: s("jimu_tetsuzuki")?,
            tokutei: s("tokutei")?,
            teikyousha: s(teikyousha_field)?,
            jouken: Jouken::from_json(v.get("jouken").unwrap_or(&Value::Null))?,
            status: SOUSHIN_MACHI.to_owned(),
            reason: None,
            shori_tsuuban: None,
            uketsuke_bango: None,
            error: None,
            kekka: None,
            toriyame: false,
        })
    }

    /// 中間サーバーに登録された (処理通番がある)。
    pub fn sent(&self) -> bool {
        self.shori_tsuuban.is_some()
    }

    /// 答えが出た、又はもう変わらない状況。
    pub fn finished(&self) -> bool {
        matches!(
            self.status.as_str(),
            SEIJOU_SHURYO
                | GAITOU_NASHI
                | TEIKYOU_FUKA
                | TORIYAME
                | KIGEN_GIRE
                | ERROR
                | SHOUKAI_FUKA
        )
    }

    /// `/shoukai` の1件。
    pub fn kansatsu(&self) -> Value {
        json!({
            "irai_id": self.irai_id,
            "shori_tsuuban": self.shori_tsuuban,
            "status": self.status,
            "reason": self.reason,
            "error": self.error.as_ref().map(|(code, message)| json!({"code": code, "message": message})),
            "kekka": self.kekka,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_request_and_plan_row() {
        let q = json!({"irai_id": "Q1", "tougou_atena_bango": "000000100000004",
           "jimu": "JM00000000000074", "jimu_tetsuzuki": "JT00000000007401",
           "tokutei": "TM00000000000002", "teikyousha": "9913208000000000",
           "jouken": {"nendo": "2025"}});
        let i = Irai::from_json(&q, "irai_id", "teikyousha", TANKEN).unwrap();
        assert_eq!(
            i.jouken,
            Jouken::Nendo {
                nendo: "2025".into()
            }
        );
        assert_eq!(i.jouken.koumoku()[0], ("照会条件区分", "1".to_owned()));
        let t = json!({"test_id": "T1", "aite": "9913208000000000", "tokutei": "TM00000000000002",
           "jimu": "JM00000000000074", "jimu_tetsuzuki": "JT00000000007401",
           "tougou_atena_bango": "000000100000004", "jouken": {"kaishi": "2025-04-01", "shuryo": "2026-03-31"}});
        let k = Irai::from_json(&t, "test_id", "aite", TANKEN).unwrap();
        assert_eq!(k.irai_id, "T1");
        assert_eq!(k.teikyousha, "9913208000000000");
        assert_eq!(k.jouken.koumoku().len(), 3);
        assert!(
            Irai::from_json(&json!({"irai_id": "Q"}), "irai_id", "teikyousha", TANKEN).is_err()
        );
        let no_jouken = json!({"irai_id": "Q1", "tougou_atena_bango": "1", "jimu": "j", "jimu_tetsuzuki": "t",
           "tokutei": "m", "teikyousha": "k", "jouken": {}});
        assert!(Irai::from_json(&no_jouken, "irai_id", "teikyousha", TANKEN).is_err());
        // 保管の形 (JSON) は行き来する
        let text = serde_json::to_string(&k.jouken).unwrap();
        assert_eq!(serde_json::from_str::<Jouken>(&text).unwrap(), k.jouken);
    }
}
