//! # renkei の参照ベンダー
//!
//! 文書 (`docs/`) **だけ**から書いた、適合する **申請管理システム**、**既存住基システム**、
//! **団体内統合宛名システム**、**既存業務システム** です。
//! renkei の試験にかけるシステムの見本 (`renkei demo` が動かすもの) で、ベンダーがこれを写して自社の
//! システムを renkei につなぐ手がかりにします。renkei のどのクレートにも依存しません。
//!
//! ## 地図
//!
//! | モジュール | 何をするか | 文書 |
//! |---|---|---|
//! | [`server`] | HTTP の入り口: `/health`、ジョブ、観察 | docs/sut-adapter.md |
//! | [`jobs`] | ジョブ `reset` `torikomi` `shinsa` `juki_renkei` `honnin_kakunin` `jumin_toroku` `fugou_shutoku`、既存業務システムの `fukuhon_touroku` `shoukai` `shoukai_kekka` `toriyame` `teikyou` `kiroku` `kikan_test` `setsuzoku_kakunin` | docs/sut-adapter.md「ジョブ」、docs/kizon-gyomu.md「ジョブ」 |
//! | [`observe`] | 一括取込インターフェース (観察) の答え | docs/sut-adapter.md「一括取込インターフェース」 |
//! | [`config`] | `renkei-config.json` | docs/sut-adapter.md「renkei-config.json」 |
//! | [`master`] | 住基マスタ (`residents.csv`) | docs/population.md |
//! | [`store`] | SQLite の保管場所 | — |
//! | [`pittari`] | ダウンロード API のクライアント (連携サーバ経由) | docs/pittari-api.md、docs/renkei-server-proxy.md |
//! | [`torikomi`] | 取込の1回 | docs/pittari-api.md、docs/shinsei-zip.md |
//! | [`shinsei_zip`] | 申請ZIPの安全な展開と XML | docs/shinsei-zip.md |
//! | [`signature`] | XML 署名・証明書チェーン・有効期間・CRL の検証 | docs/jpki.md |
//! | [`identify`] | 申請者の特定 | docs/shinsei-zip.md「shomei_kensho_kekka.xml」 |
//! | [`shinsa`] | 審査ステータスと処理状況の報告 | docs/pittari-api.md「States」 |
//! | [`ikkatsu`] | 一括取込と整合性チェック | docs/sut-adapter.md「GET /ikkatsu」 |
//! | [`juki`] | 証明書情報連携、本人確認情報、固定長形式、外字例外ファイル | docs/jukinet-cs-api.md、docs/jukinet-formats.md |
//! | [`fugou`] | 住民の追加 (`jumin_toroku`) と符号取得 (`fugou_shutoku`) | docs/chukan-fugou.md |
//! | [`chukan`] | 中間サーバーへの相互 TLS のクライアント、電文の組み立てと応答の読み | docs/chukan-api.md |
//! | [`kizon`] | 既存業務システム: 副本登録、情報照会、情報提供、情報提供等記録、機関間テスト | docs/kizon-gyomu.md |
//! | [`defects`] | 要件ごとに一つずつ仕込んだ不具合 (`--defect`) | docs/requirements.md |
//!
//! ## 変わらないこと
//!
//! - ダウンロード API への要求は、どれも連携サーバ (プロキシ) を通ります。
//! - 申請は受付番号ごとに1件で、保管し終えてから取得済みにします。
//! - 受け取った文字は一字も変えません (正規化も、全角・半角の変換もしません)。
//! - 時刻で決めることは、自分の時計ではなくシミュレーターの時計で決めます。
//! - 中間サーバーへは相互 TLS で、設定の CA だけを信頼してつなぎます (暗号は ring を明示し、プロセス全体の
//!   既定は入れません)。
//! - 二度届くと困る電文 (照会の登録、副本登録のファイル、取りやめ、送信許可) は、届いたか分からないときに
//!   送り直しません。

pub mod app;
pub mod chukan;
pub mod config;
pub mod defects;
pub mod error;
pub mod fugou;
pub mod identify;
pub mod ikkatsu;
pub mod jobs;
pub mod jst;
pub mod juki;
pub mod kizon;
pub mod master;
pub mod model;
pub mod observe;
pub mod pittari;
pub mod server;
pub mod shinsa;
pub mod shinsei_zip;
pub mod signature;
pub mod store;
pub mod torikomi;
pub mod xml;

pub use defects::{DEFECTS, Defect};

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// 仕込んだ不具合の一覧 (`--list-defects` と同じもの)。
pub fn defects() -> &'static [Defect] {
    DEFECTS
}

/// コマンドの引数。
#[derive(Debug, Parser)]
#[command(
    name = "renkei-reference-vendor",
    about = "renkei の参照ベンダー: 文書だけから書いた申請管理システム + 既存住基システム + 団体内統合宛名システム + 既存業務システム"
)]
struct Cli {
    /// 待ち受ける 127.0.0.1 のポート (0 なら空いているポート。選んだアドレスを標準出力に書きます)
    #[arg(long, required_unless_present = "list_defects")]
    port: Option<u16>,
    /// データベースと保管したファイルを置くフォルダ
    #[arg(long, required_unless_present = "list_defects")]
    data: Option<PathBuf>,
    /// 仕込む不具合の ID (一つだけ。`--list-defects` で一覧)
    #[arg(long)]
    defect: Option<String>,
    /// 仕込める不具合を JSON の配列で書いて終わる
    #[arg(long)]
    list_defects: bool,
}

/// コマンドの本体。`args` はプログラム名を**含まない**引数です (renkei の隠しサブコマンドからも
/// そのまま呼べるように、`std::env::args` を自分では読みません)。
///
/// 終了コード: 0 正常に止まった / 2 引数の誤り / 1 起動できなかった。
pub fn main_with_args(args: &[String]) -> ExitCode {
    let argv = std::iter::once("renkei-reference-vendor".to_owned()).chain(args.iter().cloned());
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            e.print().ok();
            return ExitCode::from(code);
        }
    };
    if cli.list_defects {
        match serde_json::to_string_pretty(defects()) {
            Ok(json) => {
                println!("{json}");
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("renkei-reference-vendor: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let seeded = match cli.defect.as_deref() {
        None => defects::Seeded::NONE,
        Some(id) => match defects::Seeded::from_id(id) {
            Some(s) => s,
            None => {
                let ids: Vec<&str> = DEFECTS.iter().map(|d| d.id).collect();
                eprintln!(
                    "renkei-reference-vendor: 不具合「{id}」はありません (使えるもの: {})",
                    ids.join(", ")
                );
                return ExitCode::from(2);
            }
        },
    };
    let (Some(port), Some(data)) = (cli.port, cli.data) else {
        eprintln!("renkei-reference-vendor: --port と --data が要ります");
        return ExitCode::from(2);
    };
    // 呼ぶ側がすでに tokio の中にいても動くように、自分のスレッドで自分のランタイムを持ちます。
    let worker = std::thread::spawn(move || -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("非同期ランタイムを作れません: {e}"))?;
        let store = store::Store::open(&data).map_err(|e| e.0)?;
        let app = Arc::new(app::App::new(store, seeded).map_err(|e| e.0)?);
        runtime
            .block_on(server::serve(app, port))
            .map_err(|e| format!("127.0.0.1:{port} で待ち受けられません: {e}"))
    });
    match worker.join() {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("renkei-reference-vendor: {e}");
            ExitCode::from(1)
        }
        Err(_) => {
            eprintln!("renkei-reference-vendor: 内部の誤りで止まりました");
            ExitCode::from(1)
        }
    }
}
