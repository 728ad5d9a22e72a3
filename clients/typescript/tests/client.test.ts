/** The TypeScript SDK against a real server: backup, health, listing, a resuming
 * watcher across a server restart, the error a wrong token gives, and TLS. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";

import { Client, credentials, status, type Event } from "../src/index.ts";
import { ADMIN, Server, dataRoot, makeCerts } from "./server.ts";

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
  const { addr } = await start();
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

  const backups = await client.listBackups("users");
  assert.deepEqual(backups.map((b) => b.fileName), [users.fileName]);
  assert.equal(backups[0].verified, true);
  assert.equal((await client.listRuns())[0].runId, run!.runId);
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
