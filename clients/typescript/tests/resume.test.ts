/** Resuming a watcher from a saved position against a real server: the position an
 * event carries (a string), the same as a bigint or a number, and what is not a
 * sequence refused. */
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { Client, positionAfter, type Event, type WatchOptions } from "../src/index.ts";
import { ADMIN, Server, dataRoot } from "./server.ts";

const server = new Server(dataRoot());
after(() => server.stop());

/** The first event a watcher started with `options` yields; leaving it cancels the call. */
async function firstEvent(client: Client, options: WatchOptions): Promise<Event> {
  for await (const event of client.watch(options)) return event;
  throw new Error("the watcher ended without an event");
}

test("a watcher resumes right after a saved position", async () => {
  const client = new Client(await server.addr, { token: ADMIN });
  // An unknown epoch is answered at once with resyncRequired: the stream is open, then the run comes.
  const seen: Event[] = [];
  let trigger: Promise<unknown> | undefined;
  for await (const event of client.watch({ epoch: "unknown" })) {
    seen.push(event);
    trigger ??= client.triggerBackup({ reason: "to replay" });
    if (event.runFinished) break;
  }
  await trigger;
  assert.ok(seen[0].resyncRequired);
  const started = seen.find((e) => e.runStarted)!;
  assert.equal(started.runStarted!.reason, "to replay");
  const next = seen[seen.indexOf(started) + 1];

  // The position as events carry it, as positionAfter gives it, and as a bigint or a number.
  const saved = positionAfter(started)!;
  assert.deepEqual(saved, { afterSequence: started.sequence, epoch: started.epoch });
  for (const afterSequence of [started.sequence, BigInt(started.sequence), Number(started.sequence)]) {
    const replayed = await firstEvent(client, { afterSequence, epoch: started.epoch });
    assert.equal(replayed.sequence, next.sequence, `resumed after ${typeof afterSequence} ${afterSequence}`);
    assert.deepEqual(replayed, next);
  }
  assert.deepEqual(await firstEvent(client, { ...saved }), next);

  for (const afterSequence of ["-1", "abc", 1.5, 2 ** 64 + "", -1n]) {
    await assert.rejects(firstEvent(client, { afterSequence, epoch: started.epoch }), RangeError);
  }
  client.close();
});
