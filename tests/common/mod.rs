//! Shared by the end-to-end suites: a real server on 127.0.0.1:0, in-process
//! or as a child process, and the real client.
#![allow(dead_code)] // each suite uses a different part
#![allow(clippy::unwrap_used)] // test support: a panic is the failure report

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tablesafe::config::{
    BackupSection, Config, DrillSection, FileConfig, Overrides, ADMIN_TOKEN_ENV,
};
use tablesafe_client::Client;
use tablesafe_engine::offsite::{RemoteStore, S3Settings};
use tablesafe_engine::store::{BackupName, Manifest};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ADMIN: &str = "admin-token-for-tests";
pub const READER: &str = "read-token-for-tests";

/// A data directory and a backup directory in a fresh temporary folder.
pub struct Dirs {
    pub root: tempfile::TempDir,
    pub data: PathBuf,
    pub backups: PathBuf,
}

impl Dirs {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let data = root.path().join("data");
        let backups = root.path().join("backups");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(&backups).unwrap();
        Self {
            root,
            data,
            backups,
        }
    }

    /// Copies fixtures into the data directory, each under a table name.
    pub fn add_fixtures(&self, tables: &[(&str, &str)]) {
        for (table, fixture) in tables {
            std::fs::copy(
                testkit::fixture(fixture),
                self.data.join(format!("{table}.dets")),
            )
            .unwrap();
        }
    }

    /// Copies a fixture into the data directory as `<table>.current` and
    /// links `<table>.dets` to it (a link that stays inside the directory);
    /// gives the link and the real file.
    pub fn add_linked_fixture(
        &self,
        table: &str,
        fixture: &str,
    ) -> (std::path::PathBuf, std::path::PathBuf) {
        let real = self.data.join(format!("{table}.current"));
        std::fs::copy(testkit::fixture(fixture), &real).unwrap();
        let link = self.data.join(format!("{table}.dets"));
        std::os::unix::fs::symlink(&real, &link).unwrap();
        (link, real)
    }

    /// Backup file names (no manifests, no hidden files), sorted.
    pub fn backup_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".dets") && !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    /// Every file in the backup directory (hidden ones included), sorted.
    pub fn all_backup_dir_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != ".tablesafe")
            .collect();
        names.sort();
        names
    }

    /// Moves every backup of `table` by `by` in time (file names and manifests),
    /// as if the clock had been that far off when they were made.
    pub fn shift_backups(&self, table: &str, by: chrono::Duration) {
        for file in self
            .backup_files()
            .into_iter()
            .filter(|f| f.starts_with(&format!("{table}_")))
        {
            let name = BackupName::parse(&file).unwrap();
            let moved = BackupName {
                at: name.at + by,
                ..name.clone()
            };
            let mut manifest: Manifest = serde_json::from_slice(
                &std::fs::read(self.backups.join(name.manifest_name())).unwrap(),
            )
            .unwrap();
            manifest.file_name = moved.file_name();
            manifest.captured_at += by;
            std::fs::write(
                self.backups.join(moved.manifest_name()),
                serde_json::to_vec(&manifest).unwrap(),
            )
            .unwrap();
            std::fs::remove_file(self.backups.join(name.manifest_name())).unwrap();
            std::fs::rename(
                self.backups.join(&file),
                self.backups.join(moved.file_name()),
            )
            .unwrap();
        }
    }

    /// Writes a config file naming these directories, then `extra`; the
    /// `serve` flags that read it.
    pub fn config_file(&self, extra: &str) -> Vec<String> {
        let file = self.root.path().join("tablesafe.toml");
        std::fs::write(
            &file,
            format!(
                "data_dirs = [{:?}]\nbackup_dir = {:?}\n{extra}\n",
                self.data.display().to_string(),
                self.backups.display().to_string()
            ),
        )
        .unwrap();
        vec!["--config".into(), file.display().to_string()]
    }

    /// `tablesafe serve` flags over these directories, schedule off.
    pub fn serve_args(&self) -> Vec<String> {
        vec![
            "--data-dir".into(),
            self.data.display().to_string(),
            "--backup-dir".into(),
            self.backups.display().to_string(),
            "--schedule".into(),
            "off".into(),
        ]
    }

    /// A server config over these directories: defaults, schedule off, the admin token set.
    pub fn config(&self) -> Config {
        resolve(self.file_config(), &|_| None)
    }

    /// The config file's content over these directories: defaults, backup
    /// and drill schedules off.
    pub fn file_config(&self) -> FileConfig {
        FileConfig {
            data_dirs: vec![self.data.clone()],
            backup_dir: Some(self.backups.clone()),
            backup: BackupSection {
                schedule: Some("off".into()),
                ..Default::default()
            },
            // Drills only where a test asks for them (tests/drill.rs).
            drill: DrillSection {
                schedule: Some("off".into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

/// A process holding `path` open (as an application would), killed when
/// dropped.
pub struct Holder(Child);

impl Holder {
    /// Returns once the process has the file open.
    pub fn open(path: &Path) -> Self {
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "exec 3<'{}'; echo held; exec sleep 60",
                path.display()
            ))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line, "held\n");
        Self(child)
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A tmpfs of a given size mounted on a directory, unmounted when dropped: a
/// real file system that fills up, for the paths that meet a full disk.
/// Mounting needs the privilege to mount (root): without it `None` and a note,
/// and under `CI=true` a failure, never a skip.
pub struct SmallFs {
    dir: PathBuf,
}

impl SmallFs {
    /// Mounts `bytes` of tmpfs on the (empty) directory `dir`.
    pub fn mount(dir: &Path, bytes: u64) -> Option<Self> {
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={bytes},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Self {
                dir: dir.to_owned(),
            }),
            other => {
                let msg = format!(
                    "cannot mount a small tmpfs on {} (needs the privilege to mount, CAP_SYS_ADMIN): {other:?}",
                    dir.display()
                );
                assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
                eprintln!("skipped: {msg}");
                None
            }
        }
    }

    /// Bytes free, as the server measures them.
    pub fn free(&self) -> u64 {
        tablesafe_engine::store::free_space_at(&self.dir).unwrap()
    }

    /// Resizes the file system to `bytes` in all.
    pub fn grow(&self, bytes: u64) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.dir)
            .status()
            .unwrap();
        assert!(status.success(), "remount {}", self.dir.display());
    }

    /// Writes a filler file so that at most `left` bytes stay free.
    pub fn fill_to(&self, left: u64) -> PathBuf {
        let filler = self.dir.join("filler");
        let size = self.free().saturating_sub(left);
        std::fs::write(&filler, vec![0x5a; size as usize]).unwrap();
        assert!(self.free() <= left, "{} bytes still free", self.free());
        filler
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        // Lazy: a file the server still holds does not keep the mount.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// The hex SHA-256 of the file at `path`.
pub fn sha256(path: &Path) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `file` resolved to listen on an ephemeral port, with the admin token and
/// whatever else `env` holds in the environment.
pub fn resolve(file: FileConfig, env: &dyn Fn(&str) -> Option<String>) -> Config {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        ..Default::default()
    };
    file.resolve(overrides, &|name| {
        (name == ADMIN_TOKEN_ENV)
            .then(|| ADMIN.to_owned())
            .or_else(|| env(name))
    })
    .unwrap()
}

/// Triggers a backup of `tables` (every table when empty) and waits for it:
/// the finished run.
pub async fn backed_up(
    client: &Client,
    tables: Vec<String>,
    reason: &str,
) -> tablesafe_client::proto::BackupRun {
    client
        .trigger_backup(tables, reason)
        .await
        .unwrap()
        .run
        .unwrap()
}

/// A server running in this process on an ephemeral port.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Binds 127.0.0.1:0 first, so the server is reachable as soon as this returns.
    pub async fn start(config: Config) -> Self {
        let bus = tablesafe_engine::events::EventBus::new(config.ring_size);
        Self::start_with_events(config, bus).await
    }

    /// [`TestServer::start`], publishing on `bus`.
    pub async fn start_with_events(
        config: Config,
        bus: tablesafe_engine::events::EventBus,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(tablesafe::server::run_with_events(
            config,
            listener,
            async {
                let _ = rx.await;
            },
            bus,
        ));
        Self {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn client(&self, token: Option<&str>) -> Client {
        Client::connect(&self.url(), token).await.expect("connects")
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// The `tablesafe` binary as a child process.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl ServerProcess {
    /// Starts `tablesafe serve` with `args` through `bash -c`, with `prelude`
    /// (for example `ulimit -f 1000`) run first. Returns once it listens: the
    /// address is read from its log line, never guessed or waited for.
    pub fn spawn(dir: &Path, prelude: &str, args: &[String]) -> Self {
        let log = dir.join(format!(
            "server-{}.log",
            std::process::id() ^ testkit::unique_suffix()
        ));
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let script = format!(
            "{prelude}\nexec '{}' serve --listen 127.0.0.1:0 {}",
            env!("CARGO_BIN_EXE_tablesafe"),
            quoted.join(" "),
        );
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(script)
            .env("TABLESAFE_ADMIN_TOKEN", ADMIN)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bash starts");
        let mut file = std::fs::File::create(&log).unwrap();
        let addr = testkit::listening_address(child.stderr.take().unwrap(), move |line| {
            let _ = writeln!(file, "{line}");
        })
        .expect("server listens");
        Self { child, addr, log }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A plain HTTP/1.1 GET on the server's port: (status code, body).
pub async fn http_get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    let (status, head, body) = http_get_with(addr, path, &headers).await;
    assert!(!head.contains("transfer-encoding: chunked"), "{head}");
    (status, body)
}

/// [`http_get`] with request headers: (status code, the response's head in
/// lower case, body).
pub async fn http_get_with(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or((response.as_str(), ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// Runs `tablesafe serve ARGS` to its end; it must refuse to start. Its stderr.
pub fn refused_start(args: &[String]) -> String {
    refused_start_with(args, &[("TABLESAFE_ADMIN_TOKEN", ADMIN)])
}

/// [`refused_start`] with exactly the tablesafe variables `env` in its environment.
pub fn refused_start_with(args: &[String], env: &[(&str, &str)]) -> String {
    refused_on(args, env, "127.0.0.1:0")
}

/// [`refused_start_with`], and the refusal came before the port was bound:
/// the port it is given is held here, so a server that got as far as
/// binding would fail with "cannot listen" instead.
pub fn refused_before_binding(args: &[String], env: &[(&str, &str)]) -> String {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stderr = refused_on(args, env, &held.local_addr().unwrap().to_string());
    assert!(
        !stderr.contains("cannot listen"),
        "it refused only after binding: {stderr}"
    );
    stderr
}

fn refused_on(args: &[String], env: &[(&str, &str)], listen: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tablesafe"))
        .arg("serve")
        .args(["--listen", listen])
        .args(args)
        .env_remove("TABLESAFE_ADMIN_TOKEN")
        .env_remove("TABLESAFE_READ_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "it started: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The bucket of a Garage cluster started by `testkit::garage`, with its
/// key, through the S3 client tablesafe uses.
pub fn garage_bucket(garage: &testkit::garage::GarageCluster) -> std::sync::Arc<dyn RemoteStore> {
    S3Settings {
        endpoint: garage.endpoint(),
        region: garage.region().into(),
        bucket: garage.bucket().into(),
        access_key_id: garage.key_id().into(),
        secret_access_key: garage.secret().into(),
        path_style: true,
        allow_http: true,
    }
    .connect()
    .unwrap()
}
