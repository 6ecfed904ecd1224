"""`pulse analytics` (PulseStore's BarAnalytics: analytical SQL with window functions and CTEs) against pandas and
exchange_calendars over the same bars, imported with `pulse import` into the real PostgreSQL.

Daily bars (a random walk over 2.5 years) for returns, rolling volatility and drawdown; 1-minute bars over November
2024 (extended hours, the DST change on Nov 3, Thanksgiving, the Nov 29 half day, a session left out and minutes
dropped at random) for session VWAP and the holes in the data.
"""
import json
import math

import numpy as np
import pytest

from conftest import require_module, run_pulse
from loading_support import fresh_database

pd = require_module("pandas")
xcals = require_module("exchange_calendars")

NEW_YORK = "America/New_York"


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A database holding ANL (daily bars) and ANLM (minutes); yields (url, daily frame, minute frame)."""
    folder = tmp_path_factory.mktemp("analytics")
    daily = _daily_bars()
    minutes = _minute_bars()
    with fresh_database() as url:
        for symbol, frame, timeframe in [("ANL", daily, "1d"), ("ANLM", minutes, "1m")]:
            path = folder / f"{symbol}.csv"
            _write_csv(path, frame, dates=timeframe == "1d")
            result = run_pulse("import", path, "--symbol", symbol, "--timeframe", timeframe, "--database-url", url)
            assert result.returncode == 0, result.stderr
            assert f"imported {len(frame)} bars for {symbol}" in result.stdout
        yield url, daily, minutes


def _daily_bars(n=650, seed=5):
    rng = np.random.default_rng(seed)
    close = 80 * np.exp(np.cumsum(rng.normal(0, 0.018, n)))
    days = pd.date_range("2022-01-03", periods=n, freq="B", tz="UTC")
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    volume = rng.integers(10_000, 1_000_000, n).astype(float)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=days)


def _minute_bars(seed=9):
    """Extended-hours minutes of the November 2024 sessions but Nov 25, about 2 % of them dropped."""
    rng = np.random.default_rng(seed)
    calendar = xcals.get_calendar("XNYS")
    frames = []
    for session in calendar.sessions_in_range("2024-11-01", "2024-11-29"):
        if session == pd.Timestamp("2024-11-25"):
            continue  # a missing session
        close = calendar.session_close(session).tz_convert(NEW_YORK)
        start = pd.Timestamp(session.date(), tz=NEW_YORK) + pd.Timedelta(hours=4)
        end = close + pd.Timedelta(hours=4)  # 20:00, or 17:00 after a 13:00 close
        frames.append(pd.date_range(start, end, freq="min", inclusive="left").tz_convert("UTC"))
    times = frames[0].append(frames[1:])
    times = times[rng.uniform(0, 1, len(times)) > 0.02]
    times = times.delete(slice(100, 160))  # one long hole, early in the first session (pre-market)
    n = len(times)
    close = 50 + np.cumsum(rng.normal(0, 0.05, n))
    open_ = close + rng.normal(0, 0.02, n)
    high = np.maximum(open_, close) + rng.uniform(0, 0.05, n)
    low = np.minimum(open_, close) - rng.uniform(0, 0.05, n)
    volume = rng.integers(0, 5_000, n).astype(float)
    volume[rng.uniform(0, 1, n) < 0.05] = 0
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=times)


def _write_csv(path, frame, dates):
    rows = ["time,open,high,low,close,volume"]
    for bar in frame.itertuples():
        when = bar.Index.strftime("%Y-%m-%d") if dates else bar.Index.strftime("%Y-%m-%dT%H:%M:%SZ")
        prices = ",".join(repr(float(v)) for v in (bar.open, bar.high, bar.low, bar.close, bar.volume))
        rows.append(f"{when},{prices}")
    path.write_text("\n".join(rows) + "\n")


def _analytics(url, symbol, metric, *args):
    result = run_pulse("analytics", symbol, "--metric", metric, "--format", "json", "--database-url", url, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["rows"]


def _series(rows, column="value"):
    times = pd.to_datetime([row["time"] for row in rows], utc=True)
    values = [math.nan if row[column] is None else row[column] for row in rows]
    return pd.Series(values, index=times, dtype=float)


def _assert_close(actual, expected, rel=1e-9):
    assert list(actual.index) == list(expected.index)
    np.testing.assert_allclose(actual.to_numpy(), expected.to_numpy(), rtol=rel, atol=0, equal_nan=True)


def test_returns_over_a_window_equal_pandas(stored):
    url, daily, _ = stored
    expected = (daily.close / daily.close.shift(21) - 1).dropna()
    _assert_close(_series(_analytics(url, "ANL", "returns", "--window", "21")), expected, rel=1e-12)
    # From a start inside the series the first values still look back 21 bars before it.
    since = _series(_analytics(url, "ANL", "returns", "--window", "5", "--start", "2023-06-01", "--end", "2023-09-01"))
    full = (daily.close / daily.close.shift(5) - 1).dropna()
    _assert_close(since, full["2023-06-01":"2023-08-31"], rel=1e-12)


def test_rolling_volatility_equals_pandas(stored):
    url, daily, _ = stored
    log_returns = np.log(daily.close / daily.close.shift(1))
    expected = (log_returns.rolling(20).std(ddof=1) * math.sqrt(252)).dropna()
    _assert_close(_series(_analytics(url, "ANL", "volatility", "--window", "20")), expected)
    raw = _series(_analytics(url, "ANL", "volatility", "--window", "60", "--periods-per-year", "1", "--start", "2023-01-01"))
    _assert_close(raw, log_returns.rolling(60).std(ddof=1).dropna()["2023-01-01":])


def test_drawdown_equals_pandas(stored):
    url, daily, _ = stored
    rows = _analytics(url, "ANL", "drawdown", "--start", "2022-06-01")
    closes = daily.close["2022-06-01":]
    peak = closes.cummax()
    _assert_close(_series(rows, "drawdown"), closes / peak - 1, rel=1e-15)
    _assert_close(_series(rows, "peak"), peak, rel=0)
    # The deepest point and its peak (the latest close at that high before it).
    deepest = min(range(len(rows)), key=lambda i: rows[i]["drawdown"])
    trough = (closes / peak - 1).idxmin()
    assert pd.Timestamp(rows[deepest]["time"], tz="UTC") == trough
    before = closes[:trough]
    assert pd.Timestamp(rows[deepest]["peak_time"], tz="UTC") == before[before == before.max()].index[-1]


def test_session_vwap_equals_pandas_across_the_dst_change(stored):
    url, _, minutes = stored
    typical = (minutes.high + minutes.low + minutes.close) / 3
    day = minutes.index.tz_convert(NEW_YORK).date
    weighted = (typical * minutes.volume).groupby(day).cumsum()
    volume = minutes.volume.groupby(day).cumsum()
    expected = (weighted / volume.where(volume > 0)).astype(float)
    _assert_close(_series(_analytics(url, "ANLM", "vwap", "--timeframe", "1m")), expected, rel=1e-12)
    # A start mid-session still sums the session's earlier minutes.
    start = pd.Timestamp("2024-11-04 15:07", tz="UTC")
    later = _series(_analytics(url, "ANLM", "vwap", "--timeframe", "1m", "--start", start.isoformat()))
    _assert_close(later, expected[start:], rel=1e-12)


def _expected_holes(minutes, extended):
    calendar = xcals.get_calendar("XNYS")
    stored = set(minutes.index)
    holes = []
    for session in calendar.sessions_in_range("2024-11-01", "2024-11-29"):
        open_, close = calendar.session_open(session), calendar.session_close(session)
        if extended:
            open_ = pd.Timestamp(session.date(), tz=NEW_YORK).tz_convert("UTC") + pd.Timedelta(hours=4)
            close = close + pd.Timedelta(hours=4)
        expected = pd.date_range(open_, close, freq="min", inclusive="left")
        missing = [ts for ts in expected if ts not in stored]
        runs = []
        for ts in missing:
            if runs and ts - runs[-1][1] == pd.Timedelta(minutes=1):
                runs[-1][1] = ts
            else:
                runs.append([ts, ts])
        for first, last in runs:
            count = int((last - first) / pd.Timedelta(minutes=1)) + 1
            holes.append((open_, first, last, count, count == len(expected)))
    return holes


@pytest.mark.parametrize("extended", [False, True])
def test_holes_equal_the_exchange_calendar_minus_the_stored_minutes(stored, extended):
    url, _, minutes = stored
    flags = ["--start", "2024-11-01", "--end", "2024-11-30"] + (["--extended-hours"] if extended else [])
    rows = _analytics(url, "ANLM", "holes", *flags)
    actual = [
        (pd.Timestamp(r["session"]), pd.Timestamp(r["first"]), pd.Timestamp(r["last"]), r["minutes"], r["whole_session"])
        for r in rows
    ]
    expected = _expected_holes(minutes, extended)
    assert len(expected) > 20 and any(hole[4] for hole in expected)  # the data has holes, and a missing session
    assert actual == expected
    # Without a range: the stored minutes' own, the same answer.
    if not extended:
        assert _analytics(url, "ANLM", "holes") == rows


def test_bad_requests_are_clear_errors_that_name_no_host(stored):
    url, _, _ = stored
    cases = [
        (["NOPE", "--metric", "returns"], "no symbol NOPE"),
        (["ANL", "--metric", "returns", "--window", "0"], "window"),
        (["ANL", "--metric", "volatility", "--window", "1"], "window"),
        (["ANL", "--metric", "returns", "--timeframe", "7q"], "--timeframe"),
        (["ANL", "--metric", "sharpe"], "metric"),
        (["ANL", "--metric", "returns", "--start", "yesterday"], "--start"),
    ]
    for args, wanted in cases:
        result = run_pulse("analytics", *args, "--database-url", url)
        assert result.returncode != 0, args
        assert wanted in result.stderr, (args, result.stderr)
        assert "127.0.0.1" not in result.stderr and "postgres@" not in result.stderr
