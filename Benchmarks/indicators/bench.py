#!/usr/bin/env python3
"""Times PulseTrader's batch indicators against TA-Lib on the same data, in the same run.

For each size (default 1,000,000 and 10,000,000 points) it writes a seeded random-walk OHLCV series as raw
float64 columns, times each TA-Lib function (best of --repeat) and runs the release `pulse` binary's hidden
`indicators --bench` mode over the same files (best of --repeat, computed in-process, excluding file reading),
then prints one table row per function (all times are the thread's CPU time, so other load on the machine
barely matters): milliseconds for both, the ratio TA-Lib / PulseTrader
(> 1 means PulseTrader is faster), and PulseTrader's streaming cost per bar (an `IndicatorInstance` fed the
first million bars one at a time).

    Benchmarks/indicators/run.sh                 # builds pulse in release, then runs this
    python3 bench.py --pulse .build/release/pulse --sizes 1000000 --repeat 5
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import talib

# (spec as given to pulse, TA-Lib call over a dict of arrays)
CASES = [
    ("sma:30", lambda d: talib.SMA(d["close"], 30)),
    ("ema:30", lambda d: talib.EMA(d["close"], 30)),
    ("wma:30", lambda d: talib.WMA(d["close"], 30)),
    ("dema:30", lambda d: talib.DEMA(d["close"], 30)),
    ("tema:30", lambda d: talib.TEMA(d["close"], 30)),
    ("trima:30", lambda d: talib.TRIMA(d["close"], 30)),
    ("kama:30", lambda d: talib.KAMA(d["close"], 30)),
    ("t3:5,0.7", lambda d: talib.T3(d["close"], 5, 0.7)),
    ("ma:30,0", lambda d: talib.MA(d["close"], 30, 0)),
    ("bbands:20,2,2", lambda d: talib.BBANDS(d["close"], 20, 2, 2)),
    ("midpoint:14", lambda d: talib.MIDPOINT(d["close"], 14)),
    ("var:5", lambda d: talib.VAR(d["close"], 5)),
    ("stddev:5", lambda d: talib.STDDEV(d["close"], 5)),
    ("linearreg:14", lambda d: talib.LINEARREG(d["close"], 14)),
    ("linearreg_slope:14", lambda d: talib.LINEARREG_SLOPE(d["close"], 14)),
    ("rsi:14", lambda d: talib.RSI(d["close"], 14)),
    ("cmo:14", lambda d: talib.CMO(d["close"], 14)),
    ("mom:10", lambda d: talib.MOM(d["close"], 10)),
    ("roc:10", lambda d: talib.ROC(d["close"], 10)),
    ("rocp:10", lambda d: talib.ROCP(d["close"], 10)),
    ("macd:12,26,9", lambda d: talib.MACD(d["close"], 12, 26, 9)),
    ("macdext:12,1,26,1,9,1", lambda d: talib.MACDEXT(d["close"], 12, 1, 26, 1, 9, 1)),
    ("apo:12,26,1", lambda d: talib.APO(d["close"], 12, 26, 1)),
    ("ppo:12,26,1", lambda d: talib.PPO(d["close"], 12, 26, 1)),
    ("trix:30", lambda d: talib.TRIX(d["close"], 30)),
    ("stochrsi:14,5,3,0", lambda d: talib.STOCHRSI(d["close"], 14, 5, 3, 0)),
    # OHLC(V) functions (ind-b's), at TA-Lib's defaults.
    ("stoch", lambda d: talib.STOCH(d["high"], d["low"], d["close"])),
    ("stochf", lambda d: talib.STOCHF(d["high"], d["low"], d["close"])),
    ("willr", lambda d: talib.WILLR(d["high"], d["low"], d["close"])),
    ("cci", lambda d: talib.CCI(d["high"], d["low"], d["close"])),
    ("mfi", lambda d: talib.MFI(d["high"], d["low"], d["close"], d["volume"])),
    ("ultosc", lambda d: talib.ULTOSC(d["high"], d["low"], d["close"])),
    ("bop", lambda d: talib.BOP(d["open"], d["high"], d["low"], d["close"])),
    ("aroon", lambda d: talib.AROON(d["high"], d["low"])),
    ("aroonosc", lambda d: talib.AROONOSC(d["high"], d["low"])),
    ("atr", lambda d: talib.ATR(d["high"], d["low"], d["close"])),
    ("natr", lambda d: talib.NATR(d["high"], d["low"], d["close"])),
    ("trange", lambda d: talib.TRANGE(d["high"], d["low"], d["close"])),
    ("adx", lambda d: talib.ADX(d["high"], d["low"], d["close"])),
    ("adxr", lambda d: talib.ADXR(d["high"], d["low"], d["close"])),
    ("plus_di", lambda d: talib.PLUS_DI(d["high"], d["low"], d["close"])),
    ("minus_di", lambda d: talib.MINUS_DI(d["high"], d["low"], d["close"])),
    ("plus_dm", lambda d: talib.PLUS_DM(d["high"], d["low"])),
    ("minus_dm", lambda d: talib.MINUS_DM(d["high"], d["low"])),
    ("sar", lambda d: talib.SAR(d["high"], d["low"])),
    ("obv", lambda d: talib.OBV(d["close"], d["volume"])),
    ("ad", lambda d: talib.AD(d["high"], d["low"], d["close"], d["volume"])),
    ("adosc", lambda d: talib.ADOSC(d["high"], d["low"], d["close"], d["volume"])),
    ("midprice", lambda d: talib.MIDPRICE(d["high"], d["low"])),
]


def series(n, seed=42):
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    close = np.abs(close) + 1
    spread = np.abs(rng.normal(0, 0.5, n))
    open_ = np.concatenate([[close[0]], close[:-1]])
    return {
        "open": open_,
        "high": np.maximum(open_, close) + spread,
        "low": np.minimum(open_, close) - spread,
        "close": close,
        "volume": np.floor(rng.uniform(100, 10_000, n)),
    }


def best_ms(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.thread_time_ns()
        fn()
        best = min(best, time.thread_time_ns() - t0)
    return best / 1e6


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser()
    parser.add_argument("--pulse", default=str(root / ".build" / "release" / "pulse"))
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated spec prefixes to run")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.only or any(c[0].startswith(p) for p in args.only.split(","))]
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        d = series(n)
        with tempfile.TemporaryDirectory() as tmp:
            for name, values in d.items():
                values.astype("<f8").tofile(os.path.join(tmp, name + ".f64"))
            command = [args.pulse, "indicators", "--bench", tmp, "--bench-repeat", str(args.repeat)]
            for spec, _ in cases:
                command += ["--indicator", spec]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        fields = [line.split("\t") for line in out.splitlines() if line]
        ours = {f[0]: (float(f[1]), float(f[2])) for f in fields}
        for spec, fn in cases:
            theirs = best_ms(lambda: fn(d), args.repeat)
            rows.append((spec, n, theirs, *ours[spec]))
    print(
        f"{'function':24} {'points':>10} {'TA-Lib ms':>10} {'Pulse ms':>10} {'TA-Lib/Pulse':>13} {'stream ns/bar':>14}"
    )
    for spec, n, theirs, ours, stream in rows:
        print(f"{spec:24} {n:>10} {theirs:>10.2f} {ours:>10.2f} {theirs / ours:>12.2f}x {stream:>14.1f}")
    print(f"\nbest of {args.repeat}, thread CPU time; load average {os.getloadavg()[0]:.1f}; reproduce: {' '.join(sys.argv)}")


if __name__ == "__main__":
    main()
