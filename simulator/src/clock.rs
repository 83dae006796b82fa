//! The one clock every simulated system reads (DESIGN.md "Time").
//!
//! Service hours, the weekday stop window, the night batch, the 30-day validity of a 提供の求め
//! and "today" for the upload caps all ask this clock, never the system time directly. By
//! default it follows real time; a scenario or the admin API can set it ("前提 現在は 2026年4月6日
//! (月) 21時30分") and advance it. Everything is in JST (+09:00), as the national systems are.

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

/// Japan Standard Time, defined once in `renkei-fixtures`.
pub use renkei_fixtures::JST;

/// A cloneable handle to one shared clock.
#[derive(Debug, Clone)]
pub struct Clock {
    /// A std `Mutex`: held only to read or replace two words, never across an await.
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Real time shifted by an offset (zero unless the clock was set while running).
    Running { offset: Duration },
    /// Virtual time that moves only when told to: verdicts that depend on time must not depend
    /// on how fast the machine is.
    Frozen { at: OffsetDateTime },
}

impl Clock {
    /// A clock that follows real time.
    pub fn real() -> Self {
        Self::with(State::Running {
            offset: Duration::ZERO,
        })
    }

    /// A virtual clock standing at `at`, moving only by [`Clock::set`] and [`Clock::advance`].
    pub fn frozen(at: OffsetDateTime) -> Self {
        Self::with(State::Frozen {
            at: at.to_offset(JST),
        })
    }

    fn with(state: State) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Now, in JST.
    pub fn now(&self) -> OffsetDateTime {
        match *self.lock() {
            State::Running { offset } => (OffsetDateTime::now_utc() + offset).to_offset(JST),
            State::Frozen { at } => at,
        }
    }

    /// Whether the clock moves on its own.
    pub fn is_frozen(&self) -> bool {
        matches!(*self.lock(), State::Frozen { .. })
    }

    /// Sets the time. A frozen clock stays frozen at `at`; a running clock keeps running from `at`.
    pub fn set(&self, at: OffsetDateTime) {
        let mut state = self.lock();
        *state = match *state {
            State::Frozen { .. } => State::Frozen {
                at: at.to_offset(JST),
            },
            State::Running { .. } => State::Running {
                offset: at - OffsetDateTime::now_utc(),
            },
        };
    }

    /// Moves the clock forward (a negative duration is refused: time in a scenario only goes on).
    pub fn advance(&self, by: Duration) -> Result<OffsetDateTime, ClockError> {
        if by.is_negative() {
            return Err(ClockError::Backwards { by });
        }
        let mut state = self.lock();
        match &mut *state {
            State::Frozen { at } => *at += by,
            State::Running { offset } => *offset += by,
        }
        drop(state);
        Ok(self.now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two words replaced whole; a panic elsewhere cannot leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Why the clock refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    #[error("時計を戻すことはできません ({by} 戻そうとしました)")]
    Backwards { by: Duration },
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let clock = Clock::frozen(datetime!(2026-04-06 21:30 +09:00));
        assert_eq!(clock.now(), datetime!(2026-04-06 21:30 +09:00));
        assert_eq!(clock.now(), clock.now());
        clock.advance(Duration::minutes(45)).unwrap();
        assert_eq!(clock.now(), datetime!(2026-04-06 22:15 +09:00));
        clock.set(datetime!(2026-04-07 08:00 +09:00));
        assert_eq!(clock.now(), datetime!(2026-04-07 08:00 +09:00));
        assert!(clock.advance(Duration::seconds(-1)).is_err());
    }

    #[test]
    fn shared_handles_see_the_same_time() {
        let clock = Clock::frozen(datetime!(2026-04-06 00:00 UTC));
        let other = clock.clone();
        clock.advance(Duration::days(1)).unwrap();
        assert_eq!(other.now(), datetime!(2026-04-07 09:00 +09:00));
        assert_eq!(other.now().offset(), JST);
    }

    #[test]
    fn running_clock_can_be_set() {
        let clock = Clock::real();
        clock.set(datetime!(2030-01-01 00:00 +09:00));
        let now = clock.now();
        assert!(now >= datetime!(2030-01-01 00:00 +09:00));
        assert!(now < datetime!(2030-01-01 00:01 +09:00));
        assert!(!clock.is_frozen());
    }
}
