//! The conformance suite: the Japanese feature files of `features/`, parsed into runnable
//! scenarios, with the checks that keep them and the requirement catalog in step.

use std::collections::BTreeSet;

use gherkin::{Feature, GherkinEnv, StepType};

use crate::requirements::{Area, RequirementCatalog};

include!(concat!(env!("OUT_DIR"), "/features.rs"));

/// One scenario ready to run: background steps first, outline placeholders filled.
#[derive(Debug, Clone)]
pub struct SuiteScenario {
    /// `申請取込/署名検証.feature`
    pub feature: String,
    pub feature_name: String,
    pub area: Area,
    pub name: String,
    pub line: usize,
    /// Tags without `@`: the feature's, then the scenario's, then the example block's.
    pub tags: Vec<String>,
    pub steps: Vec<SuiteStep>,
}

impl SuiteScenario {
    /// The tags that are requirement IDs of `catalog`.
    pub fn requirements(&self, catalog: &RequirementCatalog) -> Vec<String> {
        self.tags
            .iter()
            .filter(|t| catalog.get(t).is_some())
            .cloned()
            .collect()
    }
}

/// One step.
#[derive(Debug, Clone)]
pub struct SuiteStep {
    /// As written: 前提 / もし / ならば / かつ / しかし.
    pub keyword: String,
    pub kind: StepType,
    pub text: String,
    pub line: usize,
    /// A data table, rows of cells (the header row first).
    pub table: Option<Vec<Vec<String>>>,
    pub docstring: Option<String>,
}

/// Why the suite cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct SuiteError(pub Vec<String>);

/// The parsed suite.
#[derive(Debug, Clone)]
pub struct Suite {
    pub scenarios: Vec<SuiteScenario>,
}

impl Suite {
    /// The suite built into renkei.
    pub fn embedded() -> Result<Suite, SuiteError> {
        Suite::from_texts(
            FEATURES
                .iter()
                .map(|(path, text)| (path.to_string(), text.to_string())),
        )
    }

    /// The feature files under `dir` (`renkei run --features DIR`).
    pub fn from_dir(dir: &std::path::Path) -> Result<Suite, SuiteError> {
        let mut texts = Vec::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            let entries = std::fs::read_dir(&d)
                .map_err(|e| SuiteError(vec![format!("{}: 読めません: {e}", d.display())]))?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "feature") {
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        SuiteError(vec![format!("{}: 読めません: {e}", path.display())])
                    })?;
                    let relative = path.strip_prefix(dir).unwrap_or(&path);
                    texts.push((relative.to_string_lossy().replace('\\', "/"), text));
                }
            }
        }
        texts.sort();
        Suite::from_texts(texts)
    }

    fn from_texts(texts: impl IntoIterator<Item = (String, String)>) -> Result<Suite, SuiteError> {
        let mut scenarios = Vec::new();
        let mut problems = Vec::new();
        for (path, text) in texts {
            let area_name = path.split('/').next().unwrap_or_default();
            let Ok(area) = area_name.parse::<Area>() else {
                problems.push(format!(
                    "features/{path}: 領域のフォルダ (申請取込、住基連携、副本登録、情報照会・提供、機関間テスト) の下にありません"
                ));
                continue;
            };
            if text
                .lines()
                .next()
                .is_none_or(|l| l.trim() != "# language: ja")
            {
                problems.push(format!("features/{path}:1: 1行目は「# language: ja」です"));
                continue;
            }
            match Feature::parse(&text, GherkinEnv::default()) {
                Err(e) => problems.push(format!("features/{path}: 読めません: {e}")),
                Ok(feature) => expand(&path, area, &feature, &mut scenarios),
            }
        }
        if problems.is_empty() {
            Ok(Suite { scenarios })
        } else {
            Err(SuiteError(problems))
        }
    }

    /// The rules that tie the suite to the catalog (DESIGN.md): every scenario names at least
    /// one requirement and only known ones, and every requirement has a scenario — except one
    /// the catalog says renkei does not judge (`not_judged`), which must have none.
    pub fn check_against(&self, catalog: &RequirementCatalog) -> Vec<String> {
        let mut problems = Vec::new();
        let mut covered = BTreeSet::new();
        for s in &self.scenarios {
            let ids: Vec<&String> = s.tags.iter().filter(|t| looks_like_id(t)).collect();
            if ids.is_empty() {
                problems.push(format!(
                    "features/{}:{}: シナリオ「{}」に要件のタグがありません",
                    s.feature, s.line, s.name
                ));
            }
            for id in ids {
                match catalog.get(id) {
                    None => problems.push(format!(
                        "features/{}:{}: 知らない要件 @{id}",
                        s.feature, s.line
                    )),
                    Some(r) if r.area() != s.area => problems.push(format!(
                        "features/{}:{}: @{id} は「{}」の要件で、このシナリオは「{}」にあります",
                        s.feature,
                        s.line,
                        r.area(),
                        s.area
                    )),
                    Some(_) => {
                        covered.insert(id.clone());
                    }
                }
            }
        }
        for r in catalog.iter() {
            match (covered.contains(r.id().as_str()), r.not_judged()) {
                (false, None) => problems.push(format!(
                    "要件 {} ({}) を確かめるシナリオがありません (features/ に書くか、判定しない理由を scenarios/data/requirements.toml の not_judged に書きます)",
                    r.id(),
                    r.title()
                )),
                (true, Some(_)) => problems.push(format!(
                    "要件 {} ({}) にはシナリオがありますが、要件カタログは判定しない (not_judged) と言っています: not_judged を消します",
                    r.id(),
                    r.title()
                )),
                _ => {}
            }
        }
        problems
    }
}

/// `ING-03`, `KIK-01a`: three capitals, a dash, two digits, an optional split letter.
fn looks_like_id(tag: &str) -> bool {
    let b = tag.as_bytes();
    b.len() >= 6
        && b[..3].iter().all(u8::is_ascii_uppercase)
        && b[3] == b'-'
        && b[4..6].iter().all(u8::is_ascii_digit)
        && b[6..].iter().all(u8::is_ascii_lowercase)
        && b.len() <= 7
}

fn strip(tag: &str) -> String {
    tag.trim_start_matches('@').to_owned()
}

fn step_of(step: &gherkin::Step, fill: &dyn Fn(&str) -> String) -> SuiteStep {
    SuiteStep {
        keyword: step.keyword.trim().to_owned(),
        kind: step.ty,
        text: fill(&step.value),
        line: step.position.line,
        table: step.table.as_ref().map(|t| {
            t.rows
                .iter()
                .map(|r| r.iter().map(|c| fill(c)).collect())
                .collect()
        }),
        docstring: step.docstring.as_ref().map(|d| fill(d)),
    }
}

fn expand(path: &str, area: Area, feature: &Feature, out: &mut Vec<SuiteScenario>) {
    let all_scenarios = feature.scenarios.iter().map(|s| (s, None)).chain(
        feature
            .rules
            .iter()
            .flat_map(|r| r.scenarios.iter().map(move |s| (s, Some(r)))),
    );
    for (scenario, rule) in all_scenarios {
        let mut backgrounds: Vec<&gherkin::Background> = feature.background.iter().collect();
        if let Some(rule) = rule {
            backgrounds.extend(rule.background.iter());
        }
        let mut base_tags: Vec<String> = feature.tags.iter().map(|t| strip(t)).collect();
        if let Some(rule) = rule {
            base_tags.extend(rule.tags.iter().map(|t| strip(t)));
        }
        base_tags.extend(scenario.tags.iter().map(|t| strip(t)));
        let identity = |s: &str| s.to_owned();
        if scenario.examples.is_empty() {
            let steps = backgrounds
                .iter()
                .flat_map(|b| b.steps.iter())
                .chain(&scenario.steps)
                .map(|s| step_of(s, &identity))
                .collect();
            out.push(SuiteScenario {
                feature: path.to_owned(),
                feature_name: feature.name.clone(),
                area,
                name: scenario.name.clone(),
                line: scenario.position.line,
                tags: base_tags.clone(),
                steps,
            });
            continue;
        }
        for examples in &scenario.examples {
            let Some(table) = &examples.table else {
                continue;
            };
            let Some((header, rows)) = table.rows.split_first() else {
                continue;
            };
            for row in rows {
                let fill = |text: &str| {
                    let mut text = text.to_owned();
                    for (name, value) in header.iter().zip(row) {
                        text = text.replace(&format!("<{name}>"), value);
                    }
                    text
                };
                let steps = backgrounds
                    .iter()
                    .flat_map(|b| b.steps.iter())
                    .map(|s| step_of(s, &identity))
                    .chain(scenario.steps.iter().map(|s| step_of(s, &fill)))
                    .collect();
                let mut tags = base_tags.clone();
                tags.extend(examples.tags.iter().map(|t| strip(t)));
                out.push(SuiteScenario {
                    feature: path.to_owned(),
                    feature_name: feature.name.clone(),
                    area,
                    name: fill(&scenario.name),
                    line: scenario.position.line,
                    tags,
                    steps,
                });
            }
        }
    }
}

/// A tag expression: `@ING-03`, `not @x`, `@a and (@b or @c)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagExpr {
    Tag(String),
    Not(Box<TagExpr>),
    And(Box<TagExpr>, Box<TagExpr>),
    Or(Box<TagExpr>, Box<TagExpr>),
}

impl TagExpr {
    /// Parses an expression; `Err` says where it went wrong.
    pub fn parse(text: &str) -> Result<TagExpr, String> {
        let tokens = tokenize(text)?;
        let mut pos = 0;
        let expr = parse_or(&tokens, &mut pos)?;
        if pos != tokens.len() {
            return Err(format!(
                "タグの式「{text}」: 「{}」が余っています",
                tokens[pos]
            ));
        }
        Ok(expr)
    }

    pub fn matches(&self, tags: &[String]) -> bool {
        match self {
            TagExpr::Tag(t) => tags.iter().any(|x| x == t),
            TagExpr::Not(e) => !e.matches(tags),
            TagExpr::And(a, b) => a.matches(tags) && b.matches(tags),
            TagExpr::Or(a, b) => a.matches(tags) || b.matches(tags),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
                tokens.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    if tokens.is_empty() {
        return Err("タグの式が空です".into());
    }
    Ok(tokens)
}

fn parse_or(tokens: &[String], pos: &mut usize) -> Result<TagExpr, String> {
    let mut left = parse_and(tokens, pos)?;
    while tokens.get(*pos).is_some_and(|t| t == "or") {
        *pos += 1;
        left = TagExpr::Or(Box::new(left), Box::new(parse_and(tokens, pos)?));
    }
    Ok(left)
}

fn parse_and(tokens: &[String], pos: &mut usize) -> Result<TagExpr, String> {
    let mut left = parse_not(tokens, pos)?;
    while tokens.get(*pos).is_some_and(|t| t == "and") {
        *pos += 1;
        left = TagExpr::And(Box::new(left), Box::new(parse_not(tokens, pos)?));
    }
    Ok(left)
}

fn parse_not(tokens: &[String], pos: &mut usize) -> Result<TagExpr, String> {
    match tokens.get(*pos).map(String::as_str) {
        Some("not") => {
            *pos += 1;
            Ok(TagExpr::Not(Box::new(parse_not(tokens, pos)?)))
        }
        Some("(") => {
            *pos += 1;
            let inner = parse_or(tokens, pos)?;
            if tokens.get(*pos).map(String::as_str) != Some(")") {
                return Err("タグの式: 「(」が閉じていません".into());
            }
            *pos += 1;
            Ok(inner)
        }
        Some(t) if t.starts_with('@') && t.len() > 1 => {
            *pos += 1;
            Ok(TagExpr::Tag(t[1..].to_owned()))
        }
        Some(t) => Err(format!(
            "タグの式: 「{t}」はタグ (@で始まる) ではありません"
        )),
        None => Err("タグの式: 終わりにタグがありません".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_expressions() {
        let tags = vec!["ING-03".to_owned(), "遅い".to_owned()];
        assert!(TagExpr::parse("@ING-03").unwrap().matches(&tags));
        assert!(
            !TagExpr::parse("@ING-03 and not @遅い")
                .unwrap()
                .matches(&tags)
        );
        assert!(
            TagExpr::parse("@X or (@ING-03 and @遅い)")
                .unwrap()
                .matches(&tags)
        );
        assert!(TagExpr::parse("ING-03").is_err());
        assert!(TagExpr::parse("(@a").is_err());
        assert!(TagExpr::parse("@a @b").is_err());
    }

    #[test]
    fn ids() {
        assert!(looks_like_id("ING-03"));
        assert!(looks_like_id("KIK-01a"));
        assert!(!looks_like_id("遅い"));
        assert!(!looks_like_id("ING-3"));
    }

    #[test]
    fn outlines_and_backgrounds_expand() {
        let text = "# language: ja\n機能: 例\n\n  背景:\n    前提 準備する\n\n  @ING-01\n  シナリオアウトライン: <n>件\n    もし <n>件を取り込む\n\n    例:\n      | n |\n      | 1 |\n      | 2 |\n";
        let suite =
            Suite::from_texts([("申請取込/x.feature".to_owned(), text.to_owned())]).unwrap();
        assert_eq!(suite.scenarios.len(), 2);
        assert_eq!(suite.scenarios[1].name, "2件");
        assert_eq!(suite.scenarios[1].steps[0].text, "準備する");
        assert_eq!(suite.scenarios[1].steps[1].text, "2件を取り込む");
        assert_eq!(suite.scenarios[0].tags, vec!["ING-01"]);
    }
}
