//! Which backups to keep: a pure decision over what is on disk.

use chrono::{DateTime, Utc};

use crate::store::{BackupEntry, BackupName};

/// The backups of one table to delete so that `keep` good ones remain.
///
/// `backups` are one table's backups in any order; `own` is the copy the
/// calling run just committed. The rules:
/// - only files tablesafe made (with a tablesafe manifest) are ever deleted;
/// - copies are ordered by their manifest's capture time, newest first; a copy
///   captured "in the future" (the clock was ahead then) has an unknown real
///   age and ranks below every copy with a believable time;
/// - only good copies (verified, and not found corrupt by a scrub since) count
///   towards `keep`: the newest `keep` good copies are kept;
/// - never deleted: the run's own copy, the newest good copy, and the newest
///   clean good copy, even when it is older than the newest `keep` (a run of
///   dirty copies cannot push out the last clean one);
/// - a copy that is not good is deleted only once `keep` good copies newer
///   than it exist, so a damaged copy never costs a good one its place.
///
/// Whether to prune at all (never after a failed copy) is the caller's call.
pub fn plan_prune(
    backups: &[BackupEntry],
    keep: usize,
    own: &BackupName,
    now: DateTime<Utc>,
) -> Vec<BackupName> {
    let mut ours: Vec<&BackupEntry> = backups.iter().filter(|b| b.made_by_tablesafe()).collect();
    ours.sort_by_key(|b| {
        (
            !b.from_the_future(now),
            b.captured_at(),
            b.name.seq,
            b.name.at,
        )
    });
    ours.reverse();
    let newest_good = ours.iter().position(|b| b.verified());
    let newest_clean = ours.iter().position(|b| b.clean_and_verified());
    let mut good_newer = 0;
    let mut prune = Vec::new();
    for (i, backup) in ours.iter().enumerate() {
        let surplus = if backup.verified() {
            good_newer += 1;
            good_newer > keep
        } else {
            good_newer >= keep
        };
        let protected = &backup.name == own || Some(i) == newest_good || Some(i) == newest_clean;
        if surplus && !protected {
            prune.push(backup.name.clone());
        }
    }
    prune
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::model::Consistency;
    use crate::store::{Manifest, TOOL};

    fn backup(hour: u32, consistency: Option<Consistency>) -> BackupEntry {
        let name = BackupName::new("t", Utc.with_ymd_and_hms(2026, 1, 1, hour, 0, 0).unwrap());
        let manifest = consistency.map(|consistency| Manifest {
            tool: TOOL.into(),
            tool_version: "0".into(),
            table: "t".into(),
            file_name: name.file_name(),
            sha256: String::new(),
            bytes: 1,
            records: 1,
            keys: 1,
            free_bytes: None,
            fragmentation_ratio: None,
            consistency,
            verified: true,
            source_path: "t.dets".into(),
            source_mtime: None,
            captured_at: name.at,
            run_id: "r".into(),
            attempts: 1,
            digest: None,
            corrupt: None,
        });
        BackupEntry {
            name,
            bytes: 1,
            manifest,
        }
    }

    /// `plan_prune` for a run whose own copy is not among `backups`, on
    /// 2026-01-02 (after every hour `backup` makes).
    fn prune(backups: &[BackupEntry], keep: usize) -> Vec<BackupName> {
        plan_prune(backups, keep, &BackupName::new("t", now()), now())
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap()
    }

    fn hours(names: &[BackupName]) -> Vec<String> {
        names
            .iter()
            .map(|n| n.at.format("%H").to_string())
            .collect()
    }

    const CLEAN: Option<Consistency> = Some(Consistency::Clean);
    const DIRTY: Option<Consistency> = Some(Consistency::Dirty);

    #[test]
    fn keeps_the_newest_n() {
        let backups: Vec<_> = (1..=5).map(|h| backup(h, CLEAN)).collect();
        assert_eq!(hours(&prune(&backups, 3)), ["02", "01"]);
        assert!(prune(&backups, 5).is_empty());
    }

    #[test]
    fn never_deletes_the_newest_clean_backup() {
        let backups = vec![
            backup(5, DIRTY),
            backup(4, DIRTY),
            backup(3, DIRTY),
            backup(2, CLEAN),
            backup(1, CLEAN),
        ];
        assert_eq!(hours(&prune(&backups, 3)), ["01"]);
    }

    #[test]
    fn files_without_a_tablesafe_manifest_are_never_touched_or_counted() {
        let mut foreign = backup(9, CLEAN);
        foreign.manifest.as_mut().unwrap().tool = "someone-else".into();
        let backups = vec![
            foreign,
            backup(8, None),
            backup(3, CLEAN),
            backup(2, CLEAN),
            backup(1, CLEAN),
        ];
        assert!(prune(&backups, 3).is_empty());
    }

    #[test]
    fn corrupt_copies_never_count_towards_keep() {
        let corrupt = |hour| {
            let mut b = backup(hour, CLEAN);
            b.manifest.as_mut().unwrap().corrupt = Some(crate::store::Corruption {
                detected_at: b.name.at,
                reason: "sha256 differs".into(),
            });
            b
        };
        // Three corrupt copies on top cost no good copy its place.
        let backups = vec![
            corrupt(6),
            corrupt(5),
            corrupt(4),
            backup(3, CLEAN),
            backup(2, CLEAN),
            backup(1, CLEAN),
        ];
        assert!(prune(&backups, 3).is_empty());
        // Once three good copies are newer, an older corrupt one goes.
        let backups = vec![
            backup(6, CLEAN),
            backup(5, CLEAN),
            backup(4, CLEAN),
            corrupt(3),
            backup(2, CLEAN),
        ];
        assert_eq!(hours(&prune(&backups, 3)), ["03", "02"]);
    }

    #[test]
    fn orders_by_capture_time_not_by_name() {
        // Names say 05..01; the manifests say the reverse.
        let backups: Vec<_> = (1..=5)
            .map(|h| {
                let mut b = backup(h, CLEAN);
                b.manifest.as_mut().unwrap().captured_at =
                    Utc.with_ymd_and_hms(2026, 1, 1, 10 - h, 0, 0).unwrap();
                b
            })
            .collect();
        assert_eq!(hours(&prune(&backups, 3)), ["04", "05"]);
    }

    #[test]
    fn never_prunes_the_runs_own_copy_or_the_newest_good_one() {
        let future = |days| {
            let mut b = backup(1, CLEAN);
            b.name.at += chrono::Duration::days(days);
            let m = b.manifest.as_mut().unwrap();
            m.file_name = b.name.file_name();
            m.captured_at = b.name.at;
            b
        };
        // Three copies named a year ahead (the clock was fast, then corrected)
        // and the copy this run just made.
        let mut own = backup(23, CLEAN);
        own.name.at = now();
        own.manifest.as_mut().unwrap().file_name = own.name.file_name();
        own.manifest.as_mut().unwrap().captured_at = now();
        let backups = vec![future(365), future(366), future(367), own.clone()];
        let pruned = plan_prune(&backups, 3, &own.name, now());
        assert!(!pruned.contains(&own.name), "{pruned:?}");
        // Copies with an unknown real age rank below believable ones, so new
        // copies replace them, oldest name first.
        assert_eq!(pruned, [future(365).name]);
        // Even a keep of 0 (not configurable, but the rule holds) keeps the
        // own copy and the newest good one.
        let pruned = plan_prune(&backups, 0, &own.name, now());
        assert_eq!(pruned.len(), 3);
        assert!(!pruned.contains(&own.name));
    }
}
