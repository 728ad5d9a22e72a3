/**
 * Where the package's `proto/` directory is. Each entry point sets it from its
 * own location (index.ts from `import.meta.url`, index.cts from `__dirname`),
 * because the ESM build and the CommonJS build cannot share one way of asking.
 * Not part of the public API.
 */
let dir: string | undefined;

export function setProtoDir(path: string): void {
  dir = path;
}

export function protoDir(): string {
  if (dir === undefined) throw new Error("tablesafe-client: load the package through its entry point (index)");
  return dir;
}
