"""Prints the last backup time of every table as it changes.

    python examples/watch.py [HOST:PORT]      (token from TABLESAFE_TOKEN)
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tablesafe_client import Client  # noqa: E402


def main() -> None:
    target = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
    client = Client(target, token=os.environ.get("TABLESAFE_TOKEN"))
    for table in client.get_health().tables:
        last = table.last_backup_at.ToJsonString() if table.HasField("last_backup_at") else "never"
        print(f"{table.name}: last backup {last}", flush=True)
    for event in client.watch():
        if event.HasField("table_backed_up"):
            t = event.table_backed_up
            print(f"{t.table}: last backup {t.captured_at.ToJsonString()} ({t.file_name})", flush=True)
        elif event.HasField("resync_required"):
            for table in client.get_health().tables:
                last = table.last_backup_at.ToJsonString() if table.HasField("last_backup_at") else "never"
                print(f"{table.name}: last backup {last}", flush=True)


if __name__ == "__main__":
    main()
