//! Which backups to keep: a pure decision over what is on disk.

use crate::store::{BackupEntry, BackupName};

/// The backups of one table to delete so that `keep` remain.
///
/// `backups` are one table's backups, newest first. The rules:
/// - only files tablesafe made (with a tablesafe manifest) are ever deleted,
///   and only they count towards `keep`;
/// - the newest `keep` are kept;
/// - the newest clean, verified backup is never deleted, even when it is
///   older than the newest `keep` (a run of dirty copies cannot push out the
///   last clean one).
///
/// Whether to prune at all (never after a failed copy) is the caller's call.
pub fn plan_prune(backups: &[BackupEntry], keep: usize) -> Vec<BackupName> {
    let ours: Vec<&BackupEntry> = backups.iter().filter(|b| b.made_by_tablesafe()).collect();
    let newest_clean = ours.iter().position(|b| b.clean_and_verified());
    ours.iter()
        .enumerate()
        .skip(keep)
        .filter(|(i, _)| Some(*i) != newest_clean)
        .map(|(_, b)| b.name.clone())
        .collect()
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
}
