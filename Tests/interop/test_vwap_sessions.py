"""`pulse indicators --indicator vwap` against pandas: the session VWAP restarts at each New York calendar day.

pandas converts the bar times with the IANA time-zone database (America/New_York), so this also checks PulseTrader's
own daylight-saving rules across the March and November changes.
"""
import csv
import io
import math

import numpy as np
import pandas as pd

from conftest import run_pulse


def _bars():
    rng = np.random.default_rng(21)
    # 15-minute bars from 2024-03-08 to 2024-03-13 and 2024-11-01 to 2024-11-06 (both DST changes).
    times = np.concatenate(
        [
            np.arange(1_709_856_000, 1_710_288_000, 900),
            np.arange(1_730_419_200, 1_730_851_200, 900),
        ]
    )
    close = 100 + np.cumsum(rng.normal(0, 0.3, times.size))
    high = close + np.abs(rng.normal(0, 0.2, times.size))
    low = close - np.abs(rng.normal(0, 0.2, times.size))
    volume = np.floor(rng.uniform(0, 5_000, times.size))
    volume[5:9] = 0  # a session start without volume stays empty
    return times, close, high, low, volume


def test_vwap_matches_pandas_session_groups():
    times, close, high, low, volume = _bars()
    lines = ["timestamp,open,high,low,close,volume"]
    for i in range(times.size):
        o, h, l, c, v = (float(x[i]) for x in (close, high, low, close, volume))
        lines.append(f"{int(times[i])},{o!r},{h!r},{l!r},{c!r},{v!r}")
    proc = run_pulse("indicators", "--input", "-", "--indicator", "vwap", input_text="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["timestamp", "vwap"]
    ours = np.array([float(r[1]) if r[1] != "" else math.nan for r in rows[1:]])

    frame = pd.DataFrame({"typical": (high + low + close) / 3, "volume": volume})
    session = pd.to_datetime(times, unit="s", utc=True).tz_convert("America/New_York").date
    frame["pv"] = frame["typical"] * frame["volume"]
    grouped = frame.groupby(session)
    expected = (grouped["pv"].cumsum() / grouped["volume"].cumsum()).to_numpy(copy=True)
    expected[grouped["volume"].cumsum().to_numpy() == 0] = math.nan

    assert np.array_equal(np.isnan(ours), np.isnan(expected))
    valid = ~np.isnan(expected)
    assert valid.sum() > 900
    assert np.max(np.abs(ours[valid] - expected[valid]) / np.abs(expected[valid])) < 1e-12
    # The sessions really restart: the first bar of each New York day with volume equals its typical price.
    starts = np.flatnonzero(np.r_[True, session[1:] != session[:-1]] & (volume > 0))
    assert len(starts) >= 10
    assert np.allclose(ours[starts], frame["typical"].to_numpy()[starts], rtol=1e-15)
