//! The suite and the requirement catalog agree, and every step of every feature has exactly one
//! definition — checked at build time, before any system is run.

use renkei_scenarios::RequirementCatalog;
use renkei_scenarios::steps;
use renkei_scenarios::suite::Suite;

/// Requirements of the 既存業務システム role with no scenario yet (docs/kizon-gyomu.md lists
/// them): reported as 未実行. This list only shrinks.
const AWAITING_SCENARIO: &[&str] = &["SKI-06"];

#[test]
fn the_embedded_suite_parses() {
    let suite = Suite::embedded().unwrap();
    assert!(
        suite.scenarios.len() >= 30,
        "{} scenarios",
        suite.scenarios.len()
    );
}

#[test]
fn every_step_has_exactly_one_definition() {
    let suite = Suite::embedded().unwrap();
    let mut problems = Vec::new();
    for scenario in &suite.scenarios {
        for step in &scenario.steps {
            if let Err(e) = steps::find(&step.text) {
                problems.push(format!("features/{}:{}: {e}", scenario.feature, step.line));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn scenarios_and_requirements_match() {
    let suite = Suite::embedded().unwrap();
    let catalog = RequirementCatalog::embedded();
    let problems: Vec<String> = suite
        .check_against(catalog)
        .into_iter()
        .filter(|p| {
            let awaiting = catalog.iter().any(|r| {
                AWAITING_SCENARIO.contains(&r.id().as_str())
                    && p.starts_with(&format!("要件 {} ", r.id()))
            });
            !awaiting
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn requirements_awaiting_a_scenario_have_none_yet_or_are_removed_from_the_list() {
    // When a scenario for one of them lands, take it off the list above.
    let suite = Suite::embedded().unwrap();
    let catalog = RequirementCatalog::embedded();
    for id in AWAITING_SCENARIO {
        assert!(catalog.get(id).is_some(), "{id} is not in the catalog");
        let covered = suite
            .scenarios
            .iter()
            .any(|s| s.tags.iter().any(|t| t == id));
        assert!(
            !covered,
            "{id} has a scenario now: take it off AWAITING_SCENARIO"
        );
    }
}

#[test]
fn a_scenario_with_an_unknown_or_missing_requirement_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let area = dir.path().join("申請取込");
    std::fs::create_dir_all(&area).unwrap();
    std::fs::write(
        area.join("x.feature"),
        "# language: ja\n機能: x\n\n  @ING-99\n  シナリオ: 知らない要件\n    もし 申請管理システムが取込を行う\n\n  シナリオ: 要件なし\n    もし 申請管理システムが取込を行う\n",
    )
    .unwrap();
    let suite = Suite::from_dir(dir.path()).unwrap();
    let problems = suite.check_against(RequirementCatalog::embedded());
    assert!(
        problems.iter().any(|p| p.contains("知らない要件 @ING-99")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("要件のタグがありません")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("要件 ING-01 ")),
        "{problems:?}"
    );
}
