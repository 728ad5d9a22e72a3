/** The package as a user gets it: `npm pack` (which builds dist/ through prepack),
 * `npm install` of the tarball into a fresh project, then that project's ES module
 * script (import) and CommonJS script (require) against a real server, and a
 * `tsc --strict` check of its TypeScript against the installed types. Needs npm on
 * PATH (and the registry, or npm's cache, for the dependencies); without it the
 * test fails, it never skips. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { ADMIN, Server, dataRoot } from "./server.ts";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
/** Not a timing measurement: how long a consumer script may run before it counts as hung. */
const SCRIPT_GUARD_MS = 60_000;
// The real path: what require.resolve and import.meta.resolve give back.
const work = realpathSync(mkdtempSync(join(tmpdir(), "tablesafe-ts-package-")));
const project = join(work, "consumer");
const server = new Server(dataRoot());
let files: string[] = [];

/** Runs a command to the end; rejects with its output when it fails (or is missing). */
function run(cmd: string, args: string[], cwd: string, guardMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = { cwd, maxBuffer: 64 << 20, timeout: guardMs, killSignal: "SIGKILL" as const };
    execFile(cmd, args, options, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? ` (is ${cmd} installed and on PATH?)`
        : error.killed ? ` (did not exit by itself within ${guardMs} ms)` : "";
      reject(new Error(`${cmd} ${args.join(" ")} failed${why}: ${error.message}\n${stdout}\n${stderr}`));
    });
  });
}

/** The version of a dev dependency the SDK's lock installed, for the consumer to pin. */
function installed(name: string): string {
  return createRequire(join(PACKAGE, "package.json"))(`${name}/package.json`).version;
}

before(async () => {
  // --json: the file list; npm prints prepack's output to stderr.
  const packed = await run("npm", ["pack", "--json", "--pack-destination", work], PACKAGE);
  const [info] = JSON.parse(packed.slice(packed.indexOf("[")));
  files = info.files.map((f: { path: string }) => f.path).sort();
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "tablesafe-consumer", version: "0.0.0", private: true }));
  await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", join(work, info.filename),
      `typescript@${installed("typescript")}`, `@types/node@${installed("@types/node")}`],
    project,
  );
});

after(async () => {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

test("the tarball holds the build, the proto, the README and the license, nothing else", () => {
  const outside = files.filter((f) => !f.startsWith("dist/"));
  assert.deepEqual(outside, ["LICENSE", "README.md", "package.json", "proto/tablesafe/v1/storage_admin.proto"]);
  for (const f of ["dist/index.js", "dist/index.d.ts", "dist/cjs/index.cjs", "dist/cjs/index.d.cts", "dist/cjs/package.json"]) {
    assert.ok(files.includes(f), `${f} is not in the tarball`);
  }
  assert.deepEqual(files.filter((f) => !/\.(js|cjs|d\.ts|d\.cts)$|^dist\/cjs\/package\.json$/.test(f) && f.startsWith("dist/")), []);
});

/** What both scripts print: proof of a real read, a real admin call and a watcher that stopped. */
function checkReport(output: string, entry: string, reason: string): void {
  const report = JSON.parse(output);
  assert.deepEqual(report.names, ["Client", "credentials", "positionAfter", "status", "tablePath"]);
  assert.ok(report.entry.endsWith(entry), `loaded ${report.entry}, not ${entry}`);
  assert.ok(report.proto.startsWith(join(project, "node_modules", "tablesafe-client")), report.proto);
  assert.equal(report.health, "HEALTH_STATUS_HEALTHY");
  assert.deepEqual(report.tables, ["settings", "users"]);
  assert.equal(report.outcome, "RUN_OUTCOME_SUCCEEDED");
  assert.equal(report.reason, reason);
  assert.equal(report.unauthenticated, true);
  // The watcher's first event, the resync notice an unknown epoch gets: resume after the latest sequence.
  assert.match(report.resumeFrom.epoch, /./);
  assert.match(report.resumeFrom.afterSequence, /^[1-9]\d*$/);
}

// Both scripts: TriggerBackup with the admin token, GetHealth, a wrong token's
// UNAUTHENTICATED, and a watcher left with break; then they must exit by themselves.
const BODY = `
  const [addr, token, reason] = process.argv.slice(2);
  const client = new Client(addr, { token });
  const { run } = await client.triggerBackup({ reason });
  const health = await client.getHealth(true);
  const wrong = new Client(addr, { token: "wrong" });
  const unauthenticated = await wrong.triggerBackup().then(() => false, (e) => e.code === status.UNAUTHENTICATED);
  wrong.close();
  let resumeFrom;
  for await (const event of client.watch({ epoch: "unknown" })) {
    resumeFrom = positionAfter(event);
    break;
  }
  client.close();
  const proto = join(dirname(entry), entry.endsWith(".cjs") ? "../.." : "..", "proto/tablesafe/v1/storage_admin.proto");
  if (!existsSync(proto)) throw new Error("no proto beside the installed package: " + proto);
  console.log(JSON.stringify({
    entry, proto, names: Object.keys(sdk).sort(), health: health.status, tables: health.tables.map((t) => t.name).sort(),
    outcome: run.outcome, reason: run.reason, unauthenticated, resumeFrom,
  }));
`;

test("an ES module project imports it and makes real calls", async () => {
  writeFileSync(
    join(project, "esm.mjs"),
    `import * as sdk from "tablesafe-client";
import { Client, positionAfter, status } from "tablesafe-client";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
const entry = fileURLToPath(import.meta.resolve("tablesafe-client"));
${BODY}`,
  );
  const output = await run(process.execPath, ["esm.mjs", await server.addr, ADMIN, "from an esm consumer"], project, SCRIPT_GUARD_MS);
  checkReport(output, join("dist", "index.js"), "from an esm consumer");
});

test("a CommonJS project requires it and makes real calls", async () => {
  writeFileSync(
    join(project, "cjs.cjs"),
    `const sdk = require("tablesafe-client");
const { Client, positionAfter, status } = sdk;
const { existsSync } = require("node:fs");
const { dirname, join } = require("node:path");
const entry = require.resolve("tablesafe-client");
(async () => {
${BODY}
})().catch((error) => { console.error(error); process.exitCode = 1; });`,
  );
  const output = await run(process.execPath, ["cjs.cjs", await server.addr, ADMIN, "from a commonjs consumer"], project, SCRIPT_GUARD_MS);
  checkReport(output, join("dist", "cjs", "index.cjs"), "from a commonjs consumer");
});

// The resume call of tests/types/resume.ts, from outside, plus checks that the types are real (not any).
const CONSUMER_TS = (from: string) => `${from}

export async function resume(client: Client, event: Event): Promise<void> {
  for await (const next of client.watch({ afterSequence: event.sequence, epoch: event.epoch })) {
    const saved: WatchPosition | undefined = positionAfter(next);
    if (saved) void client.watch({ ...saved, afterSequence: BigInt(saved.afterSequence) });
    void client.watch({ afterSequence: saved?.afterSequence, epoch: saved?.epoch });
    break;
  }
  client.close();
}

export async function health(client: Client, held: string | undefined, view: HealthView): Promise<number> {
  const same = await client.getHealth(false, { view, ifNoneMatch: held, pageSize: undefined });
  return same.unchanged ? same.totalTables : (await client.getHealthPaged(100)).tables.length;
}

export function typesAreReal(event: Event, code: typeof status.UNAUTHENTICATED): void {
  // @ts-expect-error event.sequence is a string
  const sequence: number = event.sequence;
  // @ts-expect-error afterSequence is a string, bigint or number
  void new Client().watch({ afterSequence: [] });
  void sequence;
  void code;
}
`;

test("tsc --strict checks a consumer against the installed types, import and require", async () => {
  writeFileSync(
    join(project, "consumer.mts"),
    CONSUMER_TS(`import { Client, positionAfter, status, type Event, type HealthView, type WatchPosition } from "tablesafe-client";`),
  );
  writeFileSync(
    join(project, "consumer.cts"),
    CONSUMER_TS(`import sdk = require("tablesafe-client");
import Client = sdk.Client;
import positionAfter = sdk.positionAfter;
import status = sdk.status;
type Event = sdk.Event;
type HealthView = sdk.HealthView;
type WatchPosition = sdk.WatchPosition;`),
  );
  const options = { strict: true, exactOptionalPropertyTypes: true, noEmit: true, target: "ES2022", types: ["node"], skipLibCheck: false };
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { ...options, module: "NodeNext", moduleResolution: "NodeNext" }, files: ["consumer.mts", "consumer.cts"] }),
  );
  writeFileSync(
    join(project, "tsconfig.bundler.json"),
    JSON.stringify({ compilerOptions: { ...options, module: "ESNext", moduleResolution: "Bundler" }, files: ["consumer.mts"] }),
  );
  const tsc = join(project, "node_modules", ".bin", "tsc");
  assert.ok(existsSync(tsc), "the consumer's typescript is not installed");
  const explained = await run(tsc, ["-p", "tsconfig.json", "--explainFiles"], project);
  // The import and the require each get their own declarations.
  for (const types of ["dist/index.d.ts", "dist/cjs/index.d.cts", "dist/generated/tablesafe/v1/Event.d.ts", "dist/cjs/generated/tablesafe/v1/Event.d.ts"]) {
    assert.ok(explained.includes(`node_modules/tablesafe-client/${types}`), `${types} not used:\n${explained}`);
  }
  await run(tsc, ["-p", "tsconfig.bundler.json"], project);
});
