//! A real multi-node [Garage](https://garagehq.deuxfleurs.fr/) cluster (an
//! S3-compatible object store) on loopback, for end-to-end tests of S3
//! uploads.
//!
//! [`GarageCluster::start`] runs `nodes` `garage server` processes, each with
//! its own directories and ports under one fresh temporary directory, joins
//! them, applies a layout, imports an access key and creates a bucket the key
//! may read, write and own. Every wait polls for the real condition (a port
//! that accepts, the cluster status, the layout every node acknowledged, an
//! HTTP answer); nothing sleeps for a guessed time.
//!
//! ```no_run
//! let Some(cluster) = testkit::garage::GarageCluster::start(3, 3) else {
//!     return; // garage is not installed (outside CI)
//! };
//! let _endpoint = cluster.endpoint(); // http://127.0.0.1:<port>
//! let _credentials = (cluster.key_id(), cluster.secret(), cluster.region());
//! ```

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long any one wait (start-up, joining, layout, restart) may take.
const DEADLINE: Duration = Duration::from_secs(60);
/// The pause between two polls of a condition.
const POLL: Duration = Duration::from_millis(25);
/// How long one run of the `garage` CLI may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(30);
/// The S3 region in every node's configuration.
const REGION: &str = "garage";
/// The bucket made at start-up.
const BUCKET: &str = "tablesafe-test";
/// The storage capacity each node is given in the layout.
const CAPACITY: &str = "1G";
/// How much of a server log goes into a panic message.
const LOG_TAIL: usize = 4000;

/// One `garage server` and everything it keeps.
struct Node {
    /// Its own directory: `config.toml`, `garage.log`, `meta/`, `data/`.
    dir: PathBuf,
    rpc_port: u16,
    s3_port: u16,
    admin_port: u16,
    /// The full node id (64 hex digits), once the server has made its key.
    id: String,
    /// The running server; `None` while stopped. (A lock so that a wait can
    /// notice, through `&self`, that a server has exited.)
    child: Mutex<Option<Child>>,
}

impl Node {
    fn config(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("garage.log")
    }

    fn running(&self) -> bool {
        self.child
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Kills the server, if it runs, and waits for it to exit.
    fn kill(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(mut child) = child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `<id>@127.0.0.1:<rpc port>`, as `garage node connect` wants it.
    fn peer(&self) -> String {
        format!("{}@127.0.0.1:{}", self.id, self.rpc_port)
    }
}

/// A running Garage cluster on loopback, with one bucket and one access key
/// allowed to read, write and own it.
///
/// Dropping it kills every node and removes its temporary directory.
pub struct GarageCluster {
    garage: PathBuf,
    dir: PathBuf,
    nodes: Vec<Node>,
    bucket: String,
    key_id: String,
    secret: String,
    admin_token: String,
}

impl GarageCluster {
    /// Starts `nodes` Garage servers on loopback (free ports), joins them,
    /// assigns a layout with `replication_factor` (each node in its own zone
    /// `z1`, `z2`, ..., capacity 1 GB), applies it, imports an access key,
    /// creates a bucket and allows the key to read, write and own it.
    ///
    /// Returns once every node serves S3. `None` (with a note) when `garage`
    /// is not installed outside CI (see [`crate::require`]). Panics, with the
    /// end of the server logs, when the cluster does not come up within a
    /// minute.
    pub fn start(nodes: usize, replication_factor: usize) -> Option<Self> {
        assert!(
            (1..=nodes).contains(&replication_factor),
            "replication factor {replication_factor} must be between 1 and the node count ({nodes})"
        );
        // TABLESAFE_GARAGE: another build (the benchmark's, fully optimised).
        let garage = match std::env::var_os("TABLESAFE_GARAGE") {
            Some(path) => PathBuf::from(path),
            None => crate::require("garage")?,
        };
        static CLUSTERS: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tablesafe-garage-{}-{}-{:x}",
            std::process::id(),
            CLUSTERS.fetch_add(1, Ordering::Relaxed),
            crate::unique_suffix()
        ));
        fs::create_dir_all(&dir).expect("create the cluster's temporary directory");

        let rpc_secret = random_hex(32);
        let admin_token = random_hex(32);
        let metrics_token = random_hex(32);
        let ports = free_ports(3 * nodes);
        let nodes = ports
            .chunks(3)
            .enumerate()
            .map(|(i, ports)| {
                let node = Node {
                    dir: dir.join(format!("node{i}")),
                    rpc_port: ports[0],
                    s3_port: ports[1],
                    admin_port: ports[2],
                    id: String::new(),
                    child: Mutex::new(None),
                };
                fs::create_dir_all(&node.dir).expect("create a node's directory");
                let config = config_toml(
                    &node,
                    replication_factor,
                    &rpc_secret,
                    &admin_token,
                    &metrics_token,
                );
                fs::write(node.config(), config).expect("write a node's config.toml");
                node
            })
            .collect();

        // From here on, a panic drops the cluster, which kills what runs.
        let mut cluster = Self {
            garage,
            dir,
            nodes,
            bucket: BUCKET.to_owned(),
            key_id: format!("GK{}", random_hex(12)),
            secret: random_hex(32),
            admin_token,
        };
        for node in 0..cluster.nodes.len() {
            cluster.spawn(node);
        }
        for node in 0..cluster.nodes.len() {
            cluster.await_boot(node);
        }
        cluster.mesh("the nodes to connect to each other");
        cluster.apply_layout();
        cluster.setup_key_and_bucket();
        for node in 0..cluster.nodes.len() {
            cluster.await_s3(node);
        }
        Some(cluster)
    }

    /// The S3 endpoint of node 0, `http://127.0.0.1:<port>` (path-style).
    pub fn endpoint(&self) -> String {
        self.endpoint_of(0)
    }

    /// The S3 endpoint of `node`, `http://127.0.0.1:<port>` (path-style).
    pub fn endpoint_of(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[node].s3_port)
    }

    /// The admin API endpoint of `node`, `http://127.0.0.1:<port>`; it takes
    /// [`GarageCluster::admin_token`] as a bearer token.
    pub fn admin_endpoint_of(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[node].admin_port)
    }

    /// The admin API's bearer token (the same on every node).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// How many nodes the cluster has (running or stopped).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The S3 region the nodes are configured with (`garage`): requests must
    /// be signed for it.
    pub fn region(&self) -> &str {
        REGION
    }

    /// The bucket made at start-up (`tablesafe-test`).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The access key id (`GK` and 24 hex digits) allowed to read, write and
    /// own [`GarageCluster::bucket`].
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The secret of [`GarageCluster::key_id`] (64 hex digits).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Kills `node` (SIGKILL, as a crash would) and waits for it to exit. Its
    /// configuration and data stay for [`GarageCluster::start_node`].
    pub fn stop_node(&mut self, node: usize) {
        self.nodes[node].kill();
    }

    /// The process id of `node`'s server, while it runs.
    pub fn pid_of(&self, node: usize) -> Option<u32> {
        self.nodes[node]
            .child
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(Child::id)
    }

    /// Starts a stopped `node` again with the same configuration and data,
    /// and returns once every running node sees every other one up (the
    /// restarted node included) and its S3 port answers HTTP.
    pub fn start_node(&mut self, node: usize) {
        assert!(
            !self.nodes[node].running(),
            "garage node {node} is already running"
        );
        self.spawn(node);
        self.await_port(node, self.nodes[node].rpc_port, "RPC");
        self.mesh(&format!("node {node} to rejoin the cluster"));
        self.await_s3(node);
    }

    /// Creates another bucket `name` (a valid S3 bucket name: 3 to 63
    /// lowercase letters, digits, `-` or `.`) and allows
    /// [`GarageCluster::key_id`] to read, write and own it. Panics when
    /// Garage refuses (a bad or taken name).
    pub fn create_bucket(&self, name: &str) {
        self.garage(&["bucket", "create", name]);
        self.garage(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            name,
            "--key",
            &self.key_id,
        ]);
    }

    /// Creates another access key named `name`, allowed on no bucket, and
    /// returns its id and secret.
    pub fn create_key(&self, name: &str) -> (String, String) {
        let payload = serde_json::json!({ "name": name }).to_string();
        let out = self.garage(&["json-api", "CreateKey", &payload]);
        let key: Value = serde_json::from_str(&out).expect("CreateKey answers JSON");
        let field = |name: &str| {
            key[name]
                .as_str()
                .unwrap_or_else(|| panic!("CreateKey answered without {name}: {out}"))
                .to_owned()
        };
        (field("accessKeyId"), field("secretAccessKey"))
    }

    /// Runs the `garage` CLI with `args` against node 0 (or, while node 0 is
    /// stopped, the first running node) and returns its stdout. Panics with
    /// its stderr when it fails.
    pub fn garage(&self, args: &[&str]) -> String {
        let node = self.cli_node();
        self.cli(node, args)
            .unwrap_or_else(|e| panic!("garage {args:?} failed on node {node}: {e}"))
    }

    /// [`GarageCluster::garage`] during start-up: a failure shows the logs.
    fn must(&self, args: &[&str]) -> String {
        self.cli(0, args)
            .unwrap_or_else(|e| panic!("garage {args:?} failed: {e}{}", self.logs()))
    }

    /// The node the CLI talks to: node 0 unless it is stopped.
    fn cli_node(&self) -> usize {
        (0..self.nodes.len())
            .find(|&i| self.nodes[i].running())
            .expect("a running garage node")
    }

    /// Runs `garage -c <node's config> args...`: stdout, or why it failed.
    fn cli(&self, node: usize, args: &[&str]) -> Result<String, String> {
        let mut command = Command::new(&self.garage);
        command
            .arg("-c")
            .arg(self.nodes[node].config())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        clean_env(&mut command);
        let mut child = command.spawn().expect("the garage CLI starts");
        let stdout = drain(child.stdout.take().expect("piped stdout"));
        let stderr = drain(child.stderr.take().expect("piped stderr"));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for the garage CLI") {
                break Some(status);
            }
            if started.elapsed() > CLI_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(5));
        };
        let stdout = stdout.join().expect("stdout reader");
        let stderr = stderr.join().expect("stderr reader");
        match status {
            Some(status) if status.success() => Ok(stdout),
            Some(status) => Err(format!("{status}: {}{stdout}", stderr.trim_end())),
            None => Err(format!("no answer in {CLI_TIMEOUT:?}: {stderr}{stdout}")),
        }
    }

    /// `garage json-api <endpoint>` on `node`, parsed.
    fn json(&self, node: usize, endpoint: &str) -> Result<Value, String> {
        let out = self.cli(node, &["json-api", endpoint])?;
        serde_json::from_str(&out).map_err(|e| format!("{endpoint} answered {out:?}: {e}"))
    }

    /// Starts `node`'s server, its output appended to its `garage.log`.
    fn spawn(&mut self, node: usize) {
        let n = &self.nodes[node];
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(n.log())
            .expect("open a node's log");
        let err = log.try_clone().expect("share a node's log");
        let mut command = Command::new(&self.garage);
        command
            .arg("-c")
            .arg(n.config())
            .arg("server")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .env("NO_COLOR", "1");
        clean_env(&mut command);
        let child = command.spawn().expect("garage server starts");
        *self.nodes[node]
            .child
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner) = Some(child);
    }

    /// Waits for `node`'s server to make its key (read with `garage node id`)
    /// and to accept RPC connections.
    fn await_boot(&mut self, node: usize) {
        let out = self.wait_for(&format!("node {node} to make its node key"), || {
            self.cli(node, &["node", "id", "-q"])
        });
        let id = out
            .trim()
            .split('@')
            .next()
            .filter(|id| id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .unwrap_or_else(|| panic!("`garage node id -q` printed {out:?}"))
            .to_owned();
        self.nodes[node].id = id;
        self.await_port(node, self.nodes[node].rpc_port, "RPC");
    }

    /// Waits until every running node sees every running node up, asking a
    /// node that does not see a peer to connect to it (`garage node connect`):
    /// Garage itself retries a lost peer only every 30 s.
    fn mesh(&self, what: &str) {
        let running: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].running())
            .collect();
        self.wait_for(what, || {
            let mut down = Vec::new();
            for &i in &running {
                let status = self.json(i, "GetClusterStatus")?;
                for &j in &running {
                    if !is_up(&status, &self.nodes[j].id) {
                        // Failing is fine: the next round tries again.
                        let _ = self.cli(i, &["node", "connect", &self.nodes[j].peer()]);
                        down.push((i, j));
                    }
                }
            }
            if down.is_empty() {
                Ok(())
            } else {
                Err(format!("(node, peer it does not see up): {down:?}"))
            }
        });
    }

    /// Gives every node a role in its own zone, applies the layout and waits
    /// until every node has acknowledged it and the cluster is healthy.
    fn apply_layout(&self) {
        for (i, node) in self.nodes.iter().enumerate() {
            let zone = format!("z{}", i + 1);
            self.must(&["layout", "assign", "-z", &zone, "-c", CAPACITY, &node.id]);
        }
        let layout = self.must(&["json-api", "GetClusterLayout"]);
        let layout: Value = serde_json::from_str(&layout).expect("GetClusterLayout answers JSON");
        let version = layout["version"].as_u64().expect("a layout version") + 1;
        self.must(&["layout", "apply", "--version", &version.to_string()]);
        for node in 0..self.nodes.len() {
            self.wait_for(&format!("node {node} to have layout {version}"), || {
                let status = self.json(node, "GetClusterStatus")?;
                match status["layoutVersion"].as_u64() {
                    Some(v) if v >= version => Ok(()),
                    v => Err(format!("layout version {v:?}")),
                }
            });
        }
        self.wait_for(
            &format!("every node to acknowledge layout {version}"),
            || {
                let history = self.json(0, "GetClusterLayoutHistory")?;
                match history["minAck"].as_u64() {
                    Some(v) if v >= version => Ok(()),
                    v => Err(format!("minAck {v:?}: {history}")),
                }
            },
        );
        self.wait_for("the cluster to be healthy", || {
            let health = self.json(0, "GetClusterHealth")?;
            match health["status"].as_str() {
                Some("healthy") => Ok(()),
                _ => Err(format!("health {health}")),
            }
        });
    }

    /// Imports the access key and creates the bucket it may use.
    fn setup_key_and_bucket(&self) {
        let (id, secret) = (&self.key_id, &self.secret);
        self.must(&["key", "import", "--yes", "-n", "tablesafe", id, secret]);
        self.must(&["bucket", "create", &self.bucket]);
        let allow = ["--read", "--write", "--owner", &self.bucket, "--key", id];
        self.must(&[&["bucket", "allow"][..], &allow].concat());
    }

    /// Waits until `node`'s S3 port answers an HTTP request (any status).
    fn await_s3(&self, node: usize) {
        let port = self.nodes[node].s3_port;
        self.wait_for(&format!("node {node}'s S3 API to answer"), || {
            http_status_line(port, &format!("/{}", self.bucket))
        });
    }

    /// Waits until `node` accepts TCP connections on `port`.
    fn await_port(&self, node: usize, port: u16, what: &str) {
        self.wait_for(
            &format!("node {node}'s {what} port {port} to accept"),
            || {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                TcpStream::connect_timeout(&addr, Duration::from_secs(1))
                    .map(drop)
                    .map_err(|e| e.to_string())
            },
        );
    }

    /// Polls `check` until it succeeds; panics with the last error and the
    /// end of every server log after [`DEADLINE`], or as soon as a server
    /// that should run has exited.
    fn wait_for<T>(&self, what: &str, mut check: impl FnMut() -> Result<T, String>) -> T {
        let started = Instant::now();
        loop {
            let last = match check() {
                Ok(value) => return value,
                Err(e) => e,
            };
            if let Some(exited) = self.exited() {
                panic!(
                    "garage {exited} while waiting for {what} (last: {last}){}",
                    self.logs()
                );
            }
            if started.elapsed() > DEADLINE {
                panic!(
                    "timed out after {DEADLINE:?} waiting for {what} (last: {last}){}",
                    self.logs()
                );
            }
            thread::sleep(POLL);
        }
    }

    /// Which node that should run has exited, and how.
    fn exited(&self) -> Option<String> {
        self.nodes.iter().enumerate().find_map(|(i, node)| {
            let mut child = node.child.lock().unwrap_or_else(PoisonError::into_inner);
            let status = child.as_mut()?.try_wait().ok()??;
            Some(format!("node {i} exited ({status})"))
        })
    }

    /// The end of every node's log, for panic messages.
    fn logs(&self) -> String {
        let mut out = String::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let log = fs::read(node.log()).unwrap_or_default();
            let tail = &log[log.len().saturating_sub(LOG_TAIL)..];
            let _ = write!(
                out,
                "\n---- node {i}: end of garage.log ----\n{}",
                String::from_utf8_lossy(tail)
            );
        }
        out
    }
}

impl Drop for GarageCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Whether `status` (a `GetClusterStatus` answer) shows node `id` up.
fn is_up(status: &Value, id: &str) -> bool {
    status["nodes"].as_array().is_some_and(|nodes| {
        nodes
            .iter()
            .any(|n| n["id"].as_str() == Some(id) && n["isUp"] == true)
    })
}

/// A node's `config.toml`.
fn config_toml(
    node: &Node,
    replication_factor: usize,
    rpc_secret: &str,
    admin_token: &str,
    metrics_token: &str,
) -> String {
    // A JSON string is a valid TOML basic string.
    let path = |p: PathBuf| Value::String(p.to_string_lossy().into_owned()).to_string();
    format!(
        r#"metadata_dir = {meta}
data_dir = {data}
db_engine = "lmdb"
replication_factor = {replication_factor}
disable_scrub = true

rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{rpc_secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
admin_token = "{admin_token}"
metrics_token = "{metrics_token}"
"#,
        meta = path(node.dir.join("meta")),
        data = path(node.dir.join("data")),
        rpc = node.rpc_port,
        s3 = node.s3_port,
        admin = node.admin_port,
    )
}

/// Keeps the caller's `GARAGE_*` variables (`GARAGE_RPC_HOST`,
/// `GARAGE_RPC_SECRET`, ...) from overriding the node's configuration.
fn clean_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GARAGE_") {
            command.env_remove(name);
        }
    }
}

/// Reads `pipe` to its end on a thread, so the child never blocks on it.
fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// `count` distinct ports that were free a moment ago (all bound at once,
/// then released: another process may take one in between, a small race).
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free loopback port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("a bound port").port())
        .collect()
}

/// `bytes` random bytes from the kernel, in hex.
fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("read /dev/urandom");
    buf.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// Sends `GET path` to `127.0.0.1:port` and returns the status line of the
/// answer, whatever the status.
fn http_status_line(port: u16, path: &str) -> Result<String, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 512];
    while !answer.contains(&b'\n') {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) => return Err(e.to_string()),
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    let line = answer.lines().next().unwrap_or_default();
    if line.starts_with("HTTP/1.") {
        Ok(line.to_owned())
    } else {
        Err(format!("not an HTTP answer: {answer:?}"))
    }
}
