//! Remote retention: which of one table's remote copies to delete, a pure
//! decision over the destination's listing.
//!
//! - Only copies with a manifest are decided here (a manifest-less artifact
//!   is a cut-short upload, handled by its caller).
//! - Copies are ordered newest capture first; one captured "in the future"
//!   (the clock was ahead then) has an unknown real age and ranks below every
//!   copy with a believable time, so a wrong clock cannot push out real ones.
//! - Kept: the newest `keep` good copies (at least one), and, when asked, the
//!   newest good copy of each of the latest `daily` days, `weekly` ISO weeks
//!   and `monthly` months that have one.
//! - A damaged copy (it failed a verify round) counts for nothing, and goes
//!   once `keep` good copies newer than it exist.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Utc};

use super::RemoteCopy;
use crate::store::{from_the_future, BackupName};

/// How many remote copies of each table a destination keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The newest copies kept (at least 1).
    pub keep: usize,
    /// Days whose newest copy is kept.
    pub daily: usize,
    /// ISO weeks whose newest copy is kept.
    pub weekly: usize,
    /// Months whose newest copy is kept.
    pub monthly: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            keep: 3,
            daily: 0,
            weekly: 0,
            monthly: 0,
        }
    }
}

/// The copies among `copies` (one table's, any order) to delete.
pub fn to_delete(
    copies: &[RemoteCopy],
    damaged: &BTreeSet<BackupName>,
    retention: &Retention,
    now: DateTime<Utc>,
) -> Vec<BackupName> {
    let mut ordered: Vec<&BackupName> = copies
        .iter()
        .filter(|c| c.has_manifest)
        .map(|c| &c.name)
        .collect();
    ordered.sort_by_key(|n| (!from_the_future(n.at, now), n.at, n.seq));
    ordered.reverse();
    let good: Vec<&BackupName> = ordered
        .iter()
        .copied()
        .filter(|n| !damaged.contains(*n))
        .collect();
    let mut kept: BTreeSet<&BackupName> =
        good.iter().copied().take(retention.keep.max(1)).collect();
    let mut newest_of = |count: usize, bucket: &dyn Fn(&BackupName) -> (i32, u32)| {
        let mut seen = BTreeSet::new();
        for name in &good {
            if seen.len() == count {
                break;
            }
            if seen.insert(bucket(name)) {
                kept.insert(name);
            }
        }
    };
    newest_of(retention.daily, &|n| (n.at.year(), n.at.ordinal()));
    newest_of(retention.weekly, &|n| {
        let week = n.at.iso_week();
        (week.year(), week.week())
    });
    newest_of(retention.monthly, &|n| (n.at.year(), n.at.month()));
    let mut good_ahead = 0;
    let mut delete = Vec::new();
    for name in ordered {
        if damaged.contains(name) {
            if good_ahead >= retention.keep.max(1) {
                delete.push(name.clone());
            }
            continue;
        }
        good_ahead += 1;
        if !kept.contains(name) {
            delete.push(name.clone());
        }
    }
    delete
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn copy(at: DateTime<Utc>) -> RemoteCopy {
        RemoteCopy {
            name: BackupName::new("t", at),
            has_manifest: true,
            manifest_etag: None,
        }
    }

    fn day(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn names(copies: &[&RemoteCopy]) -> Vec<BackupName> {
        copies.iter().map(|c| c.name.clone()).collect()
    }

    #[test]
    fn the_newest_keep_stay_and_the_rest_go() {
        let copies: Vec<RemoteCopy> = (1..=5).map(|d| copy(day(d, 3))).collect();
        let now = day(6, 0);
        let keep2 = Retention {
            keep: 2,
            ..Retention::default()
        };
        let gone = to_delete(&copies, &BTreeSet::new(), &keep2, now);
        assert_eq!(gone, names(&[&copies[2], &copies[1], &copies[0]]));
        // keep 0 is read as 1: the newest good copy is never deleted.
        let keep0 = Retention {
            keep: 0,
            ..Retention::default()
        };
        assert_eq!(to_delete(&copies, &BTreeSet::new(), &keep0, now).len(), 4);
    }

    #[test]
    fn daily_weekly_and_monthly_keep_the_newest_of_each() {
        // Two copies a day for 20 days of November, then one on 3 and 2 October.
        let mut copies: Vec<RemoteCopy> = (1..=20)
            .flat_map(|d| [copy(day(d, 3)), copy(day(d, 15))])
            .collect();
        copies.push(copy(Utc.with_ymd_and_hms(2026, 10, 3, 1, 0, 0).unwrap()));
        copies.push(copy(Utc.with_ymd_and_hms(2026, 10, 2, 1, 0, 0).unwrap()));
        let policy = Retention {
            keep: 1,
            daily: 3,
            weekly: 2,
            monthly: 2,
        };
        let gone: BTreeSet<BackupName> = to_delete(&copies, &BTreeSet::new(), &policy, day(21, 0))
            .into_iter()
            .collect();
        let kept: Vec<DateTime<Utc>> = copies
            .iter()
            .filter(|c| !gone.contains(&c.name))
            .map(|c| c.name.at)
            .collect();
        let mut want = vec![
            day(20, 15),                                         // newest; day 20; week 47; November
            day(19, 15),                                         // day 19
            day(18, 15),                                         // day 18
            day(15, 15), // Sunday 15 November closes ISO week 46
            Utc.with_ymd_and_hms(2026, 10, 3, 1, 0, 0).unwrap(), // October
        ];
        want.sort();
        let mut kept = kept;
        kept.sort();
        assert_eq!(kept, want);
    }

    #[test]
    fn a_copy_from_the_future_and_a_damaged_one_cannot_push_out_good_ones() {
        let copies = vec![
            copy(day(1, 3)),
            copy(day(2, 3)),
            copy(day(3, 3)),
            copy(day(28, 3)),
        ];
        let now = day(4, 0);
        let keep2 = Retention {
            keep: 2,
            ..Retention::default()
        };
        // The 28th is ahead of the clock: it ranks last and goes first.
        assert_eq!(
            to_delete(&copies, &BTreeSet::new(), &keep2, now),
            names(&[&copies[0], &copies[3]])
        );
        // The newest is damaged: the two good ones before it stay, and it goes
        // (two good copies are newer... none are; it stays until they are).
        let damaged: BTreeSet<BackupName> = [copies[2].name.clone()].into();
        let gone = to_delete(&copies[..3], &damaged, &keep2, now);
        assert!(gone.is_empty(), "{gone:?}");
        let more = [
            copies[0].clone(),
            copies[1].clone(),
            copies[2].clone(),
            copy(day(3, 20)),
            copy(day(3, 22)),
        ];
        let gone = to_delete(&more, &damaged, &keep2, day(4, 0));
        assert_eq!(
            gone,
            names(&[&more[2], &more[1], &more[0]]),
            "the damaged one goes once 2 good ones are newer"
        );
    }
}
