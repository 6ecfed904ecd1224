"""`pulse serve --feed alphavantage` against the fake Alpha Vantage, a real Redis and the test PostgreSQL: the
symbols LoadSymbol tracks are polled (GLOBAL_QUOTE) and every changed quote lands in the tick log through the same
ingest path as the simulated feed — numbered 1, 2, 3… by the symbol's owner (recorded in PostgreSQL), with the
fake's prices and the day-volume increases as sizes. Read back with redis-cli and psycopg, not with pulse's own code.
"""
import time

import pytest

from loading_support import fake_av, fresh_database, psycopg, require_database, serve, stubs, wait_for  # noqa: F401
from test_simulated_feed import _entries, redis  # noqa: F401

import grpc

require_database()


def test_tracked_symbols_quotes_go_through_the_ingester(stubs, fake_av, redis):
    with fresh_database() as database:
        process = serve(database, extra=["--feed", "alphavantage", "--redis-url", f"redis://127.0.0.1:{redis}"],
                        env={"ALPHA_VANTAGE_API_KEY": "feed-key", "ALPHA_VANTAGE_BASE_URL": fake_av.base_url,
                             "ALPHA_VANTAGE_POLL_SECONDS": "0.1", "ALPHA_VANTAGE_DAILY_LIMIT": "0"})
        try:
            with grpc.insecure_channel(process.address) as channel:
                stub = stubs.quotes_pb2_grpc.QuotesStub(channel)
                stub.LoadSymbol(stubs.quotes_pb2.LoadSymbolRequest(
                    symbol="MOVE1", source=stubs.quotes_pb2.DATA_SOURCE_ALPHA_VANTAGE), timeout=30)
            wait_for(lambda: len(_entries(redis, "MOVE1")) >= 5, timeout=60, what="five ticks of MOVE1 in the log")
            wait_for(lambda: high_water(database) >= 5, timeout=30, what="the high-water mark in PostgreSQL")
        finally:
            process.terminate()
        entries = _entries(redis, "MOVE1")
        sequences = [s for s, _ in entries]
        assert sequences == list(range(1, len(sequences) + 1))
        prices = [float(f["p"]) for _, f in entries]
        # Each poll is one call to the fake: call n answers 100 + 0.01·n, so the prices rise by 0.01 per tick.
        assert all(abs(b - a - 0.01) < 1e-9 for a, b in zip(prices, prices[1:])), prices
        sizes = [float(f["s"]) for _, f in entries]
        assert sizes[0] == 0 and all(s == 1000 for s in sizes[1:]), sizes
        with psycopg.connect(database) as connection:
            owner = connection.execute(
                "SELECT epoch, high_water FROM symbol_owners WHERE symbol = 'MOVE1'").fetchone()
            tracked = connection.execute("SELECT tracking, source FROM symbols WHERE symbol = 'MOVE1'").fetchone()
        assert owner is not None and owner[0] >= 1 and 5 <= owner[1] <= len(sequences)
        assert tracked == ("active", "alphavantage")


def high_water(database):
    with psycopg.connect(database) as connection:
        row = connection.execute("SELECT high_water FROM symbol_owners WHERE symbol = 'MOVE1'").fetchone()
    return row[0] if row else 0


def test_feed_alphavantage_without_a_key_is_a_usage_error(tmp_path):
    from conftest import run_pulse

    done = run_pulse("serve", "--port", "0", "--feed", "alphavantage")
    assert done.returncode == 2 and "ALPHA_VANTAGE_API_KEY" in done.stderr


def test_loaded_bars_drop_the_symbols_cached_derived_values(stubs, redis):
    import subprocess

    def cli(*args):
        return subprocess.run(["redis-cli", "-p", str(redis), *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    csv = b"Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11,200\n"
    with fresh_database() as database:
        process = serve(database, extra=["--redis-url", f"redis://127.0.0.1:{redis}"])
        try:
            with grpc.insecure_channel(process.address) as channel:
                stub = stubs.quotes_pb2_grpc.QuotesStub(channel)
                request = stubs.quotes_pb2.LoadSymbolRequest(symbol="CACHED", source=stubs.quotes_pb2.DATA_SOURCE_CSV,
                                                             csv=csv)
                for name in ("rsi", "other"):  # what MarketCache.setDerived writes
                    cli("SET", f"cache:{{CACHED}}:{name}", "x", "PX", "60000")
                    cli("SADD", "cache:{CACHED}:keys", f"cache:{{CACHED}}:{name}")
                assert stub.LoadSymbol(request, timeout=30).bars_loaded == 2
                assert cli("EXISTS", "cache:{CACHED}:rsi", "cache:{CACHED}:other", "cache:{CACHED}:keys") == "0"
                cli("SET", "cache:{CACHED}:rsi", "y", "PX", "60000")
                cli("SADD", "cache:{CACHED}:keys", "cache:{CACHED}:rsi")
                assert stub.LoadSymbol(request, timeout=30).bars_loaded == 0  # nothing new: the cache stays
                assert cli("GET", "cache:{CACHED}:rsi") == "y"
        finally:
            process.terminate()
