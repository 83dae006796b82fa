//! The suite and the requirement catalog agree, and every step of every feature has exactly one
//! definition — checked at build time, before any system is run.

use renkei_scenarios::RequirementCatalog;
use renkei_scenarios::steps;
use renkei_scenarios::suite::Suite;

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
    // Both ways: a requirement without a scenario says in the catalog why renkei does not judge
    // it (`not_judged`), and one that says so has no scenario.
    let suite = Suite::embedded().unwrap();
    let problems = suite.check_against(RequirementCatalog::embedded());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_scenario_with_an_unknown_or_missing_requirement_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let area = dir.path().join("申請取込");
    std::fs::create_dir_all(&area).unwrap();
    // SKI-06 is a requirement renkei does not judge (`not_judged`): a scenario for it is reported.
    let shoukai = dir.path().join("情報照会・提供");
    std::fs::create_dir_all(&shoukai).unwrap();
    std::fs::write(
        shoukai.join("y.feature"),
        "# language: ja\n機能: y\n\n  @SKI-06\n  シナリオ: 判定しない要件\n    もし 申請管理システムが取込を行う\n",
    )
    .unwrap();
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
    assert!(
        problems
            .iter()
            .any(|p| p.contains("要件 SKI-06 ") && p.contains("not_judged を消します")),
        "{problems:?}"
    );
    // Without a scenario, a requirement with `not_judged` is not a problem.
    std::fs::remove_file(shoukai.join("y.feature")).unwrap();
    let suite = Suite::from_dir(dir.path()).unwrap();
    let problems = suite.check_against(RequirementCatalog::embedded());
    assert!(
        !problems.iter().any(|p| p.contains("SKI-06")),
        "{problems:?}"
    );
}
