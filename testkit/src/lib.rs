//! Test support shared by tablesafe's suites.
//!
//! Tests use real tools (Erlang, grpcurl). [`require`] finds one; when it is
//! missing the test fails under `CI=true` and is skipped with a note elsewhere.
#![forbid(unsafe_code)]

pub mod garage;
pub mod tls;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lives in the workspace")
        .to_path_buf()
}

/// The Erlang-written fixtures and their `EXPECTED.json`.
pub fn fixtures() -> PathBuf {
    workspace().join("tests/data/dets")
}

/// One fixture file.
pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// Finds `tool` on `PATH` or in the project's own `.deps/bin`.
///
/// Returns `None` (and says so) when it is missing outside CI; panics under
/// `CI=true`, where a missing tool is a failure, never a skip.
pub fn require(tool: &str) -> Option<PathBuf> {
    let local = workspace().join(".deps/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::iter::once(local)
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        let msg = format!("{tool} is not installed; run scripts/install-test-deps.sh");
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
        eprintln!("skipping: {msg}");
    }
    found
}

/// A small deterministic generator (xorshift64*): the same cases on every run,
/// for the damage and fuzz-like tests.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `[lo, hi)`; `lo` when the range is empty.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            lo
        } else {
            lo + (self.next_u64() % (hi - lo) as u64) as usize
        }
    }

    /// Uniform-ish in `[0, n)`; 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        self.range(0, n)
    }

    /// One of `items`, `None` when there are none.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len())])
    }
}

/// tablesafe's own Erlang helper, `tests/erlang/dets_tool.escript`.
pub struct DetsTool {
    escript: PathBuf,
}

impl DetsTool {
    /// The helper, when Erlang is installed (see [`require`]).
    pub fn find() -> Option<Self> {
        require("escript").map(|escript| Self { escript })
    }

    fn run(&self, args: &[&str]) -> String {
        let script = workspace().join("tests/erlang/dets_tool.escript");
        let out = Command::new(&self.escript)
            .arg(&script)
            .args(args)
            .output()
            .expect("escript runs");
        assert!(
            out.status.success(),
            "dets_tool {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Makes one table per shape in `dir` (`<shape>.dets`).
    pub fn make(&self, dir: &Path, shapes: &[&str]) {
        let mut args = vec!["make", dir.to_str().expect("utf-8 path")];
        args.extend_from_slice(shapes);
        self.run(&args);
    }

    /// Writes a set of about `mib` MiB (1 MiB objects) to `file`: every
    /// value the same, or (`random`) each one random bytes.
    pub fn big_table(&self, file: &Path, mib: u32, random: bool) {
        self.run(&[
            "big",
            file.to_str().expect("utf-8 path"),
            &mib.to_string(),
            if random { "random" } else { "repeated" },
        ]);
    }

    /// What real Erlang says about `file` (never touching it), as JSON.
    pub fn report(&self, file: &Path) -> Value {
        last_json(&self.run(&["report", file.to_str().expect("utf-8 path")]))
    }

    /// Real Erlang's proof that `copy` holds what `source` holds: both opened
    /// with `{repair, false}`, every key of the source looked up in both, then
    /// 1,000 inserts and 1,000 deletes on the copy, closed and reopened with
    /// `{repair, false}` (scratch copies only; neither file is touched).
    pub fn prove(&self, source: &Path, copy: &Path) -> Value {
        last_json(&self.run(&[
            "prove",
            source.to_str().expect("utf-8 path"),
            copy.to_str().expect("utf-8 path"),
        ]))
    }

    /// What real Erlang says about every `*.dets` file in `dir` (sorted by
    /// name, never touching them), in one Erlang run: whether `dets` opens
    /// and folds a copy with `{repair, false}` and, when it does, its content
    /// digest. Fine for thousands of files; a file that crashes or hangs
    /// `dets` (20 s) is reported as not accepted.
    pub fn digests(&self, dir: &Path) -> Vec<ErlangDigest> {
        let out = self.run(&["digest", dir.to_str().expect("utf-8 path")]);
        // dets' own messages ("bad free lists, repairing ...") share stdout.
        out.lines()
            .filter(|l| l.starts_with("{\"file\""))
            .map(|l| {
                let json: Value = serde_json::from_str(l).expect("digest line is JSON");
                ErlangDigest {
                    file: json["file"].as_str().expect("file name").to_owned(),
                    accepted: json["accepted"].as_bool().expect("accepted"),
                    error: json["error"].as_str().map(str::to_owned),
                    objects: json["objects"].as_u64(),
                    sum: json["sum"].as_u64(),
                    rewritten: json["rewritten"] == true,
                }
            })
            .collect()
    }
}

/// Every object of one file as Erlang read it, from [`DetsTool::hashes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErlangObjects {
    /// The file's name inside the directory.
    pub file: String,
    /// `dets` opened it and folded over it.
    pub accepted: bool,
    /// Why not, as Erlang formats the reason.
    pub error: Option<String>,
    /// `erlang:phash2(Object, 4294967296)` of every object, sorted (empty
    /// unless accepted).
    pub hashes: Vec<u32>,
    /// `erlang:phash2(Key, 4294967296)` of each object's key, in the same order.
    pub keys: Vec<u32>,
}

/// How [`DetsTool::hashes`] opens each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `{access, read}, {repair, false}`: only a properly closed file opens.
    Strict,
    /// As an application opens a table by default: a file not closed
    /// properly is repaired by Erlang's own repair.
    Repair,
    /// `{repair, force}`: Erlang's repair whatever the header says.
    Force,
}

impl DetsTool {
    /// Every object of every `*.dets` file in `dir` (sorted by name, never
    /// touching them), in one Erlang run, opened as `mode` says.
    pub fn hashes(&self, dir: &Path, mode: OpenMode) -> Vec<ErlangObjects> {
        let mode = match mode {
            OpenMode::Strict => "strict",
            OpenMode::Repair => "repair",
            OpenMode::Force => "force",
        };
        let out = self.run(&["hashes", mode, dir.to_str().expect("utf-8 path")]);
        let list = |v: &Value| -> Vec<u32> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .map(|h| h.as_u64().expect("a hash") as u32)
                        .collect()
                })
                .unwrap_or_default()
        };
        out.lines()
            .filter(|l| l.starts_with("{\"file\""))
            .map(|l| {
                let json: Value = serde_json::from_str(l).expect("hashes line is JSON");
                ErlangObjects {
                    file: json["file"].as_str().expect("file name").to_owned(),
                    accepted: json["accepted"].as_bool().expect("accepted"),
                    error: json["error"].as_str().map(str::to_owned),
                    hashes: list(&json["hashes"]),
                    keys: list(&json["keys"]),
                }
            })
            .collect()
    }

    /// Writes to `dir/live.dets` (of `table_type`: set, bag or
    /// duplicate_bag) without pause while `copies` raw copies of the open,
    /// dirty file are taken into `dir/copies/`. Returns what the table could
    /// ever have held.
    pub fn churn(&self, table_type: &str, dir: &Path, copies: u32) -> Universe {
        let out = self.run(&[
            "churn",
            table_type,
            dir.to_str().expect("utf-8 path"),
            &copies.to_string(),
        ]);
        let answer = last_json(&out);
        let set = |field: &str| -> HashSet<u32> {
            answer[field]
                .as_array()
                .unwrap_or_else(|| panic!("churn printed no {field}"))
                .iter()
                .map(|h| h.as_u64().expect("a hash") as u32)
                .collect()
        };
        Universe {
            objects: set("universe"),
            keys: set("keys"),
        }
    }
}

/// Everything a [`DetsTool::churn`] table could ever have held.
#[derive(Debug, Clone)]
pub struct Universe {
    /// `erlang:phash2(Object, 4294967296)` of every object ever possible.
    pub objects: HashSet<u32>,
    /// `erlang:phash2(Key, 4294967296)` of every key ever possible.
    pub keys: HashSet<u32>,
}

/// Checks the update cycle of a [`DetsTool::prove`] answer: the copy took
/// 1,000 inserts, 1,000 deletes and a new object under up to 1,000 existing
/// keys, and reopened with `{repair, false}` holding exactly that.
pub fn assert_update_cycle(proof: &Value, ctx: &str) {
    let update = &proof["after_update"];
    assert_eq!(update["accepted"], true, "{ctx}");
    assert_eq!(update["size"], update["expected_size"], "{ctx}");
    assert_eq!(update["no_keys"], update["expected_no_keys"], "{ctx}");
    assert_eq!(update["inserted_found"], 1000, "{ctx}");
    assert_eq!(update["deleted_still_there"], 0, "{ctx}");
    assert_eq!(update["rewritten_found"], update["rewritten"], "{ctx}");
}

/// The last JSON line of the helper's output: dets announces repairs on
/// stdout too.
fn last_json(out: &str) -> Value {
    let last = out
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .expect("a JSON line");
    serde_json::from_str(last).expect("the helper prints JSON")
}

/// The shapes of properly closed tables `DetsTool::make` builds, one of each
/// kind the format has: types, key positions, growth, deletes, large
/// objects, several parts, an emptied table.
pub const CLOSED_SHAPES: &[&str] = &[
    "set_100k",
    "bag_kp2",
    "dup_bag",
    "set_kp3",
    "large_values",
    "set_deleted",
    "bag_deleted",
    "two_parts",
    "empty_grown",
];

/// Real Erlang's verdict on one file, from [`DetsTool::digests`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErlangDigest {
    /// The file's name inside the directory.
    pub file: String,
    /// `dets:open_file` with `{access, read}, {repair, false}` and a full
    /// `dets:foldl` both succeeded.
    pub accepted: bool,
    /// Why not, as Erlang formats the reason (`needs_repair`, ...).
    pub error: Option<String>,
    /// Objects the fold visited, when accepted.
    pub objects: Option<u64>,
    /// Sum mod 2^64 of `erlang:phash2(Object, 4294967296)` over them, when
    /// accepted: with `objects`, tablesafe's `Digest`.
    pub sum: Option<u64>,
    /// `dets` rewrote the copy while opening it (it repairs bad free lists in
    /// place even with `{repair, false}`).
    pub rewritten: bool,
}

/// A real Erlang node that holds DETS tables open and writes to them
/// continuously, as an application would.
pub struct WriterNode {
    child: std::process::Child,
    /// `name@localhost`.
    pub name: String,
    /// The node's cookie.
    pub cookie: String,
}

impl WriterNode {
    /// Starts `erl` with `tables` open in `dir` (`<table>.dets`), inserting
    /// `{N, Value}` into each every 3 ms with N = 1, 2, 3, ... and recording N in
    /// the ETS table `progress` once all tables have it. Returns once the
    /// tables are open. `None` (and a note) without Erlang outside CI.
    pub fn start(dir: &Path, tables: &[&str], cookie: &str) -> Option<Self> {
        let name = format!(
            "tsapp{}x{:x}@localhost",
            std::process::id(),
            unique_suffix()
        );
        Self::start_as(&name, dir, tables, cookie)
    }

    /// [`WriterNode::start`] under a given node name (to restart "the same" node).
    pub fn start_as(name: &str, dir: &Path, tables: &[&str], cookie: &str) -> Option<Self> {
        let erl = require("erl")?;
        let name = name.to_owned();
        let list: Vec<String> = tables.iter().map(|t| format!("\"{t}\"")).collect();
        let program = format!(
            r#"Parent = self(),
spawn(fun() ->
    ets:new(progress, [named_table, public]),
    Tabs = [begin {{ok, T}} = dets:open_file(list_to_atom(N), [{{file, filename:join("{dir}", N ++ ".dets")}}]), T end || N <- [{tables}]],
    Parent ! ready,
    Value = binary:copy(<<"tablesafe">>, 20),
    Loop = fun L(I) -> [ok = dets:insert(T, {{I, Value}}) || T <- Tabs], ets:insert(progress, {{count, I}}), timer:sleep(3), L(I + 1) end,
    Loop(1)
end),
receive ready -> io:format("ready~n") end,
receive stop -> ok end."#,
            dir = dir.display(),
            tables = list.join(",")
        );
        let mut child = Command::new(erl)
            .args([
                "-sname",
                &name,
                "-setcookie",
                cookie,
                "-noshell",
                "-eval",
                &program,
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("erl starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        loop {
            match lines.next() {
                Some(Ok(line)) if line.trim() == "ready" => break,
                Some(_) => continue,
                None => panic!("the Erlang node exited before opening its tables"),
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Some(Self {
            child,
            name,
            cookie: cookie.to_owned(),
        })
    }

    /// Kills the node (SIGKILL): its tables stay as they were on disk.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WriterNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A number that differs between calls close in time (for names of scratch things).
pub fn unique_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

/// Reads a `tablesafe serve` log from `stderr` up to its "tablesafe listening"
/// line and returns that address: the server's port is read, never guessed or
/// waited for. Every line goes to `sink`, and the rest of the log keeps going
/// there from a thread, so the server never blocks on a full pipe. Fails if
/// the log ends first (the server exited before listening).
pub fn listening_address(
    stderr: impl std::io::Read + Send + 'static,
    mut sink: impl FnMut(&str) + Send + 'static,
) -> std::io::Result<std::net::SocketAddr> {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(stderr).lines();
    let addr = loop {
        let Some(line) = lines.next().transpose()? else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server exited before listening",
            ));
        };
        sink(&line);
        if let Some(addr) = listening_addr(&line) {
            break addr;
        }
    };
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| sink(&l)));
    Ok(addr)
}

/// The address in the server's "tablesafe listening" log line, text or JSON.
fn listening_addr(line: &str) -> Option<std::net::SocketAddr> {
    if let Ok(json) = serde_json::from_str::<Value>(line) {
        return (json["message"] == "tablesafe listening")
            .then(|| json["addr"].as_str()?.parse().ok())
            .flatten();
    }
    line.split("tablesafe listening addr=")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
