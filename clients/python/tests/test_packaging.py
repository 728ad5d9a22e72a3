"""The SDK as users get it: a wheel built from clients/python, installed in a fresh
virtual environment (its dependencies from PyPI), used against a real server; and
an import that leaves no trace outside the package."""

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from conftest import ADMIN, ROOT, missing

PACKAGE = ROOT / "clients" / "python"
GENERATED = PACKAGE / "tablesafe_client" / "_generated" / "tablesafe" / "v1"


def clean_env(**extra: str) -> dict:
    """This process's environment without what would make Python find the source tree."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    return {**env, "PYTHONNOUSERSITE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def run(command: list, **kwargs) -> str:
    result = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=600, **{"env": clean_env(), **kwargs}
    )
    if result.returncode != 0:
        pytest.fail(f"{command} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def build_leftovers() -> list:
    """What setuptools-style builds leave in a source tree."""
    return sorted(
        str(p.relative_to(PACKAGE))
        for p in [PACKAGE / "build", PACKAGE / "dist", *PACKAGE.rglob("*.egg-info")]
        if p.exists()
    )


NO_TOP_LEVEL_TABLESAFE = textwrap.dedent(
    """
    import sys
    path = list(sys.path)
    import tablesafe_client
    assert sys.path == path, f"importing tablesafe_client changed sys.path: {sys.path}"
    leaked = sorted(m for m in sys.modules if m == "tablesafe" or m.startswith("tablesafe."))
    assert not leaked, f"modules outside the package: {leaked}"
    try:
        import tablesafe
    except ModuleNotFoundError as error:
        assert error.name == "tablesafe", error
    else:
        raise AssertionError(f"import tablesafe found {tablesafe.__file__}")
    print("no top-level tablesafe;", tablesafe_client.__file__)
    """
)


def test_importing_the_sdk_leaves_no_top_level_tablesafe_package(tmp_path):
    out = run([sys.executable, "-c", NO_TOP_LEVEL_TABLESAFE], cwd=tmp_path, env=clean_env(PYTHONPATH=str(PACKAGE)))
    assert out.startswith("no top-level tablesafe;") and str(PACKAGE) in out


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from clients/python (its build backend from PyPI, as for users)."""
    if importlib.util.find_spec("pip") is None:
        missing(f"pip is missing from {sys.executable}: run scripts/install-test-deps.sh")
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, PACKAGE], cwd=out)
    wheels = list(out.glob("*.whl"))
    assert [w.name for w in wheels] == ["tablesafe_client-0.1.0-py3-none-any.whl"]
    return wheels[0]


def test_building_a_wheel_leaves_no_build_output_in_the_source_tree(wheel):
    assert build_leftovers() == [], "build output in clients/python (from this build, or an earlier one)"


def wheel_metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as z:
        return Parser().parsestr(z.read("tablesafe_client-0.1.0.dist-info/METADATA").decode())


def test_the_wheel_holds_the_typed_package_and_its_metadata(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert {n.split("/")[0] for n in names} == {"tablesafe_client", "tablesafe_client-0.1.0.dist-info"}
    for name in [
        "tablesafe_client/py.typed",
        "tablesafe_client/_generated/models.py",
        "tablesafe_client/_generated/tablesafe/v1/storage_admin_pb2.py",
        "tablesafe_client/_generated/tablesafe/v1/storage_admin_pb2.pyi",
        "tablesafe_client/_generated/tablesafe/v1/storage_admin_pb2_grpc.py",
        "tablesafe_client-0.1.0.dist-info/licenses/LICENSE",
    ]:
        assert name in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]

    meta = wheel_metadata(wheel)
    assert meta["Name"] == "tablesafe-client" and meta["Version"] == "0.1.0"
    assert "StorageAdmin gRPC API" in meta["Summary"]
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Requires-Python"] == ">=3.10"
    assert meta["Description-Content-Type"] == "text/markdown" and "pip install" in meta.get_payload()
    assert "Typing :: Typed" in meta.get_all("Classifier")
    assert meta["Project-URL"].startswith("Repository, https://")


def test_the_dependency_ranges_admit_what_the_generated_code_needs(wheel):
    """Ranges, not pins; their floors are what the generated modules check at import time."""
    if importlib.util.find_spec("packaging") is None:
        missing("the packaging module is missing: run scripts/install-test-deps.sh")
    from packaging.requirements import Requirement

    grpc_gen = re.search(r"GRPC_GENERATED_VERSION = '([\d.]+)'", (GENERATED / "storage_admin_pb2_grpc.py").read_text())
    pb_gen = re.search(
        r"ValidateProtobufRuntimeVersion\(\s*_runtime_version\.Domain\.PUBLIC,\s*(\d+),\s*(\d+),\s*(\d+),",
        (GENERATED / "storage_admin_pb2.py").read_text(),
    )
    assert grpc_gen and pb_gen
    floors = {"grpcio": grpc_gen[1], "protobuf": ".".join(pb_gen.groups())}
    requires = {r.name: r.specifier for r in map(Requirement, wheel_metadata(wheel).get_all("Requires-Dist"))}
    assert set(requires) == set(floors)
    for name, floor in floors.items():
        major = int(floor.split(".")[0])
        spec = requires[name]
        assert {s.operator for s in spec} == {">=", "<"}, f"{name}: {spec} is not a range"
        assert spec.contains(floor) and spec.contains(f"{major}.999"), f"{name}: {spec} refuses {floor}"
        assert next(s.version for s in spec if s.operator == ">=") == floor, f"{name}: {spec} should start at {floor}"
        assert not spec.contains(f"{major + 1}.0"), f"{name}: {spec} admits the next major version"


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment's python, with the wheel and its dependencies (from PyPI) installed."""
    if importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None:
        missing(f"{sys.executable} cannot make a virtual environment with pip (venv, ensurepip)")
    venv = tmp_path_factory.mktemp("venv") / "env"
    run([sys.executable, "-m", "venv", venv], cwd=venv.parent)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", wheel], cwd=venv.parent)
    return python


USE_THE_SERVER = textwrap.dedent(
    """
    import sys
    from tablesafe_client import Client, HealthStatus, RunOutcome

    with Client(sys.argv[1], token=sys.argv[2]) as client:
        health = client.get_health()
        print("health before:", health.status)
        for table in health.tables:
            print("table", table.name, table.status, *[issue.code for issue in table.issues])
        run = client.trigger_backup(reason="from the wheel").run
        print("run:", run.outcome, run.trigger)
        for table in run.tables:
            print("backed up", table.table, table.outcome, table.consistency)
        health = client.get_health(refresh=True)
        print("health after:", health.status)
        assert isinstance(health.status, HealthStatus) and run.outcome == RunOutcome.SUCCEEDED
    """
)


def test_the_installed_wheel_backs_up_and_reports_health_from_a_real_server(installed, server, tmp_path):
    venv = installed.parent.parent
    where = run([installed, "-c", NO_TOP_LEVEL_TABLESAFE], cwd=tmp_path)
    assert str(venv) in where and str(PACKAGE) not in where, "not the installed copy"
    out = run([installed, "-c", USE_THE_SERVER, server.addr, ADMIN], cwd=tmp_path).splitlines()
    assert out == [
        "health before: WARNING",
        "table settings WARNING NEVER_BACKED_UP",
        "table users WARNING NEVER_BACKED_UP",
        "run: SUCCEEDED MANUAL",
        "backed up settings SUCCEEDED CLEAN",
        "backed up users SUCCEEDED CLEAN",
        "health after: HEALTHY",
    ]
