"""`pulse indicators` and `pulse backtest` refuse bars that cannot be used and sort bars that are out of order.

Refused with exit status 2 and a message naming the line: NaN or infinite prices, high below low, a negative
or missing volume, duplicate times. Newest-first files (Alpha Vantage's order) give the same results as the
same bars oldest first; other disorder is sorted with a warning. Expected results come from TA-Lib and
backtesting.py on the same bars in ascending order, not from pulse.
"""
import csv
import io
import json
import warnings

import numpy as np
import pytest
import talib

from conftest import require_module, run_pulse

require_module("backtesting")
from backtesting import Backtest  # noqa: E402
from backtesting.test import GOOG  # noqa: E402
from test_backtest_vs_backtesting_py import Mirror, assert_same  # noqa: E402

HEADER = "Date,Open,High,Low,Close,Volume"


def _rows(n=40, seed=3):
    rng = np.random.default_rng(seed)
    close = [float(c) for c in 100 + np.cumsum(rng.normal(0, 1, n))]
    rows = []
    for i in range(n):
        o = close[i - 1] if i else close[0]
        hi, lo = max(o, close[i]) + 0.5, min(o, close[i]) - 0.5
        rows.append(f"2024-{1 + i // 28:02d}-{1 + i % 28:02d},{o!r},{hi!r},{lo!r},{close[i]!r},{1000 + i}")
    return rows


def _text(rows):
    return "\n".join([HEADER, *rows]) + "\n"


def _with_row(index, row):
    rows = _rows()
    rows[index] = rows[index].split(",")[0] + "," + row
    return _text(rows)


BAD = [
    ("nan-close", _with_row(7, "1,2,0.5,nan,10"), 9, "close is missing or NaN"),
    ("empty-open", _with_row(3, ",2,0.5,1,10"), 5, "open is missing or NaN"),
    ("inf-high", _with_row(12, "1,inf,0.5,1,10"), 14, "high is infinite"),
    ("high-below-low", _with_row(20, "1,0.5,2,1,10"), 22, "high 0.5 is below low 2.0"),
    ("negative-volume", _with_row(5, "1,2,0.5,1,-3"), 7, "volume is negative"),
]


def _duplicate():
    rows = _rows()
    rows[10] = rows[9].split(",")[0] + "," + ",".join(rows[10].split(",")[1:])
    return _text(rows)


BAD.append(("duplicate-time", _duplicate(), 12, "duplicate time"))


@pytest.mark.parametrize("command", [["indicators", "--indicator", "rsi:14"], ["backtest", "--strategy", "sma-cross"]])
@pytest.mark.parametrize("name,text,line,problem", BAD, ids=[b[0] for b in BAD])
def test_unusable_bars_are_refused_with_their_line(command, name, text, line, problem):
    proc = run_pulse(command[0], "--input", "-", *command[1:], input_text=text)
    assert proc.returncode == 2, proc.stdout
    assert proc.stdout == ""
    assert f"line {line}: {problem}" in proc.stderr


def _indicator_rows(text, *extra):
    proc = run_pulse("indicators", "--input", "-", "--indicator", "rsi:5", "--indicator", "sma:3", *extra,
                     input_text=text)
    assert proc.returncode == 0, proc.stderr
    return proc, list(csv.reader(io.StringIO(proc.stdout)))


def test_newest_first_file_is_read_oldest_first_without_warning():
    rows = _rows()
    proc, out = _indicator_rows(_text(list(reversed(rows))))
    assert proc.stderr == ""
    assert [r[0] for r in out[1:]] == [r.split(",")[0] for r in rows]
    closes = np.array([float(r.split(",")[4]) for r in rows])
    expected = talib.RSI(closes, 5)
    got = np.array([float(v) if v else np.nan for v in (r[1] for r in out[1:])])
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.allclose(got[~np.isnan(got)], expected[~np.isnan(expected)], rtol=1e-12, atol=0)


def test_shuffled_file_is_sorted_with_a_warning():
    rows = _rows()
    shuffled = rows[:]
    shuffled[4], shuffled[9] = shuffled[9], shuffled[4]
    proc, out = _indicator_rows(_text(shuffled))
    assert "warning" in proc.stderr and "not in time order" in proc.stderr and "line 7" in proc.stderr
    assert [r[0] for r in out[1:]] == [r.split(",")[0] for r in rows]
    _, in_order = _indicator_rows(_text(rows))
    assert out == in_order


def test_newest_first_backtest_matches_backtesting_py_on_the_sorted_bars(tmp_path):
    path = tmp_path / "GOOG-newest-first.csv"
    GOOG.iloc[::-1].to_csv(path)
    proc = run_pulse("backtest", "--input", path, "--format", "json", "--strategy", "sma-cross",
                     "--param", "fast=10", "--param", "slow=20", "--cash", "10000", "--commission", "0.002")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Backtest(GOOG, Mirror, cash=10_000, commission=0.002, exclusive_orders=True).run(fast=10, slow=20)
    assert_same(ref, out)
    assert out["stats"]["Duration"] > 0
    assert out["stats"]["Start"] < out["stats"]["End"]
