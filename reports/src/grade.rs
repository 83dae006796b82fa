//! The score of an area and its grade (docs/reports.md「評価の決め方」).
//!
//! score = 適合 ÷ (適合 + 不適合 + 判定不能), over the requirements of the area that were judged.
//! 対象外 (no system plays the role) and 未実行 (filtered out, or no scenario yet) say nothing
//! about the system and are left out; 判定不能 counts against it, because a system that does not
//! answer has not shown that it conforms. The grade uses the scale of the 総務省 evaluation in
//! seed 003 (S 非常に優れている … D 劣っている), applied to the score as a percentage.

use crate::{Run, Verdict};

/// A grade on the seed 003 scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    S,
    A,
    B,
    C,
    D,
}

/// The lowest percentage each grade takes; below the last, D. One place, so that the pages,
/// the docs test and the code cannot disagree.
pub const THRESHOLDS: [(Grade, u32); 4] = [
    (Grade::S, 90),
    (Grade::A, 70),
    (Grade::B, 50),
    (Grade::C, 30),
];

impl Grade {
    /// The grade for `pass` of `judged` requirements; `None` when nothing was judged.
    pub fn of(pass: usize, judged: usize) -> Option<Grade> {
        if judged == 0 {
            return None;
        }
        // Integers, so that 9 of 10 is exactly S and never 89.999… %.
        let grade = THRESHOLDS
            .iter()
            .find(|(_, percent)| pass * 100 >= *percent as usize * judged)
            .map_or(Grade::D, |(grade, _)| *grade);
        Some(grade)
    }

    pub fn letter(self) -> &'static str {
        match self {
            Grade::S => "S",
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }

    /// The words seed 003 gives each grade.
    pub fn meaning(self) -> &'static str {
        match self {
            Grade::S => "非常に優れている",
            Grade::A => "優れている",
            Grade::B => "普通",
            Grade::C => "やや劣っている",
            Grade::D => "劣っている",
        }
    }
}

/// How the score is computed, in the words every rendering shows under its grades.
pub fn explanation() -> String {
    let scale: Vec<String> = THRESHOLDS
        .iter()
        .map(|(g, p)| format!("{} {p} % 以上", g.letter()))
        .collect();
    format!(
        "得点 = 適合 ÷ (適合 + 不適合 + 判定不能)。対象外と未実行の要件は数えません。評価は {}、それ未満は D (seed 003 の評価基準の段階)。",
        scale.join("、")
    )
}

/// The verdict counts of one area (or of the whole run) and what they add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Score {
    /// 申請取込, 住基連携, …; [`OVERALL`] for the whole run.
    pub area: String,
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub not_applicable: usize,
    pub not_run: usize,
}

/// The name of the row that adds up every area.
pub const OVERALL: &str = "全体";

impl Score {
    fn count(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Error => self.error += 1,
            Verdict::NotApplicable => self.not_applicable += 1,
            Verdict::NotRun => self.not_run += 1,
        }
    }

    /// The requirements that count towards the score.
    pub fn judged(&self) -> usize {
        self.pass + self.fail + self.error
    }

    pub fn grade(&self) -> Option<Grade> {
        Grade::of(self.pass, self.judged())
    }

    /// The score as people read it, `87.5 %`, rounded down to a tenth so that it never shows
    /// more than the grade beside it; `—` when nothing was judged.
    pub fn percent_text(&self) -> String {
        let judged = self.judged();
        if judged == 0 {
            return "—".to_owned();
        }
        let tenths = self.pass * 1000 / judged;
        format!("{}.{} %", tenths / 10, tenths % 10)
    }

    /// `S` … `D`, or `—` when nothing was judged.
    pub fn grade_text(&self) -> &'static str {
        self.grade().map_or("—", Grade::letter)
    }
}

/// One score per area, in the order the areas first appear in the catalog.
pub fn by_area(run: &Run) -> Vec<Score> {
    let mut scores: Vec<Score> = Vec::new();
    for requirement in &run.requirements {
        let index = match scores.iter().position(|s| s.area == requirement.area) {
            Some(i) => i,
            None => {
                scores.push(Score {
                    area: requirement.area.clone(),
                    ..Score::default()
                });
                scores.len() - 1
            }
        };
        scores[index].count(requirement.verdict);
    }
    scores
}

/// The score of the whole run.
pub fn overall(run: &Run) -> Score {
    let mut score = Score {
        area: OVERALL.to_owned(),
        ..Score::default()
    };
    for requirement in &run.requirements {
        score.count(requirement.verdict);
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_of_seed_003() {
        assert_eq!(Grade::of(9, 10), Some(Grade::S));
        assert_eq!(Grade::of(89, 100), Some(Grade::A));
        assert_eq!(Grade::of(7, 10), Some(Grade::A));
        assert_eq!(Grade::of(69, 100), Some(Grade::B));
        assert_eq!(Grade::of(1, 2), Some(Grade::B));
        assert_eq!(Grade::of(3, 10), Some(Grade::C));
        assert_eq!(Grade::of(29, 100), Some(Grade::D));
        assert_eq!(Grade::of(0, 3), Some(Grade::D));
        assert_eq!(Grade::of(0, 0), None);
    }

    #[test]
    fn the_percentage_never_shows_more_than_the_grade() {
        let score = Score {
            pass: 8999,
            fail: 1001,
            ..Score::default()
        };
        assert_eq!(score.percent_text(), "89.9 %");
        assert_eq!(score.grade_text(), "A");
    }
}
