"""Indicators.Compute over stored bars, end to end, beside psycopg + TA-Lib in Python doing the same (issue 11).

Usage: .venv/bin/python Benchmarks/compute/bench.py [--pulse .build/release/pulse] [--bars 50000] [--repeat 15]
       [--page-size N]

Starts its own PostgreSQL (scripts/postgres.sh) on a free port in a temporary folder, imports BARS 1-minute bars of
one symbol with `pulse import`, and starts the release `pulse serve` on it without Redis (so nothing is cached:
every call reads PostgreSQL and computes). Then, one call at a time, the median of REPEAT runs of:
  - Pulse: grpcio's Indicators/Compute for five indicators (sma 20, ema 50, rsi 14, macd 12/26/9, bbands 20/2/2)
    over the whole range, following next_page_token to the end (pages sized to the 4 MiB message limit: 50,000
    bars of these nine outputs), responses decoded;
  - Python: one psycopg (3) query of the same bars on an open connection, fetchall into NumPy arrays, the same five
    TA-Lib (0.8) functions.
Checks that every Pulse value equals TA-Lib's over the same bars (to 1e-9, relative), then prints both medians and
the ratio (target: Pulse at least 3x faster).
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import psycopg
import talib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "Tests" / "interop"))
from conftest import free_port  # noqa: E402
from grpc_peer_server import compile_protocol  # noqa: E402
from serve_process import ServeProcess  # noqa: E402

SYMBOL = "CMPT"
SPECS = [("sma", [20]), ("ema", [50]), ("rsi", [14]), ("macd", [12, 26, 9]), ("bbands", [20, 2, 2])]
START_MS = 1_672_669_800_000  # 2023-01-02T14:30:00Z


def write_minutes(path, count):
    """`count` consecutive 1-minute bars of a seeded random walk."""
    rng = np.random.default_rng(11)
    close = (100 * np.exp(np.cumsum(rng.normal(0, 6e-4, count)))).tolist()
    opened = [close[0]] + close[:-1]
    with open(path, "w") as out:
        out.write("Date,Open,High,Low,Close,Volume\n")
        for i in range(count):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START_MS // 1000 + 60 * i))
            o, c = opened[i], close[i]
            out.write(f"{stamp},{o!r},{max(o, c) * 1.0004!r},{min(o, c) * 0.9996!r},{c!r},"
                      f"{int(rng.integers(100, 10000))}\n")


def talib_outputs(close):
    macd, signal, hist = talib.MACD(close, 12, 26, 9)
    upper, middle, lower = talib.BBANDS(close, 20, 2, 2)
    return {"sma_20": talib.SMA(close, 20), "ema_50": talib.EMA(close, 50), "rsi_14": talib.RSI(close, 14),
            "macd_12_26_9_macd": macd, "macd_12_26_9_macdsignal": signal, "macd_12_26_9_macdhist": hist,
            "bbands_20_2_2_upperband": upper, "bbands_20_2_2_middleband": middle, "bbands_20_2_2_lowerband": lower}


def python_side(connection, end_ms):
    """What a quant writes: the bars over psycopg into NumPy, then TA-Lib."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT b.ts, b.open, b.high, b.low, b.close, b.volume FROM bars b JOIN symbols s ON s.id = b.symbol_id "
            "WHERE s.symbol = %s AND b.timeframe = '1m' AND b.ts >= to_timestamp(%s) AND b.ts < to_timestamp(%s) "
            "ORDER BY b.ts", (SYMBOL, START_MS / 1000, end_ms / 1000))
        rows = cursor.fetchall()
    close = np.array([row[4] for row in rows], dtype=float)
    return len(rows), talib_outputs(close)


def pulse_side(stub, pb, md, end_ms, page_size=0):
    """Every page of one Compute call over the range; the outputs joined by name."""
    request = pb.ComputeIndicatorsRequest(
        symbol=SYMBOL, timeframe=md.Timeframe(unit=md.Timeframe.UNIT_MINUTE, multiple=1), start_time_ms=START_MS,
        end_time_ms=end_ms, page_size=page_size,
        indicators=[pb.IndicatorSpec(function=f, parameters=p) for f, p in SPECS])
    outputs, bars, pages = {}, 0, 0
    while True:
        response = stub.Compute(request, timeout=60)
        pages += 1
        bars += len(response.time_ms)
        for series in response.indicators:
            for output in series.outputs:
                outputs.setdefault(output.name, []).append(output.values)
        if not response.next_page_token:
            break
        request.page_token = response.next_page_token
    return bars, outputs, pages


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulse", default=str(REPO / ".build" / "release" / "pulse"))
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--page-size", type=int, default=0, help="bars per Compute page (0: the server's largest)")
    args = parser.parse_args()
    pulse = pathlib.Path(args.pulse)
    if not pulse.exists():
        sys.exit(f"{pulse} not built (swift build -c release --product pulse)")
    work = pathlib.Path(tempfile.mkdtemp(prefix="pulse-compute-bench."))
    os.chmod(work, 0o755)
    pg_port, pg_data = free_port(), work / "pg"
    url = subprocess.run(["bash", str(REPO / "scripts/postgres.sh"), "start", "--data", str(pg_data), "--port",
                          str(pg_port)], capture_output=True, text=True, check=True).stdout.strip()
    server = None
    try:
        compile_protocol(work / "stubs")
        import grpc
        from pulse.v1 import indicators_pb2 as pb, indicators_pb2_grpc, market_data_pb2 as md

        csv = work / "bars.csv"
        write_minutes(csv, args.bars)
        subprocess.run([str(pulse), "migrate", "--database-url", url], check=True, capture_output=True)
        subprocess.run([str(pulse), "import", str(csv), "--symbol", SYMBOL, "--timeframe", "1m", "--database-url",
                        url], check=True, capture_output=True)
        server = ServeProcess([str(pulse), "serve", "--port", "0", "--auth", "off", "--access-log", "off"],
                              env={"DATABASE_URL": url, "REDIS_URL": "", "ALPHA_VANTAGE_API_KEY": ""})
        end_ms = START_MS + 60_000 * args.bars
        channel = grpc.insecure_channel(server.address,
                                        options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        stub = indicators_pb2_grpc.IndicatorsStub(channel)
        connection = psycopg.connect(url, autocommit=True)

        # The same numbers first: Pulse's every output against TA-Lib over the same bars.
        bars, outputs, pages = pulse_side(stub, pb, md, end_ms, args.page_size)
        rows, reference = python_side(connection, end_ms)
        assert bars == rows == args.bars, (bars, rows, args.bars)
        for name, expected in reference.items():
            got = np.concatenate([np.array(page) for page in outputs[name]])
            both = ~np.isnan(expected)
            assert np.array_equal(np.isnan(got), ~both), f"{name}: NaN positions differ"
            assert np.allclose(got[both], expected[both], rtol=1e-9, atol=1e-9), f"{name}: values differ"

        timings = {"pulse": [], "python": []}
        for _ in range(args.repeat):
            for side, run in (("pulse", lambda: pulse_side(stub, pb, md, end_ms, args.page_size)),
                              ("python", lambda: python_side(connection, end_ms))):
                began = time.perf_counter()
                run()
                timings[side].append((time.perf_counter() - began) * 1000)
        channel.close()
        connection.close()
    finally:
        if server:
            server.terminate()
        subprocess.run(["bash", str(REPO / "scripts/postgres.sh"), "stop", "--data", str(pg_data), "--port",
                        str(pg_port)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    pulse_ms, python_ms = (statistics.median(timings[k]) for k in ("pulse", "python"))
    specs = ", ".join(f"{f} {'/'.join(map(str, p))}" for f, p in SPECS)
    print(f"Compute of {specs} over {args.bars:,} stored "
          f"1-minute bars, one call at a time, median of {args.repeat} "
          f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores); every value equal to TA-Lib's to 1e-9")
    print(f"  Pulse (grpcio, {pages} page{'s' if pages > 1 else ''}, no cache): {pulse_ms:8.1f} ms "
          f"(min {min(timings['pulse']):.1f})")
    print(f"  psycopg fetchall + NumPy + TA-Lib:        {python_ms:8.1f} ms (min {min(timings['python']):.1f})")
    print(f"  Pulse is {python_ms / pulse_ms:.2f}x faster (target 3x)")
    print(f"  reproduce: {' '.join(map(str, [sys.executable, *sys.argv]))}")


if __name__ == "__main__":
    main()
