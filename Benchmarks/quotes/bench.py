"""Quotes benchmark: GetQuote requests/s beside Diagnostics/Echo of the same server (h2load), by tier (the server's
own ticks, the Redis cache, the last stored bar), and GetBars of one year of one symbol at 1h and 15m beside
`pgbench -f` running the same SQL the server runs for that request (p50 latency, one request at a time).

Usage: .venv/bin/python Benchmarks/quotes/bench.py [--pulse .build/release/pulse] [--seconds 10]
Starts its own PostgreSQL and Redis (scripts/postgres.sh, scripts/redis.sh) on free ports in a temporary folder,
imports a year of 1-minute bars (regular hours, 2023) with `pulse import`, and stops everything at the end.
"""
import argparse
import os
import pathlib
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "interop"))
from grpc_peer_server import compile_protocol  # noqa: E402
from serve_process import ServeProcess  # noqa: E402

SYMBOL = "YEAR"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def year_of_minutes(path):
    """2023's sessions, 09:30-16:00 New York time, one bar a minute (98k bars)."""
    days = [d for d in pd.bdate_range("2023-01-02", "2023-12-29")]
    index = pd.DatetimeIndex(np.concatenate([
        pd.date_range(pd.Timestamp(d.date()).tz_localize("America/New_York") + pd.Timedelta(minutes=570),
                      periods=390, freq="min").tz_convert("UTC").values for d in days])).tz_localize("UTC")
    rng = np.random.default_rng(3)
    close = (100 * np.exp(np.cumsum(rng.normal(0, 5e-4, len(index))))).tolist()
    with open(path, "w") as out:
        out.write("Date,Open,High,Low,Close,Volume\n")
        previous = close[0]
        for t, c in zip(index, close):
            out.write(f"{t:%Y-%m-%dT%H:%M:%SZ},{previous!r},{max(previous, c) * 1.0005!r},"
                      f"{min(previous, c) * 0.9995!r},{c!r},{int(rng.integers(100, 10000))}\n")
            previous = c
    return len(index)


def framed(message):
    body = message.SerializeToString()
    return b"\x00" + len(body).to_bytes(4, "big") + body


def h2load(address, path, body_file, seconds, clients, streams, log):
    command = ["h2load", "-c", str(clients), "-m", str(streams), "-t", "1", "-D", str(seconds), "--warm-up-time=1",
               f"--log-file={log}", "-d", str(body_file), "-H", "content-type: application/grpc", "-H", "te: trailers",
               f"http://{address}{path}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"finished in .*?, ([\d.]+) req/s", out).group(1))
    counts = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed", out)
    failed = int(counts.group(4))
    durations = [int(line.split("\t")[2]) for line in open(log) if line.strip()]
    return {"rate": rate, "failed": failed, "p50_ms": statistics.median(durations) / 1000 if durations else float("nan"),
            "p99_ms": float(np.percentile(durations, 99)) / 1000 if durations else float("nan"), "command": command}


def pgbench(url, sql_file, seconds, work):
    """p50 of pgbench's per-transaction latencies, from a log folder of this run's own (pgbench names its logs
    PREFIX.PID: a shared folder would mix in the transactions of earlier runs)."""
    logs = pathlib.Path(tempfile.mkdtemp(prefix="pgbench.", dir=work))
    command = ["pgbench", "-n", "-M", "extended", "-c", "1", "-T", str(seconds), "-f", str(sql_file), "-l",
               f"--log-prefix={logs / 'tx'}", url]
    subprocess.run(command, capture_output=True, text=True, check=True, cwd=work)
    latencies = []
    for log in logs.iterdir():
        for line in open(log):
            parts = line.split()
            if len(parts) >= 3:
                latencies.append(int(parts[2]))
    assert latencies, f"pgbench logged no transaction: {' '.join(command)}"
    return {"p50_ms": statistics.median(latencies) / 1000, "count": len(latencies), "command": command}


def meta_sql(timeframe):
    """StoredBarReader's first statement: the symbol, what is stored, whether its rollups are current."""
    return f"""SELECT s.id, s.price_adjustment,
    EXISTS (SELECT 1 FROM bars WHERE symbol_id = s.id AND timeframe = '{timeframe}'),
    EXISTS (SELECT 1 FROM bars WHERE symbol_id = s.id AND timeframe = '1d'),
    EXISTS (SELECT 1 FROM bars WHERE symbol_id = s.id AND timeframe = '1m'),
    EXISTS (SELECT 1 FROM corporate_actions WHERE symbol_id = s.id),
    NOT EXISTS (SELECT 1 FROM bar_rollup_invalidations WHERE symbol_id = s.id)
FROM symbols s WHERE s.symbol = '{SYMBOL}';"""


def grouped_sql(symbol_id, table, source, timeframe_seconds, start, end):
    """BarStore.groupedQuery with a minute/hour grouping over `table`'s `source` bars, no adjustment, limit = page
    size + 1."""
    bucket = f"date_bin('{timeframe_seconds} seconds'::interval, ts, timestamptz '1970-01-01 00:00:00+00')"
    coarse_end = pd.Timestamp(end) + pd.Timedelta(seconds=timeframe_seconds)
    return f"""WITH src AS (
    SELECT {bucket} AS bucket, ts, open AS open, high AS high, low AS low, close AS close, volume AS volume
    FROM {table} WHERE symbol_id = {symbol_id} AND timeframe = '{source}'
        AND ts >= '{start}'::timestamptz AND ts < '{coarse_end.isoformat()}'::timestamptz
)
SELECT bucket, (min(ARRAY[date_part('epoch', ts), open]))[2], max(high), min(low), (max(ARRAY[date_part('epoch', ts), close]))[2], sum(volume)
FROM src WHERE bucket >= '{start}'::timestamptz AND bucket < '{end}'::timestamptz
GROUP BY bucket ORDER BY bucket LIMIT 10001;"""


def bars_sql(symbol_id, name, start, end, from_minutes=False):
    """The two statements StoredBarReader runs for GetBars of `SYMBOL` (rollups current): 1h is the 1h rollup as
    stored, 15m the 5m rollup grouped; `from_minutes` gives the statements of the same request grouped from the
    1-minute bars instead (what the server runs while the symbol has noted hours, and what it ran before rollups)."""
    timeframe, seconds = {"bars-1h": ("1h", 3600), "bars-15m": ("15m", 900)}[name]
    if from_minutes:
        read = grouped_sql(symbol_id, "bars", "1m", seconds, start, end)
    elif name == "bars-1h":
        read = f"""SELECT ts, open, high, low, close, volume FROM bar_rollups
WHERE symbol_id = {symbol_id} AND timeframe = '1h' AND ts >= '{start}'::timestamptz AND ts < '{end}'::timestamptz
ORDER BY ts LIMIT 10001;"""
    else:
        read = grouped_sql(symbol_id, "bar_rollups", "5m", seconds, start, end)
    return meta_sql(timeframe).replace("\n", " ") + "\n" + read.replace("\n", " ") + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pulse", default=str(REPO / ".build" / "release" / "pulse"))
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    pulse = pathlib.Path(args.pulse)
    work = pathlib.Path(tempfile.mkdtemp(prefix="pulse-quotes-bench."))
    os.chmod(work, 0o755)
    pg_port, redis_port = free_port(), free_port()
    pg_data = work / "pg"
    url = subprocess.run(["bash", str(REPO / "scripts/postgres.sh"), "start", "--data", str(pg_data), "--port",
                          str(pg_port)], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "start", str(work / "redis"), str(redis_port)], check=True,
                   capture_output=True)
    server = None
    try:
        stubs_dir = work / "stubs"
        compile_protocol(stubs_dir)
        from pulse.v1 import diagnostics_pb2, market_data_pb2, quotes_pb2

        csv = work / "year.csv"
        n = year_of_minutes(csv)
        subprocess.run([str(pulse), "migrate", "--database-url", url], check=True, capture_output=True)
        started = time.monotonic()
        subprocess.run([str(pulse), "import", str(csv), "--symbol", SYMBOL, "--timeframe", "1m", "--database-url", url],
                       check=True, capture_output=True)
        print(f"imported {n} 1-minute bars in {time.monotonic() - started:.1f} s", file=sys.stderr)
        # Settle the fresh tables first (hint bits, visibility map, statistics), or whichever side runs first pays
        # for it: the server's reads run before pgbench's.
        subprocess.run(["psql", url, "-q", "-c", "VACUUM (ANALYZE)"], check=True, capture_output=True)
        tick = market_data_pb2.Tick(symbol="REDQ", sequence=7, time_ms=1_700_000_000_000, price=10.5, size=1)
        subprocess.run(["redis-cli", "-p", str(redis_port), "-x", "SET", "quote:{REDQ}"], input=tick.SerializeToString(),
                       check=True, capture_output=True)
        cores = os.cpu_count() or 1
        loops = ["--loops", "1"] if cores <= 2 else []  # h2load needs the other core
        server = ServeProcess([pulse, "serve", "--port", "0", *loops, "--feed", "simulated", "--symbols", "HUBQ",
                               "--tick-rate", "100", "--redis-url", f"redis://127.0.0.1:{redis_port}"],
                              env={"DATABASE_URL": url})
        time.sleep(2)
        bodies = {
            "echo": framed(diagnostics_pb2.EchoRequest(payload=b"ping")),
            "quote-hub": framed(quotes_pb2.GetQuoteRequest(symbol="HUBQ")),
            "quote-redis": framed(quotes_pb2.GetQuoteRequest(symbol="REDQ")),
            "quote-postgres": framed(quotes_pb2.GetQuoteRequest(symbol=SYMBOL)),
        }
        start, end = "2023-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00"
        start_ms, end_ms = pd.Timestamp(start).value // 10**6, pd.Timestamp(end).value // 10**6
        for name, unit, multiple in (("bars-1h", market_data_pb2.Timeframe.UNIT_HOUR, 1),
                                     ("bars-15m", market_data_pb2.Timeframe.UNIT_MINUTE, 15)):
            bodies[name] = framed(quotes_pb2.GetBarsRequest(
                symbol=SYMBOL, timeframe=market_data_pb2.Timeframe(unit=unit, multiple=multiple),
                start_time_ms=start_ms, end_time_ms=end_ms))
        paths = {"echo": "/pulse.v1.Diagnostics/Echo", "bars-1h": "/pulse.v1.Quotes/GetBars",
                 "bars-15m": "/pulse.v1.Quotes/GetBars"}
        results = {}
        for name, body in bodies.items():
            if name == "bars-1h":
                # GetBars on a server of its own without the feed (its minute writes and backfill would share the
                # one loop and the database with the reads being timed).
                server.terminate()
                server = ServeProcess([pulse, "serve", "--port", "0", *loops, "--feed", "none"],
                                      env={"DATABASE_URL": url, "REDIS_URL": ""})
                time.sleep(1)
            (work / f"{name}.bin").write_bytes(body)
            path = paths.get(name, "/pulse.v1.Quotes/GetQuote")
            shape = (1, 1) if name.startswith("bars") else (4, 32)
            results[name] = h2load(server.address, path, work / f"{name}.bin", args.seconds, *shape,
                                   work / f"{name}.log")
            print(f"{name}: {results[name]['rate']:.0f} req/s", file=sys.stderr)
        symbol_id = subprocess.run(["psql", url, "-At", "-c", f"SELECT id FROM symbols WHERE symbol = '{SYMBOL}'"],
                                   capture_output=True, text=True, check=True).stdout.strip()
        references, from_minutes = {}, {}
        for name in ("bars-1h", "bars-15m"):
            sql = work / f"{name}.sql"
            sql.write_text(bars_sql(symbol_id, name, start, end))
            references[name] = pgbench(url, sql, args.seconds, work)
            sql.write_text(bars_sql(symbol_id, name, start, end, from_minutes=True))
            from_minutes[name] = pgbench(url, sql, args.seconds, work)
        echo = results["echo"]["rate"]
        print(f"\nQuotes benchmark ({time.strftime('%H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}, "
              f"{cores} cores, pulse {' '.join(loops) or 'default loops'}; h2load -c 4 -m 32 -D {args.seconds})")
        print("| call | req/s | vs Echo | p50 ms | p99 ms | failed |")
        print("|---|---:|---:|---:|---:|---:|")
        for name in ("echo", "quote-hub", "quote-redis", "quote-postgres"):
            r = results[name]
            print(f"| {name} | {r['rate']:,.0f} | {r['rate'] / echo:.2f}× | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | "
                  f"{r['failed']} |")
        print(f"\nGetBars, one year of {SYMBOL} ({n:,} stored minutes), one request at a time (h2load -c 1 -m 1) "
              f"beside pgbench -M extended -c 1 running the same two statements:")
        print("| request | bars | read from | pulse p50 ms | pgbench p50 ms | pulse − pgbench | pgbench p50 ms, grouped from minutes |")
        print("|---|---:|---|---:|---:|---:|---:|")
        days = n // 390
        for name, bars, source in (("bars-1h", 7 * days, "1h rollup"), ("bars-15m", 26 * days, "5m rollup, grouped")):
            p, g = results[name]["p50_ms"], references[name]["p50_ms"]
            print(f"| {name} | ~{bars:,} | {source} | {p:.2f} | {g:.2f} | {p - g:+.2f} ms | "
                  f"{from_minutes[name]['p50_ms']:.2f} |")
        print(f"\nreproduce: {' '.join(map(str, [sys.executable, *sys.argv]))}")
        if any(r["failed"] for r in results.values()):
            sys.exit("some requests failed")
    finally:
        if server:
            server.terminate()
        subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "stop", str(work / "redis"), str(redis_port)],
                       capture_output=True)
        subprocess.run(["bash", str(REPO / "scripts/postgres.sh"), "stop", "--data", str(pg_data), "--port",
                        str(pg_port)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
