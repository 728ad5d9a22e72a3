/**
 * TypeScript client for tablesafe's StorageAdmin gRPC API (the CommonJS entry,
 * built to dist/cjs/index.cjs; the same API as the ES module entry, index.ts).
 */
import { join } from "node:path";

import { setProtoDir } from "./proto-dir.js";

// dist/cjs/index.cjs: the package's proto/ is two levels up.
setProtoDir(join(__dirname, "..", "..", "proto"));

export * from "./client.js";
