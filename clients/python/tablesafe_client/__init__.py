"""Python client for tablesafe's StorageAdmin gRPC API.

    from tablesafe_client import Client
    client = Client("127.0.0.1:50051", token="admin-token")
    run = client.trigger_backup(reason="before the upgrade").run
    print(run.outcome)                      # SUCCEEDED: proto enums are ProtoEnum members
    with client.watch() as watcher:
        for event in watcher:
            print(event)

Replies are typed read-only views of the messages (``to_proto()`` gives the
protobuf message); proto enums are :class:`ProtoEnum` members, ints that
print as their name. ``pb`` is the generated protobuf module.

Errors are ``grpc.RpcError``; ``error.code()`` is the status
(``grpc.StatusCode.UNAUTHENTICATED`` for a missing or wrong token).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, cast

import grpc

from ._generated import models
from ._generated.models import *  # noqa: F401,F403 (the enums and the message views)
from ._generated.models import HealthView
from ._generated.tablesafe.v1 import storage_admin_pb2 as pb
from ._generated.tablesafe.v1 import storage_admin_pb2_grpc as pb_grpc
from ._model import ProtoEnum, ProtoView

__version__ = "0.1.0"

__all__ = ["Client", "WatchOptions", "Watcher", "ProtoEnum", "ProtoView", "pb", "table_path"]
__all__ += models.__all__

# Errors that reconnecting cannot fix: a watcher stops and raises them.
PERMANENT = {
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.UNIMPLEMENTED,
}


def table_path(health: models.GetHealthResponse, table: models.TableHealth) -> str:
    """A table's file as a health answer names it: its ``path``, or, where the
    answer leaves that out (the file is ``<data_dir>/<name>.dets``), that path."""
    return table.path or f"{health.data_dir}/{table.name}.dets"


@dataclass
class WatchOptions:
    """What to watch, where to resume and how to reconnect.

    ``after_sequence`` and ``epoch`` resume a watcher from a saved position (a
    watcher's ``after_sequence`` and ``epoch``); the defaults start from now.
    """

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
        self._watchers: "weakref.WeakSet[Watcher]" = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Closes the connection; the client's watchers stop (their loops end)."""
        with self._lock:
            self._closed = True
            watchers = list(self._watchers)
        for watcher in watchers:
            watcher.stop()
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def trigger_backup(self, tables: Sequence[str] = (), reason: str = "") -> models.TriggerBackupResponse:
        """Backs up `tables` (all when empty) and waits for the run. Admin token."""
        request = pb.TriggerBackupRequest(tables=list(tables), reason=reason)
        return models.TriggerBackupResponse(self._stub.TriggerBackup(request, metadata=self._metadata))

    def get_health(
        self,
        refresh: bool = False,
        *,
        view: Optional[int] = None,
        if_none_match: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> models.GetHealthResponse:
        """The storage health report; `refresh` recomputes it from disk first.

        With no other argument every table comes in one answer. ``view`` is a
        :class:`HealthView`: ``SUMMARY`` sends the status, the components and
        only the tables with issues (``FULL``, the default, every table).
        ``if_none_match`` is the ``snapshot_id`` of an answer you hold: while
        the snapshot is still that one the answer is ``unchanged=True``, with
        the status, time and id but no components or tables. ``page_size``
        (FULL only, at most 5000) sends that many tables at most, in name
        order; pass the answer's ``next_page_token`` as ``page_token`` for the
        next page (it is empty on the last). ``total_tables`` counts the
        snapshot's tables whatever the view or page; :meth:`get_health_paged`
        follows the pages for you. A page size over 5000 or a token the server
        did not give raise ``grpc.RpcError`` (``INVALID_ARGUMENT``).
        """
        request = pb.GetHealthRequest(
            refresh=refresh,
            view=cast("pb.HealthView", int(view) if view is not None else HealthView.UNSPECIFIED),
            if_none_match=if_none_match,
            page_size=page_size,
            page_token=page_token,
        )
        return models.GetHealthResponse(self._stub.GetHealth(request, metadata=self._metadata))

    def get_health_paged(self, page_size: int = 500) -> models.GetHealthResponse:
        """Every table of the FULL view, fetched ``page_size`` tables per call and
        returned as one answer (each table once, in name order; the status,
        components, ``snapshot_id`` and ``total_tables`` are the first page's,
        ``next_page_token`` is empty)."""
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        merged = self.get_health(view=HealthView.FULL, page_size=page_size).to_proto()
        while merged.next_page_token:
            page = self.get_health(view=HealthView.FULL, page_size=page_size, page_token=merged.next_page_token)
            merged.tables.extend(page.to_proto().tables)
            merged.next_page_token = page.next_page_token
        return models.GetHealthResponse(merged)

    def list_backups(self, table: str = "") -> list[models.BackupFile]:
        """Backups on disk, newest first (one table's when `table` is given)."""
        reply = self._stub.ListBackups(pb.ListBackupsRequest(table=table), metadata=self._metadata)
        return models.ListBackupsResponse(reply).backups

    def list_runs(self, limit: int = 0) -> list[models.BackupRun]:
        """Recent runs, newest first."""
        return models.ListRunsResponse(self._stub.ListRuns(pb.ListRunsRequest(limit=limit), metadata=self._metadata)).runs

    def watch(self, options: Optional[WatchOptions] = None) -> "Watcher":
        """Events, forever: a :class:`Watcher` to iterate over.

        Reconnects with backoff after any break and resumes from the last
        event delivered, so nothing is missed or repeated. When the server
        cannot replay what was missed (it restarted, or the gap is too old) it
        yields the ``resync_required`` event: reload state, then read on.
        Raises ``grpc.RpcError`` for errors reconnecting cannot fix.
        """
        with self._lock:
            if self._closed:
                raise ValueError("the client is closed")
            watcher = Watcher(self, options or WatchOptions())
            self._watchers.add(watcher)
        return watcher


class Watcher:
    """An iterator over a server's events that survives reconnects (``Client.watch``).

    ``after_sequence`` and ``epoch`` are where it stands: pass them in
    :class:`WatchOptions` to resume after the last event it yielded, e.g. in
    the next run of the program. ``stop()`` (from any thread), leaving a
    ``with`` block, or closing the client ends it: the loop over it finishes.
    """

    def __init__(self, client: Client, options: WatchOptions) -> None:
        self._client = client
        self._options = options
        self._after = options.after_sequence
        self._epoch = options.epoch
        self._backoff = options.initial_backoff
        self._call: Any = None  # the open WatchEvents stream (a grpc call and iterator), if any
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    @property
    def after_sequence(self) -> int:
        """The sequence of the last event yielded (or the resync point), 0 before any."""
        return self._after

    @property
    def epoch(self) -> str:
        """The epoch `after_sequence` belongs to."""
        return self._epoch

    def stop(self) -> None:
        """Ends the watcher at once, from any thread: its stream is cancelled and
        iteration stops (a thread blocked in ``next()`` gets StopIteration)."""
        with self._lock:
            self._stopped.set()
            call, self._call = self._call, None
        if call is not None:
            call.cancel()

    close = stop

    def __enter__(self) -> "Watcher":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def __iter__(self) -> "Watcher":
        return self

    def __next__(self) -> models.Event:
        options = self._options
        while True:
            with self._lock:
                if self._stopped.is_set():
                    raise StopIteration
                if self._call is None:
                    request = pb.WatchEventsRequest(
                        after_sequence=self._after, epoch=self._epoch,
                        kinds=cast("list[pb.EventKind]", list(options.kinds)), tables=list(options.tables),
                    )
                    self._call = self._client._stub.WatchEvents(request, metadata=self._client._metadata)
                call = self._call
            try:
                event = next(call)
            except StopIteration:
                pass  # the server ended the stream: reconnect
            except grpc.RpcError as error:
                if self._stopped.is_set():
                    raise StopIteration from None
                if error.code() in PERMANENT:
                    self.stop()
                    raise
            else:
                self._backoff = options.initial_backoff
                if event.HasField("resync_required"):
                    self._after, self._epoch = event.resync_required.resume_after, event.resync_required.epoch
                elif event.sequence > 0:
                    self._after, self._epoch = event.sequence, event.epoch
                return models.Event(event)
            with self._lock:
                if self._call is call:
                    self._call = None
            if self._stopped.wait(self._backoff):
                raise StopIteration
            self._backoff = min(self._backoff * 2, options.max_backoff)
