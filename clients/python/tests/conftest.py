"""A real tablesafe server for the SDK tests: the binary cargo built, on 127.0.0.1."""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "clients" / "python"))

ADMIN = "python-sdk-admin-token"


def missing(message: str) -> None:
    """A tool the test needs is not there: fails under CI (CI=true), skips elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def built(name: str, env: str) -> Path:
    """A binary cargo built: `$env`, else target/debug/`name`; missing fails under CI."""
    path = Path(os.environ.get(env, ROOT / "target" / "debug" / name))
    if not path.exists():
        missing(f"{path} is missing: build it with cargo build --workspace --bins")
    return path


def binary() -> Path:
    return built("tablesafe", "TABLESAFE_BIN")


class Server:
    """`tablesafe serve` as a child process; knows its address from its log line."""

    def __init__(self, root: Path, listen: str = "127.0.0.1:0", config: Optional[Path] = None) -> None:
        self.root = root
        self.process = subprocess.Popen(
            [
                str(binary()), "serve", "--listen", listen, "--schedule", "off",
                "--data-dir", str(root / "data"), "--backup-dir", str(root / "backups"),
                *(["--config", str(config)] if config else []),
            ],
            env={**os.environ, "TABLESAFE_ADMIN_TOKEN": ADMIN, "RUST_LOG": "info"},
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in self.process.stderr:
            if "tablesafe listening addr=" in line:
                self.addr = line.split("tablesafe listening addr=")[1].split()[0]
                break
        else:
            raise RuntimeError("the server exited before listening")
        threading.Thread(target=lambda: [None for _ in self.process.stderr], daemon=True).start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    fixtures = ROOT / "tests" / "data" / "dets"
    for table, fixture in [("users", "set_grown.dets"), ("settings", "set_10.dets")]:
        shutil.copy(fixtures / fixture, tmp_path / "data" / f"{table}.dets")
    return tmp_path


@pytest.fixture
def server(data_root: Path):
    s = Server(data_root)
    yield s
    s.stop()


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    """A fresh CA and a server certificate for localhost and 127.0.0.1 (testkit's make-test-certs)."""
    out = tmp_path / "certs"
    subprocess.run([str(built("make-test-certs", "TABLESAFE_MAKE_CERTS")), str(out)], check=True)
    return out
