//! Which backups to keep: a pure decision over what is on disk.

use crate::store::{BackupEntry, BackupName};

/// The backups of one table to delete so that `keep` good ones remain.
///
/// `backups` are one table's backups, newest first. The rules:
/// - only files tablesafe made (with a tablesafe manifest) are ever deleted;
/// - only good copies (verified, and not found corrupt by a scrub since) count
///   towards `keep`: the newest `keep` good copies are kept;
/// - the newest clean good copy is never deleted, even when it is older than
///   the newest `keep` (a run of dirty copies cannot push out the last clean
///   one);
/// - a copy that is not good is deleted only once `keep` good copies newer
///   than it exist, so a damaged copy never costs a good one its place.
///
/// Whether to prune at all (never after a failed copy) is the caller's call.
pub fn plan_prune(backups: &[BackupEntry], keep: usize) -> Vec<BackupName> {
    let ours: Vec<&BackupEntry> = backups.iter().filter(|b| b.made_by_tablesafe()).collect();
    let newest_clean = ours.iter().position(|b| b.clean_and_verified());
    let mut good_newer = 0;
    let mut prune = Vec::new();
    for (i, backup) in ours.iter().enumerate() {
        let surplus = if backup.verified() {
            good_newer += 1;
            good_newer > keep && Some(i) != newest_clean
        } else {
            good_newer >= keep
        };
        if surplus {
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
        let backups: Vec<_> = (1..=5).rev().map(|h| backup(h, CLEAN)).collect();
        assert_eq!(hours(&plan_prune(&backups, 3)), ["02", "01"]);
        assert!(plan_prune(&backups, 5).is_empty());
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
        assert_eq!(hours(&plan_prune(&backups, 3)), ["01"]);
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
        assert!(plan_prune(&backups, 3).is_empty());
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
        assert!(plan_prune(&backups, 3).is_empty());
        // Once three good copies are newer, an older corrupt one goes.
        let backups = vec![
            backup(6, CLEAN),
            backup(5, CLEAN),
            backup(4, CLEAN),
            corrupt(3),
            backup(2, CLEAN),
        ];
        assert_eq!(hours(&plan_prune(&backups, 3)), ["03", "02"]);
    }
}
