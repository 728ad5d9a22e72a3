"""Python client for tablesafe's StorageAdmin gRPC API.

    from tablesafe_client import Client
    client = Client("127.0.0.1:50051", token="admin-token")
    run = client.trigger_backup(reason="before the upgrade").run
    for event in client.watch():
        print(event)

Errors are ``grpc.RpcError``; ``error.code()`` is the status
(``grpc.StatusCode.UNAUTHENTICATED`` for a missing or wrong token).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

import grpc

# The generated modules import each other as `tablesafe.v1`; they live here.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "_generated"))

from tablesafe.v1 import storage_admin_pb2 as pb  # noqa: E402
from tablesafe.v1 import storage_admin_pb2_grpc as pb_grpc  # noqa: E402

__all__ = ["Client", "WatchOptions", "pb"]

# Errors that reconnecting cannot fix: a watcher stops and raises them.
PERMANENT = {
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.UNIMPLEMENTED,
}


@dataclass
class WatchOptions:
    """What to watch and how to reconnect."""

    after_sequence: int = 0
    epoch: str = ""
    kinds: Sequence[int] = field(default_factory=tuple)
    tables: Sequence[str] = field(default_factory=tuple)
    initial_backoff: float = 0.1
    max_backoff: float = 5.0


class Client:
    """A connection to one tablesafe server, with the token set once."""

    def __init__(
        self,
        target: str = "127.0.0.1:50051",
        token: Optional[str] = None,
        credentials: Optional[grpc.ChannelCredentials] = None,
    ) -> None:
        target = target.removeprefix("http://").removeprefix("https://")
        self._channel = (
            grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
        )
        self._stub = pb_grpc.StorageAdminStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def trigger_backup(self, tables: Sequence[str] = (), reason: str = "") -> pb.TriggerBackupResponse:
        """Backs up `tables` (all when empty) and waits for the run. Admin token."""
        request = pb.TriggerBackupRequest(tables=list(tables), reason=reason)
        return self._stub.TriggerBackup(request, metadata=self._metadata)

    def get_health(self, refresh: bool = False) -> pb.GetHealthResponse:
        """The storage health report; `refresh` recomputes it from disk first."""
        return self._stub.GetHealth(pb.GetHealthRequest(refresh=refresh), metadata=self._metadata)

    def list_backups(self, table: str = "") -> list[pb.BackupFile]:
        """Backups on disk, newest first (one table's when `table` is given)."""
        return list(self._stub.ListBackups(pb.ListBackupsRequest(table=table), metadata=self._metadata).backups)

    def list_runs(self, limit: int = 0) -> list[pb.BackupRun]:
        """Recent runs, newest first."""
        return list(self._stub.ListRuns(pb.ListRunsRequest(limit=limit), metadata=self._metadata).runs)

    def watch(self, options: Optional[WatchOptions] = None) -> Iterator[pb.Event]:
        """Events, forever.

        Reconnects with backoff after any break and resumes from the last
        event delivered, so nothing is missed or repeated. When the server
        cannot replay what was missed (it restarted, or the gap is too old) it
        yields the ``resync_required`` event: reload state, then read on.
        Raises ``grpc.RpcError`` for errors reconnecting cannot fix.
        """
        options = options or WatchOptions()
        after, epoch = options.after_sequence, options.epoch
        backoff = options.initial_backoff
        while True:
            request = pb.WatchEventsRequest(
                after_sequence=after, epoch=epoch, kinds=list(options.kinds), tables=list(options.tables)
            )
            try:
                for event in self._stub.WatchEvents(request, metadata=self._metadata):
                    backoff = options.initial_backoff
                    if event.HasField("resync_required"):
                        after, epoch = event.resync_required.resume_after, event.resync_required.epoch
                    elif event.sequence > 0:
                        after, epoch = event.sequence, event.epoch
                    yield event
            except grpc.RpcError as error:
                if error.code() in PERMANENT:
                    raise
            time.sleep(backoff)
            backoff = min(backoff * 2, options.max_backoff)
