//! The requirement catalog: renkei's own file is complete and well-formed, every catalog rule
//! rejects a broken entry by name, and `docs/requirements.md` lists exactly what the file holds.

use std::path::{Path, PathBuf};

use renkei_scenarios::{
    Area, CatalogError, Citation, RequirementCatalog, RequirementId, render_markdown, render_table,
};

/// Every rule of `../shared/RULES.md` outside the BCL section (a later issue). Kept here, not
/// read from `../shared`, so the test does not depend on a checkout beside this one.
const RULES_MD: &[&str] = &[
    "ING-01", "ING-02", "ING-03", "ING-04", "ING-05", "ING-06", "ING-07", "ING-08", "ING-09",
    "ING-10", "ING-11", "ING-12", "ING-13", "ING-14", "ING-15", "ING-16", "ING-17", "ING-18",
    "ING-19", "ING-20", "ING-21", "ING-22", "ING-23", "JUK-01", "JUK-02", "JUK-03", "JUK-04",
    "JUK-05", "JUK-06", "JUK-07", "FUK-01", "FUK-02", "FUK-03", "FUK-04", "FUK-05", "FUK-06",
    "FUK-07", "FUK-08", "FUK-09", "FUK-10", "FUK-11", "FUK-12", "FUK-13", "FUK-14", "FUK-15",
    "SKI-01", "SKI-02", "SKI-03", "SKI-04", "SKI-05", "SKI-06", "SKI-07", "SKI-08", "SKI-09",
    "SKI-10", "SKI-11", "SKI-12", "TKY-01", "TKY-02", "TKY-03", "TKM-01", "TKM-02", "SEC-01",
    "SEC-02", "KIK-01", "KIK-02", "KIK-03", "KIK-04", "KIK-05",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_embedded_catalog_loads_with_at_least_60_requirements() {
    let catalog = RequirementCatalog::embedded();
    assert!(catalog.len() >= 60, "only {} requirements", catalog.len());
    for &area in Area::ALL {
        assert!(
            catalog.in_area(area).count() > 0,
            "{area} has no requirement"
        );
    }
    let per_area: usize = Area::ALL.iter().map(|&a| catalog.in_area(a).count()).sum();
    assert_eq!(per_area, catalog.len());
}

#[test]
fn every_rule_of_rules_md_outside_bcl_is_in_the_catalog_whole_or_split() {
    let catalog = RequirementCatalog::embedded();
    let missing: Vec<&str> = RULES_MD
        .iter()
        .copied()
        .filter(|rule| catalog.parts_of(rule).is_empty())
        .collect();
    assert!(missing.is_empty(), "not in the catalog: {missing:?}");
    for rule in RULES_MD {
        let parts = catalog.parts_of(rule);
        let whole = parts.len() == 1 && parts[0].id().as_str() == *rule;
        let split = parts.len() >= 2 && parts.iter().all(|p| p.split().is_some());
        assert!(whole || split, "{rule}: {parts:?}");
    }
    // IDs of our own are welcome in the same scheme; BCL waits for its issue.
    assert!(catalog.iter().all(|r| !r.id().as_str().starts_with("BCL")));
}

#[test]
fn get_and_in_area_find_what_the_file_says() {
    let catalog = RequirementCatalog::embedded();
    let ing02 = catalog.get("ING-02").expect("ING-02");
    assert_eq!(ing02.area(), Area::ShinseiTorikomi);
    assert_eq!(ing02.role().name(), "申請管理システム");
    assert!(catalog.get("ING-08").is_none(), "ING-08 is split");
    let parts: Vec<&str> = catalog
        .parts_of("ING-08")
        .iter()
        .map(|r| r.id().as_str())
        .collect();
    assert_eq!(parts, ["ING-08a", "ING-08b"]);
    assert!(
        catalog
            .in_area(Area::KikankanTest)
            .all(|r| r.id().as_str().starts_with("KIK"))
    );
    assert!(catalog.get("ZZZ-99").is_none());
}

#[test]
fn every_docs_page_cited_exists_and_every_source_reads_back_as_written() {
    let root = workspace_root();
    for r in RequirementCatalog::embedded() {
        for citation in r.citations() {
            if let Citation::Docs { path, .. } = citation {
                assert!(
                    root.join(path).is_file(),
                    "{}: {path} does not exist",
                    r.id()
                );
            }
        }
        let written: Vec<String> = r.citations().iter().map(ToString::to_string).collect();
        assert_eq!(written.join("; "), r.source(), "{}", r.id());
    }
}

#[test]
fn requirement_ids_have_the_documented_form() {
    for good in ["ING-01", "KIK-01a", "SEC-99"] {
        assert!(RequirementId::parse(good).is_some(), "{good}");
    }
    for bad in [
        "ING-1",
        "ing-01",
        "ING-01A",
        "ING-012",
        "ING_01",
        "IN-01",
        "ＩＮＧ-01",
        "ING-01ab",
        "",
    ] {
        assert!(RequirementId::parse(bad).is_none(), "{bad}");
    }
    let split = RequirementId::parse("TKM-02b").unwrap();
    assert_eq!((split.rule(), split.split_letter()), ("TKM-02", Some('b')));
}

#[test]
fn citations_are_seed_sections_or_docs_pages() {
    assert_eq!(
        Citation::parse("seed 004 §2.11 a"),
        Some(Citation::Seed {
            number: 4,
            section: "2.11 a".into()
        })
    );
    assert_eq!(
        Citation::parse("docs/pittari-api.md「States」"),
        Some(Citation::Docs {
            path: "docs/pittari-api.md".into(),
            section: "「States」".into()
        })
    );
    for bad in [
        "seed 005 §1",
        "seed 4 §1",
        "seed 004",
        "seed 004 §",
        "docs/pittari-api",
        "docs/../RULES.md",
        "RULES.md",
        "DOMAIN.md",
        "renkei",
    ] {
        assert_eq!(Citation::parse(bad), None, "{bad}");
    }
}

/// One valid entry with `id`, with `edit` applied to its lines (`key = value` replaced, or a
/// line added when the key is absent, or removed when the value is empty).
fn entry(id: &str, edits: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("id", format!("\"{id}\"")),
        ("area", "\"申請取込\"".to_owned()),
        ("role", "\"申請管理システム\"".to_owned()),
        ("title", "\"新しい申請をすべて取り込む\"".to_owned()),
        (
            "description",
            "\"未取得の申請を最後のページまで取り込む。\"".to_owned(),
        ),
        ("source", "\"seed 001 §5 ③-1\"".to_owned()),
    ];
    for &(key, value) in edits {
        match fields.iter().position(|(k, _)| *k == key) {
            Some(i) if value.is_empty() => {
                fields.remove(i);
            }
            Some(i) => fields[i].1 = value.to_owned(),
            None => fields.push((key, value.to_owned())),
        }
    }
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("[[requirement]]\n{}\n\n", body.join("\n"))
}

/// Loads `text`, which must fail, and returns the message.
fn rejected(text: &str) -> String {
    match RequirementCatalog::from_toml(text) {
        Ok(catalog) => panic!("accepted {} requirements:\n{text}", catalog.len()),
        Err(e) => e.to_string(),
    }
}

fn assert_names(message: &str, entry: &str, rule: &str) {
    assert!(
        message.contains(entry),
        "the message does not name {entry}:\n{message}"
    );
    assert!(
        message.contains(rule),
        "the message does not say「{rule}」:\n{message}"
    );
}

#[test]
fn a_small_valid_catalog_loads() {
    let text = entry("ING-01", &[])
        + &entry(
            "ING-02a",
            &[
                ("split", "\"ING-02 を分けた\""),
                ("source", "\"docs/pittari-api.md; seed 000 §3\""),
            ],
        )
        + &entry("ING-02b", &[("split", "\"ING-02 を分けた\"")]);
    let catalog = RequirementCatalog::from_toml(&text).unwrap();
    assert_eq!(catalog.len(), 3);
    assert_eq!(catalog.get("ING-02a").unwrap().citations().len(), 2);
}

#[test]
fn each_catalog_rule_rejects_a_broken_entry_by_name() {
    let ok = entry("ING-01", &[]);
    let cases: Vec<(String, &str, &str)> = vec![
        (
            ok.clone() + &entry("ING-1", &[]),
            "requirement ING-1 (entry 2)",
            "does not have the form AAA-00",
        ),
        (
            ok.clone() + &entry("", &[("id", "")]),
            "requirement entry 2 (no id)",
            "`id` is missing or empty",
        ),
        (
            ok.clone() + &entry("ING-01", &[]),
            "requirement ING-01 (entry 2)",
            "already used by entry 1",
        ),
        (
            ok.clone() + &entry("ING-02", &[("area", "\"申請\"")]),
            "requirement ING-02 (entry 2)",
            "「申請」は領域ではありません",
        ),
        (
            ok.clone() + &entry("ING-02", &[("role", "\"基幹システム\"")]),
            "requirement ING-02 (entry 2)",
            "「基幹システム」は役割ではありません",
        ),
        (
            ok.clone() + &entry("ING-02", &[("title", "\"  \"")]),
            "requirement ING-02 (entry 2)",
            "`title` is missing or empty",
        ),
        (
            ok.clone() + &entry("ING-02", &[("description", "")]),
            "requirement ING-02 (entry 2)",
            "`description` is missing or empty",
        ),
        (
            ok.clone() + &entry("ING-02", &[("source", "\"\"")]),
            "requirement ING-02 (entry 2)",
            "`source` is missing or empty",
        ),
        (
            ok.clone() + &entry("ING-02", &[("source", "\"seed 001 §5; seed 007 §1\"")]),
            "requirement ING-02 (entry 2)",
            "source 「seed 007 §1」 is neither",
        ),
        (
            ok.clone() + &entry("ING-02", &[("source", "\"RULES.md\"")]),
            "requirement ING-02 (entry 2)",
            "source 「RULES.md」 is neither",
        ),
        (
            ok.clone() + &entry("ING-02a", &[]) + &entry("ING-02b", &[("split", "\"分けた\"")]),
            "requirement ING-02a (entry 2)",
            "needs a `split` note",
        ),
        (
            ok.clone() + &entry("ING-02", &[("split", "\"分けた\"")]),
            "requirement ING-02 (entry 2)",
            "has a `split` note but its id has no split letter",
        ),
        (
            ok.clone() + &entry("ING-01a", &[("split", "\"分けた\"")]),
            "requirement ING-01 (entry 1)",
            "ING-01 is present both whole and split",
        ),
        (
            ok.clone() + &entry("ING-02a", &[("split", "\"分けた\"")]),
            "requirement ING-02a (entry 2)",
            "the only part of ING-02",
        ),
        (
            ok.clone() + &entry("ING-02", &[("not_judged", "\" \"")]),
            "requirement ING-02 (entry 2)",
            "`not_judged` is empty",
        ),
    ];
    for (text, entry, rule) in cases {
        assert_names(&rejected(&text), entry, rule);
    }
}

#[test]
fn a_not_judged_reason_is_read_and_shown() {
    let text = entry("ING-01", &[])
        + &entry(
            "ING-02",
            &[("not_judged", "\"どのシステムも合格してしまう\"")],
        );
    let catalog = RequirementCatalog::from_toml(&text).unwrap();
    assert_eq!(catalog.get("ING-01").unwrap().not_judged(), None);
    assert_eq!(
        catalog.get("ING-02").unwrap().not_judged(),
        Some("どのシステムも合格してしまう")
    );
    let table = render_table(&catalog, None);
    assert!(
        table.contains(
            "ING-02 新しい申請をすべて取り込む — 判定しない理由: どのシステムも合格してしまう"
        ),
        "{table}"
    );
    let markdown = render_markdown(&catalog, None);
    assert!(
        markdown.contains("判定しない理由: どのシステムも合格してしまう"),
        "{markdown}"
    );
    let judged_only = RequirementCatalog::from_toml(&entry("ING-01", &[])).unwrap();
    assert!(!render_table(&judged_only, None).contains("判定しない"));
}

#[test]
fn ski_06_says_why_renkei_does_not_judge_it() {
    // docs/kizon-gyomu.md explains it at length; the catalog carries the short reason.
    let reason = RequirementCatalog::embedded()
        .get("SKI-06")
        .and_then(|r| r.not_judged())
        .expect("SKI-06 has `not_judged`");
    assert!(reason.contains("SKI-05"), "{reason}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = entry("ING-1", &[]) + &entry("ING-02", &[("area", "\"x\""), ("title", "\"\"")]);
    let message = rejected(&text);
    assert!(message.contains("3 problem(s)"), "{message}");
}

#[test]
fn malformed_files_are_rejected_with_their_place() {
    assert!(matches!(
        RequirementCatalog::from_toml(""),
        Err(CatalogError::Empty)
    ));
    let unknown_field = entry("ING-01", &[("titel", "\"x\"")]);
    let message = rejected(&unknown_field);
    assert!(message.contains("titel"), "{message}");
    assert!(rejected("[[requirement]\nid = 1").contains("line 1"));
}

#[test]
fn the_table_lists_every_requirement_under_its_columns() {
    let catalog = RequirementCatalog::embedded();
    let all = render_table(catalog, None);
    for header in ["ID", "領域", "名称", "出典"] {
        assert!(all.contains(header), "{header}");
    }
    for r in catalog {
        assert!(all.contains(r.id().as_str()), "{}", r.id());
        assert!(all.contains(r.title()), "{}", r.title());
    }
    let juki = render_table(catalog, Some(Area::JukiRenkei));
    assert!(juki.contains("JUK-07"));
    assert!(!juki.contains("ING-01"));
    assert_eq!(
        juki.lines().filter(|l| l.contains("住基連携")).count(),
        catalog.in_area(Area::JukiRenkei).count()
    );
}

const BEGIN: &str = "<!-- requirements:begin (generated by render_markdown; RENKEI_BLESS=1 cargo test -p renkei-scenarios rewrites it) -->\n";
const END: &str = "<!-- requirements:end -->";

/// `docs/requirements.md` lists exactly the catalog: the part between the markers is
/// `render_markdown`'s output. `RENKEI_BLESS=1` rewrites that part after the file changes.
#[test]
fn docs_requirements_md_lists_every_requirement() {
    let path = workspace_root().join("docs/requirements.md");
    let mut page = std::fs::read_to_string(&path).expect("docs/requirements.md");
    let start = page.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = page.find(END).expect("end marker");
    let expected = render_markdown(RequirementCatalog::embedded(), None);
    if page[start..end] != expected {
        if std::env::var_os("RENKEI_BLESS").is_some() {
            page = format!("{}{expected}{}", &page[..start], &page[end..]);
            std::fs::write(&path, &page).unwrap();
        } else {
            panic!(
                "docs/requirements.md is out of date with data/requirements.toml; \
                 run `RENKEI_BLESS=1 cargo test -p renkei-scenarios` and review the diff"
            );
        }
    }
    for r in RequirementCatalog::embedded() {
        assert!(page.contains(&format!("| {} |", r.id())), "{}", r.id());
    }
}
