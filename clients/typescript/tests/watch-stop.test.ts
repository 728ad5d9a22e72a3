/** A stopped watcher lets its process exit: leaving the loop (break), closing the
 * client while the loop waits, or aborting its signal cancels the gRPC call.
 * Each way runs tests/fixtures/stop-watcher.ts as a child process against a real
 * server; the child must exit by itself, with nothing killing it. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";

import { Server, dataRoot } from "./server.ts";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
/** Not a timing measurement: only how long to wait before calling a hung child a failure. */
const HANG_GUARD_MS = 30_000;

const server = new Server(dataRoot());
after(() => server.stop());

/** Runs the fixture; resolves with its exit code and output once it exits by itself. */
function runChild(addr: string, how: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "tests/fixtures/stop-watcher.ts", addr, how], { cwd: PACKAGE });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the child stopped by ${how} did not exit by itself within ${HANG_GUARD_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, HANG_GUARD_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

for (const how of ["break", "close", "abort"]) {
  test(`a watcher stopped by ${how} lets the process exit`, async () => {
    const addr = await server.addr;
    const { code, stdout, stderr } = await runChild(addr, how);
    assert.equal(code, 0, stderr);
    // The one event seen was the resync notice: its position is sequence 0 of the server's epoch.
    assert.match(stdout, new RegExp(`^stopped by ${how}: \\{"afterSequence":"0","epoch":"[^"]+"\\}$`, "m"), stdout);
    if (how !== "break") assert.match(stdout, /^loop ended after 1 event\(s\)$/m, stdout);
  });
}
