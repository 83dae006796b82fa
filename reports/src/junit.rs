//! JUnit XML for CI (docs/reports.md「JUnit XML」): one `<testsuite>` per area, one
//! `<testcase>` per scenario.
//!
//! - `classname` is `領域 / 機能名`, `name` the scenario; the requirement IDs it checks are the
//!   testcase's `<property name="requirement">`s, as GitLab and the Jenkins JUnit plugin read them.
//! - 失敗 → `<failure type="不適合">`, 判定不能 → `<error type="判定不能">`, 対象外 →
//!   `<skipped>`. The text of a failure is the rule (requirement title and source), the step that
//!   decided it, its message and its evidence: what a developer needs without opening the HTML.
//! - The document validates against the Jenkins xunit plugin's `junit-10.xsd` with one addition,
//!   the testcase `<properties>` (reports/schemas/README.md); a test checks it with xmllint.
//! - The seal is the last line, an XML comment after the root element.

use crate::failure::{Finding, deciding_step};
use crate::markup::{first_line, xml_attr, xml_text};
use crate::seal::{self, SealSyntax};
use crate::{Run, ScenarioResult, ScenarioStatus, UNMASKED_WARNING};

/// The JUnit XML of a run, sealed.
pub fn render(run: &Run) -> String {
    let digest = seal::run_digest(run);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total: u64 = run.scenarios.iter().map(|s| s.duration_ms).sum();
    let count =
        |status: ScenarioStatus| run.scenarios.iter().filter(|s| s.status == status).count();
    out.push_str(&format!(
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">\n",
        xml_attr(&format!("renkei 適合性試験: {}", run.systems_label())),
        run.scenarios.len(),
        count(ScenarioStatus::Failed),
        count(ScenarioStatus::Error),
        seconds(total)
    ));
    let mut areas: Vec<&str> = Vec::new();
    for scenario in &run.scenarios {
        if !areas.contains(&scenario.area.as_str()) {
            areas.push(&scenario.area);
        }
    }
    if areas.is_empty() {
        // A suite with no scenarios still says which run it was, and that nothing ran.
        suite(&mut out, run, "renkei", &[], &digest.to_string());
    }
    for area in areas {
        let scenarios: Vec<&ScenarioResult> =
            run.scenarios.iter().filter(|s| s.area == area).collect();
        suite(&mut out, run, area, &scenarios, &digest.to_string());
    }
    out.push_str("</testsuites>\n");
    seal::seal(out, digest, SealSyntax::Comment)
}

fn suite(out: &mut String, run: &Run, name: &str, scenarios: &[&ScenarioResult], digest: &str) {
    let count = |status: ScenarioStatus| scenarios.iter().filter(|s| s.status == status).count();
    let time: u64 = scenarios.iter().map(|s| s.duration_ms).sum();
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">\n",
        xml_attr(name),
        scenarios.len(),
        count(ScenarioStatus::Failed),
        count(ScenarioStatus::Error),
        count(ScenarioStatus::NotApplicable),
        seconds(time),
        xml_attr(&crate::markup::timestamp(run.started_at)),
    ));
    out.push_str("    <properties>\n");
    let mut property = |name: &str, value: &str| {
        out.push_str(&format!(
            "      <property name=\"{}\" value=\"{}\"/>\n",
            xml_attr(name),
            xml_attr(value)
        ));
    };
    for sut in &run.suts {
        property("renkei.sut", &format!("{} {}", sut.name, sut.version));
        if let Some(vendor) = &sut.vendor {
            property("renkei.vendor", vendor);
        }
    }
    property("renkei.version", &run.renkei_version);
    property("renkei.run_sha256", digest);
    property(
        "renkei.masked",
        if run.masked { "true" } else { UNMASKED_WARNING },
    );
    out.push_str("    </properties>\n");
    for scenario in scenarios {
        testcase(out, run, scenario);
    }
    if !run.masked {
        out.push_str(&format!(
            "    <system-out>{}</system-out>\n",
            xml_text(UNMASKED_WARNING)
        ));
    }
    out.push_str("  </testsuite>\n");
}

fn testcase(out: &mut String, run: &Run, scenario: &ScenarioResult) {
    out.push_str(&format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">\n",
        xml_attr(&scenario.name),
        xml_attr(&format!("{} / {}", scenario.area, scenario.feature_name)),
        seconds(scenario.duration_ms)
    ));
    out.push_str("      <properties>\n");
    for id in &scenario.requirements {
        out.push_str(&format!(
            "        <property name=\"requirement\" value=\"{}\"/>\n",
            xml_attr(id)
        ));
    }
    out.push_str(&format!(
        "        <property name=\"feature\" value=\"{}\"/>\n",
        xml_attr(&format!("{}:{}", scenario.feature, scenario.line))
    ));
    out.push_str("      </properties>\n");
    match scenario.status {
        ScenarioStatus::Passed => {}
        ScenarioStatus::Failed | ScenarioStatus::Error => {
            let finding = Finding {
                scenario,
                requirements: scenario
                    .requirements
                    .iter()
                    .filter_map(|id| run.requirement(id))
                    .collect(),
                step: deciding_step(scenario),
            };
            let element = if scenario.status == ScenarioStatus::Failed {
                "failure"
            } else {
                "error"
            };
            out.push_str(&format!(
                "      <{element} type=\"{}\" message=\"{}\">{}</{element}>\n",
                finding.label(),
                xml_attr(&format!(
                    "{} {}: {}",
                    finding.ids(),
                    finding.label(),
                    first_line(finding.message())
                )),
                xml_text(&finding.plain_text())
            ));
        }
        ScenarioStatus::NotApplicable => {
            let why = scenario
                .steps
                .iter()
                .find_map(|s| s.message.as_deref())
                .unwrap_or("担うシステムがありません");
            out.push_str(&format!(
                "      <skipped message=\"{}\"/>\n",
                xml_attr(&format!("対象外: {why}"))
            ));
        }
    }
    out.push_str("    </testcase>\n");
}

/// Milliseconds as the seconds JUnit wants, `2.530`.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}
