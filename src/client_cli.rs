//! The client subcommands (`backup`, `backups`, `runs`): thin wrappers over
//! `tablesafe-client` that print a readable table or proto3 JSON.

use std::io::Write;

use tablesafe_client::proto::{self, BackupRun};
use tablesafe_client::{Client, Error, TlsOptions, WatchOptions};

/// The default server URL: the default listen address.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:50051";

/// Connection settings shared by the client subcommands.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Server URL.
    pub server: String,
    /// Bearer token.
    pub token: Option<String>,
    /// Print JSON instead of tables.
    pub json: bool,
    /// PEM CA to trust for an `https://` server.
    pub ca_cert: Option<std::path::PathBuf>,
}

impl Connection {
    async fn client(&self) -> Result<Client, Error> {
        match &self.ca_cert {
            Some(path) => {
                let ca_pem = std::fs::read(path)
                    .map_err(|e| Error::Tls(format!("cannot read {}: {e}", path.display())))?;
                let tls = TlsOptions {
                    ca_pem,
                    ..Default::default()
                };
                Client::connect_tls(&self.server, self.token.as_deref(), &tls).await
            }
            None => Client::connect(&self.server, self.token.as_deref()).await,
        }
    }
}

/// `error` with what the user can do about it: which flag or variable gives
/// the token, which token a call needs.
pub fn explain(conn: &Connection, error: &Error) -> String {
    let hint = match (error.code(), &conn.token) {
        (Some(tonic::Code::Unauthenticated), None) => {
            "no token was given: pass --token TOKEN or set TABLESAFE_TOKEN"
        }
        (Some(tonic::Code::Unauthenticated), Some(_)) => {
            "the token given (--token or TABLESAFE_TOKEN) was refused"
        }
        (Some(tonic::Code::PermissionDenied), _) => {
            "this needs the admin token (--token or TABLESAFE_TOKEN)"
        }
        _ => return error.to_string(),
    };
    format!("{error}\n{hint}")
}

/// `tablesafe backup`: triggers a run and prints its result. Ok(false) when
/// the run did not fully succeed.
pub async fn backup(
    conn: &Connection,
    tables: Vec<String>,
    reason: String,
    out: &mut impl Write,
) -> Result<bool, Error> {
    let reply = conn.client().await?.trigger_backup(tables, reason).await?;
    let run = reply.run.clone().unwrap_or_default();
    if conn.json {
        print_json(&reply, out);
    } else {
        if reply.joined_existing_run {
            let _ = writeln!(out, "joined the run already in progress");
        }
        print_run(&run, out);
    }
    Ok(run.outcome() == proto::RunOutcome::Succeeded)
}

/// Which copies `tablesafe backups` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copies {
    /// The backup directory's.
    Local,
    /// The safety copies restores kept.
    Safety,
    /// The backup directory's, then this host's at every offsite destination.
    WithOffsite,
}

/// `tablesafe backups`: lists backups.
pub async fn backups(
    conn: &Connection,
    table: Option<String>,
    which: Copies,
    out: &mut impl Write,
) -> Result<(), Error> {
    let client = conn.client().await?;
    let backups = match which {
        Copies::Local => client.list_backups(table.as_deref()).await?,
        Copies::Safety => client.list_safety_copies(table.as_deref()).await?,
        Copies::WithOffsite => client.list_backups_with_offsite(table.as_deref()).await?,
    };
    if conn.json {
        print_json(&proto::ListBackupsResponse { backups }, out);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = backups
        .iter()
        .map(|b| {
            vec![
                b.file_name.clone(),
                b.table.clone(),
                b.bytes.to_string(),
                b.records.to_string(),
                short_enum(b.consistency().as_str_name(), "CONSISTENCY_"),
                if b.verified {
                    "yes".into()
                } else {
                    "no".into()
                },
                if b.destination.is_empty() {
                    "local".into()
                } else {
                    b.destination.clone()
                },
            ]
        })
        .collect();
    print_table(
        &[
            "FILE",
            "TABLE",
            "BYTES",
            "RECORDS",
            "CONSISTENCY",
            "VERIFIED",
            "WHERE",
        ],
        &rows,
        out,
    );
    Ok(())
}

/// `tablesafe restore`: restores, or prints the plan of a dry run.
pub async fn restore(
    conn: &Connection,
    request: proto::RestoreBackupRequest,
    out: &mut impl Write,
) -> Result<(), Error> {
    let reply = restore_reply(conn, request).await?;
    print_restore(&reply, conn.json, out);
    Ok(())
}

/// The server's answer to a restore.
pub async fn restore_reply(
    conn: &Connection,
    request: proto::RestoreBackupRequest,
) -> Result<proto::RestoreBackupResponse, Error> {
    conn.client().await?.restore_backup(request).await
}

/// A restore's reply: its plan, and whether it was carried out.
pub fn print_restore(reply: &proto::RestoreBackupResponse, json: bool, out: &mut impl Write) {
    if json {
        print_json(reply, out);
        return;
    }
    let plan = reply.plan.clone().unwrap_or_default();
    let age = plan.age.map(|d| human_age(d.seconds)).unwrap_or_default();
    let digest = plan
        .digest
        .map(|d| format!("{} objects, phash2 sum {:016x}", d.objects, d.phash2_sum))
        .unwrap_or_else(|| "none recorded".into());
    let mut rows = vec![
        ("table", plan.table.clone()),
        ("copy", plan.backup.clone()),
        (
            "captured",
            format!(
                "{} ({age})",
                plan.captured_at.map(format_time).unwrap_or_default()
            ),
        ),
        (
            "consistency",
            short_enum(plan.consistency().as_str_name(), "CONSISTENCY_"),
        ),
        ("records", plan.records.to_string()),
        ("digest", digest),
        ("bytes", plan.bytes.to_string()),
        ("sha256", plan.sha256.clone()),
        ("target", plan.target.clone()),
    ];
    if plan.overwrites {
        rows.push((
            "replaces",
            format!("{} bytes now there", plan.overwritten_bytes),
        ));
    }
    if !plan.safety_copy.is_empty() {
        rows.push(("safety copy", plan.safety_copy.clone()));
    }
    for (key, value) in rows {
        let _ = writeln!(out, "{key:<12} {value}");
    }
    for warning in &plan.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    let _ = if reply.restored {
        writeln!(out, "restored (run {})", reply.run_id)
    } else {
        writeln!(out, "dry run: nothing was changed")
    };
}

/// `tablesafe compact`: compacts one table (or says what it would do).
pub async fn compact(
    conn: &Connection,
    request: proto::CompactTableRequest,
    out: &mut impl Write,
) -> Result<(), Error> {
    let reply = conn.client().await?.compact_table(request).await?;
    if conn.json {
        print_json(&reply, out);
        return Ok(());
    }
    let plan = reply.plan.clone().unwrap_or_default();
    let rows = [
        ("table", plan.table.clone()),
        ("file", plan.path.clone()),
        (
            "size",
            format!(
                "{} bytes, {} free ({:.1}%; threshold {:.1}%{})",
                plan.file_size,
                plan.free_bytes,
                plan.fragmentation_ratio * 100.0,
                plan.threshold * 100.0,
                if plan.forced { ", forced" } else { "" }
            ),
        ),
        ("objects", plan.objects.to_string()),
        ("backup", format!("{} holds the same objects", plan.backup)),
        ("new file", format!("at most {} bytes", plan.expected_size)),
    ];
    for (key, value) in rows {
        let _ = writeln!(out, "{key:<12} {value}");
    }
    let _ = if reply.compacted {
        writeln!(
            out,
            "compacted (run {}): {} bytes now, {} reclaimed; the file as it was is kept as {}",
            reply.run_id, reply.file_size, reply.reclaimed_bytes, reply.safety_copy
        )
    } else {
        writeln!(out, "dry run: nothing was changed")
    };
    Ok(())
}

/// `tablesafe drill`: runs a drill and prints each table's verdict.
/// Ok(false) when any table failed.
pub async fn drill(
    conn: &Connection,
    tables: Vec<String>,
    out: &mut impl Write,
) -> Result<bool, Error> {
    let reply = conn
        .client()
        .await?
        .run_drill(proto::RunDrillRequest { tables })
        .await?;
    if conn.json {
        print_json(&reply, out);
    } else {
        let rows: Vec<Vec<String>> = reply
            .tables
            .iter()
            .map(|t| {
                vec![
                    t.table.clone(),
                    if t.passed { "passed" } else { "FAILED" }.into(),
                    short_enum(t.level().as_str_name(), "DRILL_LEVEL_"),
                    t.backup.clone(),
                    if t.passed {
                        t.records.to_string()
                    } else {
                        format!("{}: {}", t.error_code, t.error_message)
                    },
                ]
            })
            .collect();
        print_table(
            &["TABLE", "DRILL", "LEVEL", "COPY", "RECORDS / WHY"],
            &rows,
            out,
        );
    }
    Ok(reply.tables.iter().all(|t| t.passed))
}

/// `tablesafe remove-safety-copy`.
pub async fn remove_safety_copy(
    conn: &Connection,
    file: &str,
    out: &mut impl Write,
) -> Result<(), Error> {
    conn.client().await?.remove_safety_copy(file).await?;
    let _ = writeln!(out, "removed {file}");
    Ok(())
}

/// `tablesafe runs`: lists recent runs.
pub async fn runs(conn: &Connection, limit: u32, out: &mut impl Write) -> Result<(), Error> {
    let runs = conn.client().await?.list_runs(limit).await?;
    if conn.json {
        print_json(&proto::ListRunsResponse { runs }, out);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            // The counts, which stay when older runs' per-table results go.
            let tables = r.succeeded + r.failed + r.skipped;
            vec![
                r.run_id.clone(),
                short_enum(r.trigger().as_str_name(), "TRIGGER_"),
                r.started_at.map(format_time).unwrap_or_default(),
                short_enum(r.outcome().as_str_name(), "RUN_OUTCOME_"),
                tables.to_string(),
                (r.failed + r.skipped).to_string(),
            ]
        })
        .collect();
    print_table(
        &["RUN", "TRIGGER", "STARTED", "OUTCOME", "TABLES", "FAILED"],
        &rows,
        out,
    );
    Ok(())
}

/// `tablesafe scrub`: every retained backup proved again. Ok(false) when one
/// is found corrupt.
pub async fn scrub(conn: &Connection, out: &mut impl Write) -> Result<bool, Error> {
    let report = conn.client().await?.scrub_backups().await?;
    let intact = report.backups.iter().all(|b| {
        !matches!(
            b.outcome(),
            proto::ScrubOutcome::Corrupt | proto::ScrubOutcome::AlreadyCorrupt
        )
    });
    if conn.json {
        print_json(&report, out);
        return Ok(intact);
    }
    let rows: Vec<Vec<String>> = report
        .backups
        .iter()
        .map(|b| {
            vec![
                b.file_name.clone(),
                b.table.clone(),
                short_enum(b.outcome().as_str_name(), "SCRUB_OUTCOME_"),
                b.message.clone(),
            ]
        })
        .collect();
    print_table(&["FILE", "TABLE", "OUTCOME", "PROBLEM"], &rows, out);
    Ok(intact)
}

/// `tablesafe health`: the report, worst problems first. Ok(false) unless healthy.
pub async fn health(conn: &Connection, refresh: bool, out: &mut impl Write) -> Result<bool, Error> {
    let report = conn.client().await?.get_health(refresh).await?;
    let healthy = report.status() == proto::HealthStatus::Healthy;
    if conn.json {
        print_json(&report, out);
        return Ok(healthy);
    }
    let status = |s: proto::HealthStatus| short_enum(s.as_str_name(), "HEALTH_STATUS_");
    let _ = writeln!(out, "system: {}", status(report.status()));
    for c in &report.components {
        let _ = writeln!(
            out,
            "  {:<14} {:<9} {}",
            c.name,
            status(c.status()),
            c.detail
        );
    }
    let _ = writeln!(out);
    let rows: Vec<Vec<String>> = report
        .tables
        .iter()
        .map(|t| {
            vec![
                t.name.clone(),
                status(t.status()),
                short_enum(t.role().as_str_name(), "TABLE_ROLE_"),
                t.records.to_string(),
                t.file_size_bytes.to_string(),
                format!("{:.1}%", t.fragmentation_ratio * 100.0),
                // From now, not from the snapshot's time (up to a refresh old).
                t.last_backup_at.map_or("never".into(), |at| {
                    human_age(chrono::Utc::now().timestamp() - at.seconds)
                }),
                t.backups_retained.to_string(),
            ]
        })
        .collect();
    print_table(
        &[
            "TABLE",
            "STATUS",
            "ROLE",
            "RECORDS",
            "BYTES",
            "FRAG",
            "LAST BACKUP",
            "KEPT",
        ],
        &rows,
        out,
    );
    let mut issues: Vec<&proto::HealthIssue> =
        report.components.iter().flat_map(|c| &c.issues).collect();
    issues.sort_by_key(|i| std::cmp::Reverse(i.severity));
    if !issues.is_empty() {
        let _ = writeln!(out);
    }
    for issue in issues {
        let scope = if issue.table.is_empty() {
            String::new()
        } else {
            format!(" {}", issue.table)
        };
        let _ = writeln!(
            out,
            "{:<8} {}{scope}: {}",
            status(issue.severity()),
            short_enum(issue.code().as_str_name(), "ISSUE_CODE_").to_uppercase(),
            issue.message
        );
    }
    Ok(healthy)
}

/// `tablesafe watch`: prints events as they arrive, resuming after reconnects.
/// Runs until the stream ends with an error reconnecting cannot fix.
pub async fn watch(
    conn: &Connection,
    options: WatchOptions,
    out: &mut (impl Write + Send),
) -> Result<(), Error> {
    use tokio_stream::StreamExt;
    let client = match &conn.ca_cert {
        Some(_) => conn.client().await?,
        None => Client::connect_lazy(&conn.server, conn.token.as_deref())?,
    };
    let mut events = client.watch_with(options, |retry| {
        let position = if retry.epoch.is_empty() {
            "from now on".to_owned()
        } else {
            format!("after #{} of epoch {}", retry.after_sequence, retry.epoch)
        };
        eprintln!(
            "tablesafe watch: {}; reconnecting in {} ms, resuming {position}",
            retry.error,
            retry.backoff.as_millis()
        );
    });
    let mut epoch = String::new();
    while let Some(event) = events.next().await {
        let event = event?;
        if !conn.json && !event.epoch.is_empty() && event.epoch != epoch {
            epoch.clone_from(&event.epoch);
            let _ = writeln!(
                out,
                "epoch {epoch} (resume with --epoch {epoch} --after <#>)"
            );
        }
        if conn.json {
            let _ = writeln!(out, "{}", serde_json::to_string(&event).unwrap_or_default());
        } else if let Some(line) = describe_event(&event) {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }
    Ok(())
}

/// One readable line per event; heartbeats are not shown.
fn describe_event(event: &proto::Event) -> Option<String> {
    use proto::event::Payload;
    let status = |s: i32| {
        short_enum(
            proto::HealthStatus::try_from(s)
                .unwrap_or_default()
                .as_str_name(),
            "HEALTH_STATUS_",
        )
    };
    let what = match event.payload.as_ref()? {
        Payload::Heartbeat(_) => return None,
        Payload::RunStarted(r) => format!("run {} started ({} tables)", r.run_id, r.tables.len()),
        Payload::TableBackedUp(t) => format!(
            "{} backed up: {} ({} records, {} bytes, {})",
            t.table,
            t.file_name,
            t.records,
            t.bytes,
            short_enum(t.consistency().as_str_name(), "CONSISTENCY_")
        ),
        Payload::TableBackupFailed(t) => format!("{} failed: {}: {}", t.table, t.code, t.message),
        Payload::TableDrilled(d) => {
            let drill = d.drill.clone().unwrap_or_default();
            let level = short_enum(drill.level().as_str_name(), "DRILL_LEVEL_");
            if drill.passed {
                format!("{} drill passed ({level}): {}", drill.table, drill.backup)
            } else {
                format!(
                    "{} drill FAILED ({level}): {}: {}",
                    drill.table, drill.error_code, drill.error_message
                )
            }
        }
        Payload::RestoreStarted(r) => format!(
            "restore {} of {} from {} to {} started",
            r.run_id, r.table, r.backup, r.target
        ),
        Payload::RestoreFinished(r) if r.error_code.is_empty() => format!(
            "restore {} of {} to {} finished{}",
            r.run_id,
            r.table,
            r.target,
            if r.safety_copy.is_empty() {
                String::new()
            } else {
                format!(" (the file it replaced is kept as {})", r.safety_copy)
            }
        ),
        Payload::RestoreFinished(r) => format!(
            "restore {} of {} failed: {}: {}",
            r.run_id, r.table, r.error_code, r.error_message
        ),
        Payload::TableCompacted(c) if c.error_code.is_empty() => format!(
            "compaction {} of {}: {} -> {} bytes (the file as it was is kept as {})",
            c.run_id, c.table, c.bytes_before, c.bytes_after, c.safety_copy
        ),
        Payload::TableCompacted(c) => format!(
            "compaction {} of {} failed: {}: {}",
            c.run_id, c.table, c.error_code, c.error_message
        ),
        Payload::OffsiteCopied(o) => format!(
            "{} stored at {} ({} bytes) and checked",
            o.file_name, o.destination, o.bytes
        ),
        Payload::OffsiteFailed(o) if o.file_name.is_empty() => format!(
            "destination {} cannot be used: {} (tried again later)",
            o.destination, o.message
        ),
        Payload::OffsiteFailed(o) => format!(
            "{} not stored at {}: {} (tried again later)",
            o.file_name, o.destination, o.message
        ),
        Payload::RunFinished(r) => format!(
            "run {} finished: {} ({} succeeded, {} failed)",
            r.run_id,
            short_enum(r.outcome().as_str_name(), "RUN_OUTCOME_"),
            r.succeeded,
            r.failed
        ),
        Payload::HealthChanged(h) => {
            let scope = if h.table.is_empty() {
                "system"
            } else {
                h.table.as_str()
            };
            format!(
                "{scope} health {} -> {}",
                status(h.old_status),
                status(h.new_status)
            )
        }
        Payload::ResyncRequired(r) => format!("events were missed ({}); reload state", r.reason),
    };
    let at = event.at.map(format_time).unwrap_or_default();
    Some(format!("#{:<6} {at}  {what}", event.sequence))
}

fn human_age(seconds: i64) -> String {
    match seconds {
        s if s < 0 => "ahead of this clock".into(),
        s if s >= 86_400 => format!("{}d {}h ago", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{}h {}m ago", s / 3600, s % 3600 / 60),
        s => format!("{}m {}s ago", s / 60, s % 60),
    }
}

fn print_run(run: &BackupRun, out: &mut impl Write) {
    let _ = writeln!(
        out,
        "run {}: {}",
        run.run_id,
        short_enum(run.outcome().as_str_name(), "RUN_OUTCOME_")
    );
    for error in &run.errors {
        let _ = writeln!(out, "error: {error}");
    }
    let rows: Vec<Vec<String>> = run
        .tables
        .iter()
        .map(|t| {
            let detail = if t.error_code.is_empty() {
                t.file_name.clone()
            } else {
                format!("{}: {}", t.error_code, t.error_message)
            };
            vec![
                t.table.clone(),
                short_enum(t.outcome().as_str_name(), "TABLE_OUTCOME_"),
                t.records.to_string(),
                t.bytes.to_string(),
                short_enum(t.consistency().as_str_name(), "CONSISTENCY_"),
                detail,
            ]
        })
        .collect();
    print_table(
        &[
            "TABLE",
            "OUTCOME",
            "RECORDS",
            "BYTES",
            "CONSISTENCY",
            "FILE / ERROR",
        ],
        &rows,
        out,
    );
}

fn format_time(t: tablesafe_client::wkt::Timestamp) -> String {
    chrono::DateTime::<chrono::Utc>::try_from(t)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn short_enum(name: &str, prefix: &str) -> String {
    match name.strip_prefix(prefix) {
        Some("UNSPECIFIED") | None => "-".into(),
        Some(rest) => rest.to_lowercase(),
    }
}

fn print_json(value: &impl serde::Serialize, out: &mut impl Write) {
    let text =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let _ = writeln!(out, "{text}");
}

/// Prints rows under a header, columns padded to their widest cell; columns
/// whose header is in `numeric` are aligned right.
pub fn print_table(header: &[&str], rows: &[Vec<String>], out: &mut impl Write) {
    print_aligned(header, rows, NUMERIC, out);
}

/// Column headers that hold figures.
const NUMERIC: &[&str] = &[
    "RECORDS", "KEYS", "BYTES", "SIZE", "FREE", "FRAG", "TABLES", "FAILED", "KEPT",
];

/// [`print_table`] with the right-aligned columns named.
pub fn print_aligned(
    header: &[&str],
    rows: &[Vec<String>],
    numeric: &[&str],
    out: &mut impl Write,
) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .zip(header)
            .map(|((c, w), h)| {
                if numeric.contains(h) {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let _ = writeln!(out, "{}", line(header.to_vec()));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}
