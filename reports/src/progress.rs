//! What a person watches while a run goes on.
//!
//! The runner tells a [`Progress`] about each scenario; it does not know whether a bar is drawn,
//! lines are printed or nothing happens. [`Progress::terminal`] draws an indicatif bar when
//! standard error is a terminal, and prints a line per scenario otherwise (CI logs, pipes),
//! where a bar would only be noise.

use std::fmt;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};

use crate::failure::deciding_step;
use crate::mask::Masker;
use crate::{ScenarioResult, ScenarioStatus};

/// Something that happened in a run.
#[derive(Debug, Clone, Copy)]
pub enum ProgressEvent<'a> {
    /// Scenario `number` of `total` is about to run.
    ScenarioStarted {
        number: usize,
        total: usize,
        name: &'a str,
    },
    /// Scenario `number` of `total` has ended.
    ScenarioFinished {
        number: usize,
        total: usize,
        scenario: &'a ScenarioResult,
    },
}

type Callback = dyn Fn(ProgressEvent<'_>) + Send + Sync;

/// Where progress goes: any function of a [`ProgressEvent`]. Cloning shares it.
#[derive(Clone)]
pub struct Progress(Arc<Callback>);

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl Progress {
    /// Progress reported to `report`.
    pub fn new(report: impl Fn(ProgressEvent<'_>) + Send + Sync + 'static) -> Self {
        Self(Arc::new(report))
    }

    /// Tells of one event.
    pub fn report(&self, event: ProgressEvent<'_>) {
        (self.0)(event);
    }

    /// A bar on a terminal, a line per scenario elsewhere; both on standard error, so standard
    /// output keeps only the result. With `mask`, the lines are masked like the reports (the
    /// message of a failed step can quote a resident).
    pub fn terminal(mask: bool) -> Self {
        if std::io::stderr().is_terminal() {
            Self::bar(mask)
        } else {
            Self::new(move |event| {
                if let ProgressEvent::ScenarioFinished {
                    number,
                    total,
                    scenario,
                } = event
                {
                    eprintln!(
                        "{}",
                        shown(mask, finished_line(number, total, scenario), scenario)
                    );
                }
            })
        }
    }

    fn bar(mask: bool) -> Self {
        let bar = Mutex::new(None::<ProgressBar>);
        Self::new(move |event| {
            let mut slot = bar.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match event {
                ProgressEvent::ScenarioStarted {
                    number,
                    total,
                    name,
                } => {
                    let bar = slot.get_or_insert_with(|| {
                        let bar = ProgressBar::new(total as u64);
                        bar.set_style(
                            ProgressStyle::with_template(
                                "{spinner} [{bar:30}] {pos}/{len} {elapsed_precise} {wide_msg}",
                            )
                            .expect("the template is valid")
                            .progress_chars("=> "),
                        );
                        bar.enable_steady_tick(std::time::Duration::from_millis(200));
                        bar
                    });
                    bar.set_position(number as u64 - 1);
                    bar.set_message(name.to_owned());
                }
                ProgressEvent::ScenarioFinished {
                    number,
                    total,
                    scenario,
                } => {
                    if let Some(bar) = slot.as_ref() {
                        bar.set_position(number as u64);
                        // Only what went wrong stays on the screen; the bar tells the rest.
                        if scenario.status != ScenarioStatus::Passed {
                            bar.println(shown(
                                mask,
                                finished_line(number, total, scenario),
                                scenario,
                            ));
                        }
                        if number == total {
                            bar.finish_and_clear();
                        }
                    } else {
                        eprintln!(
                            "{}",
                            shown(mask, finished_line(number, total, scenario), scenario)
                        );
                    }
                }
            }
        })
    }
}

/// `line` masked with what the scenario's evidence labels as personal data, when asked.
fn shown(mask: bool, line: String, scenario: &ScenarioResult) -> String {
    if !mask {
        return line;
    }
    let mut masker = Masker::new();
    for step in &scenario.steps {
        for evidence in &step.evidence {
            masker.learn_from(&evidence.body);
        }
    }
    masker.mask(&line)
}

/// `[3/40] ING-03 保管してから取得済みにする — 失敗 (812 ms)` and, when a step did not pass, the
/// step and its message on the next line.
pub fn finished_line(number: usize, total: usize, scenario: &ScenarioResult) -> String {
    let mut line = format!(
        "[{number}/{total}] {} {} — {} ({} ms)",
        scenario.requirements.join(" "),
        scenario.name,
        scenario.status.label(),
        scenario.duration_ms
    );
    if let Some(step) = deciding_step(scenario) {
        line.push_str(&format!(
            "\n    {} {}: {}",
            step.keyword,
            step.text,
            step.message.as_deref().unwrap_or("")
        ));
    }
    line
}
