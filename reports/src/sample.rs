//! A small, fixed run model with every kind of outcome — 適合, 不適合 with evidence, 判定不能,
//! 対象外, 未実行 (once filtered out, once a requirement renkei does not judge, with its reason)
//! — and the characters that break careless renderers (𠮷, `<`, `&`). The
//! snapshot tests, the Chromium test and the command tests all render this one run, so what they
//! check is what `docs/reports.md` shows.
//!
//! It is what a runner would write before masking (`masked: false`): the evidence holds a
//! synthetic resident's 個人番号, 住民票コード, 氏名, 住所 and 生年月日.

use time::macros::datetime;

use crate::{
    Evidence, RUN_FORMAT, RequirementResult, Run, RunSummary, ScenarioResult, ScenarioStatus,
    StepResult, StepStatus, SutInfo, SutRole, Verdict,
};

/// The sample run. See the module documentation.
pub fn run() -> Run {
    let requirements = vec![
        requirement(
            "ING-01",
            "申請取込",
            "連携サーバ経由でのみダウンロード機能に接続する",
            "seed 001 §5 ①-1; docs/renkei-server-proxy.md",
            Verdict::Pass,
            &[1],
        ),
        requirement(
            "ING-07a",
            "申請取込",
            "署名後に書き換えられた申請書を改ざんとして検知する",
            "seed 000 §1 (2); seed 000 §4; docs/shinsei-zip.md",
            Verdict::Fail,
            &[2],
        ),
        requirement(
            "ING-11",
            "申請取込",
            "申請者を住基の本人確認情報で特定する",
            "seed 001 §5 ③-4; docs/jukinet-cs-api.md",
            Verdict::Pass,
            &[3],
        ),
        requirement(
            "JUK-01",
            "住基連携",
            "証明書のシリアル番号と宛名番号を紐付ける",
            "seed 001 §5 ②; docs/jukinet-formats.md",
            Verdict::Error,
            &[4],
        ),
        requirement(
            "FUK-01",
            "副本登録",
            "副本登録ファイルを版ごとに登録する",
            "seed 004 §2; docs/chukan-fukuhon-file.md",
            Verdict::NotApplicable,
            &[5],
        ),
        requirement(
            "SKI-01",
            "情報照会・提供",
            "照会には法令根拠と符号を付ける",
            "seed 004 §3; docs/chukan-shoukai.md",
            Verdict::NotRun,
            &[],
        ),
        RequirementResult {
            not_judged: Some(
                "登録された照会で数えればどのシステムも合格してしまう。SKI-05 に適合するシステムは1時間に4,000件 (< 1万件) しか登録しないので、SKI-06 も満たす。"
                    .to_owned(),
            ),
            ..requirement(
                "SKI-06",
                "情報照会・提供",
                "それ以外は1時間の照会を1万件以内にする",
                "seed 004 §2.11 b",
                Verdict::NotRun,
                &[],
            )
        },
    ];
    let scenarios = vec![
        ScenarioResult {
            number: 1,
            feature: "申請取込/接続.feature".to_owned(),
            feature_name: "連携サーバ経由の接続".to_owned(),
            area: "申請取込".to_owned(),
            name: "ダウンロード機能には連携サーバを通して接続する".to_owned(),
            line: 7,
            tags: vec!["申請取込".to_owned(), "ING-01".to_owned()],
            requirements: vec!["ING-01".to_owned()],
            status: ScenarioStatus::Passed,
            duration_ms: 1_204,
            steps: vec![
                step(
                    "前提",
                    "団体「131016」の申請が1件ある",
                    8,
                    StepStatus::Passed,
                    None,
                    vec![Evidence::new(
                        "note",
                        "シナリオファイル",
                        "[団体]\nコード = \"131016\"\n[住民]\n人数 = 3\nシード = 42\n",
                    )],
                ),
                step(
                    "もし",
                    "システムが申請を取り込む",
                    9,
                    StepStatus::Passed,
                    None,
                    vec![],
                ),
                step(
                    "ならば",
                    "接続はすべて連携サーバを通っている",
                    10,
                    StepStatus::Passed,
                    None,
                    vec![],
                ),
            ],
        },
        ScenarioResult {
            number: 2,
            feature: "申請取込/改ざん検知.feature".to_owned(),
            feature_name: "改ざんの検知".to_owned(),
            area: "申請取込".to_owned(),
            name: "署名後に書き換えられた申請書 <様式> & 添付".to_owned(),
            line: 12,
            tags: vec!["申請取込".to_owned(), "ING-07a".to_owned()],
            requirements: vec!["ING-07a".to_owned()],
            status: ScenarioStatus::Failed,
            duration_ms: 2_530,
            steps: vec![
                step(
                    "前提",
                    "住民「𠮷田　花子」の申請書が署名後に書き換えられている",
                    13,
                    StepStatus::Passed,
                    None,
                    vec![],
                ),
                step(
                    "もし",
                    "システムが申請を取り込む",
                    14,
                    StepStatus::Passed,
                    None,
                    vec![Evidence::new(
                        "job",
                        "torikomi ジョブ",
                        "終了コード 0 (1.8 秒)",
                    )],
                ),
                step(
                    "ならば",
                    "申請「170401000000001」の検証結果は「改ざん」である",
                    15,
                    StepStatus::Failed,
                    Some(
                        "検証結果は「改ざん」であるべきところ「検証済み」でした。署名後に書き換えられた申請書は改ざんとして記録します (docs/shinsei-zip.md「署名の範囲」)",
                    ),
                    vec![
                        Evidence::new(
                            "observe",
                            "GET /renkei/v1/shinsei/170401000000001",
                            "{\n  \"uketsuke_bango\": \"170401000000001\",\n  \"kenshou\": \"検証済み\",\n  \"shinseisha\": {\"kojin_bango\": \"983205673214\", \"shimei\": \"𠮷田　花子\", \"seinengappi\": \"1989-01-07\", \"jusho\": \"東京都千代田区千代田1丁目1番1号\"}\n}",
                        ),
                        Evidence::new(
                            "journal",
                            "ぴったりサービス: 申請データの取得",
                            "GET /pittari/v1/shinsei/170401000000001/zip → 200 (申請ZIP 48,213 バイト)\n住民票コード 99000000017 の申請者",
                        ),
                    ],
                ),
                step(
                    "かつ",
                    "通知「改ざんの疑い」が上がっている",
                    16,
                    StepStatus::Skipped,
                    None,
                    vec![],
                ),
            ],
        },
        ScenarioResult {
            number: 3,
            feature: "申請取込/申請者の特定.feature".to_owned(),
            feature_name: "申請者の特定".to_owned(),
            area: "申請取込".to_owned(),
            name: "外字「𠮷」を含む氏名の申請者をシリアル番号から特定する".to_owned(),
            line: 5,
            tags: vec!["申請取込".to_owned(), "ING-11".to_owned()],
            requirements: vec!["ING-11".to_owned()],
            status: ScenarioStatus::Passed,
            duration_ms: 980,
            steps: vec![step(
                "ならば",
                "申請者は「𠮷田　花子」と特定されている",
                6,
                StepStatus::Passed,
                None,
                vec![],
            )],
        },
        ScenarioResult {
            number: 4,
            feature: "住基連携/証明書情報連携.feature".to_owned(),
            feature_name: "証明書情報連携".to_owned(),
            area: "住基連携".to_owned(),
            name: "証明書情報ファイルを取り込んで紐付ける".to_owned(),
            line: 9,
            tags: vec!["住基連携".to_owned(), "JUK-01".to_owned()],
            requirements: vec!["JUK-01".to_owned()],
            status: ScenarioStatus::Error,
            duration_ms: 30_012,
            steps: vec![step(
                "もし",
                "システムが証明書情報ファイルを取り込む",
                10,
                StepStatus::Error,
                Some(
                    "SUT応答なし: ジョブ「shoumeisho」が期限 30 秒までに終わりませんでした (sut.toml [jobs.shoumeisho])",
                ),
                vec![Evidence::new(
                    "job",
                    "shoumeisho ジョブ",
                    "期限切れ (30 秒)。標準エラー出力:\nconnection refused",
                )],
            )],
        },
        ScenarioResult {
            number: 5,
            feature: "副本登録/版.feature".to_owned(),
            feature_name: "副本の版".to_owned(),
            area: "副本登録".to_owned(),
            name: "改版した副本を登録する".to_owned(),
            line: 4,
            tags: vec!["副本登録".to_owned(), "FUK-01".to_owned()],
            requirements: vec!["FUK-01".to_owned()],
            status: ScenarioStatus::NotApplicable,
            duration_ms: 3,
            steps: vec![step(
                "前提",
                "既存業務システムが副本を持っている",
                5,
                StepStatus::Skipped,
                Some("「既存業務システム」を担うシステムがないため対象外です"),
                vec![],
            )],
        },
    ];
    let mut run = Run {
        format: RUN_FORMAT.to_owned(),
        renkei_version: "0.1.0".to_owned(),
        started_at: datetime!(2026-04-06 09:00:00 +09:00),
        finished_at: datetime!(2026-04-06 09:03:25.5 +09:00),
        suts: vec![SutInfo {
            name: "さくら申請管理".to_owned(),
            version: "2.4.0".to_owned(),
            vendor: Some("さくらシステム株式会社".to_owned()),
            roles: vec![
                SutRole {
                    role: "申請管理システム".to_owned(),
                    dantai: "131016".to_owned(),
                },
                SutRole {
                    role: "既存住基システム".to_owned(),
                    dantai: "131016".to_owned(),
                },
            ],
        }],
        tags: None,
        masked: false,
        summary: RunSummary::default(),
        requirements,
        scenarios,
    };
    run.summary = summary_of(&run);
    run
}

/// The counts a runner would write for these requirements and scenarios.
pub fn summary_of(run: &Run) -> RunSummary {
    let count = |v: Verdict| run.requirements.iter().filter(|r| r.verdict == v).count();
    let scount = |s: ScenarioStatus| run.scenarios.iter().filter(|r| r.status == s).count();
    RunSummary {
        requirements_pass: count(Verdict::Pass),
        requirements_fail: count(Verdict::Fail),
        requirements_error: count(Verdict::Error),
        requirements_not_applicable: count(Verdict::NotApplicable),
        requirements_not_run: count(Verdict::NotRun),
        scenarios_passed: scount(ScenarioStatus::Passed),
        scenarios_failed: scount(ScenarioStatus::Failed),
        scenarios_error: scount(ScenarioStatus::Error),
    }
}

fn requirement(
    id: &str,
    area: &str,
    title: &str,
    source: &str,
    verdict: Verdict,
    scenarios: &[usize],
) -> RequirementResult {
    RequirementResult {
        id: id.to_owned(),
        area: area.to_owned(),
        title: title.to_owned(),
        source: source.to_owned(),
        verdict,
        scenarios: scenarios.to_vec(),
        not_judged: None,
    }
}

fn step(
    keyword: &str,
    text: &str,
    line: usize,
    status: StepStatus,
    message: Option<&str>,
    evidence: Vec<Evidence>,
) -> StepResult {
    StepResult {
        keyword: keyword.to_owned(),
        text: text.to_owned(),
        line,
        status,
        message: message.map(str::to_owned),
        duration_ms: 100,
        evidence,
    }
}
