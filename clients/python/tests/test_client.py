"""The Python SDK against a real server: backup, health, listing, a resuming
watcher across a server restart, and the error a wrong token gives."""

import queue
import shutil
import threading

import grpc
import pytest
from conftest import ADMIN, ROOT, Server

import tablesafe_client
from tablesafe_client import (
    Client,
    Consistency,
    EventKind,
    HealthStatus,
    HealthView,
    IssueCode,
    ProtoEnum,
    RunOutcome,
    TableOutcome,
    TableRole,
    Trigger,
    WatchOptions,
    pb,
)


def test_backup_health_and_listing(server):
    client = Client(server.addr, token=ADMIN)
    reply = client.trigger_backup(reason="from python")
    assert reply.run.outcome == pb.RUN_OUTCOME_SUCCEEDED
    assert reply.run.reason == "from python"
    assert sorted(t.table for t in reply.run.tables) == ["settings", "users"]
    users = next(t for t in reply.run.tables if t.table == "users")
    assert users.records == 1200 and users.consistency == pb.CONSISTENCY_CLEAN
    assert users.file_name.startswith("users_") and users.file_name.endswith(".dets")

    health = client.get_health(refresh=True)
    assert health.status == pb.HEALTH_STATUS_HEALTHY
    assert {t.name for t in health.tables} == {"settings", "users"}
    # Tables in the data directory come without their path; table_path gives it back.
    assert health.data_dir == str(server.root / "data")
    for t in health.tables:
        assert t.path == ""
        assert tablesafe_client.table_path(health, t) == str(server.root / "data" / f"{t.name}.dets")

    backups = client.list_backups("users")
    assert [b.file_name for b in backups] == [users.file_name]
    assert backups[0].verified
    assert client.list_runs()[0].run_id == reply.run.run_id


def test_health_unchanged_summary_and_pages(tmp_path):
    """if_none_match answers unchanged while the snapshot stands, SUMMARY sends only
    the tables with issues, and the pager sends every table exactly once."""
    (tmp_path / "data").mkdir()
    names = [f"t{i:02}" for i in range(11)]
    for name in names:
        shutil.copy(ROOT / "tests" / "data" / "dets" / "set_10.dets", tmp_path / "data" / f"{name}.dets")
    server = Server(tmp_path)
    try:
        client = Client(server.addr, token=ADMIN)
        backed_up = names[:8]
        run = client.trigger_backup(tables=backed_up, reason="health views").run
        assert run.outcome == RunOutcome.SUCCEEDED
        assert (run.succeeded, run.failed, run.skipped, run.results_omitted) == (8, 0, 0, False)
        assert sorted(t.table for t in run.tables) == backed_up

        full = client.get_health(True)
        assert full.snapshot_id and not full.unchanged and full.next_page_token == ""
        assert sorted(t.name for t in full.tables) == names and full.total_tables == len(names)

        # The snapshot is still the one we hold: unchanged, no components, no tables.
        same = client.get_health(if_none_match=full.snapshot_id)
        assert same.unchanged and same.snapshot_id == full.snapshot_id
        assert same.tables == [] and same.components == []
        assert same.status == full.status and same.total_tables == len(names)
        assert not client.get_health(if_none_match="some other snapshot").unchanged

        # SUMMARY: the status and components, and only the tables never backed up.
        summary = client.get_health(view=HealthView.SUMMARY)
        assert sorted(t.name for t in summary.tables) == names[8:]
        assert all(t.issues for t in summary.tables)
        assert [i.code for t in summary.tables for i in t.issues] == [IssueCode.NEVER_BACKED_UP] * 3
        assert (summary.status, summary.components, summary.total_tables) == (full.status, full.components, len(names))
        assert summary.snapshot_id == full.snapshot_id

        # One page by hand, then the pager: every table exactly once, in name order.
        page = client.get_health(view=HealthView.FULL, page_size=3)
        assert [t.name for t in page.tables] == names[:3] and page.next_page_token
        second = client.get_health(page_size=3, page_token=page.next_page_token)
        assert [t.name for t in second.tables] == names[3:6]
        paged = client.get_health_paged(page_size=3)
        assert [t.name for t in paged.tables] == names
        assert paged.total_tables == len(paged.tables) == len(names)
        assert paged.next_page_token == "" and paged.snapshot_id == full.snapshot_id
        assert paged.components == full.components
        assert sorted(t.name for t in client.get_health_paged().tables) == names

        with pytest.raises(grpc.RpcError) as error:
            client.get_health(page_size=3, page_token="not a token")
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as error:
            client.get_health(page_size=5001)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(ValueError):
            client.get_health_paged(0)

        # A change on disk is a new snapshot: the old id no longer matches.
        client.trigger_backup(tables=names[8:])
        changed = client.get_health(True, if_none_match=full.snapshot_id)
        assert not changed.unchanged and changed.snapshot_id != full.snapshot_id
        assert len(changed.tables) == len(names)
        assert client.get_health(view=HealthView.SUMMARY).tables == []
        # Older runs keep their counts; their per-table results are dropped.
        older = next(r for r in client.list_runs() if r.run_id == run.run_id)
        assert (older.succeeded, older.results_omitted, older.tables) == (8, True, [])
    finally:
        server.stop()


def test_wrong_token_raises_unauthenticated(server):
    with pytest.raises(grpc.RpcError) as error:
        Client(server.addr, token="wrong").trigger_backup()
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as error:
        Client(server.addr).trigger_backup()
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED


def next_matching(events: "queue.Queue", predicate, timeout: float = 30.0):
    while True:
        event = events.get(timeout=timeout)
        if isinstance(event, Exception):
            raise event
        if predicate(event):
            return event


def test_watcher_sees_runs_and_goes_on_after_a_restart(data_root):
    server = Server(data_root)
    addr = server.addr
    events: "queue.Queue" = queue.Queue()

    def watch() -> None:
        try:
            # An unknown epoch is answered at once with resync_required: proof the stream is open.
            for event in Client(addr).watch(WatchOptions(epoch="unknown")):
                events.put(event)
        except Exception as error:  # handed to the test thread
            events.put(error)

    threading.Thread(target=watch, daemon=True).start()
    first_epoch = next_matching(events, lambda e: e.HasField("resync_required")).resync_required.epoch

    run = Client(addr, token=ADMIN).trigger_backup(reason="watched").run
    kinds = []
    while True:
        event = next_matching(events, lambda e: not e.HasField("heartbeat") and not e.HasField("health_changed"))
        kinds.append(event.WhichOneof("payload"))
        if event.HasField("run_finished"):
            assert event.run_finished.run_id == run.run_id
            break
    assert kinds == ["run_started", "table_backed_up", "table_backed_up", "run_finished"]

    server.stop()
    server = Server(data_root, listen=addr)
    try:
        resync = next_matching(events, lambda e: e.HasField("resync_required"))
        assert resync.resync_required.epoch != first_epoch, "a new server is a new epoch"
        second = Client(addr, token=ADMIN).trigger_backup(reason="after restart").run
        finished = next_matching(events, lambda e: e.HasField("run_finished"))
        assert finished.run_finished.run_id == second.run_id
    finally:
        server.stop()


def test_watcher_stops_with_unauthenticated_when_reads_need_a_token(data_root, monkeypatch):
    monkeypatch.setenv("TABLESAFE_READ_TOKEN", "reader")
    server = Server(data_root)
    try:
        with pytest.raises(grpc.RpcError) as error:
            next(Client(server.addr, token="wrong").watch())
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        server.stop()


def test_example_watcher_prints_the_last_backup_time_as_it_changes(server):
    import subprocess
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "watch.py"
    proc = subprocess.Popen([sys.executable, str(example), server.addr], stdout=subprocess.PIPE, text=True)
    try:
        lines = iter(proc.stdout)
        start = [next(lines) for _ in range(2)]
        assert sorted(line.split(":")[0] for line in start) == ["settings", "users"]
        assert all("last backup never" in line for line in start)
        run = Client(server.addr, token=ADMIN).trigger_backup(tables=["users"]).run
        line = next(lines)
        assert line.startswith("users: last backup 20") and run.tables[0].file_name in line
    finally:
        proc.kill()
        proc.wait()


def test_tls_with_the_ca_and_refused_without(data_root, certs):
    config = data_root / "tls.toml"
    config.write_text(f'[tls]\ncert_file = "{certs / "server.pem"}"\nkey_file = "{certs / "server.key"}"\n')
    server = Server(data_root, config=config)
    try:
        port = server.addr.rsplit(":", 1)[1]
        trusted = grpc.ssl_channel_credentials(root_certificates=(certs / "ca.pem").read_bytes())
        with Client(f"localhost:{port}", token=ADMIN, credentials=trusted) as client:
            run = client.trigger_backup(reason="over tls").run
            assert run.outcome == pb.RUN_OUTCOME_SUCCEEDED
            assert [r.run_id for r in client.list_runs()] == [run.run_id]
        # Plaintext to a TLS port, and TLS that trusts only the system's roots: no answer.
        for credentials in (None, grpc.ssl_channel_credentials()):
            with Client(f"localhost:{port}", token=ADMIN, credentials=credentials) as client:
                with pytest.raises(grpc.RpcError) as refused:
                    client.list_runs()
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop()


def test_statuses_are_enums_that_print_their_names(server, capsys):
    client = Client(server.addr, token=ADMIN)
    before = client.get_health()
    assert isinstance(before.status, HealthStatus) and before.status == pb.HEALTH_STATUS_WARNING
    users = next(t for t in before.tables if t.name == "users")
    assert [(i.code, i.severity) for i in users.issues] == [(IssueCode.NEVER_BACKED_UP, HealthStatus.WARNING)]
    assert users.role is TableRole.DISCOVERED

    run = client.trigger_backup(tables=["users"], reason="enums").run
    assert isinstance(run.outcome, RunOutcome) and isinstance(run.trigger, Trigger)
    table = run.tables[0]
    assert isinstance(table.outcome, TableOutcome) and isinstance(table.consistency, Consistency)
    after = client.get_health(refresh=True)
    users = next(t for t in after.tables if t.name == "users")
    assert isinstance(users.last_attempt_outcome, TableOutcome)

    print(before.status, run.outcome, run.trigger, table.outcome, table.consistency, users.status)
    print(*[issue.code for issue in before.tables[0].issues])
    print(f"{run.outcome} {run.outcome:>10}|{run.outcome:d}")
    assert capsys.readouterr().out.splitlines() == [
        "WARNING SUCCEEDED MANUAL SUCCEEDED CLEAN HEALTHY",
        "NEVER_BACKED_UP",
        "SUCCEEDED  SUCCEEDED|1",
    ]
    assert repr(run.outcome) == "<RunOutcome.SUCCEEDED: 1>"
    # Still the wire numbers: comparable with pb's constants, usable where protobuf wants an int.
    assert run.outcome == pb.RUN_OUTCOME_SUCCEEDED == 1 and pb.RunOutcome.Name(run.outcome) == "RUN_OUTCOME_SUCCEEDED"


def test_event_statuses_are_enums_too(server):
    client = Client(server.addr, token=ADMIN)
    with client.watch(WatchOptions(epoch="unknown", kinds=[EventKind.RUN_STARTED, EventKind.RUN_FINISHED])) as watcher:
        assert next(watcher).HasField("resync_required")
        client.trigger_backup(tables=["users"])
        started = next(e for e in watcher if e.HasField("run_started")).run_started
        finished = next(e for e in watcher if e.HasField("run_finished")).run_finished
    assert str(started.trigger) == "MANUAL" and str(finished.outcome) == "SUCCEEDED"


def test_every_proto_enum_has_an_enum_with_its_values():
    for name, wrapper in [(n, getattr(pb, n)) for n in dir(pb) if hasattr(getattr(pb, n), "DESCRIPTOR")]:
        if not hasattr(wrapper, "items"):
            continue  # a message
        enum = getattr(tablesafe_client, name)
        assert issubclass(enum, ProtoEnum)
        prefix = wrapper.DESCRIPTOR.values[1].name[: -len(enum(wrapper.DESCRIPTOR.values[1].number).name)]
        assert [(prefix + m.name, m.value) for m in enum] == list(wrapper.items())
    # A value a newer server may send is still an enum member, not an error.
    unknown = tablesafe_client.GetHealthResponse(pb.GetHealthResponse(status=42)).status
    assert isinstance(unknown, HealthStatus) and unknown == 42 and str(unknown) == "UNKNOWN_42"


def collect(watcher, into: "queue.Queue") -> threading.Thread:
    def run() -> None:
        try:
            for event in watcher:
                into.put(event)
            into.put("ended")
        except Exception as error:  # handed to the test thread
            into.put(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_watcher_resumes_from_a_saved_position(server):
    client = Client(server.addr, token=ADMIN)
    first = client.watch(WatchOptions(epoch="unknown"))
    assert next(first).HasField("resync_required")  # the stream is open
    client.trigger_backup(reason="resumed")  # its events wait in the stream
    next(e for e in first if e.HasField("table_backed_up"))
    # The position of the last event handed out: what a program saves to go on from later.
    saved = first.after_sequence, first.epoch
    first.stop()
    assert saved[0] > 0 and saved[1] == server_epoch(client)

    second = client.watch(WatchOptions(after_sequence=saved[0], epoch=saved[1]))
    later = []
    for event in second:
        if event.HasField("heartbeat") or event.HasField("health_changed"):
            continue
        later.append(event)
        if event.HasField("run_finished"):
            break
    second.stop()
    assert [e.WhichOneof("payload") for e in later] == ["table_backed_up", "run_finished"]
    assert all(e.sequence > saved[0] and e.epoch == saved[1] for e in later)


def server_epoch(client: Client) -> str:
    with client.watch(WatchOptions(epoch="unknown")) as watcher:
        return next(watcher).resync_required.epoch


def test_stop_ends_a_watcher_blocked_in_another_thread(server):
    client = Client(server.addr)
    for stop in ("watcher", "client"):
        events: "queue.Queue" = queue.Queue()
        watcher = client.watch(WatchOptions(epoch="unknown"))
        thread = collect(watcher, events)
        next_matching(events, lambda e: e.HasField("resync_required"))
        if stop == "watcher":
            watcher.stop()
        else:
            client.close()
        thread.join(timeout=10)
        assert not thread.is_alive(), f"stopping the {stop} left the watcher running"
        assert next_matching(events, lambda e: True if e == "ended" else False) == "ended"
        assert list(watcher) == []
    with pytest.raises(ValueError):
        client.watch()
