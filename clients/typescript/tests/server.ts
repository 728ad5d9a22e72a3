/** A real tablesafe server for the SDK tests: the binary cargo built, on 127.0.0.1. */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const ADMIN = "typescript-sdk-admin-token";

/** A binary cargo built: `$env`, else target/debug/`name`. */
function built(name: string, env: string): string {
  const path = process.env[env] ?? join(ROOT, "target", "debug", name);
  if (!existsSync(path)) throw new Error(`${path} is missing: build it with cargo build --workspace --bins`);
  return path;
}

export function binary(): string {
  return built("tablesafe", "TABLESAFE_BIN");
}

/** A fresh CA and a server certificate for localhost and 127.0.0.1 (testkit's make-test-certs). */
export function makeCerts(): string {
  const dir = mkdtempSync(join(tmpdir(), "tablesafe-ts-certs-"));
  execFileSync(built("make-test-certs", "TABLESAFE_MAKE_CERTS"), [dir]);
  return dir;
}

/** A data directory holding two real Erlang-written tables. */
export function dataRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "tablesafe-ts-"));
  mkdirSync(join(root, "data"));
  const fixtures = join(ROOT, "tests", "data", "dets");
  copyFileSync(join(fixtures, "set_grown.dets"), join(root, "data", "users.dets"));
  copyFileSync(join(fixtures, "set_10.dets"), join(root, "data", "settings.dets"));
  return root;
}

/** A data directory holding one copy of a real Erlang-written table per name. */
export function dataRootWith(names: string[]): string {
  const root = mkdtempSync(join(tmpdir(), "tablesafe-ts-"));
  mkdirSync(join(root, "data"));
  const fixture = join(ROOT, "tests", "data", "dets", "set_10.dets");
  for (const name of names) copyFileSync(fixture, join(root, "data", `${name}.dets`));
  return root;
}

export class Server {
  readonly process: ChildProcessWithoutNullStreams;
  readonly addr: Promise<string>;

  constructor(root: string, listen = "127.0.0.1:0", env: Record<string, string> = {}, args: string[] = []) {
    this.process = spawn(
      binary(),
      ["serve", "--listen", listen, "--schedule", "off", "--data-dir", join(root, "data"), "--backup-dir", join(root, "backups"), ...args],
      { env: { ...process.env, TABLESAFE_ADMIN_TOKEN: ADMIN, RUST_LOG: "info", ...env } },
    );
    const lines = createInterface({ input: this.process.stderr });
    this.addr = new Promise((resolve, reject) => {
      lines.on("line", (line) => {
        const found = line.split("tablesafe listening addr=")[1];
        if (found) resolve(found.split(/\s/)[0]);
      });
      this.process.on("exit", () => reject(new Error("the server exited before listening")));
    });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process.on("exit", resolve));
    this.process.kill("SIGTERM");
    await exited;
  }
}
