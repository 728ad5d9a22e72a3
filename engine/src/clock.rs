//! The engine's clock: wall time for timestamps and schedules, read in one
//! place so that tests can run the engine on paused tokio time.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where the engine reads the time.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    /// The system's wall clock.
    #[default]
    System,
    /// Wall time that moves with tokio's clock: it read `at` when tokio's
    /// clock read `since`. Under `tokio::time::pause` it moves only when a
    /// test advances it (or the paused runtime skips ahead to its next timer).
    Tokio {
        /// The wall time at `since`.
        at: DateTime<Utc>,
        /// The tokio instant `at` belongs to.
        since: tokio::time::Instant,
    },
}

impl Clock {
    /// A clock that reads `at` now and then moves with tokio's clock.
    pub fn tokio_at(at: DateTime<Utc>) -> Self {
        Self::Tokio {
            at,
            since: tokio::time::Instant::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Tokio { at, since } => {
                *at + chrono::Duration::from_std(since.elapsed()).unwrap_or_default()
            }
        }
    }

    /// Waits until this clock reads `at` or later. Wall time may jump (an
    /// NTP step, a suspended host) while the sleep runs on the monotonic
    /// clock, so no single sleep is longer than a minute and the wait is
    /// measured again after each: a jump delays a run by at most a minute.
    pub async fn sleep_until(&self, at: DateTime<Utc>) {
        const STEP: Duration = Duration::from_secs(60);
        loop {
            let left = (at - self.now()).to_std().unwrap_or(Duration::ZERO);
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(STEP)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_tokio_clock_moves_with_tokio_time() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 2, 59, 0).unwrap();
        let clock = Clock::tokio_at(start);
        assert_eq!(clock.now(), start);
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(clock.now(), start + chrono::Duration::seconds(30));
        let three = Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).unwrap();
        clock.sleep_until(three).await;
        assert_eq!(clock.now(), three);
    }
}
