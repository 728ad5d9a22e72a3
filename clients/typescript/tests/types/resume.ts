/**
 * A type-level test, never run: `tsc --noEmit` (the package's strict tsconfig,
 * in scripts/test.sh) fails if a watcher cannot resume from the position an
 * event carries. `event.sequence` is a string (uint64 as String), and
 * `afterSequence` takes it as it is.
 */
import { Client, positionAfter, type Event, type Sequence, type WatchPosition } from "../../src/index.ts";

export async function resumeFromAnEvent(client: Client, event: Event): Promise<void> {
  for await (const next of client.watch({ afterSequence: event.sequence, epoch: event.epoch })) {
    const sequence: string = next.sequence;
    void sequence;
  }
}

export async function resumeFromASavedPosition(client: Client, event: Event, signal: AbortSignal): Promise<void> {
  const saved: WatchPosition | undefined = positionAfter(event);
  for await (const next of client.watch({ ...saved, signal })) void next;
  // Stored elsewhere as a bigint or a number: the same option.
  const sequences: Sequence[] = [event.sequence, 41n, 41];
  for (const afterSequence of sequences) void client.watch({ afterSequence, epoch: event.epoch });
  // @ts-expect-error a sequence is a string, bigint or number, not a boolean
  void client.watch({ afterSequence: true });
  // @ts-expect-error event.sequence is a string, not a number
  const wrong: number = event.sequence;
  void wrong;
}
