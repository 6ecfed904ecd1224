"""`pulse.v1.Quotes/LoadSymbol` over grpcio against a real `pulse serve`, the test PostgreSQL and the fake Alpha
Vantage: CSV bytes stored exactly as pandas parses them (and idempotent), bad rows refused with their line, the
simulated history deterministic and on NYSE sessions (exchange-calendars), and Alpha Vantage backfills that stop on
a spent quota, survive a restart and a crash between fetch and commit, and store exactly the bars the fake served
(parsed here independently: JSON, US/Eastern wall time to UTC with zoneinfo).
"""
import datetime as dt
import json
import random
import time
from zoneinfo import ZoneInfo

import grpc
import pytest

from conftest import require_module
from loading_support import (fake_av, fresh_database, job_row, psycopg, require_database, serve, stored_bars,  # noqa: F401
                             stubs, wait_for)

pd = require_module("pandas")
xc = require_module("exchange_calendars")
require_database()

EASTERN = ZoneInfo("America/New_York")


def ms(text, tz=dt.timezone.utc):
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=tz).timestamp() * 1000)


@pytest.fixture(scope="module")
def database():
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def server(database):
    process = serve(database)
    yield process
    process.terminate()


def quotes(stubs, process):
    channel = grpc.insecure_channel(process.address)
    return stubs.quotes_pb2_grpc.QuotesStub(channel), channel


def load(stubs, process, timeout=60, **fields):
    stub, channel = quotes(stubs, process)
    with channel:
        return stub.LoadSymbol(stubs.quotes_pb2.LoadSymbolRequest(**fields), timeout=timeout)


def error_of(call):
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


def csv_text(n=300, seed=3, start="2021-01-04"):
    rng = random.Random(seed)
    days = pd.bdate_range(start, periods=n)
    price = 100.0
    lines = ["Date,Open,High,Low,Close,Volume"]
    for day in days:
        o = price
        c = max(1.0, o * (1 + rng.gauss(0, 0.02)))
        h = max(o, c) * (1 + rng.random() * 0.01)
        low = min(o, c) * (1 - rng.random() * 0.01)
        lines.append(f"{day.date()},{o:.6f},{h:.6f},{low:.6f},{c:.6f},{rng.randint(1000, 900000)}")
        price = c
    return "\n".join(lines) + "\n"


def test_csv_is_stored_exactly_and_a_second_load_rewrites_nothing(stubs, server, database):
    text = csv_text()
    frame = pd.read_csv(pd.io.common.StringIO(text), parse_dates=["Date"])
    day = stubs.market_data_pb2.Timeframe(unit=stubs.market_data_pb2.Timeframe.UNIT_DAY, multiple=1)
    first = load(stubs, server, symbol="csvx", source=stubs.quotes_pb2.DATA_SOURCE_CSV, timeframe=day,
                 csv=text.encode())
    assert first.symbol == "CSVX" and first.bars_loaded == len(frame)
    assert first.source == stubs.quotes_pb2.DATA_SOURCE_CSV
    assert first.first_time_ms == ms("2021-01-04") and first.last_time_ms == int(frame.Date.iloc[-1].timestamp() * 1000)
    want = [(int(r.Date.timestamp() * 1000), r.Open, r.High, r.Low, r.Close, float(r.Volume)) for r in frame.itertuples()]
    assert stored_bars(database, "CSVX", "1d") == want
    again = load(stubs, server, symbol="CSVX", source=stubs.quotes_pb2.DATA_SOURCE_CSV, csv=text.encode())
    assert again.bars_loaded == 0
    with psycopg.connect(database) as connection:
        assert connection.execute("SELECT tracking, source FROM symbols WHERE symbol = 'CSVX'").fetchone() == (
            "active", "csv")
    # A range keeps only the bars inside it.
    part = load(stubs, server, symbol="CSVR", source=stubs.quotes_pb2.DATA_SOURCE_CSV, csv=text.encode(),
                start_time_ms=ms("2021-02-01"), end_time_ms=ms("2021-03-01"))
    assert [r[0] for r in stored_bars(database, "CSVR", "1d")] == [t for t, *_ in want if ms("2021-02-01") <= t < ms("2021-03-01")]
    assert part.bars_loaded == len(stored_bars(database, "CSVR", "1d"))


def test_a_bad_row_is_invalid_argument_naming_its_line_and_writes_nothing(stubs, server, database):
    text = "Date,Open,High,Low,Close,Volume\n2021-01-04,10,11,9,10.5,100\n2021-01-05,10,9,11,10,100\n"
    code, details = error_of(lambda: load(stubs, server, symbol="BADCSV", source=stubs.quotes_pb2.DATA_SOURCE_CSV,
                                          csv=text.encode()))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "line 3" in details and "high" in details, details
    assert stored_bars(database, "BADCSV", "1d") == []


@pytest.mark.parametrize("fields, fragment", [
    ({"symbol": ""}, "symbol is empty"),
    ({"symbol": "AA PL"}, "is not a symbol"),
    ({"symbol": "X" * 21}, "is not a symbol"),
    ({"symbol": "OK", "start_time_ms": 2000, "end_time_ms": 1000}, "is not after"),
    ({"symbol": "OK", "source": 3}, "csv"),
    ({"symbol": "OK", "source": 9}, "is not a DataSource"),
])
def test_bad_requests_are_invalid_argument(stubs, server, fields, fragment):
    code, details = error_of(lambda: load(stubs, server, **fields))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and fragment in details, (code, details)


def test_alpha_vantage_without_a_key_is_failed_precondition(stubs, server):
    code, details = error_of(lambda: load(stubs, server, symbol="IBM", source=stubs.quotes_pb2.DATA_SOURCE_ALPHA_VANTAGE))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "ALPHA_VANTAGE_API_KEY" in details


def test_no_database_is_unavailable(stubs):
    process = serve(None)
    try:
        code, details = error_of(lambda: load(stubs, process, symbol="IBM", source=stubs.quotes_pb2.DATA_SOURCE_SIMULATED))
        assert code == grpc.StatusCode.UNAVAILABLE and "no database" in details
    finally:
        process.terminate()


def test_simulated_history_is_deterministic_and_on_nyse_sessions(stubs, server, database):
    five = stubs.market_data_pb2.Timeframe(unit=stubs.market_data_pb2.Timeframe.UNIT_MINUTE, multiple=5)
    start, end = ms("2024-11-25"), ms("2024-12-03")
    first = load(stubs, server, symbol="SIMA", source=stubs.quotes_pb2.DATA_SOURCE_SIMULATED, timeframe=five,
                 start_time_ms=start, end_time_ms=end)
    bars = stored_bars(database, "SIMA", "5m")
    calendar = xc.get_calendar("XNYS")
    sessions = calendar.sessions_in_range("2024-11-25", "2024-12-02")
    expected = []
    for session in sessions:
        t = calendar.session_open(session)
        while t < calendar.session_close(session):
            expected.append(int(t.timestamp() * 1000))
            t += pd.Timedelta(minutes=5)
    assert [b[0] for b in bars] == expected  # the half day after Thanksgiving ends at 13:00
    assert first.bars_loaded == len(expected)
    assert all(low <= min(o, c) and high >= max(o, c) and v > 0 for _, o, high, low, c, v in bars)
    again = load(stubs, server, symbol="SIMA", source=stubs.quotes_pb2.DATA_SOURCE_SIMULATED, timeframe=five,
                 start_time_ms=start, end_time_ms=end)
    assert again.bars_loaded == 0  # the same bars: nothing rewritten
    # A sub-range gives the same bars for the times it shares.
    load(stubs, server, symbol="SIMB", source=stubs.quotes_pb2.DATA_SOURCE_SIMULATED, timeframe=five,
         start_time_ms=ms("2024-11-27"), end_time_ms=end)
    # Different symbols differ, the same symbol does not.
    shared = {b[0]: b for b in bars}
    for row in stored_bars(database, "SIMB", "5m"):
        assert row[0] in shared and row[1:] != shared[row[0]][1:]
    code, details = error_of(lambda: load(stubs, server, symbol="SIMC", source=stubs.quotes_pb2.DATA_SOURCE_SIMULATED,
                                          timeframe=stubs.market_data_pb2.Timeframe(unit=stubs.market_data_pb2.Timeframe.UNIT_WEEK)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


# --- Alpha Vantage backfills ---------------------------------------------------------------------------------------

def fixture_bars(fake, query, daily=False):
    """The bars the fake serves for `query`, parsed here: JSON numbers as Python floats, US/Eastern wall time to
    UTC (daily dates at midnight UTC), oldest first."""
    document = json.loads(fake.get("/query?" + query + "&apikey=reference"))
    key = next(k for k in document if k.startswith("Time Series"))
    rows = []
    for stamp, values in document[key].items():
        if daily:
            t = dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.timezone.utc)
        else:
            t = dt.datetime.fromisoformat(stamp).replace(tzinfo=EASTERN)
        rows.append((int(t.timestamp() * 1000), float(values["1. open"]), float(values["2. high"]),
                     float(values["3. low"]), float(values["4. close"]), float(values["5. volume"])))
    return sorted(rows)


def months_bars(fake, symbol, months):
    bars = []
    for month in months:
        bars += fixture_bars(fake, f"function=TIME_SERIES_INTRADAY&symbol={symbol}&interval=1min&outputsize=full"
                                   f"&month={month}")
    return bars


MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04"]
ONE_MINUTE = {"unit": 2, "multiple": 1}


def av_server(database, fake, key, **env):
    return serve(database, env={"ALPHA_VANTAGE_API_KEY": key, "ALPHA_VANTAGE_BASE_URL": fake.base_url,
                                "ALPHA_VANTAGE_DAILY_LIMIT": "0", **env})


def request_months(stubs, symbol):
    return dict(symbol=symbol, source=stubs.quotes_pb2.DATA_SOURCE_ALPHA_VANTAGE,
                timeframe=stubs.market_data_pb2.Timeframe(**ONE_MINUTE),
                start_time_ms=ms("2024-01-01"), end_time_ms=ms("2024-05-01"))


def test_a_spent_quota_pauses_the_backfill_and_a_restarted_server_continues_where_it_stopped(stubs, fake_av):
    with fresh_database() as database:
        fake_av.allow("quota-key", 2)
        first = av_server(database, fake_av, "quota-key")
        try:
            response = load(stubs, first, **request_months(stubs, "BKPY"))
            assert response.source == stubs.quotes_pb2.DATA_SOURCE_ALPHA_VANTAGE
            job_id = "BKPY/1min/2024-01/2024-04"
            assert response.job.id == job_id and response.job.units_total == 4
            assert response.job.state in (stubs.quotes_pb2.LOAD_JOB_STATE_RUNNING, stubs.quotes_pb2.LOAD_JOB_STATE_PAUSED)
            state = wait_for(lambda: (row := job_row(database, job_id)) and row[0] == "paused" and row, what="pause")
            assert state[1] == 2 and "25 requests per day" in state[2]
        finally:
            first.terminate()
        assert fake_av.requests("BKPY") == 3  # two months, then the refused third
        fake_av.allow("quota-key", 100)
        second = av_server(database, fake_av, "quota-key")
        try:
            # Asking again while the quota's day is not over only reports the pause: nothing is sent.
            again = load(stubs, second, **request_months(stubs, "BKPY"))
            assert again.job.state == stubs.quotes_pb2.LOAD_JOB_STATE_PAUSED and again.job.units_done == 2
            assert again.job.resume_after_time_ms > time.time() * 1000 and "25 requests per day" in again.job.message
            time.sleep(1)
            assert fake_av.requests("BKPY") == 3
        finally:
            second.terminate()
        # The next day (the pause moved to now), a restarted server resumes the job by itself.
        with psycopg.connect(database) as connection:
            connection.execute("UPDATE backfill_jobs SET resume_after = now() WHERE id = %s", (job_id,))
        third = av_server(database, fake_av, "quota-key")
        try:
            wait_for(lambda: job_row(database, job_id)[0] == "completed", what="completion")
            done = load(stubs, third, **request_months(stubs, "BKPY"))
            assert done.job.state == stubs.quotes_pb2.LOAD_JOB_STATE_COMPLETED and done.job.units_done == 4
        finally:
            third.terminate()
        assert fake_av.requests("BKPY") == 5  # no month fetched twice
        want = months_bars(fake_av, "BKPY", MONTHS)
        assert len(want) == (21 + 20 + 20 + 22) * 960
        assert done.job.bars_stored == len(want)
        assert stored_bars(database, "BKPY", "1m") == want
        with psycopg.connect(database) as connection:
            assert connection.execute(
                "SELECT count(*) FROM ingestion_batches i JOIN symbols s ON s.id = i.symbol_id WHERE s.symbol = 'BKPY'"
            ).fetchone() == (4,)


def test_a_crash_between_fetch_and_commit_is_resumed_at_start_up_without_a_hole_or_a_duplicate(stubs, fake_av):
    with fresh_database() as database:
        job_id = "BKCR/1min/2024-01/2024-04"
        crashing = av_server(database, fake_av, "crash-key", PULSE_FAILPOINT="backfill-before-commit:2024-02")
        try:
            try:
                load(stubs, crashing, **request_months(stubs, "BKCR"))
            except grpc.RpcError as error:  # only if the crash beat the answer
                assert error.code() == grpc.StatusCode.UNAVAILABLE
            crashing.process.wait(timeout=120)  # SIGKILLed inside February's transaction
            assert crashing.process.returncode == -9
        finally:
            crashing.kill()
        assert job_row(database, job_id)[:2] == ("running", 1)
        restarted = av_server(database, fake_av, "crash-key")
        try:
            wait_for(lambda: job_row(database, job_id)[0] == "completed", what="the resumed job")
        finally:
            restarted.terminate()
        assert fake_av.requests("BKCR") == 5  # February twice: once lost with the crash
        assert stored_bars(database, "BKCR", "1m") == months_bars(fake_av, "BKCR", MONTHS)


def test_daily_history_across_a_split_is_stored_raw(stubs, fake_av):
    with fresh_database() as database:
        process = av_server(database, fake_av, "daily-key")
        try:
            response = load(stubs, process, symbol="SPLT", source=stubs.quotes_pb2.DATA_SOURCE_ALPHA_VANTAGE)
            assert response.job.id == "SPLT/daily/full/full" and response.job.units_total == 1
            wait_for(lambda: job_row(database, "SPLT/daily/full/full")[0] == "completed", what="daily backfill")
        finally:
            process.terminate()
        want = fixture_bars(fake_av, "function=TIME_SERIES_DAILY&symbol=SPLT&outputsize=full", daily=True)
        stored = stored_bars(database, "SPLT", "1d")
        assert stored == want and len(stored) > 240
        split = [t for t, *_ in stored].index(ms("2024-02-15"))
        assert stored[split][1] < 0.6 * stored[split - 1][4]  # the raw series halves on the split


@pytest.mark.parametrize("symbol, fragment", [("PREMIUM", "premium"), ("BADCALL", "Invalid API call")])
def test_a_premium_endpoint_or_a_bad_call_fails_the_job_without_retrying(stubs, fake_av, symbol, fragment):
    with fresh_database() as database:
        process = av_server(database, fake_av, "fail-key")
        try:
            before = fake_av.requests(symbol)
            load(stubs, process, symbol=symbol, source=stubs.quotes_pb2.DATA_SOURCE_ALPHA_VANTAGE)
            row = wait_for(lambda: (r := job_row(database, f"{symbol}/daily/full/full")) and r[0] == "failed" and r,
                           what="failure")
            assert fragment.lower() in row[2].lower()
            time.sleep(1)
            assert fake_av.requests(symbol) - before == 1
            failed = load(stubs, process, symbol=symbol, source=stubs.quotes_pb2.DATA_SOURCE_ALPHA_VANTAGE)
            assert failed.job.units_done == 0
        finally:
            process.terminate()


def test_the_cli_loads_and_screens_through_the_server(tmp_path, server, database):
    from conftest import run_pulse

    path = tmp_path / "cli.csv"
    path.write_text(csv_text(n=40, seed=8))
    done = run_pulse("load", "clix", "--file", path, "--server", server.address)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("loaded 40 bars for CLIX (2021-01-04T00:00:00Z") and "from csv" in done.stdout
    again = run_pulse("load", "CLIX", "--file", path, "--server", server.address)
    assert again.stdout.startswith("loaded 0 bars for CLIX")
    screened = run_pulse("screen", "--symbols", "CLIX", "--window", "39", "--format", "csv", "--server", server.address)
    assert screened.returncode == 0, screened.stderr
    header, row = screened.stdout.strip().splitlines()
    assert header.startswith("symbol,value,time,close")
    frame = pd.read_csv(path)
    assert row.split(",")[0] == "CLIX"
    assert float(row.split(",")[1]) == pytest.approx(frame.Close.iloc[-1] / frame.Close.iloc[0] - 1, rel=1e-12)
    refused = run_pulse("load", "IBM", "--source", "alphavantage", "--server", server.address)
    assert refused.returncode == 1 and "FAILED_PRECONDITION" in refused.stderr
    unusable = run_pulse("load", "IBM", "--source", "csv", "--server", server.address)
    assert unusable.returncode == 2 and "--file" in unusable.stderr


def test_an_unreachable_database_is_unavailable_without_its_address(stubs):
    process = serve("postgresql://secretuser:secretpw@127.0.0.1:9/pulse")
    try:
        for call in (lambda: load(stubs, process, symbol="IBM", source=stubs.quotes_pb2.DATA_SOURCE_SIMULATED),
                     lambda: quotes(stubs, process)[0].Screen(stubs.quotes_pb2.ScreenRequest(), timeout=60)):
            code, details = error_of(call)
            assert code == grpc.StatusCode.UNAVAILABLE and "database is unavailable" in details
            assert "127.0.0.1" not in details and "secret" not in details
    finally:
        process.terminate()
