"""`pulse.v1.Quotes` (the read side) over gRPC (grpcio, stubs generated from Protocol/ at test time) against a real
PostgreSQL holding 1-minute bars this test generated and imported with `pulse import`: GetBars at every timeframe must
equal pandas `resample` over the same raw minutes (US/Eastern sessions across a DST change and a half day, Monday
weeks, calendar months), paging must return every bar once, adjustments must match factors computed here, Compute
over stored bars must equal TA-Lib over the full history (1e-9), Run over stored GOOG must give `pulse backtest`'s
numbers on the CSV, GetQuote must answer from each tier (the server's own ticks, a Redis quote, the last stored bar),
GetClock and GetSessions must agree with `exchange_calendars`, and every error path must give its status and a
message without a host or credential.
"""
import datetime as dt
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

import grpc
import numpy as np
import pytest

from conftest import REPO, pulse_binary, require_module, run_pulse, skip_or_fail
from grpc_peer_server import ProtocolMissing, compile_protocol
from serve_process import ServeProcess

pd = require_module("pandas")
psycopg = require_module("psycopg")
talib = require_module("talib")
xcals = require_module("exchange_calendars")

SERVER_URL = os.environ.get("PULSE_TEST_DATABASE_URL")
if not SERVER_URL:
    skip_or_fail("PULSE_TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL and sets it)")

NY = "America/New_York"
MIN = "MINU"  # the minutes symbol
TIMEFRAMES = {  # our text form: (unit, multiple)
    "1m": ("UNIT_MINUTE", 1), "5m": ("UNIT_MINUTE", 5), "15m": ("UNIT_MINUTE", 15), "1h": ("UNIT_HOUR", 1),
    "4h": ("UNIT_HOUR", 4), "1d": ("UNIT_DAY", 1), "1w": ("UNIT_WEEK", 1), "1mo": ("UNIT_MONTH", 1),
}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    try:
        compile_protocol(tmp_path_factory.mktemp("stubs"))
    except ProtocolMissing as error:
        skip_or_fail(f"Protocol/ not ready: {error}")
    import importlib

    names = ["market_data_pb2", "quotes_pb2", "quotes_pb2_grpc", "indicators_pb2", "indicators_pb2_grpc",
             "backtests_pb2", "backtests_pb2_grpc"]
    stubs = {n: importlib.import_module(f"pulse.v1.{n}") for n in names}
    stubs["health_pb2"] = importlib.import_module("grpc.health.v1.health_pb2")
    stubs["health_pb2_grpc"] = importlib.import_module("grpc.health.v1.health_pb2_grpc")
    return type("Stubs", (), stubs)


@pytest.fixture(scope="module")
def database_url():
    """A new empty database on the test server for this module, dropped afterwards."""
    name = f"pulse_quotes_{random.randrange(1 << 32)}"
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield _with_database(SERVER_URL, name)
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def make_minutes(seed=7):
    """Raw 1-minute bars, 04:00-20:00 New York time on weekdays, over a DST change (2024-03-10), month ends and the
    day after Thanksgiving (a half day), with holes; prices a random walk at full double precision, whole volumes."""
    rng = np.random.default_rng(seed)
    days = [d for d in pd.date_range("2024-02-26", "2024-04-09").append(pd.date_range("2024-11-25", "2024-12-04"))
            if d.weekday() < 5]
    stamps = []
    for day in days:
        start = pd.Timestamp(day.date()).tz_localize(NY) + pd.Timedelta(hours=4)
        minutes = 540 if day.date() == dt.date(2024, 11, 29) else 960  # the half day trades to 13:00
        stamps.append(pd.date_range(start, periods=minutes, freq="min"))
    index = stamps[0].append(stamps[1:]).tz_convert("UTC")
    keep = rng.random(len(index)) > 0.02  # holes: missing minutes
    index = index[keep]
    n = len(index)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.001, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.001, n))
    volume = rng.integers(100, 50_000, n).astype(float)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)


def write_csv(frame, path, date_only=False):
    with open(path, "w") as out:
        out.write("Date,Open,High,Low,Close,Volume\n")
        for t, row in zip(frame.index, frame.itertuples(index=False)):
            stamp = t.strftime("%Y-%m-%d") if date_only else t.strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(f"{stamp},{row.open!r},{row.high!r},{row.low!r},{row.close!r},{int(row.volume)}\n")
    return path


@pytest.fixture(scope="module")
def minutes():
    return make_minutes()


@pytest.fixture(scope="module")
def goog_frame():
    require_module("backtesting")
    from backtesting.test import GOOG

    frame = GOOG.rename(columns=str.lower)
    frame.index = frame.index.tz_localize("UTC")
    return frame


@pytest.fixture(scope="module")
def loaded(database_url, minutes, goog_frame, tmp_path_factory):
    """The database with MINU's minutes and GOOG's daily bars imported through `pulse import`."""
    folder = tmp_path_factory.mktemp("quotes")
    proc = run_pulse("migrate", "--database-url", database_url)
    assert proc.returncode == 0, proc.stderr
    for symbol, frame, timeframe, date_only in ((MIN, minutes, "1m", False), ("GOOG", goog_frame, "1d", True)):
        path = write_csv(frame, folder / f"{symbol}.csv", date_only=date_only)
        proc = run_pulse("import", path, "--symbol", symbol, "--timeframe", timeframe, "--database-url", database_url,
                         timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert f"imported {len(frame)} bars for {symbol}" in proc.stdout, proc.stdout
    return database_url


@pytest.fixture(scope="module")
def server(loaded):
    process = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "none"],
                           env={"DATABASE_URL": loaded, "REDIS_URL": ""})
    yield process
    process.terminate()


@pytest.fixture(scope="module")
def channel(server):
    options = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    with grpc.insecure_channel(server.address, options=options) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


def quotes(pb, channel):
    return pb.quotes_pb2_grpc.QuotesStub(channel)


def timeframe(pb, text):
    unit, multiple = TIMEFRAMES[text]
    return pb.market_data_pb2.Timeframe(unit=getattr(pb.market_data_pb2.Timeframe, unit), multiple=multiple)


def status_of(call):
    try:
        call()
    except grpc.RpcError as error:
        return error.code(), error.details()
    return grpc.StatusCode.OK, ""


def ms(index):
    return (index.as_unit("ms").asi8 if hasattr(index, "as_unit") else index.asi8 // 1_000_000).tolist()


def pandas_bars(frame, text):
    """pandas' resampling of the raw minutes on the documented conventions."""
    agg = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    if text in ("1m", "5m", "15m", "1h"):
        rule = {"1m": "1min", "5m": "5min", "15m": "15min", "1h": "1h"}[text]
        out = frame.resample(rule, label="left", closed="left").agg(agg).dropna(subset=["open"])
        return out
    local = frame.tz_convert(NY)
    if text == "4h":
        # Aligned to New York wall-clock midnight on both sides of a DST change (pandas' own 4h bins on an aware
        # index keep a fixed length from the first midnight instead): resample the wall-clock times.
        wall = local.tz_localize(None)
        out = wall.resample("4h", label="left", closed="left").agg(agg).dropna(subset=["open"])
        out.index = out.index.tz_localize(NY).tz_convert("UTC")
        return out
    rule = {"1d": "D", "1w": "W-MON", "1mo": "MS"}[text]
    out = local.resample(rule, label="left", closed="left").agg(agg).dropna(subset=["open"])
    # Sessions, weeks and months are stamped at midnight UTC of their first date, as daily data is.
    out.index = pd.DatetimeIndex([pd.Timestamp(t.date()) for t in out.index]).tz_localize("UTC")
    return out


def fetch_all(pb, channel, **fields):
    """Every page of a GetBars request, concatenated; also the number of pages."""
    stub = quotes(pb, channel)
    request = pb.quotes_pb2.GetBarsRequest(**fields)
    pages, columns = 0, {k: [] for k in ("time_ms", "open", "high", "low", "close", "volume")}
    while True:
        reply = stub.GetBars(request, timeout=60)
        pages += 1
        for k in columns:
            columns[k].extend(getattr(reply, k))
        if not reply.next_page_token:
            return columns, pages
        request.page_token = reply.next_page_token
        assert pages < 1000


def assert_same_bars(columns, want, where):
    assert columns["time_ms"] == ms(want.index), f"{where}: bar times differ"
    for k in ("open", "high", "low", "close", "volume"):
        got, ref = np.asarray(columns[k]), want[k].to_numpy(dtype=float)
        differ = np.flatnonzero(got != ref)
        assert differ.size == 0, f"{where}: {k} differs at {differ[:5]} ({got[differ[:1]]} vs {ref[differ[:1]]})"


@pytest.mark.parametrize("text", list(TIMEFRAMES))
def test_get_bars_equals_pandas_resampling_of_the_raw_minutes(pb, channel, minutes, text):
    columns, _ = fetch_all(pb, channel, symbol=MIN, timeframe=timeframe(pb, text))
    assert_same_bars(columns, pandas_bars(minutes, text), text)


def _wait_until_refreshed(conn, symbol_id, seconds=30):
    deadline = time.monotonic() + seconds
    while conn.execute("SELECT count(*) FROM bar_rollup_invalidations WHERE symbol_id = %s",
                       (symbol_id,)).fetchone()[0]:
        assert time.monotonic() < deadline, "the server's rollup refresher did not catch up"
        time.sleep(0.2)


def test_rollups_answer_get_bars_and_minutes_written_by_sql_are_caught_up(pb, channel, loaded, minutes):
    """GetBars at 5m/15m/1h/4h/1d/1w comes from the rollups once they are current: minutes INSERTed by plain SQL (no
    refresh of ours runs) are noted by the trigger and read from the minutes meanwhile, the server's refresher catches
    up within seconds, a late minute is right at once; a rollup row altered behind the server's back shows through,
    so the rollup path is the one taken."""
    frame = minutes["2024-03-04":"2024-03-15"].copy()
    checked = ("5m", "15m", "1h", "4h", "1d", "1w")

    def expect_all(where):
        for text in checked:
            columns, _ = fetch_all(pb, channel, symbol="ROLL", timeframe=timeframe(pb, text))
            assert_same_bars(columns, pandas_bars(frame, text), f"{where}: {text}")

    with psycopg.connect(loaded, autocommit=True) as conn:
        minu = conn.execute("SELECT id FROM symbols WHERE symbol = %s", (MIN,)).fetchone()[0]
        assert conn.execute("SELECT count(*) FROM bar_rollup_invalidations WHERE symbol_id = %s",
                            (minu,)).fetchone()[0] == 0, "pulse import refreshes the rollups of what it wrote"
        assert conn.execute("SELECT count(*) FROM bar_rollups WHERE symbol_id = %s AND timeframe = '1h'",
                            (minu,)).fetchone()[0] == len(pandas_bars(minutes, "1h"))

        roll = conn.execute("INSERT INTO symbols (symbol) VALUES ('ROLL') RETURNING id").fetchone()[0]
        rows = [(roll, "1m", ts.to_pydatetime(), r.open, r.high, r.low, r.close, r.volume)
                for ts, r in zip(frame.index, frame.itertuples())]
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bars (symbol_id, timeframe, ts, open, high, low, close, volume) "
                            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
        expect_all("noted, before any refresh")
        _wait_until_refreshed(conn, roll)
        assert conn.execute("SELECT count(*) FROM bar_rollups WHERE symbol_id = %s AND timeframe = '5m'",
                            (roll,)).fetchone()[0] == len(pandas_bars(frame, "5m"))
        expect_all("from the rollups")

        # A late minute in a hole, a new high of its hour and day: right at once, and after the catch-up.
        present = set(frame.index)
        late = next(t for t in pd.date_range(frame.index[0], frame.index[-1], freq="min") if t not in present)
        conn.execute("INSERT INTO bars (symbol_id, timeframe, ts, open, high, low, close, volume) "
                     "VALUES (%s, '1m', %s, 100, 1000, 99, 101, 5)", (roll, late.to_pydatetime()))
        frame.loc[late] = {"open": 100.0, "high": 1000.0, "low": 99.0, "close": 101.0, "volume": 5.0}
        frame.sort_index(inplace=True)
        expect_all("a late minute, noted")
        _wait_until_refreshed(conn, roll)
        expect_all("a late minute, refreshed")

        # Altered behind the server's back, a rollup row shows in GetBars: the reads do come from the rollups.
        hour = pandas_bars(frame, "1h").index[3]
        conn.execute("UPDATE bar_rollups SET high = 123456 WHERE symbol_id = %s AND timeframe = '1h' AND ts = %s",
                     (roll, hour.to_pydatetime()))
        columns, _ = fetch_all(pb, channel, symbol="ROLL", timeframe=timeframe(pb, "1h"))
        assert columns["high"][3] == 123456


def test_daily_bars_stored_as_dates_resample_to_weeks_and_months(pb, channel, goog_frame):
    for text, rule in (("1w", "W-MON"), ("1mo", "MS")):
        want = goog_frame.resample(rule, label="left", closed="left").agg(
            {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}).dropna(subset=["open"])
        columns, _ = fetch_all(pb, channel, symbol="GOOG", timeframe=timeframe(pb, text))
        assert_same_bars(columns, want, f"GOOG {text}")
    columns, _ = fetch_all(pb, channel, symbol="GOOG", timeframe=timeframe(pb, "1d"))
    assert_same_bars(columns, goog_frame, "GOOG 1d as stored")


def test_a_range_selects_bars_by_their_open_time(pb, channel, minutes):
    start = pd.Timestamp("2024-03-08T15:00:00Z")
    end = pd.Timestamp("2024-03-12T00:00:00Z")
    want = pandas_bars(minutes, "1h")
    want = want[(want.index >= start) & (want.index < end)]
    columns, _ = fetch_all(pb, channel, symbol=MIN, timeframe=timeframe(pb, "1h"),
                           start_time_ms=start.value // 10**6, end_time_ms=end.value // 10**6)
    assert_same_bars(columns, want, "1h range")
    # A day bucket that starts in the range is read whole (its late minutes are after the range's end).
    day = pandas_bars(minutes, "1d")
    day_start = pd.Timestamp("2024-03-11T00:00:00Z")
    columns, _ = fetch_all(pb, channel, symbol=MIN, timeframe=timeframe(pb, "1d"),
                           start_time_ms=day_start.value // 10**6, end_time_ms=(day_start.value // 10**6) + 1)
    assert_same_bars(columns, day.loc[[day_start]], "one session")


def test_paging_returns_every_bar_once_in_order(pb, channel, minutes):
    full = pandas_bars(minutes, "1m")
    columns, pages = fetch_all(pb, channel, symbol=MIN, timeframe=timeframe(pb, "1m"))
    assert pages == -(-len(full) // 10_000), "the server's page is 10,000 bars"
    assert_same_bars(columns, full, "default pages")
    columns, pages = fetch_all(pb, channel, symbol=MIN, timeframe=timeframe(pb, "5m"), page_size=997)
    want = pandas_bars(minutes, "5m")
    assert pages == -(-len(want) // 997)
    assert_same_bars(columns, want, "pages of 997")
    # limit: the last 2,500 bars of the range, in pages of 1,000
    columns, pages = fetch_all(pb, channel, symbol=MIN, timeframe=timeframe(pb, "1m"), limit=2500, page_size=1000)
    assert pages == 3
    assert_same_bars(columns, full.iloc[-2500:], "limit 2500")
    columns, pages = fetch_all(pb, channel, symbol=MIN, timeframe=timeframe(pb, "15m"), limit=10)
    assert pages == 1
    assert_same_bars(columns, pandas_bars(minutes, "15m").iloc[-10:], "limit 10")


def test_a_page_token_must_belong_to_its_request(pb, channel):
    stub = quotes(pb, channel)
    first = stub.GetBars(pb.quotes_pb2.GetBarsRequest(symbol=MIN, timeframe=timeframe(pb, "1m"), page_size=10),
                         timeout=30)
    assert first.next_page_token
    for request in (
        pb.quotes_pb2.GetBarsRequest(symbol=MIN, timeframe=timeframe(pb, "5m"), page_size=10,
                                     page_token=first.next_page_token),
        pb.quotes_pb2.GetBarsRequest(symbol="GOOG", timeframe=timeframe(pb, "1m"), page_token=first.next_page_token),
        pb.quotes_pb2.GetBarsRequest(symbol=MIN, timeframe=timeframe(pb, "1m"), page_token="not a token"),
        pb.quotes_pb2.GetBarsRequest(symbol=MIN, timeframe=timeframe(pb, "1m"), page_token="djF8"),
    ):
        code, details = status_of(lambda: stub.GetBars(request, timeout=30))
        assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in details, details


def test_adjustments_apply_splits_and_dividends_by_session(pb, channel, loaded, minutes):
    with psycopg.connect(loaded, autocommit=True) as conn:
        symbol_id = conn.execute("SELECT id FROM symbols WHERE symbol = %s", (MIN,)).fetchone()[0]
        conn.execute("INSERT INTO corporate_actions VALUES (%s, '2024-03-20', 'split', 2), "
                     "(%s, '2024-12-02', 'dividend', 0.5)", (symbol_id, symbol_id))
    try:
        raw = pandas_bars(minutes, "1d")
        dates = raw.index.tz_localize(None).normalize()
        before_split = dates < pd.Timestamp("2024-03-20")
        before_dividend = dates < pd.Timestamp("2024-12-02")
        ex = pd.Timestamp("2024-12-02").tz_localize(NY).tz_convert("UTC")
        previous_close = minutes.close[minutes.index < ex].iloc[-1]
        dividend = 1 - 0.5 / previous_close
        A = pb.quotes_pb2
        for adjustment, split_on, dividend_on in ((A.ADJUSTMENT_RAW, False, False), (A.ADJUSTMENT_SPLIT, True, False),
                                                  (A.ADJUSTMENT_DIVIDEND, False, True), (A.ADJUSTMENT_ALL, True, True)):
            price = np.ones(len(raw))
            volume = np.ones(len(raw))
            if split_on:
                price[before_split] /= 2
                volume[before_split] *= 2
            if dividend_on:
                price[before_dividend] *= dividend
            columns, _ = fetch_all(pb, channel, symbol=MIN, timeframe=timeframe(pb, "1d"), adjustment=adjustment)
            assert columns["time_ms"] == ms(raw.index)
            for k in ("open", "high", "low", "close"):
                np.testing.assert_allclose(columns[k], raw[k].to_numpy() * price, rtol=1e-13, err_msg=k)
            np.testing.assert_allclose(columns["volume"], raw.volume.to_numpy() * volume, rtol=1e-13)
    finally:
        with psycopg.connect(loaded, autocommit=True) as conn:
            conn.execute("DELETE FROM corporate_actions")


def compute_pages(stub, request, timeout=120):
    """Every reply of one Compute request over a stored symbol, following next_page_token to the end."""
    replies = []
    while True:
        replies.append(stub.Compute(request, timeout=timeout))
        if not replies[-1].next_page_token:
            return replies
        request.page_token = replies[-1].next_page_token


def joined_outputs(replies):
    """The pages' times and each output's values (by name), joined in order."""
    times, values = [], {}
    for reply in replies:
        times += list(reply.time_ms)
        for series in reply.indicators:
            for output in series.outputs:
                values.setdefault(output.name, []).extend(output.values)
    return times, values


# (function, parameters, TA-Lib over the full history)
RECURSIVE = [
    ("ema", [30], lambda d: [talib.EMA(d["close"], 30)]),
    ("dema", [20], lambda d: [talib.DEMA(d["close"], 20)]),
    ("tema", [15], lambda d: [talib.TEMA(d["close"], 15)]),
    ("trix", [12], lambda d: [talib.TRIX(d["close"], 12)]),
    ("rsi", [14], lambda d: [talib.RSI(d["close"], 14)]),
    ("cmo", [14], lambda d: [talib.CMO(d["close"], 14)]),
    ("stochrsi", [14, 5, 3, 0], lambda d: list(talib.STOCHRSI(d["close"], 14, 5, 3, 0))),
    ("atr", [14], lambda d: [talib.ATR(d["high"], d["low"], d["close"], 14)]),
    ("natr", [14], lambda d: [talib.NATR(d["high"], d["low"], d["close"], 14)]),
    ("plus_di", [14], lambda d: [talib.PLUS_DI(d["high"], d["low"], d["close"], 14)]),
    ("minus_dm", [14], lambda d: [talib.MINUS_DM(d["high"], d["low"], 14)]),
    ("adx", [14], lambda d: [talib.ADX(d["high"], d["low"], d["close"], 14)]),
    ("adxr", [14], lambda d: [talib.ADXR(d["high"], d["low"], d["close"], 14)]),
    ("kama", [10], lambda d: [talib.KAMA(d["close"], 10)]),
    ("t3", [8, 0.4], lambda d: [talib.T3(d["close"], 8, 0.4)]),
    ("macd", [], lambda d: list(talib.MACD(d["close"]))),
    ("apo", [12, 26, 1], lambda d: [talib.APO(d["close"], 12, 26, 1)]),
    ("bbands", [20, 2, 2, 1], lambda d: list(talib.BBANDS(d["close"], 20, 2, 2, 1))),
    ("stoch", [5, 3, 1, 3, 3], lambda d: list(talib.STOCH(d["high"], d["low"], d["close"], 5, 3, 1, 3, 3))),
    ("obv", [], lambda d: [talib.OBV(d["close"], d["volume"])]),
    ("sma", [20], lambda d: [talib.SMA(d["close"], 20)]),
]


@pytest.mark.parametrize("function,parameters,call", RECURSIVE, ids=[r[0] for r in RECURSIVE])
def test_compute_over_stored_bars_equals_talib_over_the_full_history(pb, channel, minutes, function, parameters,
                                                                     call):
    # One function a call: the specs of a call share the largest warm-up, so each function's own rule is tested.
    data = {k: minutes[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close", "volume")}
    start = minutes.index[20_000]  # well past every warm-up, so the warm-up rule is what is tested
    end = minutes.index[23_000]
    request = pb.indicators_pb2.ComputeIndicatorsRequest(
        symbol=MIN, timeframe=timeframe(pb, "1m"), start_time_ms=start.value // 10**6, end_time_ms=end.value // 10**6,
        indicators=[pb.indicators_pb2.IndicatorSpec(function=function, parameters=parameters)])
    reply = pb.indicators_pb2_grpc.IndicatorsStub(channel).Compute(request, timeout=120)
    window = (minutes.index >= start) & (minutes.index < end)
    assert list(reply.time_ms) == ms(minutes.index[window])
    (series,) = reply.indicators
    wanted = call(data)
    assert len(series.outputs) == len(wanted)
    for output, want in zip(series.outputs, wanted):
        want = want[window]
        got = np.asarray(output.values)
        assert not np.isnan(got).any(), f"{function}: NaN inside the range: the warm-up is too short"
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=f"{function} {output.name}")
    assert series.lookback == 0


def test_compute_pages_put_together_equal_talib_over_the_full_history(pb, channel, minutes):
    # Pages of 2,000 bars, each over its own warm-up read with it: joined, one computation over everything.
    data = {k: minutes[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close", "volume")}
    start = minutes.index[15_000]
    end = minutes.index[25_000]
    request = pb.indicators_pb2.ComputeIndicatorsRequest(
        symbol=MIN, timeframe=timeframe(pb, "1m"), start_time_ms=start.value // 10**6, end_time_ms=end.value // 10**6,
        page_size=2_000, indicators=[pb.indicators_pb2.IndicatorSpec(function=f, parameters=p)
                                     for f, p in (("ema", [50]), ("macd", [12, 26, 9]), ("rsi", [14]))])
    replies = compute_pages(pb.indicators_pb2_grpc.IndicatorsStub(channel), request)
    times, values = joined_outputs(replies)
    window = (minutes.index >= start) & (minutes.index < end)
    assert len(replies) == 5 and times == ms(minutes.index[window])
    macd, signal, hist = talib.MACD(data["close"], 12, 26, 9)
    for name, want in (("ema_50", talib.EMA(data["close"], 50)), ("rsi_14", talib.RSI(data["close"], 14)),
                       ("macd_12_26_9_macd", macd), ("macd_12_26_9_macdsignal", signal),
                       ("macd_12_26_9_macdhist", hist)):
        np.testing.assert_allclose(values[name], want[window], rtol=1e-9, atol=1e-9, err_msg=name)


def test_run_over_stored_goog_gives_the_cli_numbers(pb, channel, goog_frame, tmp_path):
    csv = write_csv(goog_frame, tmp_path / "GOOG.csv", date_only=True)
    strategy = pb.backtests_pb2.Strategy(name="sma-cross", parameters=[
        pb.backtests_pb2.StrategyParameter(name="fast", value=10),
        pb.backtests_pb2.StrategyParameter(name="slow", value=20)])
    request = pb.backtests_pb2.BacktestRequest(symbols=["GOOG"], strategy=strategy, cash=10_000, commission=0.002)
    result = pb.backtests_pb2_grpc.BacktestsStub(channel).Run(request, timeout=120)
    proc = run_pulse("backtest", "--input", csv, "--format", "json", "--strategy", "sma-cross", "--param", "fast=10",
                     "--param", "slow=20", "--cash", "10000", "--commission", "0.002")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    stats = {s.name: s.value for s in result.statistics}
    assert len(result.trades) == len(out["trades"]) > 50
    for name, value in out["stats"].items():
        if name in ("Start", "End"):
            assert stats[name] == pd.Timestamp(value).value // 1_000_000, name
        elif value is None:
            assert np.isnan(stats[name]), name
        else:
            assert stats[name] == value, name


def test_get_quote_from_the_last_stored_bars(pb, channel, minutes):
    quote = quotes(pb, channel).GetQuote(pb.quotes_pb2.GetQuoteRequest(symbol=MIN), timeout=10)
    local = minutes.tz_convert(NY)
    day = local.index[-1].date()
    session = local[local.index.date == day]
    previous = local[local.index.date < day]
    assert quote.symbol == MIN and quote.sequence == 0
    assert quote.time_ms == minutes.index[-1].value // 10**6
    assert quote.price == session.close.iloc[-1]
    assert (quote.open, quote.high, quote.low) == (session.open.iloc[0], session.high.max(), session.low.min())
    assert quote.volume == session.volume.sum()
    assert quote.previous_close == previous.close.iloc[-1]
    assert quote.change == pytest.approx(quote.price - quote.previous_close, rel=1e-15)
    daily = quotes(pb, channel).GetQuote(pb.quotes_pb2.GetQuoteRequest(symbol="GOOG"), timeout=10)
    assert daily.price == daily_close(pb) and daily.previous_close == daily_close(pb, -2)


def daily_close(pb, k=-1):
    require_module("backtesting")
    from backtesting.test import GOOG

    return float(GOOG.Close.iloc[k])


def test_get_quotes_lists_the_unknown_symbols(pb, channel, minutes):
    reply = quotes(pb, channel).GetQuotes(pb.quotes_pb2.GetQuotesRequest(symbols=["GOOG", "NOPE", MIN]), timeout=10)
    assert [q.symbol for q in reply.quotes] == ["GOOG", MIN]
    assert list(reply.not_found) == ["NOPE"]
    assert reply.quotes[1].price == minutes.close.iloc[-1]


def test_list_symbols_with_their_stored_ranges(pb, channel, minutes, goog_frame):
    reply = quotes(pb, channel).ListSymbols(pb.quotes_pb2.ListSymbolsRequest(), timeout=10)
    info = {s.symbol: s for s in reply.symbols}
    assert [s.symbol for s in reply.symbols] == sorted(info)
    assert info[MIN].bar_count == len(minutes) and info["GOOG"].bar_count == len(goog_frame)
    assert info[MIN].first_time_ms == minutes.index[0].value // 10**6
    assert info[MIN].last_time_ms == minutes.index[-1].value // 10**6
    assert info["GOOG"].source == pb.quotes_pb2.DATA_SOURCE_CSV
    only = quotes(pb, channel).ListSymbols(pb.quotes_pb2.ListSymbolsRequest(prefix="GO", limit=5), timeout=10)
    assert [s.symbol for s in only.symbols] == ["GOOG"]


def test_clock_and_sessions_agree_with_exchange_calendars(pb, channel):
    nyse = xcals.get_calendar("XNYS", start="2000-01-01")
    stub = quotes(pb, channel)
    start, end = pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2025-01-01", tz="UTC")
    reply = stub.GetSessions(pb.quotes_pb2.GetSessionsRequest(start_time_ms=start.value // 10**6,
                                                              end_time_ms=end.value // 10**6), timeout=10)
    want = nyse.sessions_in_range("2024-01-01", "2024-12-31")
    assert [s.date for s in reply.sessions] == [d.strftime("%Y-%m-%d") for d in want]
    opens, closes = nyse.opens[want], nyse.closes[want]
    assert [s.open_time_ms for s in reply.sessions] == [t.value // 10**6 for t in opens]
    assert [s.close_time_ms for s in reply.sessions] == [t.value // 10**6 for t in closes]
    early = set(nyse.early_closes[(nyse.early_closes >= "2024-01-01") & (nyse.early_closes <= "2024-12-31")])
    assert {s.date for s in reply.sessions if s.early_close} == {d.strftime("%Y-%m-%d") for d in early}
    assert len(early) == 3
    clock = stub.GetClock(pb.quotes_pb2.GetClockRequest(), timeout=10)
    now = pd.Timestamp(clock.time_ms, unit="ms", tz="UTC")
    assert abs(now - pd.Timestamp.now(tz="UTC")) < pd.Timedelta(minutes=1)
    minute = now.floor("min")
    assert clock.is_open == nyse.is_open_on_minute(minute, ignore_breaks=True)
    assert clock.next_open_time_ms == nyse.next_open(now).value // 10**6
    assert clock.next_close_time_ms == nyse.next_close(now).value // 10**6


@pytest.mark.parametrize("method, fields, code, needle", [
    ("GetBars", {"symbol": ""}, "INVALID_ARGUMENT", "symbol is empty"),
    ("GetBars", {"symbol": "A B"}, "INVALID_ARGUMENT", "' '"),
    ("GetBars", {"symbol": MIN, "start_time_ms": 2000, "end_time_ms": 1000}, "INVALID_ARGUMENT", "not after"),
    ("GetBars", {"symbol": MIN, "timeframe": {"unit": 2, "multiple": 7}}, "INVALID_ARGUMENT", "7 minute"),
    ("GetBars", {"symbol": MIN, "timeframe": {"unit": 1, "multiple": 1}}, "INVALID_ARGUMENT", "seconds"),
    ("GetBars", {"symbol": MIN, "adjustment": 9}, "INVALID_ARGUMENT", "adjustment"),
    ("GetBars", {"symbol": "NOPE"}, "NOT_FOUND", "unknown symbol NOPE"),
    ("GetBars", {"symbol": "GOOG", "timeframe": {"unit": 2, "multiple": 5}}, "FAILED_PRECONDITION", "only daily"),
    ("GetQuote", {"symbol": "NOPE"}, "NOT_FOUND", "unknown symbol NOPE"),
    ("GetQuote", {"symbol": "x" * 40}, "INVALID_ARGUMENT", "longer than 32"),
    ("GetQuotes", {"symbols": []}, "INVALID_ARGUMENT", "symbols is empty"),
    ("GetQuotes", {"symbols": ["OK", "b\u00e4d"]}, "INVALID_ARGUMENT", "symbols[1]"),
    ("GetSessions", {"start_time_ms": 1000}, "INVALID_ARGUMENT", "before 2000-01-01"),
    ("GetSessions", {"start_time_ms": 1_700_000_000_000, "end_time_ms": 1_600_000_000_000}, "INVALID_ARGUMENT",
     "not after"),
    ("ListSymbols", {"prefix": "%"}, "INVALID_ARGUMENT", "prefix"),
])
def test_errors(pb, channel, method, fields, code, needle):
    names = {"GetBars": "GetBarsRequest", "GetQuote": "GetQuoteRequest", "GetQuotes": "GetQuotesRequest",
             "GetSessions": "GetSessionsRequest", "ListSymbols": "ListSymbolsRequest"}
    if "timeframe" in fields:
        fields = {**fields, "timeframe": pb.market_data_pb2.Timeframe(**fields["timeframe"])}
    request = getattr(pb.quotes_pb2, names[method])(**fields)
    got, details = status_of(lambda: getattr(quotes(pb, channel), method)(request, timeout=10))
    assert got == getattr(grpc.StatusCode, code), (got, details)
    assert needle in details, details


def health_status(pb, address, service):
    with grpc.insecure_channel(address) as channel:
        stub = pb.health_pb2_grpc.HealthStub(channel)
        return stub.Check(pb.health_pb2.HealthCheckRequest(service=service), timeout=5).status


def test_health_follows_the_database_and_calls_are_unavailable_without_it(pb, tmp_path):
    """A server whose PostgreSQL is not there yet: NOT_SERVING and UNAVAILABLE (no host or port in the message);
    then PostgreSQL starts on that port and the services turn SERVING within 2 s (a generous bound is asserted)."""
    port = _free_port()
    url = f"postgresql://postgres@127.0.0.1:{port}/pulse"
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "none"],
                          env={"DATABASE_URL": url, "REDIS_URL": ""})
    # Outside pytest's private folder: as root the server runs as user postgres, who must reach its data folder.
    folder = tempfile.mkdtemp(prefix="pulse-quotes-pg.")
    os.chmod(folder, 0o755)
    data = os.path.join(folder, "data")
    try:
        deadline = time.monotonic() + 10
        while health_status(pb, server.address, "pulse.v1.Quotes") != pb.health_pb2.HealthCheckResponse.NOT_SERVING:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        with grpc.insecure_channel(server.address) as channel:
            for call in (lambda: quotes(pb, channel).GetBars(pb.quotes_pb2.GetBarsRequest(symbol=MIN), timeout=10),
                         lambda: quotes(pb, channel).ListSymbols(pb.quotes_pb2.ListSymbolsRequest(), timeout=10)):
                code, details = status_of(call)
                assert code == grpc.StatusCode.UNAVAILABLE, (code, details)
                assert str(port) not in details and "127.0.0.1" not in details and "postgres" not in details
        for service in ("pulse.v1.Indicators", "pulse.v1.Backtests"):
            assert health_status(pb, server.address, service) == pb.health_pb2.HealthCheckResponse.NOT_SERVING
        started = subprocess.run(
            ["bash", str(REPO / "scripts/postgres.sh"), "start", "--data", str(data), "--port", str(port)],
            capture_output=True, text=True)
        assert started.returncode == 0, started.stderr
        up = time.monotonic()
        migrated = run_pulse("migrate", "--database-url", url)
        assert migrated.returncode == 0, migrated.stderr
        while health_status(pb, server.address, "pulse.v1.Quotes") != pb.health_pb2.HealthCheckResponse.SERVING:
            assert time.monotonic() - up < 10, "not SERVING 10 s after PostgreSQL accepted connections"
            time.sleep(0.05)
        print(f"SERVING {time.monotonic() - up:.2f} s after PostgreSQL accepted connections")
        with grpc.insecure_channel(server.address) as channel:
            code, _ = status_of(lambda: quotes(pb, channel).ListSymbols(pb.quotes_pb2.ListSymbolsRequest(), timeout=10))
            assert code == grpc.StatusCode.OK
    finally:
        server.terminate()
        subprocess.run(["bash", str(REPO / "scripts/postgres.sh"), "stop", "--data", str(data), "--port", str(port)],
                       check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def redis_port(tmp_path):
    port = _free_port()
    folder = tmp_path / "redis"
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "start", str(folder), str(port)], check=True)
    yield port
    subprocess.run(["bash", str(REPO / "scripts/redis.sh"), "stop", str(folder), str(port)], check=False)


def test_get_quote_from_the_servers_own_ticks_and_from_redis(pb, loaded, redis_port, minutes):
    """Tier 1: a symbol this server's feed publishes is answered from memory (its tick's sequence number; no bar of
    it is stored yet). Tier 2: a quote another instance left in Redis (quote:{SYM}, the encoded Tick). Tier 3: the
    stored bars. One GetQuotes call mixes all three and an unknown symbol."""
    tick = pb.market_data_pb2.Tick(symbol="REDQ", sequence=41, time_ms=1_733_000_000_123, price=12.5, size=3,
                                   bid=12.49, ask=12.51)
    subprocess.run(["redis-cli", "-p", str(redis_port), "-x", "SET", "quote:{REDQ}"], input=tick.SerializeToString(),
                   check=True, capture_output=True)
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "simulated", "--symbols", "SIMQ",
                           "--tick-rate", "200", "--redis-url", f"redis://127.0.0.1:{redis_port}"],
                          env={"DATABASE_URL": loaded})
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = quotes(pb, channel)
            deadline = time.monotonic() + 20
            while True:
                code, _ = status_of(lambda: stub.GetQuote(pb.quotes_pb2.GetQuoteRequest(symbol="SIMQ"), timeout=5))
                if code == grpc.StatusCode.OK:
                    break
                assert time.monotonic() < deadline, "no quote for the feed's symbol"
                time.sleep(0.1)
            live = stub.GetQuote(pb.quotes_pb2.GetQuoteRequest(symbol="SIMQ"), timeout=5)
            assert live.sequence >= 1 and live.price > 0 and live.high >= live.price >= live.low
            later = stub.GetQuote(pb.quotes_pb2.GetQuoteRequest(symbol="SIMQ"), timeout=5)
            assert later.sequence >= live.sequence
            cached = stub.GetQuote(pb.quotes_pb2.GetQuoteRequest(symbol="REDQ"), timeout=5)
            assert (cached.sequence, cached.time_ms, cached.price, cached.bid, cached.ask) == (
                41, 1_733_000_000_123, 12.5, 12.49, 12.51)
            mixed = stub.GetQuotes(pb.quotes_pb2.GetQuotesRequest(symbols=["NOPE", "REDQ", MIN, "SIMQ"]), timeout=5)
            assert [q.symbol for q in mixed.quotes] == ["REDQ", MIN, "SIMQ"]
            assert list(mixed.not_found) == ["NOPE"]
            assert mixed.quotes[1].price == minutes.close.iloc[-1] and mixed.quotes[1].sequence == 0
    finally:
        server.terminate()


def test_cli_quote_bars_and_clock(server, minutes):
    proc = run_pulse("quote", MIN, "GOOG", "--server", server.address)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(",") for line in proc.stdout.strip().split("\n")]
    assert rows[0][:3] == ["symbol", "time", "price"]
    assert [r[0] for r in rows[1:]] == [MIN, "GOOG"]
    assert float(rows[1][2]) == minutes.close.iloc[-1]
    proc = run_pulse("quote", MIN, "NOPE", "--server", server.address)
    assert proc.returncode == 1 and "NOPE" in proc.stderr
    start, end = "2024-03-08T00:00:00Z", "2024-03-13T00:00:00Z"
    want = pandas_bars(minutes, "1h")
    want = want[(want.index >= start) & (want.index < end)]
    for spelling in ("1h", "1Hour", "60min", "1H"):
        proc = run_pulse("bars", MIN, "--timeframe", spelling, "--start", start, "--end", end, "--format", "json",
                         "--server", server.address)
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert [pd.Timestamp(b["time"]).value // 10**6 for b in out["bars"]] == ms(want.index), spelling
        assert [b["close"] for b in out["bars"]] == want.close.tolist(), spelling
    months = pandas_bars(minutes, "1mo")
    for spelling in ("1mo", "1M", "1Month", "monthly"):
        proc = run_pulse("bars", MIN, "--timeframe", spelling, "--server", server.address)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.strip().split("\n")
        assert lines[0] == "time,open,high,low,close,volume"
        assert [line.split(",")[0] for line in lines[1:]] == [t.strftime("%Y-%m-%d") for t in months.index], spelling
        assert [float(line.split(",")[4]) for line in lines[1:]] == months.close.tolist()
    proc = run_pulse("bars", MIN, "--timeframe", "1m", "--limit", "3", "--server", server.address)
    assert len(proc.stdout.strip().split("\n")) == 4
    proc = run_pulse("bars", MIN, "--timeframe", "7x", "--server", server.address)
    assert proc.returncode == 2 and "unknown timeframe '7x'" in proc.stderr
    proc = run_pulse("bars", "NOPE", "--server", server.address)
    assert proc.returncode == 1 and "NOT_FOUND" in proc.stderr and "unknown symbol NOPE" in proc.stderr
    proc = run_pulse("clock", "--format", "json", "--server", server.address)
    assert proc.returncode == 0, proc.stderr
    clock = json.loads(proc.stdout)
    assert set(clock) == {"time", "is_open", "is_extended_hours", "next_open", "next_close"}
    assert pd.Timestamp(clock["next_open"]) > pd.Timestamp(clock["time"])


def test_cli_against_no_server_retries_then_says_unavailable():
    port = _free_port()
    started = time.monotonic()
    proc = run_pulse("clock", "--server", f"127.0.0.1:{port}")
    assert proc.returncode == 1 and "UNAVAILABLE" in proc.stderr, proc.stderr
    assert time.monotonic() - started < 30
    proc = run_pulse("clock", "--server", "nonsense")
    assert proc.returncode == 2 and "HOST:PORT" in proc.stderr


def test_compute_results_are_cached_in_redis_and_never_stale(pb, loaded, redis_port, minutes, tmp_path):
    """Compute over stored bars is kept in Redis under the symbol's data version: the same request is answered from
    the cache (a key appears under cache:{SYM}:), and once more bars are imported (no invalidation from `pulse
    import`) the answer covers them."""
    first, rest = minutes.iloc[:3000], minutes.iloc[3000:3100]
    path = write_csv(first, tmp_path / "CACH.csv")
    proc = run_pulse("import", path, "--symbol", "CACH", "--timeframe", "1m", "--database-url", loaded)
    assert proc.returncode == 0, proc.stderr
    server = ServeProcess([pulse_binary(), "serve", "--port", "0", "--feed", "none", "--redis-url",
                           f"redis://127.0.0.1:{redis_port}"], env={"DATABASE_URL": loaded})
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = pb.indicators_pb2_grpc.IndicatorsStub(channel)
            request = pb.indicators_pb2.ComputeIndicatorsRequest(
                symbol="CACH", timeframe=timeframe(pb, "1m"),
                indicators=[pb.indicators_pb2.IndicatorSpec(function="rsi", parameters=[14])])
            deadline = time.monotonic() + 10
            while not keys(redis_port, "cache:{CACH}:ind:*"):
                one = stub.Compute(request, timeout=30)
                assert time.monotonic() < deadline, "no cache entry appeared"
                time.sleep(0.1)
            again = stub.Compute(request, timeout=30)
            assert again == one and len(one.time_ms) == 3000
            np.testing.assert_array_equal(one.indicators[0].outputs[0].values, talib.RSI(first.close.to_numpy(), 14))
            proc = run_pulse("import", write_csv(rest, tmp_path / "more.csv"), "--symbol", "CACH", "--timeframe", "1m",
                             "--database-url", loaded)
            assert proc.returncode == 0, proc.stderr
            after = stub.Compute(request, timeout=30)
            assert len(after.time_ms) == 3100
            both = pd.concat([first, rest]).close.to_numpy()
            np.testing.assert_array_equal(after.indicators[0].outputs[0].values, talib.RSI(both, 14))
    finally:
        server.terminate()


def keys(port, pattern):
    out = subprocess.run(["redis-cli", "-p", str(port), "--raw", "KEYS", pattern], capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.split("\n") if line]


def test_a_blocked_database_call_ends_at_the_calls_deadline_and_is_cancelled(pb, channel, loaded):
    """A statement that cannot proceed (its table is locked) never holds a call past its deadline: the call ends
    DEADLINE_EXCEEDED, and the server cancels the statement (no session of it stays waiting on the lock)."""
    def waiting():
        with psycopg.connect(loaded, autocommit=True) as probe:
            return probe.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pulse' "
                                 "AND wait_event_type = 'Lock'").fetchone()[0]

    locker = psycopg.connect(loaded)
    try:
        locker.execute("LOCK TABLE symbols IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        code, _ = status_of(lambda: quotes(pb, channel).GetBars(pb.quotes_pb2.GetBarsRequest(symbol=MIN), timeout=1.5))
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED
        assert time.monotonic() - started < 10
        deadline = time.monotonic() + 10
        while waiting():
            assert time.monotonic() < deadline, "the server's statement still waits on the lock after the deadline"
            time.sleep(0.1)
    finally:
        locker.rollback()
        locker.close()
    reply = quotes(pb, channel).GetBars(pb.quotes_pb2.GetBarsRequest(symbol=MIN, limit=1), timeout=30)
    assert len(reply.time_ms) == 1


def test_compute_over_stored_bars_pages_like_get_bars(pb, channel, minutes):
    data = {k: minutes[k].to_numpy(dtype=float) for k in ("close", "volume")}
    stub = pb.indicators_pb2_grpc.IndicatorsStub(channel)
    specs = [pb.indicators_pb2.IndicatorSpec(function="rsi", parameters=[14]),
             pb.indicators_pb2.IndicatorSpec(function="obv")]

    def all_pages(**fields):
        request = pb.indicators_pb2.ComputeIndicatorsRequest(symbol=MIN, timeframe=timeframe(pb, "1m"),
                                                             indicators=specs, **fields)
        replies = compute_pages(stub, request)
        times, values = joined_outputs(replies)
        return times, np.asarray(values["rsi_14"]), np.asarray(values["obv"]), len(replies)

    times, rsi, obv, pages = all_pages()
    # Two outputs: 4,100,000 / (10 + 8·2) bars fit the 4 MiB limit, above the cap of 100,000 (Protocol/README.md).
    assert pages == -(-len(minutes) // 100_000)
    assert times == ms(minutes.index)
    np.testing.assert_allclose(rsi, talib.RSI(data["close"], 14), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(obv, talib.OBV(data["close"], data["volume"]))
    times, rsi, _, pages = all_pages(limit=2500, page_size=997)
    assert pages == 3 and times == ms(minutes.index[-2500:])
    np.testing.assert_allclose(rsi, talib.RSI(data["close"], 14)[-2500:], rtol=1e-9, atol=1e-9)
    first = stub.Compute(pb.indicators_pb2.ComputeIndicatorsRequest(
        symbol=MIN, timeframe=timeframe(pb, "1m"), indicators=specs, page_size=10), timeout=30)
    other = pb.indicators_pb2.ComputeIndicatorsRequest(
        symbol=MIN, timeframe=timeframe(pb, "1m"), indicators=specs[:1], page_size=10,
        page_token=first.next_page_token)
    code, details = status_of(lambda: stub.Compute(other, timeout=30))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in details, details


def test_compute_pages_by_size_stay_under_the_default_message_limit(pb, server, minutes):
    # 60 outputs: 10,000 bars of them would be 4.8 MB; a page holds 4,100,000 / (10 + 8·60) = 8,367 bars, so a
    # client with gRPC's default 4 MiB receive limit reads them all.
    close = minutes["close"].to_numpy(dtype=float)
    specs = [pb.indicators_pb2.IndicatorSpec(function="bbands", parameters=[period, 2, 2])
             for period in range(5, 25)]
    request = pb.indicators_pb2.ComputeIndicatorsRequest(symbol=MIN, timeframe=timeframe(pb, "1m"), indicators=specs)
    with grpc.insecure_channel(server.address) as default_channel:
        replies = compute_pages(pb.indicators_pb2_grpc.IndicatorsStub(default_channel), request)
    for reply in replies:
        assert reply.ByteSize() <= 4 * 1024 * 1024
        assert len(reply.time_ms) == 8_367 or not reply.next_page_token
    times, values = joined_outputs(replies)
    assert len(replies) == -(-len(minutes) // 8_367) and times == ms(minutes.index)
    for period in range(5, 25):
        want, _, _ = talib.BBANDS(close, period, 2, 2)
        np.testing.assert_allclose(values[f"bbands_{period}_2_2_upperband"], want, rtol=1e-9, atol=1e-9)


def test_compute_over_grouped_bars_reads_its_warm_up_in_the_same_grouping(pb, channel, minutes):
    # 5-minute bars grouped in SQL from the stored minutes: the warm-up is read grouped too, so EMA 20 and ADX 14
    # over a late range equal TA-Lib over every 5-minute bar pandas makes of the minutes.
    bars = pandas_bars(minutes, "5m")
    start, end = bars.index[3_000], bars.index[4_000]
    request = pb.indicators_pb2.ComputeIndicatorsRequest(
        symbol=MIN, timeframe=timeframe(pb, "5m"), start_time_ms=start.value // 10**6, end_time_ms=end.value // 10**6,
        indicators=[pb.indicators_pb2.IndicatorSpec(function="ema", parameters=[20]),
                    pb.indicators_pb2.IndicatorSpec(function="adx", parameters=[14])])
    reply = pb.indicators_pb2_grpc.IndicatorsStub(channel).Compute(request, timeout=60)
    window = (bars.index >= start) & (bars.index < end)
    assert list(reply.time_ms) == ms(bars.index[window])
    data = {k: bars[k].to_numpy(dtype=float) for k in ("high", "low", "close")}
    for series, want in zip(reply.indicators, (talib.EMA(data["close"], 20),
                                               talib.ADX(data["high"], data["low"], data["close"], 14))):
        np.testing.assert_allclose(series.outputs[0].values, want[window], rtol=1e-9, atol=1e-9,
                                   err_msg=series.spec.function)
