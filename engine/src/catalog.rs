//! Which tables exist, where their files are, and what role each plays.
//!
//! Tables are the `*.dets` files of the data directories, named by their file
//! stem. When the config lists tables, only those are backed up (unless
//! `backup_orphans` is set) and files found but not listed are orphaned.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A table named in the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    /// The table's name (also the stem of its backups' file names).
    pub name: String,
    /// Its file; relative paths are taken from the first data directory.
    /// Defaults to `<name>.dets` in whichever data directory holds it.
    pub path: Option<PathBuf>,
    /// Problems of a critical table weigh more in health.
    #[serde(default)]
    pub critical: bool,
}

impl TableSpec {
    /// The table `name`, at `<name>.dets` in whichever data directory holds it.
    pub fn named(name: &str, critical: bool) -> Self {
        Self {
            name: name.to_owned(),
            path: None,
            critical,
        }
    }
}

/// The catalog's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogConfig {
    /// Directories scanned for `*.dets` files.
    pub data_dirs: Vec<PathBuf>,
    /// Tables listed in the config (empty: every file found is a table).
    pub tables: Vec<TableSpec>,
    /// Back up files found but not listed, too.
    pub backup_orphans: bool,
    /// Take symlinks in a data directory that lead out of it for tables. Off:
    /// such a link is skipped (and logged), so a link planted in a data
    /// directory cannot make tablesafe read and copy a file elsewhere.
    pub follow_symlinks: bool,
}

/// What part a table plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Listed and critical.
    Critical,
    /// Listed.
    Listed,
    /// Found; no tables are listed in the config.
    Discovered,
    /// Found but not listed while others are.
    Orphaned,
}

/// One table as the catalog sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableEntry {
    /// Table name.
    pub name: String,
    /// Its file.
    pub path: PathBuf,
    /// Its role.
    pub role: Role,
    /// Whether the file exists.
    pub present: bool,
    /// Whether runs back it up.
    pub backed_up: bool,
}

/// The tables found by one listing of every data directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The tables, listed ones first, then by name.
    pub tables: Vec<TableEntry>,
    /// Data directories that could not be listed, with the OS's reason: their
    /// tables are not in `tables`.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Tells which table files the application has open now, for telling a live
/// table from a stale file (for DETS, `dets:all/0` on the node).
pub trait OpenFiles: Send + Sync {
    /// The files open now (canonical paths); `None` when it cannot tell.
    fn open_files(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<HashSet<PathBuf>>> + Send + '_>>;
}

/// Why a name cannot be a table name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid table name {name:?}: use letters, digits, '_', '-' and '.', not starting with '.'"
)]
pub struct InvalidName {
    /// The rejected name.
    pub name: String,
}

/// A path with links and `..` resolved, for comparing files named two ways.
pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether `path` is a plain file, or a symlink to a file inside `real_dir`
/// (itself canonical); a link leading out is logged.
fn stays_inside(path: &Path, real_dir: &Path) -> bool {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link || canonical(path).starts_with(real_dir) {
        return true;
    }
    tracing::warn!(
        file = %path.display(),
        "skipped: a symlink that leads out of the data directory (set follow_symlinks = true to take it)"
    );
    false
}

/// Checks a table name: it becomes part of file names, so it must be plain.
pub fn check_name(name: &str) -> Result<(), InvalidName> {
    let plain = !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain {
        Ok(())
    } else {
        Err(InvalidName { name: name.into() })
    }
}

impl CatalogConfig {
    /// The tables as they are on disk now, listed ones first, then by name.
    ///
    /// Files whose names are not plain table names are skipped.
    pub fn scan(&self) -> Scan {
        self.scan_with_open(None)
    }

    /// [`CatalogConfig::scan`], knowing which files the application has open:
    /// a file found but not open there is orphaned (unless it is listed).
    pub fn scan_with_open(&self, open: Option<&HashSet<PathBuf>>) -> Scan {
        let (found, unreadable) = self.found_files();
        let listed = !self.tables.is_empty();
        let mut tables = Vec::with_capacity(self.tables.len() + found.len());
        for spec in &self.tables {
            let path = match &spec.path {
                Some(p) if p.is_absolute() => p.clone(),
                Some(p) => self.data_dirs.first().map_or(p.clone(), |d| d.join(p)),
                None => found.get(&spec.name).cloned().unwrap_or_else(|| {
                    let dir = self
                        .data_dirs
                        .first()
                        .map_or(Path::new("."), PathBuf::as_path);
                    dir.join(format!("{}.dets", spec.name))
                }),
            };
            tables.push(TableEntry {
                name: spec.name.clone(),
                present: path.is_file(),
                path,
                role: if spec.critical {
                    Role::Critical
                } else {
                    Role::Listed
                },
                backed_up: true,
            });
        }
        let listed_names: HashSet<String> = tables.iter().map(|t| t.name.clone()).collect();
        let listed_paths: HashSet<PathBuf> = tables.iter().map(|t| t.path.clone()).collect();
        for (name, path) in found {
            if listed_names.contains(&name) || listed_paths.contains(&path) {
                continue;
            }
            let closed_by_app = open.is_some_and(|open| !open.contains(&canonical(&path)));
            let role = if listed || closed_by_app {
                Role::Orphaned
            } else {
                Role::Discovered
            };
            tables.push(TableEntry {
                name,
                path,
                role,
                present: true,
                backed_up: role == Role::Discovered || self.backup_orphans,
            });
        }
        Scan { tables, unreadable }
    }

    /// Files of one table name in two data directories, as (name, first,
    /// second). tablesafe refuses to start on any: it would back up only one.
    pub fn name_clashes(&self) -> Vec<(String, PathBuf, PathBuf)> {
        let mut clashes = Vec::new();
        let _ = self.scan_files(|name, first, second| {
            clashes.push((name.to_owned(), first.to_owned(), second.to_owned()));
        });
        clashes
    }

    /// `*.dets` files by table name; the first data directory wins a clash,
    /// which is logged with both paths (start-up refuses one, see
    /// [`CatalogConfig::name_clashes`]).
    fn found_files(&self) -> (BTreeMap<String, PathBuf>, Vec<(PathBuf, String)>) {
        self.scan_files(|name, first, second| {
            tracing::error!(
                table = name,
                backed_up = %first.display(),
                not_backed_up = %second.display(),
                "two data directories hold a table of this name; only the first is backed up"
            );
        })
    }

    /// The files by table name, and the data directories that could not be
    /// listed (each listed once).
    fn scan_files(
        &self,
        mut clash: impl FnMut(&str, &Path, &Path),
    ) -> (BTreeMap<String, PathBuf>, Vec<(PathBuf, String)>) {
        let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut unreadable = Vec::new();
        for dir in &self.data_dirs {
            let listing = match std::fs::read_dir(dir) {
                Ok(listing) => listing,
                Err(e) => {
                    unreadable.push((dir.clone(), e.to_string()));
                    continue;
                }
            };
            let real_dir = canonical(dir);
            let mut files: Vec<PathBuf> = listing
                .filter_map(|entry| {
                    entry
                        .map_err(|e| tracing::error!(dir = %dir.display(), error = %e, "cannot read a data directory entry"))
                        .ok()
                })
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "dets") && p.is_file())
                .filter(|p| self.follow_symlinks || stays_inside(p, &real_dir))
                .collect();
            files.sort();
            for path in files {
                let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                if check_name(name).is_err() {
                    tracing::warn!(file = %path.display(), "skipped: not a plain table name");
                    continue;
                }
                match found.get(name) {
                    Some(first) => clash(name, first, &path),
                    None => {
                        found.insert(name.to_owned(), path);
                    }
                }
            }
        }
        (found, unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str) {
        std::fs::write(dir.join(name), b"x").unwrap();
    }

    #[test]
    fn without_a_list_every_file_is_a_discovered_table() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "users.dets");
        touch(dir.path(), "sessions.dets");
        touch(dir.path(), "notes.txt");
        touch(dir.path(), "bad name.dets");
        let catalog = CatalogConfig {
            data_dirs: vec![dir.path().into()],
            ..Default::default()
        };
        let tables = catalog.scan().tables;
        let names: Vec<_> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["sessions", "users"]);
        assert!(tables
            .iter()
            .all(|t| t.role == Role::Discovered && t.backed_up && t.present));
    }

    #[test]
    fn listed_tables_make_others_orphans_and_missing_ones_show() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "users.dets");
        touch(dir.path(), "stray.dets");
        let mut catalog = CatalogConfig {
            data_dirs: vec![dir.path().into()],
            tables: vec![
                TableSpec::named("users", true),
                TableSpec::named("orders", false),
            ],
            ..Default::default()
        };
        let tables = catalog.scan().tables;
        let view: Vec<_> = tables
            .iter()
            .map(|t| (t.name.as_str(), t.role, t.present, t.backed_up))
            .collect();
        assert_eq!(
            view,
            [
                ("users", Role::Critical, true, true),
                ("orders", Role::Listed, false, true),
                ("stray", Role::Orphaned, true, false),
            ]
        );
        catalog.backup_orphans = true;
        assert!(catalog.scan().tables.iter().all(|t| t.backed_up));
    }

    #[test]
    fn files_the_application_does_not_have_open_are_orphans() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "live.dets");
        touch(dir.path(), "stale.dets");
        let catalog = CatalogConfig {
            data_dirs: vec![dir.path().into()],
            ..Default::default()
        };
        let open: HashSet<PathBuf> = [canonical(&dir.path().join("live.dets"))].into();
        let view: Vec<_> = catalog
            .scan_with_open(Some(&open))
            .tables
            .into_iter()
            .map(|t| (t.name, t.role, t.backed_up))
            .collect();
        assert_eq!(
            view,
            [
                ("live".to_owned(), Role::Discovered, true),
                ("stale".to_owned(), Role::Orphaned, false)
            ]
        );
    }

    #[test]
    fn names_must_be_plain() {
        assert!(check_name("users_v2.cache-1").is_ok());
        for bad in ["", ".hidden", "a/b", "a b", "x\n", "ü"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
