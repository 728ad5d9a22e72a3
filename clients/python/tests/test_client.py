"""The Python SDK against a real server: backup, health, listing, a resuming
watcher across a server restart, and the error a wrong token gives."""

import queue
import threading

import grpc
import pytest
from conftest import ADMIN, Server

from tablesafe_client import Client, WatchOptions, pb


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

    backups = client.list_backups("users")
    assert [b.file_name for b in backups] == [users.file_name]
    assert backups[0].verified
    assert client.list_runs()[0].run_id == reply.run.run_id


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
