//! The requirement catalog: `data/requirements.toml`, parsed once and checked.
//!
//! One entry is one requirement a vendor's system must meet: `id`, `area`, `role`, `title`,
//! `description`, `source`, for a rule split into parts a `split` note, and for a requirement
//! renkei deliberately does not judge a `not_judged` reason. The starting list and
//! its IDs are `../shared/RULES.md`; `docs/requirements.md` explains the fields and how IDs are
//! formed. Everything a later step relies on is checked here, so that code holding a
//! [`Requirement`] never re-checks it: the ID has the `AAA-00[a]` form, the area and role are
//! known, the texts are not empty, and every source is a citation of a seed section or a docs
//! page.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::Deserialize;
use tabled::builder::Builder;
use tabled::settings::Style;

/// The catalog file, compiled in so that `renkei requirements` and the runner need no files.
const EMBEDDED: &str = include_str!("../data/requirements.toml");

/// The seeds a `seed NNN §…` citation may name: `../shared/seeds/000_…` to `004_…`.
const SEEDS: std::ops::RangeInclusive<u16> = 0..=4;

/// A requirement ID: three capitals, a hyphen, two digits and, for one part of a split rule, a
/// lower-case letter (`ING-02`, `ING-08a`). Only [`RequirementId::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequirementId(String);

impl RequirementId {
    /// The ID if `text` has the form `^[A-Z]{3}-\d{2}[a-z]?$`.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let well_formed = matches!(bytes.len(), 6 | 7)
            && bytes[..3].iter().all(u8::is_ascii_uppercase)
            && bytes[3] == b'-'
            && bytes[4..6].iter().all(u8::is_ascii_digit)
            && bytes.get(6).is_none_or(u8::is_ascii_lowercase);
        well_formed.then(|| Self(text.to_owned()))
    }

    /// The ID as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The rule this ID checks: the ID without its split letter (`ING-08a` → `ING-08`), which is
    /// the ID in `RULES.md`.
    pub fn rule(&self) -> &str {
        &self.0[..6]
    }

    /// The split letter (`ING-08a` → `a`), `None` for a rule checked whole.
    pub fn split_letter(&self) -> Option<char> {
        self.0[6..].chars().next()
    }
}

impl fmt::Display for RequirementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name in the catalog (an area, a role) that is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("「{name}」は{what}ではありません (known: {known})")]
pub struct UnknownName {
    /// What was asked for: 領域 or 役割.
    pub what: &'static str,
    /// The name as given.
    pub name: String,
    /// The accepted names, comma-separated, for the message.
    pub known: String,
}

/// Declares a closed set of Japanese names with `ALL`, `name()`, `Display` and `FromStr`, so an
/// area or role is written once, here, and everything else refers to the variant.
macro_rules! names {
    ($(#[$meta:meta])* $ty:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $name:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $ty {
            $($(#[$vmeta])* $variant,)+
        }

        impl $ty {
            /// Every value, in the order of the suite and the reports.
            pub const ALL: &'static [$ty] = &[$($ty::$variant,)+];

            /// The Japanese name, as in the catalog file and the reports.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;

            fn from_str(name: &str) -> Result<Self, UnknownName> {
                Self::ALL.iter().copied().find(|v| v.name() == name).ok_or_else(|| UnknownName {
                    what: $what,
                    name: name.to_owned(),
                    known: Self::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", "),
                })
            }
        }
    };
}

names!(
    /// An area of the suite: one folder of `features/`, one section of the report.
    Area, "領域", {
        /// ぴったりサービスからの申請の取り込み (seed 000, seed 001 §5 ①③).
        ShinseiTorikomi => "申請取込",
        /// 住基ネットCS との証明書情報連携と符号取得 (seed 001 §5 ②, seed 004 §6.3).
        JukiRenkei => "住基連携",
        /// 中間サーバーへの副本登録 (seed 004 §2.2–2.5).
        FukuhonToroku => "副本登録",
        /// 情報照会と情報提供、その記録 (seed 004 §2.6, §2.11, §6.4).
        ShokaiTeikyo => "情報照会・提供",
        /// 団体どうしの機関間テスト (seed 004 §4.2).
        KikankanTest => "機関間テスト",
    }
);

names!(
    /// The municipal system a requirement binds: the part the vendor's system plays.
    Role, "役割", {
        /// Takes in the 申請 and hands them to the 基幹システム (seed 001 §5 ③).
        ShinseiKanri => "申請管理システム",
        /// Keeps the serial ↔ 宛名番号 link from 住基ネットCS (seed 001 §5 ②).
        KizonJuki => "既存住基システム",
        /// Registers 副本 and queries and provides through the 中間サーバー (seed 004 §6.4).
        KizonGyomu => "既存業務システム",
        /// Holds the 団体内統合宛名番号 and asks for 符号 (seed 004 §6.3).
        DantaiNaiTogoAtena => "団体内統合宛名システム",
    }
);

/// Where a requirement comes from: a section of one of the five seeds, or a renkei docs page
/// (for rules that follow from renkei's own interface).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Citation {
    /// `seed 004 §2.11 a`: `number` is 0–4, `section` the text after `§` (never empty).
    Seed { number: u16, section: String },
    /// `docs/pittari-api.md`: `path` is relative to the workspace root and ends in `.md`;
    /// `section` is any text after it (a heading in 「」), possibly empty.
    Docs { path: String, section: String },
}

impl Citation {
    /// One citation, or `None` when `text` is neither form.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(rest) = text.strip_prefix("seed ") {
            let (digits, section) = rest.split_once(" §")?;
            let number = (digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse::<u16>().ok())
                .flatten()
                .filter(|n| SEEDS.contains(n))?;
            let section = section.trim();
            return (!section.is_empty()).then(|| Citation::Seed {
                number,
                section: section.to_owned(),
            });
        }
        if text.starts_with("docs/") {
            let end = text
                .find(|c: char| c.is_whitespace() || c == '「')
                .unwrap_or(text.len());
            let (path, section) = text.split_at(end);
            let clean = path.ends_with(".md")
                && path
                    .split('/')
                    .all(|part| !part.is_empty() && part != "." && part != "..");
            return clean.then(|| Citation::Docs {
                path: path.to_owned(),
                section: section.trim().to_owned(),
            });
        }
        None
    }

    /// Every citation of a `source` field: the parts between `;`.
    fn parse_all(source: &str) -> Result<Vec<Self>, String> {
        source
            .split(';')
            .map(str::trim)
            .map(|part| Citation::parse(part).ok_or_else(|| part.to_owned()))
            .collect()
    }
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Citation::Seed { number, section } => write!(f, "seed {number:03} §{section}"),
            Citation::Docs { path, section } if section.is_empty() => f.write_str(path),
            Citation::Docs { path, section } => write!(f, "{path}{section}"),
        }
    }
}

/// One requirement, checked: built only by [`RequirementCatalog::from_toml`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    id: RequirementId,
    area: Area,
    role: Role,
    title: String,
    description: String,
    source: String,
    /// The parsed `source`, at least one, in the order written.
    citations: Vec<Citation>,
    /// Why the rule was split; `Some` exactly when the ID has a split letter.
    split: Option<String>,
    /// Why renkei does not judge it (no scenario checks it); never empty when `Some`.
    not_judged: Option<String>,
}

impl Requirement {
    /// The ID the features tag their scenarios with.
    pub fn id(&self) -> &RequirementId {
        &self.id
    }

    /// The area of the suite that checks it.
    pub fn area(&self) -> Area {
        self.area
    }

    /// The municipal system it binds.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The short Japanese name a person reads in a report.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// What a conforming system does and what would break it.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The `source` field as written (`seed 001 §5 ③-3 i`, `docs/pittari-api.md`, …).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The citations of [`Requirement::source`], parsed.
    pub fn citations(&self) -> &[Citation] {
        &self.citations
    }

    /// For one part of a split rule, the note saying what was split and why.
    pub fn split(&self) -> Option<&str> {
        self.split.as_deref()
    }

    /// For a requirement renkei deliberately does not judge, the reason, in Japanese: no scenario
    /// checks it, so a run reports it as 未実行 and the reports show this text beside it.
    /// `None` for every requirement a scenario checks.
    pub fn not_judged(&self) -> Option<&str> {
        self.not_judged.as_deref()
    }
}

/// The whole catalog, in file order, with an index by ID.
#[derive(Debug, Clone)]
pub struct RequirementCatalog {
    requirements: Vec<Requirement>,
    /// ID → position in `requirements`; a `BTreeMap` so that [`RequirementCatalog::parts_of`]
    /// finds a rule's parts with one range scan.
    by_id: BTreeMap<String, usize>,
}

impl RequirementCatalog {
    /// renkei's catalog, `data/requirements.toml`, parsed and checked on first use.
    ///
    /// ```
    /// use renkei_scenarios::{Area, RequirementCatalog};
    /// let catalog = RequirementCatalog::embedded();
    /// assert_eq!(catalog.get("ING-02").unwrap().area(), Area::ShinseiTorikomi);
    /// ```
    pub fn embedded() -> &'static RequirementCatalog {
        static CATALOG: OnceLock<RequirementCatalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The crate's tests load this same text, so a broken file never gets past CI.
            RequirementCatalog::from_toml(EMBEDDED)
                .unwrap_or_else(|e| panic!("data/requirements.toml: {e}"))
        })
    }

    /// Parses and checks a catalog. All problems are reported at once, each naming its entry.
    pub fn from_toml(text: &str) -> Result<Self, CatalogError> {
        let raw: RawCatalog = toml::from_str(text)?;
        if raw.requirement.is_empty() {
            return Err(CatalogError::Empty);
        }
        let mut errors = Vec::new();
        let mut requirements = Vec::new();
        let mut by_id = BTreeMap::new();
        for (index, entry) in raw.requirement.into_iter().enumerate() {
            let at = EntryRef {
                number: index + 1,
                id: (!entry.id.is_empty()).then(|| entry.id.clone()),
            };
            match entry.check() {
                Ok(requirement) => {
                    let key = requirement.id.as_str().to_owned();
                    if let Some(&first) = by_id.get(&key) {
                        errors.push(at.problem(Problem::DuplicateId { first: first + 1 }));
                    } else {
                        by_id.insert(key, requirements.len());
                        requirements.push((index, requirement));
                    }
                }
                Err(problems) => errors.extend(problems.into_iter().map(|p| at.problem(p))),
            }
        }
        errors.extend(split_problems(&requirements, &by_id));
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.entry.number);
            return Err(CatalogError::Invalid(errors));
        }
        Ok(RequirementCatalog {
            requirements: requirements.into_iter().map(|(_, r)| r).collect(),
            by_id,
        })
    }

    /// The requirement with this exact ID.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.by_id.get(id).map(|&i| &self.requirements[i])
    }

    /// Every requirement, in file order (area by area).
    pub fn iter(&self) -> std::slice::Iter<'_, Requirement> {
        self.requirements.iter()
    }

    /// The requirements of one area, in file order.
    pub fn in_area(&self, area: Area) -> impl Iterator<Item = &Requirement> {
        self.iter().filter(move |r| r.area == area)
    }

    /// The requirements that check a `RULES.md` rule: the one entry with that ID, or the parts it
    /// was split into (`ING-08` → `ING-08a`, `ING-08b`). Empty when the rule is not in the catalog.
    pub fn parts_of(&self, rule: &str) -> Vec<&Requirement> {
        self.by_id
            .range(rule.to_owned()..)
            .take_while(|(id, _)| id.starts_with(rule))
            .map(|(_, &i)| &self.requirements[i])
            .filter(|r| r.id.rule() == rule)
            .collect()
    }

    /// How many requirements there are.
    pub fn len(&self) -> usize {
        self.requirements.len()
    }

    /// Never true for a catalog that loaded; here for symmetry with [`RequirementCatalog::len`].
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

impl<'a> IntoIterator for &'a RequirementCatalog {
    type Item = &'a Requirement;
    type IntoIter = std::slice::Iter<'a, Requirement>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Why a catalog did not load.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The text is not TOML of the catalog's shape (the message gives line and column).
    #[error("the catalog is not valid: {0}")]
    Toml(#[from] toml::de::Error),
    /// There is no `[[requirement]]` at all.
    #[error("the catalog has no [[requirement]] entries")]
    Empty,
    /// Entries break the catalog's rules; every problem found, in file order.
    #[error("{}", list(.0))]
    Invalid(Vec<EntryError>),
}

fn list(errors: &[EntryError]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
    format!(
        "the catalog has {} problem(s):\n{}",
        errors.len(),
        lines.join("\n")
    )
}

/// One rule broken by one entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entry}: {problem}")]
pub struct EntryError {
    /// The entry at fault.
    pub entry: EntryRef,
    /// The rule it breaks.
    pub problem: Problem,
}

/// Names an entry for a person: its ID when it has one, and always its position in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRef {
    /// 1-based position among the `[[requirement]]` entries.
    pub number: usize,
    /// The `id` as written, if not empty (it may be malformed).
    pub id: Option<String>,
}

impl EntryRef {
    fn problem(&self, problem: Problem) -> EntryError {
        EntryError {
            entry: self.clone(),
            problem,
        }
    }
}

impl fmt::Display for EntryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "requirement {id} (entry {})", self.number),
            None => write!(f, "requirement entry {} (no id)", self.number),
        }
    }
}

/// A catalog rule an entry breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error(
        "id 「{0}」 does not have the form AAA-00 or AAA-00a (three capitals, a hyphen, two digits, an optional lower-case split letter)"
    )]
    BadId(String),
    #[error("the id is already used by entry {first}")]
    DuplicateId { first: usize },
    #[error("area: {0}")]
    UnknownArea(UnknownName),
    #[error("role: {0}")]
    UnknownRole(UnknownName),
    #[error("`{0}` is missing or empty")]
    Empty(&'static str),
    #[error(
        "source 「{0}」 is neither `seed NNN §…` with NNN one of 000–004 nor a `docs/….md` page"
    )]
    BadSource(String),
    #[error("a split id (with a letter) needs a `split` note saying what was split and why")]
    SplitWithoutNote,
    #[error("has a `split` note but its id has no split letter")]
    NoteWithoutSplit,
    #[error(
        "`not_judged` is empty; write why renkei does not judge this requirement, or remove the field"
    )]
    EmptyNotJudged,
    #[error("{rule} is present both whole and split; keep only the split parts")]
    WholeAndSplit { rule: String },
    #[error("is the only part of {rule}; a split has at least two parts, or keep {rule} whole")]
    LoneSplit { rule: String },
}

/// The file's shape. Every field defaults to empty so that a missing one is reported by
/// [`RawRequirement::check`] with the entry's name, not by serde with only a line number.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    requirement: Vec<RawRequirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    #[serde(default)]
    id: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    split: Option<String>,
    #[serde(default)]
    not_judged: Option<String>,
}

impl RawRequirement {
    /// Checks everything one entry can show alone.
    fn check(self) -> Result<Requirement, Vec<Problem>> {
        let mut problems = Vec::new();
        let id = if self.id.is_empty() {
            problems.push(Problem::Empty("id"));
            None
        } else {
            let id = RequirementId::parse(&self.id);
            if id.is_none() {
                problems.push(Problem::BadId(self.id.clone()));
            }
            id
        };
        let area = match self.area.as_str() {
            "" => Err(Problem::Empty("area")),
            name => name.parse::<Area>().map_err(Problem::UnknownArea),
        }
        .map_err(|p| problems.push(p))
        .ok();
        let role = match self.role.as_str() {
            "" => Err(Problem::Empty("role")),
            name => name.parse::<Role>().map_err(Problem::UnknownRole),
        }
        .map_err(|p| problems.push(p))
        .ok();
        for (field, text) in [("title", &self.title), ("description", &self.description)] {
            if text.trim().is_empty() {
                problems.push(Problem::Empty(field));
            }
        }
        let citations = if self.source.trim().is_empty() {
            problems.push(Problem::Empty("source"));
            Vec::new()
        } else {
            Citation::parse_all(&self.source)
                .map_err(|part| problems.push(Problem::BadSource(part)))
                .unwrap_or_default()
        };
        let split = self.split.filter(|note| !note.trim().is_empty());
        if let Some(id) = &id {
            match (id.split_letter(), &split) {
                (Some(_), None) => problems.push(Problem::SplitWithoutNote),
                (None, Some(_)) => problems.push(Problem::NoteWithoutSplit),
                _ => {}
            }
        }
        if self
            .not_judged
            .as_ref()
            .is_some_and(|reason| reason.trim().is_empty())
        {
            problems.push(Problem::EmptyNotJudged);
        }
        match (id, area, role) {
            (Some(id), Some(area), Some(role)) if problems.is_empty() => Ok(Requirement {
                id,
                area,
                role,
                title: self.title,
                description: self.description,
                source: self.source,
                citations,
                split,
                not_judged: self.not_judged,
            }),
            _ => Err(problems),
        }
    }
}

/// The rules that need the whole catalog: a rule is either whole or split, and a split has at
/// least two parts.
fn split_problems(
    requirements: &[(usize, Requirement)],
    by_id: &BTreeMap<String, usize>,
) -> Vec<EntryError> {
    let mut parts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, r) in requirements {
        if r.id.split_letter().is_some() {
            *parts.entry(r.id.rule()).or_default() += 1;
        }
    }
    let mut errors = Vec::new();
    for (index, r) in requirements {
        let at = EntryRef {
            number: index + 1,
            id: Some(r.id.to_string()),
        };
        let rule = r.id.rule().to_owned();
        match r.id.split_letter() {
            None if parts.contains_key(rule.as_str()) => {
                errors.push(at.problem(Problem::WholeAndSplit { rule }))
            }
            Some(_) if parts[rule.as_str()] == 1 && !by_id.contains_key(&rule) => {
                errors.push(at.problem(Problem::LoneSplit { rule }))
            }
            _ => {}
        }
    }
    errors
}

/// The catalog as a terminal table (columns ID, 領域, 名称, 出典), for `renkei requirements`,
/// followed by the requirements renkei does not judge, each on a line with its reason (none
/// when the shown ones are all judged). With `area`, only that area's requirements.
pub fn render_table(catalog: &RequirementCatalog, area: Option<Area>) -> String {
    let shown = || catalog.iter().filter(|r| area.is_none_or(|a| r.area == a));
    let mut builder = Builder::default();
    builder.push_record(["ID", "領域", "名称", "出典"]);
    for r in shown() {
        builder.push_record([r.id.as_str(), r.area.name(), &r.title, &r.source]);
    }
    let mut table = builder.build();
    table.with(Style::sharp());
    let mut out = table.to_string();
    let not_judged: Vec<String> = shown()
        .filter_map(|r| {
            let reason = r.not_judged()?;
            Some(format!("  {} {} — 判定しない理由: {reason}", r.id, r.title))
        })
        .collect();
    if !not_judged.is_empty() {
        out.push_str("\n判定しない要件 (シナリオがなく、報告書では「未実行」。役割を担うシステムがなければ「対象外」):\n");
        out.push_str(&not_judged.join("\n"));
    }
    out
}

/// The catalog as Markdown, one section per area (or only `area`), as `docs/requirements.md`
/// lists it; a test keeps the page equal to this.
pub fn render_markdown(catalog: &RequirementCatalog, area: Option<Area>) -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out = String::new();
    for &a in Area::ALL.iter().filter(|&&a| area.is_none_or(|x| x == a)) {
        let count = catalog.in_area(a).count();
        out.push_str(&format!("### {a} ({count})\n\n"));
        out.push_str("| ID | 名称 | 役割 | 出典 |\n|---|---|---|---|\n");
        for r in catalog.in_area(a) {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                r.id,
                cell(&r.title),
                r.role,
                cell(&r.source)
            ));
        }
        out.push('\n');
        // What passes and what fails, for a vendor who must know before the run.
        for r in catalog.in_area(a) {
            out.push_str(&format!(
                "#### {} {}\n\n{}\n\n役割: {} / 出典: {}\n\n",
                r.id, r.title, r.description, r.role, r.source
            ));
            if let Some(reason) = r.not_judged() {
                out.push_str(&format!(
                    "**判定しない** (シナリオがなく、報告書では「未実行」。役割を担うシステムがなければ「対象外」)。判定しない理由: {reason}\n\n"
                ));
            }
        }
    }
    out
}
