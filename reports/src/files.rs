//! The files of a run: reading `run.json`, writing it with its renderings into the report
//! folder, and checking any of them against its seal (`renkei report verify`).

use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::seal::{self, Digest, RenderingCheck};
use crate::{RUN_FORMAT, Run, html, junit, markdown};

/// The names of the files `renkei run` writes into `--report-dir`.
pub const RUN_JSON: &str = "run.json";
pub const REPORT_HTML: &str = "report.html";
pub const JUNIT_XML: &str = "junit.xml";
pub const SUMMARY_MD: &str = "summary.md";

/// Why a run model could not be read. Each names the file, and for a model that does not fit,
/// the item (`scenarios[3].steps[0].status`), so the person can open the file at that place.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: 読めません: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: JSON として読めません: {message}", path.display())]
    Json { path: PathBuf, message: String },
    #[error(
        "{}: format が「{found}」です。この renkei が読める実行結果は「{RUN_FORMAT}」です (docs/run-model.md)",
        path.display()
    )]
    Format { path: PathBuf, found: String },
    #[error(
        "{}: 実行結果 (docs/run-model.md) の形に合いません — 項目 {at}: {message}",
        path.display()
    )]
    Model {
        path: PathBuf,
        at: String,
        message: String,
    },
}

/// Reads a `run.json`.
pub fn read_run(path: &Path) -> Result<Run, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_run(&text).map_err(|problem| problem.at(path))
}

/// Why a text is not a run model; the file is named by [`read_run`].
#[derive(Debug)]
pub enum ParseProblem {
    Json(String),
    Format(String),
    Model { at: String, message: String },
}

impl ParseProblem {
    fn at(self, path: &Path) -> ReadError {
        let path = path.to_owned();
        match self {
            ParseProblem::Json(message) => ReadError::Json { path, message },
            ParseProblem::Format(found) => ReadError::Format { path, found },
            ParseProblem::Model { at, message } => ReadError::Model { path, at, message },
        }
    }
}

/// Reads a run model from its JSON text.
pub fn parse_run(text: &str) -> Result<Run, ParseProblem> {
    // The format first: a newer run model should say so, not fail on its first new field.
    let value: Value = serde_json::from_str(text).map_err(|e| ParseProblem::Json(e.to_string()))?;
    match value.get("format").and_then(Value::as_str) {
        Some(RUN_FORMAT) => {}
        Some(other) => return Err(ParseProblem::Format(other.to_owned())),
        None => {
            return Err(ParseProblem::Model {
                at: "format".to_owned(),
                message: format!("「{RUN_FORMAT}」という文字列が要ります"),
            });
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| ParseProblem::Model {
        at: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// What [`write_all`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub run_json: PathBuf,
    pub html: PathBuf,
    pub junit: PathBuf,
    pub markdown: PathBuf,
    /// The run digest every one of them carries.
    pub digest: Digest,
}

/// Writes `run.json` (with its seal beside it, `run.json.sha256`), `report.html`, `junit.xml`
/// and `summary.md` into `dir`. The run is written as given: mask it first.
pub fn write_all(run: &Run, dir: &Path) -> io::Result<Written> {
    std::fs::create_dir_all(dir)?;
    let run_json = dir.join(RUN_JSON);
    let mut text = serde_json::to_string_pretty(run).expect("the run model serialises");
    text.push('\n');
    std::fs::write(&run_json, text)?;
    let digest = seal::run_digest(run);
    std::fs::write(sidecar_path(&run_json), seal::sidecar_text(digest))?;
    let written = Written {
        html: dir.join(REPORT_HTML),
        junit: dir.join(JUNIT_XML),
        markdown: dir.join(SUMMARY_MD),
        run_json,
        digest,
    };
    std::fs::write(&written.html, html::render(run))?;
    std::fs::write(&written.junit, junit::render(run))?;
    std::fs::write(&written.markdown, markdown::render(run))?;
    Ok(written)
}

/// Where `run.json`'s seal is kept: `run.json.sha256`.
pub fn sidecar_path(run_json: &Path) -> PathBuf {
    let mut name = run_json.as_os_str().to_owned();
    name.push(seal::SIDECAR_SUFFIX);
    PathBuf::from(name)
}

/// What `renkei report verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub outcome: Outcome,
    /// What to tell the person, in Japanese, one line each.
    pub lines: Vec<String>,
}

/// The verdict of [`verify`], which decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The file is as renkei wrote it (and, when asked, made from the given run).
    Unchanged,
    /// It was changed after renkei wrote it, or it was not made from the given run.
    Changed,
    /// It carries no seal: nothing can be said.
    NoSeal,
}

impl Outcome {
    /// 0 unchanged, 1 changed, 2 cannot tell (docs/reports.md「終了コード」).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Unchanged => 0,
            Outcome::Changed => 1,
            Outcome::NoSeal => 2,
        }
    }
}

/// Checks `file` (a `run.json` or a rendering) against its seal; with `made_from`, also whether
/// a rendering was made from that `run.json`.
pub fn verify(file: &Path, made_from: Option<&Path>) -> Result<Verification, ReadError> {
    let bytes = std::fs::read(file).map_err(|source| ReadError::Io {
        path: file.to_owned(),
        source,
    })?;
    let shown = file.display();
    let (mut outcome, mut lines, run_digest) = match seal::check_rendering(&bytes) {
        RenderingCheck::Unchanged { run } => (
            Outcome::Unchanged,
            vec![format!(
                "{shown}: 変更されていません (renkei が書いたとおりです)。元の実行結果の SHA-256: {run}"
            )],
            Some(run),
        ),
        RenderingCheck::Changed { run, sealed, found } => (
            Outcome::Changed,
            vec![format!(
                "{shown}: renkei が書いたあとで変更されています (封印の SHA-256 は {sealed}、いまの内容では {found})"
            )],
            Some(run),
        ),
        RenderingCheck::NoSeal => {
            let (outcome, lines) = verify_run_json(file, &bytes)?;
            (outcome, lines, None)
        }
    };
    if let (Some(run_json), Some(sealed_run)) = (made_from, run_digest) {
        let text = std::fs::read_to_string(run_json).map_err(|source| ReadError::Io {
            path: run_json.to_owned(),
            source,
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| ReadError::Json {
            path: run_json.to_owned(),
            message: e.to_string(),
        })?;
        let actual = seal::value_digest(&value);
        if actual == sealed_run {
            lines.push(format!("{} から作られた報告書です", run_json.display()));
        } else {
            outcome = Outcome::Changed;
            lines.push(format!(
                "{} から作られた報告書ではありません (報告書の元は {sealed_run}、{} は {actual})",
                run_json.display(),
                run_json.display()
            ));
        }
    }
    Ok(Verification { outcome, lines })
}

/// A file without a seal line: a `run.json` with its `run.json.sha256`, or nothing renkei sealed.
fn verify_run_json(file: &Path, bytes: &[u8]) -> Result<(Outcome, Vec<String>), ReadError> {
    let shown = file.display();
    let sidecar = sidecar_path(file);
    let sidecar_text = match std::fs::read_to_string(&sidecar) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok((
                Outcome::NoSeal,
                vec![format!(
                    "{shown}: renkei の封印がありません (報告書なら最後の行に renkei-seal が、run.json なら隣に {} が要ります)。変更されたかどうかはわかりません",
                    sidecar.display()
                )],
            ));
        }
        Err(source) => {
            return Err(ReadError::Io {
                path: sidecar,
                source,
            });
        }
    };
    let Some(sealed) = seal::parse_sidecar(&sidecar_text) else {
        return Ok((
            Outcome::Changed,
            vec![format!(
                "{}: 封印の形ではありません (書き換えられています)",
                sidecar.display()
            )],
        ));
    };
    let value: Value = match std::str::from_utf8(bytes)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string()))
    {
        Ok(value) => value,
        Err(message) => {
            return Ok((
                Outcome::Changed,
                vec![format!(
                    "{shown}: renkei が書いたあとで変更されています (JSON として読めません: {message})"
                )],
            ));
        }
    };
    let found = seal::value_digest(&value);
    Ok(if found == sealed {
        (
            Outcome::Unchanged,
            vec![format!(
                "{shown}: 変更されていません (実行結果の SHA-256 {found} が {} と一致します)",
                sidecar.display()
            )],
        )
    } else {
        (
            Outcome::Changed,
            vec![format!(
                "{shown}: renkei が書いたあとで変更されています ({} は {sealed}、いまの内容では {found})",
                sidecar.display()
            )],
        )
    })
}
