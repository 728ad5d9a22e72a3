/**
 * The client itself; index.ts (ESM) and index.cts (CommonJS) re-export all of it.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

import { protoDir } from "./proto-dir.js";
import type { ProtoGrpcType } from "./generated/storage_admin.js";
import type { StorageAdminClient } from "./generated/tablesafe/v1/StorageAdmin.js";
import type { BackupFile__Output } from "./generated/tablesafe/v1/BackupFile.js";
import type { BackupRun__Output } from "./generated/tablesafe/v1/BackupRun.js";
import type { Event__Output } from "./generated/tablesafe/v1/Event.js";
import type { EventKind } from "./generated/tablesafe/v1/EventKind.js";
import type { GetHealthRequest } from "./generated/tablesafe/v1/GetHealthRequest.js";
import type { TableHealth__Output } from "./generated/tablesafe/v1/TableHealth.js";
import type { GetHealthResponse__Output } from "./generated/tablesafe/v1/GetHealthResponse.js";
import type { HealthView } from "./generated/tablesafe/v1/HealthView.js";
import type { TriggerBackupResponse__Output } from "./generated/tablesafe/v1/TriggerBackupResponse.js";

export type { BackupFile__Output as BackupFile, BackupRun__Output as BackupRun, Event__Output as Event };
export type { GetHealthResponse__Output as GetHealthResponse, TriggerBackupResponse__Output as TriggerBackupResponse };
export type { EventKind, HealthView };
export { credentials, status } from "@grpc/grpc-js";

/** The loader options the generated types were made with (scripts/generate-sdks.sh). */
const LOADER_OPTIONS: protoLoader.Options = { longs: String, enums: String, defaults: true, oneofs: true };

function loadService(): ProtoGrpcType {
  const definition = protoLoader.loadSync("tablesafe/v1/storage_admin.proto", { ...LOADER_OPTIONS, includeDirs: [protoDir()] });
  return grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
}

/** Errors that reconnecting cannot fix: a watcher stops and throws them. */
const PERMANENT = new Set<number>([
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.UNIMPLEMENTED,
]);

export interface ClientOptions {
  /** Bearer token: the admin token for triggers, the read token (if configured) for the rest. */
  token?: string;
  /** TLS credentials; plaintext when absent. */
  credentials?: grpc.ChannelCredentials;
}

/** What `getHealth` asks of the server's health snapshot besides `refresh`. */
export interface HealthOptions {
  /**
   * `"HEALTH_VIEW_SUMMARY"`: the status, the components and only the tables
   * with issues. `"HEALTH_VIEW_FULL"` (the default): every table.
   */
  view?: HealthView | undefined;
  /**
   * The `snapshotId` of an answer you hold: while the snapshot is still that
   * one, the answer is `unchanged: true` with the status, the time and the id,
   * and no components or tables.
   */
  ifNoneMatch?: string | undefined;
  /** FULL only: at most this many tables (at most 5000), in name order. */
  pageSize?: number | undefined;
  /** FULL only: the previous answer's `nextPageToken` (empty on the last page). */
  pageToken?: string | undefined;
}

/**
 * A uint64 event sequence. Events carry it as a decimal string (`event.sequence`),
 * which is exact; a `bigint` is exact too, a `number` only up to 2^53.
 */
export type Sequence = string | number | bigint;

/** Where a watcher resumes: after `afterSequence` of `epoch`. Save it, pass it to `watch()`. */
export interface WatchPosition {
  afterSequence: Sequence;
  epoch: string;
}

export interface WatchOptions {
  /**
   * Resume after this sequence (0 with an empty epoch: from now on). Takes
   * `event.sequence` as it comes (a string); see `positionAfter`.
   */
  afterSequence?: Sequence | undefined;
  /** The epoch `afterSequence` belongs to (`event.epoch`). */
  epoch?: string | undefined;
  /** Only these kinds (heartbeats and resync notices always come). */
  kinds?: EventKind[];
  /** Only events about these tables (run events always come). */
  tables?: string[];
  /** First delay before reconnecting, in ms; doubled up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Stops the watcher: the generator returns, the call is cancelled. */
  signal?: AbortSignal;
}

/**
 * The position to save after handling `event`, the one `watch()` resumes from:
 * the event's own sequence and epoch, or for `resyncRequired` its `resumeAfter`
 * (reload your state first). `undefined` for events that do not move the
 * position (heartbeats, which have sequence 0).
 */
export function positionAfter(event: Event__Output): WatchPosition | undefined {
  if (event.resyncRequired) return { afterSequence: event.resyncRequired.resumeAfter, epoch: event.resyncRequired.epoch };
  if (event.sequence !== "0") return { afterSequence: event.sequence, epoch: event.epoch };
  return undefined;
}

/**
 * A table's file as a health answer names it: its `path`, or, where the
 * answer leaves that out (the file is `<dataDir>/<name>.dets`), that path.
 */
export function tablePath(health: Pick<GetHealthResponse__Output, "dataDir">, table: Pick<TableHealth__Output, "name" | "path">): string {
  return table.path || `${health.dataDir}/${table.name}.dets`;
}

/** The decimal string of a sequence, refusing what is not a uint64. */
function sequenceString(value: Sequence): string {
  // A number past 2^53 has already lost its exact value: refused, not rounded.
  const text = typeof value === "number" && !Number.isSafeInteger(value) ? "" : String(value).trim();
  if (!/^\d+$/.test(text) || BigInt(text) > 0xffff_ffff_ffff_ffffn) {
    throw new RangeError(`afterSequence must be a uint64 (a decimal string, bigint or safe integer), got ${String(value)}`);
  }
  return BigInt(text).toString();
}

/** Waits `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A connection to one tablesafe server, with the token set once. */
export class Client {
  private readonly stub: StorageAdminClient;
  private readonly metadata: grpc.Metadata;
  /** Aborted by `close()`: stops every watcher and cancels its call. */
  private readonly closing = new AbortController();

  constructor(target = "127.0.0.1:50051", options: ClientOptions = {}) {
    const service = loadService().tablesafe.v1.StorageAdmin;
    const address = target.replace(/^https?:\/\//, "");
    this.stub = new service(address, options.credentials ?? grpc.credentials.createInsecure());
    this.metadata = new grpc.Metadata();
    if (options.token) this.metadata.set("authorization", `Bearer ${options.token}`);
  }

  /**
   * Closes the channel. Watchers still running end (their loops finish, no
   * error) and their calls are cancelled, so nothing keeps the process alive.
   */
  close(): void {
    this.closing.abort();
    this.stub.close();
  }

  /** Backs up `tables` (all when empty) and waits for the run. Admin token. */
  triggerBackup(request: { tables?: string[]; reason?: string } = {}): Promise<TriggerBackupResponse__Output> {
    return new Promise((resolve, reject) =>
      this.stub.triggerBackup(request, this.metadata, (error, reply) => (error ? reject(error) : resolve(reply!))),
    );
  }

  /**
   * The storage health report; `refresh` recomputes it from disk first. With
   * no options every table comes in one answer; `options` asks for a view, a
   * page (follow `nextPageToken`, or use `getHealthPaged`) or, with
   * `ifNoneMatch`, only whether the snapshot changed. `totalTables` counts the
   * snapshot's tables whatever the view or page. A `pageSize` over 5000 or a
   * token the server did not give rejects with `status.INVALID_ARGUMENT`.
   */
  getHealth(refresh = false, options: HealthOptions = {}): Promise<GetHealthResponse__Output> {
    const request: GetHealthRequest = { refresh };
    if (options.view !== undefined) request.view = options.view;
    if (options.ifNoneMatch !== undefined) request.ifNoneMatch = options.ifNoneMatch;
    if (options.pageSize !== undefined) request.pageSize = options.pageSize;
    if (options.pageToken !== undefined) request.pageToken = options.pageToken;
    return new Promise((resolve, reject) =>
      this.stub.getHealth(request, this.metadata, (error, reply) => (error ? reject(error) : resolve(reply!))),
    );
  }

  /**
   * Every table of the FULL view, fetched `pageSize` tables per call and
   * returned as one answer (each table once, in name order; the status,
   * components, `snapshotId` and `totalTables` are the first page's,
   * `nextPageToken` is empty).
   */
  async getHealthPaged(pageSize = 500): Promise<GetHealthResponse__Output> {
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
    const all = await this.getHealth(false, { view: "HEALTH_VIEW_FULL", pageSize });
    while (all.nextPageToken) {
      const page = await this.getHealth(false, { view: "HEALTH_VIEW_FULL", pageSize, pageToken: all.nextPageToken });
      all.tables.push(...page.tables);
      all.nextPageToken = page.nextPageToken;
    }
    return all;
  }

  /** Backups on disk, newest first (one table's when `table` is given). */
  listBackups(table = ""): Promise<BackupFile__Output[]> {
    return new Promise((resolve, reject) =>
      this.stub.listBackups({ table }, this.metadata, (error, reply) => (error ? reject(error) : resolve(reply!.backups))),
    );
  }

  /** Recent runs, newest first. */
  listRuns(limit = 0): Promise<BackupRun__Output[]> {
    return new Promise((resolve, reject) =>
      this.stub.listRuns({ limit }, this.metadata, (error, reply) => (error ? reject(error) : resolve(reply!.runs))),
    );
  }

  /**
   * Events, until `signal` aborts, the loop is left (`break`, `return`, a
   * throw) or the client is closed; each of these cancels the call.
   * Reconnects with backoff after any break and resumes from the last event
   * delivered, so nothing is missed or repeated. When the server cannot replay
   * what was missed (it restarted, or the gap is too old) it yields the
   * `resyncRequired` event: reload state, then read on. To resume in a later
   * process, save `positionAfter(event)` and pass it back as the options.
   * Throws the `ServiceError` of a failure reconnecting cannot fix, and a
   * `RangeError` for an `afterSequence` that is not a uint64.
   */
  async *watch(options: WatchOptions = {}): AsyncGenerator<Event__Output> {
    let after = sequenceString(options.afterSequence ?? 0);
    let epoch = options.epoch ?? "";
    const initial = options.initialBackoffMs ?? 100;
    let backoff = initial;
    // Stops on the caller's signal or on close(). (Not AbortSignal.any: Node 20.0-20.2 lack it.)
    const stop = new AbortController();
    const stopNow = () => stop.abort();
    for (const source of [options.signal, this.closing.signal]) {
      if (source?.aborted) stop.abort();
      source?.addEventListener("abort", stopNow, { once: true });
    }
    try {
      while (!stop.signal.aborted) {
        const call = this.stub.watchEvents(
          { afterSequence: after, epoch, kinds: options.kinds ?? [], tables: options.tables ?? [] },
          this.metadata,
        );
        const abort = () => call.cancel();
        stop.signal.addEventListener("abort", abort, { once: true });
        try {
          for await (const event of call as AsyncIterable<Event__Output>) {
            backoff = initial;
            const position = positionAfter(event);
            if (position) {
              after = String(position.afterSequence);
              epoch = position.epoch;
            }
            yield event;
          }
        } catch (error) {
          if (stop.signal.aborted) return;
          if (PERMANENT.has((error as grpc.ServiceError).code)) throw error;
        } finally {
          stop.signal.removeEventListener("abort", abort);
          // Leaving the loop early (break, return, a throw in its body) only
          // destroys the stream: the call goes on, and keeps the channel and
          // the process alive, until it is cancelled. Cancelling a call that
          // has ended does nothing; the CANCELLED error it may emit is dropped.
          call.on("error", () => {});
          call.cancel();
        }
        await sleep(backoff, stop.signal);
        backoff = Math.min(backoff * 2, options.maxBackoffMs ?? 5000);
      }
    } finally {
      options.signal?.removeEventListener("abort", stopNow);
      this.closing.signal.removeEventListener("abort", stopNow);
    }
  }
}
