/**
 * TypeScript client for tablesafe's StorageAdmin gRPC API (the ES module entry).
 *
 *   const client = new Client("127.0.0.1:50051", { token: "admin-token" });
 *   const { run } = await client.triggerBackup({ reason: "before the upgrade" });
 *   for await (const event of client.watch()) console.log(event);
 *
 * Failed calls reject with a grpc-js `ServiceError`; its `code` is the status
 * (`status.UNAUTHENTICATED` for a missing or wrong token).
 */
import { fileURLToPath } from "node:url";

import { setProtoDir } from "./proto-dir.js";

// src/index.ts and dist/index.js alike: the package's proto/ is one level up.
setProtoDir(fileURLToPath(new URL("../proto", import.meta.url)));

export * from "./client.js";
