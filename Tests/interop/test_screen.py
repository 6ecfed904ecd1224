"""`pulse.v1.Quotes/Screen` over grpcio against a real server and PostgreSQL: for bars this test generates and
loads (LoadSymbol with CSV), every metric, filter, sort and limit must equal pandas computing the same over the
same bars (return over the window, volume against the rolling mean before the last bar, annualised realised
volatility, new window highs), as of the latest bar and as of an earlier end time.
"""
import math
import random

import grpc
import numpy as np
import pytest

from conftest import require_module
from loading_support import fresh_database, require_database, serve, stubs  # noqa: F401

pd = require_module("pandas")
require_database()

SYMBOLS = [f"S{i:02d}" for i in range(24)]
SHORT = "SHRT"  # fewer bars than the window: never listed


def daily_frame(symbol, n, seed):
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2022-01-03", periods=n, tz="UTC")
    close = 20 + 200 * rng.random() * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.01, n))
    high = np.maximum(open_, close) * (1 + rng.random(n) * 0.02)
    low = np.minimum(open_, close) * (1 - rng.random(n) * 0.02)
    volume = rng.integers(1_000, 2_000_000, n).astype(float)
    if seed % 5 == 0:
        volume[-1] *= 8  # a few spikes
        high[-1] = high.max() * 1.01  # and new highs
    return pd.DataFrame({"Open": open_, "High": high, "Low": low, "Close": close, "Volume": volume}, index=days)


@pytest.fixture(scope="module")
def loaded(stubs):
    frames = {s: daily_frame(s, 260 + 7 * i, 100 + i) for i, s in enumerate(SYMBOLS)}
    frames[SHORT] = daily_frame(SHORT, 10, 99)
    with fresh_database() as database:
        process = serve(database)
        try:
            channel = grpc.insecure_channel(process.address)
            stub = stubs.quotes_pb2_grpc.QuotesStub(channel)
            for symbol, frame in frames.items():
                text = frame.to_csv(index_label="Date", date_format="%Y-%m-%d", float_format="%.17g")
                response = stub.LoadSymbol(stubs.quotes_pb2.LoadSymbolRequest(
                    symbol=symbol, source=stubs.quotes_pb2.DATA_SOURCE_CSV, csv=text.encode()), timeout=60)
                assert response.bars_loaded == len(frame)
            yield stub, frames
            channel.close()
        finally:
            process.terminate()


def reference(frames, metric, window, end=None, symbols=None):
    """{symbol: row} computed with pandas over the same bars."""
    rows = {}
    for symbol, frame in frames.items():
        if symbols and symbol not in symbols:
            continue
        if end is not None:
            frame = frame[frame.index < end]
        last = frame.iloc[-(window + 1):]
        if len(last) < window + 1:
            continue
        prior = last.iloc[:-1]
        log_returns = np.log(last.Close / last.Close.shift(1)).dropna()
        row = {
            "return": last.Close.iloc[-1] / last.Close.iloc[0] - 1,
            "volume_spike": last.Volume.iloc[-1] / prior.Volume.mean(),
            "volatility": log_returns.std(ddof=1) * math.sqrt(252),
            "new_high": last.High.iloc[-1] / prior.High.max() - 1,
            "average_volume": prior.Volume.mean(), "prior_high": prior.High.max(), "close": last.Close.iloc[-1],
            "time_ms": int(last.index[-1].timestamp() * 1000),
        }
        rows[symbol] = row
    return rows


METRICS = {"return": 1, "volume_spike": 2, "volatility": 3, "new_high": 4}


def check(response, want, metric, limit, ascending=False):
    if ascending:
        ordered = sorted(want.items(), key=lambda kv: (kv[1][metric], kv[0]))
    else:
        ordered = sorted(want.items(), key=lambda kv: (-kv[1][metric], kv[0]))
    expected = ordered[:limit]
    assert expected, "nothing to compare"
    assert [r.symbol for r in response.rows] == [s for s, _ in expected]
    for row, (symbol, values) in zip(response.rows, expected):
        assert row.value == pytest.approx(values[metric], rel=1e-9, abs=1e-12), (symbol, metric)
        assert row.window_return == pytest.approx(values["return"], rel=1e-9, abs=1e-12)
        assert row.volatility == pytest.approx(values["volatility"], rel=1e-9)
        assert row.average_volume == pytest.approx(values["average_volume"], rel=1e-12)
        assert row.prior_high == values["prior_high"] and row.close == values["close"]
        assert row.time_ms == values["time_ms"]


@pytest.mark.parametrize("metric", list(METRICS))
@pytest.mark.parametrize("window", [5, 20, 63])
def test_each_metric_equals_pandas(stubs, loaded, metric, window):
    stub, frames = loaded
    response = stub.Screen(stubs.quotes_pb2.ScreenRequest(metric=METRICS[metric], window=window, limit=10), timeout=60)
    assert response.window == window and response.metric == METRICS[metric]
    check(response, reference(frames, metric, window), metric, 10)


def test_ascending_filters_universe_and_end_time(stubs, loaded):
    stub, frames = loaded
    end = pd.Timestamp("2022-09-01", tz="UTC")
    universe = SYMBOLS[::2] + [SHORT]
    response = stub.Screen(stubs.quotes_pb2.ScreenRequest(
        metric=1, window=20, limit=100, ascending=True, symbols=[s.lower() for s in universe],
        end_time_ms=int(end.timestamp() * 1000), min_value=-0.2, max_value=0.15, min_price=30,
        min_average_volume=900_000), timeout=60)
    want = {s: r for s, r in reference(frames, "return", 20, end=end, symbols=universe).items()
            if -0.2 <= r["return"] <= 0.15 and r["close"] >= 30 and r["average_volume"] >= 900_000}
    assert want, "the filters leave something to compare"
    check(response, want, "return", 100, ascending=True)


def test_new_highs_with_min_value_zero(stubs, loaded):
    stub, frames = loaded
    response = stub.Screen(stubs.quotes_pb2.ScreenRequest(metric=4, window=50, limit=0, min_value=0), timeout=60)
    want = {s: r for s, r in reference(frames, "new_high", 50).items() if r["new_high"] >= 0}
    assert len(want) >= 3
    check(response, want, "new_high", 50)


@pytest.mark.parametrize("fields, fragment", [
    ({"window": 10_001}, "window"),
    ({"limit": 10_001}, "limit"),
    ({"symbols": ["BAD SYMBOL"]}, "symbols[0]"),
    ({"metric": 9}, "ScreenMetric"),
    ({"timeframe": {"unit": 1, "multiple": 1}}, "timeframe"),
    ({"min_value": float("nan")}, "NaN"),
])
def test_bad_screens_are_invalid_argument(stubs, loaded, fields, fragment):
    stub, _ = loaded
    if "timeframe" in fields:
        fields = {"timeframe": stubs.market_data_pb2.Timeframe(**fields["timeframe"])}
    with pytest.raises(grpc.RpcError) as caught:
        stub.Screen(stubs.quotes_pb2.ScreenRequest(**fields), timeout=30)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and fragment in caught.value.details()
