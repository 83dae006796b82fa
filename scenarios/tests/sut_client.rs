//! The SUT adapter's client against stand-ins for a vendor's endpoints (wiremock over real
//! loopback HTTP) and real commands: a system that answers, refuses, fails, hangs, or answers
//! something that is not JSON is told apart — never judged on a transport problem.

use std::time::Duration;

use renkei_scenarios::sut::SutAdapter;
use renkei_scenarios::sut::client::{JobOutcome, Observed, ProblemKind, SutClient};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn adapter(base: &str, extra: &str) -> SutAdapter {
    let text = format!(
        r#"
format = 1
[sut]
name = "スタンドイン"
version = "0"
[[roles]]
role = "申請管理システム"
dantai = "131016"
[jobs.reset]
http = {{ method = "POST", url = "{base}/jobs/reset" }}
[jobs.torikomi]
http = {{ method = "POST", url = "{base}/jobs/torikomi" }}
timeout = "300ms"
[jobs.shinsa]
http = {{ method = "POST", url = "{base}/jobs/shinsa/{{uketsuke_bango}}" }}
[observe]
base_url = "{base}/renkei/v1"
timeout = "300ms"
{extra}
"#
    );
    SutAdapter::parse("sut.toml", &text).unwrap()
}

async fn client(server: &MockServer) -> (SutClient, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let client = SutClient::start(adapter(&server.uri(), ""), dir.path(), 9)
        .await
        .unwrap();
    (client, dir)
}

#[tokio::test]
async fn a_job_that_answers_2xx_is_done_and_gets_the_documented_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/jobs/shinsa/170401000000001"))
        .and(body_partial_json(
            json!({"job": "shinsa", "params": {"shinsa_status": "審査中"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, dir) = client(&server).await;
    let outcome = client
        .job(
            "shinsa",
            &dir.path().join("renkei-config.json"),
            1,
            &[
                ("uketsuke_bango", json!("170401000000001")),
                ("shinsa_status", json!("審査中")),
            ],
        )
        .await
        .unwrap();
    assert!(matches!(outcome, JobOutcome::Done { .. }), "{outcome:?}");
}

#[tokio::test]
async fn shinsa_409_is_a_refusal_not_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(409).set_body_string("未審査から審査完了へは進めません"),
        )
        .mount(&server)
        .await;
    let (client, dir) = client(&server).await;
    let outcome = client
        .job(
            "shinsa",
            &dir.path().join("c.json"),
            1,
            &[("uketsuke_bango", json!("1"))],
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, JobOutcome::Refused { ref detail } if detail.contains("未審査")),
        "{outcome:?}"
    );
    // …but only for shinsa: a 409 from another job is the system failing to run it.
    let err = client
        .job("reset", &dir.path().join("c.json"), 1, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProblemKind::JobFailed);
}

#[tokio::test]
async fn a_500_is_a_failed_job_with_the_body_as_evidence() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("データベースに接続できません"))
        .mount(&server)
        .await;
    let (client, dir) = client(&server).await;
    let err = client
        .job("torikomi", &dir.path().join("c.json"), 1, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProblemKind::JobFailed);
    assert!(
        err.message.contains("500") && err.message.contains("データベース"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_job_slower_than_its_deadline_is_no_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let (client, dir) = client(&server).await;
    let err = client
        .job("torikomi", &dir.path().join("c.json"), 1, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProblemKind::NoAnswer, "{}", err.message);
    assert!(err.message.contains("答えません"), "{}", err.message);
}

#[tokio::test]
async fn a_system_that_is_not_there_is_no_answer() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let client = SutClient::start(adapter(&base, ""), dir.path(), 9)
        .await
        .unwrap();
    let err = client
        .job("reset", &dir.path().join("c.json"), 1, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProblemKind::NoAnswer);
    let err = client.observe("shinsei", &[]).await.unwrap_err();
    assert_eq!(err.kind, ProblemKind::NoAnswer);
}

#[tokio::test]
async fn a_missing_job_is_named() {
    let server = MockServer::start().await;
    let (client, dir) = client(&server).await;
    let err = client
        .job("juki_renkei", &dir.path().join("c.json"), 1, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProblemKind::MissingJob);
    assert!(err.message.contains("juki_renkei"));
}

#[tokio::test]
async fn observations_read_json_tell_404_and_reject_malformed_answers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/renkei/v1/shinsei"))
        .and(query_param("shimei_kana", "ヨシ ダ"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/renkei/v1/tsuchi"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"items\": [ oops"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/renkei/v1/jumin"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/renkei/v1/himoduke"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let (client, _dir) = client(&server).await;
    let found = client
        .observe("shinsei", &[("shimei_kana", "ヨシ ダ".into())])
        .await
        .unwrap();
    assert_eq!(found, Observed::Found(json!({"items": []})));
    let err = client.observe("tsuchi", &[]).await.unwrap_err();
    assert_eq!(err.kind, ProblemKind::Malformed);
    assert!(err.message.contains("JSON"), "{}", err.message);
    assert_eq!(
        client.observe("jumin", &[]).await.unwrap(),
        Observed::NotFound
    );
    assert_eq!(
        client.observe("himoduke", &[]).await.unwrap_err().kind,
        ProblemKind::NoAnswer
    );
}

#[tokio::test]
async fn command_jobs_get_the_json_on_stdin_and_exit_codes_decide() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stdin.json");
    let extra = format!(
        "[jobs.juki_renkei]\ncommand = [\"sh\", \"-c\", \"cat > {} && exit 0\"]\n[jobs.honnin_kakunin]\ncommand = [\"sh\", \"-c\", \"echo 壊れた >&2; exit 3\"]\n",
        out.display()
    );
    let adapter = SutAdapter::parse(
        "sut.toml",
        &format!(
            "format = 1\n[sut]\nname = \"c\"\nversion = \"0\"\n[[roles]]\nrole = \"既存住基システム\"\ndantai = \"131016\"\n[jobs.reset]\ncommand = [\"true\"]\n{extra}[observe]\ncommand = [\"sh\", \"-c\", \"echo '{{{{\\\"path\\\": \\\"{{path}}\\\"}}}}'\"]\n"
        ),
    )
    .unwrap();
    let client = SutClient::start(adapter, dir.path(), 9).await.unwrap();
    let outcome = client
        .job("juki_renkei", &dir.path().join("c.json"), 2, &[])
        .await
        .unwrap();
    assert!(matches!(outcome, JobOutcome::Done { .. }));
    let input: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(input["job"], "juki_renkei");
    let err = client
        .job("honnin_kakunin", &dir.path().join("c.json"), 2, &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ProblemKind::JobFailed);
    assert!(
        err.message.contains("終了コード 3") && err.message.contains("壊れた"),
        "{}",
        err.message
    );
    assert_eq!(
        client.observe("himoduke", &[]).await.unwrap(),
        Observed::Found(json!({"path": "himoduke"}))
    );
}

#[tokio::test]
async fn a_started_system_that_exits_before_ready_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start().await;
    let adapter = adapter(
        &server.uri(),
        "[start]\ncommand = [\"sh\", \"-c\", \"echo 設定がありません >&2; exit 1\"]\nready_url = \"http://127.0.0.1:{sut_port}/health\"\nready_timeout = \"5s\"\n",
    );
    let Err(err) = SutClient::start(adapter, dir.path(), 9).await else {
        panic!("started");
    };
    assert_eq!(err.kind, ProblemKind::StartFailed);
    assert!(err.message.contains("設定がありません"), "{}", err.message);
}
