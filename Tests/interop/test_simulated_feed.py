"""`pulse serve` with the simulated feed against a real Redis (started by scripts/redis.sh): ticks land in the tick
log numbered 1, 2, 3…, with sane prices and ingest times; two servers share the symbols instead of both writing;
SIGTERM releases the symbols. Checked with redis-cli and Redis' own protocol (tick_log.py), not with pulse's own
client.
"""
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import REPO, pulse_binary, skip_or_fail
from serve_process import ServeProcess
import tick_log


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def redis(tmp_path):
    port = _free_port()
    folder = tmp_path / "redis"
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "start", str(folder), str(port)], check=True)
    yield port
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "stop", str(folder), str(port)], check=False)


def _cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), "--no-raw", *args], capture_output=True, text=True,
                          check=True).stdout


def _entries(port, symbol):
    return tick_log.entries(port, symbol)


def _serve(redis_port, *extra, database=""):
    # DATABASE_URL="" keeps a test script's database out of the Redis-only cases (ownership then uses Redis leases).
    return ServeProcess([pulse_binary(), "serve", "--port", "0", "--redis-url", f"redis://127.0.0.1:{redis_port}",
                         "--symbols", "AAPL,MSFT,SPY", "--tick-rate", "600", *extra], env={"DATABASE_URL": database})


def test_ticks_reach_the_log_numbered_from_one(redis):
    server = _serve(redis)
    try:
        time.sleep(3)
    finally:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=20) == 0
    now_us = time.time() * 1e6
    for symbol in ("AAPL", "MSFT", "SPY"):
        entries = _entries(redis, symbol)
        assert len(entries) > 200, symbol
        assert [s for s, _ in entries] == list(range(1, len(entries) + 1))
        for _, f in entries:
            price, bid, ask = float(f["p"]), float(f["b"]), float(f["a"])
            assert 0 < bid <= price <= ask
            assert now_us - 60e6 < int(f["i"]) <= now_us
        # The latest quote is cached with a TTL (eviction may take it, never the stream).
        assert int(_cli(redis, "PTTL", f"quote:{{{symbol}}}").strip().split()[-1]) > 0
        # SIGTERM released the symbol.
        assert _cli(redis, "GET", f"owner:{{{symbol}}}").strip() in ("(nil)", "")


def test_two_servers_share_the_symbols_and_the_numbering_stays_unbroken(redis):
    first = _serve(redis)
    second = _serve(redis, "--sim-seed", "9")
    try:
        time.sleep(3)
        owners = {s: _cli(redis, "GET", f"owner:{{{s}}}").strip() for s in ("AAPL", "MSFT", "SPY")}
        assert all(o not in ("(nil)", "") for o in owners.values()), owners
        # Stop the first: its symbols move to the second, which numbers on from the high-water mark.
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(timeout=20) == 0
        time.sleep(3)
    finally:
        second.process.send_signal(signal.SIGTERM)
        second.process.wait(timeout=20)
        if first.alive():
            first.kill()
    for symbol in ("AAPL", "MSFT", "SPY"):
        sequences = [s for s, _ in _entries(redis, symbol)]
        assert sequences == list(range(1, len(sequences) + 1)), symbol
        assert len(sequences) > 200


def test_with_a_database_ownership_and_high_water_marks_live_in_postgres(redis):
    """pulse serve applies its migrations at start-up, holds each symbol with an advisory lock and records the
    epoch and the high-water mark in symbol_owners; a second server started after it numbers on."""
    database = os.environ.get("PULSE_TEST_DATABASE_URL")
    if not database:
        skip_or_fail("PULSE_TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL and sets it)")
    first = _serve(redis, database=database)
    try:
        time.sleep(3)
    finally:
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(timeout=20) == 0
    rows = subprocess.run(["psql", database, "-Atc", "SELECT symbol, epoch, high_water FROM symbol_owners "
                           "WHERE symbol IN ('AAPL','MSFT','SPY') ORDER BY symbol"],
                          capture_output=True, text=True, check=True).stdout.split()
    owners = {r.split("|")[0]: (int(r.split("|")[1]), int(r.split("|")[2])) for r in rows}
    assert set(owners) == {"AAPL", "MSFT", "SPY"}
    second = _serve(redis, database=database)
    try:
        time.sleep(3)
    finally:
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(timeout=20) == 0
    for symbol, (epoch, high_water) in owners.items():
        # The numbering goes on from PostgreSQL's high-water mark (the shared test database may already hold one
        # from earlier servers), unbroken across the two owners.
        sequences = [s for s, _ in _entries(redis, symbol)]
        assert sequences and sequences == list(range(sequences[0], sequences[0] + len(sequences))), symbol
        assert high_water > 0 and sequences[-1] > high_water  # the second server numbered on
    after = subprocess.run(["psql", database, "-Atc", "SELECT epoch FROM symbol_owners WHERE symbol = 'AAPL'"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert int(after) > owners["AAPL"][0]
