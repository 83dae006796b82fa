//! docs/renkei-server-proxy.md and the proxy's code say the same: every code with its status,
//! every message, every limit. A vendor implements against the page, so it must not drift.

use renkei_simulator::proxy::{
    AuthorityError, BadRequestReason, Decision, ErrorCode, HEADER_READ_TIMEOUT,
    MAX_REQUEST_HEAD_BYTES, UPSTREAM_CONNECT_TIMEOUT, VIA_PSEUDONYM, denied_message,
    unreachable_message, upstream_error_message,
};

fn page() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/renkei-server-proxy.md"
    );
    std::fs::read_to_string(path).expect("docs/renkei-server-proxy.md exists")
}

fn assert_documented(page: &str, text: &str) {
    assert!(
        page.contains(text),
        "docs/renkei-server-proxy.md does not say:\n{text}"
    );
}

#[test]
fn every_error_code_is_in_the_table_with_its_status() {
    let page = page();
    for code in ErrorCode::ALL {
        let row = format!("| {} | `{}` |", code.status(), code.as_str());
        assert_documented(&page, &row);
    }
}

#[test]
fn every_message_is_documented_word_for_word() {
    let page = page();
    let reason = "{理由}";
    // A reason's text stands for the {理由} placeholder in the templates.
    let with_reason =
        |message: String, why: &AuthorityError| message.replace(&why.to_string(), reason);
    let messages = [
        denied_message("{target}"),
        unreachable_message("{target}", "{原因}"),
        upstream_error_message("{target}", "{原因}"),
        BadRequestReason::NoTarget {
            path: "{path}".into(),
        }
        .message(),
        with_reason(
            BadRequestReason::BadTarget {
                target: "{target}".into(),
                why: AuthorityError::Empty,
            }
            .message(),
            &AuthorityError::Empty,
        ),
        BadRequestReason::UnsupportedScheme {
            scheme: "{scheme}".into(),
        }
        .message(),
        with_reason(
            BadRequestReason::BadConnectTarget {
                target: "{target}".into(),
                why: AuthorityError::MissingPort,
            }
            .message(),
            &AuthorityError::MissingPort,
        ),
        BadRequestReason::ToProxyItself {
            target: "{target}".into(),
        }
        .message(),
        BadRequestReason::IncompleteBody.message(),
    ];
    for message in &messages {
        assert_documented(&page, &format!("`{message}`"));
    }
    let reasons = [
        AuthorityError::Empty,
        AuthorityError::NotHostPort,
        AuthorityError::MissingPort,
        AuthorityError::BadPort {
            port: "{port}".into(),
        },
        AuthorityError::BadHost {
            host: "{host}".into(),
        },
    ];
    for why in &reasons {
        assert_documented(&page, &format!("- `{why}`"));
    }
}

#[test]
fn limits_and_names_match_the_code() {
    let page = page();
    assert_documented(
        &page,
        &format!(
            "| request head (request line and fields) | {MAX_REQUEST_HEAD_BYTES} bytes, else 431 |"
        ),
    );
    assert_documented(
        &page,
        &format!(
            "| time to send a complete request head | {} seconds,",
            HEADER_READ_TIMEOUT.as_secs()
        ),
    );
    assert_documented(
        &page,
        &format!(
            "| time to connect to an allowed target | {} seconds,",
            UPSTREAM_CONNECT_TIMEOUT.as_secs()
        ),
    );
    assert_documented(&page, &format!("`Via: 1.1 {VIA_PSEUDONYM}`"));
    assert_documented(&page, &format!("| `Via` pseudonym | `{VIA_PSEUDONYM}` |"));
}

#[test]
fn every_decision_is_named_as_recorded() {
    let page = page();
    let names: Vec<String> = [
        Decision::Allowed,
        Decision::Denied,
        Decision::BadRequest,
        Decision::UpstreamUnreachable,
        Decision::UpstreamError,
    ]
    .iter()
    .map(|d| format!("`{}`", serde_json::to_value(d).unwrap().as_str().unwrap()))
    .collect();
    assert_documented(&page, &format!("| `decision` | {} |", names.join(", ")));
    for code in ErrorCode::ALL {
        // The decision an error is recorded with is one of those.
        let name = serde_json::to_value(code.decision()).unwrap();
        assert!(names.contains(&format!("`{}`", name.as_str().unwrap())));
    }
}
