//! The scrub: every retained backup read again and proved against its manifest.
//!
//! A copy verified when it was made can rot on disk afterwards (a flipped bit,
//! a truncation, a hand edit). The scrub re-reads each retained copy that
//! tablesafe made: its bytes must still give the manifest's SHA-256, and the
//! DETS reader's full check (every object decoded) must still give the
//! manifest's counts and content digest. A copy that no longer matches is
//! marked corrupt in its manifest, and from then on it is no backup at all:
//! health reports it (`BACKUP_CORRUPT`), it is not "the last good backup", and
//! retention does not count it towards the copies it keeps.
//!
//! The scrub rewrites only manifests of copies that exist, and checks again
//! after writing that the copy was not pruned meanwhile, so it can run beside a
//! backup run.

use std::fs::File;
use std::io::{self, Read};

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};

use crate::dets;
use crate::model::Consistency;
use crate::store::{BackupEntry, BackupStore, ContentDigest, Corruption};

/// What the scrub found for one backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScrubOutcome {
    /// It still matches its manifest.
    Intact,
    /// It no longer matches; now marked corrupt.
    Corrupt(String),
    /// An earlier scrub already marked it corrupt.
    AlreadyCorrupt(String),
    /// It could not be read (the reason); nothing was marked.
    Unreadable(String),
}

/// One backup's scrub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrubResult {
    /// The table.
    pub table: String,
    /// The backup's file name.
    pub file_name: String,
    /// What was found.
    pub outcome: ScrubOutcome,
}

/// A whole scrub.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrubReport {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Every backup checked, newest first.
    pub results: Vec<ScrubResult>,
}

impl ScrubReport {
    /// Backups newly found corrupt.
    pub fn newly_corrupt(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, ScrubOutcome::Corrupt(_)))
            .count()
    }
}

/// Scrubs every backup tablesafe made (of `tables`, or of all when empty).
/// Blocking: it reads every byte of every copy.
pub fn scrub(
    store: &BackupStore,
    tables: &[String],
    now: impl Fn() -> DateTime<Utc>,
) -> io::Result<ScrubReport> {
    let started_at = now();
    let mut results = Vec::new();
    for entry in store.list(None)? {
        if !tables.is_empty() && !tables.contains(&entry.name.table) {
            continue;
        }
        if !entry.made_by_tablesafe() {
            continue;
        }
        let outcome = match entry.corrupt() {
            Some(c) => ScrubOutcome::AlreadyCorrupt(c.reason.clone()),
            None => match check(store, &entry) {
                Ok(()) => ScrubOutcome::Intact,
                Err(Fault::Unreadable(why)) => ScrubOutcome::Unreadable(why),
                Err(Fault::Mismatch(why)) => {
                    mark_corrupt(store, &entry, &why, now())?;
                    tracing::error!(
                        table = %entry.name.table,
                        file = %entry.name.file_name(),
                        reason = %why,
                        "scrub: backup is corrupt"
                    );
                    ScrubOutcome::Corrupt(why)
                }
            },
        };
        results.push(ScrubResult {
            table: entry.name.table.clone(),
            file_name: entry.name.file_name(),
            outcome,
        });
    }
    let report = ScrubReport {
        started_at,
        finished_at: now(),
        results,
    };
    tracing::info!(
        backups = report.results.len(),
        newly_corrupt = report.newly_corrupt(),
        "scrub finished"
    );
    Ok(report)
}

pub(crate) enum Fault {
    /// The copy is gone or cannot be read: nothing is proved either way.
    Unreadable(String),
    /// The copy is there and differs from what was committed.
    Mismatch(String),
}

/// Proves one copy against its manifest.
fn check(store: &BackupStore, entry: &BackupEntry) -> Result<(), Fault> {
    match &entry.manifest {
        Some(manifest) => prove(&store.path(&entry.name.file_name()), manifest),
        None => Ok(()),
    }
}

/// Proves the file at `path` against `manifest`: its size and SHA-256, and
/// the reader's full check (every object decoded) giving the manifest's
/// counts and content digest. For restores too, before and after writing.
pub(crate) fn prove(
    path: &std::path::Path,
    manifest: &crate::store::Manifest,
) -> Result<(), Fault> {
    let unreadable =
        |e: io::Error| Fault::Unreadable(format!("cannot read {}: {e}", path.display()));
    let mut file = File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len != manifest.bytes {
        return Err(Fault::Mismatch(format!(
            "{len} bytes on disk, {} when committed",
            manifest.bytes
        )));
    }
    let sha256 = sha256_of(&mut file).map_err(unreadable)?;
    if sha256 != manifest.sha256 {
        return Err(Fault::Mismatch(format!(
            "sha256 {sha256} differs from the committed {}",
            manifest.sha256
        )));
    }
    let inspection = match dets::inspect_source(&file, len) {
        Ok(i) => i,
        Err(dets::DetsError::Io(e)) => return Err(unreadable(e)),
        Err(e) => return Err(Fault::Mismatch(format!("no longer a sound DETS file: {e}"))),
    };
    if let Some(problem) = inspection.problems.kept().first() {
        return Err(Fault::Mismatch(format!(
            "no longer a sound DETS file: {problem}"
        )));
    }
    if manifest.consistency == Consistency::Clean && !inspection.closed_properly {
        return Err(Fault::Mismatch(
            "a clean copy that is no longer closed properly".into(),
        ));
    }
    let digest = inspection.digest().map(ContentDigest::from);
    if manifest.digest.is_some() && digest != manifest.digest {
        return Err(Fault::Mismatch(format!(
            "content digest {} differs from the committed {}",
            show(digest),
            show(manifest.digest)
        )));
    }
    if inspection.walk.records != manifest.records || inspection.walk.keys != manifest.keys {
        return Err(Fault::Mismatch(format!(
            "{} objects and {} keys, {} and {} when committed",
            inspection.walk.records, inspection.walk.keys, manifest.records, manifest.keys
        )));
    }
    Ok(())
}

fn show(digest: Option<ContentDigest>) -> String {
    digest.map_or_else(
        || "none".into(),
        |d| format!("{}:{:016x}", d.objects, d.sum),
    )
}

/// Hex SHA-256 of a whole file.
pub(crate) fn sha256_of(file: &mut File) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(crate::pipeline::hex(&hasher.finalize()))
}

/// Records in the copy's manifest that it is corrupt, unless it was pruned meanwhile.
fn mark_corrupt(
    store: &BackupStore,
    entry: &BackupEntry,
    why: &str,
    at: DateTime<Utc>,
) -> io::Result<()> {
    let Some(mut manifest) = entry.manifest.clone() else {
        return Ok(());
    };
    manifest.corrupt = Some(Corruption {
        detected_at: at,
        reason: why.to_owned(),
    });
    store.write_manifest(&entry.name, &manifest)?;
    if !store.path(&entry.name.file_name()).exists() {
        // Pruned while we looked: leave no manifest without its copy.
        let _ = std::fs::remove_file(store.path(&entry.name.manifest_name()));
    }
    store.sync_dir()
}
