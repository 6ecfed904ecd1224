"""Backtest benchmarks: `pulse backtest` beside backtesting.py on the same data, in the same run.

1. SMA-cross 10/20 over 1,000,000 one-minute bars (seeded random walk written to CSV).
2. A 10x10 optimisation grid of SMA-cross on backtesting.py's GOOG daily data, maximising the Sharpe ratio.

Pulse times are the engine only (indicators, signals, simulation, statistics; best of N runs in one process),
with the CSV parse time printed separately. backtesting.py times are one `run()` / `optimize()` call.

Usage (from the repository root, after `swift build -c release --product pulse`):
    .venv/bin/python Benchmarks/backtest/bench.py [--pulse .build/release/pulse] [--repeats 7] [--skip-python]
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd

from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import GOOG, SMA

ROOT = pathlib.Path(__file__).resolve().parents[2]


class SmaCross(Strategy):
    """backtesting.py's SmaCross example (module level so optimize() can pickle it to its workers)."""
    fast = 10
    slow = 20

    def init(self):
        self.a = self.I(SMA, self.data.Close, self.fast)
        self.b = self.I(SMA, self.data.Close, self.slow)

    def next(self):
        if crossover(self.a, self.b):
            self.position.close()
            self.buy()
        elif crossover(self.b, self.a):
            self.position.close()
            self.sell()


def random_walk_csv(path, bars=1_000_000, seed=42):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.0008, bars)))
    open_ = np.r_[close[0], close[:-1]]
    spread = np.abs(rng.normal(0, 0.0004, bars))
    high = np.maximum(open_, close) * (1 + spread)
    low = np.minimum(open_, close) * (1 - spread)
    volume = rng.integers(100, 10_000, bars)
    index = pd.date_range("2020-01-01", periods=bars, freq="min")
    df = pd.DataFrame({"Open": open_, "High": high, "Low": low, "Close": close, "Volume": volume}, index=index)
    df.index.name = "Date"
    df.to_csv(path, float_format="%.6f")
    return pd.read_csv(path, index_col=0, parse_dates=True)


def pulse_bench(pulse, csv, repeats, *flags):
    out = subprocess.run([str(pulse), "backtest", "--input", str(csv), "--bench", str(repeats), *flags],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pulse", default=str(ROOT / ".build" / "release" / "pulse"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-python", action="store_true", help="time pulse only")
    args = parser.parse_args()

    warnings.simplefilter("ignore")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="pulse-bench-"))
    minute_csv = tmp / "walk_1m.csv"
    goog_csv = tmp / "GOOG.csv"
    minute = random_walk_csv(minute_csv)
    GOOG.to_csv(goog_csv)
    print(f"data: {len(minute):,} one-minute bars (seed 42) in {minute_csv}; GOOG {len(GOOG)} daily bars")

    # 1. SMA-cross over 1M bars.
    p1 = pulse_bench(args.pulse, minute_csv, args.repeats, "--cash", "1000000", "--commission", "0.0002")
    print(f"\n1) SMA-cross 10/20, 1,000,000 bars")
    print(f"   pulse engine: best {p1['engine_best_ms']:.1f} ms, median {p1['engine_median_ms']:.1f} ms "
          f"(CPU {p1['engine_cpu_best_ms']:.1f} ms; CSV parse {p1['parse_ms']:.0f} ms, not included); target < 30 ms")
    if not args.skip_python:
        start = time.perf_counter()
        stats = Backtest(minute, SmaCross, cash=1_000_000, commission=0.0002, exclusive_orders=True).run()
        py1 = time.perf_counter() - start
        print(f"   backtesting.py: {py1 * 1000:.0f} ms  -> pulse is {py1 * 1000 / p1['engine_best_ms']:.0f}x faster")
        print(f"   equity final: pulse {p1['check']:.2f}, backtesting.py {stats['Equity Final [$]']:.2f}")

    # 2. 10x10 grid on GOOG.
    grid = ["--optimize", "fast=5:50:5", "--optimize", "slow=55:100:5", "--maximize", "sharpe"]
    p2 = pulse_bench(args.pulse, goog_csv, args.repeats, "--cash", "10000", "--commission", "0.002", *grid)
    print(f"\n2) Optimise SMA-cross fast 5..50 x slow 55..100 (100 runs) on GOOG, maximise Sharpe")
    print(f"   pulse engine (2 workers): best {p2['engine_best_ms']:.2f} ms, median {p2['engine_median_ms']:.2f} ms "
          f"(CPU of both workers {p2['engine_cpu_best_ms']:.2f} ms; CSV parse {p2['parse_ms']:.2f} ms); "
          f"target < 10 ms")
    if not args.skip_python:
        bt = Backtest(GOOG, SmaCross, cash=10_000, commission=0.002, exclusive_orders=True)
        start = time.perf_counter()
        best = bt.optimize(fast=range(5, 55, 5), slow=range(55, 105, 5), maximize="Sharpe Ratio")
        py2 = time.perf_counter() - start
        print(f"   backtesting.py: {py2 * 1000:.0f} ms  -> pulse is {py2 * 1000 / p2['engine_best_ms']:.0f}x faster")
        print(f"   best Sharpe: pulse {p2['check']:.6f}, backtesting.py {best['Sharpe Ratio']:.6f}")
    print(f"\nload average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          f"(wall times grow with it; CPU times much less)")
    print(f"\nreproduce: .venv/bin/python Benchmarks/backtest/bench.py --pulse {args.pulse}")


if __name__ == "__main__":
    sys.exit(main())
