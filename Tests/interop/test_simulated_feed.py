"""`pulse serve` with the simulated feed against a real Redis (started by scripts/redis.sh): ticks land in the tick
log numbered 1, 2, 3…, with sane prices and ingest times; two servers share the symbols instead of both writing;
SIGTERM releases the symbols. Checked with redis-cli, not with pulse's own client.
"""
import signal
import socket
import subprocess
import time

import pytest

from conftest import REPO, pulse_binary
from serve_process import ServeProcess


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
    out = subprocess.run(["redis-cli", "-p", str(port), "--raw", "XRANGE", f"tick:{{{symbol}}}", "-", "+"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    entries, i = [], 0
    while i + 12 < len(out):
        seq = int(out[i].split("-")[0])
        fields = dict(zip(out[i + 1:i + 13:2], out[i + 2:i + 13:2]))
        entries.append((seq, fields))
        i += 13
    return entries


def _serve(redis_port, *extra):
    return ServeProcess([pulse_binary(), "serve", "--port", "0", "--redis-url", f"redis://127.0.0.1:{redis_port}",
                         "--symbols", "AAPL,MSFT,SPY", "--tick-rate", "600", *extra])


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
