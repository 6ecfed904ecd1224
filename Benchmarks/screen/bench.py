"""Screen (SQL window functions in PostgreSQL, over gRPC) beside psycopg + pandas computing the same ranking from the
raw bars, on the same database in the same run.

Usage: .venv/bin/python Benchmarks/screen/bench.py [--symbols 1000] [--days 252] [--window 20] [--pulse PATH]
Needs DATABASE_URL or PULSE_TEST_DATABASE_URL (a server where it may create and drop a database).
"""
import argparse
import io
import os
import pathlib
import random
import statistics
import subprocess
import sys
import time
import urllib.parse

import grpc
import numpy as np
import pandas as pd
import psycopg

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "interop"))
from grpc_peer_server import compile_protocol  # noqa: E402
from serve_process import ServeProcess  # noqa: E402


def with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def load(url, symbols, days):
    rng = np.random.default_rng(7)
    index = pd.bdate_range("2023-01-02", periods=days, tz="UTC")
    with psycopg.connect(url) as connection:
        connection.execute("SELECT pulse_ensure_bar_partitions(%s, %s)", (index[0], index[-1]))
        buffer = io.StringIO()
        for k in range(symbols):
            symbol_id = connection.execute("INSERT INTO symbols (symbol) VALUES (%s) RETURNING id",
                                           (f"B{k:05d}",)).fetchone()[0]
            close = 20 + 200 * rng.random() * np.exp(np.cumsum(rng.normal(0, 0.02, days)))
            high = close * (1 + rng.random(days) * 0.02)
            low = close * (1 - rng.random(days) * 0.02)
            volume = rng.integers(1000, 1_000_000, days)
            for t, c, h, lo, v in zip(index, close, high, low, volume):
                buffer.write(f"{symbol_id}\t1d\t{t.isoformat()}\t{c}\t{h}\t{lo}\t{c}\t{v}\n")
        buffer.seek(0)
        with connection.cursor().copy("COPY bars (symbol_id, timeframe, ts, open, high, low, close, volume) FROM STDIN") as copy:
            copy.write(buffer.read())
        connection.execute("ANALYZE bars")


def pandas_screen(url, window, limit):
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT s.symbol, b.ts, b.high, b.close, b.volume FROM bars b JOIN symbols s ON s.id = b.symbol_id "
            "WHERE b.timeframe = '1d' ORDER BY s.symbol, b.ts").fetchall()
    frame = pd.DataFrame(rows, columns=["symbol", "ts", "high", "close", "volume"])
    last = frame.groupby("symbol").tail(window + 1)
    grouped = last.groupby("symbol")
    ret = grouped.close.last() / grouped.close.first() - 1
    return ret.sort_values(ascending=False).head(limit)


def timed(call, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--days", type=int, default=252)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pulse", default=str(REPO / ".build" / "release" / "pulse"))
    args = parser.parse_args()
    base = os.environ.get("PULSE_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("set DATABASE_URL or PULSE_TEST_DATABASE_URL")
    name = f"pulse_screen_bench_{random.randrange(1 << 32)}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = with_database(base, name)
    try:
        subprocess.run([args.pulse, "migrate", "--database-url", url], check=True, capture_output=True)
        started = time.perf_counter()
        load(url, args.symbols, args.days)
        print(f"loaded {args.symbols} symbols × {args.days} daily bars in {time.perf_counter() - started:.1f} s")
        stubs_dir = pathlib.Path("/tmp") / f"pulse-screen-stubs-{os.getpid()}"
        compile_protocol(stubs_dir)
        from pulse.v1 import quotes_pb2, quotes_pb2_grpc

        server = ServeProcess([args.pulse, "serve", "--port", "0", "--feed", "none", "--database-url", url],
                              env={"ALPHA_VANTAGE_API_KEY": "", "REDIS_URL": ""})
        try:
            with grpc.insecure_channel(server.address) as channel:
                stub = quotes_pb2_grpc.QuotesStub(channel)
                results = {}
                for metric, number in (("return", 1), ("volume_spike", 2), ("volatility", 3), ("new_high", 4)):
                    request = quotes_pb2.ScreenRequest(metric=number, window=args.window, limit=20)
                    stub.Screen(request, timeout=60)  # warm-up
                    results[metric] = timed(lambda: stub.Screen(request, timeout=60), args.repeat)
                top = [r.symbol for r in stub.Screen(quotes_pb2.ScreenRequest(metric=1, window=args.window, limit=20)).rows]
        finally:
            server.terminate()
        reference = pandas_screen(url, args.window, 20)
        assert list(reference.index) == top, "pandas and Screen disagree"
        pandas_ms = timed(lambda: pandas_screen(url, args.window, 20), max(3, args.repeat // 4))
        print(f"Screen over {args.symbols} symbols, window {args.window}, limit 20 (median / max of {args.repeat} calls, ms):")
        for metric, (median, worst) in results.items():
            print(f"  {metric:13s} {median:8.2f} / {worst:8.2f}")
        print(f"  psycopg + pandas, return (read every bar, groupby): {pandas_ms[0]:.2f} / {pandas_ms[1]:.2f} "
              f"→ Screen is {pandas_ms[0] / results['return'][0]:.1f}× faster")
        print(f"reproduce: .venv/bin/python Benchmarks/screen/bench.py --symbols {args.symbols} --days {args.days} "
              f"--window {args.window}")
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
