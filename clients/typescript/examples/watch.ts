/**
 * Prints the last backup time of every table as it changes.
 *
 *   node --import tsx examples/watch.ts [HOST:PORT]      (token from TABLESAFE_TOKEN)
 */
import { Client } from "../src/index.ts";

const client = new Client(process.argv[2] ?? "127.0.0.1:50051", { token: process.env.TABLESAFE_TOKEN });

async function printAll(): Promise<void> {
  for (const table of (await client.getHealth()).tables) {
    const at = table.lastBackupAt ? new Date(Number(table.lastBackupAt.seconds) * 1000).toISOString() : "never";
    console.log(`${table.name}: last backup ${at}`);
  }
}

await printAll();
for await (const event of client.watch()) {
  if (event.tableBackedUp) {
    const t = event.tableBackedUp;
    const at = new Date(Number(t.capturedAt!.seconds) * 1000).toISOString();
    console.log(`${t.table}: last backup ${at} (${t.fileName})`);
  } else if (event.resyncRequired) {
    await printAll();
  }
}
