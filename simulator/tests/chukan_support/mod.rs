//! What the 中間サーバー's tests share: a scenario of a few 団体, the stack started on it (with a
//! state file when asked), the clock moved through the admin API, and xmllint against the XSDs
//! of docs/xsd/chukan/.

#![allow(dead_code)]

use renkei_fixtures::catalog::Catalogs;
use renkei_fixtures::population::Resident;
use renkei_fixtures::scenario::{Expanded, Scenario};
use renkei_simulator::stack::{Stack, StackOptions};

/// A scenario starting Monday 2026-04-06 09:00 with these 団体 (code, residents) and `extra`
/// lines under `[chukan]`.
pub fn scenario(name: &str, seed: u64, dantai: &[(&str, u32)], extra: &str) -> Expanded {
    let mut text =
        format!("name = \"{name}\"\nseed = {seed}\nstart = \"2026-04-06T09:00:00+09:00\"\n");
    for (code, residents) in dantai {
        text.push_str(&format!(
            "[[dantai]]\ncode = \"{code}\"\nresidents = {residents}\n"
        ));
    }
    text.push_str(&format!("[chukan]\n{extra}\n"));
    Scenario::from_toml(&text)
        .unwrap()
        .expand(Catalogs::embedded())
        .unwrap()
}

/// The residents of the `index`-th 団体 of the scenario, household by household.
pub fn residents(expanded: &Expanded, index: usize) -> Vec<Resident> {
    expanded.populations[index]
        .1
        .iter()
        .flat_map(|h| h.members.clone())
        .collect()
}

/// The stack on the scenario; its state in `data` when given.
pub async fn spawn(expanded: &Expanded, data: Option<&std::path::Path>) -> Stack {
    Stack::start(
        expanded,
        StackOptions {
            data_dir: data.map(|d| d.to_owned()),
            ..StackOptions::default()
        },
    )
    .await
    .unwrap()
}

/// Moves the clock on by `seconds` through the admin API (what is due runs before it answers).
pub async fn advance(stack: &Stack, seconds: i64) {
    let response = reqwest::Client::new()
        .post(format!(
            "http://{}/admin/v1/clock/advance",
            stack.addresses.admin
        ))
        .body(format!("{{\"seconds\":{seconds}}}"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// Validates `xml` against `docs/xsd/chukan/{xsd}` with Debian's xmllint.
pub fn xmllint(xsd: &str, name: &str, xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.xml"));
    std::fs::write(&path, xml).unwrap();
    let schema = format!("{}/../docs/xsd/chukan/{xsd}", env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", &schema])
        .arg(&path)
        .output()
        .expect("xmllint (Debian libxml2-utils) is installed");
    assert!(
        output.status.success(),
        "{name} does not validate against {xsd}:\n{}\n{xml}",
        String::from_utf8_lossy(&output.stderr)
    );
}
