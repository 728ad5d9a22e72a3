/** The TypeScript SDK against a real server: backup, health, listing, a resuming
 * watcher across a server restart, the error a wrong token gives, and TLS. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";

import { Client, credentials, status, tablePath, type Event } from "../src/index.ts";
import { ADMIN, Server, dataRoot, dataRootWith, makeCerts } from "./server.ts";

const servers: Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function start(root = dataRoot(), listen?: string, env?: Record<string, string>, args?: string[]) {
  const server = new Server(root, listen, env, args);
  servers.push(server);
  return { server, root, addr: await server.addr };
}

test("backup, health and listing", async () => {
  const { addr, root } = await start();
  const client = new Client(addr, { token: ADMIN });
  const { run } = await client.triggerBackup({ reason: "from typescript" });
  assert.equal(run!.outcome, "RUN_OUTCOME_SUCCEEDED");
  assert.equal(run!.reason, "from typescript");
  assert.deepEqual(run!.tables.map((t) => t.table).sort(), ["settings", "users"]);
  const users = run!.tables.find((t) => t.table === "users")!;
  assert.equal(users.records, "1200");
  assert.equal(users.consistency, "CONSISTENCY_CLEAN");

  const health = await client.getHealth(true);
  assert.equal(health.status, "HEALTH_STATUS_HEALTHY");
  assert.deepEqual(health.tables.map((t) => t.name).sort(), ["settings", "users"]);
  // Tables in the data directory come without their path; tablePath gives it back.
  assert.equal(health.dataDir, join(root, "data"));
  for (const t of health.tables) {
    assert.equal(t.path, "");
    assert.equal(tablePath(health, t), join(root, "data", `${t.name}.dets`));
  }

  const backups = await client.listBackups("users");
  assert.deepEqual(backups.map((b) => b.fileName), [users.fileName]);
  assert.equal(backups[0].verified, true);
  assert.equal((await client.listRuns())[0].runId, run!.runId);
  client.close();
});

test("health: unchanged while the snapshot stands, SUMMARY's tables with issues, every table once by pages", async () => {
  const names = Array.from({ length: 11 }, (_, i) => `t${String(i).padStart(2, "0")}`);
  const { addr } = await start(dataRootWith(names));
  const client = new Client(addr, { token: ADMIN });
  const backedUp = names.slice(0, 8);
  const { run } = await client.triggerBackup({ tables: backedUp, reason: "health views" });
  assert.equal(run!.outcome, "RUN_OUTCOME_SUCCEEDED");
  assert.deepEqual([run!.succeeded, run!.failed, run!.skipped, run!.resultsOmitted], [8, 0, 0, false]);
  assert.deepEqual(run!.tables.map((t) => t.table).sort(), backedUp);

  const full = await client.getHealth(true);
  assert.ok(full.snapshotId);
  assert.equal(full.unchanged, false);
  assert.equal(full.nextPageToken, "");
  assert.deepEqual(full.tables.map((t) => t.name).sort(), names);
  assert.equal(full.totalTables, names.length);

  // The snapshot is still the one we hold: unchanged, no components, no tables.
  const same = await client.getHealth(false, { ifNoneMatch: full.snapshotId });
  assert.equal(same.unchanged, true);
  assert.equal(same.snapshotId, full.snapshotId);
  assert.deepEqual([same.tables, same.components], [[], []]);
  assert.equal(same.status, full.status);
  assert.equal(same.totalTables, names.length);
  assert.equal((await client.getHealth(false, { ifNoneMatch: "some other snapshot" })).unchanged, false);

  // SUMMARY: the status and components, and only the tables never backed up.
  const summary = await client.getHealth(false, { view: "HEALTH_VIEW_SUMMARY" });
  assert.deepEqual(summary.tables.map((t) => t.name).sort(), names.slice(8));
  assert.deepEqual(summary.tables.flatMap((t) => t.issues.map((i) => i.code)), Array(3).fill("ISSUE_CODE_NEVER_BACKED_UP"));
  assert.deepEqual([summary.status, summary.components, summary.totalTables], [full.status, full.components, names.length]);
  assert.equal(summary.snapshotId, full.snapshotId);
  // The wire number works as well as the name.
  assert.deepEqual((await client.getHealth(false, { view: 2 })).tables.map((t) => t.name).sort(), names.slice(8));

  // One page by hand, then the pager: every table exactly once, in name order.
  const page = await client.getHealth(false, { view: "HEALTH_VIEW_FULL", pageSize: 3 });
  assert.deepEqual(page.tables.map((t) => t.name), names.slice(0, 3));
  assert.ok(page.nextPageToken);
  const second = await client.getHealth(false, { pageSize: 3, pageToken: page.nextPageToken });
  assert.deepEqual(second.tables.map((t) => t.name), names.slice(3, 6));
  const paged = await client.getHealthPaged(3);
  assert.deepEqual(paged.tables.map((t) => t.name), names);
  assert.equal(paged.totalTables, paged.tables.length);
  assert.equal(paged.totalTables, names.length);
  assert.equal(paged.nextPageToken, "");
  assert.equal(paged.snapshotId, full.snapshotId);
  assert.deepEqual(paged.components, full.components);
  assert.deepEqual((await client.getHealthPaged()).tables.map((t) => t.name).sort(), names);

  const invalid = (error: { code: number }) => error.code === status.INVALID_ARGUMENT;
  await assert.rejects(client.getHealth(false, { pageSize: 3, pageToken: "not a token" }), invalid);
  await assert.rejects(client.getHealth(false, { pageSize: 5001 }), invalid);
  await assert.rejects(client.getHealthPaged(0), RangeError);

  // A change on disk is a new snapshot: the old id no longer matches.
  await client.triggerBackup({ tables: names.slice(8) });
  const changed = await client.getHealth(true, { ifNoneMatch: full.snapshotId });
  assert.equal(changed.unchanged, false);
  assert.notEqual(changed.snapshotId, full.snapshotId);
  assert.equal(changed.tables.length, names.length);
  assert.deepEqual((await client.getHealth(false, { view: "HEALTH_VIEW_SUMMARY" })).tables, []);
  // Older runs keep their counts; their per-table results are dropped.
  const older = (await client.listRuns()).find((r) => r.runId === run!.runId)!;
  assert.deepEqual([older.succeeded, older.resultsOmitted, older.tables], [8, true, []]);
  client.close();
});

test("a wrong token rejects with UNAUTHENTICATED", async () => {
  const { addr } = await start();
  for (const token of ["wrong", undefined]) {
    const client = new Client(addr, { token });
    await assert.rejects(client.triggerBackup(), (error: { code: number }) => error.code === status.UNAUTHENTICATED);
    client.close();
  }
});

/** Collects a watcher's events and lets the test wait for one. */
class Inbox {
  private readonly events: Event[] = [];
  private wake: (() => void) | null = null;
  failure: unknown = null;

  constructor(source: AsyncGenerator<Event>) {
    (async () => {
      try {
        for await (const event of source) {
          this.events.push(event);
          this.wake?.();
        }
      } catch (error) {
        this.failure = error;
        this.wake?.();
      }
    })();
  }

  async next(predicate: (e: Event) => boolean, timeoutMs = 30_000): Promise<Event> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      const index = this.events.findIndex(predicate);
      if (index >= 0) return this.events.splice(0, index + 1)[index];
      this.events.length = 0;
      assert.ok(Date.now() < deadline, "timed out waiting for an event");
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  }
}

test("the watcher sees runs and goes on after a server restart", async () => {
  const { server, root, addr } = await start();
  const abort = new AbortController();
  // An unknown epoch is answered at once with resyncRequired: proof the stream is open.
  const inbox = new Inbox(new Client(addr).watch({ epoch: "unknown", signal: abort.signal }));
  const firstEpoch = (await inbox.next((e) => !!e.resyncRequired)).resyncRequired!.epoch;

  const { run } = await new Client(addr, { token: ADMIN }).triggerBackup({ reason: "watched" });
  const finished = await inbox.next((e) => !!e.runFinished);
  assert.equal(finished.runFinished!.runId, run!.runId);

  await server.stop();
  await start(root, addr);
  const resync = await inbox.next((e) => !!e.resyncRequired);
  assert.notEqual(resync.resyncRequired!.epoch, firstEpoch, "a new server is a new epoch");
  const second = (await new Client(addr, { token: ADMIN }).triggerBackup({ reason: "after restart" })).run!;
  const again = await inbox.next((e) => !!e.runFinished);
  assert.equal(again.runFinished!.runId, second.runId);
  abort.abort();
});

test("the watcher stops with UNAUTHENTICATED when reads need another token", async () => {
  const { addr } = await start(dataRoot(), undefined, { TABLESAFE_READ_TOKEN: "reader" });
  const watcher = new Client(addr, { token: "wrong" }).watch();
  await assert.rejects(watcher.next(), (error: { code: number }) => error.code === status.UNAUTHENTICATED);
});

test("the example watcher prints the last backup time as it changes", async () => {
  const { spawn } = await import("node:child_process");
  const { createInterface } = await import("node:readline");
  const { addr } = await start();
  const example = spawn(process.execPath, ["--import", "tsx", "examples/watch.ts", addr]);
  try {
    const lines = createInterface({ input: example.stdout })[Symbol.asyncIterator]();
    const first = [(await lines.next()).value, (await lines.next()).value].sort();
    assert.deepEqual(first, ["settings: last backup never", "users: last backup never"]);
    const { run } = await new Client(addr, { token: ADMIN }).triggerBackup({ tables: ["users"] });
    const line: string = (await lines.next()).value;
    assert.match(line, /^users: last backup 20\d\d-/);
    assert.ok(line.includes(run!.tables[0].fileName), line);
  } finally {
    example.kill();
  }
});

test("TLS with the CA, refused without", async () => {
  const certs = makeCerts();
  const root = dataRoot();
  const config = join(root, "tls.toml");
  writeFileSync(config, `[tls]\ncert_file = "${join(certs, "server.pem")}"\nkey_file = "${join(certs, "server.key")}"\n`);
  const { addr } = await start(root, undefined, undefined, ["--config", config]);
  const target = `localhost:${addr.split(":").pop()}`;

  const trusted = credentials.createSsl(readFileSync(join(certs, "ca.pem")));
  const client = new Client(target, { token: ADMIN, credentials: trusted });
  const { run } = await client.triggerBackup({ reason: "over tls" });
  assert.equal(run!.outcome, "RUN_OUTCOME_SUCCEEDED");
  assert.equal((await client.listRuns())[0].runId, run!.runId);
  client.close();

  // Plaintext to a TLS port, and TLS that trusts only the system's roots: no answer.
  for (const other of [undefined, credentials.createSsl()]) {
    const refused = new Client(target, { token: ADMIN, credentials: other });
    await assert.rejects(refused.listRuns(), (error: { code: number }) => error.code === status.UNAVAILABLE);
    refused.close();
  }
});
