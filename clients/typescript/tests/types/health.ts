/**
 * A type-level test, never run: `tsc --noEmit` (the package's strict tsconfig,
 * in scripts/test.sh) fails if the old `getHealth()` calls stop compiling or
 * the health options lose their types.
 */
import { Client, type GetHealthResponse, type HealthOptions, type HealthView } from "../../src/index.ts";

export async function healthCalls(client: Client): Promise<void> {
  const before: GetHealthResponse = await client.getHealth();
  const refreshed: GetHealthResponse = await client.getHealth(true);
  const views: HealthView[] = ["HEALTH_VIEW_SUMMARY", "HEALTH_VIEW_FULL", "HEALTH_VIEW_UNSPECIFIED", 2];
  for (const view of views) void client.getHealth(false, { view });
  const options: HealthOptions = { ifNoneMatch: before.snapshotId, pageSize: 100, pageToken: refreshed.nextPageToken };
  const again = await client.getHealth(false, options);
  const unchanged: boolean = again.unchanged;
  const total: number = (await client.getHealthPaged(250)).totalTables;
  void (await client.getHealthPaged());
  // @ts-expect-error not a view
  void client.getHealth(false, { view: "HEALTH_VIEW_TINY" });
  // @ts-expect-error pageSize is a number
  void client.getHealth(false, { pageSize: "100" });
  void unchanged;
  void total;
}
