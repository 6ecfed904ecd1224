"""`pulse gateway` (Hummingbird, the PulseBridge handler) in front of a real `pulse serve` with PostgreSQL: every
REST route read with urllib must carry the values grpcio gets from the server for the same call (bars this test
generated and loaded with LoadSymbol CSV), errors must be `{"error":{"code","message"}}` with grpc-gateway's HTTP
status for the code grpcio sees, times RFC 3339 UTC, CORS on every answer and on the OPTIONS preflight.
`/indicators` must equal TA-Lib on the same closes, `POST /backtests` backtesting.py on the same bars, inline and
as a job kept in a real Redis (202, Location, progress, then the result).
"""
import datetime as dt
import json
import math
import subprocess
import time
import warnings

import grpc
import numpy as np
import pytest

from conftest import REPO, free_port, require_module
from gateway_support import Gateway
from loading_support import fresh_database, require_database, serve, stubs  # noqa: F401

pd = require_module("pandas")
require_database()

SYMBOLS = ["GWA", "GWB", "GWC"]
# grpc-gateway's runtime.HTTPStatusFromCode, written out here independently of the Swift table.
HTTP_STATUS = {"OK": 200, "CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504,
               "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429,
               "FAILED_PRECONDITION": 400, "ABORTED": 409, "OUT_OF_RANGE": 400, "UNIMPLEMENTED": 501,
               "INTERNAL": 500, "UNAVAILABLE": 503, "DATA_LOSS": 500, "UNAUTHENTICATED": 401}


def rfc3339(ms):
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def daily_frame(n, seed):
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2023-01-02", periods=n, tz="UTC")
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.01, n))
    high = np.maximum(open_, close) * 1.01
    low = np.minimum(open_, close) * 0.99
    volume = rng.integers(1_000, 1_000_000, n).astype(float)
    return pd.DataFrame({"Open": open_, "High": high, "Low": low, "Close": close, "Volume": volume}, index=days)


@pytest.fixture(scope="module")
def stack(stubs, redis):
    frames = {s: daily_frame(120 + 10 * i, 7 + i) for i, s in enumerate(SYMBOLS)}
    with fresh_database() as database:
        server = serve(database)
        gateway = None
        try:
            channel = grpc.insecure_channel(server.address)
            quotes = stubs.quotes_pb2_grpc.QuotesStub(channel)
            for symbol, frame in frames.items():
                text = frame.to_csv(index_label="Date", date_format="%Y-%m-%d", float_format="%.17g")
                quotes.LoadSymbol(stubs.quotes_pb2.LoadSymbolRequest(
                    symbol=symbol, source=stubs.quotes_pb2.DATA_SOURCE_CSV, csv=text.encode()), timeout=60)
            gateway = Gateway(server.address, "--redis-url", f"redis://127.0.0.1:{redis}")
            yield gateway, quotes, frames
            channel.close()
        finally:
            if gateway:
                gateway.stop()
            server.terminate()


def assert_cors(headers):
    assert headers.get("Access-Control-Allow-Origin") == "*"


def test_health(stack):
    gateway, _, _ = stack
    status, headers, body = gateway.get_json("/health")
    assert (status, body) == (200, {"status": "SERVING"})
    assert_cors(headers)
    assert headers["Content-Type"] == "application/json"


def test_quote_equals_grpc(stack, stubs):
    gateway, quotes, frames = stack
    expected = quotes.GetQuote(stubs.quotes_pb2.GetQuoteRequest(symbol="GWA"), timeout=30)
    status, headers, body = gateway.get_json("/quotes/gwa")
    assert status == 200
    assert_cors(headers)
    assert body["symbol"] == "GWA"
    assert body["price"] == expected.price == pytest.approx(frames["GWA"].Close.iloc[-1], rel=1e-12)
    assert body["timestamp"] == rfc3339(expected.time_ms)
    assert body["volume"] == expected.volume
    assert body["bid"] is None  # a quote from a stored bar has no bid


def test_quotes_many_and_not_found(stack, stubs):
    gateway, quotes, _ = stack
    expected = quotes.GetQuotes(stubs.quotes_pb2.GetQuotesRequest(symbols=["GWA", "GWB", "NOPE"]), timeout=30)
    status, _, body = gateway.get_json("/quotes?symbols=GWA,GWB,NOPE")
    assert status == 200
    assert [q["symbol"] for q in body["quotes"]] == [q.symbol for q in expected.quotes]
    assert [q["price"] for q in body["quotes"]] == [q.price for q in expected.quotes]
    assert body["not_found"] == list(expected.not_found) == ["NOPE"]


def test_bars_equal_grpc_and_pages(stack, stubs):
    gateway, quotes, frames = stack
    day = stubs.market_data_pb2.Timeframe(unit=stubs.market_data_pb2.Timeframe.UNIT_DAY, multiple=1)
    expected = quotes.GetBars(stubs.quotes_pb2.GetBarsRequest(symbol="GWB", timeframe=day, limit=30), timeout=30)
    status, _, body = gateway.get_json("/bars/GWB?timeframe=1d&limit=30")
    assert status == 200
    assert body["symbol"] == "GWB" and body["timeframe"] == "1d"
    assert [b["timestamp"] for b in body["bars"]] == [rfc3339(t) for t in expected.time_ms]
    assert [b["close"] for b in body["bars"]] == list(expected.close)
    assert [b["volume"] for b in body["bars"]] == list(expected.volume)
    # And against the CSV this test made: the last 30 closes.
    assert [b["close"] for b in body["bars"]] == pytest.approx(list(frames["GWB"].Close.iloc[-30:]), rel=1e-12)
    start = rfc3339(expected.time_ms[5])
    status, _, window = gateway.get_json(f"/bars/GWB?timeframe=1d&start={start}&end={expected.time_ms[10]}")
    assert [b["timestamp"] for b in window["bars"]] == [rfc3339(t) for t in expected.time_ms[5:10]]


def test_stocks_equal_list_symbols(stack, stubs):
    gateway, quotes, frames = stack
    expected = quotes.ListSymbols(stubs.quotes_pb2.ListSymbolsRequest(), timeout=30)
    status, _, body = gateway.get_json("/stocks")
    assert status == 200
    assert [s["symbol"] for s in body["stocks"]] == [s.symbol for s in expected.symbols] == SYMBOLS
    assert [s["bars"] for s in body["stocks"]] == [len(frames[s]) for s in SYMBOLS]


def test_prices_are_recent_closes(stack):
    gateway, _, frames = stack
    status, _, body = gateway.get_json("/prices?symbol=GWC&limit=5")
    assert status == 200
    assert [p["price"] for p in body["prices"]] == pytest.approx(list(frames["GWC"].Close.iloc[-5:]), rel=1e-12)
    assert [p["timestamp"] for p in body["prices"]] == [
        t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in frames["GWC"].index[-5:]]


def test_clock_equals_grpc(stack, stubs):
    gateway, quotes, _ = stack
    status, _, body = gateway.get_json("/clock")
    expected = quotes.GetClock(stubs.quotes_pb2.GetClockRequest(), timeout=30)
    assert status == 200
    assert body["is_open"] == expected.is_open
    assert body["next_open"] == rfc3339(expected.next_open_time_ms)
    assert body["next_close"] == rfc3339(expected.next_close_time_ms)


def test_screener_equals_grpc(stack, stubs):
    gateway, quotes, _ = stack
    expected = quotes.Screen(stubs.quotes_pb2.ScreenRequest(
        metric=stubs.quotes_pb2.SCREEN_METRIC_RETURN, window=20, limit=3), timeout=30)
    status, _, body = gateway.get_json("/screener?metric=return&window=20&limit=3")
    assert status == 200
    assert [r["symbol"] for r in body["rows"]] == [r.symbol for r in expected.rows]
    assert [r["value"] for r in body["rows"]] == [r.value for r in expected.rows]


def test_errors_map_from_the_grpc_status(stack, stubs):
    gateway, quotes, _ = stack
    with pytest.raises(grpc.RpcError) as refused:
        quotes.GetQuote(stubs.quotes_pb2.GetQuoteRequest(symbol="NOPE"), timeout=30)
    code = refused.value.code().name
    status, headers, body = gateway.get_json("/quotes/NOPE")
    assert status == HTTP_STATUS[code]
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert_cors(headers)
    for method, path, data, want in [
        ("GET", "/nowhere", None, (404, "NOT_FOUND")),
        ("GET", "/bars/GWA?timeframe=7x", None, (400, "INVALID_ARGUMENT")),
        ("GET", "/quotes", None, (400, "INVALID_ARGUMENT")),
        ("POST", "/load-stock", b"{not json", (400, "INVALID_ARGUMENT")),
        ("DELETE", "/stocks", None, (405, "UNIMPLEMENTED")),
    ]:
        status, headers, raw = gateway.request(method, path, data)
        body = json.loads(raw)
        assert (status, body["error"]["code"]) == want, (method, path)
        assert "127.0.0.1" not in body["error"]["message"]
        assert_cors(headers)


def test_load_stock_tracks_the_symbol(stack, stubs):
    gateway, quotes, _ = stack
    status, headers, raw = gateway.request("POST", "/load-stock", json.dumps({"symbol": "gwl"}).encode(),
                                           {"Content-Type": "application/json"})
    body = json.loads(raw)
    assert status == 200, body
    assert_cors(headers)
    assert body["symbol"] == "GWL"
    listed = {s.symbol: s for s in quotes.ListSymbols(stubs.quotes_pb2.ListSymbolsRequest(), timeout=30).symbols}
    assert "GWL" in listed  # what grpcio sees: the gateway's call reached the server
    if body["job"] is None:
        assert body["bars_loaded"] == listed["GWL"].bar_count
        assert body["last"] == rfc3339(listed["GWL"].last_time_ms)


def test_preflight(stack):
    gateway, _, _ = stack
    status, headers, body = gateway.request(
        "OPTIONS", "/quotes/GWA", headers={"Origin": "http://example.test", "Access-Control-Request-Method": "GET"})
    assert status == 204 and body == b""
    assert_cors(headers)
    assert "GET" in headers["Access-Control-Allow-Methods"]


def test_indicators_equal_talib(stack):
    talib = require_module("talib")
    gateway, _, frames = stack
    status, headers, body = gateway.get_json("/indicators/GWA?timeframe=1d&ind=ema:20,rsi:14,bbands:20,2,2")
    assert status == 200, body
    assert_cors(headers)
    frame = frames["GWA"]
    assert body["timestamps"] == [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in frame.index]
    close = frame.Close.to_numpy()
    upper, middle, lower = talib.BBANDS(close, 20, 2, 2)
    expected = [[talib.EMA(close, 20)], [talib.RSI(close, 14)], [upper, middle, lower]]
    assert [i["function"] for i in body["indicators"]] == ["ema", "rsi", "bbands"]
    assert [i["parameters"] for i in body["indicators"]] == [[20], [14], [20, 2, 2]]
    for indicator, columns in zip(body["indicators"], expected):
        outputs = list(indicator["outputs"].values())
        assert len(outputs) == len(columns)
        for got, want in zip(outputs, columns):
            assert [v is None for v in got] == [math.isnan(w) for w in want]
            assert [v for v in got if v is not None] == pytest.approx([w for w in want if not math.isnan(w)],
                                                                      rel=1e-9)
        assert indicator["lookback"] == sum(v is None for v in outputs[0])
    for path, code in [("/indicators/GWA", "INVALID_ARGUMENT"), ("/indicators/GWA?ind=nosuchfn:3", "INVALID_ARGUMENT"),
                       ("/indicators/NOPE?ind=rsi:14", "NOT_FOUND")]:
        status, _, body = gateway.get_json(path)
        assert (status, body["error"]["code"]) == (HTTP_STATUS[code], code), path


SMA_BACKTEST = {"symbol": "GWB", "timeframe": "1d", "strategy": {"name": "sma-cross", "parameters": {"fast": 5, "slow": 15}},
                "cash": 10_000, "commission": 0.002}


def test_backtest_inline_equals_backtesting_py(stack):
    require_module("backtesting")
    from backtesting import Backtest
    from test_backtest_vs_backtesting_py import Mirror

    gateway, _, frames = stack
    status, headers, raw = gateway.request("POST", "/backtests", json.dumps(SMA_BACKTEST).encode(),
                                           {"Content-Type": "application/json"})
    body = json.loads(raw)
    assert status == 200, body
    assert_cors(headers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Backtest(frames["GWB"], Mirror, cash=10_000, commission=0.002, exclusive_orders=True).run(fast=5, slow=15)
    stats = body["statistics"]
    assert stats["# Trades"] == ref["# Trades"] == len(body["trades"]) > 0
    for name in ("Equity Final [$]", "Return [%]", "Max. Drawdown [%]", "Exposure Time [%]"):
        assert stats[name] == pytest.approx(float(ref[name]), rel=1e-6), name
    assert stats["Start"] == frames["GWB"].index[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [t["entry_bar"] for t in body["trades"]] == list(ref._trades.EntryBar)
    assert len(body["equity"]["equity"]) == len(frames["GWB"])
    assert body["equity"]["equity"][-1] == pytest.approx(stats["Equity Final [$]"], rel=1e-12)
    assert body["parameters"] == {"fast": 5, "slow": 15}


def test_backtest_as_a_job_in_redis(stack, redis):
    gateway, _, _ = stack
    status, headers, raw = gateway.request("POST", "/backtests?async=true", json.dumps(SMA_BACKTEST).encode())
    accepted = json.loads(raw)
    assert status == 202, accepted
    location = headers["Location"]
    assert location == accepted["location"] == f"/backtests/{accepted['id']}"
    # The job is in Redis, read without pulse.
    stored = subprocess.run(["redis-cli", "-p", str(redis), "--raw", "GET", f"pulse:backtest:{accepted['id']}"],
                            capture_output=True, text=True, check=True).stdout
    assert json.loads(stored)["id"] == accepted["id"]
    deadline = time.monotonic() + 120
    while True:
        status, _, job = gateway.get_json(location)
        assert status == 200 and job["state"] in ("running", "succeeded"), job
        assert set(job["progress"]) == {"bars_done", "bars_total", "fraction"}
        if job["state"] == "succeeded" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert job["state"] == "succeeded", job
    _, _, raw = gateway.request("POST", "/backtests", json.dumps(SMA_BACKTEST).encode())
    assert job["result"] == json.loads(raw)
    for path, code in [(f"/backtests/{'0' * 32}", 404), ("/backtests/not-an-id", 404)]:
        status, _, body = gateway.get_json(path)
        assert (status, body["error"]["code"]) == (code, "NOT_FOUND")
    for bad in [b"{not json", b'{"symbol":"GWB"}', b'{"symbol":"GWB","strategy":{"name":"sma-cross"},"bogus":1}',
                b'{"symbol":"GWB","strategy":{"name":"no-such-strategy"}}']:
        status, _, body = gateway.request("POST", "/backtests", bad)
        assert (status, json.loads(body)["error"]["code"]) == (400, "INVALID_ARGUMENT"), bad
