//! When runs happen: a 5-field cron expression in UTC, or never.
//!
//! Everything here is pure: it takes `now` and answers, so the engine's timer
//! loop stays a thin `sleep_until`.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::Cron;

/// The default: once a day at 03:00 UTC.
pub const DEFAULT_SCHEDULE: &str = "0 3 * * *";

/// A backup schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Runs happen only when triggered.
    Off,
    /// Runs happen at every match of the expression (UTC).
    Cron {
        /// The expression as configured.
        expression: String,
        /// The parsed expression.
        cron: Box<Cron>,
    },
}

/// Why a schedule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid backup schedule {expression:?}: {reason}")]
pub struct ScheduleError {
    /// The expression given.
    pub expression: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    /// `off`, or a 5-field cron expression (minute hour day month weekday).
    fn from_str(expression: &str) -> Result<Self, Self::Err> {
        let trimmed = expression.trim();
        if trimmed.eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        let error = |reason: String| ScheduleError {
            expression: expression.into(),
            reason,
        };
        let fields = trimmed.split_whitespace().count();
        if fields != 5 {
            return Err(error(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week) or \"off\", found {fields}"
            )));
        }
        let cron = Cron::from_str(trimmed).map_err(|e| error(e.to_string()))?;
        Ok(Self::Cron {
            expression: trimmed.into(),
            cron: Box::new(cron),
        })
    }
}

impl Schedule {
    /// The first run time strictly after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Off => None,
            Self::Cron { cron, .. } => cron.find_next_occurrence(&now, false).ok(),
        }
    }

    /// The time between two consecutive runs following `now`.
    pub fn period(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        let first = self.next_after(now)?;
        let second = self.next_after(first)?;
        Some(second - first)
    }

    /// Whether start-up should run a catch-up: the newest backup is older
    /// than one period (or there is none) while a schedule is on.
    pub fn needs_catch_up(&self, newest_backup: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        let Some(period) = self.period(now) else {
            return false;
        };
        newest_backup.is_none_or(|newest| now - newest > period)
    }

    /// The expression, or `off`.
    pub fn describe(&self) -> &str {
        match self {
            Self::Off => "off",
            Self::Cron { expression, .. } => expression,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap()
    }

    #[test]
    fn daily_default_runs_at_three_utc() {
        let s: Schedule = DEFAULT_SCHEDULE.parse().unwrap();
        assert_eq!(s.next_after(at(29, 2, 59)), Some(at(29, 3, 0)));
        assert_eq!(s.next_after(at(29, 3, 0)), Some(at(30, 3, 0)));
        assert_eq!(s.period(at(29, 12, 0)), Some(chrono::Duration::days(1)));
    }

    #[test]
    fn catch_up_only_when_a_period_has_passed() {
        let s: Schedule = DEFAULT_SCHEDULE.parse().unwrap();
        let now = at(29, 12, 0);
        assert!(s.needs_catch_up(None, now));
        assert!(s.needs_catch_up(Some(at(28, 11, 0)), now));
        assert!(!s.needs_catch_up(Some(at(28, 13, 0)), now));
        assert!(!Schedule::Off.needs_catch_up(None, now));
    }

    #[test]
    fn off_and_bad_expressions() {
        assert!(matches!("off".parse::<Schedule>(), Ok(Schedule::Off)));
        assert_eq!(Schedule::Off.next_after(at(1, 0, 0)), None);
        for bad in ["", "* * * *", "0 0 3 * * *", "61 3 * * *", "every day"] {
            assert!(bad.parse::<Schedule>().is_err(), "{bad:?}");
        }
        let every_15 = "*/15 * * * *".parse::<Schedule>().unwrap();
        assert_eq!(every_15.next_after(at(1, 0, 1)), Some(at(1, 0, 15)));
    }
}
