/**
 * TypeScript client for tablesafe's StorageAdmin gRPC API.
 *
 *   const client = new Client("127.0.0.1:50051", { token: "admin-token" });
 *   const { run } = await client.triggerBackup({ reason: "before the upgrade" });
 *   for await (const event of client.watch()) console.log(event);
 *
 * Failed calls reject with a grpc-js `ServiceError`; its `code` is the status
 * (`status.UNAUTHENTICATED` for a missing or wrong token).
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

import type { ProtoGrpcType } from "./generated/storage_admin.ts";
import type { StorageAdminClient } from "./generated/tablesafe/v1/StorageAdmin.ts";
import type { BackupFile__Output } from "./generated/tablesafe/v1/BackupFile.ts";
import type { BackupRun__Output } from "./generated/tablesafe/v1/BackupRun.ts";
import type { Event__Output } from "./generated/tablesafe/v1/Event.ts";
import type { EventKind } from "./generated/tablesafe/v1/EventKind.ts";
import type { GetHealthResponse__Output } from "./generated/tablesafe/v1/GetHealthResponse.ts";
import type { TriggerBackupResponse__Output } from "./generated/tablesafe/v1/TriggerBackupResponse.ts";

export type { BackupFile__Output as BackupFile, BackupRun__Output as BackupRun, Event__Output as Event };
export type { GetHealthResponse__Output as GetHealthResponse, TriggerBackupResponse__Output as TriggerBackupResponse };
export { credentials, status } from "@grpc/grpc-js";

/** The loader options the generated types were made with (scripts/generate-sdks.sh). */
const LOADER_OPTIONS: protoLoader.Options = { longs: String, enums: String, defaults: true, oneofs: true };
const PROTO_DIR = fileURLToPath(new URL("../proto", import.meta.url));

function loadService(): ProtoGrpcType {
  const definition = protoLoader.loadSync("tablesafe/v1/storage_admin.proto", { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
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

export interface WatchOptions {
  /** Resume after this sequence (0 with an empty epoch: from now on). */
  afterSequence?: number;
  /** The epoch `afterSequence` belongs to. */
  epoch?: string;
  /** Only these kinds (heartbeats and resync notices always come). */
  kinds?: EventKind[];
  /** Only events about these tables (run events always come). */
  tables?: string[];
  /** First delay before reconnecting, in ms; doubled up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Stops the watcher. */
  signal?: AbortSignal;
}

/** A connection to one tablesafe server, with the token set once. */
export class Client {
  private readonly stub: StorageAdminClient;
  private readonly metadata: grpc.Metadata;

  constructor(target = "127.0.0.1:50051", options: ClientOptions = {}) {
    const service = loadService().tablesafe.v1.StorageAdmin;
    const address = target.replace(/^https?:\/\//, "");
    this.stub = new service(address, options.credentials ?? grpc.credentials.createInsecure());
    this.metadata = new grpc.Metadata();
    if (options.token) this.metadata.set("authorization", `Bearer ${options.token}`);
  }

  close(): void {
    this.stub.close();
  }

  /** Backs up `tables` (all when empty) and waits for the run. Admin token. */
  triggerBackup(request: { tables?: string[]; reason?: string } = {}): Promise<TriggerBackupResponse__Output> {
    return new Promise((resolve, reject) =>
      this.stub.triggerBackup(request, this.metadata, (error, reply) => (error ? reject(error) : resolve(reply!))),
    );
  }

  /** The storage health report; `refresh` recomputes it from disk first. */
  getHealth(refresh = false): Promise<GetHealthResponse__Output> {
    return new Promise((resolve, reject) =>
      this.stub.getHealth({ refresh }, this.metadata, (error, reply) => (error ? reject(error) : resolve(reply!))),
    );
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
   * Events, until `signal` aborts. Reconnects with backoff after any break and
   * resumes from the last event delivered, so nothing is missed or repeated.
   * When the server cannot replay what was missed (it restarted, or the gap is
   * too old) it yields the `resyncRequired` event: reload state, then read on.
   * Throws the `ServiceError` of a failure reconnecting cannot fix.
   */
  async *watch(options: WatchOptions = {}): AsyncGenerator<Event__Output> {
    let after = String(options.afterSequence ?? 0);
    let epoch = options.epoch ?? "";
    const initial = options.initialBackoffMs ?? 100;
    let backoff = initial;
    while (!options.signal?.aborted) {
      const call = this.stub.watchEvents(
        { afterSequence: after, epoch, kinds: options.kinds ?? [], tables: options.tables ?? [] },
        this.metadata,
      );
      const abort = () => call.cancel();
      options.signal?.addEventListener("abort", abort, { once: true });
      try {
        for await (const event of call as AsyncIterable<Event__Output>) {
          backoff = initial;
          if (event.resyncRequired) {
            after = event.resyncRequired.resumeAfter;
            epoch = event.resyncRequired.epoch;
          } else if (event.sequence !== "0") {
            after = event.sequence;
            epoch = event.epoch;
          }
          yield event;
        }
      } catch (error) {
        const code = (error as grpc.ServiceError).code;
        if (options.signal?.aborted) return;
        if (PERMANENT.has(code)) throw error;
      } finally {
        options.signal?.removeEventListener("abort", abort);
      }
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, options.maxBackoffMs ?? 5000);
    }
  }
}
