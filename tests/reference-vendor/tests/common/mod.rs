//! 試験の道具: 本物のシミュレーター (`renkei serve`) と参照ベンダーを別々のプロセスで起動し、
//! HTTP で話します。待つのは条件 (バナーの行、`/health`) だけで、決まった時間は眠りません。
//!
//! `renkei` のバイナリは `cargo test --workspace` が作ります (単独で動かすときは `cargo build -p renkei`)。
//! 別の場所のものを使うときは環境変数 `RENKEI_BIN` にパスを入れます。

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const DANTAI: &str = "131016";
pub const START: &str = "2026-04-06T09:00:00+09:00";

/// `renkei` のバイナリ。`cargo test --workspace` ではこの試験と同じ出力フォルダ (試験の実行ファイルが
/// ある `deps/` の一つ上) に作られます。`CARGO_TARGET_DIR` を変えていても見つかります。
pub fn renkei_bin() -> PathBuf {
    if let Ok(p) = std::env::var("RENKEI_BIN") {
        return PathBuf::from(p);
    }
    let beside_tests = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(|dir| dir.join("renkei")));
    let candidates: Vec<PathBuf> = beside_tests
        .into_iter()
        .chain(std::iter::once(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/renkei"),
        ))
        .collect();
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "renkei のバイナリがありません ({})。先に `cargo build -p renkei` を実行してください (または RENKEI_BIN)",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join("、")
            )
        })
}

/// 子プロセスの標準出力を1行ずつ渡すスレッド。決まった時間でなく、行が来るのを待つために使います。
fn line_reader(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("標準出力");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn first_url(line: &str) -> Option<String> {
    url_from(line, "http://")
}

fn url_from(line: &str, scheme: &str) -> Option<String> {
    let start = line.find(scheme)?;
    let rest = &line[start..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

/// 起動した `renkei serve`。落とすと止めます。
pub struct Simulator {
    child: Child,
    pub dir: tempfile::TempDir,
    /// ダウンロード API のベース (`http://127.0.0.1:PORT`)。
    pub pittari: String,
    pub proxy: String,
    pub jukinet: String,
    /// 管理 API (`http://127.0.0.1:PORT/admin/v1`)。
    pub admin: String,
    pub access_key: String,
    /// 中間サーバー (`https://127.0.0.1:PORT`、電文は `/ws/` の下)。
    pub chukan: String,
    /// 設定の `chukan` (証明書を取ったあと。[`Simulator::fetch_chukan`])。
    chukan_config: std::sync::OnceLock<Value>,
    pub http: reqwest::Client,
}

/// 千代田区のテナントの機関コード (docs/chukan-api.md「テナントと接続」)。
pub const KIKAN: &str = "9913101600000000";

impl Drop for Simulator {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Simulator {
    /// シナリオ (TOML) で `renkei serve --port 0` を起動し、バナーからアドレスを読みます。
    pub fn start(scenario: &str) -> Simulator {
        let dir = tempfile::tempdir().expect("作業フォルダ");
        let path = dir.path().join("scenario.toml");
        std::fs::write(&path, scenario).expect("シナリオを書く");
        let mut child = Command::new(renkei_bin())
            .args(["serve", "--port", "0", "--scenario"])
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("renkei serve を起動する");
        let lines = line_reader(&mut child);
        let (mut pittari, mut proxy, mut jukinet, mut admin, mut key, mut chukan) =
            (None, None, None, None, None, None);
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .expect("renkei serve のバナー");
            if line.contains("ぴったりサービス") {
                pittari = first_url(&line).map(|u| {
                    u.trim_end_matches('/')
                        .trim_end_matches("/pittari/v1")
                        .to_owned()
                });
            } else if line.contains("連携サーバ") {
                proxy = first_url(&line);
            } else if line.contains("住基ネットCS") && line.contains("http://") {
                jukinet = first_url(&line).map(|u| {
                    u.trim_end_matches('/')
                        .trim_end_matches("/jukinet/v1")
                        .to_owned()
                });
            } else if line.contains("中間サーバー") && line.contains("https://") {
                chukan = url_from(&line, "https://")
                    .map(|u| u.trim_end_matches('/').trim_end_matches("/ws").to_owned());
            } else if line.contains("管理API") {
                admin = first_url(&line).map(|u| u.trim_end_matches('/').to_owned());
            } else if line.contains("住基CSキー") && line.contains(DANTAI) {
                key = line.split_whitespace().last().map(str::to_owned);
            } else if line.contains("Ctrl-C") {
                break;
            }
        }
        Simulator {
            child,
            dir,
            pittari: pittari.expect("ダウンロード API のアドレス"),
            proxy: proxy.expect("連携サーバのアドレス"),
            jukinet: jukinet.expect("住基ネットCS のアドレス"),
            admin: admin.expect("管理 API のアドレス"),
            access_key: key.expect("住基ネットCS のアクセスキー"),
            chukan: chukan.expect("中間サーバーのアドレス"),
            chukan_config: std::sync::OnceLock::new(),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("HTTP クライアント"),
        }
    }

    /// 住民記録ファイル (`residents.csv`) を `renkei fixtures population` で作ります。シナリオと同じ
    /// seed・人数・団体・基準日 (start の日付) にすると、シミュレーターの住民と同じ人たちになります。
    pub fn population(&self, size: usize, seed: u64) -> PathBuf {
        let out = self.dir.path().join("population");
        let status = Command::new(renkei_bin())
            .args([
                "fixtures",
                "population",
                "--size",
                &size.to_string(),
                "--seed",
                &seed.to_string(),
            ])
            .args(["--dantai", DANTAI, "--as-of", &START[..10], "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .status()
            .expect("renkei fixtures population");
        assert!(status.success());
        out.join("residents.csv")
    }

    /// 中間サーバーの CA 証明書と千代田区のクライアント証明書・鍵を管理 API から取り
    /// (docs/chukan-api.md「証明書の取り方」)、`chukan-certs/{機関コード}/` に書き直します。
    /// これより後に書く設定には `chukan` が入ります。証明書を失効させたあとに呼ぶと取り直します。
    pub async fn fetch_chukan(&self) -> Value {
        let dir = self.dir.path().join("chukan-certs").join(KIKAN);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, path) in [
            ("ca.pem", "chukan/ca.pem".to_owned()),
            ("client.pem", format!("chukan/tenants/{KIKAN}/client.pem")),
            ("client.key", format!("chukan/tenants/{KIKAN}/client.key")),
        ] {
            let r = self
                .http
                .get(format!("{}/{path}", self.admin))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            std::fs::write(dir.join(name), r.bytes().await.unwrap()).unwrap();
        }
        let config = json!({
            "base_url": self.chukan,
            "ca_pem": dir.join("ca.pem"),
            "client_pem": dir.join("client.pem"),
            "client_key": dir.join("client.key"),
            "kikan_code": KIKAN,
            "msg_mode": "1",
        });
        self.chukan_config.get_or_init(|| config.clone());
        config
    }

    /// 中間サーバーが受けた要求 (ジャーナル)。
    pub async fn chukan_journal(&self) -> Vec<Value> {
        let v = self
            .admin_get("journal?system=chukan&since=0&limit=1000000")
            .await;
        v["exchanges"].as_array().cloned().unwrap_or_default()
    }

    /// `renkei-config.json` を書き、そのパスを返します。
    pub fn write_config(
        &self,
        residents: &Path,
        form: &str,
        gyomu_systems: Value,
        shokuin: Value,
    ) -> PathBuf {
        let mut config = json!({
            "format": "renkei-config/1",
            "scenario": {"number": 1, "feature": "tests/reference-vendor", "name": "参照ベンダーの試験"},
            "now": START,
            "clock_url": format!("{}/clock", self.admin),
            "dantai": DANTAI,
            "juki_master": {"path": residents, "format": "renkei-residents-csv/1"},
            "pittari": {
                "base_url": self.pittari,
                "proxy_url": self.proxy,
                "login_id": "tetsuzuki01",
                "password": "renkei-tetsuzuki-01",
                "signature_ca_url": format!("{}/pittari/v1/jpki/signature/ca.pem", self.pittari),
                "signature_crl_url": format!("{}/pittari/v1/jpki/signature/crl.der", self.pittari),
            },
            "jukinet": {"base_url": self.jukinet, "access_key": self.access_key, "form": form},
            "gyomu_systems": gyomu_systems,
            "shokuin": shokuin,
        });
        if let Some(chukan) = self.chukan_config.get() {
            config["chukan"] = chukan.clone();
        }
        let path = self.dir.path().join("renkei-config.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        path
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/{path}", self.admin))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// 時計を合わせます。
    pub async fn set_clock(&self, now: &str) {
        let r = self
            .http
            .put(format!("{}/clock", self.admin))
            .json(&json!({"now": now}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "時計を合わせる: {}", r.status());
    }

    /// ダウンロード API に障害を入れます (docs/scenario.md「Injected faults」)。
    pub async fn fault(&self, fault: Value) {
        let r = self
            .http
            .post(format!("{}/pittari/faults", self.admin))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "障害を入れる: {}", r.status());
    }

    /// シナリオの申請: 受付番号 → (variant, 取得状態, 処理状況)。
    pub async fn shinsei_states(&self) -> Vec<(String, String, String, String)> {
        let v = self.admin_get("pittari/shinsei").await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let f = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
                (
                    f("uketsuke_bango"),
                    f("variant"),
                    f("shutoku_jotai"),
                    f("shori_jokyo"),
                )
            })
            .collect()
    }

    /// ダウンロード API が受けた要求 (ジャーナル)。
    pub async fn pittari_journal(&self) -> Vec<Value> {
        let v = self
            .admin_get("journal?system=pittari&since=0&limit=1000000")
            .await;
        v["exchanges"].as_array().cloned().unwrap_or_default()
    }
}

/// 起動した参照ベンダー。落とすと止めます。
pub struct Vendor {
    child: Child,
    pub url: String,
    pub data: tempfile::TempDir,
    pub http: reqwest::Client,
}

impl Drop for Vendor {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Vendor {
    pub fn start(defect: Option<&str>) -> Vendor {
        let data = tempfile::tempdir().expect("データのフォルダ");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_renkei-reference-vendor"));
        cmd.args(["--port", "0", "--data"]).arg(data.path());
        if let Some(d) = defect {
            cmd.args(["--defect", d]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("参照ベンダーを起動する");
        let lines = line_reader(&mut child);
        let url = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(30))
                .expect("参照ベンダーの待ち受けの行");
            if let Some(u) = first_url(&line) {
                break u;
            }
        };
        Vendor {
            child,
            url,
            data,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        }
    }

    /// ジョブを呼び、(状態, 本文) を返します。
    pub async fn job(&self, name: &str, config: &Path, params: Value) -> (u16, Value) {
        let body = json!({"job": name.replace('-', "_"), "config": config, "params": params});
        let r = self
            .http
            .post(format!("{}/renkei/jobs/{name}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// 成功するはずのジョブ。
    pub async fn ok(&self, name: &str, config: &Path, params: Value) -> Value {
        let (status, body) = self.job(name, config, params).await;
        assert_eq!(status, 200, "ジョブ {name}: {body}");
        body
    }

    pub async fn observe(&self, path_and_query: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}/renkei/v1/{path_and_query}", self.url))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn items(&self, path_and_query: &str) -> Vec<Value> {
        let (status, body) = self.observe(path_and_query).await;
        assert_eq!(status, 200, "{path_and_query}: {body}");
        body["items"].as_array().cloned().unwrap_or_default()
    }
}

/// 試験のシナリオ: 千代田区の住民 `residents` 人、申請 `generated` 件 (どの場面も入る割合)。
pub fn scenario(seed: u64, residents: usize, generated: usize) -> String {
    format!(
        r#"name = "参照ベンダーの試験"
seed = {seed}
start = "{START}"

[[dantai]]
code = "{DANTAI}"
residents = {residents}

[pittari]
dantai = "{DANTAI}"
generated = {generated}
submitted_from = "2026-03-01T00:00:00+09:00"
submitted_to = "2026-04-06T08:00:00+09:00"

[pittari.mix]
valid = 34
swapped_attachment = 3
unidentifiable_lookalike = 3
tampered = 6
revoked_certificate = 6
expired_certificate = 6
unknown_serial = 8
kihon4_mismatch = 6
unidentifiable = 5
truncated_zip = 5
corrupt_zip = 5
duplicate = 5
edge_characters = 8

[[pittari.accounts]]
login_id = "tetsuzuki01"
password = "renkei-tetsuzuki-01"
role = "手続管理ユーザ"
"#
    )
}

/// 試験の振分け: 子育ては団体内統合宛名番号で、介護は宛名番号で識別する業務システム。
pub fn gyomu_systems() -> Value {
    let kosodate: Vec<String> = (1..=15).map(|n| format!("kosodate-{n:02}")).collect();
    let kaigo: Vec<String> = (1..=11).map(|n| format!("kaigo-{n:02}")).collect();
    json!([
        {"name": "児童手当システム", "key": "団体内統合宛名番号", "tetsuzuki": kosodate},
        {"name": "介護保険システム", "key": "宛名番号", "tetsuzuki": kaigo},
    ])
}

pub fn shokuin() -> Value {
    json!([
        {"id": "shinsa01", "name": "審査 一郎", "tetsuzuki": []},
        {"id": "kosodate01", "name": "子育 花子", "tetsuzuki": ["kosodate-01", "kosodate-10"]},
    ])
}

/// シミュレーター、住民記録、設定、参照ベンダーをそろえ、reset まで済ませます。
pub async fn setup(
    seed: u64,
    residents: usize,
    generated: usize,
    form: &str,
    defect: Option<&str>,
) -> (Simulator, Vendor, PathBuf) {
    let sim = Simulator::start(&scenario(seed, residents, generated));
    let master = sim.population(residents, seed);
    sim.fetch_chukan().await;
    let config = sim.write_config(&master, form, gyomu_systems(), shokuin());
    let vendor = Vendor::start(defect);
    vendor.ok("reset", &config, json!({})).await;
    (sim, vendor, config)
}

/// 住民記録ファイルを (住民票コード → 行) で読みます。
pub fn residents(
    path: &Path,
) -> std::collections::HashMap<String, std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let mut out = std::collections::HashMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        let row: std::collections::HashMap<String, String> = headers
            .iter()
            .zip(r.iter())
            .map(|(h, v)| (h.to_owned(), v.to_owned()))
            .collect();
        out.insert(row["juminhyo_code"].clone(), row);
    }
    out
}

/// 転入の試験の道具立て: シナリオの住民のうち最後の `newcomers` 人を住民記録ファイルから外して
/// 転入者のファイルに分け (`jumin_toroku` で加える人)、reset まで済ませたもの。
pub struct Tennyu {
    pub sim: Simulator,
    pub vendor: Vendor,
    pub config: PathBuf,
    /// 転入者の住民記録ファイル (`juki_master` と同じ形)。
    pub tennyu: PathBuf,
    /// reset で読んだ住民の団体内統合宛名番号。
    pub initial: Vec<String>,
    /// 転入者の団体内統合宛名番号。
    pub newcomers: Vec<String>,
    /// 転入者の住民票コード。
    pub newcomer_codes: Vec<String>,
}

/// 住民記録ファイルの列 `column` を、行の順に。
pub fn column(path: &Path, column: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let i = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap().get(i).unwrap().to_owned())
        .collect()
}

pub async fn tennyu_setup(
    scenario: &str,
    seed: u64,
    residents: usize,
    newcomers: usize,
    defect: Option<&str>,
) -> Tennyu {
    let sim = Simulator::start(scenario);
    let full = sim.population(residents, seed);
    let text = std::fs::read_to_string(&full).unwrap();
    let lines: Vec<&str> = text.split_inclusive("\r\n").collect();
    let (header, rows) = lines.split_first().unwrap();
    assert_eq!(rows.len(), residents, "1行に1人 (値に改行がない)");
    let cut = rows.len() - newcomers;
    let master = sim.dir.path().join("residents-at-reset.csv");
    let tennyu = sim.dir.path().join("tennyu.csv");
    std::fs::write(&master, format!("{header}{}", rows[..cut].concat())).unwrap();
    std::fs::write(&tennyu, format!("{header}{}", rows[cut..].concat())).unwrap();
    sim.fetch_chukan().await;
    let config = sim.write_config(&master, "csv", gyomu_systems(), shokuin());
    let vendor = Vendor::start(defect);
    vendor.ok("reset", &config, json!({})).await;
    Tennyu {
        initial: column(&master, "tougou_atena_bango"),
        newcomers: column(&tennyu, "tougou_atena_bango"),
        newcomer_codes: column(&tennyu, "juminhyo_code"),
        sim,
        vendor,
        config,
        tennyu,
    }
}

/// `GET /fugou` を 団体内統合宛名番号 → (status, uketsuke_bango) で。
pub async fn fugou(
    vendor: &Vendor,
) -> std::collections::BTreeMap<String, (String, Option<String>)> {
    let items = vendor.items("fugou").await;
    let map: std::collections::BTreeMap<_, _> = items
        .iter()
        .map(|i| {
            (
                i["tougou_atena_bango"].as_str().unwrap().to_owned(),
                (
                    i["status"].as_str().unwrap().to_owned(),
                    i["uketsuke_bango"].as_str().map(str::to_owned),
                ),
            )
        })
        .collect();
    assert_eq!(map.len(), items.len(), "一人一行");
    map
}

/// 中間サーバーが受けた電文 `denbun` (`IF_FGU_10111_R01` など) のうち、本文に `needle` を含むものの数。
pub async fn denbun_count(sim: &Simulator, denbun: &str, needle: &str) -> usize {
    sim.chukan_journal()
        .await
        .iter()
        .filter(|e| e["route"].as_str() == Some(&format!("/ws/{denbun}")))
        .filter(|e| {
            e["request_body"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(needle))
        })
        .count()
}
