"""The Python client (clients/python, installed into .venv by scripts/install-deps.sh) against a real `pulse serve`
with the test PostgreSQL: load and screen (checked against pandas), indicators over inline bars (TA-Lib),
backtests (backtesting.py), an Alpha Vantage backfill through the fake, and `subscribe`'s reconnect-and-resume logic
against a grpcio server of the test's own that drops the stream, replays with an overlap, skips ticks and reports a
gap.

Tests that need methods another branch serves are marked `pending(...)`; the merger empties PENDING once GetBars,
GetQuote, stored bars for Indicators/Backtests and Subscribe are served, and from then on they run (never skip).
"""
import pathlib
import threading
import time
import warnings
from concurrent import futures

import grpc
import numpy as np
import pytest

from conftest import REPO, require_module, skip_or_fail
from loading_support import fake_av, fresh_database, require_database, serve  # noqa: F401

pd = require_module("pandas")
talib = require_module("talib")
require_module("backtesting")
from backtesting import Backtest  # noqa: E402
from backtesting.test import GOOG  # noqa: E402
from test_backtest_vs_backtesting_py import Mirror  # noqa: E402

pulsetrader = require_module("pulsetrader")
require_database()

# Methods another branch serves (none left: every method the client calls is served here).
PENDING = set()


def pending(*methods):
    waiting = sorted(set(methods) & PENDING)
    return pytest.mark.skipif(bool(waiting), reason=f"needs {', '.join(waiting)} (served on another branch)")


def test_the_installed_client_is_this_checkout():
    where = pathlib.Path(pulsetrader.__file__).resolve()
    if REPO / "clients" / "python" not in where.parents:
        skip_or_fail(f"pulsetrader is imported from {where}, not this checkout: run scripts/install-deps.sh --python")


@pytest.fixture(scope="module")
def database():
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def server(database):
    process = serve(database)
    yield process
    process.terminate()


@pytest.fixture(scope="module")
def client(server):
    with pulsetrader.Client(server.address) as c:
        yield c


def frame(n=120, seed=5, start="2023-01-02"):
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(start, periods=n, tz="UTC", name="time")
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.005, n))
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.01,
                         "low": np.minimum(open_, close) * 0.99, "close": close,
                         "volume": rng.integers(1000, 100_000, n).astype(float)}, index=index)


def test_load_and_screen_return_pandas(client):
    frames = {f"PY{i}": frame(seed=i) for i in range(6)}
    for symbol, bars in frames.items():
        loaded = client.load(symbol, csv=bars)
        assert isinstance(loaded, pulsetrader.LoadResult)
        assert loaded.source == "csv" and loaded.bars_loaded == len(bars) and loaded.job is None
        assert loaded.first == bars.index[0] and loaded.last == bars.index[-1]
    assert client.load("PY0", csv=frames["PY0"]).bars_loaded == 0
    screened = client.screen("return", window=30, symbols=list(frames), limit=4)
    want = sorted(((b.close.iloc[-1] / b.close.iloc[-31] - 1, s) for s, b in frames.items()), reverse=True)[:4]
    assert list(screened.symbol) == [s for _, s in want]
    np.testing.assert_allclose(screened.value, [v for v, _ in want], rtol=1e-12)
    assert isinstance(screened.index, pd.DatetimeIndex) and screened.index.name == "time"
    assert (screened.index == frames["PY0"].index[-1]).all()
    with pytest.raises(pulsetrader.PulseError) as caught:
        client.load("BAD SYMBOL", "simulated")
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT and "is not a symbol" in caught.value.details


def test_indicators_over_inline_bars_equal_talib(client):
    bars = frame(n=300, seed=9)
    result = client.indicators(["rsi:14", "bbands:20,2,2", ("ema", [30])], bars=bars)
    assert list(result.index) == list(bars.index)
    np.testing.assert_array_equal(result["rsi_14"], talib.RSI(bars.close.to_numpy(), 14))
    upper, middle, lower = talib.BBANDS(bars.close.to_numpy(), 20, 2, 2)
    np.testing.assert_array_equal(result["bbands_20_2_2_upperband"], upper)
    np.testing.assert_array_equal(result["ema_30"], talib.EMA(bars.close.to_numpy(), 30))


def test_backtest_over_inline_bars_equals_backtesting_py(client):
    goog = GOOG.rename(columns=str.lower)
    goog.index = goog.index.tz_localize("UTC")
    result = client.backtest(bars=goog, strategy="sma-cross", parameters={"fast": 10, "slow": 20}, cash=10_000,
                             commission=0.002)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Backtest(GOOG, Mirror, cash=10_000, commission=0.002, exclusive_orders=True).run(fast=10, slow=20)
    assert result.statistics["# Trades"] == ref["# Trades"] == 93
    assert result.statistics["Return [%]"] == pytest.approx(ref["Return [%]"], rel=1e-9)
    assert result.statistics["Start"] == ref["Start"].tz_localize("UTC")
    assert result.statistics["Max. Drawdown Duration"] == ref["Max. Drawdown Duration"]
    assert len(result.trades) == 93 and result.parameters == {"fast": 10.0, "slow": 20.0}
    equity = ref["_equity_curve"].Equity
    np.testing.assert_allclose(result.equity.equity.to_numpy(), equity.to_numpy(), rtol=1e-9)
    assert list(result.equity.index) == list(equity.index.tz_localize("UTC"))


def test_an_alpha_vantage_load_waits_for_its_backfill(fake_av):
    with fresh_database() as url:
        process = serve(url, env={"ALPHA_VANTAGE_API_KEY": "python-key", "ALPHA_VANTAGE_BASE_URL": fake_av.base_url})
        try:
            with pulsetrader.Client(process.address) as c:
                loaded = c.load("SPLT", "alphavantage", wait=True, poll=0.2, wait_timeout=120)
                assert loaded.source == "alphavantage"
                assert loaded.job["state"] == "completed" and loaded.job["units_done"] == 1
                assert loaded.job["bars_stored"] > 240
        finally:
            process.terminate()


# --- subscribe: reconnects and resumes (against a grpcio server of the test's own) -----------------------------

class ScriptedQuotes:
    """Quotes.Subscribe serving a script: call 1 sends AAPL 1..5 and MSFT 1..2 then fails UNAVAILABLE; call 2
    replays AAPL from 4 (an overlap), jumps from 8 to 10 (a hole nobody announces), sends a SequenceGap for MSFT,
    then ends."""

    def __init__(self, pb):
        self.pb = pb
        self.requests = []
        self.lock = threading.Lock()

    def tick(self, symbol, sequence, conflated=0):
        return self.pb.quotes_pb2.QuoteEvent(tick=self.pb.market_data_pb2.Tick(
            symbol=symbol, sequence=sequence, time_ms=1_700_000_000_000 + sequence, price=100 + sequence, size=1,
            conflated=conflated))

    def Subscribe(self, request, context):
        with self.lock:
            self.requests.append({p.symbol: p.sequence for p in request.resume_from})
            call = len(self.requests)
        if call == 1:
            for s in range(1, 6):
                yield self.tick("AAPL", s)
            for s in range(1, 3):
                yield self.tick("MSFT", s)
            context.abort(grpc.StatusCode.UNAVAILABLE, "server going away")
        elif call == 2:
            for s in (4, 5, 6, 7, 8, 10):
                yield self.tick("AAPL", s)
            yield self.tick("AAPL", 13, conflated=2)  # 11 and 12 conflated into 13: no loss
            yield self.pb.quotes_pb2.QuoteEvent(gap=self.pb.quotes_pb2.SequenceGap(
                symbol="MSFT", first_missing=3, last_missing=9))
            yield self.tick("MSFT", 10)
        else:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "enough")


def serve_scripted(pb, scripted):
    """A grpcio server whose Quotes/Subscribe is `scripted.Subscribe`, started on a free port: (server, port)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handler = grpc.unary_stream_rpc_method_handler(
        scripted.Subscribe, request_deserializer=pb.quotes_pb2.SubscribeQuotesRequest.FromString,
        response_serializer=pb.quotes_pb2.QuoteEvent.SerializeToString)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("pulse.v1.Quotes", {"Subscribe": handler})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def test_subscribe_resumes_after_a_dropped_stream_without_duplicates_and_reports_gaps():
    pb = pulsetrader.Client("127.0.0.1:1").pb
    scripted = ScriptedQuotes(pb)
    server, port = serve_scripted(pb, scripted)
    try:
        with pulsetrader.Client(f"127.0.0.1:{port}") as client:
            subscription = client.subscribe(["AAPL", "MSFT"], initial_backoff=0.01, max_backoff=0.05)
            events = []
            with pytest.raises(pulsetrader.PulseError) as ended:
                for event in subscription:
                    events.append(event)
            assert ended.value.code == grpc.StatusCode.PERMISSION_DENIED  # the third call: not retried
    finally:
        server.stop(0)
    assert scripted.requests[0] == {} and scripted.requests[1] == {"AAPL": 5, "MSFT": 2}
    assert scripted.requests[2] == {"AAPL": 13, "MSFT": 10}
    aapl = [e.sequence for e in events if isinstance(e, pulsetrader.Tick) and e.symbol == "AAPL"]
    assert aapl == [1, 2, 3, 4, 5, 6, 7, 8, 10, 13]  # 4 and 5 replayed once only
    gaps = [(e.symbol, e.first_missing, e.last_missing, e.reported_by) for e in events
            if isinstance(e, pulsetrader.Gap)]
    assert gaps == [("AAPL", 9, 9, "client"), ("MSFT", 3, 9, "server")]
    assert subscription.reconnects == 2 and subscription.last_sequence == {"AAPL": 13, "MSFT": 10}


class ScriptedBars(ScriptedQuotes):
    """Subscribe with bars: call 1 sends a tick, minute 0 as it closed and revised once, then fails UNAVAILABLE;
    call 2 sends both again (the resume's overlap), minute 1, then a late second revision of minute 0, then ends."""

    def bar(self, minute, revision, close):
        return self.pb.quotes_pb2.QuoteEvent(bar=self.pb.quotes_pb2.LiveBar(
            symbol="AAPL", revision=revision, last_sequence=10 * minute + revision,
            bar=self.pb.market_data_pb2.Bar(time_ms=1_700_000_040_000 + 60_000 * minute, open=100, high=102, low=99,
                                            close=close, volume=5 + revision)))

    def Subscribe(self, request, context):
        with self.lock:
            self.requests.append(request.include_bars)
            call = len(self.requests)
        if call == 1:
            yield self.tick("AAPL", 1)
            yield self.bar(0, 0, 101)
            yield self.bar(0, 1, 101.5)
            context.abort(grpc.StatusCode.UNAVAILABLE, "server going away")
        elif call == 2:
            yield self.bar(0, 0, 101)
            yield self.bar(0, 1, 101.5)
            yield self.bar(1, 0, 100.5)
            yield self.bar(0, 2, 101.25)
        else:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "enough")


def test_subscribe_with_bars_yields_each_bar_and_revision_once_across_a_reconnect():
    pb = pulsetrader.Client("127.0.0.1:1").pb
    scripted = ScriptedBars(pb)
    server, port = serve_scripted(pb, scripted)
    events = []
    try:
        with pulsetrader.Client(f"127.0.0.1:{port}") as client:
            with pytest.raises(pulsetrader.PulseError):
                for event in client.subscribe(["AAPL"], bars=True, initial_backoff=0.01, max_backoff=0.05):
                    events.append(event)
    finally:
        server.stop(0)
    assert scripted.requests[:2] == [True, True]
    bars = [(b.time.minute, b.revision, b.close, b.volume, b.last_sequence) for b in events
            if isinstance(b, pulsetrader.Bar)]
    minute = pd.Timestamp(1_700_000_040_000, unit="ms", tz="UTC").minute
    assert bars == [(minute, 0, 101, 5, 0), (minute, 1, 101.5, 6, 1), (minute + 1, 0, 100.5, 5, 10),
                    (minute, 2, 101.25, 7, 2)]
    assert all(b.time.tzinfo is not None for b in events if isinstance(b, pulsetrader.Bar))


# --- methods served on other branches --------------------------------------------------------------------------

@pending("GetBars")
def test_bars_return_what_was_loaded(client):
    bars = frame(n=80, seed=21)
    client.load("PYBARS", csv=bars)
    got = client.bars("PYBARS", "1d")
    pd.testing.assert_frame_equal(got, bars, check_freq=False)
    assert len(client.bars("PYBARS", "1d", limit=10)) == 10


@pending("GetQuote")
def test_quote_of_a_simulated_symbol(database):
    process = serve(database, extra=["--feed", "simulated", "--symbols", "PYQ"])
    try:
        with pulsetrader.Client(process.address) as c:
            quote = pulsetrader_wait(lambda: c.quote("PYQ"))
            assert quote.symbol == "PYQ" and quote.price > 0 and isinstance(quote.time, pd.Timestamp)
    finally:
        process.terminate()


@pending("StoredBars")
def test_indicators_and_backtests_over_a_stored_symbol(client):
    bars = frame(n=300, seed=22)
    client.load("PYSTORED", csv=bars)
    stored = client.indicators(["rsi:14"], "PYSTORED")
    np.testing.assert_array_equal(stored["rsi_14"], talib.RSI(bars.close.to_numpy(), 14))
    inline = client.backtest(bars=bars, parameters={"fast": 5, "slow": 15})
    by_symbol = client.backtest("PYSTORED", parameters={"fast": 5, "slow": 15})
    assert by_symbol.statistics["Return [%]"] == inline.statistics["Return [%]"]


@pending("Subscribe")
def test_subscribe_to_the_server_continues_after_a_restart_with_every_hole_reported(database):
    feed = ["--feed", "simulated", "--symbols", "PYS", "--tick-rate", "200"]
    process = serve(database, extra=feed)
    restarted = None
    events = []
    try:
        with pulsetrader.Client(process.address) as c:
            subscription = c.subscribe(["PYS"], initial_backoff=0.05, max_backoff=0.5)
            for event in subscription:
                events.append(event)
                ticks = sum(isinstance(e, pulsetrader.Tick) for e in events)
                if restarted is None and ticks == 20:
                    process.kill()  # SIGKILL: no goodbye
                    restarted = serve(database, extra=feed + ["--port", str(process.port)])
                if restarted is not None and ticks >= 60:
                    break
            subscription.close()
            assert subscription.reconnects >= 1
    finally:
        process.kill()
        if restarted is not None:
            restarted.terminate()
    last = None
    for event in events:
        if isinstance(event, pulsetrader.Gap):
            assert last is None or event.first_missing == last + 1
            last = event.last_missing
        elif isinstance(event, pulsetrader.Tick):
            # Each tick follows the previous one (or the hole reported before it), conflated ones counted.
            assert last is None or event.sequence == last + 1 + event.conflated, (last, event)
            last = event.sequence


def pulsetrader_wait(call, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except pulsetrader.PulseError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_indicators_over_a_stored_symbol_follow_compute_pages(client):
    bars = frame(n=12_500, seed=23)
    client.load("PYPAGES", csv=bars)
    stored = client.indicators(["rsi:14"], "PYPAGES")
    assert len(stored) == 12_500 and stored.index.is_unique
    np.testing.assert_allclose(stored["rsi_14"], talib.RSI(bars.close.to_numpy(), 14), rtol=1e-9, atol=1e-9)
