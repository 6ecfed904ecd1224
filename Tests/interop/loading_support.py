"""Shared pieces of the loading, screener and Python-client suites: a fresh database on the test PostgreSQL, the
fake Alpha Vantage as a process, `pulse serve` against both, and grpcio stubs generated from Protocol/."""
import importlib
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest

from conftest import REPO, pulse_binary, require_module, skip_or_fail
from serve_process import ServeProcess

psycopg = require_module("psycopg")

SERVER_URL = os.environ.get("PULSE_TEST_DATABASE_URL")


def require_database():
    if not SERVER_URL:
        skip_or_fail("PULSE_TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL and sets it)")


def with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@contextmanager
def fresh_database():
    """A new empty database on the test server (its URL), dropped afterwards."""
    require_database()
    name = f"pulse_py_{random.randrange(1 << 32)}"
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield with_database(SERVER_URL, name)
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class FakeAlphaVantage:
    """Tests/interop/fake_alphavantage.py on a free port."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pulse-fake-av-")
        port_file = os.path.join(self.dir, "port")
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "Tests" / "interop" / "fake_alphavantage.py"), "--port", "0", "--port-file",
             port_file], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the fake Alpha Vantage did not start")
            time.sleep(0.02)
        self.port = int(pathlib.Path(port_file).read_text())
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = self.root + "/query"

    def get(self, path):
        with urllib.request.urlopen(self.root + path, timeout=30) as response:
            return response.read()

    def allow(self, apikey, calls):
        self.get(f"/__quota?apikey={apikey}&allow={calls}")

    def requests(self, symbol):
        import json

        return json.loads(self.get("/__stats"))["by_symbol"].get(symbol, 0)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def fake_av():
    fake = FakeAlphaVantage()
    yield fake
    fake.stop()


def serve(database_url=None, env=None, extra=()):
    """`pulse serve --port 0 --feed none` with the given database and environment (Alpha Vantage unset unless
    `env` sets it)."""
    argv = [pulse_binary(), "serve", "--port", "0", "--feed", "none", "--loops", "2", *extra]
    if database_url:
        argv += ["--database-url", database_url]
    # Empty values count as unset for `pulse serve`, so the test's own DATABASE_URL and any key stay out.
    cleared = {"DATABASE_URL": "", "ALPHA_VANTAGE_API_KEY": "", "ALPHA_VANTAGE_BASE_URL": "", "REDIS_URL": ""}
    return ServeProcess(argv, env={**cleared, **(env or {})})


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    """pulse.v1 generated modules: market_data_pb2, quotes_pb2, quotes_pb2_grpc."""
    from grpc_peer_server import ProtocolMissing, compile_protocol

    try:
        compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")
    names = ["market_data_pb2", "quotes_pb2", "quotes_pb2_grpc"]
    return type("Stubs", (), {n: importlib.import_module(f"pulse.v1.{n}") for n in names})


def wait_for(predicate, timeout=120, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stored_bars(url, symbol, timeframe):
    """(ts_ms, open, high, low, close, volume) rows of a symbol, oldest first, read back with psycopg."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT (extract(epoch FROM b.ts) * 1000)::bigint, open, high, low, close, volume FROM bars b "
            "JOIN symbols s ON s.id = b.symbol_id WHERE s.symbol = %s AND b.timeframe = %s ORDER BY b.ts",
            (symbol, timeframe)).fetchall()
    return [tuple(r) for r in rows]


def job_row(url, job_id):
    with psycopg.connect(url) as connection:
        return connection.execute(
            "SELECT state, (SELECT count(*) FROM backfill_units u WHERE u.job_id = j.id), last_error "
            "FROM backfill_jobs j WHERE id = %s", (job_id,)).fetchone()
