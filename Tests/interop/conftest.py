"""Shared fixtures for the interop suites: where the `pulse` binary is, and running it."""
import os
import pathlib
import socket
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def pulse_binary() -> pathlib.Path:
    """The `pulse` executable under test: $PULSE_BIN, else the debug build of this checkout."""
    path = pathlib.Path(os.environ.get("PULSE_BIN", REPO / ".build" / "debug" / "pulse"))
    if not path.exists():
        pytest.fail(f"pulse binary not found at {path}: run `swift build` first or set PULSE_BIN")
    return path


@pytest.fixture(scope="session")
def pulse_bin() -> pathlib.Path:
    return pulse_binary()


def run_pulse(*args, input_text=None, timeout=120):
    """Runs `pulse ARGS...`, returning the CompletedProcess (stdout and stderr as text)."""
    return subprocess.run(
        [str(pulse_binary()), *map(str, args)],
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def in_ci() -> bool:
    """True under CI (`CI=true`), where a missing tool must fail the run, never skip a suite into passing."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def skip_or_fail(reason: str):
    """Outside CI: skip with a visible reason. In CI: fail, because a skipped suite would pass with zero cases."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing prerequisite fails the run)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str):
    """Imports and returns module `name`; when it is missing, skips outside CI and fails in CI."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as error:
        skip_or_fail(f"Python package {name!r} is not installed ({error}); scripts/install-deps.sh --python installs it")


def free_port() -> int:
    """A loopback port nothing listens on now (bound, read back, closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    """A Redis of the module's own (scripts/redis.sh) on a free port; its port."""
    port = free_port()
    folder = tmp_path_factory.mktemp("redis") / "data"
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "start", str(folder), str(port)], check=True)
    yield port
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "stop", str(folder), str(port)], check=False)
