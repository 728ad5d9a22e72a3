//! Test support shared by tablesafe's suites.
//!
//! Tests use real tools (Erlang, grpcurl). [`require`] finds one; when it is
//! missing the test fails under `CI=true` and is skipped with a note elsewhere.
#![forbid(unsafe_code)]

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

    /// Writes a set of about `mib` MiB (1 MiB objects) to `file`.
    pub fn big_table(&self, file: &Path, mib: u32) {
        self.run(&["big", file.to_str().expect("utf-8 path"), &mib.to_string()]);
    }

    /// What real Erlang says about `file` (never touching it), as JSON.
    pub fn report(&self, file: &Path) -> Value {
        let out = self.run(&["report", file.to_str().expect("utf-8 path")]);
        // dets announces a repair on stdout; the report is the last line.
        let last = out
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .expect("a JSON line");
        serde_json::from_str(last).expect("report is JSON")
    }
}
