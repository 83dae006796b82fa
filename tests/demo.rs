//! The verdicts are the product (DESIGN.md "Trust in the verdicts"): `renkei demo` passes against
//! the conformant reference vendor, and every seeded defect is caught by the requirement it
//! breaks — and by no other. Real processes: the renkei command, the reference vendor it starts,
//! the simulators on loopback.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod support;

fn renkei() -> Command {
    Command::new(env!("CARGO_BIN_EXE_renkei"))
}

/// Runs `renkei demo` with `extra` args into `dir`; (exit code, run.json).
fn demo(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let output = renkei()
        .args(["demo", "--quiet", "--report-dir"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(dir.join("run.json")).unwrap_or_else(|e| {
        panic!(
            "no run.json ({e}); stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_str(&text).unwrap(),
    )
}

fn with_verdict(run: &Value, verdict: &str) -> BTreeSet<String> {
    run["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == verdict)
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Why each scenario that did not pass did not, for the assertion message.
fn failures(run: &Value) -> String {
    let mut out = String::new();
    for s in run["scenarios"].as_array().unwrap() {
        if s["status"] == "passed" {
            continue;
        }
        for step in s["steps"].as_array().unwrap() {
            if let Some(m) = step["message"].as_str() {
                out.push_str(&format!(
                    "\n  {} {} [{}] {}: {m}",
                    s["feature"], s["name"], s["status"], step["text"]
                ));
            }
        }
    }
    out
}

fn validate_run(run: &Value) {
    support::validate_with_schema("run.schema.json", run);
}

#[test]
fn the_reference_vendor_conforms_to_every_requirement_it_can_be_judged_on() {
    let dir = tempfile::tempdir().unwrap();
    let (code, run) = demo(dir.path(), &[]);
    validate_run(&run);
    let failed = with_verdict(&run, "fail");
    let errors = with_verdict(&run, "error");
    assert!(
        failed.is_empty() && errors.is_empty(),
        "不適合 {failed:?} 判定不能 {errors:?}{}",
        failures(&run)
    );
    assert_eq!(code, 0);
    let passed = with_verdict(&run, "pass");
    assert!(passed.len() >= 30, "{passed:?}");
}

#[test]
fn a_pair_of_reference_vendors_passes_the_kikan_test_each_for_its_own_dantai() {
    let dir = tempfile::tempdir().unwrap();
    let (code, run) = demo(dir.path(), &["--pair", "--tags", "@機関間テスト"]);
    validate_run(&run);
    assert_eq!(run["suts"].as_array().unwrap().len(), 2);
    let failed = with_verdict(&run, "fail");
    let errors = with_verdict(&run, "error");
    assert!(
        failed.is_empty() && errors.is_empty(),
        "不適合 {failed:?} 判定不能 {errors:?}{}",
        failures(&run)
    );
    assert_eq!(code, 0);
    // Both directions ran against the second system, not renkei: its jobs are in the evidence.
    let partner_jobs = run["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .flat_map(|st| st["evidence"].as_array().unwrap())
        .filter(|e| {
            e["kind"] == "job"
                && e["title"]
                    .as_str()
                    .is_some_and(|t| t.contains("(調布市): kikan_test"))
        })
        .count();
    assert!(partner_jobs >= 2, "the partner system ran no kikan_test");
}

/// Defects that cannot break one requirement alone, with the requirements they also break and
/// why that is right. Each of their own requirements still has a defect that breaks it alone.
const COLLATERAL: &[(&str, &[&str], &str)] = &[(
    "ecdsa-rejected",
    &["ING-07b", "ING-11", "ING-15", "ING-18"],
    "a system that cannot verify a valid signature records 署名形式不正 for every 申請: \
     attachments are compared only once the signature holds (docs/jpki.md), and 一括取込 refuses \
     申請 that are not 検証済み (docs/sut-adapter.md) — valid-warned breaks ING-06 alone",
)];

/// The area (申請取込, 副本登録, …) of a requirement: a defect's run is limited to the scenarios of
/// its requirement's area. Each area is one role's work, so a defect in one role's code cannot show
/// in another area's scenarios; running only the area keeps the proof within the CI budget.
fn area_of(requirement: &str) -> String {
    renkei_scenarios::RequirementCatalog::embedded()
        .get(requirement)
        .unwrap_or_else(|| panic!("{requirement} is not in the catalog"))
        .area()
        .name()
        .to_owned()
}

#[test]
fn every_seeded_defect_is_caught_by_its_requirement_and_only_by_it() {
    let defects = renkei_reference_vendor::defects();
    assert!(!defects.is_empty());
    let root = tempfile::tempdir().unwrap();
    // A few at a time from one queue, so that no worker idles while another has the heavy
    // areas left: each run is a process that spends much of its time waiting on its simulators,
    // the system and the disk, so one more worker than the two cores keeps them busy.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::env::var("RENKEI_DEFECT_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(3usize);
    let results: Vec<(String, String, i32, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                let (root, next, defects) = (root.path().to_owned(), &next, &defects);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    while let Some(d) =
                        defects.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        let dir = root.join(d.id);
                        let tags = format!("@{}", area_of(d.requirement));
                        let (code, run) = demo(&dir, &["--defect", d.id, "--tags", &tags]);
                        done.push((d.id.to_owned(), d.requirement.to_owned(), code, run));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut problems = Vec::new();
    for (id, requirement, code, run) in &results {
        let failed = with_verdict(run, "fail");
        let errors = with_verdict(run, "error");
        let mut expected = BTreeSet::from([requirement.clone()]);
        if let Some((_, also, _)) = COLLATERAL.iter().find(|(d, ..)| d == id) {
            expected.extend(also.iter().map(|r| r.to_string()));
        }
        if failed != expected || !errors.is_empty() || *code != 1 {
            problems.push(format!(
                "--defect {id}: {requirement} だけが不適合のはずが、不適合 {failed:?} 判定不能 {errors:?} (終了コード {code}){}",
                failures(run)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // Every requirement the suite judges has a defect that only it catches.
    let caught: BTreeSet<&str> = defects
        .iter()
        .filter(|d| !COLLATERAL.iter().any(|(id, ..)| *id == d.id))
        .map(|d| d.requirement)
        .collect();
    let judged = results
        .iter()
        .flat_map(|(.., run)| {
            with_verdict(run, "pass")
                .into_iter()
                .chain(with_verdict(run, "fail"))
        })
        .collect::<BTreeSet<_>>();
    let uncaught: Vec<&String> = judged
        .iter()
        .filter(|r| !caught.contains(r.as_str()))
        .collect();
    assert!(uncaught.is_empty(), "no seeded defect breaks {uncaught:?}");
}

#[test]
fn list_defects_names_each_with_its_requirement() {
    let output = renkei().args(["demo", "--list-defects"]).output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for d in renkei_reference_vendor::defects() {
        assert!(
            text.contains(d.id) && text.contains(d.requirement),
            "{}",
            d.id
        );
    }
}

#[test]
fn an_unknown_defect_is_refused_with_the_list() {
    let output = renkei()
        .args(["demo", "--defect", "no-such-defect"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no-such-defect"), "{stderr}");
}
