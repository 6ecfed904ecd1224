"""`pulse gateway` (Hummingbird, the PulseBridge handler) in front of a real `pulse serve` with PostgreSQL: every
REST route read with urllib must carry the values grpcio gets from the server for the same call (bars this test
generated and loaded with LoadSymbol CSV), errors must be `{"error":{"code","message"}}` with grpc-gateway's HTTP
status for the code grpcio sees, times RFC 3339 UTC, CORS on every answer and on the OPTIONS preflight.
"""
import datetime as dt
import json
import selectors
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest

from conftest import pulse_binary, require_module
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


class Gateway:
    """`pulse gateway --port 0 --upstream ADDRESS`, ready once it prints `gateway listening on HOST:PORT`."""

    def __init__(self, upstream):
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([str(pulse_binary()), "gateway", "--port", "0", "--upstream", upstream],
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            if selector.select(timeout=0.2):
                line = self.process.stdout.readline()
                if line.startswith("gateway listening on "):
                    self.address = line.removeprefix("gateway listening on ").strip()
                    return
        self.process.kill()
        self.stderr.seek(0)
        raise RuntimeError(f"pulse gateway did not print its address: {self.stderr.read()[-3000:]}")

    def request(self, method, path, body=None, headers=None):
        request = urllib.request.Request(f"http://{self.address}{path}", data=body, method=method,
                                         headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def get_json(self, path):
        status, headers, body = self.request("GET", path)
        return status, headers, json.loads(body)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)


@pytest.fixture(scope="module")
def stack(stubs):
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
            gateway = Gateway(server.address)
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
        ("DELETE", "/stocks", None, (501, "UNIMPLEMENTED")),
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
