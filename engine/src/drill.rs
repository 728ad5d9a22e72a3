//! Restore drills: proof that every backup opens.
//!
//! A drill restores a table's newest good copy into a scratch directory
//! through the same code as a restore ([`crate::restore`]), so the restored
//! bytes are proved by the reader (the manifest's SHA-256, object count and
//! content digest). When an Erlang node is configured, real Erlang then opens
//! the restored file with `{access, read}` and `{repair, false}` under a fresh
//! table name and folds it; its object count and `phash2` sum must equal the
//! manifest's. The scratch file is removed afterwards; the live file is never
//! opened. Each table's last drill is kept in `drills.json` beside the ledger.

use std::collections::HashMap;
use std::fs;
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::TableEntry;
use crate::model::{ErrorCode, TableError};
use crate::restore::{self, Destination, Plan, RestoreRequest, Which};
use crate::store::BackupStore;

/// How far a drill proved the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillLevel {
    /// The reader's full check of the restored bytes.
    Reader,
    /// And real Erlang opened and folded the restored file.
    Erlang,
}

impl DrillLevel {
    /// The level as logs and metric labels spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Erlang => "erlang",
        }
    }
}

/// A table's last drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillFacts {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// Whether the copy restored and proved out.
    pub passed: bool,
    /// How far it was proved (the level tried, when it failed).
    pub level: DrillLevel,
    /// The copy drilled (empty when there was none).
    pub backup: String,
    /// Why it failed.
    pub error: Option<TableError>,
}

/// What Erlang read in a file: (objects, sum mod 2^64 of
/// `erlang:phash2(Object, 4294967296)`), or why it could not read it.
pub type Folded<'a> = Pin<Box<dyn Future<Output = Result<(u64, u64), FoldError>> + Send + 'a>>;

/// Why Erlang gave no reading of a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    /// Erlang could not be asked (the node is unreachable or did not answer
    /// in time): the drill stands at the reader's level.
    #[error("the Erlang node could not be asked: {0}")]
    Unavailable(String),
    /// Erlang was asked and could not open or fold the file: the drill fails.
    #[error("{0}")]
    Refused(String),
}

/// Real Erlang's reading of a file.
pub trait ErlangFold: Send + Sync {
    /// Opens `path` with `{repair, false}` and folds it.
    fn fold<'a>(&'a self, path: &'a Path) -> Folded<'a>;
}

impl ErlangFold for crate::erlang::NodeClient {
    fn fold<'a>(&'a self, path: &'a Path) -> Folded<'a> {
        Box::pin(async move {
            self.fold_file(path).await.map_err(|e| match e {
                crate::erlang::NodeError::Unreachable(_) | crate::erlang::NodeError::Timeout(_) => {
                    FoldError::Unavailable(e.to_string())
                }
                other => FoldError::Refused(other.to_string()),
            })
        })
    }
}

/// What one table's drill found, with the plan of the copy it restored.
#[derive(Debug, Clone)]
pub struct TableDrill {
    /// The table.
    pub table: String,
    /// The facts kept.
    pub facts: DrillFacts,
    /// The copy restored, when one was.
    pub plan: Option<Plan>,
}

/// Drills `table`: restores its newest good copy into `scratch` (a
/// directory of tablesafe's own), proves it, lets Erlang fold it when
/// `erlang` is given, and removes it.
pub async fn drill_table(
    store: &BackupStore,
    table: &TableEntry,
    scratch: &Path,
    erlang: Option<&dyn ErlangFold>,
    run_id: &str,
    now: DateTime<Utc>,
) -> TableDrill {
    let mut level = if erlang.is_some() {
        DrillLevel::Erlang
    } else {
        DrillLevel::Reader
    };
    let target = scratch.join(format!("{}.dets", table.name));
    let restored = {
        let (store, table, target, run_id) = (
            store.clone(),
            table.clone(),
            target.clone(),
            run_id.to_owned(),
        );
        tokio::task::spawn_blocking(move || restore_copy(&store, table, target, &run_id, now))
            .await
            .unwrap_or_else(|e| {
                Err(TableError::new(
                    ErrorCode::BackupIo,
                    format!("the drill task failed: {e}"),
                ))
            })
    };
    let (plan, proved) = match restored {
        Ok(plan) => {
            let proved = match erlang {
                Some(erlang) => match erlang_proof(erlang, &target, &plan).await {
                    Err(Unproved::Unavailable(why)) => {
                        // The reader's proof stands; Erlang's is missing, and
                        // the node's own health says why.
                        tracing::warn!(table = %table.name, reason = %why, "drill proved by the reader only: Erlang could not be asked");
                        level = DrillLevel::Reader;
                        Ok(())
                    }
                    Err(Unproved::Failed(e)) => Err(e),
                    Ok(()) => Ok(()),
                },
                None => Ok(()),
            };
            (Some(plan), proved)
        }
        Err(e) => (None, Err(e)),
    };
    let _ = fs::remove_file(&target);
    let facts = DrillFacts {
        at: now,
        passed: proved.is_ok(),
        level,
        backup: plan.as_ref().map(|p| p.backup.clone()).unwrap_or_default(),
        error: proved.err(),
    };
    TableDrill {
        table: table.name.clone(),
        facts,
        plan,
    }
}

/// The newest good copy restored to `target` through the restore's code
/// (proved by the reader before and after writing).
fn restore_copy(
    store: &BackupStore,
    table: TableEntry,
    target: PathBuf,
    run_id: &str,
    now: DateTime<Utc>,
) -> Result<Plan, TableError> {
    let request = RestoreRequest {
        table,
        which: Which::Newest,
        to: Destination::Path {
            path: target,
            force: true,
        },
        // A dirty copy is drilled as a restore would restore it: rewritten
        // clean, which Erlang must then open without its repair.
        allow_dirty: true,
        // The scratch directory is tablesafe's own.
        keep_out_of: Vec::new(),
    };
    let plan = restore::plan(store, &request, None, now).map_err(|e| e.table_error())?;
    restore::execute(store, &plan, run_id).map_err(|e| e.table_error())?;
    Ok(plan)
}

/// Why Erlang did not prove a restored copy.
enum Unproved {
    /// Erlang could not be asked.
    Unavailable(String),
    /// Erlang refused the file or read other objects.
    Failed(TableError),
}

/// Erlang's count and digest of the restored file equal the manifest's.
async fn erlang_proof(erlang: &dyn ErlangFold, target: &Path, plan: &Plan) -> Result<(), Unproved> {
    let failed =
        |message: String| Unproved::Failed(TableError::new(ErrorCode::DrillFailed, message));
    let (objects, sum) = match erlang.fold(target).await {
        Ok(read) => read,
        Err(FoldError::Unavailable(why)) => return Err(Unproved::Unavailable(why)),
        Err(FoldError::Refused(why)) => {
            return Err(failed(format!(
                "Erlang could not open and fold the restored {}: {why}",
                plan.backup
            )))
        }
    };
    match plan.digest {
        Some(d) if (d.objects, d.sum) == (objects, sum) => Ok(()),
        Some(d) => Err(failed(format!(
            "Erlang read {objects} objects (phash2 sum {sum:016x}) in the restored {}; its manifest has {} ({:016x})",
            plan.backup, d.objects, d.sum
        ))),
        None if objects == plan.records => Ok(()),
        None => Err(failed(format!(
            "Erlang read {objects} objects in the restored {}; its manifest has {}",
            plan.backup, plan.records
        ))),
    }
}

/// Each table's last drill, on disk.
#[derive(Debug)]
pub struct DrillBook {
    path: PathBuf,
    facts: Arc<HashMap<String, DrillFacts>>,
}

impl DrillBook {
    /// The book in `state_dir` (empty when there is none yet; a damaged one
    /// is reported and started anew).
    pub fn open(state_dir: &Path) -> Self {
        let path = state_dir.join("drills.json");
        let facts = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(file = %path.display(), error = %e, "drill book unreadable; starting anew");
                HashMap::new()
            }),
            Err(_) => HashMap::new(),
        };
        Self {
            path,
            facts: Arc::new(facts),
        }
    }

    /// Every table's last drill.
    pub fn facts(&self) -> Arc<HashMap<String, DrillFacts>> {
        self.facts.clone()
    }

    /// Records drills and writes the book (a temporary file renamed over it).
    pub fn record(&mut self, drills: &[TableDrill]) -> io::Result<()> {
        let facts = Arc::make_mut(&mut self.facts);
        for drill in drills {
            facts.insert(drill.table.clone(), drill.facts.clone());
        }
        let tmp = self.path.with_extension("json.tmp");
        let mut out = crate::store::create_with_mode(&tmp, 0o600)?;
        out.write_all(&serde_json::to_vec(&*self.facts)?)?;
        out.sync_all()?;
        fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}
